"""`iastm-coach log REGION`: record a session done without the timer.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal
    from iastm_coach.safety.holds import Hold

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
    override_hold: Annotated[
        bool,
        typer.Option(
            "--override-hold",
            help="Record a session done while the region was on hold (a clinician treated "
            "it, say). Recorded, and shown to your physio as a deviation.",
        ),
    ] = False,
) -> None:
    """Record a session done without the timer (at a clinic, say).

    Sided regions record both sides unless --side says otherwise.
    """
    import secrets

    from iastm_coach.clock import SystemClock, clock_flag
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import place_label
    from iastm_coach.journal import records
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import active_holds, prepare_hold
    from iastm_coach.safety.redflags import aftercare_flags
    from iastm_coach.session.log_retry import earlier_log, unfinished_holds
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
    journal.check_writable(now)
    holds = active_holds(journal)  # a damaged journal stops here, before anything is written
    planned_fields = [
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
        }
        for one_side in sides
    ]
    # A retry of the same log (after an error, or unsure it worked) writes nothing twice;
    # checked before the hold it may have placed would refuse it.
    again = earlier_log(journal, planned_fields, now=now)
    if again:
        say_literal(
            f"Already logged (ids ending {', '.join(r.id[-6:] for r in again)}): the same "
            "session a moment ago; nothing new was written."
        )
        return
    unfinished = unfinished_holds(journal, protocol.region, now=now)
    overrides = hold_overrides(
        journal,
        protocol.region,
        started if when else None,
        override=override_hold,
        now_held=None if unfinished else holds.get(protocol.region),
    )
    extra = ({"overrides": overrides} if overrides else {}) | clock_flag()
    saved = [journal.prepare(records.SESSION, fields | extra, at=now) for fields in planned_fields]
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
        if flag.rule not in {hold.data.get("rule") for hold in unfinished}
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


def hold_overrides(
    journal: Journal,
    region: str,
    started: dt.datetime | None,
    *,
    override: bool,
    now_held: Hold | None,
) -> list[dict[str, str]]:
    """A session done while its region was on hold is refused (exit 3), unless
    --override-hold says it happened anyway: then it is recorded as an override, for the
    physio's Deviations box.

    Without --when the session has just ended: the holds in force now decide (in the
    journal's append order, as everywhere). With --when, a hold whose span (placed to
    lifted) covers the start decides.
    """
    from iastm_coach.errors import SafetyStop
    from iastm_coach.history.hold_spans import hold_spans
    from iastm_coach.safety.holds import hold_records

    if started is None:
        if now_held is None:
            return []
        placed, reasons = now_held.since, now_held.reason_text()
    else:
        spans = [s for s in hold_spans(hold_records(journal)) if s.region == region]
        held = next((s for s in spans if s.covers(started)), None)
        if held is None:
            return []
        placed, reasons = held.placed, "; ".join(held.reasons)
    since = f"{placed.astimezone():%Y-%m-%d %H:%M}"
    if not override:
        raise SafetyStop(
            f"the {region} is on hold since {since}: {reasons}; a session during a hold is "
            "not recorded without --override-hold",
            hint="If a clinician treated it, or you did it anyway, add --override-hold: it is "
            "recorded and shown to your physio. Lift the hold with `iastm-coach hold clear`.",
        )
    return [{"rule": "hold", "detail": f"logged during the hold since {since}: {reasons}"}]
