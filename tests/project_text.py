"""The texts of a small test project's files, shared by the tests that build one of their own:
a completed case (an invented reference; Poole, BCP; referred in May 2022, completed in
December) and the settings of one service, BCP, with its spend for 2022/23."""

from __future__ import annotations

from conftest import DEFLATORS


def completed_case(outcomes: str = "", reference: str = "BCP-9001", completed: str = "2022-12-01") -> str:
    """A case file completed on ``completed`` with ``outcomes`` (TOML [[outcomes]] tables) after its history."""
    return f"""\
reference = "{reference}"
service = "BCP"
locality = "Poole"

[[status]]
status = "referred"
date = 2022-05-01

[[status]]
status = "completed"
date = {completed}

{outcomes}"""


def settings_text(unit_costs: list[str], spend: int, price_year: str = "2018/19", more: str = "") -> str:
    """Settings of one service, BCP (Poole), with ``spend`` for 2022/23, valuing at ``price_year``
    with the ``unit_costs`` tables (paths as the settings file gives them), then ``more``."""
    tables = ", ".join(f'"{table}"' for table in unit_costs)
    return f"""\
cases = "cases"
unit_costs = [{tables}]

[uprating]
price_year = "{price_year}"
deflators = "{DEFLATORS}"

[services.BCP]
localities = ["Poole"]
reference_pattern = "BCP-\\\\d{{4}}"
spend = {{ "2022/23" = {spend} }}
""" + more
