"""File output that never destroys what it writes to.

A regular file (or a new one) is written atomically: a temporary file in the same
directory, then a rename. A symlink is followed first, so the link stays and its target is
replaced. A character device or a FIFO (``/dev/null``, ``/dev/stdout`` → a terminal or a
pipe, a named pipe) is opened and written through: renaming over it would swap a system
file for a regular one. Anything else (a directory, a block device, a socket) is refused
with one line.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from .errors import InputError

__all__ = ["atomic_write_text", "atomic_writer", "check_output_path", "publish"]

#: Directories whose entries are kernel objects, never replaced by a rename.
_KERNEL_ROOTS = ("/proc/", "/sys/")


def publish(tmp: str | os.PathLike, target: str | os.PathLike) -> None:
    """Give a finished temporary file the usual permissions and rename it into place."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, target)


def _shown(path: str) -> str:
    return repr(path if len(path) <= 80 else path[:77] + "...")


def check_output_path(path: str | os.PathLike) -> tuple[str, Path]:
    """Decide how ``path`` is written: ``("atomic", file)`` or ``("through", path)``.

    ``file`` is where the temporary file goes and what it is renamed to: ``path`` itself,
    or, for a symlink, the regular file it points to.

    Raises
    ------
    InputError
        For an empty name, a name ending in a separator, a directory, a block device, a
        socket, or a missing directory — one line naming the output.
    """
    text = os.fspath(path)
    if not text:
        raise InputError("output: the file name is empty; give a file, or leave out -o for stdout")
    if text.endswith(("/", os.sep)):
        raise InputError(
            f"output: {_shown(text)} ends with '/', so it names a directory; give a file name"
        )
    p = Path(text)
    try:
        st = os.stat(p)  # follows symlinks
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise InputError(f"output: {_shown(text)}: {e.strerror}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            return "through", p
        kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISBLK, "a block device")]
        what = next((w for test, w in kinds if test(st.st_mode)), "not a regular file")
        raise InputError(f"output: {_shown(text)} is {what}; give a regular file")
    real, via_kernel = _resolve(p, text)
    if via_kernel:  # /dev/stdout -> /proc/self/fd/1 -> a file the shell opened: keep it
        if st is None:
            raise InputError(f"output: {_shown(text)} does not exist")
        return "through", p
    if not real.parent.is_dir():
        raise InputError(f"output: directory {real.parent} does not exist (for {_shown(text)})")
    return "atomic", real


def _resolve(p: Path, text: str) -> tuple[Path, bool]:
    """Follow symlinks hop by hop: the final path, and whether a hop went through /proc or
    /sys (where a "file" is a kernel object, such as another process's descriptor)."""
    cur = Path(os.path.abspath(p))
    via_kernel = False
    for _ in range(40):
        cur = Path(os.path.realpath(cur.parent)) / cur.name
        via_kernel |= str(cur).startswith(_KERNEL_ROOTS)
        if not cur.is_symlink():
            return cur, via_kernel
        cur = Path(os.path.abspath(cur.parent / os.readlink(cur)))
    raise InputError(f"output: {_shown(text)}: too many levels of symbolic links")


def atomic_writer(
    path: str | os.PathLike,
    write: Callable[[IO[Any]], object],
    *,
    newline: str | None = None,
    binary: bool = False,
) -> None:
    """Call ``write(f)`` on a temporary file next to ``path``, then rename it into place.

    If ``write`` raises (or the process is interrupted), the temporary file is removed and
    any existing ``path`` is left untouched. A symlink is followed (the link stays); a
    character device or FIFO is written through; see :func:`check_output_path`.
    """
    how, target = check_output_path(path)
    mode = "wb" if binary else "w"
    encoding = None if binary else "utf-8"
    if binary:
        newline = None
    if how == "through":
        with open(target, mode, encoding=encoding, newline=newline) as f:
            write(f)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        publish(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_writer`)."""
    atomic_writer(path, lambda f: f.write(text))
