"""The run path: a config's stored result, else train it (resuming a killed run) and store it.

The store (rethink_lib.results) only reads and writes runs; training lives here, so the
store imports no trainer. Every caller that may train takes the run lock
(rethink_lib.store_lock) first: `train_locked` does both for one-off callers (the CLI, a
chapter's plan); the queue (make_runs) and the Ray workers take the lock themselves.
"""
from __future__ import annotations

from pathlib import Path

from .config import RunConfig
from .results import (DEFAULT_RESULTS_DIR, RunResult, check_run_path, check_writable,
                      checkpoint_path, load_result, save_result)
from .store_lock import RunLock
from .train import train


def get_or_run(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR,
               device="auto", progress: bool = True, compile: bool = False,
               run_missing: bool = True) -> RunResult:
    """Stored result for exactly `config`, else train it (resuming a killed run) and store
    it. The caller holds the run's lock when other workers may share the store."""
    found = load_result(config, results_dir)
    if found is not None:
        return found
    if not run_missing:
        raise FileNotFoundError(f"no stored result for {config.run_id} under {results_dir}")
    check_writable(results_dir)
    check_run_path(config, results_dir)  # a file or symlink there: refused before training
    ckpt = checkpoint_path(config, results_dir)
    out = train(config, device=device, checkpoint=ckpt, progress=progress, compile=compile)
    return save_result(config, out.metrics, out.step_losses, out.summary, results_dir)


def train_locked(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR,
                 say=None, **kw) -> RunResult:
    """get_or_run under the run's lock: a second process asking for the same run waits
    (say(line) names the holder, again when it changes), then reuses what the first stored."""
    found = load_result(config, results_dir)
    if found is not None:
        return found
    check_writable(results_dir)  # before the lock creates anything
    check_run_path(config, results_dir)
    lock = RunLock(config, results_dir)
    lock.acquire(block=True, say=say)
    try:
        return get_or_run(config, results_dir, **kw)
    finally:
        lock.release()
