"""Transformer architecture description and its FLOP and parameter accounting.

:class:`Architecture` is a strict pydantic model (unknown keys rejected) covering dense MHA,
GQA/MQA, multi-head latent attention (MLA), gated and plain MLPs, mixture-of-experts with
top-k routed, shared and dense-first layers plus the router, the LM head, multi-token
prediction (MTP) modules, causal vs non-causal and sliding-window attention. The arithmetic
lives in :mod:`costmodel.flops`; this module only assembles it. The attention and MoE
sub-models and the per-component FLOP result are in :mod:`costmodel.formulas.arch_parts`.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from . import flops
from .arch_parts import MLA, FlopBreakdown, MoE, StrictModel

__all__ = ["MLA", "MoE", "Architecture", "FlopBreakdown", "MAX_SIZE", "MAX_LAYERS"]

#: Largest width, head, vocabulary, expert count or sequence length an architecture may give
#: [1]: 2**24 (16.8M), far above any published model (widest d_model 18,432, PaLM 540B,
#: arXiv 2204.02311 Table 1; largest vocabulary 256K, Gemma, arXiv 2403.08295; most experts
#: 2**20, PEER, arXiv 2407.04153), so a larger value is a typo, not a model, and refusing it
#: keeps the layout search and its divisor checks bounded.
MAX_SIZE = 2**24
#: Most layers (and MTP modules) an architecture may give [1]: 2**16, far above the deepest
#: published transformer (1,000 layers, DeepNet, arXiv 2203.00555).
MAX_LAYERS = 2**16
_LAYER_FIELDS = ("n_layers", "mtp_depth", "n_dense_layers", "n_sliding_window_layers")


class Architecture(StrictModel):
    """A decoder-only transformer, as far as FLOP and parameter counts need it.

    Examples
    --------
    >>> arch = Architecture(n_layers=2, d_model=64, n_heads=4, ffn_hidden=256,
    ...                     gated_mlp=False, vocab_size=1000, seq_len=128)
    >>> arch.head_dim_, arch.n_kv_heads_
    (16, 4)
    """

    n_layers: int = Field(gt=0, description="transformer blocks [1]")
    d_model: int = Field(gt=0, description="hidden size [1]")
    n_heads: int = Field(gt=0, description="query heads [1]")
    head_dim: int | None = Field(None, gt=0, description="head dim (default d_model/n_heads)")
    n_kv_heads: int | None = Field(None, gt=0, description="key/value heads (GQA; default MHA)")
    ffn_hidden: int = Field(gt=0, description="MLP intermediate size of dense layers [1]")
    gated_mlp: bool = Field(True, description="SwiGLU-style gated MLP (3 matrices) or plain (2)")
    vocab_size: int = Field(gt=0, description="vocabulary size [1]")
    tied_embeddings: bool = Field(False, description="LM head shares the input embedding")
    seq_len: int = Field(gt=0, description="training sequence length [tokens]")
    causal: bool = Field(True, description="causal attention mask")
    sliding_window: int | None = Field(None, gt=0, description="sliding-window size [tokens]")
    n_sliding_window_layers: int | None = Field(
        None, ge=0, description="layers using the window (default: all when a window is set)"
    )
    mla: MLA | None = None
    moe: MoE | None = None
    mtp_depth: int = Field(0, ge=0, description="multi-token-prediction modules [1]")

    @model_validator(mode="after")
    def _consistent(self) -> Architecture:
        for prefix, part in (("", self), ("mla.", self.mla), ("moe.", self.moe)):
            for name, value in (dict(part) if part is not None else {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    cap = MAX_LAYERS if name in _LAYER_FIELDS else MAX_SIZE
                    if value > cap:
                        raise ValueError(
                            f"{prefix}{name} = {value} exceeds {cap:,}, far above any "
                            "published model; check the number"
                        )
        if self.n_kv_heads is not None and self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"n_heads ({self.n_heads}) must be a multiple of n_kv_heads ({self.n_kv_heads})"
            )
        if self.head_dim is None and self.mla is None and self.d_model % self.n_heads:
            raise ValueError(
                f"d_model ({self.d_model}) is not a multiple of n_heads ({self.n_heads}); "
                "give head_dim"
            )
        if self.moe is not None and self.moe.n_dense_layers > self.n_layers:
            raise ValueError(
                f"moe.n_dense_layers ({self.moe.n_dense_layers}) exceeds n_layers ({self.n_layers})"
            )
        if (
            self.n_sliding_window_layers is not None
            and self.n_sliding_window_layers > self.n_layers
        ):
            raise ValueError(
                f"n_sliding_window_layers ({self.n_sliding_window_layers}) exceeds n_layers "
                f"({self.n_layers})"
            )
        return self

    # ------------------------------------------------------------------ derived shapes
    @property
    def head_dim_(self) -> int:
        """Head dimension in effect [1]."""
        return self.head_dim if self.head_dim is not None else self.d_model // self.n_heads

    @property
    def n_kv_heads_(self) -> int:
        """Key/value heads in effect [1]."""
        return self.n_kv_heads if self.n_kv_heads is not None else self.n_heads

    @property
    def qk_head_dim(self) -> int:
        """Query/key dimension used in ``QKᵀ`` [1]."""
        if self.mla is not None:
            return self.mla.qk_nope_head_dim + self.mla.qk_rope_head_dim
        return self.head_dim_

    @property
    def v_head_dim(self) -> int:
        """Value dimension used in ``AV`` [1]."""
        return self.mla.v_head_dim if self.mla is not None else self.head_dim_

    @property
    def n_moe_layers(self) -> int:
        """Layers with an MoE feed-forward block [1]."""
        return 0 if self.moe is None else self.n_layers - self.moe.n_dense_layers

    @property
    def n_dense_layers(self) -> int:
        """Layers with a dense MLP [1]."""
        return self.n_layers - self.n_moe_layers

    # ------------------------------------------------------------------ parameters
    def attention_params(self) -> float:
        """Matmul parameters of one attention layer [count]."""
        if self.mla is not None:
            m = self.mla
            return float(
                flops.mla_projection_params(
                    self.d_model,
                    self.n_heads,
                    m.q_lora_rank,
                    m.kv_lora_rank,
                    m.qk_nope_head_dim,
                    m.qk_rope_head_dim,
                    m.v_head_dim,
                )
            )
        return float(
            flops.attention_projection_params(
                self.d_model, self.n_heads, self.head_dim_, self.n_kv_heads_
            )
        )

    def _moe_parts(self) -> tuple[float, float, float, float]:
        """(one routed expert, all shared experts, router, dense MLP) parameters."""
        dense = float(flops.mlp_params(self.d_model, self.ffn_hidden, gated=self.gated_mlp))
        if self.moe is None:
            return 0.0, 0.0, 0.0, dense
        m = self.moe
        expert = float(flops.mlp_params(self.d_model, m.expert_ffn_hidden, gated=self.gated_mlp))
        shared_h = m.shared_expert_ffn_hidden or m.expert_ffn_hidden
        shared = m.n_shared_experts * float(
            flops.mlp_params(self.d_model, shared_h, gated=self.gated_mlp)
        )
        router = float(self.d_model * m.n_routed_experts) if m.router else 0.0
        return expert, shared, router, dense

    def _layer_active_mlp(self, moe_layer: bool) -> tuple[float, float]:
        """(active MLP parameters, router parameters) of one layer."""
        expert, shared, router, dense = self._moe_parts()
        if not moe_layer or self.moe is None:
            return dense, 0.0
        return self.moe.top_k * expert + shared, router

    def param_count(self) -> dict[str, float]:
        """Parameter counts [count].

        Returns
        -------
        dict
            ``total`` (all weights, MTP modules excluded, norms included), ``active``
            (weights touched per token, input embedding included, as labs report it),
            ``active_matmul`` (weights in per-token matmuls: no embedding lookup, LM head
            included), ``embedding``, ``mtp`` (extra weights of the MTP modules,
            embedding and head shared).
        """
        d, v = self.d_model, self.vocab_size
        attn = self.attention_params()
        norms = 2.0 * d
        if self.mla is not None:
            norms += self.mla.kv_lora_rank + (self.mla.q_lora_rank or 0)
        expert, shared, router, dense = self._moe_parts()
        n_moe, n_dense = self.n_moe_layers, self.n_dense_layers
        all_moe = (self.moe.n_routed_experts * expert + shared + router) if self.moe else 0.0
        blocks_total = self.n_layers * (attn + norms) + n_dense * dense + n_moe * all_moe
        embedding = float(v * d)
        head = 0.0 if self.tied_embeddings else float(v * d)
        total = blocks_total + embedding + head + d  # + final norm
        act_mlp_moe = sum(self._layer_active_mlp(True)) if self.moe else 0.0
        active_blocks = self.n_layers * attn + n_dense * dense + n_moe * act_mlp_moe
        active_matmul = active_blocks + float(v * d)
        mtp_layer = attn + norms + (all_moe if self.moe else dense)
        mtp = self.mtp_depth * (mtp_layer + 2.0 * d * d + 2.0 * d)
        return {
            "total": total,
            "active": active_matmul
            + embedding * (0.0 if self.tied_embeddings else 1.0)
            + self.n_layers * norms
            + d,
            "active_matmul": active_matmul,
            "embedding": embedding,
            "mtp": mtp,
        }

    # ------------------------------------------------------------------ FLOP
    def _core_per_token(self, *, causal: bool | None = None) -> float:
        """Forward attention-core FLOP per token, summed over layers [FLOP]."""
        c = self.causal if causal is None else causal
        full = float(
            flops.attention_core_flop_per_token(
                self.seq_len, self.n_heads, self.qk_head_dim, self.v_head_dim, causal=c
            )
        )
        if self.sliding_window is None:
            return self.n_layers * full
        n_win = (
            self.n_layers if self.n_sliding_window_layers is None else self.n_sliding_window_layers
        )
        win = float(
            flops.attention_core_flop_per_token(
                self.seq_len,
                self.n_heads,
                self.qk_head_dim,
                self.v_head_dim,
                causal=c,
                window=self.sliding_window,
            )
        )
        return n_win * win + (self.n_layers - n_win) * full

    def breakdown(self, *, mtp: bool = False, causal: bool | None = None) -> FlopBreakdown:
        """Forward FLOP per token by component (Megatron-LM accounting, plus the router).

        One addition to Megatron-LM's ``num_floating_point_operations``: the MoE router's
        gating matmul (``router``; DeepSeek-V3: +0.26 %), which Megatron-LM leaves out.
        :attr:`FlopBreakdown.training_megatron_lm` is the count without it.

        Parameters
        ----------
        mtp : bool, default False
            Include the multi-token-prediction modules (DeepSeek's 250 GFLOP/token excludes
            them; they add about 4 %).
        causal : bool, optional
            Override the architecture's causal flag (``False`` gives the non-causal count
            some papers report).

        Returns
        -------
        FlopBreakdown
        """
        attn = self.attention_params()
        dense_mlp, _ = self._layer_active_mlp(False)
        mlp = self.n_dense_layers * dense_mlp
        router = 0.0
        if self.moe is not None:
            moe_mlp, moe_router = self._layer_active_mlp(True)
            mlp += self.n_moe_layers * moe_mlp
            router = self.n_moe_layers * moe_router
        core = self._core_per_token(causal=causal)
        head = 2.0 * self.d_model * self.vocab_size
        mtp_flop = mtp_core = mtp_router = 0.0
        if mtp and self.mtp_depth:
            layer_mlp, layer_router = self._layer_active_mlp(self.moe is not None)
            per_layer_core = (
                core / self.n_layers
                if self.sliding_window is None
                else (
                    float(
                        flops.attention_core_flop_per_token(
                            self.seq_len,
                            self.n_heads,
                            self.qk_head_dim,
                            self.v_head_dim,
                            causal=self.causal if causal is None else causal,
                        )
                    )
                )
            )
            mtp_core = self.mtp_depth * per_layer_core
            # block + projection of [h; emb] (2d -> d) + shared output head
            mtp_flop = (
                self.mtp_depth
                * (
                    2.0 * (attn + layer_mlp + layer_router + 2.0 * self.d_model * self.d_model)
                    + head
                )
                + mtp_core
            )
            mtp_router = self.mtp_depth * 2.0 * layer_router
        return FlopBreakdown(
            attention_projections=2.0 * self.n_layers * attn,
            attention_core=core,
            mlp=2.0 * mlp,
            router=2.0 * router,
            lm_head=head,
            mtp=mtp_flop,
            mtp_attention_core=mtp_core,
            mtp_router=mtp_router,
        )

    def non_embedding_params(self) -> float:
        """Active matmul parameters of the blocks, LM head and embeddings excluded [count].

        This is PaLM's ``N`` (Chowdhery et al. 2022, App. B) for a dense model and its
        per-token (active) analogue for MoE.
        """
        return self.param_count()["active_matmul"] - float(self.d_model * self.vocab_size)

    def flop_per_token(
        self, convention: str, *, mtp: bool = False, active_params: float | None = None
    ) -> float:
        """Training model FLOP per token under a named convention [FLOP].

        Parameters
        ----------
        convention : {"6nd", "megatron", "palm", "narayanan2021"}
        mtp : bool, default False
            Add the MTP modules (``megatron`` only).
        active_params : float, optional
            Published active-parameter count to use for ``6nd`` instead of the count
            derived from the shape.
        """
        if convention == "6nd":
            n = active_params if active_params is not None else self.param_count()["active"]
            return 6.0 * n
        if convention == "megatron":
            return self.breakdown(mtp=mtp).training
        if convention == "palm":
            return float(
                flops.palm_flop_per_token(
                    self.non_embedding_params(),
                    self.n_layers,
                    self.n_heads,
                    (self.qk_head_dim + self.v_head_dim) / 2.0,
                    self.seq_len,
                )
            )
        if convention == "narayanan2021":
            return (
                float(
                    flops.narayanan2021_flop_per_iteration(
                        1, self.seq_len, self.n_layers, self.d_model, self.vocab_size
                    )
                )
                / self.seq_len
            )
        raise ValueError(f"flop_convention: {convention!r} is not one of {flops.CONVENTIONS}")

    def fp8_flop_fraction(self, *, mtp: bool = False) -> float:
        """Share of model FLOP in FP8 when the block linears run in FP8 [1].

        Follows DeepSeek-V3's recipe (arXiv 2412.19437 §3.3.1): the Fprop, Dgrad and Wgrad
        GEMMs of linear layers run in FP8; the embedding, output head, MoE gating,
        normalization and attention operators stay in BF16/FP32.
        """
        b = self.breakdown(mtp=mtp)
        fp8 = b.attention_projections + b.mlp
        if mtp and self.mtp_depth:
            # the MTP block's linears are FP8 too; its head and core are not
            attn = self.attention_params()
            layer_mlp, _ = self._layer_active_mlp(self.moe is not None)
            fp8 += self.mtp_depth * 2.0 * (attn + layer_mlp + 2.0 * self.d_model * self.d_model)
        return fp8 / b.forward

    def hardware_extra_per_token(self, recompute: str, *, mtp: bool = False) -> float:
        """Extra hardware FLOP per token from recomputation [FLOP]."""
        b = self.breakdown(mtp=mtp)
        blocks_fwd = b.forward - b.lm_head
        return float(
            flops.recompute_extra_flop(
                blocks_fwd, b.attention_core + b.mtp_attention_core, recompute
            )
        )
