"""The report as text tables for the terminal (the only module that imports tabulate)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import tabulate

from up2u_cba import models
from up2u_cba.problems import counted
from up2u_cba.inputs import unit_costs
from up2u_cba.method import assumptions, calculate, forecast, report, uncertainty

FORMAT = "github"


def pounds(amount: Decimal) -> str:
    """Whole pounds with thousands separators: £143,650, -£2,000."""
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.0f}"


def number(value: Decimal) -> str:
    """A quantity or years without trailing zeros: 2, 0.5."""
    text = format(value.normalize(), "f")
    return text


def per_pound(value: Decimal) -> str:
    """A return per £1 with thousands separators: £6.98, £1,234.56."""
    return f"£{value:,.2f}"


def roi_text(value: Decimal | None) -> str:
    """£4.50 for every £1 spent; not available while no spend is set (``value`` None)."""
    return report.NOT_AVAILABLE if value is None else f"{per_pound(value)} for every £1 spent"


def against_spend(amount: Decimal | None) -> str:
    """A figure set against spend (net saving, budget impact): not available while no spend is set."""
    return report.NOT_AVAILABLE if amount is None else pounds(amount)


def spend_text(spend: Decimal | None) -> str:
    return report.SPEND_NOT_SET if spend is None else pounds(spend)


def table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    align = ["left"] * numeric_from + ["right"] * (len(headers) - numeric_from)
    return tabulate.tabulate(rows, headers=headers, tablefmt=FORMAT, colalign=align, disable_numparse=True)


def render(result: report.Report) -> str:
    """The whole report: each service's participant table, case tables and totals, then the
    unit costs used with their provenance."""
    parts = [
        f"Up2U cost-benefit analysis, financial year {result.year}",
        f"Savings at {result.price_year} prices, uprated with {result.deflator_series} ({result.deflator_file}).",
        "Gross: the published method, fiscal savings (unit cost x quantity x years), each line rounded to whole"
        " pounds half up. Prudent: the same lines after the Green Book assumptions listed at the end.",
    ]
    for summary in result.services:
        parts.append(render_service(summary, result.uncertainty_of(summary.service)))
    if result.all_services is not None:
        together = result.all_services
        parts.append(f"== All services ({together.service}), {result.year} ==")
        parts.append(render_totals(together))
        if not any(summary.prudent_adjusted for summary in together.services):
            parts.append(report.NOTHING_DEDUCTED.format(service=together.service, year=result.year))
    if len({row.year for row in result.years}) > 1:
        parts.append(render_years(result))
    parts.append(render_assumptions(result.green_book))
    parts.append(render_unit_costs(result))
    parts.append(f"Made with the settings file {result.settings_file}.")
    if result.changed_since is not None:
        parts.append(render_changed_since(result.changed_since))
    return "\n\n".join(parts) + "\n"


def render_service(summary: calculate.ServiceSummary, entry: uncertainty.Uncertainty | None = None) -> str:
    year = summary.year
    parts = [
        f"== {summary.service}, {year} ==",
        f"Participants, {summary.service} area, {year.first_day:%-d %B %Y} - {year.last_day:%-d %B %Y}",
        render_participants(summary.participants, summary.service),
    ]
    if summary.spend is None:
        parts.insert(1, report.spend_not_set_note(summary.service, year))
    for case in summary.cases:
        parts.append(f"Case {case.reference} ({case.locality}, completed {case.completed_on:%Y-%m-%d})")
        parts.append(render_case(case))
    parts.append(f"{summary.service} totals, cases completed in {year}")
    parts.append(render_totals(summary, entry))
    if not summary.prudent_adjusted and summary.lines:
        parts.append(report.NOTHING_DEDUCTED.format(service=summary.service, year=year))
    if entry is not None and summary.cases:
        parts.append(f"How sure, and where the saving comes from: {summary.service}, {year}")
        parts.append(render_how_sure(entry))
        parts.append(resampling_note(entry))
    parts.append(breakdown("Savings by agency", "Agency", summary.by_agency, summary.prudent_by_agency))
    parts.append(breakdown("Savings by locality", "Locality", summary.by_locality, summary.prudent_by_locality))
    parts.append(breakdown("Savings by outcome theme", "Theme", summary.by_theme, summary.prudent_by_theme))
    parts.append(f"{summary.service} Green Book measures (prudent figures)")
    parts.append(render_measures(summary))
    parts.append(breakdown("Cashable fiscal savings by agency", "Agency", summary.cashable_by_agency))
    return "\n\n".join(parts)


def per_completer(summary: calculate.ServiceSummary | report.AllServices) -> str:
    if summary.spend is None:
        return report.NOT_AVAILABLE
    return "no completed case" if summary.cost_per_completer is None else pounds_exact(summary.cost_per_completer)


def rate(summary: calculate.ServiceSummary | report.AllServices) -> str:
    """``20 of 48 (41.7%)``; ``none ended`` when no case completed or closed in the year."""
    if summary.completion_rate is None:
        return "none ended"
    return f"{summary.completers} of {summary.ended} ({summary.completion_rate * 100:.1f}%)"


def render_participants(table_: calculate.ParticipantTable, service: str) -> str:
    headers = ["Category of participant", *table_.localities, f"{service} total"]
    rows = [
        [row, *(str(table_.counts[row][locality]) for locality in table_.localities), str(table_.total(row))]
        for row in table_.rows
    ]
    return table(headers, rows)


def render_case(case: calculate.CaseValuation) -> str:
    rows = [[line.description, pounds(line.saving), pounds(line.prudent_saving)] for line in case.lines]
    rows.append(["Total saving", pounds(case.total), pounds(case.prudent_total)])
    return table(["Action", "Saving", "Prudent"], rows)


def render_totals(summary: calculate.ServiceSummary | report.AllServices,
                  entry: uncertainty.Uncertainty | None = None) -> str:
    rows = [
        [f"Total estimated saving for cases completed in {summary.year}", pounds(summary.total_saving),
         pounds(summary.prudent_total)],
        ["Total estimated spend on Up2U over a 12-month period", spend_text(summary.spend),
         spend_text(summary.prudent_spend)],
        [f"Estimated net saving to {summary.service} (saving - spend)", against_spend(summary.net_saving),
         against_spend(summary.prudent_net_saving)],
        ["Return on investment", roi_text(summary.return_on_investment), roi_text(summary.financial_return)],
        *([] if entry is None or not summary.completers else [
            [f"Return, {uncertainty.level_text(entry.level)} interval (resampled cases)",
             span(per_pound, entry.return_per_pound), span(per_pound, entry.financial_return)],
            ["Paid for itself (net saving above 0)", in_resamples(entry.pays_for_itself),
             in_resamples(entry.prudent_pays_for_itself)]]),
        ["Completed cases", str(summary.completers), str(summary.completers)],
        ["Average saving per completed case", pounds(summary.average_saving), pounds(summary.prudent_average)],
        ["Cost per completed case (spend / completed cases)", per_completer(summary), per_completer(summary)],
        ["Completion rate (completed / completed or closed in the year)", rate(summary), rate(summary)],
    ]
    return table(["Measure", "Gross", "Prudent"], rows)


def render_how_sure(entry: uncertainty.Uncertainty) -> str:
    """A service's intervals, where its saving comes from, and its break-even points."""
    level = uncertainty.level_text(entry.level)
    rows = [
        [f"Total saving, {level} interval", span(pounds, entry.total), span(pounds, entry.prudent_total)],
        [f"Net saving, {level} interval", span(pounds, entry.net), span(pounds, entry.prudent_net)],
        [f"Largest case's share of the total saving ({entry.largest_case or 'none saved anything'})",
         uncertainty.percent(entry.largest_case_share), ""],
        [f"Top 10% of cases' share of the total saving ({counted(entry.top_tenth_cases, 'case')})",
         uncertainty.percent(entry.top_tenth_share), ""],
        ["Return without the largest case", roi_text(entry.return_without_largest), ""],
        ["Break-even: completed cases at the average saving that cover the spend",
         break_even(entry.break_even_completers, entry.net), break_even(entry.prudent_break_even_completers,
                                                                          entry.prudent_net)],
        ["Break-even: the largest spend the year's outcomes pay for", against_spend(entry.break_even_spend),
         against_spend(entry.prudent_break_even_spend)],
    ]
    return table(["Measure", "Gross", "Prudent"], rows)


def resampling_note(entry: uncertainty.Uncertainty) -> str:
    """How the intervals were made, and a warning where the cases are too few for them to mean much."""
    return (uncertainty.how_made(entry) + " Whole cases are drawn with replacement, as many as completed, each "
            "resample's savings set against the same spend; the figures above the intervals are the year's own, "
            "not resampled. A resample shows how much a figure rests on which cases happened to complete; it "
            "cannot show what would have happened without the programme.")


def span(render, found: uncertainty.Interval | None) -> str:
    return report.NOT_AVAILABLE if found is None else f"{render(found.low)} to {render(found.high)}"


def in_resamples(share: Decimal | None) -> str:
    return report.NOT_AVAILABLE if share is None else f"in {uncertainty.percent(share)} of resamples"


def break_even(completers: int | None, net: uncertainty.Interval | None) -> str:
    if net is None:
        return report.NOT_AVAILABLE
    return "never: no saving" if completers is None else counted(completers, "completed case")


def render_measures(summary: calculate.ServiceSummary) -> str:
    values = summary.prudent_by_value_type
    payback = summary.payback_months
    rows = [
        ["Financial return on investment (fiscal benefits / spend)", roi_text(summary.financial_return)],
        ["Fiscal benefits, transfers excluded", pounds(values["fiscal (excluding transfers)"])],
        ["Fiscal transfers (kept out of public value)", pounds(values["fiscal transfers"])],
        ["Economic benefits", pounds(values["economic"])],
        ["Social benefits", pounds(values["social"])],
        ["Public value (fiscal without transfers + economic + social)", pounds(summary.public_value)],
        ["Public value benefit-cost ratio",
         report.NOT_AVAILABLE if summary.spend is None else f"{summary.public_value_ratio:,.2f}"],
        ["Prudent spend (the spend raised by the cost optimism bias)", spend_text(summary.prudent_spend)],
        ["Net present budget impact (prudent fiscal benefits - prudent spend)",
         against_spend(summary.prudent_net_saving)],
        ["Payback period", report.NOT_AVAILABLE if summary.spend is None
         else "not within the benefits' duration" if payback is None else counted(payback, "month")],
    ]
    return table(["Measure", "Value"], rows)


def breakdown(title: str, heading: str, totals: dict[str, Decimal], prudent: dict[str, Decimal] | None = None) -> str:
    if prudent is None:
        rows = [[name, pounds(amount)] for name, amount in totals.items()]
        rows.append(["Total", pounds(sum(totals.values(), models.ZERO))])
        return f"{title}\n\n" + table([heading, "Saving"], rows)
    rows = [[name, pounds(amount), pounds(prudent.get(name, models.ZERO))] for name, amount in totals.items()]
    rows.append(["Total", pounds(sum(totals.values(), models.ZERO)), pounds(sum(prudent.values(), models.ZERO))])
    return f"{title}\n\n" + table([heading, "Saving", "Prudent"], rows)


def render_assumptions(green_book: assumptions.Assumptions) -> str:
    rows = [[name, value, note] for name, value, note in green_book.notes()]
    return "Green Book assumptions behind the prudent figures\n\n" + tabulate.tabulate(
        rows, headers=["Assumption", "Value", "Source"], tablefmt=FORMAT, disable_numparse=True,
        maxcolwidths=[None, 50, 60]) + "\n\n" + report.SPEND_BASIS + "\n\n" + report.PAYBACK_DEFINITION


def render_years(result: report.Report) -> str:
    rows = [
        [row.service, str(row.year), str(row.completers), pounds(row.total_saving), pounds(row.prudent_saving),
         spend_text(row.spend),
         "" if row.net_saving is None else pounds(row.net_saving),
         "" if row.return_on_investment is None else per_pound(row.return_on_investment)]
        for row in result.years
    ]
    headers = ["Service", "Year", "Completed", "Total saving", "Prudent", "Spend", "Net saving", "Return per £1"]
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
    return "Unit costs used\n\n" + report.unit_cost_tables_text(result.cost_tables, result.crosswalk) + "\n\n" + \
        tabulate.tabulate(
        rows, headers=headers, tablefmt=FORMAT, disable_numparse=True,
        colalign=["left", "left", "right", "right", "right", "right", "left", "left"],
        maxcolwidths=[None, 40, None, None, None, None, None, 40],
    )


def pounds_exact(amount: Decimal) -> str:
    """Pounds and pence, for unit values: £2,095.17; a half penny up (£640.825 is £640.83)."""
    return f"£{models.to_pence(amount):,}"


def render_case_only(case: calculate.CaseValuation, price_year: models.FinancialYear) -> str:
    """One case's table with each line's provenance, for ``case show``; lines numbered from 1,
    as ``case amend`` names them (``outcomes[2]``)."""
    rows = [
        [str(line_number), line.description, line.code, number(line.quantity), number(line.years),
         pounds_exact(line.unit_value), str(line.price_year), f"{line.uprating_factor:.4f}",
         pounds(line.saving), pounds(line.prudent_saving), line.agency]
        for line_number, line in enumerate(case.lines, start=1)
    ]
    rows.append(["", "Total saving", "", "", "", "", "", "", pounds(case.total), pounds(case.prudent_total), ""])
    headers = ["Line", "Action", "Code", "Quantity", "Years", "Unit value", "Price year", "Uprating",
               f"Saving ({price_year} prices)", "Prudent", "Agency"]
    return tabulate.tabulate(rows, headers=headers, tablefmt=FORMAT, disable_numparse=True,
                             colalign=["right", "left", "left", "right", "right", "right", "right", "right", "right",
                                       "right", "left"]) + line_notes(case)


def line_notes(case: calculate.CaseValuation) -> str:
    """Under a case's table, the lines whose agency or public value needs a word: a cost not
    split by its parts (and why), and the transfer share kept out of public value."""
    notes = []
    for line_number, line in enumerate(case.lines, start=1):
        said = [line.agency_note] if line.agency_note.startswith("not split") else []
        if line.transfer_share:
            said.append(f"{assumptions.percent(line.transfer_share.quantize(Decimal('0.0001')))} of its fiscal "
                        f"saving is a transfer payment ({pounds(line.prudent_transfer)} prudent), kept out of "
                        "public value")
        if said:
            notes.append(f"Line {line_number} ({line.code}): " + "; ".join(said))
    return "".join("\n" + note for note in notes)


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
        if cost.fiscal is not None:
            lines.append("How a saving is shared: " + calculate.split_parts(cost, unit_costs.Tree(costs), series)[1])
    if cost.transfer:
        lines.append("\nIts fiscal value is a transfer payment (the table's transfer column): kept out of public value.")
    exclusions = unit_costs.exclusions_of(cost.code, costs)
    if exclusions:
        lines.append("\nNot to be counted on one case with (each with its constituents; declared in not_with):")
        for other, reason, declaring in exclusions:
            lines.append(f"  {other}  {reason}  ({declaring.origin}, {declaring.code})")
    return "\n".join(lines)


def render_sensitivity(analyses: list, price_year: models.FinancialYear) -> str:
    """The tornado table per service: each assumption's low / high effect on the prudent net
    saving and return, largest effect first, with its switching value."""
    parts = []
    for analysis in analyses:
        central = analysis.central
        parts.append(f"== {analysis.service}, {analysis.year}: sensitivity of the prudent figures "
                     f"({price_year} prices) ==")
        parts.append(f"Central: prudent saving {pounds(central.prudent_total)}, prudent spend {pounds(analysis.spend)}, "
                     f"net saving {pounds(central.net_saving)}, {roi_text(central.return_on_investment)}.")
        rows = []
        for row in analysis.rows:
            switching = row.no_switch if row.switching_value is None else \
                f"{row.switching_percent}% ({row.pays_where})"
            rows.append([row.label, f"{assumptions.percent(row.low)} / {assumptions.percent(row.high)}",
                         pounds(row.at_low.net_saving), pounds(row.at_high.net_saving),
                         f"{per_pound(row.at_low.return_on_investment)} / {per_pound(row.at_high.return_on_investment)}",
                         pounds(row.swing), switching])
        parts.append(tabulate.tabulate(
            rows, headers=["Assumption", "Low / high", "Net at low", "Net at high", "Return per £1",
                           "Swing", "Switching value"],
            tablefmt=FORMAT, disable_numparse=True,
            colalign=["left", "right", "right", "right", "right", "right", "left"]))
    parts.append("Each assumption is set to one programme-wide value for every code, the others held as in "
                 "the settings; lines with their own deadweight or attribution keep them. The switching value "
                 "is where the prudent net saving, from the lines' exact (unrounded) values, is zero; it is "
                 "shown as a percentage to 2 decimal places toward the side where the programme still pays for "
                 "itself (the JSON report gives it to 10 places): at it the exact net saving is zero or more, a "
                 "step beyond it below zero. Set in the settings, it gives a report whose net saving (lines "
                 "rounded to whole pounds) differs from zero only by that rounding.")
    return "\n\n".join(parts) + "\n"


def render_spend(services: list[models.ServiceSettings], file: str) -> str:
    """Each service's programme spend per financial year (``spend list``), earliest year first."""
    rows = []
    for service in services:
        years = sorted(service.spend, key=lambda year: year.start)
        rows += [[service.name, str(year), pounds(service.spend[year])] for year in years]
        if not years:
            rows.append([service.name, "", "none set"])
    return f"Programme spend in {file}\n\n" + table(["Service", "Year", "Spend"], rows, numeric_from=2)


def render_changed_since(changed: report.ChangedSince) -> str:
    """The cases changed since a date or an earlier report, each change with what changed."""
    title = f"Cases changed since {changed.since:%Y-%m-%d %H:%M:%S} UTC (--changed-since {changed.given})"
    files = changed.files
    if not changed.cases and not (files and files.anything):
        return f"{title}\nNone: no case of these services changed since then."
    lines = [title]
    if not changed.cases:
        lines.append("No case's history records a change since then.")
    for case in changed.cases:
        state = ", withdrawn: left out of every figure" if case.withdrawn else ""
        lines.append(f"{case.reference} ({case.service}{state})")
        for change in case.changes:
            lines.extend(change_lines(change, indent="  "))
    if files is not None:
        lines.extend(files_lines(files))
    return "\n".join(lines)


FILES_HEADINGS = {
    "outside_tool": "Changed outside the tool: the file differs from the one the earlier report read, and its "
                    "history records no change since",
    "added": "Case files added since the earlier report (it did not read them)",
    "gone": "Case files gone since the earlier report (it read them; they are not found now)",
    "inputs": "Settings, unit cost and deflator files not as the earlier report read them (the figures may "
              "move without any case changing)",
}
"""The headings of what comparing the input files with an earlier report's checksums found."""


def files_lines(files: report.FilesCompared) -> list[str]:
    """What comparing the input files with an earlier report's checksums found, by heading."""
    lines = []
    if files.case_files_together is not None:
        lines.append("Case files: the earlier report (a published workbook) gives one checksum of them all: "
                     + ("they differ from the ones it read" if files.case_files_together
                        else "they are the ones it read"))
    for name, heading in FILES_HEADINGS.items():
        found = getattr(files, name)
        if found:
            lines.append(f"{heading}:")
            lines.extend(f"  {file_line(item)}" for item in found)
    return lines


def file_line(item: report.FileChanged) -> str:
    """One input file compared with an earlier report's: the case (or what the file is), and the file."""
    if item.reference:
        return f"{item.reference} ({item.service}): {item.path}"
    state = {report.DIFFERS: "differs", report.ADDED: "not read by the earlier report",
             report.GONE: "read by the earlier report, not now"}[item.state]
    return f"{item.path} ({item.kind}): {state}" if item.kind != "case" else item.path


def change_lines(change: models.CaseChange, indent: str = "") -> list[str]:
    """One entry of a case's history: when (UTC), what kind, the reason, the tool (and the user,
    if recorded), then each thing that changed, indented."""
    made = change.made.astimezone(datetime.timezone.utc) if change.made.tzinfo else change.made
    user = f", by {change.user}" if change.user else ""
    lines = [f"{indent}{made:%Y-%m-%d %H:%M:%S} UTC  {change.kind.value}  ({change.tool}{user})"]
    if change.reason:
        lines.append(f"{indent}    reason: {change.reason}")
    lines.extend(f"{indent}    {item}" for item in change.what)
    return lines


def render_history(record: models.CaseRecord) -> str:
    """A case's history of changes, oldest first (``case show --history``)."""
    if not record.changes:
        return ("History of changes: no changes recorded: the file predates the history, or was written by hand.")
    lines = [f"History of changes ({len(record.changes)}, oldest first; times in UTC):"]
    for change in record.changes:
        lines.extend(change_lines(change, indent="  "))
    return "\n".join(lines)



def render_forecast(result: forecast.Forecast) -> str:
    """A commissioning forecast: the plan, what it is built from, the expected figures by year and
    agency, and their interval."""
    plan = result.plan
    built = f"{result.built_from[0]}" if len(result.built_from) == 1 else \
        f"{result.built_from[0]} to {result.built_from[-1]}"
    level = uncertainty.level_text(result.level)
    parts = [
        f"== Forecast: {plan.service}, {counted(plan.places, 'place')} a year for {pounds(plan.spend)} a year, "
        f"{counted(plan.years, 'year')} ==",
        f"Spend: {pounds(plan.spend)} a year at {plan.spend_prices} prices is {pounds(result.spend_real)} at "
        f"{result.price_year} prices, the savings' price year (deflated with {result.made.get('deflators', 'the report')}"
        "); every spend figure below is at those prices." if plan.spend_prices not in (None, result.price_year) else
        f"Spend and savings at {result.price_year} prices.",
        f"Built from {plan.service}'s cases of {built}: {result.completed} of the {result.ended} cases that ended "
        f"completed ({result.completion_rate * 100:.1f}%), a median {result.months_to_complete} months from referral "
        f"to completion, an average saving of {pounds_exact(result.average_saving)} (prudent "
        f"{pounds_exact(result.prudent_average)}) per completed case at {result.price_year} prices.",
        forecast.landing_words(result),
        table(["Year places start", "Expected completers", "Gross saving", "Prudent saving (discounted)", "Spend",
               "Prudent spend (discounted)"],
              [[f"{year.index + 1}", f"{year.completers}", pounds(year.gross_saving), pounds(year.prudent_saving),
                pounds(year.spend), pounds(year.prudent_spend)] for year in result.years]
              + [["Total", f"{result.completers}", pounds(result.gross_saving), pounds(result.prudent_saving),
                  pounds(result.spend), pounds(result.prudent_spend)]]),
        table(["Measure", "Gross", "Prudent"], [
            ["Return on investment", roi_text(result.return_on_investment), roi_text(result.financial_return)],
            [f"Return, {level} interval (resampled plans)", span(per_pound, result.return_interval),
             span(per_pound, result.prudent_return_interval)],
            ["Pays for itself", in_resamples(result.pays_for_itself), in_resamples(result.prudent_pays_for_itself)],
            ["Net present budget impact (prudent saving - prudent spend)", "",
             pounds(result.net_present_budget_impact)],
            [f"Net present budget impact, {level} interval", "", span(pounds, result.net_interval)],
            ["Break-even: completers a year at the average saving that cover a year's spend",
             break_even(result.break_even_completers, result.net_interval),
             break_even(result.prudent_break_even_completers, result.net_interval)],
            ["Payback (cohorts' prudent savings counted in the year they complete)", "",
             "not within the plan" if result.payback_year is None else counted(result.payback_year, "year")],
        ]),
        breakdown("Expected savings by agency over the plan", "Agency", result.by_agency, result.prudent_by_agency),
        f"How it is worked out: each year's places complete at the completion rate; each expected completer saves "
        f"what the average completed case of {built} saved (its lines valued at {result.price_year} prices with the "
        f"Green Book assumptions in the settings); a year's cohort completes on average "
        f"{6 + result.months_to_complete:.1f} months after the year starts, and its prudent saving and the prudent "
        f"spend are discounted to the first year at {result.discount_rate * 100:.1f}% a year. The interval comes "
        f"from {result.resamples:,} resampled plans (seed {result.seed}): each place completing or not at a "
        "resampled rate, each completer repeating a past completed case drawn with replacement, after the past "
        "cases themselves (which completed, what they saved) are resampled. A forecast from past completers "
        "assumes the coming cases will resemble them; it is not a counterfactual, and cannot say what would "
        "happen without the programme."
        + (" " + forecast.VARIED.strip() if result.assumptions_varied else "")
        + (" " + forecast.small_cohort_warning(result).strip() if result.small_cohort else ""),
        "Made by {tool} on {made} with {settings_file}: {command}.".format(**result.made) if result.made else "",
    ]
    return "\n\n".join(part for part in parts if part) + "\n"
