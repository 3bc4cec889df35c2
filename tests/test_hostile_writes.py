"""Failed writes, held locks, outputs that are not files, and typed work kept (issue #9, parts 3,
4, 5 and 10), tried through the command line as a user meets them.

Disk-full, read-only and permission errors are simulated at the OS call (we run as root, so
chmod refuses nothing). Every refusal must: exit non-zero with no traceback, name the file,
leave every old file byte-identical, and leave no temporary file. Guided entry must keep what
was typed in a recovery file that `--resume` saves.
"""

from __future__ import annotations

import datetime
import errno
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib

import pytest

from hostile import REPO, assert_refused, assert_unchanged, invoke, sample_project, snapshot
from up2u_cba import models, storage
from up2u_cba.cli import launch
from up2u_cba.entry import case_files, unsaved_cases
from up2u_cba.inputs import cases
from up2u_cba.outputs import render_xlsx

WORKBOOK = REPO / "unit_costs" / "gmca-ucd-v1.4.xlsx"
HAND_EDITED = REPO / "tests" / "fixtures" / "entry" / "hand_edited.toml"
NEW_CASE = ["BCP", "3", "BCP-0101", "2023-02-01", "", "y"]
"""Answers to `case new`: service, locality (Poole), reference, referral date, no later events, write."""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the sample project, run from its own folder, with a private temporary folder
    (where a recovery file goes when the cases folder will not take it)."""
    settings = sample_project(tmp_path)
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(storage.LOCK_WAIT_VARIABLE, "0.3")
    return tmp_path, settings


def run(settings, *args, answers=()):
    return invoke(*args, "--settings", settings, input="".join(f"{answer}\n" for answer in answers))


def temporaries(folder) -> list[str]:
    return [str(path) for path in pathlib.Path(folder).rglob("*") if path.name.endswith(".tmp")
            or path.name.startswith(".up2u-cba-")]


def without_recovery(before: dict[str, str], folder) -> None:
    """Nothing changed under ``folder`` except recovery files added."""
    after = {name: digest for name, digest in snapshot(folder).items() if unsaved_cases.FOLDER not in name}
    assert after == before


def failing(error_number: int, message: str = "simulated"):
    def fail(*args, **kwargs):
        raise OSError(error_number, os.strerror(error_number))
    return fail


def kept_file(output: str) -> pathlib.Path:
    found = re.search(r"kept in (\S+?\.toml\.unsaved)", output)
    assert found, output
    return pathlib.Path(found.group(1))


def assert_resumes(settings, command: list[str], kept: pathlib.Path, saved: pathlib.Path):
    """`--resume FILE` saves the kept case, and the recovery file is removed."""
    result = run(settings, *command, "--resume", kept, answers=["y"])
    assert result.exit_code == 0, result.output
    assert "Saved " in result.output and "it passes the checks" in result.output
    assert not kept.exists()
    record, problems = cases.load_file(str(saved))
    assert problems == [], problems
    return record


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["report", "--help"], ["validate"]])
def test_printing_to_a_full_disk_is_said_not_raised(project, args):
    """`up2u-cba --help > file` on a full disk raised a traceback (click prints help before any
    command runs); a command's own output said "the file" without naming it."""
    folder, settings = project
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "up2u_cba", *args], cwd=folder, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "standard output" in result.stderr and "No space left on device" in result.stderr, result.stderr


@pytest.mark.parametrize("args", [["report", "--xlsx", "out.xlsx"], ["intake", "export", "out.xlsx"],
                                  ["intake", "template", "out.xlsx"]])
def test_a_workbook_over_the_file_size_limit_is_said_without_a_traceback(project, args):
    """Under a file-size limit (`ulimit -f`) a workbook's write failed with EFBIG, said only as
    "cannot write it: File too large", and Python then printed the half-written zip file's
    second failure as an ignored-exception traceback."""
    import resource
    folder, settings = project

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run([sys.executable, "-m", "up2u_cba", *args], cwd=folder, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, timeout=120, preexec_fn=limited)
    assert result.returncode == 1, result.stderr
    assert "file-size limit" in result.stderr and "[cannot-write]" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr
    assert not (folder / "out.xlsx").exists()
    assert not [name for name in os.listdir(folder) if name.startswith(("out.xlsx", ".out.xlsx"))]


# --- outputs that are not files (deliverable 4) ------------------------------------------------


@pytest.fixture
def elsewhere():
    """A short-named folder outside the project (a snapshot would block reading a FIFO in it,
    and a socket's path must be short)."""
    folder = pathlib.Path(tempfile.mkdtemp(dir="/tmp"))
    yield folder
    shutil.rmtree(folder)


@pytest.mark.parametrize("make", ["device", "fifo", "link-to-device", "link-to-file", "dangling-link", "socket"])
@pytest.mark.parametrize("command", ["report", "template", "costs"])
def test_an_output_that_is_not_a_plain_file_is_refused_even_with_overwrite(project, elsewhere, make, command):
    folder, settings = project
    extension = ".csv" if command == "costs" else ".xlsx"
    server = None
    target = folder / f"real{extension}"
    target.write_bytes(b"keep me")
    if make == "device":
        path = pathlib.Path("/dev/null")
    elif make == "fifo":
        path = elsewhere / f"pipe{extension}"
        os.mkfifo(path)
    elif make == "socket":
        path = elsewhere / f"s{extension}"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    else:
        path = elsewhere / f"link{extension}"
        path.symlink_to({"link-to-device": "/dev/null", "link-to-file": str(target),
                         "dangling-link": str(elsewhere / f"gone{extension}")}[make])
    before = snapshot(folder)
    try:
        if command == "report":
            result = run(settings, "report", "--xlsx", path, "--overwrite")
        elif command == "template":
            result = run(settings, "intake", "template", path, "--overwrite")
        else:
            result = invoke("costs", "import", WORKBOOK, "-o", path, "--overwrite")
    finally:
        if server:
            server.close()
    assert_refused(result, str(path), "[bad-output]")
    assert_unchanged(before, folder)
    assert target.read_bytes() == b"keep me"
    assert os.path.islink(path) or make in ("device", "fifo", "socket")


@pytest.mark.parametrize("command", ["report", "template"])
def test_a_name_too_long_for_the_file_system_is_refused(project, command):
    folder, settings = project
    path = folder / ("x" * 300 + ".xlsx")
    before = snapshot(folder)
    args = ["report", "--xlsx", path] if command == "report" else ["intake", "template", path]
    result = run(settings, *args)
    assert_refused(result, str(path))
    assert_unchanged(before, folder)


# --- failed writes of workbooks and CSVs (deliverable 3) --------------------------------------


WRITE_ERRORS = [
    (errno.ENOSPC, "disk is full"),
    (errno.EROFS, "read-only"),
    (errno.EACCES, "permission"),
    (errno.EPERM, "did not allow"),
    (errno.EDQUOT, "quota"),
    (errno.EIO, "cannot write"),
]


@pytest.mark.parametrize("error_number, said", WRITE_ERRORS)
def test_report_xlsx_that_cannot_be_written_leaves_the_old_workbook(project, monkeypatch, error_number, said):
    folder, settings = project
    old = folder / "report.xlsx"
    old.write_bytes(b"the old workbook")
    before = snapshot(folder)
    monkeypatch.setattr(storage.os, "replace", failing(error_number))
    result = run(settings, "report", "--xlsx", old, "--overwrite")
    assert_refused(result, str(old), "--xlsx", "[cannot-write]", said)
    assert_unchanged(before, folder)
    assert temporaries(folder) == []


def test_report_xlsx_into_a_folder_that_vanished_while_it_ran(project, monkeypatch):
    folder, settings = project
    out = folder / "out"
    out.mkdir()
    build = render_xlsx.build

    def build_then_lose_the_folder(*args, **kwargs):
        shutil.rmtree(out)
        return build(*args, **kwargs)

    monkeypatch.setattr(render_xlsx, "build", build_then_lose_the_folder)
    result = run(settings, "report", "--xlsx", out / "report.xlsx")
    assert_refused(result, str(out / "report.xlsx"), "[cannot-write]", "does not exist")
    assert not out.exists()


def test_report_xlsx_on_a_read_only_folder_refuses_at_the_temporary_file(project, monkeypatch):
    folder, settings = project
    monkeypatch.setattr(storage.tempfile, "mkstemp", failing(errno.EROFS))
    before = snapshot(folder)
    result = run(settings, "report", "--xlsx", folder / "new.xlsx")
    assert_refused(result, str(folder / "new.xlsx"), "[cannot-write]", "read-only")
    assert_unchanged(before, folder)


@pytest.mark.parametrize("error_number, said", WRITE_ERRORS[:3])
def test_intake_template_that_cannot_be_written_leaves_the_old_file(project, monkeypatch, error_number, said):
    folder, settings = project
    old = folder / "intake.xlsx"
    old.write_bytes(b"the old template")
    before = snapshot(folder)
    monkeypatch.setattr(os, "replace", failing(error_number))
    result = run(settings, "intake", "template", old, "--overwrite")
    assert_refused(result, str(old), "[cannot-write]", said)
    assert_unchanged(before, folder)
    assert temporaries(folder) == []


@pytest.mark.parametrize("error_number, said", WRITE_ERRORS[:3])
def test_costs_import_that_cannot_be_written_leaves_the_old_csv(tmp_path, monkeypatch, error_number, said):
    old = tmp_path / "gmca.csv"
    old.write_text("the old table")
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, "replace", failing(error_number))
    result = invoke("costs", "import", WORKBOOK, "-o", old, "--overwrite")
    assert_refused(result, str(old), "--output", "[cannot-write]", said)
    assert_unchanged(before, tmp_path)


# --- the cases folder held by another run ------------------------------------------------------


HOLDER = """
import sys
sys.path.insert(0, sys.argv[1])
from up2u_cba import storage, this_run
this_run.command = "case new"
with storage.folder_lock(sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def held(project):
    """The sample's cases folder, locked by another process until the test ends."""
    folder, settings = project
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(REPO), str(folder / "cases")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    yield holder
    holder.stdin.close()
    holder.wait()


def release(holder) -> None:
    holder.stdin.close()
    holder.wait()


def assert_holder_named(result, holder) -> None:
    assert_refused(result, "[folder-locked]", f"process {holder.pid}", socket.gethostname(), "`case new`", " since ")


def test_the_lock_file_says_who_holds_it_while_held_and_nothing_once_let_go(project, held):
    folder, _ = project
    holder = storage.read_holder(str(folder / "cases" / storage.LOCK_NAME))
    assert (holder["pid"], holder["host"], holder["command"]) == (held.pid, socket.gethostname(), "case new")
    release(held)
    assert storage.read_holder(str(folder / "cases" / storage.LOCK_NAME)) == {}


def test_case_new_while_another_run_holds_the_folder_names_it_and_keeps_the_case(project, held):
    folder, settings = project
    before = snapshot(folder / "cases")
    result = run(settings, "case", "new", answers=NEW_CASE)
    assert_holder_named(result, held)
    without_recovery(before, folder / "cases")
    kept = kept_file(result.output)
    assert kept.parent == folder / "cases" / unsaved_cases.FOLDER and "BCP-0101" in kept.name
    assert 'reference = "BCP-0101"' in kept.read_text()
    release(held)
    assert_resumes(settings, ["case", "new"], kept, folder / "cases" / "BCP" / "BCP-0101.toml")


def test_case_update_while_another_run_holds_the_folder_keeps_the_additions(project, held):
    folder, settings = project
    path = folder / "cases" / "BCP" / "BCP-0046.toml"  # in assessment since 2022-10-30
    before = snapshot(folder / "cases")
    result = run(settings, "case", "update", "BCP-0046", answers=["2", "2022-11-20", "", "y"])
    assert_holder_named(result, held)
    without_recovery(before, folder / "cases")
    kept = kept_file(result.output)
    assert "case update BCP-0046 --resume" in result.output
    release(held)
    record = assert_resumes(settings, ["case", "update", "BCP-0046"], kept, path)
    assert record.history[-1].status.value == "programme"


def test_intake_import_while_another_run_holds_the_folder_names_it(project, held):
    folder, settings = project
    before = snapshot(folder)
    result = run(settings, "intake", "import", folder / "any.xlsx")
    assert_holder_named(result, held)
    assert_unchanged(before, folder)


def test_a_lock_file_that_cannot_be_made_is_a_clear_message(project, monkeypatch):
    folder, settings = project
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path).endswith(storage.LOCK_NAME):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    before = snapshot(folder)
    result = run(settings, "intake", "import", folder / "any.xlsx")
    assert_refused(result, storage.LOCK_NAME, "[cannot-write]", "read-only")
    assert_unchanged(before, folder)


# --- guided entry keeps what was typed (deliverable 5) -----------------------------------------


@pytest.mark.parametrize("error_number", [errno.ENOSPC, errno.EIO, errno.EACCES])
def test_case_new_that_cannot_be_saved_is_kept_beside_the_cases_and_resumed(project, monkeypatch, error_number):
    folder, settings = project
    before = snapshot(folder / "cases")
    with monkeypatch.context() as patch:
        patch.setattr(storage.os, "link", failing(error_number))
        result = run(settings, "case", "new", answers=NEW_CASE)
    assert_refused(result, "BCP-0101.toml", "[cannot-write]")
    without_recovery(before, folder / "cases")
    assert temporaries(folder / "cases") == []
    kept = kept_file(result.output)
    assert kept.parent == folder / "cases" / unsaved_cases.FOLDER
    assert oct(kept.stat().st_mode & 0o777) == oct(0o600)  # case data: its owner's only
    checked = run(settings, "validate")
    assert checked.exit_code == 0, checked.output  # a recovery file is never read as a case...
    assert "1 case entered earlier could not be saved" in checked.output  # ...but is not forgotten
    assert_resumes(settings, ["case", "new"], kept, folder / "cases" / "BCP" / "BCP-0101.toml")


def read_only_below(folder: pathlib.Path, monkeypatch, error_number=errno.EROFS):
    """Make creating anything below ``folder`` fail as on a read-only disk."""
    real_open, real_mkdir = os.open, os.mkdir
    inside = str(folder)

    def guarded_open(path, flags, *args, **kwargs):
        if str(os.path.abspath(path)).startswith(inside) and flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR):
            raise OSError(error_number, os.strerror(error_number), str(path))
        return real_open(path, flags, *args, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        if str(os.path.abspath(path)).startswith(inside):
            raise OSError(error_number, os.strerror(error_number), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)


def test_case_new_on_a_read_only_cases_folder_is_kept_in_the_temporary_folder(project, monkeypatch):
    folder, settings = project
    before = snapshot(folder / "cases")
    with monkeypatch.context() as patch:
        read_only_below(folder / "cases", patch)
        result = run(settings, "case", "new", answers=NEW_CASE)
    assert_refused(result, "[cannot-write]", "read-only")
    assert_unchanged(before, folder / "cases")
    kept = kept_file(result.output)
    assert kept.parent == folder / "system-temp" / unsaved_cases.TEMPORARY_FOLDER
    assert_resumes(settings, ["case", "new"], kept, folder / "cases" / "BCP" / "BCP-0101.toml")


@pytest.mark.parametrize("planted", ["open to all", "someone else's", "a link"])
def test_a_recovery_folder_planted_in_the_shared_temporary_folder_is_not_used(project, monkeypatch, planted):
    folder, settings = project
    shared = folder / "system-temp" / unsaved_cases.TEMPORARY_FOLDER
    if planted == "a link":
        (folder / "elsewhere").mkdir(mode=0o700)
        shared.symlink_to(folder / "elsewhere")
    else:
        shared.mkdir(mode=0o700)
        if planted == "open to all":
            os.chmod(shared, 0o777)
    with monkeypatch.context() as patch:
        if planted == "someone else's":
            uid = os.getuid()
            patch.setattr(unsaved_cases.os, "getuid", lambda: uid + 1)  # as if another user made it
        read_only_below(folder / "cases", patch)
        result = run(settings, "case", "new", answers=NEW_CASE)
    assert_refused(result, "[cannot-write]", "printed above", "case new --resume FILE")
    assert "# Unsaved case BCP-0101" in result.stdout  # kept on the screen, not in the planted folder
    assert not any(pathlib.Path(shared).iterdir())


def test_case_new_when_no_file_can_be_written_prints_the_case_to_resume_from(project, monkeypatch):
    folder, settings = project
    before = snapshot(folder / "cases")
    with monkeypatch.context() as patch:
        read_only_below(folder, patch, errno.ENOSPC)  # the cases and the temporary folder alike
        result = run(settings, "case", "new", answers=NEW_CASE)
    assert_refused(result, "[cannot-write]", "disk is full", "printed above", "case new --resume FILE")
    assert_unchanged(before, folder / "cases")
    printed = result.stdout[result.stdout.index("# Unsaved case BCP-0101"):]
    copy = folder / "copied.txt"
    copy.write_text(printed)
    assert_resumes(settings, ["case", "new"], copy, folder / "cases" / "BCP" / "BCP-0101.toml")


def case_kept_unsaved(settings, monkeypatch) -> pathlib.Path:
    """The recovery file of NEW_CASE, entered with `case new` on a disk that filled at the save."""
    with monkeypatch.context() as patch:
        patch.setattr(storage.os, "link", failing(errno.ENOSPC))
        result = run(settings, "case", "new", answers=NEW_CASE)
    return kept_file(result.output)


def test_a_resumed_case_whose_reference_was_taken_meanwhile_takes_the_next(project, monkeypatch):
    folder, settings = project
    kept = case_kept_unsaved(settings, monkeypatch)
    other = ["BCP", "1", "BCP-0101", "2023-01-09", "", "y"]
    assert run(settings, "case", "new", answers=other).exit_code == 0  # someone else enters another BCP-0101
    result = run(settings, "case", "new", "--resume", kept, answers=["y", "y"])
    assert result.exit_code == 0, result.output
    assert "BCP-0101 has just been taken" in result.output
    assert (folder / "cases" / "BCP" / "BCP-0102.toml").exists()


def test_a_case_resumed_twice_is_not_stored_twice(project, monkeypatch):
    folder, settings = project
    kept = case_kept_unsaved(settings, monkeypatch)
    copy = folder / "copy.toml.unsaved"
    shutil.copy(kept, copy)
    assert_resumes(settings, ["case", "new"], kept, folder / "cases" / "BCP" / "BCP-0101.toml")
    result = run(settings, "case", "new", "--resume", copy, answers=["y", "y"])
    assert result.exit_code == 0, result.output
    assert "already stored" in result.output
    assert not (folder / "cases" / "BCP" / "BCP-0102.toml").exists()


def test_resume_from_a_file_that_is_not_there_is_refused(project):
    folder, settings = project
    result = run(settings, "case", "new", "--resume", folder / "nothere.toml.unsaved")
    assert_refused(result, "nothere.toml.unsaved", "[missing-file]")


@pytest.mark.parametrize("command", [["case", "new"], ["case", "update", "BCP-0046"]])
def test_resume_from_a_stored_case_file_is_refused_and_the_case_kept(project, command):
    """A stored case named to --resume (a slip for the recovery file) was taken for one already
    saved, and removed as a recovery file is once saved: the case was lost."""
    folder, settings = project
    stored = folder / "cases" / "BCP" / "BCP-0046.toml"
    before = snapshot(folder / "cases")
    result = run(settings, *command, "--resume", stored, answers=["y", "y"])
    assert_refused(result, str(stored), "--resume", "[stored-case]")
    assert_unchanged(before, folder / "cases")


def test_resuming_another_cases_additions_is_refused(project, monkeypatch):
    folder, settings = project
    with monkeypatch.context() as patch:
        patch.setattr(storage.os, "replace", failing(errno.ENOSPC))
        result = run(settings, "case", "update", "BCP-0046", answers=["2", "2022-11-20", "", "y"])
    kept = kept_file(result.output)
    before = snapshot(folder / "cases")
    result = run(settings, "case", "update", "BCP-0003", "--resume", kept, answers=["y"])
    assert_refused(result, str(kept), "[resume-mismatch]")
    assert_unchanged(before, folder / "cases")


def test_a_recovery_file_that_was_changed_into_a_broken_case_is_refused(project, monkeypatch):
    folder, settings = project
    kept = case_kept_unsaved(settings, monkeypatch)
    kept.write_text(kept.read_text().replace("date = 2023-02-01", "date = 2023-02-31"))
    result = run(settings, "case", "new", "--resume", kept, answers=["y"])
    assert_refused(result, str(kept))


@pytest.mark.parametrize("answer, field", [("100001", "quantity"), ("1e9", "quantity"), ("101", "number of years")])
def test_an_absurd_quantity_or_years_is_refused_as_it_is_typed(project, answer, field):
    folder, settings = project
    answers = ["completed", "2023-03-01", "HE1.0"]
    answers += [answer, "1", "1"] if field == "quantity" else ["1", answer, "1"]
    answers += ["", "GP letter", "done", "y"]
    result = run(settings, "case", "update", "BCP-0046", answers=answers)
    assert result.exit_code == 0, result.output
    assert f"Error: the {field} is {answer}, more than any one case could have" in result.output
    record, problems = cases.load_file(str(folder / "cases" / "BCP" / "BCP-0046.toml"))
    assert problems == [] and (record.outcomes[0].quantity, record.outcomes[0].years) == (1, 1)


@pytest.mark.parametrize("typed", ["0001-01-01", "1899-12-31", "1999-03-31"])
def test_an_implausible_referral_date_is_refused_as_it_is_typed(project, typed):
    folder, settings = project
    result = run(settings, "case", "new", answers=["BCP", "3", "BCP-0101", typed, "2023-02-01", "", "y"])
    assert result.exit_code == 0, result.output
    assert f"Error: '{typed}' is before 2000-04-01" in result.output
    record, problems = cases.load_file(str(folder / "cases" / "BCP" / "BCP-0101.toml"))
    assert problems == [] and str(record.referred_on) == "2023-02-01"


# --- hand-edited case files keep their comments (deliverable 10) ------------------------------


def test_case_update_keeps_every_comment_of_a_hand_edited_file(project):
    folder, settings = project
    path = folder / "cases" / "BCP" / "BCP-9002.toml"
    shutil.copy(HAND_EDITED, path)
    before = path.read_text()
    result = run(settings, "case", "update", "BCP-9002", answers=["2", "2022-09-01", "", "y"])
    assert result.exit_code == 0, result.output
    after = path.read_text()
    assert after.startswith(before)  # every comment, trailing ones too, byte for byte
    assert "# moved from the pilot list" in after and "# assessment delayed: waiting list" in after


INLINE_WITH_COMMENTS = """# Synthetic test case: invented.
reference = "BCP-9003"
service = "BCP"
locality = "Poole"
status = [
  { status = "referred", date = 2022-05-01 },  # from the police referral list
]
"""


def test_an_update_that_would_lose_a_comment_is_refused_and_kept(project):
    folder, settings = project
    path = folder / "cases" / "BCP" / "BCP-9003.toml"
    path.write_text(INLINE_WITH_COMMENTS)
    before = snapshot(folder / "cases")
    result = run(settings, "case", "update", "BCP-9003", answers=["1", "2022-05-20", "", "y"])
    assert_refused(result, str(path), "[would-lose-comments]")
    without_recovery(before, folder / "cases")
    kept = kept_file(result.output)
    # The analyst lays the statuses out as tables, keeping the comment; then the update goes in.
    path.write_text(INLINE_WITH_COMMENTS.replace(
        'status = [\n  { status = "referred", date = 2022-05-01 },  # from the police referral list\n]\n',
        '\n[[status]]  # from the police referral list\nstatus = "referred"\ndate = 2022-05-01\n'))
    record = assert_resumes(settings, ["case", "update", "BCP-9003"], kept, path)
    assert [event.status.value for event in record.history] == ["referred", "assessment"]
    assert "# from the police referral list" in path.read_text()


def test_an_inline_array_without_comments_is_laid_out_again_and_one_with_comments_is_not():
    text = INLINE_WITH_COMMENTS.replace("  # from the police referral list", "")
    old, _ = cases.parse("", tomllib.loads(text))
    assessment = models.StatusEvent(status=models.Status.ASSESSMENT, date=datetime.date(2022, 5, 20))
    new = old.model_copy(update={"history": (*old.history, assessment)})
    assert case_files.updated_text(text, old, new).startswith("# Synthetic test case: invented.\n")
    assert case_files.updated_text(INLINE_WITH_COMMENTS, old, new) is None


@pytest.mark.parametrize("text, found", [
    ('a = "x # not a comment"\n', False),
    ("a = 'x # not a comment'\n", False),
    ('a = """x\n# not a comment"""\n', False),
    ('a = "x \\" # still inside"\n', False),
    ('a = 1  # a comment\n', True),
    ('# a comment\n', True),
    ('a = "x\\\\" # a comment after an escaped backslash\n', True),
])
def test_comments_are_told_from_hashes_inside_strings(text, found):
    assert case_files.has_comment([text]) is found


def test_ctrl_c_while_the_command_line_is_still_loading_is_a_message_not_a_traceback(monkeypatch, capsys):
    def interrupted(name):
        raise KeyboardInterrupt

    monkeypatch.setattr(launch.importlib, "import_module", interrupted)
    with pytest.raises(SystemExit) as stopped:
        launch.main()
    assert stopped.value.code == 1
    assert "Stopped: nothing was written." in capsys.readouterr().err


@pytest.mark.parametrize("stopping", ["SIGTERM", "SIGHUP"])
def test_a_report_stopped_by_the_system_while_it_writes_its_workbook_leaves_nothing_behind(tmp_path, stopping):
    """Found attacking issue #11: `kill PID` while the workbook streamed left its row data (case
    references and notes in plain text) and an empty temporary file beside the target for good;
    Ctrl-C cleaned up. A stopping signal now stops as Ctrl-C does."""
    settings = sample_project(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    script = textwrap.dedent(f"""
        import sys, time
        from up2u_cba.outputs import streamed_sheet
        write = streamed_sheet.Sheet._write_row
        def slowly(self, number):
            time.sleep(0.02)
            return write(self, number)
        streamed_sheet.Sheet._write_row = slowly
        sys.argv = ["up2u-cba", "report", "--xlsx", {str(out / "r.xlsx")!r}, "--settings", {str(settings)!r}]
        from up2u_cba.cli import launch
        launch.main()
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    for _ in range(1200):  # (until the rows are being written out)
        if any(name.startswith(".up2u-cba-rows.") for name in os.listdir(out)) or process.poll() is not None:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the workbook was written before it could be stopped"
    process.send_signal(getattr(signal, stopping))
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 1, errors
    assert b"Traceback" not in errors
    assert os.listdir(out) == []
