"""`costs import` on any GMCA edition (issue #13, deliverable 7): variants of the real v1.4
workbook, built here with openpyxl, import the same costs as v1.4 itself (columns inserted or
reordered, a sheet renamed with trailing spaces, an extra column or theme sheet, codes with stray
spaces), lose only the costs of a removed sheet (a note, not a failure), or fail naming the
header or sheet expected. The edition and its date are read from the workbook.

Each variant is built once per module from the workbook's values and cell notes (a workbook
saved by openpyxl keeps no formula results, so formulas are written as the values Excel stored,
and a float as the text of its digits, which openpyxl would shorten).
"""

from __future__ import annotations

import csv
import pathlib

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import ROOT
from up2u_cba.cli.main import main
from up2u_cba.inputs import gmca

WORKBOOK = ROOT / "unit_costs" / "gmca-ucd-v1.4.xlsx"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def source() -> dict:
    """The v1.4 workbook as data: each sheet's rows of values, and its cell notes by (row, column)."""
    book = openpyxl.load_workbook(WORKBOOK, data_only=True)
    sheets = {}
    for sheet in book.worksheets:
        rows = [list(cells) for cells in sheet.iter_rows(values_only=True)]
        notes = {(cell.row, cell.column): cell.comment.text
                 for cells in sheet.iter_rows() for cell in cells if cell.comment is not None}
        sheets[sheet.title] = (rows, notes)
    return sheets


def build(path: pathlib.Path, source: dict, *, columns=None, names: dict[str, str] | None = None,
          drop: tuple[str, ...] = (), edit=None, extra_sheets: dict[str, list[list]] | None = None) -> str:
    """A copy of v1.4 changed on its theme sheets: ``columns`` reorders each row (a function of a
    row's list of cells; None is a new blank column; the notes move with their cells), ``names``
    renames sheets, ``drop`` removes them, ``edit(sheet, row_number, cells)`` changes a row's
    cells in place (before ``columns``)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    names = names or {}
    for title, (rows, notes) in source.items():
        if title in drop:
            continue
        theme = title in gmca.THEMES
        width = max(len(cells) for cells in rows)
        moved = columns(list(range(width))) if (columns and theme) else list(range(width))
        sheet = book.create_sheet(names.get(title, title))
        for number, cells in enumerate(rows, start=1):
            # a float as the text of all its digits: openpyxl writes fewer than Excel did
            cells = [repr(value) if isinstance(value, float) else value for value in cells] + [None] * (width - len(cells))
            if theme and edit:
                edit(title, number, cells)
            sheet.append([None if index is None else cells[index] for index in moved])
        for (row, column), text in notes.items():
            if column - 1 in moved:
                sheet.cell(row, moved.index(column - 1) + 1).comment = openpyxl.comments.Comment(text, "GMCA")
    for title, rows in (extra_sheets or {}).items():
        sheet = book.create_sheet(title)
        for cells in rows:
            sheet.append(cells)
    book.save(path)
    return str(path)


def _inserted(columns: list) -> list:
    """A blank column before A, and one between Unit (E) and the agency columns."""
    return [None, *columns[:5], None, *columns[5:]]


def _reordered(columns: list) -> list:
    """Source, RAG and Comment first; the social value group before the economic one."""
    return [*columns[16:19], *columns[:10], *columns[13:16], *columns[10:13], *columns[19:]]


def _spaced_codes(sheet: str, number: int, cells: list) -> None:
    """Stray spaces in and around every code (``' CR 2.0 '``)."""
    if number > 2 and isinstance(cells[2], str) and cells[2].strip():
        cells[2] = f" {cells[2].replace('.', ' .', 1)}  "


def _extra_column(sheet: str, number: int, cells: list) -> None:
    """A 'v2.0 revisions' column after the last one, with text on every row."""
    cells.append("v2.0 revisions" if number == 1 else f"revised in row {number}")


NEW_THEME = [
    ["Outcome category", "Outcome detail", "Cost code", "Cost / saving detail", "Unit",
     "Agency bearing the cost / making the fiscal saving", None, "Fiscal value", None, None,
     "Economic value", None, None, "Social value", None, None, "Original source", "RAG assessment", "Comment"],
    [None, None, None, None, None, "Level 1", "Level 2", "Estimated cost/saving", "Year", "Updated cost/saving",
     "Estimated cost/saving", "Year", "Updated cost/saving", "Estimated cost/saving", "Year",
     "Updated cost/saving"],
    ["DOMESTIC ABUSE", "MARAC", "DA1.0", "A MARAC case", "Per case", "Multiple", None, 1200, "2023/24",
     None, None, None, None, None, None, None, "Test source", "A", ""],
]
"""A theme sheet v1.4 lacks (as a newer edition's domestic-abuse block would be)."""


VARIANTS = {
    "inserted": dict(columns=_inserted),
    "reordered": dict(columns=_reordered),
    "renamed": dict(names={"Crime": "Crime ", "Health": "  Health  ", "Education & Skills": "Education &  Skills"}),
    "spaced-codes": dict(edit=_spaced_codes),
    "extra-column": dict(edit=_extra_column),
}
"""Variants that must import exactly the costs of v1.4 itself."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("editions")


@pytest.fixture(scope="module")
def imported(folder) -> dict[str, tuple]:
    """Each workbook's `costs import` (result, CSV rows) by name: v1.4 itself, then each variant."""
    return {}


def import_cli(folder: pathlib.Path, workbook: str, name: str):
    output = folder / f"{name}.csv"
    result = run("costs", "import", workbook, "-o", str(output))
    rows = list(csv.DictReader(output.open(newline="", encoding="utf-8"))) if output.exists() else []
    return result, rows


@pytest.fixture(scope="module")
def v14(folder):
    return import_cli(folder, str(WORKBOOK), "v1.4")


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request, folder, source):
    name = request.param
    workbook = build(folder / f"{name}.xlsx", source, **VARIANTS[name])
    return name, import_cli(folder, workbook, name)


def test_v14_itself_has_every_cost_and_its_edition(v14):
    result, rows = v14
    assert result.exit_code == 0, result.output
    assert len(rows) == 683
    assert {row["edition"] for row in rows} == {"v1.4 (March 2015)"}
    assert list(rows[0])[-2:] == ["transfer", "edition"]
    assert "Edition: v1.4 (March 2015) (from the 'Introduction' sheet)" in result.stdout


def test_each_variant_imports_the_same_costs_as_v14(variant, v14):
    name, (result, rows) = variant
    assert result.exit_code == 0, result.output
    assert rows == v14[1], name


def test_a_renamed_sheet_keeps_its_theme(folder, source):
    result = gmca.import_workbook(build(folder / "renamed-only.xlsx", source, names={"Crime": "Crime   "}))
    assert result.problems == [] and result.notes == []
    assert {cost.theme for cost in result.costs if cost.code.startswith("CR")} == {"Crime"}


def test_fire_removed_loses_only_fire_and_says_so(folder, source, v14):
    result, rows = import_cli(folder, build(folder / "no-fire.xlsx", source, drop=("Fire",)), "no-fire")
    assert result.exit_code == 0, result.output
    assert rows == [row for row in v14[1] if row["theme"] != "Fire"]
    assert "no sheet named 'Fire'" in result.stdout


def test_a_theme_sheet_v14_lacks_is_read_as_its_own_theme(folder, source, v14):
    workbook = build(folder / "new-theme.xlsx", source, extra_sheets={"Domestic Abuse ": NEW_THEME})
    result, rows = import_cli(folder, workbook, "new-theme")
    assert result.exit_code == 0, result.output
    assert rows[:-1] == v14[1]
    assert (rows[-1]["code"], rows[-1]["theme"], rows[-1]["fiscal_value"]) == ("DA1.0", "Domestic Abuse", "1200")


# --- beyond the importer: a clear problem naming what it expected ------------------------------


def _no_code_header(sheet: str, number: int, cells: list) -> None:
    if sheet == "Health" and number == 1:
        cells[2] = "Reference"


def _no_fiscal_year(sheet: str, number: int, cells: list) -> None:
    if sheet == "Housing" and number == 2:
        cells[8] = None


@pytest.mark.parametrize("edit, where, header", [
    (_no_code_header, "Health: row 1: Cost code", "Cost code"),
    (_no_fiscal_year, "Housing: row 2: Fiscal Cost / Year", "Year"),
])
def test_a_missing_header_fails_naming_the_sheet_and_header(folder, source, edit, where, header):
    output = folder / f"{edit.__name__}.csv"
    result = run("costs", "import", build(folder / f"{edit.__name__}.xlsx", source, edit=edit), "-o", str(output))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{where}:" in result.stderr and "[missing-header]" in result.stderr
    assert f"'{header}'" in result.stderr
    assert not output.exists()


def test_a_workbook_of_no_known_sheet_fails_naming_the_sheets_expected(folder, source):
    renamed = {theme: f"Sheet{number}" for number, theme in enumerate(gmca.THEMES)}

    def hide(sheet: str, number: int, cells: list) -> None:
        if number == 1:
            cells[2] = "Ref"  # no 'Cost code' header: not read as a theme sheet of another name

    output = folder / "unknown.csv"
    result = run("costs", "import", build(folder / "unknown.xlsx", source, names=renamed, edit=hide),
                 "-o", str(output))
    assert result.exit_code == 1 and "[not-a-unit-cost-workbook]" in result.stderr
    assert all(theme in result.stderr for theme in gmca.THEMES) and "Cost code" in result.stderr
    assert not output.exists()


# --- the edition -------------------------------------------------------------------------------


def _introduction(source: dict, title: str, dated: str) -> dict:
    """The workbook with an Introduction sheet of a title and a dated line (in column C, as v1.4's)."""
    return {**source, "Introduction": ([[None, None, title], [None, None, dated]], {})}


@pytest.mark.parametrize("title, dated, expected", [
    ("Unit Cost Database (v3.0) - Introduction", "Published November 2025.  Changes from v2.3 ...", "v3.0 (November 2025)"),
    ("Unit Cost Database Version 2.3", "Updated in March 2023.", "v2.3 (March 2023)"),
    ("Unit Cost Database v2.1", "No date here.", "v2.1"),
])
def test_the_edition_and_its_date_are_read_from_the_introduction(folder, source, title, dated, expected):
    changed = _introduction(source, title, dated)
    result = gmca.import_workbook(build(folder / f"{expected}.xlsx", changed, drop=gmca.THEMES[1:]))
    assert result.edition == expected


def test_without_an_introduction_the_update_log_names_the_edition_else_a_note(folder, source):
    logged = gmca.import_workbook(build(folder / "log.xlsx", source, drop=("Introduction", *gmca.THEMES[1:])))
    assert (logged.edition, logged.edition_found_in) == ("v1.4", "the sheet name 'v1.4 update log'")
    neither = gmca.import_workbook(build(folder / "neither.xlsx", source,
                                         drop=("Introduction", "v1.4 update log", *gmca.THEMES[1:])))
    assert neither.edition == "" and any("no edition found" in note for note in neither.notes)
