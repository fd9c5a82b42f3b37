"""`iastm-coach log REGION`: record a session done without the timer.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer

from iastm_coach.commands.common import (
    SORENESS_ANCHORS,
    check_note,
    check_soreness,
    open_journal,
    print_reminder,
    show_flags,
)
from iastm_coach.commands.protocol_cmd import complete_region

MAX_LOG_MINUTES = 60.0


class LogSide(StrEnum):
    left = "left"
    right = "right"
    both = "both"


def parse_when(text: str, now: dt.datetime) -> dt.datetime:
    from iastm_coach.errors import UsageError

    raw = text.strip()
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(
            f"--when must be a date and time like '2026-03-02 18:30' (got '{text}')",
            hint="A UTC offset may follow, e.g. '2026-03-02T18:30+01:00'; without one, local time.",
        ) from None
    if len(raw) == 10:  # a date only: midday
        moment = moment.replace(hour=12)
    moment = moment.astimezone() if moment.tzinfo is None else moment
    if moment > now + dt.timedelta(minutes=5):
        raise UsageError(f"--when is in the future ({moment.astimezone():%Y-%m-%d %H:%M})")
    return moment


def cmd_log(
    region: Annotated[
        str, typer.Argument(help="Body region, e.g. calf.", autocompletion=complete_region)
    ],
    soreness: Annotated[
        int, typer.Option(help=f"Soreness right after, 0-10 ({SORENESS_ANCHORS}).")
    ],
    minutes: Annotated[
        float | None,
        typer.Option(help="Treatment minutes, all sides together (default: the protocol's time)."),
    ] = None,
    when: Annotated[
        str | None,
        typer.Option(help="When it started, e.g. '2026-03-02 18:30' (default: now)."),
    ] = None,
    side: Annotated[
        LogSide | None,
        typer.Option(help="left, right or both (default both; only for regions with sides)."),
    ] = None,
    bruising: Annotated[bool, typer.Option("--bruising", help="Bruising beyond redness.")] = False,
    numbness: Annotated[bool, typer.Option("--numbness", help="Numbness or tingling.")] = False,
    note: Annotated[str, typer.Option(help="A note for your journal.")] = "",
) -> None:
    """Record a session done without the timer (at a clinic, say).

    Sided regions record both sides unless --side says otherwise.
    """
    import secrets

    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import place_label
    from iastm_coach.journal import records
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import active_holds, prepare_hold
    from iastm_coach.safety.redflags import aftercare_flags
    from iastm_coach.views.ui import say_literal

    check_note(note)  # before anything is asked or written
    check_soreness(soreness)
    if minutes is not None and not 0.5 <= minutes <= MAX_LOG_MINUTES:
        raise UsageError(
            f"--minutes must be between 0.5 and {MAX_LOG_MINUTES:.0f} (got {minutes:g})"
        )
    loaded = load_for_region(region)
    protocol = loaded.protocol
    if protocol.access.sided:
        sides = ["left", "right"] if side in (None, LogSide.both) else [side.value]
    else:
        if side is not None:
            raise UsageError(f"the {protocol.region} has no left and right side; leave out --side")
        sides = ["none"]
    clock = SystemClock()
    now = clock.now()
    planned = protocol.planned_seconds(sides=1)
    total_s = round(minutes * 60) if minutes is not None else planned * len(sides)
    # Without --when the session has just ended.
    started = parse_when(when, now) if when else now - dt.timedelta(seconds=total_s)
    per_side = total_s // len(sides)
    ended = started + dt.timedelta(seconds=total_s)
    group = f"g{started:%Y%m%d%H%M%S}{secrets.token_hex(2)}"
    journal = open_journal()
    holds = active_holds(journal)  # a damaged journal stops here, before anything is written
    saved = [
        journal.prepare(
            records.SESSION,
            {
                "region": protocol.region,
                "side": one_side,
                "group": group,
                "source": "log",
                "protocol_id": protocol.id,
                "protocol_version": protocol.version,
                "protocol_source": loaded.source,
                "protocol_fingerprint": loaded.fingerprint,
                "issued_by": protocol.issued.label() if protocol.issued else "",
                "started": started,
                "ended": ended,
                "planned_s": planned,
                "actual_s": per_side,
                "complete": True,
                "dose_percent": 100,
                "dose_reason": "",
                "rest_override": False,
                "areas": [],
                "exercises": [],
                "soreness": soreness,
                "bruising": bruising,
                "numbness": numbness,
                "note": note,
            },
            at=now,
        )
        for one_side in sides
    ]
    flags = aftercare_flags(soreness=soreness, bruising=bruising, numbness=numbness)
    new_holds = [
        prepare_hold(
            journal,
            region=protocol.region,
            flag=flag,
            source_id=saved[0].id,
            at=now,
            side=str(saved[0].data["side"]),  # not written yet: it cannot be looked up
        )
        for flag in flags
    ]
    journal.append_all([*new_holds, *saved])  # one write: no session without its holds
    places = " and ".join(sides) if sides != ["none"] else ""
    label = f"{protocol.region} ({places})" if places else protocol.region
    say_literal(
        f"Logged {label}: {started.astimezone():%a %Y-%m-%d %H:%M}, "
        f"{total_s / 60:.1f} min, soreness {soreness}/10 (ids ending "
        f"{', '.join(r.id[-6:] for r in saved)})."
    )
    if flags:
        show_flags(flags, protocol.region)
    elif protocol.region in holds:
        hold = holds[protocol.region]
        say_literal(
            f"Note: {place_label(protocol.region, 'none')} is on hold since "
            f"{hold.since.astimezone():%Y-%m-%d}: {hold.reason_text()}.",
            style="red",
        )
    print_reminder(journal, now)
