"""The spend a service enters for a year is that year's outturn (issue #13, review finding): a
spend profile only says when within the year it is paid, so the prudent spend is never below the
spend entered and no setting makes the prudent return exceed the gross one from the spend side."""

import json
from decimal import Decimal

import pytest

from hostile import assert_refused, invoke, sample_project
from up2u_cba import pipeline
from up2u_cba.problems import errors

YEARS = "assumptions.spend_profile.years"


def with_settings(folder, text: str):
    settings = sample_project(folder)
    settings.write_text(settings.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    return settings


def test_the_sample_year_spread_over_fifty_years_is_refused_not_discounted_below_what_was_spent(tmp_path):
    # before: the £90,000 paid yearly over 50 years was discounted to a prudent spend of £43,698,
    # a prudent return of £14.37 against the gross £6.98, with no warning
    settings = with_settings(tmp_path, '[assumptions.spend_profile]\npaid = "yearly"\nyears = 50\n')
    _, problems = pipeline.load(str(settings))
    assert [(problem.code, problem.where) for problem in errors(problems)] == [("bad-assumption", YEARS)]
    result = invoke("report", "--settings", settings)
    assert_refused(result, "up2u-cba.toml", YEARS)
    assert "14.37" not in result.output


@pytest.mark.parametrize("years", ["2", "0", "1.5", '"1"'])
def test_any_spread_but_the_year_itself_is_refused(tmp_path, years):
    settings = with_settings(tmp_path, f"[assumptions.spend_profile]\nyears = {years}\n")
    assert_refused(invoke("validate", "--settings", settings), "up2u-cba.toml", YEARS)


@pytest.mark.parametrize("paid", ["monthly", "yearly", "Monthly", " YEARLY "])
@pytest.mark.parametrize("cost_setting, bcp_spend", [("", 90000),
                                                     ("[assumptions.cost_optimism_bias]\ngrade = 3\n", 99000)])
def test_no_profile_makes_the_prudent_spend_below_the_spend_nor_the_prudent_return_above_the_gross(
        tmp_path, paid, cost_setting, bcp_spend):
    settings = with_settings(tmp_path, f'[assumptions.spend_profile]\npaid = "{paid}"\nyears = 1\n\n{cost_setting}')
    result = pipeline.run(str(settings))
    assert result.green_book.spend_paid == paid.strip().lower()  # (any capitals: "Monthly" is monthly)
    for summary in result.services:
        assert summary.prudent_spend >= summary.spend
        assert summary.financial_return <= summary.return_on_investment
    bcp = result.services[0]
    assert (bcp.spend, bcp.prudent_spend, bcp.return_on_investment) == (90000, bcp_spend, Decimal("6.98"))


def test_reports_and_the_method_sheet_say_the_spend_is_paid_within_the_year(tmp_path):
    import openpyxl

    from up2u_cba.method import assumptions
    from up2u_cba.outputs import render_xlsx

    settings = with_settings(tmp_path, '[assumptions.spend_profile]\npaid = "yearly"\n')
    data = json.loads(invoke("report", "--format", "json", "--settings", settings).output)
    assert {row["assumption"]: row["value"] for row in data["assumptions"]}["Spend profile"] == \
        "paid at the start of the year, within the year (not discounted)"
    assert assumptions.SPEND_WITHIN_THE_YEAR in data["spend_basis"]
    path = tmp_path / "report.xlsx"
    render_xlsx.write(pipeline.run(str(settings)), str(path))
    method = {row[0]: row[1] for row in openpyxl.load_workbook(path)["Method"].iter_rows(values_only=True) if row[0]}
    assert assumptions.SPEND_WITHIN_THE_YEAR in method["Spend"]
