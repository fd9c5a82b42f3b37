"""The journal: a private, append-only log of TOML records, one file per month.

Layout: `<directory>/YYYY-MM.toml` (the UTC month of each record's `at`), each
an array of tables per record kind (`[[session]]`, `[[checkin]]`, ...). A record
is written as one block::

    [[session]]
    id = "01HV5XQ3S8B0Q2T1WJ9YJ2K4ZD"
    at = 2024-04-12T18:05:31.204000+02:00
    region = "calf"
    areas = [
        { name = "medial gastrocnemius", planned_s = 60, actual_s = 60, status = "done" },
    ]
    chain = "12:3a2d9305e8c2caa0bb52d08ef128beb5"
    schema = 1

The `chain` line links the record to the one before it (see `chain.py`): under the lock,
the writer reads the month file it appends to (or the newest earlier one) for the last
chained record's number and fingerprint, so an append stays one write; the head
(`.chain-head`) is rewritten after it, best effort.

Every value is rendered by tomli-w; nested tables are written inline so that a
record is one self-contained block and `schema` is always its last line. That
is what makes a torn write detectable: a record cut short anywhere before its
final line has no `schema` (or does not parse at all), so it is reported
instead of being read as a record with missing fields.

Torn writes: an append never makes damage worse and never loses the record
being written. Under the lock, the append looks at the last byte of the month
file and starts its record on a fresh line after a blank one, so a torn tail
left by a crash (power loss, SIGKILL) stays a block of its own: reading that
month raises `DataFileError` (file and line) until `iastm-coach journal repair`
moves the torn block into a side file, and the new record is kept by repair
like every other complete record. See `repair.py`.

Reading: `recent` walks month files newest first and stops once it has
enough; `scan` streams month by month; `region_records` and `records_of` parse
only the months whose summary (in the parse cache) says they can answer.
Nothing outside this package reads month files or knows their layout.
Parsing TOML is the slow part (about
3-4 MB/s with tomllib), so each month's parse is cached, disposable and
private, in `<directory>/.cache/`, keyed by the SHA-256 of the file's bytes: an
unchanged month is never parsed twice, a month that only grew by appends
parses just the new blocks, and any other change (a hand edit) means a full
parse. Deleting `.cache` is always safe.

Values: when a month is parsed, the fields each record has are checked
against `records.FIELDS` (types, ranges, choices; missing and unknown fields
are left to `journal check`). A value iastm-coach cannot use, typically a hand
edit such as `soreness = 15`, raises `DataFileError` (file, line of the field,
exit 4) exactly like a syntax error, so no reader ever shows or counts it. The
cache only holds checked rows, so this costs a few microseconds per record
parsed and nothing on a cache hit.

The package, one job per module: `ids.py` (record ids, month names),
`format.py` (rendering, parsing and checking records), `parser.py` (the one TOML
parser), `chain.py` and `integrity.py` (the hash chain and its verdict), `files.py`
(private files, durable writes, the lock), `cache.py` (the formats of the parse cache,
the month summaries and the chain facts, sealed), `cache_files.py` (the `.cache`
directory), `indexes.py` (the month summaries and chain facts of one command),
`prewarm.py` (the first-read helper), `derived.py` (caches of whole-journal results),
`blocks.py` (a month file as blocks), `check.py` and `repair.py`, `records.py` (kinds
and fields) and this module (the `Journal` API). Only the standard library and tomli-w
are imported at start-up (tomli-w, hashlib and pickle lazily): start-up time matters.
"""

from __future__ import annotations

import bisect
import contextlib
import operator
import os
import stat
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.errors import CoachError, DataFileError, UsageError
from iastm_coach.journal import records
from iastm_coach.journal.cache import (
    CACHE_DIR,
    VERDICT_NAME,
    MonthSummary,
    StatKey,
    paused_gc,
    settled_stat,
    sha256,
    tail_rows,
    verdict_inputs,
)
from iastm_coach.journal.cache_files import CacheFiles, rows_name
from iastm_coach.journal.files import (
    DIR_MODE,
    FILE_MODE,
    HEAD_NAME,
    LEDGER_NAME,
    LOCK_NAME,
    LOCK_TIMEOUT_S,
    JournalPermissionWarning,
    NotAJournalFile,
    busy_error,
    fsync_directory,
    is_loose,
    open_regular,
    permission_message,
    read_all,
    read_regular,
    replace_file,
    stamp_name,
    write_all,
    write_new_file,
)
from iastm_coach.journal.format import (
    CHECK_HINT,
    CURRENT_SCHEMA,
    MIGRATIONS,
    MONTH_FILE,
    RESERVED_FIELDS,
    Record,
    Row,
    SharedRows,
    check_data,
    check_kind,
    decode_lenient,
    decode_month,
    render_record,
    rows_from_text,
)
from iastm_coach.journal.ids import (
    is_record_id,
    month_file_name,
    month_start,
    new_record_id,
    next_month_start,
    record_id_time,
    require_aware,
)
from iastm_coach.journal.indexes import ChainFacts, SummaryIndex
from iastm_coach.journal.parser import TOMLDecodeError, loads
from iastm_coach.journal.prewarm import Helper
from iastm_coach.paths import binary

if TYPE_CHECKING:  # the hash chain is imported when a command writes or verifies it
    from iastm_coach.journal.chain import Break, MonthChain
    from iastm_coach.journal.check import CheckReport, JournalProblem
    from iastm_coach.journal.integrity import Head, IntegrityResult

# What other packages import from here (the journal's public face).
__all__ = [
    "CURRENT_SCHEMA",
    "MIGRATIONS",
    "RESERVED_FIELDS",
    "Journal",
    "JournalPermissionWarning",
    "Record",
    "is_record_id",
    "month_file_name",
    "new_record_id",
    "record_id_time",
    "records",
    "render_record",
]


SEQ_BITS: Final = 24  # records per month file, far more than a person writes


def month_order(name: str) -> int:
    """Months since year 0 for a `YYYY-MM.toml` name: month files sort (and append) so."""
    match = MONTH_FILE.fullmatch(name)
    assert match is not None
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def _row(record: Record) -> Row:
    return (record.kind, record.id, record.at, record.schema, dict(record.data))


def _by_seq(record: Record) -> int:
    return record.seq


_BY_TIME: Final = operator.attrgetter("at", "id")  # records sort by time, then id


class Journal:
    """The journal in *directory*. Nothing is created until the first write."""

    _MEMORY_MONTHS: Final = 4

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._memory: OrderedDict[Path, tuple[bytes, list[Record]]] = OrderedDict()
        self._warned: set[Path] = set()
        self._thread_lock = threading.RLock()
        self._lock_depth = 0
        self._parsed_for_check: set[Path] = set()
        self._month_paths: dict[str, Path] = {}
        self._cache = CacheFiles(self.directory)
        self._summaries = SummaryIndex(self._cache)
        self._chains = ChainFacts(self._cache)
        self._helper = Helper()  # filling the parse cache on a first read (`first_read`)
        self._first_reading = False  # inside `first_read`
        self.wall_ns: Callable[[], int] = time.time_ns  # for `settled_stat`; tests move it

    def __repr__(self) -> str:
        return f"Journal({str(self.directory)!r})"

    # -- locking

    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        """Hold the journal's inter-process lock (`<directory>/.lock`).

        On POSIX this is flock(2), as `filelock.FileLock` does there, taken
        directly: importing filelock costs more start-up time than the whole
        append. The lock file is never removed, so every process locks the same
        inode; a process that dies releases its lock with it.
        """
        with self._thread_lock:
            if self._lock_depth:  # re-entrant within this thread
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            with self._os_lock_or_explain(timeout):
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0

    @contextlib.contextmanager
    def _os_lock_or_explain(self, timeout: float) -> Iterator[None]:
        """The directory made and the lock taken, or DataFileError (exit 4) saying why
        they cannot be (a read-only home, a full disk, no permission): never "a bug"."""
        with contextlib.ExitStack() as stack:
            try:
                self._ensure_directory()
                stack.enter_context(self._os_lock(self.directory / LOCK_NAME, timeout))
            except OSError as error:
                from iastm_coach.journal.preflight import unwritable

                raise unwritable(self.directory, error) from None
            yield

    @staticmethod
    @contextlib.contextmanager
    def _os_lock(lock_path: Path, timeout: float) -> Iterator[None]:
        if os.name != "posix":  # pragma: no cover - exercised on Windows only
            import filelock

            try:
                with filelock.FileLock(lock_path, timeout=timeout, mode=FILE_MODE):
                    yield
            except filelock.Timeout:
                raise busy_error(lock_path, timeout) from None
            return
        import fcntl
        import time as time_module

        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            deadline = time_module.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time_module.monotonic() >= deadline:
                        raise busy_error(lock_path, timeout) from None
                    time_module.sleep(0.002)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _ensure_directory(self) -> None:
        if not self.directory.is_dir():
            from iastm_coach.paths import ensure_private_dir

            ensure_private_dir(self.directory)
            fsync_directory(self.directory.parent)
        else:
            self._warn_if_loose(self.directory, self.directory.stat().st_mode, DIR_MODE)

    # -- permissions

    def _warn_if_loose(self, path: Path, mode: int, wanted: int) -> None:
        if not is_loose(mode) or path in self._warned:
            return
        self._warned.add(path)
        warnings.warn(
            JournalPermissionWarning(permission_message(path, mode, wanted)), stacklevel=4
        )

    def permission_problems(self) -> list[JournalProblem]:
        """Journal paths (directory, files, parse cache) others can reach, as warnings."""
        from iastm_coach.journal.check import JournalProblem  # only `journal check` asks

        found: list[JournalProblem] = []
        if os.name != "posix" or not self.directory.is_dir():
            return found
        directories = [self.directory]
        if (self.directory / CACHE_DIR).is_dir():
            directories.append(self.directory / CACHE_DIR)
        for directory in directories:
            mode = directory.stat().st_mode
            if is_loose(mode):
                message = permission_message(directory, mode, DIR_MODE, name_it=False)
                found.append(JournalProblem(directory, None, message, "warning"))
            for entry in sorted(os.scandir(directory), key=lambda e: e.name):
                if entry.is_file(follow_symlinks=False) and is_loose(entry.stat().st_mode):
                    path = Path(entry.path)
                    mode = entry.stat().st_mode
                    message = permission_message(path, mode, FILE_MODE, name_it=False)
                    found.append(JournalProblem(path, None, message, "warning"))
        return found

    def fix_permissions(self) -> list[Path]:
        """Make the directories 0700 and every file in them 0600 again; the paths changed."""
        changed: list[Path] = []
        for problem in self.permission_problems():
            problem.file.chmod(DIR_MODE if problem.file.is_dir() else FILE_MODE)
            changed.append(problem.file)
            self._warned.discard(problem.file)
        return changed

    # -- files

    def _month_names(self) -> set[str]:
        return {path.name for path in self.month_files()}

    def month_files(self) -> list[Path]:
        """The month files, oldest first."""
        try:
            with os.scandir(self.directory) as entries:
                names = sorted(e.name for e in entries if MONTH_FILE.fullmatch(e.name))
        except FileNotFoundError:
            return []
        # Paths made once per name: after years, making hundreds of them again on every
        # call cost more than listing the directory.
        known = self._month_paths
        return [known.get(name) or known.setdefault(name, self.directory / name) for name in names]

    def _month_path(self, moment: datetime) -> Path:
        return self.directory / month_file_name(moment)

    def check_writable(self, now: datetime | None = None) -> None:
        """DataFileError (exit 4) now, saying what to fix, unless records can be written:
        commands that ask questions call it before the first one (`journal/preflight.py`)."""
        from iastm_coach.journal.preflight import check_writable

        moment = now if now is not None else datetime.now().astimezone()
        check_writable(self.directory, self._month_path(moment), self.directory / LOCK_NAME)

    @staticmethod
    def _month_bounds(path: Path) -> tuple[datetime, datetime]:
        match = MONTH_FILE.fullmatch(path.name)
        assert match is not None
        year, month = int(match.group(1)), int(match.group(2))
        return month_start(year, month), next_month_start(year, month)

    def _load(
        self,
        path: Path,
        raw: bytes | None = None,
        *,
        keep: bool = True,
        digest: bytes | None = None,
        remember: bool = True,
        settled: StatKey | None = None,
    ) -> list[Record]:
        """The records of one month file, oldest first (*settled*: the stat of *raw*,
        see `cache.settled_stat`).

        The parse is cached in memory and in `<directory>/.cache/` (private,
        disposable), keyed by the SHA-256 of the file's bytes, so an unchanged
        month is never parsed twice and a month that only grew by appends
        parses just the new records. Without *remember*, a month not already in
        memory is not kept there: a full scan would otherwise push the recent
        months out of memory for nothing.
        """
        self._reach(path)
        if raw is None:
            read = self._read_month_stat(path)
            if read is None:
                return []
            raw, settled = read
        digest = digest or sha256(raw)  # the caller's, for exactly these bytes
        remembered = self._memory.get(path)
        if remembered is not None and remembered[0] == digest:
            self._memory.move_to_end(path)
            return remembered[1]
        with paused_gc():
            try:
                rows = self._rows(path, raw, digest, keep=keep)
            except DataFileError:
                # A writer may be half-way through an append: look again under the lock.
                if not self._can_lock():
                    raise
                with self.lock():
                    raw = self._read_month(path) or b""
                digest = sha256(raw)
                rows = self._rows(path, raw, digest, keep=keep)
            base = month_order(path.name) << SEQ_BITS
            found = [Record(*row, seq=base + n) for n, row in enumerate(rows)]
            found.sort(key=_BY_TIME)
        self._summaries.note(path.name, len(raw), digest, found, settled)
        if remember or remembered is not None:
            self._memory[path] = (digest, found)
            self._memory.move_to_end(path)
            while len(self._memory) > self._MEMORY_MONTHS:
                self._memory.popitem(last=False)
        return found

    def _read_month(self, path: Path) -> bytes | None:
        read = self._read_month_stat(path)
        return None if read is None else read[0]

    def _read_month_stat(self, path: Path) -> tuple[bytes, StatKey | None] | None:
        """The bytes of a month file (None if there is none), and its stat if settled."""
        seen_ns = self.wall_ns()
        try:
            fd, info = open_regular(path)
        except FileNotFoundError:
            return None
        except NotAJournalFile as error:
            raise DataFileError(
                f"The journal file {path} is {error.strerror}; it is not read.",
                hint=f"Move {path} away; the journal keeps only its own month files there.",
            ) from None
        except OSError as error:
            raise DataFileError(
                f"The journal file {path} cannot be read ({error.strerror})."
            ) from None
        try:
            self._warn_if_loose(path, info.st_mode, FILE_MODE)
            raw = read_all(fd, info.st_size)
        finally:
            os.close(fd)
        return raw, settled_stat(info, len(raw), seen_ns)

    def _rows(self, path: Path, raw: bytes, digest: bytes, *, keep: bool = True) -> list[Row]:
        """Parsed rows of *raw* (the bytes of *path*) in file order, from the cache when
        possible."""
        cached = self._cache.rows(path)
        if cached is not None:
            size, cached_digest, rows = cached
            if size == len(raw) and cached_digest == digest:
                return rows
            if size < len(raw) and sha256(raw[:size]) == cached_digest:
                tail = tail_rows(path, raw, size)
                if tail is not None:
                    rows = rows + tail
                    self._cache.save_rows(path, len(raw), digest, rows)
                    return rows
        rows = rows_from_text(path, decode_month(path, raw))
        if keep:  # without: parsed only for its summary; the rows are not wanted again
            self._cache.save_rows(path, len(raw), digest, rows)
        return rows

    def _cached_rows_unchecked(self, path: Path, raw: bytes) -> list[Row] | None:
        """The cached parse of exactly *raw* (the bytes of *path*), if there is one, with
        its values not checked: for `check`, which checks every field itself."""
        cached = self._cache.rows(path, check_values=False)
        if cached is not None and cached[0] == len(raw) and cached[1] == sha256(raw):
            return cached[2]
        return None

    def _can_lock(self) -> bool:
        return os.access(self.directory, os.W_OK)

    # -- the API

    def append(self, kind: str, data: Mapping[str, Any], *, at: datetime) -> Record:
        """Write one record; return it as it will be read back.

        One `write` of the whole block with O_APPEND, then fsync, under the
        journal lock. *at* is the caller's (tz-aware) clock reading.
        """
        return self.append_all([self.prepare(kind, data, at=at)])[0]

    def prepare(self, kind: str, data: Mapping[str, Any], *, at: datetime) -> Record:
        """A record checked and given its id, not yet written: pass it to `append_all`
        (later records of the same write can name it by its id)."""
        check_kind(kind)
        require_aware(at, "at")
        normalized = check_data(data)
        # After everything read from its month so far (its exact place is known on reading).
        seq = ((month_order(month_file_name(at)) + 1) << SEQ_BITS) - 1
        return Record(kind, new_record_id(at), at, CURRENT_SCHEMA, normalized, seq)

    def append_all(self, prepared: Sequence[Record]) -> list[Record]:
        """Write records made by `prepare` together: one `write` and one fsync under the
        lock, so that no crash, kill or full disk keeps some without the others (a full
        disk keeps none: the file is cut back to where it was).

        They must fall in one month file (prepare them with one clock reading). The
        kernel can only tear the end of a write, so put first what must survive a
        power cut: a hold before the session that causes it.
        """
        if not prepared:
            return []
        paths = {self._month_path(record.at) for record in prepared}
        if len(paths) != 1:
            raise ValueError("records written together must fall in one month file")
        for record in prepared:
            check_kind(record.kind)
            if not is_record_id(record.id):
                raise ValueError(f"{record.id!r} is not a journal record id: use prepare()")
        from iastm_coach.journal.chain import chain_value, fingerprint
        from iastm_coach.journal.integrity import Head

        path = paths.pop()
        with self.lock():
            seq, prev = self._chain_end(path)
            texts = []
            for record in prepared:
                seq += 1
                text = render_record(
                    record.kind,
                    record.id,
                    record.at,
                    CURRENT_SCHEMA,
                    dict(record.data),
                    chain=chain_value(seq, prev),
                )
                prev = fingerprint(text)
                texts.append(text)
            self._append_bytes(path, "\n".join(texts).encode("utf-8"))
            self._write_head(Head(seq, prev, path.name, prepared[-1].id))
        return list(prepared)

    def _chain_end(self, path: Path) -> tuple[int, str]:
        """(number, fingerprint) of the record the next one appended to *path* links to:
        the last chained record of *path*, or, when it has none, number 0 and the last
        chained record of the newest earlier month file (see `chain.py`)."""
        from iastm_coach.journal.chain import GENESIS, last_link

        raw = self._read_month(path)
        found = last_link(decode_lenient(raw)) if raw else None
        if found is not None:
            return found
        for older in reversed(self.month_files()):
            if older.name >= path.name:
                continue
            raw = self._read_month(older)
            found = last_link(decode_lenient(raw)) if raw else None
            if found is not None:
                return 0, found[1]
        return 0, GENESIS

    def _write_head(self, head: Head) -> None:
        """Best effort, after the record is on disk: a missing or stale head only means the
        newest records cannot be checked for deletion (`journal check` says so)."""
        from iastm_coach.journal.chain import HEAD_NAME
        from iastm_coach.journal.integrity import head_text

        # Not through `write_all` (os.write): the record's write stays the append's last
        # journal write, the one the fault-injection stories stop at. A failure or a kill
        # here loses nothing: the head is one write behind, which check accepts.
        target = self.directory / HEAD_NAME
        temp = target.with_name(f"{HEAD_NAME}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(temp, binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL), FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(head_text(head).encode())
            temp.replace(target)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()

    def _append_bytes(self, path: Path, payload: bytes) -> None:
        created = not path.exists()
        try:
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(path, binary(flags), FILE_MODE)
        except OSError as error:
            raise DataFileError(
                f"The journal file {path} cannot be opened ({error.strerror})."
            ) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):  # a FIFO or device where a month file belongs
                raise DataFileError(
                    f"The journal file {path} is not a regular file; nothing was recorded.",
                    hint=f"Move {path} away; the journal keeps only its own month files there.",
                )
            if not created:
                self._warn_if_loose(path, info.st_mode, FILE_MODE)
            size = info.st_size
            if size:
                # A blank line between records; a fresh line after a torn tail.
                os.lseek(fd, size - 1, os.SEEK_SET)  # O_APPEND still writes at the end
                payload = (b"\n" if os.read(fd, 1) == b"\n" else b"\n\n") + payload
            try:
                write_all(fd, payload)
                os.fsync(fd)
            except OSError as error:
                # Leave the file as it was (we hold the lock, so nobody wrote after us).
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                raise DataFileError(
                    f"The journal file {path} could not be written ({error.strerror}); "
                    "nothing was recorded."
                ) from None
        finally:
            os.close(fd)
        if created:
            fsync_directory(self.directory)

    def recent(
        self,
        *,
        kinds: Collection[str] | None = None,
        limit: int | None = None,
        since: datetime | None = None,
    ) -> list[Record]:
        """Records newest first, reading month files backwards only as far as needed."""
        if since is not None:
            require_aware(since, "since")
        if limit is not None and limit <= 0:
            return []
        wanted = None if kinds is None else frozenset(kinds)
        found: list[Record] = []
        for path in reversed(self.month_files()):
            end = self._month_bounds(path)[1]
            if since is not None and end <= since:
                break
            month = [
                r
                for r in self._load(path)
                if (wanted is None or r.kind in wanted) and (since is None or r.at >= since)
            ]
            month.reverse()
            found.extend(month)
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    def scan(
        self,
        *,
        kinds: Collection[str] | None = None,
        since: datetime | None = None,
        remember: bool = False,
    ) -> Iterator[Record]:
        """Every record, oldest first, one month file at a time (*remember*: keep the
        months in memory, for a short scan whose months are asked for again soon)."""
        if since is not None:
            require_aware(since, "since")
        wanted = None if kinds is None else frozenset(kinds)
        paths = self.month_files()
        if since is not None:  # from the month of *since* on (the names sort as months do)
            first = bisect.bisect_left(paths, month_file_name(since), key=lambda p: p.name)
            paths = paths[first:]
        with self.first_read(paths), self._cache.writing_later():
            for path in paths:
                for record in self._load(path, remember=remember):
                    if (wanted is None or record.kind in wanted) and (
                        since is None or record.at >= since
                    ):
                        yield record

    @contextlib.contextmanager
    def first_read(
        self, paths: Sequence[Path] | None = None, *, newest_first: bool = False
    ) -> Iterator[None]:
        """Read *paths* (default: every month file) in this block, oldest first or
        *newest_first*: where many of them have no parse cache yet (a first read on a new
        machine), a forked helper fills their cache from the last while this process
        reads from the first, until they meet (see `prewarm.py`). The summaries of the
        months read are saved at the end. Inside another `first_read`, nothing more is
        started, and nothing saved (a listing reads its months in many blocks)."""
        if self._first_reading:
            yield
            return
        found = self.month_files() if paths is None else list(paths)
        self._first_reading = True
        try:
            self._helper = self._start_helper(found[::-1] if newest_first else found)
            if self._helper.forked:  # this process's parses: cached once they have met
                with self._cache.writing_later():
                    yield
            else:
                yield
        finally:
            self._helper.stop()  # still at work only where the reading stopped early
            self._helper = Helper()
            self._first_reading = False
            # The months' summaries and settled stats, for the next question.
            self._summaries.save(self._month_names)

    def _reach(self, path: Path) -> None:
        """The reader reaches *path*: the first-read helper stops short of it, and once it
        has finished (the reader has met its months), the months this process parsed
        are cached, beside it where that pays, while it goes on."""
        self._helper.reach(path)
        if self._helper.has_warmed(path):
            self._cache.write_saved()

    def _start_helper(self, paths: Sequence[Path]) -> Helper:
        """A forked helper filling the parse cache of those of *paths* (in the order they
        will be read) that have none, from the last."""
        from iastm_coach.journal.prewarm import MIN_BYTES, start_helper

        cached = self._cache.names()  # on a warm journal this is all it costs
        uncached: list[tuple[Path, int]] = []
        for path in paths:
            if path in self._memory or rows_name(path) in cached:
                continue
            try:
                uncached.append((path, path.stat().st_size))
            except OSError:
                continue
        if sum(size for _, size in uncached) < MIN_BYTES:
            return Helper()
        if self._cache.key(create=True) is None:
            return Helper()  # the key is made before the fork: both must seal with it
        return start_helper(
            uncached,
            self._warm_month,
            finish=self._chains.leave_for_reader,
            after=self._chains.take_from_helper,
        )

    def _warm_month(self, path: Path) -> None:
        """Parse *path* and cache its rows, and work out its chain facts (in the helper: no
        summary, no memory)."""
        self._cache.in_helper()
        raw = self._read_month(path)
        if raw is not None:
            digest = sha256(raw)
            self._rows(path, raw, digest)
            self.month_chain(path, raw, digest=digest)

    # -- questions that read only the months that can answer them

    def region_records(
        self, region: str, kinds: Collection[str], *, newest_first: bool = True
    ) -> Iterator[list[Record]]:
        """The records of *kinds* whose `region` is *region*, month by month (each month's
        list oldest first), reading only the month files that can hold any.

        A region treated years ago costs a look at each file's bytes, not a parse of
        each: see `might_mention`.
        """
        wanted = frozenset(kinds)
        for month in self._months_where(
            lambda summary: region in summary.regions and not wanted.isdisjoint(summary.kinds),
            newest_first=newest_first,
        ):
            found = [r for r in month if r.kind in wanted and r.data.get("region") == region]
            if found:
                yield found

    def records_of(self, kinds: Collection[str], *, unbroken: bool = False) -> list[Record]:
        """Every record of *kinds*, oldest month first, reading only the month files that
        can hold any (for rare kinds such as holds: seconds of parsing saved after years).

        *unbroken*: also verify the hash chain (from the same bytes; each month's chain is
        cached) and raise `DataFileError` on a break nobody accepted, as for damage: a
        deleted or changed record may have been a hold (`safety.holds` asks for this).
        """
        wanted = frozenset(kinds)
        found: list[Record] = []
        chains: list[tuple[str, bytes]] | None = [] if unbroken else None
        for month in self._months_where(
            lambda summary: not wanted.isdisjoint(summary.kinds),
            newest_first=False,
            chains=chains,
        ):
            found.extend(r for r in month if r.kind in wanted)
        if chains is not None:
            self._refuse_breaks(chains)
        return found

    def _refuse_breaks(self, months: list[tuple[str, bytes]]) -> None:
        """DataFileError unless the chain of *months* (name, SHA-256 of the bytes read),
        the head and the ledger verify. A verdict without breaks is remembered for exactly
        these inputs (sealed, like the cache): after years, working out hundreds of month
        chains again costs more than the rest of a short command."""
        head, ledger = self._small_file(HEAD_NAME), self._small_file(LEDGER_NAME)
        inputs = verdict_inputs(months, head, ledger)
        if self._cache.read_sealed(VERDICT_NAME) == inputs:
            return
        from iastm_coach.journal.integrity import head_of, ledger_of, verify

        chains = [(name, self.month_chain(self.directory / name, digest=d)) for name, d in months]
        self._chains.save(self._month_names)
        result = verify(chains, head_of(head), ledger_of(ledger), self._fingerprints)
        if not result.breaks:
            cached = self._chains.all()
            if all(cached.get(name, (b"",))[0] == digest for name, digest in months):
                self._cache.write_sealed(VERDICT_NAME, inputs)  # not if a month changed since
            return
        first = result.breaks[0]
        path = self.directory / first.file
        where = f"{path}, line {first.line}" if first.line is not None else str(path)
        more = len(result.breaks) - 1
        raise DataFileError(
            f"The journal's hash chain is broken at {where}: {first.message}"
            + (f" (and {more} more)." if more else "."),
            hint=(
                "A record was deleted, changed or added by hand, and a red-flag hold may "
                "have been among them, so iastm-coach cannot tell what is safe. "
                "`iastm-coach journal check` lists every break. If you know why (you "
                "changed or deleted it yourself, or restored an older copy), run "
                "`iastm-coach journal repair --accept-breaks`: it notes that you looked, "
                "and the report keeps showing it."
            ),
        )

    def _months_where(
        self,
        holds: Callable[[MonthSummary], bool],
        *,
        newest_first: bool,
        chains: list[tuple[str, bytes]] | None = None,
    ) -> Iterator[list[Record]]:
        """The records of each month file whose summary passes *holds*.

        A month's summary (the kinds and regions of its records) comes from the
        summary index in the parse cache when it was made from exactly these bytes;
        otherwise the month is parsed (and refused as damage like any other read), so a
        month is never skipped by one question and read by another. Reading and hashing
        the bytes of every month costs milliseconds, parsing them seconds; a month that
        cannot answer is not even read while its stat shows it unchanged (`_unchanged`).
        """
        paths = self.month_files()
        index = self._summaries.all()
        try:
            for path in reversed(paths) if newest_first else paths:
                summary = index.get(path.name)
                if summary is not None and not holds(summary) and self._unchanged(path, summary):
                    if chains is not None:
                        chains.append((path.name, summary.digest))
                    continue
                # A month that answers is read whatever its stat says: its records and the
                # chain verified are then of the same bytes, even if it changes meanwhile.
                read = self._read_month_stat(path)
                if read is None:
                    continue
                raw, settled = read
                digest = sha256(raw)
                if chains is not None:
                    self.month_chain(path, raw, digest=digest)  # from these bytes, not read again
                    chains.append((path.name, digest))
                if summary is None or summary.size != len(raw) or summary.digest != digest:
                    # Parsed (and refused if damaged) for its summary; its rows are cached
                    # only if it answers: the others need not be parsed again, nor kept.
                    month = self._load(
                        path, raw, keep=False, digest=digest, remember=False, settled=settled
                    )
                    if holds(index[path.name]):
                        rows = [_row(r) for r in sorted(month, key=_by_seq)]  # file order
                        self._cache.save_rows(path, len(raw), digest, rows)
                        yield month
                else:
                    self._summaries.note(path.name, len(raw), digest, (), settled)
                    if holds(summary):
                        yield self._load(path, raw, digest=digest, remember=False)
        finally:
            self._summaries.save(self._month_names)
            self._chains.save(self._month_names)

    def _unchanged(self, path: Path, summary: MonthSummary) -> bool:
        """Whether the month file *path* still has the bytes *summary* was made from, known
        from its stat alone (see `cache.settled_stat`). Anything else (another stat, a
        link, a special file) is read."""
        if summary.stat is None:
            return False
        try:
            info = os.lstat(path)
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode) or not summary.stands_for(info):
            return False
        self._warn_if_loose(path, info.st_mode, FILE_MODE)
        return True

    def _small_file(self, name: str) -> bytes | None:
        """The bytes of the head or the ledger; None if there is none, or it is a link or a
        special file (a FIFO would hang every command that reads holds)."""
        try:
            return read_regular(self.directory / name)
        except OSError:
            return None

    # -- the hash chain (see chain.py)

    def integrity(self) -> IntegrityResult:
        """Whether every chained record is there, unchanged, in the order written: each
        month file's chain (cached, keyed by the SHA-256 of its bytes), the head and the
        notes of `journal repair`. Damage does not stop it: it reads text, not records."""
        from iastm_coach.journal.integrity import read_head, read_ledger, verify

        months: list[tuple[str, MonthChain]] = []
        try:
            for path in self.month_files():
                raw = self._read_month(path)
                if raw is not None:
                    months.append((path.name, self.month_chain(path, raw)))
        finally:
            self._chains.save(self._month_names)
        return verify(
            months, read_head(self.directory), read_ledger(self.directory), self._fingerprints
        )

    def accept_breaks(self, *, now: datetime | None = None) -> list[Break]:
        """Note every unexplained break of the hash chain in `integrity.toml` as looked at
        (`journal repair --accept-breaks`): `journal check` then lists them as warnings,
        and the report still says the chain is broken. Returns the breaks noted."""
        from iastm_coach.journal.integrity import append_ledger, ledger_entry

        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        with self.lock():
            breaks = list(self.integrity().breaks)
            if breaks:
                append_ledger(
                    self.directory,
                    [
                        ledger_entry(
                            "accepted",
                            moment,
                            key=item.key,
                            file=item.file,
                            line=item.line or 0,
                            message=item.message,
                        )
                        for item in breaks
                    ],
                )
        return breaks

    def month_chain(
        self, path: Path, raw: bytes | None = None, *, digest: bytes | None = None
    ) -> MonthChain:
        """The chain facts of the month file *path*, whose bytes are *raw* (or whose bytes'
        SHA-256 is *digest*), from the sealed cache when it has them for exactly these
        bytes."""
        from iastm_coach.journal.chain import month_chain_of

        self._helper.before(path)  # a month the first-read helper works out: its facts
        cache = self._chains.all()
        if digest is None:
            assert raw is not None, "month_chain needs the bytes or their digest"
            digest = sha256(raw)
        cached = cache.get(path.name)
        if cached is not None and cached[0] == digest:
            return cached[1]
        if raw is None:
            raw = self._read_month(path) or b""
            digest = sha256(raw)
        month = month_chain_of(raw)
        self._chains.put(path.name, digest, month)
        return month

    def _fingerprints(self, name: str) -> set[str]:
        from iastm_coach.journal.chain import fingerprints_of

        try:
            raw = (self.directory / name).read_bytes()
        except OSError:
            return set()
        return fingerprints_of(decode_lenient(raw))

    def get(self, record_id: str) -> Record | None:
        """The record with *record_id*, reading only the month its id points to."""
        if not is_record_id(record_id):
            return None
        for record in self._load(self._month_path(record_id_time(record_id))):
            if record.id == record_id:
                return record
        return None

    def check(self, *, now: datetime | None = None) -> list[JournalProblem]:
        """Every problem in the journal: errors (damage) and warnings (permissions, oddities)."""
        return self.check_report(now=now).problems

    def check_report(self, *, now: datetime | None = None) -> CheckReport:
        """Everything `journal check` finds; records dated more than a day after *now*
        (default: the system clock) are warned about."""
        from iastm_coach.journal.check import check_journal

        moment = now if now is not None else datetime.now(UTC)
        require_aware(moment, "now")
        files = self.month_files()
        try:
            with paused_gc(), self.first_read(files):  # paused: none of it is in a cycle
                return check_journal(
                    self.directory,
                    files,
                    self.permission_problems(),
                    now=moment,
                    cached_rows=self._rows_for_check,
                    clean=self._cache_checked_rows,
                    chain_of=self.month_chain,
                    fingerprints=self._fingerprints,
                )
        finally:
            self._chains.save(self._month_names)

    def _rows_for_check(self, path: Path, raw: bytes) -> list[Row] | None:
        """The records of a month file as reading gives them, their values not checked
        (check checks every field itself, once); None when reading would refuse the file:
        check then reads it block by block to say where and why."""
        self._reach(path)
        rows = self._cached_rows_unchecked(path, raw)
        if rows is not None:
            return rows
        try:
            rows = rows_from_text(path, decode_month(path, raw), check_values=False)
        except DataFileError:
            return None
        self._parsed_for_check.add(path)
        return rows

    def _cache_checked_rows(self, path: Path, raw: bytes, rows: Sequence[Row]) -> None:
        """Cache the rows check parsed, once it has checked every value of them."""
        if path in self._parsed_for_check:
            self._parsed_for_check.discard(path)
            shared = rows if isinstance(rows, SharedRows) else list(rows)  # as parsed
            self._cache.save_rows(path, len(raw), sha256(raw), shared)

    def repair(self, *, now: datetime | None = None) -> list[Path]:
        """Move the damaged parts of every month file into side files; the side files written."""
        from iastm_coach.journal.repair import repair_journal

        with self.lock():
            written = repair_journal(self.month_files(), now=now)
        self._memory.clear()
        return written

    def replace(
        self, record_id: str, data: Mapping[str, Any], *, now: datetime | None = None
    ) -> Record:
        """Correct a record's fields (kind, id and `at` stay); keeps a backup of the month file."""
        normalized = check_data(data)
        with self.lock():
            path, old, before, block, after = self._locate(record_id)
            rendered = render_record(old.kind, old.id, old.at, CURRENT_SCHEMA, normalized)
            # Keep the blank lines (and anything else after the record's last line) as they were.
            trailing = block[len(block.rstrip()) :]
            text = rendered[:-1] + trailing if trailing.startswith(("\n", "\r\n")) else rendered
            self._rewrite(path, before + text + after, now=now)
        return Record(old.kind, old.id, old.at, CURRENT_SCHEMA, normalized)

    def delete(self, record_id: str, *, now: datetime | None = None) -> Path:
        """Remove a record; returns the backup of the month file as it was before."""
        with self.lock():
            path, _old, before, _block, after = self._locate(record_id)
            return self._rewrite(path, before + after, now=now)

    def _locate(self, record_id: str) -> tuple[Path, Record, str, str, str]:
        """The month file, the record, and the text before, of and after its block."""
        from iastm_coach.journal.blocks import split_blocks

        unknown = UsageError(f'There is no journal record with id "{record_id}".')
        if not is_record_id(record_id):
            raise unknown
        path = self._month_path(record_id_time(record_id))
        if not path.exists():
            raise unknown
        text = decode_month(path, path.read_bytes())
        by_id = {row[1]: Record(*row) for row in rows_from_text(path, text)}
        if record_id not in by_id:
            raise unknown
        matches = []
        for block in split_blocks(text):
            if record_id in block.text:
                try:
                    document = loads(block.text)
                except TOMLDecodeError:
                    continue
                tables = document.get(block.kind or "", [])
                if any(isinstance(t, dict) and t.get("id") == record_id for t in tables):
                    matches.append(block)
        if len(matches) != 1:
            raise DataFileError(
                f"The journal file {path} holds record {record_id} {len(matches)} times or in "
                "an unusual layout; edit it by hand (keep a copy).",
                hint=CHECK_HINT,
            )
        block = matches[0]
        return path, by_id[record_id], text[: block.start], block.text, text[block.end :]

    def _rewrite(self, path: Path, text: str, *, now: datetime | None) -> Path:
        rows_from_text(path, text)  # never write a file we could not read back
        original = path.read_bytes()
        backup = stamp_name(path, "bak", now)
        write_new_file(backup, original)
        replace_file(path, text.encode("utf-8"))
        self._memory.pop(path, None)
        return backup


def journal_integrity(journal: Journal) -> IntegrityResult:
    """THE answer to "was this journal's integrity verified?" for the report and `history`:
    `journal.integrity()`, and "not verified" (never an exception) when a month file
    cannot be read at all."""
    from iastm_coach.journal.integrity import IntegrityResult

    try:
        return journal.integrity()
    except (OSError, CoachError) as error:
        return IntegrityResult("unreadable", f"not verified: {error}")
