"""History of everything: rows streamed newest first are the rows of the whole join, the
JSON is the same document, the pager gets the listing, and a closed pipe ends it quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iastm_coach.cli import app
from iastm_coach.history.queries import session_rows
from iastm_coach.history.stream import HistoryStream
from iastm_coach.journal.store import Journal
from iastm_coach.views import output
from iastm_coach.views.history_table import ELLIPSIS
from iastm_coach.views.json_doc import json_text
from tests.builders import add_checkin, add_exercise, add_hold, add_measure, add_session
from tests.cli import FixedRunner

runner = FixedRunner()
START = datetime(2025, 10, 3, 18, 0, tzinfo=UTC)


def months_of_sessions(journal: Journal) -> None:
    """Five months of sittings every other day, both calf sides and a neck, with check-ins,
    exercises, before/after measures; a sitting across a month's end (its `before` value
    in the old month); a red flag with its hold, later lifted, and one that stays; and a
    session logged three weeks after it happened."""
    moment = START
    for number in range(75):
        sides = ("left", "right") if number % 3 else ("none",)
        region = "calf" if number % 3 else "neck"
        group = f"g{number:04d}"
        first = None
        for side in sides:
            started = moment + timedelta(minutes=10 * len(sides))
            if number == 40:  # ends just after midnight UTC on the 1st of a month
                started = datetime(2026, 1, 1, 0, 2, tzinfo=UTC)
            session = add_session(
                journal, region=region, side=side, started=started, group=group, note=f"n{number}"
            )
            if number % 4 == 0:  # written after the session, taken before it started
                add_measure(
                    journal,
                    10 + number % 5,
                    at=started - timedelta(minutes=1),
                    phase="before",
                    session=session,
                    side=side,
                    region=region,
                )
            first = first or session
            add_checkin(journal, session, hours=24, soreness=number % 8, note=f"c{number}")
            add_checkin(journal, session, hours=48, soreness=number % 5)
            if number % 4 == 0:
                add_measure(
                    journal,
                    12 + number % 3,
                    at=session.at + timedelta(minutes=2),
                    phase="after",
                    session=session,
                    side=side,
                    region=region,
                )
            if number % 5 == 0:
                checkin = add_checkin(journal, session, hours=72, soreness=7)
                add_hold(journal, region=region, source=checkin.id, at=checkin.at)
        if first is not None and number % 2:
            add_exercise(journal, first, [(3, 3), (2, 3)], region=region)
        if number == 50:
            journal.append(
                "hold_clear", {"region": "calf", "reason": "seen"}, at=moment + timedelta(days=1)
            )
        moment = moment + timedelta(days=2)
        if moment.month == 1 and moment.day < 3:
            moment = datetime(2026, 1, 3, 18, 0, tzinfo=UTC)
    add_session(
        journal,
        region="calf",
        side="left",
        started=moment - timedelta(days=21),
        source="log",
        at=moment,
    )


@pytest.fixture
def big(tmp_path: Path) -> Journal:
    journal = Journal(tmp_path / "journal")
    months_of_sessions(journal)
    return journal


def test_stream_is_the_whole_join(big: Journal) -> None:
    """Month by month, newest first, the rows are those of `session_rows` over the whole
    journal: the same sessions in the same order, with the same check-ins, flags,
    exercises and measures (a sitting that spans two months included)."""
    assert list(HistoryStream(big)) == session_rows(big, last=None)


@pytest.mark.parametrize(
    ("region", "since"),
    [("calf", None), ("neck", None), (None, datetime(2025, 12, 20, tzinfo=UTC))],
)
def test_stream_filters_like_session_rows(
    big: Journal, region: str | None, since: datetime | None
) -> None:
    assert list(HistoryStream(big, region=region, since=since)) == session_rows(
        big, region=region, last=None, since=since
    )


def test_stream_holds_read_are_the_journal_holds(big: Journal) -> None:
    stream = HistoryStream(big)
    for _row in stream:
        pass
    assert sorted(r.id for r in stream.hold_records) == sorted(
        r.id for r in big.scan(kinds={"hold", "hold_clear"})
    )


def home_with_sessions(home: Path, count: int, *, note: str = "") -> Journal:
    journal = Journal(home / "journal")
    for number in range(count):
        session = add_session(
            journal,
            started=START + timedelta(days=3 * number),
            note=note or f"note {number}",
            group=f"g{number}",
        )
        add_checkin(journal, session, hours=24, soreness=number % 6)
    return journal


def test_history_all_json_is_the_same_document(isolated_home: Path) -> None:
    """`--json` is written row by row, byte for byte what the one JSON emitter writes."""
    home_with_sessions(isolated_home, 30)
    for args in (["--all"], ["--last", "3"]):
        result = runner.invoke(app, ["history", "--json", *args])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert result.stdout == json_text(data)
    everything = runner.invoke(app, ["history", "--json", "--all"]).stdout
    assert len(json.loads(everything)["sessions"]) == 30
    empty = runner.invoke(app, ["history", "--json", "--since", "2030-01-01"])
    assert empty.stdout == json_text({"history_version": 1, "sessions": []})


def test_history_all_lists_every_session_without_the_older_holds_note(
    isolated_home: Path,
) -> None:
    home_with_sessions(isolated_home, 45)
    result = runner.invoke(app, ["history", "--all"])
    assert result.exit_code == 0, result.output
    assert all(f"note {n}" in result.stdout for n in range(45))
    assert "Holds placed before" not in result.stdout
    last = runner.invoke(app, ["history", "--last", "40"]).stdout
    # No hold anywhere: nothing is said about older ones (issue 12).
    assert "note 44" in last and "note 4 " not in last and "still in force" not in last


def test_history_pages_on_a_terminal(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On a terminal `--all` goes through $PAGER (with LESS=FRX unless set); --no-pager,
    PAGER=cat and the default --last print straight."""
    home_with_sessions(isolated_home, 5)
    paged = tmp_path / "paged.txt"
    pager = (
        "import os, sys; open(sys.argv[1], 'w').write(os.environ['LESS'] + '|' + sys.stdin.read())"
    )
    monkeypatch.setenv("PAGER", f'{sys.executable} -c "{pager}" {paged}')
    monkeypatch.delenv("LESS", raising=False)
    monkeypatch.setattr(output, "_is_terminal", lambda stream: True)
    result = runner.invoke(app, ["history", "--all"])
    assert result.exit_code == 0
    text = paged.read_text()
    assert text.startswith("FRX|") and "note 4" in text and "note 0" in text
    assert "note 4" not in result.stdout
    for args in (["--all", "--no-pager"], ["--last", "20"]):
        paged.unlink(missing_ok=True)
        result = runner.invoke(app, ["history", *args])
        assert "note 4" in result.stdout and not paged.exists()
    monkeypatch.setenv("PAGER", "cat")
    assert "note 4" in runner.invoke(app, ["history", "--all"]).stdout
    monkeypatch.setenv("PAGER", "no-such-pager-anywhere")
    assert "note 4" in runner.invoke(app, ["history", "--all"]).stdout


def test_history_into_a_closed_pipe_ends_quietly(isolated_home: Path) -> None:
    """`history --all | head -1`: the first line, then a quiet exit 0 (no traceback)."""
    home_with_sessions(isolated_home, 200)
    env = {**os.environ, "IASTM_COACH_HOME": str(isolated_home)}
    with subprocess.Popen(
        [sys.executable, "-m", "iastm_coach", "history", "--all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()
        errors = process.stderr.read()
        code = process.wait()
    assert first.startswith(b"Sessions, newest first")
    assert code == 0 and errors == b""


@pytest.mark.slow
def test_a_long_note_is_shown_whole(isolated_home: Path) -> None:
    """A hand-edited note of half a megabyte (words, then one unbroken word) is shown
    whole, wrapped to the column, each cut marked (rendering time grows with its length)."""
    words = "tight calf " * 25_000
    word = "x" * 200_000
    journal = Journal(isolated_home / "journal")
    add_session(journal, note=words + word)
    result = runner.invoke(app, ["history", "--no-pager"])
    assert result.exit_code == 0
    shown = "".join(result.stdout.split())
    assert shown.count("tight") == 25_000
    assert shown.count("x") == 200_000  # no other lower-case x on the screen
    assert shown.count(ELLIPSIS) >= 200_000 // 60  # cut to the notes column, each cut marked


def test_stream_without_measures_leaves_only_the_measures_out(big: Journal) -> None:
    """The table shows no outcome measures, so its stream skips pairing them."""
    full = list(HistoryStream(big))
    light = list(HistoryStream(big, measures=False))
    assert any(row.measure for row in full) and not any(row.measure for row in light)
    assert [replace(row, measure=None) for row in full] == light


def test_a_short_listing_reads_each_month_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`history --last 20` reads the newest month, then the two before it and on into the
    newest again for the sittings across its start: that month is taken from memory, not
    read from its cache a second time."""
    from itertools import islice

    journal = Journal(tmp_path / "journal")
    months_of_sessions(journal)
    read: list[str] = []
    real = Journal._rows

    def counting(self: Journal, path: Path, *args: object, **kwargs: object) -> object:
        read.append(path.name)
        return real(self, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Journal, "_rows", counting)
    rows = list(islice(HistoryStream(Journal(journal.directory)), 20))
    assert len(rows) == 20
    assert len(read) == len(set(read)) >= 2
