"""Shared test doubles: a fake clock, scripted keys and answers, a recording view.

Nothing here sleeps. `FakeClock.sleep()` and `ScriptedKeys.wait_key()` move
fake time forward instantly, so a 10-minute session runs in milliseconds.

    clock = FakeClock()
    keys = ScriptedKeys(clock, [(30.0, " "), (40.0, " "), (90.0, "n")])
    view = RecordingView()
    result = run_plan(plan, clock=clock, keys=keys, view=view, confirm_quit=ScriptedConfirm())

or, the same in one call, `run_scripted(plan, [(30.0, " "), ...], view=view)`.

Key times are fake *real* seconds after the ScriptedKeys was made (with a
time scale of 0.01, protocol second 60 is real second 0.6).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iastm_coach.protocols.model import TreatmentProtocol
from iastm_coach.session.timer import RunResult, Step, StepResult, TimerState, TimerView, run_plan

DEFAULT_START = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)


class FakeClock:
    """A `Clock` whose time only moves when slept on or advanced.

    *overshoot*, if given, is called with each requested sleep and returns
    extra seconds to add, to imitate a real scheduler waking up late.
    """

    def __init__(
        self,
        start: datetime = DEFAULT_START,
        *,
        monotonic_start: float = 1000.0,
        overshoot: Callable[[float], float] | None = None,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a time zone-aware start")
        self._start = start
        self._mono_start = monotonic_start
        self._mono = monotonic_start
        self.overshoot = overshoot
        self.sleeps: list[float] = []  # every sleep asked for, in order

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._mono - self._mono_start)

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds > 0:
            extra = self.overshoot(seconds) if self.overshoot else 0.0
            self._mono += seconds + max(0.0, extra)

    def advance(self, seconds: float) -> None:
        """Move time forward without it counting as a sleep."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._mono += seconds

    def advance_to(self, monotonic: float) -> None:
        self._mono = max(self._mono, monotonic)

    @property
    def elapsed(self) -> float:
        """Fake seconds since the clock was made."""
        return self._mono - self._mono_start


Event = str | BaseException | type[BaseException]


class ScriptedKeys:
    """A `KeySource` that delivers keys at scripted fake times.

    *script* holds (seconds after creation, key) pairs; a key may also be an
    exception (instance or class, e.g. KeyboardInterrupt), raised from
    `wait_key` at that time. Waits without a key go through `clock.sleep`, so
    the clock's overshoot applies. If fake time runs more than *max_idle*
    seconds past the last event, it fails the test instead of looping forever.
    """

    def __init__(
        self,
        clock: FakeClock,
        script: Iterable[tuple[float, Event]] = (),
        *,
        max_idle: float = 24 * 3600.0,
    ) -> None:
        self.clock = clock
        self.origin = clock.monotonic()
        self.events: deque[tuple[float, Event]] = deque(sorted(script, key=lambda e: e[0]))
        self.max_idle = max_idle
        self.last_event_at = self.origin
        self.waits: list[float] = []  # every timeout asked for
        self.delivered: list[tuple[float, str]] = []  # (fake seconds after creation, key)

    def wait_key(self, timeout: float) -> str | None:
        self.waits.append(timeout)
        now = self.clock.monotonic()
        if self.events:
            at, event = self.events[0]
            due = self.origin + at
            if due <= now + timeout:
                self.events.popleft()
                self.clock.advance_to(due)
                self.last_event_at = self.clock.monotonic()
                if isinstance(event, str):
                    self.delivered.append((self.clock.monotonic() - self.origin, event))
                    return event
                raise event
        if self.clock.monotonic() - self.last_event_at > self.max_idle:
            raise AssertionError(f"ScriptedKeys: no key for {self.max_idle} s; script exhausted?")
        self.clock.sleep(timeout)
        return None

    def add(self, at: float, event: Event) -> None:
        self.events.append((at, event))
        self.events = deque(sorted(self.events, key=lambda e: e[0]))

    @property
    def exhausted(self) -> bool:
        return not self.events


class ScriptedConfirm:
    """Yes/no answers in order (for confirm_quit and similar); records each call."""

    def __init__(self, *answers: bool, clock: FakeClock | None = None, takes: float = 0.0):
        self.answers = deque(answers)
        self.clock = clock
        self.takes = takes  # fake seconds the person takes to answer
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        if not self.answers:
            raise AssertionError("ScriptedConfirm: asked more often than scripted")
        if self.clock is not None and self.takes:
            self.clock.advance(self.takes)
        return self.answers.popleft()


def run_scripted(
    plan: Sequence[Step],
    script: Iterable[tuple[float, Event]] = (),
    *,
    clock: FakeClock | None = None,
    keys: ScriptedKeys | None = None,
    view: TimerView | None = None,
    confirm: Callable[[], bool] | None = None,
    **options: Any,
) -> RunResult:
    """Run *plan* on a fake clock with *script* as the keys (or *keys*, made on the same
    clock), a RecordingView unless *view* is given, and no answer to "quit?" unless
    *confirm* is given; *options* go to `run_plan` (time_scale, check_between, ...)."""
    clock = FakeClock() if clock is None else clock
    return run_plan(
        plan,
        clock=clock,
        keys=ScriptedKeys(clock, script) if keys is None else keys,
        view=RecordingView() if view is None else view,
        confirm_quit=ScriptedConfirm() if confirm is None else confirm,
        **options,
    )


class RecordingView:
    """A `TimerView` that records every call as (name, argument)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.closed = False

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def of(self, name: str) -> list[Any]:
        return [arg for event, arg in self.events if event == name]

    def start(self, plan: Sequence[Step]) -> None:
        self.events.append(("start", list(plan)))

    def step_started(self, state: TimerState) -> None:
        self.events.append(("step_started", state))

    def tick(self, state: TimerState) -> None:
        self.events.append(("tick", state))

    def transition(self, state: TimerState) -> None:
        self.events.append(("transition", state))

    def step_ended(self, state: TimerState, result: StepResult) -> None:
        self.events.append(("step_ended", result))

    def paused(self, state: TimerState) -> None:
        self.events.append(("paused", state))

    def help(self, state: TimerState) -> None:
        self.events.append(("help", state))

    def quit_prompt(self, asking: bool) -> None:
        self.events.append(("quit_prompt", asking))

    def check_prompt(self, asking: bool) -> None:
        self.events.append(("check_prompt", asking))

    def bell(self) -> None:
        self.events.append(("bell", None))

    def close(self) -> None:
        self.closed = True
        self.events.append(("close", None))

    def finish(self, result: RunResult) -> None:
        self.events.append(("finish", result))


def area_data(name: str, seconds: int = 60, **changes: Any) -> dict[str, Any]:
    """One `[[area]]` table, as loaded from TOML."""
    area: dict[str, Any] = {
        "name": name,
        "duration_s": seconds,
        "stroke": "sweep",
        "direction": "ankle to knee",
        "angle_deg": 45,
        "pressure": "light",
        "cadence_s": 1.5,
        "cues": ["Slow strokes", "Discomfort 5/10 at most"],
        "avoid": ["The back of the knee"],
    }
    area.update(changes)
    return area


def make_protocol(
    areas: Sequence[dict[str, Any]] | None = None,
    *,
    sided: bool = True,
    region: str = "calf",
    max_minutes: int = 20,
) -> TreatmentProtocol:
    """A small valid protocol; *areas* defaults to three 60 s areas."""
    if areas is None:
        areas = [
            area_data("Medial gastrocnemius"),
            area_data("Lateral gastrocnemius"),
            area_data("Soleus", stroke="fan"),
        ]
    return TreatmentProtocol.model_validate(
        {
            "id": region,
            "title": f"Test {region}",
            "region": region,
            "version": "1.0",
            "summary": "For tests.",
            "references": ["Test reference"],
            "access": {"sided": sided, "position": "Sit with the leg relaxed.", "zone": "leg"},
            "settings": {
                "tool": "Smooth edge.",
                "warm_up": "Walk for 5 minutes.",
                "emollient": "Lotion.",
                "rest_hours": 48,
                "max_session_minutes": max_minutes,
            },
            "area": list(areas),
        },
        # Timer and session mechanics, not clinical limits: the wider envelope lets
        # tests use long areas and a 20-minute session.
        context={"envelope": "clinician"},
    )


def count_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children `os.fork` makes from now on in this test (in the parent)."""
    import os

    forks: list[int] = []
    real_fork = os.fork

    def counted_fork() -> int:
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted_fork)
    return forks


def count_waits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children `forking.run_beside` made that are waited for from now on."""
    from iastm_coach import forking

    waits: list[int] = []
    real_wait = forking._wait

    def counted_wait(pid: int) -> None:
        waits.append(pid)
        real_wait(pid)

    monkeypatch.setattr(forking, "_wait", counted_wait)
    return waits
