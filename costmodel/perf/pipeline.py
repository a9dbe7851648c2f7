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
"""

from __future__ import annotations

import numpy as np

__all__ = ["SCHEDULES", "FORWARD_SHARE", "WGRAD_SHARE", "bubble_time_s", "bubble_fraction"]

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


def bubble_time_s(t_microbatch_s, pp, *, schedule, vpp=1):
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

    Returns
    -------
    float or ndarray
        ``(p−1)·t`` (1F1B), ``(p−1)·t/v`` (interleaved), ``(p/2−1)·(F&B + B − 3W)`` with
        ``F = t/3``, ``B = 2t/3``, ``W = t/3`` and ``F&B = F + B`` (DualPipe; 0 for ``p ≤ 2``)
        [s].

    Examples
    --------
    >>> bubble_time_s(1.0, 16, schedule=0), bubble_time_s(1.0, 16, schedule=1, vpp=3)
    (15.0, 5.0)
    >>> round(bubble_time_s(1.0, 16, schedule=2), 4)
    4.6667
    """
    t, p, v = (np.asarray(a, dtype=float) for a in (t_microbatch_s, pp, vpp))
    sched = np.asarray(schedule)
    f = FORWARD_SHARE * t
    b = (1.0 - FORWARD_SHARE) * t
    w = WGRAD_SHARE * t
    dual = np.maximum(p / 2.0 - 1.0, 0.0) * ((f + b) + b - 3.0 * w)
    out = np.where(sched == 2, dual, np.where(sched == 1, (p - 1.0) * t / v, (p - 1.0) * t))
    return _out(out)


def bubble_fraction(pp, microbatches, *, schedule, vpp=1):
    """Bubble time as a fraction of the ideal ``m·t`` [1].

    Examples
    --------
    >>> bubble_fraction(8, 64, schedule=0), bubble_fraction(8, 64, schedule=1, vpp=7)
    (0.109375, 0.015625)
    """
    m = np.asarray(microbatches, dtype=float)
    return _out(bubble_time_s(1.0, pp, schedule=schedule, vpp=vpp) / m)
