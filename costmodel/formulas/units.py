"""Reading and writing quantities with SI suffixes.

Counts, FLOP and money scale by 1e3 (``671B`` = 6.71e11, ``14.8T`` = 1.48e13). Bytes are
never written with these suffixes; byte quantities carry ``_gb`` or ``_gib`` in their names.
"""

from __future__ import annotations

import math
import re

from ..errors import InputError

__all__ = ["SUFFIXES", "parse_quantity", "format_si", "format_usd"]

#: Decimal suffixes accepted on input, in either case (``70b``, ``15t``, ``2.5k``) except
#: ``M`` (a lowercase ``m`` reads as milli, so it is refused with a hint) and ``E`` (a
#: lowercase ``e`` is the exponent). ``G`` is accepted as a synonym of ``B`` (giga).
SUFFIXES: dict[str, float] = {
    "K": 1e3,
    "k": 1e3,
    "M": 1e6,
    "B": 1e9,
    "b": 1e9,
    "G": 1e9,
    "g": 1e9,
    "T": 1e12,
    "t": 1e12,
    "P": 1e15,
    "p": 1e15,
    "E": 1e18,
}
_OUT_SUFFIXES = [(1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T")]

_NUMBER = re.compile(
    r"""^\s*
    (?P<num>[+-]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    \s*(?P<suffix>[kKMmBbGgTtPpE%]?)
    \s*$""",
    re.VERBOSE,
)


def parse_quantity(text: str | float | int, field: str = "value", *, percent: bool = True) -> float:
    """Read a number that may carry an SI suffix.

    Parameters
    ----------
    text : str or number
        ``"671B"``, ``"14.8T"``, ``"2.788M"``, ``"3.3e24"``, ``"5k"`` or ``"35%"``
        (a percent sign divides by 100). Underscores between digits are allowed.
    field : str
        Name used in the error message.
    percent : bool, default True
        Accept a ``%`` suffix (for fractions only: ``mfu``, ``goodput``).

    Returns
    -------
    float

    Raises
    ------
    InputError
        When the text is not a number with an optional suffix.

    Examples
    --------
    >>> parse_quantity("14.8T")
    14800000000000.0
    >>> parse_quantity("2.788M")
    2788000.0
    >>> parse_quantity("35%")
    0.35
    """
    if isinstance(text, bool):
        raise InputError(f"{field}: expected a number, got {text!r}")
    if isinstance(text, int | float):
        return float(text)
    s = str(text)
    m = _NUMBER.match(s)
    if m is None:
        raise InputError(
            f"{field}: cannot read {_shown(s)} as a number; write a number with an optional "
            f"suffix K, M, B (or G), T, P, E, e.g. 671B, 14.8T, 2.788M, 3.3e24"
        )
    num = m.group("num").replace("_", "")
    value = float(num)
    suffix = m.group("suffix")
    if suffix == "m":
        raise InputError(
            f"{field}: {_shown(s.strip())}: a lowercase m is ambiguous (milli or million); "
            "write M for million, e.g. 2.788M"
        )
    if suffix == "%":
        if not percent:
            raise InputError(
                f"{field}: {s.strip()!r}: a percent makes sense only for fractions such as mfu"
            )
        value /= 100.0
    elif suffix:
        value *= SUFFIXES[suffix]
    if not math.isfinite(value):  # 1e400, or 1e306E
        raise InputError(
            f"{field}: {_shown(s.strip())} is beyond the floating-point range (about 1.8e308)"
        )
    return value


def _shown(s: str) -> str:
    return repr(s if len(s) <= 40 else s[:37] + "...")


def format_si(x: float, sig: int = 4) -> str:
    """Format a count, FLOP or money amount with an SI suffix (K, M, B, T).

    Values of 1e15 or more are written in scientific notation, which is what analysts
    expect for FLOP totals. ``parse_quantity(format_si(x, sig))`` returns ``x`` to within
    half a unit in the last significant digit.

    Examples
    --------
    >>> format_si(6.71e11)
    '671B'
    >>> format_si(2.6355e6)
    '2.636M'
    >>> format_si(3.2856e24)
    '3.286e24'
    >>> format_si(1.7975000000000001e308)  # rounds past the largest float
    '1.798e308'
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    rounded = f"{x:.{sig - 1}e}"  # round first, so 999_999.6 becomes "1M", not "1000K"
    r = float(rounded)  # inf when rounding passes the largest float (1.7975e308)
    ar = abs(r)
    if ar >= 1e15 or ar < 1e-3:
        return _sci_text(rounded)
    for scale, suffix in [*reversed(_OUT_SUFFIXES), (1.0, "")]:
        if ar >= scale:
            return _sig(r / scale, sig) + suffix
    return _sig(r, sig)


def _sci(x: float, sig: int) -> str:
    return _sci_text(f"{x:.{sig - 1}e}")


def _sci_text(text: str) -> str:
    """``'1.798e+308'`` -> ``'1.798e308'`` (works past the largest float, unlike float())."""
    mant, exp = text.split("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def _sig(v: float, sig: int) -> str:
    if v == 0:
        return "0"
    digits = sig - 1 - int(math.floor(math.log10(abs(v))))
    digits = max(digits, 0)
    text = f"{round(v, digits):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_usd(x: float, sig: int = 4) -> str:
    """Format a dollar amount: ``$5.576M``, ``$2``, ``$294K``.

    >>> format_usd(5.576e6)
    '$5.576M'
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    text = format_si(x, sig)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"
