"""Overflow, odd values and input spelling (issue 9, items 16 and 26).

Every odd value is one line on stderr that names the input, and exit status 2; counts are
never truncated; numpy's RuntimeWarnings never reach the user.
"""

import json

import pytest

from costmodel.errors import InputError
from costmodel.formulas.units import parse_quantity

BASE = ["estimate", "--params", "7B", "--tokens", "1T", "--gpu", "h100-sxm", "--mfu", "0.4"]
LONG_ID = "x" * 300

ODD = [
    # (arguments, the input the message must name)
    (["solve", "--budget-usd", "1e300", "--compute-optimal", "--gpu", "h100-sxm",
      "--price-usd-per-gpu-hour", "2"], "budget_usd"),
    ([*BASE, "--samples", "1e400"], "samples"),
    ([*BASE, "--n-gpus", "1e400"], "n_gpus"),
    (["sweep", "--run", "deepseek-v3", "--grid", "seq-len=1e400"], "seq_len"),
    ([*BASE, "--n-gpus", "fixed:0.3"], "n_gpus"),
    ([*BASE, "--n-gpus", "0.1..0.2"], "n_gpus"),
    ([*BASE, "--n-gpus", "0.3"], "n_gpus"),
    (["check", "deepseek-v3", "--samples", "1000.7"], "samples"),
    (["check", "deepseek-v3", "--samples", "0.5"], "samples"),
    (["check", "deepseek-v3", "--samples", "-1"], "samples"),
    (["solve", "--unknown", "mfu", "--run", "deepseek-v3", "--budget-gpu-hours", "2.664M",
      "--samples", "1000.7"], "samples"),
    (["solve", "--unknown", "mfu", "--run", "deepseek-v3", "--budget-gpu-hours", "2.664M",
      "--samples", "-1"], "samples"),
    (["sensitivity", "--run", "deepseek-v3", "--samples", "1000.7", "--bootstrap", "0"],
     "samples"),
    ([*BASE[:-2], "--mfu", "normal:5,0.1"], "mfu"),
    (["estimate", "--params", "7B", "--tokens", "1T", "--mfu", "0.4", "--gpu", LONG_ID], "gpu"),
    (["estimate", "--run", LONG_ID], "run"),
    (["check", LONG_ID], "claim"),
    (["sweep", "--params", "7B", "--gpu", "h100-sxm", "--mfu", "0.4",
      "--grid", "tokens=-1e308:1e308:3"], "tokens"),
    ([*BASE[:-2], "--mfu", "1e400%"], "mfu"),
    (["estimate", "--params", "70m", "--tokens", "1T", "--gpu", "h100", "--mfu", "0.4"],
     "params"),
]  # fmt: skip


@pytest.mark.parametrize("args, field", ODD, ids=[" ".join(a)[:60] for a, _ in ODD])
def test_odd_value_is_one_line_naming_the_input(args, field, invoke):
    r = invoke(*args)
    assert r.code == 2, (r.code, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err  # no RuntimeWarning, no traceback
    assert field in lines[0] or f"--{field.replace('_', '-')}" in lines[0], lines[0]
    assert "Warning" not in r.err and "OSError" not in r.err and "OverflowError" not in r.err
    assert len(lines[0]) < 700 and LONG_ID not in lines[0]  # a long id is not echoed whole


def test_compute_optimal_still_solves_a_large_finite_budget(invoke):
    # $1e30 is absurd but finite: compute-optimal sizing (20 tokens per parameter,
    # Hoffmann et al. 2022) gives cost ∝ N², so N = sqrt(budget / cost per N²)
    r = invoke("solve", "--budget-usd", "1e30", "--compute-optimal", "--gpu", "h100-sxm",
               "--mfu", "0.4", "--price-usd-per-gpu-hour", "2", "--json")  # fmt: skip
    assert r.code == 0, r.err
    d = r.json()
    n = d["estimate"]["inputs"]["active_params"]
    flop = 6 * n * 20 * n
    cost = flop / (989.4e12 * 0.4 * 3600) * 2
    assert cost == pytest.approx(1e30, rel=1e-6)


def test_integer_distributions_that_stay_whole_numbers_still_work(invoke):
    for spec in ("1000..2000", "normal:2048,100", "fixed:2048"):
        r = invoke(*BASE, "--n-gpus", spec, "--samples", "2000", "--json")
        assert r.code == 0, (spec, r.err)
        assert json.loads(r.out)["wall_clock_days"] > 0


@pytest.mark.parametrize(
    "text, value",
    [("70b", 70e9), ("70B", 70e9), ("15t", 15e12), ("15T", 15e12), ("2.5k", 2.5e3),
     ("2.5K", 2.5e3), ("3g", 3e9), ("1p", 1e15), ("2.788M", 2.788e6), ("1E", 1e18)],
)  # fmt: skip
def test_suffixes_in_either_case(text, value):
    assert parse_quantity(text, "tokens") == pytest.approx(value, rel=1e-15)


def test_lowercase_m_is_refused_with_a_hint():
    with pytest.raises(InputError, match=r"tokens: '2\.788m'.*write M for million"):
        parse_quantity("2.788m", "tokens")


@pytest.mark.parametrize("text", ["1e400", "1e306E", "-1e400", "1e400%"])
def test_overflowing_text_is_an_input_error(text):
    with pytest.raises(InputError, match="mfu: .* beyond the floating-point range"):
        parse_quantity(text, "mfu")


def test_short_aliases_work_and_show_in_help(invoke):
    long = invoke(*BASE, "--n-gpus", "2048", "--price-usd-per-gpu-hour", "2", "--json")
    short = invoke("estimate", "--params", "7b", "--tokens", "1t", "--gpu", "h100-sxm",
                   "--mfu", "0.4", "--gpus", "2k", "--price", "2", "--json")  # fmt: skip
    assert long.code == 0 and short.code == 0, (long.err, short.err)
    a, b = long.json(), short.json()
    assert b["inputs"]["n_gpus"] == 2000 and a["inputs"]["n_gpus"] == 2048
    assert b["cost_usd"] == pytest.approx(a["cost_usd"])  # 7b == 7B; price 2 either way
    for cmd in ("estimate", "sweep", "solve", "sensitivity", "check"):
        h = invoke(cmd, "--help").out
        assert "--gpus" in h and "--price" in h, cmd
