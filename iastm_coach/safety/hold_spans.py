"""Holds as spans of time: from the moment a region was put on hold to the moment it was
lifted (or still open). The report draws them; the deviations look up whether a session
started inside one.

Hold and hold_clear records are folded in the order they were written, as
`safety/holds.py` does: a clear lifts every hold placed on its region before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from iastm_coach.journal import records

if TYPE_CHECKING:
    from iastm_coach.journal.store import Record
    from iastm_coach.safety.zones import LinksFor


@dataclass(frozen=True)
class HoldSpan:
    """One region on hold from `placed` until `lifted` (None: still on hold)."""

    region: str
    placed: datetime
    lifted: datetime | None
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    record_id: str  # the hold record that started the span
    lift_reason: str = ""
    # The sides its flags concern ("" when a record does not say: every side), as `Hold.sides`.
    sides: frozenset[str] = frozenset({""})
    examined_by: str = ""  # the clinician the lifting clear names (`hold clear --examined-by`)
    flags: tuple[tuple[str, str], ...] = ()  # each flag's (rule, side), as `Hold.flags`

    @property
    def body_sides(self) -> tuple[str, ...]:
        """The named sides ('left', 'right'), in that order; () when no record names one."""
        return tuple(side for side in ("left", "right") if side in self.sides)

    def covers(self, moment: datetime) -> bool:
        return self.placed <= moment and (self.lifted is None or moment < self.lifted)


def hold_spans(items: Iterable[Record]) -> list[HoldSpan]:
    """Every hold span in *items* (any order, other kinds ignored), oldest first.

    Folded in the journal's append order, as `safety/holds.fold_holds`: a clear lifts
    the holds it names (`lifts`), or every hold on its region written before it (older
    clears); a span ends when no hold of it is left."""
    ordered = sorted(
        (r for r in items if r.kind in (records.HOLD, records.HOLD_CLEAR)),
        key=lambda r: r.seq,
    )
    open_spans: dict[str, HoldSpan] = {}
    open_ids: dict[str, set[str]] = {}
    spans: list[HoldSpan] = []
    for record in ordered:
        region = str(record.data.get("region", ""))
        if record.kind == records.HOLD_CLEAR:
            span = open_spans.get(region)
            if span is None:
                continue
            lifts = record.data.get("lifts")
            left = open_ids[region] - set(lifts) if isinstance(lifts, list) else set()
            if left:
                open_ids[region] = left
                continue
            del open_spans[region], open_ids[region]
            spans.append(
                HoldSpan(
                    span.region,
                    span.placed,
                    record.at,
                    span.rules,
                    span.reasons,
                    span.record_id,
                    str(record.data.get("reason", "")),
                    span.sides,
                    str(record.data.get("examined_by", "")),
                    span.flags,
                )
            )
            continue
        rule = str(record.data.get("rule", ""))
        reason = str(record.data.get("reason", "")) or rule
        side = record.data.get("side")
        side = side if side in ("left", "right", "none") else ""
        span = open_spans.get(region)
        if span is None:
            open_spans[region] = HoldSpan(
                region,
                record.at,
                None,
                (rule,),
                (reason,),
                record.id,
                sides=frozenset({side}),
                flags=((rule, side),),
            )
            open_ids[region] = {record.id}
        else:
            open_ids[region].add(record.id)
            open_spans[region] = HoldSpan(
                region,
                span.placed,
                None,
                span.rules if rule in span.rules else (*span.rules, rule),
                span.reasons if reason in span.reasons else (*span.reasons, reason),
                span.record_id,
                sides=span.sides | {side},
                flags=span.flags if (rule, side) in span.flags else (*span.flags, (rule, side)),
            )
    spans.extend(open_spans.values())
    spans.sort(key=lambda s: (s.placed, s.region))
    return spans


def reaching(
    spans: Iterable[HoldSpan], region: str, side: str, links_for: LinksFor | None = None
) -> list[HoldSpan]:
    """The spans whose hold reaches *region* on *side* (its own, its zone's, overlapping
    regions'): `zones.reaches_region`, the rule the session gate uses."""
    from iastm_coach.safety.zones import reaches_region, remembered

    lookup = links_for or remembered()
    return [
        span
        for span in spans
        if reaches_region(
            span.region, span.rules, span.sides, region, side, lookup, flags=span.flags
        )
        is not None
    ]
