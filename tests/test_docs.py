"""Generated documentation stays in sync with the code."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_readme_generated_blocks_are_current():
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_cli_reference_has_not_drifted():
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_cli_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_every_command_is_documented():
    from costmodel.cli import cli

    text = (ROOT / "docs" / "cli.md").read_text()
    for name in cli.list_commands(None):
        assert f"## costmodel {name}" in text


def _blocks(lang):
    import re

    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = _blocks("python")
    assert blocks
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})


def test_readme_shell_commands_run(tmp_path, monkeypatch, invoke):
    import shlex

    monkeypatch.chdir(tmp_path)
    ran = 0
    for block in _blocks("sh"):
        for line in block.splitlines():
            line = line.strip()
            if not line.startswith("costmodel "):
                continue  # the set-up commands (pip) are exercised by .ci/run
            args = shlex.split(line)[1:]
            if "--plot" in args:
                pytest.importorskip("matplotlib")
            r = invoke(*args)
            assert r.code == 0, (line, r.err)
            ran += 1
    assert ran >= 5


def test_methodology_covers_every_convention_and_reference():
    text = (ROOT / "docs" / "methodology.md").read_text()
    for needle in (
        "6nd",
        "megatron",
        "palm",
        "narayanan2021",
        "2001.08361",
        "2203.15556",
        "2104.04473",
        "2204.02311",
        "2205.05198",
        "2405.21015",
        "2505.09343",
        "Saltelli",
        "Jansen",
        "TPP",
        "performance density",
        "ownership",
    ):
        assert needle in text, needle
