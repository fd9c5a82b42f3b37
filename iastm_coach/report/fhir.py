"""The report as a FHIR R4 Bundle (`report --format fhir`), for a clinic's records system.

One `collection` Bundle with:

- one Patient, named as the installed protocols name them (`issued.patient`);
- one Procedure per session (one treated side), `completed` or `stopped`, with its
  period, the region and side as body site, and the note;
- one Observation per soreness answer: pain on the 0-10 numeric rating scale, LOINC
  72514-3 ("Pain severity - 0-10 verbal numeric rating [Score] - Reported"), right after
  the session and at each check-in, `partOf` its Procedure;
  with the check-in's own note where the person wrote one;
- one Observation per outcome test value, with its unit (UCUM where the unit is one),
  `partOf` the session it was measured around;
- one Flag per red-flag hold (category `clinical`): `period` from when it was placed to
  when it was lifted (no end: still in force, status `active`), its text naming the rules,
  the reason given for lifting it and the clinician who examined the area. A Flag is what
  FHIR has for "a caution that applies for a while"; the hold is no diagnosis, so no
  Condition is claimed.

Codes are only those that exist: the procedure and the outcome tests are given as
text (there is no standard code for home IASTM or for each test), never an invented
code. Resource ids are UUIDs derived from the journal's record ids, so the same
journal gives the same Bundle. Written as plain JSON (no FHIR library at run time);
the tests validate it with the `fhir.resources` models.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from iastm_coach.history.outcomes import Measurement
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.report.build import Report
    from iastm_coach.safety.hold_spans import HoldSpan

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
PAIN_NRS: Final = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
RECORD_SYSTEM: Final = "urn:iastm-coach:journal-record"
NAMESPACE: Final = uuid.UUID("6b1f3c2e-6d0a-5b7e-9a43-1c0de5a1f0a1")  # ours, fixed forever
# The units people write, as UCUM codes (others are kept as text without a code).
UCUM_UNITS: Final = {
    "cm": "cm",
    "mm": "mm",
    "m": "m",
    "in": "[in_i]",
    "degrees": "deg",
    "degree": "deg",
    "deg": "deg",
    "°": "deg",
    "s": "s",
    "seconds": "s",
    "kg": "kg",
    "reps": "{reps}",
}


def urn(key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, key)}"


def moment(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def body_site(region: str, side: str) -> dict[str, str]:
    return {"text": f"{side} {region}" if side in ("left", "right") else region}


def render_fhir(report: Report) -> str:
    return json.dumps(fhir_bundle(report), ensure_ascii=False, indent=1) + "\n"


def fhir_bundle(report: Report) -> dict[str, Any]:
    patient_url = urn("patient")
    entries: list[dict[str, Any]] = [
        {"fullUrl": patient_url, "resource": patient(report)},
    ]
    subject = {"reference": patient_url}
    procedures: dict[str, str] = {}
    for row in report.rows:
        url = urn(f"procedure:{row.id}")
        procedures[row.id] = url
        entries.append({"fullUrl": url, "resource": procedure(row, subject)})
        entries.extend(pain_entries(row, subject, url, report))
    entries.extend(
        {
            "fullUrl": urn(f"measure:{m.id}"),
            "resource": measure_observation(m, subject, procedures.get(m.session)),
        }
        for m in report.measures
    )
    entries.extend(
        {"fullUrl": urn(f"hold:{span.record_id}"), "resource": hold_flag(span, subject)}
        for span in report.hold_spans
    )
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(NAMESPACE, f"bundle:{report.generated.isoformat()}")),
        "type": "collection",
        "timestamp": moment(report.generated),
        "entry": entries,
    }


def patient(report: Report) -> dict[str, Any]:
    found: dict[str, Any] = {"resourceType": "Patient", "id": "patient"}
    if report.patients:  # as the physio wrote it in the protocol: one text, not split
        found["name"] = [{"text": name} for name in report.patients]
    return found


def procedure(row: SessionRow, subject: dict[str, str]) -> dict[str, Any]:
    data = row.data
    found: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": str(uuid.uuid5(NAMESPACE, f"procedure:{row.id}")),
        "identifier": [{"system": RECORD_SYSTEM, "value": row.id}],
        "status": "completed" if row.complete else "stopped",
        "code": {
            "text": "Instrument-assisted soft tissue mobilisation (IASTM), self-treatment at "
            "home" + (" (recorded afterwards)" if data.get("source") == "log" else "")
        },
        "subject": subject,
        "performedPeriod": {"start": moment(row.started), "end": moment(row.ended)},
        "bodySite": [body_site(row.region, row.side)],
    }
    notes = [
        f"{row.actual_s // 60} min {row.actual_s % 60:02d} s of "
        f"{row.planned_s // 60} min {row.planned_s % 60:02d} s planned; protocol "
        f"{data.get('protocol_id', '')} {data.get('protocol_version', '')}"
        + (f", dose {row.dose_percent} %" if row.dose_percent != 100 else "")
    ]
    if row.note:
        notes.append(row.note)
    found["note"] = [{"text": text} for text in notes]
    return found


def pain_entries(
    row: SessionRow, subject: dict[str, str], procedure_url: str, report: Report
) -> list[dict[str, Any]]:
    answers: list[tuple[str, datetime, int, str]] = []
    if row.soreness_after is not None:
        answers.append(("after", row.ended, row.soreness_after, "right after the session"))
    for hours, value in sorted(row.soreness_by_hours.items()):
        at = report.checkin_times.get((row.id, hours))
        if at is not None:
            answers.append((f"{hours}h", at, value, f"{hours} h follow-up"))
    notes = {note.hours: note.note for note in row.checkin_notes if note.note}
    entries = []
    for key, at, value, when in answers:
        written = notes.get(int(key[:-1])) if key.endswith("h") else None
        note = [{"text": f"Self-reported {when}"}, *([{"text": written}] if written else [])]
        entries.append(
            {
                "fullUrl": urn(f"pain:{row.id}:{key}"),
                "resource": {
                    "resourceType": "Observation",
                    "id": str(uuid.uuid5(NAMESPACE, f"pain:{row.id}:{key}")),
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "observation-category",
                                    "code": "survey",
                                }
                            ]
                        }
                    ],
                    "code": {
                        "coding": [{"system": LOINC, "code": PAIN_NRS[0], "display": PAIN_NRS[1]}],
                        "text": "Soreness of the treated area, 0-10 numeric rating scale",
                    },
                    "subject": subject,
                    "partOf": [{"reference": procedure_url}],
                    "effectiveDateTime": moment(at),
                    "valueInteger": value,
                    "bodySite": body_site(row.region, row.side),
                    "note": note,
                },
            }
        )
    return entries


def hold_flag(span: HoldSpan, subject: dict[str, str]) -> dict[str, Any]:
    """A red-flag hold as a FHIR Flag over the time it was in force."""
    place = " and ".join(span.body_sides) + " " if span.body_sides else ""
    text = (
        f"Red-flag hold on home self-treatment of the {place}{span.region}: "
        + "; ".join(span.reasons)
        + f" (rules: {', '.join(span.rules)})."
    )
    if span.lifted is not None:
        text += f" Lifted: {span.lift_reason}" if span.lift_reason else " Lifted."
        if span.examined_by:
            text += f" (examined by {span.examined_by})"
    period = {"start": moment(span.placed)}
    if span.lifted is not None:
        period["end"] = moment(span.lifted)
    return {
        "resourceType": "Flag",
        "id": str(uuid.uuid5(NAMESPACE, f"hold:{span.record_id}")),
        "identifier": [{"system": RECORD_SYSTEM, "value": span.record_id}],
        "status": "active" if span.lifted is None else "inactive",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
                        "code": "clinical",
                        "display": "Clinical",
                    }
                ]
            }
        ],
        "code": {"text": text},
        "subject": subject,
        "period": period,
    }


def measure_observation(
    m: Measurement, subject: dict[str, str], procedure_url: str | None
) -> dict[str, Any]:
    from iastm_coach.history.measure import is_score

    unit = m.unit.strip()
    quantity: dict[str, Any] = {"value": m.value, "unit": unit}
    code = "{score}" if is_score(unit) else UCUM_UNITS.get(unit.lower())
    if code is not None:
        quantity |= {"system": UCUM, "code": code}
    phase = {
        "before": "before the session's strokes",
        "after": "right after the session's strokes",
        "standalone": "on its own",
    }.get(m.phase, m.phase)
    found: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(uuid.uuid5(NAMESPACE, f"measure:{m.id}")),
        "identifier": [{"system": RECORD_SYSTEM, "value": m.id}],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "exam",
                    }
                ]
            }
        ],
        "code": {"text": m.test},
        "subject": subject,
        "effectiveDateTime": moment(m.at),
        "valueQuantity": quantity,
        "bodySite": body_site(m.region, m.side),
        "note": [{"text": f"Self-measured {phase}"}],
    }
    if procedure_url is not None:
        found["partOf"] = [{"reference": procedure_url}]
    return found
