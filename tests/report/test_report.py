"""The physio's report: the model, and every format parsed back."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.history.outcomes import CAVEAT
from iastm_coach.history.queries import ROW_FIELDS
from iastm_coach.journal.sessions import session_fields
from iastm_coach.journal.store import Journal, Record, new_record_id, records
from iastm_coach.report.build import (
    Prescribed,
    Report,
    build_report,
    md,
    nice_scale,
    render_csv,
    render_html,
    render_json,
    render_markdown,
)
from iastm_coach.report.data import CSV_EXTRA, csv_text
from iastm_coach.safety.holds import clear_hold, fold_holds
from iastm_coach.safety.redflags import RULES, RedFlag
from tests.builders import (
    BUILT_IN_STAMP,
    T0,
    ChartParser,
    add_checkin,
    add_exercise,
    add_measure,
    add_session,
    journal_report,
    make_journal,
    place_hold,
)

EVIL = '<script>alert("x")</script> & | *bold* [link](http://evil.example) =1+2'
NOW = T0 + timedelta(days=30)
TEST_NAME = 'Knee <i>to</i> wall | "lunge" *x*'  # protocol text: untrusted


# A measurement of the untrusted-named test (its name is protocol text).
add_value = partial(add_measure, test=TEST_NAME)


def fill_outcomes(journal: Journal, sessions: list[Record]) -> list[Record]:
    """Guided exercises after the first three calf sittings (none after the fourth), and the
    outcome test before and after the first and last calf sittings (both sides), plus two
    values on their own (left) in weeks 1 and 2. Returns the measure records."""
    calf = [s for s in sessions if s.data["region"] == "calf"]
    for week in range(3):
        add_exercise(journal, calf[2 * week], [(3, 3), (1, 3)] if week else [(0, 3), (0, 3)])
    values = []
    pairs = {0: (9.0, 10.5), 1: (10.0, 10.5), 6: (11.0, 12.0), 7: (12.0, 12.0)}
    for index, (before, after) in pairs.items():
        session = calf[index]
        side = str(session.data["side"])
        taken = session.data["started"] - timedelta(minutes=1)
        later = session.at + timedelta(minutes=1)
        values.append(
            add_value(journal, before, at=taken, phase="before", session=session, side=side)
        )
        values.append(
            add_value(journal, after, at=later, phase="after", session=session, side=side)
        )
    values.append(add_value(journal, 9.5, at=T0 + timedelta(days=8)))
    values.append(add_value(journal, 10.5, at=T0 + timedelta(days=15)))
    return values


def fill(journal: Journal) -> dict[str, Any]:
    """Four sittings of calf (both sides) and one neck session, with every kind of record."""
    ids: dict[str, Any] = {"sessions": []}
    journal.append(
        records.SCREENING,
        {
            "region": "calf",
            "outcome": "cleared",
            "stopped_by": "",
            "answers": {"blood-thinners": True},
            "cleared_cautions": ["blood-thinners"],
            "local": ["varicose-veins"],
        },
        at=T0 - timedelta(minutes=5),
    )
    for week in range(4):
        started = T0 + timedelta(days=7 * week)
        for side in ("left", "right"):
            session = add_session(
                journal,
                side=side,
                group=f"g{week}",
                started=started,
                soreness=week + 1,
                note=EVIL if (week, side) == (0, "left") else "",
                complete=week != 2,
            )
            ids["sessions"].append(session)
            add_checkin(
                journal, session, hours=24, soreness=week + 2, note="stiff" if week == 1 else ""
            )
            if week < 3:
                add_checkin(journal, session, hours=48, soreness=week + 3 if week == 1 else 1)
    neck = add_session(
        journal, region="neck", side="none", started=T0 + timedelta(days=2), soreness=8
    )
    ids["sessions"].append(neck)
    ids["hold"] = place_hold(
        journal,
        region="neck",
        flag=RedFlag("soreness-7", EVIL),
        source_id=neck.id,
        at=T0 + timedelta(days=2, hours=1),
    )
    clear_hold(
        journal,
        region="neck",
        reason="seen by <b>physio</b>",
        examined_by="Dr <i>Lee</i>",
        at=T0 + timedelta(days=5),
    )
    second = ids["sessions"][2]
    ids["hold2"] = place_hold(
        journal,
        region="calf",
        flag=RedFlag("worse-48h", "rose"),
        source_id=second.id,
        at=T0 + timedelta(days=9),
    )
    journal.append(
        records.SCREENING,
        {
            "region": "calf",
            "outcome": "stopped",
            "stopped_by": "fever-unwell",
            "answers": {},
            "cleared_cautions": [],
            "local": [],
        },
        at=T0 + timedelta(days=25),
    )
    return ids


def report_of(journal: Journal, *, since: datetime | None = None) -> Report:
    items = list(journal.scan(since=since))
    return build_report(
        items,
        now=NOW,
        since=since,
        prescriptions={"calf": Prescribed(2, 4), "neck": None},
        patients=["Ana <Example>", "Ana <Example>"],
        active_holds=fold_holds(items).active,
        caution_labels={"blood-thinners": "Do you take blood thinners?"},
        higher_is_better={("calf", TEST_NAME): True},
    )


@pytest.fixture(name="report")
def _report(tmp_path: Path) -> Report:
    journal = make_journal(tmp_path)
    fill(journal)
    return report_of(journal)


@pytest.fixture(name="measured")
def _measured(tmp_path: Path) -> tuple[Report, list[Record], list[Record]]:
    """The full report plus exercises and outcome measures: (report, measures, sessions)."""
    journal = make_journal(tmp_path)
    ids = fill(journal)
    values = fill_outcomes(journal, ids["sessions"])
    return report_of(journal), values, ids["sessions"]


# --- the model ------------------------------------------------------------------------------


def test_model_contents(report: Report) -> None:
    """Sessions oldest first, protocols by fingerprint, holds and clears, screenings, notes."""
    assert len(report.rows) == 9
    assert report.rows[0].started <= report.rows[-1].started
    assert report.patients == ("Ana <Example>",)
    assert {(u.region, u.sessions) for u in report.protocols} == {("calf", 8), ("neck", 1)}
    assert [(e.kind, e.region) for e in report.hold_events] == [
        ("hold", "neck"),
        ("clear", "neck"),
        ("hold", "calf"),
    ]
    assert [h.region for h in report.active_holds] == ["calf"]
    assert [(s.outcome, s.cleared_cautions) for s in report.screenings] == [
        ("cleared", ("blood-thinners",)),
        ("stopped", ()),
    ]
    assert {n.text for n in report.notes} == {EVIL, "stiff"}


def test_adherence_counts_sittings_per_week(report: Report) -> None:
    """Four weekly sittings against 2 a week over a 4-week course; the calf is on hold from
    day 9, so the sittings of weeks 3 and 4 are listed and never counted: 25 %."""
    calf = next(a for a in report.adherence if a.region == "calf")
    assert (calf.sittings, calf.complete, calf.interrupted, calf.weeks) == (4, 3, 1, 4)
    assert (calf.percent, calf.weeks_below, calf.weeks_on_target) == (25, 4, 0)
    assert calf.during_hold == 2
    neck = next(a for a in report.adherence if a.region == "neck")
    assert neck.percent is None and neck.prescribed is None


def test_extra_sessions_do_not_make_up_for_missed_weeks(tmp_path: Path) -> None:
    """Three sittings in week 1 and none in week 2 of a 2-a-week course: 50 %, not 75 %."""
    journal = make_journal(tmp_path)
    for day in (0, 2, 4):
        add_session(journal, side="none", group=f"g{day}", started=T0 + timedelta(days=day))
    items = list(journal.scan())
    report = build_report(  # the Monday after the two weeks
        items, now=T0 + timedelta(days=14), since=None, prescriptions={"calf": Prescribed(2, 2)}
    )
    calf = report.adherence[0]
    assert (calf.weeks, calf.weeks_above, calf.weeks_below, calf.percent) == (2, 1, 1, 50)


@pytest.mark.parametrize(
    ("days", "now_day", "expected"),
    [
        # Wednesday of week 2, no sitting yet this week: week 2 is not counted yet.
        ([0, 3], 9, (1, 1, 0, 100, 2.0, 0)),
        # One of two so far this week: still not counted.
        ([0, 3, 7], 9, (1, 1, 0, 100, 2.0, 1)),
        # On target already: counted.
        ([0, 3, 7, 8], 9, (2, 2, 0, 100, 2.0, None)),
        # Week 2 is over (Monday of week 3): counted, short; week 3 has just begun.
        ([0, 3, 7], 14, (2, 1, 1, 75, 1.5, 0)),
    ],
)
def test_week_in_progress_is_not_held_against_the_prescription(
    tmp_path: Path, days: list[int], now_day: int, expected: tuple[Any, ...]
) -> None:
    """Mid-week, this week counts only once it has the prescribed sittings; until then it
    is left out of the weeks, the percentage and the average, and shown as so far."""
    journal = make_journal(tmp_path)
    for day in days:
        add_session(journal, side="none", group=f"g{day}", started=T0 + timedelta(days=day))
    now = T0 + timedelta(days=now_day)
    report = journal_report(journal, now=now, prescriptions={"calf": Prescribed(2, 4)})
    calf = report.adherence[0]
    assert (
        calf.weeks,
        calf.weeks_on_target,
        calf.weeks_below,
        calf.percent,
        calf.per_week,
        calf.week_in_progress,
    ) == expected
    text = render_markdown(report)
    if calf.week_in_progress is not None:
        assert f"{calf.week_in_progress} so far this week, counted once it has 2" in text
    data = json.loads(render_json(report))["adherence"][0]
    assert data["week_in_progress"] == calf.week_in_progress


def test_first_week_in_progress(tmp_path: Path) -> None:
    """Only this week so far, below the prescription: no percentage yet, no division by 0."""
    journal = make_journal(tmp_path)
    add_session(journal, side="none", started=T0)
    report = journal_report(
        journal, now=T0 + timedelta(days=1), prescriptions={"calf": Prescribed(2, 4)}
    )
    calf = report.adherence[0]
    assert (calf.weeks, calf.percent, calf.week_in_progress) == (0, None, 1)
    assert "first week not over yet: 1 so far this week" in render_markdown(report)


def test_since_skips_older_records(tmp_path: Path) -> None:
    """--since keeps sessions started on or after it, and later holds only."""
    journal = make_journal(tmp_path)
    fill(journal)
    report = report_of(journal, since=T0 + timedelta(days=6))
    assert len(report.rows) == 6
    assert [e.region for e in report.hold_events] == ["calf"]


# --- formats ---------------------------------------------------------------------------------


def test_csv_round_trip(report: Report) -> None:
    """CSV: the documented header, one row per session, values intact, formulas defused."""
    rows = list(csv.DictReader(io.StringIO(render_csv(report), newline="")))
    assert list(rows[0]) == [name for name, _ in ROW_FIELDS] + [name for name, _ in CSV_EXTRA]
    assert len(rows) == len(report.rows)
    first = rows[0]
    assert first["id"] == report.rows[0].id
    assert (first["soreness_after"], first["soreness_24h"], first["soreness_48h"]) == (
        "1",
        "2",
        "1",
    )
    assert first["soreness_72h"] == ""
    assert first["note"] == EVIL.replace("=1+2", "=1+2")  # not at the start: unchanged
    stiff = next(r for r in rows if r["checkin_notes"])
    assert stiff["checkin_notes"] == "24 h: stiff"
    assert any(r["flags"] == "worse-48h" for r in rows)
    assert {r["complete"] for r in rows} == {"true", "false"}


def test_csv_defuses_formulas(tmp_path: Path) -> None:
    """A note starting with = + - @ gets a leading apostrophe so a spreadsheet shows it as text."""
    journal = make_journal(tmp_path)
    add_session(journal, note='=HYPERLINK("http://x")')
    report = journal_report(journal, now=NOW)
    row = next(csv.DictReader(io.StringIO(render_csv(report), newline="")))
    assert row["note"] == '\'=HYPERLINK("http://x")'


def test_json_round_trip(report: Report) -> None:
    """JSON: sessions with the documented fields, plus holds, cautions, adherence and notes."""
    data = json.loads(render_json(report))
    assert data["report_version"] == 1
    assert [list(s) for s in data["sessions"]] == [[n for n, _ in ROW_FIELDS]] * len(report.rows)
    assert data["sessions"][0]["note"] == EVIL
    assert data["patients"] == ["Ana <Example>"]
    assert [h["event"] for h in data["holds"]] == ["hold", "clear", "hold"]
    assert data["holds"][1]["reason"] == "seen by <b>physio</b>"
    assert data["active_holds"][0]["region"] == "calf"
    assert data["screenings"][0]["cleared_cautions"] == ["blood-thinners"]
    calf = next(a for a in data["adherence"] if a["region"] == "calf")
    assert (calf["prescribed_per_week"], calf["percent"]) == (2, 25)
    assert datetime.fromisoformat(data["sessions"][0]["started"]) == T0


def test_html_is_self_contained_and_charts_every_point(report: Report) -> None:
    """HTML: no script, nothing loaded from elsewhere, a CSP, and one SVG mark per answer."""
    page = render_html(report)
    parser = ChartParser()
    parser.feed(page)
    assert "script" not in parser.tags
    assert parser.external == []
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    expected = set()
    for row in report.rows:
        for key, value in (
            ("after", row.soreness_after),
            ("24h", row.soreness_at(24)),
            ("48h", row.soreness_at(48)),
            ("72h", row.soreness_at(72)),
        ):
            if value is not None:
                expected.add((row.id, key, str(value)))
    found = {(p["data-session"], p["data-series"], p["data-value"]) for p in parser.points}
    assert len(parser.points) == len(expected) == 9 + 8 + 6  # after, 24 h, 48 h
    assert found == expected
    assert "@media print" in page


def test_html_escapes_untrusted_text(report: Report) -> None:
    """Notes, reasons and names appear as text, never as markup."""
    page = render_html(report)
    assert "<script>" not in page and "<b>physio" not in page and "<Example>" not in page
    parser = ChartParser()
    parser.feed(page)
    text = "".join(parser.text)
    assert EVIL in text and "seen by <b>physio</b>" in text and "Ana <Example>" in text


def test_empty_report_renders(tmp_path: Path) -> None:
    """No sessions at all: every format still renders, the chart says so."""
    report = build_report([], now=NOW, since=None, prescriptions={})
    assert "No sessions" in render_html(report)
    assert json.loads(render_json(report))["sessions"] == []
    assert render_csv(report).splitlines() == [",".join(n for n, _ in (*ROW_FIELDS, *CSV_EXTRA))]
    assert "None." in render_markdown(report)


def test_markdown_sections_and_escaping(report: Report) -> None:
    """Markdown: every section, untrusted text escaped (no raw HTML, links or table breaks)."""
    text = render_markdown(report)
    for heading in (
        "## Holds now in force",
        "## Protocols followed",
        "## Adherence",
        "## Red flags and holds",
        "## Screening: cautions and stops",
        "## Soreness timeline (0-10)",
        "## Notes",
    ):
        assert heading in text
    assert "<script>" not in text and "[link](" not in text
    assert "Do you take blood thinners?" in text
    assert md("a|b\nc <i>") == "a\\|b c \\<i\\>"
    assert_columns_intact(text)


def assert_columns_intact(text: str) -> None:
    """Every row of each Markdown table has as many unescaped pipes as the others."""
    tables: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    for table in tables:
        cells = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
        assert len(cells) <= 1, table  # untrusted text never adds a column


def test_fingerprints_shown(report: Report) -> None:
    """Each protocol is identified by the first 12 characters of its fingerprint."""
    assert "abababababab" in render_markdown(report)
    assert "abababababab" in render_html(report)


def test_local_time_in_human_formats(report: Report) -> None:
    """Human formats show local time; JSON and CSV keep the recorded offset."""
    data = json.loads(render_json(report))
    assert data["sessions"][0]["started"].endswith("+00:00")
    local = T0.astimezone()
    assert f"{local:%Y-%m-%d %H:%M}" in render_markdown(report)


def test_session_dates_are_instants(tmp_path: Path) -> None:
    """Sessions recorded in different time zones are ordered by instant."""
    journal = make_journal(tmp_path)
    late = add_session(journal, started=datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
    early = add_session(
        journal,
        started=datetime(2026, 3, 3, 9, 0, tzinfo=timezone(timedelta(hours=10))),
    )
    report = journal_report(journal, now=NOW)
    assert [r.id for r in report.rows] == [early.id, late.id]


def sitting_with_notes(tmp_path: Path) -> Report:
    """A logged two-sided calf sitting with one note (written on both sides, as `log --note`
    does), each side's 24 h check-in a day later with the same note, and the left side's
    48 h check-in with its own."""
    journal = make_journal(tmp_path)
    sides = [
        add_session(journal, side=side, group="g1", source="log", note="felt tight")
        for side in ("left", "right")
    ]
    day_later = T0 + timedelta(days=1, hours=2)
    for session in sides:
        add_checkin(journal, session, hours=24, soreness=2, at=day_later, note="stiff")
    add_checkin(journal, sides[0], hours=48, soreness=1, at=T0 + timedelta(days=2), note="fine now")
    return journal_report(journal, now=NOW)


def test_notes_dated_when_written_once_per_sitting(tmp_path: Path) -> None:
    """A check-in's note carries the check-in's own time, not the session's; a note written
    once for both sides of a sitting is listed once, for both sides."""
    report = sitting_with_notes(tmp_path)
    day_later = T0 + timedelta(days=1, hours=2)
    assert [(n.at, n.place, n.context, n.text) for n in report.notes] == [
        (T0, "calf (left and right)", "session", "felt tight"),
        (day_later, "calf (left and right)", "24 h check-in", "stiff"),
        (T0 + timedelta(days=2), "calf (left)", "48 h check-in", "fine now"),
    ]
    text = render_markdown(report)
    when = f"{day_later.astimezone():%Y-%m-%d %H:%M}"
    assert f"- {when}, calf (left and right), 24 h check-in: stiff" in text
    assert text.count("stiff") == 1 and text.count("felt tight") == 1
    page = render_html(report)
    assert page.count("stiff") == 1 and f"{when}, calf (left and right)" in page
    assert [n["at"] for n in json.loads(render_json(report))["notes"]][1] == day_later.isoformat()


def test_logged_status_as_in_history(tmp_path: Path) -> None:
    """A session recorded with `log` reads 'complete, logged' in the report, as in history."""
    report = sitting_with_notes(tmp_path)
    assert "| complete, logged |" in render_markdown(report)
    assert "<td>complete, logged</td>" in render_html(report)
    assert report.rows[0].status() == "complete, logged"


def test_report_explains_red_flag_rules_itself(report: Report) -> None:
    """The physio may not have the README: the report lists the red-flag rules and what a
    hold means, and refers to no README."""
    for text in (render_markdown(report), render_html(report)):
        assert "README" not in text
        assert "Red-flag rules" in text and "puts the region on hold" in text
        assert "worse-48h" in text and "at 48 h 2 or more points above the 24 h answer" in text
        assert "the patient reported the soreness getting worse" in text
    rules = json.loads(render_json(report))["red_flag_rules"]
    assert {
        "rule": "bruising",
        "when": RULES["bruising"].when,
    } in rules


# --- any text survives every format ------------------------------------------------------------

NOTE_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=60
)


@settings(max_examples=60, deadline=None)
@given(note=NOTE_TEXT, reason=NOTE_TEXT)
def test_any_text_round_trips(note: str, reason: str) -> None:
    """Arbitrary notes, reasons and outcome test names (markup, quotes, newlines, Unicode) come
    back exactly from CSV and JSON, appear as text in HTML, and never open a tag or add a
    Markdown column."""
    started = T0
    data = session_fields(
        region="calf",
        side="left",
        group="g",
        source="timer",
        protocol=BUILT_IN_STAMP,
        started=started,
        ended=started + timedelta(minutes=5),
        planned_s=300,
        actual_s=300,
        soreness=3,
        note=note,
    )
    session = Record(records.SESSION, new_record_id(started), started, 1, data)
    hold_at = started + timedelta(hours=1)
    hold = Record(
        records.HOLD,
        new_record_id(hold_at),
        hold_at,
        1,
        {"region": "calf", "rule": "bruising", "reason": reason, "source": session.id},
    )
    taken = started - timedelta(minutes=1)
    fields = {"region": "calf", "side": "left", "test": reason, "unit": "cm", "value": 9.5}
    value = Record(
        records.MEASURE,
        new_record_id(taken),
        taken,
        1,
        {**fields, "phase": "before", "session": session.id},
    )
    report = build_report([value, session, hold], now=NOW, since=None, prescriptions={})

    row = next(csv.DictReader(io.StringIO(render_csv(report), newline="")))
    assert row["note"] == csv_text(note) and row["measure_test"] == csv_text(reason)
    data_back = json.loads(render_json(report))
    assert data_back["sessions"][0]["note"] == note
    assert data_back["holds"][0]["reason"] == reason
    assert data_back["measures"][0]["test"] == reason

    parser = ChartParser()
    parser.feed(render_html(report))
    parser.close()
    assert parser.external == []
    assert set(parser.tags) <= SAFE_TAGS
    text = "".join(parser.text)
    for value in (note, reason):
        for line in value.replace("\r", "\n").split("\n"):
            assert line.strip() in text.replace("\r", "\n")

    assert_columns_intact(render_markdown(report))


SAFE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "h3",
    "p",
    "strong",
    "br",
    "ul",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "code",
    "span",
    "svg",
    "line",
    "text",
    "g",
    "circle",
    "rect",
    "polygon",
    "polyline",
    # the summary block, the Deviations box, the small multiples and the appendix
    "section",
    "dl",
    "dt",
    "dd",
    "div",
    "figure",
    "figcaption",
}


# --- exercises and outcome measures -------------------------------------------------------------

Measured = tuple[Report, list[Record], list[Record]]


def test_exercise_adherence_per_region(measured: Measured) -> None:
    """Exercises count once per sitting and only when done: sets 0/6 + 4/6 + 4/6 are 2 of 4
    calf sittings (the 0/6 one had none done), not 3."""
    report, _, _ = measured
    calf = next(a for a in report.adherence if a.region == "calf")
    assert (calf.exercise_sittings, calf.exercise_sets_done, calf.exercise_sets_planned) == (
        2,
        8,
        18,
    )
    assert (calf.exercise_percent, calf.exercise_sets_percent) == (50, 44)
    assert calf.exercises_declined == 1
    neck = next(a for a in report.adherence if a.region == "neck")
    assert (neck.exercise_sittings, neck.exercise_percent, neck.exercise_sets_percent) == (
        0,
        0,
        None,
    )
    sets = {(r.place(), r.started.date()): r.exercise for r in report.rows}
    assert sets[("calf (left)", T0.date())] == sets[("calf (right)", T0.date())]


def test_outcomes_model(measured: Measured) -> None:
    """Every value is kept; per side: weekly medians of values taken before a session or on
    their own, the first weeks against the last, and before -> after per session."""
    report, values, _ = measured
    assert sorted(m.id for m in report.measures) == sorted(v.id for v in values)
    left, right = report.outcomes
    assert (left.side, right.side) == ("left", "right")
    assert [w.median for w in left.weeks] == [9.0, 9.5, 10.5, 11.0]
    assert left.overall is not None and right.overall is not None
    assert (left.overall.early, left.overall.late, left.overall.change) == (9.25, 10.75, 1.5)
    assert (right.overall.early, right.overall.late, right.overall.edge_weeks) == (10.0, 12.0, 1)
    assert [c.change for c in left.changes] == [1.5, 1.0]
    assert (left.mean_session_change, right.mean_session_change) == (1.25, 0.25)
    assert left.higher_is_better is True
    row = next(r for r in report.rows if r.place() == "calf (right)" and r.started == T0)
    assert row.measure is not None and (row.measure.before, row.measure.after) == (10.0, 10.5)


def test_since_drops_earlier_measures(tmp_path: Path) -> None:
    """--since keeps the measures written from that day on, like everything else."""
    journal = make_journal(tmp_path)
    ids = fill(journal)
    fill_outcomes(journal, ids["sessions"])
    report = report_of(journal, since=T0 + timedelta(days=6))
    assert all(m.at >= T0 + timedelta(days=6) for m in report.measures)
    assert len(report.measures) == 6  # two on their own, the last sitting's four


def test_csv_has_exercise_and_measure_columns(measured: Measured) -> None:
    """CSV: the new columns come after the old ones; values per session, empty when none."""
    report, _, _ = measured
    rows = list(csv.DictReader(io.StringIO(render_csv(report), newline="")))
    names = [name for name, _ in ROW_FIELDS]
    assert list(rows[0]) == [*names, *(name for name, _ in CSV_EXTRA)]
    assert names[-7:] == [
        "exercise_sets_done",
        "exercise_sets_planned",
        "measure_test",
        "measure_unit",
        "measure_before",
        "measure_after",
        "measure_change",
    ]
    first = rows[0]  # week 0, left: exercises 0/6, measured 9 -> 10.5
    assert (first["exercise_sets_done"], first["exercise_sets_planned"]) == ("0", "6")
    assert (first["measure_test"], first["measure_unit"]) == (TEST_NAME, "cm")
    assert (first["measure_before"], first["measure_after"], first["measure_change"]) == (
        "9.0",
        "10.5",
        "1.5",
    )
    neck = next(r for r in rows if r["region"] == "neck")
    assert neck["exercise_sets_done"] == neck["measure_before"] == neck["measure_test"] == ""


def test_json_measures_outcomes_and_caveat(measured: Measured) -> None:
    """JSON: every value in `measures`, one `outcomes` entry per side, the caveat, exercise
    adherence, and the per-session fields."""
    report, values, _ = measured
    data = json.loads(render_json(report))
    assert data["measure_caveat"] == CAVEAT
    expected = {
        (v.id, v.data["side"], v.data["phase"], v.data["value"], v.data["session"]) for v in values
    }
    found = {(m["id"], m["side"], m["phase"], m["value"], m["session"]) for m in data["measures"]}
    assert found == expected
    keys = ["at", "region", "side", "test", "unit", "value", "phase", "session", "id"]
    assert list(data["measures"][0]) == keys
    assert all(m["test"] == TEST_NAME and m["region"] == "calf" for m in data["measures"])
    left = data["outcomes"][0]
    assert (left["side"], left["first_weeks_median"], left["last_weeks_median"]) == (
        "left",
        9.25,
        10.75,
    )
    assert (left["change_over_weeks"], left["mean_change_right_after"]) == (1.5, 1.25)
    assert [w["median"] for w in left["weekly"]] == [9.0, 9.5, 10.5, 11.0]
    assert left["higher_is_better"] is True and "better direction" in left["summary"]
    calf = next(a for a in data["adherence"] if a["region"] == "calf")
    assert (calf["exercise_sittings"], calf["exercise_percent"]) == (2, 50)
    assert (calf["exercise_sets_done"], calf["exercise_sets_planned"]) == (8, 18)
    session = data["sessions"][0]
    assert (session["measure_before"], session["measure_after"]) == (9.0, 10.5)
    assert session["exercise_sets_done"] == 0


def test_html_charts_every_measure(measured: Measured) -> None:
    """HTML: one SVG chart per side with one marked point per value (phase and value as
    recorded), the caveat, and the test name as text only."""
    report, values, _ = measured
    page = render_html(report)
    parser = ChartParser()
    parser.feed(page)
    parser.close()
    found = {(p["data-id"], p["data-phase"], p["data-session"]) for p in parser.measure_points}
    expected = {(v.id, v.data["phase"], v.data["session"]) for v in values}
    assert found == expected and len(parser.measure_points) == len(values)
    for point in parser.measure_points:
        value = next(v for v in values if v.id == point["data-id"])
        assert float(point["data-value"] or "nan") == value.data["value"]
    text = "".join(parser.text)
    assert CAVEAT in text
    assert TEST_NAME in text and "i" not in parser.tags and "<i>to" not in page
    assert page.count('class="measure-chart"') == 2
    assert "script" not in parser.tags and parser.external == []
    assert (
        "after 2 of 4 sittings (50 %); 8 of 18 sets done (44 %); "
        "exercise guide declined in 1 sitting" in text
    )


def test_markdown_outcomes_section(measured: Measured) -> None:
    """Markdown: the section with the caveat, summaries, week by week and per-session
    tables; the test name escaped and no table gains a column."""
    report, _, _ = measured
    text = render_markdown(report)
    assert "## Outcome measures" in text and md(CAVEAT) in text
    assert "### Week by week" in text and "### Before and after each session" in text
    assert "| 9 cm | 10.5 cm | +1.5 cm |" in text
    assert "9.25 cm in the first 2 weeks measured, 10.75 cm in the last 2 weeks" in text
    assert "<i>" not in text and md(TEST_NAME) in text
    assert "after 2 of 4 sittings (50 %)" in text
    assert_columns_intact(text)


def test_no_measures_says_so(report: Report) -> None:
    """Without measures, each human format says so plainly; JSON has empty lists."""
    assert "No outcome measurements in this period." in render_markdown(report)
    assert "No outcome measurements in this period." in render_html(report)
    data = json.loads(render_json(report))
    assert data["measures"] == [] and data["outcomes"] == []
    calf = next(a for a in data["adherence"] if a["region"] == "calf")
    assert calf["exercise_sittings"] == 0 and calf["exercise_sets_percent"] is None


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(9, 13, (9, 13, 1)), (5, 40, (0, 40, 10)), (-3, 12, (-5, 15, 5)), (9, 9, (8, 10, 0.5))],
)
def test_measure_axis_uses_round_steps(
    low: float, high: float, expected: tuple[float, float, float]
) -> None:
    assert nice_scale(low, high) == pytest.approx(expected)
