"""What the theory chapter feeds its constructions: profiles, the paper's numbers, pixels,
labels and subsets. Seeds are arguments; the global RNG is never touched."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import torch

from ..data import Split, balanced_subset, preprocess

# The paper's numbers quoted by the chapter (Sec. 5), glued rather than typed.
PAPER = dict(mnist_kernel_error=1.2,       # % test error, Gaussian kernel on raw MNIST pixels
             cifar10_kernel_error=46.0,    # % test error, Gaussian kernel on CIFAR-10 pixels
             cifar10_randconv_error=17.0,  # % test error, random conv features, no penalty
             cifar10_randconv_l2_error=15.0,  # % same with an l2 penalty
             mnist_norm_raw=220.0,         # RKHS norm of the interpolant, raw pixels (~)
             mnist_norm_wavelet=390.0,     # RKHS norm with wavelet features (~), error halves
             mnist_n_train=60_000)

# Chapter sizes per profile. n_compare: points for the solver/threshold comparison table;
# n_sweep: training points for the kernel-bandwidth sweep; sgd_epochs: passes over n_sgd.
THEORY_PROFILES: dict[str, dict[str, int]] = {
    "smoke": dict(n_interp=500, n_compare=300, n_kernel=600, n_kernel_test=500,
                  n_sweep=300, n_sgd=50, sgd_epochs=400),
    "cpu": dict(n_interp=10_000, n_compare=2_000, n_kernel=10_000, n_kernel_test=10_000,
                n_sweep=3_000, n_sgd=200, sgd_epochs=3_000),
    # K is 8 n^2 bytes in float64: n_kernel=20k is 3.2 GB; the paper's 60k needs ~29 GB.
    "paper": dict(n_interp=60_000, n_compare=10_000, n_kernel=20_000, n_kernel_test=10_000,
                  n_sweep=10_000, n_sgd=200, sgd_epochs=6_000),
}
GRAYSCALE = ("fashion_mnist", "mnist", "digits")  # stored as 3 equal channels, padded 28->32


def resolve_profile(profile: str, **overrides) -> dict[str, int]:
    """The profile's sizes, with every override that is not None taking precedence."""
    if profile not in THEORY_PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: "
                         f"{', '.join(THEORY_PROFILES)}")
    cfg = dict(THEORY_PROFILES[profile])
    for key, value in overrides.items():
        if key not in cfg:
            raise ValueError(f"unknown knob {key!r}; valid knobs: {', '.join(cfg)}")
        if value is not None:
            if int(value) <= 0:
                raise ValueError(f"{key} must be a positive integer, got {value!r}")
            cfg[key] = int(value)
    return cfg


def raw_pixels(images: torch.Tensor, dataset: str) -> np.ndarray:
    """Stored images (N, 3, 32, 32) in [0, 1] -> float64 (N, d) raw pixels.

    Grayscale sets: one channel, the original central 28x28 (d = 784); colour: all 3x32x32.
    """
    x = images[:, 0, 2:30, 2:30] if dataset in GRAYSCALE else images
    return x.reshape(len(x), -1).double().numpy()


def standardized_pixels(images: torch.Tensor) -> np.ndarray:
    """The networks' input (centre crop + per-image standardisation), one channel: (N, 784)."""
    x = preprocess(images, crop="center")[:, 0]
    return x.reshape(len(x), -1).double().numpy()


def random_labels(n: int, num_classes: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, num_classes, n)


def subset(split: Split, n: int, num_classes: int, seed: int) -> Split:
    """A seeded class-balanced subset of min(n, all) examples (as `load_dataset` draws)."""
    if n >= len(split.labels):
        return split
    idx = balanced_subset(split.labels, n, num_classes, seed)
    return Split(split.images[idx], split.labels[idx])


# --------------------------------------------------------------------- number formats
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain(value):
    """A numpy scalar as the Python number it holds ({glue:text} format specs need one)."""
    return value.item() if isinstance(value, np.generic) else value


def tiny(x: float, digits: int = 1) -> str:
    """A tiny error (a rounding residual) for prose and tables: 2.34e-12 -> '2.3 × 10⁻¹²',
    0 -> '0'. Only for residuals at machine precision; every other quantity has fixed
    decimals."""
    x = float(x)
    if x == 0:
        return "0"
    if not np.isfinite(x):
        return str(x)
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def scale_name(s: float) -> str:
    """A bandwidth scale as a fraction: 0.125 -> '1/8', 2 -> '2'."""
    return str(Fraction(s).limit_denominator(64))
