"""Case files read on two cores (``two_readers``: issue #11) give exactly what one reader gives:
the same records and problems in the same order, the checksums the report lists, and the same
again when the second process fails."""

from __future__ import annotations

import hashlib

import pytest

from hostile import sample_project
from up2u_cba.inputs import cases, input_files, two_readers


@pytest.fixture
def project(tmp_path):
    sample_project(tmp_path)
    paths, _ = cases._walk(str(tmp_path / "cases"))
    for broken in (paths[1], paths[-2]):  # (one in each reader's half)
        with open(broken, "a", encoding="utf-8") as handle:
            handle.write('\n[[outcomes]]\ncode = "HE1.0"\nquantity = "two"\n')
    return tmp_path / "cases", paths


def _read(folder, monkeypatch, from_count):
    monkeypatch.setattr(two_readers, "TWO_READERS_FROM", from_count)
    monkeypatch.setattr(input_files, "_checksums", {})
    return cases.load(str(folder))


@pytest.mark.skipif(not two_readers.sys.platform.startswith("linux"), reason="a second reader forks: Linux only")
def test_two_readers_give_what_one_gives(project, monkeypatch):
    folder, paths = project
    alone = _read(folder, monkeypatch, 10**9)
    assert [problem.file for problem in alone[1]] == [paths[1], paths[-2]]  # (so their order is compared too)
    used = []
    submit = two_readers.concurrent.futures.ProcessPoolExecutor.submit
    monkeypatch.setattr(two_readers.concurrent.futures.ProcessPoolExecutor, "submit",
                        lambda self, *arguments: used.append(len(arguments[1])) or submit(self, *arguments))

    together = _read(folder, monkeypatch, 2)

    assert used == [len(paths) - len(paths) // 2]  # (the second half was read by the second reader)
    assert together == alone
    for path in paths:
        with open(path, "rb") as handle:
            assert input_files.checksum_if_read(path) == hashlib.sha256(handle.read()).hexdigest(), path


@pytest.mark.skipif(not two_readers.sys.platform.startswith("linux"), reason="a second reader forks: Linux only")
def test_when_the_second_reader_fails_this_process_reads_its_half(project, monkeypatch):
    folder, paths = project
    alone = _read(folder, monkeypatch, 10**9)

    def fails(*_):
        raise MemoryError("the second reader ran out of memory")

    monkeypatch.setattr(two_readers, "_read_and_checksum", fails)
    together = _read(folder, monkeypatch, 2)

    assert together == alone
    assert all(input_files.checksum_if_read(path) for path in paths)
