"""Type annotations of ``costmodel.claims``: every function is annotated, the annotations
name real types, and they describe what ``costmodel.check`` actually passes.

The last test is the independent one: it runs every claim preset through ``check`` with the
module's helpers wrapped, and checks each argument and return value against the helper's
own annotations at run time (a wrong annotation, say ``hours: float`` where ``None`` is
passed, fails it).
"""

from __future__ import annotations

import ast
import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from costmodel.claims import check as check_mod
from costmodel.claims import compare, consistency, export_control, facts, implied, ledger
from costmodel.data import store
from costmodel.data.schemas import Accelerator, ClaimPreset, RunPreset
from costmodel.formulas.architecture import Architecture
from costmodel.model.prior_fit import FitRow

CLAIMS = Path(__file__).resolve().parent.parent / "costmodel" / "claims"
#: names the modules import for type checking only
TYPE_NAMES = {
    "Accelerator": Accelerator,
    "ClaimPreset": ClaimPreset,
    "RunPreset": RunPreset,
    "Architecture": Architecture,
    "FitRow": FitRow,
}


def _functions(tree: ast.AST) -> Iterable[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


@pytest.mark.parametrize("path", sorted(CLAIMS.glob("*.py")), ids=lambda p: p.name)
def test_every_function_is_annotated(path):
    missing = []
    for fn in _functions(ast.parse(path.read_text())):
        a = fn.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
        for p in params:
            if p is not None and p.arg not in ("self", "cls") and p.annotation is None:
                missing.append(f"{fn.name}({p.arg}) line {fn.lineno}")
        if fn.returns is None:
            missing.append(f"{fn.name} -> ? line {fn.lineno}")
    assert not missing, missing


_MODULES = (check_mod, compare, consistency, export_control, facts, implied, ledger)


def _hints(fn: Callable) -> dict[str, typing.Any]:
    return typing.get_type_hints(fn, localns=TYPE_NAMES)


@pytest.mark.parametrize(
    "fn",
    [
        f
        for m in _MODULES
        for _, f in inspect.getmembers(m, inspect.isfunction)
        if f.__module__ == m.__name__
    ],
    ids=lambda f: f"{f.__module__.rsplit('.', 1)[1]}.{f.__name__}",
)
def test_annotations_name_real_types(fn):
    hints = _hints(fn)  # raises NameError for a misspelt or missing type
    params = [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]
    assert set(params) <= set(hints) and "return" in hints


def _conforms(value: typing.Any, tp: typing.Any) -> bool:
    """``value`` is of type ``tp`` (unions, Optional, builtin and abstract generics checked
    by their origin and, for flat containers, their items; ``float`` accepts ``int`` and
    numpy scalars, as the type checker's numeric tower does)."""
    if tp is typing.Any:
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(_conforms(value, t) for t in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, int | float | np.floating | np.integer) and not isinstance(
            value, bool
        )
    if tp is int:
        return isinstance(value, int | np.integer) and not isinstance(value, bool)
    if origin is None:
        return isinstance(value, tp)
    if not isinstance(value, origin):
        return False
    args = typing.get_args(tp)
    if origin in (list, Sequence) and args and not isinstance(value, str):
        return all(_conforms(x, args[0]) for x in value)
    if origin in (dict, Mapping) and len(args) == 2:
        return all(_conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items())
    if origin is tuple and args and args[-1] is not Ellipsis and len(args) == len(value):
        return all(_conforms(x, t) for x, t in zip(value, args, strict=True))
    return True


#: the helpers ``check`` calls, by the name it imported them under
CHECKED = (
    "comparison",
    "decomposition",
    "history",
    "check_row",
    "consistency",
    "resolve",
    "implied",
    "hardware",
    "ledger",
    "_why_not_analysed",
)


@pytest.mark.parametrize("claim", store.ids("claims"))
def test_check_passes_what_the_annotations_say(claim, monkeypatch):
    seen: list[str] = []

    def wrap(fn: Callable) -> Callable:
        hints = _hints(fn)
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            for name, value in bound.arguments.items():
                assert _conforms(value, hints[name]), (fn.__name__, name, value, hints[name])
            out = fn(*args, **kwargs)
            assert _conforms(out, hints["return"]), (fn.__name__, "return", out)
            seen.append(fn.__name__)
            return out

        return checked

    for name in CHECKED:
        monkeypatch.setattr(check_mod, name, wrap(getattr(check_mod, name)))
    check_mod.check(claim, samples=1000)
    assert {"resolve", "ledger", "hardware", "consistency"} <= set(seen)
