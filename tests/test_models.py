import os
import subprocess
import sys
import textwrap

import pytest
import torch

from rethink_lib.models import (PAPER_PARAMETERS, count_parameters, create_model, list_models,
                                model_spec, register_model)

# A model registered in one place, its own file: what the CLI, the chapters and the appendix
# then show without any other edit (tests/test_book.py runs the chapters with it).
TOY_MODEL = textwrap.dedent("""
    from rethink_lib.models import register_model
    from rethink_lib.models.mlp import MLP


    @register_model(display="Toy MLP 1x16", family="mlp", paper_parameters=37_818, lr=0.05,
                    lr_decay=0.9, batchnorm="flag", convolutional=False)
    def toy_mlp(in_channels=3, num_classes=10, image_size=28, batchnorm=False, dropout=0.0):
        return MLP(in_channels * image_size ** 2, [16], num_classes, batchnorm, dropout)
""")


def toy_env(tmp_path) -> dict:
    """Environment in which rethink_lib registers the toy model (RETHINK_EXTRA_MODELS)."""
    (tmp_path / "toy_models.py").write_text(TOY_MODEL)
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "RETHINK_EXTRA_MODELS": "toy_models"}


@pytest.mark.parametrize("name", list_models())
def test_parameter_count_matches_paper(name):
    if name not in PAPER_PARAMETERS:
        pytest.skip(f"{name} has no published parameter count")
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
    found = list_models("mlp*")
    assert {"mlp_1x512", "mlp_3x512"} <= set(found)  # and any MLP added since
    assert found == sorted(found) and all(m.startswith("mlp") for m in found)
    assert "alexnet_small" in list_models("alex*") and list_models("nothing*") == []


@pytest.mark.parametrize("size", [5, 4, 3])
@pytest.mark.parametrize("channels", [64, 3])  # 3: fewer channels than the window
@pytest.mark.parametrize("alpha", [1e-4, 1.0])  # 1.0: the window dominates the denominator
def test_fast_local_response_norm_equals_torch(size, channels, alpha):
    """Same values and gradients as torch's LRN, on channels-last and contiguous input."""
    from rethink_lib.models.alexnet import LocalResponseNorm
    x = torch.randn(4, channels, 7, 7, dtype=torch.float64) * 3
    for layout in (torch.contiguous_format, torch.channels_last):
        a = x.clone(memory_format=layout).requires_grad_()
        b = x.clone().requires_grad_()  # a separate leaf
        ours = LocalResponseNorm(size, alpha, 0.75, 2.0)(a)
        theirs = torch.nn.LocalResponseNorm(size, alpha=alpha, beta=0.75, k=2.0)(b)
        torch.testing.assert_close(ours, theirs)
        g = torch.randn_like(theirs)
        ours.backward(g)
        theirs.backward(g)
        torch.testing.assert_close(a.grad, b.grad)


# The run ids of the stored runs depend on RunConfig's defaults: the registry must give the
# same default learning rates and decays that the name-prefix rules it replaced gave.
OLD_DEFAULTS = {"inception_small": (0.1, 0.95), "inception_small_nobn": (0.1, 0.95),
                "alexnet_small": (0.01, 0.95), "alexnet_small_report": (0.01, 0.95),
                "mlp_1x512": (0.01, 0.98), "mlp_3x512": (0.01, 0.98)}


def test_registry_keeps_the_old_defaults_and_run_ids():
    from rethink_lib.config import RunConfig, default_lr, default_lr_decay
    for name, (lr, decay) in OLD_DEFAULTS.items():
        assert (default_lr(name), default_lr_decay(name)) == (lr, decay)
    # a run id from before the registry (config hash of the defaults)
    assert RunConfig(model="mlp_1x512").run_id == RunConfig(model="mlp_1x512", lr=None).run_id
    assert RunConfig(model="alexnet_small", batchnorm=True).model_kwargs() == {"dropout": 0.0, "batchnorm": True}
    assert RunConfig(model="inception_small").model_kwargs() == {"dropout": 0.0}
    with pytest.raises(ValueError, match="batchnorm is fixed by the inception_small variant"):
        RunConfig(model="inception_small", batchnorm=True)


@pytest.mark.parametrize("name", list_models())
def test_registry_entry_is_complete(name):
    spec = model_spec(name)
    assert spec.display and spec.family in ("inception", "alexnet", "mlp")
    assert spec.batchnorm in ("flag", "always", "never")
    assert spec.uses_batchnorm(False) == (spec.batchnorm == "always")
    has_bn = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in create_model(name).modules())
    assert has_bn == spec.uses_batchnorm(False)
    assert spec.convolutional == any(isinstance(m, torch.nn.Conv2d) for m in create_model(name).modules())


def test_register_model_refuses_unknown_batchnorm_kind():
    with pytest.raises(ValueError, match="batchnorm must be one of"):
        register_model(display="x", family="mlp", paper_parameters=None, lr=0.1, lr_decay=0.9,
                       batchnorm="sometimes", convolutional=False)


def test_toy_model_registered_in_one_place_shows_in_the_cli(tmp_path):
    out = subprocess.run([sys.executable, "-m", "rethink_lib", "models"], env=toy_env(tmp_path),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("toy_mlp"))
    assert "Toy MLP 1x16" in line and line.count("37,818") == 2  # ours and published
    assert "mlp" in line.split() and "0.05" in line.split() and "flag" in line.split()
    assert "toy_mlp" not in list_models()  # registered only where asked for


def test_architecture_stages_come_from_the_models():
    """The architecture figure (report Fig. 4) is drawn from the trained models: block names
    and output shapes for one 3x28x28 image, activations folded in, no Python reprs."""
    from rethink_lib.report import structure
    inc = structure.stages("inception_small")
    assert inc[0] == ("conv module 3x3, 96", "96x28x28", "conv")
    assert ("mean pool 7x7", "336", "pool") in inc and inc[-1][0] == "linear 336 -> 10"
    alex = structure.stages("alexnet_small")
    assert alex[0] == ("conv 5x5, 64 + ReLU", "64x28x28", "conv")
    assert [s[0] for s in structure.stages("mlp_1x512")] == ["linear 2,352 -> 512 + ReLU",
                                                             "linear 512 -> 10"]
    for m in ("inception_small", "alexnet_small", "mlp_1x512"):
        assert not any("(" in s[0] and "=" in s[0] for s in structure.stages(m))  # no repr
    fig = structure.architecture_figure()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "AlexNet\n1,387,786 parameters" in texts
