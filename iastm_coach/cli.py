"""The command line: parse arguments, call one library function, render the result.

Only typer and the stdlib are imported here at module level; every command
imports what it needs when it runs, which keeps `--help` and `--version` fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from iastm_coach import __version__
from iastm_coach.errors import EXIT_BUG, EXIT_INTERRUPTED, CoachError

DEBUG_ENV = "IASTM_COACH_DEBUG"


class CoachGroup(TyperGroup):
    """The single exit point: CoachErrors become a message and their exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CoachError as error:
            from iastm_coach import ui

            ui.show_error(error)
            raise typer.Exit(error.exit_code) from None
        except (KeyboardInterrupt, typer.Abort):
            # Abort is how a Typer prompt reports Ctrl-C (or Ctrl-D) to us.
            from iastm_coach import ui

            ui.show_error_text("Interrupted.")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except typer.Exit:
            raise
        except Exception as error:
            if os.environ.get(DEBUG_ENV) or getattr(error, "__module__", "").startswith("click"):
                raise
            if type(error).__module__.startswith("typer"):
                raise
            from iastm_coach import ui

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
        typer.Option("--plain", help="No colour and no live screen, for every command."),
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
        from iastm_coach import ui

        ui.set_plain(True)
    if ctx.invoked_subcommand is None:
        from iastm_coach.commands.today_cmd import run_today

        run_today(ctx.obj, json_output=False)


def _plain_warnings() -> None:
    """Our own warnings (e.g. a journal readable by others) as one plain line on stderr."""
    import warnings

    original = warnings.showwarning

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        if category.__module__.startswith("iastm_coach"):
            from iastm_coach import ui

            ui.show_error_text(f"Warning: {message}")
        else:
            original(message, category, *args, **kwargs)

    warnings.showwarning = show


def _register() -> None:
    """Attach the command modules (each is cheap to import), in the order --help lists them."""
    from iastm_coach.commands import (
        history_cmd,
        journal_cmd,
        learn_cmd,
        measure_cmd,
        protocol_cmd,
        session_cmd,
        today_cmd,
    )

    app.command("today")(today_cmd.cmd_today)
    app.command("session")(session_cmd.cmd_session)
    history_cmd.register(app)
    app.command("measure")(measure_cmd.cmd_measure)
    app.command("learn")(learn_cmd.cmd_learn)
    app.add_typer(protocol_cmd.protocol_app, name="protocol")
    app.add_typer(journal_cmd.journal_app, name="journal")


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="iastm-coach")
    sys.exit(0)
