"""The schedule as an .ics file: it parses back with icalendar, every event has an alarm,
times are exact, and the same plan gives the same UIDs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar

from iastm_coach.plans.schedule import PlannedCheckin, PlannedSession, Schedule
from iastm_coach.views.calendar import to_ics

NOW = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)


def schedule(now: datetime = NOW) -> Schedule:
    session = PlannedSession(
        region="calf",
        at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC) + timedelta(hours=-1),
        minutes=12,
        week=date(2026, 3, 2),
        number=1,
        per_week=2,
        rest_hours=48,
    )
    checkin = PlannedCheckin(
        region="calf",
        place="calf (left and right)",
        hours=24,
        at=datetime(2026, 3, 3, 8, 6, 30, tzinfo=UTC),
        closes=datetime(2026, 3, 4, 0, 6, 30, tzinfo=UTC),
        sitting=("01A", "01B"),
    )
    return Schedule(
        now=now, until=now + timedelta(weeks=2), sessions=(session,), checkins=(checkin,)
    )


def events(payload: bytes) -> list[dict[str, Any]]:
    calendar = Calendar.from_ical(payload)
    found = []
    for event in calendar.walk("VEVENT"):
        alarms = event.walk("VALARM")
        found.append(
            {
                "uid": str(event["UID"]),
                "summary": str(event["SUMMARY"]),
                "start": event.decoded("DTSTART"),
                "length": event.decoded("DURATION"),
                "alarms": [(str(a["ACTION"]), a.decoded("TRIGGER")) for a in alarms],
                "description": str(event["DESCRIPTION"]),
                "sequence": int(event["SEQUENCE"]),
            }
        )
    return found


def test_the_calendar_parses_back_with_an_alarm_on_every_event() -> None:
    payload = to_ics(schedule())
    assert payload.startswith(b"BEGIN:VCALENDAR\r\n") and payload.endswith(b"END:VCALENDAR\r\n")
    calendar = Calendar.from_ical(payload)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"]).startswith("-//")
    session, checkin = events(payload)
    assert session["uid"] == "session-calf-20260302-1@iastm-coach"
    assert session["summary"] == "IASTM: calf session"
    assert session["start"] == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert session["length"] == timedelta(minutes=12)
    assert session["alarms"] == [("DISPLAY", timedelta(0))]
    assert "iastm-coach session calf" in str(session["description"])
    assert "1st of 2, week of 2 Mar" in str(session["description"])
    assert checkin["summary"] == "IASTM: calf (left and right) 24 h check-in"
    assert checkin["start"] == datetime(2026, 3, 3, 8, 6, tzinfo=UTC)
    assert checkin["alarms"] == [("DISPLAY", timedelta(0))]
    assert "iastm-coach checkin" in str(checkin["description"])
    assert "open until 2026-03-04 00:06 UTC" in str(checkin["description"])


def test_times_are_written_in_utc_whatever_the_clock_zone() -> None:
    """A clock at +10:00 writes the same instants, as UTC ('Z'), with no VTIMEZONE needed."""
    from datetime import timezone

    plus_10 = timezone(timedelta(hours=10))
    moved = schedule(NOW.astimezone(plus_10))
    payload = to_ics(moved)
    assert b"DTSTART:20260302T100000Z" in payload
    assert b"VTIMEZONE" not in payload


def test_the_same_plan_gives_the_same_uids_and_a_later_one_a_higher_sequence() -> None:
    first = events(to_ics(schedule()))
    again = events(to_ics(schedule(NOW + timedelta(hours=3))))
    assert [e["uid"] for e in again] == [e["uid"] for e in first]
    assert [e["sequence"] for e in again] == [e["sequence"] + 180 for e in first]


def test_an_empty_plan_is_still_a_valid_calendar() -> None:
    payload = to_ics(Schedule(now=NOW, until=NOW + timedelta(weeks=1)))
    assert Calendar.from_ical(payload).walk("VEVENT") == []
