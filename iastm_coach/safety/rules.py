"""Every safety rule in one table: what triggers it, what happens, and how it is lifted.

The README's "Safety rules" table is `rules_table_markdown()`, word for word (a test
checks it). The red-flag rows come from `redflags.RULES`, the reach of a hold from
`zones`, and the numbers from the modules that apply them, so the table cannot drift
from the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from iastm_coach.history import followups
from iastm_coach.safety import course, redflags, rest, running, zones


@dataclass(frozen=True)
class SafetyRule:
    id: str
    trigger: str
    consequence: str
    lifted: str
    basis: str  # the clinical reference section, or "conservative default"


def _hold_consequence(rule: str) -> str:
    reach = {
        "both-legs": "every leg region on both legs (a possible clot)",
        "zone": "every region of the same zone (leg, arm or trunk) on that side",
        "tissue": "the overlapping regions on that side (same tissue)",
    }[zones.hold_reach(rule, "leg" if rule == "swelling" else "")]
    also = ""
    if rule == "swelling":
        also = (
            "; in an arm or the trunk, every region of that zone on that side; a leg "
            "swelling leads with same-day medical care advice, repeated wherever the hold is shown"
        )
    named = sorted(s.region for s in redflags.REGION_SIGNS.values() if rule in s.rules)
    if named:
        also = (
            f"; on the {' or '.join(named)} the advice leads with that region's emergency "
            "signs (§8d), repeated wherever the hold is shown"
        )
    return f"hold on the region, and on {reach}{also}"


def _red_flag_rows() -> list[SafetyRule]:
    rows = []
    for rule in redflags.RULES.values():
        lifted = redflags.SERIOUS_LIFT if rule.serious else redflags.PLAIN_LIFT
        basis = rule.source.replace("Clinical reference ", "")
        rows.append(SafetyRule(rule.id, rule.when, _hold_consequence(rule.id), lifted, basis))
    return rows


CAP: Final = rest.DAILY_CAP_MINUTES
FLOOR: Final = int(rest.REST_FLOOR.total_seconds() // 3600)
STALE: Final = int(running.STALE_AFTER.total_seconds() // 3600)
TOLERANCE: Final = int(rest.ROUTINE_TOLERANCE.total_seconds() // 3600)
REASSESS_S: Final = 5  # session/timer.py REASSESS_S (tests/safety/test_rules.py)
RECHECK_DAYS: Final = 30  # data/contraindications.toml `recheck_days` (tests/safety/test_rules.py)


def _session_rows() -> list[SafetyRule]:
    return [
        SafetyRule(
            "rest",
            "the region, or an overlapping region on a side treated now, was treated less "
            f"than the protocol's rest period ago, less up to {TOLERANCE} h for a "
            f"same-time-of-day routine (never under {FLOOR} h)",
            "session refused (exit 3) with the time left",
            "wait; or `--override-rest` (next rows)",
            "§2: at least 48 h between sessions on an area; §8b: overlapping regions treat "
            f"the same tissue; the {TOLERANCE} h routine tolerance is a usability tolerance, "
            "not a conservative default: it loosens the sourced 48 h a little, reading the "
            "sources' '48 h between sessions' as two days apart at the same time of day, "
            f"and never goes under the {FLOOR} h floor",
        ),
        SafetyRule(
            "override-floor",
            f"`--override-rest` less than {FLOOR} h after that session",
            "refused, override or not",
            f"wait until {FLOOR} h have passed",
            "the protocol format's shortest rest (24 h); conservative default",
        ),
        SafetyRule(
            "override-once",
            "`--override-rest` right after a session that was itself early",
            "refused: the early session's rest is waited in full",
            "wait for the full rest period",
            "conservative default",
        ),
        SafetyRule(
            "override-clinician",
            "`--override-rest` past the floor",
            f"asks '{rest.CLINICIAN_QUESTION}' (default no: refused); a yes is recorded in "
            "the session's `overrides` for the physio's report",
            "yes, or `--clinician-said-sooner` for scripts",
            "conservative default: only a clinician shortens the rest",
        ),
        SafetyRule(
            "week",
            "the prescription's sessions a week are done (Monday to Sunday; a sitting of "
            "both sides counts once)",
            "session refused; no option overrides it",
            "next week, or a protocol from your clinician that prescribes more",
            "§2: 1-2 sessions a week",
        ),
        SafetyRule(
            "daily-cap",
            f"the session would take the day's strokes, all regions together, over {CAP} min",
            "session refused, saying how much is left today",
            "tomorrow",
            "§2: sessions of 8-10 min, at most 10-15; §8e: clinicians' mean total 14.5 min",
        ),
        SafetyRule(
            "follow-up-first",
            "a follow-up of the last sitting of the region (or of an overlapping region on "
            "that side) is due",
            "the session asks it first (the check-in's questions; a red flag holds); its "
            "soreness, of the same region and every side treated now, is also the soreness "
            "before the session (not asked twice)",
            "answering it",
            "§8a: soreness peaks at 24-48 h; conservative default",
        ),
        SafetyRule(
            "not-settled-yet",
            f"the latest follow-up answer of that sitting is {followups.UNSETTLED} or more, "
            f"or from 72 h on more than {followups.SETTLED_MARGIN} point above the usual "
            "level",
            "session refused; `today` lists the region under Waiting",
            "a later follow-up below that",
            "§7: 4-6 is moderate pain; §8a: past about 3 days is outside the expected curve",
        ),
        SafetyRule(
            "missed-follow-up",
            "a needed follow-up of that sitting was never answered",
            "the next session runs at 70 % (never read as 'no soreness')",
            "the session after a fully answered sitting",
            "conservative default",
        ),
        SafetyRule(
            "soreness-dose",
            "the highest follow-up soreness of that sitting was 5 or more (or a protocol "
            "`dose_rule` matched)",
            "the next session runs at 70 % (or the rule's percentage)",
            "the session after a calm sitting",
            "conservative default (no sourced scale-back rule)",
        ),
        SafetyRule(
            "after-hold",
            "the first session after a hold was lifted, of the held region and of every "
            "region the hold reached (a leg swelling on the calf: the Achilles, shin, ... too)",
            "runs at the protocol's `after_red_flag_percent` (50 % unless set)",
            "the session after it",
            "conservative default",
        ),
        SafetyRule(
            "soreness-before",
            "soreness before starting is 4 or more, or more than 2 points above the usual "
            "level for the region",
            "session refused (recorded as a refused screening)",
            "let it settle",
            "§7: skip if 4 or more, or more than 2 above baseline (derived)",
        ),
        SafetyRule(
            "cleared-caution",
            "a caution (osteoporosis, diabetes, numbness, fragile skin, a device, ...) "
            "answered yes and cleared, in your word, by the clinician it names",
            "the item's `if_cleared`: a pressure cap, a dose percentage (with the other dose "
            "rules: the lowest wins), a skin check every 10-15 strokes instead of the "
            "'discomfort 5/10' cue, and for one place the skip-areas step; shown on the "
            "get-ready screen and in the timer, kept in the session's `adjustments`",
            "a later screening without it (lasting items come back every "
            f"{RECHECK_DAYS} days, or after 'anything changed?')",
            "§8e: people who cannot feel the area or bruise easily cannot use the pain cue; "
            "the numbers per item in data/contraindications.toml (mostly conservative "
            "defaults)",
        ),
        SafetyRule(
            "age-band",
            "the age given once at first use (only its band is kept)",
            "under 16: session refused; 65 and over: light pressure on every area",
            "none (the band is kept)",
            "§8c: heel pain in children, fragile skin and bones with age; the ages are "
            "conservative defaults",
        ),
        SafetyRule(
            "local-spot",
            "a spot to work around today (a wound, a bruise, a flare, veins, a tattoo, ...)",
            "every area's danger zones name it; the skip-areas step is offered",
            "the next screening without it",
            "§1c: treat around the area, never over it",
        ),
        SafetyRule(
            "screening-recheck",
            "a lasting item last answered more than "
            f"{RECHECK_DAYS} days ago: about you from any region, about a site for this "
            "region; or 'Has anything changed in your health or medicines?' answered yes",
            "the item is asked again before the session",
            "answering it",
            "conservative default (site-level answers are per region: issue 10)",
        ),
        SafetyRule(
            "reassess",
            "every area's `strokes_before_reassess` strokes (at most 15 with a skin check)",
            f"the timer pauses {REASSESS_S} s with a bell: look at the skin, how is "
            "the discomfort?",
            "the pause ends by itself",
            "§2/§8e: 10-20 strokes, then reassess (common practice, unsourced)",
        ),
        SafetyRule(
            "area-break-check",
            "at each break between areas: discomfort 7 or more, sharp pain, or tingling "
            "(one key; one line in plain mode)",
            "the session ends there and the region goes on hold (`soreness-7`, `sharp-pain` "
            "or `numbness`)",
            "as that hold",
            "§7: stop at 7 or more, or when it is sharp or radiating (derived)",
        ),
        SafetyRule(
            "stopped-early",
            "a session stopped early (q or Ctrl-C)",
            "asks why; sharp or spreading pain, tingling or numbness, dizziness or feeling "
            "faint, or too sore puts the region on hold with advice (`sharp-pain`, "
            "`numbness`, `dizziness`, `stopped-sore`); kept as the session's `stop_reason`",
            "as that hold",
            "§3: these are red flags (Veridian [blog])",
        ),
        SafetyRule(
            "smooth-tool",
            "the tool's edge is not smooth and rounded (asked before every session)",
            "session refused",
            "a smooth tool",
            "§8f: check the edge before every session",
        ),
        SafetyRule(
            "follow-up-72h",
            "the latest answer up to 48 h is above the usual level, or 'getting worse'",
            "a 72 h follow-up is needed",
            "answering it",
            "§8a: soreness should be falling by 72 h",
        ),
        SafetyRule(
            "follow-up-day-5",
            "the 72 h answer is above the usual level, or 'getting worse'",
            "a day 5-7 'has it settled?' follow-up is needed (not settled: `not-settled` hold)",
            "answering it",
            "§8a: beyond about 3 days is outside the expected curve; HawkGrips: contact a "
            "physician if it has not cleared",
        ),
        SafetyRule(
            "course-review",
            "the course length (`prescription.course_weeks`) has passed since the course's "
            f"first session, or after {course.NO_CHANGE_SITTINGS} sittings neither the "
            f"outcome measure nor soreness before sessions improved by a meaningful amount",
            "`today` lists the region under 'Time to review'; the session asks whether a "
            "clinician reviewed it (default no: refused); a yes is recorded",
            "a new protocol version installed (renewal), or yes / `--course-reviewed`, "
            "which starts the next course",
            "§2, §8e: reassess after 3-4 sessions and refer if nothing has changed; 4-week course",
        ),
        SafetyRule(
            "one-at-a-time",
            "a session of the same region and side is still running",
            "session refused, naming the running one",
            f"finish that session (a lock left by a crashed one lapses: process gone, or "
            f"{STALE} h old)",
            "conservative default",
        ),
    ]


def all_rules() -> list[SafetyRule]:
    return [*_red_flag_rows(), *_session_rows()]


def rules_table_markdown() -> str:
    """The README's safety table."""
    lines = [
        "| rule | trigger | consequence | how it is lifted | basis |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in all_rules():
        cells = (f"`{rule.id}`", rule.trigger, rule.consequence, rule.lifted, rule.basis)
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
