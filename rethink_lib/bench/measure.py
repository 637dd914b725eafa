"""Measuring: alternating timing windows, GEMM peak, training FLOPs, memory of a fresh
process, and the per-model and per-sweep benchmark records. See rethink_lib.bench."""
from __future__ import annotations

import gc
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ..config import RunConfig
from ..data import CROP_SIZE
from ..models import create_model
from ..train import resolve_precision
from .pipelines import OursPipeline, ReferencePipeline, as_dataset, random_uint8_images

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak_memory(device):
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device) -> float | None:
    """CUDA: peak allocated since the last reset. CPU: None (see memory_probe)."""
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def _status_mb(field: str) -> float | None:
    try:
        text = Path("/proc/self/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) / 1024
    except (OSError, AttributeError):
        if field != "VmHWM":
            return None
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def memory_probe(spec: dict) -> dict:
    """Peak RSS of one pipeline: run in a fresh process (`python -c`), steps spec["steps"].

    RSS never shrinks much once freed memory is cached by the allocator, so pipelines
    measured one after another in one process would see each other's high-water marks.
    Reports the peak and its increase over the process right after `import torch`.
    """
    torch.set_num_threads(spec["threads"])
    base = _status_mb("VmRSS")
    images, labels = random_uint8_images(spec["n_train"], seed=0)
    device = torch.device("cpu")
    if spec["kind"] == "reference":
        p = ReferencePipeline(spec["model"], images, labels, spec["batch_size"], device,
                              spec["workers"])
    else:
        p = OursPipeline(spec["model"], as_dataset(images, labels), spec["batch_size"], device,
                         spec["precision"], spec["compile"])
    for _ in range(spec["steps"]):
        p.step()
    peak = _status_mb("VmHWM")
    return {"peak_rss_mb": peak, "increase_mb": peak - base}


def run_memory_probe(kind, name, args) -> dict:
    import subprocess

    spec = {"kind": kind, "model": name, "n_train": args.n_train, "batch_size": args.batch_size,
            "workers": args.workers, "precision": args.precision, "compile": args.compile,
            "threads": torch.get_num_threads(), "steps": 2 + (2 if args.compile else 0)}
    code = ("import json, sys; from rethink_lib.bench import memory_probe; "
            "print(json.dumps(memory_probe(json.loads(sys.argv[1]))))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], capture_output=True,
                         text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"memory probe of {kind} {name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class GemmPipeline:
    """One square n x n matmul per step; per_step counts its FLOPs."""

    window_scale = 0.3  # its rate is steady: shorter windows than the training pipelines

    def __init__(self, dtype, n, device):
        self.a = torch.randn(n, n, device=device).to(dtype)
        self.b = torch.randn(n, n, device=device).to(dtype)
        self.per_step = 2 * n**3

    def step(self):
        self.a @ self.b


def gemm_sizes_gflops(dtype, device, sizes, reps) -> dict:
    """{n: GFLOP/s, median of `reps` matmuls}: to pick the size the peak is timed at."""
    out = {}
    for n in sizes:
        g = GemmPipeline(dtype, n, device)
        g.step()  # warm-up (primitive creation)
        times = [_time_window(g.step, 1, device)[0] for _ in range(reps)]
        out[n] = g.per_step / statistics.median(times) / 1e9
    return out


def train_flops_per_image(name, batch=4) -> float:
    """FLOPs of one training step per image (forward + backward, matmuls and convolutions)."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.random.fork_rng(devices=[]):
        model = create_model(name)
    x = torch.randn(batch, 3, CROP_SIZE, CROP_SIZE)
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), torch.zeros(batch, dtype=torch.long)).backward()
    return counter.get_total_flops() / batch


def _time_window(step, steps, device):
    reset_peak_memory(device)
    sync(device)
    t = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return time.perf_counter() - t, peak_memory_mb(device)


def alternate(pipelines: dict, device, rounds, window_s, warmup, fixed_steps=None) -> dict:
    """Warm each pipeline up, then time windows alternately (the order flips every round).

    A pipeline has step() and per_step (images, or FLOPs, per step). Returns, per pipeline:
    rates (per second, one per window), median, steps per window, peak_mem_mb, warmup_s.
    """
    out = {}
    for key, p in pipelines.items():
        t0 = time.perf_counter()
        for _ in range(warmup):
            p.step()
        sync(device)
        first = time.perf_counter() - t0
        dt, _ = _time_window(p.step, 1, device)  # one more step, to size the windows
        steps = fixed_steps or max(1, round(window_s * getattr(p, "window_scale", 1.0) / dt))
        out[key] = {"rates": [], "steps": steps, "peak_mem_mb": 0.0, "warmup_s": first}
    keys = list(pipelines)
    for r in range(rounds):
        for key in (keys if r % 2 == 0 else keys[::-1]):
            dt, mem = _time_window(pipelines[key].step, out[key]["steps"], device)
            out[key]["rates"].append(out[key]["steps"] * pipelines[key].per_step / dt)
            if mem is not None:
                out[key]["peak_mem_mb"] = max(out[key]["peak_mem_mb"], mem)
    for v in out.values():
        v["median"] = statistics.median(v["rates"])
    return out


# ---------------------------------------------------------------------------- benchmark
def _loadavg():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def bench_model(name, args, device, gemm) -> dict:
    """Reference, ours and the GEMM peak of ours' dtype (and fp32), timed alternately."""
    images, labels = random_uint8_images(args.n_train, seed=0)
    load0 = _loadavg()
    pipes = {"reference": ReferencePipeline(name, images, labels, args.batch_size, device,
                                            args.workers),
             "ours": OursPipeline(name, as_dataset(images, labels), args.batch_size, device,
                                  args.precision, args.compile)}
    precision, conv = pipes["ours"].precision, pipes["ours"].config.conv
    for dtype in {"fp32", precision}:  # the peak, timed in the same rounds as the training
        pipes[f"gemm_{dtype}"] = GemmPipeline(DTYPES[dtype], gemm[dtype]["n"], device)
    warmup = args.warmup + (2 if args.compile else 0)
    res = alternate(pipes, device, args.rounds, args.window, warmup, args.steps)
    del pipes
    gc.collect()
    flops = train_flops_per_image(name)
    if device.type == "cuda":  # max_memory_allocated during the windows
        mem = {k: {"peak_mb": res[k]["peak_mem_mb"]} for k in ("ours", "reference")}
    else:  # peak RSS of a fresh process running the pipeline
        mem = {k: run_memory_probe(k, name, args) for k in ("ours", "reference")}
    ours, ref = res["ours"]["median"], res["reference"]["median"]
    peak, peak32 = res[f"gemm_{precision}"]["median"] / 1e9, res["gemm_fp32"]["median"] / 1e9
    return {
        "ours_img_s": ours,
        "reference_img_s": ref,
        "ratio": ours / ref,
        "ours_gflop_s": ours * flops / 1e9,
        "reference_gflop_s": ref * flops / 1e9,
        "peak_fraction": ours * flops / 1e9 / peak,            # vs the GEMM peak of ours' dtype
        "reference_peak_fraction": ref * flops / 1e9 / peak32,  # vs the fp32 GEMM peak
        "train_gflop_per_image": flops / 1e9,
        "gemm_peak_gflop_s": peak,
        "gemm_peak_fp32_gflop_s": peak32,
        "gemm_n": gemm[precision]["n"],
        # CPU: peak RSS increase over a bare `import torch` process; CUDA: max allocated
        "ours_peak_mem_mb": mem["ours"].get("increase_mb", mem["ours"].get("peak_mb")),
        "reference_peak_mem_mb": mem["reference"].get("increase_mb", mem["reference"].get("peak_mb")),
        "ours_peak_rss_mb": mem["ours"].get("peak_rss_mb"),
        "reference_peak_rss_mb": mem["reference"].get("peak_rss_mb"),
        "ours_window_img_s": res["ours"]["rates"],
        "reference_window_img_s": res["reference"]["rates"],
        "gemm_window_gflop_s": [g / 1e9 for g in res[f"gemm_{precision}"]["rates"]],
        "ours_steps_per_window": res["ours"]["steps"],
        "reference_steps_per_window": res["reference"]["steps"],
        "ours_warmup_s": res["ours"]["warmup_s"],
        "precision": precision,
        "reference_precision": "fp32",
        "memory_format": "channels_last" if conv else "contiguous",
        "compile": args.compile,
        "batch_size": args.batch_size,
        "workers": args.workers,
        "threads": torch.get_num_threads(),
        "device": str(device),
        "loadavg_1min": [load0, _loadavg()],  # before, after: other jobs on the machine
    }


class _Sequential:
    """K train() runs one after another; per_step: images trained on in one step()."""

    def __init__(self, configs, dataset, device):
        self.configs, self.dataset, self.device = configs, dataset, device
        self.per_step = sum(c.n_train * c.max_epochs for c in configs)

    def step(self):
        from ..train import train
        for c in self.configs:
            train(c, device=self.device, progress=False, dataset=self.dataset)


class _Vectorised(_Sequential):
    def step(self):
        from ..sweep import train_sweep
        train_sweep(self.configs, device=self.device, progress=False, dataset=self.dataset)


def bench_sweep(vary, args, device) -> dict:
    """K copies of a model for `sweep_epochs` epochs: one vectorised run vs K train() calls."""
    k, name = args.sweep_k, args.sweep_model
    images, labels = random_uint8_images(args.sweep_n + 256, seed=1)
    dataset = as_dataset(images, labels)
    load0 = _loadavg()
    common = dict(model=name, dataset="cifar10", n_train=args.sweep_n, n_test=256,
                  batch_size=args.batch_size, max_epochs=args.sweep_epochs,
                  target_train_acc=None, precision=args.precision)
    if vary == "labels":  # K corruption levels, one seed: one shuffle order, shared inputs
        configs = [RunConfig(corruption="labels", level=i / max(k - 1, 1), **common)
                   for i in range(k)]
    elif vary == "seeds":  # K seeds: K inits and K shuffle orders
        configs = [RunConfig(corruption="labels", level=1.0, seed=s, **common)
                   for s in range(k)]
    else:
        raise ValueError(f"unknown sweep variant {vary!r}")
    pipes = {"reference": _Sequential(configs, dataset, device),
             "ours": _Vectorised(configs, dataset, device)}
    res = alternate(pipes, device, args.sweep_rounds, 0.0, 1, fixed_steps=1)
    ours, ref = res["ours"]["median"], res["reference"]["median"]
    precision = resolve_precision(args.precision, device)
    gemm = GemmPipeline(DTYPES[precision], args.gemm[precision]["n"], device)
    peak = alternate({"gemm": gemm}, device, 3, args.window, 1, args.steps)["gemm"]["median"]
    return {
        "ours_img_s": ours, "reference_img_s": ref, "ratio": ours / ref,
        "peak_fraction": ours * train_flops_per_image(name) / peak,
        "kind": f"sweep: {k} copies of {name} differing in {vary}, vectorised (ours) vs one "
                f"after another through train() (reference), {args.sweep_epochs} epochs of "
                f"{args.sweep_n} images each, per-epoch evaluation included",
        "k": k, "model": name, "vary": vary, "epochs": args.sweep_epochs,
        "n_train": args.sweep_n,
        "ours_window_img_s": res["ours"]["rates"],
        "reference_window_img_s": res["reference"]["rates"],
        "gemm_peak_gflop_s": peak / 1e9,
        "precision": precision, "threads": torch.get_num_threads(), "device": str(device),
        "loadavg_1min": [load0, _loadavg()],
    }


