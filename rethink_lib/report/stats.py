"""Numbers behind the verdicts: seeds pooled into mean and range, and the test set's noise.

Standard error of a test accuracy p measured on n images: sqrt(p (1 - p) / n) (binomial);
of a difference of two accuracies measured on independent test draws: the root of the sum
of squares. Two runs evaluated on the *same* test images are not independent, so this
over-states the noise of their difference a little: it errs on the side of "within noise".
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .names import missing


@dataclass(frozen=True)
class Stat:
    """Mean and range of a quantity over seeds; `n` values present, `absent` seeds without
    one (e.g. a run that never reached the loss target)."""
    mean: float | None
    lo: float | None
    hi: float | None
    n: int
    absent: int = 0

    @property
    def seeds(self) -> int:
        return self.n + self.absent

    def text(self, fmt=lambda v: f"{v:g}", unit: str = "") -> str:
        """'12.3' for one seed, '12.3 (3 seeds: 11.0 to 13.1)'; notes seeds without a value."""
        if self.n == 0:
            return "not reached" if self.absent else "n/a"
        s = fmt(self.mean) + unit
        if self.n > 1:
            s += f" (mean of {self.n} seeds, range {fmt(self.lo)}{unit} to {fmt(self.hi)}{unit})"
        if self.absent:
            s += f"; not reached in {self.absent} of {self.seeds} seeds"
        return s


def stat(values: Iterable) -> Stat:
    """Mean, min and max of the values that are present (None/NaN count as absent)."""
    values = list(values)
    present = [float(v) for v in values if not missing(v)]
    absent = len(values) - len(present)
    if not present:
        return Stat(None, None, None, 0, absent)
    return Stat(sum(present) / len(present), min(present), max(present), len(present), absent)


def by_seed(results: Mapping) -> dict:
    """{key without its trailing seed: {seed: result}} for experiment dicts keyed (..., seed).

    Keys whose last element is not an int (fixed-epoch experiments keyed by a label) are
    kept whole with seed None."""
    out: dict = {}
    for key, r in results.items():
        if isinstance(key, tuple) and key and isinstance(key[-1], int) and not isinstance(key[-1], bool):
            base, seed = key[:-1], key[-1]
            base = base[0] if len(base) == 1 else base
        else:
            base, seed = key, None
        out.setdefault(base, {})[seed] = r
    return out


def spread_ratio(values: Iterable) -> float | None:
    """The largest of several positive values over the smallest (how far repeated runs of
    one config spread); None (missing values dropped) with fewer than two or a value <= 0."""
    got = [v for v in values if not missing(v)]
    return max(got) / min(got) if len(got) > 1 and min(got) > 0 else None


def se_acc(p: float, n: int) -> float:
    """Standard error of an accuracy p (fraction) measured on n test images."""
    if not n or n <= 0:
        raise ValueError(f"n (test images) must be positive, got {n!r}")
    p = min(max(float(p), 0.0), 1.0)
    return math.sqrt(p * (1 - p) / n)


def se_diff(p1: float, n1: int, p2: float, n2: int) -> float:
    """Standard error of p1 - p2, each measured on its own n test images (fractions)."""
    return math.hypot(se_acc(p1, n1), se_acc(p2, n2))
