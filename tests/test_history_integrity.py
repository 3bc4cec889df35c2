"""What a case file edited by hand cannot slip past (attack findings on issue #10): a withdrawn
flag added or taken out against the history (`withdrawn-flag-disagrees`), history entries that
cannot be true (`bad-history`: before 2000, in the future, before the entry above, or at an offset
that overflows the calendar), and a case entered twice, or a withdrawn duplicate back under a new
reference (`same-as-another-case`, a warning)."""

from __future__ import annotations

import pytest
from hostile import assert_refused, invoke, sample_project

CASE, DUPLICATE = "BCP-0004", "BCP-0098"
ENTRY = """
[[change]]
made = {made}
kind = "amended"
reason = "quantity confirmed"
what = ["outcomes[1].quantity: 2 -> 1"]
tool = "up2u-cba 0.1.0"
"""


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def case_file(folder, reference=CASE):
    return folder / "cases" / "BCP" / f"{reference}.toml"


def run(settings_file, *args):
    return invoke(*args, "--settings", settings_file)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


# --- the withdrawn flag against the history ----------------------------------------------------


def test_taking_out_the_withdrawn_flag_by_hand_is_refused(project):
    folder, settings_file = project
    ok(run(settings_file, "case", "withdraw", CASE, "--reason", "entered twice", "--yes"))
    path = case_file(folder)
    path.write_text(path.read_text().replace("withdrawn = true\n", ""))
    result = run(settings_file, "validate")
    assert_refused(result, str(path), "withdrawn", "[withdrawn-flag-disagrees]", f"case restore {CASE}")
    assert_refused(run(settings_file, "report"), "[withdrawn-flag-disagrees]")


def test_adding_the_withdrawn_flag_to_a_restored_case_by_hand_is_refused(project):
    folder, settings_file = project
    ok(run(settings_file, "case", "withdraw", CASE, "--reason", "entered twice", "--yes"))
    ok(run(settings_file, "case", "restore", CASE, "--reason", "not a duplicate after all", "--yes"))
    path = case_file(folder)
    path.write_text(path.read_text().replace('locality = "Poole"\n', 'locality = "Poole"\nwithdrawn = true\n'))
    assert_refused(run(settings_file, "validate"), str(path), "withdrawn", "[withdrawn-flag-disagrees]",
                   f"case withdraw {CASE}")


def test_the_flag_put_back_as_the_history_says_passes(project):
    folder, settings_file = project
    ok(run(settings_file, "case", "withdraw", CASE, "--reason", "entered twice", "--yes"))
    path = case_file(folder)
    kept = path.read_text()
    path.write_text(kept.replace("withdrawn = true\n", ""))
    assert run(settings_file, "validate").exit_code != 0
    path.write_text(kept)
    ok(run(settings_file, "validate"))
    ok(run(settings_file, "case", "restore", CASE, "--reason", "not a duplicate after all", "--yes"))
    ok(run(settings_file, "validate"))


def test_a_case_with_no_withdrawal_in_its_history_may_be_marked_either_way(project):
    folder, settings_file = project
    path = case_file(folder)
    path.write_text(path.read_text().replace('locality = "Poole"\n', 'locality = "Poole"\nwithdrawn = true\n'))
    ok(run(settings_file, "validate"))


# --- history entries that cannot be true -------------------------------------------------------


@pytest.mark.parametrize("made", ["2099-01-01T00:00:00Z", "1999-06-01T00:00:00Z", "9999-12-31T23:59:59-12:00",
                                  "0001-01-01T00:00:00+12:00", "2199-12-31T23:00:00-12:00"])
def test_an_entry_made_when_it_cannot_have_been_is_refused(project, made):
    folder, settings_file = project
    path = case_file(folder)
    path.write_text(path.read_text() + ENTRY.format(made=made))
    assert_refused(run(settings_file, "validate"), str(path), "change[1].made", "[bad-history]")


def test_an_entry_made_before_the_entry_above_it_is_refused(project):
    folder, settings_file = project
    path = case_file(folder)
    path.write_text(path.read_text() + ENTRY.format(made="2025-03-01T10:00:00Z")
                    + ENTRY.format(made="2024-03-01T10:00:00Z"))
    result = run(settings_file, "validate")
    assert_refused(result, str(path), "change[2].made", "[bad-history]", "change[1]")
    assert "change[1].made" not in result.output


def test_entries_in_order_pass(project):
    folder, settings_file = project
    path = case_file(folder)
    path.write_text(path.read_text() + ENTRY.format(made="2024-03-01T10:00:00Z")
                    + ENTRY.format(made="2025-03-01T10:00:00+01:00"))
    ok(run(settings_file, "validate"))


@pytest.mark.parametrize("command", [("case", "show", CASE, "--history"), ("report", "--changed-since", "2020-01-01"),
                                     ("case", "list")])
def test_an_entry_at_an_offset_past_the_calendar_is_refused_not_a_crash(project, command):
    folder, settings_file = project
    path = case_file(folder)
    path.write_text(path.read_text() + ENTRY.format(made="9999-12-31T23:59:59-12:00"))
    result = run(settings_file, *command)
    assert "Traceback" not in result.output and not isinstance(result.exception, OverflowError), result.output
    if command[0] != "case" or command[1] == "show":
        assert_refused(result, str(path), "change[1].made", "[bad-history]")


# --- the same case twice -----------------------------------------------------------------------


def test_a_case_copied_under_a_new_reference_is_warned_of_naming_both_files(project):
    folder, settings_file = project
    original = case_file(folder)
    copy = case_file(folder, DUPLICATE)
    copy.write_text(original.read_text().replace(CASE, DUPLICATE))
    result = ok(run(settings_file, "validate"))
    (line,) = [line for line in result.output.splitlines() if "[same-as-another-case]" in line]
    assert str(copy) in line and str(original) in line and CASE in line


def test_a_withdrawn_duplicate_back_under_a_new_reference_is_warned_of(project):
    folder, settings_file = project
    original = case_file(folder)
    before = original.read_text()
    ok(run(settings_file, "case", "withdraw", CASE, "--reason", "entered twice", "--yes"))
    ok(run(settings_file, "validate"))  # withdrawn: it counts nowhere, so nothing is the same as it yet
    copy = case_file(folder, DUPLICATE)
    copy.write_text(before.replace(CASE, DUPLICATE))  # as a workbook with the reference renamed imports it
    result = ok(run(settings_file, "validate"))
    (line,) = [line for line in result.output.splitlines() if "[same-as-another-case]" in line]
    assert str(copy) in line and f"matches withdrawn {CASE}, withdrawn as 'entered twice'" in line


def test_a_case_differing_in_one_quantity_is_not_the_same(project):
    folder, settings_file = project
    text = case_file(folder).read_text()
    assert text.count("quantity = 1\n") >= 1
    changed = text.replace(CASE, DUPLICATE).replace("quantity = 1\n", "quantity = 2\n", 1)
    case_file(folder, DUPLICATE).write_text(changed)
    assert "[same-as-another-case]" not in ok(run(settings_file, "validate")).output


def test_the_sample_has_no_case_the_same_as_another(project):
    folder, settings_file = project
    assert "[same-as-another-case]" not in ok(run(settings_file, "validate")).output


@pytest.mark.parametrize("kind", ["[]", "{ a = 1 }", "3", '"renamed"'])
def test_a_change_whose_kind_is_not_a_kind_is_refused_not_a_traceback(project, kind):
    """Found in review of issue #11: a list as the kind of change raised TypeError (unhashable)
    and took the whole run down with a traceback."""
    folder, settings_file = project
    path = case_file(folder)
    path.write_text(path.read_text() + ENTRY.format(made="2024-01-01T00:00:00Z").replace('"amended"', kind))
    result = run(settings_file, "validate")
    assert_refused(result, str(path), "change[1].kind", "[bad-field]")
    assert "Traceback" not in result.output
