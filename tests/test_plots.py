"""Charts: the words and numbers they show, read back from the Figure and from SVG text.

Expected values come from closed forms (6·N·D FLOP, uniform and lognormal quantiles) and
datasheet peaks, not from the plotting code.
"""

import math
import re
from statistics import NormalDist

import numpy as np
import pytest

import costmodel
from costmodel import dist
from costmodel.formulas.units import parse_quantity

from .cli_args import V3_BF16

mpl = pytest.importorskip("matplotlib")

#: NVIDIA A100 datasheet: 312 TFLOP/s dense BF16 (the SXM4 80GB part)
A100_BF16 = 312e12
#: NVIDIA H800/H100 SXM: 989.4 TFLOP/s dense BF16 (H100 datasheet; H800 has the same core)
H800_BF16 = 989.4e12


@pytest.fixture
def figures(monkeypatch):
    """Every Figure the plotting code saves, in order (the files are still written)."""
    from costmodel.render import plots

    saved = []
    real = plots.save

    def keep(fig, path):
        fig.canvas.draw()  # lay out ticks and legends as they appear in the file
        saved.append(fig)
        real(fig, path)

    monkeypatch.setattr(plots, "save", keep)
    return saved


def _number(text: str) -> float:
    """'21%' → 0.21, '$1.99' → 1.99, '2,048' → 2048, '14.8T' → 1.48e13."""
    t = text.strip().replace(",", "").replace("$", "")
    if t.endswith("%"):
        return float(t[:-1]) / 100
    return parse_quantity(t)


def _texts(fig) -> list[str]:
    out = []
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out += [ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return [t for t in out if t]


def _svg_text(path) -> str:
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text()))


# ---------------------------------------------------------------- item 1: tornado labels
def test_tornado_labels_name_the_input_value_at_their_bar_end(figures, tmp_path):
    # MFU lowers the cost as it rises: its p05 (21%) makes the *high* cost
    s = costmodel.sensitivity(
        "cost_usd",
        sobol=False,
        active_params=37e9,
        tokens=14.8e12,
        gpu="h800-sxm",
        precision="bf16",
        mfu=dist.uniform(0.2, 0.4),
        price_usd_per_gpu_hour=dist.uniform(1.0, 3.0),
    )
    s.plot(str(tmp_path / "t.png"))
    (fig,) = figures
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    mfu_row = next(i for i, t in enumerate(ticks) if "mfu" in t.lower())
    price_row = next(i for i, t in enumerate(ticks) if "price" in t)
    labels = {}
    for t in ax.texts:
        x, y = t.get_position()
        labels.setdefault(round(y), []).append((x, _number(t.get_text())))
    flop = 6 * 37e9 * 14.8e12

    def cost(mfu, price):
        return flop / (H800_BF16 * mfu) / 3600 * price

    # uniform(a, b) quantile q is a + q·(b − a): MFU 0.21 / 0.39, price $1.10 / $2.90
    assert sorted(v for _, v in labels[mfu_row]) == pytest.approx([0.21, 0.39])
    for x, mfu in labels[mfu_row]:  # each label sits at the cost its own value gives
        assert x == pytest.approx(cost(mfu, 2.0), rel=1e-3)
    for x, price in labels[price_row]:
        assert x == pytest.approx(cost(0.3, price), rel=1e-3)
    (x_at_21,) = [x for x, v in labels[mfu_row] if v == pytest.approx(0.21)]
    assert x_at_21 > s.median_output  # the low MFU is on the expensive side


def test_tornado_svg_text_from_the_cli(tmp_path, invoke):
    out = tmp_path / "t.svg"
    r = invoke("sensitivity", *V3_BF16, "--mfu", "0.2..0.4", "--price-usd-per-gpu-hour", "2",
               "--no-sobol", "--plot", out)  # fmt: skip
    assert r.code == 0, r.err
    text = _svg_text(out)
    assert "What drives training cost" in text
    assert "21%" in text and "39%" in text  # uniform(0.2, 0.4) at p05 / p95
    assert "mfu" not in text.split()  # words, not glossary names


# ---------------------------------------------------------------- item 5: degenerate samples
#: 6·7B·2T FLOP at 40% of the A100's 312 TFLOP/s, $1.8/GPU-hour: $336,538
DENSE_7B_COST = 6 * 7e9 * 2e12 / (A100_BF16 * 0.4) / 3600 * 1.8


def test_degenerate_distribution_plots_a_marked_line_cli(tmp_path, invoke):
    out = tmp_path / "f.svg"
    r = invoke("estimate", "--params", "7B", "--tokens", "2T", "--gpu", "a100", "--mfu", "0.4",
               "--price-usd-per-gpu-hour", "1.8", "--samples", "1000", "--plot", out)  # fmt: skip
    assert r.code == 0, r.err
    text = _svg_text(out)
    assert f"all 1,000 samples are ${DENSE_7B_COST / 1e3:.1f}K" in text  # $336.5K
    assert "no input is uncertain" in text


def test_degenerate_distribution_estimate_plot(figures, tmp_path):
    e = costmodel.estimate(params=7e9, tokens=2e12, gpu="a100", mfu=0.4,
                           price_usd_per_gpu_hour=1.8, samples=500)  # fmt: skip
    e.plot(str(tmp_path / "f.png"))
    (fig,) = figures
    ax = fig.axes[0]
    segs = ax.collections[0].get_segments()  # the vertical line at the one value
    assert segs[0][0][0] == pytest.approx(DENSE_7B_COST, rel=1e-9)
    (marker,) = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert marker.get_xdata()[0] == pytest.approx(DENSE_7B_COST, rel=1e-9)
    assert any("500 samples are $336.5K" in t for t in _texts(fig))


def test_nearly_degenerate_samples_still_plot(figures, tmp_path):
    # 99% of samples equal: the 0.5–99.5 percentile range is empty, the histogram must not be
    from costmodel.render.plots import distribution_plot

    x = np.r_[np.full(995, 5.0), np.linspace(6, 7, 5)]
    distribution_plot(x, str(tmp_path / "d.png"), output="gpu_hours")
    assert len(figures) == 1


# ---------------------------------------------------------------- item 19: ready for a slide
def test_distribution_quantile_markers_carry_their_values(figures, tmp_path):
    # cost = k · price with price lognormal(median 2, gsd 1.5): p05/p95 = k·2·1.5^(∓1.645)
    e = costmodel.estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16",
                           mfu=0.35, price_usd_per_gpu_hour=dist.lognormal(2, 1.5),
                           samples=20000)  # fmt: skip
    e.plot(str(tmp_path / "d.png"))
    (fig,) = figures
    k = 6 * 37e9 * 14.8e12 / (H800_BF16 * 0.35) / 3600
    z = NormalDist().inv_cdf(0.95)
    want = {"p05": k * 2 * 1.5**-z, "p50": k * 2, "p95": k * 2 * 1.5**z}
    shown = {}
    for t in _texts(fig):
        m = re.fullmatch(r"(p\d\d) (\S+)", t)
        if m:
            shown[m.group(1)] = _number(m.group(2))
    assert set(shown) == set(want)
    for q, v in want.items():
        # 20,000 samples: the 5% quantile's sampling error is ≈1%; labels keep 3 digits
        assert shown[q] == pytest.approx(v, rel=0.03)
    title = fig.axes[0].get_title(loc="left")
    assert "37B params" in title and "bf16" in title and "MFU 35%" in title


def test_subtitle_names_dense_params_precision_and_mfu_source(figures, tmp_path):
    e = costmodel.estimate(params=7e9, tokens=2e12, gpu="a100", price_usd_per_gpu_hour=1.8,
                           samples=1000)  # fmt: skip
    e.plot(str(tmp_path / "d.png"))
    title = figures[0].axes[0].get_title(loc="left")
    assert "7B params (dense)" in title
    assert "a100-sxm4-80gb bf16" in title
    assert "data-derived prior" in title and "312 TFLOP/s" in title
    assert "$1.8 per GPU-hour" in title


def test_sobol_table_sorted_by_total_index():
    # price (gsd 2) dominates a ±2.5% MFU: it must come first although mfu is listed first
    s = costmodel.sensitivity(
        "cost_usd",
        samples=1024,
        n_boot=0,
        rng=0,
        active_params=37e9,
        tokens=14.8e12,
        gpu="h800-sxm",
        precision="bf16",
        mfu=dist.uniform(0.39, 0.41),
        price_usd_per_gpu_hour=dist.lognormal(2, 2),
    )
    assert s.sobol["inputs"] == ["mfu", "price_usd_per_gpu_hour"]
    lines = s.table().split("Sobol indices")[1].splitlines()
    rows = [ln.split()[0] for ln in lines if ln.strip().startswith(("mfu", "price"))]
    assert rows == ["price_usd_per_gpu_hour", "mfu"]


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_sweep_lines_words_units_and_legend_off_the_data(figures, tmp_path):
    r = costmodel.sweep({"price_usd_per_gpu_hour": [1, 2, 3, 4], "gpu": ["h800-sxm", "a100"]},
                        active_params=37e9, tokens=14.8e12, precision="bf16",
                        mfu=0.35)  # fmt: skip
    r.plot(str(tmp_path / "s.png"))
    (fig,) = figures
    ax = fig.axes[0]
    assert ax.get_xlabel() == "rental price [USD per GPU-hour]"
    assert ax.get_ylabel() == "training cost (rental) [USD]"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["h800-sxm", "a100-sxm4-80gb"]
    assert not _overlap(ax.get_legend().get_window_extent(), ax.get_window_extent())
    assert "_" not in " ".join(_texts(fig))
    assert "$2" in [t.get_text() for t in ax.get_xticklabels()]


# ---------------------------------------------------------------- item 18: sweep charts
def test_sweep_over_only_gpus_plots_bars(figures, tmp_path, invoke):
    out = tmp_path / "b.svg"
    r = invoke("sweep", "--active-params", "37B", "--tokens", "14.8T", "--precision", "bf16",
               "--mfu", "0.4", "--price-usd-per-gpu-hour", "2",
               "--grid", "gpu=a100,h800", "--plot", out)  # fmt: skip
    assert r.code == 0, r.err
    (fig,) = figures
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    k = 6 * 37e9 * 14.8e12 / 0.4 / 3600 * 2
    assert heights == pytest.approx([k / A100_BF16, k / H800_BF16], rel=1e-3)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a100-sxm4-80gb", "h800-sxm"]
    assert "$4.61M" in _svg_text(out)  # the bar's value printed on it (H800: k / 989.4T)


def test_identical_sweep_lines_are_labelled_not_hidden(figures, tmp_path):
    # gpu_hours do not depend on the price: both price lines coincide
    r = costmodel.sweep({"mfu": [0.2, 0.3, 0.4], "gpu": ["h800-sxm", "h100-sxm"]},
                        active_params=37e9, tokens=14.8e12, precision="bf16")  # fmt: skip
    r.plot(str(tmp_path / "s.png"), output="gpu_hours")
    ax = figures[0].axes[0]
    (label,) = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "h800-sxm" in label and "h100-sxm" in label and "identical" in label


def test_heatmap_log_axes_and_cell_values(figures, tmp_path, invoke):
    out = tmp_path / "h.png"
    r = invoke("sweep", "--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800",
               "--precision", "bf16", "--price-usd-per-gpu-hour", "2",
               "--grid", "n-gpus=256:4096:3:log", "--grid", "mfu=0.2:0.4:3",
               "--plot", out, "--plot-output", "wall_clock_days")  # fmt: skip
    assert r.code == 0, r.err
    ax = figures[0].axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    cells = {(round(t.get_position()[0]), round(t.get_position()[1], 3)): t.get_text()
             for t in ax.texts}  # fmt: skip
    assert len(cells) == 9
    for (n, mfu), text in cells.items():
        days = 6 * 37e9 * 14.8e12 / (H800_BF16 * mfu) / 3600 / n / 24
        assert _number(text) == pytest.approx(days, rel=5e-3)  # 3 significant digits


@pytest.mark.parametrize("bad", ["rows.pdf", "rows.PNG.txt"])
def test_unsupported_plot_is_refused_first_and_rows_still_written(tmp_path, invoke, bad):
    rows = tmp_path / "rows.csv"
    r = invoke("sweep", *V3_BF16, "--mfu", "0.4", "--grid", "price-usd-per-gpu-hour=1,2",
               "--plot", tmp_path / bad, "-o", rows)  # fmt: skip
    assert r.code == 2
    err = r.err.splitlines()
    assert err[0].startswith("costmodel: error: plot:")  # before the sweep's own messages
    assert len(rows.read_text().splitlines()) == 3


def test_plot_without_matplotlib_refused_before_the_sweep(tmp_path, invoke, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name)
    )
    rows = tmp_path / "rows.csv"
    r = invoke("sweep", *V3_BF16, "--mfu", "0.4", "--grid", "price-usd-per-gpu-hour=1,2",
               "--plot", tmp_path / "p.png", "-o", rows)  # fmt: skip
    assert r.code == 2 and "matplotlib is not installed" in r.err
    assert rows.exists() and not (tmp_path / "p.png").exists()


def test_unplottable_sweep_shape_refused_before_the_sweep(tmp_path, invoke):
    r = invoke("sweep", *V3_BF16, "--grid", "mfu=0.2,0.3", "--grid", "goodput=0.8,0.9",
               "--grid", "price-usd-per-gpu-hour=1,2", "--plot", tmp_path / "p.png")  # fmt: skip
    assert r.code == 2
    assert r.err.splitlines()[0].startswith("costmodel: error: plot: a sweep chart needs")
    assert len(r.out.splitlines()) == 9  # the rows still came


def test_axis_labels_for_every_sweepable_input():
    from costmodel.analysis.sweeping import SCENARIO_KEYS, VECTOR_KEYS
    from costmodel.render.plot_labels import axis_label

    for k in (*VECTOR_KEYS, *SCENARIO_KEYS):
        assert "_" not in axis_label(k), k
    assert math.isfinite(_number("21%"))


def test_sweep_subtitle_shows_the_median_price_it_used(figures, tmp_path):
    # no price: the market range $1.99–$4.916 (5th–95th percentiles of a lognormal,
    # presets/prices/h100-sxm.toml) is evaluated at its median, sqrt(1.99 · 4.916) = $3.13
    r = costmodel.sweep({"mfu": [0.2, 0.4]}, active_params=37e9, tokens=14.8e12,
                        gpu="h100-sxm", precision="bf16")  # fmt: skip
    r.plot(str(tmp_path / "s.png"))
    title = figures[0].axes[0].get_title(loc="left")
    assert f"${math.sqrt(1.99 * 4.916):.2f} per GPU-hour" in title
    assert "lognormal" not in title
