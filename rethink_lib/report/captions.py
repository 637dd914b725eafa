"""Numbered table captions that the book's browser test accepts.

tests/test_browser_offline.py asks every table of a page for a caption that starts with its
number, "Table <chapter>.<n>" (say "Table 2.1"), either the table's own HTML <caption> or
the caption of a figure around it ({glue:figure} around a glued table). `captioned` gives a
DataFrame or a Styler that own caption:

    display(captioned(frame.style.format("{:.1f}"), "Table 2.1", "Training accuracy (%) ..."))

renders <caption><b>Table 2.1.</b> Training accuracy (%) ...</caption> above the table.
"""
from __future__ import annotations

import html
import re

import pandas as pd
from pandas.io.formats.style import Styler

LABEL = re.compile(r"Table (\d+|[A-Z])\.(\d+)")

# Above the table, left-aligned like the text, a little smaller than the body text.
CAPTION_STYLE = [{"selector": "caption",
                  "props": [("caption-side", "top"), ("text-align", "left"),
                            ("padding", "0 0 0.4em 0"), ("font-size", "0.95em")]}]


def captioned(table: pd.DataFrame | Styler, label: str, text: str) -> Styler:
    """`table` (a DataFrame or a Styler, kept as styled) with the caption "**label.** text".

    label: "Table <chapter>.<n>", e.g. "Table 2.1" or "Table A.1" (appendix); text: the
    caption, plain text (escaped, so "<", "&" show as such). Returns a Styler; a Styler passed
    in is changed in place (pandas' set_caption) and returned.
    """
    if not LABEL.fullmatch(label):
        raise ValueError(f"label {label!r} is not 'Table <chapter>.<n>' (e.g. 'Table 2.1')")
    if not text.strip():
        raise ValueError("a caption needs text after its label")
    styler = table.style if isinstance(table, pd.DataFrame) else table
    if not isinstance(styler, Styler):
        raise TypeError(f"captioned takes a DataFrame or a Styler, not {type(table).__name__}")
    caption = f"<b>{html.escape(label)}.</b> {html.escape(text.strip())}"
    return styler.set_caption(caption).set_table_styles(CAPTION_STYLE, overwrite=False)
