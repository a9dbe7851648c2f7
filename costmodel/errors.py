"""Exception hierarchy.

Every error raised for bad input derives from :class:`CostModelError` and is mixed with the
builtin that fits, so ``except ValueError`` and ``except KeyError`` keep working. Messages
name the field, the bad value, the allowed range or choices, and the fix; the CLI prints
them as one line and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CostModelError",
    "InputError",
    "MissingInputError",
    "UnknownPresetError",
    "UnsupportedPrecisionError",
    "PresetError",
    "close_matches",
]


class CostModelError(Exception):
    """Base class of every error costmodel raises on purpose."""


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
