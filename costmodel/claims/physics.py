"""The physics verdict: can the claimed hardware sustain the claimed throughput?

A claim states tokens, GPU-hours, an accelerator and (directly or through its run preset)
the model's shape and parallel layout. The performance model predicts the steady-state
tokens/s per GPU of that layout on that accelerator; its validation residuals (published
throughputs it did not see, ``docs/perf_validation.md``) say how far a prediction lands
from what a real run measures. ``P(achievable)`` is the probability that the hardware
sustains at least the claimed steady-state throughput:

    r = log10(predicted / measured)             (validation residual, Student-t)
    P(achievable) = P(measured ≥ claimed) = P(r ≤ log10(predicted / claimed))

The point prediction is the one every command makes (``costmodel perf`` at the same layout,
``estimate --mfu model``, the NVLink section). The residual distribution leaves out the
validation rows that measure the claim's own model, so a claim is never judged by the
spread of its own measurement. The residuals are stratified by dense vs MoE and
16-bit vs FP8 (:func:`costmodel.perf.residuals.residual_model`): a stratum whose rows
come from fewer than five sources borrows the rows of the other precision, then all rows,
and names its own rows' residuals (the MoE rows, from two sources, are mostly
over-predictions of small MoE models; pooled, a MoE claim is judged as leniently as a
dense one, and the text says so). Each source is weighted once. The distribution is a
Student-t: its degrees of freedom (the weight of the tails) fitted by maximum likelihood
on all rows, its location and scale on the stratum's rows.

Hours on a wall-clock basis (reserved time with failures, restarts and checkpoints)
cover more than steady-state training: the steady-state throughput they need is the
claimed one divided by the goodput, the median of :func:`costmodel.formulas.goodput.
goodput_distribution` for the claim's GPU count, model size and duration (docs/goodput.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from ..data.schemas import Accelerator, ClaimPreset, RunPreset
    from ..formulas.architecture import Architecture

__all__ = ["RULES", "published_layout", "physics", "section"]

#: Verdict rules on P(achievable): the claim needs throughput beyond the model's 99th
#: percentile (implausible) or 90th (optimistic); below the 5th percentile it is slower
#: than the hardware allows (noted, not a verdict).
RULES = {"implausible": 0.01, "optimistic": 0.10, "slower_than_hardware": 0.95}


def _p_le(x: float, m: dict[str, Any]) -> float:
    from scipy import stats

    return float(stats.t.cdf(x, m["df"], loc=m["loc"], scale=m["scale"]))


def _quantile(p: float, m: dict[str, Any]) -> float:
    from scipy import stats

    return float(stats.t.ppf(p, m["df"], loc=m["loc"], scale=m["scale"]))


def published_layout(
    c: ClaimPreset, run: RunPreset | None, n_gpus: int | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The layout a claim states, else its run preset's (without its data-parallel degree
    when the claim's GPU count differs from the run's), and where it comes from."""
    if c.layout is not None:
        return c.layout.flags(), c.layout.source
    if run is not None and run.layout is not None:
        flags = run.layout.flags()
        if n_gpus is not None and run.n_gpus is not None and int(n_gpus) != run.n_gpus:
            flags.pop("dp", None)
        return flags, f"{run.id} run preset: {run.layout.source}"
    return None, None


def physics(
    c: ClaimPreset,
    run: RunPreset | None,
    arch: Architecture | None,
    acc: Accelerator,
    tokens: float,
    hours: float,
    n_gpus: int | None,
    *,
    steady_state_hours: bool,
) -> dict[str, Any] | None:
    """The physics section of a claim check; ``None`` without a shape or GPU count, and
    ``{"unavailable": why}`` when the performance model cannot cost it (an accelerator
    without a published scale-up bandwidth, or no layout that fits).

    Parameters
    ----------
    c, run, arch, acc
        The claim, its run preset (or ``None``), the model's shape and the accelerator.
    tokens, hours : float
        The analysed stage's tokens and GPU-hours.
    n_gpus : int or None
        Accelerators in the cluster.
    steady_state_hours : bool
        The hours were derived from a steady-state throughput (the claim's own
        ``hours_basis``, or its per-trillion-token rate) rather than reserved wall-clock.
    """
    from ..perf import bind
    from ..perf.compare import best_layout, describe
    from ..perf.residuals import residual_model

    if arch is None or not n_gpus:
        return None
    n = int(n_gpus)
    flags, source = published_layout(c, run, n)
    notes: list[str] = []
    claim_prec = c.precision if c.precision in ("bf16", "fp8", "mixed") else None
    r = None
    try:
        bind.hardware(acc)
    except InputError as e:  # no scale-up bandwidth in the catalog: not modellable
        return {"unavailable": f"the performance model cannot cost {acc.id}: {e}"}
    if flags is not None:
        lay = dict(flags)
        node_limit = int(lay.pop("node_limit", 0) or 0)
        if "precision" not in lay and claim_prec:
            lay["precision"] = claim_prec
        if lay.get("precision", "bf16") != "bf16" and "fp8" not in acc.peak_dense_tflop_per_s:
            lay["precision"] = "bf16"
            notes.append(f"{acc.id} has no FP8 peak: the layout is costed in bf16")
        try:
            r = bind.perf(arch, acc, n_gpus=n, node_limit=node_limit, **lay)
        except InputError as e:
            if c.layout is not None:  # the claim's own layout: the user's data is wrong
                raise InputError(f"layout: the claim's layout does not run here: {e}") from None
            notes.append(
                f"the run's published layout does not apply to {n:,} {acc.id} ({e}); the best "
                "layout that fits is used instead"
            )
            r = None
        layout_source = source
    if r is None:
        prec = claim_prec or "bf16"
        best = best_layout(arch, acc, n, precision=prec, small=True)
        if best is None:
            return {"unavailable": f"no layout of this model fits in memory on {n:,} {acc.id}"}
        lay = dict(best["layout"])
        node_limit = int(lay.pop("node_limit", 0) or 0)
        r = bind.perf(arch, acc, n_gpus=n, node_limit=node_limit, **lay)
        layout_source = (
            "no published layout: the best layout that fits on these GPUs "
            "(costmodel plan's search), so the prediction is an upper bound on the layout"
        )
    shown = describe(r["layout"])
    moe = arch.moe is not None
    fp8 = r["layout"]["precision"] != "bf16"
    m = residual_model(run.id if run is not None else None, moe, fp8)
    # the point prediction is the one every command makes (costmodel perf, estimate --mfu
    # model, the NVLink section): the efficiency in code, fitted on all validation rows
    pred50 = r["tokens_per_s_per_gpu"]
    claimed = tokens / (hours * 3600.0)
    goodput, gp = 1.0, None
    if not steady_state_hours:
        from ..formulas.goodput import goodput_distribution

        params = arch.param_count()["total"]
        gp = goodput_distribution(n, params, hours / n / 24.0)
        goodput = gp["p50"]
    needed = claimed / goodput
    # measured = predicted / 10^r; quantile q of measured is predicted / 10^(r_{1-q})
    quant = {
        f"p{round(q * 100):02d}": pred50 / 10.0 ** _quantile(1.0 - q, m) for q in (0.05, 0.5, 0.95)
    }
    p = _p_le(math.log10(pred50 / needed), m)
    if p < RULES["implausible"]:
        verdict = "implausible"
    elif p < RULES["optimistic"]:
        verdict = "optimistic"
    else:
        verdict = "consistent"
    slower = p > RULES["slower_than_hardware"]
    hours_words = (
        "steady-state hours (no downtime in them)"
        if steady_state_hours
        else f"wall-clock hours: steady state needs claimed / goodput {goodput:.3f} (the "
        f"goodput model's median for {n:,} GPUs over {hours / n / 24.0:.0f} days, 90%: "
        f"{gp['p05']:.3f}-{gp['p95']:.3f}; failures, checkpoints and restarts, "
        "docs/goodput.md)"
        if gp is not None
        else ""
    )
    return {
        "p_achievable": p,
        "verdict": verdict,
        "slower_than_hardware": slower,
        "claimed_tokens_per_s_per_gpu": claimed,
        "needed_steady_state_tokens_per_s_per_gpu": needed,
        "predicted_tokens_per_s_per_gpu": quant,
        "point_tokens_per_s_per_gpu": pred50,
        "predicted_mfu_16bit": r["mfu_16bit"],
        "hours_basis": "steady_state" if steady_state_hours else "wall_clock",
        "hours_basis_text": hours_words,
        "goodput": goodput,
        "goodput_quantiles": (
            {k: gp[k] for k in ("p05", "p50", "p95")} | {"sources": list(gp["sources"])}
            if gp is not None
            else None
        ),
        "layout": r["layout"] | ({"node_limit": node_limit} if node_limit else {}),
        "layout_text": shown,
        "layout_source": layout_source,
        "fits": r["fits"],
        "memory_gb_per_gpu": r["memory_gb_per_gpu"]["total"],
        "residual_basis": m["basis"],
        "residual_model": {k: m[k] for k in ("df", "loc", "scale", "n_rows", "stratum")},
        "system_efficiency": m["system_efficiency"],
        "rules": dict(RULES),
        "notes": notes,
    }


def section(
    data: dict[str, Any],
    c: ClaimPreset,
    run: RunPreset | None,
    arch: Architecture | None,
    acc: Accelerator,
    tokens: float,
    hours: float,
    n_gpus: float | None,
    assumptions: list[str],
) -> None:
    """Put a claim check's ``physics`` section (or why there is none) into ``data``.

    The hours' basis is the claim's ``hours_basis``; unstated, hours equal to the
    per-trillion-token rate × tokens are steady state and published hours otherwise are
    taken as reserved wall-clock, and the section says which.
    """
    basis = c.hours_basis or (
        "steady_state" if data.get("throughput_derived_hours") else "wall_clock"
    )
    phys = physics(
        c,
        run,
        arch,
        acc,
        tokens,
        hours,
        int(n_gpus) if n_gpus else None,
        steady_state_hours=basis == "steady_state",
    )
    if phys is None:
        return
    if "unavailable" in phys:
        assumptions.append(f"no physics verdict: {phys['unavailable']}")
        data["physics_unavailable"] = phys["unavailable"]
        return
    if c.hours_basis is None:
        phys["hours_basis_text"] += (
            " (hours_basis not stated: "
            + (
                "the hours equal the per-trillion-token rate x tokens"
                if basis == "steady_state"
                else "published hours are taken as reserved wall-clock"
            )
            + ")"
        )
    data["physics"] = phys
