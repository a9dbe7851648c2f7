"""The pydantic configuration every value object and preset schema shares."""

from __future__ import annotations

from pydantic import ConfigDict

__all__ = ["STRICT_CONFIG"]

#: Unknown keys are errors, objects are immutable, and NaN or ±inf is rejected in every float
#: field (a rule threshold of ``nan`` compares false with everything, silently; an ``inf``
#: cannot be written as JSON).
STRICT_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
