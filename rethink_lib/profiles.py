"""The typed settings of a run plan, and the four profiles that fix them.

A profile fixes data set, subset sizes, epoch caps, recipe and the models of every figure;
a chapter's `parameters` cell names a profile and may override any setting
(`rethink_lib.settings.parse_settings` parses and checks them, in one place). Settings are
a frozen dataclass that also reads as a mapping (`s["n_train"]`, `s.get(...)`, `{**s}`), so
the run builders and the chapters take either. Per-model values are `PerModel`: {model name
or registry family: value}, read with `.of(model)`. Why each recipe value was chosen (the
probes behind it) is in docs/recipes.md and docs/probes/.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .models import model_spec


class PerModel(dict):
    """{model name or registry family: value}; a model's own name wins over its family."""

    def of(self, model: str):
        return self.get(model, self.get(model_spec(model).family))


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


def per_model(value):
    """A dict value as PerModel (other values unchanged)."""
    return PerModel(value) if isinstance(value, dict) and not isinstance(value, PerModel) else value


@dataclass(frozen=True)
class Settings(Mapping):
    """Every setting of a run plan. `int | PerModel` fields take one value or one per model."""
    profile: str                      # smoke | cpu | cifar | paper
    # --- data and sizes
    dataset: str                      # data set of Figs. 1-2 and Tables I-II (data.DATASETS)
    n_train: int | None               # training images per run (None: the whole split)
    n_test: int | None                # test images of the final accuracies (None: all)
    curve_n_test: int | None          # test images of the per-epoch curves (None: all)
    # --- recipe (paper Sec. 2 / report Sec. II-A)
    max_epochs: int | PerModel        # epoch cap of a run that stops once fitted
    precision: str | PerModel         # fp32 | bf16 | auto (bf16 where native)
    lr: float | PerModel              # initial learning rate (paper: 0.1 Inception, 0.01 else)
    lr_decay: float | None | PerModel  # lr factor per epoch (or per lr_decay_steps steps)
    warmup_epochs: int | PerModel     # linear lr warm-up, epochs
    batchnorm: bool | PerModel        # BatchNorm in models that take the flag
    target_train_loss: float | None   # a run stops once its training loss is below this
    seeds: int | PerModel             # seeds per model (seed, seed + 1, ...)
    lr_decay_steps: int | None = None  # None: lr_decay per epoch; else per this many steps
    # --- Fig. 1 and report Fig. 2 (chapter 02)
    corruption_levels: list[float] = field(default_factory=list)  # Fig. 1b/c label levels
    capacity_models: list[str] = field(default_factory=list)  # Fig. 1b/c, report Fig. 2
    fig1a_models: list[str] = field(default_factory=list)     # Fig. 1a (paper: Inception)
    fig1a_corruptions: list[str] = field(default_factory=list)  # labels<p> or pixel names
    fig2_level: float = 0.5           # report Fig. 2's label corruption level
    report_bn_models: list[str] = field(default_factory=list)  # report's BatchNorm variants
    gaussian_models: list[str] = field(default_factory=list)   # report Sec. II-B, Gaussian
    gaussian_factor: int = 1          # Gaussian runs: images = this x n_train
    extension_models: list[str] = field(default_factory=list)  # random labels, 2nd data set
    extension_dataset: str = "digits"  # that data set
    extension_n_train: int | None = None  # its training images (None: the whole split)
    extension_max_epochs: int = 300   # its epoch cap
    extension_lr_decay: float | None | PerModel = None  # its lr factor, per epoch or per
    #   lr_decay_steps steps as lr_decay is (None: lr_decay), per model family where it differs;
    #   slower where the lr is spent before it fits
    # --- Tables I and II (chapter 03)
    regularization_models: list[str] = field(default_factory=list)  # Table I/II rows
    weight_decay: float = 5e-5        # weight decay of the wd columns (paper Table 1)
    paper_scale_models: list[str] = field(default_factory=list)  # Table I at full size
    paper_scale_max_epochs: int = 1   # their epoch cap
    late_paper_scale_models: list[str] = field(default_factory=list)  # same, last in queue
    # --- Fig. 3 (chapter 04)
    implicit_dataset: str = "fashion_mnist"  # data set of Fig. 3a-c
    implicit_epochs: int = 60         # length of the Fig. 3b/c curves, epochs
    fig3a_epochs: int = 100           # length of the Fig. 3a curves, epochs
    implicit_weight_decay: float = 4e-5  # Fig. 3a's weight decay
    # --- every chapter
    seed: int = 0                     # seeds corruption, init, shuffling and augmentation
    device: str = "auto"              # auto | cpu | cuda[:n]

    # a mapping too: s["n_train"], s.get("lr_decay_steps"), {**s}
    def __getitem__(self, key: str) -> Any:
        if key not in NAMES:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)

    def with_(self, **changes) -> "Settings":
        """A copy with some settings changed (per-model dicts become PerModel)."""
        return replace(self, **{k: per_model(v) for k, v in changes.items()})


NAMES = tuple(f.name for f in fields(Settings))
# Settings every chapter accepts besides its profile's (seed, device).
COMMON = dict(seed=0, device="auto")

# The machine time a profile should take in all: (hours, cores of the machine, one worker per
# core). Issue 8: the whole cpu profile in at most 8 hours of this 2-core machine.
BUDGETS: dict[str, tuple[float, int]] = {"cpu": (8.0, 2)}
# Steps of one CIFAR-10 epoch at batch 128 (50,000 / 128, rounded up): the paper's x0.95 "per
# epoch" is per this many steps when a profile sets lr_decay_steps.
CIFAR_EPOCH_STEPS = 391

_REG_MODELS = ["inception_small", "inception_small_nobn", "alexnet_small", "mlp_3x512",
               "mlp_1x512"]
_FIG1A_CORRUPTIONS = ["labels0", "shuffled_pixels", "random_pixels", "gaussian", "labels1"]
_CAPACITY = dict(capacity_models=["inception_small", "alexnet_small", "mlp_1x512"],
                 fig1a_models=["inception_small"], fig1a_corruptions=_FIG1A_CORRUPTIONS,
                 fig2_level=0.5, regularization_models=_REG_MODELS, weight_decay=5e-5,
                 implicit_weight_decay=4e-5)
P = PerModel

# What each profile means. smoke: seconds, for tests. cpu: the embedded default,
# Fashion-MNIST at n = 5,000 (an epoch is 40 SGD steps, a tenth of CIFAR's 391), final
# accuracies on all 10,000 test images; its budget is BUDGETS["cpu"]. cifar: the book's
# primary evidence, CIFAR-10 at 10,000 images (MLPs also at 50,000 for Table I). paper:
# CIFAR-10/100 at full size, the paper's settings. Recipe probes: docs/recipes.md.
PROFILES: dict[str, Settings] = {
    "smoke": Settings(
        profile="smoke", dataset="fashion_mnist", n_train=100, n_test=100, curve_n_test=50,
        max_epochs=2, precision="fp32", corruption_levels=[0.0, 0.5, 1.0],
        lr=P(inception=0.1, alexnet=0.01, mlp=0.01),
        lr_decay=P(inception=0.95, alexnet=0.95, mlp=0.95),
        warmup_epochs=0, batchnorm=False, target_train_loss=0.01, seeds=1, **_CAPACITY,
        report_bn_models=["alexnet_small"], gaussian_models=["mlp_1x512"], gaussian_factor=2,
        extension_models=["mlp_1x512"], extension_dataset="digits",
        extension_n_train=100, extension_max_epochs=2,
        implicit_dataset="fashion_mnist", implicit_epochs=2, fig3a_epochs=2),
    "cpu": Settings(
        profile="cpu", dataset="fashion_mnist", n_train=5000, n_test=None, curve_n_test=2000,
        max_epochs=P(inception=150, alexnet=300, mlp=400),
        precision="auto",  # bf16 where the CPU has it natively (Xeon with AMX), else fp32
        corruption_levels=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
        # the paper's lr; Inception w/o BatchNorm 0.03 (0.1 and 0.05 diverge in bf16)
        lr=P(inception=0.1, inception_small_nobn=0.03, alexnet=0.01, mlp=0.01),
        # slower than x0.95 where a model would not fit random labels before its lr is spent
        lr_decay=P(inception=0.98, alexnet=0.995, mlp=0.995),
        warmup_epochs=P(inception_small_nobn=5),  # 5-epoch linear warm-up without BatchNorm
        batchnorm=False,  # the paper's AlexNet and MLPs have none
        target_train_loss=0.01, seeds=P(mlp=3), **_CAPACITY,
        report_bn_models=["alexnet_small"],
        gaussian_models=["alexnet_small", "mlp_1x512"], gaussian_factor=10,
        extension_models=["inception_small", "alexnet_small", "mlp_1x512"],
        extension_dataset="digits", extension_n_train=None, extension_max_epochs=300,
        implicit_dataset="fashion_mnist",
        implicit_epochs=60,  # at 40 Inception on true labels had not fitted yet
        fig3a_epochs=100),  # long enough for the augmented curves to level off
    "cifar": Settings(
        profile="cifar", dataset="cifar10", n_train=10000, n_test=None, curve_n_test=2000,
        max_epochs=P(inception=100, alexnet=200, mlp=300),
        # fp32 for every model, the paper's, which every CPU trains (AVX2-only ones emulate
        # bf16 at 12x Inception's fp32 time); the first bf16 runs of AlexNet and Inception
        # are precision-check partners (docs/precision_check/README.md)
        precision="fp32",
        corruption_levels=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
        lr=P(inception=0.1, inception_small_nobn=0.03, alexnet=0.01, mlp=0.01),
        lr_decay=0.95, lr_decay_steps=CIFAR_EPOCH_STEPS,  # the paper's x0.95 per 391 steps
        warmup_epochs=P(inception_small_nobn=5),
        batchnorm=False, target_train_loss=0.01, seeds=P(mlp=3), **_CAPACITY,
        report_bn_models=["alexnet_small"],
        gaussian_models=["alexnet_small", "mlp_1x512"], gaussian_factor=10,
        extension_models=["inception_small", "alexnet_small", "mlp_1x512"],
        # MNIST random labels: at x0.95 per 391 steps (x0.940 per 469-step epoch) MLP 1x512
        # stalled at 62.6% training accuracy by epoch 100, its lr at 0.2% of the start
        # (probe record docs/probes/mlp_1x512-p1-lr0.01-x0.940329-w0.json): x0.99 per 391 steps
        extension_dataset="mnist", extension_n_train=None, extension_max_epochs=200,
        extension_lr_decay=0.99,
        paper_scale_models=["mlp_1x512", "mlp_3x512"], paper_scale_max_epochs=200,
        late_paper_scale_models=["alexnet_small"],
        implicit_dataset="cifar10", implicit_epochs=60, fig3a_epochs=100),
    "paper": Settings(
        profile="paper", dataset="cifar10", n_train=None, n_test=None, curve_n_test=None,
        max_epochs=P(inception=300, alexnet=500, mlp=500),
        precision="auto", corruption_levels=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
        lr=P(inception=0.1, alexnet=0.01, mlp=0.01),
        lr_decay=0.95, warmup_epochs=0, batchnorm=False, target_train_loss=0.01,
        seeds=1, **_CAPACITY, report_bn_models=[],
        gaussian_models=["inception_small", "alexnet_small", "mlp_1x512"], gaussian_factor=1,
        extension_models=["inception_small", "alexnet_small", "mlp_1x512"],
        extension_dataset="mnist", extension_n_train=None, extension_max_epochs=300,
        implicit_dataset="cifar100", implicit_epochs=100, fig3a_epochs=100),
}
