"""The ``[layout]`` table of run and claim presets: the parallel layout a run published.

Its keys are ``costmodel perf``'s layout flags, so a published layout is exactly what a
user would type; every command that evaluates a run with one uses it unless the user
overrides a key (issue 18: one evaluation everywhere).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import Strict

__all__ = ["Layout", "LAYOUT_FIELDS"]


class Layout(Strict):
    """A published training layout, with its source.

    Keys a paper does not state are left out; the performance model then fills them with
    its documented defaults and says so in ``assumptions``.
    """

    tp: int | None = Field(None, ge=1, le=1024, description="tensor parallel degree")
    pp: int | None = Field(None, ge=1, le=1024, description="pipeline stages")
    dp: int | None = Field(None, ge=1, le=10_000_000, description="data parallel replicas")
    ep: int | None = Field(None, ge=1, le=65_536, description="expert parallel degree")
    cp: int | None = Field(None, ge=1, le=1024, description="context parallel degree")
    vpp: int | None = Field(None, ge=1, le=1024, description="virtual stages per device")
    schedule: Literal["1f1b", "interleaved", "dualpipe"] | None = None
    zero: int | None = Field(None, ge=0, le=3, description="ZeRO stage (3 = FSDP)")
    micro_batch: int | None = Field(None, ge=1, le=1_000_000, description="sequences")
    global_batch: int | None = Field(None, ge=1, le=100_000_000, description="sequences/step")
    seq_len: int | None = Field(None, ge=1, le=10_000_000, description="tokens per sequence")
    recompute: Literal["none", "selective", "full"] | None = None
    precision: Literal["bf16", "fp8", "mixed"] | None = None
    fp8_fraction: float | None = Field(None, ge=0, le=1)
    node_limit: int | None = Field(None, ge=0, le=65_536, description="MoE routing nodes")
    source: str = Field(min_length=3, description="where the layout is stated")

    def flags(self) -> dict[str, Any]:
        """The stated keys as ``costmodel perf`` layout keywords (``source`` left out)."""
        return {k: v for k, v in self.model_dump(exclude={"source"}).items() if v is not None}


#: The layout keys, in ``costmodel perf``'s order.
LAYOUT_FIELDS = tuple(k for k in Layout.model_fields if k != "source")
