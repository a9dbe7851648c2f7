"""The physics-informed covariate of the prior (issue 12, item 4): the derived shape rule
against published shapes, the ceiling term's fit against a regression redone here, its
hold-out honesty, the pure-Python Student-t against scipy, and the one-standard-error choice."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from costmodel.analysis import prior_ceiling
from costmodel.data import store
from costmodel.model import priors
from costmodel.model.prior_dist import t5_cdf, t5_ppf

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "params, layers, width",
    # GPT-3 Table 2.1 (Brown et al. 2020, arXiv 2005.14165): the ladder the rule interpolates;
    # depth comes back from 12·L·d² + vocab·d within one layer's worth of rounding
    [(350e6, 24, 1024), (1.3e9, 24, 2048), (2.7e9, 32, 2560), (6.7e9, 32, 4096)],
)
def test_derived_shape_reproduces_gpt3_ladder(params, layers, width):
    a = prior_ceiling.derived_architecture(params)
    assert a.d_model == width
    assert abs(a.n_layers - layers) <= 2  # nominal sizes are rounded (6.7B is 6.66B)


@pytest.mark.parametrize("run", ["llama-2-7b", "llama-2-13b", "llama-2-70b", "opt-175b"])
def test_derived_shape_close_to_published(run):
    # published shapes (Touvron et al. 2023 Table/maxtext configs; Zhang et al. 2022 OPT
    # Table 1) from the run presets: the rule is a stand-in, so within 25 % in width and
    # depth, and the parameter count it implies within 5 %
    r = store.get("runs", run)
    a = prior_ceiling.derived_architecture(r.active_params_)
    pub = r.architecture
    assert pub is not None
    assert a.d_model == pytest.approx(pub.d_model, rel=0.25)
    assert a.n_layers == pytest.approx(pub.n_layers, rel=0.25)
    assert a.param_count()["total"] == pytest.approx(r.active_params_, rel=0.05)


def test_default_gpus_rule():
    # 30 accelerators per billion active parameters, nearest power of two, 8..16384
    assert prior_ceiling.default_gpus(7e9) == 256  # 210 -> 256
    assert prior_ceiling.default_gpus(70e9) == 2048  # 2100 -> 2048
    assert prior_ceiling.default_gpus(1e8) == 8
    assert prior_ceiling.default_gpus(1e13) == 16384


@pytest.fixture(scope="module")
def rows():
    return prior_ceiling.with_ceilings(priors.fit_rows())


def test_every_fit_run_has_a_ceiling_below_the_peak(rows):
    assert all(r.ceiling is not None and 0.05 < r.ceiling < 1.0 for r in rows)
    # published shapes are used where the preset has one
    for r in rows:
        assert r.ceiling_derived == (store.get("runs", r.id).architecture is None)


def test_ceiling_term_is_least_squares_on_log_ceiling(rows):
    # family+size+ceiling without org effects is OLS; redo it with numpy.linalg.lstsq
    fams = sorted({r.family for r in rows})
    X = np.array(
        [
            [1.0 if r.family == f else 0.0 for f in fams]
            + [math.log10(r.active_params / 1e10), math.log10(r.ceiling / 0.5)]
            for r in rows
        ]
    )
    y = np.log([r.mfu for r in rows])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    p = priors.fit(rows, "family+size+ceiling")
    assert p.coef[p.names.index("ceiling")] == pytest.approx(beta[-1], rel=1e-8)
    assert p.slope == pytest.approx(beta[-2], rel=1e-8)


def test_ceiling_looo_is_fitted_without_the_organization(rows):
    # a Hugging Face run predicted leave-one-organization-out equals the prediction of a
    # model fitted here to the other organizations' runs only
    out = priors.looo_predictions(rows, "ceiling+size")
    i = next(i for i, r in enumerate(rows) if r.id == "smollm2-360m")
    others = [r for r in rows if r.organization != "Hugging Face"]
    X = np.array(
        [[1.0, math.log10(r.active_params / 1e10), math.log10(r.ceiling / 0.5)] for r in others]
    )
    beta, *_ = np.linalg.lstsq(X, np.log([r.mfu for r in others]), rcond=None)
    r = rows[i]
    # the size term is not extrapolated: held at the smallest size of the runs fitted
    xs = [math.log10(o.active_params / 1e10) for o in others]
    x = min(max(math.log10(r.active_params / 1e10), min(xs)), max(xs))
    x0 = np.array([1.0, x, math.log10(r.ceiling / 0.5)])
    assert out[i][0] == pytest.approx(x0 @ beta, rel=1e-9)


def test_ceiling_model_needs_the_ceiling(rows):
    p = priors.fit(rows, "ceiling+size")
    with pytest.raises(ValueError, match="ceiling"):
        p.log_params(1e10, "hopper")
    with pytest.raises(ValueError, match="ceiling"):
        priors.fit(priors.fit_rows(), "ceiling+size")


@pytest.mark.parametrize("z", [-40.0, -6.0, -2.015, -0.3, 0.0, 1.0, 3.365, 25.0])
def test_t5_cdf_matches_scipy(z):
    assert t5_cdf(z) == pytest.approx(stats.t.cdf(z, 5), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("p", [1e-6, 0.01, 0.05, 0.3, 0.5, 0.95, 0.999])
def test_t5_ppf_matches_scipy(p):
    assert t5_ppf(p) == pytest.approx(stats.t.ppf(p, 5), rel=1e-9)


def _cand(model, errors, c90):
    return {
        "model": model,
        "looo_coverage_90": c90,
        "looo_median_abs_log10": float(np.median(errors)),
        "_looo": {"abs_log10_errors": list(errors), "median_abs_log10_error": np.median(errors)},
    }


def test_choice_rule_one_standard_error():
    sys.path.insert(0, str(ROOT / "scripts"))
    import fit_priors

    rows = [
        priors.FitRow(f"r{i}", "ampere", 1e9, 1e12, 1e4, 3e14, False, "primary", "reported", o)
        for i, o in enumerate("aabbccddeeff")
    ]
    base = np.full(12, 0.10)
    best = _cand("family+size+org", base, 0.85)
    # a constant 0.001 worse: the bootstrap difference never varies, so not within one SE
    worse = _cand("family+size+org+t", base + 0.001, 0.90)
    low, tied = fit_priors.choose([best, worse], rows)
    assert low["model"] == "family+size+org" and tied == []
    # errors that differ from the best's by organization (+-0.05): a median 0.001 higher
    # is well inside one bootstrap standard error, so it is listed as indistinguishable
    noisy = _cand(
        "family+size+org+t", base + np.repeat([0.05, -0.05, 0.05, -0.05, 0.05, -0.04], 2), 0.90
    )
    low, tied = fit_priors.choose([best, noisy], rows)
    assert low["model"] == "family+size+org"
    assert [t["model"] for t in tied] == ["family+size+org+t"]
    # outside the 85-95 % band a candidate is not eligible however low its error
    narrow = _cand("family+size", base - 0.05, 0.80)
    assert fit_priors.choose([best, narrow], rows)[0]["model"] == "family+size+org"
