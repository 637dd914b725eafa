"""Verdicts on fitting the training set: whether runs fitted, where the lr stood when
they did, and how far a run that missed was from fitting."""
from __future__ import annotations

import re
from collections.abc import Mapping

from .core import Verdict, _also, _sentence, _span
from ..names import listing, pct

# ------------------------------------------------------------------------ schedule
LR_FLOOR = 0.05  # the rule: fit random labels before the lr falls below ~5% of its start
PUBLISHED_FIT_TOLERANCE = 0.5  # points: a row that missed 100% training accuracy but came
# within this of the training accuracy the paper published for it (or beat it) fitted as far
# as the paper's own network did (its Table 1 has 99.34% and 99.80% rows)


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
        accs = [v[1] for _, v in members]
        losses = [v[2] for _, v in members if len(v) > 2 and v[2] is not None]
        text = f"{_span(accs, pct)} {accuracy}"
        if len(losses) == len(members):
            text += f", loss {_span(losses, _loss)}"
        out[f"{base} ({len(members)} seeds)"] = text
    return out


def _loss(x: float) -> str:
    return f"{x:.3f}"


def also_missed(runs: Mapping[str, tuple], target: str,
                accuracy: str = "running training accuracy") -> str:
    """The sentence for runs that missed a second, stricter `target` when they are the very
    runs a first sentence already named as missing the first: their numbers without their
    names again. runs: {printed name: (fitted, final train %, final training loss or None)}
    of those runs; '' when none."""
    if not runs:
        return ""
    accs = [v[1] for v in runs.values()]
    losses = [v[2] for v in runs.values() if len(v) > 2 and v[2] is not None]
    same = "The same run also missed" if len(runs) == 1 else f"The same {len(runs)} runs also missed"
    loss = f", loss {_span(losses, _loss)}" if len(losses) == len(runs) else ""
    return _sentence(f"{same} {target}: {_span(accs, pct)} {accuracy}{loss}")


def pace_note(runs: Mapping[str, tuple[float | None, float]], window: int,
              tolerance: float = 0.05) -> str:
    """Where runs that missed 100% training accuracy stood at their end, so a reader can tell a
    cap that cut a climb short from a plateau. runs: {printed name: (rise, left)}: rise, the
    points their running training accuracy's mean over the last `window` epochs lies above
    the `window` before (None: too short; tables.late_rise), left, the points short of 100%
    on the whole training set after training.
    A rise below `tolerance` points counts as levelled off; seeds of one config are pooled."""
    known = {k: v for k, v in runs.items() if v[0] is not None}
    if not known:
        return ""
    def pts(x: float) -> str:  # 0.002 stays 0.002, not 0.00
        return f"{x:.2f}" if abs(x) >= 0.01 or x == 0 else f"{x:.1g}"
    groups: dict[str, list[tuple[float, float]]] = {}
    for name, v in known.items():
        groups.setdefault(re.sub(r" \(seed \d+\)$", "", name), []).append(v)
    parts, levelled = [], {}
    for base, vals in groups.items():
        name = base if len(vals) == 1 else f"{base} ({len(vals)} seeds)"
        rises, lefts = [r for r, _ in vals], [left for _, left in vals]
        if max(rises) < tolerance:
            levelled[name] = _span(lefts, pts)
            continue
        more = [window * left / r for r, left in vals if r >= tolerance]
        parts.append(f"{name} was still rising by {_span(rises, pts)} points, "
                     f"{_span(lefts, pts)} short of 100% on the whole training set: at that pace, which a "
                     f"falling lr only slows, {_span(more, lambda x: f'{x:,.0f}')} more epochs")
    if len(levelled) == 1:  # one row: its name, then its numbers
        (name, left), = levelled.items()
        parts.insert(0, f"{name} had levelled off, {left} points short of 100% on the whole "
                        f"training set (a rise of less than {tolerance:g} points)")
    elif levelled:  # several: the shared words once, then each row's gap
        parts.insert(0, f"each of these had levelled off (a rise of less than {tolerance:g} "
                        "points), short of 100% on the whole training set by: "
                        + "; ".join(f"{name}, {left} points" for name, left in levelled.items()))
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


def fitted_as_published(fit: Verdict, short: Mapping[str, tuple[float, float | None]],
                        source: str = "the paper", tolerance: float = PUBLISHED_FIT_TOLERANCE
                        ) -> Verdict:
    """A `fitted` verdict that came out "differs" because runs missed 100%, judged again
    against the training accuracy `source` published for the same rows. short: {row name:
    (our lowest training accuracy % over its seeds, the published one % or None)} for the
    rows that missed. Every row within `tolerance` points of its published number (or above
    it): the runs fitted as far as the published networks did, so the claim agrees; a row
    further short, or one `source` does not publish, leaves the outcome as it was. Either
    way the sentence says so, with both numbers."""
    if fit.outcome != "differs" or not short:
        return fit
    def pair(name, v):
        ours, theirs = v
        return f"{name}: {pct(ours)} against {pct(theirs)}" if theirs is not None else name
    unknown = [k for k, (_, theirs) in short.items() if theirs is None]
    far = {k: v for k, v in short.items() if v[1] is not None and v[0] < v[1] - tolerance}
    if unknown or far:
        why = (f"{listing(unknown)} {'has' if len(unknown) == 1 else 'have'} no published "
               f"number in {source}" if unknown else "")
        gap = (f"{'; '.join(pair(k, v) for k, v in far.items())}: more than {tolerance:g} "
               f"points short of the training accuracy {source} published" if far else "")
        return Verdict(fit.topic, "differs", _also(fit.text, "; ".join(t for t in (gap, why) if t)),
                       fit.parts, fit.kind, fit.pending)
    return Verdict(fit.topic, "agrees", _also(fit.text, (
        f"Each row that missed 100% came within {tolerance:g} points of the training accuracy "
        f"{source} published for it, or beat it ({'; '.join(pair(k, v) for k, v in short.items())})"
        f": within our tolerance of {tolerance:g} points of {source}'s own networks, which "
        f"also fell short of 100% in places, so this agrees with {source}")),
        fit.parts, fit.kind, fit.pending)


def cut_short(fit: Verdict, rises: Mapping[str, float | None], tolerance: float = 0.05) -> Verdict:
    """A `fitted` verdict that came out "differs" where every run that missed was still
    climbing when its epoch cap stopped it: undecided, not a failure, since the runs cannot
    say whether the network would have fitted. rises: {run name: the points its running
    training accuracy rose over its last epochs (`pace_note`'s rise), None when too short}
    for the runs that missed. A run that levelled off (a rise below `tolerance`), or one too
    short to tell, keeps the verdict as it was."""
    if fit.outcome != "differs" or not rises:
        return fit
    if any(r is None or r < tolerance for r in rises.values()):
        return fit
    return Verdict(fit.topic, "inconclusive", _also(fit.text, (
        "Every run that missed was still rising when its epoch cap stopped it, so the runs "
        "cannot say whether the network would fit: undecided, not a failure")),
        fit.parts, fit.kind, fit.pending)
