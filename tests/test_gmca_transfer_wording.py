"""`costs import` marks a transfer only from the workbook's own wording, never from a negated or
past-tense sentence, and lists every other sentence on transfers or exclusion for a person to
check (issue #13 follow-up; small workbooks built with ``test_gmca_import.make_workbook``).
"""

from __future__ import annotations

from hostile import invoke
from test_gmca_import import make_workbook, row
from up2u_cba.inputs import gmca


def commented(code: str, description: str, comment: str) -> list:
    cells = row(code, description, 100)
    cells[18] = comment
    return cells


WORDED = {
    # code: (comment, marked?)
    "EE1.0": ("Note that when considering the overall public value relating to achieving the qualification, the "
              "fiscal saving should be excluded, as this is effectively a transfer payment (taxation benefits "
              "simply move monies from the individual to the Exchequer).", True),
    "EE2.0": ("When calculating total public value, the fiscal benefit to HMT should be excluded, as it is a "
              "transfer payment.", True),
    "EE3.0": ("When calculating total public value, the fiscal benefit to HMT should not be excluded, as it is a "
              "transfer payment.", False),
    "EE4.0": ("The fiscal saving shouldn't be excluded, as this is effectively a transfer payment.", False),
    "EE5.0": ("Benefit payments have been excluded, as they are transfer payments.", False),
    "EE6.0": ("The fiscal saving was excluded from public value in earlier editions.", False),
    "EE7.0": ("This cost is no transfer: the fiscal saving should be excluded, as this is a transfer payment "
              "only where benefits stop.", False),
    "EE8.0": ("A cost of staff time; see the comment above for how it was derived.", False),
}


def build(tmp_path) -> str:
    rows = [commented(code, f"Cost {code}", comment) for code, (comment, _) in WORDED.items()]
    return make_workbook(tmp_path / "book.xlsx", {"Employment & Economy": rows})


def test_only_the_workbooks_affirmative_wording_marks_a_transfer(tmp_path):
    result = gmca.import_workbook(build(tmp_path))
    assert result.problems == []
    assert {mark.code for mark in result.transfers} == {code for code, (_, marked) in WORDED.items() if marked}
    costs = {cost.code: cost for cost in result.costs}
    assert {code for code, cost in costs.items() if cost.transfer} == {"EE1.0", "EE2.0"}


def test_sentences_on_transfers_not_recognised_are_listed_for_a_person_to_check(tmp_path):
    output = tmp_path / "costs.csv"
    result = invoke("costs", "import", build(tmp_path), "-o", str(output))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    heading = next(index for index, line in enumerate(lines)
                   if line.startswith("Comments on transfers, public value or benefit payments not recognised, "
                                      "5 sentences"))
    listed = lines[heading + 1:heading + 6]
    assert [line.split(" comment:")[0] for line in listed] == [
        f"  Employment & Economy row {number} {code}"
        for number, code in ((5, "EE3.0"), (6, "EE4.0"), (7, "EE5.0"), (8, "EE6.0"), (9, "EE7.0"))]
    assert "should not be excluded" in listed[0]
    assert not any("EE8.0" in line for line in lines)  # a comment not about transfers is not listed


def test_the_v14_workbook_marks_its_twelve_and_lists_the_benefit_payments_it_names_no_transfer():
    from test_gmca_transfers_and_places import TRANSFERS, WORKBOOK

    result = gmca.import_workbook(str(WORKBOOK))
    assert {mark.code for mark in result.transfers} == TRANSFERS
    listed = {mention.code for mention in result.unrecognised}
    # benefit payments (worklessness, Housing Benefit) the comments do not call transfers: a person decides
    assert {"E&E10.0", "E&E10.1", "HO4.2", "HO4.3"} <= listed
    # a recognised statement's own comment restating public value ('Total public value is £443') is not listed
    assert not listed & TRANSFERS and not listed & {"E&S5.0", "E&E1.0"}
