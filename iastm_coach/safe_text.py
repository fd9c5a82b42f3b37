"""Untrusted text (from protocol files, notes) must reach the terminal literally.

Control characters and escape sequences are rejected when a file is loaded;
Rich markup is escaped when it is shown (see `ui.literal`); whole documents printed
to standard output (a report) go through `terminal_safe`.
"""

from __future__ import annotations

import re
from typing import Final

NOTE_MAX: Final = 2000  # characters a note may have when typed or given as --note

# C0 controls except newline, DEL, the C1 range (which includes CSI), and the
# invisible characters that can disguise text: zero-width spaces and joiners,
# bidirectional overrides and isolates (U+202E can reverse what is displayed),
# line and paragraph separators, and the byte-order mark.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def find_control_character(text: str) -> str | None:
    """The first forbidden control character in `text`, described for a person."""
    match = _CONTROL.search(text)
    if match is None:
        return None
    char = match.group()
    names = {"\x1b": "escape (ESC)", "\t": "tab", "\u202e": "right-to-left override"}
    name = names.get(char, f"U+{ord(char):04X}")
    return f"{name} at character {match.start() + 1}"


def strip_control_characters(text: str) -> str:
    """Remove control characters from text we did not write (journal notes)."""
    return _CONTROL.sub("", text)


def note_too_long(note: str) -> str | None:
    """Why *note* is refused (too long), in words for people; None when it is fine."""
    if len(note) <= NOTE_MAX:
        return None
    return (
        f"Notes are kept to {NOTE_MAX:,} characters; this one has {len(note):,}. "
        "Shorten it, or keep the long text elsewhere and note where."
    )


_LINE_BREAKS = re.compile(r"(\r\n|\n|\t)")


def terminal_safe(text: str) -> str:
    """A document for standard output: control characters removed as in notes shown by
    `history` (no escape sequences, no invisible or direction characters), but newlines,
    CRLF (CSV) and tabs kept, so it is still the same document."""
    parts = _LINE_BREAKS.split(text)  # odd indexes: the separators, kept as they are
    return "".join(
        part if index % 2 else strip_control_characters(part) for index, part in enumerate(parts)
    )
