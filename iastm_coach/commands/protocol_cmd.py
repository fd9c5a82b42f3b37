"""`iastm-coach protocol ...`: the protocol library and files from a physio."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from iastm_coach.errors import EXIT_DATA

protocol_app = typer.Typer(
    help="List, show, validate, write and install protocol files.", no_args_is_help=True
)


def complete_region(incomplete: str) -> list[str]:
    """Shell completion for region names and aliases."""
    from iastm_coach.protocols.library import region_index

    index = region_index()
    names = list(index.regions) + sorted(index.aliases)
    return [name for name in names if name.startswith(incomplete)]


JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@protocol_app.command("list")
def cmd_list(json_output: JsonOption = False) -> None:
    """Show every region with its protocol: built-in, or installed from your physio."""
    from iastm_coach.protocols.library import load_all
    from iastm_coach.views.protocol import library_json, library_table
    from iastm_coach.views.ui import get_console

    entries = load_all()
    if json_output:
        typer.echo(dumps(library_json(entries)))
    else:
        get_console().print(library_table(entries))


@protocol_app.command("show")
def cmd_show(
    reference: Annotated[
        str,
        typer.Argument(
            metavar="REGION|FILE",
            help="A region name (e.g. calf) or a protocol file.",
            autocompletion=complete_region,
        ),
    ],
    json_output: JsonOption = False,
) -> None:
    """Show a whole protocol, with its fingerprint to compare with your physio's copy."""
    from iastm_coach.protocols.library import load_reference
    from iastm_coach.views.protocol import protocol_json, protocol_view
    from iastm_coach.views.ui import get_console

    loaded = load_reference(reference)
    if json_output:
        typer.echo(dumps(protocol_json(loaded)))
    else:
        get_console().print(protocol_view(loaded))


@protocol_app.command("validate")
def cmd_validate(
    files: Annotated[list[Path], typer.Argument(help="Protocol files to check.")],
) -> None:
    """Check protocol files; list every problem. Exit 0 if all are valid, 4 if not."""
    from iastm_coach.errors import DataFileError
    from iastm_coach.protocols.files import load_protocol_file
    from iastm_coach.views.ui import say_literal, show_error

    failed = 0
    for path in files:
        try:
            loaded = load_protocol_file(path)
        except DataFileError as error:
            failed += 1
            show_error(error)
        else:
            say_literal(
                f"{path}: valid ({loaded.protocol.region}, fingerprint {loaded.short_fingerprint})"
            )
    if failed:
        raise typer.Exit(EXIT_DATA)


@protocol_app.command("new")
def cmd_new(
    region: Annotated[
        str,
        typer.Argument(
            help="Start from this region's built-in protocol.", autocompletion=complete_region
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the new file.")],
    patient: Annotated[str | None, typer.Option(help="Who the protocol is for.")] = None,
    author: Annotated[str | None, typer.Option(help="Your name.")] = None,
    clinic: Annotated[str | None, typer.Option(help="Your clinic.")] = None,
    review_by: Annotated[
        dt.datetime | None,
        typer.Option("--review-by", formats=["%Y-%m-%d"], help="Review date, YYYY-MM-DD."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write a commented protocol file for a physio to adapt, based on the built-in."""
    from iastm_coach.errors import UsageError
    from iastm_coach.paths import write_private_file
    from iastm_coach.protocols.library import load_builtin, region_index
    from iastm_coach.protocols.template import IssuedFields, render_protocol_template
    from iastm_coach.views.ui import say_literal

    if out.exists() and not force:
        raise UsageError(f"{out} already exists", hint="Choose another --out or add --force.")
    base = load_builtin(region_index().resolve(region))
    issued = IssuedFields(
        author=author,
        clinic=clinic,
        patient=patient,
        issued_on=dt.date.today(),
        review_by=review_by.date() if review_by else None,
    )
    text = render_protocol_template(base.protocol, issued)
    write_private_file(out, text, overwrite=force)  # it may name a patient
    say_literal(f"Wrote {out}. Edit it, then check it with: iastm-coach protocol validate {out}")


@protocol_app.command("install")
def cmd_install(
    file: Annotated[Path, typer.Argument(help="A protocol file from your physio.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an installed one (kept as a backup).")
    ] = False,
) -> None:
    """Validate a protocol file and use it instead of the built-in for its region."""
    from iastm_coach.clock import SystemClock
    from iastm_coach.protocols.library import install
    from iastm_coach.views.ui import say_literal

    result = install(file, replace=replace, now=SystemClock().now())
    say_literal(
        f"Installed {result.loaded.protocol.title} for region '{result.loaded.protocol.region}' "
        f"({result.loaded.origin()}, fingerprint {result.loaded.short_fingerprint})."
    )
    if result.backup:
        say_literal(f"The previous protocol was kept as {result.backup}.")


@protocol_app.command("schema")
def cmd_schema() -> None:
    """Print the JSON Schema of the protocol format (for editor completion)."""
    from iastm_coach.protocols.files import protocol_json_schema

    typer.echo(dumps(protocol_json_schema()))


def dumps(value: object) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
