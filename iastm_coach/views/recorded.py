"""What `checkin` and `log` show once they have written to the journal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType

from iastm_coach.views.ui import literal
from iastm_coach.vocabulary import day_text, moment_text

if TYPE_CHECKING:
    from iastm_coach.session.checkin import CheckinResult
    from iastm_coach.session.log import LoggedSession
    from iastm_coach.session.shown import Shown


def checkin_recorded(result: CheckinResult) -> list[Shown]:
    """The recorded line; then the hold notice for any red flag, or the 72 h note (as
    data: shown through the conversation, or drawn with `views.shown.render`)."""
    from iastm_coach.session.shown import HoldNotice, line

    shown: list[Shown] = [
        line(
            f"Recorded the {result.hours} h check-in for {result.place}: "
            f"soreness {result.soreness}/10."
        )
    ]
    before = result.corrected
    if before is not None:
        shown.append(
            line(
                f"It corrects the answer given {moment_text(before.at, '%a %H:%M')} (soreness "
                f"{before.data.get('soreness')}/10), which stays in the journal; the newest "
                "answer counts."
            )
        )
    if result.not_asked:
        shown.append(
            line(
                f"Not asked (recorded as unknown): {', '.join(result.not_asked)}. This "
                "follow-up stays due until they are answered: run `iastm-coach checkin`."
            )
        )
    if result.flags:
        shown.append(HoldNotice.of(result.flags, result.region))
    elif result.asked_again_at is not None:
        later = result.asked_again_at
        when = "on day 5 to 7" if later == 120 else f"at {later} h"
        # Only a soreness that has not settled holds the next session back (safety.settling).
        waits = f", and the next {result.region} session waits for that answer" * result.waits
        shown.append(
            line(
                f"Soreness is not back to your usual ({result.baseline}/10) yet: you will be "
                f"asked again {when}{waits}."
            )
        )
    return shown


def session_logged(logged: LoggedSession) -> list[RenderableType]:
    """What was logged; then the hold panel for any red flag, or a reminder of an
    earlier hold on the region."""
    from iastm_coach.safety.redflags import hold_reminder
    from iastm_coach.views.redflags import red_flag_panel
    from iastm_coach.vocabulary import NO_SIDE, place_label, places_label

    label = places_label(logged.region, logged.sides)
    if logged.already:
        return [
            literal(
                f"Already logged (ids ending {', '.join(r.id[-6:] for r in logged.records)}): "
                "the same session a moment ago; nothing new was written."
            )
        ]
    shown: list[RenderableType] = [
        literal(
            f"Logged {label}: {moment_text(logged.started, '%a %Y-%m-%d %H:%M')}, "
            f"{logged.total_s / 60:.1f} min, soreness {logged.records[0].data['soreness']}/10 "
            f"(ids ending {', '.join(r.id[-6:] for r in logged.records)})."
        )
    ]
    hold = logged.earlier_hold
    if logged.flags:
        shown.append(red_flag_panel(logged.flags, logged.region))
    elif hold is not None:
        shown.append(
            literal(
                f"Note: {place_label(logged.region, NO_SIDE)} is on hold since "
                f"{day_text(hold.since)}: {hold.reason_text()}."
                + (f" {urgent}" if (urgent := hold_reminder(hold.region, hold.all_rules)) else ""),
                "red",
            )
        )
    return shown
