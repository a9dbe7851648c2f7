"""Memory that matches what ran (issue 18, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from costmodel.data import store
from costmodel.perf import bind, layout, memory, validation

ROWS = validation.load_rows(Path(__file__).parent / "data" / "perf_validation_rows.csv")

#: Rows that ran but that the model, counting every documented byte, still finds too big
#: (reported in the issue rather than forced to fit):
#: - DSV3-ISCA-T4-01: FP32 gradient accumulation (V3 §3.3.4) of ~5.6B parameters per GPU
#:   is 22.5 GB under ZeRO-1; DeepSeek does not say how the gradients are sharded.
#: - MBRIDGE-DSV3-01: the Megatron-Bridge H100 recipe recomputes the MoE MLP
#:   (recompute_modules = mla_up_proj, mlp) and keeps BF16 moments; per-module MLP
#:   recomputation is not modelled yet.
#: - LLAMA3-T4-0x: the first stage holds one layer fewer (Llama 3 §3.3.2); the model still
#:   counts ceil(L/p) layers on the busiest stage.
KNOWN_MISSES = {
    "DSV3-ISCA-T4-01",
    "MBRIDGE-DSV3-01",
    "LLAMA3-T4-01",
    "LLAMA3-T4-02",
    "LLAMA3-T4-03",
}


def _evaluate_row(r):
    return validation.evaluate_row(r)


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(
            r,
            id=r["id"],
            marks=pytest.mark.xfail(strict=True, reason="documented miss")
            if r["id"] in KNOWN_MISSES
            else (),
        )
        for r in ROWS
    ],
)
def test_every_validation_row_that_ran_fits(row):
    """Each row is a published run: it ran, so it fit in the accelerator's memory."""
    res, hw = _evaluate_row(row)
    assert float(res["mem_total"]) <= hw.memory_bytes


def test_deepseek_recipe_counts_fp32_gradient_accumulation():
    """DeepSeek-V3 keeps gradients for batch accumulation in FP32 and Adam moments in BF16
    (arXiv 2412.19437 §3.3.4): 4 gradient bytes and 8 optimizer bytes (FP32 master + two
    BF16 moments) per parameter."""
    rec = layout.recipe({"precision": "mixed"})
    assert rec["grad_bytes"] == 4.0
    assert rec["optimizer_bytes"] == 4.0 + 2.0 + 2.0
    res, _ = _evaluate_row(next(r for r in ROWS if r["id"] == "DSV3-ISCA-T4-01"))
    # unsharded under ZeRO-1: gradients are twice the BF16 weights, byte for byte
    assert float(res["mem_gradients"]) == pytest.approx(2.0 * float(res["mem_weights"]))


def test_dualpipe_rank_holds_first_and_last_stage_with_one_mtp_module():
    """DualPipe puts the shallowest layers (embedding) and the deepest (head, MTP) on one
    rank, which shares embedding and head with the MTP module (V3 §3.3.4): two stages of
    layers, the whole embedding/head and the MTP module once."""
    arch = store.get("runs", "deepseek-v3").architecture
    m = bind.model_shape(arch)
    d, e = memory.stage_params(m, tp=1.0, pp=16.0, ep=64.0, schedule=2)
    body = m.params_total - m.params_expert - m.params_embedding
    mtp_exp = m.params_mtp * m.params_expert / (m.params_total - m.params_embedding)
    frac = 4.0 / 61.0  # ceil(61/16) layers of 61
    assert d == pytest.approx(2 * body * frac + (m.params_mtp - mtp_exp) + m.params_embedding)
    assert e == pytest.approx((2 * m.params_expert * frac + mtp_exp) / 64.0)


def test_logits_and_recomputed_layer_do_not_coexist():
    """The fp32 logits are freed after the head's backward, before a layer's backward
    recomputes it: the peak adds the larger of the two, not both (MaxText 22B on TPU v4,
    which ran with full rematerialization, now fits in its 32 GiB)."""
    res, hw = _evaluate_row(next(r for r in ROWS if r["id"] == "MAXTEXT-V4-01"))
    assert float(res["mem_total"]) <= hw.memory_bytes
