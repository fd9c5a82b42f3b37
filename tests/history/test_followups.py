"""Follow-ups gate the next session; lingering soreness is followed up; false alarms are
tuned down and serious holds need a clinician (issue 10, items 4, 5 and 6).

Stories on the fake clock: a session, its check-ins (through the check-in core), then
the next session, which asks an open follow-up itself before anything else.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.errors import UsageError
from iastm_coach.journal.store import Journal, records
from iastm_coach.paths import journal_dir
from iastm_coach.protocols.library import load_builtin
from iastm_coach.safety.holds import active_holds, clear_hold
from iastm_coach.safety.settling import waiting_reason
from iastm_coach.safety.zones import links_of
from iastm_coach.session.deps import SessionDeps
from tests.builders import MILD, answer_checkin, make_deps, refused, session
from tests.cli import FixedRunner
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

ASSESSED = ("assessed the problem", True)  # regions that need it first (neck, Achilles)
HOUR = 3600


def story(tmp_path: Path, *rules: tuple[str, Any]) -> tuple[SessionDeps, FakeClock]:
    clock = FakeClock()
    return make_deps(tmp_path, ScriptedTalk([*rules, *MILD, ASSESSED]), clock), clock


def at(clock: FakeClock, deps: SessionDeps, hours: float) -> None:
    """Move the clock to *hours* after the newest session ended."""
    newest = deps.journal.recent(kinds={records.SESSION}, limit=1)[0]
    target = newest.data["ended"] + timedelta(hours=hours)
    clock.advance((target - clock.now()).total_seconds())


def checkins(deps: SessionDeps) -> list[tuple[int, int]]:
    found = deps.journal.recent(kinds={records.CHECKIN})
    return sorted((int(c.data["hours"]), int(c.data["soreness"])) for c in found)


def test_soreness_6_at_24_and_48_waits_until_it_settles(tmp_path: Path) -> None:
    """The review's story: 6/10 at 24 h and 48 h. At 49 h the calf is not 'due': the
    session refuses until it settles. At 70 h the session asks the 72 h follow-up itself;
    2/10 has settled, and the session runs at a reduced dose because of the 6."""
    deps, clock = story(tmp_path)
    (first,) = session(deps, side="left").sessions
    at(clock, deps, 24)
    answer_checkin(deps.journal, first, clock.now(), soreness=6)
    at(clock, deps, 47)
    answer_checkin(deps.journal, first, clock.now(), soreness=6)
    assert not active_holds(deps.journal), "6 at 24 and 48 h is no red flag"
    at(clock, deps, 49)
    message = refused(deps, "calf", side="left")
    assert "soreness 6/10 at the 48 h check-in of the last calf (left) session" in message
    assert "has not settled" in message
    calf = links_of(load_builtin("calf").protocol)
    waiting = waiting_reason(deps.journal, calf, clock.now())  # what `today` shows
    assert waiting is not None and "has not settled" in waiting
    at(clock, deps, 70)
    deps.talk.rules.insert(0, ("treated area now", 2))
    outcome = session(deps, side="left")
    assert (72, 2) in checkins(deps), "the open 72 h follow-up was asked first"
    record = outcome.sessions[0].data
    assert record["dose_percent"] == 70
    assert "6/10 at the 24 h check-in" in record["dose_reason"]


def test_skipping_the_24h_check_in_does_not_restore_full_dose(tmp_path: Path) -> None:
    """The 24 h check-in never answered, 48 h answered 0: a missing answer is not 'no
    soreness'; the next session runs at 70 % and says why."""
    deps, clock = story(tmp_path)
    (first,) = session(deps, side="left").sessions
    at(clock, deps, 50)
    answer_checkin(deps.journal, first, clock.now(), soreness=0)
    outcome = session(deps, side="left")
    record = outcome.sessions[0].data
    assert record["dose_percent"] == 70
    assert (
        "the 24 h check-in of the last calf (left) session was not answered"
        in (record["dose_reason"])
    )


def left_calf_then_at_50_hours(tmp_path: Path, side: str) -> tuple[list[str], str]:
    """A left-calf session, its 24 h follow-up answered (1/10), then at 50 h (the 48 h one
    open) a session of *side*; what that session asked, and the whole transcript."""
    deps, clock = story(tmp_path)
    (first,) = session(deps, side="left").sessions
    at(clock, deps, 30)
    answer_checkin(deps.journal, first, clock.now(), soreness=1)
    at(clock, deps, 50)
    deps.talk.asked.clear()
    session(deps, side=side)
    return deps.talk.asked, deps.talk.transcript


def test_an_open_follow_up_is_asked_before_the_next_session(tmp_path: Path) -> None:
    """At 50 h the 48 h follow-up is open: the session asks it before the safety check,
    and it is recorded as a check-in of the last session."""
    asked, transcript = left_calf_then_at_50_hours(tmp_path, "left")
    deps = make_deps(tmp_path, ScriptedTalk())
    first_checkin = next(i for i, q in enumerate(asked) if "treated area now" in q)
    first_screening = next(i for i, q in enumerate(asked) if "smooth" in q)
    assert first_checkin < first_screening
    assert checkins(deps) == [(24, 1), (48, 1)]
    # The follow-up's soreness, given a moment ago for this region and side, is the
    # pre-session soreness too: not asked twice.
    assert not any("right now" in q for q in asked)
    assert "Soreness before you start: 1/10, as you just said" in transcript
    screening = max(deps.journal.recent(kinds={"screening"}), key=lambda r: r.at)
    assert screening.data["soreness_before"] == 1


def test_a_hold_placed_by_the_follow_up_asked_first_stops_the_session(tmp_path: Path) -> None:
    """47 h after a left-calf session, the session asks the open 48 h follow-up first and
    the answer is 'Swelling? y': the calf (both legs, a possible clot) is on hold now, so
    the session stops there, before the safety check and the strokes. It carried on."""
    deps, clock = story(tmp_path)
    session(deps, side="left")
    at(clock, deps, 47)
    deps.talk.rules.insert(0, ("Swelling?", True))
    deps.talk.asked.clear()
    message = refused(deps, "calf", side="left")
    assert "on hold" in message
    assert any("treated area now" in q for q in deps.talk.asked)
    assert not any("smooth" in q for q in deps.talk.asked), "stopped before the safety check"
    assert len(deps.journal.recent(kinds={records.SESSION})) == 1
    (hold,) = deps.journal.recent(kinds={records.HOLD})
    assert hold.data["rule"] == "swelling"


def test_a_follow_up_of_one_side_does_not_answer_for_both(tmp_path: Path) -> None:
    """The left calf's 48 h follow-up says nothing of the right: a both-sides session still
    asks how sore the calf is before it starts."""
    asked, _ = left_calf_then_at_50_hours(tmp_path, "both")
    assert any("treated area now" in q for q in asked) and any("right now" in q for q in asked)


def test_without_a_way_to_ask_the_session_names_checkin(tmp_path: Path) -> None:
    """A caller that cannot ask (no `ask_checkin`) refuses and names `iastm-coach checkin`;
    an overlapping region's open follow-up on the same leg counts too."""
    deps, clock = story(tmp_path)
    session(deps, side="left")
    at(clock, deps, 50)
    deps.ask_checkin = None
    message = refused(deps, "achilles", side="left")
    assert "answer the 48 h check-in of the last calf (left) session first" in message
    session(deps, "achilles", side="right")


def test_lingering_soreness_is_followed_up_to_day_7(tmp_path: Path) -> None:
    """3/10 at 24, 48 and 72 h never fired a flag. Now the 72 h follow-up is asked (3 is
    above the usual 1), the region waits, then 'has it settled?' on day 5-7; still 3
    there holds the region with advice to contact a clinician."""
    deps, clock = story(tmp_path)
    (first,) = session(deps, side="left").sessions
    for hours in (24, 47):
        at(clock, deps, hours)
        answer_checkin(deps.journal, first, clock.now(), soreness=3)
    at(clock, deps, 70)
    assert answer_checkin(deps.journal, first, clock.now(), soreness=3).data["hours"] == 72
    assert not active_holds(deps.journal)
    at(clock, deps, 100)
    deps.ask_checkin = None
    message = refused(deps, "calf", side="left")  # 3 after three days: not settled
    assert "3/10 at the 72 h check-in of the last calf (left) session has not settled" in message
    at(clock, deps, 130)
    assert "answer the 120 h check-in" in refused(deps, "calf", side="left")
    answer_checkin(deps.journal, first, clock.now(), soreness=3)
    hold = active_holds(deps.journal)["calf"]
    assert hold.rule == "not-settled" and "usual is 1/10" in hold.reason  # 1 at first use
    assert "on hold" in refused(deps, "calf", side="left")
    clear_hold(
        deps.journal,
        region="calf",
        reason="physio examined it: fine to go on gently",
        at=clock.now(),
    )
    outcome = session(deps, side="left")  # the physio's word counts over the old answer
    assert outcome.sessions[0].data["dose_percent"] == 50


def test_settled_soreness_ends_the_follow_ups(tmp_path: Path) -> None:
    """48 h back to 0 (the usual): no 72 h follow-up; nothing due at 70 h."""
    deps, clock = story(tmp_path)
    (first,) = session(deps, side="left").sessions
    at(clock, deps, 24)
    answer_checkin(deps.journal, first, clock.now(), soreness=2)
    at(clock, deps, 45)
    answer_checkin(deps.journal, first, clock.now(), soreness=0)
    at(clock, deps, 70)
    deps.ask_checkin = None
    session(deps, side="left")


@pytest.mark.parametrize(
    ("at_24", "at_48", "held"), [(2, 3, False), (1, 3, True), (3, 4, True), (5, 4, False)]
)
def test_a_one_point_rise_is_noise(tmp_path: Path, at_24: int, at_48: int, held: bool) -> None:
    """From 24 h to 48 h: +1 to 3 is day-to-day noise, no hold; +2, or a rise to 4, holds;
    a fall does not."""
    deps, clock = story(tmp_path)
    (first,) = session(deps, side="left").sessions
    at(clock, deps, 24)
    answer_checkin(deps.journal, first, clock.now(), soreness=at_24)
    at(clock, deps, 45)
    answer_checkin(deps.journal, first, clock.now(), soreness=at_48)
    assert ("calf" in active_holds(deps.journal)) is held


def test_getting_worse_at_24h_asks_later_instead_of_holding(tmp_path: Path) -> None:
    """'Getting worse' at 24 h with 2/10: no hold, but the 72 h follow-up is now needed
    even though the 48 h answer is 0."""
    deps, clock = story(tmp_path)
    (first,) = session(deps, side="left").sessions
    at(clock, deps, 24)
    answer_checkin(deps.journal, first, clock.now(), soreness=2, worse=True)
    at(clock, deps, 45)
    answer_checkin(deps.journal, first, clock.now(), soreness=0)
    assert not active_holds(deps.journal)
    at(clock, deps, 70)
    deps.ask_checkin = None
    assert "answer the 72 h check-in" in refused(deps, "calf", side="left")


def test_usual_soreness_is_recorded_and_used(tmp_path: Path) -> None:
    """First use records the usual level (a chronic 3/10 calf): 3 at 48 h is then not
    'lingering'. Another region starting at 0 is stopped at 3 (more than 2 above)."""
    deps, clock = story(tmp_path, ("right now", 3))
    (first,) = session(deps, side="left").sessions
    assert first.data["baseline"] == 3
    for hours in (24, 45):
        at(clock, deps, hours)
        answer_checkin(deps.journal, first, clock.now(), soreness=3)
    at(clock, deps, 70)
    deps.ask_checkin = None
    assert session(deps, side="left").sessions[0].data["baseline"] == 3

    deps, clock = story(tmp_path / "other")
    session(deps, "forearm-flexors", side="left")
    at(clock, deps, 24)
    answer_checkin(deps.journal, deps.journal.recent(kinds={records.SESSION})[0], clock.now())
    at(clock, deps, 45)
    answer_checkin(deps.journal, deps.journal.recent(kinds={records.SESSION})[0], clock.now())
    at(clock, deps, 70)
    last = deps.journal.recent(kinds={records.SESSION})[0]
    answer_checkin(deps.journal, last, clock.now(), soreness=0)  # settled: usual 0
    deps.talk.rules.insert(0, ("right now", 3))  # no follow-up open: the gate asks it
    message = refused(deps, "forearm-flexors", side="left")
    assert "more than 2 points above your usual 0/10" in message


def test_serious_hold_needs_a_clinicians_examination(tmp_path: Path) -> None:
    """Swelling after a calf session: 'x' is refused, a reason without the clinician's
    examination is refused (exit 2, saying what is needed); with it the hold lifts."""
    deps, clock = story(tmp_path)
    (first,) = session(deps, side="left").sessions
    at(clock, deps, 24)
    answer_checkin(deps.journal, first, clock.now(), swelling=True)
    with pytest.raises(UsageError, match="a few words"):
        clear_hold(deps.journal, region="calf", reason="x", at=clock.now())
    with pytest.raises(UsageError) as caught:
        clear_hold(deps.journal, region="calf", reason="feels fine now", at=clock.now())
    assert caught.value.exit_code == 2
    assert "only when a clinician has examined the area" in caught.value.message
    assert "--examined-by" in (caught.value.hint or "")
    clear_hold(
        deps.journal,
        region="calf",
        reason="examined, no clot",
        examined_by="Dr Lee",
        at=clock.now(),
    )
    assert not active_holds(deps.journal)


def test_hold_clear_shows_the_urgent_advice_again() -> None:
    """`hold clear` on a leg swelling shows the clot advice again before it lifts, and
    records who examined the area; a plain hold (worse-48h) lifts with a reason alone."""
    journal = Journal(journal_dir())
    journal.append(
        records.HOLD,
        {"region": "achilles", "rule": "swelling", "reason": "swelling", "source": ""},
        at=FakeClock().now(),
    )
    result = FixedRunner().invoke(app, ["hold", "clear", "achilles", "--reason", "all good now"])
    assert result.exit_code == 2
    assert "Get medical care today (the same day)" in " ".join(result.output.split())
    result = FixedRunner().invoke(
        app,
        ["hold", "clear", "achilles", "--reason", "GP: no clot", "--examined-by", "Dr Ng"],
    )
    assert result.exit_code == 0, result.output
    (clear,) = journal.recent(kinds={records.HOLD_CLEAR})
    assert clear.data["examined_by"] == "Dr Ng"
    journal.append(
        records.HOLD,
        {"region": "neck", "rule": "worse-48h", "reason": "rose", "source": ""},
        at=FakeClock().now() + timedelta(hours=1),
    )
    result = FixedRunner().invoke(app, ["hold", "clear", "neck", "--reason", "settled again"])
    assert result.exit_code == 0, result.output


def test_the_command_asks_the_open_check_in_and_keeps_it() -> None:
    """`iastm-coach session calf` at 50 h: the 48 h check-in comes first, on the same
    input; when the pipe ends later (in the safety check) the check-in is kept."""
    from tests.builders import AFTERCARE, ALL_CLEAR, FIRST_USE, READY

    clock = FakeClock()
    args = ["session", "calf", "--side", "left", "--no-bell"]
    first = CliRunner().invoke(
        app, args, input=FIRST_USE + ALL_CLEAR + READY + AFTERCARE, obj=AppContext(clock=clock)
    )
    assert first.exit_code == 0, first.output
    clock.advance(50 * HOUR)
    result = CliRunner().invoke(
        app, args, input="1\nn\nn\nn\nn\nfine\n", obj=AppContext(clock=clock)
    )
    assert result.exit_code == 2  # the input ended in the safety check
    assert "48 h check-in is open" in result.stdout
    (checkin,) = Journal(journal_dir()).recent(kinds={records.CHECKIN})
    assert (checkin.data["hours"], checkin.data["soreness"], checkin.data["note"]) == (
        48,
        1,
        "fine",
    )


def test_override_without_a_terminal_needs_the_flag() -> None:
    """--override-rest from a pipe: a 'no' (or nothing) to the clinician question refuses."""
    from tests.builders import AFTERCARE, ALL_CLEAR, FIRST_USE, READY

    clock = FakeClock()
    args = ["session", "calf", "--side", "left", "--no-bell"]
    CliRunner().invoke(
        app, args, input=FIRST_USE + ALL_CLEAR + READY + AFTERCARE, obj=AppContext(clock=clock)
    )
    clock.advance(30 * HOUR)
    result = CliRunner().invoke(
        app, [*args, "--override-rest"], input="n\n", obj=AppContext(clock=clock)
    )
    assert result.exit_code == 3 and "only your clinician can shorten it" in result.stderr
    result = CliRunner().invoke(
        app, [*args, "--override-rest"], input="", obj=AppContext(clock=clock)
    )
    assert result.exit_code == 2


def test_a_left_session_asks_only_the_left_calfs_open_follow_up(tmp_path: Path) -> None:
    """Both calves on Monday; at 26 h `session calf --side left` asks the left calf's
    24 h follow-up before anything else, never the right calf's (`checkin` asks that)."""
    deps, clock = story(tmp_path)
    session(deps, side="both")
    at(clock, deps, 50)  # past the 48 h rest, both 24 h... follow-ups still open
    deps.talk.asked.clear()
    session(deps, side="left")
    assert "First, how did the last calf (left) session settle?" in deps.talk.transcript
    assert "calf (right) session settle" not in deps.talk.transcript
    answered = {
        c.data["session"]: int(c.data["hours"]) for c in deps.journal.recent(kinds={"checkin"})
    }
    sides = {
        r.id: r.data["side"]
        for r in deps.journal.recent(kinds={records.SESSION})
        if r.id in answered
    }
    assert sorted(sides.values()) == ["left"]


def test_when_every_side_is_refused_the_side_is_not_asked(tmp_path: Path) -> None:
    """Resting: `session calf` without --side refuses at once (one reason for both sides),
    never asking "Which side?" first; a left hold with the right resting names both."""
    deps, clock = story(tmp_path)
    session(deps, side="both")
    at(clock, deps, 30)
    deps.talk.asked.clear()
    message = refused(deps, "calf")
    assert "48 h of rest" in message
    assert not any("Which side" in q for q in deps.talk.asked)


def test_different_reasons_for_each_side_are_both_named_before_any_side_question(
    tmp_path: Path,
) -> None:
    """The right calf treated 30 h ago (resting), the left Achilles on hold (the same
    tissue as the left calf): `session calf` names each side's reason, without asking
    which side."""
    deps, clock = story(tmp_path)
    session(deps, side="right")
    at(clock, deps, 30)
    deps.journal.append(
        records.HOLD,
        {"region": "achilles", "rule": "soreness-7", "reason": "soreness 8", "side": "left"},
        at=clock.now(),
    )
    deps.talk.asked.clear()
    message = refused(deps, "calf")
    assert message.startswith("not today on either side: left calf: ")
    assert "achilles" in message and "; right calf: the calf needs 48 h of rest" in message
    assert not any("Which side" in q for q in deps.talk.asked)
