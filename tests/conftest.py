"""Shared test helpers: where the project's own files are, and small builders of domain objects."""

from __future__ import annotations

import datetime
import pathlib
from decimal import Decimal

import pytest

from up2u_cba import models
from up2u_cba.inputs import deflators

ROOT = pathlib.Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "up2u-cba.toml"
DEFLATORS = ROOT / "unit_costs" / "gdp-deflators-march-2026.csv"
GMCA_CSV = ROOT / "unit_costs" / "gmca-ucd-v1.4.csv"

GUARD_FIGURES = pytest.StashKey[list]()
"""The personal-data guard's corpus figures (catch rate, false alarms), set by
test_privacy_corpus.py and printed at the end of the run."""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Show the personal-data guard's catch and false-alarm rates in every test run's output."""
    figures = config.stash.get(GUARD_FIGURES, None)
    if figures:
        terminalreporter.write_sep("-", "personal-data guard, labelled corpus (tests/fixtures/privacy_corpus.toml)")
        for line in figures:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def series() -> deflators.DeflatorSeries:
    loaded, problems = deflators.load(str(DEFLATORS), "HM Treasury GDP deflators, March 2026")
    assert problems == []
    return loaded


def year(text: str) -> models.FinancialYear:
    return models.FinancialYear.parse(text)


def cost(code: str, amount: str, price_year: str, agency: str = "Police", parent: str = "",
         theme: str = "Crime") -> models.UnitCost:
    agency_1, _, agency_2 = agency.partition(" / ")
    return models.UnitCost(code=code, description=f"cost {code}", agency_1=agency_1, agency_2=agency_2,
                           fiscal=models.CostValue(amount=Decimal(amount), price_year=year(price_year)),
                           parent=parent, theme=theme, rag="A")


def case(reference: str, events: list[tuple], outcomes: tuple = (), service: str = "BCP",
         locality: str = "Poole") -> models.CaseRecord:
    """events: (status, 'YYYY-MM-DD'[, reason])."""
    history = tuple(
        models.StatusEvent(status=models.Status(event[0]), date=datetime.date.fromisoformat(event[1]),
                           reason=models.ClosureReason(event[2]) if len(event) > 2 else None)
        for event in events
    )
    return models.CaseRecord(reference=reference, service=service, locality=locality, history=history,
                             outcomes=tuple(outcomes))


def outcome(code: str, quantity: str = "1", years: str = "1") -> models.OutcomeEntry:
    return models.OutcomeEntry(code=code, quantity=Decimal(quantity), years=Decimal(years))
