"""Reading protocol files: TOML -> validated model, with errors people can act on."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from iastm_coach.errors import DataFileError, UsageError
from iastm_coach.protocols.envelope import CLINICIAN, HOME, Envelope, beyond_home, envelope_for
from iastm_coach.protocols.model import TreatmentProtocol, sides_a_sitting, total_dose_problem
from iastm_coach.protocols.signing import UNSIGNED, SignatureCheck, check_signature
from iastm_coach.safe_text import strip_control_characters

Source = Literal["built-in", "installed", "file"]
# The installed copy against the fingerprint recorded when it was installed.
PinState = Literal["pinned", "changed", "unpinned"]

MAX_FILE_BYTES = 64 * 1024  # the built-ins are under 8 KiB
MAX_NESTING = 8  # arrays and tables inside each other; the format needs 3


@dataclass(frozen=True)
class LoadedProtocol:
    """A validated protocol, where it came from, and what vouches for it."""

    protocol: TreatmentProtocol
    path: Path
    fingerprint: str  # sha256 of the file's bytes, hex
    source: Source
    signature: SignatureCheck = UNSIGNED
    pin: PinState | None = None  # only for installed files
    envelope: Envelope = HOME

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]

    def origin(self) -> str:
        """'built-in', or who issued it, for tables and session headers."""
        issued = self.protocol.issued
        if self.source == "built-in":
            return "built-in"
        who = issued.label() if issued else "unknown author"
        text = f"{self.source}, issued by {who}, {self.signature.describe()}"
        if self.pin == "changed":
            text += ", CHANGED since it was installed"
        return text

    def is_custom_region(self) -> bool:
        return self.protocol.custom_region

    def warnings(self, today: dt.date) -> list[str]:
        """Plans that pass every limit but cannot work as written, and every value a trusted
        clinician's signature alone allows (exit 0, printed by `validate` and `sign`): for
        whoever writes the file, naming the key and what to change."""
        found = [note.for_author for note in plan_notes(self.protocol, today)]
        if self.envelope == CLINICIAN:
            found += signed_only_warnings(self.protocol)
        return found

    def notes_for_patient(self, today: dt.date) -> list[str]:
        """The same findings as `warnings`, for the person installing the file: what they
        mean for the sessions, and whom to ask (`protocol install`)."""
        found = [note.for_patient for note in plan_notes(self.protocol, today)]
        if self.envelope == CLINICIAN and signed_only_warnings(self.protocol):
            found.append(
                "This plan goes beyond the limits iastm-coach keeps for plans used at home; "
                "that is allowed only because the clinician who signed it is one you trust."
            )
        return found


def signed_only_warnings(p: TreatmentProtocol) -> list[str]:
    """Each value outside the home envelope (allowed only by the clinician's signature)."""
    found = beyond_home(p.model_dump(mode="json"))
    total = total_dose_problem(
        [area.duration_s for area in p.area],
        sides=sides_a_sitting(p.access.sided, p.access.sides),
        max_minutes=None,
    )
    if total:
        found.append(
            f"a home plan is shorter: {total}; allowed only because a trusted clinician "
            "signed the file"
        )
    return found


@dataclass(frozen=True)
class PlanNote:
    """A plan that passes every limit but cannot work as written, said twice."""

    for_author: str  # `validate` and `sign`: the key, and what to change
    for_patient: str  # `install`: what it means for the sessions, and whom to ask


def plan_notes(p: TreatmentProtocol, today: dt.date) -> list[PlanNote]:
    found: list[PlanNote] = []
    issued = p.issued
    if issued and issued.review_by:
        if issued.issued_on and issued.review_by < issued.issued_on:
            found.append(
                PlanNote(
                    f"issued.review_by: {issued.review_by} is before issued.issued_on "
                    f"({issued.issued_on}); check both dates",
                    f"The review date in this file ({issued.review_by}) is before the date it "
                    f"was issued ({issued.issued_on}): ask your clinician to check the dates.",
                )
            )
        if issued.review_by < today:  # both can be true: each says something different
            found.append(
                PlanNote(
                    f"issued.review_by: the review date {issued.review_by} has passed; "
                    "sessions will ask before going ahead",
                    f"The date your clinician set to review this plan ({issued.review_by}) has "
                    "passed: each session will ask before going ahead. Ask them for a review.",
                )
            )
    if not p.exercise:
        found.append(
            PlanNote(
                "exercise: no exercises; scraping is meant to come with exercise "
                "(add [[exercise]] tables)",
                "This plan lists no exercises. Scraping is meant to come with exercise: ask "
                "your clinician which exercises to do.",
            )
        )
    if p.prescription:
        per_week = p.prescription.sessions_per_week
        rest = p.settings.rest_hours
        if per_week * rest > WEEK_HOURS:
            found.append(
                PlanNote(
                    f"prescription.sessions_per_week: {per_week} sessions a week with "
                    f"settings.rest_hours = {rest} cannot fit in a week ({per_week} x {rest} h "
                    f"= {per_week * rest} h > {WEEK_HOURS} h); lower one of them",
                    f"This plan asks for {per_week} sessions a week with {rest} hours of rest "
                    "after each, which cannot fit in a week: sessions keep the rest. Ask your "
                    "clinician which they meant.",
                )
            )
    if p.access.sided and p.access.sides is not None and len(p.access.sides) == 1:
        side = p.access.sides[0]
        other = "left" if side == "right" else "right"
        found.append(
            PlanNote(
                f"access.sides: the plan is for the {side} side only; sessions will not offer "
                f"the {other}",
                f"This plan is for your {side} side only: sessions will not offer the {other}.",
            )
        )
    return found


WEEK_HOURS = 7 * 24


def load_protocol_file(
    path: Path,
    *,
    source: Source = "file",
    extra_checks: Callable[[dict[str, Any]], list[str]] | None = None,
) -> LoadedProtocol:
    """Read, check the signature of, and validate one protocol file; raise DataFileError
    listing every problem. `extra_checks` adds problems found on the raw document (the
    library's region rules), reported together with the field errors."""
    return load_protocol_bytes(
        read_bounded(path, source=source), path=path, source=source, extra_checks=extra_checks
    )


def load_protocol_bytes(
    raw: bytes,
    *,
    path: Path,
    source: Source = "file",
    extra_checks: Callable[[dict[str, Any]], list[str]] | None = None,
) -> LoadedProtocol:
    """load_protocol_file for bytes already read (or about to be written, when signing)."""
    if len(raw) > MAX_FILE_BYTES:
        raise too_large(path, len(raw))
    name = str(path)
    text = decode_protocol_bytes(raw, name=name)
    body, signature = check_signature(text)
    if signature.state == "modified":
        raise modified_error(name, signature)
    envelope = envelope_for(signature_verified=signature.trusted)
    protocol = parse_protocol_text(body, name=name, envelope=envelope, extra_checks=extra_checks)
    return LoadedProtocol(
        protocol, path, hashlib.sha256(raw).hexdigest(), source, signature, None, envelope
    )


def modified_error(name: str, signature: SignatureCheck) -> DataFileError:
    return DataFileError(
        f"{name} was modified since it was signed: refused",
        problems=[f"{name}: {signature.detail}"] if signature.detail else [],
        hint="Use the file exactly as your clinician sent it (installed again with: "
        "iastm-coach protocol install FILE --replace), or ask them for a new signed copy. "
        "A clinician who changed it on purpose signs it again: iastm-coach protocol sign FILE",
    )


def read_bounded(path: Path, *, source: Source = "file") -> bytes:
    """The file's bytes, refused before reading when it is larger than any protocol."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise too_large(path, size)
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        if source == "file":  # a path the person typed
            raise UsageError(f"{path}: no such protocol file") from None
        raise DataFileError(f"{path}: no such protocol file") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a protocol file") from None
    except OSError as error:
        raise DataFileError(f"{path}: cannot be read ({error.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:  # it grew while we looked
        raise too_large(path, len(raw))
    return raw


def too_large(path: Path, size: int) -> DataFileError:
    return DataFileError(
        f"{path} is too large for a protocol file ({size // 1024} KiB; at most "
        f"{MAX_FILE_BYTES // 1024} KiB)",
        hint="Is it the right file? A protocol is a short TOML text file (the built-ins are "
        "under 8 KiB).",
    )


SAVE_AS_UTF8 = (
    "save it as UTF-8 (in Notepad: File > Save as > Encoding: UTF-8; in TextEdit: "
    "Format > Make Plain Text, then save as UTF-8)"
)


def decode_protocol_bytes(raw: bytes, *, name: str) -> str:
    """Text from bytes: UTF-8 (a byte-order mark, as Notepad writes, is accepted) or
    UTF-16 with a byte-order mark; anything else is refused with the fix."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise _invalid(
                name, [f"{name}: starts like UTF-16 text but is damaged; {SAVE_AS_UTF8}"]
            ) from None
    if raw[:200].count(b"\x00") > 10:
        raise _invalid(
            name,
            [f"{name}: looks like UTF-16 text without a byte-order mark; {SAVE_AS_UTF8}"],
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        start = error.start - (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        body = raw.removeprefix(b"\xef\xbb\xbf")
        line_number = body.count(b"\n", 0, start) + 1
        line_start = body.rfind(b"\n", 0, start) + 1
        line_end = body.find(b"\n", start)
        line_bytes = body[line_start : line_end if line_end != -1 else len(body)]
        shown = line_bytes.decode("utf-8", errors="replace").rstrip("\r")
        column = len(body[line_start:start].decode("utf-8", errors="replace")) + 1
        problems = [
            f"{name}: not UTF-8 text at line {line_number}, column {column} (byte "
            f"0x{raw[error.start]:02x}); {SAVE_AS_UTF8}",
            *_pointer(name, line_number, shown, column),
        ]
        raise _invalid(name, problems, count=1) from None


def _pointer(name: str, line_number: int, line: str, column: int) -> list[str]:
    """The offending line and a caret under the column, as problem lines (each starting
    with the file name, like every problem line)."""
    margin = f"{name}: {line_number:>5} | "
    shown = "".join(" " if ch == "\t" else ch for ch in line)
    shown = strip_control_characters(shown)
    if column > 100 and len(shown) > 120:  # far along a long line: a window around it
        start = column - 60
        shown, column = "…" + shown[start : start + 119], column - start + 1
    shown = shown[:120]
    caret = f"{name}: " + " " * 5 + " | " + " " * (min(column, 121) - 1) + "^"
    return [f"{margin}{shown}", caret]


def nesting_depth(text: str) -> int:
    """How deeply arrays and inline tables nest, outside strings and comments; counted
    before parsing because a deep enough file exhausts the TOML parser's recursion."""
    depth = deepest = 0
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == "#":
            newline = text.find("\n", index)
            index = length if newline == -1 else newline
        elif char in "\"'":
            index = _string_end(text, index)
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
        index += 1
    return deepest


def _string_end(text: str, start: int) -> int:
    """Index of the last character of the string starting at `start` (or the end)."""
    quote = text[start]
    multi = text.startswith(quote * 3, start)
    closing = quote * 3 if multi else quote
    index = start + len(closing)
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if not multi and text[index] == "\n":
            return index - 1
        if text.startswith(closing, index):
            return index + len(closing) - 1
        index += 1
    return len(text)


def _document_depth(document: dict[str, Any]) -> int:
    """Nesting of the parsed document, without recursion (dotted keys such as
    `a.b.c.d = 1` make deep tables that the parser itself builds happily)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            break
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_toml(text: str, *, name: str) -> dict[str, Any]:
    """TOML -> dict, or DataFileError showing the offending line with a caret."""
    if nesting_depth(text) > MAX_NESTING:
        raise _invalid(name, [_too_deep(name)])
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _invalid(name, _syntax_problem(name, text, str(error)), count=1) from None
    except RecursionError:  # pragma: no cover - nesting_depth refuses these first
        raise _invalid(name, [_too_deep(name)]) from None
    if _document_depth(document) > MAX_NESTING:
        raise _invalid(name, [_too_deep(name)])
    return document


def _too_deep(name: str) -> str:
    return (
        f"{name}: tables and lists are nested more than {MAX_NESTING} deep; a protocol "
        "file needs at most 3 (is it the right file?)"
    )


_POSITION = re.compile(r"^(?P<what>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")


def _syntax_problem(name: str, text: str, message: str) -> list[str]:
    match = _POSITION.match(message)
    if match is None:  # "(at end of document)": an unclosed list or string
        what = message.removesuffix(" (at end of document)")
        return [
            f"{name}: TOML syntax error at the end of the file: {what} "
            "(is a list, a table or a string left open?)"
        ]
    line_number, column = int(match["line"]), int(match["column"])
    lines = text.splitlines()
    line = lines[line_number - 1] if 0 < line_number <= len(lines) else ""
    what = match["what"]
    hint = _syntax_hint(line)
    return [
        f"{name}: TOML syntax error at line {line_number}, column {column}: {what}{hint}",
        *_pointer(name, line_number, line, column),
    ]


def _syntax_hint(line: str) -> str:
    stripped = line.strip()
    if "=" not in stripped and not stripped.startswith(("[", "#")) and stripped:
        return " (each setting is written key = value)"
    if re.search(r"=\s*[A-Za-z][^=]*$", stripped) and not re.search(
        r"=\s*(true|false|inf|nan)\b", stripped
    ):
        return ' (text must be in double quotes, like "light")'
    return ""


def parse_protocol(raw: bytes, *, name: str, envelope: Envelope = HOME) -> TreatmentProtocol:
    """Validate protocol bytes (no signature check: `envelope` is the caller's); `name`
    prefixes every error line."""
    return parse_protocol_text(decode_protocol_bytes(raw, name=name), name=name, envelope=envelope)


def parse_protocol_text(
    text: str,
    *,
    name: str,
    envelope: Envelope,
    extra_checks: Callable[[dict[str, Any]], list[str]] | None = None,
) -> TreatmentProtocol:
    document = parse_toml(text, name=name)
    extra = extra_checks(document) if extra_checks else []
    try:
        protocol = validate_in_envelope(document, envelope)
    except ValidationError as error:
        lines = describe_validation_errors(error)
        # The model's own checks ran if its fields were valid: do not say it twice.
        lines += [
            line
            for line in [*cross_field_problems(document, envelope=envelope), *extra]
            if not any(seen.endswith(line) for seen in lines)
        ]
        raise _invalid(name, [f"{name}: {line}" for line in lines]) from None
    if extra:
        raise _invalid(name, [f"{name}: {line}" for line in extra])
    return protocol


def validate_in_envelope(document: dict[str, Any], envelope: Envelope) -> TreatmentProtocol:
    """THE one place that hands the model the limits a file is held to: "clinician" only
    for a file signed by a trusted key (load_protocol_bytes), "home" for every other.
    The model reads `context["envelope"]`; a model without a clinician envelope ignores
    it, so every file is then held to the home limits."""
    return TreatmentProtocol.model_validate(document, context={"envelope": envelope})


def _invalid(name: str, problems: list[str], *, count: int | None = None) -> DataFileError:
    """`count` when some lines only show where a problem is (the line and its caret)."""
    count = len(problems) if count is None else count
    return DataFileError(
        f"{name} is not a valid protocol file ({count} problem{'s' * (count != 1)})",
        problems=problems,
        hint="`iastm-coach protocol schema` prints the full format; the README lists the limits.",
    )


def cross_field_problems(document: dict[str, Any], *, envelope: Envelope = HOME) -> list[str]:
    """The checks that involve several fields, done on the raw document.

    pydantic runs a model's own cross-field checks only once its fields are
    valid, so without this a physio would fix one batch of errors and only then
    learn that the areas add up to too long a session.
    """
    problems: list[str] = []
    exercises = document.get("exercise")
    for number, exercise in enumerate(exercises if isinstance(exercises, list) else [], 1):
        if isinstance(exercise, dict) and ("reps" in exercise) == ("hold_s" in exercise):
            problems.append(f"exercise[{number}]: give exactly one of reps or hold_s")
    areas = document.get("area")
    access = document.get("access")
    settings = document.get("settings")
    durations = [
        area.get("duration_s") for area in (areas if isinstance(areas, list) else [])
        if isinstance(area, dict)
    ]  # fmt: skip
    if durations and all(type(seconds) is int for seconds in durations):
        minutes = settings.get("max_session_minutes") if isinstance(settings, dict) else None
        sided = not isinstance(access, dict) or access.get("sided", True) is True
        sides = access.get("sides") if isinstance(access, dict) else None
        problem = total_dose_problem(
            durations,  # type: ignore[arg-type]
            sides=sides_a_sitting(sided, sides),
            max_minutes=minutes if type(minutes) is int else None,
            envelope=envelope,
        )
        if problem:
            problems.append(problem)
    return problems


def describe_validation_errors(error: ValidationError) -> list[str]:
    """Turn pydantic's errors into `area[2].duration_s: must be ...` lines."""
    return [f"{_location(e['loc'])}: {_message(e)}" for e in error.errors(include_url=False)]


def _location(loc: Sequence[int | str]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            # People count from 1: area[1] is the first [[area]] table.
            parts[-1] = f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"
        elif item not in ("function-after", "str", "int", "float"):
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def _field_name(loc: Sequence[int | str]) -> str:
    names = [item for item in loc if isinstance(item, str)]
    return names[-1] if names else ""


# What each pydantic type error means, in words a physio would use.
WANTED = {
    "model": "a table",
    "dict": "a table",
    "list": "a list",
    "string": "text in quotes",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "date": "a date like 2026-01-31",
}


def _message(error: Any) -> str:
    kind: str = error["type"]
    loc = error["loc"]
    value = error.get("input")
    field = _field_name(loc)
    if kind == "outside_envelope":  # the message names the limit in force (model.py)
        return str(error["msg"])
    limits = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most"),
              "greater_than": ("gt", "more than")}  # fmt: skip
    if kind in limits:
        key, words = limits[kind]
        bound = error.get("ctx", {}).get(key)
        shown = f"{bound:g}" if isinstance(bound, int | float) else _shown(bound)
        return f"must be {words} {shown} (got {_shown(value)})"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "missing":
        return "is required but missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"must be one of {expected} (got {_shown(value)})"
    if kind.startswith("date") and isinstance(value, str):
        if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
            return f"write dates without quotes: {field} = {value.strip()}"
        return f"must be a date like 2026-01-31, written without quotes (got {_shown(value)})"
    if kind.endswith(("_type", "_parsing")):
        base = kind.removesuffix("_type").removesuffix("_parsing")
        wanted = WANTED.get(base, base.replace("_", " "))
        return f"must be {wanted} (got {_shown(value)})"
    if kind == "string_pattern_mismatch":
        if field in {"id", "region", "aliases"}:
            return (
                "must be lowercase letters, digits and single dashes, "
                f"like 'lower-back' (got {value!r})"
            )
        return f"must look like '1.0' or '2.1.3' (got {value!r})"
    if kind in {"too_short", "string_too_short"}:
        return "must not be empty"
    if kind in {"too_long", "string_too_long"}:
        return f"is too long ({error['msg'].lower()})"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")


def _shown(value: Any) -> str:
    """A value as the person wrote it in TOML, shortened."""
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, list):
        text = "a list"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(loc: Sequence[int | str]) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(loc[:-1])
    suggestion = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"; did you mean '{suggestion[0]}'?" if suggestion else "."
    listing = f" Allowed here: {', '.join(allowed)}." if allowed else ""
    return f"unknown key '{key}'{hint}{listing}"


def _allowed_keys(parent: Sequence[int | str]) -> list[str]:
    """The keys allowed at `parent`, found by walking the models."""
    model: type[BaseModel] = TreatmentProtocol
    for item in parent:
        if isinstance(item, int):
            continue
        field = model.model_fields.get(str(item))
        if field is None:
            return []
        inner = _model_in(field.annotation)
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def protocol_json_schema() -> dict[str, Any]:
    schema = TreatmentProtocol.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "iastm-coach protocol file"
    return schema
