"""The ``spend`` commands: set and list each service's programme spend per financial year,
without editing the settings file by hand."""

from __future__ import annotations

import click

from up2u_cba.cli import lazy
from up2u_cba.cli.common import SETTINGS_OPTION, fail, interactive

# The library is imported on first use, inside a command, so that --help is instant (see cli/lazy.py).
settings_writer = lazy.module("up2u_cba.entry.settings_writer")
render_text = lazy.module("up2u_cba.outputs.render_text")


def register(main: click.Group) -> None:
    """Add the ``spend`` group to the main group."""
    main.add_command(spend)


@click.group()
def spend() -> None:
    """Set and list each service's programme spend per financial year."""


@spend.command("set", context_settings={"ignore_unknown_options": True})  # (-5 is an amount to refuse, not an option)
@SETTINGS_OPTION
@click.option("--overwrite", is_flag=True, help="Replace a spend already set for the year.")
@click.argument("service")
@click.argument("year")
@click.argument("amount")
def spend_set(settings_file, overwrite, service, year, amount):
    """Set SERVICE's programme spend for YEAR to AMOUNT pounds in the settings file.

    AMOUNT is whole pounds: 92000, 92,000 or £92000. The settings file keeps its comments and
    layout; only this figure changes. A year that has a spend already is changed only with
    --overwrite (or when you confirm it, at a terminal).

    \b
    Example:
      up2u-cba spend set BCP 2023/24 92000
    """
    change, problems = settings_writer.plan(settings_file, service, year, amount)
    if problems:
        fail(problems)
    if change.old == change.amount:
        click.echo(f"{change.service}'s spend for {change.year} is already {settings_writer.pounds(change.amount)} "
                   f"in {change.file}; nothing to change.")
        return
    if change.old is not None and not overwrite:
        if not interactive():
            fail([settings_writer.exists_problem(change)])
        click.echo(f"{change.service} spend for {change.year}: {settings_writer.pounds(change.old)} -> "
                   f"{settings_writer.pounds(change.amount)}")
        if not click.confirm("Replace it?", default=None):
            click.echo("Nothing was written.")
            raise SystemExit(1)
    try:
        settings_writer.write(change)
    except settings_writer.SpendNotWritten as refused:
        fail(refused.problems)
    before = "" if change.old is None else f"{settings_writer.pounds(change.old)} -> "
    click.echo(f"{change.service} spend for {change.year}: {before}{settings_writer.pounds(change.amount)} "
               f"(written to {change.file})")


@spend.command("list")
@SETTINGS_OPTION
@click.option("--service", metavar="NAME", help="One service only, e.g. BCP (default: every service).")
def spend_list(settings_file, service):
    """List each service's programme spend per financial year, in pounds.

    \b
    Example:
      up2u-cba spend list --service BCP
    """
    loaded, _, problems = settings_writer.load(settings_file)
    if loaded is None or problems:
        fail(problems, wrote_nothing=False)
    services = list(loaded.services)
    if service is not None:
        found, problem = settings_writer.find_service(loaded, service)
        if problem:
            fail([problem.model_copy(update={"where": "--service"})], wrote_nothing=False)
        services = [found]
    click.echo(render_text.render_spend(services, loaded.file))
