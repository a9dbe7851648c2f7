"""Issue 12: scope-clean runs, grouped validation, partial pooling, verdict fragility.

Each numeric test is checked against independent truth: closed forms of the normal-normal
model, counts redone here on synthetic data with known parameters, ``scipy.stats`` for the
Student-t tails, and the raw preset files read with ``tomllib``.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

import costmodel
from costmodel.analysis.backtesting import backtest
from costmodel.claims.verdict import fragility
from costmodel.data import store
from costmodel.data.schemas.runs import COMPARABLE_SCOPES, HOURS_SCOPES, RunPreset
from costmodel.model import priors

PRESETS = Path(costmodel.__file__).resolve().parent.parent / "presets"
if not (PRESETS / "runs").is_dir():  # installed wheel: presets ship inside the package
    PRESETS = Path(costmodel.__file__).resolve().parent / "presets"


def _raw(kind, name):
    return tomllib.loads((PRESETS / kind / f"{name}.toml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- scope-clean data
def test_every_run_preset_has_a_closed_list_hours_scope():
    paths = sorted((PRESETS / "runs").glob("*.toml"))
    assert len(paths) >= 55
    for path in paths:
        r = tomllib.loads(path.read_text(encoding="utf-8"))
        rep = r["reported"]
        assert rep["hours_scope"] in HOURS_SCOPES, path.name
        assert r["organization"].strip(), path.name


def test_schema_requires_a_known_hours_scope():
    base = {
        "id": "x",
        "source": "test source",
        "as_of": "2026-11-30",
        "name": "x",
        "organization": "o",
        "year": 2024,
        "params": 1e9,
        "tokens": 1e12,
        "gpu": "h100-sxm",
    }
    rep = {"gpu_hours": 1000, "gpu_hours_scope": "pre-training", "gpu_hours_basis": "reported"}
    with pytest.raises(ValidationError, match="hours_scope"):
        RunPreset.model_validate(base | {"reported": rep})
    with pytest.raises(ValidationError):
        RunPreset.model_validate(base | {"reported": rep | {"hours_scope": "pretraining"}})
    ok = RunPreset.model_validate(base | {"reported": rep | {"hours_scope": "all_training"}})
    assert ok.reported.hours_scope == "all_training"


def test_olmo_hybrid_covers_the_b200_segment_in_6_19_days():
    # Lambda's model page: "The B200 phase processed approximately 3 trillion tokens in just
    # 6.19 days" on 512 B200 (64 HGX B200 systems)
    r = _raw("runs", "olmo-hybrid-7b")
    assert r["reported"]["wall_clock_days"] == 6.19
    assert r["reported"]["gpu_hours"] == pytest.approx(512 * 6.19 * 24, abs=1)
    assert r["tokens"] == 3e12 and r["n_gpus"] == 512


@pytest.mark.parametrize(
    ("run_id", "scope"),
    [
        ("llama-3.2-1b", "incl_other_models"),  # distillation from Llama 3.1 8B/70B logits
        ("llama-3.2-3b", "incl_other_models"),
        ("llama-3.1-8b", "all_training"),  # "Training utilized a cumulative of 39.3M ..."
        ("llama-3.1-70b", "all_training"),
        ("llama-3.1-405b", "all_training"),
        ("gpt-3", "assumed_throughput"),  # Patterson et al.'s estimate, not a measurement
    ],
)
def test_non_comparable_runs_stay_out_of_the_fit(run_id, scope):
    assert _raw("runs", run_id)["reported"]["hours_scope"] == scope
    assert scope not in COMPARABLE_SCOPES
    assert run_id not in store.get("priors", "mfu-6nd").runs
    assert run_id in store.get("priors", "mfu-6nd").excluded_runs


# ---------------------------------------------------------------------- partial pooling
def _rows(ys, orgs, family="ampere", x=None):
    """FitRows whose ln(mfu) equals ``ys`` exactly (hours solved from mfu)."""
    out = []
    for i, (y, o) in enumerate(zip(ys, orgs, strict=True)):
        n = 1e10 if x is None else 1e10 * 10 ** x[i]
        fam = family if isinstance(family, str) else family[i]
        hours = 6 * n * 1e12 / (math.exp(y) * 1e15 * 3600)
        out.append(
            priors.FitRow(f"r{i}", fam, n, 1e12, hours, 1e15, False, "primary", "reported", o)
        )
    return out


def test_partial_pooling_matches_the_normal_normal_closed_form():
    rng = np.random.default_rng(12)
    sizes = [1, 2, 3, 5, 8, 13]
    effects = rng.normal(0, 0.3, len(sizes))
    ys, orgs = [], []
    for j, (n_j, u) in enumerate(zip(sizes, effects, strict=True)):
        ys += list(-1.2 + u + rng.normal(0, 0.2, n_j))
        orgs += [f"org{j}"] * n_j
    p = priors.fit(_rows(ys, orgs), "org")  # intercept + organization random effect
    s2, t2 = p.residual_sd**2, p.between_org_sd**2
    assert t2 > 0
    ys, orgs = np.array(ys), np.array(orgs)
    # GLS mean of a one-way random-effects model: groups weighted by n_j / (s² + n_j τ²)
    ybar = {o: ys[orgs == o].mean() for o in set(orgs)}
    n = {o: int(np.sum(orgs == o)) for o in set(orgs)}
    w = {o: n[o] / (s2 + n[o] * t2) for o in n}
    mu = sum(w[o] * ybar[o] for o in n) / sum(w.values())
    assert p.intercepts["all"] == pytest.approx(mu, rel=1e-9)
    for o in n:
        shrink = n[o] * t2 / (n[o] * t2 + s2)
        u, v = p.org_effects[o]
        assert u == pytest.approx(shrink * (ybar[o] - mu), rel=1e-7, abs=1e-12)
        assert v == pytest.approx(t2 * s2 / (n[o] * t2 + s2), rel=1e-7)


def test_reml_recovers_the_between_organization_spread():
    rng = np.random.default_rng(5)
    ys, orgs = [], []
    for j in range(60):
        u = rng.normal(0, 0.3)
        ys += list(-1.3 + u + rng.normal(0, 0.2, 5))
        orgs += [f"o{j}"] * 5
    p = priors.fit(_rows(ys, orgs), "org")
    # 60 groups of 5: the standard error of tau is about 0.03; the REML grid step is ~15%
    assert p.between_org_sd == pytest.approx(0.3, abs=0.08)
    assert p.residual_sd == pytest.approx(0.2, abs=0.03)


def test_new_organization_carries_the_between_organization_variance():
    p = priors.load()
    assert p.between_org_sd > 0 and "org" in p.terms
    X, _ = p.design(3e10, "hopper")
    coef_var = float(X @ p.coef_cov @ X)
    _, sd_new = p.log_params(3e10, "hopper")
    assert float(sd_new) ** 2 == pytest.approx(
        p.residual_sd**2 + p.between_org_sd**2 + coef_var, rel=1e-12
    )
    u, v = p.org_effects["Meta"]
    mu_meta, sd_meta = p.log_params(3e10, "hopper", org="Meta")
    mu_new, _ = p.log_params(3e10, "hopper")
    assert float(mu_meta) == pytest.approx(float(mu_new) + u)
    assert float(sd_meta) ** 2 == pytest.approx(p.residual_sd**2 + v + coef_var, rel=1e-12)
    assert v < p.between_org_sd**2  # a known organization is narrower


# ---------------------------------------------------------------------- calibration
def test_coverage_counted_independently_on_synthetic_runs():
    """Runs drawn from ln mfu = a[family] + b·x + ε with σ = 0.25: leave-one-run-out 90%
    intervals must hold about 90% of them, and the package's count must equal a count done
    here with the normal quantile."""
    rng = np.random.default_rng(7)
    n = 240
    fam = rng.choice(["ampere", "hopper"], n)
    x = rng.uniform(-1.5, 1.5, n)
    ys = np.where(fam == "ampere", -1.0, -1.5) + 0.2 * x + rng.normal(0, 0.25, n)
    rows = _rows(list(ys), [f"o{i % 30}" for i in range(n)], list(fam), list(x))
    preds = priors.loo_predictions(rows, "family+size")
    z90 = stats.norm.ppf(0.95)
    inside = [abs(y - mu) <= z90 * sd for y, (mu, sd) in zip(ys, preds, strict=True)]
    s = priors.score(rows, preds)
    assert s["coverage_90"] == pytest.approx(np.mean(inside), abs=1e-12)
    # binomial sd at n=240 is 1.9%: 4 sd either side
    assert abs(np.mean(inside) - 0.90) < 0.08
    z50 = stats.norm.ppf(0.75)
    inside50 = [abs(y - mu) <= z50 * sd for y, (mu, sd) in zip(ys, preds, strict=True)]
    assert s["coverage_50"] == pytest.approx(np.mean(inside50), abs=1e-12)
    assert abs(np.mean(inside50) - 0.50) < 0.13


def test_student_t_tail_matches_scipy():
    rows = priors.fit_rows()
    p = priors.fit(rows, "family+size+t")
    mu, sd = (float(v) for v in p.log_params(3e10, "hopper"))
    upper = 0.8
    for m in (0.15, 0.3, 0.5):
        expected = (
            stats.t.cdf((math.log(upper) - mu) / sd, priors.T_DF)
            - stats.t.cdf((math.log(m) - mu) / sd, priors.T_DF)
        ) / stats.t.cdf((math.log(upper) - mu) / sd, priors.T_DF)
        assert p.p_at_least(m, 3e10, "hopper", upper=upper) == pytest.approx(expected, rel=1e-9)
    q = p.ppf(np.array([0.05, 0.5, 0.95]), 3e10, "hopper", upper=upper)
    cu = stats.t.cdf((math.log(upper) - mu) / sd, priors.T_DF)
    expected_q = np.exp(mu + sd * stats.t.ppf(np.array([0.05, 0.5, 0.95]) * cu, priors.T_DF))
    np.testing.assert_allclose(q, expected_q, rtol=1e-9)


# ---------------------------------------------------------------------- backtest
@pytest.fixture(scope="module")
def bt():
    return backtest()


def test_backtest_reports_looo_loro_and_calibration(bt):
    s = bt.summary
    fit = [r for r in bt.rows if r.leave_one_out]
    for key in ("fit_set_looo", "fit_set_loro"):
        assert s[key]["n"] == len(fit)
        assert sum(s[key]["pit_histogram"]) == len(fit)
        assert set(s[key]) >= {"share_inside_50", "share_inside_80", "share_inside_90"}
    inside = np.mean([r.looo_p05 <= r.reported_gpu_hours <= r.looo_p95 for r in fit])
    assert s["fit_set_looo"]["share_inside_90"] == pytest.approx(inside)
    # a PIT inside (0.05, 0.95) is the same event as the reported hours inside p05-p95
    assert all(
        (0.05 <= r.looo_pit <= 0.95) == (r.looo_p05 <= r.reported_gpu_hours <= r.looo_p95)
        for r in fit
    )
    d = bt.to_dict()
    assert d["schema"] == "costmodel.backtest/2"
    assert {"looo_p50", "looo_pit", "hours_scope", "organization"} <= set(d["runs"][0])


def test_constant_baseline_recomputed_from_raw_presets(bt):
    """Median |log10(predicted/reported)| of 40% of the 16-bit dense peak, from the TOMLs."""
    ids = set(store.get("priors", "mfu-6nd").runs)
    errs = []
    for rid in sorted(ids):
        r = _raw("runs", rid)
        acc = _raw("accelerators", r["gpu"])
        peak = 1e12 * acc["peak_dense_tflop_per_s"].get(
            "bf16", acc["peak_dense_tflop_per_s"].get("fp16")
        )
        active = r.get("active_params", r["params"])
        predicted = 6 * active * r["tokens"] / (peak * 0.40 * 3600)
        errs.append(abs(math.log10(predicted / r["reported"]["gpu_hours"])))
    base = bt.summary["fit_set_baseline"]
    assert base["n"] == len(ids)
    assert base["median_abs_log10_error"] == pytest.approx(float(np.median(errs)), rel=1e-9)


def test_backtest_plot_has_pit_panel(invoke, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "bt.svg"
    r = invoke("backtest", "--plot", out)
    assert r.code == 0, r.err
    assert "PIT" in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------------- verdict fragility
def test_check_reports_p_under_each_candidate_prior(invoke):
    r = invoke("check", "deepseek-v3", "--json")
    assert r.code == 0, r.err
    lk = r.json()["likelihood"]
    alts = lk["alternatives"]
    models = {a["model"] for a in alts}
    assert set(priors.CANDIDATES) <= models
    kinds = {a["prior"] for a in alts}
    assert {"chosen", "leave-one-organization-out", "baseline"} <= kinds
    chosen = next(a for a in alts if a["prior"] == "chosen")
    assert chosen["p_gpu_hours_le_claimed"] == lk["p_gpu_hours_le_claimed"]
    assert all(0 <= a["p_gpu_hours_le_claimed"] <= 1 for a in alts)
    text = invoke("check", "deepseek-v3").out  # the prior is context: one line by default
    assert "leave-one-organization-out" not in text and "--verbose" in text
    text = invoke("check", "deepseek-v3", "--verbose").out
    assert "leave-one-organization-out" in text and "under each utilization prior" in text


def test_looo_alternative_is_fitted_without_the_claimants_runs():
    d = costmodel.check("deepseek-v3", samples=1000, rng=0).to_dict()
    looo = next(
        a for a in d["likelihood"]["alternatives"] if a["prior"] == "leave-one-organization-out"
    )
    # refit here without any DeepSeek-AI run and compare the tail at the same threshold
    rows = [r for r in priors.fit_rows() if r.organization != "DeepSeek-AI"]
    assert len(rows) == len(priors.fit_rows()) - 3
    p = priors.fit(rows, store.get("priors", "mfu-6nd").model)
    chosen = priors.fit(
        [r for r in priors.fit_rows() if r.id != "deepseek-v3"],
        store.get("priors", "mfu-6nd").model,
    )
    # same FLOP-convention mixture for both: the LOOO probability differs only by the prior
    mu_l, _ = p.log_params(37e9, "hopper")
    mu_c, _ = chosen.log_params(37e9, "hopper")
    if float(mu_l) < float(mu_c):
        assert looo["p_gpu_hours_le_claimed"] < d["likelihood"]["p_gpu_hours_le_claimed"]
    else:
        assert looo["p_gpu_hours_le_claimed"] >= d["likelihood"]["p_gpu_hours_le_claimed"]


def test_fragility_names_the_side_of_each_alternative():
    alts = [
        {"prior": "chosen", "model": "m", "p_gpu_hours_le_claimed": 0.09},
        {"prior": "baseline", "model": "family+size", "p_gpu_hours_le_claimed": 0.11},
        {"prior": "candidate", "model": "pooled", "p_gpu_hours_le_claimed": 0.30},
    ]
    text = fragility(alts, "p_optimistic", 0.10)
    assert "1 of 3" in text
    assert "chosen 9.0% → optimistic" in text
    assert "family+size (baseline) 11.0% → consistent" in text
    assert "pooled 30.0% → consistent" in text
    text = fragility(alts, "p_implausible", 0.10)
    assert "chosen 9.0% → implausible" in text and "pooled 30.0% → optimistic" in text
