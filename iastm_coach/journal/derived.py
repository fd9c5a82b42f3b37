"""Caches derived from the whole journal (the report's model): keyed by its content.

The parse cache (`cache.py`) keeps each month's records; a derived cache keeps what a
command works out from all of them, so that asking again about an unchanged journal
costs a read instead of a rebuild. It lives in the same private `.cache` directory as
`derived-<name>.pickle`, is sealed like the parse cache (HMAC with the journal's cache
key and the version of iastm-coach), carries the key it was made for, and is written
atomically. Anything unreadable, unsealed, or made for another key is ignored.

`content_identity` is the journal's part of that key: the bytes of every file in the
journal directory, so that any append, hand edit or damage changes it and the command
reads the journal the ordinary way (with the checks of every read). A journal with a
month file that is not a private regular file gets no identity at all: reading it the
ordinary way warns about it or refuses it, as always.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from iastm_coach.journal.cache import (
    CACHE_DIR,
    MonthSummary,
    StatKey,
    stat_key,
)
from iastm_coach.journal.cache_files import CacheFiles
from iastm_coach.journal.files import (
    NotAJournalFile,
    is_loose,
    open_regular,
    read_all,
)
from iastm_coach.journal.format import MONTH_FILE
from iastm_coach.journal.indexes import SummaryIndex

DERIVED_FORMAT: Final = b"iastm-coach derived 1\0"
_NOT_OURS: Final = frozenset({CACHE_DIR, ".lock"})  # disposable, or never read for records
_DATETIME_CLASSES: Final = frozenset({"datetime", "date", "time", "timezone", "timedelta"})

Stat = tuple[str, StatKey]  # a file's name and its `cache.stat_key`


@dataclass(frozen=True)
class ContentIdentity:
    """The SHA-256 of every file of a journal directory (name and bytes), and how each
    file looked (`unchanged` tells whether a writer came by since)."""

    digest: bytes
    stats: tuple[Stat, ...]

    def unchanged(self, directory: Path) -> bool:
        """Whether every file is still as it was when the identity was taken (a command
        only stores what it worked out when nothing was appended meanwhile)."""
        return _stats(directory) == self.stats


def _stats(directory: Path) -> tuple[Stat, ...] | None:
    found = _entries(directory)
    return None if found is None else tuple(_stat_of(name, info) for name, info in found)


def _stat_of(name: str, info: os.stat_result) -> Stat:
    return (name, stat_key(info))


def _entries(directory: Path) -> list[tuple[str, os.stat_result]] | None:
    """Every entry of the journal directory but ours, by name, with its `lstat`."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
        return [
            (entry.name, entry.stat(follow_symlinks=False))
            for entry in entries
            if entry.name not in _NOT_OURS
        ]
    except OSError:
        return None


def content_identity(directory: Path) -> ContentIdentity | None:
    """The identity of the journal in *directory*, or None (no journal, a loose or odd
    month file, anything unreadable): then nothing derived is used or stored.

    A month file whose stat is the one the journal's sealed summary index recorded for
    it once it had settled (`cache.settled_stat`: the journal's own trust, as for holds)
    counts by the SHA-256 recorded there; any other file is read and hashed.
    """
    try:
        if is_loose(directory.stat().st_mode):
            return None
    except OSError:
        return None
    entries = _entries(directory)
    if entries is None:
        return None
    index = _summary_index(directory)
    whole = hashlib.sha256()
    for name, info in entries:
        month = MONTH_FILE.fullmatch(name) is not None
        if month and (not stat.S_ISREG(info.st_mode) or is_loose(info.st_mode)):
            return None  # the ordinary read refuses it, or warns about it
        known = index.get(name) if month else None
        if known is not None and known.stands_for(info):
            digest = known.digest
        else:
            try:
                fd, opened = open_regular(directory / name)
            except NotAJournalFile:
                continue  # not a month file, and never read as one (a subdirectory)
            except OSError:
                return None
            try:
                digest = hashlib.sha256(read_all(fd, opened.st_size)).digest()
            except OSError:
                return None
            finally:
                os.close(fd)
        encoded = name.encode("utf-8", "surrogateescape")
        whole.update(b"%d:%s" % (len(encoded), encoded))
        whole.update(digest)
    before = tuple(_stat_of(name, info) for name, info in entries)
    if _stats(directory) != before:
        return None  # a writer came by while it was read: nothing derived this time
    return ContentIdentity(whole.digest(), before)


def _summary_index(directory: Path) -> dict[str, MonthSummary]:
    """The journal's summary index (sealed; {} when there is none we can trust)."""
    return SummaryIndex(CacheFiles(directory)).all()


def derived_name(name: str) -> str:
    return f"derived-{name}.pickle"


def derived_path(directory: Path, name: str) -> Path:
    return directory / CACHE_DIR / derived_name(name)


def read_derived(directory: Path, name: str, key: bytes) -> bytes | None:
    """What was stored as *name* for *key*, or None (missing, a link or special file, not
    sealed by this journal's cache key and this version, or made for another key)."""
    body = CacheFiles(directory).read_sealed(derived_name(name))
    head = DERIVED_FORMAT + key
    if body is None or not body.startswith(head):
        return None
    return body[len(head) :]


def write_derived(directory: Path, name: str, key: bytes, body: bytes) -> None:
    """Store *body* as *name* for *key*: private, atomic, best effort (a cache only saves
    time, so a failure to write it is ignored)."""
    CacheFiles(directory).write_sealed(derived_name(name), DERIVED_FORMAT + key + body)


def load_objects(body: bytes, allowed: Callable[[str, str], type | None]) -> Any:
    """Unpickle *body* allowing only the datetime types and the classes *allowed* names
    (module, name -> the class, or None to refuse); None when it cannot be loaded."""

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if module == "datetime" and name in _DATETIME_CLASSES:
                return getattr(__import__("datetime"), name)
            found = allowed(module, name)
            if found is None:
                raise pickle.UnpicklingError(f"{module}.{name} is not allowed here")
            return found

    try:
        return Unpickler(io.BytesIO(body)).load()
    except Exception:
        return None
