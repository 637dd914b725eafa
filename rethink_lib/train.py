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

import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from .config import CPU_PRECISION_ENV, RunConfig
from .corruptions import apply_corruption, load_run_dataset
from .data import balanced_subset, preprocess
from .checkpoint import load_checkpoint, restore, save_checkpoint
from .metrics import NATIVE_BF16, cpu_isa, epoch_row, reached, run_summary
from .models import create_model

EVAL_BATCH = {"cuda": 1024, "cpu": 128}  # images per evaluation forward pass (measured
# on a 2-core AMD EPYC: AlexNet evaluates 1.7x faster at 128 than at 1,024 per pass)


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite. Carries what the run had done before: its per-epoch
    metric rows, the lr of the epoch that diverged, the precision and the wall seconds."""

    def __init__(self, message: str, metrics=(), lr: float | None = None,
                 precision: str | None = None, wall_seconds: float | None = None):
        super().__init__(message)
        self.metrics, self.lr = list(metrics), lr
        self.precision, self.wall_seconds = precision, wall_seconds


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cpu_has_bf16() -> bool:
    """Native bf16 matmul on this CPU (AMX or AVX-512 BF16). Without it torch emulates bf16
    and a small-Inception step takes ~18x longer than in fp32 (measured on an AVX2-only AMD
    EPYC: 51 s against 2.9 s per 128-image step, 1 thread)."""
    return cpu_isa() in NATIVE_BF16


def resolve_precision(precision: str, device: torch.device) -> str:
    """auto: bf16 on CUDA and on CPUs with native bf16, else fp32 (recorded with each run).

    On a CPU, $RETHINK_CPU_PRECISION (fp32 or bf16; `make_runs --cpu-precision`) overrides
    the choice, so that all runs of one model share a precision when the queue moves
    between machines of different kinds."""
    if precision == "auto":
        if device.type == "cuda":
            return "bf16"
        forced = os.environ.get(CPU_PRECISION_ENV, "auto")
        if forced not in ("auto", "fp32", "bf16"):
            raise ValueError(f"${CPU_PRECISION_ENV} must be fp32, bf16 or auto, got {forced!r}")
        if forced != "auto":
            return forced
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision


@dataclass
class TrainData:
    """Everything a run trains and evaluates on, already on the device."""
    train_stored: torch.Tensor  # (N, 3, 32, 32) [0, 1]: source of augmented batches
    train_input: torch.Tensor   # (N, 3, 28, 28) standardised centre crops (eval + no-aug)
    train_labels: torch.Tensor  # (N,) possibly corrupted labels
    corrupted: torch.Tensor     # (N,) bool mask of corrupted examples
    test_input: torch.Tensor    # (M, 3, 28, 28): final accuracies
    test_labels: torch.Tensor   # (M,)
    num_classes: int
    curve_index: torch.Tensor | None = None  # test images of the per-epoch curves (None = all)


def prepare_data(config: RunConfig, device: torch.device, memory_format=torch.contiguous_format,
                 dataset=None) -> TrainData:
    ds = dataset or load_run_dataset(config)
    c = apply_corruption(config.corruption, ds.train, ds.test, config.level, ds.num_classes,
                         config.seed, config.corrupt_test_labels, n_train=config.n_train)
    to = dict(device=device, memory_format=memory_format)
    curve = None
    if config.curve_n_test is not None and config.curve_n_test < len(c.test.labels):
        curve = balanced_subset(c.test.labels, config.curve_n_test, ds.num_classes,
                                config.data_seed + 2).to(device)
    return TrainData(
        train_stored=c.train.images.to(device),
        train_input=preprocess(c.train.images).to(**to),
        train_labels=c.train.labels.to(device),
        corrupted=c.mask.to(device),
        test_input=preprocess(c.test.images).to(**to),
        test_labels=c.test.labels.to(device),
        num_classes=ds.num_classes,
        curve_index=curve,
    )


def autocast_context(precision: str, device: torch.device):
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


@torch.inference_mode()
def evaluate(model, x, y, precision, device, batch=None):
    """Per-example correctness (bool, (N,)) and mean cross-entropy, in eval mode."""
    batch = batch or EVAL_BATCH.get(device.type, 128)
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
    metrics: list[dict]              # one row per epoch (rethink_lib.metrics.epoch_row)
    step_losses: list[float]         # training loss of every SGD step (Fig. 1a)
    summary: dict = field(default_factory=dict)


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
               precision: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step on the batch (x, y).

    Returns the loss (detached device scalar) and the per-example correctness of the
    predictions the step was computed from (train mode: batch statistics, dropout on).
    """
    with autocast_context(precision, device):
        logits = step_fn(x).float()
        loss = F.cross_entropy(logits, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.detach(), logits.detach().argmax(1) == y


def _has_batchnorm(model: torch.nn.Module) -> bool:
    return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())


@torch.no_grad()
def precise_batchnorm(model: torch.nn.Module, x: torch.Tensor, precision: str,
                      device: torch.device, batch: int = 128) -> None:
    """Recompute every BatchNorm's running statistics as exact averages over `x`

    (precise BN), so eval-mode accuracy does not lag behind the weights. Only the BN
    layers run in train mode; dropout stays off.
    """
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    was_training = model.training
    model.eval()
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
        m.train()
    with autocast_context(precision, device):
        for i in range(0, len(x), batch):
            model(x[i:i + batch])
    for m, mom in zip(bns, saved):
        m.momentum = mom
    model.train(was_training)


def final_evaluation(model, data: TrainData, precision, device) -> dict:
    """Accuracies of the final weights: whole training set (eval mode, after precise BN),

    its clean and corrupted parts, and the whole test set."""
    precise_batchnorm(model, data.train_input, precision, device)
    correct, train_loss = evaluate(model, data.train_input, data.train_labels, precision, device)
    test_correct, test_loss = evaluate(model, data.test_input, data.test_labels, precision, device)
    mask = data.corrupted

    def acc(c):
        return c.float().mean().item() if c.numel() else None

    return {"final_train_acc": acc(correct), "final_train_loss": train_loss,
            "final_clean_acc": acc(correct[~mask]), "final_corrupted_acc": acc(correct[mask]),
            "final_test_acc": acc(test_correct), "final_test_loss": test_loss,
            "train_acc_method": ("eval mode after precise BN (running statistics recomputed "
                                 "on the training set)" if _has_batchnorm(model) else "eval mode")}


def train(config: RunConfig, device="auto", checkpoint: str | Path | None = None,
          progress: bool = True, compile: bool = False, dataset=None,
          stop_after_epochs: int | None = None) -> TrainResult:
    """Train `config` to its stopping rule; resume from `checkpoint` when it exists.

    Per epoch (free, from the training steps themselves): mean minibatch loss and the
    running accuracy of the predictions each step was computed from, overall and on the
    clean/corrupted examples; plus test accuracy on the curve subset. At the end: the
    final weights evaluated on the whole training set (precise BN) and whole test set.
    stop_after_epochs: return early after this many epochs *in this call* (used to test
    kill-and-resume); the checkpoint is left in place.
    """
    device = resolve_device(device)
    precision = resolve_precision(config.precision, device)
    threads = torch.get_num_threads()
    mem = torch.channels_last if config.conv else torch.contiguous_format
    data = prepare_data(config, device, mem, dataset)
    n = len(data.train_labels)
    ckpt_path = Path(checkpoint) if checkpoint else None
    state = (load_checkpoint(ckpt_path, config, threads, precision)
             if ckpt_path and ckpt_path.exists() else None)
    curve_x = data.test_input if data.curve_index is None else data.test_input[data.curve_index]
    curve_y = data.test_labels if data.curve_index is None else data.test_labels[data.curve_index]

    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        model = init_model(config, data.num_classes, device, mem)  # seeds init + dropout
        opt = make_optimizer(model, config, device)
        shuffle_gen = torch.Generator().manual_seed(config.seed + 1)
        aug_gen = torch.Generator(device=device).manual_seed(config.seed + 2)
        metrics, step_losses, epoch0, wall0, eval0 = [], [], 0, 0.0, 0.0
        if state is not None:
            restore(ckpt_path, state, model, opt, {"shuffle_gen": shuffle_gen,
                                                   "aug_gen": aug_gen})
            if devices and state.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(state["cuda_rng"], device)
            metrics, step_losses = state["metrics"], state["step_losses"]
            epoch0, wall0 = state["epoch"], state["wall_seconds"]
            eval0 = metrics[-1]["eval_seconds"] if metrics else 0.0
        step_fn = torch.compile(model) if compile else model
        done = bool(metrics) and reached(metrics[-1], config)

        # progress: True (tqdm.auto: a widget in Jupyter), False, or a text stream such as
        # the terminal behind a papermill run (plain tqdm, at most one update per 2 s)
        from tqdm.auto import tqdm
        stream = {"file": progress, "mininterval": 2.0} if hasattr(progress, "write") else {}
        if stream:
            from tqdm.std import tqdm
        bar = tqdm(total=config.max_epochs, initial=epoch0, disable=not progress,
                   desc=config.run_id[:48], unit="ep", leave=False, **stream)
        epoch, t0 = epoch0, time.perf_counter()
        while not done and epoch < config.max_epochs:
            lr = config.lr_at(epoch)
            for g in opt.param_groups:
                g["lr"] = lr
            model.train()
            losses = []  # device scalars; one sync per epoch, not per step
            correct = torch.zeros(n, dtype=torch.bool, device=device)
            for idx in _batches(n, config.batch_size, shuffle_gen):
                idx = idx.to(device)
                x = train_batch(data, idx, config, mem, aug_gen)
                loss, ok = train_step(step_fn, opt, x, data.train_labels[idx], precision, device)
                losses.append(loss)
                correct[idx] = ok
            losses = torch.stack(losses).float().cpu()
            if not torch.isfinite(losses).all():
                raise TrainingDivergedError(
                    f"{config.run_id}: loss became {losses[~torch.isfinite(losses)][0].item()} "
                    f"in epoch {epoch + 1} (lr {lr:g}); lower the learning rate or use fp32",
                    metrics, lr, precision, wall0 + time.perf_counter() - t0)
            step_losses.extend(losses.tolist())
            epoch += 1
            t_eval = time.perf_counter()
            test_correct, test_loss = evaluate(model, curve_x, curve_y, precision, device)
            eval_s = eval0 + time.perf_counter() - t_eval
            eval0 = eval_s
            row = epoch_row(epoch, len(step_losses), lr, losses.mean().item(),
                            wall0 + time.perf_counter() - t0, correct, test_correct, test_loss,
                            data.corrupted, eval_s)
            metrics.append(row)
            done = reached(row, config)
            bar.update(1)
            bar.set_postfix(loss=f"{row['train_loss']:.3f}", train=f"{row['train_acc']:.3f}",
                            test=f"{row['test_acc']:.3f}")
            if ckpt_path:
                save_checkpoint(ckpt_path, {
                    "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "shuffle_gen": shuffle_gen.get_state(), "aug_gen": aug_gen.get_state(),
                    "cpu_rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state(device) if devices else None,
                    "metrics": metrics, "step_losses": step_losses, "epoch": epoch,
                    "wall_seconds": row["wall_seconds"], "config": config.to_dict(),
                    "threads": threads, "precision": precision})
            if stop_after_epochs is not None and epoch - epoch0 >= stop_after_epochs and not done:
                bar.close()
                return TrainResult(metrics, step_losses, {"interrupted": True})
        bar.close()
        t_final = time.perf_counter()
        final = final_evaluation(model, data, precision, device)
        final_s = time.perf_counter() - t_final

    summary = run_summary(config, metrics, step_losses, final, final_s, device, precision,
                          threads, n, len(data.test_labels), len(curve_y),
                          data.corrupted.float().mean().item())
    return TrainResult(metrics, step_losses, summary)
