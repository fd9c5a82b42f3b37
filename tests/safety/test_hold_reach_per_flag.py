"""Each red flag reaches from its own side: two flags on two legs are not one on both.

A numbness hold on the left calf stops every left-leg region (a nerve trunk, §8b), and a
bruise on the right calf stops the right calf's tissue chain (Achilles, plantar fascia).
Folded into one calf hold, the sides used to be pooled, so the left leg's numbness
"covered every leg region" on the right too: the right shin was refused, and the refusal
named the wrong flag. The gate, `today` and `log` ask the same rule (`zones.reach`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from iastm_coach.journal.store import Journal
from tests.cli import NOW, run

LATER = NOW + timedelta(hours=2)


def calf_flags(home: Path, **signs: str) -> None:
    """Both calves logged 30 h ago, then each side's 24 h check-in with its *signs* option."""
    started = NOW - timedelta(hours=30)
    code, out, err = run("log", "calf", "--soreness", "2", "--when", started.isoformat())
    assert code == 0, out + err
    sessions = Journal(home / "journal").recent(kinds={"session"})
    for record in sorted(sessions, key=lambda r: r.data["side"]):
        option = signs[record.data["side"]]
        code, out, err = run("checkin", record.id, "--soreness", "2", option)
        assert code == 0, out + err


def test_numbness_on_the_left_leg_does_not_stop_the_right_shin(isolated_home: Path) -> None:
    calf_flags(isolated_home, left="--numbness", right="--bruising")
    code, out, err = run("session", "shin", "--side", "right", at=LATER, input="")
    assert "on hold" not in out + err and code == 2, out + err  # asked its first question
    code, out, err = run("session", "shin", "--side", "left", at=LATER, input="")
    assert code == 3 and "a numbness hold covers every leg region on that side" in out + err
    # The right calf's bruise still stops the right Achilles (the same tissue).
    code, out, err = run("session", "achilles", "--side", "right", at=LATER, input="")
    assert code == 3 and "treat the same tissue" in out + err


def test_the_refusal_names_the_flag_that_reaches(isolated_home: Path) -> None:
    calf_flags(isolated_home, left="--numbness", right="--swelling")
    code, out, err = run("session", "shin", "--side", "right", at=LATER, input="")
    text = " ".join((out + err).split())
    assert code == 3
    assert "swelling of a leg may be a blood clot" in text
    assert "numbness hold covers" not in text
