"""A red flag placed and lifted between two visits: the physio sees it on the first screen,
with who examined the area and why it was lifted, in every report format."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.observation import Observation

from iastm_coach.report.build import Report, render
from tests.builders import (
    T0,
    add_checkin,
    add_hold,
    add_hold_clear,
    add_session,
    journal_report,
    make_journal,
)

# T0 is Mon 2 Mar 2026 18:00 UTC: the session, swelling at 48 h (Wed 4 Mar), lifted Fri 6 Mar.
SWOLLEN = "calf puffy and warm"
LIFT = "no clot on ultrasound, OK to resume gently"


def swelling_story(tmp_path: Path) -> Report:
    journal = make_journal(tmp_path)
    session = add_session(journal, side="left", started=T0)
    checkin = add_checkin(journal, session, hours=48, soreness=4, swelling=True, note=SWOLLEN)
    add_hold(journal, rule="swelling", source=checkin.id, side="left", at=checkin.at)
    add_hold_clear(journal, reason=LIFT, examined_by="Dr Lee, GP", at=T0 + timedelta(days=4))
    add_session(journal, side="left", started=T0 + timedelta(days=5))
    return journal_report(journal, now=T0 + timedelta(days=6))


WHAT = f"swelling (calf left, 4 Mar; lifted 6 Mar after examination by Dr Lee, GP: {LIFT})"


def test_the_first_screen_names_a_red_flag_lifted_in_the_period(tmp_path: Path) -> None:
    """'Holds now: none' is true, and the next line says what happened in between."""
    report = swelling_story(tmp_path)
    text = render(report, "md")
    glance = text.split("## At a glance", 1)[1].split("\n## ", 1)[0]
    assert "- **Holds now**: none" in glance
    assert f"- **Red flags in this period**: {WHAT}" in glance
    page = render(report, "html")
    top = page.split('<section class="glance">', 1)[1].split("</section>", 1)[0]
    assert '<dt class="alert">Red flags in this period</dt>' in top
    assert "after examination by Dr Lee, GP" in top
    summary = {g["label"]: g["lines"] for g in json.loads(render(report, "json"))["summary"]}
    assert summary["Red flags in this period"] == [WHAT]


def test_the_holds_section_and_json_name_the_examiner(tmp_path: Path) -> None:
    report = swelling_story(tmp_path)
    assert "| Examined by |" in render(report, "md")
    assert "<th>Examined by</th>" in render(report, "html").replace(' scope="col"', "")
    data = json.loads(render(report, "json"))
    lifted = [h for h in data["holds"] if h["event"] == "clear"]
    assert [(h["reason"], h["examined_by"]) for h in lifted] == [(LIFT, "Dr Lee, GP")]
    [span] = data["hold_spans"]
    assert (span["examined_by"], span["lift_reason"], span["sides"]) == (
        "Dr Lee, GP",
        LIFT,
        ["left"],
    )


def test_the_holds_table_says_which_side(tmp_path: Path) -> None:
    """The side of a hold decides which other regions it stopped (a leg swelling both legs,
    numbness that leg): the holds table and JSON name it, as the summary does."""
    report = swelling_story(tmp_path)
    holds = render(report, "md").split("## Red flags and holds", 1)[1].split("###", 1)[0]
    (placed,) = [row for row in holds.splitlines() if "| hold |" in row]
    assert "| calf (left) |" in placed
    data = json.loads(render(report, "json"))
    assert [(h["event"], h["side"]) for h in data["holds"]] == [("hold", "left"), ("clear", "")]


def test_the_csv_row_of_the_session_that_raised_it(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(render(swelling_story(tmp_path), "csv"))))
    first, later = rows
    assert (first["hold_rules"], first["hold_lift_reason"], first["hold_examined_by"]) == (
        "swelling",
        LIFT,
        "Dr Lee, GP",
    )
    assert first["hold_lifted"].startswith("2026-03-06")
    assert (later["hold_rules"], later["hold_examined_by"]) == ("", "")


def test_fhir_has_a_flag_over_the_hold_and_the_checkin_note(tmp_path: Path) -> None:
    bundle = Bundle.model_validate_json(render(swelling_story(tmp_path), "fhir"))
    resources = [entry.resource for entry in bundle.entry or []]
    [flag] = [r for r in resources if isinstance(r, Flag)]
    assert flag.status == "inactive" and flag.period is not None
    assert flag.period.start is not None and flag.period.end is not None
    assert flag.period.end - flag.period.start == timedelta(days=4) - timedelta(hours=48, minutes=6)
    assert "Dr Lee, GP" in (flag.code.text or "") and LIFT in (flag.code.text or "")
    notes = [
        n.text for r in resources if isinstance(r, Observation) for n in r.note or [] if n.text
    ]
    assert SWOLLEN in notes


def test_no_red_flag_says_none(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    add_session(journal, started=T0)
    report = journal_report(journal, now=T0 + timedelta(days=1))
    assert "- **Red flags in this period**: none" in render(report, "md")


def test_a_session_during_a_hold_does_not_count_toward_adherence(tmp_path: Path) -> None:
    """`log` during the swelling hold made 'Adherence 100 %': the plan said stop, so that
    sitting is listed, marked and never counted; the line says so."""
    from iastm_coach.report.build import Prescribed

    journal = make_journal(tmp_path)
    monday = T0  # Mon 2 Mar: one session a week prescribed
    session = add_session(journal, side="left", started=monday)
    add_hold(
        journal, rule="swelling", source=session.id, side="left", at=monday + timedelta(hours=1)
    )
    add_session(journal, side="left", started=monday + timedelta(days=7))  # during the hold
    add_hold_clear(journal, reason=LIFT, examined_by="Dr Lee, GP", at=monday + timedelta(days=9))
    report = journal_report(
        journal, now=monday + timedelta(days=14, hours=1), prescriptions={"calf": Prescribed(1, 2)}
    )
    [calf] = report.adherence
    assert (calf.sittings, calf.during_hold, calf.percent) == (2, 1, 50)
    text = render(report, "md")
    assert "calf: 50 % of prescribed sessions; 1 sitting during a hold not counted;" in text
    assert json.loads(render(report, "json"))["adherence"][0]["sittings_during_hold"] == 1


def test_the_rules_paragraph_says_when_follow_ups_come_and_who_lifts_a_serious_hold(
    isolated_home: Path,
) -> None:
    """The report's 'Red-flag rules' paragraph agrees with the rules the program applies: a
    72 h follow-up when the answers are above the usual level or getting worse (not 'when
    still 4 or more'), a day 5-7 check, and a serious hold lifted only with the examining
    clinician's name (not by any reason the patient gives)."""
    from tests.cli import NOW, run

    started = (NOW - timedelta(hours=30)).isoformat()
    assert run("log", "calf", "--soreness", "2", "--side", "left", "--when", started)[0] == 0
    code, out, err = run("report", "--format", "md")
    assert code == 0, out + err
    paragraph = " ".join(out.split("### Red-flag rules", 1)[1].split("\n- ", 1)[0].split())
    assert "when it is still 4 or more" not in paragraph
    assert "above the patient's usual level or getting worse" in paragraph
    assert "day 5-7" in paragraph
    assert "examined the area" in paragraph
    for rule in ("soreness-7", "bruising", "numbness", "swelling", "weakness", "skin-broken"):
        assert rule in paragraph.replace("\\", ""), rule
