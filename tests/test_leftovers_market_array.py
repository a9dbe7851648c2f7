"""An array of accelerators without a price: each element at its own accelerator's market
price median, as a swept ``gpu`` is priced, resolved once per distinct id.

The truth is the price presets themselves, read here with :mod:`tomllib`: their rental
``low``/``high`` are the 5th/95th percentiles of a lognormal, whose median is the geometric
mean ``sqrt(low·high)`` (the 5th and 95th percentiles sit ±1.645σ from the median in log
space, symmetrically).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

import costmodel
from costmodel.errors import InputError
from costmodel.model import market

PRICES = Path(__file__).resolve().parent.parent / "presets" / "prices"
RENTED = ("h100-sxm", "h800-sxm", "a100-sxm4-80gb")
#: an accelerator preset with no price preset at all (no rental range, no purchase price)
UNPRICED = "tpu-v3"


def _rental_median(gpu: str) -> float:
    r = tomllib.loads((PRICES / f"{gpu}.toml").read_text())["rental"]
    return math.sqrt(r["low_usd_per_gpu_hour"] * r["high_usd_per_gpu_hour"])


def _estimate(gpu, **kw):
    return costmodel.estimate(params=7e9, tokens=1e12, gpu=gpu, precision="bf16", mfu=0.4, **kw)


def test_unpriced_fixture_has_no_price_preset():
    assert not (PRICES / f"{UNPRICED}.toml").exists()
    assert all((PRICES / f"{g}.toml").exists() for g in RENTED)


def test_each_element_costs_its_accelerators_rental_median():
    gpu = np.array([*RENTED, "a100-sxm4-80gb", "h100-sxm"])
    e = _estimate(gpu)
    assert e.cost_usd is not None
    want = np.asarray(e.gpu_hours) * np.array([_rental_median(g) for g in gpu])
    np.testing.assert_allclose(e.cost_usd, want, rtol=1e-12)
    # the A100's range ($1.49-$2.49) has a lower median than the H100's ($1.99-$4.916)
    assert _rental_median("a100-sxm4-80gb") < _rental_median("h100-sxm")


def test_one_assumption_lists_each_distinct_id_and_its_price():
    gpu = np.array(["h100-sxm", "a100-sxm4-80gb"] * 50)
    e = _estimate(gpu)
    lines = [a for a in e.assumptions if "h100-sxm" in a and "a100-sxm4-80gb" in a]
    assert len(lines) == 1, e.assumptions
    line = lines[0]
    assert line.startswith("price_usd_per_gpu_hour not given")
    for g in ("h100-sxm", "a100-sxm4-80gb"):
        assert f"{g} ${_rental_median(g):.2f}" in line
        assert line.count(f"{g} $") == 1  # once per distinct id, not per element


def test_market_price_is_resolved_once_per_distinct_id(monkeypatch):
    calls: list[str] = []
    real = market.market_price

    def counting(gpu):
        calls.append(gpu)
        return real(gpu)

    monkeypatch.setattr(market, "market_price", counting)
    rng = np.random.default_rng(0)
    gpu = np.asarray(RENTED)[rng.integers(0, len(RENTED), 10**6)]
    e = _estimate(gpu)
    assert sorted(calls) == sorted(RENTED)
    assert np.shape(e.cost_usd) == (10**6,)
    med = {g: _rental_median(g) for g in RENTED}
    price = np.select([gpu == g for g in RENTED], [med[g] for g in RENTED])
    np.testing.assert_allclose(e.cost_usd, np.asarray(e.gpu_hours) * price, rtol=1e-12)


def test_an_accelerator_without_a_market_price_is_nan_and_named():
    gpu = np.array(["h100-sxm", UNPRICED, "a100-sxm4-80gb", UNPRICED])
    e = _estimate(gpu)
    cost = np.asarray(e.cost_usd, float)
    assert np.isnan(cost[[1, 3]]).all()
    want = np.asarray(e.gpu_hours)[[0, 2]] * [
        _rental_median("h100-sxm"),
        _rental_median("a100-sxm4-80gb"),
    ]
    np.testing.assert_allclose(cost[[0, 2]], want, rtol=1e-12)
    named = [a for a in e.assumptions if UNPRICED in a and "no market price" in a]
    assert len(named) == 1, e.assumptions
    assert e.to_dict()["cost_usd"][1] is None  # NaN is JSON null


def test_only_unpriced_accelerators_leave_the_cost_uncomputed_as_a_single_one_does():
    one = _estimate(UNPRICED)
    many = _estimate(np.array([UNPRICED, UNPRICED]))
    assert one.cost_usd is None and many.cost_usd is None


def test_elements_equal_the_single_accelerator_estimate():
    # the ownership-cost proxy (h20, no rental quote) included: an element of the array
    # costs what that accelerator alone costs at its market price's median
    ids = ("h100-sxm", "a100-sxm4-80gb", "h20")
    e = _estimate(np.array(ids))
    for i, g in enumerate(ids):
        one = _estimate(g, samples=0)
        assert float(np.asarray(e.cost_usd)[i]) == pytest.approx(float(one.cost_usd), rel=1e-12)


def test_array_equals_the_sweep_over_the_same_accelerators():
    ids = ["h100-sxm", "a100-sxm4-80gb", "h20", UNPRICED]
    r = costmodel.sweep({"gpu": ids}, params=7e9, tokens=1e12, precision="bf16", mfu=0.4)
    e = _estimate(np.array(ids))
    np.testing.assert_allclose(
        np.asarray(e.cost_usd, float), np.asarray(r["cost_usd"], float), rtol=1e-12
    )


def test_market_asked_for_an_array_prices_each_element_and_refuses_a_missing_one():
    gpu = np.array(["h100-sxm", "a100-sxm4-80gb"])
    e = _estimate(gpu, price_usd_per_gpu_hour="market")
    want = np.asarray(e.gpu_hours) * [_rental_median(g) for g in gpu]
    np.testing.assert_allclose(e.cost_usd, want, rtol=1e-12)
    with pytest.raises(InputError, match=UNPRICED):
        _estimate(np.array(["h100-sxm", UNPRICED]), price_usd_per_gpu_hour="market")


def test_a_given_price_is_not_replaced():
    e = _estimate(np.array(list(RENTED)), price_usd_per_gpu_hour=2.0)
    np.testing.assert_allclose(e.cost_usd, np.asarray(e.gpu_hours) * 2.0, rtol=1e-12)
    assert not any("market price" in a for a in e.assumptions)
