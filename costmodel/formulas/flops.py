"""FLOP accounting formulas: pure, broadcasting functions of the glossary quantities.

Every function takes scalars or arrays and returns a float for scalar input and an
``ndarray`` otherwise. Nothing here knows about presets, pydantic or I/O; the
:class:`costmodel.architecture.Architecture` model assembles these pieces. The parameter
counts of its parts are in :mod:`costmodel.formulas.params` (re-exported here).

Conventions (the FLOP count is always named in output):

``6nd``
    ``6 · active_params · tokens`` (Kaplan et al. 2020, §2.1; Hoffmann et al. 2022, §3).
``megatron``
    Architecture-detailed matmul count ×3 for training, causal attention core halved,
    following Megatron-LM ``num_floating_point_operations``
    (megatron/training/training.py) and checked against DeepSeek's 250 GFLOP/token
    (arXiv 2505.09343, Table 2) — **plus the MoE router's gating matmul**
    (``2·d_model·n_routed`` forward per MoE layer), which Megatron-LM does not count:
    +0.26 % on DeepSeek-V3 (250.45 vs Megatron-LM's 249.81 GFLOP/token). The output says
    so, and ``FlopBreakdown.training_megatron_lm`` gives Megatron-LM's own number.
``palm``
    ``6·N + 12·L·H·Q·T`` per token, attention counted non-causally (Chowdhery et al. 2022,
    arXiv 2204.02311, App. B).
``narayanan2021``
    ``72·B·s·L·h²·(1 + s/(6h) + V/(12·L·h))`` per iteration, ``96·…·V/(16·L·h)`` with full
    recomputation (Narayanan et al. 2021, arXiv 2104.04473, §5.1) — MHA, 4h MLP, non-causal.

References
----------
.. [1] Kaplan et al., "Scaling Laws for Neural Language Models", arXiv 2001.08361, §2.1.
.. [2] Hoffmann et al., "Training Compute-Optimal Large Language Models", arXiv 2203.15556.
.. [3] Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters Using
       Megatron-LM", SC'21, arXiv 2104.04473, §5.1.
.. [4] Chowdhery et al., "PaLM: Scaling Language Modeling with Pathways", arXiv 2204.02311,
       Appendix B.
.. [5] Korthikanti et al., "Reducing Activation Recomputation in Large Transformer Models",
       arXiv 2205.05198, §4 (selective recomputation of the attention core).
.. [6] NVIDIA Megatron-LM, ``megatron/training/training.py::num_floating_point_operations``.
.. [7] DeepSeek-AI, "Insights into DeepSeek-V3", ISCA'25, arXiv 2505.09343, Table 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .numeric import scalar_or_array as _out
from .params import attention_projection_params, mla_projection_params, mlp_params

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "CONVENTIONS",
    "TRAINING_PASSES",
    "six_nd",
    "mean_attended_keys",
    "attention_core_flop_per_token",
    "attention_projection_params",
    "mla_projection_params",
    "mlp_params",
    "palm_flop_per_token",
    "narayanan2021_flop_per_iteration",
    "recompute_extra_flop",
]

#: FLOP conventions understood by :func:`costmodel.estimate`.
CONVENTIONS = ("6nd", "megatron", "palm", "narayanan2021")

#: Forward + activation-gradient + weight-gradient passes, each one matmul's worth:
#: backward = 2 × forward (Kaplan et al. 2020, §2.1).
TRAINING_PASSES = 3


def six_nd(active_params: ArrayLike, tokens: ArrayLike) -> np.ndarray | float:
    """Training FLOP by the ``6·N·D`` rule.

    Parameters
    ----------
    active_params : array_like
        Parameters used per token (all parameters for a dense model) [count].
    tokens : array_like
        Training tokens [count].

    Returns
    -------
    float or ndarray
        Training FLOP [FLOP].

    Notes
    -----
    ``C = 6 N D``: 2 FLOP per parameter per token forward (one multiply-add), twice that
    backward. Attention-core and embedding terms are ignored.

    References
    ----------
    Kaplan et al. 2020, arXiv 2001.08361, §2.1; Hoffmann et al. 2022, arXiv 2203.15556.

    Examples
    --------
    >>> six_nd(37e9, 14.8e12)
    3.2856e+24
    """
    n, d = np.broadcast_arrays(np.asarray(active_params, dtype=float), np.asarray(tokens, float))
    return _out(6.0 * n * d)


def mean_attended_keys(
    seq_len: ArrayLike, *, causal: bool = True, window: ArrayLike | None = None
) -> np.ndarray | float:
    """Average number of keys each query attends to.

    Parameters
    ----------
    seq_len : array_like
        Training sequence length [tokens].
    causal : bool, default True
        Causal masking halves the work on average (Megatron-LM counts ``s/2``).
    window : array_like, optional
        Sliding-window size [tokens]; ``None`` for full attention.

    Returns
    -------
    float or ndarray
        Mean attended keys per query [tokens].

    Notes
    -----
    Non-causal: ``min(w, s)``. Causal without a window: ``s/2`` (the continuous
    approximation Megatron-LM uses; the exact mean is ``(s+1)/2``). Causal with a window
    ``w ≤ s``: query ``i`` sees ``min(i, w)`` keys, whose mean over ``i ∈ [0, s]`` is
    ``w − w²/(2s)`` in the same continuous form (equal to ``s/2`` at ``w = s``).

    Examples
    --------
    >>> mean_attended_keys(4096)
    2048.0
    >>> mean_attended_keys(8192, window=4096)
    3072.0
    >>> mean_attended_keys(4096, causal=False)
    4096.0
    """
    s = np.asarray(seq_len, dtype=float)
    w = s if window is None else np.minimum(np.asarray(window, dtype=float), s)
    if causal:
        return _out(w - w * w / (2.0 * s))
    return _out(np.broadcast_to(w, np.broadcast(s, w).shape).astype(float))


def attention_core_flop_per_token(
    seq_len: ArrayLike,
    n_heads: ArrayLike,
    qk_head_dim: ArrayLike,
    v_head_dim: ArrayLike,
    *,
    causal: bool = True,
    window: ArrayLike | None = None,
) -> np.ndarray | float:
    """Forward FLOP of the attention core (``QKᵀ`` and ``AV``) per token and layer.

    Parameters
    ----------
    seq_len : array_like
        Sequence length [tokens].
    n_heads : array_like
        Query heads [count]. GQA does not reduce this term: every query head attends.
    qk_head_dim : array_like
        Query/key head dimension; for MLA the no-RoPE plus the decoupled RoPE part [count].
    v_head_dim : array_like
        Value head dimension [count].
    causal : bool, default True
        Halve for causal masking.
    window : array_like, optional
        Sliding-window size [tokens].

    Returns
    -------
    float or ndarray
        Forward FLOP per token per layer [FLOP].

    Notes
    -----
    ``2·a·(d_qk + d_v)·k̄`` with ``k̄`` from :func:`mean_attended_keys`.

    References
    ----------
    Megatron-LM ``num_floating_point_operations``; verl PR #4959 (MLA q vs v dims).

    Examples
    --------
    DeepSeek-V3 (MLA, 128 heads, d_qk 192, d_v 128, seq 4096, causal):

    >>> attention_core_flop_per_token(4096, 128, 192, 128) / 1e6
    167.77216
    """
    keys = mean_attended_keys(seq_len, causal=causal, window=window)
    a, dq, dv, k = np.broadcast_arrays(
        np.asarray(n_heads, float),
        np.asarray(qk_head_dim, float),
        np.asarray(v_head_dim, float),
        np.asarray(keys, float),
    )
    return _out(2.0 * a * (dq + dv) * k)


def palm_flop_per_token(
    non_embedding_params: ArrayLike,
    n_layers: ArrayLike,
    n_heads: ArrayLike,
    head_dim: ArrayLike,
    seq_len: ArrayLike,
) -> np.ndarray | float:
    """Training FLOP per token by the PaLM MFU convention.

    Parameters
    ----------
    non_embedding_params : array_like
        ``N``, parameters excluding embeddings [count].
    n_layers, n_heads, head_dim : array_like
        ``L``, ``H``, ``Q`` [count].
    seq_len : array_like
        ``T`` [tokens].

    Returns
    -------
    float or ndarray
        Training FLOP per token [FLOP].

    Notes
    -----
    ``6N + 12·L·H·Q·T``: the attention term is counted without causal masking.

    References
    ----------
    Chowdhery et al. 2022, arXiv 2204.02311, Appendix B.

    Examples
    --------
    >>> palm_flop_per_token(1e9, 24, 16, 128, 2048) / 1e9
    7.207959552
    """
    n, layers, a, q, t = (
        np.asarray(v, float) for v in (non_embedding_params, n_layers, n_heads, head_dim, seq_len)
    )
    return _out(6.0 * n + 12.0 * layers * a * q * t)


def narayanan2021_flop_per_iteration(
    batch_size: ArrayLike,
    seq_len: ArrayLike,
    n_layers: ArrayLike,
    d_model: ArrayLike,
    vocab_size: ArrayLike,
    *,
    full_recompute: bool = False,
) -> np.ndarray | float:
    """Training FLOP per iteration by the Narayanan et al. (2021) closed form.

    Parameters
    ----------
    batch_size : array_like
        Sequences per iteration ``B`` [count].
    seq_len, n_layers, d_model, vocab_size : array_like
        ``s``, ``L``, ``h``, ``V`` [count].
    full_recompute : bool, default False
        With full activation recomputation (one more forward pass of every layer).

    Returns
    -------
    float or ndarray
        FLOP per iteration [FLOP].

    Notes
    -----
    Without recomputation ``72·B·s·L·h²·(1 + s/(6h) + V/(12·L·h))``; with it
    ``96·B·s·L·h²·(1 + s/(6h) + V/(16·L·h))``. Valid for MHA, a 4h non-gated MLP and a
    non-causal attention count only: a regression check, not a model of modern LLMs.

    References
    ----------
    Narayanan et al. 2021, arXiv 2104.04473, §5.1 (Eq. 3).

    Examples
    --------
    GPT-3 175B shape, one 2048-token sequence, per token:

    >>> round(narayanan2021_flop_per_iteration(1, 2048, 96, 12288, 51200) / 2048 / 1e12, 4)
    1.0764
    """
    b, s, layers, h, v = (
        np.asarray(x, float) for x in (batch_size, seq_len, n_layers, d_model, vocab_size)
    )
    if full_recompute:
        return _out(96.0 * b * s * layers * h * h * (1.0 + s / (6.0 * h) + v / (16.0 * layers * h)))
    return _out(72.0 * b * s * layers * h * h * (1.0 + s / (6.0 * h) + v / (12.0 * layers * h)))


def recompute_extra_flop(
    forward_block_flop: ArrayLike, attention_core_forward_flop: ArrayLike, recompute: str
) -> np.ndarray | float:
    """Extra hardware FLOP executed by activation recomputation.

    Parameters
    ----------
    forward_block_flop : array_like
        Forward FLOP of the transformer blocks (everything recomputed under ``full``) [FLOP].
    attention_core_forward_flop : array_like
        Forward FLOP of the attention core (what ``selective`` recomputes) [FLOP].
    recompute : {"none", "selective", "full"}
        Recomputation scheme.

    Returns
    -------
    float or ndarray
        FLOP added to ``model_flop`` to give ``hardware_flop`` [FLOP].

    Notes
    -----
    ``selective`` recomputes only the attention core (Korthikanti et al. 2022, §4);
    ``full`` repeats the forward pass of every block (Narayanan et al. 2021: 96 vs 72),
    the LM head excluded. MFU never counts these FLOP; HFU does.

    Examples
    --------
    >>> recompute_extra_flop(100.0, 10.0, "selective")
    10.0
    """
    fwd = np.asarray(forward_block_flop, float)
    core = np.asarray(attention_core_forward_flop, float)
    if recompute == "none":
        return _out(np.zeros(np.broadcast(fwd, core).shape))
    if recompute == "selective":
        return _out(core + 0.0 * fwd)
    if recompute == "full":
        return _out(fwd + 0.0 * core)
    raise ValueError(f"recompute: {recompute!r} is not one of none, selective, full")
