"""A workbook re-saved with a float's last digits moved is the same table (issue #13, review):
`costs import` writes values at 15 significant digits at most, and `costs diff` compares at that
precision, so HE2.0.3's 1719.0588235294117 and 1719.058823529412 are no revaluation, while a
change within 15 digits still is."""

from __future__ import annotations

from hostile import invoke
from test_gmca_any_edition import build, folder, import_cli, source, v14  # noqa: F401 (fixtures)

FISCAL = 7
"""Column H (the fiscal value) of a theme sheet, 0-based."""


def fiscal_of(code: str, value: float):
    def edit(sheet: str, number: int, cells: list) -> None:
        if isinstance(cells[2], str) and cells[2].strip() == code:
            cells[FISCAL] = value
    return edit


def test_an_imported_value_has_15_significant_digits_at_most(v14):
    he = next(row for row in v14[1] if row["code"] == "HE2.0.3")
    assert he["fiscal_value"] == "1719.05882352941"
    assert all(len(row[f"{kind}_value"].replace(".", "").lstrip("0")) <= 15
               for row in v14[1] for kind in ("fiscal", "economic", "social"))


def test_a_re_save_moving_a_float_s_last_digits_is_no_change(folder, source, v14):
    name = "re-saved"
    result, rows = import_cli(folder, build(folder / f"{name}.xlsx", source,
                                            edit=fiscal_of("HE2.0.3", 1719.058823529412)), name)
    assert result.exit_code == 0, result.output
    assert rows == v14[1]
    diff = invoke("costs", "diff", folder / "v1.4.csv", folder / f"{name}.csv")
    assert diff.exit_code == 0, diff.output
    assert diff.stdout.splitlines()[0].endswith(": 0 added, 0 removed, 0 revalued, 0 re-rated, 0 redefined, "
                                                "0 re-sourced")


def test_tables_written_with_every_float_digit_compare_at_15(tmp_path):
    header = "code,theme,description,fiscal_value,fiscal_price_year\n"
    old, new, moved = tmp_path / "old.csv", tmp_path / "new.csv", tmp_path / "moved.csv"
    old.write_text(header + "HE2.0.3,Health,A cost,1719.0588235294117,2012/13\n", encoding="utf-8")
    new.write_text(header + "HE2.0.3,Health,A cost,1719.058823529412,2012/13\n", encoding="utf-8")
    moved.write_text(header + "HE2.0.3,Health,A cost,1719.05882352951,2012/13\n", encoding="utf-8")
    assert ": 0 added, 0 removed, 0 revalued" in invoke("costs", "diff", old, new).stdout
    assert ": 0 added, 0 removed, 1 revalued" in invoke("costs", "diff", old, moved).stdout
