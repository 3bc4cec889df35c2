"""`costs import` reads a column only when its whole header is one it knows (issue #13, review):
a column inserted whose header merely starts like a known one ("Cost code (previous edition)"
before "Cost code", "Unit cost reference" before "Unit", "Value at 2024/25 prices" first under
"Fiscal Cost") is ignored and listed, and v1.4's costs are imported unchanged; two columns that
both fit one field are refused as ``ambiguous-header``, naming the sheet, both cells and the field.

Variants are built from the real v1.4 workbook with ``build`` of ``test_gmca_any_edition``.
"""

from __future__ import annotations

import pytest

from hostile import assert_refused
from test_gmca_any_edition import folder, import_cli, source, v14, build  # noqa: F401 (fixtures)


def inserted(source: dict, sheet: str, before: int, header_1, header_2, value, *, group_from_right=False) -> dict:
    """``source`` with a column inserted on ``sheet`` before the 0-based column ``before``:
    ``header_1`` and ``header_2`` in its header rows, ``value(cells)`` on every row below with a
    code. With ``group_from_right`` the row-1 header of the column it is put before (a group's,
    as "Fiscal Cost") moves onto the new column, so the new column is the group's first."""
    rows, notes = source[sheet]
    changed = []
    for number, cells in enumerate(rows, start=1):
        cells = list(cells) + [None] * max(0, before - len(cells))
        if number == 1:
            new = header_1
            if group_from_right:
                new, cells[before] = cells[before], None
        elif number == 2:
            new = header_2
        else:
            new = value(cells) if isinstance(cells[2], str) and cells[2].strip() else None
        changed.append([*cells[:before], new, *cells[before:]])
    moved = {(row, column + 1 if column > before else column): text for (row, column), text in notes.items()}
    return {**source, sheet: (changed, moved)}


VARIANTS = {
    "previous-code": ("Crime", 2, "Cost code (previous edition)", None, lambda cells: f"OLD{cells[2].strip()}", False),
    "unit-reference": ("Crime", 4, "Unit cost reference", None, lambda cells: "UCR-17", False),
    "value-first-in-group": ("Crime", 7, None, "Value at 2024/25 prices", lambda cells: 999999, True),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_column_whose_header_only_starts_like_a_known_one_is_ignored_and_listed(name, folder, source, v14):
    sheet, before, header_1, header_2, value, group = VARIANTS[name]
    changed = inserted(source, sheet, before, header_1, header_2, value, group_from_right=group)
    result, rows = import_cli(folder, build(folder / f"{name}.xlsx", changed), name)
    assert result.exit_code == 0, result.output
    assert rows == v14[1]
    header = header_1 if header_1 else f"Fiscal Cost / {header_2}"
    letter = "CDEFGHI"[before - 2]
    assert f"  '{header}': Crime {letter}" in result.stdout.splitlines()


def test_v14_lists_its_revision_columns_as_not_read(v14):
    lines = v14[0].stdout.splitlines()
    assert any(line.startswith("  'v.1.4 revisions / New / update': Crime T,") for line in lines)
    assert not any("Updated cost/saving" in line for line in lines)


@pytest.mark.parametrize("header_1, header_2, before, group, field", [
    ("Cost code", None, 3, False, "Crime: row 1: Cost code"),
    (None, "Estimated cost/saving", 7, True, "Crime: row 2: Fiscal Cost / Estimated cost/saving"),
])
def test_two_columns_that_fit_one_field_are_refused_naming_both_cells(folder, source, header_1, header_2, before,
                                                                      group, field):
    changed = inserted(source, "Crime", before, header_1, header_2, lambda cells: 1, group_from_right=group)
    name = f"ambiguous-{before}"
    result, rows = import_cli(folder, build(folder / f"{name}.xlsx", changed), name)
    cells = ("C1", "D1") if header_1 else ("H2", "I2")
    assert_refused(result, "[ambiguous-header]", f"{field}:", *cells)
    assert rows == [] and not (folder / f"{name}.csv").exists()
