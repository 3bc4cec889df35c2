"""Green Book analysis: the prudent figure beside the gross one, the measures, and sensitivity."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal

import pytest
from click.testing import CliRunner

from project_text import completed_case, settings_text
from conftest import GMCA_CSV, ROOT, SETTINGS
from up2u_cba import pipeline
from up2u_cba.cli.main import main

LOCAL_COSTS = """\
code,theme,description,unit,agency_1,agency_2,fiscal_value,fiscal_price_year,economic_value,economic_price_year,rag,source
TST-A,Crime,Amber test cost,Per incident,Police,,1000,2018/19,200,2018/19,A,test
TST-G,Health,Green test cost,Per year,NHS,,500,2018/19,,,G,test
"""


def project(tmp_path, assumptions: str = "", outcomes: str = "", spend: int = 90000):
    """A small project: the shipped national costs, two test costs, one completed case."""
    (tmp_path / "cases").mkdir()
    (tmp_path / "local.csv").write_text(LOCAL_COSTS)
    (tmp_path / "cases" / "BCP-9001.toml").write_text(completed_case(textwrap.dedent(outcomes)))
    settings = tmp_path / "up2u-cba.toml"
    settings.write_text(settings_text([str(GMCA_CSV), "local.csv"], spend, more=textwrap.dedent(assumptions)))
    return settings


def only_line(settings):
    (summary,) = pipeline.run(str(settings)).services
    (line,) = summary.lines
    return summary, line


def test_with_default_settings_prudent_equals_gross_for_every_line_of_the_sample():
    result = pipeline.run(str(SETTINGS))
    lines = [line for summary in result.services for line in summary.lines]
    assert lines and all(line.prudent_saving == line.saving for line in lines)
    for summary in result.services:
        assert summary.prudent_total == summary.total_saving
        assert summary.prudent_by_agency == summary.by_agency


def test_three_year_benefit_matches_a_hand_calculation(tmp_path):
    settings = project(tmp_path, assumptions="""
        [assumptions.deadweight]
        default = 0.0
        codes = { "TST-A" = 0.2 }
        note = "test"

        [assumptions.attribution]
        default = 0.75

        [assumptions.optimism_bias]
        G = 0.05
        A = 0.15
        R = 0.4

        [assumptions.drop_off]
        default = 0.1
        """, outcomes="""
        [[outcomes]]
        code = "TST-A"
        quantity = 2
        years = 3
        description = "Fewer incidents, three years"
        """)
    summary, line = only_line(settings)
    # by hand: £1,000 at 2018/19 prices (uprating 1) x 2 incidents
    # years: 1 + 0.9/1.035 + 0.81/1.035^2 = 1 + 0.8695652174 + 0.7561436673 = 2.6257088847
    # x (1 - 0.2 deadweight) x 0.75 attribution x (1 - 0.15 amber optimism bias) = x 0.51
    # 2,000 x 2.6257088847 x 0.51 = 2,678.22 -> £2,678
    assert line.saving == 6000
    assert line.prudent_saving == 2678
    assert (line.deadweight, line.attribution, line.grade, line.optimism_bias) == \
        (Decimal("0.2"), Decimal("0.75"), "A", Decimal("0.15"))
    assert line.prudent_economic == 536  # the same adjustments on £200 economic value: 535.64
    assert summary.prudent_total == 2678 and summary.total_saving == 6000


def test_a_line_can_set_its_own_deadweight_attribution_and_grade_with_a_reason(tmp_path):
    settings = project(tmp_path, assumptions="""
        [assumptions.optimism_bias]
        R = 0.5
        """, outcomes="""
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        deadweight = 0.5
        attribution = 0.5
        confidence = "R"
        adjustment_reason = "Also supported by a housing programme"
        """)
    _, line = only_line(settings)
    assert line.saving == 500
    assert line.prudent_saving == 63  # 500 x 0.5 x 0.5 x 0.5 = 62.5 -> 63 (half up)
    assert line.grade == "R"


def test_a_line_override_without_a_reason_is_refused(tmp_path):
    settings = project(tmp_path, outcomes="""
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        deadweight = 0.5
        """)
    _, problems = pipeline.load(str(settings))
    assert [(p.code, p.where) for p in problems] == [("missing-field", "outcomes[1].adjustment_reason")]


def test_bad_assumptions_are_reported_with_their_place(tmp_path):
    settings = project(tmp_path, assumptions="""
        [assumptions.deadweight]
        default = 1.5

        [assumptions.optimism_bias]
        A = "lots"

        [sensitivity]
        deadweight = [0.6, 0.2]
        """)
    inputs, problems = pipeline.load(str(settings))
    assert inputs is None
    assert sorted((p.code, p.where) for p in problems) == [
        ("bad-assumption", "assumptions.deadweight.default"),
        ("bad-assumption", "assumptions.optimism_bias.A"),
        ("bad-assumption", "sensitivity.deadweight"),
    ]


def test_duration_setting_applies_to_lines_that_do_not_state_years(tmp_path):
    settings = project(tmp_path, assumptions="""
        [assumptions.duration]
        codes = { "TST-G" = 2 }
        note = "test: benefits last two years"

        [assumptions.discount_rate]
        value = 0.0
        """, outcomes="""
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        """)
    _, line = only_line(settings)
    assert (line.years, line.saving, line.prudent_saving) == (Decimal(2), 1000, 1000)


def test_measures_by_value_type_cashability_transfers_and_payback(tmp_path):
    settings = project(tmp_path, spend=1800, assumptions="""
        [assumptions.cashability]
        default = 1.0
        agencies = { "Police" = 0.25 }

        [assumptions.transfers]
        codes = ["TST-G"]
        """, outcomes="""
        [[outcomes]]
        code = "TST-A"
        quantity = 1
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        years = 2
        """)
    (summary,) = pipeline.run(str(settings)).services
    # fiscal 1,000 (police) + 500 + 500/1.035 (NHS, a transfer); economic 200
    assert summary.prudent_total == 1000 + 983
    values = summary.prudent_by_value_type
    assert values == {"fiscal (excluding transfers)": 1000, "fiscal transfers": 983, "economic": 200, "social": 0}
    assert summary.public_value == 1200
    assert str(summary.public_value_ratio) == "0.67"  # 1,200 / 1,800
    assert str(summary.financial_return) == "1.10"  # 1,983 / 1,800
    assert summary.cashable_by_agency == {"Police": 250, "NHS": 983}
    # the case completed in December (month 8): year 0 brings 1,500 over months 8-19 against the
    # 1,800 spent by month 11; year 1 brings 483.09 evenly from month 20: 300 more takes 7.45
    # months, so it is reached in month 27, a payback period of 28 months
    assert summary.payback_months == 8 + 12 + 8


def exact_net_saving(summary) -> Decimal:
    """The prudent net saving from the lines' exact values, before each is rounded to whole pounds."""
    return sum((line.unit_value * line.uprating_factor * line.quantity * line.years_factor
                * (1 - line.deadweight) * line.attribution * (1 - line.optimism_bias) for line in summary.lines),
               Decimal(0)) - summary.spend


@pytest.mark.parametrize("label, name, shown, value, beyond", [
    ("Deadweight", "deadweight", "85.66% (pays at or below)", "0.8566835987", "0.8566835988"),
    ("Attribution", "attribution", "14.34% (pays at or above)", "0.1433164013", "0.1433164012"),
])
def test_switching_value_fed_back_just_pays_and_a_step_beyond_does_not(tmp_path, label, name, shown, value, beyond):
    """The text shows the switching value once, as a percentage rounded toward the side that pays
    (issue #12); the JSON gives it to 10 places."""
    result = CliRunner().invoke(main, ["sensitivity", "--settings", str(SETTINGS), "--service", "BCP"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith(f"| {label}"))
    assert row.split("|")[-2].strip() == shown
    data = json.loads(CliRunner().invoke(main, ["report", "--format", "json", "--settings", str(SETTINGS),
                                                "--service", "BCP"]).stdout)
    assert {row["assumption"]: row["switching_value"] for row in data["sensitivity"][0]["assumptions"]}[name] == value

    def summary_at(share: str):
        settings = tmp_path / f"{share}.toml"
        settings.write_text(SETTINGS.read_text().replace('cases = "cases"', f'cases = "{ROOT / "cases"}"')
                            .replace('"unit_costs/', f'"{ROOT}/unit_costs/')
                            + f"\n[assumptions.{name}]\ndefault = {share}\n")
        (summary,) = pipeline.run(str(settings), service="BCP").services
        return summary

    at_switch = summary_at(value)
    assert at_switch.total_saving == 627982  # gross untouched
    assert 0 <= exact_net_saving(at_switch) < Decimal("0.001")
    assert exact_net_saving(summary_at(beyond)) < 0
    # what the report shows there differs from zero only by each line's rounding to whole pounds
    assert abs(at_switch.prudent_net_saving) <= len(at_switch.lines) / 2


def test_sensitivity_is_ordered_by_effect(tmp_path):
    result = CliRunner().invoke(main, ["sensitivity", "--settings", str(SETTINGS), "--service", "BCP"])
    rows = [line.split("|") for line in result.stdout.splitlines()
            if line.startswith("| ") and not line.startswith("| Assumption")]
    swings = [int(row[6].strip().replace("£", "").replace(",", "")) for row in rows]
    assert [row[1].strip() for row in rows][0] in ("Deadweight", "Attribution")
    assert swings == sorted(swings, reverse=True) and swings[0] > 0


def test_json_and_text_carry_the_prudent_figures_and_assumptions(tmp_path):
    settings = project(tmp_path, assumptions="""
        [assumptions.deadweight]
        default = 0.25
        note = "Comparable programme evaluation"
        """, outcomes="""
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        """)
    data = json.loads(CliRunner().invoke(main, ["report", "--settings", str(settings), "--format", "json"]).stdout)
    service = data["services"][0]
    assert (service["total_saving"], service["prudent"]["total_saving"]) == (500, 375)
    assert service["cases"][0]["lines"][0]["prudent"]["deadweight"] == "0.25"
    assert {"assumption": "Deadweight", "value": "25%", "source": "Comparable programme evaluation"} in \
        data["assumptions"]
    text = CliRunner().invoke(main, ["report", "--settings", str(settings)]).stdout
    assert "| Total saving    |     £500 |      £375 |" in text
    assert "Comparable programme evaluation" in text


@pytest.mark.parametrize("name", ["deadweight", "attribution"])
def test_sensitivity_keeps_lines_own_overrides(tmp_path, name):
    settings = project(tmp_path, outcomes=f"""
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        {name} = 0.5
        adjustment_reason = "test"
        """)
    result = CliRunner().invoke(main, ["sensitivity", "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    # with the line's own 50%, the programme-wide value cannot move this case's saving
    row = next(line for line in result.stdout.splitlines() if line.startswith(f"| {name.capitalize()}"))
    assert "| £0 |" in row.replace(" ", "").replace("|£0|", "| £0 |")


def test_an_adjustment_reason_with_personal_data_is_refused_without_echoing_it(tmp_path):
    settings = project(tmp_path, outcomes="""
        [[outcomes]]
        code = "TST-G"
        quantity = 1
        deadweight = 0.5
        adjustment_reason = "Moved to AB12 3CD"
        """)
    _, problems = pipeline.load(str(settings))
    assert [(p.code, p.where) for p in problems] == [("personal-data", "outcomes[1].adjustment_reason")]
    assert "AB12" not in str(problems[0])


def test_typos_in_assumptions_are_reported_not_ignored(tmp_path):
    settings = project(tmp_path, assumptions="""
        [assumptions.deadweight]
        defualt = 0.3
        codes = { "TST-Q" = 0.5 }

        [assumptions.optimism_bias]
        r = 0.4

        [assumptions.duration]
        codes = 3

        [assumptions.cashability]
        agencies = [1]
        """)
    inputs, problems = pipeline.load(str(settings))
    assert sorted((p.code, p.where) for p in problems) == [
        ("bad-assumption", "assumptions.cashability.agencies"),
        ("bad-assumption", "assumptions.duration.codes"),
        ("unknown-cost-code", 'assumptions.deadweight.codes."TST-Q"'),  # (with the rest, at once)
        ("unknown-setting", "assumptions.deadweight.defualt"),
        ("unknown-setting", "assumptions.optimism_bias.r"),
    ]
    settings.write_text(settings.read_text().split("[assumptions.deadweight]")[0]
                        + '[assumptions.deadweight]\ncodes = { "TST-Q" = 0.5 }\n')
    _, problems = pipeline.load(str(settings))
    assert [(p.code, p.where) for p in problems] == [("unknown-cost-code", 'assumptions.deadweight.codes."TST-Q"')]


def test_payback_counts_a_part_year_benefit_over_its_part_only(tmp_path):
    settings = project(tmp_path, spend=250, outcomes="""
        [[outcomes]]
        code = "TST-A"
        quantity = 1
        years = 0.5
        """)
    (summary,) = pipeline.run(str(settings)).services
    # £1,000 a year for half a year: £500 accruing over the 6 months from December (month 8),
    # £83.33 a month, against £20.83 spent each month: by month 10, £250 against £229.17
    assert summary.prudent_total == 500
    assert summary.payback_months == 11


def test_an_unrated_cost_takes_the_red_optimism_bias(tmp_path):
    settings = project(tmp_path, assumptions="""
        [assumptions.optimism_bias]
        G = 0.1
        A = 0.2
        R = 0.4
        """, outcomes="""
        [[outcomes]]
        code = "TST-U"
        quantity = 1
        """)
    (tmp_path / "local.csv").write_text(LOCAL_COSTS + "TST-U,Crime,Unrated cost,Each,Police,,100,2018/19,,,,\n")
    _, line = only_line(settings)
    assert (line.grade, line.prudent_saving) == ("R", 60)


def test_the_same_spend_year_twice_is_refused(tmp_path):
    settings = project(tmp_path)
    settings.write_text(settings.read_text().replace('spend = { "2022/23" = 90000 }',
                                                     'spend = { "2022/23" = 90000, "2022-23" = 5 }'))
    inputs, problems = pipeline.load(str(settings))
    assert [(p.code, p.where) for p in problems] == [("duplicate-year", "services.BCP.spend")]


def test_payback_agrees_with_the_rounded_net_saving(tmp_path):
    settings = project(tmp_path, spend=5, outcomes="".join(
        '\n[[outcomes]]\ncode = "TST-3"\nquantity = 0.5\n' for _ in range(3)))
    (tmp_path / "local.csv").write_text(LOCAL_COSTS + "TST-3,Crime,Three pounds,Each,Police,,3,2018/19,,,A,test\n")
    (summary,) = pipeline.run(str(settings)).services
    # each line is £1.50, rounded to £2: £6 against £5 spent pays back, as the net saving says:
    # 50p a month from month 8 reaches the £5 (all spent by month 11) in month 17
    assert (summary.prudent_total, summary.prudent_net_saving) == (6, 1)
    assert summary.payback_months == 18
