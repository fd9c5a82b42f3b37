"""A first read of a large journal uses a second core: a forked helper fills the parse cache
of the months without one, starting from those read last, while this process reads from
the first; they meet where their work does.

On a new machine (or after `.cache` was deleted) every month file must be parsed, checked
and cached once: about a second for ten years of sessions, nearly all of it Python work
on one core. The helper only writes cache files (and the chain facts of its months),
through the same code and the same sealed format as any read; it reports nothing and
decides nothing. The reader reads every month as it reads any month: from the cache when
a file there was made from exactly these bytes, else by parsing it itself (so damage the
helper met is found and reported by the reader, with its usual message). It never waits
for the helper to reach a month: it tells the helper which month it has reached, and the
helper stops at the first month the reader has reached, so each month is parsed once
(twice at most where they meet) and the split follows the work: a reader that also draws
rows (`history --all`) leaves the helper more months than one that only gathers them.
Where fork is not available or not safe (Windows, macOS), in a process with other
threads, on one core or for a small journal, nothing is forked and the reader parses
every month itself, as before.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from iastm_coach.forking import can_fork

if TYPE_CHECKING:
    import mmap

MIN_BYTES: Final = 2_000_000  # uncached month files worth a fork (parsing them: ~0.1 s)
# Where reader and helper are, shared between the two processes: two signed 32-bit
# indexes into the uncached months in reading order (aligned words: read and written whole).
_REACHED: Final = 0  # the furthest month the reader has reached (-1: none yet)
_LOWEST_DONE: Final = 4  # the first month of the helper's finished run (len: none yet)


def progress_page(months: int) -> mmap.mmap:
    """The page reader and helper share (anonymous, so a fork shares it): nothing reached
    yet, nothing of the *months* done yet."""
    import mmap

    page = mmap.mmap(-1, 8)
    write_word(page, _REACHED, -1)
    write_word(page, _LOWEST_DONE, months)
    return page


def read_word(page: mmap.mmap, offset: int) -> int:
    return int.from_bytes(page[offset : offset + 4], "little", signed=True)


def write_word(page: mmap.mmap, offset: int, value: int) -> None:
    page[offset : offset + 4] = value.to_bytes(4, "little", signed=True)


class Helper:
    """The forked helper warming the cache of *paths* (the uncached months, in the order
    the reader reads them) from the last; none when nothing was forked."""

    def __init__(
        self,
        pid: int | None = None,
        paths: Sequence[Path] = (),
        progress: mmap.mmap | None = None,
        after: Callable[[], None] | None = None,
    ) -> None:
        self._pid = pid
        self._order = {path: index for index, path in enumerate(paths)}
        self._paths = list(paths)
        self._progress = progress
        self.forked = pid is not None
        self._after = after  # once it has finished: take what it left besides the cache

    def reach(self, path: Path) -> None:
        """The reader has reached *path*: the helper stops before it (and every month
        read before it), so it never parses what the reader is parsing. Never waits."""
        index = self._order.get(path)
        page = self._progress
        if index is not None and page is not None and index > read_word(page, _REACHED):
            write_word(page, _REACHED, index)

    def before(self, path: Path) -> None:
        """Reach *path*, and when the helper has already warmed it, wait for the helper to
        finish (soon: it stops at the month reached) so that what it worked out besides
        the cache (chain facts) can be taken."""
        self.reach(path)
        if self.has_warmed(path):
            self.join()

    def has_warmed(self, path: Path) -> bool:
        """Whether the helper has finished *path*: where the reader reaches one, they have
        met, and the helper stops (or has stopped) at the month it is on."""
        index = self._order.get(path)
        page = self._progress
        return index is not None and page is not None and index >= read_word(page, _LOWEST_DONE)

    @property
    def warmed(self) -> list[Path]:
        """The months the helper has finished so far, in reading order."""
        if self._progress is None:
            return []
        return self._paths[read_word(self._progress, _LOWEST_DONE) :]

    def join(self) -> None:
        """Wait for the helper to finish (at once when it has, or when there is none)."""
        pid, self._pid = self._pid, None
        if pid is not None:
            with contextlib.suppress(ChildProcessError, InterruptedError):
                os.waitpid(pid, 0)
            after, self._after = self._after, None
            if after is not None:
                after()

    def stop(self) -> None:
        """Ask the helper to stop after the month it is on, and wait for it: the reader
        is done (a query that stopped early need not wait for the oldest months)."""
        if self._pid is not None:
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGTERM)
        self.join()


def start_helper(
    uncached: Sequence[tuple[Path, int]],
    warm: Callable[[Path], None],
    *,
    finish: Callable[[], None] = lambda: None,
    after: Callable[[], None] | None = None,
) -> Helper:
    """Fork a helper that calls *warm* on the months of *uncached* (path and size of the
    month files without a cache file, in the order the reader will read them) from the
    last, until it meets the reader, then *finish*, when that pays off (see the module's
    docstring); the reader calls *after* once the helper has finished."""
    if not uncached or sum(size for _, size in uncached) < MIN_BYTES or not can_fork():
        return Helper()  # too little to gain, or no fork here
    paths = [path for path, _ in uncached]
    progress = progress_page(len(paths))
    try:
        pid = os.fork()
    except OSError:
        return Helper()
    if pid == 0:  # the helper: fill the cache, then leave without running anything else
        try:
            _warm_until_met(paths, warm, progress)
            with contextlib.suppress(Exception):
                finish()
        finally:
            os._exit(0)  # no atexit handlers, no flushing of the parent's buffered output
    return Helper(pid, paths, progress, after)


def _warm_until_met(
    paths: Sequence[Path], warm: Callable[[Path], None], progress: mmap.mmap
) -> None:
    """The helper's work: *warm* each month from the last until the next is one the reader
    has reached, or until asked to stop (SIGTERM, from `Helper.stop`), never in the
    middle of writing a cache file."""
    import gc
    import signal

    stopped: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopped.append(signum))
    gc.disable()  # short-lived; its objects have no cycles
    for index in range(len(paths) - 1, -1, -1):
        if stopped or index <= read_word(progress, _REACHED):
            return
        with contextlib.suppress(Exception):
            warm(paths[index])
        write_word(progress, _LOWEST_DONE, index)
