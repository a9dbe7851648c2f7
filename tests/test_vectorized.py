"""The vectorized path runs no Python per element (issue 10, item 4): names are resolved per
distinct value, and memory stays bounded. Timings live in benchmarks/vectorized.py."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import costmodel
from costmodel.data import store
from costmodel.model import hardware
from costmodel.model.hardware import distinct

IDS = ("h800-sxm", "h100-sxm", "a100-sxm4-80gb")
#: Dense BF16 peaks [FLOP/s] from the vendors' datasheets (H100 SXM and H800 SXM share the
#: GH100 die: 989.4 TFLOP/s; A100 SXM4: 312 TFLOP/s, NVIDIA A100 datasheet).
PEAK = {"h800-sxm": 989.4e12, "h100-sxm": 989.4e12, "a100-sxm4-80gb": 312e12}


def test_distinct_matches_numpy_unique():
    rng = np.random.default_rng(1)
    for k in (1, 3, 8, 9, 40):  # below, at and above the comparison-scan limit
        names = np.array([f"id-{i:02d}" for i in range(k)])
        x = names[rng.integers(0, k, (50, 7))]
        d = distinct(x)
        assert sorted(d.values) == sorted(np.unique(x).tolist())
        assert d.codes.shape == x.shape
        assert (np.asarray(d.values)[d.codes] == x).all()
    assert distinct("h20").values == ("h20",) and distinct("h20").codes.shape == ()
    assert distinct(np.array([], dtype=str)).values == ()


def test_gpu_array_of_a_million_is_looked_up_once_per_distinct_id(monkeypatch):
    n = 10**6
    rng = np.random.default_rng(0)
    gpu = np.asarray(IDS)[rng.integers(0, 3, n)]
    mfu = rng.uniform(0.2, 0.5, n)
    calls = []
    real_get = store.get

    def counting_get(kind, name, *a, **k):
        if kind == "accelerators":
            calls.append(name)
        return real_get(kind, name, *a, **k)

    monkeypatch.setattr(hardware.store, "get", counting_get)
    e = costmodel.estimate(
        active_params=37e9, tokens=14.8e12, gpu=gpu, precision="bf16", mfu=mfu,
        price_usd_per_gpu_hour=2.0,
    )  # fmt: skip
    assert len(calls) <= len(IDS), calls[:10]
    # closed form per element: 6·N·D / (peak of its accelerator · mfu) / 3600
    peak = np.select([gpu == i for i in IDS], [PEAK[i] for i in IDS])
    want = 6 * 37e9 * 14.8e12 / (peak * mfu) / 3600
    np.testing.assert_allclose(e.gpu_hours, want, rtol=1e-12)
    np.testing.assert_allclose(e.peak_flop_per_s, peak, rtol=0)


def test_aliases_and_precision_arrays_resolve_per_distinct_value():
    gpu = np.array(["h800", "h800-sxm", "a100-sxm4-80gb", "h800"] * 3)
    prec = np.array(["bf16", "fp8", "bf16", "fp16"] * 3)
    if "h800" not in store.get("accelerators", "h800-sxm").aliases:
        pytest.skip("no alias h800 in the presets")
    e = costmodel.estimate(active_params=1e9, tokens=1e12, gpu=gpu, precision=prec, mfu=0.3)
    fp8 = store.get("accelerators", "h800-sxm").peak_flop_per_s("fp8")
    want = np.array([PEAK["h800-sxm"], fp8, PEAK["a100-sxm4-80gb"], PEAK["h800-sxm"]] * 3)
    np.testing.assert_allclose(e.peak_flop_per_s, want, rtol=0)
    assert set(np.asarray(e.inputs["gpu"]).tolist()) == {"h800-sxm", "a100-sxm4-80gb"}


def test_memory_of_a_large_call_is_a_few_arrays_of_its_size():
    # 2·10⁵ scenarios: the outputs are ~12 float arrays (96 bytes per scenario, measured);
    # a Python list of the names (what the inputs record once held) adds ~65 bytes each
    n = 200_000
    rng = np.random.default_rng(0)
    gpu = np.asarray(IDS)[rng.integers(0, 3, n)]
    a, t, m = rng.uniform(1e9, 1e11, n), rng.uniform(1e12, 1e13, n), rng.uniform(0.2, 0.5, n)
    kw = dict(active_params=a, tokens=t, gpu=gpu, precision="bf16", mfu=m)
    costmodel.estimate(**kw, price_usd_per_gpu_hour=2.0)  # load presets outside the count
    tracemalloc.start()
    try:
        costmodel.estimate(**kw, price_usd_per_gpu_hour=2.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # 10⁶ scenarios must stay under 300 MB; this bound keeps them under 130 MB
    assert peak / n < 130, f"{peak / n:.0f} bytes per scenario"
