"""The JSON Schema of `report --format json` (`iastm-coach report --schema` prints it).

Written by hand next to `data.report_dict`, and tested against real reports
(tests/report/test_report_schema.py validates every format's JSON with the
`jsonschema` library), so a field added to one and not the other fails a test.
Objects allow no unknown keys: the schema is the documentation of the fields.
New fields are only ever added (`report_version` stays 1 while old readers keep working).
"""

from __future__ import annotations

import json
from typing import Any, Final

from iastm_coach.history.queries import ROW_FIELDS
from iastm_coach.plans.deviations import KINDS

SCHEMA_ID: Final = "https://iastm-coach.invalid/schemas/report-1.json"

TEXT: Final = {"type": "string"}
MOMENT: Final = {"type": "string", "format": "date-time"}
MAYBE_MOMENT: Final = {"type": ["string", "null"], "format": "date-time"}
COUNT: Final = {"type": "integer", "minimum": 0}
MAYBE_COUNT: Final = {"type": ["integer", "null"], "minimum": 0}
NUMBER: Final = {"type": "number"}
MAYBE_NUMBER: Final = {"type": ["number", "null"]}
SCORE: Final = {"type": ["integer", "null"], "minimum": 0, "maximum": 10}
TEXTS: Final = {"type": "array", "items": TEXT}


def strict(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An object with exactly these keys (all present)."""
    found: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        found["description"] = description
    return found


def listing(item: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": "array", "description": description, "items": item}


SESSION_TYPES: Final[dict[str, Any]] = {
    "id": TEXT,
    "group": TEXT,
    "region": TEXT,
    "side": {"enum": ["left", "right", "none"]},
    "source": TEXT,
    "started": MOMENT,
    "ended": MAYBE_MOMENT,
    "protocol_id": TEXT,
    "protocol_version": TEXT,
    "protocol_source": TEXT,
    "issued_by": TEXT,
    "protocol_fingerprint": TEXT,
    "planned_s": COUNT,
    "actual_s": COUNT,
    "complete": {"type": "boolean"},
    "dose_percent": COUNT,
    "soreness_after": SCORE,
    "soreness_24h": SCORE,
    "soreness_48h": SCORE,
    "soreness_72h": SCORE,
    "flags": TEXTS,
    "note": TEXT,
    "checkin_notes": listing(
        strict({"hours": COUNT, "note": TEXT}), "notes written with check-ins"
    ),
    "checkin_answers": listing(
        strict(
            {
                "id": TEXT,
                "hours": COUNT,
                "at": MOMENT,
                "soreness": SCORE,
                "not_asked": TEXTS,
                "corrects": {"type": ["string", "null"]},
            }
        ),
        "every answer to a follow-up, oldest first; the last of each follow-up counts",
    ),
    "exercise_sets_done": MAYBE_COUNT,
    "exercise_sets_planned": MAYBE_COUNT,
    "measure_test": TEXT,
    "measure_unit": TEXT,
    "measure_before": MAYBE_NUMBER,
    "measure_after": MAYBE_NUMBER,
    "measure_change": MAYBE_NUMBER,
}


def session_schema() -> dict[str, Any]:
    properties = {}
    for name, doc in ROW_FIELDS:
        properties[name] = {**SESSION_TYPES[name], "description": doc}
    return strict(properties, "one treated side of one sitting")


def report_schema() -> dict[str, Any]:
    """The schema as a dict (draft 2020-12)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "iastm-coach report",
        "description": "The physio's report as data: `iastm-coach report --format json`.",
        **strict(
            {
                "report_version": {"const": 1},
                "generated": MOMENT,
                "since": MAYBE_MOMENT,
                "patients": TEXTS,
                "protocols": listing(
                    strict(
                        {
                            "region": TEXT,
                            "protocol_id": TEXT,
                            "protocol_version": TEXT,
                            "from": TEXT,
                            "protocol_fingerprint": TEXT,
                            "sessions": COUNT,
                            "first": MOMENT,
                            "last": MOMENT,
                        }
                    ),
                    "each protocol file used, by region and fingerprint",
                ),
                "adherence": listing(
                    strict(
                        {
                            "region": TEXT,
                            "sittings": COUNT,
                            "complete": COUNT,
                            "interrupted": COUNT,
                            "weeks": COUNT,
                            "per_week": NUMBER,
                            "prescribed_per_week": MAYBE_COUNT,
                            "course_weeks": MAYBE_COUNT,
                            "weeks_below": COUNT,
                            "weeks_on_target": COUNT,
                            "weeks_above": COUNT,
                            "percent": MAYBE_COUNT,
                            "sittings_during_hold": {
                                **COUNT,
                                "description": "sittings held during a red-flag hold: never "
                                "counted in weeks, per_week or percent",
                            },
                            "exercise_sittings": {
                                **COUNT,
                                "description": "sittings with at least one set of exercises "
                                "done (a declined guide is a sitting without exercises)",
                            },
                            "exercise_percent": MAYBE_COUNT,
                            "exercise_sets_done": COUNT,
                            "exercise_sets_planned": COUNT,
                            "exercise_sets_percent": MAYBE_COUNT,
                            "week_in_progress": MAYBE_COUNT,
                            "exercises_declined": COUNT,
                            "exercise_days": {
                                **COUNT,
                                "description": "exercises logged on days without scraping",
                            },
                            "exercises_prescribed": {
                                **MAYBE_COUNT,
                                "description": "exercises in the protocol; null when unknown",
                            },
                        }
                    ),
                    "per region: sittings against the prescription, and exercises",
                ),
                "holds": listing(
                    strict(
                        {
                            "at": MOMENT,
                            "event": {"enum": ["hold", "clear"]},
                            "region": TEXT,
                            "side": TEXT,
                            "rule": TEXT,
                            "reason": TEXT,
                            "source": TEXT,
                            "examined_by": TEXT,
                            "id": TEXT,
                        }
                    ),
                    "every hold placed and lifted, oldest first",
                ),
                "active_holds": listing(
                    strict(
                        {
                            "region": TEXT,
                            "since": MOMENT,
                            "rule": TEXT,
                            "rules": TEXTS,
                            "reason": TEXT,
                            "reasons": TEXTS,
                            "id": TEXT,
                        }
                    ),
                    "holds in force when the report was made",
                ),
                "screenings": listing(
                    strict(
                        {
                            "at": MOMENT,
                            "region": TEXT,
                            "outcome": TEXT,
                            "stopped_by": TEXT,
                            "cleared_cautions": TEXTS,
                            "local": TEXTS,
                        }
                    ),
                    "screenings with a caution cleared, a local caution or a stop",
                ),
                "notes": listing(
                    strict({"at": MOMENT, "place": TEXT, "context": TEXT, "text": TEXT}),
                    "every note, oldest first",
                ),
                "red_flag_rules": listing(
                    strict({"rule": TEXT, "when": TEXT}), "the rules that put a region on hold"
                ),
                "measure_caveat": TEXT,
                "measures": listing(
                    strict(
                        {
                            "at": MOMENT,
                            "region": TEXT,
                            "side": TEXT,
                            "test": TEXT,
                            "unit": TEXT,
                            "value": NUMBER,
                            "phase": {"enum": ["before", "after", "standalone"]},
                            "session": TEXT,
                            "id": TEXT,
                        }
                    ),
                    "every outcome value, oldest first",
                ),
                "outcomes": listing(
                    strict(
                        {
                            "region": TEXT,
                            "side": TEXT,
                            "test": TEXT,
                            "unit": TEXT,
                            "higher_is_better": {"type": ["boolean", "null"]},
                            "values": COUNT,
                            "weeks_measured": COUNT,
                            "weeks_compared": MAYBE_COUNT,
                            "first_weeks_median": MAYBE_NUMBER,
                            "last_weeks_median": MAYBE_NUMBER,
                            "change_over_weeks": MAYBE_NUMBER,
                            "values_compared": MAYBE_COUNT,
                            "first_values_mean": MAYBE_NUMBER,
                            "last_values_mean": MAYBE_NUMBER,
                            "change_over_course": MAYBE_NUMBER,
                            "minimal_change": MAYBE_NUMBER,
                            "beyond_measurement_error": {"type": ["boolean", "null"]},
                            "sessions_before_after": COUNT,
                            "mean_change_right_after": MAYBE_NUMBER,
                            "weekly": listing(
                                strict(
                                    {
                                        "week": {"type": "string", "format": "date"},
                                        "values": COUNT,
                                        "median": NUMBER,
                                        "lowest": NUMBER,
                                        "highest": NUMBER,
                                    }
                                ),
                                "per week from Monday",
                            ),
                            "summary": TEXT,
                        }
                    ),
                    "one per region, test and side",
                ),
                "summary": listing(
                    strict(
                        {
                            "label": TEXT,
                            "lines": TEXTS,
                            "alert": {"type": "boolean"},
                        }
                    ),
                    "the summary block at the top of the report, in order",
                ),
                "journal_integrity": strict(
                    {"verified": {"type": "boolean"}, "text": TEXT},
                    "whether deleted or edited journal records would have been noticed",
                ),
                "deviations": listing(
                    strict(
                        {
                            "kind": {"enum": list(KINDS)},
                            "label": TEXT,
                            "region": TEXT,
                            "place": TEXT,
                            "at": MAYBE_MOMENT,
                            "detail": TEXT,
                            "sessions": TEXTS,
                        }
                    ),
                    "every deviation from the plan, changed files first, then oldest first",
                ),
                "hold_spans": listing(
                    strict(
                        {
                            "region": TEXT,
                            "placed": MOMENT,
                            "lifted": MAYBE_MOMENT,
                            "rules": TEXTS,
                            "reasons": TEXTS,
                            "lift_reason": TEXT,
                            "examined_by": TEXT,
                            "sides": TEXTS,
                            "id": TEXT,
                        }
                    ),
                    "each hold from placed to lifted (lifted null: still in force)",
                ),
                "sessions": listing(session_schema(), "every session, oldest first"),
            }
        ),
    }


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"
