"""Case files are read with tomli 2.2 (the standard library's tomllib parser, compiled: issue
#11) where installed. It must read exactly what tomllib reads: the same data, the same refusals
with the same line and column, and none of TOML 1.1 (which tomllib refuses and newer tomli
accepts). And the shortcut that skips looking for control characters field by field must never
skip a file that holds one."""

from __future__ import annotations

import random
import tomllib

import pytest

from hostile import REPO, assert_refused, invoke, sample_project
from up2u_cba.inputs import input_files

CASE = "cases/BCP/BCP-0016.toml"


@pytest.mark.parametrize("toml_1_1", [
    'adjustment_reason = "half\\e"',                 # the \e escape
    'adjustment_reason = "half\\x41"',               # the \xHH escape
    "deadweight = {value = 0.2,}",                   # a trailing comma in an inline table
    "deadweight = {value = 0.2,\n value2 = 1}",      # an inline table over two lines
])
def test_a_case_file_in_toml_1_1_is_refused_as_tomllib_refuses_it(tmp_path, toml_1_1):
    settings = sample_project(tmp_path)
    path = tmp_path / CASE
    text = path.read_text(encoding="utf-8") + "\n[[outcomes]]\ncode = \"HE1.0\"\nquantity = 1\n" + toml_1_1 + "\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError) as refused:
        tomllib.loads(text)

    result = invoke("validate", "--settings", settings)

    assert_refused(result, "BCP-0016.toml", "[invalid-toml]", str(refused.value))


def test_a_time_without_seconds_in_the_history_is_refused(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / CASE
    path.write_text(path.read_text(encoding="utf-8") + "\n[[change]]\nmade = 2026-11-30T10:00Z\nkind = \"created\"\n",
                    encoding="utf-8")
    assert_refused(invoke("validate", "--settings", settings), "BCP-0016.toml", "[invalid-toml]", "line")


def test_a_raw_c1_control_character_with_no_escape_in_the_file_is_still_refused(tmp_path):
    settings = sample_project(tmp_path)
    path = tmp_path / CASE
    text = path.read_text(encoding="utf-8")
    assert "\\" not in text  # (so only the character itself can show the file needs looking at)
    path.write_text(text.replace('evidence = "', 'evidence = "Pasted\x85 ', 1), encoding="utf-8")
    assert_refused(invoke("validate", "--settings", settings), "BCP-0016.toml", "evidence", "U+0085")


def _mutations(seed: int, count: int):
    texts = [path.read_text(encoding="utf-8") for path in sorted((REPO / "cases").rglob("*.toml"))]
    alphabet = list("=[]{}\"'\\.,#\n\r\t -_:+0123456789eEtTzZabcx\x0b\u00e9")
    chooser = random.Random(seed)
    for _ in range(count):
        text = chooser.choice(texts)
        for _ in range(chooser.randint(1, 3)):
            at, edit = chooser.randrange(len(text) + 1), chooser.random()
            if edit < 0.4:
                text = text[:at] + chooser.choice(alphabet) + text[at:]
            elif edit < 0.7:
                text = text[:at] + text[at + 1:]
            else:
                text = text[:at] + chooser.choice(alphabet) + text[at + 1:]
        yield text


def test_the_case_file_parser_reads_exactly_what_tomllib_reads_on_mutated_case_files():
    differ = []
    for text in _mutations(seed=11, count=4000):
        try:
            expected = ("data", tomllib.loads(text))
        except tomllib.TOMLDecodeError as error:
            expected = ("refused", f"not valid TOML: {error}")
        data, problem = input_files.parse_toml(text, "case.toml", input_files.CASE)
        got = ("data", data) if problem is None else ("refused", problem.message)
        if got != expected:
            differ.append((text, expected, got))
    assert not differ, differ[:3]
