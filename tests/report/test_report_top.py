"""The top of the physio's report: the summary block and the Deviations box, read by a busy
clinician in 30 seconds; soreness per region and side with holds from placed to lifted."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from iastm_coach.journal.store import Journal
from iastm_coach.plans.deviations import PlanFacts, file_deviation
from iastm_coach.report.build import Prescribed, Report, build_report, render_html, render_json
from iastm_coach.report.markdown import render_markdown
from iastm_coach.safety.holds import fold_holds
from tests.builders import (
    T0,
    ChartParser,
    add_runner_weeks,
    add_session,
    journal_report,
    make_journal,
)

NOW = T0 + timedelta(days=27)
FP = "ab" * 32
CALF = PlanFacts(region="calf", rest_hours=48, label="calf 1.0")


def runner_report(journal: Journal, **options: Any) -> Report:
    items = list(journal.scan())
    settings: dict[str, Any] = {
        "prescriptions": {"calf": Prescribed(2, 4), "neck": None},
        "patients": ["Sam Runner"],
        "active_holds": fold_holds(items).active,
        "higher_is_better": {("calf", "Knee-to-wall lunge"): True},
        "minimal_change": {("calf", "Knee-to-wall lunge"): 1.6},
        "exercises_prescribed": {"calf": 2, "neck": 0},
        "plan_facts": {FP: CALF},
    }
    return build_report(items, now=NOW, since=None, **(settings | options))


@pytest.fixture(name="runner")
def _runner(tmp_path: Path) -> Report:
    journal = make_journal(tmp_path)
    add_runner_weeks(journal)
    return runner_report(journal)


def test_deviations_of_the_four_weeks(runner: Report) -> None:
    """The early session, the session logged during the hold (20 min against 3.5, 45 h
    after the last sitting) and the next sitting 27 h after it: each in the box, once per
    sitting."""
    kinds = [d.kind for d in runner.deviations.items]
    assert kinds == ["override", "during-hold", "inside-rest", "over-time", "inside-rest"]
    text = render_markdown(runner)
    box = text.split("## Deviations", 1)[1].split("## Holds now in force", 1)[0]
    for label in (
        "Safety limit overridden** (1)",
        "Session during a hold** (1)",
        "Longer than planned** (1)",
        "Session inside the rest period** (2)",
    ):
        assert label in box
    assert "Journal integrity: not verified" in box


def test_summary_block_first(runner: Report) -> None:
    """Holds, deviations, adherence, soreness per region and side, outcome with its error."""
    page = render_html(runner)
    top = page.split('<section class="glance">', 1)[1].split("</section>", 1)[0]
    assert (
        page.index('class="glance"')
        < page.index('id="deviations"')
        < page.index("Protocols followed")
    )
    assert "neck on hold since" in top and "numbness reported" in top
    assert (
        "Safety limit overridden (1), Session during a hold (1), Session inside the rest "
        "period (2), Longer than planned (1); journal integrity not verified" in top
    )
    assert (
        "calf: 100 % of prescribed sessions; 1 sitting during a hold not counted; exercises "
        "after 6 of 9 sittings" in top
    )
    assert "exercise guide declined in 2 sittings" in top and "declined after" not in top
    assert "neck: 1 sitting in the first week; exercises none prescribed" in top
    assert (
        "calf (left): right after 4.3 → 1.7 (first 3 vs last 3 answers, falling); at 24 h "
        "3.3 → 0.7" in top
    )
    assert "calf (right):" in top and "neck: right after 2/10 (one answer)" in top
    assert (
        "Knee-to-wall lunge, calf (left): 9.2 cm → 11.6 cm (mean of the first 2 vs the last 2 "
        "values): +2.4 cm over 3 weeks, at least the measurement error (1.6 cm), better" in top
    )


def test_outcome_within_measurement_error(tmp_path: Path) -> None:
    """A change smaller than the protocol's minimal_change is called what it is."""
    journal = make_journal(tmp_path)
    add_runner_weeks(journal)
    report = runner_report(journal, minimal_change={("calf", "Knee-to-wall lunge"): 5.0})
    lines = next(g for g in json.loads(render_json(report))["summary"] if g["label"] == "Outcome")
    assert any("within measurement error (5 cm)" in line for line in lines["lines"])


def test_none_recorded_and_none_prescribed_differ(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    add_session(journal, started=T0)
    add_session(journal, region="neck", side="none", started=T0)
    report = journal_report(journal, now=NOW, exercises_prescribed={"calf": 2, "neck": 0})
    text = render_markdown(report)
    assert "calf: 1 sitting, no weekly prescription; exercises none recorded in 1 sitting" in text
    assert "neck: 1 sitting, no weekly prescription; exercises none prescribed" in text


def test_no_deviations_says_none(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    add_session(journal, started=T0)
    report = journal_report(journal, now=NOW)
    md_text = render_markdown(report)
    assert "- **Deviations**: none; journal integrity not verified" in md_text
    assert "None: no override" in md_text
    page = render_html(report)
    assert 'class="deviations none"' in page and "None: no override" in page


def test_changed_file_in_the_box(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    add_session(journal, started=T0)
    changed = file_deviation("calf", tmp_path / "calf.toml", "changed since it was installed")
    report = runner_report(journal, file_problems=[changed])
    assert "Protocol file changed** (1)" in render_markdown(report)
    assert "calf.toml: changed since it was installed" in render_html(report)


def test_small_multiples_and_hold_spans(runner: Report) -> None:
    """One chart per region and side; the calf hold is drawn from placed to lifted and the
    neck hold, placed after the last session, to the report's end."""
    page = render_html(runner)
    assert page.count('class="small-chart"') == 3
    for place in ("calf (left)", "calf (right)", "neck"):
        assert f'data-place="{place}"' in page
    spans = list(runner.hold_spans)
    assert [(s.region, s.lifted is not None) for s in spans] == [("calf", True), ("neck", False)]
    assert page.count('class="hold-span"') == 2 * 1 + 1  # calf's on both sides, neck's once
    assert spans[1].placed > max(r.started for r in runner.rows)
    parser = ChartParser()
    parser.feed(page)
    after = {p["data-session"] for p in parser.points if p["data-series"] == "after"}
    assert after == {r.id for r in runner.rows}


def test_print_css_fits_a4_and_letter(runner: Report) -> None:
    page = render_html(runner)
    assert "@page{size:auto;margin:12mm 11mm}" in page
    appendix = page.index('<section class="appendix">')
    assert page.index('<table class="compact">', appendix) > appendix
    assert page.index("<h2>Notes</h2>") < appendix


def test_review_date_in_the_box(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    add_session(journal, started=T0 + timedelta(days=10))
    facts = PlanFacts(region="calf", rest_hours=48, review_by=date(2026, 3, 1), label="c 2")
    report = runner_report(journal, plan_facts={FP: facts})
    assert "Used past the review date** (1)" in render_markdown(report)
