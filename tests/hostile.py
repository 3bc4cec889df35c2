"""Shared checks for the hostile-input tests (issue #9): what every refusal and every written
workbook must satisfy, whichever class of bad input a test tries.

- ``sample_project`` copies the bundled project (settings, unit costs, cases) into a folder of
  the test's own, so a test may break, fill or lock it freely.
- ``assert_refused`` is the contract for bad input: a non-zero exit, no traceback, and a
  message that names the file and the field.
- ``assert_no_injected_formula`` opens every workbook written and checks every cell: text from
  the inputs (the ``PAYLOADS``) is only ever a string cell, never part of a formula.
- ``snapshot`` / ``assert_unchanged`` prove that a refused command wrote nothing.
"""

from __future__ import annotations

import hashlib
import html
import os
import pathlib
import re
import shutil
import zipfile

import openpyxl
from click.testing import CliRunner, Result

from up2u_cba.cli.main import main

REPO = pathlib.Path(__file__).resolve().parent.parent

FORMULA_STARTS = ("=", "+", "-", "@", "\t", " ", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What a spreadsheet program may read as the start of a formula: the OWASP list, a leading
space, and the full-width forms Excel folds to their ASCII twins."""

PAYLOADS = (
    '=HYPERLINK("http://evil.example/x","click")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "\t=1+1",
    " =1+1",
    "\r=1+1",
    "\uff1d1+1",
    "=cmd|' /C calc'!A0",
)
"""Texts a user or an attacker might type into any free-text field."""


def invoke(*args: str, input: str | None = None) -> Result:
    """Run the command line as a user would (stdout and stderr together in ``output``)."""
    return CliRunner().invoke(main, [str(arg) for arg in args], input=input)


def assert_refused(result: Result, *names: str) -> None:
    """Bad input: a non-zero exit, no traceback, and every one of ``names`` (the file, the field,
    the character...) in what the user was told."""
    output = result.output
    assert result.exit_code != 0, f"expected a refusal, got exit 0:\n{output}"
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}\n{output}")
    for name in names:
        assert str(name) in output, f"{name!r} not named in:\n{output}"


def sample_project(folder: pathlib.Path) -> pathlib.Path:
    """A copy of the bundled project in ``folder``; returns its settings file."""
    for name in ("unit_costs", "cases"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copy(REPO / "up2u-cba.toml", folder / "up2u-cba.toml")
    return folder / "up2u-cba.toml"


def filled_intake(folder: pathlib.Path, settings: pathlib.Path, outcome_rows, acknowledged_column: bool = True
                  ) -> pathlib.Path:
    """An intake workbook, made from the tool's own template, with one case (BCP-9101, referred
    2022-05-02, completed 2023-01-15) and ``outcome_rows`` on its Outcomes sheet. Without
    ``acknowledged_column`` it is a workbook made before the template had that column."""
    template = folder / "template.xlsx"
    assert invoke("intake", "template", template, "--settings", settings).exit_code == 0
    book = openpyxl.load_workbook(template)
    cases_sheet, outcomes_sheet = book["Cases"], book["Outcomes"]
    assert outcomes_sheet.cell(row=1, column=7).value == "Acknowledged"
    if not acknowledged_column:
        outcomes_sheet.cell(row=1, column=7).value = None
    for number, row in enumerate([("BCP-9101", "BCP", "Poole", "referred", "2022-05-02", None),
                                  ("BCP-9101", None, None, "completed", "2023-01-15", None)], start=2):
        for column, value in enumerate(row, start=1):
            cases_sheet.cell(row=number, column=column, value=value)
    for number, row in enumerate(outcome_rows, start=2):
        for column, value in enumerate(row, start=1):
            outcomes_sheet.cell(row=number, column=column, value=value)
    path = folder / "filled.xlsx"
    book.save(path)
    return path


def formula_cells(path: str | os.PathLike) -> list[tuple[str, str, str]]:
    """(sheet, cell, formula) for every formula cell of the workbook at ``path``."""
    workbook = openpyxl.load_workbook(path)
    found = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    found.append((sheet.title, cell.coordinate, str(cell.value)))
    return found


def assert_no_injected_formula(path: str | os.PathLike, payloads: tuple[str, ...] = PAYLOADS) -> None:
    """No text from the inputs is part of any formula in the workbook at ``path``: checked on
    every cell through openpyxl, and on the raw XML (a formula element never holds a payload)."""
    markers = [payload.strip().lstrip("=+-@\uff1d") for payload in payloads]
    markers = [marker for marker in markers if len(marker) >= 3]
    for sheet, coordinate, formula in formula_cells(path):
        for marker in markers:
            assert marker not in formula, f"{sheet}!{coordinate} is a formula holding input text: {formula!r}"
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".xml"):
                continue
            text = archive.read(name).decode("utf-8")
            for formula in re.findall(r"<f(?:\s[^>]*)?>(.*?)</f>", text, re.S):
                formula = html.unescape(formula)
                for marker in markers:
                    assert marker not in formula, f"{name}: a formula element holds input text {marker!r}"


def snapshot(folder: str | os.PathLike) -> dict[str, str]:
    """Every file under ``folder`` (lock files aside) and a digest of its bytes."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            if name == ".up2u-cba.lock":
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, folder)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def assert_unchanged(before: dict[str, str], folder: str | os.PathLike) -> None:
    """Nothing under ``folder`` was added, removed or changed since ``before``."""
    after = snapshot(folder)
    assert after == before, {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(name for name in before if name in after and after[name] != before[name]),
    }
