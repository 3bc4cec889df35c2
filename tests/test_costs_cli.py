"""`up2u-cba costs import | search | show`, as a user runs them."""

from __future__ import annotations


import openpyxl
import pytest
from click.testing import CliRunner

from conftest import GMCA_CSV, ROOT, SETTINGS
from up2u_cba.inputs import gmca, unit_costs
from up2u_cba.cli.main import main

WORKBOOK = ROOT / "unit_costs" / "gmca-ucd-v1.4.xlsx"


def shipped_as_imported(folder) -> bytes:
    """The shipped table without what up2u-cba added to the import: its not_with declarations
    (costs import leaves that column empty; test_gmca_import checks what is declared)."""
    costs, _ = unit_costs.load([str(GMCA_CSV)])
    path = folder / "shipped-as-imported.csv"
    result = gmca.ImportResult(costs=[cost.model_copy(update={"not_with": ()}) for cost in costs.values()],
                               sheets=[], skipped=[], dropped_values=[], problems=[], edition="v1.4 (March 2015)")
    gmca.write_table(result, str(path))
    return path.read_bytes()


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def table_codes(output: str) -> list[str]:
    """Codes in the first column of a printed table, in order."""
    codes = []
    for line in output.splitlines():
        if line.startswith("| ") and not line.startswith("| Code"):
            first = line.split("|")[1].strip()
            if first:
                codes.append(first)
    return codes


def test_search_domestic_violence_lists_cr2_and_its_constituents_first():
    result = run("costs", "search", "--settings", str(SETTINGS), "domestic", "violence")
    assert result.exit_code == 0, result.output
    assert table_codes(result.stdout)[:6] == ["CR2.0", "CR2.0.1", "CR2.0.2", "CR2.0.3", "CR2.0.4", "CR2.0.5"]
    assert "£2,911.79" in result.stdout  # CR2.0's £2,470 (2008/09) at the settings' 2018/19 prices
    assert "March 2026" in result.stdout


def test_search_with_no_match_says_so():
    result = run("costs", "search", "--settings", str(SETTINGS), "zzzqqq")
    assert result.exit_code == 0
    assert "No unit cost mentions zzzqqq" in result.stdout


def test_show_he1_at_2018_19_uses_the_shipped_deflators_and_says_which():
    result = run("costs", "show", "--settings", str(SETTINGS), "HE1.0", "--price-year", "2018/19")
    assert result.exit_code == 0, result.output
    assert "£1,800.00" in result.stdout and "2009/10" in result.stdout
    assert "£2,094.86" in result.stdout  # 1800 x 78.7948 / 67.7042
    assert "HM Treasury GDP deflators at market prices, March 2026" in result.stdout
    assert "NICE" in result.stdout  # its source


def test_show_lists_parent_and_constituents():
    parent = run("costs", "show", "--settings", str(SETTINGS), "CR2.0")
    assert all(f"CR2.0.{n}" in parent.stdout for n in range(1, 6))
    part = run("costs", "show", "--settings", str(SETTINGS), "CR2.0.3")
    assert "Part of CR2.0" in part.stdout


def test_show_unknown_code_suggests_the_nearest():
    result = run("costs", "show", "--settings", str(SETTINGS), "HE1.O")
    assert result.exit_code == 1
    assert "HE1.0" in result.stderr and "[unknown-cost-code]" in result.stderr
    assert "Traceback" not in result.output


def test_show_price_year_outside_the_series_is_refused():
    result = run("costs", "show", "--settings", str(SETTINGS), "HE1.0", "--price-year", "1990/91")
    assert result.exit_code == 1
    assert "[price-year-not-in-series]" in result.stderr


def test_import_writes_a_table_equal_to_the_shipped_one(tmp_path):
    output = tmp_path / "gmca.csv"
    result = run("costs", "import", str(WORKBOOK), "-o", str(output))
    assert result.exit_code == 0, result.output
    assert output.read_bytes() == shipped_as_imported(tmp_path)
    assert "Total: 873 read, 683 imported, 190 skipped" in result.stdout
    assert "Crime row 58: CR8.0.1, the next constituent after CR8.0" in result.stdout


def test_import_does_not_overwrite_without_being_asked(tmp_path):
    output = tmp_path / "gmca.csv"
    output.write_text("keep me")
    result = run("costs", "import", str(WORKBOOK), "-o", str(output))
    assert result.exit_code == 1 and "[output-exists]" in result.stderr
    assert output.read_text() == "keep me"
    again = run("costs", "import", str(WORKBOOK), "-o", str(output), "--overwrite")
    assert again.exit_code == 0
    assert output.read_bytes() == shipped_as_imported(tmp_path)


@pytest.mark.parametrize("name", ["up2u-cba.toml", "BCP-0011.toml", "gmca.xlsx", "gmca"])
def test_import_writes_only_to_a_csv_name_even_with_overwrite(tmp_path, name):
    """-o up2u-cba.toml --overwrite (a slip of the tab key) replaced the settings, a case file or
    the workbook being imported with the CSV."""
    output = tmp_path / name
    output.write_text("keep me")
    result = run("costs", "import", str(WORKBOOK), "-o", str(output), "--overwrite")
    assert result.exit_code == 1 and "[bad-output]" in result.stderr and ".csv" in result.stderr, result.output
    assert output.read_text() == "keep me"


def test_import_of_a_workbook_with_a_renamed_header_names_sheet_and_header(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for theme in ("Crime", "Education & Skills", "Employment & Economy", "Fire", "Health", "Housing",
                  "Social Services"):
        sheet = workbook.create_sheet(theme)
        sheet.append(["Outcome category", "Outcome detail", "Cost code", "Cost / saving detail", "Unit",
                      "Agency bearing the cost / making the fiscal saving", None, "Fiscal Cost", None, None,
                      "Economic Cost", None, None, "Social Cost", None, None, "Original source",
                      "RAG assessment", "Comment"])
        sheet.append([None, None, None, None, None, "Level 1", "Level 2", "Estimated cost/saving", "Year",
                      "Updated cost/saving", "Estimated cost/saving", "Year", "Updated cost/saving",
                      "Estimated cost/saving", "Year", "Updated cost/saving"])
        sheet.append(["CRIME", "X", f"{theme[:2].upper()}1.0", "A cost", "Per incident", "Police", None, 100,
                      "2010/11", None, None, None, None, None, None, None, "Somewhere", "G", ""])
    workbook["Health"]["C1"] = "Reference"  # renamed: 'Cost code' is missing
    path = tmp_path / "renamed.xlsx"
    workbook.save(path)
    output = tmp_path / "out.csv"
    result = run("costs", "import", str(path), "-o", str(output))
    assert result.exit_code == 1
    assert "Health" in result.stderr and "Cost code" in result.stderr and "[missing-header]" in result.stderr
    assert not output.exists()


def test_import_checks_the_workbook_and_the_output_in_one_run(tmp_path):
    output = tmp_path / "gmca.csv"
    output.write_text("keep me")
    result = run("costs", "import", str(tmp_path / "nothere.xlsx"), "-o", str(output))
    assert result.exit_code == 1
    assert "[missing-file]" in result.stderr and "[output-exists]" in result.stderr
    assert output.read_text() == "keep me"


def test_import_to_a_folder_is_a_problem_and_leaves_no_temporary_file(tmp_path):
    folder = tmp_path / "SOMEFOLDER"
    folder.mkdir()
    result = run("costs", "import", str(WORKBOOK), "-o", str(folder), "--overwrite")
    assert result.exit_code == 1
    assert "[bad-output]" in result.stderr and "Traceback" not in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["SOMEFOLDER"]
    assert list(folder.iterdir()) == []


def test_a_failed_write_is_a_problem_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    from up2u_cba.inputs import unit_costs

    def refuse(source, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(unit_costs.os, "replace", refuse)
    result = run("costs", "import", str(WORKBOOK), "-o", str(tmp_path / "gmca.csv"))
    assert result.exit_code == 1
    assert "[cannot-write]" in result.stderr and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_workbook_that_is_not_the_unit_cost_database_is_one_problem(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Budget"
    workbook.create_sheet("Notes")
    workbook.save(tmp_path / "budget.xlsx")
    result = run("costs", "import", str(tmp_path / "budget.xlsx"), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert len(problems) == 1 and problems[0].endswith("[not-a-unit-cost-workbook]")
    assert "Budget" in problems[0] and "Notes" in problems[0] and "Social Services" in problems[0]
    assert not (tmp_path / "out.csv").exists()


def test_search_says_when_it_shows_only_some_of_the_matches():
    result = run("costs", "search", "--settings", str(SETTINGS), "--limit", "3", "domestic", "violence")
    assert result.exit_code == 0, result.output
    everything = run("costs", "search", "--settings", str(SETTINGS), "--limit", "1000", "domestic", "violence")
    matches = len(table_codes(everything.stdout))
    assert matches > 3 and len(table_codes(result.stdout)) == 3
    assert f"Showing 3 of {matches} costs; use --limit {matches} to see all." in result.stdout
    assert "Showing" not in everything.stdout


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_search_refuses_a_limit_below_one(limit):
    result = run("costs", "search", "--settings", str(SETTINGS), "--limit", limit, "alcohol")
    assert result.exit_code == 2 and "--limit" in result.output
