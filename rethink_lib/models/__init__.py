"""Models by name, timm-style: `create_model(name, **kw)`, `list_models(pattern)`.

All models take (N, C, 28, 28) input; parameter counts on 3x28x28 with 10 classes match the
paper (see `PAPER_PARAMETERS` and tests/test_models.py).
"""
from __future__ import annotations

import fnmatch
from typing import Callable

import torch.nn as nn

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}

# The paper's Table 1 counts (AlexNet: the report's own guess for the *_report variant).
PAPER_PARAMETERS = {
    "inception_small": 1_649_402,
    "inception_small_nobn": 1_649_402,
    "alexnet_small": 1_387_786,
    "alexnet_small_report": 1_375_690,
    "mlp_1x512": 1_209_866,
    "mlp_3x512": 1_735_178,
}


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    _REGISTRY[fn.__name__] = fn
    return fn


def list_models(pattern: str = "*") -> list[str]:
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def create_model(name: str, in_channels: int = 3, num_classes: int = 10, image_size: int = 28,
                 **kwargs) -> nn.Module:
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(list_models())}")
    return _REGISTRY[name](in_channels=in_channels, num_classes=num_classes,
                           image_size=image_size, **kwargs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def is_convolutional(name: str) -> bool:
    return not name.startswith("mlp")


from . import alexnet, inception, mlp  # noqa: E402,F401  (registers the models)
