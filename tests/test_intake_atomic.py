"""Intake import stores all of a workbook's cases or none, whenever it is stopped (issue #9).

A kill (SIGKILL) at random moments of a real `up2u-cba intake import` process, Ctrl-C and a full
disk at each write in-process: after each, and after the recovery the next writing run does, the
cases folder is byte for byte as it was before the import or as a whole import leaves it, every
file in it reads as a case, and no staging folder or journal is left. References are synthetic
(BCP-5001...)."""

from __future__ import annotations

import datetime
import errno
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

import openpyxl
import pytest

from hostile import REPO, invoke, sample_project
from up2u_cba import pipeline, storage
from up2u_cba.entry import import_journal, intake
from up2u_cba.inputs import cases

D = datetime.date.fromisoformat
STAGING = import_journal.STAGING
KILL_SEED = 9
KILLS = 14
INTERRUPTS = 4
UPDATED = ("BCP-0013", "BCP-0015")
"""Stored sample cases, still on the programme, that the workbook completes (with --replace)."""


def workbook_rows(count: int):
    """``count`` new completed cases (three events and two outcome lines each), and a
    completion with an outcome line for each stored case in UPDATED."""
    case_rows, outcome_rows = [], []
    localities = ("Bournemouth", "Christchurch", "Poole")
    for number in range(count):
        reference = f"BCP-{5001 + number}"
        start = D("2022-04-01") + datetime.timedelta(days=number % 150)
        case_rows += [(reference, "BCP", localities[number % 3], "referred", start, None),
                      (reference, None, None, "programme", start + datetime.timedelta(days=20), None),
                      (reference, None, None, "completed", start + datetime.timedelta(days=140), None)]
        outcome_rows += [(reference, "HE1.0", 1, 1, None, "Treatment service letter"),
                         (reference, "CR2.0", 1 + number % 3, 1, None, "Police incident check")]
    for reference in UPDATED:  # a stored case is held whole: its stored events, then its completion
        stored, problems = cases.load_file(str(REPO / "cases" / "BCP" / f"{reference}.toml"))
        assert problems == [], problems
        case_rows += [(reference, None, None, event.status.value, event.date, None) for event in stored.history]
        case_rows.append((reference, None, None, "completed", D("2023-01-20"), None))
        outcome_rows.append((reference, "HE1.0", 1, 1, "Abstinent from alcohol for 1 year", "GP letter on file"))
    return case_rows, outcome_rows


def snapshot(folder) -> dict[str, str]:
    """Every file under ``folder`` (lock files aside) and a digest of its bytes, the time of each
    history entry aside: an import stamps the moment it writes, which differs between two runs."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            if name != ".up2u-cba.lock":
                path = os.path.join(root, name)
                with open(path, "rb") as handle:
                    data = re.sub(rb"(?m)^made = .*$", b"made = ...", handle.read())
                found[os.path.relpath(path, folder)] = hashlib.sha256(data).hexdigest()
    return found


class Project:
    """A copy of the sample project, an empty template, a filled workbook, and the cases folder
    as it was before any import (to put back between tries)."""

    def __init__(self, folder, count: int):
        self.folder = folder
        self.settings = sample_project(folder)
        self.cases = folder / "cases"
        self.template = folder / "empty.xlsx"
        result = invoke("intake", "template", self.template, "--settings", self.settings)
        assert result.exit_code == 0, result.output
        self.workbook = folder / "intake.xlsx"
        book = openpyxl.load_workbook(self.template)
        for sheet, rows in zip((book["Cases"], book["Outcomes"]), workbook_rows(count)):
            for number, row in enumerate(rows, start=2):
                for column, value in enumerate(row, start=1):
                    sheet.cell(row=number, column=column, value=value)
        book.save(self.workbook)
        self.pristine = folder / "pristine-cases"
        shutil.copytree(self.cases, self.pristine)
        self.before = snapshot(self.cases)

    def reset(self) -> None:
        shutil.rmtree(self.cases)
        shutil.copytree(self.pristine, self.cases)

    def import_args(self, workbook=None) -> list:
        return ["intake", "import", workbook or self.workbook, "--replace", "--reason", "completed",
                "--settings", self.settings]

    def recover(self):
        """The next writing run: an import of the empty template finishes or undoes an
        interrupted import, and itself writes nothing."""
        return invoke(*self.import_args(self.template))


def assert_none_or_all(project: Project, whole: dict[str, str]) -> str:
    """The cases folder is as before the import or as after a whole one; every case file reads
    without problems; no staging folder or journal is left. Returns "none" or "all"."""
    now = snapshot(project.cases)
    assert not os.path.exists(project.cases / STAGING)
    assert now in (project.before, whole), {
        "new files stored": len(set(now) - set(project.before)),
        "of": len(set(whole) - set(project.before)),
        "updated": [name for name in project.before if now.get(name) != project.before[name]],
    }
    records, problems = cases.load(str(project.cases))
    assert problems == []
    return "none" if now == project.before else "all"


def imported_whole(project: Project) -> dict[str, str]:
    """Import the project's workbook whole; the cases folder as that leaves it."""
    result = invoke(*project.import_args())
    assert result.exit_code == 0, result.output
    return snapshot(project.cases)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A few hundred cases, and the cases folder as a whole import leaves it."""
    project = Project(tmp_path_factory.mktemp("kill"), 250)
    whole = imported_whole(project)
    assert len(set(whole) - set(project.before)) == 250
    assert sorted(name for name in project.before if whole[name] != project.before[name]) == [
        os.path.join("BCP", f"{reference}.toml") for reference in UPDATED]
    project.reset()
    return project, whole


def start_import(project: Project, output):
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "up2u_cba", *map(str, project.import_args())],
                            stdout=output, stderr=subprocess.STDOUT, env=environment)


def wait_for_checked(process, log) -> float:
    """Wait until the import has checked the workbook (and is about to write); the moment."""
    while True:
        if "no problems found" in log.read_text():
            return time.monotonic()
        assert process.poll() is None, log.read_text()
        time.sleep(0.002)


def timed_whole_import(project: Project, tmp_path) -> tuple[float, float]:
    """Seconds an uninterrupted import takes to check the workbook, then to write it."""
    log = tmp_path / "timing.log"
    with open(log, "w") as output:
        started = time.monotonic()
        process = start_import(project, output)
        checked = wait_for_checked(process, log)
        assert process.wait(timeout=120) == 0, log.read_text()
        finished = time.monotonic()
    project.reset()
    return checked - started, finished - checked


def test_a_killed_import_leaves_none_or_all_of_its_cases_after_recovery(big, tmp_path):
    project, whole = big
    checking, writing = timed_whole_import(project, tmp_path)
    rng = random.Random(KILL_SEED)
    seen = {"none": 0, "all": 0, "recovered": 0}
    for attempt in range(KILLS + INTERRUPTS):
        project.reset()
        interrupt = attempt >= KILLS
        log = tmp_path / f"import-{attempt}.log"
        with open(log, "w") as output:
            process = start_import(project, output)
            if attempt % 5 == 0 and not interrupt:  # now and then, any moment of the whole import
                time.sleep(rng.uniform(0, checking + writing))
            else:  # mostly while it writes
                wait_for_checked(process, log)
                time.sleep(rng.uniform(0, writing * (0.8 if interrupt else 1.1)))
            process.send_signal(signal.SIGINT if interrupt else signal.SIGKILL)
            code = process.wait(timeout=120)
        said = log.read_text()
        if interrupt:  # Ctrl-C: settled at once, in the process, with no traceback
            assert code in (0, 1) and "Traceback" not in said, said
            assert code == 0 or "Stopped: " in said, said
            assert_none_or_all(project, whole)
            continue
        if os.path.exists(project.cases / STAGING):
            seen["recovered"] += 1
            told = invoke("validate", "--settings", project.settings)
            assert told.exit_code == 1 and "[interrupted-import]" in told.output, told.output
            assert STAGING in told.output
            recovered = project.recover()
            assert recovered.exit_code == 0, recovered.output
            assert "was interrupted" in recovered.output
            assert ("Finished it (rolled forward)" in recovered.output
                    or "Undid it (rolled back)" in recovered.output
                    or "nothing of it was half-written" in recovered.output), recovered.output
        seen[assert_none_or_all(project, whole)] += 1
        assert invoke("validate", "--settings", project.settings).exit_code == 0
    print(f"\n{KILLS} kills, {INTERRUPTS} Ctrl-C: {seen} (check {checking:.2f} s, write {writing:.2f} s)")
    assert seen["recovered"] >= 2  # the kills did land while it wrote


# --- in-process: Ctrl-C and a full disk at each write ----------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("small"), 12)
    whole = imported_whole(project)
    project.reset()
    return project, whole


class Failing:
    """Stands in for an os function: raises ``error`` at the ``at``-th call (and, ``lasting``,
    every call after it), else calls the real one."""

    def __init__(self, real, at: int, error: BaseException, lasting: bool = False):
        self.real, self.at, self.error, self.lasting = real, at, error, lasting
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at or (self.lasting and self.calls > self.at):
            raise self.error
        return self.real(*args, **kwargs)


def count_calls(project: Project, monkeypatch, name: str) -> int:
    counter = Failing(getattr(os, name), 0, OSError())
    with monkeypatch.context() as patch:
        patch.setattr(os, name, counter)
        assert invoke(*project.import_args()).exit_code == 0
    project.reset()
    return counter.calls


def spread(total: int, count: int = 5) -> list[int]:
    """``count`` call numbers spread over 1..total, first and last included."""
    return sorted({1, total, *random.Random(total).sample(range(1, total + 1), min(count, total))})


def test_a_full_disk_at_any_write_stores_nothing(small, monkeypatch):
    project, whole = small
    for at in spread(count_calls(project, monkeypatch, "fsync")):
        project.reset()
        with monkeypatch.context() as patch:
            patch.setattr(os, "fsync", Failing(os.fsync, at, OSError(errno.ENOSPC, "No space left on device")))
            result = invoke(*project.import_args())
        if result.exit_code:  # (a failed fsync of a folder after the renames changes nothing)
            assert "[cannot-write]" in result.output and "Traceback" not in result.output, result.output
            assert "disk is full" in result.output
            assert assert_none_or_all(project, whole) == "none"
        else:
            assert assert_none_or_all(project, whole) == "all"


@pytest.mark.parametrize("lasting", [False, True], ids=["once", "lasting"])
def test_a_rename_that_fails_is_finished_now_or_by_the_next_run(small, monkeypatch, lasting):
    project, whole = small
    for at in spread(count_calls(project, monkeypatch, "replace")):
        project.reset()
        with monkeypatch.context() as patch:
            patch.setattr(os, "replace", Failing(os.replace, at, OSError(errno.ENOSPC, "No space left"), lasting))
            result = invoke(*project.import_args())
        assert "Traceback" not in result.output, result.output
        if result.exit_code == 0:
            assert assert_none_or_all(project, whole) == "all"
        elif "[interrupted-import]" in result.output:  # the disk would not let it finish now
            recovered = project.recover()
            assert "Finished it (rolled forward)" in recovered.output, recovered.output
            assert assert_none_or_all(project, whole) == "all"
        else:  # the journal itself could not be stored: undone at once
            assert "[cannot-write]" in result.output, result.output
            assert assert_none_or_all(project, whole) == "none"


@pytest.mark.parametrize("name", ["fsync", "replace"])
def test_ctrl_c_at_any_write_settles_the_import_before_stopping(small, monkeypatch, name):
    project, whole = small
    for at in spread(count_calls(project, monkeypatch, name)):
        project.reset()
        with monkeypatch.context() as patch:
            patch.setattr(os, name, Failing(getattr(os, name), at, KeyboardInterrupt()))
            result = invoke(*project.import_args())
        assert "Traceback" not in result.output, result.output
        if result.exit_code == 0:
            assert assert_none_or_all(project, whole) == "all"
            continue
        assert result.exit_code == 1
        stored = assert_none_or_all(project, whole)
        if stored == "all":
            assert "Stopped: the import was finished first" in result.output, result.output
        else:
            assert "Stopped: nothing was written." in result.output, result.output


def test_ctrl_c_pressed_again_while_settling_leaves_it_to_the_next_run(small, monkeypatch):
    project, whole = small
    project.reset()
    with monkeypatch.context() as patch:  # Ctrl-C at the third rename, and again at each after it
        patch.setattr(os, "replace", Failing(os.replace, 3, KeyboardInterrupt(), lasting=True))
        result = invoke(*project.import_args())
    assert result.exit_code == 1 and "Stopped part-way" in result.output, result.output
    assert "[interrupted-import]" in invoke("validate", "--settings", project.settings).output
    recovered = project.recover()
    assert "was interrupted: 1 of 14 case files had been written:" in recovered.output, recovered.output
    assert assert_none_or_all(project, whole) == "all"


# --- an interrupted import, as the next run finds it --------------------------------------------------


class Killed(BaseException):
    """The process dies here: nothing after it runs (no handler catches it)."""


def die_at(project: Project, monkeypatch, name: str, at: int) -> None:
    """Import the workbook, the process 'dying' at the ``at``-th call of os.``name``."""
    plan_inputs, problems = pipeline.load(str(project.settings))
    with monkeypatch.context() as patch, storage.folder_lock(str(project.cases)):
        plan = intake.plan_import(str(project.workbook), plan_inputs.settings, plan_inputs.costs,
                                  plan_inputs.series, plan_inputs.cases, problems, replace=True)
        assert plan.problems == []
        patch.setattr(os, name, Failing(getattr(os, name), at, Killed()))
        with pytest.raises(Killed):
            intake.apply(plan, plan_inputs.settings, plan_inputs.costs, plan_inputs.series, "completed")


def test_validate_reports_an_import_killed_while_renaming_and_the_next_import_finishes_it(small, monkeypatch):
    project, whole = small
    project.reset()
    die_at(project, monkeypatch, "replace", 6)  # the journal, then 4 case files renamed into place
    told = invoke("validate", "--settings", project.settings)
    assert told.exit_code == 1, told.output
    assert "[interrupted-import]" in told.output
    assert os.path.join(STAGING, import_journal.JOURNAL) in told.output
    assert "after writing 4 of its 14 case files" in told.output and "rolls it forward" in told.output
    listed = invoke("case", "list", "--settings", project.settings)  # reading commands leave it be
    assert os.path.exists(project.cases / STAGING), listed.output

    recovered = project.recover()
    assert recovered.exit_code == 0, recovered.output
    assert "was interrupted: 4 of 14 case files had been written:" in recovered.output
    assert recovered.output.count(f"  {project.cases}{os.sep}") == 4  # each named
    assert "Finished it (rolled forward): all 14 case files" in recovered.output
    assert assert_none_or_all(project, whole) == "all"
    assert invoke("validate", "--settings", project.settings).exit_code == 0


def test_an_import_killed_while_preparing_is_undone_by_the_next_writing_run(small, monkeypatch):
    project, whole = small
    project.reset()
    die_at(project, monkeypatch, "fsync", 7)
    told = invoke("validate", "--settings", project.settings)
    assert told.exit_code == 1 and "[interrupted-import]" in told.output, told.output
    assert "before it stored anything" in told.output and "rolls it back" in told.output
    dry = invoke(*project.import_args(), "--dry-run")  # a dry run changes nothing, so says so
    assert dry.exit_code == 1 and "[interrupted-import]" in dry.output, dry.output

    recovered = invoke(*project.import_args())  # the import itself, run again
    assert recovered.exit_code == 0, recovered.output
    assert "Undid it (rolled back)" in recovered.output
    assert "Done: 12 new cases written and 2 stored cases replaced" in recovered.output
    assert assert_none_or_all(project, whole) == "all"


def test_guided_entry_finishes_an_interrupted_import_before_it_asks_anything(small, monkeypatch):
    project, whole = small
    project.reset()
    die_at(project, monkeypatch, "replace", 3)
    entry = invoke("case", "new", "--settings", project.settings, input="")  # then stops at the first question
    assert "was interrupted: 1 of 14 case files had been written:" in entry.output, entry.output
    assert "Finished it (rolled forward)" in entry.output
    assert assert_none_or_all(project, whole) == "all"


def test_ctrl_c_while_guided_entry_finishes_an_interrupted_import_does_not_claim_nothing_was_written(
        small, monkeypatch):
    project, whole = small
    project.reset()
    die_at(project, monkeypatch, "replace", 3)  # the journal, then 1 case file renamed into place
    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", Failing(os.replace, 2, KeyboardInterrupt()))  # Ctrl-C mid-recovery
        entry = invoke("case", "new", "--settings", project.settings, input="")
    assert entry.exit_code == 1, entry.output
    assert "nothing was written" not in entry.output, entry.output
    assert "Stopped while finishing an interrupted import" in entry.output
    assert "[interrupted-import]" in invoke("validate", "--settings", project.settings).output
    project.recover()
    assert assert_none_or_all(project, whole) == "all"


def test_a_damaged_staged_file_rolls_the_whole_import_back(small, monkeypatch):
    project, whole = small
    project.reset()
    die_at(project, monkeypatch, "replace", 4)  # 2 case files stored of 14
    staged = sorted((project.cases / STAGING).glob("*.case"))
    staged[-1].write_text("reference = \"BCP-5999\"\n")  # damaged after the journal named its sha256
    told = invoke("validate", "--settings", project.settings)
    assert "[interrupted-import]" in told.output and "rolls it back" in told.output, told.output
    recovered = project.recover()
    assert "Undid it (rolled back)" in recovered.output, recovered.output
    assert "2 files written were put back" in recovered.output
    assert assert_none_or_all(project, whole) == "none"


def test_a_stored_update_killed_part_way_is_put_back_from_its_backup(small, monkeypatch):
    project, whole = small
    project.reset()
    die_at(project, monkeypatch, "replace", 15)  # the journal, 12 new cases, then the first update
    changed = [name for name, digest in snapshot(project.cases).items()
               if name in project.before and digest != project.before[name]]
    assert changed == [os.path.join("BCP", f"{UPDATED[0]}.toml")]
    (project.cases / STAGING / "00014.case").unlink()  # the other update's staged file is lost
    recovered = project.recover()
    assert "Undid it (rolled back)" in recovered.output, recovered.output
    assert assert_none_or_all(project, whole) == "none"  # the updated case is as it was


def test_a_linked_case_folder_on_another_disk_is_refused_before_anything_is_stored(tmp_path):
    other = "/dev/shm"
    if not os.path.isdir(other) or os.stat(other).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second filesystem at /dev/shm")
    project = Project(tmp_path, 3)
    outside = os.path.join(other, f"up2u-test-{os.getpid()}")  # the BCP folder moved there, linked here
    shutil.copytree(project.cases / "BCP", outside)
    try:
        shutil.rmtree(project.cases / "BCP")
        os.symlink(outside, project.cases / "BCP")
        before = snapshot(project.cases)
        result = invoke(*project.import_args())
        assert result.exit_code == 1 and "[other-disk]" in result.output, result.output
        assert snapshot(project.cases) == before and not os.path.exists(project.cases / STAGING)
    finally:
        shutil.rmtree(outside)


def test_a_case_folder_linked_from_outside_the_cases_folder_is_refused_before_anything_is_stored(tmp_path):
    """On the same disk too: recovery refuses a journal naming a file outside the cases folder
    (links followed), so an import that wrote there could be neither finished nor undone."""
    project = Project(tmp_path, 3)
    outside = tmp_path / "elsewhere"
    (project.cases / "BCP").rename(outside)
    (project.cases / "BCP").symlink_to(outside, target_is_directory=True)
    before, elsewhere = snapshot(project.cases), snapshot(outside)
    result = invoke(*project.import_args())
    assert result.exit_code == 1 and "[outside-cases-folder]" in result.output, result.output
    assert snapshot(outside) == elsewhere and snapshot(project.cases) == before
    assert not os.path.exists(project.cases / STAGING)


def test_an_import_killed_as_it_began_or_finished_is_settled_and_said(tmp_path):
    """Killed between making its working folder and staging a file (or after its clean-up
    removed the journal and the staged files): nothing is half-written, and the next writing
    run says so as it removes the folder, rather than nothing at all."""
    settings = sample_project(tmp_path)
    before = snapshot(tmp_path / "cases")
    os.mkdir(tmp_path / "cases" / STAGING)
    assert "[interrupted-import]" in invoke("validate", "--settings", settings).output
    template = tmp_path / "template.xlsx"
    assert invoke("intake", "template", str(template), "--settings", settings).exit_code == 0
    recovered = invoke("intake", "import", str(template), "--settings", settings)
    assert "nothing of it was half-written" in recovered.output, recovered.output
    assert not (tmp_path / "cases" / STAGING).exists()
    assert snapshot(tmp_path / "cases") == before
    assert invoke("validate", "--settings", settings).exit_code == 0
