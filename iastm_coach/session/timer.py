"""The stroke timer: a plan of areas, and a runner that times them.

Pure and display-free (no Rich here): time comes from an injected `Clock`,
key presses from a `KeySource`, and everything shown goes through a
`TimerView`. Tests drive it with a fake clock and scripted keys, no sleeping.

Scheduling uses absolute monotonic deadlines. Every deadline is computed from
the instant the run started plus the planned offsets of the steps, shifted
only by pauses (and program stalls, see `run_plan`) and by `n` skips. A late
wake-up or a slow redraw therefore never adds up over a session: the next
deadline is where the plan says it is, not "now + duration".
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from iastm_coach.clock import Clock
from iastm_coach.protocols.model import Area, TreatmentProtocol

Side = Literal["left", "right", "none"]
Status = Literal["done", "skipped", "partial", "not-started"]
EndedBy = Literal["finished", "quit", "interrupted"]
Phase = Literal["area", "transition"]

SIDES: tuple[Side, ...] = ("left", "right", "none")
MIN_STEP_SECONDS = 5
DEFAULT_TICK_S = 0.2
PAUSE_KEYS = frozenset({" ", "p"})
NEXT_KEYS = frozenset({"n"})
QUIT_KEYS = frozenset({"q"})
HELP_KEYS = frozenset({"?", "h"})
CONFIRM_YES = frozenset({"y", "q"})
CONFIRM_NO = frozenset({"n", "\x1b", " "})


@dataclass(frozen=True)
class Step:
    """One area on one side, with its planned (dose-scaled) time."""

    side: Side
    area: Area
    seconds: float  # protocol seconds after dose scaling: whole seconds, at least 5
    number: int  # 1-based position in the whole plan
    total: int
    region: str = ""  # the protocol's region, e.g. "calf", for labels

    @property
    def planned_s(self) -> int:
        return int(self.seconds)

    @property
    def place(self) -> str:
        """Where on the body: "left calf", "calf" (unsided), or "left"."""
        region = self.region.replace("-", " ")
        if self.side == "none":
            return region or "both sides"
        return f"{self.side} {region}".strip()


@dataclass(frozen=True)
class StepResult:
    side: Side
    area_name: str
    planned_s: int
    actual_s: int  # protocol seconds, pauses excluded
    status: Status


@dataclass(frozen=True)
class RunResult:
    steps: list[StepResult]  # one per planned step, in plan order
    ended_by: EndedBy
    planned_s: int
    actual_s: int
    paused_s: int = 0  # protocol seconds spent paused (incl. answering "quit?")

    @property
    def finished(self) -> bool:
        return self.ended_by == "finished"

    @property
    def done_count(self) -> int:
        return sum(1 for step in self.steps if step.status == "done")


@dataclass(frozen=True)
class TimerState:
    """A frozen snapshot handed to the view on every tick. Times in protocol seconds."""

    phase: Phase  # "transition": the short break announcing `step`
    step: Step  # the area being worked, or (in a transition) the one coming up
    elapsed_s: float  # into this phase, pauses excluded
    remaining_s: float  # left in this phase
    phase_s: float  # planned length of this phase
    session_elapsed_s: float  # plan time behind us: earlier steps in full + this one's elapsed
    session_total_s: float  # planned time of all steps (transitions not counted)
    beat: float  # 0 <= beat < 1: where we are within the current stroke (area phase)
    strokes: int  # whole strokes since the area began
    next_step: Step | None  # the step after `step`
    paused: bool
    help_shown: bool

    @property
    def area_fraction(self) -> float:
        return _fraction(self.elapsed_s, self.phase_s)

    @property
    def session_fraction(self) -> float:
        return _fraction(self.session_elapsed_s, self.session_total_s)

    @property
    def session_remaining_s(self) -> float:
        return max(0.0, self.session_total_s - self.session_elapsed_s)


def _fraction(part: float, whole: float) -> float:
    if whole <= 0:
        return 1.0
    return min(1.0, max(0.0, part / whole))


class KeySource(Protocol):
    def wait_key(self, timeout: float) -> str | None:
        """Wait up to `timeout` real seconds; return a key as soon as one arrives, else None."""
        ...


class TimerView(Protocol):
    """What the runner shows. Calls arrive in this order:

    start, then per step [transition (first call of a break), tick...] step_started,
    tick..., step_ended; paused/help/quit_prompt/bell at any point; then close
    (always, also on errors: restores the screen) and finish (not after errors).
    """

    def start(self, plan: Sequence[Step]) -> None: ...

    def step_started(self, state: TimerState) -> None:
        """A new area begins (announce it)."""
        ...

    def tick(self, state: TimerState) -> None:
        """About every 0.2 s real time, in areas, breaks and while paused."""
        ...

    def transition(self, state: TimerState) -> None:
        """A break begins; `state.step` is the area coming up."""
        ...

    def step_ended(self, state: TimerState, result: StepResult) -> None: ...

    def paused(self, state: TimerState) -> None:
        """Space was pressed: `state.paused` says whether we are now paused."""
        ...

    def help(self, state: TimerState) -> None:
        """`?` was pressed: `state.help_shown` says whether help is now shown."""
        ...

    def quit_prompt(self, asking: bool) -> None:
        """Show (True) or clear (False) the "quit the session?" question."""
        ...

    def bell(self) -> None: ...

    def close(self) -> None:
        """Leave the screen as it was (idempotent)."""
        ...

    def finish(self, result: RunResult) -> None:
        """After close: a one-line summary of the timed part."""
        ...


def build_plan(
    protocol: TreatmentProtocol,
    sides: Sequence[Side],
    *,
    dose_percent: int = 100,
    skip: Collection[str] = (),
) -> list[Step]:
    """All areas for the first side, then all for the second.

    Times are scaled by *dose_percent* (a physio's scale-back rule), rounded to
    whole seconds and never below 5 s. Areas named in *skip* (the user works
    around a local contraindication) are left out.
    """
    if not sides:
        raise ValueError("at least one side is needed")
    if len(set(sides)) != len(sides):
        raise ValueError(f"each side may appear once (got {list(sides)})")
    for side in sides:
        if side not in SIDES:
            raise ValueError(f"unknown side '{side}'")
    if not 1 <= dose_percent <= 100:
        raise ValueError(f"dose_percent must be between 1 and 100 (got {dose_percent})")
    names = {area.name for area in protocol.area}
    unknown = sorted(set(skip) - names)
    if unknown:
        raise ValueError(f"cannot skip unknown area(s): {', '.join(unknown)}")

    areas = [area for area in protocol.area if area.name not in skip]
    total = len(areas) * len(sides)
    plan: list[Step] = []
    for side in sides:
        for area in areas:
            seconds = max(MIN_STEP_SECONDS, int(area.duration_s * dose_percent / 100 + 0.5))
            plan.append(
                Step(
                    side=side,
                    area=area,
                    seconds=float(seconds),
                    number=len(plan) + 1,
                    total=total,
                    region=protocol.region,
                )
            )
    return plan


def confirm_with_keys(keys: KeySource, view: TimerView) -> Callable[[], bool]:
    """A `confirm_quit` that asks on the view and reads y/n from the same keys.

    `y` (or `q` again) quits; `n`, Esc or space carries on. Waits as long as it
    takes: the timer is paused meanwhile.
    """

    def confirm() -> bool:
        view.quit_prompt(True)
        try:
            while True:
                key = keys.wait_key(DEFAULT_TICK_S)
                if key is None:
                    continue
                if key.lower() in CONFIRM_YES:
                    return True
                if key.lower() in CONFIRM_NO:
                    return False
        finally:
            view.quit_prompt(False)

    return confirm


class _Quit(Exception):
    pass


def run_plan(
    plan: Sequence[Step],
    *,
    clock: Clock,
    keys: KeySource,
    view: TimerView,
    time_scale: float = 1.0,
    transition_s: float = 5.0,
    bell: bool = True,
    confirm_quit: Callable[[], bool],
    tick_s: float = DEFAULT_TICK_S,
    stall_s: float = 2.0,
) -> RunResult:
    """Time every step of *plan*, with a short break announcing each next area.

    *time_scale* multiplies every real wait (0.01 plays a 4-minute plan in
    2.4 s); results are in protocol seconds. Keys: space pauses and resumes,
    `n` ends the current area early, `q` asks *confirm_quit* (paused meanwhile),
    `?` toggles help. Ctrl-C is caught: the view is closed first, then the
    partial result returned with ended_by "interrupted".

    *tick_s* is the real time between view updates; the deadline check, not
    the tick, decides when an area ends. If one wait overruns by more than
    *stall_s* real seconds (the program was stopped with Ctrl-Z, or the machine
    hung), the overrun is treated as a pause, so the user does not come back
    to find areas ticked off that they never did.
    """
    if time_scale <= 0:
        raise ValueError(f"time_scale must be positive (got {time_scale})")
    if transition_s < 0 or tick_s <= 0:
        raise ValueError("transition_s must be >= 0 and tick_s > 0")
    run = _Run(
        list(plan),
        clock=clock,
        keys=keys,
        view=view,
        scale=time_scale,
        transition_s=transition_s,
        bell=bell,
        confirm_quit=confirm_quit,
        tick_s=tick_s,
        stall_s=stall_s,
    )
    ended_by: EndedBy = "interrupted"
    try:
        try:
            view.start(run.plan)
        except KeyboardInterrupt:
            pass  # Ctrl-C before the first area: nothing done, still a result
        else:
            ended_by = run.run()
    finally:
        view.close()
    result = run.result(ended_by)
    view.finish(result)
    return result


class _Run:
    """One run of a plan. All times here are real monotonic seconds."""

    def __init__(
        self,
        plan: list[Step],
        *,
        clock: Clock,
        keys: KeySource,
        view: TimerView,
        scale: float,
        transition_s: float,
        bell: bool,
        confirm_quit: Callable[[], bool],
        tick_s: float,
        stall_s: float,
    ) -> None:
        self.plan = plan
        self.clock = clock
        self.keys = keys
        self.view = view
        self.scale = scale
        self.bell = bell
        self.confirm_quit = confirm_quit
        self.tick_s = tick_s
        self.stall_s = stall_s
        self.transition_s = transition_s
        self.transition = transition_s * scale
        self.durations = [step.seconds * scale for step in plan]
        # Planned start of each area, in real seconds after t0 (breaks included).
        self.area_start: list[float] = []
        offset = 0.0
        for index, duration in enumerate(self.durations):
            if index:
                offset += self.transition
            self.area_start.append(offset)
            offset += duration
        # Plan time of all earlier steps, in protocol seconds (session progress).
        self.before: list[float] = []
        done = 0.0
        for step in plan:
            self.before.append(done)
            done += step.seconds
        self.session_total = done

        self.results: list[StepResult] = [
            StepResult(step.side, step.area.name, step.planned_s, 0, "not-started") for step in plan
        ]
        self.t0 = 0.0
        self.shift = 0.0  # real seconds every later deadline moved by (pauses, stalls, skips)
        self.paused_total = 0.0
        self.pause_start: float | None = None
        self.help_shown = False
        self.index = 0
        self.phase: Phase = "area"

    # -- the schedule -------------------------------------------------------

    def _window(self) -> tuple[float, float]:
        """Planned (start, end) of the current phase, relative to t0, before shifting."""
        start = self.area_start[self.index]
        if self.phase == "transition":
            return start - self.transition, start
        return start, start + self.durations[self.index]

    def _deadline(self) -> float:
        return self.t0 + self.shift + self._window()[1]

    def _elapsed(self, now: float) -> float:
        """Real seconds into the current phase, pauses excluded."""
        start, end = self._window()
        if self.pause_start is not None:
            now = min(now, self.pause_start)
        return min(end - start, max(0.0, now - self.t0 - self.shift - start))

    def _state(self, now: float) -> TimerState:
        step = self.plan[self.index]
        in_area = self.phase == "area"
        length = step.seconds if in_area else self.transition_s
        elapsed = min(length, self._elapsed(now) / self.scale)
        session = self.before[self.index] + (elapsed if in_area else 0.0)
        cadence = step.area.cadence_s
        return TimerState(
            phase=self.phase,
            step=step,
            elapsed_s=elapsed,
            remaining_s=max(0.0, length - elapsed),
            phase_s=length,
            session_elapsed_s=session,
            session_total_s=self.session_total,
            beat=(elapsed / cadence) % 1.0 if in_area else 0.0,
            strokes=int(elapsed // cadence) if in_area else 0,
            next_step=self.plan[self.index + 1] if self.index + 1 < len(self.plan) else None,
            paused=self.pause_start is not None,
            help_shown=self.help_shown,
        )

    # -- the loop -----------------------------------------------------------

    def run(self) -> EndedBy:
        self.t0 = self.clock.monotonic()
        try:
            for index in range(len(self.plan)):
                self.index = index
                if index and self.transition > 0:
                    self.phase = "transition"
                    if self.bell:
                        self.view.bell()
                    self.view.transition(self._state(self.clock.monotonic()))
                    self._run_phase()
                elif index and self.bell:
                    self.view.bell()
                self.phase = "area"
                self.view.step_started(self._state(self.clock.monotonic()))
                done_early = self._run_phase()
                self._record(self.clock.monotonic(), done_early)
            if self.plan and self.bell:
                self.view.bell()
            return "finished"
        except _Quit:
            self._record_unfinished(self.clock.monotonic())
            return "quit"
        except KeyboardInterrupt:
            self._record_unfinished(self.clock.monotonic())
            return "interrupted"

    def _run_phase(self) -> float | None:
        """Wait out the current phase, handling keys.

        Returns None when it ran to its deadline, or the real seconds done
        when `n` ended it early.
        """
        next_tick = self.clock.monotonic()
        while True:
            now = self.clock.monotonic()
            if self.pause_start is None and now >= self._deadline():
                return None
            if now >= next_tick:
                self.view.tick(self._state(now))
                next_tick += self.tick_s
                if next_tick <= now:
                    next_tick = now + self.tick_s
                # Drawing takes time: wait from when it finished, not from before it.
                drawn = self.clock.monotonic()
                # Stopped (Ctrl-Z) while drawing the live screen: not treatment time either.
                self._absorb_stall(drawn - now)
                now = drawn
            wait = next_tick - now
            if self.pause_start is None:
                wait = min(wait, self._deadline() - now)
            wait = max(0.0, wait)
            key = self.keys.wait_key(wait)
            after = self.clock.monotonic()
            self._absorb_stall(after - (now + wait))
            if key is not None:
                done = self._handle(key.lower(), after)
                if done is not None:
                    return done

    def _absorb_stall(self, overrun: float) -> None:
        """Real seconds the program lost (stopped with Ctrl-Z, a hung machine) beyond
        *stall_s* count as a pause: deadlines move, no area is ticked off unseen."""
        if self.pause_start is None and overrun > self.stall_s:
            self.shift += overrun
            self.paused_total += overrun

    def _handle(self, key: str, now: float) -> float | None:
        """React to one key. For `n`: end the phase now, returning its real seconds done."""
        if key in PAUSE_KEYS:
            self._toggle_pause(now)
            self.view.paused(self._state(now))
        elif key in HELP_KEYS:
            self.help_shown = not self.help_shown
            self.view.help(self._state(now))
        elif key in NEXT_KEYS:
            if self.pause_start is not None:
                self._toggle_pause(now)
            start, end = self._window()
            done = self._elapsed(now)
            self.shift -= (end - start) - done
            return done
        elif key in QUIT_KEYS:
            was_paused = self.pause_start is not None
            if not was_paused:
                self.pause_start = now
            if self.confirm_quit():
                raise _Quit
            if not was_paused:
                self._toggle_pause(self.clock.monotonic())
            self.view.tick(self._state(self.clock.monotonic()))
        return None

    def _toggle_pause(self, now: float) -> None:
        if self.pause_start is None:
            self.pause_start = now
        else:
            paused_for = max(0.0, now - self.pause_start)
            self.shift += paused_for
            self.paused_total += paused_for
            self.pause_start = None

    # -- results ------------------------------------------------------------

    def _record(self, now: float, done_early: float | None) -> None:
        step = self.plan[self.index]
        actual = step.planned_s if done_early is None else round(done_early / self.scale)
        status: Status
        if actual >= step.planned_s:
            status = "done"
        elif actual > 0:
            status = "partial"
        else:
            status = "skipped"
        result = StepResult(step.side, step.area.name, step.planned_s, actual, status)
        self.results[self.index] = result
        self.view.step_ended(self._state(now), result)

    def _record_unfinished(self, now: float) -> None:
        """Quit or Ctrl-C: keep what was done of the current area."""
        if self.pause_start is not None:
            self._toggle_pause(now)
        if self.phase != "area" or not self.plan:
            return
        step = self.plan[self.index]
        actual = round(self._elapsed(now) / self.scale)
        if actual > 0:
            self.results[self.index] = StepResult(
                step.side,
                step.area.name,
                step.planned_s,
                min(actual, step.planned_s),
                "done" if actual >= step.planned_s else "partial",
            )

    def result(self, ended_by: EndedBy) -> RunResult:
        return RunResult(
            steps=list(self.results),
            ended_by=ended_by,
            planned_s=sum(step.planned_s for step in self.plan),
            actual_s=sum(result.actual_s for result in self.results),
            paused_s=round(self.paused_total / self.scale),
        )
