"""Start-up: what a point estimate imports (issue 10, item 5). Timings are in
benchmarks/bench.py and benchmarks/imports.py; these tests pin the modules instead."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costmodel.formulas.normal import ndtri

V3 = "'--active-params', '37B', '--tokens', '14.8T', '--gpu', 'h800-sxm', '--precision', 'bf16'"


def _modules_after(cli_args: str) -> set[str]:
    code = (
        "import sys; from costmodel.cli import cli;"
        f"rc = cli.main([{cli_args}], standalone_mode=False); assert rc in (0, None);"
        "print(' '.join(sorted(sys.modules)))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split("\n")[-2].split())


def test_sampled_point_estimate_imports_no_scipy():
    # no price: the market price is a lognormal range, so the estimate samples it (20,000
    # draws through the normal quantile), which once imported scipy.special (~40 % of the
    # command's start-up)
    mods = _modules_after(f"'estimate', {V3}, '--mfu', '0.35'")
    assert not {m for m in mods if m.split(".")[0] in ("scipy", "matplotlib", "pandas")}


def test_estimate_without_architecture_builds_no_architecture_model():
    mods = _modules_after(f"'estimate', {V3}, '--mfu', '0.35', '--price-usd-per-gpu-hour', '2'")
    assert "costmodel.formulas.architecture" not in mods
    assert not {"json", "csv", "tempfile"} & mods - _floor_modules()


def _floor_modules() -> set[str]:
    code = (
        "import sys, numpy, click\nfrom pydantic import BaseModel\n"
        "class A(BaseModel):\n    x: int\nA(x=1)\nprint(' '.join(sorted(sys.modules)))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(r.stdout.split())


# the normal quantile that replaced scipy.special.ndtri on the sampling path


def test_ndtri_published_values():
    # standard normal table values (Abramowitz & Stegun 26.2, Table 26.5 percentage points)
    p = [0.5, 0.975, 0.995, 0.9995, 0.025, 1e-10]
    want = [0.0, 1.959963984540054, 2.575829303548901, 3.290526731491926, -1.959963984540054,
            -6.361340902404056]  # fmt: skip
    np.testing.assert_allclose(ndtri(p), want, rtol=1e-14, atol=1e-15)
    assert ndtri(0.0) == -np.inf and ndtri(1.0) == np.inf
    assert np.isnan(ndtri([np.nan, -0.1, 1.1])).all()


@given(st.floats(min_value=1e-300, max_value=1 - 1e-16))
def test_ndtri_agrees_with_scipy(p):
    scipy_special = pytest.importorskip("scipy.special")
    want = scipy_special.ndtri(p)
    assert ndtri(p) == pytest.approx(want, rel=4e-15, abs=1e-300)


@given(
    st.lists(st.floats(-1e300, 1e300), min_size=1, max_size=60),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5),
)
def test_summary_quantiles_are_numpys(xs, probs):
    # summaries interpolate like np.quantile's default (linear) method, without importing
    # numpy.ma as np.quantile does
    from costmodel.model.uncertainty import _quantiles

    x = np.array(xs)
    assert _quantiles(x, tuple(probs)) == np.quantile(x, probs).tolist()


def test_sampled_estimate_imports_no_numpy_ma():
    mods = _modules_after(f"'estimate', {V3}, '--mfu', '0.35'")
    assert "numpy.ma" not in mods
