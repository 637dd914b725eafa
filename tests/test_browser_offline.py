"""The built book reads fully offline from file://: headless Chromium opens every page and
checks that it fetches nothing but local files, that its math is typeset (by the vendored
MathJax), and that nothing makes the page scroll sideways (wide tables scroll in their own
box). Chromium is driven as in test_browser_slider.py (DevTools protocol over a pipe).

test_tiny_book_* build a small book with this repo's _config.yml settings (MathJax path,
CSS, bibliography, widget JS) whose pages hold formulas, a citation, a captioned figure and
tables much wider than the text column; they need no stored runs.
test_real_book_* check every page of the built book, if there is one (`make book`):
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

import nbformat
import pytest
import yaml

from .test_browser_slider import CHROMIUM, STEP_TIMEOUT, Chromium

REPO = Path(__file__).resolve().parents[1]
REAL_HTML = Path(os.environ.get("RETHINK_BOOK_HTML", REPO / "_build/html"))
WIDTHS = (1200, 800)  # px: a desktop window and a narrow one (sidebar collapsed)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
# The widget manager's CSS names Font Awesome font files that scripts/vendor_widgets.sh
# leaves out on purpose (the theme's own Font Awesome draws the icons): a missing local
# file, not a request to the network.
WIDGET_FONTS = re.compile(r"/@jupyter-widgets/.*\.(woff2?|ttf|eot|svg)$")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                       "(apt-get install chromium, or `make setup-system` as root)"),
]


class OfflinePage:
    """One tab with the Network domain on from the start, so every request is recorded."""

    def __init__(self, browser: Chromium, width: int):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Runtime", "Page"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method, params=None):
        return self.browser.send(method, params, session=self.session)

    def open(self, url: str):
        self.send("Page.navigate", {"url": "about:blank"})  # so the old page cannot answer
        self.wait_for("location.href === 'about:blank'")
        self.browser.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("location.href !== 'about:blank' && document.readyState === 'complete'")
        # MathJax typesets after load; its startup promise resolves when the page is done.
        self.js("window.MathJax && MathJax.startup && MathJax.startup.promise"
                " ? MathJax.startup.promise.then(() => true) : true")

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
LAYOUT_JS = r"""
(() => {
  const doc = document.scrollingElement || document.documentElement;
  const article = document.querySelector('article.bd-article') || document.body;
  const right = article.getBoundingClientRect().right;
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
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
  return {
    pageScrollWidth: doc.scrollWidth, viewport: doc.clientWidth,
    tablesCut: cut,
    mathSource: document.querySelectorAll('.math').length,
    mathRendered: document.querySelectorAll('mjx-container').length,
    rawMath: (visible.match(/\\\(|\\\[|\$\$/g) || []).length,
    rawMathSample: (visible.match(/.{0,40}(\\\(|\\\[|\$\$).{0,40}/) || [''])[0],
    captions: [...document.querySelectorAll('figcaption, .caption')].map(
      c => c.innerText.trim()),
  };
})()
"""


def check_page(page: OfflinePage, path: Path) -> list[str]:
    """Open `path`; return what is wrong with it, as readable lines (empty: all good)."""
    page.open(path.resolve().as_uri())
    problems = []
    remote = sorted({e["request"]["url"] for e in page.events("Network.requestWillBeSent")
                     if not e["request"]["url"].startswith(LOCAL_SCHEMES)})
    if remote:
        problems.append(f"requests leave the machine: {remote[:5]}")
    urls = {e["requestId"]: e["request"]["url"]
            for e in page.events("Network.requestWillBeSent")}
    failed = sorted({f"{urls.get(e['requestId'], '?')} ({e.get('errorText')})"
                     for e in page.events("Network.loadingFailed") if not e.get("canceled")
                     and not WIDGET_FONTS.search(urls.get(e["requestId"], ""))})
    if failed:
        problems.append(f"{len(failed)} local files failed to load: {failed[:5]}")
    lay = page.js(LAYOUT_JS)
    if lay["pageScrollWidth"] > lay["viewport"] + 1:
        problems.append(f"the page scrolls sideways: {lay['pageScrollWidth']} px wide in a "
                        f"{lay['viewport']} px window")
    if lay["tablesCut"]:
        problems.append(f"tables wider than the text with no scroll box: {lay['tablesCut']}")
    if lay["mathSource"] and lay["mathRendered"] < lay["mathSource"]:
        problems.append(f"math not typeset: {lay['mathRendered']} MathJax elements for "
                        f"{lay['mathSource']} formulas")
    if lay["rawMath"]:
        problems.append(f"raw LaTeX visible ({lay['rawMath']}x), e.g. {lay['rawMathSample']!r}")
    doubled = [c for c in lay["captions"] if re.match(r"(Fig(ure)?\.?\s*\d+\S*\s+){2}", c)]
    if doubled:
        problems.append(f"captions with two labels: {doubled}")
    return problems


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chromium")
    b = Chromium(tmp / "profile", tmp / "chromium.log")
    yield b
    b.close()


def check_pages(browser: Chromium, pages: list[Path], root: Path) -> dict[str, list[str]]:
    """check_page for every page at every width; redirects (index.html) are skipped."""
    pages = [p for p in pages if 'http-equiv="Refresh"' not in p.read_text()]
    found = {}
    for width in WIDTHS:
        page = OfflinePage(browser, width)
        for path in pages:
            if problems := check_page(page, path):
                found[f"{path.relative_to(root)} @ {width}px"] = problems
    return found


# ------------------------------------------------------------------------ tiny book
WIDE_CELL = '''\
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

cols = pd.MultiIndex.from_product([["crop + wd", "crop", "wd", "neither", "random labels"],
                                   ["train ours", "test ours", "test paper", "test report"]])
table = pd.DataFrame(np.round(np.linspace(50, 100, 3 * len(cols)).reshape(3, -1), 2),
                     index=["small Inception", "small AlexNet", "MLP 1x512"], columns=cols)
display(table.style.format("{:.2f}"))            # a Styler, as Table I is shown
display(Markdown("| " + " | ".join(f"column {i}" for i in range(30)) + " |\\n|"
                 + "---|" * 30 + "\\n| " + " | ".join(str(i) for i in range(30)) + " |"))
print("a printed line " * 20)
'''

FIGURE_CELL = '''\
import matplotlib.pyplot as plt
from myst_nb import glue

fig, ax = plt.subplots(figsize=(4, 2))
ax.plot([0, 1], [1, 0])
glue("fig_tiny", fig, display=False)
plt.close(fig)
'''

TINY_PAGES = {
    "intro.md": """# Offline book

Theorem 1 of {cite}`zhang2017understanding` builds
$c(x) = \\sum_{j=1}^{n} w_j \\max(\\langle a, x\\rangle - b_j, 0)$ with $2n + d$ weights, and

$$
K \\alpha = Y, \\qquad \\lVert f \\rVert_{\\mathcal{H}} = \\sqrt{\\operatorname{tr}(\\alpha^\\top K \\alpha)}.
$$

| a | wide | Markdown | table | in | the | text | """ + " | ".join(f"col{i}" for i in range(25)) + """ |
|---|---|---|---|---|---|---|""" + "---|" * 25 + """
| 1 | 2 | 3 | 4 | 5 | 6 | 7 | """ + " | ".join(str(i) for i in range(25)) + " |\n",
    "bibliography.md": "# References\n\n```{bibliography}\n```\n",
}


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory) -> Path:
    """Build a small book with this repo's Sphinx settings; return its html folder."""
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
        "sphinx": {"config": {**sphinx_config, "html_static_path": static}},
    }
    (root / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                   "  - file: wide\n  - file: bibliography\n")
    for name, text in TINY_PAGES.items():
        (root / name).write_text(text)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Wide outputs\n\nInline $x_i^\\top w$ and "
                                      "{cite}`zhang2021understanding`."),
        nbformat.v4.new_code_cell(WIDE_CELL, metadata={"tags": ["hide-input"]}),
        nbformat.v4.new_code_cell(FIGURE_CELL, metadata={"tags": ["remove-cell"]}),
        nbformat.v4.new_markdown_cell("```{glue:figure} fig_tiny\n:name: fig-tiny\n\n"
                                      "**Fig. 1a.** A caption with the paper's label.\n```"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, root / "wide.ipynb")
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([str(jb) if jb.exists() else "jupyter-book", "build", str(root),
                           "-W", "-n", "--keep-going"], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return root / "_build/html"


def test_tiny_book_html_has_no_cdn_and_one_caption_label(tiny_book):
    for page in ("intro.html", "wide.html", "bibliography.html"):
        html = (tiny_book / page).read_text()
        scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', html)
        assert not scripts, f"{page} loads {scripts}"
    assert (tiny_book / "_static/vendor/mathjax/tex-svg-full.js").exists()
    assert "vendor/mathjax/tex-svg-full.js" in (tiny_book / "intro.html").read_text()
    wide = (tiny_book / "wide.html").read_text()
    assert "caption-number" not in wide  # no Sphinx "Fig. 1" in front of the paper's label
    assert "Fig. 1a." in wide
    bib = (tiny_book / "bibliography.html").read_text()
    assert "rethinking generalization" in bib and "(still)" in bib


def test_tiny_book_reads_offline(tiny_book, browser):
    pages = sorted(tiny_book.glob("*.html"))
    assert {"intro.html", "wide.html", "bibliography.html"} <= {p.name for p in pages}
    problems = check_pages(browser, pages, tiny_book)
    assert not problems, json.dumps(problems, indent=1)


def test_check_catches_cdn_math_and_wide_page(tmp_path, browser):
    """The checks themselves: a page with CDN MathJax and a 3000 px table fails all three."""
    bad = tmp_path / "bad.html"
    bad.write_text("""<!doctype html><html><head>
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script></head>
<body><article class="bd-article"><p><span class="math">\\(x^2\\)</span></p>
<table style="width:3000px"><tr><td>wide</td></tr></table></article></body></html>""")
    problems = " ".join(check_page(OfflinePage(browser, 800), bad))
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
    pages = real_pages()
    problems = check_pages(browser, pages, REAL_HTML)
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
    store = default_results_dir(REPO)
    runs = [s.parent.name for s in store.glob("*/summary.json") if s.stat().st_mtime < built]
    missing = [r for r in runs if r not in html]
    assert not missing, f"{len(missing)} stored runs missing from the report: {missing[:5]}"
