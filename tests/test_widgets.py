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


def test_network_explorer_structure_and_browser_links():
    from rethink_lib.report.widgets import network_level_explorer
    views = {net: {p: figure_png(_figure(p + k)) for p in (1.0, 0.0, 0.5)}
             for k, net in enumerate(["mlp", "alexnet"])}
    box = network_level_explorer(views, names={"mlp": "MLP 1x512", "alexnet": "AlexNet"})
    toggle, slider, outer = box.children
    assert isinstance(toggle, widgets.ToggleButtons) and isinstance(outer, widgets.Stack)
    assert toggle.options == (("MLP 1x512", 0), ("AlexNet", 1)) and toggle.index == 0
    assert slider.options == (("0", 0.0), ("0.5", 0.5), ("1", 1.0))
    inner = outer.children
    assert [len(s.children) for s in inner] == [3, 3]
    # network k, level index j shows the view given for (network k, sorted level j)
    for k, net in enumerate(views):
        assert [bytes(im.value) for im in inner[k].children] == [views[net][p] for p in (0, .5, 1)]
    assert all(type(link) is widget_link.Link for link in box.links)  # all jslink
    assert [(link.source, link.target) for link in box.links] == [
        ((toggle, "index"), (outer, "selected_index")),
        ((slider, "index"), (inner[0], "selected_index")),
        ((slider, "index"), (inner[1], "selected_index"))]


def test_network_explorer_refuses_ragged_or_empty_views():
    from rethink_lib.report.widgets import network_level_explorer
    png = figure_png(_figure(0.0))
    with pytest.raises(ValueError, match="placeholder"):
        network_level_explorer({"a": {0.0: png, 1.0: png}, "b": {0.0: png}})
    with pytest.raises(ValueError):
        network_level_explorer({})
    with pytest.raises(ValueError):
        network_level_explorer({"a": {}})


def test_level_views_put_a_placeholder_where_a_run_is_missing(monkeypatch):
    from rethink_lib.report import figures
    stored, calls = object(), []
    monkeypatch.setattr(figures, "level_view",
                        lambda r, f: calls.append(r) or figures.placeholder("run"))
    views = figures.level_views({("mlp_1x512", 0.0, 0): stored}, None,
                                ["mlp_1x512", "alexnet_small"], [0.0, 1.0], seed=0)
    assert list(views) == ["mlp_1x512", "alexnet_small"]
    assert all(list(v) == [0.0, 1.0] for v in views.values())
    assert calls == [stored]  # only the stored run is drawn
    missing = views["alexnet_small"][1.0]
    assert "not in the results store yet" in missing.texts[0].get_text()


def test_figure_views_are_2x_pngs_shown_at_their_own_size():
    """A figure view is rendered at SCALE x dpi and its Image is laid out at 1x (dpi px per
    inch, never wider than the column): sharp on a 2x screen, the same size on the page."""
    from rethink_lib.report.widgets import SCALE, png_size
    fig = _figure(0.5)
    fig.set_size_inches(3, 2)
    slider, stack = level_slider({0.0: fig}, dpi=96).children
    image = stack.children[0]
    width_px, height_px = png_size(bytes(image.value))
    assert SCALE == 2
    css = float(image.layout.width.removesuffix("px"))
    assert width_px == SCALE * css
    assert 2.5 * 96 < css <= 3 * 96  # bbox "tight" trims a little of the 3 in figure
    assert image.layout.max_width == "100%" and image.layout.height == "auto"
    with pytest.raises(ValueError):
        png_size(b"GIF89a" + bytes(30))
