"""Gathering a report: one scan of the journal, and the protocols that say what each
region was prescribed (installed ones first, for the patient's name too)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from iastm_coach.errors import CoachError

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal
    from iastm_coach.protocols.model import TreatmentProtocol
    from iastm_coach.report.build import Report


def make_report(
    journal: Journal, *, since: datetime | None, now: datetime, protocols_dir: Path
) -> Report:
    """Scan the journal once and build the report model (protocols looked up by region;
    *protocols_dir* holds those installed from a physio)."""
    from iastm_coach.protocols.library import load_builtin, region_index
    from iastm_coach.report.build import Prescribed, build_report, report_regions
    from iastm_coach.safety.holds import active_holds, fold_holds

    items = list(journal.scan(since=since))
    holds = fold_holds(items).active if since is None else active_holds(journal)
    installed = installed_protocols(protocols_dir)
    # The patient's name comes from the protocols their physio issued (installed ones).
    patients = [p.issued.patient for p in installed.values() if p.issued and p.issued.patient]
    prescriptions: dict[str, Prescribed | None] = {}
    better: dict[tuple[str, str], bool] = {}
    known = region_index().regions
    for region in sorted(report_regions(items)):
        try:
            found = installed.get(region) or (
                load_builtin(region).protocol if region in known else None
            )
        except CoachError:
            found = None
        p = found.prescription if found else None
        prescriptions[region] = Prescribed(p.sessions_per_week, p.course_weeks) if p else None
        if found is not None and found.outcome is not None:
            better[(region, found.outcome.name)] = found.outcome.higher_is_better
    return build_report(
        items,
        now=now,
        since=since,
        prescriptions=prescriptions,
        patients=patients,
        active_holds=holds,
        caution_labels=caution_labels(),
        higher_is_better=better,
    )


def installed_protocols(protocols_dir: Path) -> dict[str, TreatmentProtocol]:
    """Region -> the protocol installed for it; a broken file is left out (`protocol list`
    reports it; the report goes on without it)."""
    from iastm_coach.protocols.files import load_protocol_file

    installed: dict[str, TreatmentProtocol] = {}
    for path in sorted(protocols_dir.glob("*.toml")):
        try:
            protocol = load_protocol_file(path, source="installed").protocol
        except CoachError:
            continue
        installed[protocol.region] = protocol
    return installed


def caution_labels() -> dict[str, str]:
    """Checklist item id -> its question, to name the cautions a clinician cleared."""
    try:
        from iastm_coach.safety.checklist import load_checklist

        return {item.id: item.question for item in load_checklist().item}
    except (CoachError, ImportError):
        return {}
