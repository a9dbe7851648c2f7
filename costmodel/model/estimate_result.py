"""The result of :func:`costmodel.estimate`: :class:`Estimate`, its stable JSON schema
(``costmodel.estimate/1``) and the conversion of numpy values and distributions to JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..formulas.distbase import Dist

__all__ = ["SCHEMA", "OUTPUT_KEYS", "Estimate", "scalar", "to_jsonable"]

SCHEMA = "costmodel.estimate/1"
#: Output keys of ``Estimate.to_dict()`` (always present; ``None`` when not computable).
OUTPUT_KEYS = (
    "model_flop",
    "hardware_flop",
    "flop_per_token",
    "peak_flop_per_s",
    "mfu",
    "hfu",
    "gpu_hours",
    "wall_clock_days",
    "cost_usd",
    "energy_kwh",
    "co2e_kg",
    "tokens_per_s_per_gpu",
)


def to_jsonable(x: Any) -> Any:
    """Convert numpy values, NaN and distributions to plain JSON data."""
    if x is None:
        return None
    if isinstance(x, Dist):
        return x.to_dict()
    if isinstance(x, dict):
        return {k: to_jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [to_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return to_jsonable(x.item())
        return [to_jsonable(v) for v in x.tolist()]
    if isinstance(x, np.generic):
        return to_jsonable(x.item())
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    return x


def scalar(x: Any) -> Any:
    """A 0-d array as its Python value; anything else unchanged."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return x.item()
    return x


@dataclass
class Estimate:
    """Result of :func:`estimate`. Values are floats for scalar inputs, arrays otherwise.

    Attributes follow the glossary; ``quantiles`` maps outputs to their p05/p50/p95,
    mean and Monte Carlo standard error when samples were drawn.
    """

    inputs: dict[str, Any]
    assumptions: list[str]
    flop_convention: str
    model_flop: Any = None
    hardware_flop: Any = None
    flop_per_token: Any = None
    peak_flop_per_s: Any = None
    mfu: Any = None
    hfu: Any = None
    gpu_hours: Any = None
    wall_clock_days: Any = None
    cost_usd: Any = None
    energy_kwh: Any = None
    co2e_kg: Any = None
    tokens_per_s_per_gpu: Any = None
    quantiles: dict[str, dict] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    samples: Any = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON schema (``costmodel.estimate/1``)."""
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "inputs": to_jsonable(self.inputs),
            "assumptions": list(self.assumptions),
            "flop_convention": self.flop_convention,
        }
        for k in OUTPUT_KEYS:
            d[k] = to_jsonable(getattr(self, k))
        d["quantiles"] = to_jsonable(self.quantiles) if self.quantiles else {}
        for k, v in self.extras.items():
            d[k] = to_jsonable(v)
        d.setdefault("mfu_basis", None)
        d.setdefault("time_basis", None)  # "steady_state" with mfu from the performance model
        from ..render.needs import missing_inputs

        d["missing_inputs"] = missing_inputs(d)
        return d

    def to_pandas(self):
        """One row per scenario (arrays) or a single row; needs pandas."""
        from ..errors import require_pandas

        pd = require_pandas()

        cols = {
            k: np.atleast_1d(getattr(self, k)) for k in OUTPUT_KEYS if getattr(self, k) is not None
        }
        for k, v in self.inputs.items():
            if v is not None and not isinstance(v, Dist | dict):
                cols.setdefault(k, np.atleast_1d(np.asarray(v)))
        n = max(len(v) for v in cols.values())
        return pd.DataFrame({k: np.broadcast_to(v, (n,)) for k, v in cols.items()})

    def samples_to_numpy(self) -> dict[str, np.ndarray]:
        """The Monte Carlo draws: each sampled input and each output, one array of length
        ``samples`` per name (no pandas needed). Needs ``samples > 0``."""
        from ..errors import InputError

        if self.samples is None:
            raise InputError("samples: this estimate drew no samples; give samples > 0")
        return {
            k: np.asarray(v) for k, v in {**self.samples.inputs, **self.samples.outputs}.items()
        }

    def samples_to_pandas(self):
        """The Monte Carlo draws (see :meth:`samples_to_numpy`) as a ``pandas.DataFrame``,
        one row per sample; needs pandas."""
        from ..errors import require_pandas

        pd = require_pandas("samples_to_pandas")
        return pd.DataFrame(self.samples_to_numpy())

    def plot(
        self,
        path: str,
        output: str = "cost_usd",
        claimed: float | None = None,
        title: str = "",
        subtitle: str | None = None,
    ) -> None:
        """Histogram and CDF of a sampled output (needs ``samples > 0``).

        The subtitle defaults to the whole scenario (parameters, tokens, accelerator,
        precision, MFU and its source, price). When no input is uncertain every sample is the
        same number, and the chart is one marked line at it with a note.
        """
        from ..errors import InputError
        from ..render.plot_labels import scenario_subtitle
        from ..render.plots import distribution_plot

        if self.samples is None or output not in self.samples.outputs:
            raise InputError(
                f"plot: no samples of {output}; give samples > 0 and the inputs {output} needs"
            )
        distribution_plot(
            self.samples.outputs[output],
            path,
            output=output,
            claimed=claimed,
            title=title,
            subtitle=scenario_subtitle(self.to_dict()) if subtitle is None else subtitle,
        )

    def to_html(self, command: str | None = None) -> str:
        """A self-contained HTML page: inputs, outputs, quantiles, the distribution chart.

        ``command``, if given, is shown as the way to regenerate the page.
        """
        from ..render import html_results as r

        return r.page("estimate", r.estimate_body(self.to_dict(), self._draws()), command=command)

    def _repr_html_(self) -> str:
        """Notebook display: the same HTML without the page chrome."""
        from ..render.html import fragment
        from ..render.html_results import estimate_body

        return fragment(estimate_body(self.to_dict(), self._draws()))

    def _draws(self) -> dict[str, Any] | None:
        return self.samples.outputs if self.samples is not None else None

    def __repr__(self) -> str:
        from ..render.report import estimate_table, fit_width

        return fit_width(estimate_table(self.to_dict()))
