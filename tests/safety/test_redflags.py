"""Each red-flag rule on its own, with its edges (clinical reference §3 and §7)."""

from __future__ import annotations

from typing import Any

import pytest

from iastm_coach.journal import records
from iastm_coach.safety.redflags import (
    RULES,
    RedFlag,
    advice_for,
    aftercare_flags,
    checkin_flags,
)
from tests.builders import example


def checkin(hours: int, soreness: int, **signs: bool) -> dict[str, Any]:
    """A check-in's answers: no sign unless *signs* name it."""
    return example(records.CHECKIN, hours=hours, soreness=soreness, **signs)


def rules(flags: list[RedFlag]) -> list[str]:
    return [flag.rule for flag in flags]


# --- right after the session -------------------------------------------------------------


@pytest.mark.parametrize(
    ("soreness", "expected"), [(0, []), (6, []), (7, ["soreness-7"]), (10, ["soreness-7"])]
)
def test_aftercare_soreness_threshold_is_7(soreness: int, expected: list[str]) -> None:
    """Soreness 7 or more right after a session is a red flag; 6 is not."""
    assert expected == rules(aftercare_flags(soreness=soreness, bruising=False, numbness=False))


def test_aftercare_unanswered_soreness_ignored() -> None:
    """-1 (not asked: interrupted session) fires no soreness rule, but signs still count."""
    assert aftercare_flags(soreness=-1, bruising=False, numbness=False) == []
    assert rules(aftercare_flags(soreness=-1, bruising=True, numbness=True)) == [
        "bruising",
        "numbness",
    ]


def test_aftercare_each_sign_is_its_own_flag() -> None:
    """Bruising and numbness each fire their own rule, with a reason naming them."""
    flags = aftercare_flags(soreness=8, bruising=True, numbness=True)
    assert rules(flags) == ["soreness-7", "bruising", "numbness"]
    assert "8/10" in flags[0].reason
    assert "bruising" in flags[1].reason and "tingling" in flags[2].reason


# --- check-ins ----------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [24, 48, 72])
def test_checkin_soreness_7_at_any_follow_up(hours: int) -> None:
    """Soreness 7+ fires at 24, 48 and 72 h alike; 6 does not fire soreness-7."""
    assert "soreness-7" in rules(checkin_flags(checkin(hours, 7), []))
    assert "soreness-7" not in rules(checkin_flags(checkin(hours, 6), []))


@pytest.mark.parametrize(
    ("sign", "rule"),
    [
        ("bruising", "bruising"),
        ("numbness", "numbness"),
        ("swelling", "swelling"),
    ],
)
def test_checkin_each_sign(sign: str, rule: str) -> None:
    """A yes to any warning sign is a red flag on its own, even with no soreness."""
    assert [rule] == rules(checkin_flags(checkin(24, 0, **{sign: True}), []))


@pytest.mark.parametrize(
    ("hours", "soreness", "flagged"),
    [(24, 0, False), (24, 3, False), (24, 4, True), (48, 3, False), (120, 1, True)],
)
def test_getting_worse_holds_only_when_moderate_or_late(
    hours: int, soreness: int, flagged: bool
) -> None:
    """'Getting worse' at 24-72 h with mild soreness asks a later follow-up instead of a
    hold (soreness peaks at 24-48 h); with 4 or more, or at the day 5-7 check, it holds."""
    found = rules(checkin_flags(checkin(hours, soreness, worse=True), []))
    assert ("worse-reported" in found) is flagged


def test_quiet_checkin_has_no_flags() -> None:
    """Mild soreness with no signs is the expected response: no flags."""
    assert checkin_flags(checkin(24, 3), []) == []


def test_worse_at_48h_than_24h() -> None:
    """A 2-point rise from 24 h to 48 h fires worse-48h, and so does any rise to 4 or more;
    a 1-point rise to 3 is noise (Farrar 2001), equal or lower is not a rise."""
    earlier = [checkin(24, 3)]
    assert rules(checkin_flags(checkin(48, 4), earlier)) == ["worse-48h"]
    assert rules(checkin_flags(checkin(48, 3), [checkin(24, 1)])) == ["worse-48h"]
    assert checkin_flags(checkin(48, 3), [checkin(24, 2)]) == []
    assert checkin_flags(checkin(48, 3), earlier) == []
    assert checkin_flags(checkin(48, 1), earlier) == []


def test_worse_48h_needs_a_24h_answer() -> None:
    """Without a 24 h check-in there is no worse-48h (right-after soreness is not compared)."""
    assert checkin_flags(checkin(48, 5), []) == []


def test_worse_48h_uses_the_last_24h_answer() -> None:
    """When the 24 h follow-up was answered twice, the later answer counts."""
    earlier = [checkin(24, 2), checkin(24, 5)]
    assert checkin_flags(checkin(48, 4), earlier) == []
    assert rules(checkin_flags(checkin(48, 4), list(reversed(earlier)))) == ["worse-48h"]


def test_later_answers_are_not_compared() -> None:
    """A 48 h check-in is not compared with another 48 h or a 72 h answer."""
    assert checkin_flags(checkin(48, 3), [checkin(48, 1), checkin(72, 0)]) == []


def test_still_4_at_72h() -> None:
    """Soreness of 4 or more at 72 h fires still-4-at-72h; 3 does not."""
    assert "still-4-at-72h" in rules(
        checkin_flags(checkin(72, 4), [checkin(24, 5), checkin(48, 4)])
    )
    assert checkin_flags(checkin(72, 3), [checkin(24, 5), checkin(48, 4)]) == []


def test_still_4_only_at_72h() -> None:
    """Soreness 4-6 at 24 h or 48 h alone is not a red flag."""
    assert checkin_flags(checkin(24, 6), []) == []
    assert checkin_flags(checkin(48, 6), [checkin(24, 6)]) == []


def test_worse_at_72h_than_earlier() -> None:
    """72 h soreness 2 points above the 24 h or 48 h answer fires worse-72h, naming the
    first follow-up; one point above is noise."""
    flags = checkin_flags(checkin(72, 3), [checkin(24, 1), checkin(48, 2)])
    assert rules(flags) == ["worse-72h"]
    assert "24 h" in flags[0].reason
    assert checkin_flags(checkin(72, 3), [checkin(24, 2), checkin(48, 3)]) == []


def test_every_rule_is_documented() -> None:
    """Every rule id a function can return has a documented meaning and source."""
    produced = set(rules(aftercare_flags(soreness=9, bruising=True, numbness=True)))
    produced |= set(
        rules(
            aftercare_flags(
                soreness=1, bruising=False, numbness=False, weakness=True, skin_broken=True,
                dizziness=True, swelling=True, stop_reason="sharp-pain",
            )
        )
    )  # fmt: skip
    produced |= set(rules(aftercare_flags(soreness=1, bruising=False, numbness=False,
                                          stop_reason="too-sore")))  # fmt: skip
    produced |= set(
        rules(
            checkin_flags(
                checkin(48, 9, bruising=True, numbness=True, swelling=True, worse=True),
                [checkin(24, 1)],
            )
        )
    )
    produced |= set(rules(checkin_flags(checkin(72, 5), [checkin(24, 1)])))
    produced |= set(rules(checkin_flags(checkin(120, 3), [checkin(72, 2)])))
    assert produced == set(RULES)
    for rule in RULES.values():
        assert rule.when and "Clinical reference" in rule.source


# --- follow-up policy and advice -----------------------------------------------------------


def test_advice_names_the_region_and_clinician() -> None:
    """The advice says stop, contact the clinician, and how to lift the hold."""
    text = advice_for([RedFlag("bruising", "x")], region="forearm")
    assert "contact your clinician" in text
    assert "iastm-coach hold clear forearm --reason TEXT" in text
    assert "DVT" not in text


def test_calf_swelling_adds_urgent_advice() -> None:
    """Swelling of the calf adds the possible-DVT, seek-urgent-care line."""
    assert "DVT" in advice_for([RedFlag("swelling", "x")], region="calf")
