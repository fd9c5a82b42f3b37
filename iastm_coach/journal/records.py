"""The kinds of record kept in the journal, and their fields.

The journal (`journal.py`) stores generic records: a kind, a sortable id, a
schema version, the time it was written (`at`) and a table of fields. This
module is the one place that says which fields each kind has, so the session,
history, report and benchmark code agree. Every field value is TOML-friendly:
str, int, float, bool, tz-aware datetime, or lists/tables of those.

Records are never rewritten to add information; later records point at
earlier ones by id (a check-in names its session; a hold names the session or
check-in that triggered it).

`FIELDS` below is the field reference: one table per kind, field -> what it
holds (type, range or choices, whether every record has it, and what it
means). `reference()` prints it. `field_problems` checks a record against it;
it is plain Python (no pydantic: start-up time matters) and is only paid for
by whoever asks: the journal checks the values of the fields a record has when
it parses a month file (once per change of the file, thanks to its parse
cache), `iastm-coach journal check` also reports missing fields (errors) and
unknown fields (warnings: a newer iastm-coach may write fields this one does
not know, and they are kept).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.vocabulary import RECORDED_SIDES

if TYPE_CHECKING:
    from iastm_coach.journal.store import Record

SESSION: Final = "session"  # one treated side of one region (timed or logged)
CHECKIN: Final = "checkin"  # a follow-up on one session, 24/48/72 h later
SCREENING: Final = "screening"  # the checklist answers before a session (or a refusal)
HOLD: Final = "hold"  # a red flag put a region on hold
HOLD_CLEAR: Final = "hold_clear"  # the user lifted a hold, with a reason
MEASURE: Final = "measure"  # a self-measured outcome test value
EXERCISE: Final = "exercise"  # the guided exercises done after a session

KINDS: Final = (SESSION, CHECKIN, SCREENING, HOLD, HOLD_CLEAR, MEASURE, EXERCISE)

SIDES: Final = RECORDED_SIDES  # vocabulary.py names the sides
AREA_STATUSES: Final = ("done", "skipped", "partial", "not-started")
MEASURE_PHASES: Final = ("before", "after", "standalone")
MEASURE_BOUNDS: Final = (-100.0, 400.0)  # as measure.RANGE_BOUNDS
SCORE_BOUNDS: Final = (0.0, 10.0)  # as measure.SCORE_BOUNDS, for "0-10" units
MAX_SECONDS: Final = 86_400  # a day of strokes: more is a typo


# --- what a field may hold -----------------------------------------------------------------


class Spec:
    """What one field holds. `problem` says why a value does not fit (None when it does)."""

    __slots__ = ("doc", "essential", "required")
    holds_fields = False  # lists and tables: fields can be missing inside the value

    def __init__(self, doc: str, *, required: bool = True, essential: bool = False) -> None:
        self.doc = doc
        self.required = required  # False: some records leave it out
        # True: a record without it cannot be used at all (a hold without its region
        # would lift nothing silently), so it is damage, not a field read as a default.
        self.essential = essential

    def expected(self) -> str:
        raise NotImplementedError

    def problem(self, value: Any, missing: bool) -> str | None:
        """'must be ... (got ...)', or '[n].field: ...' inside lists and tables."""
        raise NotImplementedError

    def _wrong(self, value: Any) -> str:
        return f"must be {self.expected()} (got {shown(value)})"


class Text(Spec):
    __slots__ = ("choices", "nonempty")

    def __init__(
        self,
        doc: str,
        *,
        choices: tuple[str, ...] = (),
        nonempty: bool = False,
        required: bool = True,
        essential: bool = False,
    ) -> None:
        super().__init__(doc, required=required, essential=essential)
        self.choices = choices
        self.nonempty = nonempty

    def expected(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return "non-empty text" if self.nonempty else "text"

    def problem(self, value: Any, missing: bool) -> str | None:
        if type(value) is not str:
            return self._wrong(value)
        if self.choices:
            return None if value in self.choices else self._wrong(value)
        if self.nonempty and not value.strip():
            return self._wrong(value)
        return None


class Whole(Spec):
    __slots__ = ("choices", "high", "low")

    def __init__(
        self,
        doc: str,
        *,
        low: int | None = None,
        high: int | None = None,
        choices: tuple[int, ...] = (),
        required: bool = True,
    ) -> None:
        super().__init__(doc, required=required)
        self.low, self.high, self.choices = low, high, choices

    def expected(self) -> str:
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.low is not None and self.high is not None:
            return f"a whole number from {self.low} to {self.high}"
        if self.low is not None:
            return f"a whole number, {self.low} or more"
        return "a whole number"

    def problem(self, value: Any, missing: bool) -> str | None:
        if type(value) is not int:  # bool is not a whole number here
            return self._wrong(value)
        if self.choices:
            return None if value in self.choices else self._wrong(value)
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            return self._wrong(value)
        return None


class Number(Spec):
    __slots__ = ("high", "low")

    def __init__(self, doc: str, *, low: float, high: float, required: bool = True) -> None:
        super().__init__(doc, required=required)
        self.low, self.high = low, high

    def expected(self) -> str:
        return f"a number from {self.low:g} to {self.high:g}"

    def problem(self, value: Any, missing: bool) -> str | None:
        kind = type(value)
        if kind is not float and kind is not int:
            return self._wrong(value)
        if not self.low <= value <= self.high:  # also false for nan (the bounds are finite)
            return self._wrong(value)
        return None


class Flag(Spec):
    __slots__ = ()

    def expected(self) -> str:
        return "true or false"

    def problem(self, value: Any, missing: bool) -> str | None:
        return None if type(value) is bool else self._wrong(value)


class Moment(Spec):
    __slots__ = ()

    def expected(self) -> str:
        return "a date and time with a time zone offset"

    def problem(self, value: Any, missing: bool) -> str | None:
        if type(value) is datetime and value.tzinfo is not None:
            return None
        return self._wrong(value)


class Anything(Spec):
    __slots__ = ()

    def expected(self) -> str:
        return "any value"

    def problem(self, value: Any, missing: bool) -> str | None:
        return None


class ListOf(Spec):
    __slots__ = ("item",)
    holds_fields = True

    def __init__(self, item: Spec, doc: str, *, required: bool = True) -> None:
        super().__init__(doc, required=required)
        self.item = item

    def expected(self) -> str:
        if isinstance(self.item, Entry):
            return "a list of tables"
        if isinstance(self.item, Anything):
            return "a list"
        return f"a list of {self.item.expected()}"

    def problem(self, value: Any, missing: bool) -> str | None:
        if type(value) is not list:
            return self._wrong(value)
        for n, item in enumerate(value):
            found = self.item.problem(item, missing)
            if found is not None:
                return nested(f"[{n}]", found)
        return None


class TableOf(Spec):
    """A table whose keys are ids (any text) and whose values are all alike."""

    __slots__ = ("value",)
    holds_fields = True

    def __init__(self, value: Spec, doc: str, *, required: bool = True) -> None:
        super().__init__(doc, required=required)
        self.value = value

    def expected(self) -> str:
        return f"a table of {self.value.expected()} values"

    def problem(self, value: Any, missing: bool) -> str | None:
        if type(value) is not dict:
            return self._wrong(value)
        for key, item in value.items():
            found = self.value.problem(item, missing)
            if found is not None:
                return nested(f".{key}", found)
        return None


class Entry(Spec):
    """A table with known fields (one item of a list such as `areas`)."""

    __slots__ = ("fields", "quick")
    holds_fields = True

    def __init__(self, fields: Mapping[str, Spec], doc: str = "", *, required: bool = True) -> None:
        super().__init__(doc, required=required)
        self.fields = fields
        self.quick = tuple(_quick_check(name, spec) for name, spec in fields.items())

    def expected(self) -> str:
        return "a table {" + ", ".join(self.fields) + "}"

    def problem(self, value: Any, missing: bool) -> str | None:
        if type(value) is not dict:
            return self._wrong(value)
        for check in self.quick:
            name, spec = check[0], check[1]
            if name in value:
                if _passes(check, value[name]):
                    continue
                found = spec.problem(value[name], missing)
                if found is not None:
                    return nested(f".{name}", found)
            elif missing and spec.required:
                return f".{name}: {missing_message(spec)}"
        return None


QuickCheck = tuple[str, Spec, type | None, int, Any, Any]
_ANY, _CHOICE, _RANGE, _NONEMPTY = 0, 1, 2, 3


def _quick_check(name: str, spec: Spec) -> QuickCheck:
    """(name, spec, type, test, a, b): a value of exactly that type passes when the test
    does (any value, one of the choices *a*, from *a* to *b*, non-blank text); `spec.problem`
    says the same, more slowly, and gets every other value."""
    if isinstance(spec, Text):
        if spec.choices:
            return (name, spec, str, _CHOICE, frozenset(spec.choices), None)
        return (name, spec, str, _NONEMPTY if spec.nonempty else _ANY, None, None)
    if isinstance(spec, Whole):
        if spec.choices:
            return (name, spec, int, _CHOICE, frozenset(spec.choices), None)
        if spec.low is not None and spec.high is not None:
            return (name, spec, int, _RANGE, spec.low, spec.high)
    if isinstance(spec, Flag):
        return (name, spec, bool, _ANY, None, None)
    return (name, spec, None, _ANY, None, None)


def _passes(check: QuickCheck, value: Any) -> bool:
    _, _, quick_type, test, a, b = check
    if type(value) is not quick_type:
        return False
    if test == _ANY:
        return True
    if test == _CHOICE:
        return value in a
    if test == _RANGE:
        return bool(a <= value <= b)
    return bool(str(value).strip())


def nested(where: str, found: str) -> str:
    """'[2]' + 'must be ...' -> '[2]: must be ...'; '[2]' + '.status: ...' -> '[2].status: ...'."""
    return where + found if found.startswith((".", "[")) else f"{where}: {found}"


def missing_message(spec: Spec) -> str:
    return f"is missing (it must be {spec.expected()})"


def shown(value: Any) -> str:
    """A value as the TOML file spells it, shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


# --- the field reference ---------------------------------------------------------------------

FieldTable = Mapping[str, Spec]

_REGION: Final = 'canonical region id, e.g. "calf"'
_HELD_REGION: Final = _REGION + "; without it the record is damage (it would hold or lift nothing)"

SESSION_FIELDS: Final[FieldTable] = {
    "region": Text(_REGION, nonempty=True),
    "side": Text("the treated side; none for a region without sides", choices=SIDES),
    "group": Text('id shared by the sides of one sitting, e.g. "g20260113072522a1b2"'),
    "source": Text("timer: a guided session; log: recorded afterwards", choices=("timer", "log")),
    "protocol_id": Text("the protocol's id"),
    "protocol_version": Text("the protocol's version"),
    "protocol_source": Text(
        "where the protocol came from", choices=("built-in", "installed", "file")
    ),
    "protocol_fingerprint": Text("full sha256 hex of the protocol file"),
    "issued_by": Text('the clinician who issued the protocol; "" for built-ins'),
    "protocol_signature": Text(
        'the protocol file\'s signature: trusted, unknown-key or unsigned; "" for built-ins',
        choices=("", "trusted", "unknown-key", "unsigned"),
        required=False,
    ),
    "signed_by": Text('the trusted clinician who signed the file; "" if none', required=False),
    "signing_key": Text(
        "the SHA256:... fingerprint of the key that signed the file (signed files only)",
        required=False,
    ),
    "signed_here": Flag(
        "signed with a key made by `protocol keygen` on the computer that wrote the journal",
        required=False,
    ),
    "started": Moment("when the strokes started"),
    "ended": Moment("when the session ended"),
    "planned_s": Whole("seconds of strokes planned", low=0, high=MAX_SECONDS),
    "actual_s": Whole("seconds of strokes done", low=0, high=MAX_SECONDS),
    "complete": Flag("false when quit or interrupted"),
    "dose_percent": Whole("100 unless a dose rule scaled it", low=0, high=100),
    "dose_reason": Text('"" or why the dose was scaled'),
    "rest_override": Flag("the user overrode the rest period"),
    "areas": ListOf(
        Entry(
            {
                "name": Text("the area"),
                "planned_s": Whole("seconds planned", low=0, high=MAX_SECONDS),
                "actual_s": Whole("seconds done", low=0, high=MAX_SECONDS),
                "status": Text("how it went", choices=AREA_STATUSES),
            }
        ),
        "one table per area of this side, in order; empty for a logged session",
    ),
    "aftercare_answered": Flag(
        "false when the session stopped before the aftercare questions were answered "
        "(then soreness is -1 and bruising and numbness say nothing); logged sessions "
        "leave it out (their answers are given on the command line)",
        required=False,
    ),
    "exercises": ListOf(
        Anything(""),
        "written empty by `log`; a sitting's exercises are `exercise` records",
        required=False,
    ),
    "soreness": Whole("0-10 right after; -1 when not answered (interrupted)", low=-1, high=10),
    "bruising": Flag("bruising beyond redness, right after"),
    "numbness": Flag("numbness or tingling, right after"),
    "note": Text("the user's note"),
    "overrides": ListOf(
        Entry(
            {
                "rule": Text('the limit overridden, e.g. "rest" or "course-review"'),
                "detail": Text("what was overridden, and on whose word"),
            }
        ),
        "every override of a safety limit for this session (shown to the physio)",
        required=False,
    ),
    "baseline": Whole(
        "the person's usual soreness for the region when the session started (0-10): "
        "recorded at first use, updated from settled follow-up answers",
        low=0,
        high=10,
        required=False,
    ),
    "clock_set": Flag(
        "true when IASTM_COACH_NOW set the clock (a demo or a test: the times are not real); "
        "left out otherwise",
        required=False,
    ),
    "adjustments": ListOf(
        Text(""),
        "what changed the plan today and how: a cleared caution or the age band, e.g. "
        '"osteoporosis (cleared by a clinician): light pressure at most, 70 % of the usual '
        'time, a skin check instead of the discomfort cue"',
        required=False,
    ),
    "weakness": Flag("weakness in or below the area, right after", required=False),
    "swelling": Flag("swelling, right after", required=False),
    "skin_broken": Flag("broken or grazed skin, right after", required=False),
    "dizziness": Flag("dizziness or feeling faint, right after", required=False),
    "stop_reason": Text(
        "why a session was stopped early: sharp-pain, numbness, dizziness, too-sore, other, "
        'discomfort-7 (at an area break), or "" (finished, or not answered)',
        choices=("", "sharp-pain", "numbness", "dizziness", "too-sore", "other", "discomfort-7"),
        required=False,
    ),
}

CHECKIN_FIELDS: Final[FieldTable] = {
    "session": Text("id of the session it follows up", nonempty=True),
    "hours": Whole(
        'the follow-up it answers (120: the day 5-7 "has it settled?")',
        choices=(24, 48, 72, 120),
    ),
    "soreness": Whole("soreness of the treated area now", low=0, high=10),
    # A warning sign not asked (the check-in was interrupted, or answered with options
    # away from a terminal) is left out and named in `not_asked`: unknown, not "no".
    "bruising": Flag("bruising beyond redness", required=False),
    "numbness": Flag("numbness or tingling", required=False),
    "swelling": Flag("swelling", required=False),
    "worse": Flag("soreness getting worse", required=False),
    "note": Text("the user's note"),
    "not_asked": ListOf(
        Text(""), "the warning signs left out because they were not asked", required=False
    ),
    "corrects": Text(
        "id of the earlier answer to the same follow-up that this one corrects (both are "
        "kept; the newest counts)",
        required=False,
    ),
}

SCREENING_FIELDS: Final[FieldTable] = {
    "region": Text(_REGION, nonempty=True),
    "outcome": Text("whether the session could go ahead", choices=("cleared", "stopped")),
    "stopped_by": Text(
        'the item id that stopped it ("soreness-before" for soreness of 4 or more); "" when '
        "cleared. A refusal records region, outcome and stopped_by only"
    ),
    "answers": TableOf(
        Flag(""),
        "{item id: yes/no} of the checklist questions asked (cleared only)",
        required=False,
    ),
    "cleared_cautions": ListOf(
        Text(""),
        "caution item ids a clinician has cleared, as the user confirmed",
        required=False,
    ),
    "local": ListOf(
        Text(""), "local item ids answered yes (work around that spot)", required=False
    ),
    "soreness_before": Whole(
        "0-10 in the region before starting (4 or more stops the session)",
        low=0,
        high=10,
        required=False,
    ),
    "first_use": TableOf(
        Flag(""),
        '{"taught-by-physio": yes/no, "smooth-tool": yes/no}: first-use questions asked '
        "(the tool's edge before every session)",
        required=False,
    ),
    "age_band": Text(
        'the age band given at first use (e.g. "adult", "over-65"); never the age itself',
        required=False,
    ),
}

HOLD_FIELDS: Final[FieldTable] = {
    "region": Text(_HELD_REGION, nonempty=True, essential=True),
    "rule": Text('red-flag rule id, e.g. "soreness-7"'),
    "reason": Text("plain-language explanation"),
    "source": Text("id of the session or check-in that triggered it"),
    "side": Text(
        "the side the flag concerns (it decides which other regions of the limb it stops); "
        "older records leave it out, which counts as every side",
        choices=SIDES,
        required=False,
    ),
}

HOLD_CLEAR_FIELDS: Final[FieldTable] = {
    "region": Text(_HELD_REGION, nonempty=True, essential=True),
    "reason": Text("the user's reason for lifting the hold"),
    "examined_by": Text(
        "the clinician who examined the area (required for serious signs: swelling, "
        "numbness, bruising, severe soreness)",
        required=False,
    ),
    "lifts": ListOf(
        Text(""),
        "ids of the hold records it lifts (every hold on the region when it was written), so "
        "that no clock can make it lift a later one; a clear without it (older journals) "
        "lifts the holds written before it",
        required=False,
    ),
}

MEASURE_FIELDS: Final[FieldTable] = {
    "region": Text(_REGION, nonempty=True),
    "side": Text("the side measured", choices=SIDES),
    "test": Text("outcome test name", nonempty=True),
    "unit": Text('e.g. "cm", "degrees"; a unit with "0-10" is a 0-10 score', nonempty=True),
    "value": Number(
        "the measured value (0 to 10 for a 0-10 score)",
        low=MEASURE_BOUNDS[0],
        high=MEASURE_BOUNDS[1],
    ),
    "phase": Text("before or after a session's strokes, or on its own", choices=MEASURE_PHASES),
    "session": Text('the session\'s id, or "" for a standalone measure'),
}

EXERCISE_FIELDS: Final[FieldTable] = {
    "session": Text("id of the (first side's) session record"),
    "group": Text("the sitting, as in session.group"),
    "region": Text(_REGION, nonempty=True),
    "exercises": ListOf(
        Entry(
            {
                "name": Text("the exercise"),
                "sets_done": Whole("sets done (0: skipped)", low=0),
                "sets_planned": Whole("sets prescribed", low=0),
            }
        ),
        "the exercises offered, in order",
    ),
    "declined": Flag(
        "true when the person declined the guided exercises (then every exercise has 0 sets "
        "done): the sitting counts as one without exercises",
        required=False,
    ),
    "source": Text(
        'left out after a session; "log" for exercises logged on their own day '
        "(`iastm-coach exercises REGION`)",
        choices=("log",),
        required=False,
    ),
}

FIELDS: Final[Mapping[str, FieldTable]] = {
    SESSION: SESSION_FIELDS,
    CHECKIN: CHECKIN_FIELDS,
    SCREENING: SCREENING_FIELDS,
    HOLD: HOLD_FIELDS,
    HOLD_CLEAR: HOLD_CLEAR_FIELDS,
    MEASURE: MEASURE_FIELDS,
    EXERCISE: EXERCISE_FIELDS,
}
"""Field reference: kind -> field -> Spec. `id`, `at` and `schema` belong to every record."""


def _is_score(unit: str) -> bool:
    """As measure.is_score: a unit naming a 0-10 scale."""
    compact = unit.replace(" ", "").replace("\u2013", "-").replace("\u2014", "-")
    return "0-10" in compact


def _measure_score(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A 0-10 score's value must be from 0 to 10 (other units: `MEASURE_BOUNDS`)."""
    unit, value = data.get("unit"), data.get("value")
    if not isinstance(unit, str) or not _is_score(unit):
        return []
    if not isinstance(value, int | float) or isinstance(value, bool):
        return []
    low, high = SCORE_BOUNDS
    if low <= value <= high:
        return []
    return [("value", f"must be from {low:g} to {high:g} for a 0-10 score (got {value!r})")]


_ACROSS_FIELDS: Final = {MEASURE: _measure_score}


# --- checking --------------------------------------------------------------------------------


class FieldProblem:
    """One field of a record that does not fit `FIELDS`.

    Three sorts, and every reader treats each the same way (`journal check` included):
    a wrong value is damage (reading stops with exit 4; `journal repair` moves the
    record aside); an essential field that is absent is damage too, but repair leaves
    the record for a fix by hand (moving a hold aside would lift it); any other absent
    field (`missing`) is read with its default, and `journal check` warns.
    """

    __slots__ = ("field", "incomplete", "message", "missing")

    def __init__(self, field: str, message: str, missing: bool, incomplete: bool = False) -> None:
        self.field = field  # the top-level field, e.g. "areas" for "areas[2].status: ..."
        self.message = message  # "soreness: must be a whole number from -1 to 10 (got 15)"
        self.missing = missing  # only absent fields (the values there can still be read)
        self.incomplete = incomplete  # an essential field is absent: damage, fixed by hand

    @property
    def stops_reading(self) -> bool:
        return not self.missing

    def __repr__(self) -> str:
        return (
            f"FieldProblem({self.field!r}, {self.message!r}, {self.missing!r}, {self.incomplete!r})"
        )


_QUICK: Final[Mapping[str, tuple[QuickCheck, ...]]] = {
    kind: tuple(_quick_check(name, spec) for name, spec in table.items())
    for kind, table in FIELDS.items()
}


# --- the reader's checks, in the pass that shares the values ---------------------------------
# `format.rows_from_text` checks the values of a record while it copies them for the cache
# (one walk, not three). These say how, for the shapes the journal writes: each accepts only
# values `Spec.problem` accepts, and a record with any value none of them accepts (or a
# field without one) is checked by `problems_by_field` instead, which has the last word.

(
    READ_TEXT,  # a text
    READ_NONEMPTY,  # a non-blank text
    READ_CHOICE,  # a text among a (a frozenset)
    READ_WHOLE,  # an int from a to b (infinite when unbounded)
    READ_WHOLE_CHOICE,  # an int among a (a frozenset)
    READ_NUMBER,  # an int or float from a to b
    READ_FLAG,  # a bool
    READ_MOMENT,  # an aware datetime
    READ_ENTRIES,  # a list of tables whose fields are checked by a (name -> ReadCheck)
    READ_TEXTS,  # a list of texts
    READ_LIST,  # a list of anything
    READ_FLAGS,  # a table of bools
) = range(12)

ReadCheck = tuple[str, int, Any, Any]
"""(field name, interned; one of the READ_ tests; its bounds or choices a and b)."""


def read_check(name: str, spec: Spec) -> ReadCheck | None:
    """How the reader checks the field *name* holding *spec*; None: by `problems_by_field`."""
    name = sys.intern(name)  # the key of every record read: shared like the cache's texts
    if isinstance(spec, Text):
        if spec.choices:
            return (name, READ_CHOICE, frozenset(spec.choices), None)
        return (name, READ_NONEMPTY if spec.nonempty else READ_TEXT, None, None)
    if isinstance(spec, Whole):
        if spec.choices:
            return (name, READ_WHOLE_CHOICE, frozenset(spec.choices), None)
        low = -math.inf if spec.low is None else spec.low
        return (name, READ_WHOLE, low, math.inf if spec.high is None else spec.high)
    if isinstance(spec, Number):
        return (name, READ_NUMBER, spec.low, spec.high)
    if isinstance(spec, Flag):
        return (name, READ_FLAG, None, None)
    if isinstance(spec, Moment):
        return (name, READ_MOMENT, None, None)
    if isinstance(spec, ListOf):
        item = spec.item
        if isinstance(item, Entry):
            inner = [read_check(n, s) for n, s in item.fields.items()]
            if all(check is not None for check in inner):
                return (name, READ_ENTRIES, {check[0]: check for check in inner if check}, None)
        elif isinstance(item, Anything):
            return (name, READ_LIST, None, None)
        elif type(item) is Text and not item.choices and not item.nonempty:
            return (name, READ_TEXTS, None, None)
    if isinstance(spec, TableOf) and isinstance(spec.value, Flag):
        return (name, READ_FLAGS, None, None)
    return None


@dataclass(frozen=True, slots=True)
class Reader:
    """What the reader checks in a record of one kind: *checks* by field name, the fields
    *unchecked* there (`problems_by_field` checks a record with any), the *essential*
    fields, and a check *across* fields, if the kind has one."""

    checks: Mapping[str, ReadCheck]
    unchecked: frozenset[str]
    essential: tuple[str, ...]
    across: Callable[[Mapping[str, Any]], list[tuple[str, str]]] | None


READERS: Final[Mapping[str, Reader]] = {
    kind: Reader(
        {name: check for name, spec in table.items() if (check := read_check(name, spec))},
        frozenset(name for name, spec in table.items() if read_check(name, spec) is None),
        tuple(name for name, spec in table.items() if spec.essential),
        _ACROSS_FIELDS.get(kind),
    )
    for kind, table in FIELDS.items()
}


def problems_by_field(
    kind: str, data: Mapping[str, Any], *, missing: bool = True
) -> list[FieldProblem]:
    """Each documented field of *data* that is wrong, in the order of `FIELDS`.

    Wrong values and absent essential fields are always problems (they stop
    reading); with *missing* (the default) any other required field that is
    absent is one too (`.missing`: it is read with a default). Unknown kinds and
    unknown fields are not problems here: see `unknown_fields`.
    """
    table = _QUICK.get(kind)
    if table is None:
        return []
    found: list[FieldProblem] = []
    for check in table:
        name, spec = check[0], check[1]
        if name in data:
            value = data[name]
            # The common case without a call (`journal check` does this for every record):
            # a value of the one type a field holds, inside its range or choices.
            if type(value) is check[2]:
                test = check[3]
                if (
                    test == _ANY
                    or (test == _CHOICE and value in check[4])
                    or (test == _RANGE and check[4] <= value <= check[5])
                    or (test == _NONEMPTY and str(value).strip())
                ):
                    continue
            # A wrong value is named first, whatever else is absent inside it.
            problem = spec.problem(value, False)
            if problem is not None:
                found.append(FieldProblem(name, nested(name, problem), False))
            elif missing and spec.holds_fields:
                problem = spec.problem(value, True)
                if problem is not None:
                    found.append(FieldProblem(name, nested(name, problem), True))
        elif spec.essential:
            found.append(FieldProblem(name, f"{name}: {missing_message(spec)}", False, True))
        elif missing and spec.required:
            found.append(FieldProblem(name, f"{name}: {missing_message(spec)}", True))
    cross = _ACROSS_FIELDS.get(kind)
    if cross is not None and all(problem.missing for problem in found):
        found.extend(
            FieldProblem(name, f"{name}: {problem}", False) for name, problem in cross(data)
        )
    return found


def field_problems(kind: str, data: Mapping[str, Any], *, missing: bool = True) -> list[str]:
    """Why the fields of a *kind* record do not fit `FIELDS`, e.g.
    'soreness: must be a whole number from -1 to 10 (got 15)'; [] when they do.

    Checks types, ranges and choices of the documented fields and, with
    *missing*, that the required ones are there. Unknown fields are allowed
    (`unknown_fields` lists them); an unknown kind has no problems.
    """
    return [problem.message for problem in problems_by_field(kind, data, missing=missing)]


def unknown_fields(kind: str, data: Mapping[str, Any]) -> list[str]:
    """The fields of *data* that `FIELDS` does not list for *kind* (all of them for an
    unknown kind is not reported: the caller says the kind is unknown)."""
    table = FIELDS.get(kind)
    if table is None:
        return []
    return [name for name in data if name not in table]


def reference() -> str:
    """The field reference as text, one block per kind."""
    lines: list[str] = []
    for kind, table in FIELDS.items():
        lines.append(f"{kind}:")
        for name, spec in table.items():
            optional = "" if spec.required else " (optional)"
            lines.append(f"  {name}: {spec.expected()}{optional} - {spec.doc}")
            if isinstance(spec, ListOf) and isinstance(spec.item, Entry):
                for inner, inner_spec in spec.item.fields.items():
                    lines.append(f"      {inner}: {inner_spec.expected()} - {inner_spec.doc}")
        lines.append("")
    return "\n".join(lines)


# --- when a session started and ended (read at start-up by history: here, not in
# sessions.py, whose builder and its dataclass only the writers need) ---------------


def session_start(record: Record) -> datetime:
    """When the strokes started (the time written, for a record without `started`)."""
    value = record.data.get("started")
    return value if isinstance(value, datetime) else record.at


def session_end(record: Record) -> datetime:
    """When the session ended: the follow-up clock and the rest period start here."""
    value = record.data.get("ended")
    return value if isinstance(value, datetime) else record.at
