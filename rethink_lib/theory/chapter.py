"""The theory chapter (book/05_theory.ipynb), one function per section.

Each section function runs one of the paper's claims with the other modules of this package
and returns its results; each `*_numbers` function turns them into the plain Python numbers
and short sentences the page glues (every key one {glue:text} or {glue:md} of the page). The
notebook only calls, glues and draws. Data come from disk only (`load_offline`); sizes, seeds
and devices are arguments.

    cfg = th.resolve_profile("cpu")
    ds = chapter.load_offline("mnist", *chapter.chapter_sizes(cfg), seed=0)
    t1 = chapter.theorem1(ds, cfg["n_interp"], cfg["n_compare"], seed=0)
    chapter.theorem1_numbers(t1)     # {"interp_n": 10000, "interp_err": "2.3 × 10⁻¹¹", ...}
"""
from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import Dataset, DatasetMissingError, get_spec, load_dataset
from . import figures as tf
from .common import (PAPER, plain, random_labels, raw_pixels, scale_name, standardized_pixels,
                     subset, tiny)
from .expressivity import TwoLayerInterpolant, two_layer_interpolant
from .kernels import KernelReport, kernel_bandwidth_sweep, min_norm_kernel_interpolation
from .linear_sgd import MinNormDemo, sgd_vs_min_norm

# The data sets of the paper's Sec. 5 and its kernel numbers on them: test error (%) of the
# Gaussian kernel on raw pixels, and the training images it used (all of them).
PAPER_KERNEL = {"mnist": (PAPER["mnist_kernel_error"], PAPER["mnist_n_train"]),
                "cifar10": (PAPER["cifar10_kernel_error"], 50_000)}
PAPER_DATASETS = tuple(PAPER_KERNEL)
SCALES = (1 / 8, 1 / 4, 1 / 2, 1, 2, 4)  # bandwidth^2 / median squared distance, the sweep's

# ---------------------------------------------------------------------------- names
def dataset_title(name: str) -> str:
    return get_spec(name).title or name


def parse_datasets(value) -> list[str]:
    """The `kernel_datasets` parameter: a list, or its Python literal as papermill passes
    it ("['mnist', 'cifar10']"), or None / [] (none); each name checked with `get_spec`."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            value = [value]  # a bare name: -p kernel_datasets cifar10
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    names = list(dict.fromkeys(value))
    for name in names:
        get_spec(name)  # ValueError naming the valid ones
    return names


# ---------------------------------------------------------------------------- data
def chapter_sizes(cfg: dict) -> tuple[int, int]:
    """(training, test) images the chapter draws from its main data set: the largest
    subset any section uses, and the kernel's test images."""
    return (max(cfg[k] for k in ("n_interp", "n_kernel", "n_sweep", "n_sgd")),
            cfg["n_kernel_test"])


def load_offline(name: str, n_train: int, n_test: int, seed: int) -> Dataset:
    """Seeded class-balanced subsets of a data set, from disk only (never the internet).

    Sizes are capped at the splits' sizes. Raises DatasetMissingError saying how to get the
    files (CIFAR-10 and MNIST: `make data`, which fetches md5-checked copies once).
    """
    spec = get_spec(name)
    total_train, total_test = spec.sizes
    return load_dataset(name, n_train=min(n_train, total_train or n_train),
                        n_test=min(n_test, total_test or n_test), seed=seed, download=False)


def data_numbers(name: str, ds: Dataset, profile: str, device: str) -> dict:
    """What the page's opening says about its data and where it ran."""
    role = {"mnist": "the data set of the paper's kernel experiment",
            "cifar10": "the paper's second data set in Section 5"}.get(
        name, "not one of the paper's data sets (its Section 5 uses MNIST and CIFAR-10)")
    return {"dataset": dataset_title(name), "dataset_role": role, "profile": profile,
            "device": str(device), "ds_train": len(ds.train.labels),
            "ds_test": len(ds.test.labels), "chance": 100 * (1 - 1 / ds.num_classes)}


# ----------------------------------------------------------------------- Theorem 1
@dataclass
class Theorem1:
    """Theorem 1's network fitted to random labels of n images, and the threshold/solver
    comparison on the first n_compare of them."""
    X: np.ndarray                # (n, d) raw pixels
    y: np.ndarray                # (n,) random labels as real targets
    net: TwoLayerInterpolant
    fit_seconds: float
    comparison: pd.DataFrame     # figures.threshold_comparison on the first n_compare


def theorem1(ds: Dataset, n: int, n_compare: int, seed: int) -> Theorem1:
    """Fit random labels of a class-balanced subset of n training images (raw pixels) with
    Theorem 1's two-layer ReLU network, and compare threshold placements and solvers on the
    first n_compare of them (`figures.threshold_comparison`)."""
    train = subset(ds.train, n, ds.num_classes, seed)
    X = raw_pixels(train.images, ds.name)
    y = random_labels(len(X), ds.num_classes, seed).astype(float)
    t0 = time.perf_counter()
    net = two_layer_interpolant(X, y, seed=seed)
    fit_s = time.perf_counter() - t0
    m = min(n_compare, len(X))
    return Theorem1(X, y, net, fit_s, tf.threshold_comparison(X[:m], y[:m], seed))


def theorem1_numbers(t: Theorem1) -> dict:
    """Glue values of the Theorem 1 section (errors at machine precision as `tiny` text)."""
    pred = t.net.predict(t.X)
    err = np.abs(pred - t.y).max()
    cmp = t.comparison
    mid = tf.comparison_error(cmp, "midpoints", "forward")
    tenth = tf.comparison_error(cmp, "1/10 into the gap", "forward")
    n, d = t.X.shape
    return {"interp_n": n, "interp_d": d, "interp_params": t.net.num_parameters,
            "interp_err": tiny(err), "interp_rel_err": tiny(err / np.abs(t.y).max()),
            "interp_acc": plain(100 * np.mean(np.round(pred) == t.y)),
            "interp_fit_s": t.fit_seconds, "interp_max_w": plain(np.abs(t.net.w).max()),
            "interp_merged": t.net.merged, "interp_redraws": t.net.redraws,
            "cmp_n": cmp.attrs["n_points"],
            "cmp_mid": tiny(mid), "cmp_tenth": tiny(tenth),
            "cmp_tenth_slopes": tiny(tf.comparison_error(cmp, "1/10 into the gap", "slopes")),
            "cmp_ratio": mid / tenth if tenth > 0 else float("inf")}


# ----------------------------------------------------------- kernel interpolation
def kernel_run(ds: Dataset, n_train: int, n_test: int, seed: int, device: str = "cpu",
               with_random: bool = True) -> KernelReport:
    """Exact minimum-norm Gaussian-kernel interpolation on class-balanced subsets of one
    data set (raw pixels), fitted to the true labels and, if `with_random`, to a random
    relabelling of the same images (one Cholesky factorisation for both)."""
    train = subset(ds.train, n_train, ds.num_classes, seed)
    test = subset(ds.test, n_test, ds.num_classes, seed + 1)
    y = train.labels.numpy()
    labels = {"true": y}
    if with_random:
        labels["random"] = random_labels(len(y), ds.num_classes, seed)
    return min_norm_kernel_interpolation(raw_pixels(train.images, ds.name),
                                         raw_pixels(test.images, ds.name),
                                         test.labels.numpy(), labels, ds.num_classes,
                                         seed=seed, device=device)


@dataclass
class KernelComparison:
    """Kernel interpolation on the chapter's data set (true and random labels) and on the
    other data sets asked for (true labels), in that order; those not on disk in `missing`."""
    main: str
    reports: dict[str, KernelReport] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def kernel_comparison(name: str, ds: Dataset, others, n_train: int, n_test: int, seed: int,
                      device: str = "cpu") -> KernelComparison:
    """`kernel_run` on `ds` (true and random labels) and on each data set in `others`
    (true labels, loaded from disk with the same sizes and seed); a data set that is not on
    disk is listed in `missing`, not fetched."""
    out = KernelComparison(name, {name: kernel_run(ds, n_train, n_test, seed, device)})
    for other in others:
        if other == name:
            continue
        try:
            data = load_offline(other, n_train, n_test, seed)
        except DatasetMissingError:
            out.missing.append(other)
            continue
        out.reports[other] = kernel_run(data, n_train, n_test, seed, device, with_random=False)
        del data
    return out


def kernel_frame(comp: KernelComparison) -> pd.DataFrame:
    """Table rows: each measured data set, then the paper's data sets not measured."""
    names = list(comp.reports) + [n for n in PAPER_DATASETS if n not in comp.reports]
    frame = tf.kernel_table(comp.reports, {n: dataset_title(n) for n in names},
                            {n: (err, f"{size:,}") for n, (err, size) in PAPER_KERNEL.items()})
    frame["status"] = ["measured" if n in comp.reports else
                       "not on disk" if n in comp.missing else "not asked for" for n in names]
    return frame


def _paper_clause(name: str) -> str:
    if name in PAPER_KERNEL:
        err, size = PAPER_KERNEL[name]
        return f"the paper reports {err:.1f}% with all {size:,} training images"
    return "the paper has no number for this data set"


def _vs_paper(comp: KernelComparison) -> str:
    """How the measured test errors compare with the paper's, one clause per data set."""
    parts = []
    for n, (err, size) in PAPER_KERNEL.items():
        if n in comp.reports:
            r = comp.reports[n]
            diff = 100 * r.fits["true"].test_error - err
            side = "above" if diff > 0 else "below" if diff < 0 else "at"
            parts.append(f"{abs(diff):.1f} points {side} the paper's on {dataset_title(n)} "
                         f"({r.n_train:,} training images against {size:,})")
    if not parts:
        return "None of the paper's data sets was measured, so no error compares with its."
    return "The test error is " + " and ".join(parts) + "."


def kernel_numbers(comp: KernelComparison) -> dict:
    """Glue values of the kernel section: the main data set's fit in detail, one sentence
    for the other data sets, one for those not on disk, and how all compare with the paper."""
    r = comp.reports[comp.main]
    true, rand = r.fits["true"], r.fits["random"]
    chance = 100 * (1 - 1 / len(true.rkhs_norm_per_class))
    others = [n for n in comp.reports if n != comp.main]
    sentences, short = [], []
    for n in others:
        o = comp.reports[n]
        err = 100 * o.fits["true"].test_error
        sentences.append(
            f"On {dataset_title(n)} ({o.n_train:,} training images, d = {o.d:,}, "
            f"{o.n_test:,} test images) the same construction fits the training labels with "
            f"{100 * o.fits['true'].train_error:.1f}% error and has {err:.1f}% test error; "
            f"{_paper_clause(n)}.")
        short.append(f"on {dataset_title(n)} it has {err:.1f}% test error "
                     f"({_paper_clause(n)})")
    if comp.missing:
        names = " and ".join(dataset_title(n) for n in comp.missing)
        sentences.append(f"{names} {'were' if len(comp.missing) > 1 else 'was'} not on disk "
                         "(make data fetches it once), so its row only quotes the paper.")
    margin = chance - 100 * true.test_error
    below = {n: 100 * (1 - 1 / len(o.fits["true"].rkhs_norm_per_class) - o.fits["true"].test_error)
             for n, o in comp.reports.items()}  # chance error minus test error, points
    margins = "; ".join(f"on {dataset_title(n)} {m:.1f} points below chance" for n, m in below.items())
    return {"k_n": r.n_train, "k_ntest": r.n_test, "k_d": r.d,
            "k_test_err": 100 * true.test_error, "k_train_err": 100 * true.train_error,
            "k_resid": tiny(max(true.max_residual, rand.max_residual)),
            "k_rand_train_err": 100 * rand.train_error, "k_rand_test_err": 100 * rand.test_error,
            "k_norm": true.rkhs_norm, "k_rand_norm": rand.rkhs_norm,
            "k_norm_ratio": rand.rkhs_norm / true.rkhs_norm,
            "k_solve_s": r.solve_seconds, "k_kernel_s": r.kernel_seconds,
            "k_jitter": "none" if r.jitter == 0 else tiny(r.jitter), "k_device": r.device,
            "k_gb": 8 * r.n_train ** 2 / 1e9,
            "k_paper": _paper_clause(comp.main),
            "k_others": " ".join(sentences) or "No other data set was asked for.",
            "k_summary_others": "; ".join(short) or "no other data set was measured",
            "k_vs_paper": _vs_paper(comp),
            "k_point": (f"What carries over is the paper's point: an interpolant with zero "
                        f"training error and no regularization generalizes far better than "
                        f"guessing: its test error lies {margins}."
                        if margin > 20 else
                        f"Here the interpolant on {dataset_title(comp.main)} is only "
                        f"{margin:.1f} points better than chance, short of the paper's point "
                        "that it generalizes well."),
            "k_datasets": " and ".join(dataset_title(n) for n in comp.reports)}


# ------------------------------------------------------------------- bandwidth sweep
def bandwidth_sweep(ds: Dataset, n_train: int, n_test: int, seed: int, device: str = "cpu",
                    scales=SCALES) -> pd.DataFrame:
    """Kernel interpolation of true and random labels of n_train images at each bandwidth
    (median squared distance times s, s in `scales`), scored on n_test test images: one row
    per s (`figures.sweep_frame`)."""
    train = subset(ds.train, n_train, ds.num_classes, seed)
    test = subset(ds.test, n_test, ds.num_classes, seed + 1)
    y = train.labels.numpy()
    labels = {"true": y, "random": random_labels(len(y), ds.num_classes, seed)}
    reports = kernel_bandwidth_sweep(raw_pixels(train.images, ds.name),
                                     raw_pixels(test.images, ds.name), test.labels.numpy(),
                                     labels, ds.num_classes, scales, seed=seed, device=device)
    frame = tf.sweep_frame(list(scales), reports)
    frame.attrs.update(n_train=len(y), n_test=len(test.labels))
    return frame


def sweep_numbers(sweep: pd.DataFrame) -> dict:
    """Glue values of the sweep: best and smallest-norm bandwidths, ranges, the correlation
    of log-norm and test error, and the sentences that depend on them."""
    err, norm = sweep["test error true (%)"], sweep["norm true"]
    best, smallest = sweep.loc[err.idxmin()], sweep.loc[norm.idxmin()]
    rho = float(np.corrcoef(np.log(norm), err)[0, 1])
    relation = ("Here the two move together" if rho > 0.5
                else "Here they move in opposite directions" if rho < -0.5
                else "Here they are only loosely related")
    reversal = ("As in the paper's wavelet example, a larger norm goes with a lower test "
                "error here, so the norm does not predict generalization across these kernels."
                if rho < -0.5 else
                "A bandwidth change does not reproduce the paper's reversal, a larger norm with "
                "a lower error; that took a different representation (wavelets), which this "
                "page does not run.")
    n_test = sweep.attrs.get("n_test", 0)
    gap = float(smallest[err.name] - best[err.name])  # points
    p1, p2 = float(best[err.name]) / 100, float(smallest[err.name]) / 100
    bar = 200 * ((p1 * (1 - p1) + p2 * (1 - p2)) / n_test) ** 0.5 if n_test else 0.0  # 2 SE
    verdict = ("and the smallest-norm interpolant is also the most accurate one"
               if best["scale s"] == smallest["scale s"] else
               f"and the smallest-norm interpolant tests within the noise of the most accurate "
               f"one, {gap:.1f} points apart against 2 standard errors of {bar:.1f} points on "
               f"{n_test:,} test images" if gap <= bar else
               "yet the smallest-norm interpolant is not the most accurate one")
    return {"sweep_n": sweep.attrs.get("n_train", 0), "sweep_ntest": sweep.attrs.get("n_test", 0),
            "sweep_k": len(sweep),
            "sweep_best_s": scale_name(best["scale s"]), "sweep_best_err": float(best[err.name]),
            "sweep_best_norm": float(best["norm true"]),
            "sweep_small_s": scale_name(smallest["scale s"]),
            "sweep_small_err": float(smallest[err.name]),
            "sweep_small_norm": float(smallest["norm true"]),
            "sweep_norm_range": float(norm.max() / norm.min()),
            "sweep_err_lo": float(err.min()), "sweep_err_hi": float(err.max()),
            "sweep_train_err": float(sweep[["train error true (%)",
                                            "train error random (%)"]].max().max()),
            "sweep_rand_ratio": float((sweep["norm random"] / norm).min()),
            "sweep_corr": rho, "sweep_relation": relation, "sweep_verdict": verdict,
            "sweep_reversal": reversal}


# ------------------------------------------------------------------- SGD -> min norm
def sgd_demo(ds: Dataset, n: int, epochs: int, seed: int) -> MinNormDemo:
    """SGD on least squares with random +-1 targets for n training images as the networks
    see them (`standardized_pixels`, d = 784 > n), from w0 = 0 and from a random w0."""
    images = subset(ds.train, n, ds.num_classes, seed).images
    X = standardized_pixels(images)
    y = random_labels(len(X), 2, seed) * 2.0 - 1
    return sgd_vs_min_norm(X, y, epochs=epochs, seed=seed)


def sgd_numbers(demo: MinNormDemo) -> dict:
    """Glue values of the SGD section."""
    zero, rnd = demo.runs["zero"], demo.runs["random"]
    w_norm = float(np.linalg.norm(demo.w_min_norm))
    return {"sgd_n": demo.n_points, "sgd_d": demo.w_min_norm.size, "sgd_lr": float(demo.lr),
            "sgd_max_sq": float(1 / demo.lr), "sgd_cond": demo.condition,
            "sgd_epochs": len(zero.distance) - 1, "sgd_wnorm": w_norm,
            "sgd_zero_dist": tiny(zero.distance[-1]),
            "sgd_zero_rel": tiny(zero.distance[-1] / w_norm),
            "sgd_zero_span": tiny(zero.out_of_span.max()),
            "sgd_zero_res": tiny(zero.residual[-1]), "sgd_rand_res": tiny(rnd.residual[-1]),
            "sgd_rand_dist": float(rnd.distance[-1]),
            "sgd_rand_limit": float(rnd.predicted_limit)}


# ------------------------------------------------------------------------- glue
def constant_numbers() -> dict:
    """The paper's quoted numbers (prefixed paper_) and the constructions' fixed settings."""
    from .expressivity import THRESHOLD_FRAC
    from .kernels import MEDIAN_POINTS
    return {**{f"paper_{k}": v for k, v in PAPER.items()},
            "threshold_frac": THRESHOLD_FRAC, "median_points": MEDIAN_POINTS,
            "sweep_scales": ", ".join(scale_name(s) for s in SCALES)}


def glue_numbers(numbers: dict) -> dict:
    """Glue each value for {glue:text}`key` (numpy scalars as Python numbers); returns them."""
    from ..report.glue import text
    for key, value in numbers.items():
        text(key, plain(value))
    return numbers


def _at_chance(err: float, chance: float, n_test: int) -> str:
    """Where a test error (%) lies against the chance error (%): within 2 standard errors of
    chance at n_test test images (`report.stats.se_acc`, `verdicts.Z`), or how far below or
    above it."""
    from ..report.stats import se_acc
    from ..report.verdicts import Z
    bar = 100 * Z * se_acc(chance / 100, n_test) if n_test else 0.0
    gap = err - chance
    where = ("stays at chance" if abs(gap) <= bar else
             f"tests {abs(gap):.1f} points {'below' if gap < 0 else 'above'} chance")
    return (f"{where} ({err:.1f}% test error against {chance:.1f}% for guessing, {Z:g} "
            f"standard errors = {bar:.1f} points)")


def summary(n: dict) -> str:
    """The page's closing paragraph from its glue values (`data_numbers`, `theorem1_numbers`,
    `kernel_numbers`, `sweep_numbers`, `sgd_numbers`, `constant_numbers` merged); the
    conclusion quotes it as the theory chapter's result."""
    return (
        f"Theorem 1's network fits random labels of {n['interp_n']:,} {n['dataset']} images "
        f"with {n['interp_params']:,} weights, up to a rounding error of {n['interp_err']}, "
        f"once its thresholds sit {n['threshold_frac']:.2f} of the way into each gap "
        f"(midpoints are {n['cmp_ratio']:,.0f} times less accurate). The minimum-norm "
        f"Gaussian-kernel interpolant of {n['k_n']:,} {n['dataset']} images, fitted exactly "
        f"({n['k_train_err']:.1f}% training error) with no regularization, has "
        f"{n['k_test_err']:.1f}% test error ({n['k_paper']}); {n['k_summary_others']}. "
        f"Fitted to random labels, the same kernel needs {n['k_norm_ratio']:.1f} times the "
        f"norm and {_at_chance(n['k_rand_test_err'], n['chance'], n['k_ntest'])}. Across "
        f"{n['sweep_k']} bandwidths the norm changes {n['sweep_norm_range']:,.1f}-fold while "
        f"the test error stays between {n['sweep_err_lo']:.1f}% and {n['sweep_err_hi']:.1f}%. "
        f"SGD from zero ends {n['sgd_zero_rel']} (relative) from the minimum-norm solution; "
        f"from a random start it fits the data as well and ends {n['sgd_rand_dist']:.3f} away "
        "from it.")
