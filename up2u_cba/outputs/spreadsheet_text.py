"""Text that leaves the tool for a spreadsheet: never a formula, never a character it cannot hold.

The one place every workbook text cell and every CSV text field the tool writes goes through
(issue #9), and where the loaders find the characters a workbook cannot hold:

- ``put`` writes a value into a worksheet cell. A ``str`` is always a string cell, whatever it
  starts with (``=``, ``+``, ``-``, ``@``, a tab, ``#N/A``...); only a ``Formula`` becomes a
  formula. ``check_formulas`` runs before a workbook is saved and refuses (as a bug in the tool)
  any formula cell that was not written as a ``Formula``, so a plain ``str`` can never slip in as
  one through a forgotten ``sheet["A1"] = text``.
- Text a spreadsheet would read as a formula once a user edits the cell gets the cell's quote
  prefix (Excel's leading apostrophe), so it stays text then too.
- ``to_csv`` / ``from_csv`` apply and undo the OWASP CSV-injection escape (a leading ``'``) on
  text fields, so a CSV the tool writes is inert in a spreadsheet program and reads back as it was.
- ``control_characters`` / ``problems_in`` find the characters a workbook cannot hold (C0 controls
  except tab, newline and carriage return; DEL; C1 controls; lone surrogates; U+FFFE/U+FFFF), for
  the loaders to refuse at the door (``stored_in_workbook`` first decodes the ``_x000B_`` form a
  workbook stores them in); ``cell_text`` replaces any that got past them.

It imports no spreadsheet library: it works on the cells and workbooks the renderers hand it
(openpyxl's for the intake workbook; ``streamed_sheet``'s for the report, whose formula cells are
checked one by one as they are written out, ``check_written``).
"""

from __future__ import annotations

import datetime
import decimal
import re
import unicodedata
import weakref

from up2u_cba.problems import Problem

FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""Characters that make a spreadsheet program read what follows as a formula: the OWASP list
and the full-width forms that Excel folds to their ASCII twins."""
LEADING_BLANKS = " \t\r\n\u00a0\u3000"
"""What a spreadsheet program may skip before a formula's first character."""
ERROR_VALUES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
"""Text that openpyxl (and a spreadsheet, on editing) would take for an error value."""
REPLACEMENT = "\ufffd"

C0_NAMES = ("null", "start of heading", "start of text", "end of text", "end of transmission", "enquiry",
            "acknowledge", "bell", "backspace", "tab", "line feed", "vertical tab", "form feed",
            "carriage return", "shift out", "shift in", "data link escape", "device control 1",
            "device control 2", "device control 3", "device control 4", "negative acknowledge",
            "synchronous idle", "end of transmission block", "cancel", "end of medium", "substitute",
            "escape", "file separator", "group separator", "record separator", "unit separator")
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters refused in any text of any input: a workbook (XML 1.0) cannot hold C0 controls
other than tab, newline and carriage return, lone surrogates or U+FFFE/U+FFFF; DEL and the C1
controls are invisible, come only from mis-decoded or pasted text, and mean nothing in a note."""
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What an XML 1.0 document (so an .xlsx) cannot hold at all."""

_OOXML_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")
"""How a workbook stores a character XML cannot hold, e.g. ``_x000B_`` for a vertical tab."""

CODE = "control-character"
HINT = ("delete it and type the text again (it often comes with text pasted from Word, a PDF or "
        "another program)")


class Formula(str):
    """A formula the tool itself writes (``=SUM(B5:B9)``): the only value ``put`` makes a formula.
    ``result``: what it comes to, stored with it where the writer can (``streamed_sheet``).

    Never built from input text: input text reaches a formula only as a reference to the cell
    that holds it."""

    result: object = None

    def __new__(cls, text: str, result=None) -> Formula:
        if not text.startswith("="):
            raise ValueError(f"a formula starts with '=': {text!r}")
        formula = super().__new__(cls, text)
        if result is not None:
            formula.result = float(result)
        return formula


class StrayFormula(Exception):
    """A bug in the tool: a formula cell written other than as a ``Formula``."""


_FORMULAS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Worksheet -> (row, column) of the cells written as a ``Formula``."""


# --- workbook cells --------------------------------------------------------------------------

def put(sheet, row: int, column: int, value):
    """Write ``value`` into the cell and return the cell: a ``Formula`` as a formula, any other
    ``str`` as text (quote-prefixed where an edit would turn it into a formula), numbers, dates,
    booleans and None as they are."""
    cell = sheet.cell(row, column)
    if isinstance(value, Formula):
        cell.value = str(value)
        cell.data_type = "f"
        if value.result is not None and hasattr(cell, "result"):
            cell.result = value.result
        _FORMULAS.setdefault(sheet, set()).add((row, column))
        return cell
    if cell.data_type == "f":  # text over a formula: no longer one
        _FORMULAS.get(sheet, set()).discard((row, column))
    if value is None or isinstance(value, (bool, int, float, decimal.Decimal, datetime.date, datetime.time)):
        cell.value = value
        return cell
    text = cell_text(value if isinstance(value, str) else str(value))
    cell.value = text
    cell.data_type = "s"
    if reads_as_formula(text):
        cell.quotePrefix = True
    return cell


def put_at(sheet, coordinate: str, value):
    """``put`` by coordinate (``"B7"``)."""
    cell = sheet[coordinate]
    return put(sheet, cell.row, cell.column, value)


def check_formulas(workbook) -> None:
    """Refuse to go on if any formula cell of ``workbook`` was not written as a ``Formula``."""
    for sheet in workbook.worksheets:
        registered = _FORMULAS.get(sheet, set())
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" and (cell.row, cell.column) not in registered:
                    raise StrayFormula(f"{sheet.title}!{cell.coordinate} became a formula without being "
                                       f"written as one: write it with spreadsheet_text.put")


def check_written(sheet, cell) -> None:
    """Refuse to write out a formula cell of a ``streamed_sheet.Sheet`` that was not written as a
    ``Formula`` (the check ``check_formulas`` makes of a whole workbook, one cell at a time)."""
    registered = _FORMULAS.get(sheet, set())
    where = (cell.row, cell.column)
    if where not in registered:
        raise StrayFormula(f"{sheet.title}!{cell.coordinate} became a formula without being written as one: "
                           f"write it with spreadsheet_text.put")
    registered.discard(where)


def is_formula(cell) -> bool:
    """Whether the cell holds a formula (not text that merely starts with '=')."""
    return cell.data_type == "f"


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet program would take ``text``, typed into a cell, for a formula or an
    error value (leading blanks skipped)."""
    stripped = text.lstrip(LEADING_BLANKS)
    return stripped.startswith(FORMULA_STARTS) or stripped.upper() in ERROR_VALUES


def cell_text(text: str) -> str:
    """``text`` with every character a workbook cannot hold replaced by U+FFFD (the second line
    of defence, for text that got past validation), and line ends as a workbook reads them back
    (a carriage return becomes a newline)."""
    return _UNWRITABLE.sub(REPLACEMENT, text.replace("\r\n", "\n").replace("\r", "\n"))


def plain_text(text: str) -> str:
    """``text`` fit for text the workbook stores outside cells (chart titles, series names):
    unwritable characters replaced."""
    return cell_text(text)


# --- CSV fields ------------------------------------------------------------------------------

def needs_csv_escape(text: str) -> bool:
    """Whether a spreadsheet program opening a CSV would read the field ``text`` as a formula (a
    lone ``-``, the unit cost tables' "none", reads as text)."""
    if text == "-":
        return False
    return text[:1] in ("\t", "\r", "\n") or text.lstrip(LEADING_BLANKS).startswith(FORMULA_STARTS)


def _escaped_form(text: str) -> bool:
    """Text that would read as a formula, after any number of leading quotes."""
    return needs_csv_escape(text.lstrip("'"))


def to_csv(text: str) -> str:
    """A text field as written to CSV: prefixed with ``'`` when it would read as a formula (the
    OWASP advice), or when it already starts with quotes before such text (so that reading it
    back gives it as it was); characters no workbook can hold replaced, and a carriage return
    made a newline, as ``cell_text`` does (a CSV writer with newline line ends would leave a lone
    one unquoted)."""
    text = cell_text(text)
    return "'" + text if _escaped_form(text) else text


def from_csv(text: str) -> str:
    """A field as read from CSV: exactly the escape ``to_csv`` adds taken off again."""
    return text[1:] if text.startswith("'") and _escaped_form(text[1:]) else text


# --- characters refused at the door ----------------------------------------------------------

def control_characters(text: str) -> list[str]:
    """The distinct characters of ``text`` that no input text may hold, in order of appearance."""
    return list(dict.fromkeys(_REFUSED.findall(text)))


def may_give_refused(toml_text: str) -> bool:
    """Whether parsing ``toml_text`` could give text holding a refused character: only when it
    holds one itself, or an escape (``\\u000B``, ``\\b``) that makes one. When it cannot, the
    field-by-field look (``problems_in``) is left out: most files never need it."""
    return "\\" in toml_text or _REFUSED.search(toml_text) is not None


def describe(character: str) -> str:
    """``U+000B vertical tab``: how a refused character is named to the user."""
    point = ord(character)
    if point < 0x20:
        name = C0_NAMES[point]
    elif point == 0x7F:
        name = "delete"
    elif 0x80 <= point <= 0x9F:
        name = "C1 control character"
    elif 0xD800 <= point <= 0xDFFF:
        name = "lone surrogate (broken text encoding)"
    else:
        name = unicodedata.name(character, "non-character").lower()
    return f"U+{point:04X} {name}"


def message(field: str, text: str) -> str | None:
    """Why ``text`` is refused as ``field``, naming each character, or None."""
    found = control_characters(text)
    if not found:
        return None
    listed = ", ".join(describe(character) for character in found)
    return f"the {field} holds a character a workbook cannot hold: {listed}"


def problem(file: str, where: str, field: str, text: str) -> Problem | None:
    """A ``control-character`` problem for ``text`` at ``where``, or None."""
    refused = message(field, text)
    return Problem(code=CODE, file=file, where=where, message=refused, hint=HINT) if refused else None


def stored_in_workbook(text: str) -> str:
    """``text`` of a workbook cell with the OOXML escapes (``_x000B_``) that a spreadsheet
    program writes for a control character decoded, as the program itself shows the cell:
    openpyxl hands them over undecoded, and a pasted vertical tab must not slip in so."""
    return _OOXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def row_problems(record: dict[str, str], file: str, row: str) -> list[Problem]:
    """``control-character`` problems of a CSV row's fields, located as ``row 7: description``."""
    found = (problem(file, f"{row}: {field}", field, text) for field, text in record.items() if isinstance(text, str))
    return [item for item in found if item]


def problems_in(data, file: str, where: str = "") -> list[Problem]:
    """Every text (and table key) anywhere in ``data`` (parsed TOML: tables, arrays, strings)
    that holds a refused character, each located by its path, e.g. ``outcomes[2].evidence``."""
    found: list[Problem] = []
    if isinstance(data, str):
        refused = problem(file, where, where.rsplit(".", 1)[-1] or "text", data)
        if refused:
            found.append(refused)
    elif isinstance(data, dict):
        for key, value in data.items():
            path = f"{where}.{key}" if where else str(key)
            if control_characters(str(key)):
                found.append(Problem(code=CODE, file=file, where=path,
                                     message=message("name of a field", str(key)) or "", hint=HINT))
            found.extend(problems_in(value, file, path))
    elif isinstance(data, (list, tuple)):
        for number, value in enumerate(data, start=1):  # numbered from 1, as every message numbers lines
            found.extend(problems_in(value, file, f"{where}[{number}]"))
    return found
