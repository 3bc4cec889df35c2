"""The one place text leaves the tool for a spreadsheet (``up2u_cba.outputs.spreadsheet_text``): a str is
always a string cell, only a Formula is a formula, CSV text fields are escaped and read back as
they were, and the characters a workbook cannot hold are found and named."""

from __future__ import annotations

import csv
import io
import pathlib
import re

import openpyxl
import pytest

from up2u_cba.inputs import csv_rows
from up2u_cba.entry import intake
from up2u_cba.outputs import render_xlsx, spreadsheet_text
from up2u_cba.outputs.spreadsheet_text import Formula, put

FORMULA_LIKE = ["=1+1", "+1+1", "-1+1", "@SUM(1,1)", "\t=1+1", " =1+1", "\r=1+1", "\n=1+1", "\uff1d1+1",
                "\uff0b1", "\uff0d1", "\uff201", "\u00a0=1", "\u3000=1", "=cmd|' /C calc'!A0"]
PLAIN = ["Police", "Reduction in domestic abuse, incidents x3", "'quoted'", "a=b", "1+1", "x-1", "", "-",
         "<5", "*", "a?b", "~", "O'Brien"]
ERROR_LIKE = ["#N/A", "#REF!", "#DIV/0!", "#value!", "#NAME?"]


def saved_and_read(tmp_path, values) -> list[openpyxl.cell.Cell]:
    """Write ``values`` down column A through ``put``, save, and read the cells back."""
    book = openpyxl.Workbook()
    for row, value in enumerate(values, start=1):
        put(book.active, row, 1, value)
    spreadsheet_text.check_formulas(book)
    path = tmp_path / "book.xlsx"
    book.save(path)
    sheet = openpyxl.load_workbook(path).active
    return [sheet.cell(row=row, column=1) for row in range(1, len(values) + 1)]


@pytest.mark.parametrize("text", FORMULA_LIKE + ERROR_LIKE + PLAIN)
def test_any_text_is_a_string_cell_that_reads_back_as_written(tmp_path, text):
    cell = saved_and_read(tmp_path, [text])[0]
    if text:
        assert cell.data_type == "s"
        assert cell.value == text.replace("\r", "\n")  # a workbook reads a carriage return as a newline
    else:
        assert cell.value in (None, "")


@pytest.mark.parametrize("text", FORMULA_LIKE + ERROR_LIKE)
def test_text_that_would_become_a_formula_when_edited_is_quote_prefixed(tmp_path, text):
    assert saved_and_read(tmp_path, [text])[0].quotePrefix


@pytest.mark.parametrize("text", ["Police", "a=b", "1+1", "<5"])
def test_ordinary_text_is_not_quote_prefixed(tmp_path, text):
    assert not saved_and_read(tmp_path, [text])[0].quotePrefix


def test_only_a_formula_is_a_formula(tmp_path):
    cells = saved_and_read(tmp_path, [Formula("=SUM(1,2)"), "=SUM(1,2)"])
    assert (cells[0].data_type, cells[0].value) == ("f", "=SUM(1,2)")
    assert (cells[1].data_type, cells[1].value) == ("s", "=SUM(1,2)")


def test_a_formula_must_start_with_an_equals_sign():
    with pytest.raises(ValueError):
        Formula("SUM(1,2)")


def test_numbers_dates_and_blanks_keep_their_types(tmp_path):
    import datetime
    import decimal
    cells = saved_and_read(tmp_path, [-5, 2.5, decimal.Decimal("3.25"), datetime.date(2023, 3, 31), None, True])
    assert [cell.data_type for cell in cells] == ["n", "n", "n", "d", "n", "b"]
    assert cells[0].value == -5 and not cells[0].quotePrefix


def test_a_formula_written_around_put_is_caught_before_saving():
    book = openpyxl.Workbook()
    put(book.active, 1, 1, Formula("=1+1"))
    spreadsheet_text.check_formulas(book)
    book.active["B2"] = "=HYPERLINK(\"http://evil.example\")"
    with pytest.raises(spreadsheet_text.StrayFormula, match="B2"):
        spreadsheet_text.check_formulas(book)


def test_text_written_over_a_formula_unregisters_it():
    book = openpyxl.Workbook()
    put(book.active, 1, 1, Formula("=1+1"))
    put(book.active, 1, 1, "text")
    book.active["A1"] = "=2+2"  # a stray formula where a registered one was
    with pytest.raises(spreadsheet_text.StrayFormula):
        spreadsheet_text.check_formulas(book)


@pytest.mark.parametrize("character", [chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"]
                         + ["\ud800", "\udfff", "\ufffe", "\uffff"])
def test_the_writer_never_crashes_on_a_character_a_workbook_cannot_hold(tmp_path, character):
    cell = saved_and_read(tmp_path, [f"a{character}b"])[0]
    assert cell.value == "a\ufffdb"


@pytest.mark.parametrize("character, name", [
    ("\x00", "U+0000 null"), ("\x0b", "U+000B vertical tab"), ("\x1b", "U+001B escape"),
    ("\x0c", "U+000C form feed"), ("\x7f", "U+007F delete"), ("\x85", "U+0085 C1 control character"),
    ("\ud800", "U+D800 lone surrogate"), ("\uffff", "U+FFFF"),
])
def test_refused_characters_are_found_and_named(character, name):
    assert spreadsheet_text.control_characters(f"x{character}y{character}") == [character]
    message = spreadsheet_text.message("evidence", f"x{character}y")
    assert "evidence" in message and name in message


@pytest.mark.parametrize("text", ["tab\there", "two\nlines", "windows\r\nlines", "£ – “quotes” é ✓ 😀", ""])
def test_tab_newline_and_ordinary_unicode_are_not_refused(text):
    assert spreadsheet_text.control_characters(text) == []
    assert spreadsheet_text.message("evidence", text) is None


def test_problems_in_parsed_toml_are_located_by_path():
    data = {"reference": "BCP-0001", "outcomes": [{"evidence": "ok"}, {"evidence": "bad\x0bpaste"}],
            "services": {"B\x1bCP": {"localities": ["Poole", "Po\x00ole"]}}}
    found = {(problem.code, problem.where) for problem in spreadsheet_text.problems_in(data, "case.toml")}
    assert found == {("control-character", "outcomes[2].evidence"), ("control-character", "services.B\x1bCP"),
                     ("control-character", "services.B\x1bCP.localities[2]")}


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_csv_text_that_would_read_as_a_formula_is_escaped(text):
    assert spreadsheet_text.to_csv(text) == "'" + text.replace("\r", "\n")  # line ends as a workbook keeps them


@pytest.mark.parametrize("text", PLAIN)
def test_csv_plain_text_is_left_alone(text):
    assert spreadsheet_text.to_csv(text) == text
    assert spreadsheet_text.from_csv(text) == text


@pytest.mark.parametrize("text", FORMULA_LIKE + PLAIN + ["'=1+1", "''=x", "'"])
def test_csv_escape_round_trips_exactly(text):
    assert spreadsheet_text.from_csv(spreadsheet_text.to_csv(text)) == text.replace("\r", "\n")


@pytest.mark.parametrize("text", ["=1+1", "-1+1", "@SUM(1,1)", "\uff1d1+1", "'=already quoted"])
def test_csv_rows_reader_takes_off_exactly_the_escape(text):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["description", "fiscal_value"], [spreadsheet_text.to_csv(text), "-5"]])
    raw = next(csv.DictReader(io.StringIO(buffer.getvalue())))
    record, problem = csv_rows.clean(raw, "costs.csv", 2, "")
    assert problem is None
    assert record == {"description": text, "fiscal_value": "-5"}


@pytest.mark.parametrize("module", [render_xlsx, intake], ids=["render_xlsx", "intake"])
def test_the_workbook_writers_write_cells_only_through_put(module):
    """No cell is written around ``put``: a forgotten ``sheet["A1"] = text`` would make an input's
    ``#N/A`` an error cell (and its ``=1+1`` a formula, which ``check_formulas`` stops at run time)."""
    source = pathlib.Path(module.__file__).read_text(encoding="utf-8")
    raw = re.findall(r"\.cell\([^)]*value=|\b\w*sheet\[[^\]]+\]\s*=(?!=)|\.value\s*=(?!=)", source)
    # nor straight into XlsxWriter (the report's sheets hand cells to it only through put's Cell)
    raw += re.findall(r"\.write(?:_\w+)?\(|\.merge_range\(", source)
    assert raw == []


def test_a_control_character_stored_the_workbook_way_is_found():
    """Excel stores a pasted vertical tab as _x000B_, and openpyxl hands it over undecoded."""
    assert spreadsheet_text.stored_in_workbook("Police_x000B_check") == "Police\x0bcheck"
    assert spreadsheet_text.control_characters(spreadsheet_text.stored_in_workbook("a_x001b_b")) == ["\x1b"]
    assert spreadsheet_text.stored_in_workbook("plain_x_text") == "plain_x_text"
