"""Trend: soreness points, sittings per week against the prescription, and the summary."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from iastm_coach.history.outcomes import CAVEAT, Measurement
from iastm_coach.history.queries import session_rows
from iastm_coach.journal.store import Journal, new_record_id
from iastm_coach.plans.trend import SorenessPoint, Trend, build_trend, monday_of, soreness_line
from iastm_coach.safety.holds import Hold
from iastm_coach.views.history import trend_view
from tests.builders import add_checkin, add_session, make_journal

NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # a Sunday


def sittings(
    journal: Journal, days: list[int], *, sides: int = 2, soreness_24h: list[int] | None = None
) -> None:
    for index, day in enumerate(days):
        started = NOW - timedelta(days=day, hours=2)
        for side in ["left", "right"][:sides]:
            session = add_session(journal, side=side, group=f"g{day}", started=started)
            if soreness_24h is not None:
                add_checkin(journal, session, hours=24, soreness=soreness_24h[index])


def render(trend: Trend) -> str:
    console = Console(width=100, no_color=True, record=True, file=io.StringIO())
    console.print(trend_view(trend, width=100))
    return console.export_text()


def test_both_sides_count_as_one_sitting(tmp_path: Path) -> None:
    """Two sides in one group are one session in the weekly count."""
    journal = make_journal(tmp_path)
    sittings(journal, [1, 3])
    rows = session_rows(journal, last=None)
    trend = build_trend(
        rows, now=NOW, weeks_back=2, region="calf", prescribed={"calf": 2}, holds={}
    )
    assert [week.total for week in trend.weeks] == [0, 2]
    assert trend.weeks[-1].monday == monday_of(NOW)
    assert trend.target == 2
    assert len(trend.points) == 4


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([1, 4, 8, 11], "as prescribed"),
        ([1, 8], "fewer than the 2 a week prescribed"),
        ([0, 1, 2, 3, 4, 8, 9, 10], "more than the 2 a week prescribed"),
    ],
)
def test_frequency_against_prescription(tmp_path: Path, days: list[int], expected: str) -> None:
    """The summary compares sessions per week (from the first week with one) to the prescription."""
    journal = make_journal(tmp_path)
    sittings(journal, days)
    rows = session_rows(journal, last=None)
    trend = build_trend(
        rows, now=NOW, weeks_back=4, region="calf", prescribed={"calf": 2}, holds={}
    )
    assert any(expected in line for line in trend.summary), trend.summary


def test_no_sessions_summary() -> None:
    """Nothing in the period: one plain sentence, and empty weeks."""
    trend = build_trend([], now=NOW, weeks_back=3, region="calf", prescribed={"calf": 2}, holds={})
    assert trend.summary == ("No sessions in the last 3 weeks.",)
    assert [w.total for w in trend.weeks] == [0, 0, 0]


def point(h24: int) -> SorenessPoint:
    return SorenessPoint(NOW, "id", "calf", None, h24, None)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5, 5, 3, 3], "clearly lower"),
        ([2, 2, 4, 4], "clearly higher"),
        ([4, 4, 3, 3], "about the same"),
        ([4, 4, 3], "3 check-ins so far"),
    ],
)
def test_soreness_summary_uses_2_point_change(values: list[int], expected: str) -> None:
    """A change of 2 points or more between earlier and later 24 h answers is called out."""
    assert expected in soreness_line([point(v) for v in values])


def test_hold_in_summary(tmp_path: Path) -> None:
    """A held region leads the summary with the advice to contact the clinician."""
    hold = Hold(
        "calf", "bruising", "bruising at 24 h", NOW - timedelta(days=2), "H1", ("bruising",)
    )
    trend = build_trend(
        [], now=NOW, weeks_back=2, region="calf", prescribed={}, holds={"calf": hold, "neck": hold}
    )
    assert trend.summary[0].startswith("calf is on hold since")
    assert "contact your clinician" in trend.summary[0]
    assert not any(line.startswith("neck") for line in trend.summary)


def test_view_draws_every_point_and_target(tmp_path: Path) -> None:
    """The terminal chart has one column per session, the legend and the prescription marker."""
    journal = make_journal(tmp_path)
    sittings(journal, [1, 8], sides=1, soreness_24h=[3, 9])
    rows = session_rows(journal, last=None)
    trend = build_trend(
        rows, now=NOW, weeks_back=3, region="calf", prescribed={"calf": 2}, holds={}
    )
    text = render(trend)
    lines = text.splitlines()
    nine = next(line for line in lines if line.startswith("  9 │"))
    three = next(line for line in lines if line.startswith("  3 │"))
    assert nine.rstrip().endswith("x")  # the newest session, 24 h soreness 9
    assert "x" in three
    assert "o right after" in text and "prescribed: 2 a week" in text
    assert "fewer than the 2 a week prescribed" in text


WEDNESDAY = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)


def sittings_before(journal: Journal, now: datetime, days: list[int]) -> None:
    for day in days:
        add_session(journal, side="none", group=f"g{day}", started=now - timedelta(days=day))


def test_week_in_progress_is_not_counted_short(tmp_path: Path) -> None:
    """Mid-week with one of two sittings done, after two weeks on target: as prescribed,
    with this week's count so far, and the bar marked 'so far this week'."""
    journal = make_journal(tmp_path)
    sittings_before(journal, WEDNESDAY, [2, 4, 7, 11, 14])  # Mon; Sat, Wed; Sat, Wed
    rows = session_rows(journal, last=None)
    trend = build_trend(
        rows, now=WEDNESDAY, weeks_back=3, region="calf", prescribed={"calf": 2}, holds={}
    )
    (line,) = [line for line in trend.summary if line.startswith("calf:")]
    assert line.startswith("calf: 4 sessions in 2 full weeks, about 2.0 a week, as prescribed")
    assert "This week so far: 1 of the 2 a week prescribed" in line
    text = render(trend)
    this_week = next(x for x in text.splitlines() if x.startswith(f"  {monday_of(WEDNESDAY)}"))
    assert this_week.rstrip().endswith("1  so far this week")


def test_week_on_target_counts_before_it_is_over(tmp_path: Path) -> None:
    """A week in progress that already has the prescribed sittings counts at once."""
    journal = make_journal(tmp_path)
    sittings_before(journal, WEDNESDAY, [0, 2, 4, 7])
    rows = session_rows(journal, last=None)
    trend = build_trend(
        rows, now=WEDNESDAY, weeks_back=2, region="calf", prescribed={"calf": 2}, holds={}
    )
    (line,) = [line for line in trend.summary if line.startswith("calf:")]
    assert line == "calf: 4 sessions in 2 weeks, about 2.0 a week, as prescribed (2 a week)."
    assert "so far this week" not in render(trend)


def test_first_week_in_progress(tmp_path: Path) -> None:
    """Only this week so far: no average yet, just the count."""
    journal = make_journal(tmp_path)
    sittings_before(journal, WEDNESDAY, [1])
    rows = session_rows(journal, last=None)
    trend = build_trend(
        rows, now=WEDNESDAY, weeks_back=4, region="calf", prescribed={"calf": 2}, holds={}
    )
    assert (
        "calf: 1 session of the 2 a week prescribed so far this week (the first week is not "
        "over)." in trend.summary
    )


@pytest.mark.parametrize("sessions", [1, 2, 3, 12, 21, 30])
def test_axis_labels_line_up_with_their_columns(tmp_path: Path, sessions: int) -> None:
    """A tick under the first and the last session's column; the first date starts under
    the first column, the last date ends under the last column (or, when both do not fit on
    one line, starts under it, one line up)."""
    journal = make_journal(tmp_path)
    sittings_before(journal, NOW, [3 * index + 1 for index in range(sessions)])
    rows = session_rows(journal, last=None)
    trend = build_trend(rows, now=NOW, weeks_back=20, region="calf", prescribed={}, holds={})
    lines = render(trend).splitlines()
    marks = next(line for line in lines if line.startswith("  2 │"))  # soreness 2 right after
    columns = [index for index, char in enumerate(marks) if char == "o"]
    assert len(columns) == sessions
    axis = lines.index(next(line for line in lines if "└" in line))
    ticks = [index for index, char in enumerate(lines[axis]) if char == "┬"]
    assert ticks == sorted({columns[0], columns[-1]})
    first = f"{trend.points[0].when.astimezone():%Y-%m-%d}"
    last = f"{trend.points[-1].when.astimezone():%Y-%m-%d}"
    labels = lines[axis + 1 : axis + 3]
    starts = [(line.find(first), line.find(last)) for line in labels]
    if sessions == 1:
        assert starts[0][0] == columns[0]
    elif sessions >= 21:
        assert starts[0] == (columns[0], columns[-1] - len(last) + 1)
    else:
        assert labels[0][columns[0]] == "│" and starts[0][1] == columns[-1]
        assert starts[1][0] == columns[0]


# --- outcome measures ------------------------------------------------------------------------


def value(
    amount: float,
    *,
    days_ago: float,
    phase: str = "standalone",
    session: str = "",
    region: str = "calf",
    side: str = "left",
    test: str = "Knee-to-wall lunge",
    unit: str = "cm",
) -> Measurement:
    at = NOW - timedelta(days=days_ago)
    return Measurement(new_record_id(at), at, region, side, test, unit, amount, phase, session)


def calf_outcomes(measurements: list[Measurement], *, weeks_back: int, **options: Any) -> Trend:
    """The calf's trend with *measurements* and no sessions, prescription or hold."""
    return build_trend(
        [],
        now=NOW,
        weeks_back=weeks_back,
        region="calf",
        prescribed={},
        holds={},
        measurements=measurements,
        **options,
    )


def test_trend_outcomes_for_the_region_only() -> None:
    """Measurements of the region shown make series; others are left out; the caveat ends
    the outcome summary."""
    measurements = [
        value(9, days_ago=20),
        value(11, days_ago=2),
        value(3, days_ago=2, region="neck", side="none", test="Pain turning", unit="0-10"),
    ]
    trend = calf_outcomes(
        measurements, weeks_back=4, higher_is_better={("calf", "Knee-to-wall lunge"): True}
    )
    assert [(s.region, s.side) for s in trend.outcomes] == [("calf", "left")]
    assert trend.outcome_summary[-1] == CAVEAT
    assert "+2 cm, in the better direction: higher is better" in trend.outcome_summary[0]
    assert trend.summary == ("No sessions in the last 4 weeks.",)


def test_trend_without_measurements_says_how_to_start() -> None:
    trend = build_trend([], now=NOW, weeks_back=6, region=None, prescribed={}, holds={})
    assert trend.outcomes == ()
    (line,) = trend.outcome_summary
    assert line.startswith("No outcome measurements in the last 6 weeks")


def test_view_draws_weekly_values_and_session_pairs() -> None:
    """A line per measured week (median, bar, count), the latest before → after lines, and
    the test name exactly as written (never read as markup)."""
    test = "[bold]Lunge[/bold]"
    # Wednesday and Thursday noon UTC: the same week in any time zone.
    measurements = [value(9, days_ago=18, test=test), value(10, days_ago=17, test=test)]
    measurements += [
        value(10.5, days_ago=6, phase="before", session="S1", test=test),
        value(12, days_ago=6 - 0.01, phase="after", session="S1", test=test),
    ]
    trend = calf_outcomes(measurements, weeks_back=4)
    text = render(trend)
    assert "[bold]Lunge[/bold], calf (left), in cm" in text
    first_week = monday_of(NOW - timedelta(days=18))
    outcomes = text[text.index("Outcome measures") :].splitlines()
    line = next(x for x in outcomes if x.startswith(f"  {first_week:%Y-%m-%d}"))
    assert " 9.5 " in line and line.rstrip().endswith("2 values")
    assert "10.5 cm → 12 cm (+1.5 cm)" in text
    assert "changes are common and tell less about the long term" in " ".join(text.split())


def test_view_keeps_the_newest_weeks_and_scores_on_their_scale() -> None:
    """Only the newest 12 measured weeks are drawn (saying how many are not); a 0-10 score
    says so and draws its bars on the 0-10 scale."""
    measurements = [
        value(week % 10, days_ago=7 * week + 4, unit="0-10", test="Pain") for week in range(15)
    ]
    trend = calf_outcomes(measurements, weeks_back=20)
    text = render(trend)
    assert "Pain, calf (left), score 0-10" in text
    assert "(3 earlier measured weeks not shown)" in text
    outcomes = text[text.index("Outcome measures") :].splitlines()
    bars = [line for line in outcomes if "█" in line and line.startswith("  20")]
    assert len(bars) == 12
    zero = next(line for line in bars if line.split()[1] == "0")
    assert zero.count("█") == 2  # the shortest bar: 0 on the 0-10 scale


def test_to_json_has_the_data_behind_chart_and_summary(tmp_path: Path) -> None:
    """`trend --json`: sessions with their soreness, every week (this one marked in
    progress), the prescription, the holds the summary names, and the sentences."""
    import json

    journal = make_journal(tmp_path)
    sittings(journal, [9, 2], soreness_24h=[3, 1])
    hold = Hold(
        "calf", "bruising", "bruising at 24 h", NOW - timedelta(days=2), "H1", ("bruising",)
    )
    rows = session_rows(journal, region="calf", last=None, since=NOW - timedelta(weeks=3))
    trend = build_trend(
        rows,
        now=NOW,
        weeks_back=3,
        region="calf",
        prescribed={"calf": 2},
        holds={"calf": hold, "neck": hold},
    )
    data = json.loads(json.dumps(trend.to_json(), ensure_ascii=False))
    assert data["trend_version"] == 1
    assert data["now"] == NOW.isoformat()
    assert (data["region"], data["weeks_back"]) == ("calf", 3)
    assert data["this_week"] == "2026-03-23"
    assert data["prescribed_per_week"] == {"calf": 2}
    # Oldest first (the two sides of a sitting in id order).
    assert [s["soreness_24h"] for s in data["sessions"]] == [3, 3, 1, 1]
    assert sorted(s["side"] for s in data["sessions"][:2]) == ["left", "right"]
    first = data["sessions"][0]
    assert list(first) == [
        "id",
        "region",
        "side",
        "started",
        "soreness_after",
        "soreness_24h",
        "soreness_48h",
        "soreness_72h",
    ]
    assert datetime.fromisoformat(first["started"]).tzinfo is not None
    assert [(w["week"], w["in_progress"], w["sittings"], w["total"]) for w in data["weeks"]] == [
        ("2026-03-09", False, {}, 0),
        ("2026-03-16", False, {"calf": 1}, 1),
        ("2026-03-23", True, {"calf": 1}, 1),
    ]
    assert [h["region"] for h in data["holds"]] == ["calf"]
    assert data["holds"][0]["rules"] == ["bruising"]
    assert data["holds"][0]["since"] == (NOW - timedelta(days=2)).isoformat()
    assert data["outcomes"] == []
    assert data["summary"] == list(trend.summary)
    assert data["outcome_summary"] == list(trend.outcome_summary)


def test_to_json_without_sessions() -> None:
    data = build_trend([], now=NOW, weeks_back=2, region=None, prescribed={}, holds={}).to_json()
    assert data["region"] is None
    assert data["sessions"] == [] and data["holds"] == [] and data["outcomes"] == []
    assert [w["total"] for w in data["weeks"]] == [0, 0]
    assert data["summary"] == ["No sessions in the last 2 weeks."]
