"""The verdict thresholds the HTML check page states and applies are the ones in the check's
data (``verdict.thresholds``), never numbers typed into the page: change them in the data and
the rule, the red line and each prior's side follow."""

from __future__ import annotations

import re

import costmodel
from costmodel.claims.verdict import THRESHOLDS
from costmodel.render.html_check import page


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _with_alternatives(d: dict) -> dict:
    d["likelihood"]["alternatives"] = [
        {"prior": "chosen", "model": "m1", "note": "n", "p_gpu_hours_le_claimed": 0.15},
        {"prior": "candidate", "model": "m2", "note": "n", "p_gpu_hours_le_claimed": 0.03},
    ]
    return d


def test_page_states_and_applies_the_thresholds_in_the_data():
    d = _with_alternatives(costmodel.check("deepseek-v3", samples=2000).to_dict())
    # the prior's rule is shown where the prior decides: a check without the physics
    d.pop("physics")
    d["verdict"]["basis"] = "population prior"
    assert d["verdict"]["thresholds"] == THRESHOLDS
    # the committed rules (claims/verdict.py docstring): optimistic below 10 %, implausible
    # below 1 %, so 15 % is consistent and 3 % optimistic
    text = _text(page(d))
    assert "optimistic” when that chance is below 10%" in text
    assert "m1 15.0% consistent" in text and "m2 3.0% optimistic" in text

    d["verdict"]["thresholds"] = {
        **THRESHOLDS,
        "p_optimistic": 0.2,
        "p_implausible": 0.05,
        "percentile_optimistic": 0.9,
    }
    text = _text(page(d))
    assert "optimistic” when that chance is below 20%" in text
    assert "above 90% of published runs" in text and "“implausible” below 5%" in text
    assert "m1 15.0% optimistic" in text and "m2 3.0% implausible" in text
    assert "20% line" in text  # the chart's marker


def test_page_states_the_physics_rules_in_the_data():
    d = costmodel.check("deepseek-v3", samples=2000).to_dict()
    assert d["verdict"]["basis"] == "physics"
    text = _text(page(d))
    assert "“implausible” when that chance is below 1%" in text
    assert "99th percentile)" in text and "“optimistic” below 10%" in text
    d["physics"]["rules"] = {"implausible": 0.05, "optimistic": 0.2, "slower_than_hardware": 0.9}
    text = _text(page(d))
    assert "“implausible” when that chance is below 5%" in text
    assert "95th percentile)" in text and "“optimistic” below 20%" in text
