"""The built book reads fully offline from file:// and cleanly: headless Chromium opens every
page at three window widths and checks, from what the page did and what it shows:

- nothing is fetched but local files, and every local file it asks for exists and loads
  (Network.loadingFailed, HTTP status >= 400, a file: URL with no file behind it);
- nothing goes wrong in its console: no uncaught exception (Runtime.exceptionThrown), no
  console.error/console.assert (Runtime.consoleAPICalled), no error in the browser's log
  (Log.entryAdded: failed loads, CSP, deprecations that are errors);
- its math is typeset (by the vendored MathJax), nothing makes the page scroll sideways
  (wide tables scroll in their own box), no caption carries two labels;
- lists render as lists: no paragraph holds a line that starts with a literal "- ", "* " or
  "+ " list marker (a Markdown list that became one run-on paragraph);
- figures: no figure image is wider than the window; each is an SVG or a PNG with at least
  twice as many pixels as it is shown wide (sharp on 2x screens and zoomed); in windows of at
  least FONT_CHECK_WIDTH px the smallest text of each SVG figure (matplotlib writes glyphs as
  paths with their size) reads >= MIN_FONT_PT pt at the size it is shown; widget labels are
  >= MIN_WIDGET_FONT_PX px.
- numbered captions (CAPTION RULE), checked on every page:
    * a figure is a <figure>, an image or widget in a cell's output outside any <figure>, or
      an image in the text; a table is an HTML <table> outside any <figure> (code line
      numbers and the like excepted), or a <figure> that holds a table and no image/widget;
    * a figure's caption is its <figcaption>; for an output figure outside a <figure> (a
      widget, say) the paragraph right after its cell; a table's caption is its own
      <caption> or the <figcaption> of the figure around it;
    * the caption's text starts with the number: "Figure <c>.<n>" (or "Fig. <c>.<n>") for a
      figure, "Table <c>.<n>" for a table, followed by ".", ":" or a space, where <c> is the
      chapter (a number, or a capital letter for an appendix) and <n> counts 1, 2, 3 ... down
      the page, figures and tables each on their own; one <c> per page.
  In the book: ```{glue:figure} key / :name: fig-2-1 / (blank) / **Figure 2.1.** Text``` for a
  glued figure, the same with **Table 2.1.** around a glued DataFrame/Styler, a Styler with
  `rethink_lib.report.captions.captioned(styler, "Table 2.1", "text")`, a MyST
  ```{table} **Table 2.1.** Text``` around a Markdown table, and a paragraph
  "**Figure 2.3.** Text" right after a cell that displays a widget.
Chromium is driven as in test_browser_slider.py (DevTools protocol over a pipe).

test_tiny_book_* build a small book with this repo's _config.yml settings (MathJax path,
CSS, local extension, bibliography, widget JS) whose good pages hold formulas, a citation, a
list, captioned figures, a captioned widget and captioned tables much wider than the text
column, and whose bad page breaks every rule above (so each check is seen to fail); they need
no stored runs. test_real_book_* check every page of the built book, if there is one:
    RETHINK_BOOK_HTML=_build/html pytest -m browser      (that is the default)
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest
import yaml

from rethink_lib.report.style import MIN_FONT_PT

from .test_browser_slider import CHROMIUM, STEP_TIMEOUT, Chromium, local_extensions

REPO = Path(__file__).resolve().parents[1]
REAL_HTML = Path(os.environ.get("RETHINK_BOOK_HTML", REPO / "_build/html"))
WIDTHS = (1200, 800, 400)  # px: a desktop window, a narrow one (sidebar collapsed), a phone
FONT_CHECK_WIDTH = 800     # px: windows at least this wide show figures at >= MIN_FONT_PT
MIN_WIDGET_FONT_PX = 12
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
FIGURE_LABEL = re.compile(r"(?:Figure|Fig\.) (\d+|[A-Z])\.(\d+)(?=[.:\s]|$)")
TABLE_LABEL = re.compile(r"Table (\d+|[A-Z])\.(\d+)(?=[.:\s]|$)")
LIST_MARKER = re.compile(r"(?:^|\n)[ \t]*[-*+][ \t]+\S")
# matplotlib's SVG text as paths: <g transform="translate(x y) scale(s -s)"> per text, s = pt/100
SVG_TEXT_SCALE = re.compile(rb"scale\((\d*\.?\d+) -\1\)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                       "(apt-get install chromium, or `make setup-system` as root)"),
]


class OfflinePage:
    """One tab with the Network, Runtime and Log domains on from the start, so every request,
    console message and exception is recorded."""

    def __init__(self, browser: Chromium, width: int):
        self.browser = browser
        self.width = width
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Runtime", "Page", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method, params=None):
        return self.browser.send(method, params, session=self.session)

    def open(self, url: str):
        self.send("Page.navigate", {"url": "about:blank"})  # so the old page cannot answer
        self.wait_for("location.href === 'about:blank'")
        # every page as on a first visit: nothing in localStorage from the page before
        self.send("Storage.clearDataForOrigin", {"origin": "file://", "storageTypes": "all"})
        self.browser.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("location.href !== 'about:blank' && document.readyState === 'complete'")
        # MathJax typesets after load; its startup promise resolves when the page is done.
        self.js("window.MathJax && MathJax.startup && MathJax.startup.promise"
                " ? MathJax.startup.promise.then(() => true) : true")
        self.settle()

    def settle(self, quiet: float = 0.8, timeout: float = STEP_TIMEOUT):
        """Wait until widgets, images and fonts are loaded: no request open and no event for
        `quiet` seconds (widgets render, and fetch fonts, after the load event)."""
        deadline = time.monotonic() + timeout
        seen, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            done = self.js("document.fonts.status === 'loaded' && "
                           "[...document.images].every(i => i.complete)")
            if len(self.browser.events) != seen:
                seen, since = len(self.browser.events), time.monotonic()
            elif done and not self.pending() and time.monotonic() - since >= quiet:
                return
            time.sleep(0.15)
        raise TimeoutError(f"the page never settled; open requests: {self.pending()}")

    def pending(self) -> list[str]:
        urls = {e["requestId"]: e["request"]["url"]
                for e in self.events("Network.requestWillBeSent")
                if e["request"]["url"].startswith(("file:", "http:", "https:"))}
        done = {e["requestId"] for m in ("Network.loadingFinished", "Network.loadingFailed")
                for e in self.events(m)}
        return sorted(u for r, u in urls.items() if r not in done)

    def js(self, expression: str):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"page JS failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str, timeout: float = STEP_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := self.js(expression):
                return value
            time.sleep(0.2)
        raise TimeoutError(f"page never satisfied: {expression}")

    def events(self, method: str) -> list[dict]:
        return [e["params"] for e in self.browser.events
                if e.get("method") == method and e.get("sessionId") == self.session]


# What a reader would see go wrong, measured in the page (one JSON-able dict).
PAGE_JS = r"""
(async () => {
  const doc = document.scrollingElement || document.documentElement;
  const article = document.querySelector('article.bd-article') || document.body;
  const right = article.getBoundingClientRect().right;
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const flat = el => (el ? el.innerText || el.textContent || '' : '').replace(/\s+/g, ' ').trim();
  const cut = [];
  for (const t of article.querySelectorAll('table')) {
    if (t.getBoundingClientRect().right <= right + 1) continue;   // fits the column
    let box = t.parentElement;
    while (box && box !== article && !scrolls(box)) box = box.parentElement;
    const ok = box && box !== article && box.getBoundingClientRect().right <= right + 1
               && box.scrollWidth > box.clientWidth;
    if (!ok) cut.push((t.textContent || '').trim().slice(0, 60));
  }
  const visible = document.body.innerText;

  // Paragraphs, raw text (soft line breaks kept): a line that starts with a list marker.
  const dashed = [...article.querySelectorAll('p')]
    .filter(p => !p.closest('pre, .highlight, .cell_input'))
    .map(p => p.textContent).filter(t => /(^|\n)[ \t]*[-*+][ \t]+\S/.test(t))
    .map(t => t.trim().replace(/\s+/g, ' ').slice(0, 80));

  // Figures and tables, in document order, with their captions.
  const widget = 'script[type="application/vnd.jupyter.widget-view+json"], .jupyter-widgets';
  const skipTable = '.highlight, .linenodiv, mjx-container, .jupyter-widgets, .footnote, '
                    + '.citation, .bibliography, nav, .toc';
  const found = [];
  const what = el => (el.id && !/^T_/.test(el.id) ? '#' + el.id + ' ' : '')  // not pandas' ids
                     + flat(el).slice(0, 50);
  for (const f of article.querySelectorAll('figure')) {
    const cap = f.querySelector('figcaption');
    const visual = f.querySelector('img, ' + widget);
    found.push({el: f, kind: f.querySelector('table') && !visual ? 'table' : 'figure',
                caption: cap ? flat(cap) : null, what: what(cap || f)});
  }
  for (const t of article.querySelectorAll('table')) {
    if (t.closest('figure') || t.closest(skipTable)) continue;
    const cap = t.querySelector(':scope > caption');
    found.push({el: t, kind: 'table', caption: cap ? flat(cap) : null, what: what(t)});
  }
  const captionAfter = el => {       // the paragraph right after the cell (or the element)
    const cell = el.closest('.cell') || el;
    const next = cell.nextElementSibling;
    if (!next) return null;
    const p = next.matches('p') ? next : (next.firstElementChild && next.firstElementChild.matches('p')
                                         ? next.firstElementChild : null);
    return p ? flat(p) : null;
  };
  for (const out of article.querySelectorAll('.cell_output')) {
    if (out.closest('figure')) continue;
    const visual = [...out.querySelectorAll('img, ' + widget)].find(v => !v.closest('table'));
    if (visual) found.push({el: out, kind: 'figure', caption: captionAfter(out),
                            what: 'cell output: ' + (visual.matches('img') ? 'image' : 'widget')});
  }
  for (const img of article.querySelectorAll('img')) {
    if (img.closest('figure, .cell_output, table')) continue;
    found.push({el: img, kind: 'figure', caption: null, what: 'image ' + img.getAttribute('src')});
  }
  found.sort((a, b) => a.el === b.el ? 0 :
             (a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));

  // Every image shown in the text: its kind, pixels and the size it is shown at.
  const images = [];
  for (const img of article.querySelectorAll('img')) {
    const r = img.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;            // not shown (a hidden Stack view)
    const src = img.currentSrc || img.src;
    let type = '';
    if (src.startsWith('blob:')) type = (await (await fetch(src)).blob()).type;
    else if (src.startsWith('data:')) type = src.slice(5).split(/[;,]/)[0];
    else type = /\.svg([?#]|$)/i.test(src) ? 'image/svg+xml' : 'image/' + (src.split(/[?#]/)[0].split('.').pop() || '');
    images.push({src: src.slice(0, 300), type, naturalWidth: img.naturalWidth,
                 width: r.width, left: r.left, right: r.right});
  }
  const widgetText = [...article.querySelectorAll(
      '.jupyter-widgets .widget-label, .jupyter-widgets .widget-readout, '
      + '.jupyter-widgets button, .jupyter-widgets label')]
    .filter(e => e.getBoundingClientRect().width > 0 && flat(e))
    .map(e => ({text: flat(e).slice(0, 30), px: parseFloat(getComputedStyle(e).fontSize)}));

  return {
    pageScrollWidth: doc.scrollWidth, viewport: doc.clientWidth,
    tablesCut: cut,
    mathSource: document.querySelectorAll('.math').length,
    mathRendered: document.querySelectorAll('mjx-container').length,
    rawMath: (visible.match(/\\\(|\\\[|\$\$/g) || []).length,
    rawMathSample: (visible.match(/.{0,40}(\\\(|\\\[|\$\$).{0,40}/) || [''])[0],
    captions: [...document.querySelectorAll('figcaption, .caption')].map(
      c => c.innerText.trim()),
    dashed,
    items: found.map(({kind, caption, what}) => ({kind, caption, what})),
    images, widgetText,
  };
})()
"""


def svg_min_font_pt(path: Path) -> float | None:
    """The smallest text size (pt, at the figure's own size) in a matplotlib SVG; None when
    its text is not matplotlib's glyph paths."""
    sizes = [float(s) * 100 for s in SVG_TEXT_SCALE.findall(path.read_bytes())]
    return min(sizes) if sizes else None


def local_path(url: str) -> Path | None:
    return Path(unquote(urlparse(url).path)) if url.startswith("file:") else None


def console_problems(page: OfflinePage) -> list[str]:
    """Console errors, uncaught exceptions and the browser's error log of the page."""
    out = []
    for e in page.events("Runtime.exceptionThrown"):
        d = e["exceptionDetails"]
        out.append(f"exception: {(d.get('exception') or {}).get('description') or d.get('text')}"
                   f" ({d.get('url', '')[-60:]}:{d.get('lineNumber')})")
    for e in page.events("Runtime.consoleAPICalled"):
        if e["type"] in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in e["args"])
            out.append(f"console.{e['type']}: {args[:200]}")
    for e in page.events("Log.entryAdded"):
        if e["entry"]["level"] == "error":
            out.append(f"log error: {e['entry']['text'][:200]} {e['entry'].get('url', '')[-80:]}")
    return out


def request_problems(page: OfflinePage) -> list[str]:
    """Requests that leave the machine, fail, answer >= 400, or name a file that is not there."""
    out = []
    urls = {e["requestId"]: e["request"]["url"] for e in page.events("Network.requestWillBeSent")}
    remote = sorted({u for u in urls.values() if not u.startswith(LOCAL_SCHEMES)})
    if remote:
        out.append(f"requests leave the machine: {remote[:5]}")
    failed = {f"{urls.get(e['requestId'], '?')} ({e.get('errorText')})"
              for e in page.events("Network.loadingFailed") if not e.get("canceled")}
    failed |= {f"{e['response']['url']} (HTTP {e['response']['status']})"
               for e in page.events("Network.responseReceived")
               if e["response"].get("status", 0) >= 400}
    failed |= {f"{u} (no such file)" for u in urls.values()
               if (p := local_path(u)) is not None and not p.exists()}
    if failed:
        out.append(f"{len(failed)} requests failed: {sorted(failed)[:5]}")
    return out


def caption_problems(items: list[dict]) -> list[str]:
    """The CAPTION RULE of the module docstring on a page's figures and tables (in order)."""
    out, numbers, chapters = [], {"figure": [], "table": []}, set()
    for item in items:
        kind, caption = item["kind"], item["caption"]
        label = (FIGURE_LABEL if kind == "figure" else TABLE_LABEL).match(caption or "")
        if caption is None:
            out.append(f"{kind} without a caption: {item['what']!r}")
        elif not label:
            out.append(f"{kind} caption without its number ('{kind.title()} <chapter>.<n>'): "
                       f"{caption[:70]!r}")
        else:
            chapters.add(label.group(1))
            numbers[kind].append(int(label.group(2)))
    if len(chapters) > 1:
        out.append(f"captions number more than one chapter: {sorted(chapters)}")
    for kind, got in numbers.items():
        if got != list(range(1, len(got) + 1)):
            out.append(f"{kind} numbers run {got}, not 1, 2, 3 ... down the page")
    return out


def image_problems(lay: dict, width: int) -> list[str]:
    out = []
    for im in lay["images"]:
        name = im["src"].rsplit("/", 1)[-1][:60]
        if im["width"] > lay["viewport"] + 1 or im["right"] > lay["viewport"] + 1 or im["left"] < -1:
            out.append(f"image wider than the {lay['viewport']} px window: {name} shown "
                       f"{im['width']:.0f} px wide at x = {im['left']:.0f}..{im['right']:.0f}")
        if im["type"] == "image/svg+xml":
            path = local_path(im["src"])
            if width >= FONT_CHECK_WIDTH and path is not None and path.exists():
                smallest = svg_min_font_pt(path)
                shown = smallest * im["width"] / im["naturalWidth"] if smallest and im["naturalWidth"] else None
                if shown is not None and shown < MIN_FONT_PT - 0.05:
                    out.append(f"figure text at {shown:.1f} pt (< {MIN_FONT_PT}) as shown: {name} "
                               f"({smallest:g} pt drawn, shown at {im['width']:.0f} of "
                               f"{im['naturalWidth']} px)")
        elif im["naturalWidth"] < 2 * im["width"] - 1:
            out.append(f"{im['type'] or 'image'} at {im['naturalWidth'] / im['width']:.2f}x, "
                       f"not SVG or >= 2x: {name} ({im['naturalWidth']} px shown "
                       f"{im['width']:.0f} px wide)")
    small = [f"{w['text']!r} {w['px']:g}px" for w in lay["widgetText"]
             if w["px"] < MIN_WIDGET_FONT_PX]
    if small:
        out.append(f"widget text below {MIN_WIDGET_FONT_PX} px: {small[:5]}")
    return out


def check_page(page: OfflinePage, path: Path) -> dict[str, list[str]]:
    """Open `path`; return what is wrong with it by check ("console", "requests", "layout",
    "lists", "images", "captions"), as readable lines (all empty: all good)."""
    page.open(path.resolve().as_uri())
    lay = page.js(PAGE_JS)
    layout = []
    if lay["pageScrollWidth"] > lay["viewport"] + 1:
        layout.append(f"the page scrolls sideways: {lay['pageScrollWidth']} px wide in a "
                      f"{lay['viewport']} px window")
    if lay["tablesCut"]:
        layout.append(f"tables wider than the text with no scroll box: {lay['tablesCut']}")
    if lay["mathSource"] and lay["mathRendered"] < lay["mathSource"]:
        layout.append(f"math not typeset: {lay['mathRendered']} MathJax elements for "
                      f"{lay['mathSource']} formulas")
    if lay["rawMath"]:
        layout.append(f"raw LaTeX visible ({lay['rawMath']}x), e.g. {lay['rawMathSample']!r}")
    doubled = [c for c in lay["captions"] if re.match(r"(Fig(ure)?\.?\s*\d+\S*\s+){2}", c)]
    if doubled:
        layout.append(f"captions with two labels: {doubled}")
    return {
        "console": console_problems(page),
        "requests": request_problems(page),
        "layout": layout,
        "lists": [f"a list rendered as a paragraph: {t!r}" for t in lay["dashed"]],
        "images": image_problems(lay, page.width),
        "captions": caption_problems(lay["items"]),
    }


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chromium")
    b = Chromium(tmp / "profile", tmp / "chromium.log")
    yield b
    b.close()


CHECKS = ("console", "requests", "layout", "lists", "images", "captions")


def check_pages(browser: Chromium, pages: list[Path], root: Path,
                checks=CHECKS, widths=WIDTHS) -> dict[str, list[str]]:
    """check_page for every page at every width (captions: at the first width only, they do
    not depend on it); redirects (index.html) are skipped. Returns {"page @ width": lines}."""
    pages = [p for p in pages if 'http-equiv="Refresh"' not in p.read_text()]
    found = {}
    for width in widths:
        page = OfflinePage(browser, width)
        for path in pages:
            problems = check_page(page, path)
            lines = [f"{check}: {line}" for check in checks for line in problems[check]
                     if check != "captions" or width == widths[0]]
            if lines:
                found[f"{path.relative_to(root)} @ {width}px"] = lines
    return found


# ------------------------------------------------------------------------ tiny book
WIDE_CELL = '''\
import numpy as np
import pandas as pd
from IPython.display import Markdown
from myst_nb import glue
from rethink_lib.report.captions import captioned

cols = pd.MultiIndex.from_product([["crop + wd", "crop", "wd", "neither", "random labels"],
                                   ["train ours", "test ours", "test paper", "test report"]])
table = pd.DataFrame(np.round(np.linspace(50, 100, 3 * len(cols)).reshape(3, -1), 2),
                     index=["small Inception", "small AlexNet", "MLP 1x512"], columns=cols)
display(captioned(table.style.format("{:.2f}"), "Table 2.1",  # a Styler, as Table I is shown
                  "A table much wider than the text column."))
glue("md_wide", Markdown("| " + " | ".join(f"column {i}" for i in range(30)) + " |\\n|"
                         + "---|" * 30 + "\\n| " + " | ".join(str(i) for i in range(30)) + " |"),
     display=False)
print("a printed line " * 20)
'''

FIGURE_CELL = '''\
from matplotlib.figure import Figure
from rethink_lib.report.glue import figure
from rethink_lib.report.style import book_style


@book_style
def line():
    fig = Figure(figsize=(4, 2), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set(xlabel="corruption level p", ylabel="test accuracy")
    return fig


figure("fig_tiny", line())
'''

WIDGET_CELL = '''\
from matplotlib.figure import Figure
from rethink_lib.report.style import book_style
from rethink_lib.report.widgets import level_slider


@book_style
def view(p):
    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.subplots()
    ax.bar(["clean", "corrupted"], [1 - p, p], color=["C0", "C3"])
    ax.set_title(f"p = {p}")
    return fig


level_slider({p: view(p) for p in (0.0, 0.5, 1.0)}, description="label corruption")
'''

# Every rule broken once: the checks must see each (test_checks_flag_the_bad_page).
BAD_CELLS = ['''\
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display
from matplotlib.figure import Figure
from rethink_lib.report.captions import captioned
from rethink_lib.report.glue import figure

plt.figure(figsize=(3, 2))                  # shown by the inline backend: a 1x PNG, no caption
plt.plot([0, 1], [0, 1])
plt.show()
display(pd.DataFrame({"seed": [0, 1], "accuracy": [0.5, 0.6]}))            # no caption
display(captioned(pd.DataFrame({"a": [1]}), "Table 3.2", "Numbered, but no Table 3.1."))
small = Figure(figsize=(3, 2))
small.subplots().set_title("text at 5 pt", fontsize=5)
small.axes[0].tick_params(labelsize=5)
figure("fig_small_text", small)
figure("fig_paper_label", Figure(figsize=(2, 1)))
display(HTML('<img src="missing.png" alt="a file that is not there">'))
display(HTML('<img style="width: 900px; max-width: none" alt="too wide" src="data:image/svg+xml,'
             '%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%22900%22 height=%2210%22/%3E">'))
display(HTML("<script>console.error('bad page: an error in the console')</script>"))
display(HTML("<script>notDefinedAnywhere()</script>"))
''', '''\
```{glue:figure} fig_small_text
:name: fig-small-text

**Figure 3.1.** Numbered, but its text is too small to read.
```

```{glue:figure} fig_paper_label
:name: fig-paper-label

**Fig. 1a.** The paper's label and no number of ours.
```
''']

TINY_PAGES = {
    "intro.md": '''# Offline book

Theorem 1 of {cite}`zhang2017understanding` builds
$c(x) = \\sum_{j=1}^{n} w_j \\max(\\langle a, x\\rangle - b_j, 0)$ with $2n + d$ weights, and

$$
K \\alpha = Y, \\qquad \\lVert f \\rVert_{\\mathcal{H}} = \\sqrt{\\operatorname{tr}(\\alpha^\\top K \\alpha)}.
$$

What reproduces:

- Fig. 1a, the order of the curves;
- Fig. 1c, test error that grows with the corruption level.

:::{table} **Table 1.1.** A wide Markdown table in the text.
:name: tab-intro

| a | wide | Markdown | table | in | the | text | ''' + " | ".join(f"col{i}" for i in range(25)) + ''' |
|---|---|---|---|---|---|---|''' + "---|" * 25 + '''
| 1 | 2 | 3 | 4 | 5 | 6 | 7 | ''' + " | ".join(str(i) for i in range(25)) + ''' |
:::
''',
    "bibliography.md": "# References\n\n```{bibliography}\n```\n",
}
GOOD_PAGES = ("intro.html", "wide.html", "bibliography.html")


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory) -> Path:
    '''Build a small book with this repo's Sphinx settings; return its html folder.'''
    root = tmp_path_factory.mktemp("offline_book")
    repo_config = yaml.safe_load((REPO / "_config.yml").read_text())
    sphinx_config = repo_config["sphinx"]["config"]
    static = [str(REPO / p) for p in sphinx_config["html_static_path"]]
    config = {
        "title": "offline test",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "cache", "timeout": 300},
        "parse": repo_config["parse"],
        "latex": repo_config["latex"],
        "bibtex_bibfiles": [str(REPO / f) for f in repo_config["bibtex_bibfiles"]],
        "sphinx": {"config": {**sphinx_config, "html_static_path": static},
                   "local_extensions": local_extensions()},
    }
    # sort_keys=False: nb_ipywidgets_js is ordered (require.js must load before embed-amd.js)
    (root / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                   "  - file: wide\n  - file: bad\n  - file: bibliography\n")
    for name, text in TINY_PAGES.items():
        (root / name).write_text(text)
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nbformat.write(notebook([
        md("# Wide outputs\n\nInline $x_i^\\top w$ and {cite}`zhang2021understanding`."),
        code(WIDE_CELL, metadata={"tags": ["hide-input"]}),
        md("```{glue:figure} md_wide\n:name: tab-md-wide\n\n"
           "**Table 2.2.** A Markdown table printed by a cell, glued into a figure.\n```"),
        code(FIGURE_CELL, metadata={"tags": ["remove-cell"]}),
        md("```{glue:figure} fig_tiny\n:name: fig-tiny\n\n"
           "**Figure 2.1.** A caption with our number; the paper calls this Fig. 1a.\n```"),
        code(WIDGET_CELL, metadata={"tags": ["hide-input"]}),
        md("**Figure 2.2.** A widget's caption: the paragraph right after its cell."),
    ]), root / "wide.ipynb")
    nbformat.write(notebook([
        md("# Bad page\n\nThe verdicts, as they used to render:\n\\- reproduces: Fig. 1a\n"
           "\\- differs: Fig. 1b"),
        code(BAD_CELLS[0]), md(BAD_CELLS[1]),
    ]), root / "bad.ipynb")
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([str(jb) if jb.exists() else "jupyter-book", "build", str(root),
                           "-W", "-n", "--keep-going"], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return root / "_build/html"


def test_tiny_book_html_has_no_cdn_and_one_caption_label(tiny_book):
    for page in GOOD_PAGES:
        html = (tiny_book / page).read_text()
        scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', html)
        assert not scripts, f"{page} loads {scripts}"
        inline = re.findall(r"<script>(.*?)</script>", html, re.S)
        assert len(inline) == len(set(inline)), f"{page} repeats an inline script"
        assert html.count("const THEBE_JS_URL") <= 1
    assert (tiny_book / "_static/vendor/mathjax/tex-svg-full.js").exists()
    assert "vendor/mathjax/tex-svg-full.js" in (tiny_book / "intro.html").read_text()
    wide = (tiny_book / "wide.html").read_text()
    assert "caption-number" not in wide  # no Sphinx "Fig. 1" in front of our own number
    assert "Figure 2.1." in wide and "Table 2.1." in wide
    assert re.search(r'<img [^>]*src="_images/[^"]+\.svg"', wide), "the glued figure is not SVG"
    # a tap on a figure (scaled down on a phone) opens its file (_theme/rethink_html.py)
    link = re.search(r'<a [^>]*href="(_images/[^"]+\.svg)"[^>]*>\s*<img [^>]*src="\1"', wide)
    assert link and (tiny_book / link.group(1)).exists(), "the figure does not link to its file"
    fonts = sorted((tiny_book / "_static/vendor/html-manager").glob("*.woff2"))
    assert len(fonts) == 3, fonts
    bib = (tiny_book / "bibliography.html").read_text()
    assert "rethinking generalization" in bib and "(still)" in bib


def test_tiny_book_reads_offline(tiny_book, browser):
    pages = [tiny_book / name for name in GOOD_PAGES]
    problems = check_pages(browser, pages, tiny_book)
    assert not problems, json.dumps(problems, indent=1)
    # the checks looked at something: the good page has figures, tables, images and a widget
    page = OfflinePage(browser, 400)
    page.open((tiny_book / "wide.html").as_uri())
    lay = page.js(PAGE_JS)
    kinds = [(i["kind"], (i["caption"] or "")[:10]) for i in lay["items"]]
    assert kinds == [("table", "Table 2.1."), ("table", "Table 2.2."),
                     ("figure", "Figure 2.1"), ("figure", "Figure 2.2")], kinds
    types = sorted(im["type"] for im in lay["images"])
    assert types == ["image/png", "image/svg+xml"], lay["images"]  # the slider's view, the figure
    png = next(im for im in lay["images"] if im["type"] == "image/png")
    assert png["naturalWidth"] >= 2 * png["width"] - 1
    assert lay["widgetText"] and min(w["px"] for w in lay["widgetText"]) >= MIN_WIDGET_FONT_PX


def test_checks_flag_the_bad_page(tiny_book, browser):
    '''Each check fails where its rule is broken (bad.ipynb breaks every one).'''
    found = check_pages(browser, [tiny_book / "bad.html"], tiny_book)
    wide, phone = found["bad.html @ 1200px"], found["bad.html @ 400px"]
    text = "\n".join(wide)

    def has(check: str, *words: str) -> bool:
        return any(line.startswith(check + ":") and all(w in line for w in words) for line in wide)

    assert has("console", "console.error", "bad page: an error in the console"), text
    assert has("console", "exception", "notDefinedAnywhere"), text
    assert has("console", "log error", "missing.png"), text
    assert has("requests", "missing.png"), text
    assert has("lists", "- reproduces: Fig. 1a"), text
    assert has("captions", "figure without a caption", "cell output: image"), text
    assert has("captions", "table without a caption", "seed"), text
    assert has("captions", "figure caption without its number", "Fig. 1a."), text
    assert has("captions", "table numbers run [2]"), text
    assert has("images", "image/png at 1.00x"), text
    assert has("images", "figure text at 5.0 pt"), text
    assert not any("wider than the" in line for line in wide), text  # fits 1200 px
    assert any(line.startswith("images: image wider than the") for line in phone), phone
    assert not any(line.startswith("captions:") for line in phone)  # said once, at 1200 px


def test_caption_rule():
    '''Numbers: Figure/Fig./Table <chapter>.<n>, one chapter, 1, 2, 3 ... per kind.'''
    def item(kind, caption):
        return {"kind": kind, "caption": caption, "what": "x"}
    good = [item("figure", "Figure 2.1. Loss."), item("table", "Table 2.1: Accuracy"),
            item("figure", "Fig. 2.2 Curves"), item("table", "Table 2.2 (cont.)")]
    assert caption_problems(good) == []
    assert caption_problems([item("figure", "Figure A.1. In the appendix.")]) == []
    assert caption_problems([item("figure", None)]) == ["figure without a caption: 'x'"]
    for bad in ("Fig. 1a. The paper's label.", "Figure 2. No chapter.", "Table 2.1. A table",
                "see Figure 2.1", "Figure 2.1a. A panel"):
        assert caption_problems([item("figure", bad)]), bad
    assert caption_problems([item("table", "Figure 2.1. Not a table's label.")])
    assert "more than one chapter" in " ".join(caption_problems(
        [item("figure", "Figure 2.1. a"), item("figure", "Figure 3.2. b")]))
    assert "not 1, 2, 3" in " ".join(caption_problems(
        [item("figure", "Figure 2.1. a"), item("figure", "Figure 2.3. b")]))


def test_check_catches_cdn_math_and_wide_page(tmp_path, browser):
    '''The checks themselves: a page with CDN MathJax and a 3000 px table fails all three.'''
    bad = tmp_path / "bad.html"
    bad.write_text('''<!doctype html><html><head>
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script></head>
<body><article class="bd-article"><p><span class="math">\\(x^2\\)</span></p>
<table style="width:3000px"><tr><td>wide</td></tr></table></article></body></html>''')
    problems = " ".join(sum(check_page(OfflinePage(browser, 800), bad).values(), []))
    assert "leave the machine" in problems
    assert "math not typeset" in problems and "raw LaTeX" in problems
    assert "scrolls sideways" in problems and "no scroll box" in problems


# ------------------------------------------------------------------------ real book
def real_pages() -> list[Path]:
    if not (REAL_HTML / "index.html").exists():
        pytest.skip(f"{REAL_HTML} is not built (make book)")
    return sorted(p for p in REAL_HTML.rglob("*.html")
                  if not {"_static", "_sources", "_images"} & set(p.relative_to(REAL_HTML).parts)
                  and p.name not in ("genindex.html", "search.html"))


def test_real_book_reads_offline(browser):
    """Every page: no console error, no failed request, no remote request, laid out to the
    window, math typeset, lists as lists, figures sharp and readable."""
    pages = real_pages()
    problems = check_pages(browser, pages, REAL_HTML,
                           ("console", "requests", "layout", "lists", "images"))
    assert not problems, json.dumps(problems, indent=1)


def test_real_book_numbers_every_figure_and_table(browser):
    """Every figure and table of every page has a numbered caption (the CAPTION RULE)."""
    pages = real_pages()
    problems = check_pages(browser, pages, REAL_HTML, ("captions",), widths=WIDTHS[:1])
    assert not problems, json.dumps(problems, indent=1)


def test_real_book_cites_and_lists_references():
    """The bibliography page lists the paper; every chapter links a citation of it there."""
    from rethink_lib.ops.execution import toc_documents
    real_pages()  # skips if the book is not built
    bib = (REAL_HTML / "book/bibliography.html").read_text()
    assert "Understanding deep learning requires rethinking generalization" in bib
    assert "(still)" in bib

    def cites_paper(html: str) -> bool:  # a link into the bibliography titled with the paper
        return any('href="bibliography.html#' in a and "rethinking generalization" in a
                   for a in re.findall(r"<a [^>]*>", html))

    uncited = [doc for doc in toc_documents(REPO) if doc != "book/bibliography"
               and not cites_paper((REAL_HTML / f"{doc}.html").read_text())]
    assert not uncited, f"pages without a citation of the paper: {uncited}"


def test_real_book_execution_report_lists_chapters_and_runs():
    """Every chapter notebook, and every run stored before the page was built."""
    from rethink_lib.ops.execution import chapter_notebooks, default_results_dir
    real_pages()
    page = REAL_HTML / "book/execution_report.html"
    html, built = page.read_text(), page.stat().st_mtime
    chapters = chapter_notebooks(REPO, skip=("execution_report",))
    assert chapters
    missing = [p.name for p in chapters if p.relative_to(REPO).as_posix() not in html]
    assert not missing, f"chapters missing from the execution report: {missing}"
    # runs are named by what they trained (model, data, corruption, ...), not by their hash
    import html as html_lib

    from rethink_lib.config import RunConfig
    from rethink_lib.ops.status import run_name
    text = html_lib.unescape(html)
    store = default_results_dir(REPO)
    runs = [json.loads((s.parent / "config.json").read_text())
            for s in store.glob("*/summary.json") if s.stat().st_mtime < built]
    missing = [run_name(RunConfig.from_dict(c)) for c in runs]
    missing = [name for name in missing if name not in text]
    assert not missing, f"{len(missing)} stored runs missing from the report: {missing[:5]}"
