"""The two training pipelines the benchmark times against each other, on random CIFAR-shaped data.

(a) `ReferencePipeline`: the report's own code path (per-sample Dataset, DataLoader, fp32);
(b) `OursPipeline`: rethink_lib.train's step path. See rethink_lib.bench for the method.
"""
from __future__ import annotations

import sys

import torch
import torch.nn.functional as F

from ..config import RunConfig, default_lr
from ..data import CROP_SIZE, STORED_SIZE, Dataset, Split, per_image_standardization
from ..models import create_model
from ..train import (_batches, init_model, make_optimizer, prepare_data, resolve_precision,
                     train_batch, train_step)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def _rng_devices(device):
    return [device.index or 0] if device.type == "cuda" else []


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
    from ..models.alexnet import LocalResponseNorm
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


