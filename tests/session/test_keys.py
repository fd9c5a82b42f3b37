"""Key input, in real pseudo-terminals: keys without Enter, and the terminal restored."""

from __future__ import annotations

import os
import select
import signal
import sys
import termios
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect  # type: ignore[import-untyped]
import pytest

from iastm_coach.session.keys import NoKeys, open_keys
from iastm_coach.session.keys_posix import (
    HIDE_CURSOR,
    SHOW_CURSOR,
    TerminalKeys,
    cbreak_attributes,
    split_keys,
)
from tests.fakes import FakeClock
from tests.terminal import spawn

LFLAG = 3


@pytest.fixture(name="pty")
def _pty() -> Iterator[tuple[int, int]]:
    master, slave = os.openpty()
    try:
        yield master, slave
    finally:
        os.close(master)
        os.close(slave)


def read_available(fd: int, wait: float = 0.05) -> bytes:
    data = b""
    while select.select([fd], [], [], wait)[0]:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        data += chunk
    return data


def test_reads_a_key_without_enter_and_restores_the_terminal(pty: tuple[int, int]) -> None:
    """One byte typed, no newline: wait_key returns it; on exit the attributes are as before."""
    master, slave = pty
    before = termios.tcgetattr(slave)
    with TerminalKeys(slave) as keys:
        inside = termios.tcgetattr(slave)
        assert not inside[LFLAG] & termios.ICANON
        assert not inside[LFLAG] & termios.ECHO
        assert inside[LFLAG] & termios.ISIG  # Ctrl-C still interrupts
        os.write(master, b"n")
        assert keys.wait_key(2.0) == "n"
    assert termios.tcgetattr(slave) == before


def test_typed_keys_are_not_echoed(pty: tuple[int, int]) -> None:
    """Keys pressed during the timer do not appear on the screen."""
    master, slave = pty
    with TerminalKeys(slave) as keys:
        os.write(master, b"q")
        assert keys.wait_key(2.0) == "q"
        assert b"q" not in read_available(master)


def test_wait_times_out_with_none(pty: tuple[int, int]) -> None:
    """No key: None after about the timeout (the timer's sleep)."""
    _, slave = pty
    with TerminalKeys(slave) as keys:
        started = time.monotonic()
        assert keys.wait_key(0.05) is None
        took = time.monotonic() - started
    assert 0.04 <= took < 1.0


def test_several_keys_in_one_read_come_one_at_a_time(pty: tuple[int, int]) -> None:
    """Fast typing: every key is delivered, in order; an arrow key is one key."""
    master, slave = pty
    with TerminalKeys(slave) as keys:
        os.write(master, b"n \x1b[A?")
        time.sleep(0.05)
        got = [keys.wait_key(1.0) for _ in range(4)]
    assert got == ["n", " ", "\x1b[A", "?"]


def test_a_character_split_across_reads(pty: tuple[int, int]) -> None:
    """Half a UTF-8 character is held until the rest arrives."""
    master, slave = pty
    with TerminalKeys(slave) as keys:
        os.write(master, "é".encode()[:1])
        assert keys.wait_key(0.05) is None
        os.write(master, "é".encode()[1:])
        assert keys.wait_key(1.0) == "é"


def test_restored_when_leaving_through_an_exception(pty: tuple[int, int]) -> None:
    """An error inside the block still restores the terminal."""
    _, slave = pty
    before = termios.tcgetattr(slave)
    with pytest.raises(KeyboardInterrupt), TerminalKeys(slave):
        raise KeyboardInterrupt
    assert termios.tcgetattr(slave) == before


def test_unread_keys_are_discarded_on_exit(pty: tuple[int, int]) -> None:
    """Keys typed for the timer do not become answers to the next question."""
    master, slave = pty
    with TerminalKeys(slave):
        os.write(master, b"nnn")
        time.sleep(0.05)
    assert not select.select([slave], [], [], 0.05)[0]


def test_cursor_hidden_inside_and_shown_after(pty: tuple[int, int]) -> None:
    """The cursor is hidden while keys are read, and shown again after."""
    master, slave = pty
    with os.fdopen(os.dup(slave), "w") as out:
        with TerminalKeys(slave, stdout=out):
            assert HIDE_CURSOR.encode() in read_available(master)
        assert SHOW_CURSOR.encode() in read_available(master)


def test_sigcont_handler_is_put_back(pty: tuple[int, int]) -> None:
    """The Ctrl-Z/fg handler lives only as long as the block."""
    _, slave = pty
    previous = signal.getsignal(signal.SIGCONT)
    with TerminalKeys(slave) as keys:
        assert signal.getsignal(signal.SIGCONT) == keys._on_continue
    assert signal.getsignal(signal.SIGCONT) == previous


def test_cbreak_mode_is_set_again_after_fg(pty: tuple[int, int]) -> None:
    """After SIGCONT (fg after Ctrl-Z) the shell's cooked mode is replaced by cbreak again."""
    _, slave = pty
    with TerminalKeys(slave):
        cooked = termios.tcgetattr(slave)
        cooked[LFLAG] |= termios.ICANON | termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, cooked)
        os.kill(os.getpid(), signal.SIGCONT)
        time.sleep(0.01)  # let the handler run
        assert not termios.tcgetattr(slave)[LFLAG] & termios.ICANON


def test_not_a_terminal_is_refused() -> None:
    """A pipe is not a terminal: use NoKeys instead."""
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(OSError, match="not a terminal"), TerminalKeys(read_end):
            pass
    finally:
        os.close(read_end)
        os.close(write_end)


def test_cbreak_attributes_only_clear_echo_and_line_mode() -> None:
    """Pure helper: ISIG and everything else untouched; VMIN 1, VTIME 0."""
    attrs = [0, 0, 0, termios.ICANON | termios.ECHO | termios.ISIG, 0, 0, [b"\x00"] * 32]
    mode = cbreak_attributes(attrs)
    assert mode[LFLAG] == termios.ISIG
    assert mode[6][termios.VMIN] == 1
    assert mode[6][termios.VTIME] == 0
    assert attrs[LFLAG] == termios.ICANON | termios.ECHO | termios.ISIG  # input not changed


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("abc", ["a", "b", "c"]),
        ("\x1b", ["\x1b"]),
        ("\x1b[A\x1b[1;5C", ["\x1b[A", "\x1b[1;5C"]),
        ("\x1bOP q", ["\x1bOP", " ", "q"]),
        ("x\x1bq", ["x", "\x1b", "q"]),
    ],
)
def test_split_keys(text: str, keys: list[str]) -> None:
    """Escape sequences stay whole; a lone Esc is its own key."""
    assert split_keys(text) == keys


def test_no_keys_only_sleeps_on_the_clock() -> None:
    """Plain mode without a terminal: waiting is sleeping on the (injected) clock."""
    clock = FakeClock()
    with NoKeys(clock) as keys:
        assert keys.wait_key(0.2) is None
    assert clock.sleeps == [0.2]


def test_open_keys_without_interaction_gives_no_keys() -> None:
    """--plain or a pipe: no terminal handling at all."""
    assert isinstance(open_keys(FakeClock(), interactive=False), NoKeys)


CHILD = textwrap.dedent(
    """
    import sys, termios
    from iastm_coach.clock import SystemClock
    from iastm_coach.session.keys_posix import TerminalKeys
    from iastm_coach.session.timer import build_plan, confirm_with_keys, run_plan
    from iastm_coach.views.timer import PlainTimerView
    from tests.fakes import make_protocol

    before = termios.tcgetattr(0)
    clock = SystemClock()
    view = PlainTimerView(sys.stdout, clock)
    plan = build_plan(make_protocol(), ["left", "right"])
    with TerminalKeys() as keys:
        print("READY", flush=True)
        result = run_plan(plan, clock=clock, keys=keys, view=view, time_scale=0.02,
                          confirm_quit=confirm_with_keys(keys, view))
    print("ENDED", result.ended_by, [s.status for s in result.steps])
    print("RESTORED", termios.tcgetattr(0) == before, flush=True)
    """
)


@pytest.mark.parametrize(
    ("keys", "ended_by"),
    [("q y", "quit"), ("\x03", "interrupted")],
)
def test_real_terminal_quit_and_ctrl_c(keys: str, ended_by: str) -> None:
    """In a real pty: `n` skips, then `q`+`y` or Ctrl-C end the run; the terminal is restored."""
    child = spawn(sys.executable, ["-c", CHILD], env=None, timeout=20, cwd=str(Path.cwd()))
    try:
        child.expect("READY")
        child.expect(r"Area 1/6")
        child.send("n")
        child.expect(r"Area ended early")
        child.expect(r"Area 2/6")
        child.send(keys[0])
        if keys[1:]:
            child.expect("Quit the session")
            child.send(keys[-1])
        child.expect(r"ENDED (\w+) \[(.*)\]")
        assert child.match.group(1) == ended_by
        statuses = child.match.group(2)
        assert statuses.startswith(("'skipped', ", "'partial', "))
        assert statuses.endswith("'not-started'")
        child.expect("RESTORED True")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
