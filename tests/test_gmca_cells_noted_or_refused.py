"""Cells `costs import` must not pass on silently (issue #13, review): a RAG rating it does not
know is imported as no rating with a note naming the cell and what it was taken as; invisible
characters in a code cell (zero-width space, byte order mark, no-break space) are taken out,
with a note naming the cell, so the row keeps its own code; a cell longer than the unit cost
table's loader takes is refused naming the sheet and cell, and nothing is written.

Variants are built from the real v1.4 workbook with ``build`` of ``test_gmca_any_edition``.
"""

from __future__ import annotations

import pytest

from hostile import assert_refused
from test_gmca_any_edition import build, folder, import_cli, source, v14  # noqa: F401 (fixtures)
from up2u_cba.inputs import unit_costs

CODE, RAG, DESCRIPTION = 2, 17, 3
"""Columns C, R and D of a theme sheet, 0-based."""


def row_of(source: dict, code: str) -> int:
    """The Crime row (as Excel numbers it) whose code cell is ``code``."""
    rows, _ = source["Crime"]
    return next(number for number, cells in enumerate(rows, start=1) if cells[CODE] == code)


def setting(code: str, column: int, value):
    """An edit of ``build`` putting ``value(old)`` in ``column`` of the Crime row of ``code``."""
    def edit(sheet: str, number: int, cells: list) -> None:
        if sheet == "Crime" and cells[CODE] == code:
            cells[column] = value(cells[column])
    return edit


def test_an_unknown_rag_rating_is_noted_with_its_cell_and_what_it_was_taken_as(folder, source, v14):
    result, rows = import_cli(folder, build(folder / "rag.xlsx", source,
                                            edit=setting("CR1.0", RAG, lambda old: "Amber/Red")), "rag")
    assert result.exit_code == 0, result.output
    number = row_of(source, "CR1.0")
    assert next(row for row in rows if row["code"] == "CR1.0")["rag"] == ""
    assert rows == [{**row, "rag": ""} if row["code"] == "CR1.0" else row for row in v14[1]]
    noted = [line for line in result.stdout.splitlines() if f"Crime row {number} CR1.0" in line]
    assert len(noted) == 1 and f"R{number}" in noted[0] and "'Amber/Red'" in noted[0] and "no rating" in noted[0]


@pytest.mark.parametrize("spelled, character", [
    ("\u200bCR1.1", "U+200B"),
    ("CR1.1\ufeff", "U+FEFF"),
    ("CR\u00a01.1", "U+00A0"),
    ("CR1\u200d.1\u200b", "U+200D"),
])
def test_invisible_characters_in_a_code_are_taken_out_with_a_note_naming_the_cell(folder, source, v14, spelled,
                                                                                  character):
    name = f"invisible-{character}"
    result, rows = import_cli(folder, build(folder / f"{name}.xlsx", source,
                                            edit=setting("CR1.1", CODE, lambda old: spelled)), name)
    assert result.exit_code == 0, result.output
    assert rows == v14[1]
    number = row_of(source, "CR1.1")
    noted = [line for line in result.stdout.splitlines() if f"Crime row {number}:" in line]
    assert len(noted) == 1 and f"C{number}" in noted[0] and character in noted[0] and "CR1.1" in noted[0]


@pytest.mark.parametrize("column, value, letter", [
    (CODE, "CR1.1" + "X" * 19_999, "C"),
    (DESCRIPTION, "D" * (unit_costs.TEXT_LIMIT + 1), "D"),
])
def test_a_cell_longer_than_a_unit_cost_table_holds_is_refused_naming_it(folder, source, column, value, letter):
    name = f"long-{letter}"
    result, rows = import_cli(folder, build(folder / f"{name}.xlsx", source,
                                            edit=setting("CR1.1", column, lambda old: value)), name)
    number = row_of(source, "CR1.1")
    assert_refused(result, "[text-too-long]", f"Crime: row {number}: {letter}{number}:")
    assert rows == [] and not (folder / f"{name}.csv").exists()


def test_a_cell_as_long_as_a_unit_cost_table_holds_is_imported(folder, source):
    name = "longest-description"
    result, rows = import_cli(folder, build(folder / f"{name}.xlsx", source, edit=setting(
        "CR1.1", DESCRIPTION, lambda old: "D" * unit_costs.TEXT_LIMIT)), name)
    assert result.exit_code == 0, result.output
    assert next(row for row in rows if row["code"] == "CR1.1")["description"] == "D" * unit_costs.TEXT_LIMIT
    _, problems = unit_costs.load([str(folder / f"{name}.csv")])
    assert problems == []


def test_the_unit_cost_loader_refuses_a_code_with_invisible_characters(tmp_path):
    table = tmp_path / "local.csv"
    table.write_text("code,theme,description,fiscal_value,fiscal_price_year\n"
                     "LOC1.0,Crime,One,10,2020/21\n\u200bLOC1.1,Crime,Two,20,2020/21\n", encoding="utf-8")
    costs, problems = unit_costs.load([str(table)])
    assert [(problem.code, problem.where) for problem in problems] == [("bad-cost-code", "row 3: code")]
    assert "U+200B" in problems[0].message
