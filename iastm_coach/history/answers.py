"""Every answer to a follow-up, corrections included.

Answering a follow-up again does not replace the first answer: both stay in the
journal with their times, the later one naming the earlier in `corrects`. Readers
that need one value per follow-up (history, trend, the next dose) take the newest;
a report that shows the record in full lists both (`answers_by_follow_up`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iastm_coach.journal.store import Record


def answers_by_follow_up(checkins: Iterable[Record]) -> dict[int, list[Record]]:
    """{hours: every answer to that follow-up, oldest first} for one session's check-ins
    (in journal order); the last of each list counts, the others were corrected."""
    found: dict[int, list[Record]] = {}
    for checkin in checkins:
        found.setdefault(int(checkin.data.get("hours", 0)), []).append(checkin)
    return found


def newest_answers(checkins: Iterable[Record]) -> list[Record]:
    """The answer that counts for each follow-up, by follow-up."""
    return [answers[-1] for _, answers in sorted(answers_by_follow_up(checkins).items())]


def corrected_ids(checkins: Iterable[Record]) -> set[str]:
    """Ids of the answers a later answer corrects (shown as corrected, not counted)."""
    return {str(c.data["corrects"]) for c in checkins if c.data.get("corrects")}
