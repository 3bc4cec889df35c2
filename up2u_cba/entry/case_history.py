"""A stored case's history of changes: what changed between two versions of a case, and the
dated entry that records it.

Every write of a case file (created, updated, amended, withdrawn, restored, imported) appends one
``models.CaseChange`` to the case, and the case file keeps them as ``[[change]]`` tables after
its outcome lines. Entries are only ever appended (``case_files`` refuses a write that would
change or drop one).

What changed is written ``old -> new``, field by field, with lines and events numbered from 1
(``outcomes[2].quantity: 3 -> 2``). Free text (a description, an evidence note, a closure note,
an acknowledgement) is recorded as added, changed or removed, never with its wording, old or
new: the case holds the current wording, and the history, which is never rewritten, must not keep
a wording that a later correction takes out of the case (identifying text entered by mistake).
"""

from __future__ import annotations

import datetime
import difflib
import enum
import getpass
import unicodedata
from decimal import Decimal

import pydantic

import up2u_cba
from up2u_cba import models
from up2u_cba.entry import case_files
from up2u_cba.outputs import spreadsheet_text
from up2u_cba.problems import Problem

FREE_TEXT = {"description", "evidence", "adjustment_reason", "acknowledged", "note"}
"""Fields of a line or event whose old wording a change does not repeat."""


def new_change(kind: models.ChangeKind, settings: models.Settings, what: list[str] | tuple[str, ...] = (),
               reason: str = "", now: datetime.datetime | None = None) -> models.CaseChange:
    """The history entry for a change made now, by this version of the tool (and by this
    operating-system user, if the settings ask for it)."""
    made = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    return models.CaseChange(made=made.replace(microsecond=0), kind=kind, what=tuple(what), reason=reason.strip(),
                             tool=f"up2u-cba {up2u_cba.__version__}", user=_user() if settings.record_user else "")


def reason_problems(reason: str | None, where: str = "--reason", file: str = "",
                    example: str = "entered twice") -> list[Problem]:
    """Why the reason given for a change (recorded in the history) cannot be recorded: none
    given (``missing-reason``), too long, a character a workbook cannot hold, or what looks like
    personal data; located at ``where`` (``--reason``, or ``reason`` when asked at a terminal).
    The one check of every command that records a reason: amend, withdraw, restore, intake import."""
    text = (reason or "").strip()
    if not text:
        said = f'--reason "{example}"' if where == "--reason" else f'"{example}"'
        return [Problem(code="missing-reason", file=file, where=where,
                        message="no reason given for the change: it is recorded in the case's history",
                        hint=f"say why in a short note (no names), e.g. {said}")]
    refused = spreadsheet_text.problem(file, where, "reason", text)
    if refused:
        return [refused]
    hidden = next((char for char in text if char in "\t\n\r" or unicodedata.category(char) == "Cf"), None)
    if hidden is not None:  # a reason shown as a second history entry, or written right to left
        return [Problem(code="bad-reason", file=file, where=where,
                        message=f"the reason holds {_named(hidden)}; a reason is one line of plain text",
                        hint=f"say why in one short line, e.g. \"{example}\"")]
    return case_files.text_problems(file, where, "reason", text)


def _named(char: str) -> str:
    return {"\t": "a tab", "\n": "a line break", "\r": "a line break"}.get(
        char, f"U+{ord(char):04X} {unicodedata.name(char, 'an invisible formatting character').lower()}")


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in this environment
        return "unknown"


def with_change(record: models.CaseRecord, change: models.CaseChange) -> models.CaseRecord:
    """``record`` with ``change`` appended to its history."""
    return record.model_copy(update={"changes": (*record.changes, change)})


def differences(old: models.CaseRecord, new: models.CaseRecord) -> list[str]:
    """What changed from ``old`` to ``new``, one text per field, event or line. An event or
    line changed or removed is named by its number in ``old`` (as stored, as ``case amend``
    numbers it), a changed one with its number in ``new`` too where the two differ
    (``outcomes[2].quantity: 3 -> 2 (now line 1)`` beside ``outcomes[1] removed (...)``); one
    added by its number in ``new``, the only one it has."""
    what = [f"{field}: {_shown(getattr(old, field))} -> {_shown(getattr(new, field))}"
            for field in ("reference", "service", "locality") if getattr(old, field) != getattr(new, field)]
    what += _sequence_differences("status", old.history, new.history, _describe_event)
    what += _sequence_differences("outcomes", old.outcomes, new.outcomes, _describe_outcome)
    return what


def _sequence_differences(name: str, old: tuple, new: tuple, describe) -> list[str]:
    """Events or lines added, removed, changed and moved. Entries are aligned as a text
    comparison aligns lines, so removing line 2 reads as one removal, not as every later line
    changed; within a run of replaced entries, an entry is paired with one of the same code or
    status. Entries that the alignment leaves out of place (rows reordered in a workbook) read as
    moved, not as added and removed: one text gives the new order in the old numbers
    (``outcomes reordered: now 2, 1, 3 as numbered before``), then any changes of the moved ones."""
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    runs = [(list(range(old_start, old_end)), list(range(new_start, new_end)))
            for operation, old_start, old_end, new_start, new_end in opcodes if operation != "equal"]
    moves = _moved(runs, lambda old_index, new_index: old[old_index] == new[new_index])
    paired = [_paired_in_run(old_left, new_left, old, new) for old_left, new_left in runs]
    moves += _moved(runs, lambda old_index, new_index: _kind(old[old_index]) == _kind(new[new_index]))
    what: list[str] = []
    if moves:
        was = {new_index: old_index for pairs in (*paired, moves) for old_index, new_index in pairs}
        was.update({new_start + offset: old_start + offset for operation, old_start, old_end, new_start, _ in opcodes
                    if operation == "equal" for offset in range(old_end - old_start)})
        order = ", ".join(str(was[index] + 1) if index in was else "new" for index in range(len(new)))
        what.append(f"{name} reordered: now {order} as numbered before")
    for (old_left, new_left), pairs in zip(runs, paired):
        for old_index, new_index in sorted(pairs, key=lambda pair: pair[1]):
            what += _changed_entry(name, old_index, new_index, old[old_index], new[new_index])
        what += [f"{name}[{index + 1}] removed ({describe(old[index])})" for index in old_left]
        what += [f"{name}[{index + 1}] added ({describe(new[index])})" for index in new_left]
    for old_index, new_index in sorted(moves, key=lambda pair: pair[1]):
        what += _changed_entry(name, old_index, new_index, old[old_index], new[new_index])
    return what


def _paired_in_run(old_left: list[int], new_left: list[int], old: tuple, new: tuple) -> list[tuple[int, int]]:
    """Pair a run's replaced entries, taking them out of ``old_left`` and ``new_left``: each with
    one of the same code or status, then the rest in place if as many remain on each side (a
    line's code corrected, say)."""
    pairs = []
    for new_index in list(new_left):
        same = next((index for index in old_left if _kind(old[index]) == _kind(new[new_index])), None)
        if same is not None:
            pairs.append((same, new_index))
            old_left.remove(same)
            new_left.remove(new_index)
    if len(old_left) == len(new_left):
        pairs += list(zip(old_left, new_left))
        old_left.clear()
        new_left.clear()
    return pairs


def _moved(runs: list[tuple[list[int], list[int]]], matches) -> list[tuple[int, int]]:
    """Pair entries removed in one run with entries added in another that ``matches`` them (the
    same entry, or the same code or status), taking them out of the runs: entries moved."""
    moves = []
    for number, (_, new_left) in enumerate(runs):
        for new_index in list(new_left):
            found = next(((old_left, old_index) for other, (old_left, _) in enumerate(runs) if other != number
                          for old_index in old_left if matches(old_index, new_index)), None)
            if found is not None:
                found[0].remove(found[1])
                new_left.remove(new_index)
                moves.append((found[1], new_index))
    return moves


def _changed_entry(name: str, old_index: int, new_index: int, old_entry, new_entry) -> list[str]:
    """The fields changed in one event or line, named by its number as stored (in ``old``), and
    by its number in ``new`` too where that differs: ``outcomes[2].quantity: 3 -> 2 (now line 1)``."""
    now = "" if old_index == new_index else f" (now {'event' if name == 'status' else 'line'} {new_index + 1})"
    return [item + now for item in _field_differences(f"{name}[{old_index + 1}]", old_entry, new_entry)]


def _kind(entry) -> str:
    return entry.code if isinstance(entry, models.OutcomeEntry) else entry.status.value


def _field_differences(where: str, old: pydantic.BaseModel, new: pydantic.BaseModel) -> list[str]:
    what = []
    for field in type(new).model_fields:
        if field == "years_stated":
            continue
        before, after = getattr(old, field), getattr(new, field)
        if field == "years" and old.years_stated != new.years_stated:  # (said as it is, not quoted as text)
            what.append(f"{where}.years: {_years(old)} -> {_years(new)}")
            continue
        if before == after:
            continue
        if field in FREE_TEXT:  # never its wording: see the module's docstring
            what.append(f"{where}.{field}: {'changed' if before and after else 'added' if after else 'removed'}")
        else:
            what.append(f"{where}.{field}: {_shown(before)} -> {_shown(after)}")
    return what


def _years(outcome: models.OutcomeEntry) -> str:
    return _shown(outcome.years) if outcome.years_stated else "the settings' years"


def _describe_event(event: models.StatusEvent) -> str:
    reason = f", {event.reason.value.replace('_', ' ')}" if event.reason else ""
    return f"{event.status.value} on {event.date:%Y-%m-%d}{reason}"


def _describe_outcome(outcome: models.OutcomeEntry) -> str:
    shown = f"{outcome.code} x {_shown(outcome.quantity)}"
    if not outcome.years_stated:
        return shown
    years = _shown(outcome.years)
    return f"{shown} for {years} {'year' if years == '1' else 'years'}"


def _shown(value: object) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def withdrawal(record: models.CaseRecord) -> models.CaseChange | None:
    """The history entry that withdrew ``record`` (its latest withdrawal), or None if it is not
    withdrawn or its history does not say (a file marked ``withdrawn = true`` by hand)."""
    if not record.withdrawn:
        return None
    return next((change for change in reversed(record.changes) if change.kind is models.ChangeKind.WITHDRAWN), None)


def changed_since(records: list[models.CaseRecord], since: datetime.datetime) -> list[tuple[models.CaseRecord,
                                                                                          list[models.CaseChange]]]:
    """Each case changed after ``since`` (UTC when it names no zone), with the changes made
    after it, in reference order."""
    if since.tzinfo is None:
        since = since.replace(tzinfo=datetime.timezone.utc)
    found = []
    for record in sorted(records, key=lambda record: record.reference):
        later = [change for change in record.changes if _aware(change.made) > since]
        if later:
            found.append((record, later))
    return found


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
