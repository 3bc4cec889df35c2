"""The Excel intake (issue #4): the template a user fills in, and its all-or-nothing import.

Filled workbooks are built with openpyxl from the template the command writes, as a user would
fill it: service and locality on a case's first row only, dates in the date cells, unit costs
picked from the drop-down list ("CODE | description"). References are synthetic (BCP-9001...)."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from test_entry_support import sample_project, snapshot
from up2u_cba.inputs import cases
from up2u_cba.cli.main import main

D = datetime.date.fromisoformat

# Ten synthetic cases: (reference, service, locality, status, date, closure reason), one row per event.
TEN_CASES = [
    ("BCP-9001", "BCP", "Poole", "referred", D("2022-05-02"), None),
    ("BCP-9001", None, None, "assessment", D("2022-05-20"), None),
    ("BCP-9001", None, None, "programme", D("2022-06-10"), None),
    ("BCP-9001", None, None, "completed", D("2023-01-15"), None),
    ("BCP-9002", "BCP", "Bournemouth", "referred", D("2022-06-01"), None),
    ("BCP-9002", None, None, "closed", D("2022-07-01"), "no contact"),
    ("BCP-9003", "BCP", "Christchurch", "referred", D("2022-07-01"), None),
    ("BCP-9003", None, None, "assessment", D("2022-07-15"), None),
    ("BCP-9004", "BCP", "Poole", "referred", D("2022-08-01"), None),
    ("BCP-9004", None, None, "programme", D("2022-09-01"), None),
    ("BCP-9004", None, None, "completed", D("2023-03-01"), None),
    ("BCP-9005", "BCP", "Bournemouth", "referred", D("2022-09-01"), None),
    ("BCP-9005", None, None, "closed", D("2022-10-01"), "not suitable"),
    ("BCP-9006", "BCP", "Poole", "referred", D("2022-10-01"), None),
    ("BCP-9006", None, None, "programme", D("2022-11-01"), None),
    ("DOR-9001", "Dorset", "West Dorset", "referred", D("2022-05-01"), None),
    ("DOR-9001", None, None, "programme", D("2022-06-01"), None),
    ("DOR-9001", None, None, "completed", D("2023-02-01"), None),
    ("DOR-9002", "Dorset", "North Dorset", "referred", D("2022-06-01"), None),
    ("DOR-9002", None, None, "closed", D("2022-08-01"), "disengaged"),
    ("DOR-9002", None, None, "programme", D("2022-09-01"), None),  # re-opened: closed by mistake
    ("DOR-9003", "Dorset", "Weymouth and Portland", "referred", D("2023-01-10"), None),
    ("DOR-9004", "Dorset", "West Dorset", "referred", D("2022-11-01"), None),
    ("DOR-9004", None, None, "assessment", D("2022-11-20"), None),
    ("DOR-9004", None, None, "completed", D("2023-03-20"), None),
]
# (reference, unit cost, quantity, years, description, evidence)
TEN_OUTCOMES = [
    ("BCP-9001", "HE1.0 | Alcohol misuse - estimated annual cost to the NHS", 1, None,
     "Abstinent from alcohol for 1 year", "Confirmed by substance misuse service"),
    ("BCP-9001", "CR2.0", 2, 1, "Reduction in domestic abuse, incidents x2", "Police incident check"),
    ("BCP-9004", "BCP-SS1", 1, None, None, "Children's services step-down confirmed"),
    ("DOR-9001", "SS5.0", 2, None, "Child in need plans closed x2", "Children's services closure confirmed"),
    ("DOR-9004", "HO3.0", 1, 2, None, "Housing options confirm tenancy sustained"),
]
CASE_FIRST_ROW = 2  # row 1 is the header


@pytest.fixture
def project(tmp_path):
    settings = sample_project(tmp_path)
    template = tmp_path / "intake-template.xlsx"
    result = CliRunner().invoke(main, ["intake", "template", str(template), "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    return tmp_path, settings, template


def fill(template, path, case_rows, outcome_rows):
    """The template filled in with these rows, saved at ``path``."""
    book = openpyxl.load_workbook(template)
    for sheet, rows in ((book["Cases"], case_rows), (book["Outcomes"], outcome_rows)):
        for number, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                sheet.cell(row=number, column=column, value=value)
    book.save(path)
    return path


def run(settings, *args):
    return CliRunner().invoke(main, [*args, "--settings", str(settings)])


def located(output: str) -> list[tuple[str, str]]:
    """(code, where) of each problem printed, for problems in a workbook."""
    found = []
    for line in output.splitlines():
        match = re.match(r"  \S+\.xlsx: ((?:Cases|Outcomes)(?: row \d+(?:: [a-z ]+?)?)?): .*\[([a-z-]+)\]$", line)
        if match:
            found.append((match.group(2), match.group(1)))
    return found


def case_row(reference: str, status: str) -> int:
    """The Cases sheet row of a TEN_CASES event."""
    return CASE_FIRST_ROW + next(i for i, row in enumerate(TEN_CASES) if row[0] == reference and row[3] == status)


# --- the template ------------------------------------------------------------------------------


def test_the_template_has_sheets_drop_downs_date_cells_and_help(project):
    folder, settings, template = project
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["Help", "Cases", "Outcomes", "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    assert [cell.value for cell in book["Cases"][1]] == ["Reference", "Service", "Locality", "Status", "Date",
                                                         "Closure reason", "Closure note"]
    assert [cell.value for cell in book["Outcomes"][1]] == ["Reference", "Unit cost", "Quantity", "Years",
                                                            "Description", "Evidence", "Acknowledged", "Confidence",
                                                            "Deadweight", "Attribution", "Adjustment reason"]
    lists = book["Lists"]

    def listed(formula: str) -> list[str]:
        column, first, last = re.fullmatch(r"Lists!\$([A-Z])\$(\d+):\$[A-Z]\$(\d+)", formula).groups()
        return [lists[f"{column}{row}"].value for row in range(int(first), int(last) + 1)]

    drop_downs = {(sheet, str(validation.sqref)): validation
                  for sheet in ("Cases", "Outcomes") for validation in book[sheet].data_validations.dataValidation}
    assert listed(drop_downs["Cases", "B2:B2001"].formula1) == ["BCP", "Dorset"]
    assert listed(drop_downs["Cases", "C2:C2001"].formula1) == ["Bournemouth", "Christchurch", "Poole",
                                                                "North Dorset", "West Dorset", "Weymouth and Portland"]
    assert listed(drop_downs["Cases", "D2:D2001"].formula1) == ["referred", "assessment", "programme",
                                                                "completed", "closed"]
    assert listed(drop_downs["Cases", "F2:F2001"].formula1) == ["disengaged", "on hold", "no contact", "not suitable",
                                                                 "moved away", "in custody", "other"]
    assert drop_downs["Cases", "E2:E2001"].type == "date"
    first_day = openpyxl.utils.datetime.from_excel(int(drop_downs["Cases", "E2:E2001"].formula1)).date()
    assert first_day == cases.FIRST_DATE  # Excel refuses what import would refuse, from the same date
    assert book["Cases"]["E2"].number_format == "yyyy-mm-dd"
    costs = listed(drop_downs["Outcomes", "B2:B2001"].formula1)
    assert [label for label in costs if label.startswith("HE1.0 |")] == [
        "HE1.0 | Alcohol misuse - estimated annual cost to the NHS of alcohol dependency, per year…"]
    assert len(costs) == 678  # the sample's costs that have a fiscal value to count
    assert drop_downs["Outcomes", "C2:C2001"].type == "decimal"
    help_text = "\n".join(str(cell.value) for cell in book["Help"]["A"] if cell.value)
    assert "up2u-cba intake import" in help_text and "one row per status event" in help_text


def test_the_template_is_not_written_over_an_existing_file(project):
    folder, settings, template = project
    before = template.read_bytes()
    result = run(settings, "intake", "template", str(template))
    assert result.exit_code == 1 and "[output-exists]" in result.output
    assert template.read_bytes() == before


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_the_drop_downs_from_the_lists_sheet(project):
    folder, settings, template = project
    subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir", str(folder), str(template)],
                   check=True, capture_output=True, timeout=180)
    with zipfile.ZipFile(folder / "intake-template.ods") as ods:
        content = ods.read("content.xml").decode("utf-8")
    conditions = dict(re.findall(r'<table:content-validation table:name="([^"]+)" table:condition="([^"]+)"', content))
    used = {}
    for name, body in re.findall(r'<table:table table:name="([^"]+)"(.*?)</table:table>', content, re.S):
        used[name] = {conditions[key] for key in re.findall(r'table:content-validation-name="([^"]+)"', body)}
    assert "of:cell-content-is-in-list([$Lists.$A$2:.$A$3])" in used["Cases"]  # services
    assert any("cell-content-is-date()" in condition for condition in used["Cases"])
    assert "of:cell-content-is-in-list([$Lists.$E$2:.$E$679])" in used["Outcomes"]  # unit costs
    assert used["Help"] == used["Lists"] == set()


# --- importing ---------------------------------------------------------------------------------


def test_a_template_filled_with_ten_cases_imports_them_all(project):
    folder, settings, template = project
    before = json.loads(run(settings, "report", "--year", "2022/23", "--format", "json").stdout)
    workbook = fill(template, folder / "ten.xlsx", TEN_CASES, TEN_OUTCOMES)
    result = run(settings, "intake", "import", str(workbook))
    assert result.exit_code == 0, result.output
    assert "New cases (10):" in result.output
    written = sorted(path.name for path in (folder / "cases").rglob("*-90??.toml"))
    assert written == [f"BCP-900{n}.toml" for n in range(1, 7)] + [f"DOR-900{n}.toml" for n in range(1, 5)]
    record, problems = cases.load_file(str(folder / "cases" / "Dorset" / "DOR-9002.toml"))
    assert problems == [] and [e.status.value for e in record.history] == ["referred", "closed", "programme"]
    assert record.locality == "North Dorset"

    assert run(settings, "validate").exit_code == 0
    after = json.loads(run(settings, "report", "--year", "2022/23", "--format", "json").stdout)
    completers = {service["service"]: service["completers"] for service in after["services"]}
    assert completers == {service["service"]: service["completers"] + 2 for service in before["services"]}


def test_importing_the_same_workbook_twice_changes_nothing(project):
    folder, settings, template = project
    workbook = fill(template, folder / "ten.xlsx", TEN_CASES, TEN_OUTCOMES)
    assert run(settings, "intake", "import", str(workbook)).exit_code == 0
    before = snapshot(folder / "cases")
    again = run(settings, "intake", "import", str(workbook))
    assert again.exit_code == 0
    assert "unchanged (10)" in again.output
    assert "Nothing was written" in again.output
    assert snapshot(folder / "cases") == before


def test_five_broken_rows_are_all_reported_and_nothing_is_written(project):
    folder, settings, template = project
    case_rows = [list(row) for row in TEN_CASES]
    outcome_rows = [list(row) for row in TEN_OUTCOMES]
    case_rows[case_row("BCP-9001", "assessment") - 2][4] = "2022-02-30"   # no such day
    case_rows[case_row("BCP-9002", "closed") - 2][5] = None              # closed without a reason
    case_rows[case_row("BCP-9003", "assessment") - 2][3] = "finished"    # not a status
    outcome_rows[1][2] = 0                                                # quantity 0
    outcome_rows[3][5] = "Letter to AB12 3CD"                             # a postcode in the evidence
    workbook = fill(template, folder / "broken.xlsx", case_rows, outcome_rows)
    before = snapshot(folder)
    result = run(settings, "intake", "import", str(workbook))
    assert result.exit_code == 1
    assert "5 problems found; nothing was written" in result.output
    assert sorted(located(result.output)) == sorted([
        ("bad-date", f"Cases row {case_row('BCP-9001', 'assessment')}: date"),
        ("bad-reason", f"Cases row {case_row('BCP-9002', 'closed')}: closure reason"),
        ("bad-status", f"Cases row {case_row('BCP-9003', 'assessment')}: status"),
        ("bad-quantity", "Outcomes row 3: quantity"),
        ("personal-data", "Outcomes row 5: evidence"),
    ])
    assert "AB12" not in result.output
    assert snapshot(folder) == before


def test_checks_across_rows_come_in_the_same_run_as_the_rows_own_problems(project):
    """A newcomer fixed five rows and then met two problems more: every case that can be built
    from the rows that read is checked as a whole in the first run."""
    folder, settings, template = project
    case_rows = [list(row) for row in TEN_CASES]
    outcome_rows = [list(row) for row in TEN_OUTCOMES]
    case_rows[case_row("BCP-9001", "assessment") - 2][4] = "2022-02-30"   # BCP-9001 has a broken row...
    case_rows[case_row("BCP-9002", "closed") - 2][5] = None
    case_rows[case_row("BCP-9003", "assessment") - 2][3] = "finished"
    outcome_rows[1][2] = 0
    outcome_rows[3][5] = "Letter to AB12 3CD"
    outcome_rows.append(("BCP-9001", "CR2.0.1", 1, None, None, "Police check"))  # ...and counts CR2.0 twice
    outcome_rows.append(("BCP-9001", "CR2.0", 1, None, None, "Police incident check"))
    case_rows.append(("DOR-9001", None, None, "closed", D("2023-03-01"), "bogus"))       # DOR-9001: broken row
    case_rows.append(("DOR-9001", None, None, "closed", D("2023-03-02"), "disengaged"))  # and closed after completion
    workbook = fill(template, folder / "broken.xlsx", case_rows, outcome_rows)
    before = snapshot(folder)
    result = run(settings, "intake", "import", str(workbook))
    assert result.exit_code == 1
    last = len(TEN_CASES) + 3
    assert sorted(located(result.output)) == sorted([
        ("bad-date", f"Cases row {case_row('BCP-9001', 'assessment')}: date"),
        ("bad-reason", f"Cases row {case_row('BCP-9002', 'closed')}: closure reason"),
        ("bad-status", f"Cases row {case_row('BCP-9003', 'assessment')}: status"),
        ("bad-quantity", "Outcomes row 3: quantity"),
        ("personal-data", "Outcomes row 5: evidence"),
        ("double-counted-constituent", "Outcomes row 7: unit cost"),
        ("bad-reason", f"Cases row {last - 1}: closure reason"),
        ("event-after-completion", f"Cases row {last}: status"),
    ])
    assert snapshot(folder) == before


ONE_CASE = [
    ("BCP-9001", "BCP", "Poole", "referred", D("2022-05-02"), None),
    ("BCP-9001", None, None, "completed", D("2023-01-15"), None),
]
ONE_OUTCOME = [("BCP-9001", "HE1.0", 1, None, None, "Confirmed by treatment service")]


def rename(case_rows, outcome_rows, reference):
    """Give the one case another reference on every row."""
    for rows in (case_rows, outcome_rows):
        rows[:] = [(reference, *row[1:]) for row in rows]


@pytest.mark.parametrize("change, expected", [
    (lambda c, o: c.append(("BCP-9001", None, None, "closed", D("2023-02-01"), "disengaged")),
     ("event-after-completion", "Cases row 4: status")),
    (lambda c, o: c.__setitem__(0, ("BCP-9001", "BCP", "Poole", "assessment", D("2022-05-02"), None)),
     ("history-must-start-with-referral", "Cases row 2: status")),
    (lambda c, o: o.append(("BCP-9001", "CR2.0.1", 1, None, None, "Police check")) or
     o.append(("BCP-9001", "CR2.0", 1, None, None, "Police check")),
     ("double-counted-constituent", "Outcomes row 3: unit cost")),
    (lambda c, o: c.pop(), ("outcomes-without-completion", "Outcomes row 2: reference")),
    (lambda c, o: o.append(("BCP-9077", "HE1.0", 1, None, None, "GP letter")), ("unknown-case", "Outcomes row 3: reference")),
    (lambda c, o: rename(c, o, "BCP-91"), ("bad-reference", "Cases row 2: reference")),
    (lambda c, o: rename(c, o, "Smith"), ("bad-reference", "Cases row 2: reference")),
    (lambda c, o: c.__setitem__(0, ("BCP-9001", "BCP", "West Dorset", "referred", D("2022-05-02"), None)),
     ("unknown-locality", "Cases row 2: locality")),
    (lambda c, o: c.__setitem__(1, ("BCP-9001", "Dorset", None, "completed", D("2023-01-15"), None)),
     ("inconsistent-case", "Cases row 3: service")),
    (lambda c, o: c.__setitem__(1, ("BCP-9001", None, None, "completed", datetime.datetime(2023, 1, 15, 9, 30), None)),
     ("bad-date", "Cases row 3: date")),
    (lambda c, o: c.append(c[1]), ("duplicate-row", "Cases row 4: status")),
    (lambda c, o: o.__setitem__(0, ("BCP-9001", "HE1.O", 1, None, None, "GP letter")),
     ("unknown-cost-code", "Outcomes row 2: unit cost")),
    (lambda c, o: o.__setitem__(0, ("BCP-9001", "HE1.0", 1, None, None, None)),
     ("missing-field", "Outcomes row 2: evidence")),
    (lambda c, o: o.__setitem__(0, ("BCP-9001", "HE1.0", 1, -1, None, "GP letter")),
     ("bad-years", "Outcomes row 2: years")),
    (lambda c, o: o.__setitem__(0, ("BCP-9001", "HE1.0", "two", None, None, "GP letter")),
     ("bad-number", "Outcomes row 2: quantity")),
    (lambda c, o: o.__setitem__(0, ("BCP-9001", "HE1.0", 1, None, "Seen on 01234 567890", "GP letter")),
     ("personal-data", "Outcomes row 2: description")),
    (lambda c, o: o.__setitem__(0, ("BCP-9001", "HE1.0", 1, None, None, "GP letter", None, None, "1e-600", None,
                                    "Local evaluation")),
     ("bad-assumption", "Outcomes row 2: deadweight")),
    (lambda c, o: o.__setitem__(0, ("BCP-9001", "HE1.0", 1, None, None, "GP letter", None, None, None, 0.123456,
                                    "Local evaluation")),
     ("bad-assumption", "Outcomes row 2: attribution")),
])
def test_each_mistake_is_reported_at_its_row_and_column(project, change, expected):
    folder, settings, template = project
    case_rows, outcome_rows = list(ONE_CASE), list(ONE_OUTCOME)
    change(case_rows, outcome_rows)
    workbook = fill(template, folder / "one.xlsx", case_rows, outcome_rows)
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", str(workbook))
    assert result.exit_code == 1
    assert located(result.output) == [expected]
    assert snapshot(folder / "cases") == before


@pytest.mark.parametrize("case_rows, outcome_rows, expected", [
    # the first row's locality is wrong: said there once, not again for the case; its lines still checked
    ([("BCP-9001", "BCP", "Nowhere", "referred", D("2022-05-02"), None),
      ("BCP-9001", None, None, "completed", D("2023-01-15"), None)],
     [("BCP-9001", "CR2.0.1", 1, None, None, "Police check"), ("BCP-9001", "CR2.0", 1, None, None, "Police check")],
     [("unknown-locality", "Cases row 2: locality"), ("double-counted-constituent", "Outcomes row 2: unit cost")]),
    # an unknown or missing service is said at the first row, not at every later row left blank
    ([("BCP-9001", "BCPX", "Poole", "referred", D("2022-05-02"), None),
      ("BCP-9001", None, None, "programme", D("2022-06-15"), None),
      ("BCP-9001", None, None, "completed", D("2023-01-15"), None)],
     [("BCP-9001", "HE1.0", 1, None, None, "GP letter")],
     [("unknown-service", "Cases row 2: service")]),
    ([("BCP-9001", None, "Poole", "referred", D("2022-05-02"), None),
      ("BCP-9001", None, None, "completed", D("2023-01-15"), None)],
     [("BCP-9001", "HE1.0", 1, None, None, "GP letter")],
     [("missing-field", "Cases row 2: service")]),
    # a broken referral row: the history is not accused of lacking a referral
    ([("BCP-9001", "BCP", "Poole", "referred", "nope", None),
      ("BCP-9001", None, None, "completed", D("2023-01-15"), None)],
     [("BCP-9001", "HE1.0", 1, None, None, "GP letter")],
     [("bad-date", "Cases row 2: date")]),
    # a broken completion row: its lines are not accused of having no completion
    ([("BCP-9001", "BCP", "Poole", "referred", D("2022-05-02"), None),
      ("BCP-9001", None, None, "completed", "2023-13-45", None)],
     [("BCP-9001", "HE1.0", 1, None, None, "GP letter"), ("BCP-9001", "CR2.0", 0, None, None, "Police check")],
     [("bad-date", "Cases row 3: date"), ("bad-quantity", "Outcomes row 3: quantity")]),
    # an unknown case is said on every row of it, broken or not
    (ONE_CASE, [*ONE_OUTCOME, ("BCP-9077", "HE1.0", 1, None, None, "GP letter"),
                ("BCP-9077", "HE1.0", -1, None, None, "GP letter")],
     [("unknown-case", "Outcomes row 3: reference"), ("bad-quantity", "Outcomes row 4: quantity"),
      ("unknown-case", "Outcomes row 4: reference")]),
    # a case that has not completed: every line of it is said, broken or not
    (ONE_CASE[:1], [*ONE_OUTCOME, ("BCP-9001", "HE1.0", -1, None, None, "GP letter")],
     [("outcomes-without-completion", "Outcomes row 2: reference"), ("bad-quantity", "Outcomes row 3: quantity"),
      ("outcomes-without-completion", "Outcomes row 3: reference")]),
], ids=["bad-locality", "unknown-service", "missing-service", "broken-referral", "broken-completion",
        "unknown-case", "not-completed"])
def test_a_case_with_broken_rows_is_checked_for_what_its_other_rows_show(project, case_rows, outcome_rows, expected):
    folder, settings, template = project
    workbook = fill(template, folder / "partial.xlsx", case_rows, outcome_rows)
    result = run(settings, "intake", "import", str(workbook))
    assert result.exit_code == 1
    assert sorted(located(result.output)) == sorted(expected)


def test_an_event_dated_after_today_is_refused(project):
    folder, settings, template = project
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    case_rows = [ONE_CASE[0], ("BCP-9001", None, None, "completed", tomorrow, None)]
    workbook = fill(template, folder / "future.xlsx", case_rows, ONE_OUTCOME)
    result = run(settings, "intake", "import", str(workbook))
    assert result.exit_code == 1
    assert located(result.output) == [("future-date", "Cases row 3: date")]
    today = [ONE_CASE[0], ("BCP-9001", None, None, "completed", datetime.date.today(), None)]
    workbook = fill(template, folder / "today.xlsx", today, ONE_OUTCOME)
    assert run(settings, "intake", "import", str(workbook)).exit_code == 0


def test_a_text_date_and_a_blank_years_are_read_as_a_user_means_them(project):
    folder, settings, template = project
    case_rows = [ONE_CASE[0], ("BCP-9001", None, None, "completed", "15/01/2023", None)]
    workbook = fill(template, folder / "one.xlsx", case_rows, ONE_OUTCOME)
    assert run(settings, "intake", "import", str(workbook)).exit_code == 0
    text = (folder / "cases" / "BCP" / "BCP-9001.toml").read_text()
    assert "date = 2023-01-15" in text
    assert "years" not in text  # blank: not stated, as in a hand-written file


@pytest.mark.parametrize("damage, expected", [
    (lambda book: book.remove(book["Outcomes"]), ("missing-sheet", "Outcomes")),
    (lambda book: book["Cases"].cell(row=1, column=5, value="When"), ("missing-column", "Cases row 1")),
])
def test_a_workbook_not_made_from_the_template_is_refused(project, damage, expected):
    folder, settings, template = project
    book = openpyxl.load_workbook(template)
    damage(book)
    book.save(folder / "odd.xlsx")
    result = run(settings, "intake", "import", str(folder / "odd.xlsx"))
    assert result.exit_code == 1
    assert located(result.output) == [expected]


def test_a_file_that_is_not_a_workbook_is_refused(project):
    folder, settings, template = project
    (folder / "notes.xlsx").write_text("not a workbook")
    result = run(settings, "intake", "import", str(folder / "notes.xlsx"))
    assert result.exit_code == 1 and "[unreadable-workbook]" in result.output


# --- stored cases ------------------------------------------------------------------------------
# A stored case in a workbook is held whole and replaced only with --replace --reason: see
# test_intake_round_trip.py (the old --update, which appended a corrected line as a second one,
# is refused there).


def test_dry_run_lists_but_writes_nothing(project):
    folder, settings, template = project
    workbook = fill(template, folder / "ten.xlsx", TEN_CASES, TEN_OUTCOMES)
    before = snapshot(folder / "cases")
    result = run(settings, "intake", "import", str(workbook), "--dry-run")
    assert result.exit_code == 0
    assert "New cases (10):" in result.output and "Dry run: nothing was written." in result.output
    assert snapshot(folder / "cases") == before
