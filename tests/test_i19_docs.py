"""Issue 19, items 8, 12 and 13: what a user reads resolves, the docs match the code, and the
README sets up a virtual environment before it installs anything.

The truth these tests check against is independent of the code that writes the outputs: the
repository's own file tree (a path a user is told about must exist in it), Python's import
system and ``inspect`` (a module, function or flag a doc names must be importable or
accepted), and the README's own text (the order of its commands).
"""

from __future__ import annotations

import importlib
import re
import shlex
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "costmodel"

# --------------------------------------------------------------------------------------
# Item 8: every path a user sees resolves inside the repository, and nothing names shared/
# --------------------------------------------------------------------------------------

#: first components of paths relative to the repository root
TOP = ("costmodel", "docs", "presets", "scripts", "tests", "benchmarks", "examples", ".ci")
#: subpackages, which the docs also name relative to ``costmodel/``
SUB = tuple(p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists())
#: the team's private folder, and the design notes kept there: never shipped
PRIVATE = re.compile(r"\bshared/|\bDESIGN\.md\b|\bSTYLE\.md\b")
_URL = re.compile(
    r"(?:https?://|www\.)\S+"  # a URL
    r"|\b[\w.-]+\.(?:com|org|io|net|gov|ai|dev|edu)/\S*"  # a host and its path,
    r"(?: [\w./*-]+/[\w./*-]+\.\w+\b)?"  # and a file in it: "github.com/o/r docs/x.md"
    r"|\b[\w-]+/[\w.-]+ [\w./*-]+\.\w+\b"  # "owner/repo path/in/it.md": a GitHub file
)
_TOP_RX = "|".join(map(re.escape, TOP))
_SUB_RX = "|".join(SUB)
_ROOTED = re.compile(rf"(?<![\w./-])((?:{_TOP_RX})/[\w./*-]*[\w*])")
_RELATIVE = re.compile(rf"(?<![\w./-])((?:{_SUB_RX})/[\w./*-]*\.(?:py|toml|md|csv|json))\b")
_BARE_MD = re.compile(r"(?<![\w./-])([A-Za-z][\w-]*\.md)\b")


def _exists(path: str) -> bool:
    path = path.rstrip(".")
    for base in (ROOT, PKG):
        if any(ch in path for ch in "*?["):
            if next(iter(base.glob(path)), None) is not None:
                return True
        elif (base / path).exists():
            return True
    return False


def missing_paths(text: str, here: Path = ROOT) -> list[str]:
    """Repository paths in ``text`` that do not exist, and any mention of the private
    folder (``shared/``, DESIGN.md, STYLE.md). A bare ``name.md`` resolves at the root, in
    docs/, or (a link in a doc) next to the doc, ``here``."""
    bad = [m.group(0) for m in PRIVATE.finditer(text)]
    text = _URL.sub(" ", text)
    for rx in (_ROOTED, _RELATIVE):
        bad += [m.group(1) for m in rx.finditer(text) if not _exists(m.group(1))]
    for m in _BARE_MD.finditer(text):
        name = m.group(1)
        if not any((d / name).exists() for d in (ROOT, ROOT / "docs", here)):
            bad.append(name)
    return sorted(set(bad))


def test_the_scanner_finds_what_it_should():
    # independent truth: a made-up path, the private folder, and paths that do exist
    assert missing_paths("see shared/reference/x.md") == ["shared/"]
    assert missing_paths("costmodel/nothing_here.py and docs/methodology.md") == [
        "costmodel/nothing_here.py"
    ]
    assert missing_paths("`formulas/flops.py`, `formulas/gone.py`") == ["formulas/gone.py"]
    assert missing_paths("the public API (DESIGN.md)") == ["DESIGN.md"]
    assert missing_paths("https://github.com/x/y/blob/main/docs/none.md") == []
    assert missing_paths("presets/claims/*.toml, README.md, docs/methodology.md") == []
    assert missing_paths("meta-llama/llama MODEL_CARD.md, karpathy/llm.c scripts/x.sh") == []
    assert missing_paths("(github.com/jax-ml/jax docs/pallas/tpu/matmul.ipynb)") == []
    assert missing_paths("as in hardware.md s6") == ["hardware.md"]


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def _preset_files():
    return sorted((ROOT / "presets").rglob("*.toml"))


@pytest.mark.parametrize("path", _preset_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_preset_strings_cite_nothing_missing(path):
    data = tomllib.loads(path.read_text())
    bad = [(s[:80], missing_paths(s)) for s in _strings(data) if missing_paths(s)]
    assert bad == []


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_cite_nothing_missing(path):
    assert missing_paths(path.read_text(), path.parent) == []


def _claim_ids():
    return sorted(p.stem for p in (ROOT / "presets" / "claims").glob("*.toml"))


@pytest.mark.parametrize("claim", _claim_ids())
def test_check_outputs_cite_nothing_missing(invoke, tmp_path, claim):
    html = tmp_path / "c.html"
    text = invoke("check", claim, "--verbose", "--html", html)
    assert text.code == 0, text.err
    js = invoke("check", claim, "--json")
    assert js.code == 0, js.err
    for name, out in (("text", text.out), ("json", js.out), ("html", html.read_text())):
        assert missing_paths(out) == [], (claim, name)


def test_estimate_perf_sensitivity_outputs_cite_nothing_missing(invoke, tmp_path):
    runs = {
        "estimate": ["estimate", "--run", "deepseek-v3", "--samples", "2000"],
        "estimate mfu model": ["estimate", "--run", "deepseek-v3", "--mfu", "model"],
        "perf": ["perf", "--run", "deepseek-v3", "--gpu", "h800-sxm"],
        "sensitivity": ["sensitivity", "--run", "deepseek-v3", "--samples", "128"],
        "gpus": ["gpus", "h200-sxm"],
        "export-control": ["export-control", "h800-sxm"],
    }
    for name, args in runs.items():
        outs = {}
        for fmt in ("table", "json"):
            r = invoke(*args, "--format", fmt)
            assert r.code == 0, (name, fmt, r.err)
            outs[fmt] = r.out
        if name in ("estimate", "sensitivity"):
            page = tmp_path / f"{name}.html"
            r = invoke(*args, "--html", page)
            assert r.code == 0, (name, r.err)
            outs["html"] = page.read_text()
        for fmt, out in outs.items():
            assert missing_paths(out) == [], (name, fmt)


# --------------------------------------------------------------------------------------
# Item 12: each hand-written doc names only modules, functions, commands and flags that exist
# --------------------------------------------------------------------------------------

HAND_WRITTEN = [
    "architecture.md",
    "methodology.md",
    *(f"sources/{p.name}" for p in sorted((ROOT / "docs" / "sources").glob("*.md"))),
]


def _code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


@cache
def _commands():
    from costmodel.cli import cli

    return {name: cli.get_command(None, name) for name in cli.list_commands(None)}  # type: ignore[arg-type]


def _flags(cmd) -> set[str]:
    import click

    out = {"--help", "-h"}
    stack = [cmd]
    while stack:
        c = stack.pop()
        for p in c.params:
            if isinstance(p, click.Option):
                out.update(p.opts)
                out.update(p.secondary_opts)
        if isinstance(c, click.Group):
            stack.extend(c.commands.values())
    return out


def _command_problems(span: str) -> list[str]:
    """A ``costmodel …`` command line in a doc: its command exists and takes its flags."""
    words = shlex.split(span)
    if not words or words[0] != "costmodel" or len(words) < 2:
        return []
    cmds = _commands()
    if words[1].startswith("-"):
        return []
    if words[1] not in cmds:
        return [f"no command {words[1]!r}"]
    flags = _flags(cmds[words[1]])
    return [
        f"{words[1]} has no flag {w.split('=')[0]}"
        for w in words[2:]
        if w.startswith("--") and w.split("=")[0] not in flags
    ]


def _dotted_problems(span: str) -> list[str]:
    """``costmodel.x.y`` or ``module.py``'s ``Name``: importable, attribute present."""
    m = re.fullmatch(r"(costmodel(?:\.\w+)+)(?:\(.*\))?", span)
    if not m:
        return []
    parts = m.group(1).split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return [f"{m.group(1)}: no {attr}"]
            obj = getattr(obj, attr)
        return []
    return [f"cannot import {m.group(1)}"]


def _module_of(path: str) -> Path | None:
    for base in (PKG, ROOT):
        p = base / path
        if p.suffix == ".py" and p.exists():
            return p
    return None


def _qualified_problems(text: str) -> list[str]:
    """``Name`` in ``module.py`` (``module.py``'s ``Name``, ``Class.method``): where a doc says
    a name lives in a module, the module defines it."""
    bad = []
    pat = re.compile(
        r"`((?:[\w]+/)*\w+\.py)`(?:'s|,) `([A-Z_a-z][\w.]*)`(?!')"
        r"|`([A-Z_a-z][\w.]*)`\s+in\s+`((?:\w+/)*\w+\.py)`"
    )
    for m in pat.finditer(text):
        path, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        mod = _module_of(path) or next(iter(PKG.rglob(Path(path).name)), None)
        if mod is None or name.endswith((".py", ".toml")) or "/" in name:
            continue
        src = mod.read_text()
        first = name.split(".")[0]
        if not re.search(rf"^\s*(?:def|class)\s+{first}\b|^{first}\s*[:=]", src, flags=re.M):
            bad.append(f"{path} has no {name}")
    return bad


@pytest.mark.parametrize("doc", HAND_WRITTEN)
def test_hand_written_doc_names_what_exists(doc):
    text = (ROOT / "docs" / doc).read_text()
    bad = missing_paths(text, (ROOT / "docs" / doc).parent)
    for span in _code_spans(text):
        bad += _command_problems(span)
        bad += _dotted_problems(span)
    bad += _qualified_problems(text)
    # fenced shell blocks run the same check line by line
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            bad += _command_problems(line.strip())
    assert bad == []


def test_architecture_names_every_module_and_subpackage():
    """Every module of the package appears in the layer table, and every subpackage is a
    row: the doc describes the code as it is, not an older layout."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    missing = []
    for py in sorted(PKG.rglob("*.py")):
        rel = py.relative_to(PKG)
        if py.name == "__init__.py" and len(rel.parts) > 1:
            if f"`{rel.parts[0]}/`" not in text:
                missing.append(f"{rel.parts[0]}/")
            continue
        if py.name in ("__init__.py", "__main__.py") or "schemas" in rel.parts:
            continue
        if f"`{py.name}`" not in text and f"`{rel.as_posix()}`" not in text:
            missing.append(rel.as_posix())
    assert missing == []


def test_architecture_layer_table_matches_the_layer_test():
    """The table's order of folders is the one ``tests/test_layers.py`` enforces."""
    from . import test_layers

    text = (ROOT / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| (\d+) \| `?(\w+)/?`? ", text, flags=re.M)
    doc_order = [name for _, name in rows if (PKG / name).is_dir()]
    code_order = [n for n in test_layers.LAYERS if (PKG / n).is_dir()]
    assert doc_order == code_order


def test_methodology_names_what_exists():
    """The modules, functions and flags docs/methodology.md names exist (a second, explicit
    list for the ones §1-§8 rest on)."""
    text = (ROOT / "docs" / "methodology.md").read_text()
    for mod in re.findall(r"`((?:costmodel/)?(?:\w+/)+\w+\.py)`", text):
        assert _module_of(mod) is not None, mod


# --------------------------------------------------------------------------------------
# Item 13: the README sets up a virtual environment before the first install, and says to
# install extras together
# --------------------------------------------------------------------------------------


def _readme():
    return (ROOT / "README.md").read_text()


def _ci_readme_cmd(pattern: str) -> str:
    """What .ci/run's awk takes from the README: the matching line of the first ``sh`` block."""
    import subprocess

    ci = (ROOT / ".ci" / "run").read_text()
    awk = re.search(r"awk -v pat=\"\$1\" '([^']*)' README.md", ci)
    assert awk, "the README extraction in .ci/run changed"
    r = subprocess.run(
        ["awk", "-v", f"pat={pattern}", awk.group(1), "README.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return r.stdout.strip()


def test_ci_still_finds_both_set_up_commands():
    assert _ci_readme_cmd("costmodel check") == (
        "python -m pip install . && costmodel check deepseek-v3"
    )
    test_cmd = _ci_readme_cmd("pytest")
    assert "pip install -e" in test_cmd and test_cmd.endswith("python -m pytest")


def test_venv_comes_before_the_first_install():
    text = _readme()
    venv = text.find("python3 -m venv")
    install = text.find("pip install")
    assert venv != -1 and venv < install, "the README installs before it creates a venv"


def test_extras_are_installed_together():
    text = _readme()
    i = text.find('".[test,plot]"')
    assert i != -1, "the README does not show the extras installed together"
    para = text[max(0, i - 400) : i + 600]
    assert re.search(r"together|one install command", para)
    assert "replace" in para  # and says what a second install does to the editable one


def test_package_source_and_docstrings_never_point_into_shared():
    """What help() shows a library user must resolve too (issue 19, item 8)."""
    bad = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sorted((ROOT / "costmodel").rglob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "shared/" in line or "DESIGN.md" in line or "mfu_layouts.md" in line
    ]
    assert not bad, bad
