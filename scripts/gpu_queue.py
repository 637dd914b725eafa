"""The cifar profile's conv-net runs at 10,000 images on a lent GPU, in one call.

Here, before the lease (the pack is git-ignored; it travels in two calls, each under the
device tool's 64 MiB with the working tree):

    .venv/bin/python -m rethink_lib.ops.pack cifar10 --n-train 10000 --out carry
    run(command="true", carry=["carry/cifar10.json", "carry/cifar10-train.npz.xz"])
    run(command="python3 scripts/gpu_queue.py --minutes 7", timeout_s=580,
        carry=["carry/cifar10-test.npz.xz"])     # at once: a warm machine idles 30 s

(the first call's part stays on the warm machine as an ignored file; 15 device minutes hold
the start, both calls and about 7 minutes of runs).

On the GPU machine (its own python3 and torch; the repository on PYTHONPATH) it measures the
card's cost-table entry (so that --stop-by predicts GPU minutes), then runs `--workers`
make_runs workers sharing the card until `--minutes` have passed, each starting no run it
predicts to end later. Finished runs go to $OUT/runs.tar.gz with the cost table and the
workers' logs; back here:

    .venv/bin/python -m rethink_lib.ops.collect /work/.device/.../runs.tar.gz

checks every run through the store's checks and moves it into results/.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rethink_lib.ops.collect import finished_runs, pack_runs  # noqa: E402

MODELS = ["inception_small", "inception_small_nobn", "alexnet_small"]
# every experiment whose runs read the 10,000-image subset the pack carries
EXPERIMENTS = ["fig1a", "fig1bc", "table1", "fig2", "table2", "fig3a", "fig3b", "fig3c",
               "report_bn"]
ORDERS = ["queue", "cheap", "queue", "cheap"]  # worker i takes ORDERS[i % 4]


def precisions(models) -> dict[str, list[str]]:
    """{precision: models} as the cifar profile fixes them (all fp32 since Inception left
    bf16; a profile may fix one per family), so the cost entries the workers' --stop-by reads
    are the ones their runs use."""
    from rethink_lib.profiles import PROFILES, by_family
    out: dict[str, list[str]] = {}
    for m in models:
        out.setdefault(by_family(PROFILES["cifar"]["precision"], m), []).append(m)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=7.0, help="time for the runs, from now")
    p.add_argument("--workers", type=int, default=3, help="make_runs processes on the card")
    p.add_argument("--device", default="cuda")
    p.add_argument("--carry", type=Path, default=ROOT / "carry")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", ROOT / "gpu-out")))
    p.add_argument("--measure-n", type=int, default=2000, help="images per timed epoch")
    p.add_argument("--experiments", nargs="*", default=EXPERIMENTS)
    p.add_argument("--models", nargs="*", default=MODELS)
    args = p.parse_args(argv)
    t0 = time.time()
    deadline = datetime.now() + timedelta(minutes=args.minutes)
    env = dict(os.environ, RETHINK_CARRY=str(args.carry), PYTHONUNBUFFERED="1",
               PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    args.out.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    if shutil.which("nvidia-smi"):
        subprocess.run(["nvidia-smi", "-L"], check=False)
    for precision, models in precisions(args.models).items():  # each at the profile's own
        measure = [py, "-m", "rethink_lib.costs", "--measure", "--device", args.device,
                   "--precision", precision, "--dataset", "cifar10", "--n", str(args.measure_n),
                   "--epochs", "2", "--models", *models]
        print("$", " ".join(measure[1:]), flush=True)
        subprocess.run(measure, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    shutil.copy(ROOT / "rethink_lib" / "cost_table.json", args.out / "cost_table.json")
    stop = deadline.strftime("%H:%M")
    workers = []
    for i in range(args.workers):
        cmd = [py, "-m", "rethink_lib.make_runs", "--profile", "cifar", "--device", args.device,
               "--order", ORDERS[i % len(ORDERS)], "--stop-by", stop,
               "--models", *args.models, "--experiments", *args.experiments]
        print("$", " ".join(cmd[1:]), flush=True)
        log = open(args.out / f"worker{i}.log", "w")
        workers.append((subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                         stderr=subprocess.DEVNULL), log))
    while any(w.poll() is None for w, _ in workers) and datetime.now() < deadline:
        time.sleep(5)
    for w, log in workers:
        if w.poll() is None:
            w.terminate()  # a run still training is lost with this machine
        w.wait()
        log.close()
    runs = finished_runs(ROOT / "results", since=t0)
    if runs:
        pack_runs(runs, args.out / "runs.tar.gz")
    print(f"{len(runs)} finished runs packed into {args.out / 'runs.tar.gz'} "
          f"in {time.time() - t0:.0f} s:", *[r.name for r in runs], sep="\n  ")
    for i in range(args.workers):
        print(f"--- worker {i}")
        print((args.out / f"worker{i}.log").read_text()[-1500:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
