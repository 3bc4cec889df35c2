"""The ``up2u-cba`` command's entry point: loads the command line and runs it.

Loading the command line (click and the commands; the library loads when a command runs: see
``lazy.py``) takes a moment; Ctrl-C pressed in that moment would otherwise end in a Python
traceback, before any of the tool's own handling is in place. Here it ends as every other stop
does: a short message and exit status 1, nothing written.

A run stopped by the system (``kill``, a closed terminal: SIGTERM, SIGHUP) stops as at Ctrl-C,
through the same clean-up: temporary files and a half-written workbook's row data removed,
nothing written half-way, no second reader left running.

A run builds many objects that live until it ends (every case, every valued line: millions at
100,000 cases) and makes almost no garbage in cycles; Python's collector, left at its default,
walks them again and again and costs a third of a report's time. So a run collects rarely.
"""

from __future__ import annotations

import gc
import importlib
import signal
import sys

STOPPING_SIGNALS = ("SIGTERM", "SIGHUP")


def stop_as_at_ctrl_c(signal_number, frame) -> None:
    """A stopping signal handled as Ctrl-C is (see above)."""
    raise KeyboardInterrupt


COLLECT_AFTER = (100_000, 50, 1_000)
"""The collector's thresholds for a run (Python's default is 700, 10, 10): see above."""


def main() -> None:
    gc.set_threshold(*COLLECT_AFTER)
    for name in STOPPING_SIGNALS:
        if hasattr(signal, name):  # (Windows has no SIGHUP)
            signal.signal(getattr(signal, name), stop_as_at_ctrl_c)
    try:
        command_line = importlib.import_module("up2u_cba.cli.main")
    except KeyboardInterrupt:
        sys.stderr.write("\nStopped: nothing was written.\n")
        sys.exit(1)
    command_line.main()
