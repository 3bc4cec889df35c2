"""A workbook written row by row with XlsxWriter's constant-memory mode (the only module that imports
xlsxwriter): each worksheet holds only the rows not yet written out, so memory stays flat however
many outcome lines there are.

A ``Sheet`` hands out ``Cell`` objects (value, ``data_type``, ``quotePrefix``, font, fill,
alignment, number format, and a formula's stored result) for ``spreadsheet_text.put`` to fill and
the renderer to style. Rows stay in the sheet until it is told to ``stream``: from then on a row is
written out as soon as a later one is begun, and touching a written row is a bug (``RowWritten``).
A sheet never told to stream keeps every row until the workbook is closed. Just before its first
rows are written out, a sheet runs the work that needs its top rows and their final layout
(``on_release``: the table header's alignment, the explanation wrapped across the columns); every
row then passes ``on_write`` hooks on its way out.

Every formula cell is checked as it is written out: one not written as a ``spreadsheet_text.Formula``
stops the workbook (``spreadsheet_text.check_written``). Text is always a string cell.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import os
import re
import shutil
import tempfile
import typing

import xlsxwriter
import xlsxwriter.exceptions
import xlsxwriter.utility
import xlsxwriter.worksheet

from up2u_cba.outputs import spreadsheet_text

DEFAULT_WIDTH = 13.0
"""A column's width until one is set (as openpyxl, which wrote the workbook before, reported it)."""
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"
"""Number formats a date or a date and time gets when none is set (as openpyxl gave them)."""
CLASSIC_FUNCTIONS = frozenset({"SUM", "SUMPRODUCT", "ROUND", "INT", "IF"})
"""The functions the workbook's formulas use: none is one that Excel stores under a _xlfn. prefix."""
_FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")


def column_letter(column: int) -> str:
    """``C`` for column 3."""
    return xlsxwriter.utility.xl_col_to_name(column - 1)


def column_number(letter: str) -> int:
    """3 for column ``C``."""
    return xlsxwriter.utility.xl_cell_to_rowcol(f"{letter}1")[1] + 1


_REFERENCE_AFTER_MARK = re.compile(r"!(?=\$?[A-Z]+\$?\d)")
"""A ``!`` followed by what reads as a cell (``Poole!A1``): XlsxWriter takes a chart title or
series name holding one for a reference to that cell."""


def chart_text(text: str) -> str:
    """``text`` fit for a chart title or series name: characters a workbook cannot hold replaced,
    and never taken for a reference to a cell (an invisible zero-width space after any ``!``
    that would make it one)."""
    return _REFERENCE_AFTER_MARK.sub("!\u200b", spreadsheet_text.plain_text(text))


class Font(typing.NamedTuple):
    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None


class Alignment(typing.NamedTuple):
    horizontal: str | None = None
    vertical: str | None = None
    wrap_text: bool = False
    indent: int = 0


class RowWritten(Exception):
    """A bug in the tool: a cell of a row already written out was asked for."""


class Cell:
    """One cell waiting to be written: what ``spreadsheet_text.put`` put in it and its style (the
    class holds the defaults, so a cell made costs only what is set on it)."""

    _value = None
    data_type = "n"
    quotePrefix = False
    font: Font | None = None
    fill: str | None = None
    alignment: Alignment | None = None
    number_format = "General"
    result = 0
    """What a formula comes to, stored with it for viewers that do not recalculate."""

    def __init__(self, row: int, column: int):
        self.row, self.column = row, column

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, value) -> None:
        """Any str is text (only ``spreadsheet_text.put`` makes a cell a formula, by its data type)."""
        self._value = value
        if isinstance(value, bool):
            self.data_type = "b"
        elif isinstance(value, (datetime.date, datetime.time)):
            self.data_type = "d"
        elif isinstance(value, str):
            self.data_type = "s"
        else:
            self.data_type = "n"

    @property
    def coordinate(self) -> str:
        return xlsxwriter.utility.xl_rowcol_to_cell(self.row - 1, self.column - 1)


class ClassicFormulas(xlsxwriter.worksheet.Worksheet):
    """XlsxWriter's worksheet, with three changes, each for the figures of issue #11:

    - a formula using only ``CLASSIC_FUNCTIONS`` needs none of the ~30 rewrites XlsxWriter tries
      on every formula for Excel's newer functions (half its time on this workbook); any other
      formula gets them all;
    - a number is stored exactly (the shortest text that reads back as the same float), where
      XlsxWriter keeps 16 significant digits and so moves some uprating factors by a last bit;
    - a number, text or formula-with-a-number cell is written out in one step (``_write_cell``:
      the same XML as XlsxWriter's, a third of its time); any other cell as XlsxWriter writes it.
      tests/test_streamed_sheet.py holds the two to the same XML."""

    def _write_cell(self, row: int, col: int, cell) -> None:
        kind = type(cell).__name__
        style = cell.format
        if kind not in _ONE_STEP or (kind == "Formula" and type(cell.value) not in (int, float)) or (
                style is None and (row in self.row_info or col in self.col_info)):
            return super()._write_cell(row, col, cell)
        start = f'<c r="{xlsxwriter.utility.xl_rowcol_to_cell_fast(row, col)}"'
        if style is not None:
            start += f' s="{style._get_xf_index()}"'
        if kind == "String":
            text = cell.string
            if "_x" in text or _CONTROL.search(text):
                text = self._escape_control_characters(text)
            if text.startswith("<r>") and text.endswith("</r>"):
                return super()._write_cell(row, col, cell)
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            self.fh.write(f'{start} t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>')
        elif kind == "Number":
            self.fh.write(f"{start}><v>{_number_text(cell.number)}</v></c>")
        else:
            self.fh.write(f"{start}><f>{_xml_text(cell.formula)}</f><v>{cell.value}</v></c>")

    def _prepare_formula(self, formula, expand_future_functions=False):
        if formula.startswith("=") and set(_FUNCTION.findall(formula)) <= CLASSIC_FUNCTIONS:
            return formula[1:]
        return super()._prepare_formula(formula, expand_future_functions)

    def _xml_number_element(self, number, attributes=[]) -> None:  # noqa: B006 (XlsxWriter's signature)
        attr = "".join(f' {key}="{self._escape_attributes(value)}"' for key, value in attributes)
        self.fh.write(f"<c{attr}><v>{_number_text(number)}</v></c>")


_ONE_STEP = frozenset({"Number", "String", "Formula"})
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
"""What XlsxWriter writes as a ``_xHHHH_`` escape in text."""


def _xml_text(text: str) -> str:
    """``text`` as XML character data (as XlsxWriter escapes it: quotes left alone)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _number_text(number) -> str:
    """A number as stored: exactly (``repr``) if a float with a fraction, else as XlsxWriter does."""
    return repr(number) if type(number) is float and number != int(number) else f"{number:.16G}"


class Book:
    """The workbook being written to ``path``; ``close`` finishes it. Its row data waits in a
    private folder beside ``path``, removed whatever happens."""

    def __init__(self, path: str):
        folder = tempfile.mkdtemp(dir=_folder_of(path), prefix=".up2u-cba-rows.", suffix=".tmp")
        self.scratch = folder
        self.xlsx = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": folder})
        self.sheets: list[Sheet] = []
        self._formats: dict[tuple, object] = {}

    def add_sheet(self, title: str) -> Sheet:
        sheet = Sheet(self, self.xlsx.add_worksheet(title, worksheet_class=ClassicFormulas), title)
        self.sheets.append(sheet)
        return sheet

    def add_chart(self, options: dict):
        return self.xlsx.add_chart(options)

    def format_of(self, cell: Cell):
        """The XlsxWriter format of the cell's style (one per distinct style), or None."""
        number_format = cell.number_format
        if cell.data_type == "d" and number_format == "General":
            number_format = DATETIME_FORMAT if isinstance(cell._value, datetime.datetime) else DATE_FORMAT
        key = (cell.font, cell.fill, cell.alignment, number_format, cell.quotePrefix)
        found = self._formats.get(key)
        if found is None and key not in self._formats:
            found = self._formats[key] = self._new_format(*key)
        return found

    def _new_format(self, font: Font | None, fill: str | None, alignment: Alignment | None, number_format: str,
                    quote_prefix: bool):
        options: dict[str, object] = {}
        if font is not None:
            options.update({name: value for name, value in (("bold", font.bold), ("italic", font.italic),
                                                            ("font_size", font.size),
                                                            ("font_color", font.color and "#" + font.color))
                            if value})
        if fill:
            options.update(pattern=1, bg_color="#" + fill)
        if alignment is not None:
            options.update({name: value for name, value in (("align", alignment.horizontal),
                                                            ("valign", alignment.vertical),
                                                            ("text_wrap", alignment.wrap_text),
                                                            ("indent", alignment.indent)) if value})
        if number_format != "General":
            options["num_format"] = number_format
        if quote_prefix:
            options["quote_prefix"] = True
        return self.xlsx.add_format(options) if options else None

    def close(self) -> None:
        """Write out every sheet's remaining rows and finish the file. An OSError (disk full...)
        is raised as itself, not as XlsxWriter's wrapping of it."""
        try:
            for sheet in self.sheets:
                sheet.finish()
            self.xlsx.close()
        except xlsxwriter.exceptions.FileCreateError as error:
            raise (error.args[0] if error.args and isinstance(error.args[0], OSError) else OSError(str(error)))
        finally:
            self.discard()

    def discard(self) -> None:
        """Let go of the row data (after closing, or after a failure: nothing is left behind, and
        no half-written file is finished later when Python collects it)."""
        for sheet in self.xlsx.worksheets():
            handle = getattr(sheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                with contextlib.suppress(OSError, ValueError):
                    handle.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _folder_of(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


class Sheet:
    """One worksheet: its rows not yet written out, and what it knows of its layout."""

    def __init__(self, book: Book, xlsx, title: str):
        self.book = book
        self.xlsx = xlsx
        """The XlsxWriter worksheet, for page set-up, charts and the like (never for cells)."""
        self.title = title
        self.rows: dict[int, dict[int, Cell]] = {}
        self.heights: dict[int, float] = {}
        self.merges: dict[int, tuple[int, int]] = {}
        self.widths: dict[int, float] = {}
        self.hidden: set[int] = set()
        self.max_column = 0
        self.planned_columns = 0
        """How many columns the whole sheet will use, when told so before its rows are all in."""
        self.written = 0
        """The last row written out."""
        self.last = 0
        """The last row begun."""
        self.streaming_after: int | None = None
        self.release_hooks: list = []
        self.write_hooks: list = []
        self.released = False
        self.breaks: list[int] = []

    # --- cells ------------------------------------------------------------------------------

    def cell(self, row: int, column: int) -> Cell:
        cells = self.rows.get(row)
        if cells is None:
            if row <= self.written:
                raise RowWritten(f"{self.title}!row {row} was already written out")
            if row > self.last:
                if self.streaming_after is not None and row > self.streaming_after:
                    self._write_before(row)
                self.last = row
            cells = self.rows[row] = {}
        found = cells.get(column)
        if found is None:
            found = cells[column] = Cell(row, column)
            if column > self.max_column:
                self.max_column = column
        return found

    def __getitem__(self, coordinate: str) -> Cell:
        row, column = xlsxwriter.utility.xl_cell_to_rowcol(coordinate)
        return self.cell(row + 1, column + 1)

    def cells(self):
        """Every cell still held, row by row."""
        for row in sorted(self.rows):
            yield from self.rows[row].values()

    # --- layout -----------------------------------------------------------------------------

    def width(self, column: int) -> float:
        return self.widths.get(column, DEFAULT_WIDTH)

    def set_width(self, column: int | str, width: float) -> None:
        """Set the width of a column, by number or letter."""
        self.widths[column_number(column) if isinstance(column, str) else column] = width

    def hide(self, column: int) -> None:
        self.hidden.add(column)

    def set_height(self, row: int, height: float) -> None:
        if row <= self.written:
            raise RowWritten(f"{self.title}!row {row} was already written out")
        self.heights[row] = height

    def merge(self, row: int, first_column: int, last_column: int) -> None:
        """Merge the row's cells from ``first_column`` to ``last_column`` (the first one's value shows)."""
        self.cell(row, first_column)
        self.merges[row] = (first_column, last_column)
        self.max_column = max(self.max_column, last_column)

    def page_break_after(self, row: int) -> None:
        self.breaks.append(row)

    def stream(self, after_row: int, columns: int = 0) -> None:
        """From now on, write a row out as soon as a later one is begun, rows up to ``after_row``
        excepted (they wait for the first later row, so the release hooks see them together);
        ``columns``: how many columns the whole sheet will use, for hooks that need it."""
        self.streaming_after = after_row
        self.planned_columns = columns

    def on_release(self, hook) -> None:
        """Run ``hook(sheet)`` just before the sheet's first rows are written out."""
        self.release_hooks.append(hook)

    def on_write(self, hook) -> None:
        """Run ``hook(sheet, row, cells)`` on every row as it is written out."""
        self.write_hooks.append(hook)

    # --- writing out ------------------------------------------------------------------------

    def _write_before(self, row: int) -> None:
        if not self.released:
            self._release()
        for number in sorted(number for number in self.rows if number < row):
            self._write_row(number)

    def _release(self) -> None:
        self.released = True
        for hook in self.release_hooks:
            hook(self)

    def _write_row(self, number: int) -> None:
        cells = self.rows.pop(number)
        for hook in self.write_hooks:
            hook(self, number, cells)
        height = self.heights.pop(number, None)
        if height is not None:
            self.xlsx.set_row(number - 1, height)
        merged = self.merges.pop(number, None)
        book, xlsx, row = self.book, self.xlsx, number - 1
        if merged is not None:
            first = cells[merged[0]]
            xlsx.merge_range(row, merged[0] - 1, row, merged[1] - 1, "", book.format_of(first))
        for column in sorted(cells):
            cell = cells[column]
            kind, value, style = cell.data_type, cell._value, book.format_of(cell)
            # XlsxWriter's own writers, without the wrapper that reads "A1" notation
            if kind == "f":
                spreadsheet_text.check_written(self, cell)
                xlsx._write_formula(row, column - 1, value, style, cell.result)
            elif kind == "s" and value:
                xlsx._write_string(row, column - 1, value, style)
            elif kind == "s":  # empty text is a blank cell, as openpyxl wrote it
                if style is not None:
                    xlsx._write_blank(row, column - 1, None, style)
            elif kind == "b":
                xlsx._write_boolean(row, column - 1, value, style)
            elif kind == "d":
                xlsx._write_datetime(row, column - 1, value, style)
            elif value is not None:
                xlsx._write_number(row, column - 1, float(value) if isinstance(value, decimal.Decimal) else value,
                                   style)
            elif style is not None:
                xlsx._write_blank(row, column - 1, None, style)
        self.written = number

    def finish(self) -> None:
        """Write out every row still held, and what is set for the whole sheet."""
        self._write_before(max(self.rows, default=0) + 1)
        if not self.released:
            self._release()
        if self.breaks:
            self.xlsx.set_h_pagebreaks(self.breaks)
        for column, width in self.widths.items():
            # XlsxWriter adds a digit's padding to a width: take it off, so the file holds the width asked for
            self.xlsx.set_column(column - 1, column - 1, max(width - 5 / 7, 0), None,
                                 {"hidden": True} if column in self.hidden else None)
