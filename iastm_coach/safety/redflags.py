"""Red-flag rules: the warning signs after a session that put a region on hold.

Pure functions over plain answers (no journal, no clock), so each rule can be
tested on its own. The rules paraphrase the clinical reference
(`clinical-reference.md`, sections 3 and 7); `RULES` carries, for each rule
id, what it means and where it comes from, for the README, `report` and the
advice shown to people. Where the reference only *suggests* a rule, the source
says so: those are conservative defaults, not findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

SEVERE_SORENESS: Final = 7  # NRS 7-10 is "severe" (section 7)
MODERATE_SORENESS: Final = 4  # NRS 4-6 is "moderate": interferes with daily life (section 7)
MEANINGFUL_CHANGE: Final = 2  # the smallest clinically important change on the NRS (§8a)
SETTLED_CHECK_HOURS: Final = 120  # the day 5-7 "has it settled?" follow-up

ADVICE: Final = (
    "Stop treating this region and contact your clinician (physio or doctor). "
    "The region stays on hold until you lift it with "
    "`iastm-coach hold clear REGION --reason TEXT` (for numbness, weakness, swelling, "
    "bruising, broken skin or severe soreness also --examined-by WHO: only after a "
    "clinician has examined the area)."
)
DIZZY_ADVICE: Final = (
    "Sit or lie down until the dizziness passes, and do not drive. If it does not pass "
    "quickly, or comes with double vision, trouble speaking or swallowing, a sudden severe "
    "headache or arm weakness, get medical help now."
)
SKIN_ADVICE: Final = (
    "Keep broken or grazed skin clean and covered, wash and disinfect the tool before "
    "anyone uses it again, and see a clinician if it turns red, hot, swollen or painful "
    "(signs of infection)."
)
LEG_CLOT_ADVICE: Final = (
    "Get medical care today (the same day): swelling, warmth, redness or pain of a leg after "
    "scraping is not a normal response, even though you scraped it, and can be a blood clot "
    "(DVT). Say that you used a scraping tool. Both legs are on hold: treat no leg region on "
    "either leg until a clinician has examined you."
)
"""Leads the advice of a leg swelling hold (§8b: same-day care; a clot concerns both legs)."""
LEG_CLOT_REMINDER: Final = (
    "Leg swelling after scraping can be a blood clot: get medical care today (the same day). "
    "Both legs stay on hold until a clinician has examined you."
)
"""Repeated in every later view of that hold: today, hold list, history, the session
refusal of any leg region, the report."""


@dataclass(frozen=True)
class RegionSigns:
    """Emergency signs to name when a nerve sign (numbness, tingling, weakness) puts this
    region on hold: a spine region's nerve signs can be the start of an emergency (§8d)."""

    region: str
    rules: frozenset[str]
    text: str
    source: str


NERVE_RULES: Final = frozenset({"numbness", "weakness"})
REGION_SIGNS: Final[dict[str, RegionSigns]] = {
    signs.region: signs
    for signs in (
        RegionSigns(
            "lower-back",
            NERVE_RULES,
            "Call an ambulance or go to an emergency department now if you notice numbness "
            "in the saddle area (between the legs or around the back passage), a new change "
            "in bladder or bowel control, or leg weakness that is getting worse.",
            "Clinical reference §8d: lower back: saddle numbness, new bladder or bowel "
            "change, progressive leg weakness (emergency)",
        ),
        RegionSigns(
            "neck",
            NERVE_RULES,
            "Call an ambulance or go to an emergency department now if you notice dizziness "
            "or vertigo, double vision, trouble speaking or swallowing, a sudden severe or "
            "new headache, or weakness in an arm.",
            "Clinical reference §8d: neck: dizziness or vertigo, double vision, trouble "
            "speaking or swallowing, sudden severe or new headache, arm weakness",
        ),
    )
}
"""The region's emergency signs lead the advice of a numbness or weakness hold on it, and
come back wherever the hold is shown (as the leg-swelling advice)."""


@dataclass(frozen=True)
class RedFlag:
    """One rule that fired: its id (see `RULES`) and a plain-language reason."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """A red-flag rule as documented: when it fires, its source, and whether it is a
    serious sign (lifted only with a clinician's examination on record)."""

    id: str
    when: str
    source: str
    serious: bool = False


SERIOUS_LIFT: Final = (
    "`hold clear REGION --examined-by WHO --reason TEXT`: a clinician examined the area "
    "(the urgent advice is shown again first)"
)
PLAIN_LIFT: Final = "`hold clear REGION --reason TEXT` (a real reason: a bare 'x' is refused)"

RULES: Final[dict[str, Rule]] = {
    rule.id: rule
    for rule in (
        Rule(
            "soreness-7",
            "soreness of 7 or more out of 10, at an area break, right after a session or at "
            "any check-in",
            "Clinical reference §7: 7-10 is severe (disabling) pain on the 0-10 NRS "
            "(Physiotherapy Canada); suggested rule 'stop if it reaches 7 or more' (derived)",
            serious=True,
        ),
        Rule(
            "bruising",
            "bruising beyond the usual redness and pinpoint red spots, after a session or "
            "at a check-in; or a bruise left by an earlier session, reported at screening",
            "Clinical reference §3: bruising is not a sign of success and suggests the "
            "treatment was too aggressive (HawkGrips [vendor]; Veridian [blog]); "
            "spreading bruising is a red flag (Veridian); §8c: a bruise left by a previous "
            "session is itself a red flag",
            serious=True,
        ),
        Rule(
            "numbness",
            "numbness or tingling",
            "Clinical reference §3: numbness, tingling or weakness are red flags (Veridian "
            "[blog]); §8b: they concern the nerve trunk of the limb",
            serious=True,
        ),
        Rule(
            "swelling",
            "swelling of the treated area",
            "Clinical reference §3: swelling is a red flag (Veridian [blog]); §8b: unexplained "
            "leg swelling may be a DVT and needs same-day medical care",
            serious=True,
        ),
        Rule(
            "weakness",
            "weakness in or below the treated area",
            "Clinical reference §3: numbness, tingling or weakness are red flags (Veridian "
            "[blog]); §8b: they concern the nerve trunk of the limb",
            serious=True,
        ),
        Rule(
            "skin-broken",
            "broken or grazed skin where the tool went",
            "Clinical reference §1a/§1c: open or broken skin is not treated; §8f: grazed skin "
            "needs the tool disinfected (infection risk); serious as a skin sign (issue 10)",
            serious=True,
        ),
        Rule(
            "dizziness",
            "dizziness, light-headedness or feeling faint, during or after a session",
            "Clinical reference §3: dizziness is a red flag (Veridian [blog]); §4: pressure on "
            "the front and side of the neck can cause fainting; §8d: dizziness is a neck "
            "warning sign",
        ),
        Rule(
            "sharp-pain",
            "sharp, spreading or radiating pain during the strokes (a reason for stopping "
            "early, or said at an area break)",
            "Clinical reference §3: sharp, radiating or escalating pain during strokes is a "
            "red flag (Veridian [blog]); §7: stop if it is sharp or radiating (derived)",
        ),
        Rule(
            "stopped-sore",
            "stopped early because it was too sore to go on",
            "Clinical reference §7: keep discomfort during treatment at 5 or less (Veridian); "
            "a hold until you have thought it over: conservative default",
        ),
        Rule(
            "worse-48h",
            "soreness at 48 h 2 or more points above the 24 h answer, or higher and 4 or more",
            "Clinical reference §8a: soreness often peaks at 24-48 h (Vickers 2001), and 2 "
            "points is the smallest meaningful change (Farrar 2001); a 1-point rise is noise",
        ),
        Rule(
            "worse-72h",
            "soreness at 72 h or later 2 or more points above an earlier follow-up",
            "Clinical reference §3: suggested rule 'anything worse at 72 h than at 24 h' "
            "(unsourced/common practice), with the 2-point change of §8a",
        ),
        Rule(
            "still-4-at-72h",
            "soreness still 4 or more at the 72 h check-in or later",
            "Clinical reference §3: soreness lasting past a couple of days means contact a "
            "physician (HawkGrips [vendor]); §7: 4-6 is moderate pain that interferes with "
            "daily activities (conservative default)",
        ),
        Rule(
            "not-settled",
            "soreness at the day 5-7 'has it settled?' check 2 or more points above the "
            "usual level for the region",
            "Clinical reference §8a: soreness beyond about 3 days is outside the expected "
            "curve; §7: flag 2 or more above baseline at 48-72 h (derived); HawkGrips: if it "
            "has not cleared, contact a physician",
        ),
        Rule(
            "worse-reported",
            "you reported the soreness getting worse, with soreness 4 or more or at the day 5-7 "
            "check (earlier and milder, it asks for a later follow-up instead)",
            "Clinical reference §3: soreness that worsens means contact a physician "
            "(HawkGrips [vendor]); §8a: a rise at 24-48 h is expected",
        ),
    )
}

SERIOUS: Final = frozenset(rule.id for rule in RULES.values() if rule.serious)


def aftercare_flags(
    *,
    soreness: int,
    bruising: bool,
    numbness: bool,
    weakness: bool = False,
    swelling: bool = False,
    skin_broken: bool = False,
    dizziness: bool = False,
    stop_reason: str = "",
) -> list[RedFlag]:
    """Flags from the answers right after a session, and from why it was stopped early.

    *soreness* is 0-10, or -1 when it was not asked (an interrupted session):
    then only the yes/no signs count. *stop_reason* is a `STOP_REASONS` id.
    """
    flags = _sign_flags(
        soreness,
        bruising=bruising,
        numbness=numbness,
        swelling=swelling,
        when="right after the session",
    )
    if weakness:
        flags.append(RedFlag("weakness", "weakness right after the session"))
    if skin_broken:
        flags.append(RedFlag("skin-broken", "broken or grazed skin right after the session"))
    if dizziness:
        flags.append(RedFlag("dizziness", "dizziness or feeling faint right after the session"))
    stopped = stop_flag(stop_reason)
    if stopped is not None and all(stopped.rule != flag.rule for flag in flags):
        flags.append(stopped)
    return flags


@dataclass(frozen=True)
class StopReason:
    """Why a session was stopped early (asked after q or Ctrl-C, or an area-break check)."""

    id: str
    label: str  # as the person picks it
    rule: str | None  # the red-flag rule it places, None: no hold


STOP_REASONS: Final[dict[str, StopReason]] = {
    reason.id: reason
    for reason in (
        StopReason("sharp-pain", "sharp or spreading pain", "sharp-pain"),
        StopReason("numbness", "tingling or numbness", "numbness"),
        StopReason("dizziness", "dizziness or feeling faint", "dizziness"),
        StopReason("too-sore", "too sore", "stopped-sore"),
        StopReason("other", "something else, or just stopping", None),
        # Not offered as a choice: said at an area break (discomfort 7 or more).
        StopReason("discomfort-7", "discomfort 7 or more out of 10 at an area break", "soreness-7"),
    )
}
CHOSEN_REASONS: Final = ("sharp-pain", "numbness", "dizziness", "too-sore", "other")


def stop_flag(reason_id: str) -> RedFlag | None:
    """The red flag a reason for stopping early places (None: no symptom, or no reason)."""
    reason = STOP_REASONS.get(reason_id)
    if reason is None or reason.rule is None:
        return None
    return RedFlag(reason.rule, f"the session was stopped early: {reason.label}")


AREA_CHECK_LIMIT: Final = SEVERE_SORENESS


def area_check_reason(
    discomfort: int | None, *, sharp: bool = False, tingling: bool = False
) -> str:
    """The one-key check at an area break: sharp pain, tingling, or discomfort of 7 or
    more ends the session (a `STOP_REASONS` id); "" carries on (§7: stop at 7 or more,
    or when it is sharp or radiating)."""
    if sharp:
        return "sharp-pain"
    if tingling:
        return "numbness"
    if discomfort is not None and discomfort >= AREA_CHECK_LIMIT:
        return "discomfort-7"
    return ""


def _sign_flags(
    soreness: int, *, bruising: bool, numbness: bool, swelling: bool, when: str
) -> list[RedFlag]:
    """The rules that need no comparison: severe soreness and the yes/no warning signs."""
    flags: list[RedFlag] = []
    if soreness >= SEVERE_SORENESS:
        flags.append(RedFlag("soreness-7", f"soreness {soreness}/10 {when} (7 or more is severe)"))
    if bruising:
        flags.append(RedFlag("bruising", f"bruising beyond the usual redness {when}"))
    if numbness:
        flags.append(RedFlag("numbness", f"numbness or tingling {when}"))
    if swelling:
        flags.append(RedFlag("swelling", f"swelling {when}"))
    return flags


def checkin_flags(
    checkin: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]], *, baseline: int = 0
) -> list[RedFlag]:
    """Flags from one follow-up check-in, compared with earlier check-ins of the same session.

    *checkin* and *earlier* hold the check-in record fields (`hours`,
    `soreness`, `bruising`, `numbness`, `swelling`, `worse`). Earlier
    check-ins answering a later or the same follow-up are ignored for the
    comparisons; when one follow-up was answered twice, the last answer
    (the last in *earlier*) counts. *baseline* is the person's usual soreness
    for the region (0 until known).
    """
    hours = int(checkin.get("hours", 24))
    soreness = int(checkin.get("soreness", 0))
    label = f"{hours} h"
    flags = _sign_flags(
        soreness,
        bruising=bool(checkin.get("bruising")),
        numbness=bool(checkin.get("numbness")),
        swelling=bool(checkin.get("swelling")),
        when=f"at the {label} check-in",
    )

    before = earlier_soreness(earlier, before_hours=hours)
    if hours == 48 and 24 in before:
        rise = soreness - before[24]
        if rise >= MEANINGFUL_CHANGE or (rise > 0 and soreness >= MODERATE_SORENESS):
            flags.append(
                RedFlag(
                    "worse-48h",
                    f"soreness rose from {before[24]}/10 at 24 h to {soreness}/10 at 48 h",
                )
            )
    if hours >= 72:
        rises = {h: s for h, s in before.items() if soreness - s >= MEANINGFUL_CHANGE}
        if rises:
            first = min(rises)
            flags.append(
                RedFlag(
                    "worse-72h",
                    f"soreness rose from {rises[first]}/10 at {first} h "
                    f"to {soreness}/10 at {hours} h",
                )
            )
        if soreness >= MODERATE_SORENESS:
            flags.append(
                RedFlag(
                    "still-4-at-72h",
                    f"soreness still {soreness}/10 at {hours} h (4 or more after three days)",
                )
            )
    if hours >= SETTLED_CHECK_HOURS and soreness >= baseline + MEANINGFUL_CHANGE:
        flags.append(
            RedFlag(
                "not-settled",
                f"soreness {soreness}/10 after {hours // 24} days has not settled "
                f"(your usual is {baseline}/10)",
            )
        )
    if checkin.get("worse") and (soreness >= MODERATE_SORENESS or hours >= SETTLED_CHECK_HOURS):
        flags.append(
            RedFlag(
                "worse-reported",
                f"you reported the soreness getting worse at {label} ({soreness}/10)",
            )
        )
    return flags


def earlier_soreness(earlier: Sequence[Mapping[str, Any]], *, before_hours: int) -> dict[int, int]:
    """{follow-up hours: soreness} of the earlier check-ins answering an earlier follow-up."""
    result: dict[int, int] = {}
    for item in earlier:
        hours = int(item.get("hours", 0))
        soreness = item.get("soreness")
        if hours < before_hours and isinstance(soreness, int) and soreness >= 0:
            result[hours] = soreness
    return result


def advice_for(flags: Sequence[RedFlag], *, region: str, zone: str | None = None) -> str:
    """What to tell people when a region goes on hold (and again before a serious hold is
    lifted). Swelling of any leg region adds the possible-clot advice (§8b); *zone* is
    looked up in the region's protocol when not given."""
    text = ADVICE.replace("REGION", region)
    rules = {flag.rule for flag in flags}
    if "swelling" in rules and is_leg(region, zone):
        text = f"{LEG_CLOT_ADVICE} {text}"  # same-day care leads (§8b)
    signs = region_signs(region, rules)
    if signs:
        text = f"{signs} {text}"  # the emergency signs lead (§8d)
    if "dizziness" in rules:
        text = f"{text} {DIZZY_ADVICE}"
    if "skin-broken" in rules:
        text = f"{text} {SKIN_ADVICE}"
    return text


def hold_reminder(region: str, rules: Sequence[str], zone: str | None = None) -> str:
    """The same-day advice to repeat wherever a hold of *region* with *rules* is shown
    again ("" when none applies): a leg swelling may be a clot (§8b)."""
    if "swelling" in rules and is_leg(region, zone):
        return LEG_CLOT_REMINDER
    return region_signs(region, rules)


def region_signs(region: str, rules: Iterable[str]) -> str:
    """The emergency signs of *region* when one of *rules* is a nerve sign there; ""."""
    signs = REGION_SIGNS.get(region)
    return signs.text if signs is not None and signs.rules & set(rules) else ""


def is_leg(region: str, zone: str | None) -> bool:
    if zone is None:
        from iastm_coach.safety.zones import library_links

        links = library_links(region)
        zone = links.zone if links else ("leg" if region == "calf" else "")
    return zone == "leg"
