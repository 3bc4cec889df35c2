"""The command line: parses options, calls the library, turns problems into messages and exit
codes. Nothing below this module imports click."""

from __future__ import annotations

import sys

import click

import up2u_cba
from up2u_cba.cli import case_amend, case_entry, case_withdrawal, cost_diff, lazy, spend
from up2u_cba.cli.common import (SETTINGS_OPTION, UNIT_COSTS_OPTION, SafeGroup, fail, find_case, given_path,
                                  input_options, load_or_fail, options, output_path_problem, settings_used, show_warnings,
                                  workbook_path_problem)

# The library is imported on first use, inside a command, so that --help is instant (see cli/lazy.py).
models = lazy.module("up2u_cba.models")
pipeline = lazy.module("up2u_cba.pipeline")
storage = lazy.module("up2u_cba.storage")
answer_checks = lazy.module("up2u_cba.entry.answer_checks")
cost_search = lazy.module("up2u_cba.entry.cost_search")
gmca = lazy.module("up2u_cba.inputs.gmca")
carried_rules = lazy.module("up2u_cba.inputs.carried_rules")
unit_costs = lazy.module("up2u_cba.inputs.unit_costs")
sensitivity = lazy.module("up2u_cba.method.sensitivity")
render_csv = lazy.module("up2u_cba.outputs.render_csv")
render_json = lazy.module("up2u_cba.outputs.render_json")
render_text = lazy.module("up2u_cba.outputs.render_text")
render_xlsx = lazy.module("up2u_cba.outputs.render_xlsx")
render_forecast_xlsx = lazy.module("up2u_cba.outputs.render_forecast_xlsx")
settings_writer = lazy.module("up2u_cba.entry.settings_writer")
report_ = lazy.module("up2u_cba.method.report")
changed_since_ = lazy.module("up2u_cba.method.changed_since")
problems_ = lazy.module("up2u_cba.problems")


@click.group(cls=SafeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(up2u_cba.__version__, prog_name="up2u-cba")
def main() -> None:
    """Cost-benefit analysis of the Up2U domestic-abuse perpetrator programme.

    Values completed cases' outcomes with GMCA-style unit costs and sets the savings against
    programme spend, per service and financial year.
    """


@main.command()
@input_options
@click.option("--year", metavar="YYYY/YY", help="Financial year, e.g. 2022/23 (default: the latest year with a completed case).")
@click.option("--service", metavar="NAME",
              help="One service only, e.g. BCP (default: every service with spend or completed cases that year).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True,
              help="What to print: the report as text or JSON, or its outcome lines as CSV (one row per line, with "
                   "its case, code, unit value, uprating, saving and prudent saving; safe to open in Excel).")
@click.option("--quiet", is_flag=True, help="Print nothing but problems and where the workbook was written "
              "(with --xlsx: the workbook alone).")
@click.option("--xlsx", "xlsx_path", metavar="PATH", callback=given_path,
              help="Also write the Excel workbook for commissioners here.")
@click.option("--overwrite", is_flag=True, help="Replace the workbook at --xlsx PATH if it exists.")
@click.option("--changed-since", "changed_since", metavar="WHEN",
              help="Also list every case of the report's services changed after WHEN (withdrawn cases and other "
                   "years' too): a date (2023-06-01, 01/06/2023), a date and time in UTC (2023-06-01T09:30), or a "
                   "report up2u-cba wrote earlier (a .json report or an .xlsx workbook: from when it was made).")
@click.option("--publish", is_flag=True,
              help="Workbook for papers that leave the council: no per-case sheets; small counts, and savings "
                   "resting on few cases, hidden as * so that none can be worked out (settings [publish] "
                   "suppression: \"1-4\" or \"nhs-england\"). The text printed is the analyst's and keeps its "
                   "case tables.")
@click.option("--no-sensitivity", "no_sensitivity", is_flag=True,
              help="Leave the sensitivity analysis out of the JSON and the workbook (its sheet says so), and do "
                   "not compute it: quicker on many cases. The text report never shows it (see `up2u-cba "
                   "sensitivity`), so it is computed only for --format json or --xlsx.")
def report(settings_file, cases_folder, unit_cost_files, year, service, output_format, quiet, xlsx_path, overwrite,
           changed_since, publish, no_sensitivity):
    """Print the year-end savings report, and write it as a workbook with --xlsx.

    With --changed-since, the report ends with the cases changed since then (the workbook lists
    them on its Run info sheet), so a figure that moved after a report was issued is seen.
    Against an earlier report, it also lists the input files not as that report read them (by
    checksum): case files changed, added or deleted outside the tool, unit costs or settings
    changed.

    \b
    Example:
      up2u-cba report --year 2022/23 --service BCP --xlsx bcp-2022-23.xlsx
      up2u-cba report --year 2022/23 --changed-since bcp-2022-23.xlsx
      up2u-cba report --year 2022/23 --format csv > bcp-2022-23-lines.csv
    """
    if publish and not xlsx_path:
        fail([problems_.Problem(code="publish-needs-xlsx", file="", where="--publish",
                      message="--publish shapes the workbook, and no --xlsx PATH was given",
                      hint="add --xlsx PATH, e.g. --publish --xlsx bcp-2022-23-public.xlsx")])
    if xlsx_path:
        problem = workbook_path_problem(xlsx_path, overwrite, "--xlsx")
        if problem:
            fail([problem])
    since = None
    if changed_since is not None:
        since, problems = changed_since_.read(changed_since)
        if problems:
            fail(problems)
    command = " ".join(["up2u-cba", *sys.argv[1:]])
    try:
        result = pipeline.run(settings_file, year, service, cases_folder, unit_cost_files, command=command,
                              changed_since=since,
                              with_sensitivity=not no_sensitivity and (output_format == "json" or bool(xlsx_path)))
    except problems_.InputError as error:
        fail(error.problems)
    for summary in result.services:
        if summary.spend is None:  # reported all the same, spend "not yet set": say so first
            click.echo(report_.spend_not_set_note(summary.service, summary.year), err=True)
    if xlsx_path:
        with storage.writing(xlsx_path, "--xlsx"):
            render_xlsx.write(result, xlsx_path, publish=publish)
    if not quiet:
        renderer = {"json": render_json, "csv": render_csv}.get(output_format, render_text)
        click.echo(renderer.render(result), nl=False)
    if xlsx_path:
        click.echo(f"Workbook written to {xlsx_path}", err=True)


@main.command("forecast")
@input_options
@click.option("--service", metavar="NAME", required=True, help="The service to forecast, e.g. BCP.")
@click.option("--places", type=click.IntRange(1, 100_000), required=True, help="Places (referrals taken on) a year.")
@click.option("--spend", required=True, help="Spend a year, whole pounds: 95000, 95,000 or £95000.")
@click.option("--spend-prices", "spend_prices", metavar="YYYY/YY",
              help="The prices the spend is at (default: this financial year's); it is deflated with the report's "
                   "GDP deflators to the savings' price year, so both are in one price base.")
@click.option("--years", type=click.IntRange(1, 10), default=1, show_default=True,
              help="Years commissioned, each with the same places and spend.")
@click.option("--history-years", "history_years", type=click.IntRange(1, 10), default=3, show_default=True,
              help="How many years of the service's cases, up to --year, the forecast is built from.")
@click.option("--year", metavar="YYYY/YY",
              help="The latest year whose cases it is built from (default: the latest with a completed case).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Print the forecast as text or JSON.")
@click.option("--xlsx", "xlsx_path", metavar="PATH", callback=given_path,
              help="Also write it as a workbook: a Forecast sheet whose expected figures are formulas over the plan.")
@click.option("--overwrite", is_flag=True, help="Replace the workbook at --xlsx PATH if it exists.")
def forecast_command(settings_file, cases_folder, unit_cost_files, service, places, spend, spend_prices, years,
                     history_years, year, output_format, xlsx_path, overwrite):
    """Forecast what a planned number of places would bring, from the service's own cases.

    Expected completers (places x the service's completion rate over the last years), their
    savings (the average completed case of those years), by year and agency, gross and
    prudent, against the spend; the return's interval and the chance it pays for itself, from
    resampled plans (settings [uncertainty]); break-even completers and payback. A forecast
    from past completers is not a counterfactual.

    \b
    Example:
      up2u-cba forecast --service BCP --places 60 --spend 95000 --years 5
    """
    amount, problem = settings_writer.parse_amount(spend)
    if problem:
        fail([problem.model_copy(update={"where": "--spend"})])
    if spend_prices is not None:
        try:
            models.FinancialYear.parse(spend_prices)
        except ValueError as error:
            fail([problems_.Problem(code="bad-year", file="", where="--spend-prices", message=str(error),
                                    hint="e.g. --spend-prices 2025/26")])
    if xlsx_path:
        problem = workbook_path_problem(xlsx_path, overwrite, "--xlsx")
        if problem:
            fail([problem])
    try:
        result = pipeline.forecast(settings_file, service, places, amount, years, history_years, year,
                                   cases_folder, unit_cost_files, spend_prices,
                                   command=" ".join(["up2u-cba", *sys.argv[1:]]))
    except problems_.InputError as error:
        fail(error.problems)
    if xlsx_path:
        with storage.writing(xlsx_path, "--xlsx"):
            render_forecast_xlsx.write(result, xlsx_path, result.marking)
    renderer = render_json.render_forecast if output_format == "json" else render_text.render_forecast
    click.echo(renderer(result), nl=False)
    if xlsx_path:
        click.echo(f"Workbook written to {xlsx_path}", err=True)


@main.command("sensitivity")
@input_options
@click.option("--year", metavar="YYYY/YY", help="Financial year (default: the latest year with a completed case).")
@click.option("--service", metavar="NAME", help="One service only (default: every service with spend that year).")
def sensitivity_command(settings_file, cases_folder, unit_cost_files, year, service):
    """Show how the prudent net saving and return move with each Green Book assumption.

    Each assumption is tried at its low and high value (settings [sensitivity]); the table is
    ordered by effect, largest first, and gives each one's switching value: how far it must move
    before the programme stops paying for itself.

    \b
    Example:
      up2u-cba sensitivity --service BCP
    """
    inputs = load_or_fail(settings_file, cases_folder, unit_cost_files)
    chosen_year, services, problems = pipeline.choose(inputs, year, service)
    if problems:
        fail(problems, wrote_nothing=False)
    analyses = [sensitivity.analyse(inputs.cases, inputs.costs, inputs.series, inputs.settings, known, chosen_year)
                for known in services]
    click.echo(render_text.render_sensitivity(analyses, inputs.settings.price_year), nl=False)


@main.command()
@input_options
def validate(settings_file, cases_folder, unit_cost_files):
    """Check every input and report every problem at once (exit 1 if any).

    \b
    Example:
      up2u-cba validate --cases cases/
    """
    inputs = load_or_fail(settings_file, cases_folder, unit_cost_files)
    completed = sum(1 for case in inputs.cases if case.completed_on)
    found = f"no problems, {problems_.counted(len(inputs.warnings), 'warning')}" if inputs.warnings else "no problems"
    withdrawn = f", {len(inputs.withdrawn)} withdrawn" if inputs.withdrawn else ""  # (counted in nothing)
    click.echo(f"OK: {problems_.counted(len(inputs.cases), 'case')} ({completed} completed){withdrawn}, "
               f"{problems_.counted(len(inputs.costs), 'unit cost')}, {problems_.counted(len(inputs.series.index), 'deflator year')}; "
               f"{found} found.")
    click.echo(settings_used())
    show_warnings(inputs.warnings)
    case_entry.warn_unsaved(inputs.settings.cases_folder)


@main.group()
def case() -> None:
    """Enter, update, list and look at case records."""


@case.command("show")
@input_options
@click.option("--history", "with_history", is_flag=True,
              help="Also print the case's history of changes (created, updated, amended, withdrawn, restored, "
                   "imported), oldest first: when (UTC), why, by which tool version, and what changed.")
@click.argument("reference")
def case_show(settings_file, cases_folder, unit_cost_files, with_history, reference):
    """Show one case: its status events and, once completed, its savings table. A withdrawn case
    is shown too, marked WITHDRAWN.

    \b
    Example:
      up2u-cba case show BCP-0011
      up2u-cba case show BCP-0011 --history
    """
    inputs = load_or_fail(settings_file, cases_folder, unit_cost_files)
    record = find_case(reference, inputs)
    if record.withdrawn:
        click.echo(case_withdrawal.withdrawn_banner(record))
    click.echo(f"Case {record.reference}: {record.service}, {record.locality} ({record.file})")
    show_case_body(record, inputs)
    if with_history:
        click.echo("")
        click.echo(render_text.render_history(record))


def show_case_body(record: models.CaseRecord, inputs: pipeline.Inputs) -> None:
    """A case's status events and, once completed, its savings table."""
    for number, event in enumerate(record.history, start=1):  # numbered as case amend's status[N] names them
        reason = f" ({event.reason_label})" if event.reason else ""
        click.echo(f"  {number}. {event.date:%Y-%m-%d}  {event.status.value}{reason}")
    if record.completed_on is None:
        click.echo("Not completed: no savings are counted until the case completes.")
        return
    unvalued = case_withdrawal.valuation_problems(record, inputs) if record.withdrawn else []
    if unvalued:  # (validate does not check a withdrawn case: a code may have gone since)
        click.echo("Its lines cannot be valued now, and restoring it would be refused until they are corrected:")
        for problem in unvalued:
            click.echo(f"  {problem}")
        return
    valuation = answer_checks.value_case(record, inputs.settings, inputs.costs, inputs.series)
    click.echo("")
    click.echo(render_text.render_case_only(valuation, inputs.settings.price_year))
    for number, outcome in enumerate(record.outcomes, start=1):
        if outcome.acknowledged:  # why a figure beyond the plausible is right (see `validate`)
            click.echo(f"Line {number} acknowledged: {outcome.acknowledged}")
    click.echo(f"\nSavings at {inputs.settings.price_year} prices, uprated with {inputs.series.name}.")


@main.group()
def costs() -> None:
    """Import, search and inspect the unit cost database."""


def costs_or_fail(settings_file: str, unit_cost_files: tuple[str, ...], price_year: str | None):
    loaded, problems = pipeline.load_costs(settings_file, unit_cost_files)
    if loaded is None:
        fail(problems, wrote_nothing=False)
    settings_, table, series = loaded
    year = settings_.price_year
    if price_year:
        try:
            year = models.FinancialYear.parse(price_year)
        except ValueError as error:
            fail([problems_.Problem(code="bad-price-year", file="", where="--price-year", message=str(error),
                          hint="e.g. --price-year 2022/23")], wrote_nothing=False)
    if year not in series.index:
        fail([problems_.Problem(code="price-year-not-in-series", file=series.file, where="--price-year",
                      message=f"{year} is not in the deflator series",
                      hint=f"choose a year from {min(series.index)} to {max(series.index)}")], wrote_nothing=False)
    return table, series, year


cost_options = options(SETTINGS_OPTION, UNIT_COSTS_OPTION, click.option(
    "--price-year", metavar="YYYY/YY", help="Show values at this year's prices (default: the settings' price year)."))
"""Options of the commands that look costs up."""


@costs.command("search")
@cost_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Show at most this many costs.")
@click.argument("words", nargs=-1, required=True)
def costs_search(settings_file, unit_cost_files, price_year, limit, words):
    """Find unit costs by words or code: costs with every word first, then words found in the
    description or outcome detail before the agency, category or comment, the exact phrase
    before scattered words. Words match the start of words (alc finds alcohol) and plurals
    (children finds child).

    \b
    Example:
      up2u-cba costs search domestic violence
      up2u-cba costs search police
    """
    table, series, year = costs_or_fail(settings_file, unit_cost_files, price_year)
    index = cost_search.Index(table)
    found = index.search(" ".join(words))
    respelled = index.respelled(" ".join(words)) if not found.complete else None
    if not found.costs:
        click.echo(f"No unit cost mentions {' '.join(words)}" + (f" (did you mean {respelled}?)." if respelled else "."))
        return
    click.echo(render_text.render_cost_list(found.costs[:limit], series, year))
    if len(found) > limit:
        first = "The first cost contains" if found.complete == 1 else f"The first {found.complete} contain"
        every = f" {first} every word." if 0 < found.complete < len(found) else ""
        click.echo(f"Showing {limit} of {problems_.counted(len(found), 'cost')}; use --limit {len(found)} to see all.{every}")
    if respelled:
        click.echo(f"No unit cost mentions every word; did you mean {respelled}?")


@costs.command("show")
@cost_options
@click.argument("code")
def costs_show(settings_file, unit_cost_files, price_year, code):
    """Show everything about one unit cost: values, source, comment, parent, constituents and
    the costs it must not be counted with on one case (the tables' not_with, either side).
    The code may be typed in any case (he1.0 is HE1.0).

    \b
    Example:
      up2u-cba costs show HE1.0 --price-year 2018/19
    """
    table, series, year = costs_or_fail(settings_file, unit_cost_files, price_year)
    cost = cost_search.find_code(code, table)
    if cost is None:
        nearest = unit_costs.nearest_codes(code, table)
        fail([problems_.Problem(code="unknown-cost-code", file="", where=code, message=f"'{code}' is not a known cost code",
                      hint=f"did you mean {' or '.join(nearest)}?" if nearest else "try `up2u-cba costs search WORDS`")],
             wrote_nothing=False)
    click.echo(render_text.render_cost(cost, table, series, year))


@costs.command("import")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default="unit_costs/gmca-imported.csv", show_default=True, metavar="FILE",
              callback=given_path,
              help="Where to write the unit cost CSV.")
@click.option("--overwrite", is_flag=True, help="Replace the output file if it exists.")
@click.option("--rules-from", "rules_from", metavar="OLD.csv", type=click.Path(dir_okay=False),
              help="Carry the double-counting rules (not_with) of the unit cost table this one replaces, "
                   "where the same codes still describe the same costs.")
def costs_import(workbook, output, overwrite, rules_from):
    """Import an official GMCA Unit Cost Database workbook (v1.4 or later) as a unit cost CSV.

    Columns are found by their whole header text (a column whose header is none the importer
    knows is listed as not read; two columns fitting one field are refused) and sheets by their
    trimmed name; a theme sheet missing is a note. Every row read is accounted for (imported, or skipped with its reason);
    a cost row with a blank code takes the next constituent code of the code above it. The
    workbook's comments mark transfers (column transfer = yes), and the edition it states is
    written with every cost (column edition, last). Values are written to 15 significant digits.
    The workbook holds no double-counting rules:
    --rules-from carries those of the table it replaces.

    \b
    Example:
      up2u-cba costs import unit-cost-database-v2.3.xlsx -o unit_costs/gmca-ucd-v2.3.csv \\
        --rules-from unit_costs/gmca-ucd-v1.4.csv
    """
    result = gmca.import_workbook(workbook)  # read first: its problems and the output's come together
    problems = list(result.problems)
    rule_lines = carried_rules.reminder(result.costs)
    if rules_from and result.costs:
        costs, rule_lines, rule_problems = carried_rules.carry(result.costs, rules_from)
        result = result.model_copy(update={"costs": costs})
        problems.extend(rule_problems)
    if not problems and not result.costs:
        problems.append(problems_.Problem(code="no-costs", file=workbook, message="no unit costs found in the workbook",
                                hint="is it a GMCA Unit Cost Database workbook?"))
    # .csv only: with --overwrite a slip of the tab key put the CSV over the settings, a case file
    # or the very workbook being imported
    output_problem = output_path_problem(output, overwrite, "--output", extension=".csv",
                                         example="gmca-imported.csv")
    if output_problem:
        problems.append(output_problem)
    if problems:
        fail(problems)
    with storage.writing(output, "--output"):  # a failed write leaves no temporary file and the old one as it was
        gmca.write_table(result, output)
    for line in [*gmca.summary_lines(result), *rule_lines]:
        click.echo(line)
    click.echo(f"Wrote {problems_.counted(len(result.costs), 'unit cost')} to {output}")


case_entry.register(main, case)
case_amend.register(case)
case_withdrawal.register(case)
spend.register(main)
cost_diff.register(costs)
