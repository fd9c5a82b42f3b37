"""`iastm-coach report` end to end: every format written, read back, never overwritten."""

from __future__ import annotations

import csv
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.history.queries import ROW_FIELDS
from iastm_coach.journal.store import Journal
from iastm_coach.report.data import CSV_EXTRA
from tests.builders import ChartParser, add_measure
from tests.cli import NOW, run


def ago(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).astimezone().isoformat(timespec="minutes")


@pytest.fixture(name="journal")
def _journal(isolated_home: Path, tmp_path: Path) -> Journal:
    """A patient's protocol installed, three logged sittings, a check-in and a red flag."""
    protocol = tmp_path / "calf-ana.toml"
    assert (
        run(
            "protocol",
            "new",
            "calf",
            "--out",
            str(protocol),
            "--patient",
            "Ana Example",
            "--author",
            "Dr Physio",
        )[0]
        == 0
    )
    assert run("protocol", "install", str(protocol))[0] == 0
    run("log", "calf", "--soreness", "2", "--when", ago(24 * 9), "--note", "<i>first</i>")
    run("log", "calf", "--soreness", "3", "--when", ago(24 * 5))
    run("log", "neck", "--soreness", "8", "--when", ago(30))
    journal = Journal(isolated_home / "journal")
    neck = journal.recent(kinds={"session"}, limit=1)[0]
    assert run("checkin", neck.id, "--soreness", "4")[0] == 0
    return journal


def test_report_md_to_screen(journal: Journal) -> None:
    """Default: Markdown on standard output with patient, protocols and the neck hold."""
    code, out, _ = run("report")
    assert code == 0
    assert out.startswith("# IASTM self-treatment report")
    assert "Patient: Ana Example" in out
    assert "issued by Dr Physio" in out
    assert "**neck** on hold" in out
    assert "\\<i\\>first\\</i\\>" in out


def test_every_format_round_trips(journal: Journal, tmp_path: Path) -> None:
    """md, html, csv and json written with --out; CSV/JSON one row per session; HTML charts them."""
    sessions = journal.recent(kinds={"session"})
    for fmt in ("md", "html", "csv", "json"):
        out = tmp_path / f"report.{fmt}"
        code, said, _ = run("report", "--format", fmt, "--out", str(out))
        assert code == 0, said
        assert f"Wrote the report ({len(sessions)} sessions, {fmt})" in " ".join(said.split())
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with (tmp_path / "report.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [name for name, _ in ROW_FIELDS] + [name for name, _ in CSV_EXTRA]
    assert sorted(r["id"] for r in rows) == sorted(s.id for s in sessions)
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert sorted(s["id"] for s in data["sessions"]) == sorted(s.id for s in sessions)
    assert data["patients"] == ["Ana Example"]
    parser = ChartParser()
    parser.feed((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert "script" not in parser.tags and parser.external == []
    after = {
        (p["data-session"], p["data-value"]) for p in parser.points if p["data-series"] == "after"
    }
    assert after == {(s.id, str(s.data["soreness"])) for s in sessions}
    assert {(p["data-series"], p["data-value"]) for p in parser.points} >= {("24h", "4")}


def test_out_is_never_silently_overwritten(journal: Journal, tmp_path: Path) -> None:
    """An existing --out file: exit 2, untouched; with --force it is replaced."""
    out = tmp_path / "keep.md"
    out.write_text("precious", encoding="utf-8")
    code, _, err = run("report", "--out", str(out))
    assert code == 2 and "already exists" in err and "--force" in err
    assert out.read_text(encoding="utf-8") == "precious"
    assert run("report", "--out", str(out), "--force")[0] == 0
    assert out.read_text(encoding="utf-8").startswith("# IASTM")


def test_since_and_bad_format(journal: Journal) -> None:
    """--since limits the sessions; an unknown format is a usage error."""
    today = (NOW - timedelta(days=2)).astimezone()
    data = json.loads(run("report", "--format", "json", "--since", f"{today:%Y-%m-%d}")[1])
    assert [s["region"] for s in data["sessions"]] == ["neck"]
    assert run("report", "--format", "pdf")[0] == 2


def test_empty_journal_report(isolated_home: Path) -> None:
    """No journal at all: a valid, empty report."""
    code, out, _ = run("report", "--format", "json")
    assert code == 0 and json.loads(out)["sessions"] == []


def test_report_formats_with_measures_and_exercises(isolated_home: Path, tmp_path: Path) -> None:
    """A logged sitting measured before and after, a value on its own and guided exercises:
    every format carries them (CSV/JSON fields, JSON measures, HTML chart points, caveat)."""
    from iastm_coach.history.outcomes import CAVEAT
    from iastm_coach.journal import records

    assert run("log", "calf", "--soreness", "2", "--side", "left", "--when", ago(24 * 8))[0] == 0
    assert run("measure", "calf", "--value", "9.5", "--side", "left")[0] == 0
    journal = Journal(isolated_home / "journal")
    session = journal.recent(kinds={"session"})[0]
    started = session.data["started"]
    for phase, value, at in (
        ("before", 8.0, started - timedelta(minutes=1)),
        ("after", 9.0, session.data["ended"] + timedelta(minutes=1)),
    ):
        add_measure(journal, value, at=at, phase=phase, session=session)
    journal.append(
        records.EXERCISE,
        {
            "session": session.id,
            "group": session.data["group"],
            "region": "calf",
            "exercises": [{"name": "Calf raise", "sets_done": 2, "sets_planned": 3}],
        },
        at=session.data["ended"] + timedelta(minutes=5),
    )
    values = journal.recent(kinds={"measure"})
    assert len(values) == 3
    for fmt in ("md", "html", "csv", "json"):
        assert run("report", "--format", fmt, "--out", str(tmp_path / f"r.{fmt}"))[0] == 0
    with (tmp_path / "r.csv").open(newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["exercise_sets_done"], row["exercise_sets_planned"]) == ("2", "3")
    assert (row["measure_before"], row["measure_after"], row["measure_change"]) == (
        "8.0",
        "9.0",
        "1.0",
    )
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sorted(m["id"] for m in data["measures"]) == sorted(v.id for v in values)
    assert {m["phase"] for m in data["measures"]} == {"before", "after", "standalone"}
    assert data["measure_caveat"] == CAVEAT
    assert data["outcomes"][0]["higher_is_better"] is True  # from the built-in calf protocol
    assert data["outcomes"][0]["change_over_weeks"] == 1.5  # 8 in week one, 9.5 this week
    parser = ChartParser()
    parser.feed((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert sorted(p["data-id"] or "" for p in parser.measure_points) == sorted(v.id for v in values)
    assert CAVEAT in "".join(parser.text)
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## Outcome measures" in markdown and "| 8 cm | 9 cm | +1 cm |" in markdown
    assert "after 1 of 1 sittings (100 %); 2 of 3 sets done (67 %)" in markdown


def test_fhir_format(journal: Journal) -> None:
    """`--format fhir`: a Bundle with the patient named in the installed protocol."""
    code, out, _ = run("report", "--format", "fhir")
    assert code == 0
    data = json.loads(out)
    assert data["resourceType"] == "Bundle"
    patient = data["entry"][0]["resource"]
    assert patient["resourceType"] == "Patient" and patient["name"] == [{"text": "Ana Example"}]
