"""A sweep's evaluation: the grid, chunk by chunk, as columns of inputs and outputs.

A grid point is a linear index; each chunk of indices is unravelled into input arrays and
evaluated by one vectorized :meth:`Scenario.evaluate` call, so a 10⁸-point grid runs with
bounded memory.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, TypeAlias

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
    "mfu_basis",  # the peak mfu is a fraction of (16bit, fp8, blended)
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
#: The input a swept accelerator's market price fills when no price is given.
PRICE = "price_usd_per_gpu_hour"
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
    ``null``. With ``gpu`` swept and no price given (or ``"market"``), each accelerator's
    market price at its median is used, as for a single accelerator, looked up once per
    distinct id.
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
    # a swept accelerator without a price: each one's market price, as a single one gets
    market = "gpu" in inner_keys and PRICE not in grid
    given = fixed.get(PRICE)
    strict = market and isinstance(given, str) and given.strip().lower() == "market"
    cache: dict[str, float] = {}
    if strict:
        del fixed[PRICE]
        for g in grid["gpu"]:  # refused before the first row, not midway
            _market_median(str(g), cache, strict)
    elif fixed.get(PRICE) is not None:
        market = False
    extra: list[str] | None = None  # the fixed-input columns, chosen on the first chunk
    for combo in itertools.product(*(grid[k] for k in outer_keys)):
        block = dict(zip(outer_keys, combo, strict=True))
        for start in range(0, inner_total, chunk_rows):
            idx = np.arange(start, min(start + chunk_rows, inner_total))
            sub = np.unravel_index(idx, shape) if shape else ()
            vals: dict[str, Any] = {k: arrays[k][sub[i]] for i, k in enumerate(inner_keys)}
            m = idx.size
            parts = _price_parts(vals, cache, strict) if market else [(None, vals)]
            evaluated: list[_Part] = []
            for mask, part in parts:
                sc = Scenario(**fixed, **block, **part)
                evaluated.append((mask, sc, sc.evaluate(sc.point_values())))
            if extra is None:
                extra = _input_columns(evaluated[0][1], grid, outputs)
                if market:  # even when the first rows' accelerator has no market price
                    extra = [k for k in INPUT_COLUMNS if k in extra or k == PRICE]
            cols: dict[str, np.ndarray] = {}
            for k in grid:
                if k == "gpu":  # the resolved id, not the alias typed
                    cols[k] = _scatter(m, evaluated, _gpu_part, k)
                else:
                    cols[k] = np.full(m, block[k], dtype=object) if k in block else vals[k]
            for k in extra:
                cols[k] = _scatter(m, evaluated, _input_part, k)
            for k in outputs:  # every requested output, so streamed columns never shift
                cols[k] = _scatter(m, evaluated, _output_part, k)
            yield cols


#: One evaluated part of a chunk: its rows (None: all), its scenario and its outputs.
_Part: TypeAlias = "tuple[np.ndarray | None, Scenario, dict[str, Any]]"


def _price_parts(
    vals: dict[str, Any], cache: dict[str, float], strict: bool
) -> list[tuple[np.ndarray | None, dict[str, Any]]]:
    """The chunk's inputs with each row's market price at its median (the one rule of
    :mod:`costmodel.model.market`, looked up once per distinct accelerator), split into
    the rows that have one and those whose accelerator has none (their cost stays empty,
    as a single such accelerator's does; an error when ``market`` was asked for)."""
    ids, inverse = np.unique(np.asarray(vals["gpu"], dtype=str), return_inverse=True)
    prices = np.array([_market_median(g, cache, strict) for g in ids.tolist()])[inverse]
    known = np.isfinite(prices)
    if known.all():
        return [(None, {**vals, PRICE: prices})]
    if not known.any():
        return [(None, vals)]
    priced = {k: v[known] for k, v in vals.items()}
    return [
        (known, {**priced, PRICE: prices[known]}),
        (~known, {k: v[~known] for k, v in vals.items()}),
    ]


def _market_median(gpu: str, cache: dict[str, float], strict: bool) -> float:
    if gpu not in cache:
        from ..data import store
        from ..errors import InputError
        from ..model.market import market_price

        try:
            cache[gpu] = float(market_price(store.get("accelerators", gpu).id).dist().median())
        except InputError:
            if strict:
                raise
            cache[gpu] = math.nan
    return cache[gpu]


#: A column of one evaluated part: ``(scenario, outputs, rows, key) -> values``.
_Column: TypeAlias = "Callable[[Scenario, dict[str, Any], int, str], np.ndarray]"


def _scatter(m: int, parts: list[_Part], column: _Column, key: str) -> np.ndarray:
    """Column ``key`` of ``m`` rows from the parts a chunk was evaluated in."""
    pieces = []
    for mask, sc, res in parts:
        n = m if mask is None else int(np.count_nonzero(mask))
        pieces.append((mask, column(sc, res, n, key)))
    if len(pieces) == 1 and pieces[0][0] is None:
        return pieces[0][1]
    kind = object if any(p.dtype == object for _, p in pieces) else float
    out = np.full(m, np.nan, dtype=kind)
    for mask, piece in pieces:
        out[slice(None) if mask is None else mask] = piece
    return out


def _gpu_part(sc: Scenario, res: dict[str, Any], n: int, key: str) -> np.ndarray:
    """The resolved accelerator ids, not the aliases typed."""
    return np.broadcast_to(np.asarray(sc.gpu, dtype=object), (n,))


def _input_part(sc: Scenario, res: dict[str, Any], n: int, key: str) -> np.ndarray:
    return _input_column(sc, key, n)


def _output_part(sc: Scenario, res: dict[str, Any], n: int, key: str) -> np.ndarray:
    """Output ``key`` of an evaluation (NaN where it cannot be computed)."""
    r = res.get(key)
    return np.full(n, np.nan) if r is None else np.broadcast_to(np.asarray(r, float), (n,))


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
