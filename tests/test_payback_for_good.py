"""Payback never claims a programme pays back when it does not (issue #13): the payback month is
the first from which the running savings stay at or above the running spend to the last month,
in the tool, its text and JSON reports and the workbook recalculated by LibreOffice and Gnumeric
alike; the workbook's months pay the Summary's rounded prudent spend, as the tool does; and a
line's optimism bias follows its Evidence grade edited on Outcome lines."""

from __future__ import annotations

import json
import textwrap

import openpyxl
import pytest

from hostile import invoke
from project_text import completed_case
from test_green_book import project
from test_xlsx import recalculate, table_rows
from test_xlsx_assumptions_drive import PAYBACK, summary_figures
from test_xlsx_excel_rules import recalculate_as_excel
from up2u_cba import pipeline
from up2u_cba.method import calculate
from up2u_cba.outputs import render_xlsx

COST_1051 = "TST-X,Crime,Test cost at 1051,Each,Police,,1051,2018/19,,,G,test\n"
"""A cost of £1,051 at the report's price year (2018/19), green: no optimism bias by default."""
SHORT_BENEFIT = """
    [[outcomes]]
    code = "TST-X"
    quantity = 30
    years = 0.25
    acknowledged = "thirty events recorded"
    """
"""30 x £1,051 for 3 months: £7,883, accruing £2,627.67 a month."""
ONE_1051 = """
    [[outcomes]]
    code = "TST-X"
    quantity = 1
    """
COST_UPLIFT = "\n[assumptions.cost_optimism_bias]\nvalue = 0.05\n"


def made(folder, spend: int, outcomes: str, completed: str, assumptions: str = "", later: str = ""):
    """A project of one case completed on ``completed`` (and, with ``later``, a second case of
    those outcomes completed in March 2023), valued with the £1,051 test cost."""
    folder.mkdir(exist_ok=True)
    settings = project(folder, spend=spend, outcomes=outcomes, assumptions=assumptions)
    with (folder / "local.csv").open("a") as costs:
        costs.write(COST_1051)
    case = folder / "cases" / "BCP-9001.toml"
    case.write_text(case.read_text().replace("date = 2022-05-01", "date = 2022-04-01")  # (referred in April)
                    .replace("date = 2022-12-01", f"date = {completed}"))
    if later:
        (folder / "cases" / "BCP-9002.toml").write_text(
            completed_case(textwrap.dedent(later), reference="BCP-9002", completed="2023-03-01"))
    return settings


def overtaken(folder):
    """An April case whose £7,883 of savings reach the spend paid so far in April and fall
    behind it for good in November: £12,000 paid £1,000 a month."""
    return made(folder, 12000, SHORT_BENEFIT, "2022-04-15")


def recovered(folder):
    """The April case, and a March case of 6 x £1,000 over a year (£500 a month from month 11):
    ahead in months 0-6, behind in 7-18, ahead from month 19 (£7,883 + 9 x £500 >= £12,000)."""
    return made(folder, 12000, SHORT_BENEFIT, "2022-04-15", later="""
    [[outcomes]]
    code = "TST-A"
    quantity = 6
    """)


def exactly_even(folder):
    """£1,001 spent, raised 5% to £1,051.05 and rounded to £1,051; one £1,051 saving from March
    (month 11) over a year: a net of exactly £0, repaid at the end of month 22."""
    return made(folder, 1001, ONE_1051, "2023-03-15", assumptions=COST_UPLIFT)


def level_all_year(folder):
    """£1,051 spent £87.58 a month; one £1,051 saving from April over the year, £87.58 a month:
    level with the spend every month, a net of exactly £0, repaid at the end of month 11 (not
    in month 0, though the savings reach the spend paid so far there: a recheck finding)."""
    return made(folder, 1051, ONE_1051, "2022-04-15")


def report_json(settings) -> dict:
    result = invoke("report", "--settings", settings, "--format", "json")
    assert result.exit_code == 0, result.output
    (service,) = json.loads(result.output)["services"]
    return service["prudent"]


def payback_shown(settings) -> str:
    result = invoke("report", "--settings", settings)
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.output.splitlines() if line.startswith("| Payback period ")]
    return row


def test_savings_that_reach_the_spend_early_and_fall_behind_for_good_never_pay_back(tmp_path):
    settings = overtaken(tmp_path)
    (summary,) = pipeline.run(str(settings)).services
    # ahead of the spend paid so far from April (month 0) to October, behind from November on
    benefits = calculate.benefit_by_month(summary.lines)
    nets = calculate.running_nets(benefits, calculate.prudent_spend_by_month(summary.spend, summary.green_book))
    assert [net >= 0 for net in nets] == [True] * 7 + [False] * 5
    prudent = report_json(settings)
    assert (prudent["net_present_budget_impact"], prudent["payback_months"]) == (-4117, None)
    assert "not within the benefits' duration" in payback_shown(settings)


def test_the_payback_is_the_month_the_savings_stay_ahead_from_not_the_first_they_reach_it(tmp_path):
    settings = recovered(tmp_path)
    prudent = report_json(settings)
    assert (prudent["net_present_budget_impact"], prudent["payback_months"]) == (7883 + 6000 - 12000, 20)
    assert "20 months" in payback_shown(settings)


def test_a_net_of_exactly_zero_against_a_rounded_prudent_spend_pays_back_at_the_end(tmp_path):
    settings = exactly_even(tmp_path)
    prudent = report_json(settings)
    assert (prudent["spend"], prudent["net_present_budget_impact"], prudent["payback_months"]) == (1051, 0, 23)
    assert "23 months" in payback_shown(settings)


def test_savings_level_with_the_spend_all_year_pay_back_at_the_end_not_in_the_first_month(tmp_path):
    settings = level_all_year(tmp_path)
    prudent = report_json(settings)
    assert (prudent["spend"], prudent["net_present_budget_impact"], prudent["payback_months"]) == (1051, 0, 12)
    assert "12 months" in payback_shown(settings)


def flags(sheet) -> list[int]:
    return [row["Paid back from here on"] for row in table_rows(sheet)]


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
@pytest.mark.parametrize("example, months", [(overtaken, None), (recovered, 20), (exactly_even, 23),
                                             (level_all_year, 12)])
@pytest.mark.parametrize("application", ["LibreOffice", "Gnumeric"])
def test_the_workbook_recalculated_gives_the_tools_payback(tmp_path, example, months, application):
    result = pipeline.run(str(example(tmp_path / "project")))
    (summary,) = result.services
    assert summary.payback_months == months
    path = tmp_path / "report.xlsx"
    render_xlsx.write(result, str(path))
    recalculated = (recalculate if application == "LibreOffice" else recalculate_as_excel)(path, tmp_path)
    got = summary_figures(recalculated["Summary"])
    assert got[("BCP", PAYBACK)] == (None, summary.payback_months or render_xlsx.NOT_WITHIN)
    # paid back from here on: 0 before the payback month, 1 from it to the last month listed
    months = len(flags(recalculated["Payback"]))
    paid_from = months if summary.payback_months is None else summary.payback_months - 1
    assert flags(recalculated["Payback"]) == [0] * paid_from + [1] * (months - paid_from)
    spend = [row["Prudent spend in the month"] for row in table_rows(recalculated["Payback"])]
    assert sum(spend) == pytest.approx(float(summary.prudent_spend))  # the rounded prudent spend, as the tool


GRADED = """
    [[outcomes]]
    code = "TST-A"
    quantity = 1
    [[outcomes]]
    code = "TST-G"
    quantity = 1
    """
"""An amber £1,000 line and a green £500 line, graded by their costs' RAG ratings."""


def graded(folder, scale: str, confidences: tuple[str, str] | None = None):
    folder.mkdir()
    outcomes = GRADED
    if confidences:  # each line's own grade, as a case file gives it
        first, second = outcomes.split("[[outcomes]]")[1:]
        outcomes = f"[[outcomes]]{first}confidence = {confidences[0]}\n[[outcomes]]{second}confidence = {confidences[1]}\n"
    return project(folder, spend=1000, outcomes=outcomes,
                   assumptions=f'\n[assumptions.optimism_bias]\nscale = "{scale}"\n' if scale == "guidance" else "")


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
@pytest.mark.parametrize("scale, typed, meant", [
    ("rag", (4, "5"), ('"4"', '"5"')),       # a number and text alike, on the RAG scale
    ("guidance", ("g", 2), ('"G"', '"2"')),  # a letter is taken at its grade (G is 3) on the guidance scale
])
@pytest.mark.parametrize("application", ["LibreOffice", "Gnumeric"])
def test_an_evidence_grade_edited_on_outcome_lines_takes_that_grades_optimism_bias(tmp_path, scale, typed, meant,
                                                                                 application):
    result = pipeline.run(str(graded(tmp_path / "as-made", scale)))
    path = tmp_path / "as-made.xlsx"
    render_xlsx.write(result, str(path))
    (expected,) = pipeline.run(str(graded(tmp_path / "regraded", scale, meant))).services
    assert [line.optimism_bias for line in expected.lines] != [line.optimism_bias for line in result.services[0].lines]

    workbook = openpyxl.load_workbook(path)
    lines = workbook["Outcome lines"]
    column = render_xlsx.LINE_HEADERS.index("Evidence grade") + 1
    for index, grade in enumerate(typed):
        lines.cell(row=render_xlsx.HEADER_ROW + 1 + index, column=column, value=grade)
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    recalculated = (recalculate if application == "LibreOffice" else recalculate_as_excel)(edited, tmp_path)
    rows = table_rows(recalculated["Outcome lines"])
    assert [(row["Optimism bias"], row["Prudent saving"]) for row in rows] == \
        [(pytest.approx(float(line.optimism_bias)), line.prudent_saving) for line in expected.lines]
    got = summary_figures(recalculated["Summary"])
    assert got[("BCP", "Total estimated saving for cases completed in 2022/23")] == \
        (expected.total_saving, expected.prudent_total)
    assert got[("BCP", PAYBACK)] == (None, expected.payback_months or render_xlsx.NOT_WITHIN)


def test_every_report_says_payback_is_where_the_savings_stay_ahead_and_why(tmp_path):
    settings = overtaken(tmp_path)
    result = invoke("report", "--settings", settings, "--format", "json")
    definition = json.loads(result.output)["payback_definition"]
    assert "stay at or above" in definition and "overtake" in definition
    text = invoke("report", "--settings", settings).output
    assert "stay at or above" in " ".join(text.split())
    for publish in ((), ("--publish",)):
        path = tmp_path / f"report{len(publish)}.xlsx"
        made = invoke("report", "--settings", settings, "--xlsx", str(path), "--quiet", *publish)
        assert made.exit_code == 0, made.output
        method = {row[0]: row[1] for row in openpyxl.load_workbook(path)["Method"].iter_rows(values_only=True) if row[0]}
        assert "stay at or above" in method["Payback period"] and "overtake" in method["Payback period"]
        # how to grade a line again, only where the workbook has its lines
        assert ("Evidence grade cell" in method["Optimism bias"]) == (not publish)
