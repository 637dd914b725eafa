"""The paper's corruptions (Sec. 2), as pure seeded functions applied once to [0, 1] images.

Each function takes the clean train and test splits and returns a `Corrupted` with new
tensors (inputs are never modified) and `mask`, a bool (N_train,) marking the training
examples whose label was changed or whose image was replaced (report Fig. 2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .data import Split


@dataclass
class Corrupted:
    train: Split
    test: Split
    mask: torch.Tensor  # (N_train,) bool: example corrupted


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _resample_labels(y: torch.Tensor, p: float, num_classes: int, gen: torch.Generator):
    """With probability p replace each label by one drawn uniformly from all K classes.

    As in the paper the draw may return the true class, so about p (K-1)/K change.
    Returns (new labels, mask of labels that actually changed).
    """
    replace = torch.rand(y.shape, generator=gen) < p
    drawn = torch.randint(0, num_classes, y.shape, generator=gen)
    new = torch.where(replace, drawn, y)
    return new, new != y


def _check_level(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"corruption level must be in [0, 1], got {p}")


def labels(train, test, level, num_classes, seed, corrupt_test_labels=False):
    """Each train label resampled with probability `level` (paper Sec. 2: level 0 = true

    labels, 1 = random labels, anything between = partially corrupted labels); test labels
    stay clean unless corrupt_test_labels.
    """
    _check_level(level)
    if level == 0:
        return Corrupted(train, test, torch.zeros(len(train.labels), dtype=torch.bool))
    gen = _gen(seed)
    y, mask = _resample_labels(train.labels, level, num_classes, gen)
    test_y = test.labels
    if corrupt_test_labels:  # what one public reproduction does; off in the paper
        test_y, _ = _resample_labels(test.labels, level, num_classes, gen)
    return Corrupted(Split(train.images, y), Split(test.images, test_y), mask)


def _permute_pixels(x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """x (N, C, H, W); perm (H*W,) or (N, H*W): moves whole pixels (all channels together)."""
    n, c, h, w = x.shape
    flat = x.reshape(n, c, h * w)
    if perm.ndim == 1:
        return flat[:, :, perm].reshape(n, c, h, w)
    return flat.gather(2, perm[:, None, :].expand(n, c, h * w)).reshape(n, c, h, w)


def shuffled_pixels(train, test, level, num_classes, seed, corrupt_test_labels=False):
    """ONE permutation of pixel positions, applied to every train AND test image."""
    h, w = train.images.shape[-2:]
    perm = torch.randperm(h * w, generator=_gen(seed))
    return Corrupted(Split(_permute_pixels(train.images, perm), train.labels),
                     Split(_permute_pixels(test.images, perm), test.labels),
                     torch.ones(len(train.labels), dtype=torch.bool))


def random_pixels(train, test, level, num_classes, seed, corrupt_test_labels=False):
    """A different permutation for each training image (test images left as they are)."""
    n, _, h, w = train.images.shape
    perms = torch.rand(n, h * w, generator=_gen(seed)).argsort(1)  # (N, H*W)
    return Corrupted(Split(_permute_pixels(train.images, perms), train.labels), test,
                     torch.ones(n, dtype=torch.bool))


def gaussian(train, test, level, num_classes, seed, corrupt_test_labels=False, n=None):
    """Every training image replaced by Gaussian noise with the data set's per-channel mean

    and standard deviation (over all training pixels). On grayscale data (channels stored
    as copies of one) one noise channel is drawn and replicated the same way, so the noise
    has the images' own dimensionality (784 for 28x28, not 3 x 784). Values are not clipped
    to [0, 1]: per-image standardisation follows anyway.

    n: how many noise images to draw, when more than the split holds (report Sec. II-B: a
    Gaussian data set 10x the size of CIFAR-10's). The noise keeps the split's statistics
    and every label is drawn uniformly from the K classes with the same generator; at most
    the split's size (None), the images keep the labels of the images they replace.
    """
    x = train.images
    gray = bool((x[:, 1:] == x[:, :1]).all())
    src = x[:, :1] if gray else x
    mean = src.mean((0, 2, 3), keepdim=True)  # (1, C, 1, 1)
    std = src.std((0, 2, 3), keepdim=True)
    if n is not None and n <= len(x):
        raise ValueError(f"n = {n} noise images from a split of {len(x)}: n is only for more")
    count = len(x) if n is None else n
    gen = _gen(seed)
    noise = torch.randn((count,) + tuple(src.shape[1:]), generator=gen) * std + mean
    if gray:
        noise = noise.expand((count,) + tuple(x.shape[1:])).contiguous()
    labels = train.labels if count == len(x) else torch.randint(0, num_classes, (count,),
                                                                  generator=gen)
    return Corrupted(Split(noise, labels), test, torch.ones(count, dtype=torch.bool))


CorruptionFn = Callable[..., Corrupted]
CORRUPTIONS: dict[str, CorruptionFn] = {
    "labels": labels,
    "shuffled_pixels": shuffled_pixels,
    "random_pixels": random_pixels,
    "gaussian": gaussian,
}
LABEL_CORRUPTIONS = ("labels",)
# Corruptions that draw every training image afresh: a run may ask for more images than
# the data set's training split holds (they keep the split's statistics).
GENERATED = ("gaussian",)
# Printed names in the book (report.names.corruption_name); label corruptions are named by level.
CORRUPTION_NAMES = {"shuffled_pixels": "shuffled pixels", "random_pixels": "random pixels",
                    "gaussian": "Gaussian noise"}


def get_corruption(name: str) -> CorruptionFn:
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; valid names: {', '.join(CORRUPTIONS)}")
    return CORRUPTIONS[name]


def canonical_level(name: str, level: float | None) -> float | None:
    """The one representation of a level: a float p in [0, 1] for `labels`, None otherwise."""
    get_corruption(name)
    if name in LABEL_CORRUPTIONS:
        if level is None:
            raise ValueError(f"corruption {name!r} needs a level p in [0, 1] "
                             "(0 = true labels, 1 = random labels)")
        if isinstance(level, bool) or not isinstance(level, (int, float)):
            raise ValueError(f"level must be a number in [0, 1], got {level!r}")
        _check_level(level)
        return float(level)
    if level is not None:
        raise ValueError(f"corruption {name!r} takes no level (got {level!r})")
    return None


def apply_corruption(name: str, train: Split, test: Split, level: float | None,
                     num_classes: int, seed: int, corrupt_test_labels: bool = False,
                     n_train: int | None = None):
    """`name` applied to the clean splits. n_train: the run's training-set size, which a
    generated corruption (GENERATED) may draw beyond the `train` it is given (the whole
    split, as `load_run_dataset` loads it then)."""
    fn = get_corruption(name)
    level = canonical_level(name, level)
    if n_train is not None and n_train > len(train.labels):
        if name not in GENERATED:
            raise ValueError(f"{n_train} training images asked of a split of "
                             f"{len(train.labels)}: only {', '.join(GENERATED)} draws more")
        return fn(train, test, level, num_classes, seed, corrupt_test_labels, n=n_train)
    return fn(train, test, level, num_classes, seed, corrupt_test_labels)


def load_run_dataset(config, root=None):
    """The clean data a run's corruption starts from: its seeded class-balanced subset, or
    the whole training split when a generated corruption asks for more images than the
    split holds (pass n_train=config.n_train to apply_corruption then)."""
    from .data import load_dataset
    return load_dataset(config.dataset, loaded_n_train(config), config.n_test,
                        config.data_seed, root=root)


def loaded_n_train(config) -> int | None:
    """The training images a run loads: its n_train, or the whole split (None) when a
    generated corruption asks for more images than the split holds."""
    from .data import get_spec
    n = config.n_train
    total = get_spec(config.dataset).sizes[0]
    if config.corruption in GENERATED and n is not None and total is not None and n > total:
        return None
    return n
