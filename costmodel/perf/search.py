"""The layout space of a model on a cluster: every valid combination, as arrays.

Used by ``costmodel plan`` (:mod:`costmodel.analysis.planning`) and by ``mfu="model"``
(:mod:`costmodel.perf.api`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..errors import InputError

__all__ = ["candidate_layouts", "MAX_LAYOUTS"]

#: Most candidate layouts one search builds [1]; each costs about 1 kB through the
#: vectorized evaluation, so the search stays under about 1.5 GB even when ``plan`` tries
#: three node limits. DeepSeek-V3 on any GPU count has at most about 420,000.
MAX_LAYOUTS = 500_000


def _pow2_upto(n: int) -> list[int]:
    return [2**i for i in range(int(math.log2(max(n, 1))) + 1)]


def candidate_layouts(
    arch, n_gpus: int, *, seq_len: int, domain: int, small: bool = False
) -> dict[str, np.ndarray]:
    """All valid layouts of ``arch`` on ``n_gpus`` accelerators, as arrays.

    Parameters
    ----------
    arch : Architecture
    n_gpus : int
    seq_len : int
        Sequence length [tokens].
    domain : int
        Scale-up domain size; tensor parallelism stays inside it [1].
    small : bool, default False
        A coarser grid for repeated searches (``check``'s hardware table): 2 virtual
        stages, ZeRO 1 or 3, micro-batch 1-4, selective or full recomputation, pipeline
        stages in powers of two.

    Returns
    -------
    dict of ndarray
        ``tp pp dp ep cp vpp schedule zero micro_batch recompute`` (integer codes).
    """
    kv = arch.n_heads if arch.mla else arch.n_kv_heads_
    tps = [
        t
        for t in _pow2_upto(min(domain, arch.n_heads))
        if arch.n_heads % t == 0 and (kv % t == 0 or t % kv == 0) and n_gpus % t == 0
    ]
    pps = [p for p in range(1, min(arch.n_layers, n_gpus, 64) + 1) if n_gpus % p == 0]
    if small:
        pps = [p for p in pps if p & (p - 1) == 0]
    vpps, zeros, mbs, rcs = (
        ((2,), (1, 3), (1, 2, 4), (1, 2))
        if small
        else ((2, 4), (0, 1, 2, 3), (1, 2, 4, 8), (0, 1, 2))
    )
    # cp = 1 is always a layout, however short the sequence (plan --seq-len 1)
    cps = [c for c in (1, 2, 4, 8, 16) if c == 1 or (seq_len % c == 0 and seq_len // c >= 1024)]
    if small:
        cps = [c for c in cps if c == 1 or seq_len // c >= 8192]
    eps = [1]
    if arch.moe is not None:
        eps = [
            e for e in _pow2_upto(arch.moe.n_routed_experts) if arch.moe.n_routed_experts % e == 0
        ]
    if small and arch.moe is not None:
        eps = [e for e in eps if 8 <= e <= 64] or eps
    blocks = []
    for tp, pp, cp in itertools.product(tps, pps, cps):
        if n_gpus % (tp * pp * cp):
            continue
        dp = n_gpus // (tp * pp * cp)
        for ep in eps:
            if (n_gpus // pp) % ep:
                continue
            scheds = [(0, 1)]
            if pp > 1:
                scheds += [(1, v) for v in vpps if pp * v <= arch.n_layers]
                if pp % 2 == 0:
                    scheds.append((2, 1))
            blocks.append((tp, pp, dp, ep, cp, scheds))
    per = len(zeros) * len(mbs) * len(rcs)
    count = sum(len(b[-1]) for b in blocks) * per
    if count > MAX_LAYOUTS:  # counted before anything is built: memory stays bounded
        raise InputError(
            f"--n-gpus: {n_gpus:,} GPUs give this model {count:,} candidate layouts, more "
            f"than the {MAX_LAYOUTS:,} one search evaluates; fix more of the layout "
            "(costmodel perf) or check the architecture's counts"
        )
    rows = [
        (tp, pp, dp, ep, cp, v, s, zero, mb, rc)
        for tp, pp, dp, ep, cp, scheds in blocks
        for (s, v), zero, mb, rc in itertools.product(scheds, zeros, mbs, rcs)
    ]
    a = np.array(rows, dtype=np.int64).reshape(-1, 10)
    keys = ("tp", "pp", "dp", "ep", "cp", "vpp", "schedule", "zero", "micro_batch", "recompute")
    return {k: a[:, i] for i, k in enumerate(keys)}
