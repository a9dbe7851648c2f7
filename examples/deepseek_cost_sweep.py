"""DeepSeek-V3's final-run cost over a grid of utilization and rental price.

Run:  python examples/deepseek_cost_sweep.py [--plot cost.png]

Where on this grid does DeepSeek's claimed $5.328M for pre-training sit? The claim implies
34.6% of the H800's BF16 peak (6ND) at $2 per GPU-hour; everything else on the grid is what
the same run would cost at other utilizations and prices.
"""

import argparse

import costmodel

ap = argparse.ArgumentParser()
ap.add_argument("--plot", help="heatmap file (.png or .svg)")
args = ap.parse_args()

result = costmodel.sweep(
    {
        "mfu": [0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45],
        "price_usd_per_gpu_hour": [1.0, 1.5, 2.0, 2.5, 3.0, 4.0],
    },
    run="deepseek-v3",
    precision="bf16",
)
mfus = sorted(set(result["mfu"].tolist()))
prices = sorted(set(result["price_usd_per_gpu_hour"].tolist()))
print("DeepSeek-V3 pre-training cost [USD M], 14.8T tokens, 6ND, H800 BF16 peak")
print("mfu   " + "".join(f"  ${p:<5g}" for p in prices))
for m in mfus:
    row = [
        c
        for mm, p, c in zip(
            result["mfu"], result["price_usd_per_gpu_hour"], result["cost_usd"], strict=True
        )
        if mm == m
    ]
    print(f"{m:.2f} " + "".join(f"{c / 1e6:8.2f}" for c in row))
if args.plot:
    result.plot(args.plot, "cost_usd", "DeepSeek-V3, 6ND, H800 BF16 peak")
    print(f"wrote {args.plot}")
