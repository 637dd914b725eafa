"""The paper's central claim in numbers, for the conclusion: at one data set's size the
networks fit random labels where a linear classifier on the same pixels cannot, test at
chance on them, and still generalize from true labels, better than the linear classifier.

`central_numbers` reads them from a capacity chapter's stored runs (Fig. 1b/1c) and its
linear baselines; `central_claim` (a verdict) says them in one paragraph and whether they
hold together. The chapters' own verdicts test each part; this one sets them side by side."""
from __future__ import annotations

from ...data import get_spec
from .. import verdicts as V
from ..names import count, dataset_name, listing, model_name, pct
from ..stats import by_seed, stat
from ..tables import fit_factor
from . import common
from .capacity import baseline_sizes
from .common import _linear_at, _pct

FIT_LEVEL = 99.0  # % training accuracy that counts as fitting random labels (as verdicts.linear_baseline)


def _mean_pct(seeds: dict, key: str) -> float | None:
    """The mean over seeds of a summary accuracy, in %; None with no seed stored."""
    return stat(_pct(r.summary[key]) for r in seeds.values()).mean if seeds else None


def central_numbers(runs, baselines) -> dict:
    """{"dataset", "n_train", "classes", "linear_random_train", "linear_true_test",
    "linear_n_test", "nets": {printed name: {"random_train", "random_test", "true_test",
    "n_test", "factor", "seeds"}}} (accuracies in %, None where a run is not stored; factor:
    steps to 100% training accuracy on random labels over true labels, mean over seeds)."""
    s = runs.settings
    levels = by_seed(runs["fig1bc"])
    n = runs.n_train(["fig1bc"])
    nets = {}
    for m in s["capacity_models"]:
        rand, true = levels.get((m, 1.0), {}), levels.get((m, 0.0), {})
        any_run = next(iter({**true, **rand}.values()), None)
        nets[model_name(m)] = {
            "random_train": _mean_pct(rand, "final_train_acc"),
            "random_test": _mean_pct(rand, "final_test_acc"),
            "true_test": _mean_pct(true, "final_test_acc"),
            "n_test": any_run.summary["n_test"] if any_run else None,
            "factor": stat(fit_factor(r, true.get(k)) for k, r in rand.items()).mean if rand else None,
            "seeds": len(rand)}
    lin_r, lin_t = _linear_at(baselines, n, 1.0), _linear_at(baselines, n, 0.0)
    return {"dataset": s["dataset"], "n_train": n, "classes": get_spec(s["dataset"]).num_classes,
            "linear_random_train": _pct(lin_r["train_acc"]) if lin_r else None,
            "linear_true_test": _pct(lin_t["test_acc"]) if lin_t else None,
            "linear_n_test": lin_t.get("n_test") if lin_t else None,
            "nets": nets}


def central_claim(numbers: dict, topic: str = "The central claim in numbers",
                  fit_level: float = FIT_LEVEL) -> V.Verdict:
    """One paragraph: which networks fitted random labels against the linear classifier's fit,
    their time to fit, their test accuracy on random labels against chance and on true labels
    against the linear classifier. agrees: every network stored fitted them, the linear
    classifier did not, each tests at chance on random labels and above the linear classifier
    (beyond the noise) on true labels; differs: any of these fails; inconclusive: no network's
    random-label run is stored; missing: no linear baseline."""
    data, n, lin = dataset_name(numbers["dataset"]), numbers["n_train"], numbers["linear_random_train"]
    if lin is None:
        return V.Verdict(topic, "missing", V._sentence(
            f"On {data}, the linear baseline at {count(n)} images was not computed"))
    nets = {k: v for k, v in numbers["nets"].items() if v["random_train"] is not None}
    absent = [k for k in numbers["nets"] if k not in nets]
    later = (f"({listing(absent)}: " + ("its random-label run is" if len(absent) == 1 else
                                        "their random-label runs are") + " not stored yet.)"
             if absent else "")
    if not nets:
        return V.Verdict(topic, "inconclusive", V._also(V._sentence(
            f"On {data} at {count(n)} training images a linear classifier fits {pct(lin)} of "
            "random labels; no network's random-label run is stored yet to set beside it"), later))
    fitted = [k for k, v in nets.items() if v["random_train"] >= fit_level]
    unfit = [k for k in nets if k not in fitted]
    accs = listing(f"{k} {pct(v['random_train'])}" for k, v in nets.items())
    text = (f"On {data} at {count(n)} training images, the networks fitted random labels ({accs} "
            f"of them) where a linear classifier on the same pixels fits {pct(lin)}")
    trivial = lin >= fit_level
    if trivial:
        text += ", so fitting them shows nothing a linear model cannot do at this size"
    elif unfit:
        text += f"; {listing(unfit)} did not fit them"
    factors = {k: v["factor"] for k, v in nets.items() if v["factor"] is not None}
    if factors:
        text += (", taking " + listing(f"{f:.1f}x ({k})" for k, f in factors.items())
                 + " the steps of true labels to reach 100%")
    chance = {k: V.chance(k, v["random_test"], v["n_test"], numbers["classes"], topic)
              for k, v in nets.items() if v["random_test"] is not None}
    off = [k for k, v in chance.items() if v.outcome != "agrees"]
    c = 100.0 / numbers["classes"]
    text += (f". On the test set they stand {'at chance' if not off else 'near chance'} on random "
             f"labels ({listing(pct(v['random_test']) for k, v in nets.items() if k in chance)}; "
             f"guessing gives {pct(c)})")
    if off:
        text += f", {listing(off)} beyond the noise of it"
    true = {k: v["true_test"] for k, v in nets.items() if v["true_test"] is not None}
    beats = {k: V.effect(k, t, numbers["linear_true_test"], nets[k]["n_test"],
                         "the network instead of the linear classifier", topic)
             for k, t in true.items() if numbers["linear_true_test"] is not None}
    short = [k for k, v in beats.items() if v.outcome != "agrees"]
    if beats:
        text += (f", and on true labels at {listing(pct(t) for t in true.values())}, against "
                 f"{pct(numbers['linear_true_test'])} for the linear classifier")
        text += (f": {listing(short)} {'does' if len(short) == 1 else 'do'} not beat it beyond "
                 "the noise" if short else ": they fit noise, and from real labels they still "
                 "generalize, better than a linear model")
    ok = not trivial and not unfit and not off and not short and bool(beats)
    return V.Verdict(topic, "agrees" if ok else "differs", V._also(V._sentence(text), later))


def central_of(runs) -> V.Verdict:
    """`central_claim` of a capacity chapter's runs (`glue.ChapterRuns`) under their own
    settings, with the linear baselines of those settings (cached; trains nothing)."""
    s = runs.settings
    return central_claim(central_numbers(runs, common.linear_baselines(
        s["dataset"], baseline_sizes(s), s["seed"])))
