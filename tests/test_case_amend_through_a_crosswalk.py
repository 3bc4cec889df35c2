"""Correcting a line's code under a crosswalk keeps the code as the user entered it (issue #13):
the case file holds the older edition's code; the crosswalk maps it only when valuing."""

from __future__ import annotations

from hostile import invoke
from test_crosswalk import project  # noqa: F401  (the fixture: the sample moved to a renumbered edition)


def test_an_old_code_set_by_case_amend_is_stored_as_entered_not_as_the_new_code(project):  # noqa: F811
    case = project.parent / "cases" / "BCP" / "BCP-0001.toml"
    result = invoke("case", "amend", "BCP-0001", "--settings", project, "--set", "outcomes[1].code=he1.0",
                    "--reason", "the first line was the alcohol outcome", "--yes")
    assert result.exit_code == 0, result.output
    text = case.read_text(encoding="utf-8")
    assert 'code = "HE1.0"' in text and "HE30.0" not in text  # the tables' spelling of the old code
