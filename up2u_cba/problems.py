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
    """The record and field inside the file, e.g. ``outcomes[2].quantity`` (the
    second outcome line: lines and events are numbered from 1) or ``row 14: code``."""
    message: str
    """What is wrong, in words a user understands."""
    hint: str = ""
    """What would be right, or how to fix it."""
    warning: bool = False
    """A warning, not an error: listed apart from errors, and never stops a command (a case in a
    year with no spend set, the same cost code twice on one case)."""

    def __str__(self) -> str:
        place = ": ".join(part for part in (self.file, self.where) if part)
        text = f"{place}: {self.message}" if place else self.message
        if self.hint:
            text += f" ({self.hint})"
        return f"{text} [{self.code}]"


def shown(value: object) -> str:
    """A value as a message quotes it: as the user wrote it, cut short when long (a 5,000-digit
    number, a pasted paragraph), so a message never floods the terminal."""
    text = str(value) if not isinstance(value, int) or abs(value) < 10 ** 100 else "a number of over 100 digits"
    return text if len(text) <= 40 else text[:37] + "..."


def kind_of(value: object) -> str:
    """What kind of TOML value ``value`` is, as a message says it ("a list", "a date or time")."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a date or time"


def counted(number: int, noun: str) -> str:
    """``1 problem``, ``2 problems``: a count as a sentence says it."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that stop a command: all but the warnings."""
    return [problem for problem in problems if not problem.warning]


def warnings(problems: list[Problem]) -> list[Problem]:
    """The warnings among ``problems``."""
    return [problem for problem in problems if problem.warning]


class InputError(Exception):
    """Raised by the pipeline when inputs have problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{counted(len(problems), 'problem')} in the inputs")
        self.problems = problems
