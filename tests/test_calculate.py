"""The calculation: rounding, uprating, totals as exact sums, agency split, participant rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import case, cost, outcome, year
from up2u_cba import models
from up2u_cba.method import calculate

COMPLETED = [("referred", "2022-05-01"), ("assessment", "2022-05-10"), ("programme", "2022-06-01"),
             ("completed", "2022-11-30")]


def test_financial_year_parses_and_bounds():
    fy = year("2022/23")
    assert (fy.start, str(fy)) == (2022, "2022/23")
    assert year("2022-23") == fy == year("2022/2023")
    assert str(fy.first_day) == "2022-04-01" and str(fy.last_day) == "2023-03-31"
    assert models.FinancialYear.containing(fy.last_day) == fy
    assert str(year("1999/00")) == "1999/00"
    for bad in ("2022/24", "22/23", "2022", "next year"):
        with pytest.raises(ValueError):
            year(bad)


def test_whole_pounds_rounds_half_up():
    assert models.whole_pounds(Decimal("1056.5")) == 1057
    assert models.whole_pounds(Decimal("1056.49")) == 1056
    assert models.whole_pounds(Decimal("2.5")) == 3  # banker's rounding would give 2


def test_uprating_uses_the_ratio_of_deflators(series):
    factor = series.factor(year("2009/10"), year("2018/19"))
    assert factor == Decimal("78.7948") / Decimal("67.7042")
    # domain.md: HE1.0, £1,800 at 2009/10, uprated to 2018/19 with the March 2026 series is £2,095
    line = calculate.value_line(case("BCP-0001", COMPLETED), outcome("HE1.0"),
                                {"HE1.0": cost("HE1.0", "1800", "2009/10", "NHS")}, series, year("2018/19"))
    assert line.saving == 2095
    assert line.uprating_factor == factor


def test_line_saving_is_value_times_quantity_times_years_rounded_once(series):
    costs = {"X1": cost("X1", "333.33", "2018/19")}
    line = calculate.value_line(case("BCP-0001", COMPLETED), outcome("X1", "3", "0.5"), costs, series,
                                year("2018/19"))
    # 333.33 x 3 x 0.5 = 499.995 -> 500 (rounding each factor first would give 499 or 500.5)
    assert line.saving == 500


def test_case_and_service_totals_are_exact_sums_of_rounded_lines(series):
    costs = {"X1": cost("X1", "0.5", "2018/19"), "X2": cost("X2", "100.4", "2018/19")}
    one = case("BCP-0001", COMPLETED, [outcome("X1"), outcome("X2")])
    two = case("BCP-0002", COMPLETED, [outcome("X1", "3")], locality="Bournemouth")
    service = models.ServiceSettings(name="BCP", localities=("Bournemouth", "Poole"),
                                     spend={year("2022/23"): Decimal(1000)})
    settings = models.Settings(file="s.toml", price_year=year("2018/19"), unit_cost_files=(), deflator_file="d",
                               deflator_series="d", cases_folder="c", services=(service,))
    valued = calculate.value_completed([one, two], costs, series, settings, ["BCP"], year("2022/23"))
    summary = calculate.summarise([one, two], valued, settings, service, year("2022/23"))
    lines = [line.saving for line in summary.lines]
    assert lines == [1, 100, 2]  # 0.5 -> 1, 100.4 -> 100, 1.5 -> 2
    assert summary.total_saving == 103 == sum(lines)
    assert [c.total for c in summary.cases] == [101, 2]
    assert summary.net_saving == 103 - 1000
    assert summary.return_on_investment == Decimal("0.10")
    assert summary.by_locality == {"Bournemouth": 2, "Poole": 101}
    assert sum(summary.by_agency.values()) == summary.total_saving
    assert sum(summary.by_theme.values()) == summary.total_saving


def test_return_on_investment_rounds_half_up_to_pence(series):
    costs = {"X1": cost("X1", "1005", "2018/19")}
    service = models.ServiceSettings(name="BCP", localities=("Poole",), spend={year("2022/23"): Decimal(1000)})
    settings = models.Settings(file="s.toml", price_year=year("2018/19"), unit_cost_files=(), deflator_file="d",
                               deflator_series="d", cases_folder="c", services=(service,))
    cases = [case("BCP-0001", COMPLETED, [outcome("X1")])]
    valued = calculate.value_completed(cases, costs, series, settings, ["BCP"], year("2022/23"))
    summary = calculate.summarise(cases, valued, settings, service, year("2022/23"))
    assert summary.return_on_investment == Decimal("1.01")  # 1.005: half up, not to even


def test_parent_saving_is_split_across_constituent_agencies(series):
    costs = {
        "CR2.0": cost("CR2.0", "2470", "2008/09", "Multiple"),
        "CR2.0.1": cost("CR2.0.1", "1171", "2008/09", "NHS / Acute Trust / Hospital", parent="CR2.0"),
        "CR2.0.2": cost("CR2.0.2", "581", "2008/09", "Criminal Justice System", parent="CR2.0"),
        "CR2.0.3": cost("CR2.0.3", "415", "2008/09", "Police", parent="CR2.0"),
        "CR2.0.4": cost("CR2.0.4", "193", "2008/09", "Local Authority / Children's Services", parent="CR2.0"),
        "CR2.0.5": cost("CR2.0.5", "110", "2008/09", "Local Authority / Housing Services", parent="CR2.0"),
    }
    line = calculate.value_line(case("BCP-0001", COMPLETED), outcome("CR2.0", "3"), costs, series, year("2018/19"))
    shares = dict(line.agency_shares)
    assert len(shares) == 5 and "Multiple" not in shares
    assert sum(shares.values()) == line.saving
    # each share is its exact proportion rounded down or up (largest remainder), never further
    for code in ("CR2.0.1", "CR2.0.2", "CR2.0.3", "CR2.0.4", "CR2.0.5"):
        exact = line.saving * costs[code].fiscal.amount / Decimal(2470)
        assert abs(shares[costs[code].agency] - exact) < 1


def test_split_never_gives_a_negative_share_and_goes_by_largest_remainder():
    quarters = [(agency, Decimal("0.25")) for agency in "WXYZ"]
    assert calculate.split(Decimal(2), quarters) == [("W", 1), ("X", 1), ("Y", 0), ("Z", 0)]
    assert calculate.split(Decimal(3), [(a, Decimal("0.2")) for a in "ABCDE"]) == \
        [("A", 1), ("B", 1), ("C", 1), ("D", 0), ("E", 0)]
    # 10 x (0.55, 0.30, 0.15) = 5.5, 3.0, 1.5: floors 5, 3, 1 and the pound left goes to the first .5
    assert calculate.split(Decimal(10), [("P", Decimal("0.55")), ("Q", Decimal("0.30")), ("R", Decimal("0.15"))]) \
        == [("P", 6), ("Q", 3), ("R", 1)]


def test_constituents_that_explain_part_of_the_parent_leave_the_rest_with_it(series):
    costs = {"P": cost("P", "1000", "2018/19", "Local Authority"),
             "P.1": cost("P.1", "250", "2018/19", "Police", parent="P")}
    line = calculate.value_line(case("BCP-0001", COMPLETED), outcome("P"), costs, series, year("2018/19"))
    assert dict(line.agency_shares) == {"Police": 250, "Local Authority": 750}


def test_alternatives_adding_up_to_more_than_the_parent_are_not_split(series):
    costs = {"P": cost("P", "100", "2018/19", "Prison"),
             "P.1": cost("P.1", "90", "2018/19", "Police", parent="P"),
             "P.2": cost("P.2", "110", "2018/19", "Courts", parent="P")}
    line = calculate.value_line(case("BCP-0001", COMPLETED), outcome("P"), costs, series, year("2018/19"))
    assert line.agency_shares == (("Prison", Decimal(100)),)


FY = year("2022/23")


@pytest.mark.parametrize("events, expected", [
    (COMPLETED, "Successful completers"),
    ([("referred", "2021-10-01"), ("programme", "2022-01-10"), ("completed", "2022-04-20")], "Successful completers"),
    ([("referred", "2021-06-01"), ("completed", "2022-03-31")], None),  # completed the year before
    ([("referred", "2022-09-01"), ("programme", "2022-10-01")], "On programme currently"),
    ([("referred", "2022-09-01"), ("programme", "2022-10-01"), ("completed", "2023-04-02")], "On programme currently"),
    ([("referred", "2023-03-01")], "In assessment stage"),
    ([("referred", "2023-02-01"), ("assessment", "2023-02-15")], "In assessment stage"),
    ([("referred", "2022-05-01"), ("closed", "2022-06-01", "disengaged")], "Disengaged or on hold"),
    ([("referred", "2022-05-01"), ("closed", "2022-06-01", "on_hold")], "Disengaged or on hold"),
    ([("referred", "2022-05-01"), ("closed", "2022-06-01", "no_contact")], "No contact / no engagement"),
    ([("referred", "2022-05-01"), ("closed", "2022-06-01", "not_suitable")], "Not suitable for programme"),
    ([("referred", "2021-05-01"), ("closed", "2021-06-01", "not_suitable")], None),
    ([("referred", "2023-04-01")], None),  # referred after the year
    # closed by mistake, then re-opened by a new event: the history stays, the latest counts
    ([("referred", "2022-05-01"), ("closed", "2022-06-01", "on_hold"), ("programme", "2022-07-01")],
     "On programme currently"),
])
def test_participant_row_follows_the_status_history(events, expected):
    assert calculate.participant_row(case("BCP-0001", events), FY) == expected


def test_participant_table_counts_referrals_separately_from_status_rows():
    service = models.ServiceSettings(name="BCP", localities=("Bournemouth", "Poole"))
    cases = [
        case("BCP-0001", [("referred", "2021-12-01"), ("completed", "2022-06-01")], locality="Bournemouth"),
        case("BCP-0002", [("referred", "2022-12-01")], locality="Bournemouth"),
        case("BCP-0003", [("referred", "2022-12-01"), ("closed", "2023-01-05", "no_contact")]),
        case("DOR-0001", [("referred", "2022-12-01")], service="Dorset", locality="Poole"),
    ]
    table = calculate.participants(cases, service, FY)
    assert table.counts["Total number of referrals"] == {"Bournemouth": 1, "Poole": 1}
    assert table.counts["Successful completers"] == {"Bournemouth": 1, "Poole": 0}
    assert table.counts["In assessment stage"] == {"Bournemouth": 1, "Poole": 0}
    assert table.counts["No contact / no engagement"] == {"Bournemouth": 0, "Poole": 1}
    assert table.total("Total number of referrals") == 2


def test_latest_year_is_the_last_year_with_a_completion():
    cases = [case("BCP-0001", [("referred", "2021-12-01"), ("completed", "2022-03-01")]),
             case("BCP-0002", [("referred", "2022-12-01"), ("completed", "2023-03-31")]),
             case("BCP-0003", [("referred", "2023-06-01")])]
    assert calculate.latest_year(cases) == year("2022/23")
    assert calculate.latest_year([cases[2]]) is None
