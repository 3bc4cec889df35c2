"""`costs import` reads what the GMCA workbook says about transfers, and imports every cost row
(issue #13, deliverables 1 and 2, the importer's half): the shipped v1.4 workbook through the
command line, and small workbooks (built with ``test_gmca_import.make_workbook``) for the rules.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import openpyxl
import openpyxl.comments
import pytest

from project_text import completed_case, settings_text
from conftest import GMCA_CSV, ROOT
from hostile import invoke
from test_gmca_import import make_workbook, row
from up2u_cba.inputs import gmca

WORKBOOK = ROOT / "unit_costs" / "gmca-ucd-v1.4.xlsx"

TRANSFERS = {"E&S5.0", "E&S6.0", "E&S7.0", "E&S8.0", "E&S9.0", "E&S10.0", "E&S11.0", "E&S12.0", "E&S13.0",
             "E&E1.0.1", "E&E2.0.1", "E&E3.0.1"}
"""What the v1.4 comments and cell notes name: the fiscal (tax) values of E&S5.0-E&S13.0, and the
benefit-payment parts of E&E1.0-E&E3.0 (read from the workbook, listed here to check it)."""


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """`costs import` of the shipped v1.4 workbook: (the command's result, the CSV's rows by code)."""
    output = tmp_path_factory.mktemp("import") / "gmca.csv"
    result = invoke("costs", "import", str(WORKBOOK), "-o", str(output))
    assert result.exit_code == 0, result.output
    with output.open(newline="", encoding="utf-8") as file:
        return result, {line["code"]: line for line in csv.DictReader(file)}


# --- transfers ---------------------------------------------------------------------------------


def test_the_transfers_the_workbook_names_are_marked_and_nothing_else(imported):
    _, rows = imported
    assert {code for code, line in rows.items() if line["transfer"] == "yes"} == TRANSFERS
    assert {line["transfer"] for code, line in rows.items() if code not in TRANSFERS} == {""}


def test_the_nhs_part_of_a_benefit_saving_is_not_a_transfer(imported):
    _, rows = imported
    assert rows["E&E1.0.1"]["transfer"] == "yes" and rows["E&E1.0.1"]["agency_1"] == "DWP"
    assert rows["E&E1.0.2"]["transfer"] == "" and rows["E&E1.0.2"]["agency_1"] == "NHS"
    assert rows["E&E1.0"]["transfer"] == ""  # the headline holds both parts: the method values it by part
    assert rows["E&S8.1"]["transfer"] == ""  # no comment of its own says so: not guessed from the code


def test_the_summary_lists_each_transfer_with_the_words_that_say_so(imported):
    result, _ = imported
    lines = result.stdout.splitlines()
    heading = lines.index("Transfers (fiscal value left out of public value), 12 costs, as the workbook says:")
    listed = lines[heading + 1:]
    assert "  E&E1.0.1" in listed and "  E&S5.0" in listed
    by_note = [line for line in listed if "Employment & Economy row 3 E&E1.0 note on H3" in line]
    assert len(by_note) == 1 and "£9,234 fiscal benefit to DWP should be excluded" in by_note[0]
    by_comment = [line for line in listed if "Employment & Economy row 3 E&E1.0 comment" in line]
    assert len(by_comment) == 1 and "fiscal saving from benefits payments should be excluded" in by_comment[0]
    assert any("Education & Skills row 37 E&S13.0 comment" in line and "transfer payment" in line for line in listed)


def with_comment(cells: list, text: str) -> list:
    cells[18] = text
    return cells


BENEFIT_PARTS = [
    with_comment(row("EE1.0", "Claimant into work", 1000), "The £900 fiscal benefit to DWP should be excluded, "
                 "as it is a transfer payment.  The rest is health."),
    row("EE1.0.1", "Claimant into work - benefit payments", 900, agency_1="DWP"),
    row("EE1.0.2", "Claimant into work - improved health", 100),
    with_comment(row("EE2.0", "Qualification", 50), "When calculating public value the fiscal saving from "
                 "tax receipts should be excluded, as this is a transfer payment."),
    row("EE2.0.1", "Qualification - earnings", 50),
    with_comment(row("EE3.0", "Not a transfer", 70), "Transfer payments are covered elsewhere; this cost is real."),
    row("EE4.0", "Noted on its value cell", 80),
]


def test_a_part_named_by_its_amount_is_marked_and_one_no_part_matches_is_a_note(tmp_path):
    path = make_workbook(tmp_path / "book.xlsx", {"Employment & Economy": BENEFIT_PARTS})
    book = openpyxl.load_workbook(path)
    book["Employment & Economy"]["H9"].comment = openpyxl.comments.Comment(
        "When calculating total public value, the fiscal benefit to HMT should be excluded, as it is a "
        "transfer payment.", "GMCA")
    book.save(path)
    result = gmca.import_workbook(path)
    assert {mark.code for mark in result.transfers} == {"EE1.0.1", "EE4.0"}
    assert [(mark.said_by, mark.where) for mark in result.transfers] == [("EE1.0", "comment"), ("EE4.0", "note on H9")]
    assert [note for note in result.notes if "EE2.0" in note and "tax receipts" in note]  # no part says 'tax receipts'
    costs = {cost.code: cost for cost in result.costs}
    assert not costs["EE1.0"].transfer and not costs["EE1.0.2"].transfer and not costs["EE3.0"].transfer


# --- every cost row ----------------------------------------------------------------------------


def test_the_police_part_of_cr8_is_imported_from_its_place(imported):
    result, rows = imported
    police = rows["CR8.0.1"]
    assert (police["description"], police["agency_1"], police["fiscal_value"], police["fiscal_price_year"],
            police["parent"]) == ("Crime - average fiscal cost per incident of crime, across all types of crime; "
                                  "police costs", "Police", "227.92", "2010/11", "CR8.0")
    assert len(rows) == 683
    assert "  Crime row 58: CR8.0.1, the next constituent after CR8.0" in result.stdout.splitlines()
    assert "Crime row 178 CR8.18.5: no value" in result.stdout  # the one code row left out, and why


def test_codes_from_their_place(tmp_path):
    crime = [
        row(" ", "Cost before any code", 5),
        row("CR1.0", "Parent", 100),
        row("  ", "First part, code a blank", 60),
        row(None, "Second part, code cell empty", 40),
        row("CR2.0", "Another", 10),
        row("CR2.0.1", "Its first part", 4),
        row("\t", "The part its place calls CR2.0.2, already another row's", 3),
        row("CR2.0.2", "Its second part", 6),
        row(" ", None, None, None),  # no description, no value: not a cost
    ]
    result = gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", {"Crime": crime}))
    assert [(placed.row, placed.code, placed.after) for placed in result.placed_codes] == [
        (5, "CR1.0.1", "CR1.0"), (6, "CR1.0.2", "CR1.0.1")]
    assert [(skipped.row, skipped.code, skipped.reason) for skipped in result.skipped] == [
        (3, "", gmca.NO_PLACE), (9, "CR2.0.2", gmca.NO_PLACE), (11, "", gmca.BLANK_CODE)]
    parts = {cost.code: cost.parent for cost in result.costs if cost.code.startswith("CR1")}
    assert parts == {"CR1.0": "", "CR1.0.1": "CR1.0", "CR1.0.2": "CR1.0"}


# --- the CR8.0 saving split with Police's share ------------------------------------------------



CR8_LINE = '[[outcomes]]\ncode = "CR8.0"\nquantity = 10\n'


def test_a_cr8_saving_gives_police_its_share(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "BCP-9001.toml").write_text(completed_case(CR8_LINE))
    settings = tmp_path / "up2u-cba.toml"
    settings.write_text(settings_text([str(GMCA_CSV)], 10000, price_year="2022/23"))
    result = invoke("report", "--settings", str(settings), "--format", "json")
    assert result.exit_code == 0, result.output
    (line,) = json.loads(result.stdout)["services"][0]["cases"][0]["lines"]
    shares = {share["agency"]: Decimal(share["saving"]) for share in line["agency_shares"]}
    parts = {"Police": Decimal("227.92"), "Probation": Decimal("21.2"), "Court / Legal aid": Decimal("81.12"),
             "Prison / Young Offenders Institute": Decimal("108.03"), "Multiple": Decimal("58.3"),
             "NHS": Decimal("112.42")}
    saving = Decimal(line["saving"])
    assert set(shares) == set(parts) and sum(shares.values()) == saving
    for agency, value in parts.items():  # each part's share of the parts' total, to the pound
        assert abs(shares[agency] - saving * value / sum(parts.values())) < 1, agency
    assert shares["Police"] > shares["NHS"] > shares["Multiple"]
