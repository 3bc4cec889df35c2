"""`case withdraw` and `case restore` (issue #10, deliverable 2): a withdrawn case leaves every
report and count by exactly what it counted for, is kept on file and listed with --withdrawn,
comes back with restore only if it still passes the checks, and its reference is never reused."""

from __future__ import annotations

import datetime
import json

import openpyxl
import pytest
from hostile import assert_refused, assert_unchanged, invoke, sample_project, snapshot

from up2u_cba.cli import case_withdrawal
from up2u_cba.entry import case_files
from up2u_cba.inputs import cases, settings

CASE = "BCP-0001"  # completed 2021-10-15 in Bournemouth: counts in BCP's 2021/22 figures
YEAR = "2021/22"


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def case_path(folder, reference=CASE):
    return folder / "cases" / reference.split("-")[0].replace("DOR", "Dorset") / f"{reference}.toml"


def bcp_report(settings_file, part="services") -> dict:
    result = invoke("report", "--year", YEAR, "--service", "BCP", "--format", "json", "--settings", settings_file)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[part][0]


def withdraw(settings_file, reference=CASE, reason="entered twice", *extra):
    return invoke("case", "withdraw", reference, "--reason", reason, "--yes", *extra, "--settings", settings_file)


def participants(service: dict) -> dict:
    return {row["category"]: row["total"] for row in service["participants"]["rows"]}


def test_withdrawing_a_case_takes_exactly_its_saving_and_its_counts_out_of_the_report(project):
    folder, settings_file = project
    before, sensitivity_before = bcp_report(settings_file), bcp_report(settings_file, "sensitivity")
    saving = next(case["total_saving"] for case in before["cases"] if case["reference"] == CASE)
    prudent = next(case["prudent_total_saving"] for case in before["cases"] if case["reference"] == CASE)
    shown_before = invoke("sensitivity", "--year", YEAR, "--service", "BCP", "--settings", settings_file).output
    result = withdraw(settings_file)
    assert result.exit_code == 0, result.output
    assert "£109,756 to £30,282" in result.output  # what leaving the reports means, shown first
    after = bcp_report(settings_file)
    assert after["total_saving"] == before["total_saving"] - saving
    assert after["completers"] == before["completers"] - 1
    assert CASE not in [case["reference"] for case in after["cases"]]
    counts_before, counts_after = participants(before), participants(after)
    assert counts_after["Successful completers"] == counts_before["Successful completers"] - 1
    assert counts_after["Total number of referrals"] == counts_before["Total number of referrals"] - 1
    by_locality = {row["locality"]: row["saving"] for row in after["by_locality"]}
    assert by_locality["Bournemouth"] == {row["locality"]: row["saving"]
                                          for row in before["by_locality"]}["Bournemouth"] - saving
    # every other rendering and count leaves it out too
    central = bcp_report(settings_file, "sensitivity")["central"]
    assert central["prudent_total"] == sensitivity_before["central"]["prudent_total"] - prudent
    assert invoke("sensitivity", "--year", YEAR, "--service", "BCP", "--settings", settings_file).output != shown_before
    text = invoke("report", "--year", YEAR, "--service", "BCP", "--settings", settings_file).stdout
    assert f"Case {CASE}" not in text
    workbook = folder / "bcp.xlsx"
    assert invoke("report", "--year", YEAR, "--service", "BCP", "--xlsx", workbook,
                  "--settings", settings_file).exit_code == 0
    book = openpyxl.load_workbook(workbook)
    cells = [str(cell.value) for sheet in book.worksheets if sheet.title != "Run info"
             for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell for cell in cells if CASE in cell]
    years = json.loads(invoke("report", "--year", YEAR, "--service", "BCP", "--format", "json",
                              "--settings", settings_file).stdout)["years"]
    assert {row["year"]: row["total_saving"] for row in years}[YEAR] == after["total_saving"]
    validated = invoke("validate", "--settings", settings_file)
    assert validated.exit_code == 0 and "69 cases (26 completed), 1 withdrawn" in validated.output


def test_a_withdrawn_case_stays_on_file_marked_with_its_reason(project):
    folder, settings_file = project
    assert withdraw(settings_file).exit_code == 0
    record, problems = cases.load_file(str(case_path(folder)))
    assert problems == [] and record.withdrawn
    change = record.changes[-1]
    assert (change.kind.value, change.reason, change.what) == ("withdrawn", "entered twice", ("withdrawn: no -> yes",))


def test_restoring_brings_back_every_figure(project):
    folder, settings_file = project
    before = bcp_report(settings_file)
    assert withdraw(settings_file).exit_code == 0
    result = invoke("case", "restore", CASE, "--reason", "not a duplicate after all", "--yes",
                    "--settings", settings_file)
    assert result.exit_code == 0, result.output
    assert "£30,282 to £109,756" in result.output
    assert bcp_report(settings_file) == before
    record, _ = cases.load_file(str(case_path(folder)))
    assert not record.withdrawn and [change.kind.value for change in record.changes] == ["withdrawn", "restored"]


def test_case_list_leaves_a_withdrawn_case_out_and_lists_it_with_withdrawn(project):
    folder, settings_file = project
    assert withdraw(settings_file).exit_code == 0
    listed = invoke("case", "list", "--settings", settings_file)
    assert listed.exit_code == 0 and CASE not in listed.output
    assert "1 withdrawn case left out" in listed.output
    withdrawn = invoke("case", "list", "--withdrawn", "--settings", settings_file)
    assert withdrawn.exit_code == 0, withdrawn.output
    rows = [line for line in withdrawn.output.splitlines() if line.startswith("| BCP-") or line.startswith("| DOR-")]
    today = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}"
    assert len(rows) == 1 and CASE in rows[0] and "WITHDRAWN" in rows[0] and "entered twice" in rows[0]
    assert today in rows[0]
    none = invoke("case", "list", "--withdrawn", "--service", "Dorset", "--settings", settings_file)
    assert "No withdrawn case matches." in none.output


def test_case_show_of_a_withdrawn_case_says_withdrawn_first(project):
    folder, settings_file = project
    assert withdraw(settings_file).exit_code == 0
    shown = invoke("case", "show", CASE, "--settings", settings_file)
    assert shown.exit_code == 0, shown.output
    first = shown.output.splitlines()[0]
    assert first.startswith("WITHDRAWN on ") and "(entered twice)" in first
    assert "£79,474" in shown.output  # its table is still shown


def test_case_update_of_a_withdrawn_case_is_refused_restore_first(project):
    folder, settings_file = project
    assert withdraw(settings_file).exit_code == 0
    before = snapshot(folder)
    result = invoke("case", "update", CASE, "--settings", settings_file, input="y\n")
    assert_refused(result, "[case-withdrawn]", str(case_path(folder).relative_to(folder)), "restore it first")
    assert_unchanged(before, folder)


@pytest.mark.parametrize("reason, code", [(None, "[missing-reason]"), ("  ", "[missing-reason]"),
                                          ("seen at home, DOB 12/03/1985", "[personal-data]")])
def test_a_reason_is_required_and_checked_by_the_personal_data_guard(project, reason, code):
    folder, settings_file = project
    before = snapshot(folder)
    given = [] if reason is None else ["--reason", reason]
    result = invoke("case", "withdraw", CASE, *given, "--yes", "--settings", settings_file)
    assert_refused(result, code, "--reason")
    assert "12/03/1985" not in result.output  # the suspect text is never echoed back
    assert_unchanged(before, folder)


def test_the_hint_to_add_yes_keeps_the_reason_given(project):
    """Copying the hint must not record another reason than the one typed (it said "entered twice")."""
    folder, settings_file = project
    result = invoke("case", "withdraw", CASE, "--reason", "same as BCP-0011", "--settings", settings_file)
    assert_refused(result, "[needs-confirmation]")
    assert "--reason 'same as BCP-0011' --yes" in result.output, result.output


def test_without_a_terminal_or_yes_nothing_is_withdrawn(project):
    folder, settings_file = project
    before = snapshot(folder)
    result = invoke("case", "withdraw", CASE, "--reason", "entered twice", "--settings", settings_file)
    assert_refused(result, "[needs-confirmation]", "--yes")
    assert_unchanged(before, folder)


def test_at_a_terminal_it_asks_for_the_reason_and_to_confirm(project, monkeypatch):
    folder, settings_file = project
    monkeypatch.setattr(case_withdrawal, "interactive", lambda: True)
    before = snapshot(folder)
    refused = invoke("case", "withdraw", CASE, "--settings", settings_file, input="entered twice\nn\n")
    assert refused.exit_code == 1 and "nothing was written" in refused.output
    assert_unchanged(before, folder)
    result = invoke("case", "withdraw", CASE, "--settings", settings_file, input="\nentered twice\ny\n")
    assert result.exit_code == 0, result.output
    assert "Error: no reason given" in result.output  # asked again
    record, _ = cases.load_file(str(case_path(folder)))
    assert record.withdrawn and record.changes[-1].reason == "entered twice"


def test_withdrawing_twice_or_restoring_an_active_case_is_refused_and_writes_nothing(project):
    folder, settings_file = project
    assert withdraw(settings_file).exit_code == 0
    before = snapshot(folder)
    assert_refused(withdraw(settings_file), "[already-withdrawn]", "entered twice")
    assert_refused(invoke("case", "restore", "BCP-0002", "--reason", "x", "--yes", "--settings", settings_file),
                   "[not-withdrawn]")
    assert_unchanged(before, folder)


def test_an_unknown_reference_is_refused_naming_the_nearest(project):
    folder, settings_file = project
    assert_refused(withdraw(settings_file, "BCP-0099"), "[unknown-case]", "BCP-0063")


def test_a_case_that_no_longer_passes_is_not_restored(project):
    folder, settings_file = project
    assert withdraw(settings_file).exit_code == 0
    table = folder / "unit_costs" / "bcp-local.csv"
    table.write_text("".join(line for line in table.read_text().splitlines(keepends=True)
                             if not line.startswith("BCP-SS1,")))
    before = snapshot(folder)
    result = invoke("case", "restore", CASE, "--reason", "not a duplicate", "--yes", "--settings", settings_file)
    assert_refused(result, "[unknown-cost-code]", "outcomes[1].code", "stays withdrawn")
    assert_unchanged(before, folder)


def test_case_new_never_offers_or_takes_a_withdrawn_reference(project):
    folder, settings_file = project
    assert withdraw(settings_file, "BCP-0063").exit_code == 0  # the highest BCP reference
    loaded, _ = settings.load(str(settings_file))
    in_use = case_files.known_references(loaded.cases_folder)
    assert "BCP-0063" in in_use
    assert case_files.next_reference(loaded.service("BCP"), in_use) == "BCP-0064"
    result = invoke("case", "new", "--settings", settings_file, input="1\n1\nBCP-0063\n")
    assert "[BCP-0064]" in result.output
    assert "Error: BCP-0063 is a withdrawn case's reference" in result.output
    assert "never used again; take the next free one (BCP-0064)" in result.output


def test_intake_cannot_import_a_new_case_under_a_withdrawn_reference(project):
    folder, settings_file = project
    assert withdraw(settings_file).exit_code == 0
    template = folder / "template.xlsx"
    assert invoke("intake", "template", template, "--settings", settings_file).exit_code == 0
    book = openpyxl.load_workbook(template)
    for column, value in enumerate([CASE, "BCP", "Poole", "referred", datetime.date(2022, 5, 2)], start=1):
        book["Cases"].cell(row=2, column=column, value=value)
    workbook = folder / "again.xlsx"
    book.save(workbook)
    before = snapshot(folder / "cases")
    result = invoke("intake", "import", workbook, "--settings", settings_file)
    assert_refused(result, CASE)
    assert_unchanged(before, folder / "cases")


def test_withdraw_and_restore_at_a_real_terminal(project):
    """Typed as a person would: the case and its effect shown, the reason asked, 'y' to confirm;
    Ctrl-C at the restore's question writes nothing."""
    from test_entry_support import Terminal

    folder, settings_file = project
    terminal = Terminal(["case", "withdraw", CASE, "--settings", str(settings_file)], cwd=folder, timeout=60)
    try:
        terminal.expect(r"Case BCP-0001: BCP, Bournemouth")
        terminal.expect(r"its saving, £79,474 at 2018/19 prices, counts in BCP's 2021/22 total, which falls from "
                        r"£109,756 to £30,282")
        terminal.answer(r"Reason \(a short note, no names; recorded in the case's history\): ", "DOB 12/03/1985")
        terminal.expect(r"Error: reason looks like a date or a date of birth")
        terminal.answer(r"Reason .*: ", "entered twice")
        terminal.answer(r"Withdraw BCP-0001\? \[y/n\]: ", "y")
        terminal.expect(r"Withdrew BCP-0001")
        assert terminal.wait() == 0
    finally:
        terminal.close()
    record, _ = cases.load_file(str(case_path(folder)))
    assert record.withdrawn and record.changes[-1].reason == "entered twice"
    before = snapshot(folder)
    terminal = Terminal(["case", "restore", CASE, "--reason", "not a duplicate", "--settings", str(settings_file)],
                        cwd=folder, timeout=60)
    try:
        terminal.expect(r"WITHDRAWN on \d{4}-\d\d-\d\d \(entered twice\)\.\r?\nCase BCP-0001")
        terminal.expect(r"Restore BCP-0001\? \[y/n\]: ")
        terminal.interrupt()
        terminal.expect(r"Stopped: nothing was written\.")
        assert terminal.wait() == 1
    finally:
        terminal.close()
    assert_unchanged(before, folder)


def test_a_withdrawn_case_whose_code_has_gone_is_shown_with_why_it_cannot_be_valued(project):
    folder, settings_file = project
    assert withdraw(settings_file).exit_code == 0
    path = case_path(folder)
    path.write_text(path.read_text().replace('code = "BCP-SS1"', 'code = "XX9.9"'))  # validate skips it
    assert invoke("validate", "--settings", settings_file).exit_code == 0
    shown = invoke("case", "show", CASE, "--settings", settings_file)
    assert shown.exit_code == 0 and shown.exception is None, shown.output
    assert "outcomes[1].code" in shown.output and "[unknown-cost-code]" in shown.output
    assert_refused(invoke("case", "restore", CASE, "--reason", "not a duplicate", "--yes", "--settings", settings_file),
                   "[unknown-cost-code]", "outcomes[1].code")


def test_a_hand_edited_file_with_comments_is_withdrawn_and_restored_keeping_every_byte(tmp_path):
    """A withdrawal changes one flag: it was refused (would-lose-comments) for a file with a
    comment below its top, since the whole case was laid out again."""
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0001.toml"
    text = path.read_text(encoding="utf-8").replace("quantity = 3\n", "quantity = 3  # police check, March\n")
    path.write_text(text, encoding="utf-8")
    withdrawn = invoke("case", "withdraw", "BCP-0001", "--settings", settings, "--reason", "entered twice", "--yes")
    assert withdrawn.exit_code == 0, withdrawn.output
    after = path.read_text(encoding="utf-8")
    assert after.startswith(text.replace('locality = "Bournemouth"\n', 'locality = "Bournemouth"\nwithdrawn = true\n'))
    restored = invoke("case", "restore", "BCP-0001", "--settings", settings, "--reason", "not a duplicate", "--yes")
    assert restored.exit_code == 0, restored.output
    record, problems = cases.load_file(str(path))
    assert problems == [] and not record.withdrawn
    assert path.read_text(encoding="utf-8").startswith(text)
    assert [change.kind.value for change in record.changes] == ["withdrawn", "restored"]
