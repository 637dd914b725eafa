"""rethink_lib.report.findings.central: the paper's central claim in numbers, read from a
capacity chapter's runs and its linear baselines, and the verdict on each outcome."""
import copy

import pytest

from rethink_lib.experiments import fig1bc
from rethink_lib.report import findings
from .test_findings import BASELINES, S, Runs, run


def _store():
    """MLP 1x512, 3 seeds: true labels fitted at epoch 2, 5, 5; random labels at 5, 13, 12."""
    c = fig1bc(S)
    fit_at = lambda epoch, test: [(0.5, test)] * (epoch - 1) + [(1.0, test)]  # noqa: E731
    stored = {}
    for seed, (base, rand) in enumerate([(2, 5), (5, 13), (5, 12)]):
        stored[("mlp_1x512", 0.0, seed)] = run(c[("mlp_1x512", 0.0, seed)], test=0.85,
                                               curve=fit_at(base, 0.85))
        stored[("mlp_1x512", 1.0, seed)] = run(c[("mlp_1x512", 1.0, seed)], test=0.101,
                                               curve=fit_at(rand, 0.101))
    return Runs(S, fig1bc=stored)


def test_central_numbers_from_a_partial_store():
    n = findings.central_numbers(_store(), BASELINES)
    assert n["n_train"] == 5000 and n["classes"] == 10
    assert n["linear_random_train"] == pytest.approx(44.2) and n["linear_true_test"] == pytest.approx(79.0)
    mlp = n["nets"]["MLP 1x512"]
    assert mlp["random_train"] == pytest.approx(100.0) and mlp["random_test"] == pytest.approx(10.1)
    assert mlp["true_test"] == pytest.approx(85.0) and mlp["seeds"] == 3
    assert mlp["factor"] == pytest.approx((5 / 2 + 13 / 5 + 12 / 5) / 3)  # steps, mean over seeds
    assert n["nets"]["Inception"]["random_train"] is None  # planned, not stored
    v = findings.central_claim(n)
    assert v.outcome == "agrees", v.text
    assert v.text.startswith("On Fashion-MNIST at 5,000 training images, the networks fitted random "
                             "labels (MLP 1x512 100.00% of them) where a linear classifier on the "
                             "same pixels fits 44.20%, taking 2.5x (MLP 1x512) the steps")
    assert "at chance on random labels (10.10%; guessing gives 10.00%)" in v.text
    assert "on true labels at 85.00%, against 79.00% for the linear classifier: they fit noise" in v.text
    assert v.text.endswith("(Inception and AlexNet: their random-label runs are not stored yet.)")


NUMBERS = {"dataset": "cifar10", "n_train": 10_000, "classes": 10, "linear_random_train": 57.1,
           "linear_true_test": 26.4, "linear_n_test": 10_000,
           "nets": {"AlexNet": {"random_train": 100.0, "random_test": 9.8, "true_test": 66.4,
                                "n_test": 10_000, "factor": 2.6, "seeds": 1},
                    "MLP 1x512": {"random_train": 100.0, "random_test": 10.1, "true_test": 44.7,
                                  "n_test": 10_000, "factor": 1.2, "seeds": 3}}}


def _with(**changes):
    n = copy.deepcopy(NUMBERS)
    for key, value in changes.items():
        net, _, field = key.partition("__")
        if field:
            n["nets"][net.replace("_", " ")][field] = value
        else:
            n[key] = value
    return n


@pytest.mark.parametrize("numbers, outcome, phrase", [
    (NUMBERS, "agrees", "they fit noise, and from real labels they still generalize"),
    (_with(linear_random_train=99.5), "differs", "shows nothing a linear model cannot do at this size"),
    (_with(AlexNet__random_train=91.0), "differs", "; AlexNet did not fit them"),
    (_with(AlexNet__random_test=14.0), "differs", "near chance on random labels (14.00% and 10.10%"),
    (_with(MLP_1x512__true_test=27.0), "differs", ": MLP 1x512 does not beat it beyond the noise"),
    (_with(linear_random_train=None), "missing", "the linear baseline at 10,000 images was not computed"),
])
def test_central_claim_on_each_outcome(numbers, outcome, phrase):
    v = findings.central_claim(numbers)
    assert v.outcome == outcome and phrase in v.text, v.text


def test_central_claim_waits_for_a_network():
    n = _with(AlexNet__random_train=None, MLP_1x512__random_train=None)
    v = findings.central_claim(n)
    assert v.outcome == "inconclusive" and "no network's random-label run is stored yet" in v.text
    assert v.text.endswith("(AlexNet and MLP 1x512: their random-label runs are not stored yet.)")
    assert "AlexNet beyond the noise of it" in findings.central_claim(_with(AlexNet__random_test=14.0)).text


def test_the_second_data_sets_central_claim_on_the_capacity_page(monkeypatch):
    from rethink_lib.report.findings import common
    from rethink_lib.report.second import Second

    class Stored(Runs):
        def stored(self, experiments=None):
            return [r for e in (experiments or self) for r in self[e].values()]

    calls = []
    monkeypatch.setattr(common, "linear_baselines",
                        lambda data, sizes, seed: calls.append((data, sizes, seed)) or BASELINES)
    other = Stored(S, fig1bc=_store()["fig1bc"])
    text = Second(None, {}, "cifar10", other, {}, "fashion_mnist").central()
    assert calls == [("fashion_mnist", (5000, 500), 0)]  # the second data set's own baselines
    assert text.startswith("On Fashion-MNIST at 5,000 training images, the networks fitted")
    assert "where a linear classifier on the same pixels fits 44.20%" in text
    assert Second(None, {}, "cifar10", Stored(S), {}, "fashion_mnist").central() == ""  # none stored
    assert Second(None, {}, "cifar10").central() == ""  # no second data set
