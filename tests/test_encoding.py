"""Output a terminal cannot encode becomes a readable ASCII stand-in, never an exception."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iastm_coach.encoding import FALLBACKS, ascii_fallback, use_fallbacks


def stream(encoding: str) -> tuple[io.BytesIO, io.TextIOWrapper]:
    raw = io.BytesIO()
    return raw, io.TextIOWrapper(raw, encoding=encoding, errors="strict", write_through=True)


def test_an_ascii_stream_raises_without_and_writes_stand_ins_with() -> None:
    """LC_ALL=C without UTF-8 mode: '30°' crashed a session mid-way; now it reads '30 deg'."""
    raw, text = stream("ascii")
    with pytest.raises(UnicodeEncodeError):
        text.write("30°")
    use_fallbacks(text)
    text.write("Angle 30° · soreness 1 / — → next… ✓")
    assert raw.getvalue() == b"Angle 30 deg - soreness 1 / - > next. ?"


def test_a_code_page_keeps_what_it_can_encode() -> None:
    """A Windows code page (cp1252) has '·' and '°' but not '→': only the arrow changes."""
    raw, text = stream("cp1252")
    use_fallbacks(text)
    text.write("30° · →")
    assert raw.getvalue().decode("cp1252") == "30° · >"


def test_utf8_streams_are_unchanged_and_a_lone_surrogate_does_not_crash() -> None:
    raw, text = stream("utf-8")
    use_fallbacks(text)
    text.write("30° → ok \udce9")
    assert raw.getvalue().decode("utf-8") == "30° → ok ?"


def test_streams_without_reconfigure_are_left_alone() -> None:
    """pythonw on Windows has no standard output at all; a StringIO has nothing to encode."""
    use_fallbacks(io.StringIO())  # no error


def test_single_character_stand_ins_keep_tables_aligned() -> None:
    """Every stand-in but the degree sign is one character, so columns and boxes line up."""
    assert {char for char, stand_in in FALLBACKS.items() if len(stand_in) != 1} == {"°"}
    assert all(stand_in.isascii() for stand_in in FALLBACKS.values())


@given(st.text())
def test_any_text_becomes_ascii_and_ascii_is_untouched(text: str) -> None:
    result = ascii_fallback(text)
    assert result.isascii()
    if text.isascii():
        assert result == text
