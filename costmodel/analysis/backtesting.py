"""``costmodel backtest``: predict published accelerator-hours from size, tokens and hardware.

Each run with reported (or derived) accelerator-hours is predicted from ``active_params``,
``tokens``, accelerator (and cluster size, where the prior uses it) with the utilization
prior alone. Two hold-outs for runs in the prior's fit set:

* leave-one-organization-out (LOOO, the score that selects the prior): the prior is refitted
  without any run of the run's organization and predicts it as a new organization's run;
* leave-one-run-out (LORO): refitted without the run alone (optimistic: the organization's
  other runs stay in).

Runs outside the fit set (hours read only in secondary sources, or of a non-comparable
``hours_scope``) are predicted by the prior fitted to the whole fit set. The constant-40 %
baseline (:data:`costmodel.priors.BASELINE_MFU` of the 16-bit peak) is scored on the same
runs. Calibration: the share of reported hours inside the central 50/80/90 % intervals and
the probability integral transform (PIT) of each reported value, which is uniform on [0, 1]
for a calibrated prior.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..model import priors

__all__ = ["BacktestRow", "Backtest", "backtest"]

SCHEMA = "costmodel.backtest/2"


@dataclass(frozen=True)
class BacktestRow:
    """One run's prediction (hours quantiles from the mfu quantiles of the prior)."""

    id: str
    gpu: str
    family: str
    organization: str
    active_params: float
    tokens: float
    n_gpus: int | None
    reported_gpu_hours: float
    gpu_hours_basis: str
    gpu_hours_grade: str
    hours_scope: str
    leave_one_out: bool
    predicted_p05: float
    predicted_p50: float
    predicted_p95: float
    pit: float
    looo_p05: float | None = None
    looo_p50: float | None = None
    looo_p95: float | None = None
    looo_pit: float | None = None
    baseline_gpu_hours: float = math.nan

    @property
    def ratio(self) -> float:
        """Predicted median / reported [1]."""
        return self.predicted_p50 / self.reported_gpu_hours

    @property
    def log10_error(self) -> float:
        return math.log10(self.ratio)

    @property
    def inside(self) -> bool:
        """Reported hours inside the 90 % interval."""
        return self.predicted_p05 <= self.reported_gpu_hours <= self.predicted_p95

    @property
    def looo_ratio(self) -> float | None:
        return None if self.looo_p50 is None else self.looo_p50 / self.reported_gpu_hours

    @property
    def looo_inside(self) -> bool | None:
        """Reported hours inside the leave-one-organization-out 90 % interval."""
        if self.looo_p05 is None or self.looo_p95 is None:
            return None
        return self.looo_p05 <= self.reported_gpu_hours <= self.looo_p95

    @property
    def derived(self) -> bool:
        """Hours derived from a cluster size × a duration, not published as hours."""
        return self.gpu_hours_basis == "derived"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            ratio=self.ratio,
            log10_error=self.log10_error,
            inside_90=self.inside,
            looo_ratio=self.looo_ratio,
            derived=self.derived,
        )
        return d


def _hours(r: priors.FitRow, log_mfu: float) -> float:
    return 6.0 * r.active_params * r.tokens / (r.peak_flop_per_s * math.exp(log_mfu) * 3600.0)


def _quantiles(
    r: priors.FitRow, mu: float, sd: float, df: float | None
) -> tuple[tuple[float, float, float], float]:
    """(p05, p50, p95) of hours and the PIT of the reported hours, truncated at ``upper``."""
    from scipy.special import ndtr, ndtri, stdtr, stdtrit

    cdf = (lambda z: float(ndtr(z))) if df is None else (lambda z: float(stdtr(df, z)))
    ppf = (lambda p: float(ndtri(p))) if df is None else (lambda p: float(stdtrit(df, p)))
    lu = math.log(r.upper)
    cu = cdf((lu - mu) / sd)
    q = {p: min(mu + sd * ppf(p * cu), lu) for p in (0.05, 0.5, 0.95)}
    # hours fall as mfu rises: the hours p05 is the mfu p95
    hours = (_hours(r, q[0.95]), _hours(r, q[0.5]), _hours(r, q[0.05]))
    # PIT of the reported hours = P(predicted hours <= reported) = P(mfu >= reported mfu)
    pit = 1.0 - min(cdf((math.log(r.mfu) - mu) / sd) / cu, 1.0)
    return hours, pit


def _summary(rows: list[BacktestRow], which: str = "loro") -> dict[str, Any]:
    if not rows:
        return {"n": 0}
    if which == "looo":
        lo, med, hi = ([getattr(r, f"looo_{q}") for r in rows] for q in ("p05", "p50", "p95"))
        pit = [r.looo_pit for r in rows]
    else:
        lo, med, hi = ([getattr(r, f"predicted_{q}") for r in rows] for q in ("p05", "p50", "p95"))
        pit = [r.pit for r in rows]
    rep = np.array([r.reported_gpu_hours for r in rows])
    err = np.abs(np.log10(np.array(med) / rep))
    pit_a = np.array(pit)
    return {
        "n": len(rows),
        "median_abs_log10_error": float(np.median(err)),
        "share_inside_50": float(np.mean(np.abs(pit_a - 0.5) <= 0.25)),
        "share_inside_80": float(np.mean(np.abs(pit_a - 0.5) <= 0.40)),
        "share_inside_90": float(np.mean((np.array(lo) <= rep) & (rep <= np.array(hi)))),
        "median_interval_width": float(np.median(np.array(hi) / np.array(lo))),
        "n_derived": int(sum(r.derived for r in rows)),
        "pit_histogram": np.histogram(pit_a, bins=10, range=(0.0, 1.0))[0].tolist(),
    }


def _baseline_summary(rows: list[BacktestRow]) -> dict[str, Any]:
    err = [abs(math.log10(r.baseline_gpu_hours / r.reported_gpu_hours)) for r in rows]
    return {
        "n": len(rows),
        "mfu": priors.BASELINE_MFU,
        "median_abs_log10_error": float(np.median(err)) if err else None,
    }


@dataclass
class Backtest:
    """Result of :func:`backtest`: per-run rows and overall summaries."""

    rows: list[BacktestRow]
    model: str
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "model": self.model,
            "summary": self.summary,
            "runs": [r.to_dict() for r in self.rows],
        }

    def __str__(self) -> str:
        """The text report, as ``costmodel backtest`` prints it."""
        return self.table()

    def __repr__(self) -> str:
        return f"Backtest(model={self.model!r}, {len(self.rows)} runs)"

    def to_pandas(self):
        """One row per run (``BacktestRow.to_dict()``) as a ``pandas.DataFrame``; needs
        pandas (without it, ``to_dict()["runs"]``)."""
        from ..errors import require_pandas

        pd = require_pandas()

        return pd.DataFrame([r.to_dict() for r in self.rows])

    def table(self) -> str:
        from ..formulas.units import format_si
        from ..render.report import table

        rows = []
        for r in sorted(self.rows, key=lambda r: r.reported_gpu_hours):
            flag = (
                ("D" if r.derived else "")
                + ("s" if r.gpu_hours_grade == "secondary" else "")
                + ("x" if r.gpu_hours_grade == "primary" and not r.leave_one_out else "")
            )
            rows.append(
                [
                    r.id + (f" [{flag}]" if flag else ""),
                    r.gpu,
                    format_si(r.reported_gpu_hours, 3),
                    format_si(r.predicted_p50, 3),
                    f"{format_si(r.predicted_p05, 3)}–{format_si(r.predicted_p95, 3)}",
                    f"{r.ratio:.2f}",
                    "yes" if r.inside else "NO",
                    "" if r.looo_ratio is None else f"{r.looo_ratio:.2f}",
                    {None: "", True: "yes", False: "NO"}[r.looo_inside],
                ]
            )
        out = [
            f"backtest: accelerator-hours predicted from params, tokens and hardware "
            f"(prior model {self.model}; LORO = leave one run out, LOOO = leave one "
            f"organization out)",
            "",
            table(
                rows,
                [
                    "run",
                    "accelerator",
                    "reported",
                    "p50",
                    "p05–p95",
                    "ratio",
                    "inside",
                    "LOOO ratio",
                    "LOOO inside",
                ],
            ),
            "",
            "[D] hours derived from cluster size × duration; [s] hours read only in secondary "
            "sources; [x] hours_scope not comparable (not in the prior's fit set)",
            "",
        ]
        srows = []
        for name, s in self.summary.items():
            if not isinstance(s, dict) or not s.get("n") or "share_inside_90" not in s:
                continue
            srows.append(
                [
                    name,
                    str(s["n"]),
                    f"{s['median_abs_log10_error']:.3f}",
                    f"{s['share_inside_50']:.0%}",
                    f"{s['share_inside_80']:.0%}",
                    f"{s['share_inside_90']:.0%}",
                    f"{s['median_interval_width']:.2f}x",
                ]
            )
        b = self.summary.get("fit_set_baseline", {})
        if b.get("n"):
            srows.append(
                [
                    f"fit_set_constant_{b['mfu']:.0%}_mfu",
                    str(b["n"]),
                    f"{b['median_abs_log10_error']:.3f}",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        out.append(
            table(
                srows,
                [
                    "runs",
                    "n",
                    "median |log10 error|",
                    "inside 50%",
                    "inside 80%",
                    "inside 90%",
                    "median p95/p05",
                ],
            )
        )
        return "\n".join(out)

    def to_html(self, command: str | None = None) -> str:
        """A self-contained HTML page: summary, predicted-against-reported chart, runs.

        ``command``, if given, is shown as the way to regenerate the page.
        """
        from ..render import html_results as r

        return r.page("backtest", r.backtest_body(self.to_dict()), command=command)

    def _repr_html_(self) -> str:
        """Notebook display: the same HTML without the page chrome."""
        from ..render.html import fragment
        from ..render.html_results import backtest_body

        return fragment(backtest_body(self.to_dict()))

    def plot(self, path: str) -> None:
        """Predicted vs reported on log axes with 90 % bars, and the PIT histograms."""
        from ..render.plots import backtest_plot

        backtest_plot(self, path)


def backtest(*, model: str | None = None) -> Backtest:
    """Leave-one-organization-out and leave-one-run-out backtest of the utilization prior.

    Parameters
    ----------
    model : str, optional
        Prior model (see :data:`costmodel.priors.CANDIDATES`); default: the one the
        committed priors file uses.

    Returns
    -------
    Backtest
        ``summary`` has ``fit_set_looo`` and ``fit_set_loro`` (the prior's fit set under each
        hold-out), ``fit_set_baseline`` (constant 40 % MFU on the same runs), ``all`` (every
        run with hours; LORO for the fit set) and ``reported_only`` (hours published as
        hours).
    """
    from ..data import store

    if model is None:
        model = store.get("priors", "mfu-6nd").model
    df = priors.T_DF if "t" in model.split("+") else None
    fit = priors.fit_rows()
    all_rows = priors.run_rows(grades=("primary", "secondary"))
    fit_ids = {r.id for r in fit}
    loro = dict(zip([r.id for r in fit], priors.loo_predictions(fit, model), strict=True))
    looo = dict(zip([r.id for r in fit], priors.looo_predictions(fit, model), strict=True))
    full = priors.fit(fit, model)
    out = []
    for r in all_rows:
        inside = r.id in fit_ids
        if inside:
            mu, sd = loro[r.id]
        else:
            mu, sd = (
                float(v)
                for v in full.log_params(r.active_params, r.family, r.moe, r.n_gpus, r.organization)
            )
        (p05, p50, p95), pit = _quantiles(r, mu, sd, df)
        looo_q: tuple[float | None, ...] = (None, None, None, None)
        if inside:
            (lo, med, hi), lpit = _quantiles(r, *looo[r.id], df)
            looo_q = (lo, med, hi, lpit)
        out.append(
            BacktestRow(
                id=r.id,
                gpu=store.get("runs", r.id).gpu,
                family=r.family,
                organization=r.organization,
                active_params=r.active_params,
                tokens=r.tokens,
                n_gpus=r.n_gpus,
                reported_gpu_hours=r.gpu_hours,
                gpu_hours_basis=r.basis,
                gpu_hours_grade=r.grade,
                hours_scope=r.hours_scope,
                leave_one_out=inside,
                predicted_p05=p05,
                predicted_p50=p50,
                predicted_p95=p95,
                pit=pit,
                looo_p05=looo_q[0],
                looo_p50=looo_q[1],
                looo_p95=looo_q[2],
                looo_pit=looo_q[3],
                baseline_gpu_hours=_hours(r, math.log(min(priors.BASELINE_MFU, r.upper))),
            )
        )
    bt = Backtest(rows=out, model=model)
    fit_out = [r for r in out if r.leave_one_out]
    bt.summary = {
        "fit_set_looo": _summary(fit_out, "looo"),
        "fit_set_loro": _summary(fit_out),
        "fit_set_baseline": _baseline_summary(fit_out),
        "all": _summary(out),
        "reported_only": _summary([r for r in out if not r.derived]),
    }
    return bt
