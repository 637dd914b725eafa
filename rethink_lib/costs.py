"""The measured cost table and run-time predictions for the run queue.

`cost_table.json` (next to this file) holds, per machine (CPU model or GPU name) and
precision, seconds per 1,000 images of one training epoch and of evaluation for each model,
measured by `python -m rethink_lib.costs --measure` (its command and date are stored with
it). Epochs to fit are not known before a run: a run stopped at a target is predicted at
the epochs stored runs of the same model and corruption level needed (any profile,
scaled by nothing), else interpolated linearly between the nearest stored levels below and
above it, else at EPOCH_GUESS of its cap; fixed-epoch runs at their epochs.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

TABLE_PATH = Path(__file__).with_name("cost_table.json")
EPOCH_GUESS = 0.5  # fraction of max_epochs assumed for a stopped run with no stored evidence


def load_table(path: Path = TABLE_PATH) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"machines": {}}


def machine_name(device: str = "cpu") -> str:
    """The cost table's name of this machine: a GPU's name, or the CPU's model name with its
    widest instruction set (one model name covers CPUs with and without native bf16, and
    emulated bf16 is many times slower)."""
    from .metrics import cpu_isa, cpu_name
    if device.startswith("cuda"):
        import torch
        return torch.cuda.get_device_name(0)
    isa = cpu_isa()
    return f"{cpu_name()} ({isa})" if isa else cpu_name()


def machine_entry(table: dict, machine: str, precision: str,
                  model: str | None = None) -> tuple[str, dict] | None:
    """The entry for this machine and precision, else any entry of that precision; with
    `model`, the first of these that has measured that model."""
    machines = table.get("machines", {})
    key = f"{machine} / {precision}"
    candidates = ([(key, machines[key])] if key in machines else []) + [
        (k, v) for k, v in machines.items() if k != key and k.endswith(f"/ {precision}")]
    for k, v in candidates:
        if model is None or model in v.get("models", {}):
            return k, v
    return None


def evidence_key(model, corruption, level, augment, dataset, n_train=None) -> tuple:
    """(model, corruption, level, augmented) on Fashion-MNIST (the first stored profile's
    data, one size), with the data set and the training-set size (None: the whole split)
    appended for any other: epochs to fit depend on both (MLP 1x512 fits CIFAR-10's random
    labels in 65 epochs at 10,000 images, not in 200 at 50,000)."""
    key = (model, corruption, level, augment != "none")
    return key if dataset == "fashion_mnist" else key + (dataset, n_train)


def expected_epochs(config, evidence: dict | None = None) -> float:
    """Epochs a run is predicted to take (see module docstring)."""
    if config.target_train_acc is None and config.target_train_loss is None:
        return config.max_epochs
    key = evidence_key(config.model, config.corruption, config.level, config.augment,
                       config.dataset, config.n_train)
    evidence = evidence or {}
    if key in evidence:
        return min(evidence[key], config.max_epochs)
    # between two stored levels of the same model, corruption, augmentation and data set
    levels = sorted((k[2], e) for k, e in evidence.items()
                    if (k[0], k[1], k[3], k[4:]) == (key[0], key[1], key[3], key[4:]))
    below = [(lv, e) for lv, e in levels if lv < config.level]
    above = [(lv, e) for lv, e in levels if lv > config.level]
    if below and above:
        (l0, e0), (l1, e1) = below[-1], above[0]
        return min(e0 + (e1 - e0) * (config.level - l0) / (l1 - l0), config.max_epochs)
    return EPOCH_GUESS * config.max_epochs


def predict_seconds(config, entry: dict, evidence: dict | None = None) -> float | None:
    """Predicted wall seconds of a whole run (training + per-epoch curve + final eval)."""
    m = entry.get("models", {}).get(config.model)
    if m is None:
        return None
    from .data import get_spec
    full_train, full_test = get_spec(config.dataset).sizes  # whole splits, for n = None
    n = config.n_train or full_train
    n_test = config.n_test or full_test
    n_curve = config.curve_n_test or n_test
    epochs = expected_epochs(config, evidence)
    per_epoch = (m["train_s_per_1k"] * n + m["eval_s_per_1k"] * n_curve) / 1000
    final = m.get("final_eval_s_per_1k", m["eval_s_per_1k"]) * (n + n_test) / 1000
    return epochs * per_epoch + final


def evidence_from_store(results_dir) -> dict:
    """{(model, corruption, level, augmented): epochs} from finished runs in a store that
    stop once fitted, as the store's verified loader accepts them (a damaged run is no
    evidence). Fixed-length runs (learning curves: no stopping target) are left out:
    their epochs say nothing about how long a run takes to fit."""
    from .store_scan import verified_results
    out: dict = {}
    for run in verified_results(results_dir):
        c, epochs = run.config, run.summary["epochs"]
        if c.target_train_acc is None and c.target_train_loss is None:
            continue
        key = evidence_key(c.model, c.corruption, c.level, c.augment, c.dataset, c.n_train)
        out[key] = max(out.get(key, 0), epochs)
    return out


def measure(models, n: int, epochs: int, precision: str, device: str, threads: int,
            dataset: str = "fashion_mnist") -> dict:
    """Time `epochs` epochs of each model on n images of `dataset` (random labels).

    Every data set is brought to 3x32x32 (rethink_lib.data), so a model's cost per image is
    the same on each; the data set is recorded with the entry."""
    import torch

    from .config import RunConfig
    from .train import train
    torch.set_num_threads(threads)
    out = {}
    for model in models:
        c = RunConfig(dataset=dataset, model=model, n_train=n, n_test=1000, curve_n_test=1000, max_epochs=epochs,
                      precision=precision, corruption="labels", level=1.0,
                      target_train_acc=None, lr=0.01, lr_decay=1.0)
        t, cpu0 = time.perf_counter(), time.process_time()
        r = train(c, device=device, progress=False)
        wall = time.perf_counter() - t
        # On a busy machine wall time overstates the cost: scale the trainer's wall-clock
        # split by this process's CPU time over its wall time (CPU runs, 1 thread only).
        scale = 1.0
        if device == "cpu" and threads == 1:
            scale = min(1.0, (time.process_time() - cpu0) / wall)
        s = r.summary
        curve_eval = r.metrics[-1]["eval_seconds"] * scale
        train_s = (s["wall_seconds"] - s["eval_seconds"]) * scale
        final_eval = (s["eval_seconds"] - r.metrics[-1]["eval_seconds"]) * scale
        out[model] = {"train_s_per_1k": round(train_s / epochs / n * 1000, 4),
                      # the curve evaluation covers 1,000 test images per epoch
                      "eval_s_per_1k": round(curve_eval / epochs, 4),
                      "final_eval_s_per_1k": round(final_eval / (n + 1000) * 1000, 4),
                      "measured_wall_s": round(wall, 1), "cpu_over_wall": round(scale, 3),
                      "date": date.today().isoformat(), "dataset": dataset}
        print(model, out[model], flush=True)
    return out


def main(argv=None) -> int:
    from .models import list_models
    p = argparse.ArgumentParser(prog="python -m rethink_lib.costs",
                                description="Measure or print the run-queue cost table.")
    p.add_argument("--measure", action="store_true", help="time the models on this machine")
    p.add_argument("--models", nargs="*", default=None)
    p.add_argument("--n", type=int, default=2000, help="training images per timed epoch")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dataset", default="fashion_mnist", help="data set the epochs run on")
    argv = sys.argv[1:] if argv is None else list(argv)  # recorded with the entry
    args = p.parse_args(argv)
    table = load_table()
    if args.measure:
        models = args.models or list_models()
        machine = machine_name(args.device)
        key = f"{machine} / {args.precision}"
        old = table.get("machines", {}).get(key, {})
        command = "python -m rethink_lib.costs " + " ".join(argv)
        # every command that measured a model of this entry, oldest first (each model also
        # records its own date)
        commands = old.get("commands", [])
        entry = {"threads": args.threads, "date": date.today().isoformat(),
                 "commands": [c for c in commands if c != command] + [command],
                 "models": {**old.get("models", {}),
                            **measure(models, args.n, args.epochs, args.precision, args.device,
                                      args.threads, args.dataset)}}
        table.setdefault("machines", {})[key] = entry
        TABLE_PATH.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(json.dumps(table, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
