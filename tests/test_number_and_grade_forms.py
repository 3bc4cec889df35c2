"""How figures are shown and grades are written (issue #13, review findings): returns per £1
with thousands separators, a cost per completed case to the penny in text, JSON and the workbook,
the CSV's uprating factor to 6 places, and a confidence grade read and stored one way."""

import csv
import io
import json
import re
import tomllib
from decimal import Decimal

import openpyxl
import pytest

from hostile import assert_refused, invoke, sample_project
from test_green_book import project
from test_xlsx import table_rows
from up2u_cba import models, pipeline
from up2u_cba.outputs import render_xlsx
from up2u_cba.problems import errors


def with_bcp_spend(folder, spend: str):
    settings = sample_project(folder)
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace('"2022/23" = 90000', f'"2022/23" = {spend}'), encoding="utf-8")
    return settings


def test_a_large_return_has_thousands_separators_and_a_cost_per_case_below_a_pound_its_pence(tmp_path):
    # £1 over BCP's 20 completed cases: 5p a case, and £627,982 saved for every £1
    settings = with_bcp_spend(tmp_path, "1")
    text = invoke("report", "--service", "BCP", "--settings", settings).output
    assert "£627,982.00 for every £1 spent" in text
    assert re.search(r"Cost per completed case .*\| +£0\.05 \| +£0\.05 \|", text)
    data = json.loads(invoke("report", "--service", "BCP", "--format", "json", "--settings", settings).output)
    (bcp,) = data["services"]
    assert (bcp["cost_per_completer"], bcp["return_on_investment"]) == ("0.05", "627982.00")
    path = tmp_path / "report.xlsx"
    assert invoke("report", "--service", "BCP", "--xlsx", path, "--settings", settings).exit_code == 0
    sheet = openpyxl.load_workbook(path)["Summary"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(max_col=2) if row[0].value}
    assert cells[render_xlsx.COST_PER_COMPLETER].number_format == render_xlsx.PENCE
    assert "#,##0.00" in cells["Return on investment"].number_format
    shown = {row[0]: row[1] for row in openpyxl.load_workbook(path, data_only=True)["Summary"].iter_rows(
        max_col=2, values_only=True) if row[0]}
    assert shown[render_xlsx.COST_PER_COMPLETER] == 0.05


def test_the_cost_per_case_is_to_the_penny_everywhere(tmp_path):
    settings = with_bcp_spend(tmp_path, "90001")  # £4,500.05 a case
    text = invoke("report", "--service", "BCP", "--settings", settings).output
    assert re.search(r"Cost per completed case .*\| +£4,500\.05 \|", text)
    data = json.loads(invoke("report", "--service", "BCP", "--format", "json", "--settings", settings).output)
    assert data["services"][0]["cost_per_completer"] == "4500.05"


def test_the_csv_uprating_factor_is_given_to_six_places_and_the_saving_from_the_exact_factor(tmp_path):
    settings = sample_project(tmp_path)
    rows = list(csv.DictReader(io.StringIO(invoke("report", "--format", "csv", "--settings", settings).output)))
    lines = [line for summary in pipeline.run(str(settings)).services for line in summary.lines]
    assert len(rows) == len(lines) and any(len(str(line.uprating_factor)) > 20 for line in lines)
    for row, line in zip(rows, lines):
        assert re.fullmatch(r"\d+\.\d{6}", row["uprating_factor"]), row["uprating_factor"]
        assert Decimal(row["uprating_factor"]) == line.uprating_factor.quantize(Decimal("0.000001"))
        assert int(row["saving"]) == line.saving == models.whole_pounds(
            line.unit_value * line.uprating_factor * line.quantity * line.years)


ONE_LINE = """
    [[outcomes]]
    code = "TST-A"
    quantity = 1
    """


@pytest.mark.parametrize("written, grade", [("4", "4"), ('"4"', "4"), ("4.0", "4"), ('"a"', "A"), ('" r "', "R")])
def test_a_case_file_grade_is_read_one_way_however_it_is_written(tmp_path, written, grade):
    settings = project(tmp_path, outcomes=ONE_LINE + f"confidence = {written}\n")
    (summary,) = pipeline.run(str(settings)).services
    assert summary.lines[0].grade == grade


@pytest.mark.parametrize("written", ["4.5", "0", '"4.5"', '"B"', "true"])
def test_a_case_file_confidence_that_is_no_grade_is_refused_at_its_line(tmp_path, written):
    settings = project(tmp_path, outcomes=ONE_LINE + f"confidence = {written}\n")
    _, problems = pipeline.load(str(settings))
    assert [(problem.code, problem.where) for problem in errors(problems)] == \
        [("bad-assumption", "outcomes[1].confidence")]


def stored_confidence(settings) -> object:
    case = settings.parent / "cases" / "BCP" / "BCP-0001.toml"
    return tomllib.loads(case.read_text(encoding="utf-8"))["outcomes"][0]["confidence"]


@pytest.mark.parametrize("typed, stored", [("a", "A"), ("4", 4), ("4.0", 4), (" g ", "G")])
def test_case_amend_stores_a_grade_as_the_case_file_documents_it(tmp_path, typed, stored):
    settings = sample_project(tmp_path)
    result = invoke("case", "amend", "BCP-0001", "--set", f"outcomes[1].confidence={typed}", "--reason",
                    "graded by the analyst", "--yes", "--settings", settings)
    assert result.exit_code == 0, result.output
    assert stored_confidence(settings) == stored
    assert invoke("validate", "--settings", settings).exit_code == 0


@pytest.mark.parametrize("typed", ["4.5", "7", "B"])
def test_case_amend_refuses_a_confidence_that_is_no_grade(tmp_path, typed):
    settings = sample_project(tmp_path)
    result = invoke("case", "amend", "BCP-0001", "--set", f"outcomes[1].confidence={typed}", "--reason",
                    "graded by the analyst", "--yes", "--settings", settings)
    assert_refused(result, "outcomes[1].confidence")


@pytest.mark.parametrize("typed, stored", [("4.0", 4), ("a", "A")])
def test_the_guided_amend_takes_a_grade_in_any_form_and_stores_it_so(tmp_path, typed, stored):
    settings = sample_project(tmp_path)
    answers = ["adjustments", "1", "", "", "2.5", typed,  # (2.5 is no grade: asked again)
               "", "graded by the analyst", "y"]
    result = invoke("case", "amend", "BCP-0001", "--settings", settings, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "'2.5' is not an evidence grade" in result.output
    assert stored_confidence(settings) == stored


def test_a_workbook_line_shows_the_grade_as_stored(tmp_path):
    settings = project(tmp_path, outcomes=ONE_LINE + 'confidence = "a"\n')
    path = tmp_path / "report.xlsx"
    render_xlsx.write(pipeline.run(str(settings)), str(path))
    (line,) = table_rows(openpyxl.load_workbook(path)["Outcome lines"])
    assert line["Evidence grade"] == "A"
