"""On the guidance's 1-6 scale a RAG rating only chooses a grade (issue #13, review finding):
G, A and R percentages set with it are refused, never silently ignored, and the workbook offers
as changeable only the grades in force, whose cells drive the prudent formulas."""

from decimal import Decimal

import openpyxl
import pytest

from hostile import assert_refused, invoke
from test_green_book import project
from test_xlsx import recalculate, table_rows
from test_xlsx_assumptions_drive import row_of
from up2u_cba import pipeline
from up2u_cba.outputs import render_xlsx
from up2u_cba.problems import errors

LINES = """
    [[outcomes]]
    code = "TST-A"
    quantity = 1
    [[outcomes]]
    code = "TST-G"
    quantity = 2
    """
"""An amber cost (grade 4 on the guidance scale) and a green one (grade 3)."""


def guidance(grade_4: str, extra: str = "") -> str:
    return f'[assumptions.optimism_bias]\nscale = "guidance"\n"4" = {grade_4}\n{extra}'


@pytest.mark.parametrize("letter", ["G", "A", "R"])
def test_a_rag_percentage_set_on_the_guidance_scale_is_refused_naming_the_grade_that_applies(tmp_path, letter):
    settings = project(tmp_path, outcomes=LINES, assumptions=guidance("0.2", f"{letter} = 0.1\n"))
    _, problems = pipeline.load(str(settings))
    ((problem,),) = [errors(problems)]
    assert (problem.code, problem.where) == ("bad-assumption", f"assumptions.optimism_bias.{letter}")
    assert '"' + {"G": "3", "A": "4", "R": "5"}[letter] + '"' in problem.hint
    assert_refused(invoke("validate", "--settings", settings), "up2u-cba.toml", f"assumptions.optimism_bias.{letter}")


def test_rag_percentages_stay_settings_on_the_rag_scale(tmp_path):
    settings = project(tmp_path, outcomes=LINES, assumptions='[assumptions.optimism_bias]\nscale = "rag"\nA = 0.1\n')
    (summary,) = pipeline.run(str(settings)).services
    assert [(line.grade, line.optimism_bias) for line in summary.lines] == [("A", Decimal("0.1")), ("G", 0)]


def assumption_rows(path) -> dict[str, tuple]:
    return {row["Assumption"]: (row["Value"], row["May be changed here"])
            for row in table_rows(openpyxl.load_workbook(path)["Assumptions"])}


def made(folder, grade_4: str):
    folder.mkdir()
    result = pipeline.run(str(project(folder, spend=500, outcomes=LINES, assumptions=guidance(grade_4))))
    path = folder / "report.xlsx"
    render_xlsx.write(result, str(path))
    return result.services[0], path


def test_the_workbook_offers_only_the_grades_in_force_and_they_drive_the_prudent_figures(tmp_path):
    _, path = made(tmp_path / "as-set", "0.2")
    changed, expected_path = made(tmp_path / "changed", "0.3")
    rows = assumption_rows(path)
    assert not [label for label in rows if label.startswith("Optimism bias: evidence grade") and label[-1] in "GAR"]
    assert [rows[f"Optimism bias: evidence grade {grade}"] for grade in "123456"] == \
        [(value, render_xlsx.CHANGEABLE) for value in (0, 0.05, 0.1, 0.2, 0.25, 0.4)]

    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Assumptions"]
    sheet.cell(row=row_of(sheet, "Optimism bias: evidence grade 4"), column=2, value=0.3)
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    recalculated = recalculate(edited, tmp_path)
    lines = table_rows(recalculated["Outcome lines"])
    assert [(row["Evidence grade"], row["Prudent saving"]) for row in lines] == \
        [(line.grade, line.prudent_saving) for line in changed.lines] == [("4", 700), ("3", 900)]
    expected = openpyxl.load_workbook(expected_path, data_only=True)
    def recalculated_rows(book) -> list[tuple]:  # (a figure the spreadsheet does not recalculate says so)
        return [row[:3] for row in book["Summary"].iter_rows(values_only=True)
                if "not recalculated by the spreadsheet" not in str(row[0])]

    assert recalculated_rows(recalculated) == recalculated_rows(expected)


def test_the_scale_and_a_cost_grade_are_read_as_a_lines_grade_is(tmp_path):
    # (review: scale = "Guidance" was refused while paid = "Monthly" was read; grade = 2.0 was refused
    # while a line's confidence 2.0 is 2)
    settings = project(tmp_path, assumptions="""
        [assumptions.optimism_bias]
        scale = " Guidance"

        [assumptions.cost_optimism_bias]
        grade = 2.0
        """)
    result = pipeline.run(str(settings))
    assert result.green_book.optimism_bias_scale == "guidance"
    assert result.green_book.cost_optimism_bias == Decimal("0.05")


def test_a_cost_optimism_bias_with_a_value_and_a_grade_reports_what_is_wrong_with_each_too(tmp_path):
    """Before, "give a value or a grade, not both" was the only problem: the bad grade and value
    were found only on the next run (review finding: all problems at once)."""
    settings = project(tmp_path, outcomes=LINES,
                       assumptions='[assumptions.cost_optimism_bias]\nvalue = -0.5\ngrade = 7\n')
    _, problems = pipeline.load(str(settings))
    assert sorted(problem.where for problem in errors(problems)) == [
        "assumptions.cost_optimism_bias", "assumptions.cost_optimism_bias.grade", "assumptions.cost_optimism_bias.value"]
