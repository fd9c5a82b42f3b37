"""Any OS, any terminal: Windows simulated on Linux, `LC_ALL=C`, `TERM=dumb` and 40 columns.

CI cannot run Windows. What can be checked here is what breaks first there: a POSIX-only
module (termios, fcntl, tty…) or signal (SIGTSTP, SIGCONT…) used on a path Windows takes.
A child Python makes those unimportable or absent, then imports every module of the package
and runs the journal and two commands the way Windows would (os.name "nt", O_BINARY).

`LC_ALL=C` with UTF-8 mode off gives an ASCII standard output, as a Windows code page does
for most of our symbols: every command must still run, print a stand-in for what it cannot
encode, and save what was answered.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pexpect
import pytest

from tests import terminal
from tests.builders import ALL_CLEAR, FIRST_USE, READY, REPO
from tests.terminal import PROGRAM

pytestmark = pytest.mark.slow

SIMULATE_WINDOWS = textwrap.dedent(
    """
    import os, signal, sys
    for name in ("termios", "fcntl", "tty", "pty", "pwd", "grp", "resource"):
        sys.modules[name] = None  # "No module named ..." as on Windows
    for name in ("SIGTSTP", "SIGCONT", "SIGWINCH", "SIGQUIT", "SIGHUP", "SIGPIPE", "SIGALRM"):
        delattr(signal, name)
    for name in ("getuid", "geteuid", "getgid", "fchmod", "fchown", "killpg"):
        delattr(os, name)
    """
)

IMPORT_EVERYTHING = SIMULATE_WINDOWS + textwrap.dedent(
    """
    import importlib, pkgutil
    import iastm_coach
    failed = []
    for info in pkgutil.walk_packages(iastm_coach.__path__, "iastm_coach."):
        try:
            importlib.import_module(info.name)
        except ImportError as error:
            failed.append(f"{info.name}: {error}")
    print("FAILED", failed)
    """
)


def run_python(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IASTM_COACH_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_module_imports_without_posix_only_modules(tmp_path: Path) -> None:
    """Only the POSIX key reader needs termios; everything else, including the session
    command and the journal, loads where termios, fcntl and SIGTSTP do not exist."""
    result = run_python(IMPORT_EVERYTHING, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "FAILED ['iastm_coach.session.keys_posix: import of termios halted" in result.stdout
    assert result.stdout.count("iastm_coach.") == 1, result.stdout


WINDOWS_JOURNAL = SIMULATE_WINDOWS + textwrap.dedent(
    """
    import types
    from datetime import timedelta
    import iastm_coach.journal.store as store
    import iastm_coach.paths as paths
    from typer.testing import CliRunner
    from iastm_coach.cli import app
    from tests.builders import T0, add_checkin, add_session, make_journal

    real_os = os
    O_BINARY = 0x8000  # its value on Windows
    flags_seen = []

    def windows_open(path, flags, mode=0o777):
        flags_seen.append(bool(flags & O_BINARY))
        return real_os.open(path, flags & ~O_BINARY, mode)

    class WindowsOs(types.ModuleType):
        name = "nt"
        O_BINARY = O_BINARY
        open = staticmethod(windows_open)

        def __getattr__(self, attribute):
            return getattr(real_os, attribute)

    store.os = paths.os = WindowsOs("os")

    import filelock  # Windows uses its msvcrt lock, which Linux cannot run: record the use

    locks = []

    class WindowsFileLock:
        def __init__(self, path, timeout, mode):
            locks.append((os.path.basename(path), timeout > 0, oct(mode)))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    filelock.FileLock = WindowsFileLock
    from pathlib import Path
    journal = make_journal(Path(real_os.environ["IASTM_COACH_HOME"]))
    session = add_session(journal, started=T0)
    add_checkin(journal, session, hours=24, soreness=1)
    print("RECORDS", len(journal.recent(since=T0 - timedelta(days=1))))
    print("WARNINGS", journal.permission_problems())
    print("BINARY", bool(flags_seen) and all(flags_seen))
    print("LOCKS", sorted(set(locks)))
    runner = CliRunner()
    for args in (["history"], ["today"]):
        result = runner.invoke(app, args, env={"IASTM_COACH_NOW": "2026-03-03T20:00:00+00:00"})
        print("EXIT", args[0], result.exit_code, repr(result.exception))
    """
)


def test_the_journal_and_commands_run_the_windows_way(tmp_path: Path) -> None:
    """With os.name "nt" and no fcntl, the journal locks through filelock, reads back what it
    wrote, opens every file with O_BINARY (no newline translation on Windows), reports no
    POSIX permission warnings, and `history` and `today` read it."""
    home = tmp_path / "journal-home"
    result = run_python(WINDOWS_JOURNAL, home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "RECORDS 2" in out
    assert "WARNINGS []" in out
    assert "BINARY True" in out
    assert "LOCKS [('.lock', True, '0o600')]" in out
    assert "EXIT history 0 None" in out
    assert "EXIT today 0 None" in out


# --- LC_ALL=C, TERM=dumb, 40 columns --------------------------------------------------------

NOW = "2026-03-02T18:30:00+00:00"
# A left-calf session in plain mode, answered through a pipe: the side, the first-use
# questions, "no" to every checklist item, pre-soreness 1, Enter to start, no measurement,
# then soreness 1, no bruising or numbness, and a note.
PIPED_SESSION = "left\n" + FIRST_USE + ALL_CLEAR + READY + "1\nn\nplain ascii\n"


def c_locale(home: Path, **changes: str) -> dict[str, str]:
    """The C locale with UTF-8 mode off: standard output is ASCII."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHON", "NO_COL"))}
    env.update(
        LANG="C",
        LC_ALL="C",
        PYTHONUTF8="0",
        TERM="dumb",
        COLUMNS="40",
        IASTM_COACH_HOME=str(home),
        IASTM_COACH_NOW=NOW,
        IASTM_COACH_TIME_SCALE="0.001",
    )
    env.update(changes)
    return env


def run_program(home: Path, *args: str, answers: str = "", **env: str) -> tuple[int, str, str]:
    result = subprocess.run(
        [PROGRAM, *args],
        input=answers.encode("ascii"),
        env=c_locale(home, **env),
        capture_output=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout.decode("ascii"), result.stderr.decode("ascii")


def test_c_locale_and_40_columns_session_today_history_trend(tmp_path: Path) -> None:
    """An ASCII terminal 40 columns wide: a piped plain session is saved (exit 0); today,
    history, trend and schedule show it in 40 columns; symbols become ASCII stand-ins (the angle in
    degrees, the dash for a missing answer), never an error."""
    home = tmp_path / "home"
    code, out, err = run_program(home, "--plain", "session", "calf", answers=PIPED_SESSION)
    assert (code, err) == (0, "")
    assert "30 deg" in out  # "30°" in a UTF-8 terminal
    (month,) = (home / "journal").glob("*.toml")
    journal = tomllib.loads(month.read_text(encoding="utf-8"))
    (session,) = journal["session"]
    assert session["note"] == "plain ascii" and session["complete"] is True

    for args in (
        ["today"],
        ["history"],
        ["trend"],
        ["schedule"],
        ["history", "calf", "--last", "1"],
    ):
        code, out, err = run_program(home, *args, IASTM_COACH_NOW="2026-03-03T20:00:00+00:00")
        assert (code, err) == (0, ""), args
        assert "?" not in out.replace("? ", "").replace("?\n", ""), (args, out)
        assert max(len(line) for line in out.splitlines()) <= 40, (args, out)
    assert "soreness 1 / - / -" in run_program(home, "history", IASTM_COACH_NOW=NOW)[1]


def test_dumb_narrow_pseudo_terminal(tmp_path: Path) -> None:
    """A real 40-column terminal with TERM=dumb and the C locale: `today` and `history`
    draw within 40 columns, with no escape sequences and no error."""
    home = tmp_path / "home"
    run_program(home, "--plain", "session", "calf", answers=PIPED_SESSION)
    for command in ("today", "history"):
        child = terminal.spawn(
            PROGRAM,
            [command],
            env=c_locale(home, IASTM_COACH_NOW="2026-03-03T20:00:00+00:00", COLUMNS=""),
            dimensions=(15, 40),
            encoding="ascii",
        )
        child.expect(pexpect.EOF)
        child.close()
        screen = child.before
        assert child.exitstatus == 0, screen
        assert "calf" in screen and "Error" not in screen and "\x1b[" not in screen
        assert max(len(line) for line in screen.splitlines()) <= 40, screen
