"""A report values each completed case once: the year's summary, the comparison of years and
every breakdown read the same valuations (issue #11: no case revalued, no quadratic pass). The
lines built without pydantic's validation (for speed) hold exactly what validation would give."""

from __future__ import annotations

import importlib.util

from hostile import REPO
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
