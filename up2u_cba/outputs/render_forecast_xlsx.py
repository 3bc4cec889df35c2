"""The commissioning forecast as a workbook (``forecast --xlsx``): a Forecast sheet whose expected
figures are live formulas over the plan's cells (places, spend, completion rate, average saving,
discounting), so a commissioner can try 50 places or another spend and see every expected figure
follow; the interval, break-even and payback are the tool's resampled figures, marked so."""

from __future__ import annotations

from up2u_cba.method import forecast, uncertainty
from up2u_cba.problems import counted
from up2u_cba.outputs import streamed_sheet
from up2u_cba.outputs.render_xlsx import (A4, BOLD, CHANGEABLE, HEADER_MARGIN, MARK_SIZE, MONEY_PER_POUND, NOTE,
                                          PENCE, PERCENT, POUNDS, PROGRAMME, PROPORTION, TITLE, Live, header_text,
                                          place, rounded, write_book)
from up2u_cba.outputs.spreadsheet_text import put, put_at
from up2u_cba.outputs.streamed_sheet import Alignment

SHEET = "Forecast"
PLAN_ROW = 4
"""The first row of the plan's cells (label in A, value in B, whether it can be changed in C)."""
YEARS_HEADINGS = ["Year places start", "Expected completers", "Gross saving", "Prudent saving (discounted)", "Spend",
                  "Prudent spend (discounted)"]


def write(result: forecast.Forecast, path: str, marking: str) -> None:
    """Write the forecast workbook atomically (``render_xlsx.write_book``): a failed write leaves
    no temporary file and any old workbook as it was."""
    write_book(path, lambda book: build(result, book, marking))


def build(result: forecast.Forecast, book: streamed_sheet.Book, marking: str) -> None:
    plan = result.plan
    book.xlsx.set_properties({"title": f"{PROGRAMME}: forecast for {plan.service}",
                              "subject": f"{plan.places} places a year for £{plan.spend:,.0f} a year, "
                                         f"{counted(plan.years, 'year')}, built from {built_from(result)}",
                              "author": "up2u-cba", "keywords": f"Up2U, forecast, {plan.service}"})
    sheet = book.add_sheet(SHEET)
    size = f"&{MARK_SIZE}"
    sheet.xlsx.set_header(f"&L{size}{header_text(PROGRAMME)}: forecast, {header_text(plan.service)}"
                          f"&R{size}&B{header_text(marking)}&B", {"margin": HEADER_MARGIN})
    sheet.xlsx.set_footer(f"&L{size}&B{header_text(marking)}&B&C{size}Page &P of &N", {"margin": HEADER_MARGIN})
    put_at(sheet, "A1", f"Forecast: {plan.service}, {plan.places} places a year for £{plan.spend:,.0f} a year, "
                        f"{counted(plan.years, 'year')}").font = TITLE
    rough = forecast.small_cohort_warning(result) + (forecast.VARIED if result.assumptions_varied else "")
    explanation = put_at(sheet, "A2", rough + f"Built from {plan.service}'s cases of {built_from(result)}. " + forecast.METHOD
                         + " Change a plan cell marked changeable and recalculate: every expected figure by year, and its totals, "
                           "return and net present budget impact, follow. "
                           "The interval, break-even and payback below them are as calculated by up2u-cba; not "
                           "recalculated by the spreadsheet (resampling is not a formula).")
    explanation.font = NOTE
    explanation.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge(2, 1, 6)
    sheet.set_height(2, 135)
    cells = add_plan(sheet, result)
    row = add_years(sheet, result, cells)
    row = add_measures(sheet, result, row)
    row = add_agencies(sheet, result, row + 1)
    add_made(sheet, result, row + 2)
    for column, width in zip("ABCDEF", (58, 20, 18, 26, 14, 26)):
        sheet.set_width(column, width)
    page = sheet.xlsx
    page.set_portrait()
    page.set_paper(A4)
    page.fit_to_pages(1, 0)


def built_from(result: forecast.Forecast) -> str:
    years = result.built_from
    return str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"


def add_plan(sheet, result: forecast.Forecast) -> dict[str, str]:
    """The plan's cells; returns name -> absolute cell reference for the formulas below."""
    plan = result.plan
    entries = [
        ("service", "Service", plan.service, None, False),
        ("places", "Places a year", plan.places, "0", True),
        ("spend", f"Spend a year at {result.price_year} prices" + (
            f" (£{plan.spend:,.0f} at {plan.spend_prices} prices)" if plan.spend_prices not in (None, result.price_year)
            else ""), int(result.spend_real), POUNDS, True),
        ("rate", f"Completion rate ({result.completed} of {result.ended} ended, {built_from(result)})",
         float(result.completion_rate), PROPORTION, True),
        ("average", "Average gross saving per completed case", float(result.average_saving), PENCE, True),
        ("prudent_average", "Average prudent saving per completed case", float(result.prudent_average), PENCE, True),
        ("landing", f"Years to a cohort's completion (6 + {result.months_to_complete} months, in whole years)",
         forecast.completion_year(result.months_to_complete), "0", False),
        ("discount", "Discount rate a year", float(result.discount_rate), PERCENT, True),
        ("uplift", "Optimism bias on costs", float(result.cost_optimism_bias), PERCENT, True),
    ]
    put(sheet, PLAN_ROW - 1, 1, "The plan and what it is built from").font = BOLD
    put(sheet, PLAN_ROW - 1, 3, "Can be changed").font = BOLD
    cells = {}
    for row, (name, label, value, number_format, changeable) in enumerate(entries, start=PLAN_ROW):
        put(sheet, row, 1, label)
        cell = put(sheet, row, 2, value)
        cell.alignment = Alignment(horizontal="right")
        if number_format:
            cell.number_format = number_format
        put(sheet, row, 3, CHANGEABLE.split(":")[0] if changeable else "no")
        cells[name] = f"$B${row}"
    return cells


def add_years(sheet, result: forecast.Forecast, cells: dict[str, str]) -> int:
    """The expected figures year by year, and their totals, as formulas over the plan's cells."""
    start = PLAN_ROW + 11
    for column, heading in enumerate(YEARS_HEADINGS, start=1):
        put(sheet, start, column, heading).font = BOLD
    put(sheet, start - 1, 1, forecast.landing_words(result)).font = NOTE
    expected = f"{cells['places']}*{cells['rate']}"
    row = start
    for year in result.years:
        row += 1
        k = year.index
        figures = [
            (year.index + 1, None),
            (Live("=" + rounded(expected, 1), float(year.completers)), "0.0"),
            (Live("=" + rounded(f"{expected}*{cells['average']}"), int(year.gross_saving)), POUNDS),
            (Live("=" + rounded(f"{expected}*{cells['prudent_average']}/(1+{cells['discount']})^({k}+{cells['landing']})"),
                  int(year.prudent_saving)), POUNDS),
            (Live(f"={cells['spend']}", int(year.spend)), POUNDS),
            (Live("=" + rounded(f"{cells['spend']}*(1+{cells['uplift']})/(1+{cells['discount']})^{k}"),
                  int(year.prudent_spend)), POUNDS),
        ]
        for column, (value, number_format) in enumerate(figures, start=1):
            cell = place(sheet, row, column, value)
            if number_format:
                cell.number_format = number_format
    total = row + 1
    put(sheet, total, 1, "Total").font = BOLD
    sums = [float(result.completers), int(result.gross_saving), int(result.prudent_saving), int(result.spend),
            int(result.prudent_spend)]
    for column, amount in enumerate(sums, start=2):
        letter = "ABCDEF"[column - 1]
        cell = place(sheet, total, column, Live(f"=SUM({letter}{start + 1}:{letter}{row})", amount))
        cell.number_format = "0.0" if column == 2 else POUNDS
        cell.font = BOLD
    return total


def add_measures(sheet, result: forecast.Forecast, total: int) -> int:
    """The measures: live where a formula makes them, the tool's resampled figures marked as such."""
    row = total + 2
    put(sheet, row, 1, "Measure").font = BOLD
    put(sheet, row, 2, "Gross").font = BOLD
    put(sheet, row, 3, "Prudent").font = BOLD
    put(sheet, row, 4, "How it is made").font = BOLD
    level = uncertainty.level_text(result.level)
    tool = "up2u-cba's figure: not recalculated"
    entries = [
        ("Return per £1 spent", Live("=" + rounded(f"C{total}/E{total}", 2), float(result.return_on_investment)),
         Live("=" + rounded(f"D{total}/F{total}", 2), float(result.financial_return)), MONEY_PER_POUND, "formula"),
        ("Net present budget impact (prudent saving - prudent spend)", None,
         Live(f"=D{total}-F{total}", int(result.net_present_budget_impact)), POUNDS, "formula"),
        (f"Return per £1, {level} interval: low", float(result.return_interval.low),
         float(result.prudent_return_interval.low), MONEY_PER_POUND, tool),
        (f"Return per £1, {level} interval: high", float(result.return_interval.high),
         float(result.prudent_return_interval.high), MONEY_PER_POUND, tool),
        (f"Net present budget impact, {level} interval: low", None, int(result.net_interval.low), POUNDS, tool),
        (f"Net present budget impact, {level} interval: high", None, int(result.net_interval.high), POUNDS, tool),
        ("Share of resampled plans that pay for themselves", float(result.pays_for_itself),
         float(result.prudent_pays_for_itself), PROPORTION, f"{tool} ({result.resamples:,} plans, seed {result.seed})"),
        ("Break-even: completers a year that cover a year's spend", result.break_even_completers,
         result.prudent_break_even_completers, "0", f"{tool} (a year's spend / the average saving, rounded up)"),
        ("Payback, years", None, "not within the plan" if result.payback_year is None else result.payback_year, "0",
         tool),
    ]
    for label, gross, prudent, number_format, how in entries:
        row += 1
        put(sheet, row, 1, label)
        for column, value in ((2, gross), (3, prudent)):
            cell = place(sheet, row, column, value)
            if isinstance(value, (int, float, Live)):
                cell.number_format = number_format
        put(sheet, row, 4, how).font = NOTE
    return row


def add_made(sheet, result: forecast.Forecast, row: int) -> None:
    """How the forecast was made, and the Green Book assumptions behind its prudent figures."""
    put(sheet, row, 1, "How it was made").font = BOLD
    for label, value in [*((key.replace("_", " ").capitalize(), text) for key, text in result.made.items()),
                         *((f"Assumption: {name}", f"{value} ({source})") for name, value, source in result.assumptions)]:
        row += 1
        put(sheet, row, 1, label)
        put(sheet, row, 2, value)


def add_agencies(sheet, result: forecast.Forecast, row: int) -> int:
    """Expected savings over the plan by agency (the tool's split of the totals)."""
    row += 1
    put(sheet, row, 1, "Expected savings by agency over the plan").font = BOLD
    put(sheet, row, 4, "up2u-cba's split of the totals as made: not recalculated").font = NOTE
    put(sheet, row, 2, "Gross").font = BOLD
    put(sheet, row, 3, "Prudent").font = BOLD
    for agency, amount in result.by_agency.items():
        row += 1
        put(sheet, row, 1, agency)
        for column, value in ((2, int(amount)), (3, int(result.prudent_by_agency.get(agency, 0)))):
            put(sheet, row, column, value).number_format = POUNDS
    return row

