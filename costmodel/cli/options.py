"""Shared click option decorators and output helpers."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

__all__ = [
    "QUANTITY",
    "OUTPUT_PATH",
    "COUNT",
    "quantity",
    "scenario_options",
    "output_options",
    "emit",
    "scenario_kwargs",
    "SCENARIO_FLAGS",
    "DEFAULT_SAMPLES",
    "sampling_options",
    "html_option",
    "write_html",
]


class Quantity(click.ParamType):
    """A number with an optional SI suffix, or a distribution (``0.25..0.45``)."""

    name = "quantity"

    def __init__(self, allow_dist: bool = True):
        self.allow_dist = allow_dist

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        field = param.name if param is not None else "value"
        from ..formulas.units import parse_quantity

        if field == "price_usd_per_gpu_hour" and value.strip().lower() == "market":
            return "market"
        if field == "mfu" and value.strip().lower() == "model":
            return "model"  # the performance model (costmodel.perf.api)
        from ..model.scenario import DOMAINS

        dom = DOMAINS.get(field)
        fraction = dom is not None and dom.high == 1  # mfu, goodput, fp8_fraction
        if not self.allow_dist or (":" not in value and ".." not in value):
            return parse_quantity(value, field, percent=fraction)
        from ..formulas.dist import parse  # only when a distribution is spelled out

        return parse(value, field)


class OutputPath(click.ParamType):
    """A file to write: checked before any work starts (see :func:`costmodel.io.check_output_path`).

    An empty name is an error (it never means stdout); so is a name ending in ``/``, a
    directory or a block device. Devices and FIFOs are written through, never replaced.
    """

    name = "file"

    def convert(self, value, param, ctx):
        from ..errors import InputError
        from ..io import check_output_path

        try:
            check_output_path(value)
        except InputError as e:
            self.fail(str(e).removeprefix("output: "), param, ctx)
        return value


class Count(click.ParamType):
    """A whole number >= 0 with an optional SI suffix (``20000``, ``20K``, ``1e6``): never
    truncated (``1000.7`` is an error, not 1000). Shown as QUANTITY, like every number."""

    name = "quantity"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        from ..errors import InputError
        from ..formulas.units import parse_quantity

        field = param.name if param is not None else "value"
        try:
            x = parse_quantity(value, field, percent=False)
        except InputError as e:
            self.fail(str(e).removeprefix(f"{field}: "), param, ctx)
        if x != int(x) or x < 0:
            self.fail(f"{value!r} must be a whole number >= 0", param, ctx)
        return int(x)


OUTPUT_PATH = OutputPath()
COUNT = Count()
QUANTITY = Quantity()
#: Seeds for numpy.random.default_rng must be non-negative.
SEED = click.IntRange(min=0)
NUMBER = Quantity(allow_dist=False)

#: (flag, glossary name, help) for every numeric scenario input.
SCENARIO_FLAGS: list[tuple[str, str, str]] = [
    ("--params", "params", "Total parameters [count], e.g. 671B."),
    ("--active-params", "active_params", "Parameters used per token (MoE) [count], e.g. 37B."),
    ("--tokens", "tokens", "Training tokens [count], e.g. 14.8T."),
    (
        "--mfu",
        "mfu",
        "Model FLOP utilization [0-1] under the FLOP convention, of the peak --mfu-basis "
        "names (16-bit by default), or 'model' for the performance model at the best layout "
        "(needs --run with an architecture). Default: the data-derived prior for the GPU.",
    ),
    ("--goodput", "goodput", "Productive share of reserved time [0-1]. Default 1."),
    ("--n-gpus", "n_gpus", "Accelerators in the cluster, for wall-clock days."),
    (
        "--price-usd-per-gpu-hour",
        "price_usd_per_gpu_hour",
        "Rental price [USD per GPU-hour], or 'market' for the GPU's sourced price range.",
    ),
    ("--fp8-fraction", "fp8_fraction", "FLOP share run in FP8 with --precision mixed [0-1]."),
    ("--pue", "pue", "Power usage effectiveness [>=1], for energy."),
    ("--usd-per-kwh", "usd_per_kwh", "Electricity price [USD/kWh]."),
    ("--grid-kg-co2e-per-kwh", "grid_kg_co2e_per_kwh", "Grid carbon intensity [kg CO2e/kWh]."),
    (
        "--server-usd-per-gpu",
        "server_usd_per_gpu",
        "Server cost per GPU for --ownership [USD]. Default: presets/prices.",
    ),
    (
        "--depreciation-oom-per-year",
        "depreciation_oom_per_year",
        "Hardware value lost per year for --ownership [orders of magnitude/year]. Default 0.14.",
    ),
]


#: :data:`costmodel.model.inputs.MFU_BASES`, here so that the flags import no numpy
MFU_BASES = ("16bit", "fp8", "blended")

#: Short spellings people type, accepted beside the glossary flag and shown in --help.
FLAG_ALIASES = {"--n-gpus": "--gpus", "--price-usd-per-gpu-hour": "--price"}


def quantity(flag: str, name: str, help: str, **kw) -> Callable:
    flags = [flag, FLAG_ALIASES[flag]] if flag in FLAG_ALIASES else [flag]
    return click.option(
        *flags,
        name,
        type=kw.pop("type", QUANTITY),
        default=None,
        metavar=kw.pop("metavar", "QUANTITY|DIST"),
        help=help,
        **kw,
    )


#: Sample count of every command that samples (estimate, sensitivity, solve, check).
DEFAULT_SAMPLES = 20_000


def sampling_options(samples_help: str, *, qmc_default: bool) -> Callable:
    """``--samples QUANTITY`` (one default everywhere), ``--seed`` and ``--qmc/--mc``."""

    def deco(f: Callable) -> Callable:
        opts = [
            click.option(
                "--samples",
                type=COUNT,
                default=str(DEFAULT_SAMPLES),
                show_default=True,
                help=samples_help,
            ),
            click.option(
                "--seed", type=SEED, default=0, show_default=True, help="Random seed (>= 0)."
            ),
            click.option(
                "--qmc/--mc",
                "qmc",
                default=qmc_default,
                show_default=True,
                help="Scrambled Sobol points (qmc) or plain Monte Carlo (mc).",
            ),
        ]
        for o in reversed(opts):
            f = o(f)
        return f

    return deco


def scenario_options(f: Callable) -> Callable:
    """Every scenario input as a flag (kebab-case glossary names)."""
    from ..formulas.flops import CONVENTIONS

    opts = [
        click.option(
            "--run",
            default=None,
            metavar="ID",
            help="Start from a run preset (e.g. deepseek-v3); flags override it.",
        ),
        click.option(
            "--gpu",
            default=None,
            metavar="ID",
            help="Accelerator id or alias (see `costmodel gpus`), e.g. h800-sxm.",
        ),
        click.option(
            "--precision",
            default=None,
            metavar="NAME",
            help="bf16, fp16, fp8, tf32, fp32, int8, fp4, or mixed (FP8/BF16 with "
            "--fp8-fraction). Default bf16.",
        ),
        *[quantity(flag, name, help) for flag, name, help in SCENARIO_FLAGS],
        click.option(
            "--mfu-basis",
            type=click.Choice(MFU_BASES),
            default="16bit",
            show_default=True,
            help="The peak --mfu (and the reported MFU) is a fraction of: 16bit, the dense "
            "BF16 peak (FP16 without BF16; the run's own where lower, as for FP32), as "
            "published MFU figures are; fp8, the dense FP8 peak; blended, the run "
            "precision's own peak (for mixed, 1/(f/P_fp8 + (1-f)/P_bf16)).",
        ),  # fmt: skip
        click.option(
            "--flop-convention",
            type=click.Choice(CONVENTIONS),
            default="6nd",
            show_default=True,
            help="How model FLOP are counted.",
        ),
        click.option(
            "--recompute",
            type=click.Choice(["none", "selective", "full"]),
            default="none",
            show_default=True,
            help="Activation recomputation (changes hardware FLOP only).",
        ),
        click.option(
            "--mtp/--no-mtp",
            default=False,
            help="Count DeepSeek's multi-token-prediction module (megatron).",
        ),
        click.option(
            "--seq-len",
            type=int,
            default=None,
            help="Override the architecture's sequence length [tokens].",
        ),
        click.option(
            "--ownership",
            is_flag=True,
            help="Also report the cost of owning the hardware (Epoch AI method), "
            "beside the rental cost.",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def scenario_kwargs(kw: dict[str, Any]) -> dict[str, Any]:
    """Pop the scenario inputs out of a command's keyword arguments."""
    names = ["run", "gpu", "precision", "flop_convention", "recompute", "mtp", "seq_len"]
    names += ["ownership", "mfu_basis", *(n for _, n, _ in SCENARIO_FLAGS)]
    return {n: kw.pop(n) for n in names if n in kw}


def output_options(f: Callable) -> Callable:
    """``--format``, ``--json`` and ``-o FILE``."""
    opts = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["table", "json", "csv"]),
            default="table",
            show_default=True,
            help="Output format.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Same as --format json."),
        click.option(
            "-o",
            "--output",
            type=OUTPUT_PATH,
            default=None,
            help="Write to FILE (atomically) instead of stdout.",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def html_option(f: Callable) -> Callable:
    """``--html FILE``: also write the result as one self-contained HTML page."""
    return click.option(
        "--html",
        "html_path",
        type=OUTPUT_PATH,
        default=None,
        help="Also write a self-contained HTML report to FILE (atomically): charts inline, "
        "no scripts, no network requests.",
    )(f)


def command_line() -> str:
    """The command as typed (``costmodel`` and its exact arguments), shell-quoted."""
    import shlex
    import sys

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    argv = obj.get("argv") if isinstance(obj, dict) else None
    return shlex.join(["costmodel", *(sys.argv[1:] if argv is None else argv)])


def write_html(path: str, result: Any) -> None:
    """Write ``result.to_html()`` to ``path`` atomically and say so on stderr."""
    from ..render.html import write

    write(path, result.to_html(command=command_line()))
    click.echo(f"wrote {path}", err=True)


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    import json

    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = json.dumps(v)
        else:
            out[key] = v
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows of (possibly nested) dicts as CSV with dotted column names."""
    import csv
    import io

    flat = [_flatten(r) for r in rows]
    cols: list[str] = []
    for r in flat:
        cols += [k for k in r if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(flat)
    return buf.getvalue()


def emit(
    data: dict[str, Any] | list,
    table_text: str | Callable[[], str],
    fmt: str,
    as_json: bool,
    output: str | None,
    csv_rows: list[dict] | None = None,
) -> None:
    """Write a result in the chosen format to stdout or, atomically, to a file."""
    from ..data import store

    for note in store.notes():
        click.echo(note, err=True)
    if as_json:
        fmt = "json"
    elif fmt == "table" and output:  # -o run.json / run.csv without --format
        fmt = {".json": "json", ".csv": "csv"}.get(os.path.splitext(output)[1].lower(), fmt)
    if fmt == "json":
        import json  # here: a table needs neither json nor csv (start-up)

        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    elif fmt == "csv":
        rows = csv_rows if csv_rows is not None else (data if isinstance(data, list) else [data])
        text = to_csv(rows)
    else:
        from ..render.report import fit_width

        text = fit_width(table_text() if callable(table_text) else table_text) + "\n"
    if output is not None:
        from ..io import atomic_write_text

        atomic_write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
