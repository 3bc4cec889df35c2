"""A new GMCA edition imported in place of the old table keeps the old table's double-counting
rules (``not_with``) only with ``costs import --rules-from OLD.csv``, and only where the same codes
still describe the same costs (issue #13, review finding: the rules were lost silently)."""

from __future__ import annotations

import csv
import pathlib

import pytest

from hostile import assert_refused, invoke
from up2u_cba.inputs import carried_rules, gmca, unit_costs

UNIT_COSTS = pathlib.Path(__file__).parent.parent / "unit_costs"
WORKBOOK = UNIT_COSTS / "gmca-ucd-v1.4.xlsx"
SHIPPED_CSV = UNIT_COSTS / "gmca-ucd-v1.4.csv"
DECLARED = {"CR2.0.4": ["SS4.0", "SS4.1"], "CR2.0.5": ["HO3.0"]}


def rules(path) -> dict[str, list[str]]:
    loaded, problems = unit_costs.load([str(path)])
    assert problems == []
    return {code: [exclusion.code for exclusion in cost.not_with] for code, cost in loaded.items() if cost.not_with}


def test_an_import_carries_the_rules_of_the_table_it_replaces_and_says_so(tmp_path):
    out = tmp_path / "new.csv"
    result = invoke("costs", "import", WORKBOOK, "-o", out, "--rules-from", SHIPPED_CSV)
    assert result.exit_code == 0, result.output
    assert "3 carried, 0 not carried" in result.output
    assert rules(out) == DECLARED == rules(SHIPPED_CSV)
    same = invoke("costs", "diff", SHIPPED_CSV, out)
    assert "No changes" in same.output, same.output


def test_an_import_without_them_says_it_has_none_and_which_comments_warn_of_double_counting(tmp_path):
    out = tmp_path / "new.csv"
    result = invoke("costs", "import", WORKBOOK, "-o", out)
    assert result.exit_code == 0, result.output
    assert "none (the workbook holds none)" in result.output and "--rules-from" in result.output
    assert "CR2.0" in result.output.split("warn of double")[0].split("comments of")[-1]
    assert rules(out) == {}


@pytest.fixture(scope="module")
def imported():
    return gmca.import_workbook(str(WORKBOOK)).costs


def old_table(tmp_path, change) -> pathlib.Path:
    """The shipped table with ``change(row)`` applied to every row."""
    with open(SHIPPED_CSV, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    path = tmp_path / "old.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(change(dict(row)) or row for row in rows)
    return path


def test_a_rule_is_not_carried_where_a_code_is_gone_or_now_describes_another_cost(tmp_path, imported):
    def renumbered(row):
        if row["code"] == "SS4.1":
            row["description"] = "Something else entirely"
        if row["code"] == "HO3.0":
            row["code"] = "HO3.9"  # (gone from the new edition under its old code)
        row["not_with"] = row["not_with"].replace("HO3.0", "HO3.9")
        row["parent"] = "HO3.9" if row["parent"] == "HO3.0" else row["parent"]
        return row

    costs, lines, problems = carried_rules.carry(imported, str(old_table(tmp_path, renumbered)))
    assert problems == []
    assert {cost.code: [each.code for each in cost.not_with] for cost in costs if cost.not_with} == {"CR2.0.4": ["SS4.0"]}
    assert lines[0].endswith("1 carried, 2 not carried")
    assert any("not carried: CR2.0.4 not with SS4.1: SS4.1 is described differently" in line for line in lines)
    assert any("not carried: CR2.0.5 not with HO3.9: HO3.9 is not in the new edition" in line for line in lines)


def test_an_old_table_with_problems_stops_the_import_and_writes_nothing(tmp_path):
    def broken(row):
        if row["code"] == "CR2.0.4":
            row["fiscal_value"] = "=1+1"
        return row

    old, out = old_table(tmp_path, broken), tmp_path / "new.csv"
    result = invoke("costs", "import", WORKBOOK, "-o", out, "--rules-from", old)
    assert_refused(result, str(old), "fiscal_value")
    assert not out.exists()


def test_rules_from_a_table_without_any_still_names_the_comments_that_warn_of_double_counting(tmp_path):
    """The usual chain: v1.4 -> v2.3 imported without --rules-from -> v3.0 --rules-from v2.3.csv
    (recheck finding: the warning naming the costs was dropped, and the rules lost silently)."""
    plain, out = tmp_path / "plain.csv", tmp_path / "new.csv"
    assert invoke("costs", "import", WORKBOOK, "-o", plain).exit_code == 0
    result = invoke("costs", "import", WORKBOOK, "-o", out, "--rules-from", plain)
    assert result.exit_code == 0, result.output
    assert "0 carried, 0 not carried" in result.output and f"{plain} has none" in result.output
    assert "CR2.0" in result.output.split("warn of double")[0].split("comments of")[-1]


@pytest.mark.parametrize("given, code, says", [("nope.csv", "missing-file", "given as --rules-from"),
                                                ("old.xlsx", "not-a-unit-cost-table", "unit cost CSV")])
def test_a_rules_from_that_is_missing_or_a_workbook_says_so_and_writes_nothing(tmp_path, given, code, says):
    out = tmp_path / "new.csv"
    if given.endswith(".xlsx"):
        (tmp_path / given).write_bytes(WORKBOOK.read_bytes())
    result = invoke("costs", "import", WORKBOOK, "-o", out, "--rules-from", tmp_path / given)
    assert_refused(result, f"[{code}]", says)
    assert "settings" not in result.output.split(f"[{code}]")[0].split(given)[-1]  # (not the settings' hint)
    assert not out.exists()
