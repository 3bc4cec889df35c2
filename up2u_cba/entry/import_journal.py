"""Storing a batch of case files all or none, even when the process is killed part-way.

An intake import writes many case files; a kill, Ctrl-C or full disk between two of them must
not leave some stored and some not. The protocol, run under the cases folder's write lock:

1. **Stage.** Every new or updated case file is written to the staging folder
   ``CASES/.import-staging/`` (``00001.case``, ...), fsynced and checked; an update's current
   content is copied beside it (``00001.old``); then the staging folder is fsynced. The case loader skips dot-folders and these
   names do not end in ``.toml``, so nothing staged is ever read as a case.
2. **Commit.** The journal ``.import-staging/journal.json`` is written atomically (a fsynced
   temporary file renamed into place): every target path, its staged file, the sha256 of its
   final content and, for an update, of its old content. Once the journal exists the import
   is decided: it will be finished.
3. **Apply.** Each staged file is renamed over its target (``os.replace``: atomic), and the
   target folders are fsynced. From the staging comparison to here the write lock of every
   target's folder is held too (``target_locks``), so a run that named a service folder as its
   cases folder cannot write a target in between.
4. **Clean up.** The backups, then the journal, then the staging folder are removed.

Recovery (``recover``, by the next run that writes the cases folder, under the lock):

- a staging folder without a journal: the import stopped before it was decided and no target
  was touched, so the staging folder is removed (**rolled back**: nothing of it is stored);
- a journal: each target holding its final content is done; each other one whose staged file
  is present with the journal's sha256, and whose target still holds the old content (or is
  absent, for a new case), is renamed into place (**rolled forward**: all of it is stored). If
  any target cannot be finished that way (its staged file is damaged, or the target was
  changed by hand meanwhile), the targets already done are put back from the backups and new
  ones removed instead (**rolled back**), so that still none or all are stored.

``pending`` says, without changing anything, what ``recover`` will do: ``validate`` reports it
as an ``interrupted-import`` problem.

The journal is not trusted: anyone who can write the cases folder can plant one. Before it acts
on one, recovery checks that every entry names a ``.toml`` case file inside the cases folder
(its real path: no ``..``, no link out of the folder, no dot-folder, not a link or anything but a
plain file), a ``shown`` name that is that file, and staged and backup files that are plain
names in the staging folder (``00001.case``, ``00001.old``); any other journal is refused as a
``bad-import-journal`` problem and nothing is touched. Undoing removes only a target the import
created (no old content, its staged file moved into place) that still holds what was written,
and puts back only a target that still holds what was written. Every file recovery reads must
be a plain file of bounded size (a FIFO or a link is never opened through).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import re
import shutil
import stat
import unicodedata
from typing import Callable

from up2u_cba import storage
from up2u_cba.inputs import input_files
from up2u_cba.problems import Problem, counted

STAGING = ".import-staging"
"""The staging folder, inside the cases folder."""
JOURNAL = "journal.json"
"""The journal, inside the staging folder."""
RECOVERED_BY = "the next command that writes cases (`intake import`, `case new`, `update`, `amend`, `withdraw` or `restore`)"
JOURNAL_LIMIT = 64 * input_files.MB
"""The largest journal read: about 150,000 entries, more than the intake workbook's rows."""
STAGED_NAME = re.compile(r"[0-9]{1,9}\.case")
BACKUP_NAME = re.compile(r"[0-9]{1,9}\.old")
DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class CaseFile:
    """One file of a batch: its final text, and for an update the text it replaces."""

    target: str
    text: str
    old_text: str | None = None
    """None for a new file (whose name must be free)."""


@dataclasses.dataclass(frozen=True)
class Recovery:
    """What was done about an interrupted import."""

    finished: bool
    """True: rolled forward (every file of the import stored); False: rolled back (none)."""
    workbook: str
    started: str
    targets: tuple[str, ...]
    stored_before: tuple[str, ...]
    """The files that held the import's content when it was found interrupted."""
    reason: str = ""
    """Why it was rolled back."""
    empty: bool = False
    """Its working folder held nothing: it was stopped as it began or as it finished cleaning up,
    so nothing of it was half-written."""

    def describe(self) -> list[str]:
        """What happened, in lines to print."""
        if self.empty:
            return ["An intake import was interrupted as it began or as it finished: nothing of it was "
                    "half-written, and its empty working folder was removed."]
        if not self.targets:  # it stopped before its journal was written
            return ["An intake import was interrupted before it stored anything.",
                    f"Undid it (rolled back): {self.reason}. Import the workbook again to store its cases."]
        count = len(self.stored_before)
        lines = [f"An intake import of {self.workbook} (started {self.started}) was interrupted: {count} of "
                 f"{counted(len(self.targets), 'case file')} had been written" + (":" if count else ".")]
        lines.extend(f"  {path}" for path in self.stored_before)
        if self.finished:
            lines.append(f"Finished it (rolled forward): all {counted(len(self.targets), 'case file')} of that import "
                         f"{'is' if len(self.targets) == 1 else 'are'} now stored.")
        else:
            lines.append(f"Undid it (rolled back){': ' + self.reason if self.reason else ''}; none of that "
                         "import's cases are stored. Import the workbook again to store them.")
        return lines


ALL, NONE, PENDING = "all", "none", "pending"
"""How much of an interrupted batch is stored once settled: all, none, or (the disk or a second
Ctrl-C would not let it settle) left for the next run to finish or undo."""


class Stopped(KeyboardInterrupt):
    """Ctrl-C during a batch, settled first: ``stored`` is ALL, NONE or PENDING."""

    def __init__(self, stored: str):
        super().__init__("stopped")
        self.stored = stored


def staging_folder(cases_folder: str) -> str:
    return os.path.join(cases_folder, STAGING)


def interrupted(cases_folder: str) -> bool:
    """True if an import into ``cases_folder`` was interrupted (and not yet recovered)."""
    return os.path.isdir(staging_folder(cases_folder))


# --- storing a batch -------------------------------------------------------------------------


def target_locks(cases_folder: str, targets):
    """The write locks held while the case files ``targets`` are compared and written: the cases
    folder's and that of every folder a target is in. Another run may have named a service
    folder inside this cases folder as its cases folder, and locks only that (and the folder of
    the file it writes): the folder holding a case is the lock every run writing it shares."""
    return storage.folder_locks([cases_folder, *(os.path.dirname(os.path.abspath(target)) for target in targets)])


def store_all(cases_folder: str, workbook: str, files: list[CaseFile],
              verify: Callable[[str, CaseFile], list[Problem]]) -> list[Problem]:
    """Store every file of ``files`` or none, holding ``target_locks`` from the staging
    comparison to the last rename. ``verify`` checks each staged file (its path, and the file
    meant); any problem, or any failed write, stores nothing and is returned. Ctrl-C settles the
    batch (none or all) and raises ``Stopped``."""
    with target_locks(cases_folder, [file.target for file in files]):
        return _store_all(cases_folder, workbook, files, verify)


def _store_all(cases_folder: str, workbook: str, files: list[CaseFile], verify) -> list[Problem]:
    staging = staging_folder(cases_folder)
    if os.path.lexists(staging):
        return _pending_problems(cases_folder)
    decided = False
    try:
        problems = _stage(staging, files, verify)
        if problems:
            _remove_staging(staging)
            return problems
        entries = [_entry(staging, number, file) for number, file in enumerate(files, start=1)]
        journal = {"workbook": workbook, "started": datetime.datetime.now().isoformat(sep=" ", timespec="seconds"),
                   "entries": entries}
        storage.write_atomic(os.path.join(staging, JOURNAL), json.dumps(journal, indent=1))
        decided = True
        _apply(staging, entries)
        _clean_up(staging, cases_folder)
        return []
    except KeyboardInterrupt:
        stored = _settle(cases_folder, staging, decided)
        raise Stopped(stored) from None
    except OSError as error:
        stored = _settle(cases_folder, staging, decided)
        if stored == ALL:
            return []
        return [_write_problem(error, staging)] + (_pending_problems(cases_folder) if stored == PENDING else [])


def _stage(staging: str, files: list[CaseFile], verify) -> list[Problem]:
    os.makedirs(staging)
    problems = _other_disks(staging, files) or _unsafe_targets(os.path.dirname(staging), files)
    if problems:
        return problems
    for number, file in enumerate(files, start=1):
        if file.old_text is None and os.path.lexists(file.target):
            problems.append(Problem(code="reference-taken", file=file.target, where="reference",
                                    message="a case file of this name was stored meanwhile",
                                    hint="nothing was written; import the workbook again"))
            continue
        if file.old_text is not None:
            stored = _read(file.target)
            if stored is None or _as_text(stored) != file.old_text:
                problems.append(Problem(code="case-changed", file=file.target,
                                        message="the case file was changed by someone else during the import",
                                        hint="nothing was written; import the workbook again"))
                continue
            _write_staged(os.path.join(staging, f"{number:05d}.old"), stored)  # its exact bytes, to put back
        staged = os.path.join(staging, f"{number:05d}.case")
        _write_staged(staged, file.text)
        problems.extend(verify(staged, file))
    storage.sync_folder(staging)
    return problems


def _other_disks(staging: str, files: list[CaseFile]) -> list[Problem]:
    """A problem for each target folder on another disk than the staging folder (a linked
    folder): a file cannot be renamed across disks, so it could not be stored with the rest."""
    disk = os.stat(staging).st_dev
    problems = []
    for folder in sorted({os.path.dirname(os.path.abspath(file.target)) for file in files}):
        existing = folder
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if os.stat(existing).st_dev != disk:
            problems.append(Problem(code="other-disk", file=folder,
                                    message="this case folder is on another disk than the cases folder, so an "
                                            "import cannot store its cases together with the others",
                                    hint="move the folder itself into the cases folder (not a link to it)"))
    return problems


def _unsafe_targets(cases_folder: str, files: list[CaseFile]) -> list[Problem]:
    """A problem for each target that recovery would refuse to write (a folder linked from
    outside the cases folder, a case file that is a link): an interrupted import could then
    be neither finished nor undone."""
    problems = []
    for file in files:
        fault = _target_fault(cases_folder, os.path.abspath(file.target))
        if fault:
            problems.append(Problem(code="outside-cases-folder", file=file.target,
                                    message=f"an import stores only plain case files inside the cases folder: {fault}",
                                    hint="move the folder itself into the cases folder (not a link to it), "
                                         "or replace the linked file by a copy"))
    return problems


def _write_staged(path: str, content: str | bytes) -> None:
    """Write a staged file (text as UTF-8 with newlines, or exact bytes) and flush it to disk. (No
    temporary file and rename: until the journal names it with its sha256, a staged file is only
    ever removed.)"""
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    with storage.writing(path), open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _entry(staging: str, number: int, file: CaseFile) -> dict:
    backup = None if file.old_text is None else f"{number:05d}.old"
    return {"target": os.path.abspath(file.target), "shown": file.target, "staged": f"{number:05d}.case",
            "sha256": _sha(file.text.encode("utf-8")),
            "old_sha256": None if backup is None else _sha(_read(os.path.join(staging, backup)) or b""),
            "backup": backup}


def _apply(staging: str, entries: list[dict]) -> None:
    """Rename every staged file whose target does not yet hold it into place; fsync the folders."""
    folders = set()
    for entry in entries:
        staged = os.path.join(staging, entry["staged"])
        if os.path.exists(staged):
            os.makedirs(os.path.dirname(entry["target"]), exist_ok=True)
            os.replace(staged, entry["target"])
        folders.add(os.path.dirname(entry["target"]))
    for folder in sorted(folders):
        storage.sync_folder(folder)


def _clean_up(staging: str, cases_folder: str) -> None:
    """Remove the staging folder: its other files first, the journal last, so that a staging
    folder without a journal always means an import that stored nothing."""
    for name in sorted(os.listdir(staging)):
        path = os.path.join(staging, name)
        if name == JOURNAL:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            _remove(path)
    storage.sync_folder(staging)
    _remove(os.path.join(staging, JOURNAL))
    storage.sync_folder(staging)
    _remove_staging(staging)
    storage.sync_folder(cases_folder)


def _settle(cases_folder: str, staging: str, decided: bool) -> str:
    """After an interruption in this process: finish (ALL) or undo (NONE) the batch now; PENDING
    if the disk (or a second Ctrl-C) does not let us, and the next run will."""
    try:
        if not decided:
            _remove_staging(staging)
            return NONE
        recovery, _ = recover(cases_folder)
    except (OSError, KeyboardInterrupt):
        return PENDING if os.path.exists(staging) else (ALL if decided else NONE)
    if recovery is None:
        return PENDING if os.path.exists(staging) else ALL
    return ALL if recovery.finished else NONE


# --- recovery ---------------------------------------------------------------------------------


def recover(cases_folder: str) -> tuple[Recovery | None, list[Problem]]:
    """Finish or undo an interrupted import (the caller holds the cases folder's lock; the locks
    of the targets' folders are taken here). None if there was none; a problem if its journal
    cannot be read (then nothing is touched)."""
    staging = staging_folder(cases_folder)
    if not os.path.isdir(staging):
        return None, []
    journal, problems = _read_journal(cases_folder)
    if problems:
        return None, problems
    if journal is None:
        staged = [name for name in os.listdir(staging) if name.endswith(".case")]
        _remove_staging(staging)
        storage.sync_folder(cases_folder)
        if not staged:  # stopped before staging began (nothing stored) or after its clean-up began (all stored)
            return Recovery(False, "", "", (), (), empty=True), []
        return Recovery(False, "", "", (), (), "its staged files were removed"), []
    with target_locks(cases_folder, [entry["target"] for entry in journal["entries"]]):
        return _finish_or_undo(cases_folder, journal), []


def _finish_or_undo(cases_folder: str, journal: dict) -> Recovery:
    """Roll the journal's import forward, or back if any target cannot be finished (the caller
    holds ``target_locks``, so no other run writes a target meanwhile)."""
    staging = staging_folder(cases_folder)
    entries = journal["entries"]
    states = [_state(staging, entry) for entry in entries]
    done = tuple(entry["shown"] for entry, state in zip(entries, states) if state == "done")
    targets = tuple(entry["shown"] for entry in entries)
    workbook, started = journal.get("workbook", ""), journal.get("started", "")
    blocked = [entry for entry, state in zip(entries, states) if state == "blocked"]
    if not blocked:
        _apply(staging, entries)
        _clean_up(staging, cases_folder)
        return Recovery(True, workbook, started, targets, done)
    _undo(staging, [entry for entry, state in zip(entries, states) if state == "done"])
    _clean_up(staging, cases_folder)
    reason = (f"{blocked[0]['shown']} could not be finished (its staged copy is damaged, or the file was "
              f"changed meanwhile), so the {counted(len(done), 'file')} written "
              f"{'was' if len(done) == 1 else 'were'} put back as {'it was' if len(done) == 1 else 'they were'}")
    return Recovery(False, workbook, started, targets, done, reason)


def _state(staging: str, entry: dict) -> str:
    """``done`` (the target holds its final content), ``ready`` (it can be renamed into place)
    or ``blocked``."""
    target = _read(entry["target"])
    if target is not None and _sha(target) == entry["sha256"]:
        return "done"
    staged = _read(os.path.join(staging, entry["staged"]))
    now = None if target is None else _sha(target)
    if staged is not None and _sha(staged) == entry["sha256"] and now == entry["old_sha256"]:
        return "ready"
    return "blocked"


def _undo(staging: str, done: list[dict]) -> None:
    """Put the targets already written back as they were before the import. Only a target that
    still holds what the import wrote is touched: one the import created (no old content, its
    staged file moved into place) is removed; one it replaced is put back from its backup."""
    for entry in done:
        now = _read(entry["target"])
        if now is None or _sha(now) != entry["sha256"]:
            continue
        if entry["backup"] is None:
            if entry["old_sha256"] is None and not os.path.lexists(os.path.join(staging, entry["staged"])):
                _remove(entry["target"])
            continue
        backup = _read(os.path.join(staging, entry["backup"]))
        if backup is not None and _sha(backup) == entry["old_sha256"]:
            storage.replace_with(entry["target"], lambda temporary: _write_bytes(temporary, backup))


def pending(cases_folder: str) -> list[Problem]:
    """An ``interrupted-import`` problem if an import into ``cases_folder`` needs recovering
    (``bad-import-journal`` problems if its journal cannot be trusted)."""
    return _pending_problems(cases_folder) if interrupted(cases_folder) else []


def _pending_problems(cases_folder: str) -> list[Problem]:
    staging = staging_folder(cases_folder)
    journal, problems = _read_journal(cases_folder)
    if problems:
        return problems
    if journal is None:
        return [Problem(code="interrupted-import", file=staging,
                       message="an intake import was interrupted before it stored anything",
                        hint=f"{RECOVERED_BY} rolls it back, removing its staged files; "
                             "then import the workbook again")]
    entries = journal["entries"]
    states = [_state(staging, entry) for entry in entries]
    done = states.count("done")
    action = (f"rolls it forward, storing all {len(entries)}" if "blocked" not in states
              else "rolls it back (a staged file is damaged or a case file was changed meanwhile), "
                   "putting back the files it had written")
    return [Problem(code="interrupted-import", file=os.path.join(staging, JOURNAL),
                    message=f"an intake import of {journal.get('workbook', '?')} "
                            f"(started {journal.get('started', '?')}) was interrupted after writing {done} of its {counted(len(entries), 'case file')}",
                    hint=f"{RECOVERED_BY} {action}")]


# --- files ------------------------------------------------------------------------------------


def _read_journal(cases_folder: str) -> tuple[dict | None, list[Problem]]:
    """The journal of an interrupted import (None if it stopped before writing one), or the
    problems that keep recovery from trusting it."""
    staging = staging_folder(cases_folder)
    path = os.path.join(staging, JOURNAL)
    kind = _what_is(staging)
    if kind == "":
        return None, []
    if kind != "a folder":
        return None, [_bad_journal(cases_folder, staging, "", f"the staging folder of an intake import is {kind}, "
                                                             "not a folder")]
    raw, refused = _read_plain(path, JOURNAL_LIMIT)
    if refused:
        return None, [_bad_journal(cases_folder, path, "", f"the journal of an interrupted intake import {refused}")]
    if raw is None:
        return None, []
    try:
        journal = json.loads(raw)
        entries = journal["entries"]
        if not isinstance(entries, list):
            raise TypeError("entries is not a list")
        for entry in entries:
            for key in ("target", "shown", "staged", "sha256", "old_sha256", "backup"):
                entry[key]  # noqa: B018 - every key must be there
    except (ValueError, KeyError, TypeError, RecursionError):
        return None, [Problem(code="unreadable-import-journal", file=path,
                              message="an interrupted intake import left a journal that cannot be read",
                              hint="nothing was changed; compare the case files with the workbook, "
                                   f"then delete {staging}")]
    problems = _untrusted(cases_folder, journal)
    return (None, problems) if problems else (journal, [])


# --- trusting a journal -----------------------------------------------------------------------


def _untrusted(cases_folder: str, journal: dict) -> list[Problem]:
    """A ``bad-import-journal`` problem for each entry (and heading) of ``journal`` that names
    anything but what an import writes: the journal may have been planted, and recovery would
    create, replace or delete whatever it names."""
    path = os.path.join(staging_folder(cases_folder), JOURNAL)
    problems = [_bad_journal(cases_folder, path, key, f"the journal's {key} is not a line of text")
                for key in ("workbook", "started") if not _plain_text(journal.get(key, ""))]
    targets: set[str] = set()
    names: set[str] = set()
    for number, entry in enumerate(journal["entries"], start=1):
        field, fault = _entry_fault(cases_folder, entry)
        if not fault:
            own = {entry["staged"], entry["backup"]} - {None}
            if os.path.realpath(entry["target"]) in targets:
                field, fault = "target", f"names {entry['target']} a second time"
            elif own & names:
                field, fault = "staged", "names a staged file that another entry names too"
            targets.add(os.path.realpath(entry["target"]))
            names |= own
        if fault:
            problems.append(_bad_journal(cases_folder, path, f"entries[{number}].{field}",
                                         f"entry {number} of the journal of an interrupted intake import {fault}"))
    return problems


def _entry_fault(cases_folder: str, entry: dict) -> tuple[str, str]:
    """The field of a journal entry that an import would not have written, and what is wrong
    with it; ('', '') when the entry is one an import writes."""
    target = entry["target"]
    fault = _target_fault(cases_folder, target)
    if fault:
        return "target", f"names {_quoted(target)} to write, which is not a case file of the cases folder: {fault}"
    fault = _shown_fault(cases_folder, entry["shown"], target)
    if fault:
        return "shown", f"shows {_quoted(entry['shown'])} for {target}: {fault}"
    if not _matches(STAGED_NAME, entry["staged"]):
        return "staged", (f"names {_quoted(entry['staged'])} as its staged file, not a name like 00001.case "
                          "in the staging folder")
    if entry["backup"] is not None and not _matches(BACKUP_NAME, entry["backup"]):
        return "backup", (f"names {_quoted(entry['backup'])} as its backup, not a name like 00001.old "
                          "in the staging folder")
    for key in ("sha256", "old_sha256"):
        if (entry[key] is not None or key == "sha256") and not _matches(DIGEST, entry[key]):
            return key, f"has {_quoted(entry[key])} as its {key}, not a sha256 digest"
    if (entry["backup"] is None) != (entry["old_sha256"] is None):
        return "backup", "has a backup without the digest of the old content, or the other way round"
    return "", ""


def _target_fault(cases_folder: str, target: object) -> str:
    """Why ``target`` is not a case file an import may write ('' if it is one): a full path
    ending in .toml, without '..', inside the cases folder once every link is followed, in no
    dot-folder, and (if it exists) a plain file, not a link."""
    if not isinstance(target, str) or not _plain_text(target) or not target:
        return "it is not a line of text"
    if not os.path.isabs(target):
        return "it is not a full path"
    if ".." in target.split(os.sep):
        return "it holds '..'"
    inside = _path_inside(cases_folder, target)
    if inside is None:
        return "it is outside the cases folder (once links are followed)"
    if any(part.startswith(".") for part in inside.split(os.sep)):
        return "it is in a dot-folder of the cases folder, which is never read as cases"
    if not target.endswith(".toml") or not inside.endswith(".toml"):
        return "it is not a .toml file"
    kind = _what_is(target)
    if kind not in ("", "a file"):
        return f"it is {kind}, not a file"
    return ""


def _shown_fault(cases_folder: str, shown: object, target: str) -> str:
    """Why ``shown`` is not the name shown for ``target`` ('' if it is): the same file, named
    from the cases folder's parent or in full."""
    if not isinstance(shown, str) or not _plain_text(shown) or not shown:
        return "it is not a line of text"
    if ".." in shown.split(os.sep):
        return "it holds '..'"
    tail = _path_inside(cases_folder, target).split(os.sep)
    parts = [part for part in shown.split(os.sep) if part not in ("", ".")]
    if parts[-len(tail):] != tail or os.path.isabs(shown) and os.path.realpath(shown) != os.path.realpath(target):
        return "it is not that file"
    return ""


def _matches(pattern: re.Pattern, value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _quoted(value: object) -> str:
    """``value`` as written in the journal, cut short if long."""
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _path_inside(cases_folder: str, path: str) -> str | None:
    """``path`` relative to the cases folder, both with every link followed; None if outside."""
    top = os.path.realpath(cases_folder).rstrip(os.sep) + os.sep
    real = os.path.realpath(path)
    return real[len(top):] if real.startswith(top) else None


def _plain_text(value: object) -> bool:
    """True for a string without control characters (a NUL, an escape sequence, a line end)."""
    return isinstance(value, str) and not any(unicodedata.category(char) == "Cc" for char in value)


def _bad_journal(cases_folder: str, file: str, where: str, message: str) -> Problem:
    staging = staging_folder(cases_folder)
    return Problem(code="bad-import-journal", file=file, where=where, message=message,
                   hint=f"nothing was changed. An intake import writes only .toml case files inside {cases_folder}, "
                        "so this journal was not written by one as it stands: check who else can write to that "
                        f"folder. Removing the folder {staging} by hand leaves the cases as they are now")


# --- files ------------------------------------------------------------------------------------


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _read(path: str) -> bytes | None:
    """The bytes of the plain file at ``path``; None if there is none (or it is not a plain
    case file: a link, a FIFO, a folder, larger than a case file may be)."""
    return _read_plain(path, input_files.CASE.limit)[0]


def _read_plain(path: str, limit: int) -> tuple[bytes | None, str]:
    """The bytes of the plain file at ``path``, never opened through a link, never more than
    ``limit`` of them. None and '' if there is nothing there; None and why it was refused if it
    is anything else (a FIFO is never waited on, a device never read)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    kind = _what_is(path)
    if kind == "":
        return None, ""
    if kind != "a file":
        return None, f"is {kind}, not a file"
    try:
        with os.fdopen(os.open(path, flags), "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):  # it changed between the look and the opening
                return None, "is not a file"
            data = handle.read(limit + 1)
    except FileNotFoundError:
        return None, ""
    except OSError as error:
        return None, f"cannot be read ({error.strerror or error})"
    if len(data) > limit:
        return None, f"is larger than {limit // input_files.MB} MB"
    return data, ""


def _what_is(path: str) -> str:
    """What is at ``path``, its last part not followed if a link: '' (nothing), 'a file',
    'a folder', 'a link', ..."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return ""
    except (OSError, ValueError):
        return "something that cannot be looked at"
    for test, kind in ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a link"),
                       (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a device"


def _as_text(stored: bytes) -> str | None:
    """A stored case file's bytes as the tool reads its text (``case_files.read_stored``: a
    byte-order mark dropped, line ends as newlines), or None if they are not UTF-8."""
    try:
        return stored.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return None


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _write_problem(error: OSError, staging: str) -> Problem:
    problem = getattr(error, "problem", None)
    return problem if isinstance(problem, Problem) else storage.write_problem(error.filename or staging, error)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _remove_staging(staging: str) -> None:
    if os.path.isdir(staging):
        shutil.rmtree(staging)

