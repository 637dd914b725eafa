"""Verdicts on accuracies: orderings, differences from published numbers, effects in the
noise of the test set, chance, monotone trends, early stopping and the linear baseline."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist

from .core import CLOSE, THRESHOLD, Verdict, Z, _also, _noise, _sentence, _span
from ..names import count, listing, missing, pct, points
from ..stats import se_acc, se_diff


# ----------------------------------------------------------------------- orderings
def ordering(ours: Mapping[str, float | None], reference: Mapping[str, float], names: Mapping[str, str],
             metric: str, reference_name: str, topic: str, caveat: str = "",
             tolerance: float = CLOSE) -> Verdict:
    """Does the order of `ours` (small first; None = never reached, last) match `reference`?

    Keys of `reference` absent from `ours` are runs not stored yet. An ordering differs when
    some pair is inverted by more than a factor `tolerance`: a pair inverted by less is too
    close for single runs to order, and is named but not counted against the reference, as
    are ties and pairs that both never reached."""
    keys = [k for k in sorted(reference, key=reference.get) if k in ours]
    absent = [names.get(k, k) for k in reference if k not in ours]
    if len(keys) < 2:
        return Verdict(topic, "missing", _sentence(
            f"Too few runs are stored to compare the order of {metric} with {reference_name}",
            f"(missing: {listing(absent)})" if absent else ""))
    inf = math.inf
    val = {k: inf if missing(ours[k]) else ours[k] for k in keys}
    ranked = sorted((k for k in keys if val[k] < inf), key=lambda k: val[k])
    shown = "".join((" = " if i and val[k] == val[ranked[i - 1]] else " < " if i else "")
                    + f"{names.get(k, k)} ({count(val[k])})" for i, k in enumerate(ranked)) or "none"
    tied_groups: dict[float, list[str]] = {}
    for k in ranked:
        tied_groups.setdefault(val[k], []).append(names.get(k, k))
    tied = [f"{listing(g)} ({count(v)} each)" for v, g in tied_groups.items() if len(g) > 1]
    if len(ranked) < len(keys):
        shown += f", and never reached by {listing(names.get(k, k) for k in keys if val[k] == inf)}"
    ref = " < ".join(names.get(k, k) for k in keys)
    inverted = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
                if val[a] > val[b] and not (val[a] == inf and val[b] == inf)]
    far = [(a, b) for a, b in inverted if val[a] > tolerance * val[b]]
    close = "; ".join(
        f"{names.get(b, b)} came before {names.get(a, a)}, the reverse of the reference, but by a "
        f"factor of {val[a] / val[b]:.2f} only, within {tolerance:.2f}x: too close for single runs "
        "to say which comes first" for a, b in inverted if (a, b) not in far)
    unreached = [k for k in keys if val[k] == inf]
    head = f"Ordered by {metric}, ours run {shown}; {reference_name} runs {ref}"
    extra = f"(not stored yet: {listing(absent)})" if absent else ""
    if unreached and len(unreached) == len(keys):
        return Verdict(topic, "inconclusive", _also(_sentence(
            f"No run reached {metric}, so there is no order to compare with {reference_name}", extra),
            caveat))
    if not far:
        tail = ": the same order"
        if unreached:
            tail += f" as far as it can be read ({listing(names.get(k, k) for k in unreached)} never reached it)"
        if close:
            tail += f" within the spread of single runs; {close}"
        if tied:
            tail += f"; {'; '.join(tied)} tie, and a tie is evidence for neither order"
        return Verdict(topic, "agrees", _also(_sentence(head + tail, extra), caveat))
    a, b = far[0]
    beyond = f" by more than a factor of {tolerance:.2f}" if tolerance > 1 else ""
    return Verdict(topic, "differs", _also(_sentence(
        head + f": a different order ({len(far)} of {len(keys) * (len(keys) - 1) // 2} pairs "
        f"reversed{beyond}; e.g. {names.get(a, a)} took longer than {names.get(b, b)} here, the "
        "reverse of the reference)", f"; {close}" if close else "", extra), caveat))


# -------------------------------------------------------------- published numbers
def difference(name: str, ours: float | None, theirs: float | None, source: str, topic: str,
               n_ours: int | None = None, n_theirs: int | None = None,
               threshold: float = THRESHOLD, z: float = Z, caveat: str = "") -> Verdict:
    """Our accuracy (%) against a published one: a difference counts when larger than both
    `threshold` points and z standard errors (from the test-set sizes, when given)."""
    if missing(ours):
        return Verdict(topic, "missing", _sentence(f"{name}: our run is not stored yet"))
    if missing(theirs):
        return Verdict(topic, "inconclusive", _sentence(f"{name}: {source} has no such number"))
    d = ours - theirs
    se = 100 * se_diff(ours / 100, n_ours, theirs / 100, n_theirs) if n_ours and n_theirs else \
        (100 * se_acc(ours / 100, n_ours) if n_ours else 0.0)
    bar = max(threshold, z * se)
    head = f"{name}: ours {pct(ours)} against {pct(theirs)} in {source} ({points(d)}"
    rule = f"{threshold:g} points" + (f" and {_noise(se, z)}" if se else "")
    if abs(d) > bar:
        return Verdict(topic, "differs", _also(_sentence(head + f", more than {rule})"), caveat))
    return Verdict(topic, "agrees", _also(_sentence(head + f", within {rule})"), caveat))


# ---------------------------------------------------------------- effects in noise
def effect(name: str, with_: float | None, without: float | None, n_test: int | None,
           factor: str, topic: str, published: float | None = None, source: str = "the paper",
           expect: str = "positive", z: float = Z, threshold: float = THRESHOLD,
           confound: str = "", caveat: str = "", seeds: tuple[float, int] | None = None) -> Verdict:
    """The effect of `factor` on test accuracy: with_ - without (both %, on n_test images).

    Says whether it exceeds z standard errors: of the test sets' sampling, or, where
    `seeds` = (standard error in points of the mean per-seed difference, number of seeds)
    is larger, of the spread between training seeds. With `published` (the same effect in `source`,
    points) the outcome is whether ours is consistent with it (within `threshold` points or
    the noise). Without it, the outcome is against `expect`: "positive" (an effect above the
    noise that raises accuracy) or "none" (within the noise)."""
    if expect not in ("positive", "none"):
        raise ValueError(f"expect must be 'positive' or 'none', got {expect!r}")
    if missing(with_) or missing(without):
        return Verdict(topic, "missing", _sentence(f"{name}: the runs for the effect of {factor} "
                                                   "are not all stored yet"))
    d = with_ - without
    se = 100 * se_diff(with_ / 100, n_test, without / 100, n_test)
    of = "the difference"
    if seeds is not None and seeds[0] > se:
        se, of = seeds[0], f"the difference, from the spread of its {seeds[1]} seeds"
    real = abs(d) > z * se
    head = (f"{name}: {factor} moves test accuracy by {points(d)} ({pct(without)} to {pct(with_)}), "
            + (f"{'above' if real else 'within'} the noise ({_noise(se, z, of)})"))
    if published is None:
        ok = (real and d > 0) if expect == "positive" else not real
        return Verdict(topic, "agrees" if ok else "differs", _also(_sentence(head), confound, caveat))
    consistent = abs(d - published) <= max(threshold, z * se)
    cmp = (f"; {source}: {points(published)}, "
           + ("consistent with ours" if consistent else
              f"{'larger' if abs(published) > abs(d) else 'smaller'} than ours by more than "
              f"{threshold:g} points and the noise"))
    return Verdict(topic, "agrees" if consistent else "differs", _also(_sentence(head + cmp), confound, caveat))


def above_baseline(baseline: str, base_acc: float | None,
                   accs: Mapping[str, tuple[float | None, int | None]], topic: str,
                   z: float = Z) -> Verdict:
    """Several networks' test accuracy (%) against one baseline's (`baseline`, e.g. "the
    linear classifier"), in one sentence: accs {printed name: (accuracy, test images)}, each
    judged as `effect` judges a positive effect (above z standard errors of the difference).
    agrees when every one is above it beyond the noise; missing when none is stored."""
    stored = {k: v for k, v in accs.items() if not missing(v[0])}
    if missing(base_acc) or not stored:
        return Verdict(topic, "missing", _sentence(f"Against {baseline}: the runs are not stored yet"))
    ses = {k: 100 * se_diff(acc / 100, n, base_acc / 100, n) for k, (acc, n) in stored.items()}
    real = {k: acc - base_acc > z * ses[k] for k, (acc, _) in stored.items()}
    every = all(real.values())
    items = listing(f"{k} {pct(acc)} ({points(acc - base_acc)}"
                    + ("" if every else ", above the noise" if real[k] else ", within the noise or below")
                    + ")" for k, (acc, _) in stored.items())
    text = _sentence(f"Test accuracy {items}, against {pct(base_acc)} for {baseline}"
                     + (": each above it beyond the noise" if every else "")
                     + f" ({z:g} standard errors of the difference = "
                     f"{_noise_range(z * v for v in ses.values())} points)")
    absent = [k for k in accs if k not in stored]
    if absent:
        text = _also(text, f"({listing(absent)}: not stored yet.)")
    return Verdict(topic, "agrees" if every else "differs", text)


def _vs_chance(acc: float, n_test: int | None, num_classes: int, expected: str,
               z: float) -> tuple[float, float, str, bool]:
    """(chance %, z standard errors of an accuracy at chance in points, where `acc` stands:
    "at chance" / "above chance by 2.20 points", whether that is `expected`)."""
    c = 100.0 / num_classes
    se = 100 * se_acc(c / 100, n_test)
    d = acc - c
    at = abs(d) <= z * se
    where = ("at chance" if at else f"{'above' if d > 0 else 'below'} chance by {abs(d):.2f} points")
    return c, z * se, where, (at if expected == "at" else (not at and d > 0))


def _noise_range(bars) -> str:
    """Noise bars (points) as one number or a range: '0.60' or '0.60 to 1.34'."""
    return _span(list(bars), lambda b: f"{b:.2f}")


def chance(name: str, acc: float | None, n_test: int | None, num_classes: int, topic: str,
           expected: str = "at", z: float = Z, caveat: str = "") -> Verdict:
    """Is a test accuracy (%) at chance (100/num_classes), within z standard errors?

    expected: "at" (random labels: the paper's networks test at chance) or "above" (true
    labels: they generalize)."""
    if missing(acc):
        return Verdict(topic, "missing", _sentence(f"{name}: the run is not stored yet"))
    c, bar, where, ok = _vs_chance(acc, n_test, num_classes, expected, z)
    text = _also(_sentence(f"{name}: test accuracy {pct(acc)} against {pct(c)} for guessing among "
                           f"{num_classes} classes, {where} ({z:g} standard errors of an accuracy "
                           f"at chance = {bar:.2f} points)"), caveat)
    return Verdict(topic, "agrees" if ok else "differs", text)


def chances(lead: str, accs: Mapping[str, tuple[float | None, int | None]], num_classes: int,
            topic: str, expected: str = "at", z: float = Z) -> Verdict:
    """Several test accuracies (%) against chance in one sentence, each judged as `chance`
    judges it: accs {printed name: (accuracy, test images)}, said after `lead` ("On random
    labels"). One verdict where several `chance` sentences would repeat the same chance level
    and noise; the outcome is the weakest (any miss: differs), missing when none is stored."""
    stored = {k: v for k, v in accs.items() if not missing(v[0])}
    if not stored:
        return Verdict(topic, "missing", _sentence(f"{lead}: none of these runs is stored yet"))
    judged = {k: _vs_chance(acc, n, num_classes, expected, z) for k, (acc, n) in stored.items()}
    c = 100.0 / num_classes
    sides = {where.split(" by ")[0] for _, _, where, _ in judged.values()}
    if len(sides) == 1 and len(stored) > 1:  # all on one side: one clause for all
        side = next(iter(sides))
        gaps = sorted(abs(acc - c) for acc, _ in stored.values())
        status = "each at chance" if side == "at chance" else \
            f"each {side} by {gaps[0]:.2f} to {gaps[-1]:.2f} points"
        head = f"{lead}, test accuracy {listing(f'{k} {pct(acc)}' for k, (acc, _) in stored.items())}: {status}"
    else:
        head = f"{lead}, test accuracy " + listing(f"{k} {pct(acc)} ({judged[k][2]})"
                                                   for k, (acc, _) in stored.items())
    text = _sentence(f"{head}, against {pct(c)} for guessing among {num_classes} classes "
                     f"({z:g} standard errors of an accuracy at chance = "
                     f"{_noise_range(j[1] for j in judged.values())} points)")
    absent = [k for k in accs if k not in stored]
    if absent:
        text = _also(text, f"({listing(absent)}: not stored yet.)")
    return Verdict(topic, "agrees" if all(j[3] for j in judged.values()) else "differs", text)


def monotone(name: str, xs: Sequence[float], ys: Sequence[float | None], what: str, topic: str,
             x_name: str = "p", tolerance: float = 0.0, fmt=pct, caveat: str = "") -> Verdict:
    """Does `what` rise with x at every step (a fall of at most `tolerance` allowed)?"""
    pts = [(x, y) for x, y in zip(xs, ys) if not missing(y)]
    if len(pts) < 2:
        return Verdict(topic, "missing", _sentence(f"{name}: too few runs stored to see how {what} "
                                                   f"changes with {x_name}"))
    pts.sort()
    span = f"{fmt(pts[0][1])} at {x_name} = {pts[0][0]:g} to {fmt(pts[-1][1])} at {x_name} = {pts[-1][0]:g}"
    falls = [(a, b) for a, b in zip(pts, pts[1:]) if b[1] < a[1] - tolerance]
    gaps = len(xs) - len(pts)
    extra = f"({gaps} level(s) not stored yet)" if gaps else ""
    if not falls and pts[-1][1] - pts[0][1] <= tolerance:
        return Verdict(topic, "differs", _also(_sentence(
            f"{name}: {what} does not rise with {x_name}: it goes from {span}"
            + (f", within {fmt(tolerance)} of where it started" if tolerance else ""), extra), caveat))
    if not falls:
        return Verdict(topic, "agrees", _also(_sentence(f"{name}: {what} rises with {x_name} at "
                                                        f"every step, from {span}", extra), caveat))
    (xa, ya), (xb, yb) = falls[0]
    return Verdict(topic, "differs", _also(_sentence(
        f"{name}: {what} goes from {span} but does not rise at every step: it falls from "
        f"{fmt(ya)} at {x_name} = {xa:g} to {fmt(yb)} at {x_name} = {xb:g}", extra), caveat))


# ----------------------------------------------------------------- early stopping
def early_stopping(name: str, gain: float | None, n_test: int | None, best: float | None,
                   fitted_train: bool, epochs: int, topic: str, z: float = Z) -> Verdict:
    """Would stopping at the best test epoch have gained more than the noise (points)?

    The best epoch is picked on the same test curve that measures its gain, so the gain is
    biased upwards: with no real benefit, the best of `epochs` noisy epochs still beats the
    last. The gain therefore faces two thresholds: the noise of one comparison (z standard
    errors) and that of picking the best of `epochs` (Bonferroni: the one-sided tail of z,
    divided by `epochs`; conservative where epochs are correlated, as they are). Above both:
    a benefit; below the first: none; between them: undecided. The report found no benefit
    (on CIFAR-100), the paper a benefit (on ImageNet); the outcome is against the report. A
    variant that never fitted its training set stops before memorization, so its gain says
    nothing about early stopping against memorization."""
    if missing(gain) or missing(best):
        return Verdict(topic, "missing", _sentence(f"{name}: the run is not stored yet"))
    se = 100 * se_diff(best / 100, n_test, (best - gain) / 100, n_test)
    tail = 1 - NormalDist().cdf(z)
    z_best = NormalDist().inv_cdf(1 - tail / max(1, epochs))
    one, picked = gain > z * se, gain > z_best * se
    first, second = (("more than both", "and") if picked else ("within both", "and") if not one
                     else ("more than", "but within"))
    head = (f"{name}: stopping at the best test epoch would have gained {gain:.2f} points, "
            f"{first} the noise of one comparison ({_noise(se, z)}) {second} that of picking "
            f"the best of {epochs} epochs on the same test images ({z_best:.2f} standard errors "
            f"= {z_best * se:.2f} points)")
    if not fitted_train:
        return Verdict(topic, "inconclusive", _sentence(
            head, f"; but this variant never fitted its training set in {epochs} epochs, so the "
            "gain cannot be credited to stopping before memorization"))
    if picked:
        return Verdict(topic, "differs", _sentence(head, "; a benefit, as the paper found on "
                                                   "ImageNet and unlike the report on CIFAR-100"))
    if one:
        return Verdict(topic, "inconclusive", _sentence(
            head, "; picking the best epoch by chance could explain it, so whether stopping early "
            "helps is undecided"))
    return Verdict(topic, "agrees", _sentence(head, "; no benefit beyond noise, as the report "
                                              "found on CIFAR-100"))


# --------------------------------------------------------------- the linear model
def linear_baseline(n: int, linear_train: float | None, networks: Mapping[str, float | None],
                    n_small: int, linear_small: float | None, topic: str,
                    fit_level: float = 99.0) -> Verdict:
    """Does fitting random labels at n need a network? linear_train / linear_small: training
    accuracy (%) of the linear least-squares classifier on random labels at n and n_small;
    networks: {printed name: training accuracy (%) on random labels at n} (stored runs)."""
    if missing(linear_train):
        return Verdict(topic, "missing", _sentence("The linear baseline was not computed"))
    small = (f"At {count(n_small)} images it fits {pct(linear_small)} of them: with fewer "
             "images than pixel dimensions, any labelling is linearly separable"
             if not missing(linear_small) else "")
    nets = {k: v for k, v in networks.items() if not missing(v)}
    listed = listing(f"{k} {pct(v)}" for k, v in nets.items())
    if linear_train >= fit_level:
        return Verdict(topic, "differs", _also(_sentence(
            f"At {count(n)} training images the linear classifier itself fits {pct(linear_train)} "
            "of the random labels, so networks fitting them shows nothing a linear model cannot do "
            "at this size"), small if n_small != n else ""))
    if not nets:
        return Verdict(topic, "inconclusive", _also(_sentence(
            f"At {count(n)} training images the linear classifier fits only {pct(linear_train)} of "
            "the random labels; no network's random-label run is stored yet to set beside it"), small))
    fit = [k for k, v in nets.items() if v >= fit_level]
    tail = (": fitting them takes the networks' capacity" if len(fit) == len(nets) else
            f"; {len(nets) - len(fit)} of the {len(nets)} networks did not fit them either")
    text = _also(_sentence(f"At {count(n)} training images the linear classifier fits only "
                           f"{pct(linear_train)} of the random labels, the networks {listed}" + tail),
                 small)
    return Verdict(topic, "agrees" if len(fit) == len(nets) else "differs", text)
