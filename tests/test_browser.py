"""The HTML reports in a real browser (headless Chromium over the DevTools protocol).

Checks what a reader gets: the page loads with no console error and no network request,
the key numbers are in the rendered text, full-page screenshots at a laptop (1280 px) and a
phone (390 px) width are not blank and do not scroll sideways, and printing gives a PDF whose
tables are not cut off. Screenshots and PDFs are kept in ``test-artifacts/`` (not committed;
``$COSTMODEL_TEST_ARTIFACTS`` overrides the folder) for a person to look at.

Skips, with the reason, only when no Chromium is installed (``.ci/run`` installs Debian's
``chromium``; set ``$COSTMODEL_CHROMIUM`` to use another binary).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from costmodel.cli import cli

from .cdp import Browser, find_chromium, png_ink_share
from .cli_args import V3_BF16
from .test_html import EVIL, FLOP_6ND, MFU_6ND, _evil_claim

EXE = find_chromium()
pytestmark = pytest.mark.skipif(
    EXE is None,
    reason="browser tests need Chromium: none found (apt-get install chromium, which .ci/run "
    "does; or set COSTMODEL_CHROMIUM)",
)
ARTIFACTS = Path(
    os.environ.get("COSTMODEL_TEST_ARTIFACTS")
    or Path(__file__).resolve().parent.parent / "test-artifacts"
)
WIDTHS = (1280, 390)
#: A4 portrait minus the page's 12 mm side margins, in CSS pixels (96 per inch)
PRINT_WIDTH = round((210 - 24) / 25.4 * 96)


@pytest.fixture(scope="module")
def browser():
    b = Browser(EXE)
    yield b
    b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The three kinds of page, written by the CLI as a user would."""
    tmp = tmp_path_factory.mktemp("pages")
    runs = {
        "check": ["check", "deepseek-v3"],
        "evil": ["check", "--claim-file", str(_evil_claim(tmp))],
        "estimate": [
            "estimate",
            *V3_BF16,
            "--mfu",
            "0.3..0.4",
            "--price-usd-per-gpu-hour",
            "2",
            "--samples",
            "4000",
        ],  # fmt: skip
        "sensitivity": [
            "sensitivity",
            "--run",
            "deepseek-v3",
            "--price-usd-per-gpu-hour",
            "market",
            "--samples",
            "256",
            "--bootstrap",
            "20",
        ],  # fmt: skip
    }
    out = {}
    for name, args in runs.items():
        path = tmp / f"{name}.html"
        r = CliRunner().invoke(cli, [*args, "--html", str(path)])
        assert r.exit_code == 0, r.output
        out[name] = path
    return out


def _open(browser, path: Path, width: int = 1280):
    page = browser.open(path.resolve().as_uri(), width)
    return page


@pytest.mark.parametrize("name", ["check", "evil", "estimate", "sensitivity"])
def test_loads_offline_without_errors(browser, pages, name):
    page = _open(browser, pages[name])
    assert page.errors() == []
    assert page.requests() == [pages[name].resolve().as_uri()]  # the file itself, nothing else
    assert page.events("Page.javascriptDialogOpening") == []  # no alert() ran


def test_key_numbers_in_rendered_text(browser, pages):
    import costmodel

    page = _open(browser, pages["check"])
    text = page.eval("document.body.innerText")
    assert costmodel.check("deepseek-v3").verdict.upper() in text
    assert f"{FLOP_6ND:.3e}".replace("e+", "e") in text  # 6ND FLOP, 3.286e24
    assert f"{100 * MFU_6ND:.1f}%" in text  # implied MFU, 34.6%
    assert "$5.576M" in text  # the claimed cost


def test_escaped_text_renders_as_text(browser, pages):
    page = _open(browser, pages["evil"])
    assert EVIL in page.eval("document.body.innerText")
    assert page.eval("document.querySelectorAll('script, b, i').length") == 0


@pytest.mark.parametrize("name", ["check", "estimate", "sensitivity"])
@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_not_blank_no_sideways_scroll(browser, pages, name, width):
    page = _open(browser, pages[name], width)
    page.resize(width)
    sw, iw = page.eval("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sw <= iw, f"{name} at {width}px: page is {sw}px wide"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}-{width}.png").write_bytes(page.screenshot(width))
    w, h, ink = png_ink_share(page.screenshot(width, scale=0.1))
    assert h > 100 and 0.02 < ink < 0.6, (w, h, ink)  # text and charts, not blank or solid


@pytest.mark.parametrize("name", ["check", "estimate", "sensitivity"])
def test_print(browser, pages, name):
    page = _open(browser, pages[name], PRINT_WIDTH)
    page.call("Emulation.setEmulatedMedia", {"media": "print"})
    cut = page.eval(
        "[...document.querySelectorAll('.tw, figure')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 60))"
    )
    assert cut == [], f"{name}: cut off when printed: {cut}"
    assert page.eval("document.documentElement.scrollWidth <= window.innerWidth")
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)


# ------------------------------------------------------------- issue 19, item 9
#: a table whose wrapper scrolls sideways hides columns (the export-control column of the
#: check's hardware table at 1,280 px, p95 on the estimate page at 390 px)
_OVERFLOWING_TABLES = """
[...document.querySelectorAll('table')].map(t => {
  const box = t.parentElement, r = t.getBoundingClientRect(), b = box.getBoundingClientRect();
  const cut = box.scrollWidth > box.clientWidth + 1 || r.right > b.right + 1;
  const head = t.closest('section')?.querySelector('h2, h3')?.textContent || '';
  return cut ? `${head}: ${t.textContent.trim().slice(0, 60)} (${Math.round(r.width)} px
    in ${Math.round(b.width)} px)` : null;
}).filter(x => x)
"""

#: snake_case words in the text a reader sees (code and pre blocks excepted: a command line or
#: a JSON key shown as code is meant literally; so are file names in paths and URLs)
_INTERNAL_KEYS = r"""
(() => {
  const out = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest('code, pre, script, style')) continue;
    const cs = getComputedStyle(p);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const text = n.textContent.replace(/\S*\/\S*/g, ' ');  // paths and URLs name files
    for (const m of text.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)) out.add(m[0]);
  }
  return [...out];
})()
"""


@pytest.mark.parametrize("name", ["check", "estimate", "sensitivity"])
@pytest.mark.parametrize("width", WIDTHS)
def test_no_table_cut_off(browser, pages, name, width):
    page = _open(browser, pages[name], width)
    page.resize(width)
    assert page.eval(_OVERFLOWING_TABLES) == [], f"{name} at {width}px"


@pytest.mark.parametrize("name", ["check", "estimate", "sensitivity"])
def test_no_internal_key_in_visible_text(browser, pages, name):
    for width in WIDTHS:  # the phone layout shows column labels of its own
        page = _open(browser, pages[name], width)
        page.resize(width)
        assert page.eval(_INTERNAL_KEYS) == [], f"{name} at {width}px"


def test_estimate_headline_says_it_in_words_with_its_range(browser, pages):
    """The estimate page opens with a sentence, as the check page does: the GPU-hours and the
    cost with their 90 % ranges, the numbers of the page's own quantiles."""
    import re

    page = _open(browser, pages["estimate"])
    lead = page.eval("document.querySelector('.verdict, .headline')?.innerText || ''")
    assert re.search(r"would take about .+ GPU-hours \(90%: .+–.+\)", lead), lead
    assert re.search(r"cost about \$.+ \(90%: \$.+–\$.+\)", lead), lead
