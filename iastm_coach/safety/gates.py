"""Safety gates before anything else: a red-flag hold, and the rest period."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from iastm_coach.errors import SafetyStop
from iastm_coach.history.queries import last_session, session_end
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.safety.holds import Hold, active_holds
from iastm_coach.session.deps import SessionDeps
from iastm_coach.session.shown import line


def rest_remaining(last_ended: datetime | None, rest_hours: int, now: datetime) -> timedelta:
    """How long until the region has rested `rest_hours` (zero when it has)."""
    if last_ended is None:
        return timedelta(0)
    return max(timedelta(0), last_ended + timedelta(hours=rest_hours) - now)


def describe_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{max(minutes, 1)} min"


def check_gates(
    loaded: LoadedProtocol,
    deps: SessionDeps,
    *,
    override_rest: bool,
    holds: Mapping[str, Hold] | None = None,
) -> bool:
    """Holds and the rest period. Returns True when the rest period is overridden.

    *holds* (region -> active hold) saves reading them again when the caller has them.
    """
    region = loaded.protocol.region
    now = deps.clock.now()
    hold = (active_holds(deps.journal) if holds is None else holds).get(region)
    if hold is not None:
        since = hold.since.astimezone(now.tzinfo)
        raise SafetyStop(
            f"the {region} is on hold since {since:%Y-%m-%d %H:%M}: {hold.reason_text()}",
            hint=(
                f"Do not treat this region until you have seen your clinician. When they say "
                f'it is fine, lift the hold with: iastm-coach hold clear {region} --reason "..."'
            ),
        )
    last = last_session(deps.journal, region)
    rest_hours = loaded.protocol.settings.rest_hours
    remaining = rest_remaining(session_end(last) if last else None, rest_hours, now)
    if remaining <= timedelta(0):
        return False
    ready = now + remaining
    if not override_rest:
        raise SafetyStop(
            f"the {region} needs {rest_hours} h of rest between sessions; "
            f"{describe_duration(remaining)} to go (from {ready:%a %d %b %H:%M})",
            hint="Tissue recovers between sessions. If your clinician told you otherwise, "
            "use --override-rest (it is recorded).",
        )
    deps.talk.show(
        line(
            f"Overriding the rest period: {describe_duration(remaining)} early. "
            "This is recorded in your journal.",
            tone="caution",
        )
    )
    return True
