"""The January 2026 China licence policy (issue 9, item 3): 91 FR 1684 covers only items
commercially available in the US when it was published, exported from the US, with testing,
certification and volume conditions. The thresholds alone never make a chip "eligible"."""

import pytest

import costmodel
from costmodel.claims.check import check
from costmodel.claims.export_control import classify

MEETS = "meets the numeric thresholds; other conditions apply"


@pytest.mark.parametrize("gpu", ["h800-sxm", "h800-pcie", "a800-sxm4-80gb", "a800-pcie-80gb"])
def test_china_market_variants_are_not_covered(gpu):
    # each meets TPP < 21,000 and bandwidth < 6,500 GB/s (hardware.md s3.4) but was never
    # sold in the US, so the presumption of denial stands
    c = classify(gpu, "2026-01")
    assert c.metrics["tpp"] < 21000 and c.metrics["memory_bandwidth_gb_per_s"] < 6500
    assert c.status == "not eligible"
    assert "not commercially available in the US on 2026-01-15" in c.reason
    acc = costmodel.catalog().accelerators[gpu]
    assert (
        acc.us_commercially_available is False and "China" in acc.us_commercially_available_source
    )


def test_never_a_bare_eligible():
    for gpu in costmodel.catalog().accelerators:
        for rule in ("2022-10", "2023-10", "2026-01"):
            c = classify(gpu, rule)
            assert c.status != "case-by-case eligible"
            assert "eligible" not in c.status or c.status == "not eligible"
            if c.status == MEETS:  # the conditions the catalog cannot check are named
                assert "re-exports" in c.reason and "testing" in c.reason
                assert "commercially available in the US" in c.reason


def test_availability_unknown_is_indeterminate():
    # TPU v5p meets both thresholds (TPP 7,344; 2,765 GB/s); Google sells it as a cloud
    # service only, and the catalog does not decide whether that is commercial availability
    c = classify("tpu-v5p", "2026-01")
    assert c.status == "indeterminate" and "not in the catalog" in c.reason


def test_availability_needs_a_source():
    from pydantic import ValidationError

    from costmodel.data.schemas import Accelerator

    entry = costmodel.catalog().accelerators["h100-sxm"].model_dump()
    entry["us_commercially_available_source"] = ""
    with pytest.raises(ValidationError, match="us_commercially_available_source"):
        Accelerator.model_validate(entry)


def test_deepseek_check_hardware_section():
    ec = check("deepseek-v3").to_dict()["hardware"]["export_control"]["2026-01"]
    assert ec["status"] == "not eligible" and ec["controlled"] is None
