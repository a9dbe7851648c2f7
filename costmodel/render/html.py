"""HTML building blocks: escaping, value formatting by key name, generic tables, the page.

Every piece of text that comes from a result, a preset or the user passes through
:func:`h` (``html.escape``); only strings built here are wrapped in :class:`Raw`. A page is
self-contained: inline CSS, inline SVG charts, no scripts, fonts or remote resources, so
opening it makes no network request (links are followed only when clicked).

Results are rendered from their ``to_dict()`` data. Keys a renderer does not know are not
dropped: :func:`generic` shows any value (numbers formatted by what their key names —
``*_usd`` as money, ``mfu``/``p_*`` as percentages, ``*gpu_hours*`` with SI prefixes), so
fields added to a result later appear without a change here.
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..formulas.units import format_si, format_usd
from .style import CSS

__all__ = [
    "Raw",
    "h",
    "fmt",
    "label",
    "linkify",
    "table",
    "records_table",
    "kv_table",
    "generic",
    "section",
    "page",
    "fragment",
    "write",
]


class Raw(str):
    """A string of HTML built by this package (already escaped where needed)."""

    __slots__ = ()


def h(x: Any) -> Raw:
    """``x`` escaped for HTML text or an attribute value (``Raw`` passes through)."""
    if isinstance(x, Raw):
        return x
    return Raw(_html.escape("" if x is None else str(x), quote=True))


def join(parts: Iterable[Any], sep: str = "") -> Raw:
    return Raw(h(sep).join(h(p) for p in parts))


def tag(name: str, *content: Any, **attrs: Any) -> Raw:
    """``<name attrs>content</name>``; attribute names ending in ``_`` lose it (``class_``)."""
    at = "".join(
        f' {k.rstrip("_").replace("_", "-")}="{h(v)}"' for k, v in attrs.items() if v is not None
    )
    return Raw(f"<{name}{at}>{join(content)}</{name}>")


# ------------------------------------------------------------------ formatting by key
_WORDS = dict(
    w.split("=")
    for w in (
        "gpu=GPU gpus=GPUs usd=USD mfu=MFU hfu=HFU flop=FLOP tflop=TFLOP 6nd=6ND "
        "co2e=CO2e kwh=kWh pue=PUE nvlink=NVLink fp8=FP8 bf16=BF16 tpp=TPP gb=GB mm2=mm² "
        "p=P"
    ).split()
)


#: Keys and values whose words need more than ``label``'s word-by-word spelling.
_PHRASES = {
    "price_usd_per_gpu_hour": "price (USD per GPU-hour)",
    "energy_kwh": "energy (kWh)",
    "co2e_kg": "emissions (kg CO2e)",
    "grid_kg_co2e_per_kwh": "grid intensity (kg CO2e per kWh)",
    "usd_per_kwh": "electricity price (USD per kWh)",
    "wall_clock_days": "wall-clock days",
    "fp8_fraction": "FP8 share of FLOP",
    "prior_gpu_hours": "prior GPU-hours",
    "p_gpu_hours_le_claimed": "P(GPU-hours ≤ claimed)",
    "what_if_basis": "basis of the what-if",
    "hours_basis": "basis of the hours",
    "hours_scope": "what the hours cover",
    # the closed list of a run's hours_scope (data/schemas/runs.py)
    "final_pretraining": "final pre-training run",
    "all_pretraining": "all pre-training",
    "all_training": "all training",
    "incl_other_models": "includes other models",
    "assumed_throughput": "from an assumed throughput",
    "wall_clock_span": "GPUs × wall-clock span",
}


def label(key: Any) -> str:
    """A readable column label for a glossary key: ``gpu_hours`` → ``GPU-hours``."""
    if str(key) in _PHRASES:
        return _PHRASES[str(key)]
    if str(key).endswith("cost_usd"):
        key = str(key)[: -len("cost_usd")] + "cost_(USD)"
    words = [_WORDS.get(w, w) for w in str(key).replace(".", " ").split("_")]
    text = " ".join(words).replace(" per s", "/s").replace("GPU hours", "GPU-hours")
    return text.replace("n GPUs", "GPUs").replace("GPU hour", "GPU-hour")


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def _number(x: float, key: str) -> str:
    k = key.lower().rsplit(".", 1)[-1] if "." in key else key.lower()
    full = key.lower()
    if not math.isfinite(x):
        return "n/a"
    if k in ("year", "samples", "n", "n_runs", "seed") or k.startswith("n_"):
        return f"{x:,.0f}" if k != "year" else f"{x:.0f}"
    if "rel_diff" in k:
        return f"{100 * x:+.1f}%"
    if (
        k.endswith("ratio")
        or k in ("active_params", "tokens", "utilization", "peak")
        and ("factors" in full)
    ):
        return f"{x:.2f}×"
    if k.startswith("p_") or any(
        s in k for s in ("mfu", "hfu", "fraction", "share", "percentile", "goodput", "tolerance")
    ):
        return _pct(x, 2 if abs(x) < 0.1 else 1)
    if "usd" in k:
        return format_usd(x, 4)
    if "tflop_per_s" in k:
        return f"{x:,.0f}"
    if "flop_per_s" in k:
        return f"{x / 1e12:,.1f} TFLOP/s"
    if "days" in k or k.endswith("_hours") and "gpu" not in k:
        return f"{x:,.1f}"
    if abs(x) >= 1e4:
        return format_si(x, 4)
    if abs(x) >= 1000 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.4g}"


def fmt(value: Any, key: str = "") -> Raw:
    """One value as HTML, formatted by what its key names."""
    if value is None:
        return Raw("—")
    if isinstance(value, bool):
        return Raw("yes" if value else "no")
    if isinstance(value, int | float):
        return h(_number(float(value), key))
    if isinstance(value, str):
        return linkify(value)
    if isinstance(value, Mapping):
        if "dist" in value:  # a distribution spelled as a dict: uniform(0.3, 0.4)
            args = [
                (_number(v, key if k not in _SHAPE else "") if _isnum(v) else str(v))
                for k, v in value.items()
                if k != "dist"
            ]
            return h(f"{value['dist']}({', '.join(args)})")
        return kv_table(value, prefix=key)
    if isinstance(value, Sequence):
        if value and all(isinstance(v, Mapping) for v in value):
            return records_table(value)
        if len(value) == 2 and all(_isnum(v) for v in value):
            lo, hi = _number(value[0], key), _number(value[1], key)
            return h(lo if lo == hi else f"{lo} – {hi}")
        return join((fmt(v, key) for v in value), ", ")
    return h(value)


#: Distribution parameters without the input's unit (shapes, not amounts).
_SHAPE = {"gsd", "a", "b", "alpha", "beta", "sigma", "shape"}


def _isnum(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# ------------------------------------------------------------------ links
_LINK = re.compile(
    r"(?P<url>https?://[^\s<>\"'\]]+)"
    r"|(?P<arxiv>arXiv[:\s]*(?P<aid>\d{4}\.\d{4,5})(?:v\d+)?)"
    r"|(?P<doi>\b10\.\d{4,9}/[^\s;,()<>\"]+)"
    r"|(?<![\w@/.-])(?P<dom>(?:[a-z0-9-]+\.)+(?:ai|com|org|net|io|gov|edu|dev|co)"
    r"(?:/[^\s;,()<>\"']*)?)(?![\w-])",
    re.IGNORECASE,
)


#: A snake_case key in prose (not inside a path, file name, URL or dotted name).
_KEY = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-]|\.\w)")


def words(text: str) -> str:
    """Prose with internal keys in words: ``prior_gpu_hours is …`` → ``prior GPU-hours is …``."""
    return _KEY.sub(lambda m: label(m.group(0)), text)


def linkify(text: str) -> Raw:
    """Escape ``text``, spell internal keys in words, and turn URLs, arXiv ids, DOIs and bare
    domains into links."""
    text = words(text)
    out, pos = [], 0
    for m in _LINK.finditer(text):
        shown = m.group(0)
        trail = ""
        while shown and shown[-1] in ".,;:)":
            if shown[-1] == ")" and shown.count("(") >= shown.count(")"):
                break
            trail = shown[-1] + trail
            shown = shown[:-1]
        if m.group("arxiv"):
            href = f"https://arxiv.org/abs/{m.group('aid')}"
        elif m.group("doi"):
            href = f"https://doi.org/{shown}"
        elif m.group("dom"):
            href = f"https://{shown}"
        else:
            href = shown
        out += [h(text[pos : m.start()]), tag("a", shown, href=href), h(trail)]
        pos = m.end()
    out.append(h(text[pos:]))
    return Raw("".join(out))


# ------------------------------------------------------------------ tables
#: Tables with at least this many columns show each row as a block on a phone-width screen.
_STACK_COLUMNS = 4


def table(
    rows: Sequence[Sequence[Any]],
    header: Sequence[Any] | None = None,
    *,
    numeric: Sequence[bool] | None = None,
    caption: str | None = None,
    cls: str | None = None,
    stack: bool = False,
) -> Raw:
    """A table in a horizontally scrolling wrapper (the page itself never overflows).

    Cells are escaped unless :class:`Raw`; ``numeric`` marks right-aligned columns;
    ``stack`` shows each row as a block of labelled lines on a phone-width screen.
    """
    ncol = max([len(r) for r in rows] + [len(header or [])] + [0])
    num = list(numeric or [False] * ncol) + [False] * ncol
    # four columns or more do not fit a phone's width: stack them there
    stack = stack or ncol >= _STACK_COLUMNS
    cls = " ".join(c for c in (cls, "stack" if stack and header else None) if c)
    parts = ['<div class="tw"><table' + (f' class="{h(cls)}"' if cls else "") + ">"]
    if caption:
        parts.append(str(tag("caption", caption)))
    if header:
        parts.append(
            "<thead><tr>"
            + "".join(f'<th scope="col"{_nc(num[i])}>{h(c)}</th>' for i, c in enumerate(header))
            + "</tr></thead>"
        )
    parts.append("<tbody>")
    for r in rows:
        cells = [
            f"<td{_nc(num[i])}{_dl(header, i)}>{_wrap(h(c), stack)}</td>" for i, c in enumerate(r)
        ]
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    return Raw("".join(parts))


def _wrap(cell: str, stack: bool) -> str:
    """In a stacked table the cell's content is one flex item beside its label."""
    return f'<span class="v">{cell}</span>' if stack else cell


def _nc(numeric: bool) -> str:
    return ' class="n"' if numeric else ""


def _dl(header: Sequence[Any] | None, i: int) -> str:
    """The column's header as a label for the stacked (phone) layout."""
    if not header or i >= len(header) or not str(header[i]) or isinstance(header[i], Raw):
        return ""
    return f' data-label="{h(header[i])}"'


def _flat(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v and "dist" not in v:
            out.update(_flat(v, key + "."))
        else:
            out[key] = v
    return out


def records_table(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    skip: Iterable[str] = (),
) -> Raw:
    """Records (dicts, nested ones flattened to ``a.b``) as a table, one row each."""
    flat = [_flat(r) for r in records]
    if columns is None:
        columns = []
        for r in flat:
            columns += [k for k in r if k not in columns and k not in set(skip)]
    labels = labels or {}
    numeric = [
        any(_isnum(r.get(c)) or _isnum_pair(r.get(c)) for r in flat) and "source" not in c
        for c in columns
    ]
    rows = [[fmt(r.get(c), c) for c in columns] for r in flat]
    long_text = any(isinstance(v, str) and len(v) > 40 for r in flat for v in r.values())
    stack = len(columns) >= 6 or (len(columns) >= 3 and long_text)
    return table(rows, [labels.get(c, label(c)) for c in columns], numeric=numeric, stack=stack)


def _isnum_pair(v: Any) -> bool:
    return isinstance(v, list | tuple) and len(v) == 2 and all(_isnum(x) for x in v)


def kv_table(d: Mapping[str, Any], prefix: str = "", skip: Iterable[str] = ()) -> Raw:
    """A mapping as a two-column table (nested mappings flattened to dotted keys)."""
    skip = set(skip)
    flat = _flat({k: v for k, v in d.items() if k not in skip})
    rows = [(label(k), fmt(v, f"{prefix}.{k}" if prefix else k)) for k, v in flat.items()]
    return table(rows, cls="kv")


def generic(value: Any, key: str = "") -> Raw:
    """Any result value: a table for records and mappings, formatted text otherwise."""
    if isinstance(value, str):
        return tag("p", linkify(value))
    if isinstance(value, Sequence) and value and all(isinstance(v, str) for v in value):
        return tag("ul", *(tag("li", linkify(v)) for v in value))
    return fmt(value, key)


def rest(d: Mapping[str, Any], handled: Iterable[str]) -> Raw:
    """Keys of ``d`` that the caller did not render, shown generically (may be empty)."""
    handled = set(handled)
    left = {k: v for k, v in d.items() if k not in handled and v not in (None, [], {})}
    if not left:
        return Raw("")
    return join(x for k, v in left.items() for x in (tag("h3", label(k)), generic(v, k)))


def section(sid: str, title: str, *body: Any) -> Raw:
    return Raw(f'<section id="{h(sid)}">' + tag("h2", title) + join(body) + "</section>")


# ------------------------------------------------------------------ page


def fragment(body: str) -> str:
    """Notebook display: the body and its (scoped) style, no page chrome."""
    return f'<div class="cm"><style>{CSS}</style>{body}</div>'


def page(title: str, body: str, *, command: str | None = None) -> str:
    """A whole self-contained HTML document, with version, date and the regenerating command."""
    from .._version import __version__

    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    foot = [
        tag("p", f"Made with costmodel {__version__} on {now}. "),
    ]
    if command:
        foot += [tag("p", "Regenerate this page with:"), tag("pre", tag("code", command))]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="costmodel {h(__version__)}">'
        '<link rel="icon" href="data:,">'
        f"<title>{h(title)}</title><style>body{{margin:0;background:#fff}}{CSS}</style></head>"
        f'<body><div class="cm"><main>{body}</main>'
        f'<footer id="about">{join(foot)}</footer></div></body></html>\n'
    )


def write(path: str, text: str) -> None:
    """Write a page atomically (temporary file in the same directory, then rename)."""
    from ..io import atomic_write_text

    atomic_write_text(path, text)
