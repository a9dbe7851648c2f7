"""The vectorized path against bare numpy, and its memory, in one run (not a timed test).

    python benchmarks/vectorized.py            # 10⁶ scenarios
    python benchmarks/vectorized.py --n 100000

Prints, for ``costmodel.estimate(active_params=a, tokens=t, gpu=..., precision="bf16",
mfu=m, price_usd_per_gpu_hour=2.0)`` over ``n`` scenarios:

- throughput / the same arithmetic in bare numpy (``6·a·t / (peak·m) / 3600 · 2``, the
  peak handed over as a float or a float array: the lookup is not counted for numpy), with a
  scalar ``gpu`` (target ≥ 0.3) and with an ``n``-element ``gpu`` array of three ids
  (target ≥ 0.1);
- the memory one call allocates (tracemalloc peak, numpy reports its buffers to it) and the
  peak resident set of a child process that does one 10⁶ call (target < 300 MB).

Both sides are timed in the same process, alternately, for :data:`ROUNDS` rounds; the
median round's ratio is printed with the range. Alternating matters: the same arithmetic
runs ~2.5x faster once glibc's allocator has raised its mmap threshold (freed 8 MB arrays
are then reused without page faults), and the string comparisons that code a ``gpu`` array
(~9 ns per element per distinct id) do not speed up with it, so a ratio taken across two
allocator states measures the allocator, not costmodel.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tracemalloc

import numpy as np
from bench import best_of  # benchmarks/ is on sys.path when run as a script

import costmodel
from costmodel.data import store

IDS = ("h800-sxm", "h100-sxm", "a100-sxm4-80gb")
ROUNDS = 9


def inputs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "active_params": rng.uniform(1e9, 1e12, n),
        "tokens": rng.uniform(1e11, 1e13, n),
        "mfu": rng.uniform(0.2, 0.5, n),
        "gpu_array": np.asarray(IDS)[rng.integers(0, len(IDS), n)],
    }


def bare_numpy(a, t, m, peak):
    flop = 6.0 * a * t
    hours = flop / (peak * m) / 3600.0
    return hours * 2.0


def ratios(n: int) -> list[tuple[str, str]]:
    x = inputs(n)
    a, t, m, g = x["active_params"], x["tokens"], x["mfu"], x["gpu_array"]
    peaks = {i: store.get("accelerators", i).peak_flop_per_s("bf16") for i in IDS}
    peak_arr = np.select([g == i for i in IDS], [peaks[i] for i in IDS])
    rows = []
    for label, gpu, peak, target in (
        ("scalar gpu", "h800-sxm", peaks["h800-sxm"], 0.3),
        (f"gpu array of {len(IDS)} ids", g, peak_arr, 0.1),
    ):

        def est(gpu=gpu):
            return costmodel.estimate(
                active_params=a, tokens=t, gpu=gpu, precision="bf16", mfu=m,
                price_usd_per_gpu_hour=2.0,
            )  # fmt: skip

        e = est()
        assert np.allclose(e.cost_usd, bare_numpy(a, t, m, peak), rtol=1e-12)
        per_round = []
        for _ in range(ROUNDS):  # interleaved: both sides see the same allocator and cache
            t_np = best_of(lambda peak=peak: bare_numpy(a, t, m, peak), repeat=1)
            t_est = best_of(est, repeat=1)
            per_round.append((t_np / t_est, t_est, t_np))
        per_round.sort()
        ratio, t_est, t_np = per_round[len(per_round) // 2]  # the median round
        rows.append(
            (
                f"estimate / bare numpy, {label}",
                f"{n / t_est / 1e6:.2f}M vs {n / t_np / 1e6:.1f}M scenarios/s: ratio {ratio:.2f} "
                f"(rounds {per_round[0][0]:.2f}-{per_round[-1][0]:.2f}; target >= {target})",
            )
        )
    tracemalloc.start()
    costmodel.estimate(
        active_params=a, tokens=t, gpu=g, precision="bf16", mfu=m, price_usd_per_gpu_hour=2.0
    )
    peak_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows.append(
        (
            "allocated by one call (gpu array)",
            f"{peak_bytes / 1e6:.0f} MB tracemalloc peak for {n:,} scenarios "
            f"({peak_bytes / n:.0f} bytes each)",
        )
    )
    return rows


CHILD = """
import numpy as np, costmodel
from vectorized import inputs
x = inputs(10**6)
costmodel.estimate(active_params=x["active_params"], tokens=x["tokens"], gpu=x["gpu_array"],
                   precision="bf16", mfu=x["mfu"], price_usd_per_gpu_hour=2.0)
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]))
"""


def child_rss() -> tuple[str, str]:
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, cwd=here
    ).stdout.split()
    kb = int(out[-1]) if out else 0
    return (
        "peak RSS of a process doing one 10^6 call",
        f"{kb * 1024 / 1e6:.0f} MB (interpreter, numpy, the inputs and the outputs; "
        f"target < 300 MB)",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10**6)
    n = ap.parse_args().n
    rows = ratios(n)
    if sys.platform.startswith("linux"):
        rows.append(child_rss())
    print(f"costmodel {costmodel.__version__}, numpy {np.__version__}, n = {n:,}")
    w = max(len(r[0]) for r in rows)
    for r in rows:
        print(f"{r[0].ljust(w)}  {r[1]}")


if __name__ == "__main__":
    main()
