"""Untrusted text (from protocol files, notes) must reach the terminal literally.

Control characters and escape sequences are rejected when a file is loaded;
Rich markup is escaped when it is shown (see `ui.literal`).
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and the C1 range (which includes CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def find_control_character(text: str) -> str | None:
    """The first forbidden control character in `text`, described for a person."""
    match = _CONTROL.search(text)
    if match is None:
        return None
    char = match.group()
    name = "escape (ESC)" if char == "\x1b" else f"U+{ord(char):04X}"
    return f"{name} at character {match.start() + 1}"


def strip_control_characters(text: str) -> str:
    """Remove control characters from text we did not write (journal notes)."""
    return _CONTROL.sub("", text)
