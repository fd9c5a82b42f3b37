"""The journal's `.cache` directory as the journal uses it: a private directory of files
sealed with the journal's cache key (`cache.seal`), each a month's parse or one of the
small indexes, read when they are there and written best effort (the cache only saves
time: a failure to write one is ignored, and a file that is not ours reads as none)."""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from iastm_coach.forking import Beside, run_beside
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

# Rows worth writing beside (caching a row costs ~7 µs, a fork ~10 ms).
WRITE_BESIDE_ROWS: Final = 5000
Unwritten = tuple[Path, int, bytes, list[Row]]  # `save_rows`' arguments


class CacheFiles:
    """The `.cache` directory of the journal in *journal_directory*."""

    def __init__(self, journal_directory: Path) -> None:
        self.directory = journal_directory / CACHE_DIR
        self._key: bytes | None = None
        # Saved but not yet in a file, by file name: inside `writing_later`, and being
        # written beside this process. A read of one of them is answered from here.
        self._later: dict[str, Unwritten] | None = None  # inside `writing_later`
        self._writers: list[_Writer] = []  # beside this process, each with its months

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
        self.finish_writing()
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
        (see `cache.load_cache_blob` for *check_values*). A parse saved and not written
        yet is given as saved: its file is not waited for."""
        name = rows_name(month)
        unwritten = (self._later or {}).get(name) or self._being_written(name)
        if unwritten is not None:
            return unwritten[1:]
        blob = self.read(name)
        if blob is None:
            return None
        return load_cache_blob(blob, self.key(create=False), check_values=check_values)

    def save_rows(self, month: Path, size: int, digest: bytes, rows: list[Row]) -> None:
        """Cache *rows*, the parse of the first *size* bytes of *month* (SHA-256 *digest*),
        now or, inside `writing_later`, after it."""
        if self._being_written(rows_name(month)) is not None:
            self.finish_writing()  # an older parse of it: not to be written after this one
        if self._later is not None:
            self._later[rows_name(month)] = (month, size, digest, rows)
        else:
            self._write_rows(month, size, digest, rows)

    @contextlib.contextmanager
    def writing_later(self) -> Iterator[None]:
        """Month parses saved inside this block are written after it, beside this process
        where that pays (`forking.run_beside`): a first read of a long journal spends its
        time reading, and what it read is cached while the command goes on with it. A
        cache file being written is waited for at exit (and before the directory is
        listed); until then, a read of its month is answered from memory."""
        if self._later is not None:
            yield
            return
        self._later = {}
        try:
            yield
        finally:
            later, self._later = self._later, None
            self._write_beside(later)

    def write_saved(self) -> None:
        """Inside `writing_later`: start writing what was saved so far now, beside this
        process where that pays, instead of at the end of the block (a first read does
        this when its forked helper has finished, and a core is free)."""
        if self._later:
            later, self._later = self._later, {}
            self._write_beside(later)

    def _write_beside(self, later: dict[str, Unwritten]) -> None:
        if not later:
            return
        items = list(later.values())

        def write_all() -> None:
            for item in items:
                self._write_rows(*item)

        worth_it = sum(len(item[3]) for item in items) >= WRITE_BESIDE_ROWS
        beside = run_beside(write_all, worth_it=worth_it)
        if not beside.done():  # read from here until they are written
            # Not after an earlier writer: `save_rows` lets no two write the same month.
            waited = weakref.finalize(self, beside)  # at the latest when we are gone
            self._writers.append(_Writer(beside, waited, later))

    def _being_written(self, name: str) -> Unwritten | None:
        """The parse of the file *name* a writer beside this process is writing, if any
        (the writers that have finished are let go first: what they wrote is read from
        its file, and nothing is kept in memory for it)."""
        if self._writers:
            self._writers = [writer for writer in self._writers if not writer.finished()]
        for writer in self._writers:
            unwritten = writer.months.get(name)
            if unwritten is not None:
                return unwritten
        return None

    def finish_writing(self) -> None:
        """Wait until the cache files being written beside this process are written."""
        writers, self._writers = self._writers, []
        for writer in writers:
            writer.waited()

    def in_helper(self) -> None:
        """In a forked first-read helper: write each parse at once. A `writing_later` block
        (or a writer) of the process it was forked from is not its own: what it saved
        there would be lost when it leaves."""
        self._later = None
        for writer in self._writers:
            writer.waited.detach()
        self._writers = []

    def _write_rows(self, month: Path, size: int, digest: bytes, rows: list[Row]) -> None:
        import pickle

        key = self.key(create=True)
        if key is None:
            return
        body = pickle.dumps((CACHE_FORMAT, CURRENT_SCHEMA, size, digest, shared(rows)), protocol=5)
        self.write(rows_name(month), seal(key, body))


@dataclass(frozen=True)
class _Writer:
    """A child writing *months* (file name -> what `save_rows` was given)."""

    beside: Beside
    waited: weakref.finalize[[], CacheFiles]  # waits for it, once: now, or when the CacheFiles goes
    months: dict[str, Unwritten]

    def finished(self) -> bool:
        if self.beside.done():
            self.waited.detach()  # nothing left to wait for
            return True
        return False


def rows_name(month: Path) -> str:
    """The cache file of a month file's parse: `2026-03.toml.pickle`."""
    return f"{month.name}.pickle"
