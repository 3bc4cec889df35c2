"""A case's history as a user meets it (issue #10, deliverable 3): `case show --history`, and
`report --changed-since WHEN` listing, in text, JSON and the workbook's Run info, every case of
the report's services changed after a date or an earlier report, withdrawn cases and other
years' included, and nothing else."""

from __future__ import annotations

import json
import re

import openpyxl
import pytest
from hostile import assert_no_injected_formula, assert_refused, invoke, sample_project

from up2u_cba.method import changed_since

YEAR = "2022/23"
AMENDED, WITHDRAWN, UNCHANGED, OTHER_SERVICE = "BCP-0001", "BCP-0002", "BCP-0003", "DOR-0001"
# BCP-0001 completed in 2021/22: a late correction to an earlier year than the report's
OLD_CHANGE = """
[[change]]
made = 2025-01-01T09:00:00Z
kind = "amended"
reason = "locality typed wrongly"
what = [
    "locality: 'Poole' -> 'Christchurch'",
]
tool = "up2u-cba 0.1.0"
"""


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def report(settings_file, *args):
    result = invoke("report", "--year", YEAR, "--service", "BCP", *args, "--settings", settings_file)
    assert result.exit_code == 0, result.output
    return result


def changes_after_earlier_reports(folder, settings_file, reason="quantity confirmed by police check"):
    """Earlier reports (JSON and workbook), then one case amended, one withdrawn (and a Dorset
    case withdrawn, outside a BCP report); a case changed only before the reports stays out."""
    unchanged = folder / "cases" / "BCP" / f"{UNCHANGED}.toml"
    unchanged.write_text(unchanged.read_text() + OLD_CHANGE)
    (folder / "earlier.json").write_text(report(settings_file, "--format", "json").stdout)
    report(settings_file, "--xlsx", folder / "earlier.xlsx")
    amended = invoke("case", "amend", AMENDED, "--set", "outcomes[2].quantity=2", "--reason", reason, "--yes",
                     "--settings", settings_file)
    assert amended.exit_code == 0, amended.output
    for reference in (WITHDRAWN, OTHER_SERVICE):
        withdrawn = invoke("case", "withdraw", reference, "--reason", "entered twice", "--yes",
                           "--settings", settings_file)
        assert withdrawn.exit_code == 0, withdrawn.output


# --- case show --history -----------------------------------------------------------------------


def test_case_show_history_prints_every_change_oldest_first(project):
    folder, settings_file = project
    settings_file.write_text(settings_file.read_text() + "\n[history]\nrecord_user = true\n")
    for command, reason in (("withdraw", "entered twice"), ("restore", "not a duplicate after all")):
        assert invoke("case", command, AMENDED, "--reason", reason, "--yes", "--settings", settings_file).exit_code == 0
    shown = invoke("case", "show", AMENDED, "--history", "--settings", settings_file)
    assert shown.exit_code == 0, shown.output
    history = shown.output[shown.output.index("History of changes"):].splitlines()
    assert history[0] == "History of changes (2, oldest first; times in UTC):"
    stamp = r"  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  "
    tool = r"\(up2u-cba [0-9.]+\w*, by \S+\)"
    assert re.fullmatch(stamp + "withdrawn  " + tool, history[1]), history[1]
    assert history[2:4] == ["      reason: entered twice", "      withdrawn: no -> yes"]
    assert re.fullmatch(stamp + "restored  " + tool, history[4]), history[4]
    assert history[5:7] == ["      reason: not a duplicate after all", "      withdrawn: yes -> no"]


def test_without_history_the_changes_are_not_printed(project):
    folder, settings_file = project
    assert invoke("case", "withdraw", AMENDED, "--reason", "entered twice", "--yes",
                  "--settings", settings_file).exit_code == 0
    shown = invoke("case", "show", AMENDED, "--settings", settings_file)
    assert shown.exit_code == 0 and "History of changes" not in shown.output


def test_a_case_with_no_recorded_changes_says_so(project):
    folder, settings_file = project
    shown = invoke("case", "show", UNCHANGED, "--history", "--settings", settings_file)
    assert shown.exit_code == 0, shown.output
    assert "no changes recorded: the file predates the history, or was written by hand" in shown.output


# --- report --changed-since --------------------------------------------------------------------


@pytest.mark.parametrize("earlier", ["earlier.json", "earlier.xlsx"])
def test_changed_since_an_earlier_report_lists_the_amended_and_withdrawn_cases_in_json(project, earlier):
    folder, settings_file = project
    changes_after_earlier_reports(folder, settings_file)
    data = json.loads(report(settings_file, "--format", "json", "--changed-since", folder / earlier).stdout)
    listed = data["changed_since"]
    assert str(folder / earlier) in listed["given"]
    assert [case["reference"] for case in listed["cases"]] == [AMENDED, WITHDRAWN]  # not UNCHANGED, not Dorset
    amended, withdrawn = listed["cases"]
    assert not amended["withdrawn"] and withdrawn["withdrawn"]
    (change,) = amended["changes"]
    assert change["kind"] == "amended" and change["reason"] == "quantity confirmed by police check"
    assert "outcomes[2].quantity: 3 -> 2" in change["what"]
    assert [change["kind"] for change in withdrawn["changes"]] == ["withdrawn"]


def test_changed_since_a_date_takes_the_uk_forms_and_counts_from_the_start_of_the_day(project):
    folder, settings_file = project
    changes_after_earlier_reports(folder, settings_file)
    for given in ("2025-01-01", "01/01/2025", "1 January 2025"):
        data = json.loads(report(settings_file, "--format", "json", "--changed-since", given).stdout)
        assert [case["reference"] for case in data["changed_since"]["cases"]] == [AMENDED, WITHDRAWN, UNCHANGED]
        assert data["changed_since"]["since"] == "2025-01-01T00:00:00+00:00"
    later = json.loads(report(settings_file, "--format", "json", "--changed-since", "2025-01-01T09:00:01").stdout)
    assert UNCHANGED not in [case["reference"] for case in later["changed_since"]["cases"]]


def test_changed_since_in_the_text_report_is_a_section_at_the_end(project):
    folder, settings_file = project
    changes_after_earlier_reports(folder, settings_file)
    text = report(settings_file, "--changed-since", folder / "earlier.json").stdout
    section = text[text.rindex("Cases changed since"):]
    assert section.startswith("Cases changed since ") and " UTC (--changed-since the report " in section
    assert f"{AMENDED} (BCP)" in section and f"{WITHDRAWN} (BCP, withdrawn: left out of every figure)" in section
    assert "reason: quantity confirmed by police check" in section and "    outcomes[2].quantity: 3 -> 2" in section
    assert UNCHANGED not in section and OTHER_SERVICE not in section


def test_changed_since_in_the_workbook_is_a_table_on_run_info(project):
    folder, settings_file = project
    changes_after_earlier_reports(folder, settings_file)
    workbook = folder / "now.xlsx"
    report(settings_file, "--xlsx", workbook, "--changed-since", folder / "earlier.xlsx")
    sheet = openpyxl.load_workbook(workbook)["Run info"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    start = next(number for number, row in enumerate(rows) if row[0] == "Case changed")
    assert rows[start][:6] == ["Case changed", "What changed", "Changed (UTC)", "Kind", "Reason", "Tool"]
    listed = [row for row in rows[start + 1:] if row[0]]
    assert [(row[0], row[3]) for row in listed] == [(f"{AMENDED} (BCP)", "amended"),
                                                    (f"{WITHDRAWN} (BCP, withdrawn)", "withdrawn")]
    assert "outcomes[2].quantity: 3 -> 2" in listed[0][1].splitlines()
    assert listed[0][4] == "quantity confirmed by police check"
    assert rows[start - 1][0].startswith("Cases changed since ")


def test_when_nothing_changed_the_report_says_so(project):
    folder, settings_file = project
    (folder / "earlier.json").write_text(report(settings_file, "--format", "json").stdout)
    text = report(settings_file, "--changed-since", folder / "earlier.json").stdout
    assert text.rstrip().endswith("None: no case of these services changed since then.")
    data = json.loads(report(settings_file, "--format", "json", "--changed-since", "2020-01-01").stdout)
    assert data["changed_since"]["cases"] == []
    workbook = folder / "now.xlsx"
    report(settings_file, "--xlsx", workbook, "--changed-since", "2020-01-01")
    cells = [cell.value for row in openpyxl.load_workbook(workbook)["Run info"].iter_rows() for cell in row]
    assert "None: no case of these services changed since then." in cells


def test_without_changed_since_no_list_is_given(project):
    folder, settings_file = project
    assert "changed_since" not in json.loads(report(settings_file, "--format", "json").stdout)
    assert "Cases changed since" not in report(settings_file).stdout


@pytest.mark.parametrize("when, code", [("2023-13-01", "[bad-changed-since]"), ("yesterday", "[bad-changed-since]"),
                                        ("missing.json", "[missing-file]"), ("up2u-cba.toml", "[not-a-report]")])
def test_a_bad_when_is_refused_before_anything_is_written(project, when, code):
    folder, settings_file = project
    given = str(folder / when) if when.endswith((".json", ".toml")) else when
    result = invoke("report", "--changed-since", given, "--xlsx", folder / "out.xlsx", "--settings", settings_file)
    assert_refused(result, code, "--changed-since")
    assert not (folder / "out.xlsx").exists()


def test_a_workbook_that_is_not_a_report_is_refused(project):
    folder, settings_file = project
    template = folder / "intake.xlsx"
    assert invoke("intake", "template", template, "--settings", settings_file).exit_code == 0
    assert_refused(invoke("report", "--changed-since", template, "--settings", settings_file),
                   "[not-a-report]", "Run info")


def test_a_formula_looking_reason_is_text_in_the_workbook(project):
    folder, settings_file = project
    (folder / "earlier.json").write_text(report(settings_file, "--format", "json").stdout)
    payloads = ("=1+1", "=cmd|' /C calc'!A0", "+1+1", "@SUM(1,1)")
    for reference, payload in zip(("BCP-0001", "BCP-0002", "BCP-0003", "BCP-0004"), payloads):
        result = invoke("case", "withdraw", reference, "--reason", payload, "--yes", "--settings", settings_file)
        assert result.exit_code == 0, result.output
    workbook = folder / "now.xlsx"
    report(settings_file, "--xlsx", workbook, "--changed-since", folder / "earlier.json")
    assert_no_injected_formula(workbook, payloads)
    sheet = openpyxl.load_workbook(workbook)["Run info"]
    reasons = [row[4].value for row in sheet.iter_rows() if row[3].value == "withdrawn"]
    assert sorted(reasons) == sorted(payloads)
    assert all(row[4].data_type == "s" for row in sheet.iter_rows() if row[3].value == "withdrawn")


def test_a_report_made_before_reports_carried_a_zone_is_read_in_local_time(project, tmp_path):
    earlier = tmp_path / "old.json"
    earlier.write_text(json.dumps({"schema": "up2u-cba/report/1", "generated_at": "2025-06-01T10:00:00"}))
    (moment, given, _), problems = changed_since.read(str(earlier))
    assert problems == [] and moment.tzinfo is not None and "made" in given


def test_a_published_workbook_gives_only_how_many_cases_changed(project):
    folder, settings_file = project
    changes_after_earlier_reports(folder, settings_file)
    workbook = folder / "public.xlsx"
    report(settings_file, "--xlsx", workbook, "--publish", "--changed-since", folder / "earlier.json")
    cells = [str(cell.value) for row in openpyxl.load_workbook(workbook)["Run info"].iter_rows() for cell in row
             if cell.value is not None]
    assert "2 cases changed since then; the workbook made without --publish lists them." in cells
    assert not [cell for cell in cells if AMENDED in cell or WITHDRAWN in cell or "police check" in cell]
