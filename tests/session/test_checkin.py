"""The check-in rules as a core library (session/checkin.py), without a terminal: which
follow-up a check-in answers, what is written, which holds are placed, and what is kept
when the answers stop coming. Every step runs on an injected moment."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from iastm_coach.errors import UsageError
from iastm_coach.history.queries import DueCheckin, due_checkins
from iastm_coach.journal.store import Journal, Record
from iastm_coach.safety.holds import active_holds
from iastm_coach.session.checkin import (
    CheckinAnswers,
    CheckinResult,
    ask_follow_ups,
    due_item,
    find_session,
    follow_up_hours,
    open_follow_up,
    record_checkin,
)
from iastm_coach.session.conversation import EndOfInput
from iastm_coach.views.conversation import LineConversation
from tests.builders import T0, add_checkin, add_session, make_journal
from tests.fakes import FakeClock

CALM = CheckinAnswers(soreness=2)


@pytest.fixture(name="journal")
def _journal(tmp_path: Path) -> Journal:
    return make_journal(tmp_path)


def hours_after(session: Record, hours: float) -> datetime:
    return session.data["ended"] + timedelta(hours=hours)


# --- which follow-up ------------------------------------------------------------------------


def test_the_window_decides_the_follow_up(journal: Journal) -> None:
    """20-40 h answers 24 h, 40-64 h answers 48 h; before 20 h and after 96 h nothing does."""
    session = add_session(journal, started=T0)
    end = session.data["ended"]
    assert follow_up_hours(session, None, end + timedelta(hours=20)) == 24
    assert follow_up_hours(session, None, end + timedelta(hours=39, minutes=59)) == 24
    assert follow_up_hours(session, None, end + timedelta(hours=40)) == 48
    with pytest.raises(UsageError, match="no follow-up is open 10 h after"):
        follow_up_hours(session, None, end + timedelta(hours=10))


def test_a_named_follow_up_may_be_late_never_early(journal: Journal) -> None:
    """--hours 24 at 100 h is fine; --hours 48 at 25 h is refused, saying when it opens
    (rounded up to the minute, as every end is)."""
    session = add_session(journal, started=T0 + timedelta(seconds=30))
    end = session.data["ended"]
    assert follow_up_hours(session, 24, end + timedelta(hours=100)) == 24
    with pytest.raises(UsageError) as refused:
        follow_up_hours(session, 48, end + timedelta(hours=25))
    assert refused.value.message == "too early for the 48 h follow-up: it opens tomorrow 10:07"
    with pytest.raises(UsageError, match="--hours must be 24, 48, 72 or 120"):
        follow_up_hours(session, 36, end + timedelta(hours=40))


def test_open_follow_up_says_when_it_was_answered_already(journal: Journal) -> None:
    session = add_session(journal, started=T0)
    now = session.data["ended"] + timedelta(hours=26)
    assert open_follow_up(journal, session, now) == 24
    add_checkin(journal, session, hours=24, soreness=1, at=now - timedelta(hours=1))
    with pytest.raises(UsageError, match="24 h follow-up of that session is already answered"):
        open_follow_up(journal, session, now)
    with pytest.raises(UsageError, match="no follow-up of that session is open now"):
        open_follow_up(journal, session, session.data["ended"] + timedelta(hours=5))


def test_a_session_is_found_by_the_tail_of_its_id(journal: Journal) -> None:
    session = add_session(journal, started=T0)
    assert find_session(journal, session.id[-6:].lower()).id == session.id
    with pytest.raises(UsageError, match="no session with id 'NOPE'"):
        find_session(journal, "NOPE")


# --- recording ------------------------------------------------------------------------------


def test_a_calm_check_in_is_recorded_and_places_no_hold(journal: Journal) -> None:
    session = add_session(journal, region="calf", side="left", started=T0)
    now = session.data["ended"] + timedelta(hours=25)
    result = record_checkin(journal, session, CALM, hours=None, now=now)
    assert (result.hours, result.soreness, result.flags, result.place) == (
        24,
        2,
        [],
        "calf (left)",
    )
    assert result.record.at == now and result.record.data["session"] == session.id
    assert active_holds(journal) == {}


def test_a_red_flag_holds_the_region_naming_the_check_in(journal: Journal) -> None:
    session = add_session(journal, region="calf", started=T0)
    now = session.data["ended"] + timedelta(hours=25)
    result = record_checkin(
        journal, session, CheckinAnswers(soreness=7, swelling=True), hours=None, now=now
    )
    assert [flag.rule for flag in result.flags] == ["soreness-7", "swelling"]
    hold = active_holds(journal)["calf"]
    assert hold.source_id == result.record.id and hold.since == now


def test_soreness_above_usual_at_48_h_opens_the_72_h_follow_up(journal: Journal) -> None:
    """The story, for someone usually at 2: 4 at 24 h, 4 at 48 h (no flag, but asked again
    at 72 h, and the result says so), 4 at 72 h holds the region."""
    session = add_session(journal, region="neck", side="none", started=T0, baseline=2)
    sore = CheckinAnswers(soreness=4)
    first = record_checkin(journal, session, sore, hours=None, now=hours_after(session, 25))
    second = record_checkin(journal, session, sore, hours=None, now=hours_after(session, 45))
    assert first.asked_again_at is None and not second.flags
    assert (second.asked_again_at, second.baseline) == (72, 2)
    assert [d.hours for d in due_checkins(journal, hours_after(session, 70))] == [72]
    third = record_checkin(journal, session, sore, hours=None, now=hours_after(session, 70))
    assert [flag.rule for flag in third.flags] == ["still-4-at-72h"]
    assert "neck" in active_holds(journal)


# --- asking ---------------------------------------------------------------------------------


def talk(answers: str) -> tuple[LineConversation, Console]:
    console = Console(width=100, record=True, color_system=None)
    return LineConversation(console, io.StringIO(answers)), console


def test_each_answered_follow_up_is_recorded_at_the_time_it_was_answered(
    journal: Journal,
) -> None:
    left = add_session(journal, side="left", started=T0)
    right = add_session(journal, side="right", started=T0)
    clock = FakeClock(left.data["ended"] + timedelta(hours=26))
    items = due_checkins(journal, clock.now())
    conversation, console = talk("3\nn\nn\nn\nn\nleft ok\n" + "2\nn\nn\nn\nn\n\n")
    asked: list[DueCheckin] = []
    shown: list[CheckinResult] = []
    results = ask_follow_ups(
        journal,
        items,
        talk=conversation,
        clock=clock,
        asking=asked.append,
        recorded=shown.append,
    )
    assert [r.session.id for r in results] == [left.id, right.id] == [i.session.id for i in asked]
    assert shown == results
    assert [(r.soreness, r.record.data["note"]) for r in results] == [(3, "left ok"), (2, "")]
    assert "0 none, 1-3 mild, 4-6 moderate, 7-10 severe" in console.export_text()


def test_answers_that_stop_keep_what_was_answered_and_say_so(journal: Journal) -> None:
    """Input ends during the second follow-up: the first is kept, the hint counts it, and
    the second keeps what was answered (soreness 2, no bruising; the rest not asked)."""
    add_session(journal, side="left", started=T0)
    add_session(journal, side="right", started=T0)
    clock = FakeClock(T0 + timedelta(hours=26))
    conversation, _ = talk("3\nn\nn\nn\nn\n\n" + "2\nn\n")
    recorded: list[CheckinResult] = []
    with pytest.raises(EndOfInput) as stopped:
        ask_follow_ups(
            journal,
            due_checkins(journal, clock.now()),
            talk=conversation,
            clock=clock,
            asking=lambda item: None,
            recorded=recorded.append,
        )
    assert "Recorded: the 24 h check-in for calf (left)." in (stopped.value.hint or "")
    assert "Kept the answers given so far" in (stopped.value.hint or "")
    assert [r.soreness for r in recorded] == [3]
    second = max(journal.recent(kinds={"checkin"}), key=lambda r: r.seq)
    assert (second.data["soreness"], second.data["bruising"]) == (2, False)
    assert second.data["not_asked"] == ["numbness", "swelling", "worse"]


def test_a_follow_up_not_open_yet_is_refused_before_any_question(journal: Journal) -> None:
    session = add_session(journal, started=T0)
    clock = FakeClock(session.data["ended"] + timedelta(hours=25))
    conversation, console = talk("")
    with pytest.raises(UsageError, match="too early for the 48 h follow-up"):
        ask_follow_ups(
            journal,
            [due_item(session, 48)],
            talk=conversation,
            clock=clock,
            asking=lambda item: None,
            recorded=lambda result: None,
        )
    assert "Soreness" not in console.export_text()


class TypedAtATerminal(io.StringIO):
    """Answers typed at a terminal; its end is a Ctrl-D."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stop", ["ctrl-d", "ctrl-c"])
def test_stopping_at_a_terminal_names_what_was_kept_and_what_was_not_asked(
    journal: Journal, stop: str
) -> None:
    """Ctrl-D or Ctrl-C at the left calf's bruising question, with the right calf's
    follow-up still to come: the left soreness is kept, and the message names it, the
    signs not asked and the right calf's follow-up; Ctrl-D at a terminal is not told to
    run it in a terminal, Ctrl-C does not just say 'Interrupted.'"""
    from iastm_coach.errors import Interrupted

    add_session(journal, side="left", started=T0)
    add_session(journal, side="right", started=T0)
    clock = FakeClock(T0 + timedelta(hours=26))

    class CtrlC(TypedAtATerminal):
        def readline(self, size: int | None = -1) -> str:
            line = super().readline()
            if not line:
                raise KeyboardInterrupt
            return line

    stdin = TypedAtATerminal("2\n") if stop == "ctrl-d" else CtrlC("2\n")
    conversation = LineConversation(Console(width=100, color_system=None), stdin)
    with pytest.raises(EndOfInput if stop == "ctrl-d" else Interrupted) as stopped:
        ask_follow_ups(
            journal,
            due_checkins(journal, clock.now()),
            talk=conversation,
            clock=clock,
            asking=lambda item: None,
            recorded=lambda result: None,
        )
    hint = stopped.value.hint or ""
    assert "the 24 h check-in for calf (left), soreness 2/10" in hint
    assert "bruising, numbness, swelling, worse not asked" in hint
    assert "Not answered yet: the 24 h check-in for calf (right)" in hint
    assert "in a terminal" not in hint
    assert stopped.value.message != "Interrupted."
    (kept,) = journal.recent(kinds={"checkin"})
    assert kept.data["soreness"] == 2
