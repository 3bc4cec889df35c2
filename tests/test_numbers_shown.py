"""Numbers shown as they are meant (issue #12, deliverable 5, in part): ratios in the JSON
always with 2 decimals ("0.80", not "0.8"), and a half penny rounded up wherever pence are
shown (£640.825 is £640.83), not to the even penny."""

from __future__ import annotations

import json
import re

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
