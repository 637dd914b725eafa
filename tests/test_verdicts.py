"""rethink_lib.report.verdicts: every outcome each verdict function can print, on small
synthetic inputs, and the numbers in each sentence against the inputs it was given."""
import re

import pytest

from rethink_lib.config import RunConfig
from rethink_lib.report import verdicts as V
from rethink_lib.report.stats import by_seed, se_acc, se_diff, stat

NAMES = {"labels0": "true labels", "shuffled_pixels": "shuffled pixels", "gaussian": "Gaussian noise",
         "random_pixels": "random pixels", "labels1": "random labels"}
REF = {"labels0": 5700, "shuffled_pixels": 6700, "gaussian": 9900, "random_pixels": 13000,
       "labels1": 17700}


def numbers(text):
    """Every number printed in a sentence, as floats (thousands separators removed)."""
    return [float(x.replace(",", "")) for x in re.findall(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?", text)]


# ------------------------------------------------------------------------ ordering
def test_ordering_same_order():
    ours = {"labels0": 1200, "shuffled_pixels": 1300, "gaussian": 1400, "random_pixels": 1500,
            "labels1": 2600}
    v = V.ordering(ours, REF, NAMES, "steps to loss", "the reference", "t")
    assert v.outcome == "agrees" and "the same order" in v.text
    assert "true labels (1,200) < shuffled pixels (1,300)" in v.text
    assert {1200, 1300, 1400, 1500, 2600} <= set(numbers(v.text))


def test_ordering_reversed_pair_named():
    ours = {"labels0": 1600, "shuffled_pixels": 1300, "gaussian": 1400, "random_pixels": 1500,
            "labels1": 2000}
    v = V.ordering(ours, REF, NAMES, "steps to loss", "the reference", "t", tolerance=1.0)
    assert v.outcome == "differs"
    assert "3 of 10 pairs reversed;" in v.text  # true labels after three of the others
    assert "true labels took longer than shuffled pixels" in v.text
    assert v.text.index("shuffled pixels (1,300)") < v.text.index("true labels (1,600)")
    # the default margin: 1,600 against 1,500 (a factor of 1.07) is too close to count
    v = V.ordering(ours, REF, NAMES, "steps to loss", "the reference", "t")
    assert v.outcome == "differs" and "2 of 10 pairs reversed by more than a factor of 1.10" in v.text
    assert "random pixels came before true labels, the reverse of the reference, but by a factor " \
        "of 1.07 only, within 1.10x: too close for single runs" in v.text


@pytest.mark.parametrize("true_steps,tolerance,outcome", [
    (2844, V.CLOSE, "agrees"),   # shuffled pixels first by a factor of 1.09: within the margin
    (2867, V.CLOSE, "agrees"),   # 1.0997: just inside the margin
    (2870, V.CLOSE, "differs"),  # 1.101: beyond it, a reversal
    (2844, 1.05, "differs"),     # a tighter margin (seeds measured closer) counts it
    (2500, V.CLOSE, "agrees"),   # the reference's order, no close pair to name
])
def test_ordering_margin_for_single_runs(true_steps, tolerance, outcome):
    ours = {"labels0": true_steps, "shuffled_pixels": 2607, "labels1": 5293}
    v = V.ordering(ours, REF, NAMES, "steps to loss", "the reference", "t", tolerance=tolerance)
    assert v.outcome == outcome
    factor = f"{true_steps / 2607:.2f}"
    if true_steps < 2607:
        assert "the same order" in v.text and "too close" not in v.text
    elif outcome == "agrees":
        assert "the same order within the spread of single runs" in v.text
        assert f"shuffled pixels came before true labels, the reverse of the reference, but by a " \
            f"factor of {factor} only, within {tolerance:.2f}x" in v.text
    else:
        assert f"1 of 3 pairs reversed by more than a factor of {tolerance:.2f}" in v.text
        assert "true labels took longer than shuffled pixels" in v.text and "too close" not in v.text


def test_ordering_unreached_last_and_ties():
    ours = {"labels0": 1200, "shuffled_pixels": 1200, "labels1": None}
    v = V.ordering(ours, REF, NAMES, "steps to loss", "the reference", "t")
    assert v.outcome == "agrees" and "random labels never reached" in v.text
    assert "true labels (1,200) = shuffled pixels (1,200)" in v.text  # a tie is not shown as "<"
    assert "true labels and shuffled pixels (1,200 each) tie, and a tie is evidence for neither" in v.text
    assert "tie" not in V.ordering({"labels0": 1, "labels1": 2}, REF, NAMES, "s", "r", "t").text
    assert "not stored yet: Gaussian noise and random pixels" in v.text
    # the reference's *last* never reached, but an earlier one did not either: reversed
    v = V.ordering({"labels0": None, "labels1": 900}, REF, NAMES, "steps", "the reference", "t")
    assert v.outcome == "differs"
    v = V.ordering({"labels0": None, "labels1": None}, REF, NAMES, "steps", "the reference", "t")
    assert v.outcome == "inconclusive"
    v = V.ordering({"labels0": 10}, REF, NAMES, "steps", "the reference", "t")
    assert v.outcome == "missing"


def test_ordering_caveat_is_its_own_sentence():
    v = V.ordering({"labels0": 1, "labels1": 2}, REF, NAMES, "steps", "the reference", "t",
                   caveat="(Not like-for-like: other data.)")
    assert v.text.endswith(". (Not like-for-like: other data.)")


# --------------------------------------------------------------------------- ratio
@pytest.mark.parametrize("base,other,outcome,word", [
    ([100], [300], "agrees", "about the same factor"),
    ([100], [120], "differs", "a smaller factor"),
    ([100], [600], "differs", "a larger factor"),
])
def test_ratio_outcomes(base, other, outcome, word):
    v = V.ratio("MLP 1x512", base, other, 3.1, "the ratio", "the reference", "t")
    assert v.outcome == outcome and word in v.text
    assert f"{other[0] / base[0]:.1f}x" in v.text and "3.1x" in v.text


def test_ratio_seeds_and_unreached():
    v = V.ratio("MLP", [100, 100, 100], [200, 250, None], 3.1, "the ratio", "the ref", "t",
                runs=("true-label", "random-label"))
    assert v.outcome == "differs"
    assert "2.2x (mean of 2 seeds, 2.0x to 2.5x)" in v.text
    assert "1 of 3 seeds are left out: in each, the random-label run did not reach" in v.text
    v = V.ratio("MLP", [100], [None], 3.1, "the ratio", "the ref", "t", runs=("true-label", "random-label"))
    assert v.outcome == "inconclusive" and "because the random-label run did not reach" in v.text
    v = V.ratio("MLP", [None], [None], 3.1, "the ratio", "the ref", "t", runs=("true-label", "random-label"))
    assert "because the true-label run and the random-label run did not reach" in v.text
    assert V.ratio("MLP", [], [], 3.1, "the ratio", "the ref", "t").outcome == "missing"


# ------------------------------------------------------------------------ fitted
def test_fitted_outcomes():
    all_ok = V.fitted({"a": (True, 100.0), "b": (True, 100.0), "c": (True, 100.0)}, "the target", "t")
    assert all_ok.outcome == "agrees" and all_ok.text == "All 3 runs reached the target."
    some = V.fitted({"a": (True, 100.0), "b": (False, 97.1)}, "the target", "t")
    assert some.outcome == "differs" and "1 of 2 runs did not reach" in some.text
    assert "b (97.10% running training accuracy)" in some.text and "a (" not in some.text
    none = V.fitted({"a": (False, 90.0), "b": (False, 97.1)}, "the target", "t")
    assert none.outcome == "differs" and none.text.startswith("Neither of the 2 runs")
    assert V.fitted({"a": (False, 50.0)}, "the target", "t", expected=False).outcome == "agrees"
    assert V.fitted({}, "the target", "t").outcome == "missing"
    # a run at 100% accuracy that missed the loss target says so, with its loss
    loss = V.fitted({"a": (False, 100.0, 0.0516), "b": (True, 100.0, 0.009)}, "the target", "t")
    assert loss.outcome == "differs"
    assert "a (100.00% running training accuracy, loss 0.052)" in loss.text
    one = V.fitted({"a": (False, 100.0, 0.0516)}, "the target", "t")
    assert one.text == "A did not reach the target: 100.00% running training accuracy, loss 0.052."


# ---------------------------------------------------------------------- difference
def test_difference_threshold_and_noise():
    se = 100 * se_diff(0.851, 10_000, 0.8575, 10_000)
    near = V.difference("Inception", 85.1, 85.75, "the paper", "t", 10_000, 10_000)
    assert near.outcome == "agrees" and "-0.65 points, within 2 points" in near.text
    assert f"{2 * se:.2f} points" in near.text
    far = V.difference("Inception", 80.1, 85.75, "the paper", "t", 10_000, 10_000,
                       caveat="(Not like-for-like.)")
    assert far.outcome == "differs" and "-5.65 points, more than 2 points" in far.text
    assert far.text.endswith("(Not like-for-like.)")
    # beyond 2 points but inside the noise of a tiny test set: not reported as a difference
    noisy = V.difference("MLP", 52.0, 55.0, "the paper", "t", 100, 10_000)
    assert noisy.outcome == "agrees" and "within" in noisy.text
    assert V.difference("MLP", None, 55.0, "the paper", "t").outcome == "missing"
    assert V.difference("MLP", 50.0, None, "the paper", "t").outcome == "inconclusive"


# -------------------------------------------------------------------------- effect
def test_effect_above_and_within_noise():
    se = 100 * se_diff(0.55, 10_000, 0.515, 10_000)
    up = V.effect("MLP", 55.0, 51.5, 10_000, "weight decay", "t")
    assert up.outcome == "agrees" and "+3.50 points" in up.text and "above the noise" in up.text
    assert f"{2 * se:.2f} points" in up.text
    flat = V.effect("MLP", 52.0, 51.5, 10_000, "weight decay", "t")
    assert flat.outcome == "differs" and "within the noise" in flat.text
    # exactly at the edge: 2 SE is not "above"
    p, n = 0.5, 400
    edge = 100 * 2 * se_diff(p, n, p, n)
    assert "within" in V.effect("M", 50.0 + edge * 0.99, 50.0, n, "x", "t").text


def test_effect_against_published_and_confound():
    same = V.effect("MLP", 52.0, 51.5, 10_000, "weight decay", "t", published=-0.12)
    assert same.outcome == "agrees" and "the paper: -0.12 points, consistent with ours" in same.text
    off = V.effect("Inception", 85.3, 85.0, 10_000, "random crop", "t", published=3.3)
    assert off.outcome == "differs" and "larger than ours by more than 2 points" in off.text
    conf = V.effect("Inception", 80.0, 70.0, 10_000, "BatchNorm", "t",
                    confound="Confounded: the runs also differ in learning rate (0.1 against 0.005).")
    assert conf.text.endswith("(0.1 against 0.005).")
    assert V.effect("M", None, 50.0, 100, "x", "t").outcome == "missing"


# --------------------------------------------------------------------------- chance
def test_chance():
    at = V.chance("MLP", 10.2, 10_000, 10, "t")
    assert at.outcome == "agrees" and "at chance" in at.text and "10.00%" in at.text
    above = V.chance("MLP", 12.2, 10_000, 10, "t")
    assert above.outcome == "differs" and "above chance by 2.20 points" in above.text
    below = V.chance("MLP", 8.0, 10_000, 10, "t")
    assert below.outcome == "differs" and "below chance by 2.00 points" in below.text
    assert V.chance("MLP", 85.0, 10_000, 10, "t", expected="above").outcome == "agrees"
    assert V.chance("MLP", 10.1, 10_000, 10, "t", expected="above").outcome == "differs"


def test_above_baseline_says_the_baseline_and_its_noise_once():
    both = V.above_baseline("the linear classifier", 26.41,
                            {"Inception": (76.52, 10_000), "MLP": (44.68, 10_000)}, "t")
    assert both.outcome == "agrees"
    assert both.text == ("Test accuracy Inception 76.52% (+50.11 points) and MLP 44.68% (+18.27 "
                         "points), against 26.41% for the linear classifier: each above it beyond "
                         "the noise (2 standard errors of the difference = 1.22 to 1.33 points).")
    short = V.above_baseline("the linear classifier", 26.41,
                             {"Inception": (76.52, 10_000), "MLP": (27.0, 10_000), "B": (None, None)}, "t")
    assert short.outcome == "differs" and "(+50.11 points, above the noise)" in short.text
    assert "MLP 27.00% (+0.59 points, within the noise or below)" in short.text
    assert short.text.endswith("(B: not stored yet.)")
    assert V.above_baseline("the linear classifier", 26.41, {"MLP": (20.0, 10_000)}, "t").outcome == "differs"
    assert V.above_baseline("the linear classifier", None, {"MLP": (44.7, 10_000)}, "t").outcome == "missing"


def test_chances_says_the_chance_level_and_its_noise_once():
    both = V.chances("On random labels", {"AlexNet": (9.62, 10_000), "MLP": (10.02, 10_000)}, 10, "t")
    assert both.outcome == "agrees"
    assert both.text == ("On random labels, test accuracy AlexNet 9.62% and MLP 10.02%: each at "
                         "chance, against 10.00% for guessing among 10 classes (2 standard errors "
                         "of an accuracy at chance = 0.60 points).")
    one_off = V.chances("On random labels", {"AlexNet": (9.62, 10_000), "MLP": (12.2, 10_000),
                                             "Inception": (None, None)}, 10, "t")
    assert one_off.outcome == "differs"
    assert "AlexNet 9.62% (at chance) and MLP 12.20% (above chance by 2.20 points)" in one_off.text
    assert one_off.text.endswith("(Inception: not stored yet.)")
    above = V.chances("Without regularizers", {"A": (76.5, 10_000), "B": (44.7, 2000)}, 10, "t",
                      expected="above")
    assert above.outcome == "agrees" and "each above chance by 34.70 to 66.50 points" in above.text
    assert "= 0.60 to 1.34 points" in above.text  # two test-set sizes, two noise levels
    # at chance is a miss where the networks should generalize, as `chance` judges it
    assert V.chances("Without regularizers", {"A": (76.5, 10_000), "B": (10.1, 10_000)}, 10, "t",
                     expected="above").outcome == "differs"
    assert V.chances("On random labels", {"A": (None, None)}, 10, "t").outcome == "missing"
    assert V.chance("MLP", None, 10_000, 10, "t").outcome == "missing"


# ------------------------------------------------------------------------- monotone
def test_monotone():
    up = V.monotone("MLP", [0, 0.5, 1], [10, 50, 89], "test error", "t")
    assert up.outcome == "agrees" and "from 10.00% at p = 0 to 89.00% at p = 1" in up.text
    down = V.monotone("MLP", [0, 0.5, 1], [10, 50, 45], "test error", "t")
    assert down.outcome == "differs" and "falls from 50.00% at p = 0.5 to 45.00% at p = 1" in down.text
    assert V.monotone("MLP", [0, 0.5, 1], [10, 50, 49.5], "e", "t", tolerance=1).outcome == "agrees"
    gap = V.monotone("MLP", [0, 0.5, 1], [10, None, 89], "e", "t")
    assert gap.outcome == "agrees" and "1 level(s) not stored yet" in gap.text
    assert V.monotone("MLP", [0, 1], [10, None], "e", "t").outcome == "missing"


# -------------------------------------------------------------------------- earlier
def test_earlier():
    kw = dict(a="the clean examples", b="the corrupted examples", event="90%", topic="t")
    first = V.earlier("MLP", 200, 1400, **kw)
    assert first.outcome == "agrees" and "the clean examples reached 90% at step 200" in first.text
    assert "the clean examples first, as the report found" in first.text
    second = V.earlier("MLP", 2000, 1400, **kw)
    assert second.outcome == "differs" and "the corrupted examples first, unlike in the report" in second.text
    never = V.earlier("MLP", 200, None, **kw)
    assert never.outcome == "agrees" and "the corrupted examples never reached 90%" in never.text
    both = V.earlier("MLP", None, None, **kw)
    assert both.outcome == "inconclusive"
    tie = V.earlier("MLP", 5, 5, unit="epoch", **kw)
    assert tie.outcome == "differs" and "at the same epoch" in tie.text
    free = V.earlier("MLP", 9, 5, expected=None, **kw)
    assert free.outcome == "agrees" and "the corrupted examples first." in free.text
    # within 10% of each other: about the same time, which is not the report's order
    close = V.earlier("Inception", 27, 26, unit="epoch", **kw)
    assert close.outcome == "differs" and "about the same time (within 10% of each other)" in close.text
    assert "unlike in the report" in close.text
    assert V.earlier("Inception", 100, 111, **kw).outcome == "agrees"  # 11% apart: an order
    assert V.earlier("Inception", 100, 110, **kw).outcome == "differs"
    assert V.earlier("Inception", 27, 26, unit="epoch", tolerance=1.0, **kw).text.endswith(
        "the corrupted examples first, unlike in the report.")


def test_steadier():
    kw = dict(a="with BatchNorm", b="without", topic="t", source="the paper")
    assert V.steadier("I", 0.5, 1.0, **kw).outcome == "agrees"
    v = V.steadier("I", 1.0, 0.5, **kw)
    assert v.outcome == "differs" and "steadier without, unlike in the paper" in v.text
    same = V.steadier("I", 1.0, 1.1, **kw)
    assert same.outcome == "differs" and "about equally steady" in same.text
    assert "1.00 points per epoch on average with BatchNorm and by 1.10 without" in same.text


def test_early_stopping():
    none = V.early_stopping("I", 0.3, 2000, 85.0, True, 40, "t")
    assert none.outcome == "agrees" and "0.30 points, within both" in none.text
    # se of the difference, 85% against 81.7% on 2,000 images each: 1.19 points; one
    # comparison 2.39, the best of 40 epochs (Bonferroni) 3.25 standard errors = 3.88 points
    gain = V.early_stopping("I", 4.5, 2000, 85.0, True, 40, "t")
    assert gain.outcome == "differs" and "more than both" in gain.text
    assert "the best of 40 epochs" in gain.text and "3.25 standard errors = 3.88 points" in gain.text
    between = V.early_stopping("I", 3.3, 2000, 85.0, True, 40, "t")
    assert between.outcome == "inconclusive"
    assert "more than the noise of one comparison (2 standard errors" in between.text
    assert "but within that of picking the best of 40 epochs" in between.text
    assert "picking the best epoch by chance could explain it" in between.text
    # the same gain clears the threshold of fewer epochs to pick from
    assert V.early_stopping("I", 3.3, 2000, 85.0, True, 2, "t").outcome == "differs"
    unfit = V.early_stopping("I", 4.5, 2000, 85.0, False, 40, "t")
    assert unfit.outcome == "inconclusive" and "never fitted its training set in 40 epochs" in unfit.text
    assert V.early_stopping("I", None, 2000, None, True, 40, "t").outcome == "missing"


def test_linear_baseline():
    needs = V.linear_baseline(5000, 44.2, {"MLP 1x512": 100.0, "AlexNet": 100.0}, 500, 100.0, "t")
    assert needs.outcome == "agrees" and "fits only 44.20%" in needs.text
    assert "MLP 1x512 100.00% and AlexNet 100.00%" in needs.text
    assert "At 500 images it fits 100.00%" in needs.text
    trivial = V.linear_baseline(500, 100.0, {"MLP 1x512": 100.0}, 500, 100.0, "t")
    assert trivial.outcome == "differs" and "itself fits 100.00%" in trivial.text
    short = V.linear_baseline(5000, 44.2, {"MLP 1x512": 100.0, "AlexNet": 14.0}, 500, 100.0, "t")
    assert short.outcome == "differs" and "1 of the 2 networks did not fit" in short.text
    alone = V.linear_baseline(5000, 44.2, {}, 500, 100.0, "t")
    assert alone.outcome == "inconclusive"
    assert V.linear_baseline(5000, None, {}, 500, None, "t").outcome == "missing"


def test_confounds():
    a = RunConfig(model="inception_small", lr=0.1)
    b = RunConfig(model="inception_small_nobn", lr=0.005, lr_decay=0.99)
    text = V.confounds(a, b, ["model", "bn"], ("the BN run", "the run without"), (True, False))
    assert "learning rate (0.1 against 0.005)" in text
    assert "learning-rate decay per epoch (0.95 against 0.99)" in text
    assert "the run without did not fit its training set" in text
    assert V.confounds(a, RunConfig(model="inception_small_nobn", lr=0.1), ["model", "bn"]) == ""
    only_unfit = V.confounds(a, a, ["bn"], ("x", "y"), (False, False))
    assert only_unfit == "Confounded: x and y did not fit their training sets."
    missed = V.confounds(a, a, ["bn"], ("x", "y"), (True, False), missed="the stopping target")
    assert missed == ("Confounded: y did not reach the stopping target, so the two did not stop "
                      "by the same rule.")
    epochs = V.confounds(a, RunConfig(model="inception_small", lr=0.1, max_epochs=7), ["bn"])
    assert "epoch cap (100 against 7)" in epochs


def test_combine_says_a_shared_caveat_once():
    a = V.Verdict("t", "agrees", "A is so. (Not like-for-like: other data.)")
    b = V.Verdict("t", "agrees", "B is so. (Not like-for-like: other data.) (B only.)")
    assert V.combine("x", [a, b]).text == ("A is so. (Not like-for-like: other data.) B is so. "
                                           "(B only.)")


def test_combine():
    ok = V.Verdict("t", "agrees", "A.")
    bad = V.Verdict("t", "differs", "B.")
    gone = V.Verdict("t", "missing", "C.")
    assert V.combine("x", [ok, ok]).outcome == "agrees"
    assert V.combine("x", [ok, bad, gone]).outcome == "differs"
    assert V.combine("x", [ok, gone]).outcome == "missing"
    assert V.combine("x", [gone, gone]).outcome == "missing"
    assert V.combine("x", [ok, bad], lead="Lead").text == "Lead. A. B."
    assert V.combine("x", []).outcome == "missing"
    with pytest.raises(ValueError, match="outcome"):
        V.Verdict("t", "maybe", "x")


def test_stats():
    s = stat([1.0, None, 3.0])
    assert (s.mean, s.lo, s.hi, s.n, s.absent) == (2.0, 1.0, 3.0, 2, 1)
    assert "not reached in 1 of 3 seeds" in s.text()
    assert stat([None]).text() == "not reached"
    assert se_acc(0.5, 10_000) == pytest.approx(0.005)
    assert se_diff(0.5, 10_000, 0.5, 10_000) == pytest.approx(0.005 * 2 ** 0.5)
    with pytest.raises(ValueError, match="n"):
        se_acc(0.5, 0)
    grouped = by_seed({("m", 0.0, 0): "a", ("m", 0.0, 1): "b", ("m", 1.0, 0): "c", "label": "d"})
    assert grouped == {("m", 0.0): {0: "a", 1: "b"}, ("m", 1.0): {0: "c"}, "label": {None: "d"}}
    assert by_seed({("m", 0): "x"}) == {"m": {0: "x"}}


@pytest.mark.parametrize("fn,args", [
    (V.difference, ("M", 71.234, 75.0, "the paper", "t", 10_000, 10_000)),
    (V.effect, ("M", 61.5, 58.25, 10_000, "x", "t")),
    (V.chance, ("M", 11.75, 10_000, 10, "t")),
])
def test_sentence_numbers_are_the_inputs(fn, args):
    """Every accuracy the sentence prints is an input, or computed from the inputs."""
    v = fn(*args)
    accs = [a for a in args if isinstance(a, float)]
    for a in accs:
        assert f"{a:.2f}%" in v.text
    if fn is not V.chance:
        assert f"{accs[0] - accs[1]:+.2f} points" in v.text


def test_fitted_single_run():
    ok = V.fitted({"AlexNet": (True, 100.0)}, "the target", "t")
    assert ok.outcome == "agrees" and ok.text == "AlexNet reached the target."
    no = V.fitted({"AlexNet": (False, 14.25)}, "the target", "t")
    assert no.outcome == "differs" and no.text == "AlexNet did not reach the target: 14.25% running training accuracy."
    whole = V.fitted({"AlexNet": (False, 99.5)}, "the target", "t", accuracy="training accuracy")
    assert whole.text == "AlexNet did not reach the target: 99.50% training accuracy."


def test_mixed_precision_names_each_group_or_says_nothing():
    assert V.mixed_precision({"true labels": "fp32", "random labels": "fp32"}) == ""
    text = V.mixed_precision({"true labels": "fp32", "random labels": "bf16", "p = 0.2": "bf16"})
    assert text == ("Confounded: these runs differ in precision (bf16 for random labels and "
                    "p = 0.2; fp32 for true labels).")
    assert "unrecorded for old" in V.mixed_precision({"old": None, "new": "bf16"})


def test_confounds_read_the_precision_a_stored_run_recorded():
    from types import SimpleNamespace
    a = SimpleNamespace(config=RunConfig(model="inception_small", lr=0.1),
                        summary={"precision": "fp32"})
    b = SimpleNamespace(config=RunConfig(model="inception_small_nobn", lr=0.1),
                        summary={"precision": "bf16"})
    assert "precision (fp32 against bf16)" in V.confounds(a, b, ["model", "bn"])
    assert (V.run_precision(a), V.run_precision(b)) == ("fp32", "bf16")
    assert V.run_precision(a.config) is None  # a config's "auto" is not a recorded precision
    assert V.run_precision(SimpleNamespace(config=a.config, summary={})) is None
    b.summary["precision"] = "fp32"
    assert V.confounds(a, b, ["model", "bn"]) == ""


def test_lr_at_fit_each_outcome():
    t = "a training loss of at most 0.01"
    ok = V.lr_at_fit({"AlexNet": (134, 0.513, 134)}, "t", t)
    assert ok.outcome == "agrees" and "at epoch 134, with its lr at 51.3% of its start (above 5%)" in ok.text
    late = V.lr_at_fit({"AlexNet": (134, 0.513, 134), "Inception": (70, 0.03, 70)}, "t", t)
    assert late.outcome == "differs" and "3.0% of its start (below 5%)" in late.text
    never = V.lr_at_fit({"Inception": (None, 0.017, 80)}, "t", t)
    assert never.outcome == "differs"
    assert "did not reach a training loss of at most 0.01 in its 80 epochs (its lr at the end: 1.7%" in never.text
    assert V.lr_at_fit({}, "t", t).outcome == "missing"
    phrase = V.lr_fit_phrase("Inception", (None, 0.017, 80), t)
    assert phrase == ("Inception did not reach a training loss of at most 0.01 in its 80 epochs "
                      "(its lr at the end: 1.7% of its start)")
    assert never.text == phrase + "."  # the verdict is its runs' phrases, one sentence
    assert V.lr_fit_phrase("MLP", (30, 0.06, 30), t, floor=0.1).endswith("6.0% of its start (below 10%)")


@pytest.mark.parametrize("rises, outcome, says", [
    ({"aug + wd": 0.3, "aug + wd + dropout": -0.2}, "agrees", "Every curve levelled off by its end"),
    ({"aug + wd": 0.3, "aug + wd + dropout": 1.4}, "differs",
     "aug + wd + dropout (+1.40 points) was still rising, so a longer curve could still change "
     "what it shows; aug + wd (+0.30 points) levelled off"),
    ({"aug + wd": 2.0, "aug + wd + dropout": 1.0}, "differs",
     "aug + wd (+2.00 points) and aug + wd + dropout (+1.00 points) were still rising, so"),
    ({"aug + wd": None}, "missing", "No curve long enough"),
])
def test_levelled_each_outcome(rises, outcome, says):
    v = V.levelled(rises, 5, "running training accuracy", "Fig. 3a")
    assert v.outcome == outcome and says in v.text
    if outcome != "missing":
        assert sorted(numbers(v.text)[:len(rises)]) == sorted(rises.values())
        assert "last 5 epochs against the 5 before them" in v.text


def test_levelled_one_curve():
    assert V.levelled({"aug": 3.0}, 5, "x", "t").text.startswith("The curve did not level off by its end")
    assert V.levelled({"aug": 0.0}, 5, "x", "t").text.startswith("The curve levelled off by its end")


# ------------------------------------------------- Fig. 1b: a bounded factor that grows
@pytest.mark.parametrize("factors, outcome, words", [
    ({0.2: [1.1], 0.6: [1.8], 1.0: [2.9]}, "agrees", "grows with p and stays within 5.0x"),
    ({0.2: [1.1], 0.6: [1.8], 1.0: [7.5]}, "differs", "above 5.0x"),
    ({0.2: [1.1], 0.6: [2.5], 1.0: [1.5]}, "differs", "falls from 2.5x at p = 0.6"),
    ({0.2: [2.0], 1.0: [2.0]}, "differs", "does not grow"),
    ({0.2: [1.1], 0.6: [1.15], 0.8: [1.1], 1.0: [2.0]}, "agrees", "grows"),  # a 4% dip is noise
    ({0.2: [1.2], 1.0: [None]}, "inconclusive", "at p = 1 a run did not fit"),
    ({}, "missing", "too few levels"),
    ({0.2: [1.0, 1.2], 1.0: [2.0, 4.0, None]}, "agrees", "At p = 1 a run did not fit"),
])
def test_bounded_growth_outcomes(factors, outcome, words):
    v = V.bounded_growth("AlexNet", factors, "t")
    assert v.outcome == outcome and words in v.text, v.text
    if outcome in ("agrees", "differs"):  # a decided verdict says whose bound it is
        assert "The bound of 5.0x is ours: the paper calls the factor \"small\"" in v.text


@pytest.mark.parametrize("noise, outcome, words", [
    (None, "differs", "it falls from 1.8x at p = 0.2 to 1.6x at p = 0.4"),  # 1.125 > 1.1
    ((1.3, "three seeds"), "agrees", "by a factor 1.12: within the factor 1.30 by which "
                                     "repeated runs of one config spread (three seeds)"),
    ((1.05, "three seeds"), "differs", "it falls from 1.8x"),  # a band below the tolerance
])
def test_bounded_growth_counts_a_fall_within_the_measured_noise_apart(noise, outcome, words):
    factors = {0.2: [1.8], 0.4: [1.6], 0.6: [2.0], 0.8: [2.4]}
    v = V.bounded_growth("AlexNet", factors, "t", noise=noise)
    assert v.outcome == outcome and words in v.text, v.text
    if outcome == "differs":
        assert "not counted against the claim" not in v.text
    wide = V.bounded_growth("AlexNet", {0.2: [2.4], 0.4: [1.6], 1.0: [3.0]}, "t", noise=noise)
    assert wide.outcome == "differs"  # a fall by 1.5x is beyond every band here


def test_bounded_growth_takes_the_seed_mean():
    v = V.bounded_growth("MLP", {0.2: [1.0, 1.4], 1.0: [4.0, 6.4]}, "t")
    assert v.outcome == "differs" and "5.2x at p = 1" in v.text  # mean of 4.0 and 6.4 > 5


def test_verdict_kind_is_checked():
    assert V.Verdict("t", "agrees", "x").kind == "finding"
    assert V.Verdict("t", "agrees", "x", kind="check").kind == "check"
    with pytest.raises(ValueError, match="kind must be one of"):
        V.Verdict("t", "agrees", "x", kind="sanity")


def test_bounded_growth_says_when_the_factor_is_flat_above_the_first_level():
    """The MLP on CIFAR-10: 1x at p = 0, then about 1.2x to 1.3x at every corrupted level."""
    v = V.bounded_growth("MLP", {0.0: [1.0], 0.2: [1.27], 0.4: [1.28], 0.6: [1.24], 0.8: [1.22],
                                 1.0: [1.19]}, "t")
    assert v.outcome == "agrees"
    assert "does not grow beyond the first corrupted level" in v.text
    assert "between 1.2x and 1.3x, flat within a factor 1.1" in v.text
    steady = V.bounded_growth("MLP", {0.0: [1.0], 0.2: [1.2], 0.6: [1.8], 1.0: [2.6]}, "t")
    assert "flat" not in steady.text


@pytest.mark.parametrize("factors, words", [
    ({0.0: [1.0], 0.2: [1.0], 1.0: [1.8]},
     "though not at every corrupted level: at p = 0.2 (1.0x) corrupted labels took about as long "
     "as true labels (within a factor 1.1), so the growth rests on p = 1"),
    ({0.0: [1.0], 0.2: [0.95], 0.4: [1.08], 0.8: [1.6], 1.0: [1.8]},
     "at p = 0.2 (0.9x) and p = 0.4 (1.1x) corrupted labels took about as long as true labels "
     "(within a factor 1.1), so the growth rests on p = 0.8 and 1"),
    ({0.0: [1.0], 0.2: [1.05]}, "though barely: at p = 0.2 (1.1x)"),
    ({0.0: [1.0], 0.2: [1.2], 1.0: [1.8]}, None),  # above 1.1x at every corrupted level
])
def test_bounded_growth_names_corrupted_levels_no_slower_than_true_labels(factors, words):
    """Inception on CIFAR-10 fitted p = 0.2 in as many steps as true labels: "grows" must not
    read as growing from the first corrupted level on."""
    v = V.bounded_growth("Inception", factors, "t")
    assert v.outcome == "agrees", v.text
    if words is None:
        assert "about as long as true labels" not in v.text, v.text
    else:
        assert words in v.text, v.text


@pytest.mark.parametrize("x,text", [(85.1234, "85.12%"), (100.0, "100.00%"),
                                    (99.996, "99.996%"), (99.99996, "99.99996%"),
                                    (99.9999999, "99.999999%"), (None, "n/a")])
def test_pct_never_reads_100_short_of_it(x, text):
    from rethink_lib.report.names import pct
    assert pct(x) == text


def test_fitted_pools_the_seeds_of_a_config_that_missed():
    from rethink_lib.report.verdicts import fitted
    runs = {"MLP 1x512, weight decay (seed 0)": (False, 99.98, 0.030),
            "MLP 1x512, weight decay (seed 1)": (False, 99.97, 0.031),
            "MLP 1x512, no regularizer (seed 0)": (True, 100.0, 0.004),
            "MLP 3x512, random labels (seed 2)": (False, 99.996, 0.004)}
    v = fitted(runs, "the target", "topic")
    assert v.outcome == "differs"
    assert ("3 of 4 runs did not reach the target: MLP 1x512, weight decay (2 seeds) "
            "(99.97% to 99.98% running training accuracy, loss 0.030 to 0.031) and "
            "MLP 3x512, random labels (seed 2) (99.996% running training accuracy, loss 0.004)"
            in v.text)


def test_pace_note_still_rising_gives_epochs_at_that_pace():
    text = V.pace_note({"MLP 1x512 (seed 0)": (0.25, 5.5), "MLP 1x512 (seed 1)": (0.22, 5.6)}, 10)
    assert "MLP 1x512 (2 seeds) was still rising by 0.22 to 0.25 points" in text
    assert "5.50 to 5.60 short of 100%" in text
    assert "220 to 255 more epochs" in text  # 10 * 5.5 / 0.25 and 10 * 5.6 / 0.22


def test_pace_note_levelled_off_and_tiny_gaps():
    text = V.pace_note({"AlexNet": (0.01, 0.8)}, 10)
    assert "AlexNet had levelled off, 0.80 points short of 100% on the whole training set (a " \
           "rise of less than 0.05 points)" in text
    # several rows that levelled off: the shared words once, each row's gap after them
    text = V.pace_note({"AlexNet": (0.01, 0.8), "MLP 3x512": (0.0, 0.002),
                        "MLP 1x512 (seed 0)": (0.3, 5.0)}, 10)
    assert text.count("levelled off") == 1 and text.count("a rise of less than") == 1
    assert ("each of these had levelled off (a rise of less than 0.05 points), short of 100% on "
            "the whole training set by: AlexNet, 0.80 points; MLP 3x512, 0.002 points; "
            "MLP 1x512 was still rising by 0.30 points") in text
    assert "more epochs" in text and V.pace_note({"AlexNet": (0.01, 0.8), "B": (0.0, 0.1)},
                                                10).count("more epochs") == 0


def test_pace_note_without_a_long_enough_curve_says_nothing():
    assert V.pace_note({"AlexNet": (None, 3.0)}, 10) == ""
    assert V.pace_note({}, 10) == ""


@pytest.mark.parametrize("short, outcome, phrase", [
    ({"MLP 1x512, random labels": (99.14, 99.34), "MLP 1x512, weight decay": (99.97, 99.80)},
     "agrees", "came within 0.5 points of the training accuracy the paper published for it, "
               "or beat it (MLP 1x512, random labels: 99.14% against 99.34%; MLP 1x512, weight "
               "decay: 99.97% against 99.80%): within our tolerance of 0.5 points of the paper's own "
               "networks"),
    ({"MLP 1x512, random labels": (98.50, 99.34), "MLP 1x512, weight decay": (99.97, 99.80)},
     "differs", "MLP 1x512, random labels: 98.50% against 99.34%: more than 0.5 points short of "
                "the training accuracy the paper published."),
    ({"AlexNet, random crop": (99.00, None)}, "differs",
     "AlexNet, random crop has no published number in the paper."),
])
def test_fitted_as_published_judges_a_miss_against_the_published_row(short, outcome, phrase):
    fit = V.fitted({name: (False, acc) for name, (acc, _) in short.items()},
                   "100% training accuracy", "fit", accuracy="training accuracy")
    assert fit.outcome == "differs"
    got = V.fitted_as_published(fit, short)
    assert got.outcome == outcome and phrase in got.text and got.text.startswith(fit.text)


def test_fitted_as_published_leaves_a_fit_alone():
    fit = V.fitted({"MLP": (True, 100.0)}, "100% training accuracy", "fit")
    assert V.fitted_as_published(fit, {}) is fit
    assert V.fitted_as_published(fit, {"MLP": (99.0, 99.3)}) is fit


@pytest.mark.parametrize("rises, outcome", [
    ({"MLP (seed 0)": 0.22, "MLP (seed 1)": 0.24}, "inconclusive"),  # both still climbing
    ({"MLP (seed 0)": 0.22, "MLP (seed 1)": 0.01}, "differs"),       # one levelled off
    ({"MLP (seed 0)": 0.22, "MLP (seed 1)": None}, "differs"),       # one too short to tell
])
def test_cut_short_a_miss_still_rising_at_the_cap_is_undecided(rises, outcome):
    fit = V.fitted({name: (False, 94.4) for name in rises}, "100% training accuracy", "fit")
    got = V.cut_short(fit, rises)
    assert got.outcome == outcome and got.text.startswith(fit.text)
    assert ("still rising when its epoch cap stopped it" in got.text) == (outcome == "inconclusive")
    agreed = V.fitted({"MLP": (True, 100.0)}, "100% training accuracy", "fit")
    assert V.cut_short(agreed, {"MLP": 0.5}) is agreed


def test_effect_takes_the_seed_spread_where_it_is_the_larger_noise():
    kw = dict(name="MLP", with_=46.0, without=44.5, n_test=10_000, factor="weight decay",
              topic="t", expect="positive")
    alone = V.effect(**kw)  # 1.5 points against 2 SE of the test sets, about 1.4 points
    assert alone.outcome == "agrees" and "above the noise (2 standard errors of the difference =" in alone.text
    spread = V.effect(**kw, seeds=(1.0, 3))  # seeds spread by 1 point SE: 2 points needed
    assert spread.outcome == "differs"
    assert ("within the noise (2 standard errors of the difference, from the spread of its 3 "
            "seeds = 2.00 points)") in spread.text
    assert V.effect(**kw, seeds=(0.1, 3)).text == alone.text  # a smaller spread changes nothing


@pytest.mark.parametrize("values,expected", [
    ([200, 300, None], 1.5), ([2.0, float("nan"), 4.0], 2.0), ([5.0], None), ([0.0, 1.0], None), ([], None)])
def test_spread_ratio_of_repeated_runs(values, expected):
    from rethink_lib.report.stats import spread_ratio
    assert spread_ratio(values) == (pytest.approx(expected) if expected else None)


@pytest.mark.parametrize("runs, expected", [
    ({}, ""),
    ({"A": (False, 99.5, 0.02)}, "The same run also missed T: 99.50% running training accuracy, loss 0.020."),
    ({"A (seed 0)": (False, 99.14, 0.151), "A (seed 1)": (False, 99.98, 0.004)},
     "The same 2 runs also missed T: 99.14% to 99.98% running training accuracy, loss 0.004 to 0.151."),
    ({"A": (False, 99.5, None), "B": (False, 99.5, 0.02)},  # a loss unknown: no loss range
     "The same 2 runs also missed T: 99.50% running training accuracy."),
])
def test_also_missed_gives_the_numbers_of_runs_already_named(runs, expected):
    assert V.also_missed(runs, "T") == expected
