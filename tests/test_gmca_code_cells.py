"""A code cell must hold a code: `costs import` refuses formulas, numbers, dates, text a
spreadsheet would take for a formula and codes differing only in capitals, each as a problem
naming the workbook, sheet, row and cell, all at once; and the unit cost loader refuses codes
that differ only in capitals too (issue #13 follow-up).
"""

from __future__ import annotations

import datetime

from hostile import assert_refused, invoke
from test_gmca_import import make_workbook, row
from up2u_cba.inputs import gmca, unit_costs


def test_every_code_cell_that_is_not_a_code_is_refused_at_once(tmp_path):
    crime = [
        row("CR1.0", "Good", 100),                        # row 3
        row("=HYPERLINK(\"http://x\",\"CR2.0\")", "A formula", 100),
        row("+CR3.0", "Starts like a formula", 100),      # row 5
        row("-CR4.0", "Minus", 100),
        row("@CR5.0", "At", 100),                         # row 7
        row(12, "A number", 100),
        row(1.5, "A decimal", 100),                       # row 9
        row(datetime.datetime(2020, 1, 2), "A date", 100),
        row("cr1.0", "CR1.0 in small letters", 100),      # row 11
        row("\uff1dCR6.0", "A full-width equals sign", 100),
    ]
    workbook = make_workbook(tmp_path / "book.xlsx", {"Crime": crime, "Health": [row("Cr1.0", "Other sheet", 5)]})
    output = tmp_path / "costs.csv"
    result = invoke("costs", "import", workbook, "-o", str(output))
    assert_refused(result, workbook)
    assert not output.exists()
    found = gmca.import_workbook(workbook).problems
    assert [(problem.code, problem.file, problem.where) for problem in found] == [
        ("bad-cost-code", workbook, f"Crime: row {number}: C{number}") for number in range(4, 11)] + [
        ("duplicate-cost-code", workbook, "Crime: row 11: C11"),
        ("bad-cost-code", workbook, "Crime: row 12: C12"),
        ("duplicate-cost-code", workbook, "Health: row 3: C3")]
    assert all(f"{problem.where}" in result.stderr for problem in found)


def test_a_formula_code_cell_never_takes_a_code_from_its_place(tmp_path):
    # a formula saved without its result reads as an empty cell: it must not become CR1.0.1
    crime = [row("CR1.0", "Parent", 100), row("=A1", "A part whose code is a formula", 60)]
    result = gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", {"Crime": crime}))
    assert [(problem.code, problem.where) for problem in result.problems] == [("bad-cost-code", "Crime: row 4: C4")]
    assert result.placed_codes == []


HEADER = "code,theme,description,fiscal_value,fiscal_price_year\n"


def test_the_loader_refuses_a_code_differing_only_in_capitals_in_one_file(tmp_path):
    table = tmp_path / "local.csv"
    table.write_text(HEADER + "LOC1.0,Crime,One,10,2020/21\nloc1.0,Crime,Two,20,2020/21\n", encoding="utf-8")
    _, problems = unit_costs.load([str(table)])
    assert [(problem.code, problem.where) for problem in problems] == [("duplicate-cost-code", "row 3: code")]


def test_the_loader_refuses_a_code_differing_only_in_capitals_from_an_earlier_file(tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(HEADER + "LOC1.0,Crime,One,10,2020/21\n", encoding="utf-8")
    second.write_text(HEADER.rstrip("\n") + ",overrides\nLoc1.0,Crime,Two,20,2020/21,yes\n", encoding="utf-8")
    costs, problems = unit_costs.load([str(first), str(second)])
    assert [(problem.code, problem.file, problem.where) for problem in problems] == [
        ("duplicate-cost-code", str(second), "row 2: code")]
    assert list(costs) == ["LOC1.0"]
