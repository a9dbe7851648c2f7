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

from typing import Any

from ..data.schemas import ClaimPreset, RunPreset
from .facts import (
    TOLERANCE,
    TOLERANCE_APPROXIMATE,
    TOTAL,
    Facts,
    Relation,
    Value,
    check_row,
    derive,
)

__all__ = [
    "TOLERANCE",
    "TOLERANCE_APPROXIMATE",
    "Facts",
    "check_row",
    "consistency",
    "resolve",
]


def resolve(c: ClaimPreset, run: RunPreset | None = None) -> Facts:
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

    def state(level: str, name: str, value: float | None, approximate: bool = False) -> None:
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
    def prefix(level: str) -> str:
        return f"{level}: " if multi and level else ""

    rels = f.relations
    if stages:
        rels.append(
            Relation(
                "sumH",
                "stage GPU-hours add up to the total",
                "sum",
                (TOTAL, "H"),
                tuple((s.name, "H") for s in stages),
                priority=5,
            )
        )
        rels.append(
            Relation(
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
            Relation(
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
            Relation(
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
            Relation(
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
            Relation(
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
            Relation(
                f"bound@{lv}",
                "wall-clock within the stated duration",
                "bound",
                (lv, "maxdays"),
                ((lv, "H"), (lv, "N")),
                (1, -1),
                k=1 / 24,
                shown_k="24 h",
            ),
            Relation(
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
    derive(f)
    return f


def consistency(facts: Facts) -> list[dict[str, Any]]:
    """Cross-checks of the claim's own numbers (see the module docstring)."""
    return facts.rows()
