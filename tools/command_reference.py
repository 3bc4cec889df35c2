"""Print the README's command reference, generated from each command's --help.

    python tools/command_reference.py > /tmp/reference.md   # then paste between the markers

tests/test_readme.py fails when the README's copy differs from this output.
"""

from __future__ import annotations

import click
from click.testing import CliRunner

from up2u_cba.cli.main import main


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            found.extend(commands(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


def reference() -> str:
    parts = []
    for path in commands(main):
        result = CliRunner().invoke(main, [*path, "--help"], prog_name="up2u-cba", terminal_width=78)
        parts.append(f"### `up2u-cba {' '.join(path)}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
