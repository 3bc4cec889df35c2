"""The pseudonymisation guard (issues #4, #9): free text that looks like personal data is refused,
naming the field and the reason, never echoing the text; a reference that looks like a name or a
date of birth is refused by validate, guided entry and intake import whatever the service's
pattern allows. Every value here is obviously fake (the labelled corpus is in
test_privacy_corpus.py)."""

from __future__ import annotations

import csv
import json
import pathlib
import random
import re

import pytest

from hostile import assert_refused, invoke, sample_project
from test_entry_support import ROOT
from test_intake import ONE_CASE, ONE_OUTCOME, fill, located, rename
from up2u_cba import models
from up2u_cba.entry import answer_checks, case_files
from up2u_cba.inputs import cases, privacy

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "entry"


@pytest.mark.parametrize("text, kind", [
    ("AB12 3CD", privacy.POSTCODE),
    ("lives near ab123cd", privacy.POSTCODE),
    ("A1 2BC", privacy.POSTCODE),
    ("01234 567890", privacy.PHONE),
    ("call 01234-567-890", privacy.PHONE),
    ("+44 1234 567890", privacy.PHONE),
    ("(01234) 567890", privacy.PHONE),
    ("test@example.invalid", privacy.EMAIL),
    ("QQ123456C", privacy.NI_NUMBER),
    ("QQ 12 34 56 C", privacy.NI_NUMBER),
    ("12/03/1985", privacy.DATE_OF_BIRTH),
    ("1985-03-12", privacy.DATE_OF_BIRTH),
    ("12.3.85", privacy.DATE_OF_BIRTH),
    ("12 March 1985", privacy.DATE_OF_BIRTH),
    ("12-Mar-1985", privacy.DATE_OF_BIRTH),
    ("12/Mar/85", privacy.DATE_OF_BIRTH),
    ("12Mar1985", privacy.DATE_OF_BIRTH),
    ("12.March.1985", privacy.DATE_OF_BIRTH),
    ("seen 12th of Mar '85", privacy.DATE_OF_BIRTH),
    ("Mar-12-1985", privacy.DATE_OF_BIRTH),
    # NHS numbers from the 999 range the NHS keeps for testing, with a true check digit
    ("999 111 2227", privacy.NHS_NUMBER),
    ("9997654323", privacy.NHS_NUMBER),
    ("NHS no. 999-765-4323", privacy.NHS_NUMBER),
    ("March 12, 1985", privacy.DATE_OF_BIRTH),
    ("DOB on file", privacy.DATE_OF_BIRTH),
    ("D.O.B. checked", privacy.DATE_OF_BIRTH),
    ("born in the spring", privacy.DATE_OF_BIRTH),
    ("date of birth confirmed", privacy.DATE_OF_BIRTH),
])
def test_each_kind_of_personal_data_is_found(text, kind):
    assert privacy.personal_data(text) == [kind]


def test_the_nhs_check_digit_is_the_modulus_11_one():
    assert privacy.nhs_check_digit_ok("9991112227") and privacy.nhs_check_digit_ok("9997654323")
    assert not privacy.nhs_check_digit_ok("9991112228")
    # first nine digits whose check digit would be 10: no NHS number begins so, whatever its last digit
    assert not any(privacy.nhs_check_digit_ok(f"999000000{last}") for last in "0123456789")


def test_several_kinds_are_all_named_in_a_fixed_order():
    found = privacy.personal_data("test@example.invalid, 01234 567890, AB12 3CD")
    assert found == [privacy.POSTCODE, privacy.PHONE, privacy.EMAIL]
    assert privacy.describe(found) == "looks like a postcode, a phone number and an e-mail address"


@pytest.mark.parametrize("text", [
    "Reduction in domestic abuse, incidents x3",
    "Police incident check, 3 months after completion",
    "Child in need plans closed x4",
    "Wellbeing score improved; GP confirms no ongoing treatment",
    "Score 14/20 at exit review",
    "Session 3 of 12, 2022/23 review",
    "Saving of £135,754 per year",
    "CR2.0 and HE1.0 counted once",
    "0.5 years abstinent",
    "Q3 2023 review",
    "Newborn in the household",
    "Mar 2023 review",
    "Reviewed 12 months after completion, March 2023",
    "Incidents x4 Apr 2022 to Mar 2023",
    "12 market stalls",
    "Reference 999 111 2228",      # ten digits, but not an NHS number: the check digit is wrong
    "Batch 9997654324",
    "Saving of £9,997,654,323 overall",
])
def test_ordinary_notes_pass(text):
    assert privacy.personal_data(text) == []


def test_no_description_or_evidence_in_the_sample_cases_is_refused():
    records, problems = cases.load(str(ROOT / "cases"))
    assert problems == [] and len(records) > 50
    flagged = [(record.reference, number, field)
               for record in records for number, outcome in enumerate(record.outcomes)
               for field in ("description", "evidence") if privacy.personal_data(getattr(outcome, field))]
    assert flagged == []


def test_no_gmca_unit_cost_description_looks_like_personal_data():
    """683 real descriptions full of numbers, codes and years: a guard against false positives."""
    with open(ROOT / "unit_costs" / "gmca-ucd-v1.4.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 683
    assert [row["code"] for row in rows if privacy.personal_data(row["description"])] == []


def test_the_message_names_the_field_and_the_reason_but_never_the_text():
    message = answer_checks.text_message("evidence", "Seen at AB12 3CD on 12/03/1985")
    assert message.startswith("evidence looks like a date or a date of birth and a postcode")
    assert "AB12" not in message and "1985" not in message
    problems = case_files.text_problems("case.toml", "outcomes[1].evidence", "evidence", "AB12 3CD")
    assert [(problem.code, problem.where) for problem in problems] == [("personal-data", "outcomes[1].evidence")]
    assert "AB12" not in str(problems[0])


def test_validate_refuses_personal_data_in_a_hand_edited_case_file():
    """``cases.parse`` applies the guard, so `validate` refuses what guided entry would."""
    record, problems = cases.load_file(str(FIXTURES / "personal_data.toml"))
    assert record is None
    assert sorted((problem.code, problem.where) for problem in problems) == [
        ("personal-data", "outcomes[1].evidence"),
        ("personal-data", "outcomes[2].description"),
    ]
    assert all("AB12" not in str(problem) and "1985" not in str(problem) for problem in problems)


# --- the reference (issue #9): always checked, whatever the service's pattern allows ----------

PERMISSIVE = "[A-Za-z0-9-]+"
"""A reference pattern that lets anything through, to show the guard does not rely on it."""

NAME_OR_BIRTH_DATE = ["JSmith1985", "John-Smith", "smith-j", "Kevin", "BCP-KEVIN", "KMarsh", "Smith1985",
                      "12031985", "KM-1985-03-12", "KM19850312", "1985-03-12-KM"]
PSEUDONYMS = ["BCP-0011", "DOR-0001", "BCP-1985", "DOR-2001", "BCP-0011A", "Case-0001", "BCP-MAY", "X-120385"]


def permissive(settings: pathlib.Path) -> pathlib.Path:
    text = settings.read_text()
    assert 'reference_pattern = "BCP-\\\\d{4}"' in text
    settings.write_text(text.replace('reference_pattern = "BCP-\\\\d{4}"', f'reference_pattern = "{PERMISSIVE}"'))
    return settings


@pytest.mark.parametrize("reference", NAME_OR_BIRTH_DATE)
def test_a_reference_that_looks_like_a_name_or_birth_date_is_refused(reference):
    assert set(privacy.reference_kinds(reference)) & {privacy.NAME, privacy.DATE_OF_BIRTH}


@pytest.mark.parametrize("reference", PSEUDONYMS)
def test_a_pseudonymised_reference_passes(reference):
    assert privacy.reference_kinds(reference) == []


def test_no_sample_reference_is_refused():
    records, problems = cases.load(str(ROOT / "cases"))
    assert problems == [] and [record.reference for record in records if privacy.reference_kinds(record.reference)] == []


@pytest.mark.parametrize("reference", ["JSmith1985", "John-Smith", "12031985", "KM-1985-03-12"])
def test_guided_entry_refuses_it_even_if_the_pattern_allows_it(reference):
    service = models.ServiceSettings(name="BCP", localities=("Poole",), reference_pattern=PERMISSIVE)
    message = answer_checks.reference_message(reference, service, {})
    assert message and message.startswith("the reference looks like") and reference not in message
    assert answer_checks.reference_message("BCP-9001", service, {}) is None


@pytest.mark.parametrize("reference", ["JSmith1985", "John-Smith", "12031985", "KM-1985-03-12"])
def test_validate_refuses_it_even_if_the_pattern_allows_it(tmp_path, reference):
    settings = permissive(sample_project(tmp_path))
    case = tmp_path / "cases" / "BCP" / "BCP-0001.toml"
    text = case.read_text()
    case.write_text(text.replace('reference = "BCP-0001"', f'reference = "{reference}"'))
    result = invoke("validate", "--settings", settings)
    assert_refused(result, case, "reference", "personal-data")
    assert reference not in result.output


def test_intake_import_refuses_it_even_if_the_pattern_allows_it(tmp_path):
    settings = permissive(sample_project(tmp_path))
    template = tmp_path / "template.xlsx"
    assert invoke("intake", "template", template, "--settings", settings).exit_code == 0
    case_rows, outcome_rows = list(ONE_CASE), list(ONE_OUTCOME)
    rename(case_rows, outcome_rows, "KMarsh1985")
    workbook = fill(template, tmp_path / "filled.xlsx", case_rows, outcome_rows)
    result = invoke("intake", "import", workbook, "--settings", settings)
    assert result.exit_code == 1
    assert located(result.output) == [("personal-data", "Cases row 2: reference")]
    assert "KMarsh" not in result.output and not (tmp_path / "cases" / "BCP" / "KMarsh1985.toml").exists()


def test_a_service_without_a_reference_pattern_is_a_settings_problem(tmp_path):
    settings = sample_project(tmp_path)
    settings.write_text(settings.read_text().replace('reference_pattern = "DOR-\\\\d{4}"\n', ""))
    result = invoke("validate", "--settings", settings)
    assert_refused(result, settings, "services.Dorset.reference_pattern", "missing-field")


@pytest.mark.parametrize("field, text", [
    ("evidence", "Seen with Kevin Marsh"),
    ("evidence", "Flat 3, Rose Court"),
    ("description", "Partner Sh\u200baron, DOB 03/1985"),
    ("evidence", "call 07700\u00a0900123"),
])
def test_validate_refuses_a_name_or_address_in_a_note_without_repeating_it(tmp_path, field, text):
    settings = sample_project(tmp_path)
    case = tmp_path / "cases" / "BCP" / "BCP-0001.toml"
    original = case.read_text()
    line = next(line for line in original.splitlines() if line.startswith(f"{field} = "))
    case.write_text(original.replace(line, f"{field} = {json.dumps(text)}"))
    result = invoke("validate", "--settings", settings)
    assert_refused(result, case, field, "personal-data")
    assert not any(word in result.output for word in ("Kevin", "Marsh", "Rose Court", "aron", "1985", "900123"))


def test_ascii_text_is_read_as_the_full_folding_would_read_it():
    """``normalise`` leaves out Unicode folding for ASCII text (a speed-up at 100,000 cases):
    on random ASCII, including O / l among digits and odd spaces, it must read the same."""
    chooser = random.Random(5)
    alphabet = "abcxyzOoIlLKJ0123456789 -_.,/\t\n\r\x0b\x0c'\"@+()#"
    for _ in range(20000):
        text = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(0, 24)))
        folded = re.sub(r"[^\S\n]", " ", privacy._folded(text))
        folded = privacy._DIGITISH_TOKEN.sub(lambda match: match.group(0).translate(privacy._DIGIT_LOOK_ALIKES), folded)
        assert privacy.normalise(text) == folded, repr(text)
