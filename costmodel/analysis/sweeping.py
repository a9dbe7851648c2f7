"""``costmodel.sweep``: cartesian grids over any inputs, evaluated and streamed in chunks.

A grid point is a linear index; each chunk of indices is unravelled into input arrays and
evaluated by one vectorized :meth:`Scenario.evaluate` call, so a 10⁸-point grid streams to
CSV or JSON Lines with bounded memory.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import InputError
from ..formulas.units import parse_quantity
from ..io import atomic_writer
from ..model.estimation import OUTPUT_KEYS
from ..model.inputs import Names, Quantity
from ..model.scenario import DOMAINS, Scenario, given_inputs
from .grid import GridAxis

if TYPE_CHECKING:
    from ..formulas.architecture import Architecture

__all__ = [
    "SWEEP_OUTPUTS",
    "parse_grid",
    "grid_size",
    "iter_sweep",
    "write_sweep",
    "stream_sweep",
    "output_format",
    "SweepResult",
    "sweep",
    "MAX_GRID_ROWS",
    "MAX_IN_MEMORY_ROWS",
    "CHUNK_ROWS",
]

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
#: Largest grid written to a file (about a day of streaming); larger is refused.
MAX_GRID_ROWS = 10**9
#: Largest grid :func:`sweep` keeps in memory.
MAX_IN_MEMORY_ROWS = 10**7


def _key(name: str) -> str:
    return name.strip().replace("-", "_")


def parse_grid(specs: Sequence[str]) -> dict[str, list]:
    """Parse ``NAME=SPEC`` strings.

    ``SPEC`` is ``start:stop:count`` (evenly spaced), ``start:stop:count:log`` (log
    spaced), or a comma-separated list (numbers with SI suffixes, or ids for ``gpu``,
    ``precision``, ``run``, ``flop-convention``, ``recompute``). Ranges become lazy
    :class:`~costmodel.analysis.grid.GridAxis` objects (values computed a chunk at a time); ranges
    of whole-number inputs (``n-gpus``, ``seq-len``) are rounded and repeats dropped.

    Examples
    --------
    >>> g = parse_grid(["mfu=0.2:0.5:4", "gpu=h800-sxm,h20"])
    >>> g["mfu"].tolist(), g["gpu"]
    ([0.2, 0.3, 0.4, 0.5], ['h800-sxm', 'h20'])
    >>> parse_grid(["tokens=1T:100T:3:log"])["tokens"].tolist()
    [1000000000000.0, 10000000000000.0, 100000000000000.0]
    >>> parse_grid(["n-gpus=512:4096:4:log"])["n_gpus"].tolist()
    [512.0, 1024.0, 2048.0, 4096.0]
    """
    grid: dict[str, list] = {}
    for spec in specs:
        name, eq, values = str(spec).partition("=")
        key = _key(name)
        if not eq or not values.strip():
            raise InputError(
                f"grid: {spec!r} must look like NAME=start:stop:count or NAME=v1,v2,..."
            )
        if key not in (*VECTOR_KEYS, *SCENARIO_KEYS):
            from ..errors import close_matches

            near = close_matches(key, [*VECTOR_KEYS, *SCENARIO_KEYS])
            hint = f" did you mean {near[0].replace('_', '-')}?" if near else ""
            raise InputError(
                f"grid: cannot sweep {name!r};{hint} sweepable: "
                f"{', '.join(k.replace('_', '-') for k in (*VECTOR_KEYS, *SCENARIO_KEYS))}"
            )
        if key in grid:
            raise InputError(f"grid: {name} given twice")
        if key in CATEGORICAL:
            grid[key] = [v.strip() for v in values.split(",") if v.strip()]
        elif ":" in values:
            parts = values.split(":")
            if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("lin", "log")):
                raise InputError(f"grid: {spec!r}: use start:stop:count or start:stop:count:log")
            a, b = parse_quantity(parts[0], key), parse_quantity(parts[1], key)
            count = parse_quantity(parts[2], f"{key} count")
            if count != int(count) or count < 1:
                raise InputError(f"grid: {spec!r}: count must be a whole number >= 1")
            count = int(count)
            if count > MAX_GRID_ROWS:
                raise InputError(
                    f"grid: {name} has {count:,} values; the limit for a whole "
                    f"grid is {MAX_GRID_ROWS:,} points"
                )
            log = len(parts) == 4 and parts[3] == "log"
            if log and (a <= 0 or b <= 0):
                raise InputError(f"grid: {spec!r}: log spacing needs positive ends")
            # computed chunk by chunk as the sweep runs, never as one list
            grid[key] = GridAxis(a, b, count, log=log, integer=key in INTEGER_KEYS)
        else:
            grid[key] = [parse_quantity(v, key) for v in values.split(",") if v.strip()]
        if not grid[key]:
            raise InputError(f"grid: {name} has no values")
    return grid


def grid_size(grid: dict[str, Sequence]) -> int:
    """Number of grid points (exact integer)."""
    return math.prod(len(v) for v in grid.values())


def _validate(grid: dict[str, Sequence], fixed: dict[str, Any]) -> None:
    overlap = set(grid) & {k for k, v in fixed.items() if v is not None}
    if overlap:
        raise InputError(f"grid: {', '.join(sorted(overlap))} is both swept and fixed")
    for k, vals in grid.items():
        if k in DOMAINS:
            from ..model.scenario import check_array

            # an axis is monotone: its ends bound every value
            check_array(k, np.asarray(vals.bounds() if isinstance(vals, GridAxis) else vals, float))
        elif k == "gpu":
            from ..data import store

            for g in vals:
                store.get("accelerators", g)


def iter_sweep(
    grid: dict[str, Sequence],
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
    _validate(grid, fixed)
    outer_keys = [k for k in grid if k in SCENARIO_KEYS]
    inner_keys = [k for k in grid if k not in SCENARIO_KEYS]
    shape = tuple(len(grid[k]) for k in inner_keys)
    inner_total = math.prod(shape)
    arrays = {  # lazy axes stay lazy: values are computed for each chunk's indices
        k: grid[k]
        if isinstance(grid[k], GridAxis)
        else np.asarray(grid[k], dtype=object if k in CATEGORICAL else float)
        for k in inner_keys
    }
    extra: list[str] | None = None  # the fixed-input columns, chosen on the first chunk
    for combo in itertools.product(*(grid[k] for k in outer_keys)):
        block = dict(zip(outer_keys, combo, strict=True))
        for start in range(0, inner_total, chunk_rows):
            idx = np.arange(start, min(start + chunk_rows, inner_total))
            sub = np.unravel_index(idx, shape) if shape else ()
            vals = {k: arrays[k][sub[i]] for i, k in enumerate(inner_keys)}
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


def _input_value(sc: Scenario, k: str):
    if k == "seq_len":
        return sc.architecture.seq_len if sc.architecture is not None else None
    v = getattr(sc, k, None)
    from ..formulas.distbase import Dist

    return None if isinstance(v, Dist) else v


def _input_columns(sc: Scenario, grid: dict, outputs: Sequence[str]) -> list[str]:
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


@dataclass
class SweepResult:
    """Columns of a swept grid (inputs first, then outputs)."""

    columns: dict[str, np.ndarray]
    swept: tuple[str, ...] = ()
    #: swept inputs on log-spaced grids (plotted on log axes)
    log_keys: tuple[str, ...] = ()
    #: the inputs held fixed, as given to :func:`sweep`
    fixed: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def to_dict(self) -> dict[str, list]:
        """Plain lists per column."""
        from ..model.estimation import to_jsonable

        return {k: to_jsonable(v) for k, v in self.columns.items()}

    def to_pandas(self):
        """A ``pandas.DataFrame`` (needs pandas)."""
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
        return scenario_subtitle(d, swept=self.swept)


def sweep(
    grid: dict[str, Sequence] | Sequence[str],
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
recompute, mtp, seq_len
        Scenario inputs, as for :func:`costmodel.estimate` (same units and defaults), held
        fixed; an input in ``grid`` is left out here.
    outputs : sequence of str
        Outputs to keep.

    Returns
    -------
    SweepResult
        ``.columns``, ``.to_pandas()``, ``.plot(path)``.

    Examples
    --------
    >>> r = sweep({"mfu": [0.25, 0.5]}, active_params=37e9, tokens=14.8e12,
    ...           gpu="h800-sxm", precision="bf16")
    >>> [round(float(h) / 1e6, 2) for h in r["gpu_hours"]]
    [3.69, 1.84]
    """
    fixed = given_inputs(locals())
    grid = _api_grid(grid)
    _api_outputs(outputs, fixed)
    n = grid_size(grid)
    if n > MAX_IN_MEMORY_ROWS:
        raise InputError(
            f"grid: {n:,} points exceed the in-memory limit of "
            f"{MAX_IN_MEMORY_ROWS:,}; stream to a file with write_sweep() or "
            f"`costmodel sweep -o FILE`"
        )
    chunks = list(iter_sweep(grid, outputs=outputs, **fixed))
    cols = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]} if chunks else {}
    # in memory, drop outputs that no grid point could compute
    cols = {
        k: v for k, v in cols.items() if k in grid or v.dtype == object or not np.all(np.isnan(v))
    }
    log_keys = tuple(k for k, v in grid.items() if _is_log(v))
    return SweepResult(cols, swept=tuple(grid), log_keys=log_keys, fixed=dict(fixed))


def check_sweep_shape(grid: dict[str, Sequence]) -> str:
    """The chart a grid will get (``lines``, ``heatmap``, ``bars``), known before it is
    evaluated; raises :class:`InputError` when none fits."""
    from ..render.sweep_plots import plot_kind

    numeric = [k for k, v in grid.items() if k not in CATEGORICAL and len(v) > 1]
    ids = [k for k, v in grid.items() if k in CATEGORICAL and len(set(v)) > 1]
    return plot_kind(numeric, ids, list(grid))


def _is_log(values) -> bool:
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


def _api_grid(grid: Any) -> dict[str, list]:
    """A grid from the API: a dict of value lists, or ``NAME=SPEC`` strings (one or many)."""
    from ..model.validate import shown

    if isinstance(grid, str):
        grid = [grid]
    if isinstance(grid, dict):
        out = {}
        for k, v in grid.items():
            if not isinstance(k, str):
                raise InputError(f"grid: names must be strings, got {shown(k)}")
            if isinstance(v, str | bytes | dict) or not hasattr(v, "__iter__"):
                raise InputError(f"grid: {k}: expected a list of values, got {shown(v)}")
            out[_key(k)] = list(v)
            if not out[_key(k)]:
                raise InputError(f"grid: {k} has no values")
        return out
    if not isinstance(grid, list | tuple) or not all(isinstance(g, str) for g in grid):
        raise InputError(
            f"grid: expected a dict {{name: values}} or 'NAME=SPEC' strings, got {shown(grid)}"
        )
    return parse_grid(grid)


def _api_outputs(outputs: Any, fixed: dict[str, Any]) -> None:
    from ..model import validate

    allowed = (*OUTPUT_KEYS, "ownership_usd_per_gpu_hour", "ownership_cost_usd")
    validate.names("outputs", outputs, allowed)
    validate.single_values("a sweep's fixed input", fixed, (*DOMAINS, "gpu", "precision"))


def _format_columns(cols: dict[str, np.ndarray], fmt: str) -> str:
    """Format one chunk as CSV or JSON-object lines (one C-level ``%`` format per chunk)."""
    parts, values = [], []
    for v in cols.values():
        if v.dtype == object:
            parts.append("%s")
            values.append([json.dumps(str(x)) if fmt != "csv" else str(x) for x in v.tolist()])
        elif np.all(np.isfinite(v)):
            parts.append("%.10g")
            values.append(v.tolist())
        else:  # empty CSV cell / JSON null for non-finite values
            missing = "null" if fmt != "csv" else ""
            parts.append("%s")
            values.append([f"{x:.10g}" if math.isfinite(x) else missing for x in v.tolist()])
    if fmt == "csv":
        row = ",".join(parts) + "\n"
    else:
        row = (
            "{"
            + ", ".join(f"{json.dumps(k)}: {p}" for k, p in zip(cols, parts, strict=True))
            + "}\n"
        )
    m = len(values[0]) if values else 0
    flat = tuple(itertools.chain.from_iterable(zip(*values, strict=True)))
    return (row * m) % flat


#: Row formats by file suffix.
FORMAT_BY_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
ROW_FORMATS = ("csv", "jsonl", "json")
SCHEMA = "costmodel.sweep/1"


def output_format(path: str | os.PathLike | None, fmt: str | None) -> str:
    """The row format: ``fmt`` if given, else from ``path``'s suffix, else CSV.

    A suffix that names another format than ``fmt`` is an error (``-o rows.json --format
    csv``), and so is an unknown suffix without ``fmt`` on a file name; an existing pipe or
    device gets CSV.
    """
    if fmt is not None and fmt not in ROW_FORMATS:
        raise InputError(f"format: {fmt!r} is not one of {', '.join(ROW_FORMATS)}")
    if path is None:
        return fmt or "csv"
    suffix = Path(path).suffix.lower()
    implied = FORMAT_BY_SUFFIX.get(suffix)
    if fmt and implied and implied != fmt:
        raise InputError(
            f"output: {str(path)!r} ends in {suffix}, which means {implied}, but the format "
            f"asked for is {fmt}; rename the file or drop --format/--json"
        )
    if fmt:
        return fmt
    p = Path(path)
    if implied is None and p.exists() and not p.is_file():
        return "csv"  # a pipe or a device (/dev/stdout) has no suffix to go by
    if implied is None:
        raise InputError(
            f"output: {str(path)!r}: use a .csv, .json, .jsonl or .ndjson file, or give "
            f"--format {'|'.join(ROW_FORMATS)}"
        )
    return implied


def stream_sweep(
    f: IO[str],
    grid: dict[str, Sequence],
    *,
    fmt: str = "csv",
    outputs: Sequence[str] = SWEEP_OUTPUTS,
    progress: Callable[[int], None] | None = None,
    on_first: Callable[[], None] | None = None,
    **fixed: Any,
) -> int:
    """Write a grid's rows to the text stream ``f`` chunk by chunk; returns the rows.

    ``fmt`` is ``csv`` (a header line, then rows), ``jsonl`` (one JSON object per line) or
    ``json`` (one document, ``{"schema": "costmodel.sweep/1", "swept": [...], "rows":
    [...]}``, still written a chunk at a time). ``on_first()`` runs once the first chunk
    has evaluated, before anything is written; ``progress(rows)`` after each chunk.
    """
    if fmt not in ROW_FORMATS:
        raise InputError(f"format: {fmt!r} is not one of {', '.join(ROW_FORMATS)}")
    rows = 0
    for cols in iter_sweep(grid, outputs=outputs, **fixed):
        m = len(next(iter(cols.values())))
        text = _format_columns(cols, fmt)
        if rows == 0:
            if on_first:
                on_first()
            if fmt == "csv":
                f.write(",".join(cols) + "\n")
            elif fmt == "json":
                swept = ", ".join(json.dumps(k) for k in grid)
                f.write(f'{{"schema": "{SCHEMA}", "swept": [{swept}], "rows": [\n')
        if fmt == "json":
            text = ("" if rows == 0 else ",\n") + ",\n".join(text.splitlines())
        f.write(text)
        f.flush()
        rows += m
        if progress:
            progress(m)
    if fmt == "json":
        f.write("\n]}\n" if rows else f'{{"schema": "{SCHEMA}", "rows": []}}\n')
        f.flush()
    return rows


def write_sweep(
    path: str | os.PathLike,
    grid: dict[str, Sequence],
    *,
    fmt: str | None = None,
    outputs: Sequence[str] = SWEEP_OUTPUTS,
    progress: Callable[[int], None] | None = None,
    on_first: Callable[[], None] | None = None,
    **fixed: Any,
) -> int:
    """Stream a grid to a CSV, JSON or JSON Lines file, atomically; returns the rows.

    ``fmt`` defaults from the suffix (``.csv``, ``.json``, ``.jsonl``, ``.ndjson``); a
    suffix naming another format than ``fmt`` is an error. ``progress(rows)`` is called
    after each chunk.
    """
    fmt = output_format(path, fmt)
    n = grid_size(grid)
    if n > MAX_GRID_ROWS:
        raise InputError(
            f"grid: {n:,} points exceed the limit of {MAX_GRID_ROWS:,}; coarsen the grid"
        )
    rows = 0

    def write(f: IO[str]) -> None:
        nonlocal rows
        rows = stream_sweep(
            f, grid, fmt=fmt, outputs=outputs, progress=progress, on_first=on_first, **fixed
        )

    atomic_writer(path, write, newline="")
    return rows
