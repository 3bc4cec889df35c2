"""How sure a year's figures are: a bootstrap of the year's completed cases, where the saving
comes from, and the break-even points.

A year's figures rest on few cases, and one case can carry a large part of the total. The
bootstrap resamples the year's completed cases whole, with replacement, as many as there were,
and sums each resample's savings (gross and prudent) against the year's spend: the spread of
those sums is the interval, and the share of resamples whose savings exceed the spend is the
probability that the programme paid for itself. Where every resample can be listed (n cases
give n^n equally likely ordered resamples, 27 for 3 cases) they are all listed, so the figures
are exact; otherwise ``Resampling.resamples`` are drawn with the seed ``Resampling.seed``, so the
same seed gives the same figures. The point figures are never changed by any of this.
"""

from __future__ import annotations

import decimal
import itertools
import math
import random
from decimal import Decimal

import pydantic

from up2u_cba import models
from up2u_cba.method import assumptions, calculate, sensitivity

_FROZEN = pydantic.ConfigDict(frozen=True)

METHOD = ("The year's completed cases are resampled whole, with replacement, as many as completed (the "
          "bootstrap); each resample's savings are set against the same spend. An interval is the central share"
          " of the resampled figures (90% unless the settings' [uncertainty] level says otherwise) by nearest "
          "rank; where every resample can be listed (n cases give n^n: 4 cases or fewer at the default 2,000 "
          "resamples) all are, exactly, otherwise they are drawn with a fixed seed, so the same inputs give the"
          " same interval. 'Pays for itself' is the share of resamples whose saving exceeds the spend. Break-"
          "even completers: spend / average saving, rounded up. Resampling shows how much a figure rests on "
          "which cases happened to complete; it varies the Green Book assumptions only where [uncertainty] "
          "vary_assumptions says so (over their Sensitivity ranges), and cannot say what would have happened "
          "without the programme.")
"""How the intervals are made, as the workbook's Method sheet says it (the README says it at length)."""
DRAW_BUDGET = 20_000_000
"""Most cases a report draws for one service's resamples: a year of more than 10,000 completed
cases gets fewer resamples (``DRAW_BUDGET`` / cases, at least ``FEWEST_RESAMPLES``), so a report
stays within seconds; so many cases give a narrow interval that fewer resamples settle."""
FEWEST_RESAMPLES = 200
SHARE = Decimal("0.0001")
"""Shares and probabilities are kept to 4 places (shown as whole percentages)."""


class Interval(pydantic.BaseModel):
    """The resampled range of one figure at the settings' level."""

    model_config = _FROZEN

    low: Decimal
    high: Decimal


class Uncertainty(pydantic.BaseModel):
    """One service's year: its figures' intervals, where the saving comes from, and break-even."""

    model_config = _FROZEN

    service: str
    year: models.FinancialYear
    level: Decimal
    """The intervals' level, e.g. 0.90 for a 90% interval."""
    drawn_with: int = 0
    """The seed of the settings (``Resampling.seed``), whether or not the gross resamples were drawn."""
    resamples: int
    """How many resamples the intervals rest on (fewer than the settings ask for a year of more
    than 10,000 completed cases: ``DRAW_BUDGET``)."""
    seed: int | None
    """The random seed of the drawn resamples; None where every resample was listed (exact)
    (the prudent draws of ``assumptions_varied`` are always drawn, with ``Resampling.seed``)."""
    completers: int
    small_cohort: bool
    """Fewer completed cases than ``Resampling.small_cohort``: the interval means little."""
    assumptions_varied: bool = False
    """The prudent figures' resamples also drew the Green Book assumptions over their ranges."""
    prudent_resamples: int = 0
    """How many resamples the prudent intervals rest on: ``resamples``, or where the assumptions
    are drawn too, as many draws as ``LINE_BUDGET`` allows."""
    total: Interval
    prudent_total: Interval
    net: Interval | None
    """None, as every figure against spend, while no spend is set."""
    prudent_net: Interval | None
    return_per_pound: Interval | None
    financial_return: Interval | None
    pays_for_itself: Decimal | None
    """The share of resamples whose total saving exceeds the spend (net > 0)."""
    prudent_pays_for_itself: Decimal | None
    """The share whose prudent saving exceeds the prudent spend."""
    largest_case: str | None
    """The reference of the case with the largest saving (the first in reference order on a tie);
    None where the cases saved nothing."""
    largest_case_share: Decimal
    """The largest case's share of the total saving (0 with no saving)."""
    top_tenth_cases: int
    """How many cases the top 10% is: a tenth of the completers, rounded up."""
    top_tenth_share: Decimal
    """The share of the total saving from the top 10% of cases by saving."""
    return_without_largest: Decimal | None
    """Saving per pound spent with the largest case left out (the spend unchanged)."""
    break_even_completers: int | None
    """Completers at the year's average saving whose savings cover the spend: spend / average
    saving (exact), rounded up; None with no spend or no saving."""
    prudent_break_even_completers: int | None
    """The same at the prudent average saving against the prudent spend."""
    break_even_spend: Decimal | None
    """The largest spend the year's savings pay for: the total saving (None with no spend)."""
    prudent_break_even_spend: Decimal | None
    """The largest spend the prudent savings pay for once the cost optimism bias raises it: the
    prudent saving / (1 + cost optimism bias), whole pounds rounded down."""


def analyse(summary: calculate.ServiceSummary, resampling: models.Resampling,
            case_lines: list[dict] | None = None) -> Uncertainty | None:
    """The uncertainty of ``summary``'s figures, resampled as ``resampling`` says. With
    ``resampling.vary_assumptions``, ``case_lines`` (each case's ``sensitivity.prudent_lines``, in
    the order of ``summary.cases``) let the prudent figures also draw the Green Book assumptions
    over their [sensitivity] ranges (``varied``). None for a year without a completed case:
    there is nothing to resample."""
    if not summary.cases:
        return None
    gross = [int(case.total) for case in summary.cases]
    prudent = [int(case.prudent_total) for case in summary.cases]
    draws, seed = resampled(list(zip(gross, prudent)), resampling)
    totals = sorted(draw[0] for draw in draws)
    prudent_totals = sorted(draw[1] for draw in draws)
    varied = resampling.vary_assumptions and case_lines is not None and bool(summary.cases)
    if varied:
        prudent_totals = sorted(varied_totals(case_lines, summary.green_book, resampling))
    spend, prudent_spend = summary.spend, summary.prudent_spend
    total = interval(totals, resampling.level)
    prudent_total = interval(prudent_totals, resampling.level)
    largest = max(summary.cases, key=lambda case: case.total) if summary.total_saving > 0 else None
    tenth = math.ceil(summary.completers / 10)
    return Uncertainty(
        service=summary.service, year=summary.year, level=resampling.level, resamples=len(draws), seed=seed,
        assumptions_varied=varied, prudent_resamples=len(prudent_totals), drawn_with=resampling.seed,
        completers=summary.completers, small_cohort=summary.completers < resampling.small_cohort,
        total=total, prudent_total=prudent_total,
        net=None if spend is None else Interval(low=total.low - spend, high=total.high - spend),
        prudent_net=None if spend is None else Interval(low=prudent_total.low - prudent_spend,
                                                        high=prudent_total.high - prudent_spend),
        return_per_pound=None if spend is None else Interval(low=calculate.per_pound(total.low, spend),
                                                             high=calculate.per_pound(total.high, spend)),
        financial_return=None if spend is None else Interval(
            low=calculate.per_pound(prudent_total.low, prudent_spend),
            high=calculate.per_pound(prudent_total.high, prudent_spend)),
        pays_for_itself=None if spend is None else share_above(totals, spend),
        prudent_pays_for_itself=None if spend is None else share_above(prudent_totals, prudent_spend),
        largest_case=None if largest is None else largest.reference,
        largest_case_share=share(largest.total if largest else models.ZERO, summary.total_saving),
        top_tenth_cases=tenth,
        top_tenth_share=share(sum(sorted(gross, reverse=True)[:tenth]), summary.total_saving),
        return_without_largest=None if spend is None or largest is None else
        calculate.per_pound(summary.total_saving - largest.total, spend),
        break_even_completers=None if spend is None else
        completers_to_cover(spend, summary.total_saving, summary.completers),
        prudent_break_even_completers=None if spend is None else
        completers_to_cover(prudent_spend, summary.prudent_total, summary.completers),
        break_even_spend=None if spend is None else summary.total_saving,
        prudent_break_even_spend=None if spend is None else (  # (down: a pound more would not pay)
            summary.prudent_total / (1 + summary.green_book.cost_optimism_bias)).to_integral_value(decimal.ROUND_FLOOR),
    )


def resampled(cases: list[tuple[int, int]], resampling: models.Resampling) -> tuple[list[tuple[int, int]], int | None]:
    """Each resample's (gross, prudent) total, and the seed drawn with (None where every resample
    was listed: ``len(cases) ** len(cases)`` no more than ``resampling.resamples``)."""
    count = len(cases)
    if count == 0:
        return [(0, 0)], None
    if count < 8 and count ** count <= resampling.resamples:  # (7^7 is beyond any setting)
        return [tuple(map(sum, zip(*chosen))) for chosen in itertools.product(cases, repeat=count)], None
    resamples = min(resampling.resamples, max(FEWEST_RESAMPLES, DRAW_BUDGET // count))
    # both totals of a case in one integer (gross x 2^k + prudent + offset, the offset making
    # every prudent part at least 0), so one draw and one sum serve both; k leaves room for the
    # largest possible sum of the prudent parts
    offset = -min(0, min(prudent for _, prudent in cases))
    shift = ((max(prudent for _, prudent in cases) + offset) * count).bit_length() + 1
    packed = [(gross << shift) + prudent + offset for gross, prudent in cases]
    mask = (1 << shift) - 1
    generator = random.Random(resampling.seed)
    sums = (sum(generator.choices(packed, k=count)) for _ in range(resamples))
    return [(whole >> shift, (whole & mask) - offset * count) for whole in sums], resampling.seed


LINE_BUDGET = 200_000
"""Most outcome-line valuations a report spends on drawing the assumptions (each draw values
every case's lines once under the drawn assumptions): fewer draws on many lines, at least
``FEWEST_RESAMPLES``."""


def varied_totals(case_lines: list[dict], green_book, resampling: models.Resampling) -> list[int]:
    """The prudent totals of resamples that draw both the cases (whole, with replacement) and
    each Green Book assumption, uniformly and independently over its [sensitivity] range (one
    programme-wide value each, as the sensitivity analysis tries them; lines that set their own
    deadweight or attribution keep theirs); each line rounded to whole pounds as the report rounds it."""
    generator = random.Random(resampling.seed)
    lines = sum(len(lines) for lines in case_lines)
    count = len(case_lines)
    draws = min(resampling.resamples, max(FEWEST_RESAMPLES, LINE_BUDGET // max(1, lines)))
    factors: dict = {}
    totals = []
    for _ in range(draws):
        values = revalued(case_lines, drawn_assumptions(generator, green_book), factors)
        totals.append(int(sum(generator.choices(values, k=count))))
    return totals


def drawn_assumptions(generator: random.Random, green_book):
    """``green_book`` with each Green Book assumption drawn uniformly over its [sensitivity]
    range: one programme-wide value each, as the sensitivity analysis tries them."""
    drawn = green_book
    for name in assumptions.SENSITIVITY_NAMES:
        low, high = green_book.sensitivity[name]
        value = (low + (high - low) * Decimal(generator.random())).quantize(SHARE)
        drawn = sensitivity.uniform(drawn, name, value)
    return drawn


def revalued(case_lines: list[dict], green_book, factors: dict) -> list[Decimal]:
    """Each case's prudent saving under ``green_book``, each line rounded as the report rounds it."""
    return [sensitivity.prudent_total(lines, green_book, factors) for lines in case_lines]


def interval(ordered: list[int], level: Decimal) -> Interval:
    """The central ``level`` of the sorted resampled totals, by nearest rank: the low end is the
    value of rank ceil(tail x N), the high end of rank ceil((1 - tail) x N), tail = (1 - level) / 2."""
    tail = (1 - level) / 2
    count = len(ordered)
    low = max(1, math.ceil(tail * count))
    high = max(1, math.ceil((1 - tail) * count))
    return Interval(low=Decimal(ordered[low - 1]), high=Decimal(ordered[high - 1]))


def share_above(ordered: list[int], spend: Decimal) -> Decimal:
    """The share of resampled totals above ``spend``."""
    above = sum(1 for total in ordered if total > spend)
    return (Decimal(above) / len(ordered)).quantize(SHARE)


def share(part: Decimal, whole: Decimal) -> Decimal:
    return (Decimal(part) / whole).quantize(SHARE) if whole else models.ZERO


def completers_to_cover(spend: Decimal, total: Decimal, count: int) -> int | None:
    """Completed cases at the average saving (``total`` / ``count``, exact) that cover ``spend``:
    spend x count / total, rounded up; None when the cases saved nothing."""
    return math.ceil(spend * count / total) if total > 0 else None


def how_made(entry: Uncertainty) -> str:
    """How a service's intervals were made, in words every report uses, with the small-cohort
    warning where it applies."""
    cases = f"{entry.completers} completed case{'' if entry.completers == 1 else 's'}"
    how = (f"every one of the {entry.resamples:,} possible resamples of the {cases}, listed exactly" if entry.seed is None
           else f"{entry.resamples:,} resamples of the {cases}, drawn with seed {entry.seed}")
    level = level_text(entry.level)
    words = f"Intervals: the central {level} of the figures of {how}."
    if entry.assumptions_varied:
        words += (f" The prudent intervals come from {entry.prudent_resamples:,} resamples, drawn with seed "
                  f"{entry.drawn_with}, that also draw each Green Book assumption uniformly over its [sensitivity] range; "
                  "the point figures use the settings' own values, so they need not lie within those intervals.")
    if entry.small_cohort:
        words += f" Only {cases}: an interval from so few is rough, and one case can move the figure a long way."
    return words


def headline(entry: Uncertainty) -> str:
    """The return's interval and the chance it paid for itself, in one line beside the point figure."""
    level = level_text(entry.level)
    if entry.return_per_pound is None:
        return f"Return per £1, {level} interval: not available until a spend is set."
    return (f"Return per £1, {level} interval £{entry.return_per_pound.low:,.2f} to £{entry.return_per_pound.high:,.2f} "
            f"(prudent £{entry.financial_return.low:,.2f} to £{entry.financial_return.high:,.2f}); paid for itself in "
            f"{percent(entry.pays_for_itself)} of resamples (prudent {percent(entry.prudent_pays_for_itself)}).")


def level_text(level: Decimal) -> str:
    """An interval's level as set: 0.9 -> 90%, 0.995 -> 99.5%."""
    return f"{(level * 100).normalize():f}%"


def percent(share: Decimal) -> str:
    """A share as a whole percentage, half up (0.9 -> 90%); never 100% or 0% unless it is so."""
    shown = (share * 100).quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP)
    if shown == 100 and share < 1:
        return "over 99%"
    if shown == 0 and share > 0:
        return "under 1%"
    return f"{shown}%"
