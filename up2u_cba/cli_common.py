"""What every command-line module shares: printing problems, the input options, loading inputs."""

from __future__ import annotations

import functools
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


def input_options(command):
    """The options every command that reads the inputs shares."""

    @click.option("--settings", "settings_file", default=settings.DEFAULT_FILE, show_default=True,
                  metavar="FILE", help="Settings file (services, spend, price year, data files).")
    @click.option("--cases", "cases_folder", metavar="FOLDER",
                  help="Folder of case files (default: as the settings file says).")
    @click.option("--unit-costs", "unit_cost_files", multiple=True, metavar="FILE",
                  help="Unit cost CSV, layered in the order given; repeat for several "
                       "(default: as the settings file says).")
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(*args, **kwargs)

    return wrapper


def load_or_fail(settings_file: str, cases_folder: str | None, unit_cost_files: tuple[str, ...]):
    inputs, problems = pipeline.load(settings_file, cases_folder, unit_cost_files)
    if inputs is None or problems:
        fail(problems, wrote_nothing=False)
    return inputs
