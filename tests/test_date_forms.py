"""Dates as a UK user types them (issue #10, deliverable 8): guided entry and intake read the same
forms the same way (day first, never the US order), a refused date repeats what was typed and
lists the forms taken, and a case file's quoted date is shown in its TOML form."""

from __future__ import annotations

import datetime

import openpyxl
import pytest

from hostile import assert_refused, invoke, sample_project
from up2u_cba.inputs import cases

FORMS = [
    ("2023-05-12", "2023-05-12"),
    ("12/05/2023", "2023-05-12"),
    ("12/5/2023", "2023-05-12"),
    ("12-05-2023", "2023-05-12"),
    ("12.05.2023", "2023-05-12"),
    ("12 May 2023", "2023-05-12"),
    ("12-May-2023", "2023-05-12"),
    ("12 May, 2023", "2023-05-12"),
    ("12th May 2023", "2023-05-12"),
    ("12/05/23", "2023-05-12"),       # a two-digit year is 20YY: no case is dated before 2000
    ("05/12/2022", "2022-12-05"),     # day first: 5 December, never 12 May
    ("1 Sept 2022", "2022-09-01"),
]

REFUSED = ["12  May", "05/13/2023", "31/02/2023", "2023-13-01", "next Tuesday"]


def guided_new_case(settings, date_answers):
    """`case new` for BCP-9101 in Poole, answering the referral date with each of ``date_answers``
    until one is taken."""
    answers = ["BCP", "Poole", "BCP-9101", *date_answers, "", "y"]
    return invoke("case", "new", "--settings", settings, input="".join(f"{answer}\n" for answer in answers))


def referral_date(folder) -> str:
    record, problems = cases.load_file(str(folder / "cases" / "BCP" / "BCP-9101.toml"))
    assert problems == []
    return record.history[0].date.isoformat()


@pytest.mark.parametrize("typed, meant", FORMS)
def test_guided_entry_takes_a_date_as_a_uk_user_types_it(tmp_path, typed, meant):
    settings = sample_project(tmp_path)
    result = guided_new_case(settings, [typed])
    assert result.exit_code == 0, result.output
    assert "Error:" not in result.output
    assert referral_date(tmp_path) == meant


def test_guided_entry_repeats_a_refused_date_as_typed_and_lists_the_forms(tmp_path):
    settings = sample_project(tmp_path)
    result = guided_new_case(settings, [*REFUSED, "12/05/2023"])
    assert result.exit_code == 0, result.output
    refusals = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(refusals) == len(REFUSED), refusals
    for typed, refusal in zip(REFUSED, refusals):
        assert f"'{typed}'" in refusal, refusal
    assert "has no year" in refusals[0]
    assert "day first" in refusals[1]  # 05/13/2023 is not read the US way
    assert "12 May 2023" in refusals[4]  # the forms it takes
    assert referral_date(tmp_path) == "2023-05-12"


def intake_workbook(tmp_path, settings, dates):
    """An intake workbook with one case per date in ``dates`` (BCP-9101, BCP-9102...), each
    referred on that date, the date cell holding exactly what was given (text or a real date)."""
    template = tmp_path / "template.xlsx"
    result = invoke("intake", "template", template, "--settings", settings)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(template)
    sheet = book["Cases"]
    for row, day in enumerate(dates, start=2):
        for column, value in enumerate((f"BCP-{9100 + row - 1}", "BCP", "Poole", "referred", day), start=1):
            sheet.cell(row=row, column=column, value=value)
    path = tmp_path / "intake.xlsx"
    book.save(path)
    return path


def test_intake_reads_text_dates_as_guided_entry_does_and_real_excel_dates_as_they_are(tmp_path):
    settings = sample_project(tmp_path)
    cells = [typed for typed, _ in FORMS] + [datetime.date(2023, 5, 12), datetime.datetime(2023, 5, 12)]
    workbook = intake_workbook(tmp_path, settings, cells)
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert result.exit_code == 0, result.output
    expected = [meant for _, meant in FORMS] + ["2023-05-12", "2023-05-12"]
    for number, meant in enumerate(expected, start=1):
        record, problems = cases.load_file(str(tmp_path / "cases" / "BCP" / f"BCP-{9100 + number}.toml"))
        assert problems == [] and record.history[0].date.isoformat() == meant, (cells[number - 1], record)


def test_intake_repeats_a_refused_text_date_as_typed(tmp_path):
    settings = sample_project(tmp_path)
    workbook = intake_workbook(tmp_path, settings, REFUSED)
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert_refused(result, *(f"Cases row {row}: date: '{typed}'" for row, typed in enumerate(REFUSED, start=2)))
    assert result.output.count("[bad-date]") == len(REFUSED)
    assert not (tmp_path / "cases" / "BCP" / "BCP-9101.toml").exists()


def test_a_quoted_date_in_a_case_file_is_shown_in_its_toml_form(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0011.toml"
    text = path.read_text()
    assert "date = 2021-10-31" in text
    path.write_text(text.replace("date = 2021-10-31", 'date = "31/10/2021"'))
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "BCP-0011.toml: status[2].date", "'31/10/2021'", "without quotes: date = 2021-10-31",
                   "[bad-date]")
