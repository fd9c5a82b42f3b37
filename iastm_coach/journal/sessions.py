"""Session records: the one builder of their fields (when a session started and ended is
read by `records.session_start` and `records.session_end`).

A guided session (`session/flow.py`), a session logged afterwards (`session/log.py`),
the tests and the benchmark journal all build their records here, so every
session record has the same fields in the same order (`records.SESSION_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from iastm_coach.protocols.files import LoadedProtocol

Source = Literal["timer", "log"]


@dataclass(frozen=True)
class ProtocolStamp:
    """Which protocol a session followed, as recorded with it."""

    id: str
    version: str
    source: str  # built-in, installed or file
    fingerprint: str  # full sha256 hex of the protocol file
    issued_by: str = ""  # the clinician who issued it; "" for built-ins
    signature: str = ""  # trusted, unknown-key or unsigned; "" for built-ins
    signed_by: str = ""  # the trusted clinician who signed the file; "" if none
    signing_key: str = ""  # the signing key's SHA256:... fingerprint; "" if unsigned
    signed_here: bool = False  # signed with a key made by `protocol keygen` on this computer

    @classmethod
    def of(cls, loaded: LoadedProtocol) -> ProtocolStamp:
        protocol = loaded.protocol
        return cls(
            id=protocol.id,
            version=protocol.version,
            source=loaded.source,
            fingerprint=loaded.fingerprint,
            issued_by=protocol.issued.label() if protocol.issued else "",
            signature="" if loaded.source == "built-in" else loaded.signature.state,
            signed_by=loaded.signature.signer,
            signing_key=loaded.signature.fingerprint,
            signed_here=loaded.signature.made_here,
        )


def new_group_id(started: datetime) -> str:
    """The id the sides of one sitting share, e.g. 'g20260113072522a1b2'."""
    import secrets  # here, not at start-up: it imports random, base64 and hmac

    return f"g{started:%Y%m%d%H%M%S}{secrets.token_hex(2)}"


def session_fields(
    *,
    region: str,
    side: str,
    group: str,
    source: Source,
    protocol: ProtocolStamp,
    started: datetime,
    ended: datetime,
    planned_s: int,
    actual_s: int,
    soreness: int,
    complete: bool = True,
    dose_percent: int = 100,
    dose_reason: str = "",
    rest_override: bool = False,
    areas: Sequence[dict[str, Any]] = (),
    aftercare_answered: bool | None = None,
    bruising: bool = False,
    numbness: bool = False,
    note: str = "",
    overrides: Sequence[dict[str, str]] | None = None,
    baseline: int | None = None,
    clock_set: bool = False,
    adjustments: Sequence[str] | None = None,
    signs: Mapping[str, bool] | None = None,
    stop_reason: str | None = None,
) -> dict[str, Any]:
    """The fields of one side's session record (`records.SESSION`), in the journal's order.

    *soreness* is 0-10 right after, or -1 when it was not answered (then
    *aftercare_answered* is False). A guided session says whether its aftercare
    was answered; a logged one leaves that out (its answers come from the command
    line) and writes an empty `exercises` list instead. A guided session also records
    the safety limits overridden for it (*overrides*, each {rule, detail}) and the
    person's usual soreness when it started (*baseline*); None leaves them out.
    *clock_set* marks a record written under `IASTM_COACH_NOW` (its times are not real).
    A guided session also keeps what changed its plan (*adjustments*: a cleared caution,
    the age band), the other warning signs asked right after (*signs*: weakness,
    swelling, skin_broken, dizziness) and why it was stopped early (*stop_reason*).
    """
    fields: dict[str, Any] = {
        "region": region,
        "side": side,
        "group": group,
        "source": source,
        "protocol_id": protocol.id,
        "protocol_version": protocol.version,
        "protocol_source": protocol.source,
        "protocol_fingerprint": protocol.fingerprint,
        "issued_by": protocol.issued_by,
        "protocol_signature": protocol.signature,
        "signed_by": protocol.signed_by,
        **({"signing_key": protocol.signing_key} if protocol.signing_key else {}),
        **({"signed_here": True} if protocol.signed_here else {}),
        "started": started,
        "ended": ended,
        "planned_s": planned_s,
        "actual_s": actual_s,
        "complete": complete,
        "dose_percent": dose_percent,
        "dose_reason": dose_reason,
        "rest_override": rest_override,
        "areas": list(areas),
    }
    if source == "log":
        fields["exercises"] = []
    if aftercare_answered is not None:
        fields["aftercare_answered"] = aftercare_answered
    fields.update({"soreness": soreness, "bruising": bruising, "numbness": numbness, "note": note})
    if overrides is not None:
        fields["overrides"] = [dict(item) for item in overrides]
    if baseline is not None:
        fields["baseline"] = baseline
    if clock_set:
        fields["clock_set"] = True
    if adjustments is not None:
        fields["adjustments"] = list(adjustments)
    fields.update(signs or {})
    if stop_reason is not None:
        fields["stop_reason"] = stop_reason
    return fields
