"""Two sessions of the same region and side cannot run at once (issue 10, item 11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.errors import Interrupted, SafetyStop
from iastm_coach.safety.running import locks_dir
from iastm_coach.session.deps import SessionDeps
from iastm_coach.session.timer import RunResult, Step
from tests.builders import MILD, make_deps, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk


def deps_for(tmp_path: Path, clock: FakeClock) -> SessionDeps:
    return make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True)]), clock)


def lock_file(deps: SessionDeps, name: str, pid: int, since: str) -> Path:
    directory = locks_dir(deps.journal.directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps({"pid": pid, "since": since}), encoding="utf-8")
    return path


def test_second_session_of_the_same_side_is_refused_while_the_first_runs(
    tmp_path: Path,
) -> None:
    """While the left calf's strokes run, a second left-calf session (another terminal)
    is refused; the right calf may start; once the first is recorded the lock is gone."""
    clock = FakeClock()
    first = deps_for(tmp_path, clock)
    second = deps_for(tmp_path, clock)
    seen: dict[str, str] = {}
    timer = first.run_timer

    def run_timer(plan: list[Step]) -> RunResult:
        with pytest.raises(SafetyStop) as caught:
            session(second, side="both")
        seen["message"] = caught.value.message
        session(second, "hamstrings", side="left")  # another region: not locked
        return timer(plan)

    first.run_timer = run_timer
    session(first, side="left")
    assert "a left calf session is already running since 18:30" in seen["message"]
    assert not list(locks_dir(first.journal.directory).glob("*.lock"))


def test_lock_is_released_when_the_session_is_interrupted(tmp_path: Path) -> None:
    """Ctrl-C in the timer: the partial session is kept and the lock released."""
    clock = FakeClock()
    deps = make_deps(
        tmp_path,
        ScriptedTalk([*MILD, ("smooth", True)]),
        clock,
        keys=[(30.0, KeyboardInterrupt)],
    )
    with pytest.raises(Interrupted):
        session(deps, side="left")
    assert not list(locks_dir(deps.journal.directory).glob("*.lock"))


def test_a_crashed_sessions_lock_does_not_block_forever(tmp_path: Path) -> None:
    """A lock left by a process that is gone, or older than two hours, is taken over; a
    fresh one held by a live process refuses."""
    clock = FakeClock()
    deps = deps_for(tmp_path, clock)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    now = clock.now()
    lock_file(deps, "calf-left.lock", int(gone.stdout), now.isoformat())
    session(deps, side="left")
    lock_file(deps, "hamstrings-left.lock", os.getpid(), (now - timedelta(hours=3)).isoformat())
    session(deps, "hamstrings", side="left")
    lock_file(deps, "neck-none.lock", os.getppid(), clock.now().isoformat())
    with pytest.raises(SafetyStop, match="a neck session is already running"):
        session(deps, "neck")
    lock_file(deps, "glutes-right.lock", 0, "not a time")  # half-written: stale
    session(deps, "glutes", side="right")
