"""What the report takes from the protocols and the checklist, and the report built with it.

The report needs three facts per region (the prescription, the outcome test's
name and its direction), the patient's name from a physio's protocols, and the
checklist's questions. The built-in files ship with the program and are
validated by its tests (tests/test_report_context.py checks that these readings
equal the validated protocol model's), so their few fields are read with the
journal's TOML parser alone (`journal.parser`: the fast one where installed,
tomllib otherwise): importing the protocol model (pydantic) would cost more than
building the whole report. Installed protocols, a physio's files that may have
been edited since, are still loaded and validated through the protocol model
(when there are any).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iastm_coach.journal.parser import TOMLDecodeError, loads
from iastm_coach.paths import data_dir, installed_protocols_dir
from iastm_coach.report.build import Prescribed, Report, build_report, report_regions

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal


@dataclass(frozen=True)
class ProtocolFacts:
    """The facts the report shows about one region's current protocol."""

    region: str
    prescription: Prescribed | None
    outcome: tuple[str, bool] | None  # (test name, higher is better)
    patient: str = ""


def builtin_facts(region: str) -> ProtocolFacts | None:
    """The built-in protocol of *region*, read without validation (None: none shipped)."""
    path = data_dir() / "protocols" / f"{region}.toml"
    try:
        document = loads(path.read_text(encoding="utf-8"))
    except (OSError, TOMLDecodeError, UnicodeDecodeError):
        return None
    if document.get("region", path.stem) != region:
        return None
    return facts_of(region, document)


def facts_of(region: str, document: dict[str, Any]) -> ProtocolFacts:
    prescription = document.get("prescription")
    outcome = document.get("outcome")
    return ProtocolFacts(
        region=region,
        prescription=(
            Prescribed(int(prescription["sessions_per_week"]), int(prescription["course_weeks"]))
            if isinstance(prescription, dict)
            else None
        ),
        outcome=(
            (str(outcome["name"]), bool(outcome.get("higher_is_better", True)))
            if isinstance(outcome, dict)
            else None
        ),
    )


def installed_facts() -> dict[str, ProtocolFacts]:
    """Every installed protocol that loads (validated; a broken file is left out, as
    `protocol list` reports it)."""
    paths = sorted(Path(installed_protocols_dir()).glob("*.toml"))
    if not paths:
        return {}
    from iastm_coach.errors import CoachError
    from iastm_coach.protocols.files import load_protocol_file

    found: dict[str, ProtocolFacts] = {}
    for path in paths:
        try:
            protocol = load_protocol_file(path, source="installed").protocol
        except CoachError:
            continue
        p, o = protocol.prescription, protocol.outcome
        found[protocol.region] = ProtocolFacts(
            region=protocol.region,
            prescription=Prescribed(p.sessions_per_week, p.course_weeks) if p else None,
            outcome=(o.name, o.higher_is_better) if o else None,
            patient=(protocol.issued.patient or "") if protocol.issued else "",
        )
    return found


def caution_labels() -> dict[str, str]:
    """Checklist item id → its question (empty when the checklist cannot be read)."""
    path = data_dir() / "contraindications.toml"
    try:
        document = loads(path.read_text(encoding="utf-8"))
    except (OSError, TOMLDecodeError, UnicodeDecodeError):
        return {}
    items = document.get("item", [])
    return {
        str(item["id"]): str(item["question"])
        for item in items
        if isinstance(item, dict) and "id" in item and "question" in item
    }


def protocol_facts(regions: Iterable[str]) -> tuple[dict[str, ProtocolFacts], list[str]]:
    """The facts of each of *regions* (an installed protocol before the built-in one)
    and the patients named by the installed protocols."""
    installed = installed_facts()
    facts: dict[str, ProtocolFacts] = {}
    for region in sorted(regions):
        found = installed.get(region) or builtin_facts(region)
        if found is not None:
            facts[region] = found
    return facts, [f.patient for f in installed.values() if f.patient]


def make_report(journal: Journal, *, since: datetime | None, now: datetime) -> Report:
    """Scan the journal once and build the report model (protocols looked up by region)."""
    from iastm_coach.plans.deviations import journal_integrity
    from iastm_coach.report.plan_context import plan_context
    from iastm_coach.safety.holds import active_holds, fold_holds

    items = list(journal.scan(since=since))
    holds = fold_holds(items).active if since is None else active_holds(journal)
    regions = report_regions(items)
    facts, patients = protocol_facts(regions)
    plans = plan_context(regions)
    return build_report(
        items,
        minimal_change=plans.minimal_change,
        exercises_prescribed=plans.exercises,
        plan_facts=plans.facts,
        region_facts=plans.region_facts,
        file_problems=plans.file_problems,
        integrity=journal_integrity(journal),
        now=now,
        since=since,
        prescriptions={region: f.prescription for region, f in facts.items()}
        | {region: None for region in regions if region not in facts},
        patients=patients,
        active_holds=holds,
        caution_labels=caution_labels(),
        higher_is_better={
            (region, f.outcome[0]): f.outcome[1] for region, f in facts.items() if f.outcome
        },
    )
