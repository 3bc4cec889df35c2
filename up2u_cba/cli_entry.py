"""Command line for entering and listing cases (`case new | update | list`, `intake ...`).

Registered on the main command group by ``cli.py``; like it, only parses options, calls the
library and turns problems into messages and exit codes.
"""

from __future__ import annotations

import click


def register(main: click.Group, case: click.Group) -> None:
    """Add the case-entry commands to the main group and its ``case`` group."""
