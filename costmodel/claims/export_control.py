"""US export-control metrics and classification (ECCN 3A090), computed from the catalog.

References
----------
.. [1] 15 CFR 774, ECCN 3A090 Technical Notes, as revised by 88 FR 73458 (17 Oct 2023):
       "'Total processing performance' ('TPP') is 2 × 'MacTOPS' × 'bit length of the
       operation', aggregated over all processing units"; the highest TPP over supported
       bit lengths counts; sparsity does not; "'Performance density' is 'TPP' divided by
       'applicable die area'" (mm², non-planar logic dies).
.. [2] 87 FR 62186 (7 Oct 2022): 3A090.a needed ≥ 600 GB/s aggregate bidirectional I/O
       *and* TPP ≥ 4800.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..data.schemas import BIT_LENGTH
from ..formulas.numeric import scalar_or_array

if TYPE_CHECKING:
    from ..data.schemas import Accelerator

__all__ = ["tpp", "performance_density", "metrics", "classify", "Classification", "RULES"]

#: Rule ids in ``presets/rules`` that ``--rule`` accepts (shorthand → id).
RULES = {"2022-10": "bis-2022-10", "2023-10": "bis-2023-10", "2026-01": "bis-2026-01"}
_OPS = {">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le}


def tpp(dense_tops: ArrayLike, bit_length: ArrayLike) -> np.ndarray | float:
    """Total processing performance of one precision.

    Parameters
    ----------
    dense_tops : array_like
        Dense peak at that precision [TFLOP/s or TOP/s]; ``2 × MacTOPS`` is the datasheet
        rate, since one multiply-accumulate is two operations.
    bit_length : array_like
        Bit length of the multiply inputs (FP8 → 8, BF16 → 16) [bit].

    Returns
    -------
    float or ndarray
        TPP [bit·TOP/s].

    Examples
    --------
    H100 SXM at FP8 (1978.9 dense TFLOP/s):

    >>> round(tpp(1978.9, 8))
    15831
    """
    out = np.asarray(dense_tops, float) * np.asarray(bit_length, float)
    return scalar_or_array(out)


def performance_density(tpp_value: ArrayLike, die_area_mm2: ArrayLike) -> np.ndarray | float:
    """TPP per mm² of applicable die area.

    >>> round(performance_density(15831.2, 814), 2)
    19.45
    """
    out = np.asarray(tpp_value, float) / np.asarray(die_area_mm2, float)
    return scalar_or_array(out)


def metrics(acc: Accelerator) -> dict[str, Any]:
    """TPP (max over precisions), the precision that sets it, PD, links and memory bandwidth."""
    per = {p: tpp(v, BIT_LENGTH[p]) for p, v in acc.peak_dense_tflop_per_s.items()}
    value = max(per.values())
    # ties (A100: BF16 312 × 16 = INT8 624 × 8) go to the lowest bit length
    best = min((p for p, v in per.items() if v >= value * (1 - 1e-4)), key=BIT_LENGTH.__getitem__)
    pd = performance_density(value, acc.die_area_mm2) if acc.die_area_mm2 else None
    return {
        "tpp": value,
        "tpp_precision": best,
        "tpp_by_precision": per,
        "performance_density": pd,
        "die_area_mm2": acc.die_area_mm2,
        "interconnect_gb_per_s": acc.interconnect_gb_per_s,
        "memory_bandwidth_gb_per_s": acc.memory_bandwidth_tb_per_s * 1000.0,
    }


@dataclass
class Classification:
    """One accelerator under one rule."""

    gpu: str
    rule: str
    rule_name: str
    status: str  # "3A090.a", "3A090.b", "not 3A090", "indeterminate", or a policy label
    controlled: bool | None
    clause: str | None
    reason: str
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..model.estimation import to_jsonable

        return to_jsonable(self.__dict__)


def _fmt(metric: str, v: float | None) -> str:
    if v is None:
        return "unknown"
    if metric == "performance_density":
        return f"{v:.2f}"
    return f"{v:,.0f}"


_NAMES = {
    "tpp": "TPP",
    "performance_density": "performance density",
    "interconnect_gb_per_s": "interconnect GB/s",
    "memory_bandwidth_gb_per_s": "memory bandwidth GB/s",
}


def _us_availability(acc: Accelerator, when: dt.date, status: str, reason: str) -> tuple[str, str]:
    """The Jan-2026 policy covers only items commercially available in the US when it was
    published (91 FR 1684): decide from the catalog's sourced field, or say it is unknown."""
    avail = acc.us_commercially_available
    day = when.isoformat()
    if avail is None:
        return "indeterminate", (
            f"{reason}, but whether {acc.id} was commercially available in the US on {day} "
            f"is not in the catalog"
        )
    # the gist of the source (its full text is in the accelerator's preset)
    src = f"({acc.us_commercially_available_source.split(':')[0].split(' (')[0]})"
    if not avail:
        return "not eligible", (
            f"{reason}, but {acc.id} was not commercially available in the US on {day} {src}: "
            f"the policy does not cover it, so the presumption of denial stands"
        )
    return status, f"{reason}; commercially available in the US on {day} {src}"


def classify(gpu: str, rule: str) -> Classification:
    """Classify an accelerator under a rule in ``presets/rules``.

    The first category whose conditions all hold decides; a condition on an unknown metric
    (die area or interconnect not published) makes the result ``indeterminate`` unless an
    earlier category already matched.

    Examples
    --------
    >>> classify("h800-sxm", "2022-10").status
    'not 3A090'
    >>> classify("h800-sxm", "2023-10").status
    '3A090.a'
    """
    from ..data import store

    acc = store.get("accelerators", gpu)
    r = store.get("rules", RULES.get(rule, rule))
    m = metrics(acc)
    if r.applies_to_rule:
        base = classify(acc.id, r.applies_to_rule)
        if base.status != r.applies_to_status:
            return Classification(
                acc.id,
                r.id,
                r.name,
                "not applicable",
                None,
                None,
                f"{base.status} under {base.rule}, and this policy covers only "
                f"{r.applies_to_status} items",
                m,
            )
    unknown = []
    for cat in r.categories:
        results = []
        for c in cat.conditions:
            v = m.get(c.metric)
            results.append(None if v is None else _OPS[c.op](v, c.value))
        if all(x is True for x in results):
            why = "; ".join(
                f"{_NAMES[c.metric]} {_fmt(c.metric, m[c.metric])} {c.op} {c.value:g}"
                for c in cat.conditions
            )
            # a licence policy is not a classification: it says nothing about control
            controlled = True if cat.eccn.startswith("3A090") else None
            status, reason = cat.eccn, f"{cat.clause}: {why}"
            when = r.requires_us_commercial_availability
            if when is not None:
                status, reason = _us_availability(acc, when, status, reason)
            if r.other_conditions and status == cat.eccn:
                reason += "; not evaluated: " + "; ".join(r.other_conditions)
            return Classification(acc.id, r.id, r.name, status, controlled, cat.clause, reason, m)
        if any(x is None for x in results) and not any(x is False for x in results):
            unknown.append(cat)
    fails = []
    for cat in r.categories:
        for c in cat.conditions:
            v = m.get(c.metric)
            if v is not None and not _OPS[c.op](v, c.value):
                fails.append(f"{_NAMES[c.metric]} {_fmt(c.metric, v)} is not {c.op} {c.value:g}")
                break
    if unknown:
        missing = sorted(
            {_NAMES[c.metric] for cat in unknown for c in cat.conditions if m.get(c.metric) is None}
        )
        return Classification(
            acc.id,
            r.id,
            r.name,
            "indeterminate",
            None,
            None,
            f"{', '.join(missing)} not published: cannot decide {unknown[0].clause}",
            m,
        )
    policy = not any(cat.eccn.startswith("3A090") for cat in r.categories)
    status = "not eligible" if policy else "not 3A090"
    return Classification(
        acc.id,
        r.id,
        r.name,
        status,
        None if policy else False,
        None,
        "; ".join(dict.fromkeys(fails)) or "no category matched",
        m,
    )
