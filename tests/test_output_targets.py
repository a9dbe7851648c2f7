"""``-o`` and ``--plot`` never replace what is not a regular file (issue 9, item 22).

A rename over a device, FIFO or symlink swaps it for a regular file; as root, ``-o
/dev/stdout`` once replaced the system's ``/dev/stdout`` symlink. These tests use FIFOs and
symlinks in ``tmp_path`` (pointing at ``/dev/null`` to stand in for a terminal) and never
name a system path as ``-o`` themselves: run against a broken build as root, such a test would
replace the system file it checks.
"""

import os
import stat
import threading

import pytest

from costmodel.errors import InputError
from costmodel.io import atomic_write_text, check_output_path

ESTIMATE = ["estimate", "--params", "7B", "--tokens", "1T", "--gpu", "h100-sxm", "--mfu", "0.4"]
SWEEP = ["sweep", "--params", "7B", "--tokens", "1T", "--gpu", "h100", "--grid", "mfu=0.2:0.4:3"]
COMMANDS = {"estimate": [*ESTIMATE, "--json"], "sweep": SWEEP}


def _leftovers(d):
    return [p.name for p in d.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_fifo_is_written_through(cmd, tmp_path, invoke):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = invoke(*COMMANDS[cmd], "-o", fifo)
    reader.join(timeout=30)
    assert r.code == 0, r.err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not a regular file
    text = got[0].decode()
    assert ("mfu" in text.splitlines()[0]) if cmd == "sweep" else '"schema"' in text
    assert not _leftovers(tmp_path)


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_symlink_to_file_keeps_the_link_and_updates_its_target(cmd, tmp_path, invoke):
    target = tmp_path / "real.data"
    target.write_text("old\n")
    link = tmp_path / ("link.json" if cmd == "estimate" else "link.csv")
    link.symlink_to(target.name)
    r = invoke(*COMMANDS[cmd], "-o", link)
    assert r.code == 0, r.err
    assert link.is_symlink() and os.readlink(link) == target.name
    assert target.read_text() != "old\n" and "mfu" in target.read_text()
    assert not _leftovers(tmp_path)


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_symlink_to_a_device_is_written_through(cmd, tmp_path, invoke):
    # stands in for /dev/stdout -> /proc/self/fd/1 -> a terminal
    link = tmp_path / "stdout"
    link.symlink_to("/dev/null")
    r = invoke(*COMMANDS[cmd], "-o", link)
    assert r.code == 0, r.err
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not _leftovers(tmp_path)


def test_a_descriptor_under_proc_is_written_through_not_renamed(tmp_path):
    # /dev/stdout redirected to a file resolves through /proc/self/fd/1 to that file; a
    # rename would detach the shell's file. Simulated with a descriptor of our own.
    f = tmp_path / "shell-redirect.txt"
    with open(f, "w") as held:
        proc = f"/proc/self/fd/{held.fileno()}"
        if not os.path.exists(proc):
            pytest.skip("no /proc on this system")
        assert check_output_path(proc)[0] == "through"
        atomic_write_text(proc, "written through\n")
        inode = os.fstat(held.fileno()).st_ino
    assert f.read_text() == "written through\n"
    assert os.stat(f).st_ino == inode  # the same file, not a renamed replacement
    assert not _leftovers(tmp_path)


@pytest.mark.parametrize(
    "bad, needle",
    [("", "file name is empty"), ("x.json/", "ends with '/'"), (".", "is a directory")],
)
@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_bad_output_names_are_refused(cmd, bad, needle, tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = invoke(*COMMANDS[cmd], "-o", bad)
    assert r.code == 2, (r.out, r.err)
    assert needle in r.err and len(r.err.strip().splitlines()) == 1
    assert r.out == ""  # an empty name never means stdout
    assert list(tmp_path.iterdir()) == []  # x.json/ did not write x.json


def test_library_refuses_a_trailing_slash(tmp_path):
    with pytest.raises(InputError, match="ends with '/'"):
        atomic_write_text(f"{tmp_path}/x.json/", "{}")
    assert list(tmp_path.iterdir()) == []


def test_plot_onto_a_symlink_keeps_the_link(tmp_path, invoke):
    pytest.importorskip("matplotlib")
    target = tmp_path / "real.png"
    target.write_bytes(b"old")
    link = tmp_path / "chart.png"
    link.symlink_to(target.name)
    r = invoke(*SWEEP, "--plot", link, "--plot-output", "gpu_hours", "-o", tmp_path / "rows.csv")
    assert r.code == 0, r.err
    assert link.is_symlink() and target.read_bytes().startswith(b"\x89PNG")
    assert not _leftovers(tmp_path)
