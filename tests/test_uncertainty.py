"""Distributions, sampling and summaries against closed forms."""

import math
from statistics import NormalDist

import numpy as np
import pytest
from numpy.testing import assert_allclose

import costmodel
from costmodel import dist
from costmodel.errors import InputError

from .cli_args import V3_BF16

N = NormalDist()


def test_done_means_p95_of_uniform_mfu(invoke):
    r = invoke(
        "estimate",
        *V3_BF16,
        "--mfu",
        "0.25..0.45",
        "--samples",
        "200000",
        "--json",
    )
    assert r.code == 0, r.err
    # GPU-hours ∝ 1/mfu, so p95 sits at mfu's p05 = 0.25 + 0.05 × 0.2 = 0.26
    analytic = 3.2856e24 / (989.4e12 * 0.26 * 3600)
    assert r.json()["quantiles"]["gpu_hours"]["p95"] == pytest.approx(analytic, rel=0.01)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("0.25..0.45", dist.Uniform(0.25, 0.45)),
        ("uniform:0.25,0.45", dist.Uniform(0.25, 0.45)),
        ("tri:0.2,0.35,0.5", dist.Triangular(0.2, 0.35, 0.5)),
        ("lognormal:2,1.3", dist.LogNormal(2.0, 1.3)),
        ("normal:14.8T,0.5T", dist.Normal(14.8e12, 0.5e12)),
        ("beta:8,15", dist.Beta(8.0, 15.0)),
        ("loguniform:1,4", dist.LogUniform(1.0, 4.0)),
        ("fixed:0.35", dist.Fixed(0.35)),
    ],
)
def test_cli_spellings(text, expected):
    assert dist.parse(text, "x") == expected


@pytest.mark.parametrize(
    "text",
    [
        "tri:0.5,0.2,0.1",
        "uniform:3,1",
        "lognormal:2,0.9",
        "normal:1,-1",
        "beta:0,1",
        "gamma:1,2",
        "tri:1,2",
        "loguniform:0,1",
        "1..x",
    ],
)
def test_bad_distributions(text):
    with pytest.raises(InputError):
        dist.parse(text, "mfu")


ANALYTIC = [  # (distribution, mean, median)
    (dist.uniform(1, 3), 2.0, 2.0),
    (dist.loguniform(1, 4), 3 / math.log(4), 2.0),
    (dist.triangular(0, 1, 4), 5 / 3, 4 - math.sqrt(0.5 * 4 * 3)),
    (dist.normal(10, 2), 10.0, 10.0),
    (dist.lognormal(2, 1.5), 2 * math.exp(0.5 * math.log(1.5) ** 2), 2.0),
    (dist.beta(2, 3), 0.4, None),
]


@pytest.mark.parametrize("d,mean,median", ANALYTIC, ids=lambda x: getattr(x, "kind", ""))
def test_sampled_moments_match_closed_forms(d, mean, median):
    x = d.sample(400_000, np.random.default_rng(7))
    se = x.std() / math.sqrt(x.size)
    assert abs(x.mean() - mean) < 4 * se  # Monte Carlo: within 4 standard errors
    assert d.mean() == pytest.approx(mean, rel=1e-12)
    if median is not None:
        assert d.median() == pytest.approx(median, rel=1e-9)
        assert np.median(x) == pytest.approx(median, rel=0.01)


def test_truncated_normal_mean_closed_form():
    # E[X | X > 0] for N(1, 1) = 1 + φ(1)/Φ(1)
    d = dist.normal(1.0, 1.0).truncated(0.0, None)
    assert d.mean() == pytest.approx(1 + N.pdf(1) / N.cdf(1), rel=1e-12)
    x = d.sample(400_000, 3)
    assert x.min() >= 0 and abs(x.mean() - d.mean()) < 4 * x.std() / math.sqrt(x.size)


def test_domain_truncation_is_reported():
    e = costmodel.estimate(
        active_params=37e9,
        tokens=dist.normal(14.8e12, 10e12),
        gpu="h800-sxm",
        mfu=0.35,
        samples=1000,
        rng=0,
    )
    note = [a for a in e.assumptions if a.startswith("tokens ~ normal")]
    # P(N(14.8, 10) < 0) = Φ(-1.48) = 6.94%
    assert note and "6.94% of the probability removed" in note[0]


def test_distribution_outside_domain_is_an_error():
    with pytest.raises(InputError, match=r"mfu: distribution uniform\(0.5, 1.5\) reaches 1.5"):
        costmodel.estimate(
            active_params=37e9, tokens=1e12, gpu="h100-sxm", mfu=dist.uniform(0.5, 1.5)
        )


def test_no_global_random_state_touched():
    before = np.random.get_state()[1].copy()
    costmodel.estimate(
        active_params=37e9,
        tokens=1e12,
        gpu="h100-sxm",
        samples=1000,
        mfu=dist.uniform(0.2, 0.4),
        rng=np.random.default_rng(1),
    )
    assert (np.random.get_state()[1] == before).all()


def test_qmc_converges_faster_than_mc():
    # E[1/mfu] for mfu ~ U(a, b) = ln(b/a)/(b − a): QMC error shrinks faster than MC's
    a, b = 0.25, 0.45
    truth = math.log(b / a) / (b - a)
    sc = costmodel.Scenario(
        active_params=1e9, tokens=1e9 / 6, gpu="h100-sxm", precision="bf16", mfu=dist.uniform(a, b)
    )
    k = 1e9 * 1e9 / 6 * 6 / (989.4e12 * 3600)  # gpu_hours = k / mfu
    errs = {}
    for qmc in (False, True):
        x = costmodel.simulate(sc, 2**14, rng=5, qmc=qmc).outputs["gpu_hours"] / k
        errs[qmc] = abs(x.mean() - truth)
    assert errs[True] < errs[False] and errs[True] < 1e-4 * truth


def test_summary_reports_stderr():
    e = costmodel.estimate(
        active_params=37e9,
        tokens=1e12,
        gpu="h100-sxm",
        samples=10_000,
        mfu=dist.uniform(0.2, 0.4),
        rng=0,
    )
    q = e.quantiles["gpu_hours"]
    assert q["p05"] < q["p50"] < q["p95"] and 0 < q["stderr"] < q["mean"] / 50


@pytest.mark.parametrize(
    "samples,match", [(37e9, "exceeds the limit"), (-1, ">= 0"), (1.5, "whole number")]
)
def test_absurd_sample_counts(samples, match):
    with pytest.raises(InputError, match=match):
        costmodel.estimate(active_params=1e9, tokens=1e9, gpu="h100-sxm", mfu=0.3, samples=samples)


def test_array_with_samples_rejected():
    with pytest.raises(InputError, match="array input cannot be combined with sampling"):
        costmodel.estimate(
            active_params=[1e9, 2e9],
            tokens=1e12,
            gpu="h100-sxm",
            mfu=dist.uniform(0.2, 0.4),
            samples=100,
        )


def test_market_price_distribution():
    e = costmodel.estimate(
        active_params=37e9,
        tokens=1e12,
        gpu="h100-sxm",
        mfu=0.3,
        price_usd_per_gpu_hour="market",
        samples=50_000,
        rng=0,
    )
    p = costmodel.catalog().prices["h100-sxm"].rental
    # the sampled cost's 5th/95th percentiles map to the range's ends (cost ∝ price)
    ratio = e.quantiles["cost_usd"]["p95"] / e.quantiles["cost_usd"]["p05"]
    assert_allclose(ratio, p.high_usd_per_gpu_hour / p.low_usd_per_gpu_hour, rtol=0.03)
    # no rental range and no purchase price (tpu-v3 has no price preset): an error; the
    # H20 (a purchase price, no rental quote) uses the ownership proxy (test_market_price.py)
    with pytest.raises(InputError, match="'market' for tpu-v3: no rental range"):
        costmodel.estimate(
            active_params=1e9, tokens=1e9, gpu="tpu-v3", mfu=0.3, price_usd_per_gpu_hour="market"
        )
