"""The report as an Excel workbook for commissioners, written row by row (``streamed_sheet``).

Every figure is live and auditable: each outcome line's saving is a formula of its quantity,
years, unit value and uprating factor, rounded as the tool rounds; the agency split, the
breakdowns and the Summary are SUM / SUMPRODUCT formulas over those lines, so changing a quantity
moves every total. Every cell is written through ``spreadsheet_text.put``: text from the inputs is
only ever a string cell, and a formula refers to the cell holding such text, never quotes it
(SUMPRODUCT's ``=`` matches it exactly, where a SUMIFS criterion would read ``<5`` or ``*``).
Each formula is stored with what it comes to, so a viewer that does not recalculate (a preview,
Protected View, a script) still shows the figures; the workbook asks the spreadsheet application to
recalculate on opening all the same. Rows are written in order and let go, so memory stays flat
however many outcome lines there are; workbooks are read back (``read_run_info``) with openpyxl.

With ``publish=True`` (papers that leave the council) the per-case sheets are left out, figures
are stored as values, and counts and savings are shown as ``disclosure`` decides under the
settings' rule (hidden ones as "*").
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import itertools
import math
import re
import typing
import zipfile
from decimal import Decimal

from up2u_cba import models, storage
from up2u_cba.inputs import input_files
from up2u_cba.method import assumptions, calculate, disclosure, forecast, report, uncertainty
from up2u_cba.problems import Problem, counted
from up2u_cba.outputs import spreadsheet_text, streamed_sheet
from up2u_cba.outputs.spreadsheet_text import Formula, put, put_at
from up2u_cba.outputs.streamed_sheet import Alignment, Font

POUNDS = '"£"#,##0;-"£"#,##0'
PENCE = '"£"#,##0.00;-"£"#,##0.00'
"""Pounds and pence as ``models.to_pence`` shows them: a spreadsheet rounds the shown pence half up, so a
figure stored to 6 places (as ``to_pence`` first takes it) shows as the text reports do (£640.825 is £640.83)."""
FACTOR = "0.000000"
PROPORTION = "0.00%"
PERCENT = "0.0%"
ROI = '"£"#,##0.00" for every £1 spent"'
MONEY_PER_POUND = '"£"#,##0.00'
DATE = "yyyy-mm-dd"
TITLE = Font(bold=True, size=14)
BOLD = Font(bold=True)
NOTE = Font(italic=True, color="555555")
HEADER_FILL = "DDE5F0"
"""A header cell's solid fill."""
A4, A3 = 9, 8
"""Paper sizes as a workbook numbers them."""
PIXELS_PER_CM = 96 / 2.54
MARGINS = (0.75, 0.75, 1, 1)
HEADER_MARGIN = 0.5
"""Page margins in inches (left, right, top, bottom; header and footer), as the workbook has
always printed."""
ROW_CM = 0.53
"""Height of a default spreadsheet row in centimetres (15 points), for placing charts."""
ROWS_PER_PAGE = 48
"""Rows of the Cases sheet that fit on a printed A4 portrait page."""
HEADER_ROW = 4
"""Tables start here: row 1 title, row 2 explanation, row 3 blank."""
HIDDEN = "*"
"""A figure not shown when publishing: a small count, a saving resting on few cases, or a figure
hidden so that one of those cannot be worked out (one mark for all, so it says nothing)."""


def gmca_credit(result: report.Report) -> str:
    """The national unit costs' credit, naming the editions the unit cost tables in force record."""
    editions = list(dict.fromkeys(edition for table in result.cost_tables for edition in table.editions))
    named = " and ".join(editions) if editions else "(its edition not recorded in the unit cost tables)"
    return (f"National unit costs: GMCA / New Economy, Unit Cost Database {named}, CC BY 4.0 (converted to CSV by "
            "up2u-cba); local costs as their Source column says.")

CAVEAT = ("The gross figures are estimates of public-sector (fiscal) costs avoided by the outcomes of cases that "
          "completed in the year, valued with national and local unit costs, as published. They are not cash "
          "savings to any budget. The prudent figures apply the assumptions on the Assumptions sheet (what would "
          "have happened anyway, other services' part, optimism bias, drop-off and discounting); where none of "
          "them moves any line of a service (the Summary says so under its figures) the prudent figures equal the "
          "gross ones and are not a conservative estimate.")

PAYBACK_WORKING = "Prudent saving a year (payback working)"
"""The Outcome lines column the Payback sheet works from: the line's prudent saving over its years
factor, what one whole year of the benefit before drop-off and discounting adds to it."""
START_MONTH = "Start month (payback working)"
"""The Outcome lines column of the month the line's benefit starts: the month its case completed,
from 0 at the first month (April) of the financial year, a formula over the Completed date."""
END_MONTH = "End month (payback working)"
"""The month the line's benefit ends: its start month + 12 x its years (a part month by its fraction)."""
KEPT_A_YEAR = "Kept a year (payback working)"
"""(1 - drop-off) / (1 + discount rate): what each year of the line's benefit keeps of the one
before; a benefit lost after its first year (drop-off 100%) keeps 1E-300, so no 0^0 (an error to
Excel) arises and its later years count for nothing."""
LINE_HEADERS = ["Service", "Case", "Locality", "Completed", "Code", "Description", "Quantity", "Years",
                "Unit value", "Price year", "Uprating factor", "Unit value at report prices", "Saving",
                "Agency", "Theme", "RAG",
                "Deadweight", "Attribution", "Evidence grade", "Optimism bias", "Drop-off", "Discount rate",
                "Years factor", "Prudent saving", "Transfer share", "Prudent transfer",
                "Economic value at report prices",
                "Social value at report prices", "Prudent economic", "Prudent social", PAYBACK_WORKING,
                START_MONTH, END_MONTH, KEPT_A_YEAR]
LINE_COLUMN = {name: streamed_sheet.column_letter(index) for index, name in enumerate(LINE_HEADERS, start=1)}
LINE_FORMATS = {"Completed": DATE, "Unit value": PENCE, "Uprating factor": FACTOR, "Unit value at report prices": PENCE,
                "Saving": POUNDS, "Deadweight": PERCENT, "Attribution": PERCENT, "Optimism bias": PERCENT,
                "Drop-off": PERCENT, "Discount rate": PERCENT, "Years factor": FACTOR, "Prudent saving": POUNDS,
                "Transfer share": PROPORTION, "Prudent transfer": POUNDS,
                "Economic value at report prices": PENCE, "Social value at report prices": PENCE,
                "Prudent economic": POUNDS, "Prudent social": POUNDS, PAYBACK_WORKING: PENCE, KEPT_A_YEAR: FACTOR}
"""Number format of each Outcome lines column that has one."""
SPLIT_HEADERS = ["Service", "Case", "Code", "Outcome line row", "Agency", "Proportion", "Saving", "Prudent saving",
                 "Exact saving share (working)", "Exact prudent share (working)", "Fraction (working)",
                 "Prudent fraction (working)", "How shared"]


def write(result: report.Report, path: str, publish: bool = False) -> None:
    """Write the workbook atomically (``write_book``)."""
    write_book(path, lambda book: build(result, book, publish))


def write_book(path: str, fill_book: typing.Callable[[streamed_sheet.Book], None]) -> None:
    """Write a workbook that ``fill_book`` fills, atomically (``storage.replace_with``). A failed
    write (disk full, read-only...) raises storage.WriteFailed naming ``path``, and leaves no
    temporary file and any old workbook as it was."""

    def fill(temporary: str) -> None:
        book = streamed_sheet.Book(temporary)
        try:
            fill_book(book)
            book.close()
        finally:
            book.discard()

    storage.replace_with(path, fill)


@dataclasses.dataclass
class Refs:
    """Where the live figures are, for formulas on other sheets (blank when publishing)."""

    split_last: int = 0
    case_rows: dict[str, int] = dataclasses.field(default_factory=dict)
    """Case reference -> the row of its first line on Outcome lines (its lines follow in order)."""
    agency_cells: dict[tuple, str] = dataclasses.field(default_factory=dict)
    """(service, agency) -> cell on By agency holding its saving; (service, agency, "prudent")
    -> the cell holding its prudent saving."""
    participant_totals: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    """(service, participant row) -> the cell on Participants holding the row's total."""
    payback: dict[str, tuple[str, int]] = dataclasses.field(default_factory=dict)
    """Service -> (the range on Payback of its running totals from month 0, the last month)."""
    spend_names: dict[str, str] = dataclasses.field(default_factory=dict)
    """Service -> the workbook name of its spend on the Summary (so Years follows an edit there)."""
    prudent_spend_names: dict[str, str] = dataclasses.field(default_factory=dict)
    """Service -> the workbook name of its prudent spend on the Summary (the rounded figure
    Payback's months pay, as ``calculate.prudent_spend_by_month``)."""
    spend_cells: dict[str, str] = dataclasses.field(default_factory=dict)
    """Workbook name -> the Summary cell it names (defined once the Summary is written)."""

    def split(self, letter: str) -> str:
        return f"'Agency split'!${letter}${HEADER_ROW + 1}:${letter}${max(self.split_last, HEADER_ROW + 1)}"


def build(result: report.Report, book: streamed_sheet.Book, publish: bool = False) -> None:
    """Fill ``book`` with the report's sheets (it is closed, so written out, by the caller)."""
    # publishing, the sheets get what disclosure decided they may show (None: not publishing)
    publish = disclosure.decide(result, disclosure.RULES[result.suppression]) if publish else None
    book.xlsx.set_properties(properties(result))
    summary = book.add_sheet("Summary")
    refs = Refs(spend_names={summary.service: f"Spend_of_service_{number}"
                             for number, summary in enumerate(result.services, start=1)},
                prudent_spend_names={summary.service: f"Prudent_spend_of_service_{number}"
                                     for number, summary in enumerate(result.services, start=1)})
    sheets = ["Participants"]
    if not publish:
        sheets += ["Cases", "Outcome lines", "Agency split"]
    sheets += ["By agency", "By locality", "By theme"]
    if not publish and any(summary.lines for summary in result.services):
        sheets.append("Payback")
    if len({row.year for row in result.years}) > 1:
        sheets.append("Years")
    sheets += ["Assumptions", "Sensitivity"]
    if not publish and result.uncertainty:  # (case by case: never in a published workbook)
        sheets.append(HOW_SURE)
    sheets += ["Unit costs used", "Method", "Run info"]
    by_name = {name: book.add_sheet(name) for name in sheets}
    header_text, footer_text = page_marks(result, result.published_marking if publish else result.marking)
    for sheet in (summary, *by_name.values()):
        sheet.on_write(wrap_clipped)
        sheet.xlsx.set_header(header_text, {"margin": HEADER_MARGIN})
        sheet.xlsx.set_footer(footer_text, {"margin": HEADER_MARGIN})
    if not publish:
        add_outcome_lines(by_name["Outcome lines"], result, refs)
        add_agency_split(by_name["Agency split"], result, refs)
        add_cases(by_name["Cases"], result, refs)
    add_participants(by_name["Participants"], result, publish, refs)
    add_by_agency(by_name["By agency"], result, refs, publish)
    add_by_locality(by_name["By locality"], result, publish)
    add_by_theme(by_name["By theme"], result, publish)
    if "Payback" in by_name:
        add_payback(by_name["Payback"], result, refs)
    if "Years" in by_name:
        add_years(by_name["Years"], result, publish, refs)
    add_assumptions(by_name["Assumptions"], result, publish)
    add_sensitivity(by_name["Sensitivity"], result)
    if HOW_SURE in by_name:
        add_how_sure(by_name[HOW_SURE], result)
    add_unit_costs(by_name["Unit costs used"], result)
    add_method(by_name["Method"], result, publish)
    add_run_info(by_name["Run info"], result, publish)
    add_summary(summary, result, refs, publish)
    for name, cell in refs.spend_cells.items():
        book.xlsx.define_name(name, f"={cell}")
    if not publish:
        define_line_names(book, sum(1 for _ in each_line(result)))


PROGRAMME = "Up2U cost-benefit analysis"
"""What the programme's printed pages and the file's title call it."""
MARK_SIZE = 9
"""Point size of the page headers and footers: small enough that the left, centre and right parts
stand apart on a portrait A4 page printed at full size."""
HEADER_ROOM = 100
"""Characters a page header's two parts may take together at ``MARK_SIZE`` on a portrait A4 page."""
HEADER_LIMIT = 255
"""Most characters Excel takes in a page header or footer (its codes included)."""


def services_named(result: report.Report) -> str:
    """The report's services, as a label (``BCP and Dorset``)."""
    names = [summary.service for summary in result.services]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def properties(result: report.Report) -> dict:
    """The file's own properties: what it is, the tool as its author, and the report's made time
    as its date (so the same inputs give the same file)."""
    services, year = services_named(result), str(result.year)
    made = result.generated_at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return {field: spreadsheet_text.plain_text(text) if isinstance(text, str) else text for field, text in {
        "title": f"{PROGRAMME}: {services}, {year}",
        "subject": f"Fiscal savings of {services}'s Up2U cases completed in {year}, at {result.price_year} prices",
        "author": f"up2u-cba {result.tool_version}",
        "manager": "", "company": "",
        "keywords": ", ".join(["Up2U", "cost-benefit analysis", *[s.service for s in result.services], year]),
        "comments": f"Made by up2u-cba {result.tool_version}: {result.command}",
        "created": made,
    }.items()}


def header_text(text: str) -> str:
    """``text`` fit for a page header or footer: characters a workbook cannot hold replaced, and
    ``&`` (which starts a header code, e.g. ``&P`` the page number) escaped as ``&&``."""
    return spreadsheet_text.plain_text(text).replace("\n", " ").replace("&", "&&")


def page_marks(result: report.Report, marking: str) -> tuple[str, str]:
    """Every printed page's header (programme, services, year; the protective marking) and
    footer (the marking again, page x of y, the date made)."""
    services = services_named(result)
    room = HEADER_ROOM - len(PROGRAMME) - len(str(result.year)) - len(marking)
    if len(services) > room:  # a long list of services is cut, so the header fits a portrait page
        services = services[:max(room - 3, 0)] + "..."
    size = f"&{MARK_SIZE}"
    header = (f"&L{size}{header_text(PROGRAMME)}: {header_text(services)}, {header_text(str(result.year))}"
              f"&R{size}&B{header_text(marking)}&B")
    footer = (f"&L{size}&B{header_text(marking)}&B&C{size}Page &P of &N"
              f"&R{size}Made {result.generated_at:%Y-%m-%d %H:%M} by up2u-cba")
    return header[:HEADER_LIMIT], footer[:HEADER_LIMIT]


def wrap_clipped(sheet, row: int, cells: dict) -> None:
    """Below a sheet's title and explanation, text longer than its column is wide wraps, and
    its row grows to hold it, so nothing is clipped on screen or on paper."""
    if row <= 2 or row in sheet.merges:
        return
    lines = 1
    for column, cell in cells.items():
        if cell.data_type == "s" and cell.value and len(cell.value) + 1 > sheet.width(column):
            old = cell.alignment or Alignment()
            cell.alignment = Alignment(horizontal=old.horizontal, vertical="top", wrap_text=True, indent=old.indent)
            lines = max(lines, wrapped_lines(cell.value, int(sheet.width(column))) + cell.value.count("\n"))
    if lines > 1:
        sheet.heights[row] = min(max(sheet.heights.get(row, 0), 15 * lines + 2), TALLEST_ROW)
        for cell in cells.values():  # the row's other cells (a label beside its value) start at its top too
            old = cell.alignment or Alignment()
            if old.vertical is None:
                cell.alignment = old._replace(vertical="top")


def wrap_explanation(sheet) -> None:
    """Wrap the one-line explanation in row 2 across the sheet's table, so it neither runs off
    the page nor widens the print (run as the sheet's top rows are written out: its columns and
    their widths are known by then)."""
    last = max(sheet.planned_columns or sheet.max_column, 2) if sheet.title != "Summary" else 3
    last = min(last, 12)
    explanation = sheet.cell(2, 1)
    explanation.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge(2, 1, last)
    width = sum(sheet.width(column) for column in range(1, last + 1))
    lines = max(1, -(-len(str(explanation.value or "")) // max(int(width * 1.1), 1)))
    sheet.set_height(2, 15 * lines + 3)


# --- layout helpers -------------------------------------------------------------------------

class Live(typing.NamedTuple):
    """A formula and what it comes to (the tool's own figure)."""

    formula: str
    result: object


def place(sheet, row: int, column: int, value):
    """Write a value, or a Live formula with its result; return the cell."""
    return put(sheet, row, column, text_formula(value.formula, value.result) if isinstance(value, Live) else value)


def start(sheet, title: str, explanation: str) -> None:
    put_at(sheet, "A1", title).font = TITLE
    put_at(sheet, "A2", explanation).font = NOTE
    sheet.on_release(wrap_explanation)


def header(sheet, row: int, headings: list[str]) -> None:
    for column, heading in enumerate(headings, start=1):
        cell = put(sheet, row, column, heading)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def table(sheet, headings: list[str], last_row: int) -> None:
    """Freeze the header, filter it, and print landscape, fit to width, repeating the header
    (on A3 paper for a wide table). Its headings are aligned over their figures once the first
    row below them is in (``align_columns``)."""
    header(sheet, HEADER_ROW, headings)
    sheet.on_release(lambda sheet: align_columns(sheet, len(headings), last_row))
    sheet.xlsx.freeze_panes(HEADER_ROW, 0)
    sheet.xlsx.autofilter(HEADER_ROW - 1, 0, max(last_row, HEADER_ROW + 1) - 1, len(headings) - 1)
    print_setup(sheet, repeat_row=HEADER_ROW)
    if headings[:2] == ["Service", "Case"]:  # which case a row belongs to, on every page across
        sheet.xlsx.repeat_columns(0, 1)
    if len(headings) > 12:
        sheet.xlsx.set_paper(A3)
    if len(headings) > 20:
        sheet.xlsx.fit_to_pages(2, 0)  # one page across would print too small to read


def align_columns(sheet, columns: int, last_row: int) -> None:
    """Headings of figure columns sit right, over their figures (as the first row has them); text
    after a figure column is indented a little, so a number and the words beside it never touch."""
    text_columns = []
    for column in range(1, columns + 1):
        first_cell = sheet.cell(HEADER_ROW + 1, column)
        first = first_cell.value
        figures = isinstance(first, (int, float)) or spreadsheet_text.is_formula(first_cell)
        heading = sheet.cell(HEADER_ROW, column)
        if figures and not isinstance(first, bool):
            heading.alignment = Alignment(horizontal="right", wrap_text=True, vertical="top")
        elif column > 1:
            heading.alignment = Alignment(horizontal="left", indent=1, wrap_text=True, vertical="top")
            text_columns.append(column)

    def indent(sheet, row: int, cells: dict) -> None:
        if HEADER_ROW < row <= last_row:
            for column in text_columns:
                cell = cells.get(column)
                if cell is not None and cell.data_type == "s":
                    old = cell.alignment or Alignment()
                    cell.alignment = Alignment(horizontal="left", indent=1, vertical=old.vertical,
                                               wrap_text=old.wrap_text)

    if text_columns:
        sheet.on_write(indent)


def print_setup(sheet, repeat_row: int | None = None, portrait: bool = False) -> None:
    """A4, landscape unless ``portrait``, fit to one page wide; ``repeat_row`` printed atop every page."""
    page = sheet.xlsx
    page.set_portrait() if portrait else page.set_landscape()
    page.set_paper(A4)
    page.fit_to_pages(1, 0)
    page.set_margins(*MARGINS)
    if repeat_row:
        page.repeat_rows(repeat_row - 1)


FORMULA_WIDTH = 14
"""Room for a formula's figure."""


def width_of(value) -> int | None:
    """How wide a column must be for ``value`` (None: a blank needs no room)."""
    if value is None:
        return None
    if isinstance(value, Formula):
        return FORMULA_WIDTH
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, (int, float)):
        return len(f"{value:,.2f}") + 4  # room for £, pence and a gap
    return len(str(value)) + 2


def fit_widths(sheet, minimum: int = 8, maximum: int = 60, skip_rows: int = 2, rows=None) -> None:
    """Set each column wide enough for its longest value (titles and notes in rows 1-2 excepted):
    of the cells the sheet holds, or of ``rows`` (lists of the values a streamed sheet will get,
    from its header row on, a ``Formula`` standing for any formula). A number's width grows with
    its size, so of the numbers only each column's largest and smallest are measured."""
    if rows is None:
        pairs = ((cell.column, Formula(cell.value) if cell.data_type == "f" else cell.value)
                 for cell in sheet.cells() if cell.row > skip_rows)
    else:
        pairs = ((column, value) for values in rows for column, value in enumerate(values, start=1))
    widths: dict[int, int] = {}
    largest: dict[int, float] = {}
    smallest: dict[int, float] = {}
    for column, value in pairs:
        if type(value) in (int, float):  # (not bool, measured as text would be below: it is rare)
            if value > largest.get(column, value - 1):
                largest[column] = value
            if value < smallest.get(column, value + 1):
                smallest[column] = value
            continue
        length = width_of(value)
        if length is not None:
            widths[column] = max(widths.get(column, minimum), min(length, maximum))
    for extremes in (largest, smallest):
        for column, value in extremes.items():
            widths[column] = max(widths.get(column, minimum), min(width_of(value), maximum))
    for column, width in widths.items():
        sheet.set_width(column, width)


def rounded(expression: str, places: int = 0) -> str:
    """A spreadsheet ROUND that rounds as the tool does: the product is first cleaned of binary
    floating-point noise (0.7 x 1.5 x 2530 is 2656.4999... in a spreadsheet, exactly 2656.5 to
    the tool), then rounded half up."""
    return f"ROUND(ROUND({expression},{places + 6}),{places})"


def printed_lines(text: str, width: int) -> int:
    """Lines a cell of ``text`` takes in a column ``width`` wide: one if it fits, else as
    ``wrap_clipped`` wraps it."""
    return 1 if len(text) + 1 <= width else wrapped_lines(text, width) + text.count("\n")


def wrapped_lines(text: str, width: int) -> int:
    """Roughly how many lines ``text`` takes, wrapped in a column ``width`` characters wide."""
    return max(1, -(-len(text) * 11 // (width * 10)))


def put_count(sheet, row: int, column: int, value: disclosure.Shown):
    """Write a count as shown (None: not shown, "*"), right-aligned like the numbers around it."""
    cell = put(sheet, row, column, HIDDEN if value is None else value)
    cell.alignment = Alignment(horizontal="right")
    return cell


def published_note(publish: disclosure.Publication | None) -> str:
    """What the hidden figures of a published sheet are, and which rule hid them."""
    if publish is None:
        return ""
    return (f" Published under the small-number rule \"{publish.rule.name}\" ({publish.rule.title}): "
            f"{HIDDEN} marks a figure not shown, a small count or a saving resting on few cases, or one hidden "
            f"so that such a figure cannot be worked out from the totals.")


def equals_gross_note(result: report.Report) -> str:
    """For a sheet beside the Summary that shows prudent figures: the services whose prudent
    figures equal the gross ones as the workbook was made (no assumption moved any of their
    lines), so that no prudent column is read as a conservative estimate ("" where every
    service's were moved). The Summary says it live."""
    names = [summary.service for summary in result.services if summary.lines and not summary.prudent_adjusted]
    if not names:
        return ""
    label = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (f" Prudent equals gross for {label} as made: no Green Book assumption moved any line, so the prudent "
            f"column is not a conservative estimate (the Summary says so as the workbook now stands).")


# --- sheets ---------------------------------------------------------------------------------

def add_outcome_lines(sheet, result: report.Report, refs: Refs) -> None:
    """One row per outcome line, written out as it goes (the widths are worked out first)."""
    start(sheet, "Outcome lines",
          "The audit trail: one row per outcome of each completed case. Saving = ROUND(quantity x years x unit value "
          "x uprating factor, 0); change a quantity and every total moves.")
    placeholder = Formula("=0")
    fit_widths(sheet, maximum=50, rows=itertools.chain(
        [LINE_HEADERS], ([values.get(name, placeholder) for name in LINE_HEADERS]
                         for values in (line_values(case, line) for case, _, line in each_line(result)))))
    table(sheet, LINE_HEADERS, HEADER_ROW + sum(1 for _ in each_line(result)))
    sheet.stream(after_row=HEADER_ROW + 1)
    cells = assumption_cells(result.green_book)
    by_grade = grade_lookup(result.green_book)
    for row, (case, index, line) in enumerate(each_line(result), start=HEADER_ROW + 1):
        if index == 0:
            refs.case_rows[case.reference] = row
        values = line_values(case, line)
        values.update(line_formulas(line, row))
        values.update(assumption_formulas(line, cells))
        values["Optimism bias"] = Formula(by_grade(f"{LINE_COLUMN['Evidence grade']}{row}"), line.optimism_bias)
        completed = f"{LINE_COLUMN['Completed']}{row}"
        first = models.FinancialYear.containing(case.completed_on).first_day
        values[START_MONTH] = Formula(f"=12*(YEAR({completed})-{first.year})+MONTH({completed})-{first.month}",
                                      line.start_month)
        values.update(payback_working(line, row))
        for column, name in enumerate(LINE_HEADERS, start=1):
            cell = put(sheet, row, column, values[name])
            number_format = LINE_FORMATS.get(name)
            if number_format:
                cell.number_format = number_format


def each_line(result: report.Report):
    """(case, index of the line in the case, line) of every outcome line, in Outcome lines' order."""
    for summary in result.services:
        for case in summary.cases:
            for index, line in enumerate(case.lines):
                yield case, index, line


def line_values(case, line) -> dict[str, object]:
    """An outcome line's row on Outcome lines, by heading: its figures and text (no formulas)."""
    return {
        "Service": line.service, "Case": line.reference, "Locality": line.locality,
        "Completed": case.completed_on, "Code": line.code, "Description": line.description,
        "Quantity": float(line.quantity), "Years": float(line.years),
        "Unit value": float(line.unit_value), "Price year": str(line.price_year),
        "Uprating factor": float(line.uprating_factor),
        "Agency": line.agency, "Theme": line.theme, "RAG": line.rag,
        "Deadweight": float(line.deadweight), "Attribution": float(line.attribution),
        "Evidence grade": line.grade, "Optimism bias": float(line.optimism_bias),
        "Drop-off": float(line.drop_off), "Discount rate": float(line.discount_rate),
        "Transfer share": float(line.transfer_share),
        "Economic value at report prices": float(line.economic_unit_value),
        "Social value at report prices": float(line.social_unit_value),
    }


def line_formulas(line, row: int) -> dict[str, Formula]:
    """The formulas of an outcome line's row on Outcome lines, by heading, each with its result."""
    c = LINE_COLUMN

    def cell(name: str) -> str:
        return f"{c[name]}{row}"

    kept = f"((1-{cell('Drop-off')})/(1+{cell('Discount rate')}))"
    whole_years = f"INT({cell('Years')})"
    adjust = f"(1-{cell('Deadweight')})*{cell('Attribution')}*(1-{cell('Optimism bias')})"
    return {
        # to 6 places, as models.to_pence takes it before showing pence (the saving uses the exact product)
        "Unit value at report prices": Formula(f"=ROUND({cell('Unit value')}*{cell('Uprating factor')},6)",
                                               line.unit_value_uprated.quantize(models.CLEAN)),
        "Saving": Formula("=" + rounded(f"{cell('Quantity')}*{cell('Years')}*{cell('Unit value')}*"
                                        f"{cell('Uprating factor')}"), line.saving),
        # sum over the benefit's years of kept^k, a final part year by its fraction
        # (Excel calls 0^0 an error: a benefit under a year has no whole years to decay)
        "Years factor": Formula(f"=IF({whole_years}=0,0,IF({kept}=1,{whole_years},"
                                f"(1-{kept}^{whole_years})/(1-{kept})))"
                                f"+({cell('Years')}-{whole_years})*IF({whole_years}=0,1,"
                                f"{kept}^{whole_years})", line.years_factor),
        "Prudent saving": Formula("=" + rounded(f"{cell('Quantity')}*{cell('Unit value')}*"
                                                f"{cell('Uprating factor')}*{cell('Years factor')}*"
                                                f"{adjust}"), line.prudent_saving),
        # the transfer part of the prudent saving, whole pounds (calculate.OutcomeLine.prudent_transfer)
        "Prudent transfer": Formula("=" + rounded(f"{cell('Prudent saving')}*{cell('Transfer share')}"),
                                    line.prudent_transfer),
        "Prudent economic": Formula("=" + rounded(f"{cell('Quantity')}*"
                                                  f"{cell('Economic value at report prices')}*"
                                                  f"{cell('Years factor')}*{adjust}"), line.prudent_economic),
        "Prudent social": Formula("=" + rounded(f"{cell('Quantity')}*"
                                                f"{cell('Social value at report prices')}*"
                                                f"{cell('Years factor')}*{adjust}"), line.prudent_social),
        PAYBACK_WORKING: Formula(f"=IF({cell('Years factor')}=0,0,{cell('Prudent saving')}/{cell('Years factor')})",
                                 a_year(line)),
    }


def a_year(line) -> Decimal:
    """What one whole year of a line's benefit adds to its prudent saving before drop-off and
    discounting: the prudent saving over the years factor (as ``payback_months`` scales the
    flows to the rounded saving)."""
    return line.prudent_saving / line.years_factor if line.years_factor else models.ZERO


def add_agency_split(sheet, result: report.Report, refs: Refs) -> None:
    """Each line's agency shares, one row each, written out as it goes (the widths are worked out first)."""
    start(sheet, "Agency split",
          "Who benefits: each line's saving shared between the agencies of its unit cost's constituents, in "
          "proportion to their values at the parts' own price year: whole pounds of each share, and the pounds "
          "left over to the largest fractions (hidden working columns I-L). How shared says how, or why a "
          "line stays with its cost's own agency (parts in another unit, or adding up to more than it).")
    def lines():  # (its row on Outcome lines, line) of every line
        return ((refs.case_rows[case.reference] + index, line) for case, index, line in each_line(result))

    placeholders = [Formula("=0")] * 6
    fit_widths(sheet, rows=itertools.chain(
        [SPLIT_HEADERS], ([line.service, line.reference, line.code, line_row, agency, float(proportion), *placeholders,
                           line.agency_note]
                          for line_row, line in lines() for agency, proportion in line.agency_proportions)))
    refs.split_last = HEADER_ROW + sum(len(line.agency_proportions) for _, line in lines())
    table(sheet, SPLIT_HEADERS, refs.split_last)
    for column in range(9, 13):  # I-L, the working
        sheet.hide(column)
    sheet.stream(after_row=HEADER_ROW + 1)
    row = HEADER_ROW
    for line_row, line in lines():
        for values in split_rows(line, line_row, list(line.agency_proportions), row + 1):
            row += 1
            for column, value in enumerate(values, start=1):
                cell = put(sheet, row, column, value)
                if column == 6:
                    cell.number_format = PROPORTION
                elif column in (7, 8):
                    cell.number_format = POUNDS


def split_rows(line, line_row: int, parts: list, first: int) -> list[list]:
    """The Agency split rows of one outcome line, from row ``first``: columns A-F, then the shares
    G-H and the working I-L, as formulas with their results."""
    last = first + len(parts) - 1
    rows = [[line.service, line.reference, line.code, line_row, agency, float(proportion)]
            for agency, proportion in parts]
    columns: dict[str, list[Formula]] = {}
    # largest remainder, as calculate.split: whole pounds of each exact share, then the
    # pounds left over one each to the largest fractions (the earlier row on a tie)
    for share, exact, fraction, source, amount in (
            ("G", "I", "K", LINE_COLUMN["Saving"], line.saving),
            ("H", "J", "L", LINE_COLUMN["Prudent saving"], line.prudent_saving)):
        line_saving = f"'Outcome lines'!{source}{line_row}"
        # the pounds left over: the saving less the whole pounds of the shares, summed as the
        # shares less their fractions (plain SUMs: Gnumeric reads INT(ROUND(range)) in a
        # SUMPRODUCT as one cell), rounded to a whole number against float dust
        left = f"ROUND({line_saving}-(SUM({exact}{first}:{exact}{last})-SUM({fraction}{first}:{fraction}{last})),0)"
        for r, (_, proportion), (_, whole) in zip(range(first, last + 1), parts, calculate.split(amount, parts)):
            ahead = f"SUMPRODUCT(({fraction}${first}:{fraction}${last}>{fraction}{r})*1)"
            if r > first:
                ahead += f"+SUMPRODUCT(({fraction}${first}:{fraction}{r - 1}={fraction}{r})*1)"
            columns.setdefault(exact, []).append(Formula(f"={line_saving}*F{r}", amount * proportion))
            columns.setdefault(fraction, []).append(
                Formula(f"=ROUND(ROUND({exact}{r},6)-INT(ROUND({exact}{r},6)),6)",
                        round(float(amount * proportion % 1), 6)))
            columns.setdefault(share, []).append(
                Formula(f"=INT(ROUND({exact}{r},6))+IF({ahead}<{left},1,0)", whole))
    for index, values in enumerate(rows):
        values.extend(columns[letter][index] for letter in "GHIJKL")
        values.append(line.agency_note)  # M: how shared, or why not
    return rows


def add_cases(sheet, result: report.Report, refs: Refs) -> None:
    start(sheet, "Cases", "Each completed case laid out as in the published example, in reference order. "
                          "Savings come from the Outcome lines sheet." + equals_gross_note(result))
    for letter, width in (("A", 80), ("B", 14), ("C", 14)):
        sheet.set_width(streamed_sheet.column_number(letter), width)
    sheet.stream(after_row=2, columns=3 if any(summary.cases for summary in result.services) else 0)
    row = HEADER_ROW - 1
    right = Alignment(horizontal="right")
    columns = (("B", LINE_COLUMN["Saving"]), ("C", LINE_COLUMN["Prudent saving"]))
    used = row  # rows used on the current printed page
    for summary in result.services:
        for case in sorted(summary.cases, key=lambda case: case.reference):
            block = sum(printed_lines(line.description, 80) for line in case.lines) + 4
            if used + block > ROWS_PER_PAGE:  # keep each case's block on one printed page
                sheet.page_break_after(row)
                used = 0
            used += block
            row += 1
            cell = put(sheet, row, 1, f"{case.reference} ({summary.service}, {case.locality}, "
                                      f"completed {case.completed_on:%Y-%m-%d})")
            cell.font = BOLD
            row += 1
            header(sheet, row, ["Action", "Saving", "Prudent"])
            sheet[f"B{row}"].alignment = sheet[f"C{row}"].alignment = right
            first = row + 1
            for index, line in enumerate(case.lines):
                row += 1
                put(sheet, row, 1, line.description)
                for (letter, source), figure in zip(columns, (line.saving, line.prudent_saving)):
                    cell = put_at(sheet, f"{letter}{row}", Formula(
                        f"='Outcome lines'!{source}{refs.case_rows[case.reference] + index}", figure))
                    cell.number_format = POUNDS
            row += 1
            put(sheet, row, 1, "Total saving").font = BOLD
            for (letter, _), figure in zip(columns, (case.total, case.prudent_total)):
                cell = put_at(sheet, f"{letter}{row}",
                              Formula(f"=SUM({letter}{first}:{letter}{row - 1})", figure) if case.lines else 0)
                cell.font = BOLD
                cell.number_format = POUNDS
            row += 1
    print_setup(sheet, portrait=True)


def bar_chart(sheet, title: str, value_axis: dict):
    """A chart of horizontal bars, categories top to bottom as in the table beside it."""
    chart = sheet.book.add_chart({"type": "bar"})
    chart.set_title({"name": streamed_sheet.chart_text(title)})
    chart.set_x_axis(value_axis)  # a bar chart's x axis is its value axis, across the page
    chart.set_y_axis({"reverse": True})
    return chart


def place_chart(sheet, chart, row: int, column: int, height_cm: float, width_cm: float = 18) -> None:
    """Put ``chart`` on the sheet, its top left corner at the cell (``row``, ``column``)."""
    chart.set_size({"width": round(width_cm * PIXELS_PER_CM), "height": round(height_cm * PIXELS_PER_CM)})
    sheet.xlsx.insert_chart(row - 1, column - 1, chart)


def add_participants(sheet, result: report.Report, publish: disclosure.Publication | None,
                     refs: Refs | None = None) -> None:
    start(sheet, "Participants",
          "Every case active in the year, counted once by where it stood (completed or closed in the year; "
          "otherwise its status on 31 March). Referrals count cases referred in the year."
          + published_note(publish))
    row = HEADER_ROW - 1
    for summary in result.services:
        participants = summary.participants
        headings = ["Category of participant", *participants.localities, f"{summary.service} total"]
        row += 1
        put(sheet, row, 1, f"{summary.service}, {summary.year}").font = BOLD
        row += 1
        header(sheet, row, headings)
        for column in range(2, len(headings) + 1):
            sheet.cell(row, column).alignment = Alignment(horizontal="right", wrap_text=True)
        first_data = row + 1
        for label in participants.rows:
            row += 1
            put(sheet, row, 1, label)
            counts = [participants.counts[label][locality] for locality in participants.localities]
            shown = publish.services[summary.service].participants[label] if publish else None
            for column, value in enumerate(shown.counts if shown else counts, start=2):
                put_count(sheet, row, column, value)
            total_column = len(headings)
            if shown:
                put_count(sheet, row, total_column, shown.total)
            else:
                first = streamed_sheet.column_letter(2)
                last = streamed_sheet.column_letter(total_column - 1)
                put(sheet, row, total_column, Formula(f"=SUM({first}{row}:{last}{row})", participants.total(label)))
                if refs is not None:
                    total_letter = streamed_sheet.column_letter(total_column)
                    refs.participant_totals[(summary.service, label)] = f"Participants!${total_letter}${row}"
        if publish:  # suppressed counts are text, and a chart of them would show nothing true
            row += 3
            continue
        largest = max(participants.counts[label][locality] for label in participants.rows[1:]
                      for locality in participants.localities)
        # categories top to bottom, as in the table; whole people on the value axis
        chart = bar_chart(sheet, f"{summary.service} participants by locality, {summary.year}",
                          {"name": "Participants", "major_unit": max(1, round(largest / 5))})
        # the status rows only: referrals are not one more status beside them
        for column in range(2, 2 + len(participants.localities)):
            chart.add_series({"name": streamed_sheet.chart_text(participants.localities[column - 2]),
                              "values": [sheet.title, first_data, column - 1, row - 1, column - 1],
                              "categories": [sheet.title, first_data, 0, row - 1, 0]})
        place_chart(sheet, chart, first_data - 1, len(headings) + 2, height_cm=11)
        row += 15
    sheet.xlsx.freeze_panes(HEADER_ROW - 1, 0)
    print_setup(sheet)
    fit_widths(sheet, minimum=12)


def add_by_agency(sheet, result: report.Report, refs: Refs, publish: disclosure.Publication | None) -> None:
    start(sheet, "Savings by agency",
          "Who benefits: the agency split of every outcome line added up per agency, gross and prudent, and the "
          "prudent fiscal saving each agency could release (cashable)." + equals_gross_note(result)
          + published_note(publish))
    row = HEADER_ROW
    chart_row = HEADER_ROW + 1
    for summary in result.services:
        first = row + 1
        by_agency = summary.by_agency  # each a sum over the lines: taken once
        prudent = summary.prudent_by_agency
        cashable = summary.cashable_by_agency
        for agency, amount in by_agency.items():
            row += 1
            put(sheet, row, 1, summary.service)
            put(sheet, row, 2, agency)
            hidden = publish and agency in publish.services[summary.service].hidden_agencies
            if publish:
                values = [HIDDEN, HIDDEN] if hidden else [int(amount), int(prudent[agency])]
            else:
                values = [Formula(f'=SUMPRODUCT(--({refs.split("A")}=A{row}),--({refs.split("E")}=B{row}),'
                                  f'{refs.split(letter)})', figure)
                          for letter, figure in (("G", amount), ("H", prudent[agency]))]
            share = float(summary.green_book.cashable_share(agency))
            values += [share, (HIDDEN if hidden else int(cashable[agency])) if publish
                       else Formula("=" + rounded(f"D{row}*E{row}"), cashable[agency])]
            for column, value in enumerate(values, start=3):
                cell = put(sheet, row, column, value)
                cell.number_format = POUNDS
                if value == HIDDEN:
                    cell.alignment = Alignment(horizontal="right")
            sheet.cell(row, 5).number_format = PERCENT
            refs.agency_cells[(summary.service, agency)] = f"'By agency'!$C${row}"
            refs.agency_cells[(summary.service, agency, "prudent")] = f"'By agency'!$D${row}"
        all_hidden = publish and set(by_agency) <= publish.services[summary.service].hidden_agencies
        if row >= first and not all_hidden:  # a chart of nothing but hidden savings would be an empty frame
            # largest first, as in the table
            chart = bar_chart(sheet, f"{summary.service} savings by agency, {summary.year}", {"num_format": POUNDS})
            chart.set_legend({"none": True})
            chart.add_series({"values": [sheet.title, first - 1, 2, row - 1, 2],
                              "categories": [sheet.title, first - 1, 1, row - 1, 1]})
            height = max(6, 0.6 * (row - first + 1) + 2)
            place_chart(sheet, chart, chart_row, 8, height_cm=height)
            chart_row += int(height / ROW_CM) + 2  # the next chart goes below this one
    table(sheet, ["Service", "Agency", "Saving", "Prudent saving", "Cashability", "Cashable"], row)
    fit_widths(sheet)


def add_by_locality(sheet, result: report.Report, publish: disclosure.Publication | None) -> None:
    start(sheet, "Savings by locality", "Completed cases and their savings, per locality." + equals_gross_note(result)
          + published_note(publish))
    row = HEADER_ROW
    for summary in result.services:
        completed = {locality: 0 for locality in summary.by_locality}
        for case in summary.cases:
            completed[case.locality] = completed.get(case.locality, 0) + 1
        decided = publish.services[summary.service] if publish else None
        prudent = summary.prudent_by_locality  # each a sum over the lines: taken once
        for locality, amount in summary.by_locality.items():
            row += 1
            put(sheet, row, 1, summary.service)
            put(sheet, row, 2, locality)
            put_count(sheet, row, 3, decided.completers.get(locality) if decided else completed[locality])
            put_savings(sheet, row, 4, "Locality", amount, prudent[locality], publish,
                        hidden=bool(decided) and locality in decided.hidden_localities)
    table(sheet, ["Service", "Locality", "Completed cases", "Saving", "Prudent saving"], row)
    fit_widths(sheet)


def put_savings(sheet, row: int, column: int, key: str, gross, prudent, publish,
                hidden: bool = False) -> None:
    """The gross and prudent savings of the row's service (column A) and ``key`` (column B: a
    Locality or Theme of Outcome lines), side by side from ``column``: sums over the lines whose
    service and key equal (exactly, in any capitals) the row's, or values when publishing
    ("*" where ``hidden``)."""
    for offset, (name, figure) in enumerate((("Saving", gross), ("Prudent saving", prudent))):
        if hidden:
            put_count(sheet, row, column + offset, None)
            continue
        value = int(figure) if publish else Live("=SUMPRODUCT(--({a}=A{r}),--({k}=B{r}),{s})".format(
            s=_lines(name), a=_lines("Service"), k=_lines(key), r=row), figure)
        place(sheet, row, column + offset, value).number_format = POUNDS


def _lines(column: str) -> str:
    """A column of Outcome lines, by its workbook name (``define_line_names``)."""
    return LINE_NAMES[column]


LINES_HEADROOM = 1000
"""Blank rows below Outcome lines that its named columns take in, so rows a commissioner adds by
hand below the table are counted. Not the whole column: SUMPRODUCT in Excel (and Gnumeric) works
through every row it is given, so a million-row column on each Payback month made the workbook
take minutes to recalculate."""
LINE_NAMES = {name: "Lines_" + re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") for name in LINE_HEADERS}
"""Outcome lines heading -> the workbook name of its column (Lines_Saving, ...)."""


def define_line_names(book: streamed_sheet.Book, lines: int) -> None:
    """Name each column of Outcome lines, from its first data row to ``LINES_HEADROOM`` rows
    below its last, so other sheets' formulas read as what they sum."""
    last = HEADER_ROW + lines + LINES_HEADROOM
    for heading, name in LINE_NAMES.items():
        letter = LINE_COLUMN[heading]
        book.xlsx.define_name(name, f"='Outcome lines'!${letter}${HEADER_ROW + 1}:${letter}${last}")


def add_by_theme(sheet, result: report.Report, publish: disclosure.Publication | None) -> None:
    start(sheet, "Savings by outcome theme", "Savings per theme of the unit cost database (Crime, Health...)."
          + equals_gross_note(result) + published_note(publish))
    row = HEADER_ROW
    for summary in result.services:
        prudent = summary.prudent_by_theme  # a sum over the lines: taken once
        for theme, amount in summary.by_theme.items():
            row += 1
            put(sheet, row, 1, summary.service)
            put(sheet, row, 2, theme)
            put_savings(sheet, row, 3, "Theme", amount, prudent[theme], publish,
                        hidden=bool(publish) and theme in publish.services[summary.service].hidden_themes)
    table(sheet, ["Service", "Theme", "Saving", "Prudent saving"], row)
    fit_widths(sheet)


def add_years(sheet, result: report.Report, publish: disclosure.Publication | None, refs: Refs) -> None:
    start(sheet, "Years compared",
          f"Each service's cases completed in each financial year, all valued at {result.price_year} prices."
          + published_note(publish) + ("" if publish else
          f" The {result.year} rows are live formulas over Outcome lines, Participants and the Summary's spend. Earlier years' rows "
          f"are {tool_figures(result)}: their outcome lines are not in this workbook."))
    row = HEADER_ROW
    spends = {summary.service: summary.spend for summary in result.services}  # (the Summary names each one set)
    for entry in result.years:
        row += 1
        values = [entry.service, str(entry.year), entry.completers, int(entry.total_saving),
                  int(entry.prudent_saving), report.SPEND_NOT_SET if entry.spend is None else int(entry.spend),
                  None if entry.net_saving is None else int(entry.net_saving),
                  None if entry.return_on_investment is None else float(entry.return_on_investment)]
        if not publish and str(entry.year) == str(result.year):
            named = refs.spend_names.get(entry.service) if spends.get(entry.service) is not None else None
            spend = values[5] if entry.spend is None or named is None else Live(f"={named}", values[5])
            values = live_year(entry, row, refs) + [spend] + live_against_spend(entry, row)
        for column, value in enumerate(values, start=1):
            place(sheet, row, column, value)
        if publish or str(entry.year) != str(result.year):
            put_count(sheet, row, 3, publish.years[(entry.service, str(entry.year))] if publish else entry.completers)
        for column in (4, 5, 6, 7):
            sheet.cell(row=row, column=column).number_format = POUNDS
        sheet.cell(row=row, column=8).number_format = MONEY_PER_POUND
    table(sheet, ["Service", "Financial year", "Completed cases", "Total saving", "Prudent saving", "Spend",
                  "Net saving", "Return per £1"], row)
    fit_widths(sheet)


PAYBACK_DEFINITION = (
    "The payback period is the number of months, from the first month (April) of the financial year, until "
    "the cumulative discounted prudent fiscal savings of the year's completed cases reach the cumulative "
    "prudent spend and stay at or above it to the last month compared (the later of the last benefit's end "
    "and the spend's last month): a spend paid over the year can overtake savings whose "
    "benefits have ended, so savings that reach the spend early and then fall behind it for good never pay "
    "back. Each case's benefits start in the month it completed (month 0 is April), each "
    "year of each benefit accruing evenly over its 12 months (a final part year over its part) after drop-off "
    "and discounting; the prudent spend (the spend raised by the optimism bias on costs, whole pounds) is paid "
    "within the year as the spend profile says (Assumptions sheet), not discounted. At or above the spend from "
    "month m on, the period is m + 1 months; savings that exactly equal the spend (a net of £0) pay back in the "
    "last month compared, at the end; savings that end below the spend do not pay back.")


SPEND_BASIS = report.SPEND_BASIS


def optimism_bias_method(green_book, editable: bool = True) -> str:
    """The Method sheet's word on optimism bias: the guidance's grades, their source, how a line
    is graded on the scale in force and, in a workbook with outcome lines (``editable``), how to
    grade one again."""
    grades = ", ".join(f"{grade} {percent_of(value)}" for grade, value in assumptions.GUIDANCE_OPTIMISM_BIAS.items())
    return (f"By confidence grade, as {assumptions.GUIDANCE_NOTE}: grades 1 (surest) to 6 (least sure) correct by "
            f"{grades} (the defaults for grades 1-6, set down from the guidance when the tool was built: check them "
            "against your copy of it; the Assumptions sheet has the values in force). Benefits are "
            "cut by the grade's percentage, the spend raised by the optimism bias on costs. A line's grade is its "
            "own confidence where its evidence gives one, else its unit cost's RAG rating ("
            + ("mapped G 3, A 4, R 5; unrated 6: a database estimate is national published research, not the "
               "programme's own audited data; so no G, A or R percentage is used on this scale, and the "
               "Assumptions sheet lists grades 1-6 only" if green_book.optimism_bias_scale == "guidance" else
               "G, A or R with their own percentages; unrated R") + ")." + (
                " A line's optimism bias on Outcome lines is looked up by its Evidence grade on the Assumptions sheet: "
                "type another grade in its Evidence grade cell (1-6" + (
                    ", or G, A or R, taken at grades 3, 4 and 5" if green_book.optimism_bias_scale == "guidance"
                    else ", G, A or R") + "), recalculate, and the line's prudent figures follow." if editable else ""))


def percent_of(value) -> str:
    return f"{value * 100:.0f}%"


def add_payback(sheet, result: report.Report, refs: Refs) -> None:
    """Month by month, each service's prudent fiscal savings and prudent spend, each with its
    running total, as formulas over Outcome lines and the Summary's prudent spend, and whether the
    savings are at or above the spend from that month on: the Summary's payback period counts the
    months before they are (``calculate.payback_month`` works the same way)."""
    start(sheet, "Payback", PAYBACK_DEFINITION + " Each month's saving is a formula over Outcome lines (its "
          "start month follows the Completed date) and each month's spend the Summary's prudent spend (the spend "
          "raised by the optimism bias on costs on the Assumptions sheet, whole pounds) x the month's share of "
          "the spend profile: change a quantity, a date, a spend or an assumption, recalculate, and the "
          "months and the Summary's payback follow (a benefit made longer than the months listed here counts "
          "only up to the last of them).")
    row = HEADER_ROW
    services = [summary for summary in result.services if summary.lines]
    green_book = result.green_book
    spend_months = max(month for month, _ in green_book.spend_payments()) + 1
    months_of = {summary.service: max(spend_months, *(line.start_month + math.ceil(12 * line.years)
                                                      for line in summary.lines)) for summary in services}
    headers = ["Service", "Month", "Prudent saving in the month", "Running total", "Prudent spend in the month",
               "Running spend", "Paid back from here on"]
    table(sheet, headers, HEADER_ROW + sum(months_of.values()))
    sheet.xlsx.set_portrait()
    sheet.xlsx.repeat_columns(0, 0)
    for column, width in ((1, max(12, *(len(name) + 2 for name in months_of))), (2, 8), (3, 16), (4, 16), (5, 16),
                          (6, 16), (7, 12)):
        sheet.set_width(column, min(width, 40))
    payments = dict(green_book.spend_payments())
    for summary in services:
        benefits = calculate.benefit_by_month(summary.lines)
        costs = {} if summary.spend is None else calculate.prudent_spend_by_month(summary.spend, green_book)
        first = row + 1
        gained = paid = 0.0
        for month in range(months_of[summary.service]):
            row += 1
            put(sheet, row, 1, summary.service)
            put(sheet, row, 2, month)
            benefit, cost = float(benefits.get(month, 0)), float(costs.get(month, 0))
            gained, paid = gained + benefit, paid + cost
            place(sheet, row, 3, Live(month_saving_formula(row), benefit))
            place(sheet, row, 4, Live(f"=C{row}" if month == 0 else f"=D{row - 1}+C{row}", gained))
            share = payments.get(month)
            if summary.spend is None or share is None:
                put(sheet, row, 5, 0)
            else:  # the Summary's rounded prudent spend x the month's share (calculate.prudent_spend_by_month;
                # paid within the year: never discounted, assumptions.SPEND_WITHIN_THE_YEAR)
                place(sheet, row, 5, Live(f"={refs.prudent_spend_names[summary.service]}*{share.numerator}/"
                                          f"{share.denominator}", cost))
            place(sheet, row, 6, Live(f"=E{row}" if month == 0 else f"=F{row - 1}+E{row}", paid))
            if summary.spend is None:  # nothing to pay back, as the Summary says ("not available")
                put(sheet, row, 7, 0)
            else:
                place(sheet, row, 7, Live(paid_back_formula(row, first + months_of[summary.service] - 1),
                                          int(summary.payback_months is not None and month + 1 >= summary.payback_months)))
            for column in (3, 4, 5, 6):
                sheet.cell(row=row, column=column).number_format = PENCE
        refs.payback[summary.service] = (f"Payback!$G${first}:$G${row}", months_of[summary.service])


def paid_back_formula(row: int, last: int) -> str:
    """Payback's flag for the month in ``row``, paid back from here on: 1 where the running
    savings reach the running spend (their difference to 6 places, clear of floating-point dust)
    and, but in the service's last month listed (row ``last``), the next month's flag is 1 too
    and the savings end above the spend (a net of exactly £0 pays back in the last month only);
    so a service's flags run 0...0 1...1 (``calculate.paid_back_from``) and the Summary counts
    the 0s."""
    reached = f"ROUND(D{row}-F{row},6)>=0"
    if row == last:
        return f"=IF({reached},1,0)"
    return f"=IF(AND({reached},G{row + 1}=1,ROUND(D{last}-F{last},6)>0),1,0)"


def payback_working(line, row: int) -> dict[str, Formula]:
    """A line's end month and kept share a year on Outcome lines, for the Payback sheet."""
    def cell(name: str) -> str:
        return f"{LINE_COLUMN[name]}{row}"

    kept = (1 - line.drop_off) / (1 + line.discount_rate)
    return {END_MONTH: Formula(f"=12*{cell('Years')}+{cell(START_MONTH)}", line.start_month + 12 * line.years),
            KEPT_A_YEAR: Formula(f"=IF({cell('Drop-off')}>=1,1E-300,(1-{cell('Drop-off')})/(1+{cell('Discount rate')}))",
                                 kept if kept else Decimal("1E-300"))}


def month_saving_formula(row: int) -> str:
    """The prudent fiscal saving of a service's lines in the month in column B of ``row`` on
    Payback: each line's year of a benefit (its age, months since its start month, over 12)
    brings a whole year's saving (the payback working column) x its kept share a year ^ year, a
    twelfth a month, a final part month by its fraction; nothing before its start month or
    after its end month.

    The year is INT(B / 12) less 1 where MOD(B, 12) is below the start month (a start month is
    0-11, within the year): functions only of the one cell B, the lines' columns in plain
    arithmetic, as Gnumeric reads a function of a range inside SUMPRODUCT as one cell (Excel and
    LibreOffice take the whole range)."""
    started = f"(($B{row}-{_lines(START_MONTH)})>=0)"
    year = f"{started}*(INT($B{row}/12)-(MOD($B{row},12)<{_lines(START_MONTH)}))"
    left = f"({_lines(END_MONTH)}-$B{row})"
    return (f"=SUMPRODUCT(--({_lines('Service')}=$A{row}),{_lines(PAYBACK_WORKING)},({_lines(KEPT_A_YEAR)}+({_lines(KEPT_A_YEAR)}=0))^({year}),"
            f"{started}*(({left}>=1)+({left}>0)*({left}<1)*{left}))/12")


def payback_formula(refs: Refs, service: str) -> str:
    """The Summary's payback period as a formula: the months on Payback before the first whose
    savings reach the spend, + 1, or a note where the listed months never reach it."""
    flags, _ = refs.payback[service]
    return f'=IF(SUM({flags})=0,{text_literal(NOT_WITHIN)},COUNTIF({flags},0)+1)'


def prudent_spend_formula(spend: str, green_book, cells: dict) -> str:
    """The Summary's prudent spend as a formula over the spend cell ``spend`` and the Assumptions
    sheet: spend x (1 + optimism bias on costs), paid within the year and so not discounted,
    rounded to whole pounds (``calculate.prudent_spend``)."""
    return "=" + rounded(f"{spend}*(1+{cells[('cost_optimism_bias', None)]})")


NOT_WITHIN = "not within the benefits' duration"
"""The payback period where the prudent savings never reach the spend."""


CHANGEABLE = "yes: change it and recalculate, and every prudent figure follows"
"""Column C of an Assumptions row whose value the prudent formulas on Outcome lines refer to."""
NOT_CHANGEABLE = "no: as set for the run, for reading (change it in the settings and run the report again)"
"""Column C of an Assumptions row no formula refers to."""
TEXT_ASSUMPTIONS = ("Benefit duration", "Cashability", "Transfers")
"""Assumptions shown as text only: no prudent formula in the workbook refers to them."""


def assumption_values(green_book) -> list[tuple[tuple[str, str | None], str, object, str]]:
    """The assumptions the prudent formulas refer to, one row each on the Assumptions sheet from
    below its headings: (key, label, value in force, source). A key is (assumption, code or grade;
    None for the programme-wide value)."""
    rows = []

    def rates(key: str, label: str, rates) -> None:
        rows.append(((key, None), f"{label}: every code not listed below", rates.default, rates.note))
        rows.extend(((key, code), f"{label}: code {code}", value, rates.note) for code, value in sorted(rates.codes.items()))

    rates("deadweight", "Deadweight", green_book.deadweight)
    rates("attribution", "Attribution", green_book.attribution)
    rows.extend((("optimism_bias", grade), GRADE_LABEL + grade, green_book.optimism_bias[grade],
                 green_book.optimism_bias_note)
                for grade in green_book.grades_in_force())  # (on the guidance scale no line is graded G, A or R)
    rows.append((("cost_optimism_bias", None), "Optimism bias on costs: the spend raised by",
                 green_book.cost_optimism_bias, green_book.cost_optimism_bias_note))
    rates("drop_off", "Drop-off per year", green_book.drop_off)
    rows.append((("discount_rate", None), "Discount rate a year", green_book.discount_rate, green_book.discount_rate_note))
    return rows


def assumption_cells(green_book) -> dict[tuple[str, str | None], str]:
    """Each assumption's key -> the cell on the Assumptions sheet holding its value."""
    return {key: f"Assumptions!$B${row}"
            for row, (key, *_) in enumerate(assumption_values(green_book), start=HEADER_ROW + 1)}


GRADE_LABEL = "Optimism bias: evidence grade "
"""The label of each grade's row on the Assumptions sheet, before the grade (``grade_lookup``)."""


def grade_lookup(green_book) -> typing.Callable[[str], str]:
    """A function from a line's Evidence grade cell on Outcome lines to the formula of its
    optimism bias: the grade looked up on the Assumptions sheet's rows of the grades in force (by
    their labels, ``GRADE_LABEL`` + grade), so editing a grade and recalculating takes that
    grade's percentage. A grade typed as a number (4) or text ("4", " a ") alike; on the guidance
    scale a letter is taken at its grade (``assumptions.RAG_TO_GRADE``) as the tool takes it; a
    cell that holds no grade in force shows #N/A, never another grade's figure."""
    rows = [row for row, (key, *_) in enumerate(assumption_values(green_book), start=HEADER_ROW + 1)
            if key[0] == "optimism_bias"]
    labels, values = (f"Assumptions!${column}${rows[0]}:${column}${rows[-1]}" for column in "AB")

    def formula(grade_cell: str) -> str:
        grade = f"TRIM({grade_cell})"
        if green_book.optimism_bias_scale == "guidance":  # (a letter compares in any capitals)
            for letter, number in reversed(assumptions.RAG_TO_GRADE.items()):
                grade = f'IF(TRIM({grade_cell})="{letter}","{number}",{grade})'
        return f"=INDEX({values},MATCH({text_literal(GRADE_LABEL)}&{grade},{labels},0))"
    return formula


def assumption_formulas(line, cells: dict) -> dict[str, Formula]:
    """An outcome line's assumptions on Outcome lines as references to the Assumptions sheet (a
    deadweight or attribution the line sets itself stays its own value, in its own cell; its
    optimism bias is looked up by its grade: ``grade_lookup``)."""
    def by_code(key: str, value) -> Formula:
        return Formula(f"={cells.get((key, line.code), cells[(key, None)])}", value)

    formulas = {"Drop-off": by_code("drop_off", line.drop_off),
                "Discount rate": Formula(f"={cells[('discount_rate', None)]}", line.discount_rate)}
    if not line.own_deadweight:
        formulas["Deadweight"] = by_code("deadweight", line.deadweight)
    if not line.own_attribution:
        formulas["Attribution"] = by_code("attribution", line.attribution)
    return formulas


def tool_figures(result: report.Report) -> str:
    """How a figure the spreadsheet does not recalculate is marked."""
    return f"as calculated by up2u-cba on {result.generated_at:%Y-%m-%d}; not recalculated by the spreadsheet"


def live_year(entry, row: int, refs: Refs) -> list:
    """The report's year's row on Years (service, year, completed cases, saving, prudent saving)
    as formulas over Outcome lines (which hold that year's lines) and Participants."""
    of_service = f'--({_lines("Service")}=$A${row})'
    cell = refs.participant_totals.get((entry.service, COMPLETERS))
    completers = entry.completers if cell is None else Live(f"={cell}", entry.completers)
    return [entry.service, str(entry.year), completers,
            Live(f'=SUMPRODUCT({of_service},{_lines("Saving")})', int(entry.total_saving)),
            Live(f'=SUMPRODUCT({of_service},{_lines("Prudent saving")})', int(entry.prudent_saving))]


def live_against_spend(entry, row: int) -> list:
    """The report's year's net saving and return per £1 on Years, live (nothing while no spend is set)."""
    if entry.spend is None:
        return [None, None]
    return [Live(f"=D{row}-F{row}", int(entry.net_saving)),
            Live("=" + rounded(f"D{row}/F{row}", 2), float(entry.return_on_investment))]


def add_assumptions(sheet, result: report.Report, publish: bool) -> None:
    start(sheet, "Assumptions", "The Green Book assumptions behind the prudent figures, and where each came from. "
          "Change a value in column B where column C says yes, recalculate, and every prudent figure follows"
          + (" (a line that sets its own deadweight or attribution keeps it: Outcome lines)." if not publish else
             " (this published workbook holds no outcome lines, so its figures are as calculated by the tool)."))
    row = HEADER_ROW
    for _, label, value, note in assumption_values(result.green_book):
        row += 1
        put(sheet, row, 1, label)
        put(sheet, row, 2, float(value)).number_format = PROPORTION
        put(sheet, row, 3, NOT_CHANGEABLE if publish else CHANGEABLE)
        put(sheet, row, 4, note)
    for name, value, note in result.green_book.notes():
        if name in TEXT_ASSUMPTIONS:
            row += 1
            for column, text in enumerate((name, value, NOT_CHANGEABLE, note), start=1):
                put(sheet, row, column, text)
    for line_row in range(HEADER_ROW + 1, row + 1):
        for column in range(1, 5):
            sheet.cell(row=line_row, column=column).alignment = Alignment(wrap_text=True, vertical="top")
    table(sheet, ["Assumption", "Value", "May be changed here", "Source"], row)
    for column, width in zip("ABCD", (40, 30, 40, 60)):
        sheet.set_width(column, width)


NO_SENSITIVITY = "--no-sensitivity"
"""The report option that leaves the sensitivity analysis out."""


def add_sensitivity(sheet, result: report.Report) -> None:
    start(sheet, "Sensitivity", "How the prudent net saving and return move when each assumption takes one "
                                "programme-wide low or high value, largest effect first; the switching value is "
                                "where the prudent net saving, from the lines' exact (unrounded) values, is zero, "
                                "shown as a percentage to 2 decimal places toward the side where the programme "
                                "still pays for itself (the JSON report gives it to 10 places). Every figure here is "
                                f"{tool_figures(result)}: each is a whole report run again at another value, "
                                "which the spreadsheet cannot do.")
    row = HEADER_ROW
    for analysis in result.sensitivity:
        for item in analysis.rows:
            row += 1
            values = [analysis.service, item.label, float(item.low), float(item.high), int(item.at_low.net_saving),
                      int(item.at_high.net_saving), float(item.at_low.return_on_investment),
                      float(item.at_high.return_on_investment), int(item.swing),
                      # once, as a percentage to 2 places toward the side that pays (the JSON gives 10 places)
                      item.no_switch if item.switching_value is None else float(item.switching_percent / 100),
                      None if item.switching_value is None else item.pays_where]
            for column, value in enumerate(values, start=1):
                put(sheet, row, column, value)
            for column, number_format in ((3, PERCENT), (4, PERCENT), (5, POUNDS), (6, POUNDS), (7, MONEY_PER_POUND),
                                          (8, MONEY_PER_POUND), (9, POUNDS), (10, PROPORTION)):
                sheet.cell(row=row, column=column).number_format = number_format
            if item.switching_value is None:  # words in a column of figures: kept clear of the swing beside them
                sheet.cell(row=row, column=10).alignment = Alignment(horizontal="left", indent=1)
    for summary in result.services:
        if result.sensitivity_left_out:
            row += 1
            put(sheet, row, 1, summary.service)
            put(sheet, row, 2, f"left out of this workbook (report {NO_SENSITIVITY}): "
                               f"`up2u-cba sensitivity --year {summary.year}` shows it")
        elif summary.spend is None:  # nothing to set the assumptions' effect against
            row += 1
            put(sheet, row, 1, summary.service)
            put(sheet, row, 2, f"no spend set for {summary.year}: the effect on the net saving and return per £1 is "
                               "not available until it is")
    table(sheet, ["Service", "Assumption", "Low", "High", "Net saving at low", "Net saving at high",
                  "Return per £1 at low", "Return per £1 at high", "Swing", "Switching value",
                  "Pays for itself"], row)
    fit_widths(sheet)


HOW_SURE = "How sure"
"""The sheet of the year's resampled intervals, where the saving comes from, and break-even."""
HOW_SURE_HEADINGS = ["Service", "Measure", "Gross", "Gross interval low", "Gross interval high",
                     "Prudent", "Prudent interval low", "Prudent interval high"]


def add_how_sure(sheet, result: report.Report) -> None:
    """Each service's figures beside their resampled intervals (``uncertainty.analyse``), the
    shares of the saving from its largest cases, and its break-even points."""
    level = uncertainty.level_text(result.uncertainty[0].level)
    start(sheet, HOW_SURE, f"How much each year's figures rest on which cases happened to complete: the central {level} "
                           "of the figures of the year's completed cases resampled (whole cases, with replacement, as "
                           "many as completed), beside the year's own figure; the share of resamples that pay for "
                           "themselves; where the saving comes from; and the break-even points. A resample cannot "
                           "show what would have happened without the programme. Every figure here is "
                           f"{tool_figures(result)}: resampling is not a spreadsheet formula.")
    row = HEADER_ROW
    for summary in result.services:
        entry = result.uncertainty_of(summary.service)
        if entry is None:
            continue
        for label, number_format, values in how_sure_rows(summary, entry):
            row += 1
            put(sheet, row, 1, summary.service)
            put(sheet, row, 2, label)
            for column, value in enumerate(values, start=3):
                cell = put(sheet, row, column, value)
                if isinstance(value, (int, float)):
                    cell.number_format = number_format
        row += 1
        put(sheet, row, 1, summary.service)
        put(sheet, row, 2, uncertainty.how_made(entry))
    table(sheet, HOW_SURE_HEADINGS, row)
    fit_widths(sheet, maximum=60)


def how_sure_rows(summary: calculate.ServiceSummary, entry) -> list[tuple[str, str, list]]:
    """(label, number format, values under HOW_SURE_HEADINGS from Gross) for one service."""
    def spanned(point, gross, prudent_point, prudent, number=int) -> list:
        def ends(found):
            return [None, None] if found is None else [number(found.low), number(found.high)]
        return [report.NOT_AVAILABLE if point is None else number(point), *ends(gross),
                report.NOT_AVAILABLE if prudent_point is None else number(prudent_point), *ends(prudent)]

    def pair(gross, prudent, number=float) -> list:
        return [report.NOT_AVAILABLE if gross is None else number(gross), None, None,
                report.NOT_AVAILABLE if prudent is None else number(prudent), None, None]

    return [
        ("Total saving", POUNDS, spanned(summary.total_saving, entry.total, summary.prudent_total, entry.prudent_total)),
        ("Net saving (saving - spend)", POUNDS,
         spanned(summary.net_saving, entry.net, summary.prudent_net_saving, entry.prudent_net)),
        ("Return per £1 spent", MONEY_PER_POUND, spanned(summary.return_on_investment, entry.return_per_pound,
                                                         summary.financial_return, entry.financial_return, float)),
        ("Share of resamples that pay for themselves (net saving above 0)", PROPORTION,
         pair(entry.pays_for_itself, entry.prudent_pays_for_itself)),
        ("Largest case's share of the total saving", PROPORTION, pair(entry.largest_case_share, None)[:1]),
        (f"Top 10% of cases' share of the total saving ({entry.top_tenth_cases} of {entry.completers})", PROPORTION,
         pair(entry.top_tenth_share, None)[:1]),
        ("Return per £1 without the largest case", MONEY_PER_POUND, pair(entry.return_without_largest, None)[:1]),
        ("Break-even: completed cases at the average saving that cover the spend", "0",
         pair(entry.break_even_completers, entry.prudent_break_even_completers, int)),
        ("Break-even: the largest spend the year's outcomes pay for", POUNDS,
         pair(entry.break_even_spend, entry.prudent_break_even_spend, int)),
    ]


def add_unit_costs(sheet, result: report.Report) -> None:
    start(sheet, "Unit costs used", "Where every value comes from: source, price year, uprating and how robust "
                                    "the estimate is (RAG). " + gmca_credit(result)
                                    + (f" Crosswalk: {result.crosswalk.text}." if result.crosswalk else ""))
    headings = ["Code", "Description", "Unit", "Agency", "Theme", "Fiscal value", "Price year", "Uprating factor",
                f"Value at {result.price_year} prices", "RAG", "Source", "Comment", "File", "Edition"]
    row = HEADER_ROW
    for used in result.unit_costs_used:
        row += 1
        cost = used.cost
        comment, *rest = comment_parts(cost.comment)
        values = [cost.code, cost.description, cost.unit, cost.agency, cost.theme, float(cost.fiscal.amount),
                  str(cost.fiscal.price_year), float(used.uprating_factor),
                  float(used.value_uprated.quantize(models.CLEAN)), cost.rag,  # to 6 places, as to_pence takes it
                  cost.source, comment, cost.origin, cost.edition]
        for column, value in enumerate(values, start=1):
            cell = put(sheet, row, column, value)
            cell.alignment = Alignment(wrap_text=column in (2, 11, 12), vertical="top")
        sheet.set_height(row, 15 * min(8, max(wrapped_lines(cost.description, 45),
                                              wrapped_lines(cost.source, 45),
                                              wrapped_lines(cost.comment, 80))) + 2)
        sheet.cell(row=row, column=6).number_format = PENCE
        sheet.cell(row=row, column=8).number_format = FACTOR
        sheet.cell(row=row, column=9).number_format = PENCE
        for part in rest:  # the rest of a long comment, in rows of its own below (a row is at most 409 points)
            row += 1
            put(sheet, row, 1, cost.code)
            put(sheet, row, 12, part).alignment = Alignment(wrap_text=True, vertical="top")
    table(sheet, headings, row)
    fit_widths(sheet, maximum=45)
    sheet.set_width("L", 80)


COMMENT_PART = 1500
"""Most characters of a unit cost's comment in one row of Unit costs used (about 21 lines in its
80-wide column, within the tallest row a spreadsheet allows)."""
TALLEST_ROW = 409
"""The tallest row Excel allows, in points."""


def comment_parts(comment: str) -> list[str]:
    """A comment in parts of at most COMMENT_PART characters, broken between words, that printed
    one a row show it whole."""
    parts, rest = [], comment
    while len(rest) > COMMENT_PART:
        cut = rest.rfind(" ", 0, COMMENT_PART)
        cut = cut if cut > 0 else COMMENT_PART
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip(" ")
    return parts + [rest]


def add_method(sheet, result: report.Report, publish: disclosure.Publication | None) -> None:
    start(sheet, "Method", "How the figures were made, and what they do and do not count.")
    entries = [
        ("Financial year", f"{result.year}: cases that completed between {result.year.first_day:%-d %B %Y} and "
                           f"{result.year.last_day:%-d %B %Y}."),
        ("Price year", f"Every value is expressed in {result.price_year} prices."),
        ("Uprating", f"value x deflator[{result.price_year}] / deflator[the cost's price year], with "
                     f"{result.deflator_series} ({result.deflator_file})."),
        ("Outcome line", "saving = quantity x years x unit value x uprating factor, rounded to whole pounds, "
                         "half up (£0.50 rounds up)."),
        ("Totals", "Every total is the sum of the rounded lines, so every table adds up to the pound."),
        ("Value counted", "Savings and returns count fiscal values only: costs to the public sector avoided. "
                          "Economic and social values enter only the public value measure (prudent figures)."),
        ("Agency split", "A line valued with a cost whose constituents name agencies is shared between them in "
                         "proportion to their values; what they leave unexplained stays with the cost's own "
                         "agency."),
        ("Split or not", "A cost is split only where its constituents are parts of the same thing: each has a "
                         "fiscal value in the cost's own unit (per incident throughout; a part per week or per "
                         "session under a cost per application is not). Otherwise, or where the parts add up to "
                         "more than the cost, the line stays with the cost's own agency and the Agency split "
                         "sheet's How shared says why. Shares are the parts' values at their own price year "
                         "(uprated to the cost's only where the parts' years differ), never the report's, so a "
                         "split does not move with the report's price year. Source: GMCA Unit Cost Database, "
                         "constituent rows with their own unit and price year."),
        ("Transfers", "A transfer payment (a benefit paid, tax received) moves money and is no saving to "
                      "society (HM Treasury Green Book): public value leaves it out. The GMCA database's comments "
                      "say which fiscal values are transfers (the benefit payments of E&E1.0-E&E3.0, the tax "
                      "values of E&S5.0-E&S13.0); the unit cost table marks them, the settings may add or remove "
                      "codes. A line's transfer share is 1 for a cost marked itself, the marked parts' share of "
                      "a cost split into parts (the NHS part of E&E1.0 stays in public value), else 0; its "
                      "prudent transfer is prudent saving x transfer share rounded to whole pounds half up "
                      "(Outcome lines), so transfers and the rest add up to the prudent saving exactly."),
        ("Cashability", "Each agency's prudent saving x its cashability: the share set for its full name "
                        "(Police / Local Authority), else for its level 1 (Police), else the default (2014 HM "
                        "Treasury guidance for local partnerships: cashable fiscal benefits). Names are compared "
                        "in any capitals and spacing; an agency no unit cost bears is refused, never ignored."),
        ("Double counting", "A case may not count a cost and any of its constituents together."),
        ("Return on investment", "total saving / programme spend, to 2 decimal places."),
        ("Gross figures", "The published method: no adjustment for deadweight, attribution, optimism bias, "
                          "drop-off, discounting or cashability."),
        ("Prudent figures", "saving = quantity x unit value x uprating factor x years factor x (1 - deadweight) x "
                            "attribution x (1 - optimism bias), rounded to whole pounds half up; the years factor "
                            "adds each year k of the benefit as (1 - drop-off)^k / (1 + discount rate)^k. The "
                            "assumptions and their sources are on the Assumptions sheet."),
        ("Optimism bias", optimism_bias_method(result.green_book, editable=not publish)),
        ("Spend", SPEND_BASIS),
        ("Payback period", PAYBACK_DEFINITION),
        *([] if publish else [(HOW_SURE, uncertainty.METHOD)]),
        ("Forecast", forecast.METHOD),
        ("Caveat", CAVEAT),
    ]
    if publish:
        entries.append(("Publication", f"Per-case sheets are left out. Small-number rule \"{publish.rule.name}\": "
                                       f"{publish.rule.title}; a saving of a locality, agency or theme resting on "
                                       f"that few cases is not shown either. {HIDDEN} marks every figure not shown, "
                                       f"including those hidden so that a small one cannot be worked out from "
                                       f"the totals (each table with a total has none or at least two hidden "
                                       f"figures, enough that no hidden one can be pinned to a small number). "
                                       f"Each service's total for the year is always shown."))
    for row, (label, text) in enumerate(entries, start=HEADER_ROW):
        put(sheet, row, 1, label).font = BOLD
        sheet.cell(row=row, column=1).alignment = Alignment(vertical="top")
        cell = put(sheet, row, 2, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.set_height(row, 15 * wrapped_lines(text, 100) + 2)
    sheet.set_width("A", 24)
    sheet.set_width("B", 110)
    print_setup(sheet)


def add_run_info(sheet, result: report.Report, publish: disclosure.Publication | None) -> None:
    start(sheet, "Run info", "How this workbook was made, so it can be made again.")
    sheet.set_width("A", 40)
    sheet.set_width("B", 70)
    sheet.stream(after_row=2, columns=run_info_columns(result.changed_since, publish))  # a row per input file
    entries = [
        ("Tool", f"up2u-cba {result.tool_version}"),
        ("Generated", result.generated_at.isoformat(sep=" ")),
        ("Command", result.command),
        ("Settings file", result.settings_file),
        ("Financial year", str(result.year)),
        ("Price year", str(result.price_year)),
        ("Deflator series", f"{result.deflator_series} ({result.deflator_file})"),
        ("Rounding", "each outcome line rounded to whole pounds, half up; totals are sums of lines"),
        ("Attribution", gmca_credit(result)),
        ("Unit cost tables", "; ".join(f"{table.file} ({table.edition_text}, {counted(table.costs, 'cost')})"
                                       for table in result.cost_tables)),
        ("Crosswalk", result.crosswalk.text if result.crosswalk else "none: cases' codes are the tables' own"),
    ]
    if publish:
        entries.append(("Small-number rule", f"{publish.rule.name}: {publish.rule.title}"))
    for row, (label, value) in enumerate(entries, start=HEADER_ROW):
        put(sheet, row, 1, label).font = BOLD
        put(sheet, row, 2, value)
    row = HEADER_ROW + len(entries) + 1
    header(sheet, row, ["Input file", "SHA-256"])
    inputs = list(result.inputs)
    if publish:
        # case files are named by reference: publish them as one combined checksum
        case_files = [item for item in inputs if item.path.endswith(".toml") and item is not inputs[0]]
        inputs = [item for item in inputs if item not in case_files]
        combined = hashlib.sha256("".join(item.sha256 for item in case_files).encode()).hexdigest()
        inputs.append(report.InputFile(path=ALL_CASE_FILES, sha256=combined))
    for item in inputs:
        row += 1
        put(sheet, row, 1, item.path)
        put(sheet, row, 2, item.sha256)
    if result.changed_since is not None:
        add_changed_since(sheet, row + 2, result.changed_since, publish)
    print_setup(sheet)


def run_info_columns(changed: report.ChangedSince | None, publish) -> int:
    """How many columns Run info will use: its input files (2), the files found changed (3), the
    cases changed since (6)."""
    files = None if changed is None else changed.files
    columns = 2
    if files is not None and files.anything and any(
            getattr(files, name) for name in FILES_COMPARED if not publish or name == "inputs"):
        columns = 3
    if changed is not None and changed.cases and not publish:
        columns = 6
    return columns


CHANGED_HEADINGS = ["Case changed", "What changed", "Changed (UTC)", "Kind", "Reason", "Tool"]
"""The Run info table of cases changed since a date or an earlier report (``--changed-since``)."""


def add_changed_since(sheet, row: int, changed: report.ChangedSince, publish) -> None:
    """The cases changed since the moment asked for, one row per change (a published workbook
    gives only how many, as it names no case)."""
    put(sheet, row, 1, f"Cases changed since {changed.since:%Y-%m-%d %H:%M:%S} UTC").font = BOLD
    put(sheet, row, 2, f"--changed-since {changed.given}")
    row += 1
    files = changed.files
    if not changed.cases and not (files and files.anything):
        put(sheet, row, 1, "None: no case of these services changed since then.")
        return
    if files is not None and files.anything:
        row = add_files_compared(sheet, row, files, publish) + 1
    if not changed.cases:
        put(sheet, row, 1, "No case's history records a change since then.")
        return
    if publish:
        put(sheet, row, 1, f"{counted(len(changed.cases), 'case')} changed since then; the workbook made "
                           "without --publish lists them.")
        return
    header(sheet, row, CHANGED_HEADINGS)
    for case in changed.cases:
        name = f"{case.reference} ({case.service}{', withdrawn' if case.withdrawn else ''})"
        for change in case.changes:
            row += 1
            what = list(change.what) or ["(no detail recorded)"]
            put(sheet, row, 1, name)
            put(sheet, row, 2, "\n".join(what)).alignment = Alignment(wrap_text=True, vertical="top")
            made = change.made.astimezone(datetime.timezone.utc) if change.made.tzinfo else change.made
            put(sheet, row, 3, made.replace(tzinfo=None)).number_format = "yyyy-mm-dd hh:mm:ss"
            put(sheet, row, 4, change.kind.value)
            put(sheet, row, 5, change.reason).alignment = Alignment(wrap_text=True, vertical="top")
            put(sheet, row, 6, change.tool + (f" ({change.user})" if change.user else ""))
            sheet.set_height(row, 15 * len(what) + 2)
    for letter, width in (("C", 20), ("D", 12), ("E", 40), ("F", 24)):
        sheet.set_width(letter, width)


ALL_CASE_FILES = "case files (one checksum of them all)"
"""The one Run info row a published workbook gives all case files (named by reference)."""


FILES_COMPARED = {
    "outside_tool": "Changed outside the tool: the file differs from the one the earlier report read, and its "
                    "history records no change since",
    "added": "Case file added since the earlier report",
    "gone": "Case file gone since the earlier report",
    "inputs": "Input file not as the earlier report read it (the figures may move without any case changing)",
}
"""What comparing the input files with an earlier report's checksums found, one row per file."""


def add_files_compared(sheet, row: int, files: report.FilesCompared, publish) -> int:
    """The input files not as the earlier report read them, from ``row``, each a row: what was
    found, the file and the case (a published workbook counts case files, as it names no case);
    returns the next free row."""
    if files.case_files_together is not None:
        put(sheet, row, 1, "Case files (the earlier report gives one checksum of them all)").font = BOLD
        put(sheet, row, 2, "they differ from the ones it read" if files.case_files_together
            else "they are the ones it read")
        row += 1
    for name, heading in FILES_COMPARED.items():
        found = getattr(files, name)
        if publish and name != "inputs" and found:
            put(sheet, row, 1, heading).font = BOLD
            put(sheet, row, 2, f"{counted(len(found), 'case file')}; the workbook made without --publish lists them")
            row += 1
            continue
        for item in found:
            put(sheet, row, 1, heading).font = BOLD
            put(sheet, row, 2, item.path)
            put(sheet, row, 3, f"{item.reference} ({item.service})" if item.reference else item.kind)
            row += 1
    return row


def generated_at(path: str, kind) -> tuple[datetime.datetime | None, object]:
    """When the workbook at ``path`` (one this module wrote) was made: its Run info's "Generated"
    row; or None and the problem (``input_files.Kind`` ``kind`` names what was expected)."""
    found, problem = read_run_info(path, kind)
    return (None, problem) if found is None else (found[0], None)


def read_run_info(path: str, kind) -> tuple[tuple[datetime.datetime, list[report.InputFile]] | None, object]:
    """When the workbook at ``path`` (one this module wrote) was made (its Run info's "Generated"
    row) and the input files it lists with their checksums; or None and the problem
    (``input_files.Kind`` ``kind`` names what was expected)."""
    data, problem = input_files.open_workbook(path, kind, input_files.WorkbookBounds())
    if data is None:
        return None, problem
    refused = Problem(code="not-a-report", file=path, where="Run info",
                      message="this is not a report workbook up2u-cba wrote (no Run info sheet with its "
                              "Generated time)",
                      hint=kind.format_hint)
    import openpyxl  # reading a workbook only: it is written with XlsxWriter

    try:
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
        if "Run info" not in book.sheetnames:
            return None, refused
        made, inputs, listing = None, [], False
        for values in book["Run info"].iter_rows(min_row=1, max_col=2, values_only=True):
            label, value = (tuple(values) + (None, None))[:2]
            if label == "Generated" and made is None:
                made = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(
                    str(value).strip())
            elif label == "Input file" and value == "SHA-256":
                listing = True
            elif listing and isinstance(label, str) and isinstance(value, str):
                inputs.append(report.InputFile(path=_as_written(label), sha256=value))
            elif listing:
                break
        if made is not None:
            return (made, inputs), None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, SyntaxError, OverflowError):
        pass
    return None, refused


_ESCAPED_ESCAPE = re.compile(r"_x005F(_x[0-9A-Fa-f]{4}_)")


def _as_written(text: str) -> str:
    """Text of a cell this module wrote, as it was written: a file name holding what reads as an
    escape (``a_x0041_.csv``) is stored with its underscore escaped (``a_x005F_x0041_.csv``, as
    Excel shows it) and openpyxl reads that back undecoded. (Workbooks written before XlsxWriter
    stored such text bare, and never hold the escaped form.)"""
    return _ESCAPED_ESCAPE.sub(r"\1", text)


PRUDENT_APPLIED = ("The prudent figures apply the Green Book assumptions (Assumptions sheet; each line's own values "
                   "on Outcome lines) to the lines counted above.")
"""What the Summary says of a service whose prudent figures some assumption moves."""
COST_PER_COMPLETER = "Cost per completed case (spend / completed cases)"
ENDED = "Cases ended in the year (completed, or closed: Participants)"
COMPLETION_RATE = "Completion rate (completed / cases ended in the year)"
ADJUSTED_LINES = "Outcome lines a Green Book assumption moves"
NO_COMPLETED_CASE, NONE_ENDED = "no completed case", "none ended"
"""What the Summary shows for a cost per completed case or a completion rate with nothing to divide by."""


def text_formula(text: str, result) -> Formula:
    """A ``Formula`` whose stored result may be text (a note, "none ended") as well as a number."""
    made = Formula(text, None if isinstance(result, str) else result)
    if isinstance(result, str):
        made.result = result
    return made


def text_literal(text: str) -> str:
    """The tool's own ``text`` as a formula's string: quotes doubled, in pieces of at most 250
    characters joined with ``&`` (a spreadsheet refuses a longer string in a formula). Never input text."""
    pieces = [text[start:start + 250] for start in range(0, len(text), 250)] or [""]
    return "&".join('"' + piece.replace('"', '""') + '"' for piece in pieces)


def nothing_deducted(service_cell: str, year_cell: str) -> str:
    """``report.NOTHING_DEDUCTED`` as a formula's string, the service and year by reference to
    the cells holding them (input text is never quoted in a formula)."""
    marked = report.NOTHING_DEDUCTED.format(service="\0service\0", year="\0year\0")
    cells = {"service": service_cell, "year": year_cell}
    return "&".join(cells[piece] if index % 2 else text_literal(piece)
                    for index, piece in enumerate(marked.split("\0")) if piece or not index % 2)


class Block(typing.NamedTuple):
    """Where one block of the Summary holds its figures, for the all-services block's sums."""

    rows: dict[str, int]
    """What (``completers``, ``saving``, ``spend``, ``ended``...) -> its row; gross in column B, prudent in C."""
    ended_shown: bool = True
    """Whether its cases ended in the year are shown (published, each count they add is shown exactly)."""


def add_summary(sheet, result: report.Report, refs: Refs, publish: disclosure.Publication | None) -> None:
    start(sheet, f"Up2U cost-benefit analysis, financial year {result.year}",
          f"Fiscal savings of cases completed in the year, at {result.price_year} prices "
          f"({result.deflator_series}): gross, as published, and prudent, after the Green Book assumptions on "
          f"the Assumptions sheet." + (published_note(publish) if publish else
                                       " Figures are live formulas over Outcome lines.")
          + "".join(" " + report.spend_not_set_note(summary.service, summary.year)
                    for summary in result.services if summary.spend is None))
    row = HEADER_ROW - 1
    blocks = []
    for summary in result.services:
        row += 1
        put(sheet, row, 1, summary.service).font = TITLE
        saving_row, spend_row, completers_row = row + 5, row + 6, row + 4
        ended_row, count_row = row + 11, row + 13
        for column, heading in ((2, "Gross"), (3, "Prudent")):
            if column == 3 and not publish:
                heading = text_formula(f'=IF(AND(C{count_row}=0,C{spend_row}=B{spend_row}),"Prudent (equals gross)",'
                                       '"Prudent")',
                                       "Prudent" if summary.prudent_adjusted else "Prudent (equals gross)")
            elif column == 3 and not summary.prudent_adjusted:
                heading = "Prudent (equals gross)"
            cell = put(sheet, row, column, heading)
            cell.font = BOLD
            cell.alignment = Alignment(horizontal="right")
        service = f"$B${row + 1}"  # the cell holding the service's name: formulas never quote input text
        of_service = f'--({_lines("Service")}={service})'

        def total(column: str, amount) -> object:
            return int(amount) if publish else Live(f'=SUMPRODUCT({of_service},{_lines(column)})', amount)

        def live(amount, formula: str, number=int) -> object:
            return number(amount) if publish else Live(formula, amount)

        def against_spend(amount, formula: str, number=int) -> object:
            """A figure set against spend: text, not a formula over a blank, while no spend is set."""
            return report.NOT_AVAILABLE if summary.spend is None else live(amount, formula, number)

        spend = report.SPEND_NOT_SET if summary.spend is None else int(summary.spend)

        decided = publish.services[summary.service] if publish else None
        completers = summary.completers if decided is None else decided.completers_total
        closures = [label for label in summary.participants.rows if label in calculate.CLOSURE_ROWS]
        # published counts may be hidden or rounded: what is worked out from them is shown only where they are exact
        exact_counts = decided is None or (decided.average_shown and all(
            decided.participants[label].total is not None for label in closures))
        adjusted_lines = sum(1 for line in summary.lines if calculate.line_adjusted(line))
        adjusted = "+".join(f"({_lines(name)}<>{value})" for name, value in
                            (("Deadweight", 0), ("Attribution", 1), ("Optimism bias", 0)))
        adjusted += f'+(ABS({_lines("Years factor")}-{_lines("Years")})>0.000000001)'

        entries = [
            ("Service", summary.service, None, None),
            ("Financial year", str(summary.year), None, None),
            ("Price year", str(summary.price_year), None, None),
            ("Completed cases", HIDDEN if completers is None else completers_cell(summary, refs, completers), None, "0"),
            (f"Total estimated saving for cases completed in {summary.year}", total("Saving", summary.total_saving),
             total("Prudent saving", summary.prudent_total), POUNDS),
            ("Total estimated spend on Up2U over a 12-month period", spend,
             spend if summary.spend is None else int(summary.prudent_spend) if publish else
             Live(prudent_spend_formula(f"B{spend_row}", result.green_book, assumption_cells(result.green_book)),
                  int(summary.prudent_spend)), POUNDS),
            *derived_entries(summary, row, publish is not None),
            (ENDED, (summary.ended if exact_counts else HIDDEN) if publish else
             Live("=" + "+".join([f"B{completers_row}"] + [refs.participant_totals[(summary.service, label)]
                                                         for label in closures]), summary.ended), None, "0"),
            rate_entry(summary, row, publish is not None),
            (ADJUSTED_LINES, None, live(adjusted_lines, f"=SUMPRODUCT({of_service},--(({adjusted})>0))"), "0"),
        ]
        if decided is not None and not decided.average_shown:
            # with the total, an average would give the hidden (or rounded) count away
            entries[8] = ("Average saving per completed case", HIDDEN, HIDDEN, None)
            entries[9] = (COST_PER_COMPLETER, HIDDEN, None, None)
        if not exact_counts:
            entries[11] = (COMPLETION_RATE, HIDDEN, None, None)
        public_value = "+".join(
            [f'SUMPRODUCT({of_service},{_lines("Prudent saving")})-SUMPRODUCT({of_service},{_lines("Prudent transfer")})']
            + [f'SUMPRODUCT({of_service},{_lines(name)})' for name in ("Prudent economic", "Prudent social")])
        value_row = row + len(entries) + 3
        payback = summary.payback_months
        measures = [
            ("Public value: fiscal (transfers excluded) + economic + social, prudent",
             live(summary.public_value, f"={public_value}"), POUNDS),
            ("Public value benefit-cost ratio", against_spend(summary.public_value_ratio,
                                                              "=" + rounded(f"C{value_row}/C{spend_row}", 2), float),
             "0.00"),
            ("Net present budget impact (prudent fiscal saving - spend)",
             against_spend(summary.prudent_net_saving, f"=C{row + 7}"), POUNDS),
            ("Payback period, months (prudent fiscal savings)",
             report.NOT_AVAILABLE if summary.spend is None
             else (NOT_WITHIN if payback is None else payback) if publish or summary.service not in refs.payback
             else Live(payback_formula(refs, summary.service), NOT_WITHIN if payback is None else payback),
             "0"),
        ]
        if not publish and summary.spend is not None:
            refs.spend_cells[refs.spend_names[summary.service]] = f"Summary!$B${spend_row}"
            refs.spend_cells[refs.prudent_spend_names[summary.service]] = f"Summary!$C${spend_row}"
        put_entries(sheet, row, entries)
        blocks.append(Block({"completers": completers_row, "saving": saving_row, "spend": spend_row,
                             "ended": ended_row, "adjusted": count_row}, ended_shown=exact_counts))
        row += len(entries) + 1
        note = (report.NOTHING_DEDUCTED.format(service=summary.service, year=summary.year)
                if not summary.prudent_adjusted else PRUDENT_APPLIED) if summary.lines else ""
        put_note(sheet, row, note if publish else text_formula(
            f'=IF(SUMPRODUCT({of_service})=0,"",IF(AND(C{count_row}=0,C{spend_row}=B{spend_row}),'
            f'{nothing_deducted(service, f"$B${row - len(entries) + 1}")},{text_literal(PRUDENT_APPLIED)}))', note),
            report.NOTHING_DEDUCTED.format(service=summary.service, year=summary.year))
        row += 1
        put(sheet, row, 1, "Green Book measures (prudent)").font = BOLD
        for label, value, number_format in measures:
            row += 1
            put(sheet, row, 1, label)
            cell = place(sheet, row, 3, value)
            cell.number_format = number_format
            cell.alignment = Alignment(horizontal="right")
        if not publish and summary.service in refs.payback:  # (in the row before the agencies)
            put(sheet, row + 1, 1, "The payback period is worked month by month on the Payback sheet.")
        row += 2
        entry = result.uncertainty_of(summary.service)
        if not publish and entry is not None:
            put(sheet, row, 1, f"How sure: {uncertainty.headline(entry)} See the {HOW_SURE} sheet ({tool_figures(result)}).")
            row += 2
        put(sheet, row, 1, "Savings by agency").font = BOLD
        first_agency = row + 1
        prudent_by_agency = summary.prudent_by_agency  # a sum over the lines: taken once
        for agency, amount in summary.by_agency.items():
            row += 1
            put(sheet, row, 1, agency)
            prudent_amount = prudent_by_agency[agency]
            value = int(amount) if publish else Live(f"={refs.agency_cells[(summary.service, agency)]}", amount)
            prudent = int(prudent_amount) if publish else \
                Live(f"={refs.agency_cells[(summary.service, agency, 'prudent')]}", prudent_amount)
            if decided is not None and agency in decided.hidden_agencies:
                value = prudent = HIDDEN
            for column, figure in ((2, value), (3, prudent)):
                cell = place(sheet, row, column, figure)
                cell.number_format = POUNDS
                cell.alignment = Alignment(horizontal="right")
        row += 1
        put(sheet, row, 1, "Total").font = BOLD
        for column, letter, amount in ((2, "B", summary.total_saving), (3, "C", summary.prudent_total)):
            cell = place(sheet, row, column, int(amount) if publish or row == first_agency else
                         Live(f"=SUM({letter}{first_agency}:{letter}{row - 1})", amount))
            cell.number_format = POUNDS
            cell.font = BOLD
        row += 2
    if result.all_services is not None:
        row = add_all_services(sheet, row, result.all_services, blocks, publish) + 2
    cell = put(sheet, row, 1, CAVEAT)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge(row, 1, 3)
    sheet.set_height(row, 15 * wrapped_lines(CAVEAT, 110) + 4)
    sheet.set_width("A", 64)
    sheet.set_width("B", 26)
    sheet.set_width("C", 26)
    print_setup(sheet, portrait=True)
    sheet.xlsx.fit_to_pages(1, 1)  # the headline prints on one page, however many services it covers
    tall = sum(sheet.heights.get(number, 15) for number in range(1, row + 1))
    if tall > A4_PORTRAIT_POINTS / SMALLEST_A4_SCALE:  # (several services) A3 keeps the print readable
        sheet.xlsx.set_paper(A3)


A4_PORTRAIT_POINTS = 698
"""Height in points that rows can take on a portrait A4 page inside the margins."""
SMALLEST_A4_SCALE = 0.85
"""The Summary prints on A4 while that leaves its text at least this share of its size, else on A3."""


def completers_cell(summary, refs: Refs, completers):
    """The Summary's completed cases: the Successful completers total on Participants, live (so a
    count corrected there moves the averages, cost per case and completion rate), where that
    table counts them as the Summary does; else the count itself."""
    cell = refs.participant_totals.get((summary.service, COMPLETERS))
    if cell is None or summary.participants.total(COMPLETERS) != completers:
        return completers
    return Live(f"={cell}", completers)


COMPLETERS = "Successful completers"
"""The Participants row that counts the completed cases."""


def derived_entries(summary, row: int, publish: bool) -> list[tuple]:
    """The Summary rows worked out from a block's own cells (completed cases in B of ``row`` + 4,
    savings in ``row`` + 5, spend in ``row`` + 6): net saving, return, average and cost per
    completed case; for a service (``calculate.ServiceSummary``) or the services together
    (``report.AllServices``)."""
    completers_row, saving_row, spend_row = row + 4, row + 5, row + 6

    def live(amount, formula: str, number=int) -> object:
        return number(amount) if publish else Live(formula, amount)

    def against_spend(amount, formula: str, number=int) -> object:
        """A figure set against spend: text, not a formula over a blank, while no spend is set."""
        return report.NOT_AVAILABLE if summary.spend is None else live(amount, formula, number)

    cost = summary.cost_per_completer
    return [
        (f"Estimated net saving to {summary.service} (saving - spend)",
         against_spend(summary.net_saving, f"=B{saving_row}-B{spend_row}"),
         against_spend(summary.prudent_net_saving, f"=C{saving_row}-C{spend_row}"), POUNDS),
        ("Return on investment",
         against_spend(summary.return_on_investment, "=" + rounded(f"B{saving_row}/B{spend_row}", 2), float),
         against_spend(summary.financial_return, "=" + rounded(f"C{saving_row}/C{spend_row}", 2), float), ROI),
        ("Average saving per completed case",
         live(summary.average_saving,
              f"=IF(B{completers_row}>0,{rounded(f'B{saving_row}/B{completers_row}')},0)"),
         live(summary.prudent_average, f"=IF(B{completers_row}>0,{rounded(f'C{saving_row}/B{completers_row}')},0)"),
         POUNDS),
        (COST_PER_COMPLETER,
         report.NOT_AVAILABLE if summary.spend is None else
         (NO_COMPLETED_CASE if cost is None else float(cost)) if publish else
         Live(f'=IF(B{completers_row}>0,{rounded(f"B{spend_row}/B{completers_row}", 2)},"{NO_COMPLETED_CASE}")',
              NO_COMPLETED_CASE if cost is None else cost), None, PENCE),
    ]


def rate_entry(summary, row: int, publish: bool) -> tuple:
    """The completion rate of a block (completed cases in B of ``row`` + 4, cases ended in ``row`` + 11)."""
    completers_row, ended_row = row + 4, row + 11
    rate = summary.completion_rate
    shown = NONE_ENDED if rate is None else float(rate)
    return (COMPLETION_RATE, shown if publish else Live(
        f'=IF(B{ended_row}>0,{rounded(f"B{completers_row}/B{ended_row}", 4)},"{NONE_ENDED}")', shown),
            None, PERCENT)


def put_entries(sheet, row: int, entries: list[tuple]) -> None:
    """A Summary block's rows from ``row`` + 1: label, then the gross and prudent figures."""
    for offset, (label, value, prudent, number_format) in enumerate(entries, start=1):
        put(sheet, row + offset, 1, label)
        for column, figure in ((2, value), (3, prudent)):
            if figure is None:
                continue
            cell = place(sheet, row + offset, column, figure)
            cell.alignment = Alignment(horizontal="right")
            if number_format:
                cell.number_format = number_format
            if label.startswith(("Total estimated saving", "Estimated net", "Return")):
                sheet.cell(row=row + offset, column=1).font = BOLD
                cell.font = BOLD


def put_note(sheet, row: int, note, longest: str) -> None:
    """A sentence across the Summary's three columns, wrapped, tall enough for ``longest`` of what it may say."""
    cell = put(sheet, row, 1, note)
    cell.font = BOLD
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge(row, 1, 3)
    sheet.set_height(row, 15 * wrapped_lines(longest, 110) + 4)


def add_all_services(sheet, row: int, together: report.AllServices, blocks: list[Block],
                     publish: disclosure.Publication | None) -> int:
    """The services together, below their own blocks: each figure the sum of the services' own
    cells (so an edit to one service's lines moves it), and what is worked out from those sums as
    each service's is; returns the block's last row."""
    row += 1
    put(sheet, row, 1, "All services").font = TITLE
    adjusted = any(summary.prudent_adjusted for summary in together.services)
    # (a prudent spend differing from the spend as entered counts as an adjustment too: 6 rows down)
    adjusted_lines = "+".join(f"C{block.rows['adjusted']}" for block in blocks) + f"+(C{row + 6}<>B{row + 6})"
    for column, heading in ((2, "Gross"), (3, "Prudent" if adjusted else "Prudent (equals gross)")):
        if column == 3 and not publish:
            heading = text_formula(f'=IF({adjusted_lines}=0,"Prudent (equals gross)","Prudent")', heading)
        cell = put(sheet, row, column, heading)
        cell.font = BOLD
        cell.alignment = Alignment(horizontal="right")
    decisions = [] if publish is None else [publish.services[summary.service] for summary in together.services]
    exact = all(decided.average_shown for decided in decisions)  # else a sum gives a hidden count away
    ended_shown = exact and all(block.ended_shown for block in blocks)

    def summed(name: str, amount, letter: str = "B") -> object:
        if publish:
            return int(amount)
        return Live("=" + "+".join(f"{letter}{block.rows[name]}" for block in blocks), amount)

    spend = report.SPEND_NOT_SET if together.spend is None else None
    entries = [
        ("Service", together.service, None, None),
        ("Financial year", str(together.year), None, None),
        ("Price year", str(together.services[0].price_year), None, None),
        ("Completed cases", summed("completers", together.completers) if exact else HIDDEN, None, "0"),
        (f"Total estimated saving for cases completed in {together.year}",
         summed("saving", together.total_saving), summed("saving", together.prudent_total, "C"), POUNDS),
        ("Total estimated spend on Up2U over a 12-month period",
         spend or summed("spend", together.spend), spend or summed("spend", together.prudent_spend, "C"), POUNDS),
        *derived_entries(together, row, publish is not None),
        (ENDED, summed("ended", together.ended) if ended_shown else HIDDEN, None, "0"),
        rate_entry(together, row, publish is not None),
    ]
    if not exact:
        entries[8] = ("Average saving per completed case", HIDDEN, HIDDEN, None)
        entries[9] = (COST_PER_COMPLETER, HIDDEN, None, None)
    if not ended_shown:
        entries[11] = (COMPLETION_RATE, HIDDEN, None, None)
    put_entries(sheet, row, entries)
    row += len(entries) + 1
    first = row - len(entries) - 1  # the block's title row
    said = report.NOTHING_DEDUCTED.format(service=together.service, year=together.year)
    note = PRUDENT_APPLIED if adjusted else said
    put_note(sheet, row, note if publish else text_formula(
        f"=IF({adjusted_lines}=0,{nothing_deducted(f'$B${first + 1}', f'$B${first + 2}')},"
        f"{text_literal(PRUDENT_APPLIED)})", note), said)
    return row
