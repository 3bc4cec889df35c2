"""A reference's shape is told by an example ("BCP references look like BCP-0042"), never by the
settings' regular expression (issue #10, deliverable 8): in validate, guided entry and intake."""

from __future__ import annotations

import openpyxl

from hostile import REPO, assert_refused, invoke, sample_project
from up2u_cba import models
from up2u_cba.inputs import reference_examples

REGEX_PARTS = ("\\d", "{4}", "[0-9]", "(BCP|", "|BOU")


def without_regex(output: str) -> None:
    for part in REGEX_PARTS:
        assert part not in output, f"{part!r} shown to the user:\n{output}"


def test_validate_shows_a_wrong_reference_the_shape_by_an_example(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0011.toml"
    path.write_text(path.read_text().replace('reference = "BCP-0011"', 'reference = "BCP-11"'))
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "BCP-0011.toml: reference", "BCP references look like BCP-0042", "[bad-reference]")
    without_regex(result.output)


def test_guided_entry_shows_a_wrong_reference_the_shape_by_an_example(tmp_path):
    settings = sample_project(tmp_path)
    answers = ["BCP", "Poole", "BCP-12", "BCP-9101", "2023-05-12", "", "y"]
    result = invoke("case", "new", "--settings", settings, input="".join(f"{answer}\n" for answer in answers))
    assert result.exit_code == 0, result.output
    (refusal,) = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert "BCP references look like BCP-0042" in refusal
    without_regex(refusal)


def test_intake_shows_a_wrong_reference_the_shape_by_an_example(tmp_path):
    settings = sample_project(tmp_path)
    template = tmp_path / "template.xlsx"
    assert invoke("intake", "template", template, "--settings", settings).exit_code == 0
    book = openpyxl.load_workbook(template)
    for column, value in enumerate(("DOR-12", "Dorset", "West Dorset", "referred", "12/05/2023"), start=1):
        book["Cases"].cell(row=2, column=column, value=value)
    book.save(tmp_path / "intake.xlsx")
    result = invoke("intake", "import", tmp_path / "intake.xlsx", "--settings", settings)
    assert_refused(result, "Cases row 2: reference", "Dorset references look like DOR-0042", "[bad-reference]")
    without_regex(result.output)


def test_a_pattern_too_clever_to_exemplify_is_shown_by_a_reference_in_use(tmp_path):
    settings = sample_project(tmp_path)
    text = settings.read_text()
    settings.write_text(text.replace('reference_pattern = "BCP-\\\\d{4}"', 'reference_pattern = "(BCP|BOU)-\\\\d{4}"'))
    path = tmp_path / "cases" / "BCP" / "BCP-0011.toml"
    path.write_text(path.read_text().replace('reference = "BCP-0011"', 'reference = "BCP-11"'))
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "BCP-0011.toml: reference", "BCP references look like BCP-0001", "[bad-reference]")
    without_regex(result.output)


def test_with_no_example_to_give_the_shape_is_said_in_words():
    service = models.ServiceSettings(name="BCP", localities=("Poole",), reference_pattern="(BCP|BOU)-\\d{4}")
    said = reference_examples.shape(service, ["DOR-0001"])  # in use, but not a BCP reference
    assert "settings file" in said
    without_regex(said)


def test_the_shape_of_a_services_references_is_worked_out_once_a_run(monkeypatch):
    """Tightening a pattern puts every stored case out of shape; each one's message must not
    work the example out again over every reference (that was quadratic: 12 s at 10,000 cases)."""
    from up2u_cba import pipeline
    from up2u_cba.inputs import reference_examples
    from up2u_cba.method import checks
    inputs, _ = pipeline.load(str(REPO / "up2u-cba.toml"))
    services = tuple(service.model_copy(update={"reference_pattern": r"BCP-\d{5}"}) if service.name == "BCP"
                     else service for service in inputs.settings.services)
    settings = inputs.settings.model_copy(update={"services": services})
    calls = []
    real = reference_examples.shape
    monkeypatch.setattr(reference_examples, "shape", lambda *args: calls.append(args) or real(*args))
    problems = checks.check(settings, inputs.costs, inputs.series, inputs.cases)
    out_of_shape = [problem for problem in problems if problem.code == "bad-reference"]
    assert len(out_of_shape) > 10 and len(calls) == 1
