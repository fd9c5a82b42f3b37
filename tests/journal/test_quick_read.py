"""The one-pass read of a month file (check and share each value as it is copied) gives
what the straightforward rules give: the same rows, sharing the same texts and zones (the
same pickle, byte for byte), and the same message for the same damage.

The straightforward rules are `rows_from_text(..., quick=False)`: every record through
`record_problem`, its migration and `records.problems_by_field`, then `share_row`. The
inputs: records of every kind with their documented fields edited to values at and around
their rules (the Hypothesis strategies of the round-trip properties), fields this version
does not know holding any value, older schemas, hand-damaged headers and cuts; and every
month of a benchmark journal.
"""

from __future__ import annotations

import os
import pickle
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iastm_coach.errors import DataFileError
from iastm_coach.journal import parser, records
from iastm_coach.journal.cache import load_cache_blob, seal, shared
from iastm_coach.journal.cache_files import CacheFiles, rows_name
from iastm_coach.journal.format import (
    HEADER_LINE,
    SHARED_TEXT,
    SharedRows,
    check_data,
    header_lines,
    header_starts,
    render_record,
    rows_from_text,
    share_rows,
)
from iastm_coach.journal.ids import new_record_id
from tests.builders import benchmark_journal, example, identical
from tests.strategies import DATA, KINDS, MOMENTS, VALUES, near

PATH = Path("journal/2025-05.toml")


def read(text: str, *, quick: bool, check_values: bool) -> list[Any] | str:
    """The rows of *text*, or the message it is refused with."""
    try:
        return rows_from_text(PATH, text, check_values=check_values, quick=quick)
    except DataFileError as error:
        return f"{error} | {error.hint}"


def same_reading(text: str) -> None:
    """Quick and straightforward agree on *text*, with and without value checks."""
    for check_values in (True, False):
        quick = read(text, quick=True, check_values=check_values)
        plain = read(text, quick=False, check_values=check_values)
        if isinstance(plain, str):
            assert quick == plain
            continue
        assert not isinstance(quick, str), quick
        assert type(quick) is SharedRows and type(plain) is SharedRows
        identical(quick, plain)
        # The same texts and zones shared: pickle writes each shared object once.
        assert pickle.dumps(list(quick), protocol=5) == pickle.dumps(list(plain), protocol=5)
        assert_shared(quick)


def assert_shared(rows: list[Any]) -> None:
    """Every text `share_rows` shares is the interned one: kinds, field names and short
    values, and the keys and short texts of the tables in a field's list."""

    def one(value: Any, where: str) -> None:
        if type(value) is str and len(value) <= SHARED_TEXT:
            assert sys.intern(value) is value, where
        elif type(value) is list:
            for n, item in enumerate(value):
                if type(item) is dict:
                    for key, inner in item.items():
                        assert sys.intern(key) is key, f"{where}[{n}]"
                        if type(inner) is str and len(inner) <= SHARED_TEXT:
                            assert sys.intern(inner) is inner, f"{where}[{n}].{key}"
                else:
                    one(item, f"{where}[{n}]")
        elif type(value) is dict:
            for key, inner in value.items():
                assert sys.intern(key) is key, where
                one(inner, f"{where}.{key}")

    for kind, _, _, _, data in rows:
        assert sys.intern(kind) is kind
        one(data, kind)


@st.composite
def records_edited(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid record of any kind with up to two of its documented fields set to values
    at and around their rules (or anything), or deleted: most such records still read."""
    kind = draw(KINDS)
    data = example(kind)
    table = records.FIELDS[kind]
    for name in draw(st.lists(st.sampled_from(sorted(table)), max_size=2)):
        change = draw(st.sampled_from(["near", "near", "near", "anything", "delete"]))
        if change == "near":
            data[name] = draw(near(table[name]))
        elif change == "anything":
            data[name] = draw(VALUES)
        else:
            data.pop(name, None)
    return kind, data


@st.composite
def month_texts(draw: st.DrawFn) -> str:
    """A month file of a few records: documented fields edited, unknown fields of any
    value, times in any offset, sometimes an older or newer schema, a chain link, a header
    spelt by hand, or the file cut short."""
    blocks = []
    base = datetime(2025, 5, 1, tzinfo=UTC)
    for n in range(draw(st.integers(min_value=1, max_value=5))):
        kind, data = draw(records_edited())
        data = {**data, **draw(DATA)}
        at = draw(MOMENTS | st.just(base + timedelta(minutes=n)))
        rid = new_record_id(base + timedelta(minutes=n))
        schema = draw(st.sampled_from([1] * 8 + [0, 2]))
        chain = draw(st.sampled_from([None, "1:0123456789abcdef0123456789abcdef"]))
        try:
            block = render_record(kind, rid, at, schema, check_data(data), chain=chain)
        except (TypeError, ValueError):  # a value the journal would not write
            continue
        header = draw(st.sampled_from([f"[[{kind}]]"] * 4 + [f"  [[ '{kind}' ]] # by hand"]))
        blocks.append(block.replace(f"[[{kind}]]", header, 1))
    text = "\n".join(blocks)
    if text and draw(st.integers(min_value=0, max_value=9)) == 0:
        text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
    return text


@pytest.mark.slow  # 150 month files, each read eight ways: about four seconds
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=month_texts())
def test_quick_and_straightforward_read_any_month_alike(text: str) -> None:
    """Whatever a record holds, damage included: the same rows, sharing alike, or the
    same message (file, line and field) for the first problem; with either parser (their
    time zones are made differently: tomllib shares them, toml-rs does not)."""
    same_reading(text)
    with_switch = os.environ.get(parser.FALLBACK_SWITCH)
    os.environ[parser.FALLBACK_SWITCH] = "tomllib"
    try:
        same_reading(text)
    finally:
        if with_switch is None:
            del os.environ[parser.FALLBACK_SWITCH]
        else:
            os.environ[parser.FALLBACK_SWITCH] = with_switch


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("soreness", "11"),
        ("soreness", 11),
        ("soreness", True),
        ("soreness", 3.0),
        ("side", "middle"),
        ("region", " "),
        ("complete", 1),
        ("started", "2025-05-01T10:00:00+02:00"),
        ("started", "2025-05-01T10:00:00"),
        ("areas", [{"name": "a", "planned_s": -1, "actual_s": 1, "status": "done"}]),
        ("areas", [{"name": "a", "planned_s": 1, "actual_s": 1, "status": "later"}]),
        ("areas", [{"name": "a", "planned_s": 1.5}]),
        ("areas", ["a"]),
        ("areas", {"a": 1}),
        ("adjustments", ["a", 1]),
        ("answers", {"fever": "no"}),
    ],
)
def test_a_wrong_value_is_named_as_before(field: str, value: Any) -> None:
    """Each kind of wrong value the quick pass meets stops reading with the message and
    line of the straightforward rules."""
    kind = records.SESSION if field in records.SESSION_FIELDS else records.SCREENING
    data = {**example(kind), field: value}
    at = datetime(2025, 5, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    text = render_record(kind, new_record_id(at), at, 1, data)
    quick = read(text, quick=True, check_values=True)
    assert isinstance(quick, str) and f"{field}" in quick and ", line " in quick
    same_reading(text)


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        (records.MEASURE, {"unit": "0-10", "value": 11}, "must be from 0 to 10 for a 0-10"),
        (records.HOLD, {"region": None}, "region: is missing"),
        (records.CHECKIN, {"hours": 36}, "one of 24, 48, 72, 120"),
    ],
)
def test_rules_beyond_one_value_are_kept(kind: str, changes: dict[str, Any], message: str) -> None:
    """A rule across fields (a 0-10 score's range), an essential field that is absent,
    a choice of numbers: refused by the quick pass as before."""
    data = {**example(kind), **changes}
    data = {name: value for name, value in data.items() if value is not None}
    at = datetime(2025, 5, 1, 12, tzinfo=UTC)
    text = render_record(kind, new_record_id(at), at, 1, data)
    quick = read(text, quick=True, check_values=True)
    assert isinstance(quick, str) and message in quick
    same_reading(text)


def test_fields_this_version_does_not_know_are_kept_and_shared() -> None:
    """A newer iastm-coach's fields, at the top and inside the tables of a list, read back
    as written and shared like the others."""
    at = datetime(2025, 5, 1, 12, tzinfo=UTC)
    areas = [{**area, "pressure": "light"} for area in example(records.SESSION)["areas"]]
    new = {"areas": areas, "mood": {"before": "fine"}, "tags": ["a long tag " * 5, at]}
    text = "".join(
        render_record(records.SESSION, new_record_id(at + timedelta(seconds=n)), at, 1, data)
        for n, data in enumerate([{**example(records.SESSION), **new}] * 2)
    )
    (row, _) = rows_from_text(PATH, text)
    assert [area["pressure"] for area in row[4]["areas"]] == ["light"] * len(areas)
    assert row[4]["mood"] == {"before": "fine"} and row[4]["tags"] == new["tags"]
    same_reading(text)


def test_zones_are_shared_by_offset_and_name() -> None:
    """Equal offsets share one zone object (written once in the cache); a named zone, and
    other offsets, stay apart: the definition `cache.shared` always had."""
    plus_two = timezone(timedelta(hours=2))
    named = timezone(timedelta(hours=2), "CEST")
    rows = [
        ("session", "x", datetime(2025, 5, 1, tzinfo=timezone(timedelta(hours=2))), 1, {}),
        ("session", "y", datetime(2025, 5, 2, tzinfo=plus_two), 1, {"a": [datetime.now(UTC)]}),
        ("session", "z", datetime(2025, 5, 3, tzinfo=named), 1, {"t": {"u": datetime.now(UTC)}}),
    ]
    out = share_rows(rows)
    assert out == rows
    assert out[0][2].tzinfo is out[1][2].tzinfo
    assert out[2][2].tzinfo is not out[1][2].tzinfo and out[2][2].tzname() == "CEST"
    assert out[1][4]["a"][0].tzinfo is out[2][4]["t"]["u"].tzinfo


def test_parsed_rows_are_cached_as_they_are(tmp_path: Path) -> None:
    """Rows from `rows_from_text` are shared already: the cache pickles them as a plain list
    (it unpickles no other class), the same bytes as sharing them again would give, and a
    warm read loads them back."""
    at = datetime(2025, 5, 1, 12, tzinfo=UTC)
    text = "".join(
        render_record(kind, new_record_id(at + timedelta(seconds=n)), at, 1, example(kind))
        for n, kind in enumerate(records.KINDS)
    )
    rows = rows_from_text(PATH, text)
    assert type(shared(rows)) is list
    again = share_rows([(*row[:4], dict(row[4])) for row in rows])
    assert pickle.dumps(shared(rows), protocol=5) == pickle.dumps(shared(again), protocol=5)

    cache = CacheFiles(tmp_path)
    month = tmp_path / "2025-05.toml"
    cache.save_rows(month, len(text), b"d" * 32, rows)
    loaded = load_cache_blob(cache.read(rows_name(month)) or b"", cache.key(create=False))
    assert loaded is not None
    identical(loaded[2], list(rows))
    assert load_cache_blob(seal(b"k" * 32, pickle.dumps(rows)), b"k" * 32) is None


@pytest.mark.slow  # builds a 300-session journal: about two seconds
def test_every_month_of_a_benchmark_journal_reads_alike(tmp_path: Path) -> None:
    """The months a person's journal holds: quick and straightforward rows identical."""
    journal = benchmark_journal(tmp_path, 300)
    paths = journal.month_files()
    assert len(paths) > 10
    for path in paths:
        same_reading(path.read_text(encoding="utf-8"))


HEADER_BITS = st.sampled_from(
    [
        *(f"[[{kind}]]" for kind in records.KINDS),
        "[[other]]",
        "[[session]]x",
        "  [[ 'session' ]] # by hand",
        '[["hold"]]',
        "[[",
        "]]",
        "a = [[1]]",
        "\n",
        "\r\n",
        "\r",
        " ",
        "#",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(bits=st.lists(HEADER_BITS, max_size=12))
def test_headers_are_found_as_every_line_is_asked(bits: list[str]) -> None:
    """The header lines found by looking only where a `[[` is (the journal's own spelling
    recognised without the regex) are those `HEADER_LINE` finds asking every line; their
    starts are at those lines."""
    text = "".join(bits)
    expected: dict[str, list[int]] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        match = HEADER_LINE.match(line)
        if match is not None:
            expected.setdefault(match.group("kind"), []).append(number)
    assert header_lines(text) == expected
    starts = header_starts(text)
    assert {k: [text.count("\n", 0, s) + 1 for s in v] for k, v in starts.items()} == expected
