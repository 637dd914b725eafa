"""The appendix's tables: every registered model's parameter count against the published one,

and a per-block summary of a model (block, output shape, parameters)."""
from __future__ import annotations

import pandas as pd
import torch

from ..models import count_parameters, create_model, list_models, model_spec


def parameter_table(models=None) -> pd.DataFrame:
    """One row per registered model: printed name, registry name, our count on 3x28x28 with
    10 classes, the published count and whose it is, and whether they are equal."""
    rows = []
    for name in models or list_models():
        spec = model_spec(name)
        ours = count_parameters(create_model(name))
        rows.append({"model": spec.display, "name in rethink_lib": name, "ours": ours,
                     "published": spec.paper_parameters, "published by":
                     spec.parameters_source if spec.paper_parameters is not None else None,
                     "equal": ours == spec.paper_parameters})
    return pd.DataFrame(rows)


def parameter_markdown(table: pd.DataFrame) -> str:
    """`parameter_table` as a Markdown table (renders as a table in the book)."""
    lines = ["| model | name in `rethink_lib` | ours | published | equal |", "|---|---|--:|--:|:-:|"]
    for _, r in table.iterrows():
        pub = "-" if pd.isna(r["published"]) else f"{int(r['published']):,}" + (
            f" ({r['published by']})" if r["published by"] != "paper" else "")
        lines.append(f"| {r['model']} | `{r['name in rethink_lib']}` | {r['ours']:,} | {pub} | "
                     f"{'yes' if r['equal'] else '**no**'} |")
    return "\n".join(lines)


def block_name(m: torch.nn.Module) -> str:
    """A one-line name for a block: Inception(C1, C3), Downsample(C3), conv modules, layers."""
    kind = type(m).__name__
    def conv(module):
        return next(x for x in module.modules() if isinstance(x, torch.nn.Conv2d))
    if kind == "InceptionModule":
        return f"Inception({conv(m.b1).out_channels}, {conv(m.b3).out_channels})"
    if kind == "DownsampleModule":
        return f"Downsample({conv(m.conv).out_channels}) = 3x3/2 conv module + 3x3/2 max-pool"
    if kind == "ConvModule":
        c = conv(m)
        return f"conv module {c.kernel_size[0]}x{c.kernel_size[1]}, {c.out_channels}"
    if isinstance(m, torch.nn.Conv2d):
        stride = f"/{m.stride[0]}" if m.stride[0] != 1 else ""
        return f"conv {m.kernel_size[0]}x{m.kernel_size[1]}{stride}, {m.out_channels}"
    if isinstance(m, torch.nn.MaxPool2d):
        k, st = (m.kernel_size, m.stride)
        return f"max-pool {k}x{k}/{st}" if isinstance(k, int) else f"max-pool {k}"
    if isinstance(m, (torch.nn.AvgPool2d, torch.nn.AdaptiveAvgPool2d)):
        return "mean pool"
    if isinstance(m, torch.nn.Linear):
        return f"linear {m.in_features:,} -> {m.out_features:,}"
    if isinstance(m, torch.nn.Dropout):
        return f"dropout {m.p:g}"
    if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
        return "BatchNorm" + ("" if m.affine else " (no affine)")
    names = {"ReLU": "ReLU", "Flatten": "flatten", "LocalResponseNorm": "local response norm",
             "SamePad": "same padding", "Identity": "identity"}
    return names.get(kind, kind)  # never a repr


def _blocks(name: str):
    """(blocks, {index: output shape for one 3x28x28 image}, model) of a registered model."""
    model = create_model(name).eval()
    blocks = []
    for child in model.children():
        blocks += list(child) if isinstance(child, torch.nn.Sequential) else [child]
    blocks = [b for b in blocks if not isinstance(b, torch.nn.Identity)]  # dropout when off
    shapes = {}
    hooks = [b.register_forward_hook(lambda mod, inp, out, i=i: shapes.__setitem__(i, tuple(out.shape[1:])))
             for i, b in enumerate(blocks)]
    with torch.no_grad():
        model(torch.zeros(1, 3, 28, 28))
    for h in hooks:
        h.remove()
    return blocks, shapes, model


_QUIET = ("ReLU", "SamePad", "Flatten")  # drawn as part of the block before them, or not at all


def stages(name: str) -> list[tuple[str, str, str]]:
    """A model as the stages of its architecture figure: (label, output shape as text, kind),
    activations folded into the block before them; kind: conv, inception, pool, norm, linear."""
    blocks, shapes, _ = _blocks(name)
    out: list[list[str]] = []
    for i, b in enumerate(blocks):
        kind = type(b).__name__
        if kind in _QUIET:
            if kind == "ReLU" and out:
                out[-1][0] += " + ReLU"
            continue
        label = block_name(b).split(" = ")[0]
        shape = shapes.get(i)
        before = shapes.get(i - 1)
        if (isinstance(b, torch.nn.Linear) and before and len(before) == 3
                and b.in_features == before[0]):  # a mean pool in forward(), not a module
            out.append([f"mean pool {before[1]}x{before[2]}", str(before[0]), "pool"])
        text = "x".join(str(d) for d in shape) if shape else ""
        group = ("inception" if kind in ("InceptionModule", "DownsampleModule") else
                 "conv" if "Conv" in kind else "pool" if "Pool" in kind else
                 "linear" if kind == "Linear" else "norm")
        out.append([label, text, group])
    return [tuple(s) for s in out]


_COLOURS = {"conv": "#9ecae1", "inception": "#a1d99b", "pool": "#fdd0a2", "norm": "#dadaeb",
            "linear": "#fcbba1"}


def architecture_figure(models=("inception_small", "alexnet_small", "mlp_1x512")):
    """The networks side by side as stacks of blocks (report Fig. 4), from the models the
    experiments train: each block's name and output shape for one 3x28x28 image."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch
    columns = {m: [("input", "3x28x28", "norm")] + stages(m) for m in models}
    rows = max(len(c) for c in columns.values())
    from .style import FULL_WIDTH, MIN_FONT_PT
    # the text column's width; each block's name above its shape, both at >= MIN_FONT_PT
    fig = Figure(figsize=(FULL_WIDTH, 0.5 * rows + 0.8), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(0, len(models))
    ax.set_ylim(rows + 0.2, -0.9)
    ax.axis("off")
    for j, (m, col) in enumerate(columns.items()):
        ax.text(j + 0.5, -0.55, f"{model_spec(m).display}\n{count_parameters(create_model(m)):,} "
                "parameters", ha="center", va="center", fontsize=9, weight="bold")
        for i, (label, shape, group) in enumerate(col):
            ax.add_patch(FancyBboxPatch((j + 0.02, i + 0.08), 0.96, 0.78,
                                        boxstyle="round,pad=0,rounding_size=0.08",
                                        fc=_COLOURS[group], ec="0.4", lw=0.6))
            ax.text(j + 0.5, i + 0.47, f"{label}\n[{shape}]", ha="center", va="center",
                    fontsize=MIN_FONT_PT, linespacing=1.0)
    return fig


def block_frame(name: str) -> pd.DataFrame:
    """`name`'s blocks as a table: block, output shape for one 3x28x28 image, parameters."""
    blocks, shapes, _ = _blocks(name)
    return pd.DataFrame([{"block": block_name(b), "output shape": "x".join(map(str, shapes[i]))
                          if shapes.get(i) else "-", "parameters": count_parameters(b)}
                         for i, b in enumerate(blocks)]).rename_axis("#")


def parameter_frame(table: pd.DataFrame) -> pd.DataFrame:
    """`parameter_table` for display: the published count with whose it is, 'equal' as yes/no."""
    pub = [("-" if pd.isna(r["published"]) else f"{int(r['published']):,}"
            + (f" ({r['published by']})" if r["published by"] != "paper" else ""))
           for _, r in table.iterrows()]
    return pd.DataFrame({"model": table["model"], "name in rethink_lib": table["name in rethink_lib"],
                         "ours": table["ours"], "published": pub,
                         "equal": ["yes" if e else "no" for e in table["equal"]]})


def block_summary(name: str) -> str:
    """Markdown table of `name`'s blocks (children of its top-level Sequentials): block,
    output shape for one 3x28x28 image, parameters."""
    blocks, shapes, model = _blocks(name)
    rows = [f"**{model_spec(name).display}** (`{name}`): {count_parameters(model):,} parameters", "",
            "| # | block | output shape | parameters |", "|--:|---|---|--:|"]
    for i, b in enumerate(blocks):
        rows.append(f"| {i} | `{block_name(b)}` | {shapes.get(i)} | {count_parameters(b):,} |")
    return "\n".join(rows)
