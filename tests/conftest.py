import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from rethink_lib.data import DEBIAN_FASHION_MNIST, Split

needs_fashion_mnist = pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST.is_dir(),
    reason=f"Debian package dataset-fashion-mnist not installed ({DEBIAN_FASHION_MNIST} missing)")


@pytest.fixture(autouse=True)
def _user_results_in_tmp(tmp_path_factory, monkeypatch):
    """Chapter reruns train into $RETHINK_USER_RESULTS (rethink_lib.plan): never the real
    ~/.cache/rethink/results during tests, also in papermill subprocesses."""
    monkeypatch.setenv("RETHINK_USER_RESULTS", str(tmp_path_factory.mktemp("user") / "results"))


@pytest.fixture
def small_splits():
    """Tiny synthetic [0, 1] data in the stored layout: 40 train / 20 test, 3x32x32, 4 classes."""
    g = torch.Generator().manual_seed(123)
    train = Split(torch.rand(40, 3, 32, 32, generator=g), torch.arange(40) % 4)
    test = Split(torch.rand(20, 3, 32, 32, generator=g), torch.arange(20) % 4)
    return train, test


@pytest.fixture
def fake_cifar10(tmp_path, monkeypatch):
    """A tiny CIFAR-10 in the real on-disk format (pickled batches in cifar-10-batches-py/).

    torchvision checks each file's md5 against the real archive's; we point that check at
    the fake files' own md5 sums, so the real loading code runs unchanged.
    """
    import torchvision.datasets as tvd

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    written = {}
    for name in names:
        data = rng.integers(0, 256, size=(6, 3 * 32 * 32), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=6)]
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels}, f)
        written[name] = (data, labels)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, f)
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    monkeypatch.setattr(tvd.CIFAR10, "train_list", [[n, md5[n]] for n in names[:5]])
    monkeypatch.setattr(tvd.CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(tvd.CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                              "md5": md5["batches.meta"]})
    return Path(tmp_path), written
