"""Hostile and accidental input files (issue #9, deliverables 3, 4 and 8): every input is read
as a regular file within a size bound, every number field refuses NaN, infinities, overflow and
absurd sizes, implausible dates are refused at validation, workbooks are refused before they are
expanded, and a typo in the settings is named with a did-you-mean. Each through the command a
user would run, with a refusal that names the file and the field, no traceback, and no hang.

Big inputs (a 20 MB field, a zip bomb, 100,000 rows) are generated here, never stored as fixtures.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import pathlib
import re
import threading
import zipfile

import openpyxl
import pytest

from hostile import assert_refused, invoke, sample_project, snapshot, assert_unchanged
from up2u_cba import pipeline
from up2u_cba.problems import InputError

HANG_GUARD = 120
"""Seconds after which a command is taken to hang (it should answer in well under one)."""


def run(*args: str, input: str | None = None):
    """``invoke`` in a thread: a command that hangs (opening a FIFO for reading waits for ever)
    fails the test instead of stopping the suite."""
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(result=invoke(*args, input=input)), daemon=True)
    worker.start()
    worker.join(HANG_GUARD)
    if worker.is_alive():
        for arg in args:  # release a reader blocked on a FIFO, so the thread can end
            if os.path.exists(str(arg)) and pathlib.Path(str(arg)).is_fifo():
                os.close(os.open(str(arg), os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"up2u-cba {' '.join(map(str, args))} hung")
    return outcome["result"]


def refused(result, *names: str, code: str | None = None) -> None:
    """``assert_refused``, and the problem's code in brackets where one is given."""
    assert_refused(result, *names)
    if code:
        assert f"[{code}]" in result.output, result.output


@pytest.fixture
def project(tmp_path):
    return sample_project(tmp_path)


def case_path(settings: pathlib.Path) -> pathlib.Path:
    return settings.parent / "cases" / "BCP" / "BCP-0001.toml"


def edit(path: pathlib.Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- not a regular file ------------------------------------------------------------------------


def make_fifo(path: pathlib.Path) -> pathlib.Path:
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


def make_link(path: pathlib.Path, target: str) -> pathlib.Path:
    path.unlink(missing_ok=True)
    path.symlink_to(target)
    return path


NOT_FILES = {
    "fifo": lambda path: make_fifo(path),
    "link to /dev/zero": lambda path: make_link(path, "/dev/zero"),
    "link to /dev/null": lambda path: make_link(path, "/dev/null"),
    "link to a folder": lambda path: make_link(path, str(path.parent)),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "link to /dev/null"])
def test_a_case_file_that_is_not_a_file_is_refused(project, kind):
    path = NOT_FILES[kind](case_path(project))
    for command in ("validate", "report"):
        refused(run(command, "--settings", project), str(path), code="not-a-file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero"])
def test_a_settings_file_that_is_not_a_file_is_refused(project, kind):
    path = NOT_FILES[kind](project)
    refused(run("validate", "--settings", path), str(path), code="not-a-file")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/tty"])
def test_a_device_given_as_settings_is_refused_without_opening_it(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    refused(run("validate", "--settings", device), device, code="not-a-file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "link to a folder"])
@pytest.mark.parametrize("which", ["unit_costs/bcp-local.csv", "unit_costs/gdp-deflators-march-2026.csv"])
def test_a_unit_cost_or_deflator_file_that_is_not_a_file_is_refused(project, kind, which):
    path = NOT_FILES[kind](project.parent / which)
    refused(run("validate", "--settings", project), str(path), code="not-a-file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_named_like_a_case_does_not_hang_case_new(project):
    """``case new`` looks through every case file for references in use."""
    make_fifo(case_path(project).with_name("BCP-0999.toml"))
    result = run("case", "new", "--settings", project, input="\x04")
    assert "Traceback" not in result.output


# --- too large ---------------------------------------------------------------------------------


def sparse(path: pathlib.Path, size: int) -> None:
    """Make ``path`` ``size`` bytes long in a moment (a sparse file: nothing is written)."""
    with open(path, "r+b") as handle:
        handle.truncate(size)


@pytest.mark.parametrize("which, size, bound", [
    ("up2u-cba.toml", 2 << 20, "1 MB"),
    ("cases/BCP/BCP-0001.toml", 2 << 20, "1 MB"),
    ("unit_costs/bcp-local.csv", 51 << 20, "50 MB"),
    ("unit_costs/gdp-deflators-march-2026.csv", 2 << 20, "1 MB"),
])
def test_a_file_beyond_its_size_bound_is_refused_saying_the_bound(project, which, size, bound):
    path = project.parent / which
    sparse(path, size)
    refused(run("validate", "--settings", project), str(path), bound, code="file-too-large")


def test_a_20_mb_text_field_in_a_case_file_is_refused(project):
    path = case_path(project)
    edit(path, 'evidence = "Children\'s services step-down confirmed"', 'evidence = "' + "x" * (20 << 20) + '"')
    for command in ("validate", "report"):
        refused(run(command, "--settings", project), str(path), code="file-too-large")


def test_a_20_mb_cell_in_a_unit_cost_csv_is_refused(project):
    path = project.parent / "unit_costs" / "bcp-local.csv"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('BCP-XX1,Health,HEALTH,,"' + "x" * (20 << 20) + '",,,,1,2018/19,,,,,,,,,\n')
    refused(run("validate", "--settings", project), str(path), code="unreadable-file")


def test_a_long_unit_cost_description_is_refused_naming_its_row(project):
    path = project.parent / "unit_costs" / "bcp-local.csv"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('BCP-XX1,Health,HEALTH,,"' + "x" * 20_000 + '",,,,1,2018/19,,,,,,,,,\n')
    refused(run("validate", "--settings", project), str(path), "description", code="text-too-long")


# --- TOML that cannot be read ------------------------------------------------------------------


@pytest.mark.parametrize("name, text", [
    ("nested 100,000 deep", "a = " + "[" * 100_000 + "]" * 100_000 + "\n"),
    ("nested tables 100,000 deep", "a = " + "{b = " * 100_000 + "1" + "}" * 100_000 + "\n"),
    ("a 5,000-digit integer", "quantity = " + "9" * 5000 + "\n"),
    ("a key of 300,000 dotted parts", "a" + ".a" * 300_000 + " = 1\n"),  # (hours to parse: refused first)
    ("a table name of 300,000 dotted parts", "[" + "a. " * 300_000 + "a]\n"),
    ("a key of 24,000 quoted dotted parts", ".".join(['"a"'] * 24_000) + " = 1\n"),
    ("a key of 24,000 literal dotted parts", ".".join(["'a'"] * 24_000) + " = 1\n"),
    ("not UTF-8", "reference = \"BCP-0001\"\nlocality = \"Pool\xe9\"\n"),
    ("a NUL byte", "reference = \"BCP\x00-0001\"\n"),
])
def test_a_case_file_that_is_not_readable_toml_is_refused(project, name, text):
    path = case_path(project)
    path.write_bytes(text.encode("latin-1") if name == "not UTF-8" else text.encode("utf-8"))
    code = "not-utf-8" if name == "not UTF-8" else "invalid-toml"
    for command in ("validate", "report"):
        refused(run(command, "--settings", project), str(path), code=code)


def test_a_long_name_beside_many_dots_is_read_at_once(project):
    """The look for keys of too many dotted parts takes time in proportion to the file: a name of
    900,000 letters with 1,000 dots elsewhere (the look once took hours over it) is refused, as a
    case file with a field it does not know, at once."""
    path = case_path(project)
    path.write_text("a" * 900_000 + ' = 1\nx = "' + "." * 1000 + '"\n', encoding="utf-8")
    refused(run("validate", "--settings", project), str(path), code="unknown-field")


def test_a_number_too_long_to_read_is_said_with_its_line_not_with_python_advice(project):
    path = case_path(project)
    edit(path, "quantity = 1\n", "quantity = " + "9" * 5000 + "\n")
    result = run("validate", "--settings", project)
    line = path.read_text(encoding="utf-8").split("9" * 5000)[0].count("\n") + 1
    refused(result, str(path), f"line {line}", code="invalid-toml")
    assert "sys.set_int_max_str_digits" not in result.output


@pytest.mark.parametrize("text", [
    "cases = " + "[" * 100_000 + "]" * 100_000 + "\n",
    'cases = "cases"\n[services.BCP]\nspend = { "2022/23" = ' + "9" * 5000 + " }\n",
])
def test_a_settings_file_that_is_not_readable_toml_is_refused(project, text):
    project.write_text(text, encoding="utf-8")
    refused(run("validate", "--settings", project), str(project), code="invalid-toml")


# --- numbers in case files ---------------------------------------------------------------------

FIRST_OUTCOME = 'code = "BCP-SS1"\nquantity = 1\n'
CASE_NUMBERS = [
    ("quantity", "nan", "bad-number"),
    ("quantity", "+nan", "bad-number"),
    ("quantity", "inf", "bad-number"),
    ("quantity", "-inf", "bad-number"),
    ("quantity", "1e999999", "bad-number"),  # TOML reads it as infinity
    ("quantity", "-0.0", "bad-quantity"),
    ("quantity", "-0", "bad-quantity"),
    ("quantity", "1e-999999", "bad-quantity"),  # 0.0
    ("quantity", "9" * 4000, "bad-quantity"),  # within Python's digit limit: too many, not unreadable
    ("quantity", '"1e999999"', "bad-number"),
    ("quantity", '"NaN"', "bad-number"),
    ("quantity", "1e-300", "bad-number"),  # more decimal places than guided entry and intake take
    ("years", "0.00001", "bad-number"),
    ("years", "nan", "bad-number"),
    ("years", "inf", "bad-number"),
    ("years", "1e300", "bad-years"),
    ("years", "-0.0", "bad-years"),
    ("deadweight", "nan", "bad-assumption"),
    ("deadweight", "0.00001", "bad-assumption"),  # more decimal places than amend and intake take
    ("attribution", "1e-300", "bad-assumption"),  # (1e-600 is read by TOML as 0.0: a share of 0)
    ("deadweight", "inf", "bad-assumption"),
    ("attribution", "1e999999", "bad-assumption"),
    ("attribution", '"sNaN"', "bad-assumption"),
    ("attribution", "-inf", "bad-assumption"),
]


@pytest.mark.parametrize("field, value, code", CASE_NUMBERS)
def test_an_absurd_number_in_a_case_file_is_refused(project, field, value, code):
    path = case_path(project)
    if field == "quantity":
        edit(path, FIRST_OUTCOME, f'code = "BCP-SS1"\nquantity = {value}\n')
    else:
        extra = '\nadjustment_reason = "Local evaluation"' if field != "years" else ""
        edit(path, FIRST_OUTCOME, f"{FIRST_OUTCOME}{field} = {value}{extra}\n")
    for command in ("validate", "report"):
        refused(run(command, "--settings", project), str(path), f"outcomes[1].{field}", code=code)


def test_a_checksum_is_of_the_file_as_it_is_when_it_changed_after_it_was_read(project):
    """A checksum is kept from the read that loaded the file (review of issue #11): used while
    the file is unchanged, never for a file changed since (a process that reads, writes, then
    reports)."""
    from up2u_cba.inputs import input_files

    path = str(case_path(project))
    text, _ = input_files.read_text(path, input_files.CASE)
    first = pipeline.sha256(path)
    assert first == hashlib.sha256(text.encode("utf-8")).hexdigest()
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("# changed\n")
    assert pipeline.sha256(path) == hashlib.sha256((text + "# changed\n").encode("utf-8")).hexdigest() != first


def test_an_input_swapped_for_a_pipe_after_loading_is_refused_when_checksummed_not_waited_on(project):
    """The report checksums its inputs after loading them: that read too refuses what is not a file."""
    path = case_path(project)
    path.unlink()
    os.mkfifo(path)
    outcome = {}

    def checksum():
        try:
            pipeline.sha256(str(path))
        except InputError as error:
            outcome["codes"] = [problem.code for problem in error.problems]

    worker = threading.Thread(target=checksum, daemon=True)
    worker.start()
    worker.join(HANG_GUARD)
    if worker.is_alive():
        with open(path, "wb"):  # release the blocked reader
            pass
    assert outcome.get("codes") == ["not-a-file"]


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("date, status", [
    ("9999-12-31", 3),
    ("0001-01-01", 0),
    ("2000-03-31", 0),
    ("2199-01-01", 3),
])
def test_an_implausible_date_in_a_case_file_is_refused_so_report_never_meets_it(project, date, status):
    path = case_path(project)
    old = {0: "date = 2021-04-12", 3: "date = 2021-10-15"}[status]
    edit(path, old, f"date = {date}")
    for command in ("validate", "report"):
        result = run(command, "--settings", project)
        refused(result, str(path), f"status[{status + 1}].date", code="implausible-date")  # numbered from 1
        assert "2000-04-01" in result.output  # the range is said


def test_a_status_dated_tomorrow_is_refused_by_validate_as_by_entry_and_intake(project):
    path = case_path(project)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    edit(path, "date = 2021-10-15", f"date = {tomorrow.isoformat()}")
    refused(run("validate", "--settings", project), str(path), "status[4].date", code="implausible-date")


@pytest.mark.parametrize("date, code", [
    ("0001-01-01", "implausible-date"),
    ("2021-04-12T10:00:00+05:00", "bad-date"),
    ('"12/04/2021"', "bad-date"),
])
def test_a_referral_whose_date_cannot_be_read_is_not_also_said_to_be_missing(project, date, code):
    """The referral is there, with a date that cannot be read: that is the one problem, not also
    a history that "starts with 'assessment'"."""
    path = case_path(project)
    edit(path, "date = 2021-04-12", f"date = {date}")
    result = run("validate", "--settings", project)
    refused(result, str(path), "status[1].date", code=code)
    assert "history-must-start-with-referral" not in result.output


@pytest.mark.parametrize("old, new, kind", [
    ('locality = "Bournemouth"', 'locality = ["Bournemouth"]', "a list"),
    ('locality = "Bournemouth"', "[locality]\nname = 1", "a table"),
    ('reference = "BCP-0001"', "reference = 1", "a number"),
    ('service = "BCP"', "service = 2022-04-01", "a date"),
])
def test_a_case_field_of_the_wrong_kind_is_not_said_to_be_missing(project, old, new, kind):
    path = case_path(project)
    edit(path, old, new)
    result = run("validate", "--settings", project)
    field = old.split(" =")[0]
    refused(result, str(path), f"{field}: ", kind, code="bad-field")
    assert f"no {field} given" not in result.output


def test_a_date_next_year_is_refused_but_one_today_is_not(project):
    path = case_path(project)
    today = datetime.date.today()
    edit(path, "date = 2021-10-15", f"date = {today + datetime.timedelta(days=400):%Y-%m-%d}")
    refused(run("validate", "--settings", project), str(path), "status[4].date", code="implausible-date")
    edit(path, f"date = {today + datetime.timedelta(days=400):%Y-%m-%d}", f"date = {today:%Y-%m-%d}")
    assert "implausible-date" not in run("validate", "--settings", project).output


# --- numbers and years in the settings ---------------------------------------------------------

SPEND = '"2022/23" = 90000'


@pytest.mark.parametrize("value", [
    "nan", "inf", "-inf", "1e999999", "-0", "0", "-0.0", '"NaN"', '"sNaN"', '"Infinity"', '"1e999999"',
    '"1E+400"', "9" * 4000, "1e12", "90000.5",
])
def test_an_absurd_spend_is_refused(project, value):
    edit(project, SPEND, f'"2022/23" = {value}')
    result = run("validate", "--settings", project)
    refused(result, str(project), 'services.BCP.spend."2022/23"', code="bad-number")
    assert "9" * 100 not in result.output  # a 4,000-digit number is not echoed back


@pytest.mark.parametrize("price_year", ["9999/00", "0001/02", "1899/00", "2200/01"])
def test_a_price_year_no_date_can_hold_is_refused(project, price_year):
    edit(project, 'price_year = "2018/19"', f'price_year = "{price_year}"')
    refused(run("validate", "--settings", project), str(project), "uprating.price_year", code="bad-price-year")


def test_a_report_year_no_date_can_hold_is_refused(project):
    refused(run("report", "--settings", project, "--year", "9999/00"), "--year", code="bad-year")


@pytest.mark.parametrize("table, value", [
    ("[assumptions.deadweight]\ndefault = nan", "assumptions.deadweight.default"),
    ("[assumptions.deadweight]\ndefault = \"sNaN\"", "assumptions.deadweight.default"),
    ("[assumptions.attribution]\ndefault = inf", "assumptions.attribution.default"),
    ("[assumptions.discount_rate]\nvalue = \"1e999999\"", "assumptions.discount_rate.value"),
    ("[assumptions.optimism_bias]\nR = -inf", "assumptions.optimism_bias.R"),
    ("[assumptions.duration]\ncodes = { \"CR2.0\" = 1e999999 }", 'assumptions.duration.codes."CR2.0"'),
    ("[assumptions.cashability]\nagencies = { \"Police\" = \"NaN\" }", 'assumptions.cashability.agencies."Police"'),
    ("[assumptions.deadweight]\ndefault = \"1e-999999\"", "assumptions.deadweight.default"),
    ("[assumptions.deadweight]\ndefault = " + "9" * 4000, "assumptions.deadweight.default"),
    ("[sensitivity]\ndeadweight = [\"1e-999999\", 0.5]", "sensitivity.deadweight"),
])
def test_an_absurd_assumption_is_refused(project, table, value):
    with open(project, "a", encoding="utf-8") as handle:
        handle.write(f"\n{table}\n")
    result = run("validate", "--settings", project)
    refused(result, str(project), value, code="bad-assumption")
    assert "9" * 100 not in result.output


# --- numbers in unit cost and deflator CSVs ----------------------------------------------------

LOCAL_ROW = "Local Authority,Children's Services,67877,2018/19"


@pytest.mark.parametrize("amount", [
    "NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e999999", "1E+400", "9" * 5000, "-1", "1e-999999",
])
def test_an_absurd_unit_cost_amount_is_refused(project, amount):
    path = project.parent / "unit_costs" / "bcp-local.csv"
    edit(path, LOCAL_ROW, f"Local Authority,Children's Services,{amount},2018/19")
    result = run("validate", "--settings", project)
    refused(result, str(path), "row 2: fiscal_value", code="bad-number")
    assert "9" * 100 not in result.output


DEFLATOR_ROW = "2018-19,"


@pytest.mark.parametrize("index, code", [
    ("NaN", "bad-number"), ("sNaN", "bad-number"), ("Infinity", "bad-number"), ("1e999999", "bad-number"),
    ("9" * 5000, "bad-number"), ("0.5", "bad-number"), ("0", "bad-number"), ("-0", "bad-number"),
    ("10001", "bad-number"),
])
def test_an_absurd_deflator_index_is_refused(project, index, code):
    path = project.parent / "unit_costs" / "gdp-deflators-march-2026.csv"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^2018-19,[^,\n]*", f"2018-19,{index}", text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")
    result = run("validate", "--settings", project)
    refused(result, str(path), "index", code=code)
    assert "9" * 100 not in result.output


def test_a_deflator_jump_of_more_than_half_in_a_year_is_refused(project):
    path = project.parent / "unit_costs" / "gdp-deflators-march-2026.csv"
    text = re.sub(r"^2018-19,[^,\n]*", "2018-19,200", path.read_text(encoding="utf-8"), count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")
    refused(run("validate", "--settings", project), str(path), "2018/19", code="implausible-index")


# --- settings typos (deliverable 8) ------------------------------------------------------------


@pytest.mark.parametrize("old, new, where, meant", [
    ('reference_pattern = "BCP-', 'reference_patern = "BCP-', "services.BCP.reference_patern", "reference_pattern"),
    ('localities = ["Bournemouth"', 'localites = ["Bournemouth"', "services.BCP.localites", "localities"),
    ("series = ", "seris = ", "uprating.seris", "series"),
    ("unit_costs = [", "unit_cost = [", "unit_cost", "unit_costs"),
    ("[uprating]", "[uprate]", "uprate", "uprating"),
    ("cases = ", "Cases = ", "Cases", "cases"),
])
def test_an_unknown_setting_is_refused_with_a_did_you_mean(project, old, new, where, meant):
    edit(project, old, new)
    result = run("validate", "--settings", project)
    refused(result, str(project), where, "did you mean", meant, code="unknown-setting")


@pytest.mark.parametrize("table, where, meant", [
    ("[assumptions.deadweight]\ndefualt = 0.1", "assumptions.deadweight.defualt", "default"),
    ("[assumptions.dedweight]\ndefault = 0.1", "assumptions.dedweight", "deadweight"),
    ("[assumptions.optimism_bias]\nr = 0.1", "assumptions.optimism_bias.r", "R"),
    ("[sensitivity]\ndeadwieght = [0.0, 0.5]", "sensitivity.deadwieght", "deadweight"),
    ("[colour]\nshade = 1", "colour", "unit_costs, uprating"),
])
def test_an_unknown_setting_in_a_table_is_refused(project, table, where, meant):
    with open(project, "a", encoding="utf-8") as handle:
        handle.write(f"\n{table}\n")
    refused(run("validate", "--settings", project), str(project), where, meant, code="unknown-setting")


@pytest.mark.parametrize("localities", [
    '["Bournemouth", "Christchurch", "Poole", "Poole"]',
    '["Bournemouth", "Christchurch", "Poole", "poole"]',
])
def test_a_locality_listed_twice_is_refused(project, localities):
    edit(project, 'localities = ["Bournemouth", "Christchurch", "Poole"]', f"localities = {localities}")
    refused(run("validate", "--settings", project), str(project), "services.BCP.localities",
            code="duplicate-locality")


@pytest.mark.parametrize("reference", ["BCP.0001", "BCP 0001", "BCP/0001", "-BCP-0001"])
def test_a_reference_entry_and_intake_would_refuse_is_refused_by_validate_too(project, reference):
    edit(project, 'reference_pattern = "BCP-\\\\d{4}"', 'reference_pattern = ".*"')  # a pattern that allows anything
    edit(case_path(project), 'reference = "BCP-0001"', f'reference = "{reference}"')
    refused(run("validate", "--settings", project), str(case_path(project)), "reference", code="bad-reference")


@pytest.mark.parametrize("how", ["settings", "--unit-costs"])
def test_a_unit_cost_file_listed_twice_is_said_once_not_as_every_code_already_defined(project, how):
    table = project.parent / "unit_costs" / "gmca-ucd-v1.4.csv"
    if how == "settings":
        edit(project, '"unit_costs/gmca-ucd-v1.4.csv",', '"unit_costs/gmca-ucd-v1.4.csv", "unit_costs/gmca-ucd-v1.4.csv",')
        result = run("validate", "--settings", project)
    else:
        result = run("validate", "--settings", project, "--unit-costs", table, "--unit-costs", table)
    refused(result, "gmca-ucd-v1.4.csv", "unit_costs", code="duplicate-file")
    assert "duplicate-cost-code" not in result.output


@pytest.mark.parametrize("name", ["bcp-local.csv", "gdp-deflators-march-2026.csv"])
def test_a_table_saved_with_semicolons_is_said_to_be_so(project, name):
    """Excel in a European locale saves "CSV" with semicolons: the whole header is then one
    column, and the message says why, not only which columns are missing."""
    path = project.parent / "unit_costs" / name
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    result = run("validate", "--settings", project)
    refused(result, str(name), "header", "semicolons", code="missing-column")


@pytest.mark.parametrize("pattern", ["BCP-(\\\\d+)+", "(BCP|B)-(\\\\d|\\\\d\\\\d)*", "BCP-(\\\\w+-?)+"])
def test_a_reference_pattern_that_could_backtrack_for_ever_is_refused(project, pattern):
    """A pattern repeating a part of varying length takes exponential time to find that a long
    reference does not match (BCP-(\\d+)+ against a 30-digit one: minutes): refused in the
    settings, so that no check ever hangs on it."""
    edit(project, 'reference_pattern = "BCP-\\\\d{4}"', f'reference_pattern = "{pattern}"')
    edit(case_path(project), 'reference = "BCP-0001"', 'reference = "BCP-' + "1" * 22 + 'x"')
    result = run("validate", "--settings", project)
    refused(result, str(project), "services.BCP.reference_pattern", code="bad-field")


@pytest.mark.parametrize("pattern", ["BCP-\\\\d{4}", "(BCP|B)-\\\\d{4,6}", "BCP-(\\\\d{4})+", "[A-Z]{3}-\\\\d+"])
def test_a_reference_pattern_that_cannot_backtrack_for_ever_is_accepted(project, pattern):
    edit(project, 'reference_pattern = "BCP-\\\\d{4}"', f'reference_pattern = "{pattern}"')
    result = run("validate", "--settings", project)
    assert result.exit_code == 0, result.output  # (pytest's folder for this test is itself named reference_pattern)
    assert "services.BCP.reference_pattern" not in result.output


@pytest.mark.parametrize("old, new, where, kind", [
    ('cases = "cases"', 'cases = ["cases"]', "cases", "a list"),
    ('cases = "cases"', "cases = 2023-04-01T09:00:00+01:00", "cases", "a date"),
    ('cases = "cases"', 'cases = ""', "cases", "empty"),
    ('unit_costs = ["unit_costs/gmca-ucd-v1.4.csv", "unit_costs/bcp-local.csv"]',
     'unit_costs = "unit_costs/bcp-local.csv"', "unit_costs", "one path"),
    ('deflators = "unit_costs/gdp-deflators-march-2026.csv"', "deflators = { file = 1 }", "uprating.deflators",
     "a table"),
])
def test_a_path_setting_of_the_wrong_kind_is_not_said_to_be_missing(project, old, new, where, kind):
    """The setting is there, written as something else than a path: say so, not "no ... given"."""
    edit(project, old, new)
    result = run("validate", "--settings", project)
    refused(result, str(project), f"{where}: ", kind, code="bad-field")
    assert "given" not in result.output


@pytest.mark.parametrize("row, said", [
    ('BCP-XX9,Health,"Health care, acute', 'a quote (") opens a cell and is never closed'),
    ('BCP-XX9,"Health" care,HEALTH', "cannot read the row as CSV"),
])
def test_a_unit_cost_row_with_a_stray_quote_is_named_not_read_as_a_blank_description(project, row, said):
    """An unclosed quote took in every line after it as one cell (the row was then said to have a
    blank description); a quote in the middle of a cell was silently dropped."""
    path = project.parent / "unit_costs" / "bcp-local.csv"
    text = path.read_text(encoding="utf-8")
    number = len(text.strip().splitlines()) + 1
    path.write_text(text.rstrip("\n") + "\n" + row + "\n", encoding="utf-8")
    result = run("validate", "--settings", project)
    refused(result, "bcp-local.csv", f"row {number}", said, code="unreadable-file")
    assert "description is blank" not in result.output


@pytest.mark.parametrize("command, option, code", [
    (["report"], "--year", "bad-year"),
    (["report"], "--service", "unknown-service"),
    (["sensitivity"], "--year", "bad-year"),
    (["case", "list"], "--year", "bad-year"),
    (["case", "list"], "--service", "unknown-service"),
    (["case", "list"], "--locality", "unknown-locality"),
])
def test_an_empty_filter_is_refused_not_taken_as_no_filter(project, command, option, code):
    """`--service "$SERVICE"` with SERVICE unset reported every service and exited 0."""
    refused(run(*command, option, "", "--settings", project), option, code=code)


@pytest.mark.parametrize("command, option", [
    (["report"], "--xlsx"),
    (["validate"], "--cases"),
    (["validate"], "--settings"),
    (["validate"], "--unit-costs"),
    (["case", "new"], "--resume"),
    (["costs", "import", "unit_costs/gmca-ucd-v1.4.xlsx"], "--output"),
])
def test_an_empty_path_option_is_refused_not_taken_as_no_option(project, command, option):
    """`--xlsx "$OUT"` with OUT unset wrote no workbook and exited 0; an empty --cases read the
    settings' folder, an empty --resume started a new case."""
    args = [*command, option, ""] + (["--settings", project] if option not in ("--settings", "--output") else [])
    before = snapshot(project.parent)
    result = run(*args, input="")
    refused(result, option, "empty")
    assert result.exit_code == 2  # a usage error, before anything is read
    assert_unchanged(before, project.parent)


def test_a_service_defined_twice_in_other_capitals_is_refused(project):
    with open(project, "a", encoding="utf-8") as handle:
        handle.write('\n[services.bcp]\nlocalities = ["Poole"]\nreference_pattern = "BCP-\\\\d{4}"\n')
    refused(run("validate", "--settings", project), str(project), "services.bcp", code="duplicate-service")


def test_a_locality_in_two_services_is_allowed(project):
    """A case names its service and its locality, and every table is per service, so one area
    name in two services is not ambiguous."""
    edit(project, 'localities = ["North Dorset"', 'localities = ["Poole", "North Dorset"')
    result = run("validate", "--settings", project)
    assert result.exit_code == 0, result.output


def test_the_sample_settings_use_only_known_keys():
    from up2u_cba.inputs import settings
    assert settings.unknown_keys("up2u-cba.toml", {"cases": "c", "services": {"X": {"spend": {"2022/23": 1}}},
                                                   "assumptions": {"deadweight": {"codes": {"CR2.0": 0.1}}}}) == []


# --- a symlinked folder under cases/ -----------------------------------------------------------


def test_a_linked_folder_under_cases_is_followed(project, tmp_path):
    """Decision: a linked folder is read like any other (a year's cases kept on a shared drive)."""
    elsewhere = tmp_path / "elsewhere"
    (project.parent / "cases" / "BCP").rename(elsewhere)
    (project.parent / "cases" / "BCP").symlink_to(elsewhere, target_is_directory=True)
    result = run("report", "--settings", project, "--service", "BCP", "--format", "json")
    assert result.exit_code == 0, result.output
    assert os.path.join("BCP", "BCP-0001.toml") in result.output  # read through the link


def test_a_linked_folder_that_loops_is_reported_not_followed_for_ever(project):
    cases = project.parent / "cases"
    (cases / "BCP" / "again").symlink_to(cases, target_is_directory=True)
    (cases / "Dorset" / "up").symlink_to(project.parent, target_is_directory=True)
    (cases / "Dorset" / "root").symlink_to("/", target_is_directory=True)
    result = run("validate", "--settings", project)
    refused(result, str(cases / "BCP" / "again"), str(cases / "Dorset" / "up"), str(cases / "Dorset" / "root"),
            code="folder-loop")
    assert "duplicate-reference" not in result.output  # nothing was read twice


# --- workbooks (intake import, costs import) ---------------------------------------------------


def ole_file(encrypted: bool) -> bytes:
    """The start of an OLE compound file: an old .xls, or (with its EncryptedPackage stream) a
    password-protected .xlsx."""
    body = b"\x00" * 1024 + ("EncryptedPackage".encode("utf-16-le") if encrypted else b"Workbook")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + body


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ods() -> bytes:
    return zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})


def bomb(path: pathlib.Path, parts: int, megabytes_each: int) -> None:
    """An .xlsx-shaped zip whose sheets are megabytes of zeros (each compresses to about a KB)."""
    zeros = b"0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for number in range(parts):
            with archive.open(f"xl/worksheets/sheet{number + 1}.xml", "w") as member:
                for _ in range(megabytes_each):
                    member.write(zeros)


def many_rows(path: pathlib.Path, rows: int) -> None:
    sheet = "".join(f'<row r="{number}"/>' for number in range(1, rows + 1))
    path.write_bytes(zipped({"[Content_Types].xml": b"<Types/>",
                             "xl/worksheets/sheet1.xml": f"<worksheet><sheetData>{sheet}</sheetData></worksheet>"
                             .encode()}))


WORKBOOKS = {
    "an old .xls": ("old-workbook-format", lambda path: path.write_bytes(ole_file(encrypted=False)), ".xlsx"),
    "a password-protected .xlsx": ("encrypted-workbook", lambda path: path.write_bytes(ole_file(encrypted=True)),
                                   "remove the password"),
    "an .ods": ("unreadable-workbook", lambda path: path.write_bytes(ods()), ".ods"),
    "a plain zip": ("unreadable-workbook", lambda path: path.write_bytes(zipped({"a.txt": b"a"})), "zip"),
    "text": ("unreadable-workbook", lambda path: path.write_text("reference,service\n"), ".xlsx"),
    "an empty file": ("unreadable-workbook", lambda path: path.write_bytes(b""), ".xlsx"),
    "a folder": ("not-a-file", lambda path: path.mkdir(), "folder"),
    "a fifo": ("not-a-file", lambda path: os.mkfifo(path), "FIFO"),
    "a link to /dev/zero": ("not-a-file", lambda path: path.symlink_to("/dev/zero"), "device"),
    "a zip bomb (ratio)": ("workbook-too-large", lambda path: bomb(path, 1, 20), "zip bomb"),
    "a zip bomb (size)": ("workbook-too-large", lambda path: bomb(path, 3, 100), "200 MB"),
    "3,000 parts": ("workbook-too-large",
                    lambda path: path.write_bytes(zipped({f"p{n}.xml": b"" for n in range(3000)}
                                                         | {"[Content_Types].xml": b"<Types/>"})), "2,000"),
    "100,001 rows": ("workbook-too-large", lambda path: many_rows(path, 100_001), "100,000 rows"),
    "a document type (entity expansion)": (
        "unreadable-workbook",
        lambda path: path.write_bytes(zipped({"[Content_Types].xml": b'<!DOCTYPE l [<!ENTITY a "aaaa">]><Types/>'})),
        "document type"),
    "a too-large file": ("file-too-large", lambda path: (path.write_bytes(b"PK"), sparse(path, 51 << 20)), "50 MB"),
}


@pytest.mark.parametrize("kind", WORKBOOKS)
def test_intake_import_refuses_what_is_not_an_xlsx_workbook_before_expanding_it(project, kind):
    code, make, said = WORKBOOKS[kind]
    path = project.parent / "intake.xlsx"
    make(path)
    before = snapshot(project.parent / "cases")
    refused(run("intake", "import", path, "--settings", project), str(path), said, code=code)
    assert_unchanged(before, project.parent / "cases")


@pytest.mark.parametrize("kind", WORKBOOKS)
def test_costs_import_refuses_what_is_not_an_xlsx_workbook_before_expanding_it(project, kind):
    code, make, said = WORKBOOKS[kind]
    path = project.parent / "gmca.xlsx"
    make(path)
    if kind == "a folder":
        code, said = None, "directory"  # (the command's argument refuses it before the importer is called)
    output = project.parent / "gmca.csv"
    refused(run("costs", "import", path, "-o", output), str(path), said, code=code)
    assert not output.exists()


# --- intake workbook cells ---------------------------------------------------------------------


@pytest.fixture
def template(project):
    path = project.parent / "template.xlsx"
    result = invoke("intake", "template", path, "--settings", project)
    assert result.exit_code == 0, result.output
    return path


def filled(template: pathlib.Path, cases: list[tuple], outcomes: list[tuple]) -> pathlib.Path:
    book = openpyxl.load_workbook(template)
    for sheet, rows in ((book["Cases"], cases), (book["Outcomes"], outcomes)):
        for number, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                sheet.cell(row=number, column=column, value=value)
    path = template.with_name("filled.xlsx")
    book.save(path)
    return path


CASE_ROWS = [("BCP-9001", "BCP", "Poole", "referred", datetime.date(2022, 5, 2), None),
             ("BCP-9001", None, None, "completed", datetime.date(2023, 1, 15), None)]


@pytest.mark.parametrize("column, value, code", [
    ("quantity", "NaN", "bad-number"),
    ("quantity", "sNaN", "bad-number"),
    ("quantity", "Infinity", "bad-number"),
    ("quantity", "1e999999", "bad-quantity"),
    ("quantity", "9" * 5000, "bad-quantity"),
    ("quantity", "-0", "bad-quantity"),
    ("years", "-Infinity", "bad-number"),
    ("years", "1E+400", "bad-years"),
])
def test_an_absurd_number_in_the_intake_workbook_is_refused(project, template, column, value, code):
    quantity, years = (value, None) if column == "quantity" else (1, value)
    path = filled(template, CASE_ROWS, [("BCP-9001", "CR2.0", quantity, years, None, "Police incident check")])
    before = snapshot(project.parent / "cases")
    result = run("intake", "import", path, "--settings", project)
    refused(result, str(path), f"Outcomes row 2: {column}", code=code)
    assert "9" * 100 not in result.output
    assert_unchanged(before, project.parent / "cases")


@pytest.mark.parametrize("date", ["0001-01-01", "1901-02-03", "9999-12-31"])
def test_an_implausible_date_in_the_intake_workbook_is_refused(project, template, date):
    rows = [CASE_ROWS[0], ("BCP-9001", None, None, "completed", date, None)]
    path = filled(template, rows, [])
    result = run("intake", "import", path, "--settings", project)
    refused(result, str(path), "Cases row 3: date")
    assert "implausible-date" in result.output or "future-date" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("old, new, where", [
    ('series = "HM', 'series = "' + "y" * 100_000 + 'HM', "uprating.series"),
    ('"Bournemouth", "Christchurch"', '"Bournemouth", "' + "C" * 5000 + '"', "services.BCP.localities[2]"),
    ('reference_pattern = "BCP-', 'reference_pattern = "' + "B?" * 1000 + 'BCP-', "services.BCP.reference_pattern"),
])
def test_a_long_text_in_the_settings_is_refused_before_it_reaches_a_workbook_cell(project, old, new, where):
    edit(project, old, new)
    refused(run("report", "--settings", project, "--xlsx", project.parent / "out.xlsx"), str(project), where,
            code="text-too-long")
    assert not (project.parent / "out.xlsx").exists()


def damaged(path: pathlib.Path, rows: bytes) -> None:
    """A real .xlsx (sheets Crime, Cases and Outcomes) whose first sheet holds ``rows``."""
    book = openpyxl.Workbook()
    book.active.title = "Crime"
    book.create_sheet("Cases")
    book.create_sheet("Outcomes")
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<sheetData\s*/>|<sheetData>.*</sheetData>", b"<sheetData>" + rows + b"</sheetData>",
                              data, flags=re.S)
            target.writestr(name, data)


DAMAGED = {
    "a 5,000-digit number": (b'<row r="2"><c r="A2"><v>' + b"9" * 5000 + b"</v></c></row>", "unreadable-workbook"),
    "a number that is text": (b'<row r="2"><c r="A2"><v>abc</v></c></row>', "unreadable-workbook"),
    "a month 13": (b'<row r="2"><c r="A2" t="d"><v>2023-13-01</v></c></row>', "unreadable-workbook"),
    "a shared string that is not there": (b'<row r="2"><c r="A2" t="s"><v>99</v></c></row>', "unreadable-workbook"),
    "unclosed XML": (b'<row r="2"><c r="A2"><v>1</v>', "unreadable-workbook"),
    "a row beyond Excel's last": (b'<row r="99999999999"><c r="A99999999999"><v>1</v></c></row>', "workbook-too-large"),
    "a row far down": (b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>', "workbook-too-large"),
    "a column beyond Excel's last": (b'<row r="2"><c r="ZZZZ2"><v>1</v></c></row>', "workbook-too-large"),
}


@pytest.mark.parametrize("kind", DAMAGED)
@pytest.mark.parametrize("command", ["intake", "costs"])
def test_a_damaged_sheet_is_refused_not_raised(project, kind, command):
    rows, code = DAMAGED[kind]
    path = project.parent / "damaged.xlsx"
    damaged(path, rows)
    if command == "intake":
        result = run("intake", "import", path, "--settings", project)
    else:
        result = run("costs", "import", path, "-o", project.parent / "out.csv")
    refused(result, str(path), code=code)


@pytest.mark.parametrize("command", ["intake", "costs"])
def test_a_sheet_whose_compressed_data_is_damaged_is_refused_not_raised(project, command):
    """A flipped byte in a sheet's deflated data (a half-copied file, a bad disk) makes zlib fail
    before the part's checksum is reached: said as an unreadable workbook, never a zlib traceback."""
    path = project.parent / "damaged.xlsx"
    damaged(path, b'<row r="2"><c r="A2"><v>1</v></c></row>')
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    data[start] = 0x07  # the first deflate block: final, of the reserved (invalid) type
    path.write_bytes(bytes(data))
    if command == "intake":
        result = run("intake", "import", path, "--settings", project)
    else:
        result = run("costs", "import", path, "-o", project.parent / "out.csv")
    refused(result, str(path), "xl/worksheets/sheet1.xml", code="unreadable-workbook")
    assert not (project.parent / "out.csv").exists()


def test_an_intake_cell_far_to_the_right_is_refused_before_every_cell_up_to_it_is_made(project, template):
    book = openpyxl.load_workbook(template)
    book["Cases"]["AA2"] = "a note"
    book.save(template)
    refused(run("intake", "import", template, "--settings", project), str(template), "AA2", "column Z",
            code="workbook-too-large")


@pytest.mark.parametrize("amount", ["1e999999", "1e-999999", "NaN", "Infinity", "9" * 5000])
def test_an_absurd_amount_in_the_gmca_workbook_is_never_imported(tmp_path, amount):
    """CR1.0's fiscal value (H3) typed as text: the row's value is dropped and said, and the CSV
    written is one that ``validate`` reads."""
    path = tmp_path / "gmca.xlsx"
    cell = b'<c r="H3" s="102"><v>500</v></c>'  # CR1.0, Anti-social behaviour, £500 at 2002/03 prices
    with zipfile.ZipFile(pathlib.Path(__file__).parent.parent / "unit_costs" / "gmca-ucd-v1.4.xlsx") as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if cell in data:
                data = data.replace(cell, b'<c r="H3" t="inlineStr"><is><t>' + amount.encode() + b"</t></is></c>")
            target.writestr(name, data)
    output = tmp_path / "gmca.csv"
    result = run("costs", "import", path, "-o", output)
    assert "Traceback" not in result.output and "CR1.0" in result.output, result.output
    if output.exists():
        text = output.read_text(encoding="utf-8")
        assert "999999" not in text and "NaN" not in text and "Infinity" not in text


def test_a_unit_cost_table_that_is_not_a_file_is_said_once_not_as_every_code_unknown(project):
    result = run("validate", "--settings", project, "--unit-costs", "/dev/zero")
    refused(result, "/dev/zero", code="not-a-file")
    assert "unknown-cost-code" not in result.output
