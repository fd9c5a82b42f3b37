"""Reading protocol files: TOML -> validated model, with errors people can act on."""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from iastm_coach.errors import DataFileError, UsageError
from iastm_coach.protocols.envelope import HOME, Envelope
from iastm_coach.protocols.model import TreatmentProtocol, total_dose_problem

Source = Literal["built-in", "installed", "file"]


@dataclass(frozen=True)
class LoadedProtocol:
    """A validated protocol and where it came from."""

    protocol: TreatmentProtocol
    path: Path
    fingerprint: str  # sha256 of the file's bytes, hex
    source: Source

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]

    def origin(self) -> str:
        """'built-in', or who issued it, for tables and session headers."""
        issued = self.protocol.issued
        if self.source == "built-in":
            return "built-in"
        who = issued.label() if issued else "unknown author"
        return f"{self.source}, issued by {who}"


def load_protocol_file(
    path: Path, *, source: Source = "file", envelope: Envelope = HOME
) -> LoadedProtocol:
    """Read and validate one protocol file; raise DataFileError listing every problem.

    *envelope* is "home" for every file until clinician signing exists (see
    `protocols.envelope.envelope_for`)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if source == "file":  # a path the person typed
            raise UsageError(f"{path}: no such protocol file") from None
        raise DataFileError(f"{path}: no such protocol file") from None
    except OSError as error:
        raise DataFileError(f"{path}: cannot be read ({error.strerror})") from None
    protocol = parse_protocol(raw, name=str(path), envelope=envelope)
    return LoadedProtocol(protocol, path, hashlib.sha256(raw).hexdigest(), source)


def parse_protocol(raw: bytes, *, name: str, envelope: Envelope = HOME) -> TreatmentProtocol:
    """Validate protocol bytes; `name` prefixes every error line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _invalid(name, [f"{name}: not UTF-8 text (byte {error.start + 1})"]) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _invalid(name, [f"{name}: TOML syntax error: {error}"]) from None
    try:
        return TreatmentProtocol.model_validate(document, context={"envelope": envelope})
    except ValidationError as error:
        lines = describe_validation_errors(error)
        # The model's own checks ran if its fields were valid: do not say it twice.
        lines += [
            line
            for line in cross_field_problems(document, envelope=envelope)
            if not any(seen.endswith(line) for seen in lines)
        ]
        raise _invalid(name, [f"{name}: {line}" for line in lines]) from None


def _invalid(name: str, problems: list[str]) -> DataFileError:
    count = len(problems)
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
        problem = total_dose_problem(
            durations,  # type: ignore[arg-type]
            sided=sided,
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
