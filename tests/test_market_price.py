"""One market-price rule everywhere (issue 9, item 9): the sourced rental range, else the
Epoch AI ownership-cost rate as a proxy, stated in the output.

The H20 has a purchase quote but no rental quote (presets/prices/h20.toml). Its proxy is
worked out here from the published method, not read back from the code:
server = $12,000 × 1.64 (Epoch server overhead), hardware = server · 0.14·ln 10 / 8766 per
hour, interconnect 19 % of cluster cost, energy = 0.4 kW TDP × 1.82 server power factor ×
0.75 average draw × PUE 1.25 × $0.0826/kWh (Cottier et al. 2024; Epoch AI
cost_analysis_standalone.py).
"""

import math

import pytest

import costmodel
from costmodel.claims.check import check

H20_PROXY = 12000 * 1.64 * 0.14 * math.log(10) / 8766 / (1 - 0.19) + (
    0.4 * 1.82 * 0.75 * 1.25 * 0.0826
)  # ≈ $0.950 per GPU-hour


def test_h20_market_price_is_the_ownership_proxy(invoke):
    r = invoke(
        *"estimate --params 7B --tokens 2T --gpu h20 --mfu 0.4 "
        "--price-usd-per-gpu-hour market --json".split()
    )
    assert r.code == 0, r.err
    d = r.json()
    # 6 · 7e9 · 2e12 / (148e12 · 0.4 · 3600) GPU-hours at the proxy rate
    hours = 6 * 7e9 * 2e12 / (148e12 * 0.4 * 3600)
    assert d["gpu_hours"] == pytest.approx(hours, rel=1e-9)
    assert d["cost_usd"] == pytest.approx(hours * H20_PROXY, rel=1e-9)
    said = " ".join(d["assumptions"])
    assert "no rental quote" in said and "ownership-cost rate" in said


def test_check_and_estimate_price_the_h20_alike():
    est = costmodel.estimate(
        active_params=37e9, tokens=14.8e12, gpu="h20", mfu=0.3, price_usd_per_gpu_hour="market"
    )
    rate = est.to_dict()["cost_usd"] / est.to_dict()["gpu_hours"]
    assert rate == pytest.approx(H20_PROXY, rel=1e-9)
    row = next(
        r for r in check("deepseek-v3").to_dict()["hardware"]["what_if"] if r["gpu"] == "h20"
    )
    assert row["cost_usd"][0] / row["gpu_hours"] == pytest.approx(rate, rel=1e-9)
    assert "proxy" in row["price_basis"]


def test_rental_range_wins_where_it_exists():
    # presets/prices/h100-sxm.toml: market range $1.99-$4.916 as 5th/95th percentiles of a
    # lognormal, whose median is their geometric mean
    est = costmodel.estimate(
        active_params=7e9, tokens=2e12, gpu="h100-sxm", mfu=0.4, price_usd_per_gpu_hour="market"
    ).to_dict()
    assert est["cost_usd"] / est["gpu_hours"] == pytest.approx(math.sqrt(1.99 * 4.916), rel=1e-9)
    assert any("market range $1.99-$4.916" in a for a in est["assumptions"])


def test_h20_claim_gets_a_cost_distribution_at_the_proxy():
    d = check(
        {
            "id": "h20-claim",
            "name": "a run on H20s",
            "claimant": "a test",
            "date": "2026-01",
            "quote": "we trained a 7B model on H20s",
            "kind": "final-run compute",
            "scope": "the final training run",
            "gpu": "h20",
            "active_params": 7e9,
            "tokens": 2e12,
            "gpu_hours": 400e3,
            "source": "a test",
            "as_of": "2026-11-28",
        },
        samples=1000,
    ).to_dict()
    lk = d["likelihood"]
    assert lk["price"]["kind"] == "ownership-cost proxy"
    # a single purchase quote gives a fixed proxy rate, so predicted cost = hours × rate
    for q in ("p05", "p50", "p95"):
        assert lk["predicted_cost_usd_market"][q] == pytest.approx(
            lk["predicted_gpu_hours"][q] * H20_PROXY, rel=1e-9
        )


def test_no_price_at_all_names_what_is_missing(invoke):
    # tpu-v3 has no price preset at all: neither a rental range nor a purchase price
    r = invoke(
        *"estimate --params 7B --tokens 2T --gpu tpu-v3 --mfu 0.4 "
        "--price-usd-per-gpu-hour market".split()
    )
    assert r.code == 2
    assert "tpu-v3" in r.err and "ownership-cost proxy" in r.err and "Traceback" not in r.err
