"""Figures for the core-library issue: time and peak memory of
(1) fitting mlp_1x512 to 100% train accuracy on 5,000 randomly labelled Fashion-MNIST images,
(2) one epoch of inception_small on 5,000 images.

    .venv/bin/python scripts/measure_core.py [--threads 2] [--precision bf16]
Each measurement runs in a fresh subprocess so that peak RSS is its own.
"""
import argparse
import json
import resource
import subprocess
import sys
import time


def child(which: str, precision: str, threads: int) -> None:
    import torch
    torch.set_num_threads(threads)
    from rethink_lib.config import RunConfig
    from rethink_lib.train import train
    if which == "mlp_fit":
        config = RunConfig(model="mlp_1x512", corruption="random_labels", n_train=5000,
                           n_test=1000, max_epochs=400, lr_decay=0.99, precision=precision)
    else:
        config = RunConfig(model="inception_small", corruption="true_labels", n_train=5000,
                           n_test=1000, max_epochs=1, target_train_acc=None, precision=precision)
    t = time.perf_counter()
    out = train(config, device="cpu", progress=False)
    wall = time.perf_counter() - t
    s = out.summary
    print(json.dumps({"measure": which, "precision": precision, "threads": threads,
                      "wall_seconds_total": round(wall, 1),
                      "train_eval_seconds": round(s["wall_seconds"], 1),
                      "epochs": s["epochs"], "steps_to_fit": s["steps_to_fit"],
                      "final_train_acc": s["final_train_acc"],
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", default="bf16")
    p.add_argument("--child", default=None)
    a = p.parse_args()
    if a.child:
        return child(a.child, a.precision, a.threads)
    for which in ("mlp_fit", "inception_epoch"):
        subprocess.run([sys.executable, __file__, "--child", which, "--threads", str(a.threads),
                        "--precision", a.precision], check=True)


if __name__ == "__main__":
    main()
