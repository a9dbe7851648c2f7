"""What drives the estimated cost of a DeepSeek-V3-sized run?

Run:  python examples/deepseek_sensitivity.py [--plot tornado.png]

Utilization comes from the data-derived prior for Hopper GPUs (no --mfu), the price from
the H800 market range in presets/prices, and the token count is uncertain by ±3%.
"""

import argparse

import costmodel
from costmodel import dist

ap = argparse.ArgumentParser()
ap.add_argument("--plot", help="tornado chart file (.png or .svg)")
args = ap.parse_args()

s = costmodel.sensitivity(
    "cost_usd",
    samples=2**12,
    rng=0,
    active_params=37e9,
    tokens=dist.normal(14.8e12, 0.25e12),
    gpu="h800-sxm",
    precision="bf16",
    price_usd_per_gpu_hour="market",
)
print(s.table())
if args.plot:
    s.plot(args.plot, "DeepSeek-V3-sized run on H800s")
    print(f"wrote {args.plot}")
