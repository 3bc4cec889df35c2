"""Every command that takes a case's reference finds it the same way (issue #10 review): in any
case, with spaces around it, or says the nearest references; a withdrawn case is refused by
`case update` and `case amend` with the same words; `case list` and `intake export` pick the
same cases for the same filters."""

from __future__ import annotations

import re

import openpyxl
import pytest
from hostile import assert_refused, invoke, sample_project

CASE = "BCP-0001"


@pytest.fixture
def settings_file(tmp_path):
    return sample_project(tmp_path)


@pytest.mark.parametrize("command", [["show"], ["withdraw", "--reason", "entered twice", "--yes"]])
def test_a_reference_is_found_in_any_case_with_spaces_around_it(settings_file, command):
    result = invoke("case", command[0], " bcp-0001 ", *command[1:], "--settings", settings_file)
    assert result.exit_code == 0, result.output
    assert CASE in result.output


@pytest.mark.parametrize("command", ["show", "update", "amend", "withdraw"])
def test_an_unknown_reference_is_named_as_typed_without_spaces_with_the_nearest(settings_file, command):
    result = invoke("case", command, " BCP-0099 ", "--settings", settings_file)
    assert_refused(result, ": BCP-0099: no case with reference BCP-0099 (", "[unknown-case]", "BCP-00")


def test_update_and_amend_refuse_a_withdrawn_case_in_the_same_words(settings_file):
    assert invoke("case", "withdraw", CASE, "--reason", "entered twice", "--yes",
                  "--settings", settings_file).exit_code == 0
    update = invoke("case", "update", CASE, "--settings", settings_file, input="y\n")
    amend = invoke("case", "amend", CASE, "--set", "outcomes[1].quantity=2", "--reason", "confirmed", "--yes",
                   "--settings", settings_file)
    for result, command in ((update, "update"), (amend, "amend")):
        assert_refused(result, "[case-withdrawn]", f"{CASE} was withdrawn on ", "(entered twice)",
                       f'restore it first with `up2u-cba case restore {CASE} --reason "..."`, then run '
                       f"`up2u-cba case {command} {CASE}` again")
    said = [re.sub(r"case (update|amend) ", "case COMMAND ", result.output) for result in (update, amend)]
    assert said[0] == said[1]


@pytest.mark.parametrize("filters", [["--year", "2022/23"], ["--service", "dorset"], ["--status", "completed"],
                                     ["--year", "2021/22", "--service", "BCP", "--status", "closed"]])
def test_case_list_and_intake_export_pick_the_same_cases(settings_file, filters):
    listed = invoke("case", "list", *filters, "--settings", settings_file)
    assert listed.exit_code == 0, listed.output
    references = set(re.findall(r"^\| ((?:BCP|DOR)-\d{4}) ", listed.output, re.M))
    workbook = settings_file.parent / "export.xlsx"
    exported = invoke("intake", "export", workbook, *filters, "--settings", settings_file)
    assert exported.exit_code == 0, exported.output
    book = openpyxl.load_workbook(workbook)
    assert {row[0] for row in book["Cases"].iter_rows(min_row=2, values_only=True) if row[0]} == references
    assert references
