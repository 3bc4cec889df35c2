"""Every validation problem a user can meet, one small named fixture per failure mode.

Each test builds a throwaway project in ``tmp_path`` (settings TOML, the shipped GMCA unit costs
and deflator series by absolute path, and a cases folder holding only the fixtures under test),
loads it, and asserts on each problem's ``code``, ``file`` and ``where``, never on the wording.

``test_baseline_project_is_valid`` is the control: the project the helper builds from the valid
case ``fixtures/valid/BCP-9000.toml`` has no problems, so any problem in the other tests comes
from the fixture under test. The invalid fixtures are that valid case broken in one way each.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import shutil

import pytest
from click.testing import CliRunner

from up2u_cba import models, pipeline
from up2u_cba.problems import Problem
from up2u_cba.entry import case_files
from up2u_cba.inputs import cases
from up2u_cba.cli.main import main

REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
INVALID = FIXTURES / "invalid"
VALID_CASE = FIXTURES / "valid" / "BCP-9000.toml"
GMCA = REPO / "unit_costs" / "gmca-ucd-v1.4.csv"
DEFLATORS = REPO / "unit_costs" / "gdp-deflators-march-2026.csv"
SAMPLE_SETTINGS = REPO / "up2u-cba.toml"


# --- the project builder --------------------------------------------------------------------


@dataclasses.dataclass
class Project:
    """A project folder in tmp_path: settings file, cases folder, copied data files."""

    folder: pathlib.Path
    settings: pathlib.Path

    def case(self, name: str) -> str:
        """The path a problem names for the case fixture ``name`` (as copied)."""
        return str(self.folder / "cases" / name)

    def data(self, name: str) -> str:
        """The path a problem names for the data file fixture ``name`` (as copied)."""
        return str(self.folder / "data" / name)

    def load(self):
        return pipeline.load(str(self.settings))

    def problems(self) -> list[tuple[str, str, str]]:
        """Every problem of a load as sorted (code, file, where) triples."""
        return located(self.load()[1])


def located(problems) -> list[tuple[str, str, str]]:
    return sorted((problem.code, problem.file, problem.where) for problem in problems)


def settings_toml(
    unit_costs: list[str],
    deflators: str,
    price_year: str = "2018/19",
    spend: str = '{ "2022/23" = 90000 }',
    reference_pattern: str = r"BCP-\d{4}",
) -> str:
    """A settings file for one service, BCP (the localities of the bundled sample)."""
    files = ", ".join(f"'{path}'" for path in unit_costs)
    return (
        'cases = "cases"\n'
        f"unit_costs = [{files}]\n\n"
        "[uprating]\n"
        f'price_year = "{price_year}"\n'
        f"deflators = '{deflators}'\n"
        'series = "Test deflators"\n\n'
        "[services.BCP]\n"
        'localities = ["Bournemouth", "Christchurch", "Poole"]\n'
        f"reference_pattern = '{reference_pattern}'\n"
        f"spend = {spend}\n"
    )


@pytest.fixture
def project(tmp_path):
    """Build a project: ``project("unknown_code.toml", unit_costs=["bad_rag.csv"], ...)``.

    Case fixtures (files, or folders of files) go into ``cases/``; unit cost and deflator
    fixtures are copied into ``data/`` and layered after the shipped GMCA table (or replace
    the shipped deflators). Keyword arguments other than those go to ``settings_toml``.
    Calling it again in one test adds to the same project and rewrites its settings.
    """

    def build(*cases: str | pathlib.Path, unit_costs: tuple[str, ...] = (), deflators: str | None = None,
              **settings) -> Project:
        cases_folder = tmp_path / "cases"
        data_folder = tmp_path / "data"
        cases_folder.mkdir(exist_ok=True)
        data_folder.mkdir(exist_ok=True)
        for name in cases:
            source = INVALID / name if not pathlib.Path(name).is_absolute() else pathlib.Path(name)
            if source.is_dir():
                for file in sorted(source.iterdir()):
                    shutil.copy(file, cases_folder / file.name)
            else:
                shutil.copy(source, cases_folder / source.name)
        cost_files = [str(GMCA)]
        for name in unit_costs:
            shutil.copy(INVALID / name, data_folder / name)
            cost_files.append(str(data_folder / name))
        deflator_file = str(DEFLATORS)
        if deflators:
            shutil.copy(INVALID / deflators, data_folder / deflators)
            deflator_file = str(data_folder / deflators)
        settings_path = tmp_path / "up2u-cba.toml"
        settings_path.write_text(settings_toml(cost_files, deflator_file, **settings), encoding="utf-8")
        return Project(folder=tmp_path, settings=settings_path)

    return build


def invoke(*args: str):
    """Run the command line; the result has stdout and stderr apart (click >= 8.2)."""
    return CliRunner().invoke(main, list(args))


# --- the control ----------------------------------------------------------------------------


def test_baseline_project_is_valid(project):
    """The valid case, the shipped costs and deflators: loads with no problem at all."""
    built = project(VALID_CASE)
    inputs, problems = built.load()
    assert problems == []
    assert [case.reference for case in inputs.cases] == ["BCP-9000"]


# --- case files, one fixture per failure mode ------------------------------------------------

# fixture -> the (code, where) problems it must produce, and nothing else.
CASE_FAILURES = {
    "negative_quantity.toml": [("bad-quantity", "outcomes[1].quantity")],
    "zero_years.toml": [("bad-years", "outcomes[1].years")],
    "quantity_as_text.toml": [("bad-number", "outcomes[1].quantity")],
    "missing_quantity.toml": [("missing-field", "outcomes[1].quantity")],
    "completed_without_date.toml": [("missing-date", "status[4].date")],
    "malformed_date.toml": [("invalid-toml", "")],
    "quoted_date.toml": [("bad-date", "status[2].date")],
    "datetime_not_date.toml": [("bad-date", "status[4].date")],
    "invalid_toml.toml": [("invalid-toml", "")],
    "not_utf8.toml": [("not-utf-8", "")],
    "unknown_service.toml": [("unknown-service", "service")],
    "unknown_locality.toml": [("unknown-locality", "locality")],
    "bad_reference.toml": [("bad-reference", "reference")],
    "closed_without_reason.toml": [("bad-reason", "status[3].reason")],
    "reason_without_closed.toml": [("bad-reason", "status[4].reason")],
    "bad_status.toml": [("bad-status", "status[4].status")],
    "out_of_order.toml": [("history-out-of-order", "status[3].date")],
    "starts_without_referral.toml": [("history-must-start-with-referral", "status[1].status")],
    "event_after_completion.toml": [("event-after-completion", "status[5].status")],
    # CR2.0 is outcomes[0], its constituent CR2.0.3 outcomes[1]: the constituent is flagged.
    "double_counted.toml": [("double-counted-constituent", "outcomes[2].code")],
    # The typo is an unknown field, and the real field is then missing: both are reported.
    "unknown_field.toml": [("missing-field", "outcomes[1].quantity"), ("unknown-field", "outcomes[1].quantiy")],
    "text_too_long.toml": [("text-too-long", "outcomes[1].evidence")],
    "description_not_text.toml": [("bad-field", "outcomes[1].description")],
    "missing_reference.toml": [("missing-field", "reference")],
    "no_status.toml": [("missing-field", "status")],
    "outcomes_not_tables.toml": [("bad-field", "outcomes")],
    "no_fiscal_value.toml": [("no-fiscal-value", "outcomes[1].code")],
    "unknown_code.toml": [("unknown-cost-code", "outcomes[1].code")],
}


@pytest.mark.parametrize("fixture", sorted(CASE_FAILURES))
def test_case_fixture_reports_its_problem(project, fixture):
    built = project(fixture)
    inputs, problems = built.load()
    expected = sorted((code, built.case(fixture), where) for code, where in CASE_FAILURES[fixture])
    assert located(problems) == expected
    assert all(problem.hint for problem in problems), "every problem says how to fix it"


def test_case_with_problems_is_checked_as_far_as_it_can_be_but_never_valued(project):
    """A case whose own fields are broken is still checked against the settings (so all its
    problems come at once), without its broken outcome lines, and no report is made."""
    inputs, problems = project(VALID_CASE, "negative_quantity.toml").load()
    assert [problem.code for problem in problems] == ["bad-quantity"]
    broken = [case for case in inputs.cases if case.reference != "BCP-9000"]
    assert broken and all(case.outcomes == () for case in broken)


def test_field_problems_and_cross_input_problems_of_one_file_come_together(project):
    built = project("several_cross_problems.toml")
    case = pathlib.Path(built.case("several_cross_problems.toml"))
    case.write_text(case.read_text().replace('status = "assessment"', 'status = "assesment"'))
    found = {(code, where) for code, _, where in built.problems()}
    assert ("bad-status", "status[2].status") in found  # its own field ...
    assert ("unknown-locality", "locality") in found and ("bad-reference", "reference") in found  # ... and the rest
    # with a status unreadable, its outcome lines cannot be judged, so they are not
    assert not any(where.startswith("outcomes") for _, where in found)
    # a problem outside the history and outcomes leaves them to be checked where they stand
    case.write_text("extra = 1\n" + case.read_text().replace('status = "assesment"', 'status = "assessment"'))
    found = {(code, where) for code, _, where in built.problems()}
    assert ("unknown-field", "extra") in found and ("unknown-cost-code", "outcomes[1].code") in found


def test_unknown_code_suggests_the_nearest_code(project):
    """CR2.O (letter O) is one keystroke from CR2.0: the hint names CR2.0 first."""
    [problem] = project("unknown_code.toml").load()[1]
    assert problem.code == "unknown-cost-code"
    suggested = re.findall(r"[A-Z&]+\d+(?:\.\d+)*", problem.hint)
    assert suggested[:1] == ["CR2.0"], problem.hint


def test_toml_date_syntax_error_is_invalid_toml_but_quoted_date_is_bad_date(project):
    """2022-13-01 is not TOML at all; "01/04/2022" is valid TOML text that is not a date."""
    built = project("malformed_date.toml", "quoted_date.toml")
    assert built.problems() == [
        ("bad-date", built.case("quoted_date.toml"), "status[2].date"),
        ("invalid-toml", built.case("malformed_date.toml"), ""),
    ]


def test_duplicate_reference_names_the_second_file(project):
    built = project("duplicate_reference")
    problems = built.load()[1]
    assert located(problems) == [("duplicate-reference", built.case("second.toml"), "reference")]
    # The message points at the other file, so the user can find both.
    assert built.case("first.toml") in problems[0].message


def test_missing_cases_folder(project):
    built = project(VALID_CASE)
    shutil.rmtree(built.folder / "cases")
    assert built.problems() == [("missing-folder", str(built.folder / "cases"), "")]


# --- every problem at once -------------------------------------------------------------------


def test_one_file_with_several_broken_fields_reports_them_all(project):
    built = project("several_problems.toml")
    file = built.case("several_problems.toml")
    assert built.problems() == sorted([
        ("unknown-field", file, "servce"),
        ("missing-field", file, "service"),
        ("missing-date", file, "status[2].date"),
        ("bad-quantity", file, "outcomes[1].quantity"),
        ("bad-number", file, "outcomes[2].years"),
    ])


def test_one_file_with_several_cross_input_problems_reports_them_all(project):
    """A well-formed case that breaks the settings and the unit costs in four ways."""
    built = project("several_cross_problems.toml")
    file = built.case("several_cross_problems.toml")
    assert built.problems() == sorted([
        ("unknown-locality", file, "locality"),
        ("bad-reference", file, "reference"),
        ("unknown-cost-code", file, "outcomes[1].code"),
        ("double-counted-constituent", file, "outcomes[3].code"),
    ])


BROKEN_FOLDER = ["unknown_code.toml", "negative_quantity.toml", "completed_without_date.toml",
                 "invalid_toml.toml", "bad_reference.toml", "several_problems.toml"]


def expected_broken_folder(built: Project) -> list[tuple[str, str, str]]:
    expected = [(code, built.case(name), where)
                for name in BROKEN_FOLDER if name != "several_problems.toml"
                for code, where in CASE_FAILURES.get(name, [])]
    file = built.case("several_problems.toml")
    expected += [("unknown-field", file, "servce"), ("missing-field", file, "service"),
                 ("missing-date", file, "status[2].date"), ("bad-quantity", file, "outcomes[1].quantity"),
                 ("bad-number", file, "outcomes[2].years")]
    return sorted(expected)


def test_folder_of_broken_files_reports_every_problem_in_one_load(project):
    built = project(VALID_CASE, *BROKEN_FOLDER)
    inputs, problems = built.load()
    assert located(problems) == expected_broken_folder(built)
    assert all(problem.hint for problem in problems)


def test_problems_from_every_kind_of_input_in_one_load(project):
    """A broken unit cost file does not hide broken cases, nor the other way round."""
    built = project("negative_quantity.toml", "unknown_locality.toml", unit_costs=("bad_rag.csv",))
    assert built.problems() == sorted([
        ("bad-quantity", built.case("negative_quantity.toml"), "outcomes[1].quantity"),
        ("unknown-locality", built.case("unknown_locality.toml"), "locality"),
        ("bad-rag", built.data("bad_rag.csv"), "row 2: rag"),
    ])


# --- the settings file ------------------------------------------------------------------------


def test_settings_file_missing(tmp_path):
    path = str(tmp_path / "up2u-cba.toml")
    inputs, problems = pipeline.load(path)
    assert inputs is None
    assert located(problems) == [("missing-file", path, "")]
    assert problems[0].hint


def test_settings_file_invalid_toml(tmp_path):
    path = tmp_path / "up2u-cba.toml"
    shutil.copy(INVALID / "settings" / "invalid_toml.toml", path)
    inputs, problems = pipeline.load(str(path))
    assert inputs is None
    assert located(problems) == [("invalid-toml", str(path), "")]


def test_settings_bad_price_year(project):
    built = project(VALID_CASE, price_year="2018")
    assert built.problems() == [("bad-price-year", str(built.settings), "uprating.price_year")]


def test_settings_price_year_not_in_deflator_series(project):
    """The shipped series starts in 2000/01, so a report in 1990/91 prices cannot be uprated to."""
    built = project(VALID_CASE, price_year="1990/91")
    assert built.problems() == [("price-year-not-in-series", str(built.settings), "uprating.price_year")]


def test_settings_spend_year_and_amount(project):
    built = project(VALID_CASE, spend='{ "2022" = 90000, "2021/22" = -5 }')
    assert built.problems() == sorted([
        ("bad-price-year", str(built.settings), "services.BCP.spend"),
        ("bad-number", str(built.settings), 'services.BCP.spend."2021/22"'),
    ])


def test_settings_bad_reference_pattern(project):
    built = project(VALID_CASE, reference_pattern="BCP-(")
    assert built.problems() == [("bad-field", str(built.settings), "services.BCP.reference_pattern")]


def test_a_reference_too_long_for_a_cell_or_a_file_name_is_refused_whatever_the_pattern(project, tmp_path):
    long_case = tmp_path / "long_reference.toml"
    long_case.write_text(VALID_CASE.read_text(encoding="utf-8").replace('"BCP-9000"', '"BCP-' + "7" * 40_000 + '"'),
                         encoding="utf-8")
    built = project(long_case, reference_pattern=r"BCP-\d+")
    assert built.problems() == [("reference-too-long", built.case("long_reference.toml"), "reference")]
    # guided entry and intake ask the same question (``case_files.reference_problem``)
    service = models.ServiceSettings(name="BCP", localities=("Poole",), reference_pattern=r"BCP-\d+")
    assert case_files.reference_problem("BCP-" + "7" * cases.REFERENCE_LIMIT, service) is not None
    assert case_files.reference_problem("BCP-0007", service) is None


def test_settings_missing_fields_reported_together(tmp_path):
    path = tmp_path / "up2u-cba.toml"
    path.write_text('cases = "cases"\n', encoding="utf-8")
    inputs, problems = pipeline.load(str(path))
    assert inputs is None
    assert located(problems) == sorted([
        ("missing-field", str(path), "unit_costs"),
        ("missing-field", str(path), "uprating.price_year"),
        ("missing-field", str(path), "uprating.deflators"),
        ("missing-field", str(path), "services"),
    ])


def test_settings_names_missing_data_files(project, tmp_path):
    built = project(VALID_CASE)
    missing_costs, missing_deflators = tmp_path / "nope.csv", tmp_path / "nope-deflators.csv"
    built.settings.write_text(settings_toml([str(GMCA), str(missing_costs)], str(missing_deflators)))
    inputs, problems = built.load()
    assert inputs is None
    assert located(problems) == sorted([
        ("missing-file", str(missing_costs), ""),
        ("missing-file", str(missing_deflators), ""),
    ])


def test_no_spend_for_the_report_year(project):
    """Spend is given for 2022/23 only; a 2023/24 report has nothing to set savings against."""
    built = project(VALID_CASE)
    inputs, problems = built.load()
    assert problems == []
    year, services, problems = pipeline.choose(inputs, "2023/24", None)
    assert located(problems) == [("no-spend", str(built.settings), "services")]  # no service has any
    year, services, problems = pipeline.choose(inputs, "2023/24", "BCP")
    assert located(problems) == [("no-spend", str(built.settings), "services.BCP.spend")]
    # The year that has spend is fine: the problem is the year, not the service.
    assert pipeline.choose(inputs, "2022/23", None)[2] == []


def test_no_spend_for_the_latest_completion_year(project):
    """Without --year the report covers the year of the latest completion (2022/23 here)."""
    built = project(VALID_CASE, spend='{ "2021/22" = 85000 }')
    inputs, problems = built.load()
    assert problems == []
    year, services, problems = pipeline.choose(inputs, None, None)
    assert str(year) == "2022/23"
    assert located(problems) == [("no-spend", str(built.settings), "services")]


# --- unit cost CSVs -------------------------------------------------------------------------

# fixture (layered after the shipped GMCA table) -> the (code, where) problems it must produce.
COST_FAILURES = {
    "duplicate_cost_code.csv": [("duplicate-cost-code", "row 2: code")],
    "duplicate_code_in_file.csv": [("duplicate-cost-code", "row 3: code")],
    "override_of_nothing.csv": [("override-of-nothing", "row 2: overrides")],
    "missing_column.csv": [("missing-column", "header")],
    "bad_number.csv": [("bad-number", "row 2: fiscal_value")],
    "bad_cost_price_year.csv": [("bad-price-year", "row 2: fiscal_price_year")],
    "value_without_price_year.csv": [("bad-price-year", "row 2: fiscal_price_year")],
    "no_value.csv": [("no-value", "row 2: fiscal_value")],
    "bad_rag.csv": [("bad-rag", "row 2: rag")],
    "blank_code.csv": [("missing-field", "row 2: code")],
    "unknown_parent.csv": [("unknown-parent", "TST-1: parent")],
}


@pytest.mark.parametrize("fixture", sorted(COST_FAILURES))
def test_unit_cost_fixture_reports_its_problem(project, fixture):
    built = project(VALID_CASE, unit_costs=(fixture,))
    inputs, problems = built.load()
    expected = sorted((code, built.data(fixture), where) for code, where in COST_FAILURES[fixture])
    assert located(problems) == expected
    assert all(problem.hint for problem in problems)


def test_override_of_an_earlier_code_is_allowed(project, tmp_path):
    """The counterpart of duplicate_cost_code.csv: the same row with overrides = yes is fine,
    and the later file's value wins."""
    local = tmp_path / "override_cr2.csv"
    shutil.copy(FIXTURES / "valid" / "override_cr2.csv", local)
    built = project(VALID_CASE)
    built.settings.write_text(settings_toml([str(GMCA), str(local)], str(DEFLATORS)))
    inputs, problems = built.load()
    assert problems == []
    assert inputs.costs["CR2.0"].origin == str(local)


def test_cost_price_year_not_in_series_only_when_a_case_uses_it(project):
    """TST-OLD is in 1995/96 prices, before the series starts: a problem once a case counts it."""
    unused = project(VALID_CASE, unit_costs=("price_year_not_in_series.csv",))
    assert unused.problems() == []
    used = project("price_year_not_in_series.toml", unit_costs=("price_year_not_in_series.csv",))
    assert used.problems() == [
        ("price-year-not-in-series", used.data("price_year_not_in_series.csv"), "TST-OLD: fiscal_price_year"),
    ]


# --- the deflator CSV -----------------------------------------------------------------------

DEFLATOR_FAILURES = {
    "bad_deflator_index.csv": [("bad-number", "row 3: index")],
    # Uprating divides by the index, so zero must be refused as firmly as text.
    "zero_deflator_index.csv": [("bad-number", "row 3: index")],
    "deflator_bad_year.csv": [("bad-price-year", "row 3: financial_year")],
    "deflator_duplicate_year.csv": [("duplicate-year", "row 4: financial_year")],
    "deflator_missing_column.csv": [("missing-column", "header")],
}


@pytest.mark.parametrize("fixture", sorted(DEFLATOR_FAILURES))
def test_deflator_fixture_reports_its_problem(project, fixture):
    built = project(VALID_CASE, deflators=fixture)
    inputs, problems = built.load()
    assert inputs is None
    expected = sorted((code, built.data(fixture), where) for code, where in DEFLATOR_FAILURES[fixture])
    assert located(problems) == expected


def test_bad_deflator_series_does_not_hide_case_problems(project):
    built = project("negative_quantity.toml", deflators="bad_deflator_index.csv")
    assert built.problems() == sorted([
        ("bad-number", built.data("bad_deflator_index.csv"), "row 3: index"),
        ("bad-quantity", built.case("negative_quantity.toml"), "outcomes[1].quantity"),
    ])


# --- the command line -----------------------------------------------------------------------


def assert_fails_cleanly(result, problems: list[tuple[str, str, str]]):
    """Exit 1 through SystemExit, no traceback, every problem on stderr as one line naming its
    file, field and code, and nothing on stdout."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    for code, file, where in problems:
        place = f"{file}: {where}: " if where else f"{file}: "
        assert any(line.strip().startswith(place) and line.rstrip().endswith(f"[{code}]") for line in lines), \
            (code, file, where, result.stderr)
    # One line per problem, plus the heading line.
    assert len([line for line in lines if line.rstrip().endswith("]")]) == len(problems)


@pytest.mark.parametrize("command", [["validate"], ["report"], ["report", "--year", "2022/23"]])
def test_cli_prints_every_problem_and_exits_1(project, command):
    built = project(VALID_CASE, *BROKEN_FOLDER)
    result = invoke(*command, "--settings", str(built.settings))
    assert_fails_cleanly(result, expected_broken_folder(built))


def test_cli_report_writes_no_workbook_on_invalid_input(project, tmp_path):
    built = project("unknown_code.toml")
    workbook = tmp_path / "out.xlsx"
    result = invoke("report", "--settings", str(built.settings), "--xlsx", str(workbook))
    assert_fails_cleanly(result, [("unknown-cost-code", built.case("unknown_code.toml"), "outcomes[1].code")])
    assert not workbook.exists()


def test_cli_report_with_overwrite_leaves_workbook_alone_on_invalid_input(project, tmp_path):
    built = project("unknown_code.toml")
    workbook = tmp_path / "out.xlsx"
    workbook.write_bytes(b"last year's workbook")
    result = invoke("report", "--settings", str(built.settings), "--xlsx", str(workbook), "--overwrite")
    assert result.exit_code == 1
    assert workbook.read_bytes() == b"last year's workbook"


def test_cli_report_refuses_to_replace_an_existing_workbook(project, tmp_path):
    """Valid input, so without the guard the report would be written over the file."""
    built = project(VALID_CASE)
    workbook = tmp_path / "out.xlsx"
    workbook.write_bytes(b"last year's workbook")
    result = invoke("report", "--settings", str(built.settings), "--year", "2022/23", "--xlsx", str(workbook))
    assert_fails_cleanly(result, [("output-exists", str(workbook), "--xlsx")])
    assert workbook.read_bytes() == b"last year's workbook"


def test_cli_report_no_spend(project):
    built = project(VALID_CASE)
    result = invoke("report", "--settings", str(built.settings), "--year", "2023/24")
    assert_fails_cleanly(result, [("no-spend", str(built.settings), "services")])


def test_cli_report_bad_year_option(project):
    built = project(VALID_CASE)
    result = invoke("report", "--settings", str(built.settings), "--year", "2023")
    assert result.exit_code == 1
    assert "--year: " in result.stderr and result.stderr.rstrip().endswith("[bad-year]")
    assert "Traceback" not in result.output


def test_cli_report_unknown_service_option(project):
    built = project(VALID_CASE)
    result = invoke("report", "--settings", str(built.settings), "--service", "Wessex")
    assert_fails_cleanly(result, [("unknown-service", str(built.settings), "--service")])


def test_cli_report_workbook_name_must_end_in_xlsx(project, tmp_path):
    built = project(VALID_CASE)
    path = tmp_path / "out.csv"
    result = invoke("report", "--settings", str(built.settings), "--year", "2022/23", "--xlsx", str(path))
    assert_fails_cleanly(result, [("bad-output", str(path), "--xlsx")])
    assert not path.exists()


def test_cli_report_without_year_needs_a_completed_case(project):
    """The default year is the latest completion's; with none, there is no year to report."""
    built = project(FIXTURES / "valid" / "not_completed.toml")
    result = invoke("report", "--settings", str(built.settings))
    assert_fails_cleanly(result, [("no-completed-cases", str(built.folder / "cases"), "")])


def test_cli_missing_settings_file(tmp_path):
    path = str(tmp_path / "nowhere.toml")
    result = invoke("validate", "--settings", path)
    assert_fails_cleanly(result, [("missing-file", path, "")])


def test_cli_validate_baseline_project(project):
    result = invoke("validate", "--settings", str(project(VALID_CASE).settings))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_cli_validate_bundled_sample():
    result = invoke("validate", "--settings", str(SAMPLE_SETTINGS))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK") and "no problems, 1 warning found" in result.stdout
    # the one warning: BCP-0001 counts CR2.0, whose housing part GMCA says not to count with HO3.0
    assert result.stderr.startswith("1 warning:\n  ") and result.stderr.count("\n") == 2, result.stderr
    assert "BCP-0001.toml: outcomes[2].code" in result.stderr and "[declared-overlap-in-part]" in result.stderr


# --- input that once ended in a traceback or a wrong location ----------------------------------


@pytest.mark.parametrize("fixture, where", [("nan_quantity.toml", "outcomes[1].quantity"),
                                            ("infinite_years.toml", "outcomes[1].years")])
def test_non_finite_numbers_are_problems_not_crashes(project, fixture, where):
    """TOML has nan and inf; neither is a count of anything."""
    built = project(fixture)
    assert built.problems() == [("bad-number", built.case(fixture), where)]


def test_out_of_order_location_counts_skipped_statuses(project):
    """status[2] is not a status and is skipped; the date fault is still at status[4], the
    [[status]] entry the user must fix, not at the third status that was kept."""
    built = project("out_of_order_after_bad_status.toml")
    file = built.case("out_of_order_after_bad_status.toml")
    assert built.problems() == sorted([
        ("bad-status", file, "status[2].status"),
        ("history-out-of-order", file, "status[4].date"),
    ])


@pytest.mark.parametrize("fixture, kind, row", [("extra_cells.csv", "unit_costs", 2),
                                                ("deflator_extra_cells.csv", "deflators", 3)])
def test_row_with_more_cells_than_the_header(project, fixture, kind, row):
    """Typically an unquoted comma in a description, which shifts every later column."""
    built = project(VALID_CASE, **{kind: (fixture,) if kind == "unit_costs" else fixture})
    assert built.problems() == [("too-many-cells", built.data(fixture), f"row {row}")]


def test_settings_uprating_not_a_table(tmp_path):
    path = tmp_path / "up2u-cba.toml"
    shutil.copy(INVALID / "settings" / "uprating_not_a_table.toml", path)
    inputs, problems = pipeline.load(str(path))
    assert inputs is None
    assert ("bad-field", str(path), "uprating") in located(problems)


def test_settings_not_utf8(tmp_path):
    path = tmp_path / "up2u-cba.toml"
    shutil.copy(INVALID / "settings" / "not_utf8.toml", path)
    inputs, problems = pipeline.load(str(path))
    assert inputs is None
    assert located(problems) == [("not-utf-8", str(path), "")]


def test_settings_path_that_is_a_folder(tmp_path):
    inputs, problems = pipeline.load(str(tmp_path))
    assert inputs is None
    assert located(problems) == [("not-a-file", str(tmp_path), "")]


def test_cli_settings_path_that_is_a_folder(tmp_path):
    result = invoke("validate", "--settings", str(tmp_path))
    assert_fails_cleanly(result, [("not-a-file", str(tmp_path), "")])


# --- once-known bugs, kept as tests ----------------------------------------------------------


def test_cost_price_year_not_in_series_is_reported_once(project):
    built = project("price_year_not_in_series.toml", "price_year_not_in_series_second_case.toml",
                    unit_costs=("price_year_not_in_series.csv",))
    assert built.problems() == [
        ("price-year-not-in-series", built.data("price_year_not_in_series.csv"), "TST-OLD: fiscal_price_year"),
    ]


def test_cost_that_is_its_own_parent(project):
    built = project(VALID_CASE, unit_costs=("self_parent.csv",))
    assert [(file, where) for code, file, where in built.problems()] == [
        (built.data("self_parent.csv"), "TST-SELF: parent")]


# --- found by review: slips that once crashed or misled ---------------------------------------


def test_a_missing_unit_cost_file_is_reported_alone_not_as_every_code_unknown(project):
    built = project(VALID_CASE)
    built.settings.write_text(built.settings.read_text().replace(str(GMCA), str(GMCA) + "x"))
    assert [code for code, _, _ in built.problems()] == ["missing-file"]


def test_a_repeated_column_in_a_unit_cost_file_is_refused(project):
    built = project(VALID_CASE)
    table = built.folder / "data" / "repeated.csv"
    table.write_text("code,description,fiscal_value,fiscal_price_year,fiscal_value\nX1,x,1,2018/19,2\n")
    built.settings.write_text(built.settings.read_text().replace(f"'{GMCA}'", f"'{GMCA}', '{table}'"))
    assert built.problems() == [("duplicate-column", str(table), "header")]


@pytest.mark.parametrize("field, value, code", [
    ("quantity", "100001", "bad-quantity"),
    ("years", "1e7", "bad-years"),
    ("years", "101", "bad-years"),
])
def test_outcome_numbers_beyond_any_real_case_are_refused(project, field, value, code):
    built = project(VALID_CASE)
    case = pathlib.Path(built.case(VALID_CASE.name))
    text = case.read_text()
    assert "quantity = 2\n" in text
    text = text.replace("quantity = 2\n", f"{field} = {value}\n" if field == "quantity"
                        else f"quantity = 2\n{field} = {value}\n", 1)
    case.write_text(text)
    assert [(c, w) for c, _, w in built.problems()] == [(code, f"outcomes[1].{field}")]


def test_a_huge_unit_cost_value_is_refused(project):
    built = project(VALID_CASE)
    table = built.folder / "data" / "huge.csv"
    table.write_text("code,description,fiscal_value,fiscal_price_year\nX1,x,1e999999999,2018/19\n")
    built.settings.write_text(built.settings.read_text().replace(f"'{GMCA}'", f"'{GMCA}', '{table}'"))
    assert built.problems() == [("bad-number", str(table), "row 2: fiscal_value")]


def test_references_differing_only_in_capitals_are_one_case(project, tmp_path):
    built = project(VALID_CASE)
    text = pathlib.Path(built.case(VALID_CASE.name)).read_text()
    (built.folder / "cases" / "lower.toml").write_text(text.replace('reference = "BCP-9000"',
                                                                    'reference = "bcp-9000"'))
    built.settings.write_text(built.settings.read_text().replace('reference_pattern = "BCP-\\\\d{4}"', ""))
    assert ("duplicate-reference", "reference") in {(c, w) for c, _, w in built.problems()}


def test_outcome_lines_on_a_case_that_has_not_completed(project):
    built = project(VALID_CASE)
    case = pathlib.Path(built.case(VALID_CASE.name))
    text = case.read_text()
    completed = text.index('status = "completed"')
    start = text.rindex("[[status]]", 0, completed)
    end = text.index("[[", completed)
    case.write_text(text[:start] + text[end:])
    assert built.problems() == [("outcomes-without-completion", str(case), "outcomes[1]")]


def test_report_to_a_folder_named_like_a_workbook_is_refused(project):
    built = project(VALID_CASE)
    folder = built.folder / "out.xlsx"
    folder.mkdir()
    result = invoke("report", "--settings", str(built.settings), "--xlsx", str(folder), "--overwrite")
    assert_fails_cleanly(result, [("bad-output", str(folder), "--xlsx")])


def test_intake_template_to_a_folder_named_like_a_workbook_is_refused(project):
    built = project(VALID_CASE)
    folder = built.folder / "intake.xlsx"
    folder.mkdir()
    result = invoke("intake", "template", str(folder), "--overwrite", "--settings", str(built.settings))
    assert_fails_cleanly(result, [("bad-output", str(folder), "PATH")])


def test_problems_are_listed_in_reading_order_with_numbers_as_numbers():
    from up2u_cba.cli.common import reading_order
    places = ["Outcomes row 10: quantity", "Outcomes row 2: code", "outcomes[10].code", "outcomes[2].code", ""]
    found = [Problem(code="x", file="a.xlsx", where=where, message="m") for where in places]
    assert [problem.where for problem in sorted(found, key=reading_order)] == [
        "", "Outcomes row 2: code", "Outcomes row 10: quantity", "outcomes[2].code", "outcomes[10].code"]
