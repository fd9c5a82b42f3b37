"""The protocol file format, as strict pydantic models.

Numeric and word limits come from one table, `envelope.BOUNDS`, with two
envelopes: the home envelope applies to every file unless the validation
context says `{"envelope": "clinician"}` (only for a verified clinician
signature, see `envelope.envelope_for`). A protocol cannot prescribe more than
its envelope allows, whoever wrote it. The JSON Schema (`iastm-coach protocol
schema`) is generated from these models and that table.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from iastm_coach.protocols.envelope import (
    BOUNDS,
    CLINICIAN_PRESSURES,
    CLINICIAN_STROKES,
    HOME,
    Choices,
    Envelope,
    Range,
    max_session_seconds,
)
from iastm_coach.safe_text import find_control_character

FORMAT_VERSION = 1

# The widest sets (clinician envelope); the home envelope is checked by `_within_envelope`.
Stroke = Literal["sweep", "fan", "brush", "frame", "j-stroke", "strum", "scan"]
Pressure = Literal["light", "moderate", "firm"]
assert set(get_args(Stroke)) == set(CLINICIAN_STROKES)
assert set(get_args(Pressure)) == set(CLINICIAN_PRESSURES)
# Body zones: holds for swelling, numbness or severe soreness concern the whole limb
# (clinical reference §8b), so every region belongs to one.
Zone = Literal["leg", "arm", "trunk"]
SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"


def envelope_of(info: ValidationInfo) -> Envelope:
    """The envelope named in the validation context; home when none is given."""
    context = info.context if isinstance(info.context, dict) else {}
    return "clinician" if context.get("envelope") == "clinician" else HOME


def _plain(value: str) -> str:
    problem = find_control_character(value)
    if problem:
        raise ValueError(f"contains a control character ({problem}); only plain text is allowed")
    return value


def _one_line(value: str) -> str:
    if "\n" in value:
        raise ValueError("must be a single line")
    return value


# Text a physio writes: plain, non-empty, bounded in length.
Line = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(_plain), AfterValidator(_one_line)
]
Paragraph = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_plain)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=40)]


def bounded(name: str, description: str, **extra: Any) -> Any:
    """A Field documented with its limits from BOUNDS (checked by `_within_envelope`)."""
    bound = BOUNDS[name]
    home, clinician = bound.home, bound.clinician
    schema: dict[str, Any] = {}
    if isinstance(home, Range) and isinstance(clinician, Range):
        schema = {"minimum": home.low, "maximum": home.high}
        if clinician != home:
            schema |= {"x-clinician-minimum": clinician.low, "x-clinician-maximum": clinician.high}
    elif isinstance(home, Choices) and isinstance(clinician, Choices):
        schema = {"enum": list(home.values)}
        if clinician != home:
            schema["x-clinician-enum"] = list(clinician.values)
    if bound.unit:
        schema["unit"] = bound.unit
    wider = "" if clinician == home else f"; with a clinician's signature {clinician.text()}"
    return Field(
        description=f"{description} (at home {home.text(bound.unit)}{wider})",
        json_schema_extra=schema,
        **extra,
    )


def _within_envelope(value: Any, info: ValidationInfo) -> Any:
    """Refuse a value outside the envelope in force, naming the limit that applies."""
    if value is None or info.field_name is None:
        return value
    envelope = envelope_of(info)
    bound = BOUNDS[info.field_name]
    limit = bound.limit(envelope)
    if limit.allows(value):
        return value
    where = "the home limit" if envelope == HOME else "the clinician limit"
    more = ""
    if envelope == HOME and bound.clinician.allows(value):
        # Say what would allow it: a clinician's signature the patient trusts, not an edit.
        more = (
            f"; a file signed by a clinician you trust may use {bound.clinician.text(bound.unit)}"
        )
    raise PydanticCustomError(
        "outside_envelope",
        "{must}, {where} (got {got}){more}",
        {"must": limit.must(bound.unit), "where": where, "got": repr(value), "more": more},
    )


def sides_a_sitting(sided: bool, sides: object = None) -> int:
    """Sides one sitting treats: both for a sided region, unless `access.sides` names
    fewer (a right-only plan treats one)."""
    if not sided:
        return 1
    return len(sides) if isinstance(sides, list) and 0 < len(sides) < 2 else 2


def total_dose_problem(
    durations: list[int], *, sides: int, max_minutes: int | None, envelope: Envelope = HOME
) -> str | None:
    """Why these areas make too long a session, or None, for *sides* treated a sitting
    (`sides_a_sitting`). Shared by the model and by the check on raw documents that lists
    it beside field errors (protocols.files)."""
    total = sum(durations) * sides
    limit = max_session_seconds(envelope)
    if max_minutes is not None and 0 < max_minutes * 60 < limit:
        limit = max_minutes * 60
    if total <= limit:
        return None
    return (
        f"areas add up to {total // 60} min {total % 60} s"
        f"{' for both sides' if sides == 2 else ''}, more than the "
        f"{limit // 60} minute session limit (settings.max_session_minutes)"
    )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def envelope_check(*fields: str) -> Any:
    """A class-level validator applying `_within_envelope` to *fields*."""
    return field_validator(*fields, mode="after")(_within_envelope)


class Issued(Strict):
    """Who prescribed this protocol, for whom, and until when it holds."""

    author: Line | None = Field(None, description="The clinician who wrote it.")
    clinic: Line | None = None
    patient: Line | None = Field(None, description="Who it is for.")
    issued_on: dt.date | None = Field(None, description="Date it was issued (TOML date).")
    review_by: dt.date | None = Field(
        None, description="After this date the program warns and asks before a session."
    )
    notes: Paragraph | None = Field(
        None, description="Notes to the patient, shown before a session."
    )

    def label(self) -> str:
        """A short 'who issued it' line."""
        who = " at ".join(part for part in (self.author, self.clinic) if part)
        return who or "a clinician"


class Access(Strict):
    self_reachable: bool = Field(
        True, description="False when a partner is needed (lower back, back of the shoulder)."
    )
    sided: bool = Field(True, description="True when the region has a left and a right side.")
    position: Paragraph = Field(description="How to sit or lie so the area is relaxed.")
    zone: Zone = Field(
        description="The body zone: 'leg', 'arm' or 'trunk'. Some holds cover the whole zone "
        "(the same side of it, for a sided region)."
    )
    sides: list[Literal["left", "right"]] | None = Field(
        None,
        min_length=1,
        max_length=2,
        description='For a sided region: the side(s) prescribed, e.g. ["right"]. '
        "Sessions treat only these. Leave it out for both.",
    )
    overlaps: list[Slug] = Field(
        default_factory=list,
        max_length=8,
        description="Regions that treat the same tissue (calf and Achilles, say): they share "
        "one rest period.",
    )
    hard_to_reach_alone: bool = Field(
        False,
        description="True when the region can be reached alone only with difficulty (the "
        "buttock, say): the session suggests help from a partner.",
    )

    @model_validator(mode="after")
    def _sides_need_a_sided_region(self) -> Access:
        if self.sides is not None:
            if not self.sided:
                raise ValueError("sides is only for a sided region (sided = true)")
            if len(set(self.sides)) != len(self.sides):
                raise ValueError("sides names a side twice")
        return self


class Settings(Strict):
    tool: Paragraph = Field(description="Tool guidance: a smooth, rounded edge, never sharp.")
    warm_up: Paragraph
    emollient: Paragraph
    rest_hours: int = bounded("rest_hours", "Hours before the same region may be treated again")
    max_session_minutes: int = bounded(
        "max_session_minutes", "Longest session, all areas and both sides together"
    )

    _envelope = envelope_check("rest_hours", "max_session_minutes")


class Area(Strict):
    name: Line
    duration_s: int = bounded("duration_s", "Time on this area, per side")
    stroke: Stroke = bounded("stroke", "Stroke type")
    direction: Line
    angle_deg: int = bounded("angle_deg", "Tool angle to the skin")
    pressure: Pressure = bounded("pressure", "Pressure")
    cadence_s: float = bounded("cadence_s", "One slow stroke every this many seconds")
    strokes_before_reassess: int = bounded(
        "strokes_before_reassess",
        "Pause after this many strokes to look at the skin and ask about discomfort",
        default=15,
    )
    cues: list[Line] = Field(min_length=1, max_length=6)
    avoid: list[Line] = Field(
        default_factory=list,
        max_length=8,
        description="Danger zones: places on the body, never conditions (those are screened).",
    )

    _envelope = envelope_check(
        "duration_s", "stroke", "angle_deg", "pressure", "cadence_s", "strokes_before_reassess"
    )

    @property
    def reassess_every_s(self) -> float:
        """Seconds of strokes between two reassess pauses (strokes times cadence)."""
        return self.strokes_before_reassess * self.cadence_s


class Exercise(Strict):
    name: Line
    sets: int = bounded("sets", "Sets")
    reps: int | None = bounded("reps", "Repetitions per set", default=None)
    hold_s: int | None = bounded("hold_s", "Hold per set", default=None)
    cue: Line

    _envelope = envelope_check("sets", "reps", "hold_s")

    @model_validator(mode="after")
    def _reps_or_hold(self) -> Exercise:
        if (self.reps is None) == (self.hold_s is None):
            raise ValueError("give exactly one of reps or hold_s")
        return self


class Outcome(Strict):
    """A self-measured test done before and after a session."""

    name: Line
    unit: Annotated[str, Field(min_length=1, max_length=20), AfterValidator(_plain)]
    how: Paragraph
    higher_is_better: bool = True
    minimal_change: float | None = Field(
        None,
        gt=0,
        le=100,
        description="Changes smaller than this (in the test's unit) are within measurement "
        "error; trend and report say so. Leave out when unknown.",
    )


class Prescription(Strict):
    sessions_per_week: int = bounded("sessions_per_week", "Sessions a week")
    course_weeks: int = bounded("course_weeks", "Length of the course")

    _envelope = envelope_check("sessions_per_week", "course_weeks")


class DoseRule(Strict):
    """A physio's scale-back rule: if soreness was high, do less next time."""

    when_soreness_at_least: int = bounded(
        "when_soreness_at_least", "Soreness at the 24 h check-in that triggers the rule"
    )
    scale_percent: int = bounded("scale_percent", "Dose next time, as a percentage")
    explain: Line

    _envelope = envelope_check("when_soreness_at_least", "scale_percent")


class TreatmentProtocol(Strict):
    """One region's protocol: what to do, how, and what to avoid."""

    format: int = Field(
        FORMAT_VERSION, ge=1, le=FORMAT_VERSION, description="Protocol file format version"
    )
    id: Slug
    title: Line
    region: Slug
    custom_region: bool = Field(
        False,
        description="True for a region iastm-coach does not know (e.g. 'knee'); give "
        "access.zone. Without it, region must be a known region id.",
    )
    aliases: list[Slug] = Field(default_factory=list, max_length=10)
    version: Annotated[str, Field(pattern=r"^\d+(\.\d+){0,2}$")]
    summary: Paragraph
    references: list[Line] = Field(min_length=1, max_length=16)
    issued: Issued | None = None
    access: Access
    settings: Settings
    area: list[Area] = Field(min_length=1, max_length=10)
    exercise: list[Exercise] = Field(default_factory=list, max_length=8)
    outcome: Outcome | None = None
    prescription: Prescription | None = None
    dose_rule: list[DoseRule] = Field(default_factory=list, max_length=5)
    after_red_flag_percent: int = bounded(
        "after_red_flag_percent",
        "Dose for the first session after a red-flag hold is cleared",
        default=50,
    )

    _envelope = envelope_check("after_red_flag_percent")

    @model_validator(mode="after")
    def _safe_total_dose(self, info: ValidationInfo) -> TreatmentProtocol:
        durations = [area.duration_s for area in self.area]
        problem = total_dose_problem(
            durations,
            sides=sides_a_sitting(self.access.sided, self.access.sides),
            max_minutes=self.settings.max_session_minutes,
            envelope=envelope_of(info),
        )
        if problem:
            raise ValueError(problem)
        names = [area.name for area in self.area]
        if len(set(names)) != len(names):
            raise ValueError("area names must be different from each other")
        return self

    def planned_seconds(self, *, sides: int = 1) -> int:
        return sum(area.duration_s for area in self.area) * sides
