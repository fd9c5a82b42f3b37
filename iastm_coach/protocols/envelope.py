"""The limits every protocol file must respect: ONE table, two envelopes.

The **home** envelope is what a person may do to themselves without a clinician
at hand (clinical reference §2, §4 and §8e); it applies to every file that is not
signed by a clinician whose key the patient trusts. The wider **clinician** envelope
is for files that carry such a signature (`protocols/signing.py`); `envelope_for`
is the only way to it.

The model (`model.py`), the error messages (`files.py`), `protocol new`
(`template.py`), the JSON Schema and the README's limits table are all
generated from `BOUNDS`, so a limit is written down in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

Envelope = Literal["home", "clinician"]
HOME: Final[Envelope] = "home"
CLINICIAN: Final[Envelope] = "clinician"


def envelope_for(*, signature_verified: bool) -> Envelope:
    """The envelope a file is checked against. The signing work calls this with the
    result of its verification; nothing else may widen the limits."""
    return CLINICIAN if signature_verified else HOME


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def allows(self, value: Any) -> bool:
        return bool(self.low <= value <= self.high)

    def text(self, unit: str = "") -> str:
        return f"{_number(self.low)}-{_number(self.high)} {unit}".strip()

    def must(self, unit: str) -> str:
        return f"must be between {_number(self.low)} and {_number(self.high)} {unit}".strip()


@dataclass(frozen=True)
class Choices:
    values: tuple[str, ...]

    def allows(self, value: Any) -> bool:
        return value in self.values

    def text(self, unit: str = "") -> str:
        return ", ".join(self.values)

    def must(self, unit: str) -> str:
        quoted = [f"'{value}'" for value in self.values]
        listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
        return f"must be one of {listed}"


@dataclass(frozen=True)
class Bound:
    """One key's limits at home and with a clinician's signature, and where they come from."""

    key: str  # as written in the README table
    home: Range | Choices
    clinician: Range | Choices
    unit: str
    source: str

    def limit(self, envelope: Envelope) -> Range | Choices:
        return self.home if envelope == HOME else self.clinician


# Stroke types with a source (EliteLearning CE text; Brainscape notes). "swivel" has
# none and is gone. At home: the light, long strokes the reference names for self-use.
HOME_STROKES: Final = ("sweep", "fan", "brush", "frame")
CLINICIAN_STROKES: Final = (*HOME_STROKES, "j-stroke", "strum", "scan")
HOME_PRESSURES: Final = ("light", "moderate")
CLINICIAN_PRESSURES: Final = (*HOME_PRESSURES, "firm")

# field name -> its limits. Field names are unique across the protocol tables, so the
# name alone finds the bound (after_red_flag_percent has its own row).
BOUNDS: Final[dict[str, Bound]] = {
    "duration_s": Bound(
        "area.duration_s",
        Range(15, 90),
        Range(15, 180),
        "seconds",
        "home: 30-90 s per area (reference §2), per-region totals §4/§8e; "
        "clinician: up to 3 min (Myburgh 2018; Cheatham 2021 survey: 1-5 min per lesion)",
    ),
    "stroke": Bound(
        "area.stroke",
        Choices(HOME_STROKES),
        Choices(CLINICIAN_STROKES),
        "",
        "reference §2: sweep, fan, brush for self-use (frame: light, around bony points); "
        "j-stroke, strum, scan are clinic strokes (EliteLearning; Brainscape)",
    ),
    "pressure": Bound(
        "area.pressure",
        Choices(HOME_PRESSURES),
        Choices(CLINICIAN_PRESSURES),
        "",
        "reference §2: light to moderate, discomfort no more than 5/10 (Veridian)",
    ),
    "angle_deg": Bound(
        "area.angle_deg",
        Range(15, 60),
        Range(15, 90),
        "degrees",
        "reference §2: 30-60° typical, lower is more superficial; 60-90° only for "
        "clinic strokes (strum, scoop)",
    ),
    "cadence_s": Bound(
        "area.cadence_s",
        Range(1, 5),
        Range(0.5, 5),
        "seconds per stroke",
        "reference §2: slow and controlled (Veridian); 1-2 s per stroke is a conservative default",
    ),
    "strokes_before_reassess": Bound(
        "area.strokes_before_reassess",
        Range(10, 20),
        Range(10, 20),
        "strokes",
        "reference §2/§8e: 10-20 slow strokes, then pause to look at the skin and ask about "
        "discomfort (common practice, unsourced)",
    ),
    "max_session_minutes": Bound(
        "settings.max_session_minutes",
        Range(1, 10),
        Range(1, 20),
        "minutes",
        "also the total of all areas, both sides (or the one side of access.sides); home: "
        "about 8-10 min (Schaefer & Sandrey 2012; Centeno-Schultz); clinician: up to 20 min "
        "(Cheatham 2021 survey mean 14.5 min)",
    ),
    "rest_hours": Bound(
        "settings.rest_hours",
        Range(48, 336),
        Range(24, 336),
        "hours",
        "reference §2: at least 48 h between sessions on an area (Old Bridge PT; Twisted Chiro)",
    ),
    "sessions_per_week": Bound(
        "prescription.sessions_per_week",
        Range(1, 2),
        Range(1, 3),
        "sessions a week",
        "reference §2: 1-2 a week (Graston via myTrain), 2 a week 48 h apart (Old Bridge PT)",
    ),
    "course_weeks": Bound(
        "prescription.course_weeks",
        Range(1, 12),
        Range(1, 12),
        "weeks",
        "reference §2: 3-4 weeks to at least 4 weeks, 6-12 sessions (Graston; Twisted Chiro)",
    ),
    "after_red_flag_percent": Bound(
        "after_red_flag_percent",
        Range(10, 50),
        Range(10, 100),
        "percent",
        "home: never more than the 50 % default after a red-flag hold (conservative default)",
    ),
    "when_soreness_at_least": Bound(
        "dose_rule.when_soreness_at_least",
        Range(1, 5),
        Range(1, 10),
        "on the 0-10 scale",
        "home: a rule must act at 5/10 or lower, never later than the default (conservative "
        "default; 4-6 is moderate pain, Physiotherapy Canada)",
    ),
    "scale_percent": Bound(
        "dose_rule.scale_percent",
        Range(10, 70),
        Range(10, 100),
        "percent",
        "home: never less of a cut than the default 70 % (conservative default)",
    ),
    "sets": Bound("exercise.sets", Range(1, 10), Range(1, 10), "sets", "format limit"),
    "reps": Bound("exercise.reps", Range(1, 50), Range(1, 50), "repetitions", "format limit"),
    "hold_s": Bound("exercise.hold_s", Range(5, 120), Range(5, 120), "seconds", "format limit"),
}


def limit_of(field: str, envelope: Envelope) -> Range:
    """A numeric field's range in *envelope* (KeyError/TypeError for others: a bug)."""
    limit = BOUNDS[field].limit(envelope)
    if not isinstance(limit, Range):
        raise TypeError(f"{field} is not a numeric bound")
    return limit


def max_session_seconds(envelope: Envelope) -> int:
    return int(limit_of("max_session_minutes", envelope).high * 60)


def beyond_home(document: Any, where: str = "") -> list[str]:
    """Each value of a protocol *document* (its `model_dump()`) that the home envelope does
    not allow: allowed only because a trusted clinician signed the file. One line each,
    naming the key, the value and the home limit, for `protocol validate` and `sign`."""
    found: list[str] = []
    if isinstance(document, dict):
        label = f"{where}{document['name']}: " if isinstance(document.get("name"), str) else where
        for key, value in document.items():
            bound = BOUNDS.get(key)
            if bound is not None and isinstance(value, int | float | str) and value is not None:
                if not bound.home.allows(value) and bound.clinician.allows(value):
                    found.append(
                        f"{label}{bound.key} = {_shown(value)} is within the clinician limit "
                        f"only (allowed because a trusted clinician signed the file); a home "
                        f"plan uses {bound.home.text(bound.unit)} ({bound.source})"
                    )
            elif isinstance(value, list | dict):
                found.extend(beyond_home(value, where))
    elif isinstance(document, list):
        for item in document:
            found.extend(beyond_home(item, where))
    return found


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else _number(value)


def limits_table_markdown() -> str:
    """The README's limits table, generated from BOUNDS (tests/test_docs compares them)."""
    rows = [
        "| key | at home (unsigned files) | signed by a trusted clinician | source |",
        "| --- | --- | --- | --- |",
    ]
    for bound in BOUNDS.values():
        home = bound.home.text(bound.unit)
        clinician = bound.clinician.text(bound.unit)
        wider = "same" if clinician == home else clinician
        rows.append(f"| `{bound.key}` | {home} | {wider} | {bound.source} |")
    return "\n".join(rows) + "\n"
