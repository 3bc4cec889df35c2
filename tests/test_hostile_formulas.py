"""Hostile text through the command line (issue #9, deliverables 1 and 2).

No text from any input is ever a formula in a workbook the tool writes: every payload of
``hostile.PAYLOADS`` is put in each kind of text field a user controls (case description, evidence,
reference, locality and service names, the deflator series name, unit cost text in a council's
local CSV, text cells of a GMCA workbook given to ``costs import``), then ``report --xlsx``
(analyst's and ``--publish``), ``intake template`` and ``costs import`` are run, and every
workbook written is opened: no formula holds the payload, and the payload is there, as a string
cell. An agency, locality or theme named like a SUMIFS criterion (``<5``, ``*``, ``=x``) does not
change what the workbook adds up: LibreOffice recalculates it to the tool's figures.

Characters a workbook cannot hold (C0 controls but tab and newline, DEL, C1) are refused where
they come in, naming the field and the character: case files, settings, unit cost CSVs, guided
entry and intake import.
"""

from __future__ import annotations

import csv
import datetime
import pathlib
import re
import typing

import openpyxl
import pytest

from hostile import PAYLOADS, assert_no_injected_formula, assert_refused, invoke, sample_project, snapshot
from test_xlsx import recalculate, table_rows
from up2u_cba import pipeline
from up2u_cba.entry import intake
from up2u_cba.inputs import cases, unit_costs
from up2u_cba.outputs import render_xlsx
from up2u_cba.outputs.render_xlsx import HEADER_ROW
from up2u_cba.outputs.spreadsheet_text import put

IDS = [f"payload{index}" for index in range(len(PAYLOADS))]
CASE = pathlib.Path("cases") / "BCP" / "BCP-0016.toml"
"""A BCP case of Christchurch completed in 2022/23 (the year reported), outcome SS5.0."""
CONTROL = [chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"] + ["\x7f", "\x85", "\x9b"]
"""Every C0 control a workbook cannot hold, DEL, and two C1 controls (NEL, CSI)."""
CONTROL_IDS = [f"U+{ord(character):04X}" for character in CONTROL]
CSV_CONTROL = ["\x00", "\x0b", "\x1b", "\x7f", "\x85"]
CSV_CONTROL_IDS = ["NUL", "VT", "ESC", "DEL", "NEL"]


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, control characters as escapes."""
    escaped = []
    for character in text:
        if character in '"\\':
            escaped.append("\\" + character)
        elif ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F:
            escaped.append(f"\\u{ord(character):04X}")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


def replace(path: pathlib.Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def string_cells(path) -> list:
    workbook = openpyxl.load_workbook(path)
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str)]


def assert_written_as_text(path, payload: str) -> None:
    """The payload (as the loaders keep it: outer blanks trimmed, runs of blanks as they are) is
    in the workbook, in string cells only."""
    expected = payload.strip()
    found = [cell for cell in string_cells(path) if expected in cell.value]
    assert found, f"{expected!r} is in no cell of {path}"
    assert all(cell.data_type == "s" for cell in found), [(cell.coordinate, cell.data_type) for cell in found]
    alone = [cell for cell in found if cell.value == expected]
    assert all(cell.quotePrefix for cell in alone), "text that reads as a formula when edited is quote-prefixed"


def assert_workbooks_safe(settings: pathlib.Path, folder: pathlib.Path, *payloads: str) -> None:
    """``report --xlsx`` and ``report --xlsx --publish`` run, no formula in either holds input text,
    and the analyst's holds each payload as text."""
    analysts, published = folder / "report.xlsx", folder / "published.xlsx"
    result = invoke("report", "--settings", settings, "--xlsx", analysts)
    assert result.exit_code == 0, result.output
    assert_no_injected_formula(analysts)
    for payload in payloads:
        assert_written_as_text(analysts, payload)
    result = invoke("report", "--settings", settings, "--xlsx", published, "--publish")
    assert result.exit_code == 0, result.output
    assert_no_injected_formula(published)


# --- deliverable 1: no formula from any text --------------------------------------------------

class Poisoned(typing.NamedTuple):
    payload: str
    reference_refused: bool
    """validate refused the payload as a reference (cleanly: the personal-data guard, or longer
    than a reference may be): tried without it."""
    paths: tuple[pathlib.Path, ...]
    """The analyst's workbook, the published one and the intake template, as written."""
    analysts: openpyxl.Workbook
    published: openpyxl.Workbook
    template: openpyxl.Workbook


@pytest.fixture(scope="module", params=PAYLOADS, ids=IDS)
def poisoned(request, tmp_path_factory) -> Poisoned:
    """A project with one payload in every kind of text field at once, and the workbooks that
    ``report --xlsx``, ``report --xlsx --publish`` and ``intake template`` write from it.

    Free text keeps the payload verbatim (a case's description, evidence and adjustment reason,
    the deflator series, unit cost text of a local CSV); names, which the loaders trim, get it
    trimmed (a locality for Christchurch, a service for Dorset, a reference for DOR-0001)."""
    payload = request.param
    name = payload.strip()
    folder = tmp_path_factory.mktemp("poisoned")
    settings = sample_project(folder)
    case = folder / CASE
    replace(case, 'description = "Child in need plans closed x4"', f"description = {toml_string(payload)}")
    replace(case, 'evidence = "Children\'s services closure confirmed"',
            f"evidence = {toml_string(payload)}\ndeadweight = 0.1\nadjustment_reason = {toml_string(payload)}")
    replace(settings, 'series = "HM Treasury GDP deflators at market prices, March 2026"',
            f"series = {toml_string(payload)}")
    for path in [settings, *folder.glob("cases/BCP/*.toml")]:
        if '"Christchurch"' in path.read_text(encoding="utf-8"):
            replace(path, '"Christchurch"', toml_string(name))
    replace(settings, "[services.Dorset]", f"[services.{toml_string(name)}]")
    replace(settings, 'reference_pattern = "DOR-\\\\d{4}"',
            f"reference_pattern = {toml_string('DOR-[0-9]{4}|' + re.escape(name))}")
    for path in folder.glob("cases/Dorset/*.toml"):
        replace(path, 'service = "Dorset"', f"service = {toml_string(name)}")
    reference = folder / "cases" / "Dorset" / "DOR-0001.toml"
    replace(reference, 'reference = "DOR-0001"', f"reference = {toml_string(name)}")
    local_override(folder, "SS5.0", agency_2="", **{field: payload for field in UNIT_COST_FIELDS})
    analysts, published, template = folder / "report.xlsx", folder / "published.xlsx", folder / "intake.xlsx"
    result = invoke("report", "--xlsx", analysts, "--settings", settings)
    reference_refused = result.exit_code != 0
    if reference_refused:  # refused cleanly (not a safe reference, or a name), then left out
        assert_refused(result, "DOR-0001.toml", "reference")
        assert any(f"[{code}]" in result.output for code in ("personal-data", "reference-too-long", "bad-reference")), \
            result.output
        assert len([line for line in result.output.splitlines() if line.startswith("  ")]) == 1, result.output
        replace(reference, f"reference = {toml_string(name)}", 'reference = "DOR-0001"')
    for args in (("report", "--xlsx", analysts), ("report", "--xlsx", published, "--publish"),
                 ("intake", "template", template))[0 if reference_refused else 1:]:
        result = invoke(*args, "--settings", settings)
        assert result.exit_code == 0, result.output
    return Poisoned(payload, reference_refused, (analysts, published, template),
                    *(openpyxl.load_workbook(path) for path in (analysts, published, template)))


def cells_of(workbook: openpyxl.Workbook, sheet: str, heading: str) -> list:
    """The cells of a table sheet's column, below its heading."""
    table = workbook[sheet]
    headings = [cell.value for cell in table[HEADER_ROW]]
    column = headings.index(heading) + 1
    return [row[0] for row in table.iter_rows(min_row=HEADER_ROW + 1, min_col=column, max_col=column)]


def assert_text_cell(cells: list, expected: str) -> None:
    """One of ``cells`` holds ``expected`` exactly, as a string cell, quote-prefixed."""
    found = [cell for cell in cells if cell.value == expected]
    assert found, f"{expected!r} not in {[cell.value for cell in cells]}"
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in found)


def test_no_workbook_holds_a_formula_made_of_input_text(poisoned):
    for path in poisoned.paths:
        assert_no_injected_formula(path)


def test_case_description_is_a_text_cell(poisoned):
    assert_text_cell(cells_of(poisoned.analysts, "Outcome lines", "Description"), poisoned.payload.strip())


def test_a_reference_cannot_carry_formula_text(poisoned):
    """A reference is letters, digits, dashes and underscores (it is also a file name), so every
    payload is refused as one, cleanly (checked in the fixture), whatever the service's pattern."""
    assert poisoned.reference_refused


def test_locality_is_a_text_cell_in_every_workbook(poisoned):
    name = poisoned.payload.strip()
    for workbook in (poisoned.analysts, poisoned.published):
        assert_text_cell(cells_of(workbook, "By locality", "Locality"), name)
    assert_text_cell(list(poisoned.template[intake.LISTS]["B"]), name)


def test_service_is_a_text_cell_in_every_workbook(poisoned):
    name = poisoned.payload.strip()
    for workbook in (poisoned.analysts, poisoned.published):
        assert_text_cell(cells_of(workbook, "By locality", "Service"), name)
        assert_text_cell(list(workbook["Summary"]["A"]), name)
    assert_text_cell(list(poisoned.template[intake.LISTS]["A"]), name)


def test_deflator_series_is_text(poisoned):
    for workbook in (poisoned.analysts, poisoned.published):
        run_info = workbook["Run info"]
        row = next(row for row in run_info.iter_rows() if row[0].value == "Deflator series")
        assert row[1].data_type == "s" and row[1].value.startswith(poisoned.payload.replace("\r", "\n"))


@pytest.mark.parametrize("field, heading", [("description", "Description"), ("source", "Source"),
                                            ("agency_1", "Agency"), ("comment", "Comment"), ("theme", "Theme"),
                                            ("unit", "Unit")])
def test_unit_cost_text_of_a_local_csv_is_a_text_cell(poisoned, field, heading):
    assert_text_cell(cells_of(poisoned.analysts, "Unit costs used", heading), poisoned.payload.strip())


def test_agency_and_theme_of_a_local_csv_are_text_cells_in_the_breakdowns(poisoned):
    name = poisoned.payload.strip()
    for workbook in (poisoned.analysts, poisoned.published):
        assert_text_cell(cells_of(workbook, "By agency", "Agency"), name)
        assert_text_cell(cells_of(workbook, "By theme", "Theme"), name)


def test_intake_drop_down_lists_the_unit_cost_as_text(poisoned):
    labels = [cell for cell in poisoned.template[intake.LISTS]["E"]
              if isinstance(cell.value, str) and cell.value.startswith("SS5.0 | ")]
    assert [(cell.value, cell.data_type) for cell in labels] == \
        [(f"SS5.0 | {' '.join(poisoned.payload.split())}", "s")]


def local_override(folder: pathlib.Path, code: str, **texts: str) -> None:
    """Override ``code`` with ``texts`` in a council's own unit cost CSV, layered last (written
    raw, no escaping, as Excel writes CSV: CRLF line ends)."""
    settings = folder / "up2u-cba.toml"
    path = folder / "unit_costs" / "council.csv"
    if not path.exists():
        replace(settings, '"unit_costs/bcp-local.csv"]', '"unit_costs/bcp-local.csv", "unit_costs/council.csv"]')
        with open(path, "w", encoding="utf-8", newline="") as handle:
            csv.DictWriter(handle, fieldnames=unit_costs.COLUMNS, lineterminator="\r\n").writeheader()
    costs, problems = unit_costs.load([str(folder / "unit_costs" / name) for name in ("gmca-ucd-v1.4.csv",
                                                                                      "bcp-local.csv")])
    assert problems == []
    row = unit_costs.to_row(costs[code], overrides=True)
    row.update(texts)
    with open(path, "a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=unit_costs.COLUMNS, lineterminator="\r\n").writerow(row)


UNIT_COST_FIELDS = ("description", "source", "agency_1", "comment", "theme", "unit")


@pytest.fixture(scope="module")
def poisoned_gmca(tmp_path_factory) -> pathlib.Path:
    """The shipped GMCA workbook with the text cells of the costs the sample cases use (CR2.0,
    SS5.0...) replaced by payloads, stored as text cells starting with '=' and the like."""
    source = pathlib.Path(__file__).resolve().parent.parent / "unit_costs" / "gmca-ucd-v1.4.xlsx"
    book = openpyxl.load_workbook(source, data_only=True)  # formulas as their stored results
    targets = {"CR2.0": PAYLOADS[0], "SS5.0": PAYLOADS[1], "HO3.0": PAYLOADS[4], "SS4.0": PAYLOADS[8],
               "HE1.0": PAYLOADS[9]}
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=3):
            code = row[2].value if len(row) > 2 else None
            if code in targets:
                for letter in "DFQS":  # description, agency, source, comment
                    put(sheet, row[0].row, openpyxl.utils.column_index_from_string(letter), targets[code])
    path = tmp_path_factory.mktemp("gmca") / "poisoned.xlsx"
    book.save(path)
    return path


def test_costs_import_writes_formula_like_text_escaped_and_reads_it_back_as_it_was(tmp_path, poisoned_gmca):
    output = tmp_path / "imported.csv"
    result = invoke("costs", "import", poisoned_gmca, "-o", output)
    assert result.exit_code == 0, result.output
    with open(output, encoding="utf-8", newline="") as handle:
        rows = {row["code"]: row for row in csv.DictReader(handle)}
    assert rows["CR2.0"]["description"] == "'" + PAYLOADS[0]
    assert rows["SS5.0"]["agency_1"] == "'" + PAYLOADS[1]
    for row in rows.values():  # no text field of the CSV starts a formula in a spreadsheet program
        for name in unit_costs.TEXT_COLUMNS:
            assert row[name] == "-" or not row[name].lstrip(" \t\r\n").startswith(("=", "+", "-", "@", "\uff1d")), row
    assert all(not row[name].startswith("'") for row in rows.values() if row["code"] not in ("CR2.0", "SS5.0", "HO3.0", "SS4.0", "HE1.0")
               for name in ("description", "source"))
    loaded, problems = unit_costs.load([str(output)])
    assert problems == []
    assert loaded["CR2.0"].description == PAYLOADS[0]  # the escape is taken off again: a round trip
    assert loaded["SS5.0"].agency_1 == PAYLOADS[1]


def test_a_report_on_imported_formula_like_costs_writes_them_as_text(tmp_path, poisoned_gmca):
    settings = sample_project(tmp_path)
    output = tmp_path / "unit_costs" / "imported.csv"
    assert invoke("costs", "import", poisoned_gmca, "-o", output).exit_code == 0
    replace(settings, '"unit_costs/gmca-ucd-v1.4.csv"', '"unit_costs/imported.csv"')
    assert_workbooks_safe(settings, tmp_path, PAYLOADS[0], PAYLOADS[1])


def test_intake_template_lists_formula_like_unit_costs_as_text(tmp_path):
    settings = sample_project(tmp_path)
    for code, payload in zip(("CR2.0", "SS5.0", "HO3.0", "HE1.0"), PAYLOADS):
        local_override(tmp_path, code, description=payload)
    local_override(tmp_path, "CR1.0", description='Police, "courts" and, commas')
    template = tmp_path / "intake.xlsx"
    assert invoke("intake", "template", template, "--settings", settings).exit_code == 0
    assert_no_injected_formula(template)
    workbook = openpyxl.load_workbook(template)
    labels = [cell.value for cell in workbook[intake.LISTS]["E"] if cell.value]
    assert "CR1.0 | Police, \"courts\" and, commas" in labels  # a list validation reads a range: commas are fine
    for validation in workbook[intake.OUTCOMES].data_validations.dataValidation:
        if validation.type == "list":
            assert validation.formula1.startswith(f"{intake.LISTS}!$")


# --- SUMIFS criteria: agency, locality and theme names match exactly --------------------------

def test_names_like_criteria_do_not_change_what_the_workbook_adds_up(tmp_path):
    """Agencies named <5, * and =x, a locality a?b and a theme ~ (each a SUMIFS wildcard or
    comparison) still total to the tool's figures when LibreOffice recalculates the workbook."""
    settings = sample_project(tmp_path)
    report = pipeline.run(str(settings))
    used = [line.code for summary in report.services for line in summary.lines]
    codes = sorted(set(used), key=used.count, reverse=True)[:4]
    for code, agency in zip(codes, ("<5", "*", "=x", "police")):
        local_override(tmp_path, code, agency_1=agency, agency_2="", theme="~" if agency == "*" else "")
    for path in [settings, *tmp_path.glob("cases/BCP/*.toml")]:
        if '"Christchurch"' in path.read_text(encoding="utf-8"):
            replace(path, '"Christchurch"', '"a?b"')
    report = pipeline.run(str(settings))
    agencies = {agency for summary in report.services for agency in summary.by_agency}
    assert {"<5", "*", "=x"} <= agencies, agencies
    path = tmp_path / "report.xlsx"
    assert invoke("report", "--settings", settings, "--xlsx", path).exit_code == 0
    workbook = recalculate(path, tmp_path)
    for sheet, key, figures in (("By agency", "Agency", "by_agency"), ("By locality", "Locality", "by_locality"),
                                ("By theme", "Theme", "by_theme")):
        shown = {(row["Service"], row[key]): row["Saving"] for row in table_rows(workbook[sheet]) if row["Service"]}
        expected = {(summary.service, name): amount for summary in report.services
                    for name, amount in getattr(summary, figures).items()}
        assert shown == expected, sheet
    summary_values = [row for row in workbook["Summary"].iter_rows(values_only=True)]
    for summary in report.services:
        label = f"Total estimated saving for cases completed in {summary.year}"
        totals = [row[1] for row in summary_values if row[0] == label]
        assert summary.total_saving in totals


def test_a_spreadsheet_application_keeps_every_payload_as_text(tmp_path):
    """LibreOffice, opening and recalculating the workbook, shows each payload as the text it is
    (an injected formula would show its result: 2, a link...)."""
    settings = sample_project(tmp_path)
    descriptions = iter(PAYLOADS)
    for path in sorted(tmp_path.glob("cases/BCP/*.toml")):
        text = path.read_text(encoding="utf-8")
        completed = re.search(r'status = "completed"\ndate = (\S+)', text)
        if completed and "2022-04-01" <= completed.group(1) <= "2023-03-31" and "\ndescription = " in text:
            payload = next(descriptions, None)
            if payload is None:
                break
            path.write_text(re.sub(r'\ndescription = "[^"]*"', lambda _: f"\ndescription = {toml_string(payload)}",
                                   text, count=1), encoding="utf-8")
    assert next(descriptions, None) is None, "fewer completed 2022/23 cases than payloads"
    path = tmp_path / "report.xlsx"
    assert invoke("report", "--settings", settings, "--xlsx", path).exit_code == 0
    shown = {row["Description"] for row in table_rows(recalculate(path, tmp_path)["Outcome lines"])}
    assert {payload.strip().replace("\r", "\n") for payload in PAYLOADS} <= shown


# --- deliverable 2: characters a workbook cannot hold are refused at the door -----------------

@pytest.fixture(scope="module")
def controlled(tmp_path_factory) -> tuple[str, dict[str, str], dict[tuple[str, str], str]]:
    """One ``validate`` run over a project with every refused character in the evidence note of a
    different outcome line, and five of them in each text column of a local unit cost CSV.
    Returns the output and where each character was put (case file, field) and (CSV field)."""
    folder = tmp_path_factory.mktemp("controlled")
    settings = sample_project(folder)
    in_cases: dict[str, str] = {}
    lines = ((path, number) for path in sorted(folder.glob("cases/*/*.toml"))
             for number in range(path.read_text(encoding="utf-8").count("\nevidence = ")))
    for character, (path, number) in zip(CONTROL, lines):
        text = path.read_text(encoding="utf-8")
        parts = text.split("\nevidence = ")
        evidence = parts[number + 1].split("\n", 1)
        evidence[0] = toml_string("Checked" + character + "by police")
        parts[number + 1] = "\n".join(evidence)
        path.write_text("\nevidence = ".join(parts), encoding="utf-8")
        in_cases[character] = f"{path.name}: outcomes[{number + 1}].evidence"  # numbered from 1
    in_csv: dict[tuple[str, str], str] = {}
    costs, _ = unit_costs.load([str(folder / "unit_costs" / "gmca-ucd-v1.4.csv")])
    codes = iter(sorted(costs))
    for field in UNIT_COST_FIELDS + ("category",):
        for character in CSV_CONTROL:
            code = next(codes)
            local_override(folder, code, **{field: f"Pasted{character}text"})
            in_csv[(field, character)] = code
    result = invoke("validate", "--settings", settings)
    assert_refused(result)
    return result.output, in_cases, in_csv


@pytest.mark.parametrize("character", CONTROL, ids=CONTROL_IDS)
def test_validate_refuses_a_control_character_in_a_case_file(controlled, character):
    output, in_cases, _ = controlled
    named = [line for line in output.splitlines() if in_cases[character] + ":" in line]
    assert len(named) == 1, (in_cases[character], output)
    assert f"U+{ord(character):04X}" in named[0] and "[control-character]" in named[0]


@pytest.mark.parametrize("field, old", [
    ("locality", 'locality = "Christchurch"'),
    ("reference", 'reference = "BCP-0016"'),
])
def test_validate_refuses_a_vertical_tab_in_a_case_files_names(tmp_path, field, old):
    settings = sample_project(tmp_path)
    value = re.search(r'"(.*)"', old).group(1)
    replace(tmp_path / CASE, old, f"{field} = {toml_string(value[:3] + chr(11) + value[3:])}")
    assert_refused(invoke("validate", "--settings", settings), "BCP-0016.toml", field, "U+000B vertical tab")


def test_validate_refuses_a_control_character_in_an_adjustment_reason(tmp_path):
    settings = sample_project(tmp_path)
    replace(tmp_path / CASE, 'evidence = "Children\'s services closure confirmed"',
            'evidence = "Children\'s services closure confirmed"\ndeadweight = 0.2\n'
            'adjustment_reason = "half would have\\u001Bclosed anyway"')
    assert_refused(invoke("validate", "--settings", settings), "BCP-0016.toml", "adjustment_reason",
                   "U+001B escape")


@pytest.mark.parametrize("key, old, character", [
    ("uprating.series", 'series = "HM Treasury GDP deflators at market prices, March 2026"', "\x00"),
    ("services.BCP.localities[2]", '"Christchurch"', "\x0b"),
    ("services.BCP.localities[2]", '"Christchurch"', "\x7f"),
])
def test_settings_text_with_a_control_character_is_refused(tmp_path, key, old, character):
    settings = sample_project(tmp_path)
    text = re.search(r'"(.*)"', old).group(1)
    replace(settings, old, old.replace(f'"{text}"', toml_string(text[:4] + character + text[4:])))
    assert_refused(invoke("validate", "--settings", settings), settings.name, key, f"U+{ord(character):04X}")


@pytest.mark.parametrize("field", UNIT_COST_FIELDS + ("category",))
@pytest.mark.parametrize("character", CSV_CONTROL, ids=CSV_CONTROL_IDS)
def test_unit_cost_csv_text_with_a_control_character_is_refused(controlled, field, character):
    output, _, in_csv = controlled
    named = [line for line in output.splitlines()
             if "council.csv" in line and f": {field}:" in line and f"U+{ord(character):04X}" in line]
    assert len(named) == 1, output
    assert "[control-character]" in named[0]


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x1b", "\x7f", "\x85"], ids=["NUL", "VT", "ESC", "DEL", "NEL"])
def test_guided_entry_re_asks_a_note_with_a_control_character(tmp_path, character):
    settings = sample_project(tmp_path)
    path = tmp_path / "cases" / "BCP" / "BCP-0001.toml"
    answers = ["add", "HE1.0", "1", "1", "", f"Confirmed by{character}the service",
               "Confirmed by the service", "done", "y"]
    result = invoke("case", "update", "BCP-0001", "--settings", settings,
                    input="".join(f"{answer}\n" for answer in answers))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert f"U+{ord(character):04X}" in result.output and "evidence" in result.output
    record, problems = cases.load_file(str(path))
    assert problems == [] and record.outcomes[-1].evidence == "Confirmed by the service"


def test_guided_entry_re_asks_a_reference_with_a_control_character(tmp_path):
    settings = sample_project(tmp_path)
    answers = ["BCP", "3", "BCP-01\x1b0101", "BCP-0101", "2023-02-01", "", "y"]
    result = invoke("case", "new", "--settings", settings, input="".join(f"{answer}\n" for answer in answers))
    assert result.exit_code == 0, result.output
    assert "U+001B escape" in result.output and "reference" in result.output
    assert 'reference = "BCP-0101"' in (tmp_path / "cases" / "BCP" / "BCP-0101.toml").read_text(encoding="utf-8")


def filled_intake(tmp_path, settings, evidence: str = "Police check", locality: str = "Poole") -> pathlib.Path:
    """An intake workbook with one completed case and one outcome. A control character is given
    as ``_xHHHH_``: Excel stores a pasted vertical tab so, and openpyxl hands it over so."""
    template = tmp_path / "template.xlsx"
    assert invoke("intake", "template", template, "--settings", settings).exit_code == 0
    book = openpyxl.load_workbook(template)
    for row, (status, day) in enumerate((("referred", "2023-01-10"), ("completed", "2023-02-20")), start=2):
        for column, value in enumerate(("BCP-0901", "BCP", locality, status), start=1):
            book[intake.CASES].cell(row=row, column=column, value=value)
        book[intake.CASES].cell(row=row, column=5, value=datetime.date.fromisoformat(day))
    for column, value in enumerate(("BCP-0901", "HE1.0", 1, 1, "", evidence), start=1):
        book[intake.OUTCOMES].cell(row=2, column=column, value=value)
    path = tmp_path / "filled.xlsx"
    book.save(path)
    return path


def test_a_clean_intake_workbook_imports(tmp_path):
    """The control-character tests below would prove nothing if the workbook could not import."""
    settings = sample_project(tmp_path)
    result = invoke("intake", "import", filled_intake(tmp_path, settings), "--settings", settings)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cases" / "BCP" / "BCP-0901.toml").exists() or any(tmp_path.glob("cases/**/BCP-0901.toml"))


@pytest.mark.parametrize("where, character", [
    ("evidence", "\x0b"), ("evidence", "\x00"), ("evidence", "\x1b"), ("evidence", "\x7f"), ("evidence", "\x85"),
    ("locality", "\x0c"),
])
def test_intake_import_refuses_a_control_character(tmp_path, where, character):
    settings = sample_project(tmp_path)
    escape = f"_x{ord(character):04X}_" if ord(character) < 0x20 else character
    if where == "evidence":
        workbook = filled_intake(tmp_path, settings, evidence=f"Police{escape}check")
        column = f"{intake.OUTCOMES} row 2: evidence"
    else:
        workbook = filled_intake(tmp_path, settings, locality=f"Po{escape}ole")
        column = f"{intake.CASES} row 2: locality"
    before = snapshot(tmp_path / "cases")
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert_refused(result, "filled.xlsx", column, f"U+{ord(character):04X}", "[control-character]")
    assert snapshot(tmp_path / "cases") == before


def test_the_workbook_writer_survives_a_control_character_that_got_past_validation(tmp_path):
    """The second line: text that reached the renderer with characters no workbook can hold is
    written with U+FFFD in their place, not a crash."""
    report = pipeline.run(str(sample_project(tmp_path)))
    report = report.model_copy(update={"deflator_series": "HM\x0bTreasury\x00 =1+1"})
    path = tmp_path / "report.xlsx"
    render_xlsx.write(report, str(path))
    assert any(cell.value.startswith("HM\ufffdTreasury\ufffd =1+1") for cell in string_cells(path))
