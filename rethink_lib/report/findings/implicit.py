"""Chapter 04, implicit regularization: Fig. 3a-c."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ...chapters import TOPICS
from .. import verdicts as V
from ..tables import curve_table, late_rise
from .common import REACH, LEVEL_WINDOW, _finish, data_caveat, _pct


# ---------------------------------------------------------- 04: implicit regularization
def _fit_curve(result) -> bool:
    return max(r["train_acc"] for r in result.metrics) * 100 >= REACH - 1e-9


def implicit(runs) -> dict[str, V.Verdict]:
    """Verdicts of the implicit-regularization chapter (Fig. 3a-c)."""
    out, topic = {}, TOPICS["04_implicit"]
    parts = _fig3a_verdicts(runs["fig3a"], out, topic)
    _fig3b_verdicts(runs["fig3b"], out, topic)
    _fig3c_verdicts(runs["fig3c"], out, topic)
    return _finish("04_implicit", out, parts, runs)


def _fig3a_verdicts(a, out, topic) -> dict:
    """Fig. 3a: early stopping, the curves' length, the regularizers; returns the per-run
    verdicts to combine."""
    ta = curve_table(a, REACH) if a else None
    early = [V.early_stopping(f"Inception, {label}", ta.loc[label, "early-stopping gain"],
                              r.summary["n_curve_test"], ta.loc[label, "best test"], _fit_curve(r),
                              int(ta.loc[label, "epochs"]), topic["fig3a_es"])
             for label, r in a.items()]
    unaug = {label: r for label, r in a.items() if r.config.augment == "none"}
    aug = {label: r for label, r in a.items() if r.config.augment != "none"}
    long_enough = []
    if unaug:
        epochs = max(r.config.max_epochs for r in unaug.values())
        long_enough.append(V.fitted(
            {f"Inception with {label}": (max(m["train_acc"] for m in r.metrics) >= 1.0,
                                         _pct(r.metrics[-1]["train_acc"]))
             for label, r in unaug.items()},
            f"100% running training accuracy within {epochs} epochs",
            topic["fig3a_long_enough"]))
    if aug:
        long_enough.append(V.levelled(
            {f"Inception with {label}": late_rise(r, LEVEL_WINDOW) for label, r in aug.items()},
            LEVEL_WINDOW,
            "running training accuracy", topic["fig3a_long_enough"]))
    if "no regularizer" in a and "aug + wd + dropout" in a:
        w, wo = a["aug + wd + dropout"], a["no regularizer"]
        out["fig3a_regularizers"] = V.effect(
            "Inception", _pct(w.summary["final_test_acc"]), _pct(wo.summary["final_test_acc"]),
            wo.summary["n_test"], "augmentation, weight decay and dropout together",
            topic["fig3a_regularizers"], caveat=data_caveat(wo),
            confound=V.confounds(w, wo, ["augment", "weight_decay", "dropout"],
                                 ("the regularized run", "the run without"),
                                 (_fit_curve(w), _fit_curve(wo))))
    return {"fig3a_es": early, "fig3a_long_enough": long_enough}


def _fig3b_verdicts(b, out, topic) -> None:
    """Fig. 3b: BatchNorm against none, on test accuracy, speed and steadiness."""
    if "with BN" in b and "without BN" in b:
        bn, nobn = b["with BN"], b["without BN"]
        tb = curve_table(b, REACH)
        conf = V.confounds(bn, nobn, ["model", "bn"], ("the BatchNorm run", "the run without"),
                           (_fit_curve(bn), _fit_curve(nobn)))
        out["fig3b_test"] = V.effect(
            "Inception", _pct(bn.summary["final_test_acc"]), _pct(nobn.summary["final_test_acc"]),
            bn.summary["n_test"], "BatchNorm", topic["fig3b_test"],
            confound=conf, caveat=data_caveat(bn))
        step = f"step train >= {REACH:g}%"
        out["fig3b_speed"] = V.earlier(
            "Inception", _na(tb.loc["with BN", step]), _na(tb.loc["without BN", step]),
            "with BatchNorm", "without", f"{REACH:g}% running training accuracy",
            topic["fig3b_speed"], expected="a", confound=conf)
        out["fig3b_steady"] = V.steadier(
            "Inception", tb.loc["with BN", "test fluctuation"], tb.loc["without BN", "test fluctuation"],
            "with BatchNorm", "without", topic["fig3b_steady"],
            source="the paper", confound=conf)


def _fig3c_verdicts(c, out, topic) -> None:
    """Fig. 3c: batch 128 against 64, in epochs (as the report) and in steps."""
    if len(c) == 2:
        small, large = sorted(c, key=lambda k: c[k].config.batch_size)
        tc = curve_table(c, REACH)
        conf = V.confounds(c[large], c[small], ["batch_size"], (large, small),
                           (_fit_curve(c[large]), _fit_curve(c[small])))
        ep, st = f"epoch train >= {REACH:g}%", f"step train >= {REACH:g}%"
        by = {unit: V.earlier(
            "Inception with BatchNorm", _na(tc.loc[large, col]), _na(tc.loc[small, col]), large,
            small, f"{REACH:g}% running training accuracy", topic["fig3c_speed"],
            expected="a", unit=unit, confound=conf if unit == "epoch" else "")
            for unit, col in (("epoch", ep), ("step", st))}
        same = by["step"].outcome == by["epoch"].outcome
        out["fig3c_speed"] = replace(by["epoch"], text=V._also(
            by["epoch"].text,
            f"(The verdict counts epochs, as the report's figure does; batch 64 takes twice as many "
            f"SGD steps per epoch. Counted in steps, it {'is the same' if same else 'changes'}: "
            f"{by['step'].text[:-1]}.)"))
        out["fig3c_steady"] = V.steadier(
            "Inception with BatchNorm", tc.loc[large, "test fluctuation"],
            tc.loc[small, "test fluctuation"], f"with {large}", f"with {small}",
            topic["fig3c_steady"], confound=conf)


def _na(v):
    return None if pd.isna(v) else int(v)
