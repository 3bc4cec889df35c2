"""Warnings for the implausible (issue #10, deliverable 6): a line whose quantity, years or saving
is far outside what its cost's unit makes plausible is refused (``implausible-line``) until the
line records why the figure is right (``acknowledged``); then it counts, and validate lists it
as a warning (``implausible-line-acknowledged``) that does not block the report.

Every test works on a copy of the sample project (``sample_project``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hostile import assert_refused, assert_unchanged, filled_intake, invoke, sample_project, snapshot
from up2u_cba import models
from up2u_cba.inputs import cases
from up2u_cba.method import plausibility

ACKNOWLEDGED = 'acknowledged = "Three siblings, placements confirmed by the panel"\n'


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def add_line(path, code: str, quantity, years=None, extra: str = "") -> None:
    years_line = f"years = {years}\n" if years is not None else ""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f'\n[[outcomes]]\ncode = "{code}"\nquantity = {quantity}\n{years_line}'
                     f'evidence = "Panel minutes"\n{extra}')


def found(output: str, code: str) -> list[str]:
    return [line for line in output.splitlines() if line.rstrip().endswith(f"[{code}]")]


CASE = ("cases", "BCP", "BCP-0006.toml")  # completed 2022-06-08 (2022/23): HE1.0, BCP-CR1 x 4


@pytest.mark.parametrize("code, quantity, years, where", [
    ("SS1.0", 1000, None, "outcomes[3].quantity"),   # a care placement "per year" x 1,000
    ("HE1.0", 1, 40, "outcomes[3].years"),           # 40 years
    ("CR7.0", 200, None, "outcomes[3].quantity"),    # 200 arrests
    ("SS1.3", 2, None, "outcomes[3]"),               # £196,024 a year at 2013/14 prices, x 2: over the ceiling
])
def test_an_implausible_line_is_refused_until_acknowledged_then_a_warning(project, code, quantity, years, where):
    folder, settings = project
    case = folder.joinpath(*CASE)
    add_line(case, code, quantity, years)
    refused = invoke("validate", "--settings", settings)
    assert_refused(refused, f"{case}: {where}:", 'acknowledged = "', f"line 3 ({code})")
    assert found(refused.output, "implausible-line"), refused.output
    assert_refused(invoke("report", "--settings", settings, "--year", "2022/23"), "implausible-line")

    with open(case, "a", encoding="utf-8") as handle:
        handle.write(ACKNOWLEDGED)
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0, result.output
    warned = found(result.output, "implausible-line-acknowledged")
    assert any(f"{case}: {where}:" in line and "Three siblings" in line for line in warned), result.output
    report = invoke("report", "--settings", settings, "--year", "2022/23")
    assert report.exit_code == 0, report.output
    shown = invoke("case", "show", "BCP-0006", "--settings", settings)
    assert "Line 3 acknowledged: Three siblings, placements confirmed by the panel" in shown.output


def test_the_ceiling_is_a_setting(project):
    folder, settings = project
    add_line(folder.joinpath(*CASE), "CR7.0", 3)  # £2,200 or so
    assert invoke("validate", "--settings", settings).exit_code == 0
    with open(settings, "a", encoding="utf-8") as handle:
        handle.write("\n[checks]\nline_ceiling = 5000\n")
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "BCP-0006.toml: outcomes[2]:", "£5,000")  # BCP-CR1 x 4, £13,012
    # BCP-0001's BCP-SS1 line (£67,877) is over it too: the sample's own lines are judged alike
    assert "BCP-0001.toml: outcomes[1]:" in result.output
    assert "BCP-0006.toml: outcomes[3]:" not in result.output


@pytest.mark.parametrize("value", ["'lots'", "-1", "0", "true", "1e99", "{ a = 1 }"])
def test_a_bad_line_ceiling_is_a_settings_problem(project, value):
    _, settings = project
    with open(settings, "a", encoding="utf-8") as handle:
        handle.write(f"\n[checks]\nline_ceiling = {value}\n")
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "checks.line_ceiling", "[bad-number]")


def test_a_misspelled_checks_setting_is_named(project):
    _, settings = project
    with open(settings, "a", encoding="utf-8") as handle:
        handle.write("\n[checks]\nline_cieling = 5000\n")
    assert_refused(invoke("validate", "--settings", settings), "checks.line_cieling", "line_ceiling")


def test_an_acknowledgement_is_free_text_checked_as_any_other(project):
    folder, settings = project
    case = folder.joinpath(*CASE)
    add_line(case, "SS1.0", 1000, extra='acknowledged = "Confirmed by Sarah Jones on 12/03/2023"\n')
    assert_refused(invoke("validate", "--settings", settings), "outcomes[3].acknowledged", "[personal-data]")
    text = case.read_text(encoding="utf-8").replace("Sarah Jones on 12/03/2023", "x" * 300)
    case.write_text(text, encoding="utf-8")
    assert_refused(invoke("validate", "--settings", settings), "outcomes[3].acknowledged", "[text-too-long]")


def test_the_sample_is_plausible_throughout(project):
    """No line of the bundled sample needs an acknowledgement (and so test_sample's figures stand)."""
    _, settings = project
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0 and "no problems" in result.output, result.output
    assert "implausible" not in result.output, result.output  # (its one warning is a declared overlap in part)


@pytest.mark.parametrize("unit, kind, quantity, years", [
    ("Per child per year", "people or children", 10, 10),
    ("Per year", "people or children", 10, 10),
    ("Per incident", "incidents or events", 20, 10),
    ("Each", "incidents or events", 20, 10),
    ("Per week", "weeks", 104, 10),
    ("Per client per week", "weeks", 104, 10),
    ("Per bed day", "days", 365, 10),
    ("Per child over a ten year period", "units, each already covering a whole period", 10, 1),
    ("Lifetime", "units, each already covering a whole period", 10, 1),
    ("Per session", "sessions or contacts", 50, 10),
    ("", "units", 20, 10),
])
def test_each_unit_is_read_as_its_kind(unit, kind, quantity, years):
    found_kind = plausibility.kind_of(unit)
    assert (found_kind.name, found_kind.max_quantity, found_kind.max_years) == (kind, Decimal(quantity),
                                                                                Decimal(years))


# --- guided entry ------------------------------------------------------------------------------


def test_guided_entry_asks_for_the_acknowledgement_and_records_it(project):
    folder, settings = project
    path = folder.joinpath(*CASE)
    result = invoke("case", "update", "BCP-0006", "--settings", settings, input="\n".join([
        "SS1.0", "1000", "1", "", "Panel minutes",
        "",                                    # no acknowledgement: the line is not kept
        "add", "SS1.0", "3", "12", "", "Panel minutes",
        "Three siblings, placements confirmed by the panel",
        "done", "y",
    ]) + "\n")
    assert result.exit_code == 0, result.output
    assert "Check: line 3 (SS1.0): quantity 1,000 is more than the 10 people or children" in result.output
    assert "The line was not kept." in result.output
    record, problems = cases.load_file(str(path))
    assert problems == []
    assert (record.outcomes[-1].code, record.outcomes[-1].years, record.outcomes[-1].acknowledged) == \
        ("SS1.0", Decimal(12), "Three siblings, placements confirmed by the panel")
    assert 'acknowledged = "Three siblings, placements confirmed by the panel"' in path.read_text(encoding="utf-8")
    assert invoke("validate", "--settings", settings).exit_code == 0


def test_guided_entry_refuses_an_acknowledgement_that_looks_like_personal_data(project):
    folder, settings = project
    before = snapshot(folder / "cases")
    result = invoke("case", "update", "BCP-0006", "--settings", settings, input="\n".join([
        "SS1.0", "1000", "1", "", "Panel minutes",
        "Confirmed by sarah@example.com",     # re-asked
        "",                                   # then left: not kept
        "done",
    ]) + "\n")
    assert "e-mail" in result.output, result.output
    assert "The line was not kept." in result.output
    assert_unchanged(before, folder / "cases")


# --- intake ------------------------------------------------------------------------------------


def test_intake_refuses_an_implausible_row_naming_it_with_the_hint(project):
    folder, settings = project
    before = snapshot(folder / "cases")
    workbook = filled_intake(folder, settings, [
        ("BCP-9101", "CR2.0", 2, 1, None, "Police incident check"),
        ("BCP-9101", "SS1.0", 1000, 1, None, "Panel minutes"),
    ])
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert_refused(result, "Outcomes row 3: quantity", "Acknowledged column")
    assert found(result.output, "implausible-line"), result.output
    assert_unchanged(before, folder / "cases")


def test_intake_imports_an_acknowledged_row_with_a_warning(project):
    folder, settings = project
    workbook = filled_intake(folder, settings, [
        ("BCP-9101", "SS1.0", 1000, 1, None, "Panel minutes", "Residential placements for a whole sibling group"),
    ])
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert result.exit_code == 0, result.output
    warned = found(result.output, "implausible-line-acknowledged")
    assert warned and "Outcomes row 2: quantity" in warned[0], result.output
    record, problems = cases.load_file(str(folder / "cases" / "BCP" / "BCP-9101.toml"))
    assert problems == [] and record.outcomes[0].acknowledged == "Residential placements for a whole sibling group"
    again = invoke("intake", "import", workbook, "--settings", settings)  # the same workbook changes nothing
    assert again.exit_code == 0 and "already stored" in again.output, again.output


def test_intake_reads_a_workbook_without_the_acknowledged_column(project):
    folder, settings = project
    workbook = filled_intake(folder, settings, [("BCP-9101", "CR2.0", 2, 1, None, "Police incident check")],
                               acknowledged_column=False)
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert result.exit_code == 0, result.output


def test_an_outcome_entry_without_an_acknowledgement_is_as_before():
    assert models.OutcomeEntry(code="CR2.0", quantity=Decimal(1)).acknowledged == ""
