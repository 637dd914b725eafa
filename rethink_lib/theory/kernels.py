"""Minimum-norm kernel interpolation (paper Sec. 5) on raw pixels.

`min_norm_kernel_interpolation` solves K alpha = Y exactly (Cholesky, float64, no ridge)
for a Gaussian kernel, for several labellings at once, and reports train/test error and
the RKHS norm; `kernel_bandwidth_sweep` repeats it over bandwidths sharing one distance
matrix. A singular or numerically singular K is detected here, not left to LAPACK (whose
Cholesky of an exactly singular matrix may or may not raise, depending on the CPU): exact
duplicate training points, then the smallest Cholesky pivot.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.linalg import cho_factor, cho_solve

from ..train import resolve_device

MEDIAN_POINTS = 1000  # training points whose pairwise distances set the median heuristic


def _sq_dists(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """||a_i - b_j||^2 in float64: (m, d) x (k, d) -> (m, k)."""
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :]
    return d.addmm_(A, B.T, alpha=-2.0).clamp_(min=0.0)


def median_gamma(X: np.ndarray, seed: int = 0, max_points: int = MEDIAN_POINTS) -> float:
    """Median heuristic: gamma = 1 / median ||x_i - x_j||^2 over pairs of a seeded subsample,

    so k(x, x') = exp(-gamma ||x - x'||^2) is exp(-1) at the typical distance.
    """
    idx = np.random.default_rng(seed).permutation(len(X))[:max_points]
    Z = torch.from_numpy(np.ascontiguousarray(X[idx], dtype=np.float64))
    D = _sq_dists(Z, Z)
    return 1.0 / torch.median(D[torch.triu(torch.ones_like(D, dtype=torch.bool), 1)]).item()


@dataclass(frozen=True)
class KernelFit:
    """The interpolant of one training labelling (targets one-hot, Y is (n, C))."""
    train_error: float                  # fraction; 0 when K alpha = Y is solved exactly
    test_error: float                   # fraction, against the true test labels
    rkhs_norm: float                    # ||f|| = sqrt(trace(alpha^T K alpha))
    rkhs_norm_per_class: np.ndarray     # (C,) sqrt(alpha_c^T K alpha_c)
    max_residual: float                 # max |K alpha - Y|, K recomputed


@dataclass(frozen=True)
class KernelReport:
    n_train: int
    n_test: int
    d: int
    gamma: float
    jitter: float          # added to K's diagonal; 0 unless K is (numerically) singular
    kernel_seconds: float  # squared distances (shared by a sweep, counted in each) + exp
    solve_seconds: float   # Cholesky + solves for all labellings
    device: str
    fits: dict[str, KernelFit] = field(default_factory=dict)
    duplicates: int = 0    # training points equal to an earlier one (K then is singular)


JITTERS = (0.0, 1e-12, 1e-10, 1e-8, 1e-6)  # tried in turn on K's diagonal until K is PD


def pivots_ok(pivots: np.ndarray, max_diag: float) -> bool:
    """Is K numerically positive definite, judged by its Cholesky pivots?

    pivots: (n,) the squares L_ii^2 of the factor's diagonal, i.e. the Schur complements
    1 / (K^-1)_ii. Like LAPACK's rank-revealing Cholesky (dpotrf's sibling dpstrf), K counts
    as singular once a pivot is not finite or falls to n * eps * max_i K_ii: below that it
    is rounding error, and whether the plain Cholesky of an exactly singular K then raises
    depends on the CPU's BLAS (on some AMD EPYC machines it returns tiny positive pivots).
    """
    pivots = np.asarray(pivots, dtype=np.float64)
    tol = len(pivots) * np.finfo(np.float64).eps * max_diag
    return bool(np.isfinite(pivots).all() and pivots.min(initial=np.inf) > tol)


def _factor_solve(K: torch.Tensor, Y: torch.Tensor) -> torch.Tensor | None:
    """alpha with K alpha = Y via Cholesky, overwriting K on CPU; None if K is not
    numerically positive definite (LAPACK raised, or a pivot failed `pivots_ok`)."""
    max_diag = K.diagonal().max().item()
    if K.is_cuda:
        L, info = torch.linalg.cholesky_ex(K)
        if info.item() or not pivots_ok(L.diagonal().square().cpu().numpy(), max_diag):
            return None
        return torch.cholesky_solve(Y, L)
    try:
        c = cho_factor(K.numpy(), lower=True, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    if not pivots_ok(np.diag(c[0]) ** 2, max_diag):
        return None
    return torch.from_numpy(cho_solve(c, Y.numpy(), check_finite=False))


def duplicate_rows(X: torch.Tensor) -> int:
    """How many rows of X (n, d) equal an earlier row (exact float equality)."""
    return len(X) - len(torch.unique(X + 0.0, dim=0))  # + 0.0: -0.0 and 0.0 are one value


def _scores(D: torch.Tensor, gamma: float, alpha: torch.Tensor, rows: int = 2048):
    """sum_i alpha_i exp(-gamma D_qi), chunked over rows: D (m, n), alpha (n, C) -> (m, C)."""
    return torch.cat([torch.exp(D[k:k + rows] * -gamma) @ alpha
                      for k in range(0, len(D), rows)])


def _kernel_reports(X_train, X_test, y_test, train_labels: dict, num_classes: int,
                    gammas, device) -> list[KernelReport]:
    """One KernelReport per gamma; the squared distances are computed once for all.

    Memory: 8 (2 n^2 + m n) bytes (train and test distances, plus K, which the
    Cholesky overwrites).
    """
    dev = resolve_device(device)
    t0 = time.perf_counter()
    Xtr = torch.as_tensor(X_train, dtype=torch.float64, device=dev)
    Xte = torch.as_tensor(X_test, dtype=torch.float64, device=dev)
    Dtr = _sq_dists(Xtr, Xtr)
    Dtr.diagonal().zero_()  # exact zero self-distance, so K_ii = 1
    Dte = _sq_dists(Xte, Xtr)
    dist_s = time.perf_counter() - t0
    labels = {k: torch.as_tensor(np.asarray(v), dtype=torch.int64)
              for k, v in train_labels.items()}
    Y = torch.cat([torch.nn.functional.one_hot(v, num_classes) for v in labels.values()],
                  1).double().to(dev)  # (n, C * labellings)
    yte = torch.as_tensor(np.asarray(y_test), dtype=torch.int64)
    n = len(Xtr)
    duplicates = duplicate_rows(Xtr)
    if duplicates:  # equal rows of K: singular whatever LAPACK says, so start with a jitter
        warnings.warn(f"{duplicates} of the {n} training points duplicate others, so the "
                      "kernel matrix is singular and its Cholesky needs a jitter (the fit "
                      "is then not exact)")
    reports = []
    for gamma in gammas:
        kernel_s, solve_s = dist_s, 0.0
        for jitter in JITTERS[1:] if duplicates else JITTERS:
            t0 = time.perf_counter()
            K = torch.exp(Dtr * -gamma)
            K.diagonal().add_(jitter)
            t1 = time.perf_counter()
            alpha = _factor_solve(K, Y)
            kernel_s, solve_s = kernel_s + t1 - t0, solve_s + time.perf_counter() - t1
            del K
            if alpha is not None:
                break
            warnings.warn(f"Cholesky of the {n}x{n} kernel (gamma={gamma:g}) with jitter "
                          f"{jitter:g} is numerically singular (a pivot at or below "
                          "n * eps); retrying with more (the fit is then not exact)")
        else:
            raise np.linalg.LinAlgError(f"kernel matrix not positive definite with jitter "
                                        f"{JITTERS[-1]:g}")
        alpha = alpha.to(dev)
        fit_scores = _scores(Dtr, gamma, alpha)  # K alpha with K recomputed: (n, C * L)
        test_scores = _scores(Dte, gamma, alpha)
        fits = {}
        for i, (name, y) in enumerate(labels.items()):
            cols = slice(i * num_classes, (i + 1) * num_classes)
            per_class = (alpha[:, cols] * fit_scores[:, cols]).sum(0).clamp(min=0).cpu()
            fits[name] = KernelFit(
                train_error=(fit_scores[:, cols].argmax(1).cpu() != y).double().mean().item(),
                test_error=(test_scores[:, cols].argmax(1).cpu() != yte).double().mean().item(),
                rkhs_norm=per_class.sum().sqrt().item(),
                rkhs_norm_per_class=per_class.sqrt().numpy(),
                max_residual=(fit_scores[:, cols] - Y[:, cols]).abs().max().item())
        reports.append(KernelReport(n, len(Xte), Xtr.shape[1], float(gamma), jitter,
                                    kernel_s, solve_s, str(dev), fits, duplicates))
    return reports


def min_norm_kernel_interpolation(X_train, X_test, y_test, train_labels: dict,
                                  num_classes: int, *, gamma: float | None = None,
                                  seed: int = 0, device: str = "cpu") -> KernelReport:
    """Exact Gaussian-kernel interpolation K alpha = Y, one Cholesky for all labellings.

    X_*: (n, d) raw pixels (see `raw_pixels`); train_labels: name -> (n,) int labels,
    e.g. {"true": y, "random": y_rand}; each labelling is fitted with one-hot targets and
    scored against y_test. gamma: None -> `median_gamma` (seeded). No ridge: if K is not
    numerically positive definite (duplicate training points, or a Cholesky pivot at or
    below n * eps, see `pivots_ok`), a jitter of 1e-12 .. 1e-6 on the diagonal is added,
    with a warning, and recorded in the report. float64 throughout.
    """
    gamma = median_gamma(X_train, seed) if gamma is None else float(gamma)
    return _kernel_reports(X_train, X_test, y_test, train_labels, num_classes, [gamma],
                           device)[0]


def kernel_bandwidth_sweep(X_train, X_test, y_test, train_labels: dict, num_classes: int,
                           scales, *, seed: int = 0, device: str = "cpu") -> list[KernelReport]:
    """`min_norm_kernel_interpolation` for gamma = median_gamma / s, s in scales

    (s scales the squared bandwidth); distances are computed once for the whole sweep.
    """
    g = median_gamma(X_train, seed)
    return _kernel_reports(X_train, X_test, y_test, train_labels, num_classes,
                           [g / s for s in scales], device)
