"""The paper's theory (Sec. 4 and 5) on real images, one concern per module:

- `common`: the chapter's profiles, the paper's quoted numbers, pixels, labels, subsets.
- `expressivity`: Theorem 1, the two-layer ReLU network with 2n + d weights that fits any
  real targets on n distinct points (`two_layer_interpolant`).
- `kernels`: exact minimum-norm Gaussian-kernel interpolation K alpha = Y
  (`min_norm_kernel_interpolation`, `kernel_bandwidth_sweep`).
- `linear_sgd`: SGD on least squares with n < d converges to the pseudo-inverse solution
  from w0 = 0 and to another interpolant from w0 != 0 (`sgd_vs_min_norm`).
- `figures`: the chapter's figures and tables.
- `chapter`: the chapter's sections (book/05_theory.ipynb): each runs one claim on data read
  from disk and returns its results and the numbers and sentences the page glues.

Everything a chapter or test needs is importable from the package itself:
`import rethink_lib.theory as th; th.two_layer_interpolant(...)`. Seeds are arguments;
the global RNG is never touched.
"""
from .common import (GRAYSCALE, PAPER, THEORY_PROFILES, plain, random_labels, raw_pixels,
                     resolve_profile, scale_name, standardized_pixels, subset, tiny)
from .expressivity import THRESHOLD_FRAC, TwoLayerInterpolant, two_layer_interpolant
from .kernels import (MEDIAN_POINTS, KernelFit, KernelReport, kernel_bandwidth_sweep,
                      median_gamma, min_norm_kernel_interpolation)
from .linear_sgd import MinNormDemo, SGDRun, sgd_least_squares, sgd_vs_min_norm

__all__ = ["GRAYSCALE", "PAPER", "THEORY_PROFILES", "plain", "random_labels", "raw_pixels",
           "resolve_profile", "scale_name", "standardized_pixels", "subset", "tiny",
           "THRESHOLD_FRAC", "TwoLayerInterpolant", "two_layer_interpolant", "MEDIAN_POINTS", "KernelFit",
           "KernelReport", "kernel_bandwidth_sweep", "median_gamma",
           "min_norm_kernel_interpolation", "MinNormDemo", "SGDRun", "sgd_least_squares",
           "sgd_vs_min_norm"]
