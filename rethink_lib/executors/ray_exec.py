"""The run queue on Ray: every missing run as one Ray task (Ray core, `ray.remote`).

    python -m rethink_lib.make_runs --profile paper --executor ray [--results-dir X]

Where: on the cluster at $RAY_ADDRESS when it is set, else on a local Ray started here
with `ray.init(num_cpus=...)` (current Ray has no local_mode). When the cluster has GPUs
(and --device is not cpu) every task asks for a fraction of one, `num_gpus`, so several
small runs share a GPU (Ray's GPU shares are logical: they pack tasks, they do not split
the memory); on a CPU-only cluster a task asks for `num_cpus` (its torch threads).

The results store stays the single source of truth. A task that can see the driver's
results directory (a shared filesystem: NFS, Lustre, or simply the same machine) stores
its run there itself, through `rethink_lib.results` (atomic writes, summary.json last,
the fcntl run lock of rethink_lib.store_lock), and resumes a killed attempt from the checkpoint beside
it. A task that cannot see it trains into a scratch store on its node, returns the run's
four small files as texts and the driver checks and writes them
(rethink_lib.executors.transfer). Which of the two a task takes is decided per task:
`auto` (default) looks for a probe file with a random token that the driver writes into
the results directory, so a mixed cluster works too.

Faults: a task that raises, or whose worker process dies, is retried up to
RETHINK_RAY_RETRIES times (Ray's max_retries with retry_exceptions), resuming from its
checkpoint; after that it is reported and the other runs go on. A diverged run
(TrainingDivergedError) is reported at once: a retry would diverge again. A killed driver
takes its tasks with it; rerunning the command trains only what the store still misses.

Settings (environment variables, all optional):
    RAY_ADDRESS            Ray's own: the cluster to connect to (else a local Ray)
    RETHINK_RAY_NUM_CPUS   CPUs of a local Ray (default: this machine's)
    RETHINK_RAY_CPUS       CPUs (= torch threads) per task (default 1, or --threads)
    RETHINK_RAY_GPUS       GPU share per task: one number, or per model family as
                           "inception=0.5,alexnet=0.25,mlp=0.125" (the default)
    RETHINK_RAY_SHARED_FS  auto | yes | no (see above; default auto)
    RETHINK_RAY_RETRIES    retries of a failed task (default 2)
    RETHINK_RAY_SCRATCH    scratch store root on the workers when not shared
                           (default <tmp>/rethink-ray)
    RETHINK_CPU_PRECISION  what precision "auto" means on CPU workers (make_runs
                           --cpu-precision sets it; passed to every task as a runtime env)
    RETHINK_RAY_FAULT      tests only: JSON {"dir": D, "crash_once": [..], "raise": [..]}
                           run-id substrings whose first attempt exits mid-run / whose
                           every attempt raises (attempts are counted in D)
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..config import CPU_PRECISION_ENV, RunConfig
from ..results import ResultMismatchError, checkpoint_path, load_result

DEFAULT_GPUS = {"inception": 0.5, "alexnet": 0.25, "mlp": 0.125}  # GPU share per task
# (the shares only decide how many runs Ray packs onto one GPU at a time; each run holds
# its data set on the device: CIFAR-10 as float32 stored images plus standardised crops)


@dataclass
class RaySettings:
    address: str | None = None
    num_cpus: int | None = None
    cpus_per_run: int = 1
    gpus: dict = field(default_factory=lambda: dict(DEFAULT_GPUS))
    shared_fs: str = "auto"
    max_retries: int = 2
    scratch: str = str(Path(tempfile.gettempdir()) / "rethink-ray")
    fault: dict | None = None

    @classmethod
    def from_env(cls, env=None) -> "RaySettings":
        env = os.environ if env is None else env
        s = cls(address=env.get("RAY_ADDRESS") or None)

        def integer(name, low):
            raw = env.get(name)
            if raw in (None, ""):
                return None
            try:
                value = int(raw)
            except ValueError:
                value = low - 1
            if value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {raw!r}")
            return value

        s.num_cpus = integer("RETHINK_RAY_NUM_CPUS", 1)
        s.cpus_per_run = integer("RETHINK_RAY_CPUS", 1) or s.cpus_per_run
        retries = integer("RETHINK_RAY_RETRIES", 0)
        s.max_retries = s.max_retries if retries is None else retries
        if env.get("RETHINK_RAY_GPUS"):
            s.gpus = parse_gpus(env["RETHINK_RAY_GPUS"])
        s.shared_fs = env.get("RETHINK_RAY_SHARED_FS", "auto") or "auto"
        if s.shared_fs not in ("auto", "yes", "no"):
            raise ValueError(f"RETHINK_RAY_SHARED_FS must be auto, yes or no, got {s.shared_fs!r}")
        s.scratch = env.get("RETHINK_RAY_SCRATCH") or s.scratch
        if env.get("RETHINK_RAY_FAULT"):
            s.fault = json.loads(env["RETHINK_RAY_FAULT"])
        return s

    def gpus_for(self, model: str) -> float:
        share = self.gpus.get(model, self.gpus.get(model.split("_")[0], self.gpus.get("*", 1.0)))
        return float(share)


def parse_gpus(text: str) -> dict:
    """'0.25' -> every model 0.25; 'inception=0.5,mlp=0.125' -> per family (others: 1)."""
    def share(raw):
        try:
            v = float(raw)
        except ValueError:
            v = -1.0
        if not 0 < v <= 1 and not (v > 1 and v.is_integer()):
            raise ValueError(f"RETHINK_RAY_GPUS: a GPU share must be in (0, 1] or a whole "
                             f"number, got {raw!r}")
        return v

    if "=" not in text:
        return {"*": share(text.strip())}
    out = {}
    for part in text.split(","):
        key, _, raw = part.partition("=")
        out[key.strip()] = share(raw.strip())
    return out


# --------------------------------------------------------------------- on the worker
def _fault(fault: dict | None, run_id: str, kind: str) -> bool:
    return bool(fault) and any(s in run_id for s in fault.get(kind, []))


def _count_attempt(fault: dict | None, run_id: str) -> int:
    """Tests: count this attempt in fault['dir']/<run_id>.attempts; returns its number."""
    if not fault:
        return 0
    path = Path(fault["dir"]) / f"{run_id}.attempts"
    with open(path, "a") as f:
        f.write(f"{os.getpid()}\n")
    return len(path.read_text().split())


def _sees_store(results_dir: Path, probe: dict | None) -> bool:
    if probe is None:
        return False
    try:
        return (results_dir / probe["name"]).read_text() == probe["token"]
    except OSError:
        return False


def train_task(config: dict, results_dir: str, device: str, threads: int, probe: dict | None,
               shared_fs: str, scratch: str, fault: dict | None = None) -> dict:
    """One run on a Ray worker: store it (shared filesystem) or return its files."""
    import torch

    from ..results import check_writable
    from ..runner import get_or_run
    from ..store_lock import RunLock
    from ..train import TrainingDivergedError, train
    from .transfer import read_run_files

    torch.set_num_threads(threads)
    c = RunConfig.from_dict(config)
    out = {"run_id": c.run_id, "start": time.time(), "pid": os.getpid(), "shared": False,
           "files": None, "error": None}
    out["node"], out["gpu_ids"] = None, []
    if "ray" in sys.modules and sys.modules["ray"].is_initialized():  # (tests call it bare)
        ray = sys.modules["ray"]
        out["node"] = ray.get_runtime_context().get_node_id()
        out["gpu_ids"] = [str(g) for g in ray.get_gpu_ids()]
    attempt = _count_attempt(fault, c.run_id)
    shared = shared_fs != "no" and _sees_store(Path(results_dir), probe)
    if shared_fs == "yes" and not shared:
        raise RuntimeError(f"RETHINK_RAY_SHARED_FS=yes but {results_dir} is not the driver's "
                           "results directory on this node; mount it or set "
                           "RETHINK_RAY_SHARED_FS=no")
    store = Path(results_dir) if shared else (
        Path(scratch) / hashlib.sha256(results_dir.encode()).hexdigest()[:12] / "results")
    out["shared"] = shared
    check_writable(store)  # the worker's store (shared or scratch), before the lock
    lock = RunLock(c, store)
    if not lock.acquire():
        out["status"] = "held"
        return out
    try:
        if _fault(fault, c.run_id, "raise"):
            raise RuntimeError(f"injected failure (attempt {attempt})")
        if _fault(fault, c.run_id, "crash_once") and attempt == 1:
            # a worker dying mid-run: one epoch trained and checkpointed, then gone
            ckpt = checkpoint_path(c, store)
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            train(c, device=device, checkpoint=ckpt, progress=False, stop_after_epochs=1)
            os._exit(1)
        try:
            get_or_run(c, store, device=device, progress=False)
        except TrainingDivergedError as err:  # deterministic: no retry
            out.update(status="failed", error=f"{type(err).__name__}: {err}")
            return out
        if shared:
            out["status"] = "stored"
        else:
            out["files"], out["status"] = read_run_files(c, store), "files"
            shutil.rmtree(store / c.run_id, ignore_errors=True)  # the driver's store has it now
    finally:
        lock.release()
        out["end"] = time.time()
    return out


# ------------------------------------------------------------------------- the driver
@dataclass
class QueueReport:
    exit_code: int
    runs: list[dict]            # what each task returned (status, node, gpu_ids, start, end)
    failed: list[tuple[str, str]]
    missing: list[str]
    wall_seconds: float
    resources: dict


def task_options(c: RunConfig, settings: RaySettings, cpus: int, use_gpu: bool,
                 env=None) -> dict:
    """Ray options of one run's task: its CPUs and GPU share, retries, a readable name, and
    the driver's $RETHINK_CPU_PRECISION (make_runs --cpu-precision) as a runtime env, since
    a worker on another node does not inherit the driver's environment."""
    env = os.environ if env is None else env
    opts = dict(num_cpus=cpus, max_retries=settings.max_retries, retry_exceptions=True,
                name=f"train {c.run_id}")
    if use_gpu:
        opts["num_gpus"] = settings.gpus_for(c.model)
    if env.get(CPU_PRECISION_ENV):
        opts["runtime_env"] = {"env_vars": {CPU_PRECISION_ENV: env[CPU_PRECISION_ENV]}}
    return opts


def _connect(ray, settings: RaySettings) -> bool:
    """Connect to RAY_ADDRESS or start a local Ray; True when we started it."""
    if ray.is_initialized():
        return False
    kw = dict(include_dashboard=False, log_to_driver=False)
    if settings.address:
        ray.init(address=settings.address, **kw)
    else:
        ray.init(num_cpus=settings.num_cpus or os.cpu_count(), **kw)
    return True


def _reason(err: BaseException) -> str:
    """One line: the task's own exception for a RayTaskError, else the error's first line."""
    cause = getattr(err, "cause", None)  # RayTaskError: the exception the task raised
    if isinstance(cause, BaseException):
        err = cause
    lines = [ln for ln in str(err).splitlines() if ln.strip()]
    return f"{type(err).__name__}: {(lines or [''])[0][:300]}"


def run_queue(configs: list[RunConfig], results_dir, device: str = "auto",
              threads: int | None = None, settings: RaySettings | None = None,
              progress: bool | None = None) -> QueueReport:
    """Train every config the store misses as a Ray task; report what happened."""
    try:
        import ray
    except ImportError:
        print("error: --executor ray needs Ray: pip install -e .[ray]", file=sys.stderr)
        return QueueReport(2, [], [], [c.run_id for c in configs], 0.0, {})
    from tqdm.auto import tqdm

    try:
        settings = settings or RaySettings.from_env()
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return QueueReport(2, [], [], [c.run_id for c in configs], 0.0, {})
    results_dir = Path(results_dir).resolve()
    results_dir.mkdir(parents=True, exist_ok=True)
    cpus = threads or settings.cpus_per_run
    t0 = time.perf_counter()
    failed, runs, todo = [], [], []
    for c in configs:
        try:
            if load_result(c, results_dir) is None:
                todo.append(c)
        except ResultMismatchError as err:
            failed.append((c.run_id, str(err)))
    started = _connect(ray, settings)
    probe = None
    try:
        resources = ray.cluster_resources()
        has_gpu = resources.get("GPU", 0) > 0
        if device.startswith("cuda") and not has_gpu:
            print(f"error: --device {device} but the Ray cluster has no GPU (resources: "
                  f"{resources})", file=sys.stderr)
            return QueueReport(2, [], failed, [c.run_id for c in todo], 0.0, resources)
        use_gpu = has_gpu and device != "cpu"
        if settings.shared_fs != "no":
            probe = {"name": f".ray-probe-{secrets.token_hex(8)}", "token": secrets.token_hex(16)}
            (results_dir / probe["name"]).write_text(probe["token"])
        remote = ray.remote(train_task)
        refs = {}
        for c in todo:
            ref = remote.options(**task_options(c, settings, cpus, use_gpu)).remote(
                c.to_dict(), str(results_dir), "cuda" if use_gpu else "cpu", cpus, probe,
                settings.shared_fs, settings.scratch, settings.fault)
            refs[ref] = c
        print(f"ray: {len(refs)} tasks on {resources.get('CPU', 0):g} CPUs, "
              f"{resources.get('GPU', 0):g} GPUs"
              + (" (GPU share per run: " + ", ".join(f"{k} {v:g}" for k, v in settings.gpus.items())
                 + ")" if use_gpu else f" ({cpus} CPU per run)"), flush=True)
        bar = tqdm(total=len(refs), unit="run", desc="ray queue",
                   disable=not (sys.stderr.isatty() if progress is None else progress))
        pending, finished = list(refs), 0
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                c = refs[ref]
                try:
                    out = ray.get(ref)
                    if out["status"] == "files":
                        from .transfer import write_run_files
                        write_run_files(c, out.pop("files"), results_dir)
                        out["status"] = "stored"
                    runs.append(out)
                    if out["status"] == "stored":
                        s = load_result(c, results_dir).summary
                        msg = (f"{c.run_id}: train {s['final_train_acc']:.4f} test "
                               f"{s['final_test_acc']:.4f} epochs {s['epochs']} fitted "
                               f"{s['fitted']} ({out['end'] - out['start']:.0f} s, "
                               f"{'stored by the worker' if out['shared'] else 'written by the driver'})")
                    elif out["status"] == "held":
                        msg = f"{c.run_id}: another worker holds its lock; rerun later"
                    else:
                        failed.append((c.run_id, out["error"]))
                        msg = f"{c.run_id}: FAILED {out['error']}"
                except Exception as err:  # retries used up, or the files were refused
                    failed.append((c.run_id, _reason(err)))
                    msg = f"{c.run_id}: FAILED after {settings.max_retries} retries: {failed[-1][1]}"
                bar.update(1)
                finished += 1
                tqdm.write(f"[{finished}/{len(refs)}] {msg}", file=sys.stdout)
                sys.stdout.flush()
        bar.close()
    finally:
        if probe:
            (results_dir / probe["name"]).unlink(missing_ok=True)
        if started:
            ray.shutdown()
    missing = []
    for c in configs:
        try:
            if load_result(c, results_dir) is None:
                missing.append(c.run_id)
        except ResultMismatchError:
            pass  # already reported as failed
    wall = time.perf_counter() - t0
    print(f"done in {wall:.0f} s; {len(failed)} failed, {len(missing)} missing", flush=True)
    for run_id, err in failed:
        print(f"FAILED {run_id}: {err}")
    for run_id in missing:
        if run_id not in {f[0] for f in failed}:
            print(f"MISSING {run_id}")
    return QueueReport(1 if failed or missing else 0, runs, failed, missing, wall, resources)
