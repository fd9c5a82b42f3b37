"""The protocol file format, as strict pydantic models.

Bounds are clinical safety limits taken from the clinical reference (see the
README's "Protocol file" section): a protocol cannot prescribe an unsafe dose,
whoever wrote it. The JSON Schema (`iastm-coach protocol schema`) is generated
from these models, so the limits are documented in one place.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from iastm_coach.safe_text import find_control_character

FORMAT_VERSION = 1

# field name -> (lowest, highest, unit): used for the JSON Schema and for
# "must be between 15 and 180 seconds (got 600)" messages.
BOUNDS: dict[str, tuple[float, float, str]] = {
    "duration_s": (15, 180, "seconds"),
    "angle_deg": (15, 90, "degrees"),
    "cadence_s": (0.5, 5, "seconds per stroke"),
    "rest_hours": (24, 336, "hours"),
    "max_session_minutes": (1, 20, "minutes"),
    "sets": (1, 10, "sets"),
    "reps": (1, 50, "repetitions"),
    "hold_s": (5, 120, "seconds"),
    "sessions_per_week": (1, 3, "sessions a week"),
    "course_weeks": (1, 12, "weeks"),
    "format": (1, FORMAT_VERSION, ""),
    "when_soreness_at_least": (1, 10, "on the 0-10 scale"),
    "scale_percent": (10, 100, "percent"),
}

MAX_SESSION_SECONDS = 20 * 60

Stroke = Literal["sweep", "fan", "brush", "j-stroke", "swivel", "strum", "scan", "frame"]
Pressure = Literal["light", "moderate", "firm"]
# Body zones: holds for swelling, numbness or severe soreness concern the whole limb
# (clinical reference §8b), so every region belongs to one.
Zone = Literal["leg", "arm", "trunk"]
SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"


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
    """A Field carrying the safety bounds registered in BOUNDS."""
    low, high, unit = BOUNDS[name]
    return Field(
        ge=low,
        le=high,
        description=f"{description} ({low}-{high} {unit})".replace(" )", ")"),
        json_schema_extra={"unit": unit} if unit else None,
        **extra,
    )


def total_dose_problem(durations: list[int], *, sided: bool, max_minutes: int | None) -> str | None:
    """Why these areas make too long a session, or None. Shared by the model and by the
    check on raw documents that lists it beside field errors (protocol_io)."""
    sides = 2 if sided else 1
    total = sum(durations) * sides
    limit = MAX_SESSION_SECONDS
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


class Area(Strict):
    name: Line
    duration_s: int = bounded("duration_s", "Time on this area, per side")
    stroke: Stroke
    direction: Line
    angle_deg: int = bounded("angle_deg", "Tool angle to the skin")
    pressure: Pressure
    cadence_s: float = bounded("cadence_s", "One slow stroke every this many seconds")
    cues: list[Line] = Field(min_length=1, max_length=6)
    avoid: list[Line] = Field(default_factory=list, max_length=8, description="Danger zones.")


class Exercise(Strict):
    name: Line
    sets: int = bounded("sets", "Sets")
    reps: int | None = bounded("reps", "Repetitions per set", default=None)
    hold_s: int | None = bounded("hold_s", "Hold per set", default=None)
    cue: Line

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


class Prescription(Strict):
    sessions_per_week: int = bounded("sessions_per_week", "Sessions a week")
    course_weeks: int = bounded("course_weeks", "Length of the course")


class DoseRule(Strict):
    """A physio's scale-back rule: if soreness was high, do less next time."""

    when_soreness_at_least: int = bounded(
        "when_soreness_at_least", "Soreness at the 24 h check-in that triggers the rule"
    )
    scale_percent: int = bounded("scale_percent", "Dose next time, as a percentage")
    explain: Line


class TreatmentProtocol(Strict):
    """One region's protocol: what to do, how, and what to avoid."""

    format: int = bounded("format", "Protocol file format version", default=FORMAT_VERSION)
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
    references: list[Line] = Field(min_length=1, max_length=12)
    issued: Issued | None = None
    access: Access
    settings: Settings
    area: list[Area] = Field(min_length=1, max_length=10)
    exercise: list[Exercise] = Field(default_factory=list, max_length=8)
    outcome: Outcome | None = None
    prescription: Prescription | None = None
    dose_rule: list[DoseRule] = Field(default_factory=list, max_length=5)
    after_red_flag_percent: int = bounded(
        "scale_percent", "Dose for the first session after a red-flag hold is cleared", default=50
    )

    @model_validator(mode="after")
    def _safe_total_dose(self) -> TreatmentProtocol:
        durations = [area.duration_s for area in self.area]
        problem = total_dose_problem(
            durations, sided=self.access.sided, max_minutes=self.settings.max_session_minutes
        )
        if problem:
            raise ValueError(problem)
        names = [area.name for area in self.area]
        if len(set(names)) != len(names):
            raise ValueError("area names must be different from each other")
        return self

    def planned_seconds(self, *, sides: int = 1) -> int:
        return sum(area.duration_s for area in self.area) * sides
