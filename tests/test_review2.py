"""Behaviours added after the second review: each test states the independent reason."""

import csv
import io
import json
import math

import pytest

import costmodel


def test_unverifiable_when_nothing_can_be_tested(invoke):
    # a cost alone, without tokens, parameters, hours or a price, implies nothing and states
    # nothing that can be cross-checked
    r = invoke("check", "--gpu", "h800-sxm", "--cost-usd", "5M", "--json")
    assert r.code == 0
    v = json.loads(r.out)["verdict"]
    assert v["verdict"] == "unverifiable"
    assert "no token count" in v["reasons"][0]


def test_claim_numbers_outside_physical_bounds_are_rejected(invoke):
    # 1e20 GPU-hours is ~1e16 GPU-years: the bound (1e13) keeps typos out of the analysis
    r = invoke("check", "--gpu", "h800-sxm", "--gpu-hours", "1e20")
    assert r.code == 2 and "gpu_hours" in r.err and len(r.err.strip().splitlines()) == 1


def test_sweep_over_flop_conventions_matches_the_paper(invoke):
    """DeepSeek-V3 ISCA'25 paper (arXiv 2505.09343) Table 2: 250 GFLOP per token at 4K;
    the 14.8T tokens of pre-training then need 3.70e24 FLOP under the megatron convention
    and 6 × 37B × 14.8T = 3.2856e24 under 6ND (the paper rounds to 3 figures: rel 0.005)."""
    r = invoke(
        "sweep", "--run", "deepseek-v3", "--mfu", "0.35", "--grid", "flop-convention=6nd,megatron"
    )
    assert r.code == 0, r.err
    rows = {row["flop_convention"]: row for row in csv.DictReader(io.StringIO(r.out))}
    assert float(rows["6nd"]["model_flop"]) == pytest.approx(6 * 37e9 * 14.8e12, rel=1e-9)
    assert float(rows["megatron"]["model_flop"]) / 14.8e12 == pytest.approx(250e9, rel=0.005)
    # the default convention (6nd) is not "fixed": sweeping it is not a conflict
    assert len(rows) == 2


def test_sweep_error_is_the_only_line_on_stderr(invoke):
    r = invoke(
        "sweep", "--gpu", "", "--active-params", "8B", "--tokens", "1T", "--mfu", "0.4",
        "--grid", "gpu=h800-sxm,h20",
    )  # fmt: skip
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1, r.err


def test_sweep_rejects_distributions(invoke):
    r = invoke("sweep", "--run", "deepseek-v3", "--mfu", "0.2..0.4", "--grid", "n-gpus=1024,2048")
    assert r.code == 2 and "--mfu" in r.err


def test_bootstrap_is_capped(invoke):
    r = invoke("sensitivity", "--run", "deepseek-v3", "--bootstrap", "20000")
    assert r.code == 2 and "--bootstrap" in r.err


def test_sensitivity_without_uncertain_inputs_says_so(invoke):
    r = invoke(
        "sensitivity", "--gpu", "h100-sxm", "--active-params", "8B", "--tokens", "1T",
        "--mfu", "0.4", "--target", "gpu_hours",
    )  # fmt: skip
    assert r.code == 2 and "no uncertain inputs" in r.err


@pytest.mark.parametrize(
    ("flag", "value", "ok"),
    [("--mfu", "40%", True), ("--n-gpus", "50%", False), ("--tokens", "5%", False)],
)
def test_percent_only_for_fractions(invoke, flag, value, ok):
    base = ["estimate", "--gpu", "h100-sxm", "--active-params", "8B", "--tokens", "1T"]
    base += ["--mfu", "0.4", "--n-gpus", "64"]
    i = base.index(flag)
    base[i + 1] = value
    r = invoke(*base, "--json")
    assert (r.code == 0) is ok, r.err
    if ok:
        # 40% is 0.4: 6 × 8B × 1T / (0.4 × 989.4 TFLOP/s) / 3600 GPU-hours
        expected = 6 * 8e9 * 1e12 / (0.4 * 989.4e12) / 3600
        assert json.loads(r.out)["gpu_hours"] == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_output_format_follows_the_suffix(invoke, tmp_path, suffix):
    path = tmp_path / f"e{suffix}"
    base = ["estimate", "--gpu", "h100-sxm", "--active-params", "8B", "--tokens", "1T"]
    r = invoke(*base, "--mfu", "0.4", "-o", str(path))
    assert r.code == 0, r.err
    text = path.read_text()
    if suffix == ".json":
        assert "gpu_hours" in json.loads(text)
    else:
        assert "gpu_hours" in next(csv.reader(io.StringIO(text)))


def test_requested_quantiles_keep_the_standard_ones():
    e = costmodel.estimate(
        run="deepseek-v3",
        mfu=costmodel.dist.Uniform(0.25, 0.45),
        samples=4000,
        quantiles=(0.25, 0.75),
        rng=1,
    )
    keys = set(e.to_dict()["quantiles"]["gpu_hours"])
    assert {"p05", "p25", "p50", "p75", "p95"} <= keys


def test_decomposition_multiplies_out_to_the_hours_ratio():
    """hours = 6ND / (peak · MFU), so the GPU-hours ratio against the largest comparable
    Hopper run is exactly the product of the four factors. Since issue 19 item 3 the
    comparator's hours must cover the work of its tokens: Nemotron-4 340B (11.55M H100
    hours for 8T tokens, arXiv 2406.11704 via the run preset), not Llama 3.1 405B's card
    hours, which include post-training."""
    d = costmodel.check("deepseek-v3", samples=2000).to_dict()["decomposition"]
    assert d["comparator"]["id"] == "nemotron-4-340b"
    assert d["gpu_hours_ratio"] == pytest.approx(11.55e6 / 2.664e6, rel=1e-12)
    assert math.prod(d["factors"].values()) == pytest.approx(d["gpu_hours_ratio"], rel=1e-12)
    assert d["factors"]["active_params"] == pytest.approx(341 / 37, rel=1e-12)
    assert d["factors"]["tokens"] == pytest.approx(8 / 14.8, rel=1e-12)


def test_history_is_the_labs_own_runs():
    h = costmodel.check("deepseek-v3", samples=2000).to_dict()["history"]
    ids = {x["id"] for x in h}
    assert ids == {"deepseek-llm-67b", "deepseek-v2"}
    for x in h:
        # the claim's 6ND throughput per GPU (37B × 14.8T / 2.664M h) over the run's own
        own = 6 * 37e9 * 14.8e12 / (2.664e6 * 3600)
        theirs = 6 * x["active_params"] * x["tokens"] / (x["gpu_hours"] * 3600)
        assert x["claim_tflop_per_s_ratio"] == pytest.approx(own / theirs, rel=1e-12)
