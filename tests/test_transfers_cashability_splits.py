"""Issue #13, deliverables 1, 5 and 6: transfers valued by part (from the unit cost table's
transfer column, settings adding or removing codes), cashability by the agency's full name with
level 1 as the fallback, and agency splits only where a cost's parts share its unit, at the
parts' own price year."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal

from project_text import completed_case, settings_text
from conftest import GMCA_CSV, SETTINGS
from hostile import assert_refused, invoke
from test_xlsx import recalculate, table_rows
from up2u_cba import pipeline
from up2u_cba.inputs import unit_costs
from up2u_cba.outputs import render_xlsx

HEADER = ("code,theme,description,unit,agency_1,agency_2,fiscal_value,fiscal_price_year,"
          "economic_value,economic_price_year,rag,source,parent,transfer\n")
BENEFITS = HEADER + """\
TST-JSA,Employment & Economy,Claimant into work,Per claimant per year,Multiple,DWP,1000,2018/19,400,2018/19,G,test,,
TST-JSA.1,Employment & Economy,Claimant into work - benefit payments,Per claimant per year,DWP,HM Treasury,900,2018/19,,,G,test,TST-JSA,yes
TST-JSA.2,Employment & Economy,Claimant into work - improved health,per claimant  per year,NHS,,100,2018/19,,,G,test,TST-JSA,
TST-TAX,Education & Skills,Qualification - tax received,Per person per year,HM Treasury,,7,2018/19,,,G,test,,YES
TST-POL,Crime,Police cost,Per incident,Police,,1000,2018/19,,,G,test,,
TST-PLA,Crime,Joint cost,Per incident,Police,Local Authority,1000,2018/19,,,G,test,,
TST-PCJ,Crime,Police and courts cost,Per incident,Police,Courts,1000,2018/19,,,G,test,,
TST-MIX,Housing,Homelessness application,Per application,Local Authority,RSL,2000,2018/19,,,G,test,,
TST-MIX.1,Housing,Court desk advice,Per session,Ministry of Justice,,80,2018/19,,,G,test,TST-MIX,
TST-MIX.2,Housing,Deciding the application,Per application,Local Authority,,375,2018/19,,,G,test,TST-MIX,
TST-OLD,Crime,Incident at mixed price years,Per incident,Multiple,,1000,2010/11,,,G,test,,
TST-OLD.1,Crime,Police part,Per incident,Police,,300,2008/09,,,G,test,TST-OLD,
TST-OLD.2,Crime,NHS part,Per incident,NHS,,700,2012/13,,,G,test,TST-OLD,
"""


def project(tmp_path, outcomes: dict[str, int], assumptions: str = "", price_year: str = "2018/19",
            national: bool = False, spend: int = 10000):
    """A project of the test costs above (and the shipped national table if ``national``), one
    completed case with a line for each code: quantity."""
    folder = tmp_path / price_year.replace("/", "-")
    (folder / "cases").mkdir(parents=True)
    (folder / "local.csv").write_text(BENEFITS)
    lines = "".join(f'\n[[outcomes]]\ncode = "{code}"\nquantity = {quantity}\n' for code, quantity in outcomes.items())
    (folder / "cases" / "BCP-9001.toml").write_text(completed_case(lines))
    tables = [str(GMCA_CSV), "local.csv"] if national else ["local.csv"]
    settings = folder / "up2u-cba.toml"
    settings.write_text(settings_text(tables, spend, price_year, more=textwrap.dedent(assumptions)))
    return settings


def summary_of(settings):
    (summary,) = pipeline.run(str(settings)).services
    return summary


def json_report(settings) -> dict:
    result = invoke("report", "--settings", settings, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- transfers, by part ------------------------------------------------------------------------


def test_the_transfer_column_is_read_and_written_back(tmp_path):
    path = tmp_path / "local.csv"
    path.write_text(BENEFITS)
    costs, problems = unit_costs.load([str(path)])
    assert problems == []
    assert {code for code, cost in costs.items() if cost.transfer} == {"TST-JSA.1", "TST-TAX"}
    again = tmp_path / "again.csv"
    unit_costs.write(list(costs.values()), str(again))
    assert unit_costs.load([str(again)])[0]["TST-JSA.1"].transfer
    assert unit_costs.COLUMNS[-1] == "transfer"


def test_a_table_without_the_transfer_column_marks_nothing(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("code,description,fiscal_value,fiscal_price_year\nTST-A,A cost,10,2018/19\n")
    costs, problems = unit_costs.load([str(path)])
    assert problems == [] and not costs["TST-A"].transfer


def test_a_transfer_cell_that_is_not_yes_or_no_is_refused_naming_row_and_column(tmp_path):
    settings = project(tmp_path, {"TST-POL": 1})
    local = settings.parent / "local.csv"
    local.write_text(local.read_text().replace("TST-TAX,Education & Skills,Qualification - tax received,"
                                               "Per person per year,HM Treasury,,7,2018/19,,,G,test,,YES",
                                               "TST-TAX,Education & Skills,Qualification - tax received,"
                                               "Per person per year,HM Treasury,,7,2018/19,,,G,test,,maybe"))
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "local.csv", "row 5: transfer", "bad-transfer")


def test_only_the_transfer_part_of_a_split_cost_leaves_public_value(tmp_path):
    # 1,000 = 900 DWP benefit payments (a transfer) + 100 NHS (a real saving); economic 400
    summary = summary_of(project(tmp_path, {"TST-JSA": 1}))
    (line,) = summary.lines
    assert line.transfer_share == Decimal("0.9") and line.prudent_transfer == 900
    assert summary.prudent_by_value_type == {"fiscal (excluding transfers)": 100, "fiscal transfers": 900,
                                             "economic": 400, "social": 0}
    assert summary.public_value == 100 + 400
    assert summary.prudent_total == 1000  # the financial return still counts it all


def test_a_cost_marked_itself_is_left_out_whole(tmp_path):
    summary = summary_of(project(tmp_path, {"TST-TAX": 3}))
    (line,) = summary.lines
    assert (line.transfer_share, line.prudent_transfer) == (1, 21)
    assert summary.public_value == 0


def test_settings_add_and_remove_transfers(tmp_path):
    removed = summary_of(project(tmp_path / "removed", {"TST-JSA": 1, "TST-TAX": 1}, """
        [assumptions.transfers]
        not_codes = ["TST-JSA.1"]
        """))
    assert [line.transfer_share for line in removed.lines] == [0, 1]
    added = summary_of(project(tmp_path / "added", {"TST-JSA": 1, "TST-POL": 1}, """
        [assumptions.transfers]
        codes = ["TST-JSA.2", "TST-POL"]
        """))
    assert [line.transfer_share for line in added.lines] == [1, 1]
    assert added.public_value == 400  # the economic value alone


def test_transfer_settings_naming_no_cost_or_both_ways_are_refused(tmp_path):
    settings = project(tmp_path / "unknown", {"TST-JSA": 1}, """
        [assumptions.transfers]
        not_codes = ["TST-JSA.9"]
        """)
    assert_refused(invoke("validate", "--settings", settings), 'assumptions.transfers.not_codes."TST-JSA.9"',
                   "unknown-cost-code")
    settings = project(tmp_path / "both", {"TST-JSA": 1}, """
        [assumptions.transfers]
        codes = ["TST-TAX"]
        not_codes = ["TST-TAX"]
        """)
    assert_refused(invoke("validate", "--settings", settings), 'assumptions.transfers.not_codes."TST-TAX"',
                   "bad-assumption")
    settings = project(tmp_path / "typo", {"TST-JSA": 1}, """
        [assumptions.transfers]
        not_code = ["TST-TAX"]
        """)
    assert_refused(invoke("validate", "--settings", settings), "not_code")


def test_transfer_and_not_add_up_to_the_prudent_total_to_the_pound(tmp_path):
    # 0.9 x 5 = 4.5: the transfer part rounds half up to 5; the rest is 0, never -1 or a lost pound
    settings = project(tmp_path, {"TST-JSA": 1, "TST-TAX": 1}, """
        [assumptions.attribution]
        default = 0.005
        """)
    summary = summary_of(settings)
    assert [line.prudent_saving for line in summary.lines] == [5, 0]
    assert [line.prudent_transfer for line in summary.lines] == [5, 0]
    values = summary.prudent_by_value_type
    assert values["fiscal (excluding transfers)"] + values["fiscal transfers"] == summary.prudent_total


def test_text_json_and_csv_show_the_transfer_part(tmp_path):
    settings = project(tmp_path, {"TST-JSA": 2})
    data = json_report(settings)
    (service,) = data["services"]
    assert service["prudent"]["by_value_type"]["fiscal transfers"] == 1800
    assert service["prudent"]["public_value"] == 200 + 800
    (line,) = service["cases"][0]["lines"]
    assert (line["prudent"]["transfer_share"], line["prudent"]["transfer"]) == ("0.9", 1800)
    csv_text = invoke("report", "--settings", settings, "--format", "csv").output
    header, row = csv_text.splitlines()[:2]
    fields = dict(zip(header.split(","), row.split(",")))
    assert (fields["transfer_share"], fields["prudent_transfer"]) == ("0.900000", "1800")  # (6 places)
    text = invoke("report", "--settings", settings).output
    assert "Fiscal transfers (kept out of public value)" in text and "£1,800" in text
    shown = invoke("case", "show", "BCP-9001", "--settings", settings).output
    assert "Line 1 (TST-JSA): 90% of its fiscal saving is a transfer payment (£1,800 prudent)" in shown


def test_on_the_shipped_table_an_e_e1_line_keeps_its_nhs_part_and_leaves_out_its_dwp_part(tmp_path):
    costs, problems = unit_costs.load([str(GMCA_CSV)])
    assert problems == []
    assert costs["E&E1.0.1"].transfer and not costs["E&E1.0.2"].transfer and not costs["E&E1.0"].transfer
    summary = summary_of(project(tmp_path, {"E&E1.0": 1}, national=True))
    (line,) = summary.lines
    # E&E1.0 £9,800 = £9,234 benefit payments (DWP, a transfer) + £566 improved health (NHS), 2012/13
    assert line.transfer_share == Decimal(9234) / Decimal(9800)
    nhs = dict(line.prudent_agency_shares)["NHS"]
    values = summary.prudent_by_value_type
    assert values["fiscal transfers"] == line.prudent_saving - nhs
    assert values["fiscal (excluding transfers)"] == nhs > 0
    assert summary.public_value == nhs + line.prudent_economic


# --- cashability by full agency name -----------------------------------------------------------


def test_cashability_by_full_agency_name_then_level_1_then_the_default(tmp_path):
    summary = summary_of(project(tmp_path, {"TST-POL": 1, "TST-PLA": 1, "TST-PCJ": 1, "TST-TAX": 10}, """
        [assumptions.cashability]
        default = 0.1
        agencies = { "Police" = 0.5, "Police / Local Authority" = 0.8 }
        """))
    assert summary.cashable_by_agency == {"Police": 500, "Police / Local Authority": 800, "Police / Courts": 500,
                                          "HM Treasury": 7}


def test_police_alone_no_longer_halves_police_and_local_authority_once_it_is_named(tmp_path):
    level_1_only = summary_of(project(tmp_path / "one", {"TST-PLA": 1}, """
        [assumptions.cashability]
        agencies = { "Police" = 0.5 }
        """))
    assert level_1_only.cashable_by_agency == {"Police / Local Authority": 500}  # the fallback
    named = summary_of(project(tmp_path / "both", {"TST-PLA": 1}, """
        [assumptions.cashability]
        agencies = { "Police" = 0.5, "Police / Local Authority" = 1.0 }
        """))
    assert named.cashable_by_agency == {"Police / Local Authority": 1000}


# --- agency splits that make sense -------------------------------------------------------------


def test_parts_in_another_unit_do_not_split_the_saving_and_the_line_says_why(tmp_path):
    settings = project(tmp_path, {"TST-MIX": 1, "TST-JSA": 1})
    summary = summary_of(settings)
    mixed, benefits = summary.lines
    assert mixed.agency_proportions == (("Local Authority / RSL", 1),)
    assert mixed.agency_shares == (("Local Authority / RSL", 2000),)
    assert "not split" in mixed.agency_note and "TST-MIX.1" in mixed.agency_note and "Per session" in mixed.agency_note
    # "per claimant  per year" is "Per claimant per year": the same unit, written differently
    assert dict(benefits.agency_shares) == {"DWP / HM Treasury": 900, "NHS": 100}
    assert benefits.agency_note == "split by its parts' fiscal values at 2018/19 prices"
    data = json_report(settings)
    assert data["services"][0]["cases"][0]["lines"][0]["agency_note"] == mixed.agency_note
    shown = invoke("case", "show", "BCP-9001", "--settings", settings).output
    assert "Line 1 (TST-MIX): not split, kept with Local Authority / RSL" in shown


def test_shares_are_taken_at_the_parts_own_price_years_not_the_reports(tmp_path):
    at_2018 = summary_of(project(tmp_path, {"TST-OLD": 1}, price_year="2018/19"))
    at_2023 = summary_of(project(tmp_path, {"TST-OLD": 1}, price_year="2023/24"))
    (early,), (late,) = at_2018.lines, at_2023.lines
    assert early.agency_proportions == late.agency_proportions
    assert early.agency_note == late.agency_note == "split by its parts' fiscal values at 2010/11 prices"
    assert early.saving != late.saving  # the report's price year did move the saving itself
    # the parts' price years differ, so both are uprated to the cost's own (2010/11) before sharing
    police = dict(early.agency_proportions)["Police"]
    assert Decimal("0.25") < police < Decimal("0.40")


def test_the_samples_homelessness_lines_stay_with_their_costs_agency_and_domestic_abuse_is_still_split():
    result = pipeline.run(str(SETTINGS))
    lines = [line for summary in result.services for line in summary.lines]
    homelessness = [line for line in lines if line.code == "HO3.0"]
    assert homelessness and all(line.agency_proportions == (("Local Authority / RSL", 1),)
                                and "HO3.0.1" in line.agency_note for line in homelessness)
    abuse = [line for line in lines if line.code == "CR2.0"]
    assert abuse and all(len(line.agency_proportions) == 5 for line in abuse)


# --- the workbook --------------------------------------------------------------------------------


def test_workbook_transfer_share_public_value_split_note_and_cashability_recalculate_to_the_pound(tmp_path):
    settings = project(tmp_path, {"TST-JSA": 3, "TST-TAX": 7, "TST-MIX": 1, "TST-PLA": 1, "TST-OLD": 2}, """
        [assumptions.optimism_bias]
        G = 0.15

        [assumptions.cashability]
        agencies = { "Police" = 0.5, "Police / Local Authority" = 0.8 }
        """)
    result = pipeline.run(str(settings))
    (summary,) = result.services
    path = tmp_path / "transfers.xlsx"
    render_xlsx.write(result, str(path))
    workbook = recalculate(path, tmp_path)
    lines = table_rows(workbook["Outcome lines"])
    assert [row["Transfer share"] for row in lines] == [float(line.transfer_share) for line in summary.lines]
    assert [row["Prudent transfer"] for row in lines] == [line.prudent_transfer for line in summary.lines]
    figures = {row[0]: row[1:3] for row in workbook["Summary"].iter_rows(min_row=4, max_col=3, values_only=True)
               if row[0]}
    assert figures["Public value: fiscal (transfers excluded) + economic + social, prudent"][1] == \
        summary.public_value
    splits = table_rows(workbook["Agency split"])
    assert {row["Code"]: row["How shared"] for row in splits}["TST-MIX"] == summary.lines[2].agency_note
    by_agency = {row["Agency"]: row["Cashable"] for row in table_rows(workbook["By agency"])}
    assert by_agency["Police / Local Authority"] == summary.cashable_by_agency["Police / Local Authority"] == 680
    method = {row[0]: row[1] for row in workbook["Method"].iter_rows(values_only=True) if row[0]}
    assert "own unit" in method["Split or not"] and "own price year" in method["Split or not"]
    assert "E&E1.0" in method["Transfers"] and "whole pounds half up" in method["Transfers"]
    assert "full name" in method["Cashability"] and "level 1" in method["Cashability"]


def test_costs_show_says_how_a_cost_is_shared_and_whether_it_is_a_transfer():
    homelessness = invoke("costs", "show", "HO3.0", "--settings", SETTINGS)
    assert homelessness.exit_code == 0, homelessness.output
    assert "How a saving is shared: not split, kept with Local Authority / RSL: its part HO3.0.1" in homelessness.output
    benefits = invoke("costs", "show", "E&E1.0.1", "--settings", SETTINGS)
    assert "Its fiscal value is a transfer payment" in benefits.output
    assert "transfer payment" not in invoke("costs", "show", "E&E1.0.2", "--settings", SETTINGS).output


def test_costs_show_of_a_cost_outside_the_deflator_series_says_so_and_does_not_fail(tmp_path):
    settings = project(tmp_path, {"TST-POL": 1})
    local = settings.parent / "local.csv"
    local.write_text(local.read_text()
                     + "TST-ANC,Crime,An old cost,Per incident,Multiple,,100,1950/51,,,G,test,,\n"
                     + "TST-ANC.1,Crime,Its police part,Per incident,Police,,40,1951/52,,,G,test,TST-ANC,\n")
    result = invoke("costs", "show", "TST-ANC", "--settings", settings)
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "not split: its price year 1950/51 is not in the deflator series" in result.output
