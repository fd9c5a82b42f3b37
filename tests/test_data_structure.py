"""Every data file, read as a whole: the structural rules of issue 11.

Each lower-limb region is in the leg zone and carries clot advice; each caution says
what clearance changes; each protocol is inside the home envelope and the home
per-region totals; each alias goes where its name says and advice names lead to
advice; each entry cites a source or says "conservative default"; overlaps are
symmetric and real.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from iastm_coach.errors import SafetyStop
from iastm_coach.learn import learn_dir, topic_names
from iastm_coach.paths import data_dir
from iastm_coach.protocols.envelope import BOUNDS, HOME, Choices, Range
from iastm_coach.protocols.files import LoadedProtocol, load_protocol_file
from iastm_coach.protocols.library import advice_path, builtin_dir, region_index
from iastm_coach.safety.checklist import load_checklist
from iastm_coach.safety.checklist_model import ChecklistItem

BUILTINS: dict[str, LoadedProtocol] = {
    path.stem: load_protocol_file(path, source="built-in")
    for path in sorted(builtin_dir().glob("*.toml"))
}
CHECKLIST = load_checklist()
ITEMS = {item.id: item for item in CHECKLIST.item}

LOWER_LIMB = {
    "calf", "achilles", "plantar-fascia", "shin", "hamstrings", "quadriceps",
    "lateral-thigh", "glutes",
}  # fmt: skip

# Clinical reference §4 per-region totals (per side), the home default (§8e). For the
# two unsided regions whose halves are separate areas, the figure is the total.
HOME_TOTAL_S = {
    "calf": 120, "achilles": 60, "plantar-fascia": 60, "shin": 60, "hamstrings": 90,
    "quadriceps": 90, "lateral-thigh": 60, "glutes": 60, "lower-back": 60, "upper-back": 60,
    "posterior-shoulder": 60, "forearm-extensors": 60, "forearm-flexors": 60, "neck": 30,
}  # fmt: skip

# Every alias, and the region its name names. A new alias must be added here on purpose.
ALIASES = {
    "achilles-tendon": "achilles", "heel-cord": "achilles", "achilles-tendinopathy": "achilles",
    "calves": "calf", "gastrocnemius": "calf", "soleus": "calf", "calf-muscle": "calf",
    "tennis-elbow": "forearm-extensors", "wrist-extensors": "forearm-extensors",
    "lateral-elbow": "forearm-extensors", "back-of-forearm": "forearm-extensors",
    "golfers-elbow": "forearm-flexors", "wrist-flexors": "forearm-flexors",
    "medial-elbow": "forearm-flexors", "inner-forearm": "forearm-flexors",
    "glute": "glutes", "buttock": "glutes", "buttocks": "glutes", "gluteals": "glutes",
    "piriformis": "glutes",
    "hamstring": "hamstrings", "back-of-thigh": "hamstrings", "hams": "hamstrings",
    "posterior-thigh": "hamstrings",
    "it-band": "lateral-thigh", "itb": "lateral-thigh", "iliotibial-band": "lateral-thigh",
    "outer-thigh": "lateral-thigh", "itbs": "lateral-thigh",
    "low-back": "lower-back", "thoracolumbar": "lower-back", "lumbar": "lower-back",
    "lumbar-paraspinals": "lower-back",
    "back-of-neck": "neck", "posterior-neck": "neck", "neck-muscles": "neck", "cervical": "neck",
    "foot-arch": "plantar-fascia", "plantar": "plantar-fascia",
    "plantar-fasciitis": "plantar-fascia", "arch": "plantar-fascia",
    "sole-of-foot": "plantar-fascia",
    "rotator-cuff": "posterior-shoulder", "back-of-shoulder": "posterior-shoulder",
    "infraspinatus": "posterior-shoulder", "posterior-deltoid": "posterior-shoulder",
    "quads": "quadriceps", "quad": "quadriceps", "front-of-thigh": "quadriceps",
    "shins": "shin", "tibialis-anterior": "shin", "front-of-shin": "shin",
    "front-outer-shin": "shin", "anterior-shin": "shin",
    "trapezius": "upper-back", "traps": "upper-back", "upper-traps": "upper-back",
    "trap": "upper-back", "upper-trapezius": "upper-back",
}  # fmt: skip

# Names of the sources in the clinical reference; a reference line names one of them or
# says that it is a conservative default / common practice.
KNOWN_SOURCES = re.compile(
    r"Spine-health|ChicagoSportsDoctors|Coppola|EliteLearning|HawkGrips|Veridian|"
    r"Bartsch|Cheatham|ACOG|FDA|Farrar|Vickers|StatPearls|ABMP|Werner|Myburgh|Markovic|"
    r"Laudner|Bailey|Schaefer|Hammer|Davidson|Nazari|Seffrin|Tang|Stanek|Ikeda|Kim 2017|"
    r"Physio-pedia|Topend|homefitnesstest|JHAS-NU|J Athl Train 2023|Old Bridge|myTrain|"
    r"Graston|Clinical reference|Physiotherapy Canada|biologyinsights|themanualtherapist",
    re.IGNORECASE,
)
DEFAULT = re.compile(r"conservative default|common practice|unsourced", re.IGNORECASE)


def reference_lines() -> Iterator[tuple[str, str]]:
    """(where, line) for every reference in data/."""
    for region, loaded in BUILTINS.items():
        for line in loaded.protocol.references:
            yield f"protocols/{region}", line
    for item in CHECKLIST.item:
        for line in item.references:
            yield f"item {item.id}", line
    for entry in [*CHECKLIST.first_use, *CHECKLIST.first_use_note, *CHECKLIST.zone_warning]:
        for line in entry.references:
            yield f"{type(entry).__name__} {entry.id}", line
    for band in CHECKLIST.age_band:
        for line in band.references:
            yield f"age band {band.id}", line
    for advice in set(region_index().advice.values()):
        for line in advice.references:
            yield f"advice {advice.title}", line


# -- lower limb: zone and clot advice ----------------------------------------------------


def test_every_built_in_protocol_is_named_after_its_region() -> None:
    """`history` finds a region's built-in plan by its file name (plans/deviations.py)."""
    assert {name: loaded.protocol.region for name, loaded in BUILTINS.items()} == {
        name: name for name in BUILTINS
    }


def test_every_lower_limb_region_is_in_the_leg_zone_and_only_those() -> None:
    legs = {region for region, loaded in BUILTINS.items() if loaded.protocol.access.zone == "leg"}
    assert legs == LOWER_LIMB


@pytest.mark.parametrize("region", sorted(LOWER_LIMB))
def test_every_lower_limb_region_carries_clot_advice(region: str) -> None:
    """Leg swelling, warmth, redness or pain after scraping is a reason for same-day care:
    the zone warning says so, and the clot items are asked before every leg region."""
    (warning,) = CHECKLIST.zone_warnings(BUILTINS[region].protocol.access.zone)
    assert warning.urgency == "same-day"
    assert all(word in warning.text for word in ("Swelling", "warmth", "redness", "pain"))
    assert "after scraping" in warning.text and "even though" in warning.text
    clot = ITEMS["blood-clot-signs"]
    assert clot.applies_to(region, "leg") and clot.severity_for(region, "leg") == "stop"
    assert clot.urgency == "same-day" and "scraping caused it" in clot.question
    assert ITEMS["calf-clot-risk"].applies_to(region, "leg")


def test_clot_wording_never_invites_blaming_the_treatment() -> None:
    """'For no clear reason' is gone from every data file and from the learn pages."""
    for path in data_dir().rglob("*"):
        if path.is_file():
            assert "no clear reason" not in path.read_text(encoding="utf-8"), path


# -- cautions carry their consequences ----------------------------------------------------


@pytest.mark.parametrize(
    "item_id", sorted(i.id for i in CHECKLIST.item if "caution" in i.severities())
)
def test_every_caution_says_what_clearance_changes(item_id: str) -> None:
    item = ITEMS[item_id]
    assert item.if_cleared is not None
    assert item.if_cleared.site_bound == (item.level == "site")
    assert item.if_cleared.pressure in BOUNDS["pressure"].home.values  # type: ignore[union-attr]
    assert DEFAULT.search(item.if_cleared.why) or KNOWN_SOURCES.search(item.if_cleared.why)


def test_local_advice_promises_no_plan_change_the_program_does_not_make() -> None:
    """A local item only routes around a spot: it has no `if_cleared`, so the plan keeps
    its pressure and time. Advice after a local "yes" must not tell people to press more
    lightly than the timer then says (the varicose-veins advice did, without a source)."""
    for item in CHECKLIST.item:
        if item.severities() == {"local"}:
            assert item.if_cleared is None
            assert not re.search(r"light(er)? pressure|press (more )?lightly", item.advice), item.id


def test_people_who_cannot_use_the_pain_cue_get_the_skin_check() -> None:
    """§8e: reduced feeling or easy bruising → light pressure, less time, skin check."""
    for item_id in ("numbness", "diabetes", "steroids-fragile-skin", "osteoporosis"):
        consequences = ITEMS[item_id].if_cleared
        assert consequences is not None
        assert consequences.skin_check and consequences.pressure == "light"
        assert consequences.dose_percent < 100


def test_each_item_is_person_or_site_level_as_issue_10_lists() -> None:
    person = {"blood-thinners", "antiplatelets", "bleeding-disorder", "pregnancy", "postpartum"}
    site = {"varicose-veins", "moles-skin-lesions", "implanted-device", "burn-scars", "numbness"}
    assert {ITEMS[i].level for i in person} == {"person"}
    assert {ITEMS[i].level for i in site} == {"site"}


# -- protocols inside the home envelope ----------------------------------------------------


@pytest.mark.parametrize("region", sorted(BUILTINS))
def test_every_protocol_is_inside_the_home_envelope(region: str) -> None:
    protocol = BUILTINS[region].protocol
    values: list[tuple[str, object]] = [
        ("rest_hours", protocol.settings.rest_hours),
        ("max_session_minutes", protocol.settings.max_session_minutes),
        ("after_red_flag_percent", protocol.after_red_flag_percent),
    ]
    for area in protocol.area:
        values += [
            (key, getattr(area, key))
            for key in ("duration_s", "stroke", "angle_deg", "pressure", "cadence_s")
        ]
    if protocol.prescription:
        values.append(("sessions_per_week", protocol.prescription.sessions_per_week))
    for rule in protocol.dose_rule:
        values += [
            ("when_soreness_at_least", rule.when_soreness_at_least),
            ("scale_percent", rule.scale_percent),
        ]
    for key, value in values:
        limit = BOUNDS[key].limit(HOME)
        assert isinstance(limit, Range | Choices) and limit.allows(value), (key, value)


@pytest.mark.parametrize("region", sorted(BUILTINS))
def test_per_region_totals_are_inside_the_home_defaults(region: str) -> None:
    assert BUILTINS[region].protocol.planned_seconds() <= HOME_TOTAL_S[region]


@pytest.mark.parametrize("region", sorted(BUILTINS))
def test_reassess_pauses_are_data_and_match_the_words(region: str) -> None:
    """ "10-20 strokes then reassess": a pause point per area, never a bare stroke count."""
    for area in BUILTINS[region].protocol.area:
        assert 10 <= area.strokes_before_reassess <= 20
        assert area.reassess_every_s == area.strokes_before_reassess * area.cadence_s
    text = " ".join(BUILTINS[region].protocol.references)
    assert "10-20 strokes then reassess" not in text or "pause every 15 strokes" in text


# -- danger zones are places, each said once ----------------------------------------------

CONDITION_WORDS = re.compile(
    r"do not treat|seek|see a clinician|pregnan|suspected|urgent|clear reason|swollen", re.I
)


@pytest.mark.parametrize("region", sorted(BUILTINS))
def test_avoid_lists_name_places_not_conditions(region: str) -> None:
    for area in BUILTINS[region].protocol.area:
        for place in area.avoid:
            assert not CONDITION_WORDS.search(place), place


@pytest.mark.parametrize("region", sorted(BUILTINS))
def test_each_danger_zone_is_worded_once_per_protocol(region: str) -> None:
    """The get-ready screen lists each place once: no two wordings of the same place."""
    wordings: dict[str, set[str]] = {}
    for area in BUILTINS[region].protocol.area:
        for place in area.avoid:
            head = re.split(r"[:(]", place)[0].strip().lower()
            wordings.setdefault(head, set()).add(place)
    assert {head: words for head, words in wordings.items() if len(words) > 1} == {}


def test_named_danger_zones_of_the_review() -> None:
    for region in ("neck", "upper-back"):
        places = " ".join(p for a in BUILTINS[region].protocol.area for p in a.avoid)
        assert "in front of the trapezius" in places and "above the collarbone" in places
    achilles = " ".join(p for a in BUILTINS["achilles"].protocol.area for p in a.avoid)
    assert "groove just behind it" in achilles and "tibial nerve" in achilles
    assert BUILTINS["glutes"].protocol.access.hard_to_reach_alone


def test_neck_cues_keep_to_the_back_of_the_neck() -> None:
    """A vertical line down from the ear runs over the side of the neck: the posterior
    triangle behind it (accessory nerve, brachial plexus, subclavian vessels, reference
    §8d) is a danger zone, so no cue may mark the safe area by that line."""
    for region in ("neck", "upper-back"):
        for area in BUILTINS[region].protocol.area:
            for cue in area.cues:
                assert "ear" not in re.findall(r"[a-z]+", cue.lower()), (region, cue)


@pytest.mark.parametrize("region", sorted(BUILTINS))
def test_partner_regions_point_to_the_partner_page(region: str) -> None:
    access = BUILTINS[region].protocol.access
    if not access.self_reachable or access.hard_to_reach_alone:
        assert "learn partner" in access.position


# -- aliases and advice names --------------------------------------------------------------


def test_every_alias_points_where_its_name_says() -> None:
    assert region_index().aliases == ALIASES


@pytest.mark.parametrize("name", sorted(region_index().advice))
def test_advice_names_lead_to_advice(name: str) -> None:
    index = region_index()
    assert name not in index.regions and name not in index.aliases
    with pytest.raises(SafetyStop) as caught:
        index.resolve(name)
    assert caught.value.exit_code == 3 and caught.value.hint
    advice = index.advice[name]
    assert advice.urgency in ("emergency", "same-day", "see-a-doctor")
    assert not advice.related or advice.related in index.regions


def test_shin_splints_leads_to_advice_not_to_the_front_shin_muscle() -> None:
    shin = BUILTINS["shin"].protocol
    assert "shin-splints" not in shin.aliases
    assert shin.title == "Front-outer shin muscle (tibialis anterior)"
    advice = region_index().advice["shin-splints"]
    assert "inner edge" in advice.text and "stress" in advice.text
    assert tomllib.loads(advice_path().read_text())["format"] == 1


# -- sources -------------------------------------------------------------------------------


def test_every_reference_names_a_source_or_says_conservative_default() -> None:
    unsourced = [
        f"{where}: {line}"
        for where, line in reference_lines()
        if not (KNOWN_SOURCES.search(line) or DEFAULT.search(line))
    ]
    assert unsourced == []


@pytest.mark.parametrize("path", sorted(learn_dir().glob("*.md")), ids=lambda p: p.stem)
def test_every_learn_page_names_its_sources(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(r"^(Sources?:|## Sources)", text, flags=re.MULTILINE), path.stem


def test_learn_topics_named_in_data_exist() -> None:
    topics = set(topic_names())
    named = {t for item in CHECKLIST.item for t in item.learn}
    named |= {t for entry in [*CHECKLIST.first_use, *CHECKLIST.first_use_note] for t in entry.learn}
    for path in data_dir().rglob("*"):
        if path.is_file() and path.suffix in (".toml", ".md"):
            named |= set(re.findall(r"iastm-coach learn ([a-z-]+)", path.read_text()))
    assert named <= topics, named - topics


# -- overlaps ------------------------------------------------------------------------------


@pytest.mark.parametrize("region", sorted(BUILTINS))
def test_overlaps_are_symmetric_real_and_in_one_zone(region: str) -> None:
    access = BUILTINS[region].protocol.access
    for other in access.overlaps:
        assert other in BUILTINS and other != region
        assert region in BUILTINS[other].protocol.access.overlaps
        assert BUILTINS[other].protocol.access.zone == access.zone


# -- the additions of issue 11, as data ----------------------------------------------------

REGION_WARNINGS = {
    "neck": {"emergency", "see-a-doctor"},
    "lower-back": {"emergency", "see-a-doctor"},
    "shin": {"see-a-doctor", "same-day"},
    "achilles": {"same-day"},
    "plantar-fascia": {"see-a-doctor"},
    "calf": {"same-day"},
}


def region_only(region: str) -> list[ChecklistItem]:
    zone = BUILTINS[region].protocol.access.zone
    return [i for i in CHECKLIST.item if (i.regions or i.zones) and i.applies_to(region, zone)]


@pytest.mark.parametrize("region", sorted(REGION_WARNINGS))
def test_region_warning_signs_stop_with_their_urgency(region: str) -> None:
    """§8d: asked before that region only, each a stop with the right urgency."""
    warnings = [i for i in region_only(region) if i.severity == "stop" and i.urgency]
    assert {i.urgency for i in warnings} >= REGION_WARNINGS[region]
    assert all(i.asked == "every-session" for i in warnings)
    assert not any(i.applies_to("forearm-flexors", "arm") for i in warnings)


def test_medicines() -> None:
    thinners = ITEMS["blood-thinners"].question
    assert "dabigatran" in thinners and "edoxaban" in thinners
    assert "clopidogrel" in ITEMS["antiplatelets"].question
    assert ITEMS["antiplatelets"].severity == "stop"
    quinolones = ITEMS["fluoroquinolones"]
    assert quinolones.regions == ["achilles", "plantar-fascia"] and quinolones.severity == "stop"
    assert not quinolones.applies_to("calf", "leg")
    steroid = ITEMS["steroid-injection-tendon"]
    assert steroid.severity == "stop" and steroid.level == "site"


def test_pregnancy_and_postpartum() -> None:
    pregnancy = ITEMS["pregnancy"]
    for spine in ("lower-back", "neck", "upper-back", "glutes"):
        assert pregnancy.severity_for(spine, "trunk") == "stop"
    for leg in LOWER_LIMB - {"glutes"}:
        assert pregnancy.severity_for(leg, "leg") == "caution"
        assert "obstetrician" in pregnancy.cleared_by_for(leg, "leg")
    assert pregnancy.severity_for("forearm-flexors", "arm") == "caution"
    postpartum = ITEMS["postpartum"]
    assert postpartum.zones == ["leg"] and "obstetrician" in postpartum.cleared_by
    assert not postpartum.applies_to("neck", "trunk")


def test_diabetes_and_neuropathy_need_foot_clearance() -> None:
    for item_id in ("diabetes", "numbness"):
        item = ITEMS[item_id]
        for region in ("achilles", "plantar-fascia"):
            assert "podiatrist" in item.cleared_by_for(region, "leg")
        assert "podiatrist" not in item.cleared_by_for("calf", "leg")


def test_radiotherapy_lump_and_bruises() -> None:
    assert ITEMS["radiotherapy-area"].severity == "stop"
    assert ITEMS["active-cancer-treatment"].severity == "caution"
    assert ITEMS["lump"].severity == "stop"
    assert ITEMS["bruise-from-session"].severity == "stop"
    assert ITEMS["bruise"].severity == "local" and "not from scraping" in ITEMS["bruise"].question
    assert ITEMS["psoriasis-eczema-flare"].severity == "local"


def test_age_bands_at_first_use() -> None:
    assert CHECKLIST.age_band_for(15).outcome == "stop"  # type: ignore[union-attr]
    assert CHECKLIST.age_band_for(16).outcome == "none"  # type: ignore[union-attr]
    older = CHECKLIST.age_band_for(65)
    assert older is not None and older.consequences is not None
    assert older.consequences.pressure == "light"


def test_first_use_questions_and_notes() -> None:
    questions = {q.id: q for q in CHECKLIST.first_use}
    assessed = questions["clinician-assessed"]
    assert assessed.asked == "per-region"
    for region in ("neck", "lower-back", "achilles"):
        assert assessed.if_no_for(region) == "stop"
    assert assessed.if_no_for("calf") == "recommend"
    assert "taught-by-physio" in questions
    notes = {n.id: n for n in CHECKLIST.first_use_note}
    assert "300-500 g" in notes["pressure-calibration"].text
    assert "600-900 g" in notes["pressure-calibration"].text


def test_outcomes_state_their_measurement_error() -> None:
    for region in ("calf", "achilles"):
        outcome = BUILTINS[region].protocol.outcome
        assert outcome is not None and outcome.unit == "cm" and outcome.minimal_change == 2
    for loaded in BUILTINS.values():
        outcome = loaded.protocol.outcome
        if outcome is not None and outcome.unit == "0-10":
            assert outcome.minimal_change == 2  # Farrar 2001: 2 points
    quads = BUILTINS["quadriceps"].protocol.outcome
    assert quads is not None and "nobody pushes or pulls" in quads.how


def test_evidence_page_says_what_the_review_asked() -> None:
    text = (learn_dir() / "evidence.md").read_text()
    for phrase in (
        "within each group",
        "46 trials",
        "Tang and colleagues",
        "2025 review",
        "Self-treatment itself has not been studied",
        "Safety was little reported",
    ):
        assert phrase in text, phrase
    calf = BUILTINS["calf"].protocol.summary
    assert "one trial" not in calf and "Several small trials" in calf


def test_stanek_is_compared_with_a_control_group_as_the_source_says() -> None:
    """§8g: one Graston session was no better than *control*; the source does not say the
    controls had no treatment, so neither may the calf summary or the evidence page."""
    evidence = (learn_dir() / "evidence.md").read_text()
    for text in (BUILTINS["calf"].protocol.summary, evidence):
        assert "no better than no treatment" not in text
        assert "no better than a control group" in text


def test_a_bruise_left_by_a_session_waits_for_a_clinician_on_the_learn_page() -> None:
    """The checklist puts the region on hold and lifts it only after a clinician has looked
    at the bruise (§8c: a red flag); the page must not tell people to wait until it has gone
    and carry on with less pressure."""
    page = (learn_dir() / "normal-vs-warning.md").read_text()
    assert "until it has gone" not in page and "use less pressure next time" not in page
    assert "on hold" in page and "clinician has looked at" in page
    assert "clinician has looked at the bruise" in ITEMS["bruise-from-session"].advice


def test_neck_warning_signs_name_a_new_headache_too() -> None:
    """§8d: 'sudden severe or new headache'; the question asked only about a sudden severe
    one, so a new, unusual headache went unmentioned before scraping the neck."""
    question = ITEMS["neck-warning-signs"].question
    assert "sudden severe or new headache" in question


def test_places_hold_names_a_red_flag_rule() -> None:
    """An item that places a hold names a rule of the safety table (§8c: a bruise left by a
    previous session is itself a red flag)."""
    from iastm_coach.safety.redflags import RULES

    placing = {item.id: item.places_hold for item in ITEMS.values() if item.places_hold}
    assert placing == {"bruise-from-session": "bruising"}
    assert all(rule in RULES for rule in placing.values())


def test_the_clot_risk_question_itself_names_pregnancy_and_a_recent_birth() -> None:
    """§8c/§8d: pregnancy and the weeks after birth are clot risk factors; a person who
    reads only the question (the advice comes after a yes) must see them."""
    question = ITEMS["calf-clot-risk"].question
    assert "pregnant" in question and "given birth in the last 12 weeks" in question
    assert "12 weeks" in ITEMS["postpartum"].question  # the same window


def test_spreading_redness_needs_a_doctor_the_same_day() -> None:
    """Hot, red, spreading skin may be cellulitis: a doctor the same day (clinical judgement,
    flagged as a conservative default in the item's references), not 'doctor or pharmacist'."""
    item = ITEMS["infection-in-area"]
    assert item.urgency == "same-day"
    assert item.advice_for("calf", "leg").startswith("Get medical care today.")
    assert "doctor the same day" in item.advice and "doctor or pharmacist" not in item.advice
    assert any("conservative default" in ref for ref in item.references)


def test_the_teaching_question_covers_a_partner_who_does_the_strokes() -> None:
    """For the glutes, the back and the other areas a person cannot reach, a partner does
    the strokes (reference §4): the hands-on teaching the program recommends is theirs."""
    (taught,) = [q for q in CHECKLIST.first_use if q.id == "taught-by-physio"]
    assert "whoever does the strokes" in taught.question
    assert "partner" in taught.advice
