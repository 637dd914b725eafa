import pytest
import torch

from rethink_lib.corruptions import CORRUPTIONS, apply_corruption, canonical_level
from rethink_lib.data import Split


def big_splits(n=20_000, k=10):
    g = torch.Generator().manual_seed(0)
    return (Split(torch.rand(n, 3, 8, 8, generator=g), torch.randint(0, k, (n,), generator=g)),
            Split(torch.rand(500, 3, 8, 8, generator=g), torch.randint(0, k, (500,), generator=g)))


@pytest.mark.parametrize("p", [0.0, 0.3, 0.6, 1.0])
def test_partial_labels_statistics(p):
    train, test = big_splits()
    c = apply_corruption("labels", train, test, p, 10, seed=1)
    changed = (c.train.labels != train.labels).float().mean().item()
    assert abs(changed - p * 9 / 10) < 0.015  # uniform over all K classes: p(K-1)/K change
    assert torch.equal(c.mask, c.train.labels != train.labels)
    assert torch.equal(c.test.labels, test.labels)  # test labels clean by default
    counts = c.train.labels.bincount(minlength=10).float() / len(train.labels)
    assert counts.min() > 0.08 and counts.max() < 0.12


def test_corrupted_test_labels_option():
    train, test = big_splits()
    c = apply_corruption("labels", train, test, 1.0, 10, seed=1, corrupt_test_labels=True)
    assert (c.test.labels != test.labels).float().mean() > 0.8


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_deterministic_per_seed_and_pure(name, small_splits):
    train, test = small_splits
    before = train.images.clone(), train.labels.clone()
    level = 0.5 if name == "labels" else None  # one representation: pixel corruptions take none
    a = apply_corruption(name, train, test, level, 4, seed=7)
    b = apply_corruption(name, train, test, level, 4, seed=7)
    assert torch.equal(a.train.images, b.train.images) and torch.equal(a.train.labels, b.train.labels)
    assert torch.equal(a.test.images, b.test.images) and torch.equal(a.mask, b.mask)
    assert torch.equal(train.images, before[0]) and torch.equal(train.labels, before[1])
    c = apply_corruption(name, train, test, level, 4, seed=8)
    assert not (torch.equal(a.train.images, c.train.images)
                and torch.equal(a.train.labels, c.train.labels))


def test_shuffled_pixels_same_permutation_train_and_test(small_splits):
    train, test = small_splits
    c = apply_corruption("shuffled_pixels", train, test, None, 4, seed=0)
    # find the permutation from one train image, check it explains every train and test image
    flat = lambda x: x.reshape(len(x), 3, -1)  # noqa: E731
    src, dst = flat(train.images)[0, 0], flat(c.train.images)[0, 0]
    perm = torch.tensor([int((src == v).nonzero()[0]) for v in dst])
    assert not torch.equal(perm, torch.arange(len(perm)))
    assert torch.equal(flat(c.train.images), flat(train.images)[:, :, perm])
    assert torch.equal(flat(c.test.images), flat(test.images)[:, :, perm])
    assert torch.equal(c.train.labels, train.labels)


def test_random_pixels_permutes_each_image_differently(small_splits):
    train, test = small_splits
    c = apply_corruption("random_pixels", train, test, None, 4, seed=0)
    for i in range(3):  # same multiset of pixels, different arrangement per image
        assert torch.equal(c.train.images[i].flatten().sort().values,
                           train.images[i].flatten().sort().values)
    p0 = c.train.images[0, 0].flatten().argsort()
    assert not torch.equal(p0, c.train.images[1, 0].flatten().argsort())
    assert torch.equal(c.test.images, test.images) and c.mask.all()


def test_gaussian_matches_mean_and_variance():
    train, test = big_splits(n=5000)
    train = Split(train.images * torch.tensor([0.5, 1.0, 0.2])[None, :, None, None], train.labels)
    c = apply_corruption("gaussian", train, test, None, 10, seed=0)
    for ch in range(3):
        orig, noise = train.images[:, ch], c.train.images[:, ch]
        assert abs(noise.mean() - orig.mean()) < 0.01
        assert abs(noise.std() / orig.std() - 1) < 0.01
    assert torch.equal(c.train.labels, train.labels) and c.mask.all()


def test_levels_are_validated_and_canonical():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        canonical_level("labels", 1.5)
    with pytest.raises(ValueError, match="valid names"):
        canonical_level("flipped", 0.5)
    with pytest.raises(ValueError, match="needs a level"):
        canonical_level("labels", None)
    with pytest.raises(ValueError, match="takes no level"):
        canonical_level("gaussian", 0.5)
    assert canonical_level("labels", 1) == 1.0 and isinstance(canonical_level("labels", 1), float)
    assert canonical_level("shuffled_pixels", None) is None


def test_level_zero_leaves_labels_untouched(small_splits):
    train, test = small_splits
    c = apply_corruption("labels", train, test, 0.0, 4, seed=3)
    assert torch.equal(c.train.labels, train.labels) and not c.mask.any()


def test_gaussian_within_the_split_keeps_its_draw_and_labels(small_splits):
    """n at most the split's size is the stored runs' recipe: one noise image per image,
    drawn as before, with the replaced images' labels."""
    train, test = small_splits
    c = apply_corruption("gaussian", train, test, None, 4, seed=3, n_train=len(train.labels))
    x = train.images
    gen = torch.Generator().manual_seed(3)
    expected = (torch.randn(x.shape, generator=gen) * x.std((0, 2, 3), keepdim=True)
                + x.mean((0, 2, 3), keepdim=True))
    assert torch.equal(c.train.images, expected)
    assert torch.equal(c.train.labels, train.labels)


def test_gaussian_beyond_the_split_draws_more_images_with_uniform_labels():
    """Report Sec. II-B: a Gaussian data set ten times the training split."""
    train, test = big_splits(n=2_000)
    c = apply_corruption("gaussian", train, test, None, 10, seed=5, n_train=20_000)
    assert c.train.images.shape == (20_000, 3, 8, 8) and c.mask.all() and len(c.mask) == 20_000
    mean = train.images.mean((0, 2, 3))
    assert torch.allclose(c.train.images.mean((0, 2, 3)), mean, atol=0.01)
    assert torch.allclose(c.train.images.std((0, 2, 3)), train.images.std((0, 2, 3)), atol=0.01)
    counts = c.train.labels.bincount(minlength=10).float() / 20_000
    assert counts.min() > 0.09 and counts.max() < 0.11
    again = apply_corruption("gaussian", train, test, None, 10, seed=5, n_train=20_000)
    assert torch.equal(c.train.labels, again.train.labels)
    assert torch.equal(c.train.images, again.train.images)
    other = apply_corruption("gaussian", train, test, None, 10, seed=6, n_train=20_000)
    assert not torch.equal(c.train.labels, other.train.labels)


@pytest.mark.parametrize("name,level", [("labels", 1.0), ("shuffled_pixels", None),
                                        ("random_pixels", None)])
def test_only_generated_corruptions_go_beyond_the_split(name, level, small_splits):
    train, test = small_splits
    with pytest.raises(ValueError, match="only gaussian draws more"):
        apply_corruption(name, train, test, level, 4, seed=0, n_train=len(train.labels) + 1)


def test_run_dataset_loads_the_whole_split_for_a_larger_gaussian_set():
    pytest.importorskip("sklearn")
    from rethink_lib.config import RunConfig
    from rethink_lib.corruptions import load_run_dataset
    from rethink_lib.preflight import size_problem
    big = RunConfig(dataset="digits", model="mlp_1x512", corruption="gaussian", level=None,
                    n_train=5_000, n_test=100)
    assert size_problem(big) is None
    ds = load_run_dataset(big)
    assert len(ds.train.labels) == 1497 and len(ds.test.labels) == 100
    small = RunConfig(dataset="digits", model="mlp_1x512", corruption="gaussian", level=None,
                      n_train=500, n_test=100)
    assert len(load_run_dataset(small).train.labels) == 500
    labels = RunConfig(dataset="digits", model="mlp_1x512", corruption="labels", level=1.0,
                       n_train=5_000, n_test=100)
    assert "more than the 1,497 training images" in size_problem(labels)
