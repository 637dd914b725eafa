"""Chapter 02, effective capacity: the linear baseline, Fig. 1a-c, report Fig. 2, the
report's BatchNorm variants and extensions."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ...builders import epoch_decay
from ...chapters import TOPICS
from ...data import get_spec
from ...experiments import CIFAR_EPOCH_STEPS, by_family
from ...metrics import FIT_LOSS, first_step, time_to_fit
from ...models import model_spec
from ...reference import (FIG1A_REFERENCE, FIG1A_REFERENCE_STEPS, PAPER_RECIPE, PAPER_SETUP,
                          PAPER_TABLE1, REPORT_EXTENSIONS, REPORT_FIG1A_FASTER, REPORT_TABLE1)
from .. import verdicts as V
from ..names import (METRIC_NAMES, corruption_name, count, dataset_name, listing, model_name,
                     pct, points)
from ...ops import probes as probe_records
from ..stats import by_seed, spread_ratio, stat
from ..tables import fit_factor
from .common import (LATE_SIGNAL, SIGNAL, _finish, data_caveat, _fit_claim, _one, lr_fit_point, _pct, _linear_at,
                     schedule_caveat, factor_spread)


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
    noise = factor_spread(levels)
    if noise and not any(len(sd) > 1 for (mm, _), sd in levels.items() if mm == m):
        noise = (noise[0], f"{noise[1]}; {model_name(m)} has no repeated seeds, so another "
                           "network's spread stands in for its own")
    return V.bounded_growth(model_name(m), factors, topic, noise=noise,
                            caveat=" ".join(c for c in [*caveats, unit, context,
                                                        _other_marks(m, levels)] if c))


def _other_marks(m: str, levels: dict) -> str:
    """Context for Fig. 1b's verdict, which goes by the paper's mark (100% held): the same
    factor by the loss and 99% marks, mean over seeds, per level; '' where none was reached.
    (A few straggling images decide the 100% mark; the other two can grow where it is flat.)"""
    base = levels.get((m, 0.0), {})
    parts = []
    for mark, label in (("steps_to_loss", f"a training loss of at most {FIT_LOSS:g}"),
                        ("steps_to_99", "99% running accuracy")):
        by_p = {}
        for (mm, p), sd in sorted(levels.items()):
            got = stat(fit_factor(r, base.get(k), mark) for k, r in sd.items())
            if mm == m and p > 0 and got.n:
                by_p[p] = got.mean
        if by_p:
            parts.append(f"until {label} holds, " + ", ".join(
                f"{f:.1f}x at p = {p:g}" for p, f in by_p.items()))
    return ("(Context: the factor by the other two marks, " + "; ".join(parts) + ".)"
            if parts else "")


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
    _fig1a_verdicts(runs, levels, out, topic)
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


def _fig1a_verdicts(runs, levels, out, topic) -> None:
    """Fig. 1a: the loss metric, as the public reproduction measured it; two runs closer than
    seeds of one set-up differ (`_loss_mark_noise`) are not ordered."""
    s = runs.settings
    model = s["fig1a_models"][0] if s["fig1a_models"] else FIG1A_REFERENCE["model"]
    first = {c: seeds[min(seeds)] for (m, c), seeds in by_seed(runs["fig1a"]).items() if m == model}
    if set(first) - {"labels0"}:  # the claim is about the corruptions: true labels alone say
        out["fig1a_fit"] = _fit_claim(first, _one(first).config, topic["fig1a_fit"])  # nothing
    if first:
        ref_name = (f"{FIG1A_REFERENCE['source']} ({model_name(FIG1A_REFERENCE['model'])}, "
                    f"{FIG1A_REFERENCE['dataset']}, n = {count(FIG1A_REFERENCE['n_train'])})")
        caveat = data_caveat(_one(first))
        if model != FIG1A_REFERENCE["model"]:
            caveat += f" (The reference is {model_name(FIG1A_REFERENCE['model'])}'s, ours {model_name(model)}'s.)"
        tolerance, noise = _loss_mark_noise(model, 0.0, levels)
        caveat = V._also(caveat, noise)
        steps = {c: time_to_fit(r.metrics, "steps_to_loss") for c, r in first.items()}
        out["fig1a_order"] = V.ordering(
            steps, FIG1A_REFERENCE_STEPS, {c: corruption_name(c) for c in FIG1A_REFERENCE_STEPS},
            METRIC_NAMES["steps_to_loss"].format(loss=FIT_LOSS), ref_name, topic["fig1a_order"],
            caveat=caveat, tolerance=tolerance)
        _fig1a_pixels(steps, tolerance, caveat, out, topic)


def _fig1a_pixels(steps, tolerance, caveat, out, topic) -> None:
    """The report's reading of its Fig. 1a: the corruptions of the input images ("random
    pixels" and "Gaussian", the two it names) converge faster than random labels.
    `steps`: {corruption: steps until the loss mark holds} of the stored Fig. 1a runs."""
    pixels = [c for c in REPORT_FIG1A_FASTER if c in steps]
    if "labels1" not in steps or not pixels:
        return
    out["fig1a_pixels"] = V.combine(topic["fig1a_pixels"], [V.earlier(
        f"{corruption_name(c)} against random labels", steps[c], steps["labels1"],
        corruption_name(c), "random labels", f"a training loss that stays at most {FIT_LOSS:g}",
        topic["fig1a_pixels"], expected="a", tolerance=tolerance, caveat=caveat) for c in pixels])


def _fig1bc_verdicts(runs, levels, out, parts, topic) -> None:
    """Fig. 1b and 1c, per model; the learning-rate decay rule."""
    s = runs.settings
    ref_ratio = FIG1A_REFERENCE_STEPS["labels1"] / FIG1A_REFERENCE_STEPS["labels0"]
    at_chance, classes = {}, None  # {network: (test accuracy % on random labels, test images)}
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
            at_chance[model_name(m)] = (stat(_pct(r.summary["final_test_acc"])
                                             for r in rand.values()).mean, n_test)
            classes = get_spec(any_run.config.dataset).num_classes
    if at_chance:  # one sentence for all networks: they share the chance level and its noise
        parts["fig1c_chance"].append(V.chances("On random labels", at_chance, classes,
                                               topic["fig1c_chance"]))
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
        late = [stat(first_step(r.metrics, part, LATE_SIGNAL) for r in sd.values())
                for part in ("clean_acc", "corrupted_acc")]
        context = (f"(Near the end of fitting the two come closer: {100 * LATE_SIGNAL:g}% at step "
                   f"{late[0].mean:,.0f} and {late[1].mean:,.0f}.)"
                   if all(x.absent == 0 for x in late) else "")
        mean = f"(Mean steps over {clean.seeds} seeds.)" if clean.seeds > 1 else ""
        parts["fig2"].append(V.earlier(
            f"{model_name(m)} at p = {p:g}", clean.mean if clean.absent == 0 else None,
            noisy.mean if noisy.absent == 0 else None, "the clean examples",
            "the corrupted examples", f"{100 * SIGNAL:g}% running training accuracy", topic["fig2"],
            caveat=" ".join(c for c in (mean, context) if c)))


def _report_bn_verdicts(runs, levels, parts, topic) -> None:
    """The report's BatchNorm variant beside the paper's network."""
    for (m, p), sd in by_seed(runs["report_bn"]).items():
        plain = levels.get((m, p), {})
        seed = min(set(sd) & set(plain), default=None)
        if seed is None:
            continue
        bn, nobn = sd[seed], plain[seed]
        tolerance, noise = _loss_mark_noise(m, p, levels)
        if p == 0:
            noise = " ".join(t for t in (noise, _bn_test_note(m, bn, nobn)) if t)
        parts["report_bn"].append(V.earlier(
            f"{model_name(m)} on {corruption_name('labels', p)}",
            time_to_fit(bn.metrics, "steps_to_loss"), time_to_fit(nobn.metrics, "steps_to_loss"),
            "the BatchNorm run (the report's variant)",
            "the run without (the paper's)", f"a training loss of {FIT_LOSS:g}", topic["report_bn"],
            expected=None, tolerance=tolerance, caveat=noise, confound=V.confounds(bn, nobn, ["bn"],
                                                ("the BatchNorm run", "the plain run"),
                                                (bn.summary["fitted"], nobn.summary["fitted"]),
                                                missed="the stopping target")))
        if p == 1.0:
            fit = _fit_claim({f"{model_name(m)} without BatchNorm": nobn}, nobn.config,
                             topic["report_bn_fit"], what=" on random labels")
            if fit.outcome == "agrees":
                fit = replace(fit, text=V._also(fit.text, REPORT_BN_CLAIM))
            parts["report_bn_fit"].append(fit)


# The report (Sec. II-A2) on its BatchNorm, said beside our runs that fitted without it.
REPORT_BN_CLAIM = ("(Unlike the report, which found BatchNorm necessary for AlexNet and the "
                   "MLPs to reach zero training error: here the runs side with the paper, "
                   "which mentions no BatchNorm for them.)")


def _bn_test_note(m: str, bn, nobn) -> str:
    """Context for the report's BatchNorm variant on true labels: what BatchNorm did to our
    test accuracy (with its noise bar), beside the gap between the report's Table I row (with
    BatchNorm) and the paper's (without), no regularizer, where both publish one."""
    ours = V.effect(model_name(m), _pct(bn.summary["final_test_acc"]),
                    _pct(nobn.summary["final_test_acc"]), nobn.summary["n_test"],
                    "BatchNorm", "").text.rstrip(".")
    row = (m, "neither")
    if row in REPORT_TABLE1 and row in PAPER_TABLE1:
        r, q = REPORT_TABLE1[row][1], PAPER_TABLE1[row][1]
        theirs = (f"; the report's Table I row tests {points(r - q)} against the paper's "
                  f"({pct(q)} to {pct(r)}, no regularizer, "
                  f"{count(PAPER_SETUP['table1']['n_train'])} images), a gap that mixes its "
                  "BatchNorm with its other differences (its own guess of the layer sizes and "
                  "its recipe), so it is no measure of BatchNorm alone")
    else:
        theirs = ""
    return f"(Test accuracy, as context: {ours}{theirs}.)"


def _loss_mark_noise(m: str, p: float, levels: dict,
                     floor: float = V.CLOSE) -> tuple[float, str]:
    """How far apart two runs of one set-up land in steps to the loss mark, so that a gap
    no larger counts as "about the same time": the largest seed's steps over the smallest
    at (m, p) where several seeds reached it, else the median of that ratio over m's other
    levels, else over every network's; never below `floor` (`verdicts.earlier`'s default).
    Returns (tolerance, a sentence saying where it was measured; '' where no seeds could)."""
    def spread(sd):
        return spread_ratio(time_to_fit(r.metrics, "steps_to_loss") for r in sd.values())
    own = spread(levels.get((m, p), {}))
    for where, keep in ((f"{model_name(m)}'s other levels", lambda mm: mm == m),
                        ("the levels of every network run with several seeds", lambda mm: True)):
        pool = [s for (mm, _), sd in sorted(levels.items()) if keep(mm) and (s := spread(sd))]
        if own is None and pool:
            ratio, measured = float(pd.Series(pool).median()), f"as the median over {where}"
            break
    else:
        if own is None:
            return floor, ""
        ratio, measured = own, f"as measured between the seeds of {model_name(m)} at this level"
    keep = (f"so a gap below {ratio:.2f}x counts as about the same time" if ratio >= floor else
            f"less than our default margin of {floor:.2f}x, which is kept, since a spread measured "
            "on a few seeds may understate it; a gap below it counts as about the "
            "same time")
    return max(floor, ratio), V._sentence(
        f"(Seeds of one set-up differ by a factor of {ratio:.2f} in steps to this loss, "
        f"{measured}: {keep}.)")


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
            + (_slower_decay_note(r0) + _report_bn_probe_note(r0)
               if name == "other_dataset_random" else " " + theorem1_note(found, ref["n_train"]))))


def theorem1_note(found: dict, report_n: int | None = None) -> str:
    """Where runs stand against Theorem 1 (a two-layer ReLU network with 2n + d weights
    fits any labels of n points in d dimensions): each network's weights as a multiple of
    2n + d at its runs' n. Above 1x the runs do not probe that weight count (a comparison of
    counts only: the theorem's network has one hidden unit per point). report_n: the
    report's n for the same runs, whose 2n + d is named beside."""
    from ...data import CROP_SIZE
    from ...models import count_parameters, create_model
    d = 3 * CROP_SIZE * CROP_SIZE  # what every network sees (data.py: 3 x 28 x 28)
    seen = {}
    for r in found.values():
        c = r.config
        seen.setdefault((c.model, int(r.summary["n_train"])), count_parameters(create_model(
            c.model, num_classes=get_spec(c.dataset).num_classes, **c.model_kwargs())))
    if not seen:
        return ""
    parts = [f"{model_name(m)} has {w:,} weights at n = {n:,}, {w / (2 * n + d):.1f} times "
             f"2n + d = {2 * n + d:,}" for (m, n), w in seen.items()]
    above = all(w > 2 * n + d for (_, n), w in seen.items())
    theirs = (f" (At the report's n = {report_n:,}, 2n + d = {2 * report_n + d:,}.)"
              if report_n else "")
    return V._sentence(
        "(Theorem 1's two-layer network fits any labels of n points in d = "
        f"{d:,} dimensions with 2n + d weights: {listing(parts)}"
        + ("; by weight count these runs stay above the theorem's, so they do not probe it.)"
           if above else "; a network with fewer fits below the theorem's weight count.)")
    ) + theirs


def _slower_decay_note(run) -> str:
    """Where a run's lr falls more slowly than the paper's x0.95 per 391-step CIFAR-10 epoch
    at its size: by how much, and the probe records of the same network (same data set and
    level, no BatchNorm added) at other factors: the paper's schedule, which showed why, and
    any other factor tried, slower ones included."""
    c = run.config
    paper = epoch_decay(PAPER_RECIPE["lr_decay"], CIFAR_EPOCH_STEPS, c.dataset, c.n_train,
                        c.batch_size)
    if c.lr_decay is None or paper is None or c.lr_decay <= paper + 1e-9:
        return ""
    note = (f" (A deviation from the paper's recipe: the lr falls by x{c.lr_decay:.4f} per "
            f"epoch, not x{paper:.4f} as x{PAPER_RECIPE['lr_decay']:g} per "
            f"{CIFAR_EPOCH_STEPS} steps gives at this size.")
    probes = sorted((r for r in _probes_like(c) if not r.get("batchnorm")
                     and abs(r["lr_decay"] - c.lr_decay) > 1e-6), key=lambda r: r["lr_decay"])
    said = []
    for r in probes:
        where = ("under the paper's schedule" if abs(r["lr_decay"] - paper) < 1e-6
                 else f"at x{r['lr_decay']:.4f} per epoch"
                 + (" (slower than ours)" if r["lr_decay"] > c.lr_decay else ""))
        said.append(f"{where} {model_name(c.model)} reached {_probe_reach(r)}")
    if said:
        text = "; ".join(said)
        note += " " + text[0].upper() + text[1:] + " (probe records in docs/probes/)."
    return note + ")"


def _probes_like(c) -> list[dict]:
    """The probe records of run config `c`'s model on its data set and label level."""
    return [r for r in probe_records.probes_of(c.model, c.dataset, c.level) if r["curve"]]


def _probe_reach(r: dict) -> str:
    last = r["curve"][-1]
    return (f"{pct(100 * r['final_train_acc'])} training accuracy in {r['epochs']} epochs, "
            f"its lr at {pct(100 * last['lr'] / r['lr'])} of the start")


def _report_bn_probe_note(run) -> str:
    """For a run without BatchNorm of a model where it is a switch: what a probe of the
    report's BatchNorm variant (same data set, level and lr factor) reached, as context for
    the report's numbers, which its BatchNorm networks made."""
    c = run.config
    if c.batchnorm or model_spec(c.model).batchnorm != "flag":
        return ""
    bn = [r for r in _probes_like(c) if r.get("batchnorm")
          and abs(r["lr_decay"] - (c.lr_decay or 0)) < 1e-6]
    return "".join(f" (The report's networks had BatchNorm; with it, at our lr factor, "
                   f"{model_name(c.model)} reached {_probe_reach(r)}: probe record in "
                   "docs/probes/.)" for r in bn[:1])
