"""Confidence grades, optimism bias on costs, spend over time and payback from when cases
completed (issue #13, deliverables 3 and 4)."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest

from hostile import assert_refused, invoke
from test_green_book import project
from up2u_cba import pipeline
from up2u_cba.method import assumptions, calculate

ONE_LINE = """
    [[outcomes]]
    code = "TST-A"
    quantity = 1
    """


def only(settings):
    (summary,) = pipeline.run(str(settings)).services
    return summary


def test_a_line_may_give_the_guidance_confidence_grade_of_its_evidence(tmp_path):
    # TST-A is amber; the line says its evidence is grade 4 (written as a number): the
    # guidance's 15% is taken, not amber's (0% by default)
    summary = only(project(tmp_path, outcomes=ONE_LINE + "confidence = 4\n"))
    (line,) = summary.lines
    assert (line.grade, line.optimism_bias, line.saving, line.prudent_saving) == ("4", Decimal("0.15"), 1000, 850)


def test_the_guidance_scale_maps_rag_ratings_to_grades_and_an_unrated_cost_to_the_least_sure(tmp_path):
    settings = project(tmp_path, assumptions="""
        [assumptions.optimism_bias]
        scale = "guidance"
        """, outcomes="""
        [[outcomes]]
        code = "TST-A"
        quantity = 1
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        [[outcomes]]
        code = "TST-U"
        quantity = 1
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        confidence = "2"
        """)
    with (tmp_path / "local.csv").open("a") as costs:
        costs.write("TST-U,Crime,Unrated cost,Each,Police,,100,2018/19,,,,\n")
    summary = only(settings)
    assert [(line.grade, line.optimism_bias, line.prudent_saving) for line in summary.lines] == [
        ("4", Decimal("0.15"), 850),  # amber: grade 4
        ("3", Decimal("0.10"), 450),  # green: grade 3
        ("6", Decimal("0.40"), 60),   # unrated: grade 6
        ("2", Decimal("0.05"), 475),  # the line's own grade
    ]
    assert summary.green_book.optimism_bias_note == assumptions.GUIDANCE_NOTE


def test_numbered_grades_without_letters_choose_the_guidance_scale_and_letters_keep_todays(tmp_path):
    numbered, _ = assumptions.parse({"optimism_bias": {"3": 0.2}}, "f")
    lettered, _ = assumptions.parse({"optimism_bias": {"A": 0.2, "3": 0.3}}, "f")
    none, _ = assumptions.parse({}, "f")
    assert (numbered.optimism_bias_scale, numbered.grade("", "G"), numbered.optimism_bias["3"]) == \
        ("guidance", "3", Decimal("0.2"))
    assert (lettered.optimism_bias_scale, lettered.grade("", "A"), lettered.grade("", "")) == ("rag", "A", "R")
    assert none.optimism_bias == {"G": 0, "A": 0, "R": 0, **assumptions.GUIDANCE_OPTIMISM_BIAS}


def test_the_assumptions_list_every_grade_with_the_guidance_values(tmp_path):
    summary = only(project(tmp_path, outcomes=ONE_LINE))
    notes = {name: value for name, value, _ in summary.green_book.notes()}
    assert notes["Optimism bias"].startswith("G 0%, A 0%, R 0%, 1 0%, 2 5%, 3 10%, 4 15%, 5 25%, 6 40%")
    assert notes["Optimism bias on costs"] == "0%"


@pytest.mark.parametrize("setting, code, where", [
    ('[assumptions.optimism_bias]\nscale = "finer"', "bad-assumption", "assumptions.optimism_bias.scale"),
    # (no grade 7 exists: a setting the table cannot hold, as a misspelt one)
    ("[assumptions.optimism_bias]\n\"7\" = 0.5", "unknown-setting", "assumptions.optimism_bias.7"),
    ("[assumptions.cost_optimism_bias]\ngrade = 9", "bad-assumption", "assumptions.cost_optimism_bias.grade"),
    ("[assumptions.cost_optimism_bias]\nvalue = -0.1", "bad-assumption", "assumptions.cost_optimism_bias.value"),
    ("[assumptions.cost_optimism_bias]\nvalue = 0.1\ngrade = 2", "bad-assumption", "assumptions.cost_optimism_bias"),
    ('[assumptions.spend_profile]\npaid = "weekly"', "bad-assumption", "assumptions.spend_profile.paid"),
    ("[assumptions.spend_profile]\nyears = 0", "bad-assumption", "assumptions.spend_profile.years"),
    ("[assumptions.spend_profile]\nyears = 1.5", "bad-assumption", "assumptions.spend_profile.years"),
])
def test_bad_grading_and_spend_settings_are_refused_naming_the_setting(tmp_path, setting, code, where):
    settings = project(tmp_path, assumptions=setting, outcomes=ONE_LINE)
    _, problems = pipeline.load(str(settings))
    assert [(p.code, p.where) for p in problems] == [(code, where)]
    assert_refused(invoke("validate", "--settings", settings), "up2u-cba.toml", where)


@pytest.mark.parametrize("grade", ['"B"', "0", "7", "true"])
def test_a_confidence_that_is_no_grade_is_refused_at_its_line(tmp_path, grade):
    settings = project(tmp_path, outcomes=ONE_LINE + f"confidence = {grade}\n")
    _, problems = pipeline.load(str(settings))
    assert [(p.code, p.where) for p in problems] == [("bad-assumption", "outcomes[1].confidence")]


def test_cost_optimism_bias_raises_the_prudent_spend_only(tmp_path):
    summary = only(project(tmp_path, spend=900, outcomes=ONE_LINE, assumptions="""
        [assumptions.cost_optimism_bias]
        grade = 2
        """))
    assert (summary.spend, summary.prudent_spend) == (900, 945)
    assert (summary.net_saving, summary.return_on_investment) == (100, Decimal("1.11"))  # gross: as entered
    assert (summary.prudent_net_saving, summary.financial_return) == (1000 - 945, Decimal("1.06"))
    assert summary.prudent_adjusted  # the lines equal gross, the spend does not


def test_a_spend_paid_yearly_is_paid_at_the_start_of_the_year_and_not_discounted(tmp_path):
    summary = only(project(tmp_path, spend=2070, outcomes=ONE_LINE, assumptions="""
        [assumptions.spend_profile]
        paid = "yearly"
        years = 1
        """))
    assert summary.prudent_spend == 2070
    assert summary.green_book.spend_payments() == [(0, 1)]


def test_the_default_spend_is_paid_evenly_over_the_year_and_not_discounted():
    green_book = assumptions.Assumptions()
    payments = green_book.spend_payments()
    assert [month for month, _ in payments] == list(range(12)) and sum(share for _, share in payments) == 1
    assert calculate.prudent_spend(Decimal(90000), green_book) == 90000


@pytest.mark.parametrize("completed, month", [("2022-05-31", 1), ("2022-12-01", 8), ("2023-03-31", 11)])
def test_a_benefit_starts_in_the_month_its_case_completed(tmp_path, completed, month):
    settings = project(tmp_path, outcomes=ONE_LINE)
    case = tmp_path / "cases" / "BCP-9001.toml"
    case.write_text(case.read_text().replace("date = 2022-12-01", f"date = {completed}"))
    (line,) = only(settings).lines
    assert line.start_month == month
    assert calculate.benefit_by_month([line]) == {month + k: Fraction(1000, 12) for k in range(12)}


def test_payback_is_the_first_month_cumulative_savings_reach_cumulative_spend(tmp_path):
    # £1,000 accruing from December (month 8), £83.33 a month; £600 spent, £50 a month to month 11
    summary = only(project(tmp_path, spend=600, outcomes=ONE_LINE))
    # month 8: 83.33 against 450; month 11: 333.33 against 600; month 14: 583.33; month 15: 666.67
    assert summary.payback_months == 16


def test_a_net_of_exactly_zero_pays_back_at_the_end_and_a_pound_short_never(tmp_path):
    summary = only(project(tmp_path, spend=1000, outcomes=ONE_LINE))
    assert summary.prudent_net_saving == 0
    assert summary.payback_months == 8 + 12  # the benefit's last month, 19: the savings reach the spend exactly
    (tmp_path / "short").mkdir()
    short = only(project(tmp_path / "short", spend=1001, outcomes=ONE_LINE))
    assert (short.prudent_net_saving, short.payback_months) == (-1, None)


def test_reports_say_which_figures_use_which_spend(tmp_path):
    settings = project(tmp_path, spend=900, outcomes=ONE_LINE, assumptions="""
        [assumptions.cost_optimism_bias]
        value = 0.1
        note = "Budget, not outturn"
        """)
    result = invoke("report", "--settings", settings, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == "up2u-cba/report/3"
    (service,) = data["services"]
    assert (service["spend"], service["net_saving"]) == (900, 100)
    assert (service["prudent"]["spend"], service["prudent"]["net_present_budget_impact"]) == (990, 10)
    assert service["cases"][0]["lines"][0]["start_month"] == 8
    assert "prudent spend" in data["spend_basis"] and "month it completed" in data["payback_definition"]
    assert {row["assumption"]: row["source"] for row in data["assumptions"]}["Optimism bias on costs"] == \
        "Budget, not outturn"
    text = invoke("report", "--settings", settings).output
    assert "Prudent spend (the spend raised by the cost optimism bias)" in text
    assert "£990" in text and "The gross figures (net saving" in text


def test_a_confidence_grade_set_by_case_amend_values_the_line_at_it(tmp_path, monkeypatch):
    from hostile import sample_project
    from test_case_amend import amend, stored, total_saving

    monkeypatch.chdir(tmp_path)
    settings = sample_project(tmp_path)
    refused = amend(settings, "--set", "outcomes[1].confidence=7", "--reason", "graded by the analyst", "--yes")
    assert_refused(refused, "outcomes[1].confidence")
    result = amend(settings, "--set", "outcomes[1].confidence=5", "--reason", "graded by the analyst", "--yes")
    assert result.exit_code == 0, result.output
    assert stored(settings)["outcomes"][0]["confidence"] == 5  # written as the README writes a grade
    data = json.loads(invoke("report", "--format", "json", "--year", "2021/22", "--service", "BCP",
                             "--settings", settings).output)
    (line, *_) = next(case for case in data["services"][0]["cases"] if case["reference"] == "BCP-0001")["lines"]
    assert (line["prudent"]["grade"], line["prudent"]["optimism_bias"]) == ("5", "0.25")
    assert line["prudent"]["saving"] == round(line["saving"] * 0.75)
    assert total_saving(settings) == data["services"][0]["total_saving"]  # the gross figure does not move


def test_the_workbook_recalculates_prudent_spend_and_payback_as_the_tool_with_costs_raised_and_spread(tmp_path):
    """Edit the optimism bias on costs on the Assumptions sheet of a workbook whose spend is paid
    yearly (at the year's start): LibreOffice's recalculation equals the tool run with that setting."""
    import openpyxl

    from test_xlsx import recalculate
    from test_xlsx_assumptions_drive import ASSUMPTIONS, OUTCOMES, PAYBACK, figures, row_of, summary_figures
    from up2u_cba.outputs import render_xlsx

    def made(name: str, cost_setting: str):
        (tmp_path / name).mkdir()
        settings = project(tmp_path / name, spend=2000, outcomes=OUTCOMES.format(quantity=1),
                           assumptions=ASSUMPTIONS.format(deadweight="0.1") + cost_setting
                           + '\n[assumptions.spend_profile]\npaid = "yearly"\n')
        result = pipeline.run(str(settings))
        render_xlsx.write(result, str(tmp_path / f"{name}.xlsx"))
        return result.services[0], tmp_path / f"{name}.xlsx"

    _, path = made("graded", "\n[assumptions.cost_optimism_bias]\ngrade = 2\n")
    changed, expected_path = made("changed", "\n[assumptions.cost_optimism_bias]\nvalue = 0.25\n")
    assert changed.prudent_spend == 2500
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Assumptions"]
    sheet.cell(row=row_of(sheet, "Optimism bias on costs: the spend raised by"), column=2, value=0.25)
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    recalculated = recalculate(edited, tmp_path)
    expected = openpyxl.load_workbook(expected_path, data_only=True)
    assert figures(recalculated["Payback"])[1:] == figures(expected["Payback"])[1:]
    got = summary_figures(recalculated["Summary"])
    assert got[("BCP", "Total estimated spend on Up2U over a 12-month period")] == (2000, changed.prudent_spend)
    assert got[("BCP", "Net present budget impact (prudent fiscal saving - spend)")] == \
        (None, changed.prudent_net_saving)
    assert got[("BCP", PAYBACK)] == (None, changed.payback_months)


def test_the_workbook_shows_every_grade_the_cost_uplift_and_the_definitions(tmp_path):
    import openpyxl

    from test_xlsx import table_rows
    from up2u_cba.outputs import render_xlsx

    settings = project(tmp_path, outcomes=ONE_LINE + "confidence = 5\n", assumptions="""
        [assumptions.cost_optimism_bias]
        grade = 3
        """)
    path = tmp_path / "report.xlsx"
    render_xlsx.write(pipeline.run(str(settings)), str(path))
    workbook = openpyxl.load_workbook(path)
    values = {row["Assumption"]: row["Value"] for row in table_rows(workbook["Assumptions"])}
    assert [values[f"Optimism bias: evidence grade {grade}"] for grade in "123456"] == [0, 0.05, 0.1, 0.15, 0.25, 0.4]
    assert values["Optimism bias on costs: the spend raised by"] == 0.1
    method = {row[0]: row[1] for row in workbook["Method"].iter_rows(values_only=True) if row[0]}
    assert "local partnerships (April 2014)" in method["Optimism bias"]
    assert "prudent spend" in method["Spend"] and "month it completed" in method["Payback period"]
    (line,) = table_rows(workbook["Outcome lines"])
    assert line["Evidence grade"] == "5" and line[render_xlsx.START_MONTH].startswith("=12*(YEAR(D")
