"""rethink_lib.report.widgets.level_slider: structure and the browser-side link (no browser here)."""
import ipywidgets as widgets
from ipywidgets.widgets import widget_link
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rethink_lib.report.widgets import figure_png, level_slider  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _figure(level):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, level])
    ax.set_title(f"p = {level}")
    return fig


def test_structure_and_link():
    levels = [0.5, 0.0, 1.0]  # given unsorted: the slider lists them ascending
    box = level_slider({p: _figure(p) for p in levels}, description="label corruption")
    assert isinstance(box, widgets.VBox)
    assert len(box.children) == 2
    slider, stack = box.children
    assert isinstance(slider, widgets.SelectionSlider)
    assert isinstance(stack, widgets.Stack)
    assert slider.description == "label corruption"
    assert slider.options == (("0", 0.0), ("0.5", 0.5), ("1", 1.0))  # (label, level)
    assert slider.index == 0 and slider.value == 0.0
    assert stack.selected_index == 0
    assert len(stack.children) == 3
    assert all(isinstance(c, widgets.Image) and c.format == "png" for c in stack.children)
    assert all(bytes(c.value).startswith(PNG_MAGIC) for c in stack.children)
    assert len({bytes(c.value) for c in stack.children}) == 3  # three different pictures
    # The link must run in the browser (jslink), from the slider's index to the stack.
    link = box.link
    assert type(link) is widget_link.Link  # not jsdlink, not the kernel-side widgets.link
    assert link.source == (slider, "index")
    assert link.target == (stack, "selected_index")
    # Figures are closed once rendered, so the inline backend does not show them twice.
    assert plt.get_fignums() == []


def test_png_bytes_are_used_as_given():
    pngs = {0.2: figure_png(_figure(0.2)), 0.8: figure_png(_figure(0.8))}
    slider, stack = level_slider(pngs).children
    assert [bytes(c.value) for c in stack.children] == [pngs[0.2], pngs[0.8]]
    assert slider.options == (("0.2", 0.2), ("0.8", 0.8))


def test_views_stay_small():
    png = figure_png(_figure(0.3))
    assert len(png) < 30_000, "a small figure at the default dpi should stay well under 30 kB"


def test_empty_views_rejected():
    with pytest.raises(ValueError):
        level_slider({})
