"""The scale benchmark's generated projects are ones the tool accepts: `validate` finds no
problem in them (no double counts, no implausible lines, every reference and locality known),
and they span both services, several financial years and every year's spend. No timing here."""

from __future__ import annotations

import importlib.util
import tomllib

from hostile import REPO, invoke


def _scale_benchmark():
    spec = importlib.util.spec_from_file_location("scale", REPO / "benchmarks" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_thirty_generated_cases_validate_across_both_services_and_several_years(tmp_path):
    scale = _scale_benchmark()
    scale.prepare(tmp_path, 30)

    result = invoke("validate", "--settings", tmp_path / "up2u-cba.toml")

    assert result.exit_code == 0, result.output
    cases = [tomllib.loads(path.read_text(encoding="utf-8")) for path in sorted((tmp_path / "cases").rglob("*.toml"))]
    assert len(cases) == 30
    assert {case["service"] for case in cases} == {"BCP", "Dorset"}
    referral_years = {scale._financial_year(case["status"][0]["date"]) for case in cases}
    assert len(referral_years) >= 4
    completed = [case for case in cases if case["status"][-1]["status"] == "completed"]
    assert completed and all(1 <= len(case["outcomes"]) <= 8 for case in completed)
    assert any(line.get("years", 1) > 1 for case in completed for line in case["outcomes"])
    spend = tomllib.loads((tmp_path / "up2u-cba.toml").read_text(encoding="utf-8"))["services"]
    for case in completed:
        assert scale._financial_year(case["status"][-1]["date"]) in spend[case["service"]]["spend"]
