"""The settings file (TOML): services, spend, price year, and which data files to use.

Paths inside it are relative to the settings file's own folder. Example::

    cases = "cases"
    unit_costs = ["unit_costs/gmca-ucd-v1.4.csv", "unit_costs/bcp-local.csv"]

    [uprating]
    price_year = "2018/19"
    deflators = "unit_costs/gdp-deflators-march-2026.csv"
    series = "HM Treasury GDP deflators at market prices, March 2026"

    [services.BCP]
    localities = ["Bournemouth", "Christchurch", "Poole"]
    reference_pattern = "BCP-\\d{4}"
    spend = { "2022/23" = 90000 }
"""

from __future__ import annotations

import decimal
import os
import re
import tomllib
from decimal import Decimal

from up2u_cba import assumptions, models
from up2u_cba.problems import Problem

DEFAULT_FILE = "up2u-cba.toml"


def load(path: str) -> tuple[models.Settings | None, list[Problem]]:
    """Read the settings file; return Settings (None if unusable) and every problem found."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return None, [Problem(code="missing-file", file=path, message="settings file not found",
                              hint=f"run from the project folder (it has {DEFAULT_FILE}) or pass --settings PATH")]
    except tomllib.TOMLDecodeError as error:
        return None, [Problem(code="invalid-toml", file=path, message=f"not valid TOML: {error}",
                              hint="fix the syntax at the line and column given")]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(code="unreadable-file", file=path, message=f"cannot read the settings file: {error}",
                              hint="give the path of a UTF-8 TOML file")]
    folder = os.path.dirname(path)
    problems: list[Problem] = []

    def problem(code: str, where: str, message: str, hint: str) -> None:
        problems.append(Problem(code=code, file=path, where=where, message=message, hint=hint))

    def relative(value: str) -> str:
        return os.path.normpath(os.path.join(folder, value))

    cases_folder = data.get("cases")
    if not isinstance(cases_folder, str) or not cases_folder:
        problem("missing-field", "cases", "no cases folder given", 'e.g. cases = "cases"')
        cases_folder = "cases"
    unit_cost_files = data.get("unit_costs")
    if (not isinstance(unit_cost_files, list) or not unit_cost_files
            or not all(isinstance(item, str) for item in unit_cost_files)):
        problem("missing-field", "unit_costs", "no list of unit cost files given",
                'e.g. unit_costs = ["unit_costs/gmca-ucd-v1.4.csv"]')
        unit_cost_files = []

    uprating = data.get("uprating", {})
    if not isinstance(uprating, dict):
        problem("bad-field", "uprating", "uprating must be a table", "write it as [uprating] with price_year and deflators")
        uprating = {}
    price_year = None
    try:
        price_year = models.FinancialYear.parse(str(uprating.get("price_year", "")))
    except ValueError:
        problem("bad-price-year", "uprating.price_year",
                f"'{uprating.get('price_year', '')}' is not a price year", 'e.g. price_year = "2022/23"')
    deflator_file = uprating.get("deflators")
    if not isinstance(deflator_file, str) or not deflator_file:
        problem("missing-field", "uprating.deflators", "no deflator file given",
                'e.g. deflators = "unit_costs/gdp-deflators-march-2026.csv"')
        deflator_file = ""
    series = uprating.get("series") or deflator_file
    if not isinstance(series, str):
        problem("bad-field", "uprating.series", "the series name must be text",
                'e.g. series = "HM Treasury GDP deflators, March 2026"')
        series = deflator_file

    services = []
    service_tables = data.get("services")
    if not isinstance(service_tables, dict) or not service_tables:
        problem("missing-field", "services", "no services defined", "add a [services.NAME] table per service")
        service_tables = {}
    for name, table in service_tables.items():
        service = _parse_service(name, table, problem)
        if service is not None:
            services.append(service)

    green_book, assumption_problems = assumptions.parse(data.get("assumptions", {}), path)
    green_book, sensitivity_problems = assumptions.parse_sensitivity(data.get("sensitivity"), path, green_book)
    problems += assumption_problems + sensitivity_problems

    if problems or price_year is None:
        return None, problems
    return models.Settings(
        file=path,
        price_year=price_year,
        unit_cost_files=tuple(relative(item) for item in unit_cost_files),
        deflator_file=relative(deflator_file),
        deflator_series=series,
        cases_folder=relative(cases_folder),
        services=tuple(services),
        assumptions=green_book,
    ), []


def _parse_service(name: str, table: object, problem) -> models.ServiceSettings | None:
    where = f"services.{name}"
    if not isinstance(table, dict):
        problem("bad-field", where, "a service must be a table", f"write it as [services.{name}]")
        return None
    localities = table.get("localities")
    if (not isinstance(localities, list) or not localities
            or not all(isinstance(item, str) and item for item in localities)):
        problem("missing-field", f"{where}.localities", "no list of locality names",
                'e.g. localities = ["Bournemouth", "Christchurch", "Poole"]')
        return None
    pattern = table.get("reference_pattern", "")
    try:
        re.compile(pattern)
    except (re.error, TypeError):
        problem("bad-field", f"{where}.reference_pattern", "not a valid regular expression",
                'e.g. reference_pattern = "BCP-\\\\d{4}"')
        pattern = ""
    spend: dict[models.FinancialYear, Decimal] = {}
    spend_table = table.get("spend", {})
    if not isinstance(spend_table, dict):
        problem("bad-field", f"{where}.spend", "spend must be a table of year = pounds",
                'e.g. spend = { "2022/23" = 90000 }')
        spend_table = {}
    for year_text, amount in spend_table.items():
        try:
            year = models.FinancialYear.parse(year_text)
        except ValueError:
            problem("bad-price-year", f"{where}.spend", f"'{year_text}' is not a financial year",
                    'write it as "2022/23"')
            continue
        if year in spend:
            problem("duplicate-year", f"{where}.spend", f"{year} has a spend twice ('{year_text}' again)",
                    "give each financial year's spend once")
            continue
        try:
            if isinstance(amount, bool) or not isinstance(amount, (int, float, str)):
                raise decimal.InvalidOperation
            value = Decimal(str(amount))
            if not value.is_finite() or value <= 0 or value != value.to_integral_value():
                raise decimal.InvalidOperation
        except decimal.InvalidOperation:
            problem("bad-number", f"{where}.spend.\"{year_text}\"", f"'{amount}' is not an amount of money",
                    "write whole pounds as a positive number, e.g. 90000")
            continue
        spend[year] = value
    return models.ServiceSettings(name=name, localities=tuple(localities), reference_pattern=pattern, spend=spend)
