"""The experiment registry: every entry's facts are usable, and the lists that name figures
are views of it (parametrised over the registry, as tests/test_models.py is over models)."""
import dataclasses

import pytest

from rethink_lib import registry
from rethink_lib.builders import CorruptionKey, LevelKey, ModelKey, RowKey
from rethink_lib.chapter_params import CHAPTER_PARAMETERS
from rethink_lib.chapters import CHAPTER_EXPERIMENTS, EXPERIMENT_OF, JUDGED, TOPICS
from rethink_lib.experiments import EXPERIMENTS, QUEUE, resolve
from rethink_lib.plan import FIGURES
from rethink_lib.profiles import NAMES
from rethink_lib.report import figures, findings, tables

ENTRIES = list(registry.EXPERIMENTS.values())
SMOKE = resolve("smoke")
CIFAR = resolve("cifar")


@pytest.mark.parametrize("e", ENTRIES, ids=lambda e: e.name)
def test_entry_facts_point_at_real_things(e):
    assert e.chapter in registry.CHAPTERS
    assert e.models is None or e.models in NAMES
    assert all(p.setting is None or p.setting in NAMES for p in e.params)
    assert e.figure is None or callable(getattr(figures, e.figure))
    assert e.table is None or callable(getattr(tables, e.table))
    assert e.build.__doc__  # what it is, for the reader of the registry


@pytest.mark.parametrize("e", ENTRIES, ids=lambda e: e.name)
def test_entry_builds_runs_keyed_by_named_fields(e):
    runs = e(CIFAR)
    assert runs, f"{e.name} plans no run in the cifar profile"
    for key, config in runs.items():
        assert isinstance(key, (str, ModelKey, LevelKey, CorruptionKey, RowKey))
        if not isinstance(key, str):
            assert key.model == config.model and key.seed == config.seed


def test_keys_read_by_name_and_still_equal_plain_tuples():
    runs = registry.get_experiment("fig1bc")(SMOKE)
    key = next(iter(runs))
    assert (key.model, key.level, key.seed) == ("inception_small", 0.0, 0)
    assert runs[("inception_small", 0.0, 0)] is runs[key]  # older callers' tuples still work
    t1 = registry.get_experiment("table1")(SMOKE)
    assert {k.label for k in t1} == {"crop+wd", "crop", "wd", "neither", "random labels"}


def test_unknown_names_are_errors_listing_the_valid_ones():
    with pytest.raises(ValueError, match="unknown experiment 'fig9'; valid names: fig1a, fig1bc"):
        registry.get_experiment("fig9")
    with pytest.raises(ValueError, match="unknown chapter '07_x'; valid: 02_capacity, 03_explicit"):
        registry.get_chapter("07_x")


def test_registering_a_name_twice_is_an_error():
    with pytest.raises(ValueError, match="registered twice"):
        registry.experiment("fig1a", chapter=registry.CHAPTERS["02_capacity"], label="x")(lambda s: {})


def test_views_are_derived_from_the_registry():
    assert set(QUEUE) == set(EXPERIMENTS) == set(registry.EXPERIMENTS)
    assert len(QUEUE) == len(set(QUEUE))
    # each experiment in its chapter's list, in registration order (a new entry joins by itself)
    assert CHAPTER_EXPERIMENTS == {c: [e.name for e in ENTRIES if e.chapter == c] for c in registry.CHAPTERS}
    assert CHAPTER_EXPERIMENTS["04_implicit"][:3] == ["fig3a", "fig3b", "fig3c"]
    assert FIGURES["fig1bc"] == ("Fig. 1b/1c", "capacity_models") and FIGURES["fig3a"] == ("Fig. 3a", None)
    assert findings.TOPICS is TOPICS and findings.EXPERIMENT_OF is EXPERIMENT_OF
    assert EXPERIMENT_OF["t2_fit"] == ("table2",) and "fig1a_order" not in EXPERIMENT_OF
    assert JUDGED["fig1a_order"] == ("fig1a",) and "linear" not in JUDGED  # a chapter's own
    assert EXPERIMENT_OF["t1_full_fit"] == JUDGED["t1_full_fit"] == ("table1_full", "table1_full_late")
    assert list(TOPICS["02_capacity"])[:5] == ["linear", "fig1a_fit", "fig1a_order", "fig1a_pixels", "decay_rule"]
    # every verdict key belongs to one chapter only
    keys = [k for c in TOPICS.values() for k in c]
    assert len(keys) == len(set(keys))
    # a chapter's parameters: the run ones, its own, then its experiments' (each once)
    names = [p.name for p in CHAPTER_PARAMETERS["04_implicit"]]
    assert names[-3:] == ["implicit_epochs", "fig3a_epochs", "weight_decay"]
    assert len(names) == len(set(names))


def test_chapter_findings_dispatch_names_real_functions():
    for c in registry.CHAPTERS.values():
        assert findings.JUDGES[c.findings] is getattr(findings, c.findings)


def test_an_unknown_findings_name_is_an_error_listing_the_valid_ones(monkeypatch):
    name = next(iter(registry.CHAPTERS))
    bad = dataclasses.replace(registry.CHAPTERS[name], findings="nonesuch")
    monkeypatch.setitem(registry.CHAPTERS, name, bad)
    with pytest.raises(KeyError, match="nonesuch.*valid: capacity, explicit, implicit"):
        findings.chapter_findings({name: {}}, stores=())


def test_settings_are_typed_and_read_as_a_mapping():
    s = resolve("cpu", max_epochs='{"inception": 10, "alexnet": 20, "mlp": 30}')
    assert s.max_epochs.of("mlp_1x512") == 30 and s["max_epochs"]["mlp"] == 30
    assert {**s}["n_train"] == 5000 and s.get("lr_decay_steps") is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_train = 10
    assert s.with_(seeds={"mlp": 2}).seeds.of("mlp_3x512") == 2
