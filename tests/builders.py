"""Shared builders: journals and records as the program writes them, session harnesses, readers.

Test modules import helpers from here (and test doubles from `tests.fakes`), never from one
another. Every record a builder writes passes the journal's own check (tests/test_builders.py):
a builder that writes what `journal check` calls damaged makes tests prove things about files
the program never produces.

    journal = make_journal(tmp_path)
    left = add_session(journal, side="left", started=T0)
    add_checkin(journal, left, hours=24, soreness=3)
"""

from __future__ import annotations

import copy
import io
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from iastm_coach.journal import records
from iastm_coach.journal.cache import StatKey
from iastm_coach.journal.sessions import ProtocolStamp, Source, session_fields
from iastm_coach.journal.store import Journal, Record
from iastm_coach.safety.checklist import ScreeningHistory, load_checklist, questions_for_today
from iastm_coach.session.area_check import parse_check
from iastm_coach.session.deps import SessionDeps, SessionOutcome, SessionRequest
from iastm_coach.session.flow import run_session
from iastm_coach.session.timer import RunResult, Step, run_plan
from tests.fakes import FakeClock, RecordingView, ScriptedConfirm, ScriptedKeys
from tests.scripted_talk import ScriptedTalk

if TYPE_CHECKING:
    from iastm_coach.report.build import Report

REPO = Path(__file__).resolve().parent.parent

# --- journals and records ---------------------------------------------------------------------


def benchmark_journal(directory: Path, sessions: int) -> Journal:
    """The journal `benchmarks/make_journal.py` generates (what the timings are taken on)."""
    import sys

    sys.path.insert(0, str(REPO))
    try:
        from benchmarks.make_journal import build
    finally:
        sys.path.remove(str(REPO))
    return build(directory, sessions, quiet=True)


T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
PLUS_10 = timezone(timedelta(hours=10))
MINUS_5 = timezone(timedelta(hours=-5))


# The protocol a built session followed (a built-in; its id is the region's).
BUILT_IN_STAMP = ProtocolStamp(id="calf", version="1.0", source="built-in", fingerprint="ab" * 32)


def make_journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal")


def add_session(
    journal: Journal,
    *,
    region: str = "calf",
    side: str = "left",
    started: datetime = T0,
    minutes: float = 6,
    ended: datetime | None = None,
    soreness: int = 2,
    group: str | None = None,
    source: Source = "timer",
    complete: bool = True,
    note: str = "",
    dose_percent: int = 100,
    at: datetime | None = None,
    protocol: ProtocolStamp | None = None,
    **extra: Any,
) -> Record:
    """A session record as the session command writes it (one side).

    It lasts *minutes* from *started*, or ends at *ended* (then *started* is worked back);
    *protocol* defaults to the built-in of the region."""
    if ended is None:
        ended = started + timedelta(minutes=minutes)
    else:
        started = ended - timedelta(minutes=minutes)
    data = session_fields(
        region=region,
        side=side,
        group=group or f"g{started:%Y%m%d%H%M%S}",
        source=source,
        protocol=protocol or replace(BUILT_IN_STAMP, id=region),
        started=started,
        ended=ended,
        planned_s=360,
        actual_s=int(minutes * 60),
        complete=complete,
        dose_percent=dose_percent,
        soreness=soreness,
        note=note,
    )
    data.update(extra)
    return journal.append(records.SESSION, data, at=at or ended)


def add_checkin(
    journal: Journal,
    session: Record,
    *,
    hours: int,
    soreness: int,
    at: datetime | None = None,
    note: str = "",
    **signs: bool,
) -> Record:
    """A follow-up check-in *hours* after *session* ended (bruising, numbness, swelling and
    worse default to no)."""
    ended = session.data["ended"]
    data = example(
        records.CHECKIN, session=session.id, hours=hours, soreness=soreness, note=note, **signs
    )
    return journal.append(records.CHECKIN, data, at=at or ended + timedelta(hours=hours))


def add_cut_short_checkin(
    journal: Journal, session: Record, *, hours: int, soreness: int, at: datetime
) -> Record:
    """A follow-up cut short after its soreness and first signs (Ctrl-D): swelling and
    worse were not asked, as `checkin` records it."""
    data = {
        "session": session.id,
        "hours": hours,
        "soreness": soreness,
        "bruising": False,
        "numbness": False,
        "note": "",
        "not_asked": ["swelling", "worse"],
    }
    return journal.append(records.CHECKIN, data, at=at)


def add_hold(
    journal: Journal,
    *,
    region: str = "calf",
    rule: str = "soreness-7",
    reason: str | None = None,
    source: str = "",
    at: datetime,
    side: str = "",
) -> Record:
    """A hold on *region*, placed at *at* by *rule* (as the safety rules write it); *side*
    as a session's ("" leaves it out, as older records do: every side)."""
    data = {
        "region": region,
        "rule": rule,
        "reason": f"{rule} reason" if reason is None else reason,
        "source": source,
    }
    if side:
        data["side"] = side
    return journal.append(records.HOLD, data, at=at)


def place_hold(journal: Journal, **hold: Any) -> Record:
    """The hold `prepare_hold` makes (region, flag, source_id, at, side), written on its own:
    its side is looked up from the session or check-in it names, as the program does."""
    from iastm_coach.safety.holds import prepare_hold

    return journal.append_all([prepare_hold(journal, **hold)])[0]


def add_hold_clear(
    journal: Journal,
    *,
    region: str = "calf",
    reason: str = "seen by my physio",
    examined_by: str = "",
    at: datetime,
) -> Record:
    """`hold clear REGION --reason ... [--examined-by WHO]` at *at*."""
    data = {"region": region, "reason": reason}
    if examined_by:
        data["examined_by"] = examined_by
    return journal.append(records.HOLD_CLEAR, data, at=at)


def add_exercise(
    journal: Journal,
    session: Record,
    sets: list[tuple[int, int]],
    *,
    group: str | None = None,
    region: str = "calf",
    at: datetime | None = None,
) -> Record:
    """An `exercise` record as the session writes it: sets (done, planned) per exercise."""
    return journal.append(
        records.EXERCISE,
        {
            "session": session.id,
            "group": session.data["group"] if group is None else group,
            "region": region,
            "exercises": [
                {"name": f"exercise {n}", "sets_done": done, "sets_planned": planned}
                for n, (done, planned) in enumerate(sets)
            ],
        },
        at=at or session.at + timedelta(minutes=5),
    )


def add_runner_weeks(journal: Journal, *, start: datetime = T0) -> dict[str, list[Record]]:
    """Four weeks of a runner's calves, as the physio's report sees them: two sittings a
    week on both sides with check-ins, soreness easing, the lunge test measured before
    sessions, exercises done or declined, one early session (--override-rest), a hold
    with a logged session during it and then lifted, and a neck hold placed after the
    last session and still in force. Returns the records by kind."""
    made: dict[str, list[Record]] = {"sessions": [], "holds": []}
    soreness = [5, 4, 4, 3, 3, 2, 2, 1]
    for n, days in enumerate([0, 3, 7, 10, 14, 17, 21, 24]):
        started = start + timedelta(days=days)
        extra: dict[str, Any] = {}
        if n == 3:  # 30 h after the last sitting, with the override
            started = start + timedelta(days=8, hours=6)
            extra = {"rest_override": True}
        sitting = []
        for side in ("left", "right"):
            record = add_session(
                journal,
                side=side,
                group=f"g{n}",
                started=started,
                minutes=3.5,
                planned_s=210,
                soreness=soreness[n],
                **extra,
            )
            add_checkin(journal, record, hours=24, soreness=max(soreness[n] - 1, 0))
            sitting.append(record)
            add_measure(
                journal,
                9.0 + 0.4 * n + (0.5 if side == "right" else 0),
                at=started - timedelta(minutes=3),
                phase="before",
                session=record,
                side=side,
            )
        made["sessions"].extend(sitting)
        done = 0 if n in (1, 5) else 3  # two guides declined
        add_exercise(journal, sitting[0], [(done, 3), (done, 3)], at=started + timedelta(minutes=9))
        if n == 4:  # soreness 7 at the 24 h check-in, a hold, a clinic session logged during it
            hold_at = started + timedelta(hours=25)
            made["holds"].append(add_hold(journal, at=hold_at, reason="soreness 7/10 at 24 h"))
            made["sessions"].append(
                add_session(
                    journal,
                    side="left",
                    group="g-logged",
                    started=hold_at + timedelta(hours=20),
                    minutes=20,
                    planned_s=210,
                    source="log",
                    soreness=3,
                )
            )
            add_hold_clear(journal, at=hold_at + timedelta(hours=22))
    neck = add_session(
        journal, region="neck", side="none", started=start + timedelta(days=22), soreness=2
    )
    made["sessions"].append(neck)
    made["holds"].append(
        add_hold(
            journal,
            region="neck",
            rule="numbness",
            reason="numbness reported",
            at=start + timedelta(days=26),
        )
    )
    return made


def journal_report(journal: Journal, *, now: datetime, **options: Any) -> Report:
    """The report of every record in *journal* as at *now*: from the first record and with no
    prescriptions unless *options* say otherwise (they go to `build_report` as they are)."""
    from iastm_coach.report.build import build_report

    return build_report(
        list(journal.scan()), now=now, **({"since": None, "prescriptions": {}} | options)
    )


def runner_page(tmp_path: Path) -> str:
    """The HTML report of `add_runner_weeks` (the printed-page test and the README's
    screenshot, docs/make_screenshot.py)."""
    from iastm_coach.plans.deviations import PlanFacts
    from iastm_coach.report.build import Prescribed, build_report, render_html
    from iastm_coach.safety.holds import fold_holds

    journal = make_journal(tmp_path)
    add_runner_weeks(journal)
    items = list(journal.scan())
    report = build_report(
        items,
        now=T0 + timedelta(days=27),
        since=None,
        prescriptions={"calf": Prescribed(2, 4), "neck": None},
        patients=["Sam Runner"],
        active_holds=fold_holds(items).active,
        higher_is_better={("calf", "Knee-to-wall lunge"): True},
        minimal_change={("calf", "Knee-to-wall lunge"): 1.6},
        exercises_prescribed={"calf": 2, "neck": 0},
        plan_facts={"ab" * 32: PlanFacts(region="calf", rest_hours=48)},  # add_session's file
    )
    return render_html(report)


def add_measure(
    journal: Journal,
    value: float,
    *,
    at: datetime,
    phase: str = "standalone",
    session: Record | None = None,
    side: str = "left",
    region: str = "calf",
    test: str = "Knee-to-wall lunge",
) -> Record:
    """An outcome measurement (cm), on its own or before/after *session*."""
    return journal.append(
        records.MEASURE,
        {
            "region": region,
            "side": side,
            "test": test,
            "unit": "cm",
            "value": value,
            "phase": phase,
            "session": session.id if session else "",
        },
        at=at,
    )


class CountingJournal(Journal):
    """A Journal that counts the month files it is asked to parse."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.loads: list[str] = []

    def _load(
        self,
        path: Path,
        raw: bytes | None = None,
        *,
        keep: bool = True,
        digest: bytes | None = None,
        remember: bool = True,
        settled: StatKey | None = None,
    ) -> list[Record]:
        self.loads.append(path.name)
        return super()._load(
            path, raw, keep=keep, digest=digest, remember=remember, settled=settled
        )


# --- one valid record of each kind, as a plain table --------------------------------------------

EXAMPLE_AT = datetime(2026, 1, 13, 7, 25, 22, tzinfo=timezone(timedelta(hours=1)))
SESSION_ID = "01KERFJEGG15ND5D3HJRKABJRG"

EXAMPLES: dict[str, dict[str, Any]] = {
    records.SESSION: {
        "region": "calf",
        "side": "left",
        "group": "g20260113072522a1b2",
        "source": "timer",
        "protocol_id": "calf-basic",
        "protocol_version": "1.0",
        "protocol_source": "built-in",
        "protocol_fingerprint": "0" * 64,
        "issued_by": "",
        "protocol_signature": "",
        "signed_by": "",
        "started": EXAMPLE_AT,
        "ended": EXAMPLE_AT + timedelta(minutes=5),
        "planned_s": 240,
        "actual_s": 238,
        "complete": True,
        "dose_percent": 100,
        "dose_reason": "",
        "rest_override": False,
        "areas": [
            {"name": "Upper calf", "planned_s": 120, "actual_s": 120, "status": "done"},
            {"name": "Lower calf", "planned_s": 120, "actual_s": 118, "status": "partial"},
        ],
        "aftercare_answered": True,
        "soreness": 2,
        "bruising": False,
        "numbness": False,
        "note": "felt good",
    },
    records.CHECKIN: {
        "session": SESSION_ID,
        "hours": 24,
        "soreness": 2,
        "bruising": False,
        "numbness": False,
        "swelling": False,
        "worse": False,
        "note": "",
    },
    records.SCREENING: {
        "region": "calf",
        "outcome": "cleared",
        "stopped_by": "",
        "answers": {"fever-unwell": False, "diabetes": True},
        "cleared_cautions": ["diabetes"],
        "local": [],
        "soreness_before": 1,
        "first_use": {"taught-by-physio": False, "smooth-tool": True},
    },
    records.HOLD: {
        "region": "calf",
        "rule": "soreness-7",
        "reason": "soreness of 7 or more right after a session",
        "source": SESSION_ID,
    },
    records.HOLD_CLEAR: {"region": "calf", "reason": "seen by my physio, OK to resume"},
    records.MEASURE: {
        "region": "calf",
        "side": "left",
        "test": "Knee-to-wall lunge",
        "unit": "cm",
        "value": 9.5,
        "phase": "before",
        "session": "",
    },
    records.EXERCISE: {
        "session": SESSION_ID,
        "group": "g20260113072522a1b2",
        "region": "calf",
        "exercises": [
            {"name": "Calf raises", "sets_done": 3, "sets_planned": 3},
            {"name": "Stretch", "sets_done": 0, "sets_planned": 2},
        ],
    },
}


def example(kind: str, **changes: Any) -> dict[str, Any]:
    """A valid record of *kind* (a deep copy), with *changes*."""
    data = copy.deepcopy(EXAMPLES[kind])
    data.update(changes)
    return data


# --- the guided session with scripted answers -------------------------------------------------

# Answers for aftercare that raise no flag: soreness 2, a smooth tool, soreness 1 before.
# A follow-up asked before a later session (the check-in's question) answers 1.
MILD = [
    ("Soreness now", 2),
    ("smooth", True),
    ("right now", 1),
    ("treated area now", 1),
    ("Why did you stop", 5),  # stopped early: "something else, or just stopping"
]


def make_deps(
    tmp_path: Path,
    talk: ScriptedTalk,
    clock: FakeClock | None = None,
    keys: Any = (),
    checks: Any = None,
) -> SessionDeps:
    """Session dependencies on a fake clock: the timer runs at once with scripted *keys*,
    the journal lives under *tmp_path*. *checks*, when given, are the answers to the
    discomfort check at each area break, in order (as typed: "3", "8", "s", "t"; Enter
    once they run out)."""
    clock = clock or FakeClock()
    answers = None if checks is None else list(checks)

    def check(done: Step) -> str:
        verdict = parse_check(answers.pop(0) if answers else "")
        assert verdict is not None
        return verdict

    def run_timer(plan: list[Step]) -> RunResult:
        return run_plan(
            plan,
            clock=clock,
            keys=ScriptedKeys(clock, list(keys)),
            view=RecordingView(),
            confirm_quit=ScriptedConfirm(True),
            check_between=None if answers is None else check,
        )

    journal = Journal(tmp_path / "journal")

    def ask_checkin(session_record: Record, hours: int) -> None:
        from iastm_coach.session.checkin import ask_and_record, due_item
        from iastm_coach.views.recorded import checkin_recorded

        result = ask_and_record(
            deps.journal, due_item(session_record, hours), talk=deps.talk, clock=clock
        )
        deps.talk.show(*checkin_recorded(result))

    deps = SessionDeps(
        clock=clock, journal=journal, talk=talk, run_timer=run_timer, ask_checkin=ask_checkin
    )
    return deps


def session(deps: SessionDeps, region: str = "calf", **options: Any) -> SessionOutcome:
    return run_session(SessionRequest(region=region, **options), deps)


def refused(deps: SessionDeps, region: str, **options: Any) -> str:
    """The message of the SafetyStop a session of *region* must raise."""
    import pytest

    from iastm_coach.errors import SafetyStop

    with pytest.raises(SafetyStop) as caught:
        session(deps, region, **options)
    return caught.value.message


def answer_checkin(
    journal: Journal,
    session_record: Record,
    now: datetime,
    hours: int | None = None,
    **answers: Any,
) -> Record:
    """A follow-up answered through the check-in core `iastm-coach checkin` uses (soreness
    2 and no warning sign unless *answers* say otherwise); the follow-up from the time."""
    from iastm_coach.session.checkin import CheckinAnswers, record_checkin

    given = CheckinAnswers(**{"soreness": 2, **answers})
    return record_checkin(journal, session_record, given, hours=hours, now=now).record


def first_session_questions(region: str = "calf", zone: str = "leg") -> tuple[int, int]:
    """How many first-use questions and grouped checklist questions a first session of
    *region* asks (piped answers are counted from the data, so adding an item does not
    break them)."""
    fresh = ScreeningHistory(first_use=True, confirmed_at={})
    asked = questions_for_today(
        load_checklist(), fresh, now=datetime.now(UTC), region=region, zone=zone
    )
    return len(asked.first_use), len(asked.groups(region, zone, region))


FIRST_USE_QUESTIONS, CHECKLIST_GROUPS = first_session_questions()
# `iastm-coach session` through CliRunner: answers on standard input, one per line.
# Soreness before 1 (asked first); shown by a physio; smooth tool; problem assessed; age 40.
FIRST_USE = "1\n" + "y\n" * FIRST_USE_QUESTIONS + "40\n"
ALL_CLEAR = "n\n" * CHECKLIST_GROUPS  # no to every grouped question
# Enter when ready; no measurement before the strokes; Enter (fine) at the discomfort check
# of each of the 2 area breaks of one calf side.
READY = "\n" + "n\n" + "\n" * 2
AFTERCARE = "2\nn\nall good\n"  # soreness 2; no to the warning signs; a note


def first_session_answers(region: str, zone: str) -> tuple[str, str]:
    """(soreness and first-use answers, checklist answers) for a first session of another
    region (the age is asked once, so a second region asks none)."""
    first_use, groups = first_session_questions(region, zone)
    return "1\n" + "y\n" * first_use, "n\n" * groups


# --- protocol documents -------------------------------------------------------------------------


def minimal_protocol() -> dict[str, Any]:
    """A small valid protocol document, inside the home envelope."""
    return {
        "id": "calf-test",
        "title": "Calf",
        "region": "calf",
        "version": "1.0",
        "summary": "A test protocol.",
        "references": ["Test reference"],
        "access": {"self_reachable": True, "sided": True, "position": "Sit.", "zone": "leg"},
        "settings": {
            "tool": "Smooth edge.",
            "warm_up": "Walk 5 minutes.",
            "emollient": "A little oil.",
            "rest_hours": 48,
            "max_session_minutes": 10,
        },
        "area": [
            {
                "name": "Medial calf",
                "duration_s": 60,
                "stroke": "sweep",
                "direction": "ankle to knee",
                "angle_deg": 45,
                "pressure": "light",
                "cadence_s": 1.5,
                "cues": ["Slow strokes"],
                "avoid": ["Back of the knee"],
            }
        ],
        "exercise": [{"name": "Calf stretch", "sets": 3, "hold_s": 30, "cue": "Heel down"}],
    }


# --- reading what the program wrote -------------------------------------------------------------


class ChartParser(HTMLParser):
    """Collects tags, chart points, scripts and anything that would load from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.points: list[dict[str, str | None]] = []
        self.measure_points: list[dict[str, str | None]] = []
        self.external: list[str] = []
        self.in_svg = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "svg":
            self.in_svg += 1
        if self.in_svg and "data-series" in values and values.get("class") == "point":
            self.points.append(values)
        if self.in_svg and values.get("class") == "measure-point":
            self.measure_points.append(values)
        for name in ("src", "href", "xlink:href", "action"):
            if values.get(name):
                self.external.append(f"{tag} {name}={values[name]}")
        if any(name.startswith("on") for name in values):
            self.external.append(f"{tag} has an event handler")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


# --- counting prompts (benchmarks/prompt_count.py, tests/session/test_prompt_count.py) ---------


class CountingTalk(ScriptedTalk):
    """A ScriptedTalk that notes how many prompts came before the timer started."""

    def __init__(self, rules: list[tuple[str, Any]]) -> None:
        super().__init__(rules)
        self.console = Console(file=io.StringIO(), width=120, record=True, color_system=None)
        self.before_strokes: int | None = None


def counted_session(deps: SessionDeps, talk: CountingTalk, **options: Any) -> tuple[int, int]:
    """(prompts before the first stroke, prompts in all) of one calf session."""
    timer = deps.run_timer

    def run_timer(plan: list[Step]) -> RunResult:
        talk.before_strokes = len(talk.asked)
        return timer(plan)

    deps.run_timer = run_timer
    talk.asked.clear()
    talk.before_strokes = None
    try:
        session(deps, **options)
    finally:
        deps.run_timer = timer
    return talk.before_strokes or 0, len(talk.asked)


def prompt_counts(tmp_path: Path) -> dict[str, tuple[int, int]]:
    """Prompts of a first calf session and of a routine one three days later (the first
    session's follow-ups answered in between with soreness 1)."""
    clock = FakeClock()
    talk = CountingTalk(
        [*MILD, ("shown you", True), ("assessed", True), ("age", 40), ("Do the exercises", False)]
    )
    deps = make_deps(tmp_path, talk, clock)
    first = counted_session(deps, talk, side="left")
    (last,) = deps.journal.recent(kinds={records.SESSION}, limit=1)
    for hours in (24, 48):
        answer_checkin(deps.journal, last, clock.now() + timedelta(hours=hours), soreness=1)
    clock.advance(72 * 3600)
    routine = counted_session(deps, talk, side="left")
    return {"first session": first, "routine session": routine}


# --- comparing -------------------------------------------------------------------------------


def identical(left: Any, right: Any, where: str = "") -> None:
    """Equal values of the same types, tables with their keys in the same order, datetimes
    with the same offset, zone type, zone name and fold; -0.0 stays -0.0."""
    assert type(left) is type(right), (where, left, right)
    if isinstance(left, dict):
        assert list(left) == list(right), where
        for key in left:
            identical(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list | tuple):
        assert len(left) == len(right), where
        for n, (a, b) in enumerate(zip(left, right, strict=True)):
            identical(a, b, f"{where}[{n}]")
    elif isinstance(left, datetime):
        assert left == right and left.utcoffset() == right.utcoffset(), where
        assert type(left.tzinfo) is type(right.tzinfo), where
        assert left.tzname() == right.tzname() and left.fold == right.fold, where
    elif isinstance(left, float):
        assert left == right or (math.isnan(left) and math.isnan(right)), where
        assert math.copysign(1, left) == math.copysign(1, right), where
    else:
        assert left == right, where
