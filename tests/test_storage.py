"""Safe storage (issue #4): a write leaves the old file or the new one, never a broken one; two
writers never take one name."""

from __future__ import annotations

import errno
import glob
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from test_entry_support import ROOT, sample_project
from up2u_cba import storage
from up2u_cba.inputs import cases

OLD = '# old\nreference = "BCP-9001"\n'
NEW = '# new\nreference = "BCP-9001"\nservice = "BCP"\n'


def temporaries(folder) -> list[str]:
    return glob.glob(os.path.join(str(folder), ".*.tmp"))


def test_write_atomic_replaces_the_content_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "BCP-9001.toml"
    path.write_text(OLD)
    storage.write_atomic(str(path), NEW)
    assert path.read_text() == NEW
    assert temporaries(tmp_path) == []


def test_a_failing_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "BCP-9001.toml"
    path.write_text(OLD)

    def crash(source, target):
        raise OSError(errno.EIO, "simulated crash at the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        storage.write_atomic(str(path), NEW)
    assert path.read_text() == OLD
    assert temporaries(tmp_path) == []


def test_a_full_disk_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "BCP-9001.toml"
    path.write_text(OLD)

    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as raised:
        storage.write_atomic(str(path), NEW)
    assert raised.value.errno == errno.ENOSPC
    assert path.read_text() == OLD
    assert temporaries(tmp_path) == []


def test_a_refused_check_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "BCP-9001.toml"
    path.write_text(OLD)
    seen = []

    def refuse(temporary):
        seen.append(open(temporary).read())
        raise ValueError("refused")

    with pytest.raises(ValueError):
        storage.write_atomic(str(path), NEW, verify=refuse)
    assert seen == [NEW]  # the check saw the finished new text...
    assert path.read_text() == OLD  # ...and refusing it left the old file
    assert temporaries(tmp_path) == []


def test_create_exclusive_never_replaces_an_existing_file(tmp_path):
    path = tmp_path / "BCP-9001.toml"
    storage.create_exclusive(str(path), OLD)
    with pytest.raises(FileExistsError):
        storage.create_exclusive(str(path), NEW)
    assert path.read_text() == OLD
    assert temporaries(tmp_path) == []


WRITER = """
import sys
sys.path.insert(0, sys.argv[1])
from up2u_cba import storage
path, texts = sys.argv[2], [open(sys.argv[3]).read(), open(sys.argv[4]).read()]
print("ready", flush=True)
number = 0
while True:
    storage.write_atomic(path, texts[number % 2])
    number += 1
"""


def test_killing_a_writer_at_random_moments_never_leaves_a_broken_case(tmp_path):
    """A process rewrites one case file over and over, alternating a small and a large version
    (0.85 MB, under the case-file size bound), and is SIGKILLed at a random moment, 15 times:
    the file is always exactly one of the two versions and reads as a case. (The same harness with a plain open-and-write
    leaves a truncated file in most rounds.)"""
    small = (ROOT / "tests" / "fixtures" / "entry" / "BCP-0064-entered.toml").read_text()
    large = small + "".join(f"# padding {number:07d} {'x' * 100}\n" for number in range(7000))
    (tmp_path / "small.txt").write_text(small)
    (tmp_path / "large.txt").write_text(large)
    folder = tmp_path / "cases"
    folder.mkdir()
    path = folder / "BCP-0064.toml"
    path.write_text(small)
    interrupted = 0
    for _ in range(15):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), str(path),
                                   str(tmp_path / "small.txt"), str(tmp_path / "large.txt")],
                                  stdout=subprocess.PIPE)
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(random.uniform(0.005, 0.04))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        text = path.read_text()
        assert text in (small, large)
        record, problems = cases.load_file(str(path))
        assert problems == [] and record.reference == "BCP-0064"
        assert cases.case_files(str(folder)) == [str(path)]  # a stray temporary is never read as a case
        left = temporaries(folder)
        interrupted += bool(left)
        for stray in left:
            os.unlink(stray)
    assert interrupted >= 1, "no kill landed in the middle of a write: the test proved nothing"


RACER = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from up2u_cba import models, pipeline
from up2u_cba.entry import case_files
settings_file, go = sys.argv[2], sys.argv[3]
inputs, problems = pipeline.load(settings_file)
service = inputs.settings.service("BCP")
folder = inputs.settings.cases_folder
reference = case_files.next_reference(service, case_files.known_references(folder))
print("ready", reference, flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
attempts = 1
while True:
    record = models.CaseRecord(reference=reference, service="BCP", locality="Poole",
        history=(models.StatusEvent(status="referred", date="2023-03-01"),))
    path = case_files.new_case_path(folder, "BCP", inputs.cases, reference)
    problems = case_files.save_new(record.model_copy(update={"file": path}), path, folder,
                                   inputs.settings, inputs.costs, inputs.series)
    if problems and problems[0].code == "reference-taken":
        reference = case_files.next_reference(service, case_files.known_references(folder))
        attempts += 1
        continue
    assert not problems, problems
    print("saved", reference, attempts, flush=True)
    break
"""


WINDOWS_LIKE = {
    "posix": "",
    "no fcntl": "import sys; sys.modules['fcntl'] = None\n",  # import fcntl fails, as on Windows
    "no fcntl, no hard links": "import sys, os, errno; sys.modules['fcntl'] = None\n"  # a share without links
                               "def _no_link(*a, **k): raise OSError(errno.EPERM, 'no hard links')\n"
                               "os.link = _no_link\n",
}


@pytest.mark.parametrize("platform", WINDOWS_LIKE)
def test_writers_racing_for_one_reference_each_get_their_own(tmp_path, platform):
    """Six processes are each offered BCP-0064, then save at the same moment: one gets it, the
    others are told it was taken and take the next free ones; no case is lost or overwritten.
    The same with fcntl missing (issue #15) and with hard links refused."""
    settings = sample_project(tmp_path)
    go = tmp_path / "go"
    racers = [subprocess.Popen([sys.executable, "-c", WINDOWS_LIKE[platform] + RACER, str(ROOT), str(settings), str(go)],
                               stdout=subprocess.PIPE, text=True) for _ in range(6)]
    offered = [racer.stdout.readline().split() for racer in racers]
    assert offered == [["ready", "BCP-0064"]] * 6
    go.touch()
    results = []
    for racer in racers:
        output, _ = racer.communicate(timeout=60)
        assert racer.returncode == 0, output
        _, reference, attempts = output.split()
        results.append((reference, int(attempts)))
    references = sorted(reference for reference, _ in results)
    assert references == [f"BCP-{number:04d}" for number in range(64, 70)]
    assert sorted(attempts for _, attempts in results)[:2] == [1, 2]  # one won at once; the others retried
    for reference in references:
        record, problems = cases.load_file(str(tmp_path / "cases" / "BCP" / f"{reference}.toml"))
        assert problems == [] and record.reference == reference


@pytest.mark.parametrize("platform", WINDOWS_LIKE)
def test_the_folder_lock_makes_another_process_wait(tmp_path, platform):
    holder = subprocess.Popen(
        [sys.executable, "-c", WINDOWS_LIKE[platform] +
         "import sys, time; sys.path.insert(0, sys.argv[1]); from up2u_cba import storage\n"
         "with storage.folder_lock(sys.argv[2]):\n    print('held', flush=True); time.sleep(0.5)",
         str(ROOT), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    with pytest.raises(storage.LockTimeout):
        with storage.folder_lock(str(tmp_path), timeout=0.1):
            pass
    with storage.folder_lock(str(tmp_path), timeout=10):
        waited = time.monotonic() - started
    holder.communicate()
    assert waited >= 0.2  # it had to wait for the other process to let go


def test_the_folder_lock_can_be_taken_again_by_the_process_holding_it(tmp_path):
    with storage.folder_lock(str(tmp_path)):
        with storage.folder_lock(str(tmp_path), timeout=0.1):
            pass
