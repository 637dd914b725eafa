"""Fill the results store with every run a profile's chapters need.

    python -m rethink_lib.make_runs --profile cpu            # all chapters
    python -m rethink_lib.make_runs --profile cpu --experiments fig1a table1 --dry-run

Stored runs are skipped, a killed run resumes from its checkpoint, and a run that fails
(diverges, data missing) is reported and the others go on. Cheap models run first.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

from .experiments import EXPERIMENTS, PROFILES, all_configs, resolve
from .results import DEFAULT_RESULTS_DIR, checkpoint_path, get_or_run, load_result

COST = {"mlp_1x512": 1, "mlp_3x512": 2, "alexnet_small": 5, "alexnet_small_report": 8,
        "inception_small_nobn": 60, "inception_small": 60}  # rough relative cost per image


def _cost(config) -> float:
    n = config.n_train or 50_000
    return COST.get(config.model, 50) * n * (config.max_epochs if config.target_train_acc is None else 30)


def _claim(config, results_dir) -> Path | None:
    """A lock file so that several workers (one per core) never train the same run.

    A lock left by a dead process is taken over."""
    lock = checkpoint_path(config, results_dir).with_suffix(".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            os.kill(int(lock.read_text() or 0), 0)
            return None  # its owner is alive
        except (ProcessLookupError, ValueError):
            lock.unlink(missing_ok=True)
            return _claim(config, results_dir)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return lock


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rethink_lib.make_runs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", choices=list(PROFILES), default="cpu")
    p.add_argument("--experiments", nargs="*", choices=list(EXPERIMENTS), default=None)
    p.add_argument("--results-dir", default=str(DEFAULT_RESULTS_DIR))
    p.add_argument("--device", default="auto")
    p.add_argument("--dry-run", action="store_true", help="list what would run")
    p.add_argument("--reverse", action="store_true",
                   help="costly runs first (start a second worker with this; each takes a core)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads; 1 per worker when several share the cores")
    args = p.parse_args(argv)

    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    configs = sorted(all_configs(resolve(args.profile), args.experiments), key=_cost,
                     reverse=args.reverse)
    missing = [c for c in configs if load_result(c, args.results_dir) is None]
    print(f"profile {args.profile}: {len(configs)} runs, {len(missing)} to train", flush=True)
    if args.dry_run:
        for c in missing:
            print("  would run", c.run_id)
        return 0
    failed, t0 = [], time.perf_counter()
    for i, c in enumerate(missing, 1):
        t = time.perf_counter()
        lock = _claim(c, args.results_dir)
        if lock is None:
            print(f"[{i}/{len(missing)}] {c.run_id}: another worker has it", flush=True)
            continue
        try:
            r = get_or_run(c, args.results_dir, device=args.device, progress=sys.stderr.isatty())
        except Exception as err:  # keep going; report at the end
            failed.append((c.run_id, f"{type(err).__name__}: {err}"))
            traceback.print_exc()
            continue
        finally:
            lock.unlink(missing_ok=True)
        s = r.summary
        print(f"[{i}/{len(missing)}] {c.run_id}: train {s['final_train_acc']:.4f} test "
              f"{s['final_test_acc']:.4f} epochs {s['epochs']} steps_to_fit {s['steps_to_fit']} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
    print(f"done in {time.perf_counter() - t0:.0f} s; {len(failed)} failed", flush=True)
    for run_id, err in failed:
        print(f"FAILED {run_id}: {err}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
