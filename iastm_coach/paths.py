"""Where things live: the user's data directory and the shipped data files."""

from __future__ import annotations

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
    from importlib.resources import files

    packaged = Path(str(files("iastm_coach") / "data"))
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


def write_private_file(path: Path, text: str, *, overwrite: bool) -> None:
    """Write a file only its owner can read (reports and protocols name a patient).

    Without `overwrite` an existing file is never replaced: UsageError (exit 2).
    """
    from iastm_coach.errors import UsageError

    flags = binary(os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL))
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise UsageError(
            f"{path} already exists", hint="Choose another --out, or add --force."
        ) from None
    except OSError as error:
        raise UsageError(f"cannot write {path} ({error.strerror})") from None
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
