"""Self-measured outcome tests: recording a value, and looking at the last few.

A measurement is a `measure` record (fields in `records.py`). `record_measure`
is the one writer: `iastm-coach measure` uses it with phase "standalone", and
the session with "before" and "after".

Values are bounded loosely, to catch typing mistakes rather than to judge:
-100 to 400 for distances and angles (cm, degrees: a sit-and-reach can be
negative), 0 to 10 for scores whose unit names the 0-10 scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from iastm_coach.errors import UsageError
from iastm_coach.journal import records

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record

PHASES: Final = ("before", "after", "standalone")
SIDES: Final = records.SIDES
RANGE_BOUNDS: Final = (-100.0, 400.0)
SCORE_BOUNDS: Final = (0.0, 10.0)
HISTORY_LOOKBACK: Final = timedelta(days=366)
"""How far back `recent_measures` looks for earlier values (context, not a report)."""


def is_score(unit: str) -> bool:
    """True for 0-10 scales ("0-10", "0–10", "pain 0-10")."""
    compact = unit.replace(" ", "").replace("\u2013", "-").replace("\u2014", "-")
    return "0-10" in compact


def value_bounds(unit: str) -> tuple[float, float]:
    """The lowest and highest value accepted for a test measured in *unit*."""
    return SCORE_BOUNDS if is_score(unit) else RANGE_BOUNDS


def check_value(value: float, unit: str) -> float:
    """*value* as a float, or UsageError (exit 2) when it is outside the test's bounds."""
    low, high = value_bounds(unit)
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        hint = (
            "Scores go from 0 (none) to 10 (the worst imaginable)."
            if is_score(unit)
            else "Check the number: distances in cm, angles in degrees."
        )
        raise UsageError(
            f"{number:g} is outside the range of this test, {low:g} to {high:g}", hint=hint
        )
    return number


def format_value(value: float, unit: str) -> str:
    """'9.5 cm', '4/10' for a 0-10 score."""
    if is_score(unit):
        return f"{value:g}/10"
    return f"{value:g} {unit}"


def record_measure(
    journal: Journal,
    *,
    region: str,
    side: str,
    test: str,
    unit: str,
    value: float,
    phase: str,
    session_id: str,
    at: datetime,
) -> Record:
    """Append one `measure` record and return it.

    *side* is "left", "right" or "none"; *phase* is "before", "after" or
    "standalone"; *session_id* is the session's id, or "" for a standalone
    measurement. A value outside `value_bounds(unit)` raises UsageError; a bad
    side or phase is a programming error (ValueError).
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)} (got {side!r})")
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)} (got {phase!r})")
    if not region or not test or not unit:
        raise ValueError("region, test and unit must not be empty")
    number = check_value(value, unit)
    return journal.append(
        records.MEASURE,
        {
            "region": region,
            "side": side,
            "test": test,
            "unit": unit,
            "value": number,
            "phase": phase,
            "session": session_id,
        },
        at=at,
    )


def recent_measures(
    journal: Journal,
    *,
    region: str,
    test: str,
    now: datetime,
    side: str | None = None,
    limit: int = 3,
) -> list[Record]:
    """The newest *limit* measurements of *test* on *region* (and *side*), newest first.

    Looks back at most `HISTORY_LOOKBACK` (a year), so the cost stays small.
    """
    found = journal.recent(kinds={records.MEASURE}, since=now - HISTORY_LOOKBACK)
    matching = [
        record
        for record in found
        if record.data.get("region") == region
        and record.data.get("test") == test
        and (side is None or record.data.get("side") == side)
    ]
    return matching[:limit]


def measure_value(record: Record) -> float | None:
    value = record.data.get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def describe_previous(records_: Sequence[Record], now: datetime) -> list[str]:
    """'9.5 cm on Tue 3 Mar (left, after a session)' lines, newest first."""
    from iastm_coach.vocabulary import describe_moment, is_body_side

    lines = []
    for record in records_:
        value = measure_value(record)
        if value is None:
            continue
        unit = str(record.data.get("unit", ""))
        side = str(record.data.get("side", "none"))
        phase = str(record.data.get("phase", "standalone"))
        notes = [side] if is_body_side(side) else []
        if phase in ("before", "after"):
            notes.append(f"{phase} a session")
        extra = f" ({', '.join(notes)})" if notes else ""
        when = describe_moment(record.at, now, with_time=False)
        on = "" if when in ("today", "yesterday") else "on "
        lines.append(f"{format_value(value, unit)} {on}{when}{extra}")
    return lines
