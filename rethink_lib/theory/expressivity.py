"""The paper's theory (Sec. 4 and 5) on real images: Theorem 1 and minimum-norm interpolation.

Three pure, seeded computations (seeds are arguments; the global RNG is never touched):
- `two_layer_interpolant`: Theorem 1's explicit two-layer ReLU network with 2n + d weights
  that fits any real targets on n distinct points in d dimensions.
- `min_norm_kernel_interpolation`: solve K alpha = Y exactly (Cholesky, float64) for a
  Gaussian kernel on raw pixels; report train/test error and the RKHS norm.
- `sgd_vs_min_norm`: SGD on least squares with n < d converges to the pseudo-inverse
  (minimum-norm) solution from w0 = 0, and to another interpolant from w0 != 0.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.linalg.blas import daxpy, ddot

from .data import Split, balanced_subset, preprocess
from .train import resolve_device

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
THRESHOLD_FRAC = 0.1  # b_i this far from x_{i-1} towards x_i (see two_layer_interpolant)
MEDIAN_POINTS = 1000  # training points whose pairwise distances set the median heuristic


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


# ------------------------------------------------------------------- Theorem 1
def _project(X: np.ndarray, a: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """<a, x_i> for the rows of X: (m, d) -> (m,).

    Row by row with numpy's per-row pairwise sum rather than BLAS gemv, so one row's
    projection does not depend on which other rows share the call: predict(X_train) must
    see exactly the x_i the weights were solved for (the fitted function is so steep near
    close pairs that one ulp of x_i shows in the output).
    """
    out = np.empty(len(X))
    for k in range(0, len(X), chunk):
        out[k:k + chunk] = (X[k:k + chunk] * a).sum(axis=1)
    return out


def _relu_matrix(q: np.ndarray, b: np.ndarray) -> np.ndarray:
    """max(q_i - b_j, 0): (m,) x (k,) -> (m, k) hidden activations."""
    return np.maximum(q[:, None] - b[None, :], 0.0)


@dataclass(frozen=True)
class TwoLayerInterpolant:
    """c(x) = sum_j w_j max(<a, x> - b_j, 0): Theorem 1's network."""
    a: np.ndarray   # (d,) unit projection direction
    b: np.ndarray   # (n,) increasing thresholds, interleaved with the sorted projections
    w: np.ndarray   # (n,) output weights
    merged: int = 0    # duplicate rows merged before fitting (n counts distinct points)
    redraws: int = 0   # directions rejected because two distinct points collided
    method: str = "forward"

    @property
    def num_parameters(self) -> int:
        return self.a.size + self.b.size + self.w.size  # d + 2n

    def hidden(self, X) -> np.ndarray:
        """Hidden activations (m, n); for the sorted training points this is A."""
        return _relu_matrix(_project(_as_matrix(X), self.a), self.b)

    def predict(self, X) -> np.ndarray:
        """c(x) for the rows of X: (m, d) -> (m,), evaluated literally in float64."""
        return self.along(_project(_as_matrix(X), self.a))

    def along(self, q) -> np.ndarray:
        """The network as a function of the projection q = <a, x>: (m,) -> (m,).

        Queries are sorted so each chunk only multiplies the units with b_j below its
        largest projection (the others are exactly 0): half the work, same function.
        """
        q = np.asarray(q, np.float64)
        order, out = np.argsort(q, kind="stable"), np.empty(len(q))
        rows = max(1, 2 ** 22 // max(1, self.b.size))  # ~32 MB of activations per chunk
        for k in range(0, len(q), rows):
            idx = order[k:k + rows]
            units = np.searchsorted(self.b, q[idx[-1]], side="left")  # b_j < max q
            out[idx] = _relu_matrix(q[idx], self.b[:units]) @ self.w[:units]
        return out


def _as_matrix(X) -> np.ndarray:
    X = X.double().numpy() if isinstance(X, torch.Tensor) else np.asarray(X, np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected points as rows (n, d), got shape {X.shape}")
    return X


def _solve_forward(xs, b, ys, block: int = 512) -> np.ndarray:
    """w with A w = ys, A_ij = max(xs_i - b_j, 0) lower triangular: blocked forward substitution.

    A is never formed whole (n = 60k would be 29 GB); each block row subtracts what the
    already solved weights contribute, then solves its own (block x block) triangle. Each
    w_i is computed from the rounded earlier weights, so A w - y evaluated in the solver's
    own order is tiny; any other evaluation (e.g. `predict`) meets the float64 floor of
    this representation, about eps * sum_j |w_j| |x - b_j|, which no solver can lower.
    """
    w = np.zeros(len(xs))
    for k0 in range(0, len(xs), block):
        k1 = min(k0 + block, len(xs))
        rhs = ys[k0:k1] - _relu_matrix(xs[k0:k1], b[:k0]) @ w[:k0]
        w[k0:k1] = solve_triangular(_relu_matrix(xs[k0:k1], b[k0:k1]), rhs, lower=True,
                                    check_finite=False)
    return w


def _solve_slopes(xs, b, ys) -> np.ndarray:
    """The same w in O(n) from the piecewise-linear form (for comparison).

    The network's slope on (b_i, b_{i+1}) is s_i = w_1 + ... + w_i, so
    y_i - y_{i-1} = s_{i-1} (x_i - x_{i-1}) + w_i (x_i - b_i). Exact in exact arithmetic,
    but each w_i rounds on its own, so rounding errors of pairs of huge opposite weights
    do not cancel further right; in practice about 2x the error of forward substitution.
    """
    xl, bl, yl = xs.tolist(), b.tolist(), ys.tolist()
    w = [yl[0] / (xl[0] - bl[0])]
    s = w[0]
    for i in range(1, len(xl)):
        w.append((yl[i] - yl[i - 1] - s * (xl[i] - xl[i - 1])) / (xl[i] - bl[i]))
        s += w[-1]
    return np.array(w)


def two_layer_interpolant(X, y, seed: int = 0, *, method: str = "forward",
                          threshold_frac: float = THRESHOLD_FRAC, direction=None,
                          max_redraws: int = 10, rtol: float = 1e-12) -> TwoLayerInterpolant:
    """Theorem 1: a ReLU network with 2n + d weights and c(X[i]) = y[i] for all i.

    X: (n, d) points, y: (n,) real targets (e.g. random labels as numbers).
    Construction: project on a unit Gaussian direction a (drawn with `seed`; `direction`
    is tried first if given), sort the projections x_1 < ... < x_n, put one threshold in
    each gap, b_i = x_{i-1} + threshold_frac (x_i - x_{i-1}), and b_1 = x_1 - (x_n - x_1);
    then A_ij = max(x_i - b_j, 0) is lower triangular with A_ii > 0 and w = A^-1 y.

    threshold_frac: thresholds just right of x_{i-1} (small values) keep w local; at the
    midpoint (0.5) every steep slope is carried on with alternating sign to all later
    units, sum |w_j| grows by orders of magnitude and the error of c(x_i) with it (~1000x
    on 2,000 Fashion-MNIST images; see the chapter's comparison table).
    method: "forward" (blocked forward substitution, O(n^2) time, O(n * 512) memory; the
    most accurate, by ~1.5-2x) or "slopes" (the O(n) recursion on consecutive slopes).

    Ties: rows that are exactly equal are one point; with equal targets they are merged
    (n then counts distinct points), with different targets no function fits them and a
    ValueError is raised. Distinct points whose projections collide (gap below
    rtol * scale, or too close to fit a threshold between them in float64) make the
    direction useless: another is drawn, at most `max_redraws` times.
    """
    if method not in ("forward", "slopes"):
        raise ValueError(f"method must be 'forward' or 'slopes', got {method!r}")
    if not 0.0 < threshold_frac < 1.0:
        raise ValueError(f"threshold_frac must be in (0, 1), got {threshold_frac}")
    X = _as_matrix(X) + 0.0  # + 0.0 turns -0.0 into 0.0 so equal points have equal bytes
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(X),) or len(X) == 0:
        raise ValueError(f"need y of shape ({len(X)},) with n >= 1, got {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must be finite")

    # Exact duplicates: merge if they agree, refuse if they do not.
    Xu, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    lo = np.full(len(Xu), np.inf)
    hi = np.full(len(Xu), -np.inf)
    np.minimum.at(lo, inverse, y)
    np.maximum.at(hi, inverse, y)
    if (bad := np.flatnonzero(lo != hi)).size:
        rows = [np.flatnonzero(inverse == g)[:4].tolist() for g in bad[:3]]
        raise ValueError(f"{bad.size} points appear several times with different targets "
                         f"(e.g. rows {rows}); no function can fit them")
    yu = y[first]

    gen = np.random.default_rng(seed)
    for redraws in range(max_redraws + 1):
        a = (np.asarray(direction, np.float64) if redraws == 0 and direction is not None
             else gen.standard_normal(X.shape[1]))
        a = a / np.linalg.norm(a)
        p = _project(Xu, a)
        order = np.argsort(p, kind="stable")
        xs, ys = p[order], yu[order]
        gaps = np.diff(xs)
        b = np.empty_like(xs)
        b[0] = xs[0] - (xs[-1] - xs[0] if len(xs) > 1 else 1.0)
        b[1:] = xs[:-1] + threshold_frac * gaps
        scale = max(np.abs(xs).max(), xs[-1] - xs[0], np.finfo(float).tiny)
        if (gaps > rtol * scale).all() and (b[1:] > xs[:-1]).all() and (b < xs).all():
            break
    else:
        raise ValueError(f"{max_redraws + 1} directions all left two distinct points with "
                         f"projections closer than rtol={rtol:g} (relative); the points are "
                         "too close to separate in float64")
    w = _solve_forward(xs, b, ys) if method == "forward" else _solve_slopes(xs, b, ys)
    return TwoLayerInterpolant(a, b, w, merged=len(X) - len(Xu), redraws=redraws,
                               method=method)


# ------------------------------------------------------- minimum-norm kernel interpolation
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
    jitter: float          # added to K's diagonal; 0 unless the Cholesky failed without it
    kernel_seconds: float  # squared distances (shared by a sweep, counted in each) + exp
    solve_seconds: float   # Cholesky + solves for all labellings
    device: str
    fits: dict[str, KernelFit] = field(default_factory=dict)


def _factor_solve(K: torch.Tensor, Y: torch.Tensor) -> torch.Tensor | None:
    """alpha with K alpha = Y via Cholesky, overwriting K on CPU; None if K is not PD."""
    if K.is_cuda:
        L, info = torch.linalg.cholesky_ex(K)
        return None if info.item() else torch.cholesky_solve(Y, L)
    try:
        c = cho_factor(K.numpy(), lower=True, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    return torch.from_numpy(cho_solve(c, Y.numpy(), check_finite=False))


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
    reports = []
    for gamma in gammas:
        kernel_s, solve_s = dist_s, 0.0
        for jitter in (0.0, 1e-12, 1e-10, 1e-8, 1e-6):
            t0 = time.perf_counter()
            K = torch.exp(Dtr * -gamma)
            K.diagonal().add_(jitter)
            t1 = time.perf_counter()
            alpha = _factor_solve(K, Y)
            kernel_s, solve_s = kernel_s + t1 - t0, solve_s + time.perf_counter() - t1
            del K
            if alpha is not None:
                break
            warnings.warn(f"Cholesky of the {len(Xtr)}x{len(Xtr)} kernel (gamma={gamma:g}) "
                          f"failed with jitter {jitter:g}; retrying with more (the fit is "
                          "then not exact)")
        else:
            raise np.linalg.LinAlgError("kernel matrix not positive definite with jitter 1e-6")
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
        reports.append(KernelReport(len(Xtr), len(Xte), Xtr.shape[1], float(gamma), jitter,
                                    kernel_s, solve_s, str(dev), fits))
    return reports


def min_norm_kernel_interpolation(X_train, X_test, y_test, train_labels: dict,
                                  num_classes: int, *, gamma: float | None = None,
                                  seed: int = 0, device: str = "cpu") -> KernelReport:
    """Exact Gaussian-kernel interpolation K alpha = Y, one Cholesky for all labellings.

    X_*: (n, d) raw pixels (see `raw_pixels`); train_labels: name -> (n,) int labels,
    e.g. {"true": y, "random": y_rand}; each labelling is fitted with one-hot targets and
    scored against y_test. gamma: None -> `median_gamma` (seeded). No ridge: if K is not
    numerically positive definite, a jitter of 1e-12 .. 1e-6 on the diagonal is added,
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


# ------------------------------------------------------------- SGD finds the min-norm fit
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
    return MinNormDemo(w_mn, lr, float(sv[0] / sv[-1]), runs)
