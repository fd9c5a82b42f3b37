"""`log`, `history`, `trend` and `hold` through the real command line (CliRunner)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from iastm_coach.history.queries import ROW_FIELDS
from iastm_coach.journal.store import Journal
from tests.builders import add_measure
from tests.cli import NOW, ago, run


def journal(home: Path) -> Journal:
    return Journal(home / "journal")


# --- log ----------------------------------------------------------------------------------------


def test_log_records_both_sides(isolated_home: Path) -> None:
    """`log calf` writes one session per side, source log, sharing a group."""
    code, out, _ = run(
        "log", "calf", "--soreness", "3", "--minutes", "8", "--note", "at the clinic"
    )
    assert code == 0, out
    assert "Logged calf (left and right)" in out and "8.0 min" in out
    sessions = journal(isolated_home).recent(kinds={"session"})
    assert sorted(s.data["side"] for s in sessions) == ["left", "right"]
    assert {s.data["source"] for s in sessions} == {"log"}
    assert len({s.data["group"] for s in sessions}) == 1
    assert {s.data["actual_s"] for s in sessions} == {240}
    assert all(len(s.data["protocol_fingerprint"]) == 64 for s in sessions)


def test_log_one_side_and_unsided_region(isolated_home: Path) -> None:
    """--side picks one side; a region without sides takes no --side."""
    assert run("log", "calf", "--soreness", "1", "--side", "left")[0] == 0
    assert run("log", "neck", "--soreness", "1")[0] == 0
    code, _, err = run("log", "neck", "--soreness", "1", "--side", "left")
    assert code == 2 and "has no left and right side" in err
    sides = sorted(s.data["side"] for s in journal(isolated_home).recent(kinds={"session"}))
    assert sides == ["left", "none"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--soreness", "11"], "--soreness must be a whole number from 0 to 10 (got 11)"),
        (["--soreness", "-1"], "--soreness must be a whole number from 0 to 10 (got -1)"),
        (["--soreness", "2", "--minutes", "0"], "--minutes must be between 0.5 and 60 (got 0)"),
        (["--soreness", "2", "--minutes", "90"], "--minutes must be between 0.5 and 60 (got 90)"),
        (["--soreness", "2", "--when", "yesterday"], "--when must be a date and time"),
        (["--soreness", "2", "--when", "2999-01-01 10:00"], "--when is in the future"),
    ],
)
def test_log_validates_ranges(isolated_home: Path, args: list[str], message: str) -> None:
    """Out-of-range values: exit 2, saying what is allowed, nothing written."""
    code, _, err = run("log", "calf", *args)
    assert code == 2
    assert message in " ".join(err.split())
    assert journal(isolated_home).recent() == []


def test_log_unknown_region(isolated_home: Path) -> None:
    """An unknown region is a usage error with a suggestion."""
    code, _, err = run("log", "calff", "--soreness", "2")
    assert code == 2 and "unknown region 'calff'" in err


def test_log_when_with_offset_kept(isolated_home: Path) -> None:
    """--when with a UTC offset is stored as that instant."""
    assert run("log", "neck", "--soreness", "2", "--when", "2025-01-05T08:30+09:00")[0] == 0
    session = journal(isolated_home).recent(kinds={"session"})[0]
    assert session.data["started"] == datetime.fromisoformat("2025-01-05T08:30+09:00")


def test_log_red_flag_puts_region_on_hold(isolated_home: Path) -> None:
    """Soreness 7+ (or bruising, numbness) when logging holds the region, with advice."""
    code, out, _ = run("log", "calf", "--soreness", "7", "--side", "right", "--bruising")
    assert code == 0
    flat = " ".join(out.split())
    assert "calf is now on hold" in flat and "contact your clinician" in flat
    holds = journal(isolated_home).recent(kinds={"hold"})
    assert sorted(h.data["rule"] for h in holds) == ["bruising", "soreness-7"]


# --- history --------------------------------------------------------------------------------


def test_history_empty(isolated_home: Path) -> None:
    """No journal yet: a friendly hint, exit 0."""
    code, out, _ = run("history")
    assert code == 0 and "No sessions recorded yet" in " ".join(out.split())


def test_history_table_newest_first(isolated_home: Path) -> None:
    """The table shows local time, region and side, protocol with fingerprint, soreness, note."""
    run("log", "neck", "--soreness", "2", "--when", ago(50), "--note", "[bold]plain[/bold]")
    run("log", "calf", "--soreness", "4", "--side", "left", "--when", ago(30))
    code, out, _ = run("history")
    assert code == 0
    assert out.index("calf (left)") < out.index("neck")
    assert "[bold]plain[/bold]" in out
    assert "built-in" in out and "4 / – / –" in out
    fingerprint = journal(isolated_home).recent(kinds={"session"})[0].data["protocol_fingerprint"]
    assert fingerprint[:12] in out
    assert "check-in" in out  # the reminder line: the 24 h follow-up of the calf is due


def test_history_json_fields(isolated_home: Path) -> None:
    """--json: documented field names, newest first, --last honoured, region filter."""
    run("log", "neck", "--soreness", "2", "--when", ago(5))
    run("log", "calf", "--soreness", "3", "--side", "left", "--when", ago(3))
    code, out, _ = run("history", "--json", "--last", "1")
    assert code == 0
    data = json.loads(out)
    assert data["history_version"] == 1
    assert [list(s) for s in data["sessions"]] == [[name for name, _ in ROW_FIELDS]]
    assert data["sessions"][0]["region"] == "calf"
    data = json.loads(run("history", "neck", "--json")[1])
    assert [s["region"] for s in data["sessions"]] == ["neck"]


def test_history_since(isolated_home: Path) -> None:
    """--since YYYY-MM-DD keeps sessions from that day on."""
    run("log", "neck", "--soreness", "2", "--when", "2025-01-05T08:30+00:00")
    run("log", "neck", "--soreness", "2", "--when", "2025-02-05T08:30+00:00")
    data = json.loads(run("history", "--json", "--since", "2025-02-01")[1])
    assert len(data["sessions"]) == 1
    assert run("history", "--since", "1st of May")[0] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--last", "0"], "--last must be 1 or more"), (["shoulderr"], "unknown region")],
)
def test_history_usage_errors(isolated_home: Path, args: list[str], message: str) -> None:
    """Bad --last or region: exit 2 with the reason."""
    code, _, err = run("history", *args)
    assert code == 2 and message in err


def test_history_shows_hold(isolated_home: Path) -> None:
    """A hold placed by a listed session is shown with how to lift it, until lifted."""
    run("log", "neck", "--soreness", "8")
    code, out, _ = run("history")
    flat = " ".join(out.split())
    assert code == 0
    assert "soreness-7" in flat and "On hold: neck" in flat and "(on hold)" in flat
    assert "iastm-coach hold clear neck --examined-by WHO --reason TEXT" in flat
    assert run("hold", "clear", "neck", "--reason", "seen by GP", "--examined-by", "Dr Ng")[0] == 0
    flat = " ".join(run("history")[1].split())
    assert "soreness-7" in flat and "On hold" not in flat and "(on hold)" not in flat


# --- holds ------------------------------------------------------------------------------------


def test_hold_list_and_clear(isolated_home: Path) -> None:
    """`hold list` shows the hold; `hold clear` lifts it with a reason; again: exit 2."""
    run("log", "calf", "--soreness", "9", "--side", "left")
    code, out, _ = run("hold", "list")
    assert code == 0 and "On hold: calf" in out
    code, out, _ = run(
        "hold", "clear", "calves", "--reason", "physio checked it", "--examined-by", "Dr Lee"
    )
    assert code == 0
    assert "Lifted the hold on calf" in out and "50 %" in out
    clear = journal(isolated_home).recent(kinds={"hold_clear"})[0]
    held = [r.id for r in journal(isolated_home).recent(kinds={"hold"})]
    assert dict(clear.data) == {
        "region": "calf", "reason": "physio checked it", "lifts": held, "examined_by": "Dr Lee"
    }  # fmt: skip
    assert run("hold", "list")[1].strip() == "No region is on hold."
    code, _, err = run("hold", "clear", "calf", "--reason", "again please")
    assert code == 2 and "'calf' is not on hold" in err


def test_hold_clear_needs_reason(isolated_home: Path) -> None:
    """--reason is required (exit 2), and may not be blank."""
    run("log", "calf", "--soreness", "9", "--side", "left")
    assert run("hold", "clear", "calf")[0] == 2
    code, _, err = run("hold", "clear", "calf", "--reason", "  ")
    assert code == 2 and "reason of a few words is required" in err


# --- trend --------------------------------------------------------------------------------------


def test_trend_chart_and_summary(isolated_home: Path) -> None:
    """`trend calf` draws the soreness chart, the weekly bars with the target, and a summary."""
    for days in (20, 16, 9, 5, 2):
        run("log", "calf", "--soreness", str(days % 7), "--side", "left", "--when", ago(24 * days))
    code, out, _ = run("trend", "calf", "--weeks", "4")
    assert code == 0
    assert "Soreness (0-10)" in out and "o right after" in out
    assert "prescribed: 2 a week" in out
    # Counted sessions plus this week's so far (not counted until it is over or on target):
    # five, whatever the weekday.
    (summary,) = [line for line in " ".join(out.split()).split("• ") if line.startswith("calf:")]
    counted = re.match(r"calf: (\d+) sessions? in", summary)
    so_far = re.search(r"This week so far: (\d+)", summary)
    assert counted is not None
    assert int(counted[1]) + (int(so_far[1]) if so_far else 0) == 5


def test_trend_empty_and_bad_weeks(isolated_home: Path) -> None:
    """A new journal: two lines saying what to do, no empty weeks. --weeks out of range: exit 2."""
    code, out, _ = run("trend")
    assert code == 0 and "No sessions yet" in out and "iastm-coach session REGION" in out
    assert "0\n" not in out and len(out.strip().splitlines()) <= 3
    assert run("trend", "--weeks", "0")[0] == 2


def test_trend_of_a_first_week_lists_no_weeks_before_it(isolated_home: Path) -> None:
    """The first session was today: the weekly counts start this week, not 11 weeks back."""
    assert run("log", "calf", "--soreness", "2")[0] == 0
    code, out, _ = run("trend")
    assert code == 0
    weeks = re.findall(r"^  \d{4}-\d{2}-\d{2}  ", out, flags=re.MULTILINE)
    assert len(weeks) == 1, out


# --- exercises and outcome measures ---------------------------------------------------------------


def add_exercises_and_values(home: Path) -> None:
    """Guided exercises (4 of 6 sets) and a before/after measurement for the newest sitting."""
    from iastm_coach.journal import records

    store = journal(home)
    sessions = store.recent(kinds={"session"})
    newest = sessions[0]
    store.append(
        records.EXERCISE,
        {
            "session": newest.id,
            "group": newest.data["group"],
            "region": newest.data["region"],
            "exercises": [
                {"name": "Calf raise", "sets_done": 3, "sets_planned": 3},
                {"name": "[bold]Stretch[/bold]", "sets_done": 1, "sets_planned": 3},
            ],
        },
        at=newest.data["ended"] + timedelta(minutes=5),
    )
    for session in sessions:
        if session.data["group"] != newest.data["group"]:
            continue
        for phase, value, at in (
            ("before", 9.0, session.data["started"] - timedelta(minutes=2)),
            ("after", 10.5, session.data["ended"] + timedelta(minutes=1)),
        ):
            add_measure(
                store, value, at=at, phase=phase, session=session, side=session.data["side"]
            )


def test_history_shows_exercise_sets(isolated_home: Path) -> None:
    """The table shows the sitting's exercise sets on each side; `--json` adds the fields."""
    run("log", "neck", "--soreness", "2", "--when", ago(50))
    run("log", "calf", "--soreness", "3", "--when", ago(30))
    add_exercises_and_values(isolated_home)
    code, out, _ = run("history")
    assert code == 0
    assert out.count("ex 4/6 sets") == 2  # left and right of the calf sitting
    data = json.loads(run("history", "--json")[1])
    by_region = {(s["region"], s["side"]): s for s in data["sessions"]}
    calf = by_region[("calf", "left")]
    assert (calf["exercise_sets_done"], calf["exercise_sets_planned"]) == (4, 6)
    assert (calf["measure_test"], calf["measure_before"], calf["measure_after"]) == (
        "Knee-to-wall lunge",
        9.0,
        10.5,
    )
    assert calf["measure_change"] == 1.5
    neck = by_region[("neck", "none")]
    assert neck["exercise_sets_done"] is None and neck["measure_before"] is None


def test_history_wide_table_has_exercises_column(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From 130 columns, exercises get their own column."""
    monkeypatch.setenv("COLUMNS", "160")
    run("log", "calf", "--soreness", "3", "--when", ago(30))
    add_exercises_and_values(isolated_home)
    out = run("history")[1]
    assert "Exercises" in out and out.count("4/6 sets") == 2


def test_trend_shows_outcome_measures(isolated_home: Path) -> None:
    """`trend calf`: weekly values, before -> after of the latest sessions, a summary sentence
    with the protocol's direction, and the caveat in plain words."""
    run("log", "calf", "--soreness", "2", "--when", ago(24 * 9))
    run("log", "calf", "--soreness", "2", "--when", ago(24 * 2))
    add_exercises_and_values(isolated_home)  # 9 -> 10.5 cm around the newest sitting
    # Nine days ago: always an earlier week than the newest values.
    add_measure(journal(isolated_home), 7.0, at=NOW - timedelta(days=9))
    assert run("measure", "calf", "--value", "9", "--side", "left")[0] == 0
    code, out, _ = run("trend", "calf", "--weeks", "4")
    assert code == 0
    flat = " ".join(out.split())
    assert "Outcome measures" in out
    assert "Knee-to-wall lunge, calf (left), in cm" in out
    assert "9 cm → 10.5 cm (+1.5 cm)" in out
    assert (
        "Knee-to-wall lunge, calf (left), values taken before a session or on their own: "
        "7 cm → 9 cm (first vs last value): +2 cm over 2 weeks, at least the measurement error "
        "(2 cm), better. Weekly medians: 7 cm in the first week measured, 9 cm in the last week "
        "(+2 cm, in the better direction: higher is better)." in flat
    )
    assert "Right after the strokes it changed by +1.5 cm on average" in flat
    assert (
        "Right after a session, changes are common and tell less about the long term; "
        "measure at the same time of day and the same way each time." in flat
    )


def test_trend_without_measures_says_how(isolated_home: Path) -> None:
    run("log", "calf", "--soreness", "2", "--when", ago(24 * 2))
    flat = " ".join(run("trend", "calf")[1].split())
    assert "No outcome measurements in the last 12 weeks" in flat
    assert "iastm-coach measure REGION" in flat


def test_log_short_help_is_a_whole_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    """`iastm-coach --help` shows the first sentence of each docstring: the log line must not
    stop at an abbreviation such as 'e.g.'."""
    monkeypatch.setenv("COLUMNS", "100")
    out = run("--help")[1]
    (line,) = [line for line in out.splitlines() if line.strip().startswith("log ")]
    assert line.split(None, 1)[1] == "Record a session done without the timer (at a clinic, say)."
    assert not any(line.rstrip().endswith(("e.g.", "i.e.")) for line in out.splitlines())


@pytest.mark.parametrize("terminal", [True, False])
def test_error_hint_wraps_between_words_in_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], terminal: bool
) -> None:
    """In a terminal a stop's message and hint are word-wrapped ('recorded' never split as
    'r/ecorded', 'hold' never 'ho/ld'). Not in a terminal, each is one line (for grep)."""
    from iastm_coach.errors import SafetyStop
    from iastm_coach.views import ui

    monkeypatch.setenv("TTY_COMPATIBLE", "1" if terminal else "0")
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setenv("NO_COLOR", "1")
    ui.set_plain(False)  # new consoles for this environment
    message = "the calf needs 48 h of rest between sessions; 40 h 12 min to go (from Sat 12:00)"
    hint = (
        "Tissue recovers between sessions. If your clinician told you otherwise, use "
        "--override-rest (it is recorded)."
    )
    ui.show_error(SafetyStop(message, hint=hint))
    lines = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().err).splitlines()
    if terminal:
        assert len(lines) > 3 and all(len(line) <= 60 for line in lines)
        words = " ".join(" ".join(lines).split())
        assert words == f"Stop: {message} {hint}"  # every word whole, in order
        assert any(line.rstrip().endswith("(it is recorded).") for line in lines)
    else:
        assert lines == [f"Stop: {message}", hint]


# --- --json of trend and hold list ----------------------------------------------------------------


def test_trend_json(isolated_home: Path) -> None:
    """`trend calf --json`: one JSON document (no reminder line), sessions with soreness,
    weeks with this week's sittings, the prescription, outcome series and the sentences."""
    run("log", "calf", "--soreness", "2", "--when", ago(24 * 9))
    run("log", "calf", "--soreness", "3", "--side", "left", "--when", ago(24 * 2))
    add_exercises_and_values(isolated_home)
    code, out, _ = run("trend", "calf", "--weeks", "4", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["trend_version"] == 1
    assert data["region"] == "calf" and data["weeks_back"] == 4
    assert datetime.fromisoformat(data["now"]).tzinfo is not None
    assert data["prescribed_per_week"] == {"calf": 2}
    assert [(s["side"], s["soreness_after"]) for s in data["sessions"]] == [
        ("left", 2),
        ("right", 2),
        ("left", 3),
    ]
    assert len(data["weeks"]) == 4
    assert sum(w["total"] for w in data["weeks"]) == 2  # both sides of a sitting count once
    assert [w["in_progress"] for w in data["weeks"]].count(True) == 1
    assert data["weeks"][-1]["in_progress"] and data["weeks"][-1]["week"] == data["this_week"]
    (series,) = data["outcomes"]
    assert series["test"] == "Knee-to-wall lunge" and series["unit"] == "cm"
    assert series["sessions_before_after"] == 1
    assert any(line.startswith("calf: ") for line in data["summary"])
    assert data["outcome_summary"][-1].startswith("Right after a session")
    assert data["holds"] == []


def test_trend_json_empty(isolated_home: Path) -> None:
    code, out, _ = run("trend", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["region"] is None and data["sessions"] == [] and data["outcomes"] == []
    assert data["summary"] == ["No sessions in the last 12 weeks."]
    assert run("trend", "--json", "--weeks", "0")[0] == 2


def test_hold_list_json(isolated_home: Path) -> None:
    """`hold list --json`: every hold with its first flag and all of them; empty list when none."""
    code, out, _ = run("hold", "list", "--json")
    assert code == 0 and json.loads(out) == {"holds_version": 1, "holds": []}
    run("log", "calf", "--soreness", "9", "--bruising", "--side", "left")
    code, out, _ = run("hold", "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["holds_version"] == 1
    (hold,) = data["holds"]
    assert list(hold) == ["region", "since", "rule", "rules", "reason", "reasons", "record_id"]
    assert hold["region"] == "calf"
    assert datetime.fromisoformat(hold["since"]).tzinfo is not None
    assert len(hold["rules"]) == 2 and hold["rule"] == hold["rules"][0]
    assert hold["reason"] == hold["reasons"][0] and len(hold["reasons"]) == 2
    assert journal(isolated_home).get(hold["record_id"]) is not None


@pytest.mark.parametrize(
    "args",
    [
        ["log", "calf", "--soreness", "2"],
        ["checkin", "ABCDEF", "--soreness", "2"],
    ],
)
def test_a_note_longer_than_the_cap_is_refused_before_anything_is_written(
    isolated_home: Path, args: list[str]
) -> None:
    """--note takes up to 2,000 characters: longer is exit 2 naming the cap and the
    length, and nothing is recorded."""
    code, _, err = run(*args, "--note", "n" * 2_001)
    assert code == 2
    assert "Notes are kept to 2,000 characters; this one has 2,001" in " ".join(err.split())
    assert journal(isolated_home).recent() == []
    assert run("log", "calf", "--soreness", "2", "--note", "n" * 2_000)[0] == 0


def test_the_older_holds_footer_appears_only_when_there_are_some(isolated_home: Path) -> None:
    """`history --last 1` with no hold anywhere: no footer about older holds. With a hold
    placed before the session shown: that hold itself is shown under the table."""

    def on(day: int, *args: str) -> tuple[int, str, str]:
        return run(*args, at=NOW + timedelta(days=day))

    assert on(2, "log", "neck", "--soreness", "2")[0] == 0
    assert on(4, "log", "neck", "--soreness", "3")[0] == 0
    code, out, _ = on(5, "history", "--last", "1")
    assert code == 0 and "still in force" not in out and "not shown" not in out
    assert on(5, "log", "calf", "--soreness", "8", "--side", "left")[0] == 0
    assert on(7, "log", "neck", "--soreness", "2")[0] == 0
    code, out, _ = on(8, "history", "neck", "--last", "1")
    assert code == 0 and "still in force" not in out  # the calf's hold is not the neck's
    code, out, _ = on(8, "history", "--last", "1")
    assert code == 0 and "still in force" in out and "calf" in out.split("still in force")[1]
