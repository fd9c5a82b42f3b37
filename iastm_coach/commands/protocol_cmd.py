"""`iastm-coach protocol ...`: the protocol library and files from a physio."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from iastm_coach.commands import protocol_keys_cmd as keys
from iastm_coach.commands.common import JsonFlag, complete_region, say
from iastm_coach.errors import EXIT_DATA

protocol_app = typer.Typer(
    help="List, show, validate, write and install protocol files.", no_args_is_help=True
)


JSON_VERSION = 1  # of `protocol list/show/validate --json` and `protocol schema`


@protocol_app.command("list")
def cmd_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Show every region with its protocol: built-in, or installed from your physio."""
    from iastm_coach.context import app_context
    from iastm_coach.protocols.library import load_library
    from iastm_coach.views.json_doc import emit_json, versioned
    from iastm_coach.views.protocol import library_json, library_table

    entries = load_library()
    if json_output:
        emit_json(versioned("protocols", JSON_VERSION, {"protocols": library_json(entries)}))
    else:
        app_context(ctx.obj).console().print(library_table(entries))


@protocol_app.command("show")
def cmd_show(
    ctx: typer.Context,
    reference: Annotated[
        str,
        typer.Argument(
            metavar="REGION|FILE",
            help="A region name (e.g. calf) or a protocol file.",
            autocompletion=complete_region,
        ),
    ],
    json_output: JsonFlag = False,
) -> None:
    """Show a whole protocol: who signed it, for whom, and its fingerprint."""
    from iastm_coach.context import app_context
    from iastm_coach.protocols.library import load_reference
    from iastm_coach.views.json_doc import emit_json, versioned
    from iastm_coach.views.protocol import protocol_json, protocol_view

    loaded = load_reference(reference)
    if json_output:
        emit_json(versioned("protocol_show", JSON_VERSION, protocol_json(loaded)))
    else:
        app_context(ctx.obj).console().print(protocol_view(loaded))


@protocol_app.command("validate")
def cmd_validate(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Protocol files to check.")],
    json_output: JsonFlag = False,
) -> None:
    """Check protocol files; list every problem and warning. Exit 0 if all are valid, 4 if not."""
    from iastm_coach.context import app_context
    from iastm_coach.errors import DataFileError
    from iastm_coach.protocols.library import load_checked
    from iastm_coach.views.ui import show_error

    app = app_context(ctx.obj)
    today = app.clock.now().date()
    failed = 0
    results: list[dict[str, object]] = []
    for path in files:
        try:
            loaded = load_checked(path)
        except DataFileError as error:
            failed += 1
            results.append(
                {
                    "file": str(path),
                    "valid": False,
                    "error": error.message,
                    "problems": error.problems,
                }
            )
            if not json_output:
                show_error(error)
            continue
        warnings = loaded.warnings(today)
        results.append(
            {
                "file": str(path),
                "valid": True,
                "region": loaded.protocol.region,
                "custom_region": loaded.protocol.custom_region,
                "fingerprint": loaded.fingerprint,
                "signature": loaded.signature.state,
                "signed_by": loaded.signature.signer or None,
                "warnings": warnings,
            }
        )
        if not json_output:
            custom = ", custom region" if loaded.protocol.custom_region else ""
            say(
                app,
                f"{path}: valid ({loaded.protocol.region}{custom}, "
                f"{loaded.signature.describe()}, fingerprint {loaded.short_fingerprint})",
            )
            for warning in warnings:
                say(app, f"  {path}: warning: {warning}", "yellow")
    if json_output:
        from iastm_coach.views.json_doc import emit_json, versioned

        emit_json(versioned("validate", JSON_VERSION, {"files": results}))
    if failed:
        raise typer.Exit(EXIT_DATA)


@protocol_app.command("new")
def cmd_new(
    ctx: typer.Context,
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
    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.paths import write_private_file
    from iastm_coach.protocols.library import load_builtin, region_index
    from iastm_coach.protocols.template import IssuedFields, render_protocol_template

    app = app_context(ctx.obj)
    if out.exists() and not force:
        raise UsageError(f"{out} already exists", hint="Choose another --out or add --force.")
    base = load_builtin(region_index().resolve(region))
    issued = IssuedFields(
        author=author,
        clinic=clinic,
        patient=patient,
        issued_on=app.clock.now().date(),
        review_by=review_by.date() if review_by else None,
    )
    text = render_protocol_template(base.protocol, issued)
    write_private_file(out, text, overwrite=force)  # it may name a patient
    say(app, f"Wrote {out}. Edit it, then check it with: iastm-coach protocol validate {out}")


@protocol_app.command("install")
def cmd_install(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A protocol file from your physio.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an installed one (kept as a backup).")
    ] = False,
) -> None:
    """Validate a protocol file and use it instead of the built-in for its region."""
    from iastm_coach.context import app_context
    from iastm_coach.protocols.library import check_installable, install
    from iastm_coach.session.issuer import confirm_patient, provenance_lines
    from iastm_coach.views.shown import show

    app = app_context(ctx.obj)
    now = app.clock.now()
    checked = check_installable(file)
    show(*provenance_lines(checked))
    for note in checked.notes_for_patient(now.date()):
        say(app, f"Note: {note}", "yellow")
    confirm_patient(checked, app.talk(), doing="protocol not installed")
    result = install(file, replace=replace, now=now)
    say(
        app,
        f"Installed {result.loaded.protocol.title} for region '{result.loaded.protocol.region}' "
        f"({result.loaded.origin()}, fingerprint {result.loaded.short_fingerprint}).",
    )
    if result.backup:
        say(app, f"The previous protocol was kept as {result.backup}.")


@protocol_app.command("schema")
def cmd_schema() -> None:
    """Print the JSON Schema of the protocol format (for editor completion)."""
    from iastm_coach.protocols.files import protocol_json_schema
    from iastm_coach.views.json_doc import emit_json, versioned

    emit_json(versioned("schema", JSON_VERSION, protocol_json_schema()))


# The clinician's key and the patient's trusted keys live in their own module.
protocol_app.command("keygen")(keys.cmd_keygen)
protocol_app.command("sign")(keys.cmd_sign)
protocol_app.command("trust")(keys.cmd_trust)
protocol_app.command("untrust")(keys.cmd_untrust)
protocol_app.command("keys")(keys.cmd_keys)
