"""What the Deviations box and the summary need from the protocol files on disk.

- the facts of every known protocol file by fingerprint (rest, sides, review date),
  and of each region's current file (for sessions whose file is gone);
- the installed files that changed since they were installed, or were modified
  since they were signed (`file-changed` deviations);
- per region, the outcome test's measurement error and how many exercises the
  protocol prescribes.

Facts are read with the journal's TOML parser (`deviations.read_plan_facts`); only
the pin and the signature checks load the installed files through the validating
loader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from iastm_coach.journal.parser import TOMLDecodeError, loads
from iastm_coach.plans.deviations import (
    Deviation,
    PlanFacts,
    file_deviation,
    known_protocol_paths,
    read_plan_facts,
)


@dataclass(frozen=True)
class PlanContext:
    facts: dict[str, PlanFacts] = field(default_factory=dict)  # fingerprint -> facts
    region_facts: dict[str, PlanFacts] = field(default_factory=dict)  # the current file's
    file_problems: tuple[Deviation, ...] = ()
    minimal_change: dict[tuple[str, str], float] = field(default_factory=dict)
    exercises: dict[str, int] = field(default_factory=dict)  # region -> exercises prescribed


def plan_context(regions: Iterable[str]) -> PlanContext:
    paths = known_protocol_paths()
    facts = read_plan_facts(paths)
    region_facts: dict[str, PlanFacts] = {}
    for item in facts.values():  # built-ins first, then installed files: the last wins
        region_facts[item.region] = item
    minimal: dict[tuple[str, str], float] = {}
    exercises: dict[str, int] = {}
    wanted = set(regions)
    for path in paths:  # installed after built-in: an installed file overrides
        document = read_toml(path)
        region = str(document.get("region", path.stem))
        if region not in wanted:
            continue
        outcome = document.get("outcome")
        if isinstance(outcome, dict):
            value = outcome.get("minimal_change")
            name = outcome.get("name")
            if isinstance(value, int | float) and not isinstance(value, bool) and name:
                minimal[(region, str(name))] = float(value)
        listed = document.get("exercise")
        exercises[region] = len(listed) if isinstance(listed, list) else 0
    return PlanContext(facts, region_facts, tuple(changed_files()), minimal, exercises)


def read_toml(path: Path) -> dict[str, object]:
    try:
        # The journal's parser: the fourteen built-ins take 9 ms with tomllib, 0.4 with it.
        return loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, TOMLDecodeError):
        return {}


def changed_files() -> list[Deviation]:
    """Installed files that changed since they were installed (against the pin recorded
    at install), or whose signature no longer matches their text."""
    from iastm_coach.paths import installed_protocols_dir

    folder = installed_protocols_dir()
    paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not paths:
        return []
    import hashlib

    from iastm_coach.errors import CoachError
    from iastm_coach.protocols.library import pinned_fingerprint
    from iastm_coach.protocols.signing import check_signature

    found = []
    for path in paths:
        try:
            raw = path.read_bytes()
            pinned = pinned_fingerprint(path.stem)
            signature = check_signature(raw.decode("utf-8-sig"))[1]
        except (OSError, UnicodeDecodeError, CoachError):
            continue  # `protocol list` reports an unreadable file
        if signature.state == "modified":
            found.append(file_deviation(path.stem, path, "modified since it was signed"))
        elif pinned and hashlib.sha256(raw).hexdigest() != pinned:
            found.append(
                file_deviation(
                    path.stem,
                    path,
                    f"changed since it was installed (installed {pinned[:12]}, now "
                    f"{hashlib.sha256(raw).hexdigest()[:12]})",
                )
            )
    return found
