"""Layouts of the performance model: fill omitted values with documented defaults, check
them, and turn them into the integer codes :func:`costmodel.perf.step.evaluate` takes.

Every error is one line naming the flag, the bad value and what is allowed.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..formulas.architecture import Architecture
from . import pipeline

__all__ = [
    "DEFAULT_TOKENS_PER_STEP",
    "MAX_GLOBAL_BATCH",
    "check_global_batch",
    "MIN_MICROBATCHES_PER_STAGE",
    "RECOMPUTE",
    "PRECISIONS",
    "LAYOUT_KEYS",
    "resolve_layout",
    "codes",
    "recipe",
]

#: Default tokens per step when no global batch is given [tokens]: 16M (2²⁴), Llama 3
#: 405B's batch (arXiv 2407.21783 §3.4.1: 16M tokens at 8K sequences), between GPT-3's
#: 3.2M and DeepSeek-V3's 63M (15,360 × 4,096; arXiv 2412.19437 §4.2).
DEFAULT_TOKENS_PER_STEP = 16 * 1024 * 1024
#: Default minimum micro-batches per pipeline: 8 per stage keeps the 1F1B bubble
#: ``(p−1)/m`` under 1/8 (Narayanan et al. 2021 §3.3.1).
MIN_MICROBATCHES_PER_STAGE = 8

RECOMPUTE = ("none", "selective", "full")
PRECISIONS = ("bf16", "fp8", "mixed")
LAYOUT_KEYS = (
    "tp",
    "pp",
    "dp",
    "ep",
    "cp",
    "vpp",
    "schedule",
    "zero",
    "micro_batch",
    "global_batch",
    "seq_len",
    "recompute",
    "precision",
)


#: Largest global batch the model takes [sequences]: the int32 range, far above any
#: published run (DeepSeek-V3's 15,360; GPT-3's 1,536) and small enough that batch ×
#: sequence length × layouts stays exact in int64 arithmetic.
MAX_GLOBAL_BATCH = 2**31 - 1


def check_global_batch(gb) -> None:
    """Refuse a global batch above :data:`MAX_GLOBAL_BATCH` with one line."""
    if gb is not None and gb > MAX_GLOBAL_BATCH:
        raise _bad(
            "--global-batch",
            gb,
            f"give at most {MAX_GLOBAL_BATCH:,} sequences per step (published runs use 10^3-10^5)",
        )


def _bad(flag: str, value, allowed: str) -> InputError:
    return InputError(f"{flag}: {value} is not allowed; {allowed}")


def _divisors(n: int, upto: int | None = None) -> list[int]:
    """Divisors of ``n`` (at most ``upto``), in O(√n) steps, so a huge count in an
    architecture file cannot hang the check."""
    if upto is not None:
        return [i for i in range(1, min(n, upto) + 1) if n % i == 0]
    small = [i for i in range(1, math.isqrt(n) + 1) if n % i == 0]
    return sorted(set(small) | {n // i for i in small})


def _some(values: list[int], k: int = 12) -> str:
    """A list for an error message, at most ``k`` values."""
    if len(values) <= k:
        return str(values)
    return "[" + ", ".join(map(str, values[: k - 1])) + f", ..., {values[-1]}]"


def resolve_layout(arch: Architecture, n_gpus: int | None, **given) -> tuple[dict, list[str]]:
    """Fill omitted layout values with documented defaults and check the layout.

    Parameters
    ----------
    arch : Architecture
    n_gpus : int, optional
        Accelerators; default ``tp·pp·dp·cp`` when ``dp`` is given, else an error.
    **given
        Any of ``tp pp dp ep cp vpp schedule zero micro_batch global_batch seq_len
        recompute precision fp8_fraction`` (``None`` = omitted).

    Returns
    -------
    (dict, list of str)
        The full layout and the assumptions made.

    Raises
    ------
    InputError
        One line naming the flag, the bad value and what is allowed.
    """
    g = {k: v for k, v in given.items() if v is not None}
    notes: list[str] = []

    def default(key, value, why):
        if key not in g:
            g[key] = value
            notes.append(f"{key.replace('_', '-')} = {value} (default: {why})")

    for key in ("tp", "pp", "cp", "vpp", "micro_batch", "global_batch", "seq_len", "dp", "ep"):
        if key in g and (not isinstance(g[key], (int, np.integer)) or g[key] < 1):
            raise _bad(f"--{key.replace('_', '-')}", g[key], "give a positive integer")
    check_global_batch(g.get("global_batch"))
    default("tp", 1, "no tensor parallelism")
    default("pp", 1, "no pipeline parallelism")
    default("cp", 1, "no context parallelism")
    tp, pp, cp = g["tp"], g["pp"], g["cp"]
    kv = arch.n_heads if arch.mla else arch.n_kv_heads_
    if arch.n_heads % tp or (kv % tp and tp % kv):
        ok = [t for t in _divisors(arch.n_heads) if kv % t == 0 or t % kv == 0]
        raise _bad(
            "--tp", tp, f"must divide the {arch.n_heads} attention heads; allowed: {_some(ok)}"
        )
    if pp > arch.n_layers:
        raise _bad("--pp", pp, f"exceeds the {arch.n_layers} layers")
    default("seq_len", arch.seq_len, "the architecture's training sequence length")
    if g["seq_len"] % cp:
        raise _bad("--cp", cp, f"must divide seq-len {g['seq_len']}")
    if n_gpus is None:
        if "dp" not in g:
            raise InputError("--n-gpus: missing; give --n-gpus or --dp")
        n_gpus = tp * pp * cp * g["dp"]
    if n_gpus < 1:
        raise _bad("--n-gpus", n_gpus, "give a positive integer")
    if "dp" not in g:
        if n_gpus % (tp * pp * cp):
            raise _bad(
                "--n-gpus",
                n_gpus,
                f"must be a multiple of tp·pp·cp = {tp * pp * cp} (dp = n_gpus/(tp·pp·cp))",
            )
        default("dp", n_gpus // (tp * pp * cp), "n_gpus/(tp·pp·cp)")
    dp = g["dp"]
    if tp * pp * cp * dp != n_gpus:
        raise _bad(
            "--dp",
            dp,
            f"tp·pp·dp·cp = {tp}·{pp}·{dp}·{cp} = {tp * pp * dp * cp} must equal n_gpus = {n_gpus}",
        )
    moe = arch.moe
    if moe is None:
        default("ep", 1, "dense model")
        if g["ep"] != 1:
            raise _bad("--ep", g["ep"], "a dense model has no experts; use 1")
    else:
        cand = [e for e in _divisors(moe.n_routed_experts, upto=8) if (n_gpus // pp) % e == 0]
        default("ep", max(cand) if cand else 1, "experts spread over one 8-GPU node")
        ep = g["ep"]
        if moe.n_routed_experts % ep:
            raise _bad(
                "--ep",
                ep,
                f"must divide the {moe.n_routed_experts} routed experts; allowed: "
                f"{_some(_divisors(moe.n_routed_experts))}",
            )
        if (n_gpus // pp) % ep:
            raise _bad("--ep", ep, f"must divide the {n_gpus // pp} GPUs of a pipeline stage")
    sched = g.get("schedule")
    if sched is None:
        default("schedule", "interleaved" if g.get("vpp", 1) > 1 else "1f1b", "1F1B")
    if g["schedule"] not in pipeline.SCHEDULES:
        raise _bad("--schedule", g["schedule"], f"choose one of {', '.join(pipeline.SCHEDULES)}")
    if g["schedule"] == "interleaved":
        default("vpp", 2, "two model chunks per device")
    default("vpp", 1, "one model chunk per device")
    if g["schedule"] != "interleaved" and g["vpp"] != 1:
        raise _bad("--vpp", g["vpp"], "virtual stages need --schedule interleaved")
    if g["schedule"] == "interleaved" and pp * g["vpp"] > arch.n_layers:
        raise _bad(
            "--vpp", g["vpp"], f"pp·vpp = {pp * g['vpp']} exceeds the {arch.n_layers} layers"
        )
    if g["schedule"] == "dualpipe" and pp % 2:
        raise _bad("--pp", pp, "DualPipe needs an even number of stages")
    default("zero", 1, "optimizer states sharded over data parallelism (distributed optimizer)")
    if g["zero"] not in (0, 1, 2, 3):
        raise _bad("--zero", g["zero"], "choose 0, 1, 2 or 3")
    default("micro_batch", 1, "one sequence per micro-batch")
    mb = g["micro_batch"]
    seqs = max(1, math.ceil(DEFAULT_TOKENS_PER_STEP / g["seq_len"]))
    m_min = MIN_MICROBATCHES_PER_STAGE * pp if pp > 1 else 1
    m = max(math.ceil(seqs / (dp * mb)), m_min)
    default(
        "global_batch",
        m * dp * mb,
        f"≥ {DEFAULT_TOKENS_PER_STEP / 1e6:.1f}M tokens and ≥ {MIN_MICROBATCHES_PER_STAGE} "
        "micro-batches per pipeline stage",
    )
    if g["global_batch"] % (dp * mb):
        raise _bad(
            "--global-batch",
            g["global_batch"],
            f"must be a multiple of dp·micro-batch = {dp * mb}",
        )
    default(
        "recompute",
        "selective",
        "selective recomputation, the recommended default (Korthikanti et al. 2022 §5)",
    )
    if g["recompute"] not in RECOMPUTE:
        raise _bad("--recompute", g["recompute"], f"choose one of {', '.join(RECOMPUTE)}")
    default("precision", "bf16", "16-bit training")
    if g["precision"] not in PRECISIONS:
        raise _bad("--precision", g["precision"], f"choose one of {', '.join(PRECISIONS)}")
    if g["precision"] == "mixed":
        default("fp8_fraction", 1.0, "all block linears in FP8 (DeepSeek-V3 recipe)")
    f = g.get("fp8_fraction", 1.0 if g["precision"] == "fp8" else 0.0)
    if not 0.0 <= f <= 1.0:
        raise _bad("--fp8-fraction", f, "give a fraction in [0, 1]")
    g["fp8_fraction"] = f if g["precision"] != "bf16" else 0.0
    g["n_gpus"] = n_gpus
    return g, notes


def codes(layout: dict) -> dict:
    return {
        "tp": layout["tp"],
        "pp": layout["pp"],
        "dp": layout["dp"],
        "ep": layout["ep"],
        "cp": layout["cp"],
        "vpp": layout["vpp"],
        "schedule": pipeline.SCHEDULES.index(layout["schedule"]),
        "zero": layout["zero"],
        "micro_batch": layout["micro_batch"],
        "global_batch": layout["global_batch"],
        "seq_len": layout["seq_len"],
        "recompute": RECOMPUTE.index(layout["recompute"]),
        "fp8_linear": layout["fp8_fraction"],
    }


def recipe(layout: dict) -> dict:
    """Memory recipe of a precision [byte per element].

    ``mixed`` is DeepSeek-V3's FP8 framework (arXiv 2412.19437 §3.3.4): BF16 Adam moments
    with FP32 master weights (8 bytes of optimizer state), FP32 gradient accumulation
    (4 bytes), FP8-cached expert activations, RMSNorm recomputed. ``bf16`` and ``fp8``
    (Megatron-LM / Transformer Engine style) keep FP32 moments and accumulate gradients in
    FP32 too (Megatron-LM ``arguments.py``: bf16 turns on
    ``accumulate_allreduce_grads_in_fp32``; Llama 3, arXiv 2407.21783 §3.3.4)."""
    if layout["precision"] == "mixed":
        return {
            "optimizer_bytes": 8.0,
            "grad_bytes": 4.0,
            "expert_act_bytes": 1.0,
            "recompute_norms": True,
        }
    return {"optimizer_bytes": 12.0, "grad_bytes": 2.0, "expert_act_bytes": 2.0}
