"""Can the journal be written? Asked before a single question, so no answer is typed in vain.

A read-only home, a full disk, a directory owned by someone else, or a file where
the journal directory should be would otherwise show up only after the checklist,
the timer and the aftercare — and lose every answer. `check_writable` tries what a
write does (the directory, the lock file, a new file, this month's file) and says
what is wrong and how to fix it: DataFileError, exit 4. It also refuses symbolic
links and special files (FIFO, device) where journal files belong: a month file
linked to /dev/zero or a FIFO would exhaust memory or hang.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from iastm_coach.errors import DataFileError
from iastm_coach.paths import HOME_ENV, binary, ensure_private_dir

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def fix_hint(directory: Path, error: OSError) -> str:
    """What to do about *error* met while writing in *directory*."""
    elsewhere = f"or set {HOME_ENV} to a directory you can write"
    return {
        errno.ENOSPC: "The disk is full: free some space, then run the command again.",
        errno.EDQUOT: "Your disk quota is used up: free some space, then run it again.",
        errno.EROFS: f"The disk holding {directory} is read-only: remount it writable, "
        + elsewhere
        + ".",
        errno.EACCES: f"Give yourself write access (`chmod u+rwx {directory}`), " + elsewhere + ".",
        errno.EPERM: f"Give yourself write access (`chmod u+rwx {directory}`), " + elsewhere + ".",
        errno.ENOTDIR: f"A file stands where a directory should be on the way to {directory}: "
        "move it away, " + elsewhere + ".",
        errno.EEXIST: f"A file stands where the directory {directory} should be: move it "
        "away, " + elsewhere + ".",
    }.get(error.errno or 0, f"Check {directory}, {elsewhere}.")


def _refuse_unusual(path: Path, info: os.stat_result, *, directory: bool) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise DataFileError(
            f"The journal path {path} is a symbolic link; the journal never follows links.",
            hint="Move the real files into place (or set the data directory to the real one).",
        )
    wanted = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    if not wanted:
        what = "a directory" if directory else "a regular file"
        raise DataFileError(
            f"The journal path {path} is not {what} (a FIFO, device or other special file).",
            hint=f"Move {path} away; the journal keeps only its own month files there.",
        )


def check_path(path: Path, *, directory: bool = False) -> bool:
    """DataFileError if *path* is a link or not the kind of file the journal keeps there;
    False if it does not exist."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    _refuse_unusual(path, info, directory=directory)
    return True


def check_writable(directory: Path, month_file: Path, lock_file: Path) -> None:
    """DataFileError (exit 4) unless records can be written in *directory* now."""
    try:
        if check_path(directory, directory=True):
            if os.name == "posix" and directory.stat().st_uid not in (os.getuid(), 0):
                raise DataFileError(
                    f"The journal directory {directory} belongs to another user.",
                    hint=f"Use your own data directory (set {HOME_ENV}).",
                )
        else:
            ensure_private_dir(directory)
        check_path(lock_file)
        fd = os.open(lock_file, binary(os.O_RDWR | os.O_CREAT | NOFOLLOW), 0o600)
        os.close(fd)
        probe = directory / f".write-check.{os.getpid()}.{os.urandom(4).hex()}"
        fd = os.open(probe, binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW), 0o600)
        try:
            os.write(fd, b"\n")  # a full disk refuses even one byte
        finally:
            os.close(fd)
            probe.unlink()
        if check_path(month_file):
            fd = os.open(month_file, binary(os.O_WRONLY | os.O_APPEND | NOFOLLOW))
            os.close(fd)
    except OSError as error:
        raise DataFileError(
            f"The journal cannot be written in {directory} "
            f"({error.strerror or error}); nothing has been asked or recorded yet.",
            hint=fix_hint(directory, error),
        ) from None


def unwritable(directory: Path, error: OSError) -> DataFileError:
    """DataFileError (exit 4) for a write that failed in *directory*, with the fix."""
    return DataFileError(
        f"The journal cannot be written in {directory} ({error.strerror or error}); "
        "nothing was recorded.",
        hint=fix_hint(directory, error),
    )
