"""A sweep's evaluation: the grid, chunk by chunk, as columns of inputs and outputs.

A grid point is a linear index; each chunk of indices is unravelled into input arrays and
evaluated by one vectorized :meth:`Scenario.evaluate` call, so a 10⁸-point grid runs with
bounded memory.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import numpy as np

from ..model.scenario import Scenario
from .grid import GridAxis
from .sweep_grid import CATEGORICAL, SCENARIO_KEYS, SWEEP_OUTPUTS, GridLike, validate_grid

__all__ = ["iter_sweep", "INPUT_COLUMNS", "CHUNK_ROWS"]

#: Resolved inputs written beside the swept ones (when not swept and known).
INPUT_COLUMNS = (
    "run",
    "params",
    "active_params",
    "tokens",
    "gpu",
    "precision",
    "fp8_fraction",
    "mfu",
    "goodput",
    "n_gpus",
    "price_usd_per_gpu_hour",
    "pue",
    "usd_per_kwh",
    "grid_kg_co2e_per_kwh",
    "server_usd_per_gpu",
    "depreciation_oom_per_year",
    "flop_convention",
    "recompute",
    "seq_len",
)
#: Rows per evaluation chunk: about 30 float64 arrays of 2¹⁶ rows ≈ 16 MiB.
CHUNK_ROWS = 1 << 16


def iter_sweep(
    grid: GridLike,
    *,
    outputs: Sequence[str] = SWEEP_OUTPUTS,
    chunk_rows: int = CHUNK_ROWS,
    **fixed: Any,
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the grid in chunks: dicts of equal-length column arrays (inputs, then outputs).

    Every chunk has the same columns; an output that cannot be computed for some grid
    points (a run preset without ``n_gpus``, say) is NaN there: an empty CSV cell, a JSON
    ``null``.
    """
    fixed = {k: v for k, v in fixed.items() if v is not None and v is not False}
    if fixed.get("ownership"):
        outputs = (*outputs, "ownership_usd_per_gpu_hour", "ownership_cost_usd")
    if "recompute" in grid:  # recomputation shows only in the hardware count
        outputs = (*outputs, "hardware_flop", "hfu")
    validate_grid(grid, fixed)
    outer_keys = [k for k in grid if k in SCENARIO_KEYS]
    inner_keys = [k for k in grid if k not in SCENARIO_KEYS]
    shape = tuple(len(grid[k]) for k in inner_keys)
    inner_total = math.prod(shape)
    # lazy axes stay lazy: values are computed for each chunk's indices
    arrays: dict[str, GridAxis | np.ndarray] = {}
    for k in inner_keys:
        axis = grid[k]
        arrays[k] = (
            axis
            if isinstance(axis, GridAxis)
            else np.asarray(axis, dtype=object if k in CATEGORICAL else float)
        )
    extra: list[str] | None = None  # the fixed-input columns, chosen on the first chunk
    for combo in itertools.product(*(grid[k] for k in outer_keys)):
        block = dict(zip(outer_keys, combo, strict=True))
        for start in range(0, inner_total, chunk_rows):
            idx = np.arange(start, min(start + chunk_rows, inner_total))
            sub = np.unravel_index(idx, shape) if shape else ()
            vals: dict[str, Any] = {k: arrays[k][sub[i]] for i, k in enumerate(inner_keys)}
            sc = Scenario(**fixed, **block, **vals)
            res = sc.evaluate(sc.point_values())
            m = idx.size
            if extra is None:
                extra = _input_columns(sc, grid, outputs)
            cols: dict[str, np.ndarray] = {}
            for k in grid:
                if k == "gpu":  # the resolved id, not the alias typed
                    cols[k] = np.broadcast_to(np.asarray(sc.gpu, dtype=object), (m,))
                else:
                    cols[k] = np.full(m, block[k], dtype=object) if k in block else vals[k]
            for k in extra:
                cols[k] = _input_column(sc, k, m)
            for k in outputs:  # every requested output, so streamed columns never shift
                r = res.get(k)
                cols[k] = (
                    np.full(m, np.nan) if r is None else np.broadcast_to(np.asarray(r, float), (m,))
                )
            yield cols


def _input_value(sc: Scenario, k: str) -> Any:
    """A resolved input of ``sc`` (None when unknown or a distribution)."""
    if k == "seq_len":
        return sc.architecture.seq_len if sc.architecture is not None else None
    v = getattr(sc, k, None)
    from ..formulas.distbase import Dist

    return None if isinstance(v, Dist) else v


def _input_columns(sc: Scenario, grid: Collection[str], outputs: Sequence[str]) -> list[str]:
    """Resolved inputs that are neither swept nor outputs, and known for this scenario."""
    return [
        k
        for k in INPUT_COLUMNS
        if k not in grid and k not in outputs and _input_value(sc, k) is not None
    ]


def _input_column(sc: Scenario, k: str, m: int) -> np.ndarray:
    v = _input_value(sc, k)
    if v is None:
        return np.full(m, np.nan)
    if k in CATEGORICAL or isinstance(v, str):
        return np.broadcast_to(np.asarray(v, dtype=object), (m,))
    return np.broadcast_to(np.asarray(v, dtype=float), (m,))
