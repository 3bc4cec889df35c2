"""Command line for entering and listing cases (`case new | update | list`, `intake ...`).

Registered on the main command group by ``main.py``; like it, only parses options, calls the
library and turns problems into messages and exit codes. The checks behind every question are
in ``entry`` (typed answers), ``case_files`` (writing, references) and ``intake`` (workbooks).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import os
import sys
import threading

import click

from up2u_cba.cli import lazy
from up2u_cba.cli.common import (SETTINGS_OPTION, UNIT_COSTS_OPTION, fail, find_case, given_path, input_options,
                                  options, reason_option, show_warnings, withdrawn_problem, workbook_path_problem)

# The library is imported on first use, inside a command, so that --help is instant (see cli/lazy.py).
models = lazy.module("up2u_cba.models")
pipeline = lazy.module("up2u_cba.pipeline")
storage = lazy.module("up2u_cba.storage")
answer_checks = lazy.module("up2u_cba.entry.answer_checks")
case_files = lazy.module("up2u_cba.entry.case_files")
case_history = lazy.module("up2u_cba.entry.case_history")
case_selection = lazy.module("up2u_cba.entry.case_selection")
cost_search = lazy.module("up2u_cba.entry.cost_search")
import_journal = lazy.module("up2u_cba.entry.import_journal")
intake = lazy.module("up2u_cba.entry.intake")
unsaved_cases = lazy.module("up2u_cba.entry.unsaved_cases")
cases = lazy.module("up2u_cba.inputs.cases")
settings = lazy.module("up2u_cba.inputs.settings")
unit_costs = lazy.module("up2u_cba.inputs.unit_costs")
calculate = lazy.module("up2u_cba.method.calculate")
render_text = lazy.module("up2u_cba.outputs.render_text")
problems_ = lazy.module("up2u_cba.problems")

SEARCH_LIMIT = 10
"""Unit costs listed per page of a search in guided entry."""
MENU_WIDTH = 70
"""Longest description in a search listing (similar ones are told apart: ``cost_search.menu_lines``)."""
DESCRIPTION_WIDTH = 60
"""Longest description shown in the case table on screen (longer ones end in '…')."""


def register(main: click.Group, case: click.Group) -> None:
    """Add the case-entry commands to the main group and its ``case`` group."""
    case.add_command(case_new)
    case.add_command(case_update)
    case.add_command(case_list)
    main.add_command(intake_group)


# --- loading ---------------------------------------------------------------------------------


def load_for_entry(settings_file: str, cases_folder: str | None, unit_cost_files: tuple[str, ...],
                   writes: bool = False):
    """Load every input. Problems with settings, unit costs or deflators stop the command; problems
    in case files are returned (entry and listing go on with the readable cases). A command that
    ``writes`` cases first finishes or undoes an interrupted intake import, and says so."""
    if writes:
        finish_interrupted_import_of(settings_file, cases_folder)
    inputs, others, in_cases = loaded_for_entry(settings_file, cases_folder, unit_cost_files)
    if inputs is None or others:
        fail(others, wrote_nothing=False)
    return inputs, in_cases


def loaded_for_entry(settings_file: str, cases_folder: str | None, unit_cost_files: tuple[str, ...]
                     ) -> tuple[pipeline.Inputs | None, list[problems_.Problem], list[problems_.Problem]]:
    """Every input, the readable cases only: (inputs, the problems that stop an entry, the case
    files' problems, which leave those files out)."""
    inputs, problems = pipeline.load(settings_file, cases_folder, unit_cost_files)
    if inputs is None:
        return None, problems, []
    folder = os.path.abspath(inputs.settings.cases_folder)
    in_folder = [problem.code == "missing-folder" and os.path.abspath(problem.file) == folder
                 or bool(problem.file) and os.path.abspath(problem.file).startswith(folder + os.sep)
                 for problem in problems]
    in_cases = [problem for problem, inside in zip(problems, in_folder) if inside]
    others = [problem for problem, inside in zip(problems, in_folder) if not inside]  # (one pass: 100,000 at scale)
    broken = {os.path.abspath(problem.file) for problem in in_cases}
    readable = [case for case in inputs.cases if os.path.abspath(case.file) not in broken]
    return dataclasses.replace(inputs, cases=readable), others, [problem for problem in in_cases
                                                                 if problem.code != "missing-folder"]


FIRST_LOOK = 0.1
"""Seconds the first question waits for the cases: enough to read a few thousand, so that for
most projects a problem stops `case new` before it asks anything, as it did when the cases were
read first; with 100,000 cases the first question still comes within half a second."""
WITH_OTHER_LIBRARIES = ("up2u_cba.entry.intake", "up2u_cba.inputs.gmca", "up2u_cba.outputs.render_xlsx",
                        "up2u_cba.entry.settings_writer")
"""Modules `case new` never uses, each importing a library of its own (openpyxl, tomlkit)."""


class LoadingCases:
    """The inputs of `case new`, its cases read while the first questions are asked: the
    service and locality need only the settings, and reading 100,000 case files takes seconds
    a person should not wait before the first question. The settings, unit costs and deflators
    are read first, so that a problem in one of them stops the command before it asks anything;
    a problem found with the cases (the checks across inputs) stops it before the next question
    once the cases are read, which for a small project is before the first (``FIRST_LOOK``)."""

    def __init__(self, settings_file: str, cases_folder: str | None, unit_cost_files: tuple[str, ...]):
        loaded, problems = pipeline.load_costs(settings_file, unit_cost_files)
        if loaded is None:
            fail(problems, wrote_nothing=False)
        self.settings = loaded[0] if not cases_folder else loaded[0].model_copy(update={"cases_folder": cases_folder})
        self._loaded: tuple | None = None
        self._inputs: pipeline.Inputs | None = None
        lazy.import_waiting(but=WITH_OTHER_LIBRARIES)  # (before two threads use them)
        self._reader = threading.Thread(target=self._read, args=(settings_file, cases_folder, unit_cost_files),
                                        name="reading cases", daemon=True)
        self._reader.start()
        self._reader.join(FIRST_LOOK)
        self.stop_if_failed()

    def stop_if_failed(self) -> None:
        """If the cases have been read, stop the command now on a problem that stops an entry."""
        if not self._reader.is_alive():
            self.inputs()

    def _read(self, *arguments) -> None:
        try:
            self._loaded = ("read", loaded_for_entry(*arguments))
        except BaseException as error:  # (raised again where the inputs are asked for)
            self._loaded = ("raised", error)

    def inputs(self) -> pipeline.Inputs:
        """Every input, once read (waiting for the cases if need be); the first time, stops the
        command on a problem, or says which case files are left out."""
        if self._inputs is None:
            if self._reader.is_alive():
                click.echo("(Reading the case files: a moment...)", err=True)
            self._reader.join()
            outcome, result = self._loaded
            if outcome == "raised":
                raise result
            inputs, others, in_cases = result
            if inputs is None or others:
                fail(others, wrote_nothing=False)
            warn_case_problems(in_cases)
            self._inputs = inputs
        return self._inputs


def finish_interrupted_import_of(settings_file: str, cases_folder: str | None) -> None:
    """If an intake import into the cases folder was interrupted, finish or undo it first."""
    loaded, _ = settings.load(settings_file)
    folder = cases_folder or (loaded.cases_folder if loaded else None)
    if folder and import_journal.interrupted(folder):
        with storage.folder_lock(folder):
            finish_interrupted_import(folder)


def finish_interrupted_import(folder: str) -> None:
    """Finish or undo an intake import into ``folder`` that was interrupted (the caller holds the
    folder's lock), and say what had been written and what was done."""
    try:
        recovery, problems = import_journal.recover(folder)
    except KeyboardInterrupt:  # recovery can always be taken up again: say so, not "nothing was written"
        click.echo(f"\nStopped while finishing an interrupted import: {import_journal.RECOVERED_BY} finishes "
                   "or undoes it (`up2u-cba validate` says which).")
        sys.exit(1)
    if problems:
        fail(problems)
    if recovery is not None:
        for line in recovery.describe():
            click.echo(line)


def warn_case_problems(problems: list[problems_.Problem]) -> None:
    if problems:
        files = sorted({problem.file for problem in problems})
        one = len(files) == 1
        click.echo(f"Note: {problems_.counted(len(files), 'case file')} {'has' if one else 'have'} problems and "
                   f"{'is' if one else 'are'} left out here; "
                   "run `up2u-cba validate` to see them.", err=True)


class Stopped(Exception):
    """The user stopped (Ctrl-C, end of input, or 'no'): nothing is written."""


def stop_cleanly(command):
    """Turn Ctrl-C / end of input / a 'no' into 'nothing was written' and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Abort, KeyboardInterrupt, EOFError, Stopped):
            click.echo("\nStopped: nothing was written.")
            sys.exit(1)

    return wrapper


# --- prompts ---------------------------------------------------------------------------------


def ask(text: str, convert, default: str | None = None, show_default: bool = True):
    """click.prompt with a converter whose ValueError becomes 'Error: ...' and a new question."""

    def value_proc(value: str):
        try:
            return convert(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None

    return click.prompt(text, default=default, show_default=show_default, value_proc=value_proc)


def choose(label: str, options: list[str], default: str | None = None, none_label: str | None = None,
           unavailable: dict[str, str] | None = None):
    """Pick one of ``options`` by number, name, or the start of a name. With ``none_label``,
    Enter picks nothing (returns None). Options in ``unavailable`` keep their number (a number
    never changes meaning from one question to the next) but are refused with the reason given."""
    menu = ", ".join(f"{number}={option}" for number, option in enumerate(options, start=1))
    unavailable = unavailable or {}

    def convert(text: str):
        text = text.strip()
        if not text and none_label:
            return None
        picked = None
        if text.isdigit() and 1 <= int(text) <= len(options):
            picked = options[int(text) - 1]
        else:
            exact = [option for option in options if option.lower() == text.lower()]
            starts = [option for option in options if option.lower().startswith(text.lower())] if text else []
            if exact or len(starts) == 1:
                picked = (exact or starts)[0]
        if picked is None:
            raise ValueError(f"'{text}' is not one of the choices: type a number from 1 to {len(options)}, or a name")
        if picked in unavailable:
            raise ValueError(unavailable[picked])
        return picked

    if none_label:
        return ask(f"{label} ({menu}; Enter: {none_label})", convert, default="", show_default=False)
    return ask(f"{label} ({menu})", convert, default=default)


def ask_yes_no(text: str) -> bool:
    """A yes/no question with no default: an accidental Enter neither writes nor discards."""
    return click.confirm(text, default=None)


def status_label(status: models.Status) -> str:
    return {models.Status.PROGRAMME: "programme start"}.get(status, status.value)


EVENT_NOUNS = {"assessment": "assessment", "programme": "programme start", "completed": "completion",
               "closed": "closure"}
"""What a question calls the event of each status (by its value)."""


STATUS_VALUES = ("referred", "assessment", "programme", "completed", "closed")
"""Every ``models.Status`` value, written out so that the options are defined without loading the
library (a test keeps the two in step)."""


DATE_FORMS = "e.g. 12/05/2023, 12 May 2023 or 2023-05-12"
"""How a date question says what it takes (``dates.parse`` takes these and more)."""


def reasons() -> dict[str, models.ClosureReason]:
    """Every reason for closing by the name guided entry gives it."""
    return {reason.value.replace("_", " "): reason for reason in models.ClosureReason}


def ask_event(record: models.CaseRecord, required: bool) -> models.StatusEvent | None:
    """One new dated status event after the case's last (None if not ``required`` and skipped)."""
    last = record.history[-1]
    labels = {status_label(status): status for status in answer_checks.UPDATE_STATUSES}
    unavailable = after_closure(last) if last.status is models.Status.CLOSED else {
        status_label(last.status): f"the case is already at {status_label(last.status)} "
                                   f"(since {last.date:%Y-%m-%d}); choose the step it has moved on to"}
    if required:
        default = answer_checks.NEXT_STATUS.get(last.status)
        picked = choose("New status", list(labels), default=status_label(default) if default else None,
                        unavailable=unavailable)
    else:
        picked = choose("Has the case moved on? Next status", list(labels), none_label="no more events",
                        unavailable=unavailable)
        if picked is None:
            return None
    status = labels[picked]
    today = datetime.date.today()
    latest = max(today, last.date)
    day = ask(f"Date of the {EVENT_NOUNS[status.value]} ({DATE_FORMS}; not before {last.date:%Y-%m-%d})",
              lambda text: answer_checks.parse_date(text, not_before=last.date, not_after=latest),
              default=f"{min(today, latest):%Y-%m-%d}")
    reason, note = None, ""
    if status is models.Status.CLOSED:
        reason = reasons()[choose("Reason for closing", list(reasons()))]
        if reason is models.ClosureReason.OTHER:
            note = ask("What was the reason? (a short note, no names)", check_note)
    return models.StatusEvent(status=status, date=day, reason=reason, note=note)


def after_closure(closure: models.StatusEvent) -> dict[str, str]:
    """What a closed case cannot move to (the menu keeps their numbers): completing, until it is
    re-opened by an assessment or a programme start; being closed again."""
    return {status_label(models.Status.COMPLETED):
            f"the case was closed on {closure.date:%Y-%m-%d}: re-open it first (assessment or programme start, "
            "dated the day it was re-opened), then record the completion",
            status_label(models.Status.CLOSED): f"the case is already closed (since {closure.date:%Y-%m-%d})"}


def check_note(text: str) -> str:
    """A closure's note: required, short, and no personal data (never repeated when refused)."""
    text = text.strip()
    if not text:
        raise ValueError("say in a few words why the case was closed, e.g. joined another programme")
    message = answer_checks.text_message("note", text)
    if message:
        raise ValueError(message)
    return text


def show_history(record: models.CaseRecord, stored: int) -> None:
    for index, event in enumerate(record.history):
        reason = f" ({event.reason_label})" if event.reason else ""
        mark = "  (new)" if 0 < stored <= index else ""
        click.echo(f"  {index + 1}. {event.date:%Y-%m-%d}  {event.status.value}{reason}{mark}")


# --- outcome lines ---------------------------------------------------------------------------


class Valuer:
    """Values lines as the report does: the settings' price year and deflator series."""

    def __init__(self, inputs: pipeline.Inputs):
        self.inputs = inputs
        self.price_year = inputs.settings.price_year
        self.lines = calculate.Valuer(inputs.costs, inputs.series, inputs.settings.price_year,
                                      inputs.settings.assumptions)
        """One valuer for the command, so that listing 100,000 cases works out each cost's terms once."""

    def line(self, record: models.CaseRecord, outcome: models.OutcomeEntry) -> calculate.OutcomeLine:
        return self.lines.line(record, outcome)

    def total(self, record: models.CaseRecord):
        return sum((self.line(record, outcome).saving for outcome in record.outcomes), models.ZERO)

    @functools.cached_property
    def finder(self) -> cost_search.Index:
        """The unit cost table indexed for searching, once per command."""
        return cost_search.Index(self.inputs.costs)

    def per_unit(self, cost: models.UnitCost) -> str:
        if cost.fiscal is None or cost.fiscal.price_year not in self.inputs.series.index:
            return "no fiscal value"
        value = cost.fiscal.amount * self.inputs.series.factor(cost.fiscal.price_year, self.price_year)
        return f"{render_text.pounds_exact(value)} {cost.unit.strip().lower() or 'per unit'}"


FIND_PROMPT = ("Find a unit cost: type words (e.g. alcohol, domestic violence) or a code; "
               "Enter when there are no more lines")


def find_cost(valuer: Valuer, keep: str | None = None) -> models.UnitCost | None:
    """Search by words (or type a code) and pick a cost; None when the user is done, or, when
    changing a line whose code is ``keep``, when the user keeps that code."""
    prompt = FIND_PROMPT if keep is None else (f"Unit cost of the line [{keep}]: Enter keeps it, or type words "
                                               "or a code to choose another")
    while True:
        words = click.prompt(prompt, default="", show_default=False).strip()
        if not words:
            return None
        cost = choose_cost(valuer, words)
        if cost is not None:
            return cost


def choose_cost(valuer: Valuer, words: str) -> models.UnitCost | None:
    """The cost picked after searching for ``words``: a code typed is taken at once; otherwise
    the matches are listed a page at a time to pick from, page on, narrow or search again.
    None to go back to the search question."""
    costs = valuer.inputs.costs
    while True:
        exact = cost_search.find_code(words, costs)
        if exact is not None:
            return exact if usable(exact, valuer) else None
        matches = valuer.finder.search(words)
        if not matches.costs:
            click.echo(nothing_found(words, costs, valuer.finder))
            return None
        respelled = valuer.finder.respelled(words) if not matches.complete else None
        if respelled:
            click.echo(f"No unit cost mentions every word; did you mean {respelled}? (type it to search for it)")
        picked = browse(words, matches, valuer)
        if not isinstance(picked, str):
            return picked
        words = picked


def usable(cost: models.UnitCost, valuer: Valuer) -> bool:
    """Say so and return False if ``cost`` cannot value a line (no fiscal value...)."""
    message = answer_checks.cost_message(cost, valuer.inputs.series)
    if message:
        click.echo(f"Error: {message}")
    return message is None


def nothing_found(words: str, costs: dict[str, models.UnitCost], finder: cost_search.Index) -> str:
    """What to say when a search finds nothing: for a code, the nearest codes; for words, the
    words the table has that are most alike (or, for one word, the nearest codes)."""
    if cost_search.looks_like_code(words):
        nearest = unit_costs.nearest_codes(words, costs)
        hint = f" (did you mean {' or '.join(nearest)}?)" if nearest else ""
        return f"No unit cost has the code {words.strip()}{hint}. Type a code, or words to search."
    respelled = finder.respelled(words)
    nearest = unit_costs.nearest_codes(words, costs) if len(words.split()) == 1 and not respelled else []
    hint = f" (did you mean {respelled or ' or '.join(nearest)}?)" if respelled or nearest else ""
    return f"No unit cost mentions {words}{hint}. Try other words."


def browse(words: str, matches: cost_search.Matches, valuer: Valuer):
    """List ``matches`` a page at a time until a cost is picked (returned), other words are
    typed (returned, to search again) or Enter is pressed (None)."""
    narrowing = ""
    start, show = 0, True
    while True:
        end = min(start + SEARCH_LIMIT, len(matches))
        if show:
            show_matches(matches, start, end, valuer)
        show = True
        more = min(SEARCH_LIMIT, len(matches) - end)
        choices = f"n: the next {more}; " if more else ""
        kind, value = ask(f"Choose 1-{end} ({choices}+ words: narrow these down; other words: search again; "
                          "Enter: back)", lambda text: menu_answer(text, end, len(matches)),
                          default="", show_default=False)
        if kind == "back":
            return None
        if kind == "search":
            return value
        if kind == "next":
            start = end
        elif kind == "narrow":
            narrower = valuer.finder.search(words, f"{narrowing} {value}")
            if narrower.costs:
                narrowing, matches, start = f"{narrowing} {value}", narrower, 0
            else:
                click.echo(f"None of these mentions {value}: the list stays as it was.")
                show = False
        elif usable(matches.costs[value - 1], valuer):
            return matches.costs[value - 1]
        else:
            show = False


def menu_answer(text: str, shown: int, total: int):
    """What an answer to a search listing asks for: ("pick", number), ("next", None),
    ("narrow", words), ("search", words) or ("back", None)."""
    text = text.strip()
    if not text:
        return "back", None
    if text.isdigit():
        if 1 <= int(text) <= shown:
            return "pick", int(text)
        raise ValueError(f"type a number from 1 to {shown}, or press Enter to search again")
    if text.lower() in ("n", "next", "more"):
        if shown < total:
            return "next", None
        every = "the one match is" if total == 1 else f"all {total} matches are"
        raise ValueError(f"{every} shown: choose a number, narrow them with + and "
                         "words, or type other words")
    if text.startswith("+"):
        if not text[1:].strip():
            raise ValueError("type words after the +, e.g. + foster, to keep only the costs that mention them")
        return "narrow", text[1:].strip()
    return "search", text


def show_matches(matches: cost_search.Matches, start: int, end: int, valuer: Valuer) -> None:
    """One page of a search listing, numbered on from the pages before, similar descriptions
    told apart; first saying how many matched and which are shown."""
    total = len(matches)
    every = f" ({matches.complete} with every word)" if 0 < matches.complete < total else ""
    if total <= SEARCH_LIMIT:
        click.echo(f"{total} match{'es' if total != 1 else ''} for {matches.query}{every}:")
    else:
        span = f"{end}" if start == 0 else f"{start + 1}-{end}"
        click.echo(f"Showing {span} of {total} matches for {matches.query}{every}:")
    page = matches.costs[start:end]
    texts = cost_search.menu_lines([cost.description for cost in page], MENU_WIDTH)
    for number, cost, text in zip(range(start + 1, end + 1), page, texts):
        click.echo(f"  {number:>2}) {cost.code:<10} {text}  [{valuer.per_unit(cost)}]")


def code_refused(record: models.CaseRecord, cost: models.UnitCost, valuer: Valuer, number: int | None = None) -> bool:
    """Say so and return True if ``cost`` cannot be added to the case at all (e.g. it is part of
    a cost the case already counts), before any more is asked. With ``number`` (an index), the
    cost is tried in place of that line, so that a message numbers every line as the case does."""
    outcomes = list(record.outcomes)
    probe_line = models.OutcomeEntry(code=cost.code, quantity=1)
    if number is None:
        number = len(outcomes)
        outcomes.append(probe_line)
    else:
        outcomes[number] = probe_line
    probe = answer_checks.with_outcomes(record, outcomes)
    inputs = valuer.inputs
    problems = [problem for problem in answer_checks.line_problems(probe, number, inputs.settings,
                                                           inputs.costs, inputs.series)
                if not problem.warning and problem.code != "implausible-line"]  # (asked once the figures are in)
    for problem in problems:
        click.echo(f"Error: {problem.message} ({problem.hint})" if problem.hint else f"Error: {problem.message}")
    return bool(problems)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def ask_line(cost: models.UnitCost, settings_: models.Settings,
             current: models.OutcomeEntry | None = None) -> models.OutcomeEntry:
    """Quantity, years, description and evidence for a line valued with ``cost``."""
    click.echo(f"{cost.code}: {_short(cost.description, 90)} ({cost.unit.strip() or 'per unit'})")
    quantity = ask("Quantity (how many units, greater than 0)",
                   lambda text: answer_checks.parse_positive(text, "quantity", cases.LIMITS["quantity"]),
                   default=case_files.number(current.quantity) if current else "1")
    years = ask("Years it counts for", lambda text: answer_checks.parse_positive(text, "number of years", cases.LIMITS["years"]),
                default=case_files.number(current.years if current else answer_checks.default_years(settings_, cost.code)))
    if current and current.description:  # Enter keeps it, shown in brackets as the evidence note is
        description = ask("Description for the report (a short note; - for the unit cost's own)",
                          lambda text: _free_text("description", text, current.description),
                          default=current.description)
    else:
        description = ask("Description for the report (a short note; Enter: the unit cost's own)",
                          lambda text: _free_text("description", text, ""), default="", show_default=False)
    evidence = ask("Evidence note (short, no names or dates)",
                   lambda text: _free_text("evidence", text, ""),
                   default=current.evidence if current and current.evidence else None)
    return models.OutcomeEntry(code=cost.code, quantity=quantity, years=years, years_stated=True,
                               description=description, evidence=evidence)


def line_defaults(old: models.OutcomeEntry, cost: models.UnitCost, settings_: models.Settings) -> models.OutcomeEntry:
    """What the questions about a changed line offer (Enter keeps): ``old``'s answers, except that
    the settings' years stand for the line's years unless it states its own, and a line given
    another unit cost keeps no description (blank: reports use the new cost's own)."""
    update = {} if old.years_stated else {"years": answer_checks.default_years(settings_, cost.code)}
    if cost.code != old.code:
        update["description"] = ""
    return old.model_copy(update=update)


def _free_text(field: str, text: str, keep: str) -> str:
    text = text.strip()
    if not text:
        return keep
    if text == "-":
        return ""
    message = answer_checks.text_message(field, text)
    if message:
        raise ValueError(message)
    return text


def edit_outcomes(record: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    """Add, change and remove outcome lines, showing each line's saving and the running total.
    Lines already stored are kept as they are; only lines entered now can change."""
    stored = len(record.outcomes)
    inputs = valuer.inputs
    click.echo(f"\nOutcome lines, valued at {valuer.price_year} prices with {inputs.series.name}.")
    if stored:
        show_lines(record, valuer, stored)
    action = "add"
    while True:
        if action == "add":
            cost = find_cost(valuer)
            if cost is not None and not code_refused(record, cost, valuer):
                record = try_line(record, stored, None, ask_line(cost, inputs.settings), valuer)
        elif action == "change":
            record = change_line(record, stored, pick_line(record, stored, "change"), valuer)
        elif action == "remove":
            number = pick_line(record, stored, "remove")
            outcomes = list(record.outcomes)
            removed = outcomes.pop(number)
            record = answer_checks.with_outcomes(record, outcomes)
            click.echo(f"Removed line {number + 1} ({removed.code}). Case total: "
                       f"{render_text.pounds(valuer.total(record))}")
        elif action == "done":
            return record
        new_lines = len(record.outcomes) - stored
        nothing = "no line entered now to {}: lines already stored stay as they are" if stored else "no line to {} yet"
        unavailable = {} if new_lines else {verb: nothing.format(verb) for verb in ("change", "remove")}
        action = choose("Next", ["add", "change", "remove", "done"], default="done" if new_lines or stored else "add",
                        unavailable=unavailable)


def change_line(record: models.CaseRecord, stored: int, number: int, valuer: Valuer) -> models.CaseRecord:
    """Change the line at index ``number``: its unit cost (Enter keeps it; words or a code find
    another), then its quantity, years, description and evidence; show its new saving beside
    the old one."""
    old = record.outcomes[number]
    while True:
        cost = find_cost(valuer, keep=old.code) or valuer.inputs.costs[old.code]
        if cost.code == old.code or not code_refused(record, cost, valuer, number):
            break
    typed = ask_line(cost, valuer.inputs.settings, line_defaults(old, cost, valuer.inputs.settings))
    changed = try_line(record, stored, number, typed, valuer)
    if changed is not record:
        before, after = valuer.line(record, old).saving, valuer.line(changed, changed.outcomes[number]).saving
        moved = (f"+{render_text.pounds(after - before)}" if after >= before
                 else f"-{render_text.pounds(before - after)}")
        click.echo(f"  (was {old.code} x {case_files.number(old.quantity)} x {case_files.years_text(old.years)} = "
                   f"{render_text.pounds(before)}: the case total moves by {moved})")
    return changed


def try_line(record, stored: int, number: int | None, outcome: models.OutcomeEntry, valuer: Valuer):
    """Put a line in (appended, or replacing line ``number``) if the checks accept it; show its
    saving and the running total."""
    outcomes = list(record.outcomes)
    if number is None:
        outcomes.append(outcome)
        number = len(outcomes) - 1
    else:
        outcomes[number] = outcome
    candidate = answer_checks.with_outcomes(record, outcomes)
    inputs = valuer.inputs
    problems = answer_checks.line_problems(candidate, number, inputs.settings, inputs.costs, inputs.series)
    doubts = [problem for problem in problems if problem.code == "implausible-line"]
    if doubts and len(doubts) == len(problems_.errors(problems)):  # its only errors: asked, not refused
        acknowledged = ask_acknowledgement(doubts)
        if not acknowledged:
            click.echo("The line was not kept.")
            return record
        outcome = outcome.model_copy(update={"acknowledged": acknowledged})
        outcomes[number] = outcome
        candidate = answer_checks.with_outcomes(record, outcomes)
        problems = answer_checks.line_problems(candidate, number, inputs.settings, inputs.costs, inputs.series)
    errors = problems_.errors(problems)
    if errors:
        for problem in errors:
            click.echo(f"Error: {problem.message} ({problem.hint})" if problem.hint else f"Error: {problem.message}")
        click.echo("The line was not kept.")
        return record
    for problem in problems_.warnings(problems):
        if doubts and problem.code == "implausible-line-acknowledged":
            continue  # acknowledged just now
        click.echo(f"Warning: {problem.message} ({problem.hint})" if problem.hint else f"Warning: {problem.message}")
    line = valuer.line(candidate, outcome)
    click.echo(f"  Line {number + 1}: {line.code} x {case_files.number(line.quantity)} x "
               f"{case_files.years_text(line.years)} = {render_text.pounds(line.saving)}    "
               f"Case total: {render_text.pounds(valuer.total(candidate))}")
    return candidate


def ask_acknowledgement(doubts: list[problems_.Problem]) -> str:
    """Show why a line looks implausible and ask why its figure is right: the note recorded on
    the line as ``acknowledged``; blank when the person would rather not keep the line."""
    for doubt in doubts:
        click.echo(f"Check: {doubt.message}")
    return ask("Is the figure right? If so, say why in a short note, recorded on the line as acknowledged "
               "(Enter: do not keep the line)",
               lambda text: _free_text("acknowledgement", text, ""), default="", show_default=False)


def pick_line(record: models.CaseRecord, stored: int, verb: str) -> int:
    first, last = stored + 1, len(record.outcomes)
    for index in range(stored, last):
        outcome = record.outcomes[index]
        click.echo(f"  {index + 1}) {outcome.code} x {case_files.number(outcome.quantity)}"
                   f"  {outcome.description or ''}")
    span = f"{first}" if first == last else f"{first}-{last}"

    def convert(text: str) -> int:
        if text.strip().isdigit() and first <= int(text) <= last:
            return int(text) - 1
        raise ValueError(f"type a line number from {span} (lines already stored stay as they are)")

    return ask(f"Which line to {verb} ({span})", convert)


def show_lines(record: models.CaseRecord, valuer: Valuer, stored: int = 0) -> None:
    for index, outcome in enumerate(record.outcomes):
        line = valuer.line(record, outcome)
        mark = " (stored)" if index < stored else ""
        click.echo(f"  Line {index + 1}{mark}: {line.code} x {case_files.number(line.quantity)} x "
                   f"{case_files.years_text(line.years)} = {render_text.pounds(line.saving)}")
    click.echo(f"  Case total: {render_text.pounds(valuer.total(record))}")


def show_case(record: models.CaseRecord, stored_events: int, valuer: Valuer) -> None:
    """The finished case as it will be written: history, and the savings table once completed."""
    click.echo(f"\nCase {record.reference}: {record.service}, {record.locality}")
    show_history(record, stored_events)
    if record.completed_on is not None:
        valuation = answer_checks.value_case(record, valuer.inputs.settings, valuer.inputs.costs, valuer.inputs.series)
        # A blank description is shown as the unit cost's own, which can run to 150 characters:
        # shortened here so the table fits a terminal (the file keeps it blank).
        lines = tuple(line.model_copy(update={"description": _short(line.description, DESCRIPTION_WIDTH)})
                      for line in valuation.lines)
        click.echo("")
        click.echo(render_text.render_case_only(valuation.model_copy(update={"lines": lines}), valuer.price_year))


# --- case new / update -----------------------------------------------------------------------


RESUME_OPTION = click.option(
    "--resume", "resume_file", metavar="FILE", type=click.Path(dir_okay=False), callback=given_path,
    help="Save a case kept in FILE when an earlier run could not save it (shown, checked, and "
         "written when you confirm).")


@click.command("new")
@input_options
@RESUME_OPTION
@stop_cleanly
def case_new(settings_file, cases_folder, unit_cost_files, resume_file):
    """Enter a new case, one question at a time, and write its case file.

    Asks for the service, locality, reference (offering the next free one) and referral date;
    then, if the case has already moved on, its later status events and, once completed, its
    outcome lines with their savings. Shows the case and asks before writing; Ctrl-C or 'no'
    writes nothing. The file is checked as `validate` checks it before it is saved. If it
    cannot be saved (disk full, folder locked...), the case is kept in a recovery file that
    --resume FILE saves later.

    \b
    Example:
      up2u-cba case new
      up2u-cba case new --resume FILE  # FILE: as named when it could not save
    """
    finish_interrupted_import_of(settings_file, cases_folder)
    loading = LoadingCases(settings_file, cases_folder, unit_cost_files)
    warn_unsaved(loading.settings.cases_folder, resume_file)
    if resume_file:
        inputs = loading.inputs()
        record = resumed_case(resume_file, inputs)
        click.echo(f"Resuming case {record.reference} from {resume_file}.")
        if already_stored(record, inputs):
            click.echo(f"{record.reference} is already stored as kept there: nothing to write.")
            finished(resume_file)
            return
    else:
        record = enter_new_case(loading)
    inputs = loading.inputs()
    path = save_new_case(record, inputs, Valuer(inputs), resume_file)
    click.echo(f"Saved {path}; it passes the checks `validate` runs.")
    finished(resume_file)


def enter_new_case(loading: LoadingCases) -> models.CaseRecord:
    """Ask for a new case, question by question (the cases are read meanwhile: ``LoadingCases``)."""
    settings = loading.settings
    folder = settings.cases_folder
    click.echo("New case. Enter takes the answer in [brackets]; Ctrl-C stops without writing anything.")
    names = [service.name for service in settings.services]
    service = settings.service(choose("Service", names, default=names[0] if len(names) == 1 else None))
    loading.stop_if_failed()
    locality = choose("Locality", list(service.localities),
                      default=service.localities[0] if len(service.localities) == 1 else None)
    loading.stop_if_failed()
    in_use = case_files.known_references(folder)
    suggestion = case_files.next_reference(service, in_use)

    def check_reference(text: str) -> str:
        text = text.strip()
        withdrawn = {record.reference.upper(): record.file for record in loading.inputs().withdrawn}
        if text.upper() in withdrawn:  # (its file is in use: `case update` would be refused)
            raise ValueError(f"{text} is a withdrawn case's reference ({withdrawn[text.upper()]}): a reference is "
                             f"never used again; take the next free one{f' ({suggestion})' if suggestion else ''}")
        message = answer_checks.reference_message(text, service, in_use)
        if message:
            raise ValueError(message)
        return text

    reference = ask("Reference (pseudonymised)", check_reference, default=suggestion)
    today = datetime.date.today()
    referred = ask(f"Referral date ({DATE_FORMS})", lambda text: answer_checks.parse_date(text, not_after=today),
                   default=f"{today:%Y-%m-%d}")
    record = models.CaseRecord(reference=reference, service=service.name, locality=locality,
                               history=(models.StatusEvent(status=models.Status.REFERRED, date=referred),))
    valuer = Valuer(loading.inputs())
    record = add_events(record, valuer, required=False)
    return finish_completion(record, valuer)


def save_new_case(record: models.CaseRecord, inputs: pipeline.Inputs, valuer: Valuer, resume_file: str | None) -> str:
    """Show the case, ask, and write it (offering the next free reference if its own was taken
    meanwhile); return its path. If it cannot be written, keep it in a recovery file and stop."""
    folder = inputs.settings.cases_folder
    service = inputs.settings.service(record.service)
    path = case_files.new_case_path(folder, service.name, inputs.stored, record.reference)
    show_case(record, 0, valuer)
    while True:
        if not ask_yes_no(f"Write case {record.reference} to {path}?"):
            raise Stopped
        created = case_history.new_change(models.ChangeKind.CREATED, inputs.settings)
        problems = case_files.save_new(case_history.with_change(record, created).model_copy(update={"file": path}),
                                       path, folder, inputs.settings, inputs.costs, inputs.series)
        if problems and problems[0].code == "reference-taken":
            other = case_files.next_reference(service, case_files.known_references(folder))
            click.echo(f"{record.reference} has just been taken by someone else.")
            if other is None:
                keep_and_fail(record, problems, folder, update=False, resume_file=resume_file)
            record = record.model_copy(update={"reference": other})
            path = case_files.new_case_path(folder, service.name, inputs.stored, other)
            continue
        if problems:
            keep_and_fail(record, problems, folder, update=False, resume_file=resume_file)
        return path


def resumed_case(path: str, inputs: pipeline.Inputs, stored: models.CaseRecord | None = None) -> models.CaseRecord:
    """The case kept in recovery file ``path``: for `case new` a case of a known service, for
    `case update` the ``stored`` case with additions only."""
    record, problems = unsaved_cases.load(path, inputs.settings.cases_folder)
    if record is None:
        fail(problems, wrote_nothing=False)
    if stored is None and inputs.settings.service(record.service) is None:
        fail([problems_.Problem(code="unknown-service", file=path, where="service",
                      message=f"'{record.service}' is not a service in the settings",
                      hint="use one of: " + ", ".join(known.name for known in inputs.settings.services))],
             wrote_nothing=False)
    if stored is not None and (record.reference.lower() != stored.reference.lower()
                               or not case_files.appended(stored, record.model_copy(update={"file": stored.file,
                                                                                            "reference": stored.reference}))):
        fail([problems_.Problem(code="resume-mismatch", file=path, where="--resume",
                      message=f"this file is not {stored.reference} as stored with additions at the end "
                              "(the stored case has changed since, or it is another case)",
                      hint=f"enter the additions again with `up2u-cba case update {stored.reference}`; "
                           "the file shows what was typed")], wrote_nothing=False)
    if stored is not None:
        return record.model_copy(update={"reference": stored.reference, "file": stored.file})
    return record.model_copy(update={"file": ""})


def already_stored(record: models.CaseRecord, inputs: pipeline.Inputs) -> bool:
    """True if a stored case is exactly ``record`` (a recovery file resumed twice)."""
    return any(case_files.same_case(stored.model_copy(update={"changes": ()}), record.model_copy(update={"changes": ()}))
               for stored in inputs.stored if stored.reference.lower() == record.reference.lower())


def keep_and_fail(record: models.CaseRecord, problems: list[problems_.Problem], folder: str, update: bool,
                  resume_file: str | None) -> None:
    """The case could not be saved: keep what was typed (unless it came from a recovery file,
    which stays where it is) and say where and how to finish; exit 1."""
    if resume_file:
        fail(problems, note=f"The case is still kept in {resume_file}; once the problem is solved, run: "
                            f"{unsaved_cases.resume_command(record, update, resume_file)}")
    why = "; ".join(problem.message for problem in problems)
    path, text = unsaved_cases.keep(record, folder, update, why)
    if path is None:
        click.echo(text)
        fail(problems, note="The case could not be kept in a file either (nothing can be written): it is printed "
                            "above. Copy it into a file, and when the problem is solved run: "
                            f"{unsaved_cases.resume_command(record, update, 'FILE')}")
    fail(problems, note=f"What you typed is kept in {path}. Once the problem is solved, run: "
                        f"{unsaved_cases.resume_command(record, update, path)}")


def warn_unsaved(cases_folder: str, resume_file: str | None = None) -> None:
    """Remind the user of cases kept in recovery files beside the cases and not yet saved."""
    waiting = [path for path in unsaved_cases.pending(cases_folder)
               if not resume_file or os.path.abspath(path) != os.path.abspath(resume_file)]
    if waiting:
        click.echo(f"Note: {problems_.counted(len(waiting), 'case')} entered earlier could not be saved and "
                   f"{'is' if len(waiting) == 1 else 'are'} kept in "
                   f"{os.path.dirname(waiting[0])}; save each with the command in its first lines "
                   "(`up2u-cba case new --resume FILE` for a new case).", err=True)


def finished(resume_file: str | None) -> None:
    """After a resumed case is saved, remove its recovery file."""
    if resume_file and not unsaved_cases.discard(resume_file):
        click.echo(f"Note: {resume_file} could not be removed; it is no longer needed.", err=True)


@click.command("update")
@input_options
@RESUME_OPTION
@click.argument("reference")
@stop_cleanly
def case_update(settings_file, cases_folder, unit_cost_files, resume_file, reference):
    """Add a dated status event to a case (and, on completion, its outcome lines).

    Events are added after the last one (assessment, programme start, completed, or closed
    with its reason); nothing stored is changed or removed: a case closed by mistake is
    re-opened by a new event. For a completion, find unit costs by words or type a code (taken
    at once, in any case); a long list of matches pages on (n), narrows (+ words) or gives way
    to a new search. Give quantity, years, a description for the report (Enter: the unit
    cost's own) and an evidence note, and see each line's saving and the running total; a line entered now can be changed (its code too) or removed. Shows the
    case and asks before writing; Ctrl-C or 'no' writes nothing.

    \b
    Example:
      up2u-cba case update BCP-0071
    """
    inputs, case_problems = load_for_entry(settings_file, cases_folder, unit_cost_files, writes=True)
    warn_unsaved(inputs.settings.cases_folder, resume_file)
    valuer = Valuer(inputs)
    old = find_case(reference, inputs, case_problems, hint="; a new case is entered with `up2u-cba case new`")
    if old.withdrawn:  # counted nowhere: an update would change figures no report shows
        fail([withdrawn_problem(old, "update")], wrote_nothing=False)
    old_text, problem = case_files.read_stored(old.file)
    if problem is not None:
        fail([problem], wrote_nothing=False)
    click.echo(f"Case {old.reference}: {old.service}, {old.locality} ({old.file})")
    show_history(old, len(old.history))
    if resume_file:
        record = resumed_case(resume_file, inputs, stored=old)
        click.echo(f"Resuming the additions kept in {resume_file}.")
    else:
        record = enter_additions(old, valuer)
    if record == old:
        click.echo("Nothing to add.")
        raise Stopped
    show_case(record, len(old.history), valuer)
    if not ask_yes_no(f"Write these additions to {old.file}?"):
        raise Stopped
    updated = case_history.new_change(models.ChangeKind.UPDATED, inputs.settings, case_history.differences(old, record))
    problems = case_files.save_update(old, old_text, case_history.with_change(record, updated),
                                      inputs.settings.cases_folder, inputs.settings, inputs.costs, inputs.series)
    if problems:
        keep_and_fail(record, problems, inputs.settings.cases_folder, update=True, resume_file=resume_file)
    click.echo(f"Saved {old.file}; it passes the checks `validate` runs.")
    finished(resume_file)


def enter_additions(old: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    """Ask for the stored case's new status events and, on completion, its outcome lines."""
    click.echo("Enter takes the answer in [brackets]; Ctrl-C stops without writing anything.")
    record = old
    if old.completed_on is None:
        record = add_events(record, valuer, required=True)
    else:
        click.echo(f"Completed on {old.completed_on:%Y-%m-%d}: a completed case has no later status; "
                   "you can add the outcome lines it is missing.")
    return finish_completion(record, valuer)


def add_events(record: models.CaseRecord, valuer: Valuer, required: bool) -> models.CaseRecord:
    """Ask for status events until the user has no more (or the case completes)."""
    while record.completed_on is None:
        event = ask_event(record, required)
        if event is None:
            break
        record = answer_checks.with_event(record, event)
        required = False
    return record


def finish_completion(record: models.CaseRecord, valuer: Valuer) -> models.CaseRecord:
    """For a completed case, take its outcome lines; a completion with none is confirmed."""
    if record.completed_on is None:
        return record
    while True:
        record = edit_outcomes(record, valuer)
        if record.outcomes or ask_yes_no("No outcome lines: record the completion with no savings?"):
            return record


# --- case list -------------------------------------------------------------------------------


@click.command("list")
@input_options
@click.option("--year", metavar="YYYY/YY", help="Only cases active in this financial year (referred by its end, "
              "not completed or closed before it began).")
@click.option("--service", metavar="NAME", help="Only this service's cases.")
@click.option("--locality", metavar="NAME", help="Only this locality's cases.")
@click.option("--status", type=click.Choice(STATUS_VALUES, case_sensitive=False),
              help="Only cases whose current (latest) status is this.")
@click.option("--withdrawn", "withdrawn_only", is_flag=True,
              help="List only the withdrawn cases (left out of every report), with when and why each was withdrawn.")
def case_list(settings_file, cases_folder, unit_cost_files, year, service, locality, status, withdrawn_only):
    """List cases: reference, service, locality, referral, current status, and saving once completed.
    Withdrawn cases are left out, as from every report; --withdrawn lists them alone.

    \b
    Example:
      up2u-cba case list --year 2022/23 --service BCP --status completed
      up2u-cba case list --withdrawn
    """
    inputs, case_problems = load_for_entry(settings_file, cases_folder, unit_cost_files)
    selection, problems = read_selection(inputs, service, year, status, locality)
    if problems:
        fail(problems, wrote_nothing=False)
    warn_case_problems(case_problems)
    broken = {problem.file for problem in case_problems}
    if withdrawn_only:
        list_withdrawn(case_selection.select(inputs.withdrawn, selection))
        return
    valuer = Valuer(inputs)
    rows = []
    total = models.ZERO
    for record in case_selection.select(inputs.cases, selection):
        current = record.history[-1]
        saving = ""
        if record.completed_on is not None and record.file not in broken:
            amount = valuer.total(record)
            total += amount
            saving = render_text.pounds(amount)
        reason = f" ({current.reason.value.replace('_', ' ')})" if current.reason else ""
        rows.append([record.reference, record.service, record.locality, f"{record.referred_on:%Y-%m-%d}",
                     current.status.value + reason, f"{current.date:%Y-%m-%d}", saving])
    if not rows:
        click.echo("No case matches.")
        return
    headers = ["Reference", "Service", "Locality", "Referred", "Status", "Since",
               f"Saving ({valuer.price_year} prices)"]
    click.echo(render_text.table(headers, rows, numeric_from=6))
    completed = sum(1 for row in rows if row[6])
    savings = f"{completed} completed, saving {render_text.pounds(total)} in all" if completed else "none completed"
    withdrawn = len(case_selection.select(inputs.withdrawn, selection))
    left_out = (f" ({problems_.counted(withdrawn, 'withdrawn case')} left out: `up2u-cba case list --withdrawn`)"
                if withdrawn else "")
    click.echo(f"\n{problems_.counted(len(rows), 'case')}, {savings}.{left_out}")


def list_withdrawn(records: list[models.CaseRecord]) -> None:
    """The withdrawn cases, marked, with when and why each was withdrawn."""
    if not records:
        click.echo("No withdrawn case matches.")
        return
    rows = []
    for record in sorted(records, key=lambda record: (record.service, record.reference)):
        change = case_history.withdrawal(record)
        current = record.history[-1]
        rows.append([record.reference, "WITHDRAWN", record.service, record.locality, f"{record.referred_on:%Y-%m-%d}",
                     current.status.value, f"{change.made:%Y-%m-%d}" if change else "not recorded",
                     (change.reason or "not recorded") if change else "marked by hand"])
    headers = ["Reference", "", "Service", "Locality", "Referred", "Status", "Withdrawn on", "Reason"]
    click.echo(render_text.table(headers, rows, numeric_from=len(headers)))
    click.echo(f"\n{problems_.counted(len(rows), 'withdrawn case')}, left out of every report and count; "
               "`up2u-cba case restore REF --reason \"...\"` brings one back.")


# --- intake ----------------------------------------------------------------------------------


@click.group("intake")
def intake_group() -> None:
    """Enter cases in Excel: write a template, fill it in, import it."""


template_options = options(SETTINGS_OPTION, UNIT_COSTS_OPTION)
"""The options of `intake template`: where the services and unit costs come from."""


@intake_group.command("template")
@template_options
@click.argument("path", metavar="PATH.xlsx")
@click.option("--overwrite", is_flag=True, help="Replace the workbook at PATH if it exists.")
def intake_template(settings_file, unit_cost_files, path, overwrite):
    """Write an empty intake workbook to fill in: a Cases sheet (one row per status event), an
    Outcomes sheet, drop-down lists of services, localities, statuses, closure reasons and unit
    costs, date cells, and a Help sheet.

    \b
    Example:
      up2u-cba intake template intake-2023-24.xlsx
    """
    problem = workbook_path_problem(path, overwrite, "PATH")
    if problem:
        fail([problem])
    loaded, problems = pipeline.load_costs(settings_file, unit_cost_files)
    if loaded is None:
        fail(problems)
    settings_, costs, series = loaded
    with storage.writing(path, "PATH"):
        intake.write_template(path, settings_, costs, series)
    click.echo(f"Wrote {path}: fill in the Cases and Outcomes sheets (see its Help sheet), then run "
               f"`up2u-cba intake import {path}`.")


@intake_group.command("export")
@input_options
@click.argument("path", metavar="PATH.xlsx")
@click.option("--service", metavar="NAME", help="Only this service's cases.")
@click.option("--year", metavar="YYYY/YY", help="Only cases active in this financial year (referred by its end, "
              "not completed or closed before it began).")
@click.option("--status", type=click.Choice(STATUS_VALUES, case_sensitive=False),
              help="Only cases whose current (latest) status is this.")
@click.option("--reference", "references", multiple=True, metavar="REF",
              help="Only this case (give it again for more).")
@click.option("--overwrite", is_flag=True, help="Replace the workbook at PATH if it exists.")
def intake_export(settings_file, cases_folder, unit_cost_files, path, service, year, status, references, overwrite):
    """Write stored cases into an intake workbook, to correct them in Excel and import them back.

    The workbook is the one `intake template` writes, filled in: one Cases row per status event,
    one Outcomes row per outcome line, every field (years, evidence, adjustments...). Its Export
    sheet says when it was made and that importing it replaces those cases. Filters combine;
    withdrawn cases are never exported. Importing it back lists, per case, what changed and the
    change in saving; `intake import PATH --replace --reason "..."` stores the corrections.

    \b
    Example:
      up2u-cba intake export corrections.xlsx --service BCP --year 2022/23 --status completed
      up2u-cba intake export bcp-0042.xlsx --reference BCP-0042
    """
    problem = workbook_path_problem(path, overwrite, "PATH")
    if problem:
        fail([problem])
    inputs, case_problems = load_for_entry(settings_file, cases_folder, unit_cost_files)
    wanted = {reference.strip().lower() for reference in references}
    broken = [problem for problem in case_problems  # a case asked for whose file cannot be read: say why
              if os.path.splitext(os.path.basename(problem.file))[0].lower() in wanted]
    if broken:
        fail(broken)
    selection, problems = read_selection(inputs, service, year, status, references=references)
    if problems:
        fail(problems)
    warn_case_problems(case_problems)
    records = case_selection.select(inputs.cases, selection)
    if not records:
        fail([problems_.Problem(code="nothing-to-export", file=inputs.settings.cases_folder, where="selection",
                      message=f"no stored case matches: {selection.describe()}",
                      hint="`up2u-cba case list` with the same --service, --year and --status lists the stored cases")])
    with storage.writing(path, "PATH"):
        intake.write_export(path, inputs.settings, inputs.costs, inputs.series, records, selection)
    events = sum(len(record.history) for record in records)
    lines = sum(len(record.outcomes) for record in records)
    click.echo(f"Wrote {path}: {problems_.counted(len(records), 'case')}, {problems_.counted(events, 'status row')} "
               f"and {problems_.counted(lines, 'outcome row')}. "
               f"Correct them there, then run `up2u-cba intake import {path} --dry-run` to see what changed, and "
               f"`up2u-cba intake import {path} --replace --reason \"...\"` to store it.")


def read_selection(inputs: pipeline.Inputs, service: str | None, year: str | None, status: str | None,
                   locality: str | None = None,
                   references: tuple[str, ...] = ()) -> tuple[case_selection.Selection, list[problems_.Problem]]:
    """The cases the filters of `case list` or `intake export` pick, or why the filters cannot be
    used (all said at once). An empty filter is a mistake, not 'no filter'."""
    problems = []
    chosen_year = None
    if year is not None:
        try:
            chosen_year = models.FinancialYear.parse(year)
        except ValueError as error:
            problems.append(problems_.Problem(code="bad-year", file="", where="--year", message=str(error), hint="e.g. --year 2022/23"))
    if service is not None and inputs.settings.service(service) is None:
        names = ", ".join(known.name for known in inputs.settings.services)
        problems.append(problems_.Problem(code="unknown-service", file=inputs.settings.file, where="--service",
                                message=f"'{service}' is not a service in the settings", hint=f"use one of: {names}"))
    localities = [name for known in inputs.settings.services for name in known.localities]
    if locality is not None and locality.lower() not in {name.lower() for name in localities}:
        problems.append(problems_.Problem(code="unknown-locality", file=inputs.settings.file, where="--locality",
                                message=f"'{locality}' is not a locality in the settings",
                                hint="use one of: " + ", ".join(localities)))
    problems += reference_problems(inputs, references)
    selection = case_selection.Selection(
        service=inputs.settings.service(service).name if service and not problems else service, locality=locality,
        year=chosen_year, status=models.Status(status.lower()) if status else None,
        references=tuple(reference.strip() for reference in references))
    return selection, problems


def reference_problems(inputs: pipeline.Inputs, references: tuple[str, ...]) -> list[problems_.Problem]:
    """Why a reference `intake export` is asked for cannot be exported: withdrawn, or unknown."""
    problems = []
    active = {record.reference.upper() for record in inputs.cases}
    withdrawn = {record.reference.upper(): record for record in inputs.withdrawn}
    for reference in references:
        if reference.strip().upper() in withdrawn:
            problems.append(problems_.Problem(code="withdrawn-case", file=withdrawn[reference.strip().upper()].file,
                                    where="--reference", message=f"{reference} is withdrawn: it is not exported",
                                    hint=f"restore it first (`up2u-cba case restore {reference}`)"))
        elif reference.strip().upper() not in active:
            problems.append(problems_.Problem(code="unknown-case", file=inputs.settings.cases_folder, where="--reference",
                                    message=f"no case with reference '{reference}'",
                                    hint=case_files.unknown_reference_hint(reference, [record.reference
                                                                                      for record in inputs.cases])))
    return problems


@intake_group.command("import")
@input_options
@click.argument("path", metavar="PATH.xlsx")
@click.option("--replace", is_flag=True, help="Replace each stored case the workbook changes with the workbook's "
              "version (each change is listed first and recorded in the case's history). Needs --reason. "
              "Without it, a workbook that changes a stored case is refused.")
@reason_option("Needed with --replace.")
@click.option("--update", is_flag=True, hidden=True)
@click.option("--dry-run", is_flag=True, help="Check and list what would be written, but write nothing.")
@click.option("--overwrite-later-changes", is_flag=True,
              help="With --replace: replace a stored case even though it was changed after the workbook was "
                   "exported (amended, say), undoing that change. Without it, such a case is refused.")
def intake_import(settings_file, cases_folder, unit_cost_files, path, replace, reason, update, dry_run,
                  overwrite_later_changes):
    """Check a filled-in intake workbook (or an edited export) and write its cases.

    Every row is checked, then every case as `validate` checks it; all problems are listed at
    once by sheet, row and column (exit status 1), and then nothing is written. A stored case in
    the workbook is held whole (as `intake export` writes it) and compared with what is stored:
    the events and outcome lines added, changed and removed, and the change in saving, are
    listed per case. Applying replaces the stored case with the workbook's version (a changed
    line is a change, never a second line) and needs --replace --reason "..."; without it such
    a workbook is refused. New cases are written; a case as stored is left alone, so importing
    the same workbook again changes nothing and says so (exit status 0). An export is not
    imported over a stored case changed since it was exported (the change would be undone):
    export the case again, or add --overwrite-later-changes.

    The cases are stored all or none: an import stopped part-way (Ctrl-C, a full disk, a
    crash) is finished or undone by the next command that writes cases (an import, or a case
    entered, updated, corrected, withdrawn or restored), which says what it did; until then
    `validate` reports it.

    \b
    Example:
      up2u-cba intake import intake-2023-24.xlsx
      up2u-cba intake import corrections.xlsx --dry-run
      up2u-cba intake import corrections.xlsx --replace --reason "quantities confirmed by police check"
    """
    option_problems = import_option_problems(replace, reason, update)
    if option_problems:
        fail(option_problems)
    reason = (reason or "").strip()
    loaded, problems = settings.load(settings_file)
    if loaded is None:
        fail(problems, wrote_nothing=False)
    folder = cases_folder or loaded.cases_folder
    if dry_run and import_journal.interrupted(folder):
        fail(import_journal.pending(folder))  # a dry run changes nothing, so it cannot settle it
    # Stored cases are read under the write lock, and it is held until the import is written, so
    # what is compared is what is replaced (each file is also checked unchanged as it is staged).
    try:
        with storage.folder_lock(folder):
            if not dry_run:
                finish_interrupted_import(folder)
            inputs, case_problems = load_for_entry(settings_file, cases_folder, unit_cost_files)
            plan = intake.plan_import(path, inputs.settings, inputs.costs, inputs.series, inputs.cases,
                                      case_problems, replace, withdrawn=inputs.withdrawn)
            show_warnings(plan.warnings)
            if plan.problems:
                fail(plan.problems)
            report_plan(plan, Valuer(inputs))
            stale = [] if overwrite_later_changes else changed_since_export(plan)
            if dry_run and not stale:  # (a preview: the changes it lists are what --replace would store)
                click.echo("Dry run: nothing was written."
                           + (' To store the changes listed, import with --replace --reason "why".'
                              if plan.of_kind("changed") else ""))
                return
            refused = (replace_not_asked(plan) if not dry_run else []) + stale
            if refused:
                fail(refused)
            written, problems = intake.apply(plan, inputs.settings, inputs.costs, inputs.series, reason)
    except import_journal.Stopped as stopped:
        count = len(plan.of_kind("new")) + len(plan.of_kind("replace"))
        click.echo({import_journal.ALL: f"\nStopped: the import was finished first, all {problems_.counted(count, 'case file')} written.",
                    import_journal.NONE: "\nStopped: nothing was written.",
                    import_journal.PENDING: f"\nStopped part-way: {import_journal.RECOVERED_BY} finishes or "
                                            "undoes the import (`up2u-cba validate` says which)."}[stopped.stored])
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("\nStopped: nothing was written.")
        sys.exit(1)
    if problems:  # all or none: none were stored, unless the next run is to finish the import
        fail(problems, wrote_nothing=not any(problem.code == "interrupted-import" for problem in problems))
    new = [change for change in written if change.kind == "new"]
    replaced = [change for change in written if change.kind == "replace"]
    if written:
        click.echo(f"Done: {problems_.counted(len(new), 'new case')} written and "
                   f"{problems_.counted(len(replaced), 'stored case')} replaced; "
                   "each passes the checks `validate` runs.")
    else:
        click.echo(nothing_written(plan))


def import_option_problems(replace: bool, reason: str | None, update: bool) -> list[problems_.Problem]:
    """Why the options of `intake import` cannot be used as given."""
    if update:  # (it appended a changed line as a second one; an old script is stopped, not given a new meaning)
        return [problems_.Problem(code="option-withdrawn", file="", where="--update",
                        message="--update is no more: it added a corrected line as a second line, counting it twice",
                        hint='a stored case is now held whole in the workbook (`up2u-cba intake export` writes it) '
                             'and replaced with --replace --reason "why"; see what would change with --dry-run')]
    if replace or reason is not None:  # (--replace needs one: it is recorded in each replaced case's history)
        return case_history.reason_problems(reason, "--reason", example="quantities confirmed by police check")
    return []


def replace_not_asked(plan: intake.Plan) -> list[problems_.Problem]:
    """The refusal of a workbook that changes stored cases, imported without --replace."""
    return [problems_.Problem(code="changes-stored-case", file=plan.workbook, where=change.reference,
                    message=f"the workbook changes the stored case {change.reference} ({change.path}): "
                            f"{problems_.counted(len(change.differences), 'difference')}, listed above",
                    hint='to replace it with the workbook\'s version, import with --replace --reason "why"')
            for change in plan.of_kind("changed")]


def changed_since_export(plan: intake.Plan) -> list[problems_.Problem]:
    """The refusal of each stored case the workbook would replace that was changed after the
    workbook was exported: its rows are older than the case, so replacing it would undo the change."""
    problems = []
    for change in plan.of_kind("replace") + plan.of_kind("changed"):
        hint = (f"export it again (`up2u-cba intake export FILE.xlsx --reference {change.reference}`) and make the "
                "corrections there, or add --overwrite-later-changes to replace it all the same")
        if change.later is None:
            problems.append(problems_.Problem(
                code="changed-since-export", file=plan.workbook, where=f"{intake.EXPORT_SHEET}: {change.reference}",
                message=f"the workbook's Export sheet no longer says when {change.reference} was exported, so "
                        "whether it was changed since cannot be told", hint=hint))
        elif change.later:
            first = change.later[0]
            more = f" (and {problems_.counted(len(change.later) - 1, 'later change')})" if len(change.later) > 1 else ""
            exported = f" on {plan.exported:%Y-%m-%d %H:%M:%S} UTC" if plan.exported else ""
            problems.append(problems_.Problem(
                code="changed-since-export", file=plan.workbook, where=change.reference,
                message=f"the stored case {change.reference} ({change.path}) was changed after this workbook was "
                        f"exported{exported}: {first.kind.value} on {first.made:%Y-%m-%d %H:%M:%S} UTC, reason: "
                        f"{first.reason or 'none recorded'}{more}; replacing it with the workbook's version would "
                        "undo that", hint=hint))
    return problems


def nothing_written(plan: intake.Plan) -> str:
    """Why an import wrote nothing, true to what the plan listed."""
    if not plan.changes:
        return "Nothing was written: the workbook's Cases and Outcomes sheets have no rows."
    return "Nothing was written: every case in the workbook is already stored as it has it."


def report_plan(plan: intake.Plan, valuer: Valuer) -> None:
    """What the import would write: new cases, and per stored case the workbook changes, what
    changed and the change in its saving."""
    cases_rows, outcome_rows = plan.rows
    click.echo(f"Checked {plan.workbook}: {problems_.counted(cases_rows, 'status row')} and "
               f"{problems_.counted(outcome_rows, 'outcome row')}, {problems_.counted(len(plan.changes), 'case')}; "
               "no problems found.")
    new = plan.of_kind("new")
    if new:
        click.echo(f"New cases ({len(new)}):")
        for change in new:
            saving = f", saving {render_text.pounds(valuer.total(change.record))}" if change.record.outcomes else ""
            events = problems_.counted(len(change.record.history), 'event')
            click.echo(f"  {change.reference}  {change.path}  ({events}, "
                       f"{problems_.counted(len(change.record.outcomes), 'outcome line')}{saving})")
    changed = plan.of_kind("replace") + plan.of_kind("changed")
    if changed:
        verb = "to be replaced by the workbook's version" if plan.of_kind("replace") else "changed by the workbook"
        click.echo(f"Stored cases {verb} ({len(changed)}):")
        for change in changed:
            before, after = valuer.total(change.old), valuer.total(change.record)
            difference = after - before
            sign = "+" if difference > 0 else ""
            click.echo(f"  {change.reference} ({change.path}): saving {render_text.pounds(before)} -> "
                       f"{render_text.pounds(after)} ({sign}{render_text.pounds(difference)})")
            for item in change.differences:
                click.echo(f"    {item}")
    unchanged = plan.of_kind("unchanged")
    if unchanged:
        click.echo(f"Already stored as the workbook has them, unchanged ({len(unchanged)}): "
                   + ", ".join(change.reference for change in unchanged))
