"""Input distributions: every numeric input may be uncertain.

Each distribution samples by the inverse CDF, ``x = ppf(u)`` with ``u`` uniform on (0, 1),
so plain Monte Carlo and scrambled Sobol quasi-Monte Carlo share one code path. Medians and
truncation constants use :mod:`math` and :mod:`costmodel.formulas.normal` (numpy only), so a
point estimate never imports scipy; the beta family's ``ppf`` imports ``scipy.special``
lazily.

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
from collections.abc import Callable

from ..errors import InputError
from .distbase import Dist
from .distfamilies import (
    Beta,
    Fixed,
    LogNormal,
    LogUniform,
    Normal,
    Triangular,
    Uniform,
    fmt_bound,
)
from .normal import ndtri
from .units import parse_quantity

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
    "lognormal_5_95",
    "parse",
    "as_dist",
]


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
            f"{lb}{fmt_bound(low)}, {fmt_bound(high)}{rb}: {removed:.2%} of the probability "
            f"removed"
        )
    raise InputError(
        f"{field}: distribution {d.describe()} reaches {fmt_bound(lo if bad_lo else hi)}, "
        f"outside the allowed range {lb}{fmt_bound(low)}, {fmt_bound(high)}{rb}"
    )


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


def lognormal_5_95(low: float, high: float) -> LogNormal | Fixed:
    """The lognormal with ``low`` and ``high`` as its 5th and 95th percentiles (a price
    range): median ``√(low·high)``, ``ln gsd = ln(high/low) / (2·z₀.₉₅)``; :class:`Fixed`
    when they are equal.

    >>> d = lognormal_5_95(2.0, 4.0)
    >>> round(d.quantile(0.05), 12), round(d.quantile(0.95), 12)
    (2.0, 4.0)
    """
    if high == low:
        return Fixed(float(low))
    z = float(ndtri(0.95))
    return LogNormal(math.sqrt(low * high), math.exp(math.log(high / low) / (2 * z)))


_SPELLINGS: dict[str, tuple[Callable[..., Dist], int]] = {
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


def _build(fn: Callable[..., Dist], parts: list[str], field: str, text: str) -> Dist:
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
