"""One frozen dataclass describes a run; its id is a readable name plus a hash of the config."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from .corruptions import canonical_level, get_corruption
from .data import get_spec
from .models import is_convolutional, list_models, model_spec

AUGMENTATIONS = ("none", "crop", "crop_pad4_jitter")
PRECISIONS = ("fp32", "bf16", "auto")
CPU_PRECISION_ENV = "RETHINK_CPU_PRECISION"  # fp32 | bf16: what "auto" means on a CPU


def default_lr(model: str) -> float:
    """The model's registry default (paper: 0.1 for Inception, 0.01 for AlexNet and the MLPs)."""
    return model_spec(model).lr


def default_lr_decay(model: str) -> float:
    """The model's registry default (paper: x0.95 per epoch; the report's MLPs 0.98)."""
    return model_spec(model).lr_decay


@dataclass(frozen=True)
class RunConfig:
    dataset: str = "fashion_mnist"     # rethink_lib.data.DATASETS
    n_train: int | None = None         # training subset size (images); None = whole split
    n_test: int | None = None          # test images of the final accuracies; None = whole split
    curve_n_test: int | None = None    # test images of the per-epoch curves (a fixed subset of
                                       # the n_test); None = all n_test
    data_seed: int = 0                 # seed of the class-balanced subset choice
    corruption: str = "labels"         # rethink_lib.corruptions.CORRUPTIONS (paper Sec. 2)
    level: float | None = 0.0          # labels: probability p a label is resampled (0 = true
                                       # labels, 1 = random labels); None for the others
    corrupt_test_labels: bool = False  # paper: test labels stay clean
    model: str = "mlp_1x512"           # rethink_lib.models.list_models()
    batchnorm: bool = False            # AlexNet/MLP only: BN without affine (report appendix)
    dropout: float = 0.0               # dropout probability before the last layer
    batch_size: int = 128              # images per SGD step (paper, report: 128)
    lr: float | None = None            # initial learning rate; None = default_lr(model)
    lr_decay: float | None = None      # lr factor applied after every epoch; None = default
    warmup_epochs: int = 0             # linear lr warm-up from lr/warmup over this many epochs
    momentum: float = 0.9              # SGD momentum (paper)
    weight_decay: float = 0.0          # L2 factor (report Table I: 5e-5; CIFAR-100: 4e-5)
    augment: str = "none"              # none | crop (random 28 of 32) | crop_pad4_jitter (Sec. IV)
    max_epochs: int = 100              # passes over the training set at most
    target_train_acc: float | None = 1.0  # stop once an epoch's running train accuracy is >=
                                          # this (and the loss target holds); None = never
    target_train_loss: float | None = None  # ... and the epoch's mean minibatch loss <= this
    precision: str = "auto"            # fp32 | bf16 autocast | auto (train.resolve_precision)
    seed: int = 0                      # seeds corruption, init, shuffling and augmentation

    def __post_init__(self):
        _check_types(self)
        get_spec(self.dataset)
        get_corruption(self.corruption)
        if self.model not in list_models():
            raise ValueError(f"unknown model {self.model!r}; valid names: {', '.join(list_models())}")
        object.__setattr__(self, "level", canonical_level(self.corruption, self.level))
        checks = [
            (self.batch_size > 0, f"batch_size must be positive, got {self.batch_size}"),
            (self.max_epochs > 0, f"max_epochs must be positive, got {self.max_epochs}"),
            (self.n_train is None or self.n_train > 0, f"n_train must be positive, got {self.n_train}"),
            (self.n_test is None or self.n_test > 0, f"n_test must be positive, got {self.n_test}"),
            (self.curve_n_test is None or self.curve_n_test > 0,
             f"curve_n_test must be positive, got {self.curve_n_test}"),
            (self.curve_n_test is None or self.n_test is None or self.curve_n_test <= self.n_test,
             f"curve_n_test ({self.curve_n_test}) must not exceed n_test ({self.n_test})"),
            (self.warmup_epochs >= 0, f"warmup_epochs must be >= 0, got {self.warmup_epochs}"),
            (self.augment in AUGMENTATIONS, f"augment must be one of {AUGMENTATIONS}, got {self.augment!r}"),
            (self.precision in PRECISIONS, f"precision must be one of {PRECISIONS}, got {self.precision!r}"),
            (0.0 <= self.dropout < 1.0, f"dropout must be in [0, 1), got {self.dropout}"),
            (self.lr is None or self.lr > 0, f"lr must be positive, got {self.lr}"),
            (self.lr_decay is None or 0 < self.lr_decay <= 1, f"lr_decay must be in (0, 1], got {self.lr_decay}"),
            (self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}"),
            (self.target_train_acc is None or 0 < self.target_train_acc <= 1,
             f"target_train_acc must be in (0, 1], got {self.target_train_acc}"),
            (self.target_train_loss is None or self.target_train_loss > 0,
             f"target_train_loss must be positive, got {self.target_train_loss}"),
            (not (self.batchnorm and model_spec(self.model).batchnorm != "flag"),
             f"batchnorm is fixed by the {self.model} variant (e.g. inception_small has it, "
             "inception_small_nobn has not); set batchnorm=False"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    # resolved hyperparameters -------------------------------------------------------
    @property
    def lr0(self) -> float:
        return self.lr if self.lr is not None else default_lr(self.model)

    def lr_at(self, epoch: int) -> float:
        """Learning rate of epoch `epoch` (0-based): linear warm-up, then lr0 * decay**epoch."""
        lr = self.lr0 * self.decay ** epoch
        if epoch < self.warmup_epochs:
            lr *= (epoch + 1) / self.warmup_epochs
        return lr

    @property
    def decay(self) -> float:
        return self.lr_decay if self.lr_decay is not None else default_lr_decay(self.model)

    @property
    def conv(self) -> bool:
        return is_convolutional(self.model)

    def model_kwargs(self) -> dict:
        kw = {"dropout": self.dropout}
        if model_spec(self.model).batchnorm == "flag":
            kw["batchnorm"] = self.batchnorm
        return kw

    # identity -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - fields
        if unknown:
            raise ValueError(f"unknown RunConfig fields {sorted(unknown)}")
        return cls(**d)

    def config_hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:8]

    @property
    def run_id(self) -> str:
        """Readable name (model, data, corruption, regularisers) + hash of the whole config.

        The name carries no free-form label, so chapters that need the same run share it."""
        parts = [self.model, self.dataset, self.corruption]
        if self.level is not None:
            parts[-1] += f"{self.level:g}"
        if self.batchnorm:
            parts.append("bn")
        if self.augment != "none":
            parts.append(self.augment)
        if self.weight_decay:
            parts.append(f"wd{self.weight_decay:g}")
        if self.dropout:
            parts.append(f"drop{self.dropout:g}")
        if self.target_train_acc is None and self.target_train_loss is None:
            parts.append(f"ep{self.max_epochs}")
        if self.seed:
            parts.append(f"s{self.seed}")
        return "-".join(parts + [self.config_hash()])


_INT_FIELDS = ("n_train", "n_test", "curve_n_test", "data_seed", "batch_size", "warmup_epochs",
               "max_epochs", "seed")
_FLOAT_FIELDS = ("level", "dropout", "lr", "lr_decay", "momentum", "weight_decay",
                 "target_train_acc", "target_train_loss")
_BOOL_FIELDS = ("corrupt_test_labels", "batchnorm")
_STR_FIELDS = ("dataset", "corruption", "model", "augment", "precision")


def _check_types(c: RunConfig) -> None:
    """Refuse values of the wrong type (5.5 images, a seed given as a string), naming the field."""
    for name in _INT_FIELDS:
        v = getattr(c, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise ValueError(f"{name} must be an integer, got {v!r}")
    for name in _FLOAT_FIELDS:
        v = getattr(c, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ValueError(f"{name} must be a number, got {v!r}")
        if isinstance(v, int) and not isinstance(v, bool):
            object.__setattr__(c, name, float(v))
    for name in _BOOL_FIELDS:
        if not isinstance(getattr(c, name), bool):
            raise ValueError(f"{name} must be True or False, got {getattr(c, name)!r}")
    for name in _STR_FIELDS:
        if not isinstance(getattr(c, name), str):
            raise ValueError(f"{name} must be a string, got {getattr(c, name)!r}")
