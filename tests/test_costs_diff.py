"""`up2u-cba costs diff OLD.csv NEW.csv` (issue #13, deliverable 7): what changed between two
imported editions, as a text table and as JSON."""

from __future__ import annotations

import json

from hostile import invoke

HEADER = "code,theme,description,unit,agency_1,fiscal_value,fiscal_price_year,economic_value,economic_price_year,rag\n"
OLD = HEADER + """\
CR1.0,Crime,Anti-social behaviour,Per incident,Police,500,2002/03,,,R
CR2.0,Crime,Domestic violence incident,Per incident,Multiple,2470,2008/09,1473,2008/09,A
HE1.0,Health,Alcohol dependency,Per person per year,NHS,1800,2009/10,,,A
SS1.0,Social Services,Looked after child,Per year,Local Authority,52000,2013/14,,,G
FI1.0,Fire,Dwelling fire,Per incident,Fire,3000,2008/09,,,A
"""
NEW = HEADER + """\
CR1.0,Crime,Anti-social behaviour,Per incident,Police,500,2002/03,,,R
CR2.0,Crime,Domestic violence incident,Per incident,Multiple,2470,2008/09,,,G
HE1.0,Health,Alcohol dependency,Per person per year,NHS,1800,2012/13,,,A
SS1.0,Social Services,Looked after child,Per year,Local Authority,61000,2013/14,,,G
DA1.0,Crime,MARAC case,Per case,Multiple,1200,2023/24,,,A
"""


def tables(tmp_path, old: str = OLD, new: str = NEW) -> tuple[str, str]:
    (tmp_path / "old.csv").write_text(old, encoding="utf-8")
    (tmp_path / "new.csv").write_text(new, encoding="utf-8")
    return str(tmp_path / "old.csv"), str(tmp_path / "new.csv")


def test_codes_added_removed_revalued_and_re_rated_as_a_table(tmp_path):
    old, new = tables(tmp_path)
    result = invoke("costs", "diff", old, new)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"From {old} to {new}: 1 added, 1 removed, 3 revalued, 1 re-rated, 0 redefined, 0 re-sourced"
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines[3:]]
    assert rows == [
        ["added", "DA1.0", "MARAC case", "", "fiscal 1200 (2023/24)"],
        ["removed", "FI1.0", "Dwelling fire", "fiscal 3000 (2008/09)", ""],
        ["revalued", "CR2.0", "Domestic violence incident", "economic 1473 (2008/09)", "economic none"],
        ["revalued", "HE1.0", "Alcohol dependency", "fiscal 1800 (2009/10)", "fiscal 1800 (2012/13)"],
        ["revalued", "SS1.0", "Looked after child", "fiscal 52000 (2013/14)", "fiscal 61000 (2013/14)"],
        ["re-rated", "CR2.0", "Domestic violence incident", "A", "G"],
    ]


def test_the_same_changes_as_json(tmp_path):
    old, new = tables(tmp_path)
    result = invoke("costs", "diff", old, new, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"] == {"added": 1, "removed": 1, "revalued": 3, "re-rated": 1, "redefined": 0, "re-sourced": 0}
    assert [(change["kind"], change["code"]) for change in data["changes"]] == [
        ("added", "DA1.0"), ("removed", "FI1.0"), ("revalued", "CR2.0"), ("revalued", "HE1.0"),
        ("revalued", "SS1.0"), ("re-rated", "CR2.0")]
    assert data["changes"][3] == {"kind": "revalued", "code": "HE1.0", "description": "Alcohol dependency",
                                  "old": "fiscal 1800 (2009/10)", "new": "fiscal 1800 (2012/13)"}


def test_two_equal_tables_have_no_changes(tmp_path):
    old, new = tables(tmp_path, OLD, OLD)
    result = invoke("costs", "diff", old, new)
    assert result.exit_code == 0
    assert "No changes" in result.stdout and "0 added, 0 removed, 0 revalued, 0 re-rated, 0 redefined, 0 re-sourced" in result.stdout


def test_a_table_that_cannot_be_read_is_a_problem_naming_it(tmp_path):
    old, _ = tables(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "CR1.0,Crime,ASB,Per incident,Police,lots,2002/03,,,R\n", encoding="utf-8")
    result = invoke("costs", "diff", old, str(bad))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "bad.csv: row 2: fiscal_value" in result.stderr and "[bad-number]" in result.stderr
    missing = invoke("costs", "diff", str(tmp_path / "none.csv"), old)
    assert missing.exit_code == 1 and "[missing-file]" in missing.stderr


def rows_of(result) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")[1:-1]] for line in result.stdout.splitlines()[3:]]


LOCAL_HEADER = "code,theme,description,unit,agency_1,agency_2,fiscal_value,fiscal_price_year,rag,parent,transfer\n"


def test_a_change_of_what_a_cost_is_is_redefined_old_to_new(tmp_path):
    old, new = tables(tmp_path, LOCAL_HEADER + """\
EE1.0,Employment,Claimant into work,Per person,DWP,,9234,2013/14,A,,
EE1.0.1,Employment,Benefit payments,Per person,DWP,,900,2013/14,A,EE1.0,
EE1.0.2,Employment,Improved health,Per person,NHS,,100,2013/14,A,EE1.0,
""", LOCAL_HEADER + """\
EE1.0,Employment,Claimant into work,Per person per year,DWP,,9234,2013/14,A,,
EE1.0.1,Employment,Benefit payments,Per person,DWP,Jobcentre Plus,900,2013/14,A,EE1.0,yes
EE1.0.2,Employment,Better health,Per person,NHS,,100,2013/14,A,,
""")
    result = invoke("costs", "diff", old, new)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("0 revalued, 0 re-rated, 3 redefined, 0 re-sourced")
    assert rows_of(result) == [
        ["redefined", "EE1.0", "Claimant into work", "unit: Per person", "unit: Per person per year"],
        ["redefined", "EE1.0.1", "Benefit payments", "agency_2: none; transfer: no",
         "agency_2: Jobcentre Plus; transfer: yes"],
        ["redefined", "EE1.0.2", "Better health", "description: Improved health; parent: EE1.0",
         "description: Better health; parent: none"],
    ]


def test_values_are_shown_as_written_and_equal_amounts_written_differently_are_no_change(tmp_path):
    old, new = tables(tmp_path, HEADER + """\
CR1.0,Crime,Anti-social behaviour,Per incident,Police,500,2002/03,,,R
CR2.0,Crime,Domestic violence incident,Per incident,Multiple,0.1,2008/09,,,A
""", HEADER + """\
CR1.0,Crime,Anti-social behaviour,Per incident,Police,500.00,2002/03,,,R
CR2.0,Crime,Domestic violence incident,Per incident,Multiple,"1,800.50",2008/09,,,A
""")
    result = invoke("costs", "diff", old, new)
    assert result.exit_code == 0, result.output
    assert rows_of(result) == [["revalued", "CR2.0", "Domestic violence incident", "fiscal 0.1 (2008/09)",
                                "fiscal 1,800.50 (2008/09)"]]
    data = json.loads(invoke("costs", "diff", old, new, "--format", "json").stdout)
    assert data["changes"][0]["new"] == "fiscal 1,800.50 (2008/09)"


def test_local_tables_naming_codes_of_another_file_are_compared_as_written(tmp_path):
    local = LOCAL_HEADER.rstrip("\n") + ",not_with\n"
    old, new = tables(tmp_path, local + """\
BCP1.0,Crime,MARAC case,Per case,Police,,1200,2023/24,A,CR2.0,,CR2.0: the same incident
""", local + """\
BCP1.0,Crime,MARAC case,Per case,Police,,1300,2023/24,A,CR2.0,,CR2.0: the same incident
""")
    result = invoke("costs", "diff", old, new)
    assert result.exit_code == 0, result.output
    assert rows_of(result) == [["revalued", "BCP1.0", "MARAC case", "fiscal 1200 (2023/24)", "fiscal 1300 (2023/24)"]]


RULES_HEADER = "code,theme,description,unit,agency_1,fiscal_value,fiscal_price_year,rag,overrides,not_with,source,edition\n"


def test_rules_theme_and_overrides_changed_are_redefined_and_source_or_edition_re_sourced(tmp_path):
    old, new = tables(tmp_path, RULES_HEADER + """\
CR2.0,Crime,Domestic violence incident,Per incident,Multiple,2470,2008/09,A,,HE1.0: the same injury,Home Office,v1.4
CR3.0,Crime,Arrest,Per arrest,Police,700,2008/09,A,yes,,Home Office,v1.4
HE1.0,Health,A&E attendance,Per attendance,NHS,120,2012/13,A,,,NHS reference costs,v1.4
""", RULES_HEADER + """\
CR2.0,Crime,Domestic violence incident,Per incident,Multiple,2470,2008/09,A,,,Home Office,v1.4
CR3.0,Crime,Arrest,Per arrest,Police,700,2008/09,A,,,Home Office,v1.4
HE1.0,Health services,A&E attendance,Per attendance,NHS,120,2012/13,A,,,NHS Digital,v3.0
""")
    result = invoke("costs", "diff", old, new)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("0 re-rated, 3 redefined, 1 re-sourced")
    assert rows_of(result) == [
        ["redefined", "CR2.0", "Domestic violence incident", "not_with: HE1.0: the same injury", "not_with: none"],
        ["redefined", "CR3.0", "Arrest", "overrides: yes", "overrides: no"],
        ["redefined", "HE1.0", "A&E attendance", "theme: Health", "theme: Health services"],
        ["re-sourced", "HE1.0", "A&E attendance", "source: NHS reference costs; edition: v1.4",
         "source: NHS Digital; edition: v3.0"],
    ]
    counts = json.loads(invoke("costs", "diff", old, new, "--format", "json").stdout)["counts"]
    assert counts["redefined"] == 3 and counts["re-sourced"] == 1


def test_no_changes_says_what_was_compared(tmp_path):
    old, new = tables(tmp_path, OLD, OLD)
    result = invoke("costs", "diff", old, new)
    assert "not_with" in result.stdout and "overrides" in result.stdout and "source" in result.stdout


def test_a_missing_table_names_the_command_line_argument_not_the_settings(tmp_path):
    old, _ = tables(tmp_path)
    for argument, paths in (("OLD", [str(tmp_path / "none.csv"), old]), ("NEW", [old, str(tmp_path / "none.csv")])):
        result = invoke("costs", "diff", *paths)
        assert result.exit_code == 1 and "[missing-file]" in result.stderr
        assert f"given as {argument} on the command line" in result.stderr
        assert "settings" not in result.stderr
