"""What each chapter finds: its stored runs turned into the inputs of the verdict functions.

`capacity`, `explicit` and `implicit` take a chapter's `glue.ChapterRuns` and return
{glue key: Verdict}; the chapters glue them and the conclusion calls the same functions on
the same store (`chapter_findings`), so the two can never disagree.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
import pandas as pd

from ..baselines import linear_baseline
from ..builders import ModelKey, epoch_decay
from ..chapters import CHAPTERS as _CHAPTERS, CHAPTER_TITLES, EXPERIMENT_OF, TOPICS  # noqa: F401
from ..data import get_spec
from ..experiments import CIFAR_EPOCH_STEPS, by_family
from ..metrics import FIT_LOSS, first_step, time_to_fit
from ..reference import (FIG1A_REFERENCE, FIG1A_REFERENCE_STEPS, PAPER_RECIPE, PAPER_TABLE1,
                         REPORT_EXTENSIONS, REPORT_TABLE1)
from . import verdicts as V
from .names import (METRIC_NAMES, corruption_name, count, dataset_name, key_name, listing,
                    model_name, pct)
from ..ops import probes as probe_records
from .stats import by_seed, stat
from .tables import (REGULARIZED, curve_table, fit_factor, late_rise, regularizer_effect, table1_frame,
                     table2_frame)

REACH = 99.0  # % running train accuracy that counts as fitted in the fixed-epoch curves (Fig. 3)
LEVEL_WINDOW = 5  # epochs: an augmented Fig. 3a curve has levelled off when its last 5 epochs
# average less than a point above the 5 before them (`tables.late_rise`, `verdicts.levelled`)
PACE_WINDOW = 10  # epochs: a run that missed 100% is still rising when its last 10 epochs
# average above the 10 before them (`verdicts.pace_note`)
SIGNAL = 0.9  # Fig. 2: running accuracy at which a part of the training set counts as learned

# Every verdict key a chapter glues, with its topic: the keys exist whatever the store holds
# (a verdict whose runs are missing says so), so a chapter's prose never names an absent key.
# TOPICS, EXPERIMENT_OF (the experiment whose missing runs a verdict names after its text) and
# the chapters are views of the registry: each experiment's entry in rethink_lib/chapters/.
CHAPTERS = tuple(_CHAPTERS)


def not_stored_phrase(runs, experiment: str) -> str:
    """'(Not stored yet, so not part of this verdict: AlexNet.)' for an experiment's planned
    runs that are missing from the store (each printed once), else ''."""
    from .glue import LONG
    found = [(key_name(key), why) for name, key, _, why in getattr(runs, "missing", ())
             if name == experiment]
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


def _finish(chapter: str, out: dict, parts: dict | None = None, runs=None) -> dict[str, V.Verdict]:
    """Combine per-model verdicts into their section's key, name the runs each verdict still
    lacks (`runs.missing`), fill absent keys with a 'missing' verdict, and keep the
    chapter's key order."""
    for key, items in (parts or {}).items():
        if items:
            out[key] = V.combine(TOPICS[chapter][key], items)
    for key, v in out.items():
        lacking = not_stored_phrase(runs, EXPERIMENT_OF[key]) if key in EXPERIMENT_OF else ""
        if v is not None and lacking:
            out[key] = replace(v, text=V._also(v.text, lacking))
    return {key: out.get(key) or V.Verdict(topic, "missing", "The runs for this are not stored yet.")
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
    strict = V.fitted(_fits(results), f"the profile's stricter stopping target "
                                      f"({target_phrase(config)})", topic)
    pace = V.pace_note({k: (late_rise(r, PACE_WINDOW), 100 * (1 - r.summary["final_train_acc"]))
                        for k, r in _named(results).items() if not fits_either(r)}, PACE_WINDOW)
    return V.fitted(_fits_either(results), f"100% training accuracy{what} (the paper's criterion: "
                    f"at the stopping target, or on the whole training set after training)", topic,
                    accuracy="training accuracy on the whole set",
                    caveat=" ".join(t for t in ((strict.text if strict.outcome != "agrees" else ""),
                                                caveat, pace) if t))


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
    from ..experiments import seeds_for
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
            out[f"{model_name(m)} without, {what}"] = plain[(m, p, seed)]
    return out


def _linear_at(baselines, n, level):
    return next((b for b in baselines if b["n_train"] == n and b["level"] == level), None)


def schedule_caveat(result, paper=PAPER_RECIPE) -> str:
    """'' when a run's lr schedule is the paper's per SGD step (x0.95 per 391 steps, one
    CIFAR-10 epoch), else the sentence that names both factors."""
    from ..experiments import CIFAR_EPOCH_STEPS
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
        fs = [f for k, r in sd.items() if not V.missing(f := fit_factor(r, base.get(k)))]
        if p > 0 and len(fs) > 1 and min(fs) > 0:
            spreads.append(max(fs) / min(fs))
            models.append(m)
    if not spreads:
        return None
    return (float(pd.Series(spreads).median()),
            f"the median, over {len(spreads)} levels of {listing(model_name(m) for m in dict.fromkeys(models))}, "
            "of the largest seed's factor over the smallest")


def _fig1b_factor(m: str, levels: dict, ref_ratio: float, caveats: list, topic: str) -> V.Verdict:
    """Fig. 1b for one model by the paper's criterion: each level's time to fit (100% training
    accuracy, held to the end) over the same seed's true-label time, bounded and growing with
    p (`verdicts.bounded_growth`). The public Fig. 1a reproduction's ratio is context only."""
    base = levels.get((m, 0.0), {})
    factors = {p: [fit_factor(r, base.get(k)) for k, r in sd.items()]
               for (mm, p), sd in levels.items() if mm == m}  # p = 0: 1x where it fitted
    context = (f"(Context, not a pass mark: {FIG1A_REFERENCE['source']} measured "
               f"{ref_ratio:.1f}x for {model_name(FIG1A_REFERENCE['model'])} on "
               f"{FIG1A_REFERENCE['dataset']}, by the loss mark.)")
    unit = ("(Both runs of a pair have the same number of images, so the factor is the same in "
            "epochs as in steps.)")
    return V.bounded_growth(model_name(m), factors, topic, noise=factor_spread(levels),
                            caveat=" ".join(c for c in [*caveats, unit, context] if c))


# ------------------------------------------------------------- 02: effective capacity
def baseline_sizes(settings: dict) -> tuple:
    """The n of the linear baseline: the profile's, and 500 for contrast."""
    return tuple(dict.fromkeys((settings["n_train"], 500)))


def capacity(runs, baselines=()) -> dict[str, V.Verdict]:
    """Verdicts of the capacity chapter (linear baseline, Fig. 1a-c, Fig. 2, extensions)."""
    out, topic = {}, TOPICS["02_capacity"]
    parts = {"fig1b_ratio": [], "fig1c_rise": [], "fig1c_chance": [], "fig2": [], "report_bn": [],
             "report_bn_fit": []}
    levels = by_seed(runs["fig1bc"])
    _linear_verdict(runs, baselines, levels, out, topic)
    _fig1a_verdicts(runs, out, topic)
    _fig1bc_verdicts(runs, levels, out, parts, topic)
    _fig2_verdicts(runs, parts, topic)
    _report_bn_verdicts(runs, levels, parts, topic)
    _extension_verdicts(runs, out, topic)
    return _finish("02_capacity", out, parts, runs)


def _linear_verdict(runs, baselines, levels, out, topic) -> None:
    """The linear baseline against the networks on random labels."""
    n = runs.n_train(["fig1bc"])
    nets_random = {model_name(m): stat(_pct(r.summary["final_train_acc"]) for r in seeds.values()).mean
                   for (m, p), seeds in levels.items() if p == 1.0}
    lin, lin_small = _linear_at(baselines, n, 1.0), _linear_at(baselines, 500, 1.0)
    if lin is not None:
        out["linear"] = V.linear_baseline(
            lin["n_train"], _pct(lin["train_acc"]), nets_random, 500,
            _pct(lin_small["train_acc"]) if lin_small else None, topic["linear"])


def _fig1a_verdicts(runs, out, topic) -> None:
    """Fig. 1a: the loss metric, as the public reproduction measured it."""
    s = runs.settings
    model = s["fig1a_models"][0] if s["fig1a_models"] else FIG1A_REFERENCE["model"]
    first = {c: seeds[min(seeds)] for (m, c), seeds in by_seed(runs["fig1a"]).items() if m == model}
    if first:
        out["fig1a_fit"] = _fit_claim(first, _one(first).config, topic["fig1a_fit"])
        ref_name = (f"{FIG1A_REFERENCE['source']} ({model_name(FIG1A_REFERENCE['model'])}, "
                    f"{FIG1A_REFERENCE['dataset']}, n = {count(FIG1A_REFERENCE['n_train'])})")
        caveat = data_caveat(_one(first))
        if model != FIG1A_REFERENCE["model"]:
            caveat += f" (The reference is {model_name(FIG1A_REFERENCE['model'])}'s, ours {model_name(model)}'s.)"
        out["fig1a_order"] = V.ordering(
            {c: time_to_fit(r.metrics, "steps_to_loss") for c, r in first.items()},
            FIG1A_REFERENCE_STEPS,
            {c: corruption_name(c) for c in FIG1A_REFERENCE_STEPS},
            METRIC_NAMES["steps_to_loss"].format(loss=FIT_LOSS), ref_name, topic["fig1a_order"],
            caveat=caveat)


def _fig1bc_verdicts(runs, levels, out, parts, topic) -> None:
    """Fig. 1b and 1c, per model; the learning-rate decay rule."""
    s = runs.settings
    ref_ratio = FIG1A_REFERENCE_STEPS["labels1"] / FIG1A_REFERENCE_STEPS["labels0"]
    for m in s["capacity_models"]:
        base, rand = levels.get((m, 0.0), {}), levels.get((m, 1.0), {})
        any_run = _one(base) or _one(rand)
        if any_run is None:
            continue
        seeds = sorted(set(base) & set(rand))
        cav = [data_caveat(any_run)]
        cav.append(schedule_caveat(any_run))
        cav.append(V.mixed_precision({
            corruption_name("labels", p) + (f" (seed {k})" if len(seeds) > 1 else ""):
                V.run_precision(r)
            for p, runs_p in ((0.0, base), (1.0, rand)) for k, r in runs_p.items() if k in seeds}))
        parts["fig1b_ratio"].append(_fig1b_factor(m, levels, ref_ratio, cav,
                                                  topic["fig1b_ratio"]))
        mine = sorted((p, sd) for (mm, p), sd in levels.items() if mm == m)
        errs = [stat(100 - _pct(r.summary["final_test_acc"]) for r in sd.values()).mean for _, sd in mine]
        n_test = any_run.summary["n_test"]
        tol = 100 * V.Z * 2 ** 0.5 * (0.25 / n_test) ** 0.5  # 2 SE of a difference at p = 0.5
        by_level = dict(zip((p for p, _ in mine), errs))
        levels_all = sorted(set(s["corruption_levels"]) | set(by_level))
        parts["fig1c_rise"].append(V.monotone(model_name(m), levels_all,
                                              [by_level.get(p) for p in levels_all], "test error",
                                              topic["fig1c_rise"], tolerance=tol))
        if rand:
            acc = stat(_pct(r.summary["final_test_acc"]) for r in rand.values()).mean
            parts["fig1c_chance"].append(V.chance(
                f"{model_name(m)} on random labels", acc, n_test,
                get_spec(any_run.config.dataset).num_classes, topic["fig1c_chance"]))
    if levels:
        out["fig1b_fit"] = _fit_claim(runs["fig1bc"], _one(runs["fig1bc"]).config, topic["fig1b_fit"])
        rand_runs = {model_name(m): sd[min(sd)] for (m, p), sd in levels.items() if p == 1.0}
        probes = [r for m in s["capacity_models"] for r in probe_records.load_probes(m)
                  if r["level"] == 1.0 and r["lr_decay"] != by_family(s["lr_decay"], m)
                  and probe_records.probe_dataset(r) == s["dataset"]]
        target = f"a training loss of at most {FIT_LOSS:g} on random labels"
        out["decay_rule"] = V.lr_at_fit(
            {name: lr_fit_point(r.metrics, r.config.lr0) for name, r in rand_runs.items()},
            topic["decay_rule"], target, caveat=" ".join(
                f"(Why {model_name(r['model'])}'s factor is not {r['lr_decay']:g}: in a run at "
                f"x{r['lr_decay']:g}, "
                + V.lr_fit_phrase(model_name(r["model"]), lr_fit_point(r["curve"], r["lr"]),
                                  target) + ".)" for r in probes))


def _fig2_verdicts(runs, parts, topic) -> None:
    """Report Fig. 2: signal before noise."""
    for (m, p), sd in by_seed(runs["fig2"]).items():
        clean = stat(first_step(r.metrics, "clean_acc", SIGNAL) for r in sd.values())
        noisy = stat(first_step(r.metrics, "corrupted_acc", SIGNAL) for r in sd.values())
        parts["fig2"].append(V.earlier(
            f"{model_name(m)} at p = {p:g}", clean.mean if clean.absent == 0 else None,
            noisy.mean if noisy.absent == 0 else None, "the clean examples",
            "the corrupted examples", f"{100 * SIGNAL:g}% running training accuracy", topic["fig2"],
            caveat=f"(Mean step over {clean.seeds} seeds.)" if clean.seeds > 1 else ""))


def _report_bn_verdicts(runs, levels, parts, topic) -> None:
    """The report's BatchNorm variant beside the paper's network."""
    for (m, p), sd in by_seed(runs["report_bn"]).items():
        plain = levels.get((m, p), {})
        seed = min(set(sd) & set(plain), default=None)
        if seed is None:
            continue
        bn, nobn = sd[seed], plain[seed]
        parts["report_bn"].append(V.earlier(
            f"{model_name(m)} on {corruption_name('labels', p)}",
            time_to_fit(bn.metrics, "steps_to_loss"), time_to_fit(nobn.metrics, "steps_to_loss"),
            "the BatchNorm run (the report's variant)",
            "the run without (the paper's)", f"a training loss of {FIT_LOSS:g}", topic["report_bn"],
            expected=None, confound=V.confounds(bn, nobn, ["bn"],
                                                ("the BatchNorm run", "the plain run"),
                                                (bn.summary["fitted"], nobn.summary["fitted"]),
                                                missed="the stopping target")))
        if p == 1.0:
            parts["report_bn_fit"].append(_fit_claim(
                {f"{model_name(m)} without BatchNorm": nobn}, nobn.config, topic["report_bn_fit"],
                what=" on random labels"))


def _extension_verdicts(runs, out, topic) -> None:
    """The report's extensions (Sec. II-B): Gaussian noise, random labels on a 2nd data set."""
    for name in ("gaussian_large", "other_dataset_random"):
        found = runs[name]
        r0 = _one(found)
        if r0 is None:
            continue
        ref = REPORT_EXTENSIONS[name]
        data = "Gaussian noise" if name == "gaussian_large" else dataset_name(r0.config.dataset)
        out[name] = _fit_claim(found, r0.config, topic[name], caveat=(
            f"(The report: {ref['data']}, {count(ref['n_train'])} images; "
            f"ours: {data}, {count(r0.summary['n_train'])} images.)"
            + (_slower_decay_note(r0) if name == "other_dataset_random" else "")))


def _slower_decay_note(run) -> str:
    """Where a run's lr falls more slowly than the paper's x0.95 per 391-step CIFAR-10 epoch
    at its size: by how much, and the probe record (same model and data set) that showed why."""
    c = run.config
    paper = epoch_decay(PAPER_RECIPE["lr_decay"], CIFAR_EPOCH_STEPS, c.dataset, c.n_train,
                        c.batch_size)
    if c.lr_decay is None or paper is None or c.lr_decay <= paper + 1e-9:
        return ""
    note = (f" (A deviation from the paper's recipe: the lr falls by x{c.lr_decay:.4f} per "
            f"epoch, not x{paper:.4f} as x{PAPER_RECIPE['lr_decay']:g} per "
            f"{CIFAR_EPOCH_STEPS} steps gives at this size.")
    probes = [r for r in probe_records.load_probes(c.model)
              if probe_records.probe_dataset(r) == c.dataset and r["level"] == c.level
              and abs(r["lr_decay"] - paper) < 1e-6 and r["curve"]]
    for r in probes[:1]:
        last = r["curve"][-1]
        note += (f" Under the paper's schedule {model_name(c.model)} reached "
                 f"{pct(100 * r['final_train_acc'])} training accuracy in {r['epochs']} "
                 f"epochs, its lr at {pct(100 * last['lr'] / r['lr'])} of the start "
                 f"(probe record in docs/probes/).")
    return note + ")"


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
                else None, caveat=caveat, confound=_t1_confound(runs["table1"], m, row["best"])))
        rows = {reg: t1.xs(reg, level="regularizer") for reg in ("neither", "random labels")
                if reg in t1.index.get_level_values(1)}
        linear = rows["neither"].loc["linear"] if "neither" in rows and "linear" in rows["neither"].index else None
        for m, row in rows.get("neither", {}).iterrows() if "neither" in rows else []:
            if m == "linear":
                continue
            acc, n_test = row[("ours", "test")], int(row[("ours", "n_test")])
            parts["t1_generalize"].append(V.chance(f"{model_name(m)} without regularizers", acc,
                                                   n_test, num_classes, topic["t1_generalize"],
                                                   expected="above"))
            if linear is not None:
                parts["t1_linear"].append(V.effect(model_name(m), acc, linear[("ours", "test")], n_test,
                                                   "the network instead of the linear classifier",
                                                   topic["t1_linear"]))
        for m, row in rows.get("random labels", {}).iterrows() if "random labels" in rows else []:
            if m != "linear":
                parts["t1_random"].append(V.chance(f"{model_name(m)} on random labels",
                                                   row[("ours", "test")], int(row[("ours", "n_test")]),
                                                   num_classes, topic["t1_random"]))
        out["t1_vs_paper"] = differences(t1, "paper", topic["t1_vs_paper"], caveat)
        out["t1_vs_report"] = differences(t1, "report", topic["t1_vs_report"], caveat)

    # Table I at the paper's scale (all training images): its numbers compare directly
    full = {**runs["table1_full"], **runs["table1_full_late"]}  # RowKeys: distinct models
    if full:
        tf = table1_frame(full)
        out["t1_full_fit"] = _fit_claim(full, _one(full).config, topic["t1_full_fit"],
                                        caveat=_published_fit_context(full))
        out["t1_full_vs_paper"] = differences(tf, "paper", topic["t1_full_vs_paper"],
                                              data_caveat(_one(full)))
        out["t1_full_vs_report"] = differences(tf, "report", topic["t1_full_vs_report"],
                                               data_caveat(_one(full)))

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
                f"Without weight decay {V.listing(plain_too)} did not fit random labels either, "
                "so the budget, not weight decay, may be what held them back")))
        out["t2_fit"] = fit
        out["t2_vs_report"] = differences(table2_frame(t2_runs, without_wd=no_wd), "report",
                                          topic["t2_vs_report"])
    return _finish("03_explicit", out, parts, runs)


def difference_cells(frame, against: str, topic: str = "", threshold: float = V.THRESHOLD) -> list[dict]:
    """Every cell of a Table I/II frame that `against` also has, as {row, metric, ours,
    theirs, difference, bar, verdict}: bar is the larger of `threshold` points and Z standard
    errors (test accuracies: ours on its test set, theirs on the paper's 10,000 images)."""
    cells = []
    for key, row in frame.iterrows():
        for metric in ("train", "test"):
            col = (against, metric)
            if col not in frame.columns or row.isna().get(col, True) or row.isna()[("ours", metric)]:
                continue
            n_ours = row.get(("ours", "n_test")) if metric == "test" else None
            n_ours = int(n_ours) if n_ours == n_ours and n_ours else None
            n_theirs = PAPER_RECIPE["n_test"] if n_ours else None
            ours, theirs = row[("ours", metric)], row[col]
            se = 100 * V.se_diff(ours / 100, n_ours, theirs / 100, n_theirs) if n_ours else 0.0
            cells.append({"row": key_name(key), "metric": metric, "ours": ours, "theirs": theirs,
                          "difference": ours - theirs, "bar": max(threshold, V.Z * se),
                          "verdict": V.difference(f"{key_name(key)}, {metric}", ours, theirs,
                                                  f"the {against}", topic, n_ours, n_theirs,
                                                  threshold)})
    return cells


def difference_frame(frame, against: str, threshold: float = V.THRESHOLD):
    """The cells where ours and `against` differ by more than the bar (2 points or the noise),
    largest first: row, metric, ours, theirs, difference, bar (points)."""
    import pandas as pd
    cells = [c for c in difference_cells(frame, against, threshold=threshold)
             if c["verdict"].outcome == "differs"]
    out = pd.DataFrame([{k: v for k, v in c.items() if k != "verdict"} for c in cells],
                       columns=["row", "metric", "ours", "theirs", "difference", "bar"])
    out = out.rename(columns={"theirs": against})
    return out.reindex(out["difference"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def difference_table(frame, threshold: float = V.THRESHOLD):
    """`difference_frame` against the paper and against the report in one table, with a
    `source` column (Table 3.2)."""
    import pandas as pd
    parts = [difference_frame(frame, a, threshold).rename(columns={a: "theirs"}).assign(source=a)
             for a in ("paper", "report")]
    out = pd.concat(parts, ignore_index=True)
    return out[["source", "row", "metric", "ours", "theirs", "difference", "bar"]]


def differences(frame, against: str, topic: str, caveat: str = "",
                threshold: float = V.THRESHOLD) -> V.Verdict:
    """One verdict on every cell of a Table I/II frame that `against` also has: how many differ
    by more than `threshold` points and the noise, naming the largest."""
    cells = difference_cells(frame, against, topic, threshold)
    if not cells:
        return V.Verdict(topic, "missing", V._sentence(f"None of our runs has a number the {against} also has yet"))
    off = [c for c in cells if c["verdict"].outcome == "differs"]
    if not off:
        return V.Verdict(topic, "agrees", V._also(V._sentence(
            f"All {len(cells)} of our numbers that the {against} also has lie within {threshold:g} "
            f"points (or the noise) of its numbers"), caveat))
    largest = max(off, key=lambda c: abs(c["difference"]))
    return V.Verdict(topic, "differs", V._also(V._sentence(
        f"{len(off)} of the {len(cells)} numbers that the {against} also has "
        f"{'differs' if len(off) == 1 else 'differ'} from its numbers by more than {threshold:g} "
        f"points and the noise (each is listed in the table of differences); the largest: "
        f"{largest['verdict'].text.rstrip('.')}"), caveat))


# ---------------------------------------------------------- 04: implicit regularization
def _fit_curve(result) -> bool:
    return max(r["train_acc"] for r in result.metrics) * 100 >= REACH - 1e-9


def implicit(runs) -> dict[str, V.Verdict]:
    """Verdicts of the implicit-regularization chapter (Fig. 3a-c)."""
    out, topic = {}, TOPICS["04_implicit"]
    parts = _fig3a_verdicts(runs["fig3a"], out, topic)
    _fig3b_verdicts(runs["fig3b"], out, topic)
    _fig3c_verdicts(runs["fig3c"], out, topic)
    return _finish("04_implicit", out, parts, runs)


def _fig3a_verdicts(a, out, topic) -> dict:
    """Fig. 3a: early stopping, the curves' length, the regularizers; returns the per-run
    verdicts to combine."""
    ta = curve_table(a, REACH) if a else None
    early = [V.early_stopping(f"Inception, {label}", ta.loc[label, "early-stopping gain"],
                              r.summary["n_curve_test"], ta.loc[label, "best test"], _fit_curve(r),
                              int(ta.loc[label, "epochs"]), topic["fig3a_es"])
             for label, r in a.items()]
    unaug = {label: r for label, r in a.items() if r.config.augment == "none"}
    aug = {label: r for label, r in a.items() if r.config.augment != "none"}
    long_enough = []
    if unaug:
        epochs = max(r.config.max_epochs for r in unaug.values())
        long_enough.append(V.fitted(
            {f"Inception with {label}": (max(m["train_acc"] for m in r.metrics) >= 1.0,
                                         _pct(r.metrics[-1]["train_acc"]))
             for label, r in unaug.items()},
            f"100% running training accuracy within {epochs} epochs",
            topic["fig3a_long_enough"]))
    if aug:
        long_enough.append(V.levelled(
            {f"Inception with {label}": late_rise(r, LEVEL_WINDOW) for label, r in aug.items()},
            LEVEL_WINDOW,
            "running training accuracy", topic["fig3a_long_enough"]))
    if "no regularizer" in a and "aug + wd + dropout" in a:
        w, wo = a["aug + wd + dropout"], a["no regularizer"]
        out["fig3a_regularizers"] = V.effect(
            "Inception", _pct(w.summary["final_test_acc"]), _pct(wo.summary["final_test_acc"]),
            wo.summary["n_test"], "augmentation, weight decay and dropout together",
            topic["fig3a_regularizers"], caveat=data_caveat(wo),
            confound=V.confounds(w, wo, ["augment", "weight_decay", "dropout"],
                                 ("the regularized run", "the run without"),
                                 (_fit_curve(w), _fit_curve(wo))))
    return {"fig3a_es": early, "fig3a_long_enough": long_enough}


def _fig3b_verdicts(b, out, topic) -> None:
    """Fig. 3b: BatchNorm against none, on test accuracy, speed and steadiness."""
    if "with BN" in b and "without BN" in b:
        bn, nobn = b["with BN"], b["without BN"]
        tb = curve_table(b, REACH)
        conf = V.confounds(bn, nobn, ["model", "bn"], ("the BatchNorm run", "the run without"),
                           (_fit_curve(bn), _fit_curve(nobn)))
        out["fig3b_test"] = V.effect(
            "Inception", _pct(bn.summary["final_test_acc"]), _pct(nobn.summary["final_test_acc"]),
            bn.summary["n_test"], "BatchNorm", topic["fig3b_test"],
            confound=conf, caveat=data_caveat(bn))
        step = f"step train >= {REACH:g}%"
        out["fig3b_speed"] = V.earlier(
            "Inception", _na(tb.loc["with BN", step]), _na(tb.loc["without BN", step]),
            "with BatchNorm", "without", f"{REACH:g}% running training accuracy",
            topic["fig3b_speed"], expected="a", confound=conf)
        out["fig3b_steady"] = V.steadier(
            "Inception", tb.loc["with BN", "test fluctuation"], tb.loc["without BN", "test fluctuation"],
            "with BatchNorm", "without", topic["fig3b_steady"],
            source="the paper", confound=conf)


def _fig3c_verdicts(c, out, topic) -> None:
    """Fig. 3c: batch 128 against 64, in epochs (as the report) and in steps."""
    if len(c) == 2:
        small, large = sorted(c, key=lambda k: c[k].config.batch_size)
        tc = curve_table(c, REACH)
        conf = V.confounds(c[large], c[small], ["batch_size"], (large, small),
                           (_fit_curve(c[large]), _fit_curve(c[small])))
        ep, st = f"epoch train >= {REACH:g}%", f"step train >= {REACH:g}%"
        by = {unit: V.earlier(
            "Inception with BatchNorm", _na(tc.loc[large, col]), _na(tc.loc[small, col]), large,
            small, f"{REACH:g}% running training accuracy", topic["fig3c_speed"],
            expected="a", unit=unit, confound=conf if unit == "epoch" else "")
            for unit, col in (("epoch", ep), ("step", st))}
        same = by["step"].outcome == by["epoch"].outcome
        out["fig3c_speed"] = replace(by["epoch"], text=V._also(
            by["epoch"].text,
            f"(The verdict counts epochs, as the report's figure does; batch 64 takes twice as many "
            f"SGD steps per epoch. Counted in steps, it {'is the same' if same else 'changes'}: "
            f"{by['step'].text[:-1]}.)"))
        out["fig3c_steady"] = V.steadier(
            "Inception with BatchNorm", tc.loc[large, "test fluctuation"],
            tc.loc[small, "test fluctuation"], f"with {large}", f"with {small}",
            topic["fig3c_steady"], confound=conf)


def _na(v):
    import pandas as pd
    return None if pd.isna(v) else int(v)


# ------------------------------------------------------------------- the whole book
def chapter_findings(settings_by_chapter: dict, stores) -> dict[str, dict[str, V.Verdict]]:
    """{chapter: {key: Verdict}} for chapters 02-04, from the stores (trains nothing)."""
    from ..chapters import CHAPTER_EXPERIMENTS
    from .glue import ChapterRuns
    out = {}
    for chapter, entry in _CHAPTERS.items():  # entry.findings: the function below that judges it
        s = settings_by_chapter[chapter]
        runs = ChapterRuns(s, CHAPTER_EXPERIMENTS[chapter], stores)
        judge = globals()[entry.findings]
        if entry.baselines:
            out[chapter] = judge(runs, linear_baselines(s["dataset"], baseline_sizes(s), s["seed"]))
        else:
            out[chapter] = judge(runs)
    return out




def _items(found: dict, outcome: str) -> list[tuple[str, V.Verdict]]:
    """(chapter, verdict) pairs with this outcome; a combined verdict is opened into its parts,
    so one model that differs is listed as such even where the others agree."""
    out = []
    for chapter, verdicts in found.items():
        for v in verdicts.values():
            for part in (v.parts or (v,)):
                if part.outcome == outcome:
                    out.append((chapter, part))
    return out


def outcome_list(found: dict, outcome: str) -> str:
    """A Markdown bullet list of every verdict with `outcome`: '- **topic** (chapter): text'."""
    items = _items(found, outcome)
    if not items:
        return "None."
    return "\n".join(f"- **{v.topic}** ({CHAPTER_TITLES.get(ch, ch)}): {v.text}" for ch, v in items)


def outcome_counts(found: dict) -> str:
    """One sentence: how many verdicts of the book came out each way."""
    n = {o: len(_items(found, o)) for o in V.OUTCOMES}
    total = sum(n.values())
    return V._sentence(
        f"Of the {total} findings the chapters state, {n['agrees']} reproduce the paper (or the "
        f"report, where it is the one compared with), {n['differs']} do not, {n['inconclusive']} "
        f"cannot be decided by the runs as they came out, and {n['missing']} wait for runs that "
        "are not stored yet")


def book_differences(settings: dict, stores) -> "pd.DataFrame":
    """Every Table I and Table II number that differs from the paper's or the report's by more
    than THRESHOLD points and the noise: table, source, row, metric, ours, theirs, difference."""
    import pandas as pd

    from ..experiments import CHAPTER_EXPERIMENTS
    from .glue import ChapterRuns
    runs = ChapterRuns(settings, CHAPTER_EXPERIMENTS["03_explicit"], stores)
    no_wd = {ModelKey(k.model, k.seed): r for k, r in runs["table1"].items()
             if k.label == "random labels"}
    frames = {"Table I": table1_frame(runs["table1"]),
              "Table II": table2_frame(runs["table2"], without_wd=no_wd)}
    rows = []
    for table, frame in frames.items():
        for against in ("paper", "report"):
            if frame.empty or (f"ours - {against}", "train") not in frame.columns:
                continue
            d = difference_frame(frame, against).rename(columns={against: "theirs"})
            rows += [{"table": table, "source": against, **r} for r in d.to_dict("records")]
    return pd.DataFrame(rows, columns=["table", "source", "row", "metric", "ours", "theirs",
                                       "difference", "bar"])
