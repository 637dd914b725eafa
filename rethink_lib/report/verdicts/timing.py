"""Verdicts on times: time-to-fit ratios (Fig. 1b), who reached an event first (Fig. 2),
steadier and levelled curves."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from .core import CLOSE, FACTOR_BOUND, RATIO_TOLERANCE, Verdict, _also, _sentence
from ..names import count, listing, missing, times
from ..stats import stat


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
                   bound: float = FACTOR_BOUND, tolerance: float = CLOSE, unit: str = "steps",
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
    ours = (f"(The bound of {times(bound)} is ours: the paper calls the factor \"small\" "
            "and gives no number.)")
    if bounded and grows:
        verdict = (f"; it grows with p and stays within {times(bound)}, as the paper's "
                   "\"small constant factor\"")
        corrupted = [(p, s.mean) for p, s in pts if p > 0]
        lo, hi = min(m for _, m in corrupted), max(m for _, m in corrupted)
        if len(corrupted) > 2 and hi <= tolerance * lo:
            verdict = (f"; it is higher at every corrupted level than on true labels and stays "
                       f"within {times(bound)}, as the paper's \"small constant factor\", but "
                       f"it does not grow beyond the first corrupted level: from "
                       f"p = {corrupted[0][0]:g} on it stays between {times(lo)} and "
                       f"{times(hi)}, flat within a factor {tolerance:g}")
        else:
            verdict += _level_with_true(pts, tolerance)
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
                                         within if not falls else "", never, ours, caveat))


def _level_with_true(pts, tolerance: float) -> str:
    """For a factor that grows: the corrupted levels at which it is still within `tolerance`
    of 1x (corrupted labels took about as long as true labels), so that "grows" is not read
    as growing from the first corrupted level on; '' where there are none."""
    flat = [(p, s.mean) for p, s in pts if p > 0 and s.mean <= tolerance]
    if not flat:
        return ""
    rest = [p for p, s in pts if p > flat[-1][0]]
    at = listing(f"p = {p:g} ({times(m)})" for p, m in flat)
    if not rest:
        return (f", though barely: at {at} corrupted labels took about as long as true labels "
                f"(within a factor {tolerance:g}), so no level shows the growth clearly")
    return (f", though not at every corrupted level: at {at} corrupted labels took about as "
            f"long as true labels (within a factor {tolerance:g}), so the growth rests on "
            f"p = {listing(f'{p:g}' for p in rest)}")


# ------------------------------------------------------------ who got there first
def earlier(name: str, step_a: float | None, step_b: float | None, a: str, b: str, event: str,
            topic: str, expected: str | None = "a", source: str = "the report",
            unit: str = "step", confound: str = "", caveat: str = "",
            tolerance: float = CLOSE) -> Verdict:
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
