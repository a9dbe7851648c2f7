"""Hypothesis properties: real laws the estimator must obey."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import estimate

from . import strategies as S

BASE = dict(gpu="h800-sxm", precision="bf16", n_gpus=1024)
# the first estimate loads the presets (~0.5 s on a busy machine); do it here, so that
# hypothesis's 200 ms deadline times the law under test, not the cold start
estimate(**BASE, active_params=1e9, tokens=1e12, mfu=0.5, price_usd_per_gpu_hour=1.0)


@given(S.params, S.tokens, S.mfu, S.price, S.positive_scale)
def test_cost_linear_in_price(n, d, u, p, k):
    a = estimate(**BASE, active_params=n, tokens=d, mfu=u, price_usd_per_gpu_hour=p)
    b = estimate(**BASE, active_params=n, tokens=d, mfu=u, price_usd_per_gpu_hour=p * k)
    assert b.cost_usd == pytest.approx(k * a.cost_usd, rel=1e-12)


@given(S.params, S.tokens, S.mfu, S.price, S.positive_scale)
def test_cost_linear_in_tokens(n, d, u, p, k):
    a = estimate(**BASE, active_params=n, tokens=d, mfu=u, price_usd_per_gpu_hour=p)
    b = estimate(**BASE, active_params=n, tokens=d * k, mfu=u, price_usd_per_gpu_hour=p)
    assert b.cost_usd == pytest.approx(k * a.cost_usd, rel=1e-12)


@given(S.params, S.tokens, S.mfu, st.floats(min_value=0.05, max_value=1.0))
def test_gpu_hours_inverse_in_mfu(n, d, u, k):
    a = estimate(**BASE, active_params=n, tokens=d, mfu=u)
    b = estimate(**BASE, active_params=n, tokens=d, mfu=u * k)
    assert b.gpu_hours == pytest.approx(a.gpu_hours / k, rel=1e-12)


@given(S.params, S.tokens, S.mfu, S.positive_scale)
def test_flop_monotone_in_params(n, d, u, k):
    a = estimate(**BASE, active_params=n, tokens=d, mfu=u)
    b = estimate(**BASE, active_params=n * (1 + k), tokens=d, mfu=u)
    assert b.model_flop > a.model_flop and b.gpu_hours > a.gpu_hours


@settings(max_examples=40)
@given(st.lists(st.tuples(S.params, S.tokens, S.mfu, S.price, S.gpu_id), min_size=1, max_size=12))
def test_scalar_equals_vectorized(rows):
    n, d, u, p, g = (np.array(c) for c in zip(*rows, strict=True))
    prec = np.where(g == "v100-sxm2-32gb", "fp16", "bf16")  # V100 has no BF16 tensor cores
    vec = estimate(
        active_params=n, tokens=d, mfu=u, price_usd_per_gpu_hour=p, gpu=g, precision=prec
    )
    for i, row in enumerate(rows):
        one = estimate(
            active_params=row[0],
            tokens=row[1],
            mfu=row[2],
            price_usd_per_gpu_hour=row[3],
            gpu=row[4],
            precision=str(prec[i]),
        )
        assert np.atleast_1d(vec.cost_usd)[i] == pytest.approx(one.cost_usd, rel=1e-14)
        assert np.atleast_1d(vec.gpu_hours)[i] == pytest.approx(one.gpu_hours, rel=1e-14)
