"""What every command-line module shares: printing problems, the input options and the options
of a change (--reason, --yes), loading inputs, finding a stored case."""

from __future__ import annotations

import errno
import os
import re
import stat
import sys

import click

from up2u_cba import this_run
from up2u_cba.cli import lazy

# The library is imported on first use, inside a command, so that --help is instant (see cli/lazy.py).
models = lazy.module("up2u_cba.models")
pipeline = lazy.module("up2u_cba.pipeline")
storage = lazy.module("up2u_cba.storage")
case_files = lazy.module("up2u_cba.entry.case_files")
case_history = lazy.module("up2u_cba.entry.case_history")
problems_ = lazy.module("up2u_cba.problems")
settings_location = lazy.module("up2u_cba.inputs.settings_location")

DEFAULT_SETTINGS_FILE = "up2u-cba.toml"
"""``settings.DEFAULT_FILE``, written out so that the options are defined without loading the
library (a test keeps the two in step)."""


def fail(problems: list[problems_.Problem], wrote_nothing: bool = True, note: str = "") -> None:
    """Print every problem to stderr (then ``note``, if any) and exit 1."""
    ending = "; nothing was written:" if wrote_nothing else ":"
    click.echo(f"{problems_.counted(len(problems), 'problem')} found{ending}", err=True)
    for problem in sorted(problems, key=reading_order):
        click.echo(f"  {problem}", err=True)
    if note:
        click.echo(note, err=True)
    context = click.get_current_context(silent=True)
    found = None if context is None else context.meta.get(_SETTINGS_FOUND)
    if found is not None and found.how not in (settings_location.GIVEN, settings_location.HERE):
        # (a file found in a folder above, or named by the variable: say which file the problems are of)
        click.echo(settings_used(), err=True)
    sys.exit(1)


def reading_order(problem: problems_.Problem) -> tuple:
    """Problems in the order a person reads their places: by file, then by place with numbers
    taken as numbers (row 2 before row 10, outcomes[2] before outcomes[10])."""
    return tuple([problem.file] + [int(part) if part.isdigit() else part
                                   for part in re.split(r"(\d+)", problem.where)])


def given_path(ctx: click.Context, param: click.Parameter, value):
    """An option's path (or paths) as given. An empty one, as an unset variable in a script gives,
    is refused: taken as no option at all, it wrote no workbook, read the default cases folder,
    or started a new case instead of resuming one, all without a word."""
    for item in value if isinstance(value, tuple) else (value,):
        if item is not None and not str(item).strip():
            raise click.BadParameter("the path is empty; give a file or folder name", ctx=ctx, param=param)
    return value


def settings_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """The settings file to use (``settings_location.find``): --settings, else the file
    UP2U_CBA_SETTINGS names, else up2u-cba.toml here or in the nearest folder above; how it was
    found is kept for ``settings_used``. None found: exit 1 saying where it looked."""
    given_path(ctx, param, value)
    found, problem = settings_location.find(value)
    if problem is not None:
        fail([problem])
    ctx.meta[_SETTINGS_FOUND] = found
    return found.path


def settings_used() -> str:
    """'Settings file: PATH (how it was found).', for this command's output."""
    found = click.get_current_context().meta.get(_SETTINGS_FOUND)
    return "" if found is None else f"Settings file: {found.path} ({found.how})."


_SETTINGS_FOUND = "up2u_cba.settings_found"

SETTINGS_OPTION = click.option(
    "--settings", "settings_file", callback=settings_path, metavar="FILE",
    help=f"Settings file (services, spend, price year, data files). Default: the file the environment variable "
         f"UP2U_CBA_SETTINGS names, else {DEFAULT_SETTINGS_FILE} in this folder or the nearest folder above it.")
UNIT_COSTS_OPTION = click.option(
    "--unit-costs", "unit_cost_files", multiple=True, metavar="FILE", callback=given_path,
    help="Unit cost CSV, layered in the order given; repeat for several (default: as the settings file says).")
CASES_OPTION = click.option(
    "--cases", "cases_folder", metavar="FOLDER", callback=given_path, help="Folder of case files (default: as the settings file says).")


def options(*decorators):
    """One decorator applying several click options, in the order given."""
    def apply(command):
        for decorator in reversed(decorators):
            command = decorator(command)
        return command
    return apply


input_options = options(SETTINGS_OPTION, CASES_OPTION, UNIT_COSTS_OPTION)
"""The options every command that reads the inputs shares."""


def reason_option(when: str):
    """The ``--reason`` option of a command that changes stored cases; ``when`` says when it is
    needed (and whether it is asked for)."""
    return click.option("--reason", metavar="TEXT",
                        help=f"Why, in a short note (no names): recorded in the history of each case changed. {when}")


YES_OPTION = click.option("--yes", is_flag=True,
                          help="Write without asking to confirm (for scripts); without it, the change is shown and "
                               "confirmed at a terminal.")
"""The ``--yes`` option of a command that asks before it writes."""


def interactive() -> bool:
    """Whether a person at a terminal can be asked (a script or a pipe cannot)."""
    return sys.stdin.isatty()


def load_or_fail(settings_file: str, cases_folder: str | None, unit_cost_files: tuple[str, ...]):
    inputs, problems = pipeline.load(settings_file, cases_folder, unit_cost_files)
    if inputs is None or problems:
        fail(problems, wrote_nothing=False)
    return inputs


def find_case(reference: str, inputs: pipeline.Inputs, case_problems: list[problems_.Problem] = (), note: str = "",
              hint: str = "") -> models.CaseRecord:
    """The stored case (withdrawn or not) with ``reference`` (in any case, spaces around it
    ignored); otherwise exit 1 with the problems of its file (then ``note``), or, for no such
    case, the nearest references (then ``hint``)."""
    wanted = reference.strip()
    found = [record for record in inputs.stored if record.reference.lower() == wanted.lower()]
    own = [problem for problem in case_problems  # (a case file that does not read, or has problems of its own)
           if found and problem.file == found[0].file
           or os.path.splitext(os.path.basename(problem.file))[0].lower() == wanted.lower()]
    if own:
        fail(own, wrote_nothing=False, note=note)
    if not found:
        known = [record.reference for record in inputs.stored]
        fail([problems_.Problem(code="unknown-case", file=inputs.settings.cases_folder, where=wanted,
                      message=f"no case with reference {wanted}",
                      hint=case_files.unknown_reference_hint(wanted, known) + hint)], wrote_nothing=False)
    return found[0]


def withdrawn_on(record: models.CaseRecord) -> str:
    """' on 2026-11-30 (entered twice)': when and why the case was withdrawn, as its history says."""
    change = case_history.withdrawal(record)
    if change is None:
        return " (its history does not say when: the file was marked by hand)"
    return f" on {change.made:%Y-%m-%d} ({change.reason or 'no reason recorded'})"


def withdrawn_problem(record: models.CaseRecord, command: str) -> problems_.Problem:
    """A withdrawn case is not changed by ``case COMMAND`` (update, amend): it is restored first."""
    return problems_.Problem(code="case-withdrawn", file=record.file, where="",
                   message=f"{record.reference} was withdrawn{withdrawn_on(record)}: it counts in no report, and is "
                           "not changed until it is restored",
                   hint=f"restore it first with `up2u-cba case restore {record.reference} --reason \"...\"`, then "
                        f"run `up2u-cba case {command} {record.reference}` again")


def show_warnings(warnings: list[problems_.Problem]) -> None:
    """List warnings on stderr, apart from any problem: they never stop a command."""
    if warnings:
        click.echo(f"{problems_.counted(len(warnings), 'warning')}:", err=True)
        for warning in sorted(warnings, key=reading_order):
            click.echo(f"  {warning}", err=True)


class SafeGroup(click.Group):
    """The root command group. Records which command is running (a folder lock names it to
    anyone kept waiting), and is the one place where a failed write, a lock held by another
    run, or any other OS error becomes a message and exit status 1, never a traceback."""

    def main(self, args=None, *rest, **options):
        words = list(sys.argv[1:] if args is None else args)
        this_run.command = command_name(self, words)
        sys.unraisablehook = _quiet_half_written_zip
        try:
            return super().main(args, *rest, **options)
        except OSError as error:  # printing --help or --version to a full disk, before any command runs
            if error.errno == errno.EPIPE:
                raise
            fail([os_problem(error)])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):  # --help, a usage error: click's own
            raise  # handling (caught first: naming storage's errors would load the library for --help)
        except (storage.WriteFailed, storage.LockTimeout) as error:
            fail([error.problem])
        except OSError as error:
            if error.errno == errno.EPIPE:  # the reader of our output went away: click's own handling
                raise
            fail([os_problem(error)])
        finally:
            show_storage_notices()


def show_storage_notices() -> None:
    """Say, on stderr, what storage did on its own (a stale lock file taken over), once."""
    while this_run.notices:
        click.echo(f"Note: {this_run.notices.pop(0)}", err=True)


def _quiet_half_written_zip(unraisable) -> None:
    """A workbook whose write failed (disk full, a file-size limit) has been reported as a problem
    and its temporary file removed; when Python later collects the half-written zip file, it
    tries to finish it, fails the same way and would print that as a traceback. Only that is
    kept quiet; anything else raised where it cannot be caught is printed as Python prints it."""
    if isinstance(unraisable.exc_value, OSError) and "ZipFile" in getattr(unraisable.object, "__qualname__", ""):
        return
    sys.__unraisablehook__(unraisable)


def command_name(group: click.Group, words: list[str]) -> str:
    """The (sub)command ``words`` run, e.g. "case new"."""
    names = []
    command = group
    for word in words:
        if not isinstance(command, click.Group) or word not in command.commands:
            break
        names.append(word)
        command = command.commands[word]
    return " ".join(names)


def os_problem(error: OSError) -> problems_.Problem:
    """An OS error nothing more specific caught, as a problem naming its file."""
    if error.filename and error.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
        return storage.write_problem(str(error.filename), error)
    if not error.filename:  # (every file the tool opens is named): writing what it prints failed
        return problems_.Problem(code="file-error", file="standard output",
                       message=f"cannot write what this command prints: {error.strerror or error}",
                       hint="check where the output goes, a full disk for instance, then run this again")
    return problems_.Problem(code="file-error", file=str(error.filename or ""),
                   message=f"cannot read or write the file: {error.strerror or error}",
                   hint="check the file and its folder exist and can be used, then run this again")


def workbook_path_problem(path: str, overwrite: bool, where: str) -> problems_.Problem | None:
    """Why a workbook cannot be written at ``path`` (named on the command line as ``where``), or None."""
    return output_path_problem(path, overwrite, where, extension=".xlsx", example="report.xlsx")


def output_path_problem(path: str, overwrite: bool, where: str, extension: str | None = None,
                        example: str = "report.xlsx") -> problems_.Problem | None:
    """Why an output file cannot be written at ``path`` (named on the command line as
    ``where``), or None. Only a regular file is ever replaced (with ``overwrite``): a device
    (/dev/null), a FIFO, a socket or a folder never is; nor is a symbolic link, even to a
    regular file (replacing the link and writing through it would both surprise someone), so
    the message names the file it points to."""
    if os.path.islink(path):
        target = os.path.realpath(path)
        return problems_.Problem(code="bad-output", file=path, where=where,
                       message=f"this is a symbolic link (to {target}); up2u-cba writes only to a plain file",
                       hint=f"give the real path{' ' + target if os.path.isfile(target) else ''}, or another name")
    if os.path.isdir(path):
        return problems_.Problem(code="bad-output", file=path, where=where, message="this is a folder, not a file name",
                       hint=f"give a file name inside it, e.g. FOLDER/{example}")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        return problems_.Problem(code="bad-output", file=path, where=where,
                       message=f"cannot look at this path: {error.strerror or error}", hint="choose another path")
    if mode is not None and not stat.S_ISREG(mode):
        return problems_.Problem(code="bad-output", file=path, where=where,
                       message="this is not a file (a device, a pipe or a socket); it is never written to, "
                               "even with --overwrite", hint=f"give a file name, e.g. {example}")
    if extension and not path.lower().endswith(extension):
        return problems_.Problem(code="bad-output", file=path, where=where, message=f"the file name must end in {extension}",
                       hint=f"e.g. {example}")
    if mode is not None and not overwrite:
        return problems_.Problem(code="output-exists", file=path, where=where, message="a file with this name already exists",
                       hint="choose another name, or add --overwrite to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return problems_.Problem(code="bad-output", file=path, where=where, message=f"the folder {folder} does not exist",
                       hint="create it first, or choose another path")
    return None
