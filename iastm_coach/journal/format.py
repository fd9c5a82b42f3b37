"""The journal's file format: one record is one `[[kind]]` block of TOML.

Rendering a record, parsing a month file into rows (ids, times, migrations, field
values checked against `records.FIELDS`), and the line numbers messages point at.
A month file is UTF-8 text (a leading BOM is ignored); see `store.py` for the layout.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Final

from iastm_coach.errors import DataFileError
from iastm_coach.journal import records
from iastm_coach.journal.ids import is_record_id, require_aware
from iastm_coach.journal.parser import TOMLDecodeError, loads
from iastm_coach.journal.records import (
    READ_CHOICE,
    READ_ENTRIES,
    READ_FLAG,
    READ_FLAGS,
    READ_LIST,
    READ_MOMENT,
    READ_NONEMPTY,
    READ_NUMBER,
    READ_TEXT,
    READ_TEXTS,
    READ_WHOLE,
    READ_WHOLE_CHOICE,
)

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

RESERVED_FIELDS: Final = frozenset({"id", "at", "schema", "chain"})
"""Fields the journal writes itself; `chain` is the record's link in the hash chain (see
`chain.py`): readers drop it, only `journal check` and the report's integrity look at it."""
CHECK_HINT: Final = (
    "Run `iastm-coach journal check` to list every problem; "
    "`iastm-coach journal repair` moves damaged text aside and keeps the rest."
)

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
    # The journal's own append order: month files in name order, records in file
    # order within one. Clocks step back; files only grow. (Not part of equality.)
    seq: int = field(default=0, compare=False)


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
        require_aware(value, where)
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
    kind: str,
    record_id: str,
    at: datetime,
    schema: int,
    data: Mapping[str, Any],
    *,
    chain: str | None = None,
) -> str:
    """The TOML text of one record block, ending with its `schema` line (its `chain` link,
    when given, just before it)."""
    lines = [f"[[{kind}]]", f'id = "{record_id}"', f"at = {at.isoformat()}"]
    lines.extend(
        f"{_render_key(key)} = {_render_value(value, top=True)}" for key, value in data.items()
    )
    if chain is not None:
        lines.append(f'chain = "{chain}"')
    lines.append(f"schema = {schema}")
    return "\n".join(lines) + "\n"


def check_kind(kind: str) -> None:
    if kind not in records.KINDS:
        raise ValueError(f'unknown record kind "{kind}" (known: {", ".join(records.KINDS)})')


def check_data(data: Mapping[str, Any]) -> dict[str, Any]:
    clash = RESERVED_FIELDS.intersection(data)
    if clash:
        raise ValueError(f"the journal sets these fields itself: {', '.join(sorted(clash))}")
    normalized: dict[str, Any] = _normalize(data, "data")
    return normalized


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


def unknown_kind_message(kind: str, rid: str) -> str:
    """Why a record of an unknown kind is damage: a misspelt `[[hold]]` must not lift a hold."""
    return (
        f"record {rid} is of a kind iastm-coach does not know, [[{kind}]] (known: "
        f"{', '.join(records.KINDS)}); a typo? Fix the kind by hand"
    )


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


def toml_error_line(error: TOMLDecodeError, text: str) -> tuple[int, str]:
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
    line, counted = 1, 0
    for kind, start in _headers(text):
        line += text.count("\n", counted, start)
        counted = start
        found.setdefault(kind, []).append(line)
    return found


def header_starts(text: str) -> dict[str, list[int]]:
    """For each kind, where its `[[kind]]` header lines start in *text*, in order: what
    `header_lines` counts lines to, for readers that only need the order."""
    found: dict[str, list[int]] = {}
    for kind, start in _headers(text):
        starts = found.get(kind)
        if starts is None:
            found[kind] = [start]
        else:
            starts.append(start)
    return found


_PLAIN_HEADERS: Final = frozenset(f"[[{kind}]]" for kind in records.KINDS)


def _headers(text: str) -> Iterator[tuple[str, int]]:
    """The kind and start of each `[[kind]]` line of *text*, in order.

    Looks only at lines with a `[[` (a regex over every line start costs a third of a
    cold read), and asks `HEADER_LINE` about each, unless it is a known kind's header
    as the journal writes it.
    """
    position = 0
    while (bracket := text.find("[[", position)) >= 0:
        end = text.find("\n", bracket)
        if bracket == 0 or text[bracket - 1] == "\n":  # at a line start: the usual case
            if text[bracket : end if end >= 0 else None] in _PLAIN_HEADERS:
                yield text[bracket + 2 : (end if end >= 0 else len(text)) - 2], bracket
                if end < 0:
                    return
                position = end + 1
                continue
            start = bracket
        else:
            start = text.rfind("\n", 0, bracket) + 1
        match = HEADER_LINE.match(text, start)
        if match is not None:
            yield match.group("kind"), start
        if end < 0:
            return
        position = end + 1


Row = tuple[str, str, datetime, int, dict[str, Any]]
"""A record as stored in the parse cache: (kind, id, at, schema, data)."""


class SharedRows(list[Row]):
    """Rows whose texts and time zones are shared already (as `share_rows` shares them),
    as `rows_from_text` gives them: the parse cache pickles them as they are."""

    __slots__ = ()


# Texts shared: up to the length of a SHA-256 in hex (a protocol fingerprint: one in every
# session, 7 % of the cache of a long journal when written out each time); longer texts
# (notes) rarely repeat.
SHARED_TEXT: Final = 64
Zones = dict[tuple[Any, ...], Any]  # `zone_key` -> the one zone object of its rows


def zone_key(zone: Any) -> tuple[Any, ...]:
    """Which zones are one: a `timezone`'s offset and the name it was given, if any (what
    pickle writes of it; asking its name would spell it out, four times slower); any
    other zone with an equal one of the same name."""
    if type(zone) is timezone:
        args: tuple[Any, ...] = zone.__getinitargs__()  # type: ignore[attr-defined]
        return args
    return (zone, zone.tzname(None))


def in_zone(moment: datetime, zones: Zones) -> datetime:
    """*moment* (an aware datetime) with the one zone object equal to its own in *zones*."""
    zone = moment.tzinfo
    # combine: as moment.replace(tzinfo=...), a quarter of the time (no keyword parsing)
    return datetime.combine(moment, moment.time(), zones.setdefault(zone_key(zone), zone))


def _share(value: Any, zones: Zones) -> Any:
    """*value* with its repeated texts (field names, kinds, short values) and time zones
    shared: the definition. Nested values are walked two levels deep (a record's fields,
    and the tables in its lists, such as a session's areas), which is where the repeats are;
    tables in tables all the way."""
    kind = type(value)
    if kind is str:
        return sys.intern(value) if len(value) <= SHARED_TEXT else value
    if kind is datetime and value.tzinfo is not None:
        return in_zone(value, zones)
    if kind is list:
        return [_share_entry(item) if type(item) is dict else _share(item, zones) for item in value]
    if kind is dict:
        return {sys.intern(k): _share(v, zones) for k, v in value.items()}
    return value


def _share_entry(table: dict[str, Any]) -> dict[str, Any]:
    """A table in a list: its keys and short texts shared, nothing deeper."""
    intern = sys.intern
    return {
        intern(k): intern(v) if type(v) is str and len(v) <= SHARED_TEXT else v
        for k, v in table.items()
    }


def share_row(row: Row, zones: Zones) -> Row:
    kind, rid, at, schema, data = row
    return (
        sys.intern(kind),
        rid,
        _share(at, zones),
        schema,
        {sys.intern(k): _share(v, zones) for k, v in data.items()},
    )


def share_rows(rows: Sequence[Row]) -> SharedRows:
    """*rows* with every repeated text and time zone shared, for pickling: pickle writes a
    shared object once and refers to it after, so the cache is less than half the size,
    loads two to three times faster, and is even written faster."""
    zones: Zones = {}
    return SharedRows(share_row(row, zones) for row in rows)


def rows_from_text(
    path: Path, text: str, *, check_values: bool = True, quick: bool = True
) -> SharedRows:
    """Parse one month file into rows in file order, shared (see `share_rows`); raise
    DataFileError naming the file and line of the first problem. Without *check_values*
    the caller checks every field itself (`journal check`, which must not check them twice).

    Each record is read in one pass that checks and shares its values (`_quick_row`);
    one that pass does not vouch for (damage, a migration, a value of an unusual shape)
    is read by the straightforward rules (`_checked_row`), which have the last word. Without
    *quick*, every record is (the definition, for the tests)."""
    try:
        document = loads(text)
    except TOMLDecodeError as error:
        line, message = toml_error_line(error, text)
        raise DataFileError(
            f"The journal file {path} is damaged at line {line}: {message}.", hint=CHECK_HINT
        ) from None
    placed: list[tuple[int, Row]] = []
    headers = header_starts(text)
    zones: Zones = {}
    for kind, tables in document.items():
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise _record_error(
                path, text, kind, None, f"`{kind}` is not a list of [[{kind}]] records"
            )
        starts = headers.get(kind, ())
        if len(tables) != len(starts):
            # Every reader finds records by their header lines: one they cannot see
            # (an escaped or inline spelling) would be read by some paths only.
            raise _record_error(path, text, kind, None, unheaded_message(kind))
        reader = records.READERS.get(kind) if quick else None
        shared_kind = sys.intern(kind)
        for index, table in enumerate(tables):
            row = None if reader is None else _quick_row(shared_kind, table, reader, zones)
            if row is None:
                row = _checked_row(path, text, kind, index, table, check_values=check_values)
                row = share_row(row, zones)
            placed.append((starts[index], row))
    placed.sort(key=lambda item: item[0])  # file order: the order they were appended
    return SharedRows(row for _, row in placed)


def _checked_row(
    path: Path, text: str, kind: str, index: int, table: dict[str, Any], *, check_values: bool
) -> Row:
    """The row of the *index*-th record of *kind*, by the straightforward rules: its
    id, time and schema (`record_problem`), migrated, its values checked
    (`records.problems_by_field`); DataFileError for the first problem."""
    problem = record_problem(table)
    if problem is not None:
        raise _record_error(path, text, kind, index, problem)
    rid = table.pop("id")
    at = table.pop("at")
    schema = table.pop("schema")
    table.pop("chain", None)  # the hash chain's link: checked by `journal check`
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
    if kind not in records.FIELDS:
        raise _record_error(path, text, kind, index, unknown_kind_message(kind, rid))
    wrong = records.problems_by_field(kind, table, missing=False) if check_values else []
    if wrong:
        raise _value_error(path, text, kind, index, rid, wrong)
    return (kind, rid, at, CURRENT_SCHEMA, table)


def _quick_row(
    kind: str, table: dict[str, Any], reader: records.Reader, zones: Zones
) -> Row | None:
    """The row of a record of the current schema whose every value passes the reader's
    checks (`records.READERS`), its values shared as `share_row` shares them, in one pass;
    None for any other record (`_checked_row` then reads it, and says what is wrong)."""
    rid = table.get("id")
    at = table.get("at")
    schema = table.get("schema")
    if not (
        type(rid) is str
        and type(at) is datetime
        and at.tzinfo is not None
        and type(schema) is int
        and schema == CURRENT_SCHEMA
        and is_record_id(rid)
    ):
        return None
    intern = sys.intern
    short = SHARED_TEXT
    checks = reader.checks
    data: dict[str, Any] = {}
    for key, value in table.items():
        check = checks.get(key)
        if check is None:
            if key in reader.unchecked:
                return None
            if key not in RESERVED_FIELDS:  # a field this version does not know: kept
                data[intern(key)] = _share(value, zones)
            continue
        name, test, a, b = check
        kind_of = type(value)
        if kind_of is str:
            if test != READ_TEXT and not (
                value in a if test == READ_CHOICE else test == READ_NONEMPTY and value.strip()
            ):
                return None
            data[name] = intern(value) if len(value) <= short else value
        elif kind_of is bool:
            if test != READ_FLAG:
                return None
            data[name] = value
        elif kind_of is int:
            if not (
                a <= value <= b if test in _RANGES else test == READ_WHOLE_CHOICE and value in a
            ):
                return None
            data[name] = value
        elif kind_of is datetime:
            if test != READ_MOMENT or value.tzinfo is None:
                return None
            data[name] = in_zone(value, zones)
        elif kind_of is list:
            items = _quick_list(value, test, a, zones)
            if items is None:
                return None
            data[name] = items
        elif kind_of is dict:
            if test != READ_FLAGS or not _ONLY_BOOL.issuperset(map(type, value.values())):
                return None
            data[name] = {intern(k): v for k, v in value.items()}
        elif kind_of is float and test == READ_NUMBER and a <= value <= b:
            data[name] = value
        else:
            return None
    for name in reader.essential:
        if name not in data:
            return None
    if reader.across is not None and reader.across(data):
        return None
    return (kind, rid, in_zone(at, zones), CURRENT_SCHEMA, data)


_RANGES: Final = frozenset({READ_WHOLE, READ_NUMBER})  # ints from a to b
_ONLY_BOOL: Final = frozenset({bool})
_ONLY_STR: Final = frozenset({str})


def _quick_list(value: list[Any], test: int, fields: Any, zones: Zones) -> list[Any] | None:
    """A list field checked and shared in one pass (see `_quick_row`), or None."""
    intern = sys.intern
    short = SHARED_TEXT
    if test == READ_ENTRIES:
        shared: list[Any] = []
        for item in value:
            if type(item) is not dict:
                return None
            entry: dict[str, Any] = {}
            for key, inner in item.items():
                check = fields.get(key)
                if check is None:  # not a field of the entry: kept
                    entry[intern(key)] = (
                        intern(inner) if type(inner) is str and len(inner) <= short else inner
                    )
                    continue
                name, test, a, b = check
                kind_of = type(inner)
                if kind_of is str:
                    if test != READ_TEXT and not (
                        inner in a
                        if test == READ_CHOICE
                        else test == READ_NONEMPTY and inner.strip()
                    ):
                        return None
                    entry[name] = intern(inner) if len(inner) <= short else inner
                elif (kind_of is int and test == READ_WHOLE and a <= inner <= b) or (
                    kind_of is bool and test == READ_FLAG
                ):
                    entry[name] = inner
                else:
                    return None
            shared.append(entry)
        return shared
    if test == READ_TEXTS:
        if not _ONLY_STR.issuperset(map(type, value)):
            return None
        return [intern(item) if len(item) <= short else item for item in value]
    if test == READ_LIST:
        shared_list: list[Any] = _share(value, zones)
        return shared_list
    return None


def unheaded_message(kind: str) -> str:
    return (
        f"a `{kind}` record is not written as a `[[{kind}]]` line followed by its "
        "fields (an escaped, dotted or inline spelling?)"
    )


def row_shape_fits(row: object) -> bool:
    """Whether *row* (from the parse cache) has the shape of a row `rows_from_text`
    gives: an id, an aware `at`, the current schema, a table of fields (not checked)."""
    if not (isinstance(row, tuple) and len(row) == 5):
        return False
    kind, rid, at, schema, data = row
    return (
        type(kind) is str
        and type(rid) is str
        and is_record_id(rid)
        and type(at) is datetime
        and at.utcoffset() is not None
        and schema == CURRENT_SCHEMA
        and type(data) is dict
        and RESERVED_FIELDS.isdisjoint(data)
    )


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
    what = "an incomplete record" if wrong[0].incomplete else "a value iastm-coach cannot use"
    return DataFileError(
        f"The journal file {path}{where} has {what}: {kind} {rid}: {wrong[0].message}{more}.",
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


def decode_month(path: Path, raw: bytes) -> str:
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
