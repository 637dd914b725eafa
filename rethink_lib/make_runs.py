"""Fill the results store with every run a profile's chapters need.

    python -m rethink_lib.make_runs --profile cpu --dry-run        # the plan, with minutes
    python -m rethink_lib.make_runs --profile cpu --threads 1 &    # one worker per core
    python -m rethink_lib.make_runs --profile cpu --threads 1 --order cheap &
    python -m rethink_lib.make_runs --profile cpu --models alexnet_small --cpu-precision fp32 \
        --first alexnet_small-fashion_mnist-labels0-crop     # named runs first, in fp32

Runs are taken in queue order (Fig. 1 and Table I before the extensions; --order cheap:
cheapest first; --first: the named runs, then the rest). --cpu-precision fixes what a
config's precision "auto" means on a CPU, so a model's runs keep one precision when the queue
moves between an AVX2 machine (fp32) and a Xeon with AMX (bf16 by default). On a CPU that
only emulates bf16 (no AMX, no AVX-512 BF16) the runs whose config fixes bf16 are skipped
(--include-emulated trains them, many times slower); runs predicted longer than a session on
every CPU measured are left to a GPU (--include-long trains them). Stored runs
are skipped, a killed run resumes from its checkpoint, and workers share the queue through
lock files (an fcntl lock held for the run's life, so a
dead worker's lock frees itself). A run that fails, or a stored run whose files are
damaged (never reused, never trained over: delete it to rerun it), is reported and the
others go on; at the end the worker waits for runs other workers hold and takes over any a
dead worker left. The store must be writable before anything trains. Exit status: 0 when
every run is stored, 1 when any failed, is damaged or is missing, 2 when the store or the
arguments are unusable (one line on stderr).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from .experiments import EXPERIMENTS, PROFILES, QUEUE, all_configs, resolve
from .checkpoint import CheckpointError
from .cli import _positive as _positive_int
from .planner import emulated_bf16, emulated_bf16_note, emulated_skip_note
from .preflight import check_device, check_runs
from .train import resolve_device
from .results import (DEFAULT_RESULTS_DIR, ResultMismatchError, StoreError, check_writable,
                      load_result)
from .runner import get_or_run
from .store_lock import RunLock


# A run is started before --stop-by only if its predicted minutes times this fit in the time
# left (predictions of epochs to fit are guesses until runs of the same kind are stored).
DEADLINE_MARGIN = 1.3


def _clock(value: str) -> float:
    """'HH:MM' (today, local time; tomorrow if already past) -> epoch seconds."""
    import datetime as dt
    try:
        hh, mm = (int(v) for v in value.split(":"))
        t = dt.datetime.now().replace(hour=hh, minute=mm, second=0, microsecond=0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--stop-by must be HH:MM, got {value!r}") from None
    if t < dt.datetime.now():
        t += dt.timedelta(days=1)
    return t.timestamp()


def _status(config, results_dir) -> str:
    """'stored', 'missing' or 'bad: <one line>' for a run."""
    try:
        return "stored" if load_result(config, results_dir) is not None else "missing"
    except ResultMismatchError as err:
        return f"bad: {err}"


def plan(profile: str, experiments=None, results_dir=DEFAULT_RESULTS_DIR, device="cpu",
         order: str = "queue") -> list[dict]:
    """Every run of the profile with its status and predicted minutes on this machine
    (rethink_lib.planner predicts them, as for the chapters' plans)."""
    from .planner import cost_predictor
    configs = all_configs(resolve(profile), experiments or QUEUE)
    predict = cost_predictor(device, [results_dir])
    from .ops.progress import checkpoint_progress
    rows = []
    for c in configs:
        minutes, entry = predict(c)
        status = _status(c, results_dir)
        rows.append({"run_id": c.run_id, "status": status,
                     "minutes": None if minutes is None else round(minutes, 1),
                     "cost_table": entry, "config": c.to_dict(), "_config": c,
                     "progress": checkpoint_progress(c, results_dir) if status == "missing" else None})
    if order == "cheap":
        rows.sort(key=lambda r: float("inf") if r["minutes"] is None else r["minutes"])
    return rows


def _print_plan(rows, profile, device="cpu") -> None:
    todo = [r for r in rows if r["status"] not in ("stored", "long", "skipped")]
    long = [r for r in rows if r["status"] == "long"]
    skipped = [r for r in rows if r["status"] == "skipped"]
    total = sum(r["minutes"] or 0 for r in todo)
    unknown = sum(r["minutes"] is None for r in todo)
    stored = len(rows) - len(todo) - len(long) - len(skipped)
    print(f"profile {profile}: {len(rows)} runs, {stored} stored, "
          f"{len(todo)} to train, predicted {total:.0f} min ({total / 60:.1f} h) of one worker"
          + (f"; {unknown} runs have no cost entry" if unknown else "")
          + (f"; {len(long)} left to a GPU (long: over a session on every CPU measured; "
             "--include-long trains them)" if long else "")
          + (f"; {len(skipped)} skipped (bf16, which this CPU only emulates; "
             "--include-emulated trains them)" if skipped else ""))
    priced = todo or skipped
    if priced and priced[0]["cost_table"]:
        print(f"  (cost table: {priced[0]['cost_table']})")
    note = emulated_bf16_note([r["_config"] for r in todo], device)
    if note:
        print(f"  {note}")
    from .ops.progress import progress_phrase
    for r in todo + long + skipped:
        mins = "?" if r["minutes"] is None else f"{r['minutes']:.1f}"
        started = progress_phrase(r.get("progress"))
        print(f"  {r['status'][:7]:8s} {mins:>7s} min  {r['run_id']}" + (f"  ({started})" if started else ""))


def _long(todo: list[dict], args):
    """The runs of `todo` cut from a CPU queue (ops/long_runs.py: its COLUMNS), None on a GPU
    or with --include-long."""
    if args.include_long or not todo or resolve_device(args.device).type != "cpu":
        return None
    from .ops.long_runs import long_runs
    return long_runs(args.profile, args.results_dir,
                     configs={r["run_id"]: ("", r["_config"]) for r in todo})


def _first(rows: list[dict], prefixes: list[str], parser) -> list[dict]:
    """`rows` with the runs matching `prefixes` (run ids or their prefixes) moved to the front,
    in the order given; a prefix that matches no run of the plan is refused."""
    front = []
    for prefix in prefixes:
        hits = [r for r in rows if r["run_id"].startswith(prefix) and r not in front]
        if not hits:
            parser.error(f"--first {prefix}: no run of the plan starts with it")
        front += hits
    return front + [r for r in rows if r not in front]


def run_here(todo: list[dict], args) -> list[tuple[str, str]]:
    """Train the plan's runs in this process, sharing them with other workers through run
    locks; returns [(run_id, one-line reason)] of the runs that failed or are damaged.

    One pass in order, then a final pass that waits for the runs other workers hold and
    takes over any a dead worker left (its fcntl lock died with it)."""
    failed, held = [], []

    def attempt(i, r, block=False):
        c = r["_config"]
        status = _status(c, args.results_dir)
        if status.startswith("bad"):
            failed.append((c.run_id, status[5:]))
            print(f"[{i}/{len(todo)}] {c.run_id}: NOT TRAINED, {status[5:]}", flush=True)
            return
        if status == "stored":
            return
        if getattr(args, "stop_by", None) and r["minutes"] is not None:
            left = (args.stop_by - time.time()) / 60
            if r["minutes"] * DEADLINE_MARGIN > left:
                print(f"[{i}/{len(todo)}] {c.run_id}: left for later (predicted "
                      f"{r['minutes']:.0f} min x {DEADLINE_MARGIN:g}, {max(left, 0):.0f} min "
                      "before --stop-by)", flush=True)
                return
        lock = RunLock(c, args.results_dir)

        def say(line):  # blocked on a held run: which run, which process (and any change)
            print(f"[{i}/{len(todo)}] {line}", flush=True)
        try:
            got = lock.acquire(block, say=say)
        except (StoreError, OSError) as err:  # a planted or odd lock file: this run only
            first = (str(err).splitlines() or [""])[0]
            failed.append((c.run_id, f"{type(err).__name__}: {first}"))
            print(f"[{i}/{len(todo)}] {c.run_id}: FAILED {type(err).__name__}: {first}", flush=True)
            return
        if not got:
            print(f"[{i}/{len(todo)}] {c.run_id}: another worker has it", flush=True)
            held.append((i, r))
            return
        try:
            if _status(c, args.results_dir) == "stored":  # finished while we waited
                return
            t = time.perf_counter()
            # the per-epoch bar goes to stderr, a terminal or a log file (one update per 2 s)
            res = get_or_run(c, args.results_dir, device=args.device, progress=sys.stderr)
            s = res.summary
            print(f"[{i}/{len(todo)}] {c.run_id}: train {s['final_train_acc']:.4f} test "
                  f"{s['final_test_acc']:.4f} epochs {s['epochs']} fitted {s['fitted']} "
                  f"({time.perf_counter() - t:.0f} s)", flush=True)
        except Exception as err:  # keep going; report at the end
            first = (str(err).splitlines() or [""])[0]
            failed.append((c.run_id, f"{type(err).__name__}: {first}"))
            print(f"[{i}/{len(todo)}] {c.run_id}: FAILED {type(err).__name__}: {first}", flush=True)
        finally:
            lock.release()

    for i, r in enumerate(todo, 1):
        attempt(i, r)
    waiting, held = held, []
    for i, r in waiting:  # wait for other workers; take over what a dead one left
        attempt(i, r, block=True)
    return failed


def main(argv=None) -> int:
    """Exit status 0: every run stored; 1: some failed or are missing; 2: the store or the
    arguments are unusable (one line on stderr, nothing trained); 130 / 143: stopped by
    Ctrl-C / SIGTERM (one line; finished runs are stored, the run in progress resumes)."""
    from .interrupts import stoppable
    return stoppable(_checked_main, argv)


def _checked_main(argv=None) -> int:
    try:
        return _main(argv)
    except (StoreError, CheckpointError, OSError, ValueError) as err:
        print(f"error: {(str(err).splitlines() or [type(err).__name__])[0]}", file=sys.stderr)
        return 2


def _main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rethink_lib.make_runs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", choices=list(PROFILES), default="cifar")
    p.add_argument("--experiments", nargs="*", choices=list(EXPERIMENTS), default=None)
    p.add_argument("--results-dir", default=str(DEFAULT_RESULTS_DIR))
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (cuda if present)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and train nothing")
    p.add_argument("--json", action="store_true",
                   help="with --dry-run: every run's full configuration as one JSON list")
    p.add_argument("--models", nargs="*", default=None,
                   help="only runs of these models (e.g. leave the costly ones to a GPU)")
    p.add_argument("--order", choices=["queue", "cheap"], default="queue",
                   help="queue: the book's order of importance; cheap: cheapest first")
    p.add_argument("--first", nargs="*", default=[], metavar="RUN_ID",
                   help="take these runs (ids or id prefixes) before the rest, in this order")
    p.add_argument("--threads", type=_positive_int, default=None,
                   help="torch threads; 1 per worker when several share the cores "
                        "(results depend on it: it is recorded with each run)")
    p.add_argument("--stop-by", type=_clock, default=None, metavar="HH:MM",
                   help="start no run predicted to end after this time (a session's end: a "
                        "run killed with its session restarts from scratch on a new machine)")
    p.add_argument("--cpu-precision", choices=["auto", "fp32", "bf16"], default=None,
                   help="what precision 'auto' means on a CPU (default: bf16 where the CPU "
                        "has it natively); keeps one precision per model across machines")
    p.add_argument("--include-long", action="store_true",
                   help="on a CPU, also train the runs predicted to take longer than a "
                        "session even on the fastest CPU measured (rethink_lib/ops/long_runs.py)")
    p.add_argument("--include-emulated", action="store_true",
                   help="on a CPU without native bf16 (no AMX, no AVX-512 BF16), also train the "
                        "runs whose config says bf16, emulated and many times slower; by "
                        "default they are skipped there")
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="local: this process; ray: each missing run as a Ray task "
                        "(docs/runbook-ray.md; pip install -e .[ray])")
    args = p.parse_args(argv)
    if args.models is not None and not args.models:
        p.error("--models: name at least one model (leave the option out for every model)")
    if not args.results_dir.strip():
        p.error("--results-dir: empty (it would be the current folder); name a folder, "
                "e.g. results")
    check_device(args.device)  # before the plan, which predicts minutes on that device

    if args.cpu_precision:  # read by train.resolve_precision, here and in Ray workers
        from .config import CPU_PRECISION_ENV
        os.environ[CPU_PRECISION_ENV] = args.cpu_precision
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    rows = plan(args.profile, args.experiments, args.results_dir, args.device, args.order)
    if args.models:
        from .models import list_models
        unknown = sorted(set(args.models) - set(list_models()))
        if unknown:
            p.error(f"unknown models {unknown}; valid names: {', '.join(list_models())}")
        rows = [r for r in rows if r["config"]["model"] in args.models]
    if args.first:
        rows = _first(rows, args.first, p)
    long = _long([r for r in rows if r["status"] != "stored"], args)
    cut = set() if long is None else set(long["run"])
    skip = [] if args.include_emulated else emulated_bf16(
        [r["_config"] for r in rows if r["status"] != "stored" and r["run_id"] not in cut],
        args.device)
    skip_ids = {c.run_id for c in skip}
    if args.dry_run:
        for r in rows:  # cut from the CPU queue (ops/long_runs.py): listed, not counted
            if r["run_id"] in cut:
                r["status"] = "long"
            elif r["run_id"] in skip_ids:
                r["status"] = "skipped"
        if args.json:
            print(json.dumps([dict(r["config"], run_id=r["run_id"], status=r["status"],
                                   predicted_minutes=r["minutes"], checkpoint=r["progress"])
                              for r in rows], indent=1))
        else:
            _print_plan(rows, args.profile, args.device)
        return 0
    if cut:
        from .ops.long_runs import main_note
        print(main_note(long), file=sys.stderr, flush=True)
    if skip:
        print(emulated_skip_note(skip), file=sys.stderr, flush=True)
    todo = [r for r in rows if r["status"] != "stored" and r["run_id"] not in cut | skip_ids]
    print(f"profile {args.profile}: {len(rows)} runs, {len(todo)} to train", flush=True)
    note = emulated_bf16_note([r["_config"] for r in todo], args.device)
    if note:
        print(note, file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    if todo:  # device, data sets, sizes, seeds; a read-only or impossible store: fail now
        check_runs([r["_config"] for r in todo], args.device)
        check_writable(args.results_dir)
    if args.executor != "local":  # rethink_lib/executors: the runs as tasks elsewhere
        from .executors import run_with
        return run_with(args.executor, [r["_config"] for r in todo], args.results_dir,
                        args.device, args.threads)
    failed = run_here(todo, args)
    missing = [r["run_id"] for r in todo if _status(r["_config"], args.results_dir) == "missing"]
    print(f"done in {time.perf_counter() - t0:.0f} s; {len(failed)} failed, "
          f"{len(missing)} missing", flush=True)
    for run_id, err in failed:
        print(f"FAILED {run_id}: {err}")
    for run_id in missing:
        if run_id not in {f[0] for f in failed}:
            print(f"MISSING {run_id}")
    return 1 if failed or missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
