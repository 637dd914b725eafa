"""What the chapters' verdicts share: the thresholds, the missing-run notes, the caveats
(data set, schedule), fitting by the paper's criterion, the linear baselines and Fig. 1b's
seed spread."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
import pandas as pd

from ...baselines import linear_baseline
from ...data import get_spec
from ...chapters import CHAPTERS as _CHAPTERS, EXPERIMENT_OF, JUDGED, TOPICS
from ...metrics import FIT_LOSS
from ...reference import PAPER_RECIPE, PAPER_TABLE1, REPORT_TABLE1
from .. import verdicts as V
from ..names import (corruption_name, count, dataset_name, key_name, listing, model_name,
                     pct)
from ..stats import by_seed, spread_ratio
from ..tables import fit_factor, late_rise


REACH = 99.0  # % running train accuracy that counts as fitted in the fixed-epoch curves (Fig. 3)
LEVEL_WINDOW = 5  # epochs: an augmented Fig. 3a curve has levelled off when its last 5 epochs
# average less than a point above the 5 before them (`tables.late_rise`, `verdicts.levelled`)
PACE_WINDOW = 10  # epochs: a run that missed 100% is still rising when its last 10 epochs
# average above the 10 before them (`verdicts.pace_note`)
SIGNAL = 0.5  # Fig. 2: running accuracy at which a part of the training set counts as learned:
#               half of it, early in training where the report's order shows (at 90% both
#               parts are near full memorisation, and the steps say little about the order)
LATE_SIGNAL = 0.9  # Fig. 2: the same near the end of fitting, given as context

# Every verdict key a chapter glues, with its topic: the keys exist whatever the store holds
# (a verdict whose runs are missing says so), so a chapter's prose never names an absent key.
# TOPICS, EXPERIMENT_OF (the experiment whose missing runs a verdict names after its text) and
# the chapters are views of the registry: each experiment's entry in rethink_lib/chapters/.
CHAPTERS = tuple(_CHAPTERS)


def _names(experiments) -> tuple:
    return (experiments,) if isinstance(experiments, str) else tuple(experiments)


def not_stored_phrase(runs, experiments) -> str:
    """'(Not stored yet, so not part of this verdict: AlexNet.)' for the planned runs of an
    experiment (or of several) that are missing from the store (each printed once), else ''."""
    from ..glue import LONG
    found = [(key_name(key) + _size_if_other(config, runs), why)
             for name, key, config, why in getattr(runs, "missing", ())
             if name in _names(experiments)]
    def listed(names):
        return "; ".join(names) if any("," in n for n in names) else listing(names)
    later = list(dict.fromkeys(n for n, why in found if not why.startswith(LONG)))
    gpu = list(dict.fromkeys(n for n, why in found if why.startswith(LONG)))
    text = f"(Not stored yet, so not part of this verdict: {listed(later)}.)" if later else ""
    if gpu:
        text += (" " if text else "") + (
            f"(Not part of this verdict either: {listed(gpu)}, left to a GPU, since even the "
            "fastest CPU measured would take longer than a session; execution report, Table E.2.)"
            if later else f"(Not part of this verdict: {listed(gpu)}, left to a GPU, since even "
            "the fastest CPU measured would take longer than a session; execution report, "
            "Table E.2.)")
    return text


def _size_if_other(config, runs) -> str:
    """' (50,000 images)' for a missing run trained on another number of images than the
    page's runs (Table I at the paper's scale on a 10,000-image page), else ''."""
    settings = getattr(runs, "settings", None) or {}
    if config is None or config.n_train == settings.get("n_train"):
        return ""
    return f" ({count(config.n_train or get_spec(config.dataset).sizes[0])} images)"


def pending_runs(runs, experiments) -> int:
    """How many planned runs of an experiment (or of several) are not stored yet and are not
    left to a GPU: a verdict decided without them holds 'so far' (`Verdict.pending`)."""
    from ..glue import LONG
    return len({(name, key) for name, key, _, why in getattr(runs, "missing", ())
                if name in _names(experiments) and not why.startswith(LONG)})


def _finish(chapter: str, out: dict, parts: dict | None = None, runs=None) -> dict[str, V.Verdict]:
    """Combine per-model verdicts into their section's key, name the runs each verdict still
    lacks (`runs.missing`), fill absent keys with a 'missing' verdict, and keep the
    chapter's key order."""
    for key, items in (parts or {}).items():
        if items:
            out[key] = V.combine(TOPICS[chapter][key], items)
    for key, v in out.items():
        if v is None:
            continue
        lacking = not_stored_phrase(runs, EXPERIMENT_OF[key]) if key in EXPERIMENT_OF else ""
        pending = pending_runs(runs, JUDGED[key]) if key in JUDGED else 0
        if lacking or pending:
            out[key] = replace(v, text=V._also(v.text, lacking), pending=pending)
    return {key: out.get(key) or V.Verdict(topic, "missing", V.NOTHING_STORED)
            for key, topic in TOPICS[chapter].items()}


# ------------------------------------------------------------------------ helpers
def target_phrase(config) -> str:
    """A run's stopping rule in words."""
    parts = []
    if config.target_train_acc is not None:
        parts.append(f"{100 * config.target_train_acc:g}% running training accuracy")
    if config.target_train_loss is not None:
        parts.append(f"a training loss of at most {config.target_train_loss:g}")
    return " with ".join(parts) if parts else f"the end of its {config.max_epochs} epochs"


def data_caveat(result_or_config, paper=PAPER_RECIPE) -> str:
    """'' when a run used the paper's data and size, else the sentence saying it did not."""
    c = getattr(result_or_config, "config", result_or_config)
    n = getattr(result_or_config, "summary", {}).get("n_train", c.n_train)
    if c.dataset == "cifar10" and (n is None or n == paper["n_train"]):
        return ""
    size = f" at n = {count(n)}" if n else ""
    return (f"(Not like-for-like: ours are {dataset_name(c.dataset)}{size}, the published "
            f"{paper['dataset']} at n = {count(paper['n_train'])}.)")


def _named(results: dict) -> dict:
    """{printed run name: result}; a seed is named only where a run has several."""
    grouped = by_seed(results)
    out = {}
    for base, seeds in grouped.items():
        for seed, r in seeds.items():
            out[key_name(base) + (f" (seed {seed})" if len(seeds) > 1 else "")] = r
    return out


def _fits(results: dict) -> dict:
    """{printed run name: (fitted, final running train %, final running training loss)} for
    `verdicts.fitted`."""
    return {k: (r.summary["fitted"], _pct(r.summary["final_train_acc_running"]),
                r.summary.get("final_train_loss_running"))
            for k, r in _named(results).items()}


def fits_either(result) -> bool:
    """The paper's criterion of fitting, 100% training accuracy: a run reached its stopping
    target, or classified every training image correctly after training."""
    s = result.summary
    return bool(s["fitted"]) or round(s["final_train_acc"] * s["n_train"]) == s["n_train"]


def _fits_either(results: dict) -> dict:
    """{printed run name: (`fits_either`, its final train % on the whole set)}, for
    `verdicts.fitted`."""
    return {k: (fits_either(r), _pct(r.summary["final_train_acc"])) for k, r in _named(results).items()}


def _fit_claim(results: dict, config, topic: str, caveat: str = "", what: str = "") -> V.Verdict:
    """A claim that runs fit their training sets, judged by the paper's criterion, 100%
    training accuracy: in an epoch at the stopping target, or on the whole training set after
    training (an augmented run's running accuracy may stay just short of 100% while every
    unaugmented training image is right); the profile's stricter stopping target (`config`'s:
    a loss as well) is reported beside it where some run missed that."""
    stricter = f"the profile's stricter stopping target ({target_phrase(config)})"
    fits = _fits(results)
    strict = V.fitted(fits, stricter, topic)
    missed = {k: r for k, r in _named(results).items() if not fits_either(r)}
    strict_missed = {k: v for k, v in fits.items() if not v[0]}
    if missed and set(strict_missed) == set(missed):  # the same runs: their numbers, once
        strict = replace(strict, text=V.also_missed(strict_missed, stricter))
    rises = {k: late_rise(r, PACE_WINDOW) for k, r in missed.items()}
    pace = V.pace_note({k: (rises[k], 100 * (1 - r.summary["final_train_acc"]))
                        for k, r in missed.items()}, PACE_WINDOW)
    fit = V.fitted(_fits_either(results), f"100% training accuracy{what} (the paper's "
                   "criterion)", topic,
                   accuracy="training accuracy on the whole set",
                   caveat=" ".join(t for t in ((strict.text if strict.outcome != "agrees" else ""),
                                               caveat, pace) if t))
    return V.cut_short(fit, rises)


def _published_fit_context(results: dict) -> str:
    """For the Table I rows whose runs missed 100% training accuracy: the training accuracy
    the paper and the report publish for the same row (at 50,000 images they fall short of
    100% in places too), so a miss reads beside theirs."""
    rows = list(dict.fromkeys((k.model, k.label) for k, r in results.items()
                              if not fits_either(r)))
    known = [(m, lab) for m, lab in rows if (m, lab) in PAPER_TABLE1 or (m, lab) in REPORT_TABLE1]
    if not known:
        return ""
    def train(table, row):
        return pct(table[row][0]) if row in table else "n/a"
    return ("(Published training accuracy of the rows that missed it, paper / report: "
            + "; ".join(f"{model_name(m)}, {key_name(lab)}: {train(PAPER_TABLE1, (m, lab))} / "
                        f"{train(REPORT_TABLE1, (m, lab))}" for m, lab in known) + ".)")


def _one(results: dict):
    return next(iter(results.values()), None)


def lr_fit_point(curve, lr0: float, loss: float = FIT_LOSS) -> tuple[int | None, float, int]:
    """(first epoch whose mean training loss was at most `loss`, or None; the lr of that
    epoch, else of the last, as a fraction of lr0; the last epoch) from per-epoch rows with
    epoch, lr and train_loss (a run's metrics or a probe's curve)."""
    rows = list(curve)
    hit = next((r for r in rows if r["train_loss"] <= loss), None)
    row = hit or rows[-1]
    return (int(row["epoch"]) if hit else None), row["lr"] / lr0, int(rows[-1]["epoch"])


def _pct(x):
    return None if x is None else 100.0 * x


@lru_cache(maxsize=16)
def linear_baselines(dataset: str, sizes: tuple, seed: int = 0) -> tuple:
    """The linear least-squares baseline on true and random labels at each n in `sizes`."""
    return tuple(linear_baseline(dataset, n, level, seed) for n in sizes for level in (0.0, 1.0))


def seeds_phrase(settings: dict, models) -> str:
    """'MLP 1x512 runs have 3 seeds (shown as mean and range); the others one.' or ''."""
    from ...experiments import seeds_for
    many = {model_name(m): len(seeds_for(settings, m)) for m in models if len(seeds_for(settings, m)) > 1}
    if not many:
        return ""
    listed = listing(f"{m} runs have {k} seeds" for m, k in many.items())
    return f"{listed[0].upper()}{listed[1:]} (shown as mean and range); the others one."


def report_bn_pairs(runs) -> dict:
    """{printed label: RunResult}: each report-BatchNorm run and the plain run it is compared
    with (same model, level and seed), for one figure and table."""
    plain = runs["fig1bc"]
    out = {}
    for (m, p, seed), bn in runs["report_bn"].items():
        what = corruption_name("labels", p)
        out[f"{model_name(m)} with BatchNorm, {what}"] = bn
        if (m, p, seed) in plain:
            out[f"{model_name(m)} without BatchNorm, {what}"] = plain[(m, p, seed)]
    return out


def _linear_at(baselines, n, level):
    return next((b for b in baselines if b["n_train"] == n and b["level"] == level), None)


def schedule_caveat(result, paper=PAPER_RECIPE) -> str:
    """'' when a run's lr schedule is the paper's per SGD step (x0.95 per 391 steps, one
    CIFAR-10 epoch), else the sentence that names both factors."""
    from ...experiments import CIFAR_EPOCH_STEPS
    c = result.config
    steps = -(-result.summary.get("n_train", c.n_train or 50_000) // c.batch_size)
    per_paper_epoch = c.decay ** (CIFAR_EPOCH_STEPS / steps)
    if abs(per_paper_epoch - paper["lr_decay"]) < 1e-6:
        return ""
    return (f"(Our {model_name(c.model)} multiplies its learning rate by {c.decay:.4g} per "
            f"{steps}-step epoch, {per_paper_epoch:.4g} per {CIFAR_EPOCH_STEPS} steps; the paper "
            f"by {paper['lr_decay']:g} per {CIFAR_EPOCH_STEPS}-step epoch.)")


def factor_spread(levels: dict) -> tuple[float, str] | None:
    """How far Fig. 1b's factor spreads between repeated runs of one config: per model and
    level p > 0 with several seeds fitted, the largest seed's factor over the smallest; the
    median over those, with where it was measured. None without such seeds."""
    spreads, models = [], []
    for (m, p), sd in sorted(levels.items()):
        base = levels.get((m, 0.0), {})
        spread = spread_ratio(fit_factor(r, base.get(k)) for k, r in sd.items())
        if p > 0 and spread is not None:
            spreads.append(spread)
            models.append(m)
    if not spreads:
        return None
    return (float(pd.Series(spreads).median()),
            f"the median, over {len(spreads)} levels of {listing(model_name(m) for m in dict.fromkeys(models))}, "
            "of the largest seed's factor over the smallest")


def report_networks_note() -> str:
    """What makes the report's numbers another experiment than ours, said beside every
    comparison with them: its networks had BatchNorm, its MLPs a slower lr factor, and its
    AlexNet is its own guess of the layer sizes (the registry's `alexnet_small_report`)."""
    from ...models import model_spec
    from ...reference import REPORT_RECIPE
    return (f"(The report's networks are not ours: all of them had BatchNorm, its MLPs an lr "
            f"factor of {REPORT_RECIPE['mlp_lr_decay']:g} per epoch, and its AlexNet is its own "
            f"guess of the layer sizes ({model_spec('alexnet_small_report').paper_parameters:,} "
            "parameters), so a gap to its numbers mixes those differences with ours.)")
