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
    from costmodel.claims.tables import TABLES

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


# ---------------------------------------------------------------- item 15: perf and plan


def _arch_toml(arch: dict) -> str:
    """An ``[architecture]`` table (and its ``mla``/``moe`` sub-tables) as TOML."""

    def lines(d):
        return "\n".join(
            f"{k} = {str(v).lower() if isinstance(v, bool) else v}"
            for k, v in d.items()
            if not isinstance(v, dict)
        )

    out = "[architecture]\n" + lines(arch) + "\n"
    for k, v in arch.items():
        if isinstance(v, dict):
            out += f"[architecture.{k}]\n" + lines(v) + "\n"
    return out


def _dsv3_arch() -> dict:
    import tomllib
    from pathlib import Path

    root = Path(costmodel.__file__).resolve().parent.parent
    return tomllib.loads((root / "presets/runs/deepseek-v3.toml").read_text())["architecture"]


def _fields(arch: dict):
    for k, v in arch.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                if not isinstance(vv, bool):
                    yield (k, kk)
        elif not isinstance(v, bool):
            yield (k,)


def _required(path) -> bool:
    from costmodel.formulas.arch_parts import MLA, MoE

    model = {"mla": MLA, "moe": MoE}.get(path[0], costmodel.Architecture)
    return model.model_fields[path[-1]].is_required()


ARCH_CASES = [
    (path, value)
    for path in _fields(_dsv3_arch())
    for value in ("missing", -1, 2**40)
    if value != "missing" or _required(path)  # optional keys may be left out
]


def _one_line_exit_2(r, needle):
    assert r.code == 2, (r.code, r.err, r.out[:300])
    assert "Traceback" not in r.err + r.out
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert needle in r.err, (needle, r.err)


@pytest.mark.parametrize("path, value", ARCH_CASES, ids=lambda x: str(x))
def test_architecture_files_with_missing_negative_or_huge_fields(path, value, tmp_path, invoke):
    arch = _dsv3_arch()
    table = arch if len(path) == 1 else arch[path[0]]
    if value == "missing":
        del table[path[-1]]
    else:
        table[path[-1]] = value
    f = tmp_path / "arch.toml"
    f.write_text(_arch_toml(arch))
    r = invoke("perf", "--architecture", f, "--gpu", "h800-sxm", "--n-gpus", 64)
    _one_line_exit_2(r, path[-1])
    assert "--architecture" in r.err


@pytest.mark.parametrize("cmd", ["perf", "plan"])
def test_top_k_above_the_experts_and_huge_expert_counts(cmd, tmp_path, invoke):
    arch = _dsv3_arch()
    arch["moe"]["top_k"] = arch["moe"]["n_routed_experts"] + 1
    f = tmp_path / "topk.toml"
    f.write_text(_arch_toml(arch))
    r = invoke(cmd, "--architecture", f, "--gpu", "h800-sxm", "--n-gpus", 64)
    _one_line_exit_2(r, "top_k (257) exceeds n_routed_experts (256)")
    arch = _dsv3_arch()
    arch["moe"]["n_routed_experts"] = 10**12  # hung perf: divisors counted one by one
    f.write_text(_arch_toml(arch))
    r = invoke(cmd, "--architecture", f, "--gpu", "h800-sxm", "--n-gpus", 64)
    _one_line_exit_2(r, "moe.n_routed_experts = 1000000000000 exceeds")


LAYOUTS = [
    # tp above the GPU count: 8 GPUs cannot hold tp=16
    (["--n-gpus", 8, "--tp", 16, "--pp", 1, "--ep", 8], "--n-gpus: 8 is not allowed"),
    # tp·pp·cp does not divide the GPUs
    (["--n-gpus", 2048, "--tp", 1, "--pp", 7], "must be a multiple of tp·pp·cp = 7"),
    (["--n-gpus", 2048, "--tp", 2, "--pp", 16, "--dp", 3], "--dp: 3 is not allowed"),
    # ep not dividing the 256 routed experts
    (["--n-gpus", 2048, "--ep", 3], "--ep: 3 is not allowed; must divide the 256 routed"),
    (["--n-gpus", 2048, "--micro-batch", 0], "--micro-batch: 0 is not allowed"),
    (["--n-gpus", 2048, "--seq-len", 0], "--seq-len: 0 is not allowed"),
    (["--n-gpus", 2048, "--cp", 3], "--cp: 3 is not allowed; must divide seq-len 4096"),
]


@pytest.mark.parametrize("args, needle", LAYOUTS, ids=lambda x: str(x)[:40])
def test_absurd_layouts_are_one_line_exit_2(args, needle, invoke):
    r = invoke("perf", "--run", "deepseek-v3", "--gpu", "h800-sxm", *args)
    _one_line_exit_2(r, needle)


@pytest.mark.parametrize("seq_len", [1, 512, 10**7])
@pytest.mark.parametrize("cmd", ["perf", "plan"])
def test_extreme_sequence_lengths_never_crash(cmd, seq_len, invoke):
    # plan --seq-len below 1,024 searched no context-parallel degree at all and crashed
    # on an empty array (exit 1, "internal error")
    r = invoke(cmd, "--run", "llama-3.1-405b", "--gpu", "h100-sxm", "--n-gpus", 128,
               "--seq-len", seq_len)  # fmt: skip
    assert r.code in (0, 2), (r.code, r.err)
    assert "Traceback" not in r.err and "internal error" not in r.err, r.err
    if r.code == 2:
        assert len(r.err.strip().splitlines()) == 1, r.err


def test_plan_over_a_huge_search_space_is_refused_before_it_is_built(invoke, tmp_path):
    import time
    import tracemalloc

    from costmodel.perf.search import MAX_LAYOUTS, candidate_layouts

    arch = _dsv3_arch()
    arch["moe"]["n_routed_experts"] = 2**24  # 25 expert-parallel degrees
    arch["n_heads"] = 2**10
    a = costmodel.Architecture(**arch)
    n = 2**40  # every power of two divides it: the largest space
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=r"--n-gpus: .* candidate layouts, more than the"):
        candidate_layouts(a, n, seq_len=4096, domain=1024)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.perf_counter() - t0 < 10 and peak < 50e6, peak
    # the real spaces stay under the cap: DeepSeek-V3 on a GPU count with many divisors
    real = costmodel.Architecture(**_dsv3_arch())
    assert (
        0
        < len(candidate_layouts(real, 2**30 * 3**5, seq_len=4096, domain=72)["tp"])
        <= (MAX_LAYOUTS)
    )
    f = tmp_path / "wide.toml"
    f.write_text(_arch_toml(arch))
    r = invoke("plan", "--architecture", f, "--gpu", "h800-sxm", "--n-gpus", n)
    assert r.code in (0, 2) and "Traceback" not in r.err, r.err


# ---------------------------------------------------------------- item 14: the overflow


def test_sobol_indices_of_outputs_near_the_float_limit_do_not_overflow():
    # the CLI fuzz's `sensitivity --tokens 6.5e158` gave costs near 1e158 USD whose squares
    # overflowed in np.var: a RuntimeWarning, then an error under the fuzz's filter. The
    # indices are ratios of variances, so scaling the output changes none of them:
    # f = u0 + 2·u1 has S1 = (1/12, 4/12) / (5/12) = (0.2, 0.8) at any scale.
    from costmodel.analysis.sobol import sobol_indices

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = sobol_indices(lambda u: 1e158 * (u[:, 0] + 2 * u[:, 1]), 2, 1024, rng=0, n_boot=20)
    np.testing.assert_allclose(r["S1"], [0.2, 0.8], atol=0.02)
    np.testing.assert_allclose(r["ST"], [0.2, 0.8], atol=0.02)
    small = sobol_indices(lambda u: u[:, 0] + 2 * u[:, 1], 2, 1024, rng=0, n_boot=20)
    np.testing.assert_allclose(r["S1"], small["S1"], rtol=1e-9)
    assert small["variance"] == pytest.approx(5 / 12, rel=0.02)
