"""`case amend`: a stored case corrected, guided or with --set / --remove, through the command
line as the programme manager (or a script) uses it (issue #10, deliverable 1)."""

from __future__ import annotations

import errno
import json
import os
import shlex
import tomllib
from decimal import Decimal

import pytest

from hostile import assert_refused, assert_unchanged, invoke, sample_project, snapshot
from test_entry_support import Terminal
from up2u_cba import storage

REASON = "police check confirmed 2"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(storage.LOCK_WAIT_VARIABLE, "0.3")
    return sample_project(tmp_path)


def case_file(settings, reference="BCP-0001"):
    return settings.parent / "cases" / "BCP" / f"{reference}.toml"


def stored(settings, reference="BCP-0001") -> dict:
    return tomllib.loads(case_file(settings, reference).read_text(encoding="utf-8"))


def total_saving(settings, year="2021/22") -> Decimal:
    """BCP's total saving in ``year`` (BCP-0001 completed in 2021/22), as `report --format json` gives it."""
    result = invoke("report", "--format", "json", "--year", year, "--service", "BCP", "--settings", settings)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    return Decimal(str(report["services"][0]["total_saving"]))


def line_saving(settings, reference, code) -> Decimal:
    result = invoke("case", "show", reference, "--settings", settings)
    row = next(line for line in result.output.splitlines() if f"| {code} " in line)
    return Decimal(row.split("|")[-4].strip().lstrip("£").replace(",", ""))


def amend(settings, *args, reference="BCP-0001", input=None):
    return invoke("case", "amend", reference, *args, "--settings", settings, input=input)


# --- non-interactive ---------------------------------------------------------------------------


def test_a_scripted_quantity_change_is_written_recorded_and_moves_the_report_by_the_line(project):
    total_before, line_before = total_saving(project), line_saving(project, "BCP-0001", "CR2.0")
    result = amend(project, "--set", "outcomes[2].quantity=2", "--reason", REASON, "--yes")
    assert result.exit_code == 0, result.output
    assert "outcomes[2].quantity: 3 -> 2" in result.output
    case = stored(project)
    assert [line["quantity"] for line in case["outcomes"]] == [1, 2, 1]
    change = case["change"][-1]
    assert change["kind"] == "amended"
    assert change["reason"] == REASON
    assert change["what"] == ["outcomes[2].quantity: 3 -> 2"]
    line_after = line_saving(project, "BCP-0001", "CR2.0")
    assert line_after != line_before
    assert total_saving(project) - total_before == line_after - line_before  # exactly the line's difference
    assert invoke("validate", "--settings", project).exit_code == 0


def test_a_removed_line_leaves_the_case_and_its_saving(project):
    total_before, removed = total_saving(project), line_saving(project, "BCP-0001", "HO3.0")
    result = amend(project, "--remove", "outcomes[3]", "--reason", "entered in error", "--yes")
    assert result.exit_code == 0, result.output
    case = stored(project)
    assert [line["code"] for line in case["outcomes"]] == ["BCP-SS1", "CR2.0"]
    assert case["change"][-1]["what"] == ["outcomes[3] removed (HO3.0 x 1)"]
    assert total_saving(project) == total_before - removed


def test_numbers_refer_to_the_case_as_stored_whatever_is_removed(project):
    result = amend(project, "--remove", "outcomes[1]", "--set", "outcomes[3].quantity=2", "--set", "locality=poole",
                   "--reason", "corrected from the referral form", "--yes")
    assert result.exit_code == 0, result.output
    case = stored(project)
    assert case["locality"] == "Poole"  # spelled as the settings spell it
    assert [(line["code"], line["quantity"]) for line in case["outcomes"]] == [("CR2.0", 3), ("HO3.0", 2)]


def test_a_refusal_after_a_removal_names_the_line_as_stored(project):
    before = snapshot(project.parent)
    result = amend(project, "--remove", "outcomes[1]", "--set", "outcomes[3].code=CR2.0.1",
                   "--reason", "health part only", "--yes")
    assert_refused(result, "outcomes[3].code", "double-counted-constituent")  # line 2 once line 1 is gone
    assert "outcomes[2].code" not in result.output
    assert_unchanged(before, project.parent)


def test_an_event_date_out_of_order_is_refused_naming_the_event(project):
    before = snapshot(project.parent)
    result = amend(project, "--set", "status[4].date=01/04/2021", "--reason", "date typed wrongly", "--yes")
    assert_refused(result, "status[4].date", "history-out-of-order")
    assert_unchanged(before, project.parent)


def test_every_bad_path_and_value_is_reported_at_once_and_nothing_written(project):
    before = snapshot(project.parent)
    result = amend(project, "--set", "outcomes[9].quantity=2", "--set", "outcomes[2].qty=1",
                   "--set", "outcomes[1].quantity=lots", "--set", "status[2].date=31/02/2022",
                   "--set", "status[5].reason=moved", "--set", "locality=Leeds", "--set", "quantity",
                   "--remove", "outcomes[7]", "--set", "reference=BCP-0002", "--reason", "tidying", "--yes")
    assert_refused(result, "9 problems",
                   "--set outcomes[9].quantity", "outcomes[1] to outcomes[3]",  # the valid range
                   "--set outcomes[2].qty", "--set outcomes[1].quantity", "'lots'",  # what was typed
                   "--set status[2].date", "31/02/2022", "--set status[5].reason", "status[1] to status[4]",
                   "--set locality", "Leeds", "--set quantity", "--remove outcomes[7]", "--set reference")
    for code in ("out-of-range", "unknown-field", "bad-number", "bad-date", "unknown-locality", "bad-amendment"):
        assert f"[{code}]" in result.output
    assert_unchanged(before, project.parent)


def test_a_result_validate_would_refuse_is_refused(project):
    before = snapshot(project.parent)
    result = amend(project, "--set", "status[4].status=programme", "--reason", "not completed after all", "--yes")
    assert_refused(result, "outcomes-without-completion")  # lines on a case that has not completed
    result = amend(project, "--set", "outcomes[2].code=CR2.0.3", "--reason", "police part only", "--yes")
    assert result.exit_code == 0, result.output  # a constituent instead of its parent: accepted
    before = snapshot(project.parent)
    result = amend(project, "--set", "outcomes[1].code=CR2.0", "--reason", "wrong code", "--yes")
    assert_refused(result, "outcomes[2].code", "double-counted-constituent")  # (the checks name the part)
    assert_unchanged(before, project.parent)


def test_a_missing_reason_is_refused(project):
    before = snapshot(project.parent)
    assert_refused(amend(project, "--set", "outcomes[2].quantity=2", "--yes"), "--reason", "missing-reason")
    assert_refused(amend(project, "--set", "outcomes[2].quantity=2", "--reason", "  ", "--yes"), "missing-reason")
    assert_unchanged(before, project.parent)


def test_personal_data_in_the_reason_is_refused_and_never_repeated(project):
    before = snapshot(project.parent)
    result = amend(project, "--set", "outcomes[2].quantity=2", "--reason", "Spoke to John Smith, DOB 12/03/1985", "--yes")
    assert_refused(result, "--reason", "personal-data")
    assert "John Smith" not in result.output
    assert_unchanged(before, project.parent)


def test_without_a_terminal_or_yes_it_shows_the_change_and_writes_nothing(project):
    before = snapshot(project.parent)
    result = amend(project, "--set", "outcomes[2].quantity=2", "--reason", REASON)
    assert_refused(result, "outcomes[2].quantity: 3 -> 2", "--yes", "needs-confirmation")
    assert_unchanged(before, project.parent)


def test_a_withdrawn_case_is_not_amended(project):
    path = case_file(project)
    path.write_text(path.read_text().replace('locality = "Bournemouth"\n', 'locality = "Bournemouth"\nwithdrawn = true\n'))
    before = snapshot(project.parent)
    result = amend(project, "--set", "outcomes[2].quantity=2", "--reason", REASON, "--yes")
    assert_refused(result, "case-withdrawn", "case restore BCP-0001")
    assert_refused(amend(project, input="done\n"), "case-withdrawn")
    assert_unchanged(before, project.parent)


def test_an_unknown_reference_is_told_the_nearest(project):
    result = amend(project, "--set", "locality=Poole", "--reason", "typo", "--yes", reference="BCP-0091")
    assert_refused(result, "unknown-case", "BCP-0063")


def test_a_case_whose_file_has_problems_is_refused_with_them(project):
    path = case_file(project)
    path.write_text(path.read_text().replace("quantity = 3", "quantity = -3"))
    before = snapshot(project.parent)
    result = amend(project, "--set", "locality=Poole", "--reason", "typo", "--yes")
    assert_refused(result, "outcomes[2].quantity", "bad-quantity")
    assert_unchanged(before, project.parent)


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_failed_write_leaves_the_stored_case_as_it_was(project, monkeypatch):
    before = snapshot(project.parent)
    monkeypatch.setattr(storage.os, "replace", disk_full)
    result = amend(project, "--set", "outcomes[2].quantity=2", "--reason", REASON, "--yes")
    assert_refused(result, "BCP-0001.toml", "is as it was")
    assert_unchanged(before, project.parent)


# --- guided ------------------------------------------------------------------------------------


def test_a_guided_correction_that_cannot_be_written_gives_the_command_that_makes_it(project, monkeypatch):
    before = snapshot(project.parent)
    answers = ["remove a line", "1",  # BCP-SS1 goes: HO3.0 (stored line 3) is now line 2
               "line", "2", "", "2", "", "", "", "", "housing line confirmed 2", "y"]
    with monkeypatch.context() as patch:
        patch.setattr(storage.os, "replace", disk_full)
        result = amend(project, input="\n".join(answers) + "\n")
    assert_refused(result, "is as it was")
    assert_unchanged(before, project.parent)
    command = shlex.split(result.output.split("make the same correction with:", 1)[1].strip().splitlines()[0])
    assert command[:4] == ["up2u-cba", "case", "amend", "BCP-0001"]
    assert "outcomes[3].quantity=2" in command and "outcomes[1]" in command  # numbered as stored
    again = invoke(*command[1:], "--yes")
    assert again.exit_code == 0, again.output
    case = stored(project)
    assert [(line["code"], line["quantity"]) for line in case["outcomes"]] == [("CR2.0", 3), ("HO3.0", 2)]
    assert case["change"][-1]["reason"] == "housing line confirmed 2"


GUIDED_QUANTITY = "\n".join([
    "line",  # Correct ...: line
    "2",  # Which line: 2 (CR2.0 x 3)
    "",  # unit cost: Enter keeps CR2.0
    "2",  # Quantity [3]
    "",  # Years [1]
    "",  # Description: kept
    "",  # Evidence: kept
    "",  # Correct ... [done]
    REASON,  # Reason for the correction
]) + "\n"


def test_guided_amend_changes_a_quantity_with_a_reason_once_confirmed(project):
    result = amend(project, input=GUIDED_QUANTITY + "y\n")
    assert result.exit_code == 0, result.output
    assert "outcomes[2].quantity: 3 -> 2" in result.output
    assert "Saving at 2018/19 prices: £79,474 -> £76,563 (down £2,911)" in result.output
    case = stored(project)
    assert [line["quantity"] for line in case["outcomes"]] == [1, 2, 1]
    assert case["outcomes"][1]["evidence"] == "Police incident check, 3 months after completion"
    assert case["change"][-1]["reason"] == REASON
    assert case["change"][-1]["what"] == ["outcomes[2].quantity: 3 -> 2"]


def test_guided_amend_answered_no_writes_nothing(project):
    before = snapshot(project.parent)
    result = amend(project, input=GUIDED_QUANTITY + "n\n")
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert_unchanged(before, project.parent)


def test_guided_amend_refuses_an_edit_validate_would_refuse_and_goes_on(project):
    answers = ["event", "4", "", "01/04/2021",  # completion dated before the programme start: refused
               "remove a line", "3",  # kept
               "", "duplicate of line 1", "y"]
    result = amend(project, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "status[4].date: 2021-04-01 is before the previous status" in result.output
    assert "The change was not kept." in result.output
    case = stored(project)
    assert case["status"][3]["date"].isoformat() == "2021-10-15"
    assert [line["code"] for line in case["outcomes"]] == ["BCP-SS1", "CR2.0"]
    assert case["change"][-1]["what"] == ["outcomes[3] removed (HO3.0 x 1)"]


def test_guided_amend_asks_again_for_a_reason_with_personal_data(project):
    answers = ["locality", "poole", "", "Mr Smith phoned", "Locality typed wrongly", "y"]
    result = amend(project, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Mr Smith" not in result.output.split("Mr Smith phoned", 1)[1]  # refused, never repeated
    assert stored(project)["locality"] == "Poole"
    assert stored(project)["change"][-1]["reason"] == "Locality typed wrongly"


def test_guided_amend_sets_a_lines_own_deadweight_with_its_reason_and_shows_the_prudent_saving(project):
    answers = ["adjustments", "2", "20%", "", "A",
               "",  # the reason is required once the line has its own deadweight: asked again
               "Police data shows some decline anyway", "", "own deadweight agreed with the analyst", "y"]
    result = amend(project, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Prudent saving (after the Green Book adjustments): £79,474 -> £77,727 (down £1,747)" in result.output
    line = stored(project)["outcomes"][1]
    assert (line["deadweight"], line["confidence"]) == (0.2, "A")
    assert line["adjustment_reason"] == "Police data shows some decline anyway"


def test_a_closure_corrected_by_script_takes_its_reason_by_name(project):
    closed = [number for number, event in enumerate(stored(project, "BCP-0003")["status"], start=1)
              if event["status"] == "closed"]
    assert closed, "the sample's BCP-0003 is a closed case"
    result = amend(project, "--set", f"status[{closed[0]}].reason=No Contact", "--reason", "reason mistyped", "--yes",
                   reference="BCP-0003")
    assert result.exit_code == 0, result.output
    assert stored(project, "BCP-0003")["status"][closed[0] - 1]["reason"] == "no_contact"


def test_guided_amend_in_a_terminal(project):
    """The issue asks for amend driven as a person drives it: the real program in a terminal."""
    folder = project.parent
    term = Terminal(["case", "amend", "BCP-0001", "--settings", str(project)], cwd=folder)
    try:
        term.expect(r"As stored in .*BCP-0001\.toml")
        term.answer(r"Correct \(1=locality, 2=event, 3=line, .*7=done\) \[done\]: ", "3")
        term.answer(r"Which line \(1-3\): ", "2")
        term.answer(r"Unit cost of the line \[CR2\.0\].*: ", "")
        term.answer(r"Quantity .*\[3\]: ", "0")
        term.expect(r"Error: the quantity must be greater than 0")  # re-asked
        term.answer(r"Quantity .*: ", "2")
        term.answer(r"Years it counts for \[1\]: ", "")
        term.answer(r"Description .*: ", "")
        term.answer(r"Evidence note .*: ", "")
        term.expect(r"Changed: outcomes\[2\]\.quantity: 3 -> 2")
        term.answer(r"Correct .*\[done\]: ", "")
        term.expect(r"£79,474 -> £76,563 \(down £2,911\)")
        term.answer(r"Reason for the correction .*: ", REASON)
        term.answer(r"Write the corrected case to .*\? \[y/n\]: ", "y")
        term.expect(r"Saved .*BCP-0001\.toml")
        assert term.wait() == 0
    finally:
        if term.status is None:
            term.close()
    assert stored(project)["change"][-1]["what"] == ["outcomes[2].quantity: 3 -> 2"]


def test_a_scripted_amend_at_a_terminal_without_yes_asks_first(project):
    before = snapshot(project.parent)
    term = Terminal(["case", "amend", "BCP-0001", "--set", "outcomes[2].quantity=2", "--reason", REASON,
                     "--settings", str(project)], cwd=project.parent)
    try:
        term.expect(r"outcomes\[2\]\.quantity: 3 -> 2")
        term.answer(r"Write the corrected case to .*\? \[y/n\]: ", "n")
        term.expect(r"Stopped: nothing was written\.")
        assert term.wait() == 1
    finally:
        if term.status is None:
            term.close()
    assert_unchanged(before, project.parent)


@pytest.mark.parametrize("typed", ["1e-600", "1e-999999", "0.00001", "0.12345", "12.345%", "0.001%"])
def test_a_share_of_more_than_four_decimal_places_is_refused_at_the_set_repeating_it_short(project, typed):
    before = snapshot(project.parent / "cases")
    result = amend(project, "--set", f"outcomes[1].deadweight={typed}", "--set",
                   "outcomes[1].adjustment_reason=local evaluation", "--reason", REASON, "--yes")
    assert_refused(result, "--set outcomes[1].deadweight: ", "[bad-assumption]", f"'{typed}'")
    assert "change[" not in result.output and len(result.output) < 2000
    assert_unchanged(before, project.parent / "cases")


def test_a_share_of_four_decimal_places_or_a_percentage_of_two_is_taken(project):
    result = amend(project, "--set", "outcomes[1].deadweight=0.1235", "--set", "outcomes[1].attribution=87.25%",
                   "--set", "outcomes[1].adjustment_reason=local evaluation", "--reason", REASON, "--yes")
    assert result.exit_code == 0, result.output
    line = stored(project)["outcomes"][0]
    assert (line["deadweight"], line["attribution"]) == (0.1235, 0.8725)


# --- attack findings (issue #10): figures, numbering and defaults ------------------------------


def test_guided_attribution_is_asked_as_the_share_due_to_up2u_and_counted_so(project):
    """The calculation multiplies by attribution: 0.75 keeps 75% of the line (it was asked as
    'the share due to other services', so a manager meaning 25% to others typed 0.25)."""
    answers = ["adjustments", "2", "", "0.75", "", "Partner agency also worked with the family", "",
               "Up2U share agreed with the analyst", "y"]
    result = amend(project, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    prompt = next(line for line in result.output.splitlines() if "Attribution:" in line)
    assert "due to Up2U" in prompt and "this programme" in prompt and "due to other services" not in prompt
    # CR2.0 x 3 is £8,735: 75% of it stays in the prudent saving, a quarter (not three quarters) goes
    assert "Prudent saving (after the Green Book adjustments): £79,474 -> £77,291 (down £2,183)" in result.output
    assert stored(project)["outcomes"][1]["attribution"] == 0.75


def test_the_intake_template_says_attribution_is_the_share_due_to_up2u():
    from up2u_cba.entry import intake
    help_line = next(line for line in intake.HELP if line.strip().startswith("Attribution"))
    assert "due to Up2U" in help_line


def test_a_completion_redated_across_31_march_shows_both_years_totals(project):
    totals_before = {year: total_saving(project, year) for year in ("2021/22", "2022/23")}
    result = amend(project, "--set", "status[4].date=2022-04-02", "--reason", "completion date typed wrongly", "--yes")
    assert result.exit_code == 0, result.output
    totals_after = {year: total_saving(project, year) for year in ("2021/22", "2022/23")}
    assert totals_after["2021/22"] == totals_before["2021/22"] - 79474  # BCP-0001's saving leaves 2021/22
    assert totals_after["2022/23"] == totals_before["2022/23"] + 79474  # ... and joins 2022/23
    for year in ("2021/22", "2022/23"):
        before, after = (f"£{totals[year]:,}" for totals in (totals_before, totals_after))
        assert f"BCP {year} total: {before} -> {after} (" in result.output


def test_a_change_within_the_year_shows_no_year_totals(project):
    result = amend(project, "--set", "outcomes[2].quantity=2", "--reason", REASON, "--yes")
    assert result.exit_code == 0, result.output
    assert "2021/22 total" not in result.output


def test_a_guided_code_refused_names_the_lines_as_the_case_numbers_them(project):
    answers = ["line", "1", "BCP-CR1",  # BCP-CR1 on line 1 is not counted with CR2.0, line 2: refused
               "", "", "", "", "",  # the line kept as it was
               ""]
    result = amend(project, input="\n".join(answers) + "\n")
    refusal = next(line for line in result.output.splitlines() if line.startswith("Error:"))
    assert "line 1 (BCP-CR1)" in refusal and "line 2 (CR2.0)" in refusal
    assert "line 3" not in refusal


@pytest.mark.parametrize("typed", ["0202-04-01", "01/04/0021", "31/03/2000"])
def test_a_date_before_any_up2u_case_is_refused_repeating_it(project, typed):
    before = snapshot(project.parent)
    result = amend(project, "--set", f"status[1].date={typed}", "--reason", "date typed wrongly", "--yes")
    assert_refused(result, "--set status[1].date", "[implausible-date]", typed, "2000-04-01")
    assert "Traceback" not in result.output and "TOML" not in result.output
    assert_unchanged(before, project.parent)


def test_a_guided_code_change_offers_no_stale_description_and_keeps_the_settings_years(project):
    answers = ["line", "1", "HE1.0", "", "", "", "",  # quantity, years, description, evidence: Enter each
               "", "alcohol line entered under the wrong code", "y"]
    result = amend(project, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "[Children prevented from going into care, x1]" not in result.output  # not offered as the default
    line = stored(project)["outcomes"][0]
    assert line["code"] == "HE1.0"
    assert "description" not in line and "years" not in line  # the unit cost's own; the settings' years
    what = stored(project)["change"][-1]["what"]
    assert not any("years" in item for item in what), what


def test_the_history_names_a_changed_and_a_removed_line_apart(project):
    result = amend(project, "--remove", "outcomes[1]", "--set", "outcomes[2].quantity=2",
                   "--reason", "police check confirmed 2", "--yes")
    assert result.exit_code == 0, result.output
    what = stored(project)["change"][-1]["what"]
    assert sorted(what) == ["outcomes[1] removed (BCP-SS1 x 1)", "outcomes[2].quantity: 3 -> 2 (now line 1)"]
