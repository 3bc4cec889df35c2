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


BARE_COUNT = re.compile(r"\{len\([^{}]*\)\}\s+(?:[A-Za-z]+ )?(?!(?:is|was|has|does)\b)[A-Za-z]+s\b")
"""A length put straight before a plural noun in an f-string: ``{len(found)} costs``,
``{len(result.costs)} unit costs``, which says "1 costs" for one."""


def test_no_message_puts_a_plural_noun_after_a_bare_count():
    found = [f"{path.name}:{number}: {line.strip()}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if BARE_COUNT.search(line)]
    assert found == []


def test_the_bare_count_check_finds_what_it_looks_for():
    assert BARE_COUNT.search('f"Wrote {len(result.costs)} unit costs to {output}"')
    assert BARE_COUNT.search('f"({len(run)} rows): {first.reason}"')
    assert not BARE_COUNT.search('f"{len(rows)} is more than {counted(len(rows), \'row\')}"')
    assert not BARE_COUNT.search('f", {len(inputs.withdrawn)} withdrawn"')


def test_validate_says_one_case_not_one_cases(tmp_path):
    from hostile import invoke, sample_project

    settings_file = sample_project(tmp_path)
    for path in sorted((tmp_path / "cases").rglob("*.toml"))[1:]:
        path.unlink()
    result = invoke("validate", "--settings", settings_file)
    assert result.exit_code == 0, result.output
    assert "OK: 1 case (" in result.output and "1 cases" not in result.output
