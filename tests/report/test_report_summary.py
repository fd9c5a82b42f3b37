"""Older years of the report summarised: the counts and means are right, the readable
formats list only the last twelve months one by one, CSV and JSON keep every session."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from iastm_coach.journal.store import Journal
from iastm_coach.report.build import (
    Report,
    render_csv,
    render_html,
    render_json,
    render_markdown,
)
from iastm_coach.report.summary import detail_start
from tests.builders import add_checkin, add_session, journal_report, make_journal

NEWEST = datetime(2025, 11, 20, 18, 0, tzinfo=UTC)


def three_years(tmp_path: Path) -> tuple[Journal, list[tuple[datetime, str, int, int | None]]]:
    """A calf sitting (both sides) every 20 days and a neck session every 30 days, from
    2023-01 to 2025-11; soreness after cycles 0-5, the 24 h answer is given for every
    other session; notes on some. Returns the journal and (start, region, after, 24 h)."""
    journal = make_journal(tmp_path)
    made: list[tuple[datetime, str, int, int | None]] = []
    start = datetime(2023, 1, 5, 18, 0, tzinfo=UTC)
    number = 0
    moment = start
    while moment <= NEWEST:
        places = [("calf", "left"), ("calf", "right")] if number % 3 else [("neck", "none")]
        for region, side in places:
            soreness = number % 6
            session = add_session(
                journal,
                region=region,
                side=side,
                started=moment,
                soreness=soreness,
                group=f"g{number}",
                note="felt fine" if number % 4 == 0 else "",
            )
            at_24: int | None = None
            if number % 2 == 0:
                at_24 = (number + 1) % 4
                add_checkin(journal, session, hours=24, soreness=at_24)
            made.append((moment, region, soreness, at_24))
        number += 1
        moment += timedelta(days=10)
    return journal, made


def report_of(journal: Journal) -> Report:
    return journal_report(journal, now=NEWEST + timedelta(days=2))


def test_detail_starts_at_the_month_twelve_months_back(tmp_path: Path) -> None:
    journal, made = three_years(tmp_path)
    report = report_of(journal)
    newest = max(at for at, *_ in made).astimezone()
    assert report.detail_from == datetime(newest.year - 1, newest.month + 1, 1).astimezone()
    assert all(row.started >= report.detail_from for row in report.detailed_rows)
    assert len(report.detailed_rows) == sum(1 for at, *_ in made if at >= report.detail_from)
    assert len(report.rows) == len(made)


def test_year_summaries_count_and_average(tmp_path: Path) -> None:
    """Each year and region before the detailed months: sessions, sittings, means of the
    answers given (sessions without an answer left out of the mean)."""
    journal, made = three_years(tmp_path)
    report = report_of(journal)
    assert report.detail_from is not None
    expected: dict[tuple[int, str], list[tuple[int, int | None]]] = {}
    for at, region, after, at_24 in made:
        if at < report.detail_from:
            expected.setdefault((at.astimezone().year, region), []).append((after, at_24))
    summaries = {(s.year, s.region): s for s in report.earlier}
    assert sorted(summaries) == sorted(expected)
    for key, values in expected.items():
        summary = summaries[key]
        answered = [v for _a, v in values if v is not None]
        assert summary.sessions == len(values)
        assert summary.sittings == (len(values) // 2 if key[1] == "calf" else len(values))
        assert summary.mean_after == sum(a for a, _v in values) / len(values)
        assert summary.answered_24h == len(answered)
        assert summary.mean_24h == (sum(answered) / len(answered) if answered else None)
        assert summary.mean_48h is None and summary.answered_48h == 0
        assert summary.complete == len(values) and summary.flagged == 0
    assert sum(s.sessions for s in report.earlier) + len(report.detailed_rows) == len(made)


def test_readable_formats_summarise_and_data_formats_keep_everything(tmp_path: Path) -> None:
    journal, made = three_years(tmp_path)
    report = report_of(journal)
    markdown = render_markdown(report)
    timeline = markdown.split("## Soreness timeline (0-10)")[1].split("## Notes")[0]
    earlier, detailed = timeline.split("### From ")
    assert earlier.count("\n| 2023 | calf |") == 1 and earlier.count("\n| 2024 | neck |") == 1
    assert detailed.count("\n| 20") == len(report.detailed_rows)
    assert "every session is in the CSV and JSON formats" in earlier
    notes = markdown.split("## Notes")[1]
    assert notes.count("felt fine") == len(report.detailed_notes) < len(report.notes)
    html = render_html(report)
    assert html.count('class="point" data-series="after"') == len(report.detailed_rows)
    assert "<td>2023</td>" in html
    assert len(list(csv.DictReader(io.StringIO(render_csv(report))))) == len(made)
    data = json.loads(render_json(report))
    assert len(data["sessions"]) == len(made) and len(data["notes"]) == len(report.notes)


def test_a_year_of_sessions_is_shown_whole(tmp_path: Path) -> None:
    """Nothing older than the detailed months: no summary, every session one by one."""
    journal = make_journal(tmp_path)
    for day in range(0, 300, 7):
        add_session(journal, started=NEWEST - timedelta(days=day), group=f"g{day}")
    report = report_of(journal)
    assert report.detail_from is None and report.earlier == ()
    assert report.detailed_rows == report.rows
    assert "summarised" not in render_markdown(report)
    assert detail_start([]) is None
