"""Exception hierarchy.

Every error raised for bad input derives from :class:`CostModelError` and is mixed with the
builtin that fits, so ``except ValueError`` and ``except KeyError`` keep working. Messages
name the field, the bad value, the allowed range or choices, and the fix; the CLI prints
them as one line and exits with status 2.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from types import ModuleType

__all__ = [
    "CostModelError",
    "CostModelWarning",
    "InputError",
    "MissingInputError",
    "UnknownPresetError",
    "UnsupportedPrecisionError",
    "PresetError",
    "OptionalDependencyError",
    "close_matches",
    "arg",
    "cli_spelling",
    "require_pandas",
]


class CostModelError(Exception):
    """Base class of every error costmodel raises on purpose."""


class CostModelWarning(UserWarning):
    """A value costmodel accepts but doubts (a likely unit slip: ``tokens=15`` for 15T)."""


class InputError(ValueError, CostModelError):
    """An input value is outside its domain or malformed."""


class MissingInputError(InputError):
    """An input required for a requested output was not given."""


class UnsupportedPrecisionError(InputError):
    """The accelerator has no published dense peak at the requested precision."""


class PresetError(ValueError, CostModelError):
    """A preset file is malformed: bad TOML, unknown key, wrong type, missing source."""


class UnknownPresetError(KeyError, CostModelError):
    """No preset with that id (accelerator, run, claim, prior, price)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class OptionalDependencyError(ImportError, CostModelError):
    """A feature needs a package that is an optional extra (pandas, matplotlib)."""


#: True while the command-line interface runs: messages then name flags, not parameters.
_CLI_SPELLING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "costmodel_cli_spelling", default=False
)


def arg(name: str, value: str | None = None, py_value: str | None = None) -> str:
    """An input as the caller writes it: the Python parameter (``n_gpus``, with a value
    ``n_gpus=2048``) or, while the CLI runs, its flag (``--n-gpus``, ``--n-gpus 2048``).

    >>> arg("n_gpus"), arg("mfu", "0.25..0.45", "costmodel.dist.uniform(0.25, 0.45)")
    ('n_gpus', 'mfu=costmodel.dist.uniform(0.25, 0.45)')
    >>> with cli_spelling():
    ...     arg("n_gpus"), arg("mfu", "0.25..0.45")
    ('--n-gpus', '--mfu 0.25..0.45')
    """
    if _CLI_SPELLING.get():
        flag = "--" + name.replace("_", "-")
        return flag if value is None else f"{flag} {value}"
    v = py_value if py_value is not None else value
    return name if v is None else f"{name}={v}"


@contextlib.contextmanager
def cli_spelling() -> Iterator[None]:
    """Within this block, :func:`arg` spells inputs as CLI flags."""
    token = _CLI_SPELLING.set(True)
    try:
        yield
    finally:
        _CLI_SPELLING.reset(token)


def require_pandas(what: str = "to_pandas") -> ModuleType:
    """Import pandas, or raise :class:`OptionalDependencyError` naming the extra."""
    try:
        import pandas
    except ImportError:
        raise OptionalDependencyError(
            f'{what}: needs pandas, an optional extra: pip install "costmodel-ai[pandas]" '
            f"(or pip install pandas)"
        ) from None
    return pandas


def close_matches(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` choices that look like ``value`` (case-insensitive).

    >>> close_matches("h800", ["h800-sxm", "h800-pcie", "a100-sxm4-80gb"])
    ['h800-sxm', 'h800-pcie']
    """
    import difflib

    choices = list(choices)
    low = {c.lower(): c for c in choices}
    v = str(value).lower()
    found = [low[m] for m in difflib.get_close_matches(v, list(low), n=n, cutoff=0.5)]
    # prefix matches ("h800" -> "h800-sxm") are the commonest typo and difflib can miss them
    for c in choices:
        if len(found) >= n:
            break
        if c.lower().startswith(v) and c not in found and v:
            found.append(c)
    return found[:n]


def unknown(
    kind: str, value: str, choices: Iterable[str], also: Iterable[str] = ()
) -> UnknownPresetError:
    """Build an :class:`UnknownPresetError` with close matches and the list of choices.

    ``also`` (aliases) count for close matches but are not listed.
    """
    choices = sorted(choices)
    value = str(value)
    near = close_matches(value[:100], [*choices, *also])
    hint = f" (did you mean {' or '.join(near)}?)" if near else ""
    shown = ", ".join(choices) if len(choices) <= 30 else ", ".join(choices[:30]) + ", ..."
    echo = repr(value) if len(value) <= 40 else f"{value[:37]!r}... ({len(value):,} characters)"
    return UnknownPresetError(f"unknown {kind} {echo}{hint}; choose one of: {shown}")
