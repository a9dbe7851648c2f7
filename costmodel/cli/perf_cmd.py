"""``costmodel perf`` and ``costmodel plan``: the performance model on one layout, and the
best layouts for a model on a cluster."""

from __future__ import annotations

import click

from ..errors import InputError
from . import cli
from .options import output_options

_SCHED = click.Choice(["1f1b", "interleaved", "dualpipe"])
_REC = click.Choice(["none", "selective", "full"])
_PREC = click.Choice(["bf16", "fp8", "mixed"])


def _model_options(f):
    opts = [
        click.option("--run", "run_id", default=None, help="Run preset with an [architecture]."),
        click.option(
            "--architecture",
            "arch_path",
            type=click.Path(dir_okay=False),
            default=None,
            help="TOML file with one [architecture] table (run presets' schema).",
        ),
        click.option("--gpu", required=True, help="Accelerator id (see `costmodel gpus`)."),
        click.option("--n-gpus", type=int, default=None, help="Accelerators in the job."),
        click.option("--seq-len", type=int, default=None, help="Tokens per sequence."),
        click.option("--global-batch", type=int, default=None, help="Sequences per step."),
        click.option("--precision", type=_PREC, default=None, help="bf16 (default), fp8, mixed."),
        click.option(
            "--fp8-fraction",
            type=float,
            default=None,
            help="mixed: share of block-linear GEMM work in FP8 (default 1).",
        ),
        click.option(
            "--node-limit",
            type=click.IntRange(min=0),
            default=None,
            help="MoE node-limited routing: a token goes to at most N nodes (0 = off; "
            "default: the run's published layout, else off).",
        ),
        click.option(
            "--scale-out-gbit-per-s",
            type=float,
            default=None,
            help="Scale-out (NIC) bandwidth per GPU, one direction [Gbit/s].",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _check_positive(**kw):
    for k, v in kw.items():
        if v is not None and v <= 0:
            raise click.BadParameter(f"{v}: give a positive number", param_hint=f"--{k}")


@cli.command("perf")
@_model_options
@click.option("--tp", type=int, default=None, help="Tensor parallel degree (default 1).")
@click.option("--pp", type=int, default=None, help="Pipeline stages (default 1).")
@click.option("--dp", type=int, default=None, help="Data parallel replicas (n_gpus/(tp·pp·cp)).")
@click.option("--ep", type=int, default=None, help="Expert parallel degree (MoE).")
@click.option("--cp", type=int, default=None, help="Context parallel degree (default 1).")
@click.option("--vpp", type=int, default=None, help="Virtual stages per device (interleaved).")
@click.option("--schedule", type=_SCHED, default=None, help="Pipeline schedule (default 1f1b).")
@click.option("--zero", type=click.IntRange(0, 3), default=None, help="ZeRO stage (default 1).")
@click.option("--micro-batch", type=int, default=None, help="Sequences per micro-batch (1).")
@click.option("--recompute", type=_REC, default=None, help="Recomputation (default selective).")
@click.option(
    "--published-layout/--no-published-layout",
    default=True,
    show_default=True,
    help="Start from the run preset's published [layout] (flags override it key by key).",
)
@click.option(
    "--allow-overflow",
    is_flag=True,
    help="Report the step time and MFU of a layout that does not fit in memory (exit 0) "
    "instead of refusing it (one line, exit 2).",
)
@output_options
def perf_cmd(
    run_id,
    arch_path,
    gpu,
    n_gpus,
    node_limit,
    scale_out_gbit_per_s,
    published_layout,
    allow_overflow,
    fmt,
    as_json,
    output,
    **kw,
):
    """Step time, MFU and memory of one training layout (the performance model).

    A run preset with a published [layout] (deepseek-v3, llama-3.1-405b, ...) is evaluated
    at that layout; each layout flag overrides one key. Other omitted values get documented
    defaults. Every value's origin is listed under assumptions.

    A layout that does not fit in memory is refused (one line naming the GB it needs, exit
    2) unless --allow-overflow, which reports it led by "does not fit: needs X GB per GPU of
    Y GB". A run's own published layout, on an accelerator with at least the memory it
    trained on, is reported the same way without the flag: the run trained with it, so its
    overflow is the memory model's miss (docs/perf_validation.md), not a layout to refuse.

    \b
    Examples:
      costmodel perf --run deepseek-v3 --gpu h800-sxm
      costmodel perf --run deepseek-v3 --gpu h100-sxm --tp 8 --ep 8 --schedule 1f1b
      costmodel perf --run llama-3.1-405b --gpu h100-sxm --n-gpus 8192 --tp 8 --pp 16
    """
    from ..data import store
    from ..perf import bind, published

    _check_positive(scale_out_gbit_per_s=scale_out_gbit_per_s)
    arch, label = bind.load_architecture(run_id, arch_path)
    acc = store.get("accelerators", gpu)
    run = store.get("runs", run_id) if run_id and published_layout else None
    given = {k for k, v in kw.items() if v is not None}
    kw, n_gpus, node_limit, notes = published.merge(run, kw, n_gpus, node_limit)
    try:
        d = bind.perf(
            arch,
            acc,
            n_gpus=n_gpus,
            node_limit=node_limit,
            scale_out_gbit_per_s=scale_out_gbit_per_s,
            **kw,
        )
    except InputError as e:
        raise InputError(published.blame(str(e), run, given)) from None
    d["assumptions"][:0] = notes
    d = {"schema": d.pop("schema"), "model": label, "gpu": acc.id, **d}
    if not d["fits"]:
        ran = _ran_as_published(run, acc, given, kw, node_limit)
        if not (allow_overflow or ran):
            raise InputError(
                f"does not fit: {d['overflow']} ({label} on {d['layout']['n_gpus']} x "
                f"{acc.id}); use more GPUs, pipeline stages, ZeRO or recomputation, or pass "
                "--allow-overflow to see its step time and MFU anyway"
            )
        d["assumptions"].insert(
            0,
            f"{ran}: the memory model's overestimate of a layout that trained "
            "(docs/perf_validation.md); step time and MFU assume it fits"
            if ran
            else "--allow-overflow: step time and MFU assume the layout fits",
        )
    from .options import emit

    emit(d, lambda: perf_table(d), fmt, as_json, output)


def _ran_as_published(run, acc, given: set[str], kw: dict, node_limit: int) -> str:
    """Why a run's published layout on its own accelerator is shown although the memory
    model says it does not fit ("" when the layout is not that one)."""
    if run is None or run.layout is None or not run.gpu:
        return ""
    from ..data import store

    ran_on = store.get("accelerators", run.gpu)
    if acc.memory_gb < ran_on.memory_gb:  # memory, not the interconnect, decides the fit
        return ""
    pub = run.layout.flags()
    if int(pub.pop("node_limit", 0) or 0) != node_limit:
        return ""
    if any(kw.get(k) != pub[k] for k in given if k in pub and k != "dp"):
        return ""
    return (
        f"{run.id} trained with this published layout on {ran_on.id} "
        f"({ran_on.memory_gb:g} GB per GPU)"
    )


def _basis_lines(d: dict) -> list[str]:
    """The peaks the MFUs divide by (issue 9, item 13)."""
    b = d.get("mfu_basis") or {}
    if not b.get("text"):
        return []
    p16 = b.get("peak_16bit_flop_per_s")
    tail = f"; 16-bit basis: {p16 / 1e12:,.1f} TFLOP/s" if p16 else ""
    return [f"  MFU basis: {b['text']}{tail}"]


def perf_table(d: dict) -> str:
    """Human-readable summary of a ``costmodel.perf/1`` result."""
    lay = d["layout"]
    shown = " ".join(f"{k}={lay[k]}" for k in lay)
    lines = [] if d["fits"] else [f"does not fit: {d['overflow']}"]
    note = (d.get("assumptions") or [""])[0]
    if not d["fits"] and ("assume it fits" in note or "assume the layout fits" in note):
        lines.append(f"  ({note})")
    lines += [
        f"{d.get('model', '')} on {lay['n_gpus']} x {d.get('gpu', '')}: {shown}",
        f"  MFU {d['mfu']:.1%} (16-bit basis {d['mfu_16bit']:.1%}), HFU {d['hfu']:.1%}; "
        f"{d['tokens_per_s_per_gpu']:,.0f} tokens/s/GPU; step {d['step_time_s']:.3g} s",
        *_basis_lines(d),
        f"  bottleneck: {d['bottleneck']}",
        "  step time by component (exposed seconds; hidden by overlap in brackets):",
    ]
    hid = d.get("hidden_by_overlap", {})
    for k, v in d["breakdown"].items():
        if v > 0 or hid.get(k, 0) > 0:
            h = f"  [{hid[k]:.3g} hidden]" if hid.get(k, 0) > 0 else ""
            lines.append(f"    {k:<16} {v:10.4g}{h}")
    m = d["memory_gb_per_gpu"]
    fit = "fits" if d["fits"] else f"DOES NOT FIT: {d['overflow']}"
    lines.append(f"  memory {m['total']:.1f} of {m['capacity']:.0f} GB per GPU ({fit})")
    lines.append(
        "    "
        + ", ".join(f"{k} {m[k]:.1f}" for k in m if k not in ("total", "capacity") and m[k] > 0.05)
    )
    if d.get("assumptions"):
        lines.append("  assumptions:")
        lines += [f"    - {a}" for a in d["assumptions"]]
    return "\n".join(lines)


@cli.command("plan")
@_model_options
@click.option("--top", type=click.IntRange(1, 100), default=5, show_default=True)
@output_options
def plan_cmd(
    run_id,
    arch_path,
    gpu,
    n_gpus,
    seq_len,
    global_batch,
    precision,
    fp8_fraction,
    node_limit,
    scale_out_gbit_per_s,
    top,
    fmt,
    as_json,
    output,
):
    """Best layouts of a model on a cluster, by predicted MFU, among those that fit.

    When none fits, the output leads with "does not fit" and what the leanest layout
    needs (also a note on stderr); the exit status stays 0, as that is the search's
    answer.

    Searches tensor/pipeline/context/expert parallelism, virtual stages, schedule, ZeRO
    stage, micro-batch and recomputation in one vectorized evaluation.

    \b
    Examples:
      costmodel plan --run deepseek-v3 --gpu h800-sxm --n-gpus 2048 --precision mixed
      costmodel plan --run llama-3.1-405b --gpu h20 --n-gpus 64 --json
    """
    from ..analysis.planning import plan
    from ..data import store
    from ..perf import bind

    if n_gpus is None:
        raise click.UsageError("--n-gpus is required for plan")
    _check_positive(n_gpus=n_gpus, seq_len=seq_len, global_batch=global_batch)
    _check_positive(scale_out_gbit_per_s=scale_out_gbit_per_s)
    arch, label = bind.load_architecture(run_id, arch_path)
    acc = store.get("accelerators", gpu)
    run = store.get("runs", run_id) if run_id else None
    pub = run.layout.flags() if run is not None and run.layout is not None else None
    # one default per preset: the published layout's batch and precision, else the run's
    defaults = []
    if global_batch is None and pub and pub.get("global_batch"):
        global_batch = pub["global_batch"]
        defaults.append(f"global batch {global_batch:,} sequences (the published layout's)")
    if precision is None and run is not None:
        precision = (pub or {}).get("precision") or (
            run.precision if run.precision in ("bf16", "fp8", "mixed") else "bf16"
        )
        if precision != "bf16" and "fp8" not in acc.peak_dense_tflop_per_s:
            precision = "bf16"
        defaults.append(f"precision {precision} (the run preset's)")
    d = plan(
        arch,
        acc,
        n_gpus,
        top=top,
        global_batch=global_batch,
        seq_len=seq_len,
        precision=precision or "bf16",
        fp8_fraction=fp8_fraction,
        node_limit=node_limit,
        scale_out_gbit_per_s=scale_out_gbit_per_s,
        published=pub,
    )
    d["assumptions"][:0] = defaults
    d = {"schema": d.pop("schema"), "model": label, **d}
    none_fits = None
    if not d["layouts"]:
        # an answer, not an error: the search is complete and says what the leanest needs
        none_fits = (
            f"does not fit: none of the {d['searched']:,} layouts of {label} fits on "
            f"{n_gpus} x {acc.id}; the leanest needs {d['min_memory_gb']:.1f} GB per GPU of "
            f"{acc.memory_gb:g} GB; use more GPUs"
        )
        d["assumptions"].insert(0, none_fits)
        click.echo(f"costmodel: note: {none_fits}", err=True)
    from .options import emit

    def table():
        head = (
            f"{label} on {n_gpus} x {acc.id}: {d['searched']:,} layouts searched, "
            f"{d['fitting']:,} fit in memory"
        )
        if none_fits:
            return none_fits + "\n  " + head
        rows = [head, *_basis_lines(d["layouts"][0])]
        for i, x in enumerate(d["layouts"], 1):
            lay = x["layout"]
            rows.append(
                f"  {i}. MFU {x['mfu']:.1%} (16-bit {x['mfu_16bit']:.1%})  "
                f"tp={lay['tp']} pp={lay['pp']} dp={lay['dp']} ep={lay['ep']} cp={lay['cp']} "
                f"vpp={lay['vpp']} {lay['schedule']} zero={lay['zero']} mb={lay['micro_batch']} "
                f"gb={lay['global_batch']} recompute={lay['recompute']}"
                + (f" node-limit={lay['node_limit']}" if lay.get("node_limit") else "")
                + (" (published)" if x.get("published") else "")
                + f"  {x['memory_gb_per_gpu']['total']:.0f} GB; {x['bottleneck']}"
            )
        return "\n".join(rows)

    rows = [
        {
            "rank": i + 1,
            **x["layout"],
            "mfu": x["mfu"],
            "mfu_16bit": x["mfu_16bit"],
            "memory_gb": x["memory_gb_per_gpu"]["total"],
            "bottleneck": x["bottleneck"],
        }
        for i, x in enumerate(d["layouts"])
    ]
    emit(d, table, fmt, as_json, output, csv_rows=rows)
