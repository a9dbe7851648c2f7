"""A run's published layout as the default of every command that evaluates the run.

``costmodel perf --run deepseek-v3 --gpu h800-sxm`` with no layout flags, ``estimate
--mfu model``, ``check``'s physics verdict and its NVLink section all evaluate the layout
the run's paper states (its ``[layout]`` table) unless the user overrides a key; the
overrides win key by key, and the assumptions say which keys came from where.
"""

from __future__ import annotations

from typing import Any

__all__ = ["merge", "layout_text", "blame"]

#: Layout keys that follow from the GPU count: dropped from a published layout evaluated
#: on another number of GPUs (the data-parallel degree is then n_gpus / (tp·pp·cp)).
_SCALE_KEYS = ("dp",)


def merge(
    run, given: dict[str, Any], n_gpus: int | None, node_limit: int | None
) -> tuple[dict[str, Any], int | None, int, list[str]]:
    """Combine a run preset's published layout with the user's layout keywords.

    Parameters
    ----------
    run : RunPreset or None
        The run preset (its ``layout`` may be ``None``).
    given : dict
        Layout keywords as the user gave them (``None`` = not given).
    n_gpus : int or None
        The user's GPU count.
    node_limit : int or None
        The user's node limit (``None`` = not given).

    Returns
    -------
    (dict, int or None, int, list of str)
        Layout keywords, GPU count, node limit and the assumptions made.
    """
    given = {k: v for k, v in given.items() if v is not None}
    lay = run.layout if run is not None else None
    if lay is None:
        return given, n_gpus, int(node_limit or 0), []
    pub = lay.flags()
    pub_nl = int(pub.pop("node_limit", 0) or 0)
    if n_gpus is None and run.n_gpus is not None and "dp" not in given:
        n_gpus = run.n_gpus
    moved = [k for k in ("tp", "pp", "cp") if k in given and given[k] != pub.get(k, 1)]
    if (n_gpus is not None and n_gpus != run.n_gpus) or moved or "dp" in given:
        for k in _SCALE_KEYS:
            pub.pop(k, None)
    over = sorted(k for k in given if k in pub and given[k] != pub[k])
    if node_limit is not None and node_limit != pub_nl:
        over.append("node_limit")
    merged = pub | given
    used = sorted(set(pub) - set(over))
    notes = [
        f"layout: {run.id}'s published layout ({', '.join(k.replace('_', '-') for k in used)}"
        + (f"; overridden: {', '.join(k.replace('_', '-') for k in over)}" if over else "")
        + f"): {lay.source}"
    ]
    return merged, n_gpus, int(pub_nl if node_limit is None else node_limit), notes


def layout_text(layout: dict[str, Any], node_limit: int = 0) -> str:
    """A resolved layout in one line (``tp=1 pp=16 … node-limit=4``)."""
    keys = ("tp", "pp", "dp", "ep", "cp", "vpp", "schedule", "zero", "micro_batch") + (
        "global_batch",
        "recompute",
        "precision",
    )
    s = " ".join(f"{k.replace('_', '-')}={layout[k]}" for k in keys if k in layout)
    return s + (f" node-limit={node_limit}" if node_limit else "")


def blame(message: str, run, given: set[str]) -> str:
    """An error about a layout key the user did not give, with where it came from.

    >>> class R:
    ...     id = "deepseek-v3"
    ...     class layout:
    ...         def flags():
    ...             return {"ep": 64}
    >>> blame("--ep: 64 is not allowed", R, {"pp"})[24:]
    "(--ep came from deepseek-v3's published layout: give --ep, or --no-published-layout)"
    """
    if run is None or run.layout is None or not message.startswith("--"):
        return message
    flag = message.split(":", 1)[0]
    key = flag[2:].replace("-", "_")
    if key in run.layout.flags() and key not in given:
        return (
            f"{message} ({flag} came from {run.id}'s published layout: give {flag}, or "
            "--no-published-layout)"
        )
    return message
