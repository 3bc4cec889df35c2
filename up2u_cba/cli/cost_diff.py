"""The ``costs diff`` command: what changed between two unit cost tables (two imported editions
of the GMCA database), as a text table or JSON."""

from __future__ import annotations

import dataclasses
import json

import click

from up2u_cba.cli import lazy
from up2u_cba.cli.common import fail

# The library is imported on first use, inside a command, so that --help is instant (see cli/lazy.py).
unit_costs = lazy.module("up2u_cba.inputs.unit_costs")
cost_table_changes = lazy.module("up2u_cba.inputs.cost_table_changes")
problems_ = lazy.module("up2u_cba.problems")
input_files = lazy.module("up2u_cba.inputs.input_files")
render_text = lazy.module("up2u_cba.outputs.render_text")

DESCRIPTION_WIDTH = 60
"""A description longer than this is cut short in the text table (JSON has it whole)."""


def register(costs: click.Group) -> None:
    """Add ``diff`` to the ``costs`` group."""
    costs.add_command(costs_diff)


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Print the changes as a text table or as JSON.")
def costs_diff(old, new, output_format):
    """Show what changed from the unit cost table OLD to NEW: codes added, removed, revalued (a
    value, compared at 15 significant digits, or its price year), re-rated (RAG rating), redefined (description, theme, unit, agency,
    parent, transfer mark, not_with rules or overrides mark, old -> new) and re-sourced (source or
    edition, old -> new).

    Tables are compared row by row as written: values are shown as their cells have them, and
    codes a row names (parent, not_with) need not be in the same file.

    Compare two editions imported with `costs import` before moving to the newer one: a code
    removed or renumbered is one a crosswalk maps (the settings' crosswalk).

    \b
    Example:
      up2u-cba costs diff unit_costs/gmca-ucd-v1.4.csv unit_costs/gmca-ucd-v3.0.csv
      up2u-cba costs diff old.csv new.csv --format json > changes.json
    """
    tables, problems = [], []
    for argument, path in (("OLD", old), ("NEW", new)):
        kind = dataclasses.replace(input_files.UNIT_COSTS,
                                   missing_hint=f"check the path given as {argument} on the command line")
        table, found = unit_costs.read_as_written(path, kind)
        tables.append(table)
        problems.extend(found)
    if problems_.errors(problems):
        fail(problems_.errors(problems), wrote_nothing=False)
    changes = cost_table_changes.compare(*tables)
    counts = cost_table_changes.counts(changes)
    if output_format == "json":
        click.echo(json.dumps({"old": old, "new": new, "counts": counts,
                               "changes": [change.model_dump() for change in changes]}, indent=2, ensure_ascii=False))
        return
    click.echo(f"From {old} to {new}: " + ", ".join(f"{number} {kind}" for kind, number in counts.items()))
    if not changes:
        click.echo("No changes: the same codes, values and price years, RAG ratings, definitions (description, "
                   "theme, unit, agencies, parent, transfer mark, not_with rules, overrides mark) and sources "
                   "(source, edition).")
        return
    rows = [[change.kind, change.code, _short(change.description), change.old, change.new] for change in changes]
    click.echo(render_text.table(["Change", "Code", "Description", "Old", "New"], rows, numeric_from=5))


def _short(text: str) -> str:
    return text if len(text) <= DESCRIPTION_WIDTH else text[:DESCRIPTION_WIDTH - 1].rstrip() + "…"
