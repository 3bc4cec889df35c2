"""Writing files so that nothing is ever half-written, overwritten by accident, or taken twice.

- ``write_atomic`` replaces a file's content: the new text goes to a temporary file in the same
  folder, is flushed to disk (fsync), and is renamed over the old one (``os.replace``, atomic on
  one filesystem). A crash, a kill or a full disk leaves the old file or the new one, never a
  mixture; a failed write removes its temporary file and leaves the old file untouched.
- ``create_exclusive`` writes a new file the same way but refuses to replace anything: the
  finished temporary file is hard-linked to its name, which fails if the name exists, so of two
  writers racing for one name exactly one wins and the other gets ``FileExistsError``.
- ``folder_lock`` serialises writers of one folder, so that "which references are free?" and
  "write the file" happen as one step. The lock is a lock file created exclusively (no
  ``fcntl``: it works on Windows and on network shares), recording who holds it (one JSON line:
  host, process id, user, command, since when) and removed when let go, so a run that cannot
  take it can say who is in the way; ``is_stale`` is the rule for a lock left by a crashed run.
  Where ``fcntl`` exists the lock file is also flocked, only to keep older versions out.
- A failed write raises ``WriteFailed`` (the file meant, and the OSError); a lock held too long
  raises ``LockTimeout`` (with the holder). Both carry ``.problem``: the one place an OS error
  becomes a message a user can act on (disk full, read-only, permission, name too long...).

Temporary files are named ``.NAME.XXXX.tmp``: they never end in ``.toml``, so a stray one left by
a killed process is never read as a case.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import socket
import stat
import tempfile
import time
from typing import Callable

from up2u_cba import this_run
from up2u_cba.problems import Problem

try:  # only to keep older up2u-cba versions out (they locked with fcntl.flock): the lock needs none
    import fcntl as _older_versions_flock
except ImportError:  # Windows, where older versions had no lock at all
    _older_versions_flock = None

LOCK_NAME = ".up2u-cba.lock"
"""The lock file ``folder_lock`` creates in the folder it guards: it exists only while held, and
holds the holder's JSON line."""
LOCK_WAIT_VARIABLE = "UP2U_CBA_LOCK_WAIT"
"""Environment variable: seconds to wait for a folder lock held by another run (default 30)."""
LOCK_WAIT = 30.0


_held: dict[str, int] = {}
"""Folders whose lock this process holds, and how deeply (the lock is re-entrant in-process)."""


class WriteFailed(OSError):
    """Writing ``path`` failed with ``error`` (disk full, read-only...); nothing was replaced.
    An OSError itself (same errno), so code that expects one still catches it."""

    def __init__(self, path: str, error: OSError, where: str = ""):
        super().__init__(error.errno, error.strerror or str(error), path)
        self.path = path
        self.error = error
        self.where = where

    @property
    def problem(self) -> Problem:
        return write_problem(self.path, self.error, self.where)


class LockTimeout(Exception):
    """Another writer held the folder lock for longer than the wait allowed."""

    def __init__(self, folder: str, timeout: float, holder: dict | None = None, lock_path: str = ""):
        super().__init__(f"another writer has held {folder} for over {timeout:.0f} seconds")
        self.folder = folder
        self.timeout = timeout
        self.holder = holder or {}
        self.lock_path = lock_path or os.path.join(folder, LOCK_NAME)

    @property
    def problem(self) -> Problem:
        return Problem(code="folder-locked", file=self.folder,
                       message=f"{describe_holder(self.holder, self.timeout, f'the folder {self.folder}')}; "
                               f"its lock file is {self.lock_path}",
                       hint=lock_hint(self.holder, self.lock_path))


def lock_hint(holder: dict, lock_path: str) -> str:
    """What to do about a lock held by ``holder``: wait; and, for a run on another computer
    (never taken over automatically), how to clear it once that run is known to have ended."""
    if holder.get(UNREADABLE):
        return (f"it is never taken over automatically, as it may be a run on another computer: if no "
                f"up2u-cba run is going on on any computer, delete {lock_path} and run this again")
    if holder.get("host") and not on_this_computer(holder):
        return (f"wait for it to finish, then run this again; if that run has ended (its computer was "
                f"switched off or crashed), delete {lock_path} and run this again")
    return (f"wait for it to finish, then run this again; if no up2u-cba run is going on (a process "
            f"number can be reused after a restart), delete {lock_path} and run this again")


def write_problem(path: str, error: OSError, where: str = "") -> Problem:
    """What to tell a user whose write of ``path`` failed with ``error``."""
    folder = os.path.dirname(os.path.abspath(path))
    reasons = {
        errno.ENOSPC: ("the disk is full", "free some space or write to another disk, then run this again"),
        errno.EDQUOT: ("your disk quota is used up", "free some space or write to another disk, then run this again"),
        errno.EROFS: ("the disk is read-only", "choose a folder on a disk that can be written to"),
        errno.EACCES: (f"permission to write in {folder} was refused",
                       "check you may write to that folder, or choose another"),
        errno.EPERM: (f"the system did not allow writing in {folder}",
                      "check you may write to that folder, or choose another"),
        errno.ENAMETOOLONG: ("the name is too long for the file system", "choose a shorter name"),
        errno.ENOENT: (f"the folder {folder} does not exist (any more)", "create it again, or choose another path"),
        errno.ENOTDIR: (f"part of the path {folder} is not a folder", "choose another path"),
        errno.EISDIR: ("this is a folder, not a file name", "give a file name inside it"),
        errno.EFBIG: ("the file would be larger than this system allows (a file-size limit)",
                      "ask whoever runs the computer to raise the limit, or write to another disk"),
    }
    message, hint = reasons.get(error.errno, (f"cannot write it: {error.strerror or error}",
                                              "check the folder can be written to, or choose another path"))
    if refused_as_open(path, error):
        name = os.path.basename(path)
        message = (f"{name} could not be replaced: another program has it open, or the system did not "
                   f"allow writing it (permission refused)")
        hint = (f"close {name} in Excel (or any program that has it open) and run again; "
                f"if nothing has it open, check you may write to {folder}")
    return Problem(code="cannot-write", file=path, where=where, message=f"{message}; nothing was changed",
                   hint=hint)


SHARING_VIOLATIONS = (32, 33)
"""Windows errors for a file another program holds open (ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION)."""


def refused_as_open(path: str, error: OSError) -> bool:
    """Whether writing over ``path`` was refused as a file another program has open would be: a
    Windows sharing violation, or a refused permission where the file exists (Excel holding a
    workbook open on Windows; a share refusing it)."""
    if in_use(error):
        return True
    return error.errno in (errno.EACCES, errno.EPERM) and os.path.isfile(path)


def in_use(error: OSError) -> bool:
    """Whether ``error`` says the file is open elsewhere: a Windows sharing violation, or EBUSY
    (an SMB share seen from Linux or macOS refuses to delete or replace a file any client has
    open, even the run's own handle)."""
    return getattr(error, "winerror", None) in SHARING_VIOLATIONS or error.errno in (errno.EBUSY, errno.ETXTBSY)


IN_USE_TRIES = 100
"""Attempts (0.02 s apart, 2 s in all) to replace or delete a file that is open elsewhere for a
moment (a waiter reading the lock record; a report reading a case file on another computer)."""


def while_in_use(action: Callable[[], None], busy: Callable[[OSError], bool] = in_use,
                 meanwhile: Callable[[], bool] = lambda: True) -> None:
    """Do ``action`` (one call on a file); where it fails as the file is open elsewhere
    (``busy``), try again 0.02 s later, ``IN_USE_TRIES`` times in all, first calling
    ``meanwhile``, whose False ends the tries. Raises any other failure, and the last."""
    for attempt in range(IN_USE_TRIES):
        try:
            action()
            return
        except OSError as error:
            if not busy(error) or attempt == IN_USE_TRIES - 1:
                raise
        time.sleep(0.02)
        if not meanwhile():
            return


def replace_when_free(source: str, target: str) -> None:
    """``os.replace``, tried again for a while where ``target`` is open elsewhere (``in_use``)."""
    while_in_use(lambda: os.replace(source, target))


@contextlib.contextmanager
def writing(path: str, where: str = ""):
    """Turn an OSError met while writing ``path`` into WriteFailed (naming ``path``)."""
    try:
        yield
    except WriteFailed as failed:
        failed.where = failed.where or where
        raise
    except OSError as error:
        raise WriteFailed(path, error, where) from error


def write_atomic(path: str, text: str, verify: Callable[[str], None] | None = None) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically: old content or new, never a mixture.

    ``verify``, if given, is called with the finished temporary file before it is renamed into
    place; an exception from it removes the temporary file and leaves ``path`` untouched."""
    with writing(path):
        temporary = _write_temporary(path, text)
        try:
            if verify is not None:
                verify(temporary)
            replace_when_free(temporary, path)
        except BaseException:
            _remove_quietly(temporary)
            raise
    _sync_folder(path)


def replace_with(path: str, fill: Callable[[str], None]) -> None:
    """Replace ``path`` atomically with a file that ``fill`` writes (a workbook, say): ``fill``
    is given a temporary file in the same folder, which is then flushed to disk and renamed into
    place. Any failure removes the temporary file (never hiding the first error) and leaves
    ``path`` as it was; an OSError becomes WriteFailed naming ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    with writing(path):
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        os.close(descriptor)
        try:
            fill(temporary)
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
            _set_mode(temporary, _mode_for(path))  # mkstemp makes it private; keep the usual permissions
            replace_when_free(temporary, path)
        except BaseException:
            _remove_quietly(temporary)
            raise
    _sync_folder(path)


def create_exclusive(path: str, text: str, verify: Callable[[str], None] | None = None) -> None:
    """Create ``path`` with ``text``, complete or not at all; raise FileExistsError if it exists.
    Where the filesystem has no hard links, exclusive only among runs holding the folder's lock,
    as every caller does.

    ``verify`` as for ``write_atomic``."""
    try:
        temporary = _write_temporary(path, text)
        try:
            if verify is not None:
                verify(temporary)
            try:
                _hard_link(temporary, path)
            except FileExistsError:
                raise
            except OSError as error:
                if not _no_hard_links(error):
                    raise
                # A filesystem without hard links (FAT, an SMB share): the caller holds the folder's
                # lock, so no other run of the tool can take the name between the look and the
                # rename; the name is never claimed first with an empty file, which a stop or a
                # refused rename would leave behind as a case no one can read.
                if os.path.lexists(path):
                    raise FileExistsError(errno.EEXIST, "File exists", path)
                if ON_WINDOWS:  # (Windows' rename refuses an existing name: exclusive there too)
                    os.rename(temporary, path)
                else:
                    replace_when_free(temporary, path)
        finally:
            _remove_quietly(temporary)
    except FileExistsError:
        raise
    except OSError as error:
        raise WriteFailed(path, error) from error
    _sync_folder(path)


@contextlib.contextmanager
def folder_lock(folder: str, timeout: float | None = None):
    """Hold the write lock of ``folder`` (created if missing) for the ``with`` block. Other
    processes wait; the same process may take it again inside the block.

    The lock is the lock file itself, created exclusively (``O_CREAT | O_EXCL``: of two runs
    exactly one creates it, on Windows, Linux, macOS and network shares alike, needing no
    ``fcntl``), holding the holder's record, and removed when let go. A lock file left by a run
    that is gone is taken over by the rule in ``is_stale``.

    Raises LockTimeout (naming the holder and the lock file) if another writer keeps it for more
    than ``timeout`` seconds (default: $UP2U_CBA_LOCK_WAIT, else 30), and WriteFailed if the lock
    file cannot be made (a read-only or missing folder)."""
    key = os.path.realpath(folder)
    if key in _held:  # this process holds it already (an import writing several cases)
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    lock_path = os.path.join(folder, LOCK_NAME)
    with writing(lock_path):
        os.makedirs(folder, exist_ok=True)
        mine = _take(lock_path, folder, lock_wait() if timeout is None else timeout)
    _held[key] = 1
    try:
        yield
    finally:
        _held.pop(key, None)
        _let_go(lock_path, mine)


@contextlib.contextmanager
def folder_locks(folders):
    """Hold the write locks of every folder in ``folders`` for the ``with`` block, taken outer
    folder first (by real path, so a folder always before the folders inside it, whichever way
    each was spelt): two runs taking overlapping sets in that one order can never each hold one
    the other waits for. A folder this process holds already is taken again (re-entrant)."""
    by_place = {os.path.realpath(folder): folder for folder in folders}
    with contextlib.ExitStack() as held:
        for place in sorted(by_place, key=lambda place: (place.count(os.sep), place)):
            held.enter_context(folder_lock(by_place[place]))
        yield


STALE_UNREADABLE_AFTER = 10.0
"""Seconds after which an empty lock file is stale: a run writes its record straight after
creating the file (and lets go at once if it cannot), so an empty one this old was left by a
crash between the two, or by an older up2u-cba (which kept an empty lock file in the folder)."""

UNREADABLE = "unreadable"
"""The key ``read_holder`` gives, with why, for a lock file whose record cannot be read."""


def is_stale(holder: dict, age: float) -> bool:
    """The stale rule. A lock file is stale (taken over) when:

    - it is empty (no holder record) and older than ``STALE_UNREADABLE_AFTER`` seconds; or
    - its holder ran on this computer and that process no longer exists (it crashed or was
      killed), or is this very process, which does not hold it (``_held``): left by a write
      that was stopped part-way (Ctrl-C) earlier in this run.

    A lock held from another computer is never taken over automatically: this computer cannot
    tell a crashed run there from a slow one, and taking it would let two runs write at once. Nor
    is one whose record cannot be read (``UNREADABLE``: part of a record, text that is not one, a
    share refusing the read), as it may be such a run's.
    The message then names that run and the lock file, to be deleted by hand once that run is
    known to have ended."""
    if not holder:
        return age > STALE_UNREADABLE_AFTER
    if holder.get(UNREADABLE) or not on_this_computer(holder):
        return False
    pid = holder.get("pid")
    return isinstance(pid, int) and 0 < pid < 2 ** 31 and (pid == os.getpid() or not process_exists(pid))


ON_WINDOWS = os.name == "nt"


def process_exists(pid: int) -> bool:
    """Whether process ``pid`` is running on this computer; True when it cannot be told (the safe
    answer: a live holder is never taken over). Never signals the process: on Windows
    ``os.kill`` would end it, so there the process is asked about through the Windows API."""
    if pid <= 0:
        return True
    if ON_WINDOWS:
        return _windows_process_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user's
        return True
    return True


def _windows_process_exists(pid: int) -> bool:  # pragma: no cover - Windows only
    try:
        import ctypes
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() != 87  # ERROR_INVALID_PARAMETER: no such process
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    except Exception:
        return True




def _take(lock_path: str, folder: str, timeout: float) -> dict:
    """Create the lock file exclusively, waiting up to ``timeout`` seconds for a live holder and
    taking over a stale one; return the record written into it."""
    deadline = time.monotonic() + timeout
    _close_held(lock_path)  # left open by a lock of this process stopped part-way (Ctrl-C)
    while True:
        record = holder_record()
        try:
            handle = os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder, age = read_holder(lock_path), _age(lock_path)
            if age is not None and is_stale(holder, age) and _take_over(lock_path, holder):
                continue
            if time.monotonic() > deadline:
                raise LockTimeout(folder, timeout, holder, lock_path) from None
            time.sleep(0.02)
            continue
        try:
            os.write(handle, (json.dumps(record) + "\n").encode("utf-8"))
            os.fsync(handle)
            _keep_older_versions_out(lock_path, handle)
        except BaseException as error:  # not recorded (a full disk), or stopped (Ctrl-C): let it go at once
            os.close(handle)
            _remove_quietly(lock_path)
            if isinstance(error, OSError):  # unrecorded, it could not be told from a crash's: never hold it
                raise WriteFailed(lock_path, error) from None
            raise
        if not _confirmed(lock_path, record):  # another run created it at the same moment, and wrote last
            _close_held(lock_path)
            continue
        return record


CONFIRM_AFTER = 0.05
"""Seconds to wait before reading the lock record back: an SMB client whose "create if absent"
is not atomic at the server (seen with smbnetfs) lets two runs both create the lock file, the
later record overwriting the earlier; the run whose record is not there waits as for any holder."""


def _confirmed(lock_path: str, record: dict) -> bool:
    if CONFIRM_AFTER:
        time.sleep(CONFIRM_AFTER)
    return read_holder(lock_path) == record


_open_locks: dict[str, int] = {}
"""The lock files this process holds open to flock them (by real path), closed when let go."""


def _keep_older_versions_out(lock_path: str, handle: int) -> None:
    """Where fcntl exists, also flock the lock file, keeping it open while held: older up2u-cba
    versions locked the same file only that way, so they wait while this run holds it (and
    ``_held_by_older_version`` keeps an empty lock file one of them holds from being taken over).
    Elsewhere close it at once (Windows cannot delete a file that is open)."""
    if _older_versions_flock is None:
        os.close(handle)
        return
    with contextlib.suppress(OSError):
        _older_versions_flock.flock(handle, _older_versions_flock.LOCK_EX | _older_versions_flock.LOCK_NB)
    _open_locks[os.path.realpath(lock_path)] = handle


def _close_held(lock_path: str) -> None:
    handle = _open_locks.pop(os.path.realpath(lock_path), None)
    if handle is not None:
        with contextlib.suppress(OSError):
            os.close(handle)


def _held_by_older_version(lock_path: str) -> bool:
    """Whether an older up2u-cba run flocks ``lock_path`` now (never on Windows, where they had
    no lock)."""
    if _older_versions_flock is None:
        return False
    try:
        if not stat.S_ISREG(os.lstat(lock_path).st_mode):
            return False
        handle = os.open(lock_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        _older_versions_flock.flock(handle, _older_versions_flock.LOCK_EX | _older_versions_flock.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(handle)  # (closing lets go of the flock taken to test)


def _age(lock_path: str) -> float | None:
    """Seconds since ``lock_path`` was last written, by its time stamp; where that is in the
    future (the file server's clock, or this computer's, set wrong), the time this run has seen
    it unchanged, so a lock left with a time stamp a year ahead is not kept for a year."""
    try:
        found = os.stat(lock_path)
    except OSError:  # let go meanwhile
        return None
    age = time.time() - found.st_mtime
    return max(0.0, age) if age >= -CLOCKS_DIFFER_BY else _watched(lock_path, found)


def _watched_age(path: str) -> float | None:
    """Seconds this run has seen ``path`` unchanged (None if it is gone): no clock but this run's
    own, for a takeover guard, which lives for milliseconds (a waiter whose clock ran a minute
    ahead took a fresh guard for a minute old and removed it: two takers at once)."""
    try:
        return _watched(path, os.stat(path))
    except OSError:
        return None


def _watched(path: str, found: os.stat_result) -> float:
    first = _first_seen.setdefault((path, found.st_ino, found.st_size, found.st_mtime_ns), time.monotonic())
    return time.monotonic() - first


CLOCKS_DIFFER_BY = 60.0
"""Seconds a lock file's time stamp may be ahead of this computer's clock before it is taken
for a wrong clock and the file is aged by this run's own watch."""

_first_seen: dict[tuple, float] = {}


def _take_over(lock_path: str, holder: dict) -> bool:
    """Remove a stale lock file, with a note naming whose it was; True if it is gone (removed, or
    let go meanwhile), False if another waiter is taking it over now (try again later).

    Only one waiter takes over at a time: it first creates ``TAKEOVER`` beside the lock file,
    exclusively, and under it checks again that the lock file is still the one judged stale
    before removing it. Without that, two waiters could both judge it stale, one remove it and
    lock afresh, and the other then remove that fresh lock: two runs writing at once. Raises
    WriteFailed when the stale lock file cannot be removed (a folder named as it, a share that
    refuses): waiting would never end."""
    guard = lock_path + TAKEOVER
    try:
        handle = os.open(guard, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # another waiter is taking over; one left by a crash goes after a while
        guard_age = _watched_age(guard)
        if guard_age is not None and guard_age > STALE_UNREADABLE_AFTER:
            with contextlib.suppress(OSError):
                os.unlink(guard)
        return False
    except OSError as error:
        raise WriteFailed(lock_path, error) from None
    try:
        age = _age(lock_path)
        if age is None:
            return True
        if read_holder(lock_path) != holder or not is_stale(holder, age) or _held_by_older_version(lock_path):
            return False
        try:
            os.unlink(lock_path)
        except FileNotFoundError:
            return True
        except OSError as error:
            if in_use(error):  # another waiter is reading it this moment: try again later
                return False
            raise WriteFailed(lock_path, error) from None
    finally:
        os.close(handle)
        _unlink_when_free(guard)
    if holder.get("pid") == os.getpid() and on_this_computer(holder):
        this_run.notices.append(f"took over the lock file {lock_path}, left by this run's own earlier "
                                f"write, stopped part-way")
    elif holder:
        this_run.notices.append(f"took over the lock file {lock_path}, left by {describe_run(holder)}, "
                                f"which is no longer running")
    return True


TAKEOVER = ".takeover"
"""Suffix of the file a waiter creates, exclusively, while it takes over a stale lock file."""


def _let_go(lock_path: str, mine: dict) -> None:
    """Remove the lock file, if it is still ours (never another run's). Windows refuses to delete
    a file another process has open, as a waiter reading the holder has for a moment: then try
    again for a while (``_remove_held``) rather than leave it held."""
    try:
        found = read_holder(lock_path)
        if _ours(found, mine):
            _remove_held(lock_path, mine)
    finally:
        _close_held(lock_path)  # after removing it: no other run takes it while this one still flocks it


def _unlink_when_free(path: str) -> None:
    """Delete ``path``, trying again for a while where it is still open (an SMB client can let
    go of a closed handle a moment late: the takeover guard was left behind, blocking every
    takeover for 10 s); any other failure is left to the stale rule."""
    with contextlib.suppress(OSError):
        while_in_use(lambda: os.unlink(path))


def _ours(found: dict, mine: dict) -> bool:
    return found in (mine, {}) or bool(found.get(UNREADABLE))  # (never a record of another run's)


def _remove_held(lock_path: str, mine: dict) -> None:
    """Delete the lock file this run holds; where it is open elsewhere (a waiter reading it; on
    an SMB share, this run's own flock handle too), close that handle and try again for a while,
    so it is never left behind to keep every other computer out. Any other failure (gone
    already, a disk that refuses) leaves it to the stale rule."""
    def before_trying_again() -> bool:
        _close_held(lock_path)
        return _ours(read_holder(lock_path), mine)  # taken over meanwhile: never remove another's

    with contextlib.suppress(OSError):
        while_in_use(lambda: os.unlink(lock_path), lambda error: in_use(error) or isinstance(error, PermissionError),
                     before_trying_again)


def lock_wait() -> float:
    """Seconds to wait for a folder lock: $UP2U_CBA_LOCK_WAIT if it is a number, else 30."""
    try:
        wait = float(os.environ.get(LOCK_WAIT_VARIABLE, LOCK_WAIT))
    except ValueError:
        return LOCK_WAIT
    return min(max(0.0, wait), LONGEST_LOCK_WAIT) if wait == wait else LOCK_WAIT  # (NaN: the default)


LONGEST_LOCK_WAIT = 3600.0
"""The longest a run waits for a folder lock, whatever $UP2U_CBA_LOCK_WAIT says (inf never ends)."""


def holder_record() -> dict:
    """Who this process is, as recorded in a lock file it holds."""
    record = {"host": socket.gethostname(), "pid": os.getpid(), "user": _user(), "command": this_run.command,
              "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
    machine = machine_id()
    return record | {"machine": machine} if machine else record


def on_this_computer(holder: dict) -> bool:
    """Whether the run that wrote ``holder`` ran on this computer: the same host name and, where
    both records say, the same machine id (two cloned virtual desktops can share a host name,
    and each would take the other's live lock for a crashed local run's)."""
    if holder.get("host") != socket.gethostname():
        return False
    theirs, ours = holder.get("machine"), machine_id()
    return not (theirs and ours) or theirs == ours


def machine_id() -> str:
    """This computer's own id, where the system keeps one ('' where it cannot be read): Linux's
    /etc/machine-id, Windows' MachineGuid."""
    global _machine
    if _machine is None:
        _machine = _read_machine_id()
    return _machine


_machine: str | None = None


def _read_machine_id() -> str:
    if ON_WINDOWS:  # pragma: no cover - Windows only
        try:
            import winreg
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
                return str(winreg.QueryValueEx(key, "MachineGuid")[0]).strip()[:64]
        except (OSError, ImportError):
            return ""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path, encoding="ascii", errors="replace") as handle:
                found = handle.read(64).strip()
        except OSError:
            continue
        if found:
            return found
    return ""


def _user() -> str:
    """The user running this (empty if the environment does not say)."""
    return os.environ.get("USERNAME") or os.environ.get("USER") or ""


HOLDER_BYTES = 4096
"""The most of a lock file read for its holder record (a record is one short line)."""


def read_holder(lock_path: str) -> dict:
    """The holder record in a lock file: {} if there is none (no file, an empty one, or not a
    regular file: nothing a run wrote), ``{UNREADABLE: why}`` if there is something that cannot be
    read as a record. Only a regular file is read, without waiting (a pipe named as the lock file
    never hangs the run), and only its first ``HOLDER_BYTES`` (one pointing at /dev/zero or a huge
    file never fills memory)."""
    try:
        if not stat.S_ISREG(os.lstat(lock_path).st_mode):
            return {}
        handle = os.open(lock_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            start = os.read(handle, HOLDER_BYTES)
        finally:
            os.close(handle)
    except FileNotFoundError:
        return {}
    except OSError as error:
        return {UNREADABLE: f"reading it failed: {error.strerror or error}"}
    if not start.strip():
        return {}
    try:
        found = json.loads(start.decode("utf-8").partition("\n")[0])
    except (ValueError, RecursionError):
        found = None
    if not isinstance(found, dict) or not found or UNREADABLE in found:
        return {UNREADABLE: "it holds no up2u-cba run's record"}
    return found


def describe_holder(holder: dict, timeout: float, what: str = "the cases folder") -> str:
    """"another up2u-cba run (process 1234 on host X, `case new`) has held the cases folder
    since 10:42:07", from a holder record (or less, from less); ``what`` names what the lock
    guards."""
    if holder.get(UNREADABLE):
        return (f"a lock file whose holder cannot be read ({holder[UNREADABLE]}) has held {what} for "
                f"longer than this run waits (it waited {timeout:g} s)")
    who = "another " + describe_run(holder)
    since = ""
    try:
        started = datetime.datetime.fromisoformat(str(holder.get("since")))
        now = datetime.datetime.now(started.tzinfo)
        since = f" since {started:%H:%M:%S}" if started.date() == now.date() else f" since {started:%Y-%m-%d %H:%M:%S}"
    except (TypeError, ValueError):
        pass
    waited = f" (this run waited {timeout:g} s)"
    return f"{who} has held {what}{since or ' for longer than this run waits'}{waited}"


def describe_run(holder: dict) -> str:
    """"up2u-cba run (process 1234 on host X, user sam, `case new`)" from a holder record."""
    parts = []
    if holder.get("pid"):
        host = holder.get("host")
        parts.append(f"process {holder['pid']}" + (f" on host {host}" if host else ""))
    if holder.get("user"):
        parts.append(f"user {holder['user']}")
    if holder.get("command"):
        parts.append(f"`{holder['command']}`")
    return f"up2u-cba run ({', '.join(parts)})" if parts else "up2u-cba run"


def _write_temporary(path: str, text: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        _set_mode(temporary, _mode_for(path))
    except BaseException:
        _remove_quietly(temporary)
        raise
    return temporary


NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.EINVAL,
                 errno.ENOSYS)
"""Errors of ``os.link`` that mean "no hard links here" (FAT, some network shares), not a failed write."""
WINDOWS_NO_HARD_LINKS = (1, 50)
"""Windows: ERROR_INVALID_FUNCTION, ERROR_NOT_SUPPORTED (a drive or share without hard links)."""


def _hard_link(source: str, name: str) -> None:
    """``os.link``, or OSError(ENOSYS) where the platform has none."""
    if not hasattr(os, "link"):
        raise OSError(errno.ENOSYS, "hard links are not available here")
    os.link(source, name)


def _no_hard_links(error: OSError) -> bool:
    return error.errno in NO_HARD_LINKS or getattr(error, "winerror", None) in WINDOWS_NO_HARD_LINKS


def _set_mode(path: str, mode: int) -> None:
    """Give ``path`` the usual permissions, where the file system keeps them: on Windows only the
    read-only flag exists, and some network shares refuse chmod outright; either way the file
    stays as it was made, which is no reason to fail the write."""
    try:
        os.chmod(path, mode)
    except (OSError, NotImplementedError):
        pass


def _mode_for(path: str) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _sync_folder(path: str) -> None:
    """Make the rename of ``path`` itself durable (the folder's entry), where the platform allows it."""
    sync_folder(os.path.dirname(os.path.abspath(path)))


def sync_folder(folder: str) -> None:
    """Make the renames in ``folder`` durable, where the platform allows it. Windows cannot open
    a folder as a file (and commits a rename itself), and some file systems refuse to fsync
    one: then nothing more is done."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:  # gone already, or the disk refuses even that: the first error is the one to report
        pass
