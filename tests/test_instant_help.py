"""`up2u-cba --help` and every `COMMAND --help` are instant: loading the command line, and
printing any command's help, imports none of the heavy libraries (pydantic, openpyxl, XlsxWriter,
tabulate, tomlkit) nor the library under the command line; a command imports them when it runs (issue #11).
Checked by what is imported, in a fresh interpreter, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys

from up2u_cba import models
from up2u_cba.cli import case_entry, common
from up2u_cba.entry import answer_checks
from up2u_cba.inputs import settings

HEAVY = ("pydantic", "openpyxl", "xlsxwriter", "tabulate", "tomlkit")

LOADED = """
import json, sys
{setup}
heavy = sorted(name for name in sys.modules if name.split(".")[0] in {heavy!r})
library = sorted(name for name, module in sys.modules.items()
                 if name.startswith("up2u_cba.") and not name.startswith("up2u_cba.cli")
                 and name != "up2u_cba.this_run"  # (two names and no import: what this run is doing)
                 and type(module).__name__ != "_LazyModule"  # (a lazy one is not yet imported)
                 and not hasattr(module, "__path__"))  # (the subpackages hold only a docstring)
print(json.dumps({{"heavy": heavy, "library": library}}))
"""

EVERY_HELP = """
import click
from click.testing import CliRunner
from up2u_cba.cli.main import main

def commands(group, path):
    for name, command in group.commands.items():
        yield path + [name]
        if isinstance(command, click.Group):
            yield from commands(command, path + [name])

runner = CliRunner()
for words in [[]] + list(commands(main, [])):
    result = runner.invoke(main, words + ["--help"])
    assert result.exit_code == 0 and "Usage:" in result.output, (words, result.output)
"""


def loaded_by(setup: str) -> dict:
    """The heavy libraries and the library modules a fresh interpreter has imported after ``setup``."""
    script = LOADED.format(setup=setup, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_loading_the_command_line_imports_no_heavy_library():
    assert loaded_by("import up2u_cba.cli.main") == {"heavy": [], "library": []}


def test_every_commands_help_imports_no_heavy_library():
    assert loaded_by(EVERY_HELP) == {"heavy": [], "library": []}


def test_a_command_still_imports_the_library_when_it_runs(tmp_path):
    found = loaded_by("from click.testing import CliRunner\n"
                      "from up2u_cba.cli.main import main\n"
                      "CliRunner().invoke(main, ['validate', '--settings', 'no-such-settings.toml'])")
    assert "pydantic" in found["heavy"] and "up2u_cba.pipeline" in found["library"]


def test_the_option_choices_written_out_match_the_library():
    assert case_entry.STATUS_VALUES == tuple(status.value for status in models.Status)
    assert common.DEFAULT_SETTINGS_FILE == settings.DEFAULT_FILE
    assert set(case_entry.EVENT_NOUNS) == {status.value for status in answer_checks.UPDATE_STATUSES}
