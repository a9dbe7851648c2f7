"""``costmodel check`` and ``costmodel export-control``."""

from __future__ import annotations

import click

from . import cli
from .options import (
    COUNT,
    NUMBER,
    OUTPUT_PATH,
    SEED,
    emit,
    html_option,
    output_options,
    write_html,
)


@cli.command("check")
@click.argument("claim", required=False)
@click.option(
    "--claim-file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="A claim in a TOML file (schema of presets/claims/*.toml).",
)
@click.option("--gpu", default=None, help="Own claim: accelerator id.")
@click.option("--gpu-hours", type=NUMBER, default=None, help="Own claim: GPU-hours.")
@click.option("--cost-usd", type=NUMBER, default=None, help="Own claim: cost [USD].")
@click.option("--tokens", type=NUMBER, default=None, help="Own claim: training tokens.")
@click.option("--active-params", type=NUMBER, default=None, help="Own claim: active params.")
@click.option("--n-gpus", "--gpus", type=NUMBER, default=None, help="Own claim: cluster size.")
@click.option(
    "--price-usd-per-gpu-hour",
    "--price",
    type=NUMBER,
    default=None,
    help="Own claim: the price it assumes.",
)
@click.option(
    "--samples",
    type=COUNT,
    default="20000",
    show_default=True,
    help="Monte Carlo samples for the likelihood.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed (>= 0).")
@click.option(
    "--plot",
    "plot_path",
    type=OUTPUT_PATH,
    default=None,
    help="Predicted cost distribution with the claim marked (.png or .svg).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also show the utilization prior's full table (P under each candidate prior).",
)
@html_option
@output_options
def check_cmd(
    claim,
    claim_file,
    gpu,
    gpu_hours,
    cost_usd,
    tokens,
    active_params,
    n_gpus,
    price_usd_per_gpu_hour,
    samples,
    seed,
    plot_path,
    verbose,
    html_path,
    fmt,
    as_json,
    output,
):
    """Check a published training-cost claim: implied utilization under every FLOP
    convention, internal consistency, where it sits among published runs, how likely it is
    under the data-derived prior, what it leaves out, and the hardware context.

    CLAIM is a preset id (see `costmodel presets claims`); or give --claim-file, or your own
    numbers with --gpu and --gpu-hours or --cost-usd.

    \b
    Examples:
      costmodel check deepseek-v3
      costmodel check deepseek-v3 --json
      costmodel check deepseek-v3 --html deepseek-v3.html
      costmodel check deepseek-r1
      costmodel check --claim-file my_claim.toml --plot claim.png
      costmodel check --gpu h800-sxm --gpu-hours 250K --tokens 14.8T --active-params 37B
    """
    from ..claims.check import check

    own = {
        k: v
        for k, v in dict(
            gpu=gpu,
            gpu_hours=gpu_hours,
            cost_usd=cost_usd,
            tokens=tokens,
            active_params=active_params,
            price_usd_per_gpu_hour=price_usd_per_gpu_hour,
        ).items()
        if v is not None
    }
    given = [x for x in (claim, claim_file, own or None) if x]
    if len(given) != 1:
        raise click.UsageError(
            "give one of: a CLAIM id, --claim-file FILE, or your own "
            "claim's numbers (--gpu with --gpu-hours or --cost-usd)"
        )
    if own:
        if n_gpus is not None:
            if n_gpus != int(n_gpus) or n_gpus < 1:
                raise click.BadParameter(
                    f"{n_gpus:g} must be a whole number >= 1", param_hint="--n-gpus"
                )
            own["n_gpus"] = int(n_gpus)
        from ..model.validate import warn_unit_slips

        warn_unit_slips(own)  # --tokens 15 (meant 15T): one line on stderr, not refused
        own.update(
            id="own-claim",
            name="user claim",
            claimant="user",
            date="2026",
            quote="numbers given on the command line",
            kind="final-run compute",
            scope="as given on the command line",
            source="command line",
            as_of="2026-11-28",
        )
        result = check(own, samples=samples, rng=seed)
    elif claim_file:
        result = check(path=claim_file, samples=samples, rng=seed)
    else:
        result = check(claim, samples=samples, rng=seed)
    emit(result.to_dict(), lambda: result.table(verbose=verbose), fmt, as_json, output)
    if plot_path is not None:
        result.plot(plot_path)
        click.echo(f"wrote {plot_path}", err=True)
    if html_path is not None:
        write_html(html_path, result)


@cli.command("export-control")
@click.argument("gpu")
@click.option(
    "--rule",
    type=click.Choice(["2022-10", "2023-10", "2026-01", "all"]),
    default="all",
    show_default=True,
    help="Which rule to apply.",
)
@output_options
def export_control_cmd(gpu, rule, fmt, as_json, output):
    """US export-control metrics and classification (ECCN 3A090) of an accelerator.

    TPP = max over precisions of dense rate × bit length; performance density = TPP / die
    area; the 2022 rule also tests 600 GB/s of chip-to-chip bandwidth.

    \b
    Examples:
      costmodel export-control h800-sxm
      costmodel export-control h20 --rule 2023-10 --json
    """
    from ..claims.export_control import RULES, classify, metrics
    from ..data import store
    from ..render.report import table

    acc = store.get("accelerators", gpu)
    rules = list(RULES) if rule == "all" else [rule]
    res = [classify(acc.id, r) for r in rules]
    m = metrics(acc)
    d = {
        "schema": "costmodel.export-control/1",
        "gpu": acc.id,
        "metrics": m,
        "classifications": [r.to_dict() for r in res],
    }

    def text():
        pd = m["performance_density"]
        pd_text = "unknown (die area not published)" if pd is None else f"{pd:.2f}"
        lines = [
            f"{acc.name} ({acc.id})",
            f"  TPP {m['tpp']:,.0f} (from {m['tpp_precision']}: "
            f"{acc.peak_dense_tflop_per_s[m['tpp_precision']]:g} dense x "
            f"{int(round(m['tpp'] / acc.peak_dense_tflop_per_s[m['tpp_precision']]))} bit); "
            f"performance density {pd_text}; "
            f"interconnect {m['interconnect_gb_per_s'] or 'unknown'} GB/s; memory bandwidth "
            f"{m['memory_bandwidth_gb_per_s']:,.0f} GB/s",
            "",
        ]
        rows = [(r.rule_name, r.status, r.reason) for r in res]
        lines.append(table(rows, ["rule", "status", "reason"]))
        for r in res:
            lines.append(f"  {r.rule}: {store.get('rules', r.rule).text}")
        return "\n".join(lines)

    emit(d, text, fmt, as_json, output, csv_rows=d["classifications"])
