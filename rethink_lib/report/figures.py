"""Figures of the book: Fig. 1a-c, report Fig. 2 and 3, and the corruption-level views.

Every function returns a `matplotlib.figure.Figure` built directly (no pyplot state), and
draws whatever runs it is given: a partial store gives a figure with fewer lines, and no
runs at all gives `placeholder`, a figure that says what is missing.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..metrics import FIT_LOSS
from .names import CLASS_NAMES, corruption_name, model_name
from .stats import by_seed
from .style import FULL_WIDTH, HALF_WIDTH, book_style
from .tables import curves


@book_style
def placeholder(message: str, size=(HALF_WIDTH, 1.6)) -> Figure:
    """A figure holding only `message` (for a figure whose runs are not stored yet)."""
    fig = Figure(figsize=size)
    fig.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=9, color="gray")
    return fig


def smooth(y, window: int) -> np.ndarray:
    """Trailing moving average (the per-step loss is noisy at batch 128)."""
    y = np.asarray(y, dtype=float)
    if window <= 1 or len(y) < window:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    head = c[1:window] / np.arange(1, window)
    return np.concatenate([head, (c[window:] - c[:-window]) / window])


def _loss_axes(ax, runs: Mapping, title: str, pending: Sequence[str] = (),
               colors: Mapping | None = None) -> None:
    """Draw `loss_curves`' lines into `ax`; colors: {label: colour} to keep one colour per
    label across panels."""
    longest = max(len(r.step_losses) for r in runs.values())
    scale = 1000 if longest >= 2000 else 1  # the paper plots thousands of steps
    for label, r in runs.items():
        steps = np.arange(1, len(r.step_losses) + 1) / scale
        ax.plot(steps, smooth(r.step_losses, max(1, longest // 60)), label=label,
                **({"color": colors[label]} if colors and label in colors else {}))
    for label in pending:
        ax.plot([], [], color="lightgray", ls="--", label=f"{label} (not stored yet)")
    ax.axhline(FIT_LOSS, color="gray", ls=":", lw=1)
    ax.text(0.01, FIT_LOSS * 1.15, f"loss {FIT_LOSS:g}", color="gray", fontsize=9,
            transform=ax.get_yaxis_transform())
    ax.set(xlabel="thousands of steps" if scale > 1 else "steps", ylabel="average loss",
           yscale="log", title=title)


@book_style
def loss_curves(runs: Mapping, title: str, pending: Sequence[str] = ()) -> Figure:
    """Per-step training loss (steps.csv, smoothed) of each run, one line per {label: run},
    log scale, with the loss target of the loss-based time to fit dotted. pending: labels of
    planned runs not stored yet, named in the legend (a figure of one curve would otherwise
    read as the whole experiment)."""
    if not runs:
        return placeholder(f"{title}: no run is stored yet")
    pending = [p for p in pending if p not in runs]
    fig = Figure(figsize=(HALF_WIDTH + 0.4, 2.9 + 0.2 * (len(runs) + len(pending))),
                 layout="constrained")
    ax = fig.subplots()
    _loss_axes(ax, runs, title, pending)
    # below the axes: inside, the legend covered the curves where they cross the loss target
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", frameon=False)
    return fig


def _fig1a_runs(results: Mapping, model: str) -> dict:
    return {corruption_name(c): seeds[min(seeds)]
            for (m, c), seeds in by_seed(results).items() if m == model}


@book_style
def fig1a(results: Mapping, model: str = "inception_small",
          planned: Sequence[str] = (), beside: Mapping | None = None,
          names: Sequence[str] = ()) -> Figure:
    """Training loss against steps, one line per corruption (paper Fig. 1a), from steps.csv.

    results: {(model, corruption key, seed): RunResult} (`experiments.fig1a`); the lowest
    seed of each corruption is drawn. planned: the corruption keys of the experiment; those
    without a stored run are named in the legend as not stored yet. beside: the same
    experiment's runs on a second data set, drawn in a right-hand panel (one colour per
    corruption in both); names: the two data sets' printed names, for the panels' titles."""
    runs = _fig1a_runs(results, model)
    pending = [corruption_name(c) for c in planned]
    other = _fig1a_runs(beside, model) if beside else {}
    if not other:
        return loss_curves(runs, f"{model_name(model)}: training loss", pending=pending)
    first, second = (list(names) + ["", ""])[:2]
    order = list(dict.fromkeys(pending + list(runs) + list(other)))
    colors = {label: f"C{i}" for i, label in enumerate(order)}
    fig = Figure(figsize=(FULL_WIDTH, 3.1 + 0.1 * len(order)), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    fig.suptitle(f"{model_name(model)}: training loss")
    title = "{}"
    if runs:
        _loss_axes(left, runs, title.format(first), colors=colors)
    else:
        left.text(0.5, 0.5, "no run is stored yet", ha="center", va="center", color="gray",
                  transform=left.transAxes)
        left.set(title=title.format(first), yscale="log")
    _loss_axes(right, other, title.format(f"{second} (second data set)"), colors=colors)
    right.set(ylabel="")
    # one legend for both panels: a corruption missing on the first data set says so
    handles = {}
    for ax in (left, right):
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    missing = [p for p in pending if p not in runs]
    labels = [lb for lb in order if lb in handles]
    shown = [f"{lb} (not stored yet on {first})" if lb in missing else lb for lb in labels]
    fig.legend([handles[lb] for lb in labels], shown, loc="outside lower center",
               frameon=False, ncols=1)  # two columns of these labels overflow the text width
    return fig


def _errorbars(ax, frame: pd.DataFrame, col: str, scale: float = 1.0,
               colors: Mapping | None = None):
    levels = frame["level"].nunique()
    for model, g in frame.groupby("model", sort=False):
        y = g[col].to_numpy(dtype=float) * scale
        lo = g[f"{col}_lo"].to_numpy(dtype=float) * scale
        hi = g[f"{col}_hi"].to_numpy(dtype=float) * scale
        multi = (g["seeds"] > 1).any()
        ax.errorbar(g["level"], y, yerr=[y - lo, hi - y] if multi else None, fmt="o-", capsize=3,
                    label=model_name(model) + (" (mean, range of seeds)" if multi else "")
                    + _so_far(g["level"], levels),
                    **({"color": colors[model]} if colors and model in colors else {}))


def _so_far(have: pd.Series, levels: int) -> str:
    """A legend note for a model with runs at fewer levels than the figure shows (a lone
    point reads as a whole curve otherwise)."""
    have = sorted(have.unique())
    if len(have) >= levels:
        return ""
    if len(have) <= 2:
        return f" (so far only p = {' and '.join(f'{p:g}' for p in have)})"
    return f" ({len(have)} of {levels} levels so far)"


def _fig1bc_row(a, b, frame: pd.DataFrame, num_classes: int, colors=None) -> None:
    """Panels (b) and (c) of one data set's level frame into the axes a, b."""
    _errorbars(a, frame, "relative", colors=colors)
    _errorbars(b, frame, "test_error", colors=colors)
    for ax in (a, b):
        ax.set_xlim(-0.05, 1.05)
    if frame["relative"].isna().all():
        a.text(0.5, 1.0, "no run pair held 100% training accuracy", ha="center", color="gray",
               fontsize=9)
    chance = 100 * (1 - 1 / num_classes)
    a.set(xlabel="label corruption p", ylabel="steps to 100% train acc.\n(relative to p = 0)",
          title="(b) time to overfit")
    top = np.nanmax(frame["relative_hi"].to_numpy(dtype=float), initial=0)
    a.set_ylim(0, max(2.0, 1.1 * top if math.isfinite(top) else 2.0))
    b.axhline(chance, color="gray", ls=":", lw=1)
    b.text(0.02, chance + 1, "chance", color="gray", fontsize=9)
    b.set(xlabel="label corruption p", ylabel="test error (%)", ylim=(0, 100),
          title="(c) test error")


@book_style
def fig1bc(frame: pd.DataFrame, num_classes: int = 10, beside: pd.DataFrame | None = None,
           names: Sequence[str] = (), beside_classes: int | None = None) -> Figure:
    """(b) steps until 100% training accuracy holds (the paper's time to fit) relative to the
    same model's true-label run; (c) test error; against the label corruption level
    (`tables.level_frame`). beside: a second data set's level frame, drawn as a second row
    (one colour per network in both); names: the two data sets' printed names."""
    if frame.empty and (beside is None or beside.empty):
        return placeholder("Fig. 1b, 1c: no run is stored yet")
    if beside is None or beside.empty:
        fig = Figure(figsize=(FULL_WIDTH, 3.4), layout="constrained")
        a, b = fig.subplots(1, 2)
        _fig1bc_row(a, b, frame, num_classes)
        handles, labels = a.get_legend_handles_labels()  # below both panels: none is covered
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        return fig
    first, second = (list(names) + ["", ""])[:2]
    models = list(dict.fromkeys(list(frame.get("model", [])) + list(beside["model"])))
    colors = {m: f"C{i}" for i, m in enumerate(models)}
    fig = Figure(figsize=(FULL_WIDTH, 6.6), layout="constrained")
    top, bottom = fig.subfigures(2, 1)  # one row per data set, each titled with its name
    a, b = top.subplots(1, 2)
    c, d = bottom.subplots(1, 2)
    top.suptitle(first or "the first data set")
    bottom.suptitle(f"{second} (second data set)" if second else "the second data set")
    if frame.empty:
        for ax in (a, b):
            ax.text(0.5, 0.5, "no run is stored yet", ha="center", va="center",
                    color="gray", transform=ax.transAxes)
    else:
        _fig1bc_row(a, b, frame, num_classes, colors)
    _fig1bc_row(c, d, beside, beside_classes or num_classes, colors)
    # one legend entry per network (same colour in both rows), labelled as the first data
    # set's row labels it, where its gaps are said; else as the second's
    entries = {}
    for ax in (a, c):
        for h, label in zip(*ax.get_legend_handles_labels()):
            model = next((m for m in sorted(models, key=lambda m: -len(model_name(m)))
                          if label.startswith(model_name(m))), label)  # longest name first
            entries.setdefault(model, (h, label))
    fig.legend([h for h, _ in entries.values()], [lb for _, lb in entries.values()],
               loc="outside lower center", ncols=2, frameon=False)
    return fig


@book_style
def fig2(results: Mapping) -> Figure:
    """Running training accuracy on the clean and on the corrupted examples (report Fig. 2).

    results: {(model, level, seed): RunResult}; one panel per model, one line per seed."""
    grouped = by_seed(results)
    if not grouped:
        return placeholder("Fig. 2: no run is stored yet")
    ncols = min(len(grouped), 3 if len(grouped) != 4 else 2)  # 3 a row fill the text column
    nrows = math.ceil(len(grouped) / ncols)
    fig = Figure(figsize=(min(FULL_WIDTH, 2.4 * ncols), 2.3 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    for ax in axes[len(grouped):]:
        ax.set_visible(False)
    for ax, ((model, level), seeds) in zip(axes, grouped.items()):
        for i, r in enumerate(seeds.values()):
            df = r.metrics_frame()
            kw = dict(lw=1.2 if i == 0 else 0.6, alpha=1 if i == 0 else 0.6)
            ax.plot(df.step, df.clean_acc, color="C0", label="clean labels" if i == 0 else None, **kw)
            ax.plot(df.step, df.corrupted_acc, color="C3", label="corrupted labels" if i == 0 else None, **kw)
            ax.plot(df.step, df.test_acc, ":", color="gray", label="test" if i == 0 else None, **kw)
        ax.set(title=f"{model_name(model)}, p = {level:g}" + (f"\n({len(seeds)} seeds)" if len(seeds) > 1 else ""),
               xlabel="steps", ylim=(0, 1.02))
        ax.title.set_fontsize(9.5)
    for ax in axes[::ncols]:
        ax.set_ylabel("accuracy (running train; test)" if nrows == 1 else "accuracy")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    return fig


@book_style
def accuracy_curves(results: Mapping, x: str = "epoch", title: str | None = None,
                    ncols: int | None = None, panel_size=(2.1, 1.9),
                    gain_inset: bool = True) -> Figure:
    """Train and test accuracy per variant, one panel each (shared axes), with the area
    between the test curve and its running maximum shaded: what stopping at the best epoch
    would have gained over stopping here (report Fig. 3). x: "epoch" or "step". gain_inset:
    the same gain, zoomed, in an inset of each panel (points), its value at the last epoch
    (the curve table's "early-stopping gain") marked and named in the inset's title."""
    if x not in ("epoch", "step"):
        raise ValueError(f"x must be 'epoch' or 'step', got {x!r}")
    if not results:
        return placeholder(f"{title or 'Fig. 3'}: no run is stored yet")
    n = len(results)
    ncols = ncols or min(n, 3 if n != 4 else 2)  # 3 panels fill the text column's width
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(min(FULL_WIDTH, panel_size[0] * ncols),
                          panel_size[1] * nrows + (0.9 if title else 0.6)),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, (label, result) in zip(axes, results.items()):
        c = curves(result)
        ax.plot(c[x], c["train"], color="C0", lw=1.2, label="running train")
        ax.plot(c[x], c["test"], color="C1", lw=1.2, label="test")
        ax.fill_between(c[x], c["test"], c["test"].cummax(), color="C1", alpha=0.3, lw=0,
                        label="best test so far (early-stopping gain)")
        ax.set_title(str(label), fontsize=9.5)
        ax.set_ylim(0, 101)
        ax.grid(alpha=0.3)
        if gain_inset:  # the gain is a few points: invisible at a 0-100% axis, so zoomed
            gain = c["test"].cummax() - c["test"]
            ins = ax.inset_axes([0.5, 0.07, 0.46, 0.3])
            ins.fill_between(c[x], 0, gain, color="C1", alpha=0.5, lw=0)
            ins.plot(c[x].iloc[-1:], gain.iloc[-1:], "o", color="C1", ms=3)
            ins.set_ylim(0, max(1.0, 1.15 * float(gain.max())))
            # the gain at the end (the dot), as the curve table counts it, in the title at the
            # book's 9 pt: it gives the inset its scale; tick labels would not fit at 9 pt
            ins.set_title(f"gain at end {float(gain.iloc[-1]):.1f} pts", fontsize=9, pad=2)
            ins.set_xticks([])
            ins.set_yticks([])
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols:]:
        ax.set_xlabel("SGD steps" if x == "step" else "epoch")
    for ax in axes[::ncols]:
        ax.set_ylabel("accuracy (%)")
    if x == "epoch":
        axes[0].xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))  # legible at 9 pt
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def sample_images(config, n: int = 8):
    """The first n training images of a run with their true and their trained-on labels

    (the run's own subset and corruption, rebuilt from its config)."""
    from ..corruptions import apply_corruption, load_run_dataset
    ds = load_run_dataset(config)
    c = apply_corruption(config.corruption, ds.train, ds.test, config.level, ds.num_classes,
                         config.seed, config.corrupt_test_labels, n_train=config.n_train)
    return ds.train.images[:n], ds.train.labels[:n], c.train.labels[:n]


@book_style
def level_view(result, frame: pd.DataFrame) -> Figure:
    """One slider view: a run's samples with corrupted labels in red, its learning curves,
    and where its test error sits on the model's curve (`tables.level_frame`)."""
    config, model, level = result.config, result.config.model, result.config.level
    images, true, noisy = sample_images(config)
    names = CLASS_NAMES.get(config.dataset, [str(i) for i in range(10)])
    fig = Figure(figsize=(FULL_WIDTH, 3.0))
    grid = fig.add_gridspec(2, 8, height_ratios=[1, 1.6])
    for i in range(len(images)):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(images[i].permute(1, 2, 0).numpy()[2:30, 2:30], cmap="gray")
        ax.set_axis_off()
        wrong = int(noisy[i]) != int(true[i])
        ax.set_title(names[int(noisy[i])], fontsize=9, color="crimson" if wrong else "black")
    ax = fig.add_subplot(grid[1, :5])
    df = result.metrics_frame()
    ax.plot(df.step, df.train_acc, label="running train")
    ax.plot(df.step, df.test_acc, label="test")
    ax.set(xlabel="steps", ylabel="accuracy", ylim=(0, 1.02))
    ax.legend(loc="lower right")
    ax.set_title(f"{model_name(model)}, {corruption_name('labels', level)}", fontsize=9.5)
    ax = fig.add_subplot(grid[1, 6:])
    g = frame[frame.model == model]
    ax.plot(g.level, g.test_error, "o-", color="lightgray")
    ax.plot([level], g[g.level == level].test_error, "o", color="crimson")
    ax.set(xlabel="corruption p", ylabel="test error (%)", ylim=(0, 100))
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.17, hspace=0.6, wspace=0.3)
    return fig


def level_views(results: Mapping, frame: pd.DataFrame, models, levels, seed: int = 0) -> dict:
    """{model: {level: figure}} for `widgets.network_level_explorer`: `level_view` of each
    stored Fig. 1b/1c run ({(model, level, seed): RunResult}), a placeholder where the run
    is not stored yet."""
    return {m: {float(lv): (level_view(results[(m, lv, seed)], frame)
                            if (m, lv, seed) in results else
                            placeholder(f"{model_name(m)} at p = {lv:g}: not in the results "
                                        "store yet", size=(FULL_WIDTH, 3.0)))
                for lv in levels} for m in models}
