"""The pseudo-terminal helper gives children a person's Ctrl-C in any job-control state."""

from __future__ import annotations

import signal
import sys

import pexpect

from tests.terminal import spawn

PROBE = "import signal; print('SIGINT', signal.getsignal(signal.SIGINT).__name__, flush=True)"


def test_children_get_default_ctrl_c_when_pytest_ignores_it() -> None:
    """`pytest … &` from a script starts with SIGINT ignored; a spawned Python must still turn
    Ctrl-C into KeyboardInterrupt (it does so only if SIGINT is not ignored at its start)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        child = spawn(sys.executable, ["-c", PROBE], timeout=20)
    finally:
        signal.signal(signal.SIGINT, previous)
    child.expect(r"SIGINT (\w+)")
    assert child.match.group(1) == "default_int_handler"
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
