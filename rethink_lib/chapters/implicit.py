"""Chapter 04, implicit regularization: Fig. 3a (early stopping and the explicit
regularizers), 3b (BatchNorm) and 3c (batch size), learning curves of a fixed length."""
from __future__ import annotations

from dataclasses import replace

from ..builders import fixed
from ..registry import Param, Topic, chapter, experiment
from .capacity import DATA

IMPLICIT = chapter(
    "04_implicit", "Implicit regularization", findings="implicit",
    params=(Param("dataset", "data set of Fig. 3a-c", key="implicit_dataset"), *DATA,
            Param("implicit_epochs", "epochs of the Fig. 3b/c curves (no stop at 100%)")))

IMPLICIT_VARIANTS = {  # label: (augment, weight decay on, dropout)
    "aug + wd + dropout": ("crop_pad4_jitter", True, 0.5),
    "aug + wd": ("crop_pad4_jitter", True, 0.0),
    "wd only": ("none", True, 0.0),
    "no regularizer": ("none", False, 0.0),
}


@experiment("fig3a", chapter=IMPLICIT, label="Fig. 3a",
            params=[Param("fig3a_epochs", "epochs of the Fig. 3a curves (no stop at 100%)"),
                    Param("weight_decay", "weight decay of the wd columns",
                          key="implicit_weight_decay")],
            topics={"fig3a_es": Topic("Fig. 3a: early stopping"),
                    "fig3a_long_enough": Topic("Fig. 3a: the curves run until those without "
                                               "augmentation fit and the augmented ones level "
                                               "off"),
                    "fig3a_regularizers": Topic("Fig. 3a: explicit regularizers raise test "
                                                "accuracy")},
            figure="accuracy_curves", table="curve_table")
def fig3a(s):
    """Report Fig. 3a: Inception with and without augmentation, weight decay, dropout; all
    four curves over `fig3a_epochs` (long enough for the augmented ones to level off)."""
    return {label: fixed(s, s["fig3a_epochs"], model="inception_small", augment=aug,
                         dropout=drop, weight_decay=s["implicit_weight_decay"] if wd else 0.0)
            for label, (aug, wd, drop) in IMPLICIT_VARIANTS.items()}


@experiment("fig3b", chapter=IMPLICIT, label="Fig. 3b",
            topics={"fig3b_test": Topic("Fig. 3b: BatchNorm improves test accuracy"),
                    "fig3b_speed": Topic("Fig. 3b: BatchNorm speeds up fitting (the report)"),
                    "fig3b_steady": Topic("Fig. 3b: BatchNorm steadies training (the paper)")},
            figure="accuracy_curves", table="curve_table")
def fig3b(s):
    """Report Fig. 3b: BatchNorm against none (Inception, no other regularizer), both at the
    recipe the network without BatchNorm trains at (its lr, factor and warm-up: in the cpu
    profile lr 0.03, since 0.1 diverges without BatchNorm in bf16), so that BatchNorm is the
    one difference."""
    without = fixed(s, model="inception_small_nobn")
    return {"with BN": replace(fixed(s, model="inception_small"), lr=without.lr,
                               lr_decay=without.lr_decay, warmup_epochs=without.warmup_epochs),
            "without BN": without}


@experiment("fig3c", chapter=IMPLICIT, label="Fig. 3c",
            topics={"fig3c_speed": Topic("Fig. 3c: the larger batch converges faster per "
                                         "epoch (the report)"),
                    "fig3c_steady": Topic("Fig. 3c: the larger batch gives steadier curves "
                                          "(the report)")},
            figure="accuracy_curves", table="curve_table")
def fig3c(s):
    """Report Fig. 3c: BatchNorm with batch 64 against 128."""
    return {f"batch {b}": fixed(s, model="inception_small", batch_size=b) for b in (128, 64)}
