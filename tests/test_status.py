"""The execution report's compact status: hours and minutes, runs named by what they are,
one row per experiment with stored, damaged and missing runs counted once."""
import json
import shutil

import pytest

from rethink_lib.config import RunConfig
from rethink_lib.experiments import QUEUE, planned_runs, resolve
from rethink_lib.ops import status
from rethink_lib.results import BOOK_RESULTS_DIR


@pytest.mark.parametrize("hours, text", [(None, "-"), (0, "0 min"), (0.5, "30 min"),
                                         (2.0 + 5 / 60, "2 h 05 min"), (26.0, "26 h 00 min")])
def test_hm(hours, text):
    assert status.hm(hours) == text


def test_run_name_says_what_the_run_is():
    c = RunConfig(model="inception_small", dataset="cifar10", corruption="labels", level=1.0,
                  weight_decay=5e-5, augment="crop", seed=1, n_train=10000)
    assert status.run_name(c) == "Inception, CIFAR-10, random labels, random crop, weight decay (seed 1)"
    full = RunConfig(model="mlp_1x512", dataset="cifar10", n_train=None, level=0.0)
    assert status.run_name(full) == "MLP 1x512, CIFAR-10, true labels, all images"


def test_experiments_frame_counts_each_run_once(tmp_path):
    """Two stored runs, one damaged, the rest missing, predicted at 1 h each."""
    plan = planned_runs(resolve("cifar"), QUEUE)
    fig1bc = [rid for rid, (e, _) in plan.items() if e == "fig1bc"]
    store = tmp_path / "results"
    store.mkdir()
    stored = [d for d in BOOK_RESULTS_DIR.iterdir() if d.name in fig1bc][:2]
    if len(stored) < 2:
        pytest.skip("fewer than two cifar Fig. 1b/1c runs in the committed store")
    for d in stored:
        shutil.copytree(d, store / d.name)
    bad = next(r for r in fig1bc if r not in {d.name for d in stored})
    (store / bad).mkdir()
    (store / bad / "summary.json").write_text(json.dumps([1, 2]))  # a list, not a summary
    frame = status.experiments_frame(store, ["cifar"], predict=lambda c: 3600.0)
    row = frame.set_index("experiment").loc["Fig. 1b/1c"]
    assert (row["runs"], row["stored"], row["damaged"], row["missing"]) == (len(fig1bc), 2, 1,
                                                                            len(fig1bc) - 2)
    assert row["predicted for the missing"] == status.hm(len(fig1bc) - 2)
    assert frame["runs"].sum() == len(plan)  # each planned run in exactly one row
    named = status.runs_named(store)
    assert (named["status"] == "complete").sum() == 2
    assert named.set_index("run").loc[bad, "status"].startswith("damaged")


@pytest.mark.parametrize("isa,phrase", [("AMX", "has it natively"),
                                        ("AVX2", "only emulates it")])
def test_hardware_sentence_counts_missing_runs_by_where_they_can_train(tmp_path, monkeypatch,
                                                                       isa, phrase):
    import rethink_lib.experiments as E
    from rethink_lib.ops.status import hardware_sentence
    from rethink_lib.profiles import PerModel
    # the cifar profile as it was before Inception moved to fp32: Inception in bf16
    bf16_inception = PerModel(inception="bf16", alexnet="fp32", mlp="fp32")
    real = E.resolve
    monkeypatch.setattr(E, "resolve", lambda profile, **kw: real(profile, precision=bf16_inception))
    configs = E.all_configs(E.resolve("cifar"), E.QUEUE)
    text = hardware_sentence(tmp_path, "cifar", isa=isa)  # an empty store: all missing
    bf16 = sum(c.precision == "bf16" for c in configs)
    assert text.startswith(f"{len(configs)} runs of the cifar profile are not stored yet; "
                           f"{bf16} of them train in bf16")
    assert phrase in text and "read only the 10,000-image subset" in text
    fp32 = len(configs) - bf16
    assert fp32 > 0 and f"The other {fp32} train in fp32 (AlexNet, MLP 1x512" in text
    assert "bf16 (Inception" in text and "AlexNet" not in text.split("train in bf16")[1].split(")")[0]


def test_hardware_sentence_without_bf16_runs_names_fp32_only(tmp_path):
    from rethink_lib.ops.status import hardware_sentence
    text = hardware_sentence(tmp_path, "smoke", isa="AVX2")  # smoke: every run in fp32
    assert "all of them train in fp32" in text and "bf16" not in text
