"""The base class of input distributions, kept tiny so a point estimate can test
``isinstance(x, Dist)`` without importing :mod:`costmodel.dist`."""

from __future__ import annotations

import numpy as np

__all__ = ["Dist"]


class Dist:
    """Base class. Subclasses define ``ppf``, ``median``, ``mean`` and ``support``.

    A distribution is an immutable value: its parameters are its ``__slots__``, set once by
    :meth:`_init`; equality, hashing, ``repr`` and pickling follow from them. (Frozen
    dataclasses would do the same, at a millisecond of generated code per class, a
    hundredth of the command line's start-up for the seven families.)
    """

    __slots__: tuple[str, ...] = ()
    kind = "dist"

    def _init(self, *values: float) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in zip(self.__slots__, self._values(), strict=True))
        return f"{type(self).__name__}({args})"

    def __reduce__(self) -> tuple:
        return (type(self), self._values())

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function at ``u`` in (0, 1)."""
        raise NotImplementedError

    def median(self) -> float:
        """Median (used for point estimates)."""
        return float(self.ppf(np.array([0.5]))[0])

    def mean(self) -> float:
        """Mean."""
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        """Smallest and largest possible values."""
        raise NotImplementedError

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """``n`` independent draws (inverse-CDF sampling)."""
        rng = np.random.default_rng(rng)
        return self.ppf(rng.random(n))

    def quantile(self, q: float) -> float:
        """The ``q`` quantile."""
        return float(self.ppf(np.array([q]))[0])

    def to_dict(self) -> dict:
        """Plain-data description."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short text for tables: ``uniform(0.25, 0.45)``."""
        from .units import format_si

        d = self.to_dict()
        args = ", ".join(
            format_si(v) if isinstance(v, float) else str(v)
            for k, v in d.items()
            if k not in ("dist", "truncated")
        )
        tail = f" truncated to {d['truncated']}" if d.get("truncated") else ""
        return f"{d['dist']}({args}){tail}"
