"""The workbook recalculates without an error value under Excel's own rules, not only LibreOffice's
(issue #12). Gnumeric follows Excel where LibreOffice is lenient: 0^0 is #NUM! in Excel and
Gnumeric but 1 in LibreOffice, which once turned the Payback sheet and the Summary's payback into
#NUM! in Excel while every LibreOffice test passed."""

import os
import shutil
import subprocess

import openpyxl
import pytest

from conftest import SETTINGS
from test_xlsx_assumptions_drive import PAYBACK, summary_figures
from up2u_cba import pipeline
from up2u_cba.outputs import render_xlsx

ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")


def recalculate_as_excel(path, tmp_path) -> openpyxl.Workbook:
    """Recalculate ``path`` in Gnumeric (``ssconvert --recalc``) from its formulas alone."""
    program = shutil.which("ssconvert")
    if program is None:
        if os.environ.get("CI"):
            pytest.fail("Gnumeric is required in CI (.ci/run installs it)")
        pytest.skip("Gnumeric's ssconvert is not installed (Debian package gnumeric)")
    bare = tmp_path / "formulas-only.xlsx"
    openpyxl.load_workbook(path).save(bare)  # no stored results: every figure read back is Gnumeric's
    out = tmp_path / "recalculated.xlsx"
    subprocess.run([program, "--recalc", str(bare), str(out)], check=True, capture_output=True, timeout=600,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    return openpyxl.load_workbook(out, data_only=True)


def error_cells(workbook) -> list[str]:
    return [f"{sheet.title}!{cell.coordinate} {cell.value}" for sheet in workbook for row in sheet.iter_rows()
            for cell in row if isinstance(cell.value, str) and cell.value.strip() in ERRORS]


def numbers_differing(stored, recalculated) -> list[str]:
    """Every number the tool stored as a formula's result that the recalculation does not give."""
    return [f"{sheet.title}!{cell.coordinate} {cell.value} != {recalculated[sheet.title][cell.coordinate].value}"
            for sheet in stored for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
            and not _same(cell.value, recalculated[sheet.title][cell.coordinate].value)]


def _same(stored, got) -> bool:
    return isinstance(got, (int, float)) and abs(stored - got) <= 1e-9 * max(1.0, abs(stored))


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_no_figure_is_an_error_under_excel_rules_and_the_payback_is_the_tools(tmp_path):
    result = pipeline.run(str(SETTINGS))  # the sample: two services, one paying back, one not
    path = tmp_path / "report.xlsx"
    render_xlsx.write(result, str(path))
    recalculated = recalculate_as_excel(path, tmp_path)
    assert error_cells(recalculated) == []
    # every figure, not only the Summary's: a function of a range inside SUMPRODUCT (INT(range))
    # is one cell to Gnumeric, and once gave other agency shares and monthly paybacks than the tool
    assert numbers_differing(openpyxl.load_workbook(path, data_only=True), recalculated) == []
    got = summary_figures(recalculated["Summary"])
    assert any(summary.payback_months is not None for summary in result.services)  # a payback month was worked
    for summary in result.services:
        assert got[(summary.service, PAYBACK)][1] == (summary.payback_months or render_xlsx.NOT_WITHIN)
        assert got[(summary.service, f"Total estimated saving for cases completed in {summary.year}")] == \
            (summary.total_saving, summary.prudent_total)
