"""What the screen says is what the journal holds: a skipped area, Ctrl-C after the strokes,
and a session cut short after a hold (which does not use up the reduced return dose)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iastm_coach.errors import Interrupted
from iastm_coach.history.queries import SessionRow
from iastm_coach.journal.store import records
from iastm_coach.safety.holds import clear_hold
from tests.builders import MILD, make_deps, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk


def test_next_area_is_recorded_as_skipped_and_the_session_as_complete(tmp_path: Path) -> None:
    """`n` at the start of the first area and 5 s into the second: the session finishes
    ('Session done', exit 0), and the journal says the same: complete, one area skipped
    and one ended early (not 'interrupted')."""
    talk = ScriptedTalk([*MILD, ("smooth", True)])
    deps = make_deps(tmp_path, talk, keys=[(0.0, "n"), (40.0, "n")])
    outcome = session(deps, side="left")
    assert outcome.result.ended_by == "finished"
    (record,) = deps.journal.recent(kinds={records.SESSION})
    statuses = [area["status"] for area in record.data["areas"]]
    assert statuses[:2] == ["skipped", "partial"] and set(statuses[2:]) == {"done"}
    assert record.data["complete"] is True
    status = SessionRow.from_record(record).status()
    assert status.startswith("complete, 1 area skipped, 1 area ended early"), status


def test_ctrl_c_after_the_strokes_says_what_is_saved(tmp_path: Path) -> None:
    """Ctrl-C at the first aftercare question: the strokes were all done, so the record is
    complete, and the message says so instead of 'marked incomplete'; exit 130."""
    talk = ScriptedTalk([("Soreness now", KeyboardInterrupt()), ("smooth", True), ("right now", 1)])
    deps = make_deps(tmp_path, talk)
    with pytest.raises(Interrupted) as caught:
        session(deps, side="left")
    (record,) = deps.journal.recent(kinds={records.SESSION})
    assert record.data["complete"] is True and record.data["aftercare_answered"] is False
    assert "marked incomplete" not in caught.value.message
    assert "kept in your journal as done" in caught.value.message


def test_a_session_cut_short_after_a_hold_keeps_the_reduced_return_dose(tmp_path: Path) -> None:
    """Soreness 8 holds the calf; a clinician lifts it; the first session back (reduced dose)
    is stopped with Ctrl-C after 10 s: the next one is still at the reduced dose."""
    clock = FakeClock()
    talk = ScriptedTalk(
        [("Soreness now", 8), ("smooth", True), ("right now", 0), ("treated area now", 1)]
    )
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    clock.advance(5 * 24 * 3600)
    clear_hold(
        deps.journal, region="calf", reason="physio OK", examined_by="Dr Lee", at=clock.now()
    )
    cut = make_deps(tmp_path, ScriptedTalk([*MILD]), clock, keys=[(10.0, KeyboardInterrupt)])
    with pytest.raises(Interrupted):
        session(cut, side="left")
    clock.advance(3 * 24 * 3600)
    back = session(make_deps(tmp_path, ScriptedTalk([*MILD]), clock), side="left")
    assert "hold was lifted" in back.sessions[0].data["dose_reason"], "still owed"


def test_ctrl_d_in_the_aftercare_keeps_the_answers_and_says_what_was_not_asked(
    tmp_path: Path,
) -> None:
    """Both calves done; Ctrl-D at the left calf's warning signs, after its soreness: the
    soreness is kept, the message names what was saved and each thing not asked (the left
    signs, the right calf, the note, the exercises), the warning signs and the check-in
    reminder are shown, and the input error (exit 2) says nothing about using a terminal."""
    from iastm_coach.session.conversation import EndOfInput

    ended = EndOfInput("the answers ended (Ctrl-D)", at_terminal=True)
    talk = ScriptedTalk([*MILD, ("Bruising (more", ended)])
    deps = make_deps(tmp_path, talk)
    with pytest.raises(EndOfInput) as caught:
        session(deps, side="both")
    left, right = sorted(deps.journal.recent(kinds={records.SESSION}), key=lambda r: r.data["side"])
    assert left.data["soreness"] == 2 and right.data["soreness"] == -1
    assert not left.data["aftercare_answered"] and not right.data["aftercare_answered"]
    hint = caught.value.hint or ""
    assert hint.startswith(
        "Saved in your journal: the strokes (4 min 00 s); left calf soreness 2/10."
    )
    assert (
        "Not asked (recorded as unanswered): the left calf's warning signs; the right calf's "
        "soreness and warning signs; the note; the exercises." in hint
    )
    assert "terminal" not in hint
    assert "Not normal - stop and contact your clinician" in talk.transcript
    assert "run `iastm-coach checkin`" in talk.transcript
    assert caught.value.exit_code == 2
