"""Numbers shown as they are meant, and the outputs an analyst asked for (issue #12, deliverables
5 and 6, in part): ratios in the JSON always with 2 decimals ("0.80", not "0.8"), a half penny
rounded up wherever pence are shown (£640.825 is £640.83), the outcome lines as CSV safe to open
in Excel, and a workbook written without printing the report."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from hostile import invoke, sample_project

HALF_PENNY = ("BCP-HP1,Health,HEALTH,ALCOHOL MISUSE,A cost of a half penny,Per person,NHS,,640.825,2018/19,"
              ",,,,Invented for a test,A,,,,\n")


def test_every_ratio_in_the_json_report_has_two_decimals(tmp_path):
    settings = sample_project(tmp_path)
    result = invoke("report", "--format", "json", "--settings", settings)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ratios = [summary["return_on_investment"] for summary in data["services"]]
    ratios += [summary["prudent"][key] for summary in data["services"] for key in ("financial_return",
                                                                                   "public_value_ratio")]
    ratios += [row["return_on_investment"] for row in data["years"]]
    ratios += [item["central"]["return_on_investment"] for item in data["sensitivity"]]
    ratios += [row[side]["return_on_investment"] for item in data["sensitivity"] for row in item["assumptions"]
               for side in ("at_low", "at_high")]
    ratios = [ratio for ratio in ratios if ratio is not None]
    assert len(ratios) > 10
    assert [ratio for ratio in ratios if not re.fullmatch(r"-?\d+\.\d\d", ratio)] == []
    assert any(ratio.endswith("0") for ratio in ratios)  # (one that normalising would have cut short)


def test_a_half_penny_is_shown_rounded_up(tmp_path):
    settings = sample_project(tmp_path)
    with open(tmp_path / "unit_costs" / "bcp-local.csv", "a", encoding="utf-8") as handle:
        handle.write(HALF_PENNY)
    result = invoke("costs", "show", "BCP-HP1", "--settings", settings)
    assert result.exit_code == 0, result.output
    assert "£640.83" in result.output and "£640.82" not in result.output
    found = invoke("costs", "search", "half penny", "--settings", settings)
    assert "£640.83" in found.output and "£640.82" not in found.output, found.output


def _lines_csv(settings, *options):
    result = invoke("report", "--format", "csv", *options, "--settings", settings)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_the_outcome_lines_as_csv_add_up_to_the_report(tmp_path):
    """issue #12, deliverable 6 in part: `report --format csv`, one row per outcome line."""
    settings = sample_project(tmp_path)
    rows = _lines_csv(settings)
    data = json.loads(invoke("report", "--format", "json", "--settings", settings).output)
    for summary in data["services"]:
        mine = [row for row in rows if row["service"] == summary["service"]]
        assert len(mine) == sum(len(case["lines"]) for case in summary["cases"])
        assert sum(int(row["saving"]) for row in mine) == summary["total_saving"]
        assert sum(int(row["prudent_saving"]) for row in mine) == summary["prudent"]["total_saving"]
        assert {row["year"] for row in mine} == {summary["year"]}
    assert all(row["code"] and row["price_year"] and row["uprating_factor"] for row in rows)


def test_text_in_the_csv_that_a_spreadsheet_would_run_is_quoted(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0016.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('evidence = "', 'evidence = "=HYPERLINK(1)', 1), encoding="utf-8")
    rows = [row for row in _lines_csv(settings) if row["reference"] == "BCP-0016"]
    assert rows and rows[0]["evidence"].startswith("'=HYPERLINK(1)")
    assert not any(value.startswith(("=", "+", "@")) for row in rows for value in row.values())


def test_quiet_writes_the_workbook_and_prints_no_report(tmp_path):
    settings = sample_project(tmp_path)
    workbook = tmp_path / "out.xlsx"
    result = invoke("report", "--quiet", "--xlsx", workbook, "--settings", settings)
    assert result.exit_code == 0, result.output
    assert workbook.exists()
    assert "Up2U cost-benefit analysis" not in result.output and "Workbook written to" in result.output


def test_prudent_is_said_to_equal_gross_where_no_assumption_moves_a_line(tmp_path):
    """issue #12, deliverable 3 in part: the sample sets no assumption and has no line lasting
    beyond a year, so its prudent figures are the gross ones, and the reports say so."""
    settings = sample_project(tmp_path)
    text = invoke("report", "--settings", settings).output
    assert "Prudent equals gross for BCP in 2022/23" in text and "not a conservative estimate" in text
    assert "Prudent equals gross for BCP and Dorset in 2022/23" in text  # (the services together)
    data = json.loads(invoke("report", "--format", "json", "--settings", settings).output)
    assert [summary["prudent"]["adjusted"] for summary in data["services"]] == [False, False]


@pytest.mark.parametrize("change", ["deadweight", "a line of two years"])
def test_prudent_is_not_said_to_equal_gross_once_anything_moves_a_line(tmp_path, change):
    settings = sample_project(tmp_path)
    if change == "deadweight":
        with open(settings, "a", encoding="utf-8") as handle:
            handle.write('\n[assumptions.deadweight]\ndefault = 0.1\nnote = "a test"\n')
    else:  # (the default discount rate reduces its second year)
        path = tmp_path / "cases" / "BCP" / "BCP-0016.toml"
        text = path.read_text(encoding="utf-8")
        assert "years = " not in text
        path.write_text(text.replace("quantity = 4\n", "quantity = 4\nyears = 2\n", 1), encoding="utf-8")
    text = invoke("report", "--settings", settings).output
    assert "Prudent equals gross for BCP" not in text  # (nor for BCP and Dorset together)
    data = json.loads(invoke("report", "--format", "json", "--settings", settings).output)
    assert data["services"][0]["prudent"]["adjusted"] is True
    assert data["services"][0]["prudent"]["total_saving"] < data["services"][0]["total_saving"]


def test_cost_per_completer_and_completion_rate_beside_the_savings(tmp_path):
    """issue #12, deliverable 6 in part. The sample's BCP year: 20 completed, 20 closed (8
    disengaged or on hold, 9 no contact, 3 not suitable), spend £90,000."""
    settings = sample_project(tmp_path)
    data = json.loads(invoke("report", "--format", "json", "--settings", settings).output)
    bcp = data["services"][0]
    rows = {row["category"]: row["total"] for row in bcp["participants"]["rows"]}
    ended = rows["Successful completers"] + rows["Disengaged or on hold"] + rows["No contact / no engagement"] + \
        rows["Not suitable for programme"]
    assert (bcp["cost_per_completer"], bcp["ended"], bcp["completion_rate"]) == ("4500.00", ended, "0.5000") == \
        (f"{90000 / 20:.2f}", 40, "0.5000")  # (to the penny: issue #13)
    text = invoke("report", "--service", "BCP", "--settings", settings).output
    assert re.search(r"Cost per completed case .*\| +£4,500.00 \|", text)
    assert "20 of 40 (50.0%)" in text


def test_all_services_together_where_the_report_covers_several(tmp_path):
    settings = sample_project(tmp_path)
    data = json.loads(invoke("report", "--format", "json", "--settings", settings).output)
    together, services = data["all_services"], data["services"]
    assert together["services"] == [summary["service"] for summary in services] == ["BCP", "Dorset"]
    for key in ("completers", "total_saving", "spend", "ended"):
        assert together[key] == sum(summary[key] for summary in services), key
    assert together["prudent"]["total_saving"] == sum(summary["prudent"]["total_saving"] for summary in services)
    assert together["net_saving"] == together["total_saving"] - together["spend"]
    assert together["return_on_investment"] == f"{together['total_saving'] / together['spend']:.2f}"
    assert "== All services (BCP and Dorset), 2022/23 ==" in invoke("report", "--settings", settings).output
    one = json.loads(invoke("report", "--service", "BCP", "--format", "json", "--settings", settings).output)
    assert one["all_services"] is None


def test_all_services_sets_nothing_against_spend_while_one_service_has_none(tmp_path):
    settings = sample_project(tmp_path)
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace('spend = { "2022/23" = 45000 }', "spend = {}"), encoding="utf-8")
    data = json.loads(invoke("report", "--format", "json", "--settings", settings).stdout)
    together = data["all_services"]
    assert together["spend_set"] is False
    assert (together["spend"], together["net_saving"], together["return_on_investment"],
            together["cost_per_completer"]) == (None, None, None, None)
    assert together["total_saving"] == sum(summary["total_saving"] for summary in data["services"])
