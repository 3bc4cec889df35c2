"""Problems of the settings file said at once and blamed on it (issue #13): its own problems
with those of the codes it names (unknown codes, transfers set both ways), a benefit duration
beyond what its cost's unit makes plausible said once as the settings' problem, never as a
problem of every case file that takes it, and 'a unit cost file', never 'an unit'."""

from __future__ import annotations

from hostile import assert_refused, invoke, sample_project


def add_settings(settings, text: str) -> None:
    settings.write_text(settings.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def test_every_settings_problem_is_said_at_once(tmp_path):
    settings = sample_project(tmp_path)
    add_settings(settings, '[assumptions.deadweight]\ndefault = 2\ncodes = { "XX9.9" = 0.2 }\n\n'
                           '[assumptions.transfers]\ncodes = ["HE1.0", "ZZ1.0"]\nnot_codes = ["HE1.0"]\n\n'
                           '[assumptions.duration]\ncodes = { "CR2.0" = 40 }\n')
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "5 problems found")
    for where, code in (("assumptions.deadweight.default", "bad-assumption"),
                        ('assumptions.deadweight.codes."XX9.9"', "unknown-cost-code"),
                        ('assumptions.transfers.codes."ZZ1.0"', "unknown-cost-code"),
                        ('assumptions.transfers.not_codes."HE1.0"', "bad-assumption"),
                        ('assumptions.duration.codes."CR2.0"', "implausible-duration")):
        assert any(f"up2u-cba.toml: {where}: " in line and line.endswith(f"[{code}]")
                   for line in result.stderr.splitlines()), (where, result.stderr)


def test_a_duration_too_long_is_the_settings_problem_not_each_case_files(tmp_path):
    settings = sample_project(tmp_path)
    add_settings(settings, '[assumptions.duration]\ncodes = { "CR2.0" = 40 }\n')
    result = invoke("report", "--settings", settings)
    assert_refused(result, "1 problem found", 'up2u-cba.toml: assumptions.duration.codes."CR2.0"',
                   "[implausible-duration]", "'Per incident'")
    assert "cases" not in result.stderr and "[implausible-line]" not in result.stderr


def test_a_plausible_duration_passes(tmp_path):
    settings = sample_project(tmp_path)
    add_settings(settings, '[assumptions.duration]\ncodes = { "CR2.0" = 3 }\n')
    assert invoke("validate", "--settings", settings).exit_code == 0


def test_a_folder_for_a_unit_cost_file_says_a_unit_cost_file(tmp_path):
    settings = sample_project(tmp_path)
    settings.write_text(settings.read_text(encoding="utf-8").replace('"unit_costs/bcp-local.csv"', '"cases"'),
                        encoding="utf-8")
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "[not-a-file]", "give the path of a unit cost file")
    assert "an unit" not in result.output


def test_a_misspelt_agency_and_a_missing_crosswalk_are_said_with_the_settings_own_problems(tmp_path):
    settings = sample_project(tmp_path)
    text = settings.read_text(encoding="utf-8").replace('"2022/23" = 90000', '"2022/23" = -5')
    settings.write_text(text, encoding="utf-8")
    add_settings(settings, '[assumptions.cashability]\nagencies = { "Polise" = 0.5 }\n\n'
                           '[assumptions.deadweight]\ncodes = { "ZZ9.9" = 0.2 }\n')
    result = invoke("validate", "--settings", settings)
    for said in ("services.BCP.spend", 'assumptions.cashability.agencies."Polise"', 'assumptions.deadweight.codes."ZZ9.9"'):
        assert said in result.stderr, (said, result.stderr)
    # with a crosswalk that cannot be read, the agency is still said; a code may be an old one, so it waits
    settings.write_text('crosswalk = "nope.csv"\n' + settings.read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("validate", "--settings", settings)
    for said in ("services.BCP.spend", "nope.csv", 'assumptions.cashability.agencies."Polise"'):
        assert said in result.stderr, (said, result.stderr)
    assert_refused(result, "[unknown-agency]", "crosswalk file")
