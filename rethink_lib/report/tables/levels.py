"""Fig. 1b and 1c: times to fit and test error per corruption level, and Fig. 1b's factors."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ...metrics import FIT_LOSS, time_to_fit
from ..names import METRIC_NAMES, missing, model_name
from ..stats import by_seed, stat
from .display import _pct, compact


def level_frame(results: Mapping) -> pd.DataFrame:
    """One row per (model, level) of a {(model, level, seed): RunResult} experiment.

    Columns (mean, lo, hi over seeds): the three times to fit (steps; each the first epoch
    after which its mark held to the end, `metrics.time_to_fit`), the paper's (100% training
    accuracy) relative to the same seed's true-label run, test error (%), final train
    accuracy (%); `seeds`, `fitted` (how many seeds reached the stopping target)."""
    grouped = by_seed(results)
    rows = []
    for (model, level), seeds in grouped.items():
        base = grouped.get((model, 0.0), {})
        row = {"model": model, "level": level, "seeds": len(seeds),
               "fitted": sum(bool(r.summary["fitted"]) for r in seeds.values())}
        cols = {m: [time_to_fit(r.metrics, m) for r in seeds.values()] for m in METRIC_NAMES}
        cols["relative"] = [fit_factor(r, base.get(s)) for s, r in seeds.items()]
        cols["test_error"] = [100 - _pct(r.summary["final_test_acc"]) for r in seeds.values()]
        cols["train_acc"] = [_pct(r.summary["final_train_acc"]) for r in seeds.values()]
        for name, values in cols.items():
            st = stat(values)
            row.update({name: st.mean, f"{name}_lo": st.lo, f"{name}_hi": st.hi,
                        f"{name}_n": st.n})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    order = {m: i for i, m in enumerate(dict.fromkeys(frame["model"]))}  # first appearance
    return (frame.assign(_o=frame["model"].map(order)).sort_values(["_o", "level"])
            .drop(columns="_o").reset_index(drop=True))


FIT_COLUMNS = {"steps_to_loss": f"loss ≤ {FIT_LOSS:g}", "steps_to_99": "99% train acc",
               "steps_to_fit": "100% train acc"}  # the three times to fit, as column heads


def fit_factor(result, base, mark: str = "steps_to_fit", unit: str = "step"):
    """A run's time to fit over its true-label run's (same model and seed), both held to the
    end (`metrics.time_to_fit`); None when either never fitted or `base` is None."""
    if base is None:
        return None
    a, b = time_to_fit(base.metrics, mark, unit), time_to_fit(result.metrics, mark, unit)
    return None if missing(a) or missing(b) or a == 0 else b / a


def fit_ratios(results: Mapping, base: float = 0.0, other: float = 1.0) -> pd.DataFrame:
    """Fig. 1b's factor by each of the three times to fit: per model, the steps to fit at level
    `other` (random labels) over the same seed's steps at `base` (true labels), mean over the
    seeds where both were reached, with how many seeds that was."""
    grouped = by_seed(results)
    rows = {}
    for model in dict.fromkeys(m for m, _ in grouped):
        a, b = grouped.get((model, base), {}), grouped.get((model, other), {})
        seeds = sorted(set(a) & set(b))
        if not seeds:
            continue
        row = {}
        for metric, name in FIT_COLUMNS.items():
            row[name] = stat(fit_factor(b[s], a[s], metric) for s in seeds).mean
        row["seeds"] = len(seeds)
        rows[model_name(model)] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def format_levels(frame: pd.DataFrame):
    """Display form of `level_frame`: one cell per quantity, 'mean (lo-hi)' across seeds."""
    def cell(row, name, fmt):
        if row[f"{name}_n"] == 0:
            return "not reached"
        s = fmt(row[name])
        if row["seeds"] > 1 and row[f"{name}_lo"] != row[f"{name}_hi"]:
            s += f" ({fmt(row[f'{name}_lo'])}-{fmt(row[f'{name}_hi'])})"
        if row[f"{name}_n"] < row["seeds"]:
            s += f" [{row['seeds'] - row[f'{name}_n']} not reached]"
        return s
    if frame.empty:
        return pd.DataFrame({"Fig. 1b/1c": ["no run is stored yet"]}).style.hide(axis="index")
    steps = "{:,.0f}".format
    shown = pd.DataFrame({
        "model": frame["model"].map(model_name), "p": frame["level"].map("{:g}".format),
        "seeds": frame["seeds"], "fitted": frame["fitted"],
        "steps to loss 0.01": [cell(r, "steps_to_loss", steps) for _, r in frame.iterrows()],
        "steps to 99%": [cell(r, "steps_to_99", steps) for _, r in frame.iterrows()],
        "steps to 100%": [cell(r, "steps_to_fit", steps) for _, r in frame.iterrows()],
        "relative (100%)": [cell(r, "relative", "{:.2f}".format) for _, r in frame.iterrows()],
        "train acc %": [cell(r, "train_acc", "{:.2f}".format) for _, r in frame.iterrows()],
        "test error %": [cell(r, "test_error", "{:.1f}".format) for _, r in frame.iterrows()],
    })
    return compact(shown.style.hide(axis="index"))
