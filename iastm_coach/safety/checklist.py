"""Screening before a session: which questions to ask today, and what the answers mean.

Pure functions: the session asks the questions and passes the answers in.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from iastm_coach.errors import DataFileError
from iastm_coach.paths import data_dir
from iastm_coach.protocols.files import describe_validation_errors
from iastm_coach.safety.checklist_model import (
    AgeBand,
    Checklist,
    ChecklistItem,
    FirstUseQuestion,
)


def load_checklist() -> Checklist:
    """The shipped contraindication checklist (`data/contraindications.toml`)."""
    path = data_dir() / "contraindications.toml"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        return Checklist.model_validate(document)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DataFileError(f"{path}: cannot read the checklist ({error})") from None
    except ValidationError as error:
        problems = [f"{path}: {line}" for line in describe_validation_errors(error)]
        raise DataFileError(f"{path} is not a valid checklist", problems=problems) from None


@dataclass(frozen=True)
class ScreeningHistory:
    """What earlier cleared screenings tell us: is this first use, what was confirmed when."""

    first_use: bool
    # periodic item id -> when last answered "no" (any region: right for person-level items)
    confirmed_at: Mapping[str, datetime]
    regions_cleared: frozenset[str] = frozenset()  # regions with a cleared screening
    # (item id, region) -> when last answered "no" there: site-level items are per region
    site_confirmed_at: Mapping[tuple[str, str], datetime] = field(default_factory=dict)
    age_band: str | None = None  # the band given at first use (only the band is kept)
    # item id -> when last answered "yes" (site-level items also per region, as above)
    said_yes_at: Mapping[str, datetime] = field(default_factory=dict)
    site_said_yes_at: Mapping[tuple[str, str], datetime] = field(default_factory=dict)

    def confirmed(self, item: ChecklistItem, region: str | None) -> datetime | None:
        """When *item* was last answered "no": for a site-level item, in *region*."""
        if item.level == "site" and region is not None:
            return self.site_confirmed_at.get((item.id, region))
        return self.confirmed_at.get(item.id)

    def said_yes_last(self, item: ChecklistItem, region: str | None) -> bool:
        """Was *item*'s latest answer "yes" (a caution cleared, a spot worked around)?"""
        if item.level == "site" and region is not None:
            yes = self.site_said_yes_at.get((item.id, region))
        else:
            yes = self.said_yes_at.get(item.id)
        no = self.confirmed(item, region)
        return yes is not None and (no is None or yes > no)


def screening_history(screenings: Iterable[Mapping[str, Any]]) -> ScreeningHistory:
    """Fold earlier screening records (newest first or any order) into a history.

    Each mapping has `at` (datetime), `outcome`, `region` and `answers` ({item id: bool}).
    """
    confirmed: dict[str, datetime] = {}
    site: dict[tuple[str, str], datetime] = {}
    said_yes: dict[str, datetime] = {}
    site_yes: dict[tuple[str, str], datetime] = {}
    seen_cleared = False
    regions: set[str] = set()
    band: tuple[datetime, str] | None = None
    for record in screenings:
        if record.get("outcome") != "cleared":
            continue
        seen_cleared = True
        region = str(record.get("region", ""))
        regions.add(region)
        at: datetime = record["at"]
        for item_id, present in dict(record.get("answers", {})).items():
            if present is True:
                latest, per_site = said_yes, site_yes
            elif present is False:
                latest, per_site = confirmed, site
            else:
                continue
            if item_id not in latest or latest[item_id] < at:
                latest[item_id] = at
            if (item_id, region) not in per_site or per_site[(item_id, region)] < at:
                per_site[(item_id, region)] = at
        if record.get("age_band") and (band is None or band[0] < at):
            band = (at, str(record["age_band"]))
    return ScreeningHistory(
        first_use=not seen_cleared,
        confirmed_at=confirmed,
        regions_cleared=frozenset(regions),
        site_confirmed_at=site,
        age_band=band[1] if band else None,
        said_yes_at=said_yes,
        site_said_yes_at=site_yes,
    )


@dataclass(frozen=True)
class ItemGroup:
    """Items asked as one question: a numbered list, "any of these?", then which one."""

    id: str  # today, skin, you, site
    question: str
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class Questions:
    items: list[ChecklistItem]  # every checklist item asked today
    first_use: list[FirstUseQuestion]
    # Periodic items confirmed lately: asked again only after "something has changed".
    not_due: list[ChecklistItem] = field(default_factory=list)
    ask_age: bool = False  # the age band is not known yet

    def groups(
        self, region: str, zone: str | None, place: str, *, reopened: bool = False
    ) -> list[ItemGroup]:
        """Today's items in up to four grouped questions, most urgent first: today's stop
        signs and cautions, today's skin spots on *place*, then the lasting (periodic)
        items about the person and about *place* (*reopened*: the not-due ones too)."""
        periodic = [item for item in self.items if item.asked == "periodic"]
        if reopened:
            periodic += self.not_due
        daily = [item for item in self.items if item.asked == "every-session"]
        found = [
            ItemGroup(
                "today",
                "Today, does any of these apply to you?",
                tuple(item for item in daily if item.severity_for(region, zone) != "local"),
            ),
            ItemGroup(
                "skin",
                f"Today, is any of these on the skin of the {place}?",
                tuple(item for item in daily if item.severity_for(region, zone) == "local"),
            ),
            ItemGroup(
                "you",
                "Does any of these apply to you?",
                tuple(item for item in periodic if item.level == "person"),
            ),
            ItemGroup(
                "site",
                f"Does any of these apply to the {place}?",
                tuple(item for item in periodic if item.level == "site"),
            ),
        ]
        return [group for group in found if group.items]


def questions_for_today(
    checklist: Checklist,
    history: ScreeningHistory,
    *,
    now: datetime,
    region: str | None = None,
    zone: str | None = None,
) -> Questions:
    """Every-session items always; lasting (periodic) items when their last "no" is older
    than `recheck_days` or their latest answer is a yes: person-level ones from any region,
    site-level ones from this region (so "no varicose veins" for the forearm says nothing
    about the calf).
    First-use questions once, per-region ones before the region's first cleared session,
    every-session ones (the smooth tool) always. With *region*, only the items that apply
    to it (a region's warning signs, medicines that concern its tendons)."""
    recheck = timedelta(days=checklist.recheck_days)
    applicable = [
        item for item in checklist.item if region is None or item.applies_to(region, zone)
    ]
    items: list[ChecklistItem] = []
    not_due: list[ChecklistItem] = []
    for item in applicable:
        confirmed = history.confirmed(item, region)
        if (
            item.asked == "every-session"
            or confirmed is None
            or now - confirmed >= recheck
            # the latest answer is a yes (given after an earlier no): it is true now and
            # changes the plan, so it is asked every session, never carried by the old no
            or history.said_yes_last(item, region)
        ):
            items.append(item)
        else:
            not_due.append(item)
    first = [
        question
        for question in checklist.first_use
        if question.asked == "every-session"
        or (question.asked == "once" and history.first_use)
        or (question.asked == "per-region" and region not in history.regions_cleared)
    ]
    ask_age = bool(checklist.age_band) and history.age_band is None
    return Questions(items, first, not_due, ask_age)


SORENESS_BEFORE_LIMIT = 4


@dataclass(frozen=True)
class SorenessStop:
    """Not a checklist item: too sore before starting (clinical reference, section 7)."""

    id: str = "soreness-before"
    advice: str = (
        "Your soreness is 4 or more out of 10 before you start. Let it settle: skip today's "
        "session, and contact your clinician if it does not ease over the next few days."
    )


@dataclass
class ScreeningResult:
    """The answers, and what follows from them."""

    answers: dict[str, bool] = field(default_factory=dict)
    first_use: dict[str, bool] = field(default_factory=dict)
    stopped_by: ChecklistItem | FirstUseQuestion | SorenessStop | AgeBand | None = None
    soreness_before: int | None = None
    baseline: int = 0  # the person's usual soreness for the region (the gate compares)
    age_band: AgeBand | None = None  # given today (first use), or known from earlier
    age_band_new: bool = False  # given today: recorded with this screening
    cautions: list[ChecklistItem] = field(default_factory=list)  # need a clinician's clearance
    cleared_cautions: list[str] = field(default_factory=list)
    local: list[ChecklistItem] = field(default_factory=list)  # work around that spot
    recommendations: list[FirstUseQuestion] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return self.stopped_by is not None


def stop_advice(
    stopped_by: ChecklistItem | FirstUseQuestion | SorenessStop | AgeBand,
    *,
    region: str,
    zone: str | None,
) -> str:
    """What to tell a person the screening stopped: the region's advice, urgency first."""
    if isinstance(stopped_by, ChecklistItem):
        return stopped_by.advice_for(region, zone)
    return stopped_by.advice or ""


def evaluate_age(result: ScreeningResult, band: AgeBand | None, *, new: bool) -> None:
    """The age band (asked once, at first use): a `stop` band ends the screening; an
    `adjust` band changes the plan (`plan.adjustments`)."""
    result.age_band = band
    result.age_band_new = new and band is not None
    if band is not None and band.outcome == "stop":
        result.stopped_by = band


def evaluate_answer(
    result: ScreeningResult,
    item: ChecklistItem,
    present: bool,
    *,
    region: str,
    zone: str | None = None,
) -> None:
    """Record one checklist answer; a `stop` answer sets `stopped_by`."""
    result.answers[item.id] = present
    if not present:
        return
    severity = item.severity_for(region, zone)
    if severity == "stop":
        result.stopped_by = item
    elif severity == "caution":
        result.cautions.append(item)
    else:
        result.local.append(item)


def evaluate_caution_clearance(result: ScreeningResult, item: ChecklistItem, cleared: bool) -> None:
    """A caution needs the user to confirm a clinician has cleared them; if not, stop."""
    if cleared:
        result.cleared_cautions.append(item.id)
    else:
        result.stopped_by = item


def evaluate_first_use(
    result: ScreeningResult, question: FirstUseQuestion, yes: bool, *, region: str = ""
) -> None:
    result.first_use[question.id] = yes
    if yes:
        return
    if question.if_no_for(region) == "stop":
        result.stopped_by = question
    else:
        result.recommendations.append(question)


def evaluate_soreness_before(result: ScreeningResult, soreness: int) -> None:
    """Soreness of 4 or more before starting means no session today (a conservative
    default suggested by the clinical reference, not a finding)."""
    result.soreness_before = soreness
    if soreness >= SORENESS_BEFORE_LIMIT:
        result.stopped_by = SorenessStop()


def screening_record(result: ScreeningResult, *, region: str) -> dict[str, Any]:
    """The journal fields for this screening (records.SCREENING).

    A refusal records the item id and nothing more: the user's other answers
    are not needed to explain why the session did not happen.
    """
    if result.stopped_by is not None:
        return {"region": region, "outcome": "stopped", "stopped_by": result.stopped_by.id}
    record: dict[str, Any] = {
        "region": region,
        "outcome": "cleared",
        "stopped_by": "",
        "answers": dict(result.answers),
        "cleared_cautions": list(result.cleared_cautions),
        "local": [item.id for item in result.local],
    }
    if result.soreness_before is not None:
        record["soreness_before"] = result.soreness_before
    if result.first_use:
        record["first_use"] = dict(result.first_use)
    if result.age_band_new and result.age_band is not None:
        record["age_band"] = result.age_band.id  # the band only, never the age
    return record
