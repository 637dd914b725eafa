"""Predicted GPU-hours of a profile on a Ray cluster: an estimate, labelled as one.

    python -m rethink_lib.executors.estimate [--profile paper] [--gpus 8]
    python -m rethink_lib.executors.estimate --write docs/runbook-ray.md   # refresh its table

No GPU time has been measured for this project yet (rethink_lib/cost_table.json has CPU
entries only), so the per-epoch seconds on an H100 are extrapolated from FLOPs:
- training FLOPs per image (forward + backward) and forward FLOPs per image (evaluation)
  counted by torch's FlopCounterMode on each model (bench.train_flops_per_image);
- NVIDIA's published dense bf16 Tensor Core peak of the H100 SXM, H100_BF16_PEAK;
- an assumed fraction of that peak that small 28x28 models at batch 128 reach, two
  scenarios (UTILISATION), and a floor per SGD step for eager PyTorch: the aten operations
  of one training step (counted here, forward + backward + SGD) times an assumed
  OP_OVERHEAD_S each (dispatch and kernel launch: what bounds tiny models such as the
  MLPs).
These per-image costs go into the same predictor as `make_runs --dry-run`
(costs.predict_seconds: epochs per run from stored evidence, else half the epoch cap).
When scripts/gpu_check.sh has run on a GPU, its measured full-epoch times
(docs/benchmark-gpu.json) replace the FLOP extrapolation for the models it timed.
"""
from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

from ..costs import expected_epochs, predict_seconds
from ..experiments import all_configs, resolve

H100_BF16_PEAK = 989e12   # FLOP/s, dense bf16 Tensor Core, H100 SXM (NVIDIA datasheet)
UTILISATION = {"optimistic": 0.30, "pessimistic": 0.05}  # assumed fractions of that peak
OP_OVERHEAD_S = 10e-6     # assumed least seconds per aten op of an eager step (launch-bound)
BATCH = 128
MEASURED = Path(__file__).resolve().parents[2] / "docs" / "benchmark-gpu.json"
BEGIN, END = "<!-- estimate:begin -->", "<!-- estimate:end -->"


def forward_flops_per_image(name: str, batch: int = 4) -> float:
    import torch
    import torch.nn.functional as F
    from torch.utils.flop_counter import FlopCounterMode

    from ..data import CROP_SIZE
    from ..models import create_model
    with torch.random.fork_rng(devices=[]):
        model = create_model(name).eval()
    x = torch.randn(batch, 3, CROP_SIZE, CROP_SIZE)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        F.cross_entropy(model(x), torch.zeros(batch, dtype=torch.long))
    return counter.get_total_flops() / batch


def ops_per_step(name: str, batch: int = 2) -> int:
    """aten operations (~ GPU kernels) of one eager training step: forward, loss, backward,
    fused SGD; counted with a dispatch mode on the CPU."""
    import torch
    import torch.nn.functional as F
    from torch.utils._python_dispatch import TorchDispatchMode

    from ..data import CROP_SIZE
    from ..models import create_model

    class Count(TorchDispatchMode):
        n = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.n += 1
            return func(*args, **(kwargs or {}))

    with torch.random.fork_rng(devices=[]):
        model = create_model(name)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, fused=True)
    x, y = torch.randn(batch, 3, CROP_SIZE, CROP_SIZE), torch.zeros(batch, dtype=torch.long)
    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # the first step creates the momentum buffers
    with Count():
        step()
    return Count.n


def model_costs(models, utilisation: float, measured: dict | None = None) -> dict:
    """A cost-table entry ({"models": {name: seconds per 1,000 images}}) for the H100."""
    from ..bench import train_flops_per_image
    out = {}
    for m in models:
        train_f, fwd_f, ops = train_flops_per_image(m), forward_flops_per_image(m), _ops(m)
        per_1k = max(1000 * train_f / (H100_BF16_PEAK * utilisation),
                     1000 / BATCH * ops * OP_OVERHEAD_S)
        source = "FLOPs"
        if measured and m in measured:  # a measured 50,000-image epoch
            per_1k, source = measured[m] / 50, "measured"
        evaluation = per_1k * fwd_f / train_f  # forward only, same achieved rate
        out[m] = {"train_s_per_1k": per_1k, "eval_s_per_1k": evaluation,
                  "final_eval_s_per_1k": evaluation, "source": source,
                  "train_gflop_per_image": train_f / 1e9, "ops_per_step": ops}
    return {"models": out}


_OPS: dict = {}


def _ops(name: str) -> int:
    if name not in _OPS:
        _OPS[name] = ops_per_step(name)
    return _OPS[name]


def measured_epochs(path: Path = MEASURED) -> dict:
    """{model: seconds per 50,000-image epoch} from a full (not --quick) gpu_check on CUDA."""
    if not path.exists():
        return {}
    r = json.loads(path.read_text())
    if r.get("quick") or not str(r.get("device", "")).startswith("cuda"):
        return {}
    best = {}
    for e in r.get("epochs", []):
        if "epoch_s" in e and not e.get("extrapolated"):
            best[e["model"]] = min(best.get(e["model"], math.inf), e["epoch_s"])
    return best


def estimate(profile: str = "paper", measured: dict | None = None) -> dict:
    """Per model: runs, predicted epochs, GPU-hours under each utilisation scenario."""
    configs = all_configs(resolve(profile))
    models = sorted({c.model for c in configs})
    rows = {m: {"runs": 0, "epochs": 0.0, "hours": {}} for m in models}
    for c in configs:
        rows[c.model]["runs"] += 1
        rows[c.model]["epochs"] += expected_epochs(c)
    for scenario, u in UTILISATION.items():
        entry = model_costs(models, u, measured)
        for c in configs:
            h = rows[c.model]["hours"]
            h[scenario] = h.get(scenario, 0.0) + predict_seconds(c, entry) / 3600
        for m in models:
            rows[m]["source"] = entry["models"][m]["source"]
            rows[m]["gflop"] = entry["models"][m]["train_gflop_per_image"]
            rows[m]["ops"] = entry["models"][m]["ops_per_step"]
    total = {s: sum(r["hours"][s] for r in rows.values()) for s in UTILISATION}
    return {"profile": profile, "runs": len(configs), "models": rows, "total_hours": total}


def markdown(est: dict, gpus: int = 8) -> str:
    s = list(UTILISATION)
    lines = [f"Estimate for the `{est['profile']}` profile ({est['runs']} runs), one run at a "
             f"time per GPU, H100 assumed. **An extrapolation, not a measurement**: training "
             f"FLOPs per image at {s[0]} {UTILISATION[s[0]]:.0%} / {s[1]} "
             f"{UTILISATION[s[1]]:.0%} of the H100's published {H100_BF16_PEAK / 1e12:.0f} "
             f"TFLOP/s dense bf16, and at least {OP_OVERHEAD_S * 1e6:g} µs per operation of "
             f"an eager training step of {BATCH} images; epochs per run as `make_runs --dry-run` "
             "predicts them (half the epoch cap for runs that stop at 100% when no stored run says better).", "",
             f"| model | runs | predicted epochs | train GFLOP/image | ops/step | per-epoch "
             f"cost from | GPU-hours ({s[0]}) | GPU-hours ({s[1]}) |",
             "|---|---:|---:|---:|---:|---|---:|---:|"]
    for m, r in est["models"].items():
        lines.append(f"| {m} | {r['runs']} | {r['epochs']:,.0f} | {r['gflop']:.3f} | "
                     f"{r['ops']} | {r['source']} | {r['hours'][s[0]]:.1f} | {r['hours'][s[1]]:.1f} |")
    t = est["total_hours"]
    lines += [f"| **all** | {est['runs']} | | | | | **{t[s[0]]:.1f}** | **{t[s[1]]:.1f}** |", "",
              f"On {gpus} GPUs that is about {t[s[0]] / gpus:.1f} to {t[s[1]] / gpus:.1f} hours "
              "of wall clock if the queue keeps every GPU busy (the longest single run sets "
              "a lower bound; fractional GPU shares can shorten it when small runs leave a "
              "GPU idle)."]
    return "\n".join(lines)


def write_block(path: Path, block: str) -> None:
    text = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} has no {BEGIN} ... {END} block")
    path.write_text(pattern.sub(lambda _: f"{BEGIN}\n{block}\n{END}", text))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rethink_lib.executors.estimate",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="paper")
    p.add_argument("--gpus", type=int, default=8, help="GPUs of the cluster (for wall clock)")
    p.add_argument("--write", default=None, help="replace the estimate block of this file")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    est = estimate(args.profile, measured_epochs())
    if args.json:
        print(json.dumps(est, indent=1))
        return 0
    block = markdown(est, args.gpus)
    if args.write:
        write_block(Path(args.write), block)
    print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
