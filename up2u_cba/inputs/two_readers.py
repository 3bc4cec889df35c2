"""Reading many case files on two processor cores: a second process reads the later half.

100,000 case files take a single core most of the time a report needs, and nearly every
machine has two. Where the system can fork (Linux), and there are enough files to be worth a
second process (``TWO_READERS_FROM``), a forked copy of the tool reads the second half of the
paths while this process reads the first; its records come back pickled, with the checksums
of the files it read (``input_files.checksum_as_read``). Everything else (Windows, macOS, a
few files, a thread that is not the main one) reads in this process alone, as does the second
half if the second process fails in any way: the result is the same either way, in path order.
The wait for the second process is as long as its reading takes, as this process's own would
be; a second process whose parent is killed finishes its half and ends.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import sys
import threading
import typing

from up2u_cba.inputs import input_files

TWO_READERS_FROM = 2_000
"""Below this many files, a second process costs more (its start, the records' return) than it saves."""

Result = typing.TypeVar("Result")


def read_all(paths: list[str], read: typing.Callable[[str], Result]) -> list[Result]:
    """``read(path)`` of every path, in order; the later half in a second process where that pays."""
    if not _second_reader_pays(len(paths)):
        return [read(path) for path in paths]
    half = len(paths) // 2
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as reader:
        theirs = reader.submit(_read_and_checksum, paths[half:], read)
        mine = [read(path) for path in paths[:half]]
        try:
            results, checksums = theirs.result()
        except Exception:  # (the second process died, or could not return its records: read them here)
            results = [read(path) for path in paths[half:]]
        else:
            input_files.remember_checksums(checksums)
    return mine + results


def _second_reader_pays(count: int) -> bool:
    return (count >= TWO_READERS_FROM and sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1
            and threading.current_thread() is threading.main_thread())  # (never fork a thread's work)


def _read_and_checksum(paths: list[str], read: typing.Callable[[str], Result]) -> tuple[list[Result], dict]:
    """In the second process: its results, and the checksums of the files it read."""
    results = [read(path) for path in paths]
    return results, input_files.checksums_read(paths)
