"""The slow reference for the sensitivity analysis: revalue every case for every value tried.

This is how ``method/sensitivity.analyse`` worked before it was computed from precomputed lines
(issue #11); the tests compare the two on random inputs, figure for figure.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

from up2u_cba import models
from up2u_cba.inputs import deflators
from up2u_cba.method import assumptions, calculate
from up2u_cba.method.sensitivity import PRECISION, Headline, Sensitivity, SensitivityRow, uniform


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

    def headline(green_book: assumptions.Assumptions) -> Headline:
        total = sum((calculate.value_case(case, costs, series, settings.price_year, green_book).prudent_total
                     for case in completed), models.ZERO)
        return Headline(prudent_total=total, net_saving=total - spend,
                        return_on_investment=calculate.per_pound(total, spend))

    rows = []
    for name in assumptions.SENSITIVITY_NAMES:
        low, high = settings.assumptions.sensitivity[name]
        def net_at(value: Decimal) -> Decimal:
            return headline(uniform(settings.assumptions, name, value)).net_saving

        switching, net = switching_value(net_at)
        rows.append(SensitivityRow(
            assumption=name, low=low, high=high,
            at_low=headline(uniform(settings.assumptions, name, low)),
            at_high=headline(uniform(settings.assumptions, name, high)),
            switching_value=switching, net_at_switching_value=net,
            pays_throughout=None if switching is not None else net_at(Decimal(0)) > 0,
        ))
    rows.sort(key=lambda row: -row.swing)
    return Sensitivity(service=service.name, year=year, spend=spend, central=headline(settings.assumptions),
                       rows=tuple(rows))


def switching_value(net, low: Decimal = Decimal(0), high: Decimal = Decimal(1)) -> tuple[Decimal | None, Decimal | None]:
    """The value in [low, high] where ``net(value)`` crosses zero, by bisection (as before)."""
    at_low, at_high = net(low), net(high)
    if at_low == 0:
        return low, at_low
    if (at_low > 0) == (at_high > 0) and at_high != 0:
        return None, None
    for _ in range(60):
        middle = (low + high) / 2
        at_middle = net(middle)
        if at_middle == 0:
            return middle.quantize(PRECISION), net(middle.quantize(PRECISION))
        if (at_middle > 0) == (at_low > 0):
            low, at_low = middle, at_middle
        else:
            high, at_high = middle, at_middle
        if high - low < PRECISION / 10:
            break
    sides = (low.quantize(PRECISION, rounding=decimal.ROUND_FLOOR), high.quantize(PRECISION, rounding=decimal.ROUND_CEILING))
    candidates = [(abs(result), value, result) for value in sides for result in [net(value)]]
    _, value, result = min(candidates)
    return value, result
