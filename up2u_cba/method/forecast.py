"""A commissioning forecast: what a planned number of places would bring, built from the
service's own recorded cases.

Places -> completions at the share of the service's ended cases that completed over the last
few years (its completion rate); each expected completer saves what a completed case of those
years saved, valued at the report's price year with the Green Book assumptions (the prudent
saving already has each benefit's drop-off and discounting over its own years); a cohort's
savings are counted in the year its cases complete (the places starting evenly through the
year, completing after the service's median months from referral to completion) and, prudent,
discounted to the first year like the spend. The interval resamples both steps: how many of the
places complete (each place completing at the rate) and which past cases' savings they repeat.

A forecast from past completers is not a counterfactual: it assumes next year's cases will
resemble the last few years', and says nothing the year-end report does not about what would
have happened without the programme.
"""

from __future__ import annotations

import datetime
import decimal
import math
import random
import statistics
from decimal import Decimal

import pydantic

from up2u_cba import models
from up2u_cba.method import calculate, uncertainty

_FROZEN = pydantic.ConfigDict(frozen=True)

METHOD = ("up2u-cba forecast works forward from a plan (places and spend a year, for some years): expected "
          "completers are the places x the service's completion rate (completed / ended) over its last three "
          "years; each saves what the average completed case of those years saved, valued at the report's price "
          "year with the Green Book assumptions; a cohort's saving is counted in the year it completes (six months "
          "into the year plus the median months from referral to completion), and prudent savings and spend are "
          "discounted to the first year. Its interval resamples the plan: each place completing at the rate, each "
          "completer repeating a past case drawn with replacement. A forecast from past completers assumes the "
          "coming cases will resemble them: it is not a counterfactual.")
"""The forecast's method, as the workbook's Method sheet says it."""
HISTORY_YEARS = 3
"""How many financial years of the service's cases a forecast is built from, by default."""
MOST_PLACES = 100_000
MOST_YEARS = 10


class Plan(pydantic.BaseModel):
    """What a commissioner plans: each year's places and spend, for how many years."""

    model_config = _FROZEN

    service: str
    places: int
    """Places (referrals taken on) a year."""
    spend: Decimal
    """Spend a year, pounds."""
    years: int = 1
    """Years commissioned, each with the same places and spend."""
    history_years: int = HISTORY_YEARS
    last_year: models.FinancialYear
    """The latest year whose cases the forecast is built from (the report's year)."""


class ForecastYear(pydantic.BaseModel):
    """One commissioned year's expected figures."""

    model_config = _FROZEN

    index: int
    """0 for the first commissioned year."""
    completers: Decimal
    """Expected completed cases from the year's places, to 1 decimal place."""
    gross_saving: Decimal
    prudent_saving: Decimal
    """Discounted to the first year, by the year the cohort completes in."""
    spend: Decimal
    prudent_spend: Decimal
    """The spend raised by the cost optimism bias and discounted to the first year."""


class Forecast(pydantic.BaseModel):
    """A plan's expected savings, with the interval of the resampled plan."""

    model_config = _FROZEN

    plan: Plan
    price_year: models.FinancialYear
    built_from: tuple[models.FinancialYear, ...]
    """The financial years whose cases the forecast is built from, oldest first."""
    completed: int
    """Cases of those years that completed (whose savings a forecast completer repeats)."""
    ended: int
    """Cases of those years that ended: completed or closed."""
    completion_rate: Decimal
    """completed / ended, to 4 places."""
    months_to_complete: Decimal
    """The median months from referral to completion of the completed cases."""
    average_saving: Decimal
    """Mean gross saving per completed case of those years, pounds and pence."""
    prudent_average: Decimal
    discount_rate: Decimal
    cost_optimism_bias: Decimal
    """The uplift on the spend for the prudent figures (the settings' cost optimism bias)."""
    years: tuple[ForecastYear, ...]
    by_agency: dict[str, Decimal]
    """Expected gross saving over the plan by agency, whole pounds."""
    prudent_by_agency: dict[str, Decimal]
    level: Decimal
    resamples: int
    seed: int
    return_interval: uncertainty.Interval
    prudent_return_interval: uncertainty.Interval
    net_interval: uncertainty.Interval
    """Prudent net present budget impact's interval."""
    pays_for_itself: Decimal
    """Share of resampled plans whose gross saving exceeds the spend."""
    prudent_pays_for_itself: Decimal
    break_even_completers: int | None
    """Completers a year at the average saving that cover a year's spend, rounded up."""
    prudent_break_even_completers: int | None
    marking: str = "OFFICIAL-SENSITIVE"
    """The protective marking of its printed pages (settings [workbook] marking)."""

    @property
    def completers(self) -> Decimal:
        return sum((year.completers for year in self.years), models.ZERO)

    @property
    def gross_saving(self) -> Decimal:
        return sum((year.gross_saving for year in self.years), models.ZERO)

    @property
    def prudent_saving(self) -> Decimal:
        return sum((year.prudent_saving for year in self.years), models.ZERO)

    @property
    def spend(self) -> Decimal:
        return sum((year.spend for year in self.years), models.ZERO)

    @property
    def prudent_spend(self) -> Decimal:
        return sum((year.prudent_spend for year in self.years), models.ZERO)

    @property
    def net_present_budget_impact(self) -> Decimal:
        return self.prudent_saving - self.prudent_spend

    @property
    def return_on_investment(self) -> Decimal:
        return calculate.per_pound(self.gross_saving, self.spend)

    @property
    def financial_return(self) -> Decimal:
        return calculate.per_pound(self.prudent_saving, self.prudent_spend)

    @property
    def payback_year(self) -> int | None:
        """The commissioned years until the cumulative prudent savings, each cohort's counted in
        the year it completes, reach the cumulative prudent spend; None if not within the plan's
        years and the year after (when the last cohort completes)."""
        landing = completion_year(self.months_to_complete)
        saved = paid = models.ZERO
        for year in range(self.plan.years + landing):
            saved += sum((entry.prudent_saving for entry in self.years if entry.index + landing == year), models.ZERO)
            paid += sum((entry.prudent_spend for entry in self.years if entry.index == year), models.ZERO)
            if saved >= paid and paid > 0:
                return year + 1
        return None


def history(last_year: models.FinancialYear, count: int) -> tuple[models.FinancialYear, ...]:
    """The ``count`` financial years up to ``last_year``, oldest first."""
    return tuple(models.FinancialYear(start=last_year.start - back) for back in reversed(range(count)))


def completion_year(months_to_complete: Decimal) -> int:
    """How many years after its start a cohort completes: places start evenly through the year
    (on average 6 months in), and complete ``months_to_complete`` months after referral."""
    return int((6 + months_to_complete) // 12)


def months_between(start: datetime.date, end: datetime.date) -> Decimal:
    return Decimal((end - start).days) / Decimal("30.4375")  # (365.25 / 12 days a month)


def forecast(plan: Plan, cases: list[models.CaseRecord], valuer: calculate.Valuer,
             service: models.ServiceSettings, green_book, resampling: models.Resampling) -> Forecast | None:
    """The plan's forecast from the service's cases of ``plan.history_years`` years; None when
    no case of those years completed (nothing to build it from)."""
    years = history(plan.last_year, plan.history_years)
    completed = sorted((case for case in cases if case.service == service.name and case.completed_on is not None
                        and models.FinancialYear.containing(case.completed_on) in years),
                       key=lambda case: case.reference)
    if not completed:
        return None
    ended = sum(ended_in(cases, service, year) for year in years)
    valued = [valuer.case(case) for case in completed]
    rate = (Decimal(len(completed)) / ended).quantize(uncertainty.SHARE)
    delay = Decimal(statistics.median(months_between(case.referred_on, case.completed_on) for case in completed))
    gross = [valuation.total for valuation in valued]
    prudent = [valuation.prudent_total for valuation in valued]
    # the averages to the penny, as shown: the expected figures are worked from them, so a person
    # (or the Forecast sheet's formulas) gets the same pounds from what is shown
    mean_gross, mean_prudent = models.to_pence(sum(gross) / len(gross)), models.to_pence(sum(prudent) / len(prudent))
    landing = completion_year(delay)
    discount = green_book.discount_rate
    uplift = 1 + green_book.cost_optimism_bias
    expected = Decimal(plan.places) * rate
    forecast_years = tuple(
        ForecastYear(index=index, completers=expected.quantize(Decimal("0.1"), rounding=decimal.ROUND_HALF_UP),
                     gross_saving=models.whole_pounds(expected * mean_gross),
                     prudent_saving=models.whole_pounds(expected * mean_prudent / (1 + discount) ** (index + landing)),
                     spend=plan.spend, prudent_spend=models.whole_pounds(plan.spend * uplift / (1 + discount) ** index))
        for index in range(plan.years))
    draws = resample(plan, rate, gross, prudent, landing, discount, resampling)
    spend_total = sum((year.spend for year in forecast_years), models.ZERO)
    prudent_spend_total = sum((year.prudent_spend for year in forecast_years), models.ZERO)
    gross_totals = sorted(draw[0] for draw in draws)
    prudent_totals = sorted(draw[1] for draw in draws)
    gross_span = uncertainty.interval(gross_totals, resampling.level)
    prudent_span = uncertainty.interval(prudent_totals, resampling.level)
    return Forecast(
        plan=plan, price_year=valuer.price_year, built_from=years, completed=len(completed), ended=ended,
        completion_rate=rate, months_to_complete=delay.quantize(Decimal("0.1")),
        average_saving=mean_gross, prudent_average=mean_prudent,
        discount_rate=discount, cost_optimism_bias=green_book.cost_optimism_bias, years=forecast_years,
        by_agency=by_agency(valued, sum((year.gross_saving for year in forecast_years), models.ZERO), prudent=False),
        prudent_by_agency=by_agency(valued, sum((year.prudent_saving for year in forecast_years), models.ZERO),
                                    prudent=True),
        level=resampling.level, resamples=len(draws), seed=resampling.seed,
        return_interval=uncertainty.Interval(low=calculate.per_pound(gross_span.low, spend_total),
                                             high=calculate.per_pound(gross_span.high, spend_total)),
        prudent_return_interval=uncertainty.Interval(low=calculate.per_pound(prudent_span.low, prudent_spend_total),
                                                     high=calculate.per_pound(prudent_span.high, prudent_spend_total)),
        net_interval=uncertainty.Interval(low=prudent_span.low - prudent_spend_total,
                                          high=prudent_span.high - prudent_spend_total),
        pays_for_itself=uncertainty.share_above(gross_totals, spend_total),
        prudent_pays_for_itself=uncertainty.share_above(prudent_totals, prudent_spend_total),
        break_even_completers=uncertainty.completers_to_cover(plan.spend, mean_gross),
        prudent_break_even_completers=uncertainty.completers_to_cover(plan.spend * uplift, mean_prudent),
    )


def ended_in(cases: list[models.CaseRecord], service: models.ServiceSettings, year: models.FinancialYear) -> int:
    """The service's cases that ended in the year: completed, or closed (as the year's report counts them)."""
    table = calculate.participants(cases, service, year)
    return sum(table.total(row) for row in table.rows if row == "Successful completers" or row in calculate.CLOSURE_ROWS)


def resample(plan: Plan, rate: Decimal, gross: list[Decimal], prudent: list[Decimal], landing: int,
             discount: Decimal, resampling: models.Resampling) -> list[tuple[int, Decimal]]:
    """Each resampled plan's (gross saving, prudent saving discounted to the first year): each year,
    every place completes with chance ``rate``, and each completer repeats a past completed case's
    savings drawn with replacement."""
    generator = random.Random(resampling.seed)
    chance = float(rate)
    pairs = list(zip((int(value) for value in gross), prudent))
    factors = [(1 + discount) ** -(index + landing) for index in range(plan.years)]
    budget = max(uncertainty.FEWEST_RESAMPLES, uncertainty.DRAW_BUDGET // max(1, plan.places * plan.years))
    draws = []
    for _ in range(min(resampling.resamples, budget)):
        gross_total, prudent_total = 0, models.ZERO
        for factor in factors:
            completers = sum(1 for _ in range(plan.places) if generator.random() < chance)
            chosen = generator.choices(pairs, k=completers)
            gross_total += sum(value for value, _ in chosen)
            prudent_total += sum((value for _, value in chosen), models.ZERO) * factor
        draws.append((gross_total, models.whole_pounds(prudent_total)))
    return draws


def by_agency(valued: list[calculate.CaseValuation], total: Decimal, prudent: bool) -> dict[str, Decimal]:
    """``total`` (the plan's gross or prudent saving) by agency, in the shares the past completed
    cases' savings fall to each agency, whole pounds adding up to ``total`` exactly (``calculate.split``)."""
    totals: dict[str, Decimal] = {}
    for valuation in valued:
        for line in valuation.lines:
            for agency, amount in (line.prudent_agency_shares if prudent else line.agency_shares):
                totals[agency] = totals.get(agency, models.ZERO) + amount
    whole = sum(totals.values(), models.ZERO)
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    if not whole:
        return {agency: models.ZERO for agency, _ in ordered}
    return dict(calculate.split(total, [(agency, amount / whole) for agency, amount in ordered]))
