"""Setting one service's programme spend for one financial year in the settings file, in place.

The file is edited, not rewritten: every comment, blank line, quote style and value the change
does not touch stays byte for byte as it was, whether the spend is an inline table
(``spend = { "2022/23" = 90000 }``), a ``[services.BCP.spend]`` table or dotted keys. A file
saved with Windows line ends (CRLF) or a byte-order mark keeps them.

The edit is made with tomlkit, a style-preserving TOML parser, imported only here and only when
a change is written (no other command pays for loading it). Nothing a user types becomes TOML
text: the service must be one the settings already name (its key is never written), the year is
written in its own form (``"2023/24"``), and the amount as a whole number.

Writing is safe as every write of the tool is (``storage.write_atomic``): under a lock on the
settings file's folder, so two writers cannot lose each other's change; refused if the file
changed since it was read; and the finished temporary file is read back with ``settings.load``
and compared with the file as it was before it replaces it: the spend must be exactly as asked
and nothing else in the settings different.
"""

from __future__ import annotations

import copy
import dataclasses
import decimal
import difflib
import os
import re
import tomllib
from decimal import Decimal

from up2u_cba import models, storage
from up2u_cba.inputs import input_files, settings
from up2u_cba.problems import Problem, shown

BOM = "\ufeff"
AMOUNT = re.compile(r"£?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?")
"""An amount as typed: whole pounds, thousands optionally grouped with commas (92,000), an
optional £ in front, and at most 2 decimal places (92000.00)."""


class SpendNotWritten(Exception):
    """The spend was not written; ``problems`` say why. The settings file is as it was."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class SpendChange:
    """One year's spend for one service, as asked, with what the file holds now."""

    file: str
    """The settings file as the user named it."""
    service: str
    """The service's name exactly as the settings file spells it."""
    year: models.FinancialYear
    amount: Decimal
    """The new spend, whole pounds."""
    old: Decimal | None
    """The spend the file holds for the year now; None when it has none."""
    original: bytes
    """The settings file's bytes when the change was planned: it is written only if still so."""

    @property
    def where(self) -> str:
        return f'services.{self.service}.spend."{self.year}"'


def pounds(amount: Decimal) -> str:
    """£92,000."""
    return f"£{amount:,.0f}"


def printable(text: str, cut: bool = True) -> str:
    """``text`` as a message may quote it: control characters and line breaks shown as escapes
    (\\n, \\x1b), never acted on by the terminal; cut short when long (with ``cut``)."""
    escaped = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return shown(escaped) if cut else escaped


def parse_amount(text: str) -> tuple[Decimal | None, Problem | None]:
    """A spend as typed: 92000, 92,000, £92000 or 92000.00; whole pounds, more than 0 and at most
    settings.MAXIMUM_SPEND. None and a ``bad-amount`` problem otherwise."""
    typed = text.strip()

    def refuse(message: str, hint: str) -> tuple[None, Problem]:
        return None, Problem(code="bad-amount", file="", where="AMOUNT", message=message, hint=hint)

    example = "e.g. 92000; 92,000 and £92000 are read too"
    if typed.startswith("-"):
        return refuse(f"'{printable(typed)}' is negative; a programme's spend is more than £0", example)
    if not AMOUNT.fullmatch(typed):
        return refuse(f"'{printable(typed)}' is not an amount of money", "whole pounds, " + example)
    value = Decimal(typed.lstrip("£").replace(",", ""))
    if value != value.to_integral_value():
        lower = value.to_integral_value(rounding="ROUND_FLOOR")
        return refuse(f"'{typed}' has pence; the settings keep each year's spend in whole pounds, as every "
                      "figure of the report is", f"round it to {lower} or {lower + 1}")
    if value <= 0:
        return refuse(f"'{typed}' is not more than £0", example)
    if value > settings.MAXIMUM_SPEND:
        return refuse(f"'{typed}' is more than {pounds(settings.MAXIMUM_SPEND)}, which no programme spends "
                      "in a year", "check the figure; " + example)
    return value.to_integral_value(), None


def parse_year(text: str) -> tuple[models.FinancialYear | None, Problem | None]:
    try:
        return models.FinancialYear.parse(text), None
    except ValueError as error:
        return None, Problem(code="bad-year", file="", where="YEAR", message=printable(str(error), cut=False),
                             hint="e.g. 2023/24")


def find_service(loaded: models.Settings, name: str) -> tuple[models.ServiceSettings | None, Problem | None]:
    """The service ``name`` names (whatever its capitals), or None and an ``unknown-service``
    problem with the nearest name as a did-you-mean."""
    found = loaded.service(name)
    if found is not None:
        return found, None
    names = {service.name.casefold(): service.name for service in loaded.services}
    nearest = difflib.get_close_matches(name.casefold(), names, n=1, cutoff=0.6)
    known = ", ".join(service.name for service in loaded.services)
    hint = f"did you mean {names[nearest[0]]}? The services are {known}" if nearest else f"use one of: {known}"
    return None, Problem(code="unknown-service", file=loaded.file, where="SERVICE",
                         message=f"'{printable(name)}' is not a service in {loaded.file}", hint=hint)


def load(settings_file: str) -> tuple[models.Settings | None, bytes | None, list[Problem]]:
    """The settings (checked in full, as every command checks them) and the file's bytes."""
    original, problem = input_files.read_bytes(os.path.realpath(settings_file), input_files.SETTINGS)
    if original is None:
        return None, None, [problem.model_copy(update={"file": settings_file})]
    loaded, problems = settings.load(settings_file)
    return loaded, original, problems


def plan(settings_file: str, service: str, year: str, amount: str) -> tuple[SpendChange | None, list[Problem]]:
    """The change ``spend set SERVICE YEAR AMOUNT`` asks for, or every problem with it at once."""
    loaded, original, problems = load(settings_file)
    chosen_year, year_problem = parse_year(year)
    value, amount_problem = parse_amount(amount)
    known = None
    if loaded is not None:
        known, service_problem = find_service(loaded, service)
        problems = problems + [service_problem] if service_problem else problems
    problems = problems + [problem for problem in (year_problem, amount_problem) if problem]
    if problems or known is None or chosen_year is None or value is None:
        return None, problems
    return SpendChange(file=settings_file, service=known.name, year=chosen_year, amount=value,
                       old=known.spend.get(chosen_year), original=original), []


def exists_problem(change: SpendChange) -> Problem:
    """Why a spend already set is not replaced without being asked to."""
    return Problem(code="spend-exists", file=change.file, where=change.where,
                   message=f"{change.service}'s spend for {change.year} is already {pounds(change.old)}; "
                           f"this would change it to {pounds(change.amount)}",
                   hint="add --overwrite to replace it")


def write(change: SpendChange) -> None:
    """Write ``change`` into the settings file: locked, read again, edited in place, verified and
    renamed into place. Raises SpendNotWritten (the file untouched), and storage.WriteFailed for a
    failed write (disk full...).

    A file changed since the change was planned (another `spend set` for another year, a comment
    added by hand) is edited as it is now, keeping that change; but if the year's own spend is no
    longer what the user saw (and confirmed), nothing is written."""
    path = os.path.realpath(change.file)  # a settings file that is a link is written through it
    try:
        with storage.folder_lock(os.path.dirname(path)):
            current, problem = input_files.read_bytes(path, input_files.SETTINGS)
            if current is None:
                raise SpendNotWritten([problem.model_copy(update={"file": change.file})])
            if current != change.original:
                change = _replanned(change, current)
            text = edited(current, change)
            storage.write_atomic(path, text, verify=lambda temporary: verify(temporary, path, change))
    except storage.LockTimeout as timeout:
        raise SpendNotWritten([Problem(
            code="folder-locked", file=change.file,
            message=storage.describe_holder(timeout.holder, timeout.timeout, "the settings file's folder")
            + f"; its lock file is {timeout.lock_path}",
            hint=storage.lock_hint(timeout.holder, timeout.lock_path))]) from None


def _replanned(change: SpendChange, current: bytes) -> SpendChange:
    """``change`` made to the file as it is now (``current``), if the year's spend there is still
    the one the user saw; SpendNotWritten otherwise."""
    data, _ = input_files.parse_toml(decoded(current, change.file).removeprefix(BOM), change.file,
                                     input_files.SETTINGS)
    service = (data or {}).get("services", {}).get(change.service)
    if not isinstance(service, dict) or not isinstance(service.get("spend", {}), dict):
        raise SpendNotWritten([changed_problem(change)])  # (the verify step would refuse the edit anyway)
    spend = service.get("spend", {})
    key = _key_for(spend, change.year)
    try:
        now = None if key is None else Decimal(str(spend[key]))
    except decimal.InvalidOperation:
        raise SpendNotWritten([changed_problem(change)]) from None
    if now != change.old:
        seen = "none" if change.old is None else pounds(change.old)
        raise SpendNotWritten([changed_problem(change).model_copy(update={
            "where": change.where,
            "message": f"{change.service}'s spend for {change.year} was changed by something else while this "
                       f"command ran (from {seen} to {'none' if now is None else pounds(now)}); nothing was written"})])
    return dataclasses.replace(change, original=current)


def changed_problem(change: SpendChange) -> Problem:
    return Problem(code="settings-changed", file=change.file,
                   message="the settings file was changed by something else while this command ran; "
                           "nothing was written",
                   hint="check the file, then run this again")


def decoded(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:  # (settings.load refused it already; kept for the race)
        raise SpendNotWritten([Problem(code="unreadable-file", file=file, message=f"not UTF-8 text: {error}",
                                       hint=input_files.SETTINGS.format_hint)]) from None


def edited(data: bytes, change: SpendChange) -> str:
    """The settings file's text with ``change`` made, everything else as it was."""
    import tomlkit  # here only: no other command loads it

    text = decoded(data, change.file)
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    crlf = "\r\n" in text and text.count("\n") == text.count("\r\n")  # (a file of mixed line ends stays mixed)
    if crlf:
        text = text.replace("\r\n", "\n")
    document = tomlkit.parse(text)
    service = document["services"][change.service]
    spend = service.get("spend")
    entry = f'"{change.year}" = {change.amount}'
    if spend is None:
        _add_spend(service, tomlkit.parse(f"spend = {{ {entry} }}\n")["spend"])
    elif (key := _key_for(spend, change.year)) is not None:
        spend[key] = int(change.amount)
    elif isinstance(spend, tomlkit.items.InlineTable):
        service["spend"] = tomlkit.parse(f"spend = {_with_entry(spend.as_string(), entry)}\n")["spend"]
    else:
        spend[str(change.year)] = int(change.amount)
    result = tomlkit.dumps(document)
    if crlf:
        result = result.replace("\n", "\r\n")
    return BOM + result if bom else result


def _add_spend(service, spend) -> None:
    """Add a ``spend`` key to a service's table, after its last key: tomlkit's own ``add`` puts
    it after the comments that end the table (in the sample, the commented Green Book examples)."""
    import tomlkit

    body = service.value.body
    last = max((index for index, (key, _) in enumerate(body) if key is not None), default=None)
    if isinstance(service, tomlkit.items.Table) and last is not None and last < len(body) - 1:
        try:
            service.value._insert_at(last + 1, "spend", spend)  # (not public API: the verify step checks the result)
            return
        except (AttributeError, TypeError):
            pass
    service.add("spend", spend)


def _key_for(spend, year: models.FinancialYear) -> str | None:
    """The key the spend table gives ``year`` (written "2022/23", '2022-23'...), if any."""
    for key in spend:
        try:
            if models.FinancialYear.parse(key) == year:
                return key
        except ValueError:
            continue
    return None


def _with_entry(inline: str, entry: str) -> str:
    """An inline table's text ``{ "2022/23" = 90000 }`` with ``entry`` added last, its spacing
    kept (tomlkit's own append drops the space before the closing brace)."""
    inner = inline.strip()[1:-1]
    if not inner.strip():
        return f"{{ {entry} }}"
    kept = inner.rstrip()
    return f"{{{kept}, {entry}{inner[len(kept):]}}}"


def verify(temporary: str, path: str, change: SpendChange) -> None:
    """The written temporary file must load as settings without a problem, hold the spend asked
    for, and differ from the file as it was in nothing else; and the settings file itself must be
    as it was read. Raises SpendNotWritten otherwise."""
    def refuse(message: str) -> None:
        raise SpendNotWritten([Problem(
            code="spend-not-written", file=change.file, where=change.where, message=f"{message}; nothing was written",
            hint="set the spend by editing the file by hand, and please report this")])

    loaded, problems = settings.load(temporary)
    if loaded is None:
        refuse("the edited settings would not load (" + "; ".join(str(problem) for problem in problems) + ")")
    service = loaded.service(change.service)
    if service is None or service.spend.get(change.year) != change.amount:
        refuse(f"the edited settings do not give {change.service} a spend of {pounds(change.amount)} for "
               f"{change.year}")
    before = tomllib.loads(decoded(change.original, change.file).removeprefix(BOM))
    expected = copy.deepcopy(before)
    spend = expected["services"][change.service].setdefault("spend", {})
    spend[_key_for(spend, change.year) or str(change.year)] = int(change.amount)
    with open(temporary, "rb") as handle:
        after = tomllib.loads(decoded(handle.read(), change.file).removeprefix(BOM))
    if after != expected:
        refuse("the edit would have changed more of the settings than this spend")
    current, _ = input_files.read_bytes(path, input_files.SETTINGS)
    if current != change.original:
        raise SpendNotWritten([changed_problem(change)])
