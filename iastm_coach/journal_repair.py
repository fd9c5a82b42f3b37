"""Finding and moving aside damage in journal files: `journal check` and `journal repair`.

A month file is read as blocks: each `[[kind]]` header line starts one, and
any text before the first header is a block of its own. The journal writes a
record as one block that ends with its `schema` line (see `journal.py`), so a
block that parses on its own into one complete record is kept, and anything
else is damage. A damaged block that begins with a complete record (a torn
header left by a crash, glued to the end of the record before it) keeps that
record and moves only the rest.

Repair copies the damaged text, byte for byte (under a comment saying which
lines it was), into `YYYY-MM.toml.damaged-<UTC timestamp>` next to the month
file, fsyncs it, and only then replaces
the month file with everything else (temporary file, fsync, atomic rename).
Nothing is deleted: the side file and the new month file hold every byte of
the old one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.errors import DataFileError
from iastm_coach.journal import (
    CURRENT_SCHEMA,
    HEADER_LINE,
    CheckReport,
    JournalProblem,
    fsync_directory,
    migrate,
    month_file_name,
    newer_schema_message,
    record_id_time,
    record_problem,
    replace_file,
    stamp_name,
    toml_error_line,
    write_new_file,
)

if TYPE_CHECKING:
    from iastm_coach.journal import Journal

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
        (m.start(), m.group(1)) for m in HEADER_LINE.finditer(text)
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


def _parse(text: str, kind: str | None) -> tuple[dict[str, Any] | None, str | None, int]:
    """(record table, problem, line of the problem within *text*)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return None, "bytes that are not UTF-8 text", text.count("\n", 0, error.start) + 1
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
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
    if problem is not None:
        return None, problem, 1
    return table, None, 1


def _judge(block: Block) -> _Verdict:
    table, problem, line = _parse(block.text, block.kind)
    if problem is None:
        return _Verdict(block.text, "", None, 0, table)
    lines = block.text.splitlines(keepends=True)
    if len(lines) <= _PREFIX_TRIES:
        lowest = 0 if block.kind is None else 1
        for keep in range(len(lines) - 1, lowest - 1, -1):
            prefix = "".join(lines[:keep])
            prefix_table, prefix_problem, _ = _parse(prefix, block.kind)
            if prefix_problem is None:
                return _Verdict(prefix, block.text[len(prefix) :], problem, keep + 1, prefix_table)
    return _Verdict("", block.text, problem, line, None)


# --- check -------------------------------------------------------------------------------


def check_journal(journal: Journal) -> CheckReport:
    """Every problem of every month file, plus permissions and oddities (as warnings)."""
    problems = journal.permission_problems()
    files = journal.month_files()
    seen: dict[str, Path] = {}
    count = 0
    for path in files:
        file_problems, found = _check_file(path)
        problems.extend(file_problems)
        for rid, kind_line in found:
            count += 1
            if rid in seen:
                problems.append(
                    JournalProblem(
                        path,
                        kind_line,
                        f"record id {rid} also appears in {seen[rid].name}",
                        "warning",
                    )
                )
            else:
                seen[rid] = path
    problems.extend(_stray_files(journal))
    return CheckReport(problems, count, len(files))


def _check_file(path: Path) -> tuple[list[JournalProblem], list[tuple[str, int | None]]]:
    """Problems in one month file, and (id, line) of each readable record."""
    problems: list[JournalProblem] = []
    found: list[tuple[str, int | None]] = []
    try:
        raw = path.read_bytes()
    except OSError as error:
        return [JournalProblem(path, None, f"cannot be read ({error.strerror})")], found
    text = raw.decode("utf-8", "surrogateescape")
    located: list[tuple[str, dict[str, Any], int | None]] = []
    document = _whole(text)
    if document is not None:
        lines: dict[str, list[int]] | None = None
        for kind, tables in document.items():
            for index, table in enumerate(tables):
                if lines is None:
                    from iastm_coach.journal import header_lines

                    lines = header_lines(text)
                kind_lines = lines.get(kind, [])
                line = kind_lines[index] if index < len(kind_lines) else None
                located.append((kind, table, line))
    else:
        for block in split_blocks(text):
            verdict = _judge(block)
            if verdict.bad:
                message = verdict.problem or "damaged"
                if verdict.good:
                    message += " (the complete record before it is kept by repair)"
                problems.append(
                    JournalProblem(path, block.line + verdict.problem_line - 1, message)
                )
            if verdict.table is not None and block.kind is not None:
                located.append((block.kind, verdict.table, block.line))
    for kind, table, line in located:
        problem = record_problem(table)
        if problem is not None:
            problems.append(JournalProblem(path, line, problem))
            continue
        rid, at, schema = table["id"], table["at"], table["schema"]
        if schema > CURRENT_SCHEMA:
            problems.append(
                JournalProblem(path, line, f"record {rid} was {newer_schema_message(schema)}")
            )
            continue
        try:
            migrate(
                kind, schema, {k: v for k, v in table.items() if k not in ("id", "at", "schema")}
            )
        except Exception as error:  # a hand edit the migration cannot read
            problems.append(JournalProblem(path, line, f"cannot update record {rid}: {error}"))
            continue
        found.append((rid, line))
        problems.extend(_placement_warnings(path, line, rid, at))
    return problems, found


def _whole(text: str) -> dict[str, list[dict[str, Any]]] | None:
    """The parsed file when it parses and is only arrays of tables, else None."""
    try:
        text.encode("utf-8")
        document = tomllib.loads(text)
    except (UnicodeEncodeError, tomllib.TOMLDecodeError):
        return None
    for tables in document.values():
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            return None
    return document


def _placement_warnings(
    path: Path, line: int | None, rid: str, at: datetime
) -> list[JournalProblem]:
    found: list[JournalProblem] = []
    if month_file_name(at) != path.name:
        found.append(
            JournalProblem(
                path,
                line,
                f"record {rid} has at = {at.isoformat()}, which belongs in "
                f"{month_file_name(at)} (history may show it out of order)",
                "warning",
            )
        )
    id_time = record_id_time(rid)
    if abs(at.astimezone(UTC) - id_time) >= timedelta(milliseconds=1):
        found.append(
            JournalProblem(
                path,
                line,
                f"record {rid}: `at` was changed from {id_time.isoformat()} (the time in its id)",
                "warning",
            )
        )
    return found


def _stray_files(journal: Journal) -> list[JournalProblem]:
    found: list[JournalProblem] = []
    try:
        names = sorted(p.name for p in journal.directory.iterdir())
    except FileNotFoundError:
        return found
    for name in names:
        if name.startswith(".") and name.endswith(".tmp"):
            found.append(
                JournalProblem(
                    journal.directory / name,
                    None,
                    "left over from an interrupted rewrite; the month file itself is intact, "
                    "so this copy can be deleted",
                    "warning",
                )
            )
        elif ".toml.damaged-" in name:
            found.append(
                JournalProblem(
                    journal.directory / name,
                    None,
                    "damaged text moved aside by `journal repair`: copy anything you need back by "
                    "hand, then delete it",
                    "warning",
                )
            )
    return found


# --- repair ------------------------------------------------------------------------------


def repair_journal(journal: Journal, *, now: datetime | None) -> list[Path]:
    """Move the damage of every month file aside (the caller holds the lock)."""
    written: list[Path] = []
    for path in journal.month_files():
        side = _repair_file(path, now)
        if side is not None:
            written.append(side)
    return written


def _repair_file(path: Path, now: datetime | None) -> Path | None:
    raw = path.read_bytes()
    text = raw.decode("utf-8", "surrogateescape")
    document = _whole(text)
    if document is not None and all(
        record_problem(table) is None for tables in document.values() for table in tables
    ):
        return None
    good: list[str] = []
    bad: list[tuple[int, str]] = []  # (first line, text)
    for block in split_blocks(text):
        verdict = _judge(block)
        if verdict.good:
            good.append(verdict.good if verdict.good.endswith("\n") else verdict.good + "\n")
        if verdict.bad:
            bad.append((block.line + verdict.good.count("\n"), verdict.bad))
    if not bad:
        raise DataFileError(
            f"The journal file {path} cannot be read, but no single record in it is damaged; "
            "it needs a fix by hand (the message of `iastm-coach journal check` says where)."
        )
    assert len("".join(good)) + len("".join(b for _, b in bad)) >= len(text)
    kept = "".join(good)
    if _whole(kept) is None:
        raise DataFileError(
            f"The journal file {path} could not be repaired automatically; "
            "`iastm-coach journal check` says where it is damaged: fix that by hand."
        )
    side = stamp_name(path, "damaged", now)
    write_new_file(side, _side_text(path, bad, now))
    replace_file(path, kept.encode("utf-8", "surrogateescape"))
    fsync_directory(path.parent)
    return side


def _side_text(path: Path, bad: list[tuple[int, str]], now: datetime | None) -> bytes:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    parts = [
        f"# Damaged text moved out of {path.name} by `iastm-coach journal repair` "
        f"on {moment:%Y-%m-%d %H:%M} UTC.\n"
        "# Everything else in that file was kept. Copy back what you need by hand.\n"
    ]
    for line, chunk in bad:
        last = line + chunk.count("\n") - (1 if chunk.endswith("\n") else 0)
        parts.append(f"\n# --- was lines {line}-{last} ---\n")
        parts.append(chunk if chunk.endswith("\n") else chunk + "\n")
    return "".join(parts).encode("utf-8", "surrogateescape")
