"""CLI: exit codes, one-line errors, JSON schema, atomic output."""

import json

import pytest

import costmodel

from .cli_args import V3_BF16

#: the issue's done-means scenario (MFU 35%, $2 per GPU-hour, 2,048 GPUs)
V3 = [*V3_BF16, "--mfu", "0.35", "--price-usd-per-gpu-hour", "2", "--n-gpus", "2048"]


def test_done_means_numbers(invoke):
    r = invoke("estimate", *V3, "--json")
    assert r.code == 0, r.err
    d = r.json()
    # hand arithmetic in tests/test_estimate.py::test_deepseek_6nd_by_hand
    assert d["model_flop"] == pytest.approx(3.2856e24)
    assert d["gpu_hours"] == pytest.approx(2.636e6, rel=5e-4)
    assert d["cost_usd"] == pytest.approx(5.27e6, rel=1e-3)
    assert d["wall_clock_days"] == pytest.approx(53.6, rel=1e-3)


def test_run_megatron(invoke):
    r = invoke("estimate", "--run", "deepseek-v3", "--flop-convention", "megatron", "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["model_flop"] / d["inputs"]["tokens"] == pytest.approx(250e9, rel=0.005)
    assert d["flop_convention"] == "megatron"
    r2 = invoke(
        "estimate", "--run", "deepseek-v3", "--flop-convention", "megatron", "--mtp", "--json"
    )
    assert r2.json()["model_flop"] > d["model_flop"]


def test_table_output_is_readable(invoke):
    r = invoke("estimate", *V3)
    assert r.code == 0
    assert "GPU-hours" in r.out and "2.636M" in r.out and "$5.271M" in r.out


def test_version(invoke):
    r = invoke("--version")
    assert r.code == 0 and costmodel.__version__ in r.out


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--tokens", "-5T"], "tokens: -5T is outside the allowed range"),
        (["--tokens", "0"], "tokens: 0 is outside"),
        (["--tokens", "nan"], "tokens: cannot read 'nan'"),
        (["--tokens", "inf"], "tokens: cannot read 'inf'"),
        (["--tokens", "14.8X"], "tokens: cannot read '14.8X'"),
        (["--mfu", "1.5"], "mfu: 1.5 is outside the allowed range (0, 1]"),
        (["--mfu", "0"], "mfu: 0 is outside"),
        (["--gpu", "h800"], None),  # alias: fine
        (["--gpu", "h800-sx"], "did you mean h800-sxm"),
        (["--precision", "fp9"], "precision: 'fp9' is not one of"),
        (["--gpu", "a100-sxm4-80gb", "--precision", "fp8"], "no published dense fp8 peak"),
        (["--run", "deepseek-v2.5"], "unknown run 'deepseek-v2.5'"),
        (["--flop-convention", "kaplan"], "Invalid value for '--flop-convention'"),
        (["--n-gpus", "-3"], "n_gpus: -3 is outside"),
    ],
)
def test_bad_input_one_line_exit_2(invoke, args, needle):
    base = dict(zip(V3[::2], V3[1::2], strict=True))
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    r = invoke("estimate", *[x for kv in base.items() for x in kv])
    if needle is None:
        assert r.code == 0, r.err
        return
    assert r.code == 2, (r.code, r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("costmodel: error: ")
    assert needle in lines[0]
    assert "Traceback" not in r.err


def test_debug_shows_traceback(invoke):
    r = invoke("--debug", "estimate", *V3[:-2], "--n-gpus", "-1")
    assert r.code != 0 and r.result.exception is not None


def test_output_file_atomic(invoke, tmp_path):
    out = tmp_path / "est.json"
    r = invoke("estimate", *V3, "--json", "-o", out)
    assert r.code == 0 and json.loads(out.read_text())["schema"] == "costmodel.estimate/1"
    assert "wrote" in r.err and r.out == ""
    assert [p.name for p in tmp_path.iterdir()] == ["est.json"]  # no temp files left


def test_output_to_missing_directory(invoke, tmp_path):
    r = invoke("estimate", *V3, "-o", tmp_path / "nope" / "x.json")
    assert r.code == 2 and "does not exist" in r.err


def test_csv_output(invoke):
    r = invoke("estimate", *V3, "--format", "csv")
    header, row = r.out.strip().splitlines()
    assert "gpu_hours" in header.split(",")


def test_gpus_list_and_show(invoke):
    r = invoke("gpus")
    assert r.code == 0 and "h800-sxm" in r.out and "tpu-v6e" in r.out
    r = invoke("gpus", "h800-sxm", "--json")
    d = r.json()
    assert d["interconnect_gb_per_s"] == 400 and "2505.09343" in d["source"]
    assert invoke("gpus", "h8000").code == 2


def test_every_command_help_has_example(invoke):
    from costmodel.cli import cli

    for name in cli.list_commands(None):
        r = invoke(name, "--help")
        assert r.code == 0 and "Example" in r.out, name
