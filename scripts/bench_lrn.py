"""Time small AlexNet's training step with three implementations of its LRN, in one run.

    .venv/bin/python scripts/bench_lrn.py [--repeats 5] [--steps 10]

(a) torch's nn.LocalResponseNorm (avg_pool3d over a padded 5-D copy; the report's code),
(b) a sum of channel-shifted slices (rethink_lib's LRN until 2026-12-05),
(c) rethink_lib.models.alexnet.LocalResponseNorm (the window as a banded matrix product).
One thread, batch 128, channels_last, fp32 and bf16 autocast. The variants are interleaved
in every repeat and the medians printed with their ratios to (c), so machine noise hits all
alike. Prints the CPU it ran on; speed figures name it.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from rethink_lib.costs import machine_name
from rethink_lib.models import create_model
from rethink_lib.models.alexnet import LocalResponseNorm
from rethink_lib.train import train_step


class ShiftedSlicesLRN(nn.Module):
    """The previous implementation: the window as a sum of `size` channel-shifted slices."""

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        sq = F.pad((x * x).unsqueeze(0), (0, 0, 0, 0, self.size // 2, (self.size - 1) // 2))[0]
        c = x.shape[1]
        window = sum(sq[:, i:i + c] for i in range(self.size))
        return x / (self.k + self.alpha / self.size * window).pow(self.beta)


VARIANTS = {
    "torch nn.LocalResponseNorm": lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
    "shifted slices (before)": ShiftedSlicesLRN,
    "banded product (ours)": LocalResponseNorm,
}


def model_with(variant: str) -> nn.Module:
    torch.manual_seed(0)
    m = create_model("alexnet_small", num_classes=10).to(memory_format=torch.channels_last)
    for i, layer in enumerate(m.features):
        if isinstance(layer, LocalResponseNorm):
            m.features[i] = VARIANTS[variant]()
    return m


def time_steps(model, precision: str, steps: int, x, y) -> float:
    """Seconds per 1,000 training images over `steps` SGD steps (after 2 warm-up steps)."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, fused=True)
    cpu = torch.device("cpu")
    for _ in range(2):
        train_step(model, opt, x, y, precision, cpu)
    t = time.perf_counter()
    for _ in range(steps):
        train_step(model, opt, x, y, precision, cpu)
    return (time.perf_counter() - t) / (steps * len(y)) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, default=10)
    args = p.parse_args()
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 3, 28, 28, generator=g).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (128,), generator=g)
    print(f"CPU: {machine_name('cpu')}; torch {torch.__version__}; 1 thread, batch 128")
    for precision in ("fp32", "bf16"):
        models = {v: model_with(v) for v in VARIANTS}
        times: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for _ in range(args.repeats):
            for v, m in models.items():
                times[v].append(time_steps(m, precision, args.steps, x, y))
        ours = statistics.median(times["banded product (ours)"])
        for v, t in times.items():
            med = statistics.median(t)
            print(f"{precision}  {v:28s} {med:6.3f} s per 1,000 images (median of "
                  f"{args.repeats}), {med / ours:4.2f}x ours")


if __name__ == "__main__":
    main()
