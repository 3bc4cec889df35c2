"""Reading CSV rows the same way in every loader."""

from __future__ import annotations


def clean(raw: dict) -> tuple[dict[str, str], bool]:
    """A ``csv.DictReader`` row with names and cells stripped, and whether the row had
    non-blank cells beyond the header (which DictReader files under the key None)."""
    extra = raw.get(None) or []
    record = {key.strip(): (value or "").strip() for key, value in raw.items() if isinstance(key, str)}
    return record, any(isinstance(cell, str) and cell.strip() for cell in extra)
