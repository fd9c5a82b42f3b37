"""Limits no override can pass: the rest floor, one early session per rest window, the
weekly prescription and a daily total of scraping time.

Pure functions over plain values (durations, counts), so each limit is tested on its
own; `gates.py` reads the journal and asks the person. The sources:

- `REST_FLOOR`: 24 h is the shortest rest the protocol format allows (its own lower
  bound, `rest_hours` 24-336); the reference's default is 48 h between sessions on the
  same area (clinical reference §2, Old Bridge PT; Twisted Chiro). `--override-rest`
  may shorten the rest to the floor, never below it.
- One override per rest window (a conservative default): an early session starts a new
  rest window that must be waited out in full, so overrides cannot chain into daily
  sessions.
- The weekly prescription (`prescription.sessions_per_week`) is a clinician's decision:
  it is enforced without an override. A clinician who wants more issues a protocol that
  says so (a conservative default; the reference gives 1-2 a week, §2).
- `ROUTINE_TOLERANCE`: a session may start up to 2 h before the rest period is over, never
  before the floor. A usability tolerance, NOT a conservative default: it loosens the
  sourced 48 h (§2) a little, reading the sources' "48 h between sessions" as two days
  apart at the same time of day, so a same-time-of-day routine is not refused by "5 min
  to go", which only teaches people to reach for `--override-rest` (asked for by the
  physio's issue).
  `rest_ready_at` is the one place it is applied: the rest gate, `today` and the
  report's deviations all ask it.
- `DAILY_CAP_MINUTES`: 15 min of strokes a day across all regions, the top of the
  reference's 10-15 min session range (§2: 8 min, Schaefer & Sandrey 2012; about
  10 min, Centeno-Schultz) and the clinicians' mean total of 14.5 min (§8e, Cheatham
  2021 survey).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final

from iastm_coach.vocabulary import week_start

REST_FLOOR: Final = timedelta(hours=24)
ROUTINE_TOLERANCE: Final = timedelta(hours=2)
DAILY_CAP_MINUTES: Final = 15
CLINICIAN_QUESTION: Final = "Did your clinician tell you to treat this region sooner?"


def floor_problem(since_last: timedelta, *, region: str, last_region: str) -> str | None:
    """Why an override cannot be used yet: less than `REST_FLOOR` since the last session."""
    if since_last >= REST_FLOOR:
        return None
    which = "" if last_region == region else f" of the {last_region} (the same tissue)"
    return (
        f"the {region} cannot be treated again within {REST_FLOOR.total_seconds() / 3600:.0f} h"
        f" of the last session{which}, even with --override-rest"
    )


def repeat_override_problem(last_was_early: bool, *, region: str) -> str | None:
    """One override per rest window: the session after an early one waits the full rest."""
    if not last_was_early:
        return None
    return (
        f"the last {region} session was already early (--override-rest); this one must wait "
        "for the full rest period"
    )


def week_problem(sittings: int, per_week: int | None, *, region: str) -> str | None:
    """The prescription's sessions a week are done (a sitting of both sides counts once)."""
    if per_week is None or sittings < per_week:
        return None
    return (
        f"the {region} has had {sittings} of {per_week} prescribed sessions this week "
        "(Monday to Sunday)"
    )


def daily_cap_problem(done_s: int, planned_s: int) -> str | None:
    """Today's strokes, all regions together, may not go over `DAILY_CAP_MINUTES`."""
    cap = DAILY_CAP_MINUTES * 60
    if done_s + planned_s <= cap:
        return None
    left = max(0, cap - done_s)
    return (
        f"this session ({_minutes(planned_s)}) would take today's scraping to "
        f"{_minutes(done_s + planned_s)}, over the {DAILY_CAP_MINUTES} min a day for all "
        f"regions together ({_minutes(left)} left today)"
    )


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s"


def rest_ready_at(last_ended: datetime, rest_hours: int) -> datetime:
    """The first moment a region may be treated again after a session that ended at
    *last_ended*: the rest period less `ROUTINE_TOLERANCE`, but never less than
    `REST_FLOOR` (a 24 h rest has no tolerance)."""
    rest = timedelta(hours=rest_hours)
    return last_ended + max(rest - ROUTINE_TOLERANCE, min(rest, REST_FLOOR))


def week_reopens(
    now: datetime, *, sittings_this_week: int, per_week: int | None
) -> datetime | None:
    """Monday 00:00 of next week when this week's prescribed sittings are done, else None."""
    if per_week is None or sittings_this_week < per_week:
        return None
    return week_start(now) + timedelta(days=7)


def earliest_start(
    rest_ready: datetime | None, *, sittings_this_week: int, per_week: int | None, now: datetime
) -> datetime | None:
    """The first moment the region may be treated again, as the session gate decides it:
    the end of the rest (*rest_ready*, from `rest_ready_at`, its tolerance included) and,
    when this week's prescribed sittings are done, next Monday, whichever is later. None:
    nothing waits. `today`, `schedule`, the aftercare's "Next session" and the line after
    a session stopped early all name this moment."""
    moments = [
        moment
        for moment in (
            rest_ready,
            week_reopens(now, sittings_this_week=sittings_this_week, per_week=per_week),
        )
        if moment is not None and moment > now
    ]
    return max(moments, default=None)


def whole_minutes_up(delta: timedelta) -> int:
    """A wait in whole minutes, rounded up (1 min for any wait under a minute): the one
    rounding of every "N min to go" and of the clock time it names."""
    return max(1, math.ceil(delta.total_seconds() / 60))
