"""One case file, one lock, whichever folder ``--cases`` names (issue #15): a run given the cases
folder (``cases``) and a run given a service folder inside it (``cases/BCP``) lock different
folders, so every write of a case also holds the lock of the folder the case is in. Tested with
real processes: a run stopped in the middle of saving a BCP case keeps the other spelling's run
out, and two corrections of one case made at once through the two spellings never lose one."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from hostile import filled_intake, invoke, sample_project, snapshot, assert_unchanged
from test_entry_support import ROOT
from test_lock_portable import NEW_CASE
from test_intake_atomic import Failing, Killed
from test_storage import WINDOWS_LIKE
from up2u_cba import pipeline, storage
from up2u_cba.entry import import_journal, intake

RUN = """
import os, sys
sys.path.insert(0, sys.argv[1])
from up2u_cba import storage
from up2u_cba.cli.main import main
role = sys.argv[2]
if role == "pause":  # stop in the middle of saving (the locks held, the file read): go on at a line on stdin
    real_write = storage.write_atomic
    def paused(*args, **kwargs):
        print("saving", flush=True)
        sys.stdin.readline()
        return real_write(*args, **kwargs)
    storage.write_atomic = paused
elif role.startswith("tell:"):  # create the file named once a lock this run wants is found held
    told, real_open = role[len("tell:"):], os.open
    def watched(path, flags, *args, **kwargs):
        try:
            return real_open(path, flags, *args, **kwargs)
        except FileExistsError:
            if str(path).endswith(storage.LOCK_NAME) and not os.path.exists(told):
                open(told, "w").close()
            raise
    os.open = watched
main(sys.argv[3:], prog_name="up2u-cba")
"""
"""Runs up2u-cba in a process of its own (arguments: ROOT, a role, then the command line)."""

SERVICE_FOLDER = os.path.join("cases", "BCP")
SPELLINGS = [("cases", SERVICE_FOLDER), (SERVICE_FOLDER, "cases")]
"""(the first run's --cases, the second run's --cases): the cases folder and a service folder in it."""


@pytest.fixture
def project(tmp_path):
    sample_project(tmp_path)
    return tmp_path


def start(project, role, *args, wait=0.2, platform="posix", stdin=subprocess.DEVNULL) -> subprocess.Popen:
    """Start ``up2u-cba ARGS`` in ``project`` as a process of its own, waiting ``wait`` seconds
    for a lock held by another run."""
    environment = os.environ | {storage.LOCK_WAIT_VARIABLE: str(wait)}
    environment.pop("UP2U_CBA_SETTINGS", None)
    return subprocess.Popen([sys.executable, "-c", WINDOWS_LIKE[platform] + RUN, str(ROOT), role,
                             *[str(arg) for arg in args]],
                            cwd=project, env=environment, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def reached_saving(run: subprocess.Popen) -> bool:
    """Read what a run started as "pause" shows, up to the moment it stops in the middle of
    saving (True), or to its end (False)."""
    for line in run.stdout:
        if line.strip() == "saving":
            return True
    return False


def withdraw(cases_folder, reason):
    return ["case", "withdraw", "BCP-0003", "--settings", "up2u-cba.toml", "--cases", cases_folder,
            "--reason", reason, "--yes"]


def stored(project) -> str:
    return (project / "cases" / "BCP" / "BCP-0003.toml").read_text(encoding="utf-8")


COMMANDS = {
    "case withdraw": lambda project: withdraw("cases", "entered twice"),
    "case new": lambda project: ["case", "new", "--settings", "up2u-cba.toml", "--cases", "cases"],
    "intake import": lambda project: ["intake", "import", filled_intake(
        project, project / "up2u-cba.toml", [("BCP-9101", "HO3.0", 1, 1, None, "Housing options letter")]),
        "--settings", "up2u-cba.toml", "--cases", "cases"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_run_given_the_cases_folder_waits_for_a_run_saving_in_a_service_folder(project, command):
    """While a run given ``--cases cases/BCP`` holds its lock (saving a BCP case), a run given
    ``--cases cases`` writing a BCP case waits for it, and says who holds which lock file."""
    args = COMMANDS[command](project)
    before = snapshot(project / "cases")
    with storage.folder_lock(str(project / SERVICE_FOLDER)):
        run = start(project, "plain", *args, stdin=subprocess.PIPE)
        output, _ = run.communicate("".join(f"{answer}\n" for answer in NEW_CASE), timeout=120)
    assert run.returncode == 1, output
    assert "[folder-locked]" in output and os.path.join(SERVICE_FOLDER, storage.LOCK_NAME) in output, output
    assert "Traceback" not in output, output
    if command == "case new":  # (what was typed is kept in a recovery file, in a dot-folder)
        assert not (project / "cases" / "BCP" / "BCP-0101.toml").exists()
        assert {name for name in snapshot(project / "cases") if not name.startswith(".")} == set(before)
    else:
        assert_unchanged(before, project / "cases")


@pytest.mark.parametrize("first, second", SPELLINGS)
def test_a_run_stopped_while_saving_a_case_keeps_the_other_spelling_out(project, first, second):
    """A run saving BCP-0003 is held in the middle of the save (the file read and compared, not
    yet replaced); a run given the other folder as ``--cases`` cannot save over the same case
    meanwhile: it is refused as ``folder-locked`` once its wait is over. The first then saves."""
    saving = start(project, "pause", *withdraw(first, "entered twice (first run)"), stdin=subprocess.PIPE)
    try:
        assert reached_saving(saving)
        other = start(project, "plain", *withdraw(second, "entered twice (second run)"))
        output, _ = other.communicate(timeout=120)
        assert other.returncode == 1 and "[folder-locked]" in output, output
    finally:
        saving.stdin.write("\n")
        saving.stdin.close()
        first_output = saving.stdout.read()
        saving.wait(timeout=120)
    assert saving.returncode == 0, first_output
    assert "first run" in stored(project) and "second run" not in stored(project)


@pytest.mark.parametrize("platform", ["posix", "no fcntl"])
@pytest.mark.parametrize("first, second", SPELLINGS)
def test_two_corrections_of_one_case_through_different_folders_never_lose_one(project, first, second, platform):
    """Two runs withdraw BCP-0003 at once, one given ``--cases cases``, the other
    ``--cases cases/BCP``, each with its own reason. The second reads the case while the first
    is saving, and waits for it; then it is refused as changed meanwhile (or both are stored in
    turn): never both told "Withdrew" with one reason lost. The same where fcntl is missing."""
    saving = start(project, "pause", *withdraw(first, "entered twice (first run)"), platform=platform,
                   stdin=subprocess.PIPE)
    told = project / "second run waits"
    try:
        assert reached_saving(saving)
        other = start(project, f"tell:{told}", *withdraw(second, "entered twice (second run)"), wait=120,
                      platform=platform)
        while not told.exists() and other.poll() is None:  # it waits for the lock, or (unlocked) has saved
            time.sleep(0.01)
    finally:
        saving.stdin.write("\n")
        saving.stdin.close()
        first_output = saving.stdout.read()
        saving.wait(timeout=120)
    output, _ = other.communicate(timeout=120)
    assert saving.returncode == 0, first_output
    text = stored(project)
    assert "first run" in text, text
    if other.returncode == 0:
        assert "second run" in text, f"the second run said it saved, but its change was lost:\n{output}\n{text}"
    else:
        assert "[case-changed]" in output and "second run" not in text, output


def test_a_lock_file_left_in_a_service_folder_is_never_read_as_a_case(project, monkeypatch):
    """While a run holds a service folder's lock (its lock file lies among the case files),
    `validate` is clean and `case list` lists the same cases."""
    monkeypatch.chdir(project)
    listed = invoke("case", "list", "--settings", "up2u-cba.toml")
    with storage.folder_lock(str(project / SERVICE_FOLDER)):
        assert (project / SERVICE_FOLDER / storage.LOCK_NAME).exists()
        checked = invoke("validate", "--settings", "up2u-cba.toml")
        assert checked.exit_code == 0 and storage.LOCK_NAME not in checked.output, checked.output
        assert invoke("case", "list", "--settings", "up2u-cba.toml").output == listed.output


def test_finishing_an_interrupted_import_waits_for_a_run_saving_in_a_service_folder(project, monkeypatch):
    """An import into ``cases`` stopped after its journal was written (its new BCP case not yet
    renamed into place) is finished by the next run that writes cases; while a run given
    ``--cases cases/BCP`` holds that folder's lock, the finishing waits too, writing nothing."""
    monkeypatch.chdir(project)
    workbook = filled_intake(project, project / "up2u-cba.toml",
                             [("BCP-9101", "HO3.0", 1, 1, None, "Housing options letter")])
    inputs, problems = pipeline.load("up2u-cba.toml")
    plan = intake.plan_import(str(workbook), inputs.settings, inputs.costs, inputs.series, inputs.cases, problems,
                              replace=False)
    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", Failing(os.replace, 2, Killed()))  # the journal, then the case file
        with pytest.raises(Killed):
            intake.apply(plan, inputs.settings, inputs.costs, inputs.series)
    assert import_journal.interrupted("cases") and not (project / "cases" / "BCP" / "BCP-9101.toml").exists()
    before = snapshot(project / "cases")
    with storage.folder_lock(str(project / SERVICE_FOLDER)):
        run = start(project, "plain", *withdraw("cases", "entered twice"))
        output, _ = run.communicate(timeout=120)
    assert run.returncode == 1 and "[folder-locked]" in output and "Traceback" not in output, output
    assert_unchanged(before, project / "cases")
    finished = invoke(*withdraw("cases", "entered twice"))
    assert finished.exit_code == 0 and "Finished it (rolled forward)" in finished.output, finished.output
    assert (project / "cases" / "BCP" / "BCP-9101.toml").exists()
