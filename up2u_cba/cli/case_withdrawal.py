"""Command line for taking a case out of every report and count, and bringing it back
(`case withdraw`, `case restore`).

A withdrawn case is not deleted: its file stays, marked ``withdrawn = true``, with the withdrawal
in its history of changes, and its reference is never given to another case. Both commands show
the case and what the change does to the figures, ask before writing (or take ``--yes``), need a
reason (checked by the personal-data guard), and write through ``case_files.save_replacement``,
which checks the case again as ``validate`` does: a case that no longer passes (a unit cost code
removed since, say) is not restored. Registered on the ``case`` group by ``main.py``.
"""

from __future__ import annotations

import shlex
from decimal import Decimal

import click

from up2u_cba.cli import lazy
from up2u_cba.cli.common import YES_OPTION, fail, find_case, input_options, interactive, reason_option, withdrawn_on
from up2u_cba.cli.case_entry import Stopped, Valuer, ask_yes_no, load_for_entry, show_history, stop_cleanly

# The library is imported on first use, inside a command, so that --help is instant (see cli/lazy.py).
models = lazy.module("up2u_cba.models")
case_files = lazy.module("up2u_cba.entry.case_files")
case_history = lazy.module("up2u_cba.entry.case_history")
checks = lazy.module("up2u_cba.method.checks")
render_text = lazy.module("up2u_cba.outputs.render_text")
problems_ = lazy.module("up2u_cba.problems")


def register(case: click.Group) -> None:
    """Add `withdraw` and `restore` to the ``case`` group."""
    case.add_command(case_withdraw)
    case.add_command(case_restore)


REASON_OPTION = reason_option("Required (asked for at a terminal).")


@click.command("withdraw")
@input_options
@REASON_OPTION
@YES_OPTION
@click.argument("reference")
@stop_cleanly
def case_withdraw(settings_file, cases_folder, unit_cost_files, reason, yes, reference):
    """Withdraw a case: it leaves every report and count, but is not deleted.

    For a case entered twice, or entered by mistake. The case file stays, marked withdrawn,
    with the reason in its history; its reference is never used again; `case list --withdrawn`
    lists it and `case restore` brings it back. Shows the case and what leaving the reports
    means (its saving, the year it counts in) and asks before writing (--yes: does not ask).

    \b
    Example:
      up2u-cba case withdraw BCP-0042 --reason "entered twice (same as BCP-0041)"
    """
    change_state(settings_file, cases_folder, unit_cost_files, reference, reason, yes, withdraw=True)


@click.command("restore")
@input_options
@REASON_OPTION
@YES_OPTION
@click.argument("reference")
@stop_cleanly
def case_restore(settings_file, cases_folder, unit_cost_files, reason, yes, reference):
    """Restore a withdrawn case: it counts in reports again.

    The case is checked again as `validate` checks it, against today's unit costs and settings;
    if it no longer passes (a code removed from the unit costs since, say), it stays withdrawn
    and the problems are listed. Shows the case and what it adds back, and asks before writing
    (--yes: does not ask).

    \b
    Example:
      up2u-cba case restore BCP-0042 --reason "not a duplicate after all"
    """
    change_state(settings_file, cases_folder, unit_cost_files, reference, reason, yes, withdraw=False)


def change_state(settings_file, cases_folder, unit_cost_files, reference: str, reason: str | None, yes: bool,
                 withdraw: bool) -> None:
    """Withdraw (``withdraw``) or restore the case ``reference``: check, show, confirm, write."""
    inputs, case_problems = load_for_entry(settings_file, cases_folder, unit_cost_files, writes=True)
    old = find_case(reference, inputs, case_problems)
    verb = "withdraw" if withdraw else "restore"
    if old.withdrawn == withdraw:
        fail([already(old, withdraw)], wrote_nothing=False)
    problems = []
    if reason is not None or not interactive():  # (at a terminal, it is asked for once the case is shown)
        problems = case_history.reason_problems(reason, "--reason", old.file, example=reason_example(withdraw))
    if not yes and not interactive():
        problems.append(problems_.Problem(code="needs-confirmation", file=old.file, where="--yes",
                                message=f"nobody is at a terminal to confirm: a case is only {verb_past(withdraw)} "
                                        "when asked",
                                hint=f"run it at a terminal to see the case and confirm, or add --yes: "
                                     f"{example(old, withdraw, reason)} --yes"))
    failing = [] if withdraw else valuation_problems(old, inputs)  # said before anything is asked
    if problems or failing:
        fail(problems + failing, note=stays_withdrawn(old) if failing else "")
    old_text, problem = case_files.read_stored(old.file)
    if problem is not None:
        fail([problem])
    show(old, inputs, withdraw)
    if reason is None:
        reason = ask_reason(old.file, withdraw)
    if not yes and not ask_yes_no(f"{verb.capitalize()} {old.reference}?"):
        raise Stopped
    kind = models.ChangeKind.WITHDRAWN if withdraw else models.ChangeKind.RESTORED
    what = ["withdrawn: no -> yes"] if withdraw else ["withdrawn: yes -> no"]
    new = case_history.with_change(old.model_copy(update={"withdrawn": withdraw}),
                                   case_history.new_change(kind, inputs.settings, what, reason))
    problems = case_files.save_replacement(old, old_text, new, inputs.settings.cases_folder, inputs.settings,
                                           inputs.costs, inputs.series)
    if problems:
        fail(problems, note="" if withdraw else stays_withdrawn(old))
    if withdraw:
        click.echo(f"Withdrew {old.reference} ({old.file}): it is left out of every report and count from now on. "
                   f"Its reference stays taken; `up2u-cba case restore {old.reference} --reason \"...\"` brings "
                   "it back.")
    else:
        click.echo(f"Restored {old.reference} ({old.file}): it counts in reports again; it passes the checks "
                   "`validate` runs.")


def stays_withdrawn(record: models.CaseRecord) -> str:
    return (f"{record.reference} stays withdrawn: it does not pass the checks `validate` runs today. Correct what "
            f"is listed (in {record.file}, or the unit costs or settings), then restore it again.")


def already(record: models.CaseRecord, withdraw: bool) -> problems_.Problem:
    """The problem when the case is already as asked: withdrawn, or not withdrawn."""
    if withdraw:
        return problems_.Problem(code="already-withdrawn", file=record.file, where="",
                       message=f"{record.reference} is already withdrawn{withdrawn_on(record)}",
                       hint=f"nothing to do; `up2u-cba case restore {record.reference} --reason \"...\"` "
                            "brings it back")
    return problems_.Problem(code="not-withdrawn", file=record.file, where="",
                   message=f"{record.reference} is not withdrawn: it already counts in reports",
                   hint="nothing to do; `up2u-cba case list --withdrawn` lists the withdrawn cases")


def withdrawn_banner(record: models.CaseRecord) -> str:
    """The line `case show` puts above a withdrawn case."""
    return (f"WITHDRAWN{withdrawn_on(record)}: left out of every report and count; "
            f"`up2u-cba case restore {record.reference} --reason \"...\"` brings it back.")


def reason_example(withdraw: bool) -> str:
    return "entered twice" if withdraw else "not a duplicate after all"


def example(record: models.CaseRecord, withdraw: bool, reason: str | None = None) -> str:
    """The command that withdraws or restores ``record``, with the user's own reason when given
    (a hint to copy must not record another reason than the one typed)."""
    command = "withdraw" if withdraw else "restore"
    given = reason.strip() if reason and reason.strip() else reason_example(withdraw)
    return f"up2u-cba case {command} {shlex.quote(record.reference)} --reason {shlex.quote(given)}"


def verb_past(withdraw: bool) -> str:
    return "withdrawn" if withdraw else "restored"


def ask_reason(file: str, withdraw: bool) -> str:
    """Ask for the reason until one passes the checks."""
    while True:
        text = click.prompt("Reason (a short note, no names; recorded in the case's history)", default="",
                            show_default=False)
        problems = case_history.reason_problems(text, "reason", file, example=reason_example(withdraw))
        if not problems:
            return text.strip()
        for problem in problems:
            click.echo(f"Error: {problem.message} ({problem.hint})")


# --- what the change does to the figures -------------------------------------------------------


def show(record: models.CaseRecord, inputs, withdraw: bool) -> None:
    """The case, and what withdrawing or restoring it does to the reports."""
    if record.withdrawn:
        click.echo(f"WITHDRAWN{withdrawn_on(record)}.")
    click.echo(f"Case {record.reference}: {record.service}, {record.locality} ({record.file})")
    show_history(record, len(record.history))
    click.echo(effect(record, inputs, withdraw))


def effect(record: models.CaseRecord, inputs, withdraw: bool) -> str:
    """What leaving (or rejoining) the reports means for the figures: the case's saving, the
    year and service total it counts in, before and after."""
    leaves = "leaves" if withdraw else "rejoins"
    counts = f"It {leaves} every report and count, the participant counts of each year it was active included"
    if record.completed_on is None:
        return f"{counts}. Not completed: it counts in no savings total."
    problems = valuation_problems(record, inputs)
    if problems:
        listed = "; ".join(f"{problem.where}: {problem.message}" for problem in problems)
        return (f"{counts}. Completed on {record.completed_on:%Y-%m-%d}, but its lines cannot be valued now "
                f"({listed})" + ("." if withdraw else ": it cannot be restored until they are corrected."))
    valuer = Valuer(inputs)
    saving = valuer.total(record)
    year = models.FinancialYear.containing(record.completed_on)
    others = others_total(record, year, inputs, valuer)
    before, after = (others + saving, others) if withdraw else (others, others + saving)
    moves = "falls" if withdraw else "rises"
    return (f"{counts}. Completed on {record.completed_on:%Y-%m-%d}: its saving, {render_text.pounds(saving)} at "
            f"{inputs.settings.price_year} prices, counts in {record.service}'s {year} total, which {moves} from "
            f"{render_text.pounds(before)} to {render_text.pounds(after)}.")


def others_total(record: models.CaseRecord, year: models.FinancialYear, inputs, valuer: Valuer) -> Decimal:
    """The saving of every other case that counts in ``record``'s service's ``year`` total: what
    that total is without ``record`` (withdrawn, or completed in another year)."""
    return sum((valuer.total(case) for case in inputs.cases
                if case.reference != record.reference and case.service == record.service
                and case.completed_on is not None and case.completed_on in year), models.ZERO)


def valuation_problems(record: models.CaseRecord, inputs) -> list[problems_.Problem]:
    """Why the case's lines cannot be valued with today's unit costs and settings (checked as if
    it counted: a withdrawn case is not checked by `validate`)."""
    counted = record.model_copy(update={"withdrawn": False})
    found = checks.check(inputs.settings, inputs.costs, inputs.series, [counted])
    return [problem for problem in problems_.errors(found) if problem.file == record.file]
