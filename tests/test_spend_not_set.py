"""A year with completions but no programme spend set (issue #10, deliverable 7): the report
gives its savings with spend "not yet set" and every figure set against spend not available, in
text, JSON and the workbook alike; validate warns about it."""

from __future__ import annotations

import json

import openpyxl
import pytest
from hostile import invoke, sample_project

NOTE = "No programme spend is set for BCP in 2023/24"
FIX = "up2u-cba spend set BCP 2023/24 AMOUNT"
NOT_AVAILABLE = "not available (no spend set)"


def completed_in_2023_24(folder, reference="BCP-9001", completed="2023-05-10"):
    """An invented case completed in 2023/24, a copy of the sample's BCP-0011 (saving £143,650)."""
    text = (folder / "cases" / "BCP" / "BCP-0011.toml").read_text(encoding="utf-8")
    assert "date = 2022-04-20" in text
    text = text.replace("BCP-0011", reference).replace("date = 2022-04-20", f"date = {completed}")
    (folder / "cases" / "BCP" / f"{reference}.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path):
    settings = sample_project(tmp_path)
    completed_in_2023_24(tmp_path)
    return tmp_path, settings


def row(text: str, label: str) -> str:
    found = [line for line in text.splitlines() if line.startswith(f"| {label}")]
    assert found, f"no row {label!r} in:\n{text}"
    return found[0]


@pytest.mark.parametrize("options", [[], ["--year", "2023/24"], ["--year", "2023-24", "--service", "bcp"]])
def test_the_report_gives_savings_with_spend_not_yet_set(project, options):
    folder, settings = project
    result = invoke("report", "--settings", settings, *options)
    assert result.exit_code == 0, result.output
    assert NOTE in result.stderr and FIX in result.stderr
    text = result.stdout
    assert "financial year 2023/24" in text and "== BCP, 2023/24 ==" in text and "Dorset" not in text.split("Years")[0]
    assert NOTE in text
    assert "£143,650" in row(text, "Total estimated saving")
    assert row(text, "Total estimated spend").count("not yet set") == 2
    for label in ("Estimated net saving", "Return on investment", "Financial return", "Public value benefit-cost",
                  "Net present budget impact", "Payback period"):
        assert NOT_AVAILABLE in row(text, label) and "£0" not in row(text, label)


def test_the_json_report_gives_null_for_every_figure_set_against_spend(project):
    folder, settings = project
    result = invoke("report", "--settings", settings, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["year"] == "2023/24" and data["sensitivity"] == []
    (bcp,) = data["services"]
    assert bcp["total_saving"] == 143650 and bcp["completers"] == 1
    assert bcp["spend_set"] is False
    assert [bcp[key] for key in ("spend", "net_saving", "return_on_investment")] == [None, None, None]
    prudent = bcp["prudent"]
    assert [prudent[key] for key in ("net_saving", "financial_return", "public_value_ratio",
                                     "net_present_budget_impact", "payback_months")] == [None] * 5
    assert prudent["total_saving"] == 143650


def test_the_workbook_says_not_yet_set_and_not_available_never_a_formula_over_a_blank(project):
    folder, settings = project
    workbook = folder / "report.xlsx"
    result = invoke("report", "--settings", settings, "--xlsx", workbook)
    assert result.exit_code == 0, result.output
    summary = openpyxl.load_workbook(workbook)["Summary"]
    values = {row[0]: row[1:3] for row in summary.iter_rows(values_only=True) if row[0]}
    assert values["Total estimated spend on Up2U over a 12-month period"] == ("not yet set", "not yet set")
    assert values["Estimated net saving to BCP (saving - spend)"] == (NOT_AVAILABLE, NOT_AVAILABLE)
    assert values["Return on investment"] == (NOT_AVAILABLE, NOT_AVAILABLE)
    for label in ("Public value benefit-cost ratio", "Net present budget impact (prudent fiscal saving - spend)",
                  "Payback period, months (prudent fiscal savings)"):
        assert values[label][1] == NOT_AVAILABLE
    assert NOTE in summary["A2"].value and FIX in summary["A2"].value
    assert str(values["Total estimated saving for cases completed in 2023/24"][0]).startswith("=SUMPRODUCT(")


def test_once_the_spend_is_set_the_report_sets_the_savings_against_it(project):
    folder, settings = project
    assert invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings).exit_code == 0
    result = invoke("report", "--settings", settings)
    assert result.exit_code == 0 and NOTE not in result.stderr
    assert "£92,000" in row(result.stdout, "Total estimated spend")
    assert "£51,650" in row(result.stdout, "Estimated net saving")
    assert "£1.56 for every £1 spent" in row(result.stdout, "Return on investment")


def test_a_year_with_neither_spend_nor_completions_is_still_refused(project):
    folder, settings = project
    result = invoke("report", "--settings", settings, "--year", "2024/25")
    assert result.exit_code == 1 and "[no-spend]" in result.stderr and "spend set" in result.stderr


def test_sensitivity_still_needs_the_spend_and_names_the_command_that_sets_it(project):
    folder, settings = project
    result = invoke("sensitivity", "--settings", settings)
    assert result.exit_code == 1 and "[no-spend]" in result.stderr and "up2u-cba spend set" in result.stderr


def test_validate_warns_once_per_service_and_year_without_spend(project):
    folder, settings = project
    completed_in_2023_24(folder, "BCP-9002", "2024-01-15")
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "[no-spend-for-year]" in line]
    assert len(warnings) == 1, result.stderr
    (warning,) = warnings
    assert f"{settings}: services.BCP.spend:" in warning and "2 cases of BCP completed in 2023/24" in warning
    assert "`up2u-cba spend set BCP 2023/24 AMOUNT`" in warning
    assert invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings).exit_code == 0
    assert "[no-spend-for-year]" not in invoke("validate", "--settings", settings).output


def test_the_bundled_sample_has_spend_for_every_year_with_completions():
    result = invoke("validate")
    assert result.exit_code == 0 and "[no-spend-for-year]" not in result.output


def test_a_spreadsheet_application_recalculates_the_workbook_without_an_error_value(project, tmp_path):
    from test_xlsx import recalculate  # (LibreOffice, headless; CI installs it)

    folder, settings = project
    workbook = folder / "report.xlsx"
    assert invoke("report", "--settings", settings, "--xlsx", workbook).exit_code == 0
    recalculated = recalculate(workbook, tmp_path)
    summary = recalculated["Summary"]
    values = {row[0]: row[1:3] for row in summary.iter_rows(values_only=True) if row[0]}
    assert values["Total estimated saving for cases completed in 2023/24"] == (143650, 143650)
    assert values["Average saving per completed case"] == (143650, 143650)
    assert values["Estimated net saving to BCP (saving - spend)"] == (NOT_AVAILABLE, NOT_AVAILABLE)
    errors = [(sheet.title, cell.coordinate, cell.value) for sheet in recalculated.worksheets
              for row in sheet.iter_rows() for cell in row
              if isinstance(cell.value, str) and cell.value.startswith("#") and cell.value.endswith(("!", "?", "A"))]
    assert errors == []
