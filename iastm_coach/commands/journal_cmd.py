"""`iastm-coach journal ...`: where the journal is, and keeping it healthy."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from iastm_coach.commands.common import JsonFlag

journal_app = typer.Typer(
    help="Where your journal is, and checking or repairing it after a crash or a hand edit.",
    no_args_is_help=True,
)


@contextmanager
def _permission_warnings_as_lines() -> Iterator[None]:
    """Show journal permission warnings as plain lines on stderr, not Python warnings."""
    from iastm_coach.journal.files import JournalPermissionWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", JournalPermissionWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, JournalPermissionWarning):
            _warn(str(warning.message))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def _warn(message: str) -> None:
    """One warning line on stderr, escaped as history escapes notes: the message can quote a
    hand-edited file (a field name, a file name) and must not reach the terminal raw."""
    from iastm_coach.safe_text import strip_control_characters

    typer.echo(f"Warning: {strip_control_characters(message)}", err=True)


@journal_app.command("path")
def cmd_path(ctx: typer.Context) -> None:
    """Print the journal directory (one TOML file per month inside it)."""
    from iastm_coach.context import app_context

    typer.echo(str(app_context(ctx.obj).journal_dir))


@journal_app.command("check")
def cmd_check(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """List every problem in the journal files; exit 4 if any file is damaged."""
    from iastm_coach.context import app_context
    from iastm_coach.errors import DataFileError

    app = app_context(ctx.obj)
    journal = app.journal()
    report = journal.check_report(now=app.clock.now())
    if as_json:
        from iastm_coach.journal.check import check_dict
        from iastm_coach.views.json_doc import emit_json

        emit_json(check_dict(report))
        if report.errors:
            count = len(report.errors)
            raise DataFileError(
                f"The journal has {count} problem{'s' * (count != 1)} "
                f"({report.records} readable record{'s' * (report.records != 1)}); "
                "they are listed in the JSON on standard output.",
                hint="Fix them by hand in a text editor, or run `iastm-coach journal repair`.",
            )
        return
    for line in dict.fromkeys(str(problem) for problem in report.warnings):
        _warn(line)
    errors = report.errors
    if errors:
        count = len(errors)
        raise DataFileError(
            f"The journal has {count} problem{'s' * (count != 1)} "
            f"({report.records} readable record{'s' * (report.records != 1)}):",
            problems=list(dict.fromkeys(str(problem) for problem in errors)),
            hint=(
                "Fix them by hand in a text editor, or run `iastm-coach journal repair`: it "
                "moves damaged text, and records with "
                "values iastm-coach cannot use, into a side file next to its month file and "
                "keeps everything else. A missing field can only be added by hand. A record "
                "written by a newer iastm-coach needs an upgrade instead."
            ),
        )
    files = f"{report.files} file{'s' * (report.files != 1)}"
    typer.echo(f"Journal OK: {report.records} record{'s' * (report.records != 1)} in {files}.")
    if report.integrity is not None and report.integrity.status != "empty":
        typer.echo(f"Integrity {report.integrity.text}.")


@journal_app.command("repair")
def cmd_repair(
    ctx: typer.Context,
    accept_breaks: Annotated[
        bool,
        typer.Option(
            "--accept-breaks",
            help="Note the hash chain's breaks as looked at (they stay in check and the "
            "report, as warnings).",
        ),
    ] = False,
) -> None:
    """Move damaged text into side files (nothing is deleted) and fix loose permissions."""
    from iastm_coach.context import app_context
    from iastm_coach.errors import DataFileError

    app = app_context(ctx.obj)
    journal = app.journal()
    with _permission_warnings_as_lines():
        written = journal.repair(now=app.clock.now())
    fixed = journal.fix_permissions()
    for path in written:
        typer.echo(f"Moved damaged text to {path}")
    for path in fixed:
        typer.echo(f"Made private again (owner only): {path}")
    accepted = journal.accept_breaks(now=app.clock.now()) if accept_breaks else []
    for item in accepted:
        where = f"{item.file}, line {item.line}" if item.line else item.file
        typer.echo(f"Accepted, as looked at: {where}: {item.message}")
    remaining = journal.check_report(now=app.clock.now()).errors
    if remaining:
        chain = any(problem.message.startswith("integrity: ") for problem in remaining)
        raise DataFileError(
            "Some problems cannot be repaired automatically:",
            problems=[str(problem) for problem in remaining],
            hint="Fix them by hand in a text editor: each line number says where."
            + (
                " A break in the hash chain (integrity:) cannot be undone: if you know why "
                "(you changed or deleted a record yourself, or restored an older copy), "
                "`iastm-coach journal repair --accept-breaks` notes that you looked; it "
                "stays listed by `journal check` and in the report."
                if chain
                else ""
            ),
        )
    if written:
        typer.echo(
            "The journal is readable again. Look through the side "
            f"file{'s' * (len(written) != 1)}: copy back by hand anything you want to keep."
        )
    elif not fixed and not accepted:
        typer.echo("Nothing to repair: the journal is healthy.")
