"""Report Tables I and II beside the paper's and the report's numbers, and the regularizers' effects."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from ...reference import PAPER_TABLE1, REPORT_TABLE1, REPORT_TABLE2
from ..names import key_name, missing, model_name
from ..stats import by_seed, se_diff, stat
from .display import _pct, compact

REGULARIZED = ("crop+wd", "crop", "wd")  # Table 1 columns with some explicit regularizer
METRICS = ("train", "test")
LINEAR = "linear"  # the model key of the linear baseline's rows


def _ours(seeds: Mapping) -> dict:
    """Mean over seeds of train/test accuracy (%), with the test range and epochs."""
    rs = list(seeds.values())
    test = stat(_pct(r.summary["final_test_acc"]) for r in rs)
    return {"train": stat(_pct(r.summary["final_train_acc"]) for r in rs).mean, "test": test.mean,
            "test lo": test.lo, "test hi": test.hi, "seeds": len(rs),
            "epochs": stat(r.summary["epochs"] for r in rs).mean,
            "n_test": rs[0].summary.get("n_test")}


def table1_frame(results: Mapping, paper: Mapping = PAPER_TABLE1, report: Mapping = REPORT_TABLE1,
                 linear: Iterable[dict] = ()) -> pd.DataFrame:
    """Report Table I: ours beside the paper's and the report's numbers, with differences.

    results: {(model, regularizer, seed): RunResult} (`experiments.table1`); linear: linear
    baseline dicts, shown as rows ("linear", "neither") and ("linear", "random labels").
    Columns are two-level: ("ours" | "paper" | "report" | "ours - paper" | "ours - report",
    "train" | "test"), plus ("ours", "epochs" | "seeds" | "n_test"). Missing cells are NaN."""
    rows = {}
    for key, seeds in by_seed(results).items():
        ours = _ours(seeds)
        row = {("ours", m): ours[m] for m in (*METRICS, "epochs", "seeds", "n_test")}
        row[("ours", "test range")] = (f"{ours['test lo']:.2f}-{ours['test hi']:.2f}"
                                       if ours["seeds"] > 1 else "")
        for name, ref in (("paper", paper), ("report", report)):
            theirs = dict(zip(METRICS, ref.get(key, (math.nan, math.nan))))
            for m in METRICS:
                row[(name, m)] = theirs[m]
                row[(f"ours - {name}", m)] = ours[m] - theirs[m]
        rows[key] = row
    for b in linear:
        label = "neither" if b["level"] == 0 else "random labels"
        rows[(LINEAR, label)] = {("ours", "train"): 100 * b["train_acc"],
                                 ("ours", "test"): 100 * b["test_acc"],
                                 ("ours", "n_test"): b["n_test"], ("ours", "seeds"): 1}
    columns = pd.MultiIndex.from_tuples(
        [("ours", "train"), ("ours", "test"), ("ours", "test range"), ("ours", "epochs"),
         ("ours", "seeds"), ("ours", "n_test"), ("paper", "train"), ("paper", "test"), ("report", "train"),
         ("report", "test"), ("ours - paper", "train"), ("ours - paper", "test"),
         ("ours - report", "train"), ("ours - report", "test")])
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
    frame.index = pd.MultiIndex.from_tuples(list(rows), names=["model", "regularizer"]) if rows \
        else pd.MultiIndex.from_tuples([], names=["model", "regularizer"])
    return frame


def table2_frame(results: Mapping, without_wd: Mapping | None = None,
                 report: Mapping = REPORT_TABLE2) -> pd.DataFrame:
    """Report Table II: random labels with weight decay, ours beside the report's.

    results: {(model, seed): RunResult} (`experiments.table2`); without_wd: the same models
    on random labels without weight decay, {(model, seed): RunResult}, shown as
    ("ours, no wd", ...). The report prints train accuracy only."""
    plain = by_seed(without_wd or {})
    rows = {}
    for model, seeds in by_seed(results).items():
        ours = _ours(seeds)
        theirs = report.get(model, math.nan)
        row = {("ours", "train"): ours["train"], ("ours", "test"): ours["test"],
               ("ours", "epochs"): ours["epochs"], ("report", "train"): theirs,
               ("ours - report", "train"): ours["train"] - theirs}
        if model in plain:
            p = _ours(plain[model])
            row[("ours, no wd", "train")], row[("ours, no wd", "test")] = p["train"], p["test"]
        rows[model] = row
    columns = [("ours", "train"), ("ours", "test"), ("ours", "epochs"), ("report", "train"),
               ("ours - report", "train")]
    if without_wd is not None:
        columns += [("ours, no wd", "train"), ("ours, no wd", "test")]
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(
        columns=pd.MultiIndex.from_tuples(columns))
    frame.index.name = "model"
    return frame


def regularizer_effect(frame: pd.DataFrame, source: str = "ours") -> pd.DataFrame:
    """Per model: the best-testing regularized column, its test accuracy, the test accuracy
    with neither, and the effect (points) from `source` ("ours", "paper" or "report")."""
    test = frame[(source, "test")]
    out = {}
    for model in frame.index.get_level_values("model").unique():
        if model == LINEAR:
            continue
        rows = test.loc[model]
        regularized = rows.reindex(REGULARIZED).dropna()
        neither = rows.get("neither", math.nan)
        if len(regularized):
            best = regularized.idxmax()
            out[model] = {"best": best, "with": regularized[best], "neither": neither,
                          "effect": regularized[best] - neither}
        else:
            out[model] = {"best": None, "with": math.nan, "neither": neither, "effect": math.nan}
    return pd.DataFrame.from_dict(out, orient="index",
                                  columns=["best", "with", "neither", "effect"]).rename_axis("model")


def effects_frame(frame: pd.DataFrame, z: float = 2.0) -> pd.DataFrame:
    """Per model: the best-testing regularized column of Table I, our effect on test accuracy
    (best minus neither, points) with z standard errors of that difference, and the paper's
    and the report's effect for the same column."""
    ours = regularizer_effect(frame, "ours")
    rows = {}
    for m, row in ours.iterrows():
        if pd.isna(row["best"]):  # no regularized run stored (None becomes NaN in the frame)
            continue
        n = frame.loc[(m, "neither"), ("ours", "n_test")] if (m, "neither") in frame.index else math.nan
        noise = (100 * z * se_diff(row["with"] / 100, int(n), row["neither"] / 100, int(n))
                 if n == n and not missing(row["with"]) and not missing(row["neither"]) else math.nan)
        theirs = {src: frame[(src, "test")].get((m, row["best"]), math.nan) -
                  frame[(src, "test")].get((m, "neither"), math.nan) for src in ("paper", "report")}
        rows[model_name(m)] = {"best regularized": key_name(row["best"]), "ours": row["effect"],
                               f"+/- {z:g} SE": noise, "paper": theirs["paper"],
                               "report": theirs["report"]}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def format_table(frame: pd.DataFrame, threshold: float = 2.0, differences=METRICS):
    """Display form of Table I/II: printed names, 2 decimals, signed differences, '-' for cells
    a source lacks, differences beyond `threshold` points in bold, small type."""
    keep = [c for c in frame.columns if (not c[0].startswith("ours - ") or c[1] in differences)
            and c[1] != "n_test"]
    shown = frame[keep].copy()
    shown.index = [f"linear classifier, {'true labels' if k[1] == 'neither' else k[1]}"
                   if isinstance(k, tuple) and k[0] == LINEAR else key_name(k) for k in shown.index]
    diff_cols = [c for c in shown.columns if c[0].startswith("ours - ")]
    int_cols = [c for c in shown.columns if c[1] in ("epochs", "seeds")]
    fmt = {c: "{:.2f}" for c in shown.columns if c not in diff_cols + int_cols
           and shown[c].dtype.kind in "fi"}
    fmt.update({c: "{:+.2f}" for c in diff_cols})
    fmt.update({c: "{:.0f}" for c in int_cols})
    return compact(shown.style.format(fmt, na_rep="-")
                   .map(lambda v: "font-weight: bold" if pd.notna(v) and abs(v) > threshold else "",
                        subset=diff_cols))
