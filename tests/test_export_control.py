"""Export-control metrics and classification, computed from the catalog."""

import pytest

from costmodel.claims.export_control import classify, metrics
from costmodel.data import store


def test_tpp_is_max_dense_rate_times_bits():
    # H100 SXM: FP8 1978.9 dense × 8 bits = 15,831 (hardware.md s3.4: 15,832 from 1,979)
    assert metrics(store.get("accelerators", "h100-sxm"))["tpp"] == pytest.approx(1978.9 * 8)
    # A100: BF16 312 × 16 = INT8 624 × 8 = 4,992
    assert metrics(store.get("accelerators", "a100-sxm4-80gb"))["tpp"] == pytest.approx(4992)
    # H20: 148 × 16 = 296 × 8 = 2,368; PD = 2,368 / 814 mm² = 2.91
    m = metrics(store.get("accelerators", "h20"))
    assert m["tpp"] == pytest.approx(2368) and m["performance_density"] == pytest.approx(
        2.91, abs=0.005
    )


@pytest.mark.parametrize(
    "gpu,r2022,r2023",
    [
        ("h800-sxm", "not 3A090", "3A090.a"),  # NVLink 400 < 600 GB/s; TPP 15,832
        ("a800-sxm4-80gb", "not 3A090", "3A090.a"),  # NVLink 400 < 600; TPP 4,992 >= 4,800
        ("h100-sxm", "3A090.a", "3A090.a"),
        ("a100-sxm4-80gb", "3A090.a", "3A090.a"),
        ("h20", "not 3A090", "not 3A090"),  # TPP 2,368 < 2,400 and PD 2.91 < 3.2
        ("v100-sxm2-32gb", "not 3A090", "not 3A090"),
        ("l40s", "not 3A090", "3A090.a"),  # PCIe only in 2022; TPP 5,864 in 2023
    ],
)
def test_classifications(gpu, r2022, r2023):
    assert classify(gpu, "2022-10").status == r2022
    assert classify(gpu, "2023-10").status == r2023


def test_reasons_name_the_threshold():
    assert "interconnect GB/s 400 is not >= 600" in classify("h800-sxm", "2022-10").reason
    assert "TPP 2,368 is not >= 2400" in classify("h20", "2023-10").reason


def test_unknown_metric_is_indeterminate():
    # TPU v4: TPP 4,400 could be 3A090.a.2 if its die were <= 743 mm²; die area unpublished
    r = classify("tpu-v4", "2023-10")
    assert r.status == "indeterminate" and "performance density" in r.reason


def test_2026_case_by_case_policy():
    # the rule names the H200 and MI325X; they meet its thresholds, the rest is not assumed
    meets = "meets the numeric thresholds; other conditions apply"
    assert classify("h200-sxm", "2026-01").status == meets
    assert classify("mi325x", "2026-01").status == meets
    assert classify("b200", "2026-01").status == "not eligible"  # TPP 36,000 > 21,000


def test_cli(invoke):
    r = invoke("export-control", "h800-sxm", "--rule", "2022-10", "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["classifications"][0]["status"] == "not 3A090"
    assert d["classifications"][0]["controlled"] is False
    r = invoke("export-control", "h20")
    assert r.code == 0 and "not 3A090" in r.out
    assert invoke("export-control", "h800x").code == 2
