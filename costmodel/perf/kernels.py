"""Time of the kernels inside one training step: GEMMs, attention, memory-bound work.

Pure, broadcasting functions (layer 1: no I/O, no pydantic). Every constant is calibrated on
our own H200 measurements (``docs/sources/h200_measurements.md``; PyTorch 2.11, cuBLAS /
``_scaled_mm``, SDPA) and carried to other accelerators through their datasheet peak, HBM
bandwidth and measured large-GEMM ceiling (``matmul_ceiling_fraction``), i.e. a roofline.

GEMM model
----------
A GEMM ``(M, N, K)`` does ``2·M·N·K`` FLOP and must move at least
``e·(M·K + K·N + M·N)`` bytes (``e`` bytes per element), so its arithmetic intensity is
``I = (2/e) / (1/M + 1/N + 1/K)`` [FLOP/byte]. Against the machine balance
``B = peak / hbm_bandwidth`` the achieved fraction of peak is modelled as a smooth roofline

.. math:: \\eta(x) = \\eta_{max} / (1 + (c / x)^p)^{1/p}, \\qquad x = I / B

which tends to ``η_max`` for large GEMMs and to ``η_max·x/c`` (bandwidth bound) for thin ones.
For FP8, ``e`` halves and the peak doubles, so ``x`` is the same as for BF16.

References
----------
.. [1] Williams, Waterman, Patterson, "Roofline: an insightful visual performance model",
       CACM 52(4), 2009, doi:10.1145/1498765.1498785.
.. [2] costmodel measurements, ``tests/data/h200_shapes_2026-11-30.json`` (GEMMs at
       DeepSeek-V3 and Llama-70B shapes, M = 256 … 16,384, forward/dgrad/wgrad, bf16 and fp8;
       grouped expert GEMMs; SDPA attention), ``h200_calibration_2026-11-28.json`` (square
       GEMM ceilings) and ``h200_membound_2026-11-30.json`` (memory-bound kernels), both in
       ``docs/sources/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..formulas.numeric import scalar_or_array

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "H200_PEAK_BF16_FLOP_PER_S",
    "H200_HBM_BYTES_PER_S",
    "H200_MATMUL_CEILING",
    "GEMM_BF16",
    "GEMM_FP8",
    "GROUPED_GEMM_GAIN",
    "ATTN_EFF_H200",
    "MEMBOUND_EFF",
    "CROSS_ENTROPY_EFF",
    "OPTIMIZER_EFF",
    "OPTIMIZER_BYTES_PER_PARAM",
    "gemm_intensity",
    "gemm_efficiency",
    "gemm_time_s",
    "attention_efficiency",
    "membound_time_s",
]

#: H200 SXM dense BF16 peak [FLOP/s] and HBM3e bandwidth [byte/s] (NVIDIA H200 datasheet;
#: ``presets/accelerators/h200-sxm.toml``): the machine on which the constants were measured.
H200_PEAK_BF16_FLOP_PER_S = 989.4e12
H200_HBM_BYTES_PER_S = 4.8e12
#: H200's measured large-GEMM ceiling, best BF16 matmul / BF16 peak [1]
#: (``presets/accelerators/h200-sxm.toml`` ``matmul_ceiling_fraction``). Another
#: accelerator's ``η_max`` is scaled by its own ceiling / this one.
H200_MATMUL_CEILING = 0.759

#: ``(η_max, c, p)`` of the BF16 GEMM curve, least-squares fit in log space to the 168 BF16
#: forward/dgrad/wgrad points of ``h200_shapes_2026-11-30.json`` (median |log10 residual|
#: 0.034; ``scripts/perf_validation.py --fit-gemm`` reproduces it).
GEMM_BF16 = (0.710, 2.41, 3.50)
#: Same for FP8 (per-tensor ``torch._scaled_mm``, η_max of the FP8 peak; median |log10
#: residual| 0.044). Quantization is not included (see :func:`membound_time_s`).
GEMM_FP8 = (0.638, 3.58, 2.95)

#: Grouped-GEMM gain for MoE experts [1]: eight experts of 256 tokens each ran at 636
#: TFLOP/s with ``torch._grouped_mm`` vs 274 for one 256-token GEMM, about what one GEMM of
#: ~1,024 tokens reaches (649) — so a grouped expert GEMM is costed as one with
#: ``M·min(local_experts, 4)`` rows (h200_shapes ``experts`` records).
GROUPED_GEMM_GAIN = 4.0

#: Causal flash-attention (SDPA) forward+backward efficiency on the H200 by head dim
#: (q/k dim): 517 TFLOP/s at 128 and 356 at 192 (MLA), of 989.4 (h200_shapes ``attention``).
ATTN_EFF_H200 = ((128.0, 517.4 / 989.4), (192.0, 356.3 / 989.4))

#: Achieved / datasheet HBM bandwidth of the elementwise kernels of a block (RMSNorm
#: forward+backward 2.35 TB/s, SwiGLU 2.39 TB/s of 4.8; h200_membound) [1].
MEMBOUND_EFF = 2.35 / 4.8
#: Cross-entropy over a 128K vocabulary, forward+backward: 1.35 TB/s of 4.8 [1].
CROSS_ENTROPY_EFF = 1.35 / 4.8
#: Fused AdamW step: 3.34 TB/s of 4.8 [1], counting 28 bytes per fp32 parameter
#: (param, grad, two moments read; param and moments written) [byte].
OPTIMIZER_EFF = 3.34 / 4.8
OPTIMIZER_BYTES_PER_PARAM = 28.0


def _out(x):
    return scalar_or_array(np.asarray(x, dtype=float))


def gemm_intensity(m: ArrayLike, n: ArrayLike, k: ArrayLike, *, bytes_per_element=2.0):
    """Arithmetic intensity of an ``(M, N, K)`` GEMM [FLOP/byte].

    Parameters
    ----------
    m, n, k : array_like
        Rows of the output, columns of the output, reduction length [1].
    bytes_per_element : float, default 2
        Element size of the operands [byte] (2 for BF16, 1 for FP8).

    Returns
    -------
    float or ndarray
        ``2·M·N·K / (e·(M·K + K·N + M·N))`` [FLOP/byte].

    Examples
    --------
    >>> round(gemm_intensity(8192, 8192, 8192), 1)
    2730.7
    """
    m, n, k = (np.asarray(a, dtype=float) for a in (m, n, k))
    return _out((2.0 / bytes_per_element) / (1.0 / m + 1.0 / n + 1.0 / k))


def gemm_efficiency(
    m, n, k, peak_flop_per_s, hbm_bytes_per_s, *, matmul_ceiling=H200_MATMUL_CEILING, fp8=False
):
    """Achieved fraction of the dense peak of one GEMM [1].

    Parameters
    ----------
    m, n, k : array_like
        GEMM shape [1].
    peak_flop_per_s : array_like
        Dense peak at the GEMM's precision [FLOP/s].
    hbm_bytes_per_s : array_like
        HBM bandwidth [byte/s].
    matmul_ceiling : array_like, default 0.759 (H200)
        The accelerator's best measured large-GEMM fraction of its BF16 peak [1]; scales
        ``η_max`` relative to the H200 on which the curve was fitted.
    fp8 : bool or array_like of bool, default False
        Use the FP8 curve (operands one byte, FP8 peak).

    Returns
    -------
    float or ndarray
        ``η_max·(ceiling/0.759) / (1 + (c·B/I)^p)^{1/p}`` [1], see the module notes.
    """
    fp8 = np.asarray(fp8, dtype=bool)
    e = np.where(fp8, 1.0, 2.0)
    x = gemm_intensity(m, n, k, bytes_per_element=e) / (
        np.asarray(peak_flop_per_s, dtype=float) / np.asarray(hbm_bytes_per_s, dtype=float)
    )
    em = np.where(fp8, GEMM_FP8[0], GEMM_BF16[0])
    c = np.where(fp8, GEMM_FP8[1], GEMM_BF16[1])
    p = np.where(fp8, GEMM_FP8[2], GEMM_BF16[2])
    scale = np.asarray(matmul_ceiling, dtype=float) / H200_MATMUL_CEILING
    return _out(np.minimum(em * scale, 1.0) / (1.0 + (c / x) ** p) ** (1.0 / p))


def gemm_time_s(
    m, n, k, peak_flop_per_s, hbm_bytes_per_s, *, matmul_ceiling=H200_MATMUL_CEILING, fp8=False
):
    """Time of one GEMM ``(M, N, K)`` [s]: ``2·M·N·K / (peak · η)``.

    Parameters are those of :func:`gemm_efficiency`. Zero-sized GEMMs take zero time.

    Examples
    --------
    H200, a routed DeepSeek-V3 expert's up/gate projection at 256 and 8,192 tokens (measured
    274 and 760 TFLOP/s):

    >>> t = gemm_time_s([256, 8192], 4096, 7168, 989.4e12, 4.8e12)
    >>> [round(2 * m * 4096 * 7168 / s / 1e12) for m, s in zip([256, 8192], t)]
    [323, 701]
    """
    m, n, k = (np.asarray(a, dtype=float) for a in (m, n, k))
    flop = 2.0 * m * n * k
    safe = np.where(flop > 0, 1.0, 0.0)
    eff = gemm_efficiency(
        np.maximum(m, 1.0),
        np.maximum(n, 1.0),
        np.maximum(k, 1.0),
        peak_flop_per_s,
        hbm_bytes_per_s,
        matmul_ceiling=matmul_ceiling,
        fp8=fp8,
    )
    return _out(safe * flop / (np.asarray(peak_flop_per_s, dtype=float) * eff))


def attention_efficiency(head_dim, *, matmul_ceiling=H200_MATMUL_CEILING):
    """Flash-attention forward+backward fraction of the BF16 peak by q/k head dim [1].

    Linear in head dim between the two H200 measurements (128 → 0.523, 192 → 0.360),
    constant outside them, scaled by the accelerator's GEMM ceiling relative to the H200.

    Parameters
    ----------
    head_dim : array_like
        Query/key head dimension [1].
    matmul_ceiling : array_like, default 0.759
        The accelerator's large-GEMM ceiling [1].

    Returns
    -------
    float or ndarray
        [1]
    """
    (h0, e0), (h1, e1) = ATTN_EFF_H200
    eff = np.interp(np.asarray(head_dim, dtype=float), [h0, h1], [e0, e1])
    return _out(eff * np.asarray(matmul_ceiling, dtype=float) / H200_MATMUL_CEILING)


def membound_time_s(bytes_moved, hbm_bytes_per_s, *, efficiency=MEMBOUND_EFF):
    """Time of memory-bound work [s]: bytes / (HBM bandwidth · achieved fraction).

    Parameters
    ----------
    bytes_moved : array_like
        Minimum bytes the kernels must read and write [byte].
    hbm_bytes_per_s : array_like
        Datasheet HBM bandwidth [byte/s].
    efficiency : array_like, default :data:`MEMBOUND_EFF`
        Achieved fraction of the datasheet bandwidth [1] (H200 measurements).

    Returns
    -------
    float or ndarray
        [s]

    Examples
    --------
    One fused AdamW step over 10⁹ fp32 parameters on the H200 (measured 8.37 ms):

    >>> round(membound_time_s(28e9, 4.8e12, efficiency=OPTIMIZER_EFF) * 1e3, 2)
    8.38
    """
    return _out(
        np.asarray(bytes_moved, dtype=float)
        / (np.asarray(hbm_bytes_per_s, dtype=float) * np.asarray(efficiency, dtype=float))
    )
