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

A stored report holds the model without its rows (the row facts Markdown, HTML and
the JSON's summary need are kept: `Report.ROW_FACTS`); the CSV, and the JSON's
sessions, are stored as text the first time each is written. Anything else that asks
for the rows gets them by building the report again (`RowsOnDemand`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import is_dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, overload

from iastm_coach.journal.derived import (
    ContentIdentity,
    content_identity,
    load_objects,
    read_derived,
    write_derived,
)

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.journal.store import Journal
    from iastm_coach.report.build import Report

STORE_FORMAT: Final = 1  # bump when what is stored changes meaning
MODEL: Final = "report"  # the derived cache's names: the model, and each format's text
STORED_TEXT: Final = frozenset({"csv", "json"})  # the formats whose rows are stored as text
STORED_FORMATS: Final = frozenset({"md", "html", *STORED_TEXT})  # FHIR is built each time
_HASHED_UP_TO: Final = 1 << 20  # larger files outside the journal: by size and time


class RowsOnDemand(Sequence["SessionRow"]):
    """A stored report's rows: their number is known; the rows themselves are built
    again (the whole report, from the journal) the first time anything asks for one."""

    def __init__(self, count: int, load: Callable[[], Sequence[SessionRow]] | None = None):
        self._count = count
        self._load = load
        self._rows: Sequence[SessionRow] | None = None

    def attach(self, load: Callable[[], Sequence[SessionRow]]) -> None:
        self._load = load

    @property
    def loaded(self) -> bool:
        return self._rows is not None

    def _all(self) -> Sequence[SessionRow]:
        if self._rows is None:
            if self._load is None:
                raise LookupError("the rows of this stored report cannot be read again")
            self._rows = tuple(self._load())
        return self._rows

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> SessionRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SessionRow]: ...
    def __getitem__(self, index: int | slice) -> SessionRow | Sequence[SessionRow]:
        return self._all()[index]

    def __iter__(self) -> Iterator[SessionRow]:
        return iter(self._all())

    def __reduce__(self) -> tuple[Any, ...]:
        return (RowsOnDemand, (self._count,))


def report_text(
    journal: Journal, *, since: datetime | None, now: datetime, fmt: str
) -> tuple[Report, str]:
    """The report generated at *now* and its text in *fmt*: from the derived cache when
    the journal and everything else it is made from are unchanged, else built (and
    stored for next time)."""
    from iastm_coach.report.build import render
    from iastm_coach.report.context import make_report

    if fmt not in STORED_FORMATS:
        report = make_report(journal, since=since, now=now)
        return report, render(report, fmt)
    identity = content_identity(journal.directory)
    key = report_key(journal.directory, identity, since) if identity else None
    stored = load_report(journal, key, since=since, now=now) if key else None
    if stored is not None and fmt not in STORED_TEXT:
        return stored, render(stored, fmt)
    if stored is not None and key is not None:
        text = read_text(journal.directory, fmt, key)
        if text is not None:
            return stored, render_stored(stored, fmt, text)
    report = make_report(journal, since=since, now=now)
    text, stored_text = render_keeping(report, fmt)
    if key is not None and identity is not None and identity.unchanged(journal.directory):
        if stored is None:
            store_report(journal.directory, key, report)
        if stored_text is not None:
            write_derived(journal.directory, f"{MODEL}-{fmt}", key, stored_text.encode())
    return report, text


def render_keeping(report: Report, fmt: str) -> tuple[str, str | None]:
    """The text of *report* in *fmt*, and the part of it to store (None: nothing)."""
    from iastm_coach.report.build import render
    from iastm_coach.report.data import json_sessions, render_json

    if fmt == "json":
        sessions = json_sessions(report)
        return render_json(report, sessions=sessions), sessions
    text = render(report, fmt)
    return text, text if fmt == "csv" else None


def render_stored(report: Report, fmt: str, text: str) -> str:
    """*report* in *fmt* with the stored part of it (see `render_keeping`)."""
    from iastm_coach.report.data import render_json

    return render_json(report, sessions=text) if fmt == "json" else text


def read_text(directory: Path, fmt: str, key: bytes) -> str | None:
    body = read_derived(directory, f"{MODEL}-{fmt}", key)
    if body is None:
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def store_report(directory: Path, key: bytes, report: Report) -> None:
    """Store *report* without its rows, with the row facts worked out."""
    for name in report.ROW_FACTS:
        getattr(report, name)
    model = replace(report, rows=RowsOnDemand(len(report.rows)))
    model.__dict__.update({name: report.__dict__[name] for name in report.ROW_FACTS})
    body = pickle.dumps((STORE_FORMAT, model), protocol=pickle.HIGHEST_PROTOCOL)
    write_derived(directory, MODEL, key, body)


def load_report(
    journal: Journal, key: bytes, *, since: datetime | None, now: datetime
) -> Report | None:
    """The stored report for *key*, dated *now* (None: none, or not one we can read)."""
    from iastm_coach.report.build import Report

    body = read_derived(journal.directory, MODEL, key)
    if body is None:
        return None
    loaded = load_objects(body, _our_class)
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == STORE_FORMAT):
        return None
    model = loaded[1]
    if not isinstance(model, Report) or not isinstance(model.rows, RowsOnDemand):
        return None
    if model.adherence_basis is None:
        return None
    dated = model.at(now)

    def rows() -> Sequence[SessionRow]:
        from iastm_coach.report.context import make_report

        return make_report(journal, since=since, now=now).rows

    model.rows.attach(rows)
    return dated


def _our_class(module: str, name: str) -> type | None:
    """The report model's own classes (dataclasses of iastm-coach) and `RowsOnDemand`."""
    if not module.startswith("iastm_coach.") or "." in name:
        return None
    import importlib

    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    if found is RowsOnDemand or (isinstance(found, type) and is_dataclass(found)):
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
    for top, folders, files in os.walk(root.absolute()):
        folder = Path(top)
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
