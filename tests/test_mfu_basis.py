"""A user's MFU is a fraction of the 16-bit dense peak unless ``mfu_basis`` says otherwise
(issue 18, item 6; DESIGN "Added 2026-12-04").

Published MFU figures divide by the 16-bit (BF16) dense peak: DeepSeek-V3's 38.94% causal MFU
divides by the H800's 989 TFLOP/s BF16 peak (DeepSeek-AI, ISCA'25, arXiv 2505.09343, Table
4), though most of its matmuls ran in FP8. Expected values here are closed forms from the
datasheet peaks (read from the preset TOML files themselves, not through costmodel) and from
the published figures, never the code's own output fed back.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import costmodel
from costmodel.errors import InputError

ACCELERATORS = Path(__file__).resolve().parent.parent / "presets" / "accelerators"


def peak(gpu: str, precision: str) -> float | None:
    """Dense peak [FLOP/s] straight from ``presets/accelerators/<gpu>.toml`` (the datasheet
    value with its source there), or None where the part has none."""
    data = tomllib.loads((ACCELERATORS / f"{gpu}.toml").read_text())
    v = data["peak_dense_tflop_per_s"].get(precision)
    return None if v is None else v * 1e12


# DeepSeek-V3 pre-training (arXiv 2412.19437, Table 1 and §4.1-4.2): 37B active parameters,
# 14.8T tokens, 2.664M H800 GPU-hours; ISCA'25 Table 2: 250 GFLOP/token (megatron, seq 4096)
ACTIVE, TOKENS, REPORTED_HOURS, MEGATRON_FLOP_PER_TOKEN = 37e9, 14.8e12, 2.664e6, 250e9
H800_BF16, H800_FP8 = 989.4e12, 1978.9e12  # NVIDIA H100/H800 SXM datasheet, dense


def test_datasheet_peaks_are_the_presets():
    assert peak("h800-sxm", "bf16") == H800_BF16 and peak("h800-sxm", "fp8") == H800_FP8


def test_deepseek_mfu_reads_against_the_bf16_peak(invoke):
    r = invoke("estimate", "--run", "deepseek-v3", "--mfu", "0.39", "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["flop_convention"] == "6nd"  # the run preset's default convention
    # closed form: 6·N·D / (mfu × BF16 peak) / 3600
    want = 6 * ACTIVE * TOKENS / (0.39 * H800_BF16) / 3600
    assert d["gpu_hours"] == pytest.approx(want, rel=1e-12)  # same arithmetic, float rounding
    assert d["wall_clock_days"] == pytest.approx(want / 2048 / 24, rel=1e-12)  # 2,048 H800
    # the basis stated; peak_flop_per_s stays the run precision's (mixed) peak
    b = d["mfu_basis"]
    assert b["basis"] == "16bit" and b["precision"] == "bf16" and b["run_precision"] == "mixed"
    assert b["peak_flop_per_s"] == pytest.approx(H800_BF16)
    f = d["inputs"]["fp8_fraction"]
    blended = 1 / (f / H800_FP8 + (1 - f) / H800_BF16)  # DESIGN: mixed peak
    assert d["peak_flop_per_s"] == pytest.approx(blended, rel=1e-12)
    line = next(a for a in d["assumptions"] if a.startswith("mfu 0.39 is a fraction of"))
    assert "16-bit dense peak" in line and "989.4 TFLOP/s" in line and "--mfu-basis" in line
    out = " ".join(invoke("estimate", "--run", "deepseek-v3", "--mfu", "0.39").out.split())
    assert "MFU vs bf16 dense peak" in out and "mfu basis 16bit" in out


def test_deepseek_published_mfu_gives_its_published_hours():
    e = costmodel.estimate(run="deepseek-v3", flop_convention="megatron", mfu=0.3894)
    # 14.8T tokens × 250 GFLOP/token / (38.94% × 989 TFLOP/s) / 3600 ≈ 2.669M GPU-hours
    want = TOKENS * MEGATRON_FLOP_PER_TOKEN / (0.3894 * 989e12) / 3600
    # 0.5%: the paper rounds 250.4 GFLOP/token (ours adds the router's 0.26%) and 989.4 TFLOP/s
    assert e.gpu_hours == pytest.approx(want, rel=0.005)
    # DeepSeek's own 2.664M pre-training GPU-hours (arXiv 2412.19437, Table 1): the same
    # tolerance plus the 0.2% between its hours and its MFU's rounding
    assert e.gpu_hours == pytest.approx(REPORTED_HOURS, rel=0.007)


def test_blended_basis_is_the_run_precisions_peak(invoke):
    args = ["estimate", "--run", "deepseek-v3", "--mfu", "0.39", "--fp8-fraction", "0.85"]
    d = invoke(*args, "--mfu-basis", "blended", "--json").json()
    blended = 1 / (0.85 / H800_FP8 + 0.15 / H800_BF16)  # DESIGN: 1/(f/P_fp8 + (1-f)/P_bf16)
    assert d["gpu_hours"] == pytest.approx(6 * ACTIVE * TOKENS / (0.39 * blended) / 3600, rel=1e-12)
    b = d["mfu_basis"]
    assert b["basis"] == "blended" and b["precision"] == "mixed"
    assert b["peak_flop_per_s"] == pytest.approx(blended, rel=1e-12) == d["peak_flop_per_s"]
    # the preset's own fraction: the number `estimate --run deepseek-v3 --mfu 0.39` gave
    # before the basis existed (1.357M GPU-hours, 27.6 days, $2.71M at $2/GPU-hour)
    old = invoke("estimate", "--run", "deepseek-v3", "--mfu", "0.39", "--mfu-basis", "blended",
                 "--price", "2", "--json").json()  # fmt: skip
    assert old["gpu_hours"] == pytest.approx(1.3568e6, rel=1e-4)
    assert old["wall_clock_days"] == pytest.approx(27.6, abs=0.05)
    assert old["cost_usd"] == pytest.approx(2.714e6, rel=1e-3)


def test_fp8_basis(invoke):
    d = invoke("estimate", "--run", "deepseek-v3", "--mfu", "0.39", "--mfu-basis", "fp8",
               "--json").json()  # fmt: skip
    assert d["gpu_hours"] == pytest.approx(6 * ACTIVE * TOKENS / (0.39 * H800_FP8) / 3600)
    assert d["mfu_basis"]["precision"] == "fp8" and d["mfu_basis"]["basis"] == "fp8"


def test_fp8_basis_without_an_fp8_peak_is_one_error_line(invoke):
    assert peak("a100-sxm4-80gb", "fp8") is None  # Ampere has no FP8 tensor cores
    r = invoke("estimate", "--gpu", "a100-sxm4-80gb", "--active-params", "7B", "--tokens", "1T",
               "--mfu", "0.4", "--mfu-basis", "fp8")  # fmt: skip
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "a100-sxm4-80gb" in lines[0] and "fp8" in lines[0]
    assert "--mfu-basis 16bit" in lines[0]
    with pytest.raises(InputError, match=r"mfu_basis: 'fp8'.*a100-sxm4-80gb lacks"):
        costmodel.estimate(active_params=7e9, tokens=1e12, gpu="a100-sxm4-80gb", mfu=0.4,
                           mfu_basis="fp8")  # fmt: skip


@pytest.mark.parametrize("cmd", ["estimate", "sweep", "sensitivity", "solve"])
def test_bad_basis_names_flag_value_and_choices(invoke, cmd):
    r = invoke(cmd, "--run", "deepseek-v3", "--mfu-basis", "bf16")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    for part in ("--mfu-basis", "'bf16'", "16bit", "fp8", "blended"):
        assert part in lines[0]


def test_bad_basis_in_python_names_the_parameter():
    with pytest.raises(InputError, match=r"mfu_basis: '16-bit' is not one of 16bit, fp8, blended"):
        costmodel.estimate(run="deepseek-v3", mfu=0.39, mfu_basis="16-bit")


#: accelerators with a BF16 peak (every one but the V100)
BF16_GPUS = ["h800-sxm", "h100-sxm", "a100-sxm4-80gb", "h20", "b200", "mi300x", "tpu-v4"]


@settings(max_examples=40, deadline=None)
@given(
    gpu=st.sampled_from(BF16_GPUS),
    mfu=st.floats(min_value=0.01, max_value=0.5),
    basis=st.sampled_from(["16bit", "fp8", "blended"]),
)
def test_bf16_run_hours_are_mfu_times_the_basis_peak(gpu, mfu, basis):
    """For a BF16 run, 16bit and blended are the same peak; fp8 (where it exists) is the FP8
    peak: GPU-hours · mfu · P_basis is the same model FLOP for every basis."""
    p16, p8 = peak(gpu, "bf16"), peak(gpu, "fp8")
    kw = dict(active_params=7e9, tokens=1e12, gpu=gpu, precision="bf16", mfu=mfu)
    if basis == "fp8" and p8 is None:
        with pytest.raises(InputError, match="mfu_basis"):
            costmodel.estimate(**kw, mfu_basis=basis)
        return
    p = p8 if basis == "fp8" else p16
    if mfu * p > p16:  # more FLOP/s than the run's BF16 peak: refused, naming the bound
        with pytest.raises(InputError, match=f"mfu must be at most {p16 / p:.4g}"):
            costmodel.estimate(**kw, mfu_basis=basis)
        return
    e = costmodel.estimate(**kw, mfu_basis=basis)
    assert e.gpu_hours == pytest.approx(6 * 7e9 * 1e12 / (mfu * p) / 3600, rel=1e-12)
    assert e.peak_flop_per_s == pytest.approx(p16)  # the run's own peak, whatever the basis
    if basis != "fp8":  # the peaks coincide: the same hours
        other = "blended" if basis == "16bit" else "16bit"
        assert costmodel.estimate(**kw, mfu_basis=other).gpu_hours == e.gpu_hours


def test_wider_precision_reads_against_its_own_peak():
    # FP32 on a V100 (15.7 TFLOP/s, below its 125 TFLOP/s FP16): a 16-bit reading would
    # let the mfu claim more than the run's peak, so the run's own peak is the basis
    e = costmodel.estimate(active_params=1e9, tokens=1e10, gpu="v100-sxm2-32gb",
                           precision="fp32", mfu=0.4)  # fmt: skip
    assert e.gpu_hours == pytest.approx(6e19 / (0.4 * peak("v100-sxm2-32gb", "fp32")) / 3600)
    assert e.extras["mfu_basis"]["precision"] == "fp32"


@pytest.mark.parametrize("basis", ["16bit", "fp8", "blended"])
def test_scalar_equals_vectorized(basis):
    mfus = np.array([0.2, 0.39, 0.5])
    kw = dict(run="deepseek-v3", price_usd_per_gpu_hour=2.0, mfu_basis=basis)
    vec = costmodel.estimate(mfu=mfus, **kw)
    for i, m in enumerate(mfus):
        one = costmodel.estimate(mfu=float(m), **kw)
        for k in ("gpu_hours", "cost_usd", "wall_clock_days", "energy_kwh", "mfu"):
            assert np.asarray(getattr(vec, k))[i] == pytest.approx(getattr(one, k), rel=1e-12)
    # an array of accelerators and precisions: each element at its own basis peak
    gpus = np.array(["h100-sxm", "v100-sxm2-32gb", "h100-sxm"])
    precs = np.array(["fp8", "fp16", "bf16"])
    if basis == "fp8":
        with pytest.raises(InputError, match="v100-sxm2-32gb lacks"):
            costmodel.estimate(active_params=7e9, tokens=1e12, gpu=gpus, precision=precs,
                               mfu=0.3, mfu_basis=basis)  # fmt: skip
        return
    vec = costmodel.estimate(active_params=7e9, tokens=1e12, gpu=gpus, precision=precs,
                             mfu=0.3, mfu_basis=basis)  # fmt: skip
    own = [peak("h100-sxm", "fp8"), peak("v100-sxm2-32gb", "fp16"), peak("h100-sxm", "bf16")]
    p16 = [peak("h100-sxm", "bf16"), peak("v100-sxm2-32gb", "fp16"), peak("h100-sxm", "bf16")]
    want = [6 * 7e9 * 1e12 / (0.3 * p) / 3600 for p in (p16 if basis == "16bit" else own)]
    np.testing.assert_allclose(vec.gpu_hours, want, rtol=1e-12)
    for i in range(3):
        one = costmodel.estimate(active_params=7e9, tokens=1e12, gpu=str(gpus[i]),
                                 precision=str(precs[i]), mfu=0.3, mfu_basis=basis)  # fmt: skip
        assert vec.gpu_hours[i] == pytest.approx(one.gpu_hours, rel=1e-12)


def test_outputs_that_follow_the_hours():
    kw = dict(run="deepseek-v3", mfu=0.39, price_usd_per_gpu_hour=2.0)
    a, b = costmodel.estimate(**kw), costmodel.estimate(**kw, mfu_basis="blended")
    ratio = a.gpu_hours / b.gpu_hours
    # the hours scale by the peaks' ratio, P_blended / P_bf16 (same mfu, other peak)
    assert ratio == pytest.approx(b.peak_flop_per_s / H800_BF16, rel=1e-12)
    for k in ("cost_usd", "energy_kwh", "wall_clock_days"):
        assert getattr(a, k) / getattr(b, k) == pytest.approx(ratio, rel=1e-12)
    assert a.tokens_per_s_per_gpu == pytest.approx(TOKENS / (a.gpu_hours * 3600), rel=1e-12)
    assert a.hfu == a.mfu  # nothing recomputed: HFU is the MFU, on the same basis


def test_quantiles_read_the_same_basis():
    # one uncertain input (stratified): p50 of the hours is the hours at the median mfu
    e = costmodel.estimate(run="deepseek-v3", mfu=costmodel.dist.uniform(0.3, 0.48),
                           price_usd_per_gpu_hour=2.0, samples=2001)  # fmt: skip
    want = 6 * ACTIVE * TOKENS / (0.39 * H800_BF16) / 3600
    assert e.quantiles["gpu_hours"]["p50"] == pytest.approx(want, rel=1e-3)


def test_an_mfu_above_the_run_peak_is_refused():
    # BF16 run, mfu read against the FP8 peak: 0.6 × 1,978.9 > 989.4 TFLOP/s; at most
    # 989.4 / 1,978.9 ≈ 0.5 (H100 SXM datasheet)
    with pytest.raises(InputError, match=r"mfu must be at most 0\.5"):
        costmodel.estimate(active_params=7e9, tokens=1e12, gpu="h100-sxm", precision="bf16",
                           mfu=0.6, mfu_basis="fp8")  # fmt: skip
    # a 16-bit mfu of a mixed run with full recomputation: HFU against the run's peak is
    # 0.9 × 4/3 × 989.4 / P_blended < 1, allowed (it was refused against the blended peak)
    e = costmodel.estimate(active_params=7e9, tokens=1e12, gpu="h100-sxm", precision="mixed",
                           fp8_fraction=0.85, mfu=0.9, recompute="full")  # fmt: skip
    assert e.gpu_hours == pytest.approx(6 * 7e9 * 1e12 / (0.9 * H800_BF16) / 3600)


def test_sweep_solve_and_sensitivity_take_the_basis(invoke):
    hours16 = 6 * ACTIVE * TOKENS / (0.39 * H800_BF16) / 3600
    hours8 = 6 * ACTIVE * TOKENS / (0.39 * H800_FP8) / 3600
    r = costmodel.sweep({"mfu": [0.39]}, run="deepseek-v3", price_usd_per_gpu_hour=2.0)
    assert r["gpu_hours"][0] == pytest.approx(hours16, rel=1e-12)
    r = costmodel.sweep({"mfu": [0.39]}, run="deepseek-v3", mfu_basis="fp8")
    assert r["gpu_hours"][0] == pytest.approx(hours8, rel=1e-12)
    rows = invoke("sweep", "--run", "deepseek-v3", "--grid", "mfu=0.39", "--mfu-basis", "fp8",
                  "--format", "json").json()["rows"]  # fmt: skip
    assert rows[0]["gpu_hours"] == pytest.approx(hours8, rel=1e-9)  # rows: 10 digits
    assert rows[0]["mfu_basis"] == "fp8"  # every row states its basis
    # solve for mfu: the budget of the 16-bit closed form gives back 0.39 on that basis,
    # and 0.39 × P_bf16 / P_fp8 on the FP8 one (the same achieved FLOP/s)
    s = costmodel.solve(budget_gpu_hours=hours16, unknown="mfu", run="deepseek-v3", samples=0)
    assert s.value == pytest.approx(0.39, rel=1e-9)
    s = costmodel.solve(budget_gpu_hours=hours16, unknown="mfu", run="deepseek-v3", samples=0,
                        mfu_basis="fp8")  # fmt: skip
    assert s.value == pytest.approx(0.39 * H800_BF16 / H800_FP8, rel=1e-9)
    d = json.loads(invoke("solve", "--budget-gpu-hours", str(hours16), "--unknown", "mfu",
                          "--run", "deepseek-v3", "--samples", "0", "--json").out)  # fmt: skip
    assert d["value"] == pytest.approx(0.39, rel=1e-6)
    # sensitivity: the median output at the median mfu, on the basis given
    s = costmodel.sensitivity("gpu_hours", run="deepseek-v3", mfu=costmodel.dist.uniform(0.3, 0.48),
                              samples=64, n_boot=0, sobol=False)  # fmt: skip
    assert s.median_output == pytest.approx(hours16, rel=1e-9)
    assert s.mfu_basis["basis"] == "16bit"
    s = costmodel.sensitivity("gpu_hours", run="deepseek-v3", mfu=costmodel.dist.uniform(0.3, 0.48),
                              samples=64, n_boot=0, sobol=False, mfu_basis="fp8")  # fmt: skip
    assert s.median_output == pytest.approx(hours8, rel=1e-9)


def test_the_performance_model_mfu_is_read_on_its_own_basis():
    # mfu="model" turns a predicted throughput into an mfu; whatever basis reads it, the
    # achieved FLOP/s, hence the GPU-hours, are the same
    a = costmodel.estimate(run="deepseek-v3", mfu="model")
    b = costmodel.estimate(run="deepseek-v3", mfu="model", mfu_basis="blended")
    assert a.gpu_hours == pytest.approx(b.gpu_hours, rel=1e-9)
    assert a.mfu / b.mfu == pytest.approx(b.peak_flop_per_s / H800_BF16, rel=1e-9)


def test_html_states_the_basis():
    html = costmodel.estimate(run="deepseek-v3", mfu=0.39, price_usd_per_gpu_hour=2.0).to_html()
    assert "bf16 dense peak of h800-sxm, 989.4 TFLOP/s" in html and "mfu basis 16bit" in html
