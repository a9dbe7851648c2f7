"""A new user's first hour (issue 9, items 8, 11-13, 15, 17, 20, 21): install lines that
install our code, defaults instead of dead ends, every missing input named at once, the MFU
basis always stated, output that fits the terminal, consistent help, and a Python API that
speaks Python."""

import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Ours on the package index; ``costmodel`` there is an unrelated Flask application
#: (checked with ``pip download --no-deps costmodel==0.2.0``: "A cost model application
#: with a Flask web interface"), and ``costmodel-ai`` had no release when it was chosen.
DIST = "costmodel-ai"


# ---------------------------------------------------------------- item 21: the name
def _pip_install_targets(text: str) -> list[str]:
    """Every requirement a ``pip install`` line in ``text`` names (flags dropped)."""
    targets = []
    for m in re.finditer(r"pip install ([^\n`]*)", text):
        try:
            words = shlex.split(m.group(1).split("#")[0].split("&&")[0])
        except ValueError:
            words = m.group(1).split()
        for w in words:  # requirements run until prose starts ("..., or ...")
            end = w.strip("\"'").endswith((",", ";", ")", ":"))
            w = w.strip("\"'").rstrip(",;):").strip("\"'")
            if w and not w.startswith("-"):
                targets.append(w)
            if end:
                break
    return targets


def _ours(target: str) -> bool:
    base = re.split(r"[\[<>=!~ ;]", target, maxsplit=1)[0]
    local = base in (".", "..") or base.startswith(("./", "../", "/"))
    return local or base.lower().replace("_", "-") == DIST


def test_distribution_name_is_ours():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["name"] == DIST
    assert meta["requires-python"] == ">=3.11"
    assert "pandas" in meta["optional-dependencies"]


def test_install_target_checker_rejects_the_taken_name():
    # the checker itself: the README line this issue found must fail it
    assert _pip_install_targets('pip install "costmodel[plot]"') == ["costmodel[plot]"]
    assert not _ours("costmodel[plot]") and not _ours("costmodel")
    assert _ours(".[plot]") and _ours("costmodel-ai[plot]") and _ours("costmodel_ai")


@pytest.mark.parametrize(
    "doc", ["README.md", "docs/cli.md", "docs/methodology.md", "costmodel/render/plots.py"]
)
def test_docs_never_install_a_name_that_is_not_ours(doc):
    path = ROOT / doc
    if not path.exists():  # moved by a restructure: the README still counts
        pytest.skip(f"{doc} not present")
    targets = _pip_install_targets(path.read_text())
    bad = [t for t in targets if not _ours(t)]
    assert not bad, f"{doc} tells users to install {bad}"


def test_readme_states_python_and_a_venv_and_common_questions():
    text = (ROOT / "README.md").read_text()
    first = re.search(r"```sh\n(.*?)```", text, flags=re.S).group(1).splitlines()
    assert first == [
        "python -m pip install . && costmodel check deepseek-v3",
        'python -m pip install -e ".[test]" && python -m pytest',
    ]
    assert "Python ≥ 3.11" in text
    assert "python3 -m venv" in text
    qa = text.split("## Common questions", 1)[1].split("\n## ", 1)[0]
    for needle in ("run cost", "N GPUs", "MFU", "fine-tun"):
        assert needle.lower() in qa.lower(), needle


# ---------------------------------------------------------------- item 15: terminal width
TYPICAL = [
    "estimate --active-params 37B --tokens 14.8T --gpu h800-sxm --precision bf16 --mfu 0.35 "
    "--price-usd-per-gpu-hour 2 --n-gpus 2048",
    "estimate --run deepseek-v3 --flop-convention megatron --ownership",
    "estimate --active-params 70B --tokens 15T --gpu h100-sxm --n-gpus 4096",
    "estimate --params 7B --tokens 2T",
    "check deepseek-v3",
    "check llama-3.1-405b",
    "check --gpu h800-sxm --gpu-hours 250K --tokens 14.8T --active-params 37B",
    "solve --budget-usd 6M --compute-optimal --gpu h100-sxm --price-usd-per-gpu-hour 2",
    "solve --budget-usd 6M --unknown mfu --active-params 37B --tokens 14.8T --gpu h800-sxm",
    "sensitivity --run deepseek-v3 --samples 256 --bootstrap 20",
    "backtest",
    "gpus",
    "gpus h800-sxm",
    "presets",
    "presets runs",
    "presets claims deepseek-v3",
    "export-control h800-sxm",
    "export-control h20",
    "perf --run llama-3.1-405b --gpu h100-sxm --n-gpus 8192 --tp 8 --pp 16",
    "plan --run llama-3.1-405b --gpu h100-sxm --n-gpus 1024",
    "--help",
    *[f"{c} --help" for c in ("estimate", "check", "solve", "sweep", "sensitivity")],
    *[f"{c} --help" for c in ("perf", "plan")],
    *[f"{c} --help" for c in ("backtest", "gpus", "presets", "export-control")],
]


@pytest.mark.parametrize("line", TYPICAL, ids=lambda s: s[:40])
def test_typical_output_fits_100_columns(invoke, line):
    # CliRunner's stdout is not a terminal, so the width is the documented default, 100
    r = invoke(*shlex.split(line))
    assert r.code == 0, r.err
    long = [x for x in r.out.splitlines() if len(x) > 100]
    assert not long, f"{len(long)} lines over 100 characters, e.g. {long[0]!r}"


def test_wide_table_switches_to_stacked_layout():
    from costmodel.render.report import table

    rows = [["h800-sxm", "x" * 40, "y" * 40], ["h20", "1", "2"]]
    wide = table(rows, ["gpu", "first", "second"], width=60)
    assert max(map(len, wide.splitlines())) <= 60
    assert "first: " + "x" * 40 in wide and "second: 2" in wide  # each cell named
    narrow = table(rows, ["gpu", "first", "second"], width=200)
    assert "first: " not in narrow and len(narrow.splitlines()) == 4  # header, rule, 2 rows


def test_prose_wraps_under_its_indentation():
    from costmodel.render.report import fit_width

    text = "  - " + " ".join(["word"] * 60)
    out = fit_width(text, 50).splitlines()
    assert len(out) > 1 and all(len(x) <= 50 for x in out)
    assert out[0].startswith("  - ") and all(x.startswith("    ") for x in out[1:])


# ---------------------------------------------------------------- item 8: --quantiles
def test_quantiles_returns_what_was_asked_plus_the_stable_keys(invoke):
    r = invoke(
        "estimate", "--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800-sxm",
        "--precision", "bf16", "--mfu", "0.25..0.45", "--price-usd-per-gpu-hour", "2",
        "--samples", "2000", "--quantiles", "0.1,0.9", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    d = r.json()
    assert set(d["quantiles"]["cost_usd"]) == {"p05", "p10", "p50", "p90", "p95"} | {
        "mean",
        "stderr",
        "n",
    }
    # the JSON says which probabilities were asked for and which are always there
    assert d["samples"]["probabilities"] == {"stable": [0.05, 0.5, 0.95], "requested": [0.1, 0.9]}
    # cost ∝ 1/mfu with mfu ~ uniform(0.25, 0.45): p10 of cost is the cost at mfu's p90
    # (0.43), p90 at its p10 (0.27); 2,000 samples put the quantiles within ~1%
    q = d["quantiles"]["cost_usd"]
    cost_at_035 = d["cost_usd"] * d["mfu"] / 0.35
    assert q["p10"] == pytest.approx(cost_at_035 * 0.35 / 0.43, rel=0.02)
    assert q["p90"] == pytest.approx(cost_at_035 * 0.35 / 0.27, rel=0.02)


def test_quantiles_help_documents_the_stable_keys(invoke):
    text = " ".join(invoke("estimate", "--help").out.split())
    assert "p05, p50, p95, mean and stderr are always reported" in text


# ---------------------------------------------------------------- item 17: help
def _commands():
    from costmodel.cli import cli

    return {n: cli.get_command(None, n) for n in cli.list_commands(None)}


def test_samples_is_one_quantity_with_one_default_everywhere():
    seen = {}
    for name, cmd in _commands().items():
        for p in cmd.params:
            if p.name == "samples":
                seen[name] = (p.type.name, p.default)
    assert set(seen) >= {"estimate", "sensitivity", "solve", "check"}
    assert set(seen.values()) == {("quantity", "20000")}, seen


def test_qmc_and_mc_have_one_polarity_and_target_is_everywhere():
    for name, cmd in _commands().items():
        opts = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
        if "--mc" in opts or "--qmc" in opts:
            (p,) = [p for p in cmd.params if "--qmc" in p.opts]
            assert p.secondary_opts == ["--mc"], name
        if name in ("sensitivity", "sweep"):
            assert "--target" in opts, name
    assert "--qmc" in {o for p in _commands()["sensitivity"].params for o in p.opts}


def test_distribution_syntax_is_explained_once(invoke):
    top = invoke("--help").out
    for spelling in ("0.25..0.45", "loguniform:1,4", "tri:0.2,0.35,0.5", "lognormal:2,1.3"):
        assert spelling in top
    for name in ("estimate", "sensitivity", "solve", "sweep"):
        text = invoke(name, "--help").out
        assert "Accepts distributions" not in text, name
        assert text.count("lognormal:") <= 1, name  # at most in one example


JSON_RUNS = [
    ["gpus"],
    ["gpus", "h800-sxm"],
    ["presets"],
    ["presets", "runs"],
    ["presets", "runs", "deepseek-v3"],
    ["export-control", "h20"],
    ["backtest"],
    ["estimate", "--params", "7B", "--tokens", "2T", "--gpu", "a100-sxm4-80gb", "--samples", "0"],
]


@pytest.mark.parametrize("args", JSON_RUNS, ids=lambda a: " ".join(a)[:30])
def test_every_json_output_has_a_schema(invoke, args):
    r = invoke(*args, "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert isinstance(d, dict) and d["schema"].startswith("costmodel."), d if not d else None


# ---------------------------------------------------------------- item 11: defaults
H800_MARKET = (1.99, 4.916)  # presets/prices/h800-sxm.toml rental range (p05, p95)


def test_sensitivity_of_a_run_just_works(invoke):
    r = invoke("sensitivity", "--run", "deepseek-v3", "--samples", "256", "--bootstrap", "0")
    assert r.code == 0, r.err
    assert "price_usd_per_gpu_hour not given, so the market price" in " ".join(r.out.split())
    r = invoke(
        "sensitivity", "--run", "deepseek-v3", "--samples", "256", "--bootstrap", "0", "--json"
    )
    d = r.json()
    assert set(d["uncertain_inputs"]) == {"mfu", "price_usd_per_gpu_hour"}
    # a price does not drive GPU-hours, so it is not defaulted in for that target
    r = invoke(
        "sensitivity", "--run", "deepseek-v3", "--target", "gpu_hours", "--samples", "256",
        "--bootstrap", "0", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.json()["uncertain_inputs"] == ["mfu"]


def test_solve_just_works_without_a_price(invoke):
    r = invoke(
        "solve", "--budget-usd", "6M", "--unknown", "mfu", "--active-params", "37B",
        "--tokens", "14.8T", "--gpu", "h800-sxm", "--precision", "bf16", "--samples", "0",
        "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    d = r.json()
    # closed form: mfu = 6·N·D / (peak · 3600 · budget / price) at the market median price,
    # the geometric mean of the range's 5th and 95th percentiles (a lognormal's median)
    price = (H800_MARKET[0] * H800_MARKET[1]) ** 0.5
    hours = 6e6 / price
    expected = 6 * 37e9 * 14.8e12 / (989.4e12 * 3600 * hours)
    assert d["value"] == pytest.approx(expected, rel=1e-3)  # peak rounded to 989.4 in the test
    assert any("price_usd_per_gpu_hour not given" in a for a in d["assumptions"])


def test_estimate_defaults_price_and_pue_and_lists_them():
    import costmodel

    e = costmodel.estimate(
        active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16", mfu=0.35
    )
    acc = costmodel.catalog().accelerators["h800-sxm"]
    # market median: geometric mean of the sourced p05/p95
    assert e.cost_usd == pytest.approx(e.gpu_hours * (1.99 * 4.916) ** 0.5, rel=1e-9)
    # Epoch AI energy: hours · TDP · server factor · 0.75 average draw · PUE 1.25
    kw = acc.tdp_w / 1000 * acc.server_power_factor * 0.75 * 1.25
    assert e.energy_kwh == pytest.approx(e.gpu_hours * kw, rel=1e-9)
    text = " ".join(e.assumptions)
    assert "price_usd_per_gpu_hour not given" in text and "pue not given: 1.25" in text
    # an explicit price or PUE is used as given, with no default note
    e2 = costmodel.estimate(
        active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16", mfu=0.35,
        price_usd_per_gpu_hour=2, pue=1.1,
    )  # fmt: skip
    assert e2.cost_usd == pytest.approx(2 * e2.gpu_hours)
    assert not any("not given" in a and ("price" in a or "pue" in a) for a in e2.assumptions)


def test_distributions_are_sampled_unless_samples_is_zero(invoke):
    base = ["estimate", "--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800-sxm",
            "--precision", "bf16", "--price-usd-per-gpu-hour", "2", "--json"]  # fmt: skip
    d = invoke(*base, "--mfu", "0.25..0.45").json()
    assert d["samples"]["n"] == 20_000 and d["quantiles"]["cost_usd"]["n"] == 20_000
    d0 = invoke(*base, "--mfu", "0.25..0.45", "--samples", "0").json()
    assert d0["quantiles"] == {} and "samples" not in d0
    # every input fixed: nothing to sample, the point estimate only
    d1 = invoke(*base, "--mfu", "0.35").json()
    assert d1["quantiles"] == {}


# ---------------------------------------------------------------- item 12: missing inputs
def test_bare_estimate_names_every_missing_input_at_once(invoke):
    r = invoke("estimate")
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    for flag in ("--tokens", "--active-params", "--gpu"):
        assert flag in lines[0]
    assert "nothing to estimate" in lines[0]


def test_partial_estimate_shows_what_it_can_and_lists_the_rest_once(invoke):
    r = invoke("estimate", "--params", "7B", "--tokens", "2T")
    assert r.code == 0, r.err
    assert "n/a" not in r.out
    assert [x.split()[0] for x in r.out.splitlines() if x.strip().startswith("--")] == [
        "--gpu",
        "--n-gpus",
        "--grid-kg-co2e-per-kwh",
    ]
    d = invoke("estimate", "--params", "7B", "--tokens", "2T", "--json").json()
    assert d["model_flop"] == pytest.approx(6 * 7e9 * 2e12)  # 6ND, Kaplan et al. 2020
    assert d["missing_inputs"] == {
        "gpu": ["gpu_hours", "wall_clock_days", "cost_usd", "energy_kwh", "co2e_kg"],
        "n_gpus": ["wall_clock_days"],
        "grid_kg_co2e_per_kwh": ["co2e_kg"],
    }


def test_library_estimate_with_nothing_to_compute_raises_one_error():
    import costmodel
    from costmodel.errors import MissingInputError

    with pytest.raises(
        MissingInputError, match=r"give active_params \(or params, or run\) and gpu"
    ):
        costmodel.estimate(tokens=1e12)


# ---------------------------------------------------------------- item 13: MFU basis
def test_mfu_basis_in_json_and_table(invoke):
    args = ["estimate", "--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800-sxm",
            "--precision", "bf16", "--mfu", "0.35", "--price-usd-per-gpu-hour", "2"]  # fmt: skip
    b = invoke(*args, "--json").json()["mfu_basis"]
    # H800 SXM dense BF16: 1,979 TFLOP/s with 2:4 sparsity in NVIDIA's datasheet, halved
    assert b["precision"] == "bf16" and b["peak_flop_per_s"] == pytest.approx(989.4e12)
    assert b["precision_source"] == "given" and b["mfu_source"] == "given"
    out = invoke(*args).out
    assert "MFU vs bf16 dense peak" in out and "989.4 TFLOP/s" in out


def test_run_preset_switch_to_mixed_precision_is_in_the_output(invoke):
    # the run precision's own (blended) peak as the MFU basis, as before --mfu-basis existed
    args = ["estimate", "--run", "deepseek-v3", "--samples", "0", "--mfu-basis", "blended"]
    out = " ".join(invoke(*args).out.split())
    assert "mixed (from the run preset deepseek-v3)" in out
    assert "MFU vs blended FP8/BF16 peak" in out
    d = invoke(*args, "--json").json()
    b = d["mfu_basis"]
    assert b["precision"] == "mixed" and b["precision_source"] == "the run preset deepseek-v3"
    # DESIGN: mixed peak = 1 / (f/P_fp8 + (1-f)/P_bf16), H800 dense 1,978.9 and 989.4 TFLOP/s
    f = b["fp8_fraction"]
    assert b["peak_flop_per_s"] == pytest.approx(1 / (f / 1978.9e12 + (1 - f) / 989.4e12))
    assert d["mfu"] * b["peak_flop_per_s"] == pytest.approx(
        d["model_flop"] / (d["gpu_hours"] * 3600)
    )


# ---------------------------------------------------------------- item 20: Python API
def test_python_messages_name_parameters_not_flags():
    import costmodel
    from costmodel.errors import MissingInputError

    e = costmodel.estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", mfu=0.35)
    text = str(e)
    assert "n_gpus" in text and "--" not in text
    with pytest.raises(MissingInputError, match=r"fp8_fraction=0\.85") as err:
        costmodel.estimate(active_params=37e9, tokens=1e12, gpu="h800-sxm", precision="mixed")
    assert "--" not in str(err.value)


def test_cli_messages_name_flags(invoke):
    r = invoke("estimate", "--active-params", "37B", "--tokens", "1T", "--gpu", "h800-sxm",
               "--precision", "mixed")  # fmt: skip
    assert r.code == 2 and "--fp8-fraction 0.85" in r.err


def test_to_pandas_with_and_without_pandas(monkeypatch):
    import costmodel
    from costmodel.errors import CostModelError, OptionalDependencyError

    pd = pytest.importorskip("pandas")
    e = costmodel.estimate(active_params=[7e9, 70e9], tokens=1e12, gpu="h100-sxm", mfu=0.4)
    df = e.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == 2
    assert df["gpu_hours"].tolist() == pytest.approx(list(e.gpu_hours))
    sc = costmodel.Scenario(active_params=7e9, tokens=1e12, gpu="h100-sxm")
    s = costmodel.simulate(sc, 100, rng=0)
    assert len(s.to_pandas()) == 100

    monkeypatch.setitem(__import__("sys").modules, "pandas", None)  # as if not installed
    for call in (e.to_pandas, s.to_pandas):
        with pytest.raises(OptionalDependencyError, match=r"costmodel-ai\[pandas\]") as err:
            call()
        assert isinstance(err.value, ImportError) and isinstance(err.value, CostModelError)


def test_sensitivity_and_solve_state_the_mfu_basis(invoke):
    # a given mfu is read on --mfu-basis (the prior's draws are on the 16-bit peak whatever
    # the basis: tests/test_i19_plots.py)
    r = invoke("sensitivity", "--run", "deepseek-v3", "--samples", "64", "--bootstrap", "0",
               "--mfu", "0.2..0.4", "--mfu-basis", "blended")  # fmt: skip
    assert r.code == 0, r.err
    want = "mfu p05 → p95 are fractions of the blended FP8/BF16 dense peak"
    assert want in " ".join(r.out.split())
    r = invoke(
        "solve", "--budget-usd", "6M", "--unknown", "mfu", "--active-params", "37B",
        "--tokens", "14.8T", "--gpu", "h800-sxm", "--samples", "0",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "bf16 dense peak of h800-sxm, 989.4 TFLOP/s" in r.out


def test_perf_states_the_peaks_its_mfus_divide_by(invoke):
    args = ["perf", "--run", "llama-3.1-405b", "--gpu", "h100-sxm", "--n-gpus", "8192",
            "--tp", "8", "--pp", "16"]  # fmt: skip
    d = invoke(*args, "--json").json()
    b = d["mfu_basis"]
    # H100 SXM dense BF16: 1,979 TFLOP/s with sparsity in NVIDIA's datasheet, halved
    assert b["precision"] == "bf16" and b["peak_flop_per_s"] == pytest.approx(989.4e12)
    assert d["mfu"] * b["peak_flop_per_s"] == pytest.approx(d["model_flop_per_s_per_gpu"])
    assert "MFU basis: bf16 dense peak, 989.4 TFLOP/s" in invoke(*args).out
