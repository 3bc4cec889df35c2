"""The text of a completed test case file, shared by the tests that build a small project of
their own (an invented reference; Poole, BCP; referred in May 2022, completed in December)."""

from __future__ import annotations


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
