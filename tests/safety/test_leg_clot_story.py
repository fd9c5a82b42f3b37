"""A leg swelling after scraping: the same-day advice leads, and comes back in every view.

Clinical reference §8b: swelling, warmth, redness or pain of a leg after treatment is
itself a reason for same-day medical care, and a possible clot concerns both legs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from iastm_coach.journal.store import Journal
from iastm_coach.safety.redflags import LEG_CLOT_REMINDER, RedFlag, advice_for
from tests.builders import REPO
from tests.cli import NOW, run

BOX = str.maketrans("", "", "│╭╮╰╯─")


def flat(text: str) -> str:
    """The words of *text*, without box drawing or line breaks."""
    return " ".join(text.translate(BOX).split())


REMINDER = flat(LEG_CLOT_REMINDER)


def swollen_calf(home: Path) -> str:
    """Log a calf session (both sides) 30 h ago and answer swelling at its 24 h check-in."""
    started = NOW - timedelta(hours=30, minutes=4)
    code, out, err = run(
        "log", "calf", "--soreness", "2", "--minutes", "4", "--when", started.isoformat()
    )
    assert code == 0, out + err
    left = min(Journal(home / "journal").recent(kinds={"session"}), key=lambda r: r.data["side"])
    code, out, _ = run("checkin", left.id, "--soreness", "2", "--swelling")
    assert code == 0
    return flat(out)


def test_leg_swelling_advice_opens_with_same_day_care() -> None:
    text = advice_for([RedFlag("swelling", "x")], region="achilles", zone="leg")
    assert text.startswith("Get medical care today (the same day)")
    assert "Both legs are on hold" in text
    assert "no clear reason" not in text
    # An arm swelling keeps the plain advice (no clot wording).
    arm = advice_for([RedFlag("swelling", "x")], region="forearm-extensors", zone="arm")
    assert "clot" not in arm and arm.startswith("Stop treating")


def test_the_hold_box_leads_with_same_day_care(isolated_home: Path) -> None:
    out = swollen_calf(isolated_home)
    box = out.split("Stop: the calf is now on hold", 1)[1]
    advice = box.split("swelling at the 24 h check-in", 1)[1].strip()
    assert advice.startswith("Get medical care today (the same day)")
    assert "Both legs are on hold" in advice and "no clear reason" not in out


def test_every_later_view_repeats_the_same_day_advice(isolated_home: Path) -> None:
    swollen_calf(isolated_home)
    later = NOW + timedelta(hours=20)
    assert REMINDER in flat(run("today", at=later)[1])
    assert REMINDER in flat(run("hold", "list", at=later)[1])
    assert REMINDER in flat(run("history", at=later)[1])
    report = flat(run("report", "--format", "md", at=later)[1])
    assert report.count(REMINDER) >= 2  # at a glance and under "Holds now in force"
    # The session refusal of any leg region, on either leg, repeats it; an arm does not.
    for region in ("calf", "achilles", "plantar-fascia", "quadriceps", "hamstrings"):
        for side in ("left", "right"):
            code, out, err = run("session", region, "--side", side, at=later, input="")
            assert code == 3, (region, out + err)
            assert REMINDER in flat(out + err), region
    code, out, err = run("session", "forearm-extensors", "--side", "left", at=later, input="")
    assert REMINDER not in flat(out + err)


def test_no_clear_reason_is_gone_everywhere() -> None:
    """'For no clear reason' invites blaming the scraping (§8b): nowhere in code, data or docs."""
    repo = REPO
    files = [repo / "README.md", *(repo / "iastm_coach").rglob("*.py"), *(repo / "data").rglob("*")]
    assert [p for p in files if p.is_file() and "no clear reason" in p.read_text("utf-8")] == []
