"""Case files read on two cores (``two_readers``: issue #11) give exactly what one reader gives:
the same records and problems in the same order, the checksums the report lists, and the same
again when the second process fails; and the second process never outlives the first."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from hostile import REPO, sample_project
from up2u_cba.inputs import cases, input_files, two_readers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a second reader forks: Linux only")


@pytest.fixture
def project(tmp_path):
    sample_project(tmp_path)
    paths, _ = cases._walk(str(tmp_path / "cases"))
    for broken in (paths[1], paths[-2]):  # (one in each reader's half)
        with open(broken, "a", encoding="utf-8") as handle:
            handle.write('\n[[outcomes]]\ncode = "HE1.0"\nquantity = "two"\n')
    return tmp_path / "cases", paths


def _read(folder, monkeypatch, from_count):
    monkeypatch.setattr(two_readers, "TWO_READERS_FROM", from_count)
    monkeypatch.setattr(input_files, "_checksums", {})
    return cases.load(str(folder))


def test_two_readers_give_what_one_gives(project, monkeypatch):
    folder, paths = project
    alone = _read(folder, monkeypatch, 10**9)
    assert [problem.file for problem in alone[1]] == [paths[1], paths[-2]]  # (so their order is compared too)
    forks = []
    fork = os.fork
    monkeypatch.setattr(two_readers.os, "fork", lambda: forks.append(1) or fork())

    together = _read(folder, monkeypatch, 2)

    assert forks == [1]
    assert together == alone
    read = input_files.checksums_read(paths)  # (kept by this process: the second reader's sent back)
    for path in paths:
        with open(path, "rb") as handle:
            assert read[path][1] == hashlib.sha256(handle.read()).hexdigest(), path


def test_when_the_second_reader_fails_this_process_reads_its_half(project, monkeypatch):
    folder, paths = project
    alone = _read(folder, monkeypatch, 10**9)
    monkeypatch.setattr(two_readers, "_second_reader", lambda *_: os._exit(3))  # (in the forked process)
    together = _read(folder, monkeypatch, 2)
    assert together == alone
    assert set(input_files.checksums_read(paths)) == set(paths)


def test_the_second_reader_ends_when_the_first_is_killed(project):
    """Found attacking issue #11: `kill PID` of a report left its second reader running for
    ever, blocked on the pipe, holding its memory and the terminal's output."""
    folder, _ = project
    script = textwrap.dedent(f"""
        import sys, time
        from up2u_cba.inputs import cases, two_readers
        two_readers.TWO_READERS_FROM = 2
        slow = cases._load_partly
        def crawl(path):
            time.sleep(0.5)
            return slow(path)
        cases._load_partly = crawl
        print("reading", flush=True)
        cases.load({str(folder)!r})
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout.readline() == b"reading\n"
    children = []
    for _ in range(100):  # (until it has forked)
        children = _children(process.pid)
        if children:
            break
        time.sleep(0.05)
    assert children, "no second reader was started"
    process.send_signal(signal.SIGKILL)
    process.wait()
    for _ in range(100):
        if not any(_alive(child) for child in children):
            break
        time.sleep(0.05)
    left = [child for child in children if _alive(child)]
    for child in left:
        os.kill(child, signal.SIGKILL)
    assert left == []


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
            found += [int(child) for child in handle.read().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False
