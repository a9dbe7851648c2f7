"""The physics-informed covariate of the utilization prior (issue 12, item 4): the
performance model's predicted MFU ceiling for each published run's model on its accelerator,
at the best layout that fits its GPU count.

The prior's fitting code (:mod:`costmodel.model.prior_fit`, layer 4) cannot import the
performance model (layer 5), so the ceilings are computed here and attached to the fit rows
(:attr:`~costmodel.model.priors.FitRow.ceiling`) by :func:`with_ceilings`;
``scripts/fit_priors.py`` scores the ``ceiling`` candidates on them.

Shape: the run preset's ``[architecture]`` where one is published. Otherwise a *derived*
dense shape (:func:`derived_architecture`): the width of a model of that many parameters
interpolated (log-log) in GPT-3's published width/depth ladder (Brown et al. 2020,
arXiv 2005.14165, Table 2.1: 125M 12×768 … 175B 96×12288), depth from
``params ≈ 12·n_layers·d_model² + vocab·d_model``, head and layer counts rounded to
multiples of 8 (4 below 32 heads) and of 4 so that tensor and pipeline parallelism can split
them, the MLP width taking up the rounding (about 4×), GPT-3's vocabulary (50,257, tied) and
context (2,048). A mixture-of-experts run without a published shape gets
the dense shape of its *active* parameters. Rows carry ``ceiling_derived`` so the two kinds
can be told apart.

Cluster: the run's ``n_gpus`` where published; otherwise :func:`default_gpus` (a power of
two near :data:`~costmodel.model.priors.GPB_REFERENCE` accelerators per billion active
parameters, 8 to 16,384). When no layout fits that many, the count doubles until one does.
An accelerator whose interconnect is not published (TPU v3) cannot be costed: such a run's
ceiling is imputed as the median of its family's runs (else of all runs).
Precision: BF16 (the prior credits no FP8 speed-up), so the ceiling is on the 16-bit peak
like the prior's MFU.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..errors import InputError
from ..formulas.architecture import Architecture
from ..model import priors

__all__ = ["GPT3_LADDER", "derived_architecture", "default_gpus", "ceiling_of", "with_ceilings"]

#: GPT-3's model ladder (Brown et al. 2020, arXiv 2005.14165, Table 2.1): (nominal
#: parameters, n_layers, d_model). 13B's d_model is printed as 5140 in the table.
GPT3_LADDER = (
    (125e6, 12, 768),
    (350e6, 24, 1024),
    (760e6, 24, 1536),
    (1.3e9, 24, 2048),
    (2.7e9, 32, 2560),
    (6.7e9, 32, 4096),
    (13e9, 40, 5140),
    (175e9, 96, 12288),
)
DERIVED_VOCAB = 50257
DERIVED_SEQ_LEN = 2048
MAX_GPUS = 65536


#: Heads a multiple of this from :data:`HEADS_WIDE` heads up (tensor parallel 2, 4 or 8
#: within an 8-accelerator node divides them), of :data:`HEADS_STEP_NARROW` below.
HEADS_STEP = 8
HEADS_STEP_NARROW = 4
HEADS_WIDE = 32
#: Layers a multiple of this (pipeline parallel 2 or 4 splits them evenly).
LAYERS_STEP = 4
#: The MLP width is a multiple of this (each of 8 tensor-parallel ranks gets 32 columns).
FFN_STEP = 256


def _round_to(x: float, step: int) -> int:
    """The multiple of ``step`` nearest ``x``, at least ``step``."""
    return max(step, int(round(x / step)) * step)


def derived_architecture(params: float) -> Architecture:
    """A plausible dense decoder of ``params`` parameters by GPT-3's width/depth ladder,
    with head and layer counts that parallel layouts can split.

    Rule:

    1. ``d_model`` is interpolated linearly in log(params) against log(d_model) between the
       ladder's rungs (extrapolated along the last segment beyond them); heads are 64 wide
       below 2,048, 128 wide from there.
    2. The head count is rounded to a multiple of 8 from 32 heads up (tensor parallel 2, 4
       and 8, the sizes within a node, divide it), of 4 below, and ``d_model`` = heads ×
       head width. A prime count (Falcon-180B's interpolated 97) would leave tensor
       parallelism out of every layout (:func:`costmodel.perf.search.candidate_layouts`: ``tp``
       divides the heads).
    3. ``n_layers`` solves ``params = 12·L·d² + vocab·d`` and is rounded to a multiple of 4
       (pipeline parallel 2 and 4 split it evenly; 97 layers could not be split evenly).
    4. The MLP width takes up what rounding the depth moved: ``ffn_hidden`` solves
       ``params = L·(4d² + 2·d·ffn) + vocab·d`` (a multiple of 256, kept within 2-8 × d), so
       the parameter count stays that of the plain 4× MLP at the unrounded depth. It is 4 ×
       d where the depth needed no rounding, and about 3.6-4.4 × d from 32 layers up.

    GPT-3's rungs keep their published widths (and their depths within the rounding to 4).
    """
    if not params > 0:
        raise ValueError(f"params: {params!r} must be > 0")
    xs = np.log([p for p, _, _ in GPT3_LADDER])
    ys = np.log([d for _, _, d in GPT3_LADDER])
    x = math.log(params)
    if x <= xs[0]:
        k = 0
    elif x >= xs[-1]:
        k = len(xs) - 2
    else:
        k = int(np.searchsorted(xs, x)) - 1
    y = ys[k] + (ys[k + 1] - ys[k]) * (x - xs[k]) / (xs[k + 1] - xs[k])
    head = 128 if math.exp(y) >= 2048 else 64
    heads_raw = math.exp(y) / head
    heads = _round_to(heads_raw, HEADS_STEP if heads_raw >= HEADS_WIDE else HEADS_STEP_NARROW)
    d = heads * head
    body = max(params - DERIVED_VOCAB * d, 0.0)
    layers = _round_to(body / (12.0 * d * d), LAYERS_STEP)
    ffn = (body / layers - 4.0 * d * d) / (2.0 * d)
    ffn = min(max(_round_to(ffn, FFN_STEP), 2 * d), 8 * d)
    return Architecture(
        n_layers=layers,
        d_model=d,
        n_heads=heads,
        ffn_hidden=ffn,
        gated_mlp=False,
        vocab_size=DERIVED_VOCAB,
        tied_embeddings=True,
        seq_len=DERIVED_SEQ_LEN,
        causal=True,
    )


def default_gpus(active_params: float) -> int:
    """Cluster size for a run that does not publish one: the power of two nearest
    ``GPB_REFERENCE`` accelerators per billion active parameters, within 8 to 16,384."""
    n = priors.GPB_REFERENCE * active_params / 1e9
    return int(min(max(2 ** round(math.log2(max(n, 1.0))), 8), 16384))


def ceiling_of(run) -> dict:
    """The predicted MFU ceiling (16-bit peak) of a run preset, with how it was obtained:
    ``ceiling``, ``derived`` (shape derived, not published), ``n_gpus``, ``gpus_given``,
    ``layout`` (one line)."""
    from ..data import store
    from ..perf import compare

    acc = store.get("accelerators", run.gpu)
    arch = run.architecture
    derived = arch is None
    if arch is None:
        arch = derived_architecture(run.active_params_)
    n = int(run.n_gpus) if run.n_gpus else default_gpus(run.active_params_)
    best = None
    try:
        while best is None and n <= MAX_GPUS:
            best = compare.best_layout(arch, acc, n, precision="bf16")
            if best is None:
                n *= 2
    except InputError as e:  # the accelerator's interconnect is not published
        return {"ceiling": None, "derived": derived, "n_gpus": n, "why": str(e)}
    if best is None:
        return {"ceiling": None, "derived": derived, "n_gpus": n, "why": "no layout fits"}
    return {
        "ceiling": float(best["mfu_16bit"]),
        "derived": derived,
        "n_gpus": n,
        "gpus_given": bool(run.n_gpus),
        "layout": compare.describe(best["layout"]),
    }


_cache: dict[tuple, dict] = {}


def with_ceilings(rows: list[priors.FitRow]) -> list[priors.FitRow]:
    """``rows`` with :attr:`~costmodel.model.priors.FitRow.ceiling` filled in (cached per
    run preset object, so refits and hold-outs reuse one evaluation per run)."""
    from ..data import store

    got = {}
    for r in rows:
        run = store.get("runs", r.id)
        key = (r.id, id(run))
        if key not in _cache:
            _cache[key] = ceiling_of(run)
        got[r.id] = _cache[key]
    known = [r for r in rows if got[r.id]["ceiling"] is not None]
    out = []
    for r in rows:
        c = got[r.id]["ceiling"]
        if c is None:  # imputed: the median of its family's runs (else of all runs)
            same = [got[k.id]["ceiling"] for k in known if k.family == r.family]
            c = float(np.median(same or [got[k.id]["ceiling"] for k in known]))
        out.append(dataclasses.replace(r, ceiling=c, ceiling_derived=got[r.id]["derived"]))
    return out
