"""``mfu_basis`` stays compact for array inputs: a 10⁶-element ``precision`` or
``fp8_fraction`` array is summarised (its distinct precisions, its range of fractions), not
turned into a million-element Python list, and the summary is right."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

import costmodel
from costmodel.model.explain import mfu_basis
from costmodel.model.scenario import Scenario

N = 10**6
#: a million Python strings in a list cost ~8 bytes per pointer plus ~50-60 bytes per str
#: object: ~60 MB. The summary is a few short strings; 1 MB leaves ample room for numpy's
#: temporaries of the distinct scan (a bool array of N bytes is 1 MB, so it is not kept).
BOUND = 2_000_000


def _peak_bytes(fn):
    fn()  # load presets and warm caches outside the count
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_precision_array_of_a_million_gives_its_distinct_precisions():
    rng = np.random.default_rng(0)
    prec = np.array(["bf16", "fp8", "fp16"])[rng.integers(0, 3, N)]
    # the blended basis reads mfu against each element's own precision (mfu_basis)
    sc = Scenario(
        active_params=7e9, tokens=1e12, gpu="h100-sxm", precision=prec, mfu=0.4,
        mfu_basis="blended",
    )  # fmt: skip
    point = sc.evaluate(sc.point_values())
    b = mfu_basis(sc, point)
    assert b is not None
    assert sorted(b["precision"]) == ["bf16", "fp16", "fp8"]
    assert b["precision"][0] == prec[0]  # in order of first appearance
    assert _peak_bytes(lambda: mfu_basis(sc, point)) < BOUND
    # the per-element peak is still there: 989.4 TFLOP/s BF16/FP16 dense, 1,978.9 FP8
    # (NVIDIA H100 SXM datasheet)
    want = np.where(prec == "fp8", 1978.9e12, 989.4e12)
    np.testing.assert_allclose(b["peak_flop_per_s"], want, rtol=1e-9)


def test_one_precision_everywhere_is_one_string():
    prec = np.full(1000, "fp8")
    e = costmodel.estimate(
        active_params=7e9, tokens=1e12, gpu="h100-sxm", precision=prec, mfu=0.4,
        mfu_basis="blended",
    )  # fmt: skip
    assert e.extras["mfu_basis"]["precision"] == "fp8"
    gpus = np.array(["h100-sxm", "a100-sxm4-80gb"] * 10)
    e = costmodel.estimate(active_params=7e9, tokens=1e12, gpu=gpus, precision="bf16", mfu=0.4)
    assert e.extras["mfu_basis"]["precision"] == "bf16"


def test_fp8_fraction_array_of_a_million_gives_its_range():
    rng = np.random.default_rng(1)
    f8 = rng.uniform(0.5, 0.9, N)
    sc = Scenario(
        active_params=7e9, tokens=1e12, gpu="h100-sxm", precision="mixed", fp8_fraction=f8, mfu=0.4,
        mfu_basis="blended",
    )  # fmt: skip
    point = sc.evaluate(sc.point_values())
    b = mfu_basis(sc, point)
    assert b is not None
    assert b["fp8_fraction"] == {"min": float(f8.min()), "max": float(f8.max())}
    assert b["precision"] == "mixed"
    assert _peak_bytes(lambda: mfu_basis(sc, point)) < BOUND
    # a single fraction stays a number, and the text names it
    one = costmodel.estimate(
        active_params=7e9, tokens=1e12, gpu="h100-sxm", precision="mixed", fp8_fraction=0.75,
        mfu=0.4,
    )  # fmt: skip
    assert one.extras["mfu_basis"]["fp8_fraction"] == 0.75
    assert "75.0% of FLOP in FP8" in one.extras["mfu_basis"]["text"]


@pytest.mark.parametrize("n", [10_000])
def test_json_basis_does_not_repeat_the_precision_per_element(n):
    prec = np.array(["bf16", "fp8"] * (n // 2))
    e = costmodel.estimate(
        active_params=7e9, tokens=1e12, gpu="h100-sxm", precision=prec, mfu=0.4,
        mfu_basis="blended",
    )  # fmt: skip
    d = e.to_dict()
    json.dumps(d)  # plain JSON
    assert d["mfu_basis"]["precision"] == ["bf16", "fp8"]
    assert len(d["inputs"]["precision"]) == n  # the per-element values stay in the inputs
    # the text renderer names no single precision's peak when there are several
    assert "MFU vs" not in repr(e)
