"""The protocol library: built-in protocols, installed ones, and region names."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from iastm_coach.errors import DataFileError, SafetyStop, UsageError
from iastm_coach.paths import (
    DATA_ENV,
    data_dir,
    ensure_private_dir,
    installed_protocols_dir,
    write_private_file,
)
from iastm_coach.protocols.files import (
    LoadedProtocol,
    PinState,
    Source,
    load_protocol_bytes,
    load_protocol_file,
    read_bounded,
)

# How soon to get care, in words; the checklist's `urgency` uses the same keys.
URGENCY_WORDS: dict[str, str] = {
    "emergency": "Call emergency services or go to an emergency department now.",
    "same-day": "Get medical care today.",
    "see-a-doctor": "See a doctor or your clinician about this soon.",
}


@dataclass(frozen=True)
class AdviceName:
    """A name that leads to advice instead of a protocol (`data/advice.toml`)."""

    names: tuple[str, ...]
    title: str
    urgency: str
    text: str
    related: str  # a region the advice mentions, or ""
    references: tuple[str, ...]

    def stop(self, typed: str) -> SafetyStop:
        """Exit 3 with the advice: the name is a problem to have assessed, not a region."""
        return SafetyStop(
            f"'{typed}' leads to advice, not to a session: {self.title}",
            hint=f"{URGENCY_WORDS.get(self.urgency, '')} {self.text}".strip(),
        )


@dataclass(frozen=True)
class RegionIndex:
    """Region ids and aliases of the built-in library, from the file headers."""

    regions: tuple[str, ...]
    aliases: dict[str, str]  # alias -> region id
    advice: dict[str, AdviceName] = field(default_factory=dict)  # name -> advice

    def resolve(self, name: str) -> str:
        """The canonical region id for a name or alias; UsageError (exit 2) for an unknown
        name; SafetyStop (exit 3) with the advice for a name that leads to advice."""
        key = name.strip().lower().replace("_", "-").replace(" ", "-")
        if key in self.regions:
            return key
        if key in self.aliases:
            return self.aliases[key]
        if key in self.advice:
            raise self.advice[key].stop(name)
        candidates = list(self.regions) + list(self.aliases)
        close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
        # An alias found ("calves") is suggested as its region's id, the name listed below.
        hint = f"Did you mean '{self.aliases.get(close[0], close[0])}'? " if close else ""
        raise UsageError(
            f"unknown region '{name}'",
            hint=f"{hint}Known regions: {', '.join(self.regions)}.",
        )


def builtin_dir() -> Path:
    return data_dir() / "protocols"


def builtin_path(region: str) -> Path:
    return builtin_dir() / f"{region}.toml"


def installed_path(region: str) -> Path:
    return installed_protocols_dir() / f"{region}.toml"


def _top_level_text(text: str) -> str:
    """The part of a TOML file before its first table: where `region` and `aliases` are."""
    match = re.search(r"^\[", text, flags=re.MULTILINE)  # a table header, in column 1
    return text if match is None else text[: match.start()]


def advice_path() -> Path:
    return data_dir() / "advice.toml"


def load_advice_names() -> dict[str, AdviceName]:
    """Every advice name -> its advice (tests/test_data_structure.py checks the file)."""
    path = advice_path()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = [
            AdviceName(
                names=tuple(str(n) for n in entry["names"]),
                title=str(entry["title"]),
                urgency=str(entry["urgency"]),
                text=str(entry["text"]),
                related=str(entry.get("related", "")),
                references=tuple(str(r) for r in entry["references"]),
            )
            for entry in document.get("advice", [])
        ]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise DataFileError(f"{path}: cannot read the advice names ({error})") from None
    return {name: entry for entry in entries for name in entry.names}


def region_index() -> RegionIndex:
    """Built-in regions and aliases, then regions installed from a physio's file."""
    builtin = builtin_region_index()
    regions = list(builtin.regions)
    # A physio may install a protocol for a region we do not ship (e.g. "knee").
    extra_dir = installed_protocols_dir()
    if extra_dir.is_dir():
        regions += sorted(p.stem for p in extra_dir.glob("*.toml") if p.stem not in regions)
    return RegionIndex(tuple(regions), builtin.aliases, load_advice_names())


def builtin_region_index() -> RegionIndex:
    """Read only `region` and `aliases` from each built-in file (no validation: fast)."""
    regions: list[str] = []
    aliases: dict[str, str] = {}
    for path in sorted(builtin_dir().glob("*.toml")):
        head = tomllib.loads(_top_level_text(path.read_text(encoding="utf-8")))
        region = str(head.get("region", path.stem))
        regions.append(region)
        for alias in head.get("aliases", []):
            aliases[str(alias)] = region
    if not regions:
        fix = "reinstall iastm-coach"
        if os.environ.get(DATA_ENV):  # the usual cause: the variable meant for the journal
            fix = (
                f"{DATA_ENV} points here; it names a copy of the built-in data/ folder "
                "(your journal's folder is IASTM_COACH_HOME): unset it or point it to one"
            )
        raise DataFileError(f"{builtin_dir()}: no built-in protocols found; {fix}")
    return RegionIndex(tuple(regions), aliases)


def region_problems(document: dict[str, Any]) -> list[str]:
    """The region rules of a protocol file, on the raw document so they are listed with
    every other problem. Holds, rest periods and the journal are kept per region id, so a
    file must name a known region by its id; a typo must not become a new region."""
    region = document.get("region")
    if not isinstance(region, str):
        return []  # the model says what is wrong with it
    index = builtin_region_index()
    custom = document.get("custom_region") is True
    problems: list[str] = []
    if region in index.aliases:
        canonical = index.aliases[region]
        problems.append(
            f"region: '{region}' is another name for '{canonical}'; write region = \"{canonical}\""
        )
    elif region in index.regions:
        if custom:
            problems.append(
                f"custom_region: '{region}' is a built-in region, not a custom one; "
                "remove custom_region"
            )
    elif not custom:
        problems.append(_unknown_region(region, index, "region"))
    access = document.get("access")
    overlaps = access.get("overlaps") if isinstance(access, dict) else None
    for number, other in enumerate(overlaps if isinstance(overlaps, list) else [], 1):
        if isinstance(other, str) and other not in index.regions and other != region:
            installed = installed_path(other).is_file() if _is_slug(other) else False
            if not installed:
                problems.append(_unknown_region(other, index, f"access.overlaps[{number}]"))
    return problems


def _is_slug(name: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9-]{0,39}", name) is not None


def _unknown_region(name: str, index: RegionIndex, key: str) -> str:
    candidates = list(index.regions) + list(index.aliases)
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    # "forarm" is close to the first word of both forearm regions: offer both.
    close += [
        region
        for region in index.regions
        if "-" in region and difflib.get_close_matches(name, [region.split("-")[0]], cutoff=0.8)
    ]
    suggestions = list(dict.fromkeys(index.aliases.get(found, found) for found in close))
    if suggestions:
        hint = "did you mean " + " or ".join(f"'{region}'" for region in suggestions[:3]) + "?"
    else:
        hint = f"known regions: {', '.join(index.regions)}."
    text = f"{key}: unknown region '{name}'; {hint}"
    if key == "region":
        text += (
            " For a region iastm-coach does not know, add custom_region = true (the "
            "region is then shown as custom; access.zone says which limb it is on)."
        )
    return text


def load_checked(path: Path, *, source: Source = "file") -> LoadedProtocol:
    """THE validation path of `protocol validate`, `install`, `show FILE` and
    `session --protocol`: the same answer everywhere. Signature, limits, region rules."""
    return load_protocol_file(path, source=source, extra_checks=region_problems)


def check_bytes(raw: bytes, path: Path) -> LoadedProtocol:
    """load_checked for text not yet written to `path` (a file being signed)."""
    return load_protocol_bytes(raw, path=path, source="file", extra_checks=region_problems)


def require_intact(loaded: LoadedProtocol) -> LoadedProtocol:
    """Refuse to run an installed file that changed after it was installed: a doubled
    dose must never run under "issued by" (exit 4, with what to do)."""
    if loaded.pin == "changed":
        raise DataFileError(
            f"{loaded.path} has changed since it was installed: refused",
            problems=[
                f"installed with fingerprint {pinned_fingerprint(loaded.protocol.region)[:12]}, "
                f"now {loaded.short_fingerprint}"
            ],
            hint="Install your clinician's file again (iastm-coach protocol install FILE "
            "--replace). To use a changed plan on purpose, install the changed file the same "
            "way: it is then shown as what it is.",
        )
    return loaded


def load_builtin(region: str) -> LoadedProtocol:
    return load_protocol_file(builtin_path(region), source="built-in")


def load_installed(region: str) -> LoadedProtocol:
    """An installed file, with its pin: whether it is still the file that was installed."""
    path = installed_path(region)
    loaded = load_protocol_file(path, source="installed")
    pinned = pinned_fingerprint(region)
    state: PinState = (
        "unpinned" if not pinned else "pinned" if pinned == loaded.fingerprint else "changed"
    )
    return replace(loaded, pin=state)


def load_for_region(name: str) -> LoadedProtocol:
    """The installed protocol for a region if there is one, else the built-in."""
    region = region_index().resolve(name)
    installed = installed_path(region)
    if installed.is_file() or not builtin_path(region).is_file():
        return load_installed(region)
    return load_builtin(region)


@dataclass(frozen=True)
class LibraryEntry:
    """One region in `protocol list`: the built-in, the installed file, or why the
    installed file cannot be used (a modified signed file is listed, not run)."""

    builtin: LoadedProtocol | None
    installed: LoadedProtocol | None
    region: str
    problem: str = ""

    @property
    def active(self) -> LoadedProtocol | None:
        return self.installed or (None if self.problem else self.builtin)


def load_library() -> list[LibraryEntry]:
    """Every region, with the installed protocol that overrides it, if any."""
    result = []
    for region in region_index().regions:
        builtin = load_builtin(region) if builtin_path(region).is_file() else None
        installed: LoadedProtocol | None = None
        problem = ""
        if installed_path(region).is_file():
            try:
                installed = load_installed(region)
            except DataFileError as error:
                problem = error.message
        result.append(LibraryEntry(builtin, installed, region, problem))
    return result


def load_reference(reference: str) -> LoadedProtocol:
    """`protocol show` accepts a region name or a file path."""
    path = Path(reference)
    if reference.endswith(".toml") or os.sep in reference or path.is_file():
        return load_checked(path, source="file")
    return load_for_region(reference)


# --- installing, and the pin that notices a changed installed file -----------------


def pins_path() -> Path:
    """Fingerprints of installed files, recorded at install (JSON: not a protocol)."""
    return installed_protocols_dir() / "pins.json"


def _read_pins() -> dict[str, Any]:
    try:
        pins = json.loads(pins_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise DataFileError(
            f"{pins_path()}: the record of installed files is damaged ({error})",
            hint="Install your clinician's files again with --replace; that rewrites it.",
        ) from None
    return pins if isinstance(pins, dict) else {}


def pinned_fingerprint(region: str) -> str:
    entry = _read_pins().get(region)
    return str(entry.get("sha256", "")) if isinstance(entry, dict) else ""


def _pin(region: str, fingerprint: str, source: Path, now: datetime) -> None:
    pins = _read_pins()
    pins[region] = {"sha256": fingerprint, "installed": now.isoformat(), "from": source.name}
    text = json.dumps(pins, indent=2, sort_keys=True) + "\n"
    ensure_private_dir(pins_path().parent)
    temporary = pins_path().with_name("pins.json.new")
    write_private_file(temporary, text, overwrite=True)
    temporary.replace(pins_path())


@dataclass(frozen=True)
class InstallResult:
    loaded: LoadedProtocol
    destination: Path
    backup: Path | None


def check_installable(source: Path) -> LoadedProtocol:
    """The file as `install` would take it: validated, signature checked."""
    return load_checked(source, source="file")


def install(source: Path, *, replace: bool, now: datetime) -> InstallResult:
    """Validate `source`, copy it into the data directory for its region and pin it.

    An existing installed protocol is never silently overwritten: without
    `replace` this refuses; with it, the old file is kept as a backup.
    """
    loaded = check_installable(source)
    region = loaded.protocol.region
    destination = installed_path(region)
    backup: Path | None = None
    raw = read_bounded(source)
    if hashlib.sha256(raw).hexdigest() != loaded.fingerprint:
        raise DataFileError(f"{source} changed while it was being installed; try again")
    if destination.exists():
        if destination.read_bytes() == raw:
            _pin(region, loaded.fingerprint, source, now)
            return InstallResult(load_installed(region), destination, None)
        if not replace:
            raise UsageError(
                f"a protocol for '{region}' is already installed at {destination}",
                hint="Add --replace to install this one instead (the old one is kept as a backup).",
            )
        backup = destination.with_name(f"{destination.name}.replaced-{now:%Y%m%dT%H%M%S}")
        destination.rename(backup)
    ensure_private_dir(destination.parent)
    temporary = destination.with_name(f".{destination.name}.new")
    with temporary.open("wb") as handle:
        handle.write(raw)
    temporary.chmod(0o600)
    temporary.replace(destination)
    _pin(region, hashlib.sha256(raw).hexdigest(), source, now)
    return InstallResult(load_installed(region), destination, backup)
