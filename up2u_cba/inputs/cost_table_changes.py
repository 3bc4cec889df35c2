"""What changed between two unit cost tables (two imported editions of the GMCA database, or
a local table before and after an edit): codes added, removed, revalued (a value or its price
year; amounts compared at 15 significant digits, as ``costs import`` writes them, so float
noise is no change), re-rated (the RAG rating), redefined (what the cost is or how it may be counted: its
description, theme, unit, agencies, parent, transfer mark, not_with rules and overrides mark) and
re-sourced (where its estimate comes from: its source or edition).

Tables are compared as written, row by row: a value is shown as its cell has it (``0.10``, never
a float's digits), and codes a row names (its parent, its not_with) need not be in the same file."""

from __future__ import annotations

import decimal

import pydantic

from up2u_cba import models
from up2u_cba.inputs import unit_costs

ADDED = "added"
REMOVED = "removed"
REVALUED = "revalued"
RE_RATED = "re-rated"
REDEFINED = "redefined"
RE_SOURCED = "re-sourced"
KINDS = (ADDED, REMOVED, REVALUED, RE_RATED, REDEFINED, RE_SOURCED)
"""The kinds of change, in the order they are listed."""
SIGNIFICANT_DIGITS = 15
"""Amounts are compared at this many significant digits, as ``costs import`` writes them."""


class CostChange(pydantic.BaseModel):
    """One change to one code between the old table and the new."""

    model_config = pydantic.ConfigDict(frozen=True)

    kind: str
    """One of ``KINDS``."""
    code: str
    description: str
    """The cost's description in the new table (the old one's for a code removed)."""
    old: str
    """What the old table says (blank for a code added): its values, its RAG rating, or the
    fields redefined (``unit: Per incident; agency_1: Police``)."""
    new: str
    """What the new table says (blank for a code removed)."""


Table = dict[str, tuple[models.UnitCost, dict[str, str]]]
"""A table as ``unit_costs.read_as_written`` reads it: each code's cost and its cells as written."""

REDEFINING = ("description", "theme", "unit", "agency_1", "agency_2", "parent", "transfer", "not_with",
              "overrides")
"""The fields that say what a cost is or how it may be counted (``not_with``: the costs it must
not be counted with; ``overrides``: it replaces an earlier table's cost): one changed is a
redefinition."""
RE_SOURCING = ("source", "edition")
"""The fields that say where a cost's estimate comes from: one changed (and nothing in
``REDEFINING``) is a re-sourcing, listed so that no difference between the tables goes unshown."""


def compare(old: Table, new: Table) -> list[CostChange]:
    """Every change from ``old`` to ``new``: by kind (``KINDS``), then in code order."""
    changes: list[CostChange] = []
    for code in old.keys() | new.keys():
        before, after = old.get(code), new.get(code)
        if before is None:
            changes.append(CostChange(kind=ADDED, code=code, description=after[0].description, old="",
                                      new=values_text(*after)))
        elif after is None:
            changes.append(CostChange(kind=REMOVED, code=code, description=before[0].description,
                                      old=values_text(*before), new=""))
        else:
            changes.extend(_changed(before, after))
    return sorted(changes, key=lambda change: (KINDS.index(change.kind), unit_costs.code_order(change.code)))


def _changed(before: tuple[models.UnitCost, dict[str, str]],
             after: tuple[models.UnitCost, dict[str, str]]) -> list[CostChange]:
    """The changes to one code in both tables: its values (equal amounts written differently,
    ``1800`` and ``1800.00``, are no change), its RAG rating, what it is."""
    (old_cost, old_written), (new_cost, new_written) = before, after
    found = []

    def change(kind: str, old: str, new: str) -> None:
        found.append(CostChange(kind=kind, code=new_cost.code, description=new_cost.description, old=old, new=new))

    moved = [kind for kind in unit_costs.VALUE_TYPES
             if _compared(getattr(old_cost, kind)) != _compared(getattr(new_cost, kind))]
    if moved:
        change(REVALUED, values_text(*before, moved, "none"), values_text(*after, moved, "none"))
    if old_cost.rag != new_cost.rag:
        change(RE_RATED, old_cost.rag or "none", new_cost.rag or "none")
    for kind, fields in ((REDEFINED, REDEFINING), (RE_SOURCED, RE_SOURCING)):
        differing = [field for field in fields
                     if _shown(old_cost, old_written, field) != _shown(new_cost, new_written, field)]
        if differing:
            change(kind, _fields_text(old_cost, old_written, differing), _fields_text(new_cost, new_written, differing))
    return found


def _compared(value: models.CostValue | None) -> tuple | None:
    """A value as compared: its amount at ``SIGNIFICANT_DIGITS`` significant digits (a float's
    last digits are noise a re-save of the workbook moves: ``1719.0588235294117`` and
    ``1719.058823529412`` are one value) and its price year."""
    if value is None:
        return None
    context = decimal.Context(prec=SIGNIFICANT_DIGITS, rounding=decimal.ROUND_HALF_EVEN)
    return context.plus(value.amount), value.price_year


def _fields_text(cost: models.UnitCost, written: dict[str, str], fields: list[str]) -> str:
    """``unit: Per incident; transfer: no``: the cost's ``fields`` (a blank one as ``none``)."""
    return "; ".join(f"{field}: {_shown(cost, written, field)}" for field in fields)


def _shown(cost: models.UnitCost, written: dict[str, str], field: str) -> str:
    """One field of a cost as text: ``yes``/``no`` for a mark, ``not_with`` as its cell would be
    written, ``none`` for a blank."""
    if field == "overrides":  # (a row's mark, not the cost's: read as the loader reads it)
        value = unit_costs.overrides(written)
    elif field == "not_with":
        value = unit_costs.not_with_text(cost.not_with)
    else:
        value = getattr(cost, field)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value or "none"


def values_text(cost: models.UnitCost, written: dict[str, str], kinds=unit_costs.VALUE_TYPES,
                missing: str = "") -> str:
    """``fiscal 2470 (2008/09); economic 1473 (2008/09)``: the cost's values of ``kinds`` as its
    row writes them; one it lacks is left out, or written ``{kind} {missing}`` when ``missing``
    is given."""
    parts = []
    for kind in kinds:
        value: models.CostValue | None = getattr(cost, kind)
        if value is not None:
            parts.append(f"{kind} {written.get(f'{kind}_value', value.amount)} ({value.price_year})")
        elif missing:
            parts.append(f"{kind} {missing}")
    return "; ".join(parts)


def counts(changes: list[CostChange]) -> dict[str, int]:
    """How many changes of each kind, in ``KINDS`` order."""
    return {kind: sum(1 for change in changes if change.kind == kind) for kind in KINDS}
