"""Parameter counts of a transformer's parts: attention (MHA, GQA, MQA, MLA) and MLP.

Pure, broadcasting functions: a float for scalar input, an ``ndarray`` otherwise. The
FLOP conventions in :mod:`costmodel.flops` and the model definition in
:mod:`costmodel.formulas.architecture` count matmul work from these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .numeric import scalar_or_array as _out

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["attention_projection_params", "mla_projection_params", "mlp_params"]


def attention_projection_params(
    d_model: ArrayLike, n_heads: ArrayLike, head_dim: ArrayLike, n_kv_heads: ArrayLike
) -> np.ndarray | float:
    """Matmul parameters of Q, K, V and output projections (MHA, GQA, MQA).

    Parameters
    ----------
    d_model : array_like
        Hidden size [count].
    n_heads : array_like
        Query heads [count].
    head_dim : array_like
        Head dimension [count].
    n_kv_heads : array_like
        Key/value heads (= ``n_heads`` for MHA, 1 for MQA) [count].

    Returns
    -------
    float or ndarray
        Parameters [count]; biases ignored.

    Notes
    -----
    ``h·a·d_h`` (Q) + ``2·h·g·d_h`` (K, V) + ``a·d_h·h`` (output).

    Examples
    --------
    >>> attention_projection_params(4096, 32, 128, 32) == 4 * 4096**2
    True
    """
    h, a, d, g = (np.asarray(v, float) for v in (d_model, n_heads, head_dim, n_kv_heads))
    return _out(h * a * d + 2.0 * h * g * d + a * d * h)


def mla_projection_params(
    d_model: ArrayLike,
    n_heads: ArrayLike,
    q_lora_rank: ArrayLike | None,
    kv_lora_rank: ArrayLike,
    qk_nope_head_dim: ArrayLike,
    qk_rope_head_dim: ArrayLike,
    v_head_dim: ArrayLike,
) -> np.ndarray | float:
    """Matmul parameters of a multi-head latent attention (MLA) layer.

    Parameters
    ----------
    d_model, n_heads : array_like
        Hidden size and query heads [count].
    q_lora_rank : array_like or None
        Query compression rank ``d_c'``; ``None`` for a full-rank query projection.
    kv_lora_rank : array_like
        Key/value compression rank ``d_c`` [count].
    qk_nope_head_dim, qk_rope_head_dim, v_head_dim : array_like
        Per-head dimensions [count].

    Returns
    -------
    float or ndarray
        Parameters [count].

    Notes
    -----
    Query: ``h·d_c' + d_c'·a·(d_nope + d_rope)`` (or ``h·a·(d_nope + d_rope)`` without
    compression). Key/value: ``h·(d_c + d_rope)`` down-projection (the decoupled RoPE key is
    shared across heads) + ``d_c·a·(d_nope + d_v)`` up-projection. Output ``a·d_v·h``.
    DeepSeek-V2 §2.1 (arXiv 2405.04434), Megatron-LM MLA term.

    Examples
    --------
    DeepSeek-V3: 187.1M per layer.

    >>> round(mla_projection_params(7168, 128, 1536, 512, 128, 64, 128) / 1e6, 1)
    187.1
    """
    h, a = np.asarray(d_model, float), np.asarray(n_heads, float)
    dc, dn = np.asarray(kv_lora_rank, float), np.asarray(qk_nope_head_dim, float)
    dr, dv = np.asarray(qk_rope_head_dim, float), np.asarray(v_head_dim, float)
    if q_lora_rank is None:
        q = h * a * (dn + dr)
    else:
        qr = np.asarray(q_lora_rank, float)
        q = h * qr + qr * a * (dn + dr)
    kv = h * (dc + dr) + dc * a * (dn + dv)
    return _out(q + kv + a * dv * h)


def mlp_params(
    d_model: ArrayLike, ffn_hidden: ArrayLike, *, gated: bool = True
) -> np.ndarray | float:
    """Matmul parameters of one MLP (or one expert).

    Parameters
    ----------
    d_model : array_like
        Hidden size [count].
    ffn_hidden : array_like
        Intermediate size [count].
    gated : bool, default True
        Gated linear unit (SwiGLU/GeGLU: gate, up and down, 3 matrices) or plain (2).

    Returns
    -------
    float or ndarray
        Parameters [count].

    Examples
    --------
    >>> mlp_params(4096, 4 * 4096, gated=False) == 8 * 4096**2
    True
    """
    h, f = np.asarray(d_model, float), np.asarray(ffn_hidden, float)
    return _out((3.0 if gated else 2.0) * h * f)
