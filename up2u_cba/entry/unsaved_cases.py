"""Keeping a case typed in guided entry when it cannot be saved, so that typed work is never lost.

When `case new` or `case update` cannot write the case file (disk full, read-only folder, the
cases folder held by another run, a file it would have to rewrite), ``keep`` writes the case as
the person typed it to a recovery file, trying in turn:

1. ``CASES/.unsaved/REFERENCE-YYYYMMDD-HHMMSS.toml.unsaved``, beside the cases;
2. the same name in ``up2u-cba-unsaved`` under the system's temporary folder;

and, if neither can be written, gives the text back to be printed on the terminal. The file is
a case file (TOML) with a leading comment saying how to finish: ``case new --resume FILE`` or
``case update REFERENCE --resume FILE``, which read it with ``load`` and go on to the save
step. Its name never ends in ``.toml``, so the case loader never reads it as a stored case.
Only its owner may read it (mode 0600): it holds case data.
"""

from __future__ import annotations

import datetime
import getpass
import os
import stat
import tempfile

from up2u_cba import models
from up2u_cba.entry import case_files
from up2u_cba.inputs import cases
from up2u_cba.problems import Problem

FOLDER = ".unsaved"
"""Recovery files' folder inside the cases folder."""
def _user_key() -> str:
    """Who runs this, for a per-user folder name: the user id (POSIX), else the user name
    (Windows), else "user" where the system cannot say."""
    if hasattr(os, "getuid"):
        return str(os.getuid())
    try:
        return getpass.getuser()
    except Exception:  # (OSError on Windows with no USERNAME; ImportError of pwd elsewhere)
        return "user"


TEMPORARY_FOLDER = f"up2u-cba-unsaved-{_user_key()}"
"""Recovery files' folder inside the system's temporary folder, the second place tried: one per
user, used only if it is a real folder of that user's that no one else may enter (the temporary
folder is shared: a folder planted there by someone else could hide or feed recovery files)."""
SUFFIX = ".toml.unsaved"


def resume_command(record: models.CaseRecord, update: bool, path: str) -> str:
    """The command that finishes saving the case kept in ``path``."""
    if update:
        return f"up2u-cba case update {record.reference} --resume {path}"
    return f"up2u-cba case new --resume {path}"


def text(record: models.CaseRecord, update: bool, path: str, why: str) -> str:
    """The recovery file's text: the case, under a comment saying what happened and what to run."""
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    comment = (f"# Unsaved case {record.reference}, entered with up2u-cba on {when} but not saved: {why}",
               f"# To save it, run: {resume_command(record, update, path)}",
               "# (it is checked again, shown, and written only when you confirm).")
    return case_files.render(record, comment)


def keep(record: models.CaseRecord, cases_folder: str, update: bool, why: str) -> tuple[str | None, str]:
    """Write ``record`` to a recovery file; return its path (None if no place would take it)
    and the text (to print when there is no file)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{record.reference}-{stamp}{SUFFIX}"
    beside = os.path.join(cases_folder, FOLDER)
    for folder in (beside, os.path.join(tempfile.gettempdir(), TEMPORARY_FOLDER)):
        path = os.path.join(folder, name)
        content = text(record, update, path, why)
        if (folder == beside or _own_private_folder(folder)) and _write_private(folder, path, content):
            return path, content
    return None, text(record, update, "FILE", why)


def _own_private_folder(folder: str) -> bool:
    """Make ``folder`` (mode 0700) if need be; True only if it is then a real folder (not a
    link), owned by this user and closed to everyone else."""
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    return not hasattr(os, "getuid") or (info.st_uid == os.getuid() and not info.st_mode & 0o077)


def _write_private(folder: str, path: str, content: str) -> bool:
    """Write ``content`` to a new file at ``path`` readable by its owner only; False (and no
    file left) if it cannot be written whole."""
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return False
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        try:
            os.unlink(path)
        except OSError:
            pass
        return False
    return True


def load(path: str, cases_folder: str) -> tuple[models.CaseRecord | None, list[Problem]]:
    """The case kept in the recovery file at ``path``, or its problems. A stored case file (one
    the cases folder holds) is refused: it is no recovery file, and a resumed one is removed."""
    if not os.path.exists(path):
        return None, [Problem(code="missing-file", file=path, where="--resume", message="no such file",
                              hint="give the file named when the case could not be saved")]
    if os.path.realpath(path) in {os.path.realpath(stored) for stored in cases.case_files(cases_folder)}:
        return None, [Problem(code="stored-case", file=path, where="--resume",
                              message="this is a stored case file, not a recovery file",
                              hint=f"give the {SUFFIX} file named when a case could not be saved; "
                                   "to add to a stored case, run `up2u-cba case update REFERENCE`")]
    record, problems = cases.load_file(path)
    if record is None or problems:
        return None, problems or [Problem(code="unreadable-file", file=path, where="--resume",
                                          message="this file does not hold a case", hint="give the recovery file")]
    return record, []


def pending(cases_folder: str) -> list[str]:
    """The recovery files beside the cases (in ``CASES/.unsaved``), oldest first."""
    folder = os.path.join(cases_folder, FOLDER)
    try:
        paths = [os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(SUFFIX)]
        return sorted(paths, key=os.path.getmtime)
    except OSError:
        return []


def discard(path: str) -> bool:
    """Remove a recovery file once its case is saved; False if it could not be removed."""
    try:
        os.unlink(path)
    except OSError:
        return False
    return True
