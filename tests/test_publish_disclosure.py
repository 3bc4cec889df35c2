"""Published workbooks cannot reveal a small count (issue #9, deliverable 9), proved by an attacker.

Each test writes a published workbook (``report --publish --xlsx``) through the command line,
reads EVERY cell back with openpyxl and hands what it read to a small solver that plays the
attacker:

- **Counts.** Every count cell (Participants, the completers of By locality, the Summary's
  completed cases, the Years sheet) is an integer unknown. A published figure fixes it (under
  the NHS England rule, a figure rounded to 5 leaves it within 2 of the figure, and above 7); a
  hidden one may be anything from 1 up (zeros are always shown, so the attacker knows a hidden
  cell is not 0; "<5" is taken at its word, 1 to 4). The relations are every one the workbook
  publishes: each Participants row adds up to its total, the completers row is the By locality
  column and its total the Summary's count and the year's Years row, and a published average
  saving per case with the published total saving pins the count to the few n with
  round(total / n) = average. Bounds are propagated through the sums, then an exhaustive search
  looks for a whole assignment. For every hidden count whose true value is small (1-4, or 1-7
  under the NHS England rule), the search must find an assignment consistent with everything
  published in which that cell is 0 or not small: the attacker cannot pin it into the small
  range.
- **Savings.** Every saving of a locality, agency or theme is an unknown from 0 to the service's
  published total, the rows of a table add up to that total (gross and prudent), the Summary's
  agency list is the By agency sheet again, a published cashable figure with its published
  cashability bounds the prudent saving, and a locality with no completers saved nothing. A
  saving that rests on few cases (small by the rule) must be hidden everywhere, and the attacker's
  range for it must hold values on both sides of the truth. Dividing a published saving by a
  published unit value cannot reveal a small number of cases, because no published saving rests
  on a small number of cases (asserted for every published saving).

The solver's model of the truth is checked too: the true counts and savings must satisfy every
relation it derived, so a wrong model cannot pass by accident.
"""

from __future__ import annotations

import dataclasses
import decimal
import pathlib
import random
import re
import shutil
import zipfile

import openpyxl
import openpyxl.utils
import pytest

from hostile import assert_refused, invoke, sample_project
from up2u_cba import models, pipeline
from up2u_cba.method import calculate, disclosure
from up2u_cba.outputs import render_xlsx

BIG = 1000
"""The largest count the attacker considers for a cell nothing bounds."""
TOTAL = "total"
NHS = "nhs-england"
RULES = {"1-4": 4, NHS: 7}
"""Each rule and the largest count it hides."""
SAVINGS_TABLES = {"locality": "By locality", "agency": "By agency", "theme": "By theme"}


# --- case sets --------------------------------------------------------------------------------

LOCALITIES = {"BCP": ("Bournemouth", "Christchurch", "Poole"),
              "Dorset": ("North Dorset", "West Dorset", "Weymouth and Portland")}
PREFIX = {"BCP": "BCP", "Dorset": "DOR"}
COMMON_CODES = ("BCP-CR1", "SS5.0", "HE11.0", "CR1.0", "HE1.0")
"""Outcomes many cases share, no two of which the tables declare must not be counted together
(BCP-CR1 stands for CR2.0, BCP-HE2 for HE11.0); HO3.0 (Housing) is kept for the theme that rests
on one case."""
HISTORIES = {
    "completed": [("referred", "2022-04-20"), ("assessment", "2022-05-02"), ("programme", "2022-06-01"),
                  ("completed", "2022-12-01")],
    "completed earlier": [("referred", "2021-05-03"), ("assessment", "2021-05-20"), ("programme", "2021-06-10"),
                          ("completed", "2022-01-10")],
    "programme": [("referred", "2022-05-10"), ("assessment", "2022-05-20"), ("programme", "2022-07-01")],
    "assessment": [("referred", "2022-09-01"), ("assessment", "2022-09-15")],
    "disengaged": [("referred", "2022-04-11"), ("assessment", "2022-05-01"), ("closed", "2022-08-01", "disengaged")],
    "no_contact": [("referred", "2022-06-01"), ("closed", "2022-07-01", "no_contact")],
    "not_suitable": [("referred", "2022-06-03"), ("assessment", "2022-06-20"),
                     ("closed", "2022-07-04", "not_suitable")],
}


def case_file(reference: str, service: str, locality: str, history: str, codes: tuple[str, ...]) -> str:
    lines = ["# Generated for the disclosure tests: invented, not a real person.",
             f'reference = "{reference}"', f'service = "{service}"', f'locality = "{locality}"', ""]
    for event in HISTORIES[history]:
        lines += ["[[status]]", f'status = "{event[0]}"', f"date = {event[1]}"]
        if len(event) > 2:
            lines.append(f'reason = "{event[2]}"')
        lines.append("")
    if history.startswith("completed"):
        for code in codes:
            lines += ["[[outcomes]]", f'code = "{code}"', "quantity = 1",
                      'evidence = "Checked with the referring service"', ""]
    return "\n".join(lines)


@dataclasses.dataclass
class Plan:
    """How many cases of each history each locality has; which completed case alone has HO3.0."""

    counts: dict[tuple[str, str], dict[str, int]]
    lone_theme_case: tuple[str, str] | None = None


def write_cases(folder: pathlib.Path, plan: Plan, seed: int) -> None:
    shutil.rmtree(folder)
    chooser = random.Random(seed)
    numbers = {service: 9000 for service in PREFIX}
    for (service, locality), histories in plan.counts.items():
        (folder / service).mkdir(parents=True, exist_ok=True)
        for history, how_many in histories.items():
            for index in range(how_many):
                numbers[service] += 1
                reference = f"{PREFIX[service]}-{numbers[service]}"
                codes = tuple(chooser.sample(COMMON_CODES, chooser.randint(1, 3)))
                if plan.lone_theme_case == (service, locality) and history == "completed" and index == 0:
                    codes = ("HO3.0",)
                (folder / service / f"{reference}.toml").write_text(
                    case_file(reference, service, locality, history, codes), encoding="utf-8")


def small_cells_plan() -> Plan:
    """A locality with 1 completer, two with 2; a theme resting on one case; small status rows;
    a previous year with 3 completers; Dorset with 1, 5 and 9."""
    counts = {
        ("BCP", "Bournemouth"): {"completed": 1, "programme": 3, "assessment": 6, "disengaged": 1, "completed earlier": 1},
        ("BCP", "Christchurch"): {"completed": 2, "programme": 1, "assessment": 0, "no_contact": 2,
                                  "completed earlier": 2},
        ("BCP", "Poole"): {"completed": 2, "programme": 7, "assessment": 1, "not_suitable": 4},
        ("Dorset", "North Dorset"): {"completed": 1, "programme": 2},
        ("Dorset", "West Dorset"): {"completed": 5, "assessment": 3},
        ("Dorset", "Weymouth and Portland"): {"completed": 9, "disengaged": 6},
    }
    return Plan(counts, lone_theme_case=("Dorset", "West Dorset"))


def random_plan(seed: int) -> Plan:
    """Many small cells at random: counts mostly 0-4, some larger."""
    chooser = random.Random(seed)
    sizes = (0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 9, 12)
    counts = {}
    for service, localities in LOCALITIES.items():
        for locality in localities:
            counts[(service, locality)] = {history: chooser.choice(sizes) for history in HISTORIES}
        counts[(service, localities[0])]["completed"] = max(1, counts[(service, localities[0])]["completed"])
    service, locality = chooser.choice([key for key, value in counts.items() if value["completed"]])
    return Plan(counts, lone_theme_case=(service, locality))


def project(tmp_path: pathlib.Path, rule: str, plan: Plan | None, seed: int = 0) -> pathlib.Path:
    settings = sample_project(tmp_path)
    if plan is not None:
        write_cases(tmp_path / "cases", plan, seed)
    with open(settings, "a", encoding="utf-8") as handle:
        handle.write(f'\n[publish]\nsuppression = "{rule}"\n')
    return settings


def publish(settings: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "published.xlsx"
    result = invoke("report", "--settings", settings, "--year", "2022/23", "--xlsx", path, "--publish")
    assert result.exit_code == 0, result.output
    return path


# --- reading every cell back ----------------------------------------------------------------

class Cells:
    """Every cell of the workbook, and which ones the attacker's model has taken in."""

    def __init__(self, path: pathlib.Path):
        self.workbook = openpyxl.load_workbook(path)
        self.values: dict[tuple[str, int, int], object] = {}
        for sheet in self.workbook.worksheets:
            assert sheet.sheet_state == "visible", f"{sheet.title} is hidden"
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                    self.values[(sheet.title, cell.row, cell.column)] = cell.value
        self.used: set[tuple[str, int, int]] = set()

    def get(self, sheet: str, row: int, column: int):
        self.used.add((sheet, row, column))
        return self.values.get((sheet, row, column))

    def rows(self, sheet: str) -> list[int]:
        return sorted({row for title, row, _ in self.values if title == sheet})

    def table(self, sheet: str) -> list[dict[str, tuple[int, int]]]:
        """A table sheet (header in row 4) as {heading: (row, column)} per data row."""
        if sheet not in self.workbook.sheetnames:
            return []
        headings = {column: value for (title, row, column), value in self.values.items() if title == sheet and row == 4}
        found = []
        for row in self.rows(sheet):
            if row > 4:
                found.append({heading: (row, column) for column, heading in headings.items()})
        return found

    def unused_numbers(self, sheet: str) -> list[str]:
        return [f"{sheet}!{openpyxl.utils.get_column_letter(column)}{row}={value!r}"
                for (title, row, column), value in self.values.items()
                if title == sheet and (title, row, column) not in self.used
                and isinstance(value, (int, float)) and not isinstance(value, bool)]


def number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- the attacker's integer model of the counts -----------------------------------------------

class CountModel:
    """Integer unknowns with interval domains, and relations sum(left) == sum(right)."""

    def __init__(self, rule: str):
        self.largest_hidden = RULES[rule]
        self.rounded = rule == NHS
        self.domains: dict[tuple, tuple[int, int]] = {}
        self.relations: list[tuple[list[tuple], list[tuple]]] = []
        self.hidden: set[tuple] = set()

    def restrict(self, key: tuple, low: int, high: int) -> None:
        old_low, old_high = self.domains.get(key, (0, BIG))
        self.domains[key] = (max(old_low, low), min(old_high, high))

    def published(self, key: tuple, value) -> None:
        """A count cell as the workbook shows it."""
        if number(value):
            shown = int(value)
            assert shown == value, f"{key}: a count that is not whole: {value}"
            if self.rounded and shown != 0:
                assert shown % 5 == 0, f"{key}: {shown} is not rounded to 5 under the NHS England rule"
                self.restrict(key, max(shown - 2, self.largest_hidden + 1), shown + 2)
            else:
                self.restrict(key, shown, shown)
        elif value == "<5":
            self.hidden.add(key)
            self.restrict(key, 1, 4)  # as the workbook's note says
        else:
            assert isinstance(value, str) and value.strip(), f"{key}: no count and no marker ({value!r})"
            self.hidden.add(key)
            self.restrict(key, 1, BIG)

    def relate(self, left: list[tuple], right: list[tuple]) -> None:
        self.relations.append((left, right))

    def propagate(self, domains: dict[tuple, tuple[int, int]]) -> bool:
        """Tighten every domain by the relations until nothing moves; False if one empties."""
        changed = True
        while changed:
            changed = False
            for left, right in self.relations:
                terms = [(key, 1) for key in left] + [(key, -1) for key in right]
                for key, sign in terms:
                    # sign * x = -(sum of the others with their signs)
                    low = high = 0
                    for other, other_sign in terms:
                        if other is key:
                            continue
                        a, b = domains[other]
                        low -= b if other_sign > 0 else -a
                        high -= a if other_sign > 0 else -b
                    if sign < 0:
                        low, high = -high, -low
                    a, b = domains[key]
                    new = (max(a, low), min(b, high))
                    if new != (a, b):
                        if new[0] > new[1]:
                            return False
                        domains[key] = new
                        changed = True
        return True

    def satisfiable(self, fixed: dict[tuple, tuple[int, int]], budget: list[int]) -> bool:
        """Is there a whole assignment within ``fixed`` (extra bounds) meeting every relation?"""
        domains = dict(self.domains)
        for key, (low, high) in fixed.items():
            a, b = domains[key]
            domains[key] = (max(a, low), min(b, high))
            if domains[key][0] > domains[key][1]:
                return False
        return self._search(domains, budget)

    def _search(self, domains, budget) -> bool:
        budget[0] -= 1
        assert budget[0] > 0, "the solver ran out of steps: make the case set smaller"
        if not self.propagate(domains):
            return False
        open_keys = [key for key, (low, high) in domains.items() if low < high]
        if not open_keys:
            return all(sum(domains[k][0] for k in left) == sum(domains[k][0] for k in right)
                       for left, right in self.relations)
        key = min(open_keys, key=lambda k: domains[k][1] - domains[k][0])
        low, high = domains[key]
        for value in range(low, high + 1):
            trial = dict(domains)
            trial[key] = (value, value)
            if self._search(trial, budget):
                return True
        return False

    def check_truth(self, truth: dict[tuple, int]) -> None:
        for key, (low, high) in self.domains.items():
            assert key in truth, f"the model has a count the test does not know: {key}"
            assert low <= truth[key] <= high, f"{key}: true {truth[key]} outside the published {low}-{high}"
        for left, right in self.relations:
            assert sum(truth[k] for k in left) == sum(truth[k] for k in right), (left, right)

    def pinned_small(self, truth: dict[tuple, int]) -> tuple[list[str], int]:
        """Hidden small counts the attacker can pin into 1..largest_hidden, and how many hidden
        small counts were tried."""
        found = []
        tried = 0
        for key in sorted(self.hidden, key=str):
            if not 1 <= truth[key] <= self.largest_hidden:
                continue
            tried += 1
            budget = [200_000]
            if self.satisfiable({key: (0, 0)}, budget):
                continue
            if self.satisfiable({key: (self.largest_hidden + 1, BIG)}, budget):
                continue
            found.append(f"{key} = {truth[key]} can be worked out to lie in 1-{self.largest_hidden}")
        return found, tried


def completers_key(service: str, locality: str = TOTAL) -> tuple:
    return ("completers", service, locality)


SPEND = "Total estimated spend on Up2U over a 12-month period"
ALL_COMPLETERS, ALL_ENDED = ("all services", "completers"), ("all services", "ended")
"""The Summary's counts of the services together."""


def ended_key(service: str) -> tuple:
    """Cases that ended in the year: completed, or closed (every closure row of Participants)."""
    return ("ended", service)


def read_counts(cells: Cells, model: CountModel, year: str) -> None:
    """Every count cell of the workbook into the model, with the relations between them."""
    sheet = "Participants"
    rows = cells.rows(sheet)
    for row in rows:
        if cells.values.get((sheet, row, 1)) != "Category of participant":
            continue
        width = max(column for (title, r, column) in cells.values if title == sheet and r == row)
        localities = [cells.get(sheet, row, column) for column in range(2, width)]
        service = str(cells.get(sheet, row, width)).removesuffix(" total")
        for label_row in range(row + 1, row + 1 + len(calculate.PARTICIPANT_ROWS)):
            label = cells.get(sheet, label_row, 1)
            assert label in calculate.PARTICIPANT_ROWS, (sheet, label_row, label)
            keys = []
            for column, locality in enumerate([*localities, TOTAL], start=2):
                key = (completers_key(service, locality) if label == "Successful completers"
                       else ("participants", service, label, locality))
                model.published(key, cells.get(sheet, label_row, column))
                keys.append(key)
            model.relate(keys[:-1], [keys[-1]])
    by_locality: dict[str, list[tuple]] = {}
    for row in cells.table("By locality"):
        service = cells.get("By locality", *row["Service"])
        key = completers_key(service, cells.get("By locality", *row["Locality"]))
        model.published(key, cells.get("By locality", *row["Completed cases"]))
        by_locality.setdefault(service, []).append(key)
    for service, keys in by_locality.items():
        model.relate(keys, [completers_key(service)])
    for row in cells.table("Years"):
        service = cells.get("Years", *row["Service"])
        row_year = cells.get("Years", *row["Financial year"])
        key = completers_key(service) if row_year == year else ("years", service, row_year)
        model.published(key, cells.get("Years", *row["Completed cases"]))
        for heading in ("Total saving", "Prudent saving", "Spend", "Net saving", "Return per £1"):
            cells.get("Years", *row[heading])  # year totals: the headline, no count in them
    services = list(by_locality)
    for service, block in summary_blocks(cells).items():
        completed = block["Completed cases"][0]
        ended = block[render_xlsx.ENDED][0]
        if service not in services:  # the services together: each count the sum of theirs
            for key, value, parts in ((ALL_COMPLETERS, completed, [completers_key(name) for name in services]),
                                      (ALL_ENDED, ended, [ended_key(name) for name in services])):
                if number(value):
                    model.published(key, value)
                    for part in parts:  # a service's own count may be hidden: unknown, but in the sum
                        model.restrict(part, 0, BIG)
                    model.relate(parts, [key])
            continue
        model.published(completers_key(service), completed)
        if number(ended):
            model.published(ended_key(service), ended)
            closed = [("participants", service, label, TOTAL) for label in sorted(calculate.CLOSURE_ROWS)]
            model.relate([completers_key(service)] + [key for key in closed if key in model.domains],
                         [ended_key(service)])
        # (the completion rate is completed / ended, each published as well where it is shown)
        average = block["Average saving per completed case"][0]
        total = block[f"Total estimated saving for cases completed in {year}"][0]
        for label, amount in (("average", total), (render_xlsx.COST_PER_COMPLETER, block[SPEND][0])):
            shown = average if label == "average" else block[label][0]
            if number(shown) and number(amount) and amount > 0:
                # (the average in whole pounds, the cost per completed case to the penny, each half up)
                rounded = half_up if label == "average" else models.to_pence
                possible = [n for n in range(1, BIG + 1)
                            if rounded(decimal.Decimal(amount) / n) == decimal.Decimal(str(shown))]
                assert possible, f"{service}: no count gives the published {label}"
                model.restrict(completers_key(service), min(possible), max(possible))


def half_up(amount: decimal.Decimal) -> int:
    return int(amount.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def summary_blocks(cells: Cells) -> dict[str, dict[str, tuple]]:
    """The Summary per service: {label: (gross, prudent)}, with its agency list under
    ("agency", name) and the list's total under ("agency", "Total")."""
    blocks: dict[str, dict] = {}
    current = None
    in_agencies = False
    for row in cells.rows("Summary"):
        label = cells.get("Summary", row, 1)
        values = (cells.get("Summary", row, 2), cells.get("Summary", row, 3))
        if label == "Service":
            current = blocks.setdefault(values[0], {})
            in_agencies = False
        elif current is None or label is None:
            continue
        elif label == "Savings by agency":
            in_agencies = True
        elif in_agencies:
            current[("agency", label)] = values
            in_agencies = label != "Total"
        else:
            current[label] = values
    return blocks


# --- the attacker's model of the savings ------------------------------------------------------

@dataclasses.dataclass
class SavingsTable:
    """One breakdown of one service's total saving (gross or prudent): each row's possible range."""

    total: float
    ranges: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    hidden: set[str] = dataclasses.field(default_factory=set)
    truth: dict[str, float] = dataclasses.field(default_factory=dict)

    def published(self, key: str, value) -> None:
        low, high = self.ranges.get(key, (0.0, self.total))
        if number(value):
            low, high = max(low, float(value)), min(high, float(value))
        else:
            self.hidden.add(key)
        self.ranges[key] = (low, high)

    def restrict(self, key: str, low: float, high: float) -> None:
        a, b = self.ranges[key]
        self.ranges[key] = (max(a, low), min(b, high))

    def solve(self) -> dict[str, tuple[float, float]]:
        """Exact ranges under sum(rows) == total with each row in its box."""
        ranges = dict(self.ranges)
        lows = sum(low for low, _ in ranges.values())
        highs = sum(high for _, high in ranges.values())
        return {key: (max(low, self.total - (highs - high)), min(high, self.total - (lows - low)))
                for key, (low, high) in ranges.items()}


def read_savings(cells: Cells, year: str) -> dict[tuple[str, str, str], SavingsTable]:
    """{(service, breakdown, "gross" | "prudent"): table} from By locality, By agency, By theme and the
    Summary's agency list, with every relation the attacker can use."""
    blocks = summary_blocks(cells)
    tables: dict[tuple[str, str, str], SavingsTable] = {}

    def table(service: str, breakdown: str, column: str) -> SavingsTable:
        total = blocks[service][f"Total estimated saving for cases completed in {year}"][column == "prudent"]
        assert number(total), f"{service}: the headline total is not shown"
        return tables.setdefault((service, breakdown, column), SavingsTable(total=float(total)))

    for breakdown, sheet in SAVINGS_TABLES.items():
        key_heading = breakdown.capitalize()
        for row in cells.table(sheet):
            service = cells.get(sheet, *row["Service"])
            key = cells.get(sheet, *row[key_heading])
            for column, heading in (("gross", "Saving"), ("prudent", "Prudent saving")):
                table(service, breakdown, column).published(key, cells.get(sheet, *row[heading]))
            if breakdown == "locality" and cells.values.get((sheet, *row["Completed cases"])) == 0:
                for column in ("gross", "prudent"):
                    table(service, breakdown, column).restrict(key, 0, 0)  # no completers, no saving
            if breakdown == "agency":
                share, cashable = cells.get(sheet, *row["Cashability"]), cells.get(sheet, *row["Cashable"])
                if number(share) and number(cashable) and share > 0:
                    table(service, breakdown, "prudent").restrict(key, (cashable - 0.5) / share,
                                                                   (cashable + 0.5) / share)
    for service, block in blocks.items():
        for label, values in block.items():
            if isinstance(label, tuple) and label[1] != "Total":
                for column, value in zip(("gross", "prudent"), values):
                    table(service, "agency", column).published(label[1], value)
            elif isinstance(label, tuple):
                for column, value in zip(("gross", "prudent"), values):
                    assert value == table(service, "agency", column).total
    return tables


def rests_on(summary: calculate.ServiceSummary, breakdown: str) -> dict[str, int]:
    """How many completed cases each row of a breakdown rests on (counted here, apart from the tool)."""
    cases: dict[str, set[str]] = {}
    for case in summary.cases:
        for line in case.lines:
            if breakdown == "locality":
                keys = [case.locality]
            elif breakdown == "theme":
                keys = [line.theme]
            else:
                keys = [agency for agency, proportion in line.agency_proportions if proportion > 0]
            for key in keys:
                cases.setdefault(key, set()).add(case.reference)
    return {key: len(references) for key, references in cases.items()}


# --- the checks -----------------------------------------------------------------------------

def attack(settings: pathlib.Path, path: pathlib.Path, rule: str) -> tuple[list[str], int]:
    """Everything the attacker can work out that the rule protects ([] when nothing), and how
    many small figures the attack was tried on."""
    result = pipeline.run(str(settings), year="2022/23")
    year = str(result.year)
    largest = RULES[rule]
    cells = Cells(path)
    leaks = []

    model = CountModel(rule)
    read_counts(cells, model, year)
    truth: dict[tuple, int] = {}
    for summary in result.services:
        for label, by_locality in summary.participants.counts.items():
            for locality, value in [*by_locality.items(), (TOTAL, sum(by_locality.values()))]:
                key = (completers_key(summary.service, locality) if label == "Successful completers"
                       else ("participants", summary.service, label, locality))
                truth[key] = value
    for summary in result.services:
        truth[ended_key(summary.service)] = summary.ended
    truth[ALL_COMPLETERS] = sum(summary.completers for summary in result.services)
    truth[ALL_ENDED] = sum(summary.ended for summary in result.services)
    for entry in result.years:
        if str(entry.year) != year:
            truth[("years", entry.service, str(entry.year))] = entry.completers
        else:
            assert truth[completers_key(entry.service)] == entry.completers
    model.check_truth(truth)
    leaks, tried = model.pinned_small(truth)

    tables = read_savings(cells, year)
    for summary in result.services:
        small_service = 1 <= summary.completers <= largest
        breakdowns = {"locality": (summary.by_locality, summary.prudent_by_locality),
                      "agency": (summary.by_agency, summary.prudent_by_agency),
                      "theme": (summary.by_theme, summary.prudent_by_theme)}
        for breakdown, (gross, prudent) in breakdowns.items():
            counts = rests_on(summary, breakdown)
            for column, amounts in (("gross", gross), ("prudent", prudent)):
                table = tables[(summary.service, breakdown, column)]
                assert set(table.ranges) == set(amounts), (summary.service, breakdown)
                ranges = table.solve()
                for key, amount in amounts.items():
                    low, high = ranges[key]
                    assert low - 1e-6 <= float(amount) <= high + 1e-6, (key, amount, low, high)
                    small = 1 <= counts.get(key, 0) <= largest
                    tried += small
                    where = f"{summary.service} {breakdown} {key!r} ({column}, rests on {counts.get(key, 0)} cases)"
                    if small and key not in table.hidden:
                        leaks.append(f"{where} is published")
                    elif small and not small_service and not low < float(amount) < high:
                        leaks.append(f"{where} can be worked out: {low:.0f}-{high:.0f}")

    for sheet in ("Summary", "Participants", "By locality", "By agency", "By theme", "Years"):
        if sheet in cells.workbook.sheetnames:
            for row in cells.table(sheet) if sheet != "Participants" else []:
                for heading, (r, c) in row.items():
                    if heading in ("Cashability", "Cashable"):
                        cells.get(sheet, r, c)
            unknown = cells.unused_numbers(sheet)
            assert not unknown, f"figures the attacker's model does not take in: {unknown}"
    return leaks, tried


def assert_charts_hold_no_figures(path: pathlib.Path) -> None:
    """A chart's cached data would be figures outside the cells: a published chart has none."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/charts/"):
                text = archive.read(name).decode("utf-8")
                for tag in ("numLit", "strLit"):
                    assert f"<c:{tag}" not in text and f"<{tag}" not in text, f"{name} holds {tag}"
                # a cache of a series' cells may be there (XlsxWriter writes one), but never a point in it
                for cache in re.findall(r"<(?:c:)?(?:numCache|strCache)\b.*?</(?:c:)?(?:numCache|strCache)>", text):
                    assert "<c:pt " not in cache and "<pt " not in cache, f"{name} holds cached figures: {cache}"


def assert_rule_named(path: pathlib.Path, rule: str) -> None:
    workbook = openpyxl.load_workbook(path)
    words = "NHS England" if rule == NHS else "1 to 4"
    for sheet in ("Method", "Run info", "Participants"):
        text = " ".join(str(cell.value) for row in workbook[sheet].iter_rows() for cell in row if cell.value)
        assert words in text, f"{sheet} does not say which rule applied ({words})"


CASE_SETS = {
    "sample": None,
    "small-cells": small_cells_plan(),
    **{f"random-{seed}": random_plan(seed) for seed in (1, 2, 3, 4)},
}


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("case_set", sorted(CASE_SETS))
def test_no_small_count_or_saving_can_be_worked_out(tmp_path, case_set, rule):
    settings = project(tmp_path, rule, CASE_SETS[case_set], seed=len(case_set))
    path = publish(settings, tmp_path)
    leaks, tried = attack(settings, path, rule)
    assert not leaks, "\n".join(leaks)
    assert tried > 5, "the case set has too few small figures to try the attack on"
    assert_charts_hold_no_figures(path)
    assert_rule_named(path, rule)


def test_the_small_cells_set_has_what_it_is_built_to_have(tmp_path):
    """The generated set really has the small cells the attack must not find (or the test above
    could pass on an easy set): a locality with 1 completer, two with 2, a theme on one case."""
    settings = project(tmp_path, "1-4", small_cells_plan())
    result = pipeline.run(str(settings), year="2022/23")
    bcp, dorset = result.services
    assert sorted(bcp.participants.counts["Successful completers"].values()) == [1, 2, 2]
    assert rests_on(dorset, "theme")["Housing"] == 1
    assert [entry.completers for entry in result.years if entry.service == "BCP"] == [3, 5]


def test_the_solver_finds_a_count_given_away_by_its_total():
    """The attacker is not toothless: a row 2 + * + 10 = 15 pins the hidden cell to 3, and an
    average with the total pins a count."""
    model = CountModel("1-4")
    for locality, value in (("A", 2), ("B", "*"), ("C", 10), (TOTAL, 15)):
        model.published(("row", locality), value)
    model.relate([("row", "A"), ("row", "B"), ("row", "C")], [("row", TOTAL)])
    assert model.pinned_small({("row", "A"): 2, ("row", "B"): 3, ("row", "C"): 10, ("row", TOTAL): 15})[0]
    model = CountModel("1-4")
    for locality, value in (("A", "*"), ("B", "*"), ("C", 10), (TOTAL, 13)):
        model.published(("row", locality), value)
    model.relate([("row", "A"), ("row", "B"), ("row", "C")], [("row", TOTAL)])
    assert model.pinned_small({("row", "A"): 1, ("row", "B"): 2, ("row", "C"): 10, ("row", TOTAL): 13})[0]
    model = CountModel("1-4")
    for locality, value in (("A", "*"), ("B", "*"), ("C", "*"), (TOTAL, 15)):
        model.published(("row", locality), value)
    model.relate([("row", "A"), ("row", "B"), ("row", "C")], [("row", TOTAL)])
    assert not model.pinned_small({("row", "A"): 1, ("row", "B"): 2, ("row", "C"): 12, ("row", TOTAL): 15})[0]
    table = SavingsTable(total=100.0)
    for key, value in (("A", "*"), ("B", 70)):
        table.published(key, value)
    assert table.solve()["A"] == (30.0, 30.0)


def test_the_solver_finds_a_count_given_away_by_an_average():
    model = CountModel("1-4")
    model.published(completers_key("BCP"), "*")
    possible = [n for n in range(1, BIG + 1) if half_up(decimal.Decimal(10_000) / n) == 3333]
    model.restrict(completers_key("BCP"), min(possible), max(possible))
    assert model.pinned_small({completers_key("BCP"): 3})[0]


@pytest.mark.parametrize(("counts", "shown", "total"), [
    ([1, 2, 10], [None, None, None], 13),     # 1 + 2 = 3 would pin both: the 10 is hidden too
    ([10, 1, 9], [10, None, None], 20),       # the published BCP completers row
    ([3, 2, 0], [None, None, 0], None),       # 5 as 3 + 2: each is 1-4 whatever else is hidden
    ([1, 0, 0], [None, 0, 0], None),          # a small total hides its row
    ([6, 0, 12], [6, 0, 12], 18),             # nothing small, nothing hidden
])
def test_protect_row_hides_enough_under_the_1_to_4_rule(counts, shown, total):
    row = disclosure.protect_row(counts, sum(counts), disclosure.RULES["1-4"])
    assert list(row.counts) == shown and row.total == total


def test_the_nhs_england_rule_hides_1_to_7_and_rounds_the_rest_to_5():
    rule = disclosure.RULES["nhs-england"]
    row = disclosure.protect_row([7, 8, 13, 22], 50, rule)
    assert list(row.counts) == [None, None, 15, 20] and row.total == 50  # 7 + 8 = 15 >= 2 + 7
    assert [disclosure.lone_count(n, rule) for n in (0, 1, 7, 8, 12, 13)] == [0, None, None, 10, 10, 15]


def test_a_saving_resting_on_few_cases_takes_a_second_one_with_it():
    rule = disclosure.RULES["1-4"]
    gross = {"Crime": decimal.Decimal(900), "Health": decimal.Decimal(300), "Housing": decimal.Decimal(100)}
    hidden = disclosure.protect_savings((gross, gross), {"Crime": 9, "Health": 6, "Housing": 1}, rule)
    assert hidden == {"Housing", "Health"}  # the smallest saving at least as large as the hidden one


def test_a_service_whose_every_agency_saving_is_hidden_gets_no_empty_chart(tmp_path):
    # the sample's Dorset had 3 completers in 2022/23: every agency saving rests on few cases
    path = publish(project(tmp_path, "1-4", None), tmp_path)
    with zipfile.ZipFile(path) as archive:
        titles = [re.sub(r"<[^>]+>", "", archive.read(name).decode("utf-8")) for name in archive.namelist()
                  if name.startswith("xl/charts/chart")]
    assert any("BCP savings by agency" in title for title in titles)
    assert not any("Dorset savings by agency" in title for title in titles)
    book = openpyxl.load_workbook(path)
    assert book["Summary"]["A1"].value  # the workbook itself is whole
    dorset = [row for row in book["By agency"].iter_rows(values_only=True) if row[0] == "Dorset"]
    assert dorset and all(row[2] == "*" for row in dorset)


def test_an_unknown_suppression_rule_is_refused(tmp_path):
    settings = project(tmp_path, "1-3", None)
    result = invoke("validate", "--settings", settings)
    assert_refused(result, "publish.suppression", "nhs-england")
    assert "[bad-field]" in result.output


@pytest.mark.parametrize("value", ['["1-4"]', '{ rule = "1-4" }'])
def test_a_suppression_rule_written_as_a_list_or_table_is_refused_not_raised(tmp_path, value):
    settings = sample_project(tmp_path)
    with open(settings, "a", encoding="utf-8") as handle:
        handle.write(f"\n[publish]\nsuppression = {value}\n")
    result = invoke("validate", "--settings", settings)
    assert_refused(result, str(settings), "publish.suppression", "nhs-england")
    assert "[bad-field]" in result.output
