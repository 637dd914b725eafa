"""What a stored run must satisfy beyond its checksums: the summary agrees with its rows.

summary.json carries the sha256 of config.json, metrics.csv and steps.csv, but not of
itself (the stored format is fixed), so its numbers are checked against what determines
them: every count, time to fit and running value is recomputed from the rows; every final
accuracy must be a count of correct images out of the image count it was measured on,
as torch computes it (a float32 k/n), and the train count must be the clean plus the
corrupted count. A hand-edited number almost never passes (0.9 is no float32); an edit to
another exact possible value (e.g. 0.5 of 100 images) can, and is the one gap left.
"""
from __future__ import annotations

import math
import struct

from .metrics import SUMMARY_VERSION, first_step, reached

_NUMBERS = ("final_train_loss", "final_test_loss", "wall_seconds", "eval_seconds")


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _is_float32(v: float) -> bool:
    return struct.unpack("f", struct.pack("f", v))[0] == v


def count_of(v, n: int) -> int | None:
    """k if v is the float32 mean of n booleans with k true (torch's accuracy), else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or n <= 0 or not 0 <= v <= 1:
        return None
    k = round(v * n)
    if abs(v - k / n) > min(1e-6, 0.25 / n) or not _is_float32(float(v)):
        return None
    return k


def _rows_problem(summary: dict, config, metrics: list[dict], steps: list) -> str | None:
    if not metrics or not steps:
        return "metrics.csv or steps.csv has no rows"
    last = metrics[-1]
    fit_loss = summary.get("fit_loss")
    if not isinstance(fit_loss, float) or not fit_loss > 0:
        return f"summary.json fit_loss={fit_loss!r} is not a positive number"
    try:
        derived = {
            "epochs": len(metrics), "steps": len(steps),
            "fitted": reached(last, config),
            "steps_to_fit": first_step(metrics, "train_acc", 1.0),
            "steps_to_99": first_step(metrics, "train_acc", 0.99),
            "steps_to_loss": first_step(metrics, "train_loss", fit_loss, below=True),
            "final_train_acc_running": last["train_acc"],
            "final_train_loss_running": last["train_loss"],
            "last_lr": last["lr"],
            "best_curve_test_acc": max(r["test_acc"] for r in metrics),
        }
    except (KeyError, TypeError) as err:
        return f"metrics.csv rows lack usable values ({type(err).__name__}: {err})"
    if last.get("step") != len(steps):
        return f"metrics.csv ends at step {last.get('step')!r} but steps.csv has {len(steps)} rows"
    for key, want in derived.items():
        if not _same(summary.get(key), want):
            return f"summary.json {key}={summary.get(key)!r} but the stored rows give {want!r}"
    for key, col in (("wall_seconds", "wall_seconds"), ("eval_seconds", "eval_seconds")):
        v, row = summary.get(key), last.get(col)
        if isinstance(v, (int, float)) and isinstance(row, (int, float)) and v < row:
            return f"summary.json {key}={v!r} is less than metrics.csv's last {col} {row!r}"
    return None


def _counts_problem(summary: dict, config) -> str | None:
    sizes = {}
    n_test_want = config.n_test
    for key, want in (("n_train", config.n_train), ("n_test", n_test_want)):
        v = summary.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0 or (want is not None and v != want):
            return f"summary.json {key}={v!r} but the config asks for {want!r}"
        sizes[key] = v
    n, n_test = sizes["n_train"], sizes["n_test"]
    curve = min(config.curve_n_test, n_test) if config.curve_n_test is not None else n_test
    if not _same(summary.get("n_curve_test"), curve):
        return f"summary.json n_curve_test={summary.get('n_curve_test')!r} but the config gives {curve}"
    n_corr = count_of(summary.get("fraction_corrupted"), n)
    if n_corr is None:
        return (f"summary.json fraction_corrupted={summary.get('fraction_corrupted')!r} is not "
                f"a fraction of {n} images")
    groups = {"final_train_acc": n, "final_test_acc": n_test,
              "final_clean_acc": n - n_corr, "final_corrupted_acc": n_corr}
    counts = {}
    for key, size in groups.items():
        v = summary.get(key)
        if size == 0:
            if v is not None:
                return f"summary.json {key}={v!r} but it was measured on no images"
            counts[key] = 0
            continue
        counts[key] = count_of(v, size)
        if counts[key] is None:
            return (f"summary.json {key}={v!r} is not an accuracy over {size} images "
                    "(edited by hand?)")
    if counts["final_train_acc"] != counts["final_clean_acc"] + counts["final_corrupted_acc"]:
        return ("summary.json final_train_acc disagrees with final_clean_acc and "
                "final_corrupted_acc")
    return None


def summary_problem(summary: dict, config, metrics: list[dict], steps: list) -> str | None:
    """None if summary.json agrees with the config and the stored rows, else what differs."""
    if not _same(summary.get("summary_version"), SUMMARY_VERSION):
        return (f"summary.json has summary_version {summary.get('summary_version')!r}, this "
                f"code reads {SUMMARY_VERSION}")
    if summary.get("run_id") != config.run_id or summary.get("config") != config.to_dict():
        return "summary.json describes another config than config.json"
    for key in _NUMBERS:
        v = summary.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not math.isfinite(v) or v < 0):
            return f"summary.json {key}={v!r} is not a non-negative number"
    threads = summary.get("threads")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        return f"summary.json threads={threads!r} is not a thread count"
    if summary.get("precision") not in ("fp32", "bf16"):
        return f"summary.json precision={summary.get('precision')!r} is not fp32 or bf16"
    return _rows_problem(summary, config, metrics, steps) or _counts_problem(summary, config)
