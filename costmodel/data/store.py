"""The preset catalog: TOML files validated by strict schemas, loaded lazily and cached.

Built-in presets ship inside the wheel (``costmodel/presets``; in a source checkout, the
top-level ``presets/`` folder). Users add or override entries with directories of the same
layout, given by ``COSTMODEL_PRESETS=DIR1:DIR2`` or :func:`set_user_dirs` (the CLI's
``--presets DIR``). An override is never silent: it is recorded in :func:`notes`.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any, Protocol, cast

from pydantic import BaseModel, ValidationError

from ..errors import PresetError, UnknownPresetError, unknown
from .tomlfile import read_toml

__all__ = [
    "KINDS",
    "builtin_dir",
    "set_user_dirs",
    "preset_dirs",
    "load",
    "get",
    "ids",
    "notes",
    "clear_cache",
    "Catalog",
    "catalog",
    "describe_validation_error",
]

#: Preset kinds and their folders.
KINDS = ("accelerators", "runs", "priors", "prices", "claims", "rules")

_user_dirs: list[Path] | None = None
_cache: dict[tuple[str, tuple[Path, ...]], _Loaded] = {}
_notes: list[str] = []


class _Entry(Protocol):
    """What the store reads of every preset schema (they all derive from ``Sourced``)."""

    id: str


class _Loaded:
    """One kind's entries by id, alias -> id, and the file each entry came from."""

    __slots__ = ("entries", "aliases", "files")

    def __init__(self, entries: dict[str, Any]) -> None:
        self.entries = entries
        self.aliases: dict[str, str] = {}
        self.files: dict[str, Path] = {}


@functools.cache
def builtin_dir() -> Path:
    """Directory of the built-in presets (inside the installed package, else the checkout).

    Cached: it cannot change while the process runs, and resolving it on every preset
    look-up took a fifth of a claim check."""
    here = Path(__file__).resolve().parents[1]  # the costmodel package
    packaged = here / "presets"
    if packaged.is_dir():
        return packaged
    return here.parent / "presets"


def set_user_dirs(dirs: list[str | os.PathLike] | None) -> None:
    """Set user preset directories (overrides ``COSTMODEL_PRESETS``); ``None`` resets."""
    global _user_dirs
    _user_dirs = None if dirs is None else [Path(d) for d in dirs]
    clear_cache()


def preset_dirs() -> list[Path]:
    """Built-in directory first, then user directories in order (later ones win)."""
    if _user_dirs is not None:
        user = _user_dirs
    else:
        env = os.environ.get("COSTMODEL_PRESETS", "")
        user = [Path(p) for p in env.split(os.pathsep) if p]
    for d in user:
        if not d.is_dir():
            raise PresetError(
                f"presets: {d} is not a directory (from --presets or COSTMODEL_PRESETS)"
            )
    return [builtin_dir(), *user]


def clear_cache() -> None:
    """Forget loaded presets and notes (tests, or after changing directories)."""
    _cache.clear()
    _single.clear()
    _notes.clear()


def notes() -> list[str]:
    """Messages about user presets that override built-in ones."""
    return list(_notes)


def _schema(kind: str) -> type[BaseModel]:
    from . import schemas

    if kind not in schemas.SCHEMA_MODULES:
        raise PresetError(f"presets: no schema for kind {kind!r}")
    return schemas.schema_for(kind)


def _describe(err: ValidationError, path: Path | str) -> str:
    """One line naming the file, every missing or unknown key, and the other problems."""
    return describe_validation_error(err, f"preset file {path}")


def describe_validation_error(err: ValidationError, where: str) -> str:
    """A pydantic error as one line: ``where``, then every missing or unknown key and the
    first other problems (used for preset files, claims and architectures)."""
    errors = err.errors()
    missing = [".".join(str(x) for x in e["loc"]) for e in errors if e["type"] == "missing"]
    extra = [".".join(str(x) for x in e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    parts = []
    if missing:
        parts.append("; ".join(f"{k}: required key is missing" for k in missing))
    if extra:
        parts.append("; ".join(f"{k}: unknown key (not in the schema)" for k in extra))
    others = [e for e in errors if e["type"] not in ("missing", "extra_forbidden")]
    for e in others[:4]:
        key = ".".join(str(x) for x in e["loc"]) or "(top level)"
        got = e.get("input")
        text = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."
        shown = "" if isinstance(got, dict) else f" (got {text})"
        parts.append(f"{key}: {e['msg']}{shown}")
    if len(others) > 4:
        parts.append(f"and {len(others) - 4} more")
    return f"{where}: " + "; ".join(parts)


def read_file(path: Path, kind: str) -> BaseModel:
    """Read and validate one preset file (a regular UTF-8 TOML file of at most 1 MiB).

    Raises
    ------
    PresetError
        Naming the file, the key and the problem.
    """
    data = read_toml(path)
    try:
        return _schema(kind).model_validate(data)
    except ValidationError as e:
        raise PresetError(_describe(e, path)) from None


def _toml_files(folder: Path) -> list[Path]:
    """The ``*.toml`` entries of a kind's folder; [] when it does not exist.

    A folder that exists but cannot be listed (not a directory, no permission, a dangling
    link) is an error, never silently empty.
    """
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it if e.name.endswith(".toml"))
    except FileNotFoundError:
        if os.path.lexists(folder):
            raise PresetError(f"presets: {folder} is a broken link") from None
        return []
    except NotADirectoryError:
        raise PresetError(f"presets: {folder} is not a directory") from None
    except OSError as e:
        raise PresetError(f"presets: cannot list {folder}: {e.strerror}") from None
    return [folder / n for n in names]


def _load(kind: str) -> _Loaded:
    dirs = tuple(preset_dirs())
    key = (kind, dirs)
    if key in _cache:
        return _cache[key]
    loaded = _Loaded(entries={})
    builtin = dirs[0]
    for d in dirs:
        folder = d / kind
        seen_here: dict[str, Path] = {}
        for path in _toml_files(folder):
            entry = read_file(path, kind)
            eid = cast(_Entry, entry).id
            if eid in seen_here:
                raise PresetError(
                    f"preset file {path}: id: duplicate id {eid!r}, also defined in "
                    f"{seen_here[eid]}"
                )
            seen_here[eid] = path
            if eid in loaded.entries:
                _notes.append(
                    f"note: {kind[:-1]} {eid!r} from {path} overrides the one in "
                    f"{loaded.files[eid]}"
                )
            elif d != builtin:
                _notes.append(f"note: {kind[:-1]} {eid!r} added from {path}")
            loaded.entries[eid] = entry
            loaded.files[eid] = path
    # aliases (accelerators): an alias must not shadow another id or alias
    for eid, entry in loaded.entries.items():
        for alias in getattr(entry, "aliases", ()):
            other = loaded.aliases.get(alias) or (alias if alias in loaded.entries else None)
            if other is not None and other != eid:
                raise PresetError(
                    f"preset file {loaded.files[eid]}: aliases: {alias!r} is already the id "
                    f"or an alias of {other!r} ({loaded.files[other]})"
                )
            loaded.aliases[alias] = eid
    _check_references(kind, loaded, builtin)
    _cache[key] = loaded
    return loaded


#: Fields that name an entry of another kind.
REFERENCES = {
    "runs": (("gpu", "accelerators"),),
    "prices": (("gpu", "accelerators"),),
    "claims": (("gpu", "accelerators"), ("run", "runs")),
}


def _check_references(kind: str, loaded: _Loaded, builtin: Path) -> None:
    """A user entry that names a missing accelerator or run is an error naming its file
    (built-in entries are checked by the test suite, so loading them stays cheap)."""
    for eid, entry in loaded.entries.items():
        path = loaded.files[eid]
        if path.is_relative_to(builtin):
            continue
        for name, target in REFERENCES.get(kind, ()):
            ref = getattr(entry, name, None)
            if ref is None:
                continue
            try:
                resolve_id(target, ref)
            except UnknownPresetError as e:
                raise PresetError(f"preset file {path}: {name}: {e}") from None


def load(kind: str) -> dict[str, Any]:
    """All entries of a kind, by id."""
    if kind not in KINDS:
        raise PresetError(f"presets: unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    return dict(_load(kind).entries)


def ids(kind: str) -> list[str]:
    """Sorted ids of a kind."""
    return sorted(load(kind))


def resolve_id(kind: str, name: str) -> str:
    """Canonical id for an id or alias (case-insensitive)."""
    loaded = _load(kind)
    key = str(name).strip().lower()
    if key in loaded.entries:
        return key
    if key in loaded.aliases:
        return loaded.aliases[key]
    singular = {
        "accelerators": "accelerator",
        "runs": "run",
        "claims": "claim",
        "priors": "prior",
        "prices": "price",
        "rules": "rule",
    }[kind]
    field_name = {"accelerators": "gpu"}.get(kind, singular)
    raise unknown(field_name, str(name), list(loaded.entries), list(loaded.aliases))


_single: dict[tuple[str, str], Any] = {}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")  # ids only: never a path


def get(kind: str, name: str) -> Any:
    """One entry by id or alias; raises :class:`~costmodel.errors.UnknownPresetError`.

    With only the built-in presets in play and ``name`` a file's id, just that file is read
    (a point estimate need not parse the whole catalog); anything else loads the kind.
    """
    key = str(name).strip().lower()
    dirs = preset_dirs()
    if len(dirs) == 1 and (kind, tuple(dirs)) not in _cache and _ID_RE.match(key):
        path = dirs[0] / kind / f"{key}.toml"
        if (kind, key) in _single:
            return _single[(kind, key)]
        try:
            is_file = path.is_file()
        except OSError:  # a name longer than the file system allows: not an id here
            is_file = False
        if is_file:
            entry = read_file(path, kind)
            if cast(_Entry, entry).id == key:
                _single[(kind, key)] = entry
                return entry
    return _load(kind).entries[resolve_id(kind, name)]


def source_file(kind: str, name: str) -> Path:
    """The file an entry was read from."""
    loaded = _load(kind)
    return loaded.files[resolve_id(kind, name)]


class Catalog:
    """Read-only view of every preset kind (``costmodel.catalog()``)."""

    def __getattr__(self, kind: str) -> dict[str, Any]:
        if kind in KINDS:
            return load(kind)
        raise AttributeError(kind)

    def __repr__(self) -> str:
        return f"Catalog({', '.join(KINDS)})"


def catalog() -> Catalog:
    """The preset catalog: ``catalog().accelerators["h800-sxm"]``, ``.runs``, ``.claims``."""
    return Catalog()
