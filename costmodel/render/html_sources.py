"""Every source a result names, as a numbered list of links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .html import Raw, linkify, tag

__all__ = ["sources", "sources_list"]


def sources(d: Any) -> list[str]:
    """Every ``source`` text in a result (any depth), first occurrence order."""
    found: list[str] = []

    def walk(x: Any, key: str = "") -> None:
        if isinstance(x, Mapping):
            for k, v in x.items():
                walk(v, str(k))
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v, key)
        elif isinstance(x, str) and (key == "source" or key.endswith("_source")):
            for part in _split_sources(x):
                if part not in found:
                    found.append(part)

    walk(d)
    return found


def _split_sources(text: str) -> list[str]:
    """Split a source text at the semicolons outside parentheses (one source each)."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        depth += (ch in "([") - (ch in ")]")
        if ch == ";" and depth <= 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def sources_list(d: Any) -> Raw:
    items = sources(d)
    if not items:
        return tag("p", "No sources are named in this result.")
    return Raw('<ol class="src">' + "".join(tag("li", linkify(s)) for s in items) + "</ol>")
