"""``report --no-sensitivity`` leaves the sensitivity analysis out of the JSON and the workbook
(whose Sensitivity sheet says so) and never computes it; the text report, which does not show
it, never computes it either."""

from __future__ import annotations

import json

import openpyxl
import pytest

from conftest import SETTINGS
from hostile import invoke
from up2u_cba.method import sensitivity


@pytest.fixture
def analyses(monkeypatch):
    """Every sensitivity analysis computed during the test, by service."""
    computed = []
    real = sensitivity.analyse

    def counting(*args, **kwargs):
        computed.append(args[4].name)
        return real(*args, **kwargs)

    monkeypatch.setattr(sensitivity, "analyse", counting)
    return computed


def test_json_without_sensitivity_leaves_it_out_and_never_computes_it(analyses):
    result = invoke("report", "--settings", SETTINGS, "--format", "json", "--no-sensitivity")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sensitivity"] == [] and data["sensitivity_left_out"] is True
    assert data["services"]  # (the rest of the report is all there)
    assert analyses == []


def test_json_keeps_sensitivity_by_default(analyses):
    result = invoke("report", "--settings", SETTINGS, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sensitivity"] and data["sensitivity_left_out"] is False
    assert analyses


def test_text_report_never_computes_sensitivity(analyses):
    result = invoke("report", "--settings", SETTINGS)
    assert result.exit_code == 0, result.output
    assert analyses == []


def test_workbook_without_sensitivity_says_it_was_left_out(tmp_path, analyses):
    path = tmp_path / "report.xlsx"
    result = invoke("report", "--settings", SETTINGS, "--xlsx", path, "--no-sensitivity")
    assert result.exit_code == 0, result.output
    assert analyses == []
    sheet = openpyxl.load_workbook(path)["Sensitivity"]
    texts = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert any("left out" in text and "--no-sensitivity" in text for text in texts), texts


def test_workbook_computes_sensitivity_by_default(tmp_path, analyses):
    result = invoke("report", "--settings", SETTINGS, "--xlsx", tmp_path / "report.xlsx")
    assert result.exit_code == 0, result.output
    assert analyses
