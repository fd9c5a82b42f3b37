"""End of course (issue 10, item 10): stories on the fake clock, then the rule's edges."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.journal.store import Journal
from iastm_coach.paths import installed_protocols_dir, journal_dir
from iastm_coach.protocols.library import builtin_path, load_builtin
from iastm_coach.safety.course import (
    CourseFacts,
    counted_sittings,
    course_sessions,
    improved,
    protocol_identity,
    review_due,
)
from iastm_coach.session.deps import SessionDeps
from tests.builders import MILD, T0, make_deps, make_journal, refused, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

DAY = 24 * 3600
D = timedelta(days=1)
REVIEWED = "reviewed it with your clinician"


def weekly_calf(tmp_path: Path, weeks: int) -> tuple[SessionDeps, FakeClock]:
    """A calf session every Monday for *weeks* weeks, in the real data directory (so
    `today` sees it), pre-session soreness falling 3, 1, 1, ... (it helps)."""
    clock = FakeClock()
    talk = ScriptedTalk([("right now", 3), *MILD, ("smooth", True)])
    deps = make_deps(tmp_path, talk, clock)
    deps.journal = Journal(journal_dir())
    for week in range(weeks):
        if week == 1:
            talk.rules.remove(("right now", 3))
        session(deps, side="both")
        clock.advance(7 * DAY)
    return deps, clock


def test_four_week_course_ends_with_a_review(tmp_path: Path) -> None:
    """The review's story: weeks into a 4-week course the calf was still 'due'. Now, four
    weeks after the first session, `today` says to review with a clinician and the
    session refuses unless they did (default no); a yes is recorded, and starts the
    next course."""
    deps, clock = weekly_calf(tmp_path, 4)
    clock.advance(6 * 7 * DAY)  # ten weeks after the first session
    plan = json.loads(
        CliRunner().invoke(app, ["today", "--json"], obj=AppContext(clock=clock)).stdout
    )
    (review,) = plan["review"]
    assert review["region"] == "calf" and "4-week course" in review["reason"]
    assert plan["due"] == []
    text = CliRunner().invoke(app, ["today"], obj=AppContext(clock=clock)).stdout
    assert "Time to review with your clinician" in text and "4-week course" in text
    message = refused(deps, "calf", side="both")
    assert "time to review with your clinician" in message
    assert any(REVIEWED in question for question in deps.talk.asked)
    outcome = session(deps, side="both", course_reviewed=True)
    (override,) = outcome.sessions[0].data["overrides"]
    assert override["rule"] == "course-review" and "--course-reviewed" in override["detail"]
    clock.advance(7 * DAY)
    session(deps, side="both")  # a new course: no question
    assert deps.talk.asked.count(next(q for q in deps.talk.asked if REVIEWED in q)) == 1


def test_no_change_after_four_sittings_calls_for_a_review(tmp_path: Path) -> None:
    """Four sittings in two weeks, soreness before always 1 and no outcome measured:
    nothing shows a change, so the fifth waits for a review, within the 4 weeks."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True)]), clock)
    for gap in (2, 5, 2, 5):
        session(deps, side="left")
        clock.advance(gap * DAY)
    message = refused(deps, "calf", side="left")
    assert "after 4 sessions of the calf, neither your outcome measure nor your soreness" in (
        message
    )


def test_a_quit_after_30_s_and_a_third_done_are_not_sittings_of_the_rule(tmp_path: Path) -> None:
    """Four sittings, but one was a 30 s quit and one stopped a third of the way: two real
    sittings, no review yet. Counted: every planned area done, or at least half the time."""
    from tests.builders import add_session

    journal = make_journal(tmp_path)
    add_session(journal, side="left", started=T0)
    add_session(journal, side="left", started=T0 + 2 * D, minutes=0.5, complete=False)
    add_session(journal, side="left", started=T0 + 4 * D, minutes=2, complete=False)
    add_session(journal, side="left", started=T0 + 6 * D, minutes=3, complete=False)  # half
    course = course_sessions(list(reversed(list(journal.scan()))), identity_of(journal))
    assert counted_sittings(course) == 2
    calf = load_builtin("calf").protocol
    assert review_due(calf, CourseFacts(T0, counted_sittings(course)), T0 + 7 * D) is None
    add_session(journal, side="left", started=T0 + 8 * D)
    course = course_sessions(list(reversed(list(journal.scan()))), identity_of(journal))
    assert counted_sittings(course) == 3


def identity_of(journal: Journal) -> tuple[str, str, str]:
    first = next(iter(journal.scan()))
    return protocol_identity(first.data)


def test_a_renewed_protocol_starts_a_new_course(tmp_path: Path) -> None:
    """After the course, the physio issues version 2 of the calf protocol: installing it
    is the renewal, and the session goes ahead without the question."""
    deps, _clock = weekly_calf(tmp_path, 4)
    assert "time to review" in refused(deps, "calf", side="both")
    installed_protocols_dir().mkdir(parents=True, exist_ok=True)
    built_in = builtin_path("calf").read_text(encoding="utf-8")
    text = re.sub(r'^version = "[^"]*"', 'version = "2.0"', built_in, count=1, flags=re.M)
    assert text != built_in
    (installed_protocols_dir() / "calf.toml").write_text(text, encoding="utf-8")
    deps.talk.asked.clear()
    session(deps, side="both")
    assert not any(REVIEWED in question for question in deps.talk.asked)


def test_an_update_of_the_built_in_protocol_does_not_restart_the_course(tmp_path: Path) -> None:
    """Six weeks of calf sessions recorded with an older built-in version (an iastm-coach
    update since reworded it): the 4-week course is still over and the review still due.
    A new version of a built-in is no clinician's renewal; it started a new course, and
    the review went away without a word."""
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.course import course_facts
    from tests.builders import add_session

    journal = make_journal(tmp_path)
    for week in range(6):
        add_session(journal, side="left", started=T0 + week * 7 * D)
    loaded = load_for_region("calf")
    assert loaded.source == "built-in"
    assert loaded.protocol.version != next(iter(journal.scan())).data["protocol_version"]
    now = T0 + 6 * 7 * D
    facts = course_facts(journal, loaded, now)
    assert facts.start == T0
    assert "4-week course" in (review_due(loaded.protocol, facts, now) or "")


def test_improvement_rule_edges() -> None:
    """A 2-point drop in soreness before sessions, or the outcome test moving by its
    minimal change (2 cm for the knee-to-wall lunge) the right way, counts; less does not."""
    protocol = load_builtin("calf").protocol
    start = FakeClock().now()
    assert improved(protocol, CourseFacts(start, 4, (3, 2, 1)))
    assert not improved(protocol, CourseFacts(start, 4, (3, 2, 2)))
    assert review_due(protocol, CourseFacts(start, 4, (1, 1, 1, 1)), start) is not None
    assert review_due(protocol, CourseFacts(start, 3, (1, 1, 1)), start) is None
    assert review_due(protocol, CourseFacts(start, 1), start + timedelta(weeks=4)) is not None
    assert review_due(protocol, CourseFacts(None, 0), start) is None
