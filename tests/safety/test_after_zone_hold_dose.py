"""After a hold is lifted, every region it stopped restarts at the reduced dose.

A leg swelling on the calf (a possible clot, clinical reference §8b) stops every leg
region on both legs; once a clinician has examined the leg and the hold is lifted, the
first session of the right Achilles (the same tissue chain) must not run at full dose
while the calf itself restarts at 50 %: the reduced restart follows the hold's reach.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from iastm_coach.journal.store import Journal
from tests.builders import READY, first_session_answers
from tests.cli import NOW, run

EXAMINED = ("--examined-by", "Dr Lee, GP", "--reason", "examined the leg, no clot, resume gently")


def swelling_then_cleared(home: Path) -> None:
    """Both calves logged, swelling at the right calf's 24 h check-in, then the hold lifted."""
    started = NOW - timedelta(hours=30)
    code, out, err = run("log", "calf", "--soreness", "2", "--when", started.isoformat())
    assert code == 0, out + err
    right = next(
        r for r in Journal(home / "journal").recent(kinds={"session"}) if r.data["side"] == "right"
    )
    assert run("checkin", right.id, "--soreness", "2", "--swelling")[0] == 0
    code, out, err = run("hold", "clear", "calf", *EXAMINED, at=NOW + timedelta(days=1))
    assert code == 0, out + err
    # The follow-ups still open are answered (settled, no sign), as a careful person would.
    code, out, err = run("checkin", at=NOW + timedelta(days=2), input="1\nn\nn\nn\nn\n\n" * 4)
    assert code == 0 and "No check-ins are due" not in out, out + err


def achilles_right(at_days: int) -> tuple[int, str, str]:
    first_use, checklist = first_session_answers("achilles", "leg")
    answers = first_use + "40\n" + checklist + READY + "2\nn\n\nn\n"
    return run(
        "session",
        "achilles",
        "--side",
        "right",
        "--no-bell",
        at=NOW + timedelta(days=at_days),
        input=answers,
    )


def test_a_region_the_hold_reached_restarts_at_the_reduced_dose(isolated_home: Path) -> None:
    swelling_then_cleared(isolated_home)
    code, out, err = achilles_right(3)
    assert code == 0, out + err
    assert "Today's dose: 50 %" in out
    assert "calf" in out.split("Today's dose: 50 %", 1)[1].split("\n", 1)[0]  # says whose hold
    sessions = Journal(isolated_home / "journal").recent(kinds={"session"})
    achilles = [r for r in sessions if r.data["region"] == "achilles"]
    assert [r.data["dose_percent"] for r in achilles] == [50]
    # That session used up the right Achilles' restart: test_the_reduced_restart_is_per_side.


def test_the_reduced_restart_is_per_side(isolated_home: Path) -> None:
    """The swelling held both legs. After the right Achilles' reduced restart, the left
    Achilles has not had one: its first session is reduced too (the right one's used it up
    for both), while the right is back to full."""
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.dose import next_dose

    swelling_then_cleared(isolated_home)
    assert achilles_right(3)[0] == 0
    journal = Journal(isolated_home / "journal")
    achilles = load_for_region("achilles").protocol
    later = NOW + timedelta(days=4)

    def percent(side: str) -> int:
        dose = next_dose(achilles, journal, region="achilles", now=later, sides=[side])
        return dose.percent

    assert percent("left") == 50
    assert percent("right") == 100


def test_a_session_record_without_a_side_uses_up_the_restart(isolated_home: Path) -> None:
    """An older (or hand-edited) neck record with no `side`: it still counts as the reduced
    session after the hold, so the neck does not stay at 50 % for ever."""
    from iastm_coach.journal.records import SESSION
    from iastm_coach.safety.dose import completed_since
    from tests.builders import add_session

    journal = Journal(isolated_home / "journal")
    record = add_session(journal, region="neck", side="none", started=NOW)
    assert completed_since(journal, "neck", NOW - timedelta(hours=1), ["none"])
    data = {k: v for k, v in record.data.items() if k != "side"}
    journal.append(SESSION, data, at=NOW + timedelta(days=3))
    later = NOW + timedelta(days=2)
    assert completed_since(journal, "neck", later, ["none"])
