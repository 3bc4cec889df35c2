"""Which cases of a report changed after a moment (``report --changed-since WHEN``), and what
moment WHEN names.

WHEN is a date (``2023-06-01``, ``01/06/2023``, ``1 June 2023``: the forms ``dates.parse`` reads;
from the start of that day), a date and time (``2023-06-01T09:30``, ``2023-06-01 09:30:00``), both
in UTC unless a zone is given (``+01:00``), or a report file up2u-cba wrote earlier: a JSON
report (``report --format json``, its ``generated_at``) or a workbook (``report --xlsx``, the
"Generated" row of its Run info sheet). A report written before its time carried a zone is read
in this computer's local time, as it was written.

Every case of the report's services is looked at, withdrawn cases and cases of other years
included: a case withdrawn, or a late correction to an earlier year, after a report was issued is
exactly what a commissioner must see.

A case's history cannot prove who changed it, nor that every change was recorded: a case file
edited, copied in or deleted by hand leaves no entry. So when WHEN is an earlier report, the
input files are also compared with the checksums it gives: a case file that differs with no
history entry since (changed outside the tool), case files added and gone, and settings, unit cost
and deflator files that differ (the figures may move without any case changing). A date gives no
checksums to compare against.

WHEN is refused outside the years 2000 to 2199 (``cases.FIRST_CHANGE``, ``cases.LAST_CHANGE``), and
in the future: nothing can have changed since then.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import typing

from up2u_cba import models
from up2u_cba.entry import case_history
from up2u_cba.inputs import cases, dates, input_files
from up2u_cba.method import report
from up2u_cba.outputs import render_xlsx
from up2u_cba.problems import Problem, shown

WHERE = "--changed-since"

REPORT_FILE = input_files.Kind(
    "report file", 50 * input_files.MB, "give the path of a report up2u-cba wrote, or a date such as 2023-06-01",
    "give a JSON report (`report --format json > FILE.json`) or a workbook (`report --xlsx FILE.xlsx`)")
"""A report written earlier, read only for the time it was made and the input files it read."""

EXAMPLES = "a date (2023-06-01 or 01/06/2023), a date and time (2023-06-01T09:30) or a report file (.json or .xlsx)"


class When(typing.NamedTuple):
    """What ``--changed-since WHEN`` names."""

    moment: datetime.datetime
    """In UTC: changes made after it are listed."""
    given: str
    """WHEN in words: the date typed, or the report file and when it was made."""
    earlier: tuple[report.InputFile, ...] | None = None
    """The input files an earlier report read, with their checksums (None: WHEN was a date, or a
    report that lists none)."""


def read(when: str, now: datetime.datetime | None = None) -> tuple[When | None, list[Problem]]:
    """The moment WHEN names, in UTC, and WHEN in words (and an earlier report's input files);
    or the problems with it. A moment outside 2000..2199, or after ``now``, is refused."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    text = when.strip()
    if not text:
        return None, [_refused("no date or report file given")]
    if os.path.exists(text) or text.lower().endswith((".json", ".xlsx")):
        found, problems = _from_report(text)
        if found is not None and found.moment > now + cases.CLOCK_SLACK:
            return None, [_in_future(found.moment, f"the report {text} says it was made")]
        return found, problems
    moment = _date_time(text)
    if moment is None:
        try:
            day = dates.parse(text)
        except ValueError as error:
            return None, [_refused(str(error))]
        moment = datetime.datetime.combine(day, datetime.time(), datetime.timezone.utc)
    moment = _utc(moment, naive_is_local=False)
    if moment is None:
        return None, [_refused(f"'{shown(text)}' is not a moment between the years {cases.FIRST_CHANGE} and "
                               f"{cases.LAST_CHANGE}")]
    if moment > now:
        return None, [_in_future(moment, f"'{shown(text)}' is")]
    return When(moment, text), []


def _in_future(moment: datetime.datetime, said: str) -> Problem:
    return Problem(code="changed-since-in-future", file="", where=WHERE,
                   message=f"{said} {moment:%Y-%m-%d %H:%M:%S} UTC, which is in the future: nothing can have "
                           "changed since then",
                   hint=f"give a moment in the past: {EXAMPLES}")


def _refused(why: str) -> Problem:
    """WHEN is neither a date nor a report file: ``why`` repeats what was typed."""
    return Problem(code="bad-changed-since", file="", where=WHERE, message=why, hint=f"give {EXAMPLES}")


def _date_time(text: str) -> datetime.datetime | None:
    if len(text) < 11:  # a date alone (and 20230601) is read by dates.parse, in the UK forms too
        return None
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def _utc(moment: datetime.datetime, naive_is_local: bool) -> datetime.datetime | None:
    """``moment`` in UTC (a naive one read as local time or as UTC), or None if it is not within
    the years ``cases.in_years`` allows (computed without overflowing at the calendar's ends)."""
    if moment.tzinfo is None and naive_is_local:
        if not cases.FIRST_CHANGE <= moment.year <= cases.LAST_CHANGE:
            return None
        moment = moment.astimezone()
    return cases.in_years(moment)


def _from_report(path: str) -> tuple[When | None, list[Problem]]:
    """When the report at ``path`` was made, and the input files it read."""
    if path.lower().endswith(".xlsx"):
        found, problem = render_xlsx.read_run_info(path, REPORT_FILE)
        made, earlier = found if found is not None else (None, None)
    else:
        made, earlier, problem = _json_report(path)
    if problem is not None:
        return None, [problem.model_copy(update={"where": problem.where or WHERE})]
    moment = _utc(made, naive_is_local=True)
    if moment is None:
        return None, [Problem(code="not-a-report", file=path, where=WHERE,
                              message=f"the report says it was made on {made}, not between the years "
                                      f"{cases.FIRST_CHANGE} and {cases.LAST_CHANGE}",
                              hint=REPORT_FILE.format_hint)]
    return When(moment, f"the report {path}, made {moment:%Y-%m-%d %H:%M:%S} UTC", tuple(earlier) or None), []


def _json_report(path: str) -> tuple[datetime.datetime | None, list[report.InputFile], Problem | None]:
    """When the JSON report at ``path`` was made, and the input files it lists (with their
    checksums; none for a report that lists none)."""
    text, problem = input_files.read_text(path, REPORT_FILE)
    if text is None:
        return None, [], problem
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    made = data.get("generated_at") if isinstance(data, dict) else None
    if not (isinstance(data, dict) and str(data.get("schema", "")).startswith("up2u-cba/report")
            and isinstance(made, str)):
        return None, [], Problem(code="not-a-report", file=path, where=WHERE,
                                 message="this is not a JSON report up2u-cba wrote (it has no generated_at)",
                                 hint=REPORT_FILE.format_hint)
    try:
        return datetime.datetime.fromisoformat(made), _json_inputs(data.get("inputs")), None
    except ValueError:
        return None, [], Problem(code="not-a-report", file=path, where=f"{WHERE}: generated_at",
                                 message=f"'{shown(made)}' is not a date and time", hint=REPORT_FILE.format_hint)


def _json_inputs(listed: object) -> list[report.InputFile]:
    """The input files a JSON report lists (what is not in the report's own form is passed over)."""
    if not isinstance(listed, list):
        return []
    return [report.InputFile(path=item["path"], sha256=item["sha256"]) for item in listed
            if isinstance(item, dict) and isinstance(item.get("path"), str) and isinstance(item.get("sha256"), str)]


def collect(records: list[models.CaseRecord], services: list[str], since: datetime.datetime,
            given: str, earlier: tuple[report.InputFile, ...] | None = None,
            read_now: tuple[report.InputFile, ...] = (), settings: models.Settings | None = None,
            ) -> report.ChangedSince:
    """Every case of ``services`` among ``records`` (every stored case: withdrawn ones too)
    changed at or after ``since`` (to the second), with its changes since; and, given the input
    files an ``earlier`` report read, those of this run (``read_now``, as ``settings`` names them)
    whose checksum is not the earlier one."""
    names = {name.lower() for name in services}
    mine = [record for record in records if record.service.lower() in names]
    # Changes and reports are timed to the second: a change made in the very second a report was
    # made may have come after it, so it is listed (listing one the report already had is harmless;
    # leaving out one it had not is what this list is for).
    same_second = since.replace(microsecond=0) - datetime.timedelta(microseconds=1)
    changed = case_history.changed_since(mine, same_second)
    files = None
    if earlier is not None and settings is not None:
        files = compare_files(earlier, read_now, settings, names, mine, {record.file for record, _ in changed})
    return report.ChangedSince(since=since, given=given, files=files, cases=tuple(
        report.CaseChanges(reference=record.reference, service=record.service, withdrawn=record.withdrawn,
                           changes=tuple(changes))
        for record, changes in changed))


# --- the input files against an earlier report's checksums ------------------------------------


def compare_files(earlier: tuple[report.InputFile, ...], read_now: tuple[report.InputFile, ...],
                  settings: models.Settings, names: set[str], mine: list[models.CaseRecord],
                  with_history: set[str]) -> report.FilesCompared:
    """The input files whose checksum is not the one the ``earlier`` report gave: case files of
    ``mine`` (the cases of the report's services, ``names`` in lower case) that differ with no
    history entry since (their files not in ``with_history``), added or gone (unless named as
    another service's references are), and other inputs that differ, are new or are gone.

    Files are matched by their path from the settings file's folder, so a report made from
    another working folder, or with the settings named another way, still matches."""
    old_cases, old_others, together = _split(earlier)
    new_cases, new_others, _ = _split(read_now)
    kinds = _kinds(settings)
    outside, added, case_files_together = [], [], None
    if together is not None:  # a published workbook: one checksum of every case file
        case_files_together = _all_at_once(read_now) != together.sha256
    for record in sorted(mine, key=lambda record: record.reference):
        key = _key(record.file, read_now)
        if together is not None or key not in new_cases:
            continue
        old = old_cases.get(key)
        if old is None:
            added.append(_case_file(record, report.ADDED))
        elif old.sha256 != new_cases[key].sha256 and record.file not in with_history:
            outside.append(_case_file(record, report.DIFFERS))
    gone = [] if together is not None else [
        report.FileChanged(path=item.path, kind="case", state=report.GONE)
        for key, item in sorted(old_cases.items()) if key not in new_cases and not _others(item.path, settings, names)]
    inputs = [report.FileChanged(path=item.path, kind=kinds.get(item.path, "input file"),
                                 state=report.ADDED if key not in old_others else report.DIFFERS)
              for key, item in new_others.items()
              if key not in old_others or old_others[key].sha256 != item.sha256]
    inputs += [report.FileChanged(path=item.path, kind="input file", state=report.GONE)
               for key, item in old_others.items() if key not in new_others]
    return report.FilesCompared(outside_tool=tuple(outside), added=tuple(added), gone=tuple(gone),
                                inputs=tuple(inputs), case_files_together=case_files_together)


def _split(read: tuple[report.InputFile, ...]) -> tuple[dict[str, report.InputFile], dict[str, report.InputFile],
                                                         report.InputFile | None]:
    """A run's input files (settings first, as every report lists them): its case files and its
    other files, each by ``_key``, and the one checksum of all case files a published workbook
    gives instead of theirs (None if it gives theirs)."""
    case_files, others, together = {}, {}, None
    for number, item in enumerate(read):
        if item.path == render_xlsx.ALL_CASE_FILES:
            together = item
        elif number > 0 and item.path.endswith(".toml"):
            case_files[_key(item.path, read)] = item
        else:
            others[_key(item.path, read)] = item
    return case_files, others, together


def _key(path: str, read: tuple[report.InputFile, ...]) -> str:
    """``path`` from the folder of the settings file (the first input a report lists)."""
    folder = os.path.dirname(read[0].path) if read else ""
    return os.path.normcase(os.path.normpath(os.path.relpath(path, folder or os.curdir)))


def _all_at_once(read: tuple[report.InputFile, ...]) -> str:
    """The one checksum a published workbook gives every case file (as ``render_xlsx`` works it out)."""
    return hashlib.sha256("".join(item.sha256 for number, item in enumerate(read)
                                  if number > 0 and item.path.endswith(".toml")).encode()).hexdigest()


def _others(path: str, settings: models.Settings, names: set[str]) -> bool:
    """Whether the case file at ``path`` is named as only services other than ``names`` name
    theirs (a file gone says no more of its case than its name)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    shaped = {service.name.lower() for service in settings.services
              if service.reference_pattern and re.fullmatch(service.reference_pattern, stem)}
    return bool(shaped) and not shaped & names


def _kinds(settings: models.Settings) -> dict[str, str]:
    kinds = {path: "unit costs" for path in settings.unit_cost_files}
    kinds[settings.deflator_file] = "deflators"
    kinds[settings.file] = "settings"
    return kinds


def _case_file(record: models.CaseRecord, state: str) -> report.FileChanged:
    return report.FileChanged(path=record.file, kind="case", state=state, reference=record.reference,
                              service=record.service)
