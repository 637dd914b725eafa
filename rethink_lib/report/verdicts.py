"""Verdicts: every sentence of the book that says how a result came out, computed from numbers.

Each function takes plain numbers (accuracies in percent, steps, ratios), decides the
outcome, and returns a `Verdict` whose text states the numbers it decided on. Chapters glue
`verdict.text`; the conclusion groups verdicts by `outcome`:

    agrees        the result is what the paper (or the report, where named) found
    differs       it is not: the sentence says how, with both numbers
    inconclusive  the runs cannot decide it (a run did not fit, a metric was not reached)
    missing       the runs are not in the results store yet

Noise: an accuracy measured on n test images has standard error sqrt(p(1-p)/n); a
difference combines both (`stats.se_diff`). An effect counts as real only beyond Z standard
errors; a difference from a published number only beyond both THRESHOLD points and that.
Every comparison says when it is not like-for-like (`caveat`), and comparisons of two runs
name what else differs between them (`confounds`).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .names import count, listing, missing, pct, points, times
from .stats import se_acc, se_diff, stat

OUTCOMES = ("agrees", "differs", "inconclusive", "missing")
# What a verdict is, for the conclusion's counts (issue 25): a *finding* tests a claim of the
# paper or the report and can come out either way; *context* compares with numbers measured
# on other data or at another scale, or cannot come out "differs"; a *check* is a sanity check
# of our own set-up (chance level, the linear baseline, the learning-rate floor).
KINDS = ("finding", "context", "check")
FACTOR_BOUND = 5.0  # Fig. 1b: "a small constant factor" read as at most this many times
Z = 2.0            # standard errors an effect must exceed to count as real
THRESHOLD = 2.0    # percentage points: smaller differences from a published number are not reported
RATIO_TOLERANCE = 1.25  # a time-to-fit ratio within this factor of the reference's is "about the same"


@dataclass(frozen=True)
class Verdict:
    topic: str     # what is judged, for the conclusion: "Fig. 1a: order of the times to fit"
    outcome: str   # one of OUTCOMES
    text: str      # the sentence, Markdown
    parts: tuple = ()  # the verdicts a `combine`d one was made of
    kind: str = "finding"  # one of KINDS

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.text


def _sentence(*parts: str) -> str:
    """Join clauses into one sentence (drops empty ones), capitalised, ending in a full stop."""
    text = ""
    for p in (p.strip() for p in parts if p and p.strip()):
        text += p if not text or p[0] in ";,:" else " " + p
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ".)")) else text + "."


def _also(text: str, *extra: str) -> str:
    """A sentence followed by further sentences (caveats, confounds), each made whole."""
    return " ".join([text] + [_sentence(e) for e in extra if e and e.strip()])


def _noise(se_points: float, z: float = Z, of: str = "the difference") -> str:
    return f"{z:g} standard errors of {of} = {se_points * z:.2f} points"


# ----------------------------------------------------------------------- orderings
def ordering(ours: Mapping[str, float | None], reference: Mapping[str, float], names: Mapping[str, str],
             metric: str, reference_name: str, topic: str, caveat: str = "") -> Verdict:
    """Does the order of `ours` (small first; None = never reached, last) match `reference`?

    Keys of `reference` absent from `ours` are runs not stored yet. An ordering differs when
    some pair is strictly inverted; ties and pairs that both never reached are no evidence."""
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
    unreached = [k for k in keys if val[k] == inf]
    head = f"Ordered by {metric}, ours run {shown}; {reference_name} runs {ref}"
    extra = f"(not stored yet: {listing(absent)})" if absent else ""
    if unreached and len(unreached) == len(keys):
        return Verdict(topic, "inconclusive", _also(_sentence(
            f"No run reached {metric}, so there is no order to compare with {reference_name}", extra),
            caveat))
    if not inverted:
        tail = ": the same order"
        if unreached:
            tail += f" as far as it can be read ({listing(names.get(k, k) for k in unreached)} never reached it)"
        if tied:
            tail += f"; {'; '.join(tied)} tie, and a tie is evidence for neither order"
        return Verdict(topic, "agrees", _also(_sentence(head + tail, extra), caveat))
    a, b = inverted[0]
    return Verdict(topic, "differs", _also(_sentence(
        head + f": a different order ({len(inverted)} of {len(keys) * (len(keys) - 1) // 2} pairs "
        f"reversed; e.g. {names.get(a, a)} took longer than {names.get(b, b)} here, the reverse of "
        f"the reference)", extra), caveat))


# --------------------------------------------------------------------------- ratios
def ratio(name: str, base: Sequence[float | None], other: Sequence[float | None],
          reference: float, what: str, reference_name: str, topic: str,
          tolerance: float = RATIO_TOLERANCE, runs: tuple[str, str] = ("base", "other"),
          caveat: str = "") -> Verdict:
    """Time-to-fit ratio other/base (per seed, paired) against a reference ratio.

    base, other: the metric per seed (None = not reached); runs: how to call the two runs
    ("true-label", "random-label"). "About the same" means within a factor `tolerance`."""
    if not base or not other:
        return Verdict(topic, "missing", _sentence(f"{name}: the runs for {what} are not stored yet"))
    pairs = [(b, o) for b, o in zip(base, other) if not missing(b) and not missing(o) and b > 0]
    lost = [f"the {r} run" for i, r in enumerate(runs)
            if any(missing((b, o)[i]) for b, o in zip(base, other))]
    if not pairs:
        return Verdict(topic, "inconclusive", _also(_sentence(
            f"{name}: {what} cannot be measured, because {listing(lost)} did not reach the "
            f"target (the reference: {times(reference)}, {reference_name})"), caveat))
    s = stat(o / b for b, o in pairs)
    spread = f" (mean of {s.n} seeds, {times(s.lo)} to {times(s.hi)})" if s.n > 1 else ""
    head = f"{name}: {what} is {times(s.mean)}{spread}, against {times(reference)} in {reference_name}"
    unpaired = (f"{len(base) - len(pairs)} of {len(base)} seeds are left out: in each, "
                f"{listing(lost, 'or')} did not reach the target") if lost else ""
    if reference / tolerance <= s.mean <= reference * tolerance:
        return Verdict(topic, "agrees", _also(_sentence(
            head + f": about the same factor (within {tolerance:g}x of it)"), unpaired, caveat))
    side = "smaller" if s.mean < reference else "larger"
    return Verdict(topic, "differs", _also(_sentence(
        head + f": a {side} factor (more than {tolerance:g}x off)"), unpaired, caveat))


def bounded_growth(name: str, factors: Mapping[float, Sequence[float | None]], topic: str,
                   bound: float = FACTOR_BOUND, tolerance: float = 1.1, unit: str = "steps",
                   caveat: str = "", noise: tuple[float, str] | None = None) -> Verdict:
    """Fig. 1b's claim: the time to fit corrupted labels over the time to fit true labels is
    a small constant factor (at most `bound`) that grows with the corruption level.

    factors: {level p > 0: the factor per seed (None: a run never fitted, by the criterion the
    caller used)}. "Grows" allows a fall by at most a factor `tolerance` between neighbouring
    levels (single runs are noisy) but needs the highest level above the lowest. noise:
    (factor, where it was measured): how far repeated runs of one config spread in this
    factor; a fall larger than `tolerance` but within it is named, not counted against the
    claim."""
    pts = sorted((p, stat(f for f in fs if not missing(f))) for p, fs in factors.items()
                 if any(not missing(f) for f in fs))
    lost = sorted(p for p, fs in factors.items() if any(missing(f) for f in fs))
    never = (f"at p = {listing(f'{p:g}' for p in lost)} a run did not fit, so its factor is "
             "unknown") if lost else ""
    if len(pts) < 2:
        outcome = "inconclusive" if lost else "missing"
        return Verdict(topic, outcome, _also(_sentence(
            f"{name}: too few levels have both runs fitted to see how the factor grows", never),
            caveat))
    def seeds(s):
        return f" ({s.n} seeds, {times(s.lo)} to {times(s.hi)})" if s.n > 1 and s.lo != s.hi else ""
    shown = ", ".join(f"{times(s.mean)}{seeds(s)} at p = {p:g}" for p, s in pts)
    worst = max(pts, key=lambda ps: ps[1].mean)
    allowed = max(tolerance, noise[0]) if noise else tolerance
    falls = [(a, b) for a, b in zip(pts, pts[1:]) if b[1].mean * allowed < a[1].mean]
    noisy = [(a, b) for a, b in zip(pts, pts[1:])
             if b[1].mean * tolerance < a[1].mean <= b[1].mean * allowed]
    within = ""
    if noisy and noise:
        (pa, sa), (pb, sb) = noisy[0]
        within = (f"(It falls from {times(sa.mean)} at p = {pa:g} to {times(sb.mean)} at "
                  f"p = {pb:g}, by a factor {sa.mean / sb.mean:.2f}: within the factor "
                  f"{noise[0]:.2f} by which repeated runs of one config spread ({noise[1]}), "
                  "so it is not counted against the claim.)")
    grows = not falls and pts[-1][1].mean > pts[0][1].mean
    bounded = worst[1].mean <= bound
    head = f"{name}: the factor ({unit}, against true labels) is {shown}"
    if bounded and grows:
        verdict = (f"; it grows with p and stays within {times(bound)}, as the paper's "
                   "\"small constant factor\"")
        corrupted = [(p, s.mean) for p, s in pts if p > 0]
        lo, hi = min(m for _, m in corrupted), max(m for _, m in corrupted)
        if len(corrupted) > 2 and hi <= tolerance * lo:
            verdict += (f", but only from true labels to the first corrupted level: from "
                        f"p = {corrupted[0][0]:g} on it stays between {times(lo)} and "
                        f"{times(hi)}, flat within a factor {tolerance:g}")
        outcome = "agrees"
    else:
        why = []
        if not bounded:
            why.append(f"it reaches {times(worst[1].mean)} at p = {worst[0]:g}, above "
                       f"{times(bound)}")
        if falls:
            (pa, sa), (pb, sb) = falls[0]
            why.append(f"it falls from {times(sa.mean)} at p = {pa:g} to {times(sb.mean)} at "
                       f"p = {pb:g}")
        elif not grows:
            why.append("it does not grow from the lowest level to the highest")
        verdict = "; " + "; ".join(why)
        outcome = "differs"
    return Verdict(topic, outcome, _also(_sentence(head + verdict),
                                         within if not falls else "", never, caveat))


# ------------------------------------------------------------------------ schedule
LR_FLOOR = 0.05  # the rule: fit random labels before the lr falls below ~5% of its start


def lr_fit_phrase(name: str, point: tuple[int | None, float, int], target: str,
                  floor: float = LR_FLOOR) -> str:
    """One run's clause of lr_at_fit (no final period): point = (epoch it first reached
    `target` or None, lr then as a fraction of the start, or at its last epoch; last epoch)."""
    epoch, frac, last = point
    if epoch is None:
        return (f"{name} did not reach {target} in its {last} epochs (its lr at the end: "
                f"{100 * frac:.1f}% of its start)")
    return (f"{name} reached {target} at epoch {epoch}, with its lr at {100 * frac:.1f}% of "
            f"its start ({'below' if frac < floor else 'above'} {100 * floor:g}%)")


def lr_at_fit(runs: Mapping[str, tuple[int | None, float, int]], topic: str, target: str,
              floor: float = LR_FLOOR, caveat: str = "") -> Verdict:
    """Whether each run reached `target` (e.g. "a training loss of at most 0.01") while its
    learning rate was still at least `floor` of its start (else the schedule, not the labels,
    may decide its time to fit). runs: {name: (epoch it first reached the target or None, lr
    then as a fraction of the start, or at its last epoch when never reached; last epoch)}."""
    if not runs:
        return Verdict(topic, "missing", _sentence("The random-label runs are not stored yet"))
    ok = all(epoch is not None and frac >= floor for epoch, frac, _ in runs.values())
    text = _sentence("; ".join(lr_fit_phrase(n, pt, target, floor) for n, pt in runs.items()))
    return Verdict(topic, "agrees" if ok else "differs", _also(text, caveat))


# ------------------------------------------------------------------------ fitting
def _seeds_pooled(short: Mapping[str, tuple], where, accuracy: str) -> dict[str, str]:
    """{printed name: how far it got} with the seeds of one config pooled: 'MLP 1x512, weight
    decay (seed 0)' and '(seed 1)' become 'MLP 1x512, weight decay (2 seeds)' with the range
    of their accuracies (and losses)."""
    groups: dict[str, list[tuple[str, tuple]]] = {}
    for name, v in short.items():
        groups.setdefault(re.sub(r" \(seed \d+\)$", "", name), []).append((name, v))
    out = {}
    for base, members in groups.items():
        if len(members) == 1:
            name, v = members[0]
            out[name] = where(v)
            continue
        def span(values, fmt):
            lo, hi = fmt(min(values)), fmt(max(values))
            return lo if lo == hi else f"{lo} to {hi}"
        accs = [v[1] for _, v in members]
        losses = [v[2] for _, v in members if len(v) > 2 and v[2] is not None]
        text = f"{span(accs, pct)} {accuracy}"
        if len(losses) == len(members):
            text += f", loss {span(losses, lambda x: f'{x:.3f}')}"
        out[f"{base} ({len(members)} seeds)"] = text
    return out


def pace_note(runs: Mapping[str, tuple[float | None, float]], window: int,
              tolerance: float = 0.05) -> str:
    """Where runs that missed 100% training accuracy stood at their end, so a reader can tell a
    cap that cut a climb short from a plateau. runs: {printed name: (rise, left)}: rise, the
    points their running training accuracy's mean over the last `window` epochs lies above
    the `window` before (None: too short; tables.late_rise), left, the points short of 100%.
    A rise below `tolerance` points counts as levelled off; seeds of one config are pooled."""
    known = {k: v for k, v in runs.items() if v[0] is not None}
    if not known:
        return ""
    def span(values, fmt):
        lo, hi = fmt(min(values)), fmt(max(values))
        return lo if lo == hi else f"{lo} to {hi}"
    def pts(x: float) -> str:  # 0.002 stays 0.002, not 0.00
        return f"{x:.2f}" if abs(x) >= 0.01 or x == 0 else f"{x:.1g}"
    groups: dict[str, list[tuple[float, float]]] = {}
    for name, v in known.items():
        groups.setdefault(re.sub(r" \(seed \d+\)$", "", name), []).append(v)
    parts = []
    for base, vals in groups.items():
        name = base if len(vals) == 1 else f"{base} ({len(vals)} seeds)"
        rises, lefts = [r for r, _ in vals], [left for _, left in vals]
        if max(rises) < tolerance:
            parts.append(f"{name} had levelled off, {span(lefts, pts)} points "
                         f"short (a rise of less than {tolerance:g} points)")
            continue
        more = [window * left / r for r, left in vals if r >= tolerance]
        parts.append(f"{name} was still rising by {span(rises, pts)} points, "
                     f"{span(lefts, pts)} short of 100%: at that pace, which a "
                     f"falling lr only slows, {span(more, lambda x: f'{x:,.0f}')} more epochs")
    return _sentence(f"At the end (the mean running training accuracy of the last {window} "
                     f"epochs against the {window} before), " + "; ".join(parts))


def fitted(runs: Mapping[str, tuple[bool, float | None]], target: str, topic: str,
           expected: bool = True, caveat: str = "",
           accuracy: str = "running training accuracy") -> Verdict:
    """Did every run reach its stopping target? runs: {printed name: (fitted, final train %)}
    or (fitted, final train %, final training loss): a run that missed only the loss target
    then says so. accuracy: what the train % measures (a run's last epoch's running accuracy,
    or its accuracy on the whole training set after training).

    expected: the paper's finding (True: they all fit)."""
    if not runs:
        return Verdict(topic, "missing", _sentence("None of these runs is stored yet"))
    def where(v) -> str:  # how far a run got: its accuracy, and its loss when known
        acc, loss = v[1], (v[2] if len(v) > 2 else None)
        return f"{pct(acc)} {accuracy}" + (f", loss {loss:.3f}" if loss is not None else "")

    short = _seeds_pooled({k: v for k, v in runs.items() if not v[0]}, where, accuracy)
    if len(runs) == 1:
        (name, v), = runs.items()
        ok = v[0]
        text = _also(_sentence(f"{name} reached {target}" if ok else
                               f"{name} did not reach {target}: {where(v)}"), caveat)
        return Verdict(topic, "agrees" if ok == expected else "differs", text)
    if not short:
        text = _also(_sentence(f"{'Both' if len(runs) == 2 else 'All ' + str(len(runs))} runs reached "
                               f"{target}"), caveat)
        return Verdict(topic, "agrees" if expected else "differs", text)
    missed = sum(not v[0] for v in runs.values())
    listed = listing(f"{k} ({w})" for k, w in short.items())
    if missed == len(runs):
        head = f"{'Neither' if len(runs) == 2 else 'None'} of the {len(runs)} runs reached {target}"
        text = _also(_sentence(head + f": {listed}"), caveat)
    else:
        text = _also(_sentence(f"{missed} of {len(runs)} runs did not reach {target}: {listed}"), caveat)
    return Verdict(topic, "differs" if expected else "agrees", text)


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
           confound: str = "", caveat: str = "") -> Verdict:
    """The effect of `factor` on test accuracy: with_ - without (both %, on n_test images).

    Says whether it exceeds z standard errors. With `published` (the same effect in `source`,
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
    real = abs(d) > z * se
    head = (f"{name}: {factor} moves test accuracy by {points(d)} ({pct(without)} to {pct(with_)}), "
            + (f"{'above' if real else 'within'} the noise ({_noise(se, z)})"))
    if published is None:
        ok = (real and d > 0) if expect == "positive" else not real
        return Verdict(topic, "agrees" if ok else "differs", _also(_sentence(head), confound, caveat))
    consistent = abs(d - published) <= max(threshold, z * se)
    cmp = (f"; {source}: {points(published)}, "
           + ("consistent with ours" if consistent else
              f"{'larger' if abs(published) > abs(d) else 'smaller'} than ours by more than "
              f"{threshold:g} points and the noise"))
    return Verdict(topic, "agrees" if consistent else "differs", _also(_sentence(head + cmp), confound, caveat))


def chance(name: str, acc: float | None, n_test: int | None, num_classes: int, topic: str,
           expected: str = "at", z: float = Z, caveat: str = "") -> Verdict:
    """Is a test accuracy (%) at chance (100/num_classes), within z standard errors?

    expected: "at" (random labels: the paper's networks test at chance) or "above" (true
    labels: they generalize)."""
    if missing(acc):
        return Verdict(topic, "missing", _sentence(f"{name}: the run is not stored yet"))
    c = 100.0 / num_classes
    se = 100 * se_acc(c / 100, n_test)
    d = acc - c
    at = abs(d) <= z * se
    where = ("at chance" if at else f"{'above' if d > 0 else 'below'} chance by {abs(d):.2f} points")
    text = _also(_sentence(f"{name}: test accuracy {pct(acc)} against {pct(c)} for guessing among "
                           f"{num_classes} classes, {where} ({_noise(se, z, 'an accuracy at chance')})"),
                 caveat)
    ok = at if expected == "at" else (not at and d > 0)
    return Verdict(topic, "agrees" if ok else "differs", text)


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


# ------------------------------------------------------------ who got there first
def earlier(name: str, step_a: float | None, step_b: float | None, a: str, b: str, event: str,
            topic: str, expected: str | None = "a", source: str = "the report",
            unit: str = "step", confound: str = "", caveat: str = "",
            tolerance: float = 1.1) -> Verdict:
    """Which of a, b reached `event` first (at `unit` "step" or "epoch" step_a / step_b; None
    = never)? expected: "a", "b" or None (no expectation: "agrees" whenever it can be read).
    Two runs that got there within a factor `tolerance` of each other count as about the same
    time: a difference that small between single runs is no evidence of either order."""
    def reach(who, s):
        return f"{who} never reached {event}" if missing(s) else f"{who} reached {event} at {unit} {count(s)}"
    head = f"{name}: {reach(a, step_a)}, {reach(b, step_b)}"
    if missing(step_a) and missing(step_b):
        return Verdict(topic, "inconclusive", _also(_sentence(
            head, "; neither got there, so this budget cannot say which is faster"), confound, caveat))
    close = not missing(step_a) and not missing(step_b) and \
        max(step_a, step_b) <= tolerance * min(step_a, step_b)
    if close:
        first = None
    elif missing(step_b) or (not missing(step_a) and step_a < step_b):
        first = "a"
    else:
        first = "b"
    tail = (f": {a if first == 'a' else b} first" if first else
            f": at the same {unit}" if step_a == step_b else
            f": about the same time (within {100 * (tolerance - 1):.0f}% of each other), "
            "too close for single runs to say which is faster")
    if expected is None:
        return Verdict(topic, "agrees", _also(_sentence(head + tail), confound, caveat))
    ok = first == expected
    tail += f", as {source} found" if ok else f", unlike in {source}"
    return Verdict(topic, "agrees" if ok else "differs", _also(_sentence(head + tail), confound, caveat))


def steadier(name: str, fl_a: float | None, fl_b: float | None, a: str, b: str, topic: str,
             expected: str = "a", source: str = "the report", tolerance: float = 1.2,
             confound: str = "", caveat: str = "") -> Verdict:
    """Which test curve moved less from epoch to epoch (mean absolute change, points)?
    Within a factor `tolerance` of each other counts as equally steady."""
    if missing(fl_a) or missing(fl_b):
        return Verdict(topic, "missing", _sentence(f"{name}: the curves are not all stored yet"))
    head = (f"{name}: the test accuracy moved by {fl_a:.2f} points per epoch on average {a} "
            f"and by {fl_b:.2f} {b}")
    lo, hi = sorted([fl_a, fl_b])
    if hi <= lo * tolerance:
        first, tail = None, f": about equally steady (within a factor {tolerance:g})"
    else:
        first = "a" if fl_a < fl_b else "b"
        tail = f": steadier {a if first == 'a' else b}"
    ok = first == expected
    tail += f", as {source} found" if ok else f", unlike in {source}"
    return Verdict(topic, "agrees" if ok else "differs", _also(_sentence(head + tail), confound, caveat))


def levelled(rises: Mapping[str, float | None], window: int, what: str, topic: str,
             tolerance: float = 1.0) -> Verdict:
    """Did each curve level off by its end? rises: {printed name: the mean of `what` (%) over
    its last `window` epochs minus its mean over the `window` epochs before them (points),
    None where the curve is shorter than 2 * window}. A rise below `tolerance` points counts
    as levelled off."""
    known = {k: v for k, v in rises.items() if not missing(v)}
    if not known:
        return Verdict(topic, "missing", _sentence("No curve long enough is stored yet"))
    rising = {k: v for k, v in known.items() if v >= tolerance}
    listed = listing(f"{k} ({v:+.2f} points)" for k, v in known.items())
    rule = (f"the mean {what} of the last {window} epochs against the {window} before them; "
            f"less than {tolerance:g} point counts as level")
    if not rising:
        return Verdict(topic, "agrees", _sentence(
            f"{'The curve' if len(known) == 1 else 'Every curve'} levelled off by its end: {listed} "
            f"({rule})"))
    if len(known) == 1:
        return Verdict(topic, "differs", _sentence(
            f"The curve did not level off by its end: {listed} ({rule}), so {listing(rising)} was "
            "still rising and a longer curve could still change what it shows"))
    level = {k: v for k, v in known.items() if k not in rising}
    def rises_of(curves):
        return listing(f"{k} ({v:+.2f} points)" for k, v in curves.items())
    return Verdict(topic, "differs", _sentence(
        f"Not every curve levelled off by its end: {rises_of(rising)} "
        f"{'was' if len(rising) == 1 else 'were'} still rising, so a longer curve could still "
        "change what it shows"
        + (f"; {rises_of(level)} levelled off" if level else "") + f" ({rule})"))


# ----------------------------------------------------------------- early stopping
def early_stopping(name: str, gain: float | None, n_test: int | None, best: float | None,
                   fitted_train: bool, epochs: int, topic: str, z: float = Z) -> Verdict:
    """Would stopping at the best test epoch have gained more than the noise (points)?

    The report found no benefit (on CIFAR-100); the paper a benefit (on ImageNet). The
    outcome is against the report. A variant that never fitted its training set stops before
    memorization, so its gain says nothing about early stopping against memorization."""
    if missing(gain) or missing(best):
        return Verdict(topic, "missing", _sentence(f"{name}: the run is not stored yet"))
    se = 100 * se_diff(best / 100, n_test, (best - gain) / 100, n_test)
    real = gain > z * se
    head = (f"{name}: stopping at the best test epoch would have gained {gain:.2f} points "
            f"({'more than' if real else 'within'} {_noise(se, z)}; the best of many noisy epochs "
            "is biased upwards)")
    if not fitted_train:
        return Verdict(topic, "inconclusive", _sentence(
            head, f"; but this variant never fitted its training set in {epochs} epochs, so the "
            "gain cannot be credited to stopping before memorization"))
    if real:
        return Verdict(topic, "differs", _sentence(head, "; a benefit, as the paper found on "
                                                   "ImageNet and unlike the report on CIFAR-100"))
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


# ---------------------------------------------------------------------- combining
def combine(topic: str, verdicts: Sequence[Verdict], lead: str = "") -> Verdict:
    """Several verdicts on one question as one: their sentences in order (after `lead`), and
    the weakest outcome (differs > inconclusive > missing > agrees; all missing = missing)."""
    verdicts = list(verdicts)
    if not verdicts:
        return Verdict(topic, "missing", _sentence(lead, "none of these runs is stored yet"))
    outcomes = {v.outcome for v in verdicts}
    for outcome in ("differs", "inconclusive", "missing"):
        if outcome in outcomes:
            break
    else:
        outcome = "agrees"
    if outcomes == {"missing"}:
        outcome = "missing"
    texts, seen = [], set()
    for v in verdicts:  # a parenthetical caveat is said once, where it first applies
        text = v.text
        for note in _PARENTHETICAL.findall(text):
            if note in seen:
                text = text.replace(" " + note, "")
            seen.add(note)
        texts.append(text)
    return Verdict(topic, outcome, " ".join(([_sentence(lead)] if lead else []) + texts),
                   tuple(verdicts))


_PARENTHETICAL = re.compile(r"\((?:[^()]|\([^()]*\))*\.\)")  # "(A whole sentence.)"


# ---------------------------------------------------------------------- confounds
# RunConfig fields (or properties) compared by `confounds`, with their printed names.
CONFOUND_FIELDS = {"model": "model", "dataset": "data set", "n_train": "training images",
                   "lr0": "learning rate", "decay": "learning-rate decay per epoch",
                   "warmup_epochs": "warm-up epochs", "max_epochs": "epoch cap",
                   "batch_size": "batch size", "weight_decay": "weight decay",
                   "augment": "augmentation", "dropout": "dropout", "bn": "BatchNorm",
                   "precision": "precision", "seed": "seed"}


def run_precision(run) -> str | None:
    """The precision a stored run recorded (its config's "auto" resolved on its machine),
    None for a RunConfig or a run that recorded none."""
    return getattr(run, "summary", {}).get("precision")


def _field(run, name):
    """A field of a RunConfig, or of a stored run (its config; the precision it recorded,
    since a config's "auto" resolves per machine)."""
    config = getattr(run, "config", run)
    if name == "bn":
        from ..models import model_spec
        return model_spec(config.model).uses_batchnorm(config.batchnorm)
    if name == "precision":
        return run_precision(run) or config.precision
    return getattr(config, name)


def mixed_precision(precisions: Mapping[str, str | None]) -> str:
    """'' when the compared runs ({label: recorded precision}) share one precision, else a
    sentence naming which runs used which (a confound of any comparison among them)."""
    groups: dict[str, list[str]] = {}
    for label, p in precisions.items():
        groups.setdefault(p or "unrecorded", []).append(label)
    if len(groups) <= 1:
        return ""
    return _sentence("Confounded: these runs differ in precision ("
                     + "; ".join(f"{p} for {listing(labels)}" for p, labels in sorted(groups.items()))
                     + ")")


def confounds(a, b, studied: Sequence[str], names: tuple[str, str] = ("the first", "the second"),
              fitted_ab: tuple[bool, bool] | None = None, missed: str | None = None) -> str:
    """What else differs between two runs (RunConfigs, or stored runs: then the precision
    each recorded) compared for the factor(s) `studied` (keys of CONFOUND_FIELDS): '' when
    nothing, else a sentence naming each difference with both values, and which run did not
    fit its training set (fitted_ab False), or, with `missed` (e.g. "the stopping target"),
    which run did not reach that, so the two did not stop by the same rule."""
    diffs = []
    for key, label in CONFOUND_FIELDS.items():
        if key in studied:
            continue
        va, vb = _field(a, key), _field(b, key)
        if va != vb:
            diffs.append(f"{label} ({va:g} against {vb:g})" if isinstance(va, float) and
                         isinstance(vb, float) else f"{label} ({va} against {vb})")
    unfit = [n for n, ok in zip(names, fitted_ab or (True, True)) if not ok]
    parts = []
    if diffs:
        parts.append(f"besides {listing(CONFOUND_FIELDS.get(s, s) for s in studied)}, {names[0]} "
                     f"and {names[1]} also differ in {listing(diffs)}")
    if unfit and missed:
        parts.append(f"{listing(unfit)} did not reach {missed}, so the two did not stop by the "
                     f"same rule")
    elif unfit:
        parts.append(f"{listing(unfit)} did not fit {'its' if len(unfit) == 1 else 'their'} "
                     f"training set{'s' if len(unfit) > 1 else ''}")
    return _sentence("Confounded: " + "; ".join(parts)) if parts else ""
