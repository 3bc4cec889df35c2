"""Writing case files back (issue #4): the sample's exact layout, updates that only append and
lose nothing, references in the service's pattern, and no write that `validate` would refuse."""

from __future__ import annotations

import datetime
import pathlib
import shutil
import tomllib
from decimal import Decimal

import pytest

from test_entry_support import ROOT, sample_project, snapshot
from up2u_cba import models, pipeline
from up2u_cba.entry import case_files
from up2u_cba.inputs import cases

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "entry"


def event(status: str, day: str, reason: str | None = None) -> models.StatusEvent:
    return models.StatusEvent(status=status, date=datetime.date.fromisoformat(day), reason=reason)


def service(pattern: str = r"BCP-\d{4}") -> models.ServiceSettings:
    return models.ServiceSettings(name="BCP", localities=("Poole",), reference_pattern=pattern)


@pytest.fixture
def project(tmp_path):
    settings = sample_project(tmp_path)
    inputs, problems = pipeline.load(str(settings))
    assert problems == []
    return tmp_path, inputs


# --- layout ----------------------------------------------------------------------------------


def test_every_sample_case_is_written_back_byte_for_byte():
    paths = cases.case_files(str(ROOT / "cases"))
    assert len(paths) > 50
    for path in paths:
        text = pathlib.Path(path).read_text(encoding="utf-8")
        record, problems = cases.load_file(path)
        assert problems == []
        assert case_files.render(record, case_files.leading_comment(text)) == text, path


def test_text_that_needs_escaping_reads_back_as_entered():
    outcome = models.OutcomeEntry(code="HE1.0", quantity=Decimal("0.5"), years=Decimal("2.25"),
                                  description='Said "no" to drink \\ tab\there', evidence="Line one\nline two")
    record = models.CaseRecord(reference="BCP-9001", service="BCP", locality="Poole",
                               history=(event("referred", "2022-05-01"), event("completed", "2023-01-10")),
                               outcomes=(outcome,))
    text = case_files.render(record)
    assert "quantity = 0.5\nyears = 2.25\n" in text
    back, problems = cases.parse("", tomllib.loads(text))
    assert problems == [] and back.outcomes[0].description == outcome.description
    assert back.outcomes[0].evidence == outcome.evidence and back.outcomes[0].years == Decimal("2.25")


# --- updates append, and lose nothing ----------------------------------------------------------


def test_an_update_to_a_hand_edited_file_keeps_every_byte_and_appends(tmp_path):
    path = tmp_path / "BCP-9002.toml"
    shutil.copy(FIXTURES / "hand_edited.toml", path)
    old_text = path.read_text()
    old, problems = cases.load_file(str(path))
    assert problems == []
    new = old.model_copy(update={"history": (*old.history, event("programme", "2022-09-01"))})
    text = case_files.updated_text(old_text, old, new)
    assert text.startswith(old_text)  # the analyst's comments and layout stay as they were
    assert text[len(old_text):] == '\n[[status]]\nstatus = "programme"\ndate = 2022-09-01\n'


def test_an_update_to_a_commented_file_saved_with_a_byte_order_mark_keeps_its_comments(tmp_path):
    path = tmp_path / "BCP-9002.toml"
    path.write_text("\ufeff" + (FIXTURES / "hand_edited.toml").read_text(encoding="utf-8"), encoding="utf-8")
    old_text = path.read_text(encoding="utf-8")
    old, problems = cases.load_file(str(path))
    assert problems == []
    new = old.model_copy(update={"history": (*old.history, event("programme", "2022-09-01"))})
    text = case_files.updated_text(old_text, old, new)
    assert text is not None  # was refused as would-lose-comments: the mark hid the leading comment
    assert text.startswith(old_text.removeprefix("\ufeff"))


def test_an_update_to_a_file_in_the_sample_layout_keeps_that_layout():
    path = ROOT / "cases" / "BCP" / "BCP-0046.toml"  # referred, then assessment
    old_text = path.read_text()
    old, _ = cases.load_file(str(path))
    new = old.model_copy(update={"history": (*old.history, event("programme", "2022-11-20"))})
    text = case_files.updated_text(old_text, old, new)
    assert text == case_files.render(new, case_files.leading_comment(old_text))
    assert text.startswith(old_text)  # here the new table simply follows the last status


def test_statuses_written_as_an_inline_array_are_laid_out_again_without_loss(tmp_path):
    text = ('# Synthetic test case: invented.\nreference = "BCP-9003"\nservice = "BCP"\nlocality = "Poole"\n'
            'status = [{ status = "referred", date = 2022-05-01 }]\n')
    old, problems = cases.parse("", tomllib.loads(text))
    assert problems == []
    new = old.model_copy(update={"history": (*old.history, event("assessment", "2022-05-20"))})
    updated = case_files.updated_text(text, old, new)
    back, problems = cases.parse("", tomllib.loads(updated))
    assert problems == [] and back.history == new.history
    assert updated.startswith("# Synthetic test case: invented.\n")


def test_an_update_that_rewrites_history_is_refused(project):
    folder, inputs = project
    old = next(record for record in inputs.cases if record.reference == "BCP-0046")
    text = pathlib.Path(old.file).read_text()
    earlier = old.model_copy(update={"history": old.history[:1]})  # drops the assessment
    problems = case_files.save_update(old, text, earlier, inputs.settings.cases_folder,
                                      inputs.settings, inputs.costs, inputs.series)
    assert [problem.code for problem in problems] == ["history-rewritten"]
    assert pathlib.Path(old.file).read_text() == text


def test_an_update_over_a_file_changed_meanwhile_is_refused(project):
    folder, inputs = project
    old = next(record for record in inputs.cases if record.reference == "BCP-0046")
    text = pathlib.Path(old.file).read_text()
    pathlib.Path(old.file).write_text(text + "# someone else's note\n")
    new = old.model_copy(update={"history": (*old.history, event("programme", "2022-11-20"))})
    problems = case_files.save_update(old, text, new, inputs.settings.cases_folder,
                                      inputs.settings, inputs.costs, inputs.series)
    assert [problem.code for problem in problems] == ["case-changed"]
    assert pathlib.Path(old.file).read_text().endswith("# someone else's note\n")


def test_an_update_whose_text_was_read_after_another_runs_save_is_refused_not_laid_over_it(project):
    # (an attack: a run read the case, another run saved an update, then the first read the file's
    # text for its own save: the text matched the file, the record did not, and the first run's
    # save laid the case out again from its stale record, erasing the other run's saved change)
    folder, inputs = project
    old = next(record for record in inputs.cases if record.reference == "BCP-0046")
    text = pathlib.Path(old.file).read_text()
    theirs = old.model_copy(update={"history": (*old.history, event("programme", "2022-11-20"))})
    assert case_files.save_update(old, text, theirs, inputs.settings.cases_folder,
                                  inputs.settings, inputs.costs, inputs.series) == []
    saved = pathlib.Path(old.file).read_text()
    mine = old.model_copy(update={"history": (*old.history, event("programme", "2022-11-21"))})
    problems = case_files.save_update(old, saved, mine, inputs.settings.cases_folder,
                                      inputs.settings, inputs.costs, inputs.series)
    assert [problem.code for problem in problems] == ["case-changed"]
    assert pathlib.Path(old.file).read_text() == saved  # theirs kept


# --- nothing is written that validate would refuse ------------------------------------------


def new_case(outcomes=(), history=None) -> models.CaseRecord:
    return models.CaseRecord(reference="BCP-9001", service="BCP", locality="Poole",
                             history=history or (event("referred", "2022-05-01"), event("completed", "2023-01-10")),
                             outcomes=tuple(outcomes))


@pytest.mark.parametrize("outcome, code, where", [
    (models.OutcomeEntry(code="HE1.0", quantity=1, evidence="Letter to AB12 3CD"), "personal-data", "outcomes[1].evidence"),
    (models.OutcomeEntry(code="HE9.9", quantity=1, evidence="GP letter"), "unknown-cost-code", "outcomes[1].code"),
    (models.OutcomeEntry(code="HE1.0", quantity=1, evidence="x" * 201), "text-too-long", "outcomes[1].evidence"),
])
def test_a_new_case_that_would_fail_validate_is_not_written(project, outcome, code, where):
    folder, inputs = project
    before = snapshot(folder)
    path = str(folder / "cases" / "BCP" / "BCP-9001.toml")
    problems = case_files.save_new(new_case([outcome]).model_copy(update={"file": path}), path,
                                   inputs.settings.cases_folder, inputs.settings, inputs.costs, inputs.series)
    assert [(problem.code, problem.file, problem.where) for problem in problems] == [(code, path, where)]
    assert snapshot(folder) == before  # not the case, nor a temporary file


def test_a_parent_and_its_constituent_are_not_written(project):
    folder, inputs = project
    path = str(folder / "cases" / "BCP" / "BCP-9001.toml")
    record = new_case([models.OutcomeEntry(code="CR2.0", quantity=1, evidence="Police check"),
                       models.OutcomeEntry(code="CR2.0.3", quantity=1, evidence="Police check")])
    problems = case_files.save_new(record.model_copy(update={"file": path}), path, inputs.settings.cases_folder,
                                   inputs.settings, inputs.costs, inputs.series)
    assert [problem.code for problem in problems] == ["double-counted-constituent"]
    assert not pathlib.Path(path).exists()


def test_a_taken_reference_is_refused_and_the_stored_case_kept(project):
    folder, inputs = project
    stored = folder / "cases" / "BCP" / "BCP-0001.toml"
    text = stored.read_text()
    record = new_case().model_copy(update={"reference": "BCP-0001", "file": str(stored)})
    problems = case_files.save_new(record, str(stored), inputs.settings.cases_folder,
                                   inputs.settings, inputs.costs, inputs.series)
    assert [problem.code for problem in problems] == ["reference-taken"]
    assert stored.read_text() == text


# --- references --------------------------------------------------------------------------------


def test_the_next_reference_follows_the_highest_in_use():
    assert case_files.next_reference(service(), {"BCP-0001", "BCP-0070", "BCP-0003"}) == "BCP-0071"
    assert case_files.next_reference(service(), set()) == "BCP-0001"
    assert case_files.next_reference(service(r"DOR-\d{4}"), {"BCP-0070"}) == "DOR-0001"


def test_the_next_reference_stays_in_the_pattern():
    full = {"BCP-9999", "BCP-0001"}
    assert case_files.next_reference(service(), full) == "BCP-0002"  # BCP-10000 would not match


def test_a_pattern_too_clever_to_read_learns_from_the_references_in_use():
    clever = service(r"(?:BCP|BCPX)-\d{3}[0-9]")
    assert case_files.next_reference(clever, {"BCP-0041", "BCP-0007"}) == "BCP-0042"
    assert case_files.next_reference(clever, set()) is None  # nothing to go on: the user types one


@pytest.mark.parametrize("reference, refused", [
    ("BCP-0071", False),
    ("BCP-71", True),
    ("JohnSmith", True),
    ("../BCP-0071", True),
    ("BCP 0071", True),
])
def test_references_must_match_the_pattern_and_be_safe_file_names(reference, refused):
    assert (case_files.reference_problem(reference, service()) is not None) == refused


def test_references_in_use_include_unreadable_files_by_their_name(tmp_path):
    (tmp_path / "BCP").mkdir()
    (tmp_path / "BCP" / "BCP-0005.toml").write_text("this is not TOML [")
    (tmp_path / "BCP" / "odd-name.toml").write_text('reference = "BCP-0009"\n')
    assert set(case_files.known_references(str(tmp_path))) == {"BCP-0005", "ODD-NAME", "BCP-0009"}
