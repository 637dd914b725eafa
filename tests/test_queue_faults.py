"""The run queue (make_runs) under faults: damaged and missing runs, lock races, killed workers.

The queue tests train real smoke-profile runs (Fashion-MNIST, 100 images, 2 epochs, MLP)
in subprocesses with one torch thread, into temporary stores.
"""
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time

import pytest

from rethink_lib.config import RunConfig
from rethink_lib.experiments import fig1bc, resolve
from rethink_lib.store_lock import RunLock
from rethink_lib.results import checkpoint_path, load_result

from .conftest import needs_fashion_mnist

QUEUE = ["--profile", "smoke", "--experiments", "fig1bc", "--models", "mlp_1x512",
         "--threads", "1", "--device", "cpu"]


def smoke_runs() -> dict:
    """{level: RunConfig} of the queue above (fig1bc's MLP runs: levels 0, 0.5, 1)."""
    return {level: c for (model, level, seed), c in fig1bc(resolve("smoke")).items()
            if model == "mlp_1x512"}


def make_runs(results, *extra, **kw):
    return subprocess.run([sys.executable, "-m", "rethink_lib.make_runs", *QUEUE,
                           "--results-dir", str(results), *extra],
                          capture_output=True, text=True, timeout=600, **kw)


# ------------------------------------------------------------------------ run locks
def _claimer(lock_args, trials, start, done, wins):
    for t in range(trials):
        start.wait()
        lock = RunLock(*lock_args)
        if lock.acquire():
            with wins.get_lock():
                wins[t] += 1
        done.wait()  # hold the lock until every claimer has tried
        lock.release()


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_200_concurrent_claims_of_a_stale_lock_have_one_winner_each(tmp_path):
    """Six processes race for the same run's lock 200 times; the lock file is left behind by
    a dead holder (its PID written in it) or names a live unrelated process (PID reuse)."""
    trials, n = 200, 6
    lock_args = (RunConfig(), tmp_path / "results")
    path = RunLock(*lock_args).path
    path.parent.mkdir(parents=True)
    ctx = mp.get_context("fork")
    start, done = ctx.Barrier(n + 1, timeout=60), ctx.Barrier(n + 1, timeout=60)
    wins = ctx.Array("i", trials)
    procs = [ctx.Process(target=_claimer, args=(lock_args, trials, start, done, wins))
             for _ in range(n)]
    for p in procs:
        p.start()
    dead, live = _dead_pid(), os.getppid()
    try:
        for t in range(trials):
            path.write_text(str(dead if t % 2 else live))  # stale or PID-reused lock file
            start.wait()
            done.wait()
    finally:
        for p in procs:
            p.join(30)
    assert [p.exitcode for p in procs] == [0] * n
    assert list(wins) == [1] * trials
    assert path.stat().st_mode & 0o111 == 0  # lock files are not executable


def test_a_killed_holders_lock_frees_itself(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom rethink_lib.config import RunConfig\n"
         "from rethink_lib.store_lock import RunLock\n"
         f"assert RunLock(RunConfig(), {str(tmp_path)!r}).acquire()\n"
         "print('held', flush=True)\ntime.sleep(600)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = RunLock(RunConfig(), tmp_path)
        assert not lock.acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        assert lock.acquire()  # no stale-lock clean-up needed: the flock died with it
        lock.release()
    finally:
        holder.kill()
        holder.wait()


# --------------------------------------------------------------------------- queues
@pytest.mark.slow
@needs_fashion_mnist
def test_queue_trains_the_missing_run_and_reports_the_bad_one(tmp_path):
    results = tmp_path / "results"
    first = make_runs(results)
    assert first.returncode == 0, first.stdout + first.stderr
    runs = smoke_runs()
    assert all(load_result(c, results) is not None for c in runs.values())

    bad, missing, kept = runs[0.0], runs[1.0], runs[0.5]
    (results / bad.run_id / "summary.json").write_text("")  # emptied
    for f in (results / missing.run_id).iterdir():  # deleted
        f.unlink()
    (results / missing.run_id).rmdir()
    kept_summary = (results / kept.run_id / "summary.json").read_text()
    orphan = checkpoint_path(kept, results)
    orphan.write_bytes(b"left behind")  # stored between summary.json and its removal

    second = make_runs(results)
    out = second.stdout
    assert second.returncode == 1, out + second.stderr
    assert "Traceback" not in second.stderr
    assert f"{missing.run_id}: train " in out  # trained
    assert load_result(missing, results) is not None
    reason = (f"stored run {bad.run_id}: summary.json is unreadable (ValueError: is empty); "
              f"delete {results / bad.run_id} to rerun it")
    assert f"{bad.run_id}: NOT TRAINED, {reason}" in out  # reported when met ...
    assert f"FAILED {bad.run_id}: {reason}" in out  # ... and at the end
    assert "1 failed, 0 missing" in out
    assert (results / bad.run_id / "summary.json").read_text() == ""  # not trained over
    assert (results / kept.run_id / "summary.json").read_text() == kept_summary
    assert not orphan.exists()  # the queue removed the orphan checkpoint


HOLDER = """
import sys, time
import torch
torch.set_num_threads(1)
from rethink_lib.experiments import fig1bc, resolve
from rethink_lib.store_lock import RunLock
from rethink_lib.results import checkpoint_path
from rethink_lib.train import train
results = sys.argv[1]
c = fig1bc(resolve("smoke"))[("mlp_1x512", 0.5, 0)]
assert RunLock(c, results).acquire()
train(c, device="cpu", checkpoint=checkpoint_path(c, results), progress=False,
      stop_after_epochs=1)  # one of two epochs done, then "killed"
print("holding", c.run_id, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
@needs_fashion_mnist
def test_a_killed_workers_run_is_taken_over_in_the_same_pass(tmp_path):
    """Worker A holds a run mid-way (lock held, one epoch checkpointed); worker B passes it,
    trains the others, waits for it; A is SIGKILLed; B resumes A's run and exits 0."""
    results = tmp_path / "results"
    held = smoke_runs()[0.5]
    a = subprocess.Popen([sys.executable, "-c", HOLDER, str(results)], stdout=subprocess.PIPE,
                         text=True)
    b = None
    try:
        assert a.stdout.readline().split() == ["holding", held.run_id]
        assert checkpoint_path(held, results).exists()
        b = subprocess.Popen([sys.executable, "-m", "rethink_lib.make_runs", *QUEUE,
                              "--results-dir", str(results)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        lines = []
        for line in b.stdout:
            lines.append(line)
            if f"{held.run_id}: another worker has it" in line:
                break
        else:
            pytest.fail("worker B never met the held run:\n" + "".join(lines) + b.stderr.read())
        time.sleep(1.0)  # B goes on with the other runs, then blocks on the held one
        a.send_signal(signal.SIGKILL)
        a.wait(30)
        rest, err = b.communicate(timeout=600)
        out = "".join(lines) + rest
        assert b.returncode == 0, out + err
        assert "Traceback" not in err
        assert f"{held.run_id}: train " in out and "0 failed, 0 missing" in out
        r = load_result(held, results)
        assert r is not None and r.summary["epochs"] == len(r.metrics) == 2
        assert r.summary["threads"] == 1
        assert not checkpoint_path(held, results).exists()
        assert all(load_result(c, results) is not None for c in smoke_runs().values())
    finally:
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
