"""Tables and figures of the effective-capacity chapter (report Sec. II, paper Fig. 1)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .corruptions import apply_corruption
from .data import load_dataset
from .reference import MODEL_NAMES

CLASS_NAMES = {
    "fashion_mnist": ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Boot"],
    "cifar10": ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
}
PRETTY = {**MODEL_NAMES, "alexnet_small_report": "AlexNet (report)",
          "true_labels": "true labels", "random_labels": "random labels",
          "shuffled_pixels": "shuffled pixels", "random_pixels": "random pixels",
          "gaussian": "Gaussian"}


def decay_sentence(s: dict) -> str:
    """'Inception 0.95, AlexNet 0.99, ...' for the profile's capacity models."""
    from .config import RunConfig
    from .experiments import lr_decay_for
    return ", ".join(f"{PRETTY.get(m, m)} {RunConfig(model=m, lr_decay=lr_decay_for(s, m)).decay:g}"
                     for m in s["capacity_models"])


def smooth(y, window: int) -> np.ndarray:
    """Trailing moving average (the per-step loss is noisy at batch 128)."""
    y = np.asarray(y, dtype=float)
    if window <= 1 or len(y) < window:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    head = c[1:window] / np.arange(1, window)
    return np.concatenate([head, (c[window:] - c[:-window]) / window])


def fig1a(results: dict) -> plt.Figure:
    """Training loss against thousands of steps, one line per corruption (paper Fig. 1a)."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    longest = max(len(r.step_losses) for r in results.values())
    scale = 1000 if longest >= 2000 else 1  # the paper plots thousands of steps
    for name, r in results.items():
        steps = np.arange(1, len(r.step_losses) + 1) / scale
        ax.plot(steps, smooth(r.step_losses, max(1, longest // 60)), label=PRETTY.get(name, name))
    ax.set(xlabel="thousands of steps" if scale > 1 else "steps", ylabel="average loss",
           yscale="log", title="Inception: training loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def level_table(results: dict) -> pd.DataFrame:
    """One row per (model, level): steps to fit, relative to the same model's true labels."""
    rows = []
    for (model, level), r in results.items():
        s = r.summary
        rows.append(dict(model=model, level=level, steps_to_fit=s["steps_to_fit"],
                         epochs=s["epochs"], train_acc=s["final_train_acc"],
                         test_error=1 - s["final_test_acc"], wall_seconds=s["wall_seconds"]))
    df = pd.DataFrame(rows).sort_values(["model", "level"]).reset_index(drop=True)
    base = df[df.level == 0].set_index("model").steps_to_fit
    df["relative_time"] = [
        (s / base[m]) if (m in base and s is not None and not _missing(s) and not _missing(base[m]))
        else math.nan for m, s in zip(df.model, df.steps_to_fit)]
    return df


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fig1bc(table: pd.DataFrame) -> plt.Figure:
    """Relative time to overfit (Fig. 1b) and test error (Fig. 1c) against corruption level."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(8.4, 3.2))
    for model, g in table.groupby("model", sort=False):
        a.plot(g.level, g.relative_time, "o-", label=PRETTY.get(model, model))
        b.plot(g.level, g.test_error, "o-", label=PRETTY.get(model, model))
    a.set(xlabel="label corruption", ylabel="time to overfit (relative)", title="(b) convergence")
    a.set_ylim(0, max(2.0, float(np.nanmax(table.relative_time.to_numpy(dtype=float), initial=0)) * 1.1))
    b.axhline(0.9, color="gray", ls=":", lw=1)
    b.text(0.02, 0.91, "chance", color="gray", fontsize=8)
    b.set(xlabel="label corruption", ylabel="test error", ylim=(0, 1), title="(c) generalisation")
    a.legend(fontsize=8)
    fig.tight_layout()
    return fig


def fig2(results: dict) -> plt.Figure:
    """Accuracy on the clean and on the corrupted half over training (report Fig. 2)."""
    fig, axes = plt.subplots(1, len(results), figsize=(3.0 * len(results), 2.9), sharey=True)
    for ax, (model, r) in zip(np.atleast_1d(axes), results.items()):
        df = r.metrics_frame()
        ax.plot(df.step, df.clean_acc, label="clean labels")
        ax.plot(df.step, df.corrupted_acc, label="corrupted labels")
        ax.plot(df.step, df.test_acc, ":", color="gray", label="test")
        ax.set(title=PRETTY.get(model, model), xlabel="steps", ylim=(0, 1.02))
    np.atleast_1d(axes)[0].set_ylabel("accuracy")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def sample_images(config, n: int = 8):
    """The first n training images of a run, with their true and their trained-on labels

    (the run's own subset and corruption, rebuilt from its config)."""
    ds = load_dataset(config.dataset, config.n_train, config.n_test, config.data_seed)
    c = apply_corruption(config.corruption, ds.train, ds.test, config.level, ds.num_classes,
                         config.seed, config.corrupt_test_labels)
    return ds.train.images[:n], ds.train.labels[:n], c.train.labels[:n]


def level_view(result, table: pd.DataFrame) -> plt.Figure:
    """One slider view: a run's samples with corrupted labels in red, its learning curves,

    and where its test error sits on the model's curve."""
    config, model, level = result.config, result.config.model, result.config.level
    images, true, noisy = sample_images(config)
    names = CLASS_NAMES.get(config.dataset, [str(i) for i in range(10)])
    fig = plt.figure(figsize=(8.4, 3.0))
    grid = fig.add_gridspec(2, 8, height_ratios=[1, 1.6])
    for i in range(8):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(images[i].permute(1, 2, 0).numpy()[2:30, 2:30], cmap="gray")
        ax.set_axis_off()
        wrong = int(noisy[i]) != int(true[i])
        ax.set_title(names[int(noisy[i])], fontsize=7, color="crimson" if wrong else "black")
    ax = fig.add_subplot(grid[1, :5])
    df = result.metrics_frame()
    ax.plot(df.step, df.train_acc, label="train")
    ax.plot(df.step, df.test_acc, label="test")
    ax.set(xlabel="steps", ylabel="accuracy", ylim=(0, 1.02))
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"{PRETTY.get(model, model)}, {level:.0%} of labels resampled", fontsize=8)
    ax = fig.add_subplot(grid[1, 6:])
    g = table[table.model == model]
    ax.plot(g.level, g.test_error, "o-", color="lightgray")
    ax.plot([level], g[g.level == level].test_error, "o", color="crimson")
    ax.set(xlabel="corruption", ylabel="test error", ylim=(0, 1))
    fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.16, hspace=0.5)
    return fig
