"""What changed between two unit cost tables (two imported editions of the GMCA database, or
a local table before and after an edit): codes added, removed, revalued (a value or its price
year), re-rated (the RAG rating) and redefined (what the cost is: its description, unit, agencies,
parent or transfer mark).

Tables are compared as written, row by row: a value is shown as its cell has it (``0.10``, never
a float's digits), and codes a row names (its parent, its not_with) need not be in the same file."""

from __future__ import annotations

import pydantic

from up2u_cba import models
from up2u_cba.inputs import unit_costs

ADDED = "added"
REMOVED = "removed"
REVALUED = "revalued"
RE_RATED = "re-rated"
REDEFINED = "redefined"
KINDS = (ADDED, REMOVED, REVALUED, RE_RATED, REDEFINED)
"""The kinds of change, in the order they are listed."""


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

REDEFINING = ("description", "unit", "agency_1", "agency_2", "parent", "transfer")
"""The fields that say what a cost is: one changed is a redefinition."""


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
    (old_cost, _), (new_cost, _) = before, after
    found = []

    def change(kind: str, old: str, new: str) -> None:
        found.append(CostChange(kind=kind, code=new_cost.code, description=new_cost.description, old=old, new=new))

    moved = [kind for kind in unit_costs.VALUE_TYPES if getattr(old_cost, kind) != getattr(new_cost, kind)]
    if moved:
        change(REVALUED, values_text(*before, moved, "none"), values_text(*after, moved, "none"))
    if old_cost.rag != new_cost.rag:
        change(RE_RATED, old_cost.rag or "none", new_cost.rag or "none")
    redefined = [field for field in REDEFINING if getattr(old_cost, field) != getattr(new_cost, field)]
    if redefined:
        change(REDEFINED, _fields_text(old_cost, redefined), _fields_text(new_cost, redefined))
    return found


def _fields_text(cost: models.UnitCost, fields: list[str]) -> str:
    """``unit: Per incident; transfer: no``: the cost's ``fields`` (a blank one as ``none``)."""
    def shown(field: str) -> str:
        value = getattr(cost, field)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value or "none"

    return "; ".join(f"{field}: {shown(field)}" for field in fields)


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
