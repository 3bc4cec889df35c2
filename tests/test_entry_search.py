"""Finding the unit cost of an outcome line during guided entry (issue #10, deliverable 9): a code
typed is taken at once, a long listing says how much it shows and pages on or narrows, and a
line's code can be changed before the case is saved. Driven through `case update` with typed
answers, on a copy of the sample project."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from test_entry_support import sample_project, snapshot
from up2u_cba.inputs import cases
from up2u_cba.cli.main import main

CASE = "BCP-0046"
"""A sample case in assessment: completing it asks for outcome lines."""
COMPLETE = ["completed", "2023-03-01"]
LINE_REST = ["", "", "", "GP letter"]
"""Quantity 1, years 1, the unit cost's own description, an evidence note."""


@pytest.fixture
def project(tmp_path):
    return tmp_path, sample_project(tmp_path)


def update(settings, answers):
    return CliRunner().invoke(main, ["case", "update", CASE, "--settings", str(settings)],
                              input="".join(f"{answer}\n" for answer in answers))


def stored_codes(folder) -> list[str]:
    record, problems = cases.load_file(str(folder / "cases" / "BCP" / f"{CASE}.toml"))
    assert problems == []
    return [outcome.code for outcome in record.outcomes]


def listing(output: str) -> list[tuple[int, str]]:
    """(number, code) of every search listing line shown, in order."""
    return [(int(number), code) for number, code in re.findall(r"^ +(\d+)\) (\S+) ", output, re.M)]


def after_search_prompt(output: str) -> str:
    """What is shown after the first answer to 'Find a unit cost' (the answer echoed, then a newline)."""
    return output.split("Enter when there are no more lines: ", 1)[1].split("\n", 1)[1]


@pytest.mark.parametrize("typed", ["cr2.0", "CR2.0", " he1.0 ", "bcp-ss1"])
def test_a_code_typed_is_taken_at_once_without_a_menu(project, typed):
    folder, settings = project
    result = update(settings, [*COMPLETE, typed, *LINE_REST, "done", "y"])
    assert result.exit_code == 0, result.output
    code = typed.strip().upper()
    assert re.match(rf"{re.escape(code)}: .*\nQuantity ", after_search_prompt(result.output))  # straight on
    assert "Choose" not in result.output
    assert stored_codes(folder) == [code]


def test_case_new_takes_a_typed_code_and_goes_straight_on_to_the_quantity(project):
    folder, settings = project
    result = CliRunner().invoke(main, ["case", "new", "--settings", str(settings)], input="".join(
        f"{answer}\n" for answer in ["BCP", "3", "BCP-0101", "2023-01-01", "completed", "2023-03-01",
                                      "Cr2.0", "", "", "", "Police incident check", "done", "y"]))
    assert result.exit_code == 0, result.output
    asked = [line.split(" (")[0].split(" [")[0].split(" /")[0] for line in result.output.splitlines()
             if re.match(r"(Service|Locality|Reference|Referral|Has the|Date|Find|Choose|Quantity|Years|Description|"
                         r"Evidence|Next|Write)", line)]
    assert asked == ["Service", "Locality", "Reference", "Referral date", "Has the case moved on? Next status",
                     "Date of the completion", "Find a unit cost: type words", "Quantity", "Years it counts for",
                     "Description for the report", "Evidence note", "Next", "Write case BCP-0101 to"]  # no 'Choose'
    record, problems = cases.load_file(str(folder / "cases" / "BCP" / "BCP-0101.toml"))
    assert problems == [] and [outcome.code for outcome in record.outcomes] == ["CR2.0"]


def test_a_code_that_does_not_exist_is_answered_with_the_nearest(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "he1.99", "HE1.9", *LINE_REST, "done", "y"])
    assert result.exit_code == 0, result.output
    said = next(line for line in result.output.splitlines() if "No unit cost has the code he1.99" in line)
    assert "HE1.9" in said
    assert stored_codes(folder) == ["HE1.9"]


def test_a_misspelt_search_is_answered_with_the_words_the_table_has(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "alcahol dependancy", "alcohol dependency", "1", *LINE_REST, "done", "y"])
    assert result.exit_code == 0, result.output
    assert "No unit cost mentions alcahol dependancy (did you mean alcohol dependency?)" in result.output
    assert stored_codes(folder) == ["HE1.0"]


def test_a_long_listing_says_how_much_it_shows_and_pages_on(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "child care", "n", "12", *LINE_REST, "done", "y"])
    assert result.exit_code == 0, result.output
    first = re.search(r"Showing 10 of (\d+) matches for child care", result.output)
    assert first and int(first.group(1)) > 20
    assert f"Showing 11-20 of {first.group(1)} matches" in result.output
    shown = listing(result.output)
    assert [number for number, _ in shown] == list(range(1, 21))  # numbered on, never again from 1
    assert shown[0][1] == "BCP-SS1"
    assert stored_codes(folder) == [dict(shown)[12]]


def test_the_next_page_is_refused_after_the_last(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "truancy", "n", "1", *LINE_REST, "done", "y"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^\d matches for truancy:", result.output, re.M)  # all shown: no 'Showing'
    assert "n: the next" not in result.output
    assert "Error: all " in result.output and " matches are shown" in result.output


def test_narrowing_keeps_the_costs_that_also_mention_the_new_words(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "child care", "+ foster", "+ zzzz", "1", *LINE_REST, "done", "y"])
    assert result.exit_code == 0, result.output
    narrowed = result.output.split("matches for child care + foster", 1)[1]
    codes = [code for _, code in listing(narrowed)]
    assert codes and all(code.startswith("SS2.") for code in codes)
    assert "None of these mentions zzzz" in result.output  # the list stays as it was
    assert stored_codes(folder) == [codes[0]]


def test_other_words_at_the_listing_search_again_without_starting_over(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "child care", "alcohol dependency", "1", *LINE_REST, "done", "y"])
    assert result.exit_code == 0, result.output
    assert "matches for alcohol dependency" in result.output or "match for alcohol dependency" in result.output
    assert stored_codes(folder) == ["HE1.0"]


def test_similar_descriptions_in_a_listing_do_not_read_the_same(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "child taken into care low cost", ""])
    lines = [line for line in result.output.splitlines() if re.match(r" +\d+\) ", line)]
    same_start = ["SS1.1.1", "SS1.1.2", "SS1.1.3", "SS1.1.4", "SS1.1.5"]  # 'Child taken into care (low cost, for ...'
    assert set(same_start) <= {code for _, code in listing(result.output)}
    texts = [re.sub(r"^ +\d+\) \S+ +", "", line).rsplit("  [", 1)[0] for line in lines]  # without the value
    assert len(lines) == 10 and len(set(texts)) == 10, "\n".join(lines)


def test_a_lines_code_can_be_changed_before_saving_and_is_valued_again(project):
    folder, settings = project
    before = snapshot(folder)
    result = update(settings, [*COMPLETE, "HE1.0", *LINE_REST,
                               "change", "1", "bcp-he1", "", "", "", "",  # the local cost instead
                               "done", "n"])
    assert result.exit_code == 1, result.output
    assert re.search(r"Line 1: BCP-HE1 x 1 x 1 year = £2,113 +Case total: £2,113", result.output)
    assert "(was HE1.0 x 1 x 1 year = £2,095: the case total moves by +£18)" in result.output
    assert snapshot(folder) == before  # nothing written until confirmed


def test_enter_keeps_a_lines_code_when_changing_it(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "HE1.0", *LINE_REST, "change", "1", "", "2", "", "", "", "done", "y"])
    assert result.exit_code == 0, result.output
    assert "Unit cost of the line [HE1.0]" in result.output
    assert stored_codes(folder) == ["HE1.0"]


def test_a_changed_code_that_would_count_money_twice_is_refused_and_asked_again(project):
    folder, settings = project
    result = update(settings, [*COMPLETE, "CR2.0", *LINE_REST, "add", "HE1.0", *LINE_REST,
                               "change", "2", "CR2.0.3", "BCP-HE1", "", "", "", "", "done", "y"])
    assert result.exit_code == 0, result.output
    assert "counts CR2.0.3, which is part of CR2.0" in result.output
    assert result.output.count("Unit cost of the line [HE1.0]") == 2
    assert stored_codes(folder) == ["CR2.0", "BCP-HE1"]
