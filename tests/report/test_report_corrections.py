"""A follow-up answered twice, and warning signs left unknown, as the physio reads them:
both answers in every format (the first one 'corrected to' the second), and a sign not
asked shown as 'not asked', never as 'no'."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

from iastm_coach.journal.store import Journal
from iastm_coach.report.build import (
    Prescribed,
    Report,
    render_csv,
    render_html,
    render_json,
    render_markdown,
)
from tests.builders import (
    T0,
    add_checkin,
    add_cut_short_checkin,
    add_session,
    journal_report,
    make_journal,
)


def corrected_journal(tmp_path: Path) -> tuple[Journal, str, str]:
    """A session; its 24 h follow-up answered 7 with swelling and worse not asked (Ctrl-D),
    then answered again an hour later: 3, naming the first in `corrects`."""
    journal = make_journal(tmp_path)
    session = add_session(journal, side="left", started=T0)
    ended = session.data["ended"]
    first = add_cut_short_checkin(
        journal, session, hours=24, soreness=7, at=ended + timedelta(hours=26)
    )
    second = add_checkin(
        journal,
        session,
        hours=24,
        soreness=3,
        at=ended + timedelta(hours=27),
        corrects=first.id,
    )
    return journal, first.id, second.id


def report(journal: Journal) -> Report:
    return journal_report(
        journal, now=T0 + timedelta(days=3), prescriptions={"calf": Prescribed(2, 4)}
    )


def test_markdown_and_html_show_the_answer_and_its_correction(tmp_path: Path) -> None:
    journal, _, second = corrected_journal(tmp_path)
    built = report(journal)
    at = next(r for r in journal.recent(kinds={"checkin"}) if r.id == second).at.astimezone()
    expected = f"7 → corrected to 3 at {at:%Y-%m-%d %H:%M}"
    assert expected in render_markdown(built)
    assert expected in render_html(built)


def test_an_unknown_sign_reads_not_asked(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    session = add_session(journal, side="left", started=T0)
    answer = {"session": session.id, "hours": 24, "soreness": 2, "bruising": False}
    journal.append(
        "checkin",
        {**answer, "numbness": False, "not_asked": ["swelling", "worse"], "note": ""},
        at=session.data["ended"] + timedelta(hours=25),
    )
    text = render_markdown(report(journal))
    assert "2 (swelling, worse not asked)" in text


def test_csv_and_json_list_both_answers_with_the_corrects_id(tmp_path: Path) -> None:
    journal, first, second = corrected_journal(tmp_path)
    built = report(journal)
    (row,) = json.loads(render_json(built))["sessions"]
    answers = [a for a in row["checkin_answers"] if a["id"] in (first, second)]
    assert [(a["soreness"], a["corrects"], a["not_asked"]) for a in answers] == [
        (7, None, ["swelling", "worse"]),
        (3, first, []),
    ]
    assert row["soreness_24h"] == 3  # the newest answer counts
    (line,) = csv.DictReader(io.StringIO(render_csv(built)))
    cell = line["checkin_answers"]
    assert "24 h: 7/10 at" in cell and f"(id {first}; swelling, worse not asked)" in cell
    assert "24 h: 3/10 at" in cell and f"(id {second}, corrects {first})" in cell
