"""Command line for correcting a stored case (`case amend`), guided or with --set / --remove.

Registered on the ``case`` group by ``case_entry.register``. What a correction may change, and
the checks on it, are in ``case_amendments``; the questions and the case table are
``cli_entry``'s, so amend asks and shows as guided entry does. Nothing is written until the
change, its effect on the saving and its reason have been shown and confirmed; the write is
``case_files.save_replacement``, with the change recorded in the case's history.
"""

from __future__ import annotations

import datetime
import shlex
from decimal import Decimal

import click

from up2u_cba.cli import case_withdrawal, lazy
from up2u_cba.cli.common import (YES_OPTION, fail, find_case, input_options, interactive, reason_option,
                                  show_warnings, withdrawn_problem)
from up2u_cba.cli.case_entry import (DATE_FORMS, Stopped, Valuer, ask, ask_line, ask_yes_no, choose,
                                code_refused, find_cost, line_defaults, load_for_entry, reasons, show_case, status_label,
                                stop_cleanly, try_line)

# The library is imported on first use, inside a command, so that --help is instant (see cli/lazy.py).
models = lazy.module("up2u_cba.models")
assumptions = lazy.module("up2u_cba.method.assumptions")
pipeline = lazy.module("up2u_cba.pipeline")
answer_checks = lazy.module("up2u_cba.entry.answer_checks")
case_amendments = lazy.module("up2u_cba.entry.case_amendments")
case_files = lazy.module("up2u_cba.entry.case_files")
case_history = lazy.module("up2u_cba.entry.case_history")
settings = lazy.module("up2u_cba.inputs.settings")
render_text = lazy.module("up2u_cba.outputs.render_text")
problems_ = lazy.module("up2u_cba.problems")

def statuses() -> dict[str, models.Status]:
    """Every status by the name guided entry gives it."""
    return {status_label(status): status for status in models.Status}

ACTIONS = ["locality", "event", "line", "adjustments", "remove an event", "remove a line", "done"]
"""What guided amend offers to change, in the order of its menu."""
REASON_EXAMPLE = "police check confirmed 2 incidents"
"""A reason for a correction, as a hint gives it."""


@click.command("amend")
@input_options
@click.argument("reference")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Set a stored field, e.g. outcomes[2].quantity=2, status[4].date=2023-01-05, locality=Poole; "
                   "repeat for several. Without --set or --remove, the amendment is guided.")
@click.option("--remove", "removes", multiple=True, metavar="PATH",
              help="Remove a status event or outcome line, e.g. outcomes[3] or status[5]; repeat for several.")
@reason_option("Required; guided amend asks for it if not given.")
@YES_OPTION
@stop_cleanly
def case_amend(settings_file, cases_folder, unit_cost_files, reference, sets, removes, reason, yes):
    """Correct a stored case: any field of it, or remove an event or outcome line.

    Guided (no --set or --remove): shows the case, then asks what to change (its locality; an
    event's status, date or closure reason; a line's unit cost, quantity, years, description,
    evidence, confidence, deadweight or attribution) and checks each change as `validate`
    would. Then shows the case after, the change in saving, what changed, asks why, and
    writes only when you confirm; Ctrl-C or 'no' writes nothing.

    With --set PATH=VALUE and --remove PATH: PATH names a field as the case file does (locality,
    status[N].status, .date, .reason or .note, outcomes[N].code, .quantity, .years, .description,
    .evidence, .confidence, .deadweight, .attribution, .adjustment_reason, .acknowledged).
    Events and lines are numbered from 1, and every number refers to the case as stored,
    before any change: removing outcomes[1] does not make outcomes[2] the first line here.
    Dates take the forms guided entry does; statuses and closure reasons are given by name;
    an empty value clears an optional field (years= : the settings' years). Changing a line's
    code, quantity or years drops its acknowledgement of an implausible figure unless set
    again. Every problem is listed at once and then nothing is written (exit status 1).

    The change is recorded in the case's history with the reason. A withdrawn case is
    restored first (`up2u-cba case restore`). Quote each PATH (the shell may read [ ] itself).

    \b
    Example:
      up2u-cba case amend BCP-0001
      up2u-cba case amend BCP-0001 --set 'outcomes[2].quantity=2' \\
        --remove 'outcomes[3]' --reason "police check confirmed 2 incidents" --yes
    """
    inputs, case_problems = load_for_entry(settings_file, cases_folder, unit_cost_files, writes=True)
    old, old_text = stored_case(reference, inputs, case_problems)
    valuer = Valuer(inputs)
    scripted = bool(sets or removes)
    if not scripted:
        if yes:
            fail([problems_.Problem(code="nothing-to-confirm", file="", where="--yes",
                          message="--yes confirms the changes given with --set or --remove, and none were given",
                          hint=f"run `up2u-cba case amend {old.reference}` without --yes to be guided")],
                 wrote_nothing=True)
        guided(old, old_text, reason, inputs, valuer)
        return
    problems = case_history.reason_problems(reason, "--reason", old.file, REASON_EXAMPLE)
    new, found = case_amendments.amend(old, sets, removes, inputs.settings, inputs.costs, inputs.series)
    problems += problems_.errors(found)
    if problems:
        fail(problems)
    show_warnings(problems_.warnings(found))
    if new == old:
        click.echo(f"Nothing to change: {old.reference} already has these values. Nothing was written.")
        return
    click.echo(f"As stored in {old.file}:")
    show_case(old, len(old.history), valuer)
    show_change(old, new, valuer)
    if not yes:
        if not interactive():
            fail([problems_.Problem(code="needs-confirmation", file=old.file, where="--yes",
                          message="there is no terminal to confirm the change at",
                          hint="add --yes to write it without asking, as a script does")])
        if not ask_yes_no(f"Write the corrected case to {old.file}?"):
            raise Stopped
    write(old, old_text, new, reason, inputs)


def stored_case(reference: str, inputs: pipeline.Inputs, case_problems: list[problems_.Problem]) -> tuple[models.CaseRecord, str]:
    """The stored case ``reference`` and its file's text, or exit 1 saying why it cannot be
    amended: unknown (with the nearest references), withdrawn, or with problems in its file."""
    old = find_case(reference, inputs, case_problems,
                    note=f"Correct these in the case file first: {reference.strip()} cannot be amended while its "
                         "file has problems.")
    if old.withdrawn:
        fail([withdrawn_problem(old, "amend")], wrote_nothing=False)
    old_text, problem = case_files.read_stored(old.file)
    if problem is not None:
        fail([problem], wrote_nothing=False)
    return old, old_text


def show_change(old: models.CaseRecord, new: models.CaseRecord, valuer: Valuer) -> None:
    """The case after the change, the change in its saving, and what changed, field by field."""
    click.echo("\nAfter the correction:")
    show_case(new, len(new.history), valuer)
    (before, prudent_before), (after, prudent_after) = totals(old, valuer), totals(new, valuer)
    click.echo(f"\nSaving at {valuer.price_year} prices: {moved(before, after)}")
    for line in year_totals(old, new, valuer):
        click.echo(line)
    if (prudent_before, prudent_after) != (before, after):
        click.echo(f"Prudent saving (after the Green Book adjustments): {moved(prudent_before, prudent_after)}")
    click.echo("What changed:")
    for item in case_history.differences(old, new):
        click.echo(f"  {item}")


def year_totals(old: models.CaseRecord, new: models.CaseRecord, valuer: Valuer) -> list[str]:
    """When the correction moves the case's saving out of one financial year's total (its
    completion re-dated across 31 March, or no longer a completion) or into one: each such year's
    total for the case's service, before and after (``BCP 2021/22 total: £109,756 -> £30,282
    (down £79,474)``), the other cases counted as `case withdraw` counts them."""
    years = [models.FinancialYear.containing(record.completed_on) if record.completed_on else None
             for record in (old, new)]
    if years[0] == years[1]:
        return []
    (before, _), (after, _) = totals(old, valuer), totals(new, valuer)
    lines = []
    for year in [year for year in years if year is not None]:
        others = case_withdrawal.others_total(old, year, valuer.inputs, valuer)
        was = others + (before if year == years[0] else models.ZERO)
        now = others + (after if year == years[1] else models.ZERO)
        lines.append(f"{old.service} {year} total: {moved(was, now)}")
    return lines


def command_start(old: models.CaseRecord) -> list[str]:
    """``up2u-cba case amend REF`` with the input options this run was given."""
    params = click.get_current_context().params
    words = ["up2u-cba", "case", "amend", old.reference]
    if params.get("settings_file") and params["settings_file"] != settings.DEFAULT_FILE:
        words += ["--settings", params["settings_file"]]
    if params.get("cases_folder"):
        words += ["--cases", params["cases_folder"]]
    for path in params.get("unit_cost_files") or ():
        words += ["--unit-costs", path]
    return words


def totals(record: models.CaseRecord, valuer: Valuer) -> tuple[Decimal, Decimal]:
    """The case's saving and prudent saving as the report values them (nothing until it completes)."""
    if record.completed_on is None:
        return models.ZERO, models.ZERO
    valued = answer_checks.value_case(record, valuer.inputs.settings, valuer.inputs.costs, valuer.inputs.series)
    return valued.total, valued.prudent_total


def moved(before: Decimal, after: Decimal) -> str:
    """``£79,474 -> £76,563 (down £2,911)``."""
    change = after - before
    difference = f"{'up' if change > 0 else 'down'} {render_text.pounds(abs(change))}" if change else "no change"
    return f"{render_text.pounds(before)} -> {render_text.pounds(after)} ({difference})"


def write(old: models.CaseRecord, old_text: str, new: models.CaseRecord, reason: str,
          inputs: pipeline.Inputs, origins: case_amendments.Origins | None = None) -> None:
    """Write ``new`` over the stored case with the change in its history, or exit 1 with the
    file as it was (after a guided correction, whose entries came from ``origins``, saying the
    command that makes the same correction, so that nothing typed is lost)."""
    change = case_history.new_change(models.ChangeKind.AMENDED, inputs.settings, case_history.differences(old, new),
                                     reason)
    problems = case_files.save_replacement(old, old_text, case_history.with_change(new, change),
                                           inputs.settings.cases_folder, inputs.settings, inputs.costs, inputs.series)
    if problems:
        again = "run the command again"
        if origins is not None:
            options = case_amendments.options_for(old, new, origins)
            again = f"make the same correction with:\n  {shlex.join([*command_start(old), *options, '--reason', reason])}"
        fail(problems, note=f"{old.file} is as it was before: none of the correction was written. Once the problem "
                            f"is solved, {again}")
    click.echo(f"Saved {old.file}; it passes the checks `validate` runs, and its history records the "
               "correction and its reason.")


# --- guided ----------------------------------------------------------------------------------


def guided(old: models.CaseRecord, old_text: str, reason: str | None, inputs: pipeline.Inputs,
           valuer: Valuer) -> None:
    """Ask what to change, change by change; show the result and its reason; write on 'yes'."""
    if reason is not None:
        problems = case_history.reason_problems(reason, "--reason", old.file, REASON_EXAMPLE)
        if problems:
            fail(problems)
    click.echo(f"As stored in {old.file}:")
    show_case(old, len(old.history), valuer)
    click.echo("\nChoose what to correct; each change is checked as `validate` would check it. "
               "Ctrl-C stops without writing anything.")
    record, origins = edit_case(old, valuer)
    if record == old:
        click.echo("Nothing was changed.")
        raise Stopped
    show_change(old, record, valuer)
    if reason is None:
        reason = ask("Reason for the correction (required: a short note, no names or dates; recorded in the "
                     "case's history)", lambda text: reason_text(text, old.file))
    if not ask_yes_no(f"Write the corrected case to {old.file}?"):
        raise Stopped
    write(old, old_text, record, reason, inputs, origins)


def reason_text(text: str, file: str) -> str:
    problems = case_history.reason_problems(text, "reason", file, REASON_EXAMPLE)
    if problems:
        raise ValueError("; ".join(f"{problem.message} ({problem.hint})" if problem.hint else problem.message
                                   for problem in problems))
    return text.strip()


def edit_case(record: models.CaseRecord, valuer: Valuer) -> tuple[models.CaseRecord, case_amendments.Origins]:
    """Change after change until 'done'; each kept only if the case still passes the checks.
    Returns the corrected case and the stored number of each of its events and lines."""
    origins = case_amendments.stored_numbers(record)
    edits = {"locality": change_locality, "event": change_event, "line": change_line,
             "adjustments": change_adjustments, "remove an event": remove_event, "remove a line": remove_line}
    while True:
        no_lines = "the case has no outcome lines (a completed case gets them with `up2u-cba case update`)"
        unavailable = {} if record.outcomes else {action: no_lines for action in ("line", "adjustments",
                                                                                    "remove a line")}
        action = choose("Correct", ACTIONS, default="done", unavailable=unavailable)
        if action == "done":
            return record, origins
        edited = edits[action](record, valuer)
        origins = case_amendments.after_edit(origins, record, edited)
        record = edited


def checked(record: models.CaseRecord, candidate: models.CaseRecord, valuer: Valuer,
            show_total: bool = True) -> models.CaseRecord:
    """``candidate`` if the checks `validate` runs accept it (saying what changed and, unless
    already shown, the case total), else ``record``."""
    inputs = valuer.inputs
    found = case_amendments.result_problems(record, candidate, inputs.settings, inputs.costs, inputs.series)
    errors = problems_.errors(found)
    for problem in errors:
        click.echo(f"Error: {said(problem)}")
    if errors:
        click.echo("The change was not kept.")
        return record
    for problem in problems_.warnings(found):
        click.echo(f"Warning: {said(problem)}")
    for item in case_history.differences(record, candidate):
        click.echo(f"  Changed: {item}")
    if show_total and (candidate.completed_on is not None or record.completed_on is not None):
        click.echo(f"  Case total: {render_text.pounds(valuer.total(candidate))}")
    return candidate


def said(problem: problems_.Problem) -> str:
    text = f"{problem.where}: {problem.message}" if problem.where else problem.message
    return f"{text} ({problem.hint})" if problem.hint else text


def pick(label: str, entries: tuple, describe) -> int:
    """List ``entries`` numbered from 1 and ask for one; its index (from 0)."""
    for number, item in enumerate(entries, start=1):
        click.echo(f"  {number}) {describe(item)}")
    span = "1" if len(entries) == 1 else f"1-{len(entries)}"

    def convert(text: str) -> int:
        if text.strip().isdigit() and 1 <= int(text) <= len(entries):
            return int(text) - 1
        raise ValueError(f"'{text.strip()}' is not one of them: type a number from {span}")

    return ask(f"{label} ({span})", convert, default="1" if len(entries) == 1 else None)


def describe_event(event: models.StatusEvent) -> str:
    reason = f" ({event.reason_label})" if event.reason else ""
    return f"{event.date:%Y-%m-%d}  {status_label(event.status)}{reason}"


def describe_line(outcome: models.OutcomeEntry) -> str:
    years = f" x {case_files.years_text(outcome.years)}" if outcome.years_stated else ""
    return f"{outcome.code} x {case_files.number(outcome.quantity)}{years}  {outcome.description}".rstrip()


def change_locality(record: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    service = valuer.inputs.settings.service(record.service)
    locality = choose("Locality", list(service.localities), default=record.locality)
    return checked(record, record.model_copy(update={"locality": locality}), valuer)


def change_event(record: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    """An event's status, date and (for a closure) reason; Enter keeps each."""
    number = pick("Which event", record.history, describe_event)
    event = record.history[number]
    status = statuses()[choose("Status", list(statuses()), default=status_label(event.status))]
    today = datetime.date.today()
    day = ask(f"Date ({DATE_FORMS})", lambda text: answer_checks.parse_date(text, not_after=today),
              default=f"{event.date:%Y-%m-%d}")
    reason = None
    if status is models.Status.CLOSED:
        current = event.reason.value.replace("_", " ") if event.reason else None
        reason = reasons()[choose("Reason for closing", list(reasons()), default=current)]
    history = list(record.history)
    history[number] = event.model_copy(update={"status": status, "date": day, "reason": reason})
    return checked(record, record.model_copy(update={"history": tuple(history)}), valuer)


def change_line(record: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    """A line's unit cost (Enter keeps it; words or a code find another), quantity, years,
    description and evidence; its other fields are kept."""
    number = pick("Which line", record.outcomes, describe_line)
    old = record.outcomes[number]
    inputs = valuer.inputs
    while True:
        cost = find_cost(valuer, keep=old.code) or inputs.costs[old.code]
        if cost.code == old.code or not code_refused(record, cost, valuer, number):  # (in its place: its number)
            break
    defaults = line_defaults(old, cost, inputs.settings)
    typed = ask_line(cost, inputs.settings, defaults)
    keeps_years = not old.years_stated and typed.years == defaults.years  # Enter: still the settings' years
    update = {"code": typed.code, "quantity": typed.quantity, "years": None if keeps_years else typed.years,
              "description": typed.description, "evidence": typed.evidence}
    outcome = case_amendments.changed_line(old, update)
    candidate = try_line(record, 0, number, outcome, valuer)
    if candidate is record:
        return record
    return checked(record, candidate, valuer, show_total=False)  # (try_line showed it)


def change_adjustments(record: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    """A line's own deadweight and attribution (with the reason for them) and confidence grade."""
    number = pick("Which line", record.outcomes, describe_line)
    old = record.outcomes[number]
    click.echo("Enter keeps each value; - leaves it to the settings (or, for confidence, the unit cost's RAG).")
    deadweight = ask_share("Deadweight: the share that would have happened anyway (0 to 1, or a %)", old.deadweight)
    attribution = ask_share("Attribution: the share of the outcome due to Up2U, this programme, not to other "
                            "services (0 to 1, or a %; 1 = all of it)", old.attribution)
    confidence = ask("Confidence: the evidence grade of this line (G, A or R, or 1-6)",
                     lambda text: grade(text, old.confidence), default=old.confidence or "-")
    reason = ""
    if deadweight is not None or attribution is not None:
        reason = ask("Why this line's deadweight or attribution differs from the settings' (a short note)",
                     lambda text: note("adjustment_reason", text, old.adjustment_reason),
                     default=old.adjustment_reason or None)
    update = {"deadweight": deadweight, "attribution": attribution, "confidence": confidence,
              "adjustment_reason": reason}
    outcomes = list(record.outcomes)
    outcomes[number] = case_amendments.changed_line(old, update)
    return checked(record, answer_checks.with_outcomes(record, outcomes), valuer)


def ask_share(text: str, current):
    shown = case_files.number(current) if current is not None else "-"
    return ask(text, lambda typed: current if not typed.strip() else
               None if typed.strip() == "-" else case_amendments.share(typed.strip(), "share"), default=shown)


def grade(text: str, current: str) -> str:
    """A confidence typed in the guided amend, as ``assumptions.evidence_grade`` keeps it."""
    text = text.strip()
    if text == "-":
        return ""
    if not text:
        return current
    found = assumptions.evidence_grade(text)
    if found is None:
        raise ValueError(f"'{text}' is not an evidence grade: type {assumptions.GRADE_RULE} "
                         "(- for the unit cost's RAG)")
    return found


def note(field: str, text: str, keep: str) -> str:
    text = text.strip()
    if not text:
        if not keep:
            raise ValueError("a reason is needed when a line sets its own deadweight or attribution")
        return keep
    return case_amendments.free_text(field, text)


def remove_event(record: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    number = pick("Which event to remove", record.history, describe_event)
    history = [event for index, event in enumerate(record.history) if index != number]
    return checked(record, record.model_copy(update={"history": tuple(history)}), valuer)


def remove_line(record: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    number = pick("Which line to remove", record.outcomes, describe_line)
    return checked(record, answer_checks.with_outcomes(record, [outcome for index, outcome in enumerate(record.outcomes)
                                                        if index != number]), valuer)


def register(case: click.Group) -> None:
    """Add `case amend` to the ``case`` group."""
    case.add_command(case_amend)
