"""The Assumptions sheet drives the workbook (issue #12): change deadweight there and a quantity
on Outcome lines, recalculate in LibreOffice, and every prudent figure equals what the tool
reports when run on the same changed settings and case."""

import openpyxl
import pytest

from test_green_book import project
from test_xlsx import recalculate, table_rows
from up2u_cba import pipeline
from up2u_cba.outputs import render_xlsx

ASSUMPTIONS = """
    [assumptions.deadweight]
    default = {deadweight}
    codes = {{ "TST-A" = 0.2 }}

    [assumptions.attribution]
    default = 0.75

    [assumptions.optimism_bias]
    A = 0.15
    G = 0.05

    [assumptions.drop_off]
    default = 0.1
    """
OUTCOMES = """
    [[outcomes]]
    code = "TST-A"
    quantity = 2
    years = 3
    [[outcomes]]
    code = "TST-G"
    quantity = 3
    years = 2.5
    deadweight = 0.05
    adjustment_reason = "Referred by probation as well"
    [[outcomes]]
    code = "CR2.0"
    quantity = {quantity}
    years = 1.5
    """
SHEETS_FOLLOWING = ["Outcome lines", "Agency split", "Cases", "By agency", "By locality", "By theme"]
"""Sheets whose every figure is a formula over Outcome lines (so over the Assumptions sheet)."""


def made(folder, deadweight: str, quantity: int):
    folder.mkdir()
    settings = project(folder, spend=2000, assumptions=ASSUMPTIONS.format(deadweight=deadweight),
                       outcomes=OUTCOMES.format(quantity=quantity))
    result = pipeline.run(str(settings))
    path = folder / "report.xlsx"
    render_xlsx.write(result, str(path))
    return result, path


def figures(sheet) -> list[tuple]:
    return [tuple(pytest.approx(value) if isinstance(value, float) else value for value in row)
            for row in sheet.iter_rows(min_row=render_xlsx.HEADER_ROW, values_only=True)]


def row_of(sheet, label: str) -> int:
    return next(cell.row for cell in sheet["A"] if cell.value == label)


def test_deadweight_changed_on_the_assumptions_sheet_moves_every_prudent_figure(tmp_path):
    _, path = made(tmp_path / "as-set", "0.1", 1)
    changed, expected_path = made(tmp_path / "changed", "0.3", 4)
    workbook = openpyxl.load_workbook(path)
    assumptions = workbook["Assumptions"]
    assumptions.cell(row=row_of(assumptions, "Deadweight: every code not listed below"), column=2, value=0.3)
    lines = workbook["Outcome lines"]
    index = next(i for i, row in enumerate(table_rows(lines)) if row["Code"] == "CR2.0")
    lines.cell(row=render_xlsx.HEADER_ROW + 1 + index, column=render_xlsx.LINE_HEADERS.index("Quantity") + 1, value=4)
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)

    recalculated = recalculate(edited, tmp_path)
    expected = openpyxl.load_workbook(expected_path, data_only=True)  # the tool's own figures, stored
    (summary,) = changed.services
    rows = table_rows(recalculated["Outcome lines"])
    assert [row["Prudent saving"] for row in rows] == [line.prudent_saving for line in summary.lines]
    assert [row["Deadweight"] for row in rows] == pytest.approx([0.2, 0.05, 0.3])  # its own kept; the code's kept
    for name in SHEETS_FOLLOWING:
        # (a breakdown is ordered largest first as made: an edit may move a row, not change it)
        assert sorted(figures(recalculated[name]), key=str) == sorted(figures(expected[name]), key=str), name
    by_label = {row[0]: row[1:3] for row in recalculated["Summary"].iter_rows(min_row=4, max_col=3, values_only=True)
                if row[0]}
    assert by_label["Total estimated saving for cases completed in 2022/23"] == \
        (summary.total_saving, summary.prudent_total)
    assert by_label["Estimated net saving to BCP (saving - spend)"] == (summary.net_saving, summary.prudent_net_saving)
    assert by_label["Public value: fiscal (transfers excluded) + economic + social, prudent"][1] == summary.public_value
    assert summary.prudent_total != pipeline.run(str(tmp_path / "as-set" / "up2u-cba.toml")).services[0].prudent_total


def summary_figures(sheet) -> dict:
    """The Summary's figures by (service, label), the payback period among them."""
    found, service = {}, None
    for label, gross, prudent in sheet.iter_rows(min_row=render_xlsx.HEADER_ROW, max_col=3, values_only=True):
        if label == "Service":
            service = gross
        elif label:
            found[(service, label)] = tuple(pytest.approx(v) if isinstance(v, float) else v for v in (gross, prudent))
    return found


def set_spend(workbook, service: str, spend: int) -> None:
    """Type a new spend for ``service`` on the Summary, as a commissioner would."""
    summary = workbook["Summary"]
    labels = [(cell.row, cell.value, summary.cell(cell.row, 2).value) for cell in summary["A"]]
    block = next(row for row, label, value in labels if label == "Service" and value == service)
    row = next(row for row, label, _ in labels
               if row > block and str(label).startswith("Total estimated spend on Up2U"))
    summary.cell(row=row, column=2, value=spend)


PAYBACK = "Payback period, months (prudent fiscal savings)"


def test_the_sample_workbook_edited_recalculates_to_the_tool_on_the_edited_inputs(tmp_path):
    from hostile import sample_project

    (tmp_path / "as-set").mkdir()
    settings = sample_project(tmp_path / "as-set")
    path = tmp_path / "as-set.xlsx"
    render_xlsx.write(pipeline.run(str(settings)), str(path))
    (tmp_path / "changed").mkdir()
    changed_settings = sample_project(tmp_path / "changed")
    with changed_settings.open("a") as settings_file:
        settings_file.write("\n[assumptions.deadweight]\ndefault = 0.5\n")
    changed_settings.write_text(changed_settings.read_text()
                                .replace('"2022/23" = 90000', '"2022/23" = 60000')
                                .replace('spend = { "2022/23" = 45000 }', 'spend = { "2022/23" = 5000 }'))
    case = tmp_path / "changed" / "cases" / "BCP" / "BCP-0011.toml"
    case.write_text(case.read_text().replace('code = "BCP-CR1"\nquantity = 1\n', 'code = "BCP-CR1"\nquantity = 2\n'))
    expected_path = tmp_path / "changed.xlsx"
    render_xlsx.write(pipeline.run(str(changed_settings)), str(expected_path))

    workbook = openpyxl.load_workbook(path)
    assumptions = workbook["Assumptions"]
    assumptions.cell(row=row_of(assumptions, "Deadweight: every code not listed below"), column=2, value=0.5)
    lines = workbook["Outcome lines"]
    index = next(i for i, row in enumerate(table_rows(lines)) if row["Case"] == "BCP-0011" and row["Code"] == "BCP-CR1")
    lines.cell(row=render_xlsx.HEADER_ROW + 1 + index, column=render_xlsx.LINE_HEADERS.index("Quantity") + 1, value=2)
    set_spend(workbook, "BCP", 60000)
    set_spend(workbook, "Dorset", 5000)
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    recalculated = recalculate(edited, tmp_path)
    expected = openpyxl.load_workbook(expected_path, data_only=True)

    for name in [*SHEETS_FOLLOWING, "Participants", "Payback"]:
        assert sorted(figures(recalculated[name])[1:], key=str) == sorted(figures(expected[name])[1:], key=str), name
    # Years: the report's year live; an earlier year's lines are not in the workbook, so its row is
    # the tool's figure as made, and the sheet says so
    assert [row for row in figures(recalculated["Years"]) if row[1] == "2022/23"] == \
        [row for row in figures(expected["Years"]) if row[1] == "2022/23"]
    assert "not recalculated by the spreadsheet" in recalculated["Years"]["A2"].value
    got, want = summary_figures(recalculated["Summary"]), summary_figures(expected["Summary"])

    def live(key) -> bool:  # (the How sure line is the tool's, marked as not recalculated: it cannot follow)
        return not str(key[1]).startswith(("=", "How sure:"))

    assert {key: got[key] for key in want if live(key)} == {key: value for key, value in want.items() if live(key)}
    assert all("not recalculated by the spreadsheet" in label for _, label in got if str(label).startswith("How sure:"))
    assert want[("BCP", "Completed cases")] == got[("BCP", "Completed cases")] == (20, None)
    # the payback moved with the assumption, the quantity and the spend (Dorset's from never to a month)
    before = summary_figures(openpyxl.load_workbook(path, data_only=True)["Summary"])
    assert [got[(service, PAYBACK)] for service in ("BCP", "Dorset")] == \
        [want[(service, PAYBACK)] for service in ("BCP", "Dorset")] != \
        [before[(service, PAYBACK)] for service in ("BCP", "Dorset")]
    assert got[("Dorset", PAYBACK)][1] == pipeline.run(str(changed_settings)).services[1].payback_months


def test_the_payback_follows_a_spend_typed_on_the_summary_into_a_benefits_last_part_year(tmp_path):
    # lengths of 3, 2.5 and 1.5 years, one benefit gone after its first year (drop-off 100%):
    # a spend just under the prudent total is repaid late, where a part year and a lost year count
    assumptions = ASSUMPTIONS.format(deadweight="0.1") + '\ncodes = { "TST-G" = 1.0 }\n'
    outcomes = OUTCOMES.format(quantity=1)
    (tmp_path / "made").mkdir()
    result = pipeline.run(str(project(tmp_path / "made", spend=2000, assumptions=assumptions, outcomes=outcomes)))
    path = tmp_path / "made.xlsx"
    render_xlsx.write(result, str(path))
    late = int(result.services[0].prudent_total) - 50
    (tmp_path / "late").mkdir()
    (expected,) = pipeline.run(str(project(tmp_path / "late", spend=late, assumptions=assumptions,
                                           outcomes=outcomes))).services
    # (the case completed in December, month 8: its benefits run from month 8 to month 43)
    assert 24 + 8 < expected.payback_months <= 36 + 8 and expected.payback_months != result.services[0].payback_months

    workbook = openpyxl.load_workbook(path)
    set_spend(workbook, "BCP", late)
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    got = summary_figures(recalculate(edited, tmp_path)["Summary"])
    assert got[("BCP", PAYBACK)] == (None, expected.payback_months)
    assert got[("BCP", "Net present budget impact (prudent fiscal saving - spend)")] == \
        (None, expected.prudent_net_saving)
