"""Text typed in any terminal is stored: UTF-8 where it is, Windows-1252 where it is not."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from iastm_coach.typed import decode_typed, read_typed, repair


def test_a_latin1_byte_becomes_its_letter() -> None:
    assert decode_typed(b"caf\xe9") == "café"
    assert decode_typed("café".encode()) == "café"
    assert decode_typed(b"\x80 \x81") == "€ \x81"  # cp1252's euro; an undefined byte as Latin-1


def test_surrogates_from_surrogateescape_are_decoded() -> None:
    """What Python makes of a Latin-1 argument (or of input under LC_ALL=C)."""
    assert repair("caf\udce9") == "café"
    assert repair("\udcc3\udca9") == "é"  # UTF-8 read by an ASCII locale
    assert repair("a\ud800b") == "a\ufffdb"  # a lone surrogate of another kind
    assert repair("plain") == "plain"


def test_a_utf8_stream_reads_latin1_bytes_without_error() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"7\ncaf\xe9 \xc3\xa9\n"), encoding="utf-8")
    read_typed(stream)
    assert [stream.readline(), stream.readline()] == ["7\n", "café é\n"]


@given(st.binary(max_size=200))
def test_any_bytes_give_storable_text(data: bytes) -> None:
    """Whatever bytes arrive, the text can be written as UTF-8 (the journal's encoding)."""
    assert decode_typed(data).encode("utf-8").count(b"\n") == data.count(b"\n")
    repaired = repair(data.decode("utf-8", "surrogateescape"))
    assert repaired == decode_typed(data)  # the same text whichever way it arrived
