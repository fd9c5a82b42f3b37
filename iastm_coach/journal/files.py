"""Files of the journal directory: private modes, durable writes, atomic replaces, the lock."""

from __future__ import annotations

import contextlib
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from iastm_coach.errors import CoachError
from iastm_coach.paths import binary

LOCK_NAME: Final = ".lock"
HEAD_NAME: Final = ".chain-head"  # the hash chain's newest record (chain.py)
LEDGER_NAME: Final = "integrity.toml"  # what `journal repair` noted (integrity.py)
LOCK_TIMEOUT_S: Final = 30.0
DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600


class JournalPermissionWarning(UserWarning):
    """The journal directory or a journal file can be read by other users."""


def is_loose(mode: int) -> bool:
    return os.name == "posix" and bool(stat.S_IMODE(mode) & 0o077)


def fsync_directory(directory: Path) -> None:
    """Make a new or renamed directory entry durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new_file(path: Path, payload: bytes) -> None:
    """Create *path* (which must not exist) private, write *payload* and fsync it."""
    fd = os.open(path, binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL), FILE_MODE)
    try:
        try:
            write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):  # a full disk leaves no empty or partial file
            path.unlink()
        raise


def write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def stamp_name(path: Path, suffix: str, now: datetime | None) -> Path:
    """A free `<name>.<suffix>-YYYYMMDDTHHMMSSZ[-n]` next to *path*."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    base = f"{path.name}.{suffix}-{moment:%Y%m%dT%H%M%SZ}"
    candidate = path.with_name(base)
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{base}-{counter}")
        counter += 1
    return candidate


def _private_temp(path: Path) -> tuple[int, Path]:
    """A new private file `.<name>.<random>.tmp` next to *path*, open for writing."""
    while True:
        temp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL), FILE_MODE), temp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def replace_file(path: Path, payload: bytes, *, durable: bool = True) -> None:
    """Atomically replace *path* with *payload*: private temp file, fsync, rename, fsync dir."""
    fd, temp = _private_temp(path)
    try:
        try:
            write_all(fd, payload)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    if durable:
        fsync_directory(path.parent)


class NotAJournalFile(OSError):
    """A symbolic link, FIFO, device or directory where a month file belongs."""


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """Open *path* for reading only if it is a regular file, never following a link and
    never waiting on a FIFO (a month file linked to /dev/zero would exhaust memory, a
    FIFO would hang every command). FileNotFoundError passes through."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, binary(flags))
    except OSError as error:
        if path.is_symlink():
            raise NotAJournalFile(error.errno, "a symbolic link, which is never followed") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotAJournalFile(0, "not a regular file (a FIFO, device or other special file)")
    return fd, info


def read_regular(path: Path) -> bytes:
    """The bytes of *path* if it is a regular file (`open_regular`)."""
    fd, info = open_regular(path)
    try:
        return read_all(fd, info.st_size)
    finally:
        os.close(fd)


def read_all(fd: int, size: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, max(size, 65536))
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def permission_message(path: Path, mode: int, wanted: int, *, name_it: bool = True) -> str:
    what = "directory" if stat.S_ISDIR(mode) else "file"
    subject = f"The journal {what} {path} can" if name_it else "Can"
    return (
        f"{subject} be read by other users (mode {stat.S_IMODE(mode):04o}); "
        f"run `chmod {wanted:o} {path}` or `iastm-coach journal repair`."
    )


def busy_error(lock_path: Path, timeout: float) -> CoachError:
    """Exit 4 (the journal cannot be written now), not 1: nothing is wrong with the program."""
    from iastm_coach.errors import DataFileError

    return DataFileError(
        f"The journal is busy: another iastm-coach has held {lock_path} for {timeout:.0f} s; "
        "nothing was recorded.",
        hint="Finish or close the other iastm-coach, then try again.",
    )
