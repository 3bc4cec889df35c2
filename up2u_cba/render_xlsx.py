"""The report as an Excel workbook for commissioners (the only module that imports openpyxl).

Every figure is live and auditable: each outcome line's saving is a formula of its quantity,
years, unit value and uprating factor, rounded as the tool rounds; the agency split, the
breakdowns and the Summary are SUM / SUMIFS formulas over those lines, so changing a quantity
moves every total. The workbook asks the spreadsheet application to recalculate on opening.

With ``publish=True`` (papers that leave the council) the per-case sheets are left out, counts
of 1 to 4 are shown as "<5", and figures are stored as values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile

import openpyxl
import openpyxl.chart
import openpyxl.styles
import openpyxl.utils
import openpyxl.worksheet.properties

from up2u_cba import calculate, report

POUNDS = '"£"#,##0;-"£"#,##0'
PENCE = '"£"#,##0.00'
FACTOR = "0.000000"
PROPORTION = "0.0000%"
ROI = '"£"0.00" for every £1 spent"'
DATE = "yyyy-mm-dd"
TITLE = openpyxl.styles.Font(bold=True, size=14)
BOLD = openpyxl.styles.Font(bold=True)
NOTE = openpyxl.styles.Font(italic=True, color="555555")
HEADER_FILL = openpyxl.styles.PatternFill("solid", fgColor="DDE5F0")
HEADER_ROW = 4
"""Tables start here: row 1 title, row 2 explanation, row 3 blank."""
SUPPRESSED = "<5"
GMCA_CREDIT = ("National unit costs: GMCA / New Economy, Unit Cost Database v1.4, CC BY 4.0 "
               "(converted to CSV by up2u-cba); local costs as their Source column says.")
CAVEAT = ("These are gross estimates of public-sector (fiscal) costs avoided by the outcomes of cases that "
          "completed in the year, valued with national and local unit costs. They are not cash savings to any "
          "budget, and make no adjustment for what would have happened anyway (deadweight), for other "
          "services' part in the outcomes (attribution) or for optimism bias.")

LINE_HEADERS = ["Service", "Case", "Locality", "Completed", "Code", "Description", "Quantity", "Years",
                "Unit value", "Price year", "Uprating factor", "Unit value at report prices", "Saving",
                "Agency", "Theme", "RAG"]
LINE_COLUMN = {name: openpyxl.utils.get_column_letter(index) for index, name in enumerate(LINE_HEADERS, start=1)}
SPLIT_HEADERS = ["Service", "Case", "Code", "Outcome line row", "Agency", "Proportion", "Saving"]


def write(result: report.Report, path: str, publish: bool = False) -> None:
    """Write the workbook atomically: a temporary file in the same folder, renamed into place."""
    workbook = build(result, publish)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".up2u-cba-", suffix=".xlsx", dir=folder)
    os.close(handle)
    try:
        workbook.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


@dataclasses.dataclass
class Refs:
    """Where the live figures are, for formulas on other sheets (blank when publishing)."""

    lines_last: int = 0
    split_last: int = 0
    line_rows: dict[tuple[str, int], int] = dataclasses.field(default_factory=dict)
    """(case reference, line index) -> row on Outcome lines."""
    agency_cells: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    """(service, agency) -> cell on By agency holding its saving."""

    def lines(self, column: str) -> str:
        return f"'Outcome lines'!${LINE_COLUMN[column]}${HEADER_ROW + 1}:${LINE_COLUMN[column]}${max(self.lines_last, HEADER_ROW + 1)}"

    def split(self, letter: str) -> str:
        return f"'Agency split'!${letter}${HEADER_ROW + 1}:${letter}${max(self.split_last, HEADER_ROW + 1)}"


def build(result: report.Report, publish: bool = False) -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "Summary"
    refs = Refs()
    sheets = ["Participants"]
    if not publish:
        sheets += ["Cases", "Outcome lines", "Agency split"]
    sheets += ["By agency", "By locality", "By theme"]
    if len({row.year for row in result.years}) > 1:
        sheets.append("Years")
    sheets += ["Unit costs used", "Method", "Run info"]
    by_name = {name: workbook.create_sheet(name) for name in sheets}
    if not publish:
        add_outcome_lines(by_name["Outcome lines"], result, refs)
        add_agency_split(by_name["Agency split"], result, refs)
        add_cases(by_name["Cases"], result, refs)
    add_participants(by_name["Participants"], result, publish)
    add_by_agency(by_name["By agency"], result, refs, publish)
    add_by_locality(by_name["By locality"], result, publish)
    add_by_theme(by_name["By theme"], result, publish)
    if "Years" in by_name:
        add_years(by_name["Years"], result)
    add_unit_costs(by_name["Unit costs used"], result)
    add_method(by_name["Method"], result, publish)
    add_run_info(by_name["Run info"], result, publish)
    add_summary(summary, result, refs, publish)
    for sheet in workbook.worksheets:
        wrap_explanation(sheet)
    workbook.calculation.fullCalcOnLoad = True
    return workbook


def wrap_explanation(sheet) -> None:
    """Wrap the one-line explanation in row 2 across the sheet's table, so it neither runs off
    the page nor widens the print."""
    last = max(sheet.max_column, 2) if sheet.title != "Summary" else 2
    last = min(last, 12)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    sheet["A2"].alignment = openpyxl.styles.Alignment(wrap_text=True, vertical="top")
    width = sum((sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width or 10)
                for column in range(1, last + 1))
    lines = max(1, -(-len(str(sheet["A2"].value or "")) // max(int(width * 1.1), 1)))
    sheet.row_dimensions[2].height = 15 * lines + 3


# --- layout helpers -------------------------------------------------------------------------

def start(sheet, title: str, explanation: str) -> None:
    sheet["A1"] = title
    sheet["A1"].font = TITLE
    sheet["A2"] = explanation
    sheet["A2"].font = NOTE


def header(sheet, row: int, headings: list[str]) -> None:
    for column, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=row, column=column, value=heading)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = openpyxl.styles.Alignment(wrap_text=True, vertical="top")


def table(sheet, headings: list[str], last_row: int) -> None:
    """Freeze the header, filter it, and print landscape, fit to width, repeating the header."""
    header(sheet, HEADER_ROW, headings)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    last_column = openpyxl.utils.get_column_letter(len(headings))
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_column}{max(last_row, HEADER_ROW + 1)}"
    print_setup(sheet, repeat_rows=f"{HEADER_ROW}:{HEADER_ROW}")


def print_setup(sheet, repeat_rows: str | None = None) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = openpyxl.worksheet.properties.PageSetupProperties(fitToPage=True)
    if repeat_rows:
        sheet.print_title_rows = repeat_rows


def fit_widths(sheet, minimum: int = 8, maximum: int = 60, skip_rows: int = 2) -> None:
    """Set each column wide enough for its longest value (titles and notes in rows 1-2 excepted)."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=skip_rows + 1):
        for cell in row:
            if cell.value is None:
                continue
            text = cell.value if isinstance(cell.value, str) else f"{cell.value:,}" if isinstance(
                cell.value, (int, float)) else str(cell.value)
            length = 14 if text.startswith("=") else len(text) + 2
            widths[cell.column] = max(widths.get(cell.column, minimum), min(length, maximum))
    for column, width in widths.items():
        sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = width


def count(value: int, publish: bool) -> int | str:
    """A count as shown: 1-4 become "<5" when publishing."""
    return SUPPRESSED if publish and 1 <= value <= 4 else value


# --- sheets ---------------------------------------------------------------------------------

def add_outcome_lines(sheet, result: report.Report, refs: Refs) -> None:
    start(sheet, "Outcome lines",
          "The audit trail: one row per outcome of each completed case. Saving = ROUND(quantity x years x unit value "
          "x uprating factor, 0); change a quantity and every total moves.")
    row = HEADER_ROW
    c = LINE_COLUMN
    for summary in result.services:
        for case in summary.cases:
            for index, line in enumerate(case.lines):
                row += 1
                refs.line_rows[(case.reference, index)] = row
                values = [
                    line.service, line.reference, line.locality, case.completed_on, line.code, line.description,
                    float(line.quantity), float(line.years), float(line.unit_value), str(line.price_year),
                    float(line.uprating_factor), f"={c['Unit value']}{row}*{c['Uprating factor']}{row}",
                    f"=ROUND({c['Quantity']}{row}*{c['Years']}{row}*{c['Unit value']}{row}*{c['Uprating factor']}{row},0)",
                    line.agency, line.theme, line.rag,
                ]
                for column, value in enumerate(values, start=1):
                    sheet.cell(row=row, column=column, value=value)
                formats = {"Completed": DATE, "Unit value": PENCE, "Uprating factor": FACTOR,
                           "Unit value at report prices": PENCE, "Saving": POUNDS}
                for name, number_format in formats.items():
                    sheet[f"{c[name]}{row}"].number_format = number_format
    refs.lines_last = row
    table(sheet, LINE_HEADERS, row)
    fit_widths(sheet, maximum=50)


def add_agency_split(sheet, result: report.Report, refs: Refs) -> None:
    start(sheet, "Agency split",
          "Who benefits: each line's saving shared between the agencies of its unit cost's constituents, in "
          "proportion to their values; each share is rounded, and the largest takes what is left.")
    row = HEADER_ROW
    saving = LINE_COLUMN["Saving"]
    for summary in result.services:
        for case in summary.cases:
            for index, line in enumerate(case.lines):
                line_row = refs.line_rows[(case.reference, index)]
                parts = list(line.agency_proportions)
                largest = max(range(len(parts)), key=lambda i: (parts[i][1], -i))
                first = row + 1
                for part, (agency, proportion) in enumerate(parts):
                    row += 1
                    values = [line.service, line.reference, line.code, line_row, agency, float(proportion)]
                    for column, value in enumerate(values, start=1):
                        sheet.cell(row=row, column=column, value=value)
                    sheet.cell(row=row, column=6).number_format = PROPORTION
                    sheet.cell(row=row, column=7).number_format = POUNDS
                    if part != largest:
                        sheet.cell(row=row, column=7, value=f"=ROUND('Outcome lines'!{saving}{line_row}*F{row},0)")
                largest_row = first + largest
                others = [f"G{r}" for r in range(first, row + 1) if r != largest_row]
                rest = f"-SUM({','.join(others)})" if others else ""
                sheet.cell(row=largest_row, column=7, value=f"='Outcome lines'!{saving}{line_row}{rest}")
    refs.split_last = row
    table(sheet, SPLIT_HEADERS, row)
    fit_widths(sheet)


def add_cases(sheet, result: report.Report, refs: Refs) -> None:
    start(sheet, "Cases", "Each completed case laid out as in the published example, in reference order. "
                          "Savings come from the Outcome lines sheet.")
    row = HEADER_ROW - 1
    saving = LINE_COLUMN["Saving"]
    for summary in result.services:
        for case in sorted(summary.cases, key=lambda case: case.reference):
            row += 1
            cell = sheet.cell(row=row, column=1,
                              value=f"{case.reference} ({summary.service}, {case.locality}, completed {case.completed_on:%Y-%m-%d})")
            cell.font = BOLD
            row += 1
            header(sheet, row, ["Action", "Saving"])
            first = row + 1
            for index, line in enumerate(case.lines):
                row += 1
                sheet.cell(row=row, column=1, value=line.description)
                value = sheet.cell(row=row, column=2,
                                   value=f"='Outcome lines'!{saving}{refs.line_rows[(case.reference, index)]}")
                value.number_format = POUNDS
            row += 1
            sheet.cell(row=row, column=1, value="Total saving").font = BOLD
            total = sheet.cell(row=row, column=2, value=f"=SUM(B{first}:B{row - 1})" if case.lines else 0)
            total.font = BOLD
            total.number_format = POUNDS
            row += 1
    print_setup(sheet)
    sheet.column_dimensions["A"].width = 80
    sheet.column_dimensions["B"].width = 14


def add_participants(sheet, result: report.Report, publish: bool) -> None:
    start(sheet, "Participants",
          "Every case active in the year, counted once by where it stood (completed or closed in the year; "
          "otherwise its status on 31 March). Referrals count cases referred in the year."
          + (" Counts of 1 to 4 are shown as <5." if publish else ""))
    row = HEADER_ROW - 1
    for summary in result.services:
        participants = summary.participants
        headings = ["Category of participant", *participants.localities, f"{summary.service} total"]
        row += 1
        sheet.cell(row=row, column=1, value=f"{summary.service}, {summary.year}").font = BOLD
        row += 1
        header(sheet, row, headings)
        for column in range(2, len(headings) + 1):
            sheet.cell(row=row, column=column).alignment = openpyxl.styles.Alignment(horizontal="right", wrap_text=True)
        first_data = row + 1
        for label in calculate.PARTICIPANT_ROWS:
            row += 1
            sheet.cell(row=row, column=1, value=label)
            for column, locality in enumerate(participants.localities, start=2):
                sheet.cell(row=row, column=column, value=count(participants.counts[label][locality], publish))
            total_column = len(headings)
            if publish:
                sheet.cell(row=row, column=total_column, value=count(participants.total(label), publish))
            else:
                first = openpyxl.utils.get_column_letter(2)
                last = openpyxl.utils.get_column_letter(total_column - 1)
                sheet.cell(row=row, column=total_column, value=f"=SUM({first}{row}:{last}{row})")
        chart = openpyxl.chart.BarChart()
        chart.type = "bar"
        chart.title = f"{summary.service} participants by locality, {summary.year}"
        chart.y_axis.title = "Participants"
        data = openpyxl.chart.Reference(sheet, min_col=2, max_col=1 + len(participants.localities),
                                        min_row=first_data - 1, max_row=row)
        categories = openpyxl.chart.Reference(sheet, min_col=1, min_row=first_data, max_row=row)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(categories)
        chart.height, chart.width = 11, 18
        sheet.add_chart(chart, f"{openpyxl.utils.get_column_letter(len(headings) + 2)}{first_data - 1}")
        row += 15
    sheet.freeze_panes = f"A{HEADER_ROW}"
    print_setup(sheet)
    fit_widths(sheet, minimum=12)


def add_by_agency(sheet, result: report.Report, refs: Refs, publish: bool) -> None:
    start(sheet, "Savings by agency",
          "Who benefits: the agency split of every outcome line added up per agency.")
    row = HEADER_ROW
    for summary in result.services:
        first = row + 1
        for agency, amount in summary.by_agency.items():
            row += 1
            sheet.cell(row=row, column=1, value=summary.service)
            sheet.cell(row=row, column=2, value=agency)
            value = int(amount) if publish else (
                f'=SUMIFS({refs.split("G")},{refs.split("A")},A{row},{refs.split("E")},B{row})')
            sheet.cell(row=row, column=3, value=value).number_format = POUNDS
            refs.agency_cells[(summary.service, agency)] = f"'By agency'!$C${row}"
        if row >= first:
            chart = openpyxl.chart.BarChart()
            chart.type = "bar"
            chart.title = f"{summary.service} savings by agency, {summary.year}"
            chart.legend = None
            chart.add_data(openpyxl.chart.Reference(sheet, min_col=3, min_row=first, max_row=row))
            chart.set_categories(openpyxl.chart.Reference(sheet, min_col=2, min_row=first, max_row=row))
            chart.y_axis.numFmt = POUNDS
            chart.height, chart.width = max(6, 0.6 * (row - first + 1) + 2), 18
            sheet.add_chart(chart, f"E{first}")
    table(sheet, ["Service", "Agency", "Saving"], row)
    fit_widths(sheet)


def add_by_locality(sheet, result: report.Report, publish: bool) -> None:
    start(sheet, "Savings by locality", "Completed cases and their savings, per locality."
          + (" Counts of 1 to 4 are shown as <5." if publish else ""))
    row = HEADER_ROW
    for summary in result.services:
        completed = {locality: 0 for locality in summary.participants.localities}
        for case in summary.cases:
            completed[case.locality] = completed.get(case.locality, 0) + 1
        for locality, amount in summary.by_locality.items():
            row += 1
            sheet.cell(row=row, column=1, value=summary.service)
            sheet.cell(row=row, column=2, value=locality)
            sheet.cell(row=row, column=3, value=count(completed.get(locality, 0), publish))
            value = int(amount) if publish else "=SUMIFS({s},{a},A{r},{c},B{r})".format(
                s=_lines("Saving"), a=_lines("Service"), c=_lines("Locality"), r=row)
            sheet.cell(row=row, column=4, value=value).number_format = POUNDS
    table(sheet, ["Service", "Locality", "Completed cases", "Saving"], row)
    fit_widths(sheet)


def _lines(column: str) -> str:
    """A whole column of Outcome lines, from the first data row down (open-ended, so rows added
    by hand are counted too)."""
    letter = LINE_COLUMN[column]
    return f"'Outcome lines'!${letter}${HEADER_ROW + 1}:${letter}$1048576"


def add_by_theme(sheet, result: report.Report, publish: bool) -> None:
    start(sheet, "Savings by outcome theme", "Savings per theme of the unit cost database (Crime, Health...).")
    row = HEADER_ROW
    for summary in result.services:
        for theme, amount in summary.by_theme.items():
            row += 1
            sheet.cell(row=row, column=1, value=summary.service)
            sheet.cell(row=row, column=2, value=theme)
            value = int(amount) if publish else "=SUMIFS({s},{a},A{r},{t},B{r})".format(
                s=_lines("Saving"), a=_lines("Service"), t=_lines("Theme"), r=row)
            sheet.cell(row=row, column=3, value=value).number_format = POUNDS
    table(sheet, ["Service", "Theme", "Saving"], row)
    fit_widths(sheet)


def add_years(sheet, result: report.Report) -> None:
    start(sheet, "Years compared",
          f"Each service's cases completed in each financial year, all valued at {result.price_year} prices.")
    row = HEADER_ROW
    for entry in result.years:
        row += 1
        values = [entry.service, str(entry.year), entry.completers, int(entry.total_saving),
                  None if entry.spend is None else int(entry.spend),
                  None if entry.net_saving is None else int(entry.net_saving),
                  None if entry.return_on_investment is None else float(entry.return_on_investment)]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
        for column in (4, 5, 6):
            sheet.cell(row=row, column=column).number_format = POUNDS
        sheet.cell(row=row, column=7).number_format = ROI
    table(sheet, ["Service", "Financial year", "Completed cases", "Total saving", "Spend", "Net saving",
                  "Return on investment"], row)
    fit_widths(sheet)


def add_unit_costs(sheet, result: report.Report) -> None:
    start(sheet, "Unit costs used", "Where every value comes from: source, price year, uprating and how robust "
                                    "the estimate is (RAG). " + GMCA_CREDIT)
    headings = ["Code", "Description", "Unit", "Agency", "Theme", "Fiscal value", "Price year", "Uprating factor",
                f"Value at {result.price_year} prices", "RAG", "Source", "Comment", "File"]
    row = HEADER_ROW
    for used in result.unit_costs_used:
        row += 1
        cost = used.cost
        values = [cost.code, cost.description, cost.unit, cost.agency, cost.theme, float(cost.fiscal.amount),
                  str(cost.fiscal.price_year), float(used.uprating_factor), float(used.value_uprated), cost.rag,
                  cost.source, cost.comment, cost.origin]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.alignment = openpyxl.styles.Alignment(wrap_text=column in (2, 11, 12), vertical="top")
        sheet.cell(row=row, column=6).number_format = PENCE
        sheet.cell(row=row, column=8).number_format = FACTOR
        sheet.cell(row=row, column=9).number_format = PENCE
    table(sheet, headings, row)
    fit_widths(sheet, maximum=45)
    sheet.column_dimensions["L"].width = 80


def add_method(sheet, result: report.Report, publish: bool) -> None:
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
        ("Value counted", "Fiscal values only: costs to the public sector avoided. Economic and social values "
                          "are not counted."),
        ("Agency split", "A line valued with a cost whose constituents name agencies is shared between them in "
                         "proportion to their values; what they leave unexplained stays with the cost's own "
                         "agency."),
        ("Double counting", "A case may not count a cost and any of its constituents together."),
        ("Return on investment", "total saving / programme spend, to 2 decimal places."),
        ("Not adjusted for", "deadweight, attribution, optimism bias, discounting or cashability: the published "
                             "method is gross."),
        ("Caveat", CAVEAT),
    ]
    if publish:
        entries.append(("Publication", "Counts of 1 to 4 are shown as <5; per-case sheets are left out."))
    for row, (label, text) in enumerate(entries, start=HEADER_ROW):
        sheet.cell(row=row, column=1, value=label).font = BOLD
        cell = sheet.cell(row=row, column=2, value=text)
        cell.alignment = openpyxl.styles.Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 110
    print_setup(sheet)


def add_run_info(sheet, result: report.Report, publish: bool) -> None:
    start(sheet, "Run info", "How this workbook was made, so it can be made again.")
    entries = [
        ("Tool", f"up2u-cba {result.tool_version}"),
        ("Generated", result.generated_at.isoformat(sep=" ")),
        ("Command", result.command),
        ("Financial year", str(result.year)),
        ("Price year", str(result.price_year)),
        ("Deflator series", f"{result.deflator_series} ({result.deflator_file})"),
        ("Rounding", "each outcome line rounded to whole pounds, half up; totals are sums of lines"),
        ("Attribution", GMCA_CREDIT),
    ]
    for row, (label, value) in enumerate(entries, start=HEADER_ROW):
        sheet.cell(row=row, column=1, value=label).font = BOLD
        sheet.cell(row=row, column=2, value=value)
    row = HEADER_ROW + len(entries) + 1
    header(sheet, row, ["Input file", "SHA-256"])
    inputs = list(result.inputs)
    if publish:
        # case files are named by reference: publish them as one combined checksum
        case_files = [item for item in inputs if item.path.endswith(".toml") and item is not inputs[0]]
        inputs = [item for item in inputs if item not in case_files]
        combined = hashlib.sha256("".join(item.sha256 for item in case_files).encode()).hexdigest()
        inputs.append(report.InputFile(path=f"{len(case_files)} case files (combined)", sha256=combined))
    for item in inputs:
        row += 1
        sheet.cell(row=row, column=1, value=item.path)
        sheet.cell(row=row, column=2, value=item.sha256)
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 70
    print_setup(sheet)


def add_summary(sheet, result: report.Report, refs: Refs, publish: bool) -> None:
    start(sheet, f"Up2U cost-benefit analysis, financial year {result.year}",
          f"Gross fiscal savings of cases completed in the year, at {result.price_year} prices "
          f"({result.deflator_series})." + ("" if publish else " Figures are live formulas over Outcome lines."))
    row = HEADER_ROW - 1
    for summary in result.services:
        row += 1
        sheet.cell(row=row, column=1, value=summary.service).font = TITLE
        saving_row, spend_row, completers_row = row + 5, row + 6, row + 4
        saving = int(summary.total_saving) if publish else \
            f'=SUMIFS({_lines("Saving")},{_lines("Service")},"{summary.service}")'
        entries = [
            ("Service", summary.service, None),
            ("Financial year", str(summary.year), None),
            ("Price year", str(summary.price_year), None),
            ("Completed cases", count(summary.completers, publish), "0"),
            (f"Total estimated saving for cases completed in {summary.year}", saving, POUNDS),
            ("Total estimated spend on Up2U over a 12-month period", int(summary.spend), POUNDS),
            (f"Estimated net saving to {summary.service} (saving - spend)",
             int(summary.net_saving) if publish else f"=B{saving_row}-B{spend_row}", POUNDS),
            ("Return on investment",
             float(summary.return_on_investment) if publish else f"=ROUND(B{saving_row}/B{spend_row},2)", ROI),
            ("Average saving per completed case",
             int(summary.average_saving) if publish else
             f"=IF(B{completers_row}>0,ROUND(B{saving_row}/B{completers_row},0),0)", POUNDS),
        ]
        for offset, (label, value, number_format) in enumerate(entries, start=1):
            sheet.cell(row=row + offset, column=1, value=label)
            cell = sheet.cell(row=row + offset, column=2, value=value)
            cell.alignment = openpyxl.styles.Alignment(horizontal="right")
            if number_format:
                cell.number_format = number_format
            if label.startswith(("Total estimated saving", "Estimated net", "Return")):
                sheet.cell(row=row + offset, column=1).font = BOLD
                cell.font = BOLD
        row += len(entries) + 2
        sheet.cell(row=row, column=1, value="Savings by agency").font = BOLD
        for agency, amount in summary.by_agency.items():
            row += 1
            sheet.cell(row=row, column=1, value=agency)
            value = int(amount) if publish else f"={refs.agency_cells[(summary.service, agency)]}"
            sheet.cell(row=row, column=2, value=value).number_format = POUNDS
        row += 2
    cell = sheet.cell(row=row, column=1, value=CAVEAT)
    cell.alignment = openpyxl.styles.Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    sheet.row_dimensions[row].height = 75
    sheet.column_dimensions["A"].width = 62
    sheet.column_dimensions["B"].width = 30
    print_setup(sheet)
    sheet.page_setup.orientation = "portrait"


