"""The model and the accelerator as the performance model sees them (plain numbers).

:class:`ModelShape` (a decoder-only transformer's counts and per-token FLOP) and
:class:`Hardware` (an accelerator and its network, datasheet values) are built from the
catalog by :mod:`costmodel.perf.bind`; every formula module of :mod:`costmodel.perf` takes
them. :func:`model_flop_per_token` is the training FLOP count MFU divides by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels as ker

__all__ = ["ModelShape", "Hardware", "model_flop_per_token"]


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer as the performance model needs it (plain numbers).

    Built from :class:`costmodel.formulas.architecture.Architecture` by
    :func:`costmodel.perf.bind.model_shape`. Counts are [1]; FLOP are per token [FLOP].
    """

    n_layers: int
    n_moe_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    qk_head_dim: int
    v_head_dim: int
    ffn_hidden: int
    gated: bool
    vocab_size: int
    causal: bool
    # MLA (0 = standard attention)
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    # MoE (0 experts = dense)
    n_experts: int = 0
    top_k: int = 0
    expert_ffn_hidden: int = 0
    shared_ffn_hidden: int = 0  # all shared experts together
    mtp_depth: int = 0
    # parameter counts [count]
    params_total: float = 0.0  # without MTP modules
    params_expert: float = 0.0  # routed experts, all layers
    params_embedding: float = 0.0  # input embedding + untied head
    params_mtp: float = 0.0
    # forward FLOP per token without the attention core, MTP excluded [FLOP]
    linear_flop_per_token: float = 0.0
    # forward FLOP per token of the linears that run in FP8 under DeepSeek's recipe [FLOP]
    fp8_linear_flop_per_token: float = 0.0

    @property
    def n_dense_layers(self) -> int:
        """Layers with a dense MLP [1]."""
        return self.n_layers - self.n_moe_layers

    @property
    def mla(self) -> bool:
        """Multi-head latent attention [bool]."""
        return self.kv_lora_rank > 0


@dataclass(frozen=True)
class Hardware:
    """One accelerator and its network (plain numbers, datasheet values).

    Bandwidths are nominal one-direction per accelerator; :func:`evaluate` applies
    :data:`costmodel.perf.collectives.LINK_EFFICIENCY`.
    """

    peak_bf16_flop_per_s: float
    peak_fp8_flop_per_s: float  # NaN if none
    hbm_bytes_per_s: float
    memory_bytes: float
    scale_up_bytes_per_s: float  # one direction, per accelerator
    scale_up_domain: int
    scale_out_bytes_per_s: float  # one direction, per accelerator
    matmul_ceiling: float = ker.H200_MATMUL_CEILING


def model_flop_per_token(model: ModelShape, seq_len, *, causal=None):
    """Training model FLOP per token, MTP excluded (``megatron`` convention) [FLOP].

    ``3·(linear + L·2·a·(d_qk + d_v)·k̄)`` with ``k̄ = s/2`` causal, ``s`` otherwise
    (Megatron-LM ``num_floating_point_operations``; docs/methodology.md §1).

    Parameters
    ----------
    model : ModelShape
    seq_len : array_like
        Sequence length [tokens].
    causal : bool, optional
        Override the model's mask.
    """
    c = model.causal if causal is None else causal
    s = np.asarray(seq_len, dtype=float)
    keys = s / 2.0 if c else s
    core = model.n_layers * 2.0 * model.n_heads * (model.qk_head_dim + model.v_head_dim) * keys
    return 3.0 * (model.linear_flop_per_token + core)
