"""SGD on linear least squares finds the minimum-norm interpolant (paper Sec. 5).

With fewer points than dimensions, SGD from w0 = 0 stays in the span of the data and
converges to pinv(X) y; from w0 != 0 it converges to another interpolant,
pinv(X) y + (I - P) w0. Pure and seeded (the seed is an argument).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import daxpy, ddot


@dataclass(frozen=True)
class SGDRun:
    w: np.ndarray              # (d,) final weights
    distance: np.ndarray       # (epochs + 1,) ||w_t - w_min_norm|| after each epoch
    residual: np.ndarray       # (epochs + 1,) max_i |x_i . w_t - y_i|
    out_of_span: np.ndarray    # (epochs + 1,) ||w_t - P w_t||, P: projector on the rows' span
    predicted_limit: float     # ||w0 - P w0||: where the distance should end up


@dataclass(frozen=True)
class MinNormDemo:
    w_min_norm: np.ndarray     # (d,) pinv(X) y
    lr: float
    condition: float           # sigma_max / sigma_min of X: SGD needs ~ condition^2 steps
    runs: dict[str, SGDRun]    # "zero" and "random" initialisation
    n_points: int = 0          # n, the rows of X


def sgd_least_squares(X, y, w0, lr: float, epochs: int, seed: int, basis) -> SGDRun:
    """Plain SGD on (1/2)(x_i . w - y_i)^2, one example per step, a seeded shuffle per epoch.

    basis: (d, n) orthonormal basis of the rows' span, only used to measure.
    """
    gen = np.random.default_rng(seed)
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w_mn = np.linalg.pinv(X) @ y
    w = np.array(w0, dtype=np.float64)  # (d,) contiguous: daxpy updates it in place
    stats = []

    def measure():
        stats.append((np.linalg.norm(w - w_mn), np.abs(X @ w - y).max(),
                      np.linalg.norm(w - basis @ (basis.T @ w))))
    measure()
    rows, targets = list(X), y.tolist()  # per-step Python overhead dominates: keep it small
    for _ in range(epochs):
        for i in gen.permutation(len(X)).tolist():
            # w <- w - lr (x_i . w - y_i) x_i, in place: the step is a multiple of x_i
            daxpy(rows[i], w, a=-lr * (ddot(rows[i], w) - targets[i]))
        measure()
    dist, res, out = map(np.array, zip(*stats))
    w0 = np.asarray(w0, np.float64)
    return SGDRun(w, dist, res, out, float(np.linalg.norm(w0 - basis @ (basis.T @ w0))))


def sgd_vs_min_norm(X, y, epochs: int, seed: int = 0, lr: float | None = None) -> MinNormDemo:
    """SGD from w0 = 0 and from a random w0 (||w0|| ~ ||w_min_norm||) on X w = y, n < d.

    From 0 every step adds a multiple of some x_i, so w stays in the rows' span and the
    interpolant it reaches is pinv(X) y; from w0 it reaches pinv(X) y + (I - P) w0.
    lr: None -> 1 / max_i ||x_i||^2 (a stable step for every example).
    """
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    if X.shape[0] >= X.shape[1]:
        raise ValueError(f"need fewer points than dimensions (n < d), got {X.shape}")
    lr = 1.0 / (X * X).sum(1).max() if lr is None else lr
    basis = np.linalg.qr(X.T)[0]  # (d, n)
    w_mn = np.linalg.pinv(X) @ y
    sv = np.linalg.svd(X, compute_uv=False)
    gen = np.random.default_rng([seed, 1])
    w0 = gen.standard_normal(X.shape[1]) * np.linalg.norm(w_mn) / np.sqrt(X.shape[1])
    runs = {name: sgd_least_squares(X, y, init, lr, epochs, seed, basis)
            for name, init in (("zero", np.zeros(X.shape[1])), ("random", w0))}
    if (res := max(r.residual[-1] for r in runs.values())) > 1e-6 * np.abs(y).max():
        warnings.warn(f"SGD has not converged after {epochs} epochs (max residual {res:.1e}); "
                      f"X's condition number is {sv[0] / sv[-1]:.0f}: raise epochs or n < d")
    return MinNormDemo(w_mn, lr, float(sv[0] / sv[-1]), runs, X.shape[0])
