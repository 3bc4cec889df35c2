"""The report workbook's writer (``up2u_cba.outputs.streamed_sheet``): rows are let go as they are
written, so memory stays flat; a formula cell not written through ``put`` stops the workbook; its
one-step cell writer gives the very XML XlsxWriter's own does; numbers are stored exactly; chart
names are never taken for cell references."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
import xlsxwriter
import xlsxwriter.worksheet

from up2u_cba.outputs import spreadsheet_text, streamed_sheet
from up2u_cba.outputs.spreadsheet_text import Formula, put

TEXTS = ["plain", " leading blank", "trailing blank ", "a & b < c > d", 'say "hi"', "_x0041_ kept as typed",
         "tab\there", "two\nlines", "bell\x07", "£ – “quotes” é ✓ 😀", "=1+1", ""]
NUMBERS = [0, 5, -3, 627982, 2.5, -0.25, 0.1, 1e20, 12345678901234567890]


def sheet_xml(path, worksheet_class) -> str:
    """The XML of a sheet of every kind of cell, written with ``worksheet_class``."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Cells", worksheet_class=worksheet_class)
    bold, quoted = book.add_format({"bold": True}), book.add_format({"quote_prefix": True, "num_format": "0.00"})
    row = 0
    for text in TEXTS:
        for column, style in enumerate((None, bold, quoted)):
            sheet.write_string(row, column, text, style)
        row += 1
    for number in NUMBERS:
        for column, style in enumerate((None, bold, quoted)):
            sheet.write_number(row, column, number, style)
        row += 1
    for value in (0, 3253, 2.5, -7, "text result", True, ""):
        for column, style in enumerate((None, bold)):
            sheet.write_formula(row, column, "=SUM(A1:A2)&\"<x>\"", style, value)
        row += 1
    sheet.write_blank(row, 0, None, bold)
    sheet.write_boolean(row, 1, True, bold)
    sheet.set_row(row + 1, 30)
    sheet.write_string(row + 1, 0, "a row with a height")
    book.close()
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_the_one_step_cell_writer_gives_xlsxwriters_own_xml(tmp_path):
    ours = sheet_xml(tmp_path / "ours.xlsx", streamed_sheet.ClassicFormulas)
    theirs = sheet_xml(tmp_path / "theirs.xlsx", xlsxwriter.worksheet.Worksheet)
    assert ours == theirs


def test_numbers_are_stored_exactly(tmp_path):
    """XlsxWriter keeps 16 significant digits: an uprating factor would read back a bit off."""
    factors = [78.7948 / 77.0388, 1.1443401528695352, 1 / 3, 2 / 3 * 1e-7]
    path = tmp_path / "numbers.xlsx"
    book = streamed_sheet.Book(str(path))
    sheet = book.add_sheet("Numbers")
    for row, factor in enumerate(factors, start=1):
        put(sheet, row, 1, factor)
        put(sheet, row, 2, Formula("=A1*1", factor))
    book.close()
    read = openpyxl.load_workbook(path, data_only=True)["Numbers"]
    assert [read.cell(row=row, column=1).value for row in range(1, len(factors) + 1)] == factors
    assert [read.cell(row=row, column=2).value for row in range(1, len(factors) + 1)] == factors


def test_a_streamed_sheet_lets_each_row_go_once_a_later_one_begins(tmp_path):
    book = streamed_sheet.Book(str(tmp_path / "rows.xlsx"))
    sheet = book.add_sheet("Rows")
    released = []
    sheet.on_release(lambda sheet: released.append(sorted(sheet.rows)))
    sheet.stream(after_row=5)
    for row in range(1, 2001):
        for column in range(1, 30):
            put(sheet, row, column, f"r{row}c{column}" if column % 2 else Formula(f"=A{row}", row))
        assert len(sheet.rows) <= 5
    assert released == [[1, 2, 3, 4, 5]]  # the top rows were held together until row 6 began
    with pytest.raises(streamed_sheet.RowWritten):
        put(sheet, 1000, 1, "too late")
    book.close()
    read = openpyxl.load_workbook(tmp_path / "rows.xlsx", read_only=True)["Rows"]
    rows = list(read.iter_rows(values_only=True))
    assert len(rows) == 2000 and rows[1999][:2] == ("r2000c1", "=A2000")


def test_a_sheet_not_streamed_holds_its_rows_until_the_end(tmp_path):
    book = streamed_sheet.Book(str(tmp_path / "held.xlsx"))
    sheet = book.add_sheet("Held")
    for row in range(1, 50):
        put(sheet, row, 1, row)
    put(sheet, 1, 2, "written after row 49")
    assert len(sheet.rows) == 49
    book.close()
    assert openpyxl.load_workbook(tmp_path / "held.xlsx")["Held"]["B1"].value == "written after row 49"


def test_a_formula_cell_made_around_put_stops_the_workbook_and_leaves_nothing(tmp_path):
    path = tmp_path / "stray.xlsx"
    book = streamed_sheet.Book(str(path))
    sheet = book.add_sheet("Stray")
    put(sheet, 1, 1, Formula("=1+1", 2))
    cell = put(sheet, 2, 1, "=HYPERLINK(\"http://evil.example\")")
    assert cell.data_type == "s"  # text is text, whatever it starts with
    cell.data_type = "f"  # a bug forcing it
    with pytest.raises(spreadsheet_text.StrayFormula, match="A2"):
        book.close()
    assert list(tmp_path.iterdir()) == []  # no row data left behind, no workbook


@pytest.mark.parametrize("text", ["Poole!A1", "=cmd|' /C calc'!A0", "Sheet1!$B$2 and more", "x!Y7"])
def test_chart_names_are_never_taken_for_cell_references(tmp_path, text):
    import re
    shown = streamed_sheet.chart_text(text)
    assert shown.replace("\u200b", "") == text
    assert not re.match(r"^=?[^!]+!\$?[A-Z]+\$?\d+", shown)  # what XlsxWriter takes for a reference


def test_plain_chart_names_are_left_as_they_are():
    for text in ("Poole", "BCP savings by agency, 2022/23", "Hello! World"):
        assert streamed_sheet.chart_text(text) == text


def test_a_workbook_whose_rows_fill_the_disk_leaves_nothing_beside_it(tmp_path):
    """The rows written out wait in a folder beside the workbook: a write that fails part-way
    (here a file-size limit, hit by the row data itself) leaves neither it nor the workbook."""
    import os
    import resource
    import subprocess
    import sys

    from hostile import sample_project, snapshot

    sample_project(tmp_path)
    before = snapshot(tmp_path)

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run([sys.executable, "-m", "up2u_cba", "report", "--xlsx", "out.xlsx"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
                            preexec_fn=limited)
    assert result.returncode == 1 and "[cannot-write]" in result.stderr, result.stderr
    assert snapshot(tmp_path) == before
    assert sorted(os.listdir(tmp_path)) == ["cases", "unit_costs", "up2u-cba.toml"]


def test_run_info_reads_back_a_file_name_that_looks_like_an_escape(tmp_path):
    """Text such as ``_x0041_`` is stored escaped (Excel would show it as ``A`` otherwise); the
    input files an earlier report lists (``--changed-since REPORT``) read back as they were named."""
    from conftest import SETTINGS
    from up2u_cba import pipeline
    from up2u_cba.method import changed_since
    from up2u_cba.method import report as report_
    from up2u_cba.outputs import render_xlsx

    result = pipeline.run(str(SETTINGS))
    named = [report_.InputFile(path="unit_costs/local_x0041_costs.csv", sha256="0" * 64),
             report_.InputFile(path="cases/BCP/BCP-0001.toml", sha256="1" * 64)]
    path = tmp_path / "report.xlsx"
    render_xlsx.write(result.model_copy(update={"inputs": tuple(named)}), str(path))
    with zipfile.ZipFile(path) as archive:
        run_info = f"xl/worksheets/sheet{openpyxl.load_workbook(path).sheetnames.index('Run info') + 1}.xml"
        assert "local_x005F_x0041_costs.csv" in archive.read(run_info).decode("utf-8")
    found, problem = render_xlsx.read_run_info(str(path), changed_since.REPORT_FILE)
    assert problem is None and found[1] == named
