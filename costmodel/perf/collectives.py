"""Communication time of the collectives of a parallel layout (layer 1, broadcasting).

Bandwidth-only ring models (Thakur, Rabenseifner & Gropp 2005) on a two-level network: a
*scale-up* domain (NVLink/NVSwitch, xGMI, TPU ICI) of ``domain`` accelerators, and a
*scale-out* network (InfiniBand/RoCE NIC per GPU, TPU DCN) between domains. A group of
``n`` ranks with ``n_in`` of them inside one domain runs hierarchically: the intra-domain
phase moves the full message over the scale-up link, the inter-domain phase moves
``1/n_in`` of it over the NIC (NCCL's rail-aligned rings/trees behave this way).

All bandwidths are *one direction per accelerator* [byte/s], already multiplied by the
achieved fraction :data:`LINK_EFFICIENCY`.

References
----------
.. [1] Thakur, Rabenseifner, Gropp, "Optimization of Collective Communication Operations in
       MPICH", IJHPCA 19(1), 2005 (ring reduce-scatter/all-gather ``(n−1)/n·S/β``,
       all-reduce twice that).
.. [2] DeepSeek-AI, DeepSeek-V3 Technical Report, arXiv 2412.19437, §3.2.2 (H800: NVLink
       achieves ~160 GB/s of its 200 GB/s per direction, IB ~50 GB/s; node-limited routing
       sends each token over IB to at most M = 4 nodes, then fans out over NVLink).
"""

from __future__ import annotations

import numpy as np

from ..formulas.numeric import scalar_or_array

__all__ = [
    "LINK_EFFICIENCY",
    "COLLECTIVE_LATENCY_S",
    "group_in_domain",
    "ring_time_s",
    "all_to_all_time_s",
]

#: Achieved / nominal one-direction link bandwidth [1]: DeepSeek measured ~160 GB/s on
#: H800 NVLink, whose 400 GB/s bidirectional is 200 GB/s per direction (arXiv 2412.19437
#: §3.2.2). Applied to scale-up and scale-out links alike.
LINK_EFFICIENCY = 0.8

#: Start-up latency of one collective [s] (order of NCCL's small-message latency on
#: NVLink/IB; a stated assumption, not fitted).
COLLECTIVE_LATENCY_S = 10e-6
#: Latency of one step of a ring across the scale-out network [s]: a ring of ``n`` domains
#: pays it ``n − 1`` times per pass (Thakur et al. 2005, the α term of ``(n−1)·α``); ~5 µs
#: is the order of an InfiniBand/RoCE message latency (stated, not fitted).
RING_HOP_LATENCY_S = 5e-6


def _out(x):
    return scalar_or_array(np.asarray(x, dtype=float))


def group_in_domain(n, stride, domain):
    """Ranks of a process group that share one scale-up domain [1].

    Megatron-LM orders ranks ``tp → cp → ep → dp → pp`` (innermost first); a group whose
    consecutive members are ``stride`` ranks apart has ``domain // stride`` members per
    domain, at least 1 and at most ``n``.

    Parameters
    ----------
    n : array_like
        Group size [1].
    stride : array_like
        Rank distance between consecutive members [1].
    domain : array_like
        Accelerators per scale-up domain [1].

    Examples
    --------
    >>> group_in_domain(64, 1, 8), group_in_domain(16, 8, 8), group_in_domain(4, 1, 8)
    (8.0, 1.0, 4.0)
    """
    n, stride, domain = (np.asarray(a, dtype=float) for a in (n, stride, domain))
    return _out(np.clip(np.floor(domain / np.maximum(stride, 1.0)), 1.0, n))


def ring_time_s(
    message_bytes, n, n_in, scale_up_bytes_per_s, scale_out_bytes_per_s, *, passes, rails=True
):
    """Time of a ring collective on a two-level network [s].

    Parameters
    ----------
    message_bytes : array_like
        Full message per rank ``S`` (the reduced tensor) [byte].
    n : array_like
        Ranks in the group [1].
    n_in : array_like
        Ranks of the group inside one scale-up domain [1] (:func:`group_in_domain`).
    scale_up_bytes_per_s, scale_out_bytes_per_s : array_like
        Achieved one-direction bandwidth per accelerator [byte/s].
    passes : float
        1 for reduce-scatter or all-gather, 2 for all-reduce.
    rails : bool, default True
        The domain's ranks share the inter-domain traffic over their own NICs (NCCL's
        multi-channel rings and trees on rail-aligned clusters), so each NIC carries
        ``1/n_in`` of it. ``False``: a flat ring whose every rank moves the whole remote
        part ``(n_out−1)/n_out·S`` over its own NIC — ZeRO-3's per-tensor parameter
        gathers (see :data:`costmodel.perf.traffic.ZERO3_RAILS`).

    Returns
    -------
    float or ndarray
        ``passes · [(n_in−1)/n_in · S/β_up + (n_out−1)/n_out · (S/n_in)/β_out]`` plus, per
        pass, one start-up latency and ``n_out − 1`` ring-hop latencies across the
        scale-out network (zero for ``n = 1``) [s].

    Examples
    --------
    All-reduce of 1 GB among 8 GPUs of one node at 200 GB/s: 2·7/8·1e9/2e11 = 8.75 ms.

    >>> round(ring_time_s(1e9, 8, 8, 2e11, 5e10, passes=2) * 1e3, 2)
    8.77
    """
    s, n, n_in = (np.asarray(a, dtype=float) for a in (message_bytes, n, n_in))
    n_in = np.minimum(n_in, n)
    n_out = n / n_in
    share = np.where(np.asarray(rails, dtype=bool), 1.0 / n_in, 1.0)
    t = (n_in - 1.0) / n_in * s / np.asarray(scale_up_bytes_per_s, dtype=float) + (
        n_out - 1.0
    ) / n_out * (s * share) / np.asarray(scale_out_bytes_per_s, dtype=float)
    lat = np.where(n > 1, COLLECTIVE_LATENCY_S + RING_HOP_LATENCY_S * (n_out - 1.0), 0.0)
    return _out(passes * (t + lat))


def all_to_all_time_s(
    bytes_per_token_copy,
    tokens,
    top_k,
    n,
    n_in,
    scale_up_bytes_per_s,
    scale_out_bytes_per_s,
    *,
    max_nodes=None,
):
    """Time of one MoE all-to-all (dispatch or combine) [s].

    Each of ``tokens`` local tokens goes to ``top_k`` experts spread evenly over ``n`` ranks,
    ``n_in`` of which share the sender's scale-up domain. The intra- and inter-domain parts
    run concurrently on different links; the slower one sets the time.

    Parameters
    ----------
    bytes_per_token_copy : array_like
        Bytes of one token's hidden state on the wire (``d_model × element size``) [byte].
    tokens : array_like
        Tokens this rank routes [1].
    top_k : array_like
        Routed experts per token [1].
    n, n_in : array_like
        Expert-parallel ranks, and those inside the sender's domain [1].
    scale_up_bytes_per_s, scale_out_bytes_per_s : array_like
        Achieved one-direction bandwidths [byte/s].
    max_nodes : array_like, optional
        DeepSeek's node-limited routing (arXiv 2412.19437 §3.2.2): a token crosses the
        scale-out network at most once per destination domain and at most ``max_nodes``
        domains, then is forwarded inside the domain over the scale-up link. ``None``
        (default): one scale-out copy per remote expert.

    Returns
    -------
    float or ndarray
        ``max(inter_bytes/β_out, intra_bytes/β_up)`` plus one latency [s].

    Examples
    --------
    DeepSeek-V3 dispatch in FP8 (7,168 bytes per copy), 4,096 tokens, top-8 over 64 GPUs in
    8 nodes of 8, H800 at 160 / 40 GB/s achieved: node-limited routing (M = 4) sends 3.5
    copies per token over IB instead of 7.

    >>> a = all_to_all_time_s(7168, 4096, 8, 64, 8, 1.6e11, 4e10)
    >>> b = all_to_all_time_s(7168, 4096, 8, 64, 8, 1.6e11, 4e10, max_nodes=4)
    >>> round(a * 1e3, 2), round(b * 1e3, 2)
    (5.15, 2.58)
    """
    c, t, k, n, n_in = (
        np.asarray(a, dtype=float) for a in (bytes_per_token_copy, tokens, top_k, n, n_in)
    )
    n_in = np.minimum(n_in, n)
    remote_frac = 1.0 - n_in / n
    n_domains = n / n_in
    if max_nodes is None:
        inter_copies = k * remote_frac
        intra_copies = k * (n_in - 1.0) / n
    else:
        mn = np.minimum(np.asarray(max_nodes, dtype=float), n_domains)
        # at most one copy per destination domain, to `mn` domains, of which the sender's
        # own is one with probability mn / n_domains
        inter_copies = np.minimum(k * remote_frac, mn * (1.0 - 1.0 / n_domains))
        intra_copies = k * (n - 1.0) / n  # forwarded to every expert over the scale-up link
    inter = inter_copies * c * t / np.asarray(scale_out_bytes_per_s, dtype=float)
    intra = intra_copies * c * t / np.asarray(scale_up_bytes_per_s, dtype=float)
    lat = np.where(n > 1, COLLECTIVE_LATENCY_S, 0.0)
    return _out(np.where(n > 1, np.maximum(inter, intra), 0.0) + lat)
