"""The kinds of record kept in the journal, and their fields.

The journal (`journal.py`) stores generic records: a kind, a sortable id, a
schema version, the time it was written (`at`) and a table of fields. This
module is the one place that says which fields each kind has, so the session,
history, report and benchmark code agree. Every field value is TOML-friendly:
str, int, float, bool, tz-aware datetime, or lists/tables of those.

Records are never rewritten to add information; later records point at
earlier ones by id (a check-in names its session; a hold names the session or
check-in that triggered it).
"""

from __future__ import annotations

from typing import Final

SESSION: Final = "session"  # one treated side of one region (timed or logged)
CHECKIN: Final = "checkin"  # a follow-up on one session, 24/48/72 h later
SCREENING: Final = "screening"  # the checklist answers before a session (or a refusal)
HOLD: Final = "hold"  # a red flag put a region on hold
HOLD_CLEAR: Final = "hold_clear"  # the user lifted a hold, with a reason
MEASURE: Final = "measure"  # a self-measured outcome test value
EXERCISE: Final = "exercise"  # the guided exercises done after a session

KINDS: Final = (SESSION, CHECKIN, SCREENING, HOLD, HOLD_CLEAR, MEASURE, EXERCISE)

# Field reference (documented in the README's "Journal" section).
#
# session:
#   region: str               canonical region id, e.g. "calf"
#   side: str                 "left" | "right" | "none" (region without sides)
#   group: str                id shared by the sides of one sitting ("both")
#   source: str               "timer" | "log"
#   protocol_id: str
#   protocol_version: str
#   protocol_source: str      "built-in" | "installed" | "file"
#   protocol_fingerprint: str full sha256 hex of the protocol file
#   issued_by: str            "" for built-ins
#   started: datetime         tz-aware
#   ended: datetime           tz-aware
#   planned_s: int
#   actual_s: int
#   complete: bool            False when quit or interrupted
#   dose_percent: int         100 unless a dose rule scaled it
#   dose_reason: str          "" or why the dose was scaled
#   rest_override: bool       the user overrode the rest period
#   areas: list of {name: str, planned_s: int, actual_s: int,
#                   status: "done" | "skipped" | "partial" | "not-started"}
#   aftercare_answered: bool  False when the session stopped before the aftercare
#                             questions were answered (then the three below say nothing)
#   soreness: int             0-10 right after; -1 when not answered (interrupted)
#   bruising: bool
#   numbness: bool
#   note: str
#
# checkin:
#   session: str              id of the session it follows up
#   hours: int                24 | 48 | 72 (the follow-up it answers)
#   soreness: int             0-10
#   bruising: bool
#   numbness: bool
#   swelling: bool
#   worse: bool               soreness getting worse
#   note: str
#
# screening:
#   region: str
#   outcome: str              "cleared" | "stopped"
#   stopped_by: str           item id when stopped ("" otherwise); a refusal records nothing else
#   answers: table            {item_id: bool} of the questions asked (cleared only)
#   cleared_cautions: list[str]  caution items the user confirmed a clinician has cleared
#   local: list[str]          local items answered yes (work around that spot)
#   soreness_before: int      0-10 in the region before starting (4 or more stops the session)
#   first_use: table          {taught-by-physio: bool, smooth-tool: bool} on first use only
#
# hold:
#   region: str
#   rule: str                 red-flag rule id, e.g. "soreness-7"
#   reason: str               plain-language explanation
#   source: str               id of the session or check-in that triggered it
#
# hold_clear:
#   region: str
#   reason: str               the user's reason text
#
# measure:
#   region: str
#   side: str                 "left" | "right" | "none"
#   test: str                 outcome test name
#   unit: str
#   value: float
#   phase: str                "before" | "after" | "standalone"
#   session: str              session id or "" (standalone)
#
# exercise:
#   session: str              id of the (first side's) session record
#   group: str                the sitting, as in session.group
#   region: str
#   exercises: list of {name: str, sets_done: int, sets_planned: int}
#                             skipped exercises have sets_done = 0
