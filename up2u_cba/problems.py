"""Problems found in the inputs: plain data, collected, never raised one at a time.

Every loader returns what it could read plus a list of ``Problem``. The command line decides
what to do with them (print them all, exit 1). Tests assert on ``code`` and ``where``, never
on the wording of ``message``.
"""

from __future__ import annotations

import pydantic


class Problem(pydantic.BaseModel):
    """One thing wrong with one input, located precisely enough to fix it."""

    model_config = pydantic.ConfigDict(frozen=True)

    code: str
    """Stable machine-readable code, e.g. ``unknown-cost-code``."""
    file: str
    """The input file the problem is in (as the user named it), or ``""`` for none."""
    where: str = ""
    """The record and field inside the file, e.g. ``outcomes[2].quantity`` or ``row 14: code``."""
    message: str
    """What is wrong, in words a user understands."""
    hint: str = ""
    """What would be right, or how to fix it."""

    def __str__(self) -> str:
        place = ": ".join(part for part in (self.file, self.where) if part)
        text = f"{place}: {self.message}" if place else self.message
        if self.hint:
            text += f" ({self.hint})"
        return f"{text} [{self.code}]"


class InputError(Exception):
    """Raised by the pipeline when inputs have problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the inputs")
        self.problems = problems
