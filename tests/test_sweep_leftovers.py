"""Issue 9 leftovers in sweeps: a schema on every JSON Lines row, the MFU basis on sweep
charts, the CLI's short names in grids, and market prices for a swept accelerator."""

import csv
import io
import json

import pytest

import costmodel
from costmodel.analysis.sweep_grid import parse_grid
from costmodel.errors import InputError

FIXED = dict(active_params=37e9, tokens=14.8e12, precision="bf16", n_gpus=2048)


# ------------------------------------------------------------ (a) schema on JSON Lines rows
def test_every_jsonl_row_names_its_schema(invoke, tmp_path):
    # each JSON Lines row is read alone, so each names the schema, as every --json output does
    r = invoke("sweep", "--active-params", "37B", "--tokens", "1T", "--gpu", "h100",
               "--precision", "bf16", "--mfu", "0.4", "--price", "2",
               "--grid", "n-gpus=1024,2048", "--format", "jsonl")  # fmt: skip
    assert r.code == 0, r.err
    rows = [json.loads(x) for x in r.out.splitlines()]
    assert len(rows) == 2
    assert all(row["schema"] == "costmodel.sweep/1" for row in rows)
    # the document form names it once, at the top, and its rows do not repeat it
    r = invoke("sweep", "--active-params", "37B", "--tokens", "1T", "--gpu", "h100",
               "--precision", "bf16", "--mfu", "0.4", "--price", "2",
               "--grid", "n-gpus=1024,2048", "--json")  # fmt: skip
    d = r.json()
    assert d["schema"] == "costmodel.sweep/1" and "schema" not in d["rows"][0]


# ------------------------------------------------------------ (b) MFU basis on sweep charts
def _title(result) -> str:
    pytest.importorskip("matplotlib")
    from costmodel.render.sweep_plots import sweep_figure

    fig = sweep_figure(result, "cost_usd", result.subtitle())
    return fig.axes[0].get_title(loc="left")


def test_swept_mfu_chart_states_its_peak():
    # NVIDIA H100 SXM datasheet: 989.4 TFLOP/s dense BF16
    r = costmodel.sweep({"mfu": [0.2, 0.3, 0.4]}, gpu="h100-sxm", price_usd_per_gpu_hour=2,
                        **FIXED)  # fmt: skip
    title = _title(r)
    assert "MFU swept" in title
    assert "bf16 dense peak of h100-sxm, 989.4 TFLOP/s" in title


def test_swept_gpu_chart_says_each_accelerator_has_its_own_peak():
    r = costmodel.sweep({"gpu": ["h100-sxm", "a100"], "mfu": [0.3, 0.4]},
                        price_usd_per_gpu_hour=2, **FIXED)  # fmt: skip
    title = _title(r)
    assert "each accelerator's bf16 dense peak" in title


def test_run_preset_chart_states_the_blended_peak():
    # DeepSeek-V3 trains in mixed FP8/BF16: the MFU is against the blended peak
    r = costmodel.sweep({"mfu": [0.3, 0.4]}, run="deepseek-v3", price_usd_per_gpu_hour=2)
    title = _title(r)
    assert "blended FP8/BF16 dense peak" in title and "TFLOP/s" in title


# ------------------------------------------------------------ (c) the CLI's short names
def test_grid_takes_the_short_names_the_cli_flags_take():
    from costmodel.cli.options import FLAG_ALIASES

    g = parse_grid(["price=1,2", "gpus=512,1024"])
    assert g == {"price_usd_per_gpu_hour": [1.0, 2.0], "n_gpus": [512.0, 1024.0]}
    # every short flag (--price, --gpus) is a grid name too
    for long, short in FLAG_ALIASES.items():
        full = long.removeprefix("--").replace("-", "_")
        assert list(parse_grid([f"{short.removeprefix('--')}=1,2"])) == [full]


def test_api_grid_dict_takes_short_names_and_refuses_one_given_twice():
    r = costmodel.sweep({"price": [1, 2]}, gpu="h100-sxm", mfu=0.4, **FIXED)
    assert list(r["price_usd_per_gpu_hour"]) == [1, 2]
    # cost = 6·N·D / (peak · mfu) / 3600 · price (H100 SXM: 989.4 TFLOP/s dense BF16)
    hours = 6 * 37e9 * 14.8e12 / (989.4e12 * 0.4) / 3600
    assert r["cost_usd"][1] == pytest.approx(2 * hours, rel=1e-9)
    with pytest.raises(InputError, match="given twice"):
        parse_grid(["price=1,2", "price-usd-per-gpu-hour=3"])


def test_cli_grid_short_name_and_unknown_name(invoke):
    args = ["sweep", "--active-params", "37B", "--tokens", "1T", "--gpu", "h100",
            "--precision", "bf16", "--mfu", "0.4", "--n-gpus", "1024"]  # fmt: skip
    r = invoke(*args, "--grid", "price=1,2")
    assert r.code == 0, r.err
    assert r.out.splitlines()[0].startswith("price_usd_per_gpu_hour,")
    r = invoke(*args, "--grid", "prise=1,2")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "did you mean price" in lines[0], r.err


# ------------------------------------------------------------ (d) market price per accelerator
# presets/prices: the H100 SXM rental range $1.99-$4.916 and the A100 80GB $1.49-$2.49 are the
# 5th and 95th percentiles of a lognormal, whose median is their geometric mean; the H20 has
# no rental quote and takes its Epoch AI ownership-cost rate, one figure ($0.95).
H100_MEDIAN = (1.99 * 4.916) ** 0.5
A100_MEDIAN = (1.49 * 2.49) ** 0.5
# NVIDIA datasheets: dense BF16 989.4 TFLOP/s (H100 SXM), 312 TFLOP/s (A100); H20 148 TFLOP/s
PEAK = {"h100-sxm": 989.4e12, "a100-sxm4-80gb": 312e12, "h20": 148e12}


def _hours(gpu: str, mfu: float = 0.4) -> float:
    return 6 * 37e9 * 14.8e12 / (PEAK[gpu] * mfu) / 3600


def test_swept_gpus_without_a_price_cost_at_each_market_price():
    r = costmodel.sweep({"gpu": ["h100", "a100", "h20"]}, mfu=0.4, **FIXED)
    assert list(r["gpu"]) == ["h100-sxm", "a100-sxm4-80gb", "h20"]
    prices = list(r["price_usd_per_gpu_hour"])
    assert prices[0] == pytest.approx(H100_MEDIAN, rel=1e-9)
    assert prices[1] == pytest.approx(A100_MEDIAN, rel=1e-9)
    assert prices[2] == pytest.approx(0.95, abs=0.005)
    for g, p, c in zip(r["gpu"], prices, r["cost_usd"], strict=True):
        assert c == pytest.approx(_hours(g) * p, rel=1e-9)
    # each accelerator's price is stated, as for a single one
    said = " ".join(r.assumptions)
    assert "h100-sxm market range $1.99-$4.916" in said
    assert "a100-sxm4-80gb market range $1.49-$2.49" in said
    assert "h20 has no rental quote" in said


def test_swept_gpu_without_any_market_price_leaves_only_its_cost_empty(invoke):
    # tpu-v3 has neither a rental range nor a server price: its cost stays empty, as it does
    # for `estimate --gpu tpu-v3` without a price; the others still get theirs
    r = invoke("sweep", "--active-params", "37B", "--tokens", "14.8T", "--precision", "bf16",
               "--mfu", "0.4", "--n-gpus", "2048", "--grid", "gpu=tpu-v3,h100")  # fmt: skip
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [row["gpu"] for row in rows] == ["tpu-v3", "h100-sxm"]
    assert rows[0]["cost_usd"] == "" and rows[0]["price_usd_per_gpu_hour"] == ""
    assert float(rows[1]["price_usd_per_gpu_hour"]) == pytest.approx(H100_MEDIAN, rel=1e-9)
    assert float(rows[1]["cost_usd"]) == pytest.approx(_hours("h100-sxm") * H100_MEDIAN, rel=1e-9)
    # asked for by name, a missing market price is an error before any row is written
    r = invoke("sweep", "--active-params", "37B", "--tokens", "14.8T", "--precision", "bf16",
               "--mfu", "0.4", "--price", "market", "--grid", "gpu=h100,tpu-v3")  # fmt: skip
    assert r.code == 2 and r.out == ""
    assert "'market' for tpu-v3" in r.err


def test_market_by_name_with_swept_gpus_and_a_given_price_wins():
    r = costmodel.sweep({"gpu": ["h100", "a100"]}, mfu=0.4, price_usd_per_gpu_hour="market",
                        **FIXED)  # fmt: skip
    assert list(r["price_usd_per_gpu_hour"]) == pytest.approx([H100_MEDIAN, A100_MEDIAN])
    r = costmodel.sweep({"gpu": ["h100", "a100"]}, mfu=0.4, price_usd_per_gpu_hour=2, **FIXED)
    assert list(r["price_usd_per_gpu_hour"]) == [2, 2]
    assert r["cost_usd"][1] == pytest.approx(_hours("a100-sxm4-80gb") * 2, rel=1e-9)
