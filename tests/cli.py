"""Running commands in tests: through Typer's CliRunner, always at a fixed moment.

Every command gets its clock, data directory and standard input from an
`AppContext`; tests pass one with a `FakeClock`, so no command test depends on
the real time (conftest.py makes the real clock fail in tests):

    result = invoke("checkin", "ABC123", "--soreness", "3", at=NOW + timedelta(hours=26))
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import typer
from typer.testing import CliRunner, Result

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from tests.builders import AFTERCARE, ALL_CLEAR, FIRST_USE, READY
from tests.fakes import DEFAULT_START, FakeClock

NOW = DEFAULT_START  # Monday 2026-03-02 18:30 UTC: the moment every command test runs at


class FixedRunner(CliRunner):
    """A CliRunner whose commands run at `NOW` unless given their own `obj`."""

    def invoke(self, cli: Any, args: Any = None, **kwargs: Any) -> Result:
        kwargs.setdefault("obj", context_at())
        return super().invoke(cli, args, **kwargs)


runner = FixedRunner()


def context_at(
    moment: datetime = NOW, *, clock: FakeClock | None = None, stdin: IO[str] | None = None
) -> AppContext:
    """The context of one command run at *moment*, in the test's own data directory."""
    home = Path(os.environ["IASTM_COACH_HOME"])  # set for each test by conftest.py
    return AppContext(clock=clock or FakeClock(moment), home=home, stdin=stdin)


def invoke(
    *args: str,
    at: datetime = NOW,
    input: str | None = None,
    clock: FakeClock | None = None,
    stdin: IO[str] | None = None,
) -> Result:
    """Run `iastm-coach ARGS...` at *at* (or on *clock*), with *input* on standard input."""
    return runner.invoke(app, list(args), input=input, obj=context_at(at, clock=clock, stdin=stdin))


def run(*args: str, at: datetime = NOW, input: str | None = None) -> tuple[int, str, str]:
    """`invoke`, as (exit code, standard output, standard error)."""
    result = invoke(*args, at=at, input=input)
    return result.exit_code, result.stdout, result.stderr


def run_on(clock: FakeClock, args: list[str], answers: str = "") -> tuple[int, str, str]:
    """`run` on a story's own *clock* (which it moves between commands), with *answers* on
    standard input."""
    result = invoke(*args, clock=clock, input=answers)
    return result.exit_code, result.stdout, result.stderr


def first_session(clock: FakeClock, aftercare: str = AFTERCARE) -> tuple[int, str, str]:
    """A first left-calf session on *clock*, piped: the first-use questions, all clear,
    ready, then *aftercare* (the answers after the strokes)."""
    return run_on(
        clock,
        ["session", "calf", "--side", "left", "--no-bell"],
        FIRST_USE + ALL_CLEAR + READY + aftercare,
    )


def ago(hours: float, *, now: datetime = NOW) -> str:
    """A `--when` value *hours* before *now*, in local time with its offset."""
    return f"{(now - timedelta(hours=hours)).astimezone():%Y-%m-%dT%H:%M%z}"


def registered_commands() -> list[str]:
    """Every command a person can run, sub-commands as "group sub"."""
    group = typer.main.get_group(app)
    names = []
    for name in group.list_commands(None):  # type: ignore[arg-type]
        command = group.get_command(None, name)  # type: ignore[arg-type]
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    return names
