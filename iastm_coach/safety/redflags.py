"""Red-flag rules: the warning signs after a session that put a region on hold.

Pure functions over plain answers (no journal, no clock), so each rule can be
tested on its own. The rules paraphrase the clinical reference
(`clinical-reference.md`, sections 3 and 7); `RULES` carries, for each rule
id, what it means and where it comes from, for the README, `report` and the
advice shown to people. Where the reference only *suggests* a rule, the source
says so: those are conservative defaults, not findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

SEVERE_SORENESS: Final = 7  # NRS 7-10 is "severe" (section 7)
MODERATE_SORENESS: Final = 4  # NRS 4-6 is "moderate": interferes with daily life (section 7)

ADVICE: Final = (
    "Stop treating this region and contact your clinician (physio or doctor). "
    "The region stays on hold until you lift it with "
    "`iastm-coach hold clear REGION --reason TEXT`, ideally after your clinician has seen it."
)
URGENT_ADVICE: Final = (
    "A calf that is warm, swollen or red for no clear reason can be a blood clot (DVT): "
    "seek urgent medical care."
)


@dataclass(frozen=True)
class RedFlag:
    """One rule that fired: its id (see `RULES`) and a plain-language reason."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """A red-flag rule as documented: when it fires and its source."""

    id: str
    when: str
    source: str


RULES: Final[dict[str, Rule]] = {
    rule.id: rule
    for rule in (
        Rule(
            "soreness-7",
            "soreness of 7 or more out of 10, right after a session or at any check-in",
            "Clinical reference §7: 7-10 is severe (disabling) pain on the 0-10 NRS "
            "(Physiotherapy Canada); suggested rule 'stop if it reaches 7 or more' (derived)",
        ),
        Rule(
            "bruising",
            "bruising beyond the usual redness and pinpoint red spots",
            "Clinical reference §3: bruising is not a sign of success and suggests the "
            "treatment was too aggressive (HawkGrips [vendor]; Veridian [blog]); "
            "spreading bruising is a red flag (Veridian)",
        ),
        Rule(
            "numbness",
            "numbness or tingling",
            "Clinical reference §3: numbness, tingling or weakness are red flags (Veridian [blog])",
        ),
        Rule(
            "swelling",
            "swelling of the treated area",
            "Clinical reference §3: swelling is a red flag (Veridian [blog]); unexplained calf "
            "swelling may be a DVT (common practice)",
        ),
        Rule(
            "worse-48h",
            "soreness higher at the 48 h check-in than at the 24 h check-in",
            "Clinical reference §3: soreness that worsens means contact a physician "
            "(HawkGrips [vendor]); normal soreness is mild and fades over 1-2 days",
        ),
        Rule(
            "worse-72h",
            "soreness higher at the 72 h check-in than at the 24 h or 48 h check-in",
            "Clinical reference §3: suggested rule 'anything worse at 72 h than at 24 h' "
            "(unsourced/common practice)",
        ),
        Rule(
            "still-4-at-72h",
            "soreness still 4 or more at the 72 h check-in",
            "Clinical reference §3: soreness lasting past a couple of days means contact a "
            "physician (HawkGrips [vendor]); §7: 4-6 is moderate pain that interferes with "
            "daily activities (conservative default)",
        ),
        Rule(
            "worse-reported",
            "you reported the soreness getting worse",
            "Clinical reference §3: soreness that worsens means contact a physician "
            "(HawkGrips [vendor])",
        ),
    )
}


def aftercare_flags(*, soreness: int, bruising: bool, numbness: bool) -> list[RedFlag]:
    """Flags from the answers right after a session.

    *soreness* is 0-10, or -1 when it was not asked (an interrupted session):
    then only the yes/no signs count.
    """
    return _sign_flags(
        soreness,
        bruising=bruising,
        numbness=numbness,
        swelling=False,
        when="right after the session",
    )


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
    checkin: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]]
) -> list[RedFlag]:
    """Flags from one follow-up check-in, compared with earlier check-ins of the same session.

    *checkin* and *earlier* hold the check-in record fields (`hours`,
    `soreness`, `bruising`, `numbness`, `swelling`, `worse`). Earlier
    check-ins answering a later or the same follow-up are ignored for the
    comparisons; when one follow-up was answered twice, the last answer
    (the last in *earlier*) counts.
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
    if hours == 48 and 24 in before and soreness > before[24]:
        flags.append(
            RedFlag(
                "worse-48h", f"soreness rose from {before[24]}/10 at 24 h to {soreness}/10 at 48 h"
            )
        )
    if hours >= 72:
        rises = {h: s for h, s in before.items() if soreness > s}
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
    if checkin.get("worse"):
        flags.append(
            RedFlag("worse-reported", f"you reported the soreness getting worse at {label}")
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


def needs_72h_follow_up(checkins: Sequence[Mapping[str, Any]]) -> bool:
    """Ask a 72 h follow-up when the latest soreness answer up to 48 h was 4 or more.

    That is the 48 h answer, or the 24 h one when 48 h was never answered:
    moderate soreness (section 7) two days on is what the 72 h rule watches.
    """
    answers = earlier_soreness(checkins, before_hours=72)
    if not answers:
        return False
    return answers[max(answers)] >= MODERATE_SORENESS


def advice_for(flags: Sequence[RedFlag], *, region: str) -> str:
    """What to tell people when a region goes on hold."""
    text = ADVICE.replace("REGION", region)
    if region == "calf" and any(flag.rule == "swelling" for flag in flags):
        text = f"{text} {URGENT_ADVICE}"
    return text
