"""A crosswalk from an older edition's codes to a newer one's (issue #13, deliverable 7): cases
entered against v1.4 codes value with the newer edition named in the settings, each such line
saying so (``HE1.0 -> HE30.0``), and a crosswalk that cannot be followed is refused, row and
column named."""

from __future__ import annotations

import csv
import json
import re

import pytest

from hostile import assert_refused, invoke, sample_project

RENUMBERED = {"HE1.0": "HE30.0", "CR2.0": "CR20.0"}
"""Codes the sample's cases use, renumbered in the 'new edition' made here (CR2.0's parts too)."""


CODE = re.compile(r"\b[A-Z]{2}\d+(?:\.\d+)+")


def renumbered(code: str) -> str:
    for old, new in RENUMBERED.items():
        if code == old or code.startswith(old + "."):
            return new + code[len(old):]
    return code


@pytest.fixture
def project(tmp_path):
    """The sample project moved to a 'new edition': the v1.4 table with HE1.0 and CR2.0 (and
    its parts) renumbered, and the settings naming it with a crosswalk."""
    settings = sample_project(tmp_path)
    table = tmp_path / "unit_costs" / "gmca-ucd-v1.4.csv"
    with table.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        columns, rows = reader.fieldnames, list(reader)
    for row in rows:
        row["code"], row["parent"] = renumbered(row["code"]), renumbered(row["parent"])
    with (tmp_path / "unit_costs" / "gmca-new.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    local = tmp_path / "unit_costs" / "bcp-local.csv"  # the council's own table names the new codes too
    local.write_text(CODE.sub(lambda match: renumbered(match.group(0)), local.read_text(encoding="utf-8")),
                     encoding="utf-8")
    text = settings.read_text(encoding="utf-8").replace('"unit_costs/gmca-ucd-v1.4.csv"', '"unit_costs/gmca-new.csv"')
    settings.write_text('crosswalk = "unit_costs/v14-to-new.csv"\n' + text, encoding="utf-8")
    write_crosswalk(tmp_path, "old_code,new_code,note\nHE1.0,HE30.0,renumbered\nCR2.0,CR20.0,\n")
    return settings


def write_crosswalk(folder, text: str) -> None:
    (folder / "unit_costs" / "v14-to-new.csv").write_text(text, encoding="utf-8")


def report(settings) -> dict:
    result = invoke("report", "--settings", settings, "--year", "2022/23", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def lines_of(data: dict) -> list[dict]:
    return [line for service in data["services"] for case in service["cases"] for line in case["lines"]]


def test_cases_of_old_codes_value_with_the_new_edition_and_say_so(project, tmp_path):
    walked = report(project)
    before = report(sample_project(tmp_path / "before"))
    assert [service["total_saving"] for service in walked["services"]] == [
        service["total_saving"] for service in before["services"]]
    mapped = [line for line in lines_of(walked) if line["code"] in RENUMBERED.values()]
    assert mapped and all(line["description"].endswith(f"({old} -> {line['code']})")
                          for line in mapped for old, new in RENUMBERED.items() if new == line["code"])
    assert not any("->" in line["description"] for line in lines_of(before))
    assert {line["code"] for line in lines_of(walked)}.isdisjoint(RENUMBERED)


def test_case_show_says_the_code_was_mapped(project):
    cases = [path for path in (project.parent / "cases").rglob("*.toml") if 'code = "HE1.0"' in path.read_text()]
    reference = cases[0].stem
    result = invoke("case", "show", reference, "--settings", project)
    assert result.exit_code == 0, result.output
    assert "HE1.0 -> HE30.0" in result.output


def test_without_the_crosswalk_the_old_codes_are_unknown(project):
    project.write_text(project.read_text().replace('crosswalk = "unit_costs/v14-to-new.csv"\n', ""))
    assert_refused(invoke("validate", "--settings", project), "HE1.0", "unknown-cost-code")


@pytest.mark.parametrize("text, where, code", [
    ("old_code,new_code\nHE1.0,HE99.0\nCR2.0,CR20.0\n", "row 2: new_code", "unknown-cost-code"),
    ("old_code,new_code\nHE1.0,HE30.0\nHE1.0,HE30.0\nCR2.0,CR20.0\n", "row 3: old_code", "crosswalk-duplicate"),
    ("old_code,new_code\nHE1.0,XX1.0\nXX1.0,HE30.0\nCR2.0,CR20.0\n", "row 2: new_code", "crosswalk-chain"),
    ("old_code,new_code\nHE1.0,XX1.0\nXX1.0,HE1.0\nCR2.0,CR20.0\n", "row 2: new_code", "crosswalk-chain"),
    ("old_code,new_code\nHE1.0,HE30.0\nCR2.0,CR20.0\nSS1.0,CR20.0\n", "row 4: old_code", "crosswalk-code-in-table"),
    ("old,new\nHE1.0,HE30.0\n", "header", "missing-column"),
])
def test_a_crosswalk_that_cannot_be_followed_is_refused(project, text, where, code):
    write_crosswalk(project.parent, text)
    result = invoke("validate", "--settings", project)
    assert_refused(result, "v14-to-new.csv", where, f"[{code}]")


def test_a_cycle_is_named_as_one(project):
    write_crosswalk(project.parent, "old_code,new_code\nHE1.0,XX1.0\nXX1.0,HE1.0\nCR2.0,CR20.0\n")
    assert "a cycle" in invoke("validate", "--settings", project).output


def test_a_missing_crosswalk_file_is_refused_naming_it(project):
    (project.parent / "unit_costs" / "v14-to-new.csv").unlink()
    assert_refused(invoke("report", "--settings", project), "v14-to-new.csv", "[missing-file]")


# --- the double-count checks see a crosswalked line as the cost it is valued with ---------------


def test_a_declared_overlap_in_part_is_still_seen_through_the_crosswalk(project):
    """BCP-0001 counts CR2.0 (now CR20.0) and HO3.0: CR20.0's housing part is declared not to be
    counted with HO3.0, as CR2.0.5's was, so the sample's one warning stays."""
    result = invoke("validate", "--settings", project)
    assert result.exit_code == 0, result.output
    assert "BCP-0001.toml: outcomes[2].code" in result.stderr and "[declared-overlap-in-part]" in result.stderr
    assert "CR20.0, entered as CR2.0" in result.stderr


def add_line(project, reference: str, code: str) -> None:
    case = next((project.parent / "cases").rglob(f"{reference}.toml"))
    case.write_text(case.read_text(encoding="utf-8") + f'\n[[outcomes]]\ncode = "{code}"\nquantity = 1\n'
                    'description = "Housing part of an incident"\nevidence = "Police incident check"\n',
                    encoding="utf-8")


def test_a_part_and_its_whole_on_one_case_are_refused_through_the_crosswalk(project):
    """BCP-0001 counts CR2.0 (-> CR20.0); a line of CR2.0.5 (-> CR20.0.5, a part of CR20.0) counts
    part of it again."""
    write_crosswalk(project.parent, "old_code,new_code\nHE1.0,HE30.0\nCR2.0,CR20.0\nCR2.0.5,CR20.0.5\n")
    add_line(project, "BCP-0001", "CR2.0.5")
    result = invoke("validate", "--settings", project)
    assert_refused(result, "BCP-0001.toml", "outcomes[4].code", "[double-counted-constituent]")
    assert "CR20.0.5, entered as CR2.0.5" in result.output


def test_a_declared_pair_is_refused_through_the_crosswalk(project):
    """CR2.0.5 (-> CR20.0.5) is declared not to be counted with HO3.0, which BCP-0007 counts."""
    write_crosswalk(project.parent, "old_code,new_code\nHE1.0,HE30.0\nCR2.0,CR20.0\nCR2.0.5,CR20.0.5\n")
    case = next((project.parent / "cases").rglob("BCP-0007.toml"))
    assert 'code = "HO3.0"' in case.read_text()
    add_line(project, "BCP-0007", "CR2.0.5")
    assert_refused(invoke("validate", "--settings", project), "BCP-0007.toml", "[declared-double-count]")


# --- per-code settings for an old code apply to its new code -------------------------------------


def add_settings(project, text: str) -> None:
    project.write_text(project.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def test_a_setting_for_an_old_code_applies_to_its_new_code_with_a_note(project):
    add_settings(project, '[assumptions.deadweight]\ncodes = { "HE1.0" = 0.5 }\n\n'
                          '[assumptions.duration]\ncodes = { "CR2.0" = 2 }\n\n'
                          '[assumptions.transfers]\ncodes = ["HE1.0"]\n')
    lines = lines_of(report(project))
    alcohol = [line for line in lines if line["code"] == "HE30.0"]
    incidents = [line for line in lines if line["code"] == "CR20.0"]
    assert alcohol and all(line["prudent"]["deadweight"] == "0.5" for line in alcohol)
    assert all(line["prudent"]["transfer_share"] == "1" for line in alcohol)
    assert incidents and all(line["years"] == "2" for line in incidents)
    result = invoke("validate", "--settings", project)
    assert result.exit_code == 0, result.output
    for where in ('assumptions.deadweight.codes."HE1.0"', 'assumptions.duration.codes."CR2.0"',
                  'assumptions.transfers.codes."HE1.0"'):
        assert f"up2u-cba.toml: {where}: " in result.stderr and "[crosswalk-setting-mapped]" in result.stderr


@pytest.mark.parametrize("text, where", [
    ('[assumptions.deadweight]\ncodes = { "HE1.0" = 0.5, "HE30.0" = 0.2 }\n', 'assumptions.deadweight.codes."HE1.0"'),
    ('[assumptions.drop_off]\ncodes = { "CR2.0" = 0.1, "CR20.0" = 0.3 }\n', 'assumptions.drop_off.codes."CR2.0"'),
    ('[assumptions.transfers]\ncodes = ["HE1.0"]\nnot_codes = ["HE30.0"]\n', 'assumptions.transfers.codes."HE1.0"'),
])
def test_an_old_and_its_new_code_set_differently_are_refused(project, text, where):
    add_settings(project, text)
    assert_refused(invoke("report", "--settings", project), "up2u-cba.toml", where, "[crosswalk-setting-conflict]")


def test_an_old_and_its_new_code_set_alike_are_one_setting(project):
    add_settings(project, '[assumptions.attribution]\ncodes = { "HE1.0" = 0.5, "HE30.0" = 0.5 }\n')
    alcohol = [line for line in lines_of(report(project)) if line["code"] == "HE30.0"]
    assert alcohol and all(line["prudent"]["attribution"] == "0.5" for line in alcohol)


# --- a crosswalk's problems name it a crosswalk file ---------------------------------------------


def test_a_missing_crosswalk_is_called_a_crosswalk_file(project):
    (project.parent / "unit_costs" / "v14-to-new.csv").unlink()
    result = invoke("validate", "--settings", project)
    assert_refused(result, "v14-to-new.csv", "crosswalk file not found", "check the crosswalk path")
    assert "unit cost file" not in result.output


def test_a_folder_for_a_crosswalk_is_called_a_crosswalk_file(project):
    (project.parent / "unit_costs" / "v14-to-new.csv").unlink()
    (project.parent / "unit_costs" / "v14-to-new.csv").mkdir()
    result = invoke("validate", "--settings", project)
    assert_refused(result, "v14-to-new.csv", "[not-a-file]", "give the path of a crosswalk file")
    assert "unit cost file" not in result.output


# --- every report names the edition its unit cost tables record, and the crosswalk ---------------

NEW_EDITION = "v3.0 (November 2025)"


def new_edition(project) -> None:
    """The 'new edition' table records itself as v3.0, as `costs import` of a v3.0 workbook would."""
    table = project.parent / "unit_costs" / "gmca-new.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("v1.4 (March 2015)", NEW_EDITION), encoding="utf-8")


def test_the_text_report_names_the_tables_edition_and_the_crosswalk(project):
    new_edition(project)
    result = invoke("report", "--settings", project, "--year", "2022/23")
    assert result.exit_code == 0, result.output
    said = result.stdout.split("Unit costs used")[-1]
    assert f"gmca-new.csv ({NEW_EDITION}, 683 costs)" in said and "bcp-local.csv (no edition recorded" in said
    assert "v14-to-new.csv, mapping 2 codes" in said and "CR2.0 -> CR20.0, HE1.0 -> HE30.0" in said
    assert "v1.4" not in said.split("| Code")[0]


def test_the_json_report_names_the_tables_edition_and_the_crosswalk(project):
    new_edition(project)
    data = report(project)
    tables = {table["file"].rsplit("/", 1)[-1]: table for table in data["unit_cost_tables"]}
    assert tables["gmca-new.csv"]["editions"] == [NEW_EDITION] and tables["bcp-local.csv"]["editions"] == []
    assert data["crosswalk"]["file"].endswith("v14-to-new.csv") and data["crosswalk"]["codes_mapped"] == 2
    assert {"old_code": "HE1.0", "new_code": "HE30.0"} in data["crosswalk"]["mapped"]
    national = [cost for cost in data["unit_costs_used"] if cost["file"].endswith("gmca-new.csv")]
    assert national and all(cost["edition"] == NEW_EDITION for cost in national)
    before = report(sample_project(project.parent / "before"))
    assert before["crosswalk"] is None
    assert [table["editions"] for table in before["unit_cost_tables"]] == [["v1.4 (March 2015)"], []]


def test_the_workbook_names_the_tables_edition_and_the_crosswalk(project, tmp_path):
    import openpyxl

    new_edition(project)
    path = tmp_path / "report.xlsx"
    result = invoke("report", "--settings", project, "--year", "2022/23", "--xlsx", str(path))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    info = {row[0]: row[1] for row in book["Run info"].iter_rows(min_col=1, max_col=2, values_only=True) if row[0]}
    assert NEW_EDITION in info["Attribution"] and "v1.4" not in info["Attribution"]
    assert f"({NEW_EDITION}, 683 costs)" in info["Unit cost tables"]
    assert "v14-to-new.csv, mapping 2 codes" in info["Crosswalk"]
    sheet = book["Unit costs used"]
    assert NEW_EDITION in sheet["A2"].value and "v1.4" not in sheet["A2"].value and "mapping 2 codes" in sheet["A2"].value
    headings = [cell.value for cell in sheet[4]]
    rows = [dict(zip(headings, row)) for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]]
    assert {row["Edition"] for row in rows if str(row["File"]).endswith("gmca-new.csv")} == {NEW_EDITION}


# --- review: capitals, an unusable crosswalk, the settings' keys as written ----------------------


@pytest.mark.parametrize("text, where, code", [
    ("old_code,new_code\nHE1.0,HE30.0\nCR2.0,CR20.0\ncr20.0,HE30.0\n", "row 4: old_code", "crosswalk-code-in-table"),
    ("old_code,new_code\nHE1.0,HE30.0\nCR2.0,CR20.0\ncr2.0,HE30.0\n", "row 4: old_code", "crosswalk-duplicate"),
])
def test_codes_differing_only_in_capitals_are_one_code(project, text, where, code):
    """The unit cost tables take CR20.0 and cr20.0 for one code: so does the crosswalk, or a
    case's cr20.0 would be valued as HE30.0."""
    write_crosswalk(project.parent, text)
    assert_refused(invoke("validate", "--settings", project), "v14-to-new.csv", where, f"[{code}]")


@pytest.mark.parametrize("text", [
    "old_code,new_code\nHE1.0,XX1.0\nXX1.0,HE1.0\nCR2.0,CR20.0\n",
    "old_code,new_code\nHE1.0,HE30.0\nHE1.0,HE30.0\nCR2.0,CR20.0\n",
    "old_code,new_code\nHE1.0,HE1.0\nCR2.0,CR20.0\n",
])
def test_an_unusable_crosswalk_does_not_blame_the_cases_codes(project, text):
    """The cases' old codes look unknown only for want of the crosswalk: the crosswalk's problems
    are said, and one problem that the codes were not checked, none asking to change a case."""
    write_crosswalk(project.parent, text)
    add_settings(project, '[assumptions.deadweight]\ncodes = { "CR2.0" = 0.5 }\n')
    result = invoke("validate", "--settings", project)
    assert_refused(result, "v14-to-new.csv", "[codes-not-checked]")
    assert not [line for line in result.output.splitlines()
                if "[unknown-cost-code]" in line and "v14-to-new.csv" not in line]
    assert "did you mean CR20.0" not in result.output


def test_a_conflict_names_the_keys_as_written(project):
    write_crosswalk(project.parent, "old_code,new_code\nHE1.0,HE30.0\nCR2.0,CR20.0\nCRX2.0,CR20.0\n")
    add_settings(project, '[assumptions.deadweight]\ncodes = { "CR2.0" = 0.2, "CRX2.0" = 0.3 }\n')
    result = invoke("validate", "--settings", project)
    assert_refused(result, "up2u-cba.toml", 'assumptions.deadweight.codes."CRX2.0"', "[crosswalk-setting-conflict]")
    assert "(CR2.0 0.2, CRX2.0 0.3, both mapped to CR20.0)" in result.output


def test_an_implausible_duration_names_the_key_as_written(project):
    add_settings(project, '[assumptions.duration]\ncodes = { "CR2.0" = 40 }\n')
    result = invoke("validate", "--settings", project)
    assert_refused(result, "up2u-cba.toml", 'assumptions.duration.codes."CR2.0"', "[implausible-duration]")
    assert 'codes."CR20.0"' not in result.output and "CR2.0 (the crosswalk maps it to CR20.0)" in result.output
