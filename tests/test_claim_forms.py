"""A claim's consistency does not depend on how it is written (issue 9, item 2).

The expected numbers are closed forms of the claim's own figures (GPUs × hours × price),
not outputs of the code under test.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costmodel.claims.check import check

BASE = {
    "id": "forms",
    "name": "a claim written several ways",
    "claimant": "a test",
    "date": "2025-01-01",
    "quote": "we trained it on 512 GPUs for 480 hours for $1.2M",
    "kind": "final-run rental-equivalent",
    "scope": "the final training run only",
    "gpu": "h100-sxm",
    "params": 7e9,
    "source": "a test",
    "as_of": "2026-11-28",
}


def _rows(d):
    return [(r["check"], r["ok"], round(r["rel_diff"], 9)) for r in d["consistency"]]


def test_issue_repro_gpus_times_hours_times_price_vs_cost():
    # 512 GPUs × 480 h × $2.5 = $614,400 against a stated $1.2M: -48.8 %, however written
    expected = 512 * 480 * 2.5 / 1.2e6 - 1
    common = BASE | {"n_gpus": 512, "tokens": 1e12, "cost_usd": 1.2e6}
    common["price_usd_per_gpu_hour"] = 2.5
    stage = {"name": "pre-training", "n_gpus": 512, "wall_clock_hours": 480}
    a = check(common | {"stages": [stage]}, samples=1000).to_dict()
    b = check(common | {"gpu_hours": 245760, "stages": [stage]}, samples=1000).to_dict()
    for d in (a, b):
        bad = [r for r in d["consistency"] if not r["ok"]]
        assert [r["check"] for r in bad] == ["GPU-hours × price = cost"]
        assert bad[0]["computed"] == pytest.approx(614_400, rel=1e-12)
        assert bad[0]["rel_diff"] == pytest.approx(expected, rel=1e-12)  # -0.488
        assert d["verdict"]["verdict"] == "optimistic"
    assert a["basis"]["gpu_hours"] == b["basis"]["gpu_hours"] == 512 * 480
    assert any("512 GPUs × 480 h" in x for x in a["derived"])


def test_top_level_gpus_with_a_stage_duration():
    # the cluster size at the top, the duration in the stage: still 512 × 480 GPU-hours
    d = check(
        BASE
        | {
            "n_gpus": 512,
            "tokens": 1e12,
            "cost_usd": 1.2e6,
            "price_usd_per_gpu_hour": 2.5,
            "stages": [{"name": "pre-training", "wall_clock_hours": 480}],
        },
        samples=1000,
    ).to_dict()
    assert d["basis"]["gpu_hours"] == 512 * 480
    assert d["verdict"]["verdict"] == "optimistic"


# The same facts, each written exactly once, in every place and form the schema allows.
HOURS_FORMS = ("gpus x duration", "gpu_hours", "per-trillion-token rate")


def _write(n, w, price, cost, tokens, hours_form, stage_form, cost_at_top, gpus_at_top):
    claim = dict(BASE) | {"price_usd_per_gpu_hour": price}
    stage: dict = {"name": "pre-training"}
    top_or_stage = claim if stage_form == "none" or gpus_at_top else stage
    top_or_stage["n_gpus"] = n
    (claim if stage_form != "stage" else stage)["tokens"] = tokens
    (claim if stage_form == "none" or cost_at_top else stage)["cost_usd"] = cost
    if hours_form == "gpus x duration":
        stage["wall_clock_hours"] = w
    elif hours_form == "gpu_hours":
        (claim if stage_form == "none" else stage)["gpu_hours"] = n * w
    else:
        claim["statements"] = [
            {
                "kind": "gpu_hours_per_trillion_tokens",
                "value": n * w / (tokens / 1e12),
                "source": "the same claim",
            }
        ]
    if len(stage) > 1 or stage_form != "none":
        claim["stages"] = [stage]
    # a claim must state hours or a cost somewhere (schema); cost is always stated here
    return claim


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(
    n=st.integers(8, 20_000),
    w=st.floats(24, 5000),
    price=st.floats(0.5, 10),
    mismatch=st.sampled_from([1.0, 1.01, 0.5, 1.95]),
    tokens=st.floats(1e11, 2e13),
    layout=st.tuples(st.sampled_from(["none", "stage", "mixed"]), st.booleans(), st.booleans()),
)
def test_same_facts_any_form_same_rows_and_verdict(n, w, price, mismatch, tokens, layout):
    cost = n * w * price * mismatch
    results = []
    for hours_form in HOURS_FORMS:
        stage_form, cost_at_top, gpus_at_top = layout
        if hours_form == "gpus x duration" and stage_form == "none":
            stage_form = "mixed"  # a duration lives in a stage
        claim = _write(n, w, price, cost, tokens, hours_form, stage_form, cost_at_top, gpus_at_top)
        d = check(claim, samples=1000).to_dict()
        results.append((hours_form, layout, d))
    first = results[0][2]
    for form, _, d in results[1:]:
        assert _rows(d) == _rows(first), form
        assert d["verdict"]["verdict"] == first["verdict"]["verdict"], form
        assert d["basis"]["gpu_hours"] == pytest.approx(n * w, rel=1e-12)
        assert d["implied_mfu_16bit"] == pytest.approx(first["implied_mfu_16bit"], rel=1e-9)
    bad = [r for r in first["consistency"] if not r["ok"]]
    if abs(mismatch - 1) > 0.02:  # cost = GPUs × hours × price × mismatch: a 2 % tolerance
        assert [r["check"] for r in bad] == ["GPU-hours × price = cost"]
        assert bad[0]["rel_diff"] == pytest.approx(1 / mismatch - 1, rel=1e-9)
        assert first["verdict"]["verdict"] != "consistent"
    else:
        assert not bad


def test_adding_an_exact_redundant_figure_changes_no_mismatch():
    # gpu_hours equal to GPUs × duration adds only agreeing rows
    claim = _write(512, 480, 2.5, 1.2e6, 1e12, "gpus x duration", "stage", True, True)
    plain = check(claim, samples=1000).to_dict()
    claim["gpu_hours"] = 512 * 480
    more = check(claim, samples=1000).to_dict()
    assert [r for r in _rows(more) if not r[1]] == [r for r in _rows(plain) if not r[1]]
    assert all(r[1] for r in _rows(more) if r not in _rows(plain))
    assert more["verdict"]["verdict"] == plain["verdict"]["verdict"] == "optimistic"
