"""The journal: month files of TOML records, appended under a lock and read back fast."""

from __future__ import annotations

import os
import pickle
import stat
import tomllib
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from iastm_coach.errors import DataFileError, UsageError
from iastm_coach.journal import cache as journal_cache
from iastm_coach.journal import format as journal_format
from iastm_coach.journal import store as journal_module
from iastm_coach.journal.store import (
    CURRENT_SCHEMA,
    Journal,
    JournalPermissionWarning,
    Record,
    is_record_id,
    month_file_name,
    new_record_id,
    record_id_time,
    render_record,
)
from iastm_coach.paths import journal_dir
from tests.builders import example

ZONE = timezone(timedelta(hours=2))
T0 = datetime(2024, 3, 10, 9, 30, tzinfo=ZONE)


@pytest.fixture(name="journal")
def _journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal")


def fresh(journal: Journal) -> Journal:
    """A second Journal on the same directory: nothing remembered in memory."""
    return Journal(journal.directory)


def session(n: int = 0, **extra: Any) -> dict[str, Any]:
    """A complete session record (every field `journal check` wants)."""
    return example(
        "session",
        soreness=n % 11,
        areas=[{"name": "soleus", "planned_s": 60, "actual_s": 58, "status": "done"}],
        note=f"session {n}",
        **extra,
    )


# --- ids and rendering -------------------------------------------------------------------


def test_ids_sort_like_their_times() -> None:
    """Ids are 26 Crockford characters whose order is the order of their times."""
    times = [T0 + timedelta(milliseconds=n * 7919) for n in range(200)]
    ids = [new_record_id(t) for t in times]
    assert all(is_record_id(i) and len(i) == 26 for i in ids)
    assert sorted(ids) == ids
    assert [record_id_time(i) for i in ids] == [t.astimezone(UTC) for t in times]


def test_ids_within_one_millisecond_count_up() -> None:
    """Many ids for the same millisecond are unique and in creation order."""
    ids = [new_record_id(T0) for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert sorted(ids) == ids


def test_naive_times_are_refused(journal: Journal) -> None:
    """A time without a time zone cannot be stored, as `at` or as a value."""
    with pytest.raises(ValueError, match="time zone-aware"):
        journal.append("session", session(), at=datetime(2024, 1, 1, 12))
    with pytest.raises(ValueError, match="time zone-aware"):
        journal.append("session", session(started=datetime(2024, 1, 1, 12)), at=T0)
    with pytest.raises(ValueError, match="time zone-aware"):
        journal.recent(since=datetime(2024, 1, 1))
    assert not journal.directory.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"id": "x"}, ValueError),
        ({"schema": 2}, ValueError),
        ({"at": T0}, ValueError),
        ({"big": 2**63}, ValueError),
        ({"odd_offset": datetime(2024, 1, 1, tzinfo=timezone(timedelta(seconds=30)))}, ValueError),
        ({"surrogate": "\ud800"}, ValueError),
        ({"nested": {1: "x"}}, TypeError),
        ({"thing": object()}, TypeError),
        ({"set": {1, 2}}, TypeError),
    ],
)
def test_unstorable_data_is_refused(journal: Journal, data: dict[str, Any], error: type) -> None:
    """Reserved field names and values TOML cannot hold are refused before anything is written."""
    with pytest.raises(error):
        journal.append("session", data, at=T0)
    assert journal.month_files() == []


def test_unknown_kind_is_refused(journal: Journal) -> None:
    """Only the kinds of records.py can be written (a typo would hide a record)."""
    with pytest.raises(ValueError, match="unknown record kind"):
        journal.append("sesion", {}, at=T0)


def test_record_block_layout(journal: Journal) -> None:
    """A record is one block: header, id, at, fields (nested tables inline), its link in the
    hash chain (number 1 of its month, linking to no record before it), schema last."""
    record = journal.append(
        "screening",
        {"region": "calf", "answers": {"fracture": False, "odd key": True}, "local": ["scar"]},
        at=T0,
    )
    text = (journal.directory / "2024-03.toml").read_text()
    assert text == (
        "[[screening]]\n"
        f'id = "{record.id}"\n'
        "at = 2024-03-10T09:30:00+02:00\n"
        'region = "calf"\n'
        'answers = { fracture = false, "odd key" = true }\n'
        'local = ["scar"]\n'
        'chain = "1:00000000000000000000000000000000"\n'
        "schema = 1\n"
    )


def test_render_record_is_tomli_w_compatible() -> None:
    """What render_record writes parses back (tomllib) to the same values."""
    data = {
        "text": 'quote " backslash \\ newline \n tab \t nul \x00 del \x7f é 😀',
        "ints": [1, -2, 2**63 - 1],
        "floats": [1.5, -0.0, 1e300, float("inf")],
        "tables": [{"a": 1}, {"b": {"c": [True, False]}}],
        "empty_list": [],
        "empty_table": {},
        "when": datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=ZONE),
    }
    rid = new_record_id(T0)
    parsed = tomllib.loads(render_record("session", rid, T0, 1, data))["session"][0]
    assert parsed.pop("id") == rid
    assert parsed.pop("at") == T0
    assert parsed.pop("schema") == 1
    assert parsed == data


# --- append, recent, scan, get -----------------------------------------------------------


def test_nothing_is_created_until_the_first_write(journal: Journal) -> None:
    """Reading an absent journal finds nothing and creates nothing."""
    assert journal.recent(limit=5) == []
    assert list(journal.scan()) == []
    assert journal.get(new_record_id(T0)) is None
    assert journal.check() == []
    assert not journal.directory.exists()


def test_append_returns_what_is_read_back(journal: Journal) -> None:
    """The returned Record equals the stored one, in this Journal and a fresh one."""
    record = journal.append("session", session(3, pair=(1, 2)), at=T0)
    assert record.kind == "session"
    assert record.at == T0
    assert record.schema == CURRENT_SCHEMA
    assert record.data["pair"] == [1, 2]  # tuples come back as lists
    assert journal.get(record.id) == record
    assert fresh(journal).get(record.id) == record
    assert record_id_time(record.id) == T0.astimezone(UTC)


def test_append_does_not_keep_the_callers_objects(journal: Journal) -> None:
    """Changing the caller's dict afterwards does not change the record."""
    data = session()
    record = journal.append("session", data, at=T0)
    data["areas"][0]["name"] = "changed"
    assert record.data["areas"][0]["name"] == "soleus"


def test_files_are_named_by_the_utc_month(journal: Journal) -> None:
    """Local 00:30 on 1 April (UTC+2) is still March in UTC."""
    late = datetime(2024, 4, 1, 0, 30, tzinfo=ZONE)
    record = journal.append("session", session(), at=late)
    assert month_file_name(late) == "2024-03.toml"
    assert [p.name for p in journal.month_files()] == ["2024-03.toml"]
    assert journal.get(record.id) == record


def test_recent_is_newest_first_with_kinds_limit_and_since(journal: Journal) -> None:
    """recent() filters by kind and time, newest first, across month files."""
    written = []
    for n in range(30):
        at = T0 + timedelta(days=3 * n)
        written.append(journal.append("session", session(n), at=at))
        written.append(
            journal.append("checkin", {"session": written[-1].id}, at=at + timedelta(hours=24))
        )
    assert len(journal.month_files()) == 4
    newest = sorted(written, key=lambda r: r.at, reverse=True)
    assert journal.recent() == newest
    assert journal.recent(limit=7) == newest[:7]
    assert journal.recent(limit=0) == []
    sessions = [r for r in newest if r.kind == "session"]
    assert journal.recent(kinds={"session"}, limit=5) == sessions[:5]
    since = T0 + timedelta(days=40)
    assert journal.recent(since=since) == [r for r in newest if r.at >= since]
    assert (
        journal.recent(kinds=["checkin"], since=since, limit=3)
        == [r for r in newest if r.kind == "checkin" and r.at >= since][:3]
    )
    assert fresh(journal).recent(limit=7) == newest[:7]


def test_recent_orders_by_at_not_by_write_order(journal: Journal) -> None:
    """A record stamped earlier but written later still sorts by its time."""
    later = journal.append("session", session(1), at=T0 + timedelta(minutes=5))
    earlier = journal.append("session", session(2), at=T0)
    assert journal.recent() == [later, earlier]
    assert list(journal.scan()) == [earlier, later]


def test_recent_reads_only_the_months_it_needs(journal: Journal) -> None:
    """Older month files are not even opened once `limit` records are found."""
    for n in range(6):
        journal.append("session", session(n), at=T0 + timedelta(days=31 * n))
    oldest = journal.month_files()[0]
    oldest.write_text("this is not TOML [[[\n")
    found = fresh(journal).recent(limit=3)
    assert len(found) == 3
    assert fresh(journal).recent(since=T0 + timedelta(days=40))
    with pytest.raises(DataFileError):
        fresh(journal).recent(limit=10)


def test_scan_streams_oldest_first(journal: Journal) -> None:
    """scan() yields month by month; a damaged later month is only hit when reached."""
    written = [
        journal.append("session", session(n), at=T0 + timedelta(days=31 * n)) for n in range(4)
    ]
    journal.append("checkin", {"session": written[0].id}, at=T0 + timedelta(days=1))
    assert [r.id for r in journal.scan(kinds={"session"})] == [r.id for r in written]
    assert [r.id for r in journal.scan(since=written[2].at)] == [r.id for r in written[2:]]
    journal.month_files()[-1].write_text("broken = \n")
    stream = fresh(journal).scan(kinds={"session"})
    assert next(stream) == written[0]
    with pytest.raises(DataFileError):
        list(stream)


def test_get_finds_only_existing_ids(journal: Journal) -> None:
    """get() returns None for unknown, malformed or other-month ids."""
    record = journal.append("session", session(), at=T0)
    assert journal.get(record.id) == record
    assert journal.get("not an id") is None
    assert journal.get(record.id.lower()) is None
    assert journal.get(new_record_id(T0 + timedelta(days=400))) is None
    assert journal.get(new_record_id(T0)) is None


# --- replace and delete ------------------------------------------------------------------


def test_replace_rewrites_one_block_and_keeps_a_backup(journal: Journal) -> None:
    """replace() changes only that record's fields; the old file is kept as a backup."""
    first = journal.append("session", session(1), at=T0)
    target = journal.append(
        "checkin", {"session": first.id, "soreness": 3}, at=T0 + timedelta(hours=24)
    )
    last = journal.append("session", session(2), at=T0 + timedelta(days=2))
    path = journal.month_files()[0]
    before = path.read_text()
    fixed = journal.replace(target.id, {"session": first.id, "soreness": 2, "note": "typo fixed"})
    assert fixed.id == target.id and fixed.at == target.at and fixed.kind == "checkin"
    assert fresh(journal).get(target.id) == fixed
    assert fresh(journal).get(first.id) == first
    assert fresh(journal).get(last.id) == last
    after = path.read_text()
    old_block = before[
        before.index("[[checkin]]") : before.index("[[session]]", before.index("[[checkin]]"))
    ]
    new_block = after[
        after.index("[[checkin]]") : after.index("[[session]]", after.index("[[checkin]]"))
    ]
    assert after.replace(new_block, old_block) == before
    backups = list(journal.directory.glob("2024-03.toml.bak-*"))
    assert len(backups) == 1
    assert backups[0].read_text() == before
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600


def test_delete_removes_one_block_and_returns_the_backup(journal: Journal) -> None:
    """delete() drops the record, keeps every other byte, and returns the backup path."""
    keep = journal.append("session", session(1), at=T0)
    gone = journal.append("session", session(2), at=T0 + timedelta(hours=1))
    also = journal.append("session", session(3), at=T0 + timedelta(hours=2))
    path = journal.month_files()[0]
    before = path.read_bytes()
    backup = journal.delete(gone.id, now=datetime(2024, 5, 1, 12, tzinfo=UTC))
    assert backup.name == "2024-03.toml.bak-20240501T120000Z"
    assert backup.read_bytes() == before
    assert [r.id for r in fresh(journal).scan()] == [keep.id, also.id]
    second = journal.delete(keep.id, now=datetime(2024, 5, 1, 12, tzinfo=UTC))
    assert second.name == "2024-03.toml.bak-20240501T120000Z-1"


def test_replace_and_delete_refuse_unknown_ids(journal: Journal) -> None:
    """An id that is not in the journal is a usage error, and nothing is written."""
    journal.append("session", session(), at=T0)
    before = journal.month_files()[0].read_bytes()
    for bad in ("nope", new_record_id(T0), new_record_id(T0 + timedelta(days=90))):
        with pytest.raises(UsageError):
            journal.delete(bad)
        with pytest.raises(UsageError):
            journal.replace(bad, {})
    assert journal.month_files()[0].read_bytes() == before
    assert not list(journal.directory.glob("*.bak-*"))


def test_replace_refuses_a_damaged_file(journal: Journal) -> None:
    """Rewrites never touch a damaged month: repair comes first."""
    record = journal.append("session", session(), at=T0)
    path = journal.month_files()[0]
    with path.open("a") as handle:
        handle.write("\n[[session]]\nid = \n")
    before = path.read_bytes()
    with pytest.raises(DataFileError, match="line"):
        journal.replace(record.id, session(5))
    assert path.read_bytes() == before


# --- damage, schema ----------------------------------------------------------------------


def test_hand_edit_syntax_error_names_file_and_line(journal: Journal) -> None:
    """A broken hand edit gives file and line, and reading never changes the file."""
    for n in range(3):
        journal.append("session", session(n), at=T0 + timedelta(hours=n))
    path = journal.month_files()[0]
    lines = path.read_text().splitlines(keepends=True)
    broken_line = next(n for n, line in enumerate(lines) if line.startswith('note = "session 1"'))
    lines[broken_line] = 'note = "session 1\n'  # unterminated string
    path.write_text("".join(lines))
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    with pytest.raises(DataFileError) as caught:
        fresh(journal).recent(limit=1)
    assert str(path) in caught.value.message
    assert f"line {broken_line + 1}" in caught.value.message
    assert "journal check" in (caught.value.hint or "")
    assert caught.value.exit_code == 4
    problems = journal.check()
    assert [(p.line, p.severity) for p in problems] == [(broken_line + 1, "error")]
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


def test_a_record_from_a_newer_version_is_a_clear_error(journal: Journal) -> None:
    """schema > CURRENT_SCHEMA: 'written by a newer iastm-coach', exit 4; repair leaves it."""
    journal.append("session", session(), at=T0)
    path = journal.month_files()[0]
    rid = new_record_id(T0 + timedelta(hours=1))
    with path.open("a") as handle:
        handle.write(f'\n[[session]]\nid = "{rid}"\nat = 2024-03-10T10:30:00+02:00\nschema = 7\n')
    with pytest.raises(DataFileError, match=r"written by a newer iastm-coach \(schema 7") as caught:
        fresh(journal).recent()
    assert "please upgrade" in caught.value.message
    assert caught.value.exit_code == 4
    assert any("newer iastm-coach" in p.message for p in journal.check())
    assert journal.repair() == []
    assert rid in path.read_text()


def test_older_schemas_are_migrated_on_read(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records of older schemas pass through every migration up to the current one."""
    path = journal.directory / "2024-03.toml"
    journal.directory.mkdir(mode=0o700)
    rid = new_record_id(T0)
    path.write_text(
        f'[[session]]\nid = "{rid}"\nat = 2024-03-10T09:30:00+02:00\nregion = "calf"\nschema = 0\n'
    )
    path.chmod(0o600)
    record = journal.get(rid)
    assert record is not None
    assert record.schema == CURRENT_SCHEMA
    assert record.data == {"region": "calf"}

    def rename_region(kind: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"body_region": data.pop("region"), **data}

    for module in (journal_module, journal_format, journal_cache):
        monkeypatch.setattr(module, "CURRENT_SCHEMA", 2)
    monkeypatch.setitem(journal_module.MIGRATIONS, 1, rename_region)
    migrated = fresh(journal).get(rid)
    assert migrated is not None
    assert migrated.schema == 2
    assert migrated.data == {"body_region": "calf"}


def test_a_record_cut_short_at_a_line_end_is_detected(journal: Journal) -> None:
    """Every record ends with its schema line, so a clean cut between lines is still damage."""
    journal.append("session", session(1), at=T0)
    journal.append("session", session(2), at=T0 + timedelta(hours=1))
    path = journal.month_files()[0]
    text = path.read_text()
    path.write_text(text[: text.rindex("note = ")])
    with pytest.raises(DataFileError, match="no `schema` line"):
        fresh(journal).recent()


# --- the parse cache ---------------------------------------------------------------------


def cache_file(journal: Journal, name: str = "2024-03.toml") -> Path:
    return journal.directory / ".cache" / f"{name}.pickle"


def test_the_cache_follows_appends_and_hand_edits(journal: Journal) -> None:
    """Cached months stay correct after appends (tail parse) and edits (full parse)."""
    first = journal.append("session", session(1), at=T0)
    assert fresh(journal).recent() == [first]
    assert cache_file(journal).exists()
    second = journal.append("session", session(2), at=T0 + timedelta(hours=1))
    assert fresh(journal).recent() == [second, first]
    path = journal.month_files()[0]
    # A key added by hand after the last record belongs to that record.
    path.write_text(
        path.read_text().rstrip("\n").replace("schema = 1", "schema = 1\nextra = 5", -1) + "\n"
    )
    reread = fresh(journal).get(second.id)
    assert reread is not None and reread.data["extra"] == 5
    # A same-size edit in the middle changes the digest, so the cache is not used.
    path.write_text(path.read_text().replace('"session 1"', '"session X"'))
    reread_first = fresh(journal).get(first.id)
    assert reread_first is not None and reread_first.data["note"] == "session X"


def test_a_cache_file_can_never_run_code(journal: Journal, tmp_path: Path) -> None:
    """Cache files may only hold datetime classes; anything else is ignored, not loaded."""
    record = journal.append("session", session(), at=T0)
    fresh(journal).recent()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {marker}",))

    raw = journal.month_files()[0].read_bytes()
    import hashlib

    blob = pickle.dumps((1, CURRENT_SCHEMA, len(raw), hashlib.sha256(raw).digest(), [Evil()]))
    cache_file(journal).write_bytes(blob)
    assert fresh(journal).recent() == [record]
    assert not marker.exists()
    cache_file(journal).write_bytes(b"garbage")
    assert fresh(journal).recent() == [record]


def test_reading_works_when_the_cache_cannot_be_written(journal: Journal) -> None:
    """The cache only saves time: if it cannot be written, reading still works."""
    record = journal.append("session", session(), at=T0)
    blocker = journal.directory / ".cache"
    blocker.write_text("not a directory")
    blocker.chmod(0o600)
    assert fresh(journal).recent() == [record]
    assert fresh(journal).get(record.id) == record
    assert blocker.read_text() == "not a directory"


# --- privacy -----------------------------------------------------------------------------


def test_directory_and_files_are_private(journal: Journal) -> None:
    """The journal directory is 0700 and every file in it 0600, whatever the umask."""
    old = os.umask(0o000)
    try:
        journal.append("session", session(), at=T0)
        fresh(journal).recent()
    finally:
        os.umask(old)
    assert stat.S_IMODE(journal.directory.stat().st_mode) == 0o700
    for path in [*journal.directory.iterdir(), *(journal.directory / ".cache").iterdir()]:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_loosened_permissions_are_warned_about_and_fixed(journal: Journal) -> None:
    """Reading a month file others can read warns; repair's fix_permissions tightens it."""
    journal.append("session", session(), at=T0)
    path = journal.month_files()[0]
    path.chmod(0o644)
    journal.directory.chmod(0o755)
    with pytest.warns(JournalPermissionWarning, match="0644"):
        fresh(journal).recent()
    problems = journal.permission_problems()
    assert {p.file for p in problems} == {journal.directory, path}
    assert all(p.severity == "warning" for p in problems)
    assert set(journal.fix_permissions()) == {journal.directory, path}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.directory.stat().st_mode) == 0o700
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh(journal).recent()


def test_the_default_location_follows_iastm_coach_home(isolated_home: Path) -> None:
    """journal_dir() is $IASTM_COACH_HOME/journal (the test's own temporary home)."""
    journal = Journal(journal_dir())
    journal.append("session", session(), at=T0)
    assert (isolated_home / "journal" / "2024-03.toml").exists()


def test_record_is_frozen() -> None:
    """Records are values."""
    record = Record("session", new_record_id(T0), T0, 1, {})
    with pytest.raises(AttributeError):
        record.kind = "checkin"  # type: ignore[misc]
