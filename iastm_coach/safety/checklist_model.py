"""The screening checklist file (`data/contraindications.toml`), as strict models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from iastm_coach.protocols.model import Line, Paragraph, Slug, Strict

Severity = Literal["stop", "caution", "local"]
Asked = Literal["every-session", "periodic"]


class ChecklistItem(Strict):
    """One yes/no question; "yes" means the condition is present."""

    id: Slug
    question: Line
    severity: Severity = Field(
        description="stop: no session; caution: only with a clinician's clearance; "
        "local: work around that spot."
    )
    asked: Asked = Field(
        description="every-session for things that change day to day (a wound, a fever); "
        "periodic for lasting ones (blood thinners, pregnancy), re-confirmed every recheck_days."
    )
    advice: Paragraph
    severity_by_region: dict[Slug, Severity] = Field(
        default_factory=dict,
        description="Overrides for some regions, e.g. pregnancy is a stop for the lower back.",
    )
    references: list[Line] = Field(default_factory=list)

    def severity_for(self, region: str) -> Severity:
        return self.severity_by_region.get(region, self.severity)


class FirstUseQuestion(Strict):
    """Asked once, on first use; "no" is the worrying answer."""

    id: Slug
    question: Line
    if_no: Literal["recommend", "stop"]
    advice: Paragraph


class Checklist(Strict):
    format: int = Field(1, ge=1, le=1)
    recheck_days: int = Field(ge=7, le=180, description="Re-confirm periodic items this often.")
    item: list[ChecklistItem] = Field(min_length=1)
    first_use: list[FirstUseQuestion] = Field(default_factory=list)
