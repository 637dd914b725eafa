"""Chapter 03, explicit regularization: Table I (with and without random crop and weight
decay; also at the paper's scale) and Table II (random labels with weight decay)."""
from __future__ import annotations

from ..builders import ModelKey, RowKey, seeded
from ..registry import Param, Topic, chapter, experiment
from .capacity import DATA

EXPLICIT = chapter(
    "03_explicit", "Explicit regularization", findings="explicit", baselines=True,
    params=(Param("dataset", "data set of Tables I and II"), *DATA,
            Param("max_epochs", "epoch cap per run, per model family (runs stop once fitted)"),
            Param("seeds", "seeds per model, per model family (more seeds: more runs)")))

# Table I columns: label -> (augmentation, weight decay on)
REGULARIZERS = {"crop+wd": ("crop", True), "crop": ("crop", False), "wd": ("none", True),
                "neither": ("none", False)}
# The paper's Table 1 runs crop for the conv nets only (MLPs have no "crop" columns).
WITH_CROP = ("inception_small", "alexnet_small")


def _table1_rows(s, models, **kw) -> dict:
    out = {}
    for m in models:
        for label, (aug, wd) in REGULARIZERS.items():
            if aug == "crop" and m not in WITH_CROP:
                continue
            out.update(seeded(s, RowKey, m, label, model=m, augment=aug,
                              weight_decay=s["weight_decay"] if wd else 0.0, **kw))
        out.update(seeded(s, RowKey, m, "random labels", model=m, corruption="labels",
                          level=1.0, **kw))
    return out


@experiment("table1", chapter=EXPLICIT, label="Table I", models="regularization_models",
            params=[Param("regularization_models", "Tables I and II: models"),
                    Param("weight_decay", "weight decay of the wd columns")],
            topics={k: Topic(t) for k, t in {
                "t1_fit": "Table I: every run fits its training set",
                "t1_effects": "Table I: explicit regularizers move test accuracy as much as in the paper",
                "t1_generalize": "Table I: networks generalize without regularizers",
                "t1_linear": "Table I: networks beat the linear classifier on true labels",
                "t1_random": "Table I: random labels test at chance",
                "t1_vs_paper": "Table I against the paper's numbers",
                "t1_vs_report": "Table I against the report's numbers"}.items()},
            table="table1_frame")
def table1(s):
    """Paper Table 1 / report Table I: with and without random crop and weight decay."""
    return _table1_rows(s, s["regularization_models"])


@experiment("table1_full", chapter=EXPLICIT, label="Table I, paper scale",
            models="paper_scale_models", table="table1_frame",
            topics={k: Topic(t, also=("table1_full_late",)) for k, t in {
                "t1_full_fit": "Table I at the paper's scale: every run fits its training set",
                "t1_full_vs_paper": "Table I at the paper's scale against the paper's numbers",
                "t1_full_vs_report": "Table I at the paper's scale against the report's "
                                     "numbers"}.items()})
def table1_full(s):
    """Table I at the paper's scale (all training images) for `paper_scale_models`: rows
    that compare directly with the paper's."""
    return _table1_rows(s, s.get("paper_scale_models", []), n_train=None,
                        max_epochs=s.get("paper_scale_max_epochs", 1))


@experiment("table1_full_late", chapter=EXPLICIT, label="Table I, paper scale (late)",
            models="late_paper_scale_models", table="table1_frame")
def table1_full_late(s):
    """As table1_full for `late_paper_scale_models` (costlier; last in the queue)."""
    return _table1_rows(s, s.get("late_paper_scale_models", []), n_train=None,
                        max_epochs=s.get("paper_scale_max_epochs", 1))


@experiment("table2", chapter=EXPLICIT, label="Table II", models="regularization_models",
            topics={"t2_fit": Topic("Table II: random labels are fitted with weight decay on"),
                    "t2_vs_report": Topic("Table II against the report's numbers")},
            table="table2_frame")
def table2(s):
    """Report Table II: random labels with weight decay on."""
    out = {}
    for m in s["regularization_models"]:
        if m != "inception_small_nobn":
            out.update(seeded(s, ModelKey, m, model=m, corruption="labels", level=1.0,
                              weight_decay=s["weight_decay"]))
    return out
