"""The ``up2u-cba`` command's entry point: loads the command line and runs it.

Loading the command line (click and the commands; the library loads when a command runs: see
``lazy.py``) takes a moment; Ctrl-C pressed in that moment would otherwise end in a Python
traceback, before any of the tool's own handling is in place. Here it ends as every other stop
does: a short message and exit status 1, nothing written.
"""

from __future__ import annotations

import importlib
import sys


def main() -> None:
    try:
        command_line = importlib.import_module("up2u_cba.cli.main")
    except KeyboardInterrupt:
        sys.stderr.write("\nStopped: nothing was written.\n")
        sys.exit(1)
    command_line.main()
