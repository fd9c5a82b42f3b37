"""Text a person typed, whatever their terminal's encoding: always storable, never lost.

A terminal set to Latin-1 sends "é" as the single byte 0xE9, which is not UTF-8.
Python then either fails to read the line (a UTF-8 locale: UnicodeDecodeError) or
keeps the byte as a lone surrogate ("\\udce9", under `LC_ALL=C` and for command-line
arguments), which no UTF-8 file can hold — and the answers given so far would be
lost with "internal error". Here bytes that are valid UTF-8 are read as UTF-8 and
any other byte as Windows-1252 (a superset of Latin-1 for letters), so "café" typed
in either kind of terminal is stored as "café".
"""

from __future__ import annotations

import codecs
from typing import IO, Final

ERRORS: Final = "iastm-typed"
_ESCAPED_LOW, _ESCAPED_HIGH = 0xDC80, 0xDCFF  # how surrogateescape keeps a stray byte


def _byte_text(byte: int) -> str:
    """One byte that is not UTF-8: its Windows-1252 letter, else its Latin-1 one."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: Latin-1 control characters


def _handle(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    data = bytes(error.object)
    # A codec narrower than UTF-8 (ASCII) reports a valid UTF-8 sequence as an error too.
    for width in (2, 3, 4):
        try:
            return data[error.start : error.start + width].decode("utf-8"), error.start + width
        except UnicodeDecodeError:
            continue
    return _byte_text(data[error.start]), error.start + 1


codecs.register_error(ERRORS, _handle)


def decode_typed(data: bytes) -> str:
    """*data* as text: UTF-8 where it is, Windows-1252 byte by byte where it is not."""
    return data.decode("utf-8", ERRORS)


def repair(text: str) -> str:
    """*text* with no lone surrogates: bytes kept by surrogateescape are decoded as
    `decode_typed` would; any other lone surrogate becomes U+FFFD."""
    if not any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        return text
    parts: list[str] = []
    pending = bytearray()
    for char in text:
        code = ord(char)
        if _ESCAPED_LOW <= code <= _ESCAPED_HIGH:
            pending.append(code - 0xDC00)
            continue
        if pending:
            parts.append(decode_typed(bytes(pending)))
            pending.clear()
        if 0xD800 <= code <= 0xDFFF:
            parts.append("\ufffd")
        else:
            parts.append(char)
    if pending:
        parts.append(decode_typed(bytes(pending)))
    return "".join(parts)


def read_typed(stream: IO[str]) -> None:
    """Make *stream* decode what a person types with `decode_typed` (no error, no surrogate)."""
    reconfigure = getattr(stream, "reconfigure", None)
    encoding = str(getattr(stream, "encoding", "") or "")
    if reconfigure is None:
        return
    try:
        if codecs.lookup(encoding).name in {"utf-8", "ascii"}:
            reconfigure(errors=ERRORS)
    except (LookupError, ValueError, OSError):
        pass  # an unknown or detached stream: `repair` still cleans each line read
