"""Red-flag holds, derived from the journal (there is no separate state file).

A `hold` record puts a region on hold (one record per red flag that fired); a
`hold_clear` record lifts the holds it names in `lifts` (every hold on the region
when it was written; an older clear without `lifts` lifts the holds written
before it). The current holds are whatever the records say, folded in the
journal's append order (`Record.seq`), never by the clock: a clock set back
after a clear cannot make the clear lift a later hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.errors import UsageError
from iastm_coach.journal import records

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.safety.redflags import RedFlag

HOLDS_VERSION: Final = 1  # `hold list --json`


@dataclass(frozen=True)
class Hold:
    """An active hold on a region: the first uncleared red flag, and all of them.

    `rule`, `reason`, `since` and `record_id` describe the flag that started
    the hold; `rules` and `reasons` list every distinct rule and reason
    recorded since, in the order they first fired (the same rule on both sides
    of a sitting once; the same rule at a later check-in adds its own reason),
    so a second flag is shown too.
    """

    region: str
    rule: str
    reason: str
    since: datetime
    record_id: str
    rules: tuple[str, ...] = ()
    source_id: str = ""
    reasons: tuple[str, ...] = ()
    # The sides the flags concern ("left", "right", "none"; "" when a record does not say,
    # which then counts as every side). The region itself is held on every side.
    sides: frozenset[str] = frozenset({""})
    # Each flag's (rule, side): a flag reaches other regions from its own side only.
    flags: tuple[tuple[str, str], ...] = ()

    @property
    def all_rules(self) -> tuple[str, ...]:
        """Every rule that fired, first one first (at least `rule`)."""
        return self.rules or (self.rule,)

    @property
    def all_reasons(self) -> tuple[str, ...]:
        """Every distinct reason, first one first (at least `reason`)."""
        return self.reasons or (self.reason,)

    def reason_text(self) -> str:
        """Every reason in one line: 'soreness 7/10 ...; bruising ...'."""
        return "; ".join(self.all_reasons)


def hold_dict(hold: Hold) -> dict[str, Any]:
    """One hold, JSON-ready (`hold list --json`, `trend --json`): the first flag's `rule`,
    `reason`, `since` and `record_id`, and every rule and reason in `rules` and `reasons`."""
    return {
        "region": hold.region,
        "since": hold.since.isoformat(),
        "rule": hold.rule,
        "rules": list(hold.all_rules),
        "reason": hold.reason,
        "reasons": list(hold.all_reasons),
        "record_id": hold.record_id,
    }


def holds_json(holds: dict[str, Hold]) -> dict[str, Any]:
    """`hold list --json`: every active hold, by region."""
    return {
        "holds_version": HOLDS_VERSION,
        "holds": [hold_dict(hold) for _, hold in sorted(holds.items())],
    }


@dataclass(frozen=True)
class HoldState:
    """Active holds and the most recent clear of each region."""

    active: dict[str, Hold]
    last_clear: dict[str, Record]
    hold_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)  # active hold records


def fold_holds(items: Iterable[Record]) -> HoldState:
    """Fold hold and hold_clear records (any order) into the current state, in the
    journal's append order (`seq`), never by their `at`."""
    ordered = sorted(
        (r for r in items if r.kind in (records.HOLD, records.HOLD_CLEAR)),
        key=lambda r: r.seq,
    )
    lifted = {
        hold_id
        for r in ordered
        if r.kind == records.HOLD_CLEAR and isinstance(r.data.get("lifts"), list)
        for hold_id in r.data["lifts"]
    }
    active: dict[str, Hold] = {}
    hold_ids: dict[str, tuple[str, ...]] = {}
    last_clear: dict[str, Record] = {}
    for record in ordered:
        region = str(record.data.get("region", ""))
        if record.kind == records.HOLD_CLEAR:
            if not isinstance(record.data.get("lifts"), list):  # older: all before it
                active.pop(region, None)
                hold_ids.pop(region, None)
            last_clear[region] = record
            continue
        if record.id in lifted:
            continue
        hold_ids[region] = (*hold_ids.get(region, ()), record.id)
        rule = str(record.data.get("rule", ""))
        reason = str(record.data.get("reason", ""))
        shown = reason or rule  # a hand-edited record without a reason shows its rule
        side = record.data.get("side")
        side = side if side in ("left", "right", "none") else ""
        current = active.get(region)
        if current is None:
            active[region] = Hold(
                region=region,
                rule=rule,
                reason=reason,
                since=record.at,
                record_id=record.id,
                rules=(rule,),
                source_id=str(record.data.get("source", "")),
                reasons=(shown,),
                sides=frozenset({side}),
                flags=((rule, side),),
            )
        else:
            active[region] = replace(
                current,
                rules=current.rules if rule in current.rules else (*current.rules, rule),
                reasons=current.reasons if shown in current.reasons else (*current.reasons, shown),
                sides=current.sides | {side},
                flags=current.flags
                if (rule, side) in current.flags
                else (*current.flags, (rule, side)),
            )
    return HoldState(active, last_clear, hold_ids)


def hold_state(journal: Journal) -> HoldState:
    """Read every hold and clear (they are rare) and fold them."""
    return fold_holds(hold_records(journal))


def hold_records(journal: Journal) -> list[Record]:
    """Every hold and hold_clear record. Holds are rare and `session` asks for them every
    time, so the journal parses only the month files that can hold any. A break in the
    journal's hash chain stops here like damage (exit 4): a deleted record may have been
    a hold."""
    return journal.records_of({records.HOLD, records.HOLD_CLEAR}, unbroken=True)


def active_holds(journal: Journal) -> dict[str, Hold]:
    """{region: Hold} for every region currently on hold."""
    return hold_state(journal).active


def prepare_hold(
    journal: Journal,
    *,
    region: str,
    flag: RedFlag,
    source_id: str,
    at: datetime,
    side: str | None = None,
) -> Record:
    """The hold record for *flag*, not yet written: write it with the record that caused it
    in one `Journal.append_all` (the hold first), so no crash keeps one without the other.
    Pass *side* when the source is not written yet (it cannot be looked up)."""
    if side is None:
        side = source_side(journal, source_id)
    data = {"region": region, "rule": flag.rule, "reason": flag.reason, "source": source_id}
    if side:
        data["side"] = side
    return journal.prepare(records.HOLD, data, at=at)


def source_side(journal: Journal, source_id: str) -> str:
    """The side of the session *source_id* names (directly or through a check-in); ""."""
    record = journal.get(source_id) if source_id else None
    if record is not None and record.kind == records.CHECKIN:
        record = journal.get(str(record.data.get("session", "")))
    if record is None or record.kind != records.SESSION:
        return ""
    side = record.data.get("side")
    return side if isinstance(side, str) and side in ("left", "right", "none") else ""


MIN_REASON_CHARS: Final = 8  # "x" or "ok" says nothing a physio could read back


def clear_hold(
    journal: Journal, *, region: str, reason: str, at: datetime, examined_by: str = ""
) -> Record:
    """Lift the hold on *region*, recording *reason* (and who examined the area).

    UsageError when it is not on hold, when the reason is too short to mean anything,
    or when a serious sign (`redflags.SERIOUS`) put it on hold and *examined_by* does
    not name the clinician who examined the area.
    """
    from iastm_coach.safety.redflags import RULES, SERIOUS

    text = reason.strip()
    state = hold_state(journal)
    if region not in state.active:
        on_hold = ", ".join(sorted(state.active)) or "none"
        raise UsageError(
            f"region '{region}' is not on hold",
            hint=f"Regions on hold: {on_hold}.",
        )
    # What is missing first: for a serious sign, the examining clinician (a longer reason
    # would not help without it).
    serious = [rule for rule in state.active[region].all_rules if rule in SERIOUS]
    examiner = examined_by.strip()
    got = f" (got '{text}')" if text else ""
    short = len(text) < MIN_REASON_CHARS or len(text.split()) < 2
    if serious and len(examiner) < 3:
        signs = ", ".join(RULES[rule].when for rule in serious)
        raise UsageError(
            f"--examined-by is required: the {region} is on hold for a serious sign "
            f"({signs}), lifted only when a clinician has examined the area"
            + (f"; a reason of a few words is required too{got}" if short else ""),
            hint=f"After they have: iastm-coach hold clear {region} --examined-by "
            '"Dr Lee, GP, 3 March" --reason "examined, no clot, OK to resume gently".',
        )
    if short:
        raise UsageError(
            f"a reason of a few words is required to lift a hold{got}",
            hint='For example: --reason "seen by my physio on Tuesday, OK to resume".',
        )
    # It names the holds it lifts, so that no clock can make it lift a later one.
    data: dict[str, Any] = {"region": region, "reason": text, "lifts": list(state.hold_ids[region])}
    if examiner:
        data["examined_by"] = examiner
    return journal.append(records.HOLD_CLEAR, data, at=at)


def clear_command(hold: Hold, reason: str = "TEXT") -> str:
    """The command that lifts *hold*: with `--examined-by WHO` for a serious sign."""
    examined = " --examined-by WHO" if serious_rules(hold) else ""
    return f"iastm-coach hold clear {hold.region}{examined} --reason {reason}"


def serious_rules(hold: Hold) -> list[str]:
    """The rules of *hold* that only a clinician's examination lifts."""
    from iastm_coach.safety.redflags import SERIOUS

    return [rule for rule in hold.all_rules if rule in SERIOUS]
