"""The edition `costs import` records with every cost is the one the workbook is (issue #13,
review): the title's version ("Unit Cost Database (v.X)"), else the highest version the
Introduction names, never the first; its date the one after "Updated"/"published" nearest that
version, else the latest named. A version too long to be one is refused, naming its cell, rather
than written into every row.
"""

from __future__ import annotations

import pytest

from hostile import assert_refused
from test_gmca_any_edition import _introduction, build, folder, import_cli, source  # noqa: F401 (fixtures)
from up2u_cba.inputs import gmca

NO_VERSION_TITLE = "Unit Cost Database - Introduction"


@pytest.mark.parametrize("title, dated, expected", [
    (NO_VERSION_TITLE, "First published in March 2011 as a database of 600 costs.  This edition, v3.0, was updated "
                       "in November 2025.", "v3.0 (November 2025)"),
    (NO_VERSION_TITLE, "Changes from v.2.3 include the domestic abuse costs (this is v3.0).", "v3.0"),
    (NO_VERSION_TITLE, "Changes from v.2.3 (this is v3.0), first published in March 2011; updated January 2026.",
     "v3.0 (January 2026)"),
    ("Unit Cost Database (v.1.4) - Introduction",
     "Updated March 2015.  Changes from v.1.3 include the addition of new columns for economic and social values "
     "and updates to a number of unit costs where the source documentation has been updated since the previous "
     "version in March 2014.", "v1.4 (March 2015)"),
    ("Unit Cost Database (v2.0) - Introduction", "Work began on v2.1 in May 2019 and v2.0 was published in "
                                                 "April 2019.", "v2.0 (April 2019)"),
    ("Unit Cost Database", "Version 2.10 follows 2.9; see the log of May 2022 and June 2021.", "v2.10 (May 2022)"),
])
def test_the_edition_is_the_title_s_or_the_highest_and_its_date_the_nearest(folder, source, title, dated, expected):
    changed = _introduction(source, title, dated)
    result = gmca.import_workbook(build(folder / f"edition-{abs(hash((title, dated)))}.xlsx", changed,
                                        drop=gmca.THEMES[1:]))
    assert result.problems == []
    assert result.edition == expected


def test_the_database_named_with_a_version_below_the_title_is_not_the_title(folder, source):
    introduction = [[None, None, NO_VERSION_TITLE], [None, None, "Updated November 2025."],
                    [None, None, "Unlike the Unit Cost Database v2.3 before it, this is v3.0."]]
    changed = {**source, "Introduction": (introduction, {})}
    result = gmca.import_workbook(build(folder / "below-title.xlsx", changed, drop=gmca.THEMES[1:]))
    assert result.edition == "v3.0 (November 2025)"


def test_a_version_too_long_to_be_one_is_refused_naming_its_cell(folder, source):
    changed = _introduction(source, NO_VERSION_TITLE, "This is v3." + "7" * 5000 + ", updated in November 2025.")
    name = "long-version"
    result, rows = import_cli(folder, build(folder / f"{name}.xlsx", changed, drop=gmca.THEMES[1:]), name)
    assert_refused(result, "[bad-edition]", "Introduction: C2:")
    assert rows == [] and not (folder / f"{name}.csv").exists()
