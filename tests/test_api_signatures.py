"""The public entry points have explicit, typed, keyword-only parameters (issue 10, item 3):
an IDE, ``help()`` and a type checker see the glossary inputs, in the glossary's order."""

from __future__ import annotations

import inspect
import pydoc
import re

import pytest

import costmodel

#: The scenario inputs in the order of DESIGN.md's glossary (inputs first, then the
#: hardware, utilization, cluster, price, energy and ownership inputs, then the options).
SCENARIO_INPUTS = [
    "params",
    "active_params",
    "tokens",
    "gpu",
    "precision",
    "mfu",
    "goodput",
    "n_gpus",
    "price_usd_per_gpu_hour",
    "fp8_fraction",
    "pue",
    "usd_per_kwh",
    "grid_kg_co2e_per_kwh",
    "ownership",
    "server_usd_per_gpu",
    "depreciation_oom_per_year",
    "run",
    "architecture",
    "flop_convention",
    "recompute",
    "mtp",
    "seq_len",
    "mfu_basis",
]
DEFAULTS = {
    "ownership": False,
    "flop_convention": "6nd",
    "recompute": "none",
    "mtp": False,
    "mfu_basis": "16bit",
}
ENTRY_POINTS = ["estimate", "sensitivity", "sweep", "solve", "check", "backtest"]


def _params(name: str) -> list[inspect.Parameter]:
    return list(inspect.signature(getattr(costmodel, name)).parameters.values())


def test_estimate_lists_the_glossary_inputs_first():
    names = [p.name for p in _params("estimate")]
    assert names[:6] == ["params", "active_params", "tokens", "gpu", "precision", "mfu"]
    assert names == [*SCENARIO_INPUTS, "samples", "rng", "qmc", "quantiles"]


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_entry_points_are_typed_without_catch_all_keywords(name):
    for p in _params(name):
        assert p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL), f"{name}(**{p.name})"
        assert p.annotation is not p.empty, f"{name}: {p.name} has no type"
        assert p.default is not p.empty or name in ("sweep", "check"), (name, p.name)
        if p.name != "output" and p.name != "grid" and p.name != "claim":
            assert p.kind is p.KEYWORD_ONLY, f"{name}: {p.name} is not keyword-only"


@pytest.mark.parametrize("name", ["estimate", "sensitivity", "sweep", "solve"])
def test_scenario_inputs_same_order_and_defaults_everywhere(name):
    params = {p.name: p for p in _params(name)}
    got = [n for n in params if n in SCENARIO_INPUTS]
    assert got == SCENARIO_INPUTS
    for n in SCENARIO_INPUTS:
        assert params[n].default == DEFAULTS.get(n), (name, n, params[n].default)


def test_help_documents_every_parameter_with_units():
    text = pydoc.render_doc(costmodel.estimate, renderer=pydoc.plaintext)
    assert "active_params: 'Quantity' = None" in text
    doc = costmodel.estimate.__doc__
    documented = set()
    for line in doc.splitlines():
        m = re.match(r"^    ([a-z_0-9, ]+) :", line)
        if m:
            documented |= {x.strip() for x in m.group(1).split(",")}
    assert set(inspect.signature(costmodel.estimate).parameters) <= documented
    for unit in ("[count]", "[USD/h]", "[kg CO2e/kWh]", "[USD/kWh]", "[1]", "[USD]"):
        assert unit in doc, unit


def test_keyword_arguments_behave_as_before():
    # the same call as a dict and as keywords, and an unknown keyword is a TypeError
    kw = dict(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16", mfu=0.35)
    assert costmodel.estimate(**kw).gpu_hours == pytest.approx(
        6 * 37e9 * 14.8e12 / (989.4e12 * 0.35) / 3600, rel=1e-12
    )  # H800 SXM dense BF16 peak 989.4 TFLOP/s (NVIDIA H100 datasheet, same die)
    with pytest.raises(TypeError):
        costmodel.estimate(**kw, gpus="h800-sxm")
    with pytest.raises(TypeError):
        costmodel.estimate(37e9)
