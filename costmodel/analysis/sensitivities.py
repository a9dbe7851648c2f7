"""What drives the answer: tornado swings and Sobol variance-based indices.

The Sobol estimators are in :mod:`~costmodel.analysis.sobol`; this module evaluates a
scenario for them and for the tornado, and holds the :class:`Sensitivity` result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import InputError, arg
from ..model.inputs import Names, Quantity, Rng
from ..model.scenario import given_inputs
from ..model.uncertainty import (
    evaluate_inputs,
    inputs_from_uniforms,
    uncertain_names,
)
from .sensitivity_basis import label_bases
from .sobol import sobol_indices

if TYPE_CHECKING:
    from ..formulas.architecture import Architecture
    from ..model.scenario import Scenario

__all__ = [
    "sobol_indices",
    "tornado",
    "Sensitivity",
    "sensitivity",
    "SCHEMA",
    "SENSITIVITY_OUTPUTS",
]

SCHEMA = "costmodel.sensitivity/1"
SENSITIVITY_OUTPUTS = (
    "cost_usd",
    "gpu_hours",
    "wall_clock_days",
    "energy_kwh",
    "co2e_kg",
    "model_flop",
)


def tornado(
    scenario: Scenario, output: str = "cost_usd", *, low: float = 0.05, high: float = 0.95
) -> tuple[list[dict[str, Any]], float]:
    """Each uncertain input at its ``low`` and ``high`` quantiles, the rest at medians.

    Returns
    -------
    (list of dict, float)
        Rows sorted by swing, largest first (``input``, ``low_value``, ``high_value``,
        ``output_at_low``, ``output_at_high``, ``swing``), and the output with every input
        at its median. One vectorized evaluation of ``2·d + 1`` points.
    """
    names = uncertain_names(scenario)
    if not names:
        raise InputError(
            f"sensitivity: no uncertain inputs; give at least one distribution "
            f"(e.g. {arg('mfu', '0.25..0.45', 'costmodel.dist.uniform(0.25, 0.45)')}) or leave "
            f"{arg('mfu')} out to use the prior"
        )
    d = len(names)
    u = np.full((2 * d + 1, d), 0.5)
    for i in range(d):
        u[1 + 2 * i, i] = low
        u[2 + 2 * i, i] = high
    inputs = inputs_from_uniforms(scenario, names, u)
    y = _output(scenario, inputs, output, u.shape[0])
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        lo_y, hi_y = y[1 + 2 * i], y[2 + 2 * i]
        rows.append(
            {
                "input": name,
                "low_value": float(inputs[name][1 + 2 * i]),
                "high_value": float(inputs[name][2 + 2 * i]),
                "output_at_low": float(lo_y),
                "output_at_high": float(hi_y),
                "swing": float(abs(hi_y - lo_y)),
            }
        )
    rows.sort(key=lambda r: -r["swing"])
    return rows, float(y[0])


def _output(scenario: Scenario, inputs: dict[str, np.ndarray], output: str, n: int) -> np.ndarray:
    res = evaluate_inputs(scenario, inputs, (output,), n)
    if output not in res:
        raise InputError(
            f"output: {output} cannot be computed for this scenario (see "
            f"`costmodel estimate` for the input it needs)"
        )
    return res[output]


@dataclass
class Sensitivity:
    """Result of :func:`sensitivity`."""

    output: str
    inputs: list[str]
    median_output: float
    tornado: list[dict[str, Any]]
    sobol: dict[str, Any] | None
    assumptions: list[str] = field(default_factory=list)
    #: the point estimate at the inputs' medians (``Estimate.to_dict()``), for plot subtitles
    point: dict[str, Any] | None = field(default=None, repr=False)
    mfu_basis: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        from ..model.estimation import to_jsonable

        return {
            "schema": SCHEMA,
            "output": self.output,
            "uncertain_inputs": self.inputs,
            "median_output": self.median_output,
            "tornado": self.tornado,
            "sobol": to_jsonable(self.sobol),
            "assumptions": self.assumptions,
            "mfu_basis": to_jsonable(self.mfu_basis),
        }

    def __str__(self) -> str:
        """The text report, as ``costmodel sensitivity`` prints it."""
        return self.table()

    def __repr__(self) -> str:
        top = self.tornado[0]["input"] if self.tornado else None
        return (
            f"Sensitivity(output={self.output!r}, median_output={self.median_output:.4g}, "
            f"inputs={self.inputs!r}, largest_swing={top!r}, sobol={self.sobol is not None})"
        )

    def rows(self, table: str = "tornado") -> list[dict[str, Any]]:
        """The ``tornado`` rows (largest swing first) or the ``sobol`` indices, one dict per
        input (``S1``, ``S1_ci_low``, ``S1_ci_high``, ``ST``, ...); no pandas needed."""
        from ..model.validate import shown

        if table not in ("tornado", "sobol"):
            raise InputError(f"table: {shown(table)} is not one of tornado, sobol")
        if table == "tornado":
            return [dict(r) for r in self.tornado]
        if self.sobol is None:
            raise InputError("table: no Sobol indices here (computed with sobol=False)")
        s = self.sobol
        out = []
        for i, name in enumerate(s["inputs"]):
            row: dict[str, Any] = {"input": name}
            for k in ("S1", "ST"):
                row[k] = float(s[k][i])
                ci = s.get(f"{k}_ci")
                if ci is not None:
                    row[f"{k}_ci_low"], row[f"{k}_ci_high"] = (float(x) for x in ci[i])
            out.append(row)
        return out

    def to_pandas(self, table: str = "tornado") -> Any:
        """The ``tornado`` or ``sobol`` table (see :meth:`rows`) as a ``pandas.DataFrame``.

        Needs pandas (``pip install "costmodel-ai[pandas]"``).
        """
        from ..errors import require_pandas

        pd = require_pandas()
        return pd.DataFrame(self.rows(table))

    def table(self) -> str:
        from ..render.report import fmt_value, table

        kind = "usd" if self.output == "cost_usd" else "si"
        out = [
            f"sensitivity of {self.output} (median {fmt_value(self.median_output, kind)})",
            "",
            "tornado: each input at its p05 and p95, the others at their medians",
        ]
        rows = [
            [
                r["input"],
                f"{fmt_value(r['low_value'])} → {fmt_value(r['high_value'])}",
                fmt_value(r["output_at_low"], kind),
                fmt_value(r["output_at_high"], kind),
                fmt_value(r["swing"], kind),
            ]
            for r in self.tornado
        ]
        out.append(table(rows, ["input", "p05 → p95", "output at p05", "output at p95", "swing"]))
        for r in self.tornado:  # each bar's numbers with the peak they are a fraction of
            if r.get("basis"):
                out.append(f"  {r['input']} p05 → p95 are fractions of the {r['basis']}")
        if self.sobol:
            s = self.sobol
            out += [
                "",
                f"Sobol indices ({s['n_evaluations']:,} evaluations, "
                f"{s['method']}; 95% bootstrap intervals)",
            ]
            rows = []
            # largest total index first (the arrays in to_dict keep the input order)
            order = sorted(range(len(s["inputs"])), key=lambda i: -float(s["ST"][i]))
            for i in order:
                name = s["inputs"][i]
                ci1 = s.get("S1_ci")
                cit = s.get("ST_ci")
                rows.append(
                    [
                        name,
                        f"{s['S1'][i]:.3f}",
                        f"[{ci1[i][0]:.3f}, {ci1[i][1]:.3f}]" if ci1 is not None else "",
                        f"{s['ST'][i]:.3f}",
                        f"[{cit[i][0]:.3f}, {cit[i][1]:.3f}]" if cit is not None else "",
                    ]
                )
            out.append(table(rows, ["input", "first-order S1", "95% CI", "total ST", "95% CI"]))
        if self.assumptions:
            out += ["", "assumptions"] + [f"  - {a}" for a in self.assumptions]
        return "\n".join(out)

    def to_html(self, command: str | None = None) -> str:
        """A self-contained HTML page: tornado chart and table, Sobol indices.

        ``command``, if given, is shown as the way to regenerate the page.
        """
        from ..render import html_results as r

        return r.page("sensitivity", r.sensitivity_body(self.to_dict()), command=command)

    def _repr_html_(self) -> str:
        """Notebook display: the same HTML without the page chrome."""
        from ..render.html import fragment
        from ..render.html_results import sensitivity_body

        return fragment(sensitivity_body(self.to_dict()))

    def plot(self, path: str, scenario: str | None = None) -> None:
        """Tornado chart (.png or .svg); the subtitle defaults to the whole scenario."""
        from ..render.plot_labels import scenario_subtitle
        from ..render.plots import tornado_plot

        if scenario is None:
            scenario = scenario_subtitle(self.point) if self.point else ""
        tornado_plot(self, path, scenario)


def sensitivity(
    output: str = "cost_usd",
    *,
    params: Quantity = None,
    active_params: Quantity = None,
    tokens: Quantity = None,
    gpu: Names = None,
    precision: Names = None,
    mfu: Quantity = None,
    goodput: Quantity = None,
    n_gpus: Quantity = None,
    price_usd_per_gpu_hour: Quantity | Literal["market"] = None,
    fp8_fraction: Quantity = None,
    pue: Quantity = None,
    usd_per_kwh: Quantity = None,
    grid_kg_co2e_per_kwh: Quantity = None,
    ownership: bool = False,
    server_usd_per_gpu: Quantity = None,
    depreciation_oom_per_year: Quantity = None,
    run: str | None = None,
    architecture: Architecture | dict[str, Any] | None = None,
    flop_convention: str = "6nd",
    recompute: str = "none",
    mtp: bool = False,
    seq_len: int | None = None,
    mfu_basis: str = "16bit",
    samples: int = 4096,
    rng: Rng = None,
    qmc: bool = True,
    n_boot: int = 200,
    sobol: bool = True,
    n: int | None = None,
) -> Sensitivity:
    """Tornado and Sobol indices of one output over a scenario's uncertain inputs.

    Parameters
    ----------
    output : str
        One of ``cost_usd``, ``gpu_hours``, ``wall_clock_days``, ``energy_kwh``,
        ``co2e_kg``, ``model_flop``.
    samples : int, default 4096
        Base sample size for the Sobol indices (``samples·(d + 2)`` evaluations), the
        same name as in :func:`costmodel.estimate`, :func:`costmodel.solve` and
        :func:`costmodel.check`.
    rng : Generator, int or None
        Random source.
    qmc : bool, default True
        Scrambled Sobol points.
    n_boot : int, default 200
        Bootstrap resamples for confidence intervals.
    sobol : bool, default True
        Compute Sobol indices (the tornado is always computed).
    n : int, optional
        Deprecated alias of ``samples``.
    params, active_params, tokens, gpu, precision, mfu, goodput, n_gpus, \
price_usd_per_gpu_hour, fp8_fraction, pue, usd_per_kwh, grid_kg_co2e_per_kwh, ownership, \
server_usd_per_gpu, depreciation_oom_per_year, run, architecture, flop_convention, \
recompute, mtp, seq_len, mfu_basis
        Scenario inputs, as for :func:`costmodel.estimate` (same units and defaults);
        uncertain ones as distributions. Without ``mfu`` the utilization prior is one of
        the uncertain inputs.

    Returns
    -------
    Sensitivity
    """
    inputs = given_inputs(locals())
    if n is not None:
        import warnings

        warnings.warn(
            "sensitivity(n=...) is deprecated; use samples=..., as in estimate, solve and check",
            DeprecationWarning,
            stacklevel=2,
        )
        samples = n
    from ..model import validate
    from ..model.scenario import DOMAINS, Scenario
    from ..model.uncertainty import MAX_SAMPLES, check_samples

    validate.choice("output", output, SENSITIVITY_OUTPUTS)
    if output not in SENSITIVITY_OUTPUTS:
        raise InputError(f"output: {output!r} is not one of {', '.join(SENSITIVITY_OUTPUTS)}")
    qmc, sobol = validate.flag("qmc", qmc), validate.flag("sobol", sobol)
    validate.check_rng(rng)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer):
        got = validate.shown(n_boot)
        raise InputError(f"n_boot: expected a whole number of resamples, got {got}")
    validate.single_values("sensitivity", inputs, (*DOMAINS, "gpu", "precision"))
    validate.warn_unit_slips(inputs)  # a likely unit slip: warned, not refused
    # a price only matters for cost: without one, the market default is for cost alone
    sc = Scenario(**inputs, default_price=output == "cost_usd")
    n = check_samples(samples)
    from ..model.estimation import estimate_scenario
    from ..render.report import missing_hint

    point = estimate_scenario(sc).to_dict()
    if point.get(output) is None:
        raise InputError(f"output: {output} cannot be computed here: {missing_hint(output, point)}")
    rows, median = tornado(sc, output)
    label_bases(sc, rows)
    names = uncertain_names(sc)
    result: dict[str, Any] | None = None
    if sobol:
        if n < 16:
            raise InputError("samples: Sobol indices need at least 16 base samples")
        if n * (len(names) + 2) > MAX_SAMPLES:
            raise InputError(
                f"samples: {n} base samples × {len(names) + 2} = "
                f"{n * (len(names) + 2):,} evaluations exceeds {MAX_SAMPLES:,}"
            )

        def f(u: np.ndarray) -> np.ndarray:
            return _output(sc, inputs_from_uniforms(sc, names, u), output, u.shape[0])

        indices = sobol_indices(f, len(names), n, rng, qmc=qmc, n_boot=n_boot)
        method = "Saltelli 2010 S1, Jansen 1999 ST" + (", Sobol QMC" if qmc else "")
        result = {**indices, "inputs": names, "method": method}
    return Sensitivity(
        output=output,
        inputs=names,
        median_output=median,
        tornado=rows,
        sobol=result,
        assumptions=list(sc.assumptions),
        point=point,
        mfu_basis=point.get("mfu_basis"),
    )
