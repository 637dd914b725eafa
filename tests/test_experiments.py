import pytest

from rethink_lib.experiments import (CHAPTER_EXPERIMENTS, EXPERIMENTS, PROFILES, all_configs,
                                     fig1bc, get_experiment, resolve)


def test_unknown_profile_and_setting_fail_clearly():
    with pytest.raises(ValueError, match="valid profiles: smoke, cpu, paper"):
        resolve("laptop")
    with pytest.raises(ValueError, match="unknown setting 'epochs'"):
        resolve("cpu", epochs=3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        resolve("cpu", corruption_levels="[0, 1.5]")
    with pytest.raises(ValueError, match="valid names"):
        get_experiment("fig9")


def test_overrides_parse_papermill_strings():
    s = resolve("smoke", corruption_levels="[0, 0.5, 1]", n_train="50", capacity_models="['mlp_1x512']")
    assert s["corruption_levels"] == [0, 0.5, 1] and s["n_train"] == 50
    configs = fig1bc(s)
    assert sorted(configs) == [("mlp_1x512", 0), ("mlp_1x512", 0.5), ("mlp_1x512", 1)]
    assert configs[("mlp_1x512", 0)].corruption == "true_labels"
    assert configs[("mlp_1x512", 1)].corruption == "random_labels"
    assert configs[("mlp_1x512", 0.5)].level == 0.5 and configs[("mlp_1x512", 0.5)].n_train == 50


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_experiment_builds_valid_configs(profile):
    s = resolve(profile)
    configs = all_configs(s)
    assert len({c.run_id for c in configs}) == len(configs)
    assert all(c.dataset in ("fashion_mnist", "digits", "cifar10", "cifar100", "mnist") for c in configs)
    assert set(sum(CHAPTER_EXPERIMENTS.values(), [])) <= set(EXPERIMENTS)


def test_cpu_profile_shares_runs_between_figures():
    s = resolve("cpu")
    from rethink_lib.experiments import fig1a, table1
    a, t = fig1a(s), table1(s)
    assert a["true_labels"] == t[("inception_small", "neither")]
    assert a["random_labels"] == t[("inception_small", "random labels")]
    assert a["random_labels"].max_epochs == 60 and t[("mlp_1x512", "wd")].lr_decay == 0.99
