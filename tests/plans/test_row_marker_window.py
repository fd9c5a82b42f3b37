"""`history`'s marker keeps its window of rows as they come and go: it marks every row
as checking each row against the rows of its region still waiting does
(`tests/straightforward.py`'s RowMarker, the definition), from any listing.

The listings are made for the window: sittings of one or two sides (a group shared
across regions too), rows a few hours to a fortnight apart so that the rest period and
`LOOK_BACK` both matter, rows out of order (logged late), equal moments in two zones,
protocols whose content changed under one version, holds read between the rows, and
now and then an id written twice (a hand-edited journal)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.history.queries import SessionRow
from iastm_coach.journal import records
from iastm_coach.journal.format import CURRENT_SCHEMA, Record
from iastm_coach.plans.deviations import PlanFactsOnDemand, RowMarker
from iastm_coach.safety.zones import remembered
from tests import straightforward

START = datetime(2024, 3, 1, 18, 0, tzinfo=UTC)  # the newest row; the stream goes back
OTHER_ZONE = timezone(timedelta(hours=-5))
# Two contents of calf-runner 1 (the plan changed without a new version), a neck plan
# and the shin's current file (no session names it: its rest applies by region).
PROTOCOLS = {
    "calf-a": 'region = "calf"\nid = "calf-runner"\nversion = "1"\n'
    '[settings]\nrest_hours = 48\n[access]\nsides = ["left"]\n'
    "[issued]\nreview_by = 2024-02-10\n",
    "calf-b": 'region = "calf"\nid = "calf-runner"\nversion = "1"\n[settings]\nrest_hours = 24\n',
    "neck": 'region = "neck"\nid = "neck"\nversion = "2"\n[settings]\nrest_hours = 72\n',
    "shin": 'region = "shin"\nid = "shin"\nversion = "1"\n[settings]\nrest_hours = 24\n',
}
PRINTS = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in PROTOCOLS.items()}
LINKS = remembered()
# How far back the next row is (newest first); negative: a row read later that is newer.
STEPS = (
    [timedelta(0), timedelta(minutes=20), timedelta(hours=3), timedelta(hours=20)]
    + [timedelta(days=d) for d in (1, 2, 3, 6, 15, 16)]
    + [timedelta(hours=-2), timedelta(days=-1)]
)


@pytest.fixture(scope="module")
def protocol_paths(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("protocols")
    paths = []
    for name, text in PROTOCOLS.items():
        path = directory / f"{name}.toml"
        path.write_text(text)
        paths.append(path)
    return paths


def pick(draw: st.DrawFn, options: list[Any]) -> Any:
    return draw(st.sampled_from(options))


@st.composite
def listings(draw: st.DrawFn) -> list[SessionRow | Record]:
    """History rows newest first (as the stream hands them out), with the hold records
    the stream reads between them."""
    events: list[SessionRow | Record] = []
    moment = START
    groups: list[str] = []
    ids: list[str] = []
    for seq in range(draw(st.integers(0, 28))):
        if draw(st.integers(0, 5)) == 0:  # a hold or a clear, read before the next row
            kind = pick(draw, [records.HOLD, records.HOLD, records.HOLD_CLEAR])
            at = moment - pick(
                draw, [timedelta(0), timedelta(hours=1), timedelta(days=2), timedelta(days=9)]
            )
            data: dict[str, Any] = {"region": pick(draw, ["calf", "calf", "neck", "shin"])}
            if kind == records.HOLD:
                data |= {"rule": "soreness-7", "reason": "sore"}
                data["side"] = pick(draw, ["left", "right", "none"])
            events.append(Record(kind, f"ho{seq:02d}", at, CURRENT_SCHEMA, data, seq=seq))
            continue
        moment -= pick(draw, STEPS)
        started = moment.astimezone(OTHER_ZONE) if draw(st.booleans()) else moment
        if groups and draw(st.integers(0, 2)) == 0:
            group = pick(draw, groups[-3:])  # the other side of a sitting (or an odd one)
        else:
            group = pick(draw, [f"g{seq}", f"g{seq}", ""])  # "": the session is its sitting
            groups.append(group or f"g{seq}")
        record_id = f"se{seq:02d}"
        if ids and draw(st.integers(0, 9)) == 0:
            record_id = pick(draw, ids[-4:])  # an id written twice
        ids.append(record_id)
        planned = pick(draw, [300, 300, 0])
        data = {
            "region": pick(draw, ["calf", "calf", "calf", "neck", "shin"]),
            "side": pick(draw, ["left", "right", "none"]),
            "group": group,
            "started": started,
            "ended": started + pick(draw, [timedelta(minutes=10), timedelta(hours=2)]),
            "planned_s": planned,
            "actual_s": pick(draw, [planned, 420]),
            "protocol_fingerprint": pick(
                draw, [PRINTS["calf-a"], PRINTS["calf-a"], PRINTS["calf-b"], PRINTS["neck"], ""]
            ),
            "protocol_source": pick(draw, ["installed", "installed", "built-in"]),
            "protocol_id": pick(draw, ["calf-runner", "calf-runner", "neck"]),
            "protocol_version": pick(draw, ["1", "1", "2"]),
            "protocol_signature": pick(draw, ["trusted", "trusted", "unsigned"]),
            "rest_override": draw(st.integers(0, 7)) == 0,
            "overrides": pick(draw, [[], [], [], [{"rule": "hold", "detail": "anyway"}]]),
            "signed_here": draw(st.integers(0, 9)) == 0,
            "clock_set": draw(st.integers(0, 9)) == 0,
        }
        data = {k: v for k, v in data.items() if draw(st.integers(0, 11)) or k == "region"}
        at = started + pick(draw, [timedelta(minutes=10), timedelta(minutes=10), timedelta(days=2)])
        events.append(SessionRow.from_record(Record(records.SESSION, record_id, at, 1, data)))
    return events


def marks(marker: Any, holds: list[Record], events: list[SessionRow | Record]) -> Any:
    """Each row's id and flags as *marker* hands them out (holds read between rows), and
    what the footer counts."""

    def stream() -> Iterator[SessionRow]:
        for event in events:
            if isinstance(event, Record):
                holds.append(event)
            else:
                yield event

    rows = [(row.id, row.started, row.flags) for row in marker.rows(stream())]
    return rows, marker.shown, marker.marked, marker.kinds


@pytest.mark.slow
@settings(max_examples=200)
@given(events=listings())
def test_the_window_marks_rows_as_checking_each_row_does(
    protocol_paths: list[Path], events: list[SessionRow | Record]
) -> None:
    holds: list[Record] = []
    fast = RowMarker(holds, PlanFactsOnDemand(protocol_paths))
    expected_holds: list[Record] = []
    facts = PlanFactsOnDemand(protocol_paths)
    plain = straightforward.RowMarker(
        expected_holds, facts=facts, region_facts=facts.by_region, links_for=LINKS
    )
    assert marks(fast, holds, events) == marks(plain, expected_holds, events)
