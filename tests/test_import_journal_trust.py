"""An interrupted import's journal is not trusted (issue #10, from an attack on issue #9's
journal): anyone who can write the cases folder can plant ``.import-staging/journal.json``, and
the next writing command recovers from it. A journal that names anything but what an import
writes (a .toml case file inside the cases folder, its own staged files) is refused as
``bad-import-journal``, naming the journal, and nothing anywhere is created, replaced or
deleted."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from hostile import assert_refused, assert_unchanged, invoke, sample_project, snapshot
from up2u_cba.entry import import_journal

STAGING = import_journal.STAGING
AMEND = ("case", "amend", "BCP-0001", "--set", "outcomes[1].quantity=2", "--reason", "two children", "--yes")
"""The next writing command, as the attack ran it."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def project(tmp_path):
    settings = sample_project(tmp_path / "project")
    return tmp_path, settings, tmp_path / "project" / "cases"


def plant(cases, entries: list[dict], staged: dict[str, bytes] | None = None) -> None:
    """A journal (and staged files) planted in the cases folder, as if an import had been killed."""
    staging = cases / STAGING
    staging.mkdir(exist_ok=True)
    for name, data in (staged or {}).items():
        (staging / name).write_bytes(data)
    journal = {"workbook": "intake.xlsx", "started": "2024-01-01 10:00:00",
               "entries": [{"old_sha256": None, "backup": None, "shown": str(cases / "BCP" / "BCP-0100.toml"),
                            **entry} for entry in entries]}
    (staging / import_journal.JOURNAL).write_text(json.dumps(journal))


def assert_journal_refused(result, cases, where: str) -> None:
    assert_refused(result, "[bad-import-journal]", os.path.join(str(cases), STAGING, import_journal.JOURNAL), where)
    assert "rolled forward" not in result.output and "rolled back" not in result.output
    assert os.path.isdir(cases / STAGING)  # left as it was, for the user to look at


@pytest.mark.parametrize("command", [AMEND, ("case", "withdraw", "BCP-0001", "--reason", "entered twice", "--yes"),
                                     ("validate",)])
def test_a_planted_journal_cannot_create_a_file_outside_the_cases_folder(project, command):
    folder, settings, cases = project
    planted = folder / "planted.sh"
    payload = b"echo pwned\n"
    plant(cases, [{"target": str(planted), "staged": "00001.case", "sha256": digest(payload)}], {"00001.case": payload})
    before = snapshot(cases)
    result = invoke(*command, "--settings", settings)
    assert not planted.exists(), result.output
    assert_journal_refused(result, cases, "entries[1].target")
    assert result.exit_code == 1
    assert_unchanged(before, cases)  # the amend or withdrawal was not made either


def test_a_planted_journal_cannot_delete_a_file_outside_the_cases_folder(project):
    folder, settings, cases = project
    victim = folder / "victim.txt"
    victim.write_bytes(b"precious\n")
    plant(cases, [{"target": str(victim), "staged": "00001.case", "sha256": digest(b"precious\n")},
                  {"target": str(cases / "BCP" / "BCP-0100.toml"), "staged": "00002.case", "sha256": "0" * 64}])
    before = snapshot(cases)
    result = invoke(*AMEND, "--settings", settings)
    assert victim.exists() and victim.read_bytes() == b"precious\n", result.output
    assert_journal_refused(result, cases, "entries[1].target")
    assert result.exit_code == 1
    assert_unchanged(before, cases)


def test_a_staged_name_that_climbs_out_of_the_staging_folder_is_refused(project):
    folder, settings, cases = project
    outside = folder / "outside.case"  # would be moved into the cases folder, gone from where it was
    outside.write_bytes(b"reference = \"BCP-0100\"\n")
    target = cases / "BCP" / "BCP-0100.toml"
    plant(cases, [{"target": str(target), "staged": "../../../outside.case", "sha256": digest(outside.read_bytes())}])
    before = snapshot(cases)
    result = invoke(*AMEND, "--settings", settings)
    assert outside.exists() and not target.exists(), result.output
    assert_journal_refused(result, cases, "entries[1].staged")
    assert_unchanged(before, cases)


@pytest.mark.parametrize("link", ["folder", "file"])
def test_a_target_linked_out_of_the_cases_folder_is_refused(project, link):
    """A folder inside the cases folder that is a link to one outside (the write would land
    there), or a case file that is a link to a file outside (undoing would remove it, finishing
    would replace it)."""
    folder, settings, cases = project
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "BCP-0100.toml"
    payload = b"reference = \"BCP-0100\"\n"
    if link == "folder":
        (cases / "Linked").symlink_to(elsewhere, target_is_directory=True)
        target = cases / "Linked" / "BCP-0100.toml"
        entries = [{"target": str(target), "shown": str(target), "staged": "00001.case", "sha256": digest(payload)}]
        staged = {"00001.case": payload}
    else:
        victim.write_bytes(payload)
        target = cases / "BCP" / "BCP-0100.toml"
        target.symlink_to(victim)
        entries = [{"target": str(target), "staged": "00001.case", "sha256": digest(payload)},
                   {"target": str(cases / "BCP" / "BCP-0101.toml"), "staged": "00002.case", "sha256": "0" * 64,
                    "shown": str(cases / "BCP" / "BCP-0101.toml")}]
        staged = {}
    plant(cases, entries, staged)
    result = invoke(*AMEND, "--settings", settings)
    if link == "file":
        assert victim.read_bytes() == payload and os.path.islink(target), result.output
    else:
        assert not victim.exists(), result.output
    assert_journal_refused(result, cases, "entries[1].target")
    assert result.exit_code == 1


@pytest.mark.parametrize("field, value", [
    ("target", "{cases}/BCP/../../escape.toml"),
    ("target", "{cases}/BCP/BCP-0100.txt"),
    ("target", "{cases}/.import-staging/journal.toml"),
    ("target", "BCP/BCP-0100.toml"),
    ("shown", "{cases}/BCP/BCP-0001.toml"),
    ("shown", "\x1b[2Jcases/BCP/BCP-0100.toml"),
    ("staged", "sub/00001.case"),
    ("staged", "journal.json"),
    ("backup", "/etc/passwd"),
    ("sha256", "not a digest"),
])
def test_a_journal_entry_an_import_would_not_write_is_refused_naming_its_field(project, field, value):
    folder, settings, cases = project
    good = {"target": str(cases / "BCP" / "BCP-0100.toml"), "staged": "00001.case", "sha256": "0" * 64}
    entry = {**good, field: value.format(cases=cases)}
    if field == "backup":
        entry["old_sha256"] = "1" * 64
    plant(cases, [entry])
    before = snapshot(cases)
    result = invoke(*AMEND, "--settings", settings)
    assert_journal_refused(result, cases, f"entries[1].{field}")
    assert_unchanged(before, cases)


def test_an_import_over_a_planted_journal_is_refused_too(project):
    folder, settings, cases = project
    planted = folder / "planted.sh"
    plant(cases, [{"target": str(planted), "staged": "00001.case", "sha256": digest(b"x")}], {"00001.case": b"x"})
    template = folder / "template.xlsx"
    assert invoke("intake", "template", template, "--settings", settings).exit_code == 0
    result = invoke("intake", "import", template, "--settings", settings)
    assert_journal_refused(result, cases, "entries[1].target")
    assert not planted.exists()


def test_a_staging_folder_that_is_a_link_is_refused_and_what_it_leads_to_is_left_alone(project):
    folder, settings, cases = project
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "00001.case").write_bytes(b"someone's file\n")
    (cases / STAGING).symlink_to(elsewhere, target_is_directory=True)
    result = invoke(*AMEND, "--settings", settings)
    assert_refused(result, "[bad-import-journal]", str(cases / STAGING))
    assert (elsewhere / "00001.case").read_bytes() == b"someone's file\n"


def test_undoing_never_removes_a_case_file_the_import_did_not_write(project):
    """A journal calling a stored case new, with its staged copy never moved into place: the
    import did not write that file, so rolling back leaves it."""
    folder, settings, cases = project
    stored = cases / "BCP" / "BCP-0001.toml"
    content = stored.read_bytes()
    plant(cases, [{"target": str(stored), "shown": str(stored), "staged": "00001.case", "sha256": digest(content)},
                  {"target": str(cases / "BCP" / "BCP-0100.toml"), "staged": "00002.case", "sha256": "0" * 64}],
          {"00001.case": content})
    recovery, problems = import_journal.recover(str(cases))
    assert problems == [] and recovery is not None and not recovery.finished
    assert stored.read_bytes() == content
    assert not (cases / STAGING).exists()


@pytest.mark.parametrize("what", ["journal", "staged file"])
def test_a_named_pipe_in_the_staging_folder_is_never_waited_on(project, what):
    folder, settings, cases = project
    target = cases / "BCP" / "BCP-0100.toml"
    if what == "journal":
        (cases / STAGING).mkdir()
        os.mkfifo(cases / STAGING / import_journal.JOURNAL)
    else:
        plant(cases, [{"target": str(target), "staged": "00001.case", "sha256": "0" * 64}])
        os.mkfifo(cases / STAGING / "00001.case")
    result = invoke(*AMEND, "--settings", settings)
    if what == "journal":
        assert_refused(result, "[bad-import-journal]", "named pipe")
    else:  # a staged file that is not one is damaged: the import is rolled back
        assert result.exit_code == 0 and "Undid it (rolled back)" in result.output, result.output
        assert not target.exists() and not (cases / STAGING).exists()
