"""The plan ahead, as stories on a fake clock: a new course, a week with a session done,
a hold, the end of a course, check-ins after a session, and planning again later.

Times: Monday 2 March 2026 is the start of a week (UTC throughout). The calf protocol
here asks for 2 sessions a week, 48 h apart, for 4 weeks; a session lasts 10 minutes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.journal.store import Journal, Record
from iastm_coach.plans.schedule import (
    Course,
    PlannedSession,
    Schedule,
    gather_schedule,
    plan_schedule,
)
from iastm_coach.plans.today import RegionRules
from iastm_coach.safety.holds import active_holds
from tests.builders import add_checkin, add_hold, add_session, make_journal

MONDAY = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)


def course(region: str = "calf", *, per_week: int | None = 2, rest: int = 48, weeks: int = 4):
    return Course(
        rules=RegionRules(region, rest_hours=rest, sessions_per_week=per_week),
        course_weeks=weeks if per_week is not None else None,
        protocol_id=region,
        protocol_version="",  # a built-in, as gather makes it (its sessions: builders' stamp)
        session_minutes=10,
    )


def records_of(journal: Journal) -> list[Record]:
    return journal.recent(since=MONDAY - timedelta(weeks=30))


def plan(journal: Journal, now: datetime, **options: object) -> Schedule:
    options.setdefault("courses", {"calf": course()})
    found = records_of(journal)
    return plan_schedule(
        now=now,
        sessions=[r for r in found if r.kind == "session"],
        checkins=[r for r in found if r.kind == "checkin"],
        holds=active_holds(journal),
        **options,  # type: ignore[arg-type]
    )


def times(items: tuple[PlannedSession, ...]) -> list[str]:
    return [f"{s.at:%a %d %H:%M} #{s.number}" for s in items]


def test_a_new_course_two_a_week_spread_over_the_week(tmp_path: Path) -> None:
    """Nothing done yet at 09:10 on Monday: today at 18:00, then 3.5 days apart at the same
    time of day, two a week, for the two weeks asked."""
    schedule = plan(make_journal(tmp_path), MONDAY)
    assert times(schedule.sessions) == [
        "Mon 02 18:00 #1",
        "Thu 05 18:00 #2",
        "Mon 09 18:00 #1",
        "Thu 12 18:00 #2",
    ]
    assert schedule.until == MONDAY + timedelta(weeks=2)
    assert schedule.checkins == () and schedule.not_planned == ()


def test_a_week_with_one_session_done_waits_for_the_rest_and_keeps_the_usual_time(
    tmp_path: Path,
) -> None:
    """A calf session on Monday at 18:00: the 2nd of the week is Thursday at 18:00 (spread,
    and well past the 48 h rest), then Monday and Thursday; the session's own slot is not
    planned."""
    journal = make_journal(tmp_path)
    add_session(journal, started=datetime(2026, 3, 2, 18, 0, tzinfo=UTC), minutes=6)
    schedule = plan(journal, datetime(2026, 3, 3, 12, 0, tzinfo=UTC))
    assert times(schedule.sessions) == [
        "Thu 05 18:00 #2",
        "Mon 09 18:00 #1",
        "Thu 12 18:00 #2",
        "Mon 16 18:00 #1",
    ]
    assert schedule.sessions[0].uid == "session-calf-20260302-2@iastm-coach"


def test_rest_is_never_shortened_when_the_usual_time_comes_too_soon(tmp_path: Path) -> None:
    """Three a week with 48 h rest, last session Monday 18:00-18:06: Wednesday 18:00 is too
    early (rest ends 18:06), so the session is at 18:15, the next quarter hour."""
    journal = make_journal(tmp_path)
    add_session(journal, started=datetime(2026, 3, 2, 18, 0, tzinfo=UTC), minutes=6)
    schedule = plan(
        journal,
        datetime(2026, 3, 3, 12, 0, tzinfo=UTC),
        courses={"calf": course(per_week=3)},
        weeks=1,
    )
    assert times(schedule.sessions)[0] == "Wed 04 18:15 #2"
    ends = [datetime(2026, 3, 2, 18, 6, tzinfo=UTC)]
    for session in schedule.sessions:
        assert session.at - ends[-1] >= timedelta(hours=48)
        ends.append(session.at + timedelta(minutes=session.minutes))


def test_a_week_already_done_starts_next_week(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    add_session(journal, started=datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    add_session(journal, started=datetime(2026, 3, 5, 7, 0, tzinfo=UTC))
    schedule = plan(journal, datetime(2026, 3, 7, 12, 0, tzinfo=UTC), weeks=1)
    assert times(schedule.sessions) == ["Mon 09 07:00 #1", "Thu 12 07:00 #2"]


def test_a_region_on_hold_gets_no_sessions_others_do(tmp_path: Path) -> None:
    """Bruising put the calf on hold: no calf sessions until the hold is lifted (and it says
    why); the hamstrings go on as planned; the calf's check-ins are still due."""
    journal = make_journal(tmp_path)
    calf = add_session(journal, started=MONDAY - timedelta(hours=2))
    add_hold(journal, region="calf", rule="bruising", at=MONDAY - timedelta(hours=1))
    schedule = plan(journal, MONDAY, courses={"calf": course(), "hamstrings": course("hamstrings")})
    assert {s.region for s in schedule.sessions} == {"hamstrings"}
    (skipped,) = schedule.not_planned
    assert (skipped.region, skipped.reason) == (
        "calf",
        "on hold since Mon 2 Mar: see your clinician first",
    )
    assert [c.hours for c in schedule.checkins] == [24, 48]
    assert all(c.sitting == (calf.id,) for c in schedule.checkins)


def test_the_course_ends_after_its_weeks(tmp_path: Path) -> None:
    """A 4-week course begun in the week of 2 March plans nothing from 30 March; in its last
    week it plans only up to the Sunday."""
    journal = make_journal(tmp_path)
    add_session(journal, started=datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    last_week = plan(journal, datetime(2026, 3, 24, 12, 0, tzinfo=UTC), weeks=3)
    assert times(last_week.sessions) == ["Tue 24 18:00 #1", "Fri 27 18:00 #2"]
    over = plan(journal, datetime(2026, 3, 30, 8, 0, tzinfo=UTC))
    assert over.sessions == ()
    (skipped,) = over.not_planned
    assert skipped.reason == "the 4-week course ended on Sun 29 Mar"


def test_a_new_protocol_version_starts_a_new_course(tmp_path: Path) -> None:
    """Sessions under version 1.0 long ago do not end the course of the physio's version 2."""
    journal = make_journal(tmp_path)
    add_session(journal, started=datetime(2026, 1, 5, 18, 0, tzinfo=UTC))
    renewed = Course(
        rules=RegionRules("calf", 48, 2), course_weeks=4, protocol_id="calf", protocol_version="2"
    )
    schedule = plan(journal, MONDAY, courses={"calf": renewed})
    assert len(schedule.sessions) == 4 and schedule.not_planned == ()


def test_the_course_start_is_the_session_gates(tmp_path: Path) -> None:
    """January under a physio's file (issued by Dr X), then the built-in from 16 March:
    the built-in's course began on 16 March, for the calendar as for `today` and the
    session gate (it counted every calf session ever, and said the course was over)."""
    from iastm_coach.journal.sessions import ProtocolStamp
    from tests.builders import BUILT_IN_STAMP

    journal = make_journal(tmp_path)
    physio = ProtocolStamp("calf", "2", "installed", "cd" * 32, issued_by="Dr X")
    for week in range(8):
        started = datetime(2026, 1, 5, 18, 0, tzinfo=UTC) + timedelta(weeks=week)
        add_session(journal, started=started, protocol=physio)
    add_session(journal, started=datetime(2026, 3, 16, 18, 0, tzinfo=UTC), protocol=BUILT_IN_STAMP)
    schedule = plan(journal, datetime(2026, 3, 18, 9, 0, tzinfo=UTC), courses={"calf": course()})
    assert schedule.not_planned == () and schedule.sessions


def test_no_prescription_or_no_protocol_is_said_not_planned(tmp_path: Path) -> None:
    schedule = plan_schedule(
        now=MONDAY,
        courses={"calf": course(per_week=None)},
        sessions=[],
        problems={"neck": "the protocol file is damaged"},
    )
    assert schedule.sessions == ()
    assert [(n.region, n.reason) for n in schedule.not_planned] == [
        ("calf", "its protocol has no weekly prescription"),
        ("neck", "the protocol file is damaged"),
    ]


def test_check_ins_24_and_48_hours_after_a_sitting_one_per_sitting(tmp_path: Path) -> None:
    """Both calves at one sitting ending 18:06: one 24 h and one 48 h check-in for the
    sitting, at 18:06 the next days; none at 72 h (soreness has not called for one)."""
    journal = make_journal(tmp_path)
    start = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    left = add_session(journal, side="left", started=start, group="g1")
    right = add_session(journal, side="right", started=start, group="g1")
    schedule = plan(journal, start + timedelta(hours=1))
    assert [(c.place, c.hours, f"{c.at:%a %H:%M}") for c in schedule.checkins] == [
        ("calf (left and right)", 24, "Tue 18:06"),
        ("calf (left and right)", 48, "Wed 18:06"),
    ]
    assert schedule.checkins[0].closes == start + timedelta(minutes=6, hours=40)
    uids = [c.uid for c in schedule.checkins]

    # The left side answered at 24 h with moderate soreness: the right still waits for 24 h,
    # under the same event; the left now also needs a 72 h follow-up.
    add_checkin(journal, left, hours=24, soreness=5)
    later = plan(journal, start + timedelta(hours=25))
    assert [(c.place, c.hours) for c in later.checkins] == [
        ("calf (right)", 24),
        ("calf (left and right)", 48),
        ("calf (left)", 72),
    ]
    assert [c.uid for c in later.checkins][:2] == uids

    add_checkin(journal, right, hours=24, soreness=0)  # back to usual: no 72 h for it
    assert [(c.place, c.hours) for c in plan(journal, start + timedelta(hours=26)).checkins] == [
        ("calf (left and right)", 48),
        ("calf (left)", 72),
    ]


def test_a_check_in_cut_short_stays_in_the_calendar(tmp_path: Path) -> None:
    """A 24 h answer whose warning signs were never asked (Ctrl-D after the soreness) does
    not close the 24 h follow-up, in the calendar as in `checkin` and the session gate:
    the calendar listed only 48 h, while everything else still asked for the 24 h."""
    from iastm_coach.journal import records
    from tests.builders import example

    journal = make_journal(tmp_path)
    start = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    session = add_session(journal, side="left", started=start)
    data = example(records.CHECKIN, session=session.id, hours=24, soreness=0)
    signs = ["bruising", "numbness", "swelling", "worse"]
    for sign in signs:
        data.pop(sign, None)
    journal.append(records.CHECKIN, {**data, "not_asked": signs}, at=start + timedelta(hours=25))
    schedule = plan(journal, start + timedelta(hours=26))
    assert [c.hours for c in schedule.checkins] == [24, 48]


def test_closed_windows_are_not_planned(tmp_path: Path) -> None:
    """A follow-up whose window has passed is no longer asked, so no reminder either."""
    journal = make_journal(tmp_path)
    add_session(journal, started=datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    schedule = plan(journal, datetime(2026, 3, 4, 11, 0, tzinfo=UTC))  # 41 h after
    assert [c.hours for c in schedule.checkins] == [48]


def test_planning_again_keeps_every_uid_and_drops_what_was_done(tmp_path: Path) -> None:
    """Run on Monday, then on Friday after doing the planned Thursday session a day late:
    the sessions still ahead keep their UIDs (a moved one too); the done one is gone."""
    journal = make_journal(tmp_path)
    first = plan(journal, MONDAY)
    again = plan(journal, MONDAY + timedelta(minutes=30))
    assert [s.uid for s in again.sessions] == [s.uid for s in first.sessions]

    add_session(journal, started=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    add_session(journal, started=datetime(2026, 3, 6, 10, 0, tzinfo=UTC))
    later = plan(journal, datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    assert [s.uid for s in later.sessions][:2] == [s.uid for s in first.sessions][2:]
    assert times(later.sessions)[:2] == ["Mon 09 10:00 #1", "Thu 12 10:00 #2"]


def test_a_late_evening_first_run_plans_an_evening_not_midnight(tmp_path: Path) -> None:
    """Before any session there is no usual time: 18:00, the next day when it has passed."""
    schedule = plan(make_journal(tmp_path), datetime(2026, 3, 2, 23, 30, tzinfo=UTC), weeks=1)
    assert times(schedule.sessions) == ["Tue 03 18:00 #1", "Fri 06 18:00 #2", "Mon 09 18:00 #1"]


def test_a_time_of_day_can_be_chosen(tmp_path: Path) -> None:
    schedule = plan(make_journal(tmp_path), MONDAY, time_of_day=time(19, 30), weeks=1)
    assert times(schedule.sessions) == ["Mon 02 19:30 #1", "Thu 05 19:30 #2"]


def test_weeks_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="weeks must be from 1 to 12"):
        plan_schedule(now=MONDAY, courses={}, sessions=[], weeks=13)


def test_gather_reads_the_journal_like_today(tmp_path: Path) -> None:
    """The journal's regions in use, holds and recent check-ins, with each course looked up."""
    journal = make_journal(tmp_path)
    add_session(journal, region="calf", started=MONDAY - timedelta(days=3))
    add_session(journal, region="neck", started=MONDAY - timedelta(days=3))
    asked: list[str] = []

    def course_for(region: str) -> Course:
        asked.append(region)
        if region == "neck":
            from iastm_coach.errors import DataFileError

            raise DataFileError("neck.toml is damaged")
        return course(region)

    schedule = gather_schedule(journal, MONDAY, course_for=course_for, installed=["glutes"])
    assert sorted(asked) == ["calf", "glutes", "neck"]
    assert {s.region for s in schedule.sessions} == {"calf", "glutes"}
    assert [(n.region, n.reason) for n in schedule.not_planned] == [
        ("neck", "neck.toml is damaged")
    ]


@settings(max_examples=60, deadline=None)
@given(
    per_week=st.integers(1, 3),
    rest=st.integers(24, 96),
    done=st.lists(st.integers(0, 24 * 14), max_size=4),
    offset=st.integers(0, 24 * 7 - 1),
)
def test_every_plan_keeps_the_rest_and_the_weekly_count(
    per_week: int, rest: int, done: list[int], offset: int
) -> None:
    """Whatever was done before: never two sessions closer than the rest period, never more
    in a week than prescribed (counting the ones done), never before now."""
    from tests.builders import PLUS_10  # a time zone that is not UTC

    base = datetime(2026, 3, 2, 0, 0, tzinfo=PLUS_10)
    now = base + timedelta(days=14, hours=offset)
    sessions = [
        _session(base + timedelta(hours=h), n)
        for n, h in enumerate(sorted(done))
        if base + timedelta(hours=h) < now
    ]
    schedule = plan_schedule(
        now=now,
        courses={"calf": course(per_week=per_week, rest=rest, weeks=12)},
        sessions=sessions,
        weeks=4,
    )
    ends = [_end(s) for s in sessions]
    per_week_count: dict[date, int] = {}
    for s in sessions:
        monday = _start(s).date() - timedelta(days=_start(s).weekday())
        per_week_count[monday] = per_week_count.get(monday, 0) + 1
    for planned in schedule.sessions:
        assert planned.at >= now
        if ends:
            assert planned.at - max(ends) >= timedelta(hours=rest)
        ends.append(planned.at + timedelta(minutes=planned.minutes))
        per_week_count[planned.week] = per_week_count.get(planned.week, 0) + 1
        assert per_week_count[planned.week] <= per_week
        assert planned.number == per_week_count[planned.week]
    assert len({s.uid for s in schedule.sessions}) == len(schedule.sessions)


def _session(started: datetime, number: int) -> Record:
    """A session record (one sitting of its own) as the journal reads it back."""
    ended = started + timedelta(minutes=6)
    data = {"region": "calf", "side": "left", "group": f"g{number}"}
    data |= {"started": started, "ended": ended, "protocol_id": "calf", "protocol_version": "1.0"}
    return Record("session", f"ID{number}", ended, 1, data)


def _start(record: Record) -> datetime:
    value = record.data["started"]
    assert isinstance(value, datetime)
    return value


def _end(record: Record) -> datetime:
    value = record.data["ended"]
    assert isinstance(value, datetime)
    return value


def test_regions_on_one_day_stay_within_the_daily_cap(tmp_path: Path) -> None:
    """Four regions of 4 min of strokes each, none overlapping, all new on Monday: three
    fit the day's 15 min (12 min), the fourth goes to the next day; the session gate would
    refuse it on the day ('over the 15 min a day for all regions')."""
    from dataclasses import replace

    regions = ("calf", "neck", "forearm-flexors", "quadriceps")
    courses = {r: replace(course(r), stroke_s=240) for r in regions}
    schedule = plan(make_journal(tmp_path), MONDAY, courses=courses)
    by_day: dict[date, int] = {}
    for planned in schedule.sessions:
        by_day[planned.at.date()] = by_day.get(planned.at.date(), 0) + planned.stroke_s
    assert max(by_day.values()) <= 15 * 60
    first_day = min(s.at.date() for s in schedule.sessions)
    assert len([s for s in schedule.sessions if s.at.date() == first_day]) == 3
    assert {s.region for s in schedule.sessions} == set(regions), "every region is planned"
