"""`report --changed-since REPORT` catches what a case's history cannot (attack findings on issue
#10): a case file edited, copied in or deleted by hand, and a settings or unit cost file changed,
found by comparing each input file with the checksum the earlier report (JSON or workbook) gives;
and a WHEN that cannot be (outside 2000..2199, in the future) is refused, never a traceback."""

from __future__ import annotations

import json

import openpyxl
import pytest
from hostile import assert_refused, invoke, sample_project

YEAR = "2022/23"
EDITED = "BCP-0010"  # completed in 2022/23: its saving is in the BCP total
AMENDED = "BCP-0001"
GONE = "BCP-0005"
COPY = "BCP-0099"
OUTSIDE = "Changed outside the tool: the file differs from the one the earlier report read, and its history records " \
          "no change since"


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def report(settings_file, *args):
    result = invoke("report", "--year", YEAR, "--service", "BCP", *args, "--settings", settings_file)
    assert result.exit_code == 0, result.output
    return result


def report_json(settings_file, *args) -> dict:
    return json.loads(report(settings_file, "--format", "json", *args).stdout)


def earlier_reports(folder, settings_file) -> None:
    (folder / "earlier.json").write_text(report(settings_file, "--format", "json").stdout)
    report(settings_file, "--xlsx", folder / "earlier.xlsx")
    report(settings_file, "--xlsx", folder / "public.xlsx", "--publish")


def edit_by_hand(folder) -> None:
    """BCP-0010's line 2 from 4 incidents to 5, with no history entry: as a text editor would."""
    path = folder / "cases" / "BCP" / f"{EDITED}.toml"
    text = path.read_text()
    assert text.count("quantity = 4\n") == 1
    path.write_text(text.replace("quantity = 4\n", "quantity = 5\n"))


def total(data: dict) -> int:
    (service,) = data["services"]
    return service["total_saving"]


@pytest.mark.parametrize("earlier", ["earlier.json", "earlier.xlsx"])
def test_a_case_file_edited_by_hand_is_listed_as_changed_outside_the_tool(project, earlier):
    folder, settings_file = project
    earlier_reports(folder, settings_file)
    before = total(json.loads((folder / "earlier.json").read_text()))
    edit_by_hand(folder)
    amended = invoke("case", "amend", AMENDED, "--set", "outcomes[2].quantity=2", "--reason", "police check",
                     "--yes", "--settings", settings_file)
    assert amended.exit_code == 0, amended.output
    data = report_json(settings_file, "--changed-since", folder / earlier)
    assert total(data) != before  # the figure moved...
    listed = data["changed_since"]
    assert [case["reference"] for case in listed["cases"]] == [AMENDED]  # ...and the history says only this
    outside = listed["files"]["changed_outside_the_tool"]
    assert [(item["reference"], item["kind"], item["state"]) for item in outside] == [(EDITED, "case", "differs")]
    assert outside[0]["file"].endswith(f"{EDITED}.toml")
    assert listed["files"]["inputs"] == [] and listed["files"]["added"] == [] and listed["files"]["gone"] == []


def test_the_text_and_the_workbook_list_a_file_changed_outside_the_tool(project):
    folder, settings_file = project
    earlier_reports(folder, settings_file)
    edit_by_hand(folder)
    text = report(settings_file, "--changed-since", folder / "earlier.json").stdout
    section = text[text.rindex("Cases changed since"):]
    assert "None: no case" not in section
    assert f"{OUTSIDE}:\n  {EDITED} (BCP): " in section
    workbook = folder / "now.xlsx"
    report(settings_file, "--xlsx", workbook, "--changed-since", folder / "earlier.xlsx")
    rows = [[cell.value for cell in row] for row in openpyxl.load_workbook(workbook)["Run info"].iter_rows()]
    (row,) = [row for row in rows if row[0] == OUTSIDE]
    assert row[1].endswith(f"{EDITED}.toml") and row[2] == f"{EDITED} (BCP)"


def test_case_files_added_and_gone_since_the_earlier_report_are_listed(project):
    folder, settings_file = project
    earlier_reports(folder, settings_file)
    bcp = folder / "cases" / "BCP"
    (bcp / f"{COPY}.toml").write_text((bcp / "BCP-0004.toml").read_text().replace("BCP-0004", COPY))
    (bcp / f"{GONE}.toml").unlink()
    (folder / "cases" / "Dorset" / "DOR-0007.toml").unlink()  # another service's: not in a BCP report
    files = report_json(settings_file, "--changed-since", folder / "earlier.json")["changed_since"]["files"]
    assert [(item["reference"], item["state"]) for item in files["added"]] == [(COPY, "added")]
    assert [item["file"] for item in files["gone"]] == [str(bcp / f"{GONE}.toml")]
    text = report(settings_file, "--changed-since", folder / "earlier.json").stdout
    assert f"Case files added since the earlier report (it did not read them):\n  {COPY} (BCP): " in text
    assert "Case files gone since the earlier report (it read them; they are not found now):\n  " in text
    assert "DOR-0007" not in text[text.rindex("Cases changed since"):]


def test_unit_costs_and_settings_that_differ_are_listed(project):
    folder, settings_file = project
    earlier_reports(folder, settings_file)
    local = folder / "unit_costs" / "bcp-local.csv"
    local.write_text(local.read_text().replace(",67877,", ",67878,"))
    assert invoke("spend", "set", "BCP", "2021/22", "86000", "--overwrite", "--settings", settings_file).exit_code == 0
    files = report_json(settings_file, "--changed-since", folder / "earlier.xlsx")["changed_since"]["files"]
    assert [(item["file"], item["kind"], item["state"]) for item in files["inputs"]] == [
        (str(settings_file), "settings", "differs"), (str(local), "unit costs", "differs")]
    assert files["changed_outside_the_tool"] == []
    text = report(settings_file, "--changed-since", folder / "earlier.json").stdout
    assert f"{local} (unit costs): differs" in text


def test_files_are_matched_from_the_settings_folder_whatever_the_working_folder(project, monkeypatch):
    folder, settings_file = project
    monkeypatch.chdir(folder)
    relative = invoke("report", "--year", YEAR, "--service", "BCP", "--format", "json")
    assert relative.exit_code == 0, relative.output
    (folder / "earlier.json").write_text(relative.stdout)
    monkeypatch.chdir(folder.parent)
    files = report_json(settings_file, "--changed-since", folder / "earlier.json")["changed_since"]["files"]
    assert files == {"changed_outside_the_tool": [], "added": [], "gone": [], "inputs": [],
                     "case_files_differ_all_together": None}


def test_a_published_workbook_says_only_whether_the_case_files_differ(project):
    folder, settings_file = project
    earlier_reports(folder, settings_file)
    files = report_json(settings_file, "--changed-since", folder / "public.xlsx")["changed_since"]["files"]
    assert files["case_files_differ_all_together"] is False
    edit_by_hand(folder)
    files = report_json(settings_file, "--changed-since", folder / "public.xlsx")["changed_since"]["files"]
    assert files["case_files_differ_all_together"] is True and files["changed_outside_the_tool"] == []


def test_a_published_workbook_counts_the_case_files_changed_outside_the_tool_and_names_none(project):
    folder, settings_file = project
    earlier_reports(folder, settings_file)
    edit_by_hand(folder)
    workbook = folder / "public-now.xlsx"
    report(settings_file, "--xlsx", workbook, "--publish", "--changed-since", folder / "earlier.json")
    cells = [str(cell.value) for row in openpyxl.load_workbook(workbook)["Run info"].iter_rows() for cell in row
             if cell.value is not None]
    assert OUTSIDE in cells and "1 case file; the workbook made without --publish lists them" in cells
    assert not [cell for cell in cells if EDITED in cell]


def test_a_date_gives_no_checksums_to_compare(project):
    folder, settings_file = project
    edit_by_hand(folder)
    assert report_json(settings_file, "--changed-since", "2020-01-01")["changed_since"]["files"] is None


# --- WHEN that cannot be -----------------------------------------------------------------------


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "1999-12-31",
                                  "2200-01-01T00:00:00Z"])
def test_a_when_outside_2000_to_2199_is_refused(project, when):
    folder, settings_file = project
    result = invoke("report", "--changed-since", when, "--settings", settings_file)
    assert_refused(result, "[bad-changed-since]", "--changed-since", "2000", "2199")


def test_a_when_in_the_future_says_so(project):
    folder, settings_file = project
    result = invoke("report", "--changed-since", "2099-01-01", "--settings", settings_file)
    assert_refused(result, "[changed-since-in-future]", "--changed-since", "in the future")
    assert "None" not in result.output


@pytest.mark.parametrize("made", ["9999-12-31T23:59:59-12:00", "2099-01-01T00:00:00+00:00"])
def test_a_report_made_at_a_time_that_cannot_be_is_refused(project, made):
    folder, settings_file = project
    earlier = folder / "odd.json"
    earlier.write_text(json.dumps({"schema": "up2u-cba/report/1", "generated_at": made, "inputs": []}))
    result = invoke("report", "--changed-since", earlier, "--settings", settings_file)
    assert_refused(result, "--changed-since")
    assert "[not-a-report]" in result.output or "[changed-since-in-future]" in result.output
