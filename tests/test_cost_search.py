"""Finding unit costs (issue #10, deliverable 9): the ranking that `costs search`, guided entry and
the correction of cases share, on the shipped tables as a user searches them, and on small made-up
tables where one rule is to be seen alone."""

from __future__ import annotations

import pytest

from conftest import SETTINGS
from hostile import invoke
from up2u_cba import models, pipeline
from up2u_cba.entry import cost_search


def table_codes(output: str) -> list[str]:
    """Codes in the first column of a printed `costs search` table, in order."""
    return [line.split("|")[1].strip() for line in output.splitlines()
            if line.startswith("| ") and not line.startswith("| Code") and line.split("|")[1].strip()]


def searched(*words: str) -> list[str]:
    result = invoke("costs", "search", "--settings", SETTINGS, "--limit", "1000", *words)
    assert result.exit_code == 0, result.output
    return table_codes(result.output)


@pytest.fixture(scope="module")
def shipped() -> dict[str, models.UnitCost]:
    loaded, problems = pipeline.load_costs(str(SETTINGS), ())
    assert loaded is not None, problems
    return loaded[1]


def childrens(cost: models.UnitCost) -> bool:
    """A cost of children's care: looked-after children, children's social care."""
    return cost.outcome_detail == "LOOKED AFTER CHILDREN" or "children's social care" in cost.description.lower()


def older_peoples(cost: models.UnitCost) -> bool:
    return "older people" in cost.description.lower()


@pytest.mark.parametrize("words", [["child", "care"], ["children's", "care"], ["childrens", "care"],
                                   ["children", "care"]])
def test_child_care_finds_childrens_care_before_older_peoples_care(shipped, words):
    codes = searched(*words)
    assert codes[:2] == ["BCP-SS1", "SS1.0"]  # the local placement cost, then the national one
    assert all(childrens(shipped[code]) for code in codes[:30]), codes[:30]
    first_older = min(position for position, code in enumerate(codes) if older_peoples(shipped[code]))
    children = [position for position, code in enumerate(codes) if childrens(shipped[code])]
    assert {"SS6.1", "SS6.4"} <= set(codes[:first_older])  # children's social care too
    assert max(children) < first_older


def test_police_finds_every_cost_police_bear_first(shipped):
    codes = searched("police")
    borne = {code for code, cost in shipped.items() if "Police" in (cost.agency_1.strip(), cost.agency_2.strip())}
    assert {"CR7.0", "CR7.1", "FI1.0.6"} <= borne  # costs whose description never says police
    assert borne <= set(codes)
    assert all(code in borne for code in codes[:10])


def test_the_agency_outcome_category_and_theme_are_searched(shipped):
    assert "CR7.0" in searched("police", "arrest")[:1]
    assert set(searched("housing", "services")) >= {"CR2.0.5"}  # an agency level 2
    by_category = searched("employment", "economy")
    assert by_category and all(shipped[code].category == "EMPLOYMENT & ECONOMY" for code in by_category[:20])


def test_costs_search_says_how_many_of_how_many_it_shows():
    result = invoke("costs", "search", "--settings", SETTINGS, "--limit", "5", "child", "care")
    assert result.exit_code == 0, result.output
    everything = len(searched("child", "care"))
    assert len(table_codes(result.output)) == 5
    assert f"Showing 5 of {everything} costs; use --limit {everything} to see all. The first " in result.output
    assert " contain every word." in result.output


@pytest.mark.parametrize("typed", ["he1.0", "HE1.0", " he1.0 ", "He1.0"])
def test_costs_show_takes_a_code_in_any_case(typed):
    result = invoke("costs", "show", "--settings", SETTINGS, typed)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("HE1.0: Alcohol misuse")


def test_costs_show_suggests_the_nearest_codes_for_one_that_does_not_exist():
    result = invoke("costs", "show", "--settings", SETTINGS, "he1.99")
    assert result.exit_code == 1 and "[unknown-cost-code]" in result.output
    assert "HE1.9" in result.output


def test_a_misspelt_search_is_answered_with_the_words_the_table_has():
    result = invoke("costs", "search", "--settings", SETTINGS, "alcahol", "dependancy")
    assert result.exit_code == 0, result.output
    assert "No unit cost mentions alcahol dependancy (did you mean alcohol dependency?)." in result.output
    partly = invoke("costs", "search", "--settings", SETTINGS, "childern", "care")
    assert "did you mean children care?" in partly.output


# --- the ranking rules, one at a time, on made-up tables -----------------------------------


def cost(code: str, description: str, **fields) -> models.UnitCost:
    return models.UnitCost(code=code, description=description, **fields)


def ranked(query: str, *costs: models.UnitCost) -> list[str]:
    return [found.code for found in cost_search.search(query, {one.code: one for one in costs}).costs]


def test_a_word_in_the_description_weighs_more_than_in_the_comment():
    assert ranked("foster", cost("A1.0", "Residential care", comment="cheaper than foster care"),
                  cost("B1.0", "Foster care placement")) == ["B1.0", "A1.0"]


def test_a_word_in_the_outcome_detail_weighs_more_than_in_the_comment():
    assert ranked("truancy", cost("A1.0", "Cost per pupil", comment="truancy is counted elsewhere"),
                  cost("B1.0", "Cost per pupil", outcome_detail="TRUANCY")) == ["B1.0", "A1.0"]


def test_every_word_matching_beats_some_however_often():
    assert ranked("alcohol treatment",
                  cost("A1.0", "Alcohol alcohol alcohol misuse", outcome_detail="ALCOHOL", comment="alcohol"),
                  cost("B1.0", "Treatment of alcohol dependency")) == ["B1.0", "A1.0"]


def test_the_exact_phrase_beats_scattered_words():
    assert ranked("domestic violence", cost("A1.0", "Violence outside the home, not domestic"),
                  cost("B1.0", "Domestic violence per incident")) == ["B1.0", "A1.0"]


def test_a_code_or_the_start_of_one_lists_the_cost_and_its_parts_in_code_order():
    table = [cost("CR2.0.1", "Part one"), cost("CR2.0", "Whole"), cost("CR20.0", "Other"),
             cost("XX1.0", "Not to count with CR2.0", comment="see CR2.0")]
    assert ranked("cr2", *table)[:2] == ["CR2.0", "CR2.0.1"]
    assert "CR20.0" not in ranked("cr2", *table)


def test_stop_words_are_not_searched_for():
    assert ranked("child in care", cost("A1.0", "Child in care"), cost("B1.0", "Day out in town")) == ["A1.0"]


def test_the_search_reports_how_many_contain_every_word():
    found = cost_search.search("child care", {code: one for code, one in
                                              {"A": cost("A", "Child care"), "B": cost("B", "Care home"),
                                               "C": cost("C", "Child benefit")}.items()})
    assert (len(found), found.complete, found.costs[0].code) == (3, 1, "A")


def test_narrowing_keeps_only_the_costs_with_the_new_words():
    table = {one.code: one for one in (cost("A", "Child care, foster"), cost("B", "Child care, residential"),
                                       cost("C", "Foster carer training"))}
    assert [found.code for found in cost_search.Index(table).search("child care", "foster").costs] == ["A", "C"]


# --- telling similar descriptions apart -----------------------------------------------------


def test_descriptions_that_differ_only_at_the_end_are_told_apart(shipped):
    codes = ["HE13.0", "HE13.0.1", "HE13.0.2", "HE13.0.3", "HE13.1", "HE13.1.1", "SS1.1.1", "SS1.1.2", "SS1.2.2"]
    lines = cost_search.menu_lines([shipped[code].description for code in codes], 70)
    plain = {shipped[code].description[:69] for code in codes}
    assert len(plain) < len(codes)  # cut short the plain way, some would read the same
    assert len(set(lines)) == len(codes) and all(len(line) <= 70 for line in lines)
    assert lines[1].endswith("fiscal cost to the local authority")  # where it differs: the end
    assert "…" in lines[1] and lines[1].startswith("Average cost of")


def test_short_or_different_descriptions_are_shown_as_they_are():
    lines = cost_search.menu_lines(["Short one", "Another " + "long " * 20 + "end"], 40)
    assert lines[0] == "Short one" and 30 < len(lines[1]) <= 40 and lines[1].endswith(" …")
