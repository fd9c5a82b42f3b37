"""Safety gates before anything else: a red-flag hold, and the rest period."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from rich.text import Text

from iastm_coach.errors import SafetyStop
from iastm_coach.history.queries import last_session, session_end
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.safety.holds import Hold, active_holds
from iastm_coach.session.deps import SessionDeps
from iastm_coach.vocabulary import describe_end, describe_wait, until


def rest_remaining(last_ended: datetime | None, rest_hours: int, now: datetime) -> timedelta:
    """How long until the region has rested `rest_hours` (zero when it has)."""
    if last_ended is None:
        return timedelta(0)
    return max(timedelta(0), last_ended + timedelta(hours=rest_hours) - now)


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
            f"{describe_wait(until(ready, now))} to go (from {describe_end(ready, now)})",
            hint="Tissue recovers between sessions. If your clinician told you otherwise, "
            "use --override-rest (it is recorded).",
        )
    deps.talk.show(
        Text(
            f"Overriding the rest period: {describe_wait(until(ready, now))} early. "
            "This is recorded in your journal.",
            style="yellow",
        )
    )
    return True
