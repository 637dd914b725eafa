"""Tables and figures of the regularization chapters (report Sec. III and IV).

Inputs are the dicts the experiments return, with each RunConfig replaced by its stored
RunResult (anything with `.summary` and `.metrics` will do). Accuracies in the tables are
in percent; differences are in percentage points, ours minus theirs. Figures are built on
`matplotlib.figure.Figure` directly, so nothing here touches pyplot's global state.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .reference import MODEL_NAMES, PAPER_TABLE1, REPORT_TABLE1, REPORT_TABLE2

# Printed names of the data sets; the grayscale ones are replicated to 3 equal channels,
# so colour jitter's saturation and hue change nothing on them.
DATASET_NAMES = {"fashion_mnist": "Fashion-MNIST", "mnist": "MNIST", "cifar10": "CIFAR-10",
                 "cifar100": "CIFAR-100", "digits": "scikit-learn digits"}
GRAYSCALE = ("fashion_mnist", "mnist", "digits")

REGULARIZED = ("crop+wd", "crop", "wd")  # Table 1 columns with some explicit regularizer
METRICS = ("train", "test")


def _pct(x) -> float:
    """Fraction -> percent; None/NaN -> NaN."""
    return math.nan if x is None or (isinstance(x, float) and math.isnan(x)) else 100.0 * x


def _ours(result) -> dict:
    s = result.summary
    return {"train": _pct(s["final_train_acc"]), "test": _pct(s["final_test_acc"]),
            "epochs": s["epochs"]}


def _label(key) -> str:
    """'MLP 1x512, wd' for (model, regularizer) keys, 'MLP 1x512' for model keys."""
    if isinstance(key, tuple):
        return ", ".join([MODEL_NAMES.get(key[0], key[0]), *map(str, key[1:])])
    return MODEL_NAMES.get(key, key)


# ------------------------------------------------------------------------ Table I
def table1_frame(results: Mapping, paper: Mapping = PAPER_TABLE1,
                 report: Mapping = REPORT_TABLE1) -> pd.DataFrame:
    """Report Table I: ours beside the paper's and the report's numbers, with differences.

    results: {(model, regularizer): RunResult}, as `experiments.table1` keys them.
    Rows keep the order of `results`; columns are two-level: ("ours" | "paper" | "report" |
    "ours - paper" | "ours - report", "train" | "test"), plus ("ours", "epochs").
    Cells the paper or report do not have are NaN.
    """
    rows = {}
    for key, result in results.items():
        ours = _ours(result)
        row = {("ours", m): ours[m] for m in METRICS}
        row[("ours", "epochs")] = ours["epochs"]
        for name, ref in (("paper", paper), ("report", report)):
            theirs = dict(zip(METRICS, ref.get(key, (math.nan, math.nan))))
            for m in METRICS:
                row[(name, m)] = theirs[m]
                row[(f"ours - {name}", m)] = ours[m] - theirs[m]
        rows[key] = row
    columns = pd.MultiIndex.from_tuples(
        [("ours", "train"), ("ours", "test"), ("ours", "epochs"), ("paper", "train"),
         ("paper", "test"), ("report", "train"), ("report", "test"), ("ours - paper", "train"),
         ("ours - paper", "test"), ("ours - report", "train"), ("ours - report", "test")])
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
    frame.index = pd.MultiIndex.from_tuples(list(rows), names=["model", "regularizer"])
    return frame


# ----------------------------------------------------------------------- Table II
def table2_frame(results: Mapping, without_wd: Mapping | None = None,
                 report: Mapping = REPORT_TABLE2) -> pd.DataFrame:
    """Report Table II: random labels with weight decay, ours beside the report's.

    results: {model: RunResult} (`experiments.table2`); without_wd: optional
    {model: RunResult} of the same models on random labels without weight decay (Table 1's
    "random labels" row), shown as ("ours, no wd", ...). The report prints train accuracy only.
    """
    rows = {}
    for model, result in results.items():
        ours = _ours(result)
        theirs = report.get(model, math.nan)
        row = {("ours", "train"): ours["train"], ("ours", "test"): ours["test"],
               ("ours", "epochs"): ours["epochs"], ("report", "train"): theirs,
               ("ours - report", "train"): ours["train"] - theirs}
        if without_wd is not None and model in without_wd:
            plain = _ours(without_wd[model])
            row[("ours, no wd", "train")] = plain["train"]
            row[("ours, no wd", "test")] = plain["test"]
        rows[model] = row
    columns = [("ours", "train"), ("ours", "test"), ("ours", "epochs"), ("report", "train"),
               ("ours - report", "train")]
    if without_wd is not None:
        columns += [("ours, no wd", "train"), ("ours, no wd", "test")]
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(
        columns=pd.MultiIndex.from_tuples(columns))
    frame.index.name = "model"
    return frame


# ---------------------------------------------------------------- reading the tables
def large_differences(frame: pd.DataFrame, against: str = "paper",
                      threshold: float = 2.0) -> pd.DataFrame:
    """Cells where ours and `against` ("paper" or "report") differ by more than `threshold`
    percentage points, largest first.

    Columns: the frame's index levels (model, regularizer), metric, ours, `against`,
    difference (ours minus theirs). Cells `against` does not have are skipped.
    """
    diff_col = f"ours - {against}"
    if diff_col not in frame.columns.get_level_values(0):
        raise ValueError(f"frame has no {diff_col!r} columns; has {sorted(set(frame.columns.get_level_values(0)))}")
    index_names = [n or "key" for n in frame.index.names]
    out = []
    for key, row in frame.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        for metric in METRICS:
            if (diff_col, metric) not in frame.columns:
                continue
            d = row[(diff_col, metric)]
            if pd.notna(d) and abs(d) > threshold:
                out.append({**dict(zip(index_names, key)), "metric": metric,
                            "ours": row[("ours", metric)], against: row[(against, metric)],
                            "difference": d})
    cols = index_names + ["metric", "ours", against, "difference"]
    result = pd.DataFrame(out, columns=cols)
    if len(result):
        result = result.reindex(result["difference"].abs().sort_values(ascending=False).index)
    return result.reset_index(drop=True)


def compared_cells(frame: pd.DataFrame, against: str = "paper") -> int:
    """How many (row, metric) cells `against` has a number for."""
    cols = [c for c in frame.columns if c[0] == f"ours - {against}"]
    return int(frame[cols].notna().sum().sum())


def differences_sentence(frame: pd.DataFrame, against: str = "paper",
                         threshold: float = 2.0) -> str:
    """One sentence on how many cells differ from `against` by more than `threshold` points,
    naming the largest difference."""
    diffs = large_differences(frame, against, threshold)
    n, total = len(diffs), compared_cells(frame, against)
    if n == 0:
        return (f"all {total} of our numbers that the {against} also has lie within "
                f"{threshold:g} points of its numbers")
    top = diffs.iloc[0]
    key = tuple(top[c] for c in diffs.columns[:diffs.columns.get_loc("metric")])
    return (f"{n} of the {total} numbers the {against} also has differ from its numbers by "
            f"more than {threshold:g} points; the largest is {top['metric']} accuracy of "
            f"{_label(key if len(key) > 1 else key[0])}: ours {top['ours']:.2f}% against "
            f"{top[against]:.2f}% ({top['difference']:+.2f} points)")


def fit_sentence(frame: pd.DataFrame, column=("ours", "train")) -> str:
    """'all N runs reached 100% train accuracy', 'K of N runs did not ... (lowest: ...)' or
    'none of the N runs reached ... (highest: ...; lowest: ...)'."""
    train = frame[column]
    short = train[~(train >= 100.0 - 1e-9)]
    if short.empty:
        return f"all {len(train)} runs reached 100% train accuracy"
    lowest = f"lowest: {short.min():.2f}%, {_label(short.idxmin())}"
    if len(short) == len(train):
        return (f"none of the {len(train)} runs reached 100% train accuracy (highest: "
                f"{short.max():.2f}%, {_label(short.idxmax())}; {lowest})")
    return f"{len(short)} of {len(train)} runs did not reach 100% train accuracy ({lowest})"


def regularizer_effect(frame: pd.DataFrame, source: str = "ours") -> pd.Series:
    """Per model: best test accuracy with some explicit regularizer minus the test accuracy
    with neither (points), from `source` ("ours", "paper" or "report"). NaN where the
    source lacks the cells."""
    test = frame[(source, "test")]
    effect = {}
    for model in frame.index.get_level_values("model").unique():
        rows = test.loc[model]
        regularized = rows.reindex(REGULARIZED).dropna()
        neither = rows.get("neither", math.nan)
        effect[model] = regularized.max() - neither if len(regularized) else math.nan
    return pd.Series(effect, name=source, dtype=float)


def format_table(frame: pd.DataFrame, threshold: float = 2.0, differences=METRICS):
    """Display form: models by their printed names, 2 decimals, signed differences, '-' for
    cells a source lacks, differences beyond `threshold` points in bold, small type.

    differences: which metrics' difference columns to show (all by default); narrower
    tables fit the page better, and `large_differences` lists the rest.
    """
    keep = [c for c in frame.columns if not c[0].startswith("ours - ") or c[1] in differences]
    shown = frame[keep].rename(index=MODEL_NAMES, level=0 if frame.index.nlevels > 1 else None)
    diff_cols = [c for c in shown.columns if c[0].startswith("ours - ")]
    int_cols = [c for c in shown.columns if c[1] == "epochs"]
    fmt = {c: "{:.2f}" for c in shown.columns if c not in diff_cols + int_cols}
    fmt.update({c: "{:+.2f}" for c in diff_cols})
    fmt.update({c: "{:.0f}" for c in int_cols})
    return (shown.style.format(fmt, na_rep="-")
            .map(lambda v: "font-weight: bold" if pd.notna(v) and abs(v) > threshold else "",
                 subset=diff_cols)
            .pipe(_compact))


def format_points(frame: pd.DataFrame):
    """Display form of a frame of differences in points (e.g. `regularizer_effect` columns)."""
    shown = frame.rename(index=MODEL_NAMES)
    return shown.style.format("{:+.2f}", na_rep="-").pipe(_compact)


def _compact(styler):
    """Small type and some room between cells, so wide tables fit the book's page."""
    return (styler.set_table_attributes('style="font-size: 0.85em"')
            .set_table_styles([{"selector": sel, "props": "padding: 0.1em 0.45em"}
                               for sel in ("td", "th")]))


# --------------------------------------------------------------------- Fig. 3 curves
def _curves(result) -> pd.DataFrame:
    m = pd.DataFrame(result.metrics)
    return pd.DataFrame({"epoch": m["epoch"], "step": m["step"],
                         "train": 100.0 * m["train_acc"], "test": 100.0 * m["test_acc"]})


def curve_table(results: Mapping, reach: float = 99.0) -> pd.DataFrame:
    """One row per variant: final and best test accuracy, the early-stopping gain (best
    minus final, points), the epoch of the best, the first epoch with train accuracy >=
    `reach` % (<NA> if never) and the fluctuation of the test curve (mean absolute change
    between consecutive epochs, points)."""
    rows = {}
    for label, result in results.items():
        c = _curves(result)
        reached = c.loc[c["train"] >= reach - 1e-9, "epoch"]
        rows[label] = {
            "epochs": int(c["epoch"].iloc[-1]),
            "final train": c["train"].iloc[-1],
            "final test": c["test"].iloc[-1],
            "best test": c["test"].max(),
            "best epoch": int(c.loc[c["test"].idxmax(), "epoch"]),
            "early-stopping gain": c["test"].max() - c["test"].iloc[-1],
            f"epoch train >= {reach:g}%": int(reached.iloc[0]) if len(reached) else pd.NA,
            "test fluctuation": float(np.abs(np.diff(c["test"])).mean()) if len(c) > 1 else math.nan,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame[f"epoch train >= {reach:g}%"] = frame[f"epoch train >= {reach:g}%"].astype("Int64")
    frame.index.name = "variant"
    return frame


def accuracy_curves(results: Mapping, x: str = "epoch", title: str | None = None,
                    ncols: int | None = None, panel_size=(2.5, 2.0)) -> Figure:
    """Train and test accuracy per variant, one panel each (shared axes), with the area
    between the test curve and its running maximum shaded: what stopping at the best epoch
    would have gained over stopping here (report Fig. 3).

    x: "epoch" or "step" (SGD steps; use it when batch sizes differ).
    """
    if x not in ("epoch", "step"):
        raise ValueError(f"x must be 'epoch' or 'step', got {x!r}")
    if not results:
        raise ValueError("accuracy_curves needs at least one variant")
    n = len(results)
    ncols = ncols or min(n, 4 if n != 4 else 2)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + (0.6 if title else 0.3)),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, (label, result) in zip(axes, results.items()):
        c = _curves(result)
        best = c["test"].cummax()
        ax.plot(c[x], c["train"], color="C0", lw=1.2, label="train")
        ax.plot(c[x], c["test"], color="C1", lw=1.2, label="test")
        ax.fill_between(c[x], c["test"], best, color="C1", alpha=0.3, lw=0,
                        label="best test so far (early-stopping gain)")
        ax.set_title(str(label), fontsize=9)
        ax.set_ylim(0, 101)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols:]:
        ax.set_xlabel("SGD steps" if x == "step" else "epoch", fontsize=8)
    for ax in axes[::ncols]:
        ax.set_ylabel("accuracy (%)", fontsize=8)
    if x == "epoch":
        axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def format_curves(table: pd.DataFrame):
    """Display form of `curve_table`: 2 decimals, '-' for never."""
    floats = [c for c in table.columns if table[c].dtype.kind == "f"]
    return table.style.format({c: "{:.2f}" for c in floats}, na_rep="-").pipe(_compact)


def reach_epoch(table: pd.DataFrame, variant, reach: float = 99.0):
    """First epoch at which `variant` reached `reach` % train accuracy, None if never."""
    v = table.loc[variant, f"epoch train >= {reach:g}%"]
    return None if pd.isna(v) else int(v)


def reach_phrase(table: pd.DataFrame, variant, reach: float = 99.0) -> str:
    """'epoch 7', or 'never (in 20 epochs)'."""
    e = reach_epoch(table, variant, reach)
    return f"epoch {e}" if e is not None else f"never (in {table.loc[variant, 'epochs']} epochs)"


def faster(table: pd.DataFrame, a, b, reach: float = 99.0):
    """Which of variants a, b reached `reach` % train accuracy first: a, b, "tie", or None
    when neither did."""
    ea, eb = reach_epoch(table, a, reach), reach_epoch(table, b, reach)
    if ea is None and eb is None:
        return None
    if eb is None or (ea is not None and ea < eb):
        return a
    if ea is None or eb < ea:
        return b
    return "tie"
