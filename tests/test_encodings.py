"""Output on streams that cannot encode every character (issue 9, item 28).

``PYTHONIOENCODING=latin-1 costmodel check deepseek-v3`` died on "≤" with a
UnicodeEncodeError; characters the stream cannot show now fall back to ASCII spellings.
"""

import os
import subprocess
import sys

import pytest

from costmodel.cli import ASCII_FALLBACK

COMMANDS = [
    ["check", "deepseek-v3"],
    ["export-control", "h800-sxm"],
]


def _run(args, encoding):
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COSTMODEL_PRESETS": ""}
    return subprocess.run(
        [sys.executable, "-m", "costmodel", *args], capture_output=True, env=env, timeout=120
    )


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_latin1_stream_gets_ascii_spellings(args):
    utf8 = _run(args, "utf-8")
    latin = _run(args, "latin-1")
    assert utf8.returncode == 0, utf8.stderr.decode()
    assert latin.returncode == 0, latin.stderr.decode("latin-1")
    text, wide = latin.stdout.decode("latin-1"), utf8.stdout.decode("utf-8")
    # every character latin-1 cannot hold was written as its ASCII spelling
    unencodable = {c for c in wide if ord(c) > 255}
    for c in unencodable & set(ASCII_FALLBACK):
        assert ASCII_FALLBACK[c] in text, c
    assert len(text.splitlines()) == len(wide.splitlines())
    if args[0] == "check":
        assert "≤" in wide and "<=" in text  # the character the report named


def test_fallback_table_is_ascii():
    for ch, text in ASCII_FALLBACK.items():
        assert ord(ch) > 127 and text.isascii() and text, ch
