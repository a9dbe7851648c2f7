"""Memory per accelerator of a training layout (layer 1, broadcasting).

References
----------
.. [1] Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training Trillion Parameter
       Models", SC'20, arXiv 1910.02054, §3.1 (mixed-precision Adam: 2 bytes of fp16/bf16
       weights + 2 of gradients + K = 12 of fp32 master weights, momentum and variance =
       16 bytes per parameter) and §5 (stage 1 shards the optimizer states, stage 2 also the
       gradients, stage 3 also the weights, each by the data-parallel degree).
.. [2] Korthikanti et al., "Reducing Activation Recomputation in Large Transformer Models",
       MLSys'23, arXiv 2205.05198, §4 (activations per layer ``s·b·h·(34 + 5·a·s/h)`` bytes,
       divided by ``t`` with tensor + sequence parallelism; selective recomputation drops
       the ``5·a·s/h`` attention-core term; full recomputation keeps only ``2·s·b·h``) and §4.2.3
       (the first pipeline stage holds ``p`` micro-batches of activations, ``×(1 + (p−1)/(p·v))``
       when interleaved).
.. [3] DeepSeek-AI, DeepSeek-V3 Technical Report, arXiv 2412.19437, Table 2 (DualPipe keeps
       two copies of the parameters and ``PP+1`` micro-batches of activations).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "WEIGHT_BYTES",
    "GRAD_BYTES",
    "OPTIMIZER_BYTES",
    "RUNTIME_RESERVED_BYTES",
    "model_state_bytes",
    "activation_bytes_per_token",
    "inflight_microbatches",
    "stage_params",
    "per_gpu_bytes",
]

#: Mixed-precision Adam bytes per parameter (Rajbhandari et al. 2020, §3.1): 16-bit
#: weights, 16-bit gradients, fp32 master + momentum + variance (K = 12).
WEIGHT_BYTES = 2.0
GRAD_BYTES = 2.0
OPTIMIZER_BYTES = 12.0

#: Memory the runtime keeps for itself [byte]: CUDA context, communication buffers and
#: allocator fragmentation — a stated assumption (a few GB on PyTorch/NCCL; not fitted).
RUNTIME_RESERVED_BYTES = 3e9


def _out(x):
    x = np.asarray(x, dtype=float)
    return x.item() if x.ndim == 0 else x


def model_state_bytes(params, zero, shard, *, grad_bytes=GRAD_BYTES, optimizer_shard=None):
    """Weights, gradients and Adam states of ``params`` parameters [byte].

    Parameters
    ----------
    params : array_like
        Parameters held by this accelerator before ZeRO sharding [count].
    zero : array_like of int
        ZeRO stage 0–3 (3 = FSDP).
    shard : array_like
        Ranks over which ZeRO shards these parameters (data-parallel replicas) [1].
    grad_bytes : array_like, default :data:`GRAD_BYTES`
        Bytes per gradient element [byte]: 4 where gradients accumulate in FP32
        (DeepSeek-V3, arXiv 2412.19437 §3.3.4; Megatron-LM with bf16 sets
        ``accumulate_allreduce_grads_in_fp32``; Llama 3, arXiv 2407.21783 §3.3.4).
    optimizer_shard : array_like, optional
        Ranks over which the optimizer states are sharded, when more than ``shard`` (DualPipe:
        each stage's parameters live on two ranks of every pipeline, so ``2·dp`` replicas).

    Returns
    -------
    tuple of (float or ndarray)
        ``(weights, gradients, optimizer)`` [byte].

    Examples
    --------
    Unsharded, 16 bytes per parameter; ZeRO-3 over 8 ranks, 2 bytes:

    >>> sum(model_state_bytes(1.0, 0, 8)), sum(model_state_bytes(1.0, 3, 8))
    (16.0, 2.0)
    """
    p, z, s = (np.asarray(a, dtype=float) for a in (params, zero, shard))
    so = s if optimizer_shard is None else np.asarray(optimizer_shard, dtype=float)
    w = p * WEIGHT_BYTES / np.where(z >= 3, s, 1.0)
    g = p * np.asarray(grad_bytes, dtype=float) / np.where(z >= 2, s, 1.0)
    o = p * OPTIMIZER_BYTES / np.where(z >= 1, so, 1.0)
    return _out(w), _out(g), _out(o)


def activation_bytes_per_token(
    d_model, attn_saved_bytes, mlp_saved_bytes, *, recompute, dropout=False, input_bytes=2.0
):
    """Activation bytes one layer keeps per token for the backward pass [byte].

    Generalizes Korthikanti et al. (2022, §4.1) from GPT-3 blocks to any block: the inputs
    of the layer's matmuls and non-linearities, 16-bit unless stated.

    Parameters
    ----------
    d_model : array_like
        Hidden size ``h`` [1].
    attn_saved_bytes : array_like
        Bytes per token the attention block saves besides its input: Q, K, V, the core's
        output and (MLA) the compressed latents [byte].
    mlp_saved_bytes : array_like
        Bytes per token the feed-forward block saves besides its input: up/gate outputs,
        the activation's output, the routed copies of the input [byte].
    recompute : array_like of int
        0 none or 1 selective (the caller passes the smaller saved sets of selective; no
        ``s²`` attention-core term in either, as flash attention never stores it), 2 full
        (only the layer input ``2h`` is kept).
    dropout : bool, default False
        Add the two 1-byte dropout masks of a GPT-3 block (attention and MLP outputs).
    input_bytes : array_like, default 2
        Element size of the saved inputs of the QKV and MLP matmuls [byte] (1 when FP8
        training caches the quantized copy).

    Returns
    -------
    float or ndarray
        Bytes per token per layer, before division by tensor/context parallelism.

    Notes
    -----
    ``2·2h`` (two norm inputs) ``+ input_bytes·2h`` (QKV and MLP inputs) ``+ attn + mlp``
    ``+ 2h`` masks. For GPT-3 (attention saves Q, K, V and the core output, ``4h`` elements;
    the MLP saves the GeLU input and output, ``8h``), with dropout, this is ``34·h``:
    Korthikanti's Eq. (2) without the attention-core ``5as/h`` term.

    Examples
    --------
    >>> activation_bytes_per_token(1.0, 8.0, 16.0, recompute=1, dropout=True)
    34.0
    >>> activation_bytes_per_token(1.0, 8.0, 16.0, recompute=2, dropout=True)
    2.0
    """
    h, a, m, ib = (
        np.asarray(x, dtype=float)
        for x in (d_model, attn_saved_bytes, mlp_saved_bytes, input_bytes)
    )
    full = 4.0 * h + ib * 2.0 * h + a + m + (2.0 * h if dropout else 0.0)
    return _out(np.where(np.asarray(recompute) == 2, 2.0 * h, full))


def inflight_microbatches(pp, microbatches, *, schedule, vpp=1):
    """Micro-batches of activations the busiest (first) stage holds, in units of one
    micro-batch through ``L/p`` layers [1].

    Parameters
    ----------
    pp, microbatches : array_like
        Stages ``p`` and micro-batches per step ``m`` [1].
    schedule : array_like of int
        0 ``1f1b``, 1 ``interleaved``, 2 ``dualpipe``.
    vpp : array_like, default 1
        Model chunks per device (interleaved) [1].

    Returns
    -------
    float or ndarray
        ``min(p, m)`` (1F1B), ``p·(1 + (p−1)/(p·v))`` (interleaved), ``p + 1`` (DualPipe) [1].

    Examples
    --------
    >>> inflight_microbatches(8, 64, schedule=0), inflight_microbatches(8, 64, schedule=2)
    (8.0, 9.0)
    """
    p, m, v = (np.asarray(a, dtype=float) for a in (pp, microbatches, vpp))
    sched = np.asarray(schedule)
    base = np.minimum(p, m)
    inter = base * (1.0 + (p - 1.0) / (p * v))
    dual = np.minimum(p + 1.0, m)
    return _out(np.where(sched == 2, dual, np.where(sched == 1, inter, base)))


def stage_params(m_, *, tp, pp, ep, schedule):
    """Parameters one GPU of the busiest stage holds before ZeRO sharding [count].

    The stage's ``ceil(L/p)`` layers' share of the non-expert body and the MTP modules,
    split by TP, plus half the embedding/head (all of it when ``p = 1``); the routed
    experts' share split by EP. DualPipe keeps two stages per device [3]: the first and the
    last, so the busiest rank holds both halves of the embedding/head and one MTP module.

    Parameters
    ----------
    m_ : costmodel.perf.shapes.ModelShape
    tp, pp, ep : ndarray
        Parallel degrees [1].
    schedule : ndarray of int
        2 = DualPipe.

    Returns
    -------
    (ndarray, ndarray)
        Non-expert and expert parameters per GPU [count].
    """
    L = float(m_.n_layers)
    p_exp_all = m_.params_expert
    p_emb = m_.params_embedding
    p_body = m_.params_total - p_exp_all - p_emb
    stage_frac = np.ceil(L / pp) / L
    mtp_exp = m_.params_mtp * (p_exp_all / max(m_.params_total - p_emb, 1.0))
    copies = np.where(np.asarray(schedule) == 2, 2.0, 1.0)
    # DualPipe puts the first stage (embedding) and the last (head + MTP) on one rank: two
    # stages of layers, both halves of the embedding/head, the MTP module once — it shares
    # the embedding and head with the main model on that rank (arXiv 2412.19437 §3.3.4)
    emb_share = np.where((pp > 1) & (copies == 1.0), 0.5, 1.0)
    p_dense = (
        p_body * stage_frac * copies + (m_.params_mtp - mtp_exp)
    ) / tp + p_emb * emb_share / tp
    p_exp = (p_exp_all * stage_frac * copies + mtp_exp) / ep
    return p_dense, p_exp


def per_gpu_bytes(m_, c: dict, *, Tg, pp, ep, micro, schedule, vpp, rec, states, recompute_norms):
    """Memory per GPU of the busiest stage, by part [byte].

    Parameters
    ----------
    m_ : costmodel.perf.shapes.ModelShape
    c : dict
        :func:`costmodel.perf.compute.microbatch_compute`'s result (saved-activation sizes,
        stage layers, dense/MoE shares).
    Tg : ndarray
        Tokens per GPU of one micro-batch [1].
    pp, ep, micro, schedule, vpp, rec : ndarray
        Layout [1].
    states : tuple of ndarray
        ``(weights, gradients, optimizer)`` bytes (:func:`model_state_bytes`).
    recompute_norms : bool
        Selective recomputation also redoes the norms (their outputs are not kept).

    Returns
    -------
    dict of ndarray
        ``weights``, ``gradients``, ``optimizer``, ``activations``, ``moe_buffers``,
        ``runtime_reserved``, ``total`` [byte].
    """
    d = float(m_.d_model)
    sel = rec == 1
    in_b = c["input_bytes"]
    in_keep = np.where(sel & bool(recompute_norms), 0.0, in_b)
    a_dense = activation_bytes_per_token(
        d, c["attn_saved"], c["dense_saved"], recompute=rec, input_bytes=in_keep
    )
    a_moe = activation_bytes_per_token(
        d, c["attn_saved"], c["moe_saved"], recompute=rec, input_bytes=in_keep
    )
    per_tok_layer = c["share_dense"] * a_dense + c["share_moe"] * a_moe
    inflight = inflight_microbatches(pp, micro, schedule=schedule, vpp=vpp)
    acts = per_tok_layer * Tg * c["stage_layers"] * inflight
    biggest = np.maximum(c["dense_saved"], c["moe_saved"])
    working = np.where(
        rec == 2,
        Tg * activation_bytes_per_token(d, c["attn_saved"], biggest, recompute=0, input_bytes=in_b),
        0.0,
    )
    # fp32 logits of the micro-batch on the last stage; the fused vocab-parallel cross
    # entropy writes their gradient in place (Megatron-LM ``fused_vocab_parallel_cross_entropy``)
    logits = Tg * m_.vocab_size * 4.0
    # the logits (and their gradient) are freed once the head's backward has run, before any
    # layer's backward recomputes its activations: the peak holds the larger of the two
    acts = acts + np.maximum(working, logits)
    moe_buf = 8.0 * Tg * (m_.top_k * d) if m_.n_moe_layers else 0.0
    moe_buf = np.where(ep > 1, moe_buf, 0.0)
    w, g, o = states
    total = w + g + o + acts + moe_buf + RUNTIME_RESERVED_BYTES
    return {
        "weights": w,
        "gradients": g,
        "optimizer": o,
        "activations": acts,
        "moe_buffers": moe_buf,
        "runtime_reserved": RUNTIME_RESERVED_BYTES,
        "total": total,
    }
