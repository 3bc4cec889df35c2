"""The unit cost tables: GMCA-style CSV files, layered national first, local after.

One row per cost, these columns (a header row names them; order does not matter):

    code, theme, category, outcome_detail, description, unit, agency_1, agency_2,
    fiscal_value, fiscal_price_year, economic_value, economic_price_year,
    social_value, social_price_year, source, rag, comment, parent, overrides, not_with, transfer

A value and its price year go together: both or neither. ``overrides`` is ``yes`` on a row of a
later file that deliberately replaces a code defined by an earlier one; a code defined twice
without it is an error. ``not_with`` (optional, like ``overrides``) names the costs this one must
not be counted with on the same case, each with the reason, as a council types it in Excel::

    CR2.0: derived from CR2.0; HE1.0, HE1.1: the same alcohol treatment

A named code stands for itself and its constituents; one side declaring a pair is enough.
``transfer`` (optional) is ``yes`` where the row's fiscal value is a transfer payment
(benefits paid, tax received: the GMCA comments say which), kept out of public value; blank or
``no`` where it is not. ``edition`` (optional) is the database edition the row comes from, as
``costs import`` writes it (``v1.4 (March 2015)``): every report names the editions it used.
"""

from __future__ import annotations

import csv
import decimal
import difflib
import io
import os
import re
import unicodedata
from decimal import Decimal

from up2u_cba import models, storage
from up2u_cba.inputs import csv_rows, input_files
from up2u_cba.outputs import spreadsheet_text
from up2u_cba.problems import Problem, shown

COLUMNS = (
    "code",
    "theme",
    "category",
    "outcome_detail",
    "description",
    "unit",
    "agency_1",
    "agency_2",
    "fiscal_value",
    "fiscal_price_year",
    "economic_value",
    "economic_price_year",
    "social_value",
    "social_price_year",
    "source",
    "rag",
    "comment",
    "parent",
    "overrides",
    "not_with",
    "transfer",
)
REQUIRED_COLUMNS = ("code", "description", "fiscal_value", "fiscal_price_year")
VALUE_TYPES = ("fiscal", "economic", "social")
MAXIMUM_VALUE = Decimal(10) ** 9
"""No unit cost is a billion pounds; a bigger figure is a typing slip (or 1e999999999)."""
MAX_DECIMALS = 20
"""GMCA's computed values carry up to 15 decimal places; 1e-999999 is not a price."""
RAG_RATINGS = ("G", "A", "R", "")
TRANSFER_MARKS = {"yes": True, "no": False, "": False}
"""What the ``transfer`` column may hold (any capitals)."""
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.&_-]*")
"""What a code named in ``not_with`` looks like (``CR2.0``, ``E&S1.0``, ``BCP-CR1``): never a
formula (``=...``), never two codes run together."""
TEXT_LIMIT = 10_000
"""Longest text in any cell: GMCA's longest comment is a few hundred characters, and a
workbook cell holds at most 32,767."""


def load(paths: list[str]) -> tuple[dict[str, models.UnitCost], list[Problem]]:
    """Read and layer unit cost files; return costs by code and every problem found."""
    costs: dict[str, models.UnitCost] = {}
    problems: list[Problem] = []
    read: set[str] = set()
    declared_at: dict[str, str] = {}  # where each cost's not_with is, for its problems
    by_upper: dict[str, str] = {}  # each code by its capitals, to find one spelled with others
    for path in paths:
        if os.path.realpath(path) in read:  # else every one of its codes would be "already defined"
            problems.append(Problem(code="duplicate-file", file=path, where="unit_costs",
                                    message="this unit cost file is listed twice",
                                    hint="list each file once, in the settings' unit_costs or with --unit-costs"))
            continue
        read.add(os.path.realpath(path))
        rows, file_problems = _read_file(path)
        problems.extend(file_problems)
        for line, cost, overrides, _ in rows:
            spelled = by_upper.get(cost.code.upper(), cost.code)
            if spelled != cost.code:
                problems.append(Problem(
                    code="duplicate-cost-code", file=path, where=f"row {line}: code",
                    message=f"cost code {cost.code} is {spelled}, already defined in {costs[spelled].origin}, "
                            "spelled with other capitals",
                    hint=f"give the local cost its own code, or spell it {spelled} and set overrides = yes to "
                         "replace the earlier one"))
                continue
            by_upper[cost.code.upper()] = cost.code
            if cost.code in costs and not overrides:
                problems.append(Problem(
                    code="duplicate-cost-code", file=path, where=f"row {line}: code",
                    message=f"cost code {cost.code} is already defined in {costs[cost.code].origin}",
                    hint="give the local cost its own code, or set overrides = yes to replace the earlier one",
                ))
                continue
            if overrides and cost.code not in costs:
                problems.append(Problem(
                    code="override-of-nothing", file=path, where=f"row {line}: overrides",
                    message=f"cost code {cost.code} says it overrides, but no earlier file defines it",
                    hint="leave overrides blank for a new code",
                ))
            costs[cost.code] = cost
            declared_at[cost.code] = f"row {line}: not_with"
    problems.extend(_check_parents(costs))
    costs, exclusion_problems = _check_exclusions(costs, declared_at)
    return _one_spelling(costs), problems + exclusion_problems


def _one_spelling(costs: dict[str, models.UnitCost]) -> dict[str, models.UnitCost]:
    """Agencies, themes and categories spelled with other capitals ("Local authority") take the
    first spelling met, so that breakdowns, and the workbook's case-blind name matching, count them once."""
    first: dict[tuple[str, str], str] = {}
    fields = ("agency_1", "agency_2", "theme", "category")
    for cost in costs.values():
        for field in fields:
            first.setdefault((field, getattr(cost, field).lower()), getattr(cost, field))
    return {
        code: cost.model_copy(update={field: first[(field, getattr(cost, field).lower())] for field in fields})
        for code, cost in costs.items()
    }


def read_as_written(path: str, kind: input_files.Kind = input_files.UNIT_COSTS,
                    ) -> tuple[dict[str, tuple[models.UnitCost, dict[str, str]]], list[Problem]]:
    """One table's rows by code, each as a cost and as written (its cells' text), checked row by
    row only: the codes its ``parent`` and ``not_with`` name need not be in the file (``costs
    diff`` compares tables as written, and a local table names GMCA codes). ``kind`` says where
    the path came from (``costs diff``: the command line), for the hint when it is not there."""
    rows, problems = _read_file(path, kind)
    return {cost.code: (cost, record) for _, cost, _, record in rows}, problems


_Row = tuple[int, models.UnitCost, bool, dict[str, str]]
"""A row read: its line, the cost, whether it overrides an earlier file's, and its cells as written."""


def overrides(record: dict[str, str]) -> bool:
    """Whether a row's ``overrides`` cell marks it as replacing an earlier file's cost."""
    return record.get("overrides", "").lower() in ("yes", "true", "1")


def _read_file(path: str, kind: input_files.Kind = input_files.UNIT_COSTS) -> tuple[list[_Row], list[Problem]]:
    text, refused = input_files.read_text(path, kind)
    if text is None:
        return [], [refused]
    try:
        return _read_rows(path, text)
    except csv.Error as error:  # a cell beyond the csv module's field limit, an unclosed quote...
        return [], [Problem(code="unreadable-file", file=path, message=f"cannot read the file as CSV: {error}",
                            hint=f"save it as UTF-8 CSV; no cell holds more than {TEXT_LIMIT:,} characters")]


def _read_rows(path: str, text: str) -> tuple[list[_Row], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)  # (strict: an unclosed quote is an error)
    header = [name.strip() for name in (reader.fieldnames or [])]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        return [], [Problem(code="duplicate-column", file=path, where="header",
                            message=f"the column {', '.join(repeated)} appears more than once",
                            hint="each column once; the header names: " + ", ".join(COLUMNS))]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        return [], [Problem(code="missing-column", file=path, where="header",
                            message=f"no column named {', '.join(missing)}",
                            hint=csv_rows.separator_hint(
                                header, f"the header row names these columns: {', '.join(COLUMNS)}"))]
    rows: list[_Row] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[int, str]] = {}  # by the code in capitals: its row and spelling
    refused_characters = bool(spreadsheet_text.control_characters(text))  # rows are searched only if the file has any
    line = 1
    try:
        for line, raw in enumerate(reader, start=2):
            record, extra = csv_rows.clean(raw, path, line, 'quote text that contains commas, e.g. "Police, courts"')
            if extra:
                problems.append(extra)
                continue
            if refused_characters:
                problems.extend(spreadsheet_text.row_problems(record, path, f"row {line}"))
            cost, row_problems = _parse_row(path, line, record)
            problems.extend(row_problems)
            if cost is None:
                continue
            if cost.code.upper() in seen:
                first, spelled = seen[cost.code.upper()]
                problems.append(Problem(
                    code="duplicate-cost-code", file=path, where=f"row {line}: code",
                    message=f"cost code {cost.code} is defined twice in this file (also row {first}"
                            + (f", as {spelled}: codes differ only in capitals" if spelled != cost.code else "") + ")",
                    hint="each code once per file (CR1.0 and cr1.0 are one code)",
                ))
                continue
            seen[cost.code.upper()] = (line, cost.code)
            rows.append((line, cost, overrides(record), record))
    except csv.Error as error:  # in the row after the last one read
        if "field limit" in str(error):
            raise  # said for the file as a whole (see _read_file)
        unclosed = "end of data" in str(error)  # a cell opened with a quote took in every line after it
        return [], [Problem(code="unreadable-file", file=path, where=f"row {line + 1}",
                            message='a quote (") opens a cell and is never closed' if unclosed
                            else f"cannot read the row as CSV: {error}",
                            hint='a cell that starts with " ends with " just before the next comma; '
                                 'a " inside it is written ""')]
    return rows, problems


def _parse_row(path: str, line: int, record: dict[str, str]) -> tuple[models.UnitCost | None, list[Problem]]:
    problems: list[Problem] = []

    def problem(code: str, field: str, message: str, hint: str) -> None:
        problems.append(Problem(code=code, file=path, where=f"row {line}: {field}", message=message, hint=hint))

    for field, text in record.items():
        if len(text) > TEXT_LIMIT:
            problem("text-too-long", field, f"the {field} is {len(text):,} characters long",
                    f"keep each cell under {TEXT_LIMIT:,} characters")
    if problems:
        return None, problems
    code = record.get("code", "")
    if not code:
        problem("missing-field", "code", "the cost code is blank", "every row needs a code, e.g. CR2.0")
    hidden = invisible_characters(code)
    if hidden:
        problem("bad-cost-code", "code", f"the cost code '{shown(code)}' holds invisible characters ({hidden}): "
                "it would be a code of its own, not the one it shows",
                "type the code again without them (costs import takes them out of a workbook's code cells)")
    if not record.get("description"):
        problem("missing-field", "description", "the description is blank", "say what the cost is")
    values: dict[str, models.CostValue | None] = {}
    for kind in VALUE_TYPES:
        amount_text = record.get(f"{kind}_value", "")
        year_text = record.get(f"{kind}_price_year", "")
        values[kind] = None
        if not amount_text and not year_text:
            continue
        amount = None
        try:
            amount = Decimal(amount_text.replace(",", "").replace("£", ""))
            if not amount.is_finite() or amount < 0 or amount > MAXIMUM_VALUE:
                raise decimal.InvalidOperation
            if amount.normalize().as_tuple().exponent < -MAX_DECIMALS:
                raise decimal.InvalidOperation
            amount = abs(amount)  # -0 is 0
        except decimal.InvalidOperation:
            amount = None
            problem("bad-number", f"{kind}_value", f"'{shown(amount_text)}' is not an amount of money",
                    f"write pounds as a plain number up to {MAXIMUM_VALUE:,} with at most {MAX_DECIMALS} decimal "
                    "places, e.g. 2470 or 1171.50")
        year = None
        try:
            year = models.FinancialYear.parse(year_text)
        except ValueError:
            problem("bad-price-year", f"{kind}_price_year",
                    f"'{year_text}' is not a price year" if year_text else f"{kind} value has no price year",
                    "write the financial year whose prices the value is in, e.g. 2008/09")
        if amount is not None and year is not None:
            values[kind] = models.CostValue(amount=amount, price_year=year)
    if not any(values.values()) and not problems:
        problem("no-value", "fiscal_value", "the cost has no value", "give at least a fiscal value and its price year")
    rag = record.get("rag", "").upper()
    if rag not in RAG_RATINGS:
        problem("bad-rag", "rag", f"'{record.get('rag')}' is not a RAG rating", "use G, A or R")
    exclusions, refused = parse_not_with(record.get("not_with", ""), code)
    if refused:
        problem("bad-not-with", "not_with", refused,
                "write CODE: reason, several separated by ;  e.g. CR2.0: derived from CR2.0; "
                "HE1.0, HE1.1: the same treatment")
    transfer = record.get("transfer", "").lower()
    if transfer not in TRANSFER_MARKS:
        problem("bad-transfer", "transfer", f"'{shown(record.get('transfer'))}' is not yes or no",
                "write yes where the fiscal value is a transfer payment (benefits, tax); leave it blank if not")
    if problems:
        return None, problems
    cost = models.UnitCost(
        code=code,
        theme=record.get("theme", ""),
        category=record.get("category", ""),
        outcome_detail=record.get("outcome_detail", ""),
        description=record["description"],
        unit=record.get("unit", ""),
        agency_1=record.get("agency_1", ""),
        agency_2=record.get("agency_2", ""),
        fiscal=values["fiscal"],
        economic=values["economic"],
        social=values["social"],
        source=record.get("source", ""),
        rag=rag,
        comment=record.get("comment", ""),
        parent=record.get("parent", ""),
        not_with=exclusions,
        transfer=TRANSFER_MARKS[transfer],
        edition=record.get("edition", ""),
        origin=path,
    )
    return cost, []


def invisible_characters(code: str) -> str:
    """The characters of a code that show as nothing or as a plain space but are not one (a
    zero-width space or other format character, Unicode category Cf; a no-break space), named
    ``U+200B ZERO WIDTH SPACE``; ``""`` for none."""
    found = dict.fromkeys(character for character in code
                          if unicodedata.category(character) == "Cf" or (character.isspace() and character != " "))
    return ", ".join(f"U+{ord(character):04X} {unicodedata.name(character, 'unnamed')}" for character in found)


def parse_not_with(text: str, code: str) -> tuple[tuple[models.Exclusion, ...], str]:
    """The exclusions a ``not_with`` cell declares, or why the cell cannot be read ('' if it can).

    ``CODE: reason; CODE, CODE: reason``: each part before the first ``:`` names one or more codes
    (commas between them), the rest is the reason, required. A ``;`` starts the next part only
    where codes and a colon follow it, so a reason may hold a ``;`` of its own."""
    found: list[models.Exclusion] = []
    for part in (piece.strip() for piece in _NEXT_DECLARATION.split(text)):
        if not part:
            continue
        named, colon, reason = part.partition(":")
        reason = " ".join(reason.split())
        if not colon or not reason:
            return (), f"'{shown(part)}' gives no reason: write the code, a colon, then why they overlap"
        for other in (name.strip() for name in named.split(",")):
            if not CODE_PATTERN.fullmatch(other):
                return (), f"'{shown(other)}' is not a cost code" if other else "a code is missing before the colon"
            if other.upper() == code.upper():
                return (), f"{code} names itself"
            found.append(models.Exclusion(code=other, reason=reason))
    return tuple(found), ""


_NEXT_DECLARATION = re.compile(r";(?=\s*[A-Za-z0-9][A-Za-z0-9.&_-]*(?:\s*,\s*[A-Za-z0-9][A-Za-z0-9.&_-]*)*\s*:)")


def not_with_text(exclusions: tuple[models.Exclusion, ...]) -> str:
    """A ``not_with`` cell as ``parse_not_with`` reads it, codes with one reason written together
    (``SS4.0, SS4.1: reason``)."""
    codes_for: dict[str, list[str]] = {}
    for exclusion in exclusions:
        codes_for.setdefault(exclusion.reason, []).append(exclusion.code)
    return "; ".join(f"{', '.join(codes)}: {reason}" for reason, codes in codes_for.items())


def _check_exclusions(costs: dict[str, models.UnitCost],
                      declared_at: dict[str, str]) -> tuple[dict[str, models.UnitCost], list[Problem]]:
    """Every code a ``not_with`` names must be a known cost (spelled with any capitals, as in
    Excel), and not one of the declaring cost's own family (its parents count it already)."""
    by_upper = {code.upper(): code for code in costs}
    problems = []
    checked = dict(costs)
    for cost in costs.values():
        if not cost.not_with:
            continue
        kept = []
        for exclusion in cost.not_with:
            known = by_upper.get(exclusion.code.upper())
            if known is None:
                nearest = nearest_codes(exclusion.code, costs)
                problems.append(Problem(
                    code="unknown-cost-code", file=cost.origin, where=declared_at[cost.code],
                    message=f"{cost.code} says it must not be counted with '{exclusion.code}', which is not a code "
                            "in the unit cost files",
                    hint=f"did you mean {' or '.join(nearest)}?" if nearest else "name a code of a loaded table"))
            elif known in lineage(cost.code, costs):
                problems.append(Problem(
                    code="bad-not-with", file=cost.origin, where=declared_at[cost.code],
                    message=f"{cost.code} and {known} are parent and constituent: that overlap is known already",
                    hint="name only costs outside this cost's own family in not_with"))
            else:
                kept.append(exclusion.model_copy(update={"code": known}))
        checked[cost.code] = cost.model_copy(update={"not_with": tuple(kept)})
    return checked, problems


def lineage(code: str, costs: dict[str, models.UnitCost]) -> set[str]:
    """``code``, the costs it is part of and its constituents at any depth: every code whose
    value shares money with it."""
    return with_parents(code, costs) | family(code, costs)


def with_parents(code: str, costs: dict[str, models.UnitCost]) -> set[str]:
    """``code`` and the costs it is part of (its parent, their parents...)."""
    found = {code}
    parent = costs[code].parent if code in costs else ""
    while parent and parent in costs and parent not in found:
        found.add(parent)
        parent = costs[parent].parent
    return found


def exclusions_of(code: str, costs: dict[str, models.UnitCost]) -> list[tuple[str, str, models.UnitCost]]:
    """What ``code`` must not be counted with, declared on either side (by it, by a cost it is
    part of, or naming one of them): (the other code, the reason, the cost that declares it)."""
    covering = with_parents(code, costs)  # (a declaration on a parent, or naming it, covers its parts)
    found = []
    for cost in costs.values():
        for exclusion in cost.not_with:
            if cost.code in covering:
                found.append((exclusion.code, exclusion.reason, cost))
            elif exclusion.code in covering:
                found.append((cost.code, exclusion.reason, cost))
    return found


def family(code: str, costs: dict[str, models.UnitCost]) -> set[str]:
    """``code`` and its constituents at any depth (what a code named in ``not_with`` stands for)."""
    found = {code}
    grew = True
    while grew:
        more = {cost.code for cost in costs.values() if cost.parent in found} - found
        found |= more
        grew = bool(more)
    return found


def _check_parents(costs: dict[str, models.UnitCost]) -> list[Problem]:
    problems = []
    for cost in costs.values():
        if not cost.parent:
            continue
        if cost.parent not in costs:
            problems.append(Problem(code="unknown-parent", file=cost.origin, where=f"{cost.code}: parent",
                                    message=f"parent {cost.parent} is not a known cost code",
                                    hint="name the code of the cost this one is part of, or leave parent blank"))
            continue
        seen = {cost.code}
        parent = cost.parent
        while parent in costs:
            if parent in seen:
                problems.append(Problem(code="parent-cycle", file=cost.origin, where=f"{cost.code}: parent",
                                        message=f"{cost.code} is, through its parents, a part of itself",
                                        hint="a parent is a larger cost that this one is a part of; fix the parent column"))
                break
            seen.add(parent)
            parent = costs[parent].parent
    return problems


def nearest_codes(code: str, costs: dict[str, models.UnitCost], count: int = 3) -> list[str]:
    """Known codes that look most like ``code``, best first (for 'did you mean').

    Letters typed for digits (``O`` for ``0``, ``l``/``I`` for ``1``) and stray spaces are
    forgiven first; then the closest codes by spelling follow."""
    def plain(text: str) -> str:
        return text.upper().replace(" ", "").translate(_LOOKALIKES)

    wanted = plain(code)
    by_plain = {plain(known): known for known in costs}
    found = [by_plain[wanted]] if wanted in by_plain else []
    for match in difflib.get_close_matches(wanted, by_plain, n=count + 1, cutoff=0.5):
        if by_plain[match] not in found:
            found.append(by_plain[match])
    return found[:count]


_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def constituents(code: str, costs: dict[str, models.UnitCost]) -> list[models.UnitCost]:
    """The costs whose parent is ``code``, in code order (one look-up: a run valuing many
    lines asks a ``Tree`` instead)."""
    return sorted((cost for cost in costs.values() if cost.parent == code), key=lambda cost: cost.code)


class Tree:
    """A unit cost table's parents and constituents, worked out once: a run asks them of every
    outcome line, and a scan of the whole table per line would make the run quadratic."""

    def __init__(self, costs: dict[str, models.UnitCost]):
        self.costs = costs
        self._children: dict[str, list[models.UnitCost]] = {}
        for cost in sorted(costs.values(), key=lambda cost: cost.code):
            self._children.setdefault(cost.parent, []).append(cost)
        self._ancestors: dict[str, tuple[str, ...]] = {}

    def constituents(self, code: str) -> list[models.UnitCost]:
        """The costs whose parent is ``code``, in code order (as ``constituents``)."""
        return self._children.get(code, [])

    def ancestors(self, code: str) -> tuple[str, ...]:
        """The costs ``code`` is part of, nearest first (its parent, their parent...), stopping
        at a code outside the table or a loop."""
        found = self._ancestors.get(code)
        if found is None:
            chain: list[str] = []
            parent = self.costs[code].parent
            while parent and parent in self.costs and parent not in chain and parent != code:
                chain.append(parent)
                parent = self.costs[parent].parent
            found = self._ancestors[code] = tuple(chain)
        return found


def to_row(cost: models.UnitCost, overrides: bool = False) -> dict[str, str]:
    """One cost as a CSV row in the column order of ``COLUMNS``."""
    row = {
        "code": cost.code,
        "theme": cost.theme,
        "category": cost.category,
        "outcome_detail": cost.outcome_detail,
        "description": cost.description,
        "unit": cost.unit,
        "agency_1": cost.agency_1,
        "agency_2": cost.agency_2,
        "source": cost.source,
        "rag": cost.rag,
        "comment": cost.comment,
        "parent": cost.parent,
        "overrides": "yes" if overrides else "",
        "not_with": not_with_text(cost.not_with),
        "transfer": "yes" if cost.transfer else "",
    }
    for kind in VALUE_TYPES:
        value: models.CostValue | None = getattr(cost, kind)
        row[f"{kind}_value"] = "" if value is None else str(value.amount)
        row[f"{kind}_price_year"] = "" if value is None else str(value.price_year)
    return row


TEXT_COLUMNS = tuple(name for name in COLUMNS if not name.endswith(("_value", "_price_year")))
"""Columns of free text: escaped in a CSV the tool writes where a spreadsheet would read a formula."""


def escaped(row: dict[str, str]) -> dict[str, str]:
    """A row as written to CSV: text fields that a spreadsheet program would take for a formula
    quoted with a leading ' (the OWASP advice; ``csv_rows.clean`` takes it off again), numbers as
    they are."""
    return {name: spreadsheet_text.to_csv(value) if name in TEXT_COLUMNS else value for name, value in row.items()}


def write(costs: list[models.UnitCost], path: str) -> None:
    """Write costs as a unit cost CSV, atomically (``storage.write_atomic``: a temporary file
    renamed into place, never left behind if the write fails)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for cost in costs:
        writer.writerow(escaped(to_row(cost)))
    storage.write_atomic(path, text.getvalue())


def code_order(code: str) -> tuple:
    """Sort key that puts CR2.0 before CR2.0.1 before CR2.1 before CR10.0."""
    parts = re.split(r"(\d+)", code.upper())
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts if part)
