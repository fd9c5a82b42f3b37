"""The journal: a private, append-only log of TOML records, one file per month.

Layout: `<directory>/YYYY-MM.toml` (the UTC month of each record's `at`), each
an array of tables per record kind (`[[session]]`, `[[checkin]]`, ...). A record
is written as one block::

    [[session]]
    id = "01HV5XQ3S8B0Q2T1WJ9YJ2K4ZD"
    at = 2024-04-12T18:05:31.204000+02:00
    region = "calf"
    areas = [
        { name = "medial gastrocnemius", planned_s = 60, actual_s = 60, status = "done" },
    ]
    schema = 1

Every value is rendered by tomli-w; nested tables are written inline so that a
record is one self-contained block and `schema` is always its last line. That
is what makes a torn write detectable: a record cut short anywhere before its
final line has no `schema` (or does not parse at all), so it is reported
instead of being read as a record with missing fields.

Torn writes: an append never makes damage worse and never loses the record
being written. Under the lock, the append looks at the last byte of the month
file and starts its record on a fresh line after a blank one, so a torn tail
left by a crash (power loss, SIGKILL) stays a block of its own: reading that
month raises `DataFileError` (file and line) until `iastm-coach journal repair`
moves the torn block into a side file, and the new record is kept by repair
like every other complete record. See `journal_repair.py`.

Reading: `recent` walks month files newest first and stops once it has
enough; `scan` streams month by month. Parsing TOML is the slow part (about
3-4 MB/s with tomllib), so each month's parse is cached, disposable and
private, in `<directory>/.cache/`, keyed by the SHA-256 of the file's bytes: an
unchanged month is never parsed twice, a month that only grew by appends
parses just the new blocks, and any other change (a hand edit) means a full
parse. Deleting `.cache` is always safe.

Values: when a month is parsed, the fields each record has are checked
against `records.FIELDS` (types, ranges, choices; missing and unknown fields
are left to `journal check`). A value iastm-coach cannot use, typically a hand
edit such as `soreness = 15`, raises `DataFileError` (file, line of the field,
exit 4) exactly like a syntax error, so no reader ever shows or counts it. The
cache only holds checked rows, so this costs a few microseconds per record
parsed and nothing on a cache hit.

Only the standard library and tomli-w are imported here (tomli-w, hashlib and
pickle lazily): start-up time matters.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import threading
import tomllib
import warnings
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from iastm_coach.errors import CoachError, DataFileError, UsageError
from iastm_coach.journal import records
from iastm_coach.paths import binary

CURRENT_SCHEMA: Final = 1
"""The record schema this code writes. Older records are migrated on read."""

Migration = Callable[[str, dict[str, Any]], dict[str, Any]]


def _from_schema_0(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Schema 0 → 1.

    Schema 0 never shipped in a release: it names the development snapshots,
    whose records had the same fields. The entry is kept as the template every
    real migration follows (take the kind and the fields of version N, return
    the fields of version N + 1) and is what the tests exercise.
    """
    return data


MIGRATIONS: Final[dict[int, Migration]] = {0: _from_schema_0}
"""`MIGRATIONS[n]` turns the fields of a schema-n record into schema n + 1."""

RESERVED_FIELDS: Final = frozenset({"id", "at", "schema"})
CHECK_HINT: Final = (
    "Run `iastm-coach journal check` to list every problem; "
    "`iastm-coach journal repair` moves damaged text aside and keeps the rest."
)
LOCK_NAME: Final = ".lock"
LOCK_TIMEOUT_S: Final = 30.0
DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600

MONTH_FILE = re.compile(r"(\d{4})-(\d{2})\.toml")
KIND_PATTERN: Final = "[A-Za-z0-9_-]+"
HEADER_PATTERN: Final = (
    r"""^[ \t]*\[\[[ \t]*(?P<quote>["']?)(?P<kind>""" + KIND_PATTERN + r""")(?P=quote)[ \t]*\]\]"""
    r"[ \t]*(?:#[^\n]*)?\r?$"
)
HEADER_LINE: Final = re.compile(HEADER_PATTERN, re.MULTILINE)
"""A `[[kind]]` line as a hand edit may leave it: indented, spaced, quoted, commented, CRLF.

Every record must start with one (`rows_from_text` refuses a record that does not), so
this one pattern is what check, repair and the line numbers of every message rely on."""
BOM: Final = "\ufeff"  # Windows editors may start a UTF-8 file with it; it is ignored
_KIND = re.compile(r"[a-z][a-z0-9_]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_ERROR_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


# --- records and ids ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One journal record.

    `id` sorts like `at` (to the millisecond); `schema` is the version of
    `data` as returned, i.e. `CURRENT_SCHEMA` once older records are migrated.
    `data` is shared with the journal's in-memory cache: treat it as read-only.
    """

    kind: str
    id: str
    at: datetime
    schema: int
    data: Mapping[str, Any]


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
    """Everything `Journal.check_report` found, and how much it read."""

    problems: list[JournalProblem] = field(default_factory=list)
    records: int = 0
    files: int = 0

    @property
    def errors(self) -> list[JournalProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[JournalProblem]:
        return [p for p in self.problems if p.severity == "warning"]


class JournalPermissionWarning(UserWarning):
    """The journal directory or a journal file can be read by other users."""


_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_VALUE: Final = {char: value for value, char in enumerate(_CROCKFORD)}
ID_PATTERN: Final = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
_RANDOM_BITS: Final = 80


def _encode_base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class _IdGenerator:
    """ULID-style ids: 48 bits of milliseconds since the epoch, then 80 random bits.

    Within one process, ids for the same millisecond count up from the first
    one's random part, so they stay unique and in the order they were made.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def new(self, ms: int) -> str:
        with self._lock:
            if ms == self._last_ms and self._last_random + 1 < 2**_RANDOM_BITS:
                random_part = self._last_random + 1
            else:
                # One bit of headroom so counting up cannot overflow in practice.
                random_part = int.from_bytes(os.urandom(10), "big") >> 1
            self._last_ms, self._last_random = ms, random_part
        return _encode_base32(ms, 10) + _encode_base32(random_part, 16)


_ids = _IdGenerator()


def _epoch_ms(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def new_record_id(at: datetime) -> str:
    """A fresh id for a record written at *at* (tz-aware); ids sort like their times."""
    _require_aware(at, "at")
    ms = _epoch_ms(at)
    if not 0 <= ms < 2**48:
        raise ValueError(f"at={at.isoformat()} is outside the range a journal id can hold")
    return _ids.new(ms)


def is_record_id(text: str) -> bool:
    return ID_PATTERN.fullmatch(text) is not None


def record_id_time(record_id: str) -> datetime:
    """The UTC time (to the millisecond) encoded in *record_id*."""
    if not is_record_id(record_id):
        raise ValueError(f'"{record_id}" is not a journal record id')
    ms = 0
    for char in record_id[:10]:
        ms = ms * 32 + _CROCKFORD_VALUE[char]
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def month_file_name(moment: datetime) -> str:
    """`YYYY-MM.toml` for the UTC month of *moment*."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}.toml"


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _next_month_start(year: int, month: int) -> datetime:
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


# --- values and rendering ----------------------------------------------------------------


def _require_aware(moment: object, name: str) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be time zone-aware (got the naive {moment.isoformat()})")


def _normalize(value: Any, where: str) -> Any:
    """A TOML-friendly deep copy of *value* (lists for tuples, dicts for mappings)."""
    if isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"{where}: {value} does not fit in a TOML integer (64 bits)")
        return int(value)
    if isinstance(value, str):
        _require_utf8(value, where)
        return value
    if isinstance(value, datetime):
        _require_aware(value, where)
        offset = value.utcoffset()
        if offset is not None and (offset.seconds % 60 or offset.microseconds):
            raise ValueError(f"{where}: TOML offsets are whole minutes (got {offset})")
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        raise TypeError(f"{where}: a time of day without a date; store a tz-aware datetime")
    if isinstance(value, Mapping):
        table: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: table keys must be strings, not {key!r}")
            _require_utf8(key, where)
            table[key] = _normalize(item, f"{where}.{key}")
        return table
    if isinstance(value, list | tuple):
        return [_normalize(item, f"{where}[{n}]") for n, item in enumerate(value)]
    raise TypeError(f"{where}: {type(value).__name__} values cannot be stored in the journal")


def _require_utf8(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: text with a lone surrogate cannot be stored") from None


def _tomli_w_literal(value: Any) -> str:
    import tomli_w

    rendered: str = tomli_w.dumps({"v": value})
    return rendered[4:-1]  # 'v = <literal>\n'


_key_cache: dict[str, str] = {}


def _render_key(key: str) -> str:
    rendered = _key_cache.get(key)
    if rendered is None:
        rendered = key if _BARE_KEY.fullmatch(key) else _tomli_w_literal(key)
        if len(_key_cache) < 4096:
            _key_cache[key] = rendered
    return rendered


def _render_value(value: Any, *, top: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = ", ".join(
            f"{_render_key(k)} = {_render_value(v, top=False)}" for k, v in value.items()
        )
        return "{ " + inner + " }"
    if isinstance(value, list):
        items = [_render_value(item, top=False) for item in value]
        one_line = "[" + ", ".join(items) + "]"
        if (
            not top
            or not items
            or (len(one_line) <= 72 and not any(isinstance(i, dict) for i in value))
        ):
            return one_line
        return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    return _tomli_w_literal(value)  # str, float, date: tomli-w's escaping and formatting


def render_record(
    kind: str, record_id: str, at: datetime, schema: int, data: Mapping[str, Any]
) -> str:
    """The TOML text of one record block, ending with its `schema` line."""
    lines = [f"[[{kind}]]", f'id = "{record_id}"', f"at = {at.isoformat()}"]
    lines.extend(
        f"{_render_key(key)} = {_render_value(value, top=True)}" for key, value in data.items()
    )
    lines.append(f"schema = {schema}")
    return "\n".join(lines) + "\n"


def _check_kind(kind: str) -> None:
    if kind not in records.KINDS:
        raise ValueError(f'unknown record kind "{kind}" (known: {", ".join(records.KINDS)})')


def _check_data(data: Mapping[str, Any]) -> dict[str, Any]:
    clash = RESERVED_FIELDS.intersection(data)
    if clash:
        raise ValueError(f"the journal sets these fields itself: {', '.join(sorted(clash))}")
    normalized: dict[str, Any] = _normalize(data, "data")
    return normalized


# --- reading -----------------------------------------------------------------------------


def record_problem(table: Mapping[str, Any]) -> str | None:
    """Why *table* is not a complete record (None when it is). Newer schemas count as complete."""
    rid = table.get("id")
    if rid is None:
        return "record has no id"
    if not isinstance(rid, str) or not is_record_id(rid):
        return f"record id {rid!r} is not a journal id"
    at = table.get("at")
    if at is None:
        return f"record {rid} has no `at` time"
    if not isinstance(at, datetime) or at.tzinfo is None:
        return f"record {rid}: `at` must be a date and time with a time zone offset"
    schema = table.get("schema")
    if schema is None:
        return f"record {rid} has no `schema` line: it is incomplete (an interrupted write?)"
    if isinstance(schema, bool) or not isinstance(schema, int) or schema < 0:
        return f"record {rid}: `schema` must be a whole number"
    if schema < CURRENT_SCHEMA and schema not in MIGRATIONS:
        return f"record {rid} has schema {schema}, which this iastm-coach cannot read"
    return None


def newer_schema_message(schema: int) -> str:
    return (
        f"written by a newer iastm-coach (schema {schema}; this version reads up to "
        f"{CURRENT_SCHEMA}); please upgrade iastm-coach"
    )


def migrate(kind: str, schema: int, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of a schema-*schema* record, brought up to `CURRENT_SCHEMA`."""
    for version in range(schema, CURRENT_SCHEMA):
        data = MIGRATIONS[version](kind, data)
    return data


def toml_error_line(error: tomllib.TOMLDecodeError, text: str) -> tuple[int, str]:
    """The 1-based line of a tomllib error, and its message without the position."""
    message = str(error)
    match = _TOML_ERROR_AT.search(message)
    if match is None:
        return 1, message
    line = int(match.group(1)) if match.group(1) else text.count("\n") + 1
    return line, message[: match.start()]


def header_lines(text: str) -> dict[str, list[int]]:
    """For each kind, the 1-based line numbers of its `[[kind]]` headers, in order."""
    found: dict[str, list[int]] = {}
    line, position = 1, 0
    for match in HEADER_LINE.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        found.setdefault(match.group("kind"), []).append(line)
    return found


Row = tuple[str, str, datetime, int, dict[str, Any]]
"""A record as stored in the parse cache: (kind, id, at, schema, data)."""


def rows_from_text(path: Path, text: str) -> list[Row]:
    """Parse one month file; raise DataFileError naming the file and line of the first problem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, message = toml_error_line(error, text)
        raise DataFileError(
            f"The journal file {path} is damaged at line {line}: {message}.", hint=CHECK_HINT
        ) from None
    result: list[Row] = []
    headers = header_lines(text)
    for kind, tables in document.items():
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise _record_error(
                path, text, kind, None, f"`{kind}` is not a list of [[{kind}]] records"
            )
        if len(tables) != len(headers.get(kind, ())):
            # Every reader finds records by their header lines: one they cannot see
            # (an escaped or inline spelling) would be read by some paths only.
            raise _record_error(
                path,
                text,
                kind,
                None,
                f"a `{kind}` record is not written as a `[[{kind}]]` line followed by its "
                "fields (an escaped, dotted or inline spelling?)",
            )
        for index, table in enumerate(tables):
            problem = record_problem(table)
            if problem is not None:
                raise _record_error(path, text, kind, index, problem)
            rid = table.pop("id")
            at = table.pop("at")
            schema = table.pop("schema")
            if schema != CURRENT_SCHEMA:
                if schema > CURRENT_SCHEMA:
                    raise DataFileError(
                        f"The journal file {path}{_line_of(text, kind, index)} has record {rid} "
                        f"{newer_schema_message(schema)}."
                    )
                try:
                    table = migrate(kind, schema, table)
                except Exception as error:  # a migration that cannot read a hand edit
                    raise _record_error(
                        path,
                        text,
                        kind,
                        index,
                        f"cannot update record {rid} from schema {schema}: {error}",
                    ) from None
            if kind in records.FIELDS:
                wrong = records.problems_by_field(kind, table, missing=False)
                if wrong:
                    raise _value_error(path, text, kind, index, rid, wrong)
            result.append((kind, rid, at, CURRENT_SCHEMA, table))
    return result


def _value_error(
    path: Path, text: str, kind: str, index: int, rid: str, wrong: list[records.FieldProblem]
) -> DataFileError:
    """A record whose fields hold values iastm-coach cannot use (a hand edit): like damage."""
    header = header_lines(text).get(kind, [])
    line = None
    if index < len(header):
        line = field_line(text.split("\n"), header[index], wrong[0].field)
    where = f", line {line}," if line is not None else ""
    more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
    return DataFileError(
        f"The journal file {path}{where} has a value iastm-coach cannot use: "
        f"{kind} {rid}: {wrong[0].message}{more}.",
        hint=CHECK_HINT,
    )


def field_line(lines: Sequence[str], header: int, name: str) -> int:
    """The 1-based line of `name = ...` in the record whose `[[kind]]` line is *header*.

    *lines* is the file split at "\\n". Falls back to *header* when the field
    is not on a line of its own (or not there at all).
    """
    bare, quoted = f"{name} ", (f'"{name}"', f"'{name}'")
    for n in range(header, len(lines)):  # lines[header] is the line after the header
        line = lines[n].lstrip(" \t")
        if line.startswith("[[") and HEADER_LINE.match(lines[n]):
            break
        if line.startswith((bare, f"{name}=", *quoted)):
            rest = line[len(name) + (2 if line.startswith(quoted) else 0) :].lstrip(" \t")
            if rest.startswith("="):
                return n + 1
    return header


def _line_of(text: str, kind: str, index: int | None) -> str:
    lines = header_lines(text).get(kind, [])
    if index is not None and index < len(lines):
        return f", line {lines[index]},"
    return ""


def _record_error(
    path: Path, text: str, kind: str, index: int | None, problem: str
) -> DataFileError:
    return DataFileError(
        f"The journal file {path}{_line_of(text, kind, index)} is damaged: {problem}.",
        hint=CHECK_HINT,
    )


def _row_key(row: Row) -> tuple[datetime, str]:
    return (row[2], row[1])


def _intern(value: Any, memo: dict[str, str]) -> Any:
    """*value* with equal short strings shared: the parse cache loads much faster that way."""
    if isinstance(value, dict):
        return {memo.setdefault(k, k): _intern(v, memo) for k, v in value.items()}
    if isinstance(value, list):
        return [_intern(v, memo) for v in value]
    if isinstance(value, str) and len(value) <= 64:
        return memo.setdefault(value, value)
    return value


def _intern_rows(rows: list[Row]) -> list[Row]:
    memo: dict[str, str] = {}
    return [
        (memo.setdefault(kind, kind), rid, at, schema, _intern(data, memo))
        for kind, rid, at, schema, data in rows
    ]


def _loose(mode: int) -> bool:
    return os.name == "posix" and bool(stat.S_IMODE(mode) & 0o077)


def fsync_directory(directory: Path) -> None:
    """Make a new or renamed directory entry durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new_file(path: Path, payload: bytes) -> None:
    """Create *path* (which must not exist) private, write *payload* and fsync it."""
    fd = os.open(path, binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL), FILE_MODE)
    try:
        _write_all(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def stamp_name(path: Path, suffix: str, now: datetime | None) -> Path:
    """A free `<name>.<suffix>-YYYYMMDDTHHMMSSZ[-n]` next to *path*."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    base = f"{path.name}.{suffix}-{moment:%Y%m%dT%H%M%SZ}"
    candidate = path.with_name(base)
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{base}-{counter}")
        counter += 1
    return candidate


def _private_temp(path: Path) -> tuple[int, Path]:
    """A new private file `.<name>.<random>.tmp` next to *path*, open for writing."""
    while True:
        temp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL), FILE_MODE), temp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def replace_file(path: Path, payload: bytes, *, durable: bool = True) -> None:
    """Atomically replace *path* with *payload*: private temp file, fsync, rename, fsync dir."""
    fd, temp = _private_temp(path)
    try:
        try:
            _write_all(fd, payload)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    if durable:
        fsync_directory(path.parent)


# --- the journal -------------------------------------------------------------------------


CACHE_DIR: Final = ".cache"
_CACHE_FORMAT: Final = 2  # bump when the cached rows change meaning (e.g. a migration is fixed)
# 2: rows are only cached once their values have been checked against records.FIELDS
_CACHE_CLASSES: Final = frozenset({"datetime", "date", "timezone", "timedelta"})


def _safe_unpickle(blob: bytes) -> Any:
    """A cache file's contents, or None. Only plain data and the datetime types: a cache
    file can never run code."""
    import io
    import pickle

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if module == "datetime" and name in _CACHE_CLASSES:
                return getattr(__import__("datetime"), name)
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the journal cache")

    try:
        return Unpickler(io.BytesIO(blob)).load()
    except Exception:
        return None


def _load_cache_blob(blob: bytes) -> tuple[int, bytes, list[Row]] | None:
    """(size, sha256, rows) from a parse-cache file, or None if it is not one of ours."""
    loaded = _safe_unpickle(blob)
    if not (isinstance(loaded, tuple) and len(loaded) == 5):
        return None
    version, schema, size, digest, rows = loaded
    if version != _CACHE_FORMAT or schema != CURRENT_SCHEMA or not isinstance(rows, list):
        return None
    if not isinstance(size, int) or not isinstance(digest, bytes):
        return None
    return size, digest, rows


def _sha256(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


def _tail_rows(path: Path, raw: bytes, start: int) -> list[Row] | None:
    """The records appended after byte *start* of a file whose first *start* bytes parse.

    None unless the appended text is whole `[[kind]]` blocks that parse on
    their own, starting on a new line: only then is it certain that parsing it
    alone gives what parsing the whole file would.
    """
    tail = raw[start:]
    if not (raw[:start].endswith(b"\n") or tail.startswith((b"\n", b"\r\n"))):
        return None
    stripped = tail.lstrip(b" \t\r\n")
    if stripped and not stripped.startswith(b"[["):
        return None
    try:
        return rows_from_text(path, tail.decode("utf-8"))
    except (UnicodeDecodeError, DataFileError):
        return None


INDEX_NAME: Final = "summaries.pickle"


@dataclass(frozen=True, slots=True)
class MonthSummary:
    """What one month file holds, to find the months that can answer a question without
    parsing the others: its record kinds and the regions they name, for exact bytes."""

    size: int
    digest: bytes
    kinds: frozenset[str]
    regions: frozenset[str]

    @classmethod
    def of(cls, size: int, digest: bytes, found: Sequence[Record]) -> MonthSummary:
        regions = {r.data.get("region") for r in found}
        return cls(
            size,
            digest,
            frozenset(r.kind for r in found),
            frozenset(region for region in regions if isinstance(region, str)),
        )


def _summary_blob(index: Mapping[str, MonthSummary]) -> bytes:
    import pickle

    plain = {
        name: (s.size, s.digest, tuple(sorted(s.kinds)), tuple(sorted(s.regions)))
        for name, s in index.items()
    }
    return pickle.dumps((_CACHE_FORMAT, CURRENT_SCHEMA, plain), protocol=5)


def _read_summary_index(path: Path) -> dict[str, MonthSummary]:
    """The summary index, or {} when it is missing or not one of ours (plain data only)."""
    try:
        blob = path.read_bytes()
    except OSError:
        return {}
    loaded = _safe_unpickle(blob)
    if not (isinstance(loaded, tuple) and len(loaded) == 3):
        return {}
    version, schema, plain = loaded
    if version != _CACHE_FORMAT or schema != CURRENT_SCHEMA or not isinstance(plain, dict):
        return {}
    index: dict[str, MonthSummary] = {}
    for name, entry in plain.items():
        try:
            size, digest, kinds, regions = entry
        except (TypeError, ValueError):
            continue
        if not (isinstance(name, str) and isinstance(size, int) and isinstance(digest, bytes)):
            continue
        if not all(isinstance(x, str) for x in (*kinds, *regions)):
            continue
        index[name] = MonthSummary(size, digest, frozenset(kinds), frozenset(regions))
    return index


class Journal:
    """The journal in *directory*. Nothing is created until the first write."""

    _MEMORY_MONTHS: Final = 4

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._memory: OrderedDict[Path, tuple[bytes, list[Record]]] = OrderedDict()
        self._warned: set[Path] = set()
        self._thread_lock = threading.RLock()
        self._lock_depth = 0
        self._summaries: dict[str, MonthSummary] | None = None
        self._summaries_changed = False

    def __repr__(self) -> str:
        return f"Journal({str(self.directory)!r})"

    # -- locking

    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        """Hold the journal's inter-process lock (`<directory>/.lock`).

        On POSIX this is flock(2), as `filelock.FileLock` does there, taken
        directly: importing filelock costs more start-up time than the whole
        append. The lock file is never removed, so every process locks the same
        inode; a process that dies releases its lock with it.
        """
        with self._thread_lock:
            if self._lock_depth:  # re-entrant within this thread
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            self._ensure_directory()
            with self._os_lock(self.directory / LOCK_NAME, timeout):
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0

    @staticmethod
    @contextlib.contextmanager
    def _os_lock(lock_path: Path, timeout: float) -> Iterator[None]:
        if os.name != "posix":  # pragma: no cover - exercised on Windows only
            import filelock

            try:
                with filelock.FileLock(lock_path, timeout=timeout, mode=FILE_MODE):
                    yield
            except filelock.Timeout:
                raise _busy(lock_path, timeout) from None
            return
        import fcntl
        import time as time_module

        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            deadline = time_module.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time_module.monotonic() >= deadline:
                        raise _busy(lock_path, timeout) from None
                    time_module.sleep(0.002)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _ensure_directory(self) -> None:
        if not self.directory.is_dir():
            from iastm_coach.paths import ensure_private_dir

            ensure_private_dir(self.directory)
            fsync_directory(self.directory.parent)
        else:
            self._warn_if_loose(self.directory, self.directory.stat().st_mode, DIR_MODE)

    # -- permissions

    def _warn_if_loose(self, path: Path, mode: int, wanted: int) -> None:
        if not _loose(mode) or path in self._warned:
            return
        self._warned.add(path)
        warnings.warn(
            JournalPermissionWarning(_permission_message(path, mode, wanted)), stacklevel=4
        )

    def permission_problems(self) -> list[JournalProblem]:
        """Journal paths (directory, files, parse cache) others can reach, as warnings."""
        found: list[JournalProblem] = []
        if os.name != "posix" or not self.directory.is_dir():
            return found
        directories = [self.directory]
        if (self.directory / CACHE_DIR).is_dir():
            directories.append(self.directory / CACHE_DIR)
        for directory in directories:
            mode = directory.stat().st_mode
            if _loose(mode):
                message = _permission_message(directory, mode, DIR_MODE, name_it=False)
                found.append(JournalProblem(directory, None, message, "warning"))
            for entry in sorted(os.scandir(directory), key=lambda e: e.name):
                if entry.is_file(follow_symlinks=False) and _loose(entry.stat().st_mode):
                    path = Path(entry.path)
                    mode = entry.stat().st_mode
                    message = _permission_message(path, mode, FILE_MODE, name_it=False)
                    found.append(JournalProblem(path, None, message, "warning"))
        return found

    def fix_permissions(self) -> list[Path]:
        """Make the directories 0700 and every file in them 0600 again; the paths changed."""
        changed: list[Path] = []
        for problem in self.permission_problems():
            problem.file.chmod(DIR_MODE if problem.file.is_dir() else FILE_MODE)
            changed.append(problem.file)
            self._warned.discard(problem.file)
        return changed

    # -- files

    def month_files(self) -> list[Path]:
        """The month files, oldest first."""
        try:
            names = [e.name for e in os.scandir(self.directory) if MONTH_FILE.fullmatch(e.name)]
        except FileNotFoundError:
            return []
        return [self.directory / name for name in sorted(names)]

    def _month_path(self, moment: datetime) -> Path:
        return self.directory / month_file_name(moment)

    @staticmethod
    def _month_bounds(path: Path) -> tuple[datetime, datetime]:
        match = MONTH_FILE.fullmatch(path.name)
        assert match is not None
        year, month = int(match.group(1)), int(match.group(2))
        return _month_start(year, month), _next_month_start(year, month)

    def _load(self, path: Path, raw: bytes | None = None) -> list[Record]:
        """The records of one month file, oldest first.

        The parse is cached in memory and in `<directory>/.cache/` (private,
        disposable), keyed by the SHA-256 of the file's bytes, so an unchanged
        month is never parsed twice and a month that only grew by appends
        parses just the new records.
        """
        if raw is None:
            raw = self._read_month(path)
        if raw is None:
            return []
        digest = _sha256(raw)
        remembered = self._memory.get(path)
        if remembered is not None and remembered[0] == digest:
            self._memory.move_to_end(path)
            return remembered[1]
        try:
            rows = self._rows(path, raw, digest)
        except DataFileError:
            # A writer may be half-way through an append: look again under the lock.
            if not self._can_lock():
                raise
            with self.lock():
                raw = self._read_month(path) or b""
            digest = _sha256(raw)
            rows = self._rows(path, raw, digest)
        found = [Record(*row) for row in rows]
        self._note_summary(path, len(raw), digest, found)
        self._memory[path] = (digest, found)
        self._memory.move_to_end(path)
        while len(self._memory) > self._MEMORY_MONTHS:
            self._memory.popitem(last=False)
        return found

    def _read_month(self, path: Path) -> bytes | None:
        try:
            fd = os.open(path, binary(os.O_RDONLY))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise DataFileError(
                f"The journal file {path} cannot be read ({error.strerror})."
            ) from None
        try:
            info = os.fstat(fd)
            self._warn_if_loose(path, info.st_mode, FILE_MODE)
            return _read_all(fd, info.st_size)
        finally:
            os.close(fd)

    def _rows(self, path: Path, raw: bytes, digest: bytes) -> list[Row]:
        """Parsed rows of *raw* (the bytes of *path*), sorted, from the cache when possible."""
        cached = self._read_cache(path)
        if cached is not None:
            size, cached_digest, rows = cached
            if size == len(raw) and cached_digest == digest:
                return rows
            if size < len(raw) and _sha256(raw[:size]) == cached_digest:
                tail = _tail_rows(path, raw, size)
                if tail is not None:
                    rows = sorted(rows + _intern_rows(tail), key=_row_key)
                    self._write_cache(path, len(raw), digest, rows)
                    return rows
        rows = _intern_rows(rows_from_text(path, _decode(path, raw)))
        rows.sort(key=_row_key)
        self._write_cache(path, len(raw), digest, rows)
        return rows

    def cached_rows(self, path: Path, raw: bytes) -> list[Row] | None:
        """The cached parse of exactly *raw* (the bytes of *path*), if there is one."""
        cached = self._read_cache(path)
        if cached is not None and cached[0] == len(raw) and cached[1] == _sha256(raw):
            return cached[2]
        return None

    def _cache_path(self, path: Path) -> Path:
        return self.directory / CACHE_DIR / f"{path.name}.pickle"

    def _read_cache(self, path: Path) -> tuple[int, bytes, list[Row]] | None:
        try:
            blob = self._cache_path(path).read_bytes()
        except OSError:
            return None
        return _load_cache_blob(blob)

    def _write_cache(self, path: Path, size: int, digest: bytes, rows: list[Row]) -> None:
        import pickle

        blob = pickle.dumps((_CACHE_FORMAT, CURRENT_SCHEMA, size, digest, rows), protocol=5)
        self._write_cache_file(self._cache_path(path), blob)

    def _write_cache_file(self, target: Path, blob: bytes) -> None:
        """Best effort: the cache only saves time, so any failure is ignored."""
        try:
            if not target.parent.is_dir():
                target.parent.mkdir(mode=DIR_MODE)
                target.parent.chmod(DIR_MODE)
            replace_file(target, blob, durable=False)
        except OSError:
            pass

    def _can_lock(self) -> bool:
        return os.access(self.directory, os.W_OK)

    # -- the API

    def append(self, kind: str, data: Mapping[str, Any], *, at: datetime) -> Record:
        """Write one record; return it as it will be read back.

        One `write` of the whole block with O_APPEND, then fsync, under the
        journal lock. *at* is the caller's (tz-aware) clock reading.
        """
        _check_kind(kind)
        _require_aware(at, "at")
        normalized = _check_data(data)
        record_id = new_record_id(at)
        payload = render_record(kind, record_id, at, CURRENT_SCHEMA, normalized).encode("utf-8")
        path = self._month_path(at)
        with self.lock():
            self._append_bytes(path, payload)
        return Record(kind, record_id, at, CURRENT_SCHEMA, normalized)

    def _append_bytes(self, path: Path, payload: bytes) -> None:
        created = not path.exists()
        try:
            fd = os.open(path, binary(os.O_RDWR | os.O_APPEND | os.O_CREAT), FILE_MODE)
        except OSError as error:
            raise DataFileError(
                f"The journal file {path} cannot be opened ({error.strerror})."
            ) from None
        try:
            info = os.fstat(fd)
            if not created:
                self._warn_if_loose(path, info.st_mode, FILE_MODE)
            size = info.st_size
            if size:
                # A blank line between records; a fresh line after a torn tail.
                os.lseek(fd, size - 1, os.SEEK_SET)  # O_APPEND still writes at the end
                payload = (b"\n" if os.read(fd, 1) == b"\n" else b"\n\n") + payload
            try:
                _write_all(fd, payload)
                os.fsync(fd)
            except OSError as error:
                # Leave the file as it was (we hold the lock, so nobody wrote after us).
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                raise DataFileError(
                    f"The journal file {path} could not be written ({error.strerror}); "
                    "nothing was recorded."
                ) from None
        finally:
            os.close(fd)
        if created:
            fsync_directory(self.directory)

    def recent(
        self,
        *,
        kinds: Collection[str] | None = None,
        limit: int | None = None,
        since: datetime | None = None,
    ) -> list[Record]:
        """Records newest first, reading month files backwards only as far as needed."""
        if since is not None:
            _require_aware(since, "since")
        if limit is not None and limit <= 0:
            return []
        wanted = None if kinds is None else frozenset(kinds)
        found: list[Record] = []
        for path in reversed(self.month_files()):
            end = self._month_bounds(path)[1]
            if since is not None and end <= since:
                break
            month = [
                r
                for r in self._load(path)
                if (wanted is None or r.kind in wanted) and (since is None or r.at >= since)
            ]
            month.reverse()
            found.extend(month)
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    def scan(
        self, *, kinds: Collection[str] | None = None, since: datetime | None = None
    ) -> Iterator[Record]:
        """Every record, oldest first, one month file at a time."""
        if since is not None:
            _require_aware(since, "since")
        wanted = None if kinds is None else frozenset(kinds)
        for path in self.month_files():
            if since is not None and self._month_bounds(path)[1] <= since:
                continue
            for record in self._load_passing(path):
                if (wanted is None or record.kind in wanted) and (
                    since is None or record.at >= since
                ):
                    yield record

    def _load_passing(self, path: Path, raw: bytes | None = None) -> list[Record]:
        # A full scan would otherwise push the recent months out of memory for nothing.
        remembered = path in self._memory
        found = self._load(path, raw)
        if not remembered:
            self._memory.pop(path, None)
        return found

    # -- questions that read only the months that can answer them

    def region_records(
        self, region: str, kinds: Collection[str], *, newest_first: bool = True
    ) -> Iterator[list[Record]]:
        """The records of *kinds* whose `region` is *region*, month by month (each month's
        list oldest first), reading only the month files that can hold any.

        A region treated years ago costs a look at each file's bytes, not a parse of
        each: see `might_mention`.
        """
        wanted = frozenset(kinds)
        for month in self._months_where(
            lambda summary: region in summary.regions and not wanted.isdisjoint(summary.kinds),
            newest_first=newest_first,
        ):
            found = [r for r in month if r.kind in wanted and r.data.get("region") == region]
            if found:
                yield found

    def records_of(self, kinds: Collection[str]) -> list[Record]:
        """Every record of *kinds*, oldest month first, reading only the month files that
        can hold any (for rare kinds such as holds: seconds of parsing saved after years)."""
        wanted = frozenset(kinds)
        found: list[Record] = []
        for month in self._months_where(
            lambda summary: not wanted.isdisjoint(summary.kinds), newest_first=False
        ):
            found.extend(r for r in month if r.kind in wanted)
        return found

    def _months_where(
        self, holds: Callable[[MonthSummary], bool], *, newest_first: bool
    ) -> Iterator[list[Record]]:
        """The records of each month file whose summary passes *holds*.

        A month's summary (the kinds and regions of its records) comes from the
        summary index in the parse cache when it was made from exactly these bytes;
        otherwise the month is parsed (and refused as damage like any other read), so a
        month is never skipped by one question and read by another. Reading and hashing
        the bytes of every month costs milliseconds; parsing them, seconds.
        """
        paths = self.month_files()
        index = self._summary_index()
        try:
            for path in reversed(paths) if newest_first else paths:
                raw = self._read_month(path)
                if raw is None:
                    continue
                digest = _sha256(raw)
                summary = index.get(path.name)
                if summary is None or summary.size != len(raw) or summary.digest != digest:
                    month = self._load_passing(path, raw)
                    if holds(index[path.name]):
                        yield month
                elif holds(summary):
                    yield self._load_passing(path, raw)
        finally:
            self._save_summary_index()

    def _summary_index(self) -> dict[str, MonthSummary]:
        if self._summaries is None:
            self._summaries = _read_summary_index(self.directory / CACHE_DIR / INDEX_NAME)
            self._summaries_changed = False
        return self._summaries

    def _note_summary(self, path: Path, size: int, digest: bytes, found: list[Record]) -> None:
        index = self._summary_index()
        known = index.get(path.name)
        if known is not None and known.size == size and known.digest == digest:
            return
        index[path.name] = MonthSummary.of(size, digest, found)
        self._summaries_changed = True

    def _save_summary_index(self) -> None:
        """Best effort, like the parse cache: a lost update only costs a cache read later."""
        if not self._summaries_changed or self._summaries is None:
            return
        names = {path.name for path in self.month_files()}
        kept = {name: s for name, s in self._summaries.items() if name in names}
        self._write_cache_file(self.directory / CACHE_DIR / INDEX_NAME, _summary_blob(kept))
        self._summaries_changed = False

    def get(self, record_id: str) -> Record | None:
        """The record with *record_id*, reading only the month its id points to."""
        if not is_record_id(record_id):
            return None
        for record in self._load(self._month_path(record_id_time(record_id))):
            if record.id == record_id:
                return record
        return None

    def check(self) -> list[JournalProblem]:
        """Every problem in the journal: errors (damage) and warnings (permissions, oddities)."""
        return self.check_report().problems

    def check_report(self) -> CheckReport:
        from iastm_coach.journal.repair import check_journal

        return check_journal(self)

    def repair(self, *, now: datetime | None = None) -> list[Path]:
        """Move the damaged parts of every month file into side files; the side files written."""
        from iastm_coach.journal.repair import repair_journal

        with self.lock():
            written = repair_journal(self, now=now)
        self._memory.clear()
        return written

    def replace(
        self, record_id: str, data: Mapping[str, Any], *, now: datetime | None = None
    ) -> Record:
        """Correct a record's fields (kind, id and `at` stay); keeps a backup of the month file."""
        normalized = _check_data(data)
        with self.lock():
            path, old, before, block, after = self._locate(record_id)
            rendered = render_record(old.kind, old.id, old.at, CURRENT_SCHEMA, normalized)
            # Keep the blank lines (and anything else after the record's last line) as they were.
            trailing = block[len(block.rstrip()) :]
            text = rendered[:-1] + trailing if trailing.startswith(("\n", "\r\n")) else rendered
            self._rewrite(path, before + text + after, now=now)
        return Record(old.kind, old.id, old.at, CURRENT_SCHEMA, normalized)

    def delete(self, record_id: str, *, now: datetime | None = None) -> Path:
        """Remove a record; returns the backup of the month file as it was before."""
        with self.lock():
            path, _old, before, _block, after = self._locate(record_id)
            return self._rewrite(path, before + after, now=now)

    def _locate(self, record_id: str) -> tuple[Path, Record, str, str, str]:
        """The month file, the record, and the text before, of and after its block."""
        from iastm_coach.journal.repair import split_blocks

        unknown = UsageError(f'There is no journal record with id "{record_id}".')
        if not is_record_id(record_id):
            raise unknown
        path = self._month_path(record_id_time(record_id))
        if not path.exists():
            raise unknown
        text = _decode(path, path.read_bytes())
        by_id = {row[1]: Record(*row) for row in rows_from_text(path, text)}
        if record_id not in by_id:
            raise unknown
        matches = []
        for block in split_blocks(text):
            if record_id in block.text:
                try:
                    document = tomllib.loads(block.text)
                except tomllib.TOMLDecodeError:
                    continue
                tables = document.get(block.kind or "", [])
                if any(isinstance(t, dict) and t.get("id") == record_id for t in tables):
                    matches.append(block)
        if len(matches) != 1:
            raise DataFileError(
                f"The journal file {path} holds record {record_id} {len(matches)} times or in "
                "an unusual layout; edit it by hand (keep a copy).",
                hint=CHECK_HINT,
            )
        block = matches[0]
        return path, by_id[record_id], text[: block.start], block.text, text[block.end :]

    def _rewrite(self, path: Path, text: str, *, now: datetime | None) -> Path:
        rows_from_text(path, text)  # never write a file we could not read back
        original = path.read_bytes()
        backup = stamp_name(path, "bak", now)
        write_new_file(backup, original)
        replace_file(path, text.encode("utf-8"))
        self._memory.pop(path, None)
        return backup


def _read_all(fd: int, size: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, max(size, 65536))
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise DataFileError(
            f"The journal file {path} is damaged at line {line}: bytes that are not UTF-8 text.",
            hint=CHECK_HINT,
        ) from None


def decode_lenient(raw: bytes) -> str:
    """A month file's text for check and repair: bytes that are not UTF-8 survive (as
    surrogates) so that they can be reported and moved aside; a BOM is dropped."""
    return raw.decode("utf-8", "surrogateescape").removeprefix(BOM)


def _permission_message(path: Path, mode: int, wanted: int, *, name_it: bool = True) -> str:
    what = "directory" if stat.S_ISDIR(mode) else "file"
    subject = f"The journal {what} {path} can" if name_it else "Can"
    return (
        f"{subject} be read by other users (mode {stat.S_IMODE(mode):04o}); "
        f"run `chmod {wanted:o} {path}` or `iastm-coach journal repair`."
    )


def _busy(lock_path: Path, timeout: float) -> CoachError:
    return CoachError(
        f"The journal is busy: another iastm-coach has held {lock_path} for {timeout:.0f} s.",
        hint="Finish or close the other iastm-coach, then try again.",
    )
