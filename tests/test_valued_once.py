"""A report values each completed case once: the year's summary, the comparison of years and
every breakdown read the same valuations (issue #11: no case revalued, no quadratic pass). The
lines built without pydantic's validation (for speed) hold exactly what validation would give."""

from __future__ import annotations

import importlib.util

from hostile import REPO, invoke, sample_project
from up2u_cba import pipeline
from up2u_cba.method import calculate


def _generated_project(folder, cases: int):
    spec = importlib.util.spec_from_file_location("scale", REPO / "benchmarks" / "scale.py")
    scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale)
    scale.prepare(folder, cases)
    return folder / "up2u-cba.toml"


def test_a_report_over_many_years_values_each_completed_case_once(tmp_path, monkeypatch):
    settings = _generated_project(tmp_path, 60)
    inputs, problems = pipeline.load(str(settings))
    assert inputs is not None and not problems
    completed = [case for case in inputs.cases if case.completed_on is not None]
    years = {calculate.models.FinancialYear.containing(case.completed_on) for case in completed}
    assert len(years) >= 3  # (so comparing years would revalue them if anything did)
    valued = []
    value_case = calculate.Valuer.case
    monkeypatch.setattr(calculate.Valuer, "case", lambda self, case: valued.append(case.reference) or value_case(self, case))

    result = pipeline.run(str(settings), service=None)

    assert sorted(valued) == sorted(case.reference for case in completed)
    assert sum(row.completers for row in result.years) == len(completed)
    for summary in result.services:
        row = next(row for row in result.years if row.service == summary.service and row.year == summary.year)
        assert (row.total_saving, row.prudent_saving) == (summary.total_saving, summary.prudent_total)
    for row in result.years:  # (earlier years keep only their totals: each the sum of its cases valued alone)
        alone = [calculate.value_case(case, inputs.costs, inputs.series, inputs.settings.price_year,
                                      inputs.settings.assumptions)
                 for case in completed
                 if case.service == row.service and calculate.models.FinancialYear.containing(case.completed_on) == row.year]
        assert (row.completers, row.total_saving, row.prudent_saving) == \
            (len(alone), sum(case.total for case in alone), sum(case.prudent_total for case in alone))


def test_lines_valued_without_validation_hold_what_validation_gives(tmp_path):
    settings = _generated_project(tmp_path, 40)
    result = pipeline.run(str(settings))
    lines = [line for summary in result.services for line in summary.lines]
    assert lines
    for line in lines:
        validated = calculate.OutcomeLine.model_validate(line.model_dump())
        assert validated == line
        assert {name: type(value) for name, value in vars(line).items()} == \
            {name: type(value) for name, value in vars(validated).items()}, line.reference
    for summary in result.services:
        for case in summary.cases:
            assert calculate.CaseValuation.model_validate(case.model_dump()) == case


def _same_types(built, validated, where: str = "") -> list[str]:
    """Where ``built`` and ``validated`` differ in a field's type, at any depth."""
    if isinstance(validated, calculate.pydantic.BaseModel):
        if type(built) is not type(validated):
            return [where]
        return [found for name in type(validated).model_fields
                for found in _same_types(getattr(built, name), getattr(validated, name), f"{where}.{name}")]
    if isinstance(validated, (tuple, list)):
        if type(built) is not type(validated) or len(built) != len(validated):
            return [where]
        return [found for number, (one, other) in enumerate(zip(built, validated), start=1)
                for found in _same_types(one, other, f"{where}[{number}]")]
    return [] if type(built) is type(validated) else [f"{where}: {type(built).__name__} for {type(validated).__name__}"]


def test_cases_loaded_without_validation_hold_what_validation_gives(tmp_path):
    settings = _generated_project(tmp_path / "generated", 60)
    inputs, _ = pipeline.load(str(settings))
    copy = sample_project(tmp_path / "sample")
    withdrawn = invoke("case", "withdraw", "BCP-0002", "--reason", "entered twice", "--yes", "--settings", copy)
    assert withdrawn.exit_code == 0, withdrawn.output
    amended = invoke("case", "amend", "BCP-0001", "--set", "outcomes[1].deadweight=0.2", "--set",
                     "outcomes[1].adjustment_reason=agency figures show a fifth would have stopped", "--set",
                     "outcomes[1].confidence=A", "--reason", "evidence reviewed", "--yes", "--settings", copy)
    assert amended.exit_code == 0, amended.output
    sample, _ = pipeline.load(str(copy))
    records = [*inputs.stored, *sample.stored]
    assert any(record.changes for record in records) and any(record.withdrawn for record in records)
    assert any(line.deadweight is not None for record in records for line in record.outcomes)
    assert any(event.reason is not None for record in records for event in record.history)
    for record in records:
        validated = calculate.models.CaseRecord.model_validate(record.model_dump())
        assert validated == record
        assert _same_types(record, validated) == [], record.file
