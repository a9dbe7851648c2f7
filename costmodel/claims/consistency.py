"""Consistency of a claim's own numbers (part of ``costmodel check``).

The claim's facts are resolved before anything is compared, so the verdict does not depend
on how the claim is written (issue 9, item 2): "512 GPUs × 480 h at $2.5/h for $1.2M" and
the same claim with ``gpu_hours = 245760`` added are judged alike.

1. **Facts.** Every number the claim states becomes a quantity at a *level*: the whole
   claim, or one stage (a claim with a single stage has one level: the stage and the total
   are the same run). Quantities: GPU-hours ``H``, cost ``C``, GPUs ``N``, duration ``W``,
   tokens ``T``, the price ``P`` (claim-wide, only as stated: a price implied by cost /
   hours is never checked against the numbers it came from) and the statements (GPU-hours
   per trillion tokens ``R``, days per trillion tokens, tokens per day, a bound on the
   duration).
2. **Relations** tie them together: ``H = N·W``, ``C = H·P``, ``H = R·T/10¹²``,
   ``days/T = R/(24·N)``, ``tokens/day = 24·T·N/H``, total = Σ stages (hours and cost), and
   the bound ``H/(24·N) ≤ stated days``.
3. **Derivation.** Unknown quantities are derived from the relations, most direct first
   (GPUs × duration before per-token rates, sums and cost / price), until nothing more
   follows. Each derived value remembers which relations it came from.
4. **Cross-checks.** Every relation whose quantities are all known becomes a row, unless
   one of its quantities was derived from that very relation (a tautology). A row compares
   the relation's two sides at the resolved values; a derived side is named in ``note``.

Tolerances: equalities within :data:`TOLERANCE` (claims round to 2-3 significant figures);
a round duration ("about two weeks") within :data:`TOLERANCE_APPROXIMATE`, and so is every
quantity derived from one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..data.schemas import ClaimPreset

__all__ = [
    "TOLERANCE",
    "TOLERANCE_APPROXIMATE",
    "Facts",
    "check_row",
    "consistency",
    "resolve",
]

#: Relative tolerance of consistency checks: claims round to 2-3 significant figures.
TOLERANCE = 0.02
#: Tolerance for durations stated as round figures ("about two weeks" is 13-15 days).
TOLERANCE_APPROXIMATE = 0.15

TOTAL = ""  # the level of the whole claim

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


def check_row(name, stated, computed, note="", le=False, tol=TOLERANCE) -> dict[str, Any]:
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
    prov: frozenset = frozenset()
    approximate: bool = False

    @property
    def stated(self) -> bool:
        return not self.prov


@dataclass(frozen=True)
class _Rel:
    """``lhs = k · Π rhs[i]^exp[i]`` (kind "mono"), ``lhs = Σ rhs`` ("sum") or
    ``k · Π rhs^exp ≤ lhs`` ("bound", never used to derive)."""

    id: str
    name: str
    kind: str
    lhs: tuple
    rhs: tuple
    exps: tuple = ()
    k: float = 1.0
    priority: int = 9
    tol: float = TOLERANCE
    shown_k: str = ""

    @property
    def vars(self) -> tuple:
        return (self.lhs, *self.rhs)

    def rhs_value(self, v: dict) -> float:
        if self.kind == "sum":
            return sum(v[x].value for x in self.rhs)
        out = self.k
        for x, e in zip(self.rhs, self.exps, strict=True):
            out *= v[x].value ** e
        return out

    def solve(self, target, v: dict) -> float:
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

    def expr(self, v: dict, target=None) -> str:
        """The side that computes ``target`` (the lhs by default), with values."""
        target = target or self.lhs
        if self.kind == "sum":
            if target == self.lhs:
                return " + ".join(_fmt(x[1], v[x].value) for x in self.rhs)
            total = _fmt(self.lhs[1], v[self.lhs].value)
            others = [_fmt(x[1], v[x].value) for x in self.rhs if x != target]
            return f"the total {total}" + "".join(f" - {o}" for o in others)
        num, den = [], []
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

    values: dict = field(default_factory=dict)
    relations: list = field(default_factory=list)
    levels: tuple = ()
    analysis: str | None = None  # level of the analysis stage (None: none marked)
    multi: bool = False

    def get(self, level, name) -> float | None:
        x = self.values.get((level, name))
        return x.value if x else None

    def value(self, level, name) -> Value | None:
        return self.values.get((level, name))

    def derived_notes(self, keys) -> list[str]:
        out = []
        for key in keys:
            x = self.values.get(key)
            if x is None or x.stated or (not self.multi and x.prov <= {"sumH", "sumC"}):
                continue  # stated, or one stage's copy of the whole claim's number
            where = f"{key[0]} " if self.multi and key[0] else ""
            out.append(f"{where}{_NAMES.get(key[1], key[1])} derived: {x.how}")
        return out

    def used(self) -> list:
        """Keys of the derived quantities that enter a cross-check or the analysis."""
        keys: list = []
        for r in self.relations:
            if all(x in self.values for x in r.vars) and not any(
                r.id in self.values[x].prov for x in r.vars
            ):
                keys += [x for x in r.vars if x not in keys]
        if self.analysis is not None:
            keys += [(self.analysis, n) for n in ("H", "T", "N") if (self.analysis, n) not in keys]
        return [k for k in keys if k in self.values and not self.values[k].stated]

    def rows(self) -> list[dict[str, Any]]:
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


def resolve(c: ClaimPreset, run=None) -> Facts:
    """The claim's facts: what it states, then everything that follows from it."""
    stages = list(c.stages)
    multi = len(stages) > 1
    if not stages:
        levels = (TOTAL,)
        analysis = TOTAL
    else:
        levels = (TOTAL, *(s.name for s in stages))
        analysis = stages[0].name if len(stages) == 1 else c.analysis_stage
    f = Facts(levels=levels, analysis=analysis, multi=multi)
    v = f.values

    def state(level, name, value, approximate=False):
        if value is not None:
            v[(level, name)] = Value(float(value), approximate=approximate)

    # -- what the claim states
    state(TOTAL, "H", c.gpu_hours)
    state(TOTAL, "C", c.cost_usd)
    state(TOTAL, "P", c.price_usd_per_gpu_hour)
    for s in stages:
        state(s.name, "H", s.gpu_hours)
        state(s.name, "C", s.cost_usd)
        state(s.name, "T", s.tokens)
        state(s.name, "N", s.n_gpus)
        state(s.name, "W", s.wall_clock_hours, s.wall_clock_approximate)
    run_level = analysis if analysis is not None else TOTAL  # top-level GPUs and tokens
    if (run_level, "N") not in v:
        state(run_level, "N", c.n_gpus)
    if (run_level, "T") not in v:
        tokens = c.tokens or (run.tokens if run is not None and not stages else None)
        state(run_level, "T", tokens)
    for st in c.statements:
        level = st.stage if st.stage in levels else run_level
        key = {
            "gpu_hours_per_trillion_tokens": "R",
            "days_per_trillion_tokens": "Dt",
            "tokens_per_day": "TPD",
            "max_wall_clock_days": "maxdays",
        }.get(st.kind)
        if key:
            state(level, key, st.value)

    # -- the relations between them (in display order)
    def prefix(level):
        return f"{level}: " if multi and level else ""

    rels = f.relations
    if stages:
        rels.append(
            _Rel(
                "sumH",
                "stage GPU-hours add up to the total",
                "sum",
                (TOTAL, "H"),
                tuple((s.name, "H") for s in stages),
                priority=5,
            )
        )
        rels.append(
            _Rel(
                "sumC",
                "stage costs add up to the total",
                "sum",
                (TOTAL, "C"),
                tuple((s.name, "C") for s in stages),
                priority=6,
            )
        )
    work_levels = [TOTAL] if not stages else [s.name for s in stages]
    price_levels = ([TOTAL] if multi else []) + work_levels
    for lv in price_levels:
        rels.append(
            _Rel(
                f"cost@{lv}",
                f"{prefix(lv)}GPU-hours × price = cost",
                "mono",
                (lv, "C"),
                ((lv, "H"), (TOTAL, "P")),
                (1, 1),
                priority=7,
            )
        )
    for lv in work_levels:
        rels.append(
            _Rel(
                f"gpus@{lv}",
                f"{prefix(lv)}GPUs × duration = GPU-hours",
                "mono",
                (lv, "H"),
                ((lv, "N"), (lv, "W")),
                (1, 1),
                priority=1,
            )
        )
    for lv in levels:
        rels += [
            _Rel(
                f"pertoken@{lv}",
                "per-trillion-token GPU-hours × tokens = GPU-hours",
                "mono",
                (lv, "H"),
                ((lv, "R"), (lv, "T")),
                (1, 1),
                k=1e-12,
                priority=2,
                shown_k="1e-12",
            ),
            _Rel(
                f"days@{lv}",
                "days per trillion tokens on the cluster",
                "mono",
                (lv, "Dt"),
                ((lv, "R"), (lv, "N")),
                (1, -1),
                k=1 / 24,
                priority=4,
                shown_k="24 h",
            ),
            _Rel(
                f"bound@{lv}",
                "wall-clock within the stated duration",
                "bound",
                (lv, "maxdays"),
                ((lv, "H"), (lv, "N")),
                (1, -1),
                k=1 / 24,
                shown_k="24 h",
            ),
            _Rel(
                f"tpd@{lv}",
                "measured throughput vs implied tokens per day",
                "mono",
                (lv, "TPD"),
                ((lv, "T"), (lv, "N"), (lv, "H")),
                (1, 1, -1),
                k=24.0,
                priority=3,
                shown_k="24",
            ),
        ]
    _derive(f)
    return f


def _derive(f: Facts) -> None:
    """Derive unknowns one at a time, the most direct relation first, until none follows.

    The price is never derived (see the module docstring), and a bound derives nothing. A
    derivation that gives no positive finite value (a stage's hours as the total minus
    larger other stages) is skipped; the relation is still checked once all is known.
    """
    v = f.values
    blocked: set = set()
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


def consistency(facts: Facts) -> list[dict[str, Any]]:
    """Cross-checks of the claim's own numbers (see the module docstring)."""
    return facts.rows()
