"""How far from the plan does a real-clock timer run end?

Runs a plan of --seconds (default 300: five 56 s areas and four 5 s breaks)
on the real clock with no keys, and prints the planned end vs the actual end
in milliseconds, plus each area's end error (they should not grow: deadlines
are absolute, so lateness does not accumulate).

    python benchmarks/timer_drift.py                      # 5 minutes, plain view to /dev/null
    python benchmarks/timer_drift.py --seconds 60 --view live   # Live view into memory
    python benchmarks/timer_drift.py --seconds 30 --load  # with a busy CPU thread

The "live" view renders the full-screen Rich view on every tick into an
in-memory terminal (100x40), to show that drawing does not delay the clock.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from iastm_coach.clock import SystemClock
from iastm_coach.protocols.model import Area
from iastm_coach.session.keys import NoKeys
from iastm_coach.session.timer import RunResult, Step, StepResult, TimerState, TimerView, run_plan
from iastm_coach.views.timer import LiveTimerView, PlainTimerView

AREA = {
    "name": "Benchmark area",
    "duration_s": 60,
    "stroke": "sweep",
    "direction": "ankle to knee",
    "angle_deg": 30,
    "pressure": "light",
    "cadence_s": 1.5,
    "cues": ["Slow strokes", "Discomfort 5/10 at most"],
    "avoid": ["The back of the knee"],
}


def make_plan(total_s: float, transition_s: float) -> list[Step]:
    """Areas of about a minute, with breaks between, adding up to *total_s*."""
    count = max(1, round(total_s / 60))
    seconds = (total_s - (count - 1) * transition_s) / count
    area = Area.model_validate(AREA)
    return [
        Step(side="left", area=area, seconds=seconds, number=i + 1, total=count, region="calf")
        for i in range(count)
    ]


class RecordingClock(SystemClock):
    """The real clock; remembers the first monotonic reading (the runner's start)."""

    def __init__(self) -> None:
        self.first: float | None = None

    def monotonic(self) -> float:
        now = time.monotonic()
        if self.first is None:
            self.first = now
        return now


class NullView:
    def start(self, plan: Sequence[Step]) -> None: ...
    def step_started(self, state: TimerState) -> None: ...
    def tick(self, state: TimerState) -> None: ...
    def transition(self, state: TimerState) -> None: ...
    def step_ended(self, state: TimerState, result: StepResult) -> None: ...
    def paused(self, state: TimerState) -> None: ...
    def help(self, state: TimerState) -> None: ...
    def quit_prompt(self, asking: bool) -> None: ...
    def check_prompt(self, asking: bool) -> None: ...
    def bell(self) -> None: ...
    def close(self) -> None: ...
    def finish(self, result: RunResult) -> None: ...


@dataclass
class Measuring:
    """Wraps a view: times each step's end and each tick's drawing."""

    inner: TimerView
    ends: list[float] = field(default_factory=list)
    tick_costs: list[float] = field(default_factory=list)

    def start(self, plan: Sequence[Step]) -> None:
        self.inner.start(plan)

    def step_started(self, state: TimerState) -> None:
        self.inner.step_started(state)

    def tick(self, state: TimerState) -> None:
        began = time.perf_counter()
        self.inner.tick(state)
        self.tick_costs.append(time.perf_counter() - began)

    def transition(self, state: TimerState) -> None:
        self.inner.transition(state)

    def step_ended(self, state: TimerState, result: StepResult) -> None:
        self.ends.append(time.monotonic())  # first thing: when the runner saw the deadline
        self.inner.step_ended(state, result)

    def paused(self, state: TimerState) -> None:
        self.inner.paused(state)

    def help(self, state: TimerState) -> None:
        self.inner.help(state)

    def quit_prompt(self, asking: bool) -> None:
        self.inner.quit_prompt(asking)

    def check_prompt(self, asking: bool) -> None:
        self.inner.check_prompt(asking)

    def bell(self) -> None:
        self.inner.bell()

    def close(self) -> None:
        self.inner.close()

    def finish(self, result: RunResult) -> None:
        self.inner.finish(result)


def busy(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="plan length (default 300)")
    parser.add_argument("--view", choices=["null", "plain", "live"], default="plain")
    parser.add_argument("--transition", type=float, default=5.0, help="break between areas")
    parser.add_argument("--load", action="store_true", help="keep a CPU-bound thread busy")
    args = parser.parse_args(argv)

    clock = RecordingClock()
    inner: TimerView
    sink: io.StringIO | None = None
    devnull = Path(os.devnull).open("w")  # noqa: SIM115 - closed below
    if args.view == "live":
        if os.environ.get("TERM", "dumb") in ("", "dumb", "unknown"):
            os.environ["TERM"] = "xterm-256color"
        sink = io.StringIO()
        console = Console(file=sink, width=100, height=40, force_terminal=True)
        inner = LiveTimerView(console, bell=False)
    elif args.view == "plain":
        inner = PlainTimerView(devnull, clock)
    else:
        inner = NullView()
    view = Measuring(inner)
    plan = make_plan(args.seconds, args.transition)

    stop = threading.Event()
    worker = threading.Thread(target=busy, args=(stop,), daemon=True)
    if args.load:
        worker.start()
    try:
        with NoKeys(clock) as keys:
            result = run_plan(
                plan,
                clock=clock,
                keys=keys,
                view=view,
                transition_s=args.transition,
                bell=False,
                confirm_quit=lambda: False,
            )
    finally:
        stop.set()
        devnull.close()

    assert clock.first is not None
    planned_ends = []
    offset = 0.0
    for step in plan:
        offset += step.seconds
        planned_ends.append(clock.first + offset)
        offset += args.transition
    errors_ms = [
        (end - planned) * 1000 for end, planned in zip(view.ends, planned_ends, strict=True)
    ]
    costs_ms = [cost * 1000 for cost in view.tick_costs]

    print(
        f"plan: {args.seconds:.0f} s ({len(plan)} area(s) of {plan[0].seconds:g} s, "
        f"{len(plan) - 1} break(s) of {args.transition:g} s), view={args.view}, "
        f"load={'on' if args.load else 'off'}, python {sys.version.split()[0]}"
    )
    print(f"result: {result.ended_by}, {result.actual_s} of {result.planned_s} s")
    print(f"planned end vs actual end: {errors_ms[-1]:+.2f} ms")
    print("each area's end error (ms): " + " ".join(f"{e:+.2f}" for e in errors_ms))
    print(
        f"view ticks: {len(costs_ms)}, drawing per tick: mean {statistics.fmean(costs_ms):.2f} ms, "
        f"max {max(costs_ms):.2f} ms"
    )
    if sink is not None:
        print(f"live output rendered: {len(sink.getvalue()) / 1e6:.1f} MB of terminal output")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
