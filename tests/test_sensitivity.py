"""Sobol indices against analytic values; tornado against closed forms."""

import math

import numpy as np
import pytest

import costmodel
from costmodel import dist
from costmodel.analysis.sobol import sobol_indices

from .cli_args import V3_BF16


def ishigami(u, a=7.0, b=0.1):
    x = -math.pi + 2 * math.pi * u
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_analytic_indices():
    # Ishigami & Homma (1990) with a = 7, b = 0.1 (Saltelli et al. 2008, §4.7)
    a, b, pi = 7.0, 0.1, math.pi
    v = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    s1 = [v1 / v, v2 / v, 0.0]
    st = [(v1 + v13) / v, v2 / v, v13 / v]
    r = sobol_indices(ishigami, 3, 2**14, rng=11, n_boot=100)
    # 0.02: the estimators' standard error at 2^14 QMC base samples is about 0.01
    np.testing.assert_allclose(r["S1"], s1, atol=0.02)
    np.testing.assert_allclose(r["ST"], st, atol=0.02)
    for i in range(3):  # the analytic values lie inside (or within 0.01 of) the 95% CIs
        assert r["S1_ci"][i][0] - 0.01 <= s1[i] <= r["S1_ci"][i][1] + 0.01
        assert r["ST_ci"][i][0] - 0.01 <= st[i] <= r["ST_ci"][i][1] + 0.01


def test_product_of_uniforms_by_hand():
    # Y = X1·X2, Xi ~ U(1, 2): Var Y = (7/3)² − (9/4)² = 55/144; V1 = V2 = 1.5²/12 = 27/144
    # so S1 = S2 = 27/55 and ST1 = ST2 = 1 − 27/55 = 28/55 (the interaction is 1/55)
    r = sobol_indices(lambda u: (1 + u[:, 0]) * (1 + u[:, 1]), 2, 2**13, rng=2, n_boot=0)
    np.testing.assert_allclose(r["S1"], [27 / 55] * 2, atol=0.01)
    np.testing.assert_allclose(r["ST"], [28 / 55] * 2, atol=0.01)


def test_additive_case_by_hand():
    # Y = X1 + 2·X2, Xi ~ U(0, 1): variances 1/12 and 4/12 → S = ST = (0.2, 0.8)
    r = sobol_indices(lambda u: u[:, 0] + 2 * u[:, 1], 2, 2**12, rng=0, n_boot=0)
    np.testing.assert_allclose(r["S1"], [0.2, 0.8], atol=0.01)
    np.testing.assert_allclose(r["ST"], [0.2, 0.8], atol=0.01)


def test_tornado_on_cost_matches_closed_form():
    price = dist.lognormal(2.0, 1.3)
    s = costmodel.sensitivity(
        "cost_usd",
        sobol=False,
        active_params=37e9,
        tokens=14.8e12,
        gpu="h800-sxm",
        precision="bf16",
        mfu=dist.uniform(0.25, 0.45),
        price_usd_per_gpu_hour=price,
    )
    k = 3.2856e24 / (989.4e12 * 3600)  # cost = k · price / mfu
    rows = {r["input"]: r for r in s.tornado}
    p05, p95 = price.quantile(0.05), price.quantile(0.95)
    assert rows["price_usd_per_gpu_hour"]["swing"] == pytest.approx(k * (p95 - p05) / 0.35)
    assert rows["mfu"]["swing"] == pytest.approx(k * 2.0 * (1 / 0.26 - 1 / 0.44))
    assert s.tornado[0]["input"] == "price_usd_per_gpu_hour"  # the larger swing first


def test_prior_is_an_uncertain_input():
    s = costmodel.sensitivity(
        "gpu_hours",
        samples=4096,
        n_boot=0,
        rng=0,
        active_params=37e9,
        tokens=14.8e12,
        gpu="h800-sxm",
    )
    assert s.inputs == ["mfu"]
    # the only input explains everything: S1 = ST = 1 (S1's estimator is the noisier one
    # for this heavy-tailed 1/mfu output)
    assert s.sobol["ST"][0] == pytest.approx(1.0, abs=0.02)
    assert s.sobol["S1"][0] == pytest.approx(1.0, abs=0.1)


def test_cli_sensitivity(invoke, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "t.svg"
    r = invoke(
        "sensitivity",
        *V3_BF16,
        "--mfu",
        "0.25..0.45",
        "--price-usd-per-gpu-hour",
        "lognormal:2,1.3",
        "--samples",
        "512",
        "--bootstrap",
        "50",
        "--json",
        "--plot",
        out,
    )
    assert r.code == 0, r.err
    d = r.json()
    assert d["schema"] == "costmodel.sensitivity/1" and len(d["sobol"]["S1"]) == 2
    assert "What drives training cost" in out.read_text()


def test_sensitivity_without_uncertainty(invoke):
    r = invoke(
        "sensitivity",
        "--active-params",
        "37B",
        "--tokens",
        "1T",
        "--gpu",
        "h100-sxm",
        "--mfu",
        "0.3",
        "--price-usd-per-gpu-hour",
        "2",
    )
    assert r.code == 2 and "no uncertain inputs" in r.err
    # without a price the market range is the default (issue 9, item 11); an accelerator
    # with neither a rental range nor a purchase price still names the missing input
    r = invoke("sensitivity", "--active-params", "37B", "--tokens", "1T", "--gpu", "tpu-v3")
    assert r.code == 2 and "give --price-usd-per-gpu-hour" in r.err
