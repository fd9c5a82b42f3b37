"""Output a terminal cannot encode: a readable ASCII stand-in, never a crash.

With `LC_ALL=C` and UTF-8 mode off, or a Windows code page (cp1252, cp437),
standard output cannot encode "°", "·" or "→", and Python's default is to
raise UnicodeEncodeError — in the middle of a session, before it is saved.
`use_fallbacks` makes the standard streams write "deg", "-" or ">" instead,
and "?" for anything else. Only the codec's error path runs this, so UTF-8
terminals pay nothing.
"""

from __future__ import annotations

import codecs
from typing import Final, TextIO

ERRORS: Final = "iastm-fallback"

# One character for one wherever the meaning survives, so tables and boxes stay aligned;
# degrees read better as "deg" than as any single letter.
FALLBACKS: Final = {
    "°": " deg",
    "·": "-",
    "•": "*",
    "●": "o",
    "→": ">",
    "←": "<",
    "–": "-",
    "—": "-",
    "−": "-",
    "…": ".",
    "×": "x",
    "§": "#",
    "█": "#",
    "░": ".",
    "─": "-",
    "│": "|",
    "┬": "+",
    "└": "+",
    "é": "e",
    "è": "e",
    "ü": "u",
    "ö": "o",
    "ä": "a",
    "\u00a0": " ",
}


def ascii_fallback(text: str) -> str:
    """*text* with every non-ASCII character replaced by its stand-in, or "?"."""
    return "".join(FALLBACKS.get(char, "?") if ord(char) > 127 else char for char in text)


def _handle(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return ascii_fallback(error.object[error.start : error.end]), error.end


codecs.register_error(ERRORS, _handle)


def use_fallbacks(*streams: TextIO) -> None:
    """Make each text stream write stand-ins for what its encoding cannot hold."""
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=ERRORS)
