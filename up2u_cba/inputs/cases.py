"""Case files: one TOML file per case, pseudonymised, with its dated history and outcomes.

Example (``cases/BCP/BCP-0014.toml``)::

    reference = "BCP-0014"
    service = "BCP"
    locality = "Poole"

    [[status]]
    status = "referred"
    date = 2022-05-09

    [[status]]
    status = "completed"
    date = 2023-02-20

    [[outcomes]]
    code = "HE1.0"
    quantity = 1
    years = 1
    description = "Abstinent from alcohol for 1 year"
    evidence = "GP letter on file"

This module reads the files and checks each one on its own terms (shape, types, dates, order).
Checks against the unit costs and settings are in ``checks``.
"""

from __future__ import annotations

import datetime
import decimal
import os
import re
from decimal import Decimal

from up2u_cba import models
from up2u_cba.inputs import dates, input_files, privacy, two_readers
from up2u_cba.method import assumptions
from up2u_cba.outputs import spreadsheet_text
from up2u_cba.problems import Problem, counted, kind_of, shown

CASE_FIELDS = {"reference", "service", "locality", "withdrawn", "status", "outcomes", "change"}
CHANGE_FIELDS = {"made", "kind", "what", "reason", "tool", "user"}
STATUS_FIELDS = {"status", "date", "reason", "note"}
OUTCOME_FIELDS = {"code", "quantity", "years", "description", "evidence", "deadweight", "attribution",
                  "confidence", "adjustment_reason", "acknowledged"}
LIMITS = {"quantity": Decimal(100000), "years": Decimal(100)}
"""Largest quantity and years of one outcome line: beyond them it is a typing slip."""
MAX_DECIMALS = 4
"""Quantities, years and a line's deadweight and attribution shares take at most this many decimal
places (guided entry, amend and intake say the same)."""
OUTCOME_LIMIT = 100
"""Outcome lines a case may have: far beyond any real case (one line per outcome, repeats
counted by quantity), and a bound on the checks, which compare every pair of a case's lines."""
TEXT_LIMIT = 200
"""Longest free text allowed in a description or evidence note: short notes, never narrative."""
FREE_TEXT = ("description", "evidence", "acknowledged")
"""An outcome line's free-text notes (``acknowledged``: why an implausible figure is right), each
checked for length and personal data."""
SAFE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""What any reference must look like, whatever the service's pattern: it is also a file name."""
REFERENCE_LIMIT = 40
"""Longest reference (BCP-0007 is 8): a reference is a file name and a workbook cell, and a
pattern such as BCP-\\d+ would otherwise let 40,000 digits through to a cell Excel must repair."""
FIRST_DATE = datetime.date(2000, 4, 1)
"""No status is dated before this (financial year 2000/01): the programme is far younger, and
guided entry and intake refuse earlier dates too."""
FIRST_CHANGE, LAST_CHANGE = 2000, 2199
"""The years a history entry (and ``report --changed-since WHEN``) may be made in, in UTC."""
CLOCK_SLACK = datetime.timedelta(days=1)
"""How far a history entry may be in the future, or before the entry above it: computers sharing
a drive may not agree on the time. Beyond it, the entry cannot be true."""


def case_files(folder: str) -> list[str]:
    """Every ``*.toml`` below ``folder``, in a stable order. Linked folders are followed; a link
    back to a folder already read is not (``load`` names it)."""
    return _walk(folder)[0]


def _walk(folder: str) -> tuple[list[str], list[Problem]]:
    """The case files below ``folder`` (dot-folders skipped: an import's staging, unsaved cases),
    and a ``folder-loop`` problem for each linked folder that leads back to one already read."""
    found: list[str] = []
    loops: list[Problem] = []
    top = os.path.realpath(folder)
    visited = {top}
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))  # (an import's staging folder)
        for name in list(dirs):
            path = os.path.join(root, name)
            real = os.path.realpath(path)
            if real in visited or top.startswith(real.rstrip(os.sep) + os.sep):
                dirs.remove(name)
                loops.append(Problem(code="folder-loop", file=path,
                                     message=f"this linked folder leads back to {real}, which holds the cases folder "
                                             "or is read already",
                                     hint="remove the link: cases are read once, from the folder they are in"))
            visited.add(real)
        found.extend(os.path.join(root, name) for name in sorted(files) if name.endswith(".toml"))
    return found, loops


def load(folder: str) -> tuple[list[models.CaseRecord], list[Problem]]:
    """Read every case file below ``folder``; return the cases and every problem.

    A file with problems still gives what could be read of it (its good status events and
    outcome lines), so the checks across inputs can report its other problems in the same run;
    any problem at all stops a report."""
    if not os.path.isdir(folder):
        return [], [Problem(code="missing-folder", file=folder, message="cases folder not found",
                            hint="check cases in the settings file, or pass --cases FOLDER")]
    records: list[models.CaseRecord] = []
    paths, problems = _walk(folder)
    for record, file_problems in two_readers.read_all(paths, _load_partly):
        problems.extend(file_problems)
        if record is not None:
            records.append(record)
    return records, problems


def _load_partly(path: str) -> tuple[models.CaseRecord | None, list[Problem]]:
    return load_file(path, partial=True)


def load_file(path: str, partial: bool = False) -> tuple[models.CaseRecord | None, list[Problem]]:
    """Read one case file; return the case (None if it has problems, unless ``partial``: then
    what could be read of it) and its problems."""
    text, refused = input_files.read_text(path, input_files.CASE)
    if text is None:
        return None, [refused]
    if not text.strip():  # (not "no reference, no service...": say what an empty case file is)
        return None, [Problem(code="empty-case-file", file=path, message="the case file is empty",
                              hint="a save stopped part-way, or a file made by hand, can leave one: delete it "
                                   "(it holds nothing), or enter the case again")]
    data, refused = input_files.parse_toml(text, path, input_files.CASE)
    if data is None:
        return None, [refused]
    return parse(path, data, partial, text)


def parse(path: str, data: dict, partial: bool = False, text: str | None = None
          ) -> tuple[models.CaseRecord | None, list[Problem]]:
    """Turn one case file's TOML data into a CaseRecord, collecting every problem. With
    problems the record is None, unless ``partial`` and its reference, service, locality and
    some status events could be read. ``text``, the TOML the data was read from, if at hand,
    spares looking for control characters field by field when the text cannot give any."""
    problems: list[Problem] = []
    if text is None or spreadsheet_text.may_give_refused(text):
        problems = spreadsheet_text.problems_in(data, path)  # control characters, in any field

    def problem(code: str, where: str, message: str, hint: str) -> None:
        problems.append(Problem(code=code, file=path, where=where, message=message, hint=hint))

    _unknown_fields(data, CASE_FIELDS, "", problem)
    texts = {}
    for field in ("reference", "service", "locality"):
        value = data.get(field)
        if value is not None and not isinstance(value, str):  # a list, a table, a number, a date...
            problem("bad-field", field, f"the {field} must be text in quotes; here it is {kind_of(value)}",
                    f'e.g. {field} = "{_EXAMPLES[field]}"')
        elif not isinstance(value, str) or not value.strip():
            problem("missing-field", field, f"no {field} given", f'e.g. {field} = "{_EXAMPLES[field]}"')
        else:
            texts[field] = value.strip()
    if len(texts.get("reference", "")) > REFERENCE_LIMIT:
        problem("reference-too-long", "reference", f"the reference is {counted(len(texts.pop('reference')), 'character')} long",
                f"a reference is a short pseudonym such as BCP-0007, at most {REFERENCE_LIMIT} characters")
    before = len(problems)
    history = _parse_history(data.get("status"), problem)
    history_whole = len(problems) == before
    before = len(problems)
    outcomes = _parse_outcomes(data.get("outcomes", []), problem)
    after_outcomes = len(problems)
    withdrawn = data.get("withdrawn", False)
    if not isinstance(withdrawn, bool):
        problem("bad-field", "withdrawn", f"withdrawn must be true or false; here it is {kind_of(withdrawn)}",
                "leave it to `up2u-cba case withdraw` and `case restore`")
        withdrawn = False
    changes = _parse_changes(data.get("change", []), problem)
    if isinstance(data.get("withdrawn", False), bool):
        _check_withdrawn_flag(withdrawn, changes, texts.get("reference", "REFERENCE"), problem)
    if problems and not (partial and len(texts) == 3 and history):
        return None, problems
    if after_outcomes > before or not history_whole:
        # checks name outcomes by position, and judge them by the history: never check a list
        # with gaps in it, nor against a history that lost an event
        outcomes = []
    # (every value checked above, of its field's type: built without validating it all again, as
    # 100,000 cases take a tenth of the time and a third less memory so: see models.trusted)
    return models.trusted(models.CaseRecord, dict(**texts, history=tuple(history), outcomes=tuple(outcomes),
                                                  withdrawn=withdrawn, changes=tuple(changes), file=path)), problems


_EXAMPLES = {"reference": "BCP-0007", "service": "BCP", "locality": "Poole"}


def _unknown_fields(table: dict, known: set[str], prefix: str, problem) -> None:
    for key in table:
        if key not in known:
            problem("unknown-field", f"{prefix}{key}", f"'{key}' is not a field of a case file",
                    f"the fields are: {', '.join(sorted(known))}")


def _parse_history(raw: object, problem) -> list[models.StatusEvent]:
    if not isinstance(raw, list) or not raw:
        problem("missing-field", "status", "the case has no status history",
                'add at least [[status]] status = "referred" date = 2022-04-01')
        return []
    events: list[tuple[int, models.StatusEvent]] = []
    for number, entry in enumerate(raw, start=1):
        where = f"status[{number}]"
        if not isinstance(entry, dict):
            problem("bad-field", where, "each status must be a [[status]] table", "see the README for the format")
            continue
        _unknown_fields(entry, STATUS_FIELDS, f"{where}.", problem)
        try:
            status = models.Status(entry.get("status"))
        except ValueError:
            problem("bad-status", f"{where}.status", f"'{entry.get('status', '')}' is not a status",
                    f"use one of: {', '.join(status.value for status in models.Status)}")
            continue
        day = entry.get("date")
        if day is None:
            problem("missing-date", f"{where}.date", f"the '{status.value}' status has no date",
                    "add date = YYYY-MM-DD, the day it happened")
            continue
        if isinstance(day, datetime.datetime) or not isinstance(day, datetime.date):
            problem("bad-date", f"{where}.date", *_date_advice(day))
            continue
        latest = datetime.date.today()  # the tool records what has happened, as entry and intake say
        if not FIRST_DATE <= day <= latest:
            problem("implausible-date", f"{where}.date", f"{day.isoformat()} cannot be the date of a status",
                    f"give the day it happened, from {FIRST_DATE.isoformat()} to {latest.isoformat()}")
            continue
        reason = None
        if status is models.Status.CLOSED:
            try:
                reason = models.ClosureReason(entry.get("reason"))
            except ValueError:
                problem("bad-reason", f"{where}.reason",
                        f"a closed case needs a reason; '{entry.get('reason', '')}' is not one",
                        f"use one of: {', '.join(reason.value for reason in models.ClosureReason)}")
                continue
        elif "reason" in entry:
            problem("bad-reason", f"{where}.reason", "only a closed status has a reason",
                    "remove reason, or set status = \"closed\"")
            continue
        note = _closure_note(entry, where, reason, problem)
        if note is None:
            continue
        events.append((number, models.trusted(models.StatusEvent, dict(status=status, date=day, reason=reason,
                                                                        note=note))))
    _check_order(events, problem)
    return [event for _, event in events]


def _closure_note(entry: dict, where: str, reason: models.ClosureReason | None, problem) -> str | None:
    """A closure's short note ("" when none), or None when it is refused: only a closure has one,
    a closure for an ``other`` reason must have one, and it is a short note with no personal data."""
    note = entry.get("note", "")
    if reason is None and "note" in entry:
        problem("bad-field", f"{where}.note", "only a closed status has a note",
                'remove note, or set status = "closed"')
        return None
    if not isinstance(note, str):
        problem("bad-field", f"{where}.note", f"the note must be text in quotes; here it is {kind_of(note)}",
                'e.g. note = "moved to another service"')
        return None
    if len(note) > TEXT_LIMIT:
        problem("text-too-long", f"{where}.note", f"the note is {counted(len(note), 'character')} long",
                f"keep it under {TEXT_LIMIT} characters: a short note, never a narrative")
        return None
    if refused := privacy.check("note", note):
        problem("personal-data", f"{where}.note", refused, privacy.HINT)
        return None
    if reason is models.ClosureReason.OTHER and not note.strip():
        problem("missing-field", f"{where}.note", "a case closed for an 'other' reason needs a note of the reason",
                'add note = "..." (a short note, no names), e.g. note = "referred to another programme"')
        return None
    return note.strip()


def _date_advice(value: object) -> tuple[str, str]:
    """What is wrong with a status date that is not a TOML date, and the TOML form to write: a
    date in quotes ("12/05/2023") is shown as the plain date it means (date = 2023-05-12)."""
    if isinstance(value, str):
        try:
            meant = dates.parse(value)
        except ValueError:
            return f"'{shown(value)}' is not a date", "write a plain date without quotes, e.g. date = 2022-04-01"
        return (f"the date is text in quotes ('{shown(value)}')",
                f"write it as a TOML date, without quotes: date = {meant.isoformat()}")
    if isinstance(value, datetime.datetime):
        return f"'{value}' has a time of day", f"write the day only: date = {value.date().isoformat()}"
    return (f"the date is {kind_of(value)}, not a date",
            "write a plain date without quotes, e.g. date = 2022-04-01")


def _check_order(events: list[tuple[int, models.StatusEvent]], problem) -> None:
    """Problems with the order of the readable events; ``events`` pairs each with its index in the file."""
    if events and events[0][0] == 1 and events[0][1].status is not models.Status.REFERRED:
        # (when the first entry could not be read, it may well be the referral: its own problem says why)
        number, first = events[0]
        problem("history-must-start-with-referral", f"status[{number}].status",
                f"the history starts with '{first.status.value}'", "the first status is the referral")
    for (_, before), (number, event) in zip(events, events[1:]):
        if event.date < before.date:
            problem("history-out-of-order", f"status[{number}].date",
                    f"{event.date} is before the previous status ({before.date})",
                    "list statuses in date order")
        if before.status is models.Status.COMPLETED:
            problem("event-after-completion", f"status[{number}].status",
                    "a completed case has no later status", "completion is the last status")
        elif before.status is models.Status.CLOSED and event.status is models.Status.COMPLETED:
            problem("completed-after-closure", f"status[{number}].status",
                    f"the case was closed on {before.date} and completes on {event.date} without being re-opened",
                    "record the re-opening first: an assessment or programme status dated the day the case "
                    "was re-opened, before the completion")


def _parse_outcomes(raw: object, problem) -> list[models.OutcomeEntry]:
    if not isinstance(raw, list):
        problem("bad-field", "outcomes", "outcomes must be [[outcomes]] tables", "see the README for the format")
        return []
    if len(raw) > OUTCOME_LIMIT:  # (the checks compare every pair of a case's lines)
        problem("too-many-lines", "outcomes", f"the case has {counted(len(raw), 'outcome line')}",
                f"a case has at most {OUTCOME_LIMIT}: one line per outcome, its quantity counting repeats "
                "(quantity = 4 for four incidents)")
        return []
    outcomes: list[models.OutcomeEntry] = []
    for number, entry in enumerate(raw, start=1):
        where = f"outcomes[{number}]"
        if not isinstance(entry, dict):
            problem("bad-field", where, "each outcome must be an [[outcomes]] table", "see the README for the format")
            continue
        _unknown_fields(entry, OUTCOME_FIELDS, f"{where}.", problem)
        code = entry.get("code")
        if not isinstance(code, str) or not code.strip():
            problem("missing-field", f"{where}.code", "the outcome has no unit cost code", 'e.g. code = "CR2.0"')
        quantity = _positive_number(entry, "quantity", where, problem, required=True)
        years = _positive_number(entry, "years", where, problem, required=False)
        texts = {}
        for field in FREE_TEXT:
            value = entry.get(field, "")
            if not isinstance(value, str):
                problem("bad-field", f"{where}.{field}", f"{field} must be text", f'e.g. {field} = "..."')
            elif len(value) > TEXT_LIMIT:
                problem("text-too-long", f"{where}.{field}", f"{field} is {counted(len(value), 'character')} long",
                        f"keep it under {TEXT_LIMIT} characters: a short note, never a narrative")
            elif refused := privacy.check(field, value):
                problem("personal-data", f"{where}.{field}", refused, privacy.HINT)
            else:
                texts[field] = value.strip()
        adjustments = _parse_adjustments(entry, where, problem)
        if quantity is not None and years is not None and isinstance(code, str) \
                and code.strip() and len(texts) == len(FREE_TEXT) and adjustments is not None:
            outcomes.append(models.trusted(models.OutcomeEntry, dict(
                code=code.strip(), quantity=quantity, years=years, years_stated="years" in entry, **texts,
                **adjustments)))
    return outcomes


def _parse_changes(raw: object, problem, now: datetime.datetime | None = None) -> list[models.CaseChange]:
    """The case's history of changes (``[[change]]`` tables, written by the tool). An entry that
    cannot be true (made before 2000 or after 2199, in the future, or well before the entry above
    it) is refused (``bad-history``)."""
    if not isinstance(raw, list):
        problem("bad-field", "change", "the history of changes must be [[change]] tables",
                "leave the history to the tool: it appends a [[change]] table at each change")
        return []
    now = now or datetime.datetime.now(datetime.timezone.utc)
    changes = []
    before: tuple[int, datetime.datetime] | None = None  # the entry above, and when it was made (UTC)
    for number, entry in enumerate(raw, start=1):
        where = f"change[{number}]"
        if not isinstance(entry, dict):
            problem("bad-field", where, "each change must be a [[change]] table",
                    "leave the history to the tool")
            continue
        _unknown_fields(entry, CHANGE_FIELDS, f"{where}.", problem)
        made, kind, what = entry.get("made"), entry.get("kind"), entry.get("what", [])
        texts = {field: entry.get(field, "") for field in ("reason", "tool", "user")}
        ok = True
        if not isinstance(made, datetime.datetime):
            problem("bad-date", f"{where}.made", "when the change was made must be a date and time",
                    "e.g. made = 2026-11-30T13:05:12Z")
            ok = False
        elif (untrue := _untrue_time(made, before, now)) is not None:
            problem("bad-history", f"{where}.made", untrue,
                    "the tool writes each entry at the time of its change, after the one above: restore the file "
                    "from a backup, or set made to when the change was made")
            ok = False
        else:
            before = (number, in_years(made))
        if not isinstance(kind, str) or kind not in {kind.value for kind in models.ChangeKind}:
            problem("bad-field", f"{where}.kind", f"'{shown(kind)}' is not a kind of change" if isinstance(kind, str)
                    else f"the kind of change must be text in quotes; here it is {kind_of(kind)}",
                    f"one of: {', '.join(kind.value for kind in models.ChangeKind)}")
            ok = False
        if not isinstance(what, list) or not all(isinstance(item, str) and len(item) <= CHANGE_LIMIT for item in what):
            problem("bad-field", f"{where}.what", "what changed must be a list of short texts",
                    'e.g. what = ["outcomes[2].quantity: 3 -> 2"]')
            ok = False
        for field, value in texts.items():
            if not isinstance(value, str) or len(value) > TEXT_LIMIT:
                problem("bad-field", f"{where}.{field}", f"{field} must be short text",
                        f"a note under {TEXT_LIMIT} characters")
                ok = False
        if ok and (refused := privacy.check("reason", texts["reason"])):
            problem("personal-data", f"{where}.reason", refused, privacy.HINT)
            ok = False
        if ok:
            changes.append(models.trusted(models.CaseChange, dict(made=made, kind=models.ChangeKind(kind),
                                                                  what=tuple(what), **texts)))
    return changes


CHANGE_LIMIT = 500
"""Longest entry in a change's ``what`` list: a field and its old and new values."""


def in_years(moment: datetime.datetime) -> datetime.datetime | None:
    """``moment`` in UTC (UTC if it names no zone), or None if that is not within the years
    ``FIRST_CHANGE`` to ``LAST_CHANGE`` (never an OverflowError at the calendar's ends: 9999-12-31
    at -12:00 is past the last day Python can hold in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    try:
        utc = moment.astimezone(datetime.timezone.utc)
    except (OverflowError, ValueError):
        return None
    return utc if FIRST_CHANGE <= utc.year <= LAST_CHANGE else None


def _untrue_time(made: datetime.datetime, before: tuple[int, datetime.datetime] | None,
                 now: datetime.datetime) -> str | None:
    """Why a history entry made at ``made`` cannot be true (after the entry ``before``, numbered,
    made then), or None."""
    utc = in_years(made)
    if utc is None:
        return f"made {made} is not between the years {FIRST_CHANGE} and {LAST_CHANGE} (in UTC)"
    if utc > now + CLOCK_SLACK:
        return f"made {utc:%Y-%m-%d %H:%M:%S} UTC is in the future"
    if before is not None and utc < before[1] - CLOCK_SLACK:
        return (f"made {utc:%Y-%m-%d %H:%M:%S} UTC is before change[{before[0]}] above it "
                f"({before[1]:%Y-%m-%d %H:%M:%S} UTC): entries are appended as changes are made")
    return None


def _check_withdrawn_flag(withdrawn: bool, changes: list[models.CaseChange], reference: str, problem) -> None:
    """A case whose history withdrew or restored it must be marked as its latest such entry says:
    ``withdrawn = true`` added or taken out by hand would take a case out of the figures, or bring
    it back, with nothing in its history. A case with no such entry may be marked either way."""
    latest = next((change for change in reversed(changes)
                   if change.kind in (models.ChangeKind.WITHDRAWN, models.ChangeKind.RESTORED)), None)
    if latest is None or (latest.kind is models.ChangeKind.WITHDRAWN) == withdrawn:
        return
    said = f"its history says it was {latest.kind.value} on {latest.made:%Y-%m-%d}"
    if withdrawn:
        problem("withdrawn-flag-disagrees", "withdrawn",
                f"the case is marked withdrawn, but {said}: the mark was added outside the tool",
                f"take `withdrawn = true` out again; then `up2u-cba case withdraw {reference} --reason \"...\"` "
                "withdraws it, recorded in its history")
    else:
        problem("withdrawn-flag-disagrees", "withdrawn",
                f"the case is not marked withdrawn, but {said}: `withdrawn = true` was taken out outside the tool",
                f"put `withdrawn = true` back after the locality; then `up2u-cba case restore {reference} --reason "
                "\"...\"` brings it back, recorded in its history")


def too_precise(number: Decimal) -> bool:
    """Whether ``number`` has more than MAX_DECIMALS decimal places (trailing zeros aside)."""
    return number.normalize().as_tuple().exponent < -MAX_DECIMALS


def _parse_adjustments(entry: dict, where: str, problem) -> dict | None:
    """A line's own Green Book adjustments: deadweight and attribution shares (with a reason),
    and a confidence grade."""
    found: dict = {}
    ok = True
    for field in ("deadweight", "attribution"):
        if field not in entry:
            continue
        value = entry[field]
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise decimal.InvalidOperation
            share = Decimal(str(value))
            if not share.is_finite() or not 0 <= share <= 1:
                raise decimal.InvalidOperation
        except decimal.InvalidOperation:
            problem("bad-assumption", f"{where}.{field}", f"{field} must be a share from 0 to 1, not '{value}'",
                    f"e.g. {field} = 0.2 for 20%")
            ok = False
            continue
        if too_precise(share):  # (1e-300 would be written out as 300 digits)
            problem("bad-assumption", f"{where}.{field}", f"{field} has more than {MAX_DECIMALS} decimal places",
                    f"round it, e.g. {field} = 0.3333")
            ok = False
        else:
            found[field] = share
    if "confidence" in entry:
        grade = assumptions.evidence_grade(entry["confidence"])  # ("a" is "A"; 4, 4.0 and "4" are "4")
        if grade is None:
            problem("bad-assumption", f"{where}.confidence",
                    f"'{shown(entry['confidence'])}' is not an evidence grade",
                    f"use {assumptions.GRADE_RULE}, e.g. confidence = 4")
            ok = False
        else:
            found["confidence"] = grade
    reason = entry.get("adjustment_reason", "")
    if not isinstance(reason, str) or len(reason) > TEXT_LIMIT:
        problem("bad-field", f"{where}.adjustment_reason", "adjustment_reason must be short text",
                f"a note under {TEXT_LIMIT} characters")
        ok = False
    elif refused := privacy.check("adjustment_reason", reason):
        problem("personal-data", f"{where}.adjustment_reason", refused, privacy.HINT)
        ok = False
    elif ("deadweight" in found or "attribution" in found) and not reason.strip():
        problem("missing-field", f"{where}.adjustment_reason",
                "this line sets its own deadweight or attribution without saying why",
                'add adjustment_reason = "..." (a short note of the evidence)')
        ok = False
    elif reason.strip():
        found["adjustment_reason"] = reason.strip()
    return found if ok else None


def _positive_number(entry: dict, field: str, where: str, problem, required: bool) -> Decimal | None:
    if field not in entry:
        if required:
            problem("missing-field", f"{where}.{field}", f"the outcome has no {field}", f"e.g. {field} = 1")
            return None
        return Decimal(1)
    value = entry[field]
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise decimal.InvalidOperation
        number = Decimal(str(value))
        if not number.is_finite():
            raise decimal.InvalidOperation
    except decimal.InvalidOperation:
        problem("bad-number", f"{where}.{field}", f"{field} must be a number, not '{value}'",
                f"write it without quotes, e.g. {field} = 2")
        return None
    if number <= 0:
        problem("bad-quantity" if field == "quantity" else "bad-years", f"{where}.{field}",
                f"{field} is {value}", "must be greater than 0")
        return None
    if number > LIMITS[field]:
        problem("bad-quantity" if field == "quantity" else "bad-years", f"{where}.{field}",
                f"{field} is more than any one case could have", f"at most {LIMITS[field]:,}")
        return None
    if too_precise(number):
        problem("bad-number", f"{where}.{field}", f"{field} has more than {MAX_DECIMALS} decimal places",
                "round it, e.g. 0.3333")
        return None
    return number
