"""``costmodel.backtest``: predict published accelerator-hours from size, tokens and hardware.

Each run with reported (or derived) accelerator-hours is predicted from ``active_params``,
``tokens``, accelerator and the utilization prior alone. For runs in the prior's fit set the
prior is refitted without that run (leave-one-out); runs outside it (hours read only in
secondary sources) are predicted by the prior fitted to all primary runs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..model import priors

__all__ = ["BacktestRow", "Backtest", "backtest"]

SCHEMA = "costmodel.backtest/1"


@dataclass(frozen=True)
class BacktestRow:
    """One run's prediction."""

    id: str
    gpu: str
    family: str
    active_params: float
    tokens: float
    reported_gpu_hours: float
    gpu_hours_basis: str
    gpu_hours_grade: str
    leave_one_out: bool
    predicted_p05: float
    predicted_p50: float
    predicted_p95: float

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
    def derived(self) -> bool:
        """Hours derived from a cluster size × a duration, not published as hours."""
        return self.gpu_hours_basis == "derived"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            ratio=self.ratio,
            log10_error=self.log10_error,
            inside_90=self.inside,
            derived=self.derived,
        )
        return d


def _summary(rows: list[BacktestRow]) -> dict[str, Any]:
    if not rows:
        return {"n": 0}
    err = np.abs([r.log10_error for r in rows])
    width = [r.predicted_p95 / r.predicted_p05 for r in rows]
    return {
        "n": len(rows),
        "median_abs_log10_error": float(np.median(err)),
        "share_inside_90": float(np.mean([r.inside for r in rows])),
        "median_interval_width": float(np.median(width)),
        "n_derived": int(sum(r.derived for r in rows)),
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

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame([r.to_dict() for r in self.rows])

    def table(self) -> str:
        from ..formulas.units import format_si
        from ..render.report import table

        rows = []
        for r in sorted(self.rows, key=lambda r: r.reported_gpu_hours):
            flag = ("D" if r.derived else "") + ("s" if r.gpu_hours_grade == "secondary" else "")
            rows.append(
                [
                    r.id + (f" [{flag}]" if flag else ""),
                    r.gpu,
                    format_si(r.reported_gpu_hours, 3),
                    format_si(r.predicted_p50, 3),
                    f"{format_si(r.predicted_p05, 3)}–{format_si(r.predicted_p95, 3)}",
                    f"{r.ratio:.2f}",
                    "yes" if r.inside else "NO",
                ]
            )
        out = [
            f"backtest: accelerator-hours predicted from params, tokens and hardware "
            f"(prior model {self.model}, leave-one-out)",
            "",
            table(rows, ["run", "accelerator", "reported", "p50", "p05–p95", "ratio", "inside"]),
            "",
            "[D] hours derived from cluster size × duration; "
            "[s] hours read only in secondary sources (not in the prior's fit set)",
            "",
        ]
        srows = []
        for name, s in self.summary.items():
            if not isinstance(s, dict) or not s.get("n"):
                continue
            srows.append(
                [
                    name,
                    str(s["n"]),
                    f"{s['median_abs_log10_error']:.3f}",
                    f"{s['share_inside_90']:.0%}",
                    f"{s['median_interval_width']:.2f}x",
                ]
            )
        out.append(
            table(srows, ["runs", "n", "median |log10 error|", "inside 90%", "median p95/p05"])
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
        """Predicted vs reported on log axes with 90 % bars and the 1:1 line."""
        from ..render.plots import backtest_plot

        backtest_plot(self, path)


def backtest(*, model: str | None = None) -> Backtest:
    """Leave-one-out backtest of the utilization prior on the run presets.

    Parameters
    ----------
    model : str, optional
        Prior model (see :data:`costmodel.priors.CANDIDATES`); default: the one the
        committed priors file uses.

    Returns
    -------
    Backtest
        ``summary`` has ``all`` (every run with hours), ``fit_set`` (primary-source runs,
        leave-one-out) and ``reported_only`` (hours published as hours).
    """
    from ..data import store

    if model is None:
        model = store.get("priors", "mfu-6nd").model
    fit_rows = priors.run_rows(grades=("primary",))
    all_rows = priors.run_rows(grades=("primary", "secondary"))
    fit_ids = {r.id for r in fit_rows}
    full = priors.fit(fit_rows, model)
    out = []
    for r in all_rows:
        loo = r.id in fit_ids
        prior = priors.fit([x for x in fit_rows if x.id != r.id], model) if loo else full
        acc = store.get("accelerators", store.get("runs", r.id).gpu)
        d = prior.dist(r.active_params, r.family, r.moe, upper=acc.matmul_ceiling_fraction or 1.0)
        flop = 6.0 * r.active_params * r.tokens
        hours = [flop / (r.peak_flop_per_s * d.quantile(q) * 3600.0) for q in (0.95, 0.5, 0.05)]
        gpu = store.get("runs", r.id).gpu
        out.append(
            BacktestRow(
                r.id,
                gpu,
                r.family,
                r.active_params,
                r.tokens,
                r.gpu_hours,
                r.basis,
                r.grade,
                loo,
                *hours,
            )
        )
    bt = Backtest(rows=out, model=model)
    bt.summary = {
        "all": _summary(out),
        "fit_set": _summary([r for r in out if r.leave_one_out]),
        "reported_only": _summary([r for r in out if not r.derived]),
    }
    return bt
