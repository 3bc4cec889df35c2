"""Settings found from anywhere (issue #15): --settings, then the environment variable
UP2U_CBA_SETTINGS, then up2u-cba.toml in the current folder or the nearest folder above it.
Paths in the settings are relative to its own folder whatever the working folder; validate and
the report's Run info (text, JSON, workbook) say which settings file was used."""

from __future__ import annotations

import json
import pathlib

import openpyxl
import pytest
from click.testing import CliRunner

from hostile import assert_refused, sample_project
from up2u_cba.cli.main import main
from up2u_cba.inputs import settings, settings_location

VARIABLE = "UP2U_CBA_SETTINGS"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    folder = tmp_path / "project"
    folder.mkdir()
    return sample_project(folder)


def run(folder: pathlib.Path, monkeypatch, *args: str):
    monkeypatch.chdir(folder)
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_validate_from_a_subfolder_finds_the_settings_in_the_nearest_folder_above(project, monkeypatch):
    inside = project.parent / "cases" / "BCP"
    result = run(inside, monkeypatch, "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 70 cases")
    shown = str(pathlib.Path("..", "..", "up2u-cba.toml"))
    assert f"Settings file: {shown} (in a folder above this one)." in result.stdout.splitlines()


def test_the_nearest_settings_file_above_is_taken_not_a_farther_one(project, monkeypatch):
    nested = project.parent / "cases" / "BCP"
    (project.parent / "cases" / "up2u-cba.toml").write_text("cases = 1\n", encoding="utf-8")
    result = run(nested, monkeypatch, "validate")
    assert_refused(result, str(pathlib.Path("..", "up2u-cba.toml")), "cases")


def test_validate_in_the_project_folder_says_the_settings_file_is_here(project, monkeypatch):
    result = run(project.parent, monkeypatch, "validate")
    assert result.exit_code == 0, result.output
    assert "Settings file: up2u-cba.toml (in this folder)." in result.stdout.splitlines()


def test_the_environment_variable_names_the_settings_file_from_anywhere(project, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv(VARIABLE, str(project))
    result = run(elsewhere, monkeypatch, "validate")
    assert result.exit_code == 0, result.output
    assert f"Settings file: {project} (named by {VARIABLE})." in result.stdout.splitlines()


def test_the_environment_variable_comes_before_a_settings_file_in_the_folder(project, tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    (other / "up2u-cba.toml").write_text("cases = 1\n", encoding="utf-8")  # (would be refused if read)
    monkeypatch.setenv(VARIABLE, str(project))
    assert run(other, monkeypatch, "validate").exit_code == 0


def test_settings_given_with_the_option_come_before_the_environment_variable(project, tmp_path, monkeypatch):
    monkeypatch.setenv(VARIABLE, str(tmp_path / "nowhere.toml"))
    result = run(tmp_path, monkeypatch, "validate", "--settings", project)
    assert result.exit_code == 0, result.output
    assert f"Settings file: {project} (given with --settings)." in result.stdout.splitlines()


def test_an_environment_variable_naming_no_file_says_so(project, tmp_path, monkeypatch):
    monkeypatch.setenv(VARIABLE, str(tmp_path / "nowhere.toml"))
    result = run(project.parent, monkeypatch, "validate")
    assert_refused(result, "nowhere.toml", VARIABLE, "[missing-file]")


def test_no_settings_file_anywhere_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    empty = tmp_path / "empty" / "deeper"
    empty.mkdir(parents=True)
    result = run(empty, monkeypatch, "report")
    assert_refused(result, "--settings", "[no-settings-file]", str(empty), str(empty.parent), VARIABLE)
    assert result.stdout == ""


def test_the_report_runs_from_a_subfolder_with_the_settings_folders_files(project, monkeypatch):
    """Paths in the settings are relative to the settings file's folder, not the working one."""
    here = run(project.parent, monkeypatch, "report", "--format", "json")
    below = run(project.parent / "unit_costs", monkeypatch, "report", "--format", "json")
    assert below.exit_code == 0, below.output
    expected, got = json.loads(here.stdout), json.loads(below.stdout)
    assert got["settings_file"] == str(pathlib.Path("..", "up2u-cba.toml"))
    assert [item["path"] for item in got["inputs"]] == [
        str(pathlib.Path("..", item["path"])) for item in expected["inputs"]]
    assert got["services"] == expected["services"] and got["all_services"] == expected["all_services"]


def test_the_report_says_which_settings_file_it_used_in_text_json_and_workbook(project, monkeypatch):
    folder = project.parent
    shown = str(pathlib.Path("..", "..", "up2u-cba.toml"))
    inside = folder / "cases" / "Dorset"
    text = run(inside, monkeypatch, "report", "--xlsx", folder / "report.xlsx")
    assert text.exit_code == 0, text.output
    assert f"Made with the settings file {shown}." in text.stdout.splitlines()
    data = json.loads(run(inside, monkeypatch, "report", "--format", "json").stdout)
    assert data["settings_file"] == shown
    rows = {row[0]: row[1] for row in openpyxl.load_workbook(folder / "report.xlsx")["Run info"].iter_rows(
        max_col=2, values_only=True) if row[0]}
    assert rows["Settings file"] == shown


def test_find_walks_up_to_the_top_of_the_drive(tmp_path):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    found, problem = settings_location.find(None, environment={}, start=str(deep))
    assert found is None and problem.code == "no-settings-file"
    assert settings_location.folders_up_from(str(deep))[-1] == str(pathlib.Path(deep.anchor))


def test_the_default_name_is_the_settings_modules():
    assert settings_location.DEFAULT_FILE == settings.DEFAULT_FILE


def test_problems_found_with_a_settings_file_from_above_say_which_file_they_are_of(project, monkeypatch):
    # someone else's project above this folder: its problems must not pass for this folder's
    project.write_text(project.read_text(encoding="utf-8").replace('"2022/23" = 90000', '"2022/23" = -5'),
                       encoding="utf-8")
    result = run(project.parent / "cases" / "BCP", monkeypatch, "validate")
    assert_refused(result, "services.BCP.spend")
    shown = str(pathlib.Path("..", "..", "up2u-cba.toml"))
    assert f"Settings file: {shown} (in a folder above this one)." in result.stderr.splitlines()
    given = run(project.parent, monkeypatch, "validate", "--settings", project)
    assert "Settings file:" not in given.stderr  # (named on the command line: the problems name it)
