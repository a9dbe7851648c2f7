"""The derived dense shape of a run without a published one has head and layer counts that
tensor and pipeline parallelism can split (Falcon-180B's interpolated shape had 97 heads and
97 layers, both prime, so no layout could use tensor parallelism), at the stated size."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.analysis import prior_ceiling
from costmodel.data import store
from costmodel.model import priors
from costmodel.perf.search import candidate_layouts


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % k for k in range(2, math.isqrt(n) + 1))


def _check_splittable(a, params: float) -> None:
    assert a.n_heads % (8 if a.n_heads >= 32 else 4) == 0, a.n_heads
    assert a.n_layers % 4 == 0, a.n_layers
    assert not _is_prime(a.n_heads) and not _is_prime(a.n_layers)
    assert a.d_model % a.n_heads == 0 and a.d_model // a.n_heads in (64, 128)
    assert 2 * a.d_model <= a.ffn_hidden <= 8 * a.d_model and a.ffn_hidden % 256 == 0
    # the parameter count implied by the shape is the stated size: within 2 % (the MLP width
    # takes up the depth's rounding; what is left is its rounding to 256 and the norms)
    assert a.param_count()["total"] == pytest.approx(params, rel=0.02)


# sizes from 100M up: below that the 50,257-token embedding alone is most of the model
@given(st.floats(min_value=1e8, max_value=2e12))
@settings(max_examples=200, deadline=None)
def test_derived_shapes_split_and_keep_their_size(params):
    _check_splittable(prior_ceiling.derived_architecture(params), params)


def _derived_runs():
    return [
        store.get("runs", r.id)
        for r in priors.fit_rows()
        if store.get("runs", r.id).architecture is None
    ]


def test_every_derived_fit_run_shape_splits():
    runs = _derived_runs()
    assert runs, "no fit run without a published shape"
    for run in runs:
        _check_splittable(
            prior_ceiling.derived_architecture(run.active_params_), run.active_params_
        )


def test_falcon_180b_layouts_include_tensor_parallelism():
    run = store.get("runs", "falcon-180b")
    assert run.architecture is None  # the shape is derived
    a = prior_ceiling.derived_architecture(run.active_params_)
    assert not _is_prime(a.n_heads) and not _is_prime(a.n_layers)
    # the layout space on its 4,096 A100s (Falcon paper: 4,096 A100 40GB) with 8-GPU nodes
    lay = candidate_layouts(a, int(run.n_gpus), seq_len=a.seq_len, domain=8, small=True)
    assert {1, 2, 4, 8} <= set(lay["tp"].tolist())
    # and pipeline stages that split the layers evenly
    assert any(p > 1 and a.n_layers % p == 0 for p in set(lay["pp"].tolist()))
