"""How `costs import` reads the workbook's sheets (issue #13 follow-up): values and the notes on
cells in one open of the whole workbook, in columns A-BL only, with the cells read bounded; a
sheet with a blank name named from its place; a code from a blank cell's place that another
sheet's row has already is left out with a note (small workbooks from
``test_gmca_import.make_workbook``).
"""

from __future__ import annotations

import openpyxl
import openpyxl.comments
import openpyxl.worksheet._read_only
import openpyxl.worksheet.worksheet

from hostile import assert_refused, invoke
from test_gmca_import import HEADER_1, HEADER_2, make_workbook, row
from up2u_cba.inputs import gmca


def test_a_sheet_named_only_with_spaces_is_named_from_its_place(tmp_path):
    path = make_workbook(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("   ")
    for cells in (HEADER_1, HEADER_2, row("DA1.0", "A cost on a sheet with no name", 10)):
        sheet.append(cells)
    book.save(path)
    result = gmca.import_workbook(path)
    assert result.problems == []
    (cost,) = [cost for cost in result.costs if cost.code == "DA1.0"]
    assert cost.theme == "Sheet 9"  # Introduction, seven themes, then this one
    assert any("sheet 9 has a blank name" in note for note in result.notes)


def blank_named_sheet(tmp_path, *rows) -> str:
    path = make_workbook(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("   ")  # sheet 9: Introduction, seven themes, then this one
    for cells in (HEADER_1, HEADER_2, *rows):
        sheet.append(cells)
    book.save(path)
    return path


def test_a_blank_named_sheet_is_named_from_its_place_in_problems(tmp_path):
    path = blank_named_sheet(tmp_path, row("DA1.0", "A cost", 10), row(12, "A number for a code", 10))
    result = invoke("costs", "import", path, "-o", str(tmp_path / "costs.csv"))
    assert_refused(result, "Sheet 9: row 4: C4")
    assert [(problem.code, problem.where) for problem in gmca.import_workbook(path).problems] == [
        ("bad-cost-code", "Sheet 9: row 4: C4")]


def test_a_blank_named_sheet_is_named_from_its_place_in_the_import_summary(tmp_path):
    path = blank_named_sheet(tmp_path, row("DA1.0", "A cost", 10), row("DA2.0", "", 10))
    result = invoke("costs", "import", path, "-o", str(tmp_path / "costs.csv"))
    assert result.exit_code == 0, result.output
    assert "  Sheet 9: 2 read, 1 imported, 1 skipped" in result.stdout.splitlines()
    assert "  Sheet 9 row 4 DA2.0: no description" in result.stdout.splitlines()
    assert not any(line.startswith("     :") or line.startswith("     row") for line in result.stdout.splitlines())


def test_two_sheets_whose_names_trim_to_one_theme_are_refused_not_merged(tmp_path):
    path = make_workbook(tmp_path / "book.xlsx", {"Crime": [row("CR1.0", "Kept", 100)]})
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("Crime ")
    for cells in (HEADER_1, HEADER_2, row("CR9.0", "Would be merged into Crime", 10)):
        sheet.append(cells)
    book.save(path)
    output = tmp_path / "costs.csv"
    result = invoke("costs", "import", path, "-o", str(output))
    assert_refused(result, "[duplicate-theme-sheet]", "'Crime '")
    assert not output.exists()
    found = gmca.import_workbook(path)
    assert [(problem.code, problem.where) for problem in found.problems] == [("duplicate-theme-sheet", "Crime ")]
    assert "CR9.0" not in [cost.code for cost in found.costs]


def test_cells_beyond_column_bl_are_never_read(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    book["Crime"]["XFD3"] = "far out"
    book["Crime"]["XFD3"].comment = openpyxl.comments.Comment("should be excluded, as it is a transfer payment", "x")
    book.save(path)
    asked: list = []
    for cls in (openpyxl.worksheet.worksheet.Worksheet, openpyxl.worksheet._read_only.ReadOnlyWorksheet):
        original = cls.iter_rows

        def iter_rows(self, *args, _original=original, **kwargs):
            asked.append(kwargs.get("max_col"))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "iter_rows", iter_rows)
    result = gmca.import_workbook(path)
    assert result.problems == [] and [cost.code for cost in result.costs if cost.theme == "Crime"] == ["T1.0"]
    assert asked and all(column is not None and column <= gmca.READ_COLUMNS for column in asked)


def test_values_and_cell_notes_come_from_one_open_of_the_whole_workbook(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "book.xlsx", {"Crime": [row("CR1.0", "Noted", 100)]})
    book = openpyxl.load_workbook(path)
    book["Crime"]["H3"].comment = openpyxl.comments.Comment(
        "When calculating total public value, the fiscal benefit to HMT should be excluded, as it is a transfer "
        "payment.", "GMCA")
    book.save(path)
    opened: list[dict] = []
    original = openpyxl.load_workbook

    def load_workbook(*args, **kwargs):
        opened.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)
    result = gmca.import_workbook(path)
    assert [(mark.code, mark.where) for mark in result.transfers] == [("CR1.0", "note on H3")]
    with_results = [kwargs for kwargs in opened if kwargs.get("data_only")]
    assert len(with_results) == 1 and not with_results[0].get("read_only")  # values and notes: one open, whole
    assert len(opened) == 2  # and one streaming look at the formulas


def test_a_sheet_beyond_the_cells_read_is_refused_naming_it(tmp_path):
    path = make_workbook(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    book["Health"]["BL1"] = "wide"
    book["Health"]["A20000"] = "far down"  # 20,000 rows x 64 columns: past READ_CELLS
    book.save(path)
    output = tmp_path / "costs.csv"
    result = invoke("costs", "import", path, "-o", str(output))
    assert_refused(result, path, "Health", "[workbook-too-large]")
    assert not output.exists()


def test_a_code_from_its_place_that_another_sheet_has_is_left_out_with_a_note(tmp_path):
    crime = [row("CR8.0", "Crime, all parts", 1000), row(" ", "Police part, its code cell a space", 200)]
    health = [row("CR8.0.1", "A real row with the code the place gives", 50)]
    result = gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", {"Crime": crime, "Health": health}))
    assert result.problems == []
    assert [(skipped.sheet, skipped.row, skipped.code, skipped.reason) for skipped in result.skipped] == [
        ("Crime", 4, "CR8.0.1", gmca.NO_PLACE)]
    assert {cost.code: cost.theme for cost in result.costs if cost.code.startswith("CR8")} == {
        "CR8.0": "Crime", "CR8.0.1": "Health"}
    assert any("Crime row 4" in note and "Health row 3" in note for note in result.notes)
