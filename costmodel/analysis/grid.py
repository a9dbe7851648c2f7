"""Evenly spaced grid axes that compute their values on demand.

``mfu=0.1:0.9:100000000`` is a :class:`GridAxis` of 10⁸ values that never exists as a
list: a sweep asks for the values of one chunk of indices at a time. Axes of whole-number
inputs (``n_gpus``, ``seq_len``) round each value to the nearest integer and drop the
repeats that rounding makes, still without materialising the axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

__all__ = ["GridAxis"]

#: values computed per step when an axis is iterated
_CHUNK = 1 << 16


def _round(x: np.ndarray) -> np.ndarray:
    """Round half up (monotone, unlike numpy's round half to even)."""
    return np.floor(x + 0.5)


class GridAxis:
    """``count`` values from ``start`` to ``stop`` (both included), linear or log spaced.

    Parameters
    ----------
    start, stop : float
        End values (``start > stop`` gives a descending axis).
    count : int
        Number of grid values before rounding.
    log : bool
        Log spacing (equal ratios); needs positive ends.
    integer : bool
        Round to whole numbers and drop repeats; ``len()`` is then the number of distinct
        whole numbers.

    Examples
    --------
    >>> GridAxis(0.2, 0.5, 4).tolist()
    [0.2, 0.3, 0.4, 0.5]
    >>> GridAxis(512, 4096, 4, log=True, integer=True).tolist()
    [512.0, 1024.0, 2048.0, 4096.0]
    >>> GridAxis(1, 8, 20, integer=True).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    >>> len(GridAxis(0.1, 0.9, 100_000_000))
    100000000
    """

    def __init__(
        self, start: float, stop: float, count: int, *, log: bool = False, integer: bool = False
    ):
        if count < 1:
            raise ValueError("count must be >= 1")
        self.start, self.stop, self.count = float(start), float(stop), int(count)
        self.log, self.integer = bool(log), bool(integer)
        self.descending = self.stop < self.start and self.count > 1
        # one value: the start (as numpy's linspace and geomspace give)
        self._lo, self._hi = sorted((self.start, self.stop if self.count > 1 else self.start))
        if self.log:
            self._tlo, self._thi = math.log10(self._lo), math.log10(self._hi)
        else:
            self._tlo, self._thi = self._lo, self._hi
        with np.errstate(over="ignore"):
            span = np.float64(self._thi) - np.float64(self._tlo)
        self._step = float(span) / (self.count - 1) if self.count > 1 else 0.0
        self._i0, self._k0, self._nint = 0, 0.0, 0
        if self.integer:
            self._split()

    # ascending raw values at indices i (before rounding)
    def _raw(self, i: np.ndarray) -> np.ndarray:
        i = np.asarray(i, dtype=np.float64)
        if math.isfinite(self._step):
            t = self._tlo + i * self._step
        else:  # -1e308:1e308: stop − start overflows; lo·(1 − f) + hi·f does not
            f = i / (self.count - 1)
            t = self._tlo * (1.0 - f) + self._thi * f
        t = np.where(i >= self.count - 1, self._thi, t)
        return np.power(10.0, t) if self.log else t

    def _split(self) -> None:
        """Below index ``i0`` the spacing is under 1, so rounding hits every whole number
        from round(start) up to round(value(i0)) - 1: keep those as a plain integer run;
        from ``i0`` on, the rounded values strictly increase (spacing >= 1)."""
        n = self.count

        def step(i: int) -> float:
            return float(np.diff(self._raw(np.array([i, i + 1])))[0])

        if n == 1:
            i0 = 0
        elif not self.log:
            i0 = 0 if step(0) >= 1 else n - 1
        else:
            r = 10.0**self._step
            guess = math.log(1 / ((r - 1) * self._lo)) / math.log(r) if r > 1 else n
            i0 = min(max(math.ceil(guess), 0), n - 1)
            while i0 > 0 and step(i0 - 1) >= 1:
                i0 -= 1
            while i0 < n - 1 and step(i0) < 1:
                i0 += 1
        self._i0 = i0
        self._k0 = float(_round(self._raw(np.array([0])))[0])
        top = float(_round(self._raw(np.array([i0])))[0])
        self._nint = int(top - self._k0)

    def __len__(self) -> int:
        if self.integer:
            return self._nint + self.count - self._i0
        return self.count

    def _ascending(self, j: np.ndarray) -> np.ndarray:
        if not self.integer:
            return self._raw(j)
        j = np.asarray(j, dtype=np.int64)
        run = self._k0 + j.astype(np.float64)
        geo = _round(self._raw(self._i0 + np.maximum(j - self._nint, 0)))
        return np.where(j < self._nint, run, geo)

    def values(self, idx) -> np.ndarray:
        """Values at integer indices ``idx`` (an array), in the axis' own order."""
        j = np.asarray(idx, dtype=np.int64)
        n = len(self)
        if j.size and (j.min() < 0 or j.max() >= n):
            raise IndexError(f"grid index out of range 0..{n - 1}")
        if self.descending:
            j = n - 1 - j
        return self._ascending(j)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.values(np.arange(len(self))[idx])
        if np.ndim(idx) == 0:
            i = int(idx)
            if i < 0:
                i += len(self)
            return float(self.values(np.array([i]))[0])
        return self.values(idx)

    def chunks(self, size: int = _CHUNK) -> Iterator[np.ndarray]:
        """The values, ``size`` at a time."""
        n = len(self)
        for s in range(0, n, size):
            yield self.values(np.arange(s, min(s + size, n)))

    def __iter__(self) -> Iterator[float]:
        for c in self.chunks():
            yield from c.tolist()

    def __array__(self, dtype=None, copy=None):
        out = self.values(np.arange(len(self)))
        return out.astype(dtype) if dtype is not None else out

    def tolist(self) -> list[float]:
        """All values as a list (materialises the axis)."""
        return np.asarray(self).tolist()

    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value (the axis is monotone)."""
        a, b = self[0], self[len(self) - 1]
        return (min(a, b), max(a, b))

    def __eq__(self, other) -> bool:
        if isinstance(other, GridAxis):
            return vars(self) == vars(other)
        if isinstance(other, list | tuple):
            return len(other) == len(self) and self.tolist() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        spacing = ":log" if self.log else ""
        kind = ", whole numbers" if self.integer else ""
        spec = f"{self.start:g}:{self.stop:g}:{self.count}{spacing}"
        return f"GridAxis({spec}{kind}, {len(self)} values)"
