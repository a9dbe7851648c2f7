"""costmodel.estimate: hand-verified numbers, null outputs, clear errors."""

import math

import numpy as np
import pytest

import costmodel
from costmodel import estimate
from costmodel.errors import (
    InputError,
    MissingInputError,
    UnknownPresetError,
    UnsupportedPrecisionError,
)

V3 = dict(
    active_params=37e9,
    tokens=14.8e12,
    gpu="h800-sxm",
    precision="bf16",
    mfu=0.35,
    price_usd_per_gpu_hour=2,
    n_gpus=2048,
)


def test_deepseek_6nd_by_hand():
    e = estimate(**V3)
    # 6 × 37e9 × 14.8e12 = 3.2856e24 exactly
    assert e.model_flop == pytest.approx(3.2856e24, rel=1e-15)
    # 989.4e12 FLOP/s × 0.35 × 3600 s = 1.246644e18 FLOP per GPU-hour
    # 3.2856e24 / 1.246644e18 = 2,635,555.94 GPU-hours
    assert e.gpu_hours == pytest.approx(2_635_555.94, rel=1e-8)
    assert e.cost_usd == pytest.approx(2 * 2_635_555.94, rel=1e-8)  # $5.271M
    assert e.wall_clock_days == pytest.approx(2_635_555.94 / 2048 / 24, rel=1e-8)  # 53.62
    # 14.8e12 tokens / (2,635,555.94 h × 3600 s)
    assert e.tokens_per_s_per_gpu == pytest.approx(14.8e12 / (2_635_555.94 * 3600), rel=1e-8)


def test_run_preset_megatron_250_gflop_per_token():
    e = estimate(run="deepseek-v3", flop_convention="megatron")
    # DeepSeek ISCA'25 Table 2: 250 GFLOP/token at seq 4096 (3 significant figures)
    assert e.model_flop / e.inputs["tokens"] == pytest.approx(250e9, rel=0.005)
    with_mtp = estimate(run="deepseek-v3", flop_convention="megatron", mtp=True)
    assert with_mtp.model_flop / 14.8e12 == pytest.approx(260.6e9, rel=0.005)


def test_implied_mfu_of_deepseek_hours():
    # deepseek_claim.md s5.2: 6ND over 2.664M H800-hours = 34.6% of BF16, 17.3% of FP8
    c = costmodel.flops.six_nd(37e9, 14.8e12)
    assert costmodel.cost.implied_mfu(c, 2.664e6, 989.4e12) == pytest.approx(0.346, abs=5e-4)
    assert costmodel.cost.implied_mfu(c, 2.664e6, 1978.9e12) == pytest.approx(0.173, abs=5e-4)


def test_missing_optional_inputs_give_null():
    e = estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", mfu=0.35)
    d = e.to_dict()
    assert d["gpu_hours"] > 0
    for k in ("wall_clock_days", "co2e_kg"):
        assert k in d and d[k] is None
    assert "precision not given: bf16 assumed" in d["assumptions"]
    # cost and energy have sourced defaults (issue 9, item 11), each listed
    assert d["cost_usd"] > 0 and d["energy_kwh"] > 0
    assert any(a.startswith("price_usd_per_gpu_hour not given") for a in d["assumptions"])
    assert any(a.startswith("pue not given: 1.25") for a in d["assumptions"])


def test_no_gpu_gives_flop_only():
    d = estimate(active_params=7e9, tokens=1e12).to_dict()
    assert d["model_flop"] == pytest.approx(4.2e22)
    assert d["gpu_hours"] is None and d["peak_flop_per_s"] is None


def test_energy_and_emissions_by_hand():
    e = estimate(**V3, pue=1.25, grid_kg_co2e_per_kwh=0.5)
    # Epoch AI: 0.7 kW × 1.82 server factor × 0.75 average draw × 1.25 PUE per GPU-hour
    per_hour = 0.7 * 1.82 * 0.75 * 1.25
    assert e.energy_kwh == pytest.approx(2_635_555.94 * per_hour, rel=1e-8)
    assert e.co2e_kg == pytest.approx(0.5 * e.energy_kwh)


def test_goodput_inflates_hours():
    assert estimate(**V3, goodput=0.9).gpu_hours == pytest.approx(2_635_555.94 / 0.9, rel=1e-8)


def test_mixed_precision_blended_peak():
    e = estimate(**(V3 | {"precision": "mixed", "fp8_fraction": 0.5}))
    # 1 / (0.5/1978.9 + 0.5/989.4) TFLOP/s
    assert e.peak_flop_per_s == pytest.approx(1e12 / (0.5 / 1978.9 + 0.5 / 989.4))


def test_recompute_changes_hardware_flop_only():
    base = estimate(**V3)
    full = estimate(**V3, recompute="full")
    assert full.model_flop == base.model_flop and full.gpu_hours == base.gpu_hours
    assert full.hardware_flop == pytest.approx(base.model_flop * 4 / 3)  # 8ND
    assert full.hfu == pytest.approx(0.35 * 4 / 3)


def test_vectorized_equals_scalar():
    mfus = np.array([0.2, 0.35, 0.5])
    gpus = np.array(["h800-sxm", "a100-sxm4-80gb", "h20"])
    vec = estimate(**(V3 | {"mfu": mfus, "gpu": gpus}))
    for i in range(3):
        one = estimate(**(V3 | {"mfu": float(mfus[i]), "gpu": str(gpus[i])}))
        assert vec.gpu_hours[i] == pytest.approx(one.gpu_hours, rel=1e-15)
        assert vec.cost_usd[i] == pytest.approx(one.cost_usd, rel=1e-15)


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("tokens", -1, r"tokens: -1 is outside the allowed range \(0, inf\)"),
        ("tokens", 0, r"tokens: 0 is outside"),
        ("tokens", math.nan, r"tokens: nan is outside"),
        ("tokens", math.inf, r"tokens: inf is outside"),
        ("mfu", 1.2, r"mfu: 1.2 is outside the allowed range \(0, 1\] \(a fraction"),
        ("mfu", 0, r"mfu: 0 is outside"),
        ("mfu", 35, r"a fraction, not a percent"),
        ("active_params", -37e9, r"active_params: -37B is outside"),
        ("price_usd_per_gpu_hour", math.nan, r"price_usd_per_gpu_hour: nan"),
        ("n_gpus", 0, r"n_gpus: 0 is outside"),
    ],
)
def test_bad_quantities(field, value, match):
    with pytest.raises(InputError, match=match):
        estimate(**(V3 | {field: value}))


def test_unknown_gpu_precision_run():
    with pytest.raises(UnknownPresetError, match="unknown gpu 'h800x'.*did you mean h800"):
        estimate(**(V3 | {"gpu": "h800x"}))
    with pytest.raises(InputError, match="precision: 'bf61' is not one of"):
        estimate(**(V3 | {"precision": "bf61"}))
    with pytest.raises(UnknownPresetError, match="unknown run 'deepseek-v4'.*deepseek-v3"):
        estimate(run="deepseek-v4")


def test_precision_the_gpu_lacks():
    with pytest.raises(UnsupportedPrecisionError, match="no published dense fp8 peak"):
        estimate(**(V3 | {"gpu": "a100-sxm4-80gb", "precision": "fp8"}))


def test_convention_needs_architecture():
    with pytest.raises(MissingInputError, match="'megatron' needs the model's architecture"):
        estimate(**V3, flop_convention="megatron")


def test_active_params_exceeding_params():
    with pytest.raises(InputError, match="active_params: .* exceeds params"):
        estimate(params=10e9, active_params=37e9, tokens=1e12)


def test_json_keys_always_present():
    d = estimate(tokens=1e12, params=1e9).to_dict()
    for k in (
        "schema",
        "inputs",
        "assumptions",
        "flop_convention",
        "model_flop",
        "hardware_flop",
        "peak_flop_per_s",
        "mfu",
        "gpu_hours",
        "wall_clock_days",
        "cost_usd",
        "energy_kwh",
        "co2e_kg",
        "tokens_per_s_per_gpu",
        "quantiles",
    ):
        assert k in d
    assert d["schema"] == "costmodel.estimate/1"


def test_ownership_rate_matches_reference():
    # hardware.md s4.4: DGX H800 at $44,750 per GPU, 0.7 kW × 1.82 × 0.75 × PUE 1.25,
    # $0.0826/kWh: ≈ $2.13 per GPU-hour (2 significant figures in the note)
    e = estimate(**V3, ownership=True, server_usd_per_gpu=44750)
    o = e.to_dict()["ownership"]
    assert o["usd_per_gpu_hour"] == pytest.approx(2.13, abs=0.01)
    assert o["cost_usd"] == pytest.approx(o["usd_per_gpu_hour"] * e.gpu_hours)
    assert any("usd_per_kwh = 0.0826" in a for a in e.assumptions)


def test_ownership_needs_a_price_for_unpriced_gpu():
    with pytest.raises(InputError, match="no purchase price for l40s"):
        estimate(**(V3 | {"gpu": "l40s"}), ownership=True)
