"""The report model: everything a renderer shows, built once, rendered many ways.

``Decimal`` stays ``Decimal`` here; renderers decide how to show it.
"""

from __future__ import annotations

import datetime
import shlex
from decimal import Decimal

import pydantic

from up2u_cba import models
from up2u_cba.method import assumptions, calculate
from up2u_cba.method import sensitivity as sensitivity_analysis
from up2u_cba.method import uncertainty as uncertainty_

_FROZEN = pydantic.ConfigDict(frozen=True)


SPEND_BASIS = ("The gross figures (net saving, return on investment, cost per completed case) set savings against "
               "the spend as entered. The prudent figures (net present budget impact, financial return, public "
               "value ratio, payback, sensitivity) set them against the prudent spend: the spend raised by the "
               "optimism bias on costs, whole pounds. " + assumptions.SPEND_WITHIN_THE_YEAR)
"""Which figures use which spend, said in every report."""
PAYBACK_DEFINITION = ("Payback period: the months from the first month (April) of the financial year until the "
                      "cumulative discounted prudent fiscal savings reach the cumulative prudent spend (paid within "
                      "the year) and stay at or above it to the later of the last benefit's end and the spend's last "
                      "month: a spend paid over the year can overtake savings whose benefits have ended, so savings "
                      "that reach it early and then fall behind it for good never pay back. Each case's benefits "
                      "start in the month it completed, each year of a benefit accruing evenly over its 12 months; at "
                      "or above the spend from month m on (April is month 0), the period is m + 1 months. Savings "
                      "exactly equal to the spend pay back in the last month, at the end.")
"""The payback period's definition, said in every report (the workbook's Method sheet gives it in full)."""


class InputFile(pydantic.BaseModel):
    """One file the run read, with its checksum so a reader can tell it was the same file."""

    model_config = _FROZEN

    path: str
    sha256: str


class UnitCostUsed(pydantic.BaseModel):
    """Provenance of one unit cost the report used: where it came from and how it was uprated."""

    model_config = _FROZEN

    cost: models.UnitCost
    uprating_factor: Decimal
    """Deflator ratio from the cost's fiscal price year to the report's price year."""

    @property
    def value_uprated(self) -> Decimal:
        assert self.cost.fiscal is not None
        return self.cost.fiscal.amount * self.uprating_factor


class CostTable(pydantic.BaseModel):
    """A unit cost table the run read, with the database edition its rows record."""

    model_config = _FROZEN

    file: str
    editions: tuple[str, ...]
    """Each edition its rows record (``v1.4 (March 2015)``), in the order first met; none for a
    table that records none (a council's local costs, or a table imported before editions were)."""
    costs: int
    """How many of the costs in force come from it."""

    @property
    def edition_text(self) -> str:
        return " and ".join(self.editions) if self.editions else "no edition recorded"

    @classmethod
    def of(cls, files: tuple[str, ...], costs: dict[str, models.UnitCost]) -> tuple[CostTable, ...]:
        """Each of ``files`` with the editions and number of the ``costs`` in force read from it."""
        found: dict[str, dict[str, None]] = {file: {} for file in files}
        counted: dict[str, int] = dict.fromkeys(files, 0)
        for cost in costs.values():
            counted[cost.origin] = counted.get(cost.origin, 0) + 1
            if cost.edition:
                found.setdefault(cost.origin, {})[cost.edition] = None
        return tuple(cls(file=file, editions=tuple(found.get(file, {})), costs=counted[file]) for file in counted)


class CrosswalkUsed(pydantic.BaseModel):
    """The crosswalk in force: the file, and the old codes it maps to new ones."""

    model_config = _FROZEN

    file: str
    mapped: tuple[tuple[str, str], ...]
    """(old code, new code) for every code it maps to another, in code order."""

    @classmethod
    def of(cls, file: str, costs: dict[str, models.UnitCost]) -> CrosswalkUsed | None:
        """The crosswalk at ``file`` as ``costs`` follow it (``inputs.crosswalk``), or None without one."""
        if not file:
            return None
        return cls(file=file, mapped=tuple(sorted(getattr(costs, "mapped", {}).items())))

    @property
    def text(self) -> str:
        """``unit_costs/v14-to-v3.csv, mapping 2 codes of an older edition to the tables' (HE1.0 -> HE30.0, ...)``."""
        shown = ", ".join(f"{old} -> {new}" for old, new in self.mapped[:CROSSWALK_SHOWN])
        more = f" and {len(self.mapped) - CROSSWALK_SHOWN} more" if len(self.mapped) > CROSSWALK_SHOWN else ""
        return (f"{self.file}, mapping {len(self.mapped)} {'code' if len(self.mapped) == 1 else 'codes'} of an "
                f"older edition to the tables' ({shown}{more})" if self.mapped else f"{self.file}, mapping no code")


CROSSWALK_SHOWN = 10
"""Most mappings a report lists beside the crosswalk's file (JSON lists them all)."""


def unit_cost_tables_text(tables: tuple[CostTable, ...], crosswalk: CrosswalkUsed | None) -> str:
    """The tables in force with their editions, and the crosswalk, in one sentence for reports."""
    text = "Unit cost tables: " + "; ".join(
        f"{table.file} ({table.edition_text}, {table.costs} {'cost' if table.costs == 1 else 'costs'})"
        for table in tables) + "."
    return text + (f" Crosswalk: {crosswalk.text}." if crosswalk else "")


class CaseChanges(pydantic.BaseModel):
    """One case of the report's services changed after the moment ``report --changed-since``
    names, with the changes made since (withdrawn cases and cases of other years included)."""

    model_config = _FROZEN

    reference: str
    service: str
    withdrawn: bool
    """Whether the case is withdrawn now (left out of every figure)."""
    changes: tuple[models.CaseChange, ...]
    """The changes made after the moment, oldest first."""


class FileChanged(pydantic.BaseModel):
    """An input file whose checksum is not the one an earlier report gave (``--changed-since
    REPORT``): a case file changed outside the tool, added or gone, or a settings, unit cost or
    deflator file that differs."""

    model_config = _FROZEN

    path: str
    """As this run names it (a file gone: as the earlier report named it)."""
    kind: str
    """What the file is: "case", "settings", "unit costs", "deflators" or "input file" (one the
    earlier report read that this run does not)."""
    state: str
    """``DIFFERS``, ``ADDED`` (not read by the earlier report) or ``GONE`` (read by it, not now)."""
    reference: str = ""
    """A case file's case (none for a file gone)."""
    service: str = ""


DIFFERS, ADDED, GONE = "differs", "added", "gone"
"""The states of a ``FileChanged``."""


class FilesCompared(pydantic.BaseModel):
    """The input files compared, by checksum, with those an earlier report read: what a case's
    history cannot show (a file edited, copied in or deleted by hand; a unit cost table changed)."""

    model_config = _FROZEN

    outside_tool: tuple[FileChanged, ...] = ()
    """Case files of the report's services that differ from the ones the earlier report read,
    with no history entry since: changed outside the tool."""
    added: tuple[FileChanged, ...] = ()
    """Case files of the report's services the earlier report did not read."""
    gone: tuple[FileChanged, ...] = ()
    """Case files the earlier report read (of any service: it does not say which) not found now."""
    inputs: tuple[FileChanged, ...] = ()
    """Settings, unit cost and deflator files that differ, are new or are gone: the figures may
    move without any case changing."""
    case_files_together: bool | None = None
    """The earlier report was a published workbook, which gives one checksum of all case files:
    whether they differ from the ones it read (None: compared one by one)."""

    @property
    def anything(self) -> bool:
        return bool(self.outside_tool or self.added or self.gone or self.inputs or self.case_files_together)


class ChangedSince(pydantic.BaseModel):
    """The cases changed since a date or an earlier report (``report --changed-since WHEN``), so
    a commissioner sees that a figure moved after a report was issued."""

    model_config = _FROZEN

    since: datetime.datetime
    """The moment, in UTC: changes made after it are listed."""
    given: str
    """What WHEN was, in words: the date typed, or the report file and when it was made."""
    cases: tuple[CaseChanges, ...]
    """Every case changed since, in reference order (none: nothing changed)."""
    files: FilesCompared | None = None
    """The input files compared with an earlier report's (None: WHEN was a date, not a report)."""


class Report(pydantic.BaseModel):
    """A year-end savings report for one or more services."""

    model_config = _FROZEN

    tool_version: str
    generated_at: datetime.datetime
    command: str
    """The command line that made the report."""
    settings_file: str = ""
    """The settings file the report was made with, as found (--settings, UP2U_CBA_SETTINGS, or
    up2u-cba.toml here or in a folder above) and named relative to the working folder."""
    year: models.FinancialYear
    price_year: models.FinancialYear
    deflator_series: str
    """Name of the GDP deflator series used for uprating."""
    deflator_file: str
    services: tuple[calculate.ServiceSummary, ...]
    green_book: assumptions.Assumptions = assumptions.Assumptions()
    """The Green Book assumptions behind the prudent figures."""
    sensitivity: tuple[sensitivity_analysis.Sensitivity, ...] = ()
    """Each service's sensitivity of the prudent figures to each assumption."""
    uncertainty: tuple[uncertainty_.Uncertainty, ...] = ()
    """Each service's intervals, where its saving comes from, and its break-even points."""
    sensitivity_left_out: bool = False
    """The report was made without the sensitivity analysis (``report --no-sensitivity``, or a
    text report, which does not show it): not computed, and every rendering says so or omits it."""
    years: tuple[calculate.YearRow, ...] = ()
    """Each service's headline figures in every year with completions, for comparison."""
    unit_costs_used: tuple[UnitCostUsed, ...]
    cost_tables: tuple[CostTable, ...] = ()
    """The unit cost tables in force, each with the edition its rows record."""
    crosswalk: CrosswalkUsed | None = None
    """The crosswalk from an older edition's codes, when the settings name one."""
    suppression: str = "1-4"
    """The small-number rule a published workbook applies (settings [publish] suppression; a
    name in ``disclosure.RULES``)."""
    marking: str = "OFFICIAL-SENSITIVE"
    """The protective marking atop every printed page of the analyst's workbook (settings [workbook] marking)."""
    published_marking: str = "OFFICIAL"
    """The marking of a published workbook (settings [workbook] published_marking)."""
    """Every unit cost some line of the report uses, in code order."""
    inputs: tuple[InputFile, ...]
    changed_since: ChangedSince | None = None
    """The cases changed since a moment, when asked for (``--changed-since``)."""

    def uncertainty_of(self, service: str) -> uncertainty_.Uncertainty | None:
        """The service's intervals; None for a service without a completed case in the year."""
        return next((entry for entry in self.uncertainty if entry.service == service), None)

    @property
    def all_services(self) -> AllServices | None:
        """The services together, where the report covers more than one; else None."""
        return AllServices(services=self.services) if len(self.services) > 1 else None


class AllServices(pydantic.BaseModel):
    """The report's services together, for a council that runs several: the same headline
    figures as one service's (``calculate.ServiceSummary``), each the exact sum of the
    services' or worked out from those sums. Figures set against spend are not available
    unless every service's spend is set."""

    model_config = _FROZEN

    services: tuple[calculate.ServiceSummary, ...]

    @property
    def service(self) -> str:
        """The services' names, as a label: ``BCP and Dorset``."""
        names = [summary.service for summary in self.services]
        return ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def year(self) -> models.FinancialYear:
        return self.services[0].year

    @property
    def completers(self) -> int:
        return sum(summary.completers for summary in self.services)

    @property
    def ended(self) -> int:
        return sum(summary.ended for summary in self.services)

    @property
    def total_saving(self) -> Decimal:
        return sum((summary.total_saving for summary in self.services), models.ZERO)

    @property
    def prudent_total(self) -> Decimal:
        return sum((summary.prudent_total for summary in self.services), models.ZERO)

    @property
    def spend(self) -> Decimal | None:
        if any(summary.spend is None for summary in self.services):
            return None
        return sum((summary.spend for summary in self.services), models.ZERO)

    @property
    def net_saving(self) -> Decimal | None:
        return None if self.spend is None else self.total_saving - self.spend

    @property
    def prudent_spend(self) -> Decimal | None:
        """The services' prudent spends together (``ServiceSummary.prudent_spend``)."""
        if self.spend is None:
            return None
        return sum((summary.prudent_spend for summary in self.services), models.ZERO)

    @property
    def prudent_net_saving(self) -> Decimal | None:
        return None if self.spend is None else self.prudent_total - self.prudent_spend

    @property
    def return_on_investment(self) -> Decimal | None:
        return None if self.spend is None else calculate.per_pound(self.total_saving, self.spend)

    @property
    def financial_return(self) -> Decimal | None:
        return None if self.spend is None else calculate.per_pound(self.prudent_total, self.prudent_spend)

    @property
    def average_saving(self) -> Decimal:
        return calculate.average(self.total_saving, self.completers)

    @property
    def prudent_average(self) -> Decimal:
        return calculate.average(self.prudent_total, self.completers)

    @property
    def cost_per_completer(self) -> Decimal | None:
        return calculate.cost_per_completer(self.spend, self.completers)

    @property
    def completion_rate(self) -> Decimal | None:
        return calculate.completion_rate(self.completers, self.ended)


NOTHING_DEDUCTED = (
    "Prudent equals gross for {service} in {year}: no Green Book adjustment applies to any of its lines (no "
    "deadweight, attribution below 100% or optimism bias is set, and no benefit lasts beyond a year to be reduced by "
    "drop-off or discounting), "
    "so the prudent figures are not a conservative estimate. Set the assumptions in the settings file to make one.")
"""What every rendering says of a service's year where no assumption moves any line
(``calculate.ServiceSummary.prudent_adjusted`` false)."""

SPEND_NOT_SET = "not yet set"
"""How every rendering shows a spend the settings do not give for the report's year."""
NOT_AVAILABLE = "not available (no spend set)"
"""How every rendering shows a figure set against a spend not yet set: net saving, the returns
per £1, the net present budget impact and payback (never 0, which would be a figure)."""


def spend_not_set_note(service: str, year: models.FinancialYear) -> str:
    """What a report says about a service whose spend for the year is not yet set."""
    return (f"No programme spend is set for {service} in {year}: its savings are reported with spend "
            f"{SPEND_NOT_SET}, and the net saving, return per £1 and payback are {NOT_AVAILABLE.split(' (')[0]} "
            f"until it is. `up2u-cba spend set {shlex.quote(service)} {year} AMOUNT` sets it.")
