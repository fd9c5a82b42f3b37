"""Today's plan: the pure planner with fake-clock times, and `iastm-coach today` / no command."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.errors import UsageError
from iastm_coach.journal.store import Journal, Record, records
from iastm_coach.paths import journal_dir
from iastm_coach.plans.today import (
    IN_USE_LOOKBACK,
    RegionRules,
    gather_today,
    plan_today,
)
from tests.builders import add_checkin, add_hold, add_session
from tests.fakes import DEFAULT_START, FakeClock

runner = CliRunner()
MONDAY = DEFAULT_START  # 2026-03-02 18:30 UTC, a Monday
CALF = RegionRules("calf", rest_hours=48, sessions_per_week=2)
HAMS = RegionRules("hamstrings", rest_hours=48, sessions_per_week=2)
RULES = {"calf": CALF, "hamstrings": HAMS}


def journal() -> Journal:
    return Journal(journal_dir())


def rules_for(region: str) -> RegionRules:
    if region in RULES:
        return RULES[region]
    raise UsageError(f"unknown region '{region}'")


def gather(now: datetime, **kwargs: Any) -> Any:
    return gather_today(journal(), now, rules_for=rules_for, **kwargs)


def invoke(args: list[str], now: datetime = MONDAY) -> Any:
    return runner.invoke(app, args, obj=AppContext(clock=FakeClock(now)))


# --- the planner ------------------------------------------------------------------------


def test_empty_journal_is_a_new_user() -> None:
    """Nothing recorded and nothing installed: the welcome, nothing due."""
    plan = gather(MONDAY)
    assert plan.new_user
    assert plan.due == []
    assert plan.next_command is None


def test_region_rests_until_rest_hours_after_the_last_session_ended() -> None:
    """Ended 10 h ago with 48 h rest: resting until ended + 46 h (the 2 h routine
    tolerance), and nothing due."""
    ended = MONDAY - timedelta(hours=10)
    add_session(journal(), region="calf", ended=ended)
    plan = gather(MONDAY)
    assert not plan.new_user
    assert [item.region for item in plan.resting] == ["calf"]
    assert ended + timedelta(hours=46) == plan.resting[0].until
    assert plan.next_command is None
    assert ended + timedelta(hours=46) == plan.next_due_at


def test_region_is_due_once_rested() -> None:
    """Ended 50 h ago with 48 h rest: due, and the next command starts it."""
    add_session(journal(), region="calf", ended=MONDAY - timedelta(hours=50))
    plan = gather(MONDAY)
    assert [item.region for item in plan.due] == ["calf"]
    assert plan.next_command == "iastm-coach session calf"
    assert plan.next_due_at is None


def test_both_sides_of_one_sitting_count_once_and_the_prescription_caps_the_week() -> None:
    """Two sittings this week (one of both sides) meet 2 a week: done for the week, not due."""
    j = journal()
    friday = datetime(2026, 3, 6, 18, 30, tzinfo=UTC)
    add_session(
        j, region="calf", ended=datetime(2026, 3, 2, 8, 0, tzinfo=UTC), side="left", group="g1"
    )
    add_session(
        j, region="calf", ended=datetime(2026, 3, 2, 8, 6, tzinfo=UTC), side="right", group="g1"
    )
    add_session(
        j, region="calf", ended=datetime(2026, 3, 4, 8, 0, tzinfo=UTC), side="left", group="g2"
    )
    plan = gather(friday)
    assert plan.due == []
    [done] = plan.done_for_week
    assert (done.region, done.sessions_this_week, done.sessions_per_week) == ("calf", 2, 2)


def test_sessions_of_last_week_do_not_count() -> None:
    """A sitting on Sunday is last week's: on Monday the count starts at 0 again."""
    add_session(journal(), region="calf", ended=datetime(2026, 2, 27, 8, 0, tzinfo=UTC), group="g1")
    [due] = gather(MONDAY).due
    assert due.sessions_this_week == 0


def test_hold_wins_over_rest_and_is_lifted_by_a_clear() -> None:
    """A held region is on hold (with its reason) even when rested; a clear makes it due."""
    j = journal()
    add_session(j, region="calf", ended=MONDAY - timedelta(days=5))
    hold = add_hold(j, region="calf", at=MONDAY - timedelta(days=4), reason="Soreness 7 or more.")
    plan = gather(MONDAY)
    [held] = plan.on_hold
    assert held.hold is not None
    assert ("calf", "Soreness 7 or more.", hold.at) == (
        held.region,
        held.hold.reason,
        held.hold.since,
    )
    assert plan.due == []
    j.append(records.HOLD_CLEAR, {"region": "calf", "reason": "physio OK"}, at=MONDAY)
    assert [item.region for item in gather(MONDAY + timedelta(minutes=1)).due] == ["calf"]


def test_due_checkins_are_listed() -> None:
    """A session that ended 24 h ago has its 24 h follow-up due."""
    session = add_session(journal(), region="calf", ended=MONDAY - timedelta(hours=24))
    plan = gather(MONDAY)
    [due] = plan.checkins_due
    assert (session.id, 24) == (due.session.id, due.hours)
    assert [{"session_id": session.id, "region": "calf", "side": "left", "hours": 24}] == [
        {k: v for k, v in c.items() if k != "closes"} for c in plan.to_json()["checkins_due"]
    ]


def test_installed_protocol_makes_a_region_in_use_before_any_session() -> None:
    """A protocol from the physio, never used yet: due and not treated, not a new user."""
    plan = gather(MONDAY, installed=["hamstrings"])
    assert not plan.new_user
    [due] = plan.due
    assert (due.region, due.last_ended) == ("hamstrings", None)


def test_unreadable_protocol_is_a_problem_not_a_crash() -> None:
    """A region whose protocol cannot be loaded is listed with the message."""
    add_session(journal(), region="knee", ended=MONDAY - timedelta(days=3))
    plan = gather(MONDAY)
    [problem] = plan.problems
    assert (problem.region, problem.problem) == ("knee", "unknown region 'knee'")
    assert plan.to_json()["problems"] == [{"region": "knee", "message": "unknown region 'knee'"}]


def test_never_treated_then_longest_waiting_comes_first() -> None:
    """The next command goes to the region waiting longest; a never-treated one first."""
    j = journal()
    add_session(j, region="calf", ended=MONDAY - timedelta(days=3))
    add_session(j, region="hamstrings", ended=MONDAY - timedelta(days=6))
    assert gather(MONDAY).next_command == "iastm-coach session hamstrings"
    rules = {**RULES, "glutes": RegionRules("glutes", rest_hours=48)}
    plan = plan_today(now=MONDAY, rules=rules, sessions=j.recent(kinds={records.SESSION}))
    assert [item.region for item in plan.due] == ["glutes", "hamstrings", "calf"]


def test_after_a_long_break_the_newest_session_keeps_its_region_in_use() -> None:
    """Only older sessions: the newest one's region is still shown; older regions are not."""
    j = journal()
    add_session(j, region="hamstrings", ended=MONDAY - IN_USE_LOOKBACK - timedelta(days=30))
    add_session(j, region="calf", ended=MONDAY - IN_USE_LOOKBACK - timedelta(days=2))
    plan = gather(MONDAY)
    assert [item.region for item in plan.regions] == ["calf"]
    assert not plan.new_user


class SpyJournal(Journal):
    """Records how each `recent` call was bounded."""

    calls: list[dict[str, Any]]

    def recent(
        self,
        *,
        kinds: Collection[str] | None = None,
        limit: int | None = None,
        since: datetime | None = None,
    ) -> list[Record]:
        self.calls.append({"kinds": kinds, "limit": limit, "since": since})
        return super().recent(kinds=kinds, limit=limit, since=since)


def test_reads_are_bounded_by_time_or_count() -> None:
    """Every `recent` read has a `since` or a `limit`: the cost does not grow with the journal."""
    add_session(journal(), region="calf", ended=MONDAY - IN_USE_LOOKBACK - timedelta(days=2))
    spy = SpyJournal(journal_dir())
    spy.calls = []
    gather_today(spy, MONDAY, rules_for=rules_for)
    assert spy.calls
    assert all(call["since"] is not None or call["limit"] for call in spy.calls)


def test_json_has_the_documented_fields() -> None:
    """`to_json` carries every documented field, with ISO times."""
    j = journal()
    add_session(j, region="calf", ended=MONDAY - timedelta(hours=10))
    add_session(j, region="hamstrings", ended=MONDAY - timedelta(hours=60))
    data = gather(MONDAY).to_json()
    assert {
        "now",
        "week_start",
        "new_user",
        "due",
        "resting",
        "on_hold",
        "done_for_week",
        "checkins_due",
        "problems",
        "review",
        "waiting",
        "next_command",
        "next_due_at",
    } == set(data)
    assert data["resting"][0]["until"] == "2026-03-04T06:30:00+00:00"
    assert data["due"][0] == {
        "region": "hamstrings",
        "command": "iastm-coach session hamstrings",
        "note": "",
        "last_session": "2026-02-28T06:30:00+00:00",
        "sessions_this_week": 0,
        "sessions_per_week": 2,
    }


# --- the command --------------------------------------------------------------------------


def test_no_command_shows_the_welcome_for_a_new_user() -> None:
    """`iastm-coach` alone runs today: a welcome pointing at session calf and learn."""
    result = invoke([])
    assert result.exit_code == 0, result.output
    assert "Welcome to iastm-coach" in result.stdout
    assert "iastm-coach session calf" in result.stdout
    assert "iastm-coach learn" in result.stdout


def test_help_still_works_without_a_command() -> None:
    """`iastm-coach --help` prints help (and lists today), not the plan."""
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert "today" in result.stdout
    assert "Welcome" not in result.stdout


def test_today_shows_resting_due_hold_and_checkins() -> None:
    """One screen: check-ins, due, resting with the time, on hold with the reason, next step."""
    j = journal()
    add_session(j, region="calf", ended=MONDAY - timedelta(hours=24))
    add_session(j, region="hamstrings", ended=MONDAY - timedelta(hours=72))
    glutes = add_session(j, region="glutes", ended=MONDAY - timedelta(days=6))
    for hours in (24, 48):  # answered: no late follow-up is due
        add_checkin(j, glutes, hours=hours, soreness=0, at=glutes.at + timedelta(hours=hours))
    add_hold(
        j,
        region="glutes",
        at=MONDAY - timedelta(days=5),
        reason="[bold]Bruising[/bold] reported.",
        rule="bruising",  # the tissue only: the rest of the leg is not held
    )
    result = invoke(["today"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Check-ins due: run `iastm-coach checkin`" in out
    assert "calf (left) 24 h follow-up" in " ".join(out.split())
    assert "hamstrings (left) 48 h follow-up" in " ".join(out.split())  # unanswered: late
    assert "Resting" in out
    assert "calf   until tomorrow 16:30 (in 22 h) · 0 of 2 sessions this week" in out
    assert "On hold: see your clinician" in out
    assert "[bold]Bruising[/bold] reported." in out  # untrusted text shown literally
    assert (
        'then lift the hold: iastm-coach hold clear glutes --examined-by WHO --reason "..."' in out
    )
    assert "Next: iastm-coach session hamstrings" in out


def test_a_leg_swelling_hold_leads_with_the_same_day_advice_and_wraps_under_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a 60-column terminal: the clot advice comes first, right after the region, before
    the reasons; long lines wrap under their own column (they ran back to the left edge),
    and the lift command is whole."""
    monkeypatch.setenv("COLUMNS", "60")
    j = journal()
    session = add_session(j, region="calf", side="right", ended=MONDAY - timedelta(hours=30))
    add_hold(j, region="calf", rule="soreness-7", side="right", at=MONDAY - timedelta(hours=29))
    add_hold(j, region="calf", rule="swelling", side="right", source=session.id,
             at=MONDAY - timedelta(hours=5))  # fmt: skip
    out = invoke(["today"]).stdout
    block = out.split("On hold:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert block[0].startswith("  calf   Leg swelling after scraping can be a blood clot")
    assert all(len(line) <= 60 for line in block)
    assert all(line.startswith("         ") for line in block[1:-2]), block
    assert block[-2].startswith("    then lift the hold: iastm-coach hold clear calf")
    assert block[-1].strip() == '--examined-by WHO --reason "..."'


@pytest.mark.parametrize("columns", [40, 30])
def test_a_hold_on_a_narrow_terminal_never_runs_back_to_the_left_edge(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """Too narrow for two columns, the lift command goes under its label; every line of the
    hold fits the terminal and stays indented."""
    monkeypatch.setenv("COLUMNS", str(columns))
    j = journal()
    session = add_session(j, region="calf", side="right", ended=MONDAY - timedelta(hours=30))
    add_hold(j, region="calf", rule="swelling", side="right", source=session.id,
             at=MONDAY - timedelta(hours=5))  # fmt: skip
    out = invoke(["today"]).stdout
    block = out.split("On hold:", 1)[1].split("\n\n", 1)[0].splitlines()
    held = block[next(i for i, line in enumerate(block) if line.startswith("  calf")) :]
    assert all(len(line) <= columns and line.startswith("  ") for line in held), held
    assert '--reason "..."' in " ".join(held)


def test_a_follow_up_whose_window_has_passed_reads_as_overdue_never_open_until_the_past() -> None:
    """A session on Wed 25 Feb, no check-in by Mon 2 Mar: the 48 h follow-up closed on
    Sat 28 Feb. It is still asked (late, for how it is now) and never 'open until' a past
    day; one still open reads 'open until'."""
    j = journal()
    add_session(j, region="hamstrings", ended=MONDAY - timedelta(days=5))
    add_session(j, region="calf", ended=MONDAY - timedelta(hours=24))
    out = " ".join(invoke(["today"]).stdout.split())
    assert "open until Sat" not in out
    assert (
        "hamstrings (left) 48 h follow-up, overdue (window closed Sat 28 Feb 10:30): answer "
        "now, for how it is today" in out
    )
    assert "calf (left) 24 h follow-up, open until tomorrow 10:30" in out


def test_today_shows_every_reason_of_a_hold() -> None:
    """Two rules fired (soreness 7 and bruising): the screen and --json show both."""
    j = journal()
    add_session(j, region="calf", ended=MONDAY - timedelta(days=2))
    add_hold(
        j, region="calf", at=MONDAY - timedelta(days=1), reason="soreness 7/10 at the 24 h check-in"
    )
    j.append(
        records.HOLD,
        {"region": "calf", "rule": "bruising", "reason": "bruising at 24 h", "source": ""},
        at=MONDAY - timedelta(days=1),
    )
    out = invoke(["today"]).stdout
    assert "calf   since yesterday 18:30: soreness 7/10 at the 24 h check-in" in out
    assert "also: bruising at 24 h" in out
    [held] = json.loads(invoke(["today", "--json"]).stdout)["on_hold"]
    assert held["reasons"] == ["soreness 7/10 at the 24 h check-in", "bruising at 24 h"]
    assert held["rules"] == ["soreness-7", "bruising"]
    assert (held["rule"], held["reason"]) == ("soreness-7", "soreness 7/10 at the 24 h check-in")


def test_nothing_due_says_when_the_next_session_is() -> None:
    """Only a resting region: nothing due, and when it may be treated again."""
    add_session(journal(), region="calf", ended=MONDAY - timedelta(hours=2))
    result = invoke(["today"])
    assert result.exit_code == 0
    assert "Nothing is due today. Next session: calf from Wed 4 Mar 14:30." in result.stdout


def test_today_json_is_machine_readable() -> None:
    """`today --json`: exit 0 and the plan as JSON."""
    add_session(journal(), region="calf", ended=MONDAY - timedelta(hours=50))
    result = invoke(["today", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["next_command"] == "iastm-coach session calf"
    assert [item["region"] for item in data["due"]] == ["calf"]
    assert data["new_user"] is False


def test_today_uses_the_built_in_prescription() -> None:
    """The calf's built-in 2 sessions a week shows as '1 of 2 sessions this week'."""
    add_session(journal(), region="calf", ended=MONDAY - timedelta(hours=1))
    result = invoke(["today"])
    assert "1 of 2 sessions this week" in result.stdout


def test_today_respects_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR: not one escape sequence, even with a forced terminal."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    add_session(journal(), region="calf", ended=MONDAY - timedelta(hours=50))
    result = invoke([])
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout
    assert "Next: iastm-coach session calf" in result.stdout


def test_damaged_journal_is_exit_4(isolated_home: Path) -> None:
    """A journal that cannot be read stops the plan with the data-file exit code."""
    add_session(journal(), region="calf", ended=MONDAY - timedelta(hours=50))
    month = next((isolated_home / "journal").glob("*.toml"))
    month.write_text(month.read_text() + "\n[[session]]\nid = \n", encoding="utf-8")
    result = invoke(["today"])
    assert result.exit_code == 4
