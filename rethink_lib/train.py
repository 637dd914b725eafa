"""The one trainer: SGD with per-epoch learning-rate decay, stop at 100% train accuracy.

Speed (issue 4): the whole data set lives on the device as one tensor and batches are
indexed from it; without augmentation the standardised 28x28 inputs are computed once;
crops and jitter run on whole batches. Conv models run channels_last; bf16 autocast is
the default on CUDA and an option on CPU. Evaluation runs without autograd in big batches.

Reproducibility: every random draw comes from generators seeded by `config.seed`
(shuffling and augmentation) or from the global RNG *inside* `torch.random.fork_rng`
(initialisation, dropout), so the caller's RNG is never touched. A checkpoint after every
epoch holds model, optimiser, generators, RNG state and metrics; resuming from it gives the
same numbers as an uninterrupted run on the CPU.
"""
from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from .config import RunConfig
from .corruptions import apply_corruption
from .data import load_dataset, preprocess
from .models import create_model

EVAL_BATCH = 1024  # images per evaluation forward pass


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite."""


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_precision(precision: str, device: torch.device) -> str:
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    return precision


@dataclass
class TrainData:
    """Everything a run trains and evaluates on, already on the device."""
    train_stored: torch.Tensor  # (N, 3, 32, 32) [0, 1]: source of augmented batches
    train_input: torch.Tensor   # (N, 3, 28, 28) standardised centre crops (eval + no-aug)
    train_labels: torch.Tensor  # (N,) possibly corrupted labels
    corrupted: torch.Tensor     # (N,) bool mask of corrupted examples
    test_input: torch.Tensor    # (M, 3, 28, 28)
    test_labels: torch.Tensor   # (M,)
    num_classes: int


def prepare_data(config: RunConfig, device: torch.device, memory_format=torch.contiguous_format,
                 dataset=None) -> TrainData:
    ds = dataset or load_dataset(config.dataset, config.n_train, config.n_test, config.data_seed)
    c = apply_corruption(config.corruption, ds.train, ds.test, config.level, ds.num_classes,
                         config.seed, config.corrupt_test_labels)
    to = dict(device=device, memory_format=memory_format)
    return TrainData(
        train_stored=c.train.images.to(device),
        train_input=preprocess(c.train.images).to(**to),
        train_labels=c.train.labels.to(device),
        corrupted=c.mask.to(device),
        test_input=preprocess(c.test.images).to(**to),
        test_labels=c.test.labels.to(device),
        num_classes=ds.num_classes,
    )


def autocast_context(precision: str, device: torch.device):
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


@torch.inference_mode()
def evaluate(model, x, y, precision, device, batch=EVAL_BATCH):
    """Per-example correctness (bool, (N,)) and mean cross-entropy, in eval mode."""
    was_training = model.training
    model.eval()
    correct, loss_sum = [], torch.zeros((), device=device)
    with autocast_context(precision, device):
        for i in range(0, len(y), batch):
            logits = model(x[i:i + batch]).float()
            loss_sum += F.cross_entropy(logits, y[i:i + batch], reduction="sum")
            correct.append(logits.argmax(1) == y[i:i + batch])
    model.train(was_training)
    return torch.cat(correct), (loss_sum / len(y)).item()


@dataclass
class TrainResult:
    metrics: list[dict]              # one row per epoch
    step_losses: list[float]         # training loss of every SGD step (Fig. 1a)
    summary: dict = field(default_factory=dict)


def _atomic_save(obj, path: Path):
    tmp = path.with_suffix(path.suffix + ".part")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _load_checkpoint(path: Path, config: RunConfig) -> dict:
    """A resumable state for exactly `config`; anything else is an error, never reused."""
    try:
        state = torch.load(path, weights_only=False)
    except Exception as err:
        raise RuntimeError(f"checkpoint {path} is unreadable ({type(err).__name__}: {err}); "
                           "delete it to restart the run from scratch") from None
    if state.get("config") != config.to_dict():
        raise RuntimeError(f"checkpoint {path} belongs to another config than {config.run_id}; "
                           "delete it to restart the run from scratch")
    return state


def _batches(n: int, batch_size: int, gen: torch.Generator):
    """Shuffled index batches; a last batch of one image is folded into the one before

    (BatchNorm cannot train on a single example)."""
    perm = torch.randperm(n, generator=gen)
    cuts = list(range(0, n, batch_size))
    if n - cuts[-1] == 1 and len(cuts) > 1:
        cuts.pop()
    return [perm[a:b] for a, b in zip(cuts, cuts[1:] + [n])]


def init_model(config: RunConfig, num_classes: int, device: torch.device,
               memory_format=torch.contiguous_format) -> torch.nn.Module:
    """The model of `config`, initialised from `config.seed`.

    Seeds the global RNG (dropout draws from it afterwards): call inside `fork_rng`.
    """
    torch.manual_seed(config.seed)
    return create_model(config.model, num_classes=num_classes,
                        **config.model_kwargs()).to(device, memory_format=memory_format)


def make_optimizer(model: torch.nn.Module, config: RunConfig,
                   device: torch.device) -> torch.optim.SGD:
    """SGD with momentum and weight decay.

    fused=True on CPU and CUDA: one kernel per tensor instead of three, the same update
    (bit-identical to the for-loop on the CPU: tests/test_sweep.py).
    """
    return torch.optim.SGD(model.parameters(), lr=config.lr0, momentum=config.momentum,
                           weight_decay=config.weight_decay,
                           fused=True if device.type in ("cpu", "cuda") else None)


def train_batch(data: TrainData, idx: torch.Tensor, config: RunConfig,
                memory_format=torch.contiguous_format, aug_gen: torch.Generator | None = None):
    """Model input (B, 3, 28, 28) for the training examples `idx` (on the device)."""
    if config.augment == "none":
        return data.train_input[idx]  # precomputed standardised centre crops
    return preprocess(data.train_stored[idx], "random",
                      padding=4 if config.augment == "crop_pad4_jitter" else 0,
                      jitter=0.25 if config.augment == "crop_pad4_jitter" else 0.0,
                      generator=aug_gen).contiguous(memory_format=memory_format)


def train_step(step_fn, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               precision: str, device: torch.device) -> torch.Tensor:
    """One SGD step on the batch (x, y); returns the loss as a detached device scalar."""
    with autocast_context(precision, device):
        loss = F.cross_entropy(step_fn(x).float(), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.detach()


def train(config: RunConfig, device="auto", checkpoint: str | Path | None = None,
          progress: bool = True, compile: bool = False, dataset=None,
          stop_after_epochs: int | None = None) -> TrainResult:
    """Train `config` to its stopping rule; resume from `checkpoint` when it exists.

    stop_after_epochs: return early after this many epochs *in this call* (used to test
    kill-and-resume); the checkpoint is left in place.
    """
    device = resolve_device(device)
    precision = resolve_precision(config.precision, device)
    mem = torch.channels_last if config.conv else torch.contiguous_format
    data = prepare_data(config, device, mem, dataset)
    n = len(data.train_labels)
    ckpt_path = Path(checkpoint) if checkpoint else None
    state = _load_checkpoint(ckpt_path, config) if ckpt_path and ckpt_path.exists() else None

    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        model = init_model(config, data.num_classes, device, mem)  # seeds init + dropout
        opt = make_optimizer(model, config, device)
        shuffle_gen = torch.Generator().manual_seed(config.seed + 1)
        aug_gen = torch.Generator(device=device).manual_seed(config.seed + 2)
        metrics, step_losses, epoch0, wall0 = [], [], 0, 0.0
        if state is not None:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            shuffle_gen.set_state(state["shuffle_gen"])
            aug_gen.set_state(state["aug_gen"])
            torch.set_rng_state(state["cpu_rng"])
            if devices and state.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(state["cuda_rng"], device)
            metrics, step_losses = state["metrics"], state["step_losses"]
            epoch0, wall0 = state["epoch"], state["wall_seconds"]
        step_fn = torch.compile(model) if compile else model
        done = bool(metrics) and _reached(metrics[-1], config)

        from tqdm.auto import tqdm
        bar = tqdm(total=config.max_epochs, initial=epoch0, disable=not progress,
                   desc=config.run_id[:48], unit="ep", leave=False)
        epoch, t0 = epoch0, time.perf_counter()
        while not done and epoch < config.max_epochs:
            lr = config.lr0 * config.decay ** epoch
            for g in opt.param_groups:
                g["lr"] = lr
            model.train()
            losses = []  # device scalars; one sync per epoch, not per step
            for idx in _batches(n, config.batch_size, shuffle_gen):
                idx = idx.to(device)
                x = train_batch(data, idx, config, mem, aug_gen)
                losses.append(train_step(step_fn, opt, x, data.train_labels[idx], precision, device))
            losses = torch.stack(losses).float().cpu()
            if not torch.isfinite(losses).all():
                raise TrainingDivergedError(
                    f"{config.run_id}: loss became {losses[~torch.isfinite(losses)][0].item()} "
                    f"in epoch {epoch + 1} (lr {lr:g}); lower the learning rate or use fp32")
            step_losses.extend(losses.tolist())
            epoch += 1
            row = _epoch_row(model, data, precision, device, config, epoch, len(step_losses), lr,
                             losses.mean().item(), wall0 + time.perf_counter() - t0)
            metrics.append(row)
            done = _reached(row, config)
            bar.update(1)
            bar.set_postfix(loss=f"{row['train_loss']:.3f}", train=f"{row['train_acc']:.3f}",
                            test=f"{row['test_acc']:.3f}")
            if ckpt_path:
                _atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                              "shuffle_gen": shuffle_gen.get_state(),
                              "aug_gen": aug_gen.get_state(), "cpu_rng": torch.get_rng_state(),
                              "cuda_rng": torch.cuda.get_rng_state(device) if devices else None,
                              "metrics": metrics, "step_losses": step_losses, "epoch": epoch,
                              "wall_seconds": row["wall_seconds"], "config": config.to_dict()},
                             ckpt_path)
            if stop_after_epochs is not None and epoch - epoch0 >= stop_after_epochs and not done:
                bar.close()
                return TrainResult(metrics, step_losses, {"interrupted": True})
        bar.close()

    summary = run_summary(config, metrics, step_losses, device, precision, n,
                          len(data.test_labels), data.corrupted.float().mean().item())
    return TrainResult(metrics, step_losses, summary)


def run_summary(config: RunConfig, metrics: list[dict], step_losses: list[float],
                device: torch.device, precision: str, n_train: int, n_test: int,
                fraction_corrupted: float) -> dict:
    """The summary of a finished (or stopped) run from its per-epoch rows."""
    last = metrics[-1]
    return {
        "run_id": config.run_id,
        "epochs": len(metrics),
        "steps": len(step_losses),
        "steps_to_fit": last["step"] if _reached(last, config) and config.target_train_acc else None,
        "wall_seconds": last["wall_seconds"],
        "final_train_acc": last["train_acc"],
        "final_test_acc": last["test_acc"],
        "best_test_acc": max(r["test_acc"] for r in metrics),
        "final_clean_acc": last["clean_acc"],
        "final_corrupted_acc": last["corrupted_acc"],
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "precision": precision,
        "torch_version": torch.__version__,
        "n_train": n_train,
        "n_test": n_test,
        "fraction_corrupted": fraction_corrupted,
    }


def _reached(row: dict, config: RunConfig) -> bool:
    return config.target_train_acc is not None and row["train_acc"] >= config.target_train_acc - 1e-12


def _epoch_row(model, data, precision, device, config, epoch, step, lr, train_loss, wall):
    correct, train_eval_loss = evaluate(model, data.train_input, data.train_labels, precision, device)
    test_correct, test_loss = evaluate(model, data.test_input, data.test_labels, precision, device)
    return epoch_row(epoch, step, lr, train_loss, wall, correct, train_eval_loss, test_correct,
                     test_loss, data.corrupted)


def epoch_row(epoch, step, lr, train_loss, wall, correct, train_eval_loss, test_correct, test_loss,
              mask) -> dict:
    """One metrics row; correct/test_correct: per-example bool, mask: corrupted examples."""
    def acc(c):
        return c.float().mean().item() if c.numel() else math.nan

    return {
        "epoch": epoch,                      # epochs completed
        "step": step,                        # SGD steps completed
        "lr": lr,                            # learning rate used in this epoch
        "train_loss": train_loss,            # mean minibatch loss during the epoch (train mode)
        "train_eval_loss": train_eval_loss,  # loss on the whole train set, eval mode
        "train_acc": acc(correct),           # whole train set, eval mode, against its labels
        "clean_acc": acc(correct[~mask]),    # examples whose label/image was not corrupted
        "corrupted_acc": acc(correct[mask]), # corrupted examples (against corrupted labels)
        "test_loss": test_loss,
        "test_acc": acc(test_correct),
        "wall_seconds": wall,                # cumulative training + evaluation time
    }
