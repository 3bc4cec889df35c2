"""What changed between two unit cost tables (two imported editions of the GMCA database, or
a local table before and after an edit): codes added, removed, revalued (a value or its price
year) and re-rated (the RAG rating)."""

from __future__ import annotations

import pydantic

from up2u_cba import models
from up2u_cba.inputs import unit_costs

ADDED = "added"
REMOVED = "removed"
REVALUED = "revalued"
RE_RATED = "re-rated"
KINDS = (ADDED, REMOVED, REVALUED, RE_RATED)
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
    """What the old table says (blank for a code added): its values, or its RAG rating."""
    new: str
    """What the new table says (blank for a code removed)."""


def compare(old: dict[str, models.UnitCost], new: dict[str, models.UnitCost]) -> list[CostChange]:
    """Every change from ``old`` to ``new``: by kind (``KINDS``), then in code order."""
    changes: list[CostChange] = []
    for code in old.keys() | new.keys():
        before, after = old.get(code), new.get(code)
        if before is None:
            changes.append(CostChange(kind=ADDED, code=code, description=after.description, old="",
                                      new=values_text(after)))
        elif after is None:
            changes.append(CostChange(kind=REMOVED, code=code, description=before.description,
                                      old=values_text(before), new=""))
        else:
            changes.extend(_changed(before, after))
    return sorted(changes, key=lambda change: (KINDS.index(change.kind), unit_costs.code_order(change.code)))


def _changed(before: models.UnitCost, after: models.UnitCost) -> list[CostChange]:
    found = []
    moved = [kind for kind in unit_costs.VALUE_TYPES if getattr(before, kind) != getattr(after, kind)]
    if moved:
        found.append(CostChange(kind=REVALUED, code=after.code, description=after.description,
                                old=values_text(before, moved, "none"), new=values_text(after, moved, "none")))
    if before.rag != after.rag:
        found.append(CostChange(kind=RE_RATED, code=after.code, description=after.description,
                                old=before.rag or "none", new=after.rag or "none"))
    return found


def values_text(cost: models.UnitCost, kinds=unit_costs.VALUE_TYPES, missing: str = "") -> str:
    """``fiscal 2470 (2008/09); economic 1473 (2008/09)``: the cost's values of ``kinds``; one it
    lacks is left out, or written ``{kind} {missing}`` when ``missing`` is given."""
    parts = []
    for kind in kinds:
        value: models.CostValue | None = getattr(cost, kind)
        if value is not None:
            parts.append(f"{kind} {value.amount} ({value.price_year})")
        elif missing:
            parts.append(f"{kind} {missing}")
    return "; ".join(parts)


def counts(changes: list[CostChange]) -> dict[str, int]:
    """How many changes of each kind, in ``KINDS`` order."""
    return {kind: sum(1 for change in changes if change.kind == kind) for kind in KINDS}
