"""Numbness or weakness after a lower-back or neck session names that region's emergency
signs (clinical reference §8d), in the hold box and wherever the hold is shown again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from iastm_coach.journal.store import Journal
from iastm_coach.safety.redflags import REGION_SIGNS, RedFlag, advice_for
from tests.cli import NOW, run

BOX = str.maketrans("", "", "│╭╮╰╯─")


def flat(text: str) -> str:
    return " ".join(text.translate(BOX).split())


LOWER_BACK = flat(REGION_SIGNS["lower-back"].text)
NECK = flat(REGION_SIGNS["neck"].text)


def test_the_advice_leads_with_the_regions_emergency_signs() -> None:
    for rule in ("numbness", "weakness"):
        back = advice_for([RedFlag(rule, "x")], region="lower-back", zone="trunk")
        assert back.startswith(REGION_SIGNS["lower-back"].text)
        assert "saddle" in back and "bladder or bowel" in back and "leg weakness" in back
        neck = advice_for([RedFlag(rule, "x")], region="neck", zone="trunk")
        assert neck.startswith(REGION_SIGNS["neck"].text)
        for sign in ("double vision", "speaking or swallowing", "headache", "arm"):
            assert sign in neck
    # Soreness on the back, or numbness in a forearm, keeps the plain advice.
    assert advice_for([RedFlag("soreness-7", "x")], region="lower-back").startswith("Stop")
    assert advice_for([RedFlag("numbness", "x")], region="forearm-flexors").startswith("Stop")


def test_a_numb_neck_after_a_logged_session_and_every_later_view(isolated_home: Path) -> None:
    code, out, err = run("log", "neck", "--soreness", "2", "--numbness")
    assert code == 0, out + err
    box = flat(out).split("numbness or tingling right after the session", 1)[1]
    assert box.strip().startswith(NECK)
    later = NOW + timedelta(hours=20)
    assert NECK in flat(run("hold", "list", at=later)[1])
    assert NECK in flat(run("today", at=later)[1])
    assert NECK in flat(run("report", "--format", "md", at=later)[1])


def test_lower_back_weakness_at_a_check_in(isolated_home: Path) -> None:
    started = NOW - timedelta(hours=30)
    code, out, err = run("log", "lower-back", "--soreness", "2", "--when", started.isoformat())
    assert code == 0, out + err
    (session,) = Journal(isolated_home / "journal").recent(kinds={"session"})
    code, out, _ = run("checkin", session.id, "--soreness", "2", "--numbness")
    assert code == 0 and LOWER_BACK in flat(out)
    assert LOWER_BACK in flat(run("history")[1])
