"""The goodput model where steady-state throughput becomes hours (issue 20, item 1): the
claim check's wall-clock hours and ``estimate --mfu model``'s expected figures."""

import pytest

import costmodel


def test_mfu_model_prints_expected_wall_clock_beside_steady_state(invoke):
    r = invoke("estimate", "--run", "llama-3.1-405b", "--mfu", "model", "--json")
    assert r.code == 0, r.err
    d = r.json()
    ex = d["time_basis"]["expected"]
    g = ex["goodput"]
    # Llama 3 405B on 16,384 H100s: Meta reports "higher than 90%" effective training time
    # (arXiv 2407.21783 §3.3.4); the run is ~2 months, as Meta's 54-day snapshot
    assert 0.88 < g["p50"] < 0.96 and g["p05"] < 0.9 < g["p95"]
    # expected = steady state / goodput: more hours and days, never fewer
    assert ex["gpu_hours"] == pytest.approx(d["gpu_hours"] / g["p50"], rel=1e-12)
    assert ex["wall_clock_days"] > d["wall_clock_days"]
    text = invoke("estimate", "--run", "llama-3.1-405b", "--mfu", "model").out
    assert "expected with downtime (goodput model" in text


def test_small_cluster_loses_less_to_failures():
    big = costmodel.estimate(run="llama-3.1-405b", mfu="model", samples=0)
    small = costmodel.estimate(run="deepseek-v3", mfu="model", samples=0)  # 2,048 GPUs
    gb = big.extras["time_basis"]["expected"]["goodput"]["p50"]
    gs = small.extras["time_basis"]["expected"]["goodput"]["p50"]
    assert gs > gb  # job failure rate N·λ: 8x fewer GPUs, fewer restarts


def test_wall_clock_claim_uses_the_goodput_model():
    d = costmodel.check("llama-3.1-405b", samples=2000).to_dict()
    ph = d["physics"]
    assert ph["hours_basis"] == "wall_clock"
    q = ph["goodput_quantiles"]
    assert q["p05"] < ph["goodput"] < q["p95"] and 0.85 < ph["goodput"] < 0.97
    assert ph["needed_steady_state_tokens_per_s_per_gpu"] == pytest.approx(
        ph["claimed_tokens_per_s_per_gpu"] / ph["goodput"]
    )
    assert any(s.startswith("failure_rate") for s in q["sources"])


def test_hardware_what_ifs_show_expected_days_beside_steady_state():
    d = costmodel.check("deepseek-v3", samples=2000).to_dict()
    rows = [w for w in d["hardware"]["what_if"] if w.get("model_days")]
    assert len(rows) >= 5
    for w in rows:
        g = w["model_goodput"]
        assert 0 < g["p05"] <= g["p50"] <= g["p95"] <= 1
        assert w["model_days_expected"] == pytest.approx(w["model_days"] / g["p50"], rel=1e-12)
    # 2,048 GPUs for ~50 days: fewer failures than Llama 3's 16,384, so a higher goodput
    big = costmodel.check("llama-3.1-405b", samples=2000)["physics"]["goodput"]
    assert rows[0]["model_goodput"]["p50"] > big
