"""`iastm-coach protocol keygen / sign / trust / untrust / keys`: signed protocol files.

A physio makes a key pair once and signs each file; a patient trusts the physio's
key fingerprint once. Registered on the `protocol` group by protocol_cmd.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iastm_coach.commands.common import JsonFlag, say

NameOption = Annotated[
    str, typer.Option("--name", help='The clinician\'s name, e.g. "P. Hysio PT".')
]


def cmd_keygen(
    ctx: typer.Context,
    name: NameOption,
    force: Annotated[
        bool, typer.Option("--force", help="Replace your key (patients must trust the new one).")
    ] = False,
) -> None:
    """For physios: create your signing key once and print the fingerprint for patients."""
    from iastm_coach.context import app_context
    from iastm_coach.protocols.signing import generate_key
    from iastm_coach.protocols.trust import trust_key

    app = app_context(ctx.obj)

    pair = generate_key(name, overwrite=force)
    trust_key(pair.public_line, name, now=app.clock.now())  # your own files are yours
    say(app, f"Your signing key is ready: {pair.private_path} (private; keep a backup).")
    say(app, f"Public key: {pair.public_path}")
    say(app, "Give your patients this fingerprint (on their handout, or in a message):")
    typer.echo(f"  {pair.fingerprint}")  # never wrapped: it is copied
    say(app, "They trust it once with:")
    typer.echo(f'  iastm-coach protocol trust {pair.fingerprint} --name "{name}"')
    say(app, "Then sign each protocol file with: iastm-coach protocol sign FILE")


def cmd_sign(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The protocol file to sign (rewritten in place).")],
    key: Annotated[
        Path | None,
        typer.Option("--key", help="An unencrypted OpenSSH Ed25519 private key to use instead."),
    ] = None,
) -> None:
    """For physios: check a protocol file and add your signature to its end."""
    from iastm_coach.context import app_context
    from iastm_coach.paths import write_private_file
    from iastm_coach.protocols.files import decode_protocol_bytes, read_bounded
    from iastm_coach.protocols.library import check_bytes
    from iastm_coach.protocols.signing import load_signing_key, sign_text

    app = app_context(ctx.obj)

    signing_key = load_signing_key(key)
    text = decode_protocol_bytes(read_bounded(file), name=str(file))
    signed = sign_text(text, signing_key).encode("utf-8")
    loaded = check_bytes(signed, file)  # never sign a file that would be refused
    temporary = file.with_name(f".{file.name}.signing")
    write_private_file(temporary, signed.decode("utf-8"), overwrite=True)  # names a patient
    temporary.replace(file)
    who = loaded.signature.signer or "a key you have not trusted yourself"
    say(app, f"Signed {file} ({loaded.signature.fingerprint}, {who}).")
    for warning in loaded.warnings(app.clock.now().date()):
        say(app, f"  warning: {warning}", "yellow")
    say(
        app,
        "Send the file as it is: any change to it after signing makes it refused. "
        "To change it, edit it and sign it again.",
    )


def cmd_trust(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY-OR-FINGERPRINT",
            help="The SHA256:... fingerprint your clinician gave you, their ssh-ed25519 public "
            "key line, or their .pub file.",
        ),
    ],
    name: NameOption,
) -> None:
    """For patients: trust your clinician's key, once; their signed files then say so."""
    from iastm_coach.context import app_context
    from iastm_coach.protocols.trust import trust_key

    app = app_context(ctx.obj)

    trusted = trust_key(key, name, now=app.clock.now())
    say(app, f"Trusted {trusted.name} ({trusted.fingerprint}).")
    say(app, "Protocol files signed with this key are now shown as signed by a trusted clinician.")


def cmd_untrust(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY-OR-FINGERPRINT", help="A trusted key.")],
) -> None:
    """Stop trusting a clinician's key (a lost or replaced key)."""
    from iastm_coach.context import app_context
    from iastm_coach.protocols.trust import untrust_key

    app = app_context(ctx.obj)

    removed = untrust_key(key)
    say(app, f"No longer trusted: {removed.name} ({removed.fingerprint}).")


def cmd_keys(
    ctx: typer.Context,
    json_output: JsonFlag = False,
) -> None:
    """List your own signing key and the clinicians' keys you trust."""

    from iastm_coach.context import app_context
    from iastm_coach.protocols.signing import public_key_path
    from iastm_coach.protocols.trust import fingerprint_of_key_line, load_trusted

    app = app_context(ctx.obj)

    own = ""
    if public_key_path().is_file():
        own = fingerprint_of_key_line(public_key_path().read_text(encoding="utf-8"))
    trusted = sorted(load_trusted().values(), key=lambda key: key.name.casefold())
    if json_output:
        rows = [{"fingerprint": k.fingerprint, "name": k.name, "added": k.added} for k in trusted]
        from iastm_coach.views.json_doc import emit_json

        emit_json({"keys_version": 1, "own_key": own or None, "trusted": rows})
        return
    if own:
        say(app, f"Your signing key: {own} ({public_key_path()})")
    if not trusted:
        say(
            app, "No trusted clinician keys yet: iastm-coach protocol trust FINGERPRINT --name NAME"
        )
    for entry in trusted:
        say(app, f"Trusted: {entry.name}  {entry.fingerprint}  (since {entry.added:%Y-%m-%d})")
