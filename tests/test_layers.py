"""The package's layers (docs/architecture.md): imports only go down, and no module imports
itself back through a chain. Every import is counted, including relative ones and the lazy
ones inside functions, because a lazy import still ties the two modules together."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "costmodel"

# Bottom to top; a module may import its own layer (no cycles) and any layer below it.
# "root" is costmodel/errors.py, io.py, _version.py; "top" is costmodel/__init__.py and
# __main__.py. perf (the performance model) sits above model and below the analyses.
LAYERS = ["root", "formulas", "data", "render", "model", "perf", "analysis", "claims", "cli", "top"]
TOP_MODULES = {"costmodel", "costmodel.__main__"}
MAX_LINES = 400


def layer_of(module: str) -> str:
    """Layer of a dotted module name under costmodel, from its folder."""
    if module in TOP_MODULES:
        return "top"
    parts = module.split(".")
    if len(parts) > 2 and parts[1] in LAYERS:
        return parts[1]
    if len(parts) == 2 and parts[1] in LAYERS:  # a layer package's own __init__
        return parts[1]
    if len(parts) == 2:
        return "root"
    raise AssertionError(f"{module}: its folder {parts[1]!r} is not a known layer {LAYERS}")


def _module_files() -> dict[str, Path]:
    mods = {}
    for f in sorted(PKG.rglob("*.py")):
        parts = list(f.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    return mods


def import_graph() -> dict[str, set[str]]:
    """module -> costmodel modules it imports (anywhere in the file)."""
    mods = _module_files()
    graph: dict[str, set[str]] = {}
    for name, f in mods.items():
        package = name if f.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(node, ast.Import):
                bases = [a.name for a in node.names]
                subs: list[str] = []
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    bases = [".".join(base + ([node.module] if node.module else []))]
                else:
                    bases = [node.module or ""]
                subs = [f"{bases[0]}.{a.name}" for a in node.names]
            else:
                continue
            for t in bases + subs:
                if t in mods and t != name:
                    targets.add(t)
                elif t.startswith("costmodel") and t not in mods and t not in subs:
                    raise AssertionError(f"{name} imports {t}, which is not a module")
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        path.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return path[path.index(m) :] + [m]
            if m not in state and (c := visit(m)):
                return c
        path.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (c := visit(n)):
            return c
    return None


def upward_imports(graph: dict[str, set[str]], layer=layer_of) -> list[str]:
    """Every import from a lower layer into a higher one, as readable lines."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    return [
        f"{a} (layer {layer(a)}) imports {b} (layer {layer(b)})"
        for a in sorted(graph)
        for b in sorted(graph[a])
        if rank[layer(b)] > rank[layer(a)]
    ]


def test_checker_detects_a_cycle_and_an_upward_import():
    g = {
        "costmodel.formulas.a": {"costmodel.formulas.b"},
        "costmodel.formulas.b": {"costmodel.model.c"},
        "costmodel.model.c": {"costmodel.formulas.a"},
        "costmodel.render.d": set(),
    }
    assert find_cycle(g) == [
        "costmodel.formulas.a",
        "costmodel.formulas.b",
        "costmodel.model.c",
        "costmodel.formulas.a",
    ]
    assert upward_imports(g) == [
        "costmodel.formulas.b (layer formulas) imports costmodel.model.c (layer model)"
    ]
    g["costmodel.model.c"] = {"costmodel.render.d"}
    assert find_cycle(g) is None and len(upward_imports(g)) == 1
    assert layer_of("costmodel.errors") == "root" and layer_of("costmodel") == "top"
    assert layer_of("costmodel.perf.step") == "perf"


def test_checker_reads_relative_and_lazy_imports():
    g = import_graph()
    # relative, module-level: `from ..formulas import cost` in claims/ledger.py
    assert "costmodel.formulas.cost" in g["costmodel.claims.ledger"]
    # lazy, inside a method: Estimate.plot imports render.plots
    assert "costmodel.render.plots" in g["costmodel.model.estimate_result"]
    # relative to a package's __init__: `from .base import ...` in data/schemas/priors.py
    assert "costmodel.data.schemas.base" in g["costmodel.data.schemas.priors"]


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_imports_only_go_down_the_layers():
    bad = upward_imports(import_graph())
    assert not bad, "upward imports (see docs/architecture.md):\n" + "\n".join(bad)


def _long_modules() -> list[str]:
    out = []
    for f in _module_files().values():
        n = len(f.read_text().splitlines())
        if n > MAX_LINES:
            out.append(f"{f.relative_to(PKG.parent)}: {n} lines")
    return out


def test_no_module_over_400_lines():
    long = _long_modules()
    print(f"modules over {MAX_LINES} lines:", *long, sep="\n  ")
    assert not long, f"modules over {MAX_LINES} lines: " + "; ".join(long)
