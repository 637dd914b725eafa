"""Models by name, timm-style: `create_model(name, **kw)`, `list_models(pattern)`, and one

registry entry per model holding every fact the rest of the library needs about it.

A model file registers its builder together with its facts:

    @register_model(display="MLP 1x512", family="mlp", paper_parameters=1_209_866,
                    lr=0.01, lr_decay=0.98, batchnorm="flag", convolutional=False)
    def mlp_1x512(in_channels=3, num_classes=10, image_size=28, batchnorm=False, dropout=0.0):
        ...

Nothing else names models by prefix: the run config, the experiments, the display layer,
the CLI and the appendix all read `model_spec(name)`. Adding a model touches its own file
only: every module of this package is imported below. A model living elsewhere is picked up
by naming its module in $RETHINK_EXTRA_MODELS (comma-separated), as a test does with a toy.

All models take (N, C, 28, 28) input; parameter counts on 3x28x28 with 10 classes match the
published ones (tests/test_models.py).
"""
from __future__ import annotations

import fnmatch
import importlib
import os
import pkgutil
from dataclasses import dataclass
from typing import Callable

import torch.nn as nn

BATCHNORM_KINDS = ("flag", "always", "never")


@dataclass(frozen=True)
class ModelSpec:
    """Everything the library knows about one registered model."""
    name: str                      # registry name, e.g. "mlp_1x512"
    builder: Callable[..., nn.Module]
    display: str                   # name as the paper / report print it
    family: str                    # key of per-family profile settings: inception | alexnet | mlp
    paper_parameters: int | None   # published count on 3x28x28, 10 classes (None: unpublished)
    lr: float                      # default initial learning rate (paper: 0.1 / 0.01)
    lr_decay: float                # default lr factor per epoch (paper 0.95; report MLPs 0.98)
    batchnorm: str                 # "flag": RunConfig.batchnorm switches it (off by default);
                                   # "always" / "never": fixed by the variant
    convolutional: bool            # channels_last memory format pays off
    parameters_source: str = "paper"  # whose count paper_parameters is: "paper" | "report"

    def uses_batchnorm(self, flag: bool = False) -> bool:
        """Whether a run of this model has BatchNorm layers, given RunConfig.batchnorm."""
        return self.batchnorm == "always" or (self.batchnorm == "flag" and bool(flag))


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(*, display: str, family: str, paper_parameters: int | None, lr: float,
                   lr_decay: float, batchnorm: str, convolutional: bool,
                   parameters_source: str = "paper") -> Callable:
    """Decorator: register `fn` under its own name with the model's facts (see ModelSpec)."""
    if batchnorm not in BATCHNORM_KINDS:
        raise ValueError(f"batchnorm must be one of {BATCHNORM_KINDS}, got {batchnorm!r}")

    def add(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        _REGISTRY[fn.__name__] = ModelSpec(fn.__name__, fn, display, family, paper_parameters,
                                           float(lr), float(lr_decay), batchnorm, convolutional,
                                           parameters_source)
        return fn
    return add


def list_models(pattern: str = "*") -> list[str]:
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def model_spec(name: str) -> ModelSpec:
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(list_models())}")
    return _REGISTRY[name]


def create_model(name: str, in_channels: int = 3, num_classes: int = 10, image_size: int = 28,
                 **kwargs) -> nn.Module:
    return model_spec(name).builder(in_channels=in_channels, num_classes=num_classes,
                                    image_size=image_size, **kwargs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def is_convolutional(name: str) -> bool:
    return model_spec(name).convolutional


def paper_parameters() -> dict[str, int]:
    """{name: published parameter count} of every registered model that has one."""
    return {n: s.paper_parameters for n, s in sorted(_REGISTRY.items())
            if s.paper_parameters is not None}


for _info in pkgutil.iter_modules(__path__):  # each model file registers its models
    importlib.import_module(f"{__name__}.{_info.name}")

for _module in filter(None, os.environ.get("RETHINK_EXTRA_MODELS", "").split(",")):
    importlib.import_module(_module.strip())

# The published counts, by name (kept for callers of the old constant).
PAPER_PARAMETERS = paper_parameters()
