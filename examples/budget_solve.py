"""What can $6M buy on H100s vs H20s vs H800s?

Run:  python examples/budget_solve.py

For each accelerator, the compute-optimal model (20 tokens per parameter, Hoffmann et al.
2022) that a $6M rental budget trains, with utilization from the data-derived prior and the
price at the middle of the accelerator's sourced market range; then how many tokens a fixed
37B-active model gets for the same money.
"""

import costmodel

BUDGET = 6e6
PRICES = {"h100-sxm": "market", "h800-sxm": "market", "h20": 2.0}
print(f"budget ${BUDGET / 1e6:g}M")
print(
    f"{'gpu':10s} {'$/GPU-h':>8s} {'params':>8s} {'tokens':>8s} {'FLOP':>9s}"
    f" {'37B-active model: tokens':>26s}"
)
for gpu, price in PRICES.items():
    if price == "market":
        price = costmodel.catalog().prices[gpu].rental.dist().median()
    opt = costmodel.solve(
        budget_usd=BUDGET, compute_optimal=True, gpu=gpu, price_usd_per_gpu_hour=price
    )
    fixed = costmodel.solve(
        budget_usd=BUDGET,
        unknown="tokens",
        active_params=37e9,
        gpu=gpu,
        price_usd_per_gpu_hour=price,
    )
    c = opt.compute_optimal
    print(
        f"{gpu:10s} {price:8.2f} {c['active_params'] / 1e9:7.0f}B "
        f"{c['tokens'] / 1e12:7.2f}T {c['model_flop']:9.2e} {fixed.value / 1e12:25.2f}T"
    )
print("H20 price: no market quote was found; $2.00 is an assumption for illustration.")
