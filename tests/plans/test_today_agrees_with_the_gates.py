"""`today` and the session gates come from the same rules: whenever `today` says a region is
due, the gates let a session through, and whenever the gates would let it through, `today`
says it is due (weekly limit, rest with its tolerance, course review, holds); and the moment
it names for the next session is the first the gates allow.

A story over two weeks on the fake clock: a person who checks `today` every few hours,
answers the follow-ups it lists and treats the calf (both sides) when it is due, sometimes
quitting after 30 s, sometimes not treating at all.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iastm_coach.errors import SafetyStop
from iastm_coach.history.queries import due_checkins
from iastm_coach.journal.store import Journal
from iastm_coach.paths import installed_protocols_dir, journal_dir
from iastm_coach.plans.gather import today_plan
from iastm_coach.protocols.library import load_for_region
from iastm_coach.safety.course import course_facts, review_due
from iastm_coach.safety.gates import check_gates
from iastm_coach.session.deps import SessionDeps
from tests.builders import add_session, answer_checkin
from tests.fakes import DEFAULT_START, FakeClock
from tests.scripted_talk import ScriptedTalk

MONDAY_MORNING = DEFAULT_START.replace(hour=7, minute=0)
STEP = timedelta(hours=5)  # not a divisor of a day: the moments drift around the clock
MOMENTS = int(timedelta(weeks=2) / STEP)


def gates_allow(journal: Journal, now: datetime) -> str | None:
    """None when `session calf --side both` would pass its gates at *now*, else why not."""
    loaded = load_for_region("calf")
    clock = FakeClock(now)
    deps = SessionDeps(
        clock=clock,
        journal=journal,
        talk=ScriptedTalk([]),
        run_timer=lambda plan: None,  # type: ignore[arg-type,return-value]
        ask_checkin=lambda record, hours: None,
    )
    try:
        check_gates(
            loaded, deps.journal, deps.clock.now(), override_rest=False, sides=["left", "right"]
        )
    except SafetyStop as stop:
        return stop.message
    return review_due(loaded.protocol, course_facts(journal, loaded, now), now)


def live_the_two_weeks(actions: list[int]) -> None:
    journal = Journal(journal_dir())
    version = load_for_region("calf").protocol.version
    # The calf is in use: treated on the Wednesday before.
    add_session(journal, side="left", started=MONDAY_MORNING - timedelta(days=5), soreness=1)
    for step, action in enumerate(actions):
        now = MONDAY_MORNING + step * STEP
        for due in due_checkins(journal, now):
            answer_checkin(journal, due.session, now, hours=due.hours, soreness=1)
        plan = today_plan(journal, now, protocols_dir=installed_protocols_dir())
        due = "calf" in [item.region for item in plan.due]
        refusal = gates_allow(journal, now)
        assert due == (refusal is None), (now, refusal, plan.to_json())
        if plan.next_due_at is not None:  # "Next session: calf from ...": the gate's moment
            assert gates_allow(journal, plan.next_due_at) is None, (now, plan.to_json())
            early = plan.next_due_at - timedelta(minutes=1)
            assert gates_allow(journal, early) is not None, (now, plan.to_json())
        if not due or action == 0:
            continue
        minutes = 0.5 if action == 1 else 6  # 1: a 30 s quit; 2: the whole session
        group = f"g{step}"
        for side in ("left", "right"):
            add_session(
                journal,
                side=side,
                group=group,
                started=now,
                minutes=minutes,
                complete=action == 2,
                soreness=1,
                protocol_version=version,
            )


@pytest.mark.slow
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.integers(0, 2), min_size=MOMENTS, max_size=MOMENTS))
def test_today_says_due_exactly_when_the_gates_allow(actions: list[int]) -> None:
    with tempfile.TemporaryDirectory() as home:
        before = os.environ.get("IASTM_COACH_HOME")
        os.environ["IASTM_COACH_HOME"] = home
        try:
            live_the_two_weeks(actions)
        finally:
            os.environ["IASTM_COACH_HOME"] = before or ""


def test_a_full_week_is_not_resting_until_later_today(isolated_home: Path) -> None:
    """The tester's Thursday: two sittings this week, the last ended 46 h ago (within the
    rest's 2 h tolerance at 16:16): `today` said 'Next session: calf from today 16:16' while
    the session said '2 of 2 prescribed sessions this week'. Now it waits for Monday."""
    journal = Journal(journal_dir())
    version = load_for_region("calf").protocol.version
    monday = MONDAY_MORNING
    for days in (0, 2):
        add_session(
            journal, side="left", started=monday + timedelta(days=days), protocol_version=version
        )
    thursday = monday + timedelta(days=3, hours=5)
    plan = today_plan(journal, thursday, protocols_dir=installed_protocols_dir())
    assert [i.region for i in plan.done_for_week] == ["calf"] and not plan.resting
    assert plan.next_due_at == monday + timedelta(days=7) - timedelta(hours=7)
    [done] = plan.to_json()["done_for_week"]
    assert done["until"] == "2026-03-09T00:00:00+00:00"
    assert "2 of 2 prescribed sessions this week" in (gates_allow(journal, thursday) or "")
