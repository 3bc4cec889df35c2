"""Reading many case files on two processor cores: a second process reads the later half.

100,000 case files take a single core most of the time a report needs, and nearly every
machine has two. Where the system can fork (Linux), and there are enough files to be worth a
second process (``TWO_READERS_FROM``), a forked copy of the tool reads the second half of the
paths while this process reads the first; its records come back pickled through a pipe, with
the checksums of the files it read (``input_files.checksum_as_read``). Everything else (Windows,
macOS, a few files, a thread that is not the main one) reads in this process alone, as does the
second half if the second process fails in any way: the result is the same either way, in path
order.

The second process never outlives this one: the system ends it when this process ends, however
that happens (Ctrl-C, a kill, a crash), and this process ends it on any error of its own. It
holds no terminal: its standard streams are closed to it, so a pipe such as ``report | tee``
ends with this process.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import threading
import typing

from up2u_cba.inputs import input_files

TWO_READERS_FROM = 2_000
"""Below this many files, a second process costs more (its start, the records' return) than it saves."""

Result = typing.TypeVar("Result")

_DIE_WITH_PARENT = 1
"""Linux's PR_SET_PDEATHSIG: the signal a process gets when the process that made it ends."""


def read_all(paths: list[str], read: typing.Callable[[str], Result]) -> list[Result]:
    """``read(path)`` of every path, in order; the later half in a second process where that pays."""
    if not _second_reader_pays(len(paths)):
        return [read(path) for path in paths]
    half = len(paths) // 2
    incoming, outgoing = os.pipe()
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        _second_reader(paths[half:], read, incoming, outgoing, parent)  # (never returns)
    os.close(outgoing)
    try:
        mine = [read(path) for path in paths[:half]]
        with os.fdopen(incoming, "rb") as pipe:
            sent = pipe.read()
        _, status = os.waitpid(child, 0)
    except BaseException:
        _end(child)
        raise
    if status != 0 or not sent:  # (the second process failed: read its half here)
        return mine + [read(path) for path in paths[half:]]
    theirs, checksums = pickle.loads(sent)  # (from this very program, a moment ago)
    input_files.remember_checksums(checksums)
    return mine + theirs


def _second_reader_pays(count: int) -> bool:
    return (count >= TWO_READERS_FROM and sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1
            and threading.current_thread() is threading.main_thread())  # (never fork a thread's work)


def _second_reader(paths: list[str], read: typing.Callable[[str], Result], incoming: int, outgoing: int,
                   parent: int) -> typing.NoReturn:
    """In the forked process: read ``paths``, send the results and checksums, and end, never
    returning into the command (``os._exit``: nothing of the parent's is flushed or run twice)."""
    try:
        os.close(incoming)
        ctypes.CDLL(None, use_errno=True).prctl(_DIE_WITH_PARENT, signal.SIGKILL)
        if os.getppid() != parent:  # (the parent ended before the line above took effect)
            os._exit(1)
        nothing = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(nothing, stream)
        for stopping in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # (a stop ends it at once)
            signal.signal(stopping, signal.SIG_DFL)
        results = [read(path) for path in paths]
        sent = pickle.dumps((results, input_files.checksums_read(paths)), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(outgoing, "wb") as pipe:
            pipe.write(sent)
    except BaseException:
        os._exit(1)
    os._exit(0)


def _end(child: int) -> None:
    """End the second process and wait for it (this process is stopping on an error of its own)."""
    try:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    except OSError:
        pass  # (it had ended already)
