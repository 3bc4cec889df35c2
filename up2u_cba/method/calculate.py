"""The calculation: pure functions from checked inputs to figures, all in ``Decimal``.

A line's saving is unit value x quantity x years, uprated to the report's price year, rounded
to whole pounds half up. Every total is the exact sum of the rounded lines.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import fractions
import math
import typing
from decimal import Decimal

import pydantic

from up2u_cba import models
from up2u_cba.inputs import crosswalk, deflators, unit_costs
from up2u_cba.method import assumptions

_FROZEN = pydantic.ConfigDict(frozen=True)


class OutcomeLine(pydantic.BaseModel):
    """One valued outcome of one case: the audit trail of a single saving."""

    model_config = _FROZEN

    reference: str
    service: str
    locality: str
    code: str
    """Unit cost code that values the line."""
    description: str
    """What the report shows: the case's own description, or the unit cost's."""
    quantity: Decimal
    years: Decimal
    unit_value: Decimal
    """Fiscal value per unit in the cost's own price year, pounds."""
    price_year: models.FinancialYear
    """The unit cost's price year."""
    uprating_factor: Decimal
    """Deflator ratio from the cost's price year to the report's price year."""
    saving: Decimal
    """unit_value x uprating_factor x quantity x years, rounded to whole pounds half up."""
    agency: str
    """The agency bearing the cost / making the saving (``Multiple`` where split)."""
    agency_proportions: tuple[tuple[str, Decimal], ...]
    """How the saving divides between agencies: one (agency, proportion) per constituent part
    (or the cost's own agency with proportion 1); proportions add up to 1."""
    agency_note: str = ""
    """How the saving was shared between agencies: by its cost's parts at their own price year,
    or why it stays with the cost's own agency ('' for a cost without parts)."""
    theme: str
    """Outcome theme: the database sheet (Crime, Health...)."""
    rag: str
    evidence: str
    # --- the prudent (Green Book) figure beside the gross one ---
    deadweight: Decimal = models.ZERO
    """Share that would have happened anyway (the line's own, or the settings')."""
    attribution: Decimal = Decimal(1)
    """Share due to this programme."""
    grade: str = ""
    """Evidence grade used for optimism bias: the line's confidence, else the cost's RAG rating,
    else R (an unrated estimate counts as the least sure)."""
    optimism_bias: Decimal = models.ZERO
    drop_off: Decimal = models.ZERO
    """Share of the benefit lost each year after the first."""
    discount_rate: Decimal = models.ZERO
    years_factor: Decimal = Decimal(1)
    """Sum over the benefit's years k of (1 - drop_off)^k / (1 + discount_rate)^k (a final part
    year counts by its fraction): what replaces ``years`` in the prudent figure."""
    prudent_saving: Decimal = models.ZERO
    """unit_value x uprating_factor x quantity x years_factor x (1 - deadweight) x attribution
    x (1 - optimism_bias), rounded to whole pounds half up."""
    start_month: int = 0
    """The month the case completed, counted from 0 at the first month (April) of the financial
    year it completed in: the benefit starts accruing in that month (payback)."""
    economic_unit_value: Decimal = models.ZERO
    """The cost's economic value per unit at the report's price year (0 if it has none)."""
    social_unit_value: Decimal = models.ZERO
    """The cost's social value per unit at the report's price year (0 if it has none)."""
    prudent_economic: Decimal = models.ZERO
    """The same adjustments applied to the cost's economic value (0 if it has none)."""
    prudent_social: Decimal = models.ZERO
    """The same adjustments applied to the cost's social value (0 if it has none)."""
    transfer_share: Decimal = models.ZERO
    """Share (0 to 1) of the fiscal saving that is a transfer payment, kept out of public value:
    1 for a cost marked a transfer, the marked parts' share of a cost split into parts
    (``transfer_share``), else 0."""
    adjustment_reason: str = ""
    own_deadweight: bool = False
    """The line sets its own deadweight (kept in its own cell in the workbook, not the settings')."""
    own_attribution: bool = False
    """The line sets its own attribution."""

    @property
    def agency_shares(self) -> tuple[tuple[str, Decimal], ...]:
        """The saving split by agency in whole pounds that add up to ``saving`` (see ``split``)."""
        return merge_shares(split(self.saving, list(self.agency_proportions)))

    @property
    def prudent_agency_shares(self) -> tuple[tuple[str, Decimal], ...]:
        """The prudent saving split by agency the same way."""
        return merge_shares(split(self.prudent_saving, list(self.agency_proportions)))

    @property
    def prudent_transfer(self) -> Decimal:
        """The transfer part of the prudent fiscal saving in whole pounds: saving x transfer
        share, taken to 6 places and rounded half up (as the workbook's formula does); the rest
        of the saving is not a transfer, so the two always add up to the line's saving."""
        return models.whole_pounds((self.prudent_saving * self.transfer_share).quantize(models.CLEAN,
                                                                                      rounding=decimal.ROUND_HALF_UP))

    @property
    def unit_value_uprated(self) -> Decimal:
        """Fiscal value per unit at the report's price year, unrounded."""
        return self.unit_value * self.uprating_factor


class CaseValuation(pydantic.BaseModel):
    """A completed case's savings: its lines and their total."""

    model_config = _FROZEN

    reference: str
    service: str
    locality: str
    completed_on: datetime.date
    lines: tuple[OutcomeLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.saving for line in self.lines), models.ZERO)

    @property
    def prudent_total(self) -> Decimal:
        return sum((line.prudent_saving for line in self.lines), models.ZERO)


PARTICIPANT_ROWS = (
    "Total number of referrals",
    "Successful completers",
    "On programme currently",
    "In assessment stage",
    "Disengaged or on hold",
    "No contact / no engagement",
    "Not suitable for programme",
)
_CLOSURE_ROWS = {
    models.ClosureReason.DISENGAGED: "Disengaged or on hold",
    models.ClosureReason.ON_HOLD: "Disengaged or on hold",
    models.ClosureReason.NO_CONTACT: "No contact / no engagement",
    models.ClosureReason.NOT_SUITABLE: "Not suitable for programme",
    models.ClosureReason.MOVED_AWAY: "Other closure",
    models.ClosureReason.IN_CUSTODY: "Other closure",
    models.ClosureReason.OTHER: "Other closure",
}
OTHER_CLOSURE = "Other closure"
CLOSURE_ROWS = frozenset(_CLOSURE_ROWS.values())
"""The participant rows of cases closed in the year."""
"""The row for cases closed for a reason the published table has no row for (moved away, in
custody, other): after the published rows, and only in a year that has such a closure, so the
published table keeps its shape."""


class ParticipantTable(pydantic.BaseModel):
    """Counts of participants by row (PARTICIPANT_ROWS, then OTHER_CLOSURE when the year has
    one) and locality, for one service and year."""

    model_config = _FROZEN

    localities: tuple[str, ...]
    counts: dict[str, dict[str, int]]
    """counts[row][locality]."""

    def total(self, row: str) -> int:
        return sum(self.counts[row].values())

    @property
    def rows(self) -> tuple[str, ...]:
        """The table's rows, in the order it is shown."""
        return tuple(self.counts)


class ServiceSummary(pydantic.BaseModel):
    """One service's year: the cases completed in it, what they saved, and what the programme cost."""

    model_config = _FROZEN

    service: str
    year: models.FinancialYear
    price_year: models.FinancialYear
    cases: tuple[CaseValuation, ...]
    """Cases completed in the year, in reference order."""
    spend: Decimal | None
    """Programme spend for the service and year, pounds; None while the settings give none for
    the year ("not yet set"): then every figure set against spend (net saving, returns, payback)
    is None too, never 0."""
    participants: ParticipantTable
    green_book: assumptions.Assumptions = assumptions.Assumptions()
    """The Green Book assumptions behind the prudent figures."""

    @property
    def lines(self) -> list[OutcomeLine]:
        return [line for case in self.cases for line in case.lines]

    @property
    def completers(self) -> int:
        return len(self.cases)

    @property
    def prudent_adjusted(self) -> bool:
        """Whether any Green Book assumption moves any line of the year: a deadweight, an
        attribution below 100%, an optimism bias, or a benefit beyond a year that drop-off or
        discounting reduces; or a prudent spend that differs from the spend as entered (cost
        optimism bias). Where none does, the prudent figures
        are the gross ones, not a conservative estimate, and every report says so."""
        return (self.spend is not None and self.prudent_spend != self.spend) or \
            any(line_adjusted(line) for line in self.lines)

    @property
    def total_saving(self) -> Decimal:
        return sum((case.total for case in self.cases), models.ZERO)

    @property
    def net_saving(self) -> Decimal | None:
        return None if self.spend is None else self.total_saving - self.spend

    @property
    def return_on_investment(self) -> Decimal | None:
        """Saving per pound spent, to 2 decimal places, half up."""
        return None if self.spend is None else per_pound(self.total_saving, self.spend)

    @property
    def average_saving(self) -> Decimal:
        """Total saving per completed case, whole pounds half up (0 with no completions)."""
        return average(self.total_saving, self.completers)

    @property
    def cost_per_completer(self) -> Decimal | None:
        """Spend per completed case, pounds and pence (``cost_per_completer``); None while spend is
        not set or none completed."""
        return cost_per_completer(self.spend, self.completers)

    @property
    def ended(self) -> int:
        """Cases that ended in the year: completed, or closed (every closure row of the participant table)."""
        return self.completers + sum(self.participants.total(row) for row in self.participants.rows
                                     if row in CLOSURE_ROWS)

    @property
    def completion_rate(self) -> Decimal | None:
        """The share of the cases that ended in the year that completed (``ended``), to 4 places;
        None when none ended."""
        return completion_rate(self.completers, self.ended)

    @property
    def by_agency(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            for agency, amount in line.agency_shares:
                totals[agency] = totals.get(agency, models.ZERO) + amount
        return _largest_first(totals)

    @property
    def by_locality(self) -> dict[str, Decimal]:
        totals = {locality: models.ZERO for locality in self.participants.localities}
        for case in self.cases:
            totals[case.locality] = totals.get(case.locality, models.ZERO) + case.total
        return totals

    @property
    def by_theme(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.theme] = totals.get(line.theme, models.ZERO) + line.saving
        return _largest_first(totals)

    # --- prudent figures and the Green Book measures ---

    @property
    def prudent_total(self) -> Decimal:
        """Sum of the lines' prudent fiscal savings: the prudent figure beside total_saving."""
        return sum((line.prudent_saving for line in self.lines), models.ZERO)

    @property
    def prudent_average(self) -> Decimal:
        """Prudent saving per completed case, whole pounds half up (0 with no completions)."""
        return average(self.prudent_total, self.completers)

    @property
    def prudent_spend(self) -> Decimal | None:
        """The spend the prudent figures set savings against: the spend as entered, raised by the
        cost optimism bias (paid within the year as the spend profile says, so never discounted:
        ``assumptions.SPEND_WITHIN_THE_YEAR``), whole pounds half up; never below the spend. None
        while no spend is set. The gross figures use the spend as entered."""
        return None if self.spend is None else prudent_spend(self.spend, self.green_book)

    @property
    def prudent_net_saving(self) -> Decimal | None:
        """Prudent fiscal savings less the prudent spend: the net present budget impact."""
        return None if self.spend is None else self.prudent_total - self.prudent_spend

    @property
    def financial_return(self) -> Decimal | None:
        """Financial return on investment: prudent fiscal savings per pound of prudent spend, 2 dp."""
        return None if self.spend is None else per_pound(self.prudent_total, self.prudent_spend)

    @property
    def prudent_by_agency(self) -> dict[str, Decimal]:
        totals = {agency: models.ZERO for agency in self.by_agency}
        for line in self.lines:
            for agency, amount in line.prudent_agency_shares:
                totals[agency] = totals.get(agency, models.ZERO) + amount
        return totals

    @property
    def prudent_by_locality(self) -> dict[str, Decimal]:
        totals = {locality: models.ZERO for locality in self.by_locality}
        for case in self.cases:
            totals[case.locality] = totals.get(case.locality, models.ZERO) + case.prudent_total
        return totals

    @property
    def prudent_by_theme(self) -> dict[str, Decimal]:
        totals = {theme: models.ZERO for theme in self.by_theme}
        for line in self.lines:
            totals[line.theme] = totals.get(line.theme, models.ZERO) + line.prudent_saving
        return totals

    @property
    def prudent_by_value_type(self) -> dict[str, Decimal]:
        """Prudent benefits by value type; fiscal transfers (benefits, tax) shown apart, each
        line's prudent saving split into its transfer part (``OutcomeLine.prudent_transfer``)
        and the rest, so the two add up to the prudent total."""
        transfers = sum((line.prudent_transfer for line in self.lines), models.ZERO)
        return {
            "fiscal (excluding transfers)": self.prudent_total - transfers,
            "fiscal transfers": transfers,
            "economic": sum((line.prudent_economic for line in self.lines), models.ZERO),
            "social": sum((line.prudent_social for line in self.lines), models.ZERO),
        }

    @property
    def public_value(self) -> Decimal:
        """Fiscal (transfers excluded), economic and social prudent benefits together."""
        values = self.prudent_by_value_type
        return values["fiscal (excluding transfers)"] + values["economic"] + values["social"]

    @property
    def public_value_ratio(self) -> Decimal | None:
        """Public value benefit-cost ratio: public value per pound spent, 2 dp."""
        return None if self.spend is None else per_pound(self.public_value, self.prudent_spend)

    @property
    def cashable_by_agency(self) -> dict[str, Decimal]:
        """Prudent fiscal savings a budget holder can release: each agency's prudent share x the
        cashability of the agency by its full name, else its level 1 (``cashable_share``),
        whole pounds half up."""
        return {
            agency: models.whole_pounds(amount * self.green_book.cashable_share(agency))
            for agency, amount in self.prudent_by_agency.items()
        }

    @property
    def payback_months(self) -> int | None:
        """The payback period in months (``payback_month``): from the first month the prudent
        savings stay at or above the prudent spend for good; None if they end below it, or no
        spend is set."""
        return payback_month(self.lines, self.spend, self.green_book)


def prudent_spend(spend: Decimal, green_book: assumptions.Assumptions) -> Decimal:
    """The year's spend as the prudent figures count it (``ServiceSummary.prudent_spend``)."""
    return models.whole_pounds(exact_prudent_spend(spend, green_book))


def exact_prudent_spend(spend: Decimal, green_book: assumptions.Assumptions) -> Decimal:
    """``prudent_spend`` before rounding (to Decimal's precision)."""
    exact = sum(spend_by_month(spend, green_book).values(), fractions.Fraction(0))
    return Decimal(exact.numerator) / Decimal(exact.denominator)


def spend_by_month(spend: Decimal, green_book: assumptions.Assumptions) -> dict[int, fractions.Fraction]:
    """Each payment of the spend profile, exactly: month (0 the financial year's first) -> the
    spend x (1 + cost optimism bias) x its share. Every payment falls within the year
    (``assumptions.SPEND_WITHIN_THE_YEAR``), year 0 of discounting, so none is discounted and
    the payments add up to at least the spend entered."""
    uplift = fractions.Fraction(spend) * (1 + fractions.Fraction(green_book.cost_optimism_bias))
    return {month: uplift * share for month, share in green_book.spend_payments()}


def benefit_by_month(lines: typing.Iterable[OutcomeLine]) -> dict[int, fractions.Fraction]:
    """The lines' prudent fiscal savings month by month, exactly: each line's benefit starts in
    the month its case completed (``start_month``); each year k of it brings the line's prudent
    saving x (its weight / the years factor), evenly over that year's 12 months (a final part
    year over its part, the last month by its fraction), so a line's months add up to its rounded
    prudent saving."""
    groups: dict[tuple[int, Decimal, Decimal, Decimal], Decimal] = {}
    for line in lines:
        key = (line.start_month, line.years, line.drop_off, line.discount_rate)
        groups[key] = groups.get(key, models.ZERO) + line.prudent_saving
    months: dict[int, fractions.Fraction] = {}
    for (start, years, drop_off, rate), saving in groups.items():
        weights = [fractions.Fraction(weight) for weight in year_weights(years, drop_off, rate)]
        whole = sum(weights, fractions.Fraction(0))
        if not whole or not saving:
            continue
        for year, weight in enumerate(weights):
            length = 12 * min(fractions.Fraction(1), fractions.Fraction(years) - year)  # months of this year
            amount = fractions.Fraction(saving) * weight / whole
            for index in range(math.ceil(length)):
                month = start + 12 * year + index
                months[month] = months.get(month, fractions.Fraction(0)) + amount * min(1, length - index) / length
    return months


def prudent_spend_by_month(spend: Decimal, green_book: assumptions.Assumptions) -> dict[int, fractions.Fraction]:
    """Each payment of the prudent spend, exactly: month (0 the financial year's first) -> the
    rounded ``prudent_spend`` x the payment's share of the spend profile, so the months add up to
    the prudent spend (the workbook's Payback sheet: the Summary's prudent spend x the share)."""
    prudent = fractions.Fraction(prudent_spend(spend, green_book))
    return {month: prudent * share for month, share in green_book.spend_payments()}


def payback_month(lines: typing.Iterable[OutcomeLine], spend: Decimal | None,
                  green_book: assumptions.Assumptions) -> int | None:
    """The payback period: the first month (counted from 0 at the financial year's first month)
    from whose end to the last month of benefits or spend (as far as the workbook's Payback sheet
    lists) the cumulative discounted prudent fiscal benefits
    (``benefit_by_month``) stay at or above the cumulative prudent spend
    (``prudent_spend_by_month``), given as months, that month + 1. A spend paid over the year
    can overtake benefits that have ended, so savings that reach the spend early and fall behind
    it for good never pay back. Exact fractions throughout, so a net of exactly £0 pays back in
    the last month of benefits or spend. None if the savings end below the spend, or no spend set."""
    if spend is None:
        return None
    return paid_back_from(running_nets(benefit_by_month(lines), prudent_spend_by_month(spend, green_book)))


def running_nets(benefits: dict[int, fractions.Fraction], costs: dict[int, fractions.Fraction]) -> list:
    """For each month from 0 to the last in which a benefit accrues or a payment is made, the
    running benefits less the running spend by its end."""
    net = fractions.Fraction(0)
    nets = []
    for month in range(max((*costs, *benefits), default=0) + 1):
        net += benefits.get(month, 0) - costs.get(month, 0)
        nets.append(net)
    return nets


def paid_back_from(nets: list) -> int | None:
    """The payback period from ``running_nets``: the first month from which every month to the
    last is at or above the spend (net >= 0), + 1; where the savings end exactly at the spend (a
    net of £0), the last month + 1, as the issue's rule has it ("a net of exactly zero pays back
    at the end"), even if they were level before; None where they end below it."""
    if not nets or nets[-1] < 0:
        return None
    if nets[-1] == 0:
        return len(nets)
    month = len(nets)
    while month and nets[month - 1] >= 0:
        month -= 1
    return month + 1


def months_into_year(day: datetime.date) -> int:
    """The month of ``day`` counted from 0 at the first month (April) of its financial year."""
    first = models.FinancialYear.containing(day).first_day
    return (day.year - first.year) * 12 + day.month - first.month


def per_pound(amount: Decimal, spend: Decimal) -> Decimal:
    """Pounds of ``amount`` per pound of ``spend``, to 2 decimal places, half up (taken to 8
    places first, as the workbook's formula does)."""
    ratio = (amount / spend).quantize(Decimal("0.00000001"), rounding=decimal.ROUND_HALF_UP)
    return ratio.quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


def line_adjusted(line) -> bool:
    """Whether a Green Book assumption moves this outcome line: a deadweight, an attribution
    below 100%, an optimism bias, or a benefit beyond a year that drop-off or discounting reduces
    (the workbook's Summary counts such lines with the same test, as a formula)."""
    return bool(line.deadweight or line.attribution != 1 or line.optimism_bias or line.years_factor != line.years)


def average(saving: Decimal, completers: int) -> Decimal:
    """Saving per completed case, whole pounds half up (0 with no completions)."""
    return models.whole_pounds(saving / completers) if completers else models.ZERO


def cost_per_completer(spend: Decimal | None, completers: int) -> Decimal | None:
    """Spend per completed case in pounds and pence, half up (£0.33, never £0), as text, JSON and
    the workbook all show it; None while spend is not set or none completed."""
    return None if spend is None or not completers else models.to_pence(spend / completers)


def completion_rate(completers: int, ended: int) -> Decimal | None:
    """``completers`` as a share of the cases that ended, to 4 places half up; None when none ended."""
    if not ended:
        return None
    return (Decimal(completers) / ended).quantize(Decimal("0.0001"), rounding=decimal.ROUND_HALF_UP)


def _largest_first(totals: dict[str, Decimal]) -> dict[str, Decimal]:
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def counted_years(outcome: models.OutcomeEntry, cost: models.UnitCost, green_book: assumptions.Assumptions) -> Decimal:
    """The years a line counts for: its own, or (when its case file gave none) the settings'
    benefit duration for its code."""
    return outcome.years if outcome.years_stated else green_book.duration.get(cost.code, outcome.years)


def gross_saving(outcome: models.OutcomeEntry, cost: models.UnitCost, series: deflators.DeflatorSeries,
                 price_year: models.FinancialYear, green_book: assumptions.Assumptions) -> Decimal:
    """A line's gross saving in whole pounds at ``price_year`` prices (its cost has a fiscal value
    whose price year the series holds: checked before valuing)."""
    factor = series.factor(cost.fiscal.price_year, price_year)
    return models.whole_pounds(cost.fiscal.amount * factor * outcome.quantity * counted_years(outcome, cost, green_book))


def evidence_grade(outcome: models.OutcomeEntry, cost: models.UnitCost,
                   green_book: assumptions.Assumptions = assumptions.Assumptions()) -> str:
    """The grade a line's optimism bias is taken at: its own confidence, else its cost's RAG
    rating; an unrated estimate is treated as the least sure (``Assumptions.grade``)."""
    return green_book.grade(outcome.confidence, cost.rag)


def line_shares(own_deadweight: Decimal | None, own_attribution: Decimal | None, grade: str, code: str,
                green_book: assumptions.Assumptions) -> tuple[Decimal, Decimal, Decimal]:
    """A line's deadweight, attribution and optimism bias: its own shares where it sets them,
    else the settings' for its code; optimism bias by its evidence grade."""
    deadweight = own_deadweight if own_deadweight is not None else green_book.deadweight.for_code(code)
    attribution = own_attribution if own_attribution is not None else green_book.attribution.for_code(code)
    return deadweight, attribution, green_book.optimism_bias.get(grade, models.ZERO)


def value_line(
    case: models.CaseRecord,
    outcome: models.OutcomeEntry,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    price_year: models.FinancialYear,
    green_book: assumptions.Assumptions = assumptions.Assumptions(),
) -> OutcomeLine:
    """Value one outcome of one case (inputs already checked): gross, and prudent beside it."""
    return Valuer(costs, series, price_year, green_book).line(case, outcome)


class Valuer:
    """Values outcome lines against one set of inputs. What every line of one cost shares (its
    uprating, its agency split, its years weights) is worked out once, so valuing 300,000 lines
    never scans the unit cost tables once per line."""

    def __init__(self, costs: dict[str, models.UnitCost], series: deflators.DeflatorSeries,
                 price_year: models.FinancialYear, green_book: assumptions.Assumptions = assumptions.Assumptions()):
        self.costs, self.series, self.price_year, self.green_book = costs, series, price_year, green_book
        self._tree: unit_costs.Tree | None = None
        self._terms: dict[str, _CostTerms] = {}
        self._weights: dict[tuple[Decimal, Decimal], list[Decimal]] = {}

    def case(self, case: models.CaseRecord) -> CaseValuation:
        """Value every outcome line of a completed case."""
        assert case.completed_on is not None, "only completed cases are valued"
        return models.trusted(CaseValuation, dict(
            reference=case.reference, service=case.service, locality=case.locality, completed_on=case.completed_on,
            lines=tuple(self.line(case, outcome) for outcome in case.outcomes)))

    def terms(self, cost: models.UnitCost) -> _CostTerms:
        """What every line valued with ``cost`` shares, once a run."""
        found = self._terms.get(cost.code)
        if found is None:
            if self._tree is None:
                self._tree = unit_costs.Tree(self.costs)
            series, price_year = self.series, self.price_year
            assert cost.fiscal is not None, "checked before valuing"

            def at_report_prices(value: models.CostValue | None) -> Decimal:
                if value is None or value.price_year not in series.index:
                    return models.ZERO
                return value.amount * series.factor(value.price_year, price_year)

            parts, note = split_parts(cost, self._tree, series)
            found = self._terms[cost.code] = _CostTerms(
                factor=series.factor(cost.fiscal.price_year, price_year),
                agency=cost.agency or "Not stated",
                proportions=proportions_by_agency(cost, parts),
                agency_note=note,
                theme=cost.theme or "Not stated",
                drop_off=self.green_book.drop_off.for_code(cost.code),
                economic_unit=at_report_prices(cost.economic),
                social_unit=at_report_prices(cost.social),
                transfer_share=transfer_share(cost, self._tree, series, self.green_book))
        return found

    def weights(self, years: Decimal, drop_off: Decimal) -> list[Decimal]:
        """``year_weights`` at the settings' discount rate, once a run for each (years, drop-off)."""
        key = (years, drop_off)
        found = self._weights.get(key)
        if found is None:
            found = self._weights[key] = year_weights(years, drop_off, self.green_book.discount_rate)
        return found

    def line(self, case: models.CaseRecord, outcome: models.OutcomeEntry) -> OutcomeLine:
        """Value one outcome of one case (inputs already checked): gross, and prudent beside it."""
        green_book = self.green_book
        cost = self.costs[outcome.code]
        assert cost.fiscal is not None, "checked before valuing"
        terms = self.terms(cost)
        years = counted_years(outcome, cost, green_book)
        grade = evidence_grade(outcome, cost, green_book)
        deadweight, attribution, optimism_bias = line_shares(outcome.deadweight, outcome.attribution, grade,
                                                             cost.code, green_book)
        weights = self.weights(years, terms.drop_off)
        years_factor = sum(weights, models.ZERO)
        adjust = (1 - deadweight) * attribution * (1 - optimism_bias)

        def prudent(unit: Decimal) -> Decimal:
            return models.whole_pounds(unit * outcome.quantity * years_factor * adjust)

        fiscal_unit = cost.fiscal.amount * terms.factor
        return models.trusted(OutcomeLine, dict(  # (every field given, typed as declared: see test_valued_once)
            reference=case.reference,
            service=case.service,
            locality=case.locality,
            code=cost.code,
            description=(outcome.description or cost.description) + crosswalk.mapped_text(outcome.code, cost),
            quantity=outcome.quantity,
            years=years,
            unit_value=cost.fiscal.amount,
            price_year=cost.fiscal.price_year,
            uprating_factor=terms.factor,
            saving=gross_saving(outcome, cost, self.series, self.price_year, green_book),
            agency=terms.agency,
            agency_proportions=terms.proportions,
            agency_note=terms.agency_note,
            theme=terms.theme,
            rag=cost.rag,
            evidence=outcome.evidence,
            deadweight=deadweight,
            attribution=attribution,
            grade=grade,
            optimism_bias=optimism_bias,
            drop_off=terms.drop_off,
            discount_rate=green_book.discount_rate,
            years_factor=years_factor,
            prudent_saving=prudent(fiscal_unit),
            start_month=months_into_year(case.completed_on),
            economic_unit_value=terms.economic_unit,
            social_unit_value=terms.social_unit,
            prudent_economic=prudent(terms.economic_unit),
            prudent_social=prudent(terms.social_unit),
            transfer_share=terms.transfer_share,
            adjustment_reason=outcome.adjustment_reason,
            own_deadweight=outcome.deadweight is not None,
            own_attribution=outcome.attribution is not None,
        ))


class _CostTerms(typing.NamedTuple):
    """What every line valued with one cost shares in a run (``Valuer.terms``)."""

    factor: Decimal
    agency: str
    proportions: tuple[tuple[str, Decimal], ...]
    agency_note: str
    theme: str
    drop_off: Decimal
    economic_unit: Decimal
    social_unit: Decimal
    transfer_share: Decimal


def year_weights(years: Decimal, drop_off: Decimal, rate: Decimal) -> list[Decimal]:
    """What each year k (0-based) of a benefit lasting ``years`` counts for: (1 - drop_off)^k
    x (1 + rate)^-k, and a final part year by its fraction (years 2.5: k = 0, 1 whole, k = 2 half)."""
    whole = int(years)
    fraction = years - whole
    kept = 1 - drop_off
    def power(base: Decimal, k: int) -> Decimal:
        return base ** k if k else Decimal(1)  # Decimal refuses 0 ** 0

    weights = [power(kept, k) / power(1 + rate, k) for k in range(whole)]
    if fraction:
        weights.append(fraction * power(kept, whole) / power(1 + rate, whole))
    return weights


def split_parts(cost: models.UnitCost, tree: unit_costs.Tree,
                series: deflators.DeflatorSeries) -> tuple[tuple[tuple[models.UnitCost | None, Decimal], ...], str]:
    """How a saving valued with ``cost`` divides between its constituent parts: (part, proportion)
    pairs adding up to 1, None standing for what the parts leave unexplained (the cost's own
    agency), and how it was shared, or why not.

    A cost is shared by its parts only where they are parts of the same thing: each has a fiscal
    value in the cost's own unit (``Per incident`` throughout; ``Per week`` beside ``Per
    incident`` is not a part of it). Each part takes the share its fiscal value is of the cost's,
    at the parts' own price year (uprated to the cost's price year only where the parts' years
    differ), so the split never moves with the report's price year. Where the parts add up to
    more than the cost (alternatives, not parts: prison types under an average prison cost), the
    whole saving stays with the cost's own agency; what the parts leave unexplained stays there too.
    """
    whole_saving = ((None, Decimal(1)),)
    parts = tree.constituents(cost.code)
    if not parts or cost.fiscal is None:
        return whole_saving, ""
    own = cost.agency or "Not stated"
    unit = normalised_unit(cost.unit)
    if cost.fiscal.price_year not in series.index:  # (never for a line valued: checked before; costs show asks too)
        return whole_saving, f"not split: its price year {cost.fiscal.price_year} is not in the deflator series"
    for part in parts:
        if normalised_unit(part.unit) != unit:
            return whole_saving, (f"not split, kept with {own}: its part {part.code} is valued "
                                  f"{part.unit or 'in no stated unit'}, not {cost.unit or 'in its unit'}")
        if part.fiscal is None:
            return whole_saving, f"not split, kept with {own}: its part {part.code} has no fiscal value"
        if part.fiscal.price_year not in series.index:
            return whole_saving, (f"not split, kept with {own}: its part {part.code}'s price year "
                                  f"{part.fiscal.price_year} is not in the deflator series")
    years = {part.fiscal.price_year for part in parts}
    common = years.pop() if len(years) == 1 else cost.fiscal.price_year

    def at_common(value: models.CostValue) -> Decimal:
        return value.amount if value.price_year == common else value.amount * series.factor(value.price_year, common)

    whole = at_common(cost.fiscal)
    valued: list[tuple[models.UnitCost | None, Decimal]] = [(part, at_common(part.fiscal)) for part in parts]
    explained = sum((value for _, value in valued), models.ZERO)
    if whole <= 0 or explained <= 0:
        return whole_saving, f"not split, kept with {own}: it or its parts are valued at £0"
    if explained > whole * Decimal("1.01"):
        return whole_saving, (f"not split, kept with {own}: its parts add up to more than it "
                              "(alternatives, not parts of it)")
    if whole - explained > whole * UNEXPLAINED_TOLERANCE:
        valued.append((None, whole - explained))
        explained = whole
    return (tuple((part, value / explained) for part, value in valued),
            f"split by its parts' fiscal values at {common} prices")


def normalised_unit(unit: str) -> str:
    """A unit as compared between a cost and its parts: any capitals, spaces and a final full stop
    ("Per incident." is "per incident")."""
    return " ".join(unit.lower().split()).rstrip(".")


def proportions_by_agency(cost: models.UnitCost, parts) -> tuple[tuple[str, Decimal], ...]:
    """The agency of each part (``split_parts``) with its proportion."""
    own = cost.agency or "Not stated"
    return tuple(((part.agency or "Not stated") if part is not None else own, proportion)
                 for part, proportion in parts)


def transfer_share(cost: models.UnitCost, tree: unit_costs.Tree, series: deflators.DeflatorSeries,
                   green_book: assumptions.Assumptions, seen: frozenset[str] = frozenset()) -> Decimal:
    """Share (0 to 1) of a fiscal saving valued with ``cost`` that is a transfer payment: all of
    it where the cost is marked a transfer (``Assumptions.is_transfer``), else the share of its
    parts marked so (at any depth), in the proportions its saving is split by (``split_parts``):
    a cost not split by its parts has no transfer part unless it is marked itself."""
    if green_book.is_transfer(cost):
        return Decimal(1)
    parts, _ = split_parts(cost, tree, series)
    return sum((proportion * transfer_share(part, tree, series, green_book, seen | {cost.code})
                for part, proportion in parts if part is not None and part.code not in seen), models.ZERO)


UNEXPLAINED_TOLERANCE = Decimal("0.001")
"""Constituents within 0.1% of their parent are taken to explain all of it (rounding in the data)."""


def split(saving: Decimal, proportions: list[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """Whole-pound shares of ``saving`` that add up to it exactly (largest remainder): each part
    takes the whole pounds of saving x proportion, and the pounds left over go one each to the
    parts with the largest fractions (the earlier part first on a tie). No share is negative.
    The workbook's Agency split sheet repeats this rule in formulas."""
    # each exact share taken to 6 places, as the workbook does, so rounding noise in the 28th
    # digit never decides a tie
    exact = [(saving * proportion).quantize(models.CLEAN, rounding=decimal.ROUND_HALF_UP)
             for _, proportion in proportions]
    shares = [amount.to_integral_value(rounding=decimal.ROUND_FLOOR) for amount in exact]
    left = int(saving - sum(shares, models.ZERO))
    by_fraction = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_fraction[:left]:
        shares[i] += 1
    return [(agency, share) for (agency, _), share in zip(proportions, shares)]


def merge_shares(shares: list[tuple[str, Decimal]]) -> tuple[tuple[str, Decimal], ...]:
    """Add up shares of the same agency, keeping first-seen order (and agencies whose share is
    £0, so gross and prudent breakdowns always list the same agencies)."""
    merged: dict[str, Decimal] = {}
    for agency, amount in shares:
        merged[agency] = merged.get(agency, models.ZERO) + amount
    return tuple(merged.items())


def value_case(
    case: models.CaseRecord,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    price_year: models.FinancialYear,
    green_book: assumptions.Assumptions = assumptions.Assumptions(),
) -> CaseValuation:
    """Value every outcome line of a completed case (one case: a run values many with ``value_completed``)."""
    return Valuer(costs, series, price_year, green_book).case(case)


@dataclasses.dataclass
class Valued:
    """Completed cases valued once (``value_completed``): the report year's cases whole, and every
    year's totals, by (service, financial year of completion)."""

    cases: dict[tuple[str, models.FinancialYear], list[CaseValuation]] = dataclasses.field(default_factory=dict)
    """The cases completed in the report's year, in reference order."""
    totals: dict[tuple[str, models.FinancialYear], tuple[int, Decimal, Decimal]] = \
        dataclasses.field(default_factory=dict)
    """Each year's completers, gross and prudent savings (exact sums of the cases' rounded lines)."""


def value_completed(
    cases: list[models.CaseRecord],
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    settings: models.Settings,
    services: list[str],
    year: models.FinancialYear,
) -> Valued:
    """Value once every completed case of the ``services``: the year's summary, the comparison
    of years and every breakdown read these valuations, never valuing a case again. Only the
    report ``year``'s cases are kept whole; other years keep their totals (at 100,000 cases,
    the lines of ten years would not fit the memory of a small machine)."""
    valuer = Valuer(costs, series, settings.price_year, settings.assumptions)
    wanted = set(services)
    valued = Valued()
    for case in sorted(cases, key=lambda case: case.reference):
        if case.service in wanted and case.completed_on is not None:
            key = (case.service, models.FinancialYear.containing(case.completed_on))
            valuation = valuer.case(case)
            count, gross, prudent = valued.totals.get(key, (0, models.ZERO, models.ZERO))
            valued.totals[key] = (count + 1, gross + valuation.total, prudent + valuation.prudent_total)
            if key[1] == year:
                valued.cases.setdefault(key, []).append(valuation)
    return valued


def participant_row(case: models.CaseRecord, year: models.FinancialYear) -> str | None:
    """Where a case stood in a year: the row it counts in, or None if it was not active then.

    A case is active in the year if it was referred by the year's end and had not completed or
    closed before the year began. Completed or closed in the year: counted by that outcome.
    Still open at the year's end: counted by its status then (referred or in assessment both
    count as 'In assessment stage'). Events after the year's end are ignored, so a past year's
    table does not change when cases move on.
    """
    event = case.status_on(year.last_day)
    if event is None:
        return None
    if event.status is models.Status.COMPLETED:
        return "Successful completers" if event.date in year else None
    if event.status is models.Status.CLOSED:
        return _CLOSURE_ROWS[event.reason] if event.date in year else None
    if event.status is models.Status.PROGRAMME:
        return "On programme currently"
    return "In assessment stage"


def participants(
    cases: list[models.CaseRecord], service: models.ServiceSettings, year: models.FinancialYear
) -> ParticipantTable:
    """The participant table of one service and year, by locality."""
    counts = {row: {locality: 0 for locality in service.localities} for row in (*PARTICIPANT_ROWS, OTHER_CLOSURE)}
    for case in cases:
        if case.service != service.name:
            continue
        if case.referred_on in year:
            counts["Total number of referrals"][case.locality] += 1
        row = participant_row(case, year)
        if row is not None:
            counts[row][case.locality] += 1
    if not any(counts[OTHER_CLOSURE].values()):
        del counts[OTHER_CLOSURE]  # (a year without such a closure shows the published table as it is)
    return ParticipantTable(localities=service.localities, counts=counts)


def completed_in(cases: list[models.CaseRecord], service: str, year: models.FinancialYear) -> list[models.CaseRecord]:
    """The service's cases that completed in the year, in reference order."""
    return sorted((case for case in cases
                   if case.service == service and case.completed_on is not None and case.completed_on in year),
                  key=lambda case: case.reference)


def summarise(
    cases: list[models.CaseRecord],
    valued: Valued,
    settings: models.Settings,
    service: models.ServiceSettings,
    year: models.FinancialYear,
) -> ServiceSummary:
    """One service's year: its cases completed in it (valued: ``value_completed``) set against spend."""
    return ServiceSummary(
        service=service.name,
        year=year,
        price_year=settings.price_year,
        cases=tuple(valued.cases.get((service.name, year), ())),
        green_book=settings.assumptions,
        spend=service.spend.get(year),
        participants=participants(cases, service, year),
    )


class YearRow(pydantic.BaseModel):
    """One service's headline figures for one financial year, for comparing years."""

    model_config = _FROZEN

    service: str
    year: models.FinancialYear
    completers: int
    total_saving: Decimal
    prudent_saving: Decimal = models.ZERO
    """The same cases' prudent figure (Green Book assumptions)."""
    spend: Decimal | None
    """None where the settings give no spend for the year."""

    @property
    def net_saving(self) -> Decimal | None:
        return None if self.spend is None else self.total_saving - self.spend

    @property
    def return_on_investment(self) -> Decimal | None:
        if self.spend is None:
            return None
        return per_pound(self.total_saving, self.spend)


def compare_years(valued: Valued, service: models.ServiceSettings) -> list[YearRow]:
    """Every financial year in which the service had a completion, oldest first."""
    years = sorted((year for name, year in valued.totals if name == service.name), key=lambda year: year.start)
    return [YearRow(service=service.name, year=year, completers=count, total_saving=gross, prudent_saving=prudent,
                    spend=service.spend.get(year))
            for year in years for count, gross, prudent in [valued.totals[(service.name, year)]]]


def latest_year(cases: list[models.CaseRecord]) -> models.FinancialYear | None:
    """The latest financial year in which any case completed."""
    years = [models.FinancialYear.containing(case.completed_on) for case in cases if case.completed_on]
    return max(years, key=lambda year: year.start) if years else None
