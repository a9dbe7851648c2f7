"""``costmodel estimate``."""

from __future__ import annotations

from typing import Literal

import click

from . import cli
from .options import (
    OUTPUT_PATH,
    html_option,
    output_options,
    sampling_options,
    scenario_kwargs,
    scenario_options,
    write_html,
)


@cli.command("estimate")
@scenario_options
@sampling_options(
    "Samples for the quantiles when any input is uncertain (a distribution, the "
    "utilization prior, a market price); 0: the point estimate at the medians only.",
    qmc_default=False,
)
@click.option(
    "--quantiles",
    "qs",
    default=None,
    metavar="P1,P2,...",
    help="Extra probabilities for quantiles, e.g. 0.1,0.9. p05, p50, p95, mean and "
    "stderr are always reported (the stable schema); the ones asked for are added "
    "[default: none].",
)
@click.option(
    "--plot",
    "plot_path",
    type=OUTPUT_PATH,
    default=None,
    help="Histogram + CDF of the sampled cost (or GPU-hours), .png or .svg.",
)
@html_option
@output_options
def estimate_cmd(samples, seed, qmc, qs, plot_path, html_path, fmt, as_json, output, **kw):
    """Estimate FLOP, GPU-hours, wall-clock, cost, energy and emissions.

    Inputs take SI suffixes or distributions (see `costmodel --help`). Without a price,
    the accelerator's market range is used; without an MFU, the utilization prior; both
    are listed under assumptions.

    \b
    Examples:
      costmodel estimate --active-params 37B --tokens 14.8T --gpu h800-sxm \\
          --precision bf16 --mfu 0.35 --price-usd-per-gpu-hour 2 --n-gpus 2048
      costmodel estimate --run deepseek-v3 --flop-convention megatron --json
      costmodel estimate --active-params 70B --tokens 2T --gpu a100-sxm4-80gb --samples 0
      costmodel estimate --run deepseek-v3 --price-usd-per-gpu-hour 2 --html estimate.html
    """
    from ..formulas.units import parse_quantity
    from ..perf.api import estimate  # model.estimation.estimate + mfu="model"

    ctx = click.get_current_context()
    given = ctx.get_parameter_source("samples") != click.core.ParameterSource.DEFAULT
    # without --samples: sample only when some input is uncertain ("auto")
    n: int | Literal["auto"] = int(samples) if given else "auto"
    probs: tuple[float, ...] = ()
    if qs is not None:
        probs = tuple(parse_quantity(q, "quantiles") for q in qs.split(",") if q.strip())
        if not probs or any(not 0 < q < 1 for q in probs):
            raise click.BadParameter(
                f"{qs!r}: probabilities strictly between 0 and 1", param_hint="--quantiles"
            )
    if plot_path is not None:
        from ..render.plots import check_plot_target

        check_plot_target(plot_path)
    sk = scenario_kwargs(kw)
    result = estimate(samples=n, rng=seed, qmc=qmc, quantiles=probs, **sk)
    d = result.to_dict()
    emit_estimate(d, fmt, as_json, output)
    if plot_path is not None:
        what = "cost_usd" if d["cost_usd"] is not None else "gpu_hours"
        result.plot(plot_path, what)
        click.echo(f"wrote {plot_path}", err=True)
    if html_path is not None:
        write_html(html_path, result)


def emit_estimate(d, fmt, as_json, output):
    from ..render.report import estimate_table
    from .options import emit

    emit(d, lambda: estimate_table(d), fmt, as_json, output)
