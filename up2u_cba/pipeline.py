"""The whole tool in one place:

    load (settings, unit costs, deflators, cases) -> check -> calculate -> build report

Rendering (text, JSON, Excel) takes the finished ``Report``; see ``render_text``,
``render_json`` and ``render_xlsx``. Every stage returns plain data plus problems; nothing is
calculated while any input has a problem.

The package is laid out by stage: ``inputs`` (reading and checking each file), ``method`` (the
checks across inputs, the calculation, the report model), ``outputs`` (the renderers), ``entry``
(recording and correcting case records) and ``cli`` (the command line). ``models`` (the domain
types), ``problems`` (the error model) and ``storage`` (safe writing) serve them all.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import up2u_cba
from up2u_cba import models
from up2u_cba import problems as problems_
from up2u_cba.entry import import_journal
from up2u_cba.inputs import cases, crosswalk, deflators, input_files, settings, unit_costs
from up2u_cba.method import assumptions, calculate, checks, report, sensitivity, uncertainty
from up2u_cba.method import forecast as forecast_
from up2u_cba.method import changed_since as changed_since_
from up2u_cba.problems import InputError, Problem


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Everything a run reads, loaded and checked."""

    settings: models.Settings
    costs: dict[str, models.UnitCost]
    series: deflators.DeflatorSeries
    cases: list[models.CaseRecord]
    """The cases every report and count uses: all but the withdrawn ones."""
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    """What the checks found doubtful but not wrong (``Problem.warning``): shown, never blocking."""
    withdrawn: list[models.CaseRecord] = dataclasses.field(default_factory=list)
    """Withdrawn cases: kept on file, their references taken, left out of every report and count."""

    @property
    def stored(self) -> list[models.CaseRecord]:
        """Every stored case, withdrawn or not (to find a case by its reference)."""
        return [*self.cases, *self.withdrawn]

    @property
    def files(self) -> list[str]:
        """Every input file, settings first."""
        return [self.settings.file, *self.settings.unit_cost_files,
                *([self.settings.crosswalk_file] if self.settings.crosswalk_file else []), self.settings.deflator_file,
                *(case.file for case in self.stored)]


def load(
    settings_file: str,
    cases_folder: str | None = None,
    unit_cost_files: tuple[str, ...] = (),
) -> tuple[Inputs | None, list[Problem]]:
    """Load and check every input. Options given on the command line replace the settings'.
    The problems returned are the errors; warnings go with the inputs (``Inputs.warnings``)."""
    loaded, problems = settings.load(settings_file, fallbacks=True)
    if loaded is None:
        return None, problems
    if problems:  # settings that cannot run: with their own problems, those of the codes they name
        return None, problems + _settings_codes(loaded.model_copy(update={"unit_cost_files": tuple(unit_cost_files)})
                                                if unit_cost_files else loaded)
    overrides = {}
    if cases_folder:
        overrides["cases_folder"] = cases_folder
    if unit_cost_files:
        overrides["unit_cost_files"] = tuple(unit_cost_files)
    loaded = loaded.model_copy(update=overrides)
    loaded, costs, cost_problems = _through_crosswalk(loaded, *unit_costs.load(list(loaded.unit_cost_files)))
    series, series_problems = deflators.load(loaded.deflator_file, loaded.deflator_series)
    records, case_problems = cases.load(loaded.cases_folder)
    case_problems += import_journal.pending(loaded.cases_folder)
    problems = cost_problems + series_problems + case_problems
    if series is None:
        return None, problems
    if any(problem.code in UNUSABLE_TABLE for problem in cost_problems):
        # without a whole unit cost table every case's codes would look unknown: say only why
        return _inputs(loaded, costs, series, records), problems
    checked = checks.check(loaded, costs, series, records)
    if loaded.crosswalk_file and any(problem.file == loaded.crosswalk_file for problem in cost_problems):
        checked = crosswalk.codes_unchecked(loaded.crosswalk_file, checked)  # (old codes look unknown without it)
    problems += checked
    return _inputs(loaded, costs, series, records, problems_.warnings(problems)), problems_.errors(problems)


def _settings_codes(loaded: models.Settings) -> list[Problem]:
    """The problems of the codes that settings with problems of their own name (a code not in
    the unit cost tables, or set through the crosswalk for an old code and its new one
    differently: ``checks.assumption_codes``, ``crosswalk.settings_through``; an agency no cost
    bears: ``assumptions.unknown_agencies``) and the tables' and crosswalk's own problems, so that
    every problem of the settings is said at once; only the tables' when they cannot be read."""
    if not loaded.unit_cost_files:
        return []
    costs, table_problems = unit_costs.load(list(loaded.unit_cost_files))
    if any(problem.code in UNUSABLE_TABLE for problem in table_problems):
        return problems_.errors(table_problems)  # (no whole table to look the codes up in)
    agencies = assumptions.unknown_agencies(loaded.assumptions, costs, loaded.file)  # (the same through a crosswalk)
    through, costs, cost_problems = _through_crosswalk(loaded, costs, table_problems)
    if any(problem.file == loaded.crosswalk_file for problem in cost_problems):
        return problems_.errors(cost_problems) + agencies  # (old codes cannot be looked up without it)
    return problems_.errors(cost_problems) + checks.assumption_codes(through, costs) + agencies


def _inputs(loaded, costs, series, records, warnings=()) -> Inputs:
    return Inputs(settings=loaded, costs=costs, series=series, cases=[case for case in records if not case.withdrawn],
                  withdrawn=[case for case in records if case.withdrawn], warnings=list(warnings))


def _through_crosswalk(loaded: models.Settings, costs: dict[str, models.UnitCost], problems: list[Problem]
                       ) -> tuple[models.Settings, dict[str, models.UnitCost], list[Problem]]:
    """The costs looked up through the settings' crosswalk, if any (``inputs.crosswalk``), and
    the settings with its per-code assumptions for old codes moved to the new ones
    (``crosswalk.settings_through``), with its problems after the tables'."""
    if not loaded.crosswalk_file or any(problem.code in UNUSABLE_TABLE for problem in problems):
        return loaded, costs, problems
    costs, crosswalk_problems = crosswalk.apply(loaded.crosswalk_file, costs)
    if crosswalk_problems:
        return loaded, costs, problems + crosswalk_problems
    loaded, setting_problems = crosswalk.settings_through(loaded, costs)
    return loaded, costs, problems + setting_problems


UNUSABLE_TABLE = {"missing-file", "unreadable-file", "not-utf-8", "not-a-file", "file-too-large", "missing-column", "duplicate-column"}
"""Unit cost file problems that leave a whole table unread."""


def load_costs(
    settings_file: str, unit_cost_files: tuple[str, ...] = ()
) -> tuple[tuple[models.Settings, dict[str, models.UnitCost], deflators.DeflatorSeries] | None, list[Problem]]:
    """Load only what looking up costs needs: settings, unit costs and the deflator series."""
    loaded, problems = settings.load(settings_file)
    if loaded is None:
        return None, problems
    if unit_cost_files:
        loaded = loaded.model_copy(update={"unit_cost_files": tuple(unit_cost_files)})
    loaded, costs, cost_problems = _through_crosswalk(loaded, *unit_costs.load(list(loaded.unit_cost_files)))
    series, series_problems = deflators.load(loaded.deflator_file, loaded.deflator_series)
    problems = problems_.errors(cost_problems) + series_problems  # (the warnings are validate's and report's)
    if series is None or problems:
        return None, problems
    return (loaded, costs, series), []


def choose(
    inputs: Inputs, year: str | None, service: str | None, spend_not_set: bool = False
) -> tuple[models.FinancialYear | None, list[models.ServiceSettings], list[Problem]]:
    """The year and services a report covers: as asked, or the latest year and every service
    with spend in it. With ``spend_not_set`` (the report), a service with completions in the
    year but no spend set for it is covered too, its spend "not yet set", instead of refused."""
    file = inputs.settings.file
    asked = None
    if service is not None:  # (an empty --service is a mistake, not 'every service')
        asked = inputs.settings.service(service)
        if asked is None:
            names = ", ".join(known.name for known in inputs.settings.services)
            return None, [], [Problem(code="unknown-service", file=file, where="--service",
                                      message=f"'{service}' is not a service in the settings",
                                      hint=f"use one of: {names}")]
    if year is not None:
        try:
            chosen_year = models.FinancialYear.parse(year)
        except ValueError as error:
            return None, [], [Problem(code="bad-year", file="", where="--year", message=str(error),
                                      hint="e.g. --year 2022/23")]
    else:
        cases = [case for case in inputs.cases if asked is None or case.service == asked.name]
        chosen_year = calculate.latest_year(cases)
        if chosen_year is None:
            return None, [], [Problem(code="no-completed-cases", file=inputs.settings.cases_folder,
                                      message="no case has completed, so there is no year to report",
                                      hint="give --year, or record completions")]
    if asked is not None:
        services = [asked]
    else:
        completed = [case for case in inputs.cases if case.completed_on and case.completed_on in chosen_year]
        services = [known for known in inputs.settings.services if chosen_year in known.spend
                    or spend_not_set and any(case.service == known.name for case in completed)]
        if not services:
            return chosen_year, [], [Problem(
                code="no-spend", file=file, where="services",
                message=f"no service has a programme spend for {chosen_year}"
                        + ("" if completed else f", and no case completed in {chosen_year}"),
                hint=f"set one with `up2u-cba spend set SERVICE {chosen_year} AMOUNT`, or choose another --year")]
    if spend_not_set:
        return chosen_year, services, []
    problems = [
        Problem(code="no-spend", file=file, where=f"services.{known.name}.spend",
                message=f"no programme spend for {known.name} in {chosen_year}",
                hint=f"set it with `up2u-cba spend set {known.name} {chosen_year} AMOUNT`")
        for known in services if chosen_year not in known.spend
    ]
    return chosen_year, services, problems


def build_report(
    inputs: Inputs, year: models.FinancialYear, services: list[models.ServiceSettings], command: str,
    changed_since: changed_since_.When | None = None, with_sensitivity: bool = True,
) -> report.Report:
    """Calculate every figure for the chosen year and services (inputs already checked); with
    ``changed_since`` (a moment and what it was given as), list the services' cases changed since.
    Without ``with_sensitivity`` the sensitivity analysis is left out, and not computed."""
    valued = calculate.value_completed(inputs.cases, inputs.costs, inputs.series, inputs.settings,
                                       [service.name for service in services], year)  # (each case once, every year)
    summaries = tuple(calculate.summarise(inputs.cases, valued, inputs.settings, service, year) for service in services)
    codes = sorted({line.code for summary in summaries for line in summary.lines})
    price_year = inputs.settings.price_year
    read = tuple(report.InputFile(path=path, sha256=sha256(path)) for path in inputs.files)
    used = tuple(
        report.UnitCostUsed(
            cost=inputs.costs[code],
            uprating_factor=inputs.series.factor(inputs.costs[code].fiscal.price_year, price_year),
        )
        for code in codes
    )
    return report.Report(
        tool_version=up2u_cba.__version__,
        generated_at=datetime.datetime.now().astimezone().replace(microsecond=0),  # (with its zone: see changed_since)
        command=command,
        settings_file=inputs.settings.file,
        year=year,
        price_year=price_year,
        deflator_series=inputs.series.name,
        deflator_file=inputs.series.file,
        services=summaries,
        green_book=inputs.settings.assumptions,
        sensitivity=tuple(sensitivity.analyse(inputs.cases, inputs.costs, inputs.series, inputs.settings, service, year)
                          for service in services
                          if with_sensitivity and year in service.spend),  # (nothing to switch without spend)
        sensitivity_left_out=not with_sensitivity,
        uncertainty=tuple(entry for entry in (
            uncertainty.analyse(summary, inputs.settings.resampling,
                                case_lines(inputs, summary) if inputs.settings.resampling.vary_assumptions else None)
            for summary in summaries) if entry is not None),  # (a year without a completer has none)
        years=tuple(row for service in services for row in calculate.compare_years(valued, service)),
        unit_costs_used=used,
        cost_tables=report.CostTable.of(inputs.settings.unit_cost_files, inputs.costs),
        crosswalk=report.CrosswalkUsed.of(inputs.settings.crosswalk_file, inputs.costs),
        suppression=inputs.settings.suppression,
        marking=inputs.settings.marking,
        published_marking=inputs.settings.published_marking,
        inputs=read,
        changed_since=None if changed_since is None else changed_since_.collect(
            inputs.stored, [service.name for service in services], *changed_since, read_now=read,
            settings=inputs.settings),
    )


def case_lines(inputs: Inputs, summary: calculate.ServiceSummary) -> list[dict]:
    """Each of the summary's cases' lines as the sensitivity analysis revalues them, in its order."""
    records = {case.reference: case for case in inputs.cases}
    return [sensitivity.prudent_lines([records[case.reference]], inputs.costs, inputs.series, inputs.settings)
            for case in summary.cases]


def run(
    settings_file: str,
    year: str | None = None,
    service: str | None = None,
    cases_folder: str | None = None,
    unit_cost_files: tuple[str, ...] = (),
    command: str = "up2u-cba report",
    changed_since: changed_since_.When | None = None,
    with_sensitivity: bool = True,
) -> report.Report:
    """Load, check and calculate: the year-end report (listing the cases changed since a moment,
    if given: see ``changed_since``; without the sensitivity analysis unless ``with_sensitivity``).
    Raises InputError with every problem."""
    inputs, chosen_year, services = loaded_and_chosen(settings_file, year, service, cases_folder, unit_cost_files)
    return build_report(inputs, chosen_year, services, command, changed_since, with_sensitivity)


def loaded_and_chosen(
    settings_file: str, year: str | None, service: str | None, cases_folder: str | None,
    unit_cost_files: tuple[str, ...],
) -> tuple[Inputs, models.FinancialYear, list[models.ServiceSettings]]:
    """Every input loaded and checked, and the year and services asked for (``choose``; a
    service without spend for the year included). Raises InputError with every problem."""
    inputs, problems = load(settings_file, cases_folder, unit_cost_files)
    if inputs is None or problems:
        raise InputError(problems)
    chosen_year, services, problems = choose(inputs, year, service, spend_not_set=True)
    if problems:
        raise InputError(problems)
    return inputs, chosen_year, services


def forecast(
    settings_file: str,
    service: str,
    places: int,
    spend: Decimal,
    years: int = 1,
    history_years: int = forecast_.HISTORY_YEARS,
    year: str | None = None,
    cases_folder: str | None = None,
    unit_cost_files: tuple[str, ...] = (),
    spend_prices: str | None = None,
    command: str = "up2u-cba forecast",
) -> forecast_.Forecast:
    """Load and check, then forecast what ``places`` places a year for ``spend`` a year, over
    ``years`` years, would bring, from the service's cases of the ``history_years`` years up to
    ``year`` (default: the latest with a completed case), the spend given at ``spend_prices``
    (default: this financial year's prices, or the deflator series' latest year) and deflated to the savings' price year. Raises
    InputError with every problem."""
    inputs, chosen_year, (known,) = loaded_and_chosen(settings_file, year, service, cases_folder, unit_cost_files)
    latest = max(inputs.series.index, key=lambda known_year: known_year.start)
    this_year = models.FinancialYear.containing(datetime.date.today())
    default = this_year if this_year in inputs.series.index else latest  # (a spend planned now is at today's prices)
    prices = default if spend_prices is None else models.FinancialYear.parse(spend_prices)  # (checked by the command)
    if prices not in inputs.series.index:
        raise InputError([Problem(
            code="bad-year", file=inputs.series.file, where="--spend-prices",
            message=f"the deflator series has no {prices}, so a spend at {prices} prices cannot be deflated",
            hint=f"give a year the series has, {min(inputs.series.index, key=lambda y: y.start)} to {latest}")])
    plan = forecast_.Plan(service=known.name, places=places, spend=spend, spend_prices=prices, years=years,
                          history_years=history_years, last_year=chosen_year)
    valuer = calculate.Valuer(inputs.costs, inputs.series, inputs.settings.price_year, inputs.settings.assumptions)
    result = forecast_.forecast(plan, inputs.cases, valuer, known, inputs.settings.assumptions,
                                inputs.settings.resampling,
                                lambda case: sensitivity.prudent_lines([case], inputs.costs, inputs.series, inputs.settings))
    if result is None:
        built_from = forecast_.history(chosen_year, history_years)
        raise InputError([Problem(
            code="no-completed-cases", file=inputs.settings.cases_folder, where="--service",
            message=f"no {known.name} case completed in {built_from[0]}-{built_from[-1]}, so there is nothing to "
                    "build a forecast from",
            hint="give --year for a year with completions, or more --history-years")])
    made = {"tool": f"up2u-cba {up2u_cba.__version__}",
            "made": datetime.datetime.now().astimezone().replace(microsecond=0).isoformat(),
            "command": command, "settings_file": inputs.settings.file,
            "deflators": f"{inputs.series.name} ({inputs.series.file})"}
    return result.model_copy(update={"marking": inputs.settings.marking, "made": made,
                                     "assumptions": tuple(inputs.settings.assumptions.notes())})


def sha256(path: str) -> str:
    """The checksum the report gives an input: of the file as the run read it, or read now as
    every input is read (``input_files``: a regular file within its bounds, so a file swapped
    for a pipe since loading cannot hang the run). Raises InputError if it cannot be read."""
    checksum, problem = input_files.checksum_as_read(path, input_files.CHECKSUMMED)
    if problem is not None:
        raise InputError([problem])
    return checksum
