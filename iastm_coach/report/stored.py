"""The report of an unchanged journal, stored: asking again costs a read, not a rebuild.

Building the report reads every record and joins ten years of sessions with their
check-ins (about half a second at 10,000 sessions), and writing the CSV or JSON of
all of them as long again. Both depend only on what is read, so `report_text` keeps
them in the journal's derived cache (`journal/derived.py`: private, sealed,
atomic), keyed by everything they are made from:

- the bytes of every journal file (`content_identity`: an append, a hand edit or
  damage changes the key, and the journal is then read the ordinary way, with every
  check of an ordinary read);
- the bytes of the shipped data and of every file in the data directory outside the
  journal (protocols, pins, trusted keys: the prescriptions, deviations and names);
- `--since`, the local time zone, and the program (its version and its modules);
- not *now*: a stored report is dated again (`Report.at`), which works out the
  adherence of this week anew.

A stored report holds the model without what only the CSV, the JSON's lists and
FHIR read in full (`ON_DEMAND`: the rows, every note and measurement), with the row
facts Markdown, HTML and the JSON's summary need worked out (`Report.ROW_FACTS`);
the CSV, and the JSON's lines but the dated ones, are stored as text the first time
each is written. Anything else that asks for what was left out gets it by building
the report again (`OnDemand`): slower, never wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import is_dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, overload

from iastm_coach.forking import Beside, run_beside
from iastm_coach.journal.cache import paused_gc
from iastm_coach.journal.derived import (
    ContentIdentity,
    content_identity,
    load_objects,
    read_derived,
    write_derived,
)

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal
    from iastm_coach.report.build import Report

STORE_FORMAT: Final = 2  # bump when what is stored changes meaning (2: rows not frozen)
MODEL: Final = "report"  # the derived cache's names: the model, and each format's text
STORED_TEXT: Final = frozenset({"csv", "json"})  # the formats whose rows are stored as text
STORED_FORMATS: Final = frozenset({"md", "html", *STORED_TEXT})  # FHIR is built each time
_HASHED_UP_TO: Final = 1 << 20  # larger files outside the journal: by size and time


# A model of this many sessions takes longer to store (~6 µs each) than a fork costs.
STORE_BESIDE_ROWS: Final = 3000
ON_DEMAND: Final = ("rows", "notes", "measures", "checkin_times")  # not stored (see below)


class Rebuild:
    """The report built again from the journal, once, for whatever a stored report left
    out (`ON_DEMAND`): the rows, every note and measurement, the check-in times."""

    def __init__(self, build: Callable[[], Report]):
        self._build = build
        self._report: Report | None = None

    @property
    def used(self) -> bool:
        return self._report is not None

    def __call__(self) -> Report:
        if self._report is None:
            self._report = self._build()
        return self._report


class OnDemand(Sequence[Any]):
    """A stored report's field left out (its length is known): the first time anything
    asks for an item, the report is built again (`Rebuild`) and the field taken from it."""

    def __init__(self, count: int, name: str):
        self._count = count
        self._name = name
        self._rebuild: Rebuild | None = None

    def attach(self, rebuild: Rebuild) -> None:
        self._rebuild = rebuild

    def _all(self) -> Sequence[Any]:
        if self._rebuild is None:
            raise LookupError(f"the {self._name} of this stored report cannot be read again")
        found: Sequence[Any] = getattr(self._rebuild(), self._name)
        return found

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._all()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._count, self._name))


class MappingOnDemand(Mapping[Any, Any]):
    """`OnDemand` for a mapping (the check-in times)."""

    def __init__(self, count: int, name: str):
        self._items = OnDemand(count, name)

    def attach(self, rebuild: Rebuild) -> None:
        self._items.attach(rebuild)

    def _all(self) -> Mapping[Any, Any]:
        found: Mapping[Any, Any] = self._items._all()  # type: ignore[assignment]
        return found

    def __getitem__(self, key: Any) -> Any:
        return self._all()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._items)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (len(self._items), self._items._name))


def report_text(
    journal: Journal, *, since: datetime | None, now: datetime, fmt: str
) -> tuple[int, str]:
    """The number of sessions in the report generated at *now*, and its text in *fmt*:
    from the derived cache when the journal and everything else it is made from are
    unchanged, else built (and stored for next time)."""
    # The model of a long journal is tens of thousands of small objects, none in a
    # reference cycle: the cyclic collector would only scan them again and again.
    with paused_gc():
        return _report_text(journal, since=since, now=now, fmt=fmt)


def _report_text(
    journal: Journal, *, since: datetime | None, now: datetime, fmt: str
) -> tuple[int, str]:
    directory = journal.directory
    identity = content_identity(directory) if fmt in STORED_FORMATS else None
    key = report_key(directory, identity, since) if identity else None
    kept = read_kept(directory, fmt, key) if key and fmt in STORED_TEXT else None
    if fmt == "csv" and kept is not None and isinstance(kept[1], str):
        return kept[0], kept[1]  # every line of the CSV is the journal's: nothing is dated
    # Imported only now: a stored CSV needs none of the report's modules.
    from iastm_coach.report.build import render
    from iastm_coach.report.context import make_report
    from iastm_coach.report.data import render_json

    stored = load_report(journal, key, since=since, now=now) if key else None
    if stored is not None and fmt not in STORED_TEXT:
        return len(stored.rows), render(stored, fmt)
    if stored is not None and kept is not None and isinstance(kept[1], dict):
        return len(stored.rows), render_json(stored, kept=kept[1])
    report = make_report(journal, since=since, now=now)
    if not (
        key is not None
        and identity is not None
        and identity.unchanged(directory)
        and report_key(directory, identity, since) == key  # no protocol or key file changed
    ):
        return len(report.rows), render(report, fmt)
    # Storing only saves time: whatever goes wrong, the report is made, and is shown. The
    # model of a long journal is stored beside this process while it renders the text.
    stored_model = (
        run_beside(
            lambda: store_report(directory, key, report),
            worth_it=len(report.rows) >= STORE_BESIDE_ROWS,
        )
        if stored is None
        else Beside()  # stored already: nothing to wait for
    )
    try:
        text, keep = render_keeping(report, fmt)
    finally:
        stored_model()
    if keep is not None:
        with contextlib.suppress(Exception):
            body = pickle.dumps((STORE_FORMAT, len(report.rows), keep), protocol=5)
            write_derived(directory, f"{MODEL}-{fmt}", key, body)
    return len(report.rows), text


def render_keeping(report: Report, fmt: str) -> tuple[str, str | dict[str, str] | None]:
    """The text of *report* in *fmt*, and what of it to store: the whole CSV, the JSON's
    lines but the dated ones (`data.DATED_KEYS`), nothing of the others."""
    from iastm_coach.report.build import render
    from iastm_coach.report.data import DATED_KEYS, join_json, json_lines

    if fmt == "json":
        lines = json_lines(report)
        return join_json(lines), {k: v for k, v in lines.items() if k not in DATED_KEYS}
    text = render(report, fmt)
    return text, text if fmt == "csv" else None


def read_kept(directory: Path, fmt: str, key: bytes) -> tuple[int, str | dict[str, str]] | None:
    """(sessions, what `render_keeping` stored) for *key*, or None."""
    body = read_derived(directory, f"{MODEL}-{fmt}", key)
    loaded = None if body is None else load_objects(body, lambda module, name: None)
    if not (isinstance(loaded, tuple) and len(loaded) == 3 and loaded[0] == STORE_FORMAT):
        return None
    _, count, kept = loaded
    if not isinstance(count, int):
        return None
    if isinstance(kept, str) or (
        isinstance(kept, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in kept.items())
    ):
        return count, kept
    return None


def store_report(directory: Path, key: bytes, report: Report) -> None:
    """Store *report* without the fields `ON_DEMAND`, with its row facts worked out."""
    for name in report.ROW_FACTS:
        getattr(report, name)
    left_out: dict[str, Any] = {
        name: (MappingOnDemand if name == "checkin_times" else OnDemand)(
            len(getattr(report, name)), name
        )
        for name in ON_DEMAND
    }
    model = replace(report, **left_out)
    model.__dict__.update({name: report.__dict__[name] for name in report.ROW_FACTS})
    body = pickle.dumps((STORE_FORMAT, model), protocol=pickle.HIGHEST_PROTOCOL)
    write_derived(directory, MODEL, key, body)


def load_report(
    journal: Journal, key: bytes, *, since: datetime | None, now: datetime
) -> Report | None:
    """The stored report for *key*, dated *now* (None: none, or not one we can read)."""
    from iastm_coach.report.build import Report
    from iastm_coach.report.context import make_report

    body = read_derived(journal.directory, MODEL, key)
    if body is None:
        return None
    loaded = load_objects(body, _our_class)
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == STORE_FORMAT):
        return None
    model = loaded[1]
    if not isinstance(model, Report) or model.adherence_basis is None:
        return None
    left_out = [getattr(model, name) for name in ON_DEMAND]
    if not all(isinstance(field, OnDemand | MappingOnDemand) for field in left_out):
        return None
    rebuild = Rebuild(lambda: make_report(journal, since=since, now=now))
    for field in left_out:
        field.attach(rebuild)
    return model.at(now)


def _our_class(module: str, name: str) -> type | None:
    """The report model's own classes (dataclasses of iastm-coach), and `OnDemand`."""
    if not module.startswith("iastm_coach.") or "." in name:
        return None
    import importlib

    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    if found in (OnDemand, MappingOnDemand) or (isinstance(found, type) and is_dataclass(found)):
        return found
    return None


# --- the key -------------------------------------------------------------------------------


def report_key(directory: Path, identity: ContentIdentity, since: datetime | None) -> bytes:
    """Everything a report is made from but *now* (see the module's list), hashed."""
    from iastm_coach import __version__
    from iastm_coach.paths import data_dir, user_dir

    parts = (
        STORE_FORMAT,
        __version__,
        sys.version_info[:2],
        identity.digest,
        None if since is None else since.isoformat(),
        local_zone(),
        os.environ.get("IASTM_COACH_TOML"),  # which parser reads the journal
        tree_stamp(Path(__file__).resolve().parent.parent, skip=None, contents=False, suffix=".py"),
        tree_stamp(data_dir(), skip=None),
        tree_stamp(user_dir(), skip=directory),
    )
    return hashlib.sha256(pickle.dumps(parts, protocol=4)).digest()


def local_zone() -> tuple[Any, ...]:
    """The local time zone (dates in Markdown and HTML, the detailed months)."""
    import time

    return (
        os.environ.get("TZ"),
        time.tzname,
        time.timezone,
        time.altzone,
        time.daylight,
        datetime.now().astimezone().utcoffset(),
    )


def tree_stamp(
    root: Path, *, skip: Path | None, contents: bool = True, suffix: str = ""
) -> list[tuple[Any, ...]]:
    """Each regular file under *root* (not under *skip*; its name ending in *suffix*) by
    path and SHA-256 of its bytes, or by size and times when it is large or without
    *contents* (the program's modules)."""
    found: list[tuple[Any, ...]] = []
    skipped = skip.absolute() if skip is not None else None
    seen: set[tuple[int, int]] = set()  # folders by device and inode: links may loop

    def unreadable(error: OSError) -> None:  # a folder that cannot be listed counts as such
        found.append((str(error.filename), "unreadable", error.errno))

    # Links are followed, as the report reads through them (a linked, synced protocols
    # folder is still where the physio's files are).
    for top, folders, files in os.walk(root.absolute(), onerror=unreadable, followlinks=True):
        folder = Path(top)
        try:
            info = folder.stat()
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in seen:
            folders[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        folders[:] = sorted(f for f in folders if f != "__pycache__" and folder / f != skipped)
        for name in sorted(files):
            if not name.endswith(suffix):
                continue
            path = folder / name
            try:
                info = path.stat()
                if not stat.S_ISREG(info.st_mode):
                    found.append((str(path), info.st_mode))  # never opened: it may be a FIFO
                elif contents and info.st_size <= _HASHED_UP_TO:
                    found.append((str(path), hashlib.sha256(path.read_bytes()).digest()))
                else:
                    found.append((str(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns))
            except OSError:
                found.append((str(path), None))
    return found
