"""The recipe, the linear baseline, parameters per image and the per-run tables."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from ...metrics import time_to_fit
from ..names import dataset_name, key_name, model_name
from ..stats import by_seed, stat
from .display import _pct


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """SGD steps in one epoch (a last batch of one image is folded into the one before)."""
    steps = -(-n_train // batch_size)
    return steps - 1 if steps > 1 and n_train % batch_size == 1 else steps


def recipe_frame(configs: Iterable, results: Iterable = ()) -> pd.DataFrame:
    """One row per model: the recipe its runs share (values that differ are listed).

    configs: RunConfigs; results: stored RunResults of them, for the sizes the configs leave
    to the data set (n_test None = the whole test split). Where the configs span several data
    sets (a chapter showing its second data set's runs in place of missing ones), one row per
    model and data set, named "model (data set)"."""
    from ...data import get_spec
    from ...models import model_spec
    configs = list(configs)
    sizes = {r.config.run_id: r.summary for r in results}
    several = len({c.dataset for c in configs}) > 1
    rows: dict[str, dict] = {}
    for c in configs:
        s = sizes.get(c.run_id, {})
        n_train = s.get("n_train", c.n_train)
        n_test = s.get("n_test", c.n_test or get_spec(c.dataset).sizes[1])  # None: whole split
        row = {"BatchNorm": "yes" if model_spec(c.model).uses_batchnorm(c.batchnorm) else "no",
               "initial lr": c.lr0, "lr factor per epoch": round(c.decay, 4),
               "warm-up epochs": c.warmup_epochs, "epoch cap": c.max_epochs,
               "batch": c.batch_size, "training images": n_train,
               "steps per epoch": steps_per_epoch(n_train, c.batch_size) if n_train else None,
               "test images": n_test,
               "curve test images": s.get("n_curve_test", c.curve_n_test or n_test),
               "precision": s.get("precision", c.precision)}
        name = model_name(c.model) + (f" ({dataset_name(c.dataset)})" if several else "")
        acc = rows.setdefault(name, {k: [] for k in row})
        for k, v in row.items():
            if v not in acc[k]:
                acc[k].append(v)
    out = {m: {k: (v[0] if len(v) == 1 else " / ".join("-" if x is None else f"{x:g}" if
                                                       isinstance(x, float) else str(x) for x in v))
               for k, v in acc.items()} for m, acc in rows.items()}
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("model")


def linear_frame(baselines: Iterable[dict], networks: Mapping) -> pd.DataFrame:
    """Training (and test) accuracy of the linear classifier beside the networks' training
    accuracy (final, precise BN; mean over seeds) at the same n and labels.

    baselines: dicts from `baselines.linear_baseline`; networks: the {(model, level, seed):
    RunResult} of Fig. 1b/1c."""
    grouped = by_seed(networks)
    models = list(dict.fromkeys(m for m, _ in grouped))
    rows = []
    for b in baselines:
        labels = "true labels" if b["level"] == 0 else "random labels" if b["level"] == 1 else f"p = {b['level']:g}"
        row = {"training images": b["n_train"], "labels": labels,
               "linear train %": 100 * b["train_acc"], "linear test %": 100 * b["test_acc"]}
        for m in models:
            runs = [r for r in grouped.get((m, b["level"]), {}).values() if r.summary["n_train"] == b["n_train"]]
            row[f"{model_name(m)} train %"] = (stat(_pct(r.summary["final_train_acc"]) for r in runs).mean
                                               if runs else math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def parameters_frame(models: Iterable[str], n_train: int, paper_n_train: int) -> pd.DataFrame:
    """Parameters per training image, ours (n_train images) against the paper's."""
    from ...models import count_parameters, create_model, model_spec
    rows = {}
    for m in models:
        p = count_parameters(create_model(m))
        published = model_spec(m).paper_parameters
        ours = f"per image, ours (n = {n_train:,})" if n_train else "per image, ours"
        rows[model_name(m)] = {"parameters": p, ours: p / n_train if n_train else math.nan,
                               f"per image, paper (n = {paper_n_train:,})":
                               (published or p) / paper_n_train}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def runs_frame(results: Mapping) -> pd.DataFrame:
    """One row per run ({experiment key: RunResult}): what it is, its sizes, accuracies (%),
    epochs, the three times to fit (steps, each held to the end) and whether it reached its
    stopping target."""
    from ...models import model_spec
    rows = []
    for key, r in results.items():
        s, c = r.summary, r.config
        rows.append({"run": key_name(key), "seed": c.seed,
                     "BatchNorm": "yes" if model_spec(c.model).uses_batchnorm(c.batchnorm) else "no",
                     "training images": s["n_train"], "train acc %": _pct(s["final_train_acc"]),
                     "running train acc %": _pct(s["final_train_acc_running"]),
                     "test acc %": _pct(s["final_test_acc"]), "epochs": s["epochs"],
                     **{f"steps to {m}": time_to_fit(r.metrics, mark) for m, mark in
                        (("loss", "steps_to_loss"), ("99%", "steps_to_99"),
                         ("100%", "steps_to_fit"))},
                     "fitted": bool(s["fitted"])})
    return pd.DataFrame(rows, columns=["run", "seed", "BatchNorm", "training images", "train acc %",
                                       "running train acc %", "test acc %", "epochs",
                                       "steps to loss", "steps to 99%", "steps to 100%", "fitted"])


def runs_table(groups: Mapping[str, Mapping]) -> pd.DataFrame:
    """Several experiments' runs in one table, each run once: {experiment label: {key:
    RunResult}} -> `runs_frame` rows with `experiment` and `data` columns first. The groups are
    never merged into one dict, so keys two experiments share (ModelKey(model, seed)) cannot
    hide each other's runs."""
    from ..names import dataset_name
    frames = []
    for label, results in groups.items():
        f = runs_frame(results)
        data = [dataset_name(r.config.dataset) for r in results.values()]
        frames.append(f.assign(experiment=label, data=data))
    if not frames:
        return runs_frame({}).assign(experiment=[], data=[])
    out = pd.concat(frames, ignore_index=True)
    return out[["experiment", "data", *[c for c in out.columns if c not in ("experiment", "data")]]]


def per_image_sentence(frame: pd.DataFrame) -> str:
    """'Parameters per training image: ours 121 to 165, the paper's 24.2 to 33.0, 5.0 times as
    many for each network (fewer training images than the paper's).'"""
    if frame.empty:
        return ""
    span = per_image(frame)
    ours = frame[[c for c in frame.columns if c.startswith("per image, ours")][0]]
    paper = frame[[c for c in frame.columns if c.startswith("per image, paper")][0]]
    ratio = (ours / paper).dropna()
    lo, hi = (f"{ratio.min():.1f}", f"{ratio.max():.1f}") if len(ratio) else ("-", "-")
    times = f"{lo} times" if lo == hi else f"{lo} to {hi} times"
    why = ("fewer training images than the paper's" if len(ratio) and ratio.min() > 1 else
           "more training images than the paper's" if len(ratio) and ratio.max() < 1 else
           "the paper's networks and sizes")
    return (f"Parameters per training image: ours {span['ours'][0]:,.0f} to {span['ours'][1]:,.0f}, "
            f"the paper's {span['paper'][0]:,.1f} to {span['paper'][1]:,.1f}: {times} as many "
            f"for each network ({why}).")


def per_image(frame: pd.DataFrame) -> dict:
    """Range of parameters per training image in a `parameters_frame`: {"ours": (lo, hi),
    "paper": (lo, hi)}."""
    ours = frame[[c for c in frame.columns if c.startswith("per image, ours")][0]]
    paper = frame[[c for c in frame.columns if c.startswith("per image, paper")][0]]
    return {"ours": (float(ours.min()), float(ours.max())),
            "paper": (float(paper.min()), float(paper.max()))}
