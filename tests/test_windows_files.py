"""Files as Windows writes them (issue #15): settings, case files and CSV inputs saved with a
UTF-8 byte-order mark and CRLF line ends read exactly as without; a file saved in another
encoding is refused saying to save it as UTF-8; settings paths written with backslashes work on
any system; case files the tool writes open cleanly in Notepad."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hostile import assert_refused, invoke, sample_project
from up2u_cba.cli.main import main
from up2u_cba.inputs import crosswalk, deflators, unit_costs

BOM = b"\xef\xbb\xbf"


def as_notepad_saves(path: pathlib.Path) -> None:
    """Rewrite ``path`` with a byte-order mark and CRLF line ends, as Notepad and Excel save."""
    data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    path.write_bytes(BOM + data)


def project(folder: pathlib.Path, windows: bool) -> pathlib.Path:
    """A copy of the sample project; with ``windows``, every TOML and CSV input in it saved as
    Notepad and Excel save."""
    folder.mkdir()
    settings = sample_project(folder)
    if windows:
        for path in [settings, *folder.glob("cases/**/*.toml"), *folder.glob("unit_costs/*.csv")]:
            as_notepad_saves(path)
    return settings


def run_in(folder: pathlib.Path, monkeypatch, *args: str):
    """The command run from ``folder`` (so each project's files are named alike), its settings
    found there."""
    monkeypatch.chdir(folder)
    return CliRunner().invoke(main, list(args))


def test_a_project_saved_with_byte_order_marks_and_crlf_validates_and_reports_as_the_original(tmp_path, monkeypatch):
    original = project(tmp_path / "original", windows=False).parent
    windows = project(tmp_path / "windows", windows=True).parent
    assert (windows / "up2u-cba.toml").read_bytes().startswith(BOM)
    assert b"\r\n" in (windows / "cases" / "BCP" / "BCP-0001.toml").read_bytes()

    for args in (["validate"], ["report"], ["report", "--format", "csv"]):
        expected = run_in(original, monkeypatch, *args)
        got = run_in(windows, monkeypatch, *args)
        assert expected.exit_code == 0, expected.output
        assert (got.exit_code, got.stdout, got.stderr) == (0, expected.stdout, expected.stderr), args

    expected = json.loads(run_in(original, monkeypatch, "report", "--format", "json").stdout)
    got = json.loads(run_in(windows, monkeypatch, "report", "--format", "json").stdout)
    # The one difference: each input's checksum is of its bytes as saved (so it can be checked
    # with Get-FileHash or sha256sum), and a BOM and CRLF are other bytes.
    assert [item["path"] for item in got["inputs"]] == [item["path"] for item in expected["inputs"]]
    for data in (expected, got):
        del data["generated_at"]
        data["inputs"] = [item["path"] for item in data["inputs"]]
    assert got == expected


def test_a_case_file_with_a_byte_order_mark_and_crlf_is_updated_and_written_plainly(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0003.toml"  # closed (disengaged) on 2022-08-21
    as_notepad_saves(path)
    result = invoke("case", "update", "BCP-0003", "--settings", settings,
                    input="2\n2022-08-25\n\ny\n")  # programme start, its date, no more events, write
    assert result.exit_code == 0, result.output
    assert_opens_cleanly_in_notepad(path.read_bytes())
    assert 'status = "programme"\ndate = 2022-08-25' in path.read_text(encoding="utf-8")


def assert_opens_cleanly_in_notepad(data: bytes) -> None:
    """The tool writes case files as UTF-8 without a byte-order mark and with LF line ends on
    every system (Notepad has shown LF files as lines since Windows 10 1809, and keeps their line
    ends; the same bytes everywhere keep checksums alike): no other control character at all."""
    assert not data.startswith(BOM)
    data.decode("utf-8")
    stray = {byte for byte in data if byte < 0x20 and byte != 0x0A or byte == 0x7F}
    assert not stray, stray


def test_a_new_case_file_opens_cleanly_in_notepad(tmp_path):
    settings = sample_project(tmp_path)
    result = invoke("case", "new", "--settings", settings, input="BCP\n3\nBCP-0101\n01/02/2023\n\ny\n")
    assert result.exit_code == 0, result.output
    assert_opens_cleanly_in_notepad((tmp_path / "cases" / "BCP" / "BCP-0101.toml").read_bytes())


ENCODINGS = {
    "UTF-16 (Notepad's Unicode)": lambda text: text.encode("utf-16"),  # (with its byte-order mark)
    "UTF-16 big-endian": lambda text: text.encode("utf-16-be"),
    "UTF-16 without a byte-order mark": lambda text: text.encode("utf-16-le"),
    "Windows-1252 (ANSI)": lambda text: text.encode("cp1252"),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", ["up2u-cba.toml", "cases/BCP/BCP-0001.toml", "unit_costs/bcp-local.csv",
                                  "unit_costs/gdp-deflators-march-2026.csv"])
def test_a_file_in_another_encoding_is_refused_saying_to_save_it_as_utf8(tmp_path, name, encoding):
    settings = sample_project(tmp_path)
    path = tmp_path / name
    text = path.read_text(encoding="utf-8")
    if name.endswith(".toml"):
        text = "# Edited in Notepad \u2019 \u00a3\n" + text  # (a curly quote and a pound sign: not ASCII)
    else:
        text = text.replace("\n", " \u00a3\n", 1) if "unit_costs/bcp" in name else text + "# \u2019\n"
    path.write_bytes(ENCODINGS[encoding](text))
    for command in ("validate", "report"):
        assert_refused(invoke(command, "--settings", settings), name.rsplit("/", 1)[-1], "UTF-8", "[not-utf-8]")


def test_settings_paths_written_with_backslashes_work_on_any_system(tmp_path, monkeypatch):
    original = project(tmp_path / "original", windows=False).parent
    windows = project(tmp_path / "windows", windows=False)
    (windows.parent / "data").mkdir()
    (windows.parent / "cases").rename(windows.parent / "data" / "cases")
    text = windows.read_text(encoding="utf-8")
    for posix, backslashed in [('cases = "cases"', r"cases = 'data\cases'"),
                               ('"unit_costs/gmca-ucd-v1.4.csv"', r"'unit_costs\gmca-ucd-v1.4.csv'"),
                               ('"unit_costs/bcp-local.csv"', '"unit_costs\\\\bcp-local.csv"'),
                               ('deflators = "unit_costs/', 'deflators = "unit_costs\\\\')]:
        assert posix in text
        text = text.replace(posix, backslashed)
    windows.write_text(text, encoding="utf-8")

    expected = run_in(original, monkeypatch, "report")
    got = run_in(windows.parent, monkeypatch, "report")
    assert got.exit_code == 0, got.output
    assert got.stdout.replace("data/cases/", "cases/") == expected.stdout


def test_a_report_saved_with_a_redirect_is_utf8_and_reads_back_whatever_the_code_page(tmp_path):
    """Python on Windows writes a file or a pipe in the code page (Windows-1252); the tool's
    output is UTF-8 everywhere, so `report --format json > FILE` reads back as --changed-since.
    The code page is simulated with PYTHONIOENCODING."""
    settings = sample_project(tmp_path)
    environment = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    environment.pop("UP2U_CBA_SETTINGS", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "up2u_cba", *args], cwd=tmp_path, env=environment,
                              capture_output=True, check=False)

    text = run("report")
    assert text.returncode == 0, text.stderr
    assert "\u00a3".encode("utf-8") in text.stdout and text.stdout.decode("utf-8")
    saved = run("report", "--format", "json")
    (tmp_path / "earlier.json").write_bytes(saved.stdout)
    again = run("report", "--changed-since", "earlier.json", "--settings", str(settings))
    assert again.returncode == 0, again.stderr.decode("utf-8")


@pytest.mark.parametrize("name, read, text", [
    ("crosswalk.csv", crosswalk.load,
     'old_code,new_code,note\nCR2.0,CR20.0,"renumbered in v3;\nsame definition"\nHE1.0,HE10.0,\n'),
    ("gmca.csv", lambda path: unit_costs.load([path]),  # (its comments hold cells of several lines)
     (pathlib.Path(__file__).parent.parent / "unit_costs" / "gmca-ucd-v1.4.csv").read_text(encoding="utf-8")),
    ("deflators.csv", lambda path: deflators.load(path, "HM Treasury GDP deflators"),
     (pathlib.Path(__file__).parent.parent / "unit_costs" / "gdp-deflators-march-2026.csv").read_text(encoding="utf-8")),
])
def test_every_csv_reader_reads_a_file_saved_by_excel_as_the_original(tmp_path, name, read, text):
    """Each CSV loader, a cell of several lines included, reads the same rows from a file with a
    byte-order mark and CRLF line ends (what Excel's CSV UTF-8 saves)."""
    plain, saved = tmp_path / "plain", tmp_path / "saved"
    plain.mkdir()
    saved.mkdir()
    (plain / name).write_text(text, encoding="utf-8", newline="\n")
    (saved / name).write_text(text, encoding="utf-8", newline="\n")
    as_notepad_saves(saved / name)
    expected, got = read(str(plain / name)), read(str(saved / name))
    assert expected[1] == [] and expected[0]
    assert repr(got).replace(str(saved), str(plain)) == repr(expected)
