"""Where things live: the user's data directory and the shipped data files."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path

APP_NAME = "iastm-coach"
HOME_ENV = "IASTM_COACH_HOME"
DATA_ENV = "IASTM_COACH_DATA_DIR"

# The data directory of the command running now: its AppContext's (cli.py sets it for
# the run), so the protocol library, the pins and the journal all use the one directory.
_home_of_this_run: ContextVar[Path | None] = ContextVar("home_of_this_run", default=None)


def use_home_for_this_run(home: Path) -> Callable[[], None]:
    """Make *home* the data directory until the returned function is called."""
    token = _home_of_this_run.set(home)
    return lambda: _home_of_this_run.reset(token)


def user_dir() -> Path:
    """The data directory: the running command's (from its AppContext), else
    `$IASTM_COACH_HOME`, else the platform's user data dir.

    It is not created here; writers create what they need, privately.
    """
    run_home = _home_of_this_run.get()
    if run_home is not None:
        return run_home
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # imported lazily: start-up time matters

    return Path(platformdirs.user_data_path(APP_NAME, appauthor=False))


def journal_dir(home: Path | None = None) -> Path:
    """The journal inside *home* (default: the data directory)."""
    return (home or user_dir()) / "journal"


def installed_protocols_dir(home: Path | None = None) -> Path:
    """Protocols installed from a physio, inside *home* (default: the data directory)."""
    return (home or user_dir()) / "protocols"


def data_dir() -> Path:
    """The shipped `data/` directory, wherever the package was installed from.

    Order: `$IASTM_COACH_DATA_DIR`; the copy inside an installed wheel
    (`iastm_coach/data`); the top-level `data/` of a source checkout or an
    editable install.
    """
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override).expanduser()
    # The package's own directory, as importlib.resources.files would give it for an
    # installed package, without importing importlib.resources (and zipfile) at start-up.
    packaged = Path(__file__).resolve().parent / "data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data"


def ensure_private_dir(path: Path) -> Path:
    """Create `path`, and any missing parents (such as the data directory itself),
    readable only by their owner: they hold health data."""
    missing = []
    for ancestor in [path, *path.parents]:
        if ancestor.exists():
            break
        missing.append(ancestor)
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
        if os.name == "posix":
            directory.chmod(0o700)  # mkdir's mode is filtered by the umask
    if os.name == "posix" and path.exists():
        path.chmod(0o700)
    return path


def binary(flags: int) -> int:
    """*flags* for `os.open` with O_BINARY added where it exists (Windows): without it a
    descriptor is in text mode there, turning "\\n" into "\\r\\n" and stopping reads at Ctrl-Z."""
    return flags | getattr(os, "O_BINARY", 0)


def existing_output(path: Path) -> bool:
    """Whether an output file (`--out`) is there already: True for a regular file, False
    when there is nothing. A symbolic link (never followed), anything but a regular file,
    or a path that cannot be looked at is refused: UsageError (exit 2)."""
    import stat

    from iastm_coach.errors import UsageError

    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise UsageError(f"cannot write {path} ({error.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise UsageError(
            f"{path} is a symbolic link; it is not followed",
            hint="Give the real file's path as --out, or another name.",
        )
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{path} is not a regular file", hint="Choose another --out.")
    return True


def write_private_file(path: Path, text: str, *, overwrite: bool) -> None:
    """Write a file only its owner can read (reports and protocols name a patient).

    The text goes to a private temporary file next to *path*, which then takes its
    place: a full disk or a kill leaves no half-written (or 0-byte) file, and a file
    replaced with `overwrite` ends up 0600 whatever its mode was. A symbolic link or
    anything but a regular file at *path* is refused, never followed.

    Without `overwrite` an existing file is never replaced: UsageError (exit 2). A
    file that cannot be written (no space, read-only disk): DataFileError (exit 4).
    """
    from iastm_coach.errors import UsageError

    if existing_output(path) and not overwrite:
        raise UsageError(f"{path} already exists", hint="Choose another --out, or add --force.")
    try:
        _write_through_temp(path, text.encode("utf-8"), overwrite=overwrite)
    except FileExistsError:
        raise UsageError(
            f"{path} already exists", hint="Choose another --out, or add --force."
        ) from None
    except OSError as error:
        raise _unwritable(path, error) from None


def _write_through_temp(path: Path, payload: bytes, *, overwrite: bool) -> None:
    """*payload* to a private temporary file beside *path*, then moved to *path*."""
    temp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    flags = binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0))
    descriptor = os.open(temp, flags, 0o600)
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if overwrite or os.name != "posix":
            temp.replace(path)
        else:
            os.link(temp, path)  # fails if *path* appeared meanwhile: never clobbered
            temp.unlink()
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _unwritable(path: Path, error: OSError) -> Exception:
    """DataFileError (exit 4) saying why *path* could not be written and what to do."""
    import errno

    from iastm_coach.errors import DataFileError

    hints = {
        errno.ENOSPC: "The disk is full: free some space and run the command again.",
        errno.EDQUOT: "Your disk quota is used up: free some space and run it again.",
        errno.EROFS: "The disk is read-only: choose a file on a writable disk.",
        errno.EACCES: f"You may not write in {path.parent}: choose another place.",
        errno.EPERM: f"You may not write in {path.parent}: choose another place.",
    }
    return DataFileError(
        f"{path} could not be written ({error.strerror or error}); nothing was written.",
        hint=hints.get(error.errno or 0, "Choose another place for the file."),
    )
