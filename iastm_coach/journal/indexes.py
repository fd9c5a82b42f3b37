"""The journal's two remembered indexes, each kept in memory for a command and saved to
the `.cache` directory (sealed, best effort) when it changed: the summary of each month
file (its kinds and regions, `cache.MonthSummary`) and the hash chain facts of each month
file (`chain.MonthChain`), both for exactly the bytes they were made from."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from iastm_coach.journal.cache import (
    CHAIN_CACHE_NAME,
    HELPER_CHAINS_NAME,
    INDEX_NAME,
    MonthSummary,
    StatKey,
    chain_blob,
    read_chain_cache,
    read_summary_index,
    summary_blob,
)
from iastm_coach.journal.cache_files import CacheFiles

if TYPE_CHECKING:
    from iastm_coach.journal.chain import MonthChain
    from iastm_coach.journal.format import Record


T = TypeVar("T")


class SummaryIndex:
    """Month file name -> what it holds, read from the cache on first use."""

    def __init__(self, files: CacheFiles) -> None:
        self._files = files
        self._index: dict[str, MonthSummary] | None = None
        self._changed = False

    def all(self) -> dict[str, MonthSummary]:
        if self._index is None:
            blob = self._files.read(INDEX_NAME)
            key = self._files.key(create=False) if blob else None
            self._index = read_summary_index(key, blob) if blob else {}
            self._changed = False
        return self._index

    def note(
        self,
        name: str,
        size: int,
        digest: bytes,
        found: Sequence[Record],
        settled: StatKey | None = None,
    ) -> None:
        """Remember what the month file *name* holds (its *found* records), for exactly
        these bytes; a summary already made from them only takes the *settled* stat."""
        index = self.all()
        known = index.get(name)
        if known is not None and known.size == size and known.digest == digest:
            if settled is not None and known.stat != settled:
                index[name] = dataclasses.replace(known, stat=settled)
                self._changed = True
            return
        index[name] = MonthSummary.of(size, digest, found, settled)
        self._changed = True

    def save(self, month_names: Callable[[], Collection[str]]) -> None:
        """If changed, save the summaries of the month files *month_names* lists (the
        others' files are gone). Best effort, like the parse cache: a lost update only
        costs a read later."""
        if self._changed and self._index is not None:
            _save(self._files, INDEX_NAME, self._index, month_names, summary_blob)
        self._changed = False


class ChainFacts:
    """Month file name -> (SHA-256 of its bytes, its chain facts)."""

    def __init__(self, files: CacheFiles) -> None:
        self._files = files
        self._facts: dict[str, tuple[bytes, MonthChain]] | None = None
        self._changed = False

    def all(self) -> dict[str, tuple[bytes, MonthChain]]:
        if self._facts is None:
            blob = self._files.read(CHAIN_CACHE_NAME)
            self._facts = read_chain_cache(self._files.key(create=False), blob) if blob else {}
        return self._facts

    def put(self, name: str, digest: bytes, month: MonthChain) -> None:
        self.all()[name] = (digest, month)
        self._changed = True

    def save(self, month_names: Callable[[], Collection[str]]) -> None:
        """As `SummaryIndex.save`."""
        if self._changed and self._facts is not None:
            _save(self._files, CHAIN_CACHE_NAME, self._facts, month_names, chain_blob)
        self._changed = False

    def leave_for_reader(self) -> None:
        """In the first-read helper: leave the facts it worked out for the reader."""
        key = self._files.key(create=False)
        if key is not None and self._changed and self._facts is not None:
            self._files.write(HELPER_CHAINS_NAME, chain_blob(key, self._facts))

    def take_from_helper(self) -> None:
        """In the reader, once the helper has finished: the facts it left, for the months
        this process has none of (each is keyed by the SHA-256 of its bytes, so a fact is
        only used for exactly those bytes)."""
        blob = self._files.read(HELPER_CHAINS_NAME)
        if blob is None:
            return
        with contextlib.suppress(OSError):
            (self._files.directory / HELPER_CHAINS_NAME).unlink()
        facts = self.all()
        for name, entry in read_chain_cache(self._files.key(create=False), blob).items():
            if name not in facts:
                facts[name] = entry
                self._changed = True


def _save(
    files: CacheFiles,
    name: str,
    by_month: Mapping[str, T],
    month_names: Callable[[], Collection[str]],
    blob: Callable[[bytes, Mapping[str, T]], bytes],
) -> None:
    """Seal and write the entries of *by_month* whose month file is still there."""
    key = files.key(create=True)
    if key is not None:
        names = month_names()
        files.write(name, blob(key, {month: e for month, e in by_month.items() if month in names}))
