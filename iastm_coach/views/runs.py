"""Styled text as data, before it is drawn: the table and listing views build these,
`output.render` turns them into terminal escapes (or plain text)."""

from __future__ import annotations

Run = tuple[str, str]  # (text, style): style is "" or Rich-like words, e.g. "bold red"
Cell = tuple[Run, ...]
Line = list[Run]
