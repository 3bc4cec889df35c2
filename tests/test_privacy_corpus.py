"""The personal-data guard measured on a labelled corpus (issue #9): every identifier in
``fixtures/privacy_corpus.toml`` is found as its kind, in every spelling and behind invisible or
look-alike characters, and no harmless programme note is refused. The catch rate and the
false-alarm rate are printed at the end of every test run (``pytest_terminal_summary`` in
conftest.py). Every identifier is invented."""

from __future__ import annotations

import csv
import pathlib
import tomllib

import pytest

from conftest import GUARD_FIGURES, ROOT
from up2u_cba.inputs import privacy

CORPUS = tomllib.loads((pathlib.Path(__file__).parent / "fixtures" / "privacy_corpus.toml").read_text(encoding="utf-8"))
IDENTIFIERS = [(kind, text) for kind, texts in CORPUS["identifiers"].items() for text in texts]
HARMLESS = CORPUS["harmless"]["notes"]


def gmca_descriptions() -> list[str]:
    with open(ROOT / "unit_costs" / "gmca-ucd-v1.4.csv", encoding="utf-8") as handle:
        return [row["description"] for row in csv.DictReader(handle)]


def test_the_corpus_is_big_enough_and_labelled_with_known_kinds():
    assert len(IDENTIFIERS) + len(HARMLESS) >= 150
    assert set(CORPUS["identifiers"]) == set(privacy.KINDS)
    assert len(HARMLESS) >= 100


@pytest.mark.parametrize("kind, text", IDENTIFIERS, ids=[f"{kind}-{number}" for number, (kind, _) in enumerate(IDENTIFIERS)])
def test_every_identifier_is_caught_as_its_kind(kind, text):
    assert kind in privacy.personal_data(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_no_harmless_note_is_refused(text):
    assert privacy.personal_data(text) == []


def test_catch_and_false_alarm_rates(request):
    """The figures the issue asks for, shown in the test output; and they must be perfect."""
    missed = [(kind, text) for kind, text in IDENTIFIERS if kind not in privacy.personal_data(text)]
    refused = [text for text in HARMLESS if privacy.personal_data(text)]
    descriptions = gmca_descriptions()
    refused_descriptions = [text for text in descriptions if privacy.personal_data(text)]
    caught = len(IDENTIFIERS) - len(missed)
    request.config.stash[GUARD_FIGURES] = [
        f"identifiers caught: {caught}/{len(IDENTIFIERS)} ({caught / len(IDENTIFIERS):.1%})",
        f"harmless notes refused (false alarms): {len(refused)}/{len(HARMLESS)} ({len(refused) / len(HARMLESS):.1%})",
        f"GMCA v1.4 unit cost descriptions refused: {len(refused_descriptions)}/{len(descriptions)}",
    ]
    assert missed == [] and refused == [] and refused_descriptions == []


def test_the_message_never_repeats_what_it_refuses():
    """A message is made of the field's name and the kinds' names only: no word or digit of the text."""
    vocabulary = {"evidence", "looks", "like", "and"} | {word for name in privacy.KINDS.values()
                                                         for word in name.replace(",", "").split()}
    for kind, text in IDENTIFIERS:
        message = privacy.check("evidence", text)
        assert set(message.replace(",", "").split()) <= vocabulary, (kind, text, message)


@pytest.mark.parametrize("hidden, plain", [
    ("Ke\u200bvin", "Kevin"),                  # zero-width space
    ("0770\u2060\ufeff0 900123", "07700 900123"),
    ("\uff11\uff12 High Street", "12 High Street"),  # full-width digits
    ("K\u0435vin", "Kevin"),                   # Cyrillic e
    ("\u039fliver", "Oliver"),                 # Greek capital omicron
    ("O77OO 9OO123", "07700 900123"),          # letter O among digits
    ("BH1\u00a01AA", "BH1 1AA"),               # non-breaking space
    ("12\u201303\u20131985", "12-03-1985"),    # en dashes
])
def test_normalising_undoes_hiding(hidden, plain):
    assert privacy.normalise(hidden) == plain


def test_the_forename_list_ships_with_the_package():
    names = privacy.forenames()
    assert len(names) >= 300
    assert names["kevin"] is False and names["grace"] is True and names["may"] is True
