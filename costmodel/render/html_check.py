"""A claim check (``ClaimCheck.to_dict()``) as an HTML report for people who never run a CLI.

Order: the verdict in plain words, the claim, what its numbers imply, its own arithmetic,
published runs, how likely, the verdict's reasons, what it leaves out, hardware and export
control, anything else the result holds, warnings, assumptions, sources. Keys this module
does not know are shown generically (see :func:`.html.rest`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..formulas.units import format_si, format_usd
from . import claims_physics as physics
from . import html_check_costs as costs
from . import html_check_parts as parts
from .html import (
    Raw,
    generic,
    join,
    label,
    rest,
    section,
    table,
    tag,
)
from .html import page as _page
from .html_check_parts import pct, side
from .html_sources import sources_list

if TYPE_CHECKING:
    import numpy as np

__all__ = ["body", "page", "plain_verdict", "odds"]

_PLAIN = {
    "consistent": "Plausible: the claimed compute is in line with what published training "
    "runs achieve.",
    "optimistic": "Possible, but on the optimistic side: the claim needs the hardware to be "
    "used more efficiently than most comparable published runs managed.",
    "implausible": "Hard to believe as stated: the claim needs more from the hardware than "
    "comparable published runs achieved, or more than the hardware can do.",
    "unverifiable": "Cannot be tested: the claim does not state enough to check its numbers.",
}
#: The same, when the performance model decided the verdict.
_PLAIN_PHYSICS = {
    "consistent": "Plausible: the hardware, at the claimant's layout, can sustain the "
    "throughput the claim needs.",
    "optimistic": "Possible, but on the optimistic side: the claim needs more throughput "
    "than the performance model expects from this hardware and layout.",
    "implausible": "Hard to believe as stated: the claim needs more throughput than this "
    "hardware and layout have sustained in any validated run.",
}
_TOC = [
    ("claim", "The claim"),
    ("implied", "What the numbers imply"),
    ("consistency", "The claim's own arithmetic"),
    ("physics", "Can the hardware do it?"),
    ("runs", "Against published runs"),
    ("likelihood", "How likely under the utilization prior"),
    ("reasons", "Why this verdict"),
    ("ledger", "What the figure leaves out"),
    ("hardware", "Hardware and export control"),
    ("nvlink", "What did the NVLink cut cost?"),
    ("other", "Other results"),
    ("assumptions", "Warnings and assumptions"),
    ("sources", "Sources"),
]
_TOP = {"schema", "claim", "basis", "consistency", "flop", "peaks_flop_per_s", "fp8_fraction"}
_TOP |= {"mfu", "implied_mfu_16bit", "throughput", "stated_mfu", "third_party", "comparison"}
_TOP |= {"history", "decomposition", "likelihood", "verdict", "ledger", "hardware", "warnings"}
_TOP |= {"assumptions", "not_analysed_because", "throughput_derived_hours", "nvlink"}
_TOP |= {"physics", "physics_unavailable"}


def odds(p: float) -> str:
    """A probability in words: ``0.0975`` → ``about 1 in 10``."""
    if p <= 0:
        return "practically none"
    if p < 0.001:
        return "less than 1 in 1,000"
    if p < 0.5:
        return f"about 1 in {round(1 / p):,}"
    if p < 0.995:
        return f"about {round(100 * p)} in 100"
    return "almost certain"


def plain_verdict(d: Mapping[str, Any]) -> list[Raw]:
    """The verdict and its probability as sentences a non-specialist can read."""
    v = d["verdict"]
    lik, b = d.get("likelihood"), d["basis"]
    headline = _PLAIN.get(v["verdict"], v["verdict"])
    if not lik and v["verdict"] in ("consistent", "optimistic"):
        bad = any(not r.get("ok", True) for r in d.get("consistency", []))
        headline = (
            ("Its own numbers disagree with each other. " if bad else
             "Its own numbers agree with each other, ")
            + ("But w" if bad else "but w") + "hether the hardware could do the work cannot be "
            f"tested: {d.get('not_analysed_because', 'inputs are missing')}."
        )  # fmt: skip
    ph = d.get("physics")
    if ph is not None and v.get("basis", "").startswith("physics"):
        headline = _PLAIN_PHYSICS.get(v["verdict"], headline)
    out = [tag("p", headline, class_="big")]
    if ph is not None and v.get("basis", "").startswith("physics"):
        r = ph["rules"]
        out += [
            tag("p", physics.plain(d)),
            tag(
                "p",
                f"Rule: “implausible” when that chance is below {pct(r['implausible'], 0)} "
                f"(the claim needs more than the model's {physics.ordinal(1 - r['implausible'])}"
                f" percentile), “optimistic” below {pct(r['optimistic'], 0)}, “consistent” "
                "otherwise. The utilization prior below is context, not the verdict's basis.",
                class_="muted",
            ),
        ]
        lik = None
    if lik:
        p, pr = lik["p_gpu_hours_le_claimed"], lik["prior"]
        out.append(
            tag(
                "p",
                f"If this run were like the {pr['n_runs']} published training runs the "
                f"utilization prior is fitted to, the chance that it needed no more than the "
                f"claimed {format_si(b['gpu_hours'], 4)} GPU-hours for its {b['stage']} is ",
                tag("strong", f"{pct(p)} ({odds(p)})"),
                ".",
            )
        )
        cm = d.get("comparison", {})
        out.append(
            tag(
                "p",
                f"Those hours mean the GPUs did useful model work at {pct(d['implied_mfu_16bit'])} "
                f"of their 16-bit peak (implied MFU, counting 6ND FLOP), more than "
                f"{pct(cm.get('percentile'), 0)} of {cm.get('n_runs')} published runs.",
            )
        )
        mk = lik.get("predicted_cost_usd_market")
        cost = d["claim"].get("cost_usd")
        if mk and cost:
            out.append(
                tag(
                    "p",
                    f"At market rental prices the whole claim would most likely cost "
                    f"{format_usd(mk['p50'], 3)} (90% range {format_usd(mk['p05'], 3)} – "
                    f"{format_usd(mk['p95'], 3)}); the claim says {format_usd(cost, 4)}.",
                )
            )
        t = v["thresholds"]
        out.append(
            tag(
                "p",
                f"Rule: a claim is “optimistic” when that chance is below "
                f"{pct(t['p_optimistic'], 0)} (or its utilization is above "
                f"{pct(t['percentile_optimistic'], 0)} of published runs, or its own "
                f"numbers disagree), and “implausible” below {pct(t['p_implausible'], 0)} or "
                f"when the hardware could not do the work.",
                class_="muted",
            )
        )
    physics_basis = ph is not None and v.get("basis", "").startswith("physics")
    for r in v["reasons"]:
        if r.startswith("borderline"):
            why = r.removeprefix("borderline: ") if physics_basis else _borderline(d)
            out.append(tag("div", tag("strong", "Borderline. "), why, class_="note"))
    if lik:
        out.append(_prior_sensitivity(d))
    return out


def _borderline(d: Mapping[str, Any]) -> str:
    p = d["likelihood"]["p_gpu_hours_le_claimed"]
    t = d["verdict"]["thresholds"]
    line, lower, upper = (
        (t["p_optimistic"], "optimistic", "consistent")
        if abs(p - t["p_optimistic"]) <= abs(p - t["p_implausible"])
        else (t["p_implausible"], "implausible", "optimistic")
    )
    return (
        f"The probability ({pct(p, 2)}) is close to the {pct(line, 0)} line between "
        f"“{lower}” and “{upper}”. A modestly different but defensible utilization prior "
        f"could put it on the other side, so read the verdict together with the probability, "
        f"not on its own."
    )


def _prior_sensitivity(d: Mapping[str, Any]) -> Raw:
    """How the chance depends on the prior, and P under each alternative prior if given."""
    lik = d["likelihood"]
    pr = lik["prior"]
    parts: list[Any] = [
        tag(
            "p",
            f"Sensitivity to the prior: the chance rests on the utilization prior for "
            f"{pr.get('family', 'this')} accelerators at this model size (median MFU "
            f"{pct(pr.get('median_mfu'))}, 90% of runs between {pct(pr.get('mfu_p05'))} and "
            f"{pct(pr.get('mfu_p95'))}, fitted to {pr.get('n_runs')} runs). A prior centred "
            f"higher makes the claim more likely.",
            class_="muted",
        )
    ]
    alt = lik.get("alternatives")
    if alt:
        t = d["verdict"]["thresholds"]
        ps = [a["p_gpu_hours_le_claimed"] for a in alt]
        sides = [side(p, t) for p in ps]
        counts = ", ".join(
            f"{sides.count(v)} give{'s' if sides.count(v) == 1 else ''} “{v}”"
            for v in dict.fromkeys(sides)
        )
        parts.append(
            tag(
                "p",
                tag("strong", f"Under {len(alt)} candidate priors"),
                f" (each refitted without the claim's own run) the chance ranges from "
                f"{pct(min(ps))} to {pct(max(ps))}: {counts} on the probability alone. ",
                tag("a", "The table", href="#priors"),
                " is under “How likely”.",
            )
        )
    for k, v in lik.items():  # other alternatives a result may carry
        if "prior" in k and k != "prior" and v:
            parts += [tag("h3", label(k)), generic(v, k)]
    return join(parts)


def _key_numbers(d: Mapping[str, Any]) -> Raw:
    c = d["claim"]
    rows = [
        ("claimed cost", format_usd(c["cost_usd"], 4) if c.get("cost_usd") else "not stated"),
        ("claimed GPU-hours", format_si(c["gpu_hours"], 4) if c.get("gpu_hours") else "not stated"),
        ("accelerator", f"{c['gpu']}" + (f" × {c['n_gpus']:,}" if c.get("n_gpus") else "")),
    ]
    if "flop" in d:
        b = d["basis"]
        rows += [
            (f"6ND FLOP ({b['stage']})", format_si(d["flop"]["6nd"]["total"], 4)),
            ("implied MFU (6ND, 16-bit peak)", pct(d["implied_mfu_16bit"])),
        ]
    return table(rows, cls="kv")


def body(d: Mapping[str, Any], hours: Sequence[float] | np.ndarray | None = None) -> Raw:
    """The report's content (no page chrome)."""
    v = d["verdict"]["verdict"]
    c = d["claim"]
    head = [
        tag("h1", f"Claim check: {c['name']}"),
        tag(
            "div",
            tag("span", "Verdict: "),
            tag("span", v.upper(), class_="badge"),
            *plain_verdict(d),
            class_=f"verdict v-{v}",
        ),
        _key_numbers(d),
        tag(
            "nav",
            tag("strong", "Contents"),
            tag(
                "ol",
                *(
                    tag("li", tag("a", t, href=f"#{i}"))
                    for i, t in _TOC
                    if i not in ("nvlink", "physics") or d.get(i)
                ),
            ),
        ),
    ]
    other = {k: x for k, x in d.items() if k not in _TOP}
    notes = []
    if d.get("warnings"):
        notes += [tag("h3", "Warnings"), generic(list(d["warnings"]))]
    notes += [tag("h3", "Assumptions"), generic(list(d.get("assumptions") or ["none"]))]
    return join(
        [
            *head,
            section("claim", "The claim", parts.claim(d)),
            section("implied", "What the numbers imply", parts.implied(d)),
            section("consistency", "The claim's own arithmetic", parts.consistency(d)),
            section("physics", "Can the hardware do it?", physics.html_section(d))
            if d.get("physics")
            else "",
            section("runs", "Against published runs", parts.runs(d)),
            section(
                "likelihood",
                "How likely under the utilization prior",
                _prior_sensitivity(d) if d.get("physics") and d.get("likelihood") else "",
                parts.likelihood(d, hours),
            ),
            section(
                "reasons",
                "Why this verdict",
                tag("p", tag("strong", v.upper())),
                generic(list(d["verdict"]["reasons"])),
            ),
            section("ledger", "What the figure leaves out", costs.ledger(d)),
            section("hardware", "Hardware and export control", costs.hardware(d)),
            section("nvlink", "What did the NVLink cut cost?", costs.nvlink(d))
            if d.get("nvlink")
            else "",
            section("other", "Other results", rest(other, ()) or tag("p", "None.")),
            section("assumptions", "Warnings and assumptions", *notes),
            section("sources", "Sources", sources_list(d)),
        ]
    )


def page(
    d: Mapping[str, Any],
    hours: Sequence[float] | np.ndarray | None = None,
    command: str | None = None,
) -> str:
    """A whole self-contained HTML page for a claim check."""
    return _page(f"Claim check: {d['claim']['name']}", body(d, hours), command=command)
