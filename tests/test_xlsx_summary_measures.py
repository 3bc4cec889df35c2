"""The workbook's Summary says what the text and JSON reports say (issue #12): that the prudent
figures equal the gross ones where nothing was deducted, the cost per completed case and the
completion rate beside the savings, and the services together; live, so an edit to the
workbook's own cells moves them as the tool would move them."""

from __future__ import annotations

import os
import shutil
import subprocess

import openpyxl
import pytest

from hostile import invoke, sample_project
from test_xlsx import recalculate, spreadsheet_application
from up2u_cba import pipeline
from up2u_cba.method import calculate, report as report_
from up2u_cba.outputs import render_xlsx

TOTAL = "Total estimated saving for cases completed in 2022/23"
SPEND = "Total estimated spend on Up2U over a 12-month period"


def summary(path, data_only: bool = True, workbook=None) -> dict[str, dict]:
    """The Summary's blocks by service name (the all-services block by its label, "BCP and
    Dorset"): {label: (gross, prudent)}, with its "heading" (the prudent column's) and "note"
    (the sentence under its figures). ``workbook``: one already read, instead of ``path``."""
    sheet = (workbook or openpyxl.load_workbook(path, data_only=data_only))["Summary"]
    blocks, current, heading = {}, None, None
    for label, gross, prudent in sheet.iter_rows(min_row=render_xlsx.HEADER_ROW, max_col=3, values_only=True):
        if gross == "Gross":
            heading = prudent
        elif label == "Service":
            current = blocks.setdefault(gross, {"heading": heading})
        elif current is not None and isinstance(label, str) and gross is None and prudent is None \
                and "note" not in current and (label.startswith(("Prudent equals", "The prudent figures", "=IF("))):
            current["note"] = label
        elif current is not None and label:
            current[label] = (gross, prudent)
    return blocks


def write_workbook(settings, path) -> None:
    result = invoke("report", "--settings", settings, "--xlsx", path, "--quiet")
    assert result.exit_code == 0, result.output


def test_summary_says_prudent_equals_gross_where_nothing_is_deducted(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "report.xlsx"
    write_workbook(settings, path)
    shown, formulas = summary(path), summary(path, data_only=False)
    assert set(shown) == {"BCP", "Dorset", "BCP and Dorset"}
    for name, block in shown.items():
        assert block["heading"] == "Prudent (equals gross)", name
        assert block["note"].startswith(f"Prudent equals gross for {name} in 2022/23:"), name
        assert "not a conservative estimate" in block["note"], name
        # live: an edit to an assumption on Outcome lines changes what they say
        assert formulas[name]["note"].startswith("=IF("), name
        assert formulas[name]["heading"].startswith("=IF("), name
    assert shown["BCP"][render_xlsx.ADJUSTED_LINES] == (None, 0)
    caveat = openpyxl.load_workbook(path)["Method"]
    assert any("not a conservative estimate" in str(value) for row in caveat.iter_rows(values_only=True)
               for value in row if value)


def test_summary_presents_prudent_figures_as_such_once_an_assumption_moves_a_line(tmp_path):
    settings = sample_project(tmp_path)
    settings.write_text(settings.read_text() + '\n[assumptions.deadweight]\ncodes = { "BCP-CR1" = 0.2 }\n')
    path = tmp_path / "report.xlsx"
    write_workbook(settings, path)
    result = pipeline.run(str(settings))
    bcp, dorset = result.services
    assert bcp.prudent_adjusted and not dorset.prudent_adjusted
    shown = summary(path)
    assert shown["BCP"]["heading"] == "Prudent" and shown["BCP"]["note"] == render_xlsx.PRUDENT_APPLIED
    assert shown["BCP"][render_xlsx.ADJUSTED_LINES][1] == sum(line.code == "BCP-CR1" for line in bcp.lines) > 0
    assert shown["Dorset"]["note"].startswith("Prudent equals gross for Dorset")
    assert shown["BCP and Dorset"]["heading"] == "Prudent"
    assert shown["BCP and Dorset"]["note"] == render_xlsx.PRUDENT_APPLIED


def test_cost_per_completed_case_completion_rate_and_all_services_beside_the_savings(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "report.xlsx"
    write_workbook(settings, path)
    result = pipeline.run(str(settings))
    shown, formulas = summary(path), summary(path, data_only=False)
    for figures in (*result.services, result.all_services):
        block = shown[figures.service]
        assert block[render_xlsx.COST_PER_COMPLETER][0] == float(figures.cost_per_completer)  # (to the penny)
        assert block[render_xlsx.ENDED][0] == figures.ended
        assert block[render_xlsx.COMPLETION_RATE][0] == float(figures.completion_rate)
        assert block["Completed cases"][0] == figures.completers
        assert block[TOTAL] == (figures.total_saving, figures.prudent_total)
        assert block[SPEND] == (figures.spend, figures.spend)
        assert block["Return on investment"] == (float(figures.return_on_investment), float(figures.financial_return))
        assert block["Average saving per completed case"] == (figures.average_saving, figures.prudent_average)
    assert (shown["BCP"][render_xlsx.COST_PER_COMPLETER][0], shown["BCP"][render_xlsx.ENDED][0]) == (4500, 40)
    # formulas over the workbook's own cells: spend and completed count, the participant table, the services' cells
    bcp, together = formulas["BCP"], formulas["BCP and Dorset"]
    assert bcp[render_xlsx.COST_PER_COMPLETER][0].startswith("=IF(B8>0,ROUND(ROUND(B10/B8")
    assert "Participants!" in bcp[render_xlsx.ENDED][0]
    assert bcp[render_xlsx.COMPLETION_RATE][0].startswith("=IF(B15>0,")
    # (BCP's block lists its savings by agency: nine since HO3.0's parts, in other units, no longer split it)
    sheet = openpyxl.load_workbook(path)["Summary"]
    labels = [(cell.row, cell.value) for cell in sheet["A"]]
    dorset = next(row for row, label in labels if label == "Service" and sheet.cell(row, 2).value == "Dorset")
    total_row, completed_row = (next(row for row, label in labels if row > dorset and label == name)
                                for name in (TOTAL, "Completed cases"))
    assert together[TOTAL] == (f"=B9+B{total_row}", f"=C9+C{total_row}")  # BCP's cells + Dorset's
    assert together["Completed cases"][0] == f"=B8+B{completed_row}"
    formats = {row[0].value: row[1].number_format for row in sheet.iter_rows(max_col=2) if row[0].value}
    assert formats[render_xlsx.COMPLETION_RATE] == render_xlsx.PERCENT  # 50.0%, as the text report gives it
    assert formats[render_xlsx.COST_PER_COMPLETER] == render_xlsx.PENCE  # to the penny, as text and JSON (issue #13)


def test_one_service_has_no_all_services_block(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "bcp.xlsx"
    result = invoke("report", "--settings", settings, "--service", "BCP", "--xlsx", path, "--quiet")
    assert result.exit_code == 0, result.output
    assert list(summary(path)) == ["BCP"]


def test_published_summary_gives_the_measures_as_values_and_hides_what_would_give_a_small_count_away(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "published.xlsx"
    result = invoke("report", "--settings", settings, "--xlsx", path, "--publish", "--quiet")
    assert result.exit_code == 0, result.output
    shown, formulas = summary(path), summary(path, data_only=False)
    assert shown == formulas  # values, not formulas
    # Dorset's 3 completed cases are hidden: spend / completed cases would give them away, and so would the sums
    assert shown["Dorset"][render_xlsx.COST_PER_COMPLETER][0] == render_xlsx.HIDDEN
    assert shown["Dorset"][render_xlsx.COMPLETION_RATE][0] == render_xlsx.HIDDEN
    together = shown["BCP and Dorset"]
    assert together["Completed cases"][0] == together[render_xlsx.ENDED][0] == render_xlsx.HIDDEN
    assert together[render_xlsx.COST_PER_COMPLETER][0] == render_xlsx.HIDDEN
    assert together[TOTAL] == (644533, 644533)
    assert shown["BCP"][render_xlsx.COST_PER_COMPLETER][0] == 4500
    assert shown["BCP"]["note"].startswith("Prudent equals gross for BCP")


def test_libreoffice_recalculates_the_summary_measures_as_the_tool_does_after_an_edit(tmp_path):
    """Change a quantity and a deadweight on Outcome lines and BCP's spend on the Summary,
    recalculate; every service's and the
    services' together figures, cost per completed case, completion rate and what the Summary says
    of the prudent figures equal the tool's own run on the same change."""
    settings = sample_project(tmp_path)
    path = tmp_path / "report.xlsx"
    write_workbook(settings, path)
    edited = tmp_path / "edited.xlsx"
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Outcome lines"]
    column = {heading: index for index, heading in enumerate(render_xlsx.LINE_HEADERS, start=1)}
    for row in range(render_xlsx.HEADER_ROW + 1, sheet.max_row + 1):
        if sheet.cell(row, column["Code"]).value == "BCP-CR1":
            sheet.cell(row, column["Deadweight"], value=0.2)
            if sheet.cell(row, column["Case"]).value == "BCP-0011":
                sheet.cell(row, column["Quantity"], value=2)
    spend_cell = next(row[1] for row in workbook["Summary"].iter_rows(max_col=3) if row[0].value == SPEND)
    assert spend_cell.value == 90000
    spend_cell.value = 100000
    workbook.save(edited)
    recalculated = recalculate(edited, tmp_path)

    case = tmp_path / "cases" / "BCP" / "BCP-0011.toml"
    text = case.read_text()
    case.write_text(text.replace('code = "BCP-CR1"\nquantity = 1', 'code = "BCP-CR1"\nquantity = 2'))
    settings.write_text(settings.read_text().replace('"2022/23" = 90000', '"2022/23" = 100000')
                        + '\n[assumptions.deadweight]\ncodes = { "BCP-CR1" = 0.2 }\n')
    result = pipeline.run(str(settings))
    assert result.services[0].spend == 100000
    assert result.services[0].total_saving == 627982 + 3253  # the case file was changed as the workbook was

    shown = summary(None, workbook=recalculated)
    for figures in (*result.services, result.all_services):
        block = shown[figures.service]
        assert block[TOTAL] == (figures.total_saving, figures.prudent_total), figures.service
        assert block[f"Estimated net saving to {figures.service} (saving - spend)"] == \
            (figures.net_saving, figures.prudent_net_saving)
        assert f"{block['Return on investment'][0]:.2f}" == str(figures.return_on_investment)
        assert f"{block['Return on investment'][1]:.2f}" == str(figures.financial_return)
        assert block["Average saving per completed case"] == (figures.average_saving, figures.prudent_average)
        assert block[render_xlsx.COST_PER_COMPLETER][0] == float(figures.cost_per_completer)  # (to the penny)
        assert block[render_xlsx.ENDED][0] == figures.ended
        assert f"{block[render_xlsx.COMPLETION_RATE][0]:.4f}" == str(figures.completion_rate)
    bcp, dorset = result.services
    assert shown["BCP"][render_xlsx.ADJUSTED_LINES][1] == sum(map(calculate.line_adjusted, bcp.lines))
    assert (shown["BCP"]["heading"], shown["BCP"]["note"]) == ("Prudent", render_xlsx.PRUDENT_APPLIED)
    assert shown["Dorset"]["note"] == report_.NOTHING_DEDUCTED.format(service="Dorset", year=dorset.year)
    assert shown["BCP and Dorset"]["note"] == render_xlsx.PRUDENT_APPLIED
    assert bcp.prudent_total < bcp.total_saving  # the deadweight did bite



def test_summary_with_its_new_rows_and_the_services_together_still_prints_on_one_page(tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    settings = sample_project(tmp_path)
    path = tmp_path / "report.xlsx"
    write_workbook(settings, path)
    assert openpyxl.load_workbook(path)["Summary"].page_setup.fitToHeight in (None, 1)  # 1 is the default
    subprocess.run([spreadsheet_application(), "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(path)], check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": str(tmp_path)})
    printed = subprocess.run(["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"],
                             check=True, capture_output=True, text=True).stdout
    pages = printed.split("\f")
    assert "All services" in pages[0] and "Prudent equals gross for BCP and Dorset" in pages[0]
    assert "Every case active in the year" in pages[1]  # Participants begins the second page


def test_sheets_beside_the_summary_say_which_prudent_columns_equal_gross(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / "report.xlsx"
    write_workbook(settings, path)
    workbook = openpyxl.load_workbook(path)
    for name in ("Cases", "By agency", "By locality", "By theme"):
        assert "Prudent equals gross for BCP and Dorset as made" in workbook[name]["A2"].value, name
    settings.write_text(settings.read_text() + '\n[assumptions.deadweight]\ncodes = { "BCP-CR1" = 0.2 }\n')
    moved = tmp_path / "moved.xlsx"
    write_workbook(settings, moved)
    explanation = openpyxl.load_workbook(moved)["By agency"]["A2"].value
    assert "Prudent equals gross for Dorset as made" in explanation and "BCP and Dorset" not in explanation
