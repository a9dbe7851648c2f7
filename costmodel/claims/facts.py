"""The quantities a claim states or implies, and the relations between them (the
machinery of :mod:`costmodel.claims.consistency`, which builds them from a claim)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = [
    "TOLERANCE",
    "TOLERANCE_APPROXIMATE",
    "TOTAL",
    "Facts",
    "Key",
    "Relation",
    "Value",
    "check_row",
    "derive",
]

#: Relative tolerance of consistency checks: claims round to 2-3 significant figures.
TOLERANCE = 0.02
#: Tolerance for durations stated as round figures ("about two weeks" is 13-15 days).
TOLERANCE_APPROXIMATE = 0.15

TOTAL = ""  # the level of the whole claim

#: A quantity's address: (level, name), the level a stage name or :data:`TOTAL`, the name
#: one of ``H C N W P T R Dt TPD maxdays``.
Key: TypeAlias = tuple[str, str]

#: How each quantity is written in notes: (prefix, suffix).
_UNITS = {
    "H": ("", " GPU-h"),
    "C": ("$", ""),
    "N": ("", " GPUs"),
    "W": ("", " h"),
    "P": ("$", "/GPU-h"),
    "T": ("", " tokens"),
    "R": ("", " GPU-h per 1T tokens"),
    "Dt": ("", " days per 1T tokens"),
    "TPD": ("", " tokens/day"),
    "maxdays": ("", " days"),
}
_NAMES = {
    "H": "GPU-hours",
    "C": "cost",
    "N": "GPUs",
    "W": "duration",
    "T": "tokens",
    "R": "GPU-hours per trillion tokens",
    "Dt": "days per trillion tokens",
    "TPD": "tokens per day",
}


def check_row(
    name: str,
    stated: float,
    computed: float,
    note: str = "",
    le: bool = False,
    tol: float = TOLERANCE,
) -> dict[str, Any]:
    """One cross-check: ``computed`` against ``stated`` within the relative ``tol``
    (``le``: ``computed`` at most ``stated``, a bound)."""
    rel = computed / stated - 1.0
    ok = computed <= stated * (1 + tol) if le else abs(rel) <= tol
    return {
        "check": name,
        "stated": stated,
        "computed": computed,
        "rel_diff": rel,
        "ok": bool(ok),
        "tolerance": tol,
        "note": note,
    }


def _fmt(name: str, v: float) -> str:
    from ..formulas.units import format_si

    pre, post = _UNITS.get(name, ("", ""))
    if name in ("T", "TPD") or v >= 1e7 or (name == "C" and v >= 1e4):
        s = format_si(v, 4)
    elif abs(v - round(v)) < 1e-9 * max(1.0, abs(v)):
        s = f"{v:,.0f}"
    else:
        s = f"{v:,.4g}"
    return f"{pre}{s}{post}"


@dataclass(frozen=True)
class Value:
    """A resolved quantity: its value, how it was obtained and from which relations."""

    value: float
    how: str = "stated"
    prov: frozenset[str] = frozenset()
    approximate: bool = False

    @property
    def stated(self) -> bool:
        return not self.prov


@dataclass(frozen=True)
class Relation:
    """``lhs = k · Π rhs[i]^exp[i]`` (kind "mono"), ``lhs = Σ rhs`` ("sum") or
    ``k · Π rhs^exp ≤ lhs`` ("bound", never used to derive)."""

    id: str
    name: str
    kind: str
    lhs: Key
    rhs: tuple[Key, ...]
    exps: tuple[float, ...] = ()
    k: float = 1.0
    priority: int = 9
    tol: float = TOLERANCE
    shown_k: str = ""

    @property
    def vars(self) -> tuple[Key, ...]:
        return (self.lhs, *self.rhs)

    def rhs_value(self, v: Mapping[Key, Value]) -> float:
        if self.kind == "sum":
            return sum(v[x].value for x in self.rhs)
        out = self.k
        for x, e in zip(self.rhs, self.exps, strict=True):
            out *= v[x].value ** e
        return out

    def solve(self, target: Key, v: Mapping[Key, Value]) -> float:
        """The one unknown ``target`` from the others."""
        if target == self.lhs:
            return self.rhs_value(v)
        if self.kind == "sum":
            return v[self.lhs].value - sum(v[x].value for x in self.rhs if x != target)
        rest = self.k
        e_t = 0.0
        for x, e in zip(self.rhs, self.exps, strict=True):
            if x == target:
                e_t = e
            else:
                rest *= v[x].value ** e
        return (v[self.lhs].value / rest) ** (1.0 / e_t)

    def expr(self, v: Mapping[Key, Value], target: Key | None = None) -> str:
        """The side that computes ``target`` (the lhs by default), with values."""
        target = target or self.lhs
        if self.kind == "sum":
            if target == self.lhs:
                return " + ".join(_fmt(x[1], v[x].value) for x in self.rhs)
            total = _fmt(self.lhs[1], v[self.lhs].value)
            others = [_fmt(x[1], v[x].value) for x in self.rhs if x != target]
            return f"the total {total}" + "".join(f" - {o}" for o in others)
        num: list[str] = []
        den: list[str] = []
        if target != self.lhs:
            num.append(_fmt(self.lhs[1], v[self.lhs].value))
        for x, e in zip(self.rhs, self.exps, strict=True):
            if x == target:
                continue
            side = num if (e > 0) == (target == self.lhs) else den
            side.append(_fmt(x[1], v[x].value))
        if self.shown_k:
            (num if target == self.lhs else den).append(self.shown_k)
        s = " × ".join(num) or "1"
        return s + "".join(f" / {d}" for d in den)


@dataclass
class Facts:
    """A claim's quantities, stated and derived, with the relations between them."""

    values: dict[Key, Value] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    levels: tuple[str, ...] = ()
    analysis: str | None = None  # level of the analysis stage (None: none marked)
    multi: bool = False

    def get(self, level: str, name: str) -> float | None:
        """The value of quantity ``name`` at ``level`` (``None`` when unknown)."""
        x = self.values.get((level, name))
        return x.value if x else None

    def value(self, level: str, name: str) -> Value | None:
        """Quantity ``name`` at ``level`` with how it was obtained."""
        return self.values.get((level, name))

    def derived_notes(self, keys: Iterable[Key]) -> list[str]:
        """How each derived quantity among ``keys`` was obtained, one line each."""
        out = []
        for key in keys:
            x = self.values.get(key)
            if x is None or x.stated or (not self.multi and x.prov <= {"sumH", "sumC"}):
                continue  # stated, or one stage's copy of the whole claim's number
            where = f"{key[0]} " if self.multi and key[0] else ""
            out.append(f"{where}{_NAMES.get(key[1], key[1])} derived: {x.how}")
        return out

    def used(self) -> list[Key]:
        """Keys of the derived quantities that enter a cross-check or the analysis."""
        keys: list[Key] = []
        for r in self.relations:
            if all(x in self.values for x in r.vars) and not any(
                r.id in self.values[x].prov for x in r.vars
            ):
                keys += [x for x in r.vars if x not in keys]
        if self.analysis is not None:
            keys += [(self.analysis, n) for n in ("H", "T", "N") if (self.analysis, n) not in keys]
        return [k for k in keys if k in self.values and not self.values[k].stated]

    def rows(self) -> list[dict[str, Any]]:
        """Every relation whose quantities are all known and none derived from it, as a
        :func:`check_row`."""
        rows = []
        for r in self.relations:
            if not all(x in self.values for x in r.vars):
                continue
            vals = [self.values[x] for x in r.vars]
            if any(r.id in x.prov for x in vals):
                continue  # one side was derived from this very relation
            tol = TOLERANCE_APPROXIMATE if any(x.approximate for x in vals) else r.tol
            note = r.expr(self.values)
            derived = self.derived_notes(r.vars)
            if derived:
                note += " (" + "; ".join(derived) + ")"
            if any(x.approximate for x in vals):
                note += " (a round duration)"
            rows.append(
                check_row(
                    r.name,
                    self.values[r.lhs].value,
                    r.rhs_value(self.values),
                    note,
                    le=r.kind == "bound",
                    tol=tol,
                )
            )
        return rows


def derive(f: Facts) -> None:
    """Derive unknowns one at a time, the most direct relation first, until none follows.

    The price is never derived (see the module docstring), and a bound derives nothing. A
    derivation that gives no positive finite value (a stage's hours as the total minus
    larger other stages) is skipped; the relation is still checked once all is known.
    """
    v = f.values
    blocked: set[tuple[str, Key]] = set()
    while True:
        best = None
        for i, r in enumerate(f.relations):
            if r.kind == "bound":
                continue
            unknown = [x for x in r.vars if x not in v]
            if len(unknown) != 1 or unknown[0][1] == "P" or (r.id, unknown[0]) in blocked:
                continue
            rank = (r.priority, i)
            if best is None or rank < best[0]:
                best = (rank, r, unknown[0])
        if best is None:
            return
        _, r, target = best
        try:
            x = r.solve(target, v)
        except (ZeroDivisionError, OverflowError, ValueError):
            x = float("nan")
        if not 0 < x < float("inf"):
            blocked.add((r.id, target))
            continue
        inputs = [v[y] for y in r.vars if y != target]
        v[target] = Value(
            x,
            r.expr(v, target),
            frozenset({r.id}).union(*(y.prov for y in inputs)),
            any(y.approximate for y in inputs),
        )
