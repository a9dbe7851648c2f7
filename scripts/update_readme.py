"""Regenerate the generated blocks of README.md from the code's real output.

    python scripts/update_readme.py          # rewrite the blocks in place
    python scripts/update_readme.py --check  # exit 1 if README.md is stale

A block is the text between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``;
nothing in a block is typed by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
README = ROOT / "README.md"


def backtest_block() -> str:
    from costmodel.analysis.backtesting import backtest

    bt = backtest()
    names = {
        "all": "every run with accelerator-hours",
        "fit_set": "runs in the prior's fit set (primary sources, leave-one-out)",
        "reported_only": "runs whose hours are published as hours (not GPUs × days)",
    }
    lines = [
        "| runs | n | median \\|log10(predicted/reported)\\| | inside 90% interval "
        "| median p95/p05 |",
        "|---|---|---|---|---|",
    ]
    for key, label in names.items():
        s = bt.summary[key]
        lines.append(
            f"| {label} | {s['n']} | {s['median_abs_log10_error']:.3f} | "
            f"{s['share_inside_90']:.0%} | {s['median_interval_width']:.2f}× |"
        )
    return "\n".join(lines)


def check_block() -> str:
    from click.testing import CliRunner

    from costmodel.cli import cli

    r = CliRunner().invoke(cli, ["check", "deepseek-v3"])
    if r.exit_code != 0:
        raise SystemExit(f"costmodel check deepseek-v3 failed: {r.stderr}")
    return "```text\n$ costmodel check deepseek-v3\n" + r.stdout.rstrip() + "\n```"


BLOCKS = {"backtest": backtest_block, "check": check_block}


def render(text: str) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in BLOCKS:
            raise SystemExit(f"README.md: unknown generated block {name!r}")
        return f"<!-- generated:{name} -->\n{BLOCKS[name]()}\n<!-- /generated:{name} -->"

    return re.sub(r"<!-- generated:(\w+) -->.*?<!-- /generated:\1 -->", sub, text, flags=re.S)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    from costmodel.data import store

    store.set_user_dirs([])
    old = README.read_text()
    new = render(old)
    if args.check:
        if new != old:
            print("README.md is stale: run python scripts/update_readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    print("README.md updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
