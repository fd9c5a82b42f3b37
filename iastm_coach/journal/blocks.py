"""A month file as blocks: each `[[kind]]` header line starts one, and any text before
the first header is a block of its own. The journal writes a record as one block that
ends with its `schema` line (see `store.py`), so a block that parses on its own into one
complete, usable record is kept, and anything else is damage. A damaged block that
begins with a complete record (a torn header left by a crash, glued to the end of the
record before it) keeps that record. `check.py` reports the damage, `repair.py` moves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from iastm_coach.journal import records
from iastm_coach.journal.format import (
    CURRENT_SCHEMA,
    HEADER_LINE,
    RESERVED_FIELDS,
    record_problem,
    toml_error_line,
)
from iastm_coach.journal.parser import TOMLDecodeError, loads

_PREFIX_TRIES: Final = 400  # lines; a damaged block longer than this is moved whole


@dataclass(frozen=True, slots=True)
class Block:
    """One `[[kind]]` block (or the text before the first one) of a month file."""

    kind: str | None  # None: the text before the first header
    start: int  # character offsets into the file's text
    end: int
    line: int  # 1-based line of its first character
    text: str


def split_blocks(text: str) -> list[Block]:
    """The blocks of *text*, in order; they cover it exactly."""
    bounds: list[tuple[int, str | None]] = [
        (m.start(), m.group("kind")) for m in HEADER_LINE.finditer(text)
    ]
    if not bounds or bounds[0][0] > 0:
        bounds.insert(0, (0, None))
    blocks: list[Block] = []
    line = 1
    for n, (start, kind) in enumerate(bounds):
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(text)
        chunk = text[start:end]
        blocks.append(Block(kind, start, end, line, chunk))
        line += chunk.count("\n")
    return blocks


@dataclass(frozen=True, slots=True)
class _Verdict:
    good: str  # the leading part that is fine (all of it, or a complete record)
    bad: str  # the rest
    problem: str | None  # why `bad` is damage
    problem_line: int  # 1-based, within the block
    table: dict[str, Any] | None  # the record in `good`, for header blocks


def _parse(
    text: str, kind: str | None, values: bool
) -> tuple[dict[str, Any] | None, str | None, int]:
    """(record table, problem, line of the problem within *text*).

    With *values*, a record whose values iastm-coach cannot use is a problem too.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return None, "bytes that are not UTF-8 text", text.count("\n", 0, error.start) + 1
    try:
        document = loads(text)
    except TOMLDecodeError as error:
        line, message = toml_error_line(error, text)
        return None, message, line
    if kind is None:
        if document:
            return None, "text outside any [[record]] (it must come after a [[kind]] line)", 1
        return None, None, 1
    tables = document.get(kind)
    if set(document) != {kind} or not isinstance(tables, list) or len(tables) != 1:
        return None, f"this [[{kind}]] block holds more than one record or a stray table", 1
    table = tables[0]
    if not isinstance(table, dict):
        return None, f"[[{kind}]] is not a table", 1
    problem = record_problem(table)
    if problem is None and values:
        problem = value_problem(kind, table)
    if problem is not None:
        return None, problem, 1
    return table, None, 1


def value_problem(kind: str, table: Mapping[str, Any]) -> str | None:
    """The first value of a complete *kind* record that iastm-coach cannot use, if any.

    Such a record stops the journal from loading (see `rows_from_text`), so
    for repair it is damage like a syntax error. Absent fields are not: the
    program reads most with defaults, and a record without an essential field
    (a hold without its region), like a record of an unknown kind, is left for a
    fix by hand, because moving it aside would silently lift a hold. Only
    current-schema records are looked at (older ones are checked once migrated,
    newer ones not at all).
    """
    if table.get("schema") != CURRENT_SCHEMA:
        return None
    data = {k: v for k, v in table.items() if k not in RESERVED_FIELDS}
    wrong = [p for p in records.problems_by_field(kind, data, missing=False) if not p.incomplete]
    return f"{kind} {table['id']}: {wrong[0].message}" if wrong else None


def judge(block: Block, *, values: bool) -> _Verdict:
    table, problem, line = _parse(block.text, block.kind, values)
    if problem is None:
        return _Verdict(block.text, "", None, 0, table)
    lines = block.text.splitlines(keepends=True)
    if len(lines) <= _PREFIX_TRIES:
        lowest = 0 if block.kind is None else 1
        for keep in range(len(lines) - 1, lowest - 1, -1):
            prefix = "".join(lines[:keep])
            prefix_table, prefix_problem, _ = _parse(prefix, block.kind, values)
            if prefix_problem is None:
                return _Verdict(prefix, block.text[len(prefix) :], problem, keep + 1, prefix_table)
    return _Verdict("", block.text, problem, line, None)


def whole_document(text: str) -> dict[str, list[dict[str, Any]]] | None:
    """The parsed file when it parses and is only arrays of tables, else None."""
    try:
        text.encode("utf-8")
        document = loads(text)
    except (UnicodeEncodeError, TOMLDecodeError):
        return None
    for tables in document.values():
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            return None
    return document
