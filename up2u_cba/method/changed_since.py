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
"""

from __future__ import annotations

import datetime
import json
import os

from up2u_cba import models
from up2u_cba.entry import case_history
from up2u_cba.inputs import dates, input_files
from up2u_cba.method import report
from up2u_cba.outputs import render_xlsx
from up2u_cba.problems import Problem, shown

WHERE = "--changed-since"

REPORT_FILE = input_files.Kind(
    "report file", 50 * input_files.MB, "give the path of a report up2u-cba wrote, or a date such as 2023-06-01",
    "give a JSON report (`report --format json > FILE.json`) or a workbook (`report --xlsx FILE.xlsx`)")
"""A report written earlier, read only for the time it was made."""

EXAMPLES = "a date (2023-06-01 or 01/06/2023), a date and time (2023-06-01T09:30) or a report file (.json or .xlsx)"


def read(when: str) -> tuple[tuple[datetime.datetime, str] | None, list[Problem]]:
    """The moment WHEN names, in UTC, and WHEN in words; or the problems with it."""
    text = when.strip()
    if not text:
        return None, [_refused("no date or report file given")]
    if os.path.exists(text) or text.lower().endswith((".json", ".xlsx")):
        return _from_report(text)
    moment = _date_time(text)
    if moment is None:
        try:
            day = dates.parse(text)
        except ValueError as error:
            return None, [_refused(str(error))]
        moment = datetime.datetime.combine(day, datetime.time(), datetime.timezone.utc)
    return (_utc(moment, naive_is_local=False), text), []


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


def _utc(moment: datetime.datetime, naive_is_local: bool) -> datetime.datetime:
    if moment.tzinfo is None:
        moment = moment.astimezone() if naive_is_local else moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _from_report(path: str) -> tuple[tuple[datetime.datetime, str] | None, list[Problem]]:
    """When the report at ``path`` was made."""
    if path.lower().endswith(".xlsx"):
        made, problem = render_xlsx.generated_at(path, REPORT_FILE)
    else:
        made, problem = _json_generated_at(path)
    if problem is not None:
        return None, [problem.model_copy(update={"where": problem.where or WHERE})]
    moment = _utc(made, naive_is_local=True)
    return (moment, f"the report {path}, made {moment:%Y-%m-%d %H:%M:%S} UTC"), []


def _json_generated_at(path: str) -> tuple[datetime.datetime | None, Problem | None]:
    text, problem = input_files.read_text(path, REPORT_FILE)
    if text is None:
        return None, problem
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    made = data.get("generated_at") if isinstance(data, dict) else None
    if not (isinstance(data, dict) and str(data.get("schema", "")).startswith("up2u-cba/report")
            and isinstance(made, str)):
        return None, Problem(code="not-a-report", file=path, where=WHERE,
                             message="this is not a JSON report up2u-cba wrote (it has no generated_at)",
                             hint=REPORT_FILE.format_hint)
    try:
        return datetime.datetime.fromisoformat(made), None
    except ValueError:
        return None, Problem(code="not-a-report", file=path, where=f"{WHERE}: generated_at",
                             message=f"'{shown(made)}' is not a date and time", hint=REPORT_FILE.format_hint)


def collect(records: list[models.CaseRecord], services: list[str], since: datetime.datetime,
            given: str) -> report.ChangedSince:
    """Every case of ``services`` among ``records`` (every stored case: withdrawn ones too)
    changed at or after ``since`` (to the second), with its changes since."""
    names = {name.lower() for name in services}
    mine = [record for record in records if record.service.lower() in names]
    # Changes and reports are timed to the second: a change made in the very second a report was
    # made may have come after it, so it is listed (listing one the report already had is harmless;
    # leaving out one it had not is what this list is for).
    same_second = since.replace(microsecond=0) - datetime.timedelta(microseconds=1)
    return report.ChangedSince(since=since, given=given, cases=tuple(
        report.CaseChanges(reference=record.reference, service=record.service, withdrawn=record.withdrawn,
                           changes=tuple(changes))
        for record, changes in case_history.changed_since(mine, same_second)))
