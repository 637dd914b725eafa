"""A slider over precomputed views that keeps working in the static book, with no kernel.

The views (one figure per corruption level, say) are rendered to PNGs up front and put in a
`widgets.Stack`; the slider's `index` is linked to the stack's `selected_index` with
`widgets.jslink`, a link that runs in the browser. Executed notebooks save the widget
state, so the built HTML page switches views by itself. Kernel-side `link`, `observe` or
`interact` would leave the static page frozen on the first view.

Each view costs about 1.33x its PNG size in the page (base64): keep figures small. Figures are
rendered at twice their size in pixels (`SCALE`) and shown at their own size (1 in = `dpi`
CSS px), so they stay sharp on high-density screens and when zoomed, and shrink with the
text column on a phone.
"""
from __future__ import annotations

import io
import struct
from collections.abc import Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


SCALE = 2  # PNG pixels per CSS pixel of a view rendered from a figure


def figure_png(fig: Figure, dpi: int = 96) -> bytes:
    """PNG bytes of `fig`; the figure is closed so the inline backend does not show it too."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def _image(view, dpi: int) -> widgets.Image:
    """A view as an Image: a figure at SCALE x `dpi`, shown `dpi` px per inch (max the column's
    width, height in proportion); PNG bytes as they are."""
    if not isinstance(view, Figure):
        return widgets.Image(value=bytes(view), format="png")
    data = figure_png(view, dpi * SCALE)
    width = png_size(data)[0] / SCALE
    return widgets.Image(value=data, format="png",
                         layout=widgets.Layout(width=f"{width:g}px", max_width="100%",
                                               height="auto"))


def _image_stack(views, dpi: int) -> widgets.Stack:
    """A Stack of PNG images, one per view (figure, rendered and closed, or PNG bytes)."""
    return widgets.Stack(children=[_image(v, dpi) for v in views], selected_index=0)


def _level_slider(levels, description: str, label_format: str) -> widgets.SelectionSlider:
    """A SelectionSlider over sorted levels, labelled with label_format, at the first."""
    return widgets.SelectionSlider(
        options=[(label_format.format(lv), lv) for lv in levels], index=0,
        description=description, style={"description_width": "initial"},
        layout=widgets.Layout(width="28em", max_width="100%"))


def level_slider(views: Mapping[float, Figure | bytes], description: str = "corruption level",
                 dpi: int = 96, label_format: str = "{:g}") -> widgets.VBox:
    """A `SelectionSlider` over the keys of `views` above a `Stack` showing the chosen view.

    views: level -> matplotlib figure (rendered at SCALE x `dpi`, then closed) or PNG bytes; the
        slider lists the levels in ascending order and starts at the smallest.
    Returns VBox([slider, stack]); `.link` on it holds the browser-side link.
    """
    if not views:
        raise ValueError("level_slider needs at least one view")
    levels = sorted(views)
    stack = _image_stack([views[level] for level in levels], dpi)
    slider = _level_slider(levels, description, label_format)
    link = widgets.jslink((slider, "index"), (stack, "selected_index"))
    box = widgets.VBox([slider, stack])
    box.link = link  # keep a handle for tests and for callers that want to unlink
    return box


def network_level_explorer(views: Mapping[str, Mapping[float, Figure | bytes]],
                           names: Mapping[str, str] | None = None,
                           description: str = "corruption level p", dpi: int = 96,
                           label_format: str = "{:g}") -> widgets.VBox:
    """A network toggle and one level slider over a grid of precomputed views.

    views: network -> {level -> figure or PNG bytes}; every network must have a view at every
        level (pass a placeholder figure for a run that is not stored). names: network ->
        the toggle's label (default: the key).
    Returns VBox([toggle, slider, outer Stack of one level Stack per network]). Both links run
    in the browser: toggle.index -> outer.selected_index, and slider.index -> each inner
    stack's selected_index, so the static page switches network and level with no kernel.
    `.links` holds them.
    """
    if not views or not all(views.values()):
        raise ValueError("network_level_explorer needs at least one network with views")
    networks = list(views)
    levels = sorted(next(iter(views.values())))
    for net in networks:
        if sorted(views[net]) != levels:
            raise ValueError(f"{net} has views at levels {sorted(views[net])}, the others at "
                             f"{levels}: give every network a view (or a placeholder) per level")
    names = {net: (names or {}).get(net, net) for net in networks}
    inner = [_image_stack([views[net][lv] for lv in levels], dpi) for net in networks]
    outer = widgets.Stack(children=inner, selected_index=0)
    toggle = widgets.ToggleButtons(options=[(names[n], i) for i, n in enumerate(networks)],
                                   value=0, description="network",
                                   style={"description_width": "initial"})
    slider = _level_slider(levels, description, label_format)
    links = [widgets.jslink((toggle, "index"), (outer, "selected_index"))]
    links += [widgets.jslink((slider, "index"), (stack, "selected_index")) for stack in inner]
    box = widgets.VBox([toggle, slider, outer])
    box.links = links
    return box
