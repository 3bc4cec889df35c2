"""The ``up2u-cba`` command's entry point: loads the command line and runs it.

Loading the command line (click and the commands; the library loads when a command runs: see
``lazy.py``) takes a moment; Ctrl-C pressed in that moment would otherwise end in a Python
traceback, before any of the tool's own handling is in place. Here it ends as every other stop
does: a short message and exit status 1, nothing written.

A run builds many objects that live until it ends (every case, every valued line: millions at
100,000 cases) and makes almost no garbage in cycles; Python's collector, left at its default,
walks them again and again and costs a third of a report's time. So a run collects rarely.
"""

from __future__ import annotations

import gc
import importlib
import sys

COLLECT_AFTER = (100_000, 50, 1_000)
"""The collector's thresholds for a run (Python's default is 700, 10, 10): see above."""


def main() -> None:
    gc.set_threshold(*COLLECT_AFTER)
    try:
        command_line = importlib.import_module("up2u_cba.cli.main")
    except KeyboardInterrupt:
        sys.stderr.write("\nStopped: nothing was written.\n")
        sys.exit(1)
    command_line.main()
