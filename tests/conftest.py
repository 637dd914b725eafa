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


# Tests that take seconds each (a subprocess that imports torch, a benchmark, the CIFAR-10
# files): marked slow here so that `make test-fast` stays under a minute on 2 cores; `make test`
# runs them. Seconds measured with `--durations` on the 2-core machine while it trained.
SLOW = {
    "tests/test_bench.py::test_quick_bench_json": 39,
    "tests/test_bench.py::test_markdown_table_and_bad_model": 11,
    "tests/test_hostile_inputs.py::test_interrupt_is_one_line_and_keeps_the_checkpoint": 30,
    "tests/test_hostile_inputs.py::test_cli_refuses_bad_inputs_before_training": 20,
    "tests/test_hostile_inputs.py::test_a_waiting_worker_names_the_stopped_holder": 7,
    "tests/test_hostile_store.py::test_cli_train_waits_for_the_run_lock_and_names_its_holder": 14,
    "tests/test_hostile_store.py::test_a_file_where_the_run_folder_belongs_is_one_line_in_the_cli": 5,
    "tests/test_npm_data.py::test_cifar_rewrite_layout": 13,
    "tests/test_npm_data.py::test_cifar_subset_through_the_loader_is_balanced_and_scaled": 11,
    "tests/test_npm_data.py::test_cifar10_is_the_official_data": 8,
    "tests/test_npm_data.py::test_damaged_cache_is_refetched": 5,
    "tests/test_npm_data.py::test_mnist_is_the_official_data": 4,
    "tests/test_cli.py::test_results_path_that_is_a_file_is_one_line": 10,
    "tests/test_cli.py::test_read_only_results_dir_is_one_line_before_training": 8,
    "tests/test_cli.py::test_bad_arguments_refused_without_touching_results": 45,
    "tests/test_cli.py::test_full_disk_while_checkpointing_is_one_line": 3,
    "tests/test_cli.py::test_models_lists_counts": 3,
    "tests/test_queue_options.py::test_staging_survives_a_second_worker_finishing_first": 10,
    "tests/test_queue_faults.py::test_a_killed_holders_lock_frees_itself": 6,
    "tests/test_models.py::test_toy_model_registered_in_one_place_shows_in_the_cli": 8,
    "tests/test_theory.py::test_kernel_interpolation_fits_train_exactly_and_beats_chance": 4,
    "tests/test_ray_executor.py::test_default_path_does_not_import_ray": 4,
    "tests/test_gpu_check.py::test_refuses_cuda_without_a_gpu": 3,
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.nodeid.startswith(prefix) for prefix in SLOW):
            item.add_marker(pytest.mark.slow)
