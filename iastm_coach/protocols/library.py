"""The protocol library: built-in protocols, installed ones, and region names."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from iastm_coach.errors import DataFileError, SafetyStop, UsageError
from iastm_coach.paths import data_dir, ensure_private_dir, installed_protocols_dir
from iastm_coach.protocols.files import LoadedProtocol, load_protocol_file

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
        hint = f"Did you mean '{close[0]}'? " if close else ""
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
        raise DataFileError(f"{builtin_dir()}: no built-in protocols found; reinstall iastm-coach")
    # A physio may install a protocol for a region we do not ship (e.g. "knee").
    extra_dir = installed_protocols_dir()
    if extra_dir.is_dir():
        regions += sorted(p.stem for p in extra_dir.glob("*.toml") if p.stem not in regions)
    return RegionIndex(tuple(regions), aliases, load_advice_names())


def require_canonical_region(loaded: LoadedProtocol) -> LoadedProtocol:
    """A protocol file must name its region by its id, not an alias: holds, rest periods
    and the journal are kept per region id, so `quads` must be written `quadriceps`."""
    region = loaded.protocol.region
    canonical = region_index().aliases.get(region)
    if canonical is not None:
        raise DataFileError(
            f"{loaded.path}: region: '{region}' is another name for '{canonical}'",
            hint=f'Write region = "{canonical}" in the file.',
        )
    return loaded


def load_builtin(region: str) -> LoadedProtocol:
    return load_protocol_file(builtin_path(region), source="built-in")


def load_for_region(name: str) -> LoadedProtocol:
    """The installed protocol for a region if there is one, else the built-in."""
    region = region_index().resolve(name)
    installed = installed_path(region)
    if installed.is_file() or not builtin_path(region).is_file():
        return load_protocol_file(installed, source="installed")
    return load_builtin(region)


def load_all() -> list[tuple[LoadedProtocol, LoadedProtocol | None]]:
    """Every built-in region with the installed protocol that overrides it, if any."""
    index = region_index()
    result = []
    for region in index.regions:
        installed = installed_path(region)
        override = (
            load_protocol_file(installed, source="installed") if installed.is_file() else None
        )
        if builtin_path(region).is_file():
            result.append((load_builtin(region), override))
        elif override is not None:
            result.append((override, None))
    return result


def load_reference(reference: str) -> LoadedProtocol:
    """`protocol show` accepts a region name or a file path."""
    path = Path(reference)
    if reference.endswith(".toml") or os.sep in reference or path.is_file():
        return load_protocol_file(path, source="file")
    return load_for_region(reference)


@dataclass(frozen=True)
class InstallResult:
    loaded: LoadedProtocol
    destination: Path
    backup: Path | None


def install(source: Path, *, replace: bool, now: datetime) -> InstallResult:
    """Validate `source` and copy it into the data directory for its region.

    An existing installed protocol is never silently overwritten: without
    `replace` this refuses; with it, the old file is kept as a backup.
    """
    loaded = require_canonical_region(load_protocol_file(source, source="file"))
    region = loaded.protocol.region
    destination = installed_path(region)
    backup: Path | None = None
    if destination.exists():
        if destination.read_bytes() == source.read_bytes():
            return InstallResult(loaded, destination, None)
        if not replace:
            raise UsageError(
                f"a protocol for '{region}' is already installed at {destination}",
                hint="Add --replace to install this one instead (the old one is kept as a backup).",
            )
        backup = destination.with_name(f"{destination.name}.replaced-{now:%Y%m%dT%H%M%S}")
        destination.rename(backup)
    ensure_private_dir(destination.parent)
    shutil.copyfile(source, destination)
    destination.chmod(0o600)
    return InstallResult(load_protocol_file(destination, source="installed"), destination, backup)
