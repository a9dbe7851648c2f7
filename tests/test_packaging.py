"""The wheel ships the presets; the installed CLI runs from outside the repository."""

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # --no-build-isolation: hatchling comes from the test extra, so no network is needed
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (whl,) = out.glob("costmodel_ai-*.whl")
    return whl


def test_wheel_contains_every_preset(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    presets = sorted(
        p.relative_to(ROOT / "presets").as_posix() for p in (ROOT / "presets").rglob("*.toml")
    )
    assert presets, "no presets found in the checkout"
    missing = [p for p in presets if f"costmodel/presets/{p}" not in names]
    assert not missing
    assert "costmodel/py.typed" in names


def test_installed_cli_runs_outside_repo(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    # install the wheel into the fresh venv; numpy/pydantic/click come from the outer env
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COSTMODEL_PRESETS")}
    where = subprocess.run(
        [str(py), "-c", "import costmodel; print(costmodel.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in where.stdout, "imported the checkout, not the wheel"
    r = subprocess.run(
        [
            str(env_dir / "bin" / "costmodel"),
            "estimate",
            "--run",
            "deepseek-v3",
            "--flop-convention",
            "megatron",
            "--json",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert '"flop_convention": "megatron"' in r.stdout


def test_point_estimate_imports_no_scipy_matplotlib_pandas():
    code = (
        "import sys; from costmodel.cli import cli;"
        "rc = cli.main(['estimate', '--active-params', '37B', '--tokens', '14.8T', '--gpu',"
        " 'h800-sxm', '--precision', 'bf16', '--mfu', '0.35', '--price-usd-per-gpu-hour', '2'],"
        " standalone_mode=False);"
        "heavy = [m for m in ('scipy', 'matplotlib', 'pandas') if m in sys.modules];"
        "print('HEAVY', heavy); assert rc == 0"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout
