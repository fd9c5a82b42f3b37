"""Before a session or an install: who issued the protocol, for whom, and whether that
can be believed (signature, pin); and "is that you?" when the name is not the one
given at first use (see protocols/patient.py)."""

from __future__ import annotations

from iastm_coach.errors import SafetyStop
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.protocols.patient import first_use_name, remember_name, same_person
from iastm_coach.session.conversation import Conversation
from iastm_coach.session.shown import Line, line


def introduce(loaded: LoadedProtocol, talk: Conversation) -> None:
    """The session's first lines: title, who issued it, whether it is signed, for whom."""
    p = loaded.protocol
    talk.show(
        line(
            (p.title, "strong"),
            " - ",
            loaded.origin(),
            f" (fingerprint {loaded.short_fingerprint})",
        )
    )
    talk.show(*provenance_lines(loaded))


def confirm_patient(loaded: LoadedProtocol, talk: Conversation, *, doing: str) -> None:
    """Ask when the file names a patient other than the one given at first use (the
    first file that names a patient sets it). SafetyStop on "no"."""
    issued = loaded.protocol.issued
    patient = issued.patient if issued else None
    if not patient:
        return
    known = first_use_name()
    if known is None:
        remember_name(patient)
        talk.show(
            line(
                f"{patient} is now remembered as your name: a protocol for someone else "
                "will be questioned.",
                tone="quiet",
            )
        )
        return
    if same_person(known, patient) or talk.confirm(
        f"This protocol is for {patient}, but your name was given as {known} when you "
        "started. Is it really meant for you?",
        default=False,
    ):
        return
    raise SafetyStop(
        f"{doing}: this protocol is for {patient}, not {known}",
        hint="A protocol is written for one person: ask your clinician for your own file.",
    )


def provenance_lines(loaded: LoadedProtocol) -> list[Line]:
    """whether the file is signed, installed as is, custom, and for whom."""
    if loaded.source == "built-in":
        return []
    p = loaded.protocol
    lines: list[Line] = []
    signature = loaded.signature
    if signature.state == "trusted":
        lines.append(
            line(
                f"Signed by a trusted clinician: {signature.signer} ({signature.fingerprint})",
                tone="good",
            )
        )
    elif signature.state == "unknown-key":
        lines.append(
            line(
                f"Signed with a key you have not trusted ({signature.fingerprint}). If your "
                "clinician gave you this fingerprint: iastm-coach protocol trust "
                f'{signature.fingerprint} --name "their name"',
                tone="caution",
            )
        )
    else:
        lines.append(
            line(
                'Unsigned: "issued by" is only what the file says. It is held to the home limits.',
                tone="caution",
            )
        )
    if loaded.pin == "changed":
        lines.append(
            line(
                "CHANGED since it was installed (its fingerprint differs): sessions refuse "
                "it until it is installed again.",
                tone="danger",
            )
        )
    elif loaded.pin == "unpinned":
        lines.append(
            line(
                "Installed before fingerprints were recorded: install it again to pin it.",
                tone="quiet",
            )
        )
    if p.custom_region:
        lines.append(line(f"Custom region '{p.region}' (not one of the built-in regions)."))
    if p.access.sided and p.access.sides and len(p.access.sides) == 1:
        lines.append(line(f"Prescribed side: {p.access.sides[0]} only."))
    patient = p.issued.patient if p.issued else None
    lines.append(
        line(f"For: {patient}" if patient else "For: (no patient named in the file)", tone="strong")
    )
    return lines
