"""Catalog and FLOP-count corrections from the domain review (issue 9, item 4)."""

import pytest

import costmodel
from costmodel.claims.check import check

CAT = costmodel.catalog()


def test_tpu_v5p_interconnect_is_bidirectional():
    # Google's TPU v5p page: "Bidirectional inter-chip interconnect (ICI) bandwidth (per
    # chip): 1200 GBps" (docs.cloud.google.com/tpu/docs/v5p-training); 4800 Gbps = 600 GB/s
    # is one direction. The catalog's interconnect figures are all bidirectional.
    v5p = CAT.accelerators["tpu-v5p"]
    assert v5p.interconnect_gb_per_s == 1200
    assert "bidirectional" in v5p.interconnect and "1200" in v5p.source


def _megatron_lm_deepseek_v3(seq_len=4096):
    """Megatron-LM ``num_floating_point_operations`` (megatron/training/training.py,
    transformer_flops with multi_latent_attention, no MTP) per token, for DeepSeek-V3's
    config (arXiv 2412.19437 §4.2): written out here from Megatron-LM's formula."""
    h, heads, qk, pos, v, ql, kvl = 7168, 128, 128, 64, 128, 1536, 512
    layers, dense, moe, ffn, moe_ffn, topk, shared, vocab = 61, 3, 58, 18432, 2048, 8, 2048, 129280
    q_term = ql * (h + heads * (qk + pos) + 1)
    attn = 6 * (
        q_term
        + kvl * (h + heads * (qk + v) + 1)
        + h * pos
        + heads * v * h
        + seq_len * heads * (qk + pos) / 2
        + seq_len * heads * v / 2
    )
    mlp = 6 * h * (ffn * 3 * dense + moe_ffn * topk * 3 * moe + shared * 3 * moe)
    return mlp + attn * layers + 6 * h * vocab


def test_megatron_lm_exact_count_offered():
    b = CAT.runs["deepseek-v3"].architecture.breakdown()
    # Megatron-LM's own count; 1e-5 covers the LayerNorm "+1" terms (3 parts per million)
    assert b.training_megatron_lm == pytest.approx(_megatron_lm_deepseek_v3(), rel=1e-5)
    # the difference is exactly the router: 3 × 58 MoE layers × 2 · 7168 · 256
    assert b.training - b.training_megatron_lm == pytest.approx(3 * 58 * 2 * 7168 * 256)
    assert b.training / b.training_megatron_lm - 1 == pytest.approx(0.0026, abs=5e-5)


def test_megatron_router_is_stated_in_output():
    e = costmodel.estimate(run="deepseek-v3", flop_convention="megatron")
    note = [a for a in e.assumptions if "router" in a and "Megatron-LM" in a]
    assert note and "249.81 GFLOP/token" in note[0] and "+0.26%" in note[0]
    d = check("deepseek-v3").to_dict()
    exact = _megatron_lm_deepseek_v3()
    assert d["flop"]["megatron-lm"]["per_token"] == pytest.approx(exact, rel=1e-5)
    # a dense model has no router, so nothing to say
    e = costmodel.estimate(run="llama-3.1-405b", flop_convention="megatron")
    assert not any("router" in a for a in e.assumptions)


def test_gpt3_hours_come_from_an_assumed_throughput():
    rep = CAT.runs["gpt-3"].reported
    assert rep.assumed_tflop_per_s_per_gpu == 24.6
    # hours = FLOP / throughput: 3.14e23 / (24.6e12 × 3600) = 3.546M vs the 3.552M stored
    # (10,000 × 14.8 days × 24; 14.8 and 24.6 are both rounded to 3 figures: 0.3 %)
    assert rep.gpu_hours == pytest.approx(
        rep.model_flop / (rep.assumed_tflop_per_s_per_gpu * 1e12 * 3600), rel=3e-3
    )
    assert "assumed" in rep.gpu_hours_derivation


def test_opt_model_flop_includes_restarts():
    run = CAT.runs["opt-175b"]
    six_nd = 6 * 175e9 * 300e9  # 3.15e23
    assert run.reported.model_flop / six_nd == pytest.approx(1.365, abs=0.005)
    assert "restart" in run.reported.model_flop_scope
