"""Counts are said as a sentence says them ("1 case", "2 cases"), never "case(s)" (issue #10,
deliverable 8): no message in the tool writes a noun with "(s)"; they use problems.counted."""

from __future__ import annotations

import pathlib
import re

from up2u_cba import problems

PACKAGE = pathlib.Path(problems.__file__).parent


def test_no_message_counts_with_a_bracketed_s():
    found = [f"{path.name}:{number}: {line.strip()}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if re.search(r"[A-Za-z]\(s\)", line)]
    assert found == []


def test_a_count_of_one_is_singular():
    assert problems.counted(1, "case file") == "1 case file"
    assert problems.counted(0, "case file") == "0 case files"
    assert problems.counted(14, "case file") == "14 case files"
