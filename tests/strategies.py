"""Hypothesis strategies for journal records: any value a record may hold, shared by the
round-trip properties and the parser equality tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st

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
