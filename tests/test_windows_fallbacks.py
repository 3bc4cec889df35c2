"""No POSIX-only call without a fallback (issue #15, deliverable 6): each call that fails or
differs on Windows or a network share is taken away here, and the write or run still works."""

from __future__ import annotations

import errno
import os
import signal
import sys

import pytest

from hostile import invoke, sample_project
from up2u_cba import storage
from up2u_cba.cli import launch
from up2u_cba.entry import unsaved_cases
from up2u_cba.inputs import cases, two_readers

CASE = 'reference = "BCP-9001"\nservice = "BCP"\n'


def refusing(error_number: int, winerror: int | None = None):
    def refuse(*args, **kwargs):
        error = OSError(error_number, os.strerror(error_number))
        if winerror is not None:
            error.winerror = winerror
        raise error
    return refuse


@pytest.mark.parametrize("no_link", ["missing", errno.EINVAL, errno.ENOSYS, "winerror-50"])
def test_create_exclusive_without_hard_links_still_creates_once(tmp_path, monkeypatch, no_link):
    if no_link == "missing":
        monkeypatch.delattr(os, "link")
    elif no_link == "winerror-50":
        monkeypatch.setattr(os, "link", refusing(errno.EIO, winerror=50))
    else:
        monkeypatch.setattr(os, "link", refusing(no_link))
    path = tmp_path / "BCP-9001.toml"
    storage.create_exclusive(str(path), CASE)
    assert path.read_text() == CASE
    with pytest.raises(FileExistsError):
        storage.create_exclusive(str(path), "other")
    assert path.read_text() == CASE
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


def test_a_folder_that_cannot_be_opened_or_synced_does_not_fail_the_write(tmp_path, monkeypatch):
    real_open, real_fsync = os.open, os.fsync
    folders = {str(tmp_path)}

    def open_(path, flags, *args, **kwargs):
        if str(path) in folders:  # Windows: a folder is not a file to open
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    storage.write_atomic(str(tmp_path / "a.toml"), CASE)
    monkeypatch.setattr(os, "open", real_open)

    def fsync(descriptor):
        if os.path.isdir(f"/proc/self/fd/{descriptor}"):  # a file system refusing a folder's fsync
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    storage.write_atomic(str(tmp_path / "b.toml"), CASE)
    assert (tmp_path / "a.toml").read_text() == (tmp_path / "b.toml").read_text() == CASE


def test_permissions_a_share_refuses_do_not_fail_the_write(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "chmod", refusing(errno.EPERM))
    storage.write_atomic(str(tmp_path / "a.toml"), CASE)
    storage.replace_with(str(tmp_path / "b.xlsx"), lambda temporary: open(temporary, "w").write("book"))
    assert (tmp_path / "a.toml").read_text() == CASE and (tmp_path / "b.xlsx").read_text() == "book"


def test_on_windows_a_lock_holder_is_never_signalled(monkeypatch):
    def kill(*args):
        raise AssertionError("os.kill on Windows ends the process it is given")

    monkeypatch.setattr(os, "kill", kill)
    monkeypatch.setattr(storage, "ON_WINDOWS", True)
    assert storage.process_exists(os.getppid())  # (asked of the Windows API; unknown means alive)


def test_a_system_without_sighup_still_stops_as_at_ctrl_c(monkeypatch):
    monkeypatch.delattr(signal, "SIGHUP")
    installed = {}
    monkeypatch.setattr(signal, "signal", lambda number, handler: installed.setdefault(number, handler))
    launch.stop_on_signals()
    assert installed == {signal.SIGTERM: launch.stop_as_at_ctrl_c}


def test_a_system_without_user_ids_names_the_recovery_folder_by_user(monkeypatch):
    monkeypatch.delattr(os, "getuid")
    monkeypatch.setenv("USERNAME", "sam")
    assert unsaved_cases._user_key() == "sam"
    monkeypatch.setattr(unsaved_cases.getpass, "getuser", refusing(errno.ENOENT))
    assert unsaved_cases._user_key() == "user"


def test_a_system_without_fork_reads_every_case_in_this_process(tmp_path, monkeypatch):
    sample_project(tmp_path)
    expected = cases.load(str(tmp_path / "cases"))
    monkeypatch.setattr(two_readers, "TWO_READERS_FROM", 1)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(os, "fork")
    assert cases.load(str(tmp_path / "cases")) == expected


def test_paths_in_messages_use_the_systems_separator(tmp_path, monkeypatch):
    """A case file's path in a message is the system's own (joined with os.path), never '/' by hand."""
    settings = sample_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0046.toml"
    path.write_text(path.read_text().replace('reference = "BCP-0046"', 'reference = "BCP-0047"'))
    result = invoke("validate", "--settings", settings)
    assert os.path.join("cases", "BCP", "BCP-0046.toml") in result.output, result.output
