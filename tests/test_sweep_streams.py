"""Sweep grids, row formats and streams: lazy axes, bounded memory, EPIPE, formats by suffix."""

import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest

from costmodel.analysis.grid import GridAxis
from costmodel.analysis.sweep_eval import iter_sweep
from costmodel.analysis.sweep_grid import parse_grid
from costmodel.analysis.sweep_output import stream_sweep
from costmodel.errors import InputError
from costmodel.model.scenario import check_array

from .cli_args import V3_BF16

POINT = ["--mfu", "0.4", "--price-usd-per-gpu-hour", "2"]
FIXED = dict(active_params=37e9, tokens=1e12, gpu="h100-sxm", price_usd_per_gpu_hour=2,
             precision="bf16")  # fmt: skip


# ---------------------------------------------------------------- item 6: whole numbers
def test_integer_log_grid_rounds_to_whole_numbers():
    # geomspace(512, 4096, 4) gives 1024.0000000000002; n_gpus must be 512, 1024, 2048, 4096
    assert parse_grid(["n-gpus=512:4096:4:log"])["n_gpus"].tolist() == [512, 1024, 2048, 4096]


def test_integer_grid_drops_repeats_after_rounding():
    # 20 points from 1 to 8 round onto the 8 whole numbers 1..8, each once
    assert parse_grid(["n-gpus=1:8:20"])["n_gpus"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    # 1..1000 in 30 log steps: ratio 1.269; every value is round(1000^(i/29)), no repeats
    vals = parse_grid(["n-gpus=1:1000:30:log"])["n_gpus"].tolist()
    want = list(dict.fromkeys(np.floor(1000 ** (np.arange(30) / 29) + 0.5).tolist()))
    assert vals == want and len(vals) == len(set(vals))


def test_cli_integer_log_grid_runs(invoke):
    r = invoke("sweep", *V3_BF16, *POINT, "--grid", "n-gpus=512:4096:4:log")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [row["n_gpus"] for row in rows] == ["512", "1024", "2048", "4096"]


def test_whole_number_message_shows_the_exact_value():
    with pytest.raises(InputError, match=r"n_gpus: 1024\.0000000000002 must be a whole number"):
        check_array("n_gpus", 1024.0000000000002)


# ---------------------------------------------------------------- item 7: formats
def test_output_suffix_json_writes_json(invoke, tmp_path):
    out = tmp_path / "rows.json"
    r = invoke("sweep", *V3_BF16, *POINT, "--grid", "n-gpus=1024,2048", "-o", out)
    assert r.code == 0, r.err
    d = json.loads(out.read_text())
    assert d["schema"] == "costmodel.sweep/1" and d["swept"] == ["n_gpus"]
    assert [row["n_gpus"] for row in d["rows"]] == [1024, 2048]
    # wall-clock halves when the cluster doubles (days = GPU-hours / n / 24)
    assert d["rows"][0]["wall_clock_days"] == pytest.approx(2 * d["rows"][1]["wall_clock_days"])


def test_sweep_json_flag_to_stdout(invoke):
    r = invoke("sweep", *V3_BF16, *POINT, "--grid", "n-gpus=1024,2048", "--json")
    assert r.code == 0, r.err
    assert len(r.json()["rows"]) == 2


@pytest.mark.parametrize(
    "args,match",
    [
        (["-o", "{tmp}/rows.json", "--format", "csv"], "ends in .json, which means json"),
        (["-o", "{tmp}/rows.csv", "--json"], "ends in .csv, which means csv"),
        (["-o", "{tmp}/rows.txt"], "use a .csv, .json, .jsonl"),
        (["--json", "--format", "jsonl"], "--json and --format"),
    ],
)
def test_format_conflicts_are_errors(invoke, tmp_path, args, match):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = invoke("sweep", *V3_BF16, *POINT, "--grid", "n-gpus=1024,2048", *args)
    assert r.code == 2 and match in r.err
    assert not any(tmp_path.iterdir())


def test_format_overrides_unknown_suffix(invoke, tmp_path):
    out = tmp_path / "rows.txt"
    r = invoke("sweep", *V3_BF16, *POINT, "--grid", "n-gpus=1024,2048", "--format", "jsonl",
               "-o", out)  # fmt: skip
    assert r.code == 0, r.err
    assert [json.loads(x)["n_gpus"] for x in out.read_text().splitlines()] == [1024, 2048]


# ---------------------------------------------------------------- item 18: rows carry inputs
def test_rows_carry_fixed_inputs_and_resolved_ids(invoke, tmp_path):
    out = tmp_path / "rows.csv"
    r = invoke("sweep", "--active-params", "37B", "--tokens", "14.8T", "--gpu", "a100",
               "--n-gpus", "2048", *POINT, "--grid", "precision=bf16,fp16", "-o", out)  # fmt: skip
    assert r.code == 0, r.err
    rows = list(csv.DictReader(out.open()))
    for row in rows:
        assert row["gpu"] == "a100-sxm4-80gb"  # the id, not the alias typed
        assert float(row["tokens"]) == 14.8e12 and float(row["active_params"]) == 37e9
        assert row["n_gpus"] == "2048" and row["price_usd_per_gpu_hour"] == "2"
    assert [row["precision"] for row in rows] == ["bf16", "fp16"]


def test_swept_gpu_aliases_resolved_and_prior_note_per_family(invoke):
    r = invoke("sweep", "--active-params", "37B", "--tokens", "14.8T", "--precision", "bf16",
               "--price-usd-per-gpu-hour", "2", "--grid", "gpu=a100,h800")  # fmt: skip
    assert r.code == 0, r.err
    assert [row["gpu"] for row in csv.DictReader(io.StringIO(r.out))] == [
        "a100-sxm4-80gb",
        "h800-sxm",
    ]
    notes = [ln for ln in r.err.splitlines() if "data-derived prior" in ln]
    assert any("ampere" in n and "a100-sxm4-80gb" in n for n in notes)
    assert any("hopper" in n and "h800-sxm" in n for n in notes)


# ---------------------------------------------------------------- item 23: memory, streams
def test_a_huge_1d_grid_is_not_materialised():
    tracemalloc.start()
    try:
        g = parse_grid(["mfu=0.1:0.9:100000000"])
        ax = g["mfu"]
        assert len(ax) == 10**8 and ax[10**8 - 1] == 0.9 and ax[0] == 0.1
        # value i of linspace(0.1, 0.9, 1e8) is 0.1 + 0.8·i/(1e8 − 1)
        assert ax[50_000_000] == pytest.approx(0.1 + 0.8 * 5e7 / (1e8 - 1), rel=1e-15)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # a list of 10⁸ floats would be 3.2 GB


def _peak_bytes(n: int) -> int:
    """Peak traced memory while every chunk of an n-point 1-D sweep is evaluated."""
    tracemalloc.start()
    try:
        g = parse_grid([f"mfu=0.1:0.9:{n}"])
        for _ in iter_sweep(g, chunk_rows=4096, **FIXED):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_sweep_memory_does_not_grow_with_the_grid():
    # 10× more rows, same peak: memory is set by the chunk, not by the grid (a materialised
    # axis of 400,000 floats alone would add 3 MB as an array, 13 MB as a list)
    small, large = _peak_bytes(40_000), _peak_bytes(400_000)
    assert large < small + (1 << 20)


def test_stream_sweep_writes_every_row_across_chunks(tmp_path):
    # the formatted text of a chunk is written and dropped: CSV of 200,000 rows, 3 chunks
    # of 65,536 rows, peak far below the 200,000-row file
    out = tmp_path / "s.csv"
    g = parse_grid(["mfu=0.1:0.9:200000"])
    with out.open("w") as f:
        stream_sweep(f, g, **FIXED)
    assert sum(1 for _ in out.open()) == 200_001


def _costmodel(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "costmodel", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "COSTMODEL_DEBUG": "0"},
    )


def test_stdout_streams_and_a_closed_pipe_exits_quietly_with_0():
    # 10⁸ rows would take many minutes: the first line must arrive while the sweep runs
    p = _costmodel("sweep", *V3_BF16, "--price-usd-per-gpu-hour", "2",
                   "--grid", "mfu=0.1:0.9:100000000")  # fmt: skip
    got = {}
    reader = threading.Thread(target=lambda: got.setdefault("line", p.stdout.readline()))
    reader.start()
    reader.join(timeout=120)
    try:
        assert not reader.is_alive(), "no row within 120 s: stdout is not streamed"
        assert got["line"].startswith(b"mfu,")
        assert p.poll() is None  # still sweeping: rows were not buffered to the end
        p.stdout.close()  # like `| head -1`
        t0 = time.monotonic()
        rc = p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 0
    assert time.monotonic() - t0 < 120
    err = p.stderr.read().decode()
    assert "Error" not in err and "error" not in err and "Traceback" not in err


def test_grid_axis_matches_numpy_spacing():
    # against numpy's linspace / geomspace (independent implementations)
    for a, b, n, log in [(0.2, 0.5, 7, False), (1e12, 1e14, 9, True), (4096, 512, 5, True)]:
        want = np.geomspace(a, b, n) if log else np.linspace(a, b, n)
        np.testing.assert_allclose(GridAxis(a, b, n, log=log).tolist(), want, rtol=1e-13)
