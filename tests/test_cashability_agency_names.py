"""Cashability's agency names are checked against the unit cost tables in force (issue #13,
review finding): compared in any capitals and spacing, and an agency no cost bears refused with
the nearest one the tables have, never silently ignored."""

from decimal import Decimal

import pytest

from hostile import assert_refused, invoke, sample_project
from up2u_cba import models, pipeline
from up2u_cba.problems import errors


def with_agencies(folder, agencies: str):
    settings = sample_project(folder)
    settings.write_text(settings.read_text(encoding="utf-8") + f"\n[assumptions.cashability]\nagencies = {agencies}\n",
                        encoding="utf-8")
    return settings


def refused(settings) -> list[tuple[str, str, str, str]]:
    _, problems = pipeline.load(str(settings))
    return [(problem.code, problem.file, problem.where, problem.hint) for problem in errors(problems)]


@pytest.mark.parametrize("typed, nearest", [("Polic", "Police"), ("Criminal Justice Sytem", "Criminal Justice System"),
                                            ("Local Authority / Childrens Services",
                                             "Local Authority / Children's Services")])
def test_an_unknown_agency_is_refused_naming_the_file_the_key_and_the_nearest_agency(tmp_path, typed, nearest):
    settings = with_agencies(tmp_path, f'{{ "{typed}" = 0.5 }}')
    ((code, file, where, hint),) = refused(settings)
    assert (code, file, where) == ("unknown-agency", str(settings), f'assumptions.cashability.agencies."{typed}"')
    assert f'"{nearest}"' in hint
    assert_refused(invoke("report", "--settings", settings), "up2u-cba.toml", "assumptions.cashability.agencies",
                   typed, nearest)


def test_an_agency_nothing_like_any_in_the_tables_is_refused_too(tmp_path):
    settings = with_agencies(tmp_path, '{ "Fire Brigade of Atlantis" = 0.5 }')
    assert [row[:3] for row in refused(settings)] == \
        [("unknown-agency", str(settings), 'assumptions.cashability.agencies."Fire Brigade of Atlantis"')]


def test_an_agency_in_other_capitals_and_spacing_is_that_agency(tmp_path):
    (tmp_path / "exact").mkdir()
    exact = pipeline.run(str(with_agencies(tmp_path / "exact", '{ "Police" = 0.5, '
                                                               '"Local Authority / Social Services" = 0.25 }')))
    (tmp_path / "loose").mkdir()
    settings = with_agencies(tmp_path / "loose", '{ "police " = 0.5, "local  authority/social services" = 0.25 }')
    assert refused(settings) == []
    loose = pipeline.run(str(settings))
    (bcp, *_), (bcp_exact, *_) = loose.services, exact.services
    prudent = bcp.prudent_by_agency
    assert bcp.cashable_by_agency["Police"] == models.whole_pounds(prudent["Police"] * Decimal("0.5")) < prudent["Police"]
    assert bcp.cashable_by_agency["Local Authority / Social Services"] == \
        models.whole_pounds(prudent["Local Authority / Social Services"] * Decimal("0.25"))
    assert bcp.cashable_by_agency == bcp_exact.cashable_by_agency


def test_one_agency_named_twice_in_other_capitals_is_refused(tmp_path):
    settings = with_agencies(tmp_path, '{ "Police" = 0.5, "POLICE" = 0.4 }')
    assert [row[:3] for row in refused(settings)] == \
        [("bad-assumption", str(settings), 'assumptions.cashability.agencies."POLICE"')]


def test_an_agency_typed_with_a_curly_apostrophe_is_that_agency(tmp_path):
    # (review: Word and Outlook write Children’s; the name looked the same and was refused)
    settings = with_agencies(tmp_path, '{ "Local Authority / Children\u2019s Services" = 0.5 }')
    assert refused(settings) == []
    (bcp, *_) = pipeline.run(str(settings)).services
    assert bcp.cashable_by_agency["Local Authority / Children's Services"] < \
        bcp.prudent_by_agency["Local Authority / Children's Services"]
