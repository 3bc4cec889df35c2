"""The commissioners' workbook, read back: numbers are numbers, headline figures are live
formulas, and a real spreadsheet application recalculating them gets the report's totals."""

from __future__ import annotations

import os
import shutil
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import SETTINGS
from up2u_cba import pipeline, render_xlsx
from up2u_cba.cli import main


@pytest.fixture(scope="module")
def report():
    return pipeline.run(str(SETTINGS))


@pytest.fixture(scope="module")
def workbook_path(report, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    render_xlsx.write(report, str(path))
    return path


def summary_cells(sheet) -> dict[str, dict[str, object]]:
    """Summary sheet as {service: {label: value}}, reading the label/value blocks."""
    blocks: dict[str, dict[str, object]] = {}
    current = None
    for label, value in sheet.iter_rows(min_row=4, max_col=2, values_only=True):
        if label and value is None:
            current = blocks.setdefault(label, {})
        elif label and current is not None:
            current[label] = value
    return blocks


def test_sheets_and_outcome_lines_hold_numbers(report, workbook_path):
    workbook = openpyxl.load_workbook(workbook_path)
    assert workbook.sheetnames == ["Summary", "Participants", "Outcome lines", "Unit costs used", "Run info"]
    sheet = workbook["Outcome lines"]
    header = [cell.value for cell in sheet[1]]
    assert header == render_xlsx.LINE_HEADERS
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    lines = [line for summary in report.services for line in summary.lines]
    assert len(rows) == len(lines)
    saving = header.index("Saving")
    for row, line in zip(rows, lines):
        assert (row[0], row[1], row[4]) == (line.service, line.reference, line.code)
        assert isinstance(row[saving], int) and row[saving] == line.saving
        for column in ("Quantity", "Years", "Unit value", "Uprating factor", "Unit value at report prices"):
            assert isinstance(row[header.index(column)], (int, float)), column  # a number, never text
    assert sheet.cell(row=2, column=saving + 1).number_format == render_xlsx.POUNDS


def test_summary_headline_figures_are_formulas(workbook_path):
    workbook = openpyxl.load_workbook(workbook_path)
    blocks = summary_cells(workbook["Summary"])
    bcp = blocks["BCP"]
    assert bcp["Total estimated saving for cases completed in 2022/23"].startswith("=SUMIFS('Outcome lines'!")
    assert bcp["Total estimated spend on Up2U over a 12-month period"] == 90000
    assert bcp["Estimated net saving to BCP (saving - spend)"].startswith("=")
    assert bcp["Return on investment"].startswith("=ROUND(")
    assert workbook.calculation.fullCalcOnLoad


def test_run_info_names_every_input_with_its_checksum(report, workbook_path):
    sheet = openpyxl.load_workbook(workbook_path)["Run info"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert values["Tool"].startswith("up2u-cba ")
    assert "March 2026" in values["Deflator series"]
    for item in report.inputs:
        assert values[item.path] == item.sha256


def test_cli_writes_the_workbook_only_where_asked(tmp_path):
    target = tmp_path / "bcp.xlsx"
    result = CliRunner().invoke(main, ["report", "--settings", str(SETTINGS), "--service", "BCP",
                                       "--xlsx", str(target)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(target)["Summary"]["A4"].value == "BCP"
    assert [path.name for path in tmp_path.iterdir()] == ["bcp.xlsx"]  # no temporary file left behind


def spreadsheet_application() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_recalculation_matches_the_report(report, workbook_path, tmp_path):
    program = spreadsheet_application()
    if program is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI (.ci/run installs libreoffice-calc-nogui)")
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path / "recalculated"
    subprocess.run([program, "--headless", "--calc", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
                    "--outdir", str(out), str(workbook_path)],
                   check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    recalculated = openpyxl.load_workbook(out / "report.xlsx", data_only=True)
    blocks = summary_cells(recalculated["Summary"])
    for summary in report.services:
        block = blocks[summary.service]
        assert block[f"Total estimated saving for cases completed in {summary.year}"] == summary.total_saving
        assert block[f"Estimated net saving to {summary.service} (saving - spend)"] == summary.net_saving
        assert f"{block['Return on investment']:.2f}" == str(summary.return_on_investment)
    participants = recalculated["Participants"]
    totals = [row[-1] for row in participants.iter_rows(min_row=4, max_row=10, values_only=True)]
    bcp = report.services[0].participants
    assert totals[:len(bcp.counts)] == [bcp.total(row) for row in bcp.counts]
