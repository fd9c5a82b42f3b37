"""The parse cache: disposable, private, keyed by the SHA-256 of each month file's bytes.

`<directory>/.cache/YYYY-MM.toml.pickle` holds a month's parsed rows; `summaries.pickle`
the kinds and regions of each month, so that questions parse only the months that can
answer them; `chains.pickle` each month's hash-chain facts (see `chain.py`). A month's
rows are sealed with the journal's cache key (`.cache/key`) and the version of
iastm-coach, and are only written once their values were checked, so a warm read need
not check them again. Only plain data and datetime types are unpickled.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.errors import DataFileError
from iastm_coach.journal.format import (
    CURRENT_SCHEMA,
    Record,
    Row,
    SharedRows,
    row_shape_fits,
    rows_from_text,
    share_rows,
)

if TYPE_CHECKING:
    from iastm_coach.journal.chain import MonthChain

CACHE_DIR: Final = ".cache"
CACHE_FORMAT: Final = 5  # bump when the cached rows change meaning (e.g. a migration is fixed)
# 2: rows are only cached once their values have been checked against records.FIELDS
# 3: rows in file order (the order they were appended), not sorted by time
# 4: a record's `chain` link is not one of its fields
# 5: sealed with the journal's cache key (HMAC); texts and time zones shared
_CACHE_CLASSES: Final = frozenset({"datetime", "date", "timezone", "timedelta"})


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a month is parsed or unpickled: tens of
    thousands of small objects, none in a reference cycle, would otherwise be rescanned
    over and over (about half the time of reading a warm ten-year journal)."""
    import gc

    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _safe_unpickle(blob: bytes) -> Any:
    """A cache file's contents, or None. Only plain data and the datetime types: a cache
    file can never run code."""
    import io
    import pickle

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if module == "datetime" and name in _CACHE_CLASSES:
                return getattr(__import__("datetime"), name)
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the journal cache")

    try:
        return Unpickler(io.BytesIO(blob)).load()
    except Exception:
        return None


def load_cache_blob(
    blob: bytes, key: bytes | None, *, check_values: bool = True
) -> tuple[int, bytes, list[Row]] | None:
    """(size, sha256, rows) from a parse-cache file, or None if it is not one of ours.

    Ours means sealed with this journal's cache key (see `seal`) by this version of
    iastm-coach, which wrote only rows whose every value it had checked: a cache file
    made by hand, or by another version, is refused whole and the month is parsed again,
    so no value can slip past the checks of reading. (Checking every value again, as
    before, cost a third of a warm report and still let a forged value through when it
    was a valid one.) Rows are still checked for their shape; without *check_values*
    not even that, as `journal check` checks every field itself.
    """
    body = unseal(key, blob)
    if body is None:
        return None
    loaded = _safe_unpickle(body)
    if not (isinstance(loaded, tuple) and len(loaded) == 5):
        return None
    version, schema, size, digest, rows = loaded
    if version != CACHE_FORMAT or schema != CURRENT_SCHEMA or not isinstance(rows, list):
        return None
    if not isinstance(size, int) or not isinstance(digest, bytes):
        return None
    if check_values and not all(row_shape_fits(row) for row in rows):
        return None
    return size, digest, rows


KEY_NAME: Final = "key"
_MAC_BYTES: Final = 32


def _mac(key: bytes, body: bytes) -> bytes:
    import hashlib
    import hmac

    from iastm_coach import __version__

    return hmac.new(key, __version__.encode() + b"\0" + body, hashlib.sha256).digest()


def seal(key: bytes, body: bytes) -> bytes:
    """*body* with an HMAC-SHA256 in front, keyed with the journal's cache key and the
    version of iastm-coach that wrote it."""
    return _mac(key, body) + body


def unseal(key: bytes | None, blob: bytes) -> bytes | None:
    """The body of a sealed blob, or None when the seal is not this key's and version's."""
    import hmac

    if key is None or len(blob) < _MAC_BYTES:
        return None
    body = blob[_MAC_BYTES:]
    return body if hmac.compare_digest(blob[:_MAC_BYTES], _mac(key, body)) else None


def cache_key(cache_dir: Path, *, create: bool) -> bytes | None:
    """The journal's cache key (`.cache/key`: 32 random bytes, private), made on first
    use when *create*; None when there is none (or it cannot be read or made)."""
    import os

    from iastm_coach.journal.files import FILE_MODE, write_new_file

    path = cache_dir / KEY_NAME
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
        try:
            write_new_file(path, os.urandom(32))
        except FileExistsError:
            pass  # another process made it first
        except OSError:
            return None
        try:
            path.chmod(FILE_MODE)
            key = path.read_bytes()
        except OSError:
            return None
    except OSError:
        return None
    return key if len(key) == 32 else None


def shared(rows: Sequence[Row]) -> list[Row]:
    """*rows* ready to pickle: every repeated text and time zone shared (see
    `format.share_rows`), which rows as `rows_from_text` gives them already are; a plain
    list (the cache unpickles no other class)."""
    return list(rows if type(rows) is SharedRows else share_rows(rows))


def sha256(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


def tail_rows(path: Path, raw: bytes, start: int) -> list[Row] | None:
    """The records appended after byte *start* of a file whose first *start* bytes parse.

    None unless the appended text is whole `[[kind]]` blocks that parse on
    their own, starting on a new line: only then is it certain that parsing it
    alone gives what parsing the whole file would.
    """
    tail = raw[start:]
    if not (raw[:start].endswith(b"\n") or tail.startswith((b"\n", b"\r\n"))):
        return None
    stripped = tail.lstrip(b" \t\r\n")
    if stripped and not stripped.startswith(b"[["):
        return None
    try:
        return rows_from_text(path, tail.decode("utf-8"))
    except (UnicodeDecodeError, DataFileError):
        return None


INDEX_NAME: Final = "summaries.pickle"

# A file's identity as `stat` gives it: size, mtime, ctime (in ns), inode and device.
StatKey = tuple[int, int, int, int, int]
# How long after its last change a file's stat is trusted to stand for its bytes. A change
# made within the same timestamp tick as the one seen could leave every stat field as it
# was (git's "racily clean" files): such a file is hashed again next time instead. Seconds
# cover coarse kernel clocks and file systems with 1-2 s timestamps.
RACY_NS: Final = 3_000_000_000


# On Windows st_ctime is the creation time, which a same-size edit with its modification
# time put back would not move: there every month is read and hashed, as before.
CTIME_IS_CHANGE_TIME: Final = os.name == "posix"


def stat_key(info: os.stat_result) -> StatKey:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def settled_stat(info: os.stat_result, size: int, seen_ns: int) -> StatKey | None:
    """*info*'s key, if it may later stand for the *size* bytes read from the file at
    *seen_ns* (wall clock, read just before): the bytes were the whole file and its last
    change is older than `RACY_NS`. The ctime cannot be set by hand (`touch -d` moves
    only the mtime), so an edit always changes the key, on file systems that keep a
    change time: network and FUSE mounts that report the mtime as the ctime let a
    same-size edit with its mtime put back pass for unchanged here (`journal check`
    still reads every byte)."""
    if not CTIME_IS_CHANGE_TIME:
        return None
    if info.st_size != size or max(info.st_mtime_ns, info.st_ctime_ns) > seen_ns - RACY_NS:
        return None
    return stat_key(info)


@dataclass(frozen=True, slots=True)
class MonthSummary:
    """What one month file holds, to find the months that can answer a question without
    parsing the others: its record kinds and the regions they name, for exact bytes.

    *stat*: the file's `stat_key` when those bytes were read, if it had settled (see
    `settled_stat`): while the file's stat is the same, its bytes are, so a question
    need not read and hash them again to know what the month holds.
    """

    size: int
    digest: bytes
    kinds: frozenset[str]
    regions: frozenset[str]
    stat: StatKey | None = None

    def stands_for(self, info: os.stat_result) -> bool:
        """Whether a file whose `lstat` is *info* still has the bytes this summary was made
        from, by its settled stat alone (the one rule: holds and the stored report)."""
        return self.stat is not None and stat_key(info) == self.stat

    @classmethod
    def of(
        cls, size: int, digest: bytes, found: Sequence[Record], stat: StatKey | None = None
    ) -> MonthSummary:
        regions = {r.data.get("region") for r in found}
        return cls(
            size,
            digest,
            frozenset(r.kind for r in found),
            frozenset(region for region in regions if isinstance(region, str)),
            stat,
        )


def summary_blob(key: bytes, index: Mapping[str, MonthSummary]) -> bytes:
    """The summary index, sealed like the parse cache: the stats in it stand for the
    bytes of month files, so a hand-made index must not be taken for ours."""
    import pickle

    plain = {
        name: (s.size, s.digest, tuple(sorted(s.kinds)), tuple(sorted(s.regions)), s.stat)
        for name, s in index.items()
    }
    return seal(key, pickle.dumps((CACHE_FORMAT, CURRENT_SCHEMA, plain), protocol=5))


def read_summary_index(key: bytes | None, blob: bytes) -> dict[str, MonthSummary]:
    """The summary index, or {} when *blob* is not ours, sealed with *key* (plain data)."""
    body = unseal(key, blob)
    if body is None:
        return {}
    loaded = _safe_unpickle(body)
    if not (isinstance(loaded, tuple) and len(loaded) == 3):
        return {}
    version, schema, plain = loaded
    if version != CACHE_FORMAT or schema != CURRENT_SCHEMA or not isinstance(plain, dict):
        return {}
    # Sealed, so written by this version: only its shape is checked. A value of another
    # type never equals what it is compared with (a size, a digest, a stat), so it only
    # means that month is read.
    index: dict[str, MonthSummary] = {}
    sets: dict[tuple[str, ...], frozenset[str]] = {}  # most months hold the same kinds
    try:
        for name, (size, digest, kinds, regions, stat) in plain.items():
            index[name] = MonthSummary(
                size,
                digest,
                sets.get(kinds) or sets.setdefault(kinds, frozenset(kinds)),
                sets.get(regions) or sets.setdefault(regions, frozenset(regions)),
                stat,
            )
    except (TypeError, ValueError):
        return {}
    return index


VERDICT_NAME: Final = "verified"


def verdict_inputs(
    months: Sequence[tuple[str, bytes]], head: bytes | None, ledger: bytes | None
) -> bytes:
    """What a verdict of the hash chain depends on, in 32 bytes: each month file's name
    and SHA-256, oldest first, and the bytes of the head and of the ledger."""
    import hashlib

    digest = hashlib.sha256()
    for name, month in months:
        digest.update(b"m" + name.encode() + b"\0" + month)
    for part in (head, ledger):
        digest.update(b"-" if part is None else b"+" + sha256(part))
    return digest.digest()


CHAIN_CACHE_NAME: Final = "chains.pickle"
HELPER_CHAINS_NAME: Final = "chains-helper.pickle"  # left by the first-read helper


def chain_blob(key: bytes, chains: Mapping[str, tuple[bytes, MonthChain]]) -> bytes:
    """The chain facts of each month file (see `chain.py`), keyed by its SHA-256, sealed
    like the parse cache (so `journal check` can use them without working them out)."""
    import pickle

    from iastm_coach.journal.chain import plain_month

    plain = {name: (digest, plain_month(month)) for name, (digest, month) in chains.items()}
    return seal(key, pickle.dumps((CACHE_FORMAT, plain), protocol=5))


def read_chain_cache(key: bytes | None, blob: bytes) -> dict[str, tuple[bytes, MonthChain]]:
    """The cached chain facts, or {} when *blob* is not ours, sealed with *key*."""
    from iastm_coach.journal.chain import month_from_plain

    body = unseal(key, blob)
    if body is None:
        return {}
    loaded = _safe_unpickle(body)
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == CACHE_FORMAT):
        return {}
    found: dict[str, tuple[bytes, MonthChain]] = {}
    if not isinstance(loaded[1], dict):
        return found
    for name, entry in loaded[1].items():
        if not (isinstance(name, str) and isinstance(entry, tuple) and len(entry) == 2):
            continue
        digest, plain = entry
        month = month_from_plain(plain)
        if isinstance(digest, bytes) and month is not None:
            found[name] = (digest, month)
    return found
