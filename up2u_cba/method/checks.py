"""Checks across inputs: cases against settings, unit costs and the deflator series.

Each check returns problems; nothing here raises or prints.
"""

from __future__ import annotations

import re
import shlex

from up2u_cba import models
from up2u_cba.inputs import cases, deflators, privacy, reference_examples, unit_costs
from up2u_cba.method import assumptions, plausibility
from up2u_cba.problems import Problem, counted


def check(
    settings: models.Settings,
    costs: dict[str, models.UnitCost],
    series: deflators.DeflatorSeries,
    cases: list[models.CaseRecord],
) -> list[Problem]:
    """Every problem that stops the cases being valued, across all inputs at once."""
    problems: list[Problem] = []
    if settings.price_year not in series.index:
        problems.append(Problem(
            code="price-year-not-in-series", file=settings.file, where="uprating.price_year",
            message=f"the report's price year {settings.price_year} is not in the deflator series {series.file}",
            hint=f"choose a year from {min(series.index)} to {max(series.index)}",
        ))
    problems.extend(assumption_codes(settings, costs))
    problems.extend(assumptions.unknown_agencies(settings.assumptions, costs, settings.file))
    problems.extend(_check_spend(settings, cases))
    seen: dict[str, str] = {}
    references = [case.reference for case in cases]  # (an example of a service's references, if its pattern is too clever)
    table = _Table(costs, series)  # (the tree of costs and their declarations, worked out once a run)
    shapes: dict[str, str] = {}

    def shape_of(service: models.ServiceSettings) -> str:
        """How ``service``'s references look, worked out once a run: each case out of shape asks."""
        if service.name not in shapes:
            shapes[service.name] = reference_examples.shape(service, references)
        return shapes[service.name]

    for case in cases:
        key = case.reference.upper()  # BCP-0007 and bcp-0007 are one case to a person
        if key in seen:
            problems.append(Problem(
                code="duplicate-reference", file=case.file, where="reference",
                message=f"case {case.reference} is also in {seen[key]}",
                hint="each case has one file and its own reference",
            ))
        seen.setdefault(key, case.file)
        if case.withdrawn:  # counted nowhere; only its reference stays taken (restoring checks it again)
            continue
        if case.outcomes and case.completed_on is None:
            problems.append(Problem(
                code="outcomes-without-completion", file=case.file, where="outcomes[1]",
                message="the case has outcome lines but has not completed, so they would be ignored",
                hint='add the completion ([[status]] status = "completed" with its date), or remove the lines'))
        problems.extend(_check_service(case, settings, shape_of))
        problems.extend(_check_outcomes(case, table))
        pairs = _line_pairs(case, costs)
        problems.extend(_check_declared(case, pairs, table))
        problems.extend(_check_overlaps_in_part(case, pairs, table, settings.price_year))
        problems.extend(_check_plausible(case, costs, series, settings))
    problems.extend(same_cases(cases))
    return list(dict.fromkeys(problems))  # a cost's own problem once, however many cases use it


def same_cases(records: list[models.CaseRecord]) -> list[Problem]:
    """A warning (``same-as-another-case``) for each active case with the same content (service,
    locality, dated history, outcome lines: ``_content``) as an active case before it, or as a
    withdrawn case: a case entered twice, or a withdrawn duplicate back under a new reference
    (renamed in a workbook and imported, or its file copied). Cases are grouped by their content,
    never compared in pairs, so 100,000 cases take one pass. Cases without outcome lines are
    left out: people referred, or starting a group, on the same day in one locality are common."""
    withdrawn: dict[tuple, models.CaseRecord] = {}
    for record in records:
        if record.withdrawn and record.outcomes:
            withdrawn.setdefault(_content(record), record)
    first: dict[tuple, models.CaseRecord] = {}
    problems = []
    for record in records:
        if record.withdrawn or not record.outcomes:
            continue
        content = _content(record)
        other = first.setdefault(content, record)
        if other is not record:
            problems.append(_same_as(record, other, f"{other.reference} ({other.file})"))
        if content in withdrawn:
            other = withdrawn[content]
            change = next((change for change in reversed(other.changes)
                           if change.kind is models.ChangeKind.WITHDRAWN), None)
            how = f", withdrawn as '{change.reason}'" if change is not None and change.reason else ""
            problems.append(_same_as(record, other, f"withdrawn {other.reference}{how} ({other.file})"))
    return problems


def _content(record: models.CaseRecord) -> tuple:
    """What two records of one case entered twice share, whatever their references."""
    return (record.service.lower(), record.locality.strip().lower(),
            tuple((event.status, event.date) for event in record.history),
            tuple(sorted((line.code.upper(), line.quantity, line.years) for line in record.outcomes)))


def _same_as(record: models.CaseRecord, other: models.CaseRecord, named: str) -> Problem:
    return Problem(
        code="same-as-another-case", file=record.file, where="reference", warning=True,
        message=f"{record.reference} matches {named}: the same locality, dated history and outcome lines "
                "(code, quantity, years), so the same case may be counted twice",
        hint=f"if it is, withdraw one: `up2u-cba case withdraw {record.reference} --reason \"entered twice "
             f"(same as {other.reference})\"`; if they are two people, nothing needs doing")


def assumption_codes(settings: models.Settings, costs: dict[str, models.UnitCost]) -> list[Problem]:
    """Codes the Green Book assumptions name must be unit costs, or the assumption never applies;
    a benefit duration no longer than an outcome of its cost's unit plausibly lasts."""
    green_book = settings.assumptions
    named = [(f"assumptions.{name}.codes", code) for name in ("deadweight", "attribution", "drop_off")
             for code in getattr(green_book, name).codes]
    named += [("assumptions.duration.codes", code) for code in green_book.duration]
    named += [("assumptions.transfers.codes", code) for code in sorted(green_book.transfers)]
    named += [("assumptions.transfers.not_codes", code) for code in sorted(green_book.not_transfers)]
    problems = []
    for where, code in named:
        if code not in costs:
            nearest = unit_costs.nearest_codes(code, costs)
            problems.append(Problem(
                code="unknown-cost-code", file=settings.file, where=f'{where}."{code}"',
                message=f"'{code}' is not a code in the unit cost files, so this assumption would never apply",
                hint=f"did you mean {' or '.join(nearest)}?" if nearest else "see `up2u-cba costs search WORDS`"))
    return problems + _durations(settings, costs)


def _durations(settings: models.Settings, costs: dict[str, models.UnitCost]) -> list[Problem]:
    """A benefit duration in the settings beyond what its cost's unit makes plausible: the
    settings' problem, once (the lines that take it are not blamed: ``plausibility.doubts``), at
    its key as written (an old code the crosswalk maps: ``Settings.moved_keys``)."""
    problems = []
    written = settings.moved_keys.get("duration.codes", {})
    for code, years in settings.assumptions.duration.items():
        cost = costs.get(code)
        doubt = None if cost is None else plausibility.years_doubt(years, cost)
        if doubt:
            key = written.get(code, code)
            named = code if key == code else f"{key} (the crosswalk maps it to {code})"
            problems.append(Problem(
                code="implausible-duration", file=settings.file, where=f'assumptions.duration.codes."{key}"',
                message=f"{named}: {doubt}", hint="give the years a benefit of this cost lasts, e.g. 3; a line that "
                                                  "lasts longer says so with its own years and why (acknowledged)"))
    return problems


def _check_service(case: models.CaseRecord, settings: models.Settings, shape_of) -> list[Problem]:
    problems = []
    refused = privacy.check_reference(case.reference)
    if refused:  # whatever the service and its pattern allow
        problems.append(Problem(code="personal-data", file=case.file, where="reference", message=refused,
                                hint=privacy.REFERENCE_HINT))
    service = settings.service(case.service)
    if service is None:
        names = ", ".join(known.name for known in settings.services)
        return problems + [Problem(code="unknown-service", file=case.file, where="service",
                                   message=f"'{case.service}' is not a service in {settings.file}",
                                   hint=f"use one of: {names}")]
    if case.service != service.name:
        problems.append(Problem(code="unknown-service", file=case.file, where="service",
                                message=f"'{case.service}' is spelled differently from the settings",
                                hint=f'write service = "{service.name}"'))
    if case.locality not in service.localities:
        problems.append(Problem(code="unknown-locality", file=case.file, where="locality",
                                message=f"'{case.locality}' is not a locality of {service.name}",
                                hint=f"use one of: {', '.join(service.localities)}"))
    if not refused and not cases.SAFE_REFERENCE.fullmatch(case.reference):  # as entry and intake refuse it
        problems.append(Problem(code="bad-reference", file=case.file, where="reference",
                                message="a reference is letters, digits, dashes and underscores only",
                                hint=shape_of(service)))
    elif not refused and service.reference_pattern and not re.fullmatch(service.reference_pattern, case.reference):
        problems.append(Problem(code="bad-reference", file=case.file, where="reference",
                                message=f"'{case.reference}' is not in the shape of a {service.name} reference",
                                hint=shape_of(service)))
    return problems


class _Table:
    """The unit cost tables as the checks of every case ask them: their tree, their ``not_with``
    declarations, and what each pair of codes comes to, worked out once a run, so checking
    100,000 cases is one pass over their lines, not a scan of the tables for each."""

    def __init__(self, costs: dict[str, models.UnitCost], series: deflators.DeflatorSeries):
        self.costs, self.series, self.tree = costs, series, unit_costs.Tree(costs)
        self.declarations = [(cost, exclusion) for cost in costs.values() for exclusion in cost.not_with]
        self.priced: set[str] = set()
        """Codes whose values' price years were checked already (their problems are the same for every case)."""
        self._pairs: dict[tuple[str, str], tuple | None] = {}
        self._covering: dict[str, dict[int, str]] = {}
        self._named: dict[str, dict[int, str]] = {}
        self._overlaps: dict[tuple[str, str], list[tuple[int, int, str, str]]] = {}
        self._declared_with: dict[str, set[str]] = {}

    def with_ancestors(self, code: str) -> tuple[str, ...]:
        """``code`` and the costs it is a constituent of: the codes whose declarations cover it."""
        return (code, *self.tree.ancestors(code))

    def declared_pair(self, code: str, other: str) -> tuple[models.UnitCost, models.Exclusion] | None:
        """The (declaring cost, exclusion) that forbids counting ``code`` with ``other``, or None. A
        declared code stands for itself and its constituents, on either side."""
        if self.declared_with(code).isdisjoint(self.with_ancestors(other)):
            return None  # (nearly every pair: said without looking further)
        key = (code, other)
        if key not in self._pairs:
            self._pairs[key] = _declared_pair(self.with_ancestors(code), self.with_ancestors(other), self.costs)
        return self._pairs[key]

    def declared_with(self, code: str) -> set[str]:
        """The codes a declaration covering ``code`` names on the other side, either way round: a
        line counting ``code`` and one counting any of them, or a constituent, is a declared pair."""
        found = self._declared_with.get(code)
        if found is None:
            mine = self.with_ancestors(code)
            found = self._declared_with[code] = {exclusion.code for declaring, exclusion in self.declarations
                                                 if declaring.code in mine} | \
                {declaring.code for declaring, exclusion in self.declarations if exclusion.code in mine}
        return found

    def overlaps(self, code: str, other: str) -> list[tuple[int, int, str, str]]:
        """How declarations cover a line counting ``code`` and an earlier one counting ``other`` in
        part (``_check_overlaps_in_part``): (the declaration's index, 0 if its declaring cost covers
        ``code``'s line or 1 if ``other``'s, how that line is covered, how the other is), in
        declaration order; empty for the same code twice, or a pair declared outright."""
        if code == other or (self.covering(code).keys().isdisjoint(self.named(other))
                             and self.covering(other).keys().isdisjoint(self.named(code))):
            return []  # (nearly every pair: said without looking further)
        key = (code, other)
        found = self._overlaps.get(key)
        if found is None:
            found = []
            if code != other and self.declared_pair(code, other) is None:
                for direction, (one, two) in enumerate(((code, other), (other, code))):
                    named = self.named(two)
                    found.extend((index, direction, part, named[index])
                                 for index, part in self.covering(one).items() if index in named)
            found = self._overlaps[key] = sorted(found, key=lambda hit: hit[:2])
        return found

    def covering(self, code: str) -> dict[int, str]:
        """The declarations (by their index) whose declaring cost covers a line counting ``code``,
        each with how (``part_covered``)."""
        if code not in self._covering:
            self._covering[code] = self._covered(code, (declaring.code for declaring, _ in self.declarations))
        return self._covering[code]

    def named(self, code: str) -> dict[int, str]:
        """The declarations (by their index) whose named cost covers a line counting ``code``, each with how."""
        if code not in self._named:
            self._named[code] = self._covered(code, (exclusion.code for _, exclusion in self.declarations))
        return self._named[code]

    def _covered(self, code: str, declared_codes) -> dict[int, str]:
        found = {}
        for index, declared in enumerate(declared_codes):
            part = self.part_covered(declared, code)
            if part is not None:
                found[index] = part
        return found

    def part_covered(self, declared: str, code: str) -> str | None:
        """How a declaration naming ``declared`` covers a line counting ``code``: "" when it covers
        the whole line (``declared`` is the code or a cost it is part of), ``declared`` when only a
        part of it (``declared`` is one of the code's constituents), else None."""
        if declared in self.with_ancestors(code):
            return ""
        if declared in self.costs and code in self.tree.ancestors(declared):
            return declared
        return None


def _check_outcomes(case: models.CaseRecord, table: _Table) -> list[Problem]:
    costs, series = table.costs, table.series
    problems = []
    codes_used: dict[str, int] = {}
    for number, outcome in enumerate(case.outcomes, start=1):
        where = f"outcomes[{number}].code"
        cost = costs.get(outcome.code)
        if cost is None:
            nearest = unit_costs.nearest_codes(outcome.code, costs)
            hint = f"did you mean {' or '.join(nearest)}?" if nearest else "see `up2u-cba costs search WORDS`"
            problems.append(Problem(code="unknown-cost-code", file=case.file, where=where,
                                    message=f"'{outcome.code}' is not a code in the unit cost files", hint=hint))
            continue
        codes_used.setdefault(cost.code, number)  # (the cost's code: a crosswalked case's line counts the new one)
        if cost.fiscal is None:
            problems.append(Problem(code="no-fiscal-value", file=case.file, where=where,
                                    message=f"{cost.code} has no fiscal value to count as a saving",
                                    hint="choose a cost with a fiscal value"))
        if cost.code in table.priced:
            continue
        table.priced.add(cost.code)
        for used in (cost, *table.tree.constituents(cost.code)):
            for kind in ("fiscal", "economic", "social"):
                value: models.CostValue | None = getattr(used, kind)
                if value is not None and value.price_year not in series.index:
                    problems.append(Problem(
                        code="price-year-not-in-series", file=used.origin, where=f"{used.code}: {kind}_price_year",
                        message=f"price year {value.price_year} of {used.code} is not in the deflator series "
                                f"{series.file}",
                        hint="add the year to the deflator series, or restate the cost in a year it has"))
    for code, number in codes_used.items():
        for ancestor in table.tree.ancestors(code):
            if ancestor in codes_used:
                problems.append(Problem(
                    code="double-counted-constituent", file=case.file, where=f"outcomes[{number}].code",
                    message=f"case {case.reference} counts {_entered(case, number, code)}, which is part of "
                            f"{ancestor}, and {_entered(case, codes_used[ancestor], ancestor)} itself",
                    hint=f"count either {ancestor} or its constituents, not both",
                ))
    return problems


def _check_declared(case: models.CaseRecord, pairs: list, table: _Table) -> list[Problem]:
    """Pairs of lines the unit cost tables say must not be counted together (``not_with``), and
    the same code on two lines (a warning: perhaps they are one line's quantities)."""
    problems = []
    first = {}  # each code's first line: a line repeating it is said once, beside that line
    for (number, code) in sorted({line for pair in pairs for line in pair}):
        first.setdefault(code, number)
    for (later, code), (earlier, other) in pairs:
        where = f"outcomes[{later}].code"
        if code == other:
            if earlier != first[code]:
                continue
            problems.append(Problem(
                code="same-code-twice", file=case.file, where=where, warning=True,
                message=f"line {later} counts {_entered(case, later, code)} again (also line {earlier})",
                hint="if the two lines are one outcome, make them one line with the total quantity"))
            continue
        declared = table.declared_pair(code, other)
        if declared is not None:
            declaring, exclusion = declared
            problems.append(Problem(
                code="declared-double-count", file=case.file, where=where,
                message=f"line {later} ({_entered(case, later, code)}) must not be counted with line {earlier} "
                        f"({_entered(case, earlier, other)}) on one case: "
                        f"{declaring.origin} says {declaring.code} is not to be counted with {exclusion.code}: "
                        f"\"{exclusion.reason}\"",
                hint=f"keep one of the two lines; `up2u-cba costs show {declaring.code}` lists what it is not "
                     "counted with"))
    return problems


def _line_pairs(case: models.CaseRecord, costs: dict[str, models.UnitCost]):
    """Every pair of the case's lines with known codes, as ((later's number, code), (earlier's
    number, code)), lines numbered from 1; each code the cost's own, so a line entered with an
    older edition's code that the crosswalk maps (``inputs.crosswalk``) is checked as the cost
    it is valued with (its declarations, its parts and the costs it is part of)."""
    lines = [(number, costs[outcome.code].code) for number, outcome in enumerate(case.outcomes, start=1)
             if outcome.code in costs]
    return [(later, earlier) for index, later in enumerate(lines) for earlier in lines[:index]]


def _entered(case: models.CaseRecord, number: int, code: str) -> str:
    """Line ``number``'s cost code for a message: ``CR20.0``, or ``CR20.0, entered as CR2.0``
    where the case gives an older edition's code that the crosswalk maps."""
    written = case.outcomes[number - 1].code
    return code if written == code else f"{code}, entered as {written}"


def _declared_pair(mine: tuple[str, ...], theirs: tuple[str, ...], costs: dict[str, models.UnitCost]):
    """The (declaring cost, exclusion) that forbids counting a code with another, given each with
    the costs it is part of (``_Table.with_ancestors``), or None."""
    for one, two in ((mine, theirs), (theirs, mine)):
        for declaring in one:
            for exclusion in costs[declaring].not_with:
                if exclusion.code in two:
                    return costs[declaring], exclusion
    return None


def _check_overlaps_in_part(case: models.CaseRecord, pairs: list, table: _Table,
                            price_year: models.FinancialYear) -> list[Problem]:
    """Two lines that a declaration covers only in part: a line counts a whole cost (CR2.0) one of
    whose constituents (CR2.0.5, its housing part) a table declares not to be counted with the
    other line's cost (HO3.0). The whole includes the part's money, so the two overlap by it; a
    warning, not a refusal, as the table's comment says only that the part *may* need leaving out.
    A pair the tables declare outright is ``declared-double-count`` (``_check_declared``)."""
    problems = []
    for later, earlier in pairs:
        for index, direction, part, named_part in table.overlaps(later[1], earlier[1]):
            one, two = (later, earlier) if direction == 0 else (earlier, later)
            declaring, exclusion = table.declarations[index]
            problems.append(_overlap_in_part(case, one, part, two, named_part, declaring, exclusion, table,
                                             price_year))
    return list(dict.fromkeys(problems))


def _overlap_in_part(case: models.CaseRecord, one: tuple[int, str], part: str, two: tuple[int, str], named: str,
                     declaring: models.UnitCost, exclusion: models.Exclusion, table: _Table,
                     price_year: models.FinancialYear) -> Problem:
    """The warning for line ``one``, whose ``part`` (or, if "", the whole of it) must not be
    counted with line ``two`` or its ``named`` part: it names both lines, each part with its
    description and value per unit, and the table's reason."""
    if not part:  # (the part is on the other line's side: say that line first)
        one, part, two, named = two, named, one, part
    (number, code), (other_number, other) = one, two
    costs, series = table.costs, table.series
    their_part = f"'s part {_part_described(costs[named], series, price_year)}" if named else ""
    containing = table.with_ancestors(part)  # (the part, and any part of ``code`` that holds it)
    parts = [cost.code for cost in table.tree.constituents(code) if cost.code not in containing]
    instead = f"count {code}'s other parts ({', '.join(parts)}) instead of {code}" if parts else \
        f"count the parts of {code} other than {part} instead of {code}"
    return Problem(
        code="declared-overlap-in-part", file=case.file, where=f"outcomes[{number}].code", warning=True,
        message=f"line {number} ({_entered(case, number, code)}) includes "
                f"{_part_described(costs[part], series, price_year)}, which {declaring.origin} says is not to be counted with line {other_number} "
                f"({_entered(case, other_number, other)}){their_part}",
        hint=f"{instead}, or keep {code} and say in the line's evidence that it overlaps line {other_number} by "
             f"{part}; `up2u-cba costs show {declaring.code}` says why")


def _part_described(cost: models.UnitCost, series: deflators.DeflatorSeries, price_year: models.FinancialYear) -> str:
    """``CR2.0.5 (Domestic violence - ... housing services: £143.28 per incident at 2022/23 prices)``:
    its fiscal value per unit in the report's price year (at its own price year if the deflator
    series lacks either year)."""
    value = cost.fiscal
    if value is None:
        return f"{cost.code} ({cost.description})"
    amount, year = value.amount, value.price_year
    if year in series.index and price_year in series.index:
        amount, year = amount * series.factor(year, price_year), price_year
    unit = cost.unit.strip().lower() or "per unit"
    return f"{cost.code} (£{models.to_pence(amount):,} {unit} at {year} prices)"


def _check_plausible(case: models.CaseRecord, costs: dict[str, models.UnitCost],
                     series: deflators.DeflatorSeries, settings: models.Settings) -> list[Problem]:
    """Lines beyond what their cost's unit makes plausible (``plausibility``): refused until the
    line records why the figure is right, then listed as a warning."""
    problems = []
    for number, outcome in enumerate(case.outcomes, start=1):
        cost = costs.get(outcome.code)
        if cost is None:
            continue
        for field, reason in plausibility.doubts(outcome, cost, series, settings):
            where = f"outcomes[{number}].{field}" if field else f"outcomes[{number}]"
            if outcome.acknowledged:
                problems.append(Problem(
                    code="implausible-line-acknowledged", file=case.file, where=where, warning=True,
                    message=f"line {number} ({outcome.code}): {reason}; acknowledged: \"{outcome.acknowledged}\""))
            else:
                problems.append(Problem(
                    code="implausible-line", file=case.file, where=where,
                    message=f"line {number} ({outcome.code}): {reason}",
                    hint='correct the figure, or if it is right record why on the line: acknowledged = "why the '
                         'figure is right" (intake: the Acknowledged column; guided entry asks)'))
    return problems


def _check_spend(settings: models.Settings, cases: list[models.CaseRecord]) -> list[Problem]:
    """A warning for each service and financial year with completed cases but no programme spend
    set: the report shows that year's savings, but no net saving, return per £1 or payback."""
    completed: dict[tuple[str, models.FinancialYear], int] = {}
    for case in cases:
        service = settings.service(case.service)
        if service is not None and case.completed_on is not None and not case.withdrawn:
            year = models.FinancialYear.containing(case.completed_on)
            if year not in service.spend:
                completed[(service.name, year)] = completed.get((service.name, year), 0) + 1
    return [Problem(code="no-spend-for-year", file=settings.file, where=f"services.{name}.spend",
                    message=f"{counted(number, 'case')} of {name} completed in {year}, a year with no programme "
                            f"spend set: the report gives its savings, but no net saving, return per £1 or payback",
                    hint=f"set it with `up2u-cba spend set {shlex.quote(name)} {year} AMOUNT`", warning=True)
            for (name, year), number in sorted(completed.items(), key=lambda item: (item[0][0], item[0][1].start))]
