"""How the tool's commands scale with the number of cases: prints figures, judges nothing.

`prepare` writes a project of N generated cases (the bundled sample's settings and unit costs;
10 financial years, the two services with their localities and reference patterns, dated status
histories, 1-8 outcome lines a completed case from real codes that pass `validate`, multi-year
lines, spend for every year with completions). The case files are written as TOML text
directly, not through the tool, so 10,000 cases take seconds.

`run` times each command as a whole process (wall seconds, peak memory of that process) beside
its floors measured in the same run: parsing the same case files with tomllib alone, and
writing the same cells as the workbook with openpyxl's write-only mode (and XlsxWriter's
constant-memory mode when it is installed). Ratios, not seconds, are the figures that compare
across runs on a shared machine.

    python benchmarks/scale.py prepare /tmp/scale-1k --cases 1000
    python benchmarks/scale.py run /tmp/scale-1k --repeat 3     # medians of 3 runs

Run it with another checkout first on PYTHONPATH (or another venv) to compare two versions.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import pathlib
import pty
import random
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
TOOL = [sys.executable, "-m", "up2u_cba"]
"""The tool as a whole process, run by this interpreter (so the same venv and PYTHONPATH), as
``up2u-cba`` runs it."""
SERVICES = {"BCP": ("BCP", ("Bournemouth", "Christchurch", "Poole")),
            "Dorset": ("DOR", ("North Dorset", "West Dorset", "Weymouth and Portland"))}
"""Each service: its reference prefix and its localities (as the sample's settings name them)."""
FIRST_YEAR = 2016
YEARS = 10
"""Referrals fall in the 10 financial years from 2016/17."""
PRICE_YEAR = "2018/19"
LINE_CEILING = 200_000
"""Generated lines stay well below the settings' line ceiling (250,000) once uprated."""
CLOSURE_REASONS = ("disengaged", "on_hold", "no_contact", "not_suitable", "moved_away", "in_custody")
DESCRIPTIONS = ("Outcome sustained at the closing review", "Reduction confirmed at follow-up",
                "Service use avoided during the programme", "Improvement reported by the agency")
EVIDENCE = ("Agency check on file", "Case review confirmed", "Partner support worker confirmed",
            "Police check after completion")


# --- prepare ----------------------------------------------------------------------------------

def prepare(folder: pathlib.Path, case_count: int, seed: int = 11) -> dict[str, int]:
    """A project of ``case_count`` generated cases in ``folder``; counts of what was written."""
    if (folder / "cases").exists():
        raise SystemExit(f"{folder / 'cases'} exists: prepare into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "unit_costs", folder / "unit_costs", dirs_exist_ok=True)
    pool = _usable_costs(folder / "unit_costs")
    chooser = random.Random(seed)
    completions: dict[tuple[str, str], int] = {}
    counts = {"cases": 0, "completed": 0, "outcome lines": 0, "multi-year lines": 0}
    for service in SERVICES:
        (folder / "cases" / service).mkdir(parents=True)
    for number in range(case_count):
        service = ("BCP", "Dorset")[number % 3 == 2]  # two BCP cases for each Dorset one
        prefix, localities = SERVICES[service]
        reference = f"{prefix}-{number + 1:06d}"
        events = _status_history(chooser)
        lines = _outcome_lines(chooser, pool) if events[-1][0] == "completed" else []
        text = _case_text(reference, service, chooser.choice(localities), events, lines)
        (folder / "cases" / service / f"{reference}.toml").write_text(text, encoding="utf-8")
        counts["cases"] += 1
        if lines:
            year = _financial_year(events[-1][1])
            completions[service, year] = completions.get((service, year), 0) + 1
            counts["completed"] += 1
            counts["outcome lines"] += len(lines)
            counts["multi-year lines"] += sum(1 for line in lines if line[2] > 1)
    (folder / "up2u-cba.toml").write_text(_settings_text(completions), encoding="utf-8")
    return counts


def _usable_costs(unit_costs: pathlib.Path) -> list[tuple[str, str, float]]:
    """(code, unit, most one unit may save at the price year) of every shipped cost that no
    other cost names as parent, constituent, override or declared overlap (`not_with`), so any
    set of them on one case is no double count; only costs with a fiscal value."""
    rows = []
    for table in ("gmca-ucd-v1.4.csv", "bcp-local.csv"):
        with open(unit_costs / table, encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    named = set()
    for row in rows:
        for field in ("parent", "overrides", "not_with"):
            named.update(re.findall(r"[A-Z&][A-Za-z&-]*\d+(?:\.\d+)*", row[field] or ""))
    deflator = _deflators(unit_costs / "gdp-deflators-march-2026.csv")
    pool = []
    for row in rows:
        if row["parent"] or row["overrides"] or row["not_with"] or row["code"] in named:
            continue
        try:
            value = float(row["fiscal_value"])
            uprated = value * deflator[PRICE_YEAR] / deflator[row["fiscal_price_year"].strip()]
        except (ValueError, KeyError):
            continue
        if 0 < uprated:
            pool.append((row["code"].strip(), row["unit"].strip().lower(), uprated))
    return pool


def _deflators(path: pathlib.Path) -> dict[str, float]:
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["financial_year"].replace("-", "/"): float(row["index"]) for row in csv.DictReader(handle)}


def _status_history(chooser: random.Random) -> list[tuple[str, datetime.date, str]]:
    """A dated history: referred, then assessment and programme, then completed or closed with
    a reason at any stage; a few cases (mostly the last year's) still open."""
    start = datetime.date(FIRST_YEAR, 4, 1)
    day = start + datetime.timedelta(days=chooser.randrange(365 * YEARS - 200))
    events = [("referred", day, "")]
    for status, gap in (("assessment", (5, 40)), ("programme", (7, 45)), ("completed", (60, 180))):
        if day > datetime.date(2025, 12, 1) and chooser.random() < 0.5:
            return events  # still open at the end of the last year
        if chooser.random() < 0.12:
            day += datetime.timedelta(days=chooser.randint(5, 60))
            return events + [("closed", day, chooser.choice(CLOSURE_REASONS))]
        day += datetime.timedelta(days=chooser.randint(*gap))
        events.append((status, day, ""))
    return events


def _outcome_lines(chooser: random.Random, pool: list[tuple[str, str, float]]) -> list[tuple[str, int, int]]:
    """1-8 lines (code, quantity, years) of distinct codes; half of the yearly ones
    counting 2-3 years; every line plausible for its unit and below the line ceiling."""
    lines = []
    for code, unit, value in chooser.sample(pool, chooser.randint(1, 8)):
        quantity = chooser.choice((1, 1, 1, 2, 3))
        yearly = "year" in unit and "lifetime" not in unit and "period" not in unit
        years = chooser.choice((2, 3)) if yearly and chooser.random() < 0.5 else 1
        while quantity * years * value > LINE_CEILING and (quantity > 1 or years > 1):
            quantity, years = (1, years) if quantity > 1 else (quantity, 1)
        if quantity * years * value <= LINE_CEILING:
            lines.append((code, quantity, years))
    return lines or [("BCP-CR1", 1, 1)]


def _case_text(reference: str, service: str, locality: str, events, lines) -> str:
    parts = ["# Generated by benchmarks/scale.py: invented, not a real person.\n",
             f'reference = "{reference}"\nservice = "{service}"\nlocality = "{locality}"\n']
    for status, day, reason in events:
        parts.append(f'\n[[status]]\nstatus = "{status}"\ndate = {day.isoformat()}\n')
        if reason:
            parts.append(f'reason = "{reason}"\n')
    for index, (code, quantity, years) in enumerate(lines):
        parts.append(f'\n[[outcomes]]\ncode = "{code}"\nquantity = {quantity}\n')
        if years > 1:
            parts.append(f"years = {years}\n")
        parts.append(f'description = "{DESCRIPTIONS[index % len(DESCRIPTIONS)]}"\n'
                     f'evidence = "{EVIDENCE[(index + len(reference)) % len(EVIDENCE)]}"\n')
    return "".join(parts)


def _financial_year(day: datetime.date) -> str:
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def _settings_text(completions: dict[tuple[str, str], int]) -> str:
    """The sample's settings with each service's spend set for every year with completions
    (about £4,500 a completion) and references of up to six digits."""
    sample = (REPO / "up2u-cba.toml").read_text(encoding="utf-8")
    head, rest = sample.split("[services.BCP]", 1)
    tail = rest[rest.index("\n# Green Book"):]
    services = []
    for service, (prefix, localities) in SERVICES.items():
        spend = ", ".join(f'"{year}" = {count * 4500}' for (name, year), count in sorted(completions.items())
                          if name == service)
        services.append(f"[services.{service}]\nlocalities = {json.dumps(list(localities))}\n"
                        f'reference_pattern = "{prefix}-\\\\d{{4,6}}"\nspend = {{ {spend} }}\n')
    return head + "\n".join(services) + tail


# --- run --------------------------------------------------------------------------------------

PARSE_FLOOR = """
import pathlib, sys, tomllib
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.toml")):
    tomllib.loads(path.read_text(encoding="utf-8"))
"""
"""Parsing every case file with tomllib alone: the floor of loading them."""

TOOLS_PARSER = PARSE_FLOOR.replace("import pathlib, sys, tomllib", "import pathlib, sys, tomli as tomllib")
"""The same with the parser the tool reads case files with (tomli, tomllib's own compiled): shown
beside the floor, which stays tomllib's, so the ratios compare with those of earlier versions."""

OPENPYXL_FLOOR = """
import json, sys, openpyxl
sheets = json.load(open(sys.argv[1], encoding="utf-8"))
book = openpyxl.Workbook(write_only=True)
for name, rows in sheets.items():
    sheet = book.create_sheet(name)
    for row in rows:
        sheet.append(row)
book.save(sys.argv[2])
"""
"""Writing the workbook's cells (values and formulas) with openpyxl's write-only mode."""

XLSXWRITER_FLOOR = """
import json, sys, xlsxwriter
sheets = json.load(open(sys.argv[1], encoding="utf-8"))
book = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True})
for name, rows in sheets.items():
    sheet = book.add_worksheet(name)
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(number, column, value)
book.close()
"""
"""The same cells with XlsxWriter's constant-memory mode (only when it is installed)."""


WORKBOOK_ALONE = "report --xlsx --no-sensitivity"
"""Timed beside ``report`` (which computes no sensitivity analysis either): the difference is what
writing the workbook costs."""


def run(folder: pathlib.Path, repeat: int) -> list[tuple[str, float, float]]:
    """(what, median wall seconds, peak MB of the slowest-memory run) of every command and floor."""
    folder = folder.resolve()
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="scale-bench-"))
    try:
        workbook = scratch / "report.xlsx"
        plan = [("parse floor: tomllib alone", [sys.executable, "-c", PARSE_FLOOR, str(folder / "cases")]),
                *([("parse: tomli alone (the tool's parser)", [sys.executable, "-c", TOOLS_PARSER, str(folder / "cases")])]
                  if _installed("tomli") else []),
                ("--help", TOOL + ["--help"]),
                ("validate", TOOL + ["validate"]),
                ("report (text)", TOOL + ["report"]),
                ("report --format json", TOOL + ["report", "--format", "json"]),
                ("report --xlsx", TOOL + ["report", "--xlsx", str(workbook), "--overwrite"]),
                # the text report as `report` gives it, plus the workbook: the workbook's own cost
                (WORKBOOK_ALONE, TOOL + ["report", "--xlsx", str(scratch / "alone.xlsx"), "--overwrite",
                                         "--no-sensitivity"]),
                ("case list", TOOL + ["case", "list"])]
        timings: dict[str, list[tuple[float, float]]] = {}
        for _ in range(repeat):
            for name, command in plan:
                timings.setdefault(name, []).append(_timed(command, folder))
            timings.setdefault("case new: first prompt", []).append(_first_prompt(TOOL + ["case", "new"], folder))
        cells = scratch / "cells.json"
        cell_count = _dump_cells(workbook, cells)
        floors = [(f"xlsx floor: openpyxl write-only ({cell_count:,} cells)",
                   [sys.executable, "-c", OPENPYXL_FLOOR, str(cells), str(scratch / "floor.xlsx")])]
        if _installed("xlsxwriter"):
            floors.append((f"xlsx floor: XlsxWriter constant_memory ({cell_count:,} cells)",
                           [sys.executable, "-c", XLSXWRITER_FLOOR, str(cells), str(scratch / "floor2.xlsx")]))
        for _ in range(repeat):
            for name, command in floors:
                timings.setdefault(name, []).append(_timed(command, folder))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [(name, statistics.median(wall for wall, _ in runs), max(peak for _, peak in runs))
            for name, runs in timings.items()]


def _timed(command: list[str], folder: pathlib.Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of ``command`` run as its own process in ``folder``."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:  # the generated project is valid: any failure is the benchmark's
            errors.seek(0)
            raise SystemExit(f"{command[-1]} failed ({process.returncode}): {errors.read().decode()[-2000:]}")
    return wall, _megabytes(usage)


def _first_prompt(command: list[str], folder: pathlib.Path) -> tuple[float, float]:
    """Wall seconds until ``command``, on a terminal, shows its first prompt (output ending
    ': '), and its peak MB; then it is stopped."""
    leader, follower = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=folder, stdin=follower, stdout=follower, stderr=follower,
                               start_new_session=True)
    os.close(follower)
    shown = b""
    try:
        while not shown.endswith(b": "):
            ready, _, _ = select.select([leader], [], [], 120)
            if not ready:
                raise SystemExit(f"no prompt from case new in 120 s; it showed {shown[-500:]!r}")
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise SystemExit(f"case new ended before its first prompt: {shown[-500:]!r}")
            shown += chunk
        wall = time.perf_counter() - started
    finally:
        process.kill()
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = -9
        os.close(leader)
    return wall, _megabytes(usage)


def _megabytes(usage) -> float:
    return usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _dump_cells(workbook: pathlib.Path, target: pathlib.Path) -> int:
    """Write the workbook's cells as JSON rows per sheet (for the floors); how many there are."""
    import openpyxl

    book = openpyxl.load_workbook(workbook, read_only=True)
    sheets, count = {}, 0
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([value if value is None or isinstance(value, (int, float, str)) else str(value)
                         for value in row])
            count += sum(1 for value in row if value is not None)
        sheets[sheet.title] = rows
    book.close()
    target.write_text(json.dumps(sheets), encoding="utf-8")
    return count


def _installed(module: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def _print(figures: list[tuple[str, float, float]], folder: pathlib.Path, repeat: int) -> None:
    cases = sum(1 for _ in (folder / "cases").rglob("*.toml"))
    floor = next(wall for name, wall, _ in figures if name.startswith("parse floor"))
    print(f"{cases:,} cases in {folder}; median of {repeat}; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    width = max(len(name) for name, _, _ in figures) + 2
    print(f"  {'command':<{width}}{'wall s':>8}{'peak MB':>9}{'x parse':>9}")
    for name, wall, peak in figures:
        print(f"  {name:<{width}}{wall:8.2f}{peak:9.0f}{wall / floor:9.1f}")
    walls = {name: wall for name, wall, _ in figures}
    extra = walls[WORKBOOK_ALONE] - walls["report (text)"]
    if extra <= 0:
        print(f"  the workbook's own cost ({WORKBOOK_ALONE} minus report) is lost in this run's noise: use --repeat")
        return
    floors = {name.split(": ", 1)[1].split(" (")[0]: wall for name, wall in walls.items()
              if name.startswith("xlsx floor")}
    print(f"  the workbook's own cost ({WORKBOOK_ALONE} minus report): {extra:.2f} s, "
          + ", ".join(f"{extra / wall:.1f} x {name}" for name, wall in floors.items())
          + f" (fastest {min(floors, key=floors.get)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("prepare", "run"), help="prepare DIR, or run DIR")
    parser.add_argument("folder", help="the generated project's folder")
    parser.add_argument("--cases", type=int, default=1000, help="cases to generate (default 1000)")
    parser.add_argument("--seed", type=int, default=11, help="random seed of the generated cases (default 11)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command; the median is shown")
    options = parser.parse_args()
    folder = pathlib.Path(options.folder)
    if options.action == "prepare":
        started = time.perf_counter()
        counts = prepare(folder, options.cases, options.seed)
        print(f"Wrote {folder} in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{value:,} {name}" for name, value in counts.items()) + ".")
        return
    _print(run(folder, max(1, options.repeat)), folder, max(1, options.repeat))


if __name__ == "__main__":
    main()
