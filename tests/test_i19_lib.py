"""Issue 19, items 11 and 15: library ergonomics (readable results, tables as rows and
DataFrames, consistent parameter names, sampled draws exported) and hostile layouts,
architectures and search spaces on ``perf`` and ``plan``.

Expected values come from the published numbers and closed forms, not from the code: the
DeepSeek-V3 stage hours (arXiv 2412.19437 Table 1: 2,664K + 119K + 5K = 2,788K H800-hours),
6·N·D = 6 × 37e9 × 14.8e12 FLOP, and the H800 SXM's 989.4 TFLOP/s dense BF16 peak (NVIDIA
H100 datasheet, same die).
"""

from __future__ import annotations

import inspect
import sys
import warnings

import numpy as np
import pytest

import costmodel
from costmodel import CostModelError, InputError

H800_BF16 = 989.4e12  # [FLOP/s]
FLOP_6ND = 6 * 37e9 * 14.8e12  # [FLOP]


@pytest.fixture(scope="module")
def dsv3():
    return costmodel.check("deepseek-v3", samples=1000)


# ---------------------------------------------------------------- item 11: print and repr


def test_print_of_a_claim_check_is_the_report_not_a_dict(dsv3):
    text = str(dsv3)
    assert "{'schema'" not in text and "ClaimCheck(data=" not in text
    assert text.startswith("CLAIM CHECK: DeepSeek-V3")
    assert "verdict:" in text
    r = repr(dsv3)
    assert "\n" not in r and len(r) < 200, r
    assert "deepseek-v3" in r and dsv3.verdict in r


def test_print_of_a_sensitivity_is_the_report():
    s = costmodel.sensitivity(
        active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16",
        mfu=costmodel.dist.uniform(0.3, 0.5), price_usd_per_gpu_hour=2,
        samples=64, n_boot=0, rng=0,
    )  # fmt: skip
    text = str(s)
    assert text.startswith("sensitivity of cost_usd") and "tornado" in text
    assert "{'" not in text
    r = repr(s)
    assert "\n" not in r and len(r) < 200 and "cost_usd" in r, r


def test_sweep_and_backtest_print_tables_and_repr_short():
    w = costmodel.sweep({"mfu": [0.25, 0.5]}, active_params=37e9, tokens=14.8e12,
                        gpu="h800-sxm", precision="bf16")  # fmt: skip
    r = repr(w)
    assert "\n" not in r and "array(" not in r and "2 rows" in r, r
    text = str(w)
    assert text.splitlines()[0] == "sweep over mfu: 2 rows"
    # 6ND / (peak · mfu) in hours: 3.69M at 25 %, 1.85M at 50 % (rounded to 4 digits)
    hours = FLOP_6ND / (H800_BF16 * np.array([0.25, 0.5])) / 3600
    for h in hours:
        assert f"{h / 1e6:.4g}M" in text
    b = costmodel.backtest()
    assert "\n" not in repr(b) and len(repr(b)) < 120
    assert str(b).startswith("backtest:")


# ---------------------------------------------------------------- item 11: tables


def test_claim_check_tables_as_dataframes(dsv3):
    pytest.importorskip("pandas")
    from costmodel.claims.check import TABLES

    stages = dsv3.to_pandas("stages")
    # the three published stages and their hours (Table 1 of the report)
    assert list(stages["gpu_hours"]) == [2_664_000, 119_000, 5_000]
    cons = dsv3.to_pandas()  # default: the consistency table
    assert {"check", "stated", "computed", "ok"} <= set(cons.columns)
    add_up = cons[cons["check"].str.contains("add up")]
    assert float(add_up["stated"].iloc[0]) == 2_788_000
    flop = dsv3.to_pandas(table="flop").set_index("flop_convention")
    assert flop.loc["6nd", "model_flop"] == pytest.approx(FLOP_6ND, rel=1e-12)
    # implied MFU on the 16-bit peak: 6ND over the pre-training hours at 989.4 TFLOP/s
    assert flop.loc["6nd", "mfu_bf16"] == pytest.approx(
        FLOP_6ND / (2_664_000 * 3600 * H800_BF16), rel=1e-9
    )
    hw = dsv3.to_pandas("hardware")
    assert "h800-sxm" in set(hw["gpu"]) and "prior_gpu_hours_p50" in hw.columns
    assert (hw["cost_usd_low"] <= hw["cost_usd_high"]).all()
    for name in TABLES:  # every table is flat: no dict cell left
        df = dsv3.to_pandas(name)
        assert len(df) > 0, name
        assert not any(isinstance(x, dict) for x in df.to_numpy().ravel()), name
    with pytest.raises(InputError, match=r"table: 'x' is not one of consistency, stages"):
        dsv3.to_pandas("x")


def test_rows_need_no_pandas_and_missing_pandas_is_a_clear_error(dsv3, monkeypatch):
    rows = dsv3.rows("stages")
    assert [r["name"] for r in rows] == ["pre-training", "context extension", "post-training"]
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    s = costmodel.sensitivity(active_params=37e9, tokens=14.8e12, gpu="h800-sxm",
                              precision="bf16", mfu=costmodel.dist.uniform(0.3, 0.5),
                              samples=64, n_boot=0, rng=0)  # fmt: skip
    e = costmodel.estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm",
                           precision="bf16", mfu=costmodel.dist.uniform(0.3, 0.5),
                           samples=100, rng=0)  # fmt: skip
    for call in (dsv3.to_pandas, s.to_pandas, e.samples_to_pandas):
        with pytest.raises(CostModelError, match="needs pandas"):
            call()
    assert {r["input"] for r in s.rows("tornado")} == {"mfu", "price_usd_per_gpu_hour"}
    assert len(e.samples_to_numpy()["mfu"]) == 100


def test_sensitivity_tables():
    pytest.importorskip("pandas")
    s = costmodel.sensitivity(
        "gpu_hours", active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16",
        mfu=costmodel.dist.uniform(0.3, 0.5), samples=256, n_boot=20, rng=0,
    )  # fmt: skip
    t = s.to_pandas()
    row = t.iloc[0]
    # p05 and p95 of U(0.3, 0.5), and the hours 6ND/(peak·mfu) there
    assert row["low_value"] == pytest.approx(0.31) and row["high_value"] == pytest.approx(0.49)
    assert row["output_at_low"] == pytest.approx(FLOP_6ND / (H800_BF16 * 0.31) / 3600)
    sob = s.to_pandas("sobol")
    assert list(sob["input"]) == ["mfu"]
    # one uncertain input explains all the variance
    assert sob["ST"].iloc[0] == pytest.approx(1.0, abs=0.1)
    assert (sob["ST_ci_low"] <= sob["ST_ci_high"]).all()
    s2 = costmodel.sensitivity("gpu_hours", active_params=37e9, tokens=14.8e12,
                               gpu="h800-sxm", precision="bf16",
                               mfu=costmodel.dist.uniform(0.3, 0.5), sobol=False)  # fmt: skip
    with pytest.raises(InputError, match="sobol=False"):
        s2.to_pandas("sobol")


def test_sampled_estimate_exports_its_draws():
    e = costmodel.estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16",
                           mfu=costmodel.dist.uniform(0.3, 0.5), price_usd_per_gpu_hour=2,
                           samples=1000, rng=0)  # fmt: skip
    d = e.samples_to_numpy()
    assert all(isinstance(v, np.ndarray) and v.shape == (1000,) for v in d.values())
    mfu = d["mfu"]
    assert 0.3 <= mfu.min() and mfu.max() <= 0.5
    np.testing.assert_allclose(d["gpu_hours"], FLOP_6ND / (H800_BF16 * mfu) / 3600, rtol=1e-12)
    np.testing.assert_allclose(d["cost_usd"], 2 * d["gpu_hours"], rtol=1e-12)
    if "pandas" in sys.modules or _has_pandas():
        df = e.samples_to_pandas()
        assert len(df) == 1000 and {"mfu", "gpu_hours", "cost_usd"} <= set(df.columns)
    point = costmodel.estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", mfu=0.3)
    with pytest.raises(InputError, match="samples: this estimate drew no samples"):
        point.samples_to_numpy()


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------- item 11: parameter names


@pytest.mark.parametrize("name", ["estimate", "solve", "sensitivity", "check"])
def test_sample_count_and_random_source_have_one_name(name):
    params = inspect.signature(getattr(costmodel, name)).parameters
    assert "samples" in params and "rng" in params, name
    assert params["samples"].kind is params["samples"].KEYWORD_ONLY
    annotations = {str(inspect.signature(costmodel.estimate).parameters["rng"].annotation)}
    assert str(params["rng"].annotation) in annotations, (name, params["rng"].annotation)


@pytest.mark.parametrize("name", ["estimate", "solve", "sweep", "sensitivity"])
def test_hardware_inputs_have_one_name(name):
    params = inspect.signature(getattr(costmodel, name)).parameters
    assert {"gpu", "n_gpus", "precision", "seq_len"} <= set(params)


def test_sensitivity_n_is_a_deprecated_alias_of_samples():
    kw = dict(output="gpu_hours", active_params=37e9, tokens=14.8e12, gpu="h800-sxm",
              precision="bf16", mfu=costmodel.dist.uniform(0.3, 0.5), n_boot=0, rng=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = costmodel.sensitivity(samples=64, **kw)
    with pytest.warns(DeprecationWarning, match="use samples="):
        old = costmodel.sensitivity(n=64, **kw)
    assert old.sobol["n_evaluations"] == new.sobol["n_evaluations"] == 64 * 3
    np.testing.assert_array_equal(old.sobol["ST"], new.sobol["ST"])
