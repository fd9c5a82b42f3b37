"""The words every part of iastm-coach shares, named once: sides, places, moments and
durations, the soreness scale, and where a week starts.

A base module: only the stdlib is imported, so anything may use it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Final, Literal

# --- sides ----------------------------------------------------------------------------------

Side = Literal["left", "right", "none"]  # what a record says; none: a region without sides
LEFT: Final = "left"
RIGHT: Final = "right"
NO_SIDE: Final = "none"
BOTH: Final = "both"  # a choice meaning both sides, never recorded as such
BODY_SIDES: Final[tuple[Side, ...]] = ("left", "right")  # the sides of a sided region
RECORDED_SIDES: Final[tuple[Side, ...]] = ("left", "right", "none")


class SideChoice(StrEnum):
    """`--side` of `session` and `log`: one side, or both."""

    left = "left"
    right = "right"
    both = "both"


class MeasuredSide(StrEnum):
    """`--side` of `measure`: one side, or none for a region without sides."""

    left = "left"
    right = "right"
    none = "none"


def is_body_side(side: str) -> bool:
    """True for left and right; False for none (a region without sides)."""
    return side in BODY_SIDES


def sides_for(choice: str | None, *, sided: bool) -> list[Side]:
    """The sides a choice stands for: both (or no choice) is left then right; a region
    without sides has the one side 'none' (the caller refuses left or right for it)."""
    if not sided:
        return [NO_SIDE]
    if choice in (None, BOTH):
        return list(BODY_SIDES)
    if choice == LEFT:
        return [LEFT]
    if choice == RIGHT:
        return [RIGHT]
    raise ValueError(f"not a side: {choice!r}")


# --- places ---------------------------------------------------------------------------------


def place_label(region: str, side: str) -> str:
    """A place in lists and tables, region first: 'calf (left)', or 'neck'."""
    return f"{region} ({side})" if is_body_side(side) else region


# Region ids that do not read as a name in a sentence: a muscle group of a body part.
SPOKEN_REGIONS: Final[dict[str, str]] = {
    "forearm-extensors": "forearm (extensors)",
    "forearm-flexors": "forearm (flexors)",
}
PLURAL_REGIONS: Final = frozenset({"hamstrings", "quadriceps", "glutes"})


def place_phrase(region: str, side: str) -> str:
    """A place in a sentence: 'left calf', 'lower back' (dashes read as spaces), 'right
    forearm (extensors)' (a muscle group reads as its body part)."""
    name = SPOKEN_REGIONS.get(region, region.replace("-", " "))
    return f"{side} {name}" if is_body_side(side) else name


def is_are(region: str) -> str:
    """The verb a region takes: 'is' (the calf), 'are' (the hamstrings)."""
    return "are" if region in PLURAL_REGIONS else "is"


def sides_phrase(sides: Iterable[str]) -> str:
    """'left and right' (always in that order), 'left', or '' for a region without sides."""
    return " and ".join(side for side in BODY_SIDES if side in set(sides))


def places_label(region: str, sides: Iterable[str]) -> str:
    """Several sides of one region in a list: 'calf (left and right)', 'calf (left)', 'neck'."""
    named = sides_phrase(sides)
    return f"{region} ({named})" if named else region


# --- moments and durations --------------------------------------------------------------------

MINUTE: Final = timedelta(minutes=1)


def up_to_minute(moment: datetime) -> datetime:
    """*moment* rounded up to a whole minute: the time shown when something ends (a rest
    period, a follow-up window), so that at the minute shown it has surely ended."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + MINUTE


def until(end: datetime, now: datetime) -> timedelta:
    """The wait from *now* until *end* as people read it: from the minute shown for now
    to the minute shown for the end (`up_to_minute`), so 'in 5 h 6 min' and 'until 23:31'
    always agree. Zero when *end* has passed."""
    shown_now = now.replace(second=0, microsecond=0)
    return max(timedelta(0), up_to_minute(end) - shown_now)


def describe_wait(delta: timedelta) -> str:
    """'3 days 4 h', '5 h 10 min', '12 min': whole minutes, rounded up (never '0 min')."""
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' * (days != 1)}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


# Every view shows a moment in the UTC offset it was recorded in (the journal keeps it with
# each time, and the CSV says it in `utc_offset`): a session written at 09:05+01:00 reads
# 09:05 in history, the hold list, today, the report and the CSV alike, wherever and
# whenever they are read. Where that offset is not the one this computer's zone has at
# that instant (written while travelling, or under IASTM_COACH_NOW), it is labelled:
# '09:05 (UTC+01:00)'. Moments worked out from a record (a rest's end) keep its offset.


def as_recorded(moment: datetime) -> datetime:
    """*moment* in the offset it was recorded in (a naive one is taken as local time)."""
    return moment if moment.tzinfo is not None else moment.astimezone()


def zone_note(moment: datetime) -> str:
    """' (UTC+01:00)' when *moment*'s recorded offset is not this computer's offset at that
    instant; '' otherwise (the time needs no label)."""
    return _zone_note(as_recorded(moment))


def _zone_note(shown: datetime) -> str:
    offset = shown.utcoffset()
    if offset is None or offset == shown.astimezone().utcoffset():
        return ""
    return offset_label(offset)


@lru_cache(maxsize=64)
def offset_label(offset: timedelta) -> str:
    """' (UTC+01:00)': a journal holds a handful of offsets, each worked out once."""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f" (UTC{sign}{hours:02d}:{rest:02d})"


MINUTES: Final = "%Y-%m-%d %H:%M"  # the pattern of `moment_text` unless told otherwise


def moment_text(moment: datetime, pattern: str = MINUTES) -> str:
    """'2026-03-02 18:30' as recorded, with its offset where it needs one ('... (UTC+01:00)')."""
    shown = as_recorded(moment)
    if pattern == MINUTES and shown.year >= 1000:
        # What strftime writes for this pattern (four-digit years only), at a third of
        # its cost: `history` writes one for every session of a long journal.
        text = (
            f"{shown.year:04d}-{shown.month:02d}-{shown.day:02d}"
            f" {shown.hour:02d}:{shown.minute:02d}"
        )
    else:
        text = f"{shown:{pattern}}"
    return text + _zone_note(shown)


def day_text(moment: datetime) -> str:
    """'2026-03-02': the date as recorded (its own offset)."""
    return f"{as_recorded(moment):%Y-%m-%d}"


def describe_moment(moment: datetime, now: datetime, *, with_time: bool = True) -> str:
    """'today 18:30', 'tomorrow 09:00', 'yesterday', or 'Wed 4 Mar 18:30': the clock time
    as recorded (`as_recorded`, labelled where needed), the day word from now's date in
    that same offset."""
    local = as_recorded(moment)
    days = (local.date() - now.astimezone(local.tzinfo).date()).days
    clock = f" {local:%H:%M}{zone_note(moment)}" if with_time else ""
    if days == 0:
        return f"today{clock}"
    if days == 1:
        return f"tomorrow{clock}"
    if days == -1:
        return f"yesterday{clock}"
    year = f" {local.year}" if local.year != now.year else ""
    return f"{local:%a} {local.day} {local:%b}{year}{clock}"


def day_month(moment: datetime) -> str:
    """'4 Dec': a day in a sentence, on the date it was recorded (its own UTC offset)."""
    local = as_recorded(moment)
    return f"{local.day} {local:%b}"


def describe_end(end: datetime, now: datetime) -> str:
    """When something ends, rounded up to the minute: 'today 23:31', 'Wed 4 Mar 09:00'."""
    return describe_moment(up_to_minute(end), now)


def hours_since(moment: datetime, now: datetime) -> str:
    """'26 h' after *moment*, whole hours rounded down (how follow-ups are spoken of)."""
    return f"{math.floor((now - moment) / timedelta(hours=1))} h"


def plural(count: int, word: str) -> str:
    """'1 session', '3 sessions'."""
    return f"{count} {word}{'s' * (count != 1)}"


# --- typed numbers ---------------------------------------------------------------------------


def typed_number(text: str) -> float:
    """A number as a person types it, with a decimal point or a decimal comma ('9.5' or
    '9,5'), the same at every prompt and option. ValueError when it is not a number
    (thousands separators are not numbers here: '1,000.5' is refused)."""
    cleaned = text.strip()
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    return float(cleaned)


# --- the soreness scale -----------------------------------------------------------------------

# The 0-10 numeric rating scale and its bands (clinical reference, section 7).
SORENESS_LOW: Final = 0
SORENESS_HIGH: Final = 10
SORENESS_BANDS: Final[tuple[tuple[str, int, int], ...]] = (
    ("none", 0, 0),
    ("mild", 1, 3),
    ("moderate", 4, 6),
    ("severe", 7, 10),
)
SORENESS_ANCHORS: Final = ", ".join(
    f"{low} {name}" if low == high else f"{low}-{high} {name}" for name, low, high in SORENESS_BANDS
)  # "0 none, 1-3 mild, 4-6 moderate, 7-10 severe"
SORENESS_SCALE: Final = f"the 0-10 scale ({SORENESS_ANCHORS})"


def soreness_band(value: int) -> str:
    """'none', 'mild', 'moderate' or 'severe' for a 0-10 soreness."""
    for name, low, high in SORENESS_BANDS:
        if low <= value <= high:
            return name
    raise ValueError(f"soreness must be 0-10 (got {value})")


# --- weeks ----------------------------------------------------------------------------------


def monday_of(moment: datetime) -> date:
    """The Monday of the local week of *moment*: weeks run Monday to Sunday."""
    day = moment.astimezone().date()
    return day - timedelta(days=day.weekday())


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the week containing *now*, in *now*'s time zone."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=now.weekday())
