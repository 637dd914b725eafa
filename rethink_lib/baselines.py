"""The linear baseline: what fitting a labelling takes *without* a network.

An unregularised linear least-squares classifier (one-hot targets, bias column) on the same
standardised 28x28x3 model inputs the networks see. If it fits random labels at some n,
"the network fits random labels" proves nothing at that n: with n <= d (784 independent
pixels for replicated grayscale) any labelling is linearly separable. The chapter shows its
training accuracy at the profile's n and at 500 for contrast.
"""
from __future__ import annotations

import torch

from .corruptions import apply_corruption
from .data import load_dataset, preprocess


def linear_fit(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Least-squares weights W ((d + 1), K) of one-hot targets on [x, 1] (minimum-norm

    solution when the system is underdetermined). x: (N, d) float64."""
    a = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    t = torch.nn.functional.one_hot(y, num_classes).to(x.dtype)
    return torch.linalg.lstsq(a, t, driver="gelsd").solution


def linear_predict(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    a = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    return (a @ w).argmax(1)


def _features(images: torch.Tensor) -> torch.Tensor:
    """Standardised centre crops, one channel when the three are copies (grayscale)."""
    x = preprocess(images)  # (N, 3, 28, 28)
    if bool((x[:, 1:] == x[:, :1]).all()):
        x = x[:, :1]
    return x.flatten(1).double()


def linear_baseline(dataset: str = "fashion_mnist", n_train: int | None = 5000,
                    level: float = 0.0, seed: int = 0, data_seed: int = 0,
                    n_test: int | None = None) -> dict:
    """Train/test accuracy of the linear least-squares classifier on `labels` at `level`

    (0 = true labels, 1 = random labels), with the same subset and corruption seeds as a
    RunConfig with these values."""
    ds = load_dataset(dataset, n_train, n_test, data_seed)
    c = apply_corruption("labels", ds.train, ds.test, level, ds.num_classes, seed)
    x, xt = _features(c.train.images), _features(c.test.images)
    w = linear_fit(x, c.train.labels, ds.num_classes)
    train_acc = (linear_predict(w, x) == c.train.labels).double().mean().item()
    test_acc = (linear_predict(w, xt) == c.test.labels).double().mean().item()
    return {"dataset": dataset, "n_train": len(x), "n_test": len(xt), "level": float(level),
            "dims": x.shape[1], "parameters": (x.shape[1] + 1) * ds.num_classes,
            "train_acc": train_acc, "test_acc": test_acc,
            "method": "least squares on one-hot targets, no regularisation"}
