"""The journal's `.cache` directory (`cache_files.CacheFiles`): private, sealed with the
journal's key, read only from regular files, written best effort; month parses saved
during a first read are written after it, or when asked to (beside the command, for a
long journal), and read back from memory until they are written."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iastm_coach.journal import cache_files
from iastm_coach.journal.cache import seal
from iastm_coach.journal.cache_files import CacheFiles
from iastm_coach.journal.format import CURRENT_SCHEMA, Row
from iastm_coach.journal.store import Journal
from tests.fakes import count_forks, count_waits


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


def rows_of(n: int) -> list[Row]:
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    return [("session", f"01HV5XQ3S8B0Q2T1WJ9YJ2K4Z{n}", at, CURRENT_SCHEMA, {"region": "calf"})]


def test_rows_saved_while_writing_later_are_written_after_the_block(tmp_path: Path) -> None:
    files = CacheFiles(tmp_path)
    march, april = tmp_path / "2026-03.toml", tmp_path / "2026-04.toml"
    with files.writing_later():
        files.save_rows(march, 10, b"m" * 32, rows_of(1))
        files.save_rows(april, 20, b"a" * 32, rows_of(2))
        assert files.names() == set()  # a first read spends its time reading
        assert files.rows(march) == (10, b"m" * 32, rows_of(1))  # read back as saved
    assert {"2026-03.toml.pickle", "2026-04.toml.pickle"} <= files.names()
    assert CacheFiles(tmp_path).rows(april) == (20, b"a" * 32, rows_of(2))  # a new process


def test_rows_saved_so_far_are_written_when_asked_and_the_rest_after(tmp_path: Path) -> None:
    files = CacheFiles(tmp_path)
    march, april = tmp_path / "2026-03.toml", tmp_path / "2026-04.toml"
    with files.writing_later():
        files.save_rows(march, 10, b"m" * 32, rows_of(1))
        files.write_saved()  # the first read's helper has finished: a core is free
        assert "2026-03.toml.pickle" in files.names()
        files.save_rows(april, 20, b"a" * 32, rows_of(2))
        assert "2026-04.toml.pickle" not in files.names()
        assert files.rows(april) == (20, b"a" * 32, rows_of(2))
    assert CacheFiles(tmp_path).rows(april) == (20, b"a" * 32, rows_of(2))


def writing_beside(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[int], list[int], CacheFiles]:
    """Every write beside forked, however small; the children forked and waited for."""
    monkeypatch.setattr(cache_files, "WRITE_BESIDE_ROWS", 0)
    forks, waits = count_forks(monkeypatch), count_waits(monkeypatch)
    files = CacheFiles(directory)
    files.key(create=True)
    return forks, waits, files


@pytest.mark.skipif(not hasattr(os, "fork"), reason="writing beside needs fork")
def test_rows_written_beside_are_read_from_memory_and_waited_for_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forks, waits, files = writing_beside(tmp_path, monkeypatch)
    months = [tmp_path / f"2026-{month:02d}.toml" for month in range(1, 10)]
    with files.writing_later():
        for n, month in enumerate(months):
            files.save_rows(month, n, bytes([n]) * 32, rows_of(n))
    assert len(forks) == 1
    # Not waited for: the rows saved are the rows being written.
    assert files.rows(months[-1]) == (8, bytes([8]) * 32, rows_of(8))
    assert waits == []
    assert {f"{month.name}.pickle" for month in months} <= files.names()  # waited for
    assert waits == forks
    assert CacheFiles(tmp_path).rows(months[0]) == (0, bytes(32), rows_of(0))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="writing beside needs fork")
def test_a_second_writer_beside_does_not_wait_for_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first read of history meets the helper, starts writing what it parsed, parses a few
    more months and starts writing them too: each writer writes other files."""
    forks, waits, files = writing_beside(tmp_path, monkeypatch)
    march, april = tmp_path / "2026-03.toml", tmp_path / "2026-04.toml"
    with files.writing_later():
        files.save_rows(march, 10, b"m" * 32, rows_of(1))
        files.write_saved()
        files.save_rows(april, 20, b"a" * 32, rows_of(2))
        files.write_saved()
        assert files.rows(march) == (10, b"m" * 32, rows_of(1))
    assert len(forks) == 2
    assert waits == []
    assert {"2026-03.toml.pickle", "2026-04.toml.pickle"} <= files.names()
    assert sorted(waits) == sorted(forks)
    assert CacheFiles(tmp_path).rows(april) == (20, b"a" * 32, rows_of(2))


def test_a_small_batch_is_written_at_once_and_not_kept(tmp_path: Path) -> None:
    """Under `WRITE_BESIDE_ROWS` a fork does not pay: the rows are written in this process
    and not kept for reading (a long-lived process, such as a session, reads many months)."""
    files = CacheFiles(tmp_path)
    march = tmp_path / "2026-03.toml"
    with files.writing_later():
        files.save_rows(march, 10, b"m" * 32, rows_of(1))
    assert files._writers == []
    assert "2026-03.toml.pickle" in files.names()
    assert files.rows(march) == (10, b"m" * 32, rows_of(1))  # from its file


# --- a month saved again while an older parse of it is written beside (found in review) ---


@pytest.mark.skipif(not hasattr(os, "fork"), reason="writing beside needs fork")
def test_a_newer_save_of_a_month_being_written_is_the_one_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The month grew and was parsed again after the first parse went to a writer beside:
    the newer parse is read back, in the block and after it (a session appending to the
    month it listed), and is what the file holds in the end."""
    forks, waits, files = writing_beside(tmp_path, monkeypatch)
    march = tmp_path / "2026-03.toml"
    with files.writing_later():
        files.save_rows(march, 10, b"m" * 32, rows_of(1))
        files.write_saved()  # met the helper: the first parse is being written beside
        files.save_rows(march, 20, b"n" * 32, rows_of(2))  # grown, parsed again
        assert len(forks) == 1 and waits == forks  # the older writer finished first
        assert files.rows(march) == (20, b"n" * 32, rows_of(2))
    files.save_rows(march, 30, b"o" * 32, rows_of(3))  # after the block: written at once
    assert files.rows(march) == (30, b"o" * 32, rows_of(3))
    files.finish_writing()
    assert CacheFiles(tmp_path).rows(march) == (30, b"o" * 32, rows_of(3))


def test_an_older_writer_finishing_late_does_not_overwrite_a_newer_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer beside that writes only when waited for (as a slow child would) has an
    older parse of the month: it is let finish before the newer one is written."""

    class Late:
        def __init__(self, action: Callable[[], object]) -> None:
            self.action: Callable[[], object] | None = action

        def __call__(self) -> None:
            action, self.action = self.action, None
            if action is not None:
                action()  # the child writes only now

        def done(self) -> bool:
            return self.action is None

    monkeypatch.setattr(cache_files, "WRITE_BESIDE_ROWS", 0)
    monkeypatch.setattr(cache_files, "run_beside", lambda action, worth_it: Late(action))
    files = CacheFiles(tmp_path)
    march = tmp_path / "2026-03.toml"
    with files.writing_later():
        files.save_rows(march, 10, b"m" * 32, rows_of(1))
    files.save_rows(march, 20, b"n" * 32, rows_of(2))
    files.finish_writing()
    assert CacheFiles(tmp_path).rows(march) == (20, b"n" * 32, rows_of(2))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="writing beside needs fork")
def test_a_finished_writer_leaves_nothing_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan's parses are kept in memory only while a writer beside writes them: once it
    has finished, the next read lets them go and reads the files."""
    from tests.builders import benchmark_journal

    journal = benchmark_journal(tmp_path / "j", 30)
    forks, waits, _ = writing_beside(tmp_path, monkeypatch)
    fresh = Journal(journal.directory)
    assert list(fresh.scan(remember=False))
    assert forks and fresh._cache._writers  # being written beside
    for pid in forks:
        os.waitpid(pid, 0)  # they have finished
    month = journal.month_files()[0]
    assert fresh._cache.rows(month) is not None  # from its file
    assert fresh._cache._writers == []
    assert waits == []  # nothing was waited for


def test_a_forked_helper_writes_its_parses_at_once_inside_its_parents_block(
    tmp_path: Path,
) -> None:
    """A first-read helper forked inside a `writing_later` block of its parent would keep
    its parses for a block end it never reaches: it writes each at once."""
    files = CacheFiles(tmp_path)
    march = tmp_path / "2026-03.toml"
    with files.writing_later():
        files.in_helper()  # what `Journal._warm_month` does in the helper
        files.save_rows(march, 10, b"m" * 32, rows_of(1))
        assert (files.directory / "2026-03.toml.pickle").is_file()
