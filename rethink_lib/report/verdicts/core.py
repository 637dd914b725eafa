"""The verdict type, the thresholds every verdict decides by, and the sentence helpers."""


from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

OUTCOMES = ("agrees", "differs", "inconclusive", "missing")
NOTHING_STORED = "The runs for this are not stored yet."  # a verdict with none of its runs
# What a verdict is, for the conclusion's counts (issue 25): a *finding* tests a claim of the
# paper or the report and can come out either way; *context* compares with numbers measured
# on other data or at another scale, or cannot come out "differs"; a *check* is a sanity check
# of our own set-up (chance level, the linear baseline, the learning-rate floor).
KINDS = ("finding", "context", "check")
FACTOR_BOUND = 5.0  # Fig. 1b: "a small constant factor" read as at most this many times
Z = 2.0            # standard errors an effect must exceed to count as real
THRESHOLD = 2.0    # percentage points: smaller differences from a published number are not reported
RATIO_TOLERANCE = 1.25  # a time-to-fit ratio within this factor of the reference's is "about the same"
CLOSE = 1.1  # steps of two single runs within this factor of each other: "about the same time",
# no evidence of either order; the floor when a spread is measured on seeds (findings.capacity)


@dataclass(frozen=True)
class Verdict:
    topic: str     # what is judged, for the conclusion: "Fig. 1a: order of the times to fit"
    outcome: str   # one of OUTCOMES
    text: str      # the sentence, Markdown
    parts: tuple = ()  # the verdicts a `combine`d one was made of
    kind: str = "finding"  # one of KINDS
    pending: int = 0  # planned runs of its experiment not stored yet (a GPU's apart): the
    # outcome rests on the runs stored so far and may change when these land

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def so_far(self) -> bool:
        """Decided (agrees, differs or inconclusive) on part of its runs only."""
        return self.pending > 0 and self.outcome != "missing"

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


def _span(values, fmt) -> str:
    """'lo to hi' of `values` as `fmt` prints them; one value where both print alike."""
    lo, hi = fmt(min(values)), fmt(max(values))
    return lo if lo == hi else f"{lo} to {hi}"
