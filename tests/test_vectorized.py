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


# --- properties: the vectorized path equals the scalar one, element by element -----------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from costmodel.errors import InputError  # noqa: E402

#: accelerators with a BF16 peak and a TDP (every output computable), and their aliases, so
#: arrays mix ids, aliases and kinds (GPU, TPU)
_WITH_TDP = [
    i
    for i in store.ids("accelerators")
    if store.get("accelerators", i).tdp_w is not None
    and "bf16" in store.get("accelerators", i).peak_dense_tflop_per_s
]
_NAMES = sorted({*_WITH_TDP, *(a for i in _WITH_TDP for a in store.get("accelerators", i).aliases)})
#: Epoch AI (Cottier et al. 2024, arXiv 2405.21015): average draw 75 % of server power for
#: GPUs, 43 % for TPUs
_AVG_POWER = {"gpu": 0.75, "tpu": 0.43}
_OUTPUTS = (
    "model_flop", "hardware_flop", "flop_per_token", "peak_flop_per_s", "mfu", "hfu",
    "gpu_hours", "wall_clock_days", "cost_usd", "energy_kwh", "co2e_kg",
    "tokens_per_s_per_gpu",
)  # fmt: skip


@st.composite
def _scenarios(draw):
    n = draw(st.integers(1, 6))
    gpu = np.array(draw(st.lists(st.sampled_from(_NAMES), min_size=n, max_size=n)))
    fp16 = [store.get("accelerators", x).peak_dense_tflop_per_s.get("fp16") for x in gpu]
    wanted = draw(st.lists(st.sampled_from(["bf16", "fp16"]), min_size=n, max_size=n))
    floats = lambda lo, hi: st.lists(st.floats(lo, hi), min_size=n, max_size=n)  # noqa: E731
    return {
        "active_params": np.array(draw(floats(1e6, 1e13))),
        "tokens": np.array(draw(floats(1e6, 1e15))),
        "gpu": gpu,
        # FP16 where the accelerator has an FP16 peak (TPUs have BF16 only)
        "precision": np.array([p if f else "bf16" for p, f in zip(wanted, fp16, strict=True)]),
        "mfu": np.array(draw(floats(1e-3, 0.7))),
        "goodput": np.array(draw(floats(0.05, 1.0))),
        "n_gpus": np.array(draw(st.lists(st.integers(1, 10**5), min_size=n, max_size=n)), float),
        "price_usd_per_gpu_hour": np.array(draw(floats(0.01, 100.0))),
        "pue": np.array(draw(floats(1.0, 2.0))),
        "grid_kg_co2e_per_kwh": np.array(draw(floats(0.0, 1.0))),
        "recompute": draw(st.sampled_from(["none", "full"])),
    }


@given(_scenarios())
def test_mixed_gpu_arrays_equal_the_scalar_estimate_of_each_element(kw):
    e = costmodel.estimate(**kw)
    n = len(kw["gpu"])
    for i in range(n):
        one = costmodel.estimate(
            **{k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        )
        for k in _OUTPUTS:
            got = np.broadcast_to(getattr(e, k), (n,))[i]
            np.testing.assert_allclose(got, getattr(one, k), rtol=1e-12, err_msg=k)


@given(_scenarios())
def test_vectorized_outputs_match_the_closed_forms(kw):
    """Each element against the glossary's closed forms and the accelerator's datasheet
    values in its preset (peak, TDP, server power factor)."""
    e = costmodel.estimate(**kw)
    accs = [store.get("accelerators", g) for g in kw["gpu"]]
    peak = np.array([a.peak_flop_per_s(p) for a, p in zip(accs, kw["precision"], strict=True)])
    a, t, m, g = kw["active_params"], kw["tokens"], kw["mfu"], kw["goodput"]
    hours = 6 * a * t / (peak * m * g) / 3600
    np.testing.assert_allclose(e.peak_flop_per_s, peak, rtol=0)
    np.testing.assert_allclose(e.gpu_hours, hours, rtol=1e-12)
    np.testing.assert_allclose(e.cost_usd, hours * kw["price_usd_per_gpu_hour"], rtol=1e-12)
    np.testing.assert_allclose(e.wall_clock_days, hours / kw["n_gpus"] / 24, rtol=1e-12)
    np.testing.assert_allclose(e.tokens_per_s_per_gpu, t / (hours * 3600), rtol=1e-12)
    draw_w = np.array([x.tdp_w * x.server_power_factor * _AVG_POWER[x.kind] for x in accs])
    energy = hours * draw_w / 1000 * kw["pue"]
    np.testing.assert_allclose(e.energy_kwh, energy, rtol=1e-12)
    np.testing.assert_allclose(e.co2e_kg, energy * kw["grid_kg_co2e_per_kwh"], rtol=1e-12)
    # HFU: the MFU without recomputation; full recomputation of 6ND adds one forward, 8ND
    ratio = 4 / 3 if kw["recompute"] == "full" else 1.0
    np.testing.assert_allclose(e.hfu, m * ratio, rtol=1e-12)


@given(st.lists(st.sampled_from(["a", "b", "", "id-1", "id-2", "x" * 30]), min_size=1, max_size=40))
def test_distinct_codes_rebuild_the_array(names):
    x = np.array(names)
    d = distinct(x)
    assert len(set(d.values)) == len(d.values) == len(set(names))
    assert (np.asarray(d.values, dtype=x.dtype)[d.codes] == x).all()


def test_an_object_array_of_ids_is_still_checked_element_by_element():
    with pytest.raises(InputError, match="gpu"):
        costmodel.estimate(
            active_params=1e9, tokens=1e12, gpu=np.array(["h800-sxm", 3], dtype=object), mfu=0.3
        )
