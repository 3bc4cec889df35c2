"""A case's history of changes and its withdrawal, as stored in its case file."""

from __future__ import annotations

import datetime
import tomllib
from decimal import Decimal

import pytest

from hostile import sample_project
from up2u_cba import models, pipeline
from up2u_cba.entry import case_files, case_history
from up2u_cba.inputs import cases, settings

NOON = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def project(tmp_path):
    return sample_project(tmp_path)


def stored(project, reference="BCP-0001"):
    record, problems = cases.load_file(str(project.parent / "cases" / "BCP" / f"{reference}.toml"))
    assert problems == []
    return record


def loaded_settings(project, extra=""):
    if extra:
        project.write_text(project.read_text() + extra)
    found, problems = settings.load(str(project))
    assert problems == []
    return found


def with_outcomes(record, *outcomes):
    return record.model_copy(update={"outcomes": tuple(outcomes)})


def test_a_changed_quantity_is_one_change_and_a_removed_line_one_removal(project):
    old = stored(project)  # BCP-SS1 x1, CR2.0 x3, HO3.0 x1
    first, second, third = old.outcomes
    new = with_outcomes(old, first, second.model_copy(update={"quantity": Decimal(2)}))
    assert case_history.differences(old, new) == ["outcomes[2].quantity: 3 -> 2", "outcomes[3] removed (HO3.0 x 1)"]


def test_removing_a_middle_line_does_not_read_as_every_later_line_changed(project):
    old = stored(project)
    first, _, third = old.outcomes
    assert case_history.differences(old, with_outcomes(old, first, third)) == ["outcomes[2] removed (CR2.0 x 3)"]


def test_a_corrected_code_is_a_change_of_that_line(project):
    old = stored(project)
    first, second, third = old.outcomes
    new = with_outcomes(old, first, second.model_copy(update={"code": "CR2.0.1"}), third)
    assert case_history.differences(old, new) == ["outcomes[2].code: 'CR2.0' -> 'CR2.0.1'"]


def test_lines_reordered_read_as_moved_and_a_moved_line_changed_says_so(project):
    """Not as lines added, removed and changed (outcomes[1] added (CR2.0 x 3); outcomes[3].code...)."""
    old = stored(project)  # BCP-SS1 x1, CR2.0 x3, HO3.0 x1
    first, second, third = old.outcomes
    assert case_history.differences(old, with_outcomes(old, second, first, third)) == [
        "outcomes reordered: now 2, 1, 3 as numbered before"]
    assert case_history.differences(old, with_outcomes(old, third, second, first)) == [
        "outcomes reordered: now 3, 2, 1 as numbered before"]
    changed = third.model_copy(update={"quantity": Decimal(2)})
    added = second.model_copy(update={"code": "HE1.0"})
    assert case_history.differences(old, with_outcomes(old, changed, added, first)) == [
        "outcomes reordered: now 3, new, 1 as numbered before", "outcomes[2] added (HE1.0 x 3)",
        "outcomes[2] removed (CR2.0 x 3)", "outcomes[3].quantity: 1 -> 2 (now line 1)"]


def test_free_text_is_never_kept_in_the_history(project):
    old = stored(project)
    first, second, third = old.outcomes
    new = with_outcomes(old, first.model_copy(update={"description": ""}),
                        second.model_copy(update={"evidence": "Police check"}), third)
    what = case_history.differences(old, new)
    assert what == ["outcomes[1].description: removed", "outcomes[2].evidence: changed"]
    assert second.evidence not in " ".join(what) and "Police check" not in " ".join(what)


def test_text_a_later_correction_takes_out_is_gone_from_the_whole_file(project):
    """Two corrections through the CLI: identifying text put in, then taken out again; the file,
    history and all, no longer holds it."""
    from hostile import invoke
    path = project.parent / "cases" / "BCP" / "BCP-0001.toml"
    slip = "Participant is the Poole lifeboat coxswain"
    for description, reason in ((slip, "wrong case"), ("Children kept out of care", "identifying text taken out")):
        result = invoke("case", "amend", "BCP-0001", "--settings", project, "--yes", "--reason", reason,
                        "--set", f"outcomes[1].description={description}")
        assert result.exit_code == 0, result.output
    assert slip not in path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").count('"outcomes[1].description: changed"') == 2


def test_event_and_locality_changes_say_old_and_new(project):
    old = stored(project)
    history = list(old.history)
    history[3] = history[3].model_copy(update={"date": datetime.date(2021, 10, 18)})
    new = old.model_copy(update={"locality": "Poole", "history": tuple(history)})
    assert case_history.differences(old, new) == ["locality: 'Bournemouth' -> 'Poole'",
                                                  "status[4].date: 2021-10-15 -> 2021-10-18"]


def test_history_and_withdrawal_survive_writing_and_reading(project):
    old = stored(project)
    change = case_history.new_change(models.ChangeKind.WITHDRAWN, loaded_settings(project), reason="entered twice",
                                     now=NOON)
    new = case_history.with_change(old.model_copy(update={"withdrawn": True}), change)
    text = case_files.render(new)
    assert 'withdrawn = true' in text and 'made = 2026-11-30T12:00:00Z' in text
    read, problems = cases.parse(old.file, tomllib.loads(text))
    assert problems == [] and read == new
    assert read.changes[0].tool.startswith("up2u-cba ") and read.changes[0].user == ""


def test_the_user_is_recorded_only_when_the_settings_ask(project):
    found = loaded_settings(project, "\n[history]\nrecord_user = true\n")
    assert found.record_user
    assert case_history.new_change(models.ChangeKind.AMENDED, found, reason="x").user != ""


@pytest.mark.parametrize("entry, where", [
    ('[[change]]\nmade = "yesterday"\nkind = "amended"\n', "change[1].made"),
    ('[[change]]\nmade = 2026-11-30T12:00:00Z\nkind = "deleted"\n', "change[1].kind"),
    ('[[change]]\nmade = 2026-11-30T12:00:00Z\nkind = "amended"\nwhat = "all of it"\n', "change[1].what"),
    ('[[change]]\nmade = 2026-11-30T12:00:00Z\nkind = "amended"\nwho = "me"\n', "change[1].who"),
])
def test_a_damaged_history_entry_is_a_problem_naming_it(project, entry, where):
    path = project.parent / "cases" / "BCP" / "BCP-0001.toml"
    path.write_text(path.read_text() + "\n" + entry)
    _, problems = cases.load_file(str(path))
    assert where in [problem.where for problem in problems]


def test_a_withdrawn_case_is_counted_nowhere_but_still_stored(project):
    path = project.parent / "cases" / "BCP" / "BCP-0001.toml"
    before, _ = pipeline.load(str(project))
    text = path.read_text().replace('locality = "Bournemouth"\n', 'locality = "Bournemouth"\nwithdrawn = true\n')
    path.write_text(text)
    inputs, problems = pipeline.load(str(project))
    assert problems == []
    assert "BCP-0001" not in [case.reference for case in inputs.cases]
    assert [case.reference for case in inputs.withdrawn] == ["BCP-0001"]
    assert len(inputs.stored) == len(before.cases)


def test_a_replacement_must_keep_the_history_and_add_to_it(project):
    inputs, _ = pipeline.load(str(project))
    old = stored(project)
    text = (project.parent / "cases" / "BCP" / "BCP-0001.toml").read_text()
    args = (inputs.settings.cases_folder, inputs.settings, inputs.costs, inputs.series)
    unchanged_history = old.model_copy(update={"locality": "Poole"})
    assert [p.code for p in case_files.save_replacement(old, text, unchanged_history, *args)] == ["history-rewritten"]
    change = case_history.new_change(models.ChangeKind.AMENDED, inputs.settings,
                                     case_history.differences(old, unchanged_history), "mistyped")
    assert case_files.save_replacement(old, text, case_history.with_change(unchanged_history, change), *args) == []
    again = stored(project)
    assert again.locality == "Poole" and [c.what for c in again.changes] == [("locality: 'Bournemouth' -> 'Poole'",)]
    dropped = again.model_copy(update={"changes": ()})
    again_text = (project.parent / "cases" / "BCP" / "BCP-0001.toml").read_text()
    second = case_history.new_change(models.ChangeKind.AMENDED, inputs.settings, (), "again")
    assert [p.code for p in case_files.save_replacement(again, again_text, case_history.with_change(dropped, second),
                                                        *args)] == ["history-rewritten"]


def test_changed_since_lists_only_later_changes(project):
    old = stored(project)
    found = loaded_settings(project)
    early = case_history.new_change(models.ChangeKind.CREATED, found, now=NOON - datetime.timedelta(days=10))
    late = case_history.new_change(models.ChangeKind.AMENDED, found, reason="x", now=NOON)
    record = case_history.with_change(case_history.with_change(old, early), late)
    assert case_history.changed_since([record], NOON - datetime.timedelta(days=1)) == [(record, [late])]
    assert case_history.changed_since([record], NOON) == []
