"""``costmodel gpus`` and ``costmodel presets``."""

from __future__ import annotations

import click

from . import cli
from .options import emit, output_options


@cli.command("gpus")
@click.argument("gpu", required=False)
@output_options
def gpus_cmd(gpu, fmt, as_json, output):
    """List accelerators, or show one with its sources.

    Peaks are dense (non-sparse) tensor rates in TFLOP/s (TOP/s for int8).

    \b
    Examples:
      costmodel gpus
      costmodel gpus h800-sxm
      costmodel gpus --json
    """
    from ..data import store
    from ..data.schemas import PRECISIONS
    from ..render.report import key_values, listing

    if gpu:
        acc = store.get("accelerators", gpu)
        d = {"schema": "costmodel.gpu/1", **acc.model_dump(mode="json")}
        d["file"] = str(store.source_file("accelerators", acc.id))
        rows = [("id", acc.id), ("name", acc.name)]
        rows += [
            (f"peak {p} (dense)", f"{v:g} {'TOP/s' if p == 'int8' else 'TFLOP/s'}")
            for p, v in acc.peak_dense_tflop_per_s.items()
        ]
        rows += [
            (k, str(v))
            for k, v in d.items()
            if k not in ("peak_dense_tflop_per_s", "id", "name", "schema")
            and v not in (None, "", [])
        ]
        emit(d, lambda: key_values(rows), fmt, as_json, output)
        return
    accs = sorted(
        store.load("accelerators").values(), key=lambda a: (a.vendor, a.release_year, a.id)
    )
    data = [a.model_dump(mode="json") for a in accs]

    def peak(p):
        return lambda a: (
            f"{a.peak_dense_tflop_per_s[p]:g}" if p in a.peak_dense_tflop_per_s else "-"
        )

    cols = [("id", lambda a: a.id), ("year", lambda a: str(a.release_year))]
    cols += [(f"{p} TF/s", peak(p)) for p in ("bf16", "fp8", "fp4") if p in PRECISIONS]
    cols += [
        ("mem GB", lambda a: f"{a.memory_gb:g}"),
        (
            "link GB/s",
            lambda a: "-" if a.interconnect_gb_per_s is None else f"{a.interconnect_gb_per_s:g}",
        ),
        ("TDP W", lambda a: "-" if a.tdp_w is None else f"{a.tdp_w:g}"),
        ("aliases", lambda a: ", ".join(a.aliases)),
    ]
    csv_rows = [{k: v for k, v in d.items() if k not in ("source", "notes")} for d in data]
    doc = {"schema": "costmodel.gpus/1", "accelerators": data}
    emit(doc, lambda: listing(accs, cols), fmt, as_json, output, csv_rows=csv_rows)


@cli.command("presets")
@click.argument(
    "kind",
    required=False,
    metavar="[KIND]",
    type=click.Choice(["accelerators", "runs", "priors", "prices", "claims", "rules"]),
)
@click.argument("preset_id", required=False)
@output_options
def presets_cmd(kind, preset_id, fmt, as_json, output):
    """List preset kinds, the entries of one kind, or one entry with its source.

    KIND is one of accelerators, runs, priors, prices, claims, rules.

    \b
    Examples:
      costmodel presets
      costmodel presets runs
      costmodel presets runs deepseek-v3 --json
    """
    from ..data import store
    from ..render.report import table

    if kind is None:
        rows = [(k, str(len(store.ids(k)))) for k in store.KINDS]
        snapshot = max(e.as_of for k in store.KINDS for e in store.load(k).values())
        summary: dict[str, str | list[str]] = {"schema": "costmodel.presets/1"}
        summary.update({k: store.ids(k) for k in store.KINDS})
        summary["snapshot"] = snapshot.isoformat()
        text = (
            f"catalog snapshot {snapshot.isoformat()} (the latest as_of; see CHANGELOG.md)\n"
            "preset directories: "
            + ", ".join(str(d) for d in store.preset_dirs())
            + "\n"
            + table(rows, ["kind", "entries"])
        )
        emit(
            summary,
            text,
            fmt,
            as_json,
            output,
            csv_rows=[{"kind": k, "entries": n} for k, n in rows],
        )
        return
    if preset_id is None:
        entries = store.load(kind)
        listed = [
            {"id": e.id, "name": getattr(e, "name", ""), "as_of": str(e.as_of), "source": e.source}
            for e in entries.values()
        ]
        lines = [(d["id"], d["name"], d["as_of"]) for d in sorted(listed, key=lambda d: d["id"])]
        doc = {"schema": "costmodel.presets/1", "preset_kind": kind, "entries": listed}
        emit(doc, table(lines, ["id", "name", "as_of"]), fmt, as_json, output, csv_rows=listed)
        return
    entry = store.get(kind, preset_id)
    d = {
        "schema": "costmodel.preset/1",
        "preset_kind": kind,
        **entry.model_dump(mode="json", exclude_none=True),
    }
    d["file"] = str(store.source_file(kind, entry.id))
    import json

    from ..render.report import key_values

    rows = [
        (k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
        for k, v in d.items()
        if k not in ("schema", "preset_kind")
    ]
    emit(d, lambda: key_values(rows), fmt, as_json, output)
