"""A claim is ranked only against published runs whose hours have a comparable scope
(issue 12, item 1; helper brief item 3): the DeepSeek-V3 pre-training hours are the work of
its 14.8T tokens, so runs whose hours also count post-training (Llama 3.1: "total GPU time
for training"), a distillation teacher's logits (Llama 3.2 1B/3B) or an assumed throughput
(GPT-3) are not like with like. Scopes are read from the raw TOML files here."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import costmodel
from costmodel.claims.compare import comparison
from costmodel.data import store

RUNS = Path(costmodel.__file__).resolve().parent.parent / "presets" / "runs"
#: written out, not imported: the closed-list scopes whose hours measure the stated tokens
COMPARABLE = {"final_pretraining", "all_pretraining", "wall_clock_span"}


def _raw_scopes() -> dict[str, str]:
    out = {}
    for path in sorted(RUNS.glob("*.toml")):
        r = tomllib.loads(path.read_text(encoding="utf-8"))
        rep = r.get("reported", {})
        if "gpu_hours" in rep and "tokens" in r:
            out[r["id"]] = rep["hours_scope"]
    return out


@pytest.fixture(scope="module")
def v3():
    run = store.get("runs", "deepseek-v3")
    acc = store.get("accelerators", run.gpu)
    # DeepSeek-V3's 6ND utilization of the H800 BF16 peak: 37B x 14.8T / (2.664M h x 989.4T)
    implied = 6 * 37e9 * 14.8e12 / (2.664e6 * 3600 * 989.4e12)
    return comparison(run, acc, implied)


def test_only_comparable_scopes_are_ranked(v3):
    scopes = _raw_scopes()
    ranked = {r["id"] for r in v3["runs"]}
    assert ranked == {i for i, s in scopes.items() if s in COMPARABLE} - {"deepseek-v3"}
    # the runs the issue names as non-comparable are out of the ranking and listed
    for rid in ("llama-3.2-1b", "llama-3.2-3b", "llama-3.1-405b", "gpt-3"):
        assert rid not in ranked
        assert rid in {r["id"] for r in v3["excluded"]}
    assert v3["n_runs"] == len(ranked)


def test_every_row_states_its_scope(v3):
    scopes = _raw_scopes()
    for key in ("runs", "nearest", "nearest_same_family", "excluded"):
        for r in v3[key]:
            assert r["hours_scope"] == scopes[r["id"]], (key, r["id"])
    assert all(r["hours_scope"] not in COMPARABLE for r in v3["excluded"])
    assert v3["claim_hours_scope"] == scopes["deepseek-v3"] == "final_pretraining"
    assert v3["like_with_like"] is True


def test_percentile_counts_comparable_runs_only(v3):
    # Llama 3.2 1B's "utilization" (5%, hours include distillation) would sit below any
    # claim; it must not count towards the percentile
    below = sum(r["mfu"] < v3["implied_mfu"] for r in v3["runs"])
    assert v3["percentile"] == pytest.approx(below / len(v3["runs"]), abs=1e-12)
    assert min(r["mfu"] for r in v3["runs"]) > 0.06
