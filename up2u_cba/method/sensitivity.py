"""Sensitivity: how the prudent net saving and return move with each assumption, and the
switching value at which the programme stops paying for itself.

Each assumption is tried at its low and high value (settings ``[sensitivity]``) as one
programme-wide value for every code (lines that set their own deadweight or attribution keep
theirs), all others held at the values in force.

The switching value is exact: the value at which the prudent net saving, from the lines' exact
(unrounded) values, is zero. Deadweight, attribution and optimism bias move the total linearly, so
it follows from the totals at 0 and 1; drop-off and the discount rate move it through each line's
years factor, so it is found by bisection over the few (years, drop-off) groups of lines.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

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
"""Switching values are given to 10 decimal places (a share: 0.8566835987 = 85.66%)."""
STEPS = 10 ** 10
"""Values 0 to 1 in steps of ``PRECISION``."""
LINEAR = ("deadweight", "attribution", "optimism_bias")
"""The assumptions the prudent total is linear in (through 1 - deadweight, attribution and
1 - optimism bias)."""


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
    """The programme-wide value at which the prudent net saving, from the lines' exact
    (unrounded) values, is zero, given to 10 decimal places toward the side where the programme
    still pays for itself (its exact net saving zero or more); None if the net saving is on one
    side of zero from 0 to 100%."""
    pays_at_or_below: bool | None = None
    """Where there is a switching value: True if the programme pays for itself at values up to
    it (the net saving falls as the value rises), False if at values from it up (attribution)."""
    pays_throughout: bool | None = None
    """Where there is no switching value: True if the programme pays for itself at every value
    from 0 to 100%, False if it never does."""

    @property
    def label(self) -> str:
        return LABELS[self.assumption]

    @property
    def switching_percent(self) -> Decimal | None:
        """The switching value as a percentage to 2 decimal places, rounded toward the side where
        the programme still pays for itself, as the switching value is."""
        if self.switching_value is None:
            return None
        toward_paying = ROUND_FLOOR if self.pays_at_or_below else ROUND_CEILING
        return (self.switching_value * 100).quantize(Decimal("0.01"), rounding=toward_paying)

    @property
    def pays_where(self) -> str:
        """On which side of the switching value the programme pays for itself, in words."""
        return "pays at or below" if self.pays_at_or_below else "pays at or above"

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
    those lines (``prudent_total``), giving the figures revaluing every case would give; the
    switching values come from the same lines' exact values (``switching_value``)."""
    lines = prudent_lines(calculate.completed_in(cases, service.name, year), costs, series, settings)
    spend = service.spend[year]  # (as entered: each figure sets savings against the prudent spend)
    years_factors: dict[tuple[Decimal, Decimal, Decimal], Decimal] = {}

    def headline(green_book: assumptions.Assumptions) -> Headline:
        total = prudent_total(lines, green_book, years_factors)
        prudent_spend = calculate.prudent_spend(spend, green_book)  # (moves with the discount rate)
        return Headline(prudent_total=total, net_saving=total - prudent_spend,
                        return_on_investment=calculate.per_pound(total, prudent_spend))

    rows = []
    for name in assumptions.SENSITIVITY_NAMES:
        low, high = settings.assumptions.sensitivity[name]
        switching, pays_at_or_below, pays_throughout = switching_value(name, lines, settings.assumptions, spend)
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
                    calculate.evidence_grade(outcome, cost, green_book), cost.code)
            counts[line] = counts.get(line, 0) + 1
    return counts


def exact_values(
    lines: dict[PrudentLine, int],
    green_book: assumptions.Assumptions,
    years_factors: dict[tuple[Decimal, Decimal, Decimal], Decimal],
):
    """Each line's exact (unrounded) prudent saving under ``green_book``, with how many lines
    share it. ``years_factors`` caches each (years, drop-off, discount rate)'s years factor."""
    rate = green_book.discount_rate
    for (unit_quantity, years, own_deadweight, own_attribution, grade, code), count in lines.items():
        deadweight, attribution, optimism_bias = calculate.line_shares(own_deadweight, own_attribution, grade, code,
                                                                       green_book)
        key = (years, green_book.drop_off.for_code(code), rate)
        factor = years_factors.get(key)
        if factor is None:
            factor = years_factors[key] = sum(calculate.year_weights(*key), models.ZERO)
        yield unit_quantity * factor * ((1 - deadweight) * attribution * (1 - optimism_bias)), count


def prudent_total(
    lines: dict[PrudentLine, int],
    green_book: assumptions.Assumptions,
    years_factors: dict[tuple[Decimal, Decimal, Decimal], Decimal],
) -> Decimal:
    """The sum of the lines' prudent savings under ``green_book``, each line rounded to whole
    pounds exactly as ``calculate.value_line`` rounds it."""
    return sum((models.whole_pounds(value) * count for value, count in exact_values(lines, green_book, years_factors)),
               models.ZERO)


def exact_net(lines: dict[PrudentLine, int], green_book: assumptions.Assumptions, spend: Decimal) -> Decimal:
    """The prudent net saving under ``green_book`` from the lines' exact (unrounded) values, less
    the prudent spend (``spend`` as entered, raised and discounted as ``green_book`` says)."""
    return sum((value * count for value, count in exact_values(lines, green_book, {})), models.ZERO) - \
        calculate.exact_prudent_spend(spend, green_book)


def switching_value(
    name: str, lines: dict[PrudentLine, int], green_book: assumptions.Assumptions, spend: Decimal,
) -> tuple[Decimal | None, bool | None, bool | None]:
    """Where the exact prudent net saving crosses zero as assumption ``name`` takes one
    programme-wide value from 0 to 1: (switching value, pays at or below it, None), the value to
    10 decimal places toward the side that still pays; or (None, None, pays throughout) where the
    net saving is zero or more at both ends, or below zero at both (it is monotonic in each)."""
    at_zero = exact_net(lines, uniform(green_book, name, Decimal(0)), spend)
    at_one = exact_net(lines, uniform(green_book, name, Decimal(1)), spend)
    if (at_zero >= 0) == (at_one >= 0):
        return None, None, at_zero >= 0
    falling = at_zero >= 0
    if name in LINEAR:  # net = at_zero + (at_one - at_zero) x value
        crossing = at_zero / (at_zero - at_one)
        return crossing.quantize(PRECISION, rounding=ROUND_FLOOR if falling else ROUND_CEILING), falling, None
    return edge_of_paying(years_factor_net(name, lines, green_book, spend), falling), falling, None


def years_factor_net(name: str, lines: dict[PrudentLine, int], green_book: assumptions.Assumptions, spend: Decimal):
    """The exact prudent net saving as a function of a programme-wide drop-off or discount rate:
    the lines summed per (years, drop-off) group before any value is tried, as those two enter
    only through the years factor."""
    groups: dict[tuple[Decimal, Decimal], Decimal] = {}
    for (unit_quantity, years, own_deadweight, own_attribution, grade, code), count in lines.items():
        deadweight, attribution, optimism_bias = calculate.line_shares(own_deadweight, own_attribution, grade, code,
                                                                       green_book)
        key = (years, green_book.drop_off.for_code(code))
        groups[key] = groups.get(key, models.ZERO) + \
            unit_quantity * ((1 - deadweight) * attribution * (1 - optimism_bias)) * count

    def net(value: Decimal) -> Decimal:
        total = models.ZERO
        for (years, drop_off), amount in groups.items():
            weights = (calculate.year_weights(years, value, green_book.discount_rate) if name == "drop_off"
                       else calculate.year_weights(years, drop_off, value))
            total += amount * sum(weights, models.ZERO)
        at = green_book.model_copy(update={"discount_rate": value}) if name == "discount_rate" else green_book
        return total - calculate.exact_prudent_spend(spend, at)
    return net


def edge_of_paying(net, falling: bool) -> Decimal:
    """By bisection over 0 to 1 in steps of ``PRECISION``: the last value at which ``net`` is
    zero or more if it falls (it is at 0 and not at 1), else the first."""
    paying, not_paying = (0, STEPS) if falling else (STEPS, 0)
    while abs(paying - not_paying) > 1:
        middle = (paying + not_paying) // 2
        if net(Decimal(middle) * PRECISION) >= 0:
            paying = middle
        else:
            not_paying = middle
    return Decimal(paying) * PRECISION
