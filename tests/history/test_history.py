"""History queries: joining check-ins, follow-up windows, the reminder, bounded reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iastm_coach.history.queries import (
    ROW_FIELDS,
    WINDOWS,
    between,
    checkin_reminder,
    checkins_of,
    due_checkins,
    follow_up_at,
    join_rows,
    last_session,
    recent_sessions,
    row_dict,
    session_rows,
    sitting_of,
)
from iastm_coach.journal.store import Journal, Record, records
from tests.builders import (
    MINUS_5,
    PLUS_10,
    T0,
    CountingJournal,
    add_checkin,
    add_exercise,
    add_hold,
    add_measure,
    add_session,
    make_journal,
)

# --- follow-up windows ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed_h", "expected"),
    [
        (0, None),
        (19.99, None),
        (20, 24),
        (39.99, 24),
        (40, 48),
        (63.99, 48),
        (64, 72),
        (95.99, 72),
        (96, None),
    ],
)
def test_follow_up_windows(elapsed_h: float, expected: int | None) -> None:
    """Windows are contiguous: 24 h = 20-40 h, 48 h = 40-64 h, 72 h = 64-96 h."""
    assert expected == follow_up_at(T0, T0 + timedelta(hours=elapsed_h))


def test_windows_constant_matches_docs() -> None:
    """The documented windows are the ones used."""
    assert WINDOWS == {24: (20, 40), 48: (40, 64), 72: (64, 96), 120: (120, 168)}


def test_due_24h_then_answered(tmp_path: Path) -> None:
    """The 24 h follow-up is due from 20 h after the session ended, until it is answered."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    ended = session.data["ended"]
    assert due_checkins(journal, ended + timedelta(hours=19)) == []
    due = due_checkins(journal, ended + timedelta(hours=21))
    assert [(session.id, 24)] == [(d.session.id, d.hours) for d in due]
    assert ended + timedelta(hours=20) == due[0].opens
    add_checkin(journal, session, hours=24, soreness=2, at=ended + timedelta(hours=22))
    assert due_checkins(journal, ended + timedelta(hours=23)) == []


def test_missed_24h_is_not_asked_at_48h(tmp_path: Path) -> None:
    """After 40 h only the 48 h follow-up is asked, even if 24 h was never answered."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    due = due_checkins(journal, session.data["ended"] + timedelta(hours=45))
    assert [d.hours for d in due] == [48]


def test_late_checkin_counts_for_its_follow_up(tmp_path: Path) -> None:
    """A 24 h check-in given at 38 h still answers 24 h; at 41 h the 48 h one is due."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    ended = session.data["ended"]
    add_checkin(journal, session, hours=24, soreness=3, at=ended + timedelta(hours=38))
    assert due_checkins(journal, ended + timedelta(hours=39)) == []
    assert [d.hours for d in due_checkins(journal, ended + timedelta(hours=41))] == [48]
    row = session_rows(journal)[0]
    assert row.soreness_at(24) == 3


@pytest.mark.parametrize(("soreness_48h", "due"), [(0, []), (1, [72]), (4, [72])])
def test_72h_when_48h_soreness_is_above_usual(
    tmp_path: Path, soreness_48h: int, due: list[int]
) -> None:
    """The 72 h follow-up is due whenever the 48 h soreness is above the usual level
    (0 until known): lingering soreness is followed up (issue 10 item 5)."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    add_checkin(journal, session, hours=24, soreness=3)
    add_checkin(journal, session, hours=48, soreness=soreness_48h)
    now = session.data["ended"] + timedelta(hours=70)
    assert due == [d.hours for d in due_checkins(journal, now)]


def test_nothing_due_after_two_weeks(tmp_path: Path) -> None:
    """An unanswered 72 h follow-up is still due (late) at 97 h; a session more than two
    weeks old has no follow-up due (and is not even read)."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    add_checkin(journal, session, hours=48, soreness=6)
    ended = session.data["ended"]
    assert [d.hours for d in due_checkins(journal, ended + timedelta(hours=97))] == [72]
    assert due_checkins(journal, ended + timedelta(days=14, hours=1)) == []


def test_time_zones_do_not_shift_windows(tmp_path: Path) -> None:
    """A session recorded at UTC+10 and a check-in time at UTC-5 compare as instants."""
    journal = make_journal(tmp_path)
    started = datetime(2026, 3, 3, 8, 0, tzinfo=PLUS_10)  # 2026-03-02 22:00 UTC
    add_session(journal, started=started, minutes=10)
    ended_utc = datetime(2026, 3, 2, 22, 10, tzinfo=UTC)
    # 21 h later, expressed in UTC-5: 2026-03-03 14:10 -05:00
    now = (ended_utc + timedelta(hours=21)).astimezone(MINUS_5)
    assert [d.hours for d in due_checkins(journal, now)] == [24]
    assert due_checkins(journal, (ended_utc + timedelta(hours=19)).astimezone(MINUS_5)) == []


def test_both_sides_each_due(tmp_path: Path) -> None:
    """Each side of a sitting has its own follow-up (soreness can differ per side)."""
    journal = make_journal(tmp_path)
    left = add_session(journal, side="left", group="g1")
    right = add_session(journal, side="right", group="g1")
    due = due_checkins(journal, left.data["ended"] + timedelta(hours=25))
    assert [left.id, right.id] == [d.session.id for d in due]
    assert [d.place for d in due] == ["calf (left)", "calf (right)"]


# --- the reminder line ---------------------------------------------------------------------


def test_reminder_none_when_nothing_due(tmp_path: Path) -> None:
    """No follow-up due (or no journal at all): no line."""
    journal = make_journal(tmp_path)
    assert checkin_reminder(journal, T0) is None
    add_session(journal)
    assert checkin_reminder(journal, T0 + timedelta(hours=2)) is None


def test_reminder_names_what_is_due(tmp_path: Path) -> None:
    """One quiet line: how many, which region and follow-up, and the command to run."""
    journal = make_journal(tmp_path)
    add_session(journal, side="none", region="neck")
    line = checkin_reminder(journal, T0 + timedelta(hours=30))
    assert line == "1 check-in due (neck 24 h): run `iastm-coach checkin`."


def test_reminder_reads_only_recent_months(tmp_path: Path) -> None:
    """The reminder reads the newest month files only, not years of history."""
    directory = tmp_path / "journal"
    journal = Journal(directory)
    for month in range(1, 13):
        add_session(journal, started=datetime(2024, month, 10, 18, 0, tzinfo=UTC))
    recent = add_session(journal, started=T0)
    counting = CountingJournal(directory)
    line = checkin_reminder(counting, recent.data["ended"] + timedelta(hours=30))
    assert line is not None
    assert {"2026-03.toml"} >= set(counting.loads)


# --- joining and history rows ---------------------------------------------------------------


def test_rows_join_checkins_and_flags(tmp_path: Path) -> None:
    """Rows carry 24/48/72 h soreness, check-in notes and the rules of holds they caused."""
    journal = make_journal(tmp_path)
    one = add_session(journal, note="first")
    two = add_session(journal, started=T0 + timedelta(days=3))
    c24 = add_checkin(journal, one, hours=24, soreness=3, note="stiff")
    add_checkin(journal, one, hours=48, soreness=5)
    add_hold(journal, region="calf", rule="worse-48h", source=c24.id, at=T0 + timedelta(days=2))
    add_hold(
        journal, region="calf", rule="soreness-7", source=two.id, at=T0 + timedelta(days=3, hours=1)
    )
    rows = session_rows(journal)
    assert [two.id, one.id] == [r.id for r in rows]
    newest, oldest = rows
    assert (oldest.soreness_at(24), oldest.soreness_at(48), oldest.soreness_at(72)) == (3, 5, None)
    assert oldest.flags == ("worse-48h",)
    assert newest.flags == ("soreness-7",)
    assert oldest.note == "first" and [(n.hours, n.note) for n in oldest.checkin_notes] == [
        (24, "stiff")
    ]


def test_session_without_follow_ups(tmp_path: Path) -> None:
    """A session nobody checked in on has no 24/48 h values and no flags."""
    journal = make_journal(tmp_path)
    add_session(journal, soreness=-1, complete=False)
    row = session_rows(journal)[0]
    assert (row.soreness_after, row.soreness_at(24), row.soreness_at(48)) == (None, None, None)
    assert row.flags == () and not row.complete


def test_latest_answer_per_follow_up_wins(tmp_path: Path) -> None:
    """Answering the 24 h follow-up twice: the later answer is shown."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    ended = session.data["ended"]
    add_checkin(journal, session, hours=24, soreness=6, at=ended + timedelta(hours=21))
    add_checkin(journal, session, hours=24, soreness=2, at=ended + timedelta(hours=22))
    assert session_rows(journal)[0].soreness_at(24) == 2


def test_history_region_filter_and_last(tmp_path: Path) -> None:
    """Region and --last filter; newest first."""
    journal = make_journal(tmp_path)
    for day in range(6):
        add_session(
            journal,
            region="calf" if day % 2 else "neck",
            side="none",
            started=T0 + timedelta(days=day),
        )
    calf = recent_sessions(journal, region="calf", last=2)
    assert [r.data["region"] for r in calf] == ["calf", "calf"]
    assert calf[0].data["started"] > calf[1].data["started"]
    assert len(recent_sessions(journal, region="calf", last=None)) == 3
    assert len(recent_sessions(journal, last=None)) == 6


def test_history_since_uses_session_start(tmp_path: Path) -> None:
    """--since keeps sessions started on or after it, even if logged (written) later."""
    journal = make_journal(tmp_path)
    add_session(journal, started=T0, at=T0 + timedelta(days=5), source="log")
    add_session(journal, started=T0 + timedelta(days=2))
    found = recent_sessions(journal, last=None, since=T0 + timedelta(days=1))
    assert [T0 + timedelta(days=2)] == [r.data["started"] for r in found]


def a_session_a_month(journal: Journal, *, months: int) -> None:
    """A calf session on the 4th of each of the first *months* months of 2025, 09:00 UTC:
    one in every month file."""
    for month in range(1, months + 1):
        add_session(journal, started=datetime(2025, month, 4, 9, 0, tzinfo=UTC))


def test_last_session_of_region_long_ago_reads_few_months(tmp_path: Path) -> None:
    """A region last treated years ago is found by parsing only the months that mention
    it, once each month's summary is in the parse cache."""
    directory = tmp_path / "journal"
    journal = Journal(directory)
    old = add_session(
        journal, region="neck", side="none", started=datetime(2022, 5, 3, 9, 0, tzinfo=UTC)
    )
    a_session_a_month(journal, months=12)
    assert last_session(Journal(directory), "neck") == old  # the first look parses them all
    counting = CountingJournal(directory)
    found = last_session(counting, "neck")
    assert found is not None and old.id == found.id
    assert counting.loads == ["2022-05.toml"]
    counting.loads.clear()
    assert last_session(counting, "shin") is None
    assert counting.loads == []


def test_last_session_newest_of_region(tmp_path: Path) -> None:
    """The newest session of that region, timed or logged; other regions ignored."""
    journal = make_journal(tmp_path)
    add_session(journal, started=T0)
    newest = add_session(journal, started=T0 + timedelta(days=2), source="log")
    add_session(journal, region="neck", side="none", started=T0 + timedelta(days=3))
    found = last_session(journal, "calf")
    assert found is not None and newest.id == found.id


def test_history_reads_only_recent_months(tmp_path: Path) -> None:
    """history --last N reads back only as far as its N sessions (and their check-ins)."""
    directory = tmp_path / "journal"
    journal = Journal(directory)
    a_session_a_month(journal, months=12)
    counting = CountingJournal(directory)
    rows = session_rows(counting, last=2)
    assert len(rows) == 2
    assert {"2025-12.toml", "2025-11.toml"} == set(counting.loads)


def test_checkins_of_and_sitting(tmp_path: Path) -> None:
    """A session's own check-ins, and the sides of its sitting."""
    journal = make_journal(tmp_path)
    left = add_session(journal, side="left", group="g7")
    right = add_session(journal, side="right", group="g7")
    add_session(journal, side="left", group="g8", started=T0 + timedelta(days=3))
    mine = add_checkin(journal, left, hours=24, soreness=1)
    add_checkin(journal, right, hours=24, soreness=4)
    assert [mine.id] == [c.id for c in checkins_of(journal, left)]
    assert [left.id, right.id] == [r.id for r in sitting_of(journal, left)]


def test_between_stops_at_end(tmp_path: Path) -> None:
    """`between` returns the span only, reading no month after the first record past it."""
    directory = tmp_path / "journal"
    journal = Journal(directory)
    a_session_a_month(journal, months=6)
    counting = CountingJournal(directory)
    found = between(
        counting,
        datetime(2025, 2, 1, tzinfo=UTC),
        datetime(2025, 3, 1, tzinfo=UTC),
        {records.SESSION},
    )
    assert len(found) == 1
    assert counting.loads == ["2025-02.toml", "2025-03.toml"]


# --- machine-readable rows ------------------------------------------------------------------


def test_row_dict_has_documented_fields(tmp_path: Path) -> None:
    """--json / CSV rows have exactly the documented field names, in order, and are JSON."""
    journal = make_journal(tmp_path)
    session = add_session(journal, note='quote " and <tag>')
    add_checkin(journal, session, hours=24, soreness=3, note="ok")
    data = row_dict(session_rows(journal)[0])
    assert [name for name, _ in ROW_FIELDS] == list(data)
    assert data == json.loads(json.dumps(data))
    assert data["soreness_24h"] == 3 and data["soreness_48h"] is None
    assert data["checkin_notes"] == [{"hours": 24, "note": "ok"}]
    assert data["started"] == "2026-03-02T18:00:00+00:00"


def test_join_ignores_other_sessions_companions(tmp_path: Path) -> None:
    """Check-ins and holds of sessions not shown are not attached to anything."""
    journal = make_journal(tmp_path)
    shown = add_session(journal)
    other = add_session(journal, started=T0 + timedelta(days=1))
    companions: list[Record] = [
        add_checkin(journal, other, hours=24, soreness=9),
        add_hold(
            journal, region="calf", rule="soreness-7", source=other.id, at=T0 + timedelta(days=2)
        ),
    ]
    rows = join_rows([shown], companions)
    assert rows[0].soreness_at(24) is None and rows[0].flags == ()


# --- exercises and outcome measures joined to sessions -------------------------------------------


def test_exercises_join_every_side_of_their_sitting(tmp_path: Path) -> None:
    """An exercise record counts for each side of its region's sitting (same group), not for
    another region sharing the group nor another sitting; several records add up."""
    journal = make_journal(tmp_path)
    left = add_session(journal, side="left", group="g1")
    right = add_session(journal, side="right", group="g1")
    neck = add_session(journal, region="neck", side="none", group="g1")
    later = add_session(journal, side="left", group="g2", started=T0 + timedelta(days=3))
    add_exercise(journal, left, [(3, 3), (2, 3)])
    add_exercise(journal, left, [(0, 3)])  # a skipped exercise, written separately
    rows = {row.id: row for row in session_rows(journal)}
    assert rows[left.id].exercise == rows[right.id].exercise
    found = rows[left.id].exercise
    assert found is not None and (found.done, found.planned, found.exercises) == (5, 9, 3)
    assert found.text() == "ex 5/9 sets" and found.sets() == "5/9 sets"
    assert rows[neck.id].exercise is None and rows[later.id].exercise is None


def test_exercise_without_group_joins_the_session_it_names(tmp_path: Path) -> None:
    """A hand-written exercise record without a group belongs to its session's sitting."""
    journal = make_journal(tmp_path)
    left = add_session(journal, side="left", group="g1")
    right = add_session(journal, side="right", group="g1")
    add_exercise(journal, right, [(1, 2)], group="")
    rows = session_rows(journal)
    assert {(row.exercise.done, row.exercise.planned) for row in rows if row.exercise} == {(1, 2)}
    assert all(row.exercise is not None for row in rows) and {r.id for r in rows} == {
        left.id,
        right.id,
    }


def test_measures_join_their_session_per_side(tmp_path: Path) -> None:
    """Before and after values name their session; each side's row gets its own pair;
    standalone values and sessions without measures leave the row empty."""
    journal = make_journal(tmp_path)
    left = add_session(journal, side="left", group="g1")
    right = add_session(journal, side="right", group="g1")
    plain = add_session(journal, side="left", started=T0 + timedelta(days=3))
    add_measure(journal, 9, at=T0 - timedelta(minutes=1), phase="before", session=left)
    add_measure(
        journal, 10, at=T0 - timedelta(minutes=1), phase="before", session=right, side="right"
    )
    add_measure(journal, 10.5, at=left.at + timedelta(minutes=2), phase="after", session=left)
    add_measure(journal, 8, at=T0 + timedelta(days=2))
    rows = {row.id: row for row in session_rows(journal)}
    pair = rows[left.id].measure
    assert pair is not None and (pair.before, pair.after, pair.change) == (9.0, 10.5, 1.5)
    half = rows[right.id].measure
    assert half is not None and (half.side, half.before, half.after) == ("right", 10.0, None)
    assert rows[plain.id].measure is None
    data = row_dict(rows[left.id])
    assert (data["measure_test"], data["measure_unit"]) == ("Knee-to-wall lunge", "cm")
    assert (data["measure_before"], data["measure_after"], data["measure_change"]) == (
        9.0,
        10.5,
        1.5,
    )
    empty = row_dict(rows[plain.id])
    assert (empty["measure_test"], empty["measure_before"], empty["exercise_sets_done"]) == (
        "",
        None,
        None,
    )


def test_history_reads_exercises_and_measures_boundedly(tmp_path: Path) -> None:
    """`history --last 1` finds the exercises and the before value (timed before the strokes,
    in the previous month) of its session, reading no further back than that."""
    directory = tmp_path / "journal"
    journal = Journal(directory)
    for month in range(1, 12):
        old = add_session(journal, started=datetime(2025, month, 4, 9, 0, tzinfo=UTC))
        add_exercise(journal, old, [(3, 3)])
    started = datetime(2025, 12, 1, 0, 30, tzinfo=UTC)
    session = add_session(journal, started=started)
    add_measure(journal, 9, at=started - timedelta(hours=1), phase="before", session=session)
    add_measure(journal, 11, at=session.at + timedelta(minutes=1), phase="after", session=session)
    add_exercise(journal, session, [(2, 3), (1, 3)])
    counting = CountingJournal(directory)
    (row,) = session_rows(counting, last=1)
    assert row.exercise is not None and (row.exercise.done, row.exercise.planned) == (3, 6)
    assert row.measure is not None and (row.measure.before, row.measure.after) == (9.0, 11.0)
    assert set(counting.loads) == {"2025-12.toml", "2025-11.toml"}
