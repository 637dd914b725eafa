"""Executors of the run queue: where and how `make_runs` trains the runs a profile misses.

    local  (default) make_runs' own loop: one process, workers sharing lock files
    ray    every missing run as a Ray task, on a local Ray or the cluster at RAY_ADDRESS
           (rethink_lib.executors.ray_exec; needs `pip install -e .[ray]`)

Whatever the executor, the results store stays the single source of truth: a run counts
as done only once `rethink_lib.results.load_result` accepts it, so rerunning any executor
trains exactly what is missing.
"""
from __future__ import annotations

EXECUTORS = ("local", "ray")


def run_with(executor: str, configs, results_dir, device: str = "auto",
             threads: int | None = None) -> int:
    """Train `configs` (those not stored yet) with a non-local executor; exit status 0/1/2."""
    if executor == "ray":
        from .ray_exec import run_queue
        return run_queue(configs, results_dir, device=device, threads=threads).exit_code
    raise ValueError(f"unknown executor {executor!r}; valid executors: {', '.join(EXECUTORS)}")
