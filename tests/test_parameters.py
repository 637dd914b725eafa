"""Every chapter parameter is checked by resolve(), with its name in a one-line error,
before any run is built or trained (issue 13: n_train 5.5, seeds as strings, bare levels)."""
import pytest

from rethink_lib.experiments import PROFILES, resolve
from rethink_lib.models import list_models
from rethink_lib.settings import CHECKS


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_profile_setting_has_a_check_and_passes_it(profile):
    s = resolve(profile)
    assert set(s) <= set(CHECKS), f"settings without a check: {set(s) - set(CHECKS)}"


@pytest.mark.parametrize("override,message", [
    ({"n_train": 5.5}, "n_train must be a positive integer or None, got 5.5"),
    ({"n_train": "5.5"}, "n_train must be a positive integer or None, got 5.5"),
    ({"n_train": 0}, "n_train must be a positive integer or None, got 0"),
    ({"n_train": True}, "n_train must be a positive integer or None, got True"),
    ({"seed": "abc"}, "seed must be an integer >= 0, got 'abc'"),
    ({"seed": 1.5}, "seed must be an integer >= 0, got 1.5"),
    ({"corruption_levels": ""}, "corruption_levels must be a non-empty list of numbers in [0, 1]"),
    ({"corruption_levels": 0.5}, "corruption_levels must be a non-empty list of numbers in [0, 1]"),
    ({"corruption_levels": "0.5"}, "corruption_levels must be a non-empty list of numbers in [0, 1]"),
    ({"corruption_levels": "[]"}, "corruption_levels must be a non-empty list"),
    ({"corruption_levels": "[0, 1.5]"}, "got [0, 1.5]"),
    ({"corruption_levels": "[0, 0.5"}, "corruption_levels: cannot read '[0, 0.5' as a Python value"),
    ({"capacity_models": "['nosuch']"}, "capacity_models must be a list of model names; unknown "
                                        "['nosuch']; valid names: " + ", ".join(list_models())),
    ({"capacity_models": "mlp_1x512"}, "capacity_models must be a list of model names"),
    ({"epochs": 3}, "unknown setting 'epochs'; valid settings:"),
    ({"max_epochs": "{'mlp': 'x'}"}, "max_epochs must be {model or family: value} whose values "
                                     "are each a positive integer; 'mlp' has 'x'"),
    ({"max_epochs": "{'resnet': 3}"}, "unknown key 'resnet'"),
    ({"max_epochs": "{'mlp': 3}"}, "max_epochs has no value for inception_small"),
    ({"lr": "{'mlp': -1}"}, "lr must be {model or family: value} whose values are each a positive"),
    ({"lr_decay": 1.5}, "lr_decay must be a number in (0, 1] or None"),
    ({"seeds": "{'mlp': 0}"}, "seeds must be {model or family: value}"),
    ({"batchnorm": "yes"}, "batchnorm must be True or False"),
    ({"dataset": "cifar11"}, "dataset must be one of cifar10, cifar100, digits, fashion_mnist, mnist"),
    ({"device": "gpu"}, "device must be a device name"),
    ({"precision": "fp16"}, "precision must be one of fp32, bf16, auto"),
    ({"fig1a_corruptions": "['labels2']"}, "fig1a_corruptions must be a non-empty list of labels<p>"),
    ({"fig2_level": "-0.1"}, "fig2_level must be a number in [0, 1]"),
    ({"weight_decay": -1e-4}, "weight_decay must be a number >= 0"),
    ({"gaussian_factor": 2.5}, "gaussian_factor must be a positive integer"),
    ({"target_train_loss": 0}, "target_train_loss must be a positive number or None"),
    ({"curve_n_test": 500, "n_test": 100}, "curve_n_test (500) must not exceed n_test (100)"),
])
def test_bad_parameters_are_refused_by_name(override, message):
    with pytest.raises(ValueError) as info:
        resolve("smoke", **override)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown profile 'laptop'; valid profiles: smoke, cpu, cifar, paper"):
        resolve("laptop")
    with pytest.raises(ValueError, match="unknown profile"):
        resolve(["smoke"])


def test_papermill_strings_are_parsed():
    s = resolve("smoke", corruption_levels="[0, 0.5, 1]", n_train="50", seed="3",
                capacity_models="['mlp_1x512']", max_epochs="{'inception': 2, 'alexnet': 2, 'mlp': 3}",
                batchnorm="False", dataset="fashion_mnist")
    assert s["corruption_levels"] == [0, 0.5, 1] and s["n_train"] == 50 and s["seed"] == 3
    assert s["capacity_models"] == ["mlp_1x512"] and s["max_epochs"]["mlp"] == 3
    assert s["batchnorm"] is False
