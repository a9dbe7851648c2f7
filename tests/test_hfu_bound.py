"""HFU above 1 is impossible: an explicit MFU whose recomputation would need more hardware
FLOP/s than the peak is refused (one line, exit 2), not printed as HFU 120 %.

With full recomputation and 6ND, every step does one more forward pass (2ND of the 6ND), so
hardware FLOP = 8ND = 4/3 × model FLOP and HFU = 4/3 × MFU (Korthikanti et al. 2022,
arXiv 2205.05198, §4/§5: full recomputation adds a forward pass): MFU ≤ 0.75.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import costmodel
from costmodel import dist
from costmodel.errors import InputError

V3 = ["--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800-sxm", "--precision", "bf16"]
KW = dict(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "costmodel", "estimate", *V3, *args],
        capture_output=True,
        text=True,
    )


def test_cli_refuses_mfu_whose_full_recompute_gives_hfu_above_one():
    r = cli("--mfu", "0.9", "--recompute", "full", "--price-usd-per-gpu-hour", "2")
    assert r.returncode == 2, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    msg = lines[0]
    assert "mfu" in msg and "full" in msg and "0.75" in msg and "HFU" in msg


def test_api_refuses_it_and_accepts_the_bound():
    with pytest.raises(InputError, match=r"recompute 'full'.*0\.75"):
        costmodel.estimate(**KW, mfu=0.9, recompute="full")
    e = costmodel.estimate(**KW, mfu=0.75, recompute="full")  # HFU exactly 1: allowed
    assert e.hfu == pytest.approx(1.0, rel=1e-12)
    # without recomputation the same MFU is only above the measured ceiling (a note)
    assert costmodel.estimate(**KW, mfu=0.9).hfu == pytest.approx(0.9, rel=1e-12)


def test_arrays_name_the_worst_value_and_how_many():
    with pytest.raises(InputError, match=r"0\.8 .*\(2 of 3 values\)"):
        costmodel.estimate(**KW, mfu=np.array([0.5, 0.8, 0.76]), recompute="full")


def test_an_mfu_distribution_is_kept_below_the_bound():
    with pytest.raises(InputError, match="mfu"):
        costmodel.estimate(**KW, mfu=dist.uniform(0.5, 0.9), recompute="full")
    e = costmodel.estimate(
        **KW, mfu=dist.normal(0.7, 0.05), recompute="full", samples=2000, rng=0,
        price_usd_per_gpu_hour=2.0,
    )  # fmt: skip
    assert any("HFU" in a for a in e.assumptions)
    assert e.samples.outputs["mfu"].max() <= 0.75  # HFU = 4/3 MFU <= 1
