"""rethink_lib.theory: Theorem 1's network, minimum-norm kernel interpolation, SGD -> pinv."""
import warnings

import numpy as np
import pytest
import torch

from rethink_lib import theory as th
from rethink_lib.theory import kernels
from rethink_lib.data import DEBIAN_FASHION_MNIST, load_dataset

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
