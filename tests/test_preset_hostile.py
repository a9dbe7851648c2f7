"""Hostile preset files: each one is a one-line error naming the file and the key (issue 9,
item 25) — never a hang, a read without end, an internal error or a silent default."""

import os
import re
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from costmodel.data import store
from costmodel.errors import PresetError

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ROOT / "presets"
H800 = (PRESETS / "accelerators" / "h800-sxm.toml").read_text()


def _user(tmp_path, kind, name, data):
    d = tmp_path / "user"
    (d / kind).mkdir(parents=True, exist_ok=True)
    f = d / kind / name
    f.write_bytes(data if isinstance(data, bytes) else data.encode())
    return d, f


def _one_line_error(r, path, *needles):
    assert r.code == 2, (r.code, r.out[:200], r.err)
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert str(path) in r.err, r.err
    for n in needles:
        assert n in r.err, r.err


ALIASES = 'aliases = ["h800", "h800-sxm5", "h800-sxm5-80gb"]'
BAD_TEXT = {
    "non-utf8": (H800.encode().replace(b'"NVIDIA"', b'"NV\xff\xfeIDIA"'), ["not UTF-8", "line"]),
    "400 digits": (H800.replace("tdp_w = 700", "tdp_w = " + "9" * 400), ["tdp_w", "400 digits"]),
    "5000 digits": (
        H800.replace("tdp_w = 700", "tdp_w = " + "9" * 5000),
        ["tdp_w", "5,000 digits"],
    ),
    "nested 500": (
        H800.replace(ALIASES, "aliases = " + "[" * 500 + "]" * 500),
        ["aliases", "nested"],
    ),
    "inf tdp": (H800.replace("tdp_w = 700", "tdp_w = inf"), ["tdp_w", "finite"]),
    "nan peak": (H800.replace("bf16 = 989.4", "bf16 = nan"), ["bf16", "finite"]),
    "over 1 MiB": (H800 + "#" * (1 << 20) + "\n", ["larger than 1024 KiB"]),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
@pytest.mark.parametrize("cmd", [["gpus", "--json"], ["export-control", "h800-sxm", "--json"]])
def test_bad_preset_text(case, cmd, tmp_path, invoke):
    data, needles = BAD_TEXT[case]
    d, f = _user(tmp_path, "accelerators", "h800-sxm.toml", data)
    _one_line_error(invoke("--presets", d, *cmd), f, *needles)


# `key = number` anywhere (top-level, [table] or inline-table entries); dates are skipped
_NUMBER = re.compile(
    r"(?m)(?<![\w.\"-])([A-Za-z_][\w-]*)(\s*=\s*)([+-]?[0-9][0-9_.eE+-]*)(?=\s*[,}\n])"
)


def _numeric_fields():
    for path in sorted(PRESETS.glob("*/*.toml")):
        text = path.read_text()
        for m in _NUMBER.finditer(text):
            if text[text.rfind("\n", 0, m.start()) + 1 : m.start()].count('"') % 2:
                continue  # inside a string ("L = 95" in a note)
            try:
                float(m.group(3).replace("_", ""))
            except ValueError:  # a date such as 2024-12-27
                continue
            yield path, m


FIELDS = list(_numeric_fields())


def test_every_numeric_field_rejects_nan_and_inf(tmp_path):
    """Every number in every built-in preset, replaced by nan, inf or -inf, is refused with
    the file and the key named (the H100 was "not 3A090" under a `nan` threshold)."""
    assert len(FIELDS) > 300  # the scan found the catalog's numbers
    for path, m in FIELDS:
        for bad in ("nan", "inf", "-inf"):
            text = path.read_text()
            broken = text[: m.start(3)] + bad + text[m.end(3) :]
            tmp = tmp_path / path.name
            tmp.write_text(broken)
            with pytest.raises(PresetError) as e:
                store.read_file(tmp, path.parent.name)
            msg = str(e.value)
            assert m.group(1) in msg and str(tmp) in msg and "\n" not in msg, (path, m.group(), msg)


def test_rule_threshold_nan_is_an_error_not_a_silent_classification(tmp_path, invoke):
    rule = (PRESETS / "rules" / "bis-2023-10.toml").read_text()
    broken = re.sub(r"(?m)^value = 4800$", "value = nan", rule, count=1)
    assert broken != rule
    d, f = _user(tmp_path, "rules", "bis-2023-10.toml", broken)
    _one_line_error(invoke("--presets", d, "export-control", "h100-sxm"), f, "value", "finite")


def test_inf_tdp_never_reaches_json(tmp_path, invoke):
    d, f = _user(tmp_path, "accelerators", "h800-sxm.toml", H800.replace("700", "inf", 1))
    _one_line_error(invoke("--presets", d, "gpus", "h800-sxm", "--json"), f, "tdp_w")


def _limit_memory():  # a read of /dev/zero before the fix must not take the machine with it
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero")
@pytest.mark.parametrize("special", ["fifo", "dev-zero", "directory"])
def test_special_file_named_toml_is_refused_without_reading(special, tmp_path):
    d = tmp_path / "user"
    (d / "accelerators").mkdir(parents=True)
    f = d / "accelerators" / "x.toml"
    if special == "fifo":
        os.mkfifo(f)
    elif special == "dev-zero":
        f.symlink_to("/dev/zero")
    else:
        f.mkdir()
    try:
        r = subprocess.run(
            [sys.executable, "-m", "costmodel", "--presets", str(d), "gpus"],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"costmodel hung on a {special} named x.toml")
    assert r.returncode == 2, (r.returncode, r.stderr[-500:])
    assert str(f) in r.stderr and "not a regular file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert stat.S_ISFIFO(os.lstat(f).st_mode) if special == "fifo" else True


@pytest.mark.parametrize("how", ["a file", "a broken link", "permission denied"])
def test_unreadable_kind_folder_is_an_error(how, tmp_path, invoke, monkeypatch):
    d = tmp_path / "user"
    d.mkdir()
    folder = d / "accelerators"
    if how == "a file":
        folder.write_text("not a folder")
        needle = "is not a directory"
    elif how == "a broken link":
        folder.symlink_to(tmp_path / "gone")
        needle = "broken link"
    else:
        folder.mkdir()
        (folder / "h800-sxm.toml").write_text(H800)
        real = os.scandir

        def denied(p="."):
            if Path(p) == folder:
                raise PermissionError(13, "Permission denied", str(p))
            return real(p)

        monkeypatch.setattr(os, "scandir", denied)  # as root, chmod cannot deny a read
        needle = "Permission denied"
    r = invoke("--presets", d, "gpus")
    _one_line_error(r, folder, needle)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_kind_folder_by_mode(tmp_path, invoke):
    folder = tmp_path / "user" / "accelerators"
    folder.mkdir(parents=True)
    folder.chmod(0)
    try:
        _one_line_error(invoke("--presets", tmp_path / "user", "gpus"), folder, "Permission")
    finally:
        folder.chmod(0o755)


def test_run_naming_a_missing_gpu(tmp_path, invoke):
    run = (PRESETS / "runs" / "deepseek-v3.toml").read_text()
    run = run.replace('id = "deepseek-v3"', 'id = "my-run"').replace(
        'gpu = "h800-sxm"', 'gpu = "h999"'
    )
    d, f = _user(tmp_path, "runs", "my-run.toml", run)
    r = invoke("--presets", d, "estimate", "--run", "my-run", "--mfu", "0.3")
    _one_line_error(r, f, "gpu:", "h999")


def test_claim_naming_a_missing_run(tmp_path, invoke):
    claim = (PRESETS / "claims" / "deepseek-v3.toml").read_text()
    claim = claim.replace('id = "deepseek-v3"', 'id = "my-claim"').replace(
        'run = "deepseek-v3"', 'run = "no-such-run"'
    )
    d, f = _user(tmp_path, "claims", "my-claim.toml", claim)
    _one_line_error(invoke("--presets", d, "check", "my-claim"), f, "run:", "no-such-run")


def test_builtin_references_resolve():
    for kind, refs in store.REFERENCES.items():
        for entry in store.load(kind).values():
            for name, target in refs:
                ref = getattr(entry, name, None)
                if ref is not None:
                    store.resolve_id(target, ref)  # raises if missing
