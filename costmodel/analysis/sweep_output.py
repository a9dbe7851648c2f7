"""A sweep's rows on a stream or in a file: CSV, JSON Lines or one JSON document.

Rows are formatted a chunk at a time (one C-level ``%`` format per chunk) and written as
soon as they are evaluated, so stdout streams and a file never holds more than a chunk in
memory before it is written.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import InputError
from ..io import atomic_writer
from .sweep_eval import iter_sweep
from .sweep_grid import MAX_GRID_ROWS, SWEEP_OUTPUTS, GridLike, grid_size

__all__ = [
    "FORMAT_BY_SUFFIX",
    "ROW_FORMATS",
    "SCHEMA",
    "output_format",
    "stream_sweep",
    "write_sweep",
]


#: Row formats by file suffix.
FORMAT_BY_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
ROW_FORMATS = ("csv", "jsonl", "json")
#: The JSON document's ``schema``, and every JSON Lines row's (each line stands alone).
SCHEMA = "costmodel.sweep/1"


def _format_columns(cols: dict[str, np.ndarray], fmt: str) -> str:
    """Format one chunk as CSV or JSON-object lines (one C-level ``%`` format per chunk).

    A JSON Lines row starts with ``"schema"``, as every JSON output does; rows inside the
    JSON document do not repeat the document's.
    """
    parts: list[str] = []
    values: list[list[Any]] = []
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
            + (f'"schema": "{SCHEMA}", ' if fmt == "jsonl" else "")
            + ", ".join(f"{json.dumps(k)}: {p}" for k, p in zip(cols, parts, strict=True))
            + "}\n"
        )
    m = len(values[0]) if values else 0
    flat = tuple(itertools.chain.from_iterable(zip(*values, strict=True)))
    return (row * m) % flat


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
    grid: GridLike,
    *,
    fmt: str = "csv",
    outputs: Sequence[str] = SWEEP_OUTPUTS,
    progress: Callable[[int], None] | None = None,
    on_first: Callable[[], None] | None = None,
    **fixed: Any,
) -> int:
    """Write a grid's rows to the text stream ``f`` chunk by chunk; returns the rows.

    ``fmt`` is ``csv`` (a header line, then rows), ``jsonl`` (one JSON object per line, each
    with ``"schema": "costmodel.sweep/1"``) or
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
        swept = ", ".join(json.dumps(k) for k in grid)
        empty = f'{{"schema": "{SCHEMA}", "swept": [{swept}], "rows": []}}\n'
        f.write("\n]}\n" if rows else empty)
        f.flush()
    return rows


def write_sweep(
    path: str | os.PathLike,
    grid: GridLike,
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
