"""``costmodel sensitivity``, ``costmodel sweep`` and ``costmodel solve``."""

from __future__ import annotations

import sys

import click

from . import cli
from .options import (
    NUMBER,
    OUTPUT_PATH,
    emit,
    html_option,
    output_options,
    sampling_options,
    scenario_kwargs,
    scenario_options,
    write_html,
)

_OUTPUTS = ["cost_usd", "gpu_hours", "wall_clock_days", "energy_kwh", "co2e_kg", "model_flop"]


@cli.command("sensitivity")
@scenario_options
@click.option(
    "--target",
    "output_name",
    type=click.Choice(_OUTPUTS),
    default="cost_usd",
    show_default=True,
    help="Output whose drivers are ranked.",
)
@sampling_options(
    "Base samples for the Sobol indices (evaluations = samples × (inputs + 2)).",
    qmc_default=True,
)
@click.option(
    "--bootstrap",
    type=click.IntRange(0, 10_000),
    default=200,
    show_default=True,
    help="Bootstrap resamples for the 95% intervals (0: none; at most 10,000).",
)
@click.option("--no-sobol", is_flag=True, help="Tornado only.")
@click.option(
    "--plot",
    "plot_path",
    type=OUTPUT_PATH,
    default=None,
    help="Write the tornado chart (.png or .svg).",
)
@html_option
@output_options
def sensitivity_cmd(
    output_name,
    samples,
    seed,
    qmc,
    bootstrap,
    no_sobol,
    plot_path,
    html_path,
    fmt,
    as_json,
    output,
    **kw,
):
    """Rank what drives an output: tornado swings and Sobol indices.

    Give uncertain inputs as distributions; without --mfu the utilization prior is one.

    \b
    Examples:
      costmodel sensitivity --active-params 37B --tokens 14.8T --gpu h800-sxm \\
          --precision bf16 --mfu 0.25..0.45 --price-usd-per-gpu-hour lognormal:2,1.3
      costmodel sensitivity --run deepseek-v3 --price-usd-per-gpu-hour market --plot t.png
      costmodel sensitivity --run deepseek-v3 --price-usd-per-gpu-hour market --html s.html
    """
    from ..analysis.sensitivities import sensitivity

    if plot_path is not None:
        from ..render.plots import check_plot_target

        check_plot_target(plot_path)
    sk = scenario_kwargs(kw)
    s = sensitivity(
        output_name,
        samples=int(samples),
        rng=seed,
        qmc=qmc,
        n_boot=bootstrap,
        sobol=not no_sobol,
        **sk,
    )
    d = s.to_dict()
    emit(d, s.table, fmt, as_json, output, csv_rows=d["tornado"])
    if plot_path is not None:
        s.plot(plot_path)
        click.echo(f"wrote {plot_path}", err=True)
    if html_path is not None:
        write_html(html_path, s)


@cli.command("sweep")
@scenario_options
@click.option(
    "--grid",
    "grids",
    multiple=True,
    required=True,
    metavar="NAME=SPEC",
    help="A swept input: start:stop:count, start:stop:count:log, or v1,v2,... "
    "Repeat for a cartesian grid. Ranges of whole-number inputs (n-gpus, seq-len) are "
    "rounded and repeats dropped. NAME is an input (mfu, gpu, price-usd-per-gpu-hour, ...) "
    "or a short name the flags take: price, gpus.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "json"]),
    default=None,
    help="Row format. Default: from -o's suffix (.csv, .json, .jsonl, .ndjson), else csv; "
    "a suffix that names another format is an error.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "-o",
    "--output",
    type=OUTPUT_PATH,
    default=None,
    help="Write rows to FILE (atomically) instead of stdout.",
)
@click.option(
    "--plot",
    "plot_path",
    type=OUTPUT_PATH,
    default=None,
    help="Lines (one swept number), a heatmap (two) or bars (only ids such as gpu swept), "
    ".png or .svg. Checked before the sweep runs; if only the plot is refused, the rows "
    "are still written (exit status 2).",
)
@click.option(
    "--target",
    "--plot-output",
    "plot_output",
    type=click.Choice(_OUTPUTS),
    default="cost_usd",
    show_default=True,
    help="Output drawn by --plot (--plot-output is the old name).",
)
def sweep_cmd(grids, fmt, as_json, output, plot_path, plot_output, **kw):
    """Evaluate a cartesian grid and stream the rows as CSV, JSON or JSON Lines.

    Rows carry the swept inputs, the fixed inputs (accelerator ids resolved) and the
    outputs. Grids of any size run in bounded memory (chunks of 65,536 rows) and stream to
    stdout as they are computed; a progress bar shows on a terminal.

    \b
    Examples:
      costmodel sweep --active-params 37B --tokens 14.8T --precision bf16 --n-gpus 2048 \\
          --grid mfu=0.2:0.5:7 --grid price-usd-per-gpu-hour=1,2,3 \\
          --grid gpu=h800-sxm,h100-sxm,h20 -o sweep.csv
      costmodel sweep --run deepseek-v3 --price-usd-per-gpu-hour 2 \\
          --grid mfu=0.2:0.5:31 --plot cost.png
    """
    from ..analysis.sweep_grid import grid_size, parse_grid
    from ..analysis.sweep_output import output_format, stream_sweep, write_sweep
    from ..data import store
    from ..errors import CostModelError
    from ..formulas.distbase import Dist

    if as_json:
        if fmt not in (None, "json"):
            raise click.UsageError("--json and --format csv|jsonl ask for different formats")
        fmt = "json"
    fmt = output_format(output, fmt)
    grid = parse_grid(grids)
    n = grid_size(grid)
    plot_refused = None
    if plot_path is not None:  # refuse a plot that cannot be drawn before the sweep runs
        try:
            _check_sweep_plot(plot_path, grid, n)
        except CostModelError as e:
            plot_refused = str(e)
    fixed = scenario_kwargs(kw)
    ctx = click.get_current_context()
    for k in list(fixed):
        # a swept option's default (6nd, none) is not a fixed value the user set
        if k in grid and ctx.get_parameter_source(k) == click.core.ParameterSource.DEFAULT:
            del fixed[k]
        elif isinstance(fixed[k], Dist):
            raise click.BadParameter(
                "a sweep evaluates points: give a number, or sweep it with --grid",
                param_hint=f"--{k.replace('_', '-')}",
            )
    from ..model.validate import warn_unit_slips

    warn_unit_slips({**fixed, **grid})  # --tokens 15 (meant 15T): one line, not refused
    notes = [*store.notes(), *_sweep_notes(grid, fixed)]
    if plot_refused:
        click.echo(f"costmodel: error: {plot_refused} (the rows are still written)", err=True)

    def emit_notes():
        # only once the first chunk has evaluated: an error stays the one line on stderr
        from . import flush_warnings

        flush_warnings()
        for note in dict.fromkeys(notes):
            click.echo(f"note: {note}" if not note.startswith("note:") else note, err=True)
        notes.clear()

    show = sys.stderr.isatty() and n >= 200_000
    with (
        click.progressbar(length=n, label="sweeping", file=sys.stderr) if show else _NoBar() as bar
    ):
        if output is not None:
            rows = write_sweep(
                output, grid, fmt=fmt, progress=bar.update, on_first=emit_notes, **fixed
            )
            click.echo(f"wrote {rows:,} rows to {output}", err=True)
        else:  # streamed as computed: `| head -1` gets its line after the first chunk
            stream_sweep(
                sys.stdout,
                grid,
                fmt=fmt,
                progress=bar.update,
                on_first=emit_notes,
                **fixed,
            )
    if plot_refused:
        ctx.exit(2)
    if plot_path is not None:
        from ..analysis.sweeping import sweep

        result = sweep(grid, **fixed)
        result.plot(plot_path, plot_output)
        click.echo(f"wrote {plot_path}", err=True)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _check_sweep_plot(path, grid, n) -> None:
    from ..analysis.sweep_grid import check_sweep_shape
    from ..render.plots import check_plot_target

    check_plot_target(path)
    if n > 1_000_000:
        from ..errors import InputError

        raise InputError(f"plot: --plot draws at most 1,000,000 points; this grid has {n:,}")
    check_sweep_shape(grid)


def _sweep_notes(grid, fixed) -> list[str]:
    """The sweep's assumptions (:func:`~costmodel.analysis.sweeping.sweep_assumptions`)."""
    from ..analysis.sweeping import sweep_assumptions

    return sweep_assumptions(grid, fixed)


@cli.command("solve")
@scenario_options
@click.option("--budget-usd", type=NUMBER, default=None, help="Budget [USD], e.g. 6M.")
@click.option("--budget-gpu-hours", type=NUMBER, default=None, help="Budget [GPU-hours].")
@click.option(
    "--budget-days",
    type=NUMBER,
    default=None,
    help="Wall-clock budget [days] (needs --n-gpus unless solving for it).",
)
@click.option(
    "--unknown",
    type=click.Choice(["tokens", "active-params", "mfu", "price-usd-per-gpu-hour", "n-gpus"]),
    default=None,
    help="The input to solve for. Without it: P(budget suffices).",
)
@click.option(
    "--compute-optimal",
    is_flag=True,
    help="Compute-optimal params and tokens for the budget (Hoffmann et al. 2022).",
)
@sampling_options(
    "Samples for quantiles of the solution / P(budget suffices) when inputs are uncertain "
    "(0: point answer only).",
    qmc_default=False,
)
@output_options
def solve_cmd(
    budget_usd,
    budget_gpu_hours,
    budget_days,
    unknown,
    compute_optimal,
    samples,
    seed,
    qmc,
    fmt,
    as_json,
    output,
    **kw,
):
    """Solve for one input from a budget, or the chance that a budget suffices.

    \b
    Examples:
      costmodel solve --budget-usd 6M --unknown mfu --active-params 37B --tokens 14.8T \\
          --gpu h800-sxm --precision bf16 --price-usd-per-gpu-hour 2
      costmodel solve --budget-usd 6M --compute-optimal --gpu h100-sxm \\
          --price-usd-per-gpu-hour market
      costmodel solve --budget-usd 6M --active-params 37B --tokens 14.8T --gpu h800-sxm \\
          --price-usd-per-gpu-hour lognormal:2,1.3 --samples 20000
    """
    from ..analysis.solver import solve

    s = solve(
        unknown=unknown,
        budget_usd=budget_usd,
        budget_gpu_hours=budget_gpu_hours,
        budget_days=budget_days,
        compute_optimal=compute_optimal,
        samples=int(samples),
        rng=seed,
        qmc=qmc,
        **scenario_kwargs(kw),
    )
    emit(s.to_dict(), s.table, fmt, as_json, output)
