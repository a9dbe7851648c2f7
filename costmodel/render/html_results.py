"""HTML for an estimate, a sensitivity analysis and a backtest (from their ``to_dict()``).

Inputs, outputs with their quantiles, and a chart (the sampled distribution, the tornado,
predicted against reported hours); keys not named here are shown generically.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..formulas.units import format_si, format_usd
from . import svg
from .html import (
    Raw,
    fmt,
    generic,
    h,
    join,
    label,
    records_table,
    rest,
    section,
    table,
    tag,
)
from .html import page as _page
from .html_headline import estimate_headline
from .html_sources import sources_list

if TYPE_CHECKING:
    import numpy as np

__all__ = ["estimate_body", "sensitivity_body", "backtest_body", "page"]

#: Outputs of an estimate in reading order (others follow, generically).
_OUTPUTS = (
    *("cost_usd", "gpu_hours", "wall_clock_days", "model_flop", "hardware_flop"),
    *("flop_per_token", "peak_flop_per_s", "mfu", "hfu", "energy_kwh", "co2e_kg"),
    "tokens_per_s_per_gpu",
)
_UNIT = {"cost_usd": "US dollars", "gpu_hours": "GPU-hours", "wall_clock_days": "days"}


def _v(x: Any, key: str) -> str:
    """Plain text (not HTML) of one value, formatted by its key."""
    return html.unescape(fmt(x, key))


def _chart_fmt(key: str) -> Callable[[float], str]:
    if "usd" in key:
        return lambda v: format_usd(v, 3)
    if key in ("mfu", "hfu"):
        return lambda v: f"{100 * v:.0f}%"
    return lambda v: format_si(v, 3)


def estimate_body(
    d: Mapping[str, Any], samples: Mapping[str, Sequence[float] | np.ndarray] | None = None
) -> Raw:
    """An ``Estimate.to_dict()``; ``samples`` maps outputs to their draws (for the chart)."""
    if any(isinstance(d.get(k), list) for k in _OUTPUTS):
        return _scenarios_body(d)
    inp = d["inputs"]
    what = ", ".join(
        str(x) for x in (inp.get("run"), inp.get("gpu"), inp.get("precision")) if x is not None
    )
    steady = (d.get("time_basis") or {}).get("basis") == "steady_state"
    tail = " (steady state: no failures, restarts, checkpointing, evaluation)" if steady else ""
    key = [
        (label(k) + tail, fmt(d.get(k), k)) for k in ("cost_usd", "gpu_hours", "wall_clock_days")
    ]
    basis = d.get("mfu_basis") or {}
    peak = basis.get("peak_flop_per_s") or d.get("peak_flop_per_s")
    against = basis.get("text") or (
        f"{basis.get('precision') or inp.get('precision') or ''} dense peak"
        + (f", {peak / 1e12:,.1f} TFLOP/s" if isinstance(peak, int | float) else "")
    )
    mfu = d.get("mfu")
    if mfu is not None:
        key.append(
            (f"MFU ({d['flop_convention']} FLOP)", Raw(f"{fmt(mfu, 'mfu')} of the {h(against)}"))
        )
    q = d.get("quantiles") or {}
    qkeys = [k for k in next(iter(q.values()), {}) if k != "n"]
    outs = [k for k in _OUTPUTS if d.get(k) is not None and (k != "hfu" or d["hfu"] != d["mfu"])]
    outs = [k for k in outs if k != "hardware_flop" or d[k] != d.get("model_flop")]
    rows = [[label(k), fmt(d[k], k)] + [fmt(q.get(k, {}).get(p), k) for p in qkeys] for k in outs]
    missing = [k for k in _OUTPUTS if d.get(k) is None]
    out: list[Any] = [
        tag("h1", "Training cost estimate" + (f": {what}" if what else "")),
        estimate_headline(d),
        table([r for r in key if str(r[1]) != "—"], cls="kv"),
        section(
            "outputs",
            "Outputs",
            table(rows, ["output", "point", *qkeys], numeric=[False] + [True] * (1 + len(qkeys))),
            tag(
                "p",
                "Point values at the inputs' medians; quantiles from the samples "
                "(stderr: Monte Carlo standard error)."
                if q
                else "Point values at the inputs' medians (give samples for quantiles).",
                class_="muted",
            ),
            tag(
                "p",
                "Not computed (an input is missing): " + ", ".join(label(k) for k in missing),
                class_="muted",
            )
            if missing
            else "",
        ),
    ]
    target = next((k for k in ("cost_usd", "gpu_hours") if samples and k in samples), None)
    if target and samples:
        draws = samples[target]
        qs = q.get(target, {})
        f = _chart_fmt(target)
        chart = svg.histogram(
            draws,
            marker=None,
            marker_text="",
            xlabel=_UNIT.get(target, label(target)),
            fmt=f,
            title=f"Distribution of {label(target)}",
            desc=f"{len(draws):,} draws; p05 {f(qs.get('p05', 0))}, p50 "
            f"{f(qs.get('p50', 0))}, p95 {f(qs.get('p95', 0))}.",
            quantiles={p: qs[p] for p in ("p05", "p50", "p95") if p in qs},
            shade_below=False,
        )
        out.append(
            section(
                "distribution",
                "Distribution",
                tag(
                    "figure",
                    chart,
                    tag(
                        "figcaption",
                        f"Histogram of the sampled {label(target)}; dashed lines at p05, p50 "
                        f"and p95.",
                    ),
                ),
            )
        )
    handled = {"schema", "inputs", "assumptions", "flop_convention", "quantiles", *_OUTPUTS}
    handled.add("mfu_basis")  # in the key numbers
    inputs = {k: v for k, v in inp.items() if v is not None and k != "architecture"}
    out += [
        section(
            "inputs",
            "Inputs",
            table([(label(k), fmt(v, k)) for k, v in inputs.items()], cls="kv"),
            tag("p", f"FLOP convention: {d['flop_convention']}."),
        ),
    ]
    if inp.get("architecture"):
        out.append(section("architecture", "Model shape", fmt(inp["architecture"])))
    other = rest(d, handled)
    return join([*out, *_closing(d, other)])


def _closing(d: Mapping[str, Any], other: Raw) -> list[Raw]:
    """The sections every result page ends with: other results (if any), assumptions,
    sources."""
    out = [section("other", "Other results", other)] if other else []
    return out + [
        section("assumptions", "Assumptions", generic(list(d.get("assumptions") or ["none"]))),
        section("sources", "Sources", sources_list(d)),
    ]


def _scenarios_body(d: Mapping[str, Any]) -> Raw:
    """An estimate over arrays of inputs: one row per scenario."""
    inp = d["inputs"]
    n = max(len(v) for v in (*d.values(), *inp.values()) if isinstance(v, list))

    def at(v: Any, i: int) -> Any:
        return v[i] if isinstance(v, list) and len(v) == n else v

    varying = [k for k, v in inp.items() if isinstance(v, list) and len(v) == n]
    outs = [k for k in _OUTPUTS if d.get(k) is not None]
    rows = [{**{k: at(inp[k], i) for k in varying}, **{k: at(d[k], i) for k in outs}}
            for i in range(n)]  # fmt: skip
    fixed = {k: v for k, v in inp.items() if k not in varying and v is not None}
    fixed.pop("architecture", None)
    return join([
        tag("h1", f"Training cost estimate: {n} scenarios"),
        section("outputs", "Scenarios", records_table(rows)),
        section("inputs", "Inputs held fixed", table([(label(k), fmt(v, k))
                                                      for k, v in fixed.items()], cls="kv")),
        section("assumptions", "Assumptions", generic(list(d.get("assumptions") or ["none"]))),
    ])  # fmt: skip


def sensitivity_body(d: Mapping[str, Any]) -> Raw:
    """A ``Sensitivity.to_dict()``: tornado chart and table, Sobol indices."""
    o = d["output"]
    f = _chart_fmt(o)
    tor = d["tornado"]
    out: list[Any] = [
        tag("h1", f"What drives {label(o)}"),
        tag(
            "p",
            f"Median {label(o)}: ",
            tag("strong", _v(d["median_output"], o)),
            f"; uncertain inputs: {', '.join(map(label, d['uncertain_inputs'])) or 'none'}.",
        ),
    ]
    if tor:
        # the chart shows each input by its label; its values are formatted by the input's key
        key_of = {label(r["input"]): r["input"] for r in tor}
        chart = svg.tornado(
            [{**r, "input": label(r["input"])} for r in tor],
            d["median_output"],
            xlabel=_UNIT.get(o, label(o)),
            fmt=f,
            fmt_input=lambda x, k: _v(x, key_of.get(k, k)),
            title=f"Tornado: {label(o)}",
            desc="; ".join(
                f"{label(r['input'])}: {f(r['output_at_low'])} at its p05, "
                f"{f(r['output_at_high'])} at its p95"
                for r in tor
            ),
        )
        rows = [
            [
                label(r["input"]),
                f"{_v(r['low_value'], r['input'])} → {_v(r['high_value'], r['input'])}",
                _v(r["output_at_low"], o),
                _v(r["output_at_high"], o),
                _v(r["swing"], o),
            ]
            for r in tor
        ]
        out.append(
            section(
                "tornado",
                "Tornado",
                tag(
                    "figure",
                    chart,
                    tag(
                        "figcaption",
                        "Each input at its p05 and p95 with the others at their medians; each "
                        "bar end is labelled with the input value that produced it.",
                    ),
                ),
                table(
                    rows,
                    ["input", "p05 → p95", "output at p05", "output at p95", "swing"],
                    numeric=[False, False, True, True, True],
                    stack=True,
                ),
            )
        )
    s = d.get("sobol")
    if s:
        order = sorted(range(len(s["inputs"])), key=lambda i: -s["ST"][i])
        chart = svg.bars(
            [(label(s["inputs"][i]), (s["S1"][i], s["ST"][i])) for i in order],
            ("first-order S1", "total ST"),
            xlabel="share of output variance",
            title="Sobol indices",
            desc="; ".join(
                f"{label(s['inputs'][i])}: S1 {s['S1'][i]:.2f}, ST {s['ST'][i]:.2f}" for i in order
            ),
        )
        ci1, cit = s.get("S1_ci"), s.get("ST_ci")
        rows = [
            [
                label(s["inputs"][i]),
                f"{s['S1'][i]:.3f}",
                f"{ci1[i][0]:.3f} – {ci1[i][1]:.3f}" if ci1 else "",
                f"{s['ST'][i]:.3f}",
                f"{cit[i][0]:.3f} – {cit[i][1]:.3f}" if cit else "",
            ]
            for i in order
        ]
        out.append(
            section(
                "sobol",
                "Sobol indices",
                tag("figure", chart),
                table(
                    rows,
                    ["input", "first-order S1", "95% CI", "total ST", "95% CI"],
                    numeric=[False, True, True, True, True],
                    stack=True,
                ),
                tag(
                    "p",
                    f"{s.get('n_evaluations', 0):,} evaluations; {s.get('method', '')}.",
                    class_="muted",
                ),
            )
        )
    other = rest(
        d,
        {
            "schema",
            "output",
            "uncertain_inputs",
            "median_output",
            "tornado",
            "sobol",
            "assumptions",
        },
    )
    return join([*out, *_closing(d, other)])


def backtest_body(d: Mapping[str, Any]) -> Raw:
    """A ``Backtest.to_dict()``: predicted against reported accelerator-hours."""
    runs = d["runs"]
    pts = [
        (
            r["reported_gpu_hours"],
            r["predicted_p50"],
            r["predicted_p05"],
            r["predicted_p95"],
            r["id"],
            r["inside_90"],
        )
        for r in runs
    ]
    summ = [
        {"runs": k, **{x: (" ".join(map(str, y)) if isinstance(y, list) else y)
                       for x, y in v.items()}}
        for k, v in d["summary"].items()
        if isinstance(v, Mapping)
    ]  # fmt: skip
    out: list[Any] = [
        tag("h1", "Backtest: published accelerator-hours predicted from size, tokens and hardware"),
        tag("p", f"Prior model {d['model']}; each run predicted without itself (leave-one-out)."),
    ]
    if summ:
        out.append(records_table(summ))
    if pts:
        chart = svg.scatter(
            pts,
            xlabel="reported GPU-hours",
            ylabel="predicted GPU-hours",
            fmt=lambda v: format_si(v, 2),
            title="Predicted against reported",
            desc=f"{len(pts)} runs; red: reported hours outside the 90% interval.",
        )
        out.append(
            section(
                "chart",
                "Predicted against reported",
                tag(
                    "figure",
                    chart,
                    tag(
                        "figcaption",
                        "Median prediction (dot) with its 90% interval; dashed: 1:1. Red: the "
                        "reported hours fall outside the interval.",
                    ),
                ),
            )
        )
    keep = ["id", "organization", "gpu", "active_params", "tokens", "reported_gpu_hours",
            "predicted_p05", "predicted_p50", "predicted_p95", "ratio", "inside_90",
            "hours_scope"]  # fmt: skip
    out.append(
        section(
            "runs",
            "Runs",
            records_table(sorted(runs, key=lambda r: r["id"]), [k for k in keep if k in runs[0]]),
        )
    )
    return join(out)


def page(kind: str, body: str, command: str | None = None) -> str:
    titles = {
        "estimate": "costmodel estimate",
        "sensitivity": "costmodel sensitivity",
        "backtest": "costmodel backtest",
    }
    return _page(titles.get(kind, kind), body, command=command)
