"""The input distribution families (:mod:`costmodel.dist` builds and parses them).

Each samples by the inverse CDF, ``x = ppf(u)`` with ``u`` uniform on (0, 1). Medians,
means and truncation constants use :mod:`math` and :mod:`costmodel.formulas.normal` (AS 241,
numpy only), so a point estimate never imports scipy, nor :mod:`statistics`; the beta
family's ``ppf`` imports ``scipy.special`` lazily. Normal and
lognormal may be truncated to ``[lower, upper]``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from . import normal
from .distbase import Dist
from .units import format_si

__all__ = ["Fixed", "Uniform", "LogUniform", "Triangular", "Normal", "LogNormal", "Beta"]


def _phi(x: float) -> float:
    if x == math.inf:
        return 1.0
    if x == -math.inf:
        return 0.0
    return normal.cdf(x)


def _ndtri(p: np.ndarray) -> np.ndarray:
    return normal.ndtri(p)  # numpy only (AS 241): sampling a normal needs no scipy


def fmt_bound(x: float) -> str:
    """A bound for text: ``inf`` and ``-inf`` spelled out, others in SI."""
    return "inf" if x == math.inf else "-inf" if x == -math.inf else format_si(x)


class Fixed(Dist):
    """A point value."""

    __slots__ = ("value",)
    value: float
    kind = "fixed"

    def __init__(self, value: float) -> None:
        self._init(value)

    def ppf(self, u):
        return np.full(np.shape(u), self.value, dtype=float)

    def median(self):
        return self.value

    def mean(self):
        return self.value

    def support(self):
        return (self.value, self.value)

    def to_dict(self):
        return {"dist": "fixed", "value": self.value}


class Uniform(Dist):
    """Uniform on ``[low, high]``."""

    __slots__ = ("low", "high")
    low: float
    high: float
    kind = "uniform"

    def __init__(self, low: float, high: float) -> None:
        self._init(low, high)
        _check_order("uniform", self.low, self.high)

    def ppf(self, u):
        return self.low + np.asarray(u, float) * (self.high - self.low)

    def median(self):
        return 0.5 * (self.low + self.high)

    def mean(self):
        return self.median()

    def support(self):
        return (self.low, self.high)

    def to_dict(self):
        return {"dist": "uniform", "low": self.low, "high": self.high}


class LogUniform(Dist):
    """Log-uniform on ``[low, high]``, ``low > 0``."""

    __slots__ = ("low", "high")
    low: float
    high: float
    kind = "loguniform"

    def __init__(self, low: float, high: float) -> None:
        self._init(low, high)
        _check_order("loguniform", self.low, self.high)
        if self.low <= 0:
            raise InputError(f"loguniform: low must be > 0, got {self.low}")

    def ppf(self, u):
        a, b = math.log(self.low), math.log(self.high)
        return np.exp(a + np.asarray(u, float) * (b - a))

    def median(self):
        return math.sqrt(self.low * self.high)

    def mean(self):
        a, b = math.log(self.low), math.log(self.high)
        return (self.high - self.low) / (b - a) if b > a else self.low

    def support(self):
        return (self.low, self.high)

    def to_dict(self):
        return {"dist": "loguniform", "low": self.low, "high": self.high}


class Triangular(Dist):
    """Triangular with ``low ≤ mode ≤ high``."""

    __slots__ = ("low", "mode", "high")
    low: float
    mode: float
    high: float
    kind = "triangular"

    def __init__(self, low: float, mode: float, high: float) -> None:
        self._init(low, mode, high)
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise InputError(
                f"tri: need low <= mode <= high and low < high, got "
                f"{self.low}, {self.mode}, {self.high}"
            )

    def ppf(self, u):
        u = np.asarray(u, float)
        a, c, b = self.low, self.mode, self.high
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < fc, left, right)

    def median(self):
        return float(self.ppf(np.array(0.5)))

    def mean(self):
        return (self.low + self.mode + self.high) / 3.0

    def support(self):
        return (self.low, self.high)

    def to_dict(self):
        return {"dist": "triangular", "low": self.low, "mode": self.mode, "high": self.high}


class Normal(Dist):
    """Normal (mean, sd), optionally truncated to ``[lower, upper]``."""

    __slots__ = ("mu", "sd", "lower", "upper")
    mu: float
    sd: float
    lower: float
    upper: float
    kind = "normal"

    def __init__(
        self, mu: float, sd: float, lower: float = -math.inf, upper: float = math.inf
    ) -> None:
        self._init(mu, sd, lower, upper)
        if not self.sd > 0:
            raise InputError(f"normal: sd must be > 0, got {self.sd}")
        if self._mass <= 1e-12:
            raise InputError(
                f"normal: ({self.mu:g}, {self.sd:g}) has no probability inside "
                f"[{self.lower:g}, {self.upper:g}]"
            )

    @property
    def _qlo(self) -> float:
        return _phi((self.lower - self.mu) / self.sd)

    @property
    def _mass(self) -> float:
        return _phi((self.upper - self.mu) / self.sd) - self._qlo

    def truncated(self, lower: float | None, upper: float | None) -> Normal:
        return Normal(
            self.mu,
            self.sd,
            self.lower if lower is None else max(lower, self.lower),
            self.upper if upper is None else min(upper, self.upper),
        )

    def ppf(self, u):
        p = self._qlo + np.asarray(u, float) * self._mass
        p = np.clip(p, 1e-300, 1.0 - 1e-16)
        x = self.mu + self.sd * _ndtri(p)
        return np.clip(x, self.lower, self.upper)

    def median(self):
        p = self._qlo + 0.5 * self._mass
        return min(max(self.mu + self.sd * normal.ppf(p), self.lower), self.upper)

    def mean(self):
        a, b = (self.lower - self.mu) / self.sd, (self.upper - self.mu) / self.sd
        pdf = normal.pdf
        pa = pdf(a) if math.isfinite(a) else 0.0
        pb = pdf(b) if math.isfinite(b) else 0.0
        return self.mu + self.sd * (pa - pb) / self._mass

    def support(self):
        return (self.lower, self.upper)

    def to_dict(self):
        d = {"dist": "normal", "mean": self.mu, "sd": self.sd}
        if self.lower != -math.inf or self.upper != math.inf:
            d["truncated"] = [fmt_bound(self.lower), fmt_bound(self.upper)]
        return d


class LogNormal(Dist):
    """Lognormal by median and geometric standard deviation (``gsd > 1``).

    ``ln X ~ Normal(ln median, ln gsd)``, optionally truncated to ``[lower, upper]``.
    """

    __slots__ = ("median_", "gsd", "lower", "upper")
    median_: float
    gsd: float
    lower: float
    upper: float
    kind = "lognormal"

    def __init__(
        self, median_: float, gsd: float, lower: float = 0.0, upper: float = math.inf
    ) -> None:
        self._init(median_, gsd, lower, upper)
        if not self.median_ > 0:
            raise InputError(f"lognormal: median must be > 0, got {self.median_}")
        if not self.gsd > 1:
            raise InputError(f"lognormal: geometric sd must be > 1, got {self.gsd}")
        if self._mass <= 1e-12:
            raise InputError(
                f"lognormal: ({self.median_:g}, {self.gsd:g}) has no probability inside "
                f"[{self.lower:g}, {self.upper:g}]"
            )

    @property
    def _mu(self) -> float:
        return math.log(self.median_)

    @property
    def _s(self) -> float:
        return math.log(self.gsd)

    def _z(self, x: float) -> float:
        if x <= 0:
            return -math.inf
        if x == math.inf:
            return math.inf
        return (math.log(x) - self._mu) / self._s

    @property
    def _qlo(self) -> float:
        return _phi(self._z(self.lower))

    @property
    def _mass(self) -> float:
        return _phi(self._z(self.upper)) - self._qlo

    def truncated(self, lower: float | None, upper: float | None) -> LogNormal:
        return LogNormal(
            self.median_,
            self.gsd,
            self.lower if lower is None else max(lower, self.lower),
            self.upper if upper is None else min(upper, self.upper),
        )

    def ppf(self, u):
        p = self._qlo + np.asarray(u, float) * self._mass
        p = np.clip(p, 1e-300, 1.0 - 1e-16)
        x = np.exp(self._mu + self._s * _ndtri(p))
        return np.clip(x, self.lower, self.upper)

    def median(self):
        p = self._qlo + 0.5 * self._mass
        return min(max(math.exp(self._mu + self._s * normal.ppf(p)), self.lower), self.upper)

    def mean(self):
        # E[X | a < X < b] = exp(mu + s²/2) · [Φ(zb − s) − Φ(za − s)] / mass
        s = self._s
        za, zb = self._z(self.lower), self._z(self.upper)
        num = _phi(zb - s) - _phi(za - s)
        return math.exp(self._mu + 0.5 * s * s) * num / self._mass

    def support(self):
        return (self.lower, self.upper)

    def to_dict(self):
        d = {"dist": "lognormal", "median": self.median_, "gsd": self.gsd}
        if self.lower != 0.0 or self.upper != math.inf:
            d["truncated"] = [fmt_bound(self.lower), fmt_bound(self.upper)]
        return d


class Beta(Dist):
    """Beta(alpha, beta) on [0, 1]."""

    __slots__ = ("a", "b")
    a: float
    b: float
    kind = "beta"

    def __init__(self, a: float, b: float) -> None:
        self._init(a, b)
        if not (self.a > 0 and self.b > 0):
            raise InputError(f"beta: alpha and beta must be > 0, got {self.a}, {self.b}")

    def ppf(self, u):
        from scipy.special import betaincinv

        return betaincinv(self.a, self.b, np.asarray(u, float))

    def mean(self):
        return self.a / (self.a + self.b)

    def support(self):
        return (0.0, 1.0)

    def to_dict(self):
        return {"dist": "beta", "alpha": self.a, "beta": self.b}


def _check_order(name: str, low: float, high: float) -> None:
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise InputError(f"{name}: need finite low < high, got {low}, {high}")
