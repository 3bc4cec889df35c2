"""Carrying the double-counting rules (``not_with``) of a unit cost table a council used before
onto a newly imported GMCA edition.

The workbook itself holds no such rules: the shipped v1.4 table's were written by hand from the
database's comments. A new edition imported in its place would drop them silently, and a case
counting CR2.0 with SS4.0 would no longer be warned of. Codes are not stable across editions (v1.4
renumbered Crime), so a rule is carried only where the declaring cost and every cost it names keep
their code AND their description in the new edition; every rule not carried is listed with why,
for a person to write again by hand.
"""

from __future__ import annotations

import re

import dataclasses
import os

from up2u_cba import models
from up2u_cba.inputs import input_files, unit_costs
from up2u_cba.problems import Problem, errors

WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls")


def carry(new_costs: list[models.UnitCost], old_path: str) -> tuple[list[models.UnitCost], list[str], list[Problem]]:
    """``new_costs`` with the ``not_with`` rules of the table at ``old_path`` that still hold (the
    same codes meaning the same costs), the lines saying what was carried and what was not, and
    the old table's problems (then nothing is carried)."""
    if os.path.splitext(old_path)[1].lower() in WORKBOOK_EXTENSIONS:
        return new_costs, [], [Problem(
            code="not-a-unit-cost-table", file=old_path, where="--rules-from",
            message="this is a workbook, not the unit cost table imported from one",
            hint="give the unit cost CSV the table this import replaces (e.g. unit_costs/gmca-ucd-v1.4.csv)")]
    kind = dataclasses.replace(input_files.UNIT_COSTS, missing_hint="check the path given as --rules-from")
    _, problems = unit_costs.read_as_written(old_path, kind)
    if not errors(problems):
        old, problems = unit_costs.load([old_path])
    if errors(problems):
        return new_costs, [], errors(problems)
    new = {cost.code.upper(): cost for cost in new_costs}
    was = {cost.code.upper(): cost for cost in old.values()}
    carried: dict[str, models.UnitCost] = {}
    lines: list[str] = []
    not_carried = 0
    for cost in sorted(old.values(), key=lambda cost: unit_costs.code_order(cost.code)):
        for exclusion in cost.not_with:
            why_not = _why_not_carried(cost.code, exclusion.code, was, new)
            if why_not:
                lines.append(f"  not carried: {cost.code} not with {exclusion.code}: {why_not}")
                not_carried += 1
                continue
            target = carried.get(cost.code.upper(), new[cost.code.upper()])
            if exclusion.code.upper() not in {kept.code.upper() for kept in target.not_with}:
                named = new[exclusion.code.upper()].code
                carried[cost.code.upper()] = target.model_copy(
                    update={"not_with": (*target.not_with, exclusion.model_copy(update={"code": named}))})
                lines.append(f"  carried: {cost.code} not with {named} ({exclusion.reason})")
    heading = (f"Double-counting rules from {old_path}: {len(lines) - not_carried} carried, "
               f"{not_carried} not carried")
    if not lines:  # (a table imported without them: say what the comments warn of, as without the option)
        heading += f"; {old_path} has none" + _warned_of(new_costs)
    return [carried.get(cost.code.upper(), cost) for cost in new_costs], [heading, *lines], []


def _why_not_carried(code: str, other: str, was: dict[str, models.UnitCost],
                     new: dict[str, models.UnitCost]) -> str:
    """Why the rule "``code`` not with ``other``" cannot be carried as it is, or ''; ``was`` and
    ``new`` hold the old and new tables' costs by upper-cased code."""
    for each in (code, other):
        now = new.get(each.upper())
        if now is None:
            return f"{each} is not in the new edition (renumbered or withdrawn?): write the rule again by hand"
        if _said(now.description) != _said(was[each.upper()].description):
            return (f"{each} is described differently in the new edition (\"{now.description}\"): check it is the "
                    "same cost before writing the rule again")
    return ""


def _said(text: str) -> str:
    return " ".join(text.split()).casefold()


def reminder(costs: list[models.UnitCost]) -> list[str]:
    """What to tell a user who imported without ``--rules-from``: the import has no double-counting
    rules, and which costs' comments warn of double counting, for rules to be written by hand."""
    return ["Double-counting rules (not_with): none (the workbook holds none); carry those of the table this "
            "one replaces with --rules-from OLD.csv" + _warned_of(costs)]


def _warned_of(costs: list[models.UnitCost]) -> str:
    warned = [cost.code for cost in costs if _DOUBLE_COUNTING.search(cost.comment)]
    return f"; the comments of {', '.join(warned)} warn of double counting" if warned else ""


_DOUBLE_COUNTING = re.compile(r"double[\s-]*count", re.IGNORECASE)
