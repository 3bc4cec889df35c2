"""The Excel round trip that never double counts (issue #10, deliverable 4): `intake export`
writes stored cases into an intake workbook, the programme manager corrects them in Excel, and
`intake import` compares each case with the stored one and replaces it (with --replace and a
reason, recorded in its history): a changed line is a change, never a second line, and importing
the same workbook again changes nothing. References are invented (BCP-0101, BCP-9xxx)."""

from __future__ import annotations

import datetime
import json
import os
from decimal import Decimal

import openpyxl
import pytest

from hostile import assert_no_injected_formula, assert_refused, assert_unchanged, invoke, sample_project, snapshot
from up2u_cba import models, pipeline
from up2u_cba.entry import case_files, case_history, intake
from up2u_cba.inputs import cases
from up2u_cba.method import calculate

D = datetime.date.fromisoformat
REASON = "police check confirmed two incidents"


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def run(settings, *args, input=None):
    return invoke(*args, "--settings", settings, input=input)


def answers(*typed: str) -> str:
    return "".join(f"{answer}\n" for answer in typed)


def case_file(folder, reference: str):
    service = "Dorset" if reference.startswith("DOR") else "BCP"
    return folder / "cases" / service / f"{reference}.toml"


def stored(folder, reference: str) -> models.CaseRecord:
    record, problems = cases.load_file(str(case_file(folder, reference)))
    assert problems == [], problems
    return record


def rows(path, sheet: str, reference: str) -> list[int]:
    """The rows of ``sheet`` that belong to ``reference``."""
    book = openpyxl.load_workbook(path)
    return [row for row in range(2, book[sheet].max_row + 1) if book[sheet].cell(row, 1).value == reference]


def edit(path, change) -> None:
    """Open the workbook at ``path``, let ``change(book)`` correct it, save it: as Excel would."""
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


def bcp_total(settings, year: str) -> int:
    result = run(settings, "report", "--format", "json", "--year", year, "--service", "BCP")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["services"][0]["total_saving"]


def store(folder, record: models.CaseRecord) -> None:
    """Write ``record`` as a stored case file (a fixture), as `case new` would lay it out."""
    path = case_file(folder, record.reference)
    path.write_text(case_files.render(record), encoding="utf-8")
    assert stored(folder, record.reference) == record.model_copy(update={"file": str(path)})


# --- the "Done when" -----------------------------------------------------------------


def test_a_quantity_changed_and_a_line_removed_in_excel_replace_the_case_and_count_once(project):
    folder, settings = project
    entered = run(settings, "case", "new", input=answers("BCP", "3", "BCP-0101", "01/06/2022", "", "y"))
    assert entered.exit_code == 0, entered.output
    completed = run(settings, "case", "update", "BCP-0101", input=answers(
        "2", "01/07/2022", "3", "15/01/2023",
        "CR2.0", "3", "1", "", "Police incident check",
        "add", "HE1.0", "1", "1", "", "Treatment service letter",
        "add", "HO3.0", "1", "1", "", "Housing options letter",
        "done", "y"))
    assert completed.exit_code == 0, completed.output
    before_total = bcp_total(settings, "2022/23")

    workbook = folder / "bcp-0101.xlsx"
    exported = run(settings, "intake", "export", workbook, "--reference", "BCP-0101")
    assert exported.exit_code == 0, exported.output
    cr2, he1, ho3 = rows(workbook, "Outcomes", "BCP-0101")

    def correct(book):
        assert book["Outcomes"].cell(cr2, 3).value == 3
        book["Outcomes"].cell(cr2, 3).value = 2  # two incidents, not three
        book["Outcomes"].delete_rows(ho3)  # the housing outcome was never confirmed

    edit(workbook, correct)

    unasked = snapshot(folder / "cases")
    refused = run(settings, "intake", "import", workbook)
    assert_refused(refused, "[changes-stored-case]", "BCP-0101", "--replace")
    assert "outcomes[1].quantity: 3 -> 2" in refused.output
    assert_unchanged(unasked, folder / "cases")

    replaced = run(settings, "intake", "import", workbook, "--replace", "--reason", REASON)
    assert replaced.exit_code == 0, replaced.output
    assert f"BCP-0101 ({case_file(folder, 'BCP-0101')}): saving £13,692 -> £7,919 (-£5,773)" in replaced.output
    assert "    outcomes[1].quantity: 3 -> 2\n" in replaced.output
    assert "    outcomes[3] removed (HO3.0 x 1 for 1 year)\n" in replaced.output
    assert "0 new cases written and 1 stored case replaced" in replaced.output

    shown = run(settings, "case", "show", "BCP-0101")
    assert shown.exit_code == 0, shown.output
    assert "£7,919" in shown.output and "HO3.0" not in shown.output and "£13,692" not in shown.output
    record = stored(folder, "BCP-0101")
    assert [(line.code, line.quantity) for line in record.outcomes] == [("CR2.0", 2), ("HE1.0", 1)]
    assert [change.kind.value for change in record.changes] == ["created", "updated", "imported"]
    imported = record.changes[-1]
    assert imported.what == ("outcomes[1].quantity: 3 -> 2", "outcomes[3] removed (HO3.0 x 1 for 1 year)")
    assert imported.reason == REASON
    assert bcp_total(settings, "2022/23") - before_total == 7919 - 13692  # moved by exactly the difference

    after = snapshot(folder / "cases")
    again = run(settings, "intake", "import", workbook, "--replace", "--reason", REASON)
    assert again.exit_code == 0, again.output
    assert "unchanged (1): BCP-0101" in again.output and "Nothing was written" in again.output
    assert_unchanged(after, folder / "cases")  # byte for byte: no second history entry either
    assert len(stored(folder, "BCP-0101").changes) == 3
    assert run(settings, "validate").exit_code == 0


# --- exports -----------------------------------------------------------------------------------


def test_the_sample_exported_and_imported_again_writes_nothing(project):
    folder, settings = project
    workbook = folder / "all.xlsx"
    exported = run(settings, "intake", "export", workbook)
    assert exported.exit_code == 0, exported.output
    inputs, _ = pipeline.load(str(settings))
    events = sum(len(record.history) for record in inputs.cases)
    lines = sum(len(record.outcomes) for record in inputs.cases)
    assert f"{len(inputs.cases)} cases, {events} status rows and {lines} outcome rows" in exported.output
    before = snapshot(folder / "cases")
    for flags in ((), ("--replace", "--reason", "no change")):
        result = run(settings, "intake", "import", workbook, *flags)
        assert result.exit_code == 0, result.output
        assert f"unchanged ({len(inputs.cases)})" in result.output and "Nothing was written" in result.output
    assert_unchanged(before, folder / "cases")


def test_an_export_is_the_template_filled_with_real_dates_and_numbers_and_says_what_it_is(project):
    folder, settings = project
    template, workbook = folder / "template.xlsx", folder / "export.xlsx"
    assert run(settings, "intake", "template", template).exit_code == 0
    result = run(settings, "intake", "export", workbook, "--reference", "BCP-0001")
    assert result.exit_code == 0, result.output
    empty, book = openpyxl.load_workbook(template), openpyxl.load_workbook(workbook)
    assert book.sheetnames == ["Export", *empty.sheetnames]
    for sheet in empty.sheetnames:
        assert [cell.value for cell in book[sheet][1]] == [cell.value for cell in empty[sheet][1]]
        assert sorted(str(check.sqref) for check in book[sheet].data_validations.dataValidation) == \
            sorted(str(check.sqref) for check in empty[sheet].data_validations.dataValidation)
    assert [[cell.value for cell in row] for row in book["Lists"].iter_rows()] == \
        [[cell.value for cell in row] for row in empty["Lists"].iter_rows()]  # the same cost list
    note = " ".join(str(cell.value) for cell in book["Export"]["A"] if cell.value)
    assert "Export of stored cases" in note and "REPLACES" in note and "--replace --reason" in note
    assert f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}" in note
    record = stored(folder, "BCP-0001")
    case_rows = [[cell.value for cell in row] for row in book["Cases"].iter_rows(min_row=2) if row[0].value]
    assert [(row[3], row[4].date()) for row in case_rows] == [(e.status.value, e.date) for e in record.history]
    assert case_rows[0][1:3] == ["BCP", record.locality] and case_rows[1][1:3] == [None, None]
    assert book["Cases"]["E2"].is_date and book["Cases"]["E2"].number_format == "yyyy-mm-dd"
    quantities = [row[2] for row in book["Outcomes"].iter_rows(min_row=2, values_only=True) if row[0]]
    assert quantities == [int(line.quantity) for line in record.outcomes]  # numbers, not text


@pytest.mark.parametrize("filters, wanted", [
    (("--service", "Dorset"), lambda record: record.service == "Dorset"),
    (("--service", "dorset", "--status", "completed"),
     lambda record: record.service == "Dorset" and record.completed_on is not None),
    (("--year", "2022/23", "--service", "BCP"),
     lambda record: record.service == "BCP" and calculate.participant_row(record, models.FinancialYear(start=2022))),
    (("--reference", "BCP-0001", "--reference", "bcp-0046"), lambda record: record.reference in ("BCP-0001", "BCP-0046")),
    (("--reference", "BCP-0001", "--reference", "BCP-0046", "--status", "completed"),
     lambda record: record.reference == "BCP-0001"),
])
def test_export_filters_combine(project, filters, wanted):
    folder, settings = project
    inputs, _ = pipeline.load(str(settings))
    expected = {record.reference for record in inputs.cases if wanted(record)}
    assert 0 < len(expected) < len(inputs.cases)
    workbook = folder / "some.xlsx"
    result = run(settings, "intake", "export", workbook, *filters)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(workbook)
    assert {row[0] for row in book["Cases"].iter_rows(min_row=2, values_only=True) if row[0]} == expected


@pytest.mark.parametrize("filters, code, where", [
    (("--service", "BCP", "--year", "2030/31", "--status", "closed"), "nothing-to-export", "selection"),
    (("--year", "22/23"), "bad-year", "--year"),
    (("--service", "Kent"), "unknown-service", "--service"),
    (("--reference", "BCP-9999"), "unknown-case", "--reference"),
])
def test_an_export_that_selects_nothing_says_why_and_writes_no_file(project, filters, code, where):
    folder, settings = project
    workbook = folder / "none.xlsx"
    result = run(settings, "intake", "export", workbook, *filters)
    assert_refused(result, f"[{code}]", where)
    assert not workbook.exists()


def test_an_export_is_not_written_over_a_file_without_overwrite(project):
    folder, settings = project
    workbook = folder / "export.xlsx"
    workbook.write_bytes(b"someone's notes")
    result = run(settings, "intake", "export", workbook, "--reference", "BCP-0001")
    assert_refused(result, "[output-exists]")
    assert workbook.read_bytes() == b"someone's notes"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0001", "--overwrite").exit_code == 0


EVERY_FIELD = models.CaseRecord(
    reference="BCP-9201", service="BCP", locality="Christchurch",
    history=(models.StatusEvent(status=models.Status.REFERRED, date=D("2022-04-04")),
             models.StatusEvent(status=models.Status.CLOSED, date=D("2022-05-02"), reason=models.ClosureReason.ON_HOLD),
             models.StatusEvent(status=models.Status.PROGRAMME, date=D("2022-06-01")),
             models.StatusEvent(status=models.Status.COMPLETED, date=D("2023-02-01"))),
    outcomes=(
        models.OutcomeEntry(code="HE1.0", quantity=Decimal("0.5"), years=Decimal("2.5"),
                            description="Abstinent from alcohol, half the period", evidence="Treatment service letter",
                            confidence="A", deadweight=Decimal("0.2"), attribution=Decimal("0.75"),
                            adjustment_reason="Also supported by a community recovery group"),
        models.OutcomeEntry(code="CR2.0", quantity=Decimal(2), years=Decimal(1), years_stated=False,
                            evidence="Police incident check", acknowledged="Two incidents confirmed by police"),
        models.OutcomeEntry(code="HO3.0", quantity=Decimal("1.3333"), evidence="Housing options letter",
                            confidence="R"),
    ),
    changes=(models.CaseChange(made=datetime.datetime(2023, 2, 2, 9, 0, tzinfo=datetime.timezone.utc),
                               kind=models.ChangeKind.CREATED, tool="up2u-cba 0.1.0"),),
)


def test_every_field_goes_round_the_trip_and_back_unchanged(project):
    folder, settings = project
    store(folder, EVERY_FIELD)
    workbook = folder / "every.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-9201").exit_code == 0
    book = openpyxl.load_workbook(workbook)
    header = [cell.value for cell in book["Outcomes"][1]]
    first = dict(zip(header, next(book["Outcomes"].iter_rows(min_row=2, values_only=True))))
    assert (first["Quantity"], first["Years"], first["Confidence"], first["Deadweight"], first["Attribution"],
            first["Adjustment reason"]) == (0.5, 2.5, "A", 0.2, 0.75, "Also supported by a community recovery group")
    assert [row[5] for row in book["Cases"].iter_rows(min_row=2, max_row=3, values_only=True)] == [None, "on hold"]
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook)
    assert result.exit_code == 0, result.output
    assert "unchanged (1): BCP-9201" in result.output  # every field read back as stored
    assert_unchanged(before, folder / "cases")


def test_every_field_corrected_in_excel_is_stored(project):
    folder, settings = project
    store(folder, EVERY_FIELD)
    workbook = folder / "every.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-9201").exit_code == 0
    columns = {title: number for number, title in enumerate(OUTCOME_TITLES, start=1)}

    def correct(book):
        outcomes = book["Outcomes"]
        for title, value in (("Years", None), ("Description", "Abstinent from alcohol"), ("Evidence", "GP letter"),
                             ("Confidence", "G"), ("Deadweight", "10%"), ("Attribution", None),
                             ("Adjustment reason", "Community group helped a little")):
            outcomes.cell(2, columns[title]).value = value
        outcomes.cell(3, columns["Years"]).value = 3
        book["Cases"].cell(2, 3).value = "Poole"
        book["Cases"].cell(3, 5).value = datetime.datetime(2022, 5, 9)

    edit(workbook, correct)
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "corrected from the file")
    assert result.exit_code == 0, result.output
    record = stored(folder, "BCP-9201")
    first, second = record.outcomes[:2]
    assert (record.locality, record.history[1].date) == ("Poole", D("2022-05-09"))
    assert (first.years_stated, first.description, first.evidence, first.confidence, first.deadweight,
            first.attribution, first.adjustment_reason) == (False, "Abstinent from alcohol", "GP letter", "G",
                                                            Decimal("0.1"), None, "Community group helped a little")
    assert (second.years, second.years_stated) == (Decimal(3), True)
    what = record.changes[-1].what
    assert "locality: 'Christchurch' -> 'Poole'" in what and "status[2].date: 2022-05-02 -> 2022-05-09" in what
    assert "outcomes[1].deadweight: 0.2 -> 0.1" in what and "outcomes[2].years: the settings' years -> 3" in what


OUTCOME_TITLES = intake.OUTCOME_COLUMNS


def test_a_description_that_looks_like_a_formula_stays_text_there_and_back(project):
    folder, settings = project
    hostile = EVERY_FIELD.model_copy(update={"outcomes": (EVERY_FIELD.outcomes[1].model_copy(
        update={"description": '=HYPERLINK("http://evil.example/x","click")'}),)})
    store(folder, hostile)
    workbook = folder / "hostile.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-9201").exit_code == 0
    assert_no_injected_formula(workbook)
    cell = openpyxl.load_workbook(workbook)["Outcomes"]["E2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil.example/x","click")'
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook)
    assert result.exit_code == 0 and "unchanged (1): BCP-9201" in result.output, result.output
    assert_unchanged(before, folder / "cases")


def test_a_withdrawn_case_is_not_exported_and_its_reference_in_a_workbook_is_refused(project):
    folder, settings = project
    workbook = folder / "bcp-0046.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0046").exit_code == 0
    old = stored(folder, "BCP-0046")
    withdrawn = case_history.with_change(old.model_copy(update={"withdrawn": True}), case_history.new_change(
        models.ChangeKind.WITHDRAWN, pipeline.load(str(settings))[0].settings, reason="entered twice"))
    case_file(folder, "BCP-0046").write_text(case_files.render(withdrawn), encoding="utf-8")
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "corrected")
    assert_refused(result, "[withdrawn-case]", "Cases row 2: reference", "restore")
    assert_unchanged(before, folder / "cases")
    again = run(settings, "intake", "export", folder / "again.xlsx", "--reference", "BCP-0046")
    assert_refused(again, "[withdrawn-case]", "--reference")
    assert not (folder / "again.xlsx").exists()


# --- what an import may replace -------------------------------------------------------------------


def test_dry_run_shows_each_difference_and_the_change_in_saving_and_writes_nothing(project):
    folder, settings = project
    workbook = folder / "bcp-0001.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0001").exit_code == 0
    edit(workbook, lambda book: book["Outcomes"].delete_rows(rows(workbook, "Outcomes", "BCP-0001")[0]))
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook, "--dry-run", "--replace", "--reason", "not confirmed")
    assert result.exit_code == 0, result.output
    assert f"BCP-0001 ({case_file(folder, 'BCP-0001')}): saving £79,474 -> £11,597 (-£67,877)" in result.output
    assert "    outcomes[1] removed (BCP-SS1 x 1)" in result.output and "Dry run: nothing was written." in result.output
    assert_unchanged(before, folder / "cases")


def test_new_cases_and_replaced_ones_are_written_together_each_with_its_history_entry(project):
    folder, settings = project
    workbook = folder / "bcp-0046.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0046").exit_code == 0

    def add(book):
        cases_sheet, outcomes = book["Cases"], book["Outcomes"]
        last = max(rows(workbook, "Cases", "BCP-0046"))
        for offset, row in enumerate([("BCP-0046", None, None, "programme", datetime.datetime(2022, 11, 20), None),
                                      ("BCP-0046", None, None, "completed", datetime.datetime(2023, 3, 10), None),
                                      ("BCP-9301", "BCP", "Poole", "referred", datetime.datetime(2023, 1, 9), None)]):
            for column, value in enumerate(row, start=1):
                cases_sheet.cell(last + 1 + offset, column).value = value
        for column, value in enumerate(("BCP-0046", "HE1.0", 1, 1, None, "GP letter on file"), start=1):
            outcomes.cell(2, column).value = value

    edit(workbook, add)
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "completed in March")
    assert result.exit_code == 0, result.output
    assert "    status[3] added (programme on 2022-11-20)" in result.output
    assert "    outcomes[1] added (HE1.0 x 1 for 1 year)" in result.output
    assert "1 new case written and 1 stored case replaced" in result.output
    record = stored(folder, "BCP-0046")
    assert record.completed_on == D("2023-03-10") and len(record.outcomes) == 1
    assert (record.changes[-1].kind.value, record.changes[-1].reason) == ("imported", "completed in March")
    assert [change.kind.value for change in stored(folder, "BCP-9301").changes] == ["imported"]


@pytest.mark.parametrize("flags, code, where", [
    (("--update",), "option-withdrawn", "--update"),
    (("--replace",), "missing-reason", "--reason"),
    (("--replace", "--reason", " "), "missing-reason", "--reason"),
    (("--replace", "--reason", "call 07700 900123"), "personal-data", "--reason"),
])
def test_replacing_needs_the_new_flag_and_a_reason_and_the_old_flag_is_refused(project, flags, code, where):
    folder, settings = project
    workbook = folder / "bcp-0001.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0001").exit_code == 0
    edit(workbook, lambda book: book["Outcomes"].delete_rows(2))
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook, *flags)
    assert_refused(result, f"[{code}]", where)
    if code == "option-withdrawn":
        assert "--replace" in result.output
    assert_unchanged(before, folder / "cases")


def test_a_stored_case_given_in_part_as_the_old_update_took_it_is_refused(project):
    folder, settings = project
    template, workbook = folder / "template.xlsx", folder / "moved.xlsx"
    assert run(settings, "intake", "template", template).exit_code == 0

    def only_new_rows(book):  # BCP-0046 is stored, referred and assessed: only its new events given
        for number, row in enumerate([("BCP-0046", None, None, "programme", datetime.datetime(2022, 11, 20), None),
                                      ("BCP-0046", None, None, "completed", datetime.datetime(2023, 3, 10), None)],
                                     start=2):
            for column, value in enumerate(row, start=1):
                book["Cases"].cell(number, column).value = value

    book = openpyxl.load_workbook(template)
    only_new_rows(book)
    book.save(workbook)
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "moved on")
    assert_refused(result, "[partial-case]", "Cases row 2: reference", "intake export")
    assert_unchanged(before, folder / "cases")


def test_a_stored_case_keeps_its_service(project):
    folder, settings = project
    workbook = folder / "bcp-0046.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0046").exit_code == 0
    edit(workbook, lambda book: setattr(book["Cases"].cell(2, 2), "value", "Dorset"))
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "moved")
    assert_refused(result, "[inconsistent-case]", "Cases row 2: service")
    assert_unchanged(before, folder / "cases")


def test_a_stored_file_changed_between_plan_and_apply_is_not_replaced(project):
    folder, settings = project
    workbook = folder / "bcp-0001.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0001").exit_code == 0
    edit(workbook, lambda book: book["Outcomes"].delete_rows(2))
    inputs, problems = pipeline.load(str(settings))
    plan = intake.plan_import(str(workbook), inputs.settings, inputs.costs, inputs.series, inputs.cases, problems,
                              replace=True)
    assert [change.kind for change in plan.changes] == ["replace"]
    path = case_file(folder, "BCP-0001")
    meanwhile = path.read_text(encoding="utf-8") + "# checked by the analyst\n"
    path.write_text(meanwhile, encoding="utf-8")
    written, problems = intake.apply(plan, inputs.settings, inputs.costs, inputs.series, "not confirmed")
    assert written == [] and [problem.code for problem in problems] == ["case-changed"]
    assert path.read_text(encoding="utf-8") == meanwhile


def test_a_case_with_comments_of_its_own_below_its_top_is_refused_not_laid_out_again(project):
    folder, settings = project
    workbook = folder / "bcp-0001.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0001").exit_code == 0
    edit(workbook, lambda book: book["Outcomes"].delete_rows(2))
    path = case_file(folder, "BCP-0001")
    path.write_text(path.read_text(encoding="utf-8").replace("[[outcomes]]", "# from the step-down panel\n[[outcomes]]",
                                                             1), encoding="utf-8")
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "not confirmed")
    assert_refused(result, "[would-lose-comments]", str(os.path.join("cases", "BCP", "BCP-0001.toml")))
    assert_unchanged(before, folder / "cases")


@pytest.mark.parametrize("saved_as", ["CRLF", "BOM and CRLF"])
def test_a_case_saved_by_notepad_is_replaced_not_taken_for_changed_by_someone_else(project, saved_as):
    folder, settings = project
    path = case_file(folder, "BCP-0046")
    text = path.read_text(encoding="utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if "BOM" in saved_as else b"") + text.replace("\n", "\r\n").encode("utf-8"))
    workbook = folder / "bcp-0046.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0046").exit_code == 0
    edit(workbook, lambda book: setattr(book["Cases"].cell(2, 3), "value", "Poole"))
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "locality mistyped")
    assert result.exit_code == 0, result.output
    assert stored(folder, "BCP-0046").locality == "Poole"
    assert "# Synthetic sample case" in path.read_text(encoding="utf-8-sig")  # its leading comment kept


def test_the_workbook_that_entered_a_case_corrected_and_imported_again_changes_the_line_not_adds_one(project):
    """The issue's report: a quantity changed from 3 to 2 in the workbook that entered the case
    kept the old line and added the new one under --update (counted twice, and validate said OK)."""
    folder, settings = project
    template, workbook = folder / "template.xlsx", folder / "intake.xlsx"
    assert run(settings, "intake", "template", template).exit_code == 0
    book = openpyxl.load_workbook(template)
    for number, row in enumerate([("BCP-9401", "BCP", "Poole", "referred", datetime.datetime(2022, 5, 3), None),
                                  ("BCP-9401", None, None, "completed", datetime.datetime(2023, 2, 1), None)], start=2):
        for column, value in enumerate(row, start=1):
            book["Cases"].cell(number, column).value = value
    for column, value in enumerate(("BCP-9401", "CR2.0", 3, 1, None, "Police incident check"), start=1):
        book["Outcomes"].cell(2, column).value = value
    book.save(workbook)
    assert run(settings, "intake", "import", workbook).exit_code == 0
    edit(workbook, lambda book: setattr(book["Outcomes"].cell(2, 3), "value", 2))
    result = run(settings, "intake", "import", workbook, "--replace", "--reason", "two incidents, not three")
    assert result.exit_code == 0, result.output
    assert "    outcomes[1].quantity: 3 -> 2\n" in result.output
    assert [(line.code, line.quantity) for line in stored(folder, "BCP-9401").outcomes] == [("CR2.0", 2)]
    assert run(settings, "validate").exit_code == 0


def test_an_export_of_a_case_whose_file_has_problems_says_what_they_are(project):
    folder, settings = project
    path = case_file(folder, "BCP-0001")
    path.write_text(path.read_text(encoding="utf-8").replace("quantity = 3", "quantity = -3"), encoding="utf-8")
    result = run(settings, "intake", "export", folder / "broken.xlsx", "--reference", "BCP-0001")
    assert_refused(result, "BCP-0001.toml", "quantity")
    assert "[unknown-case]" not in result.output and not (folder / "broken.xlsx").exists()


def test_dry_run_alone_previews_the_changes_and_says_how_to_store_them(project):
    """`intake export` tells the user to run `intake import FILE --dry-run` to see what changed;
    that run listed the changes and then failed (changes-stored-case, exit 1)."""
    folder, settings = project
    workbook = folder / "bcp-0001.xlsx"
    assert run(settings, "intake", "export", workbook, "--reference", "BCP-0001").exit_code == 0
    edit(workbook, lambda book: book["Outcomes"].delete_rows(rows(workbook, "Outcomes", "BCP-0001")[0]))
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", workbook, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "saving £79,474 -> £11,597 (-£67,877)" in result.output and "[changes-stored-case]" not in result.output
    assert 'Dry run: nothing was written. To store the changes listed, import with --replace' in result.output
    assert_unchanged(before, folder / "cases")
