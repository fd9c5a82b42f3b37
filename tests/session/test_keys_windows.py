"""The Windows key reader, on a faked platform: CI cannot run Windows, so `msvcrt` is a fake
module in sys.modules whose keys arrive at scripted times on the fake clock.

What a person on Windows sees: `open_keys` picks the console reader, a key ends the wait at
once, no key means the timer wakes at its deadline, arrows are one key, Ctrl-C interrupts,
and keys typed but not read never reach the next question.
"""

from __future__ import annotations

import os
import sys
import types
from collections import deque
from pathlib import Path

import pytest

from iastm_coach.session import keys as keys_module
from iastm_coach.session.keys import NoKeys, is_windows, open_keys
from iastm_coach.session.keys_windows import POLL_S, ConsoleKeys
from iastm_coach.session.timer import build_plan, confirm_with_keys, run_plan
from tests.fakes import FakeClock, RecordingView, make_protocol


class FakeMsvcrt(types.ModuleType):
    """`msvcrt.kbhit()` / `getwch()` with characters typed at fake seconds after creation."""

    def __init__(self, clock: FakeClock, typed: list[tuple[float, str]] | None = None) -> None:
        super().__init__("msvcrt")
        self.clock = clock
        self.origin = clock.monotonic()
        self.typed: deque[tuple[float, str]] = deque()
        for at, text in typed or []:
            self.type(at, text)
        self.polls = 0

    def type(self, at: float, text: str) -> None:
        """*text* typed at fake second *at*, one character per getwch (as a console gives)."""
        self.typed.extend((at, char) for char in text)

    def kbhit(self) -> bool:
        self.polls += 1
        return bool(self.typed) and self.origin + self.typed[0][0] <= self.clock.monotonic()

    def getwch(self) -> str:
        if not self.kbhit():  # the real one would block: a test that gets here is wrong
            raise AssertionError("getwch() with no key waiting")
        return self.typed.popleft()[1]


@pytest.fixture(name="windows")
def _windows(monkeypatch: pytest.MonkeyPatch) -> FakeMsvcrt:
    """Windows, as far as the program can tell: the platform, a console, and msvcrt."""
    clock = FakeClock()
    fake = FakeMsvcrt(clock)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(keys_module, "stdin_is_terminal", lambda: True)
    return fake


def test_open_keys_picks_the_console_reader_on_windows(windows: FakeMsvcrt) -> None:
    """At a Windows console the timer reads keys through msvcrt, never termios."""
    keys = open_keys(windows.clock, interactive=True)
    assert isinstance(keys, ConsoleKeys)
    windows.type(0.0, "n")
    with keys:
        assert keys.wait_key(1.0) == "n"


def test_open_keys_picks_termios_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same call on Linux or macOS gives the termios reader (not entered here)."""
    from iastm_coach.session.keys_posix import TerminalKeys

    monkeypatch.setattr(keys_module, "stdin_is_terminal", lambda: True)
    with Path(os.devnull).open() as stdin:  # a descriptor for TerminalKeys to keep
        monkeypatch.setattr(sys, "stdin", stdin)
        for platform in ("linux", "darwin"):
            monkeypatch.setattr(sys, "platform", platform)
            assert isinstance(open_keys(FakeClock(), interactive=True), TerminalKeys)


def test_windows_without_a_console_or_plain_gets_no_keys(
    windows: FakeMsvcrt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--plain, or input from a pipe: no key reader at all, on Windows too."""
    assert isinstance(open_keys(windows.clock, interactive=False), NoKeys)
    monkeypatch.setattr(keys_module, "stdin_is_terminal", lambda: False)
    assert isinstance(open_keys(windows.clock, interactive=True), NoKeys)


def test_is_windows_reads_the_platform_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_windows("win32") and not is_windows("linux") and not is_windows("cygwin")
    monkeypatch.setattr(sys, "platform", "win32")
    assert is_windows()


def test_no_key_returns_none_at_the_deadline_polling_in_small_steps(windows: FakeMsvcrt) -> None:
    """Nothing typed: the wait is the timer's sleep, ending on its deadline, never later."""
    clock = windows.clock
    with ConsoleKeys(clock) as keys:
        assert keys.wait_key(0.5) is None
    assert clock.elapsed == pytest.approx(0.5)
    assert max(clock.sleeps) <= POLL_S
    assert sum(clock.sleeps) == pytest.approx(0.5)


def test_a_key_ends_the_wait_within_one_poll(windows: FakeMsvcrt) -> None:
    """A key typed 0.11 s into a 2 s wait is returned by 0.11 s + one poll, not at 2 s."""
    windows.type(0.11, " ")
    clock = windows.clock
    with ConsoleKeys(clock) as keys:
        assert keys.wait_key(2.0) == " "
    assert 0.11 <= clock.elapsed <= 0.11 + POLL_S + 1e-9


def test_a_zero_timeout_only_looks(windows: FakeMsvcrt) -> None:
    with ConsoleKeys(windows.clock) as keys:
        assert keys.wait_key(0.0) is None
        windows.type(0.0, "q")
        assert keys.wait_key(0.0) == "q"
    assert windows.clock.sleeps == []


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("\xe0H", "\x1b[A"),  # up arrow, as a POSIX terminal sends it
        ("\x00P", "\x1b[B"),
        ("\xe0M", "\x1b[C"),
        ("\xe0K", "\x1b[D"),
        ("\x00;", "\x00;"),  # F1: one key the timer ignores, not two
        ("é", "é"),
    ],
)
def test_special_keys_are_one_key(windows: FakeMsvcrt, typed: str, key: str) -> None:
    windows.type(0.0, typed + "n")
    with ConsoleKeys(windows.clock) as keys:
        assert keys.wait_key(0.1) == key
        assert keys.wait_key(0.1) == "n"


def test_ctrl_c_read_as_a_character_interrupts(windows: FakeMsvcrt) -> None:
    windows.type(0.0, "\x03")
    with pytest.raises(KeyboardInterrupt), ConsoleKeys(windows.clock) as keys:
        keys.wait_key(1.0)


def test_unread_keys_are_discarded_on_exit_also_through_an_exception(windows: FakeMsvcrt) -> None:
    """Keys typed for the timer do not become answers to the next question."""
    windows.type(0.0, "nnn")
    with ConsoleKeys(windows.clock):
        pass
    assert not windows.kbhit()
    windows.type(0.0, "yy")
    with pytest.raises(KeyboardInterrupt), ConsoleKeys(windows.clock):
        raise KeyboardInterrupt
    assert not windows.kbhit()


def test_the_timer_runs_on_the_windows_reader(windows: FakeMsvcrt) -> None:
    """A whole run on the real runner: `n` skips the first area at 10 s, space pauses and
    resumes, `q` then `y` quits in the second area; the run ends by quitting."""
    clock = windows.clock
    plan = build_plan(make_protocol(), ["left"])
    windows.type(10.0, "n")
    windows.type(30.0, " ")
    windows.type(40.0, " ")
    windows.type(50.0, "q")
    windows.type(51.0, "y")
    view = RecordingView()
    with open_keys(clock, interactive=True) as keys:
        result = run_plan(
            plan,
            clock=clock,
            keys=keys,
            view=view,
            transition_s=0,
            confirm_quit=confirm_with_keys(keys, view),
        )
    assert result.ended_by == "quit"
    assert [step.status for step in result.steps][:2] == ["partial", "partial"]
    assert result.steps[0].actual_s == 10
    assert result.paused_s >= 10  # the pause and the quit question
    assert view.of("paused")
    assert not windows.typed
