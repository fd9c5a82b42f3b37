"""Trend: soreness points, sittings per week against the prescription, and the summary."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from iastm_coach.history import session_rows
from iastm_coach.history_view import trend_view
from iastm_coach.holds import Hold
from iastm_coach.journal import Journal, new_record_id
from iastm_coach.outcomes import CAVEAT, Measurement
from iastm_coach.trend import SorenessPoint, Trend, build_trend, monday_of, soreness_line
from tests.test_history import add_checkin, add_session, make_journal

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
    console = Console(width=100, no_color=True, record=True, file=io.StringIO())
    console.print(trend_view(trend, width=100))
    text = console.export_text()
    lines = text.splitlines()
    nine = next(line for line in lines if line.startswith("  9 │"))
    three = next(line for line in lines if line.startswith("  3 │"))
    assert nine.rstrip().endswith("x")  # the newest session, 24 h soreness 9
    assert "x" in three
    assert "o right after" in text and "prescribed: 2 a week" in text
    assert "fewer than the 2 a week prescribed" in text


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


def test_trend_outcomes_for_the_region_only() -> None:
    """Measurements of the region shown make series; others are left out; the caveat ends
    the outcome summary."""
    measurements = [
        value(9, days_ago=20),
        value(11, days_ago=2),
        value(3, days_ago=2, region="neck", side="none", test="Pain turning", unit="0-10"),
    ]
    trend = build_trend(
        [],
        now=NOW,
        weeks_back=4,
        region="calf",
        prescribed={},
        holds={},
        measurements=measurements,
        higher_is_better={("calf", "Knee-to-wall lunge"): True},
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


def render(trend: Trend) -> str:
    console = Console(width=100, no_color=True, record=True, file=io.StringIO())
    console.print(trend_view(trend, width=100))
    return console.export_text()


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
    trend = build_trend(
        [],
        now=NOW,
        weeks_back=4,
        region="calf",
        prescribed={},
        holds={},
        measurements=measurements,
    )
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
    trend = build_trend(
        [],
        now=NOW,
        weeks_back=20,
        region="calf",
        prescribed={},
        holds={},
        measurements=measurements,
    )
    text = render(trend)
    assert "Pain, calf (left), score 0-10" in text
    assert "(3 earlier measured weeks not shown)" in text
    outcomes = text[text.index("Outcome measures") :].splitlines()
    bars = [line for line in outcomes if "█" in line and line.startswith("  20")]
    assert len(bars) == 12
    zero = next(line for line in bars if line.split()[1] == "0")
    assert zero.count("█") == 2  # the shortest bar: 0 on the 0-10 scale
