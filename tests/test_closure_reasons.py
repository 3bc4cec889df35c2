"""Closure reasons as services record them (issue #10, deliverable 8): moved away, in custody, and
other with a short note, known to guided entry, intake, case files and the report's participant
table; and a closed case cannot complete without being re-opened."""

from __future__ import annotations

import json

import openpyxl
import pytest

from hostile import assert_refused, invoke, sample_project
from up2u_cba.inputs import cases

CLOSED_ON = "2022-12-01"


def answered(*answers: str) -> str:
    return "".join(f"{answer}\n" for answer in answers)


def stored(folder, reference):
    record, problems = cases.load_file(str(folder / "cases" / reference.split("-")[0] / f"{reference}.toml"))
    assert problems == [], problems
    return record


def close_in_file(folder, reference, reason_lines):
    """Append a closure on CLOSED_ON to a stored case file, with ``reason_lines`` under it."""
    path = folder / "cases" / "BCP" / f"{reference}.toml"
    with path.open("a") as handle:
        handle.write(f'\n[[status]]\nstatus = "closed"\ndate = {CLOSED_ON}\n{reason_lines}\n')
    return path


# --- guided entry ------------------------------------------------------------------------------


def test_guided_entry_closes_a_case_for_another_reason_with_a_note(tmp_path):
    settings = sample_project(tmp_path)
    result = invoke("case", "update", "BCP-0046", "--settings", settings, input=answered(
        "closed", CLOSED_ON, "other",
        "",                          # a note is required for 'other': asked again
        "went to live with Sarah",   # a name: refused, never repeated
        "joined another programme",
        "", "y"))
    assert result.exit_code == 0, result.output
    refusals = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(refusals) == 1 and "name" in refusals[0], refusals
    assert "Sarah" not in result.output.split("went to live with Sarah", 1)[1]
    closure = stored(tmp_path, "BCP-0046").history[-1]
    assert (closure.reason.value, closure.note) == ("other", "joined another programme")
    assert invoke("validate", "--settings", settings).exit_code == 0
    shown = invoke("case", "show", "BCP-0046", "--settings", settings)
    assert "closed (other: joined another programme)" in shown.output


@pytest.mark.parametrize("typed, reason", [("moved away", "moved_away"), ("in custody", "in_custody")])
def test_guided_entry_offers_moved_away_and_in_custody(tmp_path, typed, reason):
    settings = sample_project(tmp_path)
    result = invoke("case", "update", "BCP-0046", "--settings", settings,
                    input=answered("closed", CLOSED_ON, typed, "", "y"))
    assert result.exit_code == 0, result.output
    assert "Error:" not in result.output
    closure = stored(tmp_path, "BCP-0046").history[-1]
    assert (closure.reason.value, closure.note) == (reason, "")


def test_guided_entry_offers_a_closed_case_only_a_re_opening(tmp_path):
    settings = sample_project(tmp_path)  # BCP-0003: closed (disengaged) on 2022-08-21
    result = invoke("case", "update", "BCP-0003", "--settings", settings, input=answered(
        "completed",       # refused: not re-opened yet
        "closed",          # refused: closed already
        "programme", "2022-09-01", "", "y"))
    assert result.exit_code == 0, result.output
    refusals = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(refusals) == 2, refusals
    assert "re-open it first" in refusals[0] and "already closed" in refusals[1]
    assert [event.status.value for event in stored(tmp_path, "BCP-0003").history][-2:] == ["closed", "programme"]


# --- case files --------------------------------------------------------------------------------


@pytest.mark.parametrize("reason_lines, code, field", [
    ('reason = "other"', "missing-field", "status[3].note"),
    ('reason = "other"\nnote = "moved in with Sarah"', "personal-data", "status[3].note"),
    ('reason = "moved_away"\nnote = "' + "x" * 300 + '"', "text-too-long", "status[3].note"),
    ('reason = "gone"', "bad-reason", "status[3].reason"),
], ids=["other-without-note", "note-with-a-name", "note-too-long", "unknown-reason"])
def test_validate_refuses_a_closure_note_that_is_missing_or_personal(tmp_path, reason_lines, code, field):
    settings = sample_project(tmp_path)
    close_in_file(tmp_path, "BCP-0046", reason_lines)
    result = invoke("validate", "--settings", settings)
    assert_refused(result, f"BCP-0046.toml: {field}", f"[{code}]")
    assert "Sarah" not in result.output


def test_validate_refuses_a_note_on_a_status_that_is_not_a_closure(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0046.toml"
    path.write_text(path.read_text() + 'note = "first meeting"\n')
    assert_refused(invoke("validate", "--settings", settings), "BCP-0046.toml: status[2].note", "[bad-field]")


@pytest.mark.parametrize("reason", ["moved_away", "in_custody", "other"])
def test_the_new_reasons_are_valid_in_a_case_file(tmp_path, reason):
    settings = sample_project(tmp_path)
    close_in_file(tmp_path, "BCP-0046", f'reason = "{reason}"\nnote = "left the area"')
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0, result.output


def test_a_case_closed_then_completed_without_re_opening_is_refused(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0003.toml"  # closed (disengaged) on 2022-08-21
    path.write_text(path.read_text() + '\n[[status]]\nstatus = "completed"\ndate = 2022-09-30\n')
    assert_refused(invoke("validate", "--settings", settings),
                   "BCP-0003.toml: status[5].status", "[completed-after-closure]")
    # re-opened first, it completes
    path.write_text(path.read_text().replace('status = "completed"\ndate = 2022-09-30',
                                             'status = "programme"\ndate = 2022-09-01\n\n'
                                             '[[status]]\nstatus = "completed"\ndate = 2022-09-30'))
    assert invoke("validate", "--settings", settings).exit_code == 0


# --- intake ------------------------------------------------------------------------------------


def intake(tmp_path, settings, rows):
    template = tmp_path / "template.xlsx"
    assert invoke("intake", "template", template, "--settings", settings).exit_code == 0
    book = openpyxl.load_workbook(template)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            book["Cases"].cell(row=number, column=column, value=value)
    book.save(tmp_path / "intake.xlsx")
    return invoke("intake", "import", tmp_path / "intake.xlsx", "--settings", settings), book


def test_intake_takes_the_new_reasons_and_a_closure_note(tmp_path):
    settings = sample_project(tmp_path)
    result, book = intake(tmp_path, settings, [
        ("BCP-9101", "BCP", "Poole", "referred", "01/06/2022"),
        ("BCP-9101", None, None, "closed", "01/07/2022", "moved away"),
        ("BCP-9102", "BCP", "Poole", "referred", "01/06/2022"),
        ("BCP-9102", None, None, "closed", "01/07/2022", "in custody"),
        ("BCP-9103", "BCP", "Poole", "referred", "01/06/2022"),
        ("BCP-9103", None, None, "closed", "01/07/2022", "other", "joined another programme"),
    ])
    assert result.exit_code == 0, result.output
    reasons = [(stored(tmp_path, reference).history[-1].reason.value, stored(tmp_path, reference).history[-1].note)
               for reference in ("BCP-9101", "BCP-9102", "BCP-9103")]
    assert reasons == [("moved_away", ""), ("in_custody", ""), ("other", "joined another programme")]
    listed = [cell.value for (cell,) in book["Lists"]["D2:D20"] if cell.value]
    assert {"moved away", "in custody", "other"} <= set(listed)


def test_intake_refuses_an_other_closure_without_a_note_and_a_completion_straight_after_a_closure(tmp_path):
    settings = sample_project(tmp_path)
    result, _ = intake(tmp_path, settings, [
        ("BCP-9101", "BCP", "Poole", "referred", "01/06/2022"),
        ("BCP-9101", None, None, "closed", "01/07/2022", "other"),
        ("BCP-9102", "BCP", "Poole", "referred", "01/06/2022"),
        ("BCP-9102", None, None, "closed", "01/07/2022", "no contact"),
        ("BCP-9102", None, None, "completed", "01/08/2022"),
    ])
    assert_refused(result, "Cases row 3: closure note", "[missing-field]",
                   "Cases row 6: status", "[completed-after-closure]")


# --- the report --------------------------------------------------------------------------------


def participants(settings) -> dict[str, dict]:
    result = invoke("report", "--settings", settings, "--service", "BCP", "--format", "json")
    assert result.exit_code == 0, result.output
    (bcp,) = json.loads(result.stdout)["services"]
    return {row["category"]: row for row in bcp["participants"]["rows"]}


@pytest.mark.parametrize("reason", ["moved_away", "in_custody", "other"])
def test_a_case_closed_for_another_reason_counts_under_other_closure(tmp_path, reason):
    settings = sample_project(tmp_path)
    before = participants(settings)
    assert "Other closure" not in before  # the published table keeps its shape
    close_in_file(tmp_path, "BCP-0046", f'reason = "{reason}"\nnote = "left the area"')  # Poole, was in assessment
    after = participants(settings)
    assert after["Other closure"]["counts"] == {"Bournemouth": 0, "Christchurch": 0, "Poole": 1}
    assert after["In assessment stage"]["counts"]["Poole"] == before["In assessment stage"]["counts"]["Poole"] - 1
    text = invoke("report", "--settings", settings, "--service", "BCP").output
    assert "| Other closure" in text


def test_the_workbook_shows_the_other_closure_row(tmp_path):
    settings = sample_project(tmp_path)
    close_in_file(tmp_path, "BCP-0046", 'reason = "in_custody"')
    path = tmp_path / "report.xlsx"
    result = invoke("report", "--settings", settings, "--xlsx", path)
    assert result.exit_code == 0, result.output
    labels = [row[0] for row in openpyxl.load_workbook(path)["Participants"].iter_rows(values_only=True)]
    assert labels.count("Other closure") == 1  # BCP only: Dorset has none


# --- case amend --------------------------------------------------------------------------------


def test_amend_sets_a_closure_note_and_a_re_opened_status_loses_it(tmp_path):
    settings = sample_project(tmp_path)
    close_in_file(tmp_path, "BCP-0046", 'reason = "other"\nnote = "left the area"')
    result = invoke("case", "amend", "BCP-0046", "--settings", settings,
                    "--set", "status[3].note=joined another programme", "--reason", "note corrected", "--yes")
    assert result.exit_code == 0, result.output
    assert stored(tmp_path, "BCP-0046").history[-1].note == "joined another programme"
    result = invoke("case", "amend", "BCP-0046", "--settings", settings, "--set", "status[3].status=programme",
                    "--reason", "closed by mistake", "--yes")
    assert result.exit_code == 0, result.output
    reopened = stored(tmp_path, "BCP-0046").history[-1]
    assert (reopened.status.value, reopened.reason, reopened.note) == ("programme", None, "")


def test_an_exported_closure_note_comes_back_unchanged(tmp_path):
    settings = sample_project(tmp_path)
    close_in_file(tmp_path, "BCP-0046", 'reason = "other"\nnote = "joined another programme"')
    path = tmp_path / "export.xlsx"
    result = invoke("intake", "export", path, "--reference", "BCP-0046", "--settings", settings)
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(path)["Cases"].iter_rows(min_row=2, max_row=4, max_col=7, values_only=True))
    _, _, _, status, _, reason, note = rows[-1]
    assert (status, reason, note) == ("closed", "other", "joined another programme"), rows
    before = (tmp_path / "cases" / "BCP" / "BCP-0046.toml").read_text()
    result = invoke("intake", "import", path, "--settings", settings)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cases" / "BCP" / "BCP-0046.toml").read_text() == before
