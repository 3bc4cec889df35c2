"""Green Book assumptions: what turns a gross saving into a prudent one.

Read from the ``[assumptions]`` and ``[sensitivity]`` tables of the settings file. Every
default but the discount rate changes nothing (no deadweight, full attribution, no optimism bias,
no drop-off, full cashability): benefits lasting more than a year are discounted (3.5% a year,
the Green Book rate), so gross and prudent agree until a user sets something only where no line
lasts longer (``calculate.ServiceSummary.prudent_adjusted`` says which). Each assumption carries a note of
where it came from, shown in every report. Example::

    [assumptions.deadweight]          # share of the outcome that would have happened anyway
    default = 0.0
    codes = { "CR2.0" = 0.2 }
    note = "Local evaluation of comparable perpetrator programmes, 2021"

    [assumptions.attribution]         # share of the outcome due to this programme
    default = 1.0
    codes = {}
    note = ""

    [assumptions.optimism_bias]       # cut to benefits by evidence grade (the cost's RAG rating,
    G = 0.0                           # or a confidence grade given on the outcome line)
    A = 0.0
    R = 0.0
    note = ""

    [assumptions.drop_off]            # share of a benefit lost each year after the first
    default = 0.0
    codes = {}

    [assumptions.duration]            # years a benefit lasts, for lines that do not say
    codes = { "CR2.0" = 3 }

    [assumptions.discount_rate]
    value = 0.035
    note = "HM Treasury Green Book: 3.5% a year"

    [assumptions.cashability]         # share of a fiscal saving a budget holder can release
    default = 1.0
    agencies = { "Police" = 0.5 }     # by agency level 1

    [assumptions.transfers]           # fiscal values that are transfer payments (benefits, tax):
    codes = []                        # kept out of public value

    [sensitivity]                     # low and high values tried for each assumption
    deadweight = [0.0, 0.5]
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import pydantic

from up2u_cba.problems import Problem, counted, shown

_FROZEN = pydantic.ConfigDict(frozen=True)
GRADES = ("G", "A", "R")
MAX_DECIMALS = 10
"""Shares take at most 10 decimal places (a switching value is given to 10)."""


class CodeRates(pydantic.BaseModel):
    """A share (0 to 1) with a programme-wide default and values for particular unit cost codes."""

    model_config = _FROZEN

    default: Decimal
    codes: dict[str, Decimal] = {}
    note: str = ""

    def for_code(self, code: str) -> Decimal:
        return self.codes.get(code, self.default)


class Assumptions(pydantic.BaseModel):
    """Every Green Book assumption in force, each with where it came from."""

    model_config = _FROZEN

    deadweight: CodeRates = CodeRates(default=Decimal(0), note="none assumed (published method)")
    """Share of each outcome that would have happened anyway."""
    attribution: CodeRates = CodeRates(default=Decimal(1), note="all to the programme (published method)")
    """Share of each outcome due to this programme rather than other services."""
    optimism_bias: dict[str, Decimal] = {grade: Decimal(0) for grade in GRADES}
    """Cut to benefits per evidence grade G / A / R."""
    optimism_bias_note: str = "none assumed (published method)"
    drop_off: CodeRates = CodeRates(default=Decimal(0), note="none assumed")
    """Share of a multi-year benefit lost each year after the first."""
    duration: dict[str, Decimal] = {}
    """Years a benefit lasts, per code, for outcome lines that do not state their years."""
    duration_note: str = "as stated on each outcome line (1 year if not stated)"
    discount_rate: Decimal = Decimal("0.035")
    """Yearly discount rate: year k (0-based) is divided by (1 + rate)^k."""
    discount_rate_note: str = "HM Treasury Green Book: 3.5% a year"
    cashability: dict[str, Decimal] = {}
    """Share of a fiscal saving that can be released, per agency level 1."""
    cashability_default: Decimal = Decimal(1)
    cashability_note: str = "all of it assumed cashable"
    transfers: frozenset[str] = frozenset()
    """Codes whose fiscal values are transfer payments, left out of public value."""
    transfers_note: str = "none marked"
    sensitivity: dict[str, tuple[Decimal, Decimal]] = {
        "deadweight": (Decimal("0"), Decimal("0.5")),
        "attribution": (Decimal("0.5"), Decimal("1")),
        "optimism_bias": (Decimal("0"), Decimal("0.4")),
        "drop_off": (Decimal("0"), Decimal("0.5")),
        "discount_rate": (Decimal("0.015"), Decimal("0.07")),
    }
    """Low and high values tried for each assumption by the sensitivity analysis."""

    def cashable_share(self, agency_1: str) -> Decimal:
        return self.cashability.get(agency_1, self.cashability_default)

    def notes(self) -> list[tuple[str, str, str]]:
        """(assumption, value in force, where it came from) for reports."""
        def rates(rates: CodeRates) -> str:
            extra = "; ".join(f"{code} {percent(value)}" for code, value in sorted(rates.codes.items()))
            return percent(rates.default) + (f" (by code: {extra})" if extra else "")

        cash = "; ".join(f"{agency} {percent(value)}" for agency, value in sorted(self.cashability.items()))
        return [
            ("Deadweight", rates(self.deadweight), self.deadweight.note),
            ("Attribution", rates(self.attribution), self.attribution.note),
            ("Optimism bias", ", ".join(f"{grade} {percent(self.optimism_bias[grade])}" for grade in GRADES),
             self.optimism_bias_note),
            ("Drop-off per year", rates(self.drop_off), self.drop_off.note),
            ("Benefit duration", "; ".join(f"{code} {counted(value, 'year')}" for code, value in sorted(self.duration.items()))
             or "as on each line", self.duration_note),
            ("Discount rate", percent(self.discount_rate), self.discount_rate_note),
            ("Cashability", percent(self.cashability_default) + (f" (by agency: {cash})" if cash else ""),
             self.cashability_note),
            ("Transfers", ", ".join(sorted(self.transfers)) or "none", self.transfers_note),
        ]


SENSITIVITY_NAMES = ("deadweight", "attribution", "optimism_bias", "drop_off", "discount_rate")
KEYS = {
    "deadweight": ("default", "codes", "note"),
    "attribution": ("default", "codes", "note"),
    "drop_off": ("default", "codes", "note"),
    "optimism_bias": (*GRADES, "note"),
    "duration": ("codes", "note"),
    "discount_rate": ("value", "note"),
    "cashability": ("default", "agencies", "note"),
    "transfers": ("codes", "note"),
}
"""The settings each assumption table may hold: anything else is a typo to report."""


def percent(value: Decimal) -> str:
    text = format((value * 100).normalize(), "f")
    return f"{text}%"


def parse(data: dict, file: str) -> tuple[Assumptions, list[Problem]]:
    """Assumptions from the settings' ``[assumptions]`` and ``[sensitivity]`` tables."""
    problems: list[Problem] = []

    def problem(where: str, message: str, hint: str, code: str = "bad-assumption") -> None:
        problems.append(Problem(code=code, file=file, where=where, message=message, hint=hint))

    def share(value: object, where: str, maximum: Decimal = Decimal(1)) -> Decimal | None:
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
                raise decimal.InvalidOperation
            number = Decimal(str(value))
            if not number.is_finite() or number < 0 or number > maximum or _too_precise(number):
                raise decimal.InvalidOperation
        except (decimal.InvalidOperation, ValueError):
            problem(where, f"'{shown(value)}' is not a share from 0 to {maximum}",
                    f"write a decimal with at most {MAX_DECIMALS} decimal places, e.g. 0.2 for 20%")
            return None
        return number

    def table(name: str) -> dict:
        value = data.get(name, {})
        if not isinstance(value, dict):
            problem(f"assumptions.{name}", f"{name} must be a table", f"write it as [assumptions.{name}]")
            return {}
        return value  # (a key not in KEYS is reported by settings.unknown_keys, with a did-you-mean)

    def mapping(section: dict, name: str, key: str, example: str) -> dict:
        value = section.get(key, {})
        if not isinstance(value, dict):
            problem(f"assumptions.{name}.{key}", f"{key} must be a table", f"e.g. {key} = {example}")
            return {}
        return value

    def note(section: dict, name: str, default: str) -> str:
        """The section's note; the default's only while the section sets nothing else."""
        if any(key != "note" for key in section):
            default = "set in the settings file; no source noted"
        value = section.get("note", default)
        if not isinstance(value, str):
            problem(f"assumptions.{name}.note", "the note must be text", 'e.g. note = "source of the figure"')
            return default
        return value or default

    def code_rates(name: str, fallback: CodeRates) -> CodeRates:
        section = table(name)
        default = share(section.get("default", fallback.default), f"assumptions.{name}.default")
        codes = {}
        for code, value in mapping(section, name, "codes", '{ "CR2.0" = 0.2 }').items():
            rate = share(value, f'assumptions.{name}.codes."{code}"')
            if rate is not None:
                codes[code] = rate
        return CodeRates(default=fallback.default if default is None else default, codes=codes,
                         note=note(section, name, fallback.note))

    base = Assumptions()
    values: dict = {}
    if not isinstance(data, dict):
        problem("assumptions", "assumptions must be a table", "write it as [assumptions.NAME] tables")
        data = {}
    values["deadweight"] = code_rates("deadweight", base.deadweight)
    values["attribution"] = code_rates("attribution", base.attribution)
    values["drop_off"] = code_rates("drop_off", base.drop_off)

    bias = table("optimism_bias")
    values["optimism_bias"] = {}
    for grade in GRADES:
        rate = share(bias.get(grade, 0), f"assumptions.optimism_bias.{grade}")
        values["optimism_bias"][grade] = Decimal(0) if rate is None else rate
    values["optimism_bias_note"] = note(bias, "optimism_bias", base.optimism_bias_note)

    duration = table("duration")
    values["duration"] = {}
    for code, value in mapping(duration, "duration", "codes", '{ "CR2.0" = 3 }').items():
        years = share(value, f'assumptions.duration.codes."{code}"', maximum=Decimal(100))
        if years is not None and years > 0:
            values["duration"][code] = years
        elif years is not None:
            problem(f'assumptions.duration.codes."{code}"', "a duration must be more than 0 years", "e.g. 3")
    values["duration_note"] = note(duration, "duration", base.duration_note)

    discount = table("discount_rate")
    rate = share(discount.get("value", base.discount_rate), "assumptions.discount_rate.value")
    values["discount_rate"] = base.discount_rate if rate is None else rate
    values["discount_rate_note"] = note(discount, "discount_rate", base.discount_rate_note)

    cash = table("cashability")
    default = share(cash.get("default", 1), "assumptions.cashability.default")
    values["cashability_default"] = Decimal(1) if default is None else default
    values["cashability"] = {}
    for agency, value in mapping(cash, "cashability", "agencies", '{ "Police" = 0.5 }').items():
        rate = share(value, f'assumptions.cashability.agencies."{agency}"')
        if rate is not None:
            values["cashability"][agency] = rate
    values["cashability_note"] = note(cash, "cashability", base.cashability_note)

    transfers = table("transfers")
    codes = transfers.get("codes", [])
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        problem("assumptions.transfers.codes", "codes must be a list of unit cost codes", 'e.g. codes = ["E&E1.0"]')
        codes = []
    values["transfers"] = frozenset(codes)
    values["transfers_note"] = note(transfers, "transfers", base.transfers_note)
    return Assumptions(**values), problems


def parse_sensitivity(data: object, file: str, assumptions: Assumptions) -> tuple[Assumptions, list[Problem]]:
    """Low/high values from the settings' ``[sensitivity]`` table, over the defaults."""
    if data is None:
        return assumptions, []
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return assumptions, [Problem(code="bad-assumption", file=file, where="sensitivity",
                                     message="sensitivity must be a table", hint="write it as [sensitivity]")]
    ranges = dict(assumptions.sensitivity)
    for name, value in data.items():
        where = f"sensitivity.{name}"
        if name not in SENSITIVITY_NAMES:  # reported by settings.unknown_keys
            continue
        try:
            low, high = (Decimal(str(item)) for item in value)
            if not (0 <= low <= high <= 1) or isinstance(value, str) or _too_precise(low) or _too_precise(high):
                raise ValueError
        except (TypeError, ValueError, decimal.InvalidOperation):
            problems.append(Problem(code="bad-assumption", file=file, where=where,
                                    message=f"'{value}' is not a [low, high] pair of shares",
                                    hint=f"e.g. {name} = [0.0, 0.5]"))
            continue
        ranges[name] = (low, high)
    return assumptions.model_copy(update={"sensitivity": ranges}), problems


def _too_precise(number: Decimal) -> bool:
    """More than MAX_DECIMALS decimal places (1e-999999 is no share anyone meant)."""
    return number.normalize().as_tuple().exponent < -MAX_DECIMALS
