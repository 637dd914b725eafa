import pytest

from rethink_lib.experiments import (CHAPTER_EXPERIMENTS, EXPERIMENTS, PROFILES, all_configs,
                                     fig1bc, get_experiment, resolve)


def test_unknown_profile_and_setting_fail_clearly():
    with pytest.raises(ValueError, match="valid profiles: smoke, cpu, cifar, paper"):
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
    assert sorted(configs) == [("mlp_1x512", 0, 0), ("mlp_1x512", 0.5, 0), ("mlp_1x512", 1, 0)]
    assert {c.corruption for c in configs.values()} == {"labels"}
    assert [configs[("mlp_1x512", p, 0)].level for p in (0, 0.5, 1)] == [0.0, 0.5, 1.0]
    assert configs[("mlp_1x512", 0.5, 0)].n_train == 50


def test_extension_lr_decay_is_one_factor_or_one_per_family():
    """The second data set's lr factor (per 391 steps in the cifar profile) is one value for
    every network, or one per family, the others keeping the profile's lr_decay."""
    from rethink_lib.builders import epoch_decay
    one = get_experiment("other_dataset_random")(resolve("cifar"))
    assert {c.lr_decay for c in one.values()} == {epoch_decay(0.99, 391, "mnist", None, 128)}
    per = get_experiment("other_dataset_random")(
        resolve("cifar", extension_lr_decay="{'mlp': 0.998}"))
    decay = {c.model: c.lr_decay for c in per.values()}
    assert decay["mlp_1x512"] == pytest.approx(0.998 ** (469 / 391))
    assert decay["alexnet_small"] == pytest.approx(0.95 ** (469 / 391))  # lr_decay: x0.95
    with pytest.raises(ValueError, match="unknown key 'vgg'"):
        resolve("cifar", extension_lr_decay={"vgg": 0.99})


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_experiment_builds_valid_configs(profile):
    s = resolve(profile)
    configs = all_configs(s)
    assert len({c.run_id for c in configs}) == len(configs)
    assert all(c.dataset in ("fashion_mnist", "digits", "cifar10", "cifar100", "mnist") for c in configs)
    assert set(sum(CHAPTER_EXPERIMENTS.values(), [])) <= set(EXPERIMENTS)


def test_cpu_profile_shares_runs_between_figures():
    s = resolve("cpu")
    from rethink_lib.experiments import by_family, fig1a, table1
    a, t = fig1a(s), table1(s)
    assert a[("inception_small", "labels0", 0)] == t[("inception_small", "neither", 0)]
    assert a[("inception_small", "labels1", 0)] == t[("inception_small", "random labels", 0)]
    c = a[("inception_small", "labels1", 0)]
    assert c.max_epochs == by_family(s["max_epochs"], "inception_small")
    assert t[("mlp_1x512", "wd", 0)].lr_decay == by_family(s["lr_decay"], "mlp_1x512")
    assert sorted(k[-1] for k in t if k[:2] == ("mlp_1x512", "wd")) == [0, 1, 2]  # MLPs: 3 seeds


def test_settings_per_family_come_from_the_registry():
    from rethink_lib.experiments import by_family
    from rethink_lib.models import list_models, model_spec
    per_family = {"inception": 1, "alexnet": 2, "mlp": 3}
    for m in list_models():
        assert by_family(per_family, m) == per_family[model_spec(m).family]
    assert by_family({"mlp_3x512": 9, "mlp": 3}, "mlp_3x512") == 9  # a model's own entry first
    assert by_family(7, "mlp_1x512") == 7


@pytest.mark.parametrize("fig3a_epochs, implicit_epochs", [(100, 60), (7, 9)])
def test_fig3a_has_its_own_length_and_fig3bc_keep_theirs(fig3a_epochs, implicit_epochs):
    from rethink_lib.experiments import fig3a, fig3b, fig3c
    s = resolve("cpu", fig3a_epochs=fig3a_epochs, implicit_epochs=implicit_epochs)
    assert {c.max_epochs for c in fig3a(s).values()} == {fig3a_epochs}
    assert {c.max_epochs for f in (fig3b, fig3c) for c in f(s).values()} == {implicit_epochs}
    assert all(c.target_train_acc is None for c in fig3a(s).values())  # fixed length, no stop
    with pytest.raises(ValueError, match="fig3a_epochs"):
        resolve("cpu", fig3a_epochs=0)
