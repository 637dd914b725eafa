import pytest
import torch

from rethink_lib.models import PAPER_PARAMETERS, count_parameters, create_model, list_models


@pytest.mark.parametrize("name", list_models())
def test_parameter_count_matches_paper(name):
    assert count_parameters(create_model(name)) == PAPER_PARAMETERS[name]


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("channels", [1, 3])
def test_forward_shape_and_finite(name, channels):
    torch.manual_seed(0)
    model = create_model(name, in_channels=channels, num_classes=7).eval()
    out = model(torch.randn(4, channels, 28, 28))
    assert out.shape == (4, 7)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", ["alexnet_small", "mlp_1x512", "mlp_3x512"])
def test_batchnorm_flag_adds_no_parameters(name):
    with_bn = create_model(name, batchnorm=True)
    assert count_parameters(with_bn) == PAPER_PARAMETERS[name]
    assert any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in with_bn.modules())
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                   for m in create_model(name).modules())


def test_inception_nobn_has_no_batchnorm():
    bn = torch.nn.modules.batchnorm._BatchNorm
    assert any(isinstance(m, bn) for m in create_model("inception_small").modules())
    assert not any(isinstance(m, bn) for m in create_model("inception_small_nobn").modules())


def test_unknown_model_lists_valid_names():
    with pytest.raises(ValueError, match="mlp_1x512"):
        create_model("resnet50")


def test_list_models_wildcard():
    assert list_models("mlp*") == ["mlp_1x512", "mlp_3x512"]


def test_fast_local_response_norm_equals_torch():
    from rethink_lib.models.alexnet import LocalResponseNorm
    x = torch.randn(4, 64, 7, 7, dtype=torch.float64) * 3
    expected = torch.nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)(x)
    torch.testing.assert_close(LocalResponseNorm(5, 1e-4, 0.75, 2.0)(x), expected)
    x = x[:, :3]  # fewer channels than the window
    torch.testing.assert_close(LocalResponseNorm(5, 1e-4, 0.75, 2.0)(x),
                               torch.nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)(x))
