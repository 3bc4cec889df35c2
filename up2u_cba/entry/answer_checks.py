"""What guided case entry checks as each answer is typed, without any terminal code.

Each ``parse_*`` function turns one typed answer into a value or raises ValueError with a
message the user can act on; the command line re-asks. ``line_problems`` values a candidate
outcome line against the same checks ``validate`` runs, so a line that would be refused later
(an unknown code, a parent counted with its constituent) is refused the moment it is typed.
"""

from __future__ import annotations

import datetime
import decimal
from decimal import Decimal

from up2u_cba import models
from up2u_cba.entry import case_files
from up2u_cba.inputs import cases, dates, deflators
from up2u_cba.method import calculate, checks
from up2u_cba.outputs import spreadsheet_text
from up2u_cba.problems import Problem

NEXT_STATUS = {
    models.Status.REFERRED: models.Status.ASSESSMENT,
    models.Status.ASSESSMENT: models.Status.PROGRAMME,
    models.Status.PROGRAMME: models.Status.COMPLETED,
    models.Status.CLOSED: models.Status.ASSESSMENT,
}
"""The usual next step after each status: what ``case update`` offers first."""

UPDATE_STATUSES = (models.Status.ASSESSMENT, models.Status.PROGRAMME, models.Status.COMPLETED, models.Status.CLOSED)
"""The events ``case update`` adds (the referral is the case's first event)."""


def parse_date(text: str, not_before: datetime.date | None = None,
               not_after: datetime.date | None = None) -> datetime.date:
    """A date typed as a UK user types it (``dates.parse``: 2023-05-12, 12/05/2023, 12 May 2023...),
    not before ``not_before`` (the last event) nor after ``not_after`` (today: the tool records
    what has happened), and never before cases.FIRST_DATE."""
    day = dates.parse(text)
    typed = text.strip()
    typed = f"'{typed}'" if typed == day.isoformat() else f"'{typed}' ({day.day} {day:%B} {day.year})"
    if day < cases.FIRST_DATE:
        raise ValueError(f"{typed} is before {cases.FIRST_DATE:%Y-%m-%d}, long before any Up2U case; check the year")
    if not_before is not None and day < not_before:
        raise ValueError(f"{typed} is before the case's last event ({not_before:%Y-%m-%d}); "
                         "events are recorded in date order")
    if not_after is not None and day > not_after:
        raise ValueError(f"{typed} is in the future; record an event once it has happened")
    return day


def parse_positive(text: str, field: str, limit: Decimal | None = None) -> Decimal:
    """A quantity or number of years: a number greater than 0, at most cases.MAX_DECIMALS places, and
    not over ``limit`` (``cases.LIMITS``: what the case file checks refuse)."""
    cleaned = str(text).strip()
    try:
        value = Decimal(cleaned)
        if not value.is_finite():
            raise decimal.InvalidOperation
    except decimal.InvalidOperation:
        raise ValueError(f"the {field} must be a number, e.g. 2 or 0.5") from None
    if value <= 0:
        raise ValueError(f"the {field} must be greater than 0")
    if value.normalize().as_tuple().exponent < -cases.MAX_DECIMALS:
        raise ValueError(f"the {field} takes at most {cases.MAX_DECIMALS} decimal places")
    if limit is not None and value > limit:
        raise ValueError(f"the {field} is {cleaned}, more than any one case could have: at most {limit:,}")
    return value.normalize() if value == value.to_integral_value() else value


def text_message(field: str, text: str) -> str | None:
    """Why a description or evidence note is refused (a control character, too long, looks like
    personal data), or None.

    Never repeats the text itself."""
    refused = spreadsheet_text.message(field, text)
    if refused:
        return f"{refused}: {spreadsheet_text.HINT}"
    problems = case_files.text_problems("", field, field, text)
    if not problems:
        return None
    reasons = "; ".join(problem.message for problem in problems)
    if any(problem.code == "personal-data" for problem in problems):
        return f"{reasons}: write a short note with no names, dates, addresses, phone numbers, e-mail addresses, NI or NHS numbers"
    return f"{reasons}: keep it under {cases.TEXT_LIMIT} characters, a short note"


def reference_message(reference: str, service: models.ServiceSettings, in_use: dict[str, str]) -> str | None:
    """Why ``reference`` cannot be a new case of ``service``, or None."""
    refused = spreadsheet_text.message("reference", reference)
    if refused:
        return f"{refused}: {spreadsheet_text.HINT}"
    problem = case_files.reference_problem(reference, service, list(in_use))
    if problem:
        return problem
    if reference.upper() in in_use:
        return f"{reference} is already a case ({in_use[reference.upper()]}); to add to it use: up2u-cba case update {reference}"
    return None


def with_event(record: models.CaseRecord, event: models.StatusEvent) -> models.CaseRecord:
    return record.model_copy(update={"history": (*record.history, event)})


def with_outcomes(record: models.CaseRecord, outcomes: list[models.OutcomeEntry]) -> models.CaseRecord:
    return record.model_copy(update={"outcomes": tuple(outcomes)})


def line_problems(
    record: models.CaseRecord,
    number: int,
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
) -> list[Problem]:
    """What outcome line ``number`` (counted from 0) of ``record`` adds to the problems ``validate``
    would report (unknown code, no fiscal value, a parent counted with its constituent, a pair the
    unit cost tables declare, an implausible figure, personal data...), warnings among them
    (``Problem.warning``: shown, never refusing the line)."""
    without = with_outcomes(record, [outcome for index, outcome in enumerate(record.outcomes) if index != number])
    before = {(problem.code, problem.message) for problem in _all_problems(without, settings, costs, series)}
    return [problem for problem in _all_problems(record, settings, costs, series)
            if (problem.code, problem.message) not in before]


def _all_problems(record, settings, costs, series) -> list[Problem]:
    return checks.check(settings, costs, series, [record]) + case_files.record_problems(record, record.file)


def value_case(
    record: models.CaseRecord,
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
) -> calculate.CaseValuation:
    """A completed case valued exactly as the report values it."""
    return calculate.value_case(record, costs, series, settings.price_year, settings.assumptions)


def default_years(settings: models.Settings, code: str) -> Decimal:
    """The years a line counts for unless the user says otherwise: the settings' benefit
    duration for the code, else 1."""
    return Decimal(settings.assumptions.duration.get(code, 1))


def cost_message(cost: models.UnitCost, series: deflators.DeflatorSeries) -> str | None:
    """Why ``cost`` cannot value an outcome line, or None."""
    if cost.fiscal is None:
        return f"{cost.code} has no fiscal value (only fiscal savings count); choose another cost"
    if cost.fiscal.price_year not in series.index:
        return (f"{cost.code}'s price year {cost.fiscal.price_year} is not in the deflator series; "
                "choose another cost")
    return None
