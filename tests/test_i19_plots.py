"""Issue 19, items 1 and 10: the tornado names the peak its MFU numbers are a fraction of,
and every chart is slide-ready (one short title line, the data fill the axes, histogram
tails shown or noted).

Item 1's expected numbers come from closed forms (6·N·D FLOP, dense peaks from the NVIDIA
H800 datasheet, the blended peak 1/(f/P_fp8 + (1 − f)/P_bf16)); item 10's checks read the
saved Figure's artists through matplotlib's API (text extents, patches, lines, collections
mapped to axes coordinates), not pixels.
"""

import json
import re

import numpy as np
import pytest

import costmodel
from costmodel import dist

mpl = pytest.importorskip("matplotlib")

#: NVIDIA H800 SXM (H100 core) dense peaks [FLOP/s]: BF16 989.4 TFLOP/s, FP8 1,978.9
H800_BF16, H800_FP8 = 989.4e12, 1978.9e12
#: DeepSeek-V3 pre-training: 37B active parameters, 14.8T tokens (arXiv 2412.19437)
FLOP_V3 = 6 * 37e9 * 14.8e12
#: the longest one-line title a slide takes
MAX_TITLE = 60
#: the share of each axis the data must span
MIN_FILL = 0.75


@pytest.fixture
def figures(monkeypatch):
    """Every Figure the plotting code saves, drawn as it is written (files still written)."""
    from costmodel.render import plots

    saved = []
    real = plots.save

    def keep(fig, path):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        real(fig, path)
        FigureCanvasAgg(fig).draw()  # closed by save: lay it out again as it was written
        saved.append(fig)

    monkeypatch.setattr(plots, "save", keep)
    return saved


def _cost(peak: float, mfu: float, price: float) -> float:
    return FLOP_V3 / (peak * mfu) / 3600 * price


def _mfu_row(rows):
    (row,) = [r for r in rows if r["input"] == "mfu"]
    return row


def _says_blended(text: str) -> bool:
    """A claim that MFU numbers are fractions of the blended (mixed-precision) peak."""
    return bool(re.search(r"fractions? of the (blended|mixed)", text, re.I))


# ---------------------------------------------------------------- item 1: MFU basis labels
@pytest.mark.parametrize("basis", ["blended", "fp8", "16bit"])
def test_tornado_prior_mfu_is_labelled_with_the_16bit_peak_it_is_on(
    basis, tmp_path, invoke, figures
):
    # mixed-precision DeepSeek-V3 without --mfu: the tornado's MFU values are draws of the
    # utilization prior, whose MFU is a fraction of the 16-bit (BF16) dense peak
    png = tmp_path / "t.png"
    common = ["sensitivity", "--run", "deepseek-v3", "--price-usd-per-gpu-hour", "2",
              "--mfu-basis", basis, "--no-sobol"]  # fmt: skip
    r = invoke(*common, "--json")
    assert r.code == 0, r.err
    row = _mfu_row(json.loads(r.out)["tornado"])
    # the numbers are on the BF16 peak: the cost at each MFU value is 6ND / (989.4T · mfu)
    for mfu, out in ((row["low_value"], row["output_at_low"]),
                     (row["high_value"], row["output_at_high"])):  # fmt: skip
        assert out == pytest.approx(_cost(H800_BF16, mfu, 2.0), rel=1e-6)
        assert out != pytest.approx(_cost(H800_FP8, mfu, 2.0), rel=0.05)
    # ... and the row says so (JSON)
    assert row["basis_precision"] == "bf16"
    assert row["basis_peak_flop_per_s"] == pytest.approx(H800_BF16)
    assert row["basis"].startswith("bf16 dense peak")
    # the text table
    r = invoke(*common)
    assert r.code == 0, r.err
    tornado_part = r.out.split("assumptions")[0]
    assert re.search(r"mfu p05 → p95 are fractions of the bf16 dense peak", tornado_part)
    assert not _says_blended(tornado_part)
    # the chart: the MFU bar's label names the BF16 peak, nothing calls it blended
    r = invoke(*common, "--plot", png)
    assert r.code == 0, r.err
    (fig,) = figures
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    (mfu_tick,) = [t for t in ticks if "MFU" in t]
    assert "bf16 dense peak" in mfu_tick
    assert not re.search("blended|mixed|fp8", mfu_tick, re.I)
    assert not any(_says_blended(t.get_text()) for t in fig.findobj(mpl.text.Text))


def test_tornado_given_mfu_is_labelled_with_the_basis_it_is_on(tmp_path, figures):
    # a given MFU distribution under mfu_basis="blended" is a fraction of the blended peak
    f8 = 0.8
    blended = 1 / (f8 / H800_FP8 + (1 - f8) / H800_BF16)
    s = costmodel.sensitivity(
        sobol=False,
        active_params=37e9,
        tokens=14.8e12,
        gpu="h800-sxm",
        precision="mixed",
        fp8_fraction=f8,
        mfu=dist.uniform(0.2, 0.4),
        price_usd_per_gpu_hour=2.0,
        mfu_basis="blended",
    )
    row = _mfu_row(s.to_dict()["tornado"])
    assert row["low_value"] == pytest.approx(0.21)  # uniform(0.2, 0.4) at its p05
    assert row["output_at_low"] == pytest.approx(_cost(blended, 0.21, 2.0), rel=1e-6)
    assert row["basis_precision"] == "mixed"
    assert row["basis_peak_flop_per_s"] == pytest.approx(blended, rel=1e-6)
    assert row["basis"].startswith("blended FP8/BF16 dense peak")
    assert "fractions of the blended FP8/BF16 dense peak" in s.table()
    s.plot(str(tmp_path / "t.svg"))
    ticks = [t.get_text() for t in figures[0].axes[0].get_yticklabels()]
    assert any("MFU" in t and "blended FP8/BF16 dense peak" in t for t in ticks)
    # the same distribution on the default 16-bit basis: numbers and label both BF16
    s16 = costmodel.sensitivity(
        sobol=False,
        active_params=37e9,
        tokens=14.8e12,
        gpu="h800-sxm",
        precision="mixed",
        fp8_fraction=f8,
        mfu=dist.uniform(0.2, 0.4),
        price_usd_per_gpu_hour=2.0,
    )
    row = _mfu_row(s16.to_dict()["tornado"])
    assert row["output_at_low"] == pytest.approx(_cost(H800_BF16, 0.21, 2.0), rel=1e-6)
    assert row["basis_precision"] == "bf16" and not _says_blended(s16.table())


# ---------------------------------------------------------------- item 10: slide-ready
def _texts_with_extents(fig):
    renderer = fig.canvas.get_renderer()
    out = []
    for t in fig.findobj(mpl.text.Text):
        if t.get_visible() and t.get_text().strip():
            out.append((t, t.get_window_extent(renderer)))
    return out


def _tick_labels(fig) -> set[int]:
    """ids of every tick label (some lie outside the view and are never drawn)."""
    out = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in (*axis.majorTicks, *axis.minorTicks):
                out |= {id(tick.label1), id(tick.label2)}
    return out


def _check_title(fig, subtitle: bool = True) -> str:
    """The topmost text above the axes is the title: one line of at most MAX_TITLE
    characters, in the largest font of the figure, with details below it (a subtitle) that
    it does not overlap."""
    renderer = fig.canvas.get_renderer()
    top = max(ax.get_window_extent(renderer).y1 for ax in fig.axes)
    ticks = _tick_labels(fig)
    texts = _texts_with_extents(fig)
    above = [(t, e) for t, e in texts if e.y0 >= top - 1.0 and id(t) not in ticks]
    assert above, "no text above the axes"
    title, te = max(above, key=lambda p: p[1].y1)
    text = title.get_text()
    assert "\n" not in text, f"title is not one line: {text!r}"
    assert len(text) <= MAX_TITLE, f"title longer than {MAX_TITLE} characters: {text!r}"
    others = [t for t, _ in texts if t is not title]
    assert all(title.get_fontsize() > t.get_fontsize() for t in others), "title not largest"
    details = [(t, e) for t, e in above if t is not title]
    assert details or not subtitle, "no subtitle with the details"
    for _, e in details:
        assert e.y1 <= te.y0 + 0.5, "title overlaps its subtitle"
    return text


def _data_extent(ax):
    """(x0, x1, y0, y1) of the data drawn in ``ax``, in axes coordinates (0–1 inside):
    bars and histogram bins, lines in data coordinates, meshes and error bars."""
    to_axes = ax.transScale + ax.transLimits
    pts = []
    for p in ax.patches:
        if isinstance(p, mpl.patches.Rectangle) and (p.get_width() or p.get_height()):
            x, y, w, h = p.get_x(), p.get_y(), p.get_width(), p.get_height()
            pts += [(x, y), (x + w, y + h)]
    for ln in ax.lines:
        if ln.get_transform() is ax.transData:  # not axvline/axhline (axes-fraction spans)
            xy = np.asarray(ln.get_xydata(), float)
            pts += [tuple(p) for p in xy[np.isfinite(xy).all(axis=1)]]
    for c in ax.collections:
        lim = c.get_datalim(ax.transData)
        if np.all(np.isfinite(lim.get_points())) and lim.width + lim.height > 0:
            pts += [tuple(lim.p0), tuple(lim.p1)]
    assert pts, "no data drawn"
    xy = np.clip(to_axes.transform(np.asarray(pts, float)), 0.0, 1.0)
    return xy[:, 0].min(), xy[:, 0].max(), xy[:, 1].min(), xy[:, 1].max()


def _check_fill(fig) -> None:
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not (ax.patches or ax.lines or ax.collections):
            continue
        x0, x1, y0, y1 = _data_extent(ax)
        assert x1 - x0 >= MIN_FILL, f"data span {x1 - x0:.0%} of the x axis"
        assert y1 - y0 >= MIN_FILL, f"data span {y1 - y0:.0%} of the y axis"


def _check_tails(fig, n_samples: int) -> None:
    """Every sample is in a histogram bin, or a note on the plot says how many are not."""
    ax = fig.axes[0]
    shown = sum(p.get_height() for p in ax.patches if isinstance(p, mpl.patches.Rectangle))
    missing = n_samples - round(shown)
    assert missing >= 0
    if missing:
        notes = [t.get_text() for t, _ in _texts_with_extents(fig)]
        assert any("not shown" in t.lower() and f"{missing:,}" in t for t in notes), (
            f"{missing} samples outside the histogram and no note says so"
        )


def _sweep(tmp_path, invoke, *grid):
    return invoke("sweep", "--active-params", "37B", "--tokens", "14.8T", "--precision", "bf16",
                  "--price-usd-per-gpu-hour", "2", *grid, "--plot", tmp_path / "s.png")  # fmt: skip


PLOTS = {
    "estimate": lambda tp, inv: inv(
        "estimate",
        "--run",
        "deepseek-v3",
        "--samples",
        "20000",
        "--seed",
        "1",
        "--plot",
        tp / "e.png",
    ),  # fmt: skip
    "check": lambda tp, inv: inv("check", "deepseek-v3", "--plot", tp / "c.png"),
    "sensitivity": lambda tp, inv: inv(
        "sensitivity", "--run", "deepseek-v3", "--no-sobol", "--plot", tp / "t.png"
    ),  # fmt: skip
    "sweep-lines": lambda tp, inv: _sweep(
        tp, inv, "--mfu", "0.4", "--grid", "n-gpus=256:4096:5:log", "--grid", "gpu=h800,a100"
    ),
    "sweep-heatmap": lambda tp, inv: _sweep(
        tp, inv, "--gpu", "h800", "--grid", "n-gpus=256:4096:3:log", "--grid", "mfu=0.2:0.4:3"
    ),  # fmt: skip
    "sweep-bars": lambda tp, inv: _sweep(
        tp, inv, "--mfu", "0.4", "--grid", "gpu=a100,h800,h100"
    ),  # fmt: skip
    "backtest": lambda tp, inv: inv("backtest", "--plot", tp / "b.png"),
}


@pytest.mark.parametrize("kind", sorted(PLOTS))
def test_every_plot_has_a_short_title_and_data_that_fill_the_axes(kind, tmp_path, invoke, figures):
    r = PLOTS[kind](tmp_path, invoke)
    assert r.code == 0, r.err
    (fig,) = figures
    _check_title(fig)
    _check_fill(fig)


@pytest.mark.parametrize("kind", ["estimate", "check"])
def test_histogram_tails_are_shown_or_noted(kind, tmp_path, invoke, figures):
    r = PLOTS[kind](tmp_path, invoke)
    assert r.code == 0, r.err
    (fig,) = figures
    _check_tails(fig, 20_000)  # both draw 20,000 samples


def test_heavy_tail_is_noted_and_a_light_one_fully_shown(tmp_path, figures):
    from costmodel.render.plots import distribution_plot

    rng = np.random.default_rng(0)
    heavy = np.exp(rng.normal(0, 1.5, 10_000))  # lognormal, sigma 1.5: far tails
    distribution_plot(heavy, str(tmp_path / "h.png"), output="gpu_hours")
    light = rng.uniform(1.0, 2.0, 10_000)  # bounded: nothing to clip
    distribution_plot(light, str(tmp_path / "l.png"), output="gpu_hours")
    fh, fl = figures
    _check_tails(fh, 10_000)
    _check_fill(fh)
    shown = sum(p.get_height() for p in fl.axes[0].patches)
    assert shown == 10_000  # every sample of a bounded distribution is in a bin
    _check_fill(fl)
    _check_title(fl, subtitle=False)
