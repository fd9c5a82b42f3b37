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

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

from iastm_coach.clock import Clock
from iastm_coach.protocols.model import Area, TreatmentProtocol
from iastm_coach.vocabulary import RECORDED_SIDES, Side, place_phrase

Status = Literal["done", "skipped", "partial", "not-started"]
EndedBy = Literal["finished", "quit", "interrupted"]
Phase = Literal["area", "transition"]

SIDES: tuple[Side, ...] = RECORDED_SIDES
MIN_STEP_SECONDS = 5
DEFAULT_TICK_S = 0.2
PAUSE_KEYS = frozenset({" ", "p"})
NEXT_KEYS = frozenset({"n"})
QUIT_KEYS = frozenset({"q"})
HELP_KEYS = frozenset({"?", "h"})
CONFIRM_YES = frozenset({"y", "q"})
CONFIRM_NO = frozenset({"n", "\x1b", " "})


REASSESS_S = 5.0  # a short pause to look at the skin and ask about discomfort (§8e)
REASSESS_WORDS = "Pause: look at the skin. How is the discomfort?"
SKIN_CHECK_MAX_STROKES = 15  # clinical reference §8e: a visual skin check every 10-15 strokes
PAIN_CUE = re.compile(r"\b\d+\s*/\s*10\b|\bout of 10\b")  # "discomfort ... 5/10"


@dataclass(frozen=True)
class Step:
    """One area on one side, with its planned (dose-scaled) time, and how to work it
    today: the pressure, cues and danger zones after today's adjustments (empty: the
    area's own)."""

    side: Side
    area: Area
    seconds: float  # protocol seconds after dose scaling: whole seconds, at least 5
    number: int  # 1-based position in the whole plan
    total: int
    region: str = ""  # the protocol's region, e.g. "calf", for labels
    pressure: str = ""
    cues: tuple[str, ...] = field(default=())
    avoid: tuple[str, ...] = field(default=())
    reassess_every_s: float = 0.0  # strokes between reassess pauses; 0: none

    @property
    def reassess_at(self) -> tuple[float, ...]:
        """Stroke seconds into the area where a reassess pause begins: every
        `reassess_every_s`, while at least MIN_STEP_SECONDS of strokes are left after it
        (the end of the area is a break anyway)."""
        every = self.reassess_every_s
        if every <= 0:
            return ()
        found: list[float] = []
        at = every
        while at <= self.seconds - MIN_STEP_SECONDS:
            found.append(at)
            at += every
        return tuple(found)

    @property
    def window_s(self) -> float:
        """The area's length on the clock: strokes plus its reassess pauses."""
        return self.seconds + len(self.reassess_at) * REASSESS_S

    def strokes_at(self, window: float) -> tuple[float, float]:
        """(stroke seconds done, seconds left of a reassess pause or 0) at *window*
        seconds into the area (user pauses excluded)."""
        for number, at in enumerate(self.reassess_at):
            start = at + number * REASSESS_S  # where this pause begins on the clock
            if window < start:
                return window - number * REASSESS_S, 0.0
            if window < start + REASSESS_S:
                return at, start + REASSESS_S - window
        return min(self.seconds, window - len(self.reassess_at) * REASSESS_S), 0.0

    def __post_init__(self) -> None:
        if not self.pressure:
            object.__setattr__(self, "pressure", self.area.pressure)
        if not self.cues:
            object.__setattr__(self, "cues", tuple(self.area.cues))
        if not self.avoid:
            object.__setattr__(self, "avoid", tuple(self.area.avoid))

    @property
    def planned_s(self) -> int:
        return int(self.seconds)

    @property
    def place(self) -> str:
        """Where on the body: "left calf", "calf" (unsided), or "left"."""
        if self.side == "none" and not self.region:
            return "both sides"
        return place_phrase(self.region, self.side).strip()


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
    stop_reason: str = ""  # an area-break check ended it (redflags.STOP_REASONS id)

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
    reassess_left_s: float = 0.0  # > 0: in a reassess pause, this long to go

    @property
    def reassessing(self) -> bool:
        return self.reassess_left_s > 0

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

    def check_prompt(self, asking: bool) -> None:
        """Show (True) or clear (False) the one-key discomfort check at an area break."""
        ...

    def bell(self) -> None: ...

    def close(self) -> None:
        """Leave the screen as it was (idempotent)."""
        ...

    def finish(self, result: RunResult) -> None:
        """After close: a one-line summary of the timed part."""
        ...


PRESSURES = ("light", "moderate", "firm")


def capped(pressure: str, cap: str | None) -> str:
    """*pressure* under *cap* ("moderate" under a light cap is "light")."""
    if cap is None or PRESSURES.index(pressure) <= PRESSURES.index(cap):
        return pressure
    return cap


def reassess_strokes(area: Area, *, skin_check: bool = False) -> int:
    """Strokes between reassess pauses: the area's, at most 15 with a skin check (§8e)."""
    if skin_check:
        return min(area.strokes_before_reassess, SKIN_CHECK_MAX_STROKES)
    return area.strokes_before_reassess


def skin_check_cue(area: Area) -> str:
    every = reassess_strokes(area, skin_check=True)
    return f"Look at the skin every {every} strokes; stop at any bruising or broken skin"


def todays_cues(area: Area, *, skin_check: bool) -> tuple[str, ...]:
    """The area's cues; with *skin_check*, the look-at-the-skin cue replaces the
    "discomfort 5/10" ones (a brake people with reduced feeling cannot use, §8e)."""
    if not skin_check:
        return tuple(area.cues)
    kept = [cue for cue in area.cues if not PAIN_CUE.search(cue)]
    return (skin_check_cue(area), *kept)


def build_plan(
    protocol: TreatmentProtocol,
    sides: Sequence[Side],
    *,
    dose_percent: int = 100,
    skip: Collection[str] = (),
    pressure_cap: str | None = None,
    skin_check: bool = False,
    avoid: Sequence[str] = (),
    reassess: bool = False,
) -> list[Step]:
    """All areas for the first side, then all for the second.

    Times are scaled by *dose_percent* (a physio's scale-back rule), rounded to
    whole seconds and never below 5 s. Areas named in *skip* (the user works
    around a local contraindication) are left out. Today's adjustments after a
    cleared caution (`safety/adjust.py`): every area's pressure at most
    *pressure_cap*, the skin-check cue instead of the discomfort cue with
    *skin_check*, and *avoid* added to every area's danger zones. With
    *reassess*, each area pauses for REASSESS_S every `strokes_before_reassess`
    strokes (15 at most with *skin_check*) to look at the skin and ask about
    discomfort, as the cues and the get-ready screen say.
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
                    pressure=capped(area.pressure, pressure_cap),
                    cues=todays_cues(area, skin_check=skin_check),
                    avoid=(*area.avoid, *avoid),
                    reassess_every_s=(
                        reassess_strokes(area, skin_check=skin_check) * area.cadence_s
                        if reassess
                        else 0.0
                    ),
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


AreaCheck = Callable[[Step], str]  # the area just done -> a stop reason id, or "" to go on
QUIT_AT_BREAK: Final = "quit"  # what an AreaCheck returns when the person quit at the break


class _Quit(Exception):
    def __init__(self, reason: str = "", *, at_break: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.at_break = at_break  # q at an area break: the area before it is recorded


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
    check_between: AreaCheck | None = None,
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

    *check_between*, when given, is asked after each area but the last (the clock
    paused): a stop reason ends the run as "quit" with `stop_reason` set.
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
        check_between=check_between,
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
        check_between: AreaCheck | None = None,
    ) -> None:
        self.plan = plan
        self.check_between = check_between
        self.stop_reason = ""
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
        self.durations = [step.window_s * scale for step in plan]  # reassess pauses included
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
        self.announced = 0  # reassess pauses of the current area rung in

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
        reassess_left = 0.0
        if in_area:
            elapsed, reassess_left = step.strokes_at(self._elapsed(now) / self.scale)
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
            reassess_left_s=reassess_left,
        )

    # -- the loop -----------------------------------------------------------

    def run(self) -> EndedBy:
        self.t0 = self.clock.monotonic()
        try:
            for index in range(len(self.plan)):
                if index and self.check_between is not None:
                    self._check(self.plan[index - 1])
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
                self.announced = 0
                self.view.step_started(self._state(self.clock.monotonic()))
                done_early = self._run_phase()
                self._record(self.clock.monotonic(), done_early)
            if self.plan and self.bell:
                self.view.bell()
            return "finished"
        except _Quit as quit_:
            self.stop_reason = quit_.reason
            if not quit_.reason and not quit_.at_break:  # at a break: the area was recorded
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
            upcoming = self._next_reassess()
            if upcoming is not None and self.pause_start is None and now >= upcoming:
                self.announced += 1  # a reassess pause begins: ring, as between areas
                if self.bell:
                    self.view.bell()
                next_tick = now
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
                upcoming = self._next_reassess()
                if upcoming is not None:
                    wait = min(wait, upcoming - now)
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

    def _check(self, done: Step) -> None:
        """The area-break check, with the clock standing still while it is answered (the
        time moves the deadlines but is not a pause the person made: not in `paused_s`)."""
        assert self.check_between is not None
        asked = self.clock.monotonic()
        reason = self.check_between(done)
        self.shift += max(0.0, self.clock.monotonic() - asked)
        if reason == QUIT_AT_BREAK:  # no symptom said: the session asks why
            raise _Quit(at_break=True)
        if reason:
            raise _Quit(reason)

    def _next_reassess(self) -> float | None:
        """When the current area's next reassess pause begins (monotonic), if any."""
        if self.phase != "area":
            return None
        step = self.plan[self.index]
        starts = step.reassess_at
        if self.announced >= len(starts):
            return None
        offset = (starts[self.announced] + self.announced * REASSESS_S) * self.scale
        return self.t0 + self.shift + self.area_start[self.index] + offset

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
        if done_early is None:
            actual = step.planned_s
        else:
            actual = round(step.strokes_at(done_early / self.scale)[0])
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
        actual = round(step.strokes_at(self._elapsed(now) / self.scale)[0])
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
            stop_reason=self.stop_reason,
        )
