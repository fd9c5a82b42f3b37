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
from iastm_coach.journal import Journal
from iastm_coach.trend import SorenessPoint, build_trend, monday_of, soreness_line
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
