"""How sure a year's figures are (issue #14): the bootstrap of whole cases, checked against a
hand-worked case whose every resample is listed; where the saving comes from; break-even."""

from __future__ import annotations

import json
import math
import random
import textwrap
from decimal import Decimal

import pytest

from project_text import completed_case, settings_text
from conftest import SETTINGS
from hostile import assert_refused, invoke
from up2u_cba import models, pipeline
from up2u_cba.method import uncertainty

COSTS = """\
code,theme,description,unit,agency_1,agency_2,fiscal_value,fiscal_price_year,economic_value,economic_price_year,rag,source
TST-U,Crime,Test cost of 100,Per incident,Police,,100,2018/19,,,G,test
"""


def three_cases(folder, uncertainty_settings: str = ""):
    """Three completed cases saving £100, £200 and £600 against a spend of £500."""
    (folder / "cases").mkdir(parents=True)
    (folder / "costs.csv").write_text(COSTS)
    for number, quantity in ((9001, 1), (9002, 2), (9003, 6)):
        (folder / "cases" / f"BCP-{number}.toml").write_text(
            completed_case(f'[[outcomes]]\ncode = "TST-U"\nquantity = {quantity}\nyears = 1\n', f"BCP-{number}"))
    settings = folder / "up2u-cba.toml"
    settings.write_text(settings_text(["costs.csv"], 500, more=textwrap.dedent(uncertainty_settings)))
    return settings


def test_three_cases_every_resample_listed_as_worked_by_hand(tmp_path):
    # The 27 ordered resamples of (100, 200, 600) total, by how many of each case they hold:
    # 300 x1, 400 x3, 500 x3, 600 x1, 800 x3, 900 x6, 1000 x3, 1300 x3, 1400 x3, 1800 x1.
    # A 90% interval by nearest rank takes ranks ceil(0.05 x 27) = 2 and ceil(0.95 x 27) = 26:
    # 400 and 1400. Above the £500 spend: 27 - 7 = 20 of 27.
    (entry,) = pipeline.run(str(three_cases(tmp_path))).uncertainty
    assert (entry.resamples, entry.seed) == (27, None)  # listed, not drawn
    assert (entry.total.low, entry.total.high) == (400, 1400)
    assert (entry.net.low, entry.net.high) == (-100, 900)
    assert (entry.return_per_pound.low, entry.return_per_pound.high) == (Decimal("0.80"), Decimal("2.80"))
    assert entry.pays_for_itself == Decimal("0.7407")  # 20/27
    # where the saving comes from: the £600 case is two thirds of £900
    assert (entry.largest_case, entry.largest_case_share) == ("BCP-9003", Decimal("0.6667"))
    assert (entry.top_tenth_cases, entry.top_tenth_share) == (1, Decimal("0.6667"))
    assert entry.return_without_largest == Decimal("0.60")  # £300 against £500
    # break-even: £500 / the £300 average, rounded up
    assert entry.break_even_completers == 2
    assert entry.break_even_spend == 900
    assert entry.small_cohort


def test_the_report_shows_the_interval_and_how_it_was_made(tmp_path):
    text = invoke("report", "--settings", three_cases(tmp_path)).output
    assert "| Return, 90% interval (resampled cases)" in text and "£0.80 to £2.80" in text
    assert "in 74% of resamples" in text
    assert "every one of the 27 possible resamples of the 3 completed cases" in text
    assert "Only 3 completed cases" in text  # the small-cohort warning
    data = json.loads(invoke("report", "--settings", three_cases(tmp_path / "json"), "--format", "json").output)
    (entry,) = data["uncertainty"]
    assert entry["gross"]["return_on_investment"] == {"low": "0.80", "high": "2.80"}
    assert entry["gross"]["pays_for_itself"] == "0.7407" and entry["exact"] is True


def test_a_bigger_level_widens_the_interval_and_the_settings_say_so(tmp_path):
    (entry,) = pipeline.run(str(three_cases(tmp_path, "[uncertainty]\nlevel = 0.99\n"))).uncertainty
    # ranks ceil(0.005 x 27) = 1 and ceil(0.995 x 27) = 27: the extremes
    assert (entry.total.low, entry.total.high) == (300, 1800)


def test_the_sample_is_the_same_with_the_same_seed_and_close_with_another():
    first = pipeline.run(str(SETTINGS)).uncertainty[0]
    again = pipeline.run(str(SETTINGS)).uncertainty[0]
    assert first == again and first.seed is not None and first.resamples == 2000
    summary = pipeline.run(str(SETTINGS)).services[0]
    assert first.return_per_pound.low < summary.return_on_investment < first.return_per_pound.high
    other = uncertainty.analyse(summary, models.Resampling(seed=7))
    assert other.total != first.total  # a different draw ...
    for mine, theirs in ((first.total.low, other.total.low), (first.total.high, other.total.high)):
        assert abs(mine - theirs) < Decimal("0.1") * summary.total_saving  # ... within resampling noise


def test_break_even_of_the_sample_is_the_spend_over_the_average_saving_rounded_up():
    result = pipeline.run(str(SETTINGS))
    bcp, entry = result.services[0], result.uncertainty[0]
    assert entry.break_even_completers == math.ceil(bcp.spend / bcp.average_saving) == 3
    assert entry.largest_case_share == (max(case.total for case in bcp.cases) / bcp.total_saving).quantize(Decimal("0.0001"))


def test_one_draw_serves_gross_and_prudent_exactly_as_drawing_each_case():
    cases = [(random.Random(n).randrange(0, 10 ** 6), random.Random(-n).randrange(0, 10 ** 5)) for n in range(40)]
    resampling = models.Resampling(resamples=300, seed=11)
    draws, seed = uncertainty.resampled(cases, resampling)
    generator = random.Random(11)
    expected = []
    for _ in range(300):
        chosen = [cases[index] for index in generator.choices(range(len(cases)), k=len(cases))]
        expected.append((sum(g for g, _ in chosen), sum(p for _, p in chosen)))
    assert (draws, seed) == (expected, 11)


@pytest.mark.parametrize("setting, field", [("level = 1.5", "uncertainty.level"), ("resamples = 5", "uncertainty.resamples"),
                                            ('seed = "x"', "uncertainty.seed"), ("small_cohort = 0", "uncertainty.small_cohort")])
def test_a_bad_resampling_setting_is_refused_naming_it(tmp_path, setting, field):
    settings = three_cases(tmp_path, f"[uncertainty]\n{setting}\n")
    assert_refused(invoke("validate", "--settings", settings), str(settings), field)


def test_a_very_large_year_draws_fewer_resamples_within_the_budget(monkeypatch):
    monkeypatch.setattr(uncertainty, "DRAW_BUDGET", 300 * 40)
    cases = [(n, n) for n in range(300)]
    draws, _ = uncertainty.resampled(cases, models.Resampling(resamples=2000))
    assert len(draws) == uncertainty.FEWEST_RESAMPLES  # 12,000 / 300 = 40, raised to the fewest
    draws, _ = uncertainty.resampled(cases[:5], models.Resampling(resamples=2000))
    assert len(draws) == 2000  # a small year keeps what the settings ask


def test_the_workbook_shows_the_intervals_marked_as_the_tools_and_never_publishes_them(tmp_path):
    import openpyxl

    from up2u_cba.outputs import render_xlsx

    settings = three_cases(tmp_path)
    result = pipeline.run(str(settings))
    path, published = tmp_path / "r.xlsx", tmp_path / "p.xlsx"
    render_xlsx.write(result, str(path))
    render_xlsx.write(result, str(published), publish=True)
    book = openpyxl.load_workbook(path)
    sheet = book[render_xlsx.HOW_SURE]
    rows = {row[1]: row[2:] for row in sheet.iter_rows(min_row=render_xlsx.HEADER_ROW + 1, values_only=True)}
    assert rows["Return per £1 spent"][:3] == (1.8, 0.8, 2.8)  # £900 / £500, and the hand-worked interval
    assert rows["Total saving"][:3] == (900, 400, 1400)
    assert "not recalculated by the spreadsheet" in sheet["A2"].value
    method = {row[0]: row[1] for row in book["Method"].iter_rows(values_only=True) if row[0]}
    assert "bootstrap" in method[render_xlsx.HOW_SURE] and "not a counterfactual" in method["Forecast"]
    summary_lines = [row[0] for row in book["Summary"].iter_rows(values_only=True) if str(row[0]).startswith("How sure:")]
    assert summary_lines and "£0.80 to £2.80" in summary_lines[0]
    assert render_xlsx.HOW_SURE not in openpyxl.load_workbook(published).sheetnames


def test_drawing_the_assumptions_too_moves_the_prudent_interval_as_worked_by_hand(tmp_path):
    # every draw puts deadweight at 50% (its range is one value) and the others at no effect:
    # each case's prudent saving is half its saving (£50, £100, £300); of the 27 equally likely
    # resamples, sums of 150 are 1/27 (3.7%) and up to 200 are 4/27 (14.8%), so the 5% point is
    # £200; up to 650 are 23/27 (85.2%), up to 700 26/27 (96.3%), so the 95% point is £700
    settings = three_cases(tmp_path, """
        [uncertainty]
        vary_assumptions = true

        [sensitivity]
        deadweight = [0.5, 0.5]
        attribution = [1.0, 1.0]
        optimism_bias = [0.0, 0.0]
        drop_off = [0.0, 0.0]
        discount_rate = [0.035, 0.035]
        """)
    (entry,) = pipeline.run(str(settings)).uncertainty
    assert entry.assumptions_varied and entry.prudent_resamples == 2000
    assert (entry.prudent_total.low, entry.prudent_total.high) == (200, 700)
    assert (entry.total.low, entry.total.high) == (400, 1400)  # the gross interval is the cases' alone
    (point,) = pipeline.run(str(settings)).services
    assert point.prudent_total == 900  # the point figures are the settings' own, never drawn
    assert "also draw each Green Book assumption" in invoke("report", "--settings", settings).output


def test_vary_assumptions_must_be_true_or_false(tmp_path):
    settings = three_cases(tmp_path, "[uncertainty]\nvary_assumptions = \"yes\"\n")
    assert_refused(invoke("validate", "--settings", settings), str(settings), "uncertainty.vary_assumptions")
