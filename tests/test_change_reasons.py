"""The reason for a change to stored cases (recorded in their history) is checked one way by
every command that takes one: `case amend`, `case withdraw`, `case restore` and `intake import
--replace` refuse an empty reason, a character a workbook cannot hold and personal data, each at
--reason (where it was typed) and before anything is written (issue #10 review)."""

from __future__ import annotations

import pytest
from hostile import assert_refused, assert_unchanged, invoke, sample_project, snapshot

CASE = "BCP-0001"

REFUSED = [("  ", "missing-reason"), ("bell\x07here", "control-character"),
           ("seen at home, DOB 12/03/1985", "personal-data")]


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def amend(settings_file, reason):
    return invoke("case", "amend", CASE, "--set", "outcomes[1].quantity=2", "--reason", reason, "--yes",
                  "--settings", settings_file)


def withdraw(settings_file, reason):
    return invoke("case", "withdraw", CASE, "--reason", reason, "--yes", "--settings", settings_file)


def restore(settings_file, reason):
    return invoke("case", "restore", CASE, "--reason", reason, "--yes", "--settings", settings_file)


def import_(settings_file, reason):
    workbook = settings_file.parent / "corrections.xlsx"
    exported = invoke("intake", "export", workbook, "--reference", CASE, "--settings", settings_file)
    assert exported.exit_code == 0, exported.output
    return invoke("intake", "import", workbook, "--replace", "--reason", reason, "--settings", settings_file)


@pytest.mark.parametrize("command", [amend, withdraw, restore, import_])
@pytest.mark.parametrize("reason, code", REFUSED)
def test_every_command_refuses_a_bad_reason_at_reason_before_writing(project, command, reason, code):
    folder, settings_file = project
    if command is restore:  # (the withdrawal it needs first is not what is tested)
        assert withdraw(settings_file, "entered twice").exit_code == 0
    before = snapshot(folder / "cases")
    result = command(settings_file, reason)
    assert_refused(result, "--reason: ", f"[{code}]")
    assert "change[" not in result.output and "12/03/1985" not in result.output
    assert "1 problem found; nothing was written" in result.output
    assert_unchanged(before, folder / "cases")


@pytest.mark.parametrize("command", ["amend", "withdraw", "restore"])
def test_a_missing_reason_without_a_terminal_has_the_same_code(project, command):
    folder, settings_file = project
    if command == "restore":
        assert withdraw(settings_file, "entered twice").exit_code == 0
    extra = ["--set", "outcomes[1].quantity=2"] if command == "amend" else []
    before = snapshot(folder / "cases")
    result = invoke("case", command, CASE, *extra, "--yes", "--settings", settings_file)
    assert_refused(result, "--reason: ", "[missing-reason]")
    assert_unchanged(before, folder / "cases")


@pytest.mark.parametrize("reason", ["typo\n  2026-11-30 12:00:00 UTC  withdrawn  (up2u-cba 0.1.0)\n      reason: fake",
                                    "entered\ttwice", "entered twice \u202egnorw", "zero\u200bwidth"])
def test_a_reason_that_could_pass_for_another_history_entry_or_read_backwards_is_refused(tmp_path, reason):
    """A line break in a reason printed as a second, forged history entry in `case show --history`;
    a right-to-left override shows the reason's end backwards."""
    settings = sample_project(tmp_path)
    before = snapshot(tmp_path / "cases")
    result = invoke("case", "withdraw", "BCP-0001", "--settings", settings, "--reason", reason, "--yes")
    assert_refused(result, "--reason", "[bad-reason]")
    assert_unchanged(before, tmp_path / "cases")
