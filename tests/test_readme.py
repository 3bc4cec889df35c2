"""The README is for users: its set-up commands are the ones CI runs, and its command
reference is the commands' own --help."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import command_reference  # noqa: E402

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_command_reference_matches_the_help_of_every_command():
    start = README.index("<!-- command-reference:start -->") + len("<!-- command-reference:start -->")
    end = README.index("<!-- command-reference:end -->")
    assert README[start:end].strip() == command_reference.reference().strip(), \
        "README command reference is stale: run python tools/command_reference.py and paste it in"


def test_ci_runs_the_readme_test_command_exactly():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in README.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2, "README opens with two set-up commands"
    assert commands[0].endswith("up2u-cba report")
    assert "pytest" in commands[1]
    assert commands[1] in ci.splitlines()
