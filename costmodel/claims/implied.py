"""What a claim's numbers imply: FLOP under every convention, MFU against every peak,
throughput, and third parties' denominators matched against the catalog (part of
``costmodel check``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..data import store
from ..formulas import cost
from ..model import priors

if TYPE_CHECKING:
    from ..data.schemas import Accelerator, ClaimPreset
    from ..formulas.architecture import Architecture

__all__ = ["implied", "match_denominator"]


def _peaks(acc: Accelerator, fp8_fraction: float | None) -> dict[str, float]:
    """The accelerator's dense peaks [FLOP/s]: 16-bit (BF16, else FP16), FP8, and the
    FP8/BF16 blend at ``fp8_fraction``."""
    out: dict[str, float] = {}
    for p in ("bf16", "fp16", "fp8"):
        if p in acc.peak_dense_tflop_per_s and not (p == "fp16" and "bf16" in out):
            out[p] = acc.peak_flop_per_s(p)
    if fp8_fraction is not None and "fp8" in out and "bf16" in out:
        out["blended"] = float(cost.blended_peak_flop_per_s(out["fp8"], out["bf16"], fp8_fraction))
    return out


def _conventions(arch: Architecture | None, active: float, tokens: float) -> dict[str, float]:
    """Training FLOP of ``tokens`` under every convention the shape allows (6ND alone
    without one)."""
    flop = {"6nd": 6.0 * active * tokens}
    if arch is not None:
        flop["megatron"] = arch.breakdown().training * tokens
        if arch.moe is not None and arch.moe.router:  # megatron's router term, left out
            flop["megatron-lm"] = arch.breakdown().training_megatron_lm * tokens
        if arch.mtp_depth:
            flop["megatron+mtp"] = arch.breakdown(mtp=True).training * tokens
        if arch.causal:  # a non-causal model's megatron count is already the non-causal one
            flop["megatron non-causal"] = arch.breakdown(causal=False).training * tokens
        flop["palm"] = arch.flop_per_token("palm") * tokens
    return flop


def match_denominator(tflops: float, gpu: str = "") -> str | None:
    """Name what a third party's peak matches in the catalog (dense, or a sparse 2x).

    Dense matches win over sparse ones, the claimed accelerator's model (``h800`` for
    ``h800-sxm``) over others, and 16-bit/8-bit rates over TF32.
    """
    model = gpu.split("-")[0]
    found = []
    for acc in store.load("accelerators").values():
        for p, v in acc.peak_dense_tflop_per_s.items():
            for factor, label in (
                (1, f"{acc.id} dense {p}"),
                (2, f"{acc.id} sparse {p} (2x the dense peak)"),
            ):
                if abs(factor * v - tflops) / (factor * v) < 0.01:
                    rank = (factor, not acc.id.startswith(model), p in ("tf32", "fp32", "fp64"))
                    found.append((rank, label))
    return min(found)[1] if found else None


def implied(
    c: ClaimPreset,
    acc: Accelerator,
    arch: Architecture | None,
    active: float,
    tokens: float,
    hours: float,
    n_gpus: float | None,
    fp8_fraction: float | None,
    warnings: list[str],
) -> dict[str, Any]:
    """FLOP under every convention, MFU against every peak, throughput, the claim's stated
    MFUs recomputed, and third parties' denominators matched against the catalog; a
    warning is appended to ``warnings`` for a denominator that is not the accelerator's
    dense peak."""
    flop = _conventions(arch, active, tokens)
    peaks = _peaks(acc, fp8_fraction)
    seconds = hours * 3600.0
    mfu = {conv: {den: f / (seconds * p) for den, p in peaks.items()} for conv, f in flop.items()}
    tps = tokens / seconds
    out: dict[str, Any] = {
        "flop": {k: {"total": v, "per_token": v / tokens} for k, v in flop.items()},
        "peaks_flop_per_s": peaks,
        "fp8_fraction": fp8_fraction,
        "mfu": mfu,
        "implied_mfu_16bit": flop["6nd"] / (seconds * priors.sixteen_bit_peak(acc)),
        "throughput": {
            "tokens_per_s_per_gpu": tps,
            "tokens_per_gpu_hour": tps * 3600.0,
            "tflop_per_s_per_gpu": {k: v / seconds / 1e12 for k, v in flop.items()},
            "cluster_tokens_per_day": tps * n_gpus * 86400.0 if n_gpus else None,
            "wall_clock_days": hours / n_gpus / 24.0 if n_gpus else None,
        },
    }
    stated: list[dict[str, Any]] = []
    for st in c.statements:
        if st.kind != "mfu":
            continue
        conv = st.convention
        key = conv if conv is None or st.causal else f"{conv} non-causal"
        den = st.precision or "bf16"
        ours = mfu.get(key, {}).get(den) if key else None
        row: dict[str, Any] = {
            "value": st.value,
            "convention": key,
            "precision": den,
            "computed": ours,
            "source": st.source,
        }
        if ours is None:
            vals = [m[den] for m in mfu.values() if den in m]
            row["range_computed"] = [min(vals), max(vals)] if vals else None
        stated.append(row)
    out["stated_mfu"] = stated
    for tp in c.third_party:
        what = match_denominator(tp.denominator_tflop_per_s, acc.id)
        flagged = what is None or not what.startswith(acc.id + " dense") or "sparse" in what
        if flagged:
            warnings.append(
                f"{tp.who}'s {tp.mfu:.1%} divides by {tp.denominator_tflop_per_s:g} "
                f"TFLOP/s, which is {what or 'no catalog peak'}, not a dense peak "
                f"of the {acc.id}"
            )
    out["third_party"] = [
        {
            **tp.model_dump(),
            "denominator_matches": match_denominator(tp.denominator_tflop_per_s, acc.id),
        }
        for tp in c.third_party
    ]
    return out
