"""The command line: parse arguments, call one library function, render the result.

Only typer and the stdlib are imported here at module level; every command
imports what it needs when it runs, which keeps `--help` and `--version` fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from iastm_coach import __version__
from iastm_coach.cli_style import PLAIN_HELP, CoachContext, reworded, short_help, uniform
from iastm_coach.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, CoachError

DEBUG_ENV = "IASTM_COACH_DEBUG"


@dataclass(frozen=True)
class LazyCommand:
    """A command imported only when it runs (or when its own help is asked for)."""

    module: str
    attribute: str  # a command function, or a Typer app with sub-commands
    summary: str  # for `iastm-coach --help`; tests/test_docs.py keeps it equal to the real one


# In the order `--help` lists them. Loading every command module and building
# its parameters costs more than Typer's own import, so `--help` and `--version`
# read only this table (start-up target: benchmarks/startup.py).
COMMANDS: dict[str, LazyCommand] = {
    "today": LazyCommand(
        "iastm_coach.commands.today_cmd",
        "cmd_today",
        "Today's plan: which regions are due, resting (until when), on hold (and why), which "
        "check-ins are due, and the command that starts the next session.",
    ),
    "session": LazyCommand(
        "iastm_coach.commands.session_cmd",
        "cmd_session",
        "Run a guided session: safety check, timed strokes, aftercare, journal.",
    ),
    "history": LazyCommand(
        "iastm_coach.commands.history_cmd",
        "cmd_history",
        "Review past sessions, newest first: soreness at 24 h and 48 h, exercise sets, red flags.",
    ),
    "schedule": LazyCommand(
        "iastm_coach.commands.schedule_cmd",
        "cmd_schedule",
        "Planned sessions and check-ins ahead, or a calendar of them with reminders.",
    ),
    "checkin": LazyCommand(
        "iastm_coach.commands.checkin_cmd",
        "cmd_checkin",
        "Follow up on recent sessions: soreness and warning signs at 24 h, 48 h and later.",
    ),
    "log": LazyCommand(
        "iastm_coach.commands.log_cmd",
        "cmd_log",
        "Record a session done without the timer (at a clinic, say).",
    ),
    "exercises": LazyCommand(
        "iastm_coach.commands.exercises_cmd",
        "cmd_exercises",
        "Do a region's exercises on a day without scraping, with a guide; they count in the "
        "physio's report.",
    ),
    "trend": LazyCommand(
        "iastm_coach.commands.trend_cmd",
        "cmd_trend",
        "Soreness, sessions per week against your protocol, and your outcome measures.",
    ),
    "report": LazyCommand(
        "iastm_coach.commands.report_cmd",
        "cmd_report",
        "A report for your physio: deviations, protocols, adherence and exercises, outcome "
        "measures, soreness, red flags, screening, notes.",
    ),
    "measure": LazyCommand(
        "iastm_coach.commands.measure_cmd",
        "cmd_measure",
        "Record a region's outcome test, such as the knee-to-wall lunge for the calf.",
    ),
    "learn": LazyCommand(
        "iastm_coach.commands.learn_cmd",
        "cmd_learn",
        "Read short pages: what IASTM is, what is normal afterwards, the evidence and its limits.",
    ),
    "hold": LazyCommand(
        "iastm_coach.commands.hold_cmd",
        "hold_app",
        "Red-flag holds: list them, or lift one.",
    ),
    "protocol": LazyCommand(
        "iastm_coach.commands.protocol_cmd",
        "protocol_app",
        "List, show, validate, write and install protocol files.",
    ),
    "journal": LazyCommand(
        "iastm_coach.commands.journal_cmd",
        "journal_app",
        "Where your journal is, and checking or repairing it after a crash or a hand edit.",
    ),
}


def load_command(name: str) -> Any:
    """Import a command's module and build its Click command (the same help style,
    metavars and `--plain` for every command, however its module declares it)."""
    from importlib import import_module

    spec = COMMANDS[name]
    target = getattr(import_module(spec.module), spec.attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_command(target)
    else:
        single = typer.Typer(
            rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False
        )
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    from iastm_coach.option_values import lighten

    lighten(command)  # plain values without importing pydantic (start-up time)
    uniform(command)
    return command


def output_closed() -> NoReturn:
    """The reader went away (`iastm-coach history | head -1`): stop quietly.

    Exit 0, as `git log | head` ends for the shell: the reader has what it wanted (the
    history listing ends the same way, views/output.py). No message, and no second
    error when Python flushes standard output at exit.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # a standard output without a file descriptor (tests): nothing left to flush
    raise typer.Exit(EXIT_OK)


@contextmanager
def closed_output_ends_quietly() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        output_closed()


class CoachGroup(TyperGroup):
    """The root command: commands load lazily, and this is the single exit point where
    CoachErrors become a message and their exit code."""

    context_class = CoachContext

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with closed_output_ends_quietly():  # `iastm-coach --help | head -1`
            return super().make_context(*args, **kwargs)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from iastm_coach.option_values import lighten
        from iastm_coach.typed import repair

        lighten(self, recurse=False)  # the root's own options (start-up time)
        # An argument typed in a Latin-1 terminal arrives with lone surrogates, which no
        # journal can store: decode those bytes here, once, for every command.
        return list(super().parse_args(ctx, [repair(arg) for arg in args]))

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Click's, with "Did you mean 'session'?" for a mistyped command: Typer suggests
        only from the commands already loaded, and ours load lazily from COMMANDS."""
        try:
            return super().resolve_command(ctx, args)
        except Exception as error:  # Click's UsageError (vendored by some Typer versions)
            message = getattr(error, "message", None)
            if args and isinstance(message, str) and "Did you mean" not in message:
                import difflib

                close = difflib.get_close_matches(args[0], list(COMMANDS), n=3)
                if close:
                    names = " or ".join(f"'{name}'" for name in close)
                    error.message = f"{message.rstrip('.')}. Did you mean {names}?"  # type: ignore[attr-defined]
            raise

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, short_help(spec.summary, limit)) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        typed = list(ctx.args)  # what followed the command's name, for error messages
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            output_closed()
        except typer.BadParameter as error:
            if type(error) is not typer.BadParameter:
                raise  # ours already, or a missing argument (Click's wording is fine there)
            raise reworded(error, typed) from None
        except CoachError as error:
            from iastm_coach.views import ui

            with contextlib.suppress(OSError):  # `2>&1 | tee log`, tee gone: the code stays
                ui.show_error(error)
            raise typer.Exit(error.exit_code) from None
        except (KeyboardInterrupt, typer.Abort):
            # Abort is how a Typer prompt reports Ctrl-C (or Ctrl-D) to us.
            from iastm_coach.views import ui

            with contextlib.suppress(OSError):
                ui.show_error_text("Interrupted.")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except typer.Exit:
            raise
        except Exception as error:
            if os.environ.get(DEBUG_ENV) or getattr(error, "__module__", "").startswith("click"):
                raise
            if type(error).__module__.startswith("typer"):
                raise
            from iastm_coach.views import ui

            ui.show_bug(error)
            raise typer.Exit(EXIT_BUG) from None


app = typer.Typer(
    cls=CoachGroup,
    name="iastm-coach",
    help="A coach for safe home IASTM (scraping) self-treatment. It guides; it does not diagnose.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"iastm-coach {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks for unexpected errors.")
    ] = False,
    plain: Annotated[
        bool,
        typer.Option("--plain", help=PLAIN_HELP),
    ] = False,
) -> None:
    """iastm-coach: timed, screened IASTM self-treatment with a private journal.

    Run a command below; `iastm-coach session calf` starts a guided session.
    With no command, shows today's plan (`iastm-coach today`).
    """
    if debug:
        os.environ[DEBUG_ENV] = "1"
    _plain_warnings()
    if plain:
        from iastm_coach.views import ui

        ui.set_plain(True)
    from iastm_coach.context import app_context

    ctx.obj = app_context(ctx.obj)  # one context for the whole run, inherited by the command
    from iastm_coach.paths import use_home_for_this_run

    # Whatever finds the data directory itself (the protocol library) finds the context's.
    ctx.call_on_close(use_home_for_this_run(ctx.obj.home))
    if ctx.invoked_subcommand is None:
        from iastm_coach.commands.today_cmd import run_today

        run_today(ctx.obj, json_output=False)


def _plain_warnings() -> None:
    """Our own warnings (e.g. a journal readable by others) as one plain line on stderr."""
    import warnings

    original = warnings.showwarning

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        if category.__module__.startswith("iastm_coach"):
            from iastm_coach.views import ui

            ui.show_error_text(f"Warning: {message}")
        else:
            original(message, category, *args, **kwargs)

    warnings.showwarning = show


def main() -> None:
    """Console-script entry point."""
    from iastm_coach.encoding import use_fallbacks

    use_fallbacks(sys.stdout, sys.stderr)  # LC_ALL=C, Windows code pages: never a crash
    try:
        app(prog_name="iastm-coach")
        code: Any = 0
    except SystemExit as done:
        code = done.code
    try:
        sys.stdout.flush()  # here, not at interpreter exit, so a closed pipe can be caught
    except BrokenPipeError:
        try:
            output_closed()
        except typer.Exit as closed:
            code = closed.exit_code
    sys.exit(code)
