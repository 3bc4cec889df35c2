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
    # scale = "guidance"              # grade every line 1-6 as the 2014 HM Treasury guidance for
    # "1" = 0.0                       # local partnerships does (GUIDANCE_OPTIMISM_BIAS; a cost's
    # "6" = 0.4                       # RAG rating maps by RAG_TO_GRADE)

    [assumptions.cost_optimism_bias]  # uplift to the programme's spend (costs go UP)
    value = 0.0                       # or grade = 2: the guidance's correction for that grade

    [assumptions.spend_profile]       # when, within the report's year, its spend is paid:
    paid = "monthly"                  # "monthly" (evenly over its 12 months) or "yearly" (all at
                                      # its start); the spend entered is the year's outturn, so it
                                      # is never spread beyond the year (SPEND_WITHIN_THE_YEAR)

    [assumptions.drop_off]            # share of a benefit lost each year after the first
    default = 0.0
    codes = {}

    [assumptions.duration]            # years a benefit lasts, for lines that do not say
    codes = { "CR2.0" = 3 }

    [assumptions.discount_rate]
    value = 0.035
    note = "HM Treasury Green Book: 3.5% a year"

    [assumptions.cashability]         # share of a fiscal saving a budget holder can release
    default = 1.0                     # by full agency name, else by agency level 1:
    agencies = { "Police" = 0.5, "Police / Local Authority" = 0.8 }

    [assumptions.transfers]           # fiscal values that are transfer payments (benefits, tax),
    codes = []                        # kept out of public value: those the unit cost table marks
    not_codes = []                    # (transfer = yes), these codes too, and not these

    [sensitivity]                     # low and high values tried for each assumption
    deadweight = [0.0, 0.5]
"""

from __future__ import annotations

import decimal
import difflib
import fractions
import re
from decimal import Decimal

import pydantic

from up2u_cba.problems import Problem, counted, shown

_FROZEN = pydantic.ConfigDict(frozen=True)
RAG_GRADES = ("G", "A", "R")
CONFIDENCE_GRADES = ("1", "2", "3", "4", "5", "6")
"""The confidence grades of HM Treasury's 2014 guidance for local partnerships, 1 the surest."""
GRADES = (*RAG_GRADES, *CONFIDENCE_GRADES)
GUIDANCE_OPTIMISM_BIAS = {"1": Decimal("0"), "2": Decimal("0.05"), "3": Decimal("0.10"), "4": Decimal("0.15"),
                          "5": Decimal("0.25"), "6": Decimal("0.40")}
"""The optimism bias correction for each confidence grade in "Supporting public service
transformation: cost benefit analysis guidance for local partnerships" (HM Treasury, Public Service
Transformation Network and New Economy, April 2014), its table of confidence grades, for costs and
benefits alike: the default for grades 1-6 (README, "Optimism bias", says how sure that reading is)."""
GUIDANCE_NOTE = ("HM Treasury / PSTN / New Economy, Supporting public service transformation: cost benefit "
                 "analysis guidance for local partnerships (April 2014), table of confidence grades")
RAG_TO_GRADE = {"G": "3", "A": "4", "R": "5"}
"""A GMCA RAG rating as a confidence grade on the guidance's scale: a database estimate is a
national figure from published research, not the programme's own audited local data (grades 1-2),
so green (a robust, recent source) is grade 3, amber (older, or resting on some assumptions)
grade 4 and red (mostly assumption) grade 5; unrated is grade 6 (README, "Optimism bias")."""
LEAST_SURE = {"rag": "R", "guidance": "6"}
"""The grade of a line with no confidence of its own and an unrated cost, on each scale."""
GRADE_RULE = 'a RAG rating "G", "A" or "R" (any capitals), or a confidence grade: a whole number from 1 to 6'
"""How an outcome line's confidence is written, wherever it is entered (case files, case amend, intake)."""


def evidence_grade(value: object) -> str | None:
    """A line's confidence as the tool keeps it ("A", "4"), or None if it is no grade: a letter
    G, A or R in any capitals and spacing, or a whole number 1-6 however written (4, 4.0, "4",
    "4.0")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    grade = value.strip().upper()
    if re.fullmatch(r"[1-6]\.0*", grade):  # ("4.0", as a spreadsheet or a person may write 4)
        grade = grade[0]
    return grade if grade in GRADES else None


SCALES = ("rag", "guidance")
SPEND_PAID = ("monthly", "yearly")
SPEND_PAID_TEXT = {"monthly": "paid evenly over the year's 12 months, within the year (not discounted)",
                   "yearly": "paid at the start of the year, within the year (not discounted)"}
"""What each spend profile means, for reports."""
SPEND_WITHIN_THE_YEAR = (
    "The spend a service enters for a year is that year's outturn: the profile only says when within the "
    "year it is paid, so it is never spread beyond the year nor discounted, and the prudent spend (the spend "
    "x (1 + optimism bias on costs)) is never below the spend entered.")
"""The rule of the spend profile, said in the README and on the workbook's Method sheet: no
setting can make the prudent return exceed the gross one from the spend side."""
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
    optimism_bias: dict[str, Decimal] = {**{grade: Decimal(0) for grade in RAG_GRADES}, **GUIDANCE_OPTIMISM_BIAS}
    """Cut to benefits per evidence grade: G / A / R (none by default: the published method) and
    the guidance's grades 1-6 (its corrections by default)."""
    optimism_bias_note: str = "none assumed (published method)"
    optimism_bias_scale: str = "rag"
    """"rag": a line without a confidence of its own takes its cost's RAG rating as its grade (G, A,
    R); "guidance": every grade is on the guidance's 1-6 scale (a RAG rating or letter confidence
    mapped by RAG_TO_GRADE)."""
    cost_optimism_bias: Decimal = Decimal(0)
    """Uplift to the programme's spend in the prudent figures (spend x (1 + this))."""
    cost_optimism_bias_note: str = ("the guidance's grade 1 (0%): the council's own spend for a past year, "
                                    "as entered")
    spend_paid: str = "monthly"
    """How the year's spend is paid within the year (SPEND_WITHIN_THE_YEAR): "monthly" (evenly
    over its 12 months) or "yearly" (all in its first month)."""
    spend_profile_note: str = "the year's spend paid evenly over its 12 months"
    drop_off: CodeRates = CodeRates(default=Decimal(0), note="none assumed")
    """Share of a multi-year benefit lost each year after the first."""
    duration: dict[str, Decimal] = {}
    """Years a benefit lasts, per code, for outcome lines that do not state their years."""
    duration_note: str = "as stated on each outcome line (1 year if not stated)"
    discount_rate: Decimal = Decimal("0.035")
    """Yearly discount rate: year k (0-based) is divided by (1 + rate)^k."""
    discount_rate_note: str = "HM Treasury Green Book: 3.5% a year"
    cashability: dict[str, Decimal] = {}
    """Share of a fiscal saving that can be released, per agency: a full name (``Police / Local
    Authority``) or a level 1 (``Police``), the full name first (``cashable_share``)."""
    cashability_default: Decimal = Decimal(1)
    cashability_note: str = "all of it assumed cashable"
    transfers: frozenset[str] = frozenset()
    """Codes whose fiscal values are transfer payments, left out of public value, besides those
    the unit cost table marks (``transfer = yes``)."""
    not_transfers: frozenset[str] = frozenset()
    """Codes the unit cost table marks as transfers that the settings count as not being one."""
    transfers_note: str = "as the unit cost table marks them (transfer column, from the GMCA database's comments)"
    sensitivity: dict[str, tuple[Decimal, Decimal]] = {
        "deadweight": (Decimal("0"), Decimal("0.5")),
        "attribution": (Decimal("0.5"), Decimal("1")),
        "optimism_bias": (Decimal("0"), Decimal("0.4")),
        "drop_off": (Decimal("0"), Decimal("0.5")),
        "discount_rate": (Decimal("0.015"), Decimal("0.07")),
    }
    """Low and high values tried for each assumption by the sensitivity analysis."""

    def grade(self, confidence: str, rag: str) -> str:
        """The grade a line's optimism bias is taken at: its own confidence, else its cost's RAG
        rating, else the least sure; on the guidance scale a letter is mapped by RAG_TO_GRADE."""
        found = confidence or rag or LEAST_SURE[self.optimism_bias_scale]
        return RAG_TO_GRADE.get(found, found) if self.optimism_bias_scale == "guidance" else found

    def grades_in_force(self) -> tuple[str, ...]:
        """The grades a line can be taken at: on the "guidance" scale only 1-6 (a RAG rating is
        mapped to one), so G, A and R percentages are no setting there (``parse`` refuses them)."""
        return CONFIDENCE_GRADES if self.optimism_bias_scale == "guidance" else GRADES

    def spend_payments(self) -> list[tuple[int, fractions.Fraction]]:
        """(month from the financial year's first, 0-based; share of the year's spend, exactly) of
        each payment of the spend profile: every one within the year (SPEND_WITHIN_THE_YEAR)."""
        if self.spend_paid == "yearly":
            return [(0, fractions.Fraction(1))]
        return [(month, fractions.Fraction(1, 12)) for month in range(12)]

    def cashable_share(self, agency: str) -> Decimal:
        """The cashability of an agency named in full (``Police / Local Authority``): its own
        setting, else its level 1's (``Police``), else the default; names compared in any
        capitals and spacing (``agency_key``)."""
        by_key = {agency_key(name): value for name, value in self.cashability.items()}
        found = by_key.get(agency_key(agency))
        if found is None:
            found = by_key.get(agency_key(agency.split("/")[0]), self.cashability_default)
        return found

    def is_transfer(self, cost) -> bool:
        """Whether a cost's fiscal value counts as a transfer payment: the table marks it (and
        the settings do not take it off), or the settings add it."""
        return cost.code not in self.not_transfers and (cost.transfer or cost.code in self.transfers)

    def notes(self) -> list[tuple[str, str, str]]:
        """(assumption, value in force, where it came from) for reports."""
        def rates(rates: CodeRates) -> str:
            extra = "; ".join(f"{code} {percent(value)}" for code, value in sorted(rates.codes.items()))
            return percent(rates.default) + (f" (by code: {extra})" if extra else "")

        cash = "; ".join(f"{' '.join(agency.split())} {percent(value)}"
                         for agency, value in sorted(self.cashability.items()))
        return [
            ("Deadweight", rates(self.deadweight), self.deadweight.note),
            ("Attribution", rates(self.attribution), self.attribution.note),
            ("Optimism bias", ", ".join(f"{grade} {percent(self.optimism_bias[grade])}" for grade in self.grades_in_force())
             + f" ({SCALE_TEXT[self.optimism_bias_scale]})", self.optimism_bias_note),
            ("Optimism bias on costs", percent(self.cost_optimism_bias), self.cost_optimism_bias_note),
            ("Spend profile", SPEND_PAID_TEXT[self.spend_paid], self.spend_profile_note),
            ("Drop-off per year", rates(self.drop_off), self.drop_off.note),
            ("Benefit duration", "; ".join(f"{code} {counted(value, 'year')}" for code, value in sorted(self.duration.items()))
             or "as on each line", self.duration_note),
            ("Discount rate", percent(self.discount_rate), self.discount_rate_note),
            ("Cashability", percent(self.cashability_default) + (f" (by agency: {cash})" if cash else ""),
             self.cashability_note),
            ("Transfers", transfer_text(self.transfers, self.not_transfers), self.transfers_note),
        ]


SENSITIVITY_NAMES = ("deadweight", "attribution", "optimism_bias", "drop_off", "discount_rate")
KEYS = {
    "deadweight": ("default", "codes", "note"),
    "attribution": ("default", "codes", "note"),
    "drop_off": ("default", "codes", "note"),
    "optimism_bias": (*GRADES, "scale", "note"),
    "cost_optimism_bias": ("value", "grade", "note"),
    "spend_profile": ("paid", "years", "note"),
    "duration": ("codes", "note"),
    "discount_rate": ("value", "note"),
    "cashability": ("default", "agencies", "note"),
    "transfers": ("codes", "not_codes", "note"),
}
"""The settings each assumption table may hold: anything else is a typo to report."""


def agency_key(name: str) -> str:
    """An agency's name as names are compared: any capitals, spaces around and between words
    and around the " / " between its levels ("police ", "Police/Local  authority")."""
    return agency_spaced(name).casefold()


def agency_spaced(name: str) -> str:
    """An agency's name with single spaces between words and " / " between its levels, and a
    curly apostrophe (as Word and Outlook write Children’s) as the straight one."""
    return " / ".join(" ".join(level.split()) for level in name.replace("\u2019", "'").split("/"))


NOT_STATED = "Not stated"
"""The agency of a saving whose unit cost names none (``calculate.proportions_by_agency``)."""


def unknown_agencies(green_book: Assumptions, costs: dict, file: str) -> list[Problem]:
    """A problem (``unknown-agency``) for each agency ``[assumptions.cashability] agencies``
    names that no unit cost in force bears, by level 1 or full name, in any capitals and spacing:
    its cashability would never apply. The hint names the nearest known agency."""
    known = {agency_key(NOT_STATED): NOT_STATED}
    for cost in costs.values():
        for name in (cost.agency_1, cost.agency):
            if name.strip():
                known.setdefault(agency_key(name), agency_spaced(name))
    problems = []
    for agency in green_book.cashability:
        if agency_key(agency) in known:
            continue
        nearest = difflib.get_close_matches(agency_key(agency), list(known), n=1, cutoff=0.6)
        problems.append(Problem(
            code="unknown-agency", file=file, where=f'assumptions.cashability.agencies."{agency}"',
            message=f"'{shown(agency)}' is not an agency of the unit cost tables in force, so this cashability "
                    "would never apply",
            hint=f'did you mean "{known[nearest[0]]}"?' if nearest else
            "name an agency as the unit cost tables do: its level 1 (Police) or full name (Police / Local Authority)"))
    return problems


def transfer_text(added: frozenset[str], removed: frozenset[str]) -> str:
    """What the transfers settings say, for reports: the table's marks and any changes to them."""
    text = "as marked in the unit cost table"
    if added:
        text += "; also " + ", ".join(sorted(added))
    if removed:
        text += "; not " + ", ".join(sorted(removed))
    return text


SCALE_TEXT = {"rag": "a line's confidence, else its cost's RAG rating G, A or R",
              "guidance": "grades 1-6: a line's confidence, else its cost's RAG rating as G 3, A 4, R 5, unrated 6"}
"""How lines are graded on each scale, for reports."""


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
        rate = share(bias.get(grade, base.optimism_bias[grade]), f"assumptions.optimism_bias.{grade}")
        values["optimism_bias"][grade] = base.optimism_bias[grade] if rate is None else rate
    values["optimism_bias_scale"] = optimism_bias_scale(bias, problem)
    if values["optimism_bias_scale"] == "guidance":
        for letter in (grade for grade in RAG_GRADES if grade in bias):
            values["optimism_bias"][letter] = base.optimism_bias[letter]
            problem(f"assumptions.optimism_bias.{letter}",
                    f'on scale = "guidance" a cost rated {letter} is graded {RAG_TO_GRADE[letter]} and takes grade '
                    f'"{RAG_TO_GRADE[letter]}"\'s percentage, so {letter} would never be used',
                    f'set "{RAG_TO_GRADE[letter]}" instead (G 3, A 4, R 5), or scale = "rag" to grade by G, A and R')
    values["optimism_bias_note"] = note(bias, "optimism_bias", base.optimism_bias_note)
    if set(bias) <= {"scale"} and values["optimism_bias_scale"] == "guidance":
        values["optimism_bias_note"] = GUIDANCE_NOTE

    costs = table("cost_optimism_bias")
    values["cost_optimism_bias"], values["cost_optimism_bias_note"] = cost_uplift(costs, share, problem, base)
    if "note" in costs or "value" in costs:
        values["cost_optimism_bias_note"] = note(costs, "cost_optimism_bias", base.cost_optimism_bias_note)

    profile = table("spend_profile")
    values["spend_paid"] = spend_profile(profile, problem)
    values["spend_profile_note"] = note(profile, "spend_profile", base.spend_profile_note)

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
    named: dict[str, str] = {}
    for agency, value in mapping(cash, "cashability", "agencies", '{ "Police" = 0.5 }').items():
        rate = share(value, f'assumptions.cashability.agencies."{agency}"')
        if agency_key(agency) in named:
            problem(f'assumptions.cashability.agencies."{agency}"',
                    f"'{shown(agency)}' names the same agency as '{shown(named[agency_key(agency)])}'",
                    "give each agency once (capitals and spaces do not make another agency)")
        elif rate is not None:
            values["cashability"][agency] = rate
        named.setdefault(agency_key(agency), agency)
    values["cashability_note"] = note(cash, "cashability", base.cashability_note)

    transfers = table("transfers")
    for key, field, example in (("codes", "transfers", 'codes = ["E&S5.0"]'),
                                ("not_codes", "not_transfers", 'not_codes = ["E&E1.0.1"]')):
        codes = transfers.get(key, [])
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            problem(f"assumptions.transfers.{key}", f"{key} must be a list of unit cost codes", f"e.g. {example}")
            codes = []
        values[field] = frozenset(codes)
    for code in sorted(values["transfers"] & values["not_transfers"]):
        problem(f'assumptions.transfers.not_codes."{code}"', f"{code} is both in codes and in not_codes",
                "name it in codes to count it as a transfer, in not_codes to count it as not one; not both")
    values["transfers_note"] = note(transfers, "transfers", base.transfers_note)
    return Assumptions(**values), problems


def optimism_bias_scale(bias: dict, problem) -> str:
    """The grading scale: as set, else "guidance" where the table sets grades 1-6 and no G, A or
    R, else "rag" (so today's settings keep working as they did)."""
    scale = bias.get("scale")
    if scale is None:
        numbered = any(grade in bias for grade in CONFIDENCE_GRADES)
        lettered = any(grade in bias for grade in RAG_GRADES)
        return "guidance" if numbered and not lettered else "rag"
    named = " ".join(scale.split()).lower() if isinstance(scale, str) else None  # (any capitals, as paid is read)
    if named not in SCALES:
        problem("assumptions.optimism_bias.scale", f"'{shown(scale)}' is not a grading scale",
                'scale = "rag" (G, A, R) or scale = "guidance" (grades 1-6)')
        return "rag"
    return named


def cost_uplift(costs: dict, share, problem, base: Assumptions) -> tuple[Decimal, str]:
    """The programme's cost optimism bias and its source: a value, or the guidance's correction
    for a confidence grade."""
    where = "assumptions.cost_optimism_bias"
    both = "value" in costs and "grade" in costs
    if both:
        problem(where, "give a value or a grade, not both", "e.g. value = 0.05, or grade = 2")
    graded = value = None
    if "grade" in costs:  # (each of the two checked even when both are given: all problems at once)
        given = costs["grade"]
        grade = evidence_grade(given)  # (read as a line's confidence is: 2, 2.0, "2")
        if grade in CONFIDENCE_GRADES:
            graded = GUIDANCE_OPTIMISM_BIAS[grade], f"the guidance's grade {grade}: {GUIDANCE_NOTE}"
        else:
            problem(f"{where}.grade", f"'{shown(given)}' is not a confidence grade", "a grade from 1 to 6, e.g. grade = 2")
    if "value" in costs:
        value = share(costs["value"], f"{where}.value", maximum=Decimal(10))
    if both or (graded is None and value is None):
        return base.cost_optimism_bias, base.cost_optimism_bias_note
    return graded if graded is not None else (value, "")


def spend_profile(profile: dict, problem) -> str:
    """How the year's spend is paid within the year (any capitals: "Monthly"); ``years`` may
    only say 1, the year itself (SPEND_WITHIN_THE_YEAR)."""
    paid = profile.get("paid", "monthly")
    if isinstance(paid, str) and " ".join(paid.split()).lower() in SPEND_PAID:
        paid = " ".join(paid.split()).lower()
    else:
        problem("assumptions.spend_profile.paid", f"'{shown(paid)}' is not a way of paying",
                'paid = "monthly" or paid = "yearly"')
        paid = "monthly"
    years = profile.get("years", 1)
    if isinstance(years, bool) or not isinstance(years, (int, float, Decimal)):
        problem("assumptions.spend_profile.years", f"'{shown(years)}' is not a number of years",
                'leave years out (or write years = 1): the spend entered for a year is paid within it')
    elif years != 1:
        problem("assumptions.spend_profile.years",
                f"the spend entered for a year is that year's outturn, paid within the year, so it cannot be "
                f"spread over '{shown(years)}' years (later years' spend would be discounted below what was spent)",
                'leave years out (or write years = 1); paid = "monthly" spreads the spend over the year\'s 12 months')
    return paid


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
