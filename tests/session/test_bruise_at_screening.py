"""A bruise left by an earlier session, reported at screening, places a bruising hold.

Clinical reference §8c: a bruise left by a previous session is itself a red flag. Before,
the answer stopped only that day, and the next day a plain "no" let the session run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iastm_coach.errors import SafetyStop, UsageError
from iastm_coach.journal.store import records
from iastm_coach.safety.holds import active_holds, clear_hold
from tests.builders import MILD, make_deps, refused, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

DAY = 24 * 3600
BRUISED = ("left by an earlier scraping session", True)


def test_a_session_bruise_holds_the_region_until_a_clinician_has_seen_it(tmp_path: Path) -> None:
    clock = FakeClock()
    talk = ScriptedTalk([BRUISED, *MILD])
    deps = make_deps(tmp_path, talk, clock)
    message = refused(deps, "calf", side="left")
    assert "puts the calf on hold" in message
    hold = active_holds(deps.journal)["calf"]
    assert hold.rule == "bruising" and hold.sides == frozenset({"left"})
    (screening,) = deps.journal.recent(kinds={records.SCREENING})
    assert hold.source_id == screening.id and screening.data["stopped_by"] == "bruise-from-session"

    # The next day a "no" does not help: the hold stops the calf, and the left Achilles
    # (same tissue), before anything is asked.
    clock.advance(DAY)
    next_day = make_deps(tmp_path, ScriptedTalk(MILD), clock)
    assert "on hold" in refused(next_day, "calf", side="left")
    assert "on hold" in refused(next_day, "achilles", side="left")
    # Lifted like the other serious holds: only with the examining clinician named.
    with pytest.raises(UsageError, match=r"^--examined-by is required"):
        clear_hold(deps.journal, region="calf", reason="it has faded now", at=clock.now())
    clear_hold(
        deps.journal,
        region="calf",
        reason="bruise checked, it has faded",
        examined_by="Dr Lee, GP",
        at=clock.now(),
    )
    assert [r.data["side"] for r in session(next_day, side="left").sessions] == ["left"]


def test_an_ordinary_bruise_from_a_knock_places_no_hold(tmp_path: Path) -> None:
    """A bruise from a knock is a spot to work around (§1c), not a red flag."""
    deps = make_deps(tmp_path, ScriptedTalk([("from a knock", True), *MILD]))
    session(deps, side="left")
    assert active_holds(deps.journal) == {}


def test_both_sides_are_held_when_both_were_to_be_treated(tmp_path: Path) -> None:
    deps = make_deps(tmp_path, ScriptedTalk([BRUISED, *MILD]))
    with pytest.raises(SafetyStop):
        session(deps, side="both")
    assert active_holds(deps.journal)["calf"].sides == frozenset({"left", "right"})
