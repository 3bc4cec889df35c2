"""Writing case records back to case files, safely, in the format ``cases`` reads.

A new case is written as the sample's case files are (``cases/BCP/BCP-0001.toml``): a leading
comment, ``reference``, ``service``, ``locality``, then each ``[[status]]`` and each
``[[outcomes]]`` table. An update never rewrites what is stored: it only appends status events
and outcome lines. A file in that canonical layout is re-laid-out with the new entries in
place (the old text is exactly reproducible from its data, so nothing is lost); any other file,
hand-edited with comments of its own, keeps every byte and gets the new tables appended. A file
that cannot take appended tables (its statuses written as an inline array, say) is laid out
again only if it has no comment beyond the leading one; otherwise the update is refused
(``would-lose-comments``) rather than lose the analyst's text.

A correction (``save_replacement``: amended, withdrawn, restored, re-imported) lays the whole case
out again, keeping its leading comment; a file with comments further down is refused the same way.
Every write appends an entry to the case's history of changes (``[[change]]`` tables at the end,
see ``case_history``), and no write may change or drop an entry already there.

Every write (``save_new``, ``save_update``, ``save_replacement``):

1. takes the write lock of the cases folder and of the folder the file is in (``write_locks``),
   so two people saving at once are served one at a time, whether each named the cases folder
   or a service folder inside it as ``--cases``;
2. checks the reference is still free (new) or the file is still as it was read (otherwise);
3. writes the text to a temporary file beside the target, fsynced;
4. reads that file back with ``cases.load_file`` and runs ``checks.check`` on it (the checks
   ``validate`` runs) and the personal-data guard; on any problem nothing is written;
5. renames it into place (a new case: only if the name is still free).
"""

from __future__ import annotations

import collections
import datetime
import difflib
import os
import re
import tomllib
from decimal import Decimal

from up2u_cba import models, storage
from up2u_cba.inputs import cases, deflators, input_files, privacy, reference_examples
from up2u_cba.method import checks
from up2u_cba import problems as problems_
from up2u_cba.problems import Problem

NEW_CASE_COMMENT = (
    "# Case record for up2u-cba. Pseudonymised: no names, dates of birth, addresses or narrative.",
)


# --- text ------------------------------------------------------------------------------------


def render(record: models.CaseRecord, comment: tuple[str, ...] | list[str] = NEW_CASE_COMMENT) -> str:
    """The case file text of ``record``, laid out as the sample's case files are."""
    lines = [*comment,
             f"reference = {_string(record.reference)}",
             f"service = {_string(record.service)}",
             f"locality = {_string(record.locality)}"]
    if record.withdrawn:
        lines.append("withdrawn = true")
    for event in record.history:
        lines.extend(["", *_status_table(event)])
    for outcome in record.outcomes:
        lines.extend(["", *_outcome_table(outcome)])
    for change in record.changes:
        lines.extend(["", *_change_table(change)])
    return "\n".join(lines) + "\n"


def _status_table(event: models.StatusEvent) -> list[str]:
    lines = ["[[status]]", f"status = {_string(event.status.value)}", f"date = {event.date:%Y-%m-%d}"]
    if event.reason is not None:
        lines.append(f"reason = {_string(event.reason.value)}")
    if event.note:
        lines.append(f"note = {_string(event.note)}")
    return lines


def _outcome_table(outcome: models.OutcomeEntry) -> list[str]:
    lines = ["[[outcomes]]", f"code = {_string(outcome.code)}", f"quantity = {number(outcome.quantity)}"]
    if outcome.years_stated:  # a line without years takes the settings' benefit duration
        lines.append(f"years = {number(outcome.years)}")
    if outcome.description:
        lines.append(f"description = {_string(outcome.description)}")
    if outcome.evidence:
        lines.append(f"evidence = {_string(outcome.evidence)}")
    # Any further field of an outcome line (Green Book adjustments...), when it is set.
    for name, field in type(outcome).model_fields.items():
        if name in _WRITTEN_ABOVE:
            continue
        value = getattr(outcome, name)
        if value is None or value == field.default:
            continue
        if name == "confidence" and value.isdigit():  # a grade 1-6 as the README writes it: confidence = 4
            value = int(value)
        lines.append(f"{name} = {_value(value)}")
    return lines


_WRITTEN_ABOVE = {"code", "quantity", "years", "years_stated", "description", "evidence"}


def _change_table(change: models.CaseChange) -> list[str]:
    """One entry of the history of changes, written to be read by a person as well as the tool."""
    made = change.made.astimezone(datetime.timezone.utc) if change.made.tzinfo else change.made
    lines = ["[[change]]", f"made = {made:%Y-%m-%dT%H:%M:%S}{'Z' if made.tzinfo else ''}",
             f"kind = {_string(change.kind.value)}"]
    if change.reason:
        lines.append(f"reason = {_string(change.reason)}")
    if change.what:
        lines.append("what = [")
        lines.extend(f"    {_string(item)}," for item in change.what)
        lines.append("]")
    lines.append(f"tool = {_string(change.tool)}")
    if change.user:
        lines.append(f"user = {_string(change.user)}")
    return lines


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot write {type(value).__name__} to a case file")


def number(value: Decimal) -> str:
    """A quantity as TOML writes it: 2, 0.5 (never 2.00 or 5E+1)."""
    return format(value.normalize(), "f")


def years_text(years: Decimal) -> str:
    """A line's years as a sentence says them: 1 year, 2 years, 0.5 years."""
    return f"{number(years)} {'year' if years == 1 else 'years'}"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(text: str) -> str:
    """A TOML basic string."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def leading_comment(text: str) -> list[str]:
    """The comment lines at the top of a case file."""
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment.append(line)
    return comment


def updated_text(old_text: str, old: models.CaseRecord, new: models.CaseRecord) -> str | None:
    """The file text after appending ``new``'s extra events and outcomes to ``old``'s file;
    None if that cannot be done without losing a comment of the old file.

    ``new`` must be ``old`` with entries appended (``appended`` checks it). A byte-order mark
    (Notepad's "UTF-8 with BOM") is dropped: the file validated without it, and kept it would
    hide the leading comment and fail the read-back."""
    old_text = old_text.removeprefix("\ufeff")
    comment = leading_comment(old_text)
    if render(old, comment) == old_text:
        return render(new, comment)
    added_events = new.history[len(old.history):]
    added_outcomes = new.outcomes[len(old.outcomes):]
    added_changes = new.changes[len(old.changes):]
    text = old_text if old_text.endswith("\n") else old_text + "\n"
    for event in added_events:
        text += "\n" + "\n".join(_status_table(event)) + "\n"
    for outcome in added_outcomes:
        text += "\n" + "\n".join(_outcome_table(outcome)) + "\n"
    for change in added_changes:
        text += "\n" + "\n".join(_change_table(change)) + "\n"
    if same_case(_parse_text(text), new):
        return text
    # The appended tables do not read back as intended (e.g. the file writes its statuses as
    # an inline array): lay the whole case out again, keeping its leading comment, unless
    # that would drop a comment further down.
    if has_comment(old_text.splitlines(keepends=True)[len(comment):]):
        return None
    return render(new, comment)


def read_stored(path: str) -> tuple[str | None, Problem | None]:
    """The text of the stored case file at ``path``, read as every input is (``input_files``: a
    regular file within its bound, so a file swapped for a pipe cannot hang the command), with
    its line ends as Python's text mode reads them."""
    text, problem = input_files.read_text(path, input_files.CASE)
    if text is None:
        return None, problem
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def would_lose_comments(path: str, what: str = "") -> Problem:
    """The problem when the file at ``path`` cannot take a change without losing a comment: new
    entries appended (``updated_text``), or ``what`` (a corrected case) laid out again."""
    message = (f"{what} must be laid out again, and this hand-edited file has comments below its top"
               if what else
               "new entries cannot be added after this hand-edited file's text (its statuses or outcomes are "
               "written as an inline array), and laying it out again would lose its comments")
    return Problem(code="would-lose-comments", file=path, message=message,
                   hint="write them as [[status]] and [[outcomes]] tables, as the README shows, "
                        "or move the comments to the top of the file")


def has_comment(lines: list[str]) -> bool:
    """True if the TOML ``lines`` hold a comment: a # outside any string."""
    text = "".join(lines)
    position = 0
    while position < len(text):
        char = text[position]
        if char == "#":
            return True
        if text.startswith(('"""', "'''"), position):
            end = text.find(text[position:position + 3], position + 3)
            position = len(text) if end < 0 else end + 3
            continue
        if char in "\"'":
            position += 1
            while position < len(text) and text[position] not in (char, "\n"):
                position += 2 if char == '"' and text[position] == "\\" else 1
        position += 1
    return False


def appended(old: models.CaseRecord, new: models.CaseRecord) -> bool:
    """True if ``new`` is ``old`` with events, outcomes and changes only added at the end."""
    return (new.reference == old.reference and new.service == old.service and new.locality == old.locality
            and new.withdrawn == old.withdrawn and new.history[:len(old.history)] == old.history
            and new.outcomes[:len(old.outcomes)] == old.outcomes and new.changes[:len(old.changes)] == old.changes)


def _parse_text(text: str) -> models.CaseRecord | None:
    try:
        record, problems = cases.parse("", tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        return None
    return record


def same_case(a: models.CaseRecord | None, b: models.CaseRecord | None) -> bool:
    """True if ``a`` and ``b`` are the same case, wherever each is stored."""
    if a is None or b is None:
        return False
    return a.model_copy(update={"file": ""}) == b.model_copy(update={"file": ""})


# --- references ------------------------------------------------------------------------------


def known_references(folder: str) -> dict[str, str]:
    """Every reference in use below ``folder`` (upper-cased) and the file using it: each case
    file's ``reference`` and, for files that cannot be read, the file's own name."""
    found: dict[str, str] = {}
    if not os.path.isdir(folder):
        return found
    for path in cases.case_files(folder):
        stem = os.path.splitext(os.path.basename(path))[0]
        found.setdefault(stem.upper(), path)
        data, _ = input_files.read_toml(path, input_files.CASE)  # (a FIFO or device is never opened)
        reference = data.get("reference") if data is not None else None
        if isinstance(reference, str) and reference.strip():
            found.setdefault(reference.strip().upper(), path)
    return found


def next_reference(service: models.ServiceSettings, taken: set[str] | dict[str, str]) -> str | None:
    """The next free reference of ``service``: one more than the highest in use (BCP-0071 after
    BCP-0070), in the service's ``reference_pattern``; None if the pattern gives no way to tell."""
    taken_upper = {reference.upper() for reference in taken}
    pattern = service.reference_pattern
    simple = reference_examples.simple(pattern)
    if simple:
        prefix, width = simple
    else:
        prefix, width = _prefix_from_references(service, taken_upper)
        if prefix is None:
            return None
    numbers = [int(reference[len(prefix):]) for reference in taken_upper
               if reference.startswith(prefix.upper()) and reference[len(prefix):].isdigit()]
    start = max(numbers, default=0) + 1
    for candidate_number in [start, *range(1, start)]:
        candidate = f"{prefix}{candidate_number:0{width}d}"
        if candidate.upper() in taken_upper:
            continue
        if pattern and not re.fullmatch(pattern, candidate):
            continue
        return candidate
    return None


def _prefix_from_references(service: models.ServiceSettings, taken: set[str]) -> tuple[str | None, int]:
    """For a pattern too clever to read: the prefix and digit width of the service's references."""
    shapes = collections.Counter()
    for reference in taken:
        match = re.fullmatch(r"(.*?)(\d+)", reference)
        if match and (not service.reference_pattern or re.fullmatch(service.reference_pattern, reference)):
            shapes[(match.group(1), len(match.group(2)))] += 1
    if not shapes:
        return None, 0
    (prefix, width), _ = shapes.most_common(1)[0]
    return prefix, width


def nearest_references(reference: str, references: list[str], count: int = 3) -> list[str]:
    """The references in use nearest to ``reference``, a reference that is not: those of the
    same prefix nearest in number (BCP-0063, BCP-0062, BCP-0061 for BCP-0071), else the most
    alike as text (for a slip such as BCP-OO11)."""
    shape = re.fullmatch(r"(.*?)(\d+)", reference.strip())
    if shape:
        prefix, target = shape.group(1).upper(), int(shape.group(2))
        numbered = []
        for known in references:
            match = re.fullmatch(r"(.*?)(\d+)", known)
            if match and match.group(1).upper() == prefix:
                numbered.append((abs(int(match.group(2)) - target), int(match.group(2)), known))
        if numbered:
            return [known for *_, known in sorted(numbered)[:count]]
    by_upper = {known.upper(): known for known in references}
    return [by_upper[close] for close in difflib.get_close_matches(reference.strip().upper(), list(by_upper), n=count)]


def unknown_reference_hint(reference: str, references: list[str]) -> str:
    """What to say when no case has ``reference``: the nearest references in use, and where to
    see them all."""
    nearest = nearest_references(reference, references)
    listing = "see every case with `up2u-cba case list`"
    return f"the nearest references in use are {', '.join(nearest)}; {listing}" if nearest else listing


def reference_problem(reference: str, service: models.ServiceSettings, references=()) -> str | None:
    """Why ``reference`` cannot be a reference of ``service``, or None. ``references``: those
    already in use, for an example when the service's pattern is too clever to make one."""
    if len(reference) > cases.REFERENCE_LIMIT:  # what validate refuses (``cases.parse``)
        return f"a reference is at most {cases.REFERENCE_LIMIT} characters (it is also the file name)"
    if not cases.SAFE_REFERENCE.fullmatch(reference):
        return "a reference is letters, digits and dashes only (it is also the file name)"
    refused = privacy.check_reference(reference)  # even when the service's pattern allows it
    if refused or (service.reference_pattern and not re.fullmatch(service.reference_pattern, reference)):
        shape = reference_examples.shape(service, references)
        return f"{refused}; {shape}" if refused else shape
    return None


def new_case_path(cases_folder: str, service: str, records: list[models.CaseRecord], reference: str) -> str:
    """Where a new case of ``service`` goes: beside most of the service's cases, else in
    ``CASES/SERVICE/``, named after its reference."""
    folders = collections.Counter(os.path.dirname(record.file) for record in records
                                  if record.service == service and record.file)
    folder = folders.most_common(1)[0][0] if folders else os.path.join(cases_folder, service)
    return os.path.join(folder, f"{reference}.toml")


# --- checks ----------------------------------------------------------------------------------


def text_problems(file: str, where: str, field: str, text: str) -> list[Problem]:
    """Problems with a description or evidence note: too long, or looks like personal data."""
    problems = []
    if len(text) > cases.TEXT_LIMIT:
        problems.append(Problem(code="text-too-long", file=file, where=where,
                                message=f"{field} is {problems_.counted(len(text), 'character')} long",
                                hint=f"keep it under {cases.TEXT_LIMIT} characters: a short note, never a narrative"))
    # (text refused as too long is not searched as well: 20 MB pasted into a cell takes a minute)
    refused = privacy.check(field, text) if len(text) <= cases.TEXT_LIMIT else None
    if refused:
        problems.append(Problem(code="personal-data", file=file, where=where, message=refused, hint=privacy.HINT))
    return problems


def record_problems(record: models.CaseRecord, file: str) -> list[Problem]:
    """The personal-data and length checks on every free-text field of a case."""
    problems = []
    for number_, outcome in enumerate(record.outcomes, start=1):
        for field in cases.FREE_TEXT:
            problems.extend(text_problems(file, f"outcomes[{number_}].{field}", field, getattr(outcome, field)))
    for number_, event in enumerate(record.history, start=1):
        problems.extend(text_problems(file, f"status[{number_}].note", "note", event.note))
    return problems


def verify_file(
    path: str,
    shown_as: str,
    intended: models.CaseRecord,
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
) -> list[Problem]:
    """Read a written case file back and run the checks ``validate`` runs on it. Problems name
    ``shown_as`` (the file's final name), not the temporary file."""
    record, problems = cases.load_file(path)
    if record is not None:
        problems = problems_.errors(checks.check(settings, costs, series, [record])) + record_problems(record, path)
        if not problems and not same_case(record, intended):
            problems = [Problem(code="write-mismatch", file=path,
                                message="the file written does not read back as the case entered",
                                hint="this is a bug in up2u-cba: please report it")]
    unique: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        moved = problem.model_copy(update={"file": shown_as if problem.file == path else problem.file})
        unique.setdefault((moved.code, moved.where), moved)
    return list(unique.values())


# --- saving ----------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("refused")
        self.problems = problems


def save_new(
    record: models.CaseRecord,
    path: str,
    cases_folder: str,
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    comment: tuple[str, ...] | list[str] = NEW_CASE_COMMENT,
) -> list[Problem]:
    """Write a new case file at ``path``; return problems (then nothing was written).

    ``reference-taken`` means someone else has used the reference since it was offered; ask
    ``next_reference`` for another."""
    try:
        with write_locks(cases_folder, path):
            in_use = known_references(cases_folder)
            if record.reference.upper() in in_use or os.path.exists(path):
                return [Problem(code="reference-taken", file=in_use.get(record.reference.upper(), path),
                                where="reference", message=f"{record.reference} is already used by another case",
                                hint="choose the next free reference")]
            try:
                _write(path, render(record, comment), record, settings, costs, series, exclusive=True)
            except _Refused as refused:
                return refused.problems
            except FileExistsError:
                return [Problem(code="reference-taken", file=path, where="reference",
                                message=f"{record.reference} was taken while saving",
                                hint="choose the next free reference")]
    except (storage.WriteFailed, storage.LockTimeout) as error:  # disk full, read-only, held by another run
        return [error.problem]
    return []


def save_update(
    old: models.CaseRecord,
    old_text: str,
    new: models.CaseRecord,
    cases_folder: str,
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
) -> list[Problem]:
    """Append ``new``'s extra events, outcomes and history entries to ``old``'s file (read as
    ``old_text``); return problems (then nothing was written)."""
    path = old.file
    if not appended(old, new):
        return [Problem(code="history-rewritten", file=path,
                        message="an update may only add status events and outcome lines at the end",
                        hint="to correct what is stored, use `up2u-cba case amend`")]
    text = updated_text(old_text, old, new)
    if text is None:
        return [would_lose_comments(path)]
    return _save_over(old, old_text, text, new, cases_folder, settings, costs, series)


def save_replacement(
    old: models.CaseRecord,
    old_text: str,
    new: models.CaseRecord,
    cases_folder: str,
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
) -> list[Problem]:
    """Write ``new`` over ``old``'s file (read as ``old_text``): a correction, a withdrawal, a
    restoration or a re-imported version. ``new`` keeps ``old``'s reference and every entry of
    its history, and adds at least one; return problems (then nothing was written)."""
    path = old.file
    if new.reference != old.reference or new.changes[:len(old.changes)] != old.changes \
            or len(new.changes) <= len(old.changes):
        return [Problem(code="history-rewritten", file=path,
                        message="a correction keeps the case's reference and its history, and adds to the history",
                        hint="this is a bug in up2u-cba: please report it")]
    text = replacement_text(old_text, old, new)
    if text is None:
        return [would_lose_comments(path, "the corrected case")]
    return _save_over(old, old_text, text, new, cases_folder, settings, costs, series)


def replacement_text(old_text: str, old: models.CaseRecord, new: models.CaseRecord) -> str | None:
    """The file text of ``new`` written over ``old``'s file (read as ``old_text``): laid out
    again, keeping the leading comment; None if the file has comments further down, which laying
    it out again would lose."""
    old_text = old_text.removeprefix("\ufeff")
    kept = _withdrawal_text(old_text, old, new)
    if kept is not None:
        return kept
    comment = leading_comment(old_text)
    if render(old, comment) != old_text and has_comment(old_text.splitlines(keepends=True)[len(comment):]):
        return None
    return render(new, comment)


_WITHDRAWN_LINE = re.compile(r"[ \t]*withdrawn[ \t]*=[ \t]*true[ \t]*(#[^\n]*)?\n?")


def _withdrawal_text(old_text: str, old: models.CaseRecord, new: models.CaseRecord) -> str | None:
    """``old``'s file with only its withdrawal flag changed and history entries appended, every
    other byte kept (so a hand-edited file's comments stay, and a withdrawal is never refused for
    them); None when more than that changed, or the edit does not read back as ``new``."""
    if new.model_copy(update={"withdrawn": old.withdrawn, "changes": old.changes}) != old \
            or new.withdrawn == old.withdrawn:
        return None
    lines = old_text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    first_table = next((index for index, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    if new.withdrawn:  # after the last key above the first table, as a new file has it
        last_key = max((index for index in range(first_table) if lines[index].strip()), default=-1)
        top = lines[:last_key + 1] + ["withdrawn = true\n"] + lines[last_key + 1:first_table]
    else:
        top = [line for line in lines[:first_table] if not _WITHDRAWN_LINE.fullmatch(line)]
    text = "".join(top + lines[first_table:])
    for change in new.changes[len(old.changes):]:
        text += "\n" + "\n".join(_change_table(change)) + "\n"
    return text if same_case(_parse_text(text), new) else None


def _save_over(old, old_text, text, new, cases_folder, settings, costs, series) -> list[Problem]:
    """Write ``text`` (the case ``new``) over ``old``'s file, if the file is still as it was read."""
    path = old.file
    try:
        with write_locks(cases_folder, path):
            current, problem = read_stored(path)
            if problem is not None:
                return [problem]
            # the file as it was read AND the case the change was made to: a run that read the
            # case, then its text after another run had saved (two reads), would otherwise lay the
            # case out again from its stale record and erase the other run's change
            if current.removeprefix("\ufeff") != old_text.removeprefix("\ufeff") \
                    or not same_case(_parse_text(old_text.removeprefix("\ufeff")), old):
                return [Problem(code="case-changed", file=path,
                                message=f"{old.reference} was changed by someone else while you were entering",
                                hint="nothing was written; run the command again to start from the new version")]
            try:
                _write(path, text, new, settings, costs, series, exclusive=False)
            except _Refused as refused:
                return refused.problems
    except (storage.WriteFailed, storage.LockTimeout) as error:  # disk full, read-only, held by another run
        return [error.problem]
    return []


def write_locks(cases_folder: str, path: str):
    """The write locks held while the case file ``path`` is checked and written: the cases
    folder's, and that of the folder the file is in. Runs may name different folders as the
    cases folder (``cases``, or the service folder ``cases/BCP``), and so lock different files;
    the folder holding the case is the one lock they all share."""
    return storage.folder_locks([cases_folder, os.path.dirname(os.path.abspath(path))])


def _write(path, text, record, settings, costs, series, exclusive: bool) -> None:
    """Write through a verified temporary file; raise _Refused with the problems found, and
    storage.WriteFailed if the disk will not take it."""
    with storage.writing(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def verify(temporary: str) -> None:
        problems = verify_file(temporary, path, record.model_copy(update={"file": path}), settings, costs, series)
        if problems:
            raise _Refused(problems)

    if exclusive:
        storage.create_exclusive(path, text, verify=verify)
    else:
        storage.write_atomic(path, text, verify=verify)
