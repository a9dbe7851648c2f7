"""``costmodel.sweep``: cartesian grids over any inputs, evaluated in chunks.

The parts: :mod:`~costmodel.analysis.sweep_grid` (what can be swept, ``NAME=SPEC``
parsing), :mod:`~costmodel.analysis.sweep_eval` (evaluation a chunk at a time) and
:mod:`~costmodel.analysis.sweep_output` (CSV, JSON Lines and JSON streamed to a file or
stdout). This module holds the in-memory :func:`sweep` and its :class:`SweepResult`, and
names the parts' public functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import InputError
from ..model import validate
from ..model.estimation import OUTPUT_KEYS
from ..model.inputs import Names, Quantity
from ..model.scenario import DOMAINS, Scenario, given_inputs
from .sweep_eval import CHUNK_ROWS, iter_sweep
from .sweep_grid import (
    MAX_GRID_ROWS,
    MAX_IN_MEMORY_ROWS,
    SCENARIO_KEYS,
    SWEEP_OUTPUTS,
    VECTOR_KEYS,
    Axis,
    GridLike,
    api_grid,
    check_sweep_shape,
    grid_size,
    is_log,
    parse_grid,
)
from .sweep_output import output_format, stream_sweep, write_sweep

if TYPE_CHECKING:
    from ..formulas.architecture import Architecture

__all__ = [
    "SWEEP_OUTPUTS",
    "SCENARIO_KEYS",
    "VECTOR_KEYS",
    "parse_grid",
    "grid_size",
    "check_sweep_shape",
    "iter_sweep",
    "write_sweep",
    "stream_sweep",
    "output_format",
    "SweepResult",
    "sweep",
    "sweep_assumptions",
    "MAX_GRID_ROWS",
    "MAX_IN_MEMORY_ROWS",
    "CHUNK_ROWS",
]


@dataclass
class SweepResult:
    """Columns of a swept grid (inputs first, then outputs)."""

    columns: dict[str, np.ndarray]
    swept: tuple[str, ...] = ()
    #: swept inputs on log-spaced grids (plotted on log axes)
    log_keys: tuple[str, ...] = ()
    #: the inputs held fixed, as given to :func:`sweep`
    fixed: dict[str, Any] = field(default_factory=dict)
    #: what was assumed (market prices, the utilization prior, PUE), see :func:`sweep_assumptions`
    assumptions: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __repr__(self) -> str:
        return (
            f"SweepResult({len(self):,} rows; swept={list(self.swept)!r}; "
            f"columns={list(self.columns)!r})"
        )

    def __str__(self) -> str:
        """The swept inputs and the outputs of the first rows as a text table (every
        column and row: :meth:`to_pandas`, :meth:`to_dict` or ``.columns``)."""
        from ..render.report import fmt_value, table

        keys = [k for k in self.columns if k in self.swept or k in OUTPUT_KEYS]
        n = len(self)
        shown = min(n, 10)
        cols = [
            [
                fmt_value(x, "usd" if k.endswith("_usd") else "si")
                for x in self.columns[k][:shown].tolist()
            ]
            for k in keys
        ]
        rows = [list(r) for r in zip(*cols, strict=True)]
        head = f"sweep over {', '.join(self.swept) or 'no input'}: {n:,} rows"
        more = [f"  ... {n - shown:,} more rows (see .to_pandas())"] if n > shown else []
        return "\n".join([head, table(rows, keys), *more])

    def to_dict(self) -> dict[str, list]:
        """Plain lists per column."""
        from ..model.estimation import to_jsonable

        return {k: to_jsonable(v) for k, v in self.columns.items()}

    def to_pandas(self):
        """A ``pandas.DataFrame``, one row per grid point (needs pandas; without it,
        :meth:`to_dict` or ``.columns``, a dict of numpy arrays)."""
        from ..errors import require_pandas

        pd = require_pandas()

        return pd.DataFrame(self.columns)

    def plot(self, path: str, output: str = "cost_usd", scenario: str | None = None) -> None:
        """Lines, a heatmap or bars (.png or .svg); the subtitle defaults to the scenario."""
        from ..render.sweep_plots import sweep_plot

        if scenario is None:
            scenario = self.subtitle()
        sweep_plot(self, path, output, scenario)

    def subtitle(self) -> str:
        """The whole scenario in words, the swept inputs marked as swept."""
        from ..model.estimation import estimate
        from ..render.plot_labels import scenario_subtitle
        from ..render.sweep_plots import mfu_basis_line

        first = {k: v[0] for k, v in self.columns.items() if k in self.swept and len(v)}
        try:
            d = estimate(**{**self.fixed, **first}).to_dict()
        except Exception:  # noqa: BLE001 - a subtitle never blocks the chart
            return ""
        # a sweep evaluates each input at its median (a market price, say): show that value
        d["inputs"] = {
            k: v.get("median", v) if isinstance(v, dict) and "dist" in v else v
            for k, v in d["inputs"].items()
        }
        lines = [scenario_subtitle(d, swept=self.swept)]
        if "dense peak" not in lines[0]:  # the MFU's basis, as estimate charts state it
            lines.append(mfu_basis_line(d, self.swept))
        return "\n".join(x for x in lines if x)


def sweep(
    grid: Mapping[str, Axis] | Sequence[str] | str,
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
    outputs: Sequence[str] = SWEEP_OUTPUTS,
) -> SweepResult:
    """Evaluate every point of a cartesian grid (in memory).

    Parameters
    ----------
    grid : dict or list of str
        ``{"mfu": [0.2, 0.3], "gpu": ["h800-sxm", "h20"]}`` or CLI-style
        ``["mfu=0.2:0.5:7", "gpu=h800-sxm,h20"]``.
    params, active_params, tokens, gpu, precision, mfu, goodput, n_gpus, \
price_usd_per_gpu_hour, fp8_fraction, pue, usd_per_kwh, grid_kg_co2e_per_kwh, ownership, \
server_usd_per_gpu, depreciation_oom_per_year, run, architecture, flop_convention, \
recompute, mtp, seq_len, mfu_basis
        Scenario inputs, as for :func:`costmodel.estimate` (same units and defaults), held
        fixed; an input in ``grid`` is left out here.
    outputs : sequence of str
        Outputs to keep.

    Returns
    -------
    SweepResult
        ``.columns``, ``.assumptions``, ``.to_pandas()``, ``.plot(path)``. With ``gpu``
        swept and no price, each accelerator's cost is at its market price (median), as
        for one accelerator, and ``.assumptions`` says which.

    Examples
    --------
    >>> r = sweep({"mfu": [0.25, 0.5]}, active_params=37e9, tokens=14.8e12,
    ...           gpu="h800-sxm", precision="bf16")
    >>> [round(float(h) / 1e6, 2) for h in r["gpu_hours"]]
    [3.69, 1.84]
    """
    fixed = given_inputs(locals())
    parsed = api_grid(grid)
    validate.warn_unit_slips({**fixed, **parsed})  # a likely unit slip: warned, not refused
    _api_outputs(outputs, fixed)
    n = grid_size(parsed)
    if n > MAX_IN_MEMORY_ROWS:
        raise InputError(
            f"grid: {n:,} points exceed the in-memory limit of "
            f"{MAX_IN_MEMORY_ROWS:,}; stream to a file with write_sweep() or "
            f"`costmodel sweep -o FILE`"
        )
    chunks = list(iter_sweep(parsed, outputs=outputs, **fixed))
    cols = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]} if chunks else {}
    # in memory, drop outputs that no grid point could compute
    cols = {
        k: v for k, v in cols.items() if k in parsed or v.dtype == object or not np.all(np.isnan(v))
    }
    log_keys = tuple(k for k, v in parsed.items() if is_log(v))
    return SweepResult(
        cols,
        swept=tuple(parsed),
        log_keys=log_keys,
        fixed=dict(fixed),
        assumptions=sweep_assumptions(parsed, fixed),
    )


def sweep_assumptions(grid: GridLike, fixed: Mapping[str, Any]) -> list[str]:
    """Assumptions of the scenario at the grid's first point, and for every accelerator
    swept its own: its market price when no price is given, its utilization prior's note
    (each family has its own fit). Repeats are dropped."""
    first = {k: v[0] for k, v in grid.items()}
    if "gpu" not in grid:
        return list(Scenario(**{**fixed, **first}).assumptions)
    notes: list[str] = []
    for g in grid["gpu"]:
        sc = Scenario(**{**fixed, **first, "gpu": g})
        notes += [f"{sc.gpu}: {a}" if "prior" in a else a for a in sc.assumptions]
    return list(dict.fromkeys(notes))


def _api_outputs(outputs: Any, fixed: dict[str, Any]) -> None:
    from ..model import validate

    allowed = (*OUTPUT_KEYS, "ownership_usd_per_gpu_hour", "ownership_cost_usd")
    validate.names("outputs", outputs, allowed)
    validate.single_values("a sweep's fixed input", fixed, (*DOMAINS, "gpu", "precision"))
