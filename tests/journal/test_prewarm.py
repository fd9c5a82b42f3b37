"""The first read on a new machine, with a forked helper filling the parse cache from the
months read last while the reader reads from the first: it reads exactly what a read
without the helper reads, leaves a cache a later read uses, each month is parsed once
(twice at most where reader and helper meet), and a damaged month the helper met is
still refused by the reader, with the reader's message. (The size that makes a helper
worth forking is lowered here: a journal of that size would take seconds to write.)
Where the two meet depends on the machine; the rule that decides it is tested on its own
without a fork."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iastm_coach.errors import DataFileError
from iastm_coach.journal import prewarm, store
from iastm_coach.journal.cache import CACHE_DIR
from iastm_coach.journal.format import Row
from iastm_coach.journal.store import Journal, records
from tests.builders import example

T0 = datetime(2025, 1, 10, 18, 0, tzinfo=UTC)
MONTHS = 8


@pytest.fixture(name="helpers")
def _helpers(monkeypatch: pytest.MonkeyPatch) -> list[prewarm.Helper]:
    """Every helper started, with no minimum size (and fork where the platform has it)."""
    started: list[prewarm.Helper] = []
    real = prewarm.start_helper

    def spy(*args: object, **kwargs: object) -> prewarm.Helper:
        helper = real(*args, **kwargs)  # type: ignore[arg-type]
        started.append(helper)
        return helper

    monkeypatch.setattr(prewarm, "MIN_BYTES", 0)
    monkeypatch.setattr(prewarm, "start_helper", spy)
    return started


def months_of_sessions(directory: Path) -> Journal:
    journal = Journal(directory)
    for month in range(MONTHS):
        for day in range(4):
            at = T0 + timedelta(days=31 * month + 3 * day)
            session = journal.append(records.SESSION, example(records.SESSION), at=at)
            checkin = example(records.CHECKIN, session=session.id, soreness=day)
            journal.append(records.CHECKIN, checkin, at=at + timedelta(hours=24))
    return journal


def without_cache(journal: Journal) -> Journal:
    for path in (journal.directory / CACHE_DIR).glob("*.pickle"):
        path.unlink()
    return Journal(journal.directory)  # nothing in memory either


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the helper needs fork")


@needs_fork
def test_a_cold_read_with_the_helper_reads_what_a_read_without_it_reads(
    isolated_home: Path, helpers: list[prewarm.Helper], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = months_of_sessions(isolated_home / "journal")
    expected = list(without_cache(journal).scan())
    helpers.clear()
    parsed: list[str] = []  # by this process (the helper counts in its own memory)
    real = store.rows_from_text

    def counted(path: Path, text: str, **options: bool) -> list[Row]:
        parsed.append(path.name)
        return real(path, text, **options)

    monkeypatch.setattr(store, "rows_from_text", counted)
    expected_again = list(without_cache(journal).scan())
    assert helpers and helpers[-1].forked
    assert expected_again == expected
    helper_months = {path.name for path in helpers[-1].warmed}
    assert len(helper_months.intersection(parsed)) <= 1  # the rest read from its cache
    assert helper_months.union(parsed) == {path.name for path in journal.month_files()}
    assert len(parsed) == len(set(parsed))
    cached = {path.name for path in (journal.directory / CACHE_DIR).glob("*.toml.pickle")}
    assert cached == {f"{path.name}.pickle" for path in journal.month_files()}
    helpers.clear()
    warm = Journal(journal.directory)
    assert list(warm.scan()) == expected
    assert not any(helper.forked for helper in helpers)  # every month was cached
    assert [r.seq for r in warm.scan()] == [r.seq for r in expected]


@needs_fork
def test_damage_in_the_helpers_share_is_refused_by_the_reader(
    isolated_home: Path, helpers: list[prewarm.Helper]
) -> None:
    journal = months_of_sessions(isolated_home / "journal")
    newest = journal.month_files()[-1]  # the helper starts at the newest month
    newest.write_text(newest.read_text().replace("soreness = 3", "soreness = 15", 1))
    with pytest.raises(DataFileError) as without_helper:
        list(without_cache(journal).scan())
    helpers.clear()
    with pytest.raises(DataFileError) as with_helper:
        list(without_cache(journal).scan())
    assert helpers and helpers[-1].forked
    assert str(with_helper.value) == str(without_helper.value)
    assert newest.name in str(with_helper.value)
    assert not (journal.directory / CACHE_DIR / f"{newest.name}.pickle").exists()


@needs_fork
def test_journal_check_with_the_helper_finds_what_it_finds_without(
    isolated_home: Path, helpers: list[prewarm.Helper]
) -> None:
    journal = months_of_sessions(isolated_home / "journal")
    newest = journal.month_files()[-1]
    newest.write_text(newest.read_text().replace("soreness = 2", "soreness = 15", 1))
    now = T0 + timedelta(days=400)
    expected = [(p.file, p.line, p.message) for p in without_cache(journal).check(now=now)]
    helpers.clear()
    found = [(p.file, p.line, p.message) for p in without_cache(journal).check(now=now)]
    assert helpers and helpers[-1].forked
    assert found == expected
    assert any("soreness" in message for _, _, message in found)


def shared_progress(paths: list[Path]) -> prewarm.Helper:
    """A helper's view of the progress page, with no process behind it."""
    return prewarm.Helper(None, paths, prewarm.progress_page(len(paths)))


def test_the_helper_warms_from_the_last_month_until_the_next_is_one_the_reader_reached() -> None:
    paths = [Path(f"2025-{month:02d}.toml") for month in range(1, 11)]
    view = shared_progress(paths)
    warmed: list[str] = []

    def warm(path: Path) -> None:
        warmed.append(path.name)
        if path == paths[7]:  # meanwhile the reader has read five months and reached a sixth
            view.reach(paths[5])

    assert view._progress is not None
    prewarm._warm_until_met(paths, warm, view._progress)
    assert warmed == ["2025-10.toml", "2025-09.toml", "2025-08.toml", "2025-07.toml"]
    assert view.warmed == paths[6:]


def test_the_reader_only_moves_forward_and_waits_only_for_months_the_helper_finished() -> None:
    paths = [Path(f"2025-{month:02d}.toml") for month in range(1, 5)]
    view = shared_progress(paths)
    view.reach(paths[2])
    view.reach(paths[1])  # a month read again out of order does not call the helper back
    assert view._progress is not None
    assert prewarm.read_word(view._progress, prewarm._REACHED) == 2
    view.reach(Path("2024-12.toml"))  # a month that had a cache: not the helper's
    assert prewarm.read_word(view._progress, prewarm._REACHED) == 2
    joined: list[bool] = []
    view.join = lambda: joined.append(True)  # type: ignore[method-assign]
    view.before(paths[3])  # not warmed yet: the reader works it out itself
    assert not joined
    prewarm.write_word(view._progress, prewarm._LOWEST_DONE, 3)  # it finished the last month
    view.before(paths[3])
    assert joined == [True]


def test_no_helper_means_nothing_is_reached_or_waited_for() -> None:
    helper = prewarm.Helper()
    helper.reach(Path("2025-01.toml"))
    helper.before(Path("2025-01.toml"))
    assert helper.warmed == [] and not helper.forked


def test_nothing_is_forked_for_a_small_journal(isolated_home: Path) -> None:
    journal = months_of_sessions(isolated_home / "journal")
    cold = without_cache(journal)
    assert not cold._start_helper(cold.month_files()).forked
    with cold.first_read():
        assert not cold._helper.forked


@needs_fork
def test_history_read_newest_first_with_the_helper_lists_the_same_rows(
    isolated_home: Path, helpers: list[prewarm.Helper]
) -> None:
    """`history --all` reads backwards: the helper starts at the oldest month."""
    from iastm_coach.history.stream import HistoryStream

    journal = months_of_sessions(isolated_home / "journal")
    expected = list(HistoryStream(without_cache(journal)))
    helpers.clear()
    found = list(HistoryStream(without_cache(journal)))
    assert helpers and helpers[-1].forked
    oldest_first = journal.month_files()
    warmed = helpers[-1].warmed  # newest first, as read: the oldest months, if any
    assert warmed == oldest_first[: len(warmed)][::-1]
    assert [(row.id, row.soreness_by_hours) for row in found] == [
        (row.id, row.soreness_by_hours) for row in expected
    ]
    assert len(found) == 4 * MONTHS


@needs_fork
def test_a_read_that_stops_early_does_not_wait_for_the_oldest_months(
    isolated_home: Path, helpers: list[prewarm.Helper]
) -> None:
    """History stopped after its first row (a pager quit early): the helper warming the
    oldest months is stopped, not waited for, and leaves no half-written file."""
    from iastm_coach.history.stream import HistoryStream

    journal = months_of_sessions(isolated_home / "journal")
    stream = iter(HistoryStream(without_cache(journal)))
    newest = next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert helpers and helpers[-1].forked
    assert newest.id == list(journal.scan())[-2].id
    cache = journal.directory / CACHE_DIR
    assert not [path.name for path in cache.iterdir() if path.name.endswith(".tmp")]
    assert list(Journal(journal.directory).scan()) == list(without_cache(journal).scan())


@needs_fork
def test_the_helper_works_out_the_chain_facts_of_its_months_too(
    isolated_home: Path, helpers: list[prewarm.Helper], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold report scans, then verifies the hash chain: this process works out only the
    chain facts of the months it parsed itself; the verdict is the one without a helper,
    and `journal check` after it agrees."""
    from iastm_coach.journal import chain

    journal = months_of_sessions(isolated_home / "journal")
    expected = without_cache(journal).integrity()
    helpers.clear()
    worked_out: list[int] = []  # in this process (the helper counts in its own memory)
    real = chain.month_chain_of

    def counted(raw: bytes) -> chain.MonthChain:
        worked_out.append(len(raw))
        return real(raw)

    monkeypatch.setattr(chain, "month_chain_of", counted)
    cold = without_cache(journal)
    assert len(list(cold.scan())) == 2 * 4 * MONTHS
    result = cold.integrity()
    [helper] = [helper for helper in helpers if helper.forked]
    helper_months = len(helper.warmed)
    assert helper_months < MONTHS  # the reader reached the first month itself
    assert len(worked_out) == MONTHS - helper_months
    assert (result.verified, result.text) == (expected.verified, expected.text)
    assert not (journal.directory / CACHE_DIR / "chains-helper.pickle").exists()
    assert Journal(journal.directory).check_report(now=T0 + timedelta(days=300)).errors == []


def test_the_readers_own_parses_are_cached_once_it_reaches_the_helpers_months(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the reader meets the helper, it parses and keeps what it parsed; the moment it
    reaches a month the helper finished (the other core is free again), its parses are
    written (beside it, for a long journal); a month parsed after that, at the end."""
    journal = months_of_sessions(isolated_home / "journal")
    paths = journal.month_files()
    expected = list(without_cache(journal).scan())
    warmer = without_cache(journal)
    for path in paths[-3:]:  # the helper's share, warmed as the helper warms it
        warmer._warm_month(path)
    helper = shared_progress(paths)
    helper.forked = True  # stands for a forked helper that has finished its share
    assert helper._progress is not None
    prewarm.write_word(helper._progress, prewarm._LOWEST_DONE, len(paths) - 3)
    cold = Journal(journal.directory)
    monkeypatch.setattr(cold, "_start_helper", lambda _paths: helper)
    cache = journal.directory / CACHE_DIR

    def cached() -> set[str]:
        return {path.name.removesuffix(".pickle") for path in cache.glob("*.toml.pickle")}

    reached: list[tuple[str, set[str]]] = []  # each month reached, and what was cached then
    real_reach = cold._reach

    def reach(path: Path) -> None:
        real_reach(path)
        reached.append((path.name, cached()))

    monkeypatch.setattr(cold, "_reach", reach)
    assert list(cold.scan()) == expected
    helpers_share = {path.name for path in paths[-3:]}
    everything = {path.name for path in paths}
    assert reached == [(path.name, helpers_share) for path in paths[:-3]] + [
        (path.name, everything) for path in paths[-3:]
    ]
    assert cached() == everything
