"""Pipeline-parallel bubble of each schedule (layer 1, broadcasting).

``t`` is the forward+backward time of one micro-batch on one stage; ``m`` micro-batches per
step and ``p`` stages. The step's pipeline time is ``m·t + bubble``.

References
----------
.. [1] Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters Using
       Megatron-LM", SC'21, arXiv 2104.04473, §2.2 (1F1B bubble ``(p−1)/m``; interleaved with
       ``v`` model chunks per device ``(p−1)/(m·v)``).
.. [2] DeepSeek-AI, DeepSeek-V3 Technical Report, arXiv 2412.19437, §3.2.1 and Table 2
       (bubble of 1F1B ``(PP−1)(F+B)``, ZB1P ``(PP−1)(F+B−2W)``, DualPipe
       ``(PP/2−1)(F&B+B−3W)``; parameters ×2 and activations ``PP+1`` for DualPipe).
.. [3] deepseek-ai/DualPipe, ``dualpipe/dualpipe.py`` ``DualPipe.step`` (the reference
       schedule: eight phases per rank; only phases 4 and 5 pair a forward with a backward
       chunk so that one hides the other's all-to-all).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SCHEDULES",
    "FORWARD_SHARE",
    "WGRAD_SHARE",
    "bubble_time_s",
    "bubble_fraction",
    "dualpipe_unpaired_microbatches",
]

#: Pipeline schedules, in the order of their integer codes.
SCHEDULES = ("1f1b", "interleaved", "dualpipe")

#: Share of a micro-batch's forward+backward time spent in the forward pass, and in the
#: weight-gradient part of the backward pass [1]: the backward does twice the forward's
#: matmul FLOP, half of it weight gradients (Kaplan et al. 2020, §2.1), so F = B/2 = 2W.
FORWARD_SHARE = 1.0 / 3.0
WGRAD_SHARE = 1.0 / 3.0


def _out(x):
    x = np.asarray(x, dtype=float)
    return x.item() if x.ndim == 0 else x


def bubble_time_s(t_microbatch_s, pp, *, schedule, vpp=1, unpaired_s=None, unpaired_comm_s=0.0):
    """Idle time of a pipeline stage per step [s].

    Parameters
    ----------
    t_microbatch_s : array_like
        Forward+backward time of one micro-batch on one stage [s].
    pp : array_like
        Pipeline stages ``p`` [1].
    schedule : array_like of int
        Index into :data:`SCHEDULES` (0 ``1f1b``, 1 ``interleaved``, 2 ``dualpipe``).
    vpp : array_like, default 1
        Model chunks per device ``v`` (interleaved only) [1].
    unpaired_s : array_like, optional
        DualPipe only: forward+backward time of a micro-batch whose chunks run without an
        overlapping partner, so its all-to-all is exposed [s] (default ``t``).
    unpaired_comm_s : array_like, default 0
        The exposed communication inside ``unpaired_s`` [s]; split evenly between the
        forward and the backward chunk (dispatch and combine run once each way).

    Returns
    -------
    float or ndarray
        ``(p−1)·t`` (1F1B), ``(p−1)·t/v`` (interleaved), ``(p/2−1)·(F&B + B − 3W)``
        (DualPipe [2]; 0 for ``p ≤ 2``) with ``F&B = t`` (two overlapped chunks),
        ``c = unpaired_s − unpaired_comm_s``, ``F = c/3 + e/2``, ``B = 2c/3 + e/2`` and
        ``W = c/3`` (``e = unpaired_comm_s``) [s]. Without an unpaired time this is
        ``(p/2−1)·2t/3``.

    Notes
    -----
    The bubble chunks of DualPipe are its warm-up and cool-down chunks, which run alone:
    ``F`` and ``B`` there carry their own all-to-all, ``W`` has none [3].

    Examples
    --------
    >>> bubble_time_s(1.0, 16, schedule=0), bubble_time_s(1.0, 16, schedule=1, vpp=3)
    (15.0, 5.0)
    >>> round(bubble_time_s(1.0, 16, schedule=2), 4)
    4.6667
    """
    t, p, v = (np.asarray(a, dtype=float) for a in (t_microbatch_s, pp, vpp))
    sched = np.asarray(schedule)
    e = np.asarray(unpaired_comm_s, dtype=float)
    c = (t if unpaired_s is None else np.asarray(unpaired_s, dtype=float)) - e
    b = (1.0 - FORWARD_SHARE) * c + e / 2.0
    w = WGRAD_SHARE * c
    dual = np.maximum(p / 2.0 - 1.0, 0.0) * (t + b - 3.0 * w)
    out = np.where(sched == 2, dual, np.where(sched == 1, (p - 1.0) * t / v, (p - 1.0) * t))
    return _out(out)


def dualpipe_unpaired_microbatches(pp, microbatches):
    """Micro-batches whose forward and backward chunks run unpaired on DualPipe's first
    rank [1].

    In the reference schedule [3] rank 0 (and its mirror, the last rank) runs
    ``2(p/2−1) + 2`` warm-up forwards (phases 1–2) and ``p/2−1`` more in phase 3 alone, and
    as many backward chunks alone in phases 3 and 5–7; every other chunk is paired with one
    of the other direction (phases 4–5). Unpaired chunks cannot hide their expert-parallel
    all-to-all behind the partner's computation.

    Parameters
    ----------
    pp, microbatches : array_like
        Pipeline ranks ``p`` (even) and micro-batches per step ``m`` [1].

    Returns
    -------
    float or ndarray
        ``min(3p/2 − 1, m)`` (0 for ``p ≤ 1``) [1].

    Examples
    --------
    >>> dualpipe_unpaired_microbatches(16, 120), dualpipe_unpaired_microbatches(8, 20)
    (23.0, 11.0)
    """
    p, m = (np.asarray(a, dtype=float) for a in (pp, microbatches))
    return _out(np.where(p > 1, np.minimum(1.5 * p - 1.0, m), 0.0))


def bubble_fraction(pp, microbatches, *, schedule, vpp=1):
    """Bubble time as a fraction of the ideal ``m·t`` [1].

    Examples
    --------
    >>> bubble_fraction(8, 64, schedule=0), bubble_fraction(8, 64, schedule=1, vpp=7)
    (0.109375, 0.015625)
    """
    m = np.asarray(microbatches, dtype=float)
    return _out(bubble_time_s(1.0, pp, schedule=schedule, vpp=vpp) / m)
