"""Import the official GMCA Unit Cost Database workbook into unit costs.

The workbook (v1.4, March 2015; v2.x and v3.0 keep its layout) has one sheet per theme. Each
theme sheet starts with two header rows, then one row per cost::

    Outcome category | Outcome detail | Cost code | Cost / saving detail | Unit |
    Agency bearing the cost ... (Level 1 | Level 2) |
    Fiscal Cost (Estimated cost/saving | Year | Updated cost/saving) | Economic ... | Social ... |
    Original source | RAG assessment | Comment | ...

Columns are found by their header text (case, spacing and punctuation do not matter), never by
letter. Values are read as the workbook shows them: a value cell that holds a formula
(``=3308/40``) gives the result Excel stored with it. The "Updated" columns are ignored: this
tool uprates with its own deflator series.

Nothing is raised for bad input: ``import_workbook`` returns what it could read, every row it
left out and why, and the problems that stopped a sheet being read at all.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import re
import warnings
import zipfile
from decimal import Decimal

import openpyxl
import openpyxl.utils.exceptions
import pydantic

from up2u_cba import models
from up2u_cba.inputs import input_files, unit_costs
from up2u_cba.problems import Problem, counted

THEMES = (
    "Crime",
    "Education & Skills",
    "Employment & Economy",
    "Fire",
    "Health",
    "Housing",
    "Social Services",
)
"""The theme sheets, each one becoming the ``theme`` of its costs."""

VALUE_TYPES = ("fiscal", "economic", "social")

# Why a row read from a theme sheet was not imported (stable: tests and users rely on them).
NO_CODE = "no code"
"""The cost-code cell is empty: a heading row, or the sheet's drop-down lists."""
BLANK_CODE = "blank code"
"""The cost-code cell holds only spaces."""
NO_DESCRIPTION = "no description"
"""The row has a code but no cost / saving detail."""
NO_VALUE = "no value"
"""The row has a code but no usable fiscal, economic or social value."""
DUPLICATE_CODE = "duplicate code"
"""An earlier row of the workbook already has this code; the first one is kept."""

# Why one value of an imported row was left out.
NOT_A_NUMBER = "not a number"
NOT_ABOVE_ZERO = "not above zero"
NO_PRICE_YEAR = "no price year"
BAD_PRICE_YEAR = "bad price year"
NO_AMOUNT = "price year without an amount"
NO_STORED_RESULT = "formula without a stored result"
"""The value cell is a formula saved without its result (open and save the workbook in Excel)."""

_HEADER_SEARCH_ROWS = 10
_EMPTY_AGENCY = {"-", "\u2013", "\u2014", "n/a", "none"}
_RAG_WORDS = {"G": "G", "A": "A", "R": "R", "GREEN": "G", "AMBER": "A", "RED": "R"}
_FROZEN = pydantic.ConfigDict(frozen=True)


class SheetCount(pydantic.BaseModel):
    """How many rows of one theme sheet were read and imported."""

    model_config = _FROZEN

    sheet: str
    """Theme sheet name, as in the workbook."""
    read: int
    """Rows below the header rows with anything in a recognised column."""
    imported: int
    """Rows that became a unit cost."""


class SkippedRow(pydantic.BaseModel):
    """A row that was read but not imported."""

    model_config = _FROZEN

    sheet: str
    row: int
    """Row number in the sheet, as Excel shows it."""
    code: str
    """The cleaned cost code, or ``""`` when the code cell is empty or blank."""
    reason: str
    """One of ``NO_CODE``, ``BLANK_CODE``, ``NO_DESCRIPTION``, ``NO_VALUE``, ``DUPLICATE_CODE``."""


class DroppedValue(pydantic.BaseModel):
    """One value (fiscal, economic or social) of a row that could not be used."""

    model_config = _FROZEN

    sheet: str
    row: int
    code: str
    """The cleaned cost code of the row."""
    value_type: str
    """``fiscal``, ``economic`` or ``social``."""
    reason: str
    """``NOT_A_NUMBER``, ``NOT_ABOVE_ZERO``, ``NO_PRICE_YEAR``, ``BAD_PRICE_YEAR``, ``NO_AMOUNT``
    or ``NO_STORED_RESULT``."""


class ImportResult(pydantic.BaseModel):
    """What an import of the GMCA workbook produced, and an account of every row it read."""

    model_config = _FROZEN

    costs: list[models.UnitCost]
    """Imported costs in workbook order (sheet order, then row order); ``origin`` is blank."""
    sheets: list[SheetCount]
    """Rows read and imported per theme sheet that could be read, in workbook order."""
    skipped: list[SkippedRow]
    """Every row read but not imported, with the reason."""
    dropped_values: list[DroppedValue]
    """Values left out of rows (a row without any usable value is also in ``skipped``)."""
    problems: list[Problem]
    """What stopped a sheet or the workbook being read (``missing-sheet``, ``missing-header``,
    ``unreadable-workbook``, ``missing-file``, and ``not-a-unit-cost-workbook`` alone when it
    has none of the theme sheets), and ``formula-without-result`` for a sheet whose value
    formulas were saved without their results (its other costs are still imported)."""


@dataclasses.dataclass(frozen=True)
class _Column:
    """How to find one column: its header in row 1 and, for a grouped column, in row 2."""

    field: str
    label: str
    """The v1.4 header text, used in messages."""
    aliases: tuple[str, ...]
    """Accepted row-1 headers, normalised; a header matches if it starts with one."""
    sub_label: str = ""
    sub_aliases: tuple[str, ...] = ()
    """Accepted row-2 headers under the row-1 header, normalised; empty for a single column."""


def _value_columns(kind: str, label: str) -> tuple[_Column, _Column]:
    return (
        _Column(f"{kind}_amount", label, (kind,), "Estimated cost/saving", ("estimated", "cost", "value", "amount")),
        _Column(f"{kind}_year", label, (kind,), "Year", ("year", "priceyear", "pricebase")),
    )


_COLUMNS = (
    _Column("category", "Outcome category", ("outcomecategory",)),
    _Column("outcome_detail", "Outcome detail", ("outcomedetail",)),
    _Column("code", "Cost code", ("costcode",)),
    _Column("description", "Cost / saving detail", ("costsavingdetail", "costdetail", "savingdetail")),
    _Column("unit", "Unit", ("unit",)),
    _Column("agency_1", "Agency bearing the cost / making the fiscal saving", ("agency",), "Level 1", ("level1",)),
    _Column("agency_2", "Agency bearing the cost / making the fiscal saving", ("agency",), "Level 2", ("level2",)),
    *_value_columns("fiscal", "Fiscal Cost"),
    *_value_columns("economic", "Economic Cost"),
    *_value_columns("social", "Social Cost"),
    _Column("source", "Original source", ("originalsource", "source")),
    _Column("rag", "RAG assessment", ("rag",)),
    _Column("comment", "Comment", ("comment",)),
)


def import_workbook(path: str) -> ImportResult:
    """Read the GMCA Unit Cost Database workbook at ``path`` into unit costs.

    Every theme sheet is read even when another has problems; a sheet that is missing or lacks
    a header gives ``Problem`` records and no costs.
    """
    workbook, problem = _open(path)
    if workbook is None:
        return ImportResult(costs=[], sheets=[], skipped=[], dropped_values=[], problems=[problem])
    try:
        return _import(path, workbook)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, SyntaxError, OverflowError) as error:
        # read-only sheets are parsed as they are read: a damaged cell (a 5,000-digit number, a
        # month 13) is met here, not when the workbook is opened
        return ImportResult(costs=[], sheets=[], skipped=[], dropped_values=[], problems=[Problem(
            code="unreadable-workbook", file=path, message=f"cannot read the workbook: {error}",
            hint="save it from Excel as an .xlsx workbook")])
    finally:
        workbook.close()


def _sheet_problems(path: str, sheetnames: list[str]) -> list[Problem]:
    """A missing theme sheet each; or, when none of them is there, one problem for the workbook."""
    present = {_normalise(name) for name in sheetnames}
    missing = [theme for theme in THEMES if _normalise(theme) not in present]
    own = ", ".join(f"'{name}'" for name in sheetnames) or "none"
    if len(missing) == len(THEMES):
        return [Problem(code="not-a-unit-cost-workbook", file=path,
                        message=f"this is not a GMCA Unit Cost Database workbook: its sheets are {own}",
                        hint=f"import the database workbook, whose theme sheets are {', '.join(THEMES)}")]
    return [Problem(code="missing-sheet", file=path, where=theme, message=f"the workbook has no sheet named '{theme}'",
                    hint=f"its sheets are {own}; a GMCA Unit Cost Database workbook has one sheet per theme")
            for theme in missing]


def _open(path: str, data_only: bool = True) -> tuple[openpyxl.Workbook | None, Problem | None]:
    """The workbook opened read-only (with stored formula results by default), or None and a
    problem; refused before it is expanded when it is not an .xlsx file or is too large
    (``input_files.COST_BOUNDS``)."""
    data, refused = input_files.open_workbook(path, input_files.COST_WORKBOOK, input_files.COST_BOUNDS)
    if data is None:
        return None, refused
    warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")  # (not for users)
    try:
        return openpyxl.load_workbook(data, read_only=True, data_only=data_only), None
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, SyntaxError,
            openpyxl.utils.exceptions.InvalidFileException) as error:
        return None, Problem(code="unreadable-workbook", file=path, message=f"cannot read the workbook: {error}",
                             hint="save it from Excel as an .xlsx workbook")


def _import(path: str, workbook) -> ImportResult:
    """Read every theme sheet, then settle agency spellings and parents across the workbook."""
    themes_by_key = {_normalise(theme): theme for theme in THEMES}
    problems = _sheet_problems(path, workbook.sheetnames)
    if any(problem.code == "not-a-unit-cost-workbook" for problem in problems):
        return ImportResult(costs=[], sheets=[], skipped=[], dropped_values=[], problems=problems)
    costs: list[models.UnitCost] = []
    counts: list[SheetCount] = []
    skipped: list[SkippedRow] = []
    dropped: list[DroppedValue] = []
    seen_codes: set[str] = set()
    amount_columns: dict[str, dict[str, int]] = {}
    for name in workbook.sheetnames:
        theme = themes_by_key.get(_normalise(name))
        if theme is None:
            continue
        rows = _rows(workbook[name])
        header_row, columns, header_problems = _find_columns(path, name, rows)
        problems.extend(header_problems)
        if header_problems:
            continue
        amount_columns[name] = {kind: columns[f"{kind}_amount"] for kind in VALUE_TYPES}
        read = imported = 0
        for number, cells in enumerate(rows[header_row + 1:], start=header_row + 2):
            record = {field: _cell(cells, index) for field, index in columns.items()}
            if all(value is None or value == "" for value in record.values()):
                continue
            read += 1
            cost, skip, row_dropped = _read_row(name, theme, number, record, seen_codes)
            dropped.extend(row_dropped)
            if skip is not None:
                skipped.append(skip)
                continue
            seen_codes.add(cost.code)
            costs.append(cost)
            imported += 1
        counts.append(SheetCount(sheet=name, read=read, imported=imported))
    costs = _link_parents(_normalise_agencies(costs))
    dropped = _explain_missing_amounts(path, dropped, amount_columns)
    problems.extend(_unstored_formula_problems(path, dropped))
    return ImportResult(costs=costs, sheets=counts, skipped=skipped, dropped_values=dropped, problems=problems)


def _rows(sheet) -> list[tuple]:
    """All rows of a sheet as tuples of values, ignoring its stored (possibly wrong) dimensions."""
    sheet.reset_dimensions()
    return list(sheet.iter_rows(values_only=True))


def _cell(cells: tuple, index: int):
    return cells[index] if index < len(cells) else None


# --- headers -----------------------------------------------------------------------------------


def _normalise(text) -> str:
    """Header or sheet name reduced to lower-case letters and digits (``&`` read as ``and``)."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").casefold().replace("&", "and"))


def _matches(header: str, aliases: tuple[str, ...]) -> bool:
    return bool(header) and any(header.startswith(alias) for alias in aliases)


def _find_columns(path: str, sheet: str, rows: list[tuple]) -> tuple[int, dict[str, int], list[Problem]]:
    """Locate the header rows and every column; return the index of the second header row.

    The first header row is the first of the top rows that names at least three known
    columns (row 1 in every known version); the second header row is the one below it.
    """
    first = _header_row(rows)
    top = [_normalise(value) for value in (rows[first] if first < len(rows) else ())]
    sub = [_normalise(value) for value in (rows[first + 1] if first + 1 < len(rows) else ())]
    groups = _carry_forward(top)
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    missing_groups: set[str] = set()
    for column in _COLUMNS:
        index = _column_index(column, top, sub, groups)
        if index is not None:
            columns[column.field] = index
            continue
        group_found = any(_matches(header, column.aliases) for header in top)
        if column.sub_aliases and group_found:
            where, header = f"{sheet}: row {first + 2}: {column.label} / {column.sub_label}", column.sub_label
        elif column.label in missing_groups:
            continue
        else:
            missing_groups.add(column.label)
            where, header = f"{sheet}: row {first + 1}: {column.label}", column.label
        problems.append(Problem(
            code="missing-header", file=path, where=where,
            message=f"no column headed '{header}' in sheet '{sheet}'",
            hint="the theme sheets must keep the GMCA column headers; rename the column back",
        ))
    return first + 1, columns, problems


def _header_row(rows: list[tuple]) -> int:
    """Index of the first of the top rows naming at least three known columns, else 0."""
    top_aliases = {alias for column in _COLUMNS for alias in column.aliases}
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        headers = [_normalise(value) for value in row]
        if sum(1 for header in headers if _matches(header, tuple(top_aliases))) >= 3:
            return index
    return 0


def _carry_forward(top: list[str]) -> list[str]:
    """Row-1 header each column sits under: a merged header spans the blank cells to its right."""
    groups: list[str] = []
    current = ""
    for header in top:
        current = header or current
        groups.append(current)
    return groups


def _column_index(column: _Column, top: list[str], sub: list[str], groups: list[str]) -> int | None:
    if not column.sub_aliases:
        return next((i for i, header in enumerate(top) if _matches(header, column.aliases)), None)
    return next((i for i, group in enumerate(groups)
                 if _matches(group, column.aliases) and i < len(sub) and _matches(sub[i], column.sub_aliases)),
                None)


# --- rows --------------------------------------------------------------------------------------


def _read_row(sheet: str, theme: str, number: int, record: dict,
              seen_codes: set[str]) -> tuple[models.UnitCost | None, SkippedRow | None, list[DroppedValue]]:
    """One data row as a unit cost, or the reason it is skipped; plus any values left out."""
    raw_code = record.get("code")
    code = _clean_code(raw_code)
    dropped: list[DroppedValue] = []

    def skip(reason: str) -> tuple[None, SkippedRow, list[DroppedValue]]:
        return None, SkippedRow(sheet=sheet, row=number, code=code, reason=reason), dropped

    if raw_code is None or raw_code == "":
        return skip(NO_CODE)
    if not code:
        return skip(BLANK_CODE)
    if code in seen_codes:
        return skip(DUPLICATE_CODE)
    description = _one_line(record.get("description"))
    if not description:
        return skip(NO_DESCRIPTION)
    values: dict[str, models.CostValue | None] = {}
    for kind in VALUE_TYPES:
        values[kind], reason = _read_value(record.get(f"{kind}_amount"), record.get(f"{kind}_year"))
        if reason:
            dropped.append(DroppedValue(sheet=sheet, row=number, code=code, value_type=kind, reason=reason))
    if not any(values.values()):
        return skip(NO_VALUE)
    cost = models.UnitCost(
        code=code,
        theme=theme,
        category=_one_line(record.get("category")),
        outcome_detail=_one_line(record.get("outcome_detail")),
        description=description,
        unit=_one_line(record.get("unit")),
        agency_1=_agency(record.get("agency_1")),
        agency_2=_agency(record.get("agency_2")),
        fiscal=values["fiscal"],
        economic=values["economic"],
        social=values["social"],
        source=_one_line(record.get("source")),
        rag=_rag(record.get("rag")),
        comment=_paragraphs(record.get("comment")),
    )
    return cost, None, dropped


def _clean_code(value) -> str:
    """Cost code without any whitespace: ``' HE 1.0 '`` becomes ``HE1.0``."""
    return re.sub(r"\s+", "", _text(value))


def _read_value(amount_cell, year_cell) -> tuple[models.CostValue | None, str]:
    """A value and its price year as a ``CostValue``, or None and why ("" when both are blank)."""
    amount_blank, year_blank = _blank(amount_cell), _blank(year_cell)
    if amount_blank:
        return None, "" if year_blank else NO_AMOUNT
    amount = _amount(amount_cell)
    if amount is None:
        return None, NOT_A_NUMBER
    if amount <= 0:
        return None, NOT_ABOVE_ZERO
    if year_blank:
        return None, NO_PRICE_YEAR
    try:
        year = models.FinancialYear.parse(_text(year_cell))
    except ValueError:
        return None, BAD_PRICE_YEAR
    return models.CostValue(amount=amount, price_year=year), ""


def _amount(value) -> Decimal | None:
    """Pounds from a number cell or from text such as ``£1,800``; None if it is not a number.

    A float cell keeps every digit it shows: ``Decimal(repr(value))``, never float formatting.
    """
    if isinstance(value, bool) or isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return None
    if isinstance(value, int):
        return Decimal(value)
    text = repr(value) if isinstance(value, float) else re.sub(r"[£,\s]", "", str(value))
    try:
        amount = Decimal(text)
    except (decimal.InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount > unit_costs.MAXIMUM_VALUE \
            or amount.normalize().as_tuple().exponent < -unit_costs.MAX_DECIMALS:
        return None  # (1e999999 or 1e-999999: what loading the table written would refuse)
    return amount


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    """Cell as text, line endings unified, outer whitespace removed."""
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _one_line(value) -> str:
    """Cell as one line of text: newlines and runs of whitespace become single spaces."""
    return re.sub(r"\s+", " ", _text(value)).strip()


def _paragraphs(value) -> str:
    """Multi-line text with trailing spaces removed from each line and the ends stripped."""
    return "\n".join(line.rstrip() for line in _text(value).split("\n")).strip()


def _agency(value) -> str:
    """Agency name on one line; a dash or 'n/a' means none."""
    name = _one_line(value)
    return "" if name.casefold() in _EMPTY_AGENCY else name


def _rag(value) -> str:
    """RAG rating as G, A or R; anything else is blank."""
    return _RAG_WORDS.get(_one_line(value).upper(), "")


def _explain_missing_amounts(path: str, dropped: list[DroppedValue],
                             amount_columns: dict[str, dict[str, int]]) -> list[DroppedValue]:
    """Tell a blank amount from a formula saved without its result (a workbook written by a tool
    that does not calculate); only then is the workbook read a second time, for its formulas."""
    if not any(value.reason == NO_AMOUNT for value in dropped):
        return dropped
    workbook, _ = _open(path, data_only=False)
    if workbook is None:
        return dropped
    try:
        rows = {sheet: _rows(workbook[sheet]) for sheet in {value.sheet for value in dropped}}
    finally:
        workbook.close()

    def is_formula(value: DroppedValue) -> bool:
        cells = rows[value.sheet][value.row - 1] if value.row <= len(rows[value.sheet]) else ()
        cell = _cell(cells, amount_columns[value.sheet][value.value_type])
        return isinstance(cell, str) and cell.startswith("=")

    return [value.model_copy(update={"reason": NO_STORED_RESULT})
            if value.reason == NO_AMOUNT and is_formula(value) else value
            for value in dropped]


def _unstored_formula_problems(path: str, dropped: list[DroppedValue]) -> list[Problem]:
    """One problem per sheet with formula values saved without results: the import is incomplete."""
    rows_by_sheet: dict[str, list[int]] = {}
    for value in dropped:
        if value.reason == NO_STORED_RESULT:
            rows_by_sheet.setdefault(value.sheet, [])
            if value.row not in rows_by_sheet[value.sheet]:
                rows_by_sheet[value.sheet].append(value.row)
    return [
        Problem(code="formula-without-result", file=path, where=f"{sheet}: {'rows' if len(rows) > 1 else 'row'} {', '.join(map(str, rows))}",
                message=f"{counted(len(rows), 'row')} {'has' if len(rows) == 1 else 'have'} values that are formulas "
                        "saved without their results",
                hint="open the workbook in Excel or LibreOffice and save it, so the results are stored")
        for sheet, rows in rows_by_sheet.items()
    ]


# --- across the workbook -----------------------------------------------------------------------


def _normalise_agencies(costs: list[models.UnitCost]) -> list[models.UnitCost]:
    """Spell each agency the way the workbook spells it most often ('Local authority' -> 'Local Authority').

    Spellings that differ only in capitals and spacing are one agency; both levels are counted
    together; on a tie the spelling seen first wins.
    """
    spellings: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for cost in costs:
        for name in (cost.agency_1, cost.agency_2):
            if name:
                spellings[name.casefold()][name] += 1
    canonical = {key: counter.most_common(1)[0][0] for key, counter in spellings.items()}

    def spell(name: str) -> str:
        return canonical.get(name.casefold(), name)

    return [cost.model_copy(update={"agency_1": spell(cost.agency_1), "agency_2": spell(cost.agency_2)})
            for cost in costs]


def parent_code(code: str) -> str:
    """The code a constituent belongs to: ``CR2.0.1`` -> ``CR2.0``; ``""`` for fewer than three segments."""
    segments = code.split(".")
    return ".".join(segments[:-1]) if len(segments) >= 3 else ""


def _link_parents(costs: list[models.UnitCost]) -> list[models.UnitCost]:
    """Set ``parent`` on each constituent whose parent code was imported too."""
    codes = {cost.code for cost in costs}
    linked = []
    for cost in costs:
        parent = parent_code(cost.code)
        linked.append(cost.model_copy(update={"parent": parent if parent in codes else ""}))
    return linked


# --- summary -----------------------------------------------------------------------------------


def summary_lines(result: ImportResult) -> list[str]:
    """A plain-text account of the import: counts per sheet, then every skipped row and value.

    Consecutive skipped rows without a code (the drop-down lists under each table) share a line.
    Problems are not included: the command line reports them like any other problems.
    """
    lines = ["Rows read, imported and skipped per sheet:"]
    for count in result.sheets:
        skipped = sum(1 for row in result.skipped if row.sheet == count.sheet)
        lines.append(f"  {count.sheet}: {count.read} read, {count.imported} imported, {skipped} skipped")
    total_read = sum(count.read for count in result.sheets)
    lines.append(f"  Total: {total_read} read, {len(result.costs)} imported, {len(result.skipped)} skipped")
    value_counts = ", ".join(
        f"{sum(1 for cost in result.costs if getattr(cost, kind) is not None)} {kind}" for kind in VALUE_TYPES)
    lines.append(f"Values imported: {value_counts}")
    if result.skipped:
        lines.append("Skipped rows:")
        lines.extend(f"  {line}" for line in _skipped_lines(result.skipped))
    if result.dropped_values:
        lines.append("Values left out:")
        lines.extend(f"  {value.sheet} row {value.row} {value.code}: {value.value_type} value: {value.reason}"
                     for value in result.dropped_values)
    return lines


def _skipped_lines(skipped: list[SkippedRow]) -> list[str]:
    """One line per skipped row; consecutive code-less rows of one sheet with one reason share a line."""
    lines: list[str] = []
    run: list[SkippedRow] = []
    for row in skipped:
        if row.code:
            lines.extend(_run_lines(run))
            run = []
            lines.append(f"{row.sheet} row {row.row} {row.code}: {row.reason}")
        elif run and (row.sheet, row.reason, row.row) == (run[-1].sheet, run[-1].reason, run[-1].row + 1):
            run.append(row)
        else:
            lines.extend(_run_lines(run))
            run = [row]
    lines.extend(_run_lines(run))
    return lines


def _run_lines(run: list[SkippedRow]) -> list[str]:
    if not run:
        return []
    first, last = run[0], run[-1]
    if len(run) == 1:
        return [f"{first.sheet} row {first.row}: {first.reason}"]
    return [f"{first.sheet} rows {first.row}-{last.row} ({counted(len(run), 'row')}): {first.reason}"]
