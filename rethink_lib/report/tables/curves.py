"""Fig. 3: per-epoch curves of single runs, their early-stopping gain and late rise."""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .display import compact


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
