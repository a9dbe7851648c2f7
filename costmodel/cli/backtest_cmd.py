"""``costmodel backtest``."""

from __future__ import annotations

import click

from . import cli
from .options import OUTPUT_PATH, emit, output_options


@cli.command("backtest")
@click.option(
    "--plot",
    "plot_path",
    type=OUTPUT_PATH,
    default=None,
    help="Write predicted-vs-reported on log axes and the PIT histograms (.png or .svg).",
)
@output_options
def backtest_cmd(plot_path, fmt, as_json, output):
    """Predict published runs' accelerator-hours from params, tokens and hardware alone.

    Each run in the prior's fit set is predicted with the prior refitted without its whole
    organization (leave-one-organization-out, the score that selects the prior) and without
    the run alone (leave-one-run-out); the summary adds the share inside the 50/80/90%
    intervals and the constant-40%-MFU baseline on the same runs. Runs whose hours are
    derived from GPUs × days are flagged [D]; runs outside the fit set [s] or [x].

    \b
    Examples:
      costmodel backtest
      costmodel backtest --json
      costmodel backtest --plot backtest.png
    """
    from ..analysis.backtesting import backtest

    bt = backtest()
    d = bt.to_dict()
    emit(d, bt.table, fmt, as_json, output, csv_rows=d["runs"])
    if plot_path is not None:
        bt.plot(plot_path)
        click.echo(f"wrote {plot_path}", err=True)
