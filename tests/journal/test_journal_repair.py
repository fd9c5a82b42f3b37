"""Damage: torn writes and broken hand edits are found by check and moved aside by repair."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from iastm_coach.errors import DataFileError
from iastm_coach.journal.blocks import split_blocks
from iastm_coach.journal.store import Journal, Record
from tests.builders import example

ZONE = timezone(timedelta(hours=-5))
T0 = datetime(2025, 7, 1, 18, 0, tzinfo=ZONE)
NOW = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(name="journal")
def _journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal")


def fill(journal: Journal, count: int, start: datetime = T0) -> list[Record]:
    return [
        journal.append(
            "session",
            example("session", region="neck", side="none", note=f"number {n}"),
            at=start + timedelta(hours=n),
        )
        for n in range(count)
    ]


def ids(journal: Journal) -> list[str]:
    return [record.id for record in Journal(journal.directory).scan()]


def side_files(journal: Journal) -> list[Path]:
    return sorted(journal.directory.glob("*.damaged-*"))


def test_split_blocks_covers_the_text_exactly() -> None:
    """Blocks start at `[[kind]]` lines (not sub-tables) and concatenate to the input."""
    text = "# notes\n\n[[session]]\na = 1\n[session.x]\nb = 2\n\n[[checkin]]\nc = 3\n"
    blocks = split_blocks(text)
    assert "".join(b.text for b in blocks) == text
    assert [(b.kind, b.line) for b in blocks] == [(None, 1), ("session", 3), ("checkin", 8)]


def test_a_healthy_journal_checks_clean_and_repair_does_nothing(journal: Journal) -> None:
    """check() is empty and repair() writes nothing on an undamaged journal."""
    fill(journal, 5)
    before = {p: p.read_bytes() for p in journal.month_files()}
    report = journal.check_report()
    assert (report.problems, report.records, report.files) == ([], 5, 1)
    assert journal.repair(now=NOW) == []
    assert {p: p.read_bytes() for p in journal.month_files()} == before


@pytest.mark.slow  # one repair per byte of a record: over a second
def test_every_torn_append_is_recoverable(journal: Journal) -> None:
    """Cut the last record at every byte, append again: repair keeps all complete records.

    This is a power loss mid-write followed by the next session's append. The
    earlier records and the new one always survive; the torn one is either
    complete (cut only its last newline) or moved whole into the side file.
    """
    base = fill(journal, 2)
    path = journal.month_files()[0]
    intact = path.read_bytes()
    torn = journal.append(
        "checkin", example("checkin", session=base[0].id, note="torn"), at=T0 + timedelta(hours=5)
    )
    full = path.read_bytes()
    for cut in range(len(intact), len(full)):
        for leftover in journal.directory.iterdir():
            if leftover.name != ".lock" and leftover.is_file():
                leftover.unlink()
        path.write_bytes(full[:cut])
        path.chmod(0o600)
        after = journal.append(
            "checkin",
            example("checkin", session=base[1].id, note="after"),
            at=T0 + timedelta(hours=6),
        )
        if len(intact) + 1 < cut < len(full) - 1:  # neither just the separator nor all but "\n"
            with pytest.raises(DataFileError):
                Journal(journal.directory).recent()
        Journal(journal.directory).repair(now=NOW)
        found = ids(journal)
        assert found[:2] == [base[0].id, base[1].id], cut
        assert found[-1] == after.id, cut
        assert found[2:-1] in ([], [torn.id]), cut
        moved = b"".join(p.read_bytes() for p in side_files(journal))
        kept = path.read_bytes()
        assert full[len(intact) : cut].strip() in moved + kept, cut
        assert Journal(journal.directory).check_report().errors == [], cut


def test_a_torn_header_glued_to_a_record_keeps_that_record(journal: Journal) -> None:
    """`[[sess` left at the end of a good record is moved; the good record stays."""
    records = fill(journal, 2)
    path = journal.month_files()[0]
    with path.open("a") as handle:
        handle.write("\n[[sess")
    problems = journal.check()
    assert len(problems) == 1
    assert "kept by repair" in problems[0].message
    assert journal.repair(now=NOW) == [path.with_name("2025-07.toml.damaged-20250801T090000Z")]
    assert ids(journal) == [r.id for r in records]
    assert "[[sess" in side_files(journal)[0].read_text()


def test_repair_moves_a_broken_hand_edit_and_keeps_the_rest(journal: Journal) -> None:
    """Only the broken record goes to the side file, byte for byte; the rest is kept."""
    records = fill(journal, 4)
    path = journal.month_files()[0]
    text = path.read_text()
    broken_block = split_blocks(text)[2].text
    edited = broken_block.replace('note = "number 2"', "note = number 2")
    path.write_text(text.replace(broken_block, edited))
    errors = journal.check_report().errors
    assert [e.line for e in errors] == [
        split_blocks(text)[2].line + broken_block.splitlines().index('note = "number 2"')
    ]
    written = journal.repair(now=NOW)
    assert len(written) == 1
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
    side = written[0].read_text()
    assert edited in side
    assert "was lines" in side
    assert ids(journal) == [records[n].id for n in (0, 1, 3)]
    assert journal.check_report().errors == []
    assert any(p.file == written[0] for p in journal.check_report().warnings)


def test_text_outside_records_and_bad_bytes_are_moved(journal: Journal) -> None:
    """A stray top-level key and bytes that are not UTF-8 are damage too."""
    records = fill(journal, 2)
    path = journal.month_files()[0]
    raw = path.read_bytes()
    path.write_bytes(b"stray = 1\n" + raw + b'\n[[session]]\nnote = "\xff\xfe"\n')
    errors = journal.check_report().errors
    assert len(errors) == 2
    assert errors[0].line == 1
    (side,) = journal.repair(now=NOW)
    assert ids(journal) == [r.id for r in records]
    moved = side.read_bytes()
    assert b"stray = 1\n" in moved and b"\xff\xfe" in moved


def test_repair_never_loses_a_byte(journal: Journal) -> None:
    """Kept text plus moved text is the whole original file."""
    fill(journal, 6)
    path = journal.month_files()[0]
    text = path.read_text()
    blocks = split_blocks(text)
    damaged = text.replace(
        blocks[1].text, blocks[1].text.replace("schema = 1", "schema = ")
    ).replace(blocks[4].text, blocks[4].text.replace("[[session]]\n", "[[session]]\nid = 5\n"))
    path.write_text(damaged)
    (side,) = journal.repair(now=NOW)
    kept = path.read_text()
    moved_chunks = side.read_text().split("\n# --- was lines ")[1:]
    moved = "".join(chunk.split("---\n", 1)[1] for chunk in moved_chunks)
    assert sorted((kept + moved).splitlines()) == sorted(damaged.splitlines())


def test_repair_works_month_by_month(journal: Journal) -> None:
    """Only damaged months are rewritten; each gets its own side file."""
    fill(journal, 2, T0)
    fill(journal, 2, T0 + timedelta(days=40))
    fill(journal, 2, T0 + timedelta(days=80))
    first, middle, last = journal.month_files()
    for path in (first, last):
        with path.open("a") as handle:
            handle.write("\n[[checkin]]\nid = ")
    middle_before = middle.read_bytes()
    written = journal.repair(now=NOW)
    assert [p.name.split(".damaged")[0] for p in written] == [first.name, last.name]
    assert middle.read_bytes() == middle_before
    assert len(ids(journal)) == 6


def test_check_lists_every_problem_with_lines(journal: Journal) -> None:
    """check() reports all damaged blocks of all months, not just the first."""
    fill(journal, 3)
    path = journal.month_files()[0]
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    bad = [n for n, line in enumerate(lines) if line.startswith("note = ")]
    for n in bad:
        lines[n] = "note = \n"
    path.write_text("".join(lines))
    assert [p.line for p in journal.check_report().errors] == [n + 1 for n in bad]


def test_check_warns_about_oddities(journal: Journal) -> None:
    """Records moved by hand to another month or with an edited time are warnings (and, as
    hand edits, an error of the hash chain: the record was changed after it was written)."""
    records = fill(journal, 2)
    path = journal.month_files()[0]
    text = path.read_text()
    path.write_text(text.replace(records[1].at.isoformat(), "2025-09-01T10:00:00+00:00"))
    report = journal.check_report()
    (error,) = report.errors
    assert error.message.startswith(f"integrity: record {records[1].id}, the newest, was changed")
    (message,) = [w.message for w in report.warnings]  # one warning about its `at`, not two
    assert f"record {records[1].id}: `at` was changed to 2025-09-01T10:00:00+00:00" in message
    assert "belongs in 2025-09.toml" in message
    (line,) = [w.line for w in report.warnings]
    assert line is not None and text.split("\n")[line - 1].startswith("at = ")


def test_duplicate_ids_are_reported(journal: Journal) -> None:
    """A record pasted twice is a warning naming both places."""
    fill(journal, 1)
    path = journal.month_files()[0]
    text = path.read_text()
    path.write_text(text + "\n" + text)
    warnings_ = journal.check_report().warnings
    assert any("also appears in" in w.message for w in warnings_)


def test_a_block_with_a_stray_table_is_moved(journal: Journal) -> None:
    """A top-level [table] inside a record block makes that block damage; the rest stays."""
    records = fill(journal, 1)
    path = journal.month_files()[0]
    path.write_text(path.read_text() + "\n[[checkin]]\nb = 1\n[settings]\na = 2\n")
    assert len(journal.check_report().errors) == 1
    (side,) = journal.repair(now=NOW)
    assert "[settings]" in side.read_text()
    assert ids(journal) == [records[0].id]


def test_records_after_damage_are_not_lost_by_later_appends(journal: Journal) -> None:
    """Appending to a damaged month adds a separate, intact block (no pending file needed)."""
    fill(journal, 1)
    path = journal.month_files()[0]
    with path.open("a") as handle:
        handle.write('\n[[session]]\nid = "01J')  # torn in the middle of a string
    later = [
        journal.append("checkin", {"note": f"after {n}"}, at=T0 + timedelta(hours=10 + n))
        for n in range(3)
    ]
    with pytest.raises(DataFileError):
        Journal(journal.directory).recent()
    journal.repair(now=NOW)
    assert ids(journal)[1:] == [r.id for r in later]


def test_a_full_disk_during_repair_leaves_the_file_unchanged_and_no_side_file(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while repair writes: exit 4 saying the file is unchanged; no empty side file."""
    import errno
    import os

    fill(journal, 2)
    (month,) = journal.month_files()
    month.write_bytes(month.read_bytes() + b'\n[[session]]\nid = "broken\n')
    before = month.read_bytes()

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(DataFileError) as caught:
        Journal(journal.directory).repair()
    monkeypatch.undo()
    assert "unchanged" in caught.value.message and "disk space" in str(caught.value.hint)
    assert month.read_bytes() == before
    assert sorted(p.name for p in month.parent.iterdir() if not p.name.startswith(".")) == [
        month.name
    ]
