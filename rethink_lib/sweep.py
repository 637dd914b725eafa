"""Vectorised sweeps: K copies of an MLP trained together as one batched model.

The copies may differ in their labels (corruption, level), their seed (initialisation,
shuffle order and corruption draw), lr, lr_decay, max_epochs and the stopping targets;
everything else must agree. Each copy follows what `train()` does with its own config:
the same initial weights (`init_model`, seeded by config.seed), the same shuffle order
(its own generator, seeded config.seed + 1), SGD with momentum and weight decay as
torch.optim.SGD computes it, the learning rate of `config.lr_at`, and the same records:
per epoch the running train-mode accuracy and mean loss of its SGD steps and the test
accuracy on its curve subset (metrics.epoch_row), its own stop (metrics.reached), and at
its end train's own `final_evaluation` (precise BN, whole train and test sets) on its
weights copied back into an nn.Module, summarised by metrics.run_summary. A copy that
stops is dropped from the batched model and the others go on. Results equal K separate
`train()` runs up to floating-point rounding (tests/test_sweep.py).

How: the copies' Linear weights are stacked into (K, out, in) tensors and every layer is a
batched matrix product (torch.baddbmm, one per layer for all K copies). When all copies
read the same batch (one seed, only the labels differ) the first layer -- almost all of
the FLOPs -- is one GEMM over all K*512 hidden units. Autograd of the sum of the K losses
gives each copy its own gradient. BatchNorm (affine=False, as in the MLPs) keeps per-copy
running statistics: it sees one channel per (copy, unit), so each copy's units are
normalised by their own batch statistics.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.sgd import sgd  # the functional form of torch.optim.SGD

from .config import RunConfig
from .corruptions import apply_corruption, load_run_dataset
from .data import balanced_subset, preprocess
from .metrics import epoch_row, reached, run_summary
from .models.mlp import MLP
from .train import (EVAL_BATCH, TrainData, TrainingDivergedError, TrainResult, _batches,
                    autocast_context, final_evaluation, init_model, resolve_device,
                    resolve_precision)

# The most bytes of one stacked fp32 parameter on the CPU. glibc serves every allocation
# above 32 MiB with a fresh mmap, whose pages fault in (zero-filled) on first touch: with
# 8 copies of MLP 1x512 (38 MB per gradient) the page faults took a third of the time.
# Groups below that also keep the weight-sized passes (casts, SGD) closer to the caches.
GROUP_BYTES = 24 * 2**20

# config fields in which the copies of one sweep may differ
PER_COPY_FIELDS = {"seed", "corruption", "level", "corrupt_test_labels", "lr", "lr_decay",
                   "max_epochs", "target_train_acc", "target_train_loss"}


def check_sweep(configs: list[RunConfig]) -> None:
    """Refuse, with the reason, configs that cannot train as one vectorised model."""
    if not configs:
        raise ValueError("a sweep needs at least one config")
    first = configs[0]
    for f in dataclasses.fields(RunConfig):
        if f.name in PER_COPY_FIELDS:
            continue
        values = {repr(getattr(c, f.name)) for c in configs}
        if len(values) > 1:
            raise ValueError(f"the copies of a sweep must agree on {f.name!r}; got {sorted(values)}")
    if not first.model.startswith("mlp"):
        raise ValueError(f"vectorised sweeps support the MLPs only, not {first.model!r}")
    if first.augment != "none":
        raise ValueError("vectorised sweeps need augment='none' (one shared input per example)")
    if first.dropout:
        raise ValueError("vectorised sweeps do not support dropout (its draws could not match "
                         "separate runs)")


class StackedMLP:
    """K MLPs with identical shapes as stacked tensors; forward on (B, D) or (K, B, D)."""

    def __init__(self, models: list[nn.Module]):
        self.layers = []  # dicts: weight (K, out, in), bias (K, out), bn stats or None, relu
        mods = [list(m.net) if isinstance(m, MLP) else None for m in models]
        if any(m is None for m in mods):
            raise ValueError("StackedMLP needs rethink_lib.models.mlp.MLP instances")
        for i, mod in enumerate(mods[0]):
            column = [ms[i] for ms in mods]
            if isinstance(mod, nn.Linear):
                self.layers.append({
                    "weight": torch.stack([m.weight.detach() for m in column]).requires_grad_(),
                    "bias": torch.stack([m.bias.detach() for m in column]).requires_grad_(),
                    "bn": None, "relu": False})
            elif isinstance(mod, nn.BatchNorm1d):
                if mod.affine or mod.momentum is None:
                    raise ValueError("StackedMLP supports BatchNorm1d(affine=False, momentum=float)")
                self.layers[-1]["bn"] = {
                    "mean": torch.stack([m.running_mean for m in column]),
                    "var": torch.stack([m.running_var for m in column]),
                    "eps": mod.eps, "momentum": mod.momentum}
            elif isinstance(mod, nn.ReLU):
                self.layers[-1]["relu"] = True
            elif not isinstance(mod, nn.Flatten):
                raise ValueError(f"StackedMLP does not support {type(mod).__name__}")

    @property
    def k(self) -> int:
        return self.layers[0]["weight"].shape[0]

    def parameters(self) -> list[torch.Tensor]:
        return [t for layer in self.layers for t in (layer["weight"], layer["bias"])]

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only the copies `rows` (indices into the current K)."""
        for layer in self.layers:
            for key in ("weight", "bias"):
                layer[key] = layer[key].detach()[rows].requires_grad_()
            if layer["bn"]:
                for key in ("mean", "var"):
                    layer["bn"][key] = layer["bn"][key][rows]

    @torch.no_grad()
    def export(self, r: int, module: MLP) -> MLP:
        """Copy r's weights and BatchNorm statistics into `module` (an MLP of that shape)."""
        linears = [m for m in module.net if isinstance(m, nn.Linear)]
        bns = [m for m in module.net if isinstance(m, nn.BatchNorm1d)]
        for layer, lin in zip(self.layers, linears):
            lin.weight.copy_(layer["weight"][r])
            lin.bias.copy_(layer["bias"][r])
        for layer, bn in zip([l for l in self.layers if l["bn"]], bns):
            bn.running_mean.copy_(layer["bn"]["mean"][r])
            bn.running_var.copy_(layer["bn"]["var"][r])
        return module

    def __call__(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        """x: (B, D) read by every copy, or (K, B, D); returns logits (K, classes, B).

        Activations are kept as (K, units, B), so that every weight gradient comes out of
        the matrix products in the weights' own (K, out, in) layout (no transposing copy).
        """
        k = self.k
        h = x.t() if x.dim() == 2 else x.transpose(1, 2)  # (D, B) shared, or (K, D, B)
        for layer in self.layers:
            w, b = layer["weight"], layer["bias"]  # (K, out, in), (K, out)
            units = w.shape[1]
            if h.dim() == 2:  # shared input: one GEMM for all copies, (K*out, in) @ (in, B)
                h = torch.addmm(b.reshape(-1, 1), w.reshape(k * units, -1), h).view(k, units, -1)
            else:  # (K, out, in) @ (K, in, B) -> (K, out, B)
                h = torch.baddbmm(b.unsqueeze(2), w, h)
            if layer["bn"]:  # one channel per (copy, unit), statistics over the batch
                bn = layer["bn"]
                h = F.batch_norm(h.reshape(1, k * units, -1), bn["mean"].view(-1),
                                 bn["var"].view(-1), training=training,
                                 momentum=bn["momentum"], eps=bn["eps"]).view(k, units, -1)
            if layer["relu"]:
                h = torch.relu(h)
        return h


@torch.no_grad()
def sgd_step(params, buffers, lrs: list[float], momentum: float, weight_decay: float):
    """torch.optim.SGD's update (no dampening, no Nesterov), copy k with lrs[k].

    One lr for all copies: torch's fused kernel on the stacked tensors (one pass over the
    memory). Different lrs: torch's for-loop algorithm per copy. Both give the numbers of
    separate runs exactly (fused SGD equals the for-loop bit for bit on the CPU).
    """
    grads = [p.grad for p in params]
    if all(lr == lrs[0] for lr in lrs):
        sgd(params, grads, buffers, fused=True, weight_decay=weight_decay,
            momentum=momentum, lr=lrs[0], dampening=0.0, nesterov=False, maximize=False)
    else:
        for i, (p, g) in enumerate(zip(params, grads)):
            if weight_decay:
                g = g.add(p, alpha=weight_decay)
            if momentum:
                if buffers[i] is None:
                    buffers[i] = torch.clone(g).detach()
                else:
                    buffers[i].mul_(momentum).add_(g)
                g = buffers[i]
            for k, lr in enumerate(lrs):
                p[k].add_(g[k], alpha=-lr)
    for p in params:
        p.grad = None


@dataclass
class SweepData:
    """Every copy's data (train.prepare_data per copy), shared tensors kept once."""
    train_x: torch.Tensor        # (N, D) when every copy reads the same images, else (K, N, D)
    train_y: torch.Tensor        # (K, N) each copy's (possibly corrupted) labels
    masks: list[torch.Tensor]    # per copy: (N,) bool, corrupted examples
    test_x: list[torch.Tensor]   # per copy: (M, D) whole test set (shared tensors repeat)
    test_y: list[torch.Tensor]   # per copy: (M,)
    curve_x: torch.Tensor        # (M', D) shared or (K, M', D): the per-epoch curve subset
    curve_y: torch.Tensor        # (K, M')
    num_classes: int

    def copy(self, i: int) -> TrainData:
        """Copy i's data as train.final_evaluation takes it (inputs flattened: MLPs flatten)."""
        x = self.train_x if self.train_x.dim() == 2 else self.train_x[i]
        return TrainData(train_stored=x, train_input=x, train_labels=self.train_y[i],
                         corrupted=self.masks[i], test_input=self.test_x[i],
                         test_labels=self.test_y[i], num_classes=self.num_classes)


def _prepare(configs: list[RunConfig], device, ds) -> SweepData:
    """train.prepare_data for every copy, each distinct image tensor standardised once."""
    cache = {}  # id(images) -> (images, flattened standardised inputs on the device)

    def inputs(images):
        if id(images) not in cache:  # keeping `images` in the entry keeps its id unique
            cache[id(images)] = (images, preprocess(images).flatten(1).to(device))
        return cache[id(images)][1]

    train_x, test_x, train_y, test_y, masks, curves = [], [], [], [], [], []
    for c in configs:
        cor = apply_corruption(c.corruption, ds.train, ds.test, c.level, ds.num_classes, c.seed,
                               c.corrupt_test_labels, n_train=c.n_train)
        train_x.append(inputs(cor.train.images))
        test_x.append(inputs(cor.test.images))
        train_y.append(cor.train.labels.to(device))
        test_y.append(cor.test.labels.to(device))
        masks.append(cor.mask.to(device))
        curve = None  # as train.prepare_data chooses it
        if c.curve_n_test is not None and c.curve_n_test < len(cor.test.labels):
            curve = balanced_subset(cor.test.labels, c.curve_n_test, ds.num_classes,
                                    c.data_seed + 2).to(device)
        curves.append(curve)

    def share(xs):
        return xs[0] if all(x is xs[0] for x in xs) else torch.stack(xs)

    curve_y = torch.stack([y if idx is None else y[idx] for y, idx in zip(test_y, curves)])
    same_curve = all((a is None and b is None) or (a is not None and b is not None
                                                   and torch.equal(a, b))
                     for a, b in zip(curves, curves[1:]))
    if all(x is test_x[0] for x in test_x) and same_curve:
        curve_x = test_x[0] if curves[0] is None else test_x[0][curves[0]]
    else:
        curve_x = torch.stack([x if idx is None else x[idx] for x, idx in zip(test_x, curves)])
    return SweepData(share(train_x), torch.stack(train_y), masks, test_x, test_y, curve_x,
                     curve_y, ds.num_classes)


@torch.inference_mode()
def _evaluate(model: StackedMLP, x, y, precision, device):
    """Per-copy correctness (K, M) bool and mean cross-entropy (K,), eval mode."""
    batch = EVAL_BATCH.get(device.type, 128)
    correct, loss_sum = [], torch.zeros(model.k, device=device)
    with autocast_context(precision, device):
        for i in range(0, y.shape[1], batch):
            logits = model(x[..., i:i + batch, :], training=False).float()  # (K, C, b)
            yb = y[:, i:i + batch]
            loss_sum += F.cross_entropy(logits, yb, reduction="none").sum(1)
            correct.append(logits.argmax(1) == yb)
    return torch.cat(correct, 1), (loss_sum / y.shape[1]).tolist()


def train_sweep(configs: list[RunConfig], device="auto", progress: bool = True,
                dataset=None, group_bytes: float | None = None) -> list[TrainResult]:
    """Train every config as part of a vectorised model; one TrainResult per config, in order.

    group_bytes: the most bytes one stacked fp32 parameter may take; a sweep with more copies
    trains in groups of copies one after another. Default: GROUP_BYTES on the CPU, one group
    elsewhere. wall_seconds and eval_seconds in each result are its group's wall clock.
    """
    check_sweep(configs)
    device = resolve_device(device)
    first = configs[0]
    precision = resolve_precision(first.precision, device)
    ds = dataset or load_run_dataset(first)
    data = _prepare(configs, device, ds)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        models = [init_model(c, ds.num_classes, device) for c in configs]

    largest = max(p.numel() * p.element_size() for p in models[0].parameters())
    limit = group_bytes or (GROUP_BYTES if device.type == "cpu" else math.inf)
    n_groups = math.ceil(len(configs) / max(1, int(limit // largest)))
    groups = [list(g) for g in torch.arange(len(configs)).tensor_split(n_groups)]
    results: list[TrainResult | None] = [None] * len(configs)
    for group in groups:
        _train_group([int(i) for i in group], configs, models, data, results, precision,
                     device, progress)
    for r in results:
        r.summary.update(sweep_copies=len(configs), sweep_groups=n_groups)
    return results


def _train_group(active, configs, models, data: SweepData, results, precision, device,
                 progress):
    """Train the copies `active` (indices into configs) together; fills results[i]."""
    first, n = configs[0], data.train_y.shape[1]
    threads = torch.get_num_threads()
    model = StackedMLP([models[i] for i in active])
    buffers = [None] * len(model.parameters())
    gens = {i: torch.Generator().manual_seed(configs[i].seed + 1) for i in active}
    metrics = {i: [] for i in active}
    step_losses = {i: [] for i in active}

    def rows_of(active):  # the data of the copies still training
        rows = torch.tensor(active, device=device)
        return (data.train_x if data.train_x.dim() == 2 else data.train_x[rows],
                data.train_y[rows],
                data.curve_x if data.curve_x.dim() == 2 else data.curve_x[rows],
                data.curve_y[rows])

    def finish(r, i):  # train's final evaluation of copy i (row r of the stacked model)
        c = configs[i]
        t = time.perf_counter()
        final = final_evaluation(model.export(r, models[i]), data.copy(i), precision, device)
        final_s = time.perf_counter() - t
        summary = run_summary(c, metrics[i], step_losses[i], final, final_s, device, precision,
                              threads, n, len(data.test_y[i]), data.curve_y.shape[1],
                              data.masks[i].float().mean().item())
        results[i] = TrainResult(metrics[i], step_losses[i], summary)

    from tqdm.auto import tqdm
    bar = tqdm(total=max(configs[i].max_epochs for i in active), disable=not progress,
               desc=f"sweep of {len(active)}", unit="ep", leave=False)
    epoch, eval_s, t0 = 0, 0.0, time.perf_counter()
    x_all, y_all, cx_all, cy_all = rows_of(active)
    while active:
        lrs = [configs[i].lr_at(epoch) for i in active]
        batches = [_batches(n, first.batch_size, gens[i]) for i in active]
        shared = all(torch.equal(torch.cat(b), torch.cat(batches[0])) for b in batches[1:])
        losses = []
        correct = torch.zeros(len(active), n, dtype=torch.bool, device=device)
        ar = torch.arange(len(active), device=device)[:, None]
        for j in range(len(batches[0])):
            if shared:  # one index batch for all copies
                idx = batches[0][j].to(device)
                x = x_all[..., idx, :]                     # (B, D) or (K, B, D)
                y = y_all[:, idx]                          # (K, B)
            else:
                idx = torch.stack([b[j] for b in batches]).to(device)  # (K, B)
                x = x_all[idx] if x_all.dim() == 2 else x_all[ar, idx]  # (K, B, D)
                y = y_all[ar, idx]
            with autocast_context(precision, device):
                logits = model(x, training=True).float()  # (K, C, B)
                loss = F.cross_entropy(logits, y, reduction="none").mean(1)  # (K,)
            loss.sum().backward()  # copy k's parameters only see copy k's loss
            sgd_step(model.parameters(), buffers, lrs, first.momentum, first.weight_decay)
            losses.append(loss.detach())
            ok = logits.detach().argmax(1) == y  # (K, B): running train-mode correctness
            if shared:
                correct[:, idx] = ok
            else:
                correct[ar, idx] = ok
        losses = torch.stack(losses, 1).float().cpu()  # (K, steps)
        epoch += 1
        t_eval = time.perf_counter()
        test_correct, test_loss = _evaluate(model, cx_all, cy_all, precision, device)
        eval_s += time.perf_counter() - t_eval
        wall = time.perf_counter() - t0
        keep = []
        for r, i in enumerate(active):
            c = configs[i]
            if not torch.isfinite(losses[r]).all():
                raise TrainingDivergedError(
                    f"{c.run_id}: loss became {losses[r][~torch.isfinite(losses[r])][0].item()} "
                    f"in epoch {epoch} (lr {lrs[r]:g}); lower the learning rate or use fp32")
            step_losses[i].extend(losses[r].tolist())
            row = epoch_row(epoch, len(step_losses[i]), lrs[r], losses[r].mean().item(), wall,
                            correct[r], test_correct[r], test_loss[r], data.masks[i], eval_s)
            metrics[i].append(row)
            if not reached(row, c) and epoch < c.max_epochs:
                keep.append(r)
            else:
                finish(r, i)
        if len(keep) < len(active):  # drop the copies that stopped
            active = [active[r] for r in keep]
            if not active:
                break
            keep_t = torch.tensor(keep, device=device)
            model.keep(keep_t)
            buffers = [None if b is None else b[keep_t] for b in buffers]
            x_all, y_all, cx_all, cy_all = rows_of(active)
        bar.update(1)
    bar.close()
