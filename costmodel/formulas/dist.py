"""Input distributions: every numeric input may be uncertain.

Each distribution samples by the inverse CDF, ``x = ppf(u)`` with ``u`` uniform on (0, 1),
so plain Monte Carlo and scrambled Sobol quasi-Monte Carlo share one code path. Medians and
truncation constants use the standard library only, so a point estimate never imports
scipy; vectorized ``ppf`` of the normal and beta families imports ``scipy.special`` lazily.

CLI spellings (:func:`parse`):

==========================  =====================================================
``0.25..0.45``              uniform on [0.25, 0.45]
``uniform:0.25,0.45``       the same
``loguniform:1,4``          log-uniform on [1, 4]
``tri:0.2,0.35,0.5``        triangular (low, mode, high)
``normal:14.8T,0.5T``       normal (mean, sd), truncated to the input's domain
``lognormal:2,1.3``         lognormal (median, geometric sd)
``beta:8,15``               beta (alpha, beta), for fractions
``fixed:0.35`` or ``0.35``  a point value
==========================  =====================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..errors import InputError
from .distbase import Dist
from .units import format_si, parse_quantity

__all__ = [
    "Dist",
    "restrict",
    "Fixed",
    "Uniform",
    "LogUniform",
    "Triangular",
    "Normal",
    "LogNormal",
    "Beta",
    "fixed",
    "uniform",
    "loguniform",
    "triangular",
    "normal",
    "lognormal",
    "beta",
    "parse",
    "as_dist",
]

_STD = NormalDist()


def _phi(x: float) -> float:
    if x == math.inf:
        return 1.0
    if x == -math.inf:
        return 0.0
    return _STD.cdf(x)


def _ndtri(p: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri  # lazy: only sampling needs it

    return ndtri(p)


def restrict(
    d: Dist,
    field: str,
    low: float,
    high: float,
    *,
    low_inclusive: bool = False,
    high_inclusive: bool = True,
) -> tuple[Dist, str | None]:
    """Enforce an input's domain.

    Normal and lognormal inputs are truncated to the domain (the returned note says how
    much probability that removed); any other distribution that reaches outside the
    domain is an error.

    Returns
    -------
    (Dist, str or None)
        The distribution to use and a note when it was truncated.
    """
    lo, hi = d.support()
    attains = isinstance(d, Fixed | Uniform | Triangular)  # endpoints are possible
    bad_lo = lo < low or (lo == low and not low_inclusive and attains)
    bad_hi = hi > high or (hi == high and not high_inclusive and attains)
    if not (bad_lo or bad_hi):
        return d, None
    lb = "[" if low_inclusive else "("
    rb = "]" if high_inclusive and high != math.inf else ")"
    if isinstance(d, Normal | LogNormal):
        try:
            t = d.truncated(low if bad_lo else None, high if bad_hi else None)
        except InputError as e:  # no probability left inside the domain
            raise InputError(f"{field}: {e}") from None
        removed = 1.0 - t._mass / d._mass
        return t, (
            f"{field} ~ {d.describe()} truncated to its domain "
            f"{lb}{_fmt(low)}, {_fmt(high)}{rb}: {removed:.2%} of the probability "
            f"removed"
        )
    raise InputError(
        f"{field}: distribution {d.describe()} reaches {_fmt(lo if bad_lo else hi)}, "
        f"outside the allowed range {lb}{_fmt(low)}, {_fmt(high)}{rb}"
    )


def _fmt(x: float) -> str:
    return "inf" if x == math.inf else "-inf" if x == -math.inf else format_si(x)


@dataclass(frozen=True)
class Fixed(Dist):
    """A point value."""

    value: float
    kind = "fixed"

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


@dataclass(frozen=True)
class Uniform(Dist):
    """Uniform on ``[low, high]``."""

    low: float
    high: float
    kind = "uniform"

    def __post_init__(self):
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


@dataclass(frozen=True)
class LogUniform(Dist):
    """Log-uniform on ``[low, high]``, ``low > 0``."""

    low: float
    high: float
    kind = "loguniform"

    def __post_init__(self):
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


@dataclass(frozen=True)
class Triangular(Dist):
    """Triangular with ``low ≤ mode ≤ high``."""

    low: float
    mode: float
    high: float
    kind = "triangular"

    def __post_init__(self):
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


@dataclass(frozen=True)
class Normal(Dist):
    """Normal (mean, sd), optionally truncated to ``[lower, upper]``."""

    mu: float
    sd: float
    lower: float = -math.inf
    upper: float = math.inf
    kind = "normal"

    def __post_init__(self):
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
        return min(max(self.mu + self.sd * _STD.inv_cdf(p), self.lower), self.upper)

    def mean(self):
        a, b = (self.lower - self.mu) / self.sd, (self.upper - self.mu) / self.sd
        pdf = _STD.pdf
        pa = pdf(a) if math.isfinite(a) else 0.0
        pb = pdf(b) if math.isfinite(b) else 0.0
        return self.mu + self.sd * (pa - pb) / self._mass

    def support(self):
        return (self.lower, self.upper)

    def to_dict(self):
        d = {"dist": "normal", "mean": self.mu, "sd": self.sd}
        if self.lower != -math.inf or self.upper != math.inf:
            d["truncated"] = [_fmt(self.lower), _fmt(self.upper)]
        return d


@dataclass(frozen=True)
class LogNormal(Dist):
    """Lognormal by median and geometric standard deviation (``gsd > 1``).

    ``ln X ~ Normal(ln median, ln gsd)``, optionally truncated to ``[lower, upper]``.
    """

    median_: float
    gsd: float
    lower: float = 0.0
    upper: float = math.inf
    kind = "lognormal"

    def __post_init__(self):
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
        return min(max(math.exp(self._mu + self._s * _STD.inv_cdf(p)), self.lower), self.upper)

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
            d["truncated"] = [_fmt(self.lower), _fmt(self.upper)]
        return d


@dataclass(frozen=True)
class Beta(Dist):
    """Beta(alpha, beta) on [0, 1]."""

    a: float
    b: float
    kind = "beta"

    def __post_init__(self):
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


# ---------------------------------------------------------------- constructors
def fixed(value: float) -> Fixed:
    """A point value."""
    return Fixed(float(value))


def uniform(low: float, high: float) -> Uniform:
    """Uniform on [low, high]: ``costmodel.dist.uniform(0.25, 0.45)``."""
    return Uniform(float(low), float(high))


def loguniform(low: float, high: float) -> LogUniform:
    """Log-uniform on [low, high]."""
    return LogUniform(float(low), float(high))


def triangular(low: float, mode: float, high: float) -> Triangular:
    """Triangular (low, mode, high)."""
    return Triangular(float(low), float(mode), float(high))


def normal(mean: float, sd: float) -> Normal:
    """Normal (mean, sd); truncated to the input's domain when used."""
    return Normal(float(mean), float(sd))


def lognormal(median: float, gsd: float) -> LogNormal:
    """Lognormal by median and geometric standard deviation."""
    return LogNormal(float(median), float(gsd))


def beta(alpha: float, beta_: float) -> Beta:
    """Beta(alpha, beta) for fractions."""
    return Beta(float(alpha), float(beta_))


_SPELLINGS = {
    "uniform": (uniform, 2),
    "u": (uniform, 2),
    "loguniform": (loguniform, 2),
    "logu": (loguniform, 2),
    "tri": (triangular, 3),
    "triangular": (triangular, 3),
    "normal": (normal, 2),
    "n": (normal, 2),
    "lognormal": (lognormal, 2),
    "logn": (lognormal, 2),
    "beta": (beta, 2),
    "fixed": (fixed, 1),
}


def parse(text: str, field: str = "value") -> float | Dist:
    """Read a number or a distribution spelled as on the command line.

    Examples
    --------
    >>> parse("0.25..0.45", "mfu")
    Uniform(low=0.25, high=0.45)
    >>> parse("lognormal:2,1.3")
    LogNormal(median_=2.0, gsd=1.3, lower=0.0, upper=inf)
    >>> parse("14.8T")
    14800000000000.0
    """
    s = str(text).strip()
    if ".." in s and ":" not in s:
        lo, _, hi = s.partition("..")
        return _build(uniform, [lo, hi], field, s)
    if ":" in s:
        name, _, args = s.partition(":")
        key = name.strip().lower()
        if key not in _SPELLINGS:
            raise InputError(
                f"{field}: unknown distribution {name!r} in {s!r}; use one of uniform, "
                f"loguniform, tri, normal, lognormal, beta, fixed, or LOW..HIGH"
            )
        fn, nargs = _SPELLINGS[key]
        parts = [p for p in args.split(",")]
        if len(parts) != nargs:
            raise InputError(f"{field}: {key} takes {nargs} numbers separated by commas, got {s!r}")
        return _build(fn, parts, field, s)
    return parse_quantity(s, field)


def _build(fn, parts: list[str], field: str, text: str) -> Dist:
    values = [parse_quantity(p, field) for p in parts]
    for v in values:
        if not math.isfinite(v):
            raise InputError(f"{field}: {text!r} has a non-finite number")
    try:
        return fn(*values)
    except InputError as e:
        raise InputError(f"{field}: {e}") from None


def as_dist(x: float | Dist) -> Dist:
    """Wrap a number as :class:`Fixed`; pass distributions through."""
    return x if isinstance(x, Dist) else Fixed(float(x))
