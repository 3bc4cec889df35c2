"""Writing files so that nothing is ever half-written, overwritten by accident, or taken twice.

- ``write_atomic`` replaces a file's content: the new text goes to a temporary file in the same
  folder, is flushed to disk (fsync), and is renamed over the old one (``os.replace``, atomic on
  one filesystem). A crash, a kill or a full disk leaves the old file or the new one, never a
  mixture; a failed write removes its temporary file and leaves the old file untouched.
- ``create_exclusive`` writes a new file the same way but refuses to replace anything: the
  finished temporary file is hard-linked to its name, which fails if the name exists, so of two
  writers racing for one name exactly one wins and the other gets ``FileExistsError``.
- ``folder_lock`` serialises writers of one folder (``fcntl.flock`` on a lock file), so that
  "which references are free?" and "write the file" happen as one step.

Temporary files are named ``.NAME.XXXX.tmp``: they never end in ``.toml``, so a stray one left by
a killed process is never read as a case.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from typing import Callable

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; exclusive creation still holds there
    fcntl = None

LOCK_NAME = ".up2u-cba.lock"
"""The lock file ``folder_lock`` creates in the folder it guards (empty; never deleted)."""


_held: dict[str, int] = {}
"""Folders whose lock this process holds, and how deeply (the lock is re-entrant in-process)."""


class LockTimeout(Exception):
    """Another writer held the folder lock for longer than the wait allowed."""


def write_atomic(path: str, text: str, verify: Callable[[str], None] | None = None) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically: old content or new, never a mixture.

    ``verify``, if given, is called with the finished temporary file before it is renamed into
    place; an exception from it removes the temporary file and leaves ``path`` untouched."""
    temporary = _write_temporary(path, text)
    try:
        if verify is not None:
            verify(temporary)
        os.replace(temporary, path)
    except BaseException:
        _remove_quietly(temporary)
        raise
    _sync_folder(path)


def create_exclusive(path: str, text: str, verify: Callable[[str], None] | None = None) -> None:
    """Create ``path`` with ``text``, complete or not at all; raise FileExistsError if it exists.

    ``verify`` as for ``write_atomic``."""
    temporary = _write_temporary(path, text)
    try:
        if verify is not None:
            verify(temporary)
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            # A filesystem without hard links: claim the name first, then fill it atomically.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            os.replace(temporary, path)
    finally:
        _remove_quietly(temporary)
    _sync_folder(path)


@contextlib.contextmanager
def folder_lock(folder: str, timeout: float = 30.0):
    """Hold the write lock of ``folder`` (created if missing) for the ``with`` block. Other
    processes wait; the same process may take it again inside the block.

    Raises LockTimeout if another writer keeps it for more than ``timeout`` seconds."""
    os.makedirs(folder, exist_ok=True)
    key = os.path.realpath(folder)
    if key in _held:  # this process holds it already (an import writing several cases)
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    handle = os.open(os.path.join(folder, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LockTimeout(f"another writer has held {folder} for over {timeout:.0f} seconds")
                    time.sleep(0.02)
        _held[key] = 1
        yield
    finally:
        _held.pop(key, None)
        os.close(handle)  # closing releases the flock


def _write_temporary(path: str, text: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for(path))
    except BaseException:
        _remove_quietly(temporary)
        raise
    return temporary


def _mode_for(path: str) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _sync_folder(path: str) -> None:
    """Make the rename itself durable (the folder's entry), where the platform allows it."""
    try:
        descriptor = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
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
    except FileNotFoundError:
        pass
