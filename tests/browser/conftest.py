"""A real browser for the page tests: Debian's Chromium, driven by Playwright.

Playwright's own browser download does not work on the CI machines, so the tests launch the
system Chromium (`bash .ci/setup-system` installs it as root with apt) and skip, with the reason,
where it or the Python package is missing. Screenshots go to ``$CI_ARTIFACTS/browser`` when CI
sets that variable, else to a folder under pytest's temporary directory.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# headless, no sandbox (CI runs as root), and none of Chromium's own connections to Google's hosts,
# which the machine's closed network refuses
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Japanese characters whose glyph is missing, per text element of the page. Each character is drawn
# on a canvas in its element's computed font and compared, pixel by pixel, with what the same font
# draws for characters that no font has (an unassigned code point and a private-use one: the
# missing-glyph box, "tofu"). A character that draws nothing, or draws the same pixels as tofu, has
# no glyph in any font the browser can use.
_MISSING_GLYPHS_JS = """
(selector) => {
  const japanese = /[\\u3001-\\u30ff\\u3400-\\u9fff\\uf900-\\ufaff\\uff01-\\uff9f]/u;
  const wanted = new Map();
  const walker = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const style = getComputedStyle(walker.currentNode.parentElement);
    const font = `${style.fontStyle} ${style.fontWeight} 40px ${style.fontFamily}`;
    for (const ch of walker.currentNode.data) if (japanese.test(ch)) wanted.set(font + "|" + ch, [font, ch]);
  }
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const draw = (font, text) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.font = font;
    ctx.textBaseline = "top";
    ctx.fillText(text, 8, 8);
    const alpha = ctx.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3);
    return { pixels: alpha.join(","), ink: alpha.some((a) => a > 0) };
  };
  const missing = new Set(), tofu = new Map();
  for (const [font, ch] of wanted.values()) {
    if (!tofu.has(font)) tofu.set(font, ["\\u0378", "\\u{10FFFD}"].map((r) => draw(font, r).pixels));
    const glyph = draw(font, ch);
    if (!glyph.ink || tofu.get(font).includes(glyph.pixels)) missing.add(ch);
  }
  const checked = new Set([...wanted.values()].map(([, ch]) => ch));
  return { checked: [...checked].join(""), missing: [...missing].join("") };
}
"""


def _launch(playwright, **options):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, **options)


@pytest.fixture(scope="session")
def playwright():
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}: install Debian's chromium (`bash .ci/setup-system` as root does)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason='playwright is not installed: .venv/bin/pip install -e ".[test]"'
    )
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    browser = _launch(playwright)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_without_japanese_fonts(playwright, tmp_path_factory):
    """The same Chromium, seeing every system font except those that cover Japanese (fontconfig
    rejects them): the glyph check must fail here."""
    conf = tmp_path_factory.mktemp("fontconfig") / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        '  <selectfont><rejectfont><pattern><patelt name="lang"><string>ja</string></patelt></pattern>'
        "</rejectfont></selectfont>\n</fontconfig>\n",
        encoding="utf-8",
    )
    browser = _launch(playwright, env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots go: ``$CI_ARTIFACTS/browser``, else pytest's temporary directory."""
    if os.environ.get("CI_ARTIFACTS"):
        folder = Path(os.environ["CI_ARTIFACTS"]) / "browser"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("browser-artifacts")


class WatchedPage:
    """A new page in its own context, recording console errors, uncaught exceptions and failed requests."""

    def __init__(self, browser, **context_options):
        self.context = browser.new_context(locale="ja-JP", **context_options)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} ({r.failure})"))

    def missing_glyphs(self, selector: str = "body") -> dict[str, str]:
        """``{"checked": the Japanese characters on the page, "missing": those drawn as tofu}``."""
        return self.page.evaluate(_MISSING_GLYPHS_JS, selector)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser):
    """``watched(**context_options)`` opens a WatchedPage (``in_browser=`` another browser than ``browser``)."""
    pages: list[WatchedPage] = []

    def open_page(in_browser=None, **context_options) -> WatchedPage:
        pages.append(WatchedPage(in_browser or browser, **context_options))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()
