"""Corrections to a stored case: what ``case amend`` changes, read from ``--set PATH=VALUE`` and
``--remove PATH``, applied to a ``CaseRecord`` and checked as ``validate`` checks a case file.

A path names a stored field as the case file does, lines and events numbered from 1:
``locality``, ``status[4].date``, ``outcomes[2].quantity``; ``--remove`` takes a whole event or
line (``status[5]``, ``outcomes[3]``). Every number refers to the case as stored, before any
change, so a removal never shifts what the other paths name. Values are read as the case file
would read them: dates in the forms and the span guided entry accepts (``answer_checks.parse_date``:
from ``cases.FIRST_DATE`` to today), numbers as Decimal, statuses and closure reasons by name; an
empty value clears an optional field.

Nothing here prints or asks: every problem is returned, all at once, located by the path typed.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import tomllib
from decimal import Decimal

from up2u_cba import models
from up2u_cba.entry import answer_checks, case_files, cost_search
from up2u_cba.inputs import cases, dates, deflators, unit_costs
from up2u_cba.method import assumptions, checks
from up2u_cba.outputs import spreadsheet_text
from up2u_cba.problems import Problem, shown

EVENT_FIELDS = ("status", "date", "reason") + tuple(field for field in models.StatusEvent.model_fields
                                               if field not in ("status", "date", "reason"))
"""What ``--set status[N].FIELD`` can change (any further field of an event is a note, read as text)."""
LINE_FIELDS = ("code", "quantity", "years", "description", "evidence", "confidence", "deadweight", "attribution",
               "adjustment_reason", "acknowledged")
"""What ``--set outcomes[N].FIELD`` can change."""
LINE_FIGURES = ("code", "quantity", "years")
"""A line's figures: changing one drops the line's acknowledgement of an implausible figure,
unless the same amendment sets it again (the note was about the old figure)."""
TEXT_FIELDS = ("description", "evidence", "adjustment_reason", "acknowledged")
"""Free-text fields of a line, checked by the personal-data guard."""
FIELD_LIST = ("locality, " + ", ".join(f"status[N].{field}" for field in EVENT_FIELDS) + ", "
              + ", ".join(f"outcomes[N].{field}" for field in LINE_FIELDS))
"""Every path ``--set`` takes, as a hint lists them."""

_PATH = re.compile(r"\s*(?P<table>[A-Za-z_]+)\s*(?:\[\s*(?P<number>-?\d+)\s*\])?\s*(?:\.\s*(?P<field>[A-Za-z_]+))?\s*")
_TABLES = {"status": "status", "outcomes": "outcomes"}
_TABLE_ALIASES = {"statuses": "status", "event": "status", "events": "status", "outcome": "outcomes",
                  "line": "outcomes", "lines": "outcomes"}
_STATUS_NAMES = {**{status.value: status for status in models.Status}, "programme start": models.Status.PROGRAMME}


class Unreadable(ValueError):
    """A value typed for a field that the case file could not hold: what is wrong (repeating
    what was typed, free text aside), what would be right, and the problem's code."""

    def __init__(self, message: str, hint: str = "", code: str = "bad-value"):
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


@dataclasses.dataclass(frozen=True)
class Target:
    """The stored field (or whole event or line) an amendment names."""

    table: str
    """``status`` or ``outcomes``; blank for a field of the case itself (``locality``)."""
    number: int = 0
    """The event or line, from 1, as stored; 0 for a field of the case."""
    field: str = ""
    """The field; blank for a whole event or line (``--remove``)."""

    def __str__(self) -> str:
        if not self.table:
            return self.field
        entry_ = f"{self.table}[{self.number}]"
        return f"{entry_}.{self.field}" if self.field else entry_

    @property
    def entry(self) -> "Target":
        """The whole event or line this field belongs to."""
        return Target(self.table, self.number)


@dataclasses.dataclass(frozen=True)
class Amendment:
    """One field to change to ``value`` (already read as the case file reads it)."""

    target: Target
    value: object
    typed: str
    """The option as typed, to name it in a problem."""


# --- reading the options ---------------------------------------------------------------------


def amend(
    record: models.CaseRecord,
    sets: tuple[str, ...] | list[str],
    removes: tuple[str, ...] | list[str],
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
) -> tuple[models.CaseRecord, list[Problem]]:
    """``record`` with every ``--set PATH=VALUE`` and ``--remove PATH`` applied, and every
    problem: with the options (an unknown field, a number out of range, a value that cannot be
    read) or with the result (what ``validate`` would refuse). With any error, the record is
    returned unchanged; warnings the change brings are returned with a changed record."""
    problems: list[Problem] = []
    amendments = []
    for text in sets:
        amendment, problem = read_set(text, record, settings, costs)
        if problem:
            problems.append(problem)
        else:
            amendments.append(amendment)
    removed = []
    for text in removes:
        target, problem = read_remove(text, record)
        if problem:
            problems.append(problem)
        elif target not in removed:
            removed.append(target)
    problems += _conflicts(amendments, removed, record.file)
    # The result of the options that could be read is checked too, so that every problem is
    # told at once; but not an event or line with an option that could not be read (a closure
    # reason set on an event whose status was mistyped would be refused for the wrong reason).
    doubtful = {_entry_named(problem.where) for problem in problems}
    readable = [amendment for amendment in amendments if _entry_name(amendment.target) not in doubtful]
    new = apply(record, readable, removed)
    found = [_numbered_as_stored(problem, record, removed)
             for problem in result_problems(record, new, settings, costs, series)]
    if problems:
        return record, problems + [problem for problem in found if not problem.warning]
    if any(not problem.warning for problem in found):
        return record, found
    return new, found


def _entry_named(where: str) -> str:
    """The event or line (or case field) an option names: ``outcomes[2]`` for ``--set outcomes[2].quantity``."""
    path = where.split(" ", 1)[-1]
    return re.split(r"[.=]", path, maxsplit=1)[0].strip().lower()


def _entry_name(target: Target) -> str:
    return str(target.entry) if target.table else target.field


def read_set(text: str, record: models.CaseRecord, settings: models.Settings,
             costs: dict[str, models.UnitCost]) -> tuple[Amendment | None, Problem | None]:
    """One ``--set PATH=VALUE`` read against the stored ``record``: the amendment, or the problem."""
    where = f"--set {shown(text)}"
    path, equals, value = text.partition("=")
    if not equals:
        return None, Problem(code="bad-amendment", file=record.file, where=where,
                             message=f"'{shown(text)}' does not say what to set the field to",
                             hint="write PATH=VALUE, e.g. --set outcomes[2].quantity=2")
    target, problem = read_path(path, record, f"--set {shown(path.strip())}", whole=False)
    if problem:
        return None, problem
    where = f"--set {target}"
    try:
        return Amendment(target, read_value(target, value, record, settings, costs), text), None
    except Unreadable as error:
        return None, Problem(code=error.code, file=record.file, where=where, message=error.message, hint=error.hint)
    except ValueError as error:  # (a date: its message repeats what was typed and lists the forms)
        return None, Problem(code="bad-date", file=record.file, where=where, message=str(error))


def read_remove(text: str, record: models.CaseRecord) -> tuple[Target | None, Problem | None]:
    """One ``--remove PATH`` (a whole event or line) read against the stored ``record``."""
    return read_path(text, record, f"--remove {shown(text)}", whole=True)


def read_path(text: str, record: models.CaseRecord, where: str, whole: bool) -> tuple[Target | None, Problem | None]:
    """The field (or with ``whole``, the event or line) that ``text`` names in ``record``."""
    example = "status[5] or outcomes[3]" if whole else "outcomes[2].quantity, status[4].date or locality"
    listing = "status[N] (an event) or outcomes[N] (a line)" if whole else FIELD_LIST

    def refused(message: str, hint: str = "", code: str = "unknown-field"):
        return None, Problem(code=code, file=record.file, where=where, message=message,
                             hint=hint or f"{'--remove takes' if whole else 'the fields are'}: {listing}")

    match = _PATH.fullmatch(text)
    if not match:
        return refused(f"'{shown(text)}' is not a path to a stored field; write it as {example}")
    table, number, field = match.group("table").lower(), match.group("number"), (match.group("field") or "").lower()
    if table in _TABLE_ALIASES:
        return refused(f"'{shown(text)}': the case file calls them {_TABLE_ALIASES[table]}[N]")
    if table in ("locality", "reference", "service", "withdrawn", "change") and number is None and not field:
        if whole or table != "locality":
            why = {"reference": "a case's reference never changes (it is also its file name)",
                   "service": "a case's service does not change: its reference belongs to the service",
                   "withdrawn": "a case is withdrawn with `up2u-cba case withdraw` and restored with `case restore`",
                   "change": "the history of changes is kept by the tool, never amended",
                   "locality": "the locality cannot be removed; set it to another locality"}[table]
            return refused(f"'{shown(text)}' cannot be {'removed' if whole else 'amended'}: {why}")
        return Target("", 0, "locality"), None
    if table not in _TABLES:
        return refused(f"'{shown(text)}' is not a field of a case file")
    if number is None:
        return refused(f"'{shown(text)}' does not say which {'event' if table == 'status' else 'line'}: "
                       f"write {table}[N]{'' if whole else '.FIELD'}, numbered from 1")
    entries = record.history if table == "status" else record.outcomes
    noun = "status event" if table == "status" else "outcome line"
    if not 1 <= int(number) <= len(entries):
        valid = (f"{table}[1]" if len(entries) == 1 else f"{table}[1] to {table}[{len(entries)}]") if entries else ""
        has = f"the case has {len(entries)} {noun}{'s' if len(entries) != 1 else ''}"
        return refused(f"there is no {table}[{number}]: {has}" + (f", {valid}" if valid else ""),
                       hint="numbers count from 1 and refer to the case as stored (`up2u-cba case show "
                            f"{record.reference}`)", code="out-of-range")
    fields = EVENT_FIELDS if table == "status" else LINE_FIELDS
    if whole and field:
        return refused(f"'{shown(text)}' names a field; --remove takes a whole {noun}: {table}[{number}]")
    if not whole and not field:
        return refused(f"'{shown(text)}' names a whole {noun}; --set takes one of its fields, "
                       f"e.g. {table}[{number}].{fields[0]}", hint=f"its fields are: {', '.join(fields)}")
    if field and field not in fields:
        return refused(f"'{field}' is not a field of {'a status event' if table == 'status' else 'an outcome line'}",
                       hint=f"its fields are: {', '.join(fields)}")
    return Target(table, int(number), field), None


def read_value(target: Target, text: str, record: models.CaseRecord, settings: models.Settings,
               costs: dict[str, models.UnitCost]):
    """``text`` read as the case file reads ``target``'s field; Unreadable (a date: ValueError)
    if it cannot be."""
    typed = text.strip()
    field = target.field
    if field == "locality":
        return _locality(typed, record, settings)
    if field == "status":
        status = _STATUS_NAMES.get(" ".join(typed.lower().split()))
        if status is None:
            raise Unreadable(f"'{shown(typed)}' is not a status", f"use one of: {', '.join(_STATUS_NAMES)}")
        return status
    if field == "date":
        dates.parse(typed)  # not a date: ValueError, whose message repeats what was typed and lists the forms
        try:  # a date guided entry refuses (before cases.FIRST_DATE, or to come) could not even be written
            return answer_checks.parse_date(typed, not_after=datetime.date.today())
        except ValueError as error:
            raise Unreadable(str(error), f"give the day it happened, from {cases.FIRST_DATE:%Y-%m-%d} to today",
                             "implausible-date") from None
    if field == "reason":
        return closure_reason(typed)
    if field == "code":
        cost = cost_search.find_code(typed, costs)
        if cost is None:
            nearest = unit_costs.nearest_codes(typed, costs) if typed else []
            raise Unreadable(f"'{shown(typed)}' is not a code in the unit cost files",
                             f"did you mean {' or '.join(nearest)}?" if nearest else
                             "find one with `up2u-cba costs search WORDS`", "unknown-cost-code")
        # the code as the tables spell it: an older edition's code stays as written (a crosswalk
        # maps it when valuing; the case file keeps what the user entered)
        known = [*costs, *getattr(costs, "mapped", {})]  # (the tables' codes, and the older ones a crosswalk maps)
        return next((code for code in known if code.casefold() == typed.strip().casefold()), cost.code)
    if field in ("quantity", "years"):
        if field == "years" and not typed:
            return None  # the settings' benefit duration for the code
        noun = "quantity" if field == "quantity" else "number of years"
        try:
            return answer_checks.parse_positive(typed, noun, cases.LIMITS[field])
        except ValueError as error:
            raise Unreadable(f"'{shown(typed)}': {error}", f"e.g. {target}=2", "bad-number") from None
    if field in ("deadweight", "attribution"):
        return share(typed, field)
    if field == "confidence":
        grade = assumptions.evidence_grade(typed) if typed.strip() else ""
        if grade is None:
            raise Unreadable(f"'{shown(typed)}' is not an evidence grade",
                             f"use {assumptions.GRADE_RULE} (empty: the unit cost's RAG)")
        return grade
    return free_text(field, typed)


def _locality(typed: str, record: models.CaseRecord, settings: models.Settings) -> str:
    service = settings.service(record.service)
    localities = service.localities if service else ()
    for locality in localities:
        if locality.lower() == " ".join(typed.split()).lower():
            return locality
    raise Unreadable(f"'{shown(typed)}' is not a locality of {record.service}", f"use one of: {', '.join(localities)}",
                     "unknown-locality")


def closure_reason(typed: str) -> models.ClosureReason | None:
    """A closure reason by name (``no contact``, ``no_contact``, ``No-Contact``); None when empty."""
    if not typed:
        return None
    wanted = re.sub(r"[\s-]+", "_", typed.strip().lower())
    for reason in models.ClosureReason:
        if reason.value == wanted:
            return reason
    raise Unreadable(f"'{shown(typed)}' is not a closure reason",
                     f"use one of: {', '.join(reason.value.replace('_', ' ') for reason in models.ClosureReason)}",
                     "bad-reason")


def share(typed: str, field: str) -> Decimal | None:
    """A deadweight or attribution share: 0 to 1 (0.2), or a percentage (20%); None when empty."""
    if not typed:
        return None
    percent = typed.endswith("%")
    try:
        value = Decimal(typed.rstrip("%").strip())
        if not value.is_finite():
            raise decimal.InvalidOperation
    except decimal.InvalidOperation:
        raise Unreadable(f"'{shown(typed)}' is not a number", f"a share from 0 to 1, e.g. {field}=0.2 (or 20%)",
                         "bad-assumption") from None
    value = value / 100 if percent else value
    if not 0 <= value <= 1:
        raise Unreadable(f"'{shown(typed)}' is not a share from 0 to 1", f"e.g. {field}=0.2 (or 20%)", "bad-assumption")
    if cases.too_precise(value):  # (1e-999999 would be written out as a million digits)
        raise Unreadable(f"'{shown(typed)}' is a share of more than {cases.MAX_DECIMALS} decimal places",
                         f"round it: at most {cases.MAX_DECIMALS} places as a share (0.1235), "
                         f"{cases.MAX_DECIMALS - 2} as a percentage (12.35%)", "bad-assumption")
    return value.normalize() if value == value.to_integral_value() else value


def free_text(field: str, typed: str) -> str:
    """A note; never repeated in a message (it may be the personal data refused)."""
    refused = spreadsheet_text.message(field, typed)
    if refused:
        raise Unreadable(refused, spreadsheet_text.HINT, spreadsheet_text.CODE)
    for problem in case_files.text_problems("", field, field, typed):
        raise Unreadable(problem.message, problem.hint, problem.code)
    return typed


def _conflicts(amendments: list[Amendment], removed: list[Target], file: str) -> list[Problem]:
    """The same field set twice, or a field of an event or line that is also removed."""
    problems = []
    seen: set[Target] = set()
    for amendment in amendments:
        target = amendment.target
        if target in seen:
            problems.append(Problem(code="set-twice", file=file, where=f"--set {target}",
                                    message=f"{target} is set more than once", hint="set each field once"))
        seen.add(target)
        if target.table and target.entry in removed:
            problems.append(Problem(code="set-on-removed", file=file, where=f"--set {target}",
                                    message=f"{target.entry} is removed by --remove {target.entry}, so its "
                                            f"{target.field} cannot be set",
                                    hint="either remove it or correct it"))
    return list(dict.fromkeys(problems))


# --- applying --------------------------------------------------------------------------------


def apply(record: models.CaseRecord, amendments: list[Amendment], removed: list[Target]) -> models.CaseRecord:
    """``record`` with the (already read) amendments made and the events and lines removed; all
    numbers refer to ``record`` as given."""
    updates: dict[Target, dict] = {}
    locality = record.locality
    for amendment in amendments:
        if amendment.target.field == "locality":
            locality = amendment.value
        else:
            updates.setdefault(amendment.target.entry, {})[amendment.target.field] = amendment.value
    history = [changed_event(event, updates.get(Target("status", number), {}))
               for number, event in enumerate(record.history, start=1) if Target("status", number) not in removed]
    outcomes = [changed_line(outcome, updates.get(Target("outcomes", number), {}))
                for number, outcome in enumerate(record.outcomes, start=1) if Target("outcomes", number) not in removed]
    return record.model_copy(update={"locality": locality, "history": tuple(history), "outcomes": tuple(outcomes)})


def changed_event(event: models.StatusEvent, update: dict) -> models.StatusEvent:
    """``event`` with ``update`` made; a status changed from closed loses its closure reason and
    note (only a closed status has them) unless the update sets them."""
    update = dict(update)
    if update.get("status", models.Status.CLOSED) is not models.Status.CLOSED:
        update.setdefault("reason", None)
        update.setdefault("note", "")
    return event.model_copy(update=update) if update else event


def changed_line(outcome: models.OutcomeEntry, update: dict) -> models.OutcomeEntry:
    """``outcome`` with ``update`` made: years None means the settings' years; a changed figure
    drops the acknowledgement of the old one unless the update gives one."""
    update = dict(update)
    if "years" in update:
        years = update.pop("years")
        update["years"], update["years_stated"] = (Decimal(1), False) if years is None else (years, True)
    figures_changed = any(field in update and update[field] != getattr(outcome, field) for field in LINE_FIGURES)
    if figures_changed and "acknowledged" not in update:
        update["acknowledged"] = ""
    return outcome.model_copy(update=update) if update else outcome


# --- checking --------------------------------------------------------------------------------


def result_problems(old: models.CaseRecord, new: models.CaseRecord, settings: models.Settings,
                    costs: dict[str, models.UnitCost], series: deflators.DeflatorSeries) -> list[Problem]:
    """What ``validate`` would refuse in ``new`` (its case file as it would be written), and the
    warnings it would give that ``old`` did not: each edit of guided amend is checked so, and the
    options of ``case amend`` as a whole."""
    before = {(problem.code, problem.where, problem.message) for problem in case_problems(old, settings, costs, series)}
    return [problem for problem in case_problems(new, settings, costs, series)
            if not problem.warning or (problem.code, problem.where, problem.message) not in before]


def case_problems(record: models.CaseRecord, settings: models.Settings, costs: dict[str, models.UnitCost],
                  series: deflators.DeflatorSeries) -> list[Problem]:
    """Every problem ``validate`` finds in ``record`` written out as its case file."""
    _, found = cases.parse(record.file, tomllib.loads(case_files.render(record)))
    found += checks.check(settings, costs, series, [record]) + case_files.record_problems(record, record.file)
    unique: dict[tuple[str, str], Problem] = {}
    for problem in found:
        unique.setdefault((problem.code, problem.where), problem)
    return list(unique.values())


def _numbered_as_stored(problem: Problem, old: models.CaseRecord, removed: list[Target]) -> Problem:
    """``problem`` (found in the amended case) with its event or line numbered as in the stored
    case, as the options number them."""
    if not removed:
        return problem
    stored = {table: [number for number in range(1, len(entries) + 1) if Target(table, number) not in removed]
              for table, entries in (("status", old.history), ("outcomes", old.outcomes))}

    def renumber(match: re.Match) -> str:
        numbers = stored[match.group(1)]
        number = int(match.group(2))
        return f"{match.group(1)}[{numbers[number - 1] if number <= len(numbers) else number}]"

    def renumber_line(match: re.Match) -> str:
        numbers = stored["outcomes"]
        number = int(match.group(1))
        return f"line {numbers[number - 1] if number <= len(numbers) else number}"

    return problem.model_copy(update={"where": re.sub(r"(status|outcomes)\[(\d+)\]", renumber, problem.where),
                                      "message": re.sub(r"\bline (\d+)\b", renumber_line, problem.message)})


# --- the options that make a correction ------------------------------------------------------


Origins = dict[str, list[int]]
"""For each of ``status`` and ``outcomes``, the stored number (from 1) of each entry of a
corrected case, in its order: what guided amend keeps track of as events and lines are removed."""


def stored_numbers(record: models.CaseRecord) -> Origins:
    """The origins of a case not yet corrected: every entry is its own stored self."""
    return {"status": list(range(1, len(record.history) + 1)), "outcomes": list(range(1, len(record.outcomes) + 1))}


def after_edit(origins: Origins, before: models.CaseRecord, after: models.CaseRecord) -> Origins:
    """``origins`` once ``before`` became ``after`` by one edit: an entry removed drops its number."""
    found = {}
    for table, old, new in (("status", before.history, after.history), ("outcomes", before.outcomes, after.outcomes)):
        numbers = list(origins[table])
        if len(new) < len(old):  # one entry removed, nothing else changed: the first that differs
            gone = next((index for index, (was, now) in enumerate(zip(old, new)) if was != now), len(new))
            del numbers[gone]
        found[table] = numbers
    return found


def options_for(old: models.CaseRecord, new: models.CaseRecord, origins: Origins) -> list[str]:
    """The ``--set`` and ``--remove`` options that correct ``old`` into ``new`` (whose entries
    came from the stored ones that ``origins`` numbers), for a correction that could not be written."""
    options = []
    if new.locality != old.locality:
        options += ["--set", f"locality={new.locality}"]
    for table, stored, now in (("status", old.history, new.history), ("outcomes", old.outcomes, new.outcomes)):
        for number, entry_ in zip(origins[table], now):
            was = stored[number - 1]
            for field in (EVENT_FIELDS if table == "status" else LINE_FIELDS):
                if _option_value(was, field) != _option_value(entry_, field):
                    options += ["--set", f"{table}[{number}].{field}={_option_value(entry_, field)}"]
        options += [part for number in range(1, len(stored) + 1) if number not in origins[table]
                    for part in ("--remove", f"{table}[{number}]")]
    return options


def _option_value(entry_, field: str) -> str:
    """A field's value as ``--set`` takes it (empty for none, or for the settings' years)."""
    value = getattr(entry_, field)
    if field == "years" and not entry_.years_stated:
        return ""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return case_files.number(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)
