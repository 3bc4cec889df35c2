"""What a service's case references look like, said to a person by an example (BCP-0042), never
by the regular expression that the settings file holds (``reference_pattern = "BCP-\\d{4}"``).

The pattern is the analyst's setting; a programme manager told that a reference must match
``BCP-\\d{4}`` learns nothing. Every message about a reference's shape (validate, guided entry,
intake) says it with ``shape``.
"""

from __future__ import annotations

import re

from up2u_cba import models
from up2u_cba.inputs import cases, privacy

_SIMPLE_PATTERN = re.compile(
    r"(?P<prefix>(?:[A-Za-z0-9_ /:]|-|\\[-./_ :])*)"
    r"(?:\\d|\[0-9\])(?:\{(?P<width>\d+)\}|\{(?P<least>\d+),\d*\}|\+)"
)
"""A pattern simple enough to read: a fixed prefix, then digits (``BCP-\\d{4}``, ``DOR-[0-9]+``)."""


def simple(pattern: str) -> tuple[str, int] | None:
    """The prefix and digit width of a simple pattern (``("BCP-", 4)`` for ``BCP-\\d{4}``; 4 when
    the pattern gives no width), or None for a pattern too clever to read."""
    match = _SIMPLE_PATTERN.fullmatch(pattern) if pattern else None
    if not match:
        return None
    prefix = re.sub(r"\\(.)", r"\1", match.group("prefix"))
    return prefix, int(match.group("width") or match.group("least") or 4)


def example(service: models.ServiceSettings, references=()) -> str | None:
    """A reference to show what ``service``'s references look like: BCP-0042 for ``BCP-\\d{4}``,
    made from the pattern where it is simple, else the first of ``references`` (those in use)
    that the pattern allows; None when there is neither. Never one the personal-data guard
    would refuse."""
    pattern = service.reference_pattern

    def allowed(candidate: str) -> bool:
        return bool((not pattern or re.fullmatch(pattern, candidate)) and cases.SAFE_REFERENCE.fullmatch(candidate)
                    and not privacy.check_reference(candidate))

    read = simple(pattern)
    if read:
        prefix, width = read
        made = f"{prefix}{42 if width > 1 else 7:0{width}d}"
        if allowed(made):
            return made
    return min((reference for reference in references if allowed(reference)), key=str.upper, default=None)


def shape(service: models.ServiceSettings, references=()) -> str:
    """``service``'s references as a message describes them: "BCP references look like BCP-0042:
    a pseudonym, never a name", or in words when no example can be given."""
    shown = example(service, references)
    if shown:
        return f"{service.name} references look like {shown}: a pseudonym, never a name"
    return (f"{service.name} references take the shape set for {service.name} in the settings file "
            "(ask whoever keeps it for an example); a pseudonym, never a name")
