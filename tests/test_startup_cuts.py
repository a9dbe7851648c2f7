"""What the start-up work of issue 10 (item 5) changed, tested for behaviour, not speed.

- One uncertain input is sampled at its stratified quantiles (no random numbers, so no
  ``numpy.random`` import): the percentiles must be the closed-form ones.
- ``rng`` is checked without importing ``numpy.random``.
- Distributions are immutable values without dataclasses.
- The console script freezes the garbage collector at exit; in-process callers are untouched.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import costmodel
from costmodel.errors import InputError
from costmodel.formulas import dist
from costmodel.model.uncertainty import draw_uniforms

PRESETS = Path(__file__).resolve().parents[1] / "presets"
V3 = dict(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16", mfu=0.35)
#: the 95th percentile of the standard normal (A&S Table 26.5), for the lognormal's spread
Z95 = 1.6448536269514722


def _h800_range() -> tuple[float, float]:
    with open(PRESETS / "prices" / "h800-sxm.toml", "rb") as f:
        r = tomllib.load(f)["rental"]
    return r["low_usd_per_gpu_hour"], r["high_usd_per_gpu_hour"]


def test_market_price_percentiles_are_the_quoted_range():
    # the market range's low and high are, by the preset's definition, the 5th and 95th
    # percentiles of the price; GPU-hours are fixed, so cost's p05/p95 are GPU-hours times
    # them and p50 is the point value (price at its median). Stratified quantiles are exact
    # to 1/(2n) in probability: at n = 20,000 that moves the 5th percentile of a lognormal
    # with gsd ~1.3 by ~7e-5 relative, hence rel=3e-4.
    lo, hi = _h800_range()
    e = costmodel.estimate(**V3, samples="auto")
    q = e.to_dict()["quantiles"]["cost_usd"]
    assert q["p05"] == pytest.approx(e.gpu_hours * lo, rel=3e-4)
    assert q["p95"] == pytest.approx(e.gpu_hours * hi, rel=3e-4)
    assert q["p50"] == pytest.approx(e.cost_usd, rel=1e-6)
    # the mean of a lognormal: median · exp(s²/2), s = ln(hi/lo) / (2 z95)
    s = math.log(hi / lo) / (2 * Z95)
    assert q["mean"] == pytest.approx(
        e.gpu_hours * math.sqrt(lo * hi) * math.exp(s * s / 2), rel=1e-5
    )
    assert e.to_dict()["samples"]["method"] == "stratified"


def test_one_uncertain_input_is_the_same_for_every_seed():
    kw = {**V3, "mfu": dist.uniform(0.3, 0.4), "price_usd_per_gpu_hour": 2.0}
    a = costmodel.estimate(**kw, samples=1000, rng=1)
    b = costmodel.estimate(**kw, samples=1000, rng=2)
    assert a.to_dict()["samples"]["method"] == "stratified"
    assert a.to_dict()["quantiles"] == b.to_dict()["quantiles"]
    # GPU-hours ∝ 1/mfu, decreasing: its p05 is at mfu's p95 = 0.3 + 0.95·0.1 (closed form),
    # to 1/(2n) = 5e-4 in probability, i.e. 5e-5 in mfu, 1.3e-4 relative
    p05 = a.to_dict()["quantiles"]["gpu_hours"]["p05"]
    assert p05 == pytest.approx(a.gpu_hours * 0.35 / 0.395, rel=2e-4)


def test_two_uncertain_inputs_still_monte_carlo():
    kw = {**V3, "mfu": dist.uniform(0.3, 0.4), "price_usd_per_gpu_hour": dist.uniform(1.5, 2.5)}
    a = costmodel.estimate(**kw, samples=2000, rng=1).to_dict()
    b = costmodel.estimate(**kw, samples=2000, rng=2).to_dict()
    assert a["samples"]["method"] == "monte-carlo"
    assert a["quantiles"]["cost_usd"]["p50"] != b["quantiles"]["cost_usd"]["p50"]


def test_qmc_is_kept_when_asked():
    pytest.importorskip("scipy")
    e = costmodel.estimate(**V3, samples=1024, qmc=True, rng=0)
    assert e.to_dict()["samples"]["method"] == "sobol-qmc"


def test_simulate_stratified_refuses_two_inputs():
    sc = costmodel.Scenario(
        **{**V3, "mfu": dist.uniform(0.3, 0.4), "price_usd_per_gpu_hour": dist.uniform(1, 2)}
    )
    with pytest.raises(InputError, match=r"mfu.*price_usd_per_gpu_hour"):
        costmodel.simulate(sc, 100, stratified=True)
    with pytest.raises(InputError, match="not both"):
        costmodel.simulate(sc, 100, qmc=True, stratified=True)


@given(st.integers(1, 5000))
def test_stratified_points_are_each_stratum_midpoint_once(n):
    u = draw_uniforms(n, 1, stratified=True)[:, 0]
    np.testing.assert_array_equal(np.sort(u), (np.arange(n) + 0.5) / n)


@given(st.integers(64, 5000))
def test_stratified_prefixes_spread_over_the_interval(n):
    # any first m points leave no gap much wider than 1/m (bit-reversed order halves the
    # gaps as m doubles); sorted order would leave a gap of 1 - m/n
    u = draw_uniforms(n, 1, stratified=True)[:, 0]
    m = n // 8
    gaps = np.diff(np.concatenate([[0.0], np.sort(u[:m]), [1.0]]))
    assert gaps.max() < 4.0 / m


def _modules_after(code: str) -> set[str]:
    r = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


@pytest.mark.parametrize("price", [None, 2.0])
def test_point_estimate_imports_no_numpy_random(price):
    # numpy.random takes ~10 ms to import; a fixed price samples nothing, and the market
    # price (one uncertain input) is stratified
    extra = "" if price is None else f", price_usd_per_gpu_hour={price}"
    code = (
        "import costmodel\ne = costmodel.estimate(active_params=37e9, tokens=14.8e12, "
        f"gpu='h800-sxm', precision='bf16', mfu=0.35, samples='auto'{extra})\n"
        "assert e.cost_usd > 0"
    )
    mods = _modules_after(code)
    assert "numpy.random" not in mods and "statistics" not in mods


@pytest.mark.parametrize("good", [None, 0, 7, np.int64(3)])
def test_check_rng_accepts(good):
    from costmodel.model.validate import check_rng

    assert check_rng(good) is good


@pytest.mark.parametrize("bad", [-1, True, 1.5, "7", [1]])
def test_check_rng_rejects_in_one_line(bad):
    from costmodel.model.validate import check_rng

    with pytest.raises(InputError, match=r"^rng: expected") as e:
        check_rng(bad)
    assert "\n" not in str(e.value)


def test_check_rng_accepts_generators():
    from costmodel.model.validate import check_rng

    g = np.random.default_rng(0)
    assert check_rng(g) is g and check_rng(g.bit_generator) is g.bit_generator


@pytest.mark.parametrize(
    "d",
    [
        dist.fixed(3.0),
        dist.uniform(1, 2),
        dist.loguniform(1, 10),
        dist.triangular(1, 2, 4),
        dist.normal(0, 1),
        dist.lognormal(2, 1.3),
        dist.beta(2, 5),
    ],
)
def test_distributions_are_immutable_values(d):
    same = pickle.loads(pickle.dumps(d))
    assert same == d and hash(same) == hash(d) and same is not d
    assert repr(same) == repr(d) and repr(d).startswith(type(d).__name__ + "(")
    with pytest.raises(AttributeError, match="immutable"):
        d.kind = "x"
    with pytest.raises(AttributeError):
        d.__dict__  # noqa: B018 - slots: no per-instance dict
    assert d != object()


def test_distribution_checks_still_run():
    with pytest.raises(InputError, match="low"):
        dist.uniform(2, 1)
    with pytest.raises(InputError, match="gsd|geometric"):
        dist.lognormal(2, 0.5)
    assert dist.lognormal(2, 1.3) != dist.lognormal(2, 1.31)
    assert dist.uniform(1, 2) != dist.loguniform(1, 2)  # same numbers, other family


_FREEZE = (
    "import gc, sys\nfrom costmodel.cli import {name}\n"
    "try:\n    rc = {call}\nexcept SystemExit as e:\n    rc = e.code\n"
    "print(rc, gc.get_freeze_count() > 0)"
)


def test_console_script_freezes_the_collector_at_exit(tmp_path):
    out = tmp_path / "e.json"
    args = ["estimate", "--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800-sxm"]
    call = f"main({[*args, '--mfu', '0.35', '--json', '-o', str(out)]!r})"
    r = subprocess.run(
        [sys.executable, "-c", _FREEZE.format(name="main", call=call)],
        capture_output=True,
        text=True,
    )
    assert r.stdout.split() == ["0", "True"], r.stderr
    import json

    assert json.loads(out.read_text())["schema"] == "costmodel.estimate/1"
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]  # no temp file left


def test_in_process_cli_leaves_the_collector_alone():
    call = "cli.main(['gpus'], standalone_mode=False)"
    r = subprocess.run(
        [sys.executable, "-c", _FREEZE.format(name="cli", call=call)],
        capture_output=True,
        text=True,
    )
    assert r.stdout.split()[-1] == "False", r.stderr


@pytest.mark.parametrize("name", ["Accelerator", "PricePreset"])
def test_schemas_declared_flat_repeat_sourced_exactly(name):
    # Accelerator and PricePreset repeat Sourced's fields instead of inheriting them (two
    # fewer pydantic classes to build on the estimate path); the copies must not drift
    from costmodel.data import schemas
    from costmodel.data.schemas.base import Sourced
    from costmodel.data.schemas.prices import PricePreset

    model = {"Accelerator": schemas.Accelerator, "PricePreset": PricePreset}[name]
    for field, want in Sourced.model_fields.items():
        got = model.model_fields[field]
        assert got.annotation == want.annotation, field
        assert got.default == want.default and got.description == want.description, field
        assert [repr(m) for m in got.metadata] == [repr(m) for m in want.metadata], field
    assert model.model_config == Sourced.model_config


def test_market_price_distribution_has_the_range_as_its_5th_and_95th_percentiles():
    # MarketPrice.dist() no longer builds a pydantic Rental to get there
    from costmodel.model.market import market_price

    m = market_price("h800-sxm")
    assert m.dist().quantile(0.05) == pytest.approx(m.low_usd_per_gpu_hour, rel=1e-12)
    assert m.dist().quantile(0.95) == pytest.approx(m.high_usd_per_gpu_hour, rel=1e-12)


@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=50))
def test_reverse_bits_is_string_reversal(xs):
    from costmodel.model.uncertainty import _reverse_bits

    got = _reverse_bits(np.array(xs, dtype=np.uint32)).tolist()
    assert got == [int(format(x, "032b")[::-1], 2) for x in xs]


@given(st.floats(-1e300, 1e300), st.integers(1, 300))
def test_summary_of_a_constant_is_that_constant(c, n):
    from costmodel.model.uncertainty import summarize

    s = summarize(np.full(n, c), (0.05, 0.5, 0.95))
    assert s == {"p05": c, "p50": c, "p95": c, "mean": c, "stderr": 0.0 if n > 1 else None, "n": n}


def test_summary_of_huge_values_has_finite_moments_without_warnings():
    # found by tests/test_fuzz.py: 1.5e156 active parameters make GPU-hours ~1e147 and the
    # squared deviations overflow; the moments are scaled, so they stay exact and quiet
    import warnings

    from costmodel.model.uncertainty import summarize

    x = np.array([1e300, -1e300, 5e299, 2e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = summarize(x, (0.5,))
        wide = summarize(np.array([1.7e308, -1.7e308]), (0.5,))
    assert s["mean"] == pytest.approx(0.625e300, rel=1e-12)  # (1 - 1 + 0.5 + 2) / 4
    # deviations 0.375, -1.625, -0.125, 1.375: sample sd sqrt(4.6875 / 3) = 1.25 (e300)
    assert s["stderr"] == pytest.approx(1.25e300 / 2, rel=1e-12)
    assert wide["mean"] is None and wide["stderr"] is None and wide["p50"] is not None


def test_cli_estimate_with_a_huge_model_is_quiet():
    import warnings

    from click.testing import CliRunner

    from costmodel.cli import cli

    args = ["estimate", "--gpu", "h800-sxm", "--active-params", "1.4626154741278663e156"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy warning becomes an internal error (exit 1)
        r = CliRunner().invoke(cli, [*args, "--tokens", "14.8T", "--mfu", "0.35"])
    assert r.exit_code in (0, 2), r.output
    assert "internal error" not in r.output


_ID_CHARS = st.sampled_from(["a", "h", "1", "0", "-", "x", "\x00", "é", "\u4e2d"])


@given(
    st.lists(st.text(_ID_CHARS, max_size=20), min_size=1, max_size=40),
    st.integers(0, 30),
    st.sampled_from(["<", ">", "="]),
)
def test_distinct_codes_rebuild_the_input(pool, n_extra, order):
    # ASCII ids of width <= 16 are coded through integer rows, the rest as strings; both
    # must give the same distinct values, in order of first appearance, and codes that
    # rebuild the array exactly (NUL inside, non-ASCII, widths above 16, big-endian)
    from costmodel.model.hardware import distinct

    xs = (pool * (1 + n_extra // max(1, len(pool))))[: len(pool) + n_extra]
    a = np.array(xs)
    a = a.astype(a.dtype.newbyteorder(order)) if order != "=" else a
    d = distinct(a)
    assert np.array_equal(np.asarray(d.values, dtype=a.dtype)[d.codes], a)
    first = list(dict.fromkeys(a.tolist()))
    # the first eight in order of appearance; any further ones from numpy.unique (sorted)
    assert list(d.values[:8]) == first[:8] and sorted(d.values[8:]) == sorted(first[8:])
    assert len(set(d.values)) == len(d.values)


def test_ascii_rows_only_for_short_ascii():
    from costmodel.model.hardware import _ascii_rows

    assert _ascii_rows(np.array(["h800-sxm", "a100-sxm4-80gb"])).shape == (2, 2)
    assert _ascii_rows(np.array(["h800-sxm", "é"])) is None
    assert _ascii_rows(np.array(["x" * 17])) is None
