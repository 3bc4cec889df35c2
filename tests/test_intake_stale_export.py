"""An export imported after the case was changed since (issue #10, review of deliverable 4): an
`intake export` records on its Export sheet when it was made and the history each case had then;
`intake import --replace` of it over a stored case changed since (amended, say) would quietly undo
that change, so it refuses that case (``changed-since-export``) unless given
--overwrite-later-changes. A filled template (no Export sheet) is not concerned. Also: rows
reordered in the workbook read as lines moved, not as lines added and changed.

Every test works on a copy of the sample project; BCP-0001 counts BCP-SS1, CR2.0 x 3, HO3.0 x 1."""

from __future__ import annotations

import re

import openpyxl
import pytest

from hostile import assert_refused, assert_unchanged, invoke, sample_project, snapshot
from up2u_cba import models
from up2u_cba.inputs import cases

AMENDED = "two homelessness applications confirmed"


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def run(settings, *args):
    return invoke(*args, "--settings", settings)


def export(folder, settings, name: str = "bcp-0001.xlsx"):
    workbook = folder / name
    result = run(settings, "intake", "export", workbook, "--reference", "BCP-0001")
    assert result.exit_code == 0, result.output
    return workbook


def correct_cr2_quantity(workbook, quantity: int = 2) -> None:
    """In Excel: CR2.0's quantity (the second Outcomes row) corrected."""
    book = openpyxl.load_workbook(workbook)
    assert book["Outcomes"].cell(3, 2).value.startswith("CR2.0 ")
    book["Outcomes"].cell(3, 3).value = quantity
    book.save(workbook)


def amend_ho3(settings) -> None:
    result = run(settings, "case", "amend", "BCP-0001", "--set", "outcomes[3].quantity=2", "--reason", AMENDED,
                 "--yes")
    assert result.exit_code == 0, result.output


def stored(folder) -> models.CaseRecord:
    record, problems = cases.load_file(str(folder / "cases" / "BCP" / "BCP-0001.toml"))
    assert problems == [], problems
    return record


def quantities(record: models.CaseRecord) -> dict[str, int]:
    return {line.code: int(line.quantity) for line in record.outcomes}


def test_an_export_older_than_an_amendment_is_refused_and_nothing_is_written(project):
    folder, settings = project
    workbook = export(folder, settings)
    amend_ho3(settings)  # someone corrects the case after the export was made
    correct_cr2_quantity(workbook)
    before = snapshot(folder / "cases")
    for extra in ((), ("--dry-run",)):
        result = run(settings, "intake", "import", workbook, "--replace", "--reason", "police check", *extra)
        assert_refused(result, f"{workbook}: BCP-0001: the stored case BCP-0001", "[changed-since-export]",
                       AMENDED, "--overwrite-later-changes", "intake export")
        assert re.search(r"amended on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", result.output), result.output
        assert "outcomes[3].quantity: 2 -> 1" in result.output  # (the undoing it would do, listed)
        assert_unchanged(before, folder / "cases")


def test_the_flag_replaces_it_all_the_same(project):
    folder, settings = project
    workbook = export(folder, settings)
    amend_ho3(settings)
    correct_cr2_quantity(workbook)
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "police check",
                 "--overwrite-later-changes")
    assert result.exit_code == 0, result.output
    assert "1 stored case replaced" in result.output
    record = stored(folder)
    assert quantities(record) == {"BCP-SS1": 1, "CR2.0": 2, "HO3.0": 1}  # the workbook's version, whole
    assert [change.kind for change in record.changes][-2:] == [models.ChangeKind.AMENDED, models.ChangeKind.IMPORTED]


def test_a_fresh_export_is_imported(project):
    folder, settings = project
    export(folder, settings, "old.xlsx")
    amend_ho3(settings)
    workbook = export(folder, settings, "fresh.xlsx")
    correct_cr2_quantity(workbook)
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "police check")
    assert result.exit_code == 0, result.output
    assert quantities(stored(folder)) == {"BCP-SS1": 1, "CR2.0": 2, "HO3.0": 2}


def test_a_workbook_without_an_export_sheet_is_not_concerned(project):
    """A filled template has no Export sheet: it says nothing of when its rows were stored."""
    folder, settings = project
    workbook = export(folder, settings)
    amend_ho3(settings)
    book = openpyxl.load_workbook(workbook)
    del book["Export"]
    book.save(workbook)
    correct_cr2_quantity(workbook)
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "police check")
    assert result.exit_code == 0, result.output
    assert "changed-since-export" not in result.output


def test_an_unchanged_case_in_an_old_export_is_left_alone(project):
    """Nothing to replace, nothing undone: a case the workbook holds as stored is not written."""
    folder, settings = project
    workbook = export(folder, settings)
    amend_ho3(settings)
    book = openpyxl.load_workbook(workbook)
    book["Outcomes"].cell(4, 3).value = 2  # the workbook brought up to the amendment by hand
    book.save(workbook)
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "police check")
    assert result.exit_code == 0, result.output
    assert "Already stored as the workbook has them, unchanged (1): BCP-0001" in result.output


def test_rows_reordered_in_the_workbook_read_as_a_line_moved(project):
    folder, settings = project
    workbook = export(folder, settings)
    book = openpyxl.load_workbook(workbook)
    sheet = book["Outcomes"]
    first, second = ([cell.value for cell in sheet[row]] for row in (2, 3))
    for column, (one, two) in enumerate(zip(first, second), start=1):  # BCP-SS1 and CR2.0 swapped
        sheet.cell(2, column).value, sheet.cell(3, column).value = two, one
    book.save(workbook)
    result = run(settings, "intake", "import", workbook, "--dry-run")
    assert result.exit_code == 0 and "Dry run: nothing was written." in result.output, result.output
    listed = [line.strip() for line in result.output.splitlines() if line.startswith("    outcomes")]
    assert listed == ["outcomes reordered: now 2, 1, 3 as numbered before"], result.output
