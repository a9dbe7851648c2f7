"""Accelerators and precisions of a scenario, resolved once per distinct value.

A ``gpu`` or ``precision`` input may be one name or an array of names the shape of the other
inputs (10⁶ scenarios over three accelerators). Names are looked up in the preset store once
per *distinct* value: :func:`distinct` finds the distinct values and, for every element, the
index of its value (the ``return_inverse`` of :func:`numpy.unique`); peaks and other
accelerator attributes are then small tables indexed by those integer codes. No Python code
runs per element and no object array of the full shape is built.
"""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

import numpy as np

from ..data import store
from ..errors import InputError
from ..formulas import cost

__all__ = ["Distinct", "distinct", "Hardware"]

#: Distinct names found by one vectorized comparison each; beyond this many, the remaining
#: elements go to :func:`numpy.unique` (sorting strings costs ~20 comparisons at 10⁶).
_SCAN = 8


class Distinct(NamedTuple):
    """Distinct string values of an array and, per element, the index of its value."""

    values: tuple[str, ...]
    #: integer codes, the input's shape (0-d for a scalar): uint8 while the values found by
    #: comparison number at most :data:`_SCAN`, intp beyond
    codes: np.ndarray


def _unique_ints(a: np.ndarray) -> list[int]:
    """Sorted distinct values of an integer array (hash-based where numpy has it)."""
    u = np.unique_values(a) if hasattr(np, "unique_values") else np.unique(a)
    return sorted(int(k) for k in np.ravel(u))


def _ascii_rows(flat: np.ndarray) -> np.ndarray | None:
    """The strings of a 1-d ``U`` array as exact integer rows, when every code unit is ASCII
    and the width is at most 16: the low byte of each code unit, zero-padded to 16 bytes and
    read as two ``uint64`` (shape ``(n, 2)``); ``None`` otherwise.

    Equal rows are equal strings (the high bytes are all zero, and numpy pads with NUL as
    the rows do), and comparing two integers is ~6x cheaper than comparing the 4-byte code
    units numpy stores: accelerator ids are short ASCII.
    """
    width = flat.dtype.itemsize // 4
    if width > 16 or flat.size == 0 or int(flat.view(np.uint32).max()) >= 128:
        return None
    little = flat.dtype.byteorder == "<" or (
        flat.dtype.byteorder in "=|" and sys.byteorder == "little"
    )
    low = flat.view(np.uint8).reshape(flat.size, width, 4)[:, :, 0 if little else 3]
    rows = np.zeros((flat.size, 16), np.uint8)
    rows[:, :width] = low
    return rows.view(np.uint64)


def distinct(x: Any) -> Distinct:
    """Distinct values of ``x`` (a string or an array of strings) and the inverse codes.

    Values come in order of first appearance. The first :data:`_SCAN` are found by comparing
    the whole array with each (one vectorized pass per value: a 10⁶-element array of three
    accelerator ids costs three comparisons, of integer rows for ASCII ids, see
    :func:`_ascii_rows`); any further ones by :func:`numpy.unique` with ``return_inverse``
    over the elements left.

    >>> d = distinct(np.array(["h20", "h800-sxm", "h20"]))
    >>> d.values, d.codes.tolist()
    (('h20', 'h800-sxm'), [0, 1, 0])
    """
    a = np.asarray(x)
    if a.ndim == 0:
        return Distinct((str(a.item()),), np.zeros((), np.intp))
    if a.dtype.kind != "U":
        a = a.astype(str)  # what str(name) gives for each element, as before
    flat = a.reshape(-1)
    if flat.size == 0:
        return Distinct((), np.zeros(a.shape, np.intp))
    rows = _ascii_rows(flat)
    # codes as bytes (an eighth of the memory of intp to write)
    codes = np.zeros(flat.size, np.uint8)
    todo = np.ones(flat.size, bool)
    same = np.empty(flat.size, bool)
    half = np.empty(flat.size, bool)
    values: list[str] = []
    i = 0
    while True:
        if len(values) == _SCAN:
            rest = np.flatnonzero(todo)
            more, inv = np.unique(flat[rest], return_inverse=True)
            out = codes.astype(np.intp)
            out[rest] = len(values) + inv.reshape(-1)
            return Distinct((*values, *more.tolist()), out.reshape(a.shape))
        if rows is None:
            np.equal(flat, flat[i], out=same)  # one vectorized pass over the strings
        else:
            np.equal(rows[:, 0], rows[i, 0], out=same)
            np.logical_and(same, np.equal(rows[:, 1], rows[i, 1], out=half), out=same)
        if values:  # the elements of this value get its code (the first value's is 0)
            np.add(codes, same.view(np.uint8) * np.uint8(len(values)), out=codes)
        np.greater(todo, same, out=todo)  # todo and not same
        values.append(str(flat[i]))
        i = int(todo.argmax())
        if not todo[i]:
            break
    return Distinct(tuple(values), codes.reshape(a.shape))


class Hardware:
    """The accelerators of ``gpu`` and the precisions of ``precision``, as code tables.

    ``accelerators`` maps each resolved id to its preset; ``gpu_codes`` indexes
    ``gpu_ids`` per element and ``precision_codes`` indexes ``precisions``; the two code
    arrays broadcast together like the inputs.
    """

    def __init__(self, gpu: Any) -> None:
        d = distinct(gpu)
        accs = [store.get("accelerators", name) for name in d.values]
        ids = sorted({a.id for a in accs})
        self.accelerators: dict[str, Any] = {i: next(a for a in accs if a.id == i) for i in ids}
        self.gpu_ids: tuple[str, ...] = tuple(ids)
        remap = np.array([ids.index(a.id) for a in accs], d.codes.dtype)
        identity = np.array_equal(remap, np.arange(len(remap)))
        codes = d.codes if identity else np.take(remap, d.codes)
        self.gpu_codes: np.ndarray = codes.astype(np.intp, copy=False)
        #: ``gpu`` with aliases replaced by ids (the input itself when it had none)
        self.gpu: Any
        if np.ndim(gpu) == 0:
            self.gpu = accs[0].id
        elif all(a.id == name for a, name in zip(accs, d.values, strict=True)):
            self.gpu = np.asarray(gpu)
        else:
            self.gpu = np.asarray(ids)[self.gpu_codes]
        self.precisions: tuple[str, ...] = ()
        self.precision_codes: np.ndarray = np.zeros((), np.intp)

    @property
    def accs(self) -> list[Any]:
        """Presets in code order."""
        return [self.accelerators[i] for i in self.gpu_ids]

    def set_precision(self, precision: Any) -> None:
        """Code ``precision`` and check that it broadcasts with ``gpu``."""
        d = distinct(precision)
        try:
            np.broadcast_shapes(np.shape(self.gpu_codes), np.shape(d.codes))
        except ValueError:
            raise InputError(
                f"precision: {np.shape(precision)} values do not match "
                f"gpu's {np.shape(self.gpu_codes)}"
            ) from None
        self.precisions, self.precision_codes = d.values, d.codes.astype(np.intp, copy=False)

    def pairs(self) -> list[tuple[str, str]]:
        """The (accelerator id, precision) pairs that occur, each once."""
        ng = len(self.gpu_ids)
        if self.gpu_codes.ndim == 0 or self.precision_codes.ndim == 0:
            # every code of an array occurs (they come from its distinct values)
            gs = range(ng) if self.gpu_codes.ndim else [int(self.gpu_codes)]
            ps = range(len(self.precisions)) if self.precision_codes.ndim else [0]
            keys = [p * ng + g for p in ps for g in gs]
        else:
            keys = _unique_ints(self.precision_codes * ng + self.gpu_codes)
        return [(self.gpu_ids[k % ng], self.precisions[k // ng]) for k in keys]

    def per_gpu(self, attr: str) -> np.ndarray | None:
        """An accelerator attribute per ``gpu`` element; ``None`` if any lacks it."""
        table = self.gpu_table(attr)
        return None if table is None else self.by_gpu(table)

    def gpu_table(self, attr: str) -> np.ndarray | None:
        """An accelerator attribute per accelerator in code order (``len(gpu_ids)`` values);
        ``None`` if any lacks it."""
        vals = [getattr(a, attr) for a in self.accs]
        if any(v is None for v in vals):
            return None
        return np.asarray(vals, dtype=float)

    def by_gpu(self, table: np.ndarray) -> np.ndarray:
        """Values per accelerator (in code order) looked up for every ``gpu`` element."""
        if self.gpu_codes.ndim == 0:
            return np.asarray(table[int(self.gpu_codes)])
        return np.take(table, self.gpu_codes)

    def by_pair(self, table: np.ndarray) -> np.ndarray:
        """A ``(gpu, precision)`` table looked up for every element (one gather)."""
        g, p = self.gpu_codes, self.precision_codes
        if p.ndim == 0:
            return self.by_gpu(table[:, int(p)])
        if g.ndim == 0:
            return np.take(table[int(g)], p)
        return np.asarray(table[g, p])

    def avg_power_fraction(self) -> np.ndarray:
        """Average draw as a fraction of TDP per ``gpu`` element (by accelerator kind)."""
        return self.by_gpu(self.avg_power_fraction_table())

    def avg_power_fraction_table(self) -> np.ndarray:
        """:meth:`avg_power_fraction` per accelerator in code order."""
        return np.asarray([cost.AVG_POWER_FRACTION[a.kind] for a in self.accs], dtype=float)

    def families(self) -> np.ndarray:
        """Accelerator family per ``gpu`` element (a string array; 0-d for one gpu)."""
        return self.by_gpu(np.asarray([a.family for a in self.accs]))

    def peak(self, fp8_fraction: Any) -> np.ndarray:
        """Dense peak per element [FLOP/s], blended for ``mixed`` (FP8/BF16)."""
        ng, npr = len(self.gpu_ids), len(self.precisions)
        table = np.full((ng, npr), np.nan)
        for g, p in self.pairs():
            if p != "mixed":
                table[self.gpu_ids.index(g), self.precisions.index(p)] = self.accelerators[
                    g
                ].peak_flop_per_s(p)
        out = self.by_pair(table)
        if "mixed" in self.precisions:
            p8 = self.by_gpu(np.asarray([a.peak_flop_per_s("fp8") for a in self.accs]))
            p16 = self.by_gpu(np.asarray([a.peak_flop_per_s("bf16") for a in self.accs]))
            blend = cost.blended_peak_flop_per_s(p8, p16, fp8_fraction)
            out = np.where(self.precision_codes == self.precisions.index("mixed"), blend, out)
        return np.asarray(out)

    def basis_table(self, basis: str) -> tuple[np.ndarray, dict[tuple[str, str], str]]:
        """The peak a given ``mfu`` is a fraction of, per (accelerator, precision) [FLOP/s],
        and the precision whose dense peak it is, per (accelerator id, precision) pair that
        occurs; for ``mfu_basis`` ``16bit`` or ``fp8`` (``blended`` is the run's own peak,
        :meth:`peak`).

        ``16bit``: the BF16 dense peak (FP16 where there is no BF16, as on the V100), or the
        run precision's own peak where that is lower (TF32, FP32: a 16-bit basis would let
        the MFU claim more than the run's peak); ``mixed`` (FP8/BF16) reads against BF16.
        ``fp8``: the FP8 dense peak (the caller checks that every accelerator has one).
        NaN where a pair has no such peak.
        """
        ng, npr = len(self.gpu_ids), len(self.precisions)
        table = np.full((ng, npr), np.nan)
        names: dict[tuple[str, str], str] = {}
        for g, p in self.pairs():
            acc = self.accelerators[g]
            i, j = self.gpu_ids.index(g), self.precisions.index(p)
            peaks = acc.peak_dense_tflop_per_s
            if basis == "fp8":
                if "fp8" in peaks:
                    table[i, j], names[(g, p)] = acc.peak_flop_per_s("fp8"), "fp8"
                continue
            p16 = next((q for q in ("bf16", "fp16") if q in peaks), None)
            own = None if p == "mixed" else acc.peak_flop_per_s(p)
            if p16 is None or (own is not None and own < acc.peak_flop_per_s(p16)):
                if own is not None:
                    table[i, j], names[(g, p)] = own, p
                continue
            table[i, j], names[(g, p)] = acc.peak_flop_per_s(p16), p16
        return table, names

    def matmul_ceiling_table(self) -> np.ndarray:
        """Best measured 16-bit matmul fraction per (accelerator, precision); inf where none
        or not 16-bit."""
        table = np.full((len(self.gpu_ids), len(self.precisions)), np.inf)
        for i, a in enumerate(self.accs):
            for j, p in enumerate(self.precisions):
                if a.matmul_ceiling_fraction and p in ("bf16", "fp16"):
                    table[i, j] = a.matmul_ceiling_fraction
        return table

    def matmul_ceiling(self) -> np.ndarray:
        """:meth:`matmul_ceiling_table` per element."""
        return self.by_pair(self.matmul_ceiling_table())
