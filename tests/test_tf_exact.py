"""Issue 8: the models compute what the paper's TensorFlow code computes; one level type."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from rethink_lib.config import RunConfig
from rethink_lib.corruptions import apply_corruption, canonical_level
from rethink_lib.data import Split
from rethink_lib.models import count_parameters, create_model
from rethink_lib.models.layers import BN_EPS, SamePad


def test_same_pad_max_pool_windows_start_at_pixel_zero():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    ours = nn.MaxPool2d(3, 2)(SamePad(3, 2, value=float("-inf"))(x))
    # TensorFlow 'SAME' on an even side: pad 0 before, 1 after -> windows rows/cols {0,1,2}, {2,3}
    assert ours.flatten().tolist() == [10.0, 11.0, 14.0, 15.0]
    # PyTorch's symmetric padding=1 would shift every window by a pixel
    shifted = nn.MaxPool2d(3, 2, padding=1)(x)
    assert shifted.flatten().tolist() == [5.0, 7.0, 13.0, 15.0]


def test_same_pad_strided_conv_matches_tensorflow_formula():
    torch.manual_seed(0)
    x = torch.randn(1, 1, 6, 6)
    w = torch.randn(1, 1, 3, 3)
    ours = F.conv2d(SamePad(3, 2)(x), w, stride=2)
    padded = F.pad(x, (0, 1, 0, 1))  # TF: total pad (3-1)*2+3-6 = 1, all after
    expect = torch.stack([torch.stack([(padded[0, 0, 2 * i:2 * i + 3, 2 * j:2 * j + 3] * w[0, 0]).sum()
                                       for j in range(3)]) for i in range(3)])
    assert torch.allclose(ours[0, 0], expect, atol=1e-6)


def test_same_pad_odd_side_pads_symmetrically():
    assert SamePad(3, 2)._pads(7) == (1, 1)
    assert SamePad(3, 2)._pads(28) == (0, 1)
    assert SamePad(3, 2)._pads(14) == (0, 1)


@pytest.mark.parametrize("name", ["inception_small", "alexnet_small", "mlp_1x512"])
def test_batchnorm_eps_is_tensorflows(name):
    kw = {} if name.startswith("inception") else {"batchnorm": True}
    bns = [m for m in create_model(name, **kw).modules()
           if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert bns and all(m.eps == BN_EPS == 1e-3 for m in bns)


def test_report_batchnorm_alexnet_normalises_convolutions_only():
    m = create_model("alexnet_small", batchnorm=True)
    kinds = [type(x).__name__ for x in m.modules()]
    assert kinds.count("BatchNorm2d") == 2 and "BatchNorm1d" not in kinds
    assert count_parameters(m) == 1_387_786


def test_model_output_shapes_after_same_padding():
    for name in ("inception_small", "inception_small_nobn", "alexnet_small"):
        assert create_model(name)(torch.zeros(2, 3, 28, 28)).shape == (2, 10)


def test_gaussian_noise_on_grayscale_has_the_images_dimensionality():
    gen = torch.Generator().manual_seed(0)
    gray = torch.rand(50, 1, 32, 32, generator=gen).expand(-1, 3, -1, -1).contiguous()
    split = Split(gray, torch.zeros(50, dtype=torch.long))
    out = apply_corruption("gaussian", split, split, None, 10, seed=3).train.images
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 0], out[:, 2])
    assert out[:, 0].mean().item() == pytest.approx(gray[:, 0].mean().item(), abs=0.02)
    assert out[:, 0].std().item() == pytest.approx(gray[:, 0].std().item(), rel=0.05)
    colour = Split(torch.rand(50, 3, 32, 32, generator=gen), split.labels)
    out = apply_corruption("gaussian", colour, colour, None, 10, seed=3).train.images
    assert not torch.equal(out[:, 0], out[:, 1])


def test_a_level_has_one_representation():
    assert canonical_level("labels", 1) == 1.0 and isinstance(canonical_level("labels", 1), float)
    with pytest.raises(ValueError, match="needs a level"):
        canonical_level("labels", None)
    with pytest.raises(ValueError, match="takes no level"):
        canonical_level("gaussian", 0.5)
    a, b = RunConfig(corruption="labels", level=1), RunConfig(corruption="labels", level=1.0)
    assert a.run_id == b.run_id and "labels1-" in a.run_id


@pytest.mark.parametrize("field,value", [("n_train", 5.5), ("seed", "3"), ("batchnorm", 1),
                                         ("level", "0.5")])
def test_wrong_types_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field if field != "level" else "level"):
        RunConfig(**{field: value})
