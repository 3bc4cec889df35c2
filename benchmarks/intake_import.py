"""How long `intake import` takes for a big workbook: prints figures, judges nothing.

A copy of the bundled project gets an intake workbook made with the tool's own template and
filled with synthetic cases (BCP-1001...; every case referred, on the programme and completed,
with outcome lines of five unit costs shared round them), then `intake import` runs into an
empty cases folder, in this process, and the seconds of each stage are printed.

    python benchmarks/intake_import.py                     # 2,000 cases, 10,000 outcome rows
    python benchmarks/intake_import.py --cases 500 --outcomes 2500
    python benchmarks/intake_import.py prepare DIR         # make DIR's project and workbook once
    python benchmarks/intake_import.py run DIR             # empty DIR's cases folder, import again

`prepare` then `run` lets a whole-process timer (e.g. `/usr/bin/time -v`) time imports alone;
run it with another checkout first on PYTHONPATH to compare two versions of the tool.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import os
import pathlib
import shutil
import sys
import tempfile
import time

import openpyxl

REPO = pathlib.Path(__file__).resolve().parent.parent
CODES = ("HE1.0", "CR2.0", "SS5.0", "HO3.0", "BCP-SS1")
"""Unit costs given to the outcome lines, in turn (none a constituent of another)."""


def prepare(folder: pathlib.Path, case_count: int, outcome_count: int) -> pathlib.Path:
    """A project in ``folder`` with an empty cases folder and a filled workbook; returns the workbook."""
    from up2u_cba.cli.main import main

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "unit_costs", folder / "unit_costs", dirs_exist_ok=True)
    shutil.copy(REPO / "up2u-cba.toml", folder / "up2u-cba.toml")
    (folder / "cases").mkdir(exist_ok=True)
    template = folder / "template.xlsx"
    _cli(main, ["intake", "template", str(template), "--settings", str(folder / "up2u-cba.toml"), "--overwrite"])
    book = openpyxl.load_workbook(template)
    case_sheet, outcome_sheet = book["Cases"], book["Outcomes"]
    localities = ("Bournemouth", "Christchurch", "Poole")
    row = 2
    for number in range(case_count):
        reference = f"BCP-{1001 + number:04d}"
        start = datetime.date(2022, 4, 1) + datetime.timedelta(days=number % 200)
        events = (("referred", start), ("programme", start + datetime.timedelta(days=30)),
                  ("completed", start + datetime.timedelta(days=120)))
        for index, (status, day) in enumerate(events):
            first = index == 0
            values = (reference, "BCP" if first else None, localities[number % 3] if first else None, status, day)
            for column, value in enumerate(values, start=1):
                case_sheet.cell(row=row, column=column, value=value)
            row += 1
    for number in range(outcome_count):
        case = number % case_count
        code = CODES[(number // case_count) % len(CODES)]
        quantity = 1 + number // (case_count * len(CODES))  # a sixth line of a case differs by quantity
        values = (f"BCP-{1001 + case:04d}", code, quantity, 1, None, "Agency check on file")
        for column, value in enumerate(values, start=1):
            outcome_sheet.cell(row=number + 2, column=column, value=value)
    workbook = folder / "intake.xlsx"
    book.save(workbook)
    return workbook


def run(folder: pathlib.Path) -> dict[str, float]:
    """Empty the cases folder and import the workbook; the seconds each stage took."""
    from up2u_cba import pipeline, storage
    from up2u_cba.entry import intake

    cases = folder / "cases"
    shutil.rmtree(cases, ignore_errors=True)
    cases.mkdir()
    settings_file = str(folder / "up2u-cba.toml")
    figures = {}
    started = time.perf_counter()
    inputs, problems = pipeline.load(settings_file)
    figures["load inputs"] = time.perf_counter() - started
    with storage.folder_lock(inputs.settings.cases_folder):
        mark = time.perf_counter()
        plan = intake.plan_import(str(folder / "intake.xlsx"), inputs.settings, inputs.costs, inputs.series,
                                  inputs.cases, problems, update=False)
        figures["read and check workbook"] = time.perf_counter() - mark
        if plan.problems:
            raise SystemExit(f"the generated workbook has problems: {plan.problems[:3]}")
        mark = time.perf_counter()
        written, problems = intake.apply(plan, inputs.settings, inputs.costs, inputs.series)[:2]
        figures["write cases"] = time.perf_counter() - mark
    if problems:
        raise SystemExit(f"the import failed: {problems[:3]}")
    figures["whole import"] = time.perf_counter() - started
    figures["cases written"] = len(written)
    figures["status rows"], figures["outcome rows"] = plan.rows
    return figures


def _cli(main, args: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args, standalone_mode=False)
        except SystemExit as stop:
            if stop.code:
                raise


def _print(figures: dict[str, float]) -> None:
    for name, value in figures.items():
        shown = f"{value:8.2f} s" if isinstance(value, float) else f"{value:8d}"
        print(f"  {name:<26}{shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", choices=("prepare", "run"), help="prepare DIR, or run DIR")
    parser.add_argument("folder", nargs="?", help="the project folder for prepare / run")
    parser.add_argument("--cases", type=int, default=2000, help="cases in the workbook (default 2000)")
    parser.add_argument("--outcomes", type=int, default=10000, help="outcome rows (default 10000)")
    options = parser.parse_args()
    if options.action and not options.folder:
        parser.error(f"{options.action} needs a FOLDER")
    if options.action == "prepare":
        workbook = prepare(pathlib.Path(options.folder), options.cases, options.outcomes)
        print(f"Wrote {workbook}: {options.cases} cases, {options.outcomes} outcome rows.")
        return
    if options.action == "run":
        _print(run(pathlib.Path(options.folder)))
        return
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as temporary:
        folder = pathlib.Path(temporary)
        mark = time.perf_counter()
        prepare(folder, options.cases, options.outcomes)
        print(f"intake import of {options.cases} cases, {options.outcomes} outcome rows "
              f"(workbook made in {time.perf_counter() - mark:.1f} s; Python {sys.version.split()[0]}):")
        _print(run(folder))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
