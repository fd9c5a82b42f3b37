"""Which follow-ups a session needs, which one to ask now, and the person's usual soreness.

Pure functions over check-in fields and hours, shared by `iastm-coach checkin`, the
reminders, `today` and the gate before a session. The clinical basis
(`clinical-reference.md` §3, §7, §8a):

- soreness usually peaks at 24-48 h and is falling by 72 h; soreness past about three
  days is outside the expected curve (Vickers 2001), and soreness that does not clear
  in a day or two means contacting a physician (HawkGrips);
- about 2 points on the 0-10 scale is the smallest meaningful change (Farrar 2001): one
  point is noise.

The schedule (hours after the session ended):

    24 h  always
    48 h  always
    72 h  when the latest answer up to 48 h is above the person's usual level for the
          region (their baseline, 0 until known), or "getting worse" was reported
    120 h "has it settled?" (answered from day 5 to day 7) when the 72 h answer is
          above the usual level, or "getting worse" was reported at 72 h

A follow-up never expires silently: when its window has passed unanswered and no later
follow-up is open, it stays due (answered late, for how it is now) until
`FOLLOW_UP_HORIZON` after the session. An earlier follow-up left behind by a later one
counts as missed, and a missed answer never counts as "no soreness" (`dose.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Final

WINDOWS: Final[dict[int, tuple[int, int]]] = {
    24: (20, 40),
    48: (40, 64),
    72: (64, 96),
    120: (120, 168),
}
"""Follow-up hours -> (opens, closes) in hours after the session ended."""

FOLLOW_UP_HORIZON: Final = timedelta(days=14)  # after this, the pre-session question is enough
UNSETTLED: Final = 4  # NRS 4-6 is moderate pain that interferes with daily life (§7)
SETTLED_MARGIN: Final = 1  # within 1 point of usual is settled (1 point is noise, §8a)


def answers_by_hours(checkins: Sequence[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """{follow-up hours: the last check-in answering it} (later answers count)."""
    found: dict[int, Mapping[str, Any]] = {}
    for item in checkins:
        hours = item.get("hours")
        if isinstance(hours, int) and isinstance(item.get("soreness"), int):
            found[hours] = item
    return found


def required_follow_ups(checkins: Sequence[Mapping[str, Any]], baseline: int = 0) -> list[int]:
    """The follow-ups this session needs, given the answers so far (see the schedule)."""
    answers = answers_by_hours(checkins)
    required = [24, 48]
    early = [h for h in (48, 24) if h in answers]
    if early:
        latest = answers[early[0]]
        above = int(latest["soreness"]) > baseline
        worse = any(bool(answers[h].get("worse")) for h in early)
        if not (above or worse):
            return required
        required.append(72)
        at_72 = answers.get(72)
        if at_72 is not None and (int(at_72["soreness"]) > baseline or at_72.get("worse")):
            required.append(120)
    return required


def answered_hours(checkins: Iterable[Mapping[str, Any]]) -> list[int]:
    """The follow-ups these check-ins close: an answer that left warning signs unasked
    (`not_asked`: cut short, or soreness only from a script) does not close its follow-up,
    since a swelling nobody asked about is unknown; it is asked again."""
    return [int(c.get("hours", 0)) for c in checkins if not c.get("not_asked")]


def follow_up_to_ask(
    required: Sequence[int], answered: Sequence[int], elapsed_hours: float
) -> int | None:
    """The follow-up to ask at *elapsed_hours* after the session, or None.

    The one whose window is open now, if it is needed and unanswered; else, when no
    needed window is open, the last needed follow-up whose window has opened, if it is
    still unanswered (a late answer: how it is now). None after `FOLLOW_UP_HORIZON`.
    """
    if elapsed_hours >= FOLLOW_UP_HORIZON / timedelta(hours=1):
        return None
    open_now = window_at(elapsed_hours)
    if open_now is not None and open_now in required:
        return None if open_now in answered else open_now
    opened = [h for h in required if WINDOWS[h][0] <= elapsed_hours]
    if opened and opened[-1] not in answered:
        return opened[-1]
    return None


def missed_follow_ups(
    required: Sequence[int], answered: Sequence[int], elapsed_hours: float
) -> list[int]:
    """Needed follow-ups whose window has closed unanswered."""
    return [h for h in required if h not in answered and WINDOWS[h][1] <= elapsed_hours]


def window_at(elapsed_hours: float) -> int | None:
    for hours, (opens, closes) in WINDOWS.items():
        if opens <= elapsed_hours < closes:
            return hours
    return None


def unsettled(checkins: Sequence[Mapping[str, Any]], baseline: int = 0) -> Mapping[str, Any] | None:
    """The latest answer when it has not settled, else None: the region waits until a
    later follow-up says it has. Not settled: still moderate or worse (4 or more), or,
    from 72 h on (past the expected curve), more than a point above the usual level."""
    answers = answers_by_hours(checkins)
    if not answers:
        return None
    hours = max(answers)
    latest = answers[hours]
    soreness = int(latest["soreness"])
    if soreness >= UNSETTLED or (hours >= 72 and soreness > baseline + SETTLED_MARGIN):
        return latest
    return None


def next_baseline(
    previous: int, checkins: Sequence[Mapping[str, Any]], *, complete: bool, held: bool
) -> int:
    """The usual soreness after a sitting: its last follow-up answer when the follow-ups
    are complete, no hold came of them and that answer is within `SETTLED_MARGIN` of
    the previous usual (a settled value); else the previous usual."""
    answers = answers_by_hours(checkins)
    if not complete or held or not answers:
        return previous
    last = int(answers[max(answers)]["soreness"])
    return last if last <= previous + SETTLED_MARGIN else previous


def above_usual_problem(soreness_before: int, baseline: int, *, region: str) -> str | None:
    """The pre-session gate's second half (§7): more than 2 points above usual."""
    if soreness_before <= baseline + 2:
        return None
    return (
        f"the {region} is {soreness_before}/10 before starting, more than 2 points above "
        f"your usual {baseline}/10 for it"
    )
