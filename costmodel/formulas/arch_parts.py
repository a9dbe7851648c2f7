"""The parts of an :class:`~costmodel.formulas.architecture.Architecture`: the multi-head
latent attention and mixture-of-experts sub-models (strict pydantic, unknown keys rejected)
and :class:`FlopBreakdown`, its forward FLOP per token by component."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field, model_validator

from . import flops
from .strict import STRICT_CONFIG

__all__ = ["StrictModel", "MLA", "MoE", "FlopBreakdown"]


class StrictModel(BaseModel):
    """Base of the architecture models: unknown keys rejected, immutable, finite floats."""

    model_config = STRICT_CONFIG


class MLA(StrictModel):
    """Multi-head latent attention dimensions (DeepSeek-V2 §2.1, arXiv 2405.04434)."""

    q_lora_rank: int | None = Field(None, gt=0, description="query compression rank d_c' [1]")
    kv_lora_rank: int = Field(gt=0, description="key/value compression rank d_c [1]")
    qk_nope_head_dim: int = Field(gt=0, description="per-head q/k dim without RoPE [1]")
    qk_rope_head_dim: int = Field(ge=0, description="decoupled RoPE dim d_h^R [1]")
    v_head_dim: int = Field(gt=0, description="per-head value dim [1]")


class MoE(StrictModel):
    """Mixture-of-experts feed-forward layers."""

    n_routed_experts: int = Field(gt=0, description="routed experts per MoE layer [1]")
    top_k: int = Field(gt=0, description="routed experts active per token [1]")
    expert_ffn_hidden: int = Field(gt=0, description="intermediate size of one expert [1]")
    n_shared_experts: int = Field(0, ge=0, description="always-active shared experts [1]")
    shared_expert_ffn_hidden: int | None = Field(
        None, gt=0, description="intermediate size of a shared expert (default: expert's) [1]"
    )
    n_dense_layers: int = Field(0, ge=0, description="leading layers with a dense MLP [1]")
    router: bool = Field(True, description="count the d_model × n_routed gating matmul")

    @model_validator(mode="after")
    def _k_le_n(self) -> MoE:
        if self.top_k > self.n_routed_experts:
            raise ValueError(
                f"top_k ({self.top_k}) exceeds n_routed_experts ({self.n_routed_experts})"
            )
        return self


@dataclass(frozen=True)
class FlopBreakdown:
    """Forward FLOP per token by component, and what training multiplies them by.

    All fields are forward FLOP per token [FLOP]; ``training`` is ×3 of the total.
    """

    attention_projections: float
    attention_core: float
    mlp: float
    router: float
    lm_head: float
    mtp: float
    mtp_attention_core: float
    mtp_router: float = 0.0

    @property
    def forward(self) -> float:
        """Forward FLOP per token of everything counted [FLOP]."""
        return (
            self.attention_projections
            + self.attention_core
            + self.mlp
            + self.router
            + self.lm_head
            + self.mtp
        )

    @property
    def training(self) -> float:
        """Training (forward + backward) model FLOP per token [FLOP]."""
        return flops.TRAINING_PASSES * self.forward

    @property
    def training_megatron_lm(self) -> float:
        """Training FLOP per token as Megatron-LM itself counts them [FLOP].

        The ``megatron`` convention adds the MoE router's gating matmul (``2·d·n_routed``
        forward per MoE layer, in :attr:`router` and :attr:`mtp_router`), which
        Megatron-LM's ``num_floating_point_operations`` (megatron/training/training.py)
        leaves out: +0.26 % on DeepSeek-V3 (250.45 vs 249.81 GFLOP/token at seq 4096).
        This is the count without it; it matches Megatron-LM's formula to its LayerNorm
        terms (a few parts per million).
        """
        return flops.TRAINING_PASSES * (self.forward - self.router - self.mtp_router)
