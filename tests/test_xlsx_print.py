"""The commissioner workbook on paper: every page headed with the programme, services, year and
protective marking and footed with page x of y and the date made; the Summary one page; the
case reference repeated on every page across; no text clipped; the file's properties; and the
same report written twice giving the same bytes."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import time
import zipfile

import openpyxl
import pytest

from conftest import SETTINGS
from hostile import assert_refused, invoke, sample_project
from test_xlsx import spreadsheet_application
from up2u_cba import pipeline
from up2u_cba.outputs import render_xlsx


@pytest.fixture(scope="module")
def report():
    return pipeline.run(str(SETTINGS))


@pytest.fixture(scope="module")
def workbook_path(report, tmp_path_factory):
    path = tmp_path_factory.mktemp("print") / "report.xlsx"
    render_xlsx.write(report, str(path))
    return path


def printed(workbook, tmp_path):
    """The workbook printed to PDF by LibreOffice."""
    program = spreadsheet_application()
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is required in CI")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = tmp_path / "pdf"
    subprocess.run([program, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(workbook)],
                   check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": str(tmp_path)})
    return out / (workbook.stem + ".pdf")


def pdf_pages(workbook, tmp_path) -> list[str]:
    """The workbook printed to PDF by LibreOffice, as each page's text (pdftotext -layout)."""
    text = subprocess.run(["pdftotext", "-layout", str(printed(workbook, tmp_path)), "-"], check=True,
                          capture_output=True, text=True, timeout=120).stdout
    return [page for page in text.split("\f") if page.strip()]


def page_words(pdf) -> list[list[tuple[float, float, float, str]]]:
    """Each printed page's words as (x from, x to, y, word) (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=120).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(x0), float(x1), float(y0), word) for x0, y0, x1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page)])
    return pages


def body_lines(page: str) -> list[str]:
    """A page's lines of text, its header and footer lines left off."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    return lines[1:-1]


def test_every_printed_page_has_its_header_and_footer_and_the_summary_is_one_page(report, workbook_path, tmp_path):
    pages = pdf_pages(workbook_path, tmp_path)
    assert len(pages) > 10
    for number, page in enumerate(pages, start=1):
        lines = [line for line in page.splitlines() if line.strip()]
        assert "Up2U cost-benefit analysis: BCP and Dorset, 2022/23" in lines[0], number
        assert "OFFICIAL-SENSITIVE" in lines[0], number
        assert f"Page {number} of {len(pages)}" in lines[-1], number
        assert f"Made {report.generated_at:%Y-%m-%d %H:%M} by up2u-cba" in lines[-1], number
        assert "OFFICIAL-SENSITIVE" in lines[-1], number
    summary, after = body_lines(pages[0]), body_lines(pages[1])
    assert summary[0].startswith("Up2U cost-benefit analysis, financial year 2022/23")
    assert any(line.startswith("All services") for line in summary)  # the last block is on the first page
    assert after[0] == "Participants"  # and the next page is the next sheet
    # Outcome lines' right-hand page (its prudent columns) still says which service and case a row is
    right_hand = [line for page in pages for line in body_lines(page) if "Prudent economic" in line]
    assert right_hand and all(line.split()[:2] == ["Service", "Case"] for line in right_hand)


def test_the_parts_of_every_page_header_and_footer_stand_apart(report, workbook_path, tmp_path):
    """Left, centre and right parts of the header and footer do not run into each other, on the
    portrait pages printed at full size too (the Payback sheet, Cases)."""
    made = f"{report.generated_at:%Y-%m-%d}"
    for number, words in enumerate(page_words(printed(workbook_path, tmp_path)), start=1):
        top, bottom = min(y for *_, y, _ in words), max(y for *_, y, _ in words)
        header = sorted((x0, x1, word) for x0, x1, y, word in words if y == top)
        footer = sorted((x0, x1, word) for x0, x1, y, word in words if y == bottom)
        heading = {word: (x0, x1) for x0, x1, word in header}
        places = {word: (x0, x1) for x0, x1, word in footer}
        gap = 6  # points: at least a space between the parts
        assert heading["2022/23"][1] + gap < heading["OFFICIAL-SENSITIVE"][0], (number, header)
        assert footer[0][2] == "OFFICIAL-SENSITIVE" and footer[0][1] + gap < places["Page"][0], (number, footer)
        of = [word for _, _, word in footer].index("of")
        page_count_ends = footer[of + 1][1]  # "Page x of y": y's right edge
        assert page_count_ends + gap < places["Made"][0] < places[made][0], (number, footer)


def test_a_published_workbook_is_marked_official_unless_the_settings_say_otherwise(tmp_path):
    settings = sample_project(tmp_path)
    result = invoke("report", "--settings", settings, "--year", "2022/23", "--publish", "--quiet",
                    "--xlsx", tmp_path / "published.xlsx")
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "published.xlsx")["Summary"]
    assert sheet.oddHeader.right.text == "&BOFFICIAL&B"
    assert sheet.oddFooter.left.text == "&BOFFICIAL&B"

    with open(settings, "a") as file:
        file.write('\n[workbook]\nmarking = "OFFICIAL-SENSITIVE PERSONAL"\npublished_marking = "OFFICIAL-SENSITIVE"\n')
    for flags, marking in ((["--publish"], "OFFICIAL-SENSITIVE"), ([], "OFFICIAL-SENSITIVE PERSONAL")):
        path = tmp_path / f"marked{len(flags)}.xlsx"
        result = invoke("report", "--settings", settings, "--year", "2022/23", *flags, "--quiet", "--xlsx", path)
        assert result.exit_code == 0, result.output
        for sheet in openpyxl.load_workbook(path).worksheets:
            assert sheet.oddHeader.right.text == f"&B{marking}&B", sheet.title


@pytest.mark.parametrize("value", ['""', '"OFFICIAL\\nSECRET"', "3", '"' + "X" * 61 + '"'])
def test_a_marking_that_cannot_head_a_page_is_refused(tmp_path, value):
    settings = sample_project(tmp_path)
    with open(settings, "a") as file:
        file.write(f"\n[workbook]\nmarking = {value}\n")
    result = invoke("report", "--settings", settings, "--year", "2022/23", "--quiet", "--xlsx", tmp_path / "r.xlsx")
    assert_refused(result, "up2u-cba.toml", "workbook.marking")
    assert not (tmp_path / "r.xlsx").exists()


def test_header_text_from_the_user_cannot_become_a_header_code(report):
    assert render_xlsx.header_text("Poole & Christchurch &P&N") == "Poole && Christchurch &&P&&N"
    assert "\x07" not in render_xlsx.header_text("BCP\x07")
    named = report.model_copy(update={"services": tuple(
        summary.model_copy(update={"service": "Bournemouth & Poole"}) for summary in report.services[:1])})
    header, footer = render_xlsx.page_marks(named, "OFFICIAL & SENSITIVE")
    assert header == ("&L&9Up2U cost-benefit analysis: Bournemouth && Poole, 2022/23"
                      "&R&9&BOFFICIAL && SENSITIVE&B")
    assert "&C&9Page &P of &N" in footer
    many = report.model_copy(update={"services": tuple(
        summary.model_copy(update={"service": f"Service{number:03d}"}) for number in range(60)
        for summary in report.services[:1])})
    assert all(len(text) <= 255 for text in render_xlsx.page_marks(many, "OFFICIAL"))


def test_the_case_repeats_on_every_page_across_and_every_sheet_prints_on_a4_or_a3(workbook_path):
    workbook = openpyxl.load_workbook(workbook_path)
    for name in ("Outcome lines", "Agency split"):
        assert workbook[name].print_title_cols == "$A:$B", name
        assert [cell.value for cell in workbook[name][render_xlsx.HEADER_ROW][:2]] == ["Service", "Case"]
    for sheet in workbook.worksheets:
        assert int(sheet.page_setup.paperSize) in (render_xlsx.A4, render_xlsx.A3), sheet.title


def test_the_summary_of_one_service_prints_on_a4_and_of_several_on_a3_to_stay_readable(report, workbook_path,
                                                                                        tmp_path):
    assert int(openpyxl.load_workbook(workbook_path)["Summary"].page_setup.paperSize) == render_xlsx.A3
    one = report.model_copy(update={"services": report.services[:1], "all_services": None})
    path = tmp_path / "one.xlsx"
    render_xlsx.write(one, str(path))
    assert int(openpyxl.load_workbook(path)["Summary"].page_setup.paperSize) == render_xlsx.A4


def test_no_text_cell_is_clipped(workbook_path):
    """A text cell's text fits its column, or it wraps in a row tall enough for its lines
    (a heuristic: about one character a unit of width, 15 points a line); titles and the
    explanation merged across the table (rows 1-2) are left out."""
    workbook = openpyxl.load_workbook(workbook_path)
    clipped = []
    for sheet in workbook.worksheets:
        merged_rows = {merged.min_row for merged in sheet.merged_cells.ranges}
        widths = {column: dimension.width for dimension in sheet.column_dimensions.values()
                  for column in range(dimension.min or 1, (dimension.max or dimension.min or 1) + 1)}
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                if not isinstance(cell.value, str) or cell.data_type == "f" or cell.row in merged_rows:
                    continue
                width = widths.get(cell.column) or 13
                if len(cell.value) + 1 <= width:
                    continue
                height = sheet.row_dimensions[cell.row].height or 15
                lines = render_xlsx.wrapped_lines(cell.value, int(width))
                if not cell.alignment.wrap_text or height < 15 * lines or height > render_xlsx.TALLEST_ROW:
                    clipped.append(f"{sheet.title}!{cell.coordinate}")
    assert not clipped, clipped[:40]


def test_the_file_says_what_it_is_and_who_made_it(report, workbook_path):
    properties = openpyxl.load_workbook(workbook_path).properties
    assert properties.title == "Up2U cost-benefit analysis: BCP and Dorset, 2022/23"
    assert "BCP and Dorset" in properties.subject and "2022/23" in properties.subject
    assert properties.creator == f"up2u-cba {report.tool_version}"
    assert {"BCP", "Dorset", "2022/23"} <= set(properties.keywords.split(", "))
    utc = report.generated_at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    assert properties.created.replace(tzinfo=None) == utc  # the report's made time, not the clock's


def test_the_same_report_written_twice_a_second_apart_is_the_same_file(report, tmp_path):
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    render_xlsx.write(report, str(first))
    time.sleep(1.1)  # the file's own dates come from the report, not the clock
    render_xlsx.write(report, str(second))
    with zipfile.ZipFile(first) as one, zipfile.ZipFile(second) as other:
        assert one.namelist() == other.namelist()
        for name in one.namelist():
            assert one.read(name) == other.read(name), name
    assert first.read_bytes() == second.read_bytes()


def test_a_case_with_long_descriptions_prints_whole_on_one_page_of_cases(report, tmp_path):
    """Each case's block on Cases is kept to one printed page, counting a long description's
    wrapped lines: a case's heading and its total are on the same page."""
    long = " and then".join(["Child prevented from going into care"] * 8)
    wordy = report.model_copy(update={"services": tuple(summary.model_copy(update={"cases": tuple(
        case.model_copy(update={"lines": tuple(line.model_copy(update={"description": long}) for line in case.lines)})
        for case in summary.cases)}) for summary in report.services)})
    path = tmp_path / "wordy.xlsx"
    render_xlsx.write(wordy, str(path))
    pages = pdf_pages(path, tmp_path)
    cases = [page for page in pages if "Action" in page and "Total saving" in page]
    assert len(cases) > 3
    for page in cases:
        lines = body_lines(page)
        headings = [line for line in lines if line.split(" (")[0].startswith(("BCP-", "DOR-"))]
        totals = [line for line in lines if line.startswith("Total saving")]
        assert len(headings) == len(totals) and lines[-1].startswith("Total saving"), page[:300]
