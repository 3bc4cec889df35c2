"""A commissioning forecast: what a planned number of places would bring, built from the
service's own recorded cases.

Places -> completions at the share of the service's ended cases that completed over the last
few years (its completion rate); each expected completer saves what a completed case of those
years saved, valued at the report's price year with the Green Book assumptions (the prudent
saving already has each benefit's drop-off and discounting over its own years); a cohort's
savings are counted in the year its cases complete (the places starting evenly through the
year, completing after the service's median months from referral to completion) and, prudent,
discounted to the first year like the spend, which is taken at the savings' price year. The
interval resamples the past cases first (which of the ended cases completed, so the rate; which
completed cases, so the savings), then the plan: how many of the places complete at that rate,
and which of those cases each completer repeats.

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
from up2u_cba.problems import counted

_FROZEN = pydantic.ConfigDict(frozen=True)

METHOD = ("up2u-cba forecast works forward from a plan (places and spend a year, for some years): expected "
          "completers are the places x the service's completion rate (completed / ended) over the years it is "
          "built from (three unless asked); each saves what the average completed case of those years saved, "
          "valued at the report's price year with the Green Book assumptions; a cohort's saving is counted in "
          "the year it completes (six months into the year plus the median months from referral to completion),"
          " and prudent savings and spend are discounted to the first year; the spend is taken at the savings' "
          "price year (deflated from the prices it is given at). Its interval resamples the past cases "
          "themselves (their outcomes and savings) and then the plan: each place completing at the resampled "
          "rate, each completer repeating a resampled past case. A forecast from past completers assumes the "
          "coming cases will resemble them: it is not a counterfactual.")
"""The forecast's method, as the workbook's Method sheet says it."""
VARIED = ("The interval's plans also draw each Green Book assumption over its [sensitivity] range, while the "
          "point figures use the settings' own values, so the point need not lie within the interval. ")
"""Said beside a forecast whose resampled plans drew the assumptions (``Forecast.assumptions_varied``)."""


def small_cohort_warning(result: "Forecast") -> str:
    """What every view of a forecast built from few completed cases says ('' where there are
    enough): rough; from one case the interval has no width, which is no sign of certainty; and
    how to build it from other years (a newcomer's one test case in this year made the default
    years hold one case)."""
    if not result.small_cohort:
        return ""
    one = (" (from one case the interval has no width: that is not certainty, only nothing to resample)"
           if result.completed == 1 else "")
    return (f"Only {counted(result.completed, 'completed case')} to build from: the forecast and its interval are "
            f"rough{one}; --year names the last of the years to build it from (e.g. --year "
            f"{models.FinancialYear(start=result.built_from[0].start - 1)}, the year before these). ")


def landing_words(result: "Forecast") -> str:
    """When each year's cohort saves: the year its places start, or a number of years later."""
    landing = completion_year(result.months_to_complete)
    if landing == 0:
        return "Each year's cohort completes, and its savings count, in the year its places start."
    return (f"Each year's cohort completes, and its savings count, {counted(landing, 'year')} after the year its places "
            "start (discounted so); the spend is in the year it is paid.")


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
    """Spend a year, pounds, at ``spend_prices``."""
    spend_prices: models.FinancialYear | None = None
    """The prices the spend is given at; None: the savings' price year (no conversion)."""
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
    spend_real: Decimal
    """A year's spend at the savings' price year (``price_year``): the spend given, deflated from
    ``plan.spend_prices`` with the report's GDP deflators, whole pounds half up; every spend figure
    of the forecast is this, so savings and spend are in one price base (HM Treasury Green Book:
    real terms)."""
    small_cohort: bool = False
    """Built from fewer completed cases than [uncertainty] small_cohort: the interval means little."""
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
    made: dict[str, str] = {}
    """How it was made (``pipeline.forecast``): tool version, time, command, settings file,
    deflator series; shown in every rendering so it can be made again."""
    assumptions: tuple[tuple[str, str, str], ...] = ()
    """The Green Book assumptions in force: (name, value, source), as the report lists them."""
    assumptions_varied: bool = False
    """The resampled plans also drew the Green Book assumptions over their [sensitivity] ranges."""

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
        """The years, counted from the first commissioned year, until the cumulative prudent
        savings (each cohort's counted in the year it completes: ``completion_year`` years after
        its places start) reach the cumulative prudent spend and stay at or above it to the year
        the last cohort's savings count (the year-end report's rule, ``calculate.paid_back_from``:
        never the first year they reach it if a later year's spend overtakes them); None if they
        end below it."""
        landing = completion_year(self.months_to_complete)
        saved = paid = models.ZERO
        nets = []
        for year in range(self.plan.years + landing):
            saved += sum((entry.prudent_saving for entry in self.years if entry.index + landing == year), models.ZERO)
            paid += sum((entry.prudent_spend for entry in self.years if entry.index == year), models.ZERO)
            nets.append(saved - paid)
        return calculate.paid_back_from(nets) if paid > 0 else None


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
             service: models.ServiceSettings, green_book, resampling: models.Resampling,
             lines_of=None) -> Forecast | None:
    """The plan's forecast from the service's cases of ``plan.history_years`` years; None when
    no case of those years completed (nothing to build it from). With ``resampling.vary_assumptions``,
    ``lines_of`` (a completed case -> its ``sensitivity.prudent_lines``) lets each resampled plan
    draw the Green Book assumptions too."""
    years = history(plan.last_year, plan.history_years)
    completed, closed = outcomes_in(cases, service.name, years)
    if not completed:
        return None
    ended = len(completed) + closed
    valued = [valuer.case(case) for case in completed]
    rate = (Decimal(len(completed)) / ended).quantize(uncertainty.SHARE)
    # the median months to completion as shown (to 0.1): the year a cohort completes in is worked
    # from it here, in the text and on the Forecast sheet alike
    delay = Decimal(statistics.median(months_between(case.referred_on, case.completed_on) for case in completed)
                    ).quantize(Decimal("0.1"), rounding=decimal.ROUND_HALF_UP)
    gross = [valuation.total for valuation in valued]
    prudent = [valuation.prudent_total for valuation in valued]
    # the averages to the penny, as shown; each year's expected figures are places x rate x average
    # (the completers are shown to 0.1, the figures worked from places x rate unrounded), which
    # the Forecast sheet's formulas repeat from the cells it shows
    mean_gross, mean_prudent = models.to_pence(sum(gross) / len(gross)), models.to_pence(sum(prudent) / len(prudent))
    landing = completion_year(delay)
    discount = green_book.discount_rate
    uplift = 1 + green_book.cost_optimism_bias
    spend = plan.spend if plan.spend_prices is None else \
        models.whole_pounds(plan.spend * valuer.series.factor(plan.spend_prices, valuer.price_year))
    expected = Decimal(plan.places) * rate
    forecast_years = tuple(
        ForecastYear(index=index, completers=expected.quantize(Decimal("0.1"), rounding=decimal.ROUND_HALF_UP),
                     gross_saving=models.whole_pounds(expected * mean_gross),
                     prudent_saving=models.whole_pounds(expected * mean_prudent / (1 + discount) ** (index + landing)),
                     spend=spend, prudent_spend=models.whole_pounds(spend * uplift / (1 + discount) ** index))
        for index in range(plan.years))
    varied = [lines_of(case) for case in completed] if resampling.vary_assumptions and lines_of else None
    draws = resample(plan, len(completed), ended, list(zip(gross, prudent)), landing, discount, resampling,
                     green_book, varied)
    spend_total = sum((year.spend for year in forecast_years), models.ZERO)
    prudent_spend_total = sum((year.prudent_spend for year in forecast_years), models.ZERO)
    gross_totals = sorted(draw[0] for draw in draws)
    prudent_totals = sorted(draw[1] for draw in draws)
    gross_span = uncertainty.interval(gross_totals, resampling.level)
    prudent_span = uncertainty.interval(prudent_totals, resampling.level)
    return Forecast(
        plan=plan, price_year=valuer.price_year, built_from=years, completed=len(completed), ended=ended,
        completion_rate=rate, spend_real=spend, small_cohort=len(completed) < resampling.small_cohort,
        months_to_complete=delay,
        average_saving=mean_gross, prudent_average=mean_prudent,
        discount_rate=discount, cost_optimism_bias=green_book.cost_optimism_bias, years=forecast_years,
        by_agency=by_agency(valued, sum((year.gross_saving for year in forecast_years), models.ZERO), prudent=False),
        prudent_by_agency=by_agency(valued, sum((year.prudent_saving for year in forecast_years), models.ZERO),
                                    prudent=True),
        level=resampling.level, resamples=len(draws), seed=resampling.seed, assumptions_varied=varied is not None,
        return_interval=uncertainty.Interval(low=calculate.per_pound(gross_span.low, spend_total),
                                             high=calculate.per_pound(gross_span.high, spend_total)),
        prudent_return_interval=uncertainty.Interval(low=calculate.per_pound(prudent_span.low, prudent_spend_total),
                                                     high=calculate.per_pound(prudent_span.high, prudent_spend_total)),
        net_interval=uncertainty.Interval(low=prudent_span.low - prudent_spend_total,
                                          high=prudent_span.high - prudent_spend_total),
        pays_for_itself=uncertainty.share_above(gross_totals, spend_total),
        prudent_pays_for_itself=uncertainty.share_above(prudent_totals, prudent_spend_total),
        break_even_completers=uncertainty.completers_to_cover(spend, sum(gross), len(gross)),
        prudent_break_even_completers=uncertainty.completers_to_cover(spend * uplift, sum(prudent), len(prudent)),
    )


def outcomes_in(cases: list[models.CaseRecord], service: str,
                years: tuple[models.FinancialYear, ...]) -> tuple[list[models.CaseRecord], int]:
    """The service's cases that completed within ``years`` (in reference order), and how many
    others ended there closed: each case counted once, by where it stood at the last year's end
    (a case closed on hold and completed later counts once, as completed)."""
    first, last = years[0].first_day, years[-1].last_day
    completed, closed = [], 0
    for case in sorted(cases, key=lambda case: case.reference):
        if case.service != service:
            continue
        event = case.status_on(last)
        if event is None or not first <= event.date <= last:
            continue
        if event.status is models.Status.COMPLETED:
            completed.append(case)
        elif event.status is models.Status.CLOSED:
            closed += 1
    return completed, closed


BINOMIAL_BY_LOOP = 1000
"""Up to this many trials, a binomial count is drawn trial by trial; above it, from its normal
approximation (rounded, kept within 0 and the trials), so 100,000 places stay quick."""


def binomial(generator: random.Random, trials: int, chance: float) -> int:
    """How many of ``trials`` succeed, each with ``chance``."""
    if trials <= BINOMIAL_BY_LOOP:
        return sum(1 for _ in range(trials) if generator.random() < chance)
    spread = math.sqrt(trials * chance * (1 - chance))
    return min(trials, max(0, round(generator.gauss(trials * chance, spread))))


def resample(plan: Plan, completed: int, ended: int, cases: list[tuple[Decimal, Decimal]], landing: int,
             discount: Decimal, resampling: models.Resampling, green_book=None,
             case_lines: list[dict] | None = None) -> list[tuple[int, Decimal]]:
    """Each resampled plan's (gross saving, prudent saving discounted to the first year). Both
    steps rest on the past cases, so each draw resamples them first: the ended cases' outcomes
    (how many of ``ended`` completed: the rate) and the completed cases' savings (a bootstrap
    of ``cases``); then each year every place completes at that rate, and each completer repeats
    a case of that bootstrap. With ``case_lines`` (each case's lines), each draw also draws the
    Green Book assumptions over their ranges and revalues the cases' prudent savings under them
    (the discount rate drawn too discounts the savings, not the spend); fewer draws where there
    are many lines (``uncertainty.LINE_BUDGET``)."""
    generator = random.Random(resampling.seed)
    pairs = [(int(gross), prudent) for gross, prudent in cases]
    factors = [(1 + discount) ** -(index + landing) for index in range(plan.years)]
    budget = max(uncertainty.FEWEST_RESAMPLES, uncertainty.DRAW_BUDGET // max(1, plan.places * plan.years))
    if case_lines is not None:
        lines = sum(len(found) for found in case_lines)
        budget = min(budget, max(uncertainty.FEWEST_RESAMPLES, uncertainty.LINE_BUDGET // max(1, lines)))
    years_factors: dict = {}
    # the assumptions from a stream of their own, so drawing them leaves the cases' draws as they are
    assumption_generator = random.Random(f"{resampling.seed} assumptions")
    draws = []
    for _ in range(min(resampling.resamples, budget)):
        if case_lines is not None:
            drawn = uncertainty.drawn_assumptions(assumption_generator, green_book)
            revalued = uncertainty.revalued(case_lines, drawn, years_factors)
            pairs = [(gross, value) for (gross, _), value in zip(pairs, revalued)]
        chance = binomial(generator, ended, completed / ended) / ended
        past = generator.choices(pairs, k=len(pairs))
        gross_total, prudent_total = 0, models.ZERO
        for factor in factors:
            chosen = generator.choices(past, k=binomial(generator, plan.places, chance))
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
