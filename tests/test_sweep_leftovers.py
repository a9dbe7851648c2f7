"""Issue 9 leftovers in sweeps: a schema on every JSON Lines row, the MFU basis on sweep
charts, the CLI's short names in grids, and market prices for a swept accelerator."""

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
