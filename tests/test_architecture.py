"""Parameter counts against published totals; schema strictness."""

import pytest
from numpy.testing import assert_allclose
from pydantic import ValidationError

from costmodel.data import store
from costmodel.formulas.architecture import Architecture


def test_deepseek_v3_param_counts():
    # DeepSeek-V3 report s4.2: 671B total, 37B activated; README_WEIGHTS: MTP adds 11.5B unique
    pc = store.get("runs", "deepseek-v3").architecture.param_count()
    assert_allclose(pc["total"], 671e9, rtol=0.001)
    assert_allclose(pc["active"], 37e9, rtol=0.02)  # "37B" is rounded; config gives 37.55B
    assert_allclose(pc["mtp"], 11.5e9, rtol=0.02)


def test_llama_31_405b_param_count():
    # Llama 3 paper Table 3: 126 layers, d 16384, 128 heads, 8 KV heads, FFN 53248, V 128K
    a = Architecture(
        n_layers=126,
        d_model=16384,
        n_heads=128,
        n_kv_heads=8,
        ffn_hidden=53248,
        vocab_size=128256,
        seq_len=8192,
    )
    assert_allclose(a.param_count()["total"], 405e9, rtol=0.005)


def test_unknown_key_rejected():
    with pytest.raises(ValidationError, match="extra"):
        Architecture(
            n_layers=2, d_model=64, n_heads=4, ffn_hidden=256, vocab_size=10, seq_len=8, n_layerz=3
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"n_layers": 0},
        {"d_model": -1},
        {"n_kv_heads": 3},
        {"moe": {"n_routed_experts": 4, "top_k": 8, "expert_ffn_hidden": 10}},
    ],
)
def test_invalid_shapes_rejected(bad):
    base = dict(n_layers=2, d_model=64, n_heads=4, ffn_hidden=256, vocab_size=10, seq_len=8)
    with pytest.raises(ValidationError):
        Architecture(**(base | bad))
