"""The report as text tables for the terminal (the only module that imports tabulate)."""

from __future__ import annotations

from decimal import Decimal

import tabulate

from up2u_cba import calculate, models, report, unit_costs

FORMAT = "github"


def pounds(amount: Decimal) -> str:
    """Whole pounds with thousands separators: £143,650, -£2,000."""
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.0f}"


def number(value: Decimal) -> str:
    """A quantity or years without trailing zeros: 2, 0.5."""
    text = format(value.normalize(), "f")
    return text


def roi_text(value: Decimal) -> str:
    return f"£{value:.2f} for every £1 spent"


def table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    align = ["left"] * numeric_from + ["right"] * (len(headers) - numeric_from)
    return tabulate.tabulate(rows, headers=headers, tablefmt=FORMAT, colalign=align, disable_numparse=True)


def render(result: report.Report) -> str:
    """The whole report: each service's participant table, case tables and totals, then the
    unit costs used with their provenance."""
    parts = [
        f"Up2U cost-benefit analysis, financial year {result.year}",
        f"Savings at {result.price_year} prices, uprated with {result.deflator_series} ({result.deflator_file}).",
        "Method: gross fiscal savings (unit cost x quantity x years), each line rounded to whole pounds half up;"
        " no deadweight, attribution or optimism bias applied.",
    ]
    for summary in result.services:
        parts.append(render_service(summary))
    if len({row.year for row in result.years}) > 1:
        parts.append(render_years(result))
    parts.append(render_unit_costs(result))
    return "\n\n".join(parts) + "\n"


def render_service(summary: calculate.ServiceSummary) -> str:
    year = summary.year
    parts = [
        f"== {summary.service}, {year} ==",
        f"Participants, {summary.service} area, {year.first_day:%-d %B %Y} - {year.last_day:%-d %B %Y}",
        render_participants(summary.participants, summary.service),
    ]
    for case in summary.cases:
        parts.append(f"Case {case.reference} ({case.locality}, completed {case.completed_on:%Y-%m-%d})")
        parts.append(render_case(case))
    parts.append(f"{summary.service} totals, cases completed in {year}")
    parts.append(render_totals(summary))
    parts.append(breakdown("Savings by agency", "Agency", summary.by_agency))
    parts.append(breakdown("Savings by locality", "Locality", summary.by_locality))
    parts.append(breakdown("Savings by outcome theme", "Theme", summary.by_theme))
    return "\n\n".join(parts)


def render_participants(table_: calculate.ParticipantTable, service: str) -> str:
    headers = ["Category of participant", *table_.localities, f"{service} total"]
    rows = [
        [row, *(str(table_.counts[row][locality]) for locality in table_.localities), str(table_.total(row))]
        for row in calculate.PARTICIPANT_ROWS
    ]
    return table(headers, rows)


def render_case(case: calculate.CaseValuation) -> str:
    rows = [[line.description, pounds(line.saving)] for line in case.lines]
    rows.append(["Total saving", pounds(case.total)])
    return table(["Action", "Saving"], rows)


def render_totals(summary: calculate.ServiceSummary) -> str:
    rows = [
        [f"Total estimated saving for cases completed in {summary.year}", pounds(summary.total_saving)],
        ["Total estimated spend on Up2U over a 12-month period", pounds(summary.spend)],
        [f"Estimated net saving to {summary.service} (saving - spend)", pounds(summary.net_saving)],
        ["Return on investment", roi_text(summary.return_on_investment)],
        ["Completed cases", str(summary.completers)],
        ["Average saving per completed case", pounds(summary.average_saving)],
    ]
    return table(["Measure", "Value"], rows)


def breakdown(title: str, heading: str, totals: dict[str, Decimal]) -> str:
    rows = [[name, pounds(amount)] for name, amount in totals.items()]
    rows.append(["Total", pounds(sum(totals.values(), models.ZERO))])
    return f"{title}\n\n" + table([heading, "Saving"], rows)


def render_years(result: report.Report) -> str:
    rows = [
        [row.service, str(row.year), str(row.completers), pounds(row.total_saving),
         "" if row.spend is None else pounds(row.spend),
         "" if row.net_saving is None else pounds(row.net_saving),
         "" if row.return_on_investment is None else f"£{row.return_on_investment:.2f}"]
        for row in result.years
    ]
    headers = ["Service", "Year", "Completed", "Total saving", "Spend", "Net saving", "Return per £1"]
    return f"Years compared (all at {result.price_year} prices)\n\n" + table(headers, rows, numeric_from=2)


def render_unit_costs(result: report.Report) -> str:
    rows = [
        [
            used.cost.code,
            used.cost.description,
            pounds_exact(used.cost.fiscal.amount),
            str(used.cost.fiscal.price_year),
            f"{used.uprating_factor:.4f}",
            pounds_exact(used.value_uprated),
            used.cost.rag,
            used.cost.source,
        ]
        for used in result.unit_costs_used
    ]
    headers = ["Code", "Description", "Fiscal value", "Price year", "Uprating",
               f"At {result.price_year}", "RAG", "Source"]
    return "Unit costs used\n\n" + tabulate.tabulate(
        rows, headers=headers, tablefmt=FORMAT, disable_numparse=True,
        colalign=["left", "left", "right", "right", "right", "right", "left", "left"],
        maxcolwidths=[None, 40, None, None, None, None, None, 40],
    )


def pounds_exact(amount: Decimal) -> str:
    """Pounds and pence, for unit values: £2,095.17."""
    return f"£{amount:,.2f}"


def render_case_only(case: calculate.CaseValuation, price_year: models.FinancialYear) -> str:
    """One case's table with each line's provenance, for ``case show``."""
    rows = [
        [line.description, line.code, number(line.quantity), number(line.years),
         pounds_exact(line.unit_value), str(line.price_year), f"{line.uprating_factor:.4f}",
         pounds(line.saving), line.agency]
        for line in case.lines
    ]
    rows.append(["Total saving", "", "", "", "", "", "", pounds(case.total), ""])
    headers = ["Action", "Code", "Quantity", "Years", "Unit value", "Price year", "Uprating",
               f"Saving ({price_year} prices)", "Agency"]
    return tabulate.tabulate(rows, headers=headers, tablefmt=FORMAT, disable_numparse=True,
                             colalign=["left", "left", "right", "right", "right", "right", "right", "right", "left"])


def render_cost_list(costs: list[models.UnitCost], series, year: models.FinancialYear) -> str:
    """Search results: one row per cost with its fiscal value at ``year`` prices."""
    rows = []
    for cost in costs:
        value = ""
        if cost.fiscal is not None and cost.fiscal.price_year in series.index:
            value = pounds_exact(cost.fiscal.amount * series.factor(cost.fiscal.price_year, year))
        rows.append([cost.code, cost.description, cost.unit, cost.agency, value, cost.rag])
    headers = ["Code", "Description", "Unit", "Agency", f"Fiscal value at {year}", "RAG"]
    return tabulate.tabulate(rows, headers=headers, tablefmt=FORMAT, disable_numparse=True,
                             colalign=["left", "left", "left", "left", "right", "left"],
                             maxcolwidths=[None, 60, 20, 30, None, None]) + \
        f"\n\nValues uprated with {series.name} ({series.file})."


def render_cost(cost: models.UnitCost, costs: dict[str, models.UnitCost], series,
                year: models.FinancialYear) -> str:
    """Everything about one cost, each value at its own and at ``year`` prices."""
    lines = [
        f"{cost.code}: {cost.description}",
        "",
        f"Theme:          {cost.theme}",
        f"Category:       {cost.category}",
        f"Outcome detail: {cost.outcome_detail}",
        f"Unit:           {cost.unit}",
        f"Agency:         {cost.agency}",
        f"RAG rating:     {cost.rag}",
        f"Source:         {cost.source}",
        f"Comment:        {cost.comment}",
        f"Defined in:     {cost.origin}",
        "",
    ]
    rows = []
    for kind in ("fiscal", "economic", "social"):
        value: models.CostValue | None = getattr(cost, kind)
        if value is None:
            continue
        if value.price_year in series.index:
            factor = series.factor(value.price_year, year)
            rows.append([kind, pounds_exact(value.amount), str(value.price_year), f"{factor:.4f}",
                         pounds_exact(value.amount * factor)])
        else:
            rows.append([kind, pounds_exact(value.amount), str(value.price_year), "not in series", ""])
    lines.append(tabulate.tabulate(rows, headers=["Value", "Amount", "Price year", "Uprating", f"At {year} prices"],
                                   tablefmt=FORMAT, disable_numparse=True,
                                   colalign=["left", "right", "right", "right", "right"]))
    lines.append(f"Uprated with {series.name} ({series.file}).")
    if cost.parent:
        parent = costs.get(cost.parent)
        lines.append(f"\nPart of {cost.parent}: {parent.description if parent else '(not loaded)'}")
        lines.append("Do not count it together with its parent for the same case.")
    parts = unit_costs.constituents(cost.code, costs)
    if parts:
        lines.append("\nConstituents (their agencies share a saving valued with this cost):")
        for part in parts:
            value = pounds_exact(part.fiscal.amount) + f" ({part.fiscal.price_year})" if part.fiscal else ""
            lines.append(f"  {part.code}  {part.description}  {part.agency}  {value}")
    return "\n".join(lines)
