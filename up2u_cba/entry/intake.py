"""The Excel intake workbook: a template to fill in, and its checked import into case files.

The template (``write_template``) has four sheets:

- **Help**: what to put where (the text of ``HELP``).
- **Cases**: one row per status event: Reference, Service, Locality, Status, Date, Closure
  reason. A case's first row is its referral; add a row each time the case moves on. Service and
  locality may be left blank on a case's later rows.
- **Outcomes**: one row per outcome line of a completed case: Reference, Unit cost, Quantity,
  Years, Description, Evidence, Acknowledged (optional: why an implausible figure is right), and
  the line's own Green Book adjustments (optional): Confidence, Deadweight, Attribution,
  Adjustment reason.
- **Lists** (hidden): the drop-down lists: services, localities, statuses, closure reasons, unit
  costs (``CODE | description``) and evidence grades, read by the drop-downs as cell ranges.

An export (``write_export``) is the same workbook filled with stored cases, every field of them,
with an Export sheet first saying so. A stored case is always held whole in a workbook: its rows
are all its events and lines.

``plan_import`` reads a filled workbook and checks every row, then every case it would write
(with the same checks ``validate`` runs), and returns every problem at once, each located as
``Cases row 7: date``. Only when there is none does the plan say what to write: new cases, stored
cases the workbook changes (each with what changed, to be replaced only when asked), and stored
cases it holds as they are. ``apply`` writes them all or none, even if killed part-way
(``import_journal``), checking each file again before any is stored.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import os
import re
import tomllib
import warnings
import zipfile
from decimal import Decimal

import openpyxl
import openpyxl.styles
import openpyxl.utils
from openpyxl.worksheet.datavalidation import DataValidation

import up2u_cba
from up2u_cba import models, storage
from up2u_cba.entry import case_files, case_history, case_selection, import_journal
from up2u_cba.inputs import cases, dates, deflators, input_files, privacy, unit_costs
from up2u_cba.method import assumptions, checks
from up2u_cba.outputs import spreadsheet_text
from up2u_cba import problems as problems_
from up2u_cba.problems import Problem

ROWS = 2000
"""Rows of the Cases and Outcomes sheets that get drop-downs and date formats."""

CASES = "Cases"
OUTCOMES = "Outcomes"
LISTS = "Lists"
HELP_SHEET = "Help"

CASE_COLUMNS = ("Reference", "Service", "Locality", "Status", "Date", "Closure reason", "Closure note")
OUTCOME_COLUMNS = ("Reference", "Unit cost", "Quantity", "Years", "Description", "Evidence", "Acknowledged",
                   "Confidence", "Deadweight", "Attribution", "Adjustment reason")
OPTIONAL_COLUMNS = ("Acknowledged", "Confidence", "Deadweight", "Attribution", "Adjustment reason", "Closure note")
"""Columns a workbook made from an older template lacks: read as blank."""
OUTCOME_TEXTS = {"Description": "description", "Evidence": "evidence", "Acknowledged": "acknowledged",
                 "Adjustment reason": "adjustment_reason"}
"""The Outcomes sheet's free-text columns and the outcome line field each fills."""
SHARES = {"Deadweight": "deadweight", "Attribution": "attribution"}
"""The Outcomes sheet's share columns (a line's own Green Book adjustments, 0 to 1)."""
EXPORT_SHEET = "Export"
"""The sheet an export of stored cases opens on: what it is, when it was made, what importing it does."""
EXPORTED_COLUMNS = ("Reference", "History entries", "Latest change (UTC)")
"""The Export sheet's table of the cases exported: the entries each one's history had then."""

REASON_LABELS = {reason: reason.value.replace("_", " ") for reason in models.ClosureReason}
DATE_FORMAT = "yyyy-mm-dd"
COST_SEPARATOR = " | "
COST_LABEL_WIDTH = 90

HELP = (
    "Up2U case intake workbook",
    "",
    "Fill in the Cases and Outcomes sheets, save, then run:  up2u-cba intake import THIS-FILE.xlsx",
    "The import checks every row and lists every problem by sheet, row and column; it writes",
    "nothing unless the whole workbook is correct. Importing the same workbook again changes nothing.",
    "",
    "Cases sheet: one row per status event (something that happened to a case on a date).",
    "  Reference       the case's pseudonymised reference, e.g. BCP-0071 (never a name).",
    "  Service         pick from the list. May be left blank on a case's later rows.",
    "  Locality        pick from the list (a locality of the service). May be blank on later rows.",
    "  Status          referred, assessment, programme, completed or closed.",
    "                  A case's first event is 'referred'. Add a row whenever it moves on.",
    "  Date            the day it happened, day first: 20/02/2023, 20 Feb 2023 or 2023-02-20.",
    "  Closure reason  only for 'closed': disengaged, on hold, no contact, not suitable, moved away,",
    "                  in custody or other.",
    "  Closure note    only for 'closed': a short note of why; required when the reason is 'other'.",
    "  A case closed by mistake is re-opened by a later row (e.g. 'programme'); rows are never deleted.",
    "",
    "Outcomes sheet: one row per outcome of a completed case.",
    "  Reference       the case it belongs to (it must have a 'completed' row).",
    "  Unit cost       pick from the list (code | description); the code alone is fine too.",
    "  Quantity        how many units (incidents, children, people...), greater than 0.",
    "  Years           how many years the outcome counts for; blank means 1 (or the benefit",
    "                  duration the settings give for the unit cost, in the Green Book figures).",
    "  Description     optional short note shown in the report; blank uses the unit cost's own.",
    "  Evidence        required short note of the evidence, e.g. 'Police incident check'.",
    "  Acknowledged    only for a figure far beyond what the unit cost's unit makes plausible (a care",
    "                  placement x 1,000, 40 years, one line over the settings' line ceiling): why it",
    "                  is right. Such a row is refused until this says why; then it is imported and",
    "                  listed as a warning.",
    "  Confidence      optional: the evidence grade G, A or R for this line, instead of the unit cost's RAG",
    "                  rating (it sets the optimism bias of the Green Book figures).",
    "  Deadweight      optional: this line's own deadweight share, 0 to 1 (0.2 or 20%), instead of the settings'.",
    "  Attribution     optional: the share of this line's outcome due to Up2U (this programme) rather than",
    "                  other services, 0 to 1 (1: all of it), instead of the settings'.",
    "  Adjustment reason  why this line's deadweight or attribution differs (required when either is given).",
    f"  Description and evidence are short notes (at most {cases.TEXT_LIMIT} characters) and are refused if",
    "  they look like personal data: dates of birth, postcodes, phone numbers, e-mail addresses,",
    "  National Insurance or NHS numbers. Dates belong in the Cases sheet.",
    "",
    "A case already stored is held whole in the workbook (as `up2u-cba intake export` writes it): its",
    "rows are all its events and all its outcome lines. The import compares it with the stored case and",
    "lists the events and lines added, changed and removed, and the change in saving; it replaces the",
    "stored case only with --replace --reason \"why\" (recorded in the case's history). A case as stored",
    "is left alone, so importing the same workbook again changes nothing.",
    "Use --dry-run to see what an import would write without writing anything.",
    "",
    "Example rows (Cases):  BCP-0071 | BCP | Poole | referred | 2023-01-10 |",
    "                       BCP-0071 |     |       | programme | 2023-02-01 |",
    "                       BCP-0071 |     |       | completed | 2023-06-20 |",
    "Example row (Outcomes): BCP-0071 | HE1.0 | 1 | 1 | Abstinent from alcohol for 1 year | Confirmed by treatment service",
)


# --- the template ----------------------------------------------------------------------------


def cost_label(cost: models.UnitCost) -> str:
    """How a unit cost appears in the drop-down: ``HE1.0 | Alcohol misuse - ...``."""
    text = " ".join(cost.description.split())
    label = f"{cost.code}{COST_SEPARATOR}{text}"
    return label if len(label) <= COST_LABEL_WIDTH else label[: COST_LABEL_WIDTH - 1] + "…"


def usable_costs(costs: dict[str, models.UnitCost], series: deflators.DeflatorSeries) -> list[models.UnitCost]:
    """Costs an outcome line can use (a fiscal value in a year the series has), in code order."""
    return sorted((cost for cost in costs.values()
                   if cost.fiscal is not None and cost.fiscal.price_year in series.index),
                  key=lambda cost: unit_costs.code_order(cost.code))


def build_template(settings: models.Settings, costs: dict[str, models.UnitCost],
                   series: deflators.DeflatorSeries, rows: int = ROWS) -> openpyxl.Workbook:
    """The intake workbook, empty, with its drop-downs and date cells on ``rows`` rows, and help."""
    book = openpyxl.Workbook()
    help_sheet = book.active
    help_sheet.title = HELP_SHEET
    for number, line in enumerate(HELP, start=1):
        spreadsheet_text.put(help_sheet, number, 1, line)
    help_sheet["A1"].font = openpyxl.styles.Font(bold=True, size=14)
    help_sheet.column_dimensions["A"].width = 110

    lists = {
        "Services": [service.name for service in settings.services],
        "Localities": list(dict.fromkeys(name for service in settings.services for name in service.localities)),
        "Statuses": [status.value for status in models.Status],
        "Closure reasons": list(REASON_LABELS.values()),
        "Unit costs": [cost_label(cost) for cost in usable_costs(costs, series)],
        "Evidence grades": list(assumptions.GRADES),
    }
    case_sheet = book.create_sheet(CASES)
    outcome_sheet = book.create_sheet(OUTCOMES)
    list_sheet = book.create_sheet(LISTS)
    ranges = {}
    for column, (title, values) in enumerate(lists.items(), start=1):
        letter = openpyxl.utils.get_column_letter(column)
        spreadsheet_text.put(list_sheet, 1, column, title).font = openpyxl.styles.Font(bold=True)
        for row, value in enumerate(values, start=2):
            spreadsheet_text.put(list_sheet, row, column, value)  # a cost label may start with '='
        ranges[title] = f"{LISTS}!${letter}$2:${letter}${len(values) + 1}"
        list_sheet.column_dimensions[letter].width = 60 if title == "Unit costs" else 24
    list_sheet.sheet_state = "hidden"

    _header(case_sheet, CASE_COLUMNS, (14, 12, 24, 14, 13, 16, 40))
    last = max(rows, ROWS) + 1
    _list_validation(case_sheet, f"B2:B{last}", ranges["Services"], "Service", "Pick the service.")
    _list_validation(case_sheet, f"C2:C{last}", ranges["Localities"], "Locality", "Pick a locality of the service.")
    _list_validation(case_sheet, f"D2:D{last}", ranges["Statuses"], "Status",
                     "referred (the first row of a case), assessment, programme, completed or closed.")
    _list_validation(case_sheet, f"F2:F{last}", ranges["Closure reasons"], "Closure reason",
                     "Only for a 'closed' row: why the case closed.")
    notes = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(cases.TEXT_LIMIT),
                           allow_blank=True, showErrorMessage=True, showInputMessage=True,
                           errorTitle="Closure note", error=f"A short note: at most {cases.TEXT_LIMIT} characters.",
                           promptTitle="Closure note",
                           prompt="Only for a 'closed' row: a short note of why, no names (required for 'other').")
    notes.add(f"G2:G{last}")
    case_sheet.add_data_validation(notes)
    # from the earliest date import accepts (``cases.FIRST_DATE``) to 2100-12-31, as Excel day numbers
    date_cells = DataValidation(type="date", operator="between", formula1=str(_excel_day(cases.FIRST_DATE)),
                                formula2=str(_excel_day(datetime.date(2100, 12, 31))),
                                showErrorMessage=True, showInputMessage=True, allow_blank=True, errorTitle="Date",
                                error=f"Type a date from {cases.FIRST_DATE:%d/%m/%Y}, e.g. 20/02/2023.",
                                promptTitle="Date", prompt="The day it happened, day first: e.g. 20/02/2023.")
    date_cells.add(f"E2:E{last}")
    case_sheet.add_data_validation(date_cells)
    for row in range(2, last + 1):
        case_sheet.cell(row=row, column=5).number_format = DATE_FORMAT

    _header(outcome_sheet, OUTCOME_COLUMNS, (14, 60, 10, 8, 40, 40, 40, 12, 12, 12, 40))
    _list_validation(outcome_sheet, f"B2:B{last}", ranges["Unit costs"], "Unit cost",
                     "Pick the unit cost that values the outcome (or type its code).", strict=False)
    for column, title in (("C", "Quantity"), ("D", "Years")):
        number = DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=True,
                                showErrorMessage=True, showInputMessage=True, errorTitle=title,
                                error=f"{title} must be a number greater than 0.", promptTitle=title,
                                prompt="A number greater than 0." + (" Blank means 1." if title == "Years" else ""))
        number.add(f"{column}2:{column}{last}")
        outcome_sheet.add_data_validation(number)
    _list_validation(outcome_sheet, f"H2:H{last}", ranges["Evidence grades"], "Confidence",
                     "Optional: this line's evidence grade, G, A or R.")
    for column, title, meaning in (("I", "Deadweight", "the share that would have happened anyway"),
                                   ("J", "Attribution", "the share due to Up2U (this programme), not other services")):
        share = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                               showErrorMessage=True, showInputMessage=True, errorTitle=title,
                               error=f"{title} is a share from 0 to 1 (0.2 or 20%).", promptTitle=title,
                               prompt=f"Optional: {meaning}, 0 to 1; give the adjustment reason too.")
        share.add(f"{column}2:{column}{last}")
        outcome_sheet.add_data_validation(share)
    for column, title in (("E", "Description"), ("F", "Evidence"), ("G", "Acknowledged"), ("K", "Adjustment reason")):
        text = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(cases.TEXT_LIMIT),
                              allow_blank=True, showErrorMessage=True, showInputMessage=True, errorTitle=title,
                              error=f"At most {cases.TEXT_LIMIT} characters: a short note.", promptTitle=title,
                              prompt="A short note: no names, dates, addresses, phone numbers or e-mails.")
        text.add(f"{column}2:{column}{last}")
        outcome_sheet.add_data_validation(text)
    book.active = 0
    spreadsheet_text.check_formulas(book)
    return book


def _excel_day(day: datetime.date) -> int:
    """The day number Excel stores for ``day`` (1900 date system)."""
    return (day - datetime.date(1899, 12, 30)).days


def _header(sheet, titles: tuple[str, ...], widths: tuple[int, ...]) -> None:
    for column, (title, width) in enumerate(zip(titles, widths), start=1):
        cell = spreadsheet_text.put(sheet, 1, column, title)
        cell.font = openpyxl.styles.Font(bold=True)
        cell.fill = openpyxl.styles.PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"


def _list_validation(sheet, cells: str, source: str, title: str, prompt: str, strict: bool = True) -> None:
    validation = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                                showInputMessage=True, promptTitle=title, prompt=prompt,
                                errorStyle="stop" if strict else "warning", errorTitle=title,
                                error="Pick a value from the list.")
    validation.add(cells)
    sheet.add_data_validation(validation)


def write_template(path: str, settings: models.Settings, costs: dict[str, models.UnitCost],
                   series: deflators.DeflatorSeries) -> None:
    """Write the empty intake workbook to ``path`` atomically (``storage.replace_with``)."""
    book = build_template(settings, costs, series)
    storage.replace_with(path, book.save)


# --- an export of stored cases ----------------------------------------------------------------


def build_export(settings: models.Settings, costs: dict[str, models.UnitCost], series: deflators.DeflatorSeries,
                 records: list[models.CaseRecord], selection: case_selection.Selection,
                 made: datetime.datetime) -> openpyxl.Workbook:
    """The intake workbook filled with ``records`` as they are stored: one Cases row per status
    event (service and locality on a case's first row), one Outcomes row per outcome line, and an
    Export sheet saying what it is, when it was made, and that importing it replaces those cases."""
    events = sum(len(record.history) for record in records)
    lines = sum(len(record.outcomes) for record in records)
    book = build_template(settings, costs, series, rows=max(events, lines))
    labels = {cost.code: cost_label(cost) for cost in usable_costs(costs, series)}
    case_sheet, outcome_sheet = book[CASES], book[OUTCOMES]
    row = 2
    for record in records:
        for number, event in enumerate(record.history):
            values = (record.reference, record.service if number == 0 else None,
                      record.locality if number == 0 else None, event.status.value, event.date,
                      REASON_LABELS[event.reason] if event.reason else None, event.note or None)
            for column, value in enumerate(values, start=1):
                spreadsheet_text.put(case_sheet, row, column, value)
            case_sheet.cell(row=row, column=5).number_format = DATE_FORMAT
            row += 1
    row = 2
    for record in records:
        for outcome in record.outcomes:
            for column, value in enumerate(_outcome_cells(record, outcome, labels), start=1):
                spreadsheet_text.put(outcome_sheet, row, column, value)
            row += 1
    _export_sheet(book, records, selection, made, settings.cases_folder)
    spreadsheet_text.check_formulas(book)
    return book


def _outcome_cells(record: models.CaseRecord, outcome: models.OutcomeEntry, labels: dict[str, str]) -> tuple:
    """An outcome line as its Outcomes row (``OUTCOME_COLUMNS``): numbers as numbers, a blank for
    what the line leaves unsaid (years taken from the settings, no adjustment of its own)."""
    return (record.reference, labels.get(outcome.code, outcome.code), _cell_number(outcome.quantity),
            _cell_number(outcome.years) if outcome.years_stated else None, outcome.description or None,
            outcome.evidence or None, outcome.acknowledged or None, outcome.confidence or None,
            _cell_number(outcome.deadweight), _cell_number(outcome.attribution), outcome.adjustment_reason or None)


def _cell_number(value: Decimal | None):
    """A number cell's value: an int when whole, else a float (a case file's figures are TOML
    numbers, so nothing finer than a float is ever stored)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _export_sheet(book, records: list[models.CaseRecord], selection: case_selection.Selection,
                  made: datetime.datetime, cases_folder: str) -> None:
    """The Export sheet: what the workbook is, when it was made, and what importing it does; then
    each case with the entries its history had (``EXPORTED_COLUMNS``), so that an import can tell
    a case changed since (``Exported``)."""
    sheet = book.create_sheet(EXPORT_SHEET, 0)
    lines = (
        "Export of stored cases",
        "",
        f"{problems_.counted(len(records), 'stored case')}, as they were stored on {made:%Y-%m-%d at %H:%M:%S} UTC, "
        "exported by up2u-cba "
        f"{up2u_cba.__version__} from {cases_folder}.",
        f"Selected: {selection.describe()}.",
        "",
        "Correct the cases on the Cases and Outcomes sheets (see the Help sheet). Importing this workbook",
        "REPLACES each of these stored cases with what its rows say: a changed row is a change, a deleted",
        "row removes that event or outcome line, a new row adds one. A case whose rows are left as they",
        "are is not written again. Deleting all of a case's rows leaves the stored case as it is",
        "(`up2u-cba case withdraw` takes a case out of the figures).",
        "",
        "To see, per case, what changed and the change in saving, writing nothing:",
        "  up2u-cba intake import THIS-FILE.xlsx --dry-run",
        "To replace the stored cases (each change is recorded in the case's history with the reason):",
        '  up2u-cba intake import THIS-FILE.xlsx --replace --reason "why the cases are corrected"',
        "A case changed since this export (amended, say) is not replaced: its later change would be undone.",
        "Export it again, or add --overwrite-later-changes to replace it all the same.",
        "",
        "Each case as exported (leave this table as it is: the import reads it):",
    )
    for number, line in enumerate(lines, start=1):
        spreadsheet_text.put(sheet, number, 1, line)
    row = len(lines) + 1
    for column, title in enumerate(EXPORTED_COLUMNS, start=1):
        spreadsheet_text.put(sheet, row, column, title)
        sheet.cell(row=row, column=column).font = openpyxl.styles.Font(bold=True)
    for row, record in enumerate(records, start=row + 1):
        latest = f"{record.changes[-1].made:%Y-%m-%d %H:%M:%S}" if record.changes else None
        for column, value in enumerate((record.reference, len(record.changes), latest), start=1):
            spreadsheet_text.put(sheet, row, column, value)
    sheet["A1"].font = openpyxl.styles.Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 110
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 22
    book.active = 0


def write_export(path: str, settings: models.Settings, costs: dict[str, models.UnitCost],
                 series: deflators.DeflatorSeries, records: list[models.CaseRecord],
                 selection: case_selection.Selection, made: datetime.datetime | None = None) -> None:
    """Write the export of ``records`` to ``path`` atomically (``storage.replace_with``)."""
    made = (made or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    book = build_export(settings, costs, series, records, selection, made)
    storage.replace_with(path, book.save)


# --- reading ---------------------------------------------------------------------------------


@dataclasses.dataclass
class _EventRow:
    row: int
    reference: str
    service: str
    locality: str
    event: models.StatusEvent


@dataclasses.dataclass
class _OutcomeRow:
    row: int
    reference: str
    outcome: models.OutcomeEntry


@dataclasses.dataclass
class Change:
    """What an import does to one case."""

    reference: str
    path: str
    kind: str
    """``new`` (a new case file), ``replace`` (a stored case replaced by the workbook's version),
    ``changed`` (a stored case the workbook changes, refused without --replace) or ``unchanged``
    (stored as the workbook has it: not written)."""
    record: models.CaseRecord
    """The case as the workbook has it (once written, with its ``imported`` history entry)."""
    old: models.CaseRecord | None = None
    """The stored case, as it is now."""
    old_text: str = ""
    differences: tuple[str, ...] = ()
    """What the workbook changes in the stored case (``case_history.differences``)."""
    later: tuple[models.CaseChange, ...] | None = ()
    """The stored case's changes made after the workbook was exported (``Exported``), which
    replacing it would undo; None when the workbook's Export sheet no longer says."""


@dataclasses.dataclass
class Plan:
    """A checked import: every problem, or (when there is none) what to write."""

    workbook: str
    changes: list[Change]
    problems: list[Problem]
    rows: tuple[int, int] = (0, 0)
    """Rows read from the Cases and Outcomes sheets."""
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    """What the checks found doubtful but not wrong (the same code twice on a case, an
    acknowledged implausible line): shown, never stopping the import."""
    exported: datetime.datetime | None = None
    """When the workbook was exported (UTC), if it is an export."""

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]


def plan_import(
    path: str,
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    stored: list[models.CaseRecord],
    stored_problems: list[Problem],
    replace: bool,
    today: datetime.date | None = None,
    withdrawn: list[models.CaseRecord] = (),
) -> Plan:
    """Read and check the workbook at ``path`` against the settings, unit costs and the cases
    already stored (``stored``: the active ones); every problem is reported at once. A stored
    case in the workbook is compared with it, and is to be replaced only if ``replace``. A
    ``withdrawn`` case's reference is refused. No event may be dated after ``today`` (default:
    the computer's date)."""
    book, problems = _open(path)
    if book is None:
        return Plan(path, [], problems)
    by_reference: dict[str, models.CaseRecord] = {record.reference.upper(): record for record in stored}
    exported = Exported.read(book)
    reader = _Reader(path, settings, costs, by_reference, today or datetime.date.today())
    events = reader.case_rows(book)
    outcomes = reader.outcome_rows(book)
    problems = reader.problems
    if events is None or outcomes is None:
        return Plan(path, [], problems)

    broken = {os.path.splitext(os.path.basename(problem.file))[0].upper() for problem in stored_problems}
    events_of: dict[str, list[_EventRow]] = {}
    for event_row in events:
        events_of.setdefault(event_row.reference.upper(), []).append(event_row)
    outcomes_of: dict[str, list[_OutcomeRow]] = {}
    for outcome_row in outcomes:
        outcomes_of.setdefault(outcome_row.reference.upper(), []).append(outcome_row)
    new_folders = _NewCaseFolders(settings.cases_folder, [*stored, *withdrawn])
    withdrawn_files = {record.reference.upper(): record.file for record in withdrawn}
    changes: list[Change] = []
    for key, rows in reader.rows_of.items():
        reference = reader.spelling[key]
        case_events = events_of.get(key, [])
        case_outcomes = outcomes_of.get(key, [])
        if key in withdrawn_files and key not in by_reference:
            sheet = CASES if rows[CASES] else OUTCOMES
            problems.append(Problem(code="withdrawn-case", file=path, where=f"{sheet} row {rows[sheet][0]}: reference",
                                    message=f"{reference} was withdrawn ({withdrawn_files[key]}); its reference is "
                                            "not used again",
                                    hint=f"restore it first (`up2u-cba case restore {reference}`), or give this "
                                         "case a new reference"))
            continue
        if key in broken and key not in by_reference:
            sheet = CASES if rows[CASES] else OUTCOMES
            problems.append(Problem(code="stored-case-has-problems", file=path,
                                    where=f"{sheet} row {rows[sheet][0]}: reference",
                                    message=f"the stored case {reference} has problems of its own",
                                    hint="fix its case file first (run `up2u-cba validate`)"))
            continue
        unread = _Unread(cases=any((CASES, row) in reader.broken_rows for row in rows[CASES]),
                         outcome_rows=tuple(row for row in rows[OUTCOMES] if (OUTCOMES, row) in reader.broken_rows),
                         on_cases_sheet=bool(rows[CASES]))
        change, case_problems = _plan_case(path, reference, case_events, case_outcomes, by_reference.get(key),
                                           settings, costs, series, new_folders, replace, unread, exported)
        problems.extend(case_problems)
        if change is not None:
            changes.append(change)
    errors = problems_.errors(problems)
    plan = Plan(path, changes if not errors else [], _unique(errors), (len(events), len(outcomes)),
                _unique(problems_.warnings(problems)), exported.made if exported else None)
    return plan


def _open(path: str):
    """The workbook, or None and why not: refused before it is expanded when it is not an .xlsx
    file or is too large (``input_files.INTAKE_BOUNDS``)."""
    data, refused = input_files.open_workbook(path, input_files.INTAKE_WORKBOOK, input_files.INTAKE_BOUNDS)
    if data is None:
        return None, [refused]
    # openpyxl's warnings (a date out of range is read as an error value) are not for users: the
    # rows say what is wrong with such a cell
    warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
    try:
        # read-only: rows stream from the file, and an empty cell is never made an object
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
        for sheet in book.worksheets:
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # read every row, whatever size the file claims
                for _ in sheet.iter_rows(values_only=True):
                    pass  # a damaged cell (a 5,000-digit number, a month 13) is found now, not mid-plan
        return book, []
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, SyntaxError,
            OverflowError) as error:
        return None, [Problem(code="unreadable-workbook", file=path, message=f"cannot read the workbook: {error}",
                              hint="save it from Excel as an .xlsx workbook (Excel Workbook format)")]


@dataclasses.dataclass(frozen=True)
class Exported:
    """What an export's Export sheet says of the cases as they were exported: when, and the
    entries each case's history had then. A case's entries beyond those are changes made since,
    which replacing it with the workbook's version would undo (an amendment made after the
    export, say)."""

    made: datetime.datetime | None
    """When the workbook was exported (UTC, to the second; an older export says it to the minute)."""
    history_entries: dict[str, int]
    """Each exported case's reference (upper case) and the entries its history had then."""

    @classmethod
    def read(cls, book) -> Exported | None:
        """The export's record, or None for a workbook that has no Export sheet (a filled template)."""
        if EXPORT_SHEET not in book.sheetnames:
            return None
        made, entries, table = None, {}, False
        for values in book[EXPORT_SHEET].iter_rows(values_only=True):
            cells = (*values, None, None)[:2]
            first, second = (_text(value) for value in cells)
            if table and not first:
                break
            if table and isinstance(cells[1], (int, float)) and float(cells[1]).is_integer():
                entries[first.upper()] = int(cells[1])
            elif (first, second) == EXPORTED_COLUMNS[:2]:
                table = True
            elif made is None and (found := _EXPORTED_AT.search(first)):
                day, time = found.groups()
                made = datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=datetime.timezone.utc)
        return cls(made, entries)

    def later_changes(self, stored: models.CaseRecord) -> tuple[models.CaseChange, ...] | None:
        """The changes made to ``stored`` since the export; None if the sheet no longer says. A case
        the sheet's table lacks is judged by the time: a change in the very second (or, for an
        older export, the minute) the export was made counts as later."""
        entries = self.history_entries.get(stored.reference.upper())
        if entries is not None:
            return stored.changes[entries:]
        if self.made is None:
            return None
        return tuple(change for change in stored.changes
                     if (change.made if change.made.tzinfo else change.made.replace(tzinfo=datetime.timezone.utc))
                     >= self.made)


_EXPORTED_AT = re.compile(r"stored on (\d{4}-\d\d-\d\d) at (\d\d:\d\d(?::\d\d)?) UTC")
"""The export's time, in the Export sheet's third line."""


class _Reader:
    """Reads the Cases and Outcomes sheets row by row, collecting problems."""

    def __init__(self, path: str, settings: models.Settings, costs: dict[str, models.UnitCost],
                 stored: dict[str, models.CaseRecord], today: datetime.date):
        self.path = path
        self.today = today
        """No event is dated after this day: the tool records what has happened."""
        self.stored = stored
        self.broken: set[str] = set()
        """References with a row that has problems: their cases are checked as a whole only for
        what the rows that were read can show, and never written."""
        self.rows_of: dict[str, dict[str, list[int]]] = {}
        """Every row naming each reference (upper case), good or not, by sheet."""
        self.broken_rows: set[tuple[str, int]] = set()
        """(sheet, row) of each row that has problems of its own, or cannot be read as its case's."""
        self.spelling: dict[str, str] = {}
        """Each reference as its first row spells it."""
        self.bad_references: set[str] = set()
        """References that are not references of their service (said once, at the first row)."""
        self.settings = settings
        self.costs = costs
        self.codes = {code.upper(): code for code in costs}
        """Each unit cost code by its upper case (read once, not per row)."""
        self.problems: list[Problem] = []

    def _row_read(self, sheet: str, number: int, reference: str, usable: bool) -> None:
        """Note a row of ``reference``; an unusable row marks its case as broken."""
        if reference:
            self.rows_of.setdefault(reference.upper(), {CASES: [], OUTCOMES: []})[sheet].append(number)
            self.spelling.setdefault(reference.upper(), reference)
        if not usable:
            self.broken.add(reference.upper())
            self.broken_rows.add((sheet, number))

    def problem(self, code: str, sheet: str, row: int, column: str, message: str, hint: str = "") -> None:
        where = f"{sheet} row {row}: {column.lower()}" if row else f"{sheet}: {column.lower()}"
        self.problems.append(Problem(code=code, file=self.path, where=where, message=message, hint=hint))

    def _rows(self, book, sheet_name: str, columns: tuple[str, ...]):
        if sheet_name not in book.sheetnames:
            self.problems.append(Problem(code="missing-sheet", file=self.path, where=sheet_name,
                                         message=f"the workbook has no {sheet_name} sheet",
                                         hint="start from the template: up2u-cba intake template FILE.xlsx"))
            return None
        sheet = book[sheet_name]
        header = [(_text(cell.value)).lower() for cell in next(sheet.iter_rows(min_row=1, max_row=1), [])]
        positions = {}
        for column in columns:
            if column.lower() in header:
                positions[column] = header.index(column.lower())
            elif column in OPTIONAL_COLUMNS:
                positions[column] = None
            else:
                self.problems.append(Problem(code="missing-column", file=self.path, where=f"{sheet_name} row 1",
                                             message=f"no column headed '{column}'",
                                             hint=f"the {sheet_name} sheet's columns are: {', '.join(columns)}"))
        if len(positions) < len(columns):
            return None
        rows = []
        for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            cells = {column: (values[index] if index is not None and index < len(values) else None)
                     for column, index in positions.items()}
            if all(value is None or _text(value) == "" for value in cells.values()):
                continue
            for column, value in cells.items():
                refused = spreadsheet_text.message(column.lower(), spreadsheet_text.stored_in_workbook(value)) \
                    if isinstance(value, str) else None
                if refused:  # before _text, which would turn a vertical tab into a space
                    self.problem(spreadsheet_text.CODE, sheet_name, number, column, refused, spreadsheet_text.HINT)
            rows.append((number, cells))
        return rows

    def case_rows(self, book) -> list[_EventRow] | None:
        rows = self._rows(book, CASES, CASE_COLUMNS)
        if rows is None:
            return None
        found: list[_EventRow] = []
        seen_events: dict[tuple, int] = {}
        first: dict[str, tuple[int, str, str]] = {}
        for number, cells in rows:
            before = len(self.problems)
            reference = _text(cells["Reference"])
            if not reference:
                self.problem("missing-field", CASES, number, "reference", "no reference given",
                             "every row names its case, e.g. BCP-0071")
            service_name = _text(cells["Service"])
            locality = _text(cells["Locality"])
            earlier = first.get(reference.upper()) if reference else None
            if earlier is None and reference.upper() in self.stored:
                known = self.stored[reference.upper()]
                earlier = (0, known.service, known.locality)
            service = None
            if service_name:
                service = self.settings.service(service_name)
                if service is None:
                    names = ", ".join(known.name for known in self.settings.services)
                    self.problem("unknown-service", CASES, number, "service",
                                 f"'{service_name}' is not a service in the settings", f"use one of: {names}")
                elif earlier and earlier[1] and earlier[1] != service.name:
                    self.problem("inconsistent-case", CASES, number, "service",
                                 f"{reference} is a {earlier[1]} case ({_place(earlier[0])})",
                                 "a case belongs to one service; leave it blank on later rows")
                    service = self.settings.service(earlier[1])  # judge the rest of the row as that case
            elif earlier and earlier[1]:
                service = self.settings.service(earlier[1])
            elif reference and earlier is None:
                self.problem("missing-field", CASES, number, "service", "no service given",
                             "give the service on the case's first row")
            # (otherwise the case's first row has no usable service, and says so)
            if service is not None:
                if locality and locality not in service.localities:
                    match = [name for name in service.localities if name.lower() == locality.lower()]
                    if match:
                        locality = match[0]
                    else:
                        self.problem("unknown-locality", CASES, number, "locality",
                                     f"'{locality}' is not a locality of {service.name}",
                                     f"use one of: {', '.join(service.localities)}")
                elif not locality and earlier and earlier[2]:
                    locality = earlier[2]
                elif not locality:
                    self.problem("missing-field", CASES, number, "locality", "no locality given",
                                 "give the locality on the case's first row")
                # (a stored case's first row may give it a new locality: the workbook holds the whole case)
                if earlier and earlier[0] and earlier[2] and locality and locality != earlier[2] \
                        and _text(cells["Locality"]):
                    self.problem("inconsistent-case", CASES, number, "locality",
                                 f"{reference} is in {earlier[2]} ({_place(earlier[0])})",
                                 "a case has one locality; leave it blank on later rows")
                in_use = [known.reference for known in self.stored.values()]
                message = case_files.reference_problem(reference, service, in_use) if reference else None
                refused = privacy.check_reference(reference) if message else None
                if refused and reference.upper() not in self.bad_references:  # never repeat a name or birth date
                    self.problem("personal-data", CASES, number, "reference", refused, privacy.REFERENCE_HINT)
                elif message and reference.upper() not in self.bad_references:  # said once, at its first row
                    self.problem("bad-reference", CASES, number, "reference",
                                 f"'{reference}' is not a {service.name} reference", message)
                if message:
                    self.bad_references.add(reference.upper())
            event = self._event(number, cells)
            if reference and reference.upper() not in first:
                first[reference.upper()] = (number, service.name if service else "", locality)
            usable = (len(self.problems) == before and event is not None and service is not None
                      and reference.upper() not in self.bad_references)
            self._row_read(CASES, number, reference, usable)
            if not usable:
                continue
            key = (reference.upper(), event.status, event.date, event.reason)
            if key in seen_events:
                self.problem("duplicate-row", CASES, number, "status",
                             f"the same event is also on row {seen_events[key]}", "delete one of the two rows")
                continue
            seen_events[key] = number
            found.append(_EventRow(number, reference, service.name, locality, event))
        return found

    def _event(self, number: int, cells: dict) -> models.StatusEvent | None:
        status_text = _text(cells["Status"]).lower()
        status = None
        if not status_text:
            self.problem("missing-field", CASES, number, "status", "no status given",
                         "referred, assessment, programme, completed or closed")
        else:
            try:
                status = models.Status(status_text)
            except ValueError:
                self.problem("bad-status", CASES, number, "status", f"'{_text(cells['Status'])}' is not a status",
                             "use one of: " + ", ".join(known.value for known in models.Status))
        day = self._date(number, cells["Date"])
        reason_text = _text(cells["Closure reason"]).lower().replace("_", " ")
        reason = None
        if status is models.Status.CLOSED:
            reason = {label: known for known, label in REASON_LABELS.items()}.get(reason_text)
            if reason is None:
                self.problem("bad-reason", CASES, number, "closure reason",
                             "a closed case needs a reason" if not reason_text else
                             f"'{_text(cells['Closure reason'])}' is not a closure reason",
                             "use one of: " + ", ".join(REASON_LABELS.values()))
        elif reason_text and status is not None:
            self.problem("bad-reason", CASES, number, "closure reason", "only a 'closed' row has a closure reason",
                         "clear the closure reason, or set the status to closed")
        note = _text(cells["Closure note"])
        if note and status is not None and status is not models.Status.CLOSED:
            self.problem("bad-field", CASES, number, "closure note", "only a 'closed' row has a closure note",
                         "clear the closure note, or set the status to closed")
            return None
        if reason is models.ClosureReason.OTHER and not note:
            self.problem("missing-field", CASES, number, "closure note",
                         "a case closed for an 'other' reason needs a note of the reason",
                         "a short note, no names, e.g. joined another programme")
            return None
        if status is None or day is None or (status is models.Status.CLOSED and reason is None):
            return None
        return models.StatusEvent(status=status, date=day, reason=reason, note=note)

    def _date(self, number: int, value) -> datetime.date | None:
        day = self._read_date(number, value)
        if day is not None and day > self.today:
            self.problem("future-date", CASES, number, "date", f"{day:%Y-%m-%d} is in the future",
                         "record an event once it has happened")
            return None
        if day is not None and day < cases.FIRST_DATE:  # (year 1 has no financial year, nor a TOML date)
            self.problem("implausible-date", CASES, number, "date", f"{day.isoformat()} is long before any case",
                         f"give the day it happened, from {cases.FIRST_DATE.isoformat()} on")
            return None
        return day

    def _read_date(self, number: int, value) -> datetime.date | None:
        if value is None or _text(value) == "":
            self.problem("missing-date", CASES, number, "date", "no date given", "the day it happened, e.g. 2023-02-20")
            return None
        if isinstance(value, datetime.datetime):
            if value.time() != datetime.time(0, 0):
                self.problem("bad-date", CASES, number, "date", "the date has a time of day",
                             "type the date only, e.g. 2023-02-20")
                return None
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:  # text, as a UK user types it: read as guided entry reads it
            return dates.parse(value.strip() if isinstance(value, str) else _text(value))
        except ValueError as refused:
            self.problem("bad-date", CASES, number, "date", str(refused),
                         "the cell is formatted as a date; a date Excel recognises is taken as it is")
        return None

    def outcome_rows(self, book) -> list[_OutcomeRow] | None:
        rows = self._rows(book, OUTCOMES, OUTCOME_COLUMNS)
        if rows is None:
            return None
        found: list[_OutcomeRow] = []
        seen: dict[tuple, int] = {}
        for number, cells in rows:
            before = len(self.problems)
            reference = _text(cells["Reference"])
            if not reference:
                self.problem("missing-field", OUTCOMES, number, "reference", "no reference given",
                             "name the case the outcome belongs to")
            code = self._code(number, cells["Unit cost"])
            quantity = self._number(number, cells["Quantity"], "quantity", required=True)
            years = self._number(number, cells["Years"], "years", required=False)
            texts = {}
            for column, field in OUTCOME_TEXTS.items():
                text = _text(cells[column])
                if not text and column == "Evidence":
                    self.problem("missing-field", OUTCOMES, number, column, "no evidence note given",
                                 "a short note of the evidence, e.g. 'Police incident check'")
                for problem in case_files.text_problems(self.path, f"{OUTCOMES} row {number}: {column.lower()}",
                                                        field, text):
                    self.problems.append(problem)
                texts[field] = text
            adjustments = {field: self._share(number, cells[column], column) for column, field in SHARES.items()}
            confidence = self._confidence(number, cells["Confidence"])
            self._row_read(OUTCOMES, number, reference, len(self.problems) == before)
            if len(self.problems) > before:
                continue
            stated = _text(cells["Years"]) != ""
            outcome = models.OutcomeEntry(code=code, quantity=quantity, years=years, years_stated=stated,
                                          confidence=confidence, **adjustments, **texts)
            key = (reference.upper(), outcome)
            if key in seen:
                self.problem("duplicate-row", OUTCOMES, number, "unit cost",
                             f"the same outcome is also on row {seen[key]}",
                             "delete one of the two rows, or give one row the total quantity")
                continue
            seen[key] = number
            found.append(_OutcomeRow(number, reference, outcome))
        return found

    def _code(self, number: int, value) -> str:
        text = _text(value)
        if not text:
            self.problem("missing-field", OUTCOMES, number, "unit cost", "no unit cost given",
                         "pick one from the list")
            return ""
        code = text.split(COST_SEPARATOR.strip())[0].strip()
        if code.upper() in self.codes:
            return self.codes[code.upper()]
        nearest = unit_costs.nearest_codes(code, self.costs)
        self.problem("unknown-cost-code", OUTCOMES, number, "unit cost", f"'{code}' is not a code in the unit cost files",
                     f"did you mean {' or '.join(nearest)}?" if nearest else "pick one from the list")
        return ""

    def _confidence(self, number: int, value) -> str:
        text = _text(value)
        grade = assumptions.evidence_grade(text) if text else ""  # (as a case file reads it: "a" is A, 4.0 is 4)
        if grade is None:
            self.problem("bad-assumption", OUTCOMES, number, "confidence", f"'{text}' is not an evidence grade",
                         f"{assumptions.GRADE_RULE}, or blank for the unit cost's RAG rating")
            return ""
        return grade

    def _share(self, number: int, value, column: str) -> Decimal | None:
        """A share from 0 to 1, typed as 0.2 or 20% (text or a percent cell); None if blank."""
        text = _text(value)
        if not text:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
                raise decimal.InvalidOperation
            share = Decimal(text[:-1].strip()) / 100 if text.endswith("%") else Decimal(text)
            if not share.is_finite() or not 0 <= share <= 1:
                raise decimal.InvalidOperation
        except decimal.InvalidOperation:
            self.problem("bad-assumption", OUTCOMES, number, column, f"{column.lower()} must be a share from 0 to 1, "
                         f"not '{problems_.shown(text)}'", "e.g. 0.2 or 20%, or blank for the settings' share")
            return None
        if cases.too_precise(share):  # (as a case file refuses it: 1e-300 would be written out as 300 digits)
            self.problem("bad-assumption", OUTCOMES, number, column,
                         f"{column.lower()} '{problems_.shown(text)}' has more than {cases.MAX_DECIMALS} decimal places",
                         f"round it: at most {cases.MAX_DECIMALS} places as a share (0.1235), "
                         f"{cases.MAX_DECIMALS - 2} as a percentage (12.35%)")
            return None
        return share.normalize() if share == share.to_integral_value() else share

    def _number(self, number: int, value, field: str, required: bool) -> Decimal | None:
        if value is None or _text(value) == "":
            if required:
                self.problem("missing-field", OUTCOMES, number, field, f"no {field} given", "a number greater than 0")
                return None
            return Decimal(1)
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            self.problem("bad-number", OUTCOMES, number, field, f"the {field} is not a number", "e.g. 2 or 0.5")
            return None
        try:
            amount = Decimal(str(value).strip())
            if not amount.is_finite():
                raise decimal.InvalidOperation
        except decimal.InvalidOperation:
            self.problem("bad-number", OUTCOMES, number, field, f"the {field} is not a number", "e.g. 2 or 0.5")
            return None
        if amount <= 0:
            self.problem("bad-quantity" if field == "quantity" else "bad-years", OUTCOMES, number, field,
                         f"the {field} is {_text(value)}", "must be greater than 0")
            return None
        if amount > cases.LIMITS[field]:  # (and 1E+999999 would never render as a case file)
            self.problem("bad-quantity" if field == "quantity" else "bad-years", OUTCOMES, number, field,
                         f"the {field} is more than any one case could have", f"at most {cases.LIMITS[field]:,}")
            return None
        if amount.normalize().as_tuple().exponent < -cases.MAX_DECIMALS:
            self.problem("bad-number", OUTCOMES, number, field,
                         f"the {field} has more than {cases.MAX_DECIMALS} decimal places",
                         "round it, e.g. 0.3333")
            return None
        return amount.normalize() if amount == amount.to_integral_value() else amount


def _place(row: int) -> str:
    return f"row {row}" if row else "as stored"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


# --- planning each case ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Unread:
    """What of a case's rows could not be read (their own problems are reported where they are)."""

    cases: bool = False
    """One of its Cases rows has problems: its history is incomplete."""
    outcome_rows: tuple[int, ...] = ()
    """Its Outcomes rows that have problems."""
    on_cases_sheet: bool = True
    """It has rows on the Cases sheet, read or not."""

    @property
    def any(self) -> bool:
        return self.cases or bool(self.outcome_rows)


_PARTIAL_HISTORY_CODES = {"history-must-start-with-referral"}
"""Problems a history with rows missing could show falsely (the missing row may be the referral)."""


class _NewCaseFolders:
    """Where each service's new cases go (``case_files.new_case_path``), worked out once per
    service rather than once per case."""

    def __init__(self, cases_folder: str, stored: list[models.CaseRecord]):
        self.cases_folder = cases_folder
        self.stored = stored
        self.folders: dict[str, str] = {}

    def path(self, service: str, reference: str) -> str:
        if service not in self.folders:
            example = case_files.new_case_path(self.cases_folder, service, self.stored, reference)
            self.folders[service] = os.path.dirname(example)
        return os.path.join(self.folders[service], f"{reference}.toml")


def _plan_case(path, reference, event_rows, outcome_rows, old, settings, costs, series,
               new_folders: _NewCaseFolders, replace: bool, unread: _Unread = _Unread(),
               exported: Exported | None = None):
    """Check one case as it would be written. A case some of whose rows could not be read
    (``unread``) is checked from the rows that could, for the problems those rows show whatever
    the others say, and is never written. A stored case the workbook changes carries the changes
    made to it since the workbook was ``exported`` (none for a workbook that is not an export)."""
    problems: list[Problem] = []
    if old is None and not event_rows:
        if unread.on_cases_sheet:
            return None, []  # its Cases rows have problems of their own, reported there
        for row in sorted([row.row for row in outcome_rows] + list(unread.outcome_rows)):
            problems.append(Problem(code="unknown-case", file=path, where=f"{OUTCOMES} row {row}: reference",
                                    message=f"{reference} is neither on the Cases sheet nor a stored case",
                                    hint="add the case's status rows on the Cases sheet, or correct the reference"))
        return None, problems
    if event_rows:
        where_reference = f"{CASES} row {event_rows[0].row}: reference"
    else:  # a stored case: a problem of the case as a whole is said at its first row here
        where_reference = f"{OUTCOMES} row {outcome_rows[0].row}: reference" if outcome_rows else ""

    if old is not None:  # the workbook holds the whole case: it is compared with what is stored
        if not event_rows and unread.on_cases_sheet:
            return None, []  # its Cases rows have problems of their own, reported there
        partial = _partial_case(path, reference, event_rows, outcome_rows, old, unread)
        if partial:
            return None, partial
        ordered = sorted(event_rows, key=lambda row: row.event.date)
        record = old.model_copy(update={"locality": ordered[0].locality if ordered else old.locality,
                                        "history": tuple(row.event for row in ordered),
                                        "outcomes": tuple(row.outcome for row in outcome_rows)})
        event_where = [row.row for row in ordered]
        outcome_where = [row.row for row in outcome_rows]
        target = old.file
    else:
        ordered = sorted(event_rows, key=lambda row: row.event.date)
        first = event_rows[0]
        record = models.CaseRecord(reference=reference, service=first.service, locality=first.locality,
                                   history=tuple(row.event for row in ordered),
                                   outcomes=tuple(row.outcome for row in outcome_rows))
        event_where = [row.row for row in ordered]
        outcome_where = [row.row for row in outcome_rows]
        target = new_folders.path(first.service, reference)

    for problem in _check_candidate(record, settings, costs, series):
        if problem.code == "outcomes-without-completion":
            continue  # said below, at each outcome row
        located_problem = _locate(problem, path, reference, where_reference, event_where, outcome_where, target)
        if unread.cases and (located_problem.where == where_reference or problem.code in _PARTIAL_HISTORY_CODES):
            continue  # the service, locality and reference are judged row by row; the history lacks rows
        problems.append(located_problem)
    warnings = problems_.warnings(problems)  # (shown; they never stop the case being written)
    problems = problems_.errors(problems)
    if record.completed_on is None and not problems and not unread.cases:  # (a history with problems says why)
        rows = [row for row in outcome_where if row is not None] + list(unread.outcome_rows)
        for row_number in sorted(rows):
            problems.append(Problem(code="outcomes-without-completion", file=path,
                                    where=f"{OUTCOMES} row {row_number}: reference",
                                    message=f"{reference} has not completed, so it has no outcomes yet",
                                    hint="add its 'completed' row on the Cases sheet"))
    if problems or unread.any:
        return None, problems + warnings

    record = record.model_copy(update={"file": target})
    if old is None:
        return Change(reference, target, "new", record), warnings
    if _content(record) == _content(old):
        return Change(reference, target, "unchanged", old, old), warnings
    old_text, problem = case_files.read_stored(old.file)
    if problem is not None:
        return None, [problem]
    what = tuple(case_history.differences(old, record)) or ("the case as a whole",)
    later = exported.later_changes(old) if exported else ()
    return Change(reference, target, "replace" if replace else "changed", record, old, old_text, what,
                  later), warnings


def _content(record: models.CaseRecord) -> models.CaseRecord:
    """What a workbook holds of a case: all of it but its history of changes and its file."""
    return record.model_copy(update={"changes": (), "file": ""})


def _partial_case(path, reference, event_rows, outcome_rows, old, unread: _Unread) -> list[Problem]:
    """A stored case given only in part (its new rows, say, as a workbook once added them): the
    workbook holds a stored case whole, so a part would remove the rest."""
    if unread.cases or any(row.event.status is models.Status.REFERRED for row in event_rows):
        return []
    sheet, row = (CASES, event_rows[0].row) if event_rows else (OUTCOMES, outcome_rows[0].row)
    where = f"{sheet} row {row}: reference"
    return [Problem(code="partial-case", file=path, where=where,
                    message=f"{reference} is a stored case ({old.file}), and the workbook lacks its referral: "
                            "a stored case is held whole, every event from the referral and every outcome line",
                    hint=f"export it with `up2u-cba intake export FILE.xlsx --reference {old.reference}`, "
                         "correct or add its rows there, and import that")]


def _check_candidate(record, settings, costs, series) -> list[Problem]:
    """The checks ``validate`` runs, on the case file the record would be written as. The
    checks across inputs run even when its history is out of order (they judge the lines, the
    service and the reference, which the rows give whatever the order), so one run says all."""
    text = case_files.render(record)
    parsed, problems = cases.parse("", tomllib.loads(text))
    checked = parsed if parsed is not None else record.model_copy(update={"file": ""})
    return problems + checks.check(settings, costs, series, [checked]) + case_files.record_problems(checked, "")


_INDEXED = re.compile(r"^(status|outcomes)\[(\d+)\]\.?(\w*)")
_COLUMNS = {"status": "status", "date": "date", "reason": "closure reason", "code": "unit cost",
            "quantity": "quantity", "years": "years", "description": "description", "evidence": "evidence",
            "acknowledged": "acknowledged", "confidence": "confidence", "deadweight": "deadweight",
            "attribution": "attribution", "adjustment_reason": "adjustment reason", "note": "closure note"}


def _locate(problem: Problem, path, reference, where_reference, event_where, outcome_where, stored_file) -> Problem:
    """Point a case-file problem at the workbook row and column it came from."""
    match = _INDEXED.match(problem.where)
    if match:
        table, index, field = match.group(1), int(match.group(2)) - 1, match.group(3)  # where numbers from 1
        rows = event_where if table == "status" else outcome_where
        sheet = CASES if table == "status" else OUTCOMES
        row = rows[index] if index < len(rows) else None
        if row is not None:
            column = _COLUMNS.get(field, field or ("status" if table == "status" else "unit cost"))
            return problem.model_copy(update={"file": path, "where": f"{sheet} row {row}: {column}"})
        return problem.model_copy(update={"file": path, "where": f"{reference} as stored in {stored_file}: {problem.where}"})
    return problem.model_copy(update={"file": path, "where": where_reference})


def _unique(problems: list[Problem]) -> list[Problem]:
    found: dict[tuple[str, str, str], Problem] = {}
    for problem in problems:
        found.setdefault((problem.code, problem.where, problem.message), problem)
    return list(found.values())


# --- writing ---------------------------------------------------------------------------------


def apply(plan: Plan, settings: models.Settings, costs: dict[str, models.UnitCost],
          series: deflators.DeflatorSeries, reason: str = "") -> tuple[list[Change], list[Problem]]:
    """Write the plan's new cases and replaced stored cases, all of them or none, even if the
    process is killed part-way (``import_journal``), each with an ``imported`` entry in its
    history (``reason``: why the stored cases are replaced); return what was written and any
    problem met while writing (each file is checked again before any is stored, and a stored
    file changed since the plan read it is refused). Ctrl-C raises ``import_journal.Stopped``
    once the import is settled."""
    changes = [_recorded(change, settings, reason) for change in plan.changes if change.kind in ("new", "replace")]
    if not changes:
        return [], []
    texts = [_final_text(change) for change in changes]
    refused = [case_files.would_lose_comments(change.old.file, "the replaced case")
               for change, text in zip(changes, texts) if text is None]
    if refused:
        return [], refused
    files = [import_journal.CaseFile(change.path, text, change.old_text if change.kind == "replace" else None)
             for change, text in zip(changes, texts)]
    meant = {file.target: change.record for file, change in zip(files, changes)}

    def verify(staged: str, file: import_journal.CaseFile) -> list[Problem]:
        return case_files.verify_file(staged, file.target, meant[file.target], settings, costs, series)

    # (the locks of the targets' folders too: another run may have named a service folder as
    # its cases folder, and it locks that folder, not this one)
    with import_journal.target_locks(settings.cases_folder, [file.target for file in files]):
        in_use = case_files.known_references(settings.cases_folder)  # read once, not once per case
        taken = [Problem(code="reference-taken", file=in_use[change.reference.upper()], where="reference",
                         message=f"{change.reference} is already used by another case",
                         hint="nothing was written; import the workbook again")
                 for change in changes if change.kind == "new" and change.reference.upper() in in_use]
        if taken:
            return [], taken
        problems = import_journal.store_all(settings.cases_folder, plan.workbook, files, verify)
    return ([] if problems else changes), problems


def _recorded(change: Change, settings: models.Settings, reason: str) -> Change:
    """``change`` with the ``imported`` entry its case's history gets: what changed and why (a
    new case: why, if a reason was given)."""
    entry = case_history.new_change(models.ChangeKind.IMPORTED, settings, what=change.differences,
                                    reason=reason if change.kind == "replace" or reason else NEW_CASE_REASON)
    record = case_history.with_change(change.record if change.old is None
                                      else change.record.model_copy(update={"changes": change.old.changes}), entry)
    return dataclasses.replace(change, record=record)


NEW_CASE_REASON = "new case from an intake workbook"
"""The reason a new case's ``imported`` history entry gives when the import was given none."""


def _final_text(change: Change) -> str | None:
    """The case file text ``change`` stores (None: a replacement that would lose a comment)."""
    if change.kind == "new":
        return case_files.render(change.record)
    return case_files.replacement_text(change.old_text, change.old, change.record)


def describe_event(event: models.StatusEvent) -> str:
    reason = f" ({event.reason_label})" if event.reason else ""
    return f"{event.date:%Y-%m-%d} {event.status.value}{reason}"


