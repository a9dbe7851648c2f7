"""Corrupted presets, user overrides, interrupted writes, numeric extremes."""

import os
import shutil
from pathlib import Path

import pytest

import costmodel
from costmodel.errors import InputError
from costmodel.io import atomic_writer

from .cli_args import V3_BF16

ROOT = Path(__file__).resolve().parent.parent
H800 = (ROOT / "presets" / "accelerators" / "h800-sxm.toml").read_text()

CORRUPTIONS = {
    "missing source": (
        H800.replace('\nsource = "', '\nsauce = "', 1),
        ["source: required key is missing", "sauce: unknown key"],
    ),
    "unknown key": ("foo = 1\n" + H800, ["foo: unknown key"]),
    "wrong type": (
        H800.replace("tdp_w = 700", 'tdp_w = "seven hundred"'),
        ["tdp_w: Input should be a valid number"],
    ),
    "negative peak": (
        H800.replace("bf16 = 989.4", "bf16 = -989.4"),
        ["peak_dense_tflop_per_s", "must be a positive finite number"],
    ),
    "bad toml": (H800.replace('vendor = "NVIDIA"', "vendor = NVIDIA"), ["not valid TOML"]),
}


def _user_dir(tmp_path, name, text):
    d = tmp_path / "user"
    (d / "accelerators").mkdir(parents=True)
    (d / "accelerators" / name).write_text(text)
    return d


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupted_preset_names_file_key_problem(kind, tmp_path, invoke):
    text, needles = CORRUPTIONS[kind]
    d = _user_dir(tmp_path, "h800-sxm.toml", text)
    r = invoke("--presets", d, "gpus")
    assert r.code == 2, r.out
    assert len(r.err.strip().splitlines()) == 1
    assert str(d / "accelerators" / "h800-sxm.toml") in r.err
    for n in needles:
        assert n in r.err, r.err


def test_duplicate_id_in_one_directory(tmp_path, invoke):
    d = _user_dir(tmp_path, "a.toml", H800)
    (d / "accelerators" / "b.toml").write_text(H800)
    r = invoke("--presets", d, "gpus")
    assert r.code == 2 and "duplicate id 'h800-sxm'" in r.err and "a.toml" in r.err


def test_alias_collision(tmp_path, invoke):
    d = _user_dir(tmp_path, "mine.toml", H800.replace('id = "h800-sxm"', 'id = "my-h800"'))
    r = invoke("--presets", d, "gpus")
    assert r.code == 2 and "aliases: 'h800' is already" in r.err


def test_user_preset_overrides_with_a_note(tmp_path, invoke):
    d = _user_dir(tmp_path, "h800-sxm.toml", H800.replace("bf16 = 989.4", "bf16 = 865"))
    args = [
        "estimate",
        *V3_BF16,
        "--mfu",
        "0.35",
        "--json",
    ]
    r = invoke("--presets", d, *args)
    assert r.code == 0, r.err
    assert "overrides" in r.err and str(d) in r.err
    assert r.json()["peak_flop_per_s"] == 865e12  # DeepSeek's throttled practical peak
    r = invoke(*args, env={"COSTMODEL_PRESETS": str(d)})
    assert r.json()["peak_flop_per_s"] == 865e12 and "overrides" in r.err


def test_user_preset_adds_an_accelerator(tmp_path, invoke):
    d = _user_dir(
        tmp_path,
        "rtx-4090.toml",
        H800.replace('id = "h800-sxm"', 'id = "rtx-4090"').replace(
            'aliases = ["h800", "h800-sxm5", "h800-sxm5-80gb"]', "aliases = []"
        ),
    )
    r = invoke("--presets", d, "gpus", "rtx-4090")
    assert r.code == 0 and "added from" in r.err


def test_missing_presets_directory(invoke, tmp_path):
    r = invoke("--presets", tmp_path / "nope", "gpus")
    assert r.code == 2 and "is not a directory" in r.err


def test_interrupted_write_leaves_old_file(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old content")

    def half_then_fail(f):
        f.write("new partial content")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_writer(target, half_then_fail)
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_interrupted_sweep_leaves_no_file(tmp_path):
    from costmodel.analysis.sweeping import parse_grid, write_sweep

    calls = []

    def stop(n):
        calls.append(n)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_sweep(
            tmp_path / "s.csv",
            parse_grid(["mfu=0.1:0.9:100000"]),
            progress=stop,
            active_params=1e9,
            tokens=1e12,
            gpu="h100-sxm",
            chunk_rows=1000,
        )
    assert calls and not list(tmp_path.iterdir())


def test_written_files_have_normal_permissions(tmp_path):
    atomic_writer(tmp_path / "x.txt", lambda f: f.write("x"))
    mode = (tmp_path / "x.txt").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_numeric_extremes_are_finite_and_correct():
    # 1e30 FLOP: 6 × 1e12 × 1.6667e17
    e = costmodel.estimate(active_params=1e12, tokens=1e30 / 6e12, gpu="h100-sxm", mfu=0.4)
    assert e.model_flop == pytest.approx(1e30)
    assert e.gpu_hours == pytest.approx(1e30 / (989.4e12 * 0.4 * 3600))
    one = costmodel.estimate(active_params=7e9, tokens=1, gpu="h100-sxm", mfu=0.4)
    assert one.model_flop == 42e9 and one.gpu_hours == pytest.approx(42e9 / (989.4e12 * 0.4 * 3600))
    tiny = costmodel.estimate(active_params=7e9, tokens=1e12, gpu="h100-sxm", mfu=1e-6)
    assert tiny.gpu_hours == pytest.approx(42e21 / (989.4e12 * 1e-6 * 3600))


def test_overflow_is_a_clear_error():
    with pytest.raises(InputError, match="model_flop: the inputs give a value beyond"):
        costmodel.estimate(active_params=1e300, tokens=1e300, gpu="h100-sxm", mfu=0.4)


def test_builtin_presets_untouched_by_user_dirs(tmp_path):
    d = _user_dir(tmp_path, "h800-sxm.toml", H800.replace("bf16 = 989.4", "bf16 = 865"))
    from costmodel.data import store

    store.set_user_dirs([d])
    assert store.get("accelerators", "h800-sxm").peak_dense_tflop_per_s["bf16"] == 865
    store.set_user_dirs(None)
    assert store.get("accelerators", "h800-sxm").peak_dense_tflop_per_s["bf16"] == 989.4
    shutil.rmtree(d)
