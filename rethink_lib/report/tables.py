"""Tables the chapters show, as DataFrames (numbers) plus their display forms (Stylers).

Inputs are experiment dicts with each RunConfig replaced by its stored RunResult (anything
with `.config`, `.summary` and `.metrics` will do); keys end with the seed where the
experiment has seeds, and seeds are pooled into mean and range. Accuracies are in percent,
differences in percentage points, ours minus theirs.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..metrics import FIT_LOSS, time_to_fit
from ..reference import PAPER_TABLE1, REPORT_TABLE1, REPORT_TABLE2
from .names import METRIC_NAMES, key_name, missing, model_name
from .stats import by_seed, stat

REGULARIZED = ("crop+wd", "crop", "wd")  # Table 1 columns with some explicit regularizer
METRICS = ("train", "test")
LINEAR = "linear"  # the model key of the linear baseline's rows


def _pct(x) -> float:
    """Fraction -> percent; None/NaN -> NaN."""
    return math.nan if missing(x) else 100.0 * x


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """SGD steps in one epoch (a last batch of one image is folded into the one before)."""
    steps = -(-n_train // batch_size)
    return steps - 1 if steps > 1 and n_train % batch_size == 1 else steps


# ------------------------------------------------------------------------ recipes
def recipe_frame(configs: Iterable, results: Iterable = ()) -> pd.DataFrame:
    """One row per model: the recipe its runs share (values that differ are listed).

    configs: RunConfigs; results: stored RunResults of them, for the sizes the configs leave
    to the data set (n_test None = the whole test split)."""
    sizes = {r.config.run_id: r.summary for r in results}
    rows: dict[str, dict] = {}
    for c in configs:
        s = sizes.get(c.run_id, {})
        n_train = s.get("n_train", c.n_train)
        from ..models import model_spec
        row = {"BatchNorm": "yes" if model_spec(c.model).uses_batchnorm(c.batchnorm) else "no",
               "initial lr": c.lr0, "lr factor per epoch": c.decay,
               "warm-up epochs": c.warmup_epochs, "epoch cap": c.max_epochs,
               "batch": c.batch_size, "training images": n_train,
               "steps per epoch": steps_per_epoch(n_train, c.batch_size) if n_train else None,
               "test images": s.get("n_test", c.n_test),
               "curve test images": s.get("n_curve_test", c.curve_n_test),
               "precision": s.get("precision", c.precision)}
        acc = rows.setdefault(model_name(c.model), {k: [] for k in row})
        for k, v in row.items():
            if v not in acc[k]:
                acc[k].append(v)
    out = {m: {k: (v[0] if len(v) == 1 else " / ".join("-" if x is None else f"{x:g}" if
                                                       isinstance(x, float) else str(x) for x in v))
               for k, v in acc.items()} for m, acc in rows.items()}
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("model")


# ------------------------------------------------------------ the linear baseline
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
    from ..models import count_parameters, create_model, model_spec
    rows = {}
    for m in models:
        p = count_parameters(create_model(m))
        published = model_spec(m).paper_parameters
        ours = f"per image, ours (n = {n_train:,})" if n_train else "per image, ours"
        rows[model_name(m)] = {"parameters": p, ours: p / n_train if n_train else math.nan,
                               f"per image, paper (n = {paper_n_train:,})":
                               (published or p) / paper_n_train}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


# --------------------------------------------------------------- Fig. 1b and 1c
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


# ------------------------------------------------------------------------ Table I
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
    from .stats import se_diff
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


def compact(styler):
    """Small type and some room between cells, so wide tables fit the book's page."""
    return (styler.set_table_attributes('style="font-size: 0.85em"')
            .set_table_styles([{"selector": sel, "props": "padding: 0.1em 0.45em"}
                               for sel in ("td", "th")]))


# --------------------------------------------------------------------- Fig. 3 curves
def curves(result) -> pd.DataFrame:
    """epoch, step, train and test accuracy (%) of one run's per-epoch rows."""
    m = pd.DataFrame(result.metrics)
    return pd.DataFrame({"epoch": m["epoch"], "step": m["step"],
                         "train": 100.0 * m["train_acc"], "test": 100.0 * m["test_acc"]})


def late_rise(result, window: int = 5, column: str = "train") -> float | None:
    """Points a run's per-epoch `column` accuracy (%) still rose at its end: its mean over the
    last `window` epochs minus its mean over the `window` before them (None: too short)."""
    c = curves(result)[column]
    if len(c) < 2 * window:
        return None
    return float(c.iloc[-window:].mean() - c.iloc[-2 * window:-window].mean())


def curve_table(results: Mapping, reach: float = 99.0) -> pd.DataFrame:
    """One row per variant: final and best test accuracy, the early-stopping gain (best
    minus final, points), the epoch of the best, the first epoch and step with train
    accuracy >= `reach` % (<NA> if never), the fluctuation of the test curve (mean absolute
    change between consecutive epochs, points) and the test images of the curve."""
    rows = {}
    for label, result in results.items():
        c = curves(result)
        reached = c.loc[c["train"] >= reach - 1e-9]
        rows[label] = {
            "epochs": int(c["epoch"].iloc[-1]),
            "final train": c["train"].iloc[-1],
            "final test": c["test"].iloc[-1],
            "best test": c["test"].max(),
            "best epoch": int(c.loc[c["test"].idxmax(), "epoch"]),
            "early-stopping gain": c["test"].max() - c["test"].iloc[-1],
            f"epoch train >= {reach:g}%": int(reached["epoch"].iloc[0]) if len(reached) else pd.NA,
            f"step train >= {reach:g}%": int(reached["step"].iloc[0]) if len(reached) else pd.NA,
            "test fluctuation": float(np.abs(np.diff(c["test"])).mean()) if len(c) > 1 else math.nan,
            "curve test images": result.summary.get("n_curve_test"),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    for col in (f"epoch train >= {reach:g}%", f"step train >= {reach:g}%"):
        if col in frame:
            frame[col] = frame[col].astype("Int64")
    frame.index.name = "variant"
    return frame


def format_curves(table: pd.DataFrame):
    """Display form of `curve_table`: 2 decimals, '-' for never."""
    floats = [c for c in table.columns if table[c].dtype.kind == "f"]
    return compact(table.style.format({c: "{:.2f}" for c in floats}, na_rep="-"))


# Columns that count things (steps, epochs, images, seeds, parameters): whole numbers, always.
COUNT_WORDS = ("step", "epoch", "images", "seeds", "parameters", "n_", "runs")


def plain_number(v: float) -> str:
    """As short as exact, never in scientific notation: 0.005, 0.9897, 1,030, 5e-05 -> 0.00005."""
    if v != v:
        return "-"
    if float(v).is_integer():
        return f"{v:,.0f}"
    text = f"{v:,.8f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{v:.2g}"


def _column_format(col: pd.Series, digits: int | None):
    """One format per column: counts and whole-number columns with thousands separators and
    no decimals; other floats with `digits` decimals (None: `plain_number`)."""
    name = str(col.name).lower()
    values = col.dropna()
    whole = col.dtype.kind == "i" or (len(values) > 0 and (values == values.round()).all()
                                      and any(w in name for w in COUNT_WORDS))
    if whole or any(w in name for w in COUNT_WORDS) and col.dtype.kind == "i":
        return "{:,.0f}"
    return plain_number if digits is None else f"{{:,.{digits}f}}"


def format_frame(frame: pd.DataFrame, digits: int | None = 2, index: bool = True,
                 empty: str = "no run is stored yet"):
    """Any frame for display: `digits` decimals for floats (None: as short as exact, e.g. a
    learning rate 0.005), thousands separators for integers, '-' for missing."""
    fmt = {c: _column_format(frame[c], digits) for c in frame.columns
           if frame[c].dtype.kind in "fi"}
    if frame.empty:
        return pd.DataFrame({"": [empty]}).style.hide(axis="index")
    styler = frame.style.format(fmt, na_rep="-")
    return compact(styler if index else styler.hide(axis="index"))


def runs_frame(results: Mapping) -> pd.DataFrame:
    """One row per run ({experiment key: RunResult}): what it is, its sizes, accuracies (%),
    epochs, the three times to fit (steps, each held to the end) and whether it reached its
    stopping target."""
    from ..models import model_spec
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
    from .names import dataset_name
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
    """'Parameters per training image: ours 242 to 330, the paper's 24.2 to 33.0 (table below).'"""
    if frame.empty:
        return ""
    span = per_image(frame)
    return (f"Parameters per training image: ours {span['ours'][0]:,.0f} to {span['ours'][1]:,.0f}, "
            f"the paper's {span['paper'][0]:,.1f} to {span['paper'][1]:,.1f} (table below).")


def per_image(frame: pd.DataFrame) -> dict:
    """Range of parameters per training image in a `parameters_frame`: {"ours": (lo, hi),
    "paper": (lo, hi)}."""
    ours = frame[[c for c in frame.columns if c.startswith("per image, ours")][0]]
    paper = frame[[c for c in frame.columns if c.startswith("per image, paper")][0]]
    return {"ours": (float(ours.min()), float(ours.max())),
            "paper": (float(paper.min()), float(paper.max()))}
