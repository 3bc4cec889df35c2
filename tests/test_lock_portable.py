"""The folder lock works without fcntl (issue #15, deliverable 1): an exclusively created lock file
naming its holder, removed when let go, and taken over only by the stale rule."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from hostile import assert_refused, assert_unchanged, invoke, sample_project, snapshot
from up2u_cba import storage
from up2u_cba.inputs import cases

NEW_CASE = ["BCP", "3", "BCP-0101", "2023-02-01", "", "y"]


class AnyReason(str):
    def __eq__(self, other):
        return isinstance(other, str) and bool(other)

    __hash__ = str.__hash__


ANY_REASON = AnyReason()


@pytest.fixture
def project(tmp_path, monkeypatch):
    settings = sample_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(storage.LOCK_WAIT_VARIABLE, "0.2")
    return tmp_path, settings


def case_new(settings):
    return invoke("case", "new", "--settings", settings, input="".join(f"{answer}\n" for answer in NEW_CASE))


def dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def leave_lock(folder, **holder) -> str:
    path = os.path.join(str(folder), storage.LOCK_NAME)
    record = {"host": socket.gethostname(), "pid": 0, "user": "sam", "command": "case new",
              "since": "2026-11-30T09:15:00+00:00"} | holder
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    return path


def test_the_lock_file_exists_only_while_held_and_records_the_holder(tmp_path, monkeypatch):
    monkeypatch.setenv("USER", "sam")
    monkeypatch.delenv("USERNAME", raising=False)
    lock = tmp_path / storage.LOCK_NAME
    with storage.folder_lock(str(tmp_path)):
        holder = storage.read_holder(str(lock))
        assert (holder["pid"], holder["host"], holder["user"]) == (os.getpid(), socket.gethostname(), "sam")
        assert "T" in holder["since"]  # ISO time
    assert not lock.exists()


NO_FCNTL = "import sys; sys.modules['fcntl'] = None; sys.path.insert(0, sys.argv[1])\nfrom up2u_cba import storage\n"
"""A process where ``import fcntl`` fails, as on Windows."""


def test_without_fcntl_a_second_process_is_kept_out(tmp_path):
    assert not hasattr(storage, "fcntl")
    holder = subprocess.Popen([sys.executable, "-c", NO_FCNTL + "with storage.folder_lock(sys.argv[2]):\n"
                               "    print('held', flush=True); sys.stdin.read()", os.getcwd(), str(tmp_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        second = subprocess.run([sys.executable, "-c", NO_FCNTL + "try:\n"
                                 "    with storage.folder_lock(sys.argv[2], timeout=0): print('taken')\n"
                                 "except storage.LockTimeout: print('kept out')", os.getcwd(), str(tmp_path)],
                                capture_output=True, text=True)
        assert second.stdout.strip() == "kept out", second.stderr
    finally:
        holder.stdin.close()
        holder.wait()
    assert not (tmp_path / storage.LOCK_NAME).exists()


def test_a_stale_lock_from_a_process_that_is_gone_is_taken_over_with_a_note(project):
    folder, settings = project
    lock = leave_lock(folder / "cases", pid=dead_pid())
    result = case_new(settings)
    assert result.exit_code == 0, result.output
    assert "took over the lock file" in result.output and lock in result.output
    record, problems = cases.load_file(str(folder / "cases" / "BCP" / "BCP-0101.toml"))
    assert problems == [] and record.reference == "BCP-0101"
    assert not os.path.exists(lock)


def test_an_empty_lock_file_left_by_an_older_version_is_taken_over(tmp_path):
    lock = tmp_path / storage.LOCK_NAME
    lock.write_text("")
    old = lock.stat().st_mtime - storage.STALE_UNREADABLE_AFTER - 5
    os.utime(lock, (old, old))
    with storage.folder_lock(str(tmp_path), timeout=0):
        assert storage.read_holder(str(lock))["pid"] == os.getpid()


def test_a_fresh_empty_lock_file_is_a_run_about_to_write_its_record_and_is_waited_for(tmp_path):
    (tmp_path / storage.LOCK_NAME).write_text("")
    with pytest.raises(storage.LockTimeout):
        with storage.folder_lock(str(tmp_path), timeout=0.05):
            pass


def test_a_live_holder_is_named_with_its_time_and_lock_file(project):
    folder, settings = project
    lock = leave_lock(folder / "cases", pid=os.getppid())  # alive: the process that ran the tests
    result = case_new(settings)
    assert_refused(result, "[folder-locked]", f"process {os.getppid()}", socket.gethostname(), "user sam",
                   "`case new`", "since 2026-11-30 09:15:00", lock)
    assert os.path.exists(lock)


def test_a_lock_held_from_another_computer_is_never_taken_over_and_says_how_to_clear_it(project):
    folder, settings = project
    lock = leave_lock(folder / "cases", host="another-desktop", pid=dead_pid())
    before = snapshot(folder)
    result = invoke("intake", "import", folder / "any.xlsx", "--settings", settings)
    assert_refused(result, "[folder-locked]", "on host another-desktop", f"delete {lock}")
    assert os.path.exists(lock)
    assert_unchanged(before, folder)


def test_a_lock_that_is_not_ours_any_more_is_not_removed(tmp_path):
    lock = tmp_path / storage.LOCK_NAME
    with storage.folder_lock(str(tmp_path)):
        lock.unlink()
        leave_lock(tmp_path, pid=os.getppid())
    assert storage.read_holder(str(lock))["pid"] == os.getppid()


def test_a_lock_file_this_process_left_when_stopped_part_way_is_taken_over(tmp_path):
    leave_lock(tmp_path, pid=os.getpid())  # as after a Ctrl-C between creating it and holding it
    with storage.folder_lock(str(tmp_path), timeout=0):
        assert storage.read_holder(str(tmp_path / storage.LOCK_NAME))["since"] != "2026-11-30T09:15:00+00:00"


def test_a_lock_file_a_waiter_has_open_for_a_moment_is_still_deleted_on_letting_go(tmp_path, monkeypatch):
    """Windows refuses to delete a file another process has open (a waiter reading the holder)."""
    real_unlink, refusals = os.unlink, []

    def unlink(path, *args, **kwargs):
        if str(path).endswith(storage.LOCK_NAME) and len(refusals) < 3:
            refusals.append(path)
            raise PermissionError(13, "The process cannot access the file because it is being used")
        return real_unlink(path, *args, **kwargs)

    with storage.folder_lock(str(tmp_path)):
        monkeypatch.setattr(os, "unlink", unlink)
    assert len(refusals) == 3 and not (tmp_path / storage.LOCK_NAME).exists()


# --- found by an attack: takeover by one waiter at a time, no endless wait, odd lock files ------

def test_a_stale_lock_is_left_to_the_waiter_taking_it_over_and_a_fresh_one_is_never_removed(tmp_path, monkeypatch):
    lock = tmp_path / storage.LOCK_NAME
    stale = {"host": socket.gethostname(), "pid": dead_pid()}
    lock.write_text(json.dumps(stale) + "\n")
    (tmp_path / (storage.LOCK_NAME + storage.TAKEOVER)).write_text("")  # another waiter is taking it over
    assert storage._take_over(str(lock), stale) is False and lock.exists()
    os.unlink(tmp_path / (storage.LOCK_NAME + storage.TAKEOVER))
    # judged stale, but meanwhile taken over and locked afresh by another run: left alone
    fresh = {"host": socket.gethostname(), "pid": os.getpid() + 1 if os.getpid() > 1 else 2, "since": "now"}
    lock.write_text(json.dumps(fresh) + "\n")
    monkeypatch.setattr(storage, "process_exists", lambda pid: pid == fresh["pid"])
    assert storage._take_over(str(lock), stale) is False
    assert json.loads(lock.read_text()) == fresh
    assert not (tmp_path / (storage.LOCK_NAME + storage.TAKEOVER)).exists()  # the guard let go


def test_a_stale_lock_that_cannot_be_removed_stops_at_once_naming_it(tmp_path):
    lock = tmp_path / storage.LOCK_NAME
    lock.mkdir()  # a folder named as the lock file: never removable as a file
    old = lock.stat().st_mtime - storage.STALE_UNREADABLE_AFTER - 5
    os.utime(lock, (old, old))
    with pytest.raises(storage.WriteFailed) as failed:
        with storage.folder_lock(str(tmp_path), timeout=60):
            pass
    assert str(lock) in str(failed.value.problem)


@pytest.mark.parametrize("content", ['{"host": "%s", "pid": 99999999999999}', "[" * 5000])
def test_an_odd_lock_file_is_read_as_no_holder_never_a_traceback(tmp_path, content):
    lock = tmp_path / storage.LOCK_NAME
    lock.write_text((content % socket.gethostname() if "%s" in content else content) + "\n")
    holder = storage.read_holder(str(lock))
    assert holder == (json.loads(lock.read_text()) if "pid" in content else {storage.UNREADABLE: ANY_REASON})
    assert storage.is_stale(holder, 1.0) is False  # (a record out of range is never taken for a dead run)


def test_a_pipe_named_as_the_lock_file_is_never_read(tmp_path):
    lock = tmp_path / storage.LOCK_NAME
    os.mkfifo(lock)
    assert storage.read_holder(str(lock)) == {}  # (opening a pipe to read would wait for a writer)


# --- a lock whose record cannot be read, or cannot be written; older versions kept out ----------

def age_beyond_stale(path) -> None:
    old = os.stat(path).st_mtime - storage.STALE_UNREADABLE_AFTER - 5
    os.utime(path, (old, old))


@pytest.mark.parametrize("content", ['{"host": "another-desktop", "pid": 4', "not a record", "[1, 2]", "{}"])
def test_a_lock_file_whose_record_cannot_be_read_is_never_taken_over_and_says_how_to_clear_it(project, content):
    """Part of a record (a run on another computer stopped while writing it, or a share that
    returned part of it) may be a live run's: taking it over after a while let two runs write."""
    folder, settings = project
    lock = folder / "cases" / storage.LOCK_NAME
    lock.write_text(content)
    age_beyond_stale(lock)
    before = snapshot(folder / "cases" / "BCP")
    result = case_new(settings)
    assert_refused(result, "[folder-locked]", "cannot be read", f"delete {lock}")
    assert lock.read_text() == content
    assert_unchanged(before, folder / "cases" / "BCP")  # (the answers are kept aside, as unsaved)


def test_a_lock_file_the_share_refuses_to_read_is_never_taken_over(tmp_path, monkeypatch):
    lock = tmp_path / storage.LOCK_NAME
    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": dead_pid()}) + "\n")
    age_beyond_stale(lock)
    real_read = os.read

    def refused(handle, size):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "read", refused)
    holder = storage.read_holder(str(lock))
    assert holder == {storage.UNREADABLE: ANY_REASON} and "Permission denied" in holder[storage.UNREADABLE]
    with pytest.raises(storage.LockTimeout) as timeout:
        with storage.folder_lock(str(tmp_path), timeout=0.1):
            pass
    monkeypatch.setattr(os, "read", real_read)
    assert lock.exists() and "cannot be read" in timeout.value.problem.message


def test_a_lock_whose_record_cannot_be_written_is_let_go_at_once_and_the_run_stops(tmp_path, monkeypatch):
    """A full disk: an empty lock file would be taken over by others after a while, so it is
    never held (before, the run went on holding an empty lock)."""
    def full(handle, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(storage.WriteFailed) as failed:
        with storage.folder_lock(str(tmp_path)):
            raise AssertionError("held a lock with no record")
    assert failed.value.problem.code == "cannot-write" and "disk is full" in failed.value.problem.message
    assert not (tmp_path / storage.LOCK_NAME).exists()


OLDER_VERSION = """import fcntl, os, sys, time
handle = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
try:
    fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if sys.argv[2] == 'try' else 0))
except BlockingIOError:
    print('kept out', flush=True)
    sys.exit(0)
print('held', flush=True)
if sys.argv[2] == 'hold':
    sys.stdin.read()
"""
"""How up2u-cba before issue #15 locked a folder: flock on a lock file it never deleted, holding
it empty for a moment before writing its record."""


@pytest.mark.skipif(os.name == "nt", reason="older versions had no lock on Windows")
def test_an_older_version_holding_the_lock_is_waited_for_not_taken_over(tmp_path):
    lock = tmp_path / storage.LOCK_NAME
    older = subprocess.Popen([sys.executable, "-c", OLDER_VERSION, str(lock), "hold"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert older.stdout.readline().strip() == "held"
        age_beyond_stale(lock)  # empty and old, as an older version's lock file is
        with pytest.raises(storage.LockTimeout):
            with storage.folder_lock(str(tmp_path), timeout=0.2):
                pass
        assert lock.exists()
    finally:
        older.stdin.close()
        older.wait()
    with storage.folder_lock(str(tmp_path), timeout=0):  # let go: an idle older lock file is taken over
        assert storage.read_holder(str(lock))["pid"] == os.getpid()


@pytest.mark.skipif(os.name == "nt", reason="older versions had no lock on Windows")
def test_an_older_version_is_kept_out_while_this_one_holds_the_lock(tmp_path):
    lock = tmp_path / storage.LOCK_NAME
    with storage.folder_lock(str(tmp_path)):
        older = subprocess.run([sys.executable, "-c", OLDER_VERSION, str(lock), "try"], capture_output=True, text=True)
        assert older.stdout.strip() == "kept out", older.stderr
    assert not lock.exists() and storage._open_locks == {}


# --- found on a real SMB share (smbd + smbnetfs): files open elsewhere, creates that race -------

def busy(path, *args, **kwargs):
    raise OSError(errno.EBUSY, "Device or resource busy", str(path))


def test_letting_go_on_a_share_that_refuses_to_delete_an_open_file_still_removes_the_lock(tmp_path, monkeypatch):
    """On an SMB share a file any handle has open cannot be deleted (EBUSY), this run's own flock
    handle included: the lock file was left behind after every save, keeping every other computer
    out until someone deleted it by hand."""
    real_unlink = os.unlink

    def share_unlink(path, *args, **kwargs):
        if str(path).endswith(storage.LOCK_NAME) and storage._open_locks:
            busy(path)
        return real_unlink(path, *args, **kwargs)

    with storage.folder_lock(str(tmp_path)):
        monkeypatch.setattr(os, "unlink", share_unlink)
    assert not (tmp_path / storage.LOCK_NAME).exists() and storage._open_locks == {}


def test_a_stale_lock_a_waiter_is_reading_is_taken_over_later_not_a_failed_write(tmp_path, monkeypatch):
    lock = tmp_path / storage.LOCK_NAME
    stale = {"host": socket.gethostname(), "pid": dead_pid()}
    lock.write_text(json.dumps(stale) + "\n")
    monkeypatch.setattr(os, "unlink", lambda path, *args, **kwargs: busy(path) if str(path) == str(lock)
                        else os.remove(path))
    assert storage._take_over(str(lock), stale) is False and lock.exists()


def test_a_file_open_elsewhere_for_a_moment_is_replaced_once_free_and_one_kept_open_is_named(tmp_path, monkeypatch):
    target = tmp_path / "BCP-9001.toml"
    target.write_text("old\n")
    real_replace, refusals = os.replace, []

    def open_for_a_moment(source, destination):
        if len(refusals) < 3:
            refusals.append(destination)
            busy(destination)
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", open_for_a_moment)
    storage.write_atomic(str(target), "new\n")
    assert target.read_text() == "new\n" and len(refusals) == 3
    monkeypatch.setattr(os, "replace", busy)
    monkeypatch.setattr(storage, "IN_USE_TRIES", 3)
    with pytest.raises(storage.WriteFailed) as failed:
        storage.write_atomic(str(target), "newer\n")
    assert target.read_text() == "new\n" and "close BCP-9001.toml" in failed.value.problem.hint
    assert [path.name for path in tmp_path.iterdir()] == ["BCP-9001.toml"]  # no temporary file left


def test_a_new_case_on_a_disk_without_hard_links_never_leaves_an_empty_file(tmp_path, monkeypatch):
    """The name was claimed first with an empty file; a stop or a refused rename left it, and every
    report failed on a case file with no reference, service or locality."""
    path = tmp_path / "BCP-9111.toml"
    monkeypatch.setattr(os, "link", lambda *args: (_ for _ in ()).throw(OSError(errno.EPERM, "no links")))
    monkeypatch.setattr(os, "replace", busy)
    monkeypatch.setattr(storage, "IN_USE_TRIES", 2)
    with pytest.raises(storage.WriteFailed):
        storage.create_exclusive(str(path), 'reference = "BCP-9111"\n')
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(os, "link", lambda *args: (_ for _ in ()).throw(OSError(errno.EPERM, "no links")))
    storage.create_exclusive(str(path), 'reference = "BCP-9111"\n')
    with pytest.raises(FileExistsError):
        storage.create_exclusive(str(path), 'reference = "BCP-9112"\n')
    assert path.read_text() == 'reference = "BCP-9111"\n'


def test_an_empty_case_file_is_named_as_one_not_as_missing_fields(tmp_path):
    path = tmp_path / "BCP-9111.toml"
    path.write_text("")
    record, problems = cases.load_file(str(path))
    assert record is None and [(problem.code, problem.file) for problem in problems] == [("empty-case-file", str(path))]


def test_a_lock_file_another_run_created_at_the_same_moment_and_wrote_last_is_theirs(tmp_path, monkeypatch):
    """An SMB client whose "create if absent" is not atomic (smbnetfs: two winners in 20 of 40
    rounds) let two runs hold the lock at once; the record is read back after a moment."""
    lock = tmp_path / storage.LOCK_NAME
    theirs = {"host": "council-pc2", "pid": 4242, "since": "2026-12-01T03:00:00+00:00"}
    real_sleep = time.sleep

    def other_writes_meanwhile(seconds):
        if seconds == storage.CONFIRM_AFTER and not lock.read_text().startswith(json.dumps(theirs)):
            lock.write_text(json.dumps(theirs) + "\n")
        real_sleep(min(seconds, 0.01))

    monkeypatch.setattr(storage.time, "sleep", other_writes_meanwhile)
    with pytest.raises(storage.LockTimeout) as timeout:
        with storage.folder_lock(str(tmp_path), timeout=0.1):
            raise AssertionError("held a lock another run holds")
    assert json.loads(lock.read_text()) == theirs and "council-pc2" in timeout.value.problem.message


@pytest.mark.parametrize("given, waits", [("inf", storage.LONGEST_LOCK_WAIT), ("1e400", storage.LONGEST_LOCK_WAIT),
                                          ("nan", storage.LOCK_WAIT), ("-5", 0.0), ("12", 12.0)])
def test_the_lock_wait_setting_never_waits_forever(monkeypatch, given, waits):
    monkeypatch.setenv(storage.LOCK_WAIT_VARIABLE, given)
    assert storage.lock_wait() == waits


def test_an_empty_lock_file_stamped_in_the_future_is_aged_by_this_runs_own_watch(tmp_path, monkeypatch):
    """A time stamp a year ahead (a wrong clock) kept an empty lock file for a year."""
    lock = tmp_path / storage.LOCK_NAME
    lock.write_text("")
    ahead = time.time() + 365 * 24 * 3600
    os.utime(lock, (ahead, ahead))
    monkeypatch.setattr(storage, "STALE_UNREADABLE_AFTER", 0.3)
    with storage.folder_lock(str(tmp_path), timeout=5):
        assert storage.read_holder(str(lock))["pid"] == os.getpid()


def test_a_fresh_takeover_guard_is_aged_by_this_runs_watch_not_its_time_stamp(tmp_path, monkeypatch):
    """A waiter whose clock ran a minute ahead took another waiter's fresh guard for a minute old
    and removed it: two takers at once (SMB attack, with faketime)."""
    guard = tmp_path / (storage.LOCK_NAME + storage.TAKEOVER)
    guard.write_text("")
    long_ago = time.time() - 3600  # (as a clock an hour ahead would see it)
    os.utime(guard, (long_ago, long_ago))
    stale = {"host": socket.gethostname(), "pid": dead_pid()}
    (tmp_path / storage.LOCK_NAME).write_text(json.dumps(stale) + "\n")
    assert storage._take_over(str(tmp_path / storage.LOCK_NAME), stale) is False
    assert guard.exists()  # another waiter's, until this run has itself seen it unchanged 10 s


def test_a_takeover_guard_still_open_for_a_moment_is_removed_once_free(tmp_path, monkeypatch):
    lock, guard = tmp_path / storage.LOCK_NAME, tmp_path / (storage.LOCK_NAME + storage.TAKEOVER)
    stale = {"host": socket.gethostname(), "pid": dead_pid()}
    lock.write_text(json.dumps(stale) + "\n")
    real_unlink, refusals = os.unlink, []

    def late_release(path, *args, **kwargs):
        if str(path) == str(guard) and len(refusals) < 3:
            refusals.append(path)
            busy(path)
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", late_release)
    assert storage._take_over(str(lock), stale) is True
    assert not guard.exists() and not lock.exists() and len(refusals) == 3


@pytest.mark.skipif(not storage.machine_id(), reason="this system keeps no machine id")
def test_a_lock_from_another_computer_with_the_same_name_is_never_taken_for_a_crashed_local_run(tmp_path):
    """Two cloned virtual desktops can share a host name: each took the other's live lock (its
    process number unknown here, so 'no longer running') and wrote at once (SMB attack, simulated
    with unshare)."""
    clone = leave_lock(tmp_path, pid=dead_pid(), machine="0" * 32)
    assert storage.is_stale(storage.read_holder(clone), 1.0) is False
    with pytest.raises(storage.LockTimeout) as timeout:
        with storage.folder_lock(str(tmp_path), timeout=0.1):
            pass
    assert "delete" in timeout.value.problem.hint and os.path.exists(clone)
    this = leave_lock(tmp_path, pid=dead_pid(), machine=storage.machine_id())  # this computer's: taken over
    with storage.folder_lock(str(tmp_path), timeout=1):
        assert storage.read_holder(this)["pid"] == os.getpid()
