"""Deviations: each one a story on the journal (session, hold, next session), with the
paths around it (another region, a lifted hold, the routine tolerance, two sides)."""

from __future__ import annotations

import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from iastm_coach.journal.store import Journal
from iastm_coach.plans.deviations import (
    PlanFacts,
    PlanFactsOnDemand,
    file_deviation,
    find_deviations,
    journal_integrity,
    marked_flags,
    plan_facts_of,
    read_plan_facts,
)
from tests.builders import T0, add_hold, add_hold_clear, add_session, make_journal

FP = "ab" * 32  # the fingerprint add_session records
CALF = PlanFacts(region="calf", rest_hours=48, label="calf 1.0")


def kinds(journal: Journal, facts: dict[str, PlanFacts] | None = None) -> list[str]:
    found = find_deviations(journal.scan(), facts={FP: CALF} if facts is None else facts)
    return [d.kind for d in found.items]


def test_a_plan_followed_has_no_deviations(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    for day in (0, 3, 7):
        for side in ("left", "right"):
            add_session(j, side=side, started=T0 + timedelta(days=day), group=f"g{day}")
    assert kinds(j) == []


def test_rest_override_is_one_deviation_per_sitting(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    add_session(j, started=T0)
    for side in ("left", "right"):
        add_session(j, side=side, started=T0 + timedelta(hours=30), group="g2", rest_override=True)
    found = find_deviations(j.scan(), facts={FP: CALF})
    assert [d.kind for d in found.items] == ["override"]
    item = found.items[0]
    assert item.place == "calf (left and right)"
    assert item.detail == "rest: --override-rest, 30 h after the last session (the rest is 48 h)"
    assert len(item.sessions) == 2


def test_recorded_overrides_are_listed_as_written(tmp_path: Path) -> None:
    """The `overrides` list (rest, week, daily cap) is shown once per sitting, not twice
    with --override-rest."""
    j = make_journal(tmp_path)
    add_session(j, started=T0)
    override = {"rule": "rest", "detail": "30 h after the last calf session"}
    add_session(
        j, started=T0 + timedelta(hours=30), group="g2", rest_override=True, overrides=[override]
    )
    found = find_deviations(j.scan(), facts={FP: CALF})
    assert [d.detail for d in found.items] == ["rest: 30 h after the last calf session"]


def test_inside_the_rest_without_override_and_the_routine_tolerance(tmp_path: Path) -> None:
    """A logged session 30 h after the last is inside the 48 h rest; one 47 h after is a
    same-time routine (2 h tolerance) and is not."""
    j = make_journal(tmp_path)
    first = add_session(j, started=T0)
    add_session(j, started=first.data["ended"] + timedelta(hours=47), group="g2")
    assert kinds(j) == []
    add_session(j, started=T0 + timedelta(days=5), group="g3", source="log")
    add_session(j, started=T0 + timedelta(days=5, hours=30), group="g4", source="log")
    found = find_deviations(j.scan(), facts={FP: CALF})
    assert [d.kind for d in found.items] == ["inside-rest"]
    assert "30 h after the last calf session; the rest is 48 h" in found.items[0].detail


def test_other_regions_do_not_share_the_rest(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    add_session(j, started=T0)
    add_session(j, region="forearm-flexors", started=T0 + timedelta(hours=2), group="g2")
    assert kinds(j) == []


def test_session_during_a_hold_and_after_it_is_lifted(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    first = add_session(j, started=T0, soreness=8)
    add_hold(j, at=first.data["ended"], source=first.id, reason="soreness 8/10")
    during = add_session(j, started=T0 + timedelta(days=3), group="g2", source="log")
    add_hold_clear(j, at=T0 + timedelta(days=4))
    add_session(j, started=T0 + timedelta(days=6), group="g3")
    add_session(j, region="forearm-flexors", started=T0 + timedelta(days=3), group="g4")
    found = find_deviations(j.scan(), facts={FP: CALF})
    assert [(d.kind, d.sessions) for d in found.items] == [("during-hold", (during.id,))]
    assert "soreness 8/10" in found.items[0].detail and "lifted" in found.items[0].detail


def test_a_session_does_not_deviate_from_the_hold_it_caused(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    first = add_session(j, started=T0, soreness=8)
    add_hold(j, at=first.data["ended"], source=first.id)
    assert kinds(j) == []


def test_longer_than_planned(tmp_path: Path) -> None:
    """60 minutes logged against a 3.5-minute plan; 20 % over is the line."""
    j = make_journal(tmp_path)
    add_session(j, started=T0, minutes=60, planned_s=210, source="log")
    add_session(j, started=T0 + timedelta(days=3), minutes=4.2, planned_s=210, group="g2")
    found = find_deviations(j.scan(), facts={FP: CALF})
    assert [d.kind for d in found.items] == ["over-time"]
    assert "60.0 min against 3.5 min planned (1714 %)" in found.items[0].detail


def test_side_not_prescribed(tmp_path: Path) -> None:
    """A plan for the right arm only; both arms treated: the left is the deviation."""
    j = make_journal(tmp_path)
    right = PlanFacts(region="calf", rest_hours=48, sides=("right",))
    add_session(j, side="right", started=T0, group="g1")
    left = add_session(j, side="left", started=T0, group="g1")
    found = find_deviations(j.scan(), facts={FP: right})
    assert [(d.kind, d.sessions) for d in found.items] == [("side-not-prescribed", (left.id,))]
    assert "left treated; the plan is for the right only" in found.items[0].detail


def test_past_the_review_date(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    facts = PlanFacts(region="calf", rest_hours=48, review_by=date(2026, 3, 3), label="c 1")
    add_session(j, started=T0)  # 2 March
    add_session(j, started=T0 + timedelta(days=5), group="g2")
    found = find_deviations(j.scan(), facts={FP: facts})
    assert [d.kind for d in found.items] == ["past-review"]
    assert "4 days after the review date 2026-03-03 of c 1" in found.items[0].detail


def test_unknown_file_skips_the_rules_it_would_need(tmp_path: Path) -> None:
    """A session whose file is gone: its region's rest still applies, not another file's
    sides or review date."""
    j = make_journal(tmp_path)
    add_session(j, started=T0, side="left")
    add_session(j, started=T0 + timedelta(hours=30), group="g2", side="left")
    other = PlanFacts(region="calf", rest_hours=48, sides=("right",), review_by=date(2020, 1, 1))
    found = find_deviations(j.scan(), facts={}, region_facts={"calf": other})
    assert [d.kind for d in found.items] == ["inside-rest"]


def test_unsigned_and_untrusted_files_but_not_built_ins(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    add_session(j, started=T0)
    add_session(
        j,
        started=T0 + timedelta(days=3),
        group="g2",
        protocol_source="installed",
        protocol_signature="unsigned",
        issued_by="P. Hysio PT",
    )
    add_session(
        j,
        started=T0 + timedelta(days=6),
        group="g3",
        protocol_source="installed",
        protocol_signature="unknown-key",
    )
    add_session(
        j,
        started=T0 + timedelta(days=9),
        group="g4",
        protocol_source="installed",
        protocol_signature="trusted",
    )
    found = find_deviations(j.scan(), facts={FP: CALF})
    assert [d.detail for d in found.items] == [
        "unsigned file, issued by P. Hysio PT",
        "file signed with an untrusted key, issued by unknown author",
    ]


def test_the_same_id_and_version_with_other_content_is_a_changed_file(tmp_path: Path) -> None:
    """Issue 13, finding 1: a patient edited the installed plan (150 s an area, firm), signed
    it with a key of their own under the physio's name and installed it again. Same id and
    version, another fingerprint, 'signed by a trusted clinician (P. Hysio PT)' both times:
    the first sitting with the other content is a `file-changed` deviation, once; a new
    version of the plan, or another region's file, is not."""
    j = make_journal(tmp_path)
    physio = {"protocol_source": "installed", "protocol_signature": "trusted"}
    add_session(j, started=T0, protocol_id="rui-achilles", **physio)
    other = "cd" * 32
    for day in (3, 6):
        add_session(
            j,
            started=T0 + timedelta(days=day),
            group=f"g{day}",
            protocol_id="rui-achilles",
            protocol_fingerprint=other,
            **physio,
        )
    add_session(
        j,
        started=T0 + timedelta(days=9),
        group="g9",
        protocol_id="rui-achilles",
        protocol_version="1.1",
        protocol_fingerprint="ef" * 32,
        **physio,
    )
    add_session(j, region="neck", side="none", started=T0 + timedelta(days=9), group="n9")
    found = find_deviations(j.scan(), facts={FP: CALF})
    assert [(d.kind, d.at) for d in found.items] == [("file-changed", T0 + timedelta(days=3))]
    assert found.items[0].detail == (
        "rui-achilles 1.0 was used before with other content (cdcdcdcdcdcd, before ababababab"
        "ab): the plan changed without a new version; now signed by a trusted clinician"
    )


def test_clock_set_by_the_environment(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    add_session(j, started=T0, clock_set=True)
    assert kinds(j) == ["clock-set"]


def test_flags_keep_the_variable_name_in_its_case() -> None:
    """History's flag and footer lower only the first letter: the variable a person
    would look up is named exactly (IASTM_COACH_NOW, not iastm_coach_now)."""
    assert marked_flags((), ["clock-set"]) == ("! clock set by IASTM_COACH_NOW",)


def test_changed_files_come_first_and_markers_per_session(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    one = add_session(j, started=T0, clock_set=True)
    changed = file_deviation("calf", tmp_path / "calf.toml", "changed since it was installed")
    found = find_deviations(j.scan(), facts={FP: CALF}, file_problems=[changed])
    assert [kind for kind, _ in found.by_kind()] == ["file-changed", "clock-set"]
    assert found.session_kinds() == {one.id: ["clock-set"]}


def test_integrity_comes_from_the_hash_chain(tmp_path: Path) -> None:
    """The one call site asks the journal's hash chain: nothing to verify in an empty
    journal, "verified" once records link up; without a journal, never "verified"."""
    j = make_journal(tmp_path)
    state = journal_integrity(j)
    assert not state.verified and state.text.startswith("not verified")
    add_session(j, started=T0)
    state = journal_integrity(j)
    assert state.verified and state.text.startswith("verified: 1 record")
    assert not find_deviations([], facts={}).integrity.verified


def test_plan_facts_read_from_files_by_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "calf.toml"
    path.write_text(
        'id = "calf-runner"\nversion = "1.2"\nregion = "calf"\n'
        '[access]\nsides = ["right"]\n[settings]\nrest_hours = 72\n'
        "[issued]\nreview_by = 2026-04-01\n",
        encoding="utf-8",
    )
    (tmp_path / "broken.toml").write_text("= nope", encoding="utf-8")
    import hashlib

    found = read_plan_facts([path, tmp_path / "broken.toml", tmp_path / "gone.toml"])
    assert found == {
        hashlib.sha256(path.read_bytes()).hexdigest(): PlanFacts(
            "calf", 72, ("right",), date(2026, 4, 1), "calf-runner 1.2"
        )
    }
    assert plan_facts_of({"settings": {"rest_hours": True}}).rest_hours is None


def test_plan_facts_on_demand_read_only_the_files_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`history` marks twenty rows with the facts of the files they were made with: the
    same facts as reading every file (as the report does), parsing only the ones asked
    for. A region's current file is the report's: the last file whose region it is, an
    installed one over the built-in, whatever its name."""
    import hashlib

    from iastm_coach.journal import parser

    built_in, installed = tmp_path / "built-in", tmp_path / "installed"
    built_in.mkdir()
    installed.mkdir()
    for region, rest in (("calf", 48), ("neck", 72), ("shin", 24)):
        (built_in / f"{region}.toml").write_text(
            f'id = "{region}"\nversion = "1"\nregion = "{region}"\n'
            f"[settings]\nrest_hours = {rest}\n",
            encoding="utf-8",
        )
    for name, plan, rest in (("calf", "calf-runner", 96), ("my-calf", "calf-copy", 120)):
        (installed / f"{name}.toml").write_text(
            f'id = "{plan}"\nversion = "2"\nregion = "calf"\n[settings]\nrest_hours = {rest}\n',
            encoding="utf-8",
        )
    (installed / "broken.toml").write_text("= nope", encoding="utf-8")
    built_ins = sorted(built_in.glob("*.toml"))
    paths = [*built_ins, *sorted(installed.glob("*.toml"))]

    parsed: list[str] = []
    real_loads = parser.loads

    def counting(text: str) -> dict[str, object]:
        if "\nschema = " not in text:  # a protocol file, not a journal month
            parsed.append(text.split('"')[1] if '"' in text else text)
        return real_loads(text)

    monkeypatch.setattr(parser, "loads", counting)  # the facts are read with the journal's
    lazy = PlanFactsOnDemand(paths, named_for_region=built_ins)
    neck = hashlib.sha256((built_in / "neck.toml").read_bytes()).hexdigest()
    assert lazy.get(neck) == PlanFacts("neck", 72, None, None, "neck 1")
    assert lazy.get("00" * 32) is None
    assert parsed == ["neck"]
    assert lazy.by_region.get("calf") == PlanFacts("calf", 120, None, None, "calf-copy 2")
    assert parsed == ["neck", "calf-copy"]
    assert lazy.by_region.get("shin") == PlanFacts("shin", 24, None, None, "shin 1")
    assert parsed == ["neck", "calf-copy", "calf-runner", "= nope", "shin"]  # no built-in calf

    parsed.clear()  # a listing's rows: only the files up to the calf's current one are read
    j = make_journal(tmp_path / "home")
    add_session(j, started=T0)
    fresh = PlanFactsOnDemand(paths, named_for_region=built_ins)
    find_deviations(j.scan(), facts=fresh, region_facts=fresh.by_region)
    assert parsed == ["calf-copy"]

    facts = read_plan_facts(paths)
    assert dict(lazy) == facts
    assert dict(lazy.by_region) == {item.region: item for item in facts.values()}  # the report's


def test_a_sitting_inside_the_last_one_never_says_minus_zero_hours(tmp_path: Path) -> None:
    """A logged sitting that started before the last one ended said '-0 h after the last
    calf session'; one 20 min after said '0 h'. Both now say what happened."""
    j = make_journal(tmp_path)
    add_session(j, started=T0, minutes=30)
    add_session(j, started=T0 + timedelta(minutes=20), group="g2", source="log")
    add_session(j, started=T0 + timedelta(hours=3), group="g3", source="log")
    add_session(j, started=T0 + timedelta(hours=3, minutes=26), group="g4", source="log")
    details = [d.detail for d in find_deviations(j.scan(), facts={FP: CALF}).items]
    assert not any("-0 h" in d or " 0 h after" in d for d in details), details
    assert "started before the last calf session had ended; the rest is 48 h" in details
    assert "less than 1 h after the last calf session; the rest is 48 h" in details


def test_the_deviations_of_one_sitting_are_those_the_whole_list_gives_it(tmp_path: Path) -> None:
    """`history` asks, row by row, for one sitting's deviations only (`only`): for every
    session they are the ones the whole list names it in, across holds, a rest override,
    a sitting inside the rest and two sides."""
    j = make_journal(tmp_path)
    add_session(j, started=T0, group="g1")
    add_session(j, side="right", started=T0, group="g1")
    add_hold(j, at=T0 + timedelta(hours=2))
    add_session(j, started=T0 + timedelta(hours=20), group="g2")  # during the hold, in rest
    add_hold_clear(j, at=T0 + timedelta(days=3))
    add_session(j, started=T0 + timedelta(days=3, hours=5), group="g3", rest_override=True)
    add_session(j, region="shin", started=T0 + timedelta(days=4), group="g4")
    add_session(j, started=T0 + timedelta(days=4, hours=3), group="g5")  # inside the rest
    items = list(j.scan())
    whole = find_deviations(items, facts={FP: CALF}).session_kinds()
    assert len(whole) >= 3  # the story has deviations to compare
    for record in items:
        if record.kind == "session":
            one = find_deviations(items, facts={FP: CALF}, only=record.id).session_kinds()
            assert one.get(record.id) == whole.get(record.id)
            assert set(one) <= {r.id for r in items if r.data.get("group") == record.data["group"]}


def test_plan_facts_are_remembered_between_runs_by_their_bytes(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`history` parses each protocol file its rows need once: the next run takes the
    facts from the journal's private cache. An installed file with other bytes (a new
    prescription) is parsed again and its facts used; a store not sealed by this journal
    is not read."""
    from iastm_coach.journal import parser
    from iastm_coach.journal.derived import derived_path
    from iastm_coach.paths import data_dir, journal_dir
    from iastm_coach.plans import deviations
    from tests.cli import invoke

    j = Journal(journal_dir())
    add_session(j, started=T0)
    add_session(j, started=T0 + timedelta(hours=30), group="g2")  # 30 h after: inside 48 h
    parsed: list[str] = []
    real_loads = parser.loads

    def counting(text: str) -> dict[str, object]:
        if "\nschema = " not in text:  # a protocol file, not a journal month
            parsed.append(text)
        return real_loads(text)

    monkeypatch.setattr(parser, "loads", counting)  # the facts are read with the journal's
    first = invoke("history", "--plain")
    assert first.exit_code == 0 and "!" in first.stdout and len(parsed) == 1
    store = derived_path(j.directory, "plan-facts")
    assert store.is_file() and stat.S_IMODE(store.stat().st_mode) == 0o600
    assert invoke("history", "--plain").stdout == first.stdout
    assert len(parsed) == 1  # remembered

    calf = (data_dir() / "protocols" / "calf.toml").read_text(encoding="utf-8")
    assert "rest_hours = 48" in calf
    folder = isolated_home / "protocols"
    folder.mkdir(mode=0o700)
    (folder / "calf.toml").write_text(calf.replace("rest_hours = 48", "rest_hours = 24"))
    relaxed = invoke("history", "--plain")
    assert len(parsed) == 2 and "!" not in relaxed.stdout.split("Holds")[0]  # 30 h > 24 h

    store.write_bytes(b"\0" * 64)  # not ours: ignored, parsed again, stored again
    assert invoke("history", "--plain").stdout == relaxed.stdout
    assert len(parsed) == 3
    assert deviations.remembered_plan_facts(j.directory) != {}
