"""CLI cold start against the floor the design card's dependencies impose (issue 10, item 5).

    python benchmarks/startup.py            # 7 rounds
    python benchmarks/startup.py --n 15

The floor is ``python -c`` importing numpy and click and validating one pydantic model
(``import pydantic`` alone is lazy and builds nothing). Each round runs every command once,
interleaved, so a busy machine slows all of them alike; the medians and their ratios to the
floor's median are printed (target for ``costmodel estimate``: <= 1.15x).

The console script ends with ``gc.freeze()`` (``costmodel.cli.main``): the interpreter's
shutdown then skips its full garbage collections over numpy's, pydantic's and click's
objects. That is a real saving for the user, but the plain floor pays those collections, so
a second floor ends the same way, and each command is printed against both: against the
plain floor (what the user waits for, relative to the dependencies' bare cost) and against
the like-for-like floor (what our own imports and work add).
"""

from __future__ import annotations

import argparse
import compileall
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

from imports import POINT_ESTIMATE  # benchmarks/imports.py, next to this script

import costmodel

FLOOR = (
    "import numpy, click\nfrom pydantic import BaseModel\nclass A(BaseModel):\n    x: int\nA(x=1)"
)
COMMANDS = {
    "floor: numpy, click, one pydantic model": ["-c", FLOOR],
    "floor, ending with gc.freeze() like the CLI": ["-c", FLOOR + "\nimport gc; gc.freeze()"],
    "costmodel estimate (no price: samples it)": ["-m", "costmodel", *POINT_ESTIMATE],
    "costmodel estimate --price-usd-per-gpu-hour 2": [
        "-m", "costmodel", *POINT_ESTIMATE, "--price-usd-per-gpu-hour", "2",
    ],
    "costmodel --help": ["-m", "costmodel", "--help"],
    "costmodel gpus": ["-m", "costmodel", "gpus"],
    "python -c 'import costmodel'": ["-c", "import costmodel"],
    "python -c 'import numpy, pydantic, click'": ["-c", "import numpy, pydantic, click"],
}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=7)
    n = ap.parse_args().n
    # our modules from bytecode, like numpy's and pydantic's (pip compiles a wheel install)
    compileall.compile_dir(pathlib.Path(costmodel.__file__).parent, quiet=1)
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    with tempfile.TemporaryDirectory() as d:
        for _ in range(n):
            for label, args in COMMANDS.items():
                t = time.perf_counter()
                subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=d)
                times[label].append(time.perf_counter() - t)
    plain, alike = (statistics.median(times[k]) for k in list(COMMANDS)[:2])
    print(f"costmodel {costmodel.__version__}, {os.cpu_count()} CPUs, median of {n} rounds")
    w = max(map(len, COMMANDS))
    print(f"{'':{w}}  {'median':>9}  {'/ floor':>7}  {'/ floor alike':>13}")
    for label, ts in times.items():
        m = statistics.median(ts)
        print(f"{label.ljust(w)}  {m * 1e3:6.0f} ms  {m / plain:6.2f}x  {m / alike:12.2f}x")


if __name__ == "__main__":
    main()
