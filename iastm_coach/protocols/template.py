"""`protocol new`: a readable, commented TOML protocol for a physio to adapt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import tomli_w

from iastm_coach.protocols.envelope import BOUNDS, HOME
from iastm_coach.protocols.model import TreatmentProtocol


@dataclass(frozen=True)
class IssuedFields:
    author: str | None
    clinic: str | None
    patient: str | None
    issued_on: dt.date | None
    review_by: dt.date | None


def _line(key: str, value: Any, comment: str = "") -> str:
    rendered = tomli_w.dumps({key: value}, multiline_strings=False).rstrip("\n")
    return f"{rendered}  # {comment}" if comment else rendered


def _limit(field: str) -> str:
    """The home limit (every unsigned file), as the comment beside a key."""
    bound = BOUNDS[field]
    return bound.limit(HOME).text(bound.unit)


def render_protocol_template(base: TreatmentProtocol, issued: IssuedFields) -> str:
    """The built-in `base`, rewritten with comments and an [issued] table."""
    out: list[str] = [
        f"# iastm-coach protocol for {base.region}, based on the built-in version {base.version}.",
        "# Edit freely, check with `iastm-coach protocol validate FILE`, sign with",
        "# `iastm-coach protocol sign FILE` and give the file to your patient:",
        "# `iastm-coach protocol install FILE`.",
        "# Limits are safety bounds; a file outside them is refused. Full format:",
        "# `iastm-coach protocol schema`.",
        "",
        _line("format", 1),
        _line("id", f"{base.id}-custom", "a slug: lowercase letters, digits, dashes"),
        _line("title", base.title),
        _line("region", base.region, "which built-in region this replaces"),
        _line("version", "1.0", "bump it when you change the file"),
        _line("summary", base.summary),
        _line("references", list(base.references)),
        _line(
            "after_red_flag_percent",
            base.after_red_flag_percent,
            "dose after a red-flag hold is cleared, " + _limit("after_red_flag_percent"),
        ),
        "",
        "# Who issued this protocol. Shown before each session; review_by triggers a warning.",
        "[issued]",
    ]
    for key, value in (
        ("author", issued.author),
        ("clinic", issued.clinic),
        ("patient", issued.patient),
    ):
        out.append(_line(key, value) if value else f'# {key} = ""')
    out.append(
        _line("issued_on", issued.issued_on) if issued.issued_on else "# issued_on = 2026-01-31"
    )
    out.append(
        _line("review_by", issued.review_by) if issued.review_by else "# review_by = 2026-04-30"
    )
    out += [
        '# notes = "Anything you want your patient to read before each session."',
        "",
        "[access]",
        _line("self_reachable", base.access.self_reachable, "false: a partner does the strokes"),
        _line("sided", base.access.sided, "true: left and right are treated and logged separately"),
        *(
            ['# sides = ["right"]  # a one-side plan: sessions treat only this side']
            if base.access.sided
            else []
        ),
        _line("position", base.access.position),
        _line("zone", base.access.zone, "leg, arm or trunk: some holds cover the whole zone"),
        _line("overlaps", base.access.overlaps, "regions on the same tissue share one rest period"),
        _line(
            "hard_to_reach_alone",
            base.access.hard_to_reach_alone,
            "true: the session suggests a partner's help",
        ),
        "",
        "[settings]",
        _line("tool", base.settings.tool),
        _line("warm_up", base.settings.warm_up),
        _line("emollient", base.settings.emollient),
        _line("rest_hours", base.settings.rest_hours, _limit("rest_hours")),
        _line(
            "max_session_minutes",
            base.settings.max_session_minutes,
            _limit("max_session_minutes") + ", all areas and sides together",
        ),
    ]
    if base.prescription:
        out += [
            "",
            "[prescription]",
            _line(
                "sessions_per_week",
                base.prescription.sessions_per_week,
                _limit("sessions_per_week"),
            ),
            _line("course_weeks", base.prescription.course_weeks, _limit("course_weeks")),
        ]
    for number, area in enumerate(base.area, start=1):
        out += [
            "",
            f"# Area {number}: treated in this order.",
            "[[area]]",
            _line("name", area.name),
            _line("duration_s", area.duration_s, _limit("duration_s") + ", per side"),
            _line("stroke", area.stroke, _limit("stroke")),
            _line("direction", area.direction),
            _line("angle_deg", area.angle_deg, _limit("angle_deg")),
            _line("pressure", area.pressure, _limit("pressure")),
            _line("cadence_s", area.cadence_s, _limit("cadence_s")),
            _line(
                "strokes_before_reassess",
                area.strokes_before_reassess,
                _limit("strokes_before_reassess") + ", then look at the skin, ask about discomfort",
            ),
            _line("cues", list(area.cues)),
            _line("avoid", list(area.avoid), "danger zones shown before and during the area"),
        ]
    for exercise in base.exercise:
        out += ["", "[[exercise]]", _line("name", exercise.name), _line("sets", exercise.sets)]
        if exercise.reps is not None:
            out.append(_line("reps", exercise.reps, "or hold_s for a timed hold"))
        if exercise.hold_s is not None:
            out.append(_line("hold_s", exercise.hold_s, "or reps for repetitions"))
        out.append(_line("cue", exercise.cue))
    if base.outcome:
        out += [
            "",
            "# A test the patient measures before and after sessions.",
            "[outcome]",
            _line("name", base.outcome.name),
            _line("unit", base.outcome.unit),
            _line("how", base.outcome.how),
            _line("higher_is_better", base.outcome.higher_is_better),
        ]
        if base.outcome.minimal_change is not None:
            out.append(
                _line(
                    "minimal_change",
                    base.outcome.minimal_change,
                    "smaller changes are within measurement error",
                )
            )
    out += [
        "",
        "# Scale-back rules: if soreness at the 24 h check-in reached a level, do less next time.",
    ]
    rules = base.dose_rule or []
    for rule in rules:
        out += [
            "[[dose_rule]]",
            _line(
                "when_soreness_at_least",
                rule.when_soreness_at_least,
                _limit("when_soreness_at_least"),
            ),
            _line("scale_percent", rule.scale_percent, _limit("scale_percent")),
            _line("explain", rule.explain),
        ]
    if not rules:
        out += [
            "# [[dose_rule]]",
            "# when_soreness_at_least = 5",
            "# scale_percent = 70",
            '# explain = "Soreness of 5 or more at 24 h: next session 30 % shorter per area."',
        ]
    return "\n".join(out) + "\n"
