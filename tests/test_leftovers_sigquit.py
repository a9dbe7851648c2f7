"""SIGQUIT (Ctrl-\\) to a ``costmodel`` process writing ``-o FILE``: like SIGTERM and
SIGINT (tests/test_signals.py), no temporary file and no half-written output are left,
stderr ends with one clear line after the run's notes, and the exit status is the shell's
128 + 3 = 131 rather than the default action's core dump (status -3 from ``subprocess``,
the temporary file left in place).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

# a sweep of 10⁸ rows (two 10⁴-value axes) streamed to a file: minutes of writing, so the
# process is surely still writing when the signal arrives
LONG_SWEEP = ["sweep", "--params", "7B", "--tokens", "1T", "--gpu", "h100-sxm",
              "--grid", "mfu=0.1:0.9:10000", "--grid", "goodput=0.5:1:10000"]  # fmt: skip


def _wait_for(pred, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not hasattr(signal, "SIGQUIT"), reason="the platform has no SIGQUIT")
@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_sigquit_mid_write_leaves_no_temp_file_and_exits_131(tmp_path, suffix):
    out = tmp_path / f"rows.{suffix}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "costmodel", *LONG_SWEEP, "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "COSTMODEL_PRESETS": ""},
    )
    try:

        def writing() -> bool:
            return any(p.name.endswith(".tmp") and p.stat().st_size > 0 for p in tmp_path.iterdir())

        assert _wait_for(writing, 120), "the sweep never started writing"
        proc.send_signal(signal.SIGQUIT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = err.decode()
    assert proc.returncode == 128 + signal.SIGQUIT, (proc.returncode, text)
    assert list(tmp_path.iterdir()) == []  # no temp file, no partial output, no core file
    # the run's assumption notes come first (written before the rows); then one line
    lines = [ln for ln in text.splitlines() if ln.strip()]
    after = [ln for ln in lines if not ln.startswith("note: ")]
    assert after == [lines[-1]], text
    assert lines[-1].startswith("costmodel: ") and "SIGQUIT" in lines[-1], text
    assert "Traceback" not in text
