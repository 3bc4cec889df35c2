"""The bundled synthetic sample reproduces every figure BCP published for 2022/23
(../shared/docs/domain.md), in the report model and in the JSON the CLI prints."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import SETTINGS
from up2u_cba import pipeline
from up2u_cba.method import calculate
from up2u_cba.cli.main import main

PUBLISHED_PARTICIPANTS = {
    "Total number of referrals": (24, 4, 13, 41),
    "Successful completers": (10, 1, 9, 20),
    "On programme currently": (5, 1, 2, 8),
    "In assessment stage": (5, 2, 2, 9),
    "Disengaged or on hold": (6, 1, 1, 8),
    "No contact / no engagement": (7, 0, 2, 9),
    "Not suitable for programme": (1, 0, 2, 3),
}
PUBLISHED_EXAMPLE = [
    ("Children placed with paternal grandparents - prevented from going into care", 135754),
    ("Abstinent from alcohol for 1 year", 2113),
    ("Improvements in mental well-being", 2530),
    ("Reduction in domestic abuse, incidents x1", 3253),
]
EXAMPLE_REFERENCE = "BCP-0011"


@pytest.fixture(scope="module")
def report():
    return pipeline.run(str(SETTINGS))


@pytest.fixture(scope="module")
def bcp(report):
    return next(summary for summary in report.services if summary.service == "BCP")


def test_default_run_is_the_latest_year_for_both_services(report):
    assert str(report.year) == "2022/23"
    assert [summary.service for summary in report.services] == ["BCP", "Dorset"]
    assert str(report.price_year) == "2018/19"
    assert "March 2026" in report.deflator_series


def test_participant_table_matches_every_published_cell(bcp):
    table = bcp.participants
    assert table.localities == ("Bournemouth", "Christchurch", "Poole")
    for row, (bournemouth, christchurch, poole, total) in PUBLISHED_PARTICIPANTS.items():
        assert table.counts[row] == {"Bournemouth": bournemouth, "Christchurch": christchurch, "Poole": poole}, row
        assert table.total(row) == total


def test_published_example_case(bcp):
    case = next(case for case in bcp.cases if case.reference == EXAMPLE_REFERENCE)
    assert [(line.description, line.saving) for line in case.lines] == PUBLISHED_EXAMPLE
    assert case.total == 143650


def test_service_totals_match_the_published_figures(bcp):
    assert bcp.completers == 20
    assert bcp.total_saving == 627982
    assert bcp.spend == 90000
    assert bcp.net_saving == 537982
    assert str(bcp.return_on_investment) == "6.98"
    # every total is the exact sum of its lines
    assert sum(line.saving for line in bcp.lines) == bcp.total_saving
    for breakdown in (bcp.by_agency, bcp.by_locality, bcp.by_theme):
        assert sum(breakdown.values()) == bcp.total_saving


def test_savings_at_national_codes_are_uprated_with_the_shipped_series(bcp):
    he1 = [line for line in bcp.lines if line.code == "HE1.0"]
    assert he1 and all(line.saving == 2095 * line.quantity for line in he1)
    cr2 = [line for line in bcp.lines if line.code == "CR2.0"]
    assert cr2, "the sample counts DA incidents with GMCA CR2.0"
    for line in cr2:
        assert len(line.agency_shares) == 5
        assert sum(amount for _, amount in line.agency_shares) == line.saving


def test_an_earlier_year_is_reported_on_its_own_cases():
    earlier = pipeline.run(str(SETTINGS), year="2021/22", service="BCP")
    (summary,) = earlier.services
    assert summary.spend == 85000
    assert summary.cases and all(str(calculate.models.FinancialYear.containing(case.completed_on)) == "2021/22"
                                 for case in summary.cases)


def test_json_carries_the_same_figures():
    result = CliRunner().invoke(main, ["report", "--settings", str(SETTINGS), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "up2u-cba/report/3"
    assert (data["year"], data["price_year"]) == ("2022/23", "2018/19")
    assert "March 2026" in data["deflators"]["series"]
    bcp = data["services"][0]
    assert (bcp["service"], bcp["total_saving"], bcp["spend"], bcp["net_saving"], bcp["return_on_investment"]) == \
        ("BCP", 627982, 90000, 537982, "6.98")
    rows = {row["category"]: row for row in bcp["participants"]["rows"]}
    for category, (bournemouth, christchurch, poole, total) in PUBLISHED_PARTICIPANTS.items():
        assert rows[category]["counts"] == {"Bournemouth": bournemouth, "Christchurch": christchurch, "Poole": poole}
        assert rows[category]["total"] == total
    example = next(case for case in bcp["cases"] if case["reference"] == EXAMPLE_REFERENCE)
    assert [(line["description"], line["saving"]) for line in example["lines"]] == PUBLISHED_EXAMPLE
    assert example["total_saving"] == 143650
    assert sum(line["saving"] for case in bcp["cases"] for line in case["lines"]) == bcp["total_saving"]
    assert sum(case["total_saving"] for case in bcp["cases"]) == bcp["total_saving"]
    for key in ("by_agency", "by_locality", "by_theme"):
        assert sum(item["saving"] for item in bcp[key]) == bcp["total_saving"]
    used = {cost["code"] for cost in data["unit_costs_used"]}
    assert used == {line["code"] for case in bcp["cases"] + data["services"][1]["cases"] for line in case["lines"]}
    assert all(len(item["sha256"]) == 64 for item in data["inputs"])


def test_text_report_prints_the_three_published_tables():
    result = CliRunner().invoke(main, ["report", "--settings", str(SETTINGS), "--service", "BCP"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "| Total number of referrals  |            24 |              4 |      13 |          41 |" in text
    assert "| Total saving                                                                | £143,650 |" in text
    for figure in ("£627,982", "£90,000", "£537,982", "£6.98 for every £1 spent"):
        assert figure in text
    assert "Dorset" not in text
