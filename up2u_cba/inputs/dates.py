"""Read a date as a UK user types it: day first, in the forms people write in forms and Excel.

Accepted: ``2023-05-12`` (and ``2023/05/12``), ``12/05/2023``, ``12/5/2023``, ``12-05-2023``,
``12.05.2023``, ``12 May 2023``, ``12-May-2023``, ``12 May, 2023``, ``12th May 2023``, ``May 12
2023``, and any of the day-first forms with a two-digit year (``12/05/23``), which is read as
20YY: no Up2U case is dated before 2000 (``cases.FIRST_DATE``), so ``23`` can only be 2023.

Numbers only are always day, month, year (``05/12/2023`` is 5 December), never the US order; a
date without a year (``12 May``) is refused rather than guessed. Guided entry (``entry``) and
intake (``intake``) read dates with ``parse`` so a date typed one way is read the same in both.
"""

from __future__ import annotations

import datetime
import re

from up2u_cba.problems import shown

FORMS = "2023-05-12, 12/05/2023, 12-05-2023, 12.05.2023 or 12 May 2023 (day first)"
"""The accepted forms, as a refusal lists them."""

MONTHS = {name: number for number, names in enumerate(
    (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")), start=1) for name in names}

_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_WORDS_DAY_FIRST = re.compile(_ORDINAL + r"[\s-]*([a-z]+)\.?(?:[\s,-]+(\d{4}|\d{2}))?")
_WORDS_MONTH_FIRST = re.compile(r"([a-z]+)\.?\s+" + _ORDINAL + r",?\s+(\d{4})")


def parse(text: str) -> datetime.date:
    """The date ``text`` means, or ValueError whose message repeats ``text`` as typed and says
    what would be right."""
    typed = str(text)
    cleaned = re.sub(r"\s+", " ", typed.strip().lower())
    if not cleaned:
        raise ValueError(f"no date given: type it as {FORMS}")
    try:
        parts = _parts(cleaned)
    except _NoYear as missing:
        raise ValueError(f"'{shown(typed)}' has no year: give the year too, e.g. {missing}") from None
    if parts is None:
        raise ValueError(f"'{shown(typed)}' is not a date: type it as {FORMS}" + _month_first_hint(cleaned))
    year, month, day = parts
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"'{shown(typed)}' is not a day of the calendar" + _calendar_hint(year, month, day)
                         + _month_first_hint(cleaned)) from None


class _NoYear(Exception):
    """A day and month without a year: which year is not guessed. Carries the date with one."""


def _parts(cleaned: str) -> tuple[int, int, int] | None:
    """(year, month, day) as written, not yet checked against the calendar; None for no form."""
    if match := _YEAR_FIRST.fullmatch(cleaned):
        year, month, day = (int(part) for part in match.groups())
        return year, month, day
    if match := _DAY_FIRST.fullmatch(cleaned):
        day, _, month, year = match.groups()
        return _full_year(year), int(month), int(day)
    if match := _WORDS_DAY_FIRST.fullmatch(cleaned):
        day, month_name, year = match.groups()
        month = MONTHS.get(month_name)
        if month is None:
            return None
        if year is None:
            raise _NoYear(f"{int(day)} {month_name.capitalize()} {datetime.date.today().year}")
        return _full_year(year), month, int(day)
    if match := _WORDS_MONTH_FIRST.fullmatch(cleaned):
        month_name, day, year = match.groups()
        month = MONTHS.get(month_name)
        return (int(year), month, int(day)) if month else None
    return None


def _full_year(year: str) -> int:
    """A two-digit year is 20YY: no case is dated before 2000."""
    return 2000 + int(year) if len(year) == 2 else int(year)


def _calendar_hint(year: int, month: int, day: int) -> str:
    if not 1 <= month <= 12:
        return f": there is no month {month}"
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return f": {datetime.date(year, month, 1):%B %Y} has {last} days"


def _month_first_hint(cleaned: str) -> str:
    """For 05/13/2023: say that dates are day first (13/05/2023 is 13 May)."""
    match = _DAY_FIRST.fullmatch(cleaned)
    if match and int(match.group(3)) > 12 and 1 <= int(match.group(1)) <= 12:
        day, separator, month, year = match.groups()
        swapped = datetime.date(_full_year(year), int(day), 1)
        return f" (dates are day first: {month}{separator}{day}{separator}{year} is {int(month)} {swapped:%B %Y})"
    return ""
