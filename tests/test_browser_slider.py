"""The corruption-level slider works in the static book: headless Chromium moves it and the
shown figure changes, with no kernel and no network.

Chromium is driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`), so
the test needs only the standard library: no selenium, no websocket client, nothing that could
try to download a driver. Every wait has a deadline; the browser is killed on the way out.

test_tiny_book_slider builds a one-page book (this repo's widget config and _vendor/ folder)
whose notebook calls `rethink_lib.report.widgets.level_slider` on three synthetic figures;
test_tiny_book_play_button checks a Play widget there (the Font Awesome fix in _config.yml).
test_real_book_slider does the same on the built book's page, if there is one:
    RETHINK_BOOK_PAGE=_build/html/book/02_capacity.html pytest -m browser   (that is the default)
"""
from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REAL_PAGE = Path(os.environ.get("RETHINK_BOOK_PAGE", REPO / "_build/html/book/02_capacity.html"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-dev-shm-usage", "--window-size=1200,900"]
BUILD_TIMEOUT = 600   # s, building the tiny book (kernel start + one notebook)
STEP_TIMEOUT = 30     # s, any one browser command or wait

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                       "(apt-get install chromium, or `make setup-system` as root)"),
]


class Chromium:
    """Headless Chromium over --remote-debugging-pipe: it reads commands on fd 3 and writes
    replies and events on fd 4, each message one JSON text ended by a NUL byte."""

    def __init__(self, profile_dir: Path, log_path: Path):
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()
        self.log_path = log_path
        self._log = open(log_path, "wb")
        # bash moves the pipe ends to fds 3 and 4, then becomes (execs) Chromium. (dash's
        # redirections take single-digit fds only.)
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{to_r} 4>&{from_w}', "bash", CHROMIUM, *FLAGS,
             f"--user-data-dir={profile_dir}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from Chromium in time")
            ready, _, _ = select.select([self._from_r], [], [], left)
            if ready:
                chunk = os.read(self._from_r, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the pipe (exit code {self.proc.poll()}):"
                                       f"\n{self.log_path.read_text(errors='replace')[-2000:]}")
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = STEP_TIMEOUT) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only what we started
            self.proc.wait(timeout=10)
        for fd in (self._to_w, self._from_r):
            os.close(fd)
        self._log.close()


class Page:
    """One tab, attached in flat mode so commands carry its sessionId."""

    def __init__(self, browser: Chromium, url: str):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target, "flatten": True})["sessionId"]
        self.send("Runtime.enable")  # page exceptions arrive as events, shown on failure
        self.send("Page.navigate", {"url": url})

    def send(self, method, params=None):
        return self.browser.send(method, params, session=self.session)

    def js(self, expression: str):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"page JS failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str, timeout: float = STEP_TIMEOUT):
        """Poll `expression` until it gives a truthy value; return that value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.2)
        raise TimeoutError(f"page never satisfied: {expression}\n{self.diagnostics()}")

    def press(self, key: str, code: int):
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key,
                                                 "windowsVirtualKeyCode": code})

    def diagnostics(self) -> str:
        errors = [e["params"]["exceptionDetails"] for e in self.browser.events
                  if e.get("method") == "Runtime.exceptionThrown"]
        return f"page exceptions: {json.dumps(errors)[:2000]}"


# Slider number `i` on the page: the text of its readout and the bytes (base64) of the one
# image visible in its VBox, the view the Stack shows; null until exactly one is visible.
# Images are blob: URLs, fresh for each rendering, so we compare their bytes, not their src.
SHOWN_JS = """
(async (i) => {
  const slider = document.querySelectorAll('.widget-slider')[i];
  if (!slider) return null;
  const box = slider.closest('.widget-vbox') || slider.parentElement;
  const imgs = [...box.querySelectorAll('img')].filter(
      im => im.getBoundingClientRect().width > 0 && im.complete && im.naturalWidth > 0);
  if (imgs.length !== 1) return null;  // not rendered yet, or more than one view visible
  const bytes = new Uint8Array(await (await fetch(imgs[0].src)).arrayBuffer());
  let s = ''; for (const b of bytes) s += String.fromCharCode(b);
  const readout = slider.querySelector('.widget-readout');
  return {readout: readout ? readout.textContent.trim() : null, image: btoa(s)};
})(%d)
"""


def shown(page: Page, i: int = 0) -> dict:
    """Wait until slider `i` shows exactly one loaded image; return its readout and bytes."""
    state = page.wait_for(SHOWN_JS % i)
    return {"readout": state["readout"], "image": base64.b64decode(state["image"])}


def move_slider(page: Page, i: int = 0, key: str = "ArrowRight", code: int = 39):
    """Focus slider `i`'s handle and press a key, as a reader using the keyboard would."""
    assert page.js(f"""(() => {{ const h = document.querySelectorAll('.widget-slider')[{i}]
        .querySelector('.noUi-handle, [role=slider]'); if (!h) return false; h.focus();
        return document.activeElement === h; }})()"""), "could not focus the slider handle"
    page.press(key, code)


def widget_images(html: str) -> list[bytes]:
    """All Image widget values saved in a page's widget state."""
    m = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>',
                  html, re.S)
    assert m, "the page has no saved widget state: was the notebook executed?"
    state = json.loads(m.group(1))["state"]
    return [base64.b64decode(buf["data"]) for model in state.values()
            if model["model_name"] == "ImageModel" for buf in model.get("buffers", [])
            if buf["path"] == ["value"]]


@pytest.fixture
def browser(tmp_path):
    b = Chromium(tmp_path / "profile", tmp_path / "chromium.log")
    yield b
    b.close()


SLIDER_NOTEBOOK = '''\
import matplotlib.pyplot as plt
from rethink_lib.report.widgets import level_slider


def view(p):  # three clearly different pictures
    fig, ax = plt.subplots(figsize=(2.5, 1.8))
    ax.bar(["clean", "corrupted"], [1 - p, p], color=["C0", "C3"])
    ax.set_ylim(0, 1)
    ax.set_title(f"p = {p}")
    return fig


level_slider({p: view(p) for p in (0.0, 0.5, 1.0)}, description="label corruption")
'''

# A Play button needs vendor/fa-config.js: without it the theme's Font Awesome swaps the
# button's <i> icon for an <svg> and the button stops working.
PLAY_NOTEBOOK = '''\
import ipywidgets as widgets

play, counter = widgets.Play(min=0, max=3, interval=100), widgets.IntSlider(min=0, max=3)
widgets.jslink((play, "value"), (counter, "value"))
widgets.HBox([play, counter])
'''

# The network toggle beside the level slider (rethink_lib.report.widgets.network_level_explorer)
EXPLORER_NOTEBOOK = '''\
import matplotlib.pyplot as plt
from rethink_lib.report.widgets import network_level_explorer


def view(net, p):  # six clearly different pictures
    fig, ax = plt.subplots(figsize=(2.5, 1.8))
    ax.bar(["clean", "corrupted"], [1 - p, p], color=["C0" if net == "A" else "C2", "C3"])
    ax.set_title(f"network {net}, p = {p}")
    return fig


network_level_explorer({net: {p: view(net, p) for p in (0.0, 0.5, 1.0)} for net in "AB"})
'''


def local_extensions() -> dict:
    """The repo's `sphinx.local_extensions` (_theme/rethink_html.py), with absolute paths."""
    found = yaml.safe_load((REPO / "_config.yml").read_text())["sphinx"].get("local_extensions")
    return {name: str((REPO / path).resolve()) for name, path in (found or {}).items()}


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory) -> Path:
    """Build a one-page Jupyter Book with the repo's widget config; return the page path."""
    root = tmp_path_factory.mktemp("tiny_book")
    sphinx_config = yaml.safe_load((REPO / "_config.yml").read_text())["sphinx"]["config"]
    config = {
        "title": "slider test",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "cache", "timeout": 300},
        # loads sphinxcontrib-bibtex, whose settings (bibtex_*) the sphinx config carries
        "bibtex_bibfiles": [str(REPO / "references.bib")],
        "sphinx": {"config": {**sphinx_config, "html_static_path": [str(REPO / "_vendor")]},
                   "local_extensions": local_extensions()},
    }
    # sort_keys=False: nb_ipywidgets_js is ordered (require.js must load before embed-amd.js)
    (root / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "_toc.yml").write_text("format: jb-book\nroot: slider\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Slider"),
                                         nbformat.v4.new_code_cell(SLIDER_NOTEBOOK),
                                         nbformat.v4.new_code_cell(PLAY_NOTEBOOK),
                                         nbformat.v4.new_code_cell(EXPLORER_NOTEBOOK)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, root / "slider.ipynb")
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([str(jb) if jb.exists() else "jupyter-book", "build", str(root),
                           "-W", "-n", "--keep-going"], capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    page = root / "_build/html/slider.html"
    assert (root / "_build/html/_static/vendor/html-manager/embed-amd.js").exists()
    return page


def test_tiny_book_slider(tiny_book, browser):
    html = tiny_book.read_text()
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html, "the page would load a CDN"
    views = widget_images(html)  # the slider's 3 views first (saved in creation order), then
    assert len(views) == 3 + 6 and len(set(views)) == 9  # the network explorer's 6
    page = Page(browser, tiny_book.as_uri())
    state = shown(page)
    assert (state["readout"], which(state, views)) == ("0", 0), page.diagnostics()
    for readout, index in [("0.5", 1), ("1", 2)]:
        move_slider(page)
        state = page_after_change(page, state)
        assert state["readout"] == readout, "the slider did not move"
        assert which(state, views) == index, (
            f"slider at {readout} but the page shows view {which(state, views)}, not {index}: "
            "is the slider jslink-ed to the Stack?")


def which(state: dict, views: list[bytes]) -> int | None:
    """Index of the shown image among the saved views (None if it is none of them)."""
    return views.index(state["image"]) if state["image"] in views else None


def test_tiny_book_play_button(tiny_book, browser):
    page = Page(browser, tiny_book.as_uri())
    page.wait_for("document.querySelectorAll('.widget-play button').length === 3")
    page.js("document.querySelector('.widget-play button').click()")  # the play button
    assert page.wait_for("""(() => { const r = document.querySelectorAll('.widget-slider')[1]
        .querySelector('.widget-readout'); return r && r.textContent.trim() === '3'; })()"""), \
        "Play did not run the counter to its end"


def click_network(page: Page, n: int, box: int = 0):
    """Click network button `n` of the `box`-th network toggle on the page."""
    assert page.js(f"""(() => {{ const t = document.querySelectorAll('.widget-toggle-buttons')[{box}];
        const b = t && t.querySelectorAll('button')[{n}]; if (!b) return false; b.click();
        return true; }})()"""), "no network toggle button to click"


def test_tiny_book_network_explorer(tiny_book, browser):
    views = widget_images(tiny_book.read_text())
    assert len(views) == 3 + 6 and len(set(views)) == 9
    page = Page(browser, tiny_book.as_uri())
    i = 2  # sliders: the level slider, the Play counter, the explorer's
    a0 = shown(page, i)
    assert a0["readout"] == "0" and a0["image"] in views, page.diagnostics()
    move_slider(page, i)
    a5 = page_after_change(page, a0, i)
    assert a5["readout"] == "0.5" and a5["image"] in views
    click_network(page, 1)
    b5 = page_after_change(page, a5, i)
    assert b5["readout"] == "0.5", "switching network moved the slider"
    assert b5["image"] not in (a0["image"], a5["image"]) and b5["image"] in views, \
        "the network toggle does not switch the figure (is it jslink-ed to the outer Stack?)"
    move_slider(page, i, "ArrowLeft", 37)  # the slider drives the second network's views too
    b0 = page_after_change(page, b5, i)
    assert b0["readout"] == "0" and b0["image"] not in (a0["image"], a5["image"], b5["image"])
    click_network(page, 0)
    assert page_after_change(page, b0, i)["image"] == a0["image"]


def page_after_change(page: Page, before: dict, i: int = 0, timeout: float = STEP_TIMEOUT):
    """Wait until slider `i`'s readout or image differs from `before`; return the new state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = shown(page, i)
        if now != before:
            return now
        time.sleep(0.2)
    raise AssertionError(f"the slider or its figure did not change\n{page.diagnostics()}")


def test_real_book_slider(browser):
    if not REAL_PAGE.exists():
        pytest.skip(f"{REAL_PAGE} is not built (make book)")
    html = REAL_PAGE.read_text()
    if "SelectionSliderModel" not in html or "StackModel" not in html:
        pytest.skip(f"{REAL_PAGE.name} has no level_slider (SelectionSlider + Stack) yet")
    views = widget_images(html)
    page = Page(browser, REAL_PAGE.resolve().as_uri())
    # the first slider with a figure beside it (other sliders may come before it)
    i = page.wait_for("""(() => [...document.querySelectorAll('.widget-slider')].findIndex(
        s => (s.closest('.widget-vbox') || s.parentElement).querySelector('img')) + 1)()""") - 1
    first = shown(page, i)
    assert which(first, views) is not None, "the shown figure is none of the page's saved views"
    move_slider(page, i)
    second = page_after_change(page, first, i)
    assert second["readout"] != first["readout"], "the slider did not move"
    assert which(second, views) not in (None, which(first, views)), (
        f"slider moved {first['readout']} -> {second['readout']} but the figure did not change")
    if "ToggleButtonsModel" in html:  # the network toggle beside the slider
        click_network(page, 1)
        third = page_after_change(page, second, i)
        assert third["readout"] == second["readout"] and which(third, views) not in (
            None, which(second, views)), "the network toggle did not switch the figure"
