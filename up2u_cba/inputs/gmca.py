"""Import the official GMCA Unit Cost Database workbook into unit costs.

The workbook (v1.4, March 2015; v2.x and v3.0 keep its layout) has one sheet per theme. Each
theme sheet starts with two header rows, then one row per cost::

    Outcome category | Outcome detail | Cost code | Cost / saving detail | Unit |
    Agency bearing the cost ... (Level 1 | Level 2) |
    Fiscal Cost (Estimated cost/saving | Year | Updated cost/saving) | Economic ... | Social ... |
    Original source | RAG assessment | Comment | ...

Columns are found by their header text (case, spacing and punctuation do not matter), never by
letter, and only by the whole header: ``Cost code (previous edition)`` is not ``Cost code``. Two
columns that both fit one field are refused (``ambiguous-header``), never one guessed; a headed
column no field reads is listed (``ImportResult.ignored_columns``). Values are read as the
workbook shows them: a value cell that holds a formula (``=3308/40``) gives the result Excel
stored with it. The "Updated" columns are ignored: this tool uprates with its own deflator series.

The workbook is opened whole once, and each sheet read in one pass, values and the notes on its
cells together, in columns A-BL only (``READ_COLUMNS``): a cell far to the right is never read,
and the cells read across the workbook are bounded (``READ_CELLS``). A second, streaming look at
the formulas (read-only) finds code cells that are formulas and value formulas saved without
their results.

A code cell must hold a code: a formula, a number, text that starts like a formula (``=``,
``+``, ``-``, ``@``) or a code another row spells with other capitals (``cr1.0`` and ``CR1.0``)
is a problem naming the sheet, row and cell (``bad-cost-code``, ``duplicate-cost-code``), all
of them at once, and nothing is written.

Any edition: sheets are found by their trimmed name (``"Crime "`` is Crime), and a sheet of
another name is a theme sheet too when its top rows carry the cost table's headers; a theme
sheet that is missing is a note, not a failure. The edition and its date are read from the
Introduction sheet (or the update log's name) and written with every cost.

The workbook's own words decide transfers: a sentence of a cost's comment, or of a note on one
of its cells, in the wording v1.4 uses (``the fiscal saving should be excluded, as this is
effectively a transfer payment``; ``the fiscal benefit to HMT should be excluded, as it is a
transfer payment``) marks that cost, or, where the sentence names the part (``the £9,234 fiscal
benefit to DWP``, ``the fiscal saving from benefits payments``), the constituent it names. A
sentence with a negation (``not``, ``never``, ``n't``...) marks nothing; every sentence that
speaks of transfers, public value or benefit payments in words not recognised is listed for a
person to check (``ImportResult.unrecognised``): v1.4's worklessness and Housing Benefit
payments, which no comment calls transfers, among them.

A cost row whose code cell is empty or blank takes its code from its place: the next
constituent of the code above it (after ``CR8.0``, ``CR8.0.1``; after ``CR2.0.3``, ``CR2.0.4``),
unless a row of any theme sheet has that code already: then the row is left out, with a note.
A sheet whose name is blank is named from its place (``Sheet 4``) wherever the import names it
(theme, problems, summary), with a note. Two sheets that are one theme (``Crime`` and ``Crime ``)
are refused, the second as ``duplicate-theme-sheet``, rather than merged into one theme.

What the table written must hold is checked as it is read: a code cell's invisible characters
(format characters such as a zero-width space, and no-break spaces) are taken out with a note
naming the cell; a RAG rating not G, A or R is imported as none with a note naming the cell; a
text cell longer than the unit cost loader takes (``text-too-long``) and a version too long to be
one (``bad-edition``) are refused naming the cell; values keep ``SIGNIFICANT_DIGITS`` at most.

Nothing is raised for bad input: ``import_workbook`` returns what it could read, every row it
left out and why, and the problems that stopped a sheet being read at all.
"""

from __future__ import annotations

import collections
import collections.abc
import csv
import dataclasses
import datetime
import decimal
import io
import re
import unicodedata
import warnings
import zipfile
from decimal import Decimal

import openpyxl
import openpyxl.utils
import openpyxl.utils.exceptions
import pydantic

from up2u_cba import models, storage
from up2u_cba.inputs import input_files, unit_costs
from up2u_cba.outputs import spreadsheet_text
from up2u_cba.problems import Problem, counted, shown

THEMES = (
    "Crime",
    "Education & Skills",
    "Employment & Economy",
    "Fire",
    "Health",
    "Housing",
    "Social Services",
)
"""The theme sheets of v1.4, each one becoming the ``theme`` of its costs (another sheet
carrying the cost table's headers is read too, its trimmed name as its theme)."""

VALUE_TYPES = ("fiscal", "economic", "social")

# Why a row read from a theme sheet was not imported (stable: tests and users rely on them).
NO_CODE = "no code"
"""The cost-code cell is empty and the row is not a cost: a heading row, or the sheet's drop-down lists."""
BLANK_CODE = "blank code"
"""The cost-code cell holds only spaces and the row is not a cost (no description or no amount)."""
NO_DESCRIPTION = "no description"
"""The row has a code but no cost / saving detail."""
NO_VALUE = "no value"
"""The row has a code but no usable fiscal, economic or social value."""
DUPLICATE_CODE = "duplicate code"
"""An earlier row of the workbook already has this code; the first one is kept."""
NO_PLACE = "no code from its place"
"""A cost row whose code cell is empty or blank, and whose place gives no free code: no code
above it on the sheet, or the code its place gives is another row's."""

# Why one value of an imported row was left out.
NOT_A_NUMBER = "not a number"
NOT_ABOVE_ZERO = "not above zero"
NO_PRICE_YEAR = "no price year"
BAD_PRICE_YEAR = "bad price year"
NO_AMOUNT = "price year without an amount"
NO_STORED_RESULT = "formula without a stored result"
"""The value cell is a formula saved without its result (open and save the workbook in Excel)."""

READ_COLUMNS = 64
"""Columns read of every sheet, A-BL (v1.4's cost tables use A-U; later editions add a few): a
cell further right, up to XFD (16,384), is never read."""
TOP_ROWS = 40
"""Rows read of a sheet that is not a theme sheet: where a cost table's headers would be, and the
Introduction's text naming the edition."""
READ_CELLS = 1_000_000
"""Most cells read across the workbook, the empty ones among them (a sheet of the workbook
opened whole makes each cell it is asked for): v1.4 reads about 90,000."""
FORMULA_LOOKALIKE = spreadsheet_text.FORMULA_STARTS
"""How a cell a spreadsheet program would take for a formula starts (``=``, ``+``, ``-``, ``@``
and their full-width forms): never a cost code."""

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
    """One of ``NO_CODE``, ``BLANK_CODE``, ``NO_PLACE``, ``NO_DESCRIPTION``, ``NO_VALUE``,
    ``DUPLICATE_CODE``."""


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


class PlacedCode(pydantic.BaseModel):
    """A cost row whose code cell was empty or blank, given its code from its place."""

    model_config = _FROZEN

    sheet: str
    row: int
    """Row number in the sheet, as Excel shows it."""
    code: str
    """The code it was given: the next constituent of ``after``."""
    after: str
    """The nearest code above it on the sheet."""


class TransferMark(pydantic.BaseModel):
    """A cost marked as a transfer payment, and the workbook's words that say so."""

    model_config = _FROZEN

    code: str
    """The cost whose fiscal value is a transfer payment."""
    said_by: str
    """The cost whose comment says it (``code`` itself, or its parent naming the part)."""
    sheet: str
    row: int
    where: str
    """``comment`` (the Comment column) or ``note on H3`` (a note on a cell of the row)."""
    text: str
    """The sentence that says so, on one line."""


class TransferMention(pydantic.BaseModel):
    """A sentence of a cost's comment or cell note that speaks of transfers, or of excluding
    something from public value, in words the importer does not recognise: nothing is marked
    from it, and a person should read it."""

    model_config = _FROZEN

    code: str
    """The cost whose comment or cell note it is."""
    sheet: str
    row: int
    where: str
    """``comment`` or ``note on H3``."""
    text: str
    """The sentence, on one line."""


class IgnoredColumn(pydantic.BaseModel):
    """A column of a theme sheet with a header no field reads: not imported, listed in the summary."""

    model_config = _FROZEN

    sheet: str
    column: str
    """Its letter, as Excel shows it."""
    header: str
    """Its header as written: the row-1 header it sits under and its row-2 header, ``a / b``."""


class ImportResult(pydantic.BaseModel):
    """What an import of the GMCA workbook produced, and an account of every row it read."""

    model_config = _FROZEN

    costs: list[models.UnitCost]
    """Imported costs in workbook order (sheet order, then row order), each with the workbook's
    ``edition``; ``origin`` is blank."""
    sheets: list[SheetCount]
    """Rows read and imported per theme sheet that could be read, in workbook order."""
    skipped: list[SkippedRow]
    """Every row read but not imported, with the reason."""
    dropped_values: list[DroppedValue]
    """Values left out of rows (a row without any usable value is also in ``skipped``)."""
    problems: list[Problem]
    """What stopped a sheet or the workbook being read (``missing-header``, ``ambiguous-header``,
    ``text-too-long``, ``bad-edition``, ``unreadable-workbook``, ``missing-file``, and
    ``not-a-unit-cost-workbook`` alone when it has no theme sheet), and ``formula-without-result``
    for a sheet whose value formulas were saved without their results (its other costs are still
    imported)."""
    placed_codes: list[PlacedCode] = []
    """Cost rows whose blank code cell was filled from their place."""
    transfers: list[TransferMark] = []
    """Every statement of the workbook marking a cost as a transfer (a cost may have several)."""
    unrecognised: list[TransferMention] = []
    """Sentences that speak of transfers, public value or benefit payments in words not
    recognised (or negated): nothing marked from them; listed so a person can check them."""
    edition: str = ""
    """The edition and its date as the workbook states them, e.g. ``v1.4 (March 2015)``; blank
    when the workbook does not say."""
    edition_found_in: str = ""
    """Where the edition was read (``Introduction sheet``), or blank."""
    notes: list[str] = []
    """What a user should know that stopped nothing: a theme sheet missing, no edition found, a
    transfer statement naming a part no constituent matches."""
    ignored_columns: list[IgnoredColumn] = []
    """Columns of the theme sheets read whose headers no field accepts (v1.4's revision columns,
    a column a later edition adds): not imported."""


@dataclasses.dataclass(frozen=True)
class _Column:
    """How to find one column: its header in row 1 and, for a grouped column, in row 2."""

    field: str
    label: str
    """The v1.4 header text, used in messages."""
    aliases: tuple[str, ...]
    """Accepted row-1 headers, normalised (``_normalise``); a header matches only if it is one
    of them whole: ``Cost code (previous edition)`` is not ``Cost code``."""
    sub_label: str = ""
    sub_aliases: tuple[str, ...] = ()
    """Accepted row-2 headers under the row-1 header, normalised; empty for a single column."""


def _value_columns(kind: str, label: str) -> tuple[_Column, _Column]:
    group = (kind, f"{kind}cost", f"{kind}costs", f"{kind}value", f"{kind}values")
    return (
        _Column(f"{kind}_amount", label, group, "Estimated cost/saving",
                ("estimatedcostsaving", "estimatedcost", "estimatedsaving", "estimatedvalue", "costsaving", "cost",
                 "value", "amount")),
        _Column(f"{kind}_year", label, group, "Year", ("year", "priceyear", "pricebase")),
    )


_AGENCY = ("agencybearingthecostmakingthefiscalsaving", "agencybearingthecostmakingthesaving",
           "agencybearingthecost", "agency")
_COLUMNS = (
    _Column("category", "Outcome category", ("outcomecategory",)),
    _Column("outcome_detail", "Outcome detail", ("outcomedetail",)),
    _Column("code", "Cost code", ("costcode",)),
    _Column("description", "Cost / saving detail", ("costsavingdetail", "costsavingdetails", "costdetail",
                                                    "savingdetail")),
    _Column("unit", "Unit", ("unit", "units", "unitofmeasure")),
    _Column("agency_1", "Agency bearing the cost / making the fiscal saving", _AGENCY, "Level 1", ("level1",)),
    _Column("agency_2", "Agency bearing the cost / making the fiscal saving", _AGENCY, "Level 2", ("level2",)),
    *_value_columns("fiscal", "Fiscal Cost"),
    *_value_columns("economic", "Economic Cost"),
    *_value_columns("social", "Social Cost"),
    _Column("source", "Original source", ("originalsource", "originalsources", "source", "sources")),
    _Column("rag", "RAG assessment", ("ragassessment", "rag", "ragrating", "ragstatus")),
    _Column("comment", "Comment", ("comment", "comments")),
)
"""Every column read, and the whole headers accepted for it: v1.4's own (``Fiscal Cost`` on
Crime, ``Fiscal value`` on the other sheets) and the plain forms of the same words."""
_UPDATED_VALUE = ("updatedcostsaving", "updatedcost", "updatedvalue")
"""The "Updated" column of a value group: known, and not read (the tool uprates with its own
deflators), so never listed among the columns ignored."""


def import_workbook(path: str) -> ImportResult:
    """Read the GMCA Unit Cost Database workbook at ``path`` into unit costs.

    Every theme sheet is read even when another has problems; a sheet that lacks a header
    gives ``Problem`` records and no costs; a theme sheet missing is a note.
    """
    data, refused = input_files.open_workbook(path, input_files.COST_WORKBOOK, input_files.COST_BOUNDS)
    if data is None:
        return _failed(refused)
    workbook, problem = _load(path, data)
    if workbook is None:
        return _failed(problem)
    try:
        return _import(path, data, workbook)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, SyntaxError, OverflowError) as error:
        # the formulas' read-only look parses sheets as it reads them: a damaged cell (a
        # 5,000-digit number, a month 13) is met here, not when the workbook is opened
        return _failed(_unreadable(path, error))
    finally:
        workbook.close()


def _failed(problem: Problem) -> ImportResult:
    return ImportResult(costs=[], sheets=[], skipped=[], dropped_values=[], problems=[problem])


def _unreadable(path: str, error: Exception) -> Problem:
    return Problem(code="unreadable-workbook", file=path, message=f"cannot read the workbook: {error}",
                   hint="save it from Excel as an .xlsx workbook")


def _sheet_names(workbook) -> dict[str, str]:
    """Each worksheet's name as the import names it (in problems, the summary, notes), and its
    title in the workbook: its own title, or from its place when the title is blank (``Sheet 4``,
    its tab's position; ``Sheet 4 (blank name)`` if another sheet is titled ``Sheet 4``)."""
    names: dict[str, str] = {}
    for sheet in workbook.worksheets:
        name = sheet.title
        if not name.strip():
            name = f"Sheet {workbook.sheetnames.index(sheet.title) + 1}"
            if name in workbook.sheetnames:
                name += " (blank name)"
        names[name] = sheet.title
    return names


def _theme_sheets(sheet_rows: dict[str, list[tuple]], titles: dict[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(sheet name, theme) of each theme sheet in workbook order: a v1.4 theme by its trimmed
    name, or any other sheet whose top rows carry the cost table's headers (named as trimmed, or
    as ``_sheet_names`` names it from its place when its title is blank); and a note for each
    sheet named from its place. ``sheet_rows`` and ``titles`` are by the names ``_sheet_names`` gives."""
    themes_by_key = {_normalise(theme): theme for theme in THEMES}
    found, notes = [], []
    for name, rows in sheet_rows.items():
        theme = themes_by_key.get(_normalise(name))
        if theme is None and _has_cost_table(rows):
            theme = " ".join(name.split())
            if not titles[name].strip():
                notes.append(f"{name[0].lower() + name[1:]} has a blank name ('{titles[name]}'): it is called "
                             f"'{name}' here and its costs take the theme '{theme}'")
        if theme is not None:
            found.append((name, theme))
    return found, notes


def _one_sheet_per_theme(path: str, themes: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[Problem]]:
    """The theme sheets with one sheet per theme, and a problem for each further sheet of a theme
    already found (``Crime`` and ``Crime ``: names that differ only in spaces or capitals), which
    is not read: its costs would otherwise be merged silently into the first sheet's theme."""
    first: dict[str, str] = {}
    kept, problems = [], []
    for name, theme in themes:
        if theme.casefold() in first:
            problems.append(Problem(
                code="duplicate-theme-sheet", file=path, where=name,
                message=f"the sheets '{first[theme.casefold()]}' and '{name}' are both the theme {theme} (their names "
                        "differ only in spaces or capitals): their costs would be merged into one theme",
                hint="delete the sheet not to import, or rename it so that its name says its own theme"))
            continue
        first[theme.casefold()] = name
        kept.append((name, theme))
    return kept, problems


def _not_a_workbook(path: str, sheetnames: list[str]) -> Problem:
    own = ", ".join(f"'{name}'" for name in sheetnames) or "none"
    return Problem(code="not-a-unit-cost-workbook", file=path,
                   message=f"this is not a GMCA Unit Cost Database workbook: its sheets are {own}",
                   hint=f"import the database workbook, whose theme sheets are {', '.join(THEMES)}, "
                        "each with a 'Cost code' column")


def _missing_theme_notes(themes: list[tuple[str, str]]) -> list[str]:
    """A note for each v1.4 theme the workbook has no sheet for (its costs are not imported)."""
    present = {theme for _, theme in themes}
    return [f"no sheet named '{theme}': this edition has no {theme} costs, or the sheet was renamed"
            for theme in THEMES if theme not in present]


def _load(path: str, data: io.BytesIO, read_only: bool = False) -> tuple[openpyxl.Workbook | None, Problem | None]:
    """The workbook ``data`` (checked by ``input_files.open_workbook``) opened: whole, with stored
    formula results and the notes on cells; or, with ``read_only``, streaming, with formulas as
    written. None and a problem if it cannot be read."""
    warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")  # (not for users)
    try:
        return openpyxl.load_workbook(io.BytesIO(data.getvalue()), read_only=read_only,
                                      data_only=not read_only), None
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, SyntaxError, OverflowError,
            openpyxl.utils.exceptions.InvalidFileException) as error:
        return None, _unreadable(path, error)


@dataclasses.dataclass
class _Sheet:
    """One sheet as read: its rows of values (from row 1, ``READ_COLUMNS`` at most), and the
    notes on its cells by row: (cell, text) each."""

    rows: list[tuple]
    notes: dict[int, list[tuple[str, str]]]


class _TooLarge(Exception):
    """Reading a sheet would make more than ``READ_CELLS`` cells across the workbook."""


class _Reader:
    """Reads sheets of the workbook opened whole, counting the cells made against ``READ_CELLS``."""

    def __init__(self, workbook, titles: dict[str, str]):
        self.workbook = workbook
        self.titles = titles
        """Each sheet's title by its name (``_sheet_names``)."""
        self.cells = 0

    def read(self, name: str, last_row: int) -> _Sheet:
        """Rows 1 to ``last_row`` of the sheet named ``name``, values and cell notes in one pass."""
        sheet = self.workbook[self.titles[name]]
        last_row, columns = max(1, min(last_row, sheet.max_row)), max(1, min(READ_COLUMNS, sheet.max_column))
        self.cells += last_row * columns
        if self.cells > READ_CELLS:
            raise _TooLarge(name, last_row, columns)
        rows: list[tuple] = []
        notes: dict[int, list[tuple[str, str]]] = {}
        for cells in sheet.iter_rows(min_row=1, max_row=last_row, max_col=columns):
            rows.append(tuple(cell.value for cell in cells))
            for cell in cells:
                if cell.comment is not None and cell.comment.text:
                    notes.setdefault(cell.row, []).append((cell.coordinate, cell.comment.text))
        return _Sheet(rows, notes)


def _too_large(path: str, error: _TooLarge) -> Problem:
    name, rows, columns = error.args
    return Problem(code="workbook-too-large", file=path, where=name,
                   message=f"the sheet '{name}' runs to row {rows:,} and column {columns}: reading it would take "
                           f"the cells read past {READ_CELLS:,}",
                   hint="a GMCA theme sheet has a few hundred rows: delete the rows below the cost table")


def _read_sheets(workbook, titles: dict[str, str]) -> tuple[dict[str, _Sheet], list[tuple[str, str]], list[str]]:
    """Every worksheet's top rows, and every theme sheet whole, by name (``_sheet_names``); the
    theme sheets and their themes; notes on sheets named from their place. Raises ``_TooLarge``."""
    reader = _Reader(workbook, titles)
    sheets = {name: reader.read(name, TOP_ROWS) for name in titles}
    themes, notes = _theme_sheets({name: sheet.rows for name, sheet in sheets.items()}, titles)
    for name, _ in themes:
        sheet = workbook[titles[name]]
        if sheet.max_row > TOP_ROWS:
            reader.cells -= len(sheets[name].rows) * max(1, min(READ_COLUMNS, sheet.max_column))
            sheets[name] = reader.read(name, sheet.max_row)
    return sheets, themes, notes


def _import(path: str, data: io.BytesIO, workbook) -> ImportResult:
    """Read every theme sheet, then settle agency spellings, parents and transfers across the
    workbook. Sheets are named as ``_sheet_names`` names them throughout."""
    titles = _sheet_names(workbook)
    try:
        sheets, themes, notes = _read_sheets(workbook, titles)
    except _TooLarge as error:
        return _failed(_too_large(path, error))
    if not themes:
        return _failed(_not_a_workbook(path, list(titles)))
    themes, problems = _one_sheet_per_theme(path, themes)
    notes = _missing_theme_notes(themes) + notes
    tables: dict[str, tuple[int, dict[str, int]]] = {}  # each theme sheet read: its header row, its columns
    ignored: list[IgnoredColumn] = []
    for name, _ in themes:
        header_row, columns, header_problems, sheet_ignored = _find_columns(path, name, sheets[name].rows)
        problems.extend(header_problems)
        if not header_problems:
            tables[name] = (header_row, columns)
            ignored.extend(sheet_ignored)
    formulas, formula_problem = _formula_cells(path, data, tables, titles)
    if formula_problem is not None:
        return _failed(formula_problem)
    codes_at = _codes_at(sheets, tables, formulas)
    costs: list[models.UnitCost] = []
    counts: list[SheetCount] = []
    skipped: list[SkippedRow] = []
    dropped: list[DroppedValue] = []
    placed: list[PlacedCode] = []
    places: dict[str, tuple[str, int]] = {}
    taken = set(codes_at)  # codes in capitals: every theme sheet's, and those given from places
    for name, theme in themes:
        if name not in tables:
            continue
        header_row, columns = tables[name]
        read = imported = 0
        above = ""
        for number, cells in enumerate(sheets[name].rows[header_row + 1:], start=header_row + 2):
            record = {field: _cell(cells, index) for field, index in columns.items()}
            if all(value is None or value == "" for value in record.values()):
                continue
            read += 1
            too_long = _too_long_problems(path, name, number, record, columns)
            if too_long:
                problems.extend(too_long)
                continue
            invisible = _invisible_note(name, number, columns["code"], record.get("code"))
            if invisible:
                notes.append(invisible)
            refused = _code_cell_problem(path, name, number, columns["code"], record.get("code"),
                                         (name, number, "code") in formulas, codes_at)
            if refused is not None:
                problems.append(refused)
                continue
            if not _clean_code(record.get("code")) and _is_cost_row(record):
                code = _code_from_place(above)
                if not code or code.upper() in taken:
                    skipped.append(SkippedRow(sheet=name, row=number, code=code, reason=NO_PLACE))
                    if code:
                        other_sheet, other_row, _ = codes_at.get(code.upper(), (*places.get(code, ("", 0)), ""))
                        notes.append(f"{name} row {number}: the code cell is blank and its place gives {code}, which "
                                     f"is {other_sheet} row {other_row}'s code: not imported (give the row its code)")
                    continue
                record["code"] = code
                taken.add(code.upper())
                placed.append(PlacedCode(sheet=name, row=number, code=code, after=above))
            above = _clean_code(record.get("code")) or above
            cost, skip, row_dropped = _read_row(name, theme, number, record, places)
            dropped.extend(row_dropped)
            if skip is not None:
                skipped.append(skip)
                continue
            places[cost.code] = (name, number)
            costs.append(cost)
            rag_note = _rag_note(name, number, cost.code, columns["rag"], record.get("rag"))
            if rag_note:
                notes.append(rag_note)
            imported += 1
        counts.append(SheetCount(sheet=name, read=read, imported=imported))
    costs = _link_parents(_normalise_agencies(costs))
    cell_notes = {(name, row): found for name in tables for row, found in sheets[name].notes.items()}
    transfers, unrecognised, transfer_notes = _transfers(costs, places, cell_notes)
    marked = {mark.code for mark in transfers}
    edition, found_in, edition_problem = _edition(path, {name: sheet.rows for name, sheet in sheets.items()})
    if edition_problem is not None:
        problems.append(edition_problem)
    costs = [cost.model_copy(update={"transfer": cost.code in marked, "edition": edition}) for cost in costs]
    dropped = [value.model_copy(update={"reason": NO_STORED_RESULT})
               if value.reason == NO_AMOUNT and (value.sheet, value.row, f"{value.value_type}_amount") in formulas
               else value for value in dropped]
    problems.extend(_unstored_formula_problems(path, dropped))
    if not edition:
        notes.append("no edition found: the Introduction sheet names none (e.g. 'Unit Cost Database (v.1.4)') "
                     "and no sheet is named like 'v1.4 update log'")
    return ImportResult(costs=costs, sheets=counts, skipped=skipped, dropped_values=dropped, problems=problems,
                        placed_codes=placed, transfers=transfers, unrecognised=unrecognised, edition=edition,
                        edition_found_in=found_in, notes=notes + transfer_notes, ignored_columns=ignored)


def _formula_cells(path: str, data: io.BytesIO, tables: dict[str, tuple[int, dict[str, int]]],
                   titles: dict[str, str]) -> tuple[set[tuple[str, int, str]], Problem | None]:
    """(sheet, row, field) of each code and amount cell of the theme sheets that holds a formula,
    from a streaming read-only look at the formulas as written (the workbook opened whole has
    only their stored results). Only columns up to the last of those fields are read. Sheets are
    by name, and ``titles`` gives each name's title (``_sheet_names``)."""
    workbook, problem = _load(path, data, read_only=True)
    if workbook is None:
        return set(), problem
    found: set[tuple[str, int, str]] = set()
    try:
        for name, (header_row, columns) in tables.items():
            wanted = {field: index for field, index in columns.items()
                      if field == "code" or field.endswith("_amount")}
            sheet = workbook[titles[name]]
            sheet.reset_dimensions()  # (its stored dimensions may be wrong)
            for number, cells in enumerate(sheet.iter_rows(min_row=header_row + 2, max_col=max(wanted.values()) + 1,
                                                            values_only=True), start=header_row + 2):
                found.update((name, number, field) for field, index in wanted.items()
                             if isinstance(_cell(cells, index), str) and _cell(cells, index).startswith("="))
    finally:
        workbook.close()
    return found, None


def _codes_at(sheets: dict[str, _Sheet], tables: dict[str, tuple[int, dict[str, int]]],
              formulas: set[tuple[str, int, str]]) -> dict[str, tuple[str, int, str]]:
    """Every code written in a code cell of the theme sheets, in capitals, and where it is first
    written and how: (sheet, row, code). Cells that are not codes (formulas, numbers) are left out."""
    found: dict[str, tuple[str, int, str]] = {}
    for name, (header_row, columns) in tables.items():
        for number, cells in enumerate(sheets[name].rows[header_row + 1:], start=header_row + 2):
            raw = _cell(cells, columns["code"])
            code = _clean_code(raw)
            if code and isinstance(raw, str) and (name, number, "code") not in formulas \
                    and not code.startswith(FORMULA_LOOKALIKE):
                found.setdefault(code.upper(), (name, number, code))
    return found


def _code_cell_problem(path: str, sheet: str, number: int, index: int, raw, formula: bool,
                       codes_at: dict[str, tuple[str, int, str]]) -> Problem | None:
    """Why a code cell holds no code (a formula, a number, text starting like a formula, or a code
    an earlier row spells with other capitals), as a problem naming the sheet, row and cell."""
    cell = f"{openpyxl.utils.get_column_letter(index + 1)}{number}"
    code = _clean_code(raw)

    def refuse(why: str, problem_code: str = "bad-cost-code",
               hint: str = "type the cost code as text, e.g. CR1.0") -> Problem:
        return Problem(code=problem_code, file=path, where=f"{sheet}: row {number}: {cell}",
                       message=f"the cost code cell {cell} {why}", hint=hint)

    if formula:
        return refuse("holds a formula, not a code")
    if raw is not None and not isinstance(raw, str):
        kind = "date" if isinstance(raw, (datetime.date, datetime.time, datetime.timedelta)) else "number"
        return refuse(f"holds a {kind} ({shown(str(raw))}), not a code")
    if code.startswith(FORMULA_LOOKALIKE):
        return refuse(f"starts with '{code[0]}', as a formula does: '{shown(code)}' is not a code")
    first = codes_at.get(code.upper())
    if first is not None and first[2] != code:
        return refuse(f"holds {code}, which {first[0]} row {first[1]} spells {first[2]}: codes that differ only in "
                      "capitals are one code", "duplicate-cost-code",
                      "spell the code one way, or give one of the rows another code")
    return None


def _cell(cells: tuple, index: int):
    return cells[index] if index < len(cells) else None


# --- headers -----------------------------------------------------------------------------------


def _normalise(text) -> str:
    """Header or sheet name reduced to lower-case letters and digits (``&`` read as ``and``)."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").casefold().replace("&", "and"))


def _matches(header: str, aliases: tuple[str, ...]) -> bool:
    """Whether a normalised header is one of ``aliases`` whole (never by its start)."""
    return bool(header) and header in aliases


def _find_columns(path: str, sheet: str,
                  rows: list[tuple]) -> tuple[int, dict[str, int], list[Problem], list[IgnoredColumn]]:
    """Locate the header rows and every column; return the index of the second header row, the
    columns by field, the problems (``missing-header``, ``ambiguous-header``: two columns that
    both fit one field) and the headed columns no field reads.

    The first header row is the first of the top rows that names at least three known
    columns (row 1 in every known version); the second header row is the one below it.
    """
    first = _header_row(rows)
    top_cells = rows[first] if first < len(rows) else ()
    sub_cells = rows[first + 1] if first + 1 < len(rows) else ()
    top = [_normalise(value) for value in top_cells]
    sub = [_normalise(value) for value in sub_cells]
    groups = _carry_forward(top)
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    missing_groups: set[str] = set()
    for column in _COLUMNS:
        indices = _column_indices(column, top, sub, groups)
        if len(indices) > 1:
            problems.append(_ambiguous(path, sheet, first, column, indices))
            continue
        if indices:
            columns[column.field] = indices[0]
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
    ignored = _ignored_columns(sheet, top_cells, sub_cells, groups, sub, set(columns.values()))
    return first + 1, columns, problems, ignored


def _ambiguous(path: str, sheet: str, first: int, column: _Column, indices: list[int]) -> Problem:
    """Two or more columns of a sheet whose headers both fit one field: which one to read is not
    guessed."""
    row = first + 2 if column.sub_aliases else first + 1
    cells = [f"{openpyxl.utils.get_column_letter(index + 1)}{row}" for index in indices]
    header = f"{column.label} / {column.sub_label}" if column.sub_aliases else column.label
    return Problem(code="ambiguous-header", file=path, where=f"{sheet}: row {row}: {header}",
                   message=f"the cells {' and '.join(cells)} of sheet '{sheet}' are both headed as '{header}': "
                           "which column holds it is not guessed",
                   hint=f"rename or delete the column that is not the '{header}' of this edition")


def _ignored_columns(sheet: str, top_cells: tuple, sub_cells: tuple, groups: list[str], sub: list[str],
                     used: set[int]) -> list[IgnoredColumn]:
    """Every column with header text that no field reads, but a value group's known "Updated"
    column; a row-1 header carried over blank cells counts only with a row-2 header below."""
    ignored: list[IgnoredColumn] = []
    group_text = ""
    for index in range(max(len(top_cells), len(sub_cells))):
        own, below = _one_line(_cell(top_cells, index)), _one_line(_cell(sub_cells, index))
        group_text = own or group_text
        if index in used or not (own or below):
            continue
        in_value_group = any(_matches(groups[index] if index < len(groups) else "", column.aliases)
                             for column in _COLUMNS if column.field.endswith("_amount"))
        if in_value_group and _matches(_cell(sub, index) or "", _UPDATED_VALUE):
            continue
        header = " / ".join(part for part in (group_text, below) if part) if below else own
        ignored.append(IgnoredColumn(sheet=sheet, column=openpyxl.utils.get_column_letter(index + 1), header=header))
    return ignored


def _header_row(rows: list[tuple]) -> int:
    """Index of the first of the top rows naming at least three known columns, else 0."""
    top_aliases = {alias for column in _COLUMNS for alias in column.aliases}
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        headers = [_normalise(value) for value in row]
        if sum(1 for header in headers if _matches(header, tuple(top_aliases))) >= 3:
            return index
    return 0


def _has_cost_table(rows: list[tuple]) -> bool:
    """Whether one of the top rows names a 'Cost code' column and at least two other known ones."""
    top_aliases = tuple(alias for column in _COLUMNS for alias in column.aliases)
    for row in rows[:_HEADER_SEARCH_ROWS]:
        headers = [_normalise(value) for value in row]
        if any(_matches(header, ("costcode",)) for header in headers) \
                and sum(1 for header in headers if _matches(header, top_aliases)) >= 3:
            return True
    return False


def _carry_forward(top: list[str]) -> list[str]:
    """Row-1 header each column sits under: a merged header spans the blank cells to its right."""
    groups: list[str] = []
    current = ""
    for header in top:
        current = header or current
        groups.append(current)
    return groups


def _column_indices(column: _Column, top: list[str], sub: list[str], groups: list[str]) -> list[int]:
    """Every column whose header is one the field accepts (two or more: ambiguous)."""
    if not column.sub_aliases:
        return [i for i, header in enumerate(top) if _matches(header, column.aliases)]
    return [i for i, group in enumerate(groups)
            if _matches(group, column.aliases) and i < len(sub) and _matches(sub[i], column.sub_aliases)]


# --- rows --------------------------------------------------------------------------------------


def _read_row(sheet: str, theme: str, number: int, record: dict,
              seen_codes: collections.abc.Container) -> tuple[models.UnitCost | None, SkippedRow | None,
                                                               list[DroppedValue]]:
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


def _is_cost_row(record: dict) -> bool:
    """Whether a row without a code is a cost (a description and an amount), not a heading or
    the drop-down lists under the table."""
    return bool(_one_line(record.get("description"))) \
        and any(not _blank(record.get(f"{kind}_amount")) for kind in VALUE_TYPES)


def _code_from_place(above: str) -> str:
    """The next constituent of the code above: ``CR8.0`` -> ``CR8.0.1``, ``CR2.0.3`` ->
    ``CR2.0.4``; ``""`` with no code above."""
    if not above:
        return ""
    segments = above.split(".")
    if len(segments) >= 3 and segments[-1].isdigit():
        return ".".join([*segments[:-1], str(int(segments[-1]) + 1)])
    return f"{above}.1"


def _clean_code(value) -> str:
    """Cost code without any whitespace or invisible character: ``' HE 1.0 '`` becomes
    ``HE1.0``, and a zero-width space (or any format character, Unicode category Cf) is taken
    out wherever a code cell is read."""
    return "".join(character for character in _text(value) if not _invisible(character))


def _invisible(character: str) -> bool:
    """Whether a character of a code cell shows as nothing: whitespace (a no-break space among
    them) or a format character (zero-width space, zero-width joiner, byte order mark, soft hyphen)."""
    return character.isspace() or unicodedata.category(character) == "Cf"


def _invisible_note(sheet: str, number: int, index: int, raw) -> str:
    """A note naming the code cell and the characters taken out of it, when it held any that are
    not plain spaces (those are stray spacing, common in GMCA's own workbooks); else ``""``."""
    if not isinstance(raw, str):
        return ""
    found = list(dict.fromkeys(character for character in raw
                               if _invisible(character) and character not in " \t\n\r"))
    if not found:
        return ""
    names = ", ".join(f"U+{ord(character):04X} {unicodedata.name(character, 'unnamed')}" for character in found)
    return (f"{sheet} row {number}: the code cell {openpyxl.utils.get_column_letter(index + 1)}{number} holds "
            f"invisible characters ({names}): taken out, the code read as {_clean_code(raw) or 'blank'}")


def _rag_note(sheet: str, number: int, code: str, index: int, raw) -> str:
    """A note naming the RAG cell when it holds something not a rating, and what it was taken as."""
    if _blank(raw) or _rag(raw):
        return ""
    return (f"{sheet} row {number} {code}: the RAG rating cell {openpyxl.utils.get_column_letter(index + 1)}{number} "
            f"holds '{shown(_one_line(raw))}', not G, A or R (Green, Amber, Red): taken as no rating, which is "
            "graded as the least sure")


_WRITTEN_TEXT = ("code", "category", "outcome_detail", "description", "unit", "agency_1", "agency_2", "source",
                 "rag", "comment")
"""The fields read as text and written to the table as they are read."""


def _too_long_problems(path: str, sheet: str, number: int, record: dict, columns: dict[str, int]) -> list[Problem]:
    """``text-too-long`` for each text cell of a row longer than the unit cost table's loader
    takes (``unit_costs.TEXT_LIMIT``), naming the sheet and cell: never written to a table the
    tool would then refuse to read."""
    problems = []
    for field in _WRITTEN_TEXT:
        if field not in columns:
            continue
        value = record.get(field)
        text = _clean_code(value) if field == "code" else _paragraphs(value) if field == "comment" else _one_line(value)
        if len(text) > unit_costs.TEXT_LIMIT:
            cell = f"{openpyxl.utils.get_column_letter(columns[field] + 1)}{number}"
            problems.append(Problem(
                code="text-too-long", file=path, where=f"{sheet}: row {number}: {cell}",
                message=f"the {field} cell {cell} is {len(text):,} characters long: a unit cost table holds at most "
                        f"{unit_costs.TEXT_LIMIT:,} in a cell",
                hint="shorten the cell in the workbook (a GMCA cell holds a few hundred characters at most)"))
    return problems


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

    A value is kept to ``SIGNIFICANT_DIGITS`` at most (``significant``): a float's last digits
    are noise that a re-save changes (``1719.0588235294117`` and ``1719.058823529412``).
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
    return significant(amount)


SIGNIFICANT_DIGITS = 15
"""Significant digits a value is imported with, and ``costs diff`` compares at: all a float
holds for certain (a workbook's computed values, ``=29249/17``, carry 16 or 17 that a re-save moves)."""


def significant(amount: Decimal) -> Decimal:
    """``amount`` as the shortest float text of it rounded to ``SIGNIFICANT_DIGITS`` digits
    (half even, as a float is formatted): ``1719.0588235294117`` -> ``1719.05882352941``; an
    amount with fewer digits as it is (``2470.0``, ``1171.50``)."""
    if len(amount.as_tuple().digits) <= SIGNIFICANT_DIGITS:
        return amount
    rounded = decimal.Context(prec=SIGNIFICANT_DIGITS, rounding=decimal.ROUND_HALF_EVEN).plus(amount)
    return Decimal(repr(float(rounded)))


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


# --- transfers --------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_PART_BY_AMOUNT = re.compile(r"£\s*(\d[\d,]*(?:\.\d+)?)\s+fiscal\s+(?:benefit|saving)", re.IGNORECASE)
"""``the £9,234 fiscal benefit to DWP should be excluded``: the part whose fiscal value it is."""
_PART_BY_NAME = re.compile(r"fiscal\s+(?:benefit|saving)\s+from\s+(.+?)\s+should\s+be\s+excluded", re.IGNORECASE)
"""``the fiscal saving from benefits payments should be excluded``: the part whose detail names it."""


_TRANSFER = re.compile(r"\bfiscal\s+(?:saving|benefit)\b[^.;]*?\bshould\s+be\s+excluded\s*,?\s+as\s+(?:this|it)\s+"
                       r"is\s+(?:effectively\s+)?a\s+transfer\s+payment\b", re.IGNORECASE)
"""The wording of the v1.4 statements (12 costs): ``the fiscal saving [from benefits payments]
should be excluded, as this is effectively a transfer payment`` (comments); ``the [£9,234]
fiscal benefit to DWP should be excluded, as it is a transfer payment`` (notes on cells)."""
_NEGATION = re.compile(r"\b(?:not|no|never|nor|neither|cannot|no\s+longer)\b|n't\b|n’t\b", re.IGNORECASE)
"""A sentence saying this may be negated ("should not be excluded"): it marks nothing."""
_MENTION = re.compile(r"\btransfers?\b|\bpublic\s+value\b|\bbenefits?\s+payments?\b"
                      r"|\bexclu\w*\b.*\bbenefits?\b|\bbenefits?\b.*\bexclu", re.IGNORECASE)
"""A sentence that speaks of transfers, of public value, of benefit payments (a transfer the
workbook may not name as one: Housing Benefit, worklessness benefits), or of benefits and
excluding together: listed for a person to check when not recognised (``transferring`` and
``transferability`` are other words)."""
_STATEMENT = re.compile(r"\btransfers?\b|\bexclu", re.IGNORECASE)
"""Beside a recognised statement, only a sentence with these words is listed: the others of its
comment (``Total public value is £443``) restate it."""


def _transfer_sentences(text: str) -> tuple[list[str], list[str]]:
    """The sentences of a comment saying, in the workbook's words and without a negation, that a
    fiscal value is to be left out as a transfer payment; and the other sentences that speak of
    transfers, public value or benefit payments (not recognised: a person should read them)."""
    recognised, unrecognised = [], []
    for sentence in _SENTENCE_END.split(_one_line(text)):
        if _TRANSFER.search(sentence) and not _NEGATION.search(sentence):
            recognised.append(sentence)
        elif _MENTION.search(sentence):
            unrecognised.append(sentence)
    if recognised:
        unrecognised = [sentence for sentence in unrecognised if _STATEMENT.search(sentence)]
    return recognised, unrecognised


def _transfer_targets(sentence: str, cost: models.UnitCost,
                      parts: list[models.UnitCost]) -> tuple[list[models.UnitCost], str]:
    """The costs a transfer sentence on ``cost`` marks: ``cost`` itself, or the constituents
    matching the part it names; and the words naming the part ("" when it names none)."""
    by_amount, by_name = _PART_BY_AMOUNT.search(sentence), _PART_BY_NAME.search(sentence)
    if by_amount is None and by_name is None:
        return [cost], ""
    amount = Decimal(by_amount.group(1).replace(",", "")) if by_amount else None
    if amount is not None and cost.fiscal is not None and cost.fiscal.amount == amount:
        return [cost], by_amount.group(0)

    def named(part: models.UnitCost) -> bool:
        if amount is not None:
            return part.fiscal is not None and part.fiscal.amount == amount
        return by_name.group(1).casefold() in part.description.casefold()

    return [part for part in parts if named(part)], (by_amount or by_name).group(0)


def _transfers(costs: list[models.UnitCost], places: dict[str, tuple[str, int]],
               cell_notes: dict[tuple[str, int], list[tuple[str, str]]]
               ) -> tuple[list[TransferMark], list[TransferMention], list[str]]:
    """Every cost the workbook's comments and cell notes mark as a transfer; every sentence on
    transfers not recognised; and a note for each statement naming a part that none of the
    cost's constituents matches."""
    parts: dict[str, list[models.UnitCost]] = collections.defaultdict(list)
    for cost in costs:
        if cost.parent:
            parts[cost.parent].append(cost)
    marks: list[TransferMark] = []
    unrecognised: list[TransferMention] = []
    notes: list[str] = []
    for cost in costs:
        sheet, row = places[cost.code]
        sources = [("comment", cost.comment)] + [
            (f"note on {coordinate}", text) for coordinate, text in cell_notes.get((sheet, row), [])]
        for where, text in sources:
            sentences, others = _transfer_sentences(text)
            unrecognised.extend(TransferMention(code=cost.code, sheet=sheet, row=row, where=where, text=sentence)
                                for sentence in others)
            for sentence in sentences:
                targets, part = _transfer_targets(sentence, cost, parts[cost.code])
                if not targets:
                    notes.append(f"{sheet} row {row} {cost.code} ({where}) names '{part}' as a transfer, and no "
                                 f"constituent of {cost.code} matches it: nothing marked")
                marks.extend(TransferMark(code=target.code, said_by=cost.code, sheet=sheet, row=row, where=where,
                                          text=sentence) for target in targets)
    return marks, unrecognised, notes


# --- edition -----------------------------------------------------------------------------------

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_VERSION = re.compile(r"\bv(?:ersion)?\s*\.?\s*(\d+(?:\.\d+)+)", re.IGNORECASE)
"""``(v.1.4)``, ``v2.3``, ``Version 3.0``."""
_TITLE_VERSION = re.compile(r"\bunit\s+cost\s+database\W{0,5}v(?:ersion)?\s*\.?\s*(\d+(?:\.\d+)+)", re.IGNORECASE)
"""The title's version: ``Unit Cost Database (v.1.4)``, ``Unit Cost Database Version 2.3``."""
_UPDATED = re.compile(rf"\b(?:updated|published|released)\s+(?:in\s+|on\s+)?({_MONTHS})\s+(\d{{4}})\b",
                      re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b({_MONTHS})\s+(\d{{4}})\b", re.IGNORECASE)
_FIRST_EDITION = re.compile(r"\b(?:first|originally|initially)\s+$", re.IGNORECASE)
"""Before "published": the date is the first edition's ("First published in March 2011"), not this one's."""
_INTRODUCTION_ROWS = 40
_TITLE_CELLS = 2
"""The Introduction's first text cells, where its title is (and a version line under it): a
later sentence naming the database with an older version ("Unlike the Unit Cost Database v2.3")
is not the title."""
VERSION_LIMIT = 20
"""Longest version number read (``1.4``, ``2.3.1``): a longer one is a damaged cell, refused
rather than written into every row of the table."""


def _edition(path: str, sheet_rows: dict[str, list[tuple]]) -> tuple[str, str, Problem | None]:
    """The edition and its date (``v1.4 (March 2015)``) and where they were read, from the
    Introduction sheet's text, else the version in an update log's sheet name; blank if neither.

    The version is the title's (``Unit Cost Database (v.1.4)``), else the highest the text names
    (``Changes from v.2.3 ... (this is v3.0)`` is v3.0). The date is the one after "Updated",
    "published" or "released" (not "first published") nearest a mention of that version, else
    the latest month and year named. A version longer than ``VERSION_LIMIT`` is a problem naming its cell."""
    for name, rows in sheet_rows.items():
        if not _normalise(name).startswith("introduction"):
            continue
        cells = [(f"{openpyxl.utils.get_column_letter(column + 1)}{row + 1}", _one_line(value))
                 for row, values in enumerate(rows[:_INTRODUCTION_ROWS])
                 for column, value in enumerate(values) if isinstance(value, str)]
        text = "\n".join(value for _, value in cells)
        mentions = list(_VERSION.finditer(text))
        for mention in mentions:
            if len(mention.group(1)) > VERSION_LIMIT:
                return "", "", _long_version(path, name, cells, mention.start())
        version = _chosen_version("\n".join(value for _, value in cells[:_TITLE_CELLS]), mentions)
        if version:
            date = _edition_date(text, [mention for mention in mentions if mention.group(1) == version])
            return f"v{version}" + (f" ({date})" if date else ""), f"the '{name}' sheet", None
    for name in sheet_rows:
        version = _VERSION.search(name)
        if "updatelog" in _normalise(name) and version:
            return f"v{version.group(1)}", f"the sheet name '{name}'", None
    return "", "", None


def _chosen_version(title_text: str, mentions: list[re.Match]) -> str:
    """The title's version (in ``title_text``, the sheet's first cells), else the highest version
    named; ``""`` for none."""
    title = _TITLE_VERSION.search(title_text)
    if title:
        return title.group(1)
    if not mentions:
        return ""
    return max((mention.group(1) for mention in mentions),
               key=lambda version: tuple(int(part) for part in version.split(".")))


def _edition_date(text: str, mentions: list[re.Match]) -> str:
    """``November 2025``: the "Updated"/"published" date nearest a mention of the version, else
    the latest month named; ``""`` for none."""
    stated = [date for date in _UPDATED.finditer(text) if not _FIRST_EDITION.search(text, 0, date.start())]
    if stated and mentions:
        def distance(date: re.Match) -> int:
            return min(max(date.start() - mention.end(), mention.start() - date.end(), 0) for mention in mentions)
        nearest = min(stated, key=distance)
        return f"{nearest.group(1).title()} {nearest.group(2)}"
    months = [month.casefold() for month in _MONTHS.split("|")]
    dated = list(_MONTH_YEAR.finditer(text))
    if not dated:
        return ""
    latest = max(dated, key=lambda date: (int(date.group(2)), months.index(date.group(1).casefold())))
    return f"{latest.group(1).title()} {latest.group(2)}"


def _long_version(path: str, sheet: str, cells: list[tuple[str, str]], offset: int) -> Problem:
    """The cell holding a version too long to be one, found by its offset in the joined text."""
    for cell, value in cells:
        if offset <= len(value):
            break
        offset -= len(value) + 1
    return Problem(code="bad-edition", file=path, where=f"{sheet}: {cell}",
                   message=f"the cell {cell} names a version of more than {VERSION_LIMIT} characters: it would be "
                           "written as the edition of every cost",
                   hint="correct the version in the workbook's title, e.g. 'Unit Cost Database (v.3.0)'")


# --- the table written -------------------------------------------------------------------------

EDITION_COLUMN = "edition"
"""The column after the unit cost table's own (after ``transfer``, last): the edition each cost
was imported from, which the unit cost loader reads into ``UnitCost.edition`` and every report
names."""


def write_table(result: ImportResult, path: str) -> None:
    """Write the imported costs as a unit cost CSV (``unit_costs.COLUMNS``, ``transfer`` marked
    from the workbook) with the edition as a last column, atomically."""
    columns = [*unit_costs.COLUMNS, EDITION_COLUMN]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for cost in result.costs:
        writer.writerow({**unit_costs.escaped(unit_costs.to_row(cost)),
                         EDITION_COLUMN: spreadsheet_text.to_csv(result.edition)})
    storage.write_atomic(path, text.getvalue())


# --- summary -----------------------------------------------------------------------------------


def summary_lines(result: ImportResult) -> list[str]:
    """A plain-text account of the import: the edition, counts per sheet, codes taken from their
    place, every skipped row and value, the transfers marked and the notes.

    Consecutive skipped rows without a code (the drop-down lists under each table) share a line.
    Problems are not included: the command line reports them like any other problems.
    """
    lines = [f"Edition: {result.edition} (from {result.edition_found_in})" if result.edition
             else "Edition: not stated in the workbook"]
    lines.append("Rows read, imported and skipped per sheet:")
    for count in result.sheets:
        skipped = sum(1 for row in result.skipped if row.sheet == count.sheet)
        lines.append(f"  {count.sheet}: {count.read} read, {count.imported} imported, {skipped} skipped")
    total_read = sum(count.read for count in result.sheets)
    lines.append(f"  Total: {total_read} read, {len(result.costs)} imported, {len(result.skipped)} skipped")
    value_counts = ", ".join(
        f"{sum(1 for cost in result.costs if getattr(cost, kind) is not None)} {kind}" for kind in VALUE_TYPES)
    lines.append(f"Values imported: {value_counts}")
    if result.placed_codes:
        lines.append("Codes taken from their place (the code cell is blank):")
        lines.extend(f"  {placed.sheet} row {placed.row}: {placed.code}, the next constituent after {placed.after}"
                     for placed in result.placed_codes)
    if result.skipped:
        lines.append("Skipped rows:")
        lines.extend(f"  {line}" for line in _skipped_lines(result.skipped))
    if result.dropped_values:
        lines.append("Values left out:")
        lines.extend(f"  {value.sheet} row {value.row} {value.code}: {value.value_type} value: {value.reason}"
                     for value in result.dropped_values)
    if result.transfers:
        codes = sorted({mark.code for mark in result.transfers}, key=unit_costs.code_order)
        lines.append(f"Transfers (fiscal value left out of public value), {counted(len(codes), 'cost')}, "
                     "as the workbook says:")
        lines.extend(_transfer_lines(result.transfers))
    if result.unrecognised:
        lines.append(f"Comments on transfers, public value or benefit payments not recognised, "
                     f"{counted(len(result.unrecognised), 'sentence')}: "
                     "nothing marked from them; read each, and mark a transfer in the table by hand if it says so:")
        lines.extend(f"  {mention.sheet} row {mention.row} {mention.code} {mention.where}: \"{mention.text}\""
                     for mention in result.unrecognised)
    if result.ignored_columns:
        lines.append("Columns not read (no field has these headers; a column is read only when its whole header "
                     "is one the importer knows):")
        lines.extend(f"  {line}" for line in _ignored_lines(result.ignored_columns))
    if result.notes:
        lines.append("Notes:")
        lines.extend(f"  {note}" for note in result.notes)
    return lines


def _ignored_lines(ignored: list[IgnoredColumn]) -> list[str]:
    """One line per header ignored, naming each sheet and column it heads."""
    by_header: dict[str, list[str]] = {}
    for column in ignored:
        by_header.setdefault(column.header, []).append(f"{column.sheet} {column.column}")
    return [f"'{header}': {', '.join(places)}" for header, places in by_header.items()]


def _transfer_lines(marks: list[TransferMark]) -> list[str]:
    """One line per cost marked, then each statement marking it, quoted once per cost."""
    lines: list[str] = []
    for code in sorted({mark.code for mark in marks}, key=unit_costs.code_order):
        lines.append(f"  {code}")
        lines.extend(f"    {mark.sheet} row {mark.row} {mark.said_by} {mark.where}: \"{mark.text}\""
                     for mark in marks if mark.code == code)
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
