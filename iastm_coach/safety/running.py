"""One session of a region and side at a time.

A second `iastm-coach session calf --side left` started while the first is still open
(another terminal, a double start) would dose the same tissue twice before either is
recorded, so neither the rest period nor the daily limit could see it. Each running
session holds a small lock file per region and side (`running/calf-left.lock`, next to
the journal) from its gates until its records are written. The file says which process
holds it and since when; a lock whose process is gone, or older than `STALE_AFTER`
(a crashed or killed session), is taken over instead of blocking forever.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from iastm_coach.errors import SafetyStop
from iastm_coach.paths import ensure_private_dir

STALE_AFTER: Final = timedelta(hours=2)  # 20 min of strokes at most, plus aftercare


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: a process id and when it started."""

    pid: int
    since: datetime | None


def lock_path(directory: Path, region: str, side: str) -> Path:
    return directory / f"{region}-{side}.lock"


def read_holder(path: Path) -> Holder | None:
    """The holder named in a lock file; None when it cannot be read (half-written)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        since = datetime.fromisoformat(str(data["since"]))
        return Holder(int(data["pid"]), since if since.tzinfo else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def is_stale(holder: Holder | None, now: datetime) -> bool:
    """A lock nobody can be using: unreadable, its process gone, or too old."""
    if holder is None or holder.since is None:
        return True
    return not process_alive(holder.pid) or now - holder.since > STALE_AFTER


def acquire(directory: Path, region: str, side: str, now: datetime) -> Path:
    """Take the lock of *region* and *side*; SafetyStop when a live session holds it."""
    ensure_private_dir(directory)
    path = lock_path(directory, region, side)
    payload = json.dumps({"pid": os.getpid(), "since": now.isoformat()})
    for _ in range(2):  # at most one stale lock to take over
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            holder = read_holder(path)
            if not is_stale(holder, now):
                place = region if side == "none" else f"{side} {region}"
                started = f" since {holder.since:%H:%M}" if holder and holder.since else ""
                raise SafetyStop(
                    f"a {place} session is already running{started} "
                    f"(process {holder.pid if holder else '?'})",
                    hint="Finish or quit that session first; one region and side is "
                    "treated once at a time.",
                ) from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        return path
    raise SafetyStop(
        f"could not take the lock {path}",
        hint="Another session may be starting at the same moment; try again.",
    )


@contextlib.contextmanager
def running(directory: Path, region: str, sides: Sequence[str], now: datetime) -> Iterator[None]:
    """Hold the locks of *region* on *sides* for the block; released however it ends."""
    taken: list[Path] = []
    try:
        for side in sides:
            taken.append(acquire(directory, region, side, now))
        yield
    finally:
        for path in taken:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def locks_dir(journal_directory: Path) -> Path:
    """`running/` next to the journal's directory."""
    return journal_directory.parent / "running"
