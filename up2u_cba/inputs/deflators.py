"""GDP deflators: the index series that uprates a value from one price year to another.

A CSV with a header row and at least the columns ``financial_year`` and ``index``
(HM Treasury's series, one row per financial year, e.g. ``2008-09,66.8397``). The series is
revised every quarter, so it is data the user replaces, never code.
"""

from __future__ import annotations

import csv
import decimal
import io
from decimal import Decimal

import pydantic

from up2u_cba import models
from up2u_cba.inputs import csv_rows, input_files
from up2u_cba.problems import Problem, shown


LOWEST_INDEX = Decimal(1)
HIGHEST_INDEX = Decimal(10_000)
"""An index level is above 1 and at most 10,000: HM Treasury's series has base 100 in one year
and moves a few percent a year, so anything outside is a typing slip or another table."""
LARGEST_STEP = Decimal("0.5")
"""The index moves by at most 50% from one year to the next (the largest UK move since 1955
was about 25%, in 1974-75)."""


class DeflatorSeries(pydantic.BaseModel):
    """An index per financial year; ``factor`` uprates between any two of its years."""

    model_config = pydantic.ConfigDict(frozen=True)

    name: str
    """How reports name the series, e.g. 'HM Treasury GDP deflators, March 2026'."""
    file: str
    """The CSV it was read from."""
    index: dict[models.FinancialYear, Decimal]
    """Index level per financial year (any base: only ratios are used)."""

    def factor(self, price_year: models.FinancialYear, target: models.FinancialYear) -> Decimal:
        """Multiply a value in ``price_year`` prices by this to get ``target`` prices."""
        return self.index[target] / self.index[price_year]


def load(path: str, name: str) -> tuple[DeflatorSeries | None, list[Problem]]:
    """Read a deflator CSV; return the series (None if unusable) and every problem found."""
    text, refused = input_files.read_text(path, input_files.DEFLATORS)
    if text is None:
        return None, [refused]
    problems: list[Problem] = []
    try:
        with io.StringIO(text, newline="") as handle:
            reader = csv.DictReader(handle)
            header = [column.strip() for column in (reader.fieldnames or [])]
            if "financial_year" not in header or "index" not in header:
                return None, [Problem(code="missing-column", file=path, where="header",
                                      message="the deflator file needs columns financial_year and index",
                                      hint=csv_rows.separator_hint(
                                          header, "e.g. financial_year,index / 2008-09,66.8397"))]
            index: dict[models.FinancialYear, Decimal] = {}
            for line, raw in enumerate(reader, start=2):
                row, extra = csv_rows.clean(raw, path, line, "one financial year and its index per row")
                if extra:
                    problems.append(extra)
                    continue
                try:
                    year = models.FinancialYear.parse(row["financial_year"])
                except ValueError:
                    problems.append(Problem(code="bad-price-year", file=path, where=f"row {line}: financial_year",
                                            message=f"'{row['financial_year']}' is not a financial year",
                                            hint="write it as 2008-09 or 2008/09"))
                    continue
                try:
                    level = Decimal(row["index"])
                    if not level.is_finite() or not LOWEST_INDEX < level <= HIGHEST_INDEX:
                        raise decimal.InvalidOperation
                except decimal.InvalidOperation:
                    problems.append(Problem(code="bad-number", file=path, where=f"row {line}: index",
                                            message=f"'{shown(row['index'])}' is not an index level",
                                            hint=f"an index (base 100 in one year) above {LOWEST_INDEX} and up to "
                                                 f"{HIGHEST_INDEX:,}, e.g. 66.8397"))
                    continue
                if year in index:
                    problems.append(Problem(code="duplicate-year", file=path, where=f"row {line}: financial_year",
                                            message=f"{year} appears twice", hint="one row per financial year"))
                index[year] = level
    except csv.Error as error:
        return None, [Problem(code="unreadable-file", file=path, message=f"cannot read the file as CSV: {error}",
                              hint="save it as UTF-8 CSV")]
    problems += _jumps(path, index)
    if problems:
        return None, problems
    return DeflatorSeries(name=name, file=path, index=index), []


def _jumps(path: str, index: dict[models.FinancialYear, Decimal]) -> list[Problem]:
    """A problem for each year whose index is more than 50% above or below the year before's."""
    problems = []
    for year in sorted(index):
        before = models.FinancialYear(start=year.start - 1)
        if before in index and abs(index[year] / index[before] - 1) > LARGEST_STEP:
            problems.append(Problem(code="implausible-index", file=path, where=f"{year}: index",
                                    message=f"the index moves from {index[before]} in {before} to {index[year]} in "
                                            f"{year}, more than {LARGEST_STEP:.0%}",
                                    hint="check the figure: a deflator moves a few percent a year"))
    return problems
