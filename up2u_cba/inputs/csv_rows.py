"""Reading CSV rows the same way in every loader: cells stripped, and the CSV-injection escape
that the tool's own CSV writer adds (a ' before text that would read as a formula) taken off;
a header saved with semicolons is said as such."""

from __future__ import annotations

from up2u_cba.outputs import spreadsheet_text
from up2u_cba.problems import Problem


def clean(raw: dict, path: str, line: int, hint: str) -> tuple[dict[str, str], Problem | None]:
    """A ``csv.DictReader`` row with names and cells stripped, and a ``too-many-cells`` problem
    if the row had non-blank cells beyond the header (which DictReader files under the key None)."""
    extra = raw.get(None) or []
    record = {key.strip(): spreadsheet_text.from_csv((value or "").strip())
              for key, value in raw.items() if isinstance(key, str)}
    if any(isinstance(cell, str) and cell.strip() for cell in extra):
        return record, Problem(code="too-many-cells", file=path, where=f"row {line}",
                               message="the row has more cells than the header has columns", hint=hint)
    return record, None


def separator_hint(header: list[str], hint: str) -> str:
    """``hint`` for a header that lacks a required column, or, when the header is one column
    holding semicolons (a CSV saved with a European list separator), how to save it with commas."""
    if len(header) == 1 and ";" in header[0]:
        return ("its cells are separated by semicolons, not commas: save it again as "
                "CSV UTF-8 (Comma delimited), or replace each ; with ,")
    return hint
