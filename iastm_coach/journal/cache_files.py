"""The journal's `.cache` directory as the journal uses it: a private directory of files
sealed with the journal's cache key (`cache.seal`), each a month's parse or one of the
small indexes, read when they are there and written best effort (the cache only saves
time: a failure to write one is ignored, and a file that is not ours reads as none)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from iastm_coach.journal.cache import (
    CACHE_DIR,
    CACHE_FORMAT,
    cache_key,
    load_cache_blob,
    seal,
    shared,
    unseal,
)
from iastm_coach.journal.files import DIR_MODE, read_regular, replace_file
from iastm_coach.journal.format import CURRENT_SCHEMA, Row


class CacheFiles:
    """The `.cache` directory of the journal in *journal_directory*."""

    def __init__(self, journal_directory: Path) -> None:
        self.directory = journal_directory / CACHE_DIR
        self._key: bytes | None = None

    def key(self, *, create: bool) -> bytes | None:
        """The journal's cache key (made, with the directory, when *create*)."""
        if self._key is None:
            if create and not self.directory.is_dir():
                with contextlib.suppress(OSError):
                    self.directory.mkdir(mode=DIR_MODE)
                    self.directory.chmod(DIR_MODE)
            self._key = cache_key(self.directory, create=create)
        return self._key

    def names(self) -> set[str]:
        """The names of the files there: one listing, not a look per month."""
        try:
            with os.scandir(self.directory) as entries:
                return {entry.name for entry in entries}
        except OSError:
            return set()

    def read(self, name: str) -> bytes | None:
        """The bytes of the file *name*; None if there is none, or it is a link or a
        special file (`files.read_regular`)."""
        try:
            return read_regular(self.directory / name)
        except OSError:
            return None

    def write(self, name: str, blob: bytes) -> None:
        """Best effort: the cache only saves time, so any failure is ignored."""
        try:
            if not self.directory.is_dir():
                self.directory.mkdir(mode=DIR_MODE)
                self.directory.chmod(DIR_MODE)
            replace_file(self.directory / name, blob, durable=False)
        except OSError:
            pass

    def read_sealed(self, name: str) -> bytes | None:
        """The body of the file *name* if this journal's key and version sealed it."""
        blob = self.read(name)
        return None if blob is None else unseal(self.key(create=False), blob)

    def write_sealed(self, name: str, body: bytes) -> None:
        key = self.key(create=True)
        if key is not None:
            self.write(name, seal(key, body))

    def rows(
        self, month: Path, *, check_values: bool = True
    ) -> tuple[int, bytes, list[Row]] | None:
        """(size, SHA-256, rows) of the cached parse of the month file *month*, or None
        (see `cache.load_cache_blob` for *check_values*)."""
        blob = self.read(rows_name(month))
        if blob is None:
            return None
        return load_cache_blob(blob, self.key(create=False), check_values=check_values)

    def save_rows(self, month: Path, size: int, digest: bytes, rows: list[Row]) -> None:
        """Cache *rows*, the parse of the first *size* bytes of *month* (SHA-256 *digest*)."""
        import pickle

        key = self.key(create=True)
        if key is None:
            return
        body = pickle.dumps((CACHE_FORMAT, CURRENT_SCHEMA, size, digest, shared(rows)), protocol=5)
        self.write(rows_name(month), seal(key, body))


def rows_name(month: Path) -> str:
    """The cache file of a month file's parse: `2026-03.toml.pickle`."""
    return f"{month.name}.pickle"
