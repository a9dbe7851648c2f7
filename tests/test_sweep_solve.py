"""Sweeps (against scalar estimates) and the inverse solve (against hand algebra)."""

import json
import math
import subprocess
import sys
from statistics import NormalDist

import numpy as np
import pytest

import costmodel
from costmodel import dist
from costmodel.analysis.sweeping import grid_size, parse_grid, write_sweep
from costmodel.errors import InputError, MissingInputError

from .cli_args import V3, V3_BF16

FIXED = dict(active_params=37e9, tokens=14.8e12, precision="bf16", n_gpus=2048)


def test_parse_grid():
    g = parse_grid(["mfu=0.2:0.5:7", "price-usd-per-gpu-hour=1,2,3", "gpu=h800-sxm,h20"])
    assert np.allclose(g["mfu"], np.linspace(0.2, 0.5, 7))
    assert g["price_usd_per_gpu_hour"] == [1.0, 2.0, 3.0] and g["gpu"] == ["h800-sxm", "h20"]
    assert grid_size(g) == 42


@pytest.mark.parametrize(
    "spec,match",
    [
        ("mfu", "must look like"),
        ("mfo=1,2", "did you mean mfu"),
        ("mfu=0.1:0.2:2.5", "whole number"),
        ("tokens=0:1T:3:log", "positive ends"),
        ("mfu=0.1:0.2", "start:stop:count"),
    ],
)
def test_bad_grids(spec, match):
    with pytest.raises(InputError, match=match):
        parse_grid([spec])


def test_sweep_equals_scalar_estimates():
    r = costmodel.sweep(
        ["mfu=0.2:0.5:4", "price-usd-per-gpu-hour=1,3", "gpu=h800-sxm,h20"], **FIXED
    )
    assert len(r) == 16
    for i in range(len(r)):
        e = costmodel.estimate(
            **FIXED,
            mfu=float(r["mfu"][i]),
            gpu=str(r["gpu"][i]),
            price_usd_per_gpu_hour=float(r["price_usd_per_gpu_hour"][i]),
        )
        assert r["cost_usd"][i] == pytest.approx(e.cost_usd, rel=1e-14)


def test_sweep_over_conventions():
    r = costmodel.sweep({"flop_convention": ["6nd", "megatron"]}, run="deepseek-v3", mfu=0.3)
    assert r["model_flop"][1] / r["model_flop"][0] == pytest.approx(250.45 / 222, rel=1e-3)


def test_write_sweep_csv_and_jsonl(tmp_path):
    g = parse_grid(["mfu=0.2:0.5:5", "gpu=h800-sxm,h100-sxm"])
    calls = []
    n = write_sweep(tmp_path / "s.csv", g, progress=calls.append, **FIXED)
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert n == 10 == len(lines) - 1 and sum(calls) == 10
    assert lines[0].startswith("mfu,gpu,")
    write_sweep(tmp_path / "s.jsonl", g, **FIXED)
    rows = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(rows) == 10 and rows[1]["gpu"] == "h100-sxm"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.jsonl"]


def test_huge_grid_refused(invoke):
    r = invoke(
        "sweep",
        "--active-params",
        "37B",
        "--tokens",
        "1T",
        "--gpu",
        "h100-sxm",
        "--grid",
        "mfu=0.1:0.9:1000000",
        "--grid",
        "price-usd-per-gpu-hour=1:4:1000000",
        "-o",
        "/tmp/never.csv",
    )
    assert r.code == 2 and "exceed the limit" in r.err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_sweep_memory_is_bounded(tmp_path):
    # 10⁶ points through the real CLI in a child process; peak RSS stays far below 300 MB
    # VmHWM (peak RSS) resets on exec, unlike ru_maxrss, which a child inherits from pytest
    code = (
        "import sys; from costmodel.cli import cli;"
        "rc = cli.main(sys.argv[1:], standalone_mode=False); assert rc == 0;"
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "sweep",
            *V3_BF16,
            "--grid",
            "mfu=0.2:0.5:1000",
            "--grid",
            "price-usd-per-gpu-hour=1:4:1000",
            "-o",
            str(tmp_path / "s.csv"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rss_mb = int(out.stdout.split()[-1]) / 1024
    assert rss_mb < 300
    assert sum(1 for _ in open(tmp_path / "s.csv")) == 1_000_001


def test_cli_sweep_stdout_and_plot(invoke, tmp_path):
    pytest.importorskip("matplotlib")
    r = invoke(
        "sweep",
        *V3,
        "--grid",
        "mfu=0.2:0.5:4",
        "--grid",
        "price-usd-per-gpu-hour=1,2",
        "--plot",
        tmp_path / "h.png",
    )
    assert r.code == 0, r.err
    assert len(r.out.strip().splitlines()) == 9 and (tmp_path / "h.png").exists()


# ---------------------------------------------------------------- solve
SOLVE = dict(
    active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16", price_usd_per_gpu_hour=2
)


def test_done_means_solve_mfu(invoke):
    r = invoke(
        "solve",
        "--budget-usd",
        "6M",
        "--unknown",
        "mfu",
        *V3_BF16,
        "--price-usd-per-gpu-hour",
        "2",
        "--json",
    )
    assert r.code == 0, r.err
    # $6M / $2 = 3M GPU-hours; mfu = 3.2856e24 / (3e6 h × 3600 s × 989.4e12 FLOP/s)
    assert r.json()["value"] == pytest.approx(3.2856e24 / (3e6 * 3600 * 989.4e12), rel=1e-9)
    assert r.json()["value"] == pytest.approx(0.3075, abs=5e-5)


def test_solve_tokens_and_price_closed_forms():
    s = costmodel.solve(
        budget_usd=6e6,
        unknown="tokens",
        mfu=0.35,
        **{k: v for k, v in SOLVE.items() if k != "tokens"},
    )
    assert s.value == pytest.approx(6e6 / 2 * 3600 * 989.4e12 * 0.35 / (6 * 37e9), rel=1e-9)
    s = costmodel.solve(
        budget_usd=6e6,
        unknown="price_usd_per_gpu_hour",
        mfu=0.35,
        **{k: v for k, v in SOLVE.items() if k != "price_usd_per_gpu_hour"},
    )
    hours = 3.2856e24 / (989.4e12 * 0.35 * 3600)
    assert s.value == pytest.approx(6e6 / hours, rel=1e-9)


def test_solve_n_gpus_from_days():
    s = costmodel.solve(budget_days=60, unknown="n_gpus", mfu=0.35, **SOLVE)
    exact = 3.2856e24 / (989.4e12 * 0.35 * 3600) / (60 * 24)  # 1,830.25 GPUs
    assert s.value == math.ceil(exact)  # whole GPUs, rounded up so the budget holds
    assert s.estimate["wall_clock_days"] <= 60


def test_solve_active_params_with_prior_uses_root_finding():
    s = costmodel.solve(
        budget_usd=6e6,
        unknown="active_params",
        **{k: v for k, v in SOLVE.items() if k != "active_params"},
    )
    assert "brentq" in s.method
    check = costmodel.estimate(
        active_params=s.value, **{k: v for k, v in SOLVE.items() if k != "active_params"}
    )
    assert check.cost_usd == pytest.approx(6e6, rel=1e-8)


def test_compute_optimal():
    s = costmodel.solve(
        budget_usd=6e6, compute_optimal=True, gpu="h100-sxm", price_usd_per_gpu_hour=2
    )
    c = s.compute_optimal
    assert c["tokens"] == pytest.approx(20 * c["active_params"])  # Hoffmann et al. 2022
    assert s.estimate["cost_usd"] == pytest.approx(6e6, rel=1e-8)


def test_probability_budget_suffices_closed_form():
    # cost = k · price with price ~ lognormal(median 2, gsd 1.3):
    # P(cost ≤ B) = Φ(ln(B / (k · 2)) / ln 1.3)
    s = costmodel.solve(
        budget_usd=6e6,
        samples=200_000,
        rng=1,
        mfu=0.35,
        **(SOLVE | {"price_usd_per_gpu_hour": dist.lognormal(2, 1.3)}),
    )
    k = 3.2856e24 / (989.4e12 * 0.35 * 3600)
    p = NormalDist().cdf(math.log(6e6 / (k * 2)) / math.log(1.3))
    assert s.probability_budget_suffices == pytest.approx(p, abs=0.005)


def test_solution_quantiles_with_uncertain_price():
    s = costmodel.solve(
        budget_usd=6e6,
        unknown="tokens",
        samples=100_000,
        rng=0,
        mfu=0.35,
        **{k: v for k, v in SOLVE.items() if k != "tokens"}
        | {"price_usd_per_gpu_hour": dist.lognormal(2, 1.3)},
    )
    # tokens ∝ 1/price: p95 of tokens sits at price's p05 = 2 / 1.3^1.645
    p05 = 2 / 1.3 ** NormalDist().inv_cdf(0.95)
    t95 = 6e6 / p05 * 3600 * 989.4e12 * 0.35 / (6 * 37e9)
    assert s.quantiles["p95"] == pytest.approx(t95, rel=0.01)


@pytest.mark.parametrize(
    "kw,err,match",
    [
        (
            dict(budget_usd=6e6, budget_gpu_hours=1e6, unknown="mfu"),
            MissingInputError,
            "exactly one",
        ),
        (dict(budget_gpu_hours=1e6, unknown="n_gpus"), InputError, "does not change"),
        (dict(budget_usd=6e5, unknown="mfu"), InputError, r"would need MFU 307\.5%"),
        (dict(budget_usd=-1, unknown="mfu"), InputError, "positive"),
        (dict(budget_usd=6e6, unknown="speed"), InputError, "is not one of"),
    ],
)
def test_solve_errors(kw, err, match):
    with pytest.raises(err, match=match):
        costmodel.solve(**kw, **SOLVE)
