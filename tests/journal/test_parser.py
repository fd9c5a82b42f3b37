"""The journal's one TOML parser: toml-rs when installed, tomllib otherwise, same results.

Equality is proved on the corpora the journal meets: records with any values (the
Hypothesis strategies of the round-trip properties), a benchmark journal from
`benchmarks/make_journal.py`, and damaged files (every cut of a month file, as a crash
leaves it). The fallback is forced and the journal read through it.
"""

from __future__ import annotations

import sys
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iastm_coach.journal import parser
from iastm_coach.journal.store import Journal, records
from tests.builders import benchmark_journal, example, identical
from tests.strategies import DATA, KINDS, MOMENTS

toml_rs = pytest.importorskip("toml_rs", reason="the fast parser is not installed here")


def fast(text: str) -> dict[str, Any]:
    result: dict[str, Any] = toml_rs.loads(text, toml_version="1.0.0")
    return result


def same_verdict(text: str) -> None:
    """Both accept *text* with identical results, or both refuse it."""
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        with pytest.raises(Exception):  # noqa: B017 - any error: toml-rs has its own type
            fast(text)
        return
    identical(fast(text), expected)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=KINDS, data=DATA, at=MOMENTS, more=st.lists(DATA, max_size=3))
def test_records_with_any_values_parse_identically(
    kind: str, data: dict[str, Any], at: datetime, more: list[dict[str, Any]]
) -> None:
    """Month files of records holding any values (every character, 64-bit integers, floats,
    dates, datetimes in any offset, nested lists and tables): the same document."""
    with tempfile.TemporaryDirectory() as temp:
        journal = Journal(Path(temp) / "journal")
        journal.append(kind, {**example(kind), **data}, at=at)
        for extra in more:
            journal.append(records.CHECKIN, {**example(records.CHECKIN), **extra}, at=at)
        for path in journal.month_files():
            same_verdict(path.read_text(encoding="utf-8"))


@pytest.mark.slow  # builds a 300-session journal: about two seconds
def test_a_benchmark_journal_parses_identically(tmp_path: Path) -> None:
    """Every month file of a generated journal, and every cut of one of them (a torn write
    at any byte: both refuse it, or both read the same records)."""
    journal = benchmark_journal(tmp_path, 300)
    paths = journal.month_files()
    assert len(paths) > 10
    for path in paths:
        same_verdict(path.read_text(encoding="utf-8"))
    text = paths[len(paths) // 2].read_text(encoding="utf-8")
    block = text[: text.index("[[", 10)]  # the first record: a crash can cut it anywhere
    for cut in range(len(block) + 1):
        same_verdict(text[:cut])
    for cut in range(len(block), len(text), max(1, len(text) // 150)):
        same_verdict(text[:cut])


@pytest.mark.parametrize(
    "text",
    [
        "a = 1\r\nb = 2\r\n",  # CRLF: valid
        "a = 1\rb = 2\n",  # a lone CR: invalid
        'a = "\\u0063alf"\n',
        "a = 2024-02-30T00:00:00Z\n",  # no such day
        "a = 1\na = 2\n",  # a key twice
        "a = { b = 1,\n c = 2 }\n",  # newline in an inline table: TOML 1.1 only
        'a = "\\e"\n',  # \e escape: TOML 1.1 only
        "a = 00:00\n",  # time without seconds: TOML 1.1 only
        "[[session]]\nid = 1\n[[session]]\n",
        "a = 9223372036854775808\n",  # one more than a 64-bit integer
        "a = -0.0\nb = inf\nc = nan\n",
        "a = 1979-05-27T07:32:00-08:00\nb = 1979-05-27T07:32:00Z\nc = 1979-05-27\n",
    ],
)
def test_hand_edits_get_the_same_verdict(text: str) -> None:
    """What a hand edit may leave: both parsers accept it alike or both refuse it (the
    fast one reads TOML 1.0, as tomllib does)."""
    same_verdict(text)


def test_errors_are_tomllibs_with_either_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged document raises tomllib's error (message and line) through `loads`,
    whichever parser is in use."""
    text = 'a = 1\nb = "open\n'
    with pytest.raises(tomllib.TOMLDecodeError) as expected:
        tomllib.loads(text)
    for switch in ("", "tomllib"):
        monkeypatch.setenv(parser.FALLBACK_SWITCH, switch)
        with pytest.raises(parser.TOMLDecodeError) as caught:
            parser.loads(text)
        assert str(caught.value) == str(expected.value)


def test_the_fast_parser_is_used_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parser.FALLBACK_SWITCH, raising=False)
    assert parser.parser_name().startswith("toml-rs ")
    monkeypatch.setenv(parser.FALLBACK_SWITCH, "tomllib")
    assert parser.parser_name() == "tomllib"


def test_without_the_fast_parser_the_journal_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on an install without toml-rs (the import fails): reading, check and repair give
    the same answers as with it, damage included."""
    directory = tmp_path / "journal"
    journal = Journal(directory)
    at = datetime(2025, 6, 1, 12, tzinfo=UTC)
    for n, kind in enumerate(records.KINDS):
        journal.append(kind, example(kind), at=at.replace(minute=n))
    with_fast = [Journal(directory).recent(), Journal(directory).check_report(now=at)]
    assert with_fast[1].problems == []
    path = journal.month_files()[0]
    path.write_bytes(path.read_bytes() + b'\n[[session]]\nid = "01J')  # a torn write
    damaged_fast = Journal(directory).check_report(now=at).problems

    monkeypatch.setitem(sys.modules, "toml_rs", None)  # `import toml_rs` fails
    monkeypatch.setattr(parser, "_looked", False)
    monkeypatch.setattr(parser, "_fast", None)
    assert parser.parser_name() == "tomllib"
    assert Journal(directory).check_report(now=at).problems == damaged_fast
    Journal(directory).repair(now=at)
    fresh = Journal(directory)
    assert fresh.recent() == with_fast[0]
    assert fresh.check_report(now=at).errors == []
    assert fresh.check_report(now=at).records == len(records.KINDS)
