"""The commissioning forecast (issue #14): completions from the service's own completion rate,
savings from its own completed cases, by year and agency, with the interval of resampled plans."""

from __future__ import annotations

import csv
import decimal
import json
from decimal import Decimal

import pytest

from conftest import DEFLATORS, GMCA_CSV, SETTINGS
from hostile import assert_refused, invoke
from up2u_cba import models, pipeline
from up2u_cba.method import forecast as forecast_

PLAN = dict(service="BCP", places=60, spend=Decimal(95000))


def recorded(years: list[str]) -> tuple[int, int, Decimal]:
    """BCP's completed cases, ended cases and total saving over ``years``, from the year-end reports."""
    completed = ended = 0
    saving = models.ZERO
    for year in years:
        (summary,) = pipeline.run(str(SETTINGS), year=year, service="BCP").services
        completed, ended, saving = completed + summary.completers, ended + summary.ended, saving + summary.total_saving
    return completed, ended, saving


def test_expected_completers_are_the_recorded_completion_rate_times_the_places():
    result = pipeline.forecast(str(SETTINGS), **PLAN, years=2)
    completed, ended, saving = recorded(["2020/21", "2021/22", "2022/23"])
    assert [str(year) for year in result.built_from] == ["2020/21", "2021/22", "2022/23"]
    assert (result.completed, result.ended) == (completed, ended)
    assert [year.completers for year in result.years] == [
        (Decimal(60) * (Decimal(completed) / ended).quantize(Decimal("0.0001"))).quantize(Decimal("0.1"), decimal.ROUND_HALF_UP)] * 2
    # each expected completer saves the mean of the cases it is drawn from
    assert result.average_saving == models.to_pence(saving / completed)
    assert result.years[0].gross_saving == models.whole_pounds(
        Decimal(60) * (Decimal(completed) / ended).quantize(Decimal("0.0001")) * models.to_pence(saving / completed))
    # and the totals are the sums of the years, the agencies the split of the total
    assert result.gross_saving == sum(year.gross_saving for year in result.years)
    assert sum(result.by_agency.values()) == result.gross_saving
    assert sum(result.prudent_by_agency.values()) == result.prudent_saving


def test_the_interval_holds_the_expected_return_and_the_same_seed_repeats_it():
    first = pipeline.forecast(str(SETTINGS), **PLAN, years=3)
    assert first.return_interval.low < first.return_on_investment < first.return_interval.high
    assert first.prudent_return_interval.low < first.financial_return < first.prudent_return_interval.high
    assert pipeline.forecast(str(SETTINGS), **PLAN, years=3).model_copy(update={"made": {}}) == \
        first.model_copy(update={"made": {}})  # (all but the time it was made)
    # a later year's cohort and spend are discounted: the prudent figures fall year by year
    assert [year.prudent_saving for year in first.years] == sorted((year.prudent_saving for year in first.years),
                                                                   reverse=True)
    assert first.years[0].prudent_spend == first.spend_real > first.years[1].prudent_spend


def test_break_even_completers_are_a_years_spend_over_the_average_saving_rounded_up():
    result = pipeline.forecast(str(SETTINGS), service="BCP", places=60, spend=Decimal(95000))
    completed, _, saving = recorded(["2020/21", "2021/22", "2022/23"])
    assert result.break_even_completers == -(-int(result.spend_real) * completed // int(saving))  # ceiling


def test_forecast_prints_what_it_is_built_from_and_json_carries_every_figure():
    text = invoke("forecast", "--settings", SETTINGS, "--service", "BCP", "--places", "60", "--spend", "95000",
                  "--years", "5")
    assert text.exit_code == 0, text.output
    assert "Built from BCP's cases of 2020/21 to 2022/23" in text.output
    assert "not a counterfactual" in text.output and "90% interval" in text.output
    data = json.loads(invoke("forecast", "--settings", SETTINGS, "--service", "BCP", "--places", "60", "--spend",
                             "95000", "--format", "json").output)
    assert data["schema"] == "up2u-cba/forecast/1"
    assert data["built_from"]["years"] == ["2020/21", "2021/22", "2022/23"]
    assert data["totals"]["gross_saving"] == sum(year["gross_saving"] for year in data["years"])


def test_a_year_with_no_completed_case_to_build_from_is_refused():
    result = invoke("forecast", "--settings", SETTINGS, "--service", "BCP", "--places", "60", "--spend", "95000",
                    "--year", "2010/11", "--history-years", "1")
    assert_refused(result, "--service", "2010/11")
    assert result.exit_code != 0


def test_places_and_spend_must_be_positive_whole_numbers_and_spend_is_read_as_typed():
    for option, value in (("--places", "0"), ("--spend", "-5"), ("--places", "sixty"), ("--spend", "95000.50"),
                          ("--spend-prices", "2026")):
        arguments = {"--places": "60", "--spend": "95000", option: value}
        result = invoke("forecast", "--settings", SETTINGS, "--service", "BCP", *[item for pair in arguments.items()
                                                                                for item in pair])
        assert result.exit_code in (1, 2) and option in result.output and "Traceback" not in result.output
    typed = invoke("forecast", "--settings", SETTINGS, "--service", "BCP", "--places", "60", "--spend", "£95,000",
                   "--spend-prices", "2018/19")
    assert typed.exit_code == 0 and "£95,000 a year" in typed.output


def test_the_spend_is_deflated_to_the_savings_price_year():
    result = pipeline.forecast(str(SETTINGS), **PLAN, spend_prices="2025/26")
    with open(DEFLATORS, encoding="utf-8") as table:
        deflators = {row["financial_year"]: Decimal(row["index"]) for row in csv.DictReader(table)}
    assert result.spend_real == models.whole_pounds(95000 * deflators["2018-19"] / deflators["2025-26"])
    assert result.spend_real < 95000 and result.years[0].spend == result.spend_real
    same = pipeline.forecast(str(SETTINGS), **PLAN, spend_prices="2018/19")
    assert same.spend_real == 95000


def test_a_case_closed_and_completed_later_counts_once_in_the_completion_rate(tmp_path):
    from project_text import completed_case, settings_text

    (tmp_path / "cases").mkdir()
    reopened = completed_case('[[outcomes]]\ncode = "CR2.0"\nquantity = 1\n', "BCP-9001").replace(
        '[[status]]\nstatus = "completed"',
        '[[status]]\nstatus = "closed"\nreason = "on_hold"\ndate = 2022-06-01\n\n'
        '[[status]]\nstatus = "programme"\ndate = 2022-07-01\n\n[[status]]\nstatus = "completed"')
    (tmp_path / "cases" / "BCP-9001.toml").write_text(reopened)
    (tmp_path / "cases" / "BCP-9002.toml").write_text(
        completed_case('[[outcomes]]\ncode = "CR2.0"\nquantity = 2\n', "BCP-9002"))
    settings = tmp_path / "up2u-cba.toml"
    settings.write_text(settings_text([str(GMCA_CSV)], 5000))
    result = pipeline.forecast(str(settings), service="BCP", places=10, spend=Decimal(5000))
    assert (result.completed, result.ended, result.completion_rate) == (2, 2, Decimal(1))
    assert result.small_cohort
    assert "to build from: the forecast and its interval are rough" in invoke(
        "forecast", "--settings", settings, "--service", "BCP", "--places", "10", "--spend", "5000").output


def test_the_interval_keeps_the_uncertainty_of_the_past_cases_however_many_places():
    # 24 past completers: more places cannot make the forecast surer than the cases it rests on
    many = pipeline.forecast(str(SETTINGS), service="BCP", places=6000, spend=Decimal(9_500_000), years=1)
    assert many.return_interval.high / many.return_interval.low > Decimal("1.5")


def test_a_cohort_lands_in_one_year_for_the_figures_the_text_and_the_sheet():
    result = pipeline.forecast(str(SETTINGS), **PLAN, years=2)
    landing = forecast_.completion_year(result.months_to_complete)
    rate, average = result.completion_rate, result.prudent_average
    assert result.years[0].prudent_saving == models.whole_pounds(
        60 * rate * average / (1 + result.discount_rate) ** landing)
    assert f"{6 + result.months_to_complete:.1f} months after the year starts" in \
        invoke("forecast", "--settings", SETTINGS, "--service", "BCP", "--places", "60", "--spend", "95000",
               "--years", "2").output


def test_the_forecast_workbook_recalculates_to_the_tool_and_follows_a_changed_plan(tmp_path):
    import openpyxl

    from test_xlsx import recalculate
    from up2u_cba.outputs import render_forecast_xlsx

    path = tmp_path / "forecast.xlsx"
    result = invoke("forecast", "--settings", SETTINGS, "--service", "BCP", "--places", "60", "--spend", "95000",
                    "--years", "3", "--xlsx", path)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    sheet = book[render_forecast_xlsx.SHEET]
    labels = {row[0].value: row[0].row for row in sheet.iter_rows(max_col=1) if row[0].value}
    sheet.cell(labels["Places a year"], 2, 50)  # a commissioner tries 50 places for £80,000
    sheet.cell(next(row for label, row in labels.items() if label.startswith("Spend a year at 2018/19 prices")), 2,
               80000)
    edited = tmp_path / "edited" / "forecast.xlsx"
    edited.parent.mkdir()
    book.save(edited)
    recalculated = recalculate(edited, tmp_path)[render_forecast_xlsx.SHEET]
    expected = pipeline.forecast(str(SETTINGS), service="BCP", places=50, spend=Decimal(80000), years=3,
                                 spend_prices="2018/19")  # (the sheet's spend is at the savings' price year)
    rows = {row[0]: row[1:] for row in recalculated.iter_rows(values_only=True) if row[0] is not None}
    for year in expected.years:
        assert rows[year.index + 1][:5] == (pytest.approx(float(year.completers)), year.gross_saving,
                                            year.prudent_saving, year.spend, year.prudent_spend)
    assert rows["Total"][1:4] == (expected.gross_saving, expected.prudent_saving, expected.spend)
    assert rows["Return per £1 spent"][:2] == (pytest.approx(float(expected.return_on_investment)),
                                               pytest.approx(float(expected.financial_return)))
    assert rows["Net present budget impact (prudent saving - prudent spend)"][1] == expected.net_present_budget_impact


def test_resampled_plans_draw_the_assumptions_where_the_settings_ask(tmp_path):
    from hostile import sample_project

    settings = sample_project(tmp_path)
    with settings.open("a", encoding="utf-8") as file:  # every draw: deadweight 50%, the rest without effect
        file.write('\n[uncertainty]\nvary_assumptions = true\n\n[sensitivity]\ndeadweight = [0.5, 0.5]\n'
                   'attribution = [1.0, 1.0]\noptimism_bias = [0.0, 0.0]\ndrop_off = [0.0, 0.0]\n'
                   'discount_rate = [0.0, 0.0]\n')
    varied = pipeline.forecast(str(settings), **PLAN, spend_prices="2018/19")
    plain = pipeline.forecast(str(SETTINGS), **PLAN, spend_prices="2018/19")
    assert varied.assumptions_varied and not plain.assumptions_varied
    assert varied.financial_return == plain.financial_return  # the point figures are the settings' own
    # the sample's cohort lands a year on, discounted at 3.5%: each drawn plan's prudent saving is about
    # half of its gross one, as the drawn deadweight says
    ratio = varied.prudent_return_interval.high / varied.return_interval.high
    assert Decimal("0.45") < ratio < Decimal("0.5")
    assert "also draw each Green Book assumption" in invoke(
        "forecast", "--settings", settings, "--service", "BCP", "--places", "60", "--spend", "95000").output


def test_payback_is_the_year_the_savings_stay_ahead_not_the_first_they_reach_the_spend():
    """The year-end report's rule (issue #13 review): a first cohort's large saving reaching two
    years' spend is no payback when the later cohorts' savings leave the spend ahead for good."""
    def planned(savings: list[int]) -> forecast_.Forecast:
        years = tuple(forecast_.ForecastYear.model_construct(index=index, prudent_saving=Decimal(saving),
                                                             prudent_spend=Decimal(100))
                      for index, saving in enumerate(savings))
        return forecast_.Forecast.model_construct(plan=forecast_.Plan.model_construct(years=len(savings)),
                                                  years=years, months_to_complete=Decimal(6))

    # spend 100 a year in years 0-2; each cohort's saving counts a year later (6 + 6 months)
    assert planned([250, 10, 10]).payback_year is None  # ahead in year 1 (250 >= 200), behind from year 2
    assert planned([250, 10, 60]).payback_year == 4  # ahead in year 1, behind in 2, ahead for good from 3
    assert planned([250, 100, 100]).payback_year == 2  # ahead from year 1 to the end


def test_a_forecast_from_one_case_says_its_interval_has_no_width_for_want_of_cases_and_how_to_choose_years(tmp_path):
    """A newcomer's one test case completed this year made the default years hold one case: the
    '90% interval £4.51 to £4.51' read as certainty."""
    from project_text import completed_case, settings_text

    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "BCP-9001.toml").write_text(
        completed_case('[[outcomes]]\ncode = "CR2.0"\nquantity = 1\n', "BCP-9001"))
    settings = tmp_path / "up2u-cba.toml"
    settings.write_text(settings_text([str(GMCA_CSV)], 5000))
    result = pipeline.forecast(str(settings), service="BCP", places=10, spend=Decimal(5000))
    assert result.completed == 1 and result.return_interval.low == result.return_interval.high
    shown = invoke("forecast", "--settings", settings, "--service", "BCP", "--places", "10", "--spend", "5000").output
    earlier = models.FinancialYear(start=result.built_from[0].start - 1)
    assert "from one case the interval has no width" in shown and f"--year {earlier}" in shown
