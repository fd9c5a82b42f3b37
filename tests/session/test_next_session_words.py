"""After a session, and after one stopped early, the next start is the moment `today` and the
session gate use (`rest.earliest_start`): one rule, one wording (`describe_end`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iastm_coach.errors import Interrupted
from iastm_coach.journal.store import Journal
from iastm_coach.paths import installed_protocols_dir, journal_dir
from iastm_coach.plans.gather import today_plan
from iastm_coach.vocabulary import describe_end
from tests.builders import MILD, make_deps, refused, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk


def test_aftercare_names_the_moment_today_names(tmp_path: Path, isolated_home: Path) -> None:
    """Aftercare said 'not before Thu 03 Dec 18:02' (the full 48 h) while `today` said
    'until tomorrow 16:03' (the 2 h tolerance), and the gate 'from Thu 03 Dec 16:03': now all
    three say the gate's moment in the same words."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("smooth", True)])
    deps = make_deps(tmp_path, talk, clock)
    deps.journal = Journal(journal_dir())
    session(deps, side="left")
    now = clock.now()
    plan = today_plan(deps.journal, now, protocols_dir=installed_protocols_dir())
    [resting] = plan.resting
    assert resting.until is not None
    shown = describe_end(resting.until, now)
    assert (
        f"Next calf session: not before {shown} (48 h rest; a routine may start up to 2 h early)."
        in talk.transcript
    )
    assert f"to go (from {shown})" in refused(deps, "calf", side="left")  # the gate says it too


def test_a_30_s_quit_says_what_it_counts_as(tmp_path: Path, isolated_home: Path) -> None:
    """q after 30 s: the record starts the rest and counts toward the week, so the person is
    told so when it stops, with the same moment `today` will show."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("smooth", True)])
    deps = make_deps(tmp_path, talk, clock, keys=[(30.0, "q")])
    deps.journal = Journal(journal_dir())
    with pytest.raises(Interrupted):
        session(deps, side="left")
    now = clock.now()
    plan = today_plan(deps.journal, now, protocols_dir=installed_protocols_dir())
    [resting] = plan.resting
    assert resting.until is not None
    expected = (
        f"This counts as today's calf session: next one not before "
        f"{describe_end(resting.until, now)}; it counts toward this week's 2 (1 of 2 done)."
    )
    assert expected in " ".join(talk.transcript.split())
