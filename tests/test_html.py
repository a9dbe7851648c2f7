"""HTML reports (``--html``, ``_repr_html_``): self-contained, escaped, balanced, and showing
numbers recomputed here from published figures (not read back from the result)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import costmodel
from costmodel.render import html as H
from costmodel.render.html_check import odds

from .cli_args import V3_BF16
from .htmlcheck import check_html, visible_text

# DeepSeek-V3 (arXiv 2412.19437, s1, Table 1, s4.1): 37B active parameters, 14.8T tokens,
# pre-training 2,664K H800 GPU-hours, total $5.576M. H800 SXM dense BF16 peak 989.4 TFLOP/s
# (NVIDIA H100 SXM datasheet, same GH100 compute; shared/reference/hardware.md).
FLOP_6ND = 6 * 37e9 * 14.8e12
MFU_6ND = FLOP_6ND / (2.664e6 * 3600 * 989.4e12)

EVIL = '<script>alert(1)</script> "quoted" & <b>bold</b>'


def _evil_claim(tmp_path: Path) -> Path:
    p = tmp_path / "evil.toml"
    esc = EVIL.replace("\\", "\\\\").replace('"', '\\"')
    p.write_text(
        f'id = "evil"\nname = "Evil {esc}"\nclaimant = "A & B <i>Labs</i>"\n'
        f'date = "2025-01-01"\nquote = "{esc}"\nkind = "final-run compute"\n'
        f'scope = "scope with {esc}"\nexcludes = ["{esc}"]\ngpu = "h800-sxm"\n'
        f"n_gpus = 2048\ngpu_hours = 2.664e6\ntokens = 14.8e12\nactive_params = 37e9\n"
        f"cost_usd = 5.328e6\nprice_usd_per_gpu_hour = 2.0\n"
        f'source = "https://example.org/a?b=1&c=<2> {esc}"\nas_of = 2026-11-28\n',
        encoding="utf-8",
    )
    return p


def _assert_self_contained(text: str) -> None:
    c = check_html(text)
    assert not c.fetches, c.fetches
    assert "script" not in c.tags
    assert not re.search(r"@font-face|@import|url\(", text)


# ------------------------------------------------------------------ check --html
@pytest.fixture(scope="module")
def v3_page(tmp_path_factory):
    from click.testing import CliRunner

    from costmodel.cli import cli

    out = tmp_path_factory.mktemp("html") / "v3.html"
    r = CliRunner().invoke(cli, ["check", "deepseek-v3", "--html", str(out)])
    assert r.exit_code == 0, r.output
    return out, r


def test_check_html_is_one_self_contained_file(v3_page):
    path, r = v3_page
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    _assert_self_contained(text)
    assert f"wrote {path}" in r.stderr
    assert "verdict:" in r.stdout  # the text report still goes to stdout


def test_check_html_shows_the_numbers(v3_page):
    text = visible_text(v3_page[0].read_text(encoding="utf-8"))
    assert f"{FLOP_6ND:.3e}".replace("e+", "e") in text  # 3.286e24
    assert f"{100 * MFU_6ND:.1f}%" in text  # 34.6%
    assert "$5.576M" in text and "2.664M" in text
    verdict = costmodel.check("deepseek-v3").verdict
    assert verdict.upper() in text
    for heading in ("The claim", "What the numbers imply", "The claim's own arithmetic",
                    "Against published runs", "How likely", "What the figure leaves out",
                    "Hardware and export control", "Sources"):  # fmt: skip
        assert heading in text
    assert "costmodel check deepseek-v3 --html" in text  # the regenerating command
    assert costmodel.__version__ in text


def test_check_html_charts_and_links(v3_page):
    text = v3_page[0].read_text(encoding="utf-8")
    assert text.count("<svg") >= 3  # published runs, likelihood, ledger
    assert 'href="https://arxiv.org/abs/2412.19437"' in text
    assert 'href="https://arxiv.org/abs/2505.09343"' in text
    # the claim is marked among the published runs and on the GPU-hours distribution
    assert f"this claim {100 * MFU_6ND:.1f}%" in text
    assert "claimed 2.664M" in text


def test_user_text_is_escaped(tmp_path, invoke):
    out = tmp_path / "evil.html"
    r = invoke("check", "--claim-file", _evil_claim(tmp_path), "--html", out)
    assert r.code == 0, r.err
    text = out.read_text(encoding="utf-8")
    _assert_self_contained(text)  # no <script>, no <b>/<i> from the claim
    assert "<script>alert" not in text and "<b>bold" not in text and "<i>Labs" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &lt;b&gt;" in text
    assert EVIL in visible_text(text)
    # a URL's & is escaped in the link; it ends before a "<", which is escaped as text
    assert (
        '<a href="https://example.org/a?b=1&amp;c=">https://example.org/a?b=1&amp;c=</a>&lt;2&gt;'
        in text
    )


@pytest.mark.parametrize("claim", ["deepseek-v3", "deepseek-r1", "llama-3.1-405b", "mpt-7b"])
def test_every_kind_of_claim_renders(claim):
    c = costmodel.check(claim, samples=2000)
    page = c.to_html(command=f"costmodel check {claim}")
    _assert_self_contained(page)
    assert c.verdict.upper() in visible_text(page)


def test_unanalysable_claim_says_why(tmp_path):
    c = costmodel.check(
        {
            "id": "x",
            "name": "bare",
            "claimant": "me",
            "date": "2025",
            "quote": "one million GPU-hours",
            "kind": "final-run compute",
            "scope": "the whole run, nothing else",
            "source": "n/a",
            "as_of": "2026-11-28",
            "gpu": "h800-sxm",
            "gpu_hours": 1e6,
        },  # fmt: skip
        samples=1000,
    )
    text = visible_text(c.to_html())
    assert c.verdict.upper() in text and "cannot be implied" in text


def test_html_write_is_atomic_and_errors_are_one_line(tmp_path, invoke):
    r = invoke("check", "deepseek-v3", "--html", tmp_path / "missing-dir" / "r.html")
    assert r.code == 2 and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1 and "does not exist" in r.err
    assert not list(tmp_path.rglob("*.tmp"))


# ------------------------------------------------------------------ estimate, sensitivity
def test_estimate_html(tmp_path, invoke):
    out = tmp_path / "e.html"
    r = invoke("estimate", *V3_BF16, "--mfu", "0.3..0.4", "--price-usd-per-gpu-hour", "2",
               "--samples", "4000", "--html", out)  # fmt: skip
    assert r.code == 0, r.err
    text = out.read_text(encoding="utf-8")
    _assert_self_contained(text)
    vis = visible_text(text)
    # point value at the medians: mfu 0.35, $2/GPU-hour
    cost = FLOP_6ND / (989.4e12 * 0.35 * 3600) * 2
    assert costmodel.units.format_usd(cost, 4) in vis
    assert "p05" in vis and "p95" in vis and "stderr" in vis and "<svg" in text


def test_sensitivity_html_labels_each_bar_with_the_input_that_made_it(tmp_path, invoke):
    out = tmp_path / "s.html"
    r = invoke("sensitivity", *V3_BF16, "--mfu", "0.25..0.45", "--price-usd-per-gpu-hour",
               "1.5..2.5", "--samples", "256", "--bootstrap", "0", "--html", out)  # fmt: skip
    assert r.code == 0, r.err
    text = out.read_text(encoding="utf-8")
    _assert_self_contained(text)
    svg = text[text.index("<svg") : text.index("</svg>")]
    x_median = float(re.search(r'<line x1="([\d.]+)" y1="[\d.]+" x2="\1"[^>]*stroke-width="1.5"',
                               svg).group(1))  # fmt: skip
    labels = dict(
        (m.group(2), float(m.group(1)))
        for m in re.finditer(r'<text x="([\d.]+)"[^>]*>(p0[5]|p95) [^<]*</text>', svg)
    )
    # the first tornado row is the widest swing; MFU at its p05 (0.26) costs MORE than
    # the median, so its p05 label sits right of the median line
    rows = costmodel.sensitivity(
        active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16",
        mfu=costmodel.dist.uniform(0.25, 0.45), price_usd_per_gpu_hour=2, sobol=False,
    ).tornado  # fmt: skip
    assert rows[0]["input"] == "mfu" and rows[0]["output_at_low"] > rows[0]["output_at_high"]
    first = re.findall(r'<text x="([\d.]+)"[^>]*>(p05|p95) ([^<]*)</text>', svg)[:2]
    pos = {side: float(x) for x, side, _ in first}
    assert pos["p05"] > x_median > pos["p95"], (pos, x_median, labels)


# ------------------------------------------------------------------ notebook display
def _fragment_ok(frag: str) -> str:
    c = check_html(frag)
    assert not {"html", "head", "body", "script", "footer"} & set(c.tags)
    assert not c.fetches
    return " ".join(" ".join(c.text).split())


def test_repr_html_fragments():
    e = costmodel.estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16",
                           mfu=0.35, price_usd_per_gpu_hour=2)  # fmt: skip
    text = _fragment_ok(e._repr_html_())
    assert costmodel.units.format_usd(FLOP_6ND / (989.4e12 * 0.35 * 3600) * 2, 4) in text
    assert "35.0% of the" in text and "989.4 TFLOP/s" in text  # the MFU's basis is named
    c = costmodel.check("deepseek-v3", samples=2000)
    assert f"{100 * MFU_6ND:.1f}%" in _fragment_ok(c._repr_html_())
    bt = costmodel.backtest()
    text = _fragment_ok(bt._repr_html_())
    assert all(r.id in text for r in bt.rows)
    s = costmodel.sensitivity(active_params=37e9, tokens=14.8e12, gpu="h800-sxm",
                              precision="bf16", mfu=costmodel.dist.uniform(0.25, 0.45),
                              price_usd_per_gpu_hour=2, samples=64, n_boot=0)  # fmt: skip
    assert "mfu" in _fragment_ok(s._repr_html_())


# ------------------------------------------------------------------ helpers
def test_odds_in_words():
    assert odds(0.0975) == "about 1 in 10"
    assert odds(0.5) == "about 50 in 100"
    assert odds(0.0004) == "less than 1 in 1,000"


def test_linkify():
    out = H.linkify(
        "see arXiv 2412.19437, s1; https://a.org/x?y=1&z=2. and ceramic.ai/blog (ok) <x>"
    )
    assert '<a href="https://arxiv.org/abs/2412.19437">arXiv 2412.19437</a>,' in out
    assert '<a href="https://a.org/x?y=1&amp;z=2">https://a.org/x?y=1&amp;z=2</a>.' in out
    assert '<a href="https://ceramic.ai/blog">ceramic.ai/blog</a> (ok) &lt;x&gt;' in out
    assert "<a" not in H.linkify("e.g. Table 1.2, shared/reference/hardware.md s5")


def test_html_needs_no_plot_extra_and_no_scipy(tmp_path):
    code = (
        "import sys; from costmodel.cli import cli;"
        f"rc = cli.main(['estimate', *{V3_BF16!r}, '--mfu', '0.35', "
        f"'--price-usd-per-gpu-hour', '2', '--html', {str(tmp_path / 'e.html')!r}], "
        "standalone_mode=False);"
        "heavy = [m for m in ('scipy', 'matplotlib', 'pandas') if m in sys.modules];"
        "print('HEAVY', heavy); assert rc == 0"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout


# ------------------------------------------------------------------ fields added later
def test_new_result_fields_appear_without_a_renderer_change():
    from costmodel.render.html_check import page

    d = costmodel.check("deepseek-v3", samples=2000).to_dict()
    d["nvlink_cut"] = {"answer": "step time +7.5% at 400 GB/s", "mfu_at_900_gb_per_s": 0.372}
    d["hardware"]["perf_table"] = [{"gpu": "h800-sxm", "mfu": 0.31, "step_time_s": 12.5}]
    text = visible_text(page(d))
    assert "nvlink cut" in text.lower() and "step time +7.5% at 400 GB/s" in text
    assert "37.2%" in text  # an *mfu* key is shown as a percentage
    assert "perf table" in text.lower() and "12.5" in text


def test_p_under_each_prior_with_the_side_it_falls_on():
    from costmodel.render.html_check import page

    d = costmodel.check("deepseek-v3", samples=2000).to_dict()
    d["likelihood"]["alternatives"] = [
        {"prior": "chosen", "model": "m1", "note": "n", "p_gpu_hours_le_claimed": 0.0975},
        {"prior": "baseline", "model": "m0", "note": "n", "p_gpu_hours_le_claimed": 0.131},
        {"prior": "candidate", "model": "m2", "note": "n", "p_gpu_hours_le_claimed": 0.004},
    ]
    text = visible_text(page(d))
    # thresholds: optimistic below 10%, implausible below 1% (claims module docstring)
    assert "m1 9.8% optimistic" in text
    assert "m0 13.1% consistent" in text
    assert "m2 0.4% implausible" in text
    assert "Under 3 candidate priors" in text and "ranges from 0.4% to 13.1%" in text
    assert "1 gives “optimistic”, 1 gives “consistent”, 1 gives “implausible”" in text


def test_repr_html_of_an_array_estimate_has_one_row_per_scenario():
    e = costmodel.estimate(active_params=37e9, tokens=14.8e12, gpu="h800-sxm", precision="bf16",
                           mfu=[0.3, 0.4], price_usd_per_gpu_hour=2)  # fmt: skip
    text = _fragment_ok(e._repr_html_())
    for mfu in (0.3, 0.4):
        cost = FLOP_6ND / (989.4e12 * mfu * 3600) * 2
        assert f"{100 * mfu:.1f}% {costmodel.units.format_usd(cost, 4)}" in text


def test_arithmetic_only_verdict_does_not_claim_plausible_hardware():
    # DeepSeek-R1's claim (arXiv 2501.12948 v2, Supplementary B.4.4) gives GPU-hours and
    # costs but no token count: only its arithmetic can be checked
    c = costmodel.check("deepseek-r1", samples=2000)
    text = visible_text(c.to_html())
    assert "in line with what published training runs achieve" not in text
    assert "cannot be tested: the claim gives no token count" in text


def test_performance_model_what_if_columns():
    from costmodel.render.html_check import page

    d = costmodel.check("deepseek-v3", samples=2000).to_dict()
    for w in d["hardware"]["what_if"]:
        w.update(perf_mfu_16bit=0.3125, perf_layout="tp1 pp16 ep64 " * 5, min_gpus_to_fit=256)
    text = visible_text(page(d))
    assert "model MFU" in text and "31.2%" in text and "min GPUs" in text
    assert "tp1 pp16" not in text  # layout text stays in the JSON (too wide to print)


def test_nvlink_section_when_the_result_has_it():
    from costmodel.render.html_check import page

    d = costmodel.check("deepseek-v3", samples=2000).to_dict()
    d["nvlink"] = {
        "cut": "h800-sxm", "full": "h100-sxm", "n_gpus": 2048,
        "layouts": {
            "deepseek": {"h800-sxm": 0.40, "h100-sxm": 0.41, "fits": True, "speedup": 0.025,
                         "layout": "tp=1 pp=16 dp=128 ep=64 schedule=dualpipe zero=1"},
            "tp8_megatron": {"h800-sxm": 0.30, "h100-sxm": 0.345, "fits": True,
                             "speedup": 0.15, "layout": "tp=8 pp=16 dp=16 ep=8"},
        },
        "recovered": 1 - 0.025 / 0.15, "deepseek_vs_tp8_on_cut": 0.40 / 0.30,
        "assumptions": ["h800-sxm and h100-sxm differ only in NVLink bandwidth"],
    }  # fmt: skip
    text = visible_text(page(d))
    assert "What did the NVLink cut cost?" in text
    assert "DeepSeek's layout tp=1 pp=16" in text and "40.0% 41.0% +2.5%" in text
    assert "avoid 83% of the TP-8 layout's NVLink penalty" in text  # 1 - 2.5/15
    assert "1.3× the TP-8 layout's MFU" in text
    assert "Other results None." in text  # not shown twice
