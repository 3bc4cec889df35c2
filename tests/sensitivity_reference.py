"""The slow reference for the sensitivity analysis: revalue every case for every value tried.

This is how ``method/sensitivity.analyse`` worked before it was computed from precomputed lines
(issue #11), with the switching value found the slow way from its definition: bisection, one
step of ``PRECISION`` at a time, over the exact (unrounded) prudent savings of every line revalued
at each value tried. The tests compare the two on random inputs, figure for figure.
"""

from __future__ import annotations

from decimal import Decimal

from up2u_cba import models
from up2u_cba.inputs import deflators
from up2u_cba.method import assumptions, calculate
from up2u_cba.method.sensitivity import PRECISION, Headline, Sensitivity, SensitivityRow, uniform

STEPS = int(1 / PRECISION)


def analyse(
    cases: list[models.CaseRecord],
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    settings: models.Settings,
    service: models.ServiceSettings,
    year: models.FinancialYear,
) -> Sensitivity:
    """The service's year: the central prudent result, then each assumption at its low and high
    value with its switching value, largest effect first, by revaluing every case each time."""
    completed = calculate.completed_in(cases, service.name, year)
    spend = service.spend[year]

    def exact_net(green_book: assumptions.Assumptions) -> Decimal:
        return sum((exact_saving(line) for case in completed
                    for line in calculate.value_case(case, costs, series, settings.price_year, green_book).lines),
                   models.ZERO) - calculate.exact_prudent_spend(spend, green_book)

    def headline(green_book: assumptions.Assumptions) -> Headline:
        total = sum((calculate.value_case(case, costs, series, settings.price_year, green_book).prudent_total
                     for case in completed), models.ZERO)
        prudent_spend = calculate.prudent_spend(spend, green_book)
        return Headline(prudent_total=total, net_saving=total - prudent_spend,
                        return_on_investment=calculate.per_pound(total, prudent_spend))

    rows = []
    for name in assumptions.SENSITIVITY_NAMES:
        low, high = settings.assumptions.sensitivity[name]
        def net_at(value: Decimal) -> Decimal:
            return exact_net(uniform(settings.assumptions, name, value))

        switching, pays_at_or_below, pays_throughout = switching_value(net_at)
        rows.append(SensitivityRow(
            assumption=name, low=low, high=high,
            at_low=headline(uniform(settings.assumptions, name, low)),
            at_high=headline(uniform(settings.assumptions, name, high)),
            switching_value=switching, pays_at_or_below=pays_at_or_below, pays_throughout=pays_throughout,
        ))
    rows.sort(key=lambda row: -row.swing)
    return Sensitivity(service=service.name, year=year, spend=calculate.prudent_spend(spend, settings.assumptions),
                       central=headline(settings.assumptions),
                       rows=tuple(rows))


def exact_saving(line: calculate.OutcomeLine) -> Decimal:
    """A revalued line's prudent saving before rounding: unit value x uprating x quantity x years
    factor x (1 - deadweight) x attribution x (1 - optimism bias), the figure its rounded prudent
    saving comes from (checked, so this follows the valuation)."""
    adjust = (1 - line.deadweight) * line.attribution * (1 - line.optimism_bias)
    exact = line.unit_value * line.uprating_factor * line.quantity * line.years_factor * adjust
    assert models.whole_pounds(exact) == line.prudent_saving, (exact, line.prudent_saving)
    return exact


def switching_value(net) -> tuple[Decimal | None, bool | None, bool | None]:
    """(switching value, pays at or below it, None) by bisection over 0 to 1 one step of
    ``PRECISION`` at a time: the last value at which the exact net saving ``net(value)`` is zero
    or more where it is so at 0 and not at 1, else the first; (None, None, pays throughout) where
    it is on one side of zero at both ends."""
    at_zero, at_one = net(Decimal(0)), net(Decimal(1))
    if (at_zero >= 0) == (at_one >= 0):
        return None, None, at_zero >= 0
    falling = at_zero >= 0
    paying, not_paying = (0, STEPS) if falling else (STEPS, 0)
    while abs(paying - not_paying) > 1:
        middle = (paying + not_paying) // 2
        if net(Decimal(middle) * PRECISION) >= 0:
            paying = middle
        else:
            not_paying = middle
    return Decimal(paying) * PRECISION, falling, None
