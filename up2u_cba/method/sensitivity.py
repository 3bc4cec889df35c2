"""Sensitivity: how the prudent net saving and return move with each assumption, and the
switching value at which the programme stops paying for itself.

Each assumption is tried at its low and high value (settings ``[sensitivity]``) as one
programme-wide value for every code (lines that set their own deadweight or attribution keep
theirs), all others held at the values in force.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import pydantic

from up2u_cba import models
from up2u_cba.inputs import deflators
from up2u_cba.method import assumptions, calculate

_FROZEN = pydantic.ConfigDict(frozen=True)
LABELS = {
    "deadweight": "Deadweight",
    "attribution": "Attribution",
    "optimism_bias": "Optimism bias (every grade)",
    "drop_off": "Drop-off per year",
    "discount_rate": "Discount rate",
}
PRECISION = Decimal("0.0000000001")
"""Switching values are given to 10 decimal places (a share: 0.8566825412 = 85.67%)."""


class Headline(pydantic.BaseModel):
    model_config = _FROZEN

    prudent_total: Decimal
    net_saving: Decimal
    return_on_investment: Decimal


class SensitivityRow(pydantic.BaseModel):
    """One assumption's low / high results and its switching value."""

    model_config = _FROZEN

    assumption: str
    """Settings name: deadweight, attribution, optimism_bias, drop_off, discount_rate."""
    low: Decimal
    high: Decimal
    at_low: Headline
    at_high: Headline
    switching_value: Decimal | None
    """The programme-wide value at which the prudent net saving reaches zero (None if it does
    not within 0 to 100%)."""
    pays_throughout: bool | None = None
    """Where there is no switching value: True if the programme pays for itself at every value
    from 0 to 100%, False if it never does."""
    net_at_switching_value: Decimal | None

    @property
    def label(self) -> str:
        return LABELS[self.assumption]

    @property
    def no_switch(self) -> str:
        """Why there is no switching value, in words."""
        return ("pays for itself at every value from 0% to 100%" if self.pays_throughout
                else "does not pay for itself at any value from 0% to 100%")

    @property
    def swing(self) -> Decimal:
        return abs(self.at_high.net_saving - self.at_low.net_saving)


class Sensitivity(pydantic.BaseModel):
    """A service's year: the central prudent result and each assumption's effect, largest first."""

    model_config = _FROZEN

    service: str
    year: models.FinancialYear
    spend: Decimal
    central: Headline
    rows: tuple[SensitivityRow, ...]


def uniform(green_book: assumptions.Assumptions, name: str, value: Decimal) -> assumptions.Assumptions:
    """The assumptions with ``name`` set to one programme-wide ``value``."""
    if name in ("deadweight", "attribution", "drop_off"):
        current: assumptions.CodeRates = getattr(green_book, name)
        return green_book.model_copy(update={name: assumptions.CodeRates(default=value, note=current.note)})
    if name == "optimism_bias":
        return green_book.model_copy(update={"optimism_bias": {grade: value for grade in assumptions.GRADES}})
    if name == "discount_rate":
        return green_book.model_copy(update={"discount_rate": value})
    raise ValueError(name)


def analyse(
    cases: list[models.CaseRecord],
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    settings: models.Settings,
    service: models.ServiceSettings,
    year: models.FinancialYear,
) -> Sensitivity:
    """The service's year: the central prudent result, then each assumption at its low and high
    value with its switching value, largest effect first.

    Every case is read once into ``prudent_lines``; each value tried is then a short loop over
    those lines (``prudent_total``), giving the figures revaluing every case would give."""
    lines = prudent_lines(calculate.completed_in(cases, service.name, year), costs, series, settings)
    spend = service.spend[year]
    years_factors: dict[tuple[Decimal, Decimal, Decimal], Decimal] = {}

    def headline(green_book: assumptions.Assumptions) -> Headline:
        total = prudent_total(lines, green_book, years_factors)
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


PrudentLine = tuple[Decimal, Decimal, Decimal | None, Decimal | None, str, str]
"""What a line's prudent saving depends on under any assumptions tried: unit value at report
prices x quantity, counted years, the line's own deadweight and attribution (None: the
settings'), its evidence grade and its unit cost code."""


def prudent_lines(
    completed: list[models.CaseRecord],
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    settings: models.Settings,
) -> dict[PrudentLine, int]:
    """The completed cases' outcome lines as ``PrudentLine``s, each with how many lines share it
    (identical lines round identically, so each is valued once per value tried)."""
    green_book = settings.assumptions
    counts: dict[PrudentLine, int] = {}
    for case in completed:
        for outcome in case.outcomes:
            cost = costs[outcome.code]
            assert cost.fiscal is not None, "checked before valuing"
            unit = cost.fiscal.amount * series.factor(cost.fiscal.price_year, settings.price_year)
            line = (unit * outcome.quantity, calculate.counted_years(outcome, cost, green_book),
                    outcome.deadweight, outcome.attribution,
                    calculate.evidence_grade(outcome, cost), cost.code)
            counts[line] = counts.get(line, 0) + 1
    return counts


def prudent_total(
    lines: dict[PrudentLine, int],
    green_book: assumptions.Assumptions,
    years_factors: dict[tuple[Decimal, Decimal, Decimal], Decimal],
) -> Decimal:
    """The sum of the lines' prudent savings under ``green_book``, each line rounded to whole
    pounds exactly as ``calculate.value_line`` rounds it. ``years_factors`` caches each (years,
    drop-off, discount rate)'s years factor between calls."""
    total = models.ZERO
    rate = green_book.discount_rate
    for (unit_quantity, years, own_deadweight, own_attribution, grade, code), count in lines.items():
        deadweight, attribution, optimism_bias = calculate.line_shares(own_deadweight, own_attribution, grade, code,
                                                                       green_book)
        key = (years, green_book.drop_off.for_code(code), rate)
        factor = years_factors.get(key)
        if factor is None:
            factor = years_factors[key] = sum(calculate.year_weights(*key), models.ZERO)
        adjust = (1 - deadweight) * attribution * (1 - optimism_bias)
        total += models.whole_pounds(unit_quantity * factor * adjust) * count
    return total


def switching_value(net, low: Decimal = Decimal(0), high: Decimal = Decimal(1)) -> tuple[Decimal | None, Decimal | None]:
    """The value in [low, high] where ``net(value)`` crosses zero, by bisection, given to 10
    decimal places as the candidate whose net saving is nearest zero; (None, None) if the net
    saving has the same sign at both ends."""
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
    # one candidate on each side of the crossing: identical lines step together, so the net
    # saving may jump by several pounds there; take the side nearer zero
    sides = (low.quantize(PRECISION, rounding=decimal.ROUND_FLOOR), high.quantize(PRECISION, rounding=decimal.ROUND_CEILING))
    candidates = [(abs(result), value, result) for value in sides for result in [net(value)]]
    _, value, result = min(candidates)
    return value, result
