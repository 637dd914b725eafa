"""Theorem 1 of the paper (Sec. 4): finite-sample expressivity, on real images.

`two_layer_interpolant` builds the explicit two-layer ReLU network with 2n + d weights
that fits any real targets on n distinct points in d dimensions, in float64. Pure and
seeded: the projection direction is drawn from the `seed` argument.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import solve_triangular

THRESHOLD_FRAC = 0.1  # b_i this far from x_{i-1} towards x_i (see two_layer_interpolant)


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
