"""Fill the results store with every run a profile's chapters need.

    python -m rethink_lib.make_runs --profile cpu            # all chapters
    python -m rethink_lib.make_runs --profile cpu --experiments fig1a table1 --dry-run

Stored runs are skipped, a killed run resumes from its checkpoint, and a run that fails
(diverges, data missing) is reported and the others go on. Cheap models run first.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback

from .experiments import EXPERIMENTS, PROFILES, all_configs, resolve
from .results import DEFAULT_RESULTS_DIR, get_or_run, load_result

COST = {"mlp_1x512": 1, "mlp_3x512": 2, "alexnet_small": 5, "alexnet_small_report": 8,
        "inception_small_nobn": 60, "inception_small": 60}  # rough relative cost per image


def _cost(config) -> float:
    n = config.n_train or 50_000
    return COST.get(config.model, 50) * n * (config.max_epochs if config.target_train_acc is None else 30)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rethink_lib.make_runs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", choices=list(PROFILES), default="cpu")
    p.add_argument("--experiments", nargs="*", choices=list(EXPERIMENTS), default=None)
    p.add_argument("--results-dir", default=str(DEFAULT_RESULTS_DIR))
    p.add_argument("--device", default="auto")
    p.add_argument("--dry-run", action="store_true", help="list what would run")
    args = p.parse_args(argv)

    configs = sorted(all_configs(resolve(args.profile), args.experiments), key=_cost)
    missing = [c for c in configs if load_result(c, args.results_dir) is None]
    print(f"profile {args.profile}: {len(configs)} runs, {len(missing)} to train", flush=True)
    if args.dry_run:
        for c in missing:
            print("  would run", c.run_id)
        return 0
    failed, t0 = [], time.perf_counter()
    for i, c in enumerate(missing, 1):
        t = time.perf_counter()
        try:
            r = get_or_run(c, args.results_dir, device=args.device, progress=sys.stderr.isatty())
        except Exception as err:  # keep going; report at the end
            failed.append((c.run_id, f"{type(err).__name__}: {err}"))
            traceback.print_exc()
            continue
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
