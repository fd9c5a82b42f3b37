"""Before a session or an install: who issued the protocol, for whom, and whether that
can be believed (signature, pin); and "is that you?" when the name is not the one
given at first use (see protocols/patient.py)."""

from __future__ import annotations

from rich.text import Text

from iastm_coach.errors import SafetyStop
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.protocols.patient import first_use_name, remember_name, same_person
from iastm_coach.session.conversation import Conversation
from iastm_coach.views.protocol import provenance_lines
from iastm_coach.views.ui import literal


def introduce(loaded: LoadedProtocol, talk: Conversation) -> None:
    """The session's first lines: title, who issued it, whether it is signed, for whom."""
    p = loaded.protocol
    talk.show(
        Text.assemble(
            literal(p.title, "bold"),
            " - ",
            literal(loaded.origin()),
            f" (fingerprint {loaded.short_fingerprint})",
        )
    )
    for line, style in provenance_lines(loaded):
        talk.show(literal(line, style))


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
            literal(
                f"{patient} is now remembered as your name: a protocol for someone else "
                "will be questioned.",
                "dim",
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
