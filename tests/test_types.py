"""Behaviour pinned down while making the package type-check (issue 10, item 3).

Each test states a property that the type annotations now promise: closed lists that are
Literal types, values that may be ``None``, conversions that accept every ``numbers.Real``.
"""

from __future__ import annotations

import json
import math
import typing
from fractions import Fraction

import numpy as np
import pytest
from pydantic import ValidationError

from costmodel.data import store
from costmodel.data.schemas.runs import COMPARABLE_SCOPES, HOURS_SCOPES, HoursScope, Reported
from costmodel.errors import InputError, UnsupportedPrecisionError
from costmodel.io import atomic_writer
from costmodel.model.market import ownership_rate
from costmodel.model.uncertainty import check_samples, summarize


def test_hours_scope_literal_is_the_closed_list():
    # the Literal is spelled out for the type checker; it must name exactly the scopes
    # that HOURS_SCOPES documents, and the comparable ones must be among them
    assert set(typing.get_args(HoursScope)) == set(HOURS_SCOPES)
    assert set(COMPARABLE_SCOPES) <= set(HOURS_SCOPES)


@pytest.mark.parametrize("scope", sorted(HOURS_SCOPES))
def test_every_documented_scope_validates(scope):
    assert Reported(hours_scope=scope).hours_scope == scope


def test_an_undocumented_scope_is_refused():
    with pytest.raises(ValidationError, match="hours_scope"):
        Reported(hours_scope="pretraining_only")


def test_peak_at_a_published_precision():
    # NVIDIA H100 SXM datasheet: 989.4 TFLOP/s dense BF16 (the 1,979 figure is with sparsity)
    assert store.get("accelerators", "h100-sxm").peak_flop_per_s("bf16") == pytest.approx(989.4e12)


@pytest.mark.parametrize("precision", ["fp6", "BF16", "", ["bf16"]])
def test_peak_at_an_unknown_precision_is_one_clear_error(precision):
    # a list is not a precision; it used to escape as TypeError (unhashable dict key)
    with pytest.raises(UnsupportedPrecisionError, match="available: .*bf16"):
        store.get("accelerators", "h100-sxm").peak_flop_per_s(precision)


def test_summary_of_one_sample_has_no_standard_error():
    s = summarize(np.array([7.0]))
    assert (s["mean"], s["p50"], s["stderr"], s["n"]) == (7.0, 7.0, None, 1)


def test_summary_of_no_finite_sample_is_all_none():
    s = summarize(np.array([np.nan, np.inf]))
    assert s["n"] == 0
    assert all(v is None for k, v in s.items() if k != "n")


@pytest.mark.parametrize(
    "n, k",
    [(4, 4), (np.int64(7), 7), (3.0, 3), (np.float64(5.0), 5), (Fraction(8, 2), 4), (10**6, 10**6)],
)
def test_sample_counts_from_any_real_whole_number(n, k):
    got = check_samples(n)
    assert got == k and type(got) is int


@pytest.mark.parametrize("n", [2.5, Fraction(1, 3), math.inf, math.nan, -1, True, "10", None])
def test_sample_counts_refused(n):
    with pytest.raises(InputError, match="^samples: "):
        check_samples(n)


def test_ownership_rate_is_plain_floats():
    # H20: no rental quote, so the ownership-cost proxy is what the market price uses
    lo, hi, basis = ownership_rate(store.get("accelerators", "h20"))
    assert type(lo) is float and type(hi) is float and 0 < lo <= hi
    assert "server price" in basis
    json.dumps([lo, hi])


def test_atomic_writer_text_newlines_and_binary(tmp_path):
    p = tmp_path / "a.txt"
    atomic_writer(p, lambda f: f.write("a\nb\n"), newline="\r\n")  # the writer may return
    assert p.read_bytes() == b"a\r\nb\r\n"
    b = tmp_path / "b.bin"
    atomic_writer(b, lambda f: f.write(b"\x00\n\xff"), binary=True, newline="\r\n")
    assert b.read_bytes() == b"\x00\n\xff"  # bytes are written as given
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.txt", "b.bin"]  # no temp left
