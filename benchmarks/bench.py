"""Speed and memory benchmarks, reported as numbers and ratios (not a timed test).

    python benchmarks/bench.py          # all
    python benchmarks/bench.py --quick  # smaller sizes

Measures: vectorized estimate over 10⁶ scenarios vs a loop of scalar calls; a 10⁶-sample
Monte Carlo simulation; Sobol indices for 8 inputs at 2¹⁴ base samples; the peak memory of
a 10⁷-point sweep streamed to CSV (in a child process); CLI cold start vs importing
numpy, pydantic and click; ``plan``'s layout search vs scoring layouts one at a time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from imports import POINT_ESTIMATE  # benchmarks/imports.py, next to this script

import costmodel
from costmodel import dist


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def vectorized_vs_scalar(n: int, loop_n: int):
    rng = np.random.default_rng(0)
    kw = dict(
        active_params=rng.uniform(1e9, 1e12, n),
        tokens=rng.uniform(1e11, 1e13, n),
        mfu=rng.uniform(0.2, 0.5, n),
        price_usd_per_gpu_hour=rng.uniform(1, 4, n),
        n_gpus=2048,
        gpu="h100-sxm",
        precision="bf16",
    )
    costmodel.estimate(**kw)
    t_vec = best_of(lambda: costmodel.estimate(**kw))
    rows = [
        {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        for i in range(loop_n)
    ]
    t = time.perf_counter()
    for r in rows:
        costmodel.estimate(**r)
    t_loop = (time.perf_counter() - t) / loop_n
    vec_rate = n / t_vec
    return [
        (
            "vectorized estimate",
            f"{n:,} scenarios",
            f"{t_vec * 1e3:.1f} ms",
            f"{vec_rate / 1e6:.1f}M scenarios/s",
        ),
        (
            "scalar estimate loop",
            f"{loop_n:,} calls",
            f"{t_loop * 1e6:.0f} µs per call",
            f"{1 / t_loop:,.0f} scenarios/s",
        ),
        ("vectorized / scalar", "", "", f"{vec_rate * t_loop:,.0f}x"),
    ]


def simulation(n: int):
    sc = costmodel.Scenario(
        active_params=dist.lognormal(37e9, 1.05),
        tokens=dist.normal(14.8e12, 0.3e12),
        gpu="h800-sxm",
        precision="bf16",
        price_usd_per_gpu_hour="market",
        n_gpus=2048,
    )
    costmodel.simulate(sc, 1000, 0)
    t = best_of(lambda: costmodel.simulate(sc, n, 0), repeat=2)
    return [
        (
            "Monte Carlo simulation",
            f"{n:,} samples, 4 inputs",
            f"{t * 1e3:.0f} ms",
            f"{n / t / 1e6:.1f}M samples/s",
        )
    ]


def sobol(n: int):
    kw = dict(
        active_params=dist.lognormal(37e9, 1.1),
        tokens=dist.normal(14.8e12, 0.5e12),
        mfu=dist.uniform(0.25, 0.45),
        goodput=dist.uniform(0.85, 0.98),
        fp8_fraction=dist.uniform(0.7, 0.9),
        precision="mixed",
        gpu="h800-sxm",
        pue=dist.uniform(1.1, 1.4),
        grid_kg_co2e_per_kwh=dist.uniform(0.3, 0.7),
        usd_per_kwh=dist.uniform(0.05, 0.12),
    )
    t = time.perf_counter()
    s = costmodel.sensitivity("co2e_kg", samples=n, rng=0, n_boot=100, **kw)
    dt = time.perf_counter() - t
    return [
        (
            "Sobol indices",
            f"8 inputs, {n:,} base ({s.sobol['n_evaluations']:,} evals)",
            f"{dt:.2f} s",
            "incl. 100 bootstrap resamples",
        )
    ]


# VmHWM resets on exec; ru_maxrss does not (a child would report its parent's peak)
PEAK_RSS = (
    "def peak_rss_kb():\n"
    "    try:\n"
    "        for line in open('/proc/self/status'):\n"
    "            if line.startswith('VmHWM:'):\n"
    "                return int(line.split()[1])\n"
    "    except OSError:\n"
    "        pass\n"
    "    import resource\n"
    "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
)


def sweep_memory(points: int):
    side = int(round(points**0.5))
    code = (
        PEAK_RSS + "import costmodel.analysis.sweeping as s;"
        f"g = s.parse_grid(['mfu=0.2:0.5:{side}', 'price-usd-per-gpu-hour=1:4:{side}']);"
        "import sys; n = s.write_sweep(sys.argv[1], g, active_params=37e9, tokens=14.8e12,"
        " gpu='h800-sxm', precision='bf16', n_gpus=2048);"
        "print(n, peak_rss_kb())"
    )
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "sweep.csv")
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code, path], capture_output=True, text=True, check=True
        ).stdout.split()
        dt = time.perf_counter() - t
        size = os.path.getsize(path)
    rows, rss_kb = int(out[0]), int(out[1])
    return [
        (
            "sweep to CSV",
            f"{rows:,} points ({size / 1e6:,.0f} MB file)",
            f"{dt:.1f} s",
            f"peak RSS {rss_kb / 1024:.0f} MB",
        )
    ]


def cold_start():
    # numpy, pydantic and click run from bytecode compiled at install time; compile ours the
    # same way (pip does it for a wheel install), or an editable checkout under
    # PYTHONDONTWRITEBYTECODE would recompile every module on every start
    import compileall
    import pathlib

    compileall.compile_dir(pathlib.Path(costmodel.__file__).parent, quiet=1)

    def run(args):
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        return time.perf_counter() - t

    base = min(run([sys.executable, "-c", "import numpy, pydantic, click"]) for _ in range(5))
    cli = [sys.executable, "-m", "costmodel", *POINT_ESTIMATE]
    est = min(run(cli) for _ in range(5))
    # the floor for any program that validates with pydantic: `import pydantic` alone is lazy,
    # so the baseline above never loads pydantic.main nor builds a model
    floor = min(
        run(
            [
                sys.executable,
                "-c",
                "import numpy, click\nfrom pydantic import BaseModel\n"
                "class A(BaseModel):\n    x: int\nA(x=1)",
            ]
        )
        for _ in range(5)
    )
    return [
        (
            "CLI cold start: estimate",
            "vs python -c 'import numpy, pydantic, click'",
            f"{est * 1e3:.0f} ms vs {base * 1e3:.0f} ms",
            f"{est / base:.2f}x",
        ),
        (
            "  floor: one pydantic model",
            "numpy, click + a one-field BaseModel, same baseline",
            f"{floor * 1e3:.0f} ms vs {base * 1e3:.0f} ms",
            f"{floor / base:.2f}x",
        ),
    ]


def plan_throughput(loop_n: int):
    """``costmodel plan``'s search (one vectorized call over every layout) vs scoring the
    same layouts one at a time, measured in the same run."""
    from costmodel.analysis.planning import plan
    from costmodel.data import store
    from costmodel.perf import bind
    from costmodel.perf.search import candidate_layouts
    from costmodel.perf.step import evaluate

    arch = store.get("runs", "deepseek-v3").architecture
    acc = store.get("accelerators", "h800-sxm")
    plan(arch, acc, 2048, precision="mixed")
    t_plan = best_of(lambda: plan(arch, acc, 2048, precision="mixed"))
    n = plan(arch, acc, 2048, precision="mixed")["searched"]
    shape = bind.model_shape(arch)
    hw, _ = bind.hardware(acc)
    cand = candidate_layouts(arch, 2048, seq_len=4096, domain=8)
    t = time.perf_counter()
    for i in range(loop_n):
        evaluate(
            shape, hw, global_batch=16384, seq_len=4096, **{k: int(v[i]) for k, v in cand.items()}
        )
    t_one = (time.perf_counter() - t) / loop_n
    return [
        (
            "plan (vectorized search)",
            f"{n:,} layouts",
            f"{t_plan * 1e3:.0f} ms",
            f"{n / t_plan:,.0f} layouts/s",
        ),
        (
            "one layout at a time",
            f"{loop_n:,} calls",
            f"{t_one * 1e6:.0f} µs per call",
            f"{1 / t_one:,.0f} layouts/s",
        ),
        ("plan / loop", "", "", f"{n / t_plan * t_one:,.0f}x"),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    q = a.quick
    rows = []
    rows += vectorized_vs_scalar(10**5 if q else 10**6, 200 if q else 2000)
    rows += simulation(10**5 if q else 10**6)
    rows += sobol(2**10 if q else 2**14)
    rows += sweep_memory(10**5 if q else 10**7)
    rows += cold_start()
    rows += plan_throughput(100 if q else 1000)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(
        f"costmodel {costmodel.__version__}, Python {sys.version.split()[0]}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs"
    )
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
