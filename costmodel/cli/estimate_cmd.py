"""``costmodel estimate``."""

from __future__ import annotations

import click

from . import cli
from .options import OUTPUT_PATH, SEED, output_options, scenario_kwargs, scenario_options


@cli.command("estimate")
@scenario_options
@click.option(
    "--samples",
    type=str,
    default="0",
    show_default=True,
    help="Monte Carlo samples for p05/p50/p95 (0: point estimate only).",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed (>= 0).")
@click.option("--qmc", is_flag=True, help="Scrambled Sobol points instead of Monte Carlo.")
@click.option(
    "--quantiles",
    "qs",
    default="0.05,0.5,0.95",
    show_default=True,
    help="Probabilities reported in quantiles, comma-separated.",
)
@click.option(
    "--plot",
    "plot_path",
    type=OUTPUT_PATH,
    default=None,
    help="Histogram + CDF of the sampled cost (or GPU-hours), .png or .svg.",
)
@output_options
def estimate_cmd(samples, seed, qmc, qs, plot_path, fmt, as_json, output, **kw):
    """Estimate FLOP, GPU-hours, wall-clock, cost, energy and emissions.

    Numeric flags take SI suffixes (671B, 14.8T, 2.788M, 3.3e24) or distributions
    (0.25..0.45, tri:0.2,0.35,0.5, lognormal:2,1.3, normal:14.8T,0.5T, beta:8,15).

    \b
    Examples:
      costmodel estimate --active-params 37B --tokens 14.8T --gpu h800-sxm \\
          --precision bf16 --mfu 0.35 --price-usd-per-gpu-hour 2 --n-gpus 2048
      costmodel estimate --run deepseek-v3 --flop-convention megatron --json
      costmodel estimate --active-params 70B --tokens 2T --gpu a100-sxm4-80gb --samples 20000
    """
    from ..estimation import estimate
    from ..units import parse_quantity

    n = parse_quantity(samples, "samples")
    probs = tuple(parse_quantity(q, "quantiles") for q in qs.split(",") if q.strip())
    if not probs or any(not 0 < q < 1 for q in probs):
        raise click.BadParameter(
            f"{qs!r}: probabilities strictly between 0 and 1", param_hint="--quantiles"
        )
    sk = scenario_kwargs(kw)
    result = estimate(samples=n, rng=seed, qmc=qmc, quantiles=probs, **sk)
    d = result.to_dict()
    emit_estimate(d, fmt, as_json, output)
    if plot_path is not None:
        from ..report import describe_inputs

        what = "cost_usd" if d["cost_usd"] is not None else "gpu_hours"
        result.plot(plot_path, what, title=describe_inputs(sk))
        click.echo(f"wrote {plot_path}", err=True)


def emit_estimate(d, fmt, as_json, output):
    from ..report import estimate_table
    from .options import emit

    emit(d, lambda: estimate_table(d), fmt, as_json, output)
