"""The plan ahead: planned sessions and due check-ins, for reminders in a calendar.

`plan_schedule` is pure: it takes each region's course (its protocol's rules and
prescription), the session and check-in records, the active holds and a `now`,
and returns a `Schedule`. It asks `today.plan_today` what today means for each
region (on hold, a protocol problem, resting until when, sittings this week),
so the plan follows the same rules as `iastm-coach today` and the session's
own gates, and only adds the placing of sessions in the weeks ahead:

- A region on hold, whose protocol cannot be read, without a weekly
  prescription, or whose course is over gets no sessions (and says why).
- The course runs `course_weeks` weeks from the week of the first session
  with this protocol (same id and version), or from this week when there is
  none yet.
- Sessions are spread over each week (a week is Monday to Sunday, as in
  `today`): at most `sessions_per_week` a week, counting the sittings already
  done, about 7 days / sessions_per_week apart, and never before the rest
  period after the previous one has ended (the previous planned session is
  taken to last its protocol's planned time).
- Regions that treat the same tissue (calf, Achilles and plantar fascia: their
  protocols' overlap links) share one rest clock, as the session gate counts it: a
  region's sessions are never placed inside the rest after an overlapping region's
  session, done or planned (regions are placed in turn; a later one fits around
  the sessions already placed), nor so close before one that its rest is cut short.
- Each one is at the same time of day, the one nearest that spacing: the time
  the region's latest session started (else any region's latest, else 18:00),
  unless given. When the rest period ends a little after that time,
  the session moves to the end of the rest (to the quarter hour).

A planned session's identity is its region, week and number in that week
("the 2nd calf session of the week of 2 March"): moving it to another day keeps
its calendar UID, so importing the calendar again updates it. Sittings already
done this week take the first numbers, so a done slot is left out.

Check-ins: every 24 h and 48 h follow-up (and 72 h and the day 5-7 one when the
earlier answers call for them, as `checkin` decides: `history/followups.py`) of
recent sessions that is not answered and whose window has not closed, one per
sitting (both sides together), at the nominal hour after the session ended.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final

from iastm_coach.history.followups import WINDOWS, answered_hours, required_follow_ups
from iastm_coach.history.queries import session_baseline, session_end, sitting_key
from iastm_coach.journal import records
from iastm_coach.plans.today import RegionRules, plan_today
from iastm_coach.safety.course import course_sessions
from iastm_coach.safety.rest import daily_cap_problem, rest_ready_at
from iastm_coach.safety.zones import overlapping
from iastm_coach.vocabulary import as_recorded, week_start

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.safety.holds import Hold

DEFAULT_WEEKS: Final = 2
MAX_WEEKS: Final = 12  # the longest course a protocol may prescribe
DEFAULT_TIME: Final = time(18, 0)  # before any session: an evening; `--at` changes it
NEAR_REST_END: Final = timedelta(hours=2)  # rest ends this soon after the usual time: same day
UID_DOMAIN: Final = "iastm-coach"


@dataclass(frozen=True)
class Course:
    """What the plan needs from a region's protocol."""

    rules: RegionRules
    course_weeks: int | None = None  # None: no prescription
    protocol_id: str = ""
    protocol_version: str = ""  # "" for a built-in: its updates do not start a new course
    issued_by: str = ""  # the clinician who issued it ("" for a built-in)
    session_minutes: int = 15  # the planned time, both sides of a sided region
    stroke_s: int = 0  # seconds of strokes planned (all sides): the daily cap counts these

    @property
    def region(self) -> str:
        return self.rules.region


@dataclass(frozen=True)
class PlannedSession:
    region: str
    at: datetime
    minutes: int
    week: date  # Monday of its week
    number: int  # 1 = the week's first sitting
    per_week: int
    rest_hours: int
    stroke_s: int = 0  # seconds of strokes planned, for the daily cap across regions

    @property
    def uid(self) -> str:
        return f"session-{self.region}-{self.week:%Y%m%d}-{self.number}@{UID_DOMAIN}"

    @property
    def command(self) -> str:
        return f"iastm-coach session {self.region}"


@dataclass(frozen=True)
class PlannedCheckin:
    region: str
    place: str  # "calf (left)", "calf (left and right)"
    hours: int
    at: datetime  # the nominal moment: `hours` after the session ended
    closes: datetime  # after this the follow-up is no longer asked
    sitting: tuple[str, ...]  # ids of every session of the sitting, answered or not

    @property
    def uid(self) -> str:
        # From the whole sitting, so the UID stays when one side is answered first.
        digest = hashlib.sha256("+".join(sorted(self.sitting)).encode()).hexdigest()[:16]
        return f"checkin-{digest}-{self.hours}h@{UID_DOMAIN}"


@dataclass(frozen=True)
class NotPlanned:
    region: str
    reason: str


@dataclass(frozen=True)
class Schedule:
    now: datetime
    until: datetime
    sessions: tuple[PlannedSession, ...] = ()
    checkins: tuple[PlannedCheckin, ...] = ()
    not_planned: tuple[NotPlanned, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.sessions or self.checkins or self.not_planned)


def plan_schedule(
    *,
    now: datetime,
    courses: Mapping[str, Course],
    sessions: Iterable[Record],
    checkins: Iterable[Record] = (),
    holds: Mapping[str, Hold] | None = None,
    problems: Mapping[str, str] | None = None,
    weeks: int = DEFAULT_WEEKS,
    time_of_day: time | None = None,
    reviews: Mapping[str, str] | None = None,
) -> Schedule:
    """Sessions and check-ins from *now* for *weeks* weeks.

    *reviews* maps regions whose course calls for a review with a clinician to the reason
    (`safety.course.review_due`, the session gate's own rule): nothing is booked for them.

    *sessions* are session records (at least the last 26 weeks, for the course
    start); *checkins* the check-in records of the recent ones; *problems* maps
    regions whose protocol could not be read to a message.
    """
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be from 1 to {MAX_WEEKS} (got {weeks})")
    session_list = [r for r in sessions if r.kind == records.SESSION]
    until = now + timedelta(weeks=weeks)
    today = plan_today(
        now=now,
        rules={region: course.rules for region, course in courses.items()},
        sessions=session_list,
        holds=holds,
        problems=problems,
        reviews=reviews,
    )
    placing: list[_Placing] = []
    skipped: list[NotPlanned] = []
    for status in today.regions:
        course = courses.get(status.region)
        if status.status == "on_hold" and status.hold is not None:
            since = as_recorded(status.hold.since)
            skipped.append(
                NotPlanned(
                    status.region,
                    f"on hold since {since:%a} {since.day} {since:%b}: see your clinician first",
                )
            )
            continue
        if status.status == "review" or (reviews and status.region in reviews):
            reason = (reviews or {}).get(status.region, status.note)
            skipped.append(
                NotPlanned(status.region, f"time to review with your clinician: {reason}")
            )
            continue
        if status.status == "problem" or course is None:
            skipped.append(NotPlanned(status.region, status.problem or "no protocol found"))
            continue
        per_week = course.rules.sessions_per_week
        if per_week is None or course.course_weeks is None:
            skipped.append(NotPlanned(status.region, "its protocol has no weekly prescription"))
            continue
        course_end = _course_start(course, session_list, now) + timedelta(weeks=course.course_weeks)
        if course_end <= now:
            last_day = course_end - timedelta(days=1)
            skipped.append(
                NotPlanned(
                    status.region,
                    f"the {course.course_weeks}-week course ended on "
                    f"{last_day:%a} {last_day.day} {last_day:%b}",
                )
            )
            continue
        own = [r for r in session_list if r.data.get("region") == status.region]
        placing.append(
            _Placing(
                course,
                until=min(until, course_end),
                last_started=max((_started(r) for r in own), default=None),
                last_ended=status.last_ended,
                done_this_week=status.sessions_this_week,
                clock_time=time_of_day or _usual_time(own, session_list, now),
                rested=status.until if status.status == "resting" else None,
            )
        )
    planned = _place_in_time_order(placing, now)
    return Schedule(
        now=now,
        until=until,
        sessions=tuple(sorted(planned, key=lambda s: (s.at, s.region))),
        checkins=tuple(plan_checkins(session_list, checkins, now=now, until=until)),
        not_planned=tuple(skipped),
    )


@dataclass
class _Placing:
    """A region being placed: what its sessions start from, and those placed so far."""

    course: Course
    until: datetime
    last_started: datetime | None
    last_ended: datetime | None
    done_this_week: int
    clock_time: time
    rested: datetime | None
    placed: list[PlannedSession] = field(default_factory=list)

    def next_session(
        self, now: datetime, busy: list[PlannedSession], same_days: list[PlannedSession]
    ) -> PlannedSession | None:
        """Its next session after those placed, fitting around *busy* (overlapping regions)
        and the daily cap with *same_days* (every other region's)."""
        found = _place_sessions(
            self.course,
            now=now,
            until=self.until,
            last_started=self.last_started,
            last_ended=self.last_ended,
            done_this_week=self.done_this_week,
            clock_time=self.clock_time,
            rested=self.rested,
            busy=busy,
            already=self.placed,
            same_days=same_days,
        )
        return found[len(self.placed)] if len(found) > len(self.placed) else None


def _place_in_time_order(placing: list[_Placing], now: datetime) -> list[PlannedSession]:
    """Every region's sessions, the earliest next session first: overlapping regions (one
    rest clock) then take turns, instead of the first region placed taking every slot."""
    while True:
        options = []
        for item in placing:
            busy = [
                session
                for other in placing
                if other is not item and _share_rest(item.course, other.course)
                for session in other.placed
            ]
            others = [s for other in placing if other is not item for s in other.placed]
            found = item.next_session(now, busy, others)
            if found is not None:
                options.append((found.at, found.region, found, item))
        if not options:
            return [session for item in placing for session in item.placed]
        *_, first, item = min(options, key=lambda option: option[:2])
        item.placed.append(first)


def _share_rest(course: Course, other: Course | None) -> bool:
    """Do two regions treat the same tissue (one rest clock)?"""
    mine, theirs = course.rules.links, other.rules.links if other else None
    return mine is not None and theirs is not None and overlapping(mine, theirs)


def _clash(
    at: datetime, length: timedelta, rest_hours: int, busy: Iterable[PlannedSession]
) -> datetime | None:
    """When a session at *at* clashes with a planned session of an overlapping region (it
    would start inside that one's rest, or that one inside its own), the first moment the
    session gate lets it start after that one (`rest.rest_ready_at`, its routine
    tolerance included); None when it fits."""
    for other in busy:
        other_end = other.at + timedelta(minutes=other.minutes)
        after = at >= rest_ready_at(other_end, rest_hours)
        before = other.at >= rest_ready_at(at + length, other.rest_hours)
        if not (after or before):
            return rest_ready_at(other_end, rest_hours)
    return None


def _course_start(course: Course, sessions: list[Record], now: datetime) -> datetime:
    """Monday 00:00 of the week of the current course's first session (the session gate's
    own reading, `safety.course.course_sessions`), else of this week."""
    own = sorted(
        (r for r in sessions if r.data.get("region") == course.region), key=_started, reverse=True
    )
    identity = (course.protocol_id, course.protocol_version, course.issued_by)
    found = course_sessions(own, identity)
    return week_start(min(_started(r) for r in found).astimezone(now.tzinfo) if found else now)


def _started(record: Record) -> datetime:
    value = record.data.get("started")
    return value if isinstance(value, datetime) else record.at


def _usual_time(own: list[Record], sessions: list[Record], now: datetime) -> time:
    """When the region's latest session started (else any region's), else `DEFAULT_TIME`."""
    for candidates in (own, sessions):
        if candidates:
            latest = max(_started(r) for r in candidates).astimezone(now.tzinfo)
            return time(latest.hour, latest.minute)
    return DEFAULT_TIME


def _place_sessions(
    course: Course,
    *,
    now: datetime,
    until: datetime,
    last_started: datetime | None,
    last_ended: datetime | None,
    done_this_week: int,
    clock_time: time,
    rested: datetime | None = None,
    busy: Iterable[PlannedSession] = (),
    already: list[PlannedSession] | None = None,
    same_days: Iterable[PlannedSession] = (),
) -> list[PlannedSession]:
    """The region's sessions from *now* to *until*. *rested*: when the session gate lets it
    start (`today`'s, counting overlapping regions' sessions done); *busy*: the planned
    sessions of overlapping regions, which share its rest clock; *already*: its own
    sessions placed so far, returned first as they are (then the next ones); *same_days*:
    every other region's planned sessions, whose strokes count toward the daily cap."""
    per_week = course.rules.sessions_per_week
    assert per_week is not None
    rest = timedelta(hours=course.rules.rest_hours)
    length = timedelta(minutes=course.session_minutes)
    spacing = max(rest, timedelta(days=7) / per_week)
    counts: dict[datetime, int] = {week_start(now): done_this_week}
    # allowed: the earliest a session may start (rest, full weeks); target: where the
    # spacing would put it, start to start.
    allowed = max(now, last_ended + rest) if last_ended is not None else now
    if rested is not None:
        allowed = max(allowed, rested)
    target = max(allowed, last_started + spacing) if last_started is not None else allowed
    others = list(busy)
    day_strokes: dict[date, int] = {}
    for other in same_days:
        day_strokes[other.at.date()] = day_strokes.get(other.at.date(), 0) + other.stroke_s
    placed: list[PlannedSession] = list(already or ())
    for earlier in placed:
        counts[week_start(earlier.at)] = counts.get(week_start(earlier.at), 0) + 1
        allowed = earlier.at + length + rest
        target = earlier.at + spacing
    while True:
        at = _at_usual_time(max(allowed, target), allowed, clock_time)
        week = week_start(at)
        if at >= until:
            return placed
        clash = _clash(at, length, course.rules.rest_hours, others)
        if clash is not None:  # not before the rest after that session
            allowed = max(allowed, clash)
            target = max(target, allowed)
            continue
        if counts.get(week, 0) >= per_week:
            # This week is full: not before next week (a hard limit, like the rest).
            allowed = max(allowed, week + timedelta(days=7))
            target = max(target, allowed)
            continue
        if daily_cap_problem(day_strokes.get(at.date(), 0), course.stroke_s):
            # Other regions take the day's strokes (the session gate's daily cap): next day.
            allowed = max(
                allowed, datetime.combine(at.date() + timedelta(days=1), time(), at.tzinfo)
            )
            target = max(target, allowed)
            continue
        counts[week] = counts.get(week, 0) + 1
        placed.append(
            PlannedSession(
                region=course.region,
                at=at,
                minutes=course.session_minutes,
                week=week.date(),
                number=counts[week],
                per_week=per_week,
                rest_hours=course.rules.rest_hours,
                stroke_s=course.stroke_s,
            )
        )
        allowed = at + length + rest
        target = at + spacing


def _at_usual_time(moment: datetime, allowed: datetime, clock_time: time) -> datetime:
    """The *clock_time* nearest to *moment* (the earlier of two equally near), unless the rest
    period is not over by then: then *clock_time* on the day the rest ends, or the end of the
    rest rounded up to a quarter hour when that is soon after, or else the next day."""
    base = moment.replace(hour=clock_time.hour, minute=clock_time.minute, second=0, microsecond=0)
    options = [base + timedelta(days=days) for days in (-1, 0, 1)]
    at = min(options, key=lambda option: (abs(option - moment), option))
    if at >= allowed:
        return at
    on_the_day = allowed.replace(
        hour=clock_time.hour, minute=clock_time.minute, second=0, microsecond=0
    )
    if on_the_day >= allowed:
        return on_the_day
    if allowed - on_the_day <= NEAR_REST_END:
        quarter = timedelta(minutes=15)
        since_midnight = allowed - allowed.replace(hour=0, minute=0, second=0, microsecond=0)
        return allowed + (-since_midnight % quarter)
    return on_the_day + timedelta(days=1)


def plan_checkins(
    sessions: Iterable[Record], checkins: Iterable[Record], *, now: datetime, until: datetime
) -> list[PlannedCheckin]:
    """Follow-ups not yet answered whose window is still open or ahead, one per sitting."""
    answers: dict[str, list[Record]] = {}
    for record in checkins:
        if record.kind == records.CHECKIN:
            answers.setdefault(str(record.data.get("session", "")), []).append(record)
    sittings: dict[tuple[str, str], list[Record]] = {}
    for session in sessions:
        sittings.setdefault(sitting_key(session), []).append(session)
    planned: list[PlannedCheckin] = []
    for (region, _), members in sittings.items():
        ended = max(session_end(s) for s in members)
        if ended + timedelta(hours=max(closes for _, closes in WINDOWS.values())) <= now:
            continue  # every window has closed
        for hours, (_, closes_after) in WINDOWS.items():
            closes = ended + timedelta(hours=closes_after)
            at = ended + timedelta(hours=hours)
            if closes <= now or at >= until:
                continue
            waiting = [s for s in members if _open_for(s, hours, answers.get(s.id, []))]
            if not waiting:
                continue
            sides = sorted({str(s.data.get("side", "none")) for s in waiting} - {"none"})
            planned.append(
                PlannedCheckin(
                    region=region,
                    place=f"{region} ({' and '.join(sides)})" if sides else region,
                    hours=hours,
                    at=at,
                    closes=closes,
                    sitting=tuple(sorted(s.id for s in members)),
                )
            )
    return sorted(planned, key=lambda c: (c.at, c.region))


def _open_for(session: Record, hours: int, answered: list[Record]) -> bool:
    """Whether *session* still waits for its *hours* follow-up."""
    if hours in answered_hours(c.data for c in answered):
        return False
    return hours in required_follow_ups([c.data for c in answered], session_baseline(session))


CourseFor = Callable[[str], Course]


def gather_schedule(
    journal: Journal,
    now: datetime,
    *,
    course_for: CourseFor,
    installed: Iterable[str] = (),
    weeks: int = DEFAULT_WEEKS,
    time_of_day: time | None = None,
    review_for: Callable[[str], str | None] | None = None,
) -> Schedule:
    """Read what the plan needs, as `today.gather_today` does, and build it.

    *course_for* returns a region's course (from its installed or built-in
    protocol) and raises `CoachError` when it cannot; that region is then
    listed as not planned, with the message.
    """
    from iastm_coach.errors import CoachError
    from iastm_coach.history.queries import LOOK_BACK
    from iastm_coach.plans.today import regions_in_use
    from iastm_coach.safety.holds import active_holds

    in_use = regions_in_use(journal, now, installed=installed)
    holds = active_holds(journal)
    courses: dict[str, Course] = {}
    problems: dict[str, str] = {}
    reviews: dict[str, str] = {}
    for region in sorted(in_use.regions | set(holds)):
        try:
            courses[region] = course_for(region)
            reason = review_for(region) if review_for else None
        except CoachError as error:
            problems[region] = error.message
            continue
        if reason:
            reviews[region] = reason
    return plan_schedule(
        now=now,
        courses=courses,
        sessions=in_use.sessions,
        checkins=journal.recent(kinds={records.CHECKIN}, since=now - LOOK_BACK),
        holds=holds,
        problems=problems,
        weeks=weeks,
        time_of_day=time_of_day,
        reviews=reviews,
    )
