"""Chapter 03, explicit regularization: Table I with the linear row, and Table II."""
from __future__ import annotations

import statistics

import pandas as pd

from ...builders import ModelKey
from ...chapters import JUDGED, TOPICS
from ...data import get_spec
from ...reference import PAPER_TABLE1
from .. import verdicts as V
from ..names import key_name, listing, model_name
from ..stats import by_seed
from ..tables import REGULARIZED, regularizer_effect, table1_frame, table2_frame
from .common import (_finish, data_caveat, fits_either, _fit_claim, _published_fit_context, _one,
                     report_networks_note)
from .differences import differences

PAPER_SCALE = JUDGED["t1_full_fit"]  # the experiments of Table I at full size (the registry's)


def _t1_confound(table1_runs, model: str, best: str) -> str:
    """What else differs between a model's best regularized Table I runs and its runs with
    neither: config fields and recorded precision (first seed of each), a run that did not
    reach the stopping target (then the two did not stop by the same rule), and precisions
    mixed among the seeds."""
    groups = by_seed({k: r for k, r in table1_runs.items() if k.model == model})
    with_, neither = groups.get((model, best), {}), groups.get((model, "neither"), {})
    if not with_ or not neither:
        return ""
    names = (f"the {key_name(best)} run" + ("s" if len(with_) > 1 else ""),
             "the run" + ("s" if len(neither) > 1 else "") + " with neither")
    text = V.confounds(with_[min(with_)], neither[min(neither)],
                       ["augment", "weight_decay", "dropout"], names,
                       (all(r.summary["fitted"] for r in with_.values()),
                        all(r.summary["fitted"] for r in neither.values())),
                       missed="the stopping target")
    mixed = V.mixed_precision({f"{lab} (seed {sd})": V.run_precision(r)
                               for lab, sd_runs in ((key_name(best), with_), ("neither", neither))
                               for sd, r in sd_runs.items()})
    return " ".join(t for t in (text, mixed if "precision" not in text else "") if t)


# ---------------------------------------------------------- 03: explicit regularization
def explicit(runs, baselines=()) -> dict[str, V.Verdict]:
    """Verdicts of the explicit-regularization chapter (Table I with the linear row, Table II)."""
    out, topic = {}, TOPICS["03_explicit"]
    parts = {"t1_effects": [], "t1_generalize": [], "t1_linear": [], "t1_random": []}
    n = runs.n_train(["table1"])
    t1 = table1_frame(runs["table1"], linear=[b for b in baselines if b["n_train"] == n])
    r0 = _one(runs["table1"])
    if r0 is not None:
        caveat = data_caveat(r0)
        num_classes = get_spec(r0.config.dataset).num_classes
        out["t1_fit"] = _fit_claim(runs["table1"], r0.config, topic["t1_fit"])
        for m, row in regularizer_effect(t1, "ours").iterrows():
            if pd.isna(row["best"]) or (m, "neither") not in t1.index:
                continue
            n_test = int(t1.loc[(m, "neither"), ("ours", "n_test")])
            pub = PAPER_TABLE1.get((m, row["best"]), (None, None))[1]
            base = PAPER_TABLE1.get((m, "neither"), (None, None))[1]
            k = int(t1.loc[m][("ours", "test")].reindex(REGULARIZED).notna().sum())
            parts["t1_effects"].append(V.effect(
                model_name(m), row["with"], row["neither"], n_test,
                key_name(row["best"]) + (f" (the best-testing of its {k} regularized runs, which "
                                         "favours a positive effect)" if k > 1 else ""),
                topic["t1_effects"], published=(pub - base) if pub is not None and base is not None
                else None, caveat=caveat, confound=_t1_confound(runs["table1"], m, row["best"]),
                seeds=seed_spread(runs["table1"], m, row["best"])))
        rows = {reg: t1.xs(reg, level="regularizer") for reg in ("neither", "random labels")
                if reg in t1.index.get_level_values(1)}
        linear = rows["neither"].loc["linear"] if "neither" in rows and "linear" in rows["neither"].index else None
        plain = {}  # {network: (test accuracy % without regularizers, test images)}
        for m, row in rows.get("neither", {}).iterrows() if "neither" in rows else []:
            if m == "linear":
                continue
            acc, n_test = row[("ours", "test")], int(row[("ours", "n_test")])
            plain[model_name(m)] = (acc, n_test)
        if plain and linear is not None:
            parts["t1_linear"].append(V.above_baseline("the linear classifier",
                                                       linear[("ours", "test")], plain,
                                                       topic["t1_linear"]))
        if plain:
            parts["t1_generalize"].append(V.chances("Without regularizers", plain, num_classes,
                                                    topic["t1_generalize"], expected="above"))
        rand = {model_name(m): (row[("ours", "test")], int(row[("ours", "n_test")]))
                for m, row in (rows["random labels"].iterrows() if "random labels" in rows else ())
                if m != "linear"}
        if rand:
            parts["t1_random"].append(V.chances("On random labels", rand, num_classes,
                                                topic["t1_random"]))
        out["t1_vs_paper"] = differences(t1, "paper", topic["t1_vs_paper"], caveat)
        out["t1_vs_report"] = differences(t1, "report", topic["t1_vs_report"],
                                          " ".join((caveat, report_networks_note())).strip())

    # Table I at the paper's scale (all training images): its numbers compare directly
    full = {k: r for name in PAPER_SCALE for k, r in runs[name].items()}  # distinct models
    if full:
        tf = table1_frame(full)
        out["t1_full_fit"] = V.fitted_as_published(
            _fit_claim(full, _one(full).config, topic["t1_full_fit"],
                       caveat=_published_fit_context(full)), _short_of_paper(full))
        out["t1_full_vs_paper"] = differences(tf, "paper", topic["t1_full_vs_paper"],
                                              data_caveat(_one(full)))
        out["t1_full_vs_report"] = differences(
            tf, "report", topic["t1_full_vs_report"],
            " ".join((data_caveat(_one(full)), report_networks_note())).strip())

    # Table II, beside Table I's random-label runs without weight decay
    t2_runs = runs["table2"]
    if t2_runs:
        no_wd = {ModelKey(k.model, k.seed): r for k, r in runs["table1"].items()
                 if k.label == "random labels"}
        fit = _fit_claim(t2_runs, _one(t2_runs).config, topic["t2_fit"], what=" with weight decay on")
        failed = list(dict.fromkeys(k.model for k, r in t2_runs.items() if not fits_either(r)))
        plain_too = [model_name(m) for m in failed
                     if any(k.model == m and not fits_either(r) for k, r in no_wd.items())]
        if plain_too:
            fit = V.Verdict(fit.topic, "inconclusive", V._also(fit.text, (
                f"Without weight decay {listing(plain_too)} did not fit random labels either, "
                "so the budget, not weight decay, may be what held them back")))
        out["t2_fit"] = fit
        out["t2_vs_report"] = differences(table2_frame(t2_runs, without_wd=no_wd), "report",
                                          topic["t2_vs_report"], report_networks_note())
    return _finish("03_explicit", out, parts, runs)


def seed_spread(table1_runs, model: str, best: str) -> tuple[float, int] | None:
    """(standard error in points of the mean per-seed test-accuracy difference between a
    model's `best` regularized runs and its runs with neither, the seeds) over the seeds both
    have; None under 2 seeds. Seeds share the test set, so this is the training noise."""
    groups = by_seed({k: r for k, r in table1_runs.items() if k.model == model})
    with_, neither = groups.get((model, best), {}), groups.get((model, "neither"), {})
    diffs = [100 * (with_[s].summary["final_test_acc"] - neither[s].summary["final_test_acc"])
             for s in sorted(set(with_) & set(neither))]
    if len(diffs) < 2:
        return None
    return statistics.stdev(diffs) / len(diffs) ** 0.5, len(diffs)


def _short_of_paper(results: dict) -> dict:
    """{row name: (lowest whole-set training accuracy % over its seeds, the paper's Table 1
    training accuracy % or None)} for the Table I rows where a run missed 100%."""
    return {f"{model_name(m)}, {key_name(lab)}": (
                min(100 * r.summary["final_train_acc"] for r in seeds.values()),
                PAPER_TABLE1[(m, lab)][0] if (m, lab) in PAPER_TABLE1 else None)
            for (m, lab), seeds in by_seed(results).items()
            if not all(fits_either(r) for r in seeds.values())}


def paper_scale_phrase(runs) -> str:
    """Which networks have Table I rows at the paper's scale (all training images) stored, and
    how many of their planned rows: 'MLP 1x512 (all 3 rows), MLP 3x512 (all 3 rows) and AlexNet
    (2 of its 5 rows so far)'; 'none yet' when no row is stored."""
    planned: dict[str, set] = {}
    stored: dict[str, set] = {}
    for name, key, *_ in getattr(runs, "missing", ()):
        if name in PAPER_SCALE:
            planned.setdefault(key.model, set()).add(key.label)
    for name in PAPER_SCALE:
        for key in runs[name]:
            planned.setdefault(key.model, set()).add(key.label)
            stored.setdefault(key.model, set()).add(key.label)
    parts = []
    for model, labels in stored.items():
        n, k = len(planned[model]), len(labels)
        parts.append(f"{model_name(model)} ({f'all {n} rows' if k == n else f'{k} of its {n} rows so far'})")
    if not planned:
        return "none (this profile plans no rows at the paper's scale)"
    return listing(parts) if parts else "none yet"
