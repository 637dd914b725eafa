"""Chapter 02, effective capacity: Fig. 1a-c, report Fig. 2, the report's BatchNorm variants
and its extensions (Gaussian noise at ten times the data, random labels on a 2nd data set)."""
from __future__ import annotations

from ..builders import CorruptionKey, LevelKey, ModelKey, corruption_of, seeded
from ..profiles import by_family
from ..registry import Param, Topic, chapter, experiment

DATA = (Param("n_train", "training images per run (None: the whole split)"),
        Param("n_test", "test images of the final accuracies (None: the whole split)"),
        Param("precision", "fp32 | bf16 | auto (bf16 where the device has it natively)"))
CAPACITY = chapter(
    "02_capacity", "Effective capacity", findings="capacity", baselines=True,
    params=(Param("dataset", "data set of Fig. 1, Fig. 2 and the Gaussian runs"), *DATA,
            Param("max_epochs", "epoch cap per run, per model family"),
            Param("seeds", "seeds per model, per model family (more seeds: more runs)")),
    topics={"linear": Topic("Linear baseline: fitting random labels needs the network",
                            names_missing=False)})


@experiment("fig1a", chapter=CAPACITY, label="Fig. 1a", models="fig1a_models",
            params=[Param("fig1a_models", "Fig. 1a: models trained under each corruption"),
                    Param("fig1a_corruptions", "Fig. 1a: labels<p> | shuffled_pixels | "
                          "random_pixels | gaussian")],
            topics={"fig1a_fit": Topic("Fig. 1a: Inception fits every corruption"),
                    "fig1a_order": Topic("Fig. 1a: order of the times to fit",
                                         names_missing=False),  # names its own
                    "fig1a_pixels": Topic("Report Fig. 1a: random pixels and Gaussian noise are "
                                          "fitted before random labels")},
            figure="fig1a")
def fig1a(s):
    """Training loss under the five corruptions (paper Fig. 1a: Inception)."""
    out = {}
    for m in s["fig1a_models"]:
        for c in s["fig1a_corruptions"]:
            out.update(seeded(s, CorruptionKey, m, c, model=m, **corruption_of(c)))
    return out


@experiment("fig1bc", chapter=CAPACITY, label="Fig. 1b/1c", models="capacity_models",
            params=[Param("capacity_models", "Fig. 1b/1c and report Fig. 2: models"),
                    Param("corruption_levels", "Fig. 1b/1c: label corruption levels p in "
                          "[0, 1]")],
            topics={k: Topic(t, names_missing=False) for k, t in {
                "decay_rule": "Each model fits random labels before its learning rate is spent",
                "fig1b_fit": "Fig. 1b: every network fits every corruption level",
                "fig1b_ratio": "Fig. 1b: a small constant factor that grows with the corruption "
                               "level",
                "fig1c_rise": "Fig. 1c: test error rises with the corruption level",
                "fig1c_chance": "Fig. 1c: random labels test at chance"}.items()},
            figure="fig1bc", table="level_frame")
def fig1bc(s):
    """Time to overfit and test error against label corruption level (Fig. 1b, 1c)."""
    out = {}
    for m in s["capacity_models"]:
        for p in s["corruption_levels"]:
            out.update(seeded(s, LevelKey, m, p, model=m, corruption="labels", level=p))
    return out


@experiment("fig2", chapter=CAPACITY, label="report Fig. 2", models="capacity_models",
            params=[Param("fig2_level", "report Fig. 2: its corruption level")],
            topics={"fig2": Topic("Report Fig. 2: clean labels are learned before corrupted "
                                  "ones")},
            figure="fig2")
def fig2(s):
    """Report Fig. 2: clean and corrupted training accuracy at one level (all networks)."""
    out = {}
    for m in s["capacity_models"]:
        out.update(seeded(s, LevelKey, m, s["fig2_level"], model=m, corruption="labels",
                          level=s["fig2_level"]))
    return out


@experiment("report_bn", chapter=CAPACITY, label="report BatchNorm variants",
            models="report_bn_models",
            params=[Param("report_bn_models", "BatchNorm variants as in the report, on labels "
                          "p 0 and 1")],
            topics={"report_bn": Topic("The report's BatchNorm variant beside the paper's "
                                       "network", names_missing=False),
                    "report_bn_fit": Topic("The paper's networks fit random labels without "
                                           "BatchNorm", names_missing=False)})
def report_bn(s):
    """The report's BatchNorm variant beside the paper's no-BN network: random labels."""
    out = {}
    for m in s["report_bn_models"]:
        for p in (0.0, 1.0):
            out.update(seeded(s, LevelKey, m, p, model=m, corruption="labels", level=p,
                              batchnorm=True))
    return out


@experiment("gaussian_large", chapter=CAPACITY, label="Gaussian noise", models="gaussian_models",
            params=[Param("gaussian_models", "Gaussian noise on gaussian_factor x n_train "
                          "images"),
                    Param("gaussian_factor", "Gaussian runs: images as a multiple of n_train")],
            topics={"gaussian_large": Topic("Extension: Gaussian noise, ten times the training "
                                            "set")})
def gaussian_large(s):
    """Report Sec. II-B: Gaussian noise, ten times the training set, arbitrary labels."""
    n = s["n_train"] * s["gaussian_factor"] if s["n_train"] else None
    out = {}
    for m in s["gaussian_models"]:
        out.update(seeded(s, ModelKey, m, model=m, corruption="gaussian", level=None, n_train=n))
    return out


@experiment("other_dataset_random", chapter=CAPACITY, label="random labels, 2nd data set",
            models="extension_models",
            params=[Param("extension_models", "random labels on extension_dataset"),
                    Param("extension_dataset", "the second real data set"),
                    Param("extension_n_train", "its training images (None: the whole split)"),
                    Param("extension_max_epochs", "its epoch cap"),
                    Param("extension_lr_decay", "its lr factor (None: lr_decay), per model family")],
            topics={"other_dataset_random": Topic("Extension: random labels on another real "
                                                  "data set")})
def other_dataset_random(s):
    """Report Sec. II-B: random labels on another real data set (offline: sklearn's digits)."""
    out = {}
    for m in s["extension_models"]:
        decay = by_family(s.get("extension_lr_decay"), m)
        out.update(seeded(s, ModelKey, m, model=m, corruption="labels", level=1.0,
                          dataset=s["extension_dataset"], n_train=s["extension_n_train"],
                          n_test=None, curve_n_test=None, max_epochs=s["extension_max_epochs"],
                          **({} if decay is None else {"lr_decay": decay})))
    return out
