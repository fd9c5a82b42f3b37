"""`iastm-coach checkin`: asked or with options, windows, late answers, red flags."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.journal.store import Journal, Record
from tests.cli import NOW, invoke, run

# Every warning sign a check-in asks, answered "no" from the command line.
NO_SIGNS = ("--no-bruising", "--no-numbness", "--no-swelling", "--no-worse")


def logged(
    home: Path, hours_ago: float, *, region: str = "neck", side: str | None = None
) -> list[Record]:
    """Log a session that ended *hours_ago* hours ago; return its records."""
    minutes = 4
    started = NOW - timedelta(hours=hours_ago, minutes=minutes)
    args = [
        "log",
        region,
        "--soreness",
        "2",
        "--minutes",
        str(minutes),
        "--when",
        started.isoformat(),
    ]
    if side:
        args += ["--side", side]
    code, out, err = run(*args)
    assert code == 0, out + err
    found = Journal(home / "journal").recent(kinds={"session"})
    return sorted(found, key=lambda r: r.data["side"])


def checkins(home: Path) -> list[Record]:
    return Journal(home / "journal").recent(kinds={"checkin"})


def holds(home: Path) -> list[Record]:
    return Journal(home / "journal").recent(kinds={"hold"})


# --- with options --------------------------------------------------------------------------


def test_checkin_by_id_infers_24h(isolated_home: Path) -> None:
    """`checkin ID --soreness N` at 25 h answers the 24 h follow-up; no flag, exit 0."""
    (session,) = logged(isolated_home, 25)
    code, out, _ = run("checkin", session.id, "--soreness", "3", "--note", "fine")
    assert code == 0
    assert "Recorded the 24 h check-in for neck: soreness 3/10." in out
    (record,) = checkins(isolated_home)
    assert record.data["session"] == session.id
    assert (record.data["hours"], record.data["soreness"], record.data["note"]) == (24, 3, "fine")
    assert holds(isolated_home) == []


def test_checkin_by_short_id(isolated_home: Path) -> None:
    """The last characters of the id, as history shows them, are enough."""
    (session,) = logged(isolated_home, 45)
    code, out, _ = run("checkin", session.id[-6:].lower(), "--soreness", "1")
    assert code == 0 and "48 h check-in" in out


def test_checkin_unknown_id(isolated_home: Path) -> None:
    """An id that matches no session: exit 2 with where to find ids."""
    code, _, err = run("checkin", "ZZZZZZ", "--soreness", "1")
    assert code == 2 and "no session with id 'ZZZZZZ'" in err and "history" in err


def test_soreness_needs_session_id(isolated_home: Path) -> None:
    """--soreness without SESSION_ID: exit 2."""
    code, _, err = run("checkin", "--soreness", "3")
    assert code == 2 and "--soreness needs a SESSION_ID" in err


def test_soreness_out_of_range(isolated_home: Path) -> None:
    """Soreness outside 0-10: exit 2 with the scale; nothing written."""
    (session,) = logged(isolated_home, 25)
    code, _, err = run("checkin", session.id, "--soreness", "12")
    assert code == 2 and "from 0 to 10 (got 12)" in err and "7-10 severe" in err
    assert checkins(isolated_home) == []


def test_hours_must_be_a_follow_up(isolated_home: Path) -> None:
    """--hours accepts 24, 48, 72 or 120 only."""
    (session,) = logged(isolated_home, 25)
    code, _, err = run("checkin", session.id, "--soreness", "2", "--hours", "36")
    assert code == 2 and "--hours must be 24, 48, 72 or 120" in err


def test_too_early(isolated_home: Path) -> None:
    """A 48 h answer at 25 h is refused, saying when it opens."""
    (session,) = logged(isolated_home, 25)
    code, _, err = run("checkin", session.id, "--soreness", "2", "--hours", "48")
    assert code == 2 and "too early for the 48 h follow-up" in err


def test_no_window_open_needs_hours(isolated_home: Path) -> None:
    """Fifteen days later nothing is open; --hours records a follow-up noted at the time."""
    (session,) = logged(isolated_home, 15 * 24)
    code, _, err = run("checkin", session.id, "--soreness", "2")
    assert code == 2 and "no follow-up is open" in err
    code, out, _ = run("checkin", session.id, "--soreness", "2", "--hours", "24")
    assert code == 0 and "24 h check-in" in out


def test_an_unanswered_follow_up_stays_due(isolated_home: Path) -> None:
    """Five days on, the 48 h follow-up never answered is still the one asked (late): an
    unanswered follow-up does not expire silently (issue 10 item 5)."""
    (session,) = logged(isolated_home, 120)
    code, out, _ = run("checkin", session.id, "--soreness", "2")
    assert code == 0 and "48 h check-in" in out


def test_late_24h_answer_counts(isolated_home: Path) -> None:
    """A 24 h answer given late (--hours 24 at 50 h) counts as 24 h, then 48 h compares with it."""
    (session,) = logged(isolated_home, 50)
    assert run("checkin", session.id, "--soreness", "2", "--hours", "24")[0] == 0
    code, out, _ = run("checkin", session.id, "--soreness", "5")
    assert code == 0
    flat = " ".join(out.split())
    assert "48 h check-in" in flat and "rose from 2/10 at 24 h to 5/10 at 48 h" in flat
    assert [h.data["rule"] for h in holds(isolated_home)] == ["worse-48h"]


def test_red_flag_holds_region(isolated_home: Path) -> None:
    """Each warning sign puts the region on hold (one hold record per flag, naming the check-in)."""
    (session,) = logged(isolated_home, 30)
    code, out, _ = run("checkin", session.id, "--soreness", "7", "--swelling", "--numbness")
    assert code == 0
    flat = " ".join(out.split())
    assert "neck is now on hold" in flat and "contact your clinician" in flat
    (record,) = checkins(isolated_home)
    assert sorted(h.data["rule"] for h in holds(isolated_home)) == [
        "numbness",
        "soreness-7",
        "swelling",
    ]
    assert {h.data["source"] for h in holds(isolated_home)} == {record.id}
    assert "On hold: neck" in run("hold", "list")[1]


def test_calf_swelling_urgent_advice(isolated_home: Path) -> None:
    """Swelling of the calf adds the seek-urgent-care advice."""
    left, _right = logged(isolated_home, 30, region="calf")
    code, out, _ = run("checkin", left.id, "--soreness", "2", "--swelling")
    assert code == 0 and "Get medical care today (the same day)" in " ".join(out.split())


def test_72h_asked_when_48h_sore(isolated_home: Path) -> None:
    """48 h soreness 4+ says a 72 h follow-up comes; at 72 h soreness 4+ holds the region."""
    (session,) = logged(isolated_home, 70)
    run("checkin", session.id, "--soreness", "4", "--hours", "24")
    code, out, _ = run("checkin", session.id, "--soreness", "4", "--hours", "48")
    assert code == 0 and "asked again at 72 h" in out
    code, out, _ = run("checkin", session.id, "--soreness", "4")
    assert code == 0 and "72 h check-in" in out
    assert [h.data["rule"] for h in holds(isolated_home)] == ["still-4-at-72h"]


def test_72h_note_promises_a_wait_only_when_the_session_would_wait(isolated_home: Path) -> None:
    """48 h soreness 2 (above usual, below 4): a 72 h follow-up comes, but the next session is
    not held back by it (the gate waits only for 4 or more, or above usual from 72 h on), so
    the note must not say it waits; at 4 or more it does wait, and says so."""
    (session,) = logged(isolated_home, 70)
    run("checkin", session.id, "--soreness", "1", "--hours", "24")
    code, out, _ = run("checkin", session.id, "--soreness", "2", "--hours", "48")
    said = " ".join(out.split())
    assert code == 0 and "asked again at 72 h" in said and "waits" not in said
    (other,) = [r for r in logged(isolated_home, 70, region="lower-back") if r != session]
    run("checkin", other.id, "--soreness", "4", "--hours", "24")
    code, out, _ = run("checkin", other.id, "--soreness", "4", "--hours", "48")
    said = " ".join(out.split())
    assert code == 0 and "the next lower-back session waits for that answer" in said


# --- asked interactively ------------------------------------------------------------------------


def test_interactive_asks_every_due_follow_up(isolated_home: Path) -> None:
    """Without options: every due follow-up, soreness with anchors, four yes/no signs, a note."""
    logged(isolated_home, 26, region="calf")
    answers = "3\nn\nn\nn\nn\nleft ok\n" + "11\n2\nn\nn\nn\nn\n\n"
    code, out, _ = run("checkin", input=answers)
    assert code == 0, out
    assert out.count("24 h follow-up for calf") == 2
    assert "0 none, 1-3 mild, 4-6 moderate, 7-10 severe" in " ".join(out.split())
    assert "Please type a whole number from 0 to 10." in out
    sides = {
        s.id: s.data["side"] for s in Journal(isolated_home / "journal").recent(kinds={"session"})
    }
    found = sorted(checkins(isolated_home), key=lambda r: sides[r.data["session"]])
    assert [(c.data["soreness"], c.data["note"]) for c in found] == [(3, "left ok"), (2, "")]


def test_interactive_red_flag(isolated_home: Path) -> None:
    """A yes to bruising when asked holds the region."""
    (session,) = logged(isolated_home, 26)
    code, _, _ = run("checkin", input="2\ny\nn\nn\nn\n\n")
    assert code == 0
    assert [h.data["rule"] for h in holds(isolated_home)] == ["bruising"]
    assert session.id == checkins(isolated_home)[0].data["session"]


def test_interactive_one_session(isolated_home: Path) -> None:
    """`checkin ID` without --soreness asks about that session's open follow-up."""
    (session,) = logged(isolated_home, 42)
    code, out, _ = run("checkin", session.id, input="1\nn\nn\nn\nn\n\n")
    assert code == 0 and "48 h follow-up for neck" in out


def test_interactive_like_the_session(isolated_home: Path) -> None:
    """Asked as in a session: a non-number or a wrong y/n is asked again in plain words,
    piped answers are echoed, yes/no prompts read `[y/n]` without a colon, and the
    warning signs need an explicit y or n (Enter is not taken as no)."""
    (session,) = logged(isolated_home, 26)
    code, out, err = run("checkin", input="abc\n2\nx\n\nn\nn\nn\nn\nstiff in the morning\n")
    assert code == 0, out + err
    assert "Input should be a valid integer" not in out + err
    assert out.count("Please type a whole number from 0 to 10.") == 1
    assert out.count("Please answer y or n.") == 2
    assert "[0-10] abc" in out and "[0-10] 2" in out  # the answers are echoed
    assert "Swelling? [y/n] n" in out and "[y/N]:" not in out
    assert "A note for your journal? (Enter to skip) stiff in the morning" in out
    (record,) = checkins(isolated_home)
    assert (record.data["session"], record.data["soreness"], record.data["note"]) == (
        session.id,
        2,
        "stiff in the morning",
    )


@pytest.mark.parametrize("answers", ["", "3\nn\n"])
def test_input_ends_is_a_usage_error(isolated_home: Path, answers: str) -> None:
    """Input that ends before every question is answered: exit 2 (not 1, not 'Aborted!'),
    saying which question; what was answered is kept, the rest recorded as not asked."""
    logged(isolated_home, 26)
    code, out, err = run("checkin", input=answers)
    assert code == 2, out + err
    assert "Aborted" not in out + err
    assert "the input ended before this was answered" in err
    assert "--soreness N" in err
    kept = [
        (r.data["soreness"], r.data.get("bruising"), r.data.get("not_asked"))
        for r in checkins(isolated_home)
    ]
    assert kept == ([] if not answers else [(3, False, ["numbness", "swelling", "worse"])])
    assert ("Kept the answers given so far" in err) == bool(answers)


def test_input_ends_after_one_of_two(isolated_home: Path) -> None:
    """Two follow-ups due, answers for one: that one is recorded, and the hint says so."""
    logged(isolated_home, 26, region="calf")
    code, _, err = run("checkin", input="3\nn\nn\nn\nn\n\n")
    assert code == 2
    assert "Recorded: the 24 h check-in for calf" in " ".join(err.split())
    assert [c.data["soreness"] for c in checkins(isolated_home)] == [3]


def test_ctrl_c_exits_130(isolated_home: Path) -> None:
    """Ctrl-C while asked: exit 130 saying so and naming the follow-up not answered;
    nothing recorded."""
    logged(isolated_home, 26)

    class CtrlC(io.StringIO):
        def readline(self, size: int | None = -1) -> str:
            raise KeyboardInterrupt

    result = invoke("checkin", stdin=CtrlC())
    code, out, err = result.exit_code, result.stdout, result.stderr
    assert code == 130, out + err
    assert "the check-in was interrupted (Ctrl-C)" in err and "Aborted" not in out + err
    assert "Not answered yet: the 24 h check-in for neck" in " ".join(err.split())
    assert checkins(isolated_home) == []


def test_refused_before_asking(isolated_home: Path) -> None:
    """`checkin ID --hours 48` too early, or an answered follow-up: exit 2 before any question."""
    (session,) = logged(isolated_home, 25)
    code, out, err = run("checkin", session.id, "--hours", "48", input="")
    assert code == 2 and "too early" in err and "Soreness" not in out
    run("checkin", session.id, "--soreness", "1", *NO_SIGNS)
    code, out, err = run("checkin", session.id, input="")
    assert code == 2 and "already answered" in err and "--hours 24" in err


def test_nothing_due(isolated_home: Path) -> None:
    """No follow-up due: says so, asks nothing, exit 0."""
    logged(isolated_home, 2)
    code, out, _ = run("checkin")
    assert code == 0 and "No check-ins are due." in out


def test_answered_follow_up_not_asked_again(isolated_home: Path) -> None:
    """Once the 24 h follow-up is answered it is no longer due (nor in the reminder). An
    answer that left the warning signs unknown (soreness only, no terminal) keeps it due,
    and says so: a swelling nobody asked about is not a "no"."""
    (session,) = logged(isolated_home, 25)
    assert "check-in due" in run("history")[1]
    code, out, _ = run("checkin", session.id, "--soreness", "1")
    assert code == 0 and "stays due until they are answered" in " ".join(out.split())
    assert "check-in due" in run("history")[1]
    code, out, err = run("checkin", input="1\nn\nn\nn\nn\n\n")
    assert code == 0, out + err
    assert "It corrects the answer given" in " ".join(out.split())
    (full,) = [c for c in checkins(isolated_home) if not c.data.get("not_asked")]
    assert full.data["swelling"] is False and full.data["corrects"]
    assert (
        run("checkin")[1].strip() == "No check-ins are due. Follow-ups open 20 h after a session."
    )
    assert "check-in due" not in run("history")[1]


@pytest.mark.slow
def test_ctrl_c_in_a_terminal(isolated_home: Path) -> None:
    """The installed program in a pseudo-terminal: Ctrl-C at the soreness question exits
    130 (not 1 with 'Aborted!'), and nothing is recorded."""
    import pexpect

    from tests.terminal import PROGRAM, spawn, terminal_env

    logged(isolated_home, 26)
    env = terminal_env(IASTM_COACH_HOME=str(isolated_home), IASTM_COACH_NOW=NOW.isoformat())
    child = spawn(PROGRAM, ["checkin"], env=env, dimensions=(24, 100))
    child.expect(r"\[0-10\]")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, child.before
    assert "Aborted" not in (child.before or "")
    assert checkins(isolated_home) == []


def test_checkin_on_a_new_journal_says_what_to_do_first(isolated_home: Path) -> None:
    """Nothing recorded yet: one short line pointing to the first session."""
    code, out, _ = run("checkin")
    assert code == 0 and "Nothing to check in yet" in out and "iastm-coach session" in out
    logged(isolated_home, 2)
    assert "No check-ins are due" in run("checkin")[1]


def test_a_check_in_cut_short_is_asked_again_for_the_signs_it_missed(isolated_home: Path) -> None:
    """Input ends after soreness and bruising (Ctrl-D, or a pipe): exit 2, the answers given
    are kept and the rest are unknown; the follow-up is still due, and the next `checkin`
    asks it whole, so swelling and numbness get an answer."""
    logged(isolated_home, 25)
    code, _, err = run("checkin", input="2\nn\n")
    assert code == 2 and "run `iastm-coach checkin` again to answer them" in " ".join(err.split())
    (partial,) = checkins(isolated_home)
    assert partial.data["soreness"] == 2 and "swelling" in partial.data["not_asked"]
    code, out, err = run("checkin", input="2\nn\nn\ny\nn\n\n")  # swelling: yes
    assert code == 0, out + err
    assert "on hold" in " ".join(out.split()).lower()
    assert run("checkin")[1].startswith("No check-ins are due")
