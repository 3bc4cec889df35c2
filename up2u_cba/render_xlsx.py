"""The report as an Excel workbook for commissioners (the only module that imports openpyxl).

Sheets: Summary (headline figures as live formulas over Outcome lines), Participants,
Outcome lines (the audit trail), Unit costs used (provenance), Run info (how it was made).
Numbers are stored as numbers with a £ format, never as text.
"""

from __future__ import annotations

import os
import tempfile

import openpyxl
import openpyxl.styles
import openpyxl.utils
import openpyxl.workbook

from up2u_cba import calculate, report

POUNDS = '"£"#,##0;-"£"#,##0'
PENCE = '"£"#,##0.00'
FACTOR = "0.000000"
ROI = '"£"0.00" for every £1 spent"'
BOLD = openpyxl.styles.Font(bold=True)
TITLE = openpyxl.styles.Font(bold=True, size=14)
GMCA_CREDIT = ("National unit costs: GMCA / New Economy, Unit Cost Database, CC BY 4.0 "
               "(converted to CSV by up2u-cba); local costs as their source column says.")

LINE_HEADERS = ["Service", "Case", "Locality", "Completed", "Code", "Description", "Quantity", "Years",
                "Unit value", "Price year", "Uprating factor", "Unit value at report prices", "Saving",
                "Agency", "Theme", "RAG"]
SERVICE_COLUMN = "A"
SAVING_COLUMN = "M"


def write(result: report.Report, path: str) -> None:
    """Write the workbook atomically: a temporary file in the same folder, renamed into place."""
    workbook = build(result)
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


def build(result: report.Report) -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    summary_sheet = workbook.active
    summary_sheet.title = "Summary"
    last_line_row = add_outcome_lines(workbook.create_sheet("Outcome lines"), result)
    add_summary(summary_sheet, result, last_line_row)
    add_participants(workbook.create_sheet("Participants", 1), result)
    add_unit_costs(workbook.create_sheet("Unit costs used"), result)
    add_run_info(workbook.create_sheet("Run info"), result)
    workbook.calculation.fullCalcOnLoad = True
    return workbook


def add_summary(sheet, result: report.Report, last_line_row: int) -> None:
    sheet["A1"] = f"Up2U cost-benefit analysis, financial year {result.year}"
    sheet["A1"].font = TITLE
    sheet["A2"] = (f"Gross fiscal savings of cases completed in the year, at {result.price_year} prices "
                   f"({result.deflator_series}). Totals are formulas over the Outcome lines sheet.")
    row = 4
    lines = f"'Outcome lines'!${SAVING_COLUMN}$2:${SAVING_COLUMN}${max(last_line_row, 2)}"
    services = f"'Outcome lines'!${SERVICE_COLUMN}$2:${SERVICE_COLUMN}${max(last_line_row, 2)}"
    for summary in result.services:
        sheet.cell(row=row, column=1, value=summary.service).font = BOLD
        saving_row, spend_row = row + 4, row + 5
        entries = [
            ("Financial year", str(summary.year), None),
            ("Price year", str(summary.price_year), None),
            ("Completed cases", summary.completers, "0"),
            (f"Total estimated saving for cases completed in {summary.year}",
             f'=SUMIFS({lines},{services},"{summary.service}")', POUNDS),
            ("Total estimated spend on Up2U over a 12-month period", int(summary.spend), POUNDS),
            (f"Estimated net saving to {summary.service} (saving - spend)", f"=B{saving_row}-B{spend_row}", POUNDS),
            ("Return on investment", f"=ROUND(B{saving_row}/B{spend_row},2)", ROI),
        ]
        for offset, (label, value, number_format) in enumerate(entries, start=1):
            sheet.cell(row=row + offset, column=1, value=label)
            cell = sheet.cell(row=row + offset, column=2, value=value)
            if number_format:
                cell.number_format = number_format
        row += len(entries) + 2
    sheet.column_dimensions["A"].width = 62
    sheet.column_dimensions["B"].width = 34


def add_participants(sheet, result: report.Report) -> None:
    sheet["A1"] = f"Participants, financial year {result.year}"
    sheet["A1"].font = TITLE
    row = 3
    for summary in result.services:
        table = summary.participants
        headers = ["Category of participant", *table.localities, f"{summary.service} total"]
        for column, heading in enumerate(headers, start=1):
            sheet.cell(row=row, column=column, value=heading).font = BOLD
        first = openpyxl.utils.get_column_letter(2)
        last = openpyxl.utils.get_column_letter(1 + len(table.localities))
        for label in calculate.PARTICIPANT_ROWS:
            row += 1
            sheet.cell(row=row, column=1, value=label)
            for column, locality in enumerate(table.localities, start=2):
                sheet.cell(row=row, column=column, value=table.counts[label][locality])
            sheet.cell(row=row, column=len(headers), value=f"=SUM({first}{row}:{last}{row})")
        row += 3
    sheet.column_dimensions["A"].width = 30
    for column in range(2, 10):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = 15


def add_outcome_lines(sheet, result: report.Report) -> int:
    for column, heading in enumerate(LINE_HEADERS, start=1):
        sheet.cell(row=1, column=column, value=heading).font = BOLD
    row = 1
    for summary in result.services:
        for case in summary.cases:
            for line in case.lines:
                row += 1
                values = [
                    line.service, line.reference, line.locality, case.completed_on, line.code, line.description,
                    float(line.quantity), float(line.years), float(line.unit_value), str(line.price_year),
                    float(line.uprating_factor), float(line.unit_value_uprated), int(line.saving),
                    line.agency, line.theme, line.rag,
                ]
                for column, value in enumerate(values, start=1):
                    sheet.cell(row=row, column=column, value=value)
                sheet.cell(row=row, column=4).number_format = "yyyy-mm-dd"
                sheet.cell(row=row, column=9).number_format = PENCE
                sheet.cell(row=row, column=11).number_format = FACTOR
                sheet.cell(row=row, column=12).number_format = PENCE
                sheet.cell(row=row, column=13).number_format = POUNDS
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{openpyxl.utils.get_column_letter(len(LINE_HEADERS))}{max(row, 1)}"
    widths = [9, 11, 14, 12, 10, 50, 9, 7, 12, 10, 10, 14, 12, 34, 16, 5]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = width
    return row


def add_unit_costs(sheet, result: report.Report) -> None:
    headers = ["Code", "Description", "Unit", "Agency", "Theme", "Fiscal value", "Price year",
               "Uprating factor", f"Value at {result.price_year} prices", "RAG", "Source", "Comment", "File"]
    for column, heading in enumerate(headers, start=1):
        sheet.cell(row=1, column=column, value=heading).font = BOLD
    for row, used in enumerate(result.unit_costs_used, start=2):
        cost = used.cost
        values = [cost.code, cost.description, cost.unit, cost.agency, cost.theme, float(cost.fiscal.amount),
                  str(cost.fiscal.price_year), float(used.uprating_factor), float(used.value_uprated), cost.rag,
                  cost.source, cost.comment, cost.origin]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
        sheet.cell(row=row, column=6).number_format = PENCE
        sheet.cell(row=row, column=8).number_format = FACTOR
        sheet.cell(row=row, column=9).number_format = PENCE
    credit_row = len(result.unit_costs_used) + 3
    sheet.cell(row=credit_row, column=1, value=GMCA_CREDIT)
    sheet.freeze_panes = "A2"
    widths = [10, 50, 16, 34, 16, 12, 10, 10, 14, 5, 50, 50, 30]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = width


def add_run_info(sheet, result: report.Report) -> None:
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
    for row, (label, value) in enumerate(entries, start=1):
        sheet.cell(row=row, column=1, value=label).font = BOLD
        sheet.cell(row=row, column=2, value=value)
    row = len(entries) + 2
    sheet.cell(row=row, column=1, value="Input file").font = BOLD
    sheet.cell(row=row, column=2, value="SHA-256").font = BOLD
    for item in result.inputs:
        row += 1
        sheet.cell(row=row, column=1, value=item.path)
        sheet.cell(row=row, column=2, value=item.sha256)
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 70
