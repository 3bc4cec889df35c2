"""A file the system refuses to replace (issue #15, deliverable 3): a workbook open in Excel on
Windows (a sharing violation), or any output a program holds, gives a message saying to close it,
naming the path; the old file stays exactly as it was and no temporary file is left."""

from __future__ import annotations

import errno
import os
import pathlib

import pytest

from hostile import REPO, assert_refused, assert_unchanged, invoke, sample_project, snapshot
from up2u_cba import storage

WORKBOOK = REPO / "unit_costs" / "gmca-ucd-v1.4.xlsx"


class SharingViolation(PermissionError):
    """What Windows raises for a file Excel holds open: errno 13 with winerror 32."""

    def __init__(self, path):
        super().__init__(errno.EACCES, "The process cannot access the file because it is being used by another "
                         "process", str(path))
        self.winerror = 32


def refuse(monkeypatch, target, error=SharingViolation):
    """Make os.replace (and any open for writing) of ``target`` fail as for a file held open."""
    real_replace, real_open = os.replace, os.open

    def replace(source, destination, *args, **kwargs):
        if os.path.abspath(destination) == os.path.abspath(target):
            raise error(destination)
        return real_replace(source, destination, *args, **kwargs)

    def open_(path, flags, *args, **kwargs):
        if os.path.abspath(path) == os.path.abspath(target) and flags & (os.O_WRONLY | os.O_RDWR):
            raise error(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "open", open_)


def plain_refusal(path):
    return PermissionError(errno.EACCES, "Permission denied", str(path))


def temporaries(folder) -> list[str]:
    return [str(path) for path in pathlib.Path(folder).rglob("*") if path.name.endswith(".tmp")]


OUTPUTS = {
    "report --xlsx": lambda settings, path: ["report", "--xlsx", path, "--overwrite", "--settings", settings],
    "intake template": lambda settings, path: ["intake", "template", path, "--overwrite", "--settings", settings],
    "intake export": lambda settings, path: ["intake", "export", path, "--overwrite", "--settings", settings],
    "costs import -o": lambda settings, path: ["costs", "import", WORKBOOK, "-o", path, "--overwrite"],
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    settings = sample_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path, settings


@pytest.mark.parametrize("error", [SharingViolation, plain_refusal], ids=["sharing-violation", "permission"])
@pytest.mark.parametrize("output", OUTPUTS)
def test_an_output_held_open_says_close_it_and_keeps_the_old_file(project, monkeypatch, output, error):
    folder, settings = project
    name = "bcp-2022-23.csv" if output == "costs import -o" else "bcp-2022-23.xlsx"
    old = folder / name
    old.write_bytes(b"the old file, open in Excel")
    before = snapshot(folder)
    refuse(monkeypatch, old, error)
    result = invoke(*OUTPUTS[output](settings, old))
    assert_refused(result, "[cannot-write]", str(old), f"close {name} in Excel (or any program that has it open)")
    assert "Traceback" not in result.output
    assert_unchanged(before, folder)
    assert temporaries(folder) == []


def test_a_case_file_held_open_says_close_it_and_keeps_the_case_and_the_additions(project, monkeypatch):
    folder, settings = project
    path = folder / "cases" / "BCP" / "BCP-0046.toml"
    old = path.read_bytes()
    refuse(monkeypatch, path)
    result = invoke("case", "update", "BCP-0046", "--settings", settings,
                    input="".join(f"{answer}\n" for answer in ["2", "2022-11-20", "", "y"]))
    assert_refused(result, "[cannot-write]", str(path), "close BCP-0046.toml in Excel")
    assert path.read_bytes() == old
    assert temporaries(folder / "cases") == []


def test_a_refusal_of_a_file_that_is_not_there_is_not_blamed_on_another_program(tmp_path):
    problem = storage.write_problem(str(tmp_path / "new.xlsx"), plain_refusal(tmp_path / "new.xlsx"))
    assert "close" not in problem.hint and "permission" in problem.message
