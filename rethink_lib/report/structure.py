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
    return repr(m)


def block_summary(name: str) -> str:
    """Markdown table of `name`'s blocks (children of its top-level Sequentials): block,
    output shape for one 3x28x28 image, parameters."""
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
    rows = [f"**{model_spec(name).display}** (`{name}`): {count_parameters(model):,} parameters", "",
            "| # | block | output shape | parameters |", "|--:|---|---|--:|"]
    for i, b in enumerate(blocks):
        rows.append(f"| {i} | `{block_name(b)}` | {shapes.get(i)} | {count_parameters(b):,} |")
    return "\n".join(rows)
