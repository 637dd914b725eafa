"""The benchmark's report and command line: `python -m rethink_lib bench ...` (see
rethink_lib.bench for what it measures)."""
from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from ..models import list_models
from ..train import resolve_device
from .measure import DTYPES, _loadavg, bench_model, bench_sweep, gemm_sizes_gflops
from .pipelines import log

PAPER_MODELS = ["inception_small", "alexnet_small", "mlp_1x512", "mlp_3x512"]


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
    p = argparse.ArgumentParser(prog="python -m rethink_lib bench", description=_package_doc().split("\n\n")[0])
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


def _package_doc() -> str:
    return sys.modules[__package__].__doc__  # the package's docstring (no import circle)
