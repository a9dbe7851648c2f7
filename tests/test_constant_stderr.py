"""A constant output has Monte Carlo standard error 0 (issue 9, item 10)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.model.uncertainty import summarize

from . import strategies as cs


@settings(max_examples=200, deadline=None)
@given(value=cs.magnitude, n=st.integers(2, 5000))
def test_constant_has_zero_stderr(value, n):
    s = summarize(np.full(n, value))
    assert s["stderr"] == 0.0
    assert s["mean"] == value  # exactly: the mean of n copies of a number is that number


def test_stderr_of_a_known_sample():
    # 1..N: sample standard deviation sqrt(N(N+1)/12) (closed form), stderr = sd / sqrt(N)
    n = 1001
    s = summarize(np.arange(1.0, n + 1))
    assert s["stderr"] == pytest.approx(np.sqrt(n * (n + 1) / 12) / np.sqrt(n), rel=1e-12)
    # the same spread on top of a huge offset keeps its standard error (no cancellation);
    # 1e-6 because each input is rounded to the float spacing at 8.4e22 (2**24 ≈ 1.7e7,
    # under 0.2 % of one 1e10 step, and the rounding errors average out)
    big = summarize(8.4e22 + np.arange(n) * 1e10)
    assert big["stderr"] == pytest.approx(1e10 * np.sqrt(n * (n + 1) / 12) / np.sqrt(n), rel=1e-6)


def test_cli_model_flop_of_constant_inputs(invoke):
    # params and tokens fixed, utilization uncertain: model FLOP = 6 · 7e9 · 2e12 for every draw
    r = invoke(
        *"estimate --params 7B --tokens 2T --gpu a100 --mfu uniform:0.3,0.5 "
        "--price-usd-per-gpu-hour 1.8 --samples 1000 --json".split()
    )
    assert r.code == 0, r.err
    q = r.json()["quantiles"]["model_flop"]
    assert q["stderr"] == 0.0 and q["mean"] == 6 * 7e9 * 2e12
