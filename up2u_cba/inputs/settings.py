"""The settings file (TOML): services, spend, price year, and which data files to use.

Paths inside it are relative to the settings file's own folder, written with / or \\ alike. Example::

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
import difflib
import os
import re
from decimal import Decimal

from up2u_cba import models
from up2u_cba.inputs import input_files, settings_location
from up2u_cba.method import assumptions, disclosure
from up2u_cba.outputs import spreadsheet_text
from up2u_cba.problems import Problem, kind_of, shown

DEFAULT_FILE = settings_location.DEFAULT_FILE

ANY = "*"
"""In ``KNOWN_KEYS``, a table whose keys are names the user chooses (services, years, codes)."""
KNOWN_KEYS: dict = {
    "cases": None,
    "unit_costs": None,
    "uprating": {"price_year": None, "deflators": None, "series": None},
    "services": {ANY: {"localities": None, "reference_pattern": None, "spend": None}},
    "assumptions": {name: {key: None for key in keys} for name, keys in assumptions.KEYS.items()},
    "sensitivity": {name: None for name in assumptions.SENSITIVITY_NAMES},
    "publish": {"suppression": None},
    "history": {"record_user": None},
    "checks": {"line_ceiling": None},
    "workbook": {"marking": None, "published_marking": None},
    "uncertainty": {"level": None, "resamples": None, "seed": None, "small_cohort": None, "vary_assumptions": None},
    "crosswalk": None,
}
"""Every key the settings file may hold, as nested tables (None: a value, or a table of any
keys). The one list of them: a key not here is a typo, reported with the nearest known key.
Add a new setting here."""
TEXT_LIMIT = 1000
"""Longest text in the settings (a series name, a note, a locality): reports and workbook cells
show it whole, and a workbook cell holds at most 32,767 characters."""
MAXIMUM_SPEND = Decimal(10) ** 9
"""No programme's yearly spend is a billion pounds; a bigger figure is a typing slip."""


def unknown_keys(path: str, data: dict, known: dict = KNOWN_KEYS, prefix: str = "") -> list[Problem]:
    """An ``unknown-setting`` problem for every key of ``data`` not in ``known``, at any depth,
    with the nearest known key as a did-you-mean."""
    problems = []
    for key, value in data.items():
        if ANY in known:
            inner = known[ANY]
        elif key in known:
            inner = known[key]
        else:
            folded = {name.casefold(): name for name in known}
            nearest = [folded[match] for match in difflib.get_close_matches(key.casefold(), folded, n=1, cutoff=0.6)]
            here = f"[{prefix.rstrip('.')}]" if prefix else "the settings file"
            hint = f"did you mean {prefix}{nearest[0]}?" if nearest else f"the keys of {here} are: {', '.join(known)}"
            problems.append(Problem(code="unknown-setting", file=path, where=f"{prefix}{key}",
                                    message=f"'{key}' is not a setting", hint=hint))
            continue
        if isinstance(inner, dict) and isinstance(value, dict):
            problems.extend(unknown_keys(path, value, inner, f"{prefix}{key}."))
    return problems


def load(path: str, fallbacks: bool = False) -> tuple[models.Settings | None, list[Problem]]:
    """Read the settings file; return Settings (None if unusable) and every problem found. With
    ``fallbacks``, settings with problems are returned too, each bad value at its default (None
    only without a price year), for checking further what they name (``pipeline.load``), never
    for a run."""
    data, refused = input_files.read_toml(path, input_files.SETTINGS)
    if data is None:
        return None, [refused]
    folder = os.path.dirname(path)
    problems: list[Problem] = (unknown_keys(path, data) + _long_texts(path, data)
                               + spreadsheet_text.problems_in(data, path))

    def problem(code: str, where: str, message: str, hint: str) -> None:
        problems.append(Problem(code=code, file=path, where=where, message=message, hint=hint))

    def relative(value: str) -> str:
        return os.path.normpath(os.path.join(folder, with_separators(value)))

    cases_folder = data.get("cases")
    if not isinstance(cases_folder, str) or not cases_folder.strip():
        problem(*_missing_or_bad("cases", cases_folder, "the cases folder", "a folder's path, in quotes"),
                'e.g. cases = "cases"')
        cases_folder = "cases"
    unit_cost_files = data.get("unit_costs")
    if (not isinstance(unit_cost_files, list) or not unit_cost_files
            or not all(isinstance(item, str) and item.strip() for item in unit_cost_files)):
        problem(*_missing_or_bad("unit_costs", unit_cost_files, "the list of unit cost files",
                                 "a list of file paths, each in quotes"),
                'e.g. unit_costs = ["unit_costs/gmca-ucd-v1.4.csv"]')
        unit_cost_files = []

    crosswalk = data.get("crosswalk", "")
    if not isinstance(crosswalk, str):
        problem("bad-field", "crosswalk", "the crosswalk must be a file's path, in quotes",
                'e.g. crosswalk = "unit_costs/v14-to-v3.csv" (old_code,new_code[,note])')
        crosswalk = ""

    uprating = data.get("uprating", {})
    if not isinstance(uprating, dict):
        problem("bad-field", "uprating", "uprating must be a table", "write it as [uprating] with price_year and deflators")
        uprating = {}
    price_year = None
    if "price_year" not in uprating:
        problem("missing-field", "uprating.price_year", "no price year given", 'e.g. price_year = "2022/23"')
    else:
        try:
            price_year = models.FinancialYear.parse(str(uprating["price_year"]))
        except ValueError:
            problem("bad-price-year", "uprating.price_year",
                    f"'{uprating['price_year']}' is not a price year", 'e.g. price_year = "2022/23"')
    deflator_file = uprating.get("deflators")
    if not isinstance(deflator_file, str) or not deflator_file.strip():
        problem(*_missing_or_bad("uprating.deflators", deflator_file, "the deflator file", "a file's path, in quotes"),
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
    seen_services: dict[str, str] = {}
    for name, table in service_tables.items():
        if name.casefold() in seen_services:
            problem("duplicate-service", f"services.{name}",
                    f"the service {name} is also defined as [services.{seen_services[name.casefold()]}]",
                    "service names differ by more than capitals (cases find theirs whatever the capitals); "
                    "define each service once")
            continue
        seen_services[name.casefold()] = name
        service = _parse_service(name, table, problem)
        if service is not None:
            services.append(service)

    green_book, assumption_problems = assumptions.parse(data.get("assumptions", {}), path)
    green_book, sensitivity_problems = assumptions.parse_sensitivity(data.get("sensitivity"), path, green_book)
    problems += assumption_problems + sensitivity_problems
    suppression = _parse_suppression(data.get("publish", {}), problem)
    record_user = _parse_record_user(data.get("history", {}), problem)
    line_ceiling = _parse_line_ceiling(data.get("checks", {}), problem)
    marking, published_marking = _parse_markings(data.get("workbook", {}), problem)
    resampling = _parse_resampling(data.get("uncertainty", {}), problem)

    if price_year is None or problems and not fallbacks:
        return None, problems
    return models.Settings(
        file=path,
        price_year=price_year,
        unit_cost_files=tuple(relative(item) for item in unit_cost_files),
        crosswalk_file=relative(crosswalk) if crosswalk.strip() else "",
        deflator_file=relative(deflator_file),
        deflator_series=series,
        cases_folder=relative(cases_folder),
        services=tuple(services),
        assumptions=green_book,
        suppression=suppression,
        record_user=record_user,
        line_ceiling=line_ceiling,
        marking=marking,
        published_marking=published_marking,
        resampling=resampling,
    ), problems


def with_separators(path: str) -> str:
    """A path from the settings file with this system's folder separator: written on Windows as
    'cases\\bcp' or on Linux as 'cases/bcp', it names the same folder on either (no file name the
    tool reads holds a backslash)."""
    return path.replace("\\", "/").replace("/", os.sep)


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
    seen_localities: set[str] = set()
    for locality in localities:
        if locality.casefold() in seen_localities:
            problem("duplicate-locality", f"{where}.localities", f"the locality {locality} is listed twice",
                    "list each locality of the service once")
        seen_localities.add(locality.casefold())
    pattern = table.get("reference_pattern")
    if not pattern:  # required: it is what keeps names out of the references (and so the file names)
        problem("missing-field", f"{where}.reference_pattern", "no reference pattern given",
                f'give the shape of {name}\'s pseudonymised references, e.g. reference_pattern = '
                f'"{name[:3].upper()}-\\\\d{{4}}"')
        pattern = ""
    else:
        try:
            re.compile(pattern)
        except (re.error, TypeError):
            problem("bad-field", f"{where}.reference_pattern", "not a valid regular expression",
                    'e.g. reference_pattern = "BCP-\\\\d{4}"')
            pattern = ""
        else:
            if _repeats_a_repeat(pattern):
                problem("bad-field", f"{where}.reference_pattern",
                        "the pattern repeats a part that itself varies in length, e.g. (\\d+)+: checking a "
                        "reference against it can take for ever",
                        'repeat each part once, e.g. reference_pattern = "BCP-\\\\d{4}" or "BCP-\\\\d+"')
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
            if not value.is_finite() or not 0 < value <= MAXIMUM_SPEND or value != value.to_integral_value():
                raise decimal.InvalidOperation
        except (decimal.InvalidOperation, ValueError):
            problem("bad-number", f"{where}.spend.\"{year_text}\"", f"'{shown(amount)}' is not an amount of money",
                    f"write whole pounds as a positive number up to {MAXIMUM_SPEND:,}, e.g. 90000")
            continue
        spend[year] = value
    return models.ServiceSettings(name=name, localities=tuple(localities), reference_pattern=pattern, spend=spend)


def _parse_suppression(table: object, problem) -> str:
    """The small-number rule of published workbooks ([publish] suppression), one of
    disclosure.RULES; "1-4" when not given."""
    if not isinstance(table, dict):
        problem("bad-field", "publish", "publish must be a table", 'write it as [publish] with suppression = "1-4"')
        return disclosure.DEFAULT_RULE
    name = table.get("suppression", disclosure.DEFAULT_RULE)
    if not isinstance(name, str) or name not in disclosure.RULES:  # (a list or table cannot be looked up)
        problem("bad-field", "publish.suppression", f"'{shown(name)}' is not a suppression rule",
                "use one of: " + ", ".join(f'"{known}"' for known in disclosure.RULES))
        return disclosure.DEFAULT_RULE
    return name


def _parse_record_user(table: object, problem) -> bool:
    """Whether a case's history names the operating-system user who made each change
    ([history] record_user); off unless set."""
    if not isinstance(table, dict):
        problem("bad-field", "history", "history must be a table", "write it as [history] with record_user = true")
        return False
    value = table.get("record_user", False)
    if not isinstance(value, bool):
        problem("bad-field", "history.record_user", f"'{shown(value)}' is not true or false",
                "write record_user = true to record who made each change, or leave it out")
        return False
    return value


def _parse_line_ceiling(table: object, problem) -> Decimal:
    """The most one outcome line plausibly saves ([checks] line_ceiling, whole pounds); a line
    worth more needs an acknowledgement (``plausibility``)."""
    default = models.Settings.model_fields["line_ceiling"].default
    if not isinstance(table, dict):
        problem("bad-field", "checks", "checks must be a table", "write it as [checks] with line_ceiling = 250000")
        return default
    value = table.get("line_ceiling", default)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not 0 < value <= MAXIMUM_SPEND:
        problem("bad-number", "checks.line_ceiling", f"'{shown(value)}' is not an amount of money",
                f"write whole pounds as a positive number up to {MAXIMUM_SPEND:,}, e.g. line_ceiling = 250000")
        return default
    return Decimal(value)


RESAMPLES_LIMIT = 100_000
"""Most resamples a report draws: beyond it the interval moves by less than a pound in a
thousand, and the report only takes longer."""


def _parse_resampling(table: object, problem) -> models.Resampling:
    """How the year's intervals are resampled ([uncertainty] level, resamples, seed, small_cohort)."""
    default = models.Resampling()
    if not isinstance(table, dict):
        problem("bad-field", "uncertainty", "uncertainty must be a table",
                "write it as [uncertainty] with level = 0.9, resamples = 2000, seed = 1")
        return default
    level = table.get("level", default.level)
    if isinstance(level, bool) or not isinstance(level, (int, float, Decimal)) or not 0 < level < 1:
        problem("bad-number", "uncertainty.level", f"'{shown(level)}' is not a level between 0 and 1",
                "write the interval's level as a fraction, e.g. level = 0.9 for a 90% interval")
        level = default.level
    counts = {}
    for key, lowest, highest, example in (("resamples", 100, RESAMPLES_LIMIT, 2000), ("seed", 0, 2 ** 63, 1),
                                          ("small_cohort", 1, 100_000, 30)):
        value = table.get(key, getattr(default, key))
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            problem("bad-number", f"uncertainty.{key}", f"'{shown(value)}' is not a whole number from {lowest:,} "
                    f"to {highest:,}", f"write e.g. {key} = {example}")
            value = getattr(default, key)
        counts[key] = value
    vary = table.get("vary_assumptions", False)
    if not isinstance(vary, bool):
        problem("bad-field", "uncertainty.vary_assumptions", f"'{shown(vary)}' is not true or false",
                "write vary_assumptions = true to draw the Green Book assumptions over their [sensitivity] ranges too")
        vary = False
    return models.Resampling(level=Decimal(str(level)), vary_assumptions=vary, **counts)


MARKING_LIMIT = 60
"""Longest protective marking: it heads every printed page."""


def _parse_markings(table: object, problem) -> tuple[str, str]:
    """The protective markings printed atop every page of the analyst's workbook and of a
    published one ([workbook] marking, published_marking)."""
    fields = models.Settings.model_fields
    defaults = fields["marking"].default, fields["published_marking"].default
    if not isinstance(table, dict):
        problem("bad-field", "workbook", "workbook must be a table",
                'write it as [workbook] with marking = "OFFICIAL-SENSITIVE"')
        return defaults
    markings = []
    for key, default in zip(("marking", "published_marking"), defaults):
        value = table.get(key, default)
        if not isinstance(value, str) or not value.strip() or len(value) > MARKING_LIMIT or \
                spreadsheet_text.plain_text(value) != value or "\n" in value:
            problem("bad-field", f"workbook.{key}", f"'{shown(value)}' is not a protective marking",
                    f'write one line of up to {MARKING_LIMIT} characters, e.g. {key} = "{default}"')
            value = default
        markings.append(value.strip())
    return markings[0], markings[1]


def _long_texts(path: str, data: object, where: str = "") -> list[Problem]:
    """A ``text-too-long`` problem for every text (or table name) in ``data`` over TEXT_LIMIT."""
    problems = []
    items = data.items() if isinstance(data, dict) else enumerate(data, start=1) if isinstance(data, list) else []
    for key, value in items:
        place = (f"{where}.{key}" if where else key) if isinstance(key, str) else f"{where}[{key}]"
        if isinstance(key, str) and len(key) > TEXT_LIMIT or isinstance(value, str) and len(value) > TEXT_LIMIT:
            problems.append(Problem(code="text-too-long", file=path, where=shown(place),
                                    message=f"more than {TEXT_LIMIT:,} characters",
                                    hint="a setting is a name, a path or a short note"))
        else:
            problems.extend(_long_texts(path, value, place))
    return problems


def _missing_or_bad(where: str, value: object, what: str, shape: str) -> tuple[str, str, str]:
    """(code, where, message) for a required path setting that is absent, or present but empty
    or of another kind (a table, a date, a number...)."""
    if value is None:
        return "missing-field", where, f"no {what.removeprefix('the ')} given"
    if isinstance(value, str) and value.strip():
        kind = "one path, not in a list's [ ]"  # (only a list setting is refused with a path)
    elif isinstance(value, str) or value == []:
        kind = "empty"
    elif isinstance(value, list):
        kind = "a list holding something other than a path" if shape.startswith("a list") else "a list"
    else:
        kind = kind_of(value)
    return "bad-field", where, f"{what} must be {shape}; here it is {kind}"


def _repeats_a_repeat(pattern: str) -> bool:
    """Whether ``pattern`` repeats, without a small bound, a part whose own length varies (a
    repeat or a choice inside a repeat, as in (\\d+)+ or (a|ab)*): a regular expression
    engine can take exponential time to find that a reference does not match such a pattern."""
    try:
        parsed = re._parser.parse(pattern)  # (the standard library's own parse tree)
    except Exception:  # noqa: BLE001 - compiled already; a parser the tool cannot read is no reason to refuse
        return False

    def varies(items) -> bool:
        for op, value in items:
            if op in (re._constants.MAX_REPEAT, re._constants.MIN_REPEAT,
                      getattr(re._constants, "POSSESSIVE_REPEAT", None)):
                low, high, inner = value
                if low != high or varies(inner):
                    return True
            elif op is re._constants.BRANCH:
                return True
            elif op is re._constants.SUBPATTERN and varies(value[-1]):
                return True
        return False

    def repeats(items) -> bool:
        for op, value in items:
            if op in (re._constants.MAX_REPEAT, re._constants.MIN_REPEAT):
                low, high, inner = value
                if high > 10 and varies(inner) or repeats(inner):
                    return True
            elif op is re._constants.BRANCH and any(repeats(branch) for branch in value[1]):
                return True
            elif op is re._constants.SUBPATTERN and repeats(value[-1]):
                return True
            elif op in (re._constants.ASSERT, re._constants.ASSERT_NOT) and repeats(value[1]):
                return True
        return False

    return repeats(parsed)
