"""Double counting that the unit cost tables declare (issue #10, deliverable 5): a table's
optional ``not_with`` column says that a cost must not be counted with another on one case, and
why; validate, guided entry and intake refuse a case that counts both, naming both lines and the
table's reason. The same code twice on one case is a warning, never a refusal.

Every test works on a copy of the sample project (``sample_project``)."""

from __future__ import annotations

import csv
import re

import pytest

from hostile import assert_refused, assert_unchanged, filled_intake, invoke, sample_project, snapshot
from up2u_cba.inputs import cases

CR1_REASON = "BCP-CR1 is derived from GMCA CR2.0 (Walby 2009)"


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def add_line(path, code: str, quantity: int = 1, extra: str = "") -> None:
    """Append an outcome line to a stored case file, as an analyst would by hand."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f'\n[[outcomes]]\ncode = "{code}"\nquantity = {quantity}\nevidence = "Police incident check"\n'
                     f"{extra}")


def found(output: str, code: str) -> list[str]:
    """The printed lines of problems (or warnings) with ``code``."""
    return [line for line in output.splitlines() if line.rstrip().endswith(f"[{code}]")]


# --- validate ----------------------------------------------------------------------------------


@pytest.mark.parametrize("other", ["CR2.0", "CR2.0.1"])
def test_validate_refuses_a_case_counting_bcp_cr1_with_cr2_0_or_its_constituent(project, other):
    folder, settings = project
    case = folder / "cases" / "BCP" / "BCP-0006.toml"  # HE1.0, then BCP-CR1 x 4
    add_line(case, other)
    result = invoke("validate", "--settings", settings)
    assert_refused(result, f"{case}: outcomes[3].code", "line 3 (" + other + ")", "line 2 (BCP-CR1)",
                   "bcp-local.csv", CR1_REASON)
    assert len(found(result.output, "declared-double-count")) == 1, result.output


def test_the_report_is_refused_too(project):
    folder, settings = project
    add_line(folder / "cases" / "BCP" / "BCP-0006.toml", "CR2.0")
    assert_refused(invoke("report", "--settings", settings, "--year", "2022/23"), "declared-double-count")


def test_a_pair_declared_on_the_national_side_is_refused_with_the_gmca_comment(project):
    """The GMCA comment on CR2.0: its children's social care part overlaps child protection."""
    folder, settings = project
    case = folder / "cases" / "Dorset" / "DOR-0001.toml"  # SS5.0 x 4, SS4.0 x 1
    add_line(case, "CR2.0.4")
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "outcomes[3].code", "line 2 (SS4.0)", "gmca-ucd-v1.4.csv",
                   "child protection and/or statutory homelessness")


def test_the_pair_is_symmetric_whichever_line_comes_first(project):
    folder, settings = project
    case = folder / "cases" / "BCP" / "BCP-0001.toml"  # BCP-SS1, CR2.0, HO3.0
    add_line(case, "BCP-CR1")  # declared by BCP-CR1, which comes after the CR2.0 it names
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "outcomes[4].code", "line 4 (BCP-CR1)", "line 2 (CR2.0)")


def test_the_same_code_twice_is_a_warning_and_the_report_still_runs(project):
    folder, settings = project
    case = folder / "cases" / "BCP" / "BCP-0006.toml"
    add_line(case, "BCP-CR1", 2)
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0, result.output
    warned = found(result.output, "same-code-twice")
    assert len(warned) == 1 and f"{case}: outcomes[3].code" in warned[0] and "line 2" in warned[0]
    assert "2 warnings" in result.output  # (and the sample's own: BCP-0001's declared overlap in part)
    report = invoke("report", "--settings", settings, "--year", "2021/22")
    assert report.exit_code == 0, report.output


def test_the_bundled_sample_declares_its_local_costs_and_still_validates(project):
    """Without errors; its one warning is BCP-0001 counting CR2.0, whose housing part overlaps
    HO3.0 (test_declared_overlaps_in_part)."""
    folder, settings = project
    with open(folder / "unit_costs" / "bcp-local.csv", newline="", encoding="utf-8") as handle:
        declared = {row["code"]: row["not_with"] for row in csv.DictReader(handle)}
    assert declared["BCP-CR1"].startswith("CR2.0:") and declared["BCP-HE1"].startswith("HE1.0:")
    assert declared["BCP-SS1"].startswith("SS1.0")
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0 and "no problems, 1 warning found" in result.output, result.output
    assert len(found(result.output, "declared-overlap-in-part")) == 1, result.output


# --- costs show --------------------------------------------------------------------------------


def test_costs_show_lists_what_a_cost_is_not_counted_with_on_either_side(project):
    _, settings = project
    declaring = invoke("costs", "show", "BCP-CR1", "--settings", settings)
    assert declaring.exit_code == 0, declaring.output
    assert re.search(r"^  CR2\.0  BCP-CR1 is derived", declaring.output, re.M), declaring.output
    named = invoke("costs", "show", "cr2.0.1", "--settings", settings)  # a constituent of the code named
    assert re.search(r"^  BCP-CR1  BCP-CR1 is derived", named.output, re.M), named.output


# --- old and hostile tables --------------------------------------------------------------------


def rewrite_local_table(folder, change) -> None:
    path = folder / "unit_costs" / "bcp-local.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        names, rows = list(reader.fieldnames), list(reader)
    names, rows = change(names, rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_an_older_table_without_the_not_with_and_overrides_columns_still_loads(project):
    folder, settings = project

    def older(names, rows):
        kept = [name for name in names if name not in ("not_with", "overrides")]
        return kept, [{name: row[name] for name in kept} for row in rows]

    rewrite_local_table(folder, older)
    result = invoke("validate", "--settings", settings)
    assert result.exit_code == 0, result.output
    add_line(folder / "cases" / "BCP" / "BCP-0006.toml", "CR2.0")  # nothing declared now: counted
    assert invoke("validate", "--settings", settings).exit_code == 0


@pytest.mark.parametrize("cell, code, named", [
    ('=HYPERLINK("http://example.com","x"): reason', "bad-not-with", "is not a cost code"),
    ("'=cmd|' /C calc'!A0", "bad-not-with", "row 5: not_with"),
    ("CR2.0", "bad-not-with", "gives no reason"),
    ("CR2.0 HE1.0: two codes without a comma", "bad-not-with", "is not a cost code"),
    ("XX9.9: a code no table has", "unknown-cost-code", "XX9.9"),
    ("CR2.0: fine; HE1.O: a letter O for a zero", "unknown-cost-code", "did you mean HE1.0"),
    ("BCP-CR1: itself", "bad-not-with", "names itself"),
    ("CR2.0: derived\x07 from it", "control-character", "row 5"),
])
def test_a_hostile_not_with_cell_is_a_table_problem_naming_the_row(project, cell, code, named):
    folder, settings = project

    def hostile(names, rows):
        rows[3]["not_with"] = cell  # BCP-CR1, row 5 of the file
        return names, rows

    rewrite_local_table(folder, hostile)
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "bcp-local.csv: row 5", named)
    assert found(result.output, code), result.output


def test_a_not_with_naming_the_costs_own_parent_is_a_table_problem(project):
    """A parent and its constituent overlap already (double-counted-constituent): declaring it
    again is a slip, said at the row."""
    folder, settings = project

    def own_parent(names, rows):
        rows[3]["parent"], rows[3]["not_with"] = "CR2.0", "CR2.0: its own parent"
        return names, rows

    rewrite_local_table(folder, own_parent)
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "bcp-local.csv: row 5: not_with", "parent and constituent")
    assert found(result.output, "bad-not-with"), result.output


def test_a_not_with_cell_in_any_capitals_and_with_a_semicolon_in_its_reason_is_read(project):
    folder, settings = project

    def typed(names, rows):
        rows[3]["not_with"] = "cr2.0: derived from it; the same incident; he1.0, HE2.2 : not the same, but declared"
        return names, rows

    rewrite_local_table(folder, typed)
    shown = invoke("costs", "show", "BCP-CR1", "--settings", settings)
    assert shown.exit_code == 0, shown.output
    assert "  CR2.0  derived from it; the same incident" in shown.output
    assert "  HE2.2  not the same, but declared" in shown.output


# --- guided entry ------------------------------------------------------------------------------


def test_guided_entry_refuses_the_line_before_it_is_accepted(project):
    folder, settings = project
    before = snapshot(folder / "cases")
    result = invoke("case", "update", "BCP-0001", "--settings", settings, input="\n".join([
        "BCP-CR1",      # the case counts CR2.0 (line 2): refused the moment it is picked
        "done",         # nothing entered
    ]) + "\n")
    assert "Error: line 4 (BCP-CR1) must not be counted with line 2 (CR2.0)" in result.output, result.output
    assert CR1_REASON in result.output and "bcp-local.csv" in result.output
    assert "Nothing to add." in result.output
    assert_unchanged(before, folder / "cases")


def test_guided_entry_warns_of_the_same_code_twice_and_keeps_the_line(project):
    folder, settings = project
    path = folder / "cases" / "BCP" / "BCP-0006.toml"
    result = invoke("case", "update", "BCP-0006", "--settings", settings, input="\n".join([
        "BCP-CR1", "1", "1", "", "Police incident check", "done", "y"]) + "\n")
    assert result.exit_code == 0, result.output
    assert "Warning: line 3 counts BCP-CR1 again (also line 2)" in result.output
    record, problems = cases.load_file(str(path))
    assert problems == [] and [line.code for line in record.outcomes] == ["HE1.0", "BCP-CR1", "BCP-CR1"]


# --- intake ------------------------------------------------------------------------------------


def test_intake_refuses_the_row_naming_both_lines_and_the_reason(project):
    folder, settings = project
    before = snapshot(folder / "cases")
    workbook = filled_intake(folder, settings, [
        ("BCP-9101", "CR2.0", 2, 1, None, "Police incident check"),
        ("BCP-9101", "HE1.0", 1, 1, None, "Treatment service letter"),
        ("BCP-9101", "BCP-CR1", 1, 1, None, "Police incident check"),
    ])
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert_refused(result, "Outcomes row 4: unit cost", "line 3 (BCP-CR1)", "line 1 (CR2.0)", CR1_REASON)
    assert found(result.output, "declared-double-count"), result.output
    assert_unchanged(before, folder / "cases")


def test_intake_imports_the_same_code_twice_with_a_warning(project):
    folder, settings = project
    workbook = filled_intake(folder, settings, [
        ("BCP-9101", "CR2.0", 2, 1, None, "Police incident check"),
        ("BCP-9101", "CR2.0", 1, 1, None, "Police incident check, later"),
    ])
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert result.exit_code == 0, result.output
    warned = found(result.output, "same-code-twice")
    assert len(warned) == 1 and "Outcomes row 3: unit cost" in warned[0], result.output
    assert (folder / "cases" / "BCP" / "BCP-9101.toml").exists()


def _with_lines(path, count: int, code: str = "HE2.0") -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f'\n[[outcomes]]\ncode = "{code}"\nquantity = 1\n' * count)


def test_a_code_repeated_on_many_lines_is_said_once_a_line_not_once_a_pair(tmp_path):
    """Found attacking issue #11: 3,000 lines of one code gave 4.5 million warnings (one per
    pair of lines) and 25,000 took the machine's memory. Each repeating line is said once,
    beside the code's first line."""
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0011.toml"
    before = path.read_text(encoding="utf-8").count("[[outcomes]]")
    _with_lines(path, 100 - before)
    result = invoke("validate", "--settings", settings)
    said = [line for line in result.output.splitlines() if "[same-code-twice]" in line and "BCP-0011" in line]
    first = before + 1
    assert len(said) == 100 - first
    assert all(f"(also line {first})" in line for line in said)


@pytest.mark.parametrize("extra, refused", [(0, False), (1, True)])
def test_a_case_of_more_than_100_outcome_lines_is_refused(tmp_path, extra, refused):
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0011.toml"
    codes = ("HE2.0", "CR2.0.3")
    before = path.read_text(encoding="utf-8").count("[[outcomes]]")
    for number in range(100 + extra - before):
        _with_lines(path, 1, codes[number % 2])
    result = invoke("validate", "--settings", settings)
    if refused:
        assert_refused(result, str(path), "outcomes", "101 outcome lines", "[too-many-lines]")
    else:
        assert "[too-many-lines]" not in result.output
