"""A declaration that covers a line only in part (issue #10, review of deliverable 5): the
shipped GMCA table declares CR2.0's housing part (CR2.0.5) not to be counted with the statutory
homelessness cost HO3.0, and its children's social care part (CR2.0.4) not with SS4.0/SS4.1. A
case counting the whole of CR2.0 with HO3.0 counts CR2.0.5's money with HO3.0: a warning
(``declared-overlap-in-part``) naming both lines, the part and the table's reason, never a
refusal (GMCA says the part "may need to" be left out, and the sample's BCP-0001 counts both).

Every test works on a copy of the sample project (``sample_project``)."""

from __future__ import annotations

import csv

import pytest

from hostile import assert_refused, filled_intake, invoke, sample_project
from up2u_cba.inputs import cases

CODE = "declared-overlap-in-part"
GMCA_REASON = "child protection and/or statutory homelessness"


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def found(output: str, code: str) -> list[str]:
    """The printed lines of problems (or warnings) with ``code``."""
    return [line for line in output.splitlines() if line.rstrip().endswith(f"[{code}]")]


def add_line(path, code: str, quantity: int = 1) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f'\n[[outcomes]]\ncode = "{code}"\nquantity = {quantity}\nevidence = "Police incident check"\n')


def test_validate_warns_of_the_sample_case_counting_cr2_0_with_ho3_0_and_passes(project):
    folder, settings = project
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0, result.output
    assert "no problems, 1 warning found" in result.output, result.output
    (warning,) = found(result.output, CODE)
    case = folder / "cases" / "BCP" / "BCP-0001.toml"  # BCP-SS1, CR2.0 x 3, HO3.0
    assert f"{case}: outcomes[2].code: line 2 (CR2.0) includes CR2.0.5" in warning, warning
    assert "CR2.0.5 (£129.67 per incident at 2018/19 prices)" in warning  # £110 at 2008/09, uprated
    assert "gmca-ucd-v1.4.csv says is not to be counted with line 3 (HO3.0)" in warning
    assert "`up2u-cba costs show CR2.0.5` says why" in warning  # the table's reason, not repeated per case
    assert "count CR2.0's other parts (CR2.0.1, CR2.0.2, CR2.0.3, CR2.0.4) instead of CR2.0" in warning
    report = invoke("report", "--settings", settings, "--year", "2021/22")  # (the warning never stops a report)
    assert report.exit_code == 0, report.output


def test_counting_the_part_itself_with_ho3_0_is_still_refused(project):
    folder, settings = project
    case = folder / "cases" / "BCP" / "BCP-0001.toml"
    case.write_text(case.read_text(encoding="utf-8").replace('code = "CR2.0"', 'code = "CR2.0.5"'), encoding="utf-8")
    result = invoke("validate", "--settings", settings)
    assert_refused(result, f"{case}: outcomes[3].code", "line 3 (HO3.0)", "line 2 (CR2.0.5)", GMCA_REASON)
    assert found(result.output, "declared-double-count") and not found(result.output, CODE), result.output


def test_a_case_counting_only_one_of_them_gets_no_warning(project):
    folder, settings = project
    case = folder / "cases" / "BCP" / "BCP-0001.toml"
    text = case.read_text(encoding="utf-8")
    case.write_text(text[:text.rindex("[[outcomes]]")], encoding="utf-8")  # HO3.0 taken out: CR2.0 alone
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0 and "no problems found" in result.output, result.output
    assert not found(result.output, CODE)


def test_the_childrens_social_care_part_is_warned_of_with_child_protection(project):
    folder, settings = project
    case = folder / "cases" / "Dorset" / "DOR-0001.toml"  # SS5.0 x 4, SS4.0 x 1
    add_line(case, "CR2.0", 2)
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in found(result.output, CODE) if "DOR-0001" in line]
    assert "outcomes[3].code: line 3 (CR2.0) includes CR2.0.4" in warning and "line 2 (SS4.0)" in warning
    assert "(CR2.0.1, CR2.0.2, CR2.0.3, CR2.0.5)" in warning


def test_a_declaration_naming_a_part_warns_of_a_line_counting_its_whole(project):
    """One side declaring is enough, on the named side too: BCP-CR1 declared not with CR2.0.3
    (the police part) warns of a case counting BCP-CR1 with the whole of CR2.0."""
    folder, settings = project
    path = folder / "unit_costs" / "bcp-local.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        names, rows = list(reader.fieldnames), list(reader)
    for row in rows:
        if row["code"] == "BCP-CR1":
            row["not_with"] = "CR2.0.3: both value the police's time on one incident"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    case = folder / "cases" / "BCP" / "BCP-0006.toml"  # HE1.0, then BCP-CR1 x 4
    add_line(case, "CR2.0")
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in found(result.output, CODE) if "BCP-0006" in line]
    assert "outcomes[3].code: line 3 (CR2.0) includes CR2.0.3" in warning and "line 2 (BCP-CR1)" in warning
    assert "bcp-local.csv says is not to be counted with line 2 (BCP-CR1)" in warning, warning
    assert "`up2u-cba costs show BCP-CR1` says why" in warning


def test_guided_entry_warns_and_keeps_the_line(project):
    folder, settings = project
    path = folder / "cases" / "BCP" / "BCP-0005.toml"  # CR2.0 x 3, HE11.0, SS5.0 x 2
    result = invoke("case", "update", "BCP-0005", "--settings", settings, input="\n".join([
        "HO3.0", "1", "1", "", "Housing options confirm tenancy sustained", "done", "y"]) + "\n")
    assert result.exit_code == 0, result.output
    assert "Warning: line 1 (CR2.0) includes CR2.0.5" in result.output, result.output
    assert "says is not to be counted with line 4 (HO3.0)" in result.output
    record, problems = cases.load_file(str(path))
    assert problems == [] and [line.code for line in record.outcomes][-1] == "HO3.0"


def test_intake_imports_the_case_and_shows_the_warning_at_its_row(project):
    folder, settings = project
    workbook = filled_intake(folder, settings, [("BCP-9101", "HO3.0", 1, 1, None, "Housing options letter"),
                                                ("BCP-9101", "CR2.0", 2, 1, None, "Police incident check")])
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert result.exit_code == 0, result.output
    (warning,) = found(result.output, CODE)
    assert "Outcomes row 3: unit cost" in warning and "line 2 (CR2.0) includes CR2.0.5" in warning, warning
    assert (folder / "cases" / "BCP" / "BCP-9101.toml").exists()
