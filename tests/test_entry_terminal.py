"""Guided entry driven as a user drives it: the real program in a pseudo-terminal, answers typed
one at a time, against a copy of the sample project (issue #4).

The first test is the issue's "done when": a session creates a completed case that `validate`
accepts and `report` counts, with the savings the session showed.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest
from click.testing import CliRunner

from test_entry_support import Terminal, sample_project, snapshot
from up2u_cba.cli.main import main

EXPECTED = pathlib.Path(__file__).parent / "fixtures" / "entry" / "BCP-0064-entered.toml"


@pytest.fixture
def project(tmp_path):
    settings = sample_project(tmp_path)
    terminals: list[Terminal] = []

    def start(*args: str) -> Terminal:
        terminal = Terminal([*args, "--settings", str(settings)], cwd=tmp_path)
        terminals.append(terminal)
        return terminal

    yield tmp_path, settings, start
    for terminal in terminals:
        terminal.close()


def number_of(terminal: Terminal, code: str) -> str:
    """The menu number the search listing gives ``code``."""
    return terminal.expect(rf"(\d+)\) {re.escape(code)} ").group(1)


def test_a_typed_session_creates_a_completed_case_that_validate_accepts_and_report_counts(project):
    folder, settings, start = project
    term = start("case", "new")
    term.answer(r"Service \(1=BCP, 2=Dorset\): ", "1")
    term.answer(r"Locality \(.*\): ", "poole")
    term.expect(r"Reference \(pseudonymised\) \[BCP-0064\]: ")  # the next free reference is offered
    term.type("")
    term.answer(r"Referral date \(e\.g\. 12/05/2023, 12 May 2023 or 2023-05-12\) \[[\d-]+\]: ", "2022-13-01")
    term.expect(r"Error: .*not a day")  # re-asked
    term.answer(r"Referral date .*: ", "2022-06-01")
    term.answer(r"Next status .*: ", "assessment")
    term.answer(r"Date of the assessment .*: ", "2022-05-20")
    term.expect(r"Error: '2022-05-20' is before the case's last event")  # events in date order
    term.answer(r"Date of the assessment .*: ", "2022-06-20")
    term.answer(r"Next status .*: ", "programme")
    term.answer(r"Date of the programme start .*: ", "2022-07-15")
    term.answer(r"Next status .*: ", "completed")
    term.answer(r"Date of the completion .*: ", "2023-02-10")

    # Line 1, found by words.
    term.answer(r"Find a unit cost.*: ", "alcohol dependency")
    term.answer(r"Choose 1-\d+ .*: ", number_of(term, "HE1.0"))
    term.answer(r"Quantity .*\[1\]: ", "")
    term.answer(r"Years it counts for \[1\]: ", "")
    term.answer(r"Description .*: ", "Abstinent from alcohol for 1 year")
    term.answer(r"Evidence note .*: ", "GP letter, DOB 12/03/1985")
    refusal = term.expect(r"Error: evidence looks like a date or a date of birth[^\n]*")
    assert "12/03/1985" not in refusal.group(0)  # the suspect text is never echoed back
    term.answer(r"Evidence note .*: ", "Confirmed by substance misuse service")
    line = term.expect(r"Line 1: HE1.0 x 1 x 1 year = (£[\d,]+) +Case total: (£[\d,]+)")
    assert line.group(1) == line.group(2) == "£2,095"

    # Line 2: a quantity of 0 is refused and re-asked.
    term.answer(r"Next \(1=add, 2=change, 3=remove, 4=done\) \[done\]: ", "add")
    term.answer(r"Find a unit cost.*: ", "domestic violence")
    term.answer(r"Choose 1-\d+ .*: ", number_of(term, "CR2.0"))
    term.answer(r"Quantity .*: ", "0")
    term.expect(r"Error: the quantity must be greater than 0")
    term.answer(r"Quantity .*: ", "2")
    term.answer(r"Years it counts for \[1\]: ", "")
    term.answer(r"Description .*: ", "Reduction in domestic abuse, incidents x2")
    term.answer(r"Evidence note .*: ", "Police incident check, 3 months after completion")
    term.expect(r"Line 2: CR2.0 x 2 x 1 year = £5,824 +Case total: £7,919")

    # A constituent of CR2.0 is refused at once: it would count the same money twice.
    term.answer(r"Next .*: ", "add")
    term.answer(r"Find a unit cost.*: ", "cr2.0.3")  # a code, in any case, is taken with no menu
    term.expect(r"Error: case BCP-0064 counts CR2.0.3, which is part of CR2.0")

    # Line 3 typed by its code, then removed; line 2 changed to 3 incidents.
    term.answer(r"Next .*: ", "add")
    term.answer(r"Find a unit cost.*: ", "HO3.0")
    term.answer(r"Quantity .*: ", "1")
    term.answer(r"Years .*: ", "")
    term.answer(r"Description .*: ", "")
    term.answer(r"Evidence note .*: ", "Housing options confirm tenancy sustained")
    term.expect(r"Line 3: HO3.0 .* Case total: (£[\d,]+)")
    term.answer(r"Next .*: ", "remove")
    term.answer(r"Which line to remove \(1-3\): ", "3")
    term.expect(r"Removed line 3 \(HO3.0\)\. Case total: £7,919")
    term.answer(r"Next .*: ", "change")
    term.answer(r"Which line to change \(1-2\): ", "2")
    term.answer(r"Unit cost of the line \[CR2.0\]: .*: ", "")
    term.answer(r"Quantity .*\[2\]: ", "3")
    term.answer(r"Years .*\[1\]: ", "")
    term.answer(r"Description .*: ", "Reduction in domestic abuse, incidents x3")
    term.answer(r"Evidence note .*\[Police incident check, 3 months after completion\]: ", "")
    shown = term.expect(r"Line 2: CR2.0 x 3 x 1 year = £8,735 +Case total: (£[\d,]+)").group(1)
    assert shown == "£10,830"
    term.answer(r"Next .*: ", "done")

    # The finished case table, then a confirmation with no default.
    term.expect(r"\| Total saving +\|.*\| +£10,830 \|")
    term.answer(r"Write case BCP-0064 to .*BCP-0064.toml\? \[y/n\]: ", "")
    term.answer(r"\[y/n\]: ", "y")
    term.expect(r"Saved .*BCP-0064.toml; it passes the checks `validate` runs.")
    assert term.wait() == 0

    written = folder / "cases" / "BCP" / "BCP-0064.toml"
    case_text, _, history = written.read_text(encoding="utf-8").partition("\n[[change]]\n")
    assert case_text == EXPECTED.read_text(encoding="utf-8")
    assert re.fullmatch(r'made = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nkind = "created"\ntool = "up2u-cba [^"]+"\n', history)
    validate = CliRunner().invoke(main, ["validate", "--settings", str(settings)])
    assert validate.exit_code == 0, validate.output
    report = CliRunner().invoke(main, ["report", "--settings", str(settings), "--year", "2022/23",
                                       "--service", "BCP", "--format", "json"])
    assert report.exit_code == 0, report.output
    service = json.loads(report.stdout)["services"][0]
    counted = {case["reference"]: case["total_saving"] for case in service["cases"]}
    assert counted["BCP-0064"] == 10830  # the report counts it, with the total the session showed
    assert service["completers"] == 21  # the sample's 20 completers in 2022/23, and this one


def test_ctrl_c_in_the_middle_writes_nothing(project):
    folder, settings, start = project
    before = snapshot(folder)
    term = start("case", "new")
    term.answer(r"Service .*: ", "BCP")
    term.answer(r"Locality .*: ", "Poole")
    term.expect(r"Reference .*: ")
    term.interrupt()
    term.expect(r"Stopped: nothing was written\.")
    assert term.wait() == 1
    assert snapshot(folder) == before


def test_answering_no_to_the_confirmation_writes_nothing(project):
    folder, settings, start = project
    before = snapshot(folder)
    term = start("case", "update", "BCP-0046")  # in assessment since 2022-10-30
    term.answer(r"New status \(1=assessment, 2=programme start, 3=completed, 4=closed\) \[programme start\]: ", "")
    term.answer(r"Date of the programme start \(.*; not before 2022-10-30\) .*: ", "2022-11-20")
    term.answer(r"Has the case moved on\? .*: ", "")
    term.expect(r"2022-11-20  programme  \(new\)")
    term.answer(r"Write these additions to .*BCP-0046.toml\? \[y/n\]: ", "n")
    term.expect(r"Stopped: nothing was written\.")
    assert term.wait() == 1
    assert snapshot(folder) == before


def test_two_people_saving_at_once_get_different_references(project):
    folder, settings, start = project
    first, second = start("case", "new"), start("case", "new")
    for term, locality in ((first, "Poole"), (second, "Bournemouth")):
        term.answer(r"Service .*: ", "BCP")
        term.answer(r"Locality .*: ", locality)
        term.answer(r"Reference \(pseudonymised\) \[BCP-0064\]: ", "")  # both are offered BCP-0064
        term.answer(r"Referral date .*: ", "2023-03-01")
        term.answer(r"Next status .*: ", "")
    first.answer(r"Write case BCP-0064 .*\[y/n\]: ", "y")
    first.expect(r"Saved .*BCP-0064.toml")
    assert first.wait() == 0
    second.answer(r"Write case BCP-0064 .*\[y/n\]: ", "y")
    second.expect(r"BCP-0064 has just been taken by someone else\.")
    second.answer(r"Write case BCP-0065 to .*\[y/n\]: ", "y")
    second.expect(r"Saved .*BCP-0065.toml")
    assert second.wait() == 0
    assert 'locality = "Poole"' in (folder / "cases" / "BCP" / "BCP-0064.toml").read_text()
    assert 'locality = "Bournemouth"' in (folder / "cases" / "BCP" / "BCP-0065.toml").read_text()
