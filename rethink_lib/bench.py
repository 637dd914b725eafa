"""Training throughput: the report's per-sample pipeline against our trainer, on this machine.

    python -m rethink_lib bench [--quick] [--json] [--models inception_small,mlp_1x512]
                                [--device cpu] [--precision bf16] [--batch-size 128]
                                [--compile] [--sweep]

Both pipelines train each model on the same random CIFAR-shaped data (uint8 3x32x32
stored, centre crop to 28x28, per-image standardisation), so no data set is needed:

(a) reference: what the report's own code does. A torchvision-style Dataset builds every
    sample in `__getitem__` (PIL image -> CenterCrop(28) -> ToTensor -> per-image
    standardisation), a torch DataLoader (shuffle; num_workers=0 by default, the loading
    then runs in the training process: on 2 cores a worker only takes CPU from the math)
    collates the batches, fp32, contiguous tensors, a plain forward/backward/SGD loop.
(b) ours: rethink_lib.train's own step path (prepare_data, init_model, make_optimizer,
    _batches, train_batch, train_step): inputs standardised once and held as one tensor,
    batches by index, channels_last for conv models, bf16 autocast (--precision), fused
    SGD, optionally torch.compile. The per-epoch evaluation of train() is not timed.

Both live in one process and run in alternating windows (a b, b a, a b, ...) after a
warm-up, each window about --window seconds, so that the load of other jobs on a shared
machine hits both alike; we report the median images/second over the windows and their
ratio. GFLOP/s count the FLOPs of one training step (forward + backward, from
torch.utils.flop_counter.FlopCounterMode: convolutions and matrix products only) and are
set against a GEMM peak measured here: square fp32 and bf16 matmuls, the best of a few
sizes, timed again in the same alternating rounds as the training. Memory on the CPU is
the peak resident set of a fresh process (`python -c`) that builds the pipeline and runs
a few steps, less that of the bare `import torch` (in one process RSS keeps the
high-water mark of whatever ran before); on a GPU, torch.cuda.max_memory_allocated during
the pipeline's windows.

`--json` prints one JSON object: model name -> {ours_img_s, reference_img_s, ratio,
peak_fraction, ...}; with --sweep also `sweep_labels_<model>_k<K>` (and `..._seeds_...`)
entries where "ours" is the vectorised sweep and "reference" the K runs one after another.
"""
from __future__ import annotations

import argparse
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

from .config import RunConfig, default_lr
from .data import CROP_SIZE, STORED_SIZE, Dataset, Split, per_image_standardization
from .models import create_model, list_models
from .train import (_batches, init_model, make_optimizer, prepare_data, resolve_device,
                    resolve_precision, train_batch, train_step)

PAPER_MODELS = ["inception_small", "alexnet_small", "mlp_1x512", "mlp_3x512"]
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ data
def random_uint8_images(n: int, seed: int = 0, num_classes: int = 10):
    """(n, 32, 32, 3) uint8 HWC images as torchvision's CIFAR10.data holds them, and labels."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, STORED_SIZE, STORED_SIZE, 3), generator=g, dtype=torch.uint8)
    return images, torch.randint(0, num_classes, (n,), generator=g)


def as_dataset(images: torch.Tensor, labels: torch.Tensor, n_test: int = 256) -> Dataset:
    """The same images in the library's stored layout: float (N, 3, 32, 32) in [0, 1]."""
    x = images.permute(0, 3, 1, 2).float().div_(255.0).contiguous()
    return Dataset("random", Split(x, labels), Split(x[:n_test], labels[:n_test]), 10)


# ------------------------------------------------------------------- (a) reference pipeline
class StandardiseImage:
    """Per-image standardisation of one (C, H, W) tensor (a picklable transform)."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return per_image_standardization(x[None])[0]


class PerSampleDataset(torch.utils.data.Dataset):
    """torchvision-style: uint8 HWC array, one PIL image + transforms per __getitem__."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
        import torchvision.transforms as T

        self.images = images.numpy()
        self.labels = labels.tolist()
        self.transform = T.Compose([T.CenterCrop(CROP_SIZE), T.ToTensor(), StandardiseImage()])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        from PIL import Image

        return self.transform(Image.fromarray(self.images[i])), self.labels[i]


def _stock_lrn(model: torch.nn.Module) -> torch.nn.Module:
    """The report's code uses torch's own nn.LocalResponseNorm: swap ours back for it."""
    from .models.alexnet import LocalResponseNorm
    for parent in list(model.modules()):
        for child_name, child in parent.named_children():
            if isinstance(child, LocalResponseNorm):
                setattr(parent, child_name, torch.nn.LocalResponseNorm(
                    child.size, alpha=child.alpha, beta=child.beta, k=child.k))
    return model


class ReferencePipeline:
    """DataLoader + fp32 contiguous model + plain loop; `step()` trains on one batch."""

    def __init__(self, name, images, labels, batch_size, device, workers=0, seed=0):
        self.device, self.per_step = device, batch_size
        self.loader = torch.utils.data.DataLoader(
            PerSampleDataset(images, labels), batch_size=batch_size, shuffle=True,
            drop_last=True, num_workers=workers, persistent_workers=workers > 0,
            generator=torch.Generator().manual_seed(seed))
        with torch.random.fork_rng(devices=_rng_devices(device)):
            torch.manual_seed(seed)
            self.model = _stock_lrn(create_model(name)).to(device)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=default_lr(name), momentum=0.9)
        self._it = iter(())

    def step(self):
        batch = next(self._it, None)
        if batch is None:  # a new epoch
            self._it = iter(self.loader)
            batch = next(self._it)
        x, y = batch[0].to(self.device), batch[1].to(self.device)
        loss = F.cross_entropy(self.model(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()


# ------------------------------------------------------------------------ (b) our trainer
class OursPipeline:
    """rethink_lib.train's step path, exactly as train() runs it (minus the per-epoch eval)."""

    def __init__(self, name, dataset, batch_size, device, precision, compile=False, seed=0):
        self.config = RunConfig(model=name, dataset="cifar10",
                                batch_size=batch_size, precision=precision, seed=seed)
        self.device, self.per_step = device, batch_size
        self.precision = resolve_precision(precision, device)
        self.mem = torch.channels_last if self.config.conv else torch.contiguous_format
        self.data = prepare_data(self.config, device, self.mem, dataset)
        with torch.random.fork_rng(devices=_rng_devices(device)):
            self.model = init_model(self.config, self.data.num_classes, device, self.mem)
        self.opt = make_optimizer(self.model, self.config, device)
        self.step_fn = torch.compile(self.model) if compile else self.model
        self.shuffle_gen = torch.Generator().manual_seed(seed + 1)
        self._it = iter(())

    def step(self):
        idx = next(self._it, None)
        if idx is None:  # a new epoch
            self._it = iter(_batches(len(self.data.train_labels), self.config.batch_size,
                                     self.shuffle_gen))
            idx = next(self._it)
        idx = idx.to(self.device)
        x = train_batch(self.data, idx, self.config, self.mem)
        train_step(self.step_fn, self.opt, x, self.data.train_labels[idx], self.precision,
                   self.device)


# -------------------------------------------------------------------- measuring helpers
def _rng_devices(device):
    return [device.index or 0] if device.type == "cuda" else []


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
        from .train import train
        for c in self.configs:
            train(c, device=self.device, progress=False, dataset=self.dataset)


class _Vectorised(_Sequential):
    def step(self):
        from .sweep import train_sweep
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


# ------------------------------------------------------------------------------ report
def markdown_table(results: dict) -> str:
    lines = ["| model | reference img/s | ours img/s | ratio | ours GFLOP/s | GEMM peak GFLOP/s "
             "| peak fraction | reference memory MB | ours memory MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        if name.startswith("sweep_"):
            continue
        lines.append(f"| {name} ({r['precision']}) | {r['reference_img_s']:,.0f} | "
                     f"{r['ours_img_s']:,.0f} | {r['ratio']:.2f}x | {r['ours_gflop_s']:,.0f} | "
                     f"{r['gemm_peak_gflop_s']:,.0f} | {r['peak_fraction']:.0%} | "
                     f"{r['reference_peak_mem_mb']:,.0f} | {r['ours_peak_mem_mb']:,.0f} |")
    lines += ["", "Memory: on the CPU the peak resident set of a fresh process running the "
              "pipeline, less that of a bare `import torch`; on a GPU torch.cuda.max_memory_allocated."]
    sweeps = {k: v for k, v in results.items() if k.startswith("sweep_")}
    if sweeps:
        lines += ["", "| sweep | one after another img/s | vectorised img/s | speed-up |",
                  "|---|---:|---:|---:|"]
        for name, r in sweeps.items():
            lines.append(f"| {name} ({r['precision']}) | {r['reference_img_s']:,.0f} | "
                         f"{r['ours_img_s']:,.0f} | {r['ratio']:.2f}x |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rethink_lib bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="short windows, few rounds (< 2 min on 2 cores)")
    p.add_argument("--json", action="store_true", help="print one JSON object (progress to stderr)")
    p.add_argument("--models", default=",".join(PAPER_MODELS),
                   help="comma-separated names or patterns (default: the paper's four)")
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", choices=["fp32", "bf16", "auto"], default="bf16",
                   help="our pipeline's precision (the reference is always fp32)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--compile", action="store_true", help="torch.compile our model")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: as is)")
    p.add_argument("--workers", type=int, default=0, help="reference DataLoader workers")
    p.add_argument("--n-train", type=int, default=None, help="random images (default 16 batches)")
    p.add_argument("--rounds", type=int, default=None, help="alternating windows per pipeline")
    p.add_argument("--window", type=float, default=None, help="seconds per window")
    p.add_argument("--steps", type=int, default=None, help="fixed steps per window")
    p.add_argument("--warmup", type=int, default=2, help="warm-up steps per pipeline")
    p.add_argument("--gemm-sizes", default=None, help="matmul sizes for the peak, e.g. 1024,2048")
    p.add_argument("--sweep", action="store_true", help="also time vectorised sweeps")
    p.add_argument("--sweep-model", default="mlp_1x512")
    p.add_argument("--sweep-k", type=int, default=8)
    p.add_argument("--sweep-n", type=int, default=None, help="images per sweep copy")
    p.add_argument("--sweep-epochs", type=int, default=None)
    p.add_argument("--sweep-rounds", type=int, default=None)
    p.add_argument("--sweep-vary", default="labels,seeds", help="labels, seeds or both")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    quick = args.quick
    args.n_train = args.n_train or 16 * args.batch_size
    args.rounds = args.rounds or (3 if quick else 7)
    args.window = args.window or (1.0 if quick else 4.0)
    args.sweep_n = args.sweep_n or (1024 if quick else 4096)
    args.sweep_epochs = args.sweep_epochs or (2 if quick else 3)
    args.sweep_rounds = args.sweep_rounds or (3 if quick else 5)
    sizes = [int(s) for s in (args.gemm_sizes or ("1024,2048" if quick else "512,1024,2048")).split(",")]
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        device = resolve_device(args.device)
        names = []
        for pattern in args.models.split(","):
            found = list_models(pattern.strip())
            if not found:
                raise ValueError(f"no model matches {pattern!r}; valid names: {', '.join(list_models())}")
            names += [n for n in found if n not in names]
        bad = set(args.sweep_vary.split(",")) - {"labels", "seeds"}
        if bad:
            raise ValueError(f"--sweep-vary takes labels and/or seeds, got {sorted(bad)}")
    except (ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    log(f"bench: {device}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
        f"models {', '.join(names)}; load average {_loadavg()}")
    load = _loadavg()
    if load is not None and load > 0.5:
        log(f"bench: load average {load}: other jobs are running; the numbers will be low and "
            "noisy" + (" (with several threads a process waits at every OpenMP barrier for its "
                       "descheduled threads: try --threads 1)" if torch.get_num_threads() > 1 else ""))
    args.gemm = {}  # per dtype: GFLOP/s by size, and the best size, timed again with each model
    for key, dtype in DTYPES.items():
        by_size = gemm_sizes_gflops(dtype, device, sizes, 3)
        args.gemm[key] = {"by_size": by_size, "n": max(by_size, key=by_size.get)}
        log(f"GEMM {key}: " + ", ".join(f"n={n} {g:,.0f} GFLOP/s" for n, g in by_size.items()))
    results = {}
    for name in names:
        results[name] = r = bench_model(name, args, device, args.gemm)
        log(f"{name}: reference {r['reference_img_s']:,.0f} img/s, ours {r['ours_img_s']:,.0f} "
            f"img/s ({r['ratio']:.2f}x), {r['ours_gflop_s']:,.0f} GFLOP/s = "
            f"{r['peak_fraction']:.0%} of the {r['precision']} GEMM peak "
            f"({r['gemm_peak_gflop_s']:,.0f})")
    if args.sweep:
        for vary in args.sweep_vary.split(","):
            key = f"sweep_{vary}_{args.sweep_model}_k{args.sweep_k}"
            results[key] = r = bench_sweep(vary, args, device)
            log(f"{key}: one after another {r['reference_img_s']:,.0f} img/s, vectorised "
                f"{r['ours_img_s']:,.0f} img/s ({r['ratio']:.2f}x)")
    log(f"bench: {time.perf_counter() - t0:.0f} s, load average {_loadavg()}")
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
