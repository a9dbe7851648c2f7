"""Performance model against published measurements, and its CLI."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from costmodel.perf import spread, step, validation

ROOT = Path(__file__).resolve().parent.parent
ROWS = Path(__file__).parent / "data" / "perf_validation_rows.csv"
DSV3 = (
    "perf --run deepseek-v3 --gpu h800-sxm --n-gpus 2048 --pp 16 --ep 64 "
    "--schedule dualpipe --precision mixed --global-batch 15360 --node-limit 4 --json"
).split()


@pytest.fixture(scope="module")
def summary():
    return validation.summary(validation.load_rows(ROWS))


def _row(summary, rid):
    return next(r for r in summary["rows"] if r["id"] == rid)


def test_leave_one_source_out_error(summary):
    # Issue 11 target: median |log10(pred/measured)| <= 0.06 leave-one-source-out over the
    # published rows (docs/perf_validation.md; was 0.063 before the TPU MXU ceiling and the
    # ZeRO-3 gather model).
    assert summary["n"] >= 70
    assert summary["overall_loso"] <= 0.06
    assert summary["overall_in_sample"] <= summary["overall_loso"] + 1e-12


def test_fitted_constants_are_the_ones_in_the_code(summary):
    # SYSTEM_EFFICIENCY is the all-rows fit; MFU_LOG10_SD the LOSO residuals' robust sd
    assert abs(summary["system_efficiency"] - step.SYSTEM_EFFICIENCY) < 0.01
    assert abs(summary["log10_robust_sd_loso"] - spread.MFU_LOG10_SD) < 0.002


def test_deepseek_v3_isca_mfu_out_of_sample(summary):
    # DeepSeek ISCA'25 (arXiv 2505.09343) Table 4: 38.94 % causal MFU, BF16 basis, on
    # 2,048 H800s. Out of sample (DeepSeek's row left out of the fit); 15 % tolerance is
    # the issue's, about the model's robust spread (0.09 log10 ≈ 23 %) at 2/3 sigma.
    assert abs(_row(summary, "DSV3-ISCA-T4-01")["log10_ratio_loso"]) < np.log10(1.15)


@pytest.mark.parametrize(
    "rid,published",
    [
        ("LLAMA3-T4-01", 0.43),
        # row 2 (16 micro-batches per pipeline, 2 virtual stages assumed, not stated in the
        # paper) lands at the band's lower edge: predicted 33.5 % against a floor of 33.0 %
        ("LLAMA3-T4-02", 0.41),
        ("LLAMA3-T4-03", 0.38),
    ],
)
def test_llama3_405b_table4_mfu_band(summary, rid, published):
    # Llama 3 paper (arXiv 2407.21783) Table 4: 38-43 % BF16 MFU on 8K-16K H100s. Each
    # prediction (out of sample) must land in that band widened by 15 %.
    pred = published * 10 ** _row(summary, rid)["log10_ratio_loso"]
    assert 0.38 / 1.15 <= pred <= 0.43 * 1.15


@pytest.mark.parametrize("rid", ["NAR21-T2-02", "NAR21-T2-03", "NAR21-T2-05", "NAR21-T2-06"])
def test_deepspeed_zero3_at_one_or_two_sequences_per_gpu(summary, rid):
    # Narayanan et al. 2021 (arXiv 2104.04473) Table 2: DeepSpeed ZeRO-3 on 768-2,240 A100s
    # at 1-2 sequences per GPU ran at 44-98 TFLOP/s per GPU (its throughput falls with the
    # batch per GPU because the parameter gathers dominate; ZeRO++, arXiv 2306.10209 §1).
    # The model predicted these 2-4x too fast (log10 +0.34..+0.68); out of sample it must
    # now land within 30 % (the model's LOSO robust spread is ~20 %, 1.5 sigma).
    assert abs(_row(summary, rid)["log10_ratio_loso"]) < np.log10(1.30)


def test_tpu_rows_within_the_models_spread(summary):
    # MaxText README @2881657: 12 TPU v4 / v5e runs at 46-67 % MFU (remat "full", so
    # 60-89 % of peak in hardware FLOP). With the H200's GEMM ceiling assumed for TPUs the
    # model was 33 % slow (median log10 -0.172); with the TPU v5e's measured XLA matmul
    # ceiling (0.923) the median error, out of sample, must be under 25 %.
    assert summary["sources"]["MAXTEXT"]["median_abs_log10_loso"] < np.log10(1.25)


@pytest.mark.parametrize(
    "rid", ["KOR22-T5-01a", "KOR22-T5-02a", "KOR22-T5-03a", "KOR22-T5-04a", "KOR22-DP8-a"]
)
def test_korthikanti_selective_recompute_mfu(summary, rid):
    # Korthikanti et al. 2022 (arXiv 2205.05198) Table 5: 41.5-56.3 % MFU on A100s with
    # selective recomputation (22B-1T); out of sample within 15 %.
    assert abs(_row(summary, rid)["log10_ratio_loso"]) < np.log10(1.15)


def test_cli_deepseek_layout_reproduces_isca_mfu(invoke):
    r = invoke(*DSV3)
    assert r.code == 0, r.err
    d = r.json()
    assert d["schema"] == "costmodel.perf/1"
    for k in (
        "mfu mfu_16bit hfu tokens_per_s_per_gpu model_flop_per_s_per_gpu step_time_s "
        "breakdown memory_gb_per_gpu fits bottleneck layout assumptions"
    ).split():
        assert k in d
    for k in "total weights gradients optimizer activations".split():
        assert k in d["memory_gb_per_gpu"]
    for k in "tp pp dp ep cp vpp schedule zero micro_batch global_batch seq_len".split():
        assert k in d["layout"]
    # 38.94 % causal BF16-basis MFU (arXiv 2505.09343 Table 4), within the 15 %
    assert abs(d["mfu_16bit"] / 0.3894 - 1) < 0.15
    # FP32 gradient accumulation (arXiv 2412.19437 §3.3.4) is counted: gradients are twice
    # the BF16 weights (issue 18, item 5)
    mem = d["memory_gb_per_gpu"]
    assert mem["gradients"] == pytest.approx(2 * mem["weights"])
    assert d["layout"]["dp"] == 128  # 2048 / (tp 1 · pp 16)
    assert any("published layout" in a for a in d["assumptions"])


def test_cli_h100_faster_and_tp8_penalty_larger(invoke):
    def mfu(gpu, *extra):
        args = [a if a != "h800-sxm" else gpu for a in DSV3]
        return invoke(*args, *extra).json()["mfu_16bit"]

    ds_gain = mfu("h100-sxm") / mfu("h800-sxm")
    tp_args = ("--tp", "8", "--schedule", "1f1b", "--global-batch", "15360")
    tp_gain = mfu("h100-sxm", *tp_args) / mfu("h800-sxm", *tp_args)
    assert 1.0 < ds_gain < tp_gain


@pytest.mark.parametrize(
    "args,flag",
    [
        (["--tp", "3"], "--tp"),
        (["--ep", "5"], "--ep"),
        (["--pp", "16", "--ep", "64", "--dp", "3"], "--dp"),
        (["--pp", "100"], "--pp"),
        (["--cp", "3"], "--cp"),
        (["--schedule", "dualpipe", "--pp", "3", "--n-gpus", "2046"], "--pp"),
    ],
)
def test_cli_bad_layout_is_one_line_exit_2(invoke, args, flag):
    # --no-published-layout: the defaults, not DeepSeek's EP64, meet the bad flag
    base = ["perf", "--run", "deepseek-v3", "--no-published-layout", "--gpu", "h800-sxm"]
    base += ["--n-gpus", "2048"]
    if "--n-gpus" in args:
        base = base[:-2]
    r = invoke(*base, *args)
    assert r.code == 2
    assert r.err.count("\n") == 1 and flag in r.err and "Traceback" not in r.err


def test_cli_architecture_file(invoke, tmp_path):
    f = tmp_path / "m.toml"
    f.write_text(
        "[architecture]\nn_layers = 24\nd_model = 2048\nn_heads = 16\nffn_hidden = 8192\n"
        "gated_mlp = false\nvocab_size = 50304\nseq_len = 2048\n"
    )
    r = invoke("perf", "--architecture", f, "--gpu", "h100-sxm", "--n-gpus", "8", "--json")
    assert r.code == 0, r.err
    assert 0 < r.json()["mfu"] < 1
    f.write_text("[architecture]\nn_layers = 24\n")
    r = invoke("perf", "--architecture", f, "--gpu", "h100-sxm", "--n-gpus", "8")
    assert r.code == 2 and "--architecture" in r.err


def test_plan_h20_needs_more_gpus_than_h200_for_llama_405b(invoke):
    # done-means of issue 11: 96 GB H20s vs 141 GB H200s
    args = ["plan", "--run", "llama-3.1-405b", "--n-gpus", "64", "--json"]
    h20 = invoke(*args, "--gpu", "h20").json()
    h200 = invoke(*args, "--gpu", "h200-sxm").json()
    assert h20["fitting"] == 0 and h200["fitting"] > 0
    assert h200["searched"] >= 1000
    assert h200["layouts"][0]["fits"] is True
    assert invoke(*args[:-1], "--gpu", "h20", "--n-gpus", "128").code == 0


def test_perf_validation_doc_is_current():
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "perf_validation.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_perf_and_plan_do_not_import_scipy_or_matplotlib():
    for cmd in ("perf", "plan"):
        code = (
            "import sys; from costmodel.cli import cli;"
            f"rc = cli.main(['{cmd}', '--run', 'llama-3.1-8b', '--gpu', 'h100-sxm', "
            "'--n-gpus', '16', '--json'], standalone_mode=False);"
            "heavy = [m for m in ('scipy', 'matplotlib', 'pandas') if m in sys.modules];"
            "print('HEAVY', heavy); assert rc == 0"
        )
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "HEAVY []" in r.stdout


def test_sampled_mfu_spread_matches_the_closed_form():
    x = spread.sample_mfu(0.4, 200_000, rng=1)
    sd = np.std(np.log10(x))
    assert abs(sd - spread.MFU_LOG10_SD) < 4 * spread.MFU_LOG10_SD / np.sqrt(2 * 200_000)


def test_estimate_mfu_model_uses_the_planned_layout(invoke):
    # mfu "model": the performance model's throughput at the best layout, converted to the
    # estimate's FLOP convention, so GPU-hours do not depend on the convention
    a = invoke("estimate", "--run", "deepseek-v3", "--mfu", "model", "--samples", "0", "--json")
    b = invoke(
        "estimate",
        "--run",
        "deepseek-v3",
        "--mfu",
        "model",
        "--samples",
        "0",
        "--flop-convention",
        "megatron",
        "--json",
    )
    assert a.code == 0 and b.code == 0, a.err + b.err
    da, db = a.json(), b.json()
    assert abs(da["gpu_hours"] / db["gpu_hours"] - 1) < 1e-9
    assert da["mfu"] != db["mfu"]
    assert any("performance model" in x for x in da["assumptions"])
    # DeepSeek-V3 Table 1: 2.664M H800-hours of pre-training; the model is within its spread
    assert abs(np.log10(da["gpu_hours"] / 2.664e6)) < 2 * spread.MFU_LOG10_SD


def test_estimate_mfu_model_samples_the_spread():
    import re

    import costmodel

    def spread(run):
        e = costmodel.estimate(run=run, mfu="model", samples=20000, rng=0)
        q = e.to_dict()["quantiles"]["gpu_hours"]
        note = next(a for a in e.assumptions if a.startswith("mfu sampled"))
        sd = float(re.search(r"log10 sd ([0-9.]+)", note).group(1))
        # a lognormal in log10 with sd s: p95/p05 = 10**(2·1.645·s); the truncation to
        # mfu <= 1 removes up to 2 % of the top tail (stated in the assumptions), so 10 %
        assert q["p95"] / q["p05"] == pytest.approx(10 ** (2 * 1.645 * sd), rel=0.10)
        return sd

    # the MoE rows' misses are the uncertainty of a MoE estimate (issue 18: the one 0.081
    # spread hid them; their spread is about 0.25 in log10): wider than the dense rows'
    moe, dense = spread("deepseek-v3"), spread("llama-3.1-405b")
    assert moe > 0.15 and dense < 0.12 and moe > 1.5 * dense


def test_estimate_mfu_model_needs_an_architecture(invoke):
    r = invoke(
        "estimate",
        "--active-params",
        "7B",
        "--tokens",
        "1T",
        "--gpu",
        "h100-sxm",
        "--n-gpus",
        "64",
        "--mfu",
        "model",
    )
    assert r.code == 2 and "architecture" in r.err
