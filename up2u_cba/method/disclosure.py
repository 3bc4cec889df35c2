"""Which figures a published workbook may show: small-number suppression, decided once and
format-neutral (the renderer only shows what is decided here).

A count of a few people, or a saving that rests on a few people's cases, can identify them. In
publish mode no such figure may be shown, nor worked out from the figures that are shown.

**Rules** (settings ``[publish] suppression``):

- ``"1-4"`` (the default): counts of 1 to 4 are not shown; other counts are exact.
- ``"nhs-england"``: counts of 1 to 7 are not shown; other counts are rounded to the nearest 5.

Zeros are always shown: so a reader knows that a hidden count is at least 1, and the method
below protects against a reader who knows that.

**Counts with a margin** (each row of the participant table and its total; the completers row
is also the By locality column, and its total the Summary's completed cases and the year's row
of the Years sheet, so all of these show the same decision):

1. Primary: every count from 1 to the rule's largest hidden count, the total included.
2. If the total is small, every non-zero count of the row is too, and all are hidden.
3. Otherwise, while the hidden counts of the row add up to less than (how many are hidden) +
   (the largest hidden count), the smallest shown non-zero count is hidden too (secondary). Then
   a reader who knows the total and every shown count knows only the sum S of the k hidden
   ones, each at least 1; any hidden count could be as large as S - (k - 1), which is above the
   small range, so none can be pinned into it. Under the NHS England rule the shown counts and
   the total are rounded, which only widens what a reader can tell.
4. If even hiding every non-zero count leaves the sum too small (a total of 5 as 3 + 2), the
   total is hidden too.

A hidden count is shown as the one mark ``*`` whether it is small or hidden to protect a small
one, so the mark itself says nothing about its size.

**Lone counts** (completers of other years on the Years sheet) have no margin: small ones are
hidden, others shown (rounded under the NHS England rule).

**Averages**: the average saving per completed case is shown only where the completed cases
are shown exactly (average x count = total saving), so never under the NHS England rule and
never when the count is hidden.

**Savings** of a locality, an agency or an outcome theme that rest on a small number of
completed cases (small by the rule) are hidden, gross, prudent and cashable together, and
wherever they appear (the Summary's agency list too). Each breakdown adds up to the service's
total, which is shown; so where one hidden row would be the total less the shown rows, another
row is hidden too (secondary: the smallest shown saving at least as large as the largest
hidden one, else the largest), until at least two rows with a non-zero saving are hidden.
A reader then knows only the hidden rows' sum, and each hidden saving could be anything from 0 to
it. Because no shown saving rests on a small number of cases, dividing a shown saving by a
shown unit value cannot reveal one either.

**What is always shown**: each service's total saving for the year, spend, net saving and
return, and the years compared: they are the headline the workbook is for. Where a service had
few completions, its count is hidden, but its total saving still rests on those few cases.
"""

from __future__ import annotations

import dataclasses
import decimal
from decimal import Decimal

from up2u_cba.method import calculate, report


@dataclasses.dataclass(frozen=True)
class Rule:
    """A small-number rule: which counts are hidden, and how the others are rounded."""

    name: str
    """As the settings name it."""
    largest_hidden: int
    """Counts from 1 to this are not shown."""
    rounding: int
    """Other counts are shown to the nearest multiple of this (1: exactly)."""
    title: str
    """The rule in words, for the workbook."""

    def small(self, count: int) -> bool:
        return 1 <= count <= self.largest_hidden

    def rounded(self, count: int) -> int:
        """A count that may be shown, as shown: to the nearest multiple of ``rounding``."""
        return int((Decimal(count) / self.rounding).quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP)) \
            * self.rounding


RULES = {
    "1-4": Rule("1-4", 4, 1, "counts of 1 to 4 are not shown"),
    "nhs-england": Rule("nhs-england", 7, 5, "the NHS England rule: counts of 1 to 7 are not shown, and other "
                                             "counts, totals too, are each rounded to the nearest 5 (so a row "
                                             "need not add up to its total)"),
}
DEFAULT_RULE = "1-4"

Shown = int | None
"""A count as published: a number, or None where it is not shown."""


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of counts with its total, as published."""

    counts: tuple[Shown, ...]
    total: Shown


@dataclasses.dataclass(frozen=True)
class ServiceDecision:
    """What one service's part of a published workbook shows."""

    participants: dict[str, Row]
    """Participant table row label -> its counts by locality (in the table's order) and total."""
    completers: dict[str, Shown]
    """Locality -> its completed cases as shown (the participant table's completers row)."""
    completers_total: Shown
    """The service's completed cases as shown (Summary, Participants, Years)."""
    average_shown: bool
    """Whether the average saving per completed case may be shown."""
    hidden_localities: frozenset[str]
    hidden_agencies: frozenset[str]
    hidden_themes: frozenset[str]
    """Rows of the savings breakdowns whose savings are not shown."""


@dataclasses.dataclass(frozen=True)
class Publication:
    """Every suppression decision for one published workbook."""

    rule: Rule
    services: dict[str, ServiceDecision]
    years: dict[tuple[str, str], Shown]
    """(service, financial year) -> completed cases as shown on the Years sheet."""


def decide(result: report.Report, rule: Rule) -> Publication:
    """Decide what a published workbook of ``result`` shows under ``rule``."""
    services = {summary.service: decide_service(summary, rule) for summary in result.services}
    years = {}
    for entry in result.years:
        current = services.get(entry.service) if entry.year == result.year else None
        years[(entry.service, str(entry.year))] = (current.completers_total if current is not None
                                                   else lone_count(entry.completers, rule))
    return Publication(rule=rule, services=services, years=years)


def decide_service(summary: calculate.ServiceSummary, rule: Rule) -> ServiceDecision:
    participants = summary.participants
    rows = {}
    for label, by_locality in participants.counts.items():
        counts = [by_locality[locality] for locality in participants.localities]
        rows[label] = protect_row(counts, sum(counts), rule)
    completers_row = rows["Successful completers"]
    completers_total = completers_row.total
    behind = cases_behind(summary)
    gross_prudent = ((summary.by_locality, summary.prudent_by_locality),
                     (summary.by_agency, summary.prudent_by_agency),
                     (summary.by_theme, summary.prudent_by_theme))
    localities, agencies, themes = (protect_savings(columns, behind[name], rule)
                                    for name, columns in zip(("locality", "agency", "theme"), gross_prudent))
    return ServiceDecision(
        participants=rows,
        completers=dict(zip(participants.localities, completers_row.counts)),
        completers_total=completers_total,
        average_shown=completers_total is not None and rule.rounding == 1,
        hidden_localities=localities, hidden_agencies=agencies, hidden_themes=themes,
    )


def lone_count(count: int, rule: Rule) -> Shown:
    """A count with no margin beside it, as shown."""
    return None if rule.small(count) else rule.rounded(count)


def protect_row(counts: list[int], total: int, rule: Rule) -> Row:
    """A row of counts and its total as shown: primary and secondary suppression (see the
    module's docstring, steps 1-4)."""
    hidden = {i for i, count in enumerate(counts) if rule.small(count)}
    hide_total = rule.small(total)
    if hide_total:
        hidden = {i for i, count in enumerate(counts) if count > 0}
    while hidden and not hide_total and sum(counts[i] for i in hidden) < len(hidden) + rule.largest_hidden:
        shown = [i for i, count in enumerate(counts) if count > 0 and i not in hidden]
        if not shown:
            hide_total = True
            break
        hidden.add(min(shown, key=lambda i: (counts[i], i)))
    return Row(counts=tuple(None if i in hidden else rule.rounded(count) for i, count in enumerate(counts)),
               total=None if hide_total else rule.rounded(total))


def protect_savings(columns: tuple[dict[str, Decimal], ...], behind: dict[str, int], rule: Rule) -> frozenset[str]:
    """Rows of a savings breakdown (gross and prudent columns) not to show: those resting on a
    small number of cases, and others until no column has exactly one hidden non-zero saving."""
    hidden = {key for key in columns[0] if rule.small(behind.get(key, 0))}
    while True:
        lone = [column for column in columns if sum(1 for key in hidden if column[key] > 0) == 1]
        if not lone:
            return frozenset(hidden)
        column = lone[0]
        largest = max(column[key] for key in hidden)
        shown = sorted((key for key in column if key not in hidden and column[key] > 0), key=lambda key: column[key])
        if not shown:  # the hidden row is the whole total: the headline, shown anyway
            return frozenset(hidden)
        hidden.add(next((key for key in shown if column[key] >= largest), shown[-1]))


def cases_behind(summary: calculate.ServiceSummary) -> dict[str, dict[str, int]]:
    """How many completed cases each locality's, agency's and theme's saving rests on."""
    behind: dict[str, dict[str, set[str]]] = {"locality": {}, "agency": {}, "theme": {}}
    for case in summary.cases:
        for line in case.lines:
            agencies = [agency for agency, proportion in line.agency_proportions if proportion > 0]
            for name, keys in (("locality", [case.locality]), ("theme", [line.theme]), ("agency", agencies)):
                for key in keys:
                    behind[name].setdefault(key, set()).add(case.reference)
    return {name: {key: len(references) for key, references in keys.items()} for name, keys in behind.items()}
