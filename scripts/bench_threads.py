"""Time our trainer's step on one thread and on two, in one run: is one two-thread worker
worth it for a run too long for a session on a one-thread worker?

    .venv/bin/python scripts/bench_threads.py [--models inception_small] [--precision fp32]
                                              [--rounds 6] [--window 20]

The queue runs two one-thread workers on the machine's two cores (the most runs per hour).
A run that needs more than a session on one thread (Inception on random pixels, the 60-epoch
runs) is lost when the session ends on a machine that is not kept; on two threads it may
land. This prints images/second on 1 and 2 threads (rethink_lib.bench's own step path:
channels_last, the run's precision, batch 128, random CIFAR-shaped data), timed in
alternating windows so the machine's noise hits both alike, and the speed-up. Run it with
nothing else on the machine: another job on the cores makes the two-thread figure
meaningless. Prints the CPU it ran on; speed figures name it.
"""
from __future__ import annotations

import argparse

import torch

from rethink_lib.bench.measure import alternate
from rethink_lib.bench.pipelines import OursPipeline, as_dataset, random_uint8_images
from rethink_lib.costs import machine_name


class Threaded:
    """A pipeline whose steps run on `threads` torch threads."""

    def __init__(self, pipeline, threads: int):
        self.pipeline, self.threads, self.per_step = pipeline, threads, pipeline.per_step

    def step(self):
        torch.set_num_threads(self.threads)
        self.pipeline.step()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="scripts/bench_threads.py", description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="*", default=["inception_small"])
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--rounds", type=int, default=6, help="timed windows per thread count")
    p.add_argument("--window", type=float, default=20.0, help="seconds per window")
    p.add_argument("--n", type=int, default=2048, help="random training images")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.window <= 0 or args.n < 128:
        p.error("--rounds >= 1, --window > 0 and --n >= 128 (one batch)")
    images, labels = random_uint8_images(args.n)
    data = as_dataset(images, labels)
    print(f"CPU: {machine_name('cpu')}; precision {args.precision}; batch 128; "
          f"{args.rounds} alternating windows of about {args.window:g} s each")
    for name in args.models:
        pipes = {t: Threaded(OursPipeline(name, data, 128, torch.device("cpu"), args.precision), t) for t in (1, 2)}
        got = alternate(pipes, torch.device("cpu"), args.rounds, args.window, warmup=2)
        one, two = got[1]["median"], got[2]["median"]
        print(f"{name}: {one:.1f} img/s on 1 thread, {two:.1f} on 2 threads: a speed-up of "
              f"{two / one:.2f}x for one run; at most {2 * one / two:.2f}x for two one-thread "
              "workers over one two-thread worker (an upper bound: two workers running at once "
              "slow each other, which these windows, one at a time, do not see)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
