"""What each CLI command imports, measured with ``python -X importtime``.

    python benchmarks/imports.py

For every command (with typical arguments) prints the total import time and the notable
third-party packages it loads; scipy, matplotlib and pandas must stay out of a point
estimate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

WATCH = ("numpy", "pydantic", "click", "scipy", "matplotlib", "pandas")
#: DeepSeek-V3's pre-training shape, shared by the commands below
V3 = ["--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800-sxm"]
#: the point estimate whose cold start ``bench.py`` times
POINT_ESTIMATE = ["estimate", *V3, "--precision", "bf16", "--mfu", "0.35"]
COMMANDS = {
    "estimate (point)": POINT_ESTIMATE,
    "estimate (prior, no --mfu)": ["estimate", *V3],
    "estimate --samples": ["estimate", *V3, "--samples", "1000"],
    "gpus": ["gpus"],
    "export-control": ["export-control", "h800-sxm"],
    "check": ["check", "deepseek-v3", "--samples", "1000"],
    "backtest": ["backtest"],
    "sweep": ["sweep", *V3, "--grid", "mfu=0.2:0.5:3"],
    "solve": [
        "solve", "--budget-usd", "6M", "--unknown", "mfu", *V3, "--price-usd-per-gpu-hour", "2",
    ],
    "sensitivity": [
        "sensitivity", *V3, "--price-usd-per-gpu-hour", "2", "--samples", "64", "--bootstrap", "0",
    ],
}  # fmt: skip


def imports(args: list[str]) -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "costmodel", *args],
            capture_output=True,
            text=True,
            cwd=d,
            env=dict(os.environ, PYTHONWARNINGS="ignore"),
        )
    if r.returncode != 0:
        raise SystemExit(f"costmodel {' '.join(args)} failed: {r.stderr[-500:]}")
    total, pkgs = 0.0, {}
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, _cum, name = (x.strip() for x in line.replace(":", "|", 1).split("|"))
        total += int(self_us)
        top = name.split(".")[0]
        if top in WATCH:
            pkgs[top] = pkgs.get(top, 0) + int(self_us) / 1e3
    return total / 1e3, pkgs


def main() -> None:
    print(f"{'command':28s} {'imports ms':>10s}  packages (self ms)")
    for label, args in COMMANDS.items():
        total, pkgs = imports(args)
        shown = ", ".join(f"{k} {v:.0f}" for k, v in sorted(pkgs.items(), key=lambda x: -x[1]))
        print(f"{label:28s} {total:10.0f}  {shown}")


if __name__ == "__main__":
    main()
