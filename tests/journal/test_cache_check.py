"""`journal check` from the parse cache: as thorough as from the text, and never fooled.

Checking a ten-year journal re-parsed every month (about a second and a half at 10,000
sessions); now a month whose exact bytes were parsed before is checked from its cached
records. These stories show that nothing is lost: the same problems and lines as a
check from the text, any change to a file is seen, and a cache file forged with the right
checksum cannot slip a value past the checks of reading or of check.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

from iastm_coach.journal import cache
from iastm_coach.journal.check import check_journal
from iastm_coach.journal.store import Journal, records
from tests.builders import example

AT = datetime(2025, 5, 5, 12, tzinfo=UTC)


def cache_file(journal: Journal, month: Path) -> Path:
    return journal.directory / ".cache" / f"{month.name}.pickle"


def odd_journal(tmp_path: Path) -> Journal:
    """Records with every kind of warning check gives: a missing field, an unknown field,
    an edited `at`, a record dated in the future, a record pasted twice."""
    journal = Journal(tmp_path / "journal")
    for n, kind in enumerate(records.KINDS):
        journal.append(kind, example(kind), at=AT + timedelta(minutes=n))
    missing = example(records.SESSION)
    del missing["soreness"]
    journal.append(records.SESSION, {**missing, "colour": "red"}, at=AT + timedelta(hours=1))
    journal.append(records.CHECKIN, example(records.CHECKIN), at=AT + timedelta(days=20))
    path = journal.month_files()[0]
    text = path.read_text()
    first = text[: text.index("[[", 5)]
    edited = first.replace("at = 2025-05-05T12:00:00+00:00", "at = 2025-05-05T12:03:00+00:00")
    path.write_text(edited + "\n" + text)
    return journal


def test_a_check_from_the_cache_finds_what_a_check_from_the_text_finds(tmp_path: Path) -> None:
    """The same problems, lines and counts, before the months are cached and after."""
    journal = odd_journal(tmp_path)
    now = AT + timedelta(days=2)
    from_text = check_journal(journal.directory, journal.month_files(), [], now=now)
    # The pasted, edited copy is also slipped into the hash chain: one error.
    (inserted,) = from_text.errors
    assert "is not part of the chain" in inserted.message
    assert {p.severity for p in from_text.warnings} == {"warning"}
    assert len(from_text.warnings) == 5, from_text.problems
    assert all(p.line is not None for p in from_text.problems)
    assert not (journal.directory / ".cache").exists()
    first = Journal(journal.directory).check_report(now=now)  # parses, and caches
    assert cache_file(journal, journal.month_files()[0]).exists()
    from_cache = Journal(journal.directory).check_report(now=now)
    assert first == from_cache == from_text


def test_a_changed_file_is_checked_from_its_text(tmp_path: Path) -> None:
    """A hand edit after the month was cached changes its checksum: check sees the edit."""
    journal = Journal(tmp_path / "journal")
    journal.append(records.SESSION, example(records.SESSION, soreness=2), at=AT)
    assert Journal(journal.directory).recent()
    assert Journal(journal.directory).check_report(now=AT).problems == []
    path = journal.month_files()[0]
    path.write_text(path.read_text().replace("soreness = 2", "soreness = 15"))
    [error] = Journal(journal.directory).check_report(now=AT).errors
    assert "soreness: must be a whole number from -1 to 10 (got 15)" in error.message


def test_a_forged_cache_with_the_right_checksum_changes_nothing(tmp_path: Path) -> None:
    """A cache file rewritten by hand, with the month file's true checksum, to hold a value
    the file does not (soreness 15, or a valid 8) or a kind iastm-coach does not know:
    without the journal's cache key it is not sealed as iastm-coach seals it, so reading
    ignores it and shows what the file says; check checks the file itself."""
    journal = Journal(tmp_path / "journal")
    written = journal.append(records.SESSION, example(records.SESSION, soreness=2), at=AT)
    assert Journal(journal.directory).recent() == [written]
    target = cache_file(journal, journal.month_files()[0])
    version, schema, size, digest, rows = pickle.loads(target.read_bytes()[32:])  # sealed
    assert version == cache.CACHE_FORMAT
    kind, rid, at, row_schema, data = rows[0]
    other_key = bytes(32)  # a cache copied from another journal, or sealed by guesswork
    for forged in (
        (kind, rid, at, row_schema, {**data, "soreness": 15}),
        ("sesion", rid, at, row_schema, data),
        (kind, rid, at, row_schema, {**data, "soreness": 8}),  # a valid value, not the file's
    ):
        body = pickle.dumps((version, schema, size, digest, [forged]))
        for blob in (body, cache.seal(other_key, body)):
            target.write_bytes(blob)
            assert Journal(journal.directory).recent() == [written]
            assert Journal(journal.directory).recent()[0].data["soreness"] == 2
        target.write_bytes(cache.seal(other_key, body))
        report = Journal(journal.directory).check_report(now=AT)
        assert (report.problems, report.records) == ([], 1), forged  # what the file says
