"""Record ids: sortable, ULID-style, carrying the time they were made; month file names."""

from __future__ import annotations

import os
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Final

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_BASE32: Final = str.maketrans(_CROCKFORD, "0123456789abcdefghijklmnopqrstuv")  # int(x, 32)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
ID_PATTERN: Final = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
_RANDOM_BITS: Final = 80


def _encode_base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class _IdGenerator:
    """ULID-style ids: 48 bits of milliseconds since the epoch, then 80 random bits.

    Within one process, ids for the same millisecond count up from the first
    one's random part, so they stay unique and in the order they were made.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def new(self, ms: int) -> str:
        with self._lock:
            if ms == self._last_ms and self._last_random + 1 < 2**_RANDOM_BITS:
                random_part = self._last_random + 1
            else:
                # One bit of headroom so counting up cannot overflow in practice.
                random_part = int.from_bytes(os.urandom(10), "big") >> 1
            self._last_ms, self._last_random = ms, random_part
        return _encode_base32(ms, 10) + _encode_base32(random_part, 16)


_ids = _IdGenerator()


def epoch_ms(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def new_record_id(at: datetime) -> str:
    """A fresh id for a record written at *at* (tz-aware); ids sort like their times."""
    require_aware(at, "at")
    ms = epoch_ms(at)
    if not 0 <= ms < 2**48:
        raise ValueError(f"at={at.isoformat()} is outside the range a journal id can hold")
    return _ids.new(ms)


def is_record_id(text: str) -> bool:
    return ID_PATTERN.fullmatch(text) is not None


def record_id_ms(record_id: str) -> int:
    """The milliseconds since the epoch encoded in a record id (assumed well formed)."""
    return int(record_id[:10].translate(_TO_BASE32), 32)


def record_id_time(record_id: str) -> datetime:
    """The UTC time (to the millisecond) encoded in *record_id*."""
    if not is_record_id(record_id):
        raise ValueError(f'"{record_id}" is not a journal record id')
    ms = int(record_id[:10].translate(_TO_BASE32), 32)  # `journal check` does this per record
    return _EPOCH + timedelta(milliseconds=ms)


def month_file_name(moment: datetime) -> str:
    """`YYYY-MM.toml` for the UTC month of *moment*."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}.toml"


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def next_month_start(year: int, month: int) -> datetime:
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def require_aware(moment: object, name: str) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be time zone-aware (got the naive {moment.isoformat()})")
