"""The crosswalk from an older edition's cost codes to a newer one's, so that cases entered
against GMCA v1.4 codes value with the newer edition a council has moved to.

A CSV with a header row ``old_code,new_code`` and an optional ``note``, named in the settings::

    crosswalk = "unit_costs/v14-to-v3.csv"

A case's code the crosswalk maps finds the cost of its new code (``CrosswalkedCosts``); the cost
keeps its own code, so the outcome line shows both (``CR1.0 -> CR1.1``). The case files are never
changed. Each old code is mapped once; a new code is never mapped on again (a chain, or a cycle);
every new code is a code of the unit cost tables; and an old code is not also a code of those
tables (a case's code would then have two meanings), unless it maps to itself. Codes that differ
only in capitals are one code here, as they are to the unit cost tables. A per-code setting
(``[assumptions.deadweight] codes`` and the like) written for an old code applies to its new
code (``settings_through``). While the crosswalk cannot be used, the codes of the cases and
settings are not checked against the tables (``codes_unchecked``): they would look unknown.
"""

from __future__ import annotations

import csv
import io

import pydantic

from up2u_cba import models
from up2u_cba.inputs import csv_rows, input_files, unit_costs
from up2u_cba.problems import Problem

COLUMNS = ("old_code", "new_code", "note")
REQUIRED_COLUMNS = ("old_code", "new_code")


class Mapping(pydantic.BaseModel):
    """One row of the crosswalk."""

    model_config = pydantic.ConfigDict(frozen=True)

    old: str
    """The code as cases were entered (the older edition's)."""
    new: str
    """The code of the newer edition that values it."""
    note: str = ""
    line: int
    """Row of the CSV, the header being row 1."""


class CrosswalkedCosts(dict):
    """The unit costs by code, where a code the crosswalk maps finds the cost of its new code.
    Iterating, ``len`` and ``keys`` give the tables' own codes only: the crosswalk adds no cost."""

    def __init__(self, costs: dict[str, models.UnitCost], mapped: dict[str, str]):
        super().__init__(costs)
        self.mapped = dict(mapped)
        """Old code -> new code."""

    def __getitem__(self, code: str) -> models.UnitCost:
        return super().__getitem__(self.mapped.get(code, code))

    def get(self, code, default=None):
        return super().get(self.mapped.get(code, code), default)

    def __contains__(self, code) -> bool:
        return super().__contains__(self.mapped.get(code, code))


def apply(path: str, costs: dict[str, models.UnitCost]) -> tuple[dict[str, models.UnitCost], list[Problem]]:
    """The costs looked up through the crosswalk at ``path``, and every problem with it (the
    costs as they were when it has any)."""
    mappings, problems = load(path)
    problems += check(path, mappings, costs)
    if problems:
        return costs, problems
    return CrosswalkedCosts(costs, {mapping.old: mapping.new for mapping in mappings if mapping.old != mapping.new}), []


def load(path: str) -> tuple[list[Mapping], list[Problem]]:
    """The crosswalk's rows, and the problems of the file itself (columns, blanks, a code
    mapped twice, a chain or cycle)."""
    text, refused = input_files.read_text(path, input_files.CROSSWALK)
    if text is None:
        return [], [refused]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        return [], [Problem(code="missing-column", file=path, where="header",
                            message=f"no column named {', '.join(missing)}",
                            hint=csv_rows.separator_hint(header, "the header row is old_code,new_code,note"))]
    mappings: list[Mapping] = []
    problems: list[Problem] = []
    try:
        for line, raw in enumerate(reader, start=2):
            record, extra = csv_rows.clean(raw, path, line, "write old_code,new_code and a note in quotes")
            if extra:
                problems.append(extra)
                continue
            mapping, problem = _mapping(path, line, record)
            if problem:
                problems.append(problem)
            elif mapping:
                mappings.append(mapping)
    except csv.Error as error:
        return [], [Problem(code="unreadable-file", file=path, message=f"cannot read the file as CSV: {error}",
                            hint="save it as UTF-8 CSV")]
    return mappings, problems + _twice_or_chained(path, mappings)


def _mapping(path: str, line: int, record: dict[str, str]) -> tuple[Mapping | None, Problem | None]:
    old, new = record.get("old_code", ""), record.get("new_code", "")
    if not old and not new:
        return None, None  # a blank row
    for field, code in (("old_code", old), ("new_code", new)):
        if not unit_costs.CODE_PATTERN.fullmatch(code):
            return None, Problem(code="bad-code" if code else "missing-field", file=path, where=f"row {line}: {field}",
                                 message=f"'{code}' is not a cost code" if code else f"the {field} is blank",
                                 hint="each row maps one code to one code, e.g. CR1.0,CR1.1")
    return Mapping(old=old, new=new, note=record.get("note", ""), line=line), None


def _twice_or_chained(path: str, mappings: list[Mapping]) -> list[Problem]:
    """A code mapped on a second row; a new code that is mapped again (a chain, or a cycle)."""
    problems = []
    first: dict[str, Mapping] = {}  # by the old code's capitals: CR2.0 and cr2.0 are one code
    for mapping in mappings:
        earlier = first.get(mapping.old.upper())
        if earlier is not None:
            spelled = "" if earlier.old == mapping.old else f", as {earlier.old}"
            problems.append(Problem(code="crosswalk-duplicate", file=path, where=f"row {mapping.line}: old_code",
                                    message=f"{mapping.old} is mapped twice (also on row {earlier.line}{spelled})",
                                    hint="map each old code to one new code"))
            continue
        first[mapping.old.upper()] = mapping
    first = {mapping.old: mapping for mapping in first.values()}
    for mapping in first.values():
        onward = first.get(mapping.new)
        if onward is not None and mapping.old != mapping.new and onward.old != onward.new:
            looped = onward.new == mapping.old
            problems.append(Problem(
                code="crosswalk-chain", file=path, where=f"row {mapping.line}: new_code",
                message=f"{mapping.old} -> {mapping.new}, and row {onward.line} maps {mapping.new} -> {onward.new}"
                        + (": a cycle" if looped else ": a chain"),
                hint=f"map {mapping.old} straight to the code of the new edition"
                     + ("" if looped else f" (e.g. {mapping.old},{onward.new})")))
    return problems


def check(path: str, mappings: list[Mapping], costs: dict[str, models.UnitCost]) -> list[Problem]:
    """Every new code a code of the unit cost tables; no old code one of them (unless it maps
    to itself), capitals ignored as the unit cost tables ignore them."""
    problems = []
    by_upper = {code.upper(): code for code in costs}
    for mapping in mappings:
        if mapping.new not in costs:
            nearest = unit_costs.nearest_codes(mapping.new, costs)
            problems.append(Problem(
                code="unknown-cost-code", file=path, where=f"row {mapping.line}: new_code",
                message=f"{mapping.old} is mapped to {mapping.new}, which is not a code in the unit cost files",
                hint=f"did you mean {' or '.join(nearest)}?" if nearest else "map it to a code of the new edition"))
        in_table = by_upper.get(mapping.old.upper())
        if in_table is not None and mapping.old != mapping.new:
            spelled = "" if in_table == mapping.old else f" (as {in_table}: capitals do not tell codes apart)"
            problems.append(Problem(
                code="crosswalk-code-in-table", file=path, where=f"row {mapping.line}: old_code",
                message=f"{mapping.old} is a code of the unit cost files too{spelled}, so a case's {mapping.old} "
                        "would have two meanings",
                hint="a crosswalk maps codes the new edition no longer has; enter such cases with the new code"))
    return problems


def codes_unchecked(path: str, problems: list[Problem]) -> list[Problem]:
    """``problems`` (those of the cases and settings, found while the crosswalk at ``path`` could
    not be used) without the codes looked unknown for want of it (``unknown-cost-code``): one
    problem says instead that they were not checked, so that no case file is changed for them."""
    unknown = [problem for problem in problems if problem.code == "unknown-cost-code"]
    if not unknown:
        return problems
    places = sorted({problem.file for problem in unknown})
    return [problem for problem in problems if problem.code != "unknown-cost-code"] + [Problem(
        code="codes-not-checked", file=path,
        message=f"the codes the cases and settings name were not checked against the unit cost files, as this "
                f"crosswalk cannot be used (without it, {len(unknown)} look unknown, in "
                f"{len(places)} {'file' if len(places) == 1 else 'files'})",
        hint="correct the crosswalk's problems and run validate again; the case files need no change for them")]


PER_CODE = (("deadweight", "codes"), ("attribution", "codes"), ("drop_off", "codes"), ("duration", "codes"),
            ("transfers", "codes"), ("transfers", "not_codes"))
"""The settings keyed by unit cost code (``[assumptions.NAME] KEY``): a setting for a code the
crosswalk maps applies to its new code."""


def settings_through(loaded: models.Settings, costs: dict[str, models.UnitCost]) -> tuple[models.Settings, list[Problem]]:
    """The settings with each per-code assumption (``PER_CODE``) set for an old code the
    crosswalk maps moved to the new code, as a case's line of the old code is valued with the
    new one's cost; a warning (``crosswalk-setting-mapped``) for each, saying to write the new
    code. An old and its new code set differently, or a code thus both a transfer and not one,
    is refused (``crosswalk-setting-conflict``), naming the settings' key. The settings record
    each key they wrote for an old code (``Settings.moved_keys``), for problems to name it."""
    mapped = getattr(costs, "mapped", {})
    if not mapped:
        return loaded, []
    green_book = loaded.assumptions
    problems: list[Problem] = []
    found, written = {}, {}
    for name, key in PER_CODE:
        given = _per_code(green_book, name, key)
        found[(name, key)], written[f"{name}.{key}"] = _moved(loaded, name, key, given, mapped, problems)
    update = {name: getattr(green_book, name).model_copy(update={"codes": found[(name, "codes")]})
              for name in ("deadweight", "attribution", "drop_off")}
    update["duration"] = found[("duration", "codes")]
    update["transfers"] = frozenset(found[("transfers", "codes")])
    update["not_transfers"] = frozenset(found[("transfers", "not_codes")])
    for code in sorted(update["transfers"] & update["not_transfers"]):
        for old in sorted(old for old, new in mapped.items() if new == code):
            key = "codes" if old in green_book.transfers else "not_codes" if old in green_book.not_transfers else ""
            if key:
                problems.append(Problem(
                    code="crosswalk-setting-conflict", file=loaded.file, where=f'assumptions.transfers.{key}."{old}"',
                    message=f"the crosswalk {loaded.crosswalk_file} maps {old} to {code}, so [assumptions.transfers] "
                            f"names {code} both in codes and in not_codes",
                    hint=f'name "{code}" in codes or in not_codes, not both'))
    if any(not problem.warning for problem in problems):
        return loaded, problems
    moved_keys = {setting: keys for setting, keys in written.items() if keys}
    return loaded.model_copy(update={"assumptions": green_book.model_copy(update=update),
                                     "moved_keys": moved_keys}), problems


def _per_code(green_book, name: str, key: str) -> dict:
    """A per-code setting as {code: value} (a listed transfer's value is True)."""
    if name == "transfers":
        return dict.fromkeys(green_book.transfers if key == "codes" else green_book.not_transfers, True)
    if name == "duration":
        return dict(green_book.duration)
    return dict(getattr(green_book, name).codes)


def _moved(loaded: models.Settings, name: str, key: str, given: dict, mapped: dict[str, str],
           problems: list[Problem]) -> tuple[dict, dict[str, str]]:
    """``given`` with each old code's setting under its new code, and each new code thus set ->
    the key as the settings wrote it; a problem for each moved."""
    result = {code: value for code, value in given.items() if code not in mapped}
    written = {code: code for code in result}
    for old, value in given.items():
        if old not in mapped:
            continue
        new, where = mapped[old], f'assumptions.{name}.{key}."{old}"'
        if new in result and result[new] != value:
            problems.append(Problem(
                code="crosswalk-setting-conflict", file=loaded.file, where=where,
                message=f"the crosswalk {loaded.crosswalk_file} maps {old} to {new}, and [assumptions.{name}] {key} "
                        f"sets both, differently ({_as_written(given, written[new], old, new)})",
                hint=f'keep one value, for "{new}"'))
            continue
        result[new] = value
        written.setdefault(new, old)
        problems.append(Problem(
            code="crosswalk-setting-mapped", file=loaded.file, where=where, warning=True,
            message=f"the crosswalk {loaded.crosswalk_file} maps {old} to {new}, so this setting applies to {new}",
            hint=f'write "{new}" in place of "{old}"'))
    return result, {new: code for new, code in written.items() if code != new}


def _as_written(given: dict, one: str, other: str, new: str) -> str:
    """Two keys that set one new code differently, as the settings wrote them and in their order:
    ``HE1.0 0.5, HE30.0 0.2``, or ``CR2.0 0.2, CRX2.0 0.3, both mapped to CR20.0``."""
    keys = sorted((one, other), key=list(given).index)
    text = ", ".join(f"{code} {_shown(given[code])}" for code in keys)
    return text if new in keys else f"{text}, both mapped to {new}"


def _shown(value) -> str:
    return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)


def mapped_text(outcome_code: str, cost: models.UnitCost) -> str:
    """``" (CR1.0 -> CR1.1)"`` when a case's code was valued through the crosswalk, else ``""``."""
    return f" ({outcome_code} -> {cost.code})" if outcome_code != cost.code else ""
