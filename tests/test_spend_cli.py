"""`up2u-cba spend set` and `spend list` (issue #10, deliverable 7): the settings file's spend
is changed without hand-editing, every other byte kept, nothing written half-way or unasked."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import tomllib

import pytest
from hostile import assert_refused, assert_unchanged, invoke, sample_project, snapshot

from up2u_cba import storage
from up2u_cba.cli import spend
from up2u_cba.entry import settings_writer

INLINE = 'spend = { "2021/22" = 85000, "2022/23" = 90000 }'

SPEND_TABLE = '''[services.BCP]
# the service's own comment
localities = ["Bournemouth", "Christchurch", "Poole"]
reference_pattern = "BCP-\\\\d{4}"

[services.BCP.spend]   # pounds, from the finance team
"2021/22" = 85_000     # outturn
'2022-23' = 90000

[services.Dorset]'''


@pytest.fixture
def project(tmp_path):
    settings = sample_project(tmp_path)
    return tmp_path, settings


def spend_of(settings, service="BCP") -> dict:
    with open(settings, "rb") as handle:
        return tomllib.loads(handle.read().decode("utf-8-sig"))["services"][service].get("spend")


def with_spend_table(settings) -> str:
    """The sample settings with BCP's spend as a [services.BCP.spend] table, commented."""
    text = settings.read_text(encoding="utf-8")
    start = text.index("[services.BCP]")
    end = text.index("[services.Dorset]") + len("[services.Dorset]")
    text = text[:start] + SPEND_TABLE + text[end:]
    settings.write_text(text, encoding="utf-8")
    return text


# --- setting a year ---------------------------------------------------------------------------


def test_a_new_year_is_added_and_every_other_byte_kept(project):
    folder, settings = project
    before = settings.read_text(encoding="utf-8")
    result = invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings)
    assert result.exit_code == 0, result.output
    assert "£92,000" in result.output
    assert settings.read_text(encoding="utf-8") == before.replace(
        INLINE, 'spend = { "2021/22" = 85000, "2022/23" = 90000, "2023/24" = 92000 }')
    listed = invoke("spend", "list", "--settings", settings)
    assert "| BCP       | 2023/24 | £92,000 |" in listed.output, listed.output
    assert invoke("validate", "--settings", settings).exit_code == 0


def test_changing_a_year_without_overwrite_is_refused_naming_the_old_value(project):
    folder, settings = project
    before = snapshot(folder)
    result = invoke("spend", "set", "BCP", "2022/23", "91000", "--settings", settings)
    assert_refused(result, "[spend-exists]", 'services.BCP.spend."2022/23"', "£90,000", "£91,000", "--overwrite")
    assert_unchanged(before, folder)


def test_changing_a_year_with_overwrite_changes_only_that_figure(project):
    folder, settings = project
    before = settings.read_text(encoding="utf-8")
    result = invoke("spend", "set", "bcp", "2022-23", "91,000", "--overwrite", "--settings", settings)
    assert result.exit_code == 0, result.output
    assert "£90,000 -> £91,000" in result.output
    assert settings.read_text(encoding="utf-8") == before.replace(INLINE, INLINE.replace("90000", "91000"))


@pytest.mark.parametrize("answer, written", [("y\n", True), ("n\n", False)])
def test_at_a_terminal_a_change_is_confirmed_showing_old_and_new(project, monkeypatch, answer, written):
    folder, settings = project
    monkeypatch.setattr(spend, "interactive", lambda: True)
    result = invoke("spend", "set", "BCP", "2022/23", "91000", "--settings", settings, input=answer)
    assert "£90,000 -> £91,000" in result.output
    assert spend_of(settings)["2022/23"] == (91000 if written else 90000)
    assert result.exit_code == (0 if written else 1)


def test_the_same_figure_again_changes_nothing(project):
    folder, settings = project
    before = snapshot(folder)
    result = invoke("spend", "set", "BCP", "2022/23", "£90000", "--settings", settings)
    assert result.exit_code == 0 and "nothing to change" in result.output
    assert_unchanged(before, folder)


def test_a_spend_table_keeps_its_comments_quotes_and_spelling_of_years(project):
    folder, settings = project
    before = with_spend_table(settings)
    assert invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings).exit_code == 0
    changed = invoke("spend", "set", "BCP", "2022/23", "91000", "--overwrite", "--settings", settings)
    assert changed.exit_code == 0, changed.output
    assert settings.read_text(encoding="utf-8") == before.replace(
        "'2022-23' = 90000\n", "'2022-23' = 91000\n\"2023/24\" = 92000\n")
    assert invoke("validate", "--settings", settings).exit_code == 0


def test_a_service_without_spend_gets_one(project):
    folder, settings = project
    text = settings.read_text(encoding="utf-8").replace('spend = { "2022/23" = 45000 }\n', "")
    settings.write_text(text, encoding="utf-8")
    result = invoke("spend", "set", "Dorset", "2023/24", "50000", "--settings", settings)
    assert result.exit_code == 0, result.output
    assert spend_of(settings, "Dorset") == {"2023/24": 50000}
    assert settings.read_text(encoding="utf-8") == text.replace(
        'reference_pattern = "DOR-\\\\d{4}"\n', 'reference_pattern = "DOR-\\\\d{4}"\nspend = { "2023/24" = 50000 }\n')


def test_a_service_name_with_quotes_and_equals_signs_is_quoted_correctly(project):
    folder, settings = project
    name = 'Poole "East" = 1'
    text = settings.read_text(encoding="utf-8").replace(
        "[services.Dorset]", '[services."Poole \\"East\\" = 1"]')
    settings.write_text(text, encoding="utf-8")
    result = invoke("spend", "set", name, "2023/24", "1000", "--settings", settings)
    assert result.exit_code == 0, result.output
    assert spend_of(settings, name) == {"2022/23": 45000, "2023/24": 1000}


# --- refusals ---------------------------------------------------------------------------------


def test_a_bad_service_year_and_amount_are_all_reported_at_once(project):
    folder, settings = project
    before = snapshot(folder)
    result = invoke("spend", "set", "BPC", "2023/25", "92,00", "--settings", settings)
    assert_refused(result, "3 problems", "SERVICE", "[unknown-service]", "did you mean BCP?",
                   "YEAR", "[bad-year]", "AMOUNT", "[bad-amount]")
    assert_unchanged(before, folder)


@pytest.mark.parametrize("typed, pounds", [("92000", 92000), ("92,000", 92000), ("£92000", 92000),
                                           ("£92,000", 92000), ("92000.00", 92000), (" 1,234,567 ", 1234567)])
def test_amounts_are_read_as_typed(project, typed, pounds):
    folder, settings = project
    result = invoke("spend", "set", "BCP", "2023/24", typed, "--settings", settings)
    assert result.exit_code == 0, result.output
    assert spend_of(settings)["2023/24"] == pounds


@pytest.mark.parametrize("typed", ["92,00", "9,2000", "92000.5", "92000.123", "0", "0.00", "-5", "1e5", "nan",
                                   "inf", "£", "", "92 000", "1000000001", "92000\n1", "=1+1", "92000 # x",
                                   '92000\n[x]\ny = "1"'])
def test_anything_but_a_positive_whole_pound_amount_is_refused(project, typed):
    folder, settings = project
    before = snapshot(folder)
    result = invoke("spend", "set", "BCP", "2023/24", "--settings", settings, "--", typed)
    assert_refused(result, "AMOUNT", "[bad-amount]")
    assert_unchanged(before, folder)


@pytest.mark.parametrize("service", ['BCP"', "BCP = 1", "BCP\n[x]", "BCP\x1b[31m", 'BCP.spend."2023/24"', "", "*"])
def test_a_service_name_that_is_not_in_the_settings_is_refused(project, service):
    folder, settings = project
    before = snapshot(folder)
    result = invoke("spend", "set", service, "2023/24", "92000", "--settings", settings)
    assert_refused(result, "SERVICE", "[unknown-service]")
    assert "\x1b" not in result.output
    assert_unchanged(before, folder)


@pytest.mark.parametrize("year", ["2023", "2023/25", "23/24", "2023/24\n[x]", "2023/24 = 1", "9999/00"])
def test_a_year_that_does_not_parse_is_refused(project, year):
    folder, settings = project
    before = snapshot(folder)
    assert_refused(invoke("spend", "set", "BCP", year, "92000", "--settings", settings), "YEAR", "[bad-year]")
    assert_unchanged(before, folder)


# --- hostile settings files ---------------------------------------------------------------------


def test_a_settings_file_that_is_a_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "up2u-cba.toml"
    os.mkfifo(fifo)
    for args in (["spend", "set", "BCP", "2023/24", "92000"], ["spend", "list"]):
        assert_refused(invoke(*args, "--settings", fifo), str(fifo), "[not-a-file]")


def test_a_huge_settings_file_is_refused(project):
    folder, settings = project
    with open(settings, "a", encoding="utf-8") as handle:
        handle.write("# " + "x" * (2 * 1024 * 1024) + "\n")
    before = snapshot(folder)
    assert_refused(invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings), "[file-too-large]")
    assert_unchanged(before, folder)


def test_a_settings_file_with_problems_is_not_written(project):
    folder, settings = project
    settings.write_text(settings.read_text(encoding="utf-8").replace("[uprating]", "[upratng]"), encoding="utf-8")
    before = snapshot(folder)
    assert_refused(invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings), "[unknown-setting]")
    assert_unchanged(before, folder)


@pytest.mark.parametrize("bom, newline", [(b"\xef\xbb\xbf", b"\n"), (b"", b"\r\n"), (b"\xef\xbb\xbf", b"\r\n")])
def test_a_byte_order_mark_and_windows_line_ends_are_kept(project, bom, newline):
    folder, settings = project
    plain = settings.read_bytes()
    settings.write_bytes(bom + plain.replace(b"\n", newline))
    result = invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings)
    assert result.exit_code == 0, result.output
    expected = plain.replace(INLINE.encode(), b'spend = { "2021/22" = 85000, "2022/23" = 90000, "2023/24" = 92000 }')
    assert settings.read_bytes() == bom + expected.replace(b"\n", newline)


# --- safe writing ------------------------------------------------------------------------------


@pytest.mark.parametrize("error_number", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_failed_write_leaves_the_settings_as_they_were(project, monkeypatch, error_number):
    folder, settings = project
    before = snapshot(folder)

    def refuse(*args, **kwargs):
        raise OSError(error_number, os.strerror(error_number))

    monkeypatch.setattr(storage.os, "replace", refuse)
    result = invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings)
    assert_refused(result, str(settings), "[cannot-write]", "nothing was changed")
    assert_unchanged(before, folder)  # and no temporary file left beside it


def planned_then(monkeypatch, meanwhile):
    """Run ``meanwhile`` after `spend set` has read the settings and before it writes them."""
    planned = settings_writer.plan

    def plan_then_changed(*args):
        found = planned(*args)
        meanwhile()
        return found

    monkeypatch.setattr(settings_writer, "plan", plan_then_changed)


def test_a_change_made_by_someone_else_meanwhile_is_kept(project, monkeypatch):
    folder, settings = project

    def edit_by_hand():
        with open(settings, "a", encoding="utf-8") as handle:
            handle.write("# added by hand meanwhile\n")

    planned_then(monkeypatch, edit_by_hand)
    result = invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings)
    assert result.exit_code == 0, result.output
    assert settings.read_text(encoding="utf-8").endswith("# added by hand meanwhile\n")
    assert spend_of(settings)["2023/24"] == 92000


def test_the_same_year_set_by_someone_else_meanwhile_is_not_overwritten_unseen(project, monkeypatch):
    folder, settings = project
    planned_then(monkeypatch, lambda: invoke("spend", "set", "BCP", "2023/24", "95000", "--settings", settings))
    result = invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings)
    assert_refused(result, "[settings-changed]", 'services.BCP.spend."2023/24"', "£95,000")
    assert spend_of(settings)["2023/24"] == 95000


def test_the_file_changed_after_the_edit_and_before_the_rename_is_left_alone(project, monkeypatch):
    folder, settings = project
    check = settings_writer.verify

    def changed_then_checked(temporary, path, change):
        with open(settings, "a", encoding="utf-8") as handle:
            handle.write("# added by hand at the last moment\n")
        check(temporary, path, change)

    monkeypatch.setattr(settings_writer, "verify", changed_then_checked)
    result = invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings)
    assert_refused(result, "[settings-changed]")
    assert settings.read_text(encoding="utf-8").endswith("# added by hand at the last moment\n")
    assert "2023/24" not in spend_of(settings)


def test_two_writers_at_once_both_get_their_year_written(project):
    folder, settings = project
    writers = [subprocess.Popen([sys.executable, "-m", "up2u_cba", "spend", "set", "BCP", year, amount,
                                 "--settings", str(settings)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for year, amount in (("2023/24", "92000"), ("2024/25", "94000"), ("2025/26", "96000"))]
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    assert spend_of(settings) == {"2021/22": 85000, "2022/23": 90000, "2023/24": 92000, "2024/25": 94000,
                                  "2025/26": 96000}


def test_an_edit_that_would_change_anything_else_is_not_written(project, monkeypatch):
    folder, settings = project
    before = snapshot(folder)
    edit = settings_writer.edited
    monkeypatch.setattr(settings_writer, "edited",
                        lambda data, change: edit(data, change).replace('"2018/19"', '"2019/20"'))
    result = invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings)
    assert_refused(result, "[spend-not-written]")
    assert_unchanged(before, folder)


def test_a_writer_holding_the_settings_lock_is_waited_for_then_named(project, monkeypatch):
    folder, settings = project
    monkeypatch.setenv(storage.LOCK_WAIT_VARIABLE, "0")
    before = snapshot(folder)
    holder = {"host": socket.gethostname(), "pid": os.getppid(), "since": "2026-11-30T09:15:00+00:00"}
    (folder / storage.LOCK_NAME).write_text(json.dumps(holder) + "\n")  # another live process's lock
    result = invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", settings)
    assert_refused(result, "[folder-locked]", "the settings file's folder", str(folder / storage.LOCK_NAME))
    assert_unchanged(before, folder)


def test_a_settings_file_reached_through_a_link_is_written_through_it(project):
    folder, settings = project
    link = folder / "link.toml"
    link.symlink_to(settings)
    assert invoke("spend", "set", "BCP", "2023/24", "92000", "--settings", link).exit_code == 0
    assert link.is_symlink() and spend_of(settings)["2023/24"] == 92000


# --- listing ------------------------------------------------------------------------------------


def test_spend_list_shows_each_service_and_year_and_filters_by_service(project):
    folder, settings = project
    everything = invoke("spend", "list", "--settings", settings)
    assert everything.exit_code == 0
    for row in ("| BCP       | 2021/22 | £85,000 |", "| BCP       | 2022/23 | £90,000 |",
                "| Dorset    | 2022/23 | £45,000 |"):
        assert row in everything.output, everything.output
    dorset = invoke("spend", "list", "--service", "dorset", "--settings", settings)
    assert "Dorset" in dorset.output and "BCP" not in dorset.output
    assert_refused(invoke("spend", "list", "--service", "Dorst", "--settings", settings),
                   "--service", "[unknown-service]", "did you mean Dorset?")


# --- the editing library is loaded only to write spend ----------------------------------------


def test_no_other_command_loads_the_toml_editing_library(project):
    folder, settings = project
    script = ("import sys; from click.testing import CliRunner; from up2u_cba.cli.main import main; "
              f"result = CliRunner().invoke(main, ['validate', '--settings', {str(settings)!r}]); "
              "assert result.exit_code == 0, result.output; "
              f"CliRunner().invoke(main, ['spend', 'list', '--settings', {str(settings)!r}]); "
              "print('tomlkit' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False", found.stderr


def test_a_negative_amount_typed_plainly_is_refused_as_an_amount_not_as_an_unknown_option(project):
    """`spend set BCP 2023/24 -5` said "No such option: -5"; it is an amount, and a wrong one."""
    folder, settings = project
    before = snapshot(folder)
    result = invoke("spend", "set", "BCP", "2023/24", "-5", "--settings", settings)
    assert_refused(result, "AMOUNT", "[bad-amount]")
    assert "No such option" not in result.output
    assert_unchanged(before, folder)
