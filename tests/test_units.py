"""Quantity parsing and SI formatting."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costmodel.errors import InputError
from costmodel.formulas.units import format_si, format_usd, parse_quantity

from . import strategies as S


@pytest.mark.parametrize(
    "text,value",
    [
        ("671B", 671e9),
        ("14.8T", 14.8e12),
        ("2.788M", 2.788e6),
        ("3.3e24", 3.3e24),
        ("5K", 5e3),
        ("5k", 5e3),
        ("1.5G", 1.5e9),
        ("2_048", 2048),
        (" 37B ", 37e9),
        ("35%", 0.35),
        ("1e-6", 1e-6),
        (".5", 0.5),
    ],
)
def test_parse(text, value):
    assert parse_quantity(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(
    "text",
    ["14.8X", "", "B", "1.2.3", "nan", "inf", "--1", "1e", "ten", "1 000", "5 KB", "½", "1,000"],
)
def test_malformed(text):
    with pytest.raises(InputError, match="tokens: cannot read"):
        parse_quantity(text, "tokens")


def test_format_examples():
    assert format_si(6.71e11) == "671B"
    assert format_si(999_999.6) == "1M"
    assert format_si(3.2856e24) == "3.286e24"
    assert format_usd(5.576e6) == "$5.576M"


@given(S.magnitude, st.integers(min_value=2, max_value=8))
def test_format_parse_round_trip(x, sig):
    back = parse_quantity(format_si(x, sig))
    assert math.isclose(back, x, rel_tol=0.5 * 10 ** (1 - sig) + 1e-12)


@given(st.integers(min_value=0, max_value=10**6), S.suffix)
def test_parse_exact_for_integer_mantissa(m, suffix):
    from costmodel.formulas.units import SUFFIXES

    assert parse_quantity(f"{m}{suffix}") == m * SUFFIXES.get(suffix, 1.0)
