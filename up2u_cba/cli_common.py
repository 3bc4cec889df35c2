"""What every command-line module shares: printing problems, the input options, loading inputs."""

from __future__ import annotations

import os
import sys

import click

from up2u_cba import pipeline, settings
from up2u_cba.problems import Problem


def fail(problems: list[Problem], wrote_nothing: bool = True) -> None:
    """Print every problem to stderr and exit 1."""
    ending = "; nothing was written:" if wrote_nothing else ":"
    click.echo(f"{len(problems)} problem(s) found{ending}", err=True)
    for problem in sorted(problems, key=lambda problem: (problem.file, problem.where)):
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


SETTINGS_OPTION = click.option(
    "--settings", "settings_file", default=settings.DEFAULT_FILE, show_default=True, metavar="FILE",
    help="Settings file (services, spend, price year, data files).")
UNIT_COSTS_OPTION = click.option(
    "--unit-costs", "unit_cost_files", multiple=True, metavar="FILE",
    help="Unit cost CSV, layered in the order given; repeat for several (default: as the settings file says).")
CASES_OPTION = click.option(
    "--cases", "cases_folder", metavar="FOLDER", help="Folder of case files (default: as the settings file says).")


def options(*decorators):
    """One decorator applying several click options, in the order given."""
    def apply(command):
        for decorator in reversed(decorators):
            command = decorator(command)
        return command
    return apply


input_options = options(SETTINGS_OPTION, CASES_OPTION, UNIT_COSTS_OPTION)
"""The options every command that reads the inputs shares."""


def load_or_fail(settings_file: str, cases_folder: str | None, unit_cost_files: tuple[str, ...]):
    inputs, problems = pipeline.load(settings_file, cases_folder, unit_cost_files)
    if inputs is None or problems:
        fail(problems, wrote_nothing=False)
    return inputs


def workbook_path_problem(path: str, overwrite: bool, where: str) -> Problem | None:
    """Why a workbook cannot be written at ``path`` (named on the command line as ``where``), or None."""
    if not path.lower().endswith(".xlsx"):
        return Problem(code="bad-output", file=path, where=where, message="the workbook name must end in .xlsx",
                       hint="e.g. report.xlsx")
    if os.path.isdir(path):
        return Problem(code="bad-output", file=path, where=where, message="this is a folder, not a file name",
                       hint="give a file name inside it, e.g. FOLDER/report.xlsx")
    if os.path.exists(path) and not overwrite:
        return Problem(code="output-exists", file=path, where=where, message="a file with this name already exists",
                       hint="choose another name, or add --overwrite to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return Problem(code="bad-output", file=path, where=where, message=f"the folder {folder} does not exist",
                       hint="create it first, or choose another path")
    return None
