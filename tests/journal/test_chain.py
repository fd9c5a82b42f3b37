"""Stories of the hash chain: a record deleted, changed or slipped in is found and named.

A person keeps a journal over two months; then someone (the person, an editor, a sync
tool) deletes, edits or inserts a record, or a whole month file. `journal check` names
the file, the line and what happened (exit 4); the report's integrity line says
"broken"; repair moves damage aside without breaking the chain, and a break a person has
looked at can be accepted (it stays listed).
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iastm_coach.cli import app
from iastm_coach.errors import DataFileError
from iastm_coach.journal.blocks import split_blocks
from iastm_coach.journal.chain import HEAD_NAME, LEDGER_NAME
from iastm_coach.journal.store import Journal, Record, journal_integrity, records
from tests.builders import example
from tests.cli import runner  # commands run at a fixed moment (2 March 2026)

T0 = datetime(2026, 1, 20, 18, 0, tzinfo=UTC)


@pytest.fixture(name="journal")
def _journal(isolated_home: Path) -> Journal:
    return Journal(isolated_home / "journal")


def two_months(journal: Journal) -> list[Record]:
    """Sessions, check-ins and a hold, every two days from 20 January into February."""
    written: list[Record] = []
    for n in range(8):
        at = T0 + timedelta(days=2 * n)
        session = journal.append(records.SESSION, example(records.SESSION, note=f"s{n}"), at=at)
        written.append(session)
        written.append(
            journal.append(
                records.CHECKIN,
                example(records.CHECKIN, session=session.id, soreness=n % 5),
                at=at + timedelta(hours=24),
            )
        )
        if n == 3:
            written.append(
                journal.append(
                    records.HOLD, example(records.HOLD, region="calf"), at=at + timedelta(hours=25)
                )
            )
    return written


def block_of(journal: Journal, record: Record) -> tuple[Path, str, int]:
    """The month file, text and first line of *record*'s block."""
    path = journal.directory / f"{record.at.astimezone(UTC):%Y-%m}.toml"
    for block in split_blocks(path.read_text()):
        if record.id in block.text:
            return path, block.text, block.line
    raise AssertionError(record.id)


def remove(journal: Journal, record: Record) -> tuple[Path, int]:
    path, text, line = block_of(journal, record)
    path.write_text(path.read_text().replace(text, ""))
    return path, line


def check(journal: Journal) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["journal", "check", "--json"])
    return result.exit_code, json.loads(result.stdout)


def integrity_errors(journal: Journal) -> list[tuple[str, int | None, str]]:
    report = Journal(journal.directory).check_report(now=T0 + timedelta(days=60))
    return [
        (p.file.name, p.line, p.message)
        for p in report.errors
        if p.message.startswith("integrity: ")
    ]


def test_an_untouched_journal_is_verified(journal: Journal) -> None:
    """Records over two months link up; check says so, and so does the report's function."""
    written = two_months(journal)
    assert [p.name for p in journal.month_files()] == ["2026-01.toml", "2026-02.toml"]
    code, out = check(journal)
    assert code == 0 and out["ok"] is True
    assert out["integrity"] == {
        "status": "verified",
        "verified": True,
        "text": f"verified: {len(written)} records, each linked to the one before",
    }
    result = runner.invoke(app, ["journal", "check"])
    assert result.exit_code == 0
    assert f"Integrity verified: {len(written)} records" in result.stdout
    assert journal_integrity(journal).verified


def test_a_deleted_record_is_found_between_its_neighbours(journal: Journal) -> None:
    """A check-in deleted from the middle of February: file, line, and "deleted"."""
    written = two_months(journal)
    victim = next(r for r in written if r.kind == records.CHECKIN and r.at.month == 2)
    path, line = remove(journal, victim)
    [(file, at, message)] = integrity_errors(journal)
    assert file == path.name and at == line  # the record that followed it
    assert "1 record was deleted before this one" in message
    assert "a hold may have been among them" in message
    code, out = check(journal)
    assert code == 4 and out["ok"] is False
    result = journal_integrity(journal)
    assert result.status == "broken" and not result.verified
    assert result.text.startswith(f"broken: {path.name}, line {line}: 1 record was deleted")


def test_an_edited_value_is_found_at_the_record(journal: Journal) -> None:
    """Soreness 3 made 0 by hand: a value iastm-coach accepts, but the record changed."""
    written = two_months(journal)
    victim = next(r for r in written if r.kind == records.CHECKIN and r.data["soreness"] == 3)
    path, text, line = block_of(journal, victim)
    path.write_text(path.read_text().replace(text, text.replace("soreness = 3", "soreness = 0")))
    assert Journal(journal.directory).get(victim.id) is not None  # still read: no damage
    [(file, at, message)] = integrity_errors(journal)
    assert (file, at) == (path.name, line)
    assert f"record {victim.id} was changed after it was written" in message


def test_a_deleted_hold_is_found_wherever_it_was(journal: Journal) -> None:
    """The hold in the middle of the journal, and a hold that was the newest record."""
    written = two_months(journal)
    hold = next(r for r in written if r.kind == records.HOLD)
    path, line = remove(journal, hold)
    [(file, at, message)] = integrity_errors(journal)
    assert (file, at) == (path.name, line)
    assert "deleted" in message and "a hold may have been among them" in message

    newest = journal.append(
        records.HOLD, example(records.HOLD, region="forearm"), at=T0 + timedelta(days=20)
    )
    path, text, line = block_of(journal, newest)
    path.write_text(path.read_text().replace(text, "").rstrip("\n") + "\n")
    found = integrity_errors(journal)
    assert len(found) == 2
    file, at, message = found[1]
    assert file == path.name
    assert "the newest 1 record was deleted after this one" in message
    assert f"the journal ended with record {newest.id}" in message


def test_a_forged_record_is_found(journal: Journal) -> None:
    """A hold_clear written by hand (no chain line), and a copy of a record pasted in with
    a new id: each is named as added by hand."""
    written = two_months(journal)
    path = journal.month_files()[1]
    text = path.read_text()
    blocks = split_blocks(text)
    forged = (
        "[[hold_clear]]\n"
        'id = "01KGB7ZK009CR2JABBFS9PVKZD"\n'
        "at = 2026-02-05T10:00:00+00:00\n"
        'region = "calf"\n'
        'reason = "fine now"\n'
        "schema = 1\n\n"
    )
    path.write_text(text[: blocks[2].start] + forged + text[blocks[2].start :])
    [(file, at, message)] = integrity_errors(journal)
    assert (file, at) == (path.name, blocks[2].line)
    assert "record 01KGB7ZK009CR2JABBFS9PVKZD has no `chain` line" in message

    path.write_text(text)  # undone: verified again
    assert integrity_errors(journal) == []
    copy = blocks[3].text.replace(written[0].id, "01KGB7ZK009CR2JABBFS9PVKZD", 1)
    copy = re.sub(r'id = "[0-9A-Z]{26}"', 'id = "01KGB7ZK009CR2JABBFS9PVKZD"', copy, count=1)
    path.write_text(text[: blocks[2].start] + copy + text[blocks[2].start :])
    [(file, at, message)] = integrity_errors(journal)
    assert (file, at) == (path.name, blocks[2].line)
    assert "01KGB7ZK009CR2JABBFS9PVKZD" in message and "added by hand" in message


def test_a_deleted_month_file_is_named(journal: Journal) -> None:
    """February deleted between January and March; then March, the newest, deleted."""
    two_months(journal)
    march = journal.append(
        records.SESSION, example(records.SESSION), at=datetime(2026, 3, 3, tzinfo=UTC)
    )
    (journal.directory / "2026-02.toml").unlink()
    [(file, at, message)] = integrity_errors(journal)
    assert (file, at) == ("2026-03.toml", 1)
    assert "links to a record that is not there" in message
    assert "no file is there for 2026-02: was it deleted?" in message

    (journal.directory / "2026-03.toml").unlink()
    found = integrity_errors(journal)
    assert ("2026-03.toml", None) in [(file, at) for file, at, _ in found]
    assert any(f"the newest record ({march.id}" in message for *_, message in found)


def test_the_chain_goes_on_over_damage_that_repair_moves_aside(journal: Journal) -> None:
    """A value no one can use (soreness 15) is damage and a change; repair moves it into a
    side file and notes its chain number, so the gap it leaves is explained: check exits 0
    with a warning, and the integrity is still "verified"."""
    written = two_months(journal)
    victim = next(r for r in written if r.kind == records.CHECKIN and r.data["soreness"] == 2)
    path, text, line = block_of(journal, victim)
    path.write_text(path.read_text().replace(text, text.replace("soreness = 2", "soreness = 15")))
    report = Journal(journal.directory).check_report()
    # Said once, as damage (not also as a change: the record is damage either way).
    assert [(p.line, p.message.startswith("integrity")) for p in report.errors] == [
        (line + 5, False)
    ]
    assert not journal_integrity(journal).verified
    result = runner.invoke(app, ["journal", "repair"])
    assert result.exit_code == 0, result.output
    ledger = (journal.directory / LEDGER_NAME).read_text()
    assert "[[moved]]" in ledger and f'file = "{path.name}"' in ledger
    code, out = check(journal)
    assert code == 0, out
    side_file, warning = out["problems"]  # type: ignore[misc]
    assert "damaged text moved aside" in side_file["message"]
    assert warning["severity"] == "warning" and warning["line"] == line
    assert warning["message"].startswith(
        "integrity: 1 record before this one was damaged: moved aside by `journal repair` on "
    )
    assert journal_integrity(journal).verified
    assert "1 gap left by `journal repair`" in journal_integrity(journal).text


def test_a_torn_record_and_the_append_after_it_keep_the_chain(journal: Journal) -> None:
    """A crash cuts the newest record after its chain line; the next append links to the
    record before it, and repair leaves a verified chain."""
    two_months(journal)
    path = journal.month_files()[-1]
    full = path.read_bytes()
    journal.append(records.CHECKIN, example(records.CHECKIN), at=T0 + timedelta(days=20))
    torn = path.read_bytes()
    path.write_bytes(torn[: torn.rindex(b"schema = 1")])
    journal.append(records.CHECKIN, example(records.CHECKIN), at=T0 + timedelta(days=21))
    with pytest.raises(DataFileError):
        Journal(journal.directory).recent()
    Journal(journal.directory).repair()
    assert path.read_bytes().startswith(full)
    assert integrity_errors(journal) == []
    assert journal_integrity(journal).verified


def test_a_break_can_be_accepted_and_stays_in_the_report(journal: Journal) -> None:
    """After looking, the person accepts the break: check exits 0 (a warning), and the
    integrity is still "broken" for the physio to see."""
    written = two_months(journal)
    remove(journal, written[3])
    assert check(journal)[0] == 4
    result = runner.invoke(app, ["journal", "repair"])
    assert result.exit_code == 4
    assert "--accept-breaks" in result.output
    result = runner.invoke(app, ["journal", "repair", "--accept-breaks"])
    assert result.exit_code == 0, result.output
    assert "Accepted, as looked at: 2026-01.toml, line" in result.stdout
    code, out = check(journal)
    assert code == 0
    assert out["integrity"]["status"] == "broken"  # type: ignore[index]
    assert "accepted with `journal repair --accept-breaks`" in json.dumps(out["problems"])
    assert journal_integrity(journal).text.startswith("broken: 2026-01.toml, line")


def test_records_from_before_the_chain_are_accepted_as_unchained(journal: Journal) -> None:
    """A journal written by 0.1 (no chain lines) goes on with chained records: verified,
    and the older records are said to be outside the chain, before the first chained."""
    journal.directory.mkdir(parents=True, mode=0o700)
    old = journal.directory / "2025-12.toml"
    old.write_text(
        "[[session]]\n"
        'id = "01KC0000000000000000000000"\n'
        "at = 2025-12-01T10:00:00+00:00\n"
        'region = "calf"\n'
        "schema = 1\n"
    )
    old.chmod(0o600)
    written = two_months(journal)
    result = journal_integrity(journal)
    assert result.status == "verified" and result.unchained == 1
    first = written[0].at.astimezone(UTC).date().isoformat()
    assert f"the 1 record before {first} were written before the chain" in result.text
    assert Journal(journal.directory / "other").integrity().status == "empty"
    for path in journal.month_files()[1:]:
        path.unlink()
    (journal.directory / HEAD_NAME).unlink()
    assert journal_integrity(journal).status == "unchained"


def test_a_clock_stepped_back_does_not_break_the_chain(journal: Journal) -> None:
    """A record appended to January after February began (a clock set back) links within
    January; nothing is reported."""
    two_months(journal)
    journal.append(records.CHECKIN, example(records.CHECKIN), at=T0 + timedelta(days=5))
    journal.append(records.CHECKIN, example(records.CHECKIN), at=T0 + timedelta(days=30))
    assert integrity_errors(journal) == []


def test_editor_saves_keep_the_chain(journal: Journal) -> None:
    """Windows line ends, a BOM, indented or quoted `[[kind]]` lines, trailing blanks."""
    two_months(journal)
    for path in journal.month_files():
        text = path.read_text()
        text = re.sub(r"(?m)^\[\[(\w+)\]\]$", r'  [[ "\1" ]]  # saved', text)
        text = re.sub(r"(?m)$", " ", text).replace("\n", "\r\n")
        path.write_bytes(("\ufeff" + text).encode())
    assert integrity_errors(journal) == []
    assert journal_integrity(journal).verified


def test_a_damaged_month_does_not_stop_the_integrity_answer(journal: Journal) -> None:
    """The report's integrity line reads text, not records: damage is answered too, and an
    unreadable file gives "not verified", never an exception."""
    two_months(journal)
    path = journal.month_files()[0]
    path.write_text(path.read_text() + "\n[[sess")
    assert journal_integrity(journal).verified
    path.chmod(0)
    try:
        result = journal_integrity(Journal(journal.directory))
    finally:
        path.chmod(0o600)
    if result.status == "unreadable":  # not as root, who reads anything
        assert result.text.startswith("not verified: ") and not result.verified


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(data=st.data())
def test_any_single_byte_change_to_a_record_is_found(tmp_path: Path, data: st.DataObject) -> None:
    """Change one byte anywhere in a record, from its `[[kind]]` line to the end of its
    `schema` line: either reading refuses the file as damage, or check reports the chain
    broken (exit 4). Never a silent change."""
    directory = Path(tempfile.mkdtemp(dir=tmp_path)) / "journal"
    journal = Journal(directory)
    for n in range(3):
        journal.append(
            records.SESSION,
            example(records.SESSION, note=f"n{n}"),
            at=T0 + timedelta(hours=n),
        )
    path = journal.month_files()[0]
    raw = path.read_bytes()
    starts = [m.start() for m in re.finditer(rb"(?m)^\[\[", raw)]
    which = data.draw(st.integers(0, len(starts) - 1), label="record")
    end = raw.index(b"schema = 1", starts[which]) + len(b"schema = 1")
    position = data.draw(st.integers(starts[which], end - 1), label="byte")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]), label="to")
    path.write_bytes(raw[:position] + bytes([value]) + raw[position + 1 :])
    try:
        Journal(directory).scan().__next__()
        readable = True
    except DataFileError:
        readable = False
    report = Journal(directory).check_report(now=T0)
    if readable:
        assert report.errors, (position, value)
    else:
        assert report.errors  # damage, named by check


def test_a_deleted_hold_stops_the_commands_that_read_holds(journal: Journal) -> None:
    """The calf was on hold; the hold record is deleted by hand. Nothing can tell that it
    was a hold, so `today` and `hold list` stop with exit 4 (as for damage), naming the
    file and line, until the person accepts the break; the report still says "broken"."""
    written = two_months(journal)
    hold = next(r for r in written if r.kind == records.HOLD)
    assert "calf" in runner.invoke(app, ["hold", "list"]).stdout
    path, line = remove(journal, hold)
    for command in (["today"], ["hold", "list"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 4, result.output
        assert f"hash chain is broken at {path}, line {line}" in result.stderr
        assert "a red-flag hold may have been among them" in result.stderr
    assert runner.invoke(app, ["history", "--json"]).exit_code == 0  # shown, not refused
    assert runner.invoke(app, ["journal", "repair", "--accept-breaks"]).exit_code == 0
    assert runner.invoke(app, ["hold", "list"]).exit_code == 0
    assert journal_integrity(journal).status == "broken"


def test_the_quick_reading_of_a_month_agrees_with_reading_its_text(journal: Journal) -> None:
    """`month_chain_of` (bytes, whole-file checks) gives what `month_chain` (block by
    block) gives, for an untouched month and, falling back, for edited ones."""
    from iastm_coach.journal.chain import month_chain, month_chain_of
    from iastm_coach.journal.format import decode_lenient

    written = two_months(journal)
    path = journal.month_files()[0]
    raw = path.read_bytes()
    variants = [
        raw,
        "\ufeff".encode() + raw,
        raw.replace(b"\n", b"\r\n"),
        raw.replace(b"soreness = 3", b"soreness = 0"),
        raw.replace(b"[[checkin]]", b"[[ checkin ]]"),
        raw + b"\n[[sess",
        raw.replace(b"hours = 24\n", b"hours = 24 \n", 1),  # a blank after the first check-in
        raw[: raw.rindex(b"\nchain")] + b" " + raw[raw.rindex(b"\nchain") :],  # in the last
        raw.replace(written[1].id.encode(), b"01KGB7ZK009CR2JABBFS9PVKZD"),
    ]
    for variant in variants:
        assert month_chain_of(variant) == month_chain(decode_lenient(variant))


def test_records_written_later_for_earlier_months_keep_the_chain(journal: Journal) -> None:
    """`log --at` for a date before the journal began (a new, older month file), and for a
    month in between that had no file: each new file links to what was before it then,
    and the months written earlier still verify."""
    two_months(journal)
    journal.append(records.SESSION, example(records.SESSION), at=datetime(2026, 4, 2, tzinfo=UTC))
    journal.append(records.SESSION, example(records.SESSION), at=datetime(2025, 6, 1, tzinfo=UTC))
    journal.append(records.SESSION, example(records.SESSION), at=datetime(2026, 3, 1, tzinfo=UTC))
    assert [p.name[:7] for p in journal.month_files()] == [
        "2025-06",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]
    assert integrity_errors(journal) == []
    assert journal_integrity(journal).verified


def test_a_chain_cache_made_by_hand_hides_nothing(journal: Journal) -> None:
    """The month chains are cached, sealed like the parse cache: a cache file that says a
    month is unbroken, without the journal's seal, is ignored and the deletion is found."""
    import pickle

    from iastm_coach.journal import cache
    from iastm_coach.journal.chain import month_chain_of, plain_month

    written = two_months(journal)
    assert integrity_errors(journal) == []  # the chains are cached now
    cached = journal.directory / ".cache" / cache.CHAIN_CACHE_NAME
    assert cached.exists()
    path = journal.month_files()[0]
    unbroken = month_chain_of(path.read_bytes())
    remove(journal, written[3])
    forged = {path.name: (cache.sha256(path.read_bytes()), plain_month(unbroken))}
    body = pickle.dumps((cache.CACHE_FORMAT, forged))
    for blob in (body, cache.seal(bytes(32), body)):
        cached.write_bytes(blob)
        assert len(integrity_errors(journal)) == 1


def _unchained_block(n: int) -> str:
    day = 1 + n % 28
    note = "\n".join(f"line {k}" for k in range(n % 3))  # blocks of different lengths
    return (
        "[[checkin]]\n"
        f'id = "01KC{n:022d}"\n'
        f"at = 2025-12-{day:02d}T10:00:00+00:00\n"
        f'note = """{note}"""\n'
        "schema = 1\n"
    )


def test_records_outside_the_chain_are_named_at_their_own_lines(journal: Journal) -> None:
    """A month of many records without chain lines (written by 0.1), and unchained ones
    slipped in after chained records: each is named at the line of its own `[[kind]]`
    line, however many come before it."""
    from iastm_coach.journal.chain import month_chain

    text = "\n".join(_unchained_block(n) for n in range(40))
    lines = text.split("\n")
    headers = [number + 1 for number, line in enumerate(lines) if line == "[[checkin]]"]
    ids = [f"01KC{n:022d}" for n in range(40)]
    assert list(month_chain(text).leading) == list(zip(headers, ids, strict=True))

    written = two_months(journal)
    path = journal.month_files()[0]
    chained = path.read_text()
    slipped = "\n".join(_unchained_block(n) for n in range(5))
    text = chained + "\n" + slipped
    month = month_chain(text)
    lines = text.split("\n")
    expected = [number + 1 for number, line in enumerate(lines) if line == "[[checkin]]"]
    expected = [line for line in expected if line > chained.count("\n")]
    assert [b.line for b in month.breaks if b.key.startswith("unchained:")] == expected
    assert month.first is not None and month.first.id == written[0].id
