"""`journal check`: every problem of every month file, each with its file and line."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from iastm_coach.journal import records
from iastm_coach.journal.blocks import judge, split_blocks, whole_document
from iastm_coach.journal.files import read_regular
from iastm_coach.journal.format import (
    CURRENT_SCHEMA,
    RESERVED_FIELDS,
    Row,
    decode_lenient,
    field_line,
    header_lines,
    migrate,
    newer_schema_message,
    record_problem,
    row_shape_fits,
    toml_error_line,
    unheaded_message,
    unknown_kind_message,
)
from iastm_coach.journal.ids import month_file_name, record_id_ms, record_id_time
from iastm_coach.journal.parser import TOMLDecodeError, loads

if TYPE_CHECKING:  # the hash chain is imported when check runs, not at start-up
    from iastm_coach.journal.chain import Break, MonthChain
    from iastm_coach.journal.integrity import IntegrityResult


@dataclass(frozen=True, slots=True)
class JournalProblem:
    """Something `check` found. Errors stop the journal from loading; warnings do not."""

    file: Path
    line: int | None
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line is not None else f"{self.file}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything `Journal.check_report` found, and how much it read; `integrity` is the
    hash chain's verdict (its breaks are among the problems, as errors)."""

    problems: list[JournalProblem] = field(default_factory=list)
    records: int = 0
    files: int = 0
    integrity: IntegrityResult | None = None

    @property
    def errors(self) -> list[JournalProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[JournalProblem]:
        return [p for p in self.problems if p.severity == "warning"]


FUTURE_SLACK: Final = timedelta(days=1)  # time zones and small clock errors are not news


def check_journal(
    directory: Path,
    files: Sequence[Path],
    permission_problems: list[JournalProblem],
    *,
    now: datetime,
    cached_rows: Callable[[Path, bytes], Sequence[Row] | None] = lambda path, raw: None,
    clean: Callable[[Path, bytes, Sequence[Row]], None] = lambda path, raw, rows: None,
    chain_of: Callable[[Path, bytes], MonthChain] | None = None,
    fingerprints: Callable[[str], Collection[str]] = lambda name: (),
) -> CheckReport:
    """Every problem of every month file, plus permissions and oddities (as warnings).

    Nothing stops at the first problem: each file is read block by block when
    it does not parse, and each record's fields are checked against
    `records.FIELDS`. Each problem is listed once. A file that reads (*cached_rows*:
    the rows reading gives, from the parse cache when its exact bytes were parsed
    before, keyed by their SHA-256) is checked from those records; any change to the
    file changes the key, and it is parsed again. *clean* hears of each file whose rows
    passed every check (they can then be cached). A file reading refuses is read
    block by block to say where and why.

    The hash chain is verified from the same bytes (see `chain.py`): each break is an
    error, a break `journal repair` noted in `integrity.toml` a warning.
    """
    from iastm_coach.journal.chain import month_chain_of
    from iastm_coach.journal.integrity import read_head, read_ledger, verify

    chain_of = chain_of or (lambda path, raw: month_chain_of(raw))
    months: list[tuple[str, MonthChain]] = []
    problems = list(permission_problems)
    seen: dict[str, tuple[Path, _Found]] = {}
    count = 0
    for path in files:
        try:
            raw = read_regular(path)  # never a link, never a FIFO that would hang
        except OSError as error:
            problems.append(JournalProblem(path, None, f"cannot be read ({error.strerror})"))
            continue
        months.append((path.name, chain_of(path, raw)))
        rows = cached_rows(path, raw)
        checked = _check_cached(path, raw, rows, now) if rows is not None else None
        if checked is not None and rows is not None:
            clean(path, raw, rows)  # every value checked: the rows may be cached
        file_problems, found = checked if checked is not None else _check_file(path, raw, now)
        for item in found:
            count += item.readable
            if item.id in seen:
                first, first_item = seen[item.id]
                first_line = first_item.line
                where = first.name if first_line is None else f"{first.name}, line {first_line}"
                file_problems.append(
                    JournalProblem(
                        path, item.line, f"record id {item.id} also appears in {where}", "warning"
                    )
                )
                continue  # its oddities were said of the first copy
            seen[item.id] = (path, item)
            file_problems.extend(item.warnings)
        file_problems.sort(key=lambda p: -1 if p.line is None else p.line)
        problems.extend(file_problems)
    problems.extend(_stray_files(directory))
    integrity = verify(months, read_head(directory), read_ledger(directory), fingerprints)
    damaged = _damaged_records([p for p in problems if p.severity == "error"])
    problems.extend(
        problem
        for problem in integrity_problems(directory, integrity)
        if not (problem.message.startswith(_EDITED) and (problem.file, problem.line) in damaged)
    )
    return CheckReport(list(dict.fromkeys(problems)), count, len(files), integrity)


_EDITED: Final = "integrity: record "  # "... was changed after it was written"


def _damaged_records(errors: Sequence[JournalProblem]) -> set[tuple[Path, int]]:
    """(file, line of its `[[kind]]` line) of each record with an error in it: a record
    that is damage is said once, as damage, not also as changed (the chain says it)."""
    import bisect

    from iastm_coach.journal.chain import header_starts

    found: set[tuple[Path, int]] = set()
    for path in {p.file for p in errors if p.line is not None}:
        try:
            text = decode_lenient(path.read_bytes())
        except OSError:
            continue
        headers: list[int] = []
        line, counted = 1, 0
        for start in header_starts(text):
            line += text.count("\n", counted, start)
            counted = start
            headers.append(line)
        for problem in errors:
            if problem.file == path and problem.line is not None:
                at = bisect.bisect_right(headers, problem.line) - 1
                if at >= 0:
                    found.add((path, headers[at]))
    return found


def integrity_problems(directory: Path, integrity: IntegrityResult) -> list[JournalProblem]:
    """The chain's breaks as errors; breaks explained by `journal repair`, and a missing
    head, as warnings."""

    def where(item: Break) -> Path:
        return directory / item.file if item.file else directory

    found = [
        JournalProblem(where(item), item.line, f"integrity: {item.message}")
        for item in integrity.breaks
    ]
    found.extend(
        JournalProblem(
            where(item),
            item.line,
            f"integrity: {item.message}" + ("" if item.message.endswith(how) else f" ({how})"),
            "warning",
        )
        for item, how in integrity.explained
    )
    found.extend(
        JournalProblem(where(item), item.line, f"integrity: {item.message}", "warning")
        for item in integrity.notes
    )
    return found


CHECK_VERSION: Final = 1  # `journal check --json`


def check_dict(report: CheckReport) -> dict[str, Any]:
    """`journal check --json`: `ok` is false when any problem is an error (exit 4); warnings
    alone keep it true. Each problem once, in the order `check` lists them; `integrity` is
    the hash chain's verdict ("verified", "broken", "unchained" or "empty", and in words)."""
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
        "integrity": None
        if report.integrity is None
        else {
            "status": report.integrity.status,
            "verified": report.integrity.verified,
            "text": report.integrity.text,
        },
    }


@dataclass(frozen=True, slots=True)
class _Found:
    """A record `check` could read: its id and `[[kind]]` line (found when needed),
    whether iastm-coach can use it, and what is odd about it (said once, of its first copy)."""

    id: str
    where: Callable[[], int | None]
    readable: bool  # False when a value stops iastm-coach from using it
    warnings: list[JournalProblem]

    @property
    def line(self) -> int | None:
        line: int | None = self.where()
        return line


def _check_file(path: Path, raw: bytes, now: datetime) -> tuple[list[JournalProblem], list[_Found]]:
    """Problems in one month file, and each record whose id and time can be read."""
    problems: list[JournalProblem] = []
    found: list[_Found] = []
    text = decode_lenient(raw)
    located: list[tuple[str, dict[str, Any], int | None]] = []
    document = whole_document(text)
    if document is not None:
        lines = header_lines(text) if document else {}
        for kind, tables in document.items():
            kind_lines = lines.get(kind, [])
            if len(tables) != len(kind_lines):
                problems.append(JournalProblem(path, None, unheaded_message(kind)))
            for index, table in enumerate(tables):
                line = kind_lines[index] if index < len(kind_lines) else None
                located.append((kind, table, line))
    else:
        for block in split_blocks(text):
            verdict = judge(block, values=False)  # values are checked below, field by field
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
    file_lines = _Lines(text)
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
        found.append(
            _record_findings(path, kind, rid, at, data, _Known(line), file_lines, now, problems)
        )
    return problems, found


def _check_cached(
    path: Path, raw: bytes, rows: Sequence[Row], now: datetime
) -> tuple[list[JournalProblem], list[_Found]] | None:
    """Problems in a month file whose parse is in the cache, from the cached rows: each
    record's fields are checked again (a forged cache gets no pass), and the text is only
    looked at for the line numbers of what is found. None when a row is not a record
    reading could have given (a forged or stale cache): the file is then checked from its
    text."""
    if not all(row_shape_fits(row) for row in rows):
        return None
    problems: list[JournalProblem] = []
    file_lines = _Lines(decode_lenient(raw))
    found = [
        _record_findings(path, kind, rid, at, data, _Nth(file_lines, n), file_lines, now, problems)
        for n, (kind, rid, at, _schema, data) in enumerate(rows)
    ]
    if problems:  # reading accepted these rows: a cache that says otherwise is not the file
        return None
    return problems, found


class _Lines:
    """The lines of one file's text, split (and its headers found) only when a message
    needs a line number: a healthy journal is checked without either."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._split: list[str] | None = None
        self._headers: list[int] | None = None

    def split(self) -> list[str]:
        if self._split is None:
            self._split = self.text.split("\n")
        return self._split

    def header(self, n: int) -> int | None:
        """The line of the *n*-th `[[kind]]` header (records are in file order)."""
        if self._headers is None:
            self._headers = sorted(
                line for lines in header_lines(self.text).values() for line in lines
            )
        return self._headers[n] if n < len(self._headers) else None


class _Known:
    __slots__ = ("line",)

    def __init__(self, line: int | None) -> None:
        self.line = line

    def __call__(self) -> int | None:
        return self.line


class _Nth:
    __slots__ = ("lines", "n")

    def __init__(self, lines: _Lines, n: int) -> None:
        self.lines, self.n = lines, n

    def __call__(self) -> int | None:
        return self.lines.header(self.n)


def _record_findings(
    path: Path,
    kind: str,
    rid: str,
    at: datetime,
    data: Mapping[str, Any],
    where: Callable[[], int | None],
    file_lines: _Lines,
    now: datetime,
    problems: list[JournalProblem],
) -> _Found:
    """Check one record's kind and fields against `records.FIELDS` (its errors go into
    *problems*); the record as found, with its warnings."""
    wrong = records.problems_by_field(kind, data)
    unknown = records.unknown_fields(kind, data)
    odd_at = _at_oddity(path, rid, at)
    future = at - now > FUTURE_SLACK
    if not (wrong or unknown or odd_at or future or kind not in records.FIELDS):
        return _Found(rid, where, True, [])
    line = where()
    text_lines = file_lines.split()
    if kind not in records.FIELDS:
        problems.append(JournalProblem(path, line, unknown_kind_message(kind, rid)))
    for field_problem in wrong:
        if field_problem.missing:
            continue  # read with its default: a warning, below
        problems.append(
            JournalProblem(
                path,
                _line_of_field(text_lines, line, field_problem.field),
                f"{kind} {rid}: {field_problem.message}",
            )
        )
    oddities: list[JournalProblem] = [
        JournalProblem(
            path,
            _line_of_field(text_lines, line, field_problem.field),
            f"{kind} {rid}: {field_problem.message}; it is read without it",
            "warning",
        )
        for field_problem in wrong
        if field_problem.missing
    ]
    if odd_at:
        oddities.append(
            JournalProblem(path, _line_of_field(text_lines, line, "at"), odd_at, "warning")
        )
    if future:
        oddities.append(
            JournalProblem(
                path,
                _line_of_field(text_lines, line, "at"),
                f"record {rid} is dated {at.isoformat()}, more than a day after now "
                f"({now.isoformat(timespec='minutes')}): was the clock wrong? Its rest "
                "periods and holds count from that date; correct `at` by hand if it is wrong",
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
    readable = kind in records.FIELDS and all(p.missing for p in wrong)
    return _Found(rid, where, readable, oddities)


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
            loads(candidate)
        except TOMLDecodeError as error:
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


@functools.cache
def _month_span(name: str) -> tuple[float, float]:
    """The POSIX timestamps a `YYYY-MM.toml` file's records fall in: [start, end)."""
    year, month = int(name[:4]), int(name[5:7])
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start.timestamp(), end.timestamp()


def _at_oddity(path: Path, rid: str, at: datetime) -> str | None:
    """What is odd about a record's `at`, in one message (or None): a time that is not
    the one in its id (a hand edit), a month file that is not the one of its time."""
    # The usual answer (nothing odd) in plain numbers: `journal check` asks for every record.
    stamp = at.timestamp()
    start, end = _month_span(path.name)
    if start <= stamp < end and abs(stamp * 1000 - record_id_ms(rid)) < 0.999:
        return None
    id_time = record_id_time(rid)
    changed = abs(at - id_time) >= timedelta(milliseconds=1)
    utc = at.astimezone(UTC)
    elsewhere = f"{utc.year:04d}-{utc.month:02d}.toml" != path.name
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


def _stray_files(directory: Path) -> list[JournalProblem]:
    found: list[JournalProblem] = []
    try:
        names = sorted(p.name for p in directory.iterdir())
    except FileNotFoundError:
        return found
    for name in names:
        if name.startswith(".") and name.endswith(".tmp"):
            found.append(
                JournalProblem(
                    directory / name,
                    None,
                    "left over from an interrupted rewrite; the month file itself is intact, "
                    "so this copy can be deleted",
                    "warning",
                )
            )
        elif ".toml.damaged-" in name:
            found.append(
                JournalProblem(
                    directory / name,
                    None,
                    "damaged text moved aside by `journal repair`: copy anything you need back by "
                    "hand, then delete it",
                    "warning",
                )
            )
    return found
