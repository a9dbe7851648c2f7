"""The step breakdown accounts for every second of the step (issue 18, item 4)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.perf import bind, pipeline
from costmodel.perf.result import BREAKDOWN
from costmodel.perf.step import evaluate


def _shape_hw(run: str, gpu: str):
    from costmodel.data import store

    arch = store.get("runs", run).architecture
    hw, _ = bind.hardware(store.get("accelerators", gpu))
    return bind.model_shape(arch), hw


@settings(max_examples=60, deadline=None)
@given(
    tp=st.sampled_from([1, 2, 4, 8]),
    pp=st.sampled_from([1, 2, 4, 8, 16]),
    dp=st.sampled_from([1, 2, 8, 32]),
    ep=st.sampled_from([1, 8, 64]),
    sched=st.integers(0, 2),
    zero=st.integers(0, 3),
    rec=st.integers(0, 2),
    mb=st.sampled_from([1, 2]),
    m=st.integers(1, 64),
    f8=st.sampled_from([0.0, 1.0]),
    run=st.sampled_from(["deepseek-v3", "llama-3.1-405b"]),
)
def test_breakdown_sums_to_step_for_any_layout(tp, pp, dp, ep, sched, zero, rec, mb, m, f8, run):
    shape, hw = _shape_hw(run, "h800-sxm")
    out = evaluate(
        shape,
        hw,
        tp=tp,
        pp=pp,
        dp=dp,
        ep=ep,
        cp=1,
        vpp=2 if sched == 1 else 1,
        schedule=sched,
        zero=zero,
        micro_batch=mb,
        global_batch=m * dp * mb,
        seq_len=4096,
        recompute=rec,
        fp8_linear=f8,
        node_limit=4 if sched == 2 else 0,
    )
    total = sum(float(out[f"bf_{k}"]) for k in BREAKDOWN)
    assert np.isclose(total, float(out["step_time_s"]), rtol=1e-9)
    assert all(float(out[f"bf_{k}"]) >= 0 for k in BREAKDOWN if k != "other_overhead")


def test_deepseek_breakdown_adds_up_and_shows_the_sm_share():
    """DeepSeek-V3's published layout: the components sum to the step, and the compute lost
    to the 20 of 132 SMs lent to communication (V3 report §3.2.2) is shown: it is
    20/112 of the paired micro-batches' compute (closed form)."""
    from costmodel.perf.validation import deepseek_step_components

    r = deepseek_step_components()
    bd = r["breakdown"]
    assert abs(sum(bd.values()) - r["step_time_s"]) < 1e-9 * r["step_time_s"]
    compute = bd["gemm"] + bd["attention"] + bd["memory_bound"]
    n_alone = pipeline.dualpipe_unpaired_microbatches(16, 120)
    assert np.isclose(bd["comm_sm_share"], compute * (120 - n_alone) / 120 * 20 / 112)


def test_dualpipe_unpaired_count_matches_reference_schedule():
    """deepseek-ai/DualPipe ``step`` on rank 0: phases 1-3 run 2(n−1) + 2 + (n−1) forward
    chunks alone (n = p/2), phases 3, 5, 6, 7 as many backward chunks alone."""
    for p in (4, 8, 16, 32):
        n = p // 2
        forwards_alone = 2 * (n - 1) + 2 + (n - 1)
        backwards_alone = (n - 1) + (n - 1) + 2 + (n - 1)
        assert (
            forwards_alone == backwards_alone == pipeline.dualpipe_unpaired_microbatches(p, 10**6)
        )


def test_dualpipe_bubble_reduces_to_table_2_without_communication():
    """Without exposed communication F = t/3, B = 2t/3, W = t/3, F&B = F + B, so the
    DualPipe bubble is (p/2 − 1)(F&B + B − 3W) = (p/2 − 1)·2t/3 (V3 report Table 2)."""
    for p in (2, 4, 16):
        got = pipeline.bubble_time_s(3.0, p, schedule=2)
        assert np.isclose(got, (p / 2 - 1) * 2.0)
