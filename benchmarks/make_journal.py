"""Build a realistic synthetic journal through the journal's own API.

    python benchmarks/make_journal.py --sessions 10000 --home /tmp/coach-10k

Sittings happen about twice a week (more often in busy spells, with breaks),
each treating one to three regions, both sides of a sided region. Every
session record (one side of one region) gets a screening before it and 24 h
and 48 h check-ins after it; a few sore ones put the region on hold until the
user clears it. As the session command writes them:

- about three sittings of a region in four end with an `exercise` record
  (sets done of sets planned, skipped exercises with 0 sets), naming the first
  side's session and the sitting's group;
- about one in five is measured: a `before` value of the region's outcome test
  per side, timed before the strokes (its record written after the session
  record, which it names), and an `after` value right after; values drift
  slowly over the years, with noise;
- about one sitting in twenty is followed, the next day, by a `standalone`
  measurement.

Fields follow `iastm_coach/journal/records.py`. The same --seed and --sessions give the
same journal contents (ids differ: they carry randomness).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iastm_coach.journal.sessions import ProtocolStamp, Source, session_fields
from iastm_coach.journal.store import Journal, records

# region: (sided, treatment areas, exercises, outcome test and unit)
REGIONS: dict[str, tuple[bool, list[str], list[str], tuple[str, str]]] = {
    "calf": (
        True,
        ["medial gastrocnemius", "lateral gastrocnemius", "soleus", "achilles junction"],
        ["calf stretch against a wall", "slow calf raises"],
        ("knee-to-wall distance", "cm"),
    ),
    "hamstrings": (
        True,
        ["upper hamstrings", "middle hamstrings", "lower hamstrings"],
        ["hamstring stretch", "bridge"],
        ("active knee extension", "degrees"),
    ),
    "quadriceps": (
        True,
        ["vastus lateralis", "rectus femoris", "vastus medialis"],
        ["quad stretch", "wall sit"],
        ("prone knee bend", "degrees"),
    ),
    "forearm-extensors": (
        True,
        ["wrist extensor bellies", "common extensor origin (around, not on, the bone)"],
        ["wrist extensor stretch", "eccentric wrist extension"],
        ("pain-free grip", "kg"),
    ),
    "plantar-fascia": (
        True,
        ["arch", "heel edge (not the heel pad)"],
        ["towel scrunches", "plantar fascia stretch"],
        ("first-step pain", "0-10"),
    ),
    "lateral-thigh": (
        True,
        ["upper outer thigh", "lower outer thigh"],
        ["side-lying leg raise"],
        ("side-lying hip drop", "cm"),
    ),
    "upper-back": (
        False,
        ["left of the spine", "right of the spine", "between the shoulder blades"],
        ["thoracic extension over a towel"],
        ("seated rotation", "degrees"),
    ),
    "lower-back": (
        False,
        ["left erector spinae", "right erector spinae"],
        ["cat-camel", "bird-dog"],
        ("fingertip-to-floor distance", "cm"),
    ),
    "neck": (
        False,
        ["upper trapezius", "levator scapulae"],
        ["chin tucks"],
        ("rotation", "degrees"),
    ),
}
CHECKLIST = [
    "fracture", "blood-clot-signs", "high-blood-pressure", "infection-in-area", "fever-unwell",
    "acute-injury", "bleeding-disorder", "blood-thinners", "kidney-disorder",
    "cancer-near-area", "diabetes", "numbness", "autoimmune-arthritis", "osteoporosis",
    "lymphedema",
]  # fmt: skip
NOTES = [
    "",
    "",
    "",
    "felt tight after the run on Sunday",
    'physio said "lighter pressure on the outside"',
    "a bit of redness, gone within the hour",
    "did it after the evening walk\nstretches felt easier",
    "skipped the last area: phone rang",
    "Sore from football; went easy — about 4/10 during.",
    "Tool edge checked: smooth. Lotion ran out, used oil.",
]
LOCAL_ZONE = timezone(timedelta(hours=1))
SIDES_PER_SITTING = 3.0  # measured average of the region and side choice below


EXERCISE_SHARE = 0.75  # sittings of a region that end with guided exercises
MEASURE_SHARE = 0.2  # sittings of a region measured before and after
STANDALONE_SHARE = 0.05  # sittings followed by a measurement on its own the next day


@dataclass
class Plan:
    """The events to append, in the order they are written (a `before` measure is
    written after the session it names, but carries the earlier time it was taken)."""

    events: list[tuple[datetime, int, str, dict[str, Any], datetime]] = field(default_factory=list)
    sessions: int = 0
    order: int = 0
    first: datetime | None = None  # the first sitting: where outcome values start drifting
    baselines: dict[tuple[str, str], float] = field(default_factory=dict)

    def add(
        self, at: datetime, kind: str, data: dict[str, Any], *, written: datetime | None = None
    ) -> None:
        self.order += 1
        self.events.append((written or at, self.order, kind, data, at))


def outcome_value(plan: Plan, rng: random.Random, region: str, side: str, when: datetime) -> float:
    """A plausible value of the region's test: a baseline per side, a slow drift, noise."""
    _test, unit = REGIONS[region][3]
    low, high, drift = {
        "cm": (5.0, 15.0, 0.8),
        "degrees": (40.0, 80.0, 3.0),
        "kg": (20.0, 40.0, 1.5),
        "0-10": (3.0, 7.0, -0.6),
    }[unit]
    base = plan.baselines.setdefault((region, side), rng.uniform(low, high))
    years = (when - (plan.first or when)).days / 365.25
    value = base + drift * min(years, 3.0) + rng.gauss(0, (high - low) / 20)
    if unit == "0-10":
        return float(min(10, max(0, round(value))))
    return round(value, 1)


def fingerprint(region: str) -> str:
    return hashlib.sha256(f"built-in protocol {region} 1.0".encode()).hexdigest()


def session_data(
    rng: random.Random, region: str, side: str, group: str, started: datetime
) -> dict[str, Any]:
    _sided, areas, _exercises, _test = REGIONS[region]
    complete = rng.random() > 0.05
    area_rows = []
    planned_total = actual_total = 0
    for n, name in enumerate(areas):
        planned = rng.choice([45, 60, 60, 90])
        if complete or n < len(areas) // 2:
            actual, status = planned - rng.randint(0, 3), "done"
        elif n == len(areas) // 2:
            actual, status = planned // 2, "partial"
        else:
            actual, status = 0, "not-started"
        planned_total += planned
        actual_total += actual
        area_rows.append({"name": name, "planned_s": planned, "actual_s": actual, "status": status})
    dose = 100 if rng.random() > 0.1 else 75
    source: Source = "timer" if rng.random() > 0.15 else "log"
    return session_fields(
        region=region,
        side=side,
        group=group,
        source=source,
        protocol=ProtocolStamp(
            id=region,
            version="1.0",
            source="built-in" if rng.random() > 0.2 else "installed",
            fingerprint=fingerprint(region),
        ),
        started=started,
        ended=started + timedelta(seconds=actual_total + 40),
        planned_s=planned_total,
        actual_s=actual_total,
        complete=complete,
        dose_percent=dose,
        dose_reason="" if dose == 100 else "soreness 5 at the last 48 h check-in",
        rest_override=rng.random() < 0.02,
        areas=area_rows,
        # a logged session leaves it out, as `log` does
        aftercare_answered=complete if source == "timer" else None,
        soreness=rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4, 5]) if complete else -1,
        bruising=rng.random() < 0.03,
        note=rng.choice(NOTES),
    )


def build_plan(
    sessions: int, rng: random.Random, end: datetime, years: float | None = None
) -> Plan:
    """Sittings going back from *end* until there are *sessions* session records.

    About two sittings a week; with *years*, as often as it takes to fit them in.
    """
    mean_gap_days = (
        3.5 if years is None else years * 365.25 / max(1.0, sessions / SIDES_PER_SITTING)
    )
    sittings: list[tuple[datetime, list[tuple[str, str]]]] = []
    count = 0
    moment = end - timedelta(days=3)
    while count < sessions:
        chosen = rng.sample(sorted(REGIONS), k=rng.choice([1, 1, 2, 2, 3]))
        sides = [
            (region, side)
            for region in chosen
            for side in (("left", "right") if REGIONS[region][0] else ("none",))
        ]
        sides = sides[: sessions - count]
        count += len(sides)
        start = moment.replace(hour=rng.choice([7, 18, 19, 20]), minute=rng.randint(0, 59))
        sittings.append((start, sides))
        gap = mean_gap_days * (rng.uniform(0.5, 1.5) if rng.random() > 0.01 else 6)
        moment -= timedelta(days=gap)
    sittings.reverse()
    plan = Plan()
    for start, sides in sittings:
        plan_sitting(plan, rng, start, sides)
    plan.events.sort(key=lambda event: (event[0], event[1]))
    return plan


def exercise_data(rng: random.Random, region: str, group: str, session_ref: int) -> dict[str, Any]:
    """The `exercise` record of one sitting of *region*: some sets missed, some skipped."""
    done = []
    for name in REGIONS[region][2]:
        skipped = rng.random() < 0.1
        sets_done = 0 if skipped else rng.choice([1, 2, 3, 3, 3])
        done.append({"name": name, "sets_done": sets_done, "sets_planned": 3})
    return {"session": f"@{session_ref}", "group": group, "region": region, "exercises": done}


def plan_sitting(
    plan: Plan, rng: random.Random, start: datetime, sides: list[tuple[str, str]]
) -> None:
    group = f"g{plan.order:07d}"
    if plan.first is None:
        plan.first = start
    moment = start
    first_side: dict[str, int] = {}  # region -> event number of its first side's session
    measured = {region: rng.random() < MEASURE_SHARE for region, _side in sides}
    last_side = {region: index for index, (region, _side) in enumerate(sides)}
    for index, (region, side) in enumerate(sides):
        screen_at = moment
        answers = dict.fromkeys(rng.sample(CHECKLIST, k=12), False)
        plan.add(
            screen_at,
            records.SCREENING,
            {
                "region": region,
                "outcome": "cleared",
                "stopped_by": "",
                "answers": answers,
                "cleared_cautions": ["diabetes"] if rng.random() < 0.05 else [],
                "local": ["scar on the left side"] if rng.random() < 0.03 else [],
            },
        )
        session_start = screen_at + timedelta(minutes=2)
        data = session_data(rng, region, side, group, session_start)
        session_at = data["ended"] + timedelta(seconds=30)
        session_ref = plan.order + 1  # the session's event number, resolved to its id later
        plan.add(session_at, records.SESSION, data)
        plan.sessions += 1
        first_side.setdefault(region, session_ref)
        test, unit = REGIONS[region][3]
        if measured[region]:
            # Both written after the session record, which they name; the before value
            # keeps the time it was taken, before the strokes started.
            taken = (
                ("before", session_start - timedelta(minutes=1), session_at + timedelta(minutes=1)),
                ("after", session_at + timedelta(minutes=2), session_at + timedelta(minutes=2)),
            )
            before = outcome_value(plan, rng, region, side, session_start)
            for phase, at, written in taken:
                value = before
                if phase == "after":
                    bump = rng.uniform(-0.2, 1.0) * (1 if unit != "0-10" else -1)
                    value = before + bump * (2 if unit in ("cm", "kg") else 4)
                    value = (
                        float(min(10, max(0, round(value)))) if unit == "0-10" else round(value, 1)
                    )
                plan.add(
                    at,
                    records.MEASURE,
                    {
                        "region": region,
                        "side": side,
                        "test": test,
                        "unit": unit,
                        "value": value,
                        "phase": phase,
                        "session": f"@{session_ref}",
                    },
                    written=written,
                )
        if index == last_side[region] and rng.random() < EXERCISE_SHARE:
            plan.add(
                session_at + timedelta(minutes=3),
                records.EXERCISE,
                exercise_data(rng, region, group, first_side[region]),
            )
        if index == last_side[region] and rng.random() < STANDALONE_SHARE:
            next_day = session_at + timedelta(days=1, hours=rng.randint(-2, 2))
            plan.add(
                next_day,
                records.MEASURE,
                {
                    "region": region,
                    "side": side,
                    "test": test,
                    "unit": unit,
                    "value": outcome_value(plan, rng, region, side, next_day),
                    "phase": "standalone",
                    "session": "",
                },
            )
        soreness = data["soreness"]
        for hours in (24, 48):
            later = max(0, soreness + rng.choice([-2, -1, -1, 0, 1]) - (hours // 24))
            checkin_at = session_at + timedelta(hours=hours, minutes=rng.randint(-90, 240))
            plan.add(
                checkin_at,
                records.CHECKIN,
                {
                    "session": f"@{session_ref}",
                    "hours": hours,
                    "soreness": min(later, 10),
                    "bruising": False,
                    "numbness": False,
                    "swelling": rng.random() < 0.01,
                    "worse": later > soreness,
                    "note": "" if rng.random() > 0.2 else "fine, a little stiff in the morning",
                },
            )
            if hours == 24 and later >= 7:
                plan.add(
                    checkin_at + timedelta(seconds=1),
                    records.HOLD,
                    {
                        "region": region,
                        "rule": "soreness-7",
                        "reason": "Soreness of 7 or more a day after: rest this region.",
                        "source": f"@{session_ref}",
                    },
                )
                plan.add(
                    checkin_at + timedelta(days=6),
                    records.HOLD_CLEAR,
                    {"region": region, "reason": "settled; physio said carry on, lighter"},
                )
        moment = session_at + timedelta(minutes=3)


def build(
    home: Path,
    sessions: int,
    *,
    seed: int = 4,
    end: datetime | None = None,
    years: float | None = None,
    quiet: bool = False,
) -> Journal:
    """Append a synthetic journal into *home*/journal (which must not exist yet)."""
    directory = home / "journal"
    if directory.exists() and any(directory.iterdir()):
        raise SystemExit(f"{directory} already holds a journal; pick an empty --home")
    os.environ["IASTM_COACH_HOME"] = str(home)
    journal = Journal(directory)
    end = end or datetime(2026, 1, 15, tzinfo=LOCAL_ZONE)
    plan = build_plan(sessions, random.Random(seed), end, years)
    ids: dict[int, str] = {}
    began = time.perf_counter()
    for _written, order, kind, data, at in plan.events:
        for key in ("session", "source"):
            value = data.get(key)
            if isinstance(value, str) and value.startswith("@"):
                data[key] = ids[int(value[1:])]
        ids[order] = journal.append(kind, data, at=at).id
    if not quiet:
        elapsed = time.perf_counter() - began
        files = len(journal.month_files())
        print(
            f"{plan.sessions} sessions, {len(plan.events)} records in {files} month files "
            f"under {directory} ({elapsed:.1f} s)"
        )
    return journal


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, required=True, help="session records to write")
    parser.add_argument("--home", type=Path, required=True, help="IASTM_COACH_HOME to fill")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--end",
        default="2026-01-15",
        help="the date of the last sitting, YYYY-MM-DD (default: 2026-01-15)",
    )
    parser.add_argument(
        "--years",
        type=float,
        default=None,
        help="spread the sessions over this many years (default: two sittings a week)",
    )
    args = parser.parse_args(argv)
    end = datetime.fromisoformat(args.end).replace(tzinfo=LOCAL_ZONE)
    build(args.home, args.sessions, seed=args.seed, end=end, years=args.years)


if __name__ == "__main__":
    main()
