"""`solve` with a budget out of reach says what the budget buys; budgets read as people write
them; tables fit 100 columns (issue 9, item 14). Expected numbers are closed forms."""

import re
import tomllib
from pathlib import Path

import pytest

import costmodel
from costmodel.errors import InputError
from costmodel.formulas.units import parse_quantity

from .cli_args import V3_BF16

#: H800 SXM dense BF16 peak (as H100 SXM, NVIDIA datasheet) [FLOP/s]
PEAK = 989.4e12
#: 6·N·D for DeepSeek-V3's 37B active parameters and 14.8T tokens
FLOP = 6 * 37e9 * 14.8e12
#: GPU-hours at MFU 1
HOURS_AT_1 = FLOP / PEAK / 3600
CEILING = tomllib.loads(
    (Path(__file__).parents[1] / "presets/accelerators/h800-sxm.toml").read_text()
)["matmul_ceiling_fraction"]


def _number(text: str) -> float:
    return parse_quantity(text.replace("$", "").replace(",", ""))


def test_impossible_cost_budget_says_what_it_buys(invoke):
    r = invoke("solve", "--budget-usd", "1M", "--unknown", "mfu", *V3_BF16,
               "--price-usd-per-gpu-hour", "2")  # fmt: skip
    assert r.code == 2
    msg = r.err.strip()
    assert len(msg.splitlines()) == 1
    need = HOURS_AT_1 * 2 / 1e6  # MFU that makes the cost $1M: 1.845
    assert f"budget $1M would need MFU {100 * need:.1f}%" in msg
    assert f"above the {100 * CEILING:.1f}% possible" in msg
    # the cheapest the run can be: at the measured ceiling
    least = float(re.search(r"needs at least \$(\S+)M", msg).group(1)) * 1e6
    assert least == pytest.approx(HOURS_AT_1 / CEILING * 2, rel=1e-3)
    # tokens at the prior's median MFU: cost ∝ tokens
    prior = costmodel.estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm",
                               precision="bf16", price_usd_per_gpu_hour=2).mfu  # fmt: skip
    m = re.search(r"prior's median MFU \(([\d.]+)%\) it buys (\S+) tokens", msg)
    assert float(m.group(1)) / 100 == pytest.approx(prior, abs=5e-4)
    assert _number(m.group(2)) == pytest.approx(14.8e12 * 1e6 / (HOURS_AT_1 / prior * 2), rel=1e-3)


def test_impossible_days_budget_in_days(invoke):
    r = invoke("solve", "--budget-days", "10", "--unknown", "mfu", *V3_BF16, "--n-gpus", "2048")
    assert r.code == 2
    assert "budget 10 days would need MFU" in r.err
    least = float(re.search(r"needs at least ([\d.]+) days", r.err).group(1))
    assert least == pytest.approx(HOURS_AT_1 / CEILING / 2048 / 24, rel=1e-3)


def test_solve_api_raises_the_same():
    with pytest.raises(InputError, match=r"budget \$600K would need MFU 307\.5%"):
        costmodel.solve(budget_usd=6e5, unknown="mfu", active_params=37e9, tokens=14.8e12,
                        gpu="h800-sxm", precision="bf16", price_usd_per_gpu_hour=2)  # fmt: skip


def test_budget_written_as_people_write_it(invoke):
    r = invoke("solve", "--budget-days", "90", "--unknown", "n-gpus", *V3_BF16, "--mfu", "0.3",
               "--price-usd-per-gpu-hour", "2")  # fmt: skip
    assert r.code == 0, r.err
    assert re.search(r"^  budget +90 days$", r.out, flags=re.M)
    r = invoke("solve", "--budget-usd", "6M", "--unknown", "mfu", *V3_BF16,
               "--price-usd-per-gpu-hour", "2")  # fmt: skip
    assert re.search(r"^  budget +\$6M$", r.out, flags=re.M)
    assert re.search(r"^  solved: MFU +30\.7%$", r.out, flags=re.M)  # 1.845 / 6 = 0.3075


def test_probability_mode_says_what_the_budget_buys(invoke):
    r = invoke("solve", "--budget-usd", "1M", *V3_BF16, "--mfu", "0.4",
               "--price-usd-per-gpu-hour", "2", "--json")  # fmt: skip
    assert r.code == 0, r.err
    d = r.json()
    assert d["probability_budget_suffices"] == 0
    # cost at MFU 0.4 is 1.845M / 0.4 = $4.61M, so $1M buys 14.8T · 1 / 4.61 tokens
    assert d["tokens_budget_buys"] == pytest.approx(14.8e12 * 1e6 / (HOURS_AT_1 / 0.4 * 2))


def test_compute_optimal_table_fits_100_columns(invoke):
    r = invoke("solve", "--budget-usd", "6M", "--compute-optimal", "--gpu", "h100-sxm",
               "--price-usd-per-gpu-hour", "market")  # fmt: skip
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert max(len(x) for x in lines) <= 100
    assert re.search(r"^  budget +\$6M$", r.out, flags=re.M)
    # key and value on one line (not a stacked record)
    assert re.search(r"^  compute-optimal parameters +\S+B$", r.out, flags=re.M)
