"""The journal's `.cache` directory (`cache_files.CacheFiles`): private, sealed with the
journal's key, read only from regular files, written best effort."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from iastm_coach.journal.cache import seal
from iastm_coach.journal.cache_files import CacheFiles


def test_a_sealed_file_reads_back_and_the_directory_is_private(tmp_path: Path) -> None:
    files = CacheFiles(tmp_path)
    files.write_sealed("verified", b"inputs")
    assert CacheFiles(tmp_path).read_sealed("verified") == b"inputs"  # a new process
    assert stat.S_IMODE(files.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((files.directory / "verified").stat().st_mode) == 0o600


def test_a_file_sealed_with_another_key_reads_as_none(tmp_path: Path) -> None:
    files = CacheFiles(tmp_path)
    files.write_sealed("verified", b"inputs")
    files.write("verified", seal(bytes(32), b"inputs"))  # copied from another journal
    assert files.read_sealed("verified") is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_link_or_fifo_in_the_cache_reads_as_none_without_waiting(tmp_path: Path) -> None:
    files = CacheFiles(tmp_path)
    files.write_sealed("verified", b"inputs")
    os.mkfifo(files.directory / "summaries.pickle")
    (files.directory / "chains.pickle").symlink_to(files.directory / "verified")
    assert files.read("summaries.pickle") is None  # a FIFO would hang every command
    assert files.read("chains.pickle") is None


def test_writing_where_the_cache_cannot_be_made_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".cache").write_text("a file where the directory belongs")
    files = CacheFiles(tmp_path)
    files.write_sealed("verified", b"inputs")  # no exception: the cache only saves time
    files.write("verified", b"x")
    assert files.read_sealed("verified") is None
