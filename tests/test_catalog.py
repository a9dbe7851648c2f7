"""Accelerator catalog: every DESIGN id, strict schema, dense peaks, sources."""

import pytest

from costmodel.data import store
from costmodel.errors import UnknownPresetError, UnsupportedPrecisionError

DESIGN_IDS = """v100-sxm2-32gb a100-sxm4-40gb a100-sxm4-80gb a800-sxm4-80gb a800-pcie-80gb
h100-sxm h100-pcie h800-sxm h800-pcie h20 h200-sxm b200 gb200 l40s mi250x mi300x mi325x
tpu-v3 tpu-v4 tpu-v5e tpu-v5p tpu-v6e""".split()


def test_every_design_id_present():
    assert set(DESIGN_IDS) <= set(store.ids("accelerators"))


@pytest.mark.parametrize("gpu", DESIGN_IDS)
def test_each_accelerator_is_sourced_and_sane(gpu):
    a = store.get("accelerators", gpu)
    assert len(a.source) > 20 and a.as_of.year >= 2024
    assert a.memory_gb > 0 and a.memory_bandwidth_tb_per_s > 0
    assert a.precisions, "at least one dense peak"
    p = a.peak_dense_tflop_per_s
    # dense peaks double per halving of precision on these tensor cores; a sparse (2:4)
    # figure copied by mistake would show up as a 4x step (fms-fsdp #89, FlashMLA #75)
    # (3%: the L40S datasheet lists BF16 362.05 next to FP8 733, a 2.02 ratio)
    if "fp8" in p and "bf16" in p:
        assert p["fp8"] / p["bf16"] == pytest.approx(2.0, rel=0.03)
    if "bf16" in p and "tf32" in p and a.vendor == "NVIDIA":
        assert p["bf16"] / p["tf32"] == pytest.approx(2.0, rel=0.02)


def test_hopper_dense_peaks_not_sparse():
    # H100/H800 SXM: BF16 989.4 dense (1979 is the sparse datasheet figure)
    for gpu in ("h100-sxm", "h800-sxm"):
        assert store.get("accelerators", gpu).peak_flop_per_s("bf16") == 989.4e12
        assert store.get("accelerators", gpu).peak_flop_per_s("fp8") == 1978.9e12


def test_h800_differs_from_h100_only_in_link_and_fp64():
    h100, h800 = (store.get("accelerators", g) for g in ("h100-sxm", "h800-sxm"))
    assert h800.interconnect_gb_per_s == 400 and h100.interconnect_gb_per_s == 900
    for p in ("bf16", "fp8", "tf32"):
        assert h800.peak_dense_tflop_per_s[p] == h100.peak_dense_tflop_per_s[p]
    assert h800.peak_dense_tflop_per_s["fp64"] < 2


def test_aliases_resolve():
    assert store.get("accelerators", "H800").id == "h800-sxm"
    assert store.get("accelerators", "a100").id == "a100-sxm4-80gb"


def test_unknown_gpu_suggests_close_match():
    with pytest.raises(UnknownPresetError, match="did you mean h800-sxm"):
        store.get("accelerators", "h800-sx")


def test_precision_the_gpu_lacks():
    with pytest.raises(
        UnsupportedPrecisionError,
        match="a100-sxm4-80gb has no published dense fp8 peak; available: .*bf16",
    ):
        store.get("accelerators", "a100-sxm4-80gb").peak_flop_per_s("fp8")
