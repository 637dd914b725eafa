"""The theory chapter's figures and tables, from the results of the other modules.

Figures are returned, not shown (the chapter glues them as SVG with
`rethink_lib.report.glue.figure`); tables are DataFrames, with `style_*` display forms in the
book's number format: fixed decimals per quantity, thousands separators, and powers of ten
only for residuals at machine precision.
"""
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from ..report.style import FULL_WIDTH, book_style
from ..report.tables import compact
from .common import scale_name, tiny
from .expressivity import TwoLayerInterpolant, two_layer_interpolant
from .kernels import KernelReport
from .linear_sgd import MinNormDemo

# Where each threshold b_i sits in its gap (x_{i-1}, x_i), as the comparison table names it.
PLACEMENTS = ((0.5, "midpoints"), (0.1, "1/10 into the gap"), (0.01, "1/100 into the gap"))


# ------------------------------------------------------------------- Theorem 1
@book_style
def fig_theorem1(X: np.ndarray, y: np.ndarray, net: TwoLayerInterpolant, seed: int,
                 n_small: int = 12, n_window: int = 25):
    """Three panels: A for the first `n_small` points (lower triangular), the small
    network along its projection, and `n_window` neighbouring points of the full `net`."""
    small = two_layer_interpolant(X[:n_small], y[:n_small], seed=seed)
    order = np.argsort(X[:n_small] @ small.a)
    A = np.ma.masked_equal(small.hidden(X[:n_small][order]), 0.0)  # zeros above: blank
    xs = np.sort(X[:n_small] @ small.a)
    fig, axes = plt.subplots(1, 3, figsize=(FULL_WIDTH, 2.9),
                             gridspec_kw={"width_ratios": [1, 1.1, 1.1]})
    im = axes[0].imshow(A, cmap="viridis")
    axes[0].set_title(f"$A_{{ij}} = \\max(x_i - b_j, 0)$\n{n_small} images")
    axes[0].set_xlabel("hidden unit $j$")
    axes[0].set_ylabel("image $i$ (sorted)")
    fig.colorbar(im, ax=axes[0], fraction=0.046)
    t = np.linspace(small.b[0], xs[-1] + 0.1 * (xs[-1] - xs[0]), 2000)
    axes[1].plot(t, small.along(t), lw=1)
    axes[1].scatter(xs, y[:n_small][order], c="C3", zorder=3, s=18, label="random label")
    for bj in small.b:
        axes[1].axvline(bj, color="0.85", lw=0.6, zorder=0)
    axes[1].set_title("$c$ along $\\langle a, x \\rangle$\n(grey: thresholds $b_j$)")
    axes[1].set_xlabel("projection $\\langle a, x\\rangle$")
    axes[1].legend(loc="upper left")
    q = np.sort(X @ net.a)
    mid = len(q) // 2
    window = q[mid - n_window // 2: mid + n_window - n_window // 2]
    t = np.linspace(window[0], window[-1], 4000)
    axes[2].plot(t, net.along(t), lw=0.8)
    axes[2].scatter(window, net.along(window), c="C3", s=14, zorder=3)
    axes[2].set_title(f"{len(window)} of the {len(X):,} images,\nfull network")
    axes[2].set_xlabel("projection $\\langle a, x\\rangle$")
    axes[2].xaxis.set_major_locator(plt.MaxNLocator(3))
    axes[2].tick_params(axis="x", labelrotation=30)  # long labels of a narrow window: no overlap
    fig.tight_layout()
    return fig


def threshold_comparison(X: np.ndarray, y: np.ndarray, seed: int) -> pd.DataFrame:
    """Fitting error, largest weight and time for each threshold placement and solver."""
    rows = []
    for frac, where in PLACEMENTS:
        for method in ("forward", "slopes"):
            t0 = time.perf_counter()
            m = two_layer_interpolant(X, y, seed=seed, method=method, threshold_frac=frac)
            rows.append({"thresholds b_i": where, "solver": method,
                         "max |c(x_i) - y_i|": np.abs(m.predict(X) - y).max(),
                         "max |w_j|": np.abs(m.w).max(),
                         "fit (s)": time.perf_counter() - t0})
    frame = pd.DataFrame(rows)
    frame.attrs["n_points"] = len(X)
    return frame


def comparison_error(frame: pd.DataFrame, where: str, method: str) -> float:
    """One cell of `threshold_comparison`: the fitting error of a placement and solver."""
    hit = (frame["thresholds b_i"] == where) & (frame["solver"] == method)
    return float(frame.loc[hit, "max |c(x_i) - y_i|"].item())


def style_comparison(frame: pd.DataFrame):
    return compact(frame.style.format({"max |c(x_i) - y_i|": tiny, "max |w_j|": "{:,.0f}",
                                       "fit (s)": "{:.2f}"}).hide(axis="index"))


# ------------------------------------------------------- kernel interpolation
def kernel_table(reports: dict[str, KernelReport], names: dict[str, str],
                 paper: dict[str, tuple[float, str]]) -> pd.DataFrame:
    """One row per data set, measured (`reports`) or only quoted from the paper.

    names: data set -> printed name, in row order; paper: data set -> (test error %,
    printed training-set size) of the paper's kernel interpolation.
    """
    rows = []
    for name, printed in names.items():
        r = reports.get(name)
        fit = r.fits["true"] if r else None
        rows.append({"data set": printed,
                     "training images": r.n_train if r else None,
                     "test images": r.n_test if r else None,
                     "train error (%)": 100 * fit.train_error if r else None,
                     "test error (%)": 100 * fit.test_error if r else None,
                     "Cholesky and solves (s)": r.solve_seconds if r else None,
                     "paper test error (%)": paper.get(name, (None, None))[0],
                     "paper's training images": paper.get(name, (None, None))[1],
                     "status": "measured" if r else "not available offline"})
    return pd.DataFrame(rows)


def style_kernel_table(frame: pd.DataFrame):
    return compact(frame.style.format(
        {"training images": "{:,.0f}", "test images": "{:,.0f}", "test error (%)": "{:.1f}",
         "train error (%)": "{:.1f}", "Cholesky and solves (s)": "{:.1f}",
         "paper test error (%)": "{:.1f}"}, na_rep="–").hide(axis="index"))


def sweep_frame(scales, reports: list[KernelReport]) -> pd.DataFrame:
    """One row per bandwidth scale s: test error, norm and train error of both labellings."""
    return pd.DataFrame([{
        "scale s": s,
        "test error true (%)": 100 * r.fits["true"].test_error,
        "norm true": r.fits["true"].rkhs_norm,
        "test error random (%)": 100 * r.fits["random"].test_error,
        "norm random": r.fits["random"].rkhs_norm,
        "train error true (%)": 100 * r.fits["true"].train_error,
        "train error random (%)": 100 * r.fits["random"].train_error,
        "jitter": r.jitter} for s, r in zip(scales, reports)])


def style_sweep(frame: pd.DataFrame):
    pct = "{:.1f}"
    return compact(frame.style.format({
        "scale s": scale_name, "test error true (%)": pct, "test error random (%)": pct,
        "train error true (%)": pct, "train error random (%)": pct,
        "norm true": "{:,.0f}", "norm random": "{:,.0f}",
        "jitter": lambda j: "none" if j == 0 else tiny(j)}).hide(axis="index"))


def _plain_log_axis(axis) -> None:
    """A log axis labelled with plain numbers (1, 10, 100, 1,000), no minor labels."""
    axis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1
                                                   else f"{v:g}"))
    axis.set_minor_formatter(mticker.NullFormatter())


@book_style
def fig_sweep(sweep: pd.DataFrame):
    """Test error against norm (one point per bandwidth), and both against the bandwidth."""
    fig, axes = plt.subplots(1, 2, figsize=(FULL_WIDTH, 3.0))
    axes[0].plot(sweep["norm true"], sweep["test error true (%)"], "o-", label="true labels")
    axes[0].plot(sweep["norm random"], sweep["test error random (%)"], "s-",
                 label="random labels")
    for _, r in sweep.iloc[[0, -1]].iterrows():
        for kind in ("true", "random"):
            axes[0].annotate(f"s = {scale_name(r['scale s'])}",
                             (r[f"norm {kind}"], r[f"test error {kind} (%)"]),
                             textcoords="offset points", xytext=(0, 6), ha="center",
                             fontsize=9)
    axes[0].set_xscale("log")
    _plain_log_axis(axes[0].xaxis)
    axes[0].set_ylim(0, 100)
    axes[0].set_xlabel("RKHS norm of the interpolant")
    axes[0].set_ylabel("test error (%)")
    axes[0].legend(loc="center right")
    axes[0].set_title("one point per bandwidth")
    axes[1].plot(sweep["scale s"], sweep["test error true (%)"], "o-")
    axes[1].set_xscale("log", base=2)
    axes[1].set_xticks(list(sweep["scale s"]), [scale_name(s) for s in sweep["scale s"]])
    axes[1].xaxis.set_minor_locator(mticker.NullLocator())
    axes[1].set_xlabel("scale $s$ of the squared bandwidth")
    axes[1].set_ylabel("test error, true labels (%)")
    axes[1].set_title("against the bandwidth")
    ax2 = axes[1].twinx()
    ax2.plot(sweep["scale s"], sweep["norm true"], "s--", color="C2")
    ax2.set_yscale("log")
    _plain_log_axis(ax2.yaxis)
    ax2.set_ylabel("norm, true labels", color="C2")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------- SGD -> min norm
@book_style
def fig_sgd(demo: MinNormDemo):
    """Distance to the minimum-norm solution and largest residual, per epoch, both starts."""
    zero, rnd = demo.runs["zero"], demo.runs["random"]
    fig, axes = plt.subplots(1, 2, figsize=(FULL_WIDTH, 3.0))
    ep = np.arange(len(zero.distance))
    # where two lines coincide the wide, pale one stays visible under the thin one on top
    axes[0].semilogy(ep, zero.distance, label="$w_0 = 0$")
    axes[0].semilogy(ep, rnd.distance, label="random $w_0$", lw=3, alpha=0.5)
    axes[0].axhline(rnd.predicted_limit, color="k", ls=":", lw=1.2, zorder=4,
                    label="$\\|(I - P) w_0\\|$")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("$\\|w_t - X^{+} y\\|$")
    axes[0].set_title("distance to the min-norm solution")
    axes[0].legend()
    axes[1].semilogy(ep, rnd.residual, label="random $w_0$", color="C1", lw=3, alpha=0.5)
    axes[1].semilogy(ep, zero.residual, label="$w_0 = 0$", color="C0", ls="--", zorder=3)
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("$\\max_i |x_i^\\top w_t - y_i|$")
    axes[1].set_title("both fit the training data")
    axes[1].legend()
    for ax in axes:
        ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    fig.tight_layout()
    return fig
