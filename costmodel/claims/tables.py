"""The tables of a claim check as rows: what :meth:`ClaimCheck.rows` and
:meth:`ClaimCheck.to_pandas` return.

Each table maps the report (``ClaimCheck.data``) to a list of dicts; nested values are
flattened (``prior_gpu_hours_p05``; a ``[low, high]`` pair becomes ``_low`` and ``_high``)
so every cell is a number, a string, a flag or a list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InputError

__all__ = ["TABLES", "rows", "short_repr"]


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A row with nested dicts spread into ``outer_inner`` keys and a two-number list
    (a range) into ``_low`` and ``_high``."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, f"{key}_"))
        elif (
            isinstance(v, list)
            and len(v) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
        ):
            out[f"{key}_low"], out[f"{key}_high"] = v
        else:
            out[key] = v
    return out


def _flop_rows(d: dict[str, Any]) -> list[dict[str, Any]] | None:
    if "flop" not in d:
        return None
    mfu = d.get("mfu", {})
    return [
        {
            "flop_convention": conv,
            "model_flop": f.get("total"),
            "flop_per_token": f.get("per_token"),
            **{f"mfu_{basis}": v for basis, v in mfu.get(conv, {}).items()},
        }
        for conv, f in d["flop"].items()
    ]


#: The tables by name: ``consistency`` (the arithmetic cross-checks), ``stages``,
#: ``flop`` (model FLOP and implied MFU per FLOP convention), ``hardware`` (the what-if
#: accelerators), ``ledger`` (cost items), ``comparison`` (published runs), ``history``
#: (the claimant's earlier runs), ``alternatives`` (the claim's probability under each
#: candidate prior), ``stated_mfu`` and ``third_party``. Each maps the report to its rows,
#: or ``None`` when this check has no such table.
TABLES: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]] | None]] = {
    "consistency": lambda d: d.get("consistency"),
    "stages": lambda d: d.get("claim", {}).get("stages"),
    "flop": _flop_rows,
    "hardware": lambda d: (d.get("hardware") or {}).get("what_if"),
    "ledger": lambda d: d.get("ledger"),
    "comparison": lambda d: (d.get("comparison") or {}).get("runs"),
    "history": lambda d: d.get("history"),
    "alternatives": lambda d: (d.get("likelihood") or {}).get("alternatives"),
    "stated_mfu": lambda d: d.get("stated_mfu"),
    "third_party": lambda d: d.get("third_party"),
}


def rows(data: dict[str, Any], table: str = "consistency") -> list[dict[str, Any]]:
    """The rows of one table of a claim check's report, flattened."""
    from ..model.estimation import to_jsonable
    from ..model.validate import shown

    if not isinstance(table, str) or table not in TABLES:
        raise InputError(f"table: {shown(table)} is not one of {', '.join(TABLES)}")
    got = TABLES[table](data)
    if got is None:
        why = data.get("not_analysed_because")
        raise InputError(f"table: this check has no {table} table" + (f" ({why})" if why else ""))
    return [_flat(to_jsonable(r)) for r in got]


def short_repr(data: dict[str, Any]) -> str:
    """``ClaimCheck(claim='deepseek-v3', verdict='consistent', implied_mfu_16bit=0.346)``."""
    mfu = data.get("implied_mfu_16bit")
    extra = "" if mfu is None else f", implied_mfu_16bit={mfu:.3f}"
    return (
        f"ClaimCheck(claim={data['claim']['id']!r}, verdict={data['verdict']['verdict']!r}{extra})"
    )
