"""Hypothesis strategies for journal records: any value a record may hold, shared by the
round-trip properties and the parser equality tests; and small journals for the report's
equivalence properties (`report_journals`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from iastm_coach.journal.format import CURRENT_SCHEMA, Record
from iastm_coach.journal.store import RESERVED_FIELDS, records

ZONES = st.builds(
    timezone,
    st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
        lambda minutes: timedelta(minutes=minutes)
    ),
)
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES
)
TEXT = st.text(
    st.characters(codec="utf-8")  # every character, control characters included
    | st.sampled_from(
        ['"', "'", "\\", "\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\u2028", "\ufeff"]
    ),
    max_size=40,
) | st.sampled_from(['"""', "'''", '\\"', "[[session]]", "\n[[session]]\nschema = 1\n", "a\r\nb"])
LEAVES = st.one_of(
    TEXT,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    MOMENTS,
    st.dates(min_value=date(1, 1, 1)),
)
VALUES = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=16,
)
KNOWN_FIELDS = frozenset(name for table in records.FIELDS.values() for name in table)
DATA = st.dictionaries(
    TEXT.filter(lambda key: key not in RESERVED_FIELDS and key not in KNOWN_FIELDS),
    VALUES,
    max_size=8,
)
KINDS = st.sampled_from(records.KINDS)


def near(spec: records.Spec) -> st.SearchStrategy[Any]:
    """Values at and around what *spec* allows (its edges, its choices, other types), so
    that every kind of field meets values on both sides of its rule."""
    others = st.sampled_from([True, 0, 1.5, "", " ", "x", [], {}, date(2024, 1, 1)])
    if isinstance(spec, records.Text):
        return st.sampled_from([*spec.choices, "", " ", "calf", "x" * 50]) | others
    if isinstance(spec, records.Whole):
        edges: list[Any] = list(spec.choices)
        for bound in (spec.low, spec.high):
            if bound is not None:
                edges += [bound - 1, bound, bound + 1]
        return st.sampled_from([*edges, 0, -1, 2**40, True, 1.0, "3"]) | others
    if isinstance(spec, records.Number):
        return (
            st.sampled_from([spec.low, spec.high, spec.low - 0.5, spec.high + 0.5, 0, 7, 10.5])
            | st.floats(allow_nan=False)
            | others
        )
    if isinstance(spec, records.Flag):
        return st.sampled_from([True, False, 0, 1, "true"]) | others
    if isinstance(spec, records.Moment):
        return MOMENTS | st.dates(min_value=date(1, 1, 1)) | others
    if isinstance(spec, records.ListOf):
        return st.lists(near(spec.item), max_size=3) | others
    if isinstance(spec, records.TableOf):
        return st.dictionaries(TEXT, near(spec.value), max_size=3) | others
    if isinstance(spec, records.Entry):
        return (
            st.fixed_dictionaries({}, optional={n: near(f) for n, f in spec.fields.items()})
            | others
        )
    return VALUES


# --- small journals for the report's equivalence properties -------------------------------
# Few regions, groups, ids, times and zones, so that sittings share sides, check-ins and
# holds find their sessions, moments tie (the same instant in two zones included) and
# fields go missing: the cases where a fast path and the straightforward rule could part.

_START = datetime(2023, 12, 27, 9, 0, tzinfo=UTC)  # New Year's weeks included
HOUR = timedelta(hours=1)
_ZONE_2 = timezone(timedelta(minutes=-300))
_ZONES = st.sampled_from([UTC, _ZONE_2, *(timezone(timedelta(minutes=m)) for m in (60, 330, 780))])
_MOMENTS = st.builds(
    lambda years, hours, minutes, zone: (
        _START - timedelta(days=365 * years) + timedelta(hours=hours, minutes=minutes)
    ).astimezone(zone),
    st.sampled_from([0, 0, 0, 1, 2]),  # a year or two before: the report summarises them
    st.integers(0, 24 * 40),
    st.sampled_from([0, 0, 30]),
    _ZONES,
)
# Starts that sessions share, this year and a year before, in two zones: equal moments
# whose zones differ, where a min() or max() keeps the first it met.
_SHARED = [
    moment.astimezone(zone)
    for moment in (_START + timedelta(days=3), _START - timedelta(days=362))
    for zone in (UTC, _ZONE_2)
]


def _fields(draw: st.DrawFn, options: dict[str, list[Any]]) -> dict[str, Any]:
    """One of the *options* for each field, a field left out one time in eight (read as
    missing). One draw for them all, a byte a field: quick to make, and shrinking it
    leaves fields out."""
    picks = draw(st.binary(min_size=len(options), max_size=len(options)))
    return {
        name: values[(pick >> 3) % len(values)]
        for (name, values), pick in zip(options.items(), picks, strict=True)
        if pick & 7
    }


_NOTES = ["", "", "tight", "sore after", "0"]
_OVERRIDES = [
    [],
    [],
    [{"rule": "rest", "detail": "x"}],
    [{"rule": "hold", "detail": "logged anyway"}, {"rule": "", "detail": "x"}],
    [{"rule": "hold", "detail": ""}],
]


@st.composite
def report_journals(draw: st.DrawFn) -> list[Record]:
    """A journal's records in the order written (`seq`), any kind, for `build_report`."""
    count = draw(st.integers(0, 40))
    found: list[Record] = []
    sessions: list[str] = []
    others: list[str] = []
    for seq in range(count):
        kind = draw(st.sampled_from(_KIND_WEIGHTS))
        at = draw(_MOMENTS)
        named = sessions[-4:] * 3 + ["nobody"]  # mostly a recent session of this journal
        if kind == records.SESSION:
            started = draw(
                st.sampled_from([at - timedelta(minutes=20), at, at + timedelta(hours=1)])
            )
            data = _fields(
                draw,
                {
                    "region": ["calf", "calf", "neck", "shin"],
                    "side": ["left", "right", "none"],
                    "group": ["g1", "g2", "g3", ""],
                    "started": [started, started.astimezone(UTC), *_SHARED],  # ties
                    "ended": [started + timedelta(minutes=10), at],
                    "complete": [True, True, False],
                    "planned_s": [0, 240, 300],
                    "actual_s": [0, 240, 400],
                    "soreness": [-1, 0, 3, 7],
                    "note": _NOTES,
                    "protocol_fingerprint": ["fp-calf", "fp-neck", "fp-other", ""],
                    "protocol_source": ["built-in", "installed", "file"],
                    "protocol_id": ["calf", "runner"],
                    "protocol_version": ["1", "2"],
                    "protocol_signature": ["", "trusted", "unknown-key", "unsigned"],
                    "issued_by": ["", "Dr A"],
                    "signed_here": [False, False, True],
                    "rest_override": [False, False, True],
                    "clock_set": [False, False, True],
                    "overrides": _OVERRIDES,
                    "dose_percent": [100, 70],
                    "source": ["timer", "log"],
                },
            )
        elif kind == records.CHECKIN:
            data = _fields(
                draw,
                {
                    "session": named,
                    "hours": [24, 48, 72, 120],
                    "soreness": [-1, 0, 2, 6],
                    "note": _NOTES,
                    "not_asked": [[], [], ["swelling", "numbness"]],
                    "corrects": ["", "", *others[-2:]],
                },
            )
        elif kind == records.HOLD:
            data = _fields(
                draw,
                {
                    "region": ["calf", "neck", "shin"],
                    "rule": ["soreness-7", "swelling", "numbness"],
                    "reason": ["", "sore", "swollen"],
                    "source": [*named, *others[-3:], ""],
                    "side": ["left", "right", "none"],
                },
            )
        elif kind == records.HOLD_CLEAR:
            data = _fields(
                draw,
                {
                    "region": ["calf", "neck", "shin"],
                    "reason": ["", "examined"],
                    "examined_by": ["", "Dr A"],
                    "lifts": [[], others[-1:], others[-3:]],
                },
            )
        elif kind == records.EXERCISE:
            sets = [{"sets_done": 2, "sets_planned": 3}, {"sets_done": 0, "sets_planned": 2}]
            data = _fields(
                draw,
                {
                    "session": named,
                    "group": ["g1", "g2", ""],
                    "region": ["calf", "neck", ""],
                    "source": ["log", "timer"],
                    "exercises": [[], sets[:1], sets],
                },
            )
        elif kind == records.MEASURE:
            data = _fields(
                draw,
                {
                    "region": ["calf", "neck"],
                    "side": ["left", "right", "none"],
                    "test": ["reach"],
                    "unit": ["cm"],
                    "value": [10, 11.5, 12],
                    "phase": ["before", "after", "standalone"],
                    "session": named,
                },
            )
        else:
            data = _fields(
                draw,
                {
                    "region": ["calf", "neck"],
                    "outcome": ["cleared", "cleared", "stopped"],
                    "cleared_cautions": [[], [], ["varicose", "diabetes"]],
                    "local": [[], [], ["bruise"]],
                    "stopped_by": ["", "fever"],
                },
            )
        record_id = f"{kind[:2]}{seq:02d}"
        (sessions if kind == records.SESSION else others).append(record_id)
        found.append(Record(kind, record_id, at, CURRENT_SCHEMA, data, seq=seq))
    return found


_KIND_WEIGHTS = (
    [records.SESSION] * 4
    + [records.CHECKIN] * 3
    + [records.HOLD, records.HOLD_CLEAR, records.EXERCISE, records.EXERCISE]
    + [records.MEASURE, records.SCREENING]
)
