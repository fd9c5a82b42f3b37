"""The stored report (`report/stored.py`): asked again about an unchanged journal, the
report is read from the journal's derived cache, and it is the report a fresh build would
give, in every format, at any later moment; anything that changes what it is made from
(an append, a hand edit, a protocol) makes it build again, and a damaged, foreign or
unreadable stored file is ignored."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.errors import DataFileError
from iastm_coach.journal import derived, records
from iastm_coach.journal.derived import derived_path
from iastm_coach.journal.files import JournalPermissionWarning
from iastm_coach.journal.store import Journal
from iastm_coach.paths import journal_dir, use_home_for_this_run
from iastm_coach.report import stored
from iastm_coach.report.build import render
from iastm_coach.report.context import make_report
from iastm_coach.report.stored import report_text
from tests.builders import (
    T0,
    add_checkin,
    add_exercise,
    add_hold,
    add_hold_clear,
    add_measure,
    add_runner_weeks,
    add_session,
)
from tests.cli import invoke
from tests.fakes import count_forks

FORMATS = ("md", "html", "csv", "json")
NOW = T0 + timedelta(days=27)


def fresh(journal: Journal, fmt: str, now: datetime = NOW) -> str:
    """The report as it is built without any stored one."""
    return render(make_report(Journal(journal.directory), since=None, now=now), fmt)


def text_of(journal: Journal, fmt: str, now: datetime = NOW) -> str:
    return report_text(Journal(journal.directory), since=None, now=now, fmt=fmt)[1]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The moments the report was built from the journal (not read from the store)."""
    found: list[datetime] = []

    def counting(journal: Journal, *, since: datetime | None, now: datetime) -> object:
        found.append(now)
        return make_report(journal, since=since, now=now)

    monkeypatch.setattr("iastm_coach.report.context.make_report", counting)
    return found


@pytest.fixture
def journal() -> Journal:
    made = Journal(journal_dir())
    add_runner_weeks(made)
    return made


@pytest.mark.parametrize("fmt", FORMATS)
def test_asked_again_it_is_read_and_the_same(
    journal: Journal, builds: list[datetime], fmt: str
) -> None:
    """The first report builds and stores; the second is read, and is the same text."""
    first = text_of(journal, fmt)
    assert len(builds) == 1 and derived_path(journal.directory, "report").is_file()
    assert text_of(journal, fmt) == first == fresh(journal, fmt)
    assert len(builds) == 1


def test_a_week_later_the_stored_report_is_dated_again(
    journal: Journal, builds: list[datetime]
) -> None:
    """Adherence counts this week only once it is complete: a stored report read a week
    later, then a month later, says what a fresh build says then (and when it was made)."""
    for fmt in FORMATS:
        text_of(journal, fmt, now=T0 + timedelta(days=24, hours=1))  # inside the last week
    stored_builds = len(builds)
    for later in (timedelta(days=1), timedelta(days=7), timedelta(days=40)):
        for fmt in FORMATS:
            moment = T0 + timedelta(days=24, hours=1) + later
            assert text_of(journal, fmt, now=moment) == fresh(journal, fmt, now=moment)
    assert len(builds) == stored_builds  # every one of them was read


def test_an_append_is_in_the_next_report(journal: Journal, builds: list[datetime]) -> None:
    text_of(journal, "csv")
    add_session(journal, side="right", started=T0 + timedelta(days=26), note="after the store")
    again = text_of(journal, "csv")
    assert "after the store" in again and again == fresh(journal, "csv")
    assert len(builds) == 2
    assert text_of(journal, "csv") == again and len(builds) == 2  # stored again


def test_a_hand_edit_is_in_the_next_report(journal: Journal) -> None:
    """One digit changed by hand, the file's size and time put back as they were: the
    journal's bytes are what count, so the report is built again."""
    text_of(journal, "json")
    path = journal.month_files()[-1]
    before = path.stat()
    text = path.read_text()
    assert "soreness = 2\n" in text
    path.write_text(text.replace("soreness = 2\n", "soreness = 9\n", 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    edited = text_of(journal, "json")
    assert edited == fresh(journal, "json") != text_of_fresh_before(text, journal)


def text_of_fresh_before(text: str, journal: Journal) -> str:
    """The JSON of the journal as it was before the edit (to show the edit shows)."""
    path = journal.month_files()[-1]
    edited = path.read_text()
    path.write_text(text)
    try:
        return fresh(journal, "json")
    finally:
        path.write_text(edited)


def test_a_damaged_file_is_refused_as_without_the_store(journal: Journal) -> None:
    """A stored report never hides damage: the month is read, and refused, as always."""
    text_of(journal, "md")
    path = journal.month_files()[-1]
    path.write_bytes(path.read_bytes() + b"\n[[session]\nbroken = \n")
    with pytest.raises(DataFileError) as stored_error:
        text_of(journal, "md")
    with pytest.raises(DataFileError) as fresh_error:
        fresh(journal, "md")
    assert stored_error.value.message == fresh_error.value.message


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: b"",
        lambda blob: blob[: len(blob) // 2],
        lambda blob: blob[:40] + bytes([blob[40] ^ 1]) + blob[41:],
        lambda blob: b"not a pickle at all" * 10,
    ],
    ids=["empty", "cut short", "one bit flipped", "garbage"],
)
def test_a_damaged_store_is_ignored_and_replaced(
    journal: Journal, builds: list[datetime], damage: Callable[[bytes], bytes]
) -> None:
    for fmt in FORMATS:
        text_of(journal, fmt)
    for name in ("report", "report-csv", "report-json"):
        path = derived_path(journal.directory, name)
        path.write_bytes(damage(path.read_bytes()))
    for fmt in FORMATS:
        assert text_of(journal, fmt) == fresh(journal, fmt)
    rebuilt = len(builds)
    for fmt in FORMATS:
        text_of(journal, fmt)
    assert len(builds) == rebuilt  # written anew, and read


def test_a_store_of_another_version_or_journal_is_ignored(
    journal: Journal, builds: list[datetime], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text_of(journal, "md")
    monkeypatch.setattr("iastm_coach.__version__", "0.0.0-other")
    assert text_of(journal, "md") == fresh(journal, "md")
    assert len(builds) == 2
    monkeypatch.undo()
    # Another journal's store (sealed with its own key) copied over this one's.
    other_home = tmp_path / "other"
    other = Journal(journal_dir(other_home))
    add_session(other, note="another journal")
    reset = use_home_for_this_run(other_home)
    try:
        text_of(other, "md")
    finally:
        reset()
    theirs = derived_path(other.directory, "report").read_bytes()
    derived_path(journal.directory, "report").write_bytes(theirs)
    assert text_of(journal, "md") == fresh(journal, "md")


def test_a_changed_protocol_makes_it_build_again(journal: Journal, isolated_home: Path) -> None:
    """Protocols, pins and keys outside the journal are part of what a report is made of."""
    directory = journal.directory
    identity = stored.content_identity(directory)
    assert identity is not None
    before = stored.report_key(directory, identity, None)
    (isolated_home / "protocols").mkdir(mode=0o700)
    (isolated_home / "protocols" / "pins.json").write_text("{}")
    assert stored.report_key(directory, identity, None) != before
    # The journal's own cache is not: writing it leaves the key as it was.
    after = stored.report_key(directory, identity, None)
    text_of(journal, "md")
    assert stored.report_key(directory, identity, None) == after
    assert stored.report_key(directory, identity, T0) != after  # --since


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_a_changed_prescription_in_a_linked_protocols_folder_is_in_the_next_report(
    journal: Journal, isolated_home: Path, tmp_path: Path, fmt: str
) -> None:
    """The installed protocols are a link to a synced folder; the physio lowers the calf's
    sessions a week there: the next report says so (the report reads through the link, so
    its key looks through it too)."""
    from iastm_coach.paths import data_dir

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    (isolated_home / "protocols").symlink_to(shared, target_is_directory=True)
    (shared / "loop").symlink_to(shared, target_is_directory=True)  # a link back: no loop
    first = text_of(journal, fmt)
    assert first == fresh(journal, fmt)
    calf = (data_dir() / "protocols" / "calf.toml").read_text(encoding="utf-8")
    assert "sessions_per_week = 2" in calf
    (shared / "calf.toml").write_text(
        calf.replace("sessions_per_week = 2", "sessions_per_week = 1")
    )
    (shared / "calf.toml").chmod(0o600)
    now_fresh = fresh(journal, fmt)
    assert now_fresh != first
    assert text_of(journal, fmt) == now_fresh


def test_a_protocol_installed_while_it_is_built_is_not_stored(
    journal: Journal, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A protocol written while the report was built (with it), then taken away: the
    report made with it was not stored under the key taken before it came."""
    from iastm_coach.paths import data_dir

    folder = isolated_home / "protocols"
    folder.mkdir(mode=0o700)
    calf = (data_dir() / "protocols" / "calf.toml").read_text(encoding="utf-8")

    def installing(journal: Journal, *, since: datetime | None, now: datetime) -> object:
        (folder / "calf.toml").write_text(
            calf.replace("sessions_per_week = 2", "sessions_per_week = 1")
        )
        (folder / "calf.toml").chmod(0o600)
        return make_report(journal, since=since, now=now)

    monkeypatch.setattr("iastm_coach.report.context.make_report", installing)
    text_of(journal, "md")
    (folder / "calf.toml").unlink()
    monkeypatch.setattr("iastm_coach.report.context.make_report", make_report)
    assert text_of(journal, "md") == fresh(journal, "md")


def test_a_report_that_cannot_be_stored_is_still_shown(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storing only saves time: whatever goes wrong while storing, the report is shown."""

    def failing(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded while pickling")

    monkeypatch.setattr(stored, "store_report", failing)
    for fmt in FORMATS:
        assert text_of(journal, fmt) == fresh(journal, fmt)


def test_the_store_is_private_and_written_whole(journal: Journal) -> None:
    for fmt in FORMATS:
        text_of(journal, fmt)
    cache = journal.directory / ".cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    names = sorted(path.name for path in cache.glob("derived-*"))
    assert names == [
        "derived-report-csv.pickle",
        "derived-report-json.pickle",
        "derived-report.pickle",
    ]  # no temporary file left behind
    for name in names:
        assert stat.S_IMODE((cache / name).stat().st_mode) == 0o600


def test_a_loose_month_file_is_still_warned_about(journal: Journal) -> None:
    """No identity for a journal with a file others can read: the ordinary read warns."""
    text_of(journal, "md")
    path = journal.month_files()[-1]
    path.chmod(0o644)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text_of(journal, "md")
    assert any(issubclass(w.category, JournalPermissionWarning) for w in caught)


def test_an_append_while_it_is_built_is_not_stored(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session written while the report was built: the report may lack it, so it is not
    stored under the identity taken before."""

    def appending(journal: Journal, *, since: datetime | None, now: datetime) -> object:
        report = make_report(journal, since=since, now=now)
        add_session(journal, side="right", started=T0 + timedelta(days=26))
        return report

    monkeypatch.setattr("iastm_coach.report.context.make_report", appending)
    text_of(journal, "md")
    assert not derived_path(journal.directory, "report").exists()


def test_what_a_stored_report_left_out_is_built_again_when_asked(journal: Journal) -> None:
    """Markdown, HTML and the JSON's summary need no rows; anything that asks for them
    still gets every row, note and measurement, from a build."""
    text_of(journal, "md")
    identity = stored.content_identity(journal.directory)
    assert identity is not None
    key = stored.report_key(journal.directory, identity, None)
    report = stored.load_report(Journal(journal.directory), key, since=None, now=NOW)
    assert report is not None
    built = make_report(Journal(journal.directory), since=None, now=NOW)
    assert len(report.rows) == len(built.rows)
    assert [row.id for row in report.rows] == [row.id for row in built.rows]
    assert list(report.notes) == list(built.notes)
    assert list(report.measures) == list(built.measures)
    assert dict(report.checkin_times) == dict(built.checkin_times)
    assert render(report, "fhir").count('"Procedure"') == render(built, "fhir").count('"Procedure"')


def test_the_command_says_the_same_both_times(journal: Journal, tmp_path: Path) -> None:
    outputs = []
    for n in range(2):
        out = tmp_path / f"report{n}.csv"
        result = invoke("report", "--format", "csv", "--out", str(out), at=NOW)
        assert result.exit_code == 0, result.output
        outputs.append((result.output.replace(str(out), "OUT"), out.read_bytes()))
    assert outputs[0] == outputs[1]
    assert "18 sessions" in outputs[0][0]


# --- any journal -------------------------------------------------------------------------------

visits = st.lists(
    st.tuples(
        st.integers(0, 500),  # days after T0
        st.sampled_from([("calf", "left"), ("calf", "right"), ("neck", "none")]),
        st.integers(0, 10),  # soreness
        st.one_of(st.none(), st.integers(0, 10)),  # the 24 h answer
        st.sampled_from(["", "tight", "=1+2"]),
        st.sampled_from(["", "hold", "measure", "exercise"]),
    ),
    max_size=12,
)


@contextlib.contextmanager
def a_home() -> Iterator[Path]:
    """A data directory of its own (one per drawn example)."""
    with tempfile.TemporaryDirectory() as name:
        reset = use_home_for_this_run(Path(name))
        try:
            yield Path(name)
        finally:
            reset()


def write_visits(
    journal: Journal, drawn: list[tuple[int, tuple[str, str], int, int | None, str, str]]
) -> None:
    for days, (region, side), soreness, day_after, note, extra in sorted(drawn, key=lambda d: d[0]):
        started = T0 + timedelta(days=days)
        session = add_session(
            journal, region=region, side=side, started=started, soreness=soreness, note=note
        )
        if day_after is not None:
            add_checkin(journal, session, hours=24, soreness=day_after, note=note)
        if extra == "hold":
            add_hold(journal, region=region, at=started + timedelta(hours=30), source=session.id)
            add_hold_clear(journal, region=region, at=started + timedelta(days=3))
        elif extra == "measure":
            add_measure(
                journal,
                9.5,
                at=started - timedelta(minutes=3),
                phase="before",
                session=session,
                side=side,
                region=region,
            )
        elif extra == "exercise":
            add_exercise(journal, session, [(2, 3)], region=region)


@settings(max_examples=25, deadline=None)
@given(
    drawn=visits,
    stored_after=st.integers(0, 30),
    read_after=st.integers(0, 30),
    fmt=st.sampled_from(FORMATS),
)
def test_any_journal_stored_then_read_later_is_the_fresh_report(
    drawn: list[tuple[int, tuple[str, str], int, int | None, str, str]],
    stored_after: int,
    read_after: int,
    fmt: str,
) -> None:
    """Whatever the journal, a report stored at one moment and read at a later one is the
    text a fresh build gives at that later moment."""
    with a_home():
        journal = Journal(journal_dir())
        write_visits(journal, drawn)
        last = T0 + timedelta(days=max((d[0] for d in drawn), default=0))
        stored_at = last + timedelta(days=stored_after, hours=7)
        read_at = stored_at + timedelta(days=read_after, hours=5)
        assert text_of(journal, fmt, now=stored_at) == fresh(journal, fmt, now=stored_at)
        with pytest.MonkeyPatch.context() as patch:
            if drawn:  # read, never built (an empty journal has no directory to keep it in)
                patch.setattr("iastm_coach.report.context.make_report", None)
            again = text_of(journal, fmt, now=read_at)
        assert again == fresh(journal, fmt, now=read_at)


def test_settled_months_count_by_the_journal_s_own_record_of_their_bytes(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the journal has seen its months settle (holds read an hour later), the
    identity takes their SHA-256 from its sealed summary index instead of reading them:
    the same identity, without the reading; an edit (mtime put back) is still seen."""
    hashed = derived.content_identity(journal.directory)
    later = Journal(journal.directory)
    later.wall_ns = lambda: time.time_ns() + 3_600 * 10**9
    later.records_of({records.HOLD}, unbroken=True)  # notes the settled stats
    opened: list[str] = []
    real_open = derived.open_regular

    def watched(path: Path) -> tuple[int, os.stat_result]:
        opened.append(path.name)
        return real_open(path)

    monkeypatch.setattr(derived, "open_regular", watched)
    settled = derived.content_identity(journal.directory)
    assert settled is not None and hashed is not None and settled.digest == hashed.digest
    assert not [name for name in opened if name.endswith(".toml") and name[:4].isdigit()]
    path = journal.month_files()[-1]
    before = path.stat()
    path.write_text(path.read_text().replace("soreness = 2\n", "soreness = 9\n", 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    edited = derived.content_identity(journal.directory)
    assert edited is not None and edited.digest != hashed.digest
    assert path.name in opened


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="storing beside needs fork")


@needs_fork
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_long_journals_report_is_stored_beside_and_read_back_the_same(
    journal: Journal, builds: list[datetime], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A model worth a fork is stored by a child process while this one renders: it is
    there when the command is done, and the next report is read from it."""
    monkeypatch.setattr(stored, "STORE_BESIDE_ROWS", 0)
    forks = count_forks(monkeypatch)
    first = text_of(journal, fmt)
    assert len(forks) == 1 and derived_path(journal.directory, "report").is_file()
    assert text_of(journal, fmt) == first == fresh(journal, fmt)
    assert len(builds) == 1  # the second was read from what the child stored


@needs_fork
def test_a_model_that_cannot_be_stored_beside_is_still_shown(
    journal: Journal, builds: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded while pickling")

    monkeypatch.setattr(stored, "STORE_BESIDE_ROWS", 0)
    monkeypatch.setattr(stored, "store_report", failing)
    assert text_of(journal, "md") == fresh(journal, "md")
    assert not derived_path(journal.directory, "report").exists()
    text_of(journal, "md")
    assert len(builds) == 2  # nothing stored: built again
