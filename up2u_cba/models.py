"""Domain types: small, frozen, and named as the programme names things.

Money is ``Decimal`` throughout; nothing here is a float.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import re
import typing
from decimal import Decimal

import pydantic

from up2u_cba.method import assumptions as assumptions_

_FROZEN = pydantic.ConfigDict(frozen=True)
_YEAR_PATTERN = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$")
FIRST_YEAR = 1900
LAST_YEAR = 2199
"""Financial years read from any input start in these calendar years (beyond them a year is a
typing slip, and 9999/00 would end in a year no date can hold)."""


class FinancialYear(pydantic.BaseModel):
    """A UK public-sector financial year, 1 April to 31 March, written ``2022/23``."""

    model_config = _FROZEN

    start: int
    """Calendar year in which the financial year starts (2022 for 2022/23)."""

    @classmethod
    def parse(cls, text: str) -> "FinancialYear":
        """Read ``2022/23``, ``2022-23`` or ``2022/2023``; raise ValueError otherwise."""
        match = _YEAR_PATTERN.match(str(text))
        if not match:
            raise ValueError(f"'{text}' is not a financial year; write it as 2022/23")
        start = int(match.group(1))
        end = match.group(2)
        end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
        if end_year != start + 1 and not (len(end) == 2 and end == f"{(start + 1) % 100:02d}"):
            raise ValueError(f"'{text}' is not a financial year: the second year must follow the first")
        if not FIRST_YEAR <= start <= LAST_YEAR:
            raise ValueError(f"'{text}' is not a financial year this tool can use: "
                             f"it takes years from {cls(start=FIRST_YEAR)} to {cls(start=LAST_YEAR)}")
        return cls(start=start)

    @classmethod
    def containing(cls, day: datetime.date) -> "FinancialYear":
        """The financial year that a date falls in."""
        start = day.year if day.month >= 4 else day.year - 1
        year = _YEARS.get(start)
        if year is None:
            year = _YEARS[start] = cls(start=start)
        return year

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.start, 4, 1)

    @property
    def last_day(self) -> datetime.date:
        return datetime.date(self.start + 1, 3, 31)

    def __contains__(self, day: datetime.date) -> bool:
        return self.start == (day.year if day.month >= 4 else day.year - 1)

    # A year is a key of every spend and deflator table, looked up for each of 300,000 lines at
    # scale: compared by its start alone, not by pydantic's general (and slower) model comparison.
    def __eq__(self, other: object) -> bool:
        if type(other) is not FinancialYear:
            return NotImplemented
        return self.start == other.start

    def __hash__(self) -> int:
        return hash(self.start)

    def __str__(self) -> str:
        return f"{self.start}/{(self.start + 1) % 100:02d}"

    def __lt__(self, other: "FinancialYear") -> bool:
        return self.start < other.start


_YEARS: dict[int, FinancialYear] = {}
"""Each year ``FinancialYear.containing`` has made (a year is frozen: one serves every date in it)."""


class ValueType(str, enum.Enum):
    """The three kinds of value in the GMCA database."""

    FISCAL = "fiscal"
    """Cost or saving to the public sector: the only type in the financial case."""
    ECONOMIC = "economic"
    """Net increase in earnings or growth."""
    SOCIAL = "social"
    """Wider gains to people (health, safety)."""


class CostValue(pydantic.BaseModel):
    """One value of a unit cost, in the prices of one year."""

    model_config = _FROZEN

    amount: Decimal
    """Pounds per unit, in ``price_year`` prices."""
    price_year: FinancialYear
    """The year whose prices ``amount`` is expressed in."""


class Exclusion(pydantic.BaseModel):
    """A cost that must not be counted with another on the same case, and why: declared in a
    unit cost table's ``not_with`` column (``CR2.0: derived from it``)."""

    model_config = _FROZEN

    code: str
    """The other cost; it stands for itself and its constituents (``SS1.0`` and ``SS1.0.x``)."""
    reason: str
    """Why the two overlap, in the table's words."""


class UnitCost(pydantic.BaseModel):
    """One row of a GMCA-style unit cost table: what one unit of an outcome costs, and to whom."""

    model_config = _FROZEN

    code: str
    """Cost code, e.g. ``CR2.0``; constituents add a segment (``CR2.0.1``)."""
    theme: str = ""
    """The database sheet it comes from: Crime, Health, Social Services..."""
    category: str = ""
    """Outcome category, e.g. ``CRIME``."""
    outcome_detail: str = ""
    """Outcome detail, e.g. ``DOMESTIC VIOLENCE``."""
    description: str
    """Cost / saving detail, free text."""
    unit: str = ""
    """What one unit is: ``Per incident``, ``Per year``..."""
    agency_1: str = ""
    """Agency bearing the cost / making the fiscal saving, level 1 (``Local Authority``)."""
    agency_2: str = ""
    """Agency level 2 (``Children's Services``), may be blank."""
    fiscal: CostValue | None = None
    """Cost or saving to the public sector."""
    economic: CostValue | None = None
    """Economic value."""
    social: CostValue | None = None
    """Social value."""
    source: str = ""
    """Where the estimate comes from."""
    rag: str = ""
    """Robustness of the estimate: G, A or R."""
    comment: str = ""
    """Derivation, double-counting warnings, alternatives."""
    parent: str = ""
    """Code of the cost this one is a constituent of (``CR2.0`` for ``CR2.0.1``), or blank."""
    not_with: tuple[Exclusion, ...] = ()
    """Costs the table says must not be counted with this one (or its constituents) on one case;
    the pair is symmetric, so one side declaring it is enough."""
    transfer: bool = False
    """The fiscal value is a transfer payment (benefits paid, tax received), as the database's
    comments say: left out of public value (only this part's share where it is a constituent)."""
    edition: str = ""
    """The database edition the cost comes from, as its table's ``edition`` column records it
    (``costs import`` writes the workbook's own: ``v1.4 (March 2015)``); blank where it records none."""
    origin: str = ""
    """The unit cost file this entry was read from (set by the loader)."""

    @property
    def agency(self) -> str:
        """Agency as one label: ``Local Authority / Children's Services`` or ``Police``."""
        return " / ".join(part for part in (self.agency_1, self.agency_2) if part)


class Status(str, enum.Enum):
    """A dated step in a case's history."""

    REFERRED = "referred"
    ASSESSMENT = "assessment"
    PROGRAMME = "programme"
    COMPLETED = "completed"
    CLOSED = "closed"


class ClosureReason(str, enum.Enum):
    """Why a case was closed without completing."""

    DISENGAGED = "disengaged"
    ON_HOLD = "on_hold"
    NO_CONTACT = "no_contact"
    NOT_SUITABLE = "not_suitable"
    MOVED_AWAY = "moved_away"
    """Left the service's area."""
    IN_CUSTODY = "in_custody"
    """Remanded or sentenced to custody."""
    OTHER = "other"
    """Any other reason: the event's ``note`` says which."""


class StatusEvent(pydantic.BaseModel):
    """A case's status from a date on."""

    model_config = _FROZEN

    status: Status
    date: datetime.date
    reason: ClosureReason | None = None
    """Only for ``closed``: why."""
    note: str = ""
    """Only for ``closed``: a short note of why, required when ``reason`` is ``other`` (free
    text under ``cases.TEXT_LIMIT`` characters, checked for personal data like an evidence note)."""

    @property
    def reason_label(self) -> str:
        """The closure reason as a person reads it ("no contact", "other: joined another
        programme"), or "" when there is none."""
        if self.reason is None:
            return ""
        label = self.reason.value.replace("_", " ")
        return f"{label}: {self.note}" if self.note else label


class OutcomeEntry(pydantic.BaseModel):
    """One outcome a completed case achieved, as entered: which cost, how many, for how long."""

    model_config = _FROZEN

    code: str
    """Unit cost code that values the outcome."""
    quantity: Decimal
    """How many units (incidents, children, people...); greater than 0."""
    years: Decimal = Decimal(1)
    """Duration in years the outcome is counted for; 1 unless given."""
    description: str = ""
    """What the report shows for this line; the unit cost's description when blank."""
    evidence: str = ""
    """Short note of the evidence for the outcome (no identifying narrative)."""
    years_stated: bool = True
    """False where the case file gave no ``years`` (then the settings' benefit duration for the
    code applies, if any)."""
    deadweight: Decimal | None = None
    """This line's own deadweight share, overriding the settings'; needs ``adjustment_reason``."""
    attribution: Decimal | None = None
    """This line's own attribution: the share of its outcome due to this programme (not to other
    services), overriding the settings'; needs ``adjustment_reason``."""
    confidence: str = ""
    """Evidence grade G / A / R for this line, instead of the unit cost's RAG rating."""
    adjustment_reason: str = ""
    """Why this line's deadweight or attribution differs from the settings'."""
    acknowledged: str = ""
    """Why a figure outside what the cost's unit makes plausible is right (``plausibility``):
    an implausible line counts only once this is given."""


class ChangeKind(str, enum.Enum):
    """What a recorded change to a stored case did."""

    CREATED = "created"
    UPDATED = "updated"
    """Status events or outcome lines added (``case update``)."""
    AMENDED = "amended"
    """Stored fields corrected, lines or events removed (``case amend``)."""
    WITHDRAWN = "withdrawn"
    RESTORED = "restored"
    IMPORTED = "imported"
    """Written from an intake workbook (new, or replacing the stored version)."""


class CaseChange(pydantic.BaseModel):
    """One entry of a case's history of changes: when, what, why and by which tool."""

    model_config = _FROZEN

    made: datetime.datetime
    """When the change was written (UTC, to the second)."""
    kind: ChangeKind
    what: tuple[str, ...] = ()
    """Each field changed, as ``old -> new`` (``outcomes[2].quantity: 3 -> 2``), or each entry
    added or removed; empty for a created case."""
    reason: str = ""
    """Why, in the user's words (required for amended, withdrawn, restored and re-imported)."""
    tool: str = ""
    """The tool and its version that wrote it, e.g. ``up2u-cba 0.4.0``."""
    user: str = ""
    """The operating-system user who made it, when the settings ask for it (``[history] record_user``)."""


class CaseRecord(pydantic.BaseModel):
    """One participant's case, pseudonymised: a reference, where, its dated history, its outcomes."""

    model_config = _FROZEN

    reference: str
    """Pseudonymised case reference, e.g. ``BCP-0014``; never a name."""
    service: str
    """Commissioned service (``BCP``, ``Dorset``)."""
    locality: str
    """Area within the service (``Poole``)."""
    history: tuple[StatusEvent, ...]
    """Status events in date order; the first is the referral."""
    outcomes: tuple[OutcomeEntry, ...] = ()
    """Outcome lines; only a completed case has them."""
    withdrawn: bool = False
    """Withdrawn (entered twice, say): kept, with its history, but left out of every report and
    count; its reference is never reused. ``case restore`` brings it back."""
    changes: tuple[CaseChange, ...] = ()
    """Its history of changes, oldest first, appended to and never rewritten."""
    file: str = ""
    """The file the case was read from."""

    @property
    def referred_on(self) -> datetime.date:
        return self.history[0].date

    def status_on(self, day: datetime.date) -> StatusEvent | None:
        """The latest event on or before ``day``, or None if the case was not yet referred."""
        current = None
        for event in self.history:
            if event.date <= day:
                current = event
        return current

    @property
    def completed_on(self) -> datetime.date | None:
        """Date of completion, if the case's latest event is a completion."""
        last = self.history[-1]
        return last.date if last.status is Status.COMPLETED else None


class ServiceSettings(pydantic.BaseModel):
    """One commissioned service: its localities, its reference pattern and what it cost."""

    model_config = _FROZEN

    name: str
    localities: tuple[str, ...]
    """Locality names, in the order reports show them."""
    reference_pattern: str = ""
    """Regular expression every case reference of the service must match, e.g. ``BCP-\\d{4}``."""
    spend: dict[FinancialYear, Decimal] = {}
    """Programme spend in pounds per financial year."""


class Resampling(pydantic.BaseModel):
    """How the year's intervals are resampled ([uncertainty] in the settings; ``method.uncertainty``)."""

    model_config = _FROZEN

    level: Decimal = Decimal("0.9")
    """The intervals' level: 0.9 gives the central 90% of the resampled figures."""
    resamples: int = 2000
    """How many resamples are drawn (all are listed instead where there are no more than this)."""
    seed: int = 20230401
    """The random seed: the same seed gives the same intervals."""
    small_cohort: int = 30
    """Fewer completed cases than this and every report warns that the interval means little."""
    vary_assumptions: bool = False
    """Whether the prudent intervals also draw each Green Book assumption over its [sensitivity] range."""


class Settings(pydantic.BaseModel):
    """What a run uses: services, price year, unit cost and deflator files, cases folder."""

    model_config = _FROZEN

    file: str
    """The settings file itself."""
    price_year: FinancialYear
    """The year whose prices every saving is expressed in."""
    unit_cost_files: tuple[str, ...]
    """Unit cost tables, layered in order (national first, local after)."""
    crosswalk_file: str = ""
    """Old code -> new code CSV (``inputs.crosswalk``) through which cases entered against an
    older edition's codes value with the tables' newer one; blank for none."""
    moved_keys: dict[str, dict[str, str]] = {}
    """Per-code settings the crosswalk moved (``crosswalk.settings_through``): by setting
    (``"duration.codes"``), each new code -> the old code the settings wrote as its key."""
    deflator_file: str
    """GDP deflator series (CSV) used for uprating."""
    deflator_series: str
    """How reports name that series, e.g. 'HM Treasury GDP deflators, March 2026'."""
    cases_folder: str
    """Folder of case files, searched recursively for ``*.toml``."""
    services: tuple[ServiceSettings, ...]
    assumptions: assumptions_.Assumptions = assumptions_.Assumptions()
    """Green Book assumptions behind the prudent figures; the defaults change nothing but a
    benefit lasting beyond a year, discounted at 3.5% a year."""
    suppression: str = "1-4"
    """The small-number rule of published workbooks: a name in ``disclosure.RULES``."""
    record_user: bool = False
    """Whether each change in a case's history names the operating-system user who made it."""
    line_ceiling: Decimal = Decimal(250000)
    """The most one outcome line plausibly saves (``[checks] line_ceiling``); a line worth more
    needs an acknowledgement before it counts."""
    marking: str = "OFFICIAL-SENSITIVE"
    """The protective marking printed atop every page of the analyst's workbook ([workbook] marking)."""
    published_marking: str = "OFFICIAL"
    """The marking of a ``report --publish`` workbook ([workbook] published_marking)."""
    resampling: Resampling = Resampling()
    """How the intervals beside the year's figures are resampled ([uncertainty])."""

    def service(self, name: str) -> ServiceSettings | None:
        for service in self.services:
            if service.name.lower() == name.lower():
                return service
        return None


ZERO = Decimal(0)


CLEAN = Decimal("0.000001")
"""Figures are first taken to 6 decimal places (half up) and then rounded, so that a value that is
exactly half a pound is rounded up even where 28-digit arithmetic has made it 0.4999...; the
workbook's formulas do the same, so both always agree."""


_Model = typing.TypeVar("_Model", bound=pydantic.BaseModel)


def trusted(model: type[_Model], fields: dict[str, typing.Any]) -> _Model:
    """An instance of ``model`` from values already of its fields' types (fields not given take
    their defaults), without validating them again: what ``model_construct`` makes, without its
    per-field alias look-ups, and with one shared record of which fields were given for every
    instance given the same ones (a set per instance is a third of a loaded case's memory).

    Only for values the tool has checked itself: the loaders' parsed case files, the
    calculation's figures (millions at 100,000 cases). Tests check that each kind built so
    equals, type for type, what validation gives."""
    template = _TEMPLATES.get(model)
    if template is None:
        template = _TEMPLATES[model] = _template(model)
    values, required = template
    assert fields.keys() <= values.keys() and required <= fields.keys(), (model, set(fields) ^ set(values))
    instance = model.__new__(model)
    given = _GIVEN.get((model, *fields))
    if given is None:
        given = _GIVEN[(model, *fields)] = set(fields)
    values = values.copy()  # (every field, in the order declared; each not given at its default)
    values.update(fields)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", given)
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def _template(model: type[pydantic.BaseModel]) -> tuple[dict[str, typing.Any], set[str]]:
    """``model``'s fields at their defaults (None where required), and the required ones."""
    fields = model.__pydantic_fields__
    assert all(field.default_factory is None for field in fields.values()), "a default made per instance"
    return ({name: None if field.is_required() else field.default for name, field in fields.items()},
            {name for name, field in fields.items() if field.is_required()})


_TEMPLATES: dict[type, tuple[dict[str, typing.Any], set[str]]] = {}
_GIVEN: dict[tuple, set[str]] = {}
"""The fields-given sets ``trusted`` shares, by model and the names given (in order). Never
changed in place: pydantic copies the set before changing a copy's (``model_copy``)."""


def to_pence(amount: Decimal) -> Decimal:
    """Pounds and pence, a half penny up (640.825 -> 640.83), taken to 6 places first as
    ``whole_pounds`` does: how every unit value is shown."""
    return amount.quantize(CLEAN, rounding=decimal.ROUND_HALF_UP).quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


def whole_pounds(amount: Decimal) -> Decimal:
    """Round to whole pounds, half up (0.5 -> 1), as every outcome line is rounded."""
    return amount.quantize(CLEAN, rounding=decimal.ROUND_HALF_UP).quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP)
