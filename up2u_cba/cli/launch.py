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


def output_in_utf8() -> None:
    """What the tool prints into a file or a pipe is UTF-8 on every system, as every file it
    reads must be: on Windows Python would otherwise write the code page's (Windows-1252: a
    report saved with ``> bcp.json`` would not read back with --changed-since, and a character
    outside it would stop the run). A terminal is left as Python set it up (on Windows it
    takes any character)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not stream.isatty() and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


def stop_on_signals() -> None:
    """Handle each stopping signal this system has as Ctrl-C (Windows has no SIGHUP; a signal
    the system will not let be handled is left as it is)."""
    for name in STOPPING_SIGNALS:
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), stop_as_at_ctrl_c)
            except (OSError, ValueError):
                pass


def main() -> None:
    gc.set_threshold(*COLLECT_AFTER)
    output_in_utf8()
    stop_on_signals()
    try:
        command_line = importlib.import_module("up2u_cba.cli.main")
    except KeyboardInterrupt:
        sys.stderr.write("\nStopped: nothing was written.\n")
        sys.exit(1)
    command_line.main()
