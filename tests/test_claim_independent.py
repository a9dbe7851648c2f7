"""The DeepSeek-V3 check recomputed from the raw preset files, without the package's fit.

Each test rebuilds one number of ``costmodel check deepseek-v3`` from first principles —
the run TOMLs read with ``tomllib``, ordinary least squares with ``numpy.linalg.lstsq`` and
the truncated-normal tail with ``scipy.stats`` — so a change in the package's fitting,
truncation or mixing code that moves the verdict shows up here as a disagreement.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import costmodel
from costmodel.data import store

PRESETS = Path(costmodel.__file__).resolve().parent.parent / "presets"
if not (PRESETS / "runs").is_dir():  # installed wheel: presets ship inside the package
    PRESETS = Path(costmodel.__file__).resolve().parent / "presets"


def _toml(kind, name):
    return tomllib.loads((PRESETS / kind / f"{name}.toml").read_text(encoding="utf-8"))


#: hours scopes whose hours measure the work of the stated tokens (issue 12); written out
#: here rather than imported so that a change to the package's list shows up as a failure
COMPARABLE = {"final_pretraining", "all_pretraining", "wall_clock_span"}


def _raw_runs(grades, scopes=None):
    """(id, family, active params, 6ND mfu on the 16-bit dense peak) from the raw files."""
    out = []
    for path in sorted((PRESETS / "runs").glob("*.toml")):
        r = tomllib.loads(path.read_text(encoding="utf-8"))
        rep = r.get("reported", {})
        if "gpu_hours" not in rep or "tokens" not in r or rep.get("gpu_hours_grade") not in grades:
            continue
        if scopes is not None and rep.get("hours_scope") not in scopes:
            continue
        acc = _toml("accelerators", r["gpu"])
        peak = acc["peak_dense_tflop_per_s"]
        peak16 = 1e12 * peak.get("bf16", peak.get("fp16"))
        active = r.get("active_params") or store.get("runs", r["id"]).active_params_
        mfu = 6 * active * r["tokens"] / (rep["gpu_hours"] * 3600 * peak16)
        out.append((r["id"], acc["family"], active, mfu))
    return out


@pytest.fixture(scope="module")
def report():
    return costmodel.check("deepseek-v3", samples=20_000, rng=0).to_dict()


def test_implied_mfu_is_6nd_over_hours_and_bf16_peak(report):
    # DeepSeek-V3 Technical Report: 37B activated, 14.8T tokens, 2,664K H800-hours;
    # H800 SXM BF16 dense peak 989.4 TFLOP/s (same GH100 tensor cores as the H100 SXM)
    expected = 6 * 37e9 * 14.8e12 / (2.664e6 * 3600 * 989.4e12)
    assert report["implied_mfu_16bit"] == pytest.approx(expected, rel=1e-3)


def test_percentile_against_published_runs(report):
    # like with like: only runs whose hours measure the work of their stated tokens
    rows = [r for r in _raw_runs({"primary", "secondary"}, COMPARABLE) if r[0] != "deepseek-v3"]
    implied = report["implied_mfu_16bit"]
    below = sum(m < implied for *_, m in rows)
    cmp = report["comparison"]
    assert cmp["n_runs"] == len(rows)
    assert cmp["percentile"] == pytest.approx(below / len(rows), abs=1e-12)
    assert cmp["max_published"] == pytest.approx(max(m for *_, m in rows), rel=1e-12)


def test_probability_from_an_independent_fit(report):
    """P(GPU-hours ≤ 2.664M) under the family+size baseline, from an OLS fit redone here
    on the comparable-scope primary runs and a truncated-normal tail."""
    rows = [r for r in _raw_runs({"primary"}, COMPARABLE) if r[0] != "deepseek-v3"]
    fams = sorted({f for _, f, _, _ in rows})
    X = np.array(
        [[1.0 if f == g else 0.0 for g in fams] + [math.log10(a / 1e10)] for _, f, a, _ in rows]
    )
    y = np.log([m for *_, m in rows])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    s2 = resid @ resid / (len(y) - X.shape[1])
    cov = s2 * np.linalg.inv(X.T @ X)
    xs = [math.log10(a / 1e10) for _, _, a, _ in rows]
    x0 = np.zeros(len(fams) + 1)
    x0[fams.index("hopper")] = 1.0
    x0[-1] = min(max(math.log10(37e9 / 1e10), min(xs)), max(xs))
    mu = float(x0 @ beta)
    sd = math.sqrt(s2 + x0 @ cov @ x0)  # predictive: residual + coefficient uncertainty
    upper = _toml("accelerators", "h800-sxm")["matmul_ceiling_fraction"]

    # the two FLOP-convention branches: 6ND, and megatron relative to the fitted runs' shapes
    def meg_ratio(run_id):
        run = store.get("runs", run_id)
        return run.architecture.flop_per_token("megatron") / (6 * run.active_params_)

    shaped = [r[0] for r in rows if store.get("runs", r[0]).architecture is not None]
    k = meg_ratio("deepseek-v3") / float(np.median([meg_ratio(i) for i in shaped]))

    peak16 = 989.4e12
    p = 0.0
    for w, mult in ((0.5, 1.0), (0.5, k)):
        need = 6 * 37e9 * 14.8e12 * mult / (peak16 * 2.664e6 * 3600)
        b = (math.log(upper) - mu) / sd
        p += w * stats.truncnorm.sf((math.log(need) - mu) / sd, -np.inf, b)
    lk = report["likelihood"]
    base = next(a for a in lk["alternatives"] if a["prior"] == "baseline")
    assert base["model"] == "family+size"
    assert base["p_gpu_hours_le_claimed"] == pytest.approx(p, rel=1e-6)
    # the verdict follows the chosen prior's probability (the candidates straddle the 10%
    # threshold, and the check lists which way each falls)
    t = report["verdict"]["thresholds"]["p_optimistic"]
    chosen = lk["p_gpu_hours_le_claimed"]
    assert report["verdict"]["verdict"] == ("optimistic" if chosen < t else "consistent")
