"""A first read of a large journal uses a second core: a forked helper fills the parse cache
of the months read last that have none, while this process parses the others.

On a new machine (or after `.cache` was deleted) every month file must be parsed, checked
and cached once: about a second for ten years of sessions, nearly all of it Python work
on one core. The helper only writes cache files, through the same code and the same
sealed format as any read; it reports nothing and decides nothing. The reader waits for it
before its first month of the helper's share and then reads those months as it reads any
month: from the cache when a file there was made from exactly these bytes, else by
parsing them itself (so damage the helper met is found and reported by the reader, with
its usual message). Where fork is not available or not safe (Windows, macOS), in a
process with other threads, on one core or for a small journal, nothing is forked and the
reader parses every month itself, as before.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

MIN_BYTES: Final = 2_000_000  # uncached month files worth a fork (parsing them: ~0.1 s)
# The helper's share of the bytes: it parses, caches and works out the chain facts of its
# months; the reader also turns rows into records and reads the helper's months back from
# the cache. Measured on a ten-year journal: half gave the shortest first scan (0.67 s
# against 0.78 s with 60 %) and as short a `journal check`.
HELPER_SHARE: Final = 0.5


class Helper:
    """The forked helper warming *paths* (none when nothing was forked)."""

    def __init__(
        self,
        pid: int | None = None,
        paths: frozenset[Path] = frozenset(),
        after: Callable[[], None] | None = None,
    ) -> None:
        self._pid = pid
        self.paths = paths  # the months it warms
        self.forked = pid is not None
        self._after = after  # once it has finished: take what it left besides the cache

    def before(self, path: Path) -> None:
        """Wait for the helper before *path* is read, if it is one the helper warms."""
        if path in self.paths:
            self.join()

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


def can_fork() -> bool:
    import sys
    import threading

    return (
        hasattr(os, "fork")
        # macOS: system libraries may not survive a fork without exec (Python's own
        # multiprocessing stopped forking there), so the reader parses every month itself.
        and sys.platform != "darwin"
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1  # forking a threaded process can deadlock it
    )


def last_share(uncached: Sequence[tuple[Path, int]]) -> list[Path]:
    """The last of *uncached* (path, size, in the order they will be read), in that
    order, holding about `HELPER_SHARE` of their bytes."""
    share = sum(size for _, size in uncached) * HELPER_SHARE
    taken: list[Path] = []
    bytes_taken = 0
    for path, size in reversed(uncached):
        if bytes_taken + size > share:
            break
        taken.append(path)
        bytes_taken += size
    taken.reverse()
    return taken


def start_helper(
    uncached: Sequence[tuple[Path, int]],
    warm: Callable[[Path], None],
    *,
    finish: Callable[[], None] = lambda: None,
    after: Callable[[], None] | None = None,
) -> Helper:
    """Fork a helper that calls *warm* on the last share of *uncached* (path and size of
    the month files without a cache file, in the order the reader will read them), then
    *finish*, when that pays off (see the module's docstring); the reader calls *after*
    once the helper has finished."""
    if sum(size for _, size in uncached) < MIN_BYTES or not can_fork():
        return Helper()  # too little to gain, or no fork here
    paths = last_share(uncached)
    if not paths:
        return Helper()
    try:
        pid = os.fork()
    except OSError:
        return Helper()
    if pid == 0:  # the helper: fill the cache, then leave without running anything else
        try:
            _warm_all(paths, warm)
            with contextlib.suppress(Exception):
                finish()
        finally:
            os._exit(0)  # no atexit handlers, no flushing of the parent's buffered output
    return Helper(pid, frozenset(paths), after)


def _warm_all(paths: Sequence[Path], warm: Callable[[Path], None]) -> None:
    """The helper's work: *warm* each month until done or asked to stop (SIGTERM, from
    `Helper.stop`), never in the middle of writing a cache file."""
    import gc
    import signal

    stopped: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopped.append(signum))
    gc.disable()  # short-lived; its objects have no cycles
    for path in paths:
        if stopped:
            return
        with contextlib.suppress(Exception):
            warm(path)
