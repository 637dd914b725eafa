"""How the book's figures look and how they reach the page: one matplotlib style, SVG output.

Sizes are chosen for the book's text column, about 596 px (6.2 in at 96 px/in) wide in a
1200 px window, 705 px at 800 px and 337 px on a 400 px phone (sphinx-book-theme; matplotlib's
tight bounding box adds a few px to a figure). A figure
at most `MAX_WIDTH` inches wide is shown at its own size (1x) on a desktop, so a 9.5 pt tick
label reads as 9.5 pt there; on a phone the figure is scaled down with the column. The test
tests/test_browser_offline.py measures both from the built pages.

    @book_style                       # the rcParams below while the figure is built
    def fig1a(...): fig = Figure(figsize=(FULL_WIDTH, 3.4)); ...
    svg_bytes(fig)                    # how report.glue.figure glues it: vector, any zoom
    use_svg_inline()                  # figures shown with plt.show() come out as SVG too
"""
from __future__ import annotations

import functools
import io

import matplotlib as mpl

FULL_WIDTH = 6.0   # in: the widest figure shown at 1x in a 1200 px window (column ~596 px)
HALF_WIDTH = 4.6   # in: a one-panel figure (shown larger on a phone than a full-width one)
MAX_WIDTH = FULL_WIDTH
MIN_FONT_PT = 9    # no text below this in a figure at its own size

BOOK_RC = {
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9.5,
    "figure.titlesize": 11,
    "figure.dpi": 96,          # 1 in = 96 CSS px: a figure's inches are its size on screen
    "svg.fonttype": "path",    # glyphs as paths: the same text on every reader's machine
    "svg.hashsalt": "rethink",  # stable ids: the same figure gives the same SVG bytes
}


def book_style(func):
    """Decorator: build the figure under `BOOK_RC` (sizes are fixed when text is made)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(BOOK_RC):
            return func(*args, **kwargs)
    return wrapper


def svg_bytes(fig) -> bytes:
    """The figure as SVG (tight bounding box, the book's style), without closing it."""
    buf = io.BytesIO()
    with mpl.rc_context({k: v for k, v in BOOK_RC.items() if k.startswith("svg.")}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    return buf.getvalue()


def use_svg_inline() -> bool:
    """Make the notebook's inline backend show figures as SVG (myst-nb prefers image/svg+xml
    over image/png), for figures shown with plt.show() or as a cell's last value. Does
    nothing outside IPython; returns whether it was set."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    set_matplotlib_formats("svg")
    mpl.rcParams.update({k: v for k, v in BOOK_RC.items() if k.startswith("svg.")})
    return True
