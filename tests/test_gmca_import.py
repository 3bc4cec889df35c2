"""The importer of the official GMCA Unit Cost Database workbook (``up2u_cba.inputs.gmca``).

The real v1.4 workbook shipped in ``unit_costs/`` is imported once per module; small workbooks
built here with openpyxl cover one failure mode or data trap each.
"""

from __future__ import annotations

import collections
import pathlib
from decimal import Decimal

import openpyxl
import pytest

from up2u_cba.inputs import gmca
from up2u_cba import models
from up2u_cba.inputs import unit_costs

UNIT_COSTS = pathlib.Path(__file__).parent.parent / "unit_costs"
WORKBOOK = UNIT_COSTS / "gmca-ucd-v1.4.xlsx"
SHIPPED_CSV = UNIT_COSTS / "gmca-ucd-v1.4.csv"

# Checked against unit_costs/ATTRIBUTION.md of the source: 684 rows with something in the
# cost-code column, 675 fiscal values, 80 economic, 25 social. Crime row 58, whose code is a lone
# space, is imported as CR8.0.1 (its place: the first constituent after CR8.0); one code row is
# not imported (CR8.18.5, fiscal value 0), and its fiscal value goes too: 683 costs.
EXPECTED_SHEETS = {
    # sheet: (rows read, rows imported)
    "Crime": (212, 184),
    "Education & Skills": (62, 35),
    "Employment & Economy": (102, 75),
    "Fire": (42, 15),
    "Health": (228, 201),
    "Housing": (63, 36),
    "Social Services": (164, 137),
}


@pytest.fixture(scope="module")
def real() -> gmca.ImportResult:
    return gmca.import_workbook(str(WORKBOOK))


@pytest.fixture(scope="module")
def by_code(real) -> dict[str, models.UnitCost]:
    return {cost.code: cost for cost in real.costs}


# --- the shipped database ----------------------------------------------------------------------


def test_real_workbook_imports_without_problems(real):
    assert real.problems == []


DECLARED = {"CR2.0.4": ["SS4.0", "SS4.1"], "CR2.0.5": ["HO3.0"]}
"""The shipped CSV's one change to a fresh import: the not_with column, declaring what the GMCA
comment on CR2.0 says its children's social care and housing parts overlap (ATTRIBUTION.md)."""


def _as_imported(costs) -> list[models.UnitCost]:
    return [cost.model_copy(update={"origin": "", "not_with": ()}) for cost in costs]


def test_shipped_csv_is_a_fresh_import_of_the_shipped_workbook_with_declared_overlaps(real, tmp_path):
    loaded, problems = unit_costs.load([str(SHIPPED_CSV)])
    assert problems == []
    assert {code: [exclusion.code for exclusion in cost.not_with]
            for code, cost in loaded.items() if cost.not_with} == DECLARED
    assert all("child protection and/or statutory homelessness" in exclusion.reason
               for code in DECLARED for exclusion in loaded[code].not_with)
    fresh, without = tmp_path / "fresh.csv", tmp_path / "shipped-without-not-with.csv"
    unit_costs.write(real.costs, str(fresh))
    unit_costs.write(_as_imported(loaded.values()), str(without))
    assert fresh.read_text(encoding="utf-8") == without.read_text(encoding="utf-8")
    assert all(cost.not_with == () for cost in real.costs)  # costs import leaves the column empty


def test_shipped_csv_loads_cleanly_and_round_trips(real):
    loaded, problems = unit_costs.load([str(SHIPPED_CSV)])
    assert problems == []
    assert _as_imported(loaded.values()) == real.costs


# --- counts ------------------------------------------------------------------------------------


def test_counts_per_sheet(real):
    assert {count.sheet: (count.read, count.imported) for count in real.sheets} == EXPECTED_SHEETS


def test_every_row_read_is_imported_or_skipped(real):
    skipped = collections.Counter(row.sheet for row in real.skipped)
    for count in real.sheets:
        assert count.imported + skipped[count.sheet] == count.read, count.sheet
        assert count.imported == sum(1 for cost in real.costs if cost.theme == count.sheet)
    assert sum(count.imported for count in real.sheets) == len(real.costs) == 683


def test_rows_with_a_code_match_the_attribution(real):
    with_code = len(real.costs) + sum(1 for row in real.skipped if row.reason != gmca.NO_CODE)
    assert with_code == 684


def test_value_counts(real):
    counts = {kind: sum(1 for cost in real.costs if getattr(cost, kind)) for kind in gmca.VALUE_TYPES}
    assert counts == {"fiscal": 674, "economic": 80, "social": 25}


def test_skipped_rows_and_reasons(real):
    reasons = collections.Counter(row.reason for row in real.skipped)
    assert reasons == {gmca.NO_CODE: 189, gmca.NO_VALUE: 1}
    located = {(row.sheet, row.row, row.code, row.reason) for row in real.skipped if row.reason != gmca.NO_CODE}
    assert located == {("Crime", 178, "CR8.18.5", gmca.NO_VALUE)}
    assert [(value.code, value.value_type, value.reason) for value in real.dropped_values] == [
        ("CR8.18.5", "fiscal", gmca.NOT_ABOVE_ZERO)]


def test_costs_in_workbook_order(real):
    themes = [cost.theme for cost in real.costs]
    assert sorted(set(themes), key=themes.index) == list(gmca.THEMES)
    assert themes == sorted(themes, key=list(gmca.THEMES).index)
    assert [cost.code for cost in real.costs[:3]] == ["CR1.0", "CR1.1", "CR1.2"]


# --- the values a report relies on -------------------------------------------------------------


def fiscal(amount: str, year: str) -> models.CostValue:
    return models.CostValue(amount=Decimal(amount), price_year=models.FinancialYear.parse(year))


def test_domestic_violence_and_its_constituents(by_code):
    parent = by_code["CR2.0"]
    assert parent.description.startswith("Domestic violence - average cost per incident")
    assert parent.parent == ""
    assert parent.fiscal == fiscal("2470", "2008/09")
    assert parent.economic == fiscal("1473", "2008/09")
    assert parent.social == fiscal("6795", "2008/09")
    parts = unit_costs.constituents("CR2.0", by_code)
    assert [(cost.code, cost.parent, cost.fiscal, cost.agency_1, cost.agency_2) for cost in parts] == [
        ("CR2.0.1", "CR2.0", fiscal("1171", "2008/09"), "NHS", "Acute Trust / Hospital"),
        ("CR2.0.2", "CR2.0", fiscal("581", "2008/09"), "Criminal Justice System", ""),
        ("CR2.0.3", "CR2.0", fiscal("415", "2008/09"), "Police", ""),
        ("CR2.0.4", "CR2.0", fiscal("193", "2008/09"), "Local Authority", "Children's Services"),
        ("CR2.0.5", "CR2.0", fiscal("110", "2008/09"), "Local Authority", "Housing Services"),
    ]


def test_alcohol_dependency(by_code):
    cost = by_code["HE1.0"]
    assert cost.fiscal == fiscal("1800", "2009/10")
    assert (cost.theme, cost.unit, cost.agency_1, cost.rag) == ("Health", "Per person per year", "NHS", "A")


def test_codes_with_ampersands_and_all_prefixes(by_code):
    assert {"E&S1.0", "E&E1.0"} <= set(by_code)
    assert {code.split(".")[0].rstrip("0123456789") for code in by_code} == {
        "CR", "E&S", "E&E", "FI", "HE", "HO", "SS"}
    assert not any(character.isspace() for code in by_code for character in code)


def test_parents_are_the_code_less_its_last_segment_when_imported(by_code):
    for code, cost in by_code.items():
        expected = code.rsplit(".", 1)[0] if code.count(".") >= 2 else ""
        assert cost.parent == (expected if expected in by_code else ""), code
    assert by_code["E&E10.2.1"].parent == "E&E10.2"
    assert by_code["CR8.0.2"].parent == "CR8.0"


def test_price_years_all_parse_and_span_the_expected_range(real):
    years = {value.price_year for cost in real.costs
             for value in (cost.fiscal, cost.economic, cost.social) if value}
    assert str(min(years, key=lambda year: year.start)) == "2000/01"
    assert str(max(years, key=lambda year: year.start)) == "2014/15"


def test_value_cells_holding_formulas_give_their_stored_result(by_code):
    assert by_code["E&S5.0"].fiscal == fiscal("82.7", "2010/11")  # =3308/40
    assert by_code["SS7.0"].fiscal == fiscal("358.8", "2013/14")  # =538.2/3*2
    assert by_code["SS7.0"].economic == fiscal("179.4", "2013/14")  # =538.2/3


def test_float_cells_keep_fifteen_significant_digits(by_code):
    assert by_code["SS18.11"].fiscal.amount == Decimal("59.2808551992226")  # 15 significant digits
    assert by_code["CR8.0.2"].fiscal.amount == Decimal("21.2")


def test_text_is_tidied(by_code):
    assert by_code["CR1.0"].description == (
        "Anti-social behaviour further action necessary (cost of dealing with incident)")
    assert by_code["HE24.0"].unit == "Per person"  # 'Per person ' in the workbook
    assert by_code["CR7.0"].source == "Salford: Police costs 2006/07"  # leading space in the workbook


def test_agency_spellings_are_normalised(real, by_code):
    agencies = {name for cost in real.costs for name in (cost.agency_1, cost.agency_2)}
    assert "Local authority" not in agencies and "Social services" not in agencies
    assert "-" not in agencies
    assert by_code["CR1.0"].agency_2 == "Local Authority"  # 'Local authority' in the workbook
    assert by_code["CR8.2.1"].agency_2 == ""  # '-' in the workbook


def test_summary_lists_counts_and_skipped_rows(real):
    lines = gmca.summary_lines(real)
    assert any("Crime" in line and "212" in line and "184" in line for line in lines)
    assert "  Crime row 58: CR8.0.1, the next constituent after CR8.0" in lines
    assert any("CR8.18.5" in line and gmca.NO_VALUE in line for line in lines)
    assert any("190-216" in line and gmca.NO_CODE in line for line in lines)


# --- small workbooks, one trap or failure each -------------------------------------------------

HEADER_1 = ["Outcome category", "Outcome detail", "Cost code", "Cost / saving detail", "Unit",
            "Agency bearing the cost / making the fiscal saving", None,
            "Fiscal Cost", None, None, "Economic Cost", None, None, "Social Cost", None, None,
            "Original source", "RAG assessment", "Comment"]
HEADER_2 = [None, None, None, None, None, "Level 1", "Level 2"] + [
    "Estimated cost/saving", "Year", "Updated cost/saving"] * 3 + [None, None, None]


def row(code, description="A cost", fiscal_value=100, year="2010/11", *, unit="Per year",
        agency_1="NHS", agency_2="", economic=None, economic_year=None, rag="G"):
    """A data row in the v1.4 column order."""
    return ["THEME", "DETAIL", code, description, unit, agency_1, agency_2,
            fiscal_value, year, None, economic, economic_year, None, None, None, None,
            "A source", rag, "A comment"]


def make_workbook(path, sheets: dict[str, list[list]] | None = None, *, header_1=None,
                  header_sheet=None, drop: tuple[str, ...] = ()) -> str:
    """A workbook with every theme sheet (one cost each) unless given; ``header_1`` replaces row 1 of ``header_sheet``."""
    sheets = dict(sheets or {})
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.create_sheet("Introduction")
    for number, theme in enumerate(gmca.THEMES, start=1):
        if theme in drop:
            continue
        sheet = workbook.create_sheet(theme)
        sheet.append(header_1 if header_1 and theme == header_sheet else HEADER_1)
        sheet.append(HEADER_2)
        for cells in sheets.get(theme, [row(f"T{number}.0")]):
            sheet.append(cells)
        sheet.merge_cells("F1:G1")
        sheet.merge_cells("H1:J1")
    workbook.save(path)
    return str(path)


def test_renamed_header_is_a_problem_for_that_sheet_only(tmp_path):
    renamed = ["Cost reference" if header == "Cost code" else header for header in HEADER_1]
    result = gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", header_1=renamed, header_sheet="Crime"))
    assert [(problem.code, problem.where) for problem in result.problems] == [
        ("missing-header", "Crime: row 1: Cost code")]
    assert result.problems[0].file == str(tmp_path / "book.xlsx")
    assert "Crime" not in {cost.theme for cost in result.costs}
    assert len(result.costs) == 6


def test_renamed_sub_header_names_its_group(tmp_path):
    workbook = make_workbook(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(workbook)
    book["Fire"]["I2"] = "When"
    book.save(workbook)
    result = gmca.import_workbook(workbook)
    assert [(problem.code, problem.where) for problem in result.problems] == [
        ("missing-header", "Fire: row 2: Fiscal Cost / Year")]


def test_missing_theme_sheet_is_a_note_not_a_problem(tmp_path):
    result = gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", drop=("Fire",)))
    assert result.problems == []
    assert [note for note in result.notes if "'Fire'" in note]
    assert len(result.costs) == 6


def test_a_workbook_with_no_theme_sheet_is_not_a_unit_cost_workbook(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Budget"
    book.save(tmp_path / "budget.xlsx")
    result = gmca.import_workbook(str(tmp_path / "budget.xlsx"))
    assert [(problem.code, problem.where) for problem in result.problems] == [("not-a-unit-cost-workbook", "")]
    assert "'Budget'" in result.problems[0].message and result.costs == []


def test_every_problem_is_reported_at_once(tmp_path):
    no_group = [None if header == "Fiscal Cost" else header for header in HEADER_1]
    no_group[2] = "Code"
    path = make_workbook(tmp_path / "book.xlsx", drop=("Fire", "Housing"), header_1=no_group, header_sheet="Health")
    result = gmca.import_workbook(path)
    assert sorted((problem.code, problem.where) for problem in result.problems) == [
        ("missing-header", "Health: row 1: Cost code"),
        ("missing-header", "Health: row 1: Fiscal Cost"),
    ]
    assert sum(1 for note in result.notes if "no sheet named" in note) == 2
    assert {cost.theme for cost in result.costs} == {"Crime", "Education & Skills", "Employment & Economy",
                                                    "Social Services"}


def test_headers_are_matched_whatever_their_case_and_spacing(tmp_path):
    shouty = [header.upper().replace(" ", "  ") if header else header for header in HEADER_1]
    shouty[7:16] = ["Fiscal value", None, None, "Economic value", None, None, "Social value", None, None]
    result = gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", header_1=shouty, header_sheet="Crime"))
    assert result.problems == []
    assert result.costs[0].code == "T1.0"


def test_unreadable_and_missing_workbooks(tmp_path):
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"this is not a workbook")
    assert [problem.code for problem in gmca.import_workbook(str(garbage)).problems] == ["unreadable-workbook"]
    assert [problem.code for problem in gmca.import_workbook(str(tmp_path / "none.xlsx")).problems] == [
        "missing-file"]


@pytest.fixture
def messy(tmp_path) -> gmca.ImportResult:
    crime = [
        ["CRIME", "HEADING ROW", None, None, None, None, None, None, None, None, None, None, None, None, None,
         None, None, None, None],
        row(" CR 1.0 ", "Domestic\nviolence   incident", "£1,171.50", "2008/09", unit="Per incident ",
            agency_1="Local authority", agency_2="-", rag="a"),
        row(" ", "Constituent with a lone-space code", 50),
        row("CR1.0.1", "A constituent", "415", "2008/09", agency_1="Local Authority"),
        row("CR1.0", "The same code again", 7),
        row("CR3.0.1", "Constituent of a code that is not there", 10, agency_1="Local Authority"),
        row("CR4.0", "No values at all", None, None),
        row("CR5.0", "Fiscal without a year, economic fine", 20, None, economic=30, economic_year="2010-11"),
        row("CR6.0", "Fiscal not a number", "n/a", "2010/11"),
        row("CR7.0", "Fiscal with a bad year", 5, "2010/12"),
        row("CR8.0", "Zero fiscal value", 0, "2010/11"),
    ]
    return gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", {"Crime": crime}))


def test_messy_cells_are_cleaned(messy):
    costs = {cost.code: cost for cost in messy.costs if cost.theme == "Crime"}
    assert list(costs) == ["CR1.0", "CR1.0.1", "CR3.0.1", "CR5.0"]
    cost = costs["CR1.0"]
    assert cost.fiscal == fiscal("1171.50", "2008/09")  # text '£1,171.50'
    assert isinstance(cost.fiscal.amount, Decimal)
    assert (cost.description, cost.unit, cost.agency_1, cost.agency_2, cost.rag) == (
        "Domestic violence incident", "Per incident", "Local Authority", "", "A")
    assert costs["CR1.0.1"].fiscal.amount == Decimal("415")
    assert costs["CR1.0.1"].parent == "CR1.0"
    assert costs["CR3.0.1"].parent == ""
    assert costs["CR5.0"].fiscal is None
    assert costs["CR5.0"].economic == fiscal("30", "2010/11")


def test_messy_rows_are_accounted_for(messy):
    assert [(row.row, row.code, row.reason) for row in messy.skipped] == [
        (3, "", gmca.NO_CODE),
        (5, "CR1.0.1", gmca.NO_PLACE),  # the code its place gives is row 6's
        (7, "CR1.0", gmca.DUPLICATE_CODE),
        (9, "CR4.0", gmca.NO_VALUE),
        (11, "CR6.0", gmca.NO_VALUE),
        (12, "CR7.0", gmca.NO_VALUE),
        (13, "CR8.0", gmca.NO_VALUE),
    ]
    assert [(value.code, value.value_type, value.reason) for value in messy.dropped_values] == [
        ("CR5.0", "fiscal", gmca.NO_PRICE_YEAR),
        ("CR6.0", "fiscal", gmca.NOT_A_NUMBER),
        ("CR7.0", "fiscal", gmca.BAD_PRICE_YEAR),
        ("CR8.0", "fiscal", gmca.NOT_ABOVE_ZERO),
    ]
    crime = next(count for count in messy.sheets if count.sheet == "Crime")
    assert (crime.read, crime.imported) == (11, 4)


def test_formula_saved_without_its_result_is_reported(tmp_path):
    crime = [row("CR1.0", "Formula value, no stored result", "=3308/40"), row("CR2.0", "Plain value", 5)]
    path = str(tmp_path / "book.xlsx")
    result = gmca.import_workbook(make_workbook(path, {"Crime": crime}))  # openpyxl stores no results
    assert [(value.code, value.value_type, value.reason) for value in result.dropped_values] == [
        ("CR1.0", "fiscal", gmca.NO_STORED_RESULT)]
    assert [(row.code, row.reason) for row in result.skipped] == [("CR1.0", gmca.NO_VALUE)]
    assert [(problem.code, problem.file, problem.where) for problem in result.problems] == [
        ("formula-without-result", path, "Crime: row 3")]
    assert "CR2.0" in {cost.code for cost in result.costs}


def test_agency_spelling_follows_the_most_common_one(tmp_path):
    crime = [row("CR1.0", agency_1="Local authority"), row("CR2.0", agency_1="local authority"),
             row("CR3.0", agency_1="Local authority", agency_2="Social Services"),
             row("CR4.0", agency_1="Social services")]
    result = gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", {"Crime": crime}))
    agencies = [(cost.agency_1, cost.agency_2) for cost in result.costs if cost.theme == "Crime"]
    assert agencies == [("Local authority", ""), ("Local authority", ""), ("Local authority", "Social Services"),
                        ("Social Services", "")]


def test_duplicate_codes_across_sheets_keep_the_first(tmp_path):
    result = gmca.import_workbook(make_workbook(tmp_path / "book.xlsx", {"Health": [row("T1.0", "Again")]}))
    assert [cost.theme for cost in result.costs if cost.code == "T1.0"] == ["Crime"]
    assert [(row.sheet, row.row, row.code, row.reason) for row in result.skipped] == [
        ("Health", 3, "T1.0", gmca.DUPLICATE_CODE)]
