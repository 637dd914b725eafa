"""Per-epoch metric rows and the run summary: what a stored run holds and how it is measured.

Time to fit is measured three ways (issue 8), each as the SGD step at the end of the first
epoch where it holds:
- steps_to_loss: the epoch's mean minibatch training loss <= FIT_LOSS (the metric of the
  public Fig. 1a reproduction the book quotes);
- steps_to_99 / steps_to_fit: the epoch's running training accuracy >= 99% / = 100%.
Running accuracy = the predictions each SGD step was computed from (train mode: BatchNorm
uses the batch's statistics, so no running-statistics lag), over the whole epoch.
"""
from __future__ import annotations

import math
import platform

import torch

FIT_LOSS = 0.01  # training-loss threshold of the loss-based time to fit
SUMMARY_VERSION = 2  # bump when what a summary must hold changes


def epoch_row(epoch, step, lr, train_loss, wall, correct, test_correct, test_loss, mask,
              eval_seconds) -> dict:
    """One metrics row; correct: per-training-example bool of this epoch's running

    predictions, test_correct: per-example bool on the curve test images, mask: corrupted."""
    def acc(c):
        return c.float().mean().item() if c.numel() else None

    return {
        "epoch": epoch,                      # epochs completed
        "step": step,                        # SGD steps completed
        "lr": lr,                            # learning rate used in this epoch
        "train_loss": train_loss,            # mean minibatch loss during the epoch (train mode)
        "train_acc": acc(correct),           # running accuracy over the epoch (train mode)
        "clean_acc": acc(correct[~mask]),    # ... on examples whose label/image is intact
        "corrupted_acc": acc(correct[mask]), # ... on corrupted examples (their new labels)
        "test_loss": test_loss,              # curve test subset, eval mode
        "test_acc": acc(test_correct),       # curve test subset, eval mode
        "wall_seconds": wall,                # cumulative training + evaluation time
        "eval_seconds": eval_seconds,        # cumulative evaluation time (curve test subset)
    }


def reached(row: dict, config) -> bool:
    """The stopping rule: every target the config sets holds for this epoch."""
    targets = []
    if config.target_train_acc is not None:
        targets.append(row["train_acc"] >= config.target_train_acc - 1e-12)
    if config.target_train_loss is not None:
        targets.append(row["train_loss"] <= config.target_train_loss)
    return bool(targets) and all(targets)


def first_step(metrics: list[dict], key: str, threshold: float, below: bool = False):
    """Step at the end of the first epoch whose `key` is >= threshold (<= when below)."""
    for r in metrics:
        v = r.get(key)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if (v <= threshold) if below else (v >= threshold - 1e-12):
            return r["step"]
    return None


def _meets(v, threshold: float, below: bool) -> bool | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return (v <= threshold) if below else (v >= threshold - 1e-12)


def held_row(metrics: list[dict], key: str, threshold: float, below: bool = False):
    """The first epoch's row after which `key` meets the threshold at every later epoch, to the
    end of the run (the paper's "time to fit": a curve that touches the mark and leaves it
    again has not fitted then); None when the last measured epoch does not meet it."""
    found = None
    for r in metrics:
        ok = _meets(r.get(key), threshold, below)
        if ok is None:
            continue
        if not ok:
            found = None
        elif found is None:
            found = r
    return found


# the three times to fit (issue 8), as (metric key, threshold, below)
FIT_MARKS = {"steps_to_loss": ("train_loss", FIT_LOSS, True),
             "steps_to_99": ("train_acc", 0.99, False),
             "steps_to_fit": ("train_acc", 1.0, False)}


def time_to_fit(metrics: list[dict], mark: str = "steps_to_fit", unit: str = "step"):
    """A run's time to fit by `mark` (FIT_MARKS), held to the end: in SGD steps ("step") or
    epochs ("epoch"); None when the mark does not hold at the run's last epoch.

    The summary's steps_to_* are first crossings (what the stored runs record); the book's
    times to fit are these."""
    if mark not in FIT_MARKS:
        raise ValueError(f"unknown mark {mark!r}; valid marks: {', '.join(FIT_MARKS)}")
    if unit not in ("step", "epoch"):
        raise ValueError(f"unit must be 'step' or 'epoch', got {unit!r}")
    row = held_row(metrics, *FIT_MARKS[mark])
    return None if row is None else int(row[unit])


def cpu_flags() -> set[str]:
    """The instruction-set flags of this CPU (/proc/cpuinfo; empty where it is not there)."""
    try:
        with open("/proc/cpuinfo") as f:
            return set(next((line for line in f if line.startswith("flags")), "").split())
    except OSError:
        return set()


# Widest first: what decides a CPU's speed here and whether its bf16 is native.
CPU_ISAS = (("amx_bf16", "AMX"), ("avx512_bf16", "AVX-512 BF16"), ("avx512f", "AVX-512"),
            ("avx2", "AVX2"))
NATIVE_BF16 = ("AMX", "AVX-512 BF16")  # the ISAs whose bf16 matmul is native, not emulated


def cpu_isa(flags: set[str] | None = None) -> str:
    """The CPU's widest matrix instruction set by CPU_ISAS, or "" when it has none of them.
    One model name (say "AMD EPYC") covers machines with and without native bf16."""
    flags = cpu_flags() if flags is None else flags
    return next((name for flag, name in CPU_ISAS if flag in flags), "")


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_summary(config, metrics, step_losses, final: dict, final_seconds: float, device,
                precision, threads, n_train, n_test, n_curve_test, fraction_corrupted) -> dict:
    """The summary of a finished (or stopped) run from its per-epoch rows and final eval."""
    from . import __version__

    last = metrics[-1]
    wall = last["wall_seconds"] + final_seconds
    return {
        "summary_version": SUMMARY_VERSION,
        "run_id": config.run_id,
        "epochs": len(metrics),
        "steps": len(step_losses),
        "fitted": reached(last, config),
        "steps_to_fit": first_step(metrics, "train_acc", 1.0),
        "steps_to_99": first_step(metrics, "train_acc", 0.99),
        "steps_to_loss": first_step(metrics, "train_loss", FIT_LOSS, below=True),
        "fit_loss": FIT_LOSS,
        "final_train_acc_running": last["train_acc"],
        "final_train_loss_running": last["train_loss"],
        "last_lr": last["lr"],
        "best_curve_test_acc": max(r["test_acc"] for r in metrics),
        **final,
        "wall_seconds": wall,
        "eval_seconds": last["eval_seconds"] + final_seconds,
        "device": str(device),
        "device_name": (torch.cuda.get_device_name(device) if device.type == "cuda"
                        else cpu_name()),
        "precision": precision,
        "threads": threads,
        "torch_version": torch.__version__,
        "rethink_version": __version__,
        "n_train": n_train,
        "n_test": n_test,
        "n_curve_test": n_curve_test,
        "fraction_corrupted": fraction_corrupted,
    }
