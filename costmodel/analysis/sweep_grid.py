"""Sweep grids: which inputs can be swept, ``NAME=SPEC`` parsing, size and validation.

A grid maps input names to their values: a list (numbers or ids) or a lazy
:class:`~costmodel.analysis.grid.GridAxis` for ``start:stop:count`` ranges. Nothing here
evaluates a scenario; :mod:`costmodel.analysis.sweep_eval` does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

from ..errors import InputError
from ..formulas.units import parse_quantity
from ..model.estimation import OUTPUT_KEYS
from ..model.scenario import DOMAINS
from .grid import GridAxis

__all__ = [
    "Axis",
    "Grid",
    "GridLike",
    "SWEEP_OUTPUTS",
    "VECTOR_KEYS",
    "SCENARIO_KEYS",
    "CATEGORICAL",
    "INTEGER_KEYS",
    "GRID_ALIASES",
    "MAX_GRID_ROWS",
    "MAX_IN_MEMORY_ROWS",
    "grid_name",
    "parse_grid",
    "grid_size",
    "validate_grid",
    "check_sweep_shape",
    "is_log",
    "api_grid",
]

#: One swept input's values: a list (numbers or ids) or a lazy range.
Axis: TypeAlias = "Sequence[Any] | GridAxis"
#: A parsed grid, in the order the inputs were given.
Grid: TypeAlias = "dict[str, Axis]"
#: What the functions reading a grid accept (any mapping of name to values).
GridLike: TypeAlias = "Mapping[str, Axis]"

#: Outputs a sweep keeps: the estimate's outputs less the per-scenario constants.
SWEEP_OUTPUTS = tuple(
    k for k in OUTPUT_KEYS if k not in ("hardware_flop", "flop_per_token", "peak_flop_per_s", "hfu")
)
#: Inputs that vary element by element inside one evaluation.
VECTOR_KEYS = (*DOMAINS, "gpu", "precision")
#: Inputs that change the scenario itself; each value is its own block of evaluations.
SCENARIO_KEYS = ("run", "flop_convention", "recompute", "seq_len")
CATEGORICAL = ("gpu", "precision", "run", "flop_convention", "recompute")
#: Whole-number inputs: their grid values are rounded, and repeats dropped.
INTEGER_KEYS = (*(k for k, d in DOMAINS.items() if d.integer), "seq_len")
#: Short names a grid takes, as the CLI's flags do (``--price``, ``--gpus``).
GRID_ALIASES = {"price": "price_usd_per_gpu_hour", "gpus": "n_gpus"}
#: Largest grid written to a file (about a day of streaming); larger is refused.
MAX_GRID_ROWS = 10**9
#: Largest grid :func:`~costmodel.analysis.sweeping.sweep` keeps in memory.
MAX_IN_MEMORY_ROWS = 10**7


def grid_name(name: str) -> str:
    """The input a grid name sweeps (``price`` → ``price_usd_per_gpu_hour``); an unknown
    name is one :class:`InputError` with the closest match and every sweepable name."""
    key = name.strip().replace("-", "_")
    key = GRID_ALIASES.get(key, key)
    if key not in (*VECTOR_KEYS, *SCENARIO_KEYS):
        from ..errors import close_matches

        near = close_matches(key, [*VECTOR_KEYS, *SCENARIO_KEYS, *GRID_ALIASES])
        hint = f" did you mean {near[0].replace('_', '-')}?" if near else ""
        raise InputError(
            f"grid: cannot sweep {name!r};{hint} sweepable: "
            f"{', '.join(k.replace('_', '-') for k in (*VECTOR_KEYS, *SCENARIO_KEYS))} "
            f"(short names: {', '.join(GRID_ALIASES)})"
        )
    return key


def parse_grid(specs: Sequence[str]) -> Grid:
    """Parse ``NAME=SPEC`` strings.

    ``SPEC`` is ``start:stop:count`` (evenly spaced), ``start:stop:count:log`` (log
    spaced), or a comma-separated list (numbers with SI suffixes, or ids for ``gpu``,
    ``precision``, ``run``, ``flop-convention``, ``recompute``). Ranges become lazy
    :class:`~costmodel.analysis.grid.GridAxis` objects (values computed a chunk at a time); ranges
    of whole-number inputs (``n-gpus``, ``seq-len``) are rounded and repeats dropped.
    ``NAME`` may be a short name the CLI's flags also take: ``price`` for
    ``price-usd-per-gpu-hour``, ``gpus`` for ``n-gpus``.

    Examples
    --------
    >>> g = parse_grid(["mfu=0.2:0.5:4", "gpu=h800-sxm,h20"])
    >>> g["mfu"].tolist(), g["gpu"]
    ([0.2, 0.3, 0.4, 0.5], ['h800-sxm', 'h20'])
    >>> parse_grid(["tokens=1T:100T:3:log"])["tokens"].tolist()
    [1000000000000.0, 10000000000000.0, 100000000000000.0]
    >>> parse_grid(["n-gpus=512:4096:4:log"])["n_gpus"].tolist()
    [512.0, 1024.0, 2048.0, 4096.0]
    >>> parse_grid(["price=1,2"])
    {'price_usd_per_gpu_hour': [1.0, 2.0]}
    """
    grid: Grid = {}
    for spec in specs:
        name, eq, values = str(spec).partition("=")
        if not eq or not values.strip():
            raise InputError(
                f"grid: {spec!r} must look like NAME=start:stop:count or NAME=v1,v2,..."
            )
        key = grid_name(name)
        if key in grid:
            raise InputError(f"grid: {name} given twice")
        axis: Axis
        if key in CATEGORICAL:
            axis = [v.strip() for v in values.split(",") if v.strip()]
        elif ":" in values:
            axis = _parse_range(spec, name, key, values)
        else:
            axis = [parse_quantity(v, key) for v in values.split(",") if v.strip()]
        if not len(axis):
            raise InputError(f"grid: {name} has no values")
        grid[key] = axis
    return grid


def _parse_range(spec: str, name: str, key: str, values: str) -> GridAxis:
    """``start:stop:count[:log|:lin]`` as a lazy axis (computed chunk by chunk as the
    sweep runs, never as one list)."""
    parts = values.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("lin", "log")):
        raise InputError(f"grid: {spec!r}: use start:stop:count or start:stop:count:log")
    a, b = parse_quantity(parts[0], key), parse_quantity(parts[1], key)
    count = parse_quantity(parts[2], f"{key} count")
    if count != int(count) or count < 1:
        raise InputError(f"grid: {spec!r}: count must be a whole number >= 1")
    if count > MAX_GRID_ROWS:
        raise InputError(
            f"grid: {name} has {int(count):,} values; the limit for a whole "
            f"grid is {MAX_GRID_ROWS:,} points"
        )
    log = len(parts) == 4 and parts[3] == "log"
    if log and (a <= 0 or b <= 0):
        raise InputError(f"grid: {spec!r}: log spacing needs positive ends")
    return GridAxis(a, b, int(count), log=log, integer=key in INTEGER_KEYS)


def grid_size(grid: GridLike) -> int:
    """Number of grid points (exact integer)."""
    return math.prod(len(v) for v in grid.values())


def validate_grid(grid: GridLike, fixed: Mapping[str, Any]) -> None:
    """Refuse an input both swept and fixed, out-of-domain values and unknown accelerators."""
    overlap = set(grid) & {k for k, v in fixed.items() if v is not None}
    if overlap:
        raise InputError(f"grid: {', '.join(sorted(overlap))} is both swept and fixed")
    for k, vals in grid.items():
        if k in DOMAINS:
            from ..model.scenario import check_array

            # an axis is monotone: its ends bound every value
            check_array(k, np.asarray(vals.bounds() if isinstance(vals, GridAxis) else vals, float))
        elif k == "gpu" and not isinstance(vals, GridAxis):  # ids are never a range
            from ..data import store

            for g in vals:
                store.get("accelerators", g)


def check_sweep_shape(grid: GridLike) -> str:
    """The chart a grid will get (``lines``, ``heatmap``, ``bars``), known before it is
    evaluated; raises :class:`InputError` when none fits."""
    from ..render.sweep_plots import plot_kind

    numeric = [k for k, v in grid.items() if k not in CATEGORICAL and len(v) > 1]
    ids = [k for k, v in grid.items() if k in CATEGORICAL and len(set(v)) > 1]
    return plot_kind(numeric, ids, list(grid))


def is_log(values: Axis) -> bool:
    """A log-spaced axis, or a list of 3+ positive values with equal ratios (not equal steps)."""
    if isinstance(values, GridAxis):
        return values.log
    try:
        v = np.asarray(values, float)
    except (TypeError, ValueError):
        return False
    if v.ndim != 1 or v.size < 3 or np.any(v <= 0):
        return False
    r, d = v[1:] / v[:-1], np.diff(v)
    return bool(np.allclose(r, r[0], rtol=1e-6) and not np.allclose(d, d[0], rtol=1e-6))


def api_grid(grid: object) -> Grid:
    """A grid from the API: a mapping of value lists, or ``NAME=SPEC`` strings (one or many)."""
    from ..model.validate import shown

    if isinstance(grid, str):
        grid = [grid]
    if isinstance(grid, Mapping):
        out: Grid = {}
        for k, v in grid.items():
            if not isinstance(k, str):
                raise InputError(f"grid: names must be strings, got {shown(k)}")
            if isinstance(v, str | bytes | dict) or not hasattr(v, "__iter__"):
                raise InputError(f"grid: {k}: expected a list of values, got {shown(v)}")
            key = grid_name(k)
            if key in out:
                raise InputError(f"grid: {k} given twice")
            values = list(v)
            if not values:
                raise InputError(f"grid: {k} has no values")
            out[key] = values
        return out
    if not isinstance(grid, list | tuple) or not all(isinstance(g, str) for g in grid):
        raise InputError(
            f"grid: expected a dict {{name: values}} or 'NAME=SPEC' strings, got {shown(grid)}"
        )
    return parse_grid(grid)
