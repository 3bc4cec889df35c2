"""GDP deflators: the index series that uprates a value from one price year to another.

A CSV with a header row and at least the columns ``financial_year`` and ``index``
(HM Treasury's series, one row per financial year, e.g. ``2008-09,66.8397``). The series is
revised every quarter, so it is data the user replaces, never code.
"""

from __future__ import annotations

import csv
import decimal
from decimal import Decimal

import pydantic

from up2u_cba import csv_rows, models
from up2u_cba.problems import Problem


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
    problems: list[Problem] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [column.strip() for column in (reader.fieldnames or [])]
            if "financial_year" not in header or "index" not in header:
                return None, [Problem(code="missing-column", file=path, where="header",
                                      message="the deflator file needs columns financial_year and index",
                                      hint="e.g. financial_year,index / 2008-09,66.8397")]
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
                    if not level.is_finite() or level <= 0:
                        raise decimal.InvalidOperation
                except decimal.InvalidOperation:
                    problems.append(Problem(code="bad-number", file=path, where=f"row {line}: index",
                                            message=f"'{row['index']}' is not a positive index level",
                                            hint="e.g. 66.8397"))
                    continue
                if year in index:
                    problems.append(Problem(code="duplicate-year", file=path, where=f"row {line}: financial_year",
                                            message=f"{year} appears twice", hint="one row per financial year"))
                index[year] = level
    except FileNotFoundError:
        return None, [Problem(code="missing-file", file=path, message="deflator file not found",
                              hint="check [uprating] deflators in the settings file")]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(code="unreadable-file", file=path, message=f"cannot read the file: {error}",
                              hint="save it as UTF-8 CSV")]
    if problems:
        return None, problems
    return DeflatorSeries(name=name, file=path, index=index), []
