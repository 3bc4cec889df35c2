"""The report's outcome lines as CSV (``report --format csv``): one row per line, with its case,
its unit cost code and the figures that value it (unit value, price year, uprating, saving,
prudent saving and its shares, agency), for an analyst to sort and filter in a spreadsheet.

Every text field goes through ``spreadsheet_text.to_csv``: text that a spreadsheet program would
take for a formula (``=``, ``+``, ``-``, ``@``...) is quoted with a leading ``'``, so the file is
safe to open in Excel. Savings are whole pounds; the uprating factor to 6 places, as the
workbook shows it; other figures exact, as in the JSON report.
"""

from __future__ import annotations

import csv
import decimal
import io
from decimal import Decimal

from up2u_cba.method import report
from up2u_cba.outputs import render_json, spreadsheet_text

COLUMNS = ("service", "year", "reference", "locality", "completed_on", "line", "code", "description",
           "quantity", "years", "unit_value", "price_year", "uprating_factor", "saving", "agency", "theme", "rag",
           "evidence", "prudent_saving", "deadweight", "attribution", "grade", "optimism_bias", "drop_off",
           "discount_rate", "years_factor", "transfer_share", "prudent_transfer", "adjustment_reason",
           "agency_note")
"""The columns, in order (documented in the README)."""

TEXT_COLUMNS = frozenset({"service", "reference", "locality", "code", "description", "agency", "theme", "rag",
                          "evidence", "grade", "adjustment_reason", "agency_note"})
"""Columns of text a user typed or a table gave: escaped where a spreadsheet would read a formula."""


FACTOR_PLACES = Decimal("0.000001")
"""The uprating factor is shown to 6 places, as the workbook's number format shows it."""


def factor(value: Decimal) -> str:
    """A factor (uprating, years, transfer share) to 6 places, half up (1.163234, not 28 digits),
    trailing zeros kept: as shown, not as used; the saving is computed from the exact factor
    (JSON gives it exactly)."""
    return f"{value.quantize(FACTOR_PLACES, rounding=decimal.ROUND_HALF_UP)}"


def render(result: report.Report) -> str:
    """The outcome lines of every service's year, in the report's order (service, then case
    reference, then the line as stored), with a header row."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for summary in result.services:
        for case in summary.cases:
            for number, line in enumerate(case.lines, start=1):
                row = {
                    "service": summary.service, "year": str(summary.year), "reference": case.reference,
                    "locality": case.locality, "completed_on": case.completed_on.isoformat(), "line": number,
                    "code": line.code, "description": line.description,
                    "quantity": render_json.exact(line.quantity), "years": render_json.exact(line.years),
                    "unit_value": render_json.exact(line.unit_value), "price_year": str(line.price_year),
                    "uprating_factor": factor(line.uprating_factor), "saving": render_json.whole(line.saving),
                    "agency": line.agency, "theme": line.theme, "rag": line.rag, "evidence": line.evidence,
                    "prudent_saving": render_json.whole(line.prudent_saving),
                    "deadweight": render_json.exact(line.deadweight),
                    "attribution": render_json.exact(line.attribution), "grade": line.grade,
                    "optimism_bias": render_json.exact(line.optimism_bias),
                    "drop_off": render_json.exact(line.drop_off),
                    "discount_rate": render_json.exact(line.discount_rate),
                    "years_factor": factor(line.years_factor),
                    "transfer_share": factor(line.transfer_share),
                    "prudent_transfer": render_json.whole(line.prudent_transfer),
                    "adjustment_reason": line.adjustment_reason, "agency_note": line.agency_note,
                }
                writer.writerow([spreadsheet_text.to_csv(row[name]) if name in TEXT_COLUMNS else row[name]
                                 for name in COLUMNS])
    return text.getvalue()
