"""Base classes of the preset schemas other than :class:`~costmodel.schemas.Accelerator`."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from ...formulas.strict import STRICT_CONFIG
from . import _ID

__all__ = ["Strict", "Sourced"]


class Strict(BaseModel):
    """Base for preset schemas: unknown keys rejected, immutable, finite numbers only."""

    model_config = STRICT_CONFIG


class Sourced(Strict):
    """Fields every preset entry carries."""

    id: str = Field(pattern=_ID, description="lowercase, hyphenated identifier")
    source: str = Field(min_length=3, description="citation(s): paper + table, datasheet, URL")
    as_of: dt.date = Field(description="date the figures were checked or published")
    notes: str = ""
