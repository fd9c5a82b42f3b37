"""The schedule as an RFC 5545 calendar (.ics), with an alarm on every event.

Written with `icalendar` (imported here only, when a calendar is asked for).
Times are in UTC: every calendar shows them in the phone's own time zone, and
no VTIMEZONE needs to be made up for the fixed offset the clock gives.

Importing the file again updates the same events: each UID comes from what the
event is (a region's nth session of a given week; a sitting's 24/48/72 h
follow-up), not from its time, and SEQUENCE grows with the time the file was
made, so calendars take the newer copy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from icalendar import Event

    from iastm_coach.plans.schedule import PlannedCheckin, PlannedSession, Schedule

PRODID: Final = "-//iastm-coach//schedule//EN"
CALENDAR_NAME: Final = "iastm-coach"
CHECKIN_MINUTES: Final = 5


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _ordinal(number: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(number, f"{number}th")


def session_summary(item: PlannedSession) -> str:
    return f"IASTM: {item.region} session"


def session_detail(item: PlannedSession) -> str:
    """Which of the week's sessions it is: '2nd of 2, week of 2 Mar'."""
    return f"{_ordinal(item.number)} of {item.per_week}, week of {item.week.day} {item.week:%b}"


def checkin_summary(item: PlannedCheckin) -> str:
    return f"IASTM: {item.place} {item.hours} h check-in"


def to_ics(schedule: Schedule) -> bytes:
    """The calendar file's bytes (CRLF line endings, folded lines, as RFC 5545 says)."""
    from icalendar import Calendar

    stamp = _utc(schedule.now).replace(microsecond=0)
    sequence = int(stamp.timestamp()) // 60  # minutes: a later file always wins
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    for session in schedule.sessions:
        description = (
            f"Planned from your {session.region} protocol: {session.per_week} sessions a week, "
            f"at least {session.rest_hours} h apart ({session_detail(session)}).\n"
            f"Start it with: {session.command}\n"
            "The program checks the rest period and any hold before you start."
        )
        calendar.add_component(
            _event(
                session.uid,
                session_summary(session),
                description,
                session.at,
                timedelta(minutes=session.minutes),
                stamp,
                sequence,
            )
        )
    for checkin in schedule.checkins:
        closes = _utc(checkin.closes)
        description = (
            f"How is the {checkin.place} {checkin.hours} h after the session?\n"
            f"Answer with: iastm-coach checkin (open until {closes:%Y-%m-%d %H:%M} UTC)"
        )
        calendar.add_component(
            _event(
                checkin.uid,
                checkin_summary(checkin),
                description,
                checkin.at,
                timedelta(minutes=CHECKIN_MINUTES),
                stamp,
                sequence,
            )
        )
    payload: bytes = calendar.to_ical()
    return payload


def _event(
    uid: str,
    summary: str,
    description: str,
    start: datetime,
    length: timedelta,
    stamp: datetime,
    sequence: int,
) -> Event:
    from icalendar import Alarm, Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", sequence)
    event.add("dtstart", _utc(start).replace(second=0, microsecond=0))
    event.add("duration", length)
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", timedelta(0))
    event.add_component(alarm)
    return event
