"""What an outcome line may plausibly claim: the largest quantity and number of years for each
kind of unit, and a ceiling on one line's saving.

A line beyond any of them (a care placement "per child per year" x 1,000, 40 years, one line
worth more than ``[checks] line_ceiling``) is more likely a typing slip than an outcome, so it
counts only once the line records why the figure is right (its ``acknowledged`` note).

The kinds are read from the words of a cost's ``unit`` ("Per person per year", "Per incident",
"Per week"...), first match wins; the limits are generous, meant to catch slips, not to judge.
"""

from __future__ import annotations

import dataclasses
import functools
from decimal import Decimal

from up2u_cba import models
from up2u_cba.inputs import deflators
from up2u_cba.method import calculate


@dataclasses.dataclass(frozen=True)
class UnitKind:
    """A family of units, and how far a line valued in one may go on one case."""

    name: str
    """What the quantity counts, as a message says it ("people or children")."""
    words: tuple[str, ...]
    """Words in a unit that make it this kind (lower case)."""
    max_quantity: Decimal
    max_years: Decimal


MAX_YEARS = Decimal(10)
"""No outcome of one case plausibly lasts longer (the Green Book's own horizons for such
benefits are a few years)."""

KINDS = (
    UnitKind("units, each already covering a whole period", ("lifetime", "period"), Decimal(10), Decimal(1)),
    UnitKind("weeks", ("week",), Decimal(104), MAX_YEARS),
    UnitKind("months", ("month",), Decimal(24), MAX_YEARS),
    UnitKind("days", ("day",), Decimal(365), MAX_YEARS),
    UnitKind("hours", ("hour",), Decimal(200), MAX_YEARS),
    UnitKind("people or children", ("year", "person", "child", "participant", "claimant", "customer", "user",
                                    "client", "fte"), Decimal(10), MAX_YEARS),
    UnitKind("sessions or contacts", ("session", "attendance", "visit", "contact", "consultation"),
             Decimal(50), MAX_YEARS),
    UnitKind("incidents or events", ("incident", "event", "each", "claim", "process", "action", "episode",
                                     "application", "case", "admission", "scheme", "course"), Decimal(20), MAX_YEARS),
)
"""Each kind of unit, first match wins ("Per child over a ten year period" is a whole period,
"Per client per week" is weeks, "Per person per year" is people)."""
OTHER = UnitKind("units", (), Decimal(20), MAX_YEARS)
"""A unit none of the kinds names (or none given)."""


@functools.lru_cache(maxsize=1024)  # a table has a few dozen distinct units; every line asks
def kind_of(unit: str) -> UnitKind:
    """The kind of ``unit``: the first of ``KINDS`` whose words it holds, else ``OTHER``."""
    words = unit.lower().replace("-", " ").split()
    for kind in KINDS:
        if any(word in kind.words or word.rstrip("s") in kind.words for word in words):
            return kind
    return OTHER


def doubts(outcome: models.OutcomeEntry, cost: models.UnitCost, series: deflators.DeflatorSeries,
           settings: models.Settings) -> list[tuple[str, str]]:
    """Why ``outcome`` is implausible, as (field, reason) pairs; empty when it is not."""
    kind = kind_of(cost.unit)
    unit = f"a '{cost.unit.strip()}' cost" if cost.unit.strip() else "a cost without a unit"
    found = []
    if outcome.quantity > kind.max_quantity:
        found.append(("quantity", f"quantity {_number(outcome.quantity)} is more than the {_number(kind.max_quantity)} "
                                  f"{kind.name} {unit} plausibly counts on one case"))
    too_long = years_doubt(calculate.counted_years(outcome, cost, settings.assumptions), cost)
    if too_long and not outcome.years_stated:
        return found  # a duration the settings give is their problem, said once (checks.assumption_codes)
    if too_long:
        found.append(("years", too_long))
    saving = line_saving(outcome, cost, series, settings)
    if saving is not None and saving > settings.line_ceiling:
        found.append(("", f"the line saves £{saving:,}, more than the £{settings.line_ceiling:,} one line plausibly "
                          "saves ([checks] line_ceiling in the settings)"))
    return found


def years_doubt(years: Decimal, cost: models.UnitCost) -> str | None:
    """Why ``years`` is longer than an outcome valued with ``cost`` plausibly lasts, or None
    (for a line's own years, and for the settings' benefit duration of the cost)."""
    kind = kind_of(cost.unit)
    if years <= kind.max_years:
        return None
    unit = f"a '{cost.unit.strip()}' cost" if cost.unit.strip() else "a cost without a unit"
    return (f"{_number(Decimal(years))} years is longer than the {_number(kind.max_years)} "
            f"{'year' if kind.max_years == 1 else 'years'} an outcome valued with {unit} plausibly lasts")


def line_saving(outcome: models.OutcomeEntry, cost: models.UnitCost, series: deflators.DeflatorSeries,
                settings: models.Settings) -> Decimal | None:
    """The line's gross saving at the settings' price year, valued as the report values it (by
    the same function); None when it cannot be valued (its own problem says why)."""
    if cost.fiscal is None or cost.fiscal.price_year not in series.index or settings.price_year not in series.index:
        return None
    return calculate.gross_saving(outcome, cost, series, settings.price_year, settings.assumptions)


def _number(value: Decimal) -> str:
    return f"{value.normalize():,f}"
