"""Work done beside the command in a forked child (`forking.run_beside`): it is done by
the time the returned function returns, its failure is dropped, and where there is no
fork, or it is not worth one, it is done here instead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iastm_coach import forking

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def write_pid(target: Path) -> None:
    target.write_text(str(os.getpid()))


@needs_fork
def test_the_work_is_done_in_a_child_and_finished_when_waited_for(tmp_path: Path) -> None:
    target = tmp_path / "pid"
    wait = forking.run_beside(lambda: write_pid(target))
    wait()
    assert target.read_text() != str(os.getpid())  # done by another process


@needs_fork
def test_a_failing_child_is_dropped(tmp_path: Path) -> None:
    def failing() -> None:
        raise OSError(28, "No space left on device")

    forking.run_beside(failing)()  # no exception, no second copy of the test run


@pytest.mark.parametrize("reason", ["not worth it", "no fork"])
def test_without_a_fork_the_work_is_done_here_and_its_failure_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reason: str
) -> None:
    target = tmp_path / "pid"
    if reason == "no fork":
        monkeypatch.setattr(forking, "can_fork", lambda: False)
    wait = forking.run_beside(lambda: write_pid(target), worth_it=reason != "not worth it")
    assert target.read_text() == str(os.getpid())  # done already, here
    wait()

    def failing() -> None:
        raise RecursionError

    forking.run_beside(failing, worth_it=False)()


def test_a_threaded_process_is_not_forked(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not forking.can_fork()
