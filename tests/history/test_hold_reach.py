"""One hold reach for every reader: the session gate, `log`, the report's deviations and
its soreness charts all ask `zones.reach` which holds stop a region on a side.

The story: a left calf swells after a session (a possible clot, both legs wait, §8b);
a logged Achilles or plantar-fascia session is then refused like a timed one would be,
and, logged anyway with --override-hold, is a "Session during a hold" with the calf's
hold band on its chart. A bruised calf (tissue reach) stops only the same side's chain.
"""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import product
from pathlib import Path

from iastm_coach.journal.store import Journal
from iastm_coach.safety.hold_spans import hold_spans, reaching
from iastm_coach.safety.holds import active_holds, hold_records
from iastm_coach.safety.redflags import LEG_CLOT_REMINDER
from iastm_coach.safety.zones import blockers, library_links, links_for_holds, remembered
from tests.builders import T0, add_hold, make_journal
from tests.cli import NOW, run

LATER = NOW + timedelta(hours=20)


def swollen_left_calf(home: Path) -> None:
    started = NOW - timedelta(hours=30, minutes=4)
    code, out, err = run(
        "log", "calf", "--side", "left", "--soreness", "2", "--minutes", "4",
        "--when", started.isoformat(),
    )  # fmt: skip
    assert code == 0, out + err
    (left,) = Journal(home / "journal").recent(kinds={"session"})
    assert run("checkin", left.id, "--soreness", "2", "--swelling")[0] == 0


def log(region: str, *options: str) -> tuple[int, str]:
    code, out, err = run("log", region, "--soreness", "1", "--minutes", "3", *options, at=LATER)
    return code, " ".join((out + err).split())


def test_log_refuses_a_region_the_hold_reaches(isolated_home: Path) -> None:
    swollen_left_calf(isolated_home)
    for region, side in (
        ("achilles", "left"),
        ("plantar-fascia", "right"),
        ("hamstrings", "right"),
    ):
        code, out = log(region, "--side", side)
        assert code == 3, (region, out)
        assert "the calf is on hold since" in out and "--override-hold" in out
        assert "every leg region on both legs waits" in out
        assert " ".join(LEG_CLOT_REMINDER.split()) in out  # the same-day advice comes back
    assert log("forearm-flexors", "--side", "left")[0] == 0  # an arm is not reached
    sessions = Journal(isolated_home / "journal").recent(kinds={"session"})
    assert {r.data["region"] for r in sessions} == {"calf", "forearm-flexors"}


def test_logged_anyway_it_is_a_deviation_with_the_calf_band_on_its_chart(
    isolated_home: Path,
) -> None:
    swollen_left_calf(isolated_home)
    code, out = log("achilles", "--side", "left", "--override-hold")
    assert code == 0, out
    (achilles,) = [
        r
        for r in Journal(isolated_home / "journal").recent(kinds={"session"})
        if r.data["region"] == "achilles"
    ]
    assert achilles.data["overrides"][0]["rule"] == "hold"
    assert "on the calf" in achilles.data["overrides"][0]["detail"]
    report = " ".join(run("report", "--format", "md", at=LATER)[1].split())
    assert "Session during a hold" in report and "the calf on hold since" in report
    page = run("report", "--format", "html", at=LATER)[1]
    charts = dict(re.findall(r'data-place="([^"]+)">(.*?)</svg>', page, flags=re.S))
    achilles_chart = next(svg for place, svg in charts.items() if place.startswith("achilles"))
    assert 'class="hold-span" data-region="calf"' in achilles_chart


def test_tissue_reach_stays_on_its_side(isolated_home: Path) -> None:
    """A bruising hold on the left calf stops the left Achilles (same tissue), not the right
    one, and not the hamstrings (bruising concerns the tissue, not the limb)."""
    j = Journal(isolated_home / "journal")
    add_hold(j, region="calf", rule="bruising", side="left", at=NOW - timedelta(hours=2))
    assert log("achilles", "--side", "left")[0] == 3
    assert log("achilles", "--side", "right")[0] == 0
    assert log("hamstrings", "--side", "left")[0] == 0


REGIONS = ("calf", "achilles", "plantar-fascia", "hamstrings", "neck", "upper-back")


def test_gate_and_spans_agree_on_every_region_and_side(tmp_path: Path) -> None:
    """For holds of every reach, the gate's `blockers` and the spans' `reaching` (log,
    deviations, charts) name the same held regions for every region and side."""
    links_for = remembered(library_links)
    for rule, held, side in product(
        ("swelling", "bruising", "numbness"), ("calf", "upper-back"), ("left", "")
    ):
        j = make_journal(tmp_path / f"{rule}-{held}-{side or 'any'}")
        add_hold(j, region=held, rule=rule, side=side, at=T0)
        holds = active_holds(j)
        links = links_for_holds(holds, links_for)
        spans = hold_spans(hold_records(j))
        for region, target_side in product(REGIONS, ("left", "right", "none")):
            target = links_for(region)
            assert target is not None
            gate = {b.hold.region for b in blockers(target, target_side, holds, links)}
            spanned = {s.region for s in reaching(spans, region, target_side, links_for)}
            assert gate == spanned, (rule, held, side, region, target_side)
