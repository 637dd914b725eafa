"""rethink_lib.report.captions.captioned: a numbered <caption> the browser test accepts."""
import re

import pandas as pd
import pytest

from rethink_lib.report.captions import captioned

FRAME = pd.DataFrame({"train (%)": [100.0, 99.94], "test (%)": [71.2, 10.1]},
                     index=["true labels", "random labels"])


def caption_text(html: str) -> str:
    m = re.search(r"<caption>(.*?)</caption>", html, re.S)
    assert m, "no <caption> in the table's HTML"
    return re.sub(r"<[^>]+>", "", m.group(1))


def test_dataframe_gets_a_numbered_caption_above_the_table():
    html = captioned(FRAME, "Table 2.1", "Accuracy on Fashion-MNIST.").to_html()
    assert caption_text(html) == "Table 2.1. Accuracy on Fashion-MNIST."
    assert "<b>Table 2.1.</b>" in html
    assert html.index("<caption>") < html.index("<thead>")
    assert "caption-side: top" in html
    assert "99.94" in html and "random labels" in html


def test_styler_keeps_its_format_and_text_is_escaped():
    styler = FRAME.style.format("{:.1f}")
    out = captioned(styler, "Table A.3", "p < 0.5 & seeds")
    assert out is styler
    html = out.to_html()
    assert caption_text(html) == "Table A.3. p &lt; 0.5 &amp; seeds"
    assert "99.9<" in html and "99.94" not in html  # the Styler's format is kept


@pytest.mark.parametrize("label", ["Table 2", "Fig. 2.1", "table 2.1", "Table 2.1."])
def test_label_must_be_table_chapter_dot_number(label):
    with pytest.raises(ValueError):
        captioned(FRAME, label, "text")


def test_empty_text_and_wrong_type_are_refused():
    with pytest.raises(ValueError):
        captioned(FRAME, "Table 2.1", "  ")
    with pytest.raises(TypeError):
        captioned([[1, 2]], "Table 2.1", "text")
