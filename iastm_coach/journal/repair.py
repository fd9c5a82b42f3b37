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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.errors import DataFileError
from iastm_coach.journal import records
from iastm_coach.journal.store import (
    CURRENT_SCHEMA,
    HEADER_LINE,
    RESERVED_FIELDS,
    CheckReport,
    JournalProblem,
    decode_lenient,
    field_line,
    fsync_directory,
    header_lines,
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
    from iastm_coach.journal.store import Journal

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
    if problem is None and values:
        problem = value_problem(kind, table)
    if problem is not None:
        return None, problem, 1
    return table, None, 1


def value_problem(kind: str, table: Mapping[str, Any]) -> str | None:
    """The first value of a complete *kind* record that iastm-coach cannot use, if any.

    Such a record stops the journal from loading (see `rows_from_text`), so
    for repair it is damage like a syntax error. Missing fields are not: the
    program reads such a record with defaults. Only current-schema records are
    looked at (older ones are checked once migrated, newer ones not at all).
    """
    if table.get("schema") != CURRENT_SCHEMA:
        return None
    data = {k: v for k, v in table.items() if k not in RESERVED_FIELDS}
    wrong = records.field_problems(kind, data, missing=False)
    return f"{kind} {table['id']}: {wrong[0]}" if wrong else None


def _judge(block: Block, *, values: bool) -> _Verdict:
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


# --- check -------------------------------------------------------------------------------


def check_journal(journal: Journal) -> CheckReport:
    """Every problem of every month file, plus permissions and oddities (as warnings).

    Nothing stops at the first problem: each file is read block by block when
    it does not parse, and each record's fields are checked against
    `records.FIELDS`. Each problem is listed once.
    """
    problems = journal.permission_problems()
    files = journal.month_files()
    seen: dict[str, tuple[Path, int | None]] = {}
    count = 0
    for path in files:
        file_problems, found = _check_file(path)
        for item in found:
            count += item.readable
            if item.id in seen:
                first, first_line = seen[item.id]
                where = first.name if first_line is None else f"{first.name}, line {first_line}"
                file_problems.append(
                    JournalProblem(
                        path, item.line, f"record id {item.id} also appears in {where}", "warning"
                    )
                )
                continue  # its oddities were said of the first copy
            seen[item.id] = (path, item.line)
            file_problems.extend(item.warnings)
        file_problems.sort(key=lambda p: -1 if p.line is None else p.line)
        problems.extend(file_problems)
    problems.extend(_stray_files(journal))
    return CheckReport(list(dict.fromkeys(problems)), count, len(files))


CHECK_VERSION: Final = 1  # `journal check --json`


def check_dict(report: CheckReport) -> dict[str, Any]:
    """`journal check --json`: `ok` is false when any problem is an error (exit 4); warnings
    alone keep it true. Each problem once, in the order `check` lists them."""
    problems = dict.fromkeys((str(p.file), p.line, p.severity, p.message) for p in report.problems)
    return {
        "check_version": CHECK_VERSION,
        "ok": not report.errors,
        "records": report.records,
        "files": report.files,
        "problems": [
            {"file": file, "line": line, "severity": severity, "message": message}
            for file, line, severity, message in problems
        ],
    }


@dataclass(frozen=True, slots=True)
class _Found:
    """A record `check` could read: its id and `[[kind]]` line, whether iastm-coach can
    use it, and what is odd about it (said once, of its first copy)."""

    id: str
    line: int | None
    readable: bool  # False when a value stops iastm-coach from using it
    warnings: list[JournalProblem]


def _check_file(path: Path) -> tuple[list[JournalProblem], list[_Found]]:
    """Problems in one month file, and each record whose id and time can be read."""
    problems: list[JournalProblem] = []
    found: list[_Found] = []
    try:
        raw = path.read_bytes()
    except OSError as error:
        return [JournalProblem(path, None, f"cannot be read ({error.strerror})")], found
    text = decode_lenient(raw)
    located: list[tuple[str, dict[str, Any], int | None]] = []
    document = _whole(text)
    if document is not None:
        lines = header_lines(text) if document else {}
        for kind, tables in document.items():
            kind_lines = lines.get(kind, [])
            for index, table in enumerate(tables):
                line = kind_lines[index] if index < len(kind_lines) else None
                located.append((kind, table, line))
    else:
        for block in split_blocks(text):
            verdict = _judge(block, values=False)  # values are checked below, field by field
            if verdict.bad:
                message = verdict.problem or "damaged"
                if verdict.good:
                    message += " (the complete record before it is kept by repair)"
                problems.append(
                    JournalProblem(path, block.line + verdict.problem_line - 1, message)
                )
                problems.extend(
                    JournalProblem(path, block.line + line - 1, later)
                    for line, later in _later_syntax_problems(block.text)
                )
            if verdict.table is not None and block.kind is not None:
                located.append((block.kind, verdict.table, block.line))
    text_lines: list[str] | None = None
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
            data = migrate(
                kind, schema, {k: v for k, v in table.items() if k not in RESERVED_FIELDS}
            )
        except Exception as error:  # a hand edit the migration cannot read
            problems.append(JournalProblem(path, line, f"cannot update record {rid}: {error}"))
            continue
        wrong = records.problems_by_field(kind, data)
        unknown = records.unknown_fields(kind, data)
        odd_at = _at_oddity(path, rid, at)
        if (wrong or unknown or odd_at) and text_lines is None:
            text_lines = text.split("\n")
        for field_problem in wrong:
            problems.append(
                JournalProblem(
                    path,
                    _line_of_field(text_lines, line, field_problem.field),
                    f"{kind} {rid}: {field_problem.message}",
                )
            )
        oddities: list[JournalProblem] = []
        if odd_at:
            oddities.append(
                JournalProblem(path, _line_of_field(text_lines, line, "at"), odd_at, "warning")
            )
        if kind not in records.FIELDS:
            oddities.append(
                JournalProblem(
                    path,
                    line,
                    f"record {rid} is of a kind iastm-coach does not know, [[{kind}]] (a typo, "
                    "or written by a newer iastm-coach?): it is kept but not used",
                    "warning",
                )
            )
        for name in unknown:
            oddities.append(
                JournalProblem(
                    path,
                    _line_of_field(text_lines, line, name),
                    f"{kind} {rid}: unknown field `{name}` (a typo, or written by a newer "
                    "iastm-coach?): it is kept but not used",
                    "warning",
                )
            )
        found.append(_Found(rid, line, all(p.missing for p in wrong), oddities))
    return problems, found


def _line_of_field(lines: Sequence[str] | None, header: int | None, name: str) -> int | None:
    if lines is None or header is None:
        return header
    return field_line(lines, header, name)


_LATER_SYNTAX_LIMIT: Final = 20


def _later_syntax_problems(text: str) -> list[tuple[int, str]]:
    """The syntax errors after the first one in a damaged block, as (line in *text*, message).

    tomllib stops at the first error; blanking the line it stopped at and
    parsing again finds the next one. This stops at a "Cannot ..." message (a
    key defined twice, usually because the blanked line was a broken
    `[[kind]]` line and two records ran together) and when the error does not
    move forward.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return []
    lines = text.split("\n")
    found: list[tuple[int, str]] = []
    last = 0
    for _ in range(_LATER_SYNTAX_LIMIT + 1):
        candidate = "\n".join(lines)
        try:
            tomllib.loads(candidate)
        except tomllib.TOMLDecodeError as error:
            line, message = toml_error_line(error, candidate)
        else:
            break
        if line <= last or line > len(lines) or (last and message.startswith("Cannot ")):
            break
        if last:
            found.append((line, message))
        last = line
        lines[line - 1] = ""
    return found


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


def _at_oddity(path: Path, rid: str, at: datetime) -> str | None:
    """What is odd about a record's `at`, in one message (or None): a time that is not
    the one in its id (a hand edit), a month file that is not the one of its time."""
    id_time = record_id_time(rid)
    changed = abs(at.astimezone(UTC) - id_time) >= timedelta(milliseconds=1)
    elsewhere = month_file_name(at) != path.name
    where = f"{month_file_name(at)} (history may show it out of order)"
    if changed:
        message = (
            f"record {rid}: `at` was changed to {at.isoformat()} from {id_time.isoformat()} "
            "(the time in its id)"
        )
        return f"{message}; it belongs in {where}" if elsewhere else message
    if elsewhere:
        return f"record {rid} has at = {at.isoformat()}, which belongs in {where}"
    return None


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
    text = decode_lenient(raw)
    document = _whole(text)
    if document is not None and all(
        record_problem(table) is None and value_problem(kind, table) is None
        for kind, tables in document.items()
        for table in tables
    ):
        return None
    good: list[str] = []
    bad: list[tuple[int, str]] = []  # (first line, text)
    for block in split_blocks(text):
        verdict = _judge(block, values=True)
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
