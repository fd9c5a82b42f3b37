"""An outcome test measured on its own (`iastm-coach measure`), not around a session.

Which test the region's protocol names, which side may be measured, and the
record written with the earlier values of the same test to compare with.
Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iastm_coach.errors import UsageError
from iastm_coach.history.measure import check_value, measure_value, recent_measures, record_measure
from iastm_coach.vocabulary import NO_SIDE, is_body_side

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.protocols.model import Outcome, TreatmentProtocol


def outcome_of(protocol: TreatmentProtocol) -> Outcome:
    """The protocol's outcome test; UsageError when it has none."""
    if protocol.outcome is None:
        raise UsageError(
            f"the {protocol.region} protocol has no outcome test to measure",
            hint=(
                "Ask your physio to add an [outcome] table (name, unit, how) to the protocol "
                "file; `iastm-coach protocol schema` shows the format."
            ),
        )
    return protocol.outcome


def side_to_measure(region: str, sided: bool, given: str | None) -> str | None:
    """The side to record, None when it must be asked; UsageError when it cannot be right.

    A sided region is measured one side at a time; a region without sides has none."""
    if not sided:
        if given is not None and is_body_side(given):
            raise UsageError(
                f"the {region} has no left or right side",
                hint="Leave out --side (or use --side none).",
            )
        return NO_SIDE
    if given == NO_SIDE:
        raise UsageError(
            f"measure one side of the {region} at a time",
            hint="Use --side left or --side right (test both sides).",
        )
    return given


@dataclass(frozen=True)
class Measured:
    """A standalone measurement as recorded, with the earlier values it follows."""

    record: Record
    earlier: list[Record]  # the same test and side, newest first, before this one

    def to_json(self) -> dict[str, Any]:
        """`measure --json` (fields in the README)."""
        record = self.record
        return {
            "id": record.id,
            "at": record.at.isoformat(),
            **dict(record.data),
            "previous": [
                {
                    "id": r.id,
                    "at": r.at.isoformat(),
                    "side": str(r.data.get("side", "")),
                    "value": measure_value(r),
                    "unit": str(r.data.get("unit", "")),
                    "phase": str(r.data.get("phase", "")),
                }
                for r in self.earlier
            ],
        }


def earlier_values(
    journal: Journal, protocol: TreatmentProtocol, *, side: str, now: datetime
) -> list[Record]:
    """The recent values of the region's test on *side*, newest first."""
    test = outcome_of(protocol).name
    return recent_measures(journal, region=protocol.region, test=test, now=now, side=side)


def record_standalone(
    journal: Journal, protocol: TreatmentProtocol, *, side: str, value: float, now: datetime
) -> Measured:
    """Check *value* against the test's unit and record it (phase standalone)."""
    outcome = outcome_of(protocol)
    value = check_value(value, outcome.unit)
    earlier = earlier_values(journal, protocol, side=side, now=now)
    record = record_measure(
        journal,
        region=protocol.region,
        side=side,
        test=outcome.name,
        unit=outcome.unit,
        value=value,
        phase="standalone",
        session_id="",
        at=now,
    )
    return Measured(record, earlier)
