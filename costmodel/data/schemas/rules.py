"""Export-control rule preset schema."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .base import Sourced, Strict


class RuleCondition(Strict):
    """One threshold test."""

    metric: Literal[
        "tpp", "performance_density", "interconnect_gb_per_s", "memory_bandwidth_gb_per_s"
    ]
    op: Literal[">=", ">", "<", "<="]
    value: float


class RuleCategory(Strict):
    """A classification that applies when all its conditions hold."""

    eccn: str
    clause: str
    conditions: tuple[RuleCondition, ...] = Field(min_length=1)


class RulePreset(Sourced):
    """An export-control rule: thresholds as published, evaluated on catalog metrics."""

    name: str
    federal_register: str
    published: dt.date
    effective: str
    text: str = Field(min_length=20, description="the rule's wording, quoted or summarised")
    categories: tuple[RuleCategory, ...] = Field(min_length=1)
    applies_to_rule: str | None = Field(
        None, description="a policy rule applies only to items with this status under that rule"
    )
    applies_to_status: str | None = None
    requires_us_commercial_availability: dt.date | None = Field(
        None,
        description="a policy that covers only items commercially available in the US on "
        "this date (the accelerators' us_commercially_available)",
    )
    other_conditions: tuple[str, ...] = Field(
        (), description="conditions of the rule the catalog cannot evaluate, stated in output"
    )
