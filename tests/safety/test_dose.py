"""Dose adjustment: the protocol's rules, the conservative default, and after a hold."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from iastm_coach.journal.store import Journal
from iastm_coach.protocols.model import DoseRule, TreatmentProtocol
from iastm_coach.safety.dose import DEFAULT_PERCENT, Dose, dose_from_soreness, lowest, next_dose
from iastm_coach.safety.holds import clear_hold
from iastm_coach.safety.redflags import RedFlag
from tests.builders import T0, add_checkin, add_session, make_journal, place_hold
from tests.fakes import make_protocol


def with_rules(*rules: tuple[int, int], after_red_flag: int = 50) -> TreatmentProtocol:
    protocol = make_protocol()
    return protocol.model_copy(
        update={
            "dose_rule": [
                DoseRule.model_validate(
                    {
                        "when_soreness_at_least": at,
                        "scale_percent": percent,
                        "explain": f"rule {at}->{percent}",
                    },
                    context={"envelope": "clinician"},  # rule mechanics, not home limits
                )
                for at, percent in rules
            ],
            "after_red_flag_percent": after_red_flag,
        }
    )


def sore_session(journal: Journal, soreness_24h: int | None, *, days: int = 0) -> None:
    session = add_session(journal, started=T0 + timedelta(days=days))
    if soreness_24h is not None:
        add_checkin(journal, session, hours=24, soreness=soreness_24h)


def test_first_session_full_dose(tmp_path: Path) -> None:
    """No earlier session: 100 % and no reason."""
    assert next_dose(with_rules((5, 70)), make_journal(tmp_path), region="calf") == Dose(100, "")


def test_protocol_rule_applies_at_threshold(tmp_path: Path) -> None:
    """24 h soreness at the rule's threshold scales the next session, explaining why."""
    journal = make_journal(tmp_path)
    sore_session(journal, 5)
    dose = next_dose(with_rules((5, 70)), journal, region="calf")
    assert dose.percent == 70
    assert "5/10 at the 24 h check-in" in dose.reason and "rule 5->70" in dose.reason


def test_protocol_rule_below_threshold(tmp_path: Path) -> None:
    """Soreness below every rule: full dose."""
    journal = make_journal(tmp_path)
    sore_session(journal, 4)
    assert next_dose(with_rules((5, 70)), journal, region="calf").percent == 100


def test_lowest_matching_rule_wins() -> None:
    """When several rules match, the lowest percentage is used."""
    protocol = with_rules((3, 90), (5, 70), (8, 40))
    assert dose_from_soreness(protocol, 6).percent == 70
    assert dose_from_soreness(protocol, 9).percent == 40
    assert dose_from_soreness(protocol, 2).percent == 100


def test_default_without_rules() -> None:
    """No dose_rule in the protocol: 24 h soreness >= 5 gives 70 %, a documented default."""
    protocol = make_protocol()
    assert protocol.dose_rule == []
    dose = dose_from_soreness(protocol, 5)
    assert dose.percent == DEFAULT_PERCENT == 70
    assert "conservative default" in dose.reason
    assert dose_from_soreness(protocol, 4) == Dose(100, "")


def test_the_highest_answer_governs(tmp_path: Path) -> None:
    """The highest follow-up answer decides, whichever follow-up it was (issue 10 item 4):
    soreness 9 at 48 h scales the next session back, named in the reason."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    add_checkin(journal, session, hours=24, soreness=2)
    add_checkin(journal, session, hours=48, soreness=9)
    dose = next_dose(with_rules((5, 70)), journal, region="calf")
    assert dose.percent == 70 and "9/10 at the 48 h check-in" in dose.reason


def test_only_the_last_session_counts(tmp_path: Path) -> None:
    """A sore session followed by a calm one: back to 100 %."""
    journal = make_journal(tmp_path)
    sore_session(journal, 8)
    sore_session(journal, 2, days=3)
    assert next_dose(with_rules((5, 70)), journal, region="calf").percent == 100


def test_other_regions_do_not_count(tmp_path: Path) -> None:
    """Soreness after a neck session does not scale the calf."""
    journal = make_journal(tmp_path)
    sore_session(journal, 2)
    neck = add_session(journal, region="neck", side="none", started=T0 + timedelta(days=1))
    add_checkin(journal, neck, hours=24, soreness=9)
    assert next_dose(with_rules((5, 70)), journal, region="calf").percent == 100


def test_sorest_side_of_the_sitting_counts(tmp_path: Path) -> None:
    """Both sides treated together: the sorer side's 24 h answer decides."""
    journal = make_journal(tmp_path)
    left = add_session(journal, side="left", group="g1")
    right = add_session(journal, side="right", group="g1")
    add_checkin(journal, left, hours=24, soreness=6)
    add_checkin(journal, right, hours=24, soreness=1)
    assert next_dose(with_rules((5, 70)), journal, region="calf").percent == 70


def test_corrected_24h_answer_counts(tmp_path: Path) -> None:
    """The later of two 24 h answers is the one used."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    ended = session.data["ended"]
    add_checkin(journal, session, hours=24, soreness=7, at=ended + timedelta(hours=21))
    add_checkin(journal, session, hours=24, soreness=2, at=ended + timedelta(hours=23))
    assert next_dose(with_rules((5, 70)), journal, region="calf").percent == 100


def test_after_cleared_hold(tmp_path: Path) -> None:
    """The first session after a lifted hold runs at after_red_flag_percent; the next one not."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    flag = RedFlag("bruising", "bruising")
    place_hold(journal, region="calf", flag=flag, source_id=session.id, at=T0 + timedelta(hours=1))
    clear_hold(
        journal,
        region="calf",
        reason="physio: OK",
        examined_by="Dr Lee, physio",
        at=T0 + timedelta(days=3),
    )
    dose = next_dose(with_rules((5, 70)), journal, region="calf")
    assert dose.percent == 50
    assert "hold was lifted" in dose.reason and "physio: OK" in dose.reason
    add_session(journal, started=T0 + timedelta(days=4))
    assert next_dose(with_rules((5, 70)), journal, region="calf").percent == 100


def test_after_hold_and_rule_lowest_wins(tmp_path: Path) -> None:
    """When the hold restart and a soreness rule both apply, the lower dose is used."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    add_checkin(journal, session, hours=24, soreness=8)
    place_hold(
        journal,
        region="calf",
        flag=RedFlag("soreness-7", "8/10"),
        source_id="x",
        at=T0 + timedelta(days=1),
    )
    clear_hold(
        journal,
        region="calf",
        reason="physio said OK",
        examined_by="Dr Lee, physio",
        at=T0 + timedelta(days=4),
    )
    assert next_dose(with_rules((5, 70), after_red_flag=80), journal, region="calf").percent == 70
    assert next_dose(with_rules((5, 70), after_red_flag=40), journal, region="calf").percent == 40


def test_lowest_joins_equal_reasons() -> None:
    """Two reasons at the same lowest dose are both given."""
    assert lowest(Dose(100), Dose(70, "a"), Dose(70, "b")) == Dose(70, "a; b")
    assert lowest(Dose(100), Dose(100)) == Dose(100, "")
