"""Reading one preset file safely: a regular UTF-8 file of at most 1 MiB, opened without
blocking, with numbers and nesting bounded before ``tomllib`` sees them (issue 9, item 25)."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from ..errors import PresetError

__all__ = ["MAX_PRESET_BYTES", "read_toml"]

#: Largest preset file read [bytes]; the biggest built-in one is a few KiB.
MAX_PRESET_BYTES = 1 << 20
#: A run of digits this long is no number a preset needs (the largest finite float has 309
#: integer digits); Python also refuses to convert integers past 4,300 digits.
_LONG_NUMBER = re.compile(r"[0-9_]{300,}")
_DEEP = re.compile(r"[\[{][\s\[{]*[\[{]")


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_PRESET_BYTES`.

    Opened without blocking (a FIFO named ``x.toml`` would wait for a writer forever) and
    checked with ``fstat`` before reading (``/dev/zero`` never ends).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise PresetError(f"preset file {path}: cannot read: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise PresetError(
                f"preset file {path}: not a regular file (a FIFO, device or directory); "
                "presets must be plain TOML files"
            )
        chunks, size = [], 0
        while size <= MAX_PRESET_BYTES:
            chunk = os.read(fd, MAX_PRESET_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_PRESET_BYTES:
            raise PresetError(
                f"preset file {path}: larger than {MAX_PRESET_BYTES // 1024} KiB; a preset "
                "is one entry of a few KiB"
            )
        return b"".join(chunks)
    except OSError as e:
        raise PresetError(f"preset file {path}: cannot read: {e.strerror}") from None
    finally:
        os.close(fd)


def _key_at(text: str, pos: int) -> str:
    """``key (line N)`` for the TOML line holding character ``pos``."""
    line_no = text.count("\n", 0, pos) + 1
    line = text.splitlines()[line_no - 1] if text else ""
    key = line.partition("=")[0].strip() if "=" in line else ""
    return f"{key} (line {line_no})" if key else f"line {line_no}"


def _parse_toml(data: bytes, path: Path) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_no = data.count(b"\n", 0, e.start) + 1
        raise PresetError(
            f"preset file {path}: not UTF-8 text: byte 0x{data[e.start]:02x} on line {line_no}"
        ) from None
    m = _LONG_NUMBER.search(text)
    if m:
        raise PresetError(
            f"preset file {path}: {_key_at(text, m.start())}: a number with "
            f"{len(m.group().replace('_', '')):,} digits; numbers must be finite floats "
            "(write a large value with an exponent, e.g. 1e21)"
        )
    deep = max(
        _DEEP.finditer(text),
        key=lambda m: m.group().count("[") + m.group().count("{"),
        default=None,
    )
    if deep is not None and deep.group().count("[") + deep.group().count("{") > 32:
        raise PresetError(
            f"preset file {path}: {_key_at(text, deep.start())}: arrays or tables nested more "
            "than 32 deep"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PresetError(f"preset file {path}: not valid TOML: {e}") from None
    except RecursionError:  # nesting the scan above did not see (values between brackets)
        raise PresetError(f"preset file {path}: not valid TOML: nested too deep") from None
    except ValueError as e:  # a limit tomllib enforces through int() or float()
        raise PresetError(f"preset file {path}: not valid TOML: {str(e)[:80]}") from None


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML of one preset file; :class:`PresetError` naming the file otherwise."""
    return _parse_toml(_read_bytes(path), path)
